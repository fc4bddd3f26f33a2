/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of flow.c's rule planning: the range-to-prefix
 * decomposition (exact, disjoint, ordered, aligned and minimal, checked
 * against an independent trie count) and the per-address rule plan, for
 * every worker count, checked port by port: each port of the full-NAT
 * range matches exactly one rule per protocol, that of its owner
 * (steer_lport_owner), and no port below the range matches any.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "net/flow.h"
#include "net/steer.h"
#include "lb/lb_svc.h"

/* Fewest prefixes covering [lo, hi]: the maximal trie nodes inside it. */
static unsigned int
ref_count(uint32_t nlo, uint32_t nhi, uint32_t lo, uint32_t hi)
{
	uint32_t mid;

	if (nhi < lo || nlo > hi)
		return 0;
	if (lo <= nlo && nhi <= hi)
		return 1;
	mid = nlo + (nhi - nlo + 1) / 2;
	return ref_count(nlo, mid - 1, lo, hi) + ref_count(mid, nhi, lo, hi);
}

/* Blocks are prefixes, aligned, adjacent, cover [lo, hi] exactly and
 * are as few as possible. */
static void
check_range(uint16_t lo, uint16_t hi)
{
	struct flow_block b[FLOW_MAX_BLOCKS];
	uint32_t next = lo, size;
	int n, i;

	n = flow_range_blocks(lo, hi, b, FLOW_MAX_BLOCKS);
	assert_true(n >= 1);
	for (i = 0; i < n; i++) {
		size = (uint32_t)(uint16_t)~b[i].mask + 1;
		/* a prefix mask: ones then zeros */
		assert_int_equal(size & (size - 1), 0);
		assert_int_equal(b[i].value & ~b[i].mask & 0xffff, 0);
		assert_int_equal(b[i].value, next);
		next += size;
	}
	assert_int_equal(next, (uint32_t)hi + 1);
	assert_int_equal((unsigned int)n, ref_count(0, 0xffff, lo, hi));
}

static void
test_blocks_known(void **state)
{
	struct flow_block b[FLOW_MAX_BLOCKS];
	static const uint16_t want[][2] = {
		{ 1024, 0xfc00 }, { 2048, 0xf800 }, { 4096, 0xf000 },
		{ 8192, 0xe000 }, { 16384, 0xc000 }, { 32768, 0x8000 },
	};
	unsigned int i;

	(void)state;
	assert_int_equal(flow_range_blocks(0, 65535, b, 30), 1);
	assert_int_equal(b[0].value, 0);
	assert_int_equal(b[0].mask, 0);
	assert_int_equal(flow_range_blocks(80, 80, b, 30), 1);
	assert_int_equal(b[0].value, 80);
	assert_int_equal(b[0].mask, 0xffff);
	assert_int_equal(flow_range_blocks(65535, 65535, b, 30), 1);
	assert_int_equal(flow_range_blocks(STEER_LPORT_MIN, STEER_LPORT_MAX, b, 30),
			 6);
	for (i = 0; i < RTE_DIM(want); i++) {
		assert_int_equal(b[i].value, want[i][0]);
		assert_int_equal(b[i].mask, want[i][1]);
	}
	/* the worst case of a 16-bit range */
	assert_int_equal(flow_range_blocks(1, 65534, b, 30), 30);
	assert_int_equal(flow_range_blocks(1, 65534, b, 29), -ENOSPC);
	assert_int_equal(flow_range_blocks(2, 1, b, 30), -EINVAL);
}

static void
test_blocks_all_small_ranges(void **state)
{
	uint32_t lo, hi;

	(void)state;
	/* every range inside 0..511, and the same shifted near the top */
	for (lo = 0; lo < 512; lo++)
		for (hi = lo; hi < 512; hi++) {
			check_range((uint16_t)lo, (uint16_t)hi);
			check_range((uint16_t)(lo + 65024), (uint16_t)(hi + 65024));
		}
}

static void
test_blocks_edges_and_random(void **state)
{
	uint32_t x, i;

	(void)state;
	for (x = 0; x <= 0xffff; x++) {
		check_range((uint16_t)x, 0xffff);
		check_range(0, (uint16_t)x);
		check_range((uint16_t)x, (uint16_t)x);
		if (x >= STEER_LPORT_MIN)
			check_range(STEER_LPORT_MIN, (uint16_t)x);
	}
	srandom(7);
	for (i = 0; i < 200000; i++) {
		uint16_t a = (uint16_t)random(), b = (uint16_t)random();

		check_range(a < b ? a : b, a < b ? b : a);
	}
}

/* Every port maps to exactly its owner, for each protocol. */
static void
check_plan(unsigned int nw)
{
	static struct flow_rule_spec plan[FLOW_MAX_RULES_PER_ADDR];
	static int16_t owner[2][65536];
	static uint8_t hits[2][65536];
	unsigned int k, proto, n_blocks = 0;
	uint32_t port, v;
	uint16_t lo, hi;
	int n, i;

	n = flow_plan(nw, plan, RTE_DIM(plan));
	assert_true(n > 0);
	memset(hits, 0, sizeof(hits));
	for (i = 0; i < n; i++) {
		const struct flow_rule_spec *r = &plan[i];
		uint32_t size = (uint32_t)(uint16_t)~r->blk.mask + 1;

		assert_true(r->proto == IPPROTO_TCP || r->proto == IPPROTO_UDP);
		assert_true(r->worker < nw);
		proto = r->proto == IPPROTO_UDP;
		for (v = r->blk.value; v < r->blk.value + size; v++) {
			/* the block really is what the mask matches */
			assert_int_equal(v & r->blk.mask, r->blk.value);
			hits[proto][v]++;
			owner[proto][v] = (int16_t)r->worker;
		}
	}
	for (proto = 0; proto < 2; proto++)
		for (port = 0; port <= 0xffff; port++) {
			if (port < STEER_LPORT_MIN) {
				assert_int_equal(hits[proto][port], 0);
				continue;
			}
			assert_int_equal(hits[proto][port], 1);
			assert_int_equal(owner[proto][port],
					 steer_lport_owner((uint16_t)port, nw));
		}
	/* as few rules as the slices allow */
	for (k = 0; k < nw; k++) {
		assert_int_equal(steer_lport_range(k, nw, &lo, &hi), 0);
		n_blocks += ref_count(0, 0xffff, lo, hi);
	}
	assert_int_equal(n, 2 * n_blocks);
}

static void
test_plan_every_worker_count(void **state)
{
	unsigned int nw;

	(void)state;
	for (nw = 1; nw <= LB_MAX_WORKERS; nw++)
		check_plan(nw);
}

static void
test_plan_sizes_and_errors(void **state)
{
	static struct flow_rule_spec plan[FLOW_MAX_RULES_PER_ADDR];

	(void)state;
	/* one worker: the whole range, 6 blocks per protocol */
	assert_int_equal(flow_plan(1, plan, RTE_DIM(plan)), 12);
	/* two: 1024..33279 and 33280..65535, 6 blocks each */
	assert_int_equal(flow_plan(2, plan, RTE_DIM(plan)), 24);
	assert_int_equal(plan[0].proto, IPPROTO_TCP);
	assert_int_equal(plan[0].worker, 0);
	assert_int_equal(plan[0].blk.value, 1024);
	assert_int_equal(plan[0].blk.mask, 0xfc00);
	assert_int_equal(flow_plan(0, plan, RTE_DIM(plan)), -EINVAL);
	assert_int_equal(flow_plan(LB_MAX_WORKERS + 1, plan, RTE_DIM(plan)),
			 -EINVAL);
	assert_int_equal(flow_plan(2, plan, 23), -ENOSPC);
	assert_true(FLOW_MAX_RULES_PER_ADDR >= 2 * LB_MAX_WORKERS * 30);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocks_known),
		cmocka_unit_test(test_blocks_all_small_ranges),
		cmocka_unit_test(test_blocks_edges_and_random),
		cmocka_unit_test(test_plan_every_worker_count),
		cmocka_unit_test(test_plan_sizes_and_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
