/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What both routing tables must do alike (net/route.h's rte_lpm for
 * IPv4, net6/route6.h's two rte_fib6 copies for IPv6), written once:
 * the longest prefix wins, a delete falls back to the covering route,
 * a taken prefix is -EEXIST and a missing or other-typed one -ENOENT,
 * connected routes are counted per port, a full table is -ENOSPC and
 * frees a slot on delete.
 *
 * A test file gives its family's table as a struct route_suite: the
 * table's calls on text addresses, and the addresses each test uses.
 * Its tests take the suite as cmocka state (ROUTE_SUITE_TESTS) and run
 * on an empty table of max_routes routes made by the file's setup.
 * What only one family has stays in its own file.
 */
#ifndef DPLB_TEST_ROUTE_SUITE_H
#define DPLB_TEST_ROUTE_SUITE_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>

#include "inet.h"
#include "net/route.h"

struct route_suite {
	/** Add p of type, via gw (NULL: none) on port. */
	int (*add)(const struct inet_prefix *p, enum route_type type,
		   const struct inet_addr *gw, uint16_t port);
	int (*del)(const struct inet_prefix *p, enum route_type type);
	/** The longest match of a: its type and *port, or -ENOENT. */
	int (*lookup)(const struct inet_addr *a, uint16_t *port);
	/** The type of the route at exactly p, or -ENOENT. */
	int (*find)(const struct inet_prefix *p);
	const uint32_t *n_used;	/* the table's count of routes */
	unsigned int max_routes;
	/* The addresses the tests use, as text. */
	const char *nth_prefix_fmt; /* distinct prefixes: format of an unsigned int */
	const char *wide;	/* a prefix that covers sub */
	const char *sub;	/* a subnet inside wide */
	const char *host;	/* a host address inside sub */
	const char *in_sub;	/* an address in sub, not host */
	const char *in_wide;	/* an address in wide, not in sub */
	const char *outside;	/* an address in neither */
	const char *other;	/* a prefix that overlaps none of them */
	const char *gw;		/* a gateway */
};

static inline struct inet_prefix
route_suite_prefix(const char *s)
{
	struct inet_prefix p;

	assert_int_equal(inet_prefix_parse(s, &p), 0);
	return p;
}

static inline struct inet_addr
route_suite_addr(const char *s)
{
	struct inet_addr a;

	assert_int_equal(inet_addr_parse(s, &a), 0);
	return a;
}

/* The suite's calls on text (gw NULL: none). */
static inline int
rs_add(const struct route_suite *s, const char *prefix, enum route_type type,
       const char *gw, uint16_t port)
{
	struct inet_prefix p = route_suite_prefix(prefix);
	struct inet_addr g;

	if (gw != NULL)
		g = route_suite_addr(gw);
	return s->add(&p, type, gw != NULL ? &g : NULL, port);
}

static inline int
rs_del(const struct route_suite *s, const char *prefix, enum route_type type)
{
	struct inet_prefix p = route_suite_prefix(prefix);

	return s->del(&p, type);
}

static inline int
rs_lookup(const struct route_suite *s, const char *addr, uint16_t *port)
{
	struct inet_addr a = route_suite_addr(addr);

	return s->lookup(&a, port);
}

static inline int
rs_find(const struct route_suite *s, const char *prefix)
{
	struct inet_prefix p = route_suite_prefix(prefix);

	return s->find(&p);
}

/* The port of addr's route, which must exist. */
static inline uint16_t
rs_port(const struct route_suite *s, const char *addr)
{
	uint16_t port = UINT16_MAX;

	assert_true(rs_lookup(s, addr, &port) >= 0);
	return port;
}

static void
test_empty_lookup_misses(void **state)
{
	const struct route_suite *s = *state;
	uint16_t port;

	assert_int_equal(rs_lookup(s, s->in_sub, &port), -ENOENT);
	assert_int_equal(rs_find(s, s->sub), -ENOENT);
}

static void
test_longest_prefix_wins(void **state)
{
	const struct route_suite *s = *state;
	uint16_t port;

	assert_int_equal(rs_add(s, s->wide, ROUTE_GATEWAY, s->gw, 0), 0);
	assert_int_equal(rs_add(s, s->sub, ROUTE_CONNECTED, NULL, 1), 0);
	assert_int_equal(rs_add(s, s->host, ROUTE_LOCAL, NULL, 1), 0);
	assert_int_equal(rs_lookup(s, s->in_wide, &port), ROUTE_GATEWAY);
	assert_int_equal(port, 0);
	assert_int_equal(rs_lookup(s, s->in_sub, &port), ROUTE_CONNECTED);
	assert_int_equal(port, 1);
	assert_int_equal(rs_lookup(s, s->host, &port), ROUTE_LOCAL);
	assert_int_equal(rs_lookup(s, s->outside, &port), -ENOENT);
	assert_int_equal(*s->n_used, 3);
}

static void
test_delete_falls_back_to_covering_route(void **state)
{
	const struct route_suite *s = *state;

	assert_int_equal(rs_add(s, s->wide, ROUTE_GATEWAY, s->gw, 0), 0);
	assert_int_equal(rs_add(s, s->sub, ROUTE_GATEWAY, s->gw, 1), 0);
	assert_int_equal(rs_port(s, s->in_sub), 1);
	assert_int_equal(rs_del(s, s->sub, ROUTE_GATEWAY), 0);
	assert_int_equal(rs_port(s, s->in_sub), 0);
	assert_int_equal(*s->n_used, 1);
	assert_int_equal(rs_del(s, s->wide, ROUTE_GATEWAY), 0);
	assert_int_equal(rs_lookup(s, s->in_sub, &(uint16_t){ 0 }), -ENOENT);
	assert_int_equal(*s->n_used, 0);
}

static void
test_taken_prefix_is_eexist(void **state)
{
	const struct route_suite *s = *state;

	assert_int_equal(rs_add(s, s->sub, ROUTE_GATEWAY, s->gw, 0), 0);
	assert_int_equal(rs_add(s, s->sub, ROUTE_GATEWAY, NULL, 1), -EEXIST);
	assert_int_equal(rs_add(s, s->sub, ROUTE_CONNECTED, NULL, 0), -EEXIST);
	assert_int_equal(rs_find(s, s->sub), ROUTE_GATEWAY);
	/* exact match only: the covering prefix is not this route */
	assert_int_equal(rs_find(s, s->wide), -ENOENT);
}

static void
test_delete_wrong_type_or_missing(void **state)
{
	const struct route_suite *s = *state;

	assert_int_equal(rs_del(s, s->other, ROUTE_GATEWAY), -ENOENT);
	assert_int_equal(rs_add(s, s->host, ROUTE_LOCAL, NULL, 0), 0);
	assert_int_equal(rs_del(s, s->host, ROUTE_GATEWAY), -ENOENT);
	assert_int_equal(rs_find(s, s->host), ROUTE_LOCAL);
}

static void
test_connected_routes_are_refcounted(void **state)
{
	const struct route_suite *s = *state;
	uint16_t port;

	assert_int_equal(rs_add(s, s->sub, ROUTE_CONNECTED, NULL, 2), 0);
	assert_int_equal(rs_add(s, s->sub, ROUTE_CONNECTED, NULL, 2), 0);
	/* Another port cannot share the subnet. */
	assert_int_equal(rs_add(s, s->sub, ROUTE_CONNECTED, NULL, 3), -EEXIST);
	assert_int_equal(rs_del(s, s->sub, ROUTE_CONNECTED), 0);
	assert_int_equal(rs_lookup(s, s->in_sub, &port), ROUTE_CONNECTED);
	assert_int_equal(rs_del(s, s->sub, ROUTE_CONNECTED), 0);
	assert_int_equal(rs_lookup(s, s->in_sub, &port), -ENOENT);
}

static void
test_full_is_enospc_and_delete_frees_a_slot(void **state)
{
	const struct route_suite *s = *state;
	char p[INET_PREFIX_STRLEN];
	unsigned int i;

	for (i = 0; i < s->max_routes; i++) {
		snprintf(p, sizeof(p), s->nth_prefix_fmt, i);
		assert_int_equal(rs_add(s, p, ROUTE_GATEWAY, s->gw, 0), 0);
	}
	assert_int_equal(rs_add(s, s->other, ROUTE_GATEWAY, s->gw, 0), -ENOSPC);
	snprintf(p, sizeof(p), s->nth_prefix_fmt, 3);
	assert_int_equal(rs_del(s, p, ROUTE_GATEWAY), 0);
	assert_int_equal(rs_add(s, s->other, ROUTE_GATEWAY, s->gw, 2), 0);
	assert_int_equal(rs_find(s, s->other), ROUTE_GATEWAY);
	assert_int_equal(rs_find(s, p), -ENOENT);
	assert_int_equal(*s->n_used, s->max_routes);
}

/* The suite's tests, each on a fresh table (setup, teardown) with
 * suite (a const struct route_suite *) as state. */
#define ROUTE_SUITE_TEST(f, setup, teardown, suite)                            \
	cmocka_unit_test_prestate_setup_teardown(f, setup, teardown,           \
						 (void *)(suite))
#define ROUTE_SUITE_TESTS(setup, teardown, suite)                              \
	ROUTE_SUITE_TEST(test_empty_lookup_misses, setup, teardown, suite),    \
	ROUTE_SUITE_TEST(test_longest_prefix_wins, setup, teardown, suite),    \
	ROUTE_SUITE_TEST(test_delete_falls_back_to_covering_route, setup,      \
			 teardown, suite),                                     \
	ROUTE_SUITE_TEST(test_taken_prefix_is_eexist, setup, teardown,         \
			 suite),                                               \
	ROUTE_SUITE_TEST(test_delete_wrong_type_or_missing, setup, teardown,   \
			 suite),                                               \
	ROUTE_SUITE_TEST(test_connected_routes_are_refcounted, setup,          \
			 teardown, suite),                                     \
	ROUTE_SUITE_TEST(test_full_is_enospc_and_delete_frees_a_slot, setup,   \
			 teardown, suite)

#endif /* DPLB_TEST_ROUTE_SUITE_H */
