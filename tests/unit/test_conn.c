/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Connection table: both keys, deletion, fullness, wheel expiry, bulk
 * lookup, paging, memory per connection, no allocation on the packet
 * path. */
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "conn/conn.h"
#include "eal_helper.h"

/* ---- helpers ---- */

static struct conn_key4
key4(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
     uint8_t proto)
{
	struct conn_key4 k = {
		.src_addr = htonl(src), .dst_addr = htonl(dst),
		.src_port = htons(sport), .dst_port = htons(dport),
		.proto = proto,
	};

	return k;
}

#define CLIENT(i) (0xc6120000u + 10 + (i) / 60000)	/* 198.18.0.10+ */
#define CPORT(i) ((uint16_t)(1024 + (i) % 60000))
#define VIP 0xc6120101u					/* 198.18.1.1 */
#define RS(i) (0xc6130002u + (i) % 4)			/* 198.19.0.2.. */
#define LIP(i) (0xc6120201u + (i) / 60000)		/* 198.18.2.1+ */
#define LPORT(i) ((uint16_t)(1024 + (i) % 60000))

/* The FNAT keys of connection number i: client -> VIP:80 and
 * RS:8080 -> LIP:lport. */
static void
fnat_keys(uint32_t i, uint8_t proto, struct conn_key4 *in,
	  struct conn_key4 *out)
{
	*in = key4(CLIENT(i), VIP, CPORT(i), 80, proto);
	*out = key4(RS(i), LIP(i), 8080, LPORT(i), proto);
}

static struct conn *
add_fnat(struct conn_table *t, uint32_t i, uint8_t state, uint32_t now)
{
	struct conn_key4 in, out;
	struct conn *c;

	fnat_keys(i, IPPROTO_TCP, &in, &out);
	c = conn_new(t, &in, &out, state, now);
	if (c != NULL)
		c->priv[0] = i;
	return c;
}

static struct conn_table *
table(uint32_t capacity)
{
	struct conn_table *t;

	assert_int_equal(conn_table_create(&t, "test", capacity,
					   SOCKET_ID_ANY), 0);
	return t;
}

/* Records expiries by priv[0]. */
struct expiry_log {
	uint32_t n;
	uint32_t times[16];	/* number of callbacks per tag */
	uint32_t when[16];	/* now at the callback */
	uint32_t now;
};

static bool
log_expire(void *ctx, struct conn *c)
{
	struct expiry_log *l = ctx;

	l->n++;
	if (c->priv[0] < 16) {
		l->times[c->priv[0]]++;
		l->when[c->priv[0]] = l->now;
	}
	return c->priv[1] != 0;	/* kept while priv[1] says so */
}

static unsigned int
tick(struct conn_table *t, struct expiry_log *l, uint32_t now)
{
	l->now = now;
	return conn_expire_tick(t, now, UINT32_MAX, log_expire, l);
}

/* ---- keys ---- */

static void
test_both_keys(void **state)
{
	struct conn_table *t = table(1024);
	struct conn_key4 in, out, k, k2;
	struct conn *c;
	bool reply = true;

	(void)state;
	fnat_keys(7, IPPROTO_TCP, &in, &out);
	c = conn_new(t, &in, &out, TCP_S_SYN_RECV, 5000);
	assert_non_null(c);
	assert_int_equal(conn_count(t), 1);
	assert_int_equal(c->proto, IPPROTO_TCP);
	assert_int_equal(c->state, TCP_S_SYN_RECV);
	assert_int_equal(c->last_seen, 5000);
	assert_int_equal(c->flags, CONN_F_LIVE);
	assert_int_equal(c->aux, 0);

	assert_ptr_equal(conn_lookup4(t, &in, &reply), c);
	assert_false(reply);
	assert_ptr_equal(conn_lookup4(t, &out, &reply), c);
	assert_true(reply);
	assert_ptr_equal(conn_lookup4(t, &in, NULL), c);

	/* the keys come back from the entry */
	conn_key4_get(c, CONN_SIDE_IN, &k);
	assert_memory_equal(&k, &in, sizeof(k));
	conn_key4_get(c, CONN_SIDE_OUT, &k);
	assert_memory_equal(&k, &out, sizeof(k));

	/* other protocol, reversed tuple, other port: nothing */
	k = in;
	k.proto = IPPROTO_UDP;
	assert_null(conn_lookup4(t, &k, NULL));
	k = key4(VIP, CLIENT(7), 80, CPORT(7), IPPROTO_TCP);
	assert_null(conn_lookup4(t, &k, NULL));
	k = in;
	k.src_port ^= 1;
	assert_null(conn_lookup4(t, &k, NULL));
	/* the pad is not part of the key */
	k = in;
	k.pad[0] = 0xff;
	assert_ptr_equal(conn_lookup4(t, &k, NULL), c);

	/* a key can belong to one connection only */
	fnat_keys(8, IPPROTO_TCP, &k, &k2);
	assert_null(conn_new(t, &in, &k, TCP_S_SYN_RECV, 5000));
	assert_int_equal(rte_errno, EEXIST);
	assert_null(conn_new(t, &k, &out, TCP_S_SYN_RECV, 5000));
	assert_int_equal(rte_errno, EEXIST);
	/* both keys of one protocol, and distinct */
	out.proto = IPPROTO_UDP;
	assert_null(conn_new(t, &k, &out, TCP_S_SYN_RECV, 5000));
	assert_int_equal(rte_errno, EINVAL);
	assert_null(conn_new(t, &k, &k, TCP_S_SYN_RECV, 5000));
	assert_int_equal(rte_errno, EINVAL);
	assert_int_equal(conn_count(t), 1);

	/* DR: the in key only */
	k = key4(CLIENT(9), VIP, 999, 80, IPPROTO_UDP);
	c = conn_new(t, &k, NULL, UDP_ONEWAY, 5000);
	assert_non_null(c);
	assert_true(c->flags & CONN_F_NO_OUT);
	assert_ptr_equal(conn_lookup4(t, &k, &reply), c);
	assert_false(reply);
	assert_int_equal(conn_table_check(t), 0);
	conn_table_free(t);
}

static void
test_delete_removes_both_keys(void **state)
{
	struct conn_table *t = table(1024);
	struct conn_key4 in, out, in2, out2;
	struct conn *c, *c2;

	(void)state;
	fnat_keys(1, IPPROTO_TCP, &in, &out);
	fnat_keys(2, IPPROTO_TCP, &in2, &out2);
	c = conn_new(t, &in, &out, TCP_S_ESTABLISHED, 0);
	c2 = conn_new(t, &in2, &out2, TCP_S_ESTABLISHED, 0);
	assert_non_null(c);
	assert_non_null(c2);
	conn_del(t, c);
	assert_int_equal(conn_count(t), 1);
	assert_null(conn_lookup4(t, &in, NULL));
	assert_null(conn_lookup4(t, &out, NULL));
	assert_ptr_equal(conn_lookup4(t, &in2, NULL), c2);
	assert_ptr_equal(conn_lookup4(t, &out2, NULL), c2);
	assert_int_equal(conn_table_check(t), 0);
	/* the keys are free again; the entry is recycled */
	c = conn_new(t, &in, &out, TCP_S_ESTABLISHED, 0);
	assert_non_null(c);
	conn_del(t, c2);
	conn_del(t, c);
	assert_int_equal(conn_count(t), 0);
	assert_int_equal(conn_table_check(t), 0);
	conn_table_free(t);
}

static void
test_full_then_space(void **state)
{
	struct conn_table *t = table(100);
	struct conn *c[100];
	uint32_t i;

	(void)state;
	for (i = 0; i < 100; i++) {
		c[i] = add_fnat(t, i, TCP_S_SYN_RECV, 0);
		assert_non_null(c[i]);
	}
	assert_int_equal(conn_count(t), 100);
	assert_null(add_fnat(t, 100, TCP_S_SYN_RECV, 0));
	assert_int_equal(rte_errno, ENOSPC);
	conn_del(t, c[42]);
	assert_non_null(add_fnat(t, 100, TCP_S_SYN_RECV, 0));
	assert_null(add_fnat(t, 101, TCP_S_SYN_RECV, 0));
	assert_int_equal(rte_errno, ENOSPC);
	assert_int_equal(conn_table_check(t), 0);
	conn_table_free(t);
}

/* Random churn against a model, on tables small enough that buckets
 * overflow into their neighbours, checking the invariants as it goes. */
static void
test_churn_model(void **state)
{
	static const uint32_t caps[] = { 1, 3, 12, 100, 5000 };
	unsigned int ci;

	(void)state;
	for (ci = 0; ci < RTE_DIM(caps); ci++) {
		uint32_t cap = caps[ci], universe = cap * 3, i, op;
		struct conn_table *t = table(cap);
		struct conn **model = calloc(universe, sizeof(*model));
		uint32_t live = 0;

		assert_non_null(model);
		for (op = 0; op < 20000 + cap * 20; op++) {
			struct conn_key4 in, out;
			struct conn *c;
			bool reply;

			i = rte_rand_max(universe);
			fnat_keys(i, IPPROTO_TCP, &in, &out);
			c = conn_lookup4(t, rte_rand() & 1 ? &in : &out,
					 &reply);
			assert_ptr_equal(c, model[i]);
			if (c != NULL) {
				conn_del(t, c);
				model[i] = NULL;
				live--;
			} else {
				c = add_fnat(t, i, TCP_S_ESTABLISHED, 0);
				if (live == cap) {
					assert_null(c);
					assert_int_equal(rte_errno, ENOSPC);
				} else {
					assert_non_null(c);
					model[i] = c;
					live++;
				}
			}
			assert_int_equal(conn_count(t), live);
			if (op % 997 == 0)
				assert_int_equal(conn_table_check(t), 0);
		}
		assert_int_equal(conn_table_check(t), 0);
		free(model);
		conn_table_free(t);
	}
}

/* ---- expiry ---- */

static void
test_expiry_per_state(void **state)
{
	static const struct {
		uint8_t proto, state;
	} cases[] = {
		{ IPPROTO_TCP, TCP_S_ESTABLISHED },	/* 90 s */
		{ IPPROTO_TCP, TCP_S_SYN_RECV },	/* 30 s */
		{ IPPROTO_TCP, TCP_S_CLOSE },		/* 3 s */
		{ IPPROTO_TCP, TCP_S_TIME_WAIT },	/* 7 s */
		{ IPPROTO_UDP, UDP_ONEWAY },		/* 300 s */
		{ IPPROTO_TCP, TCP_S_LISTEN },		/* 120 s */
	};
	const uint32_t t0 = 123457;	/* not on a slot boundary */
	struct conn_table *t = table(64);
	struct conn_timeouts to;
	struct expiry_log l = { 0 };
	uint32_t i, now;

	(void)state;
	conn_timeouts_default(&to);
	for (i = 0; i < RTE_DIM(cases); i++) {
		struct conn_key4 in, out;
		struct conn *c;

		fnat_keys(i, cases[i].proto, &in, &out);
		c = conn_new(t, &in, &out, cases[i].state, t0);
		assert_non_null(c);
		c->priv[0] = i;
	}
	for (now = t0; now < t0 + 400000; now += 50)
		tick(t, &l, now);
	assert_int_equal(l.n, RTE_DIM(cases));
	assert_int_equal(conn_count(t), 0);
	for (i = 0; i < RTE_DIM(cases); i++) {
		uint32_t due = t0 + (uint32_t)conn_timeout_ms(
				&to, cases[i].proto, cases[i].state);

		assert_int_equal(l.times[i], 1);	/* exactly once */
		/* never early, at most one slot and one tick late */
		assert_true(l.when[i] >= due);
		assert_true(l.when[i] <= due + 256 + 50);
	}
	conn_table_free(t);
}

static void
test_touch_rearms(void **state)
{
	struct conn_table *t = table(64);
	struct expiry_log l = { 0 };
	struct conn *busy, *idle;
	uint32_t now;

	(void)state;
	busy = add_fnat(t, 0, TCP_S_ESTABLISHED, 0);
	idle = add_fnat(t, 1, TCP_S_ESTABLISHED, 0);
	assert_non_null(busy);
	assert_non_null(idle);
	(void)idle;
	for (now = 0; now <= 200000; now += 100) {
		/* busy sees a packet every 10 s until 80 s */
		if (now % 10000 == 0 && now <= 80000)
			conn_touch(busy, now);
		tick(t, &l, now);
		if (now == 89000) {
			assert_int_equal(l.n, 0);
		}
		if (now == 91000) {
			/* idle went at 90 s, busy lives until 170 s */
			assert_int_equal(l.n, 1);
			assert_int_equal(l.times[1], 1);
			assert_int_equal(l.times[0], 0);
		}
		if (now == 169900)
			assert_int_equal(l.times[0], 0);
	}
	assert_int_equal(l.times[0], 1);
	assert_int_equal(l.times[1], 1);
	assert_true(l.when[0] >= 170000 && l.when[0] <= 170000 + 356);
	assert_true(l.when[1] >= 90000 && l.when[1] <= 90000 + 356);
	assert_int_equal(conn_count(t), 0);
	conn_table_free(t);
}

/* A shorter state is not left waiting out the longer timeout it was
 * filed under; a longer one is re-filed when its old slot comes. */
static void
test_set_state(void **state)
{
	struct conn_table *t = table(64);
	struct expiry_log l = { 0 };
	struct conn *a, *b;
	uint32_t now;

	(void)state;
	a = add_fnat(t, 0, TCP_S_ESTABLISHED, 0);	/* 90 s */
	b = add_fnat(t, 1, TCP_S_SYN_RECV, 0);		/* 30 s */
	assert_non_null(a);
	assert_non_null(b);
	for (now = 0; now <= 200000; now += 100) {
		if (now == 10000) {
			conn_touch(a, now);
			conn_set_state(t, a, TCP_S_CLOSE, now);	/* 3 s */
			conn_touch(b, now);
			conn_set_state(t, b, TCP_S_ESTABLISHED, now);
			assert_int_equal(conn_table_check(t), 0);
		}
		tick(t, &l, now);
	}
	assert_int_equal(l.times[0], 1);
	assert_true(l.when[0] >= 13000 && l.when[0] <= 13000 + 356);
	assert_int_equal(l.times[1], 1);
	assert_true(l.when[1] >= 100000 && l.when[1] <= 100000 + 356);
	conn_table_free(t);
}

static void
test_budget(void **state)
{
	struct conn_table *t = table(1000);
	struct expiry_log l = { 0 };
	unsigned int n, total = 0, calls = 0;
	uint32_t i;

	(void)state;
	for (i = 0; i < 1000; i++)
		assert_non_null(add_fnat(t, 16 + i, TCP_S_CLOSE, 0));
	l.now = 10000;
	n = conn_expire_tick(t, 10000, 100, log_expire, &l);
	assert_int_equal(n, 100);
	assert_int_equal(conn_count(t), 900);
	total = n;
	while (conn_count(t) > 0) {
		n = conn_expire_tick(t, 10000, 64, log_expire, &l);
		assert_true(n <= 64);
		total += n;
		calls++;
		assert_true(calls < 100);
	}
	assert_int_equal(total, 1000);
	assert_int_equal(l.n, 1000);
	/* live entries count against the budget too */
	for (i = 0; i < 100; i++)
		assert_non_null(add_fnat(t, 16 + i, TCP_S_ESTABLISHED, 20000));
	l.n = 0;
	assert_int_equal(conn_expire_tick(t, 200000, 0, log_expire, &l), 0);
	assert_int_equal(conn_expire_tick(t, 200000, 10, log_expire, &l), 10);
	assert_int_equal(conn_count(t), 90);
	assert_int_equal(conn_table_check(t), 0);
	conn_table_free(t);
}

/* The millisecond clock wraps every 49.7 days. */
static void
test_clock_wrap(void **state)
{
	const uint32_t t0 = UINT32_MAX - 30000;
	struct conn_table *t = table(64);
	struct expiry_log l = { 0 };
	struct conn *c;
	uint32_t now, step;

	(void)state;
	c = add_fnat(t, 0, TCP_S_ESTABLISHED, t0);
	assert_non_null(c);
	assert_non_null(add_fnat(t, 1, TCP_S_CLOSE, t0));
	for (step = 0, now = t0; step < 2000; step++, now += 100) {
		if (step == 500)
			conn_touch(c, now);	/* 50 s: past the wrap */
		tick(t, &l, now);
	}
	assert_int_equal(l.times[1], 1);
	assert_true(l.when[1] - t0 >= 3000 && l.when[1] - t0 <= 3356);
	assert_int_equal(l.times[0], 1);
	assert_true(l.when[0] - t0 >= 140000 && l.when[0] - t0 <= 140356);
	conn_table_free(t);
}

/* A worker that did not tick for an hour catches up in bounded calls. */
static void
test_long_stall(void **state)
{
	struct conn_table *t = table(64);
	struct expiry_log l = { 0 };
	uint32_t i;

	(void)state;
	for (i = 0; i < 10; i++)
		assert_non_null(add_fnat(t, i, TCP_S_ESTABLISHED, 1000));
	tick(t, &l, 1000);
	assert_int_equal(tick(t, &l, 3600000), 10);
	assert_int_equal(conn_count(t), 0);
	conn_table_free(t);
}

/* ---- bulk lookup and listing ---- */

static void
test_bulk_equals_single(void **state)
{
	enum { N = 5000, K = 75 };
	struct conn_table *t = table(N);
	struct conn_key4 keys[K];
	struct conn *got[K];
	bool reply[K];
	uint32_t i, round;

	(void)state;
	for (i = 0; i < N; i++)
		assert_non_null(add_fnat(t, i, TCP_S_ESTABLISHED, 0));
	for (round = 0; round < 200; round++) {
		unsigned int hits = 0, found;

		for (i = 0; i < K; i++) {
			struct conn_key4 in, out;
			uint32_t j = rte_rand_max(N * 2);

			fnat_keys(j, IPPROTO_TCP, &in, &out);
			keys[i] = rte_rand() & 1 ? in : out;
		}
		found = conn_lookup4_bulk(t, keys, K, got, reply);
		for (i = 0; i < K; i++) {
			bool r = false;
			struct conn *c = conn_lookup4(t, &keys[i], &r);

			assert_ptr_equal(got[i], c);
			if (c != NULL) {
				assert_int_equal(reply[i], r);
				hits++;
			}
		}
		assert_int_equal(found, hits);
		assert_true(hits > 0 && hits < K);
		/* is_reply may be left out */
		assert_int_equal(conn_lookup4_bulk(t, keys, K, got, NULL),
				 found);
	}
	conn_table_free(t);
}

/* A burst's answers stay right: whatever conn_answer_stale() does not
 * flag is what a lookup now says, after connections were added (some
 * of them keys the burst missed) and removed (some it found). */
static void
test_answer_stale(void **state)
{
	enum { N = 4000, K = 32 };
	struct conn_table *t = table(N * 2);
	struct conn_key4 keys[K];
	struct conn *got[K];
	bool reply[K];
	uint32_t i, round, kept_misses = 0, kept_hits = 0;

	(void)state;
	for (i = 0; i < N; i++)
		assert_non_null(add_fnat(t, i, TCP_S_ESTABLISHED, 0));
	for (round = 0; round < 300; round++) {
		for (i = 0; i < K; i++) {
			struct conn_key4 in, out;

			fnat_keys(rte_rand_max(N * 2), IPPROTO_TCP, &in, &out);
			keys[i] = rte_rand() & 1 ? in : out;
		}
		conn_lookup4_bulk(t, keys, K, got, reply);
		conn_watch(t);
		for (i = 0; i < 4; i++) {
			struct conn_key4 in, out;
			uint32_t j = rte_rand_max(N * 2);
			struct conn *c;

			/* a key the burst looked up, or any other */
			if (rte_rand() & 1) {
				c = conn_lookup4(t, &keys[i * 7], NULL);
				if (c != NULL && round % 3 == 0)
					conn_del(t, c);
			}
			fnat_keys(j, IPPROTO_TCP, &in, &out);
			if (i == 0)
				in = keys[round % K];
			if (conn_lookup4(t, &in, NULL) == NULL)
				(void)conn_new(t, &in, NULL, TCP_S_SYN_RECV, 0);
		}
		for (i = 0; i < K; i++) {
			struct conn_loc loc = conn_key_loc(t, &keys[i]);
			bool r = false;
			struct conn *now = conn_lookup4(t, &keys[i], &r);

			if (conn_answer_stale(t, &loc, got[i]))
				continue;
			assert_ptr_equal(got[i], now);
			if (now != NULL)
				assert_int_equal(reply[i], r);
			kept_misses += now == NULL;
			kept_hits += now != NULL;
		}
		/* keep the table from filling up */
		while (conn_count(t) > N + N / 2) {
			struct conn_key4 in, out;
			struct conn *c;

			fnat_keys(rte_rand_max(N * 2), IPPROTO_TCP, &in, &out);
			c = conn_lookup4(t, &in, NULL);
			if (c != NULL)
				conn_del(t, c);
		}
	}
	/* the filter passes most answers */
	assert_true(kept_misses > 300 * K / 8);
	assert_true(kept_hits > 0);
	assert_int_equal(conn_table_check(t), 0);
	conn_table_free(t);
}

struct visit {
	uint8_t *seen;
	uint32_t n;
	uint32_t stop_at;
};

static int
visit_cb(const struct conn *c, void *arg)
{
	struct visit *v = arg;

	v->seen[c->priv[0]]++;
	v->n++;
	return v->stop_at != 0 && v->n == v->stop_at;
}

static void
test_foreach_paging(void **state)
{
	enum { N = 10000 };
	struct conn_table *t = table(N);
	struct conn *c[N];
	struct visit v = { .seen = calloc(N * 2, 1) };
	uint32_t cursor = 0, i, pages = 0, live = 0;
	unsigned int got;

	(void)state;
	assert_non_null(v.seen);
	for (i = 0; i < N; i++)
		assert_non_null(c[i] = add_fnat(t, i, TCP_S_ESTABLISHED, 0));
	for (i = 0; i < N; i += 3)
		conn_del(t, c[i]);
	/* page through while the table changes between pages */
	while (cursor != CONN_ITER_END) {
		got = conn_foreach(t, &cursor, 100, visit_cb, &v);
		assert_true(got <= 100);
		pages++;
		if (pages == 10) {
			/* delete some (never visited again or at all), add
			 * some (may or may not be visited, at most once) */
			for (i = 1; i < 200; i += 3)
				conn_del(t, c[i]);
			for (i = N; i < N + 50; i++)
				assert_non_null(add_fnat(t, i, TCP_S_ESTABLISHED,
							 0));
		}
	}
	for (i = 0; i < N; i++) {
		bool deleted_early = i % 3 == 0;
		bool deleted_later = i % 3 == 1 && i < 200;

		if (deleted_early)
			assert_int_equal(v.seen[i], 0);
		else if (!deleted_later)
			assert_int_equal(v.seen[i], 1);	/* every one, once */
		else
			assert_true(v.seen[i] <= 1);
		live += !deleted_early;
	}
	for (i = N; i < N + 50; i++)
		assert_true(v.seen[i] <= 1);
	(void)live;

	/* the callback can stop a page; the next page goes on after it */
	memset(v.seen, 0, N * 2);
	v.n = 0;
	v.stop_at = 7;
	cursor = 0;
	assert_int_equal(conn_foreach(t, &cursor, 100, visit_cb, &v), 7);
	v.stop_at = 0;
	while (cursor != CONN_ITER_END)
		conn_foreach(t, &cursor, 1000, visit_cb, &v);
	assert_int_equal(v.n, conn_count(t));
	for (i = 0; i < N + 50; i++)
		assert_true(v.seen[i] <= 1);
	/* an empty table ends at once */
	free(v.seen);
	conn_table_free(t);
	t = table(10);
	cursor = 0;
	assert_int_equal(conn_foreach(t, &cursor, 10, visit_cb, &v), 0);
	assert_int_equal(cursor, CONN_ITER_END);
	conn_table_free(t);
}

/* ---- memory ---- */

static size_t
heap_used(void)
{
	struct rte_malloc_socket_stats s;
	size_t sum = 0;
	unsigned int i;

	for (i = 0; i < RTE_MAX_NUMA_NODES; i++)
		if (rte_malloc_get_socket_stats(i, &s) == 0)
			sum += s.heap_allocsz_bytes;
	return sum;
}

static void
test_memory_per_conn(void **state)
{
	const uint32_t cap = 1u << 20;
	struct conn_table *t;
	size_t before = heap_used(), heap;
	double per, per_heap;
	uint32_t i;

	(void)state;
	t = table(cap);
	heap = heap_used() - before;
	per = (double)conn_table_memory(t) / cap;
	per_heap = (double)heap / cap;
	printf("[ INFO     ] conn table, %u IPv4 connections: %zu bytes, "
	       "%.2f bytes per connection (heap: %.2f); entry %zu, index %.2f\n",
	       cap, conn_table_memory(t), per, per_heap, sizeof(struct conn),
	       per - sizeof(struct conn));
	assert_true(per <= 96.0);
	assert_true(per_heap <= 96.0);
	/* what was promised holds when full: every insert and lookup */
	for (i = 0; i < cap; i++)
		assert_non_null(add_fnat(t, i, TCP_S_ESTABLISHED, 0));
	assert_null(add_fnat(t, cap, TCP_S_ESTABLISHED, 0));
	for (i = 0; i < cap; i += 7) {
		struct conn_key4 in, out;
		struct conn *c;

		fnat_keys(i, IPPROTO_TCP, &in, &out);
		c = conn_lookup4(t, &out, NULL);
		assert_non_null(c);
		assert_ptr_equal(conn_lookup4(t, &in, NULL), c);
		assert_int_equal(c->priv[0], i);
	}
	assert_int_equal(heap_used() - before, heap);
	conn_table_free(t);
}

/* The packet-path functions never allocate, from DPDK or libc. */
static void
test_no_alloc(void **state)
{
	struct conn_table *t = table(4096);
	struct rte_malloc_socket_stats s0, s1;
	struct conn_key4 keys[32];
	struct conn *got[32];
	struct mallinfo2 m0, m1;
	uint32_t i;

	(void)state;
	rte_malloc_get_socket_stats(0, &s0);
	m0 = mallinfo2();
	for (i = 0; i < 4096; i++) {
		struct conn *c = add_fnat(t, i, TCP_S_SYN_RECV, i);

		assert_non_null(c);
		conn_touch(c, i + 1);
		conn_set_state(t, c, i & 1 ? TCP_S_ESTABLISHED : TCP_S_CLOSE,
			       i + 1);
	}
	for (i = 0; i < 32; i++) {
		struct conn_key4 in, out;

		fnat_keys(i * 100, IPPROTO_TCP, &in, &out);
		keys[i] = i & 1 ? out : in;
	}
	assert_int_equal(conn_lookup4_bulk(t, keys, 32, got, NULL), 32);
	conn_del(t, got[0]);
	conn_expire_tick(t, 10000, 1000, NULL, NULL);
	conn_expire_tick(t, 100000, 100000, NULL, NULL);
	rte_malloc_get_socket_stats(0, &s1);
	m1 = mallinfo2();
	assert_int_equal(s1.alloc_count, s0.alloc_count);
	assert_int_equal(s1.heap_allocsz_bytes, s0.heap_allocsz_bytes);
	assert_int_equal(m1.uordblks, m0.uordblks);
	assert_int_equal(conn_count(t), 0);
	conn_table_free(t);
}

/* Persistence templates: an in key only, their own timeout whatever
 * the state, kept by the callback while it controls connections. */
static void
test_timed_entry(void **state)
{
	struct conn_table *t = table(16);
	struct expiry_log l = { 0 };
	struct conn_key4 k = key4(CLIENT(0) & ~0xffu, VIP, 0, 80, IPPROTO_TCP);
	struct conn_key4 out;
	struct conn *c;
	bool reply;

	(void)state;
	c = conn_new_timed(t, &k, 300000, 1000);
	assert_non_null(c);
	assert_true(c->flags & CONN_F_OWN_TIMEOUT);
	assert_true(c->flags & CONN_F_NO_OUT);
	assert_int_equal(conn_timeout_of(t, c), 300000);
	assert_ptr_equal(conn_lookup4(t, &k, &reply), c);
	assert_false(reply);
	conn_key4_get(c, CONN_SIDE_OUT, &out);
	assert_int_equal(out.src_addr, 0);	/* the timeout is not a key */
	assert_null(conn_new_timed(t, &k, 1000, 1000));
	assert_int_equal(rte_errno, EEXIST);
	c->priv[0] = 3;
	c->priv[1] = 1;				/* controls a connection */
	assert_int_equal(tick(t, &l, 2000 + 300000), 1 - 1);
	assert_int_equal(l.times[3], 1);	/* asked, and kept */
	assert_int_equal(conn_count(t), 1);
	assert_int_equal(conn_table_check(t), 0);
	c->priv[1] = 0;
	assert_int_equal(tick(t, &l, 2000 + 300000 + 299000), 0);
	assert_int_equal(tick(t, &l, 2000 + 600000 + 1000), 1);
	assert_int_equal(l.times[3], 2);
	assert_int_equal(conn_count(t), 0);
	assert_int_equal(conn_table_check(t), 0);
	conn_table_free(t);
}

static void
test_create_args(void **state)
{
	struct conn_table *t = (void *)1;

	(void)state;
	assert_int_equal(conn_table_create(&t, "x", 0, SOCKET_ID_ANY),
			 -EINVAL);
	assert_null(t);
	assert_int_equal(conn_table_create(&t, "x", CONN_MAX_CAPACITY + 1,
					   SOCKET_ID_ANY), -EINVAL);
	conn_table_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_args),
		cmocka_unit_test(test_timed_entry),
		cmocka_unit_test(test_both_keys),
		cmocka_unit_test(test_delete_removes_both_keys),
		cmocka_unit_test(test_full_then_space),
		cmocka_unit_test(test_churn_model),
		cmocka_unit_test(test_expiry_per_state),
		cmocka_unit_test(test_touch_rearms),
		cmocka_unit_test(test_set_state),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_clock_wrap),
		cmocka_unit_test(test_long_stall),
		cmocka_unit_test(test_bulk_equals_single),
		cmocka_unit_test(test_answer_stale),
		cmocka_unit_test(test_foreach_paging),
		cmocka_unit_test(test_memory_per_conn),
		cmocka_unit_test(test_no_alloc),
	};

	if (test_eal_init() != 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
