/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * route6: the IPv6 routing table.  Two rte_fib6 (TRIE) copies, one
 * live, one standby, whose next hop is an index into an array of route
 * slots; the same local (/128 of our addresses), connected and gateway
 * routes as IPv4 (net/route.h's enum route_type).
 *
 * The main lcore is the only writer.  DPDK 22.11's rte_fib6 has no RCU
 * hook of its own and recycles its tbl8 groups at once, so a worker
 * must never read a copy being changed: a change goes to the standby
 * copy, which is then published as the live one (an atomic pointer
 * store), and after an RCU grace period (rte_rcu_qsbr_synchronize())
 * the same change goes to the other copy, which no worker reads any
 * more.  A slot is written before a copy refers to it and reused only
 * once neither does.  The copies are made on the first IPv6 route, so
 * an IPv4-only dplbd pays no memory for them.
 */
#ifndef DPLB_ROUTE6_H
#define DPLB_ROUTE6_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_fib6.h>
#include <rte_rcu_qsbr.h>

#include "net/route.h"

#define ROUTE6_NONE 0x7fffu	/* the default next hop: no route */
#define ROUTE6_MAX 0x7ffeu	/* slots a 2-byte next hop can name */

struct route6_slot {
	uint8_t gw[16];		/* gateway, unless has_gw is 0 */
	uint16_t port;		/* dplb port index */
	uint8_t type;		/* enum route_type */
	uint8_t has_gw;
	/* control plane only below */
	uint8_t in_use;
	uint8_t depth;
	uint8_t prefix[16];
	uint32_t refcnt;	/* connected routes shared by addresses */
};

struct route6_table {
	struct rte_fib6 *live;		/* what workers read (acquire) */
	struct rte_fib6 *fib[2];	/* control plane: both copies */
	struct route6_slot *slots;
	uint32_t n_slots;
	uint32_t n_used;
	/* Bumped (release, never 0) after each change goes live: a worker
	 * may keep a lookup's answer while it reads the same gen
	 * (route6_lookup_memo()). */
	uint32_t gen;
	struct rte_rcu_qsbr *qsv;
	char name[24];
};

/** Set the table up (no memory until the first route); qsv may be NULL
 * (no workers).  0 or -ENOMEM. */
int route6_table_init(struct route6_table *rt, const char *name,
		      uint32_t max_routes, struct rte_rcu_qsbr *qsv);
void route6_table_free(struct route6_table *rt);

/**
 * Add a route (gw NULL: on the device).  ROUTE_CONNECTED routes to the
 * same prefix and port are reference-counted; anything else already at
 * that prefix is -EEXIST.  -ENOSPC when the table is full, -ENOMEM when
 * the FIB cannot be made.
 */
int route6_add(struct route6_table *rt, const uint8_t prefix[16],
	       uint8_t depth, enum route_type type, const uint8_t *gw,
	       uint16_t port);

/** Delete the route at prefix/depth of the given type (a connected
 * route drops a reference first).  -ENOENT if there is none. */
int route6_del(struct route6_table *rt, const uint8_t prefix[16],
	       uint8_t depth, enum route_type type);

/** Exact-match find (control plane); NULL if absent. */
const struct route6_slot *route6_find(const struct route6_table *rt,
				      const uint8_t prefix[16], uint8_t depth);

/** Longest-prefix match; NULL if no route.  Lock-free, for workers. */
static inline const struct route6_slot *
route6_lookup(const struct route6_table *rt, const uint8_t dst[16])
{
	struct rte_fib6 *f = __atomic_load_n(&rt->live, __ATOMIC_ACQUIRE);
	uint8_t ip[1][RTE_FIB6_IPV6_ADDR_SIZE];
	uint64_t nh;

	if (f == NULL)
		return NULL;
	memcpy(ip[0], dst, 16);
	rte_fib6_lookup_bulk(f, ip, &nh, 1);
	if (nh == ROUTE6_NONE)
		return NULL;
	return &rt->slots[nh];
}

/*
 * A worker's memo of its last answers, direct-mapped by destination: a
 * longest-prefix match in rte_fib6's trie costs over 150 instructions,
 * and a worker asks the same destinations again and again (its VIPs and
 * LIPs on input, its real servers and recent clients on output).  An
 * answer is kept with the table's gen read before its lookup, and
 * serves while the gen is the same: a route's change goes live before
 * the gen moves, and a slot is reused only after a change, so a kept
 * slot is still what it was.
 */
#define ROUTE6_MEMO_BITS 12
#define ROUTE6_MEMO_SLOTS (1u << ROUTE6_MEMO_BITS)	/* 128 KB a worker */

struct route6_memo {
	struct {
		uint64_t dst[2];
		const struct route6_slot *r;	/* NULL: no route */
		uint32_t gen;			/* 0: empty */
	} e[ROUTE6_MEMO_SLOTS];
};

/** route6_lookup() through the worker's memo m. */
static inline const struct route6_slot *
route6_lookup_memo(const struct route6_table *rt, struct route6_memo *m,
		   const uint8_t dst[16])
{
	uint32_t gen = __atomic_load_n(&rt->gen, __ATOMIC_ACQUIRE);
	uint64_t d[2];
	uint32_t i;

	memcpy(d, dst, 16);
	i = (uint32_t)(((d[0] ^ d[1]) * 0x9e3779b97f4a7c15ULL) >>
		       (64 - ROUTE6_MEMO_BITS));
	if (likely(m->e[i].gen == gen && m->e[i].dst[0] == d[0] &&
		   m->e[i].dst[1] == d[1]))
		return m->e[i].r;
	m->e[i].r = route6_lookup(rt, dst);
	m->e[i].dst[0] = d[0];
	m->e[i].dst[1] = d[1];
	m->e[i].gen = gen;
	return m->e[i].r;
}

/** The next hop toward dst along r: its gateway, or dst on link. */
static inline const uint8_t *
route6_nexthop(const struct route6_slot *r, const uint8_t dst[16])
{
	return r->has_gw ? r->gw : dst;
}

#endif /* DPLB_ROUTE6_H */
