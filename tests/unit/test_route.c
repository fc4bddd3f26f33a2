/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Route table: longest-prefix match, types, refcounts, limits. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "eal_helper.h"
#include "net/route.h"

static struct route_table rt;

static rte_be32_t
ip(const char *s)
{
	return inet_addr(s);
}

static int
setup(void **state)
{
	(void)state;
	return route_table_init(&rt, "t_routes", 64, NULL);
}

static int
teardown(void **state)
{
	(void)state;
	route_table_free(&rt);
	return 0;
}

static void
test_empty_lookup_misses(void **state)
{
	(void)state;
	assert_null(route_lookup(&rt, ip("198.18.0.1")));
}

static void
test_longest_prefix_wins(void **state)
{
	const struct route_slot *r;

	(void)state;
	assert_int_equal(route_add(&rt, ip("198.18.0.0"), 16, ROUTE_GATEWAY,
				   ip("198.18.0.254"), 0), 0);
	assert_int_equal(route_add(&rt, ip("198.18.1.0"), 24, ROUTE_CONNECTED,
				   0, 1), 0);
	assert_int_equal(route_add(&rt, ip("198.18.1.1"), 32, ROUTE_LOCAL, 0, 1),
			 0);
	r = route_lookup(&rt, ip("198.18.5.5"));
	assert_non_null(r);
	assert_int_equal(r->type, ROUTE_GATEWAY);
	assert_int_equal(r->gw, ip("198.18.0.254"));
	r = route_lookup(&rt, ip("198.18.1.9"));
	assert_int_equal(r->type, ROUTE_CONNECTED);
	assert_int_equal(r->port, 1);
	r = route_lookup(&rt, ip("198.18.1.1"));
	assert_int_equal(r->type, ROUTE_LOCAL);
	assert_null(route_lookup(&rt, ip("198.20.0.1")));
}

static void
test_delete_falls_back_to_covering_route(void **state)
{
	(void)state;
	route_add(&rt, ip("0.0.0.0"), 0, ROUTE_GATEWAY, ip("198.18.0.1"), 0);
	route_add(&rt, ip("198.19.0.0"), 24, ROUTE_GATEWAY, ip("198.18.0.2"), 0);
	assert_int_equal(route_lookup(&rt, ip("198.19.0.7"))->gw,
			 ip("198.18.0.2"));
	assert_int_equal(route_del(&rt, ip("198.19.0.0"), 24, ROUTE_GATEWAY), 0);
	assert_int_equal(route_lookup(&rt, ip("198.19.0.7"))->gw,
			 ip("198.18.0.1"));
	assert_int_equal(rt.n_used, 1);
}

static void
test_duplicate_is_eexist(void **state)
{
	(void)state;
	assert_int_equal(route_add(&rt, ip("198.19.0.0"), 24, ROUTE_GATEWAY,
				   ip("198.18.0.2"), 0), 0);
	assert_int_equal(route_add(&rt, ip("198.19.0.0"), 24, ROUTE_GATEWAY,
				   ip("198.18.0.3"), 0), -EEXIST);
	assert_int_equal(route_add(&rt, ip("198.19.0.0"), 24, ROUTE_CONNECTED,
				   0, 0), -EEXIST);
}

static void
test_connected_routes_are_refcounted(void **state)
{
	(void)state;
	assert_int_equal(route_add(&rt, ip("198.18.0.0"), 24, ROUTE_CONNECTED,
				   0, 2), 0);
	assert_int_equal(route_add(&rt, ip("198.18.0.0"), 24, ROUTE_CONNECTED,
				   0, 2), 0);
	/* Another port cannot share the subnet. */
	assert_int_equal(route_add(&rt, ip("198.18.0.0"), 24, ROUTE_CONNECTED,
				   0, 3), -EEXIST);
	assert_int_equal(route_del(&rt, ip("198.18.0.0"), 24, ROUTE_CONNECTED),
			 0);
	assert_non_null(route_lookup(&rt, ip("198.18.0.9")));
	assert_int_equal(route_del(&rt, ip("198.18.0.0"), 24, ROUTE_CONNECTED),
			 0);
	assert_null(route_lookup(&rt, ip("198.18.0.9")));
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

static void
test_delete_wrong_type_or_missing(void **state)
{
	(void)state;
	assert_int_equal(route_del(&rt, ip("198.19.0.0"), 24, ROUTE_GATEWAY),
			 -ENOENT);
	route_add(&rt, ip("198.19.0.1"), 32, ROUTE_LOCAL, 0, 0);
	assert_int_equal(route_del(&rt, ip("198.19.0.1"), 32, ROUTE_GATEWAY),
			 -ENOENT);
	assert_non_null(route_find(&rt, ip("198.19.0.1"), 32));
}

static void
test_table_full_is_enospc(void **state)
{
	uint32_t i;

	(void)state;
	for (i = 0; i < 64; i++)
		assert_int_equal(route_add(&rt, htonl(0xc6120000 + (i << 8)), 24,
					   ROUTE_GATEWAY, ip("198.18.0.1"), 0),
				 0);
	assert_int_equal(route_add(&rt, ip("198.19.0.0"), 24, ROUTE_GATEWAY,
				   ip("198.18.0.1"), 0), -ENOSPC);
}

static void
test_slot_reused_after_delete(void **state)
{
	(void)state;
	route_add(&rt, ip("198.19.0.0"), 24, ROUTE_GATEWAY, ip("198.18.0.1"), 0);
	route_del(&rt, ip("198.19.0.0"), 24, ROUTE_GATEWAY);
	assert_int_equal(rt.n_used, 0);
	assert_int_equal(route_add(&rt, ip("198.19.1.0"), 24, ROUTE_GATEWAY,
				   ip("198.18.0.9"), 0), 0);
	assert_int_equal(route_lookup(&rt, ip("198.19.1.1"))->gw,
			 ip("198.18.0.9"));
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
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_empty_lookup_misses),
		T(test_longest_prefix_wins),
		T(test_delete_falls_back_to_covering_route),
		T(test_duplicate_is_eexist),
		T(test_connected_routes_are_refcounted),
		T(test_generation_moves_with_answers),
		T(test_delete_wrong_type_or_missing),
		T(test_table_full_is_enospc),
		T(test_slot_reused_after_delete),
		T(test_type_names),
	};

	if (test_eal_init() != 0)
		return 1;
	return cmocka_run_group_tests_name("route", tests, NULL, NULL);
}
