/* SPDX-License-Identifier: GPL-2.0-or-later */
/* conn/conn6: IPv6 and NAT64 connections on conn.c's life cycle: both
 * keys, refusals, the wheel's expiry and its keep, templates, a random
 * run against a model, the bulk lookup and its watch, and the bytes an
 * IPv6 connection costs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "conn/conn6.h"
#include "eal_helper.h"

static const uint8_t CLIENT[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t VIP[16] = { 0x20, 0x01, 0x0d, 0xb8, [14] = 1 };
static const uint8_t LIP[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 1 };
static const uint8_t RS[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 3, [15] = 1 };

/* Connection i: client port i, full NAT to RS from LIP port i. */
static void
keys_of(uint32_t i, struct conn6_key *in, struct conn6_key *out)
{
	uint8_t c[16];

	memcpy(c, CLIENT, 16);
	c[13] = (uint8_t)(i >> 16);
	conn6_key6(in, c, VIP, rte_cpu_to_be_16((uint16_t)i), RTE_BE16(80),
		   IPPROTO_TCP);
	conn6_key6(out, RS, LIP, RTE_BE16(8080), rte_cpu_to_be_16((uint16_t)i),
		   IPPROTO_TCP);
}

static void
test_new_lookup_both_sides(void **state)
{
	struct conn6_table *t;
	struct conn6_key in, out, got;
	struct conn *c;
	bool reply;

	(void)state;
	assert_int_equal(conn6_table_create(&t, "t1", 64, SOCKET_ID_ANY), 0);
	keys_of(7, &in, &out);
	c = conn6_new(t, &in, &out, TCP_S_SYN_RECV, 1000);
	assert_non_null(c);
	assert_true(c->flags & CONN_F_IPV6);
	assert_true(c->flags & CONN_F_LIVE);
	assert_int_equal(c->state, TCP_S_SYN_RECV);
	assert_int_equal(c->proto, IPPROTO_TCP);
	assert_int_equal(conn6_count(t), 1);
	assert_ptr_equal(conn6_lookup(t, &in, &reply), c);
	assert_false(reply);
	assert_ptr_equal(conn6_lookup(t, &out, &reply), c);
	assert_true(reply);
	conn6_key_get(t, c, CONN_SIDE_OUT, &got);
	assert_memory_equal(&got, &out, sizeof(got));
	assert_true(conn6_has_out(t, c));
	/* the caller's fields are conn.c's */
	c->svc_id = 42;
	conn_set_state(conn6_life(t), c, TCP_S_ESTABLISHED, 1001);
	assert_int_equal(conn6_lookup(t, &in, NULL)->state, TCP_S_ESTABLISHED);
	assert_int_equal(conn6_table_check(t), 0);

	conn6_del(t, c);
	assert_null(conn6_lookup(t, &in, &reply));
	assert_false(reply);
	assert_null(conn6_lookup(t, &out, NULL));
	assert_int_equal(conn6_count(t), 0);
	conn6_table_free(t);
}

/* NAT64: the server side is IPv4 (RS 198.51.100.20:8080 -> LIP
 * 192.0.2.10:lport), found by an IPv4 key, distinct from an IPv6 key
 * whose first bytes are the same. */
static void
test_nat64_server_side(void **state)
{
	struct conn6_table *t;
	struct conn6_key in, out, look;
	struct conn *c;
	bool reply;

	(void)state;
	assert_int_equal(conn6_table_create(&t, "t2", 16, SOCKET_ID_ANY), 0);
	conn6_key6(&in, CLIENT, VIP, RTE_BE16(40000), RTE_BE16(80), IPPROTO_UDP);
	conn6_key4(&out, RTE_BE32(0xc6336414), RTE_BE32(0xc000020a),
		   RTE_BE16(8080), RTE_BE16(5001), IPPROTO_UDP);
	c = conn6_new(t, &in, &out, 0, 5);
	assert_non_null(c);
	conn6_key4(&look, RTE_BE32(0xc6336414), RTE_BE32(0xc000020a),
		   RTE_BE16(8080), RTE_BE16(5001), IPPROTO_UDP);
	assert_ptr_equal(conn6_lookup(t, &look, &reply), c);
	assert_true(reply);
	look.family = AF_INET6;		/* same bytes, other family */
	assert_null(conn6_lookup(t, &look, NULL));
	look.family = AF_INET;
	look.proto = IPPROTO_TCP;
	assert_null(conn6_lookup(t, &look, NULL));
	conn6_table_free(t);
}

static void
test_refusals(void **state)
{
	struct conn6_table *t;
	struct conn6_key in, out, other;
	struct conn *first;
	bool reply;

	(void)state;
	assert_int_equal(conn6_table_create(&t, "t3", 0, SOCKET_ID_ANY), -EINVAL);
	assert_int_equal(conn6_table_create(&t, "t3", CONN_MAX_CAPACITY + 1,
					    SOCKET_ID_ANY), -EINVAL);
	assert_int_equal(conn6_table_create(&t, "t3", 2, SOCKET_ID_ANY), 0);
	keys_of(1, &in, &out);
	first = conn6_new(t, &in, &out, 0, 0);
	assert_non_null(first);
	/* a key already there, either side */
	keys_of(2, &other, &out);
	assert_null(conn6_new(t, &in, &out, 0, 0));
	assert_int_equal(rte_errno, EEXIST);
	keys_of(1, &in, &out);
	keys_of(2, &other, &in);
	assert_null(conn6_new(t, &other, &out, 0, 0));
	assert_int_equal(rte_errno, EEXIST);
	/* the failed insert left no key behind, and the first connection's
	 * keys as they were */
	keys_of(2, &in, &out);
	assert_null(conn6_lookup(t, &in, NULL));
	keys_of(1, &in, &out);
	assert_ptr_equal(conn6_lookup(t, &in, &reply), first);
	assert_false(reply);
	assert_ptr_equal(conn6_lookup(t, &out, &reply), first);
	assert_true(reply);
	keys_of(2, &in, &out);
	/* protocols differ, keys equal, family unknown, pad set */
	out.proto = IPPROTO_UDP;
	assert_null(conn6_new(t, &in, &out, 0, 0));
	assert_int_equal(rte_errno, EINVAL);
	assert_null(conn6_new(t, &in, &in, 0, 0));
	assert_int_equal(rte_errno, EINVAL);
	other = in;
	other.family = 3;
	assert_null(conn6_new(t, &other, NULL, 0, 0));
	assert_int_equal(rte_errno, EINVAL);
	other = in;
	other.pad[1] = 1;
	assert_null(conn6_new(t, &other, NULL, 0, 0));
	assert_int_equal(rte_errno, EINVAL);
	/* full */
	keys_of(2, &in, &out);
	assert_non_null(conn6_new(t, &in, &out, 0, 0));
	keys_of(3, &in, &out);
	assert_null(conn6_new(t, &in, &out, 0, 0));
	assert_int_equal(rte_errno, ENOSPC);
	assert_int_equal(conn6_count(t), 2);
	conn6_table_free(t);
}

struct expired {
	unsigned int n;
	bool keep;
	uint32_t svc_id;
};

static bool
on_expire(void *ctx, struct conn *c)
{
	struct expired *e = ctx;

	e->n++;
	e->svc_id = c->svc_id;
	return e->keep;
}

static void
test_expiry_by_state_and_keep(void **state)
{
	struct conn6_table *t;
	struct conn6_key in, out;
	struct expired e = { 0 };
	struct conn_timeouts to;
	struct conn *c;

	(void)state;
	assert_int_equal(conn6_table_create(&t, "t4", 16, SOCKET_ID_ANY), 0);
	conn_timeouts_default(&to);
	keys_of(1, &in, &out);
	c = conn6_new(t, &in, &out, TCP_S_SYN_RECV, 0);
	c->svc_id = 9;
	uint32_t due = (uint32_t)conn_timeout_ms(&to, IPPROTO_TCP, TCP_S_SYN_RECV);

	/* alive before its timeout */
	assert_int_equal(conn6_expire_tick(t, due / 2, 100, on_expire, &e), 0);
	assert_non_null(conn6_lookup(t, &out, NULL));
	/* kept by the callback: still indexed */
	e.keep = true;
	conn6_expire_tick(t, due + 1000, 100, on_expire, &e);
	assert_int_equal(e.n, 1);
	assert_int_equal(e.svc_id, 9);
	assert_non_null(conn6_lookup(t, &in, NULL));
	/* let go: both keys gone, the slot reusable */
	e.keep = false;
	conn6_expire_tick(t, 2 * due + 3000, 100, on_expire, &e);
	assert_int_equal(e.n, 2);
	assert_null(conn6_lookup(t, &in, NULL));
	assert_null(conn6_lookup(t, &out, NULL));
	assert_int_equal(conn6_count(t), 0);
	c = conn6_new(t, &in, &out, 0, 2 * due + 3000);
	assert_non_null(c);
	conn6_table_free(t);
}

/* A persistence template: in key only, its own timeout. */
static void
test_template(void **state)
{
	struct conn6_table *t;
	struct conn6_key in, out, got;
	struct expired e = { 0 };
	struct conn *c;

	(void)state;
	assert_int_equal(conn6_table_create(&t, "t5", 4, SOCKET_ID_ANY), 0);
	keys_of(1, &in, &out);
	c = conn6_new_timed(t, &in, 60000, 0);
	assert_non_null(c);
	assert_int_equal(conn_timeout_of(conn6_life(t), c), 60000);
	conn6_key_get(t, c, CONN_SIDE_OUT, &got);
	assert_int_equal(got.family, 0);
	assert_false(conn6_has_out(t, c));
	conn6_expire_tick(t, 30000, 100, on_expire, &e);
	assert_int_equal(e.n, 0);
	conn6_expire_tick(t, 61000, 100, on_expire, &e);
	assert_int_equal(e.n, 1);
	assert_null(conn6_lookup(t, &in, NULL));
	conn6_table_free(t);
}

/* Random adds and deletes against a model: every live connection found
 * under both keys, every deleted one under neither. */
static void
test_random_against_model(void **state)
{
	enum { CAP = 4096, N = 6000, OPS = 40000 };
	static bool live[N];
	static struct conn *conns[N];
	struct conn6_table *t;
	struct conn6_key in, out;
	uint32_t n_live = 0;

	(void)state;
	srand(7);
	assert_int_equal(conn6_table_create(&t, "t6", CAP, SOCKET_ID_ANY), 0);
	for (int op = 0; op < OPS; op++) {
		uint32_t i = (uint32_t)rand() % N;

		keys_of(i, &in, &out);
		if (live[i]) {
			conn6_del(t, conns[i]);
			live[i] = false;
			n_live--;
			continue;
		}
		conns[i] = conn6_new(t, &in, &out, TCP_S_ESTABLISHED, 0);
		if (n_live == CAP) {
			assert_null(conns[i]);
			assert_int_equal(rte_errno, ENOSPC);
			continue;
		}
		assert_non_null(conns[i]);
		live[i] = true;
		n_live++;
	}
	assert_int_equal(conn6_count(t), n_live);
	for (uint32_t i = 0; i < N; i++) {
		bool reply;

		keys_of(i, &in, &out);
		assert_ptr_equal(conn6_lookup(t, &in, &reply), live[i] ? conns[i] : NULL);
		assert_ptr_equal(conn6_lookup(t, &out, &reply), live[i] ? conns[i] : NULL);
		assert_int_equal(reply, live[i]);
	}
	assert_int_equal(conn6_table_check(t), 0);
	conn6_table_free(t);
}

/* The burst path's bulk lookup gives conn6_lookup()'s answers for
 * in keys, out keys and absent ones, in a table small enough that
 * buckets overflow (the full probe); its watch flags the answers a
 * later insert or removal may change. */
static void
test_bulk_lookup_and_watch(void **state)
{
	enum { N = 200, Q = CONN_BULK_MAX };
	struct conn6_key in, out, keys[Q];
	struct conn_loc locs[Q];
	struct conn *conns[Q], *c;
	bool reply[Q], r;
	struct conn6_table *t;
	unsigned int i, round, hits, want;

	(void)state;
	assert_int_equal(conn6_table_create(&t, "t8", N + 1, SOCKET_ID_ANY), 0);
	for (i = 0; i < N; i++) {
		keys_of(i * 2, &in, &out);	/* the odd ones stay absent */
		assert_non_null(conn6_new(t, &in, &out, TCP_S_ESTABLISHED, 1));
	}
	for (round = 0; round < 40; round++) {
		for (i = 0, want = 0; i < Q; i++) {
			uint32_t n = (round * 37 + i * 11) % (2 * N);

			keys_of(n, &in, &out);
			keys[i] = (i & 1) ? out : in;
			locs[i] = conn6_key_locate(t, &keys[i]);
			want += conn6_lookup(t, &keys[i], NULL) != NULL;
		}
		hits = conn6_lookup_bulk_located(t, keys, locs, Q, conns, reply);
		assert_int_equal(hits, want);
		for (i = 0; i < Q; i++) {
			assert_ptr_equal(conns[i], conn6_lookup(t, &keys[i], &r));
			if (conns[i] != NULL)
				assert_int_equal(reply[i], r);
		}
	}
	/* a miss goes stale when its key is added, a hit when any
	 * connection goes */
	keys_of(1, &in, &out);
	keys[0] = in;
	locs[0] = conn6_key_locate(t, &keys[0]);
	keys_of(2, &keys[1], &out);
	locs[1] = conn6_key_locate(t, &keys[1]);
	conn6_lookup_bulk_located(t, keys, locs, 2, conns, reply);
	assert_null(conns[0]);
	assert_non_null(conns[1]);
	conn6_watch(t);
	assert_false(conn6_answer_stale(t, &locs[1], conns[1]));
	c = conn6_new(t, &in, NULL, TCP_S_SYN_RECV, 1);
	assert_non_null(c);
	assert_true(conn6_answer_stale(t, &locs[0], NULL));
	assert_false(conn6_answer_stale(t, &locs[1], conns[1]));
	conn6_del(t, c);
	assert_true(conn6_answer_stale(t, &locs[1], conns[1]));
	assert_int_equal(conn6_table_check(t), 0);
	conn6_table_free(t);
}

/* The bytes of DPDK memory one IPv6 connection costs (measured on the
 * heap), printed for docs/conn-table.md: what conn6_table_memory()
 * reports, which counts every allocation. */
static void
test_bytes_per_connection(void **state)
{
	enum { CAP = 1u << 16 };
	struct rte_malloc_socket_stats before, after;
	struct conn6_table *t;
	double per;

	(void)state;
	rte_malloc_get_socket_stats(0, &before);
	assert_int_equal(conn6_table_create(&t, "t7", CAP, 0), 0);
	rte_malloc_get_socket_stats(0, &after);
	per = (double)(after.heap_allocsz_bytes - before.heap_allocsz_bytes) / CAP;
	printf("conn6: %.0f bytes per IPv6 connection (capacity %u; %.0f by "
	       "conn6_table_memory())\n", per, CAP,
	       (double)conn6_table_memory(t) / CAP);
	assert_true(per >= (double)conn6_table_memory(t) / CAP);
	/* entry 64, keys 80, index 21.3, and the heap's rounding */
	assert_true(per < 176);
	conn6_table_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_lookup_both_sides),
		cmocka_unit_test(test_nat64_server_side),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_expiry_by_state_and_keep),
		cmocka_unit_test(test_template),
		cmocka_unit_test(test_random_against_model),
		cmocka_unit_test(test_bulk_lookup_and_watch),
		cmocka_unit_test(test_bytes_per_connection),
	};

	if (test_eal_init() != 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
