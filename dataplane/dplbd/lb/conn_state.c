/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <assert.h>
#include <netinet/in.h>

#include <rte_common.h>
#include <rte_tcp.h>

#include "lb/conn_state.h"

/* The flags are compared with the header byte as DPDK spells it. */
static_assert(CONN_TCP_FIN == RTE_TCP_FIN_FLAG, "FIN");
static_assert(CONN_TCP_SYN == RTE_TCP_SYN_FLAG, "SYN");
static_assert(CONN_TCP_RST == RTE_TCP_RST_FLAG, "RST");
static_assert(CONN_TCP_ACK == RTE_TCP_ACK_FLAG, "ACK");
/* The entry stores a state in a byte. */
static_assert(TCP_STATE_COUNT <= UINT8_MAX, "state fits uint8_t");

#define sNO TCP_S_NONE
#define sES TCP_S_ESTABLISHED
#define sSS TCP_S_SYN_SENT
#define sSR TCP_S_SYN_RECV
#define sFW TCP_S_FIN_WAIT
#define sTW TCP_S_TIME_WAIT
#define sCL TCP_S_CLOSE
#define sCW TCP_S_CLOSE_WAIT
#define sLA TCP_S_LAST_ACK
#define sLI TCP_S_LISTEN
#define sSA TCP_S_SYNACK

/*
 * IPVS's tcp_states[], laid out as there so the two compare line by
 * line, except INPUT and INPUT_ONLY ack on sNO: sCL here (IPVS: sES).
 * Only a pure SYN creates an entry, so NONE is left by that SYN at once;
 * an ACK on NONE can then only come from a stray entry and must not
 * count as an established connection (secure_tcp makes the same choice).
 */
const uint8_t
tcp_state_table[CONN_DIR_COUNT][TCP_ROW_COUNT][TCP_STATE_COUNT] = {
	[CONN_DIR_INPUT] = {
		/*               sNO  sES  sSS  sSR  sFW  sTW  sCL  sCW  sLA  sLI  sSA */
		[TCP_ROW_SYN] = { sSR, sES, sES, sSR, sSR, sSR, sSR, sSR, sSR, sSR, sSR },
		[TCP_ROW_FIN] = { sCL, sCW, sSS, sTW, sTW, sTW, sCL, sCW, sLA, sLI, sTW },
		[TCP_ROW_ACK] = { sCL, sES, sSS, sES, sFW, sTW, sCL, sCW, sCL, sLI, sES },
		[TCP_ROW_RST] = { sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sSR },
	},
	[CONN_DIR_OUTPUT] = {
		/*               sNO  sES  sSS  sSR  sFW  sTW  sCL  sCW  sLA  sLI  sSA */
		[TCP_ROW_SYN] = { sSS, sES, sSS, sSR, sSS, sSS, sSS, sSS, sSS, sLI, sSR },
		[TCP_ROW_FIN] = { sTW, sFW, sSS, sTW, sFW, sTW, sCL, sTW, sLA, sLI, sTW },
		[TCP_ROW_ACK] = { sES, sES, sSS, sES, sFW, sTW, sCL, sCW, sLA, sES, sES },
		[TCP_ROW_RST] = { sCL, sCL, sSS, sCL, sCL, sTW, sCL, sCL, sCL, sCL, sCL },
	},
	[CONN_DIR_INPUT_ONLY] = {
		/*               sNO  sES  sSS  sSR  sFW  sTW  sCL  sCW  sLA  sLI  sSA */
		[TCP_ROW_SYN] = { sSR, sES, sES, sSR, sSR, sSR, sSR, sSR, sSR, sSR, sSR },
		[TCP_ROW_FIN] = { sCL, sFW, sSS, sTW, sFW, sTW, sCL, sCW, sLA, sLI, sTW },
		[TCP_ROW_ACK] = { sCL, sES, sSS, sES, sFW, sTW, sCL, sCW, sCL, sLI, sES },
		[TCP_ROW_RST] = { sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sCL },
	},
};

#undef sNO
#undef sES
#undef sSS
#undef sSR
#undef sFW
#undef sTW
#undef sCL
#undef sCW
#undef sLA
#undef sLI
#undef sSA

void
conn_timeouts_default(struct conn_timeouts *t)
{
	static const struct conn_timeouts def = {
		.tcp = {
			[TCP_S_NONE] = 2,	  [TCP_S_ESTABLISHED] = 90,
			[TCP_S_SYN_SENT] = 3,	  [TCP_S_SYN_RECV] = 30,
			[TCP_S_FIN_WAIT] = 7,	  [TCP_S_TIME_WAIT] = 7,
			[TCP_S_CLOSE] = 3,	  [TCP_S_CLOSE_WAIT] = 7,
			[TCP_S_LAST_ACK] = 7,	  [TCP_S_LISTEN] = 120,
			[TCP_S_SYNACK] = 30,
		},
		.udp = {
			[UDP_ONEWAY] = 300,	  [UDP_NORMAL] = 300,
		},
	};

	*t = def;
}

uint64_t
conn_timeout_ms(const struct conn_timeouts *t, uint8_t proto,
		unsigned int state)
{
	/* 64 bits: any uint32_t seconds value converts without overflow. */
	if (proto == IPPROTO_TCP && state < TCP_STATE_COUNT)
		return (uint64_t)t->tcp[state] * 1000;
	/* ICMP echo sessions (SNAT) live as UDP flows do. */
	if ((proto == IPPROTO_UDP || proto == IPPROTO_ICMP) &&
	    state < UDP_STATE_COUNT)
		return (uint64_t)t->udp[state] * 1000;
	return 0;
}

const char *
tcp_state_name(enum tcp_state s)
{
	static const char *const names[] = {
		[TCP_S_NONE] = "none",		 [TCP_S_ESTABLISHED] = "established",
		[TCP_S_SYN_SENT] = "syn_sent",	 [TCP_S_SYN_RECV] = "syn_recv",
		[TCP_S_FIN_WAIT] = "fin_wait",	 [TCP_S_TIME_WAIT] = "time_wait",
		[TCP_S_CLOSE] = "close",	 [TCP_S_CLOSE_WAIT] = "close_wait",
		[TCP_S_LAST_ACK] = "last_ack",	 [TCP_S_LISTEN] = "listen",
		[TCP_S_SYNACK] = "synack",
	};

	return (unsigned int)s < TCP_STATE_COUNT ? names[s] : "?";
}

const char *
tcp_state_ipvs_name(enum tcp_state s)
{
	/* ip_vs_proto_tcp.c's tcp_state_name_table, as ipvsadm -lc prints it. */
	static const char *const names[] = {
		[TCP_S_NONE] = "NONE",		 [TCP_S_ESTABLISHED] = "ESTABLISHED",
		[TCP_S_SYN_SENT] = "SYN_SENT",	 [TCP_S_SYN_RECV] = "SYN_RECV",
		[TCP_S_FIN_WAIT] = "FIN_WAIT",	 [TCP_S_TIME_WAIT] = "TIME_WAIT",
		[TCP_S_CLOSE] = "CLOSE",	 [TCP_S_CLOSE_WAIT] = "CLOSE_WAIT",
		[TCP_S_LAST_ACK] = "LAST_ACK",	 [TCP_S_LISTEN] = "LISTEN",
		[TCP_S_SYNACK] = "SYNACK",
	};

	return (unsigned int)s < TCP_STATE_COUNT ? names[s] : "?";
}

const char *
udp_state_name(enum udp_state s)
{
	static const char *const names[] = {
		[UDP_ONEWAY] = "oneway", [UDP_NORMAL] = "normal",
	};

	return (unsigned int)s < UDP_STATE_COUNT ? names[s] : "?";
}

const char *
conn_dir_name(enum conn_dir d)
{
	static const char *const names[] = {
		[CONN_DIR_INPUT] = "input", [CONN_DIR_OUTPUT] = "output",
		[CONN_DIR_INPUT_ONLY] = "input_only",
	};

	return (unsigned int)d < CONN_DIR_COUNT ? names[d] : "?";
}
