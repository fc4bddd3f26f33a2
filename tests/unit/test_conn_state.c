/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Connection state machines: the TCP table cell by cell, flag priority,
 * active/inactive, timeouts, UDP, the reschedule and new-connection
 * rules.
 *
 * The expected TCP table is the specification's text, copied verbatim
 * below and parsed when the test runs, so this is an independent check
 * of the C table rather than a second copy of it.  Every cell becomes
 * its own cmocka test ("INPUT ack ESTAB" etc.), so a wrong table reports
 * every wrong cell by name.
 */
#include <ctype.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lb/conn_state.h"

/* Verbatim from the specification (columns: current state). */
static const char TABLE_TEXT[] =
"            NONE ESTAB SYN_SENT SYN_RECV FIN_WAIT TIME_WAIT CLOSE CLOSE_WAIT LAST_ACK LISTEN SYNACK\n"
"INPUT  syn  SR   ES    ES       SR       SR       SR        SR    SR         SR       SR     SR\n"
"       fin  CL   CW    SS       TW       TW       TW        CL    CW         LA       LI     TW\n"
"       ack  CL   ES    SS       ES       FW       TW        CL    CW         CL       LI     ES\n"
"       rst  CL   CL    CL       SR       CL       CL        CL    CL         LA       LI     SR\n"
"OUTPUT syn  SS   ES    SS       SR       SS       SS        SS    SS         SS       LI     SR\n"
"       fin  TW   FW    SS       TW       FW       TW        CL    TW         LA       LI     TW\n"
"       ack  ES   ES    SS       ES       FW       TW        CL    CW         LA       ES     ES\n"
"       rst  CL   CL    SS       CL       CL       TW        CL    CL         CL       CL     CL\n"
"IN-ONLY syn SR   ES    ES       SR       SR       SR        SR    SR         SR       SR     SR\n"
"       fin  CL   FW    SS       TW       FW       TW        CL    CW         LA       LI     TW\n"
"       ack  CL   ES    SS       ES       FW       TW        CL    CW         CL       LI     ES\n"
"       rst  CL   CL    CL       SR       CL       CL        CL    CL         LA       LI     CL\n";

#define N_DIRS 3
#define N_ROWS 4
#define N_STATES 11
#define N_CELLS (N_DIRS * N_ROWS * N_STATES)

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10
#define F_URG 0x20
#define F_ECE 0x40
#define F_CWR 0x80

struct name_val {
	const char *name;
	int val;
};

/* The text's spellings, mapped here rather than through the code. */
static const struct name_val COLUMNS[] = {
	{ "NONE", TCP_S_NONE },		{ "ESTAB", TCP_S_ESTABLISHED },
	{ "SYN_SENT", TCP_S_SYN_SENT }, { "SYN_RECV", TCP_S_SYN_RECV },
	{ "FIN_WAIT", TCP_S_FIN_WAIT }, { "TIME_WAIT", TCP_S_TIME_WAIT },
	{ "CLOSE", TCP_S_CLOSE },	{ "CLOSE_WAIT", TCP_S_CLOSE_WAIT },
	{ "LAST_ACK", TCP_S_LAST_ACK }, { "LISTEN", TCP_S_LISTEN },
	{ "SYNACK", TCP_S_SYNACK },	{ NULL, 0 },
};
static const struct name_val ABBREVS[] = {
	{ "ES", TCP_S_ESTABLISHED }, { "SS", TCP_S_SYN_SENT },
	{ "SR", TCP_S_SYN_RECV },    { "FW", TCP_S_FIN_WAIT },
	{ "TW", TCP_S_TIME_WAIT },   { "CL", TCP_S_CLOSE },
	{ "CW", TCP_S_CLOSE_WAIT },  { "LA", TCP_S_LAST_ACK },
	{ "LI", TCP_S_LISTEN },	     { "SA", TCP_S_SYNACK },
	{ NULL, 0 },
};
static const struct name_val DIRS[] = {
	{ "INPUT", CONN_DIR_INPUT }, { "OUTPUT", CONN_DIR_OUTPUT },
	{ "IN-ONLY", CONN_DIR_INPUT_ONLY }, { NULL, 0 },
};
/* Row index in the text (0..3) and the one flag that selects it. */
static const struct name_val ROWS[] = {
	{ "syn", F_SYN }, { "fin", F_FIN }, { "ack", F_ACK }, { "rst", F_RST },
	{ NULL, 0 },
};

struct cell {
	int dir;		/* enum conn_dir */
	int row;		/* index into ROWS */
	int cur;		/* enum tcp_state: the column */
	int want;		/* enum tcp_state: the cell */
	char name[48];
};

static struct {
	bool ok;
	char err[160];
	unsigned int n;
	struct cell cells[N_CELLS];
	/* want[dir][row][cur], -1 until the text fills it */
	int want[N_DIRS][N_ROWS][N_STATES];
	unsigned int seen[N_DIRS][N_ROWS][N_STATES];
} tbl;

static int
lookup(const struct name_val *nv, const char *name)
{
	for (; nv->name != NULL; nv++)
		if (strcmp(nv->name, name) == 0)
			return nv->val;
	return -1;
}

static int
row_index(const char *name)
{
	for (int i = 0; ROWS[i].name != NULL; i++)
		if (strcmp(ROWS[i].name, name) == 0)
			return i;
	return -1;
}

/* Split a line on blanks; returns the number of tokens. */
static int
split(char *line, char **tok, int max)
{
	int n = 0;

	for (char *s = strtok(line, " \t"); s != NULL; s = strtok(NULL, " \t")) {
		if (n == max)
			return max + 1;
		tok[n++] = s;
	}
	return n;
}

static bool __attribute__((format(printf, 2, 3)))
parse_fail(int line, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(tbl.err, sizeof(tbl.err), "line %d: ", line + 1);

	va_start(ap, fmt);
	vsnprintf(tbl.err + n, sizeof(tbl.err) - n, fmt, ap);
	va_end(ap);
	return false;
}

/* Fill tbl from TABLE_TEXT; false with tbl.err on any malformed line. */
static bool
parse_table(void)
{
	char text[sizeof(TABLE_TEXT)];
	char *lines[32];
	int cols[N_STATES];
	const char *col_name[N_STATES];
	const char *dir_name = NULL;
	int n_lines = 0;
	int dir = -1;

	memset(&tbl, 0, sizeof(tbl));
	memset(tbl.want, 0xff, sizeof(tbl.want));
	memcpy(text, TABLE_TEXT, sizeof(text));
	for (char *s = text, *nl; *s != '\0' && n_lines < 32; s = nl + 1) {
		nl = strchr(s, '\n');
		if (nl == NULL)
			return parse_fail(n_lines, "no newline");
		*nl = '\0';
		lines[n_lines++] = s;
	}

	for (int l = 0; l < n_lines; l++) {
		char *tok[N_STATES + 3];
		int n = split(lines[l], tok, N_STATES + 2);
		int i = 0, row;

		if (l == 0) {
			if (n != N_STATES)
				return parse_fail(l, "header: want 11 columns");
			for (int c = 0; c < N_STATES; c++) {
				cols[c] = lookup(COLUMNS, tok[c]);
				col_name[c] = tok[c];
				if (cols[c] < 0)
					return parse_fail(l, "column '%s'", tok[c]);
			}
			continue;
		}
		if (n == N_STATES + 2) {
			dir = lookup(DIRS, tok[0]);
			dir_name = tok[0];
			if (dir < 0)
				return parse_fail(l, "direction '%s'", tok[0]);
			i = 1;
		} else if (n != N_STATES + 1 || dir < 0) {
			return parse_fail(l, "wrong number of fields");
		}
		row = row_index(tok[i]);
		if (row < 0)
			return parse_fail(l, "row '%s'", tok[i]);
		for (int c = 0; c < N_STATES; c++) {
			const char *a = tok[i + 1 + c];
			int want = lookup(ABBREVS, a);
			struct cell *cl;

			if (want < 0)
				return parse_fail(l, "state '%s'", a);
			if (tbl.n == N_CELLS)
				return parse_fail(l, "too many cells");
			cl = &tbl.cells[tbl.n++];
			cl->dir = dir;
			cl->row = row;
			cl->cur = cols[c];
			cl->want = want;
			snprintf(cl->name, sizeof(cl->name), "%s %s %s -> %s",
				 dir_name, tok[i], col_name[c], a);
			tbl.want[dir][row][cols[c]] = want;
			tbl.seen[dir][row][cols[c]]++;
		}
	}
	tbl.ok = true;
	return true;
}

/* ---- the table, cell by cell ---- */

/* One cell: the row's single flag on the column's state. */
static void
test_cell(void **state)
{
	const struct cell *c = *state;

	assert_int_equal(tcp_state_next(c->cur, c->dir, ROWS[c->row].val),
			 c->want);
}

/* The text parsed into exactly one value for each of the 132 cells. */
static void
test_table_text_complete(void **state)
{
	(void)state;
	if (!tbl.ok)
		fail_msg("table text: %s", tbl.err);
	assert_int_equal(tbl.n, N_CELLS);
	for (int d = 0; d < N_DIRS; d++)
		for (int r = 0; r < N_ROWS; r++)
			for (int s = 0; s < N_STATES; s++)
				assert_int_equal(tbl.seen[d][r][s], 1);
	assert_int_equal(TCP_STATE_COUNT, N_STATES);
	assert_int_equal(CONN_DIR_COUNT, N_DIRS);
}

/* The reference rule for the row: rst, syn, fin, ack; -1 keeps state. */
static int
ref_row(unsigned int flags)
{
	if (flags & F_RST)
		return row_index("rst");
	if (flags & F_SYN)
		return row_index("syn");
	if (flags & F_FIN)
		return row_index("fin");
	if (flags & F_ACK)
		return row_index("ack");
	return -1;
}

/* All 256 flag bytes in every direction and state against the text. */
static void
test_flags_exhaustive(void **state)
{
	(void)state;
	assert_true(tbl.ok);
	for (int d = 0; d < N_DIRS; d++)
		for (int s = 0; s < N_STATES; s++)
			for (unsigned int f = 0; f < 256; f++) {
				int r = ref_row(f);
				int want = r < 0 ? s : tbl.want[d][r][s];

				assert_int_equal(tcp_state_next(s, d, f), want);
			}
}

static void
test_flag_priority(void **state)
{
	(void)state;
	/* rst beats syn: INPUT on ESTABLISHED, rst -> CLOSE, syn -> ESTAB. */
	assert_int_equal(tcp_state_next(TCP_S_ESTABLISHED, CONN_DIR_INPUT,
					F_RST | F_SYN), TCP_S_CLOSE);
	assert_int_equal(tcp_state_next(TCP_S_ESTABLISHED, CONN_DIR_INPUT,
					F_RST | F_ACK), TCP_S_CLOSE);
	/* syn beats fin: INPUT on ESTABLISHED, fin would be CLOSE_WAIT. */
	assert_int_equal(tcp_state_next(TCP_S_ESTABLISHED, CONN_DIR_INPUT,
					F_SYN | F_FIN), TCP_S_ESTABLISHED);
	/* fin beats ack: the usual FIN+ACK takes the fin row. */
	assert_int_equal(tcp_state_next(TCP_S_ESTABLISHED, CONN_DIR_INPUT,
					F_FIN | F_ACK), TCP_S_CLOSE_WAIT);
	/* SYN+ACK uses the syn row: OUTPUT on NONE, ack would be ESTAB. */
	assert_int_equal(tcp_state_next(TCP_S_NONE, CONN_DIR_OUTPUT,
					F_SYN | F_ACK), TCP_S_SYN_SENT);
	assert_int_equal(tcp_state_next(TCP_S_NONE, CONN_DIR_OUTPUT, F_ACK),
			 TCP_S_ESTABLISHED);
	/* PSH, URG, ECE, CWR select nothing. */
	assert_int_equal(tcp_state_next(TCP_S_SYN_RECV, CONN_DIR_INPUT,
					F_ACK | F_PSH | F_URG | F_ECE | F_CWR),
			 TCP_S_ESTABLISHED);
	/* No flag at all, or only those: every state is kept. */
	for (int d = 0; d < N_DIRS; d++)
		for (int s = 0; s < N_STATES; s++) {
			assert_int_equal(tcp_state_next(s, d, 0), s);
			assert_int_equal(tcp_state_next(s, d, F_PSH | F_URG |
							F_ECE | F_CWR), s);
		}
}

/* Out of range is returned unchanged and has no timeout. */
static void
test_out_of_range(void **state)
{
	struct conn_timeouts t;

	(void)state;
	conn_timeouts_default(&t);
	assert_int_equal(tcp_state_next((enum tcp_state)N_STATES,
					CONN_DIR_INPUT, F_SYN), N_STATES);
	assert_int_equal(tcp_state_next(TCP_S_NONE, (enum conn_dir)N_DIRS,
					F_SYN), TCP_S_NONE);
	assert_int_equal(tcp_state_next((enum tcp_state)255,
					(enum conn_dir)255, F_ACK), 255);
	assert_int_equal(conn_timeout_ms(&t, IPPROTO_TCP, N_STATES), 0);
	assert_string_equal(tcp_state_name((enum tcp_state)N_STATES), "?");
	assert_string_equal(tcp_state_ipvs_name((enum tcp_state)N_STATES), "?");
	assert_string_equal(udp_state_name((enum udp_state)2), "?");
	assert_string_equal(conn_dir_name((enum conn_dir)N_DIRS), "?");
}

/* ---- whole connections through the table ---- */

struct step {
	int dir;
	unsigned int flags;
	int want;
};

static void
run_steps(const struct step *st, size_t n)
{
	enum tcp_state s = TCP_S_NONE;

	for (size_t i = 0; i < n; i++) {
		s = tcp_state_next(s, st[i].dir, st[i].flags);
		if ((int)s != st[i].want)
			fail_msg("step %zu: %s, want %s", i, tcp_state_name(s),
				 tcp_state_name(st[i].want));
	}
}

/* NAT, the client closes first. */
static void
test_walk_nat_client_close(void **state)
{
	static const struct step st[] = {
		{ CONN_DIR_INPUT, F_SYN, TCP_S_SYN_RECV },
		{ CONN_DIR_OUTPUT, F_SYN | F_ACK, TCP_S_SYN_RECV },
		{ CONN_DIR_INPUT, F_ACK, TCP_S_ESTABLISHED },
		{ CONN_DIR_INPUT, F_ACK | F_PSH, TCP_S_ESTABLISHED },
		{ CONN_DIR_OUTPUT, F_ACK | F_PSH, TCP_S_ESTABLISHED },
		{ CONN_DIR_INPUT, F_FIN | F_ACK, TCP_S_CLOSE_WAIT },
		{ CONN_DIR_OUTPUT, F_ACK, TCP_S_CLOSE_WAIT },
		{ CONN_DIR_OUTPUT, F_FIN | F_ACK, TCP_S_TIME_WAIT },
		{ CONN_DIR_INPUT, F_ACK, TCP_S_TIME_WAIT },
	};

	(void)state;
	run_steps(st, sizeof(st) / sizeof(st[0]));
}

/* NAT, the server closes first. */
static void
test_walk_nat_server_close(void **state)
{
	static const struct step st[] = {
		{ CONN_DIR_INPUT, F_SYN, TCP_S_SYN_RECV },
		{ CONN_DIR_OUTPUT, F_SYN | F_ACK, TCP_S_SYN_RECV },
		{ CONN_DIR_INPUT, F_ACK, TCP_S_ESTABLISHED },
		{ CONN_DIR_OUTPUT, F_FIN | F_ACK, TCP_S_FIN_WAIT },
		{ CONN_DIR_INPUT, F_ACK, TCP_S_FIN_WAIT },
		{ CONN_DIR_INPUT, F_FIN | F_ACK, TCP_S_TIME_WAIT },
		{ CONN_DIR_OUTPUT, F_ACK, TCP_S_TIME_WAIT },
	};

	(void)state;
	run_steps(st, sizeof(st) / sizeof(st[0]));
}

/* DR/TUNNEL: only the client's half is seen. */
static void
test_walk_dr(void **state)
{
	static const struct step st[] = {
		{ CONN_DIR_INPUT_ONLY, F_SYN, TCP_S_SYN_RECV },
		{ CONN_DIR_INPUT_ONLY, F_ACK, TCP_S_ESTABLISHED },
		{ CONN_DIR_INPUT_ONLY, F_ACK | F_PSH, TCP_S_ESTABLISHED },
		{ CONN_DIR_INPUT_ONLY, F_FIN | F_ACK, TCP_S_FIN_WAIT },
		{ CONN_DIR_INPUT_ONLY, F_ACK, TCP_S_FIN_WAIT },
	};

	(void)state;
	run_steps(st, sizeof(st) / sizeof(st[0]));
}

/* A reset from either side closes an established connection. */
static void
test_walk_resets(void **state)
{
	static const struct step server[] = {
		{ CONN_DIR_INPUT, F_SYN, TCP_S_SYN_RECV },
		{ CONN_DIR_OUTPUT, F_RST | F_ACK, TCP_S_CLOSE },
	};
	static const struct step client[] = {
		{ CONN_DIR_INPUT, F_SYN, TCP_S_SYN_RECV },
		{ CONN_DIR_INPUT, F_ACK, TCP_S_ESTABLISHED },
		{ CONN_DIR_INPUT, F_RST, TCP_S_CLOSE },
	};

	(void)state;
	run_steps(server, sizeof(server) / sizeof(server[0]));
	run_steps(client, sizeof(client) / sizeof(client[0]));
}

/* ---- active, new connections, rescheduling ---- */

static void
test_active(void **state)
{
	(void)state;
	for (int s = 0; s < N_STATES; s++)
		assert_int_equal(tcp_state_is_active(s),
				 s == TCP_S_ESTABLISHED);
}

static void
test_new_conn(void **state)
{
	(void)state;
	assert_true(tcp_flags_new_conn(F_SYN));
	assert_true(tcp_flags_new_conn(F_SYN | F_ECE | F_CWR));	/* ECN SYN */
	assert_true(tcp_flags_new_conn(F_SYN | F_PSH | F_URG));
	assert_false(tcp_flags_new_conn(0));
	assert_false(tcp_flags_new_conn(F_SYN | F_ACK));
	assert_false(tcp_flags_new_conn(F_SYN | F_FIN));
	assert_false(tcp_flags_new_conn(F_SYN | F_RST));
	assert_false(tcp_flags_new_conn(F_ACK));
	assert_false(tcp_flags_new_conn(F_FIN));
	assert_false(tcp_flags_new_conn(F_RST));
	for (unsigned int f = 0; f < 256; f++)
		assert_int_equal(tcp_flags_new_conn(f),
				 (f & F_SYN) && !(f & (F_ACK | F_FIN | F_RST)));
}

static void
test_syn_reschedules(void **state)
{
	(void)state;
	assert_true(tcp_syn_reschedules(TCP_S_TIME_WAIT, F_SYN));
	assert_true(tcp_syn_reschedules(TCP_S_CLOSE, F_SYN));
	assert_true(tcp_syn_reschedules(TCP_S_TIME_WAIT, F_SYN | F_ECE | F_CWR));
	assert_false(tcp_syn_reschedules(TCP_S_TIME_WAIT, F_SYN | F_ACK));
	assert_false(tcp_syn_reschedules(TCP_S_TIME_WAIT, F_SYN | F_RST));
	assert_false(tcp_syn_reschedules(TCP_S_CLOSE, F_SYN | F_FIN));
	assert_false(tcp_syn_reschedules(TCP_S_TIME_WAIT, F_ACK));
	assert_false(tcp_syn_reschedules(TCP_S_CLOSE, 0));
	for (int s = 0; s < N_STATES; s++)
		for (unsigned int f = 0; f < 256; f++)
			assert_int_equal(tcp_syn_reschedules(s, f),
					 tcp_flags_new_conn(f) &&
					 (s == TCP_S_TIME_WAIT ||
					  s == TCP_S_CLOSE));
}

/* ---- timeouts ---- */

static void
test_timeouts_default(void **state)
{
	static const unsigned int tcp[N_STATES] = {
		[TCP_S_NONE] = 2,	[TCP_S_ESTABLISHED] = 90,
		[TCP_S_SYN_SENT] = 3,	[TCP_S_SYN_RECV] = 30,
		[TCP_S_FIN_WAIT] = 7,	[TCP_S_TIME_WAIT] = 7,
		[TCP_S_CLOSE] = 3,	[TCP_S_CLOSE_WAIT] = 7,
		[TCP_S_LAST_ACK] = 7,	[TCP_S_LISTEN] = 120,
		[TCP_S_SYNACK] = 30,
	};
	struct conn_timeouts t;

	(void)state;
	memset(&t, 0xa5, sizeof(t));
	conn_timeouts_default(&t);
	for (int s = 0; s < N_STATES; s++) {
		assert_int_equal(t.tcp[s], tcp[s]);
		assert_int_equal(conn_timeout_ms(&t, IPPROTO_TCP, s),
				 tcp[s] * 1000ULL);
	}
	assert_int_equal(t.udp[UDP_ONEWAY], 300);
	assert_int_equal(t.udp[UDP_NORMAL], 300);
	assert_int_equal(conn_timeout_ms(&t, IPPROTO_UDP, UDP_ONEWAY), 300000);
	assert_int_equal(conn_timeout_ms(&t, IPPROTO_UDP, UDP_NORMAL), 300000);
}

static void
test_timeouts_lookup(void **state)
{
	struct conn_timeouts t;

	(void)state;
	conn_timeouts_default(&t);
	t.tcp[TCP_S_ESTABLISHED] = 900;
	t.tcp[TCP_S_NONE] = 11;
	t.udp[UDP_ONEWAY] = 20;
	t.udp[UDP_NORMAL] = 40;
	assert_int_equal(conn_timeout_ms(&t, IPPROTO_TCP, TCP_S_ESTABLISHED),
			 900000);
	/* The protocol picks the array: state 0 and 1 differ by protocol. */
	assert_int_equal(conn_timeout_ms(&t, IPPROTO_TCP, TCP_S_NONE), 11000);
	assert_int_equal(conn_timeout_ms(&t, IPPROTO_UDP, UDP_ONEWAY), 20000);
	assert_int_equal(conn_timeout_ms(&t, IPPROTO_UDP, UDP_NORMAL), 40000);
	/* No overflow for the largest value. */
	t.tcp[TCP_S_LISTEN] = UINT32_MAX;
	assert_true(conn_timeout_ms(&t, IPPROTO_TCP, TCP_S_LISTEN) ==
		    (uint64_t)UINT32_MAX * 1000);
	/* ICMP echo sessions (SNAT) take the UDP timeouts. */
	assert_int_equal(conn_timeout_ms(&t, IPPROTO_ICMP, UDP_ONEWAY), 20000);
	assert_int_equal(conn_timeout_ms(&t, IPPROTO_ICMP, UDP_NORMAL), 40000);
	/* Anything else has none. */
	assert_int_equal(conn_timeout_ms(&t, IPPROTO_UDP, UDP_STATE_COUNT), 0);
	assert_int_equal(conn_timeout_ms(&t, IPPROTO_ICMP, UDP_STATE_COUNT), 0);
	assert_int_equal(conn_timeout_ms(&t, IPPROTO_SCTP, 1), 0);
}

/* ---- UDP ---- */

static void
test_udp(void **state)
{
	(void)state;
	assert_int_equal(udp_state_next(UDP_ONEWAY, CONN_DIR_INPUT), UDP_ONEWAY);
	assert_int_equal(udp_state_next(UDP_ONEWAY, CONN_DIR_INPUT_ONLY),
			 UDP_ONEWAY);
	assert_int_equal(udp_state_next(UDP_ONEWAY, CONN_DIR_OUTPUT),
			 UDP_NORMAL);
	/* An answer is never forgotten. */
	assert_int_equal(udp_state_next(UDP_NORMAL, CONN_DIR_INPUT), UDP_NORMAL);
	assert_int_equal(udp_state_next(UDP_NORMAL, CONN_DIR_INPUT_ONLY),
			 UDP_NORMAL);
	assert_int_equal(udp_state_next(UDP_NORMAL, CONN_DIR_OUTPUT),
			 UDP_NORMAL);
}

/* ---- names ---- */

static void
test_names(void **state)
{
	static const char *const lower[N_STATES] = {
		"none", "established", "syn_sent", "syn_recv", "fin_wait",
		"time_wait", "close", "close_wait", "last_ack", "listen",
		"synack",
	};
	static const char *const upper[N_STATES] = {
		"NONE", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT",
		"TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN",
		"SYNACK",
	};

	(void)state;
	for (int s = 0; s < N_STATES; s++) {
		assert_string_equal(tcp_state_name(s), lower[s]);
		assert_string_equal(tcp_state_ipvs_name(s), upper[s]);
	}
	assert_string_equal(udp_state_name(UDP_ONEWAY), "oneway");
	assert_string_equal(udp_state_name(UDP_NORMAL), "normal");
	assert_string_equal(conn_dir_name(CONN_DIR_INPUT), "input");
	assert_string_equal(conn_dir_name(CONN_DIR_OUTPUT), "output");
	assert_string_equal(conn_dir_name(CONN_DIR_INPUT_ONLY), "input_only");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_text_complete),
		cmocka_unit_test(test_flags_exhaustive),
		cmocka_unit_test(test_flag_priority),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_walk_nat_client_close),
		cmocka_unit_test(test_walk_nat_server_close),
		cmocka_unit_test(test_walk_dr),
		cmocka_unit_test(test_walk_resets),
		cmocka_unit_test(test_active),
		cmocka_unit_test(test_new_conn),
		cmocka_unit_test(test_syn_reschedules),
		cmocka_unit_test(test_timeouts_default),
		cmocka_unit_test(test_timeouts_lookup),
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_names),
	};
	struct CMUnitTest cells[N_CELLS];
	int failed;

	/* A malformed text fails test_table_text_complete, with the reason. */
	parse_table();
	failed = cmocka_run_group_tests_name("conn_state", tests, NULL, NULL);
	for (unsigned int i = 0; i < tbl.n; i++)
		cells[i] = (struct CMUnitTest){
			.name = tbl.cells[i].name,
			.test_func = test_cell,
			.initial_state = &tbl.cells[i],
		};
	if (tbl.n > 0)
		failed += _cmocka_run_group_tests("conn_state_table", cells,
						  tbl.n, NULL, NULL);
	return failed;
}
