/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The IPv6 FIB (net6/route6.h): route_suite.h's behaviours over both
 * copies, and what is IPv6's own: no memory until the first route, the
 * default route, the next hop of a route with and without a gateway. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "eal_helper.h"
#include "net6/route6.h"
#include "route_suite.h"

static struct route6_table rt;

/* The 16 bytes of s, valid until four more calls. */
static const uint8_t *
a6(const char *s)
{
	static struct inet_addr buf[4];
	static unsigned int n;
	struct inet_addr *a = &buf[n++ % 4];

	*a = route_suite_addr(s);
	assert_int_equal(a->family, AF_INET6);
	return (const uint8_t *)&a->v6;
}

static const uint8_t *
v6(const struct inet_addr *a)
{
	return (const uint8_t *)&a->v6;
}

static int
add6(const struct inet_prefix *p, enum route_type type,
     const struct inet_addr *gw, uint16_t port)
{
	return route6_add(&rt, v6(&p->addr), p->len, type,
			  gw != NULL ? v6(gw) : NULL, port);
}

static int
del6(const struct inet_prefix *p, enum route_type type)
{
	return route6_del(&rt, v6(&p->addr), p->len, type);
}

/* A worker's memo: it must answer as route6_lookup() does whatever the
 * changes between two lookups (every suite's lookup goes through it). */
static struct route6_memo memo;

/* Also checks that the copy live now is one of the two (each change
 * publishes the other), and that the memo agrees, on its first ask and
 * on its second. */
static int
lookup6(const struct inet_addr *a, uint16_t *port)
{
	const struct route6_slot *r = route6_lookup(&rt, v6(a));

	assert_ptr_equal(route6_lookup_memo(&rt, &memo, v6(a)), r);
	assert_ptr_equal(route6_lookup_memo(&rt, &memo, v6(a)), r);

	assert_true(rt.live == NULL || rt.live == rt.fib[0] ||
		    rt.live == rt.fib[1]);
	if (r != NULL)
		*port = r->port;
	return r != NULL ? r->type : -ENOENT;
}

static int
find6(const struct inet_prefix *p)
{
	const struct route6_slot *r = route6_find(&rt, v6(&p->addr), p->len);

	return r != NULL ? r->type : -ENOENT;
}

static const struct route_suite suite6 = {
	.add = add6,
	.del = del6,
	.lookup = lookup6,
	.find = find6,
	.n_used = &rt.n_used,
	.max_routes = 8,
	.nth_prefix_fmt = "2001:2:%x::/48",
	.wide = "2001:2::/48",
	.sub = "2001:2:0:5::/64",
	.host = "2001:2:0:5::1",
	.in_sub = "2001:2:0:5::77",
	.in_wide = "2001:2:0:9::9",
	.outside = "2001:db8:1::9",
	.other = "2001:3::/64",
	.gw = "fe80::1",
};

static int
setup(void **state)
{
	(void)state;
	memset(&memo, 0, sizeof(memo));
	return route6_table_init(&rt, "t_rt6", suite6.max_routes, NULL);
}

static int
teardown(void **state)
{
	(void)state;
	route6_table_free(&rt);
	return 0;
}

static void
test_no_memory_until_the_first_route(void **state)
{
	(void)state;
	assert_null(route6_lookup(&rt, a6("2001:2::1")));
	assert_null(rt.fib[0]);
	assert_int_equal(rs_add(&suite6, "2001:2::/64", ROUTE_CONNECTED, NULL, 0), 0);
	assert_non_null(rt.fib[0]);
}

static void
test_default_route_and_next_hops(void **state)
{
	const struct route6_slot *r;

	(void)state;
	assert_int_equal(rs_add(&suite6, "2001:2::/64", ROUTE_CONNECTED, NULL, 0), 0);
	assert_int_equal(rs_add(&suite6, "::/0", ROUTE_GATEWAY, "2001:2::fe", 1), 0);
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
	assert_int_equal(rs_del(&suite6, "::/0", ROUTE_GATEWAY), 0);
	assert_null(route6_lookup(&rt, a6("2001:db8:1::9")));
	assert_non_null(route6_lookup(&rt, a6("2001:2::77")));
}

/* A kept answer serves until a change: a wider route's answer gives way
 * to a more specific one added, a deleted route's to none, and a slot
 * freed and taken again by another route is never answered for the old
 * one. */
static void
test_memo_follows_changes(void **state)
{
	const uint8_t *dst = a6("2001:2:0:5::9");
	const struct route6_slot *r;

	(void)state;
	assert_null(route6_lookup_memo(&rt, &memo, dst));
	assert_int_equal(rs_add(&suite6, "2001:2::/48", ROUTE_CONNECTED, NULL,
				1), 0);
	r = route6_lookup_memo(&rt, &memo, dst);
	assert_non_null(r);
	assert_int_equal(r->port, 1);
	assert_int_equal(rs_add(&suite6, "2001:2:0:5::/64", ROUTE_GATEWAY,
				"fe80::1", 2), 0);
	r = route6_lookup_memo(&rt, &memo, dst);
	assert_int_equal(r->type, ROUTE_GATEWAY);
	assert_int_equal(r->port, 2);
	assert_int_equal(rs_del(&suite6, "2001:2:0:5::/64", ROUTE_GATEWAY), 0);
	assert_int_equal(rs_del(&suite6, "2001:2::/48", ROUTE_CONNECTED), 0);
	assert_null(route6_lookup_memo(&rt, &memo, dst));
	/* the freed slots go to routes elsewhere: still no route here */
	assert_int_equal(rs_add(&suite6, "2001:3::/48", ROUTE_CONNECTED, NULL,
				3), 0);
	assert_null(route6_lookup_memo(&rt, &memo, dst));
	assert_int_not_equal(rt.gen, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		ROUTE_SUITE_TESTS(setup, teardown, &suite6),
		cmocka_unit_test_setup_teardown(
			test_no_memory_until_the_first_route, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_default_route_and_next_hops, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_memo_follows_changes, setup, teardown),
	};

	if (test_eal_init() != 0)
		return 1;
	return cmocka_run_group_tests_name("route6", tests, NULL, NULL);
}
