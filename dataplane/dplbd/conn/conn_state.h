/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conn_state: the TCP and UDP connection state machines of the load
 * balancer, as pure functions of the current state, the direction and
 * the TCP flags, so they are unit-tested alone.  Table, rules and
 * timeouts are documented in docs/conn-states.md.
 *
 * TCP follows the IPVS table (ip_vs_proto_tcp.c), one per direction:
 *   INPUT       client->server for NAT and FNAT
 *   OUTPUT      server->client, NAT and FNAT, which see the replies
 *   INPUT_ONLY  client->server for DR and TUNNEL, which never see them
 * A packet selects one row by the first of its flags among RST, SYN,
 * FIN, ACK (in that order); a packet with none of them keeps its state.
 * The table differs from IPVS's default one in two cells only: an ACK
 * on a NONE connection closes it (INPUT, INPUT_ONLY) instead of
 * establishing it, as IPVS's secure_tcp table does, since only a pure
 * SYN creates a connection here (tcp_flags_new_conn()).
 *
 * UDP has no handshake: ONEWAY until the server has answered (OUTPUT
 * seen), NORMAL after; DR and TUNNEL stay ONEWAY as they never see an
 * answer.
 *
 * The state is stored as a uint8_t in the connection entry; an entry's
 * timeout is conn_timeout_ms() of its current state, checked against a
 * last-seen stamp by the timing wheel (nothing here keeps time).
 */
#ifndef DPLB_CONN_STATE_H
#define DPLB_CONN_STATE_H

#include <stdbool.h>
#include <stdint.h>

enum tcp_state {
	TCP_S_NONE,
	TCP_S_ESTABLISHED,
	TCP_S_SYN_SENT,
	TCP_S_SYN_RECV,
	TCP_S_FIN_WAIT,
	TCP_S_TIME_WAIT,
	TCP_S_CLOSE,
	TCP_S_CLOSE_WAIT,
	TCP_S_LAST_ACK,
	TCP_S_LISTEN,
	TCP_S_SYNACK,
};
#define TCP_STATE_COUNT (TCP_S_SYNACK + 1)

enum conn_dir {
	CONN_DIR_INPUT,		/* client->server */
	CONN_DIR_OUTPUT,	/* server->client (NAT, FNAT) */
	CONN_DIR_INPUT_ONLY,	/* client->server, replies bypass us (DR, TUNNEL) */
};
#define CONN_DIR_COUNT (CONN_DIR_INPUT_ONLY + 1)

enum udp_state {
	UDP_ONEWAY,		/* seen only from the client */
	UDP_NORMAL,		/* the server has answered */
};
#define UDP_STATE_COUNT (UDP_NORMAL + 1)

/* TCP flags as in byte 13 of the TCP header (RTE_TCP_*_FLAG). */
#define CONN_TCP_FIN 0x01
#define CONN_TCP_SYN 0x02
#define CONN_TCP_RST 0x04
#define CONN_TCP_ACK 0x10

/* Rows of the table, in IPVS's order; see tcp_state_row() for the choice. */
enum tcp_row {
	TCP_ROW_SYN,
	TCP_ROW_FIN,
	TCP_ROW_ACK,
	TCP_ROW_RST,
};
#define TCP_ROW_COUNT (TCP_ROW_RST + 1)

/** [dir][row][current state] -> next state (enum tcp_state). */
extern const uint8_t tcp_state_table[CONN_DIR_COUNT][TCP_ROW_COUNT]
				    [TCP_STATE_COUNT];

/**
 * The row a packet selects: the first flag among RST, SYN, FIN, ACK,
 * so RST beats SYN beats FIN beats ACK and a SYN+ACK takes the SYN row.
 * Other flags (PSH, URG, ECE, CWR) are ignored.  -1: none of the four.
 */
static inline int
tcp_state_row(uint8_t tcp_flags)
{
	if (tcp_flags & CONN_TCP_RST)
		return TCP_ROW_RST;
	if (tcp_flags & CONN_TCP_SYN)
		return TCP_ROW_SYN;
	if (tcp_flags & CONN_TCP_FIN)
		return TCP_ROW_FIN;
	if (tcp_flags & CONN_TCP_ACK)
		return TCP_ROW_ACK;
	return -1;
}

/**
 * The state after a packet with tcp_flags, seen in direction dir, on a
 * connection in state cur.  A state or direction out of range is
 * returned unchanged: the table never invents one, and such an entry
 * has no timeout (conn_timeout_ms() 0), so it simply expires.
 */
static inline enum tcp_state
tcp_state_next(enum tcp_state cur, enum conn_dir dir, uint8_t tcp_flags)
{
	int row;

	/* The established flow's usual segment, the table's own answer in
	 * every direction (ACK row, or no row: unchanged), without
	 * choosing a row: test_conn_state checks all 256 flag bytes. */
	if (__builtin_expect(cur == TCP_S_ESTABLISHED &&
			     !(tcp_flags & (CONN_TCP_RST | CONN_TCP_SYN |
					    CONN_TCP_FIN)), 1))
		return cur;
	row = tcp_state_row(tcp_flags);
	if (row < 0 || __builtin_expect((unsigned int)cur >= TCP_STATE_COUNT ||
					(unsigned int)dir >= CONN_DIR_COUNT, 0))
		return cur;
	return (enum tcp_state)tcp_state_table[dir][row][cur];
}

/**
 * ESTABLISHED counts as an active connection, every other state as
 * inactive, as IPVS's ActiveConn/InActConn (used by the lc/wlc
 * schedulers and shown by `-l`).
 */
static inline bool
tcp_state_is_active(enum tcp_state s)
{
	return s == TCP_S_ESTABLISHED;
}

/**
 * Only a SYN without ACK, FIN and RST may create a connection; other
 * flags (ECE and CWR of an ECN SYN, PSH, URG) do not matter.  Anything
 * else without an entry is dropped, never scheduled.
 */
static inline bool
tcp_flags_new_conn(uint8_t tcp_flags)
{
	return (tcp_flags & (CONN_TCP_SYN | CONN_TCP_ACK | CONN_TCP_FIN |
			     CONN_TCP_RST)) == CONN_TCP_SYN;
}

/**
 * A pure SYN (as tcp_flags_new_conn()) from the client hitting a
 * connection in TIME_WAIT or CLOSE: the client reuses the port for a new
 * connection.  The caller removes the old entry and schedules the
 * packet as new at once; IPVS drops such a SYN and lets the client
 * retransmit a second later, which we do not.  Only for INPUT packets.
 */
static inline bool
tcp_syn_reschedules(enum tcp_state cur, uint8_t tcp_flags)
{
	return tcp_flags_new_conn(tcp_flags) &&
	       (cur == TCP_S_TIME_WAIT || cur == TCP_S_CLOSE);
}

/** UDP: a packet in OUTPUT (an answer) makes the flow NORMAL for good. */
static inline enum udp_state
udp_state_next(enum udp_state cur, enum conn_dir dir)
{
	return dir == CONN_DIR_OUTPUT ? UDP_NORMAL : cur;
}

/**
 * Per-state idle timeouts in seconds, indexed by enum tcp_state and enum
 * udp_state.  Defaults in conn_timeouts_default(); the config keys are
 * tcp_state_name() and udp_state_name() (docs/conn-states.md).
 */
struct conn_timeouts {
	uint32_t tcp[TCP_STATE_COUNT];
	uint32_t udp[UDP_STATE_COUNT];
};

/** Fill t with the defaults (none 2 s, established 90 s, ... udp 300 s). */
void conn_timeouts_default(struct conn_timeouts *t);

/**
 * The timeout in milliseconds of a connection of protocol proto
 * (IPPROTO_TCP, IPPROTO_UDP) in state (enum tcp_state or udp_state);
 * IPPROTO_ICMP (SNAT's echo sessions) takes the UDP ones.  0 for any
 * other protocol or a state out of range.
 */
uint64_t conn_timeout_ms(const struct conn_timeouts *t, uint8_t proto,
			 unsigned int state);

/** Lower-case name: "none", "established", "syn_recv"; also the config key. */
const char *tcp_state_name(enum tcp_state s);
/** ipvsadm's name for `-c` listings: "NONE", "ESTABLISHED", "SYN_RECV". */
const char *tcp_state_ipvs_name(enum tcp_state s);
/** "oneway", "normal"; also the config key. */
const char *udp_state_name(enum udp_state s);
/** "input", "output", "input_only". */
const char *conn_dir_name(enum conn_dir d);

#endif /* DPLB_CONN_STATE_H */
