/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The IPv6 FIB (net6/route6.h): longest-prefix match over both copies,
 * the default route, types, refcounts, limits, slot reuse. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "eal_helper.h"
#include "net6/route6.h"

static struct route6_table rt;

static const uint8_t *
a6(const char *s)
{
	static uint8_t buf[4][16];
	static unsigned int n;
	uint8_t *b = buf[n++ % 4];

	assert_int_equal(inet_pton(AF_INET6, s, b), 1);
	return b;
}

static int
setup(void **state)
{
	(void)state;
	return route6_table_init(&rt, "t_rt6", 8, NULL);
}

static int
teardown(void **state)
{
	(void)state;
	route6_table_free(&rt);
	return 0;
}

static void
test_empty_lookup_misses(void **state)
{
	(void)state;
	assert_null(route6_lookup(&rt, a6("2001:2::1")));
	/* no memory until the first route */
	assert_null(rt.fib[0]);
}

static void
test_longest_prefix_wins(void **state)
{
	const struct route6_slot *r;

	(void)state;
	assert_int_equal(route6_add(&rt, a6("2001:2::"), 64, ROUTE_CONNECTED,
				    NULL, 0), 0);
	assert_int_equal(route6_add(&rt, a6("2001:2::1"), 128, ROUTE_LOCAL,
				    NULL, 0), 0);
	assert_int_equal(route6_add(&rt, a6("::"), 0, ROUTE_GATEWAY,
				    a6("2001:2::fe"), 1), 0);
	r = route6_lookup(&rt, a6("2001:2::1"));
	assert_non_null(r);
	assert_int_equal(r->type, ROUTE_LOCAL);
	r = route6_lookup(&rt, a6("2001:2::77"));
	assert_int_equal(r->type, ROUTE_CONNECTED);
	assert_memory_equal(route6_nexthop(r, a6("2001:2::77")),
			    a6("2001:2::77"), 16);
	r = route6_lookup(&rt, a6("2001:db8:1::9"));
	assert_non_null(r);
	assert_int_equal(r->type, ROUTE_GATEWAY);
	assert_int_equal(r->port, 1);
	assert_memory_equal(route6_nexthop(r, a6("2001:db8:1::9")),
			    a6("2001:2::fe"), 16);
	assert_int_equal(rt.n_used, 3);
	/* both copies agree: the one live now and the other */
	assert_true(rt.live == rt.fib[0] || rt.live == rt.fib[1]);
}

static void
test_delete_falls_back(void **state)
{
	(void)state;
	route6_add(&rt, a6("2001:2::"), 48, ROUTE_GATEWAY, a6("fe80::1"), 0);
	route6_add(&rt, a6("2001:2:0:5::"), 64, ROUTE_GATEWAY, a6("fe80::2"),
		   1);
	assert_int_equal(route6_lookup(&rt, a6("2001:2:0:5::1"))->port, 1);
	assert_int_equal(route6_del(&rt, a6("2001:2:0:5::"), 64,
				    ROUTE_GATEWAY), 0);
	/* twice: each delete publishes the other copy */
	assert_int_equal(route6_lookup(&rt, a6("2001:2:0:5::1"))->port, 0);
	assert_int_equal(route6_del(&rt, a6("2001:2::"), 48, ROUTE_GATEWAY),
			 0);
	assert_null(route6_lookup(&rt, a6("2001:2:0:5::1")));
	assert_int_equal(rt.n_used, 0);
}

static void
test_duplicate_and_wrong_type(void **state)
{
	(void)state;
	assert_int_equal(route6_add(&rt, a6("2001:2::"), 64, ROUTE_GATEWAY,
				    NULL, 0), 0);
	assert_int_equal(route6_add(&rt, a6("2001:2::"), 64, ROUTE_GATEWAY,
				    NULL, 1), -EEXIST);
	assert_int_equal(route6_del(&rt, a6("2001:2::"), 64, ROUTE_LOCAL),
			 -ENOENT);
	assert_int_equal(route6_del(&rt, a6("2001:3::"), 64, ROUTE_GATEWAY),
			 -ENOENT);
	assert_non_null(route6_find(&rt, a6("2001:2::"), 64));
	assert_null(route6_find(&rt, a6("2001:2::"), 63));
}

static void
test_connected_routes_are_refcounted(void **state)
{
	(void)state;
	route6_add(&rt, a6("2001:2::"), 64, ROUTE_CONNECTED, NULL, 0);
	assert_int_equal(route6_add(&rt, a6("2001:2::"), 64, ROUTE_CONNECTED,
				    NULL, 0), 0);
	assert_int_equal(route6_del(&rt, a6("2001:2::"), 64, ROUTE_CONNECTED),
			 0);
	assert_non_null(route6_lookup(&rt, a6("2001:2::5")));
	assert_int_equal(route6_del(&rt, a6("2001:2::"), 64, ROUTE_CONNECTED),
			 0);
	assert_null(route6_lookup(&rt, a6("2001:2::5")));
}

static void
test_full_then_slot_reused(void **state)
{
	uint8_t p[16] = { 0x20, 0x01, 0, 2 };
	unsigned int i;

	(void)state;
	for (i = 0; i < 8; i++) {
		p[5] = (uint8_t)i;
		assert_int_equal(route6_add(&rt, p, 48, ROUTE_GATEWAY, NULL,
					    0), 0);
	}
	p[5] = 99;
	assert_int_equal(route6_add(&rt, p, 48, ROUTE_GATEWAY, NULL, 0),
			 -ENOSPC);
	p[5] = 3;
	assert_int_equal(route6_del(&rt, p, 48, ROUTE_GATEWAY), 0);
	p[5] = 99;
	assert_int_equal(route6_add(&rt, p, 48, ROUTE_GATEWAY, NULL, 2), 0);
	assert_int_equal(route6_lookup(&rt, p)->port, 2);
	p[5] = 3;
	assert_null(route6_lookup(&rt, p));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_empty_lookup_misses),
		T(test_longest_prefix_wins),
		T(test_delete_falls_back),
		T(test_duplicate_and_wrong_type),
		T(test_connected_routes_are_refcounted),
		T(test_full_then_slot_reused),
	};

	if (test_eal_init() != 0)
		return 1;
	return cmocka_run_group_tests_name("route6", tests, NULL, NULL);
}
