/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The IPv4 route table (net/route.h): route_suite.h's behaviours, and
 * what is IPv4's own: the default route (rte_lpm has no depth 0), the
 * gateway a slot keeps, the types' names. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "eal_helper.h"
#include "net/route.h"
#include "route_suite.h"

static struct route_table rt;

static rte_be32_t
ip(const char *s)
{
	return route_suite_addr(s).v4.s_addr;
}

static int
add4(const struct inet_prefix *p, enum route_type type,
     const struct inet_addr *gw, uint16_t port)
{
	return route_add(&rt, p->addr.v4.s_addr, p->len, type,
			 gw != NULL ? gw->v4.s_addr : 0, port);
}

static int
del4(const struct inet_prefix *p, enum route_type type)
{
	return route_del(&rt, p->addr.v4.s_addr, p->len, type);
}

static int
lookup4(const struct inet_addr *a, uint16_t *port)
{
	const struct route_slot *r = route_lookup(&rt, a->v4.s_addr);

	if (r != NULL)
		*port = r->port;
	return r != NULL ? r->type : -ENOENT;
}

static int
find4(const struct inet_prefix *p)
{
	const struct route_slot *r = route_find(&rt, p->addr.v4.s_addr, p->len);

	return r != NULL ? r->type : -ENOENT;
}

static const struct route_suite suite4 = {
	.add = add4,
	.del = del4,
	.lookup = lookup4,
	.find = find4,
	.n_used = &rt.n_used,
	.max_routes = 64,
	.nth_prefix_fmt = "10.0.%u.0/24",
	.wide = "198.18.0.0/16",
	.sub = "198.18.1.0/24",
	.host = "198.18.1.1",
	.in_sub = "198.18.1.9",
	.in_wide = "198.18.5.5",
	.outside = "198.20.0.1",
	.other = "198.19.0.0/24",
	.gw = "198.18.0.254",
};

static int
setup(void **state)
{
	(void)state;
	return route_table_init(&rt, "t_routes", suite4.max_routes, NULL);
}

static int
teardown(void **state)
{
	(void)state;
	route_table_free(&rt);
	return 0;
}

static void
test_default_route_and_gateways(void **state)
{
	(void)state;
	assert_int_equal(rs_add(&suite4, "0.0.0.0/0", ROUTE_GATEWAY, "198.18.0.1", 0), 0);
	assert_int_equal(rs_add(&suite4, "198.19.0.0/24", ROUTE_GATEWAY, "198.18.0.2", 0),
			 0);
	assert_int_equal(route_lookup(&rt, ip("198.19.0.7"))->gw,
			 ip("198.18.0.2"));
	assert_int_equal(route_lookup(&rt, ip("203.0.113.1"))->gw,
			 ip("198.18.0.1"));
	assert_int_equal(rs_del(&suite4, "198.19.0.0/24", ROUTE_GATEWAY), 0);
	assert_int_equal(route_lookup(&rt, ip("198.19.0.7"))->gw,
			 ip("198.18.0.1"));
	assert_int_equal(rs_find(&suite4, "0.0.0.0/0"), ROUTE_GATEWAY);
	assert_int_equal(rs_del(&suite4, "0.0.0.0/0", ROUTE_GATEWAY), 0);
	assert_null(route_lookup(&rt, ip("198.19.0.7")));
	assert_int_equal(rt.n_used, 0);
}

/* A kept answer (lb.c's per-dest route) is valid while the generation
 * holds: every change of an answer moves it, a shared connected route
 * and failed calls do not. */
static void
test_generation_moves_with_answers(void **state)
{
	uint32_t g0 = route_gen(&rt), g1, g2;

	(void)state;
	assert_int_not_equal(g0, 0);
	assert_int_equal(route_add(&rt, ip("198.18.0.0"), 24, ROUTE_CONNECTED,
				   0, 2), 0);
	g1 = route_gen(&rt);
	assert_int_not_equal(g1, g0);
	assert_int_equal(route_add(&rt, ip("198.18.0.0"), 24, ROUTE_CONNECTED,
				   0, 2), 0);
	assert_int_equal(route_add(&rt, ip("198.18.0.0"), 24, ROUTE_CONNECTED,
				   0, 3), -EEXIST);
	assert_int_equal(route_del(&rt, ip("198.18.0.0"), 24, ROUTE_CONNECTED),
			 0);
	assert_int_equal(route_gen(&rt), g1);	/* still routed */
	assert_int_equal(route_add(&rt, ip("0.0.0.0"), 0, ROUTE_GATEWAY,
				   ip("198.18.0.1"), 2), 0);
	g2 = route_gen(&rt);
	assert_int_not_equal(g2, g1);
	assert_int_equal(route_del(&rt, ip("0.0.0.0"), 0, ROUTE_GATEWAY), 0);
	assert_int_not_equal(route_gen(&rt), g2);
	g2 = route_gen(&rt);
	assert_int_equal(route_del(&rt, ip("198.18.0.0"), 24, ROUTE_CONNECTED),
			 0);
	assert_int_not_equal(route_gen(&rt), g2);
	assert_null(route_lookup(&rt, ip("198.18.0.9")));
}

/* How many of 4096 addresses 198.51.x.y that are not ours the local
 * filter lets through to the LPM. */
static unsigned int
filter_passes(void)
{
	unsigned int i, n = 0;

	for (i = 0; i < 4096; i++)
		n += route_maybe_local(&rt, htonl(0xc6330000u + i * 7));
	return n;
}

/* The filter of our addresses (the martian check's first step): never
 * "no" for an address of ours, mostly "no" for others, all "maybe"
 * while a local route is wider than one address, and back to "no"
 * once our addresses are gone. */
static void
test_local_filter(void **state)
{
	char a[32];
	unsigned int i;

	(void)state;
	assert_int_equal(filter_passes(), 0);
	for (i = 0; i < 40; i++) {
		snprintf(a, sizeof(a), "203.0.113.%u", i);
		assert_int_equal(route_add(&rt, ip(a), 32, ROUTE_LOCAL, 0, 0),
				 0);
	}
	assert_int_equal(route_add(&rt, ip("198.18.0.0"), 24, ROUTE_CONNECTED,
				   0, 0), 0);
	for (i = 0; i < 40; i++) {
		snprintf(a, sizeof(a), "203.0.113.%u", i);
		assert_true(route_maybe_local(&rt, ip(a)));
	}
	assert_false(route_maybe_local(&rt, ip("198.18.0.0")));
	assert_in_range(filter_passes(), 0, 4096 / 100);	/* 40 / 16,384 */
	assert_int_equal(route_add(&rt, ip("192.0.2.0"), 28, ROUTE_LOCAL, 0,
				   0), 0);
	assert_int_equal(filter_passes(), 4096);
	assert_int_equal(route_del(&rt, ip("192.0.2.0"), 28, ROUTE_LOCAL), 0);
	assert_in_range(filter_passes(), 0, 4096 / 100);
	for (i = 1; i < 40; i++) {
		snprintf(a, sizeof(a), "203.0.113.%u", i);
		assert_int_equal(route_del(&rt, ip(a), 32, ROUTE_LOCAL), 0);
	}
	assert_true(route_maybe_local(&rt, ip("203.0.113.0")));
	assert_in_range(filter_passes(), 0, 4096 / 100);
	assert_int_equal(route_del(&rt, ip("203.0.113.0"), 32, ROUTE_LOCAL),
			 0);
	assert_false(route_maybe_local(&rt, ip("203.0.113.0")));
	/* a local route the LPM refused leaves no bit behind */
	assert_int_not_equal(route_add(&rt, ip("203.0.113.9"), 33, ROUTE_LOCAL,
				       0, 0), 0);
	assert_false(route_maybe_local(&rt, ip("203.0.113.9")));
}

static void
test_type_names(void **state)
{
	(void)state;
	assert_string_equal(route_type_name(ROUTE_LOCAL), "local");
	assert_string_equal(route_type_name(ROUTE_CONNECTED), "connected");
	assert_string_equal(route_type_name(ROUTE_GATEWAY), "gateway");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		ROUTE_SUITE_TESTS(setup, teardown, &suite4),
		cmocka_unit_test_setup_teardown(test_default_route_and_gateways,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_generation_moves_with_answers,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_filter, setup,
						teardown),
		cmocka_unit_test(test_type_names),
	};

	if (test_eal_init() != 0)
		return 1;
	return cmocka_run_group_tests_name("route", tests, NULL, NULL);
}
