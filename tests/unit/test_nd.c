/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Neighbor Discovery (net6/nd.h, net6.h): IPv6 neighbours through the
 * shared table's state machine (resolution, confirmation, the worker's
 * lookup, expiry), the messages dplbd builds, option parsing. */
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
#include "net6/nd.h"
#include "net6/net6.h"

static const struct neigh_params P = {
	.reachable_ms = 1000, .retrans_ms = 100, .probes = 2, .queue_len = 2,
};
static const struct rte_ether_addr MAC = {
	{ 0x02, 0x00, 0x00, 0x00, 0x01, 0x0b } };

static struct rte_mempool *pool;
static struct neigh_table nt;
static int n_probes, n_xmit, n_drop;
static struct inet_addr last_probe;

static void
rec_probe(void *ctx, uint16_t port, const struct inet_addr *ip)
{
	(void)ctx; (void)port;
	last_probe = *ip;
	n_probes++;
}

static void
rec_xmit(void *ctx, uint16_t port, struct rte_mbuf *m,
	 const struct rte_ether_addr *mac)
{
	(void)ctx; (void)port;
	assert_memory_equal(mac, &MAC, sizeof(MAC));
	n_xmit++;
	rte_pktmbuf_free(m);
}

static void
rec_drop(void *ctx, struct rte_mbuf *m, enum drop_reason why)
{
	(void)ctx;
	assert_int_equal(why, DROP_NO_NEIGHBOR);
	n_drop++;
	rte_pktmbuf_free(m);
}

static int
setup(void **state)
{
	struct neigh_ops ops = { .probe = rec_probe, .xmit = rec_xmit,
				 .drop = rec_drop };

	(void)state;
	n_probes = n_xmit = n_drop = 0;
	return neigh_table_init(&nt, "t_nd", 16, &P, &ops, NULL);
}

static int
teardown(void **state)
{
	(void)state;
	neigh_table_free(&nt);
	return 0;
}

static struct inet_addr
v6(const char *s)
{
	struct inet_addr a = { .family = AF_INET6 };

	assert_int_equal(inet_pton(AF_INET6, s, &a.v6), 1);
	return a;
}

static void
test_resolve_solicits_then_confirm_flushes(void **state)
{
	struct inet_addr ip = v6("2001:2:0:1::11");
	struct rte_ether_addr mac;

	(void)state;
	neigh_resolve(&nt, 1, &ip, rte_pktmbuf_alloc(pool), 0);
	neigh_resolve(&nt, 1, &ip, rte_pktmbuf_alloc(pool), 5);
	assert_int_equal(n_probes, 1);
	assert_int_equal(last_probe.family, AF_INET6);
	assert_memory_equal(&last_probe.v6, &ip.v6, 16);
	assert_int_equal(neigh_lookup6(&nt, 1, (const uint8_t *)&ip.v6, &mac),
			 -ENOENT);
	/* the advertisement (SLOW_LEARN without create) */
	assert_int_equal(neigh_confirm(&nt, 1, &ip, &MAC, false, 10), 0);
	assert_int_equal(n_xmit, 2);
	assert_int_equal(neigh_lookup6(&nt, 1, (const uint8_t *)&ip.v6, &mac),
			 0);
	assert_memory_equal(&mac, &MAC, sizeof(mac));
	/* another port, or the IPv4 key of the same bytes, is another
	 * neighbour */
	assert_int_equal(neigh_lookup6(&nt, 0, (const uint8_t *)&ip.v6, &mac),
			 -ENOENT);
}

static struct neigh6_cache cache;

static void
test_worker_cache_follows_the_table(void **state)
{
	struct inet_addr ip = v6("2001:2:0:1::11"), other = v6("2001:2::11");
	const uint8_t *a = (const uint8_t *)&ip.v6;
	const struct rte_ether_addr mac2 = { { 2, 0, 0, 0, 2, 2 } };
	const struct rte_ether_addr *got;

	(void)state;
	memset(&cache, 0, sizeof(cache));
	assert_null(neigh6_cache_get(&nt, &cache, 1, a));
	neigh_confirm(&nt, 1, &ip, &MAC, true, 0);
	got = neigh6_cache_get(&nt, &cache, 1, a);
	assert_non_null(got);
	assert_memory_equal(got, &MAC, sizeof(MAC));
	/* the same address on another port, another address: misses */
	assert_null(neigh6_cache_get(&nt, &cache, 0, a));
	assert_null(neigh6_cache_get(&nt, &cache, 1,
				     (const uint8_t *)&other.v6));
	/* a new MAC is seen at the next lookup, a removal too */
	neigh_add_static(&nt, 1, &ip, &mac2, 5);
	got = neigh6_cache_get(&nt, &cache, 1, a);
	assert_non_null(got);
	assert_memory_equal(got, &mac2, sizeof(mac2));
	assert_int_equal(neigh_del(&nt, 1, &ip), 0);
	assert_null(neigh6_cache_get(&nt, &cache, 1, a));
}

static void
test_unsolicited_advert_creates_nothing(void **state)
{
	struct inet_addr ip = v6("2001:2::2");

	(void)state;
	assert_int_equal(neigh_confirm(&nt, 0, &ip, &MAC, false, 0), -ENOENT);
	/* a solicitation for us with a source address option does */
	assert_int_equal(neigh_confirm(&nt, 0, &ip, &MAC, true, 0), 0);
	assert_int_equal(nt.count, 1);
}

static void
test_expiry(void **state)
{
	struct inet_addr ip = v6("2001:2::2");
	const uint8_t *a = (const uint8_t *)&ip.v6;
	struct rte_ether_addr mac;
	uint64_t t;

	(void)state;
	neigh_confirm(&nt, 0, &ip, &MAC, true, 0);
	/* reachable -> stale (probe) -> probe -> failed -> removed, the MAC
	 * usable until it fails */
	neigh_tick(&nt, 1000);
	assert_int_equal(n_probes, 1);
	assert_int_equal(neigh_lookup6(&nt, 0, a, &mac), 0);
	neigh_tick(&nt, 1100);
	assert_int_equal(n_probes, 2);
	for (t = 1200; t <= 1500 && nt.count > 0; t += 100)
		neigh_tick(&nt, t);
	assert_int_equal(neigh_lookup6(&nt, 0, a, &mac), -ENOENT);
	for (; t <= 2000 && nt.count > 0; t += 100)
		neigh_tick(&nt, t);
	assert_int_equal(nt.count, 0);
	assert_int_equal(n_probes, 2);
}

static void
test_unanswered_resolution_drops(void **state)
{
	struct inet_addr ip = v6("2001:2::9");
	uint64_t t;

	(void)state;
	neigh_resolve(&nt, 0, &ip, rte_pktmbuf_alloc(pool), 0);
	for (t = 100; t <= 300; t += 100)
		neigh_tick(&nt, t);
	assert_int_equal(n_probes, 2);
	assert_int_equal(n_drop, 1);
	assert_int_equal(n_xmit, 0);
}

static void
test_solicited_node_group(void **state)
{
	struct inet_addr ip = v6("2001:2:0:1::12:3456");
	struct inet_addr want = v6("ff02::1:ff12:3456");
	uint8_t group[16];
	struct rte_ether_addr mac;
	const uint8_t want_mac[6] = { 0x33, 0x33, 0xff, 0x12, 0x34, 0x56 };

	(void)state;
	nd_solicited_node((const uint8_t *)&ip.v6, group, &mac);
	assert_memory_equal(group, &want.v6, 16);
	assert_memory_equal(mac.addr_bytes, want_mac, 6);
}

static void
check_built(uint8_t type, uint8_t opt)
{
	struct inet_addr src = v6("2001:2::1"), dst = v6("ff02::1:ff00:2");
	struct inet_addr target = v6("2001:2::2");
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	const struct rte_ipv6_hdr *ip;
	const uint8_t *icmp;
	struct rte_ether_addr got;
	bool found;

	assert_true(nd_build(m, type, ND_FLAG_SOLICITED, &MAC, &MAC,
			     (const uint8_t *)&src.v6, (const uint8_t *)&dst.v6,
			     (const uint8_t *)&target.v6));
	assert_int_equal(rte_pktmbuf_pkt_len(m), 14 + 40 + ND_MSG_LEN);
	ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, 14);
	icmp = (const uint8_t *)(ip + 1);
	assert_int_equal(ip->hop_limits, 255);
	assert_int_equal(ip->proto, 58);
	assert_int_equal(icmp[0], type);
	/* a receiver's check of the checksum holds */
	assert_int_equal(icmp6_sum(ip, icmp, ND_MSG_LEN), 0xffff);
	assert_memory_equal(icmp + 8, &target.v6, 16);
	assert_true(nd_options(icmp + 24, 8, opt, &got, &found));
	assert_true(found);
	assert_memory_equal(&got, &MAC, 6);
	rte_pktmbuf_free(m);
}

static void
test_built_messages(void **state)
{
	(void)state;
	check_built(ND_NEIGHBOR_SOLICIT, 1);
	check_built(ND_NEIGHBOR_ADVERT, 2);
}

static void
test_options(void **state)
{
	/* a nonce option (14) then a source link-layer address option */
	const uint8_t ok[16] = { 14, 1, 1, 2, 3, 4, 5, 6,
				 1, 1, 0x02, 0, 0, 0, 0x01, 0x0b };
	const uint8_t zero_len[8] = { 1, 0 };
	const uint8_t overrun[8] = { 1, 2 };
	struct rte_ether_addr mac;
	bool found;

	(void)state;
	assert_true(nd_options(ok, sizeof(ok), 1, &mac, &found));
	assert_true(found);
	assert_memory_equal(&mac, &MAC, 6);
	assert_true(nd_options(ok, sizeof(ok), 2, &mac, &found));
	assert_false(found);
	assert_true(nd_options(ok, 0, 1, &mac, &found));
	assert_false(found);
	assert_false(nd_options(zero_len, sizeof(zero_len), 1, &mac, &found));
	assert_false(nd_options(overrun, sizeof(overrun), 1, &mac, &found));
	assert_false(nd_options(ok, 9, 1, &mac, &found));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_resolve_solicits_then_confirm_flushes),
		T(test_unsolicited_advert_creates_nothing),
		T(test_worker_cache_follows_the_table),
		T(test_expiry),
		T(test_unanswered_resolution_drops),
		cmocka_unit_test(test_solicited_node_group),
		cmocka_unit_test(test_built_messages),
		cmocka_unit_test(test_options),
	};

	if (test_eal_init() != 0)
		return 1;
	pool = rte_pktmbuf_pool_create("t_pool", 255, 0, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (pool == NULL)
		return 1;
	return cmocka_run_group_tests_name("nd", tests, NULL, NULL);
}
