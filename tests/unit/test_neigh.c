/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Neighbour state machine and table: states, timers, queueing. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <rte_mbuf.h>

#include "eal_helper.h"
#include "net/neigh.h"

static const struct neigh_params P = {
	.reachable_ms = 30000, .retrans_ms = 1000, .probes = 3, .queue_len = 2,
};

/* ---- the pure state machine ---- */

static void
test_fsm_start_probes(void **state)
{
	struct neigh_fsm f = { 0 };

	(void)state;
	assert_int_equal(neigh_fsm_start(&f, &P, 100), NEIGH_ACT_PROBE);
	assert_int_equal(f.state, NEIGH_INCOMPLETE);
	assert_int_equal(f.deadline_ms, 1100);
	assert_false(neigh_state_has_mac(f.state));
}

static void
test_fsm_incomplete_retries_then_fails(void **state)
{
	struct neigh_fsm f = { 0 };

	(void)state;
	neigh_fsm_start(&f, &P, 0);
	assert_int_equal(neigh_fsm_timer(&f, &P, 999), 0);
	assert_int_equal(neigh_fsm_timer(&f, &P, 1000), NEIGH_ACT_PROBE);
	assert_int_equal(neigh_fsm_timer(&f, &P, 2000), NEIGH_ACT_PROBE);
	assert_int_equal(f.probes_sent, 3);
	assert_int_equal(neigh_fsm_timer(&f, &P, 3000), NEIGH_ACT_DROP);
	assert_int_equal(f.state, NEIGH_FAILED);
	assert_int_equal(neigh_fsm_timer(&f, &P, 5999), 0);
	assert_int_equal(neigh_fsm_timer(&f, &P, 6000), NEIGH_ACT_REMOVE);
}

static void
test_fsm_confirm_reaches_reachable(void **state)
{
	struct neigh_fsm f = { 0 };

	(void)state;
	neigh_fsm_start(&f, &P, 0);
	assert_int_equal(neigh_fsm_confirm(&f, &P, 500), NEIGH_ACT_FLUSH);
	assert_int_equal(f.state, NEIGH_REACHABLE);
	assert_int_equal(f.deadline_ms, 30500);
	assert_true(neigh_state_has_mac(f.state));
}

static void
test_fsm_reachable_goes_stale_then_probe(void **state)
{
	struct neigh_fsm f = { 0 };

	(void)state;
	neigh_fsm_confirm(&f, &P, 0);
	assert_int_equal(neigh_fsm_timer(&f, &P, 30000), NEIGH_ACT_PROBE);
	assert_int_equal(f.state, NEIGH_STALE);
	assert_true(neigh_state_has_mac(f.state));
	assert_int_equal(neigh_fsm_timer(&f, &P, 31000), NEIGH_ACT_PROBE);
	assert_int_equal(f.state, NEIGH_PROBE);
	assert_true(neigh_state_has_mac(f.state));
	/* An answer during probing makes it reachable again. */
	neigh_fsm_confirm(&f, &P, 31500);
	assert_int_equal(f.state, NEIGH_REACHABLE);
}

static void
test_fsm_probe_fails_without_answer(void **state)
{
	struct neigh_fsm f = { 0 };

	(void)state;
	neigh_fsm_confirm(&f, &P, 0);
	neigh_fsm_timer(&f, &P, 30000);
	neigh_fsm_timer(&f, &P, 31000);
	neigh_fsm_timer(&f, &P, 32000);
	assert_int_equal(neigh_fsm_timer(&f, &P, 33000), NEIGH_ACT_DROP);
	assert_int_equal(f.state, NEIGH_FAILED);
	assert_false(neigh_state_has_mac(f.state));
}

static void
test_fsm_permanent_never_changes(void **state)
{
	struct neigh_fsm f = { 0 };

	(void)state;
	neigh_fsm_permanent(&f);
	assert_int_equal(neigh_fsm_timer(&f, &P, 1000000), 0);
	assert_int_equal(neigh_fsm_confirm(&f, &P, 5), 0);
	assert_int_equal(neigh_fsm_start(&f, &P, 5), 0);
	assert_int_equal(f.state, NEIGH_PERMANENT);
	assert_string_equal(neigh_state_name(f.state), "permanent");
}

/* ---- the table, with recording callbacks ---- */

static struct rte_mempool *pool;
static struct neigh_table nt;
static int n_probes, n_xmit, n_drop;
static enum drop_reason last_drop;
static struct rte_ether_addr last_mac;

static void
rec_probe(void *ctx, uint16_t port, const struct inet_addr *ip)
{
	(void)ctx; (void)port; (void)ip;
	n_probes++;
}

static void
rec_xmit(void *ctx, uint16_t port, struct rte_mbuf *m,
	 const struct rte_ether_addr *mac)
{
	(void)ctx; (void)port;
	last_mac = *mac;
	n_xmit++;
	rte_pktmbuf_free(m);
}

static void
rec_drop(void *ctx, struct rte_mbuf *m, enum drop_reason why)
{
	(void)ctx;
	last_drop = why;
	n_drop++;
	rte_pktmbuf_free(m);
}

static int
table_setup(void **state)
{
	struct neigh_ops ops = { .probe = rec_probe, .xmit = rec_xmit,
				 .drop = rec_drop };

	(void)state;
	n_probes = n_xmit = n_drop = 0;
	return neigh_table_init(&nt, "t_neigh", 16, &P, &ops, NULL);
}

static int
table_teardown(void **state)
{
	(void)state;
	neigh_table_free(&nt);
	return 0;
}

static struct inet_addr
v4(const char *s)
{
	return inet_addr_v4(inet_addr(s));
}

static const struct rte_ether_addr MAC1 = { { 2, 0, 0, 0, 0, 1 } };

static void
test_table_resolve_queues_and_flushes(void **state)
{
	struct inet_addr ip = v4("198.18.0.2");
	struct rte_ether_addr mac;

	(void)state;
	neigh_resolve(&nt, 0, &ip, rte_pktmbuf_alloc(pool), 0);
	neigh_resolve(&nt, 0, &ip, rte_pktmbuf_alloc(pool), 10);
	assert_int_equal(n_probes, 1);	/* one request, not one per packet */
	assert_int_equal(neigh_lookup4(&nt, 0, ip.v4.s_addr, &mac), -ENOENT);
	neigh_confirm(&nt, 0, &ip, &MAC1, false, 20);
	assert_int_equal(n_xmit, 2);
	assert_memory_equal(&last_mac, &MAC1, 6);
	assert_int_equal(neigh_lookup4(&nt, 0, ip.v4.s_addr, &mac), 0);
	assert_memory_equal(&mac, &MAC1, 6);
	/* Same address on another port is another neighbour. */
	assert_int_equal(neigh_lookup4(&nt, 1, ip.v4.s_addr, &mac), -ENOENT);
}

static void
test_table_queue_overflow_drops(void **state)
{
	struct inet_addr ip = v4("198.18.0.3");

	(void)state;
	neigh_resolve(&nt, 0, &ip, rte_pktmbuf_alloc(pool), 0);
	neigh_resolve(&nt, 0, &ip, rte_pktmbuf_alloc(pool), 0);
	neigh_resolve(&nt, 0, &ip, rte_pktmbuf_alloc(pool), 0);
	assert_int_equal(n_drop, 1);
	assert_int_equal(last_drop, DROP_NEIGH_QUEUE_FULL);
}

static void
test_table_failure_drops_queue_and_removes(void **state)
{
	struct inet_addr ip = v4("198.18.0.4");
	int i;

	(void)state;
	neigh_resolve(&nt, 0, &ip, rte_pktmbuf_alloc(pool), 0);
	for (i = 1; i <= 3; i++)
		neigh_tick(&nt, (uint64_t)i * 1000);
	assert_int_equal(n_probes, 3);
	assert_int_equal(n_drop, 1);
	assert_int_equal(last_drop, DROP_NO_NEIGHBOR);
	assert_int_equal(nt.count, 1);
	neigh_tick(&nt, 6000);
	assert_int_equal(nt.count, 0);
}

static void
test_table_unsolicited_needs_create(void **state)
{
	struct inet_addr ip = v4("198.18.0.5");
	struct rte_ether_addr mac;

	(void)state;
	assert_int_equal(neigh_confirm(&nt, 0, &ip, &MAC1, false, 0), -ENOENT);
	assert_int_equal(neigh_confirm(&nt, 0, &ip, &MAC1, true, 0), 0);
	assert_int_equal(neigh_lookup4(&nt, 0, ip.v4.s_addr, &mac), 0);
}

static void
test_table_static_survives_flush(void **state)
{
	struct inet_addr a = v4("198.18.0.6"), b = v4("198.18.0.7");
	struct rte_ether_addr mac;

	(void)state;
	assert_int_equal(neigh_add_static(&nt, 0, &a, &MAC1, 0), 0);
	neigh_confirm(&nt, 0, &b, &MAC1, true, 0);
	assert_int_equal(neigh_flush(&nt, -1), 1);
	assert_int_equal(neigh_lookup4(&nt, 0, a.v4.s_addr, &mac), 0);
	assert_int_equal(neigh_lookup4(&nt, 0, b.v4.s_addr, &mac), -ENOENT);
	neigh_tick(&nt, 100000000);
	assert_int_equal(neigh_lookup4(&nt, 0, a.v4.s_addr, &mac), 0);
	assert_int_equal(neigh_del(&nt, 0, &a), 0);
	assert_int_equal(neigh_del(&nt, 0, &a), -ENOENT);
}

static void
test_table_full(void **state)
{
	struct inet_addr ip;
	unsigned int i;

	(void)state;
	for (i = 0; i < 16; i++) {
		ip = inet_addr_v4(htonl(0xc6120100 + i));
		assert_int_equal(neigh_confirm(&nt, 0, &ip, &MAC1, true, 0), 0);
	}
	ip = v4("198.18.9.9");
	assert_int_equal(neigh_confirm(&nt, 0, &ip, &MAC1, true, 0), -ENOSPC);
	neigh_resolve(&nt, 0, &ip, rte_pktmbuf_alloc(pool), 0);
	assert_int_equal(last_drop, DROP_NEIGH_QUEUE_FULL);
}

static const struct rte_ether_addr MAC2 = { { 2, 0, 0, 0, 0, 2 } };

/* A worker's cache answers as the table does, whatever the main lcore
 * changed since the cache was filled. */
static void
test_cache_follows_the_table(void **state)
{
	static struct neigh_cache c;
	struct inet_addr ip = v4("198.18.0.8");
	struct rte_ether_addr mac;

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(neigh_lookup4_cached(&nt, &c, 0, ip.v4.s_addr, &mac),
			 -ENOENT);
	assert_int_equal(neigh_confirm(&nt, 0, &ip, &MAC1, true, 0), 0);
	assert_int_equal(neigh_lookup4_cached(&nt, &c, 0, ip.v4.s_addr, &mac), 0);
	assert_memory_equal(&mac, &MAC1, 6);
	/* a hit from the cache: the same answer */
	assert_int_equal(neigh_lookup4_cached(&nt, &c, 0, ip.v4.s_addr, &mac), 0);
	assert_memory_equal(&mac, &MAC1, 6);
	assert_int_equal(neigh_lookup4_cached(&nt, &c, 1, ip.v4.s_addr, &mac),
			 -ENOENT);
	/* the neighbour moved */
	assert_int_equal(neigh_confirm(&nt, 0, &ip, &MAC2, false, 10), 0);
	assert_int_equal(neigh_lookup4_cached(&nt, &c, 0, ip.v4.s_addr, &mac), 0);
	assert_memory_equal(&mac, &MAC2, 6);
	/* a confirmation of the same MAC keeps the cache */
	assert_int_equal(neigh_confirm(&nt, 0, &ip, &MAC2, false, 20), 0);
	assert_int_equal(c.gen, nt.gen);
	/* deleted */
	assert_int_equal(neigh_del(&nt, 0, &ip), 0);
	assert_int_equal(neigh_lookup4_cached(&nt, &c, 0, ip.v4.s_addr, &mac),
			 -ENOENT);
	/* gone stale and failing probes: no MAC any more */
	assert_int_equal(neigh_confirm(&nt, 0, &ip, &MAC1, true, 0), 0);
	assert_int_equal(neigh_lookup4_cached(&nt, &c, 0, ip.v4.s_addr, &mac), 0);
	neigh_flush(&nt, 0);
	assert_int_equal(neigh_lookup4_cached(&nt, &c, 0, ip.v4.s_addr, &mac),
			 -ENOENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fsm_start_probes),
		cmocka_unit_test(test_fsm_incomplete_retries_then_fails),
		cmocka_unit_test(test_fsm_confirm_reaches_reachable),
		cmocka_unit_test(test_fsm_reachable_goes_stale_then_probe),
		cmocka_unit_test(test_fsm_probe_fails_without_answer),
		cmocka_unit_test(test_fsm_permanent_never_changes),
#define T(f) cmocka_unit_test_setup_teardown(f, table_setup, table_teardown)
		T(test_table_resolve_queues_and_flushes),
		T(test_table_queue_overflow_drops),
		T(test_table_failure_drops_queue_and_removes),
		T(test_table_unsolicited_needs_create),
		T(test_table_static_survives_flush),
		T(test_table_full),
		T(test_cache_follows_the_table),
	};

	if (test_eal_init() != 0)
		return 1;
	pool = rte_pktmbuf_pool_create("t_pool", 255, 0, 0, 256, SOCKET_ID_ANY);
	if (pool == NULL)
		return 1;
	return cmocka_run_group_tests_name("neigh", tests, NULL, NULL);
}
