/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * route: the IPv4 routing table.  One rte_lpm holds local (/32 of our
 * addresses), connected and gateway routes; its next hop is an index
 * into an array of route slots.  The main lcore is the only writer;
 * workers read without locks.  A slot is reused only after an RCU
 * grace period (rte_rcu_qsbr_synchronize), and rte_lpm reclaims its
 * tbl8 groups through the same QSBR variable, so a worker never sees a
 * half-written or recycled entry.
 *
 * Beside the LPM, a 2 KB filter of our own addresses answers "is this
 * one of ours?" for a new connection's source (the martian check) with
 * one bit, no tbl24 line: a source from anywhere on the Internet would
 * cost a cache miss in the LPM.  A set bit only means maybe.
 */
#ifndef DPLB_ROUTE_H
#define DPLB_ROUTE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_lpm.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>

#include "inet.h"

enum route_type {
	ROUTE_LOCAL,		/* one of our addresses */
	ROUTE_CONNECTED,	/* subnet of one of our addresses */
	ROUTE_GATEWAY,		/* static: via a next hop, or gw 0 = on the device */
};

struct route_slot {
	rte_be32_t gw;		/* gateway, 0 unless ROUTE_GATEWAY */
	uint16_t port;		/* dplb port index */
	uint8_t type;		/* enum route_type */
	uint8_t in_use;
	/* control-plane only below */
	rte_be32_t prefix;
	uint8_t depth;
	uint32_t refcnt;	/* connected routes shared by addresses */
};

struct route_table {
	struct rte_lpm *lpm;
	struct route_slot *slots;
	uint32_t n_slots;
	uint32_t n_used;
	uint32_t default_nh;	/* slot of 0.0.0.0/0 (rte_lpm has no depth 0) */
	struct rte_rcu_qsbr *qsv;
	/* Bumped by every change of what route_lookup() answers (never 0),
	 * before the grace period that frees a deleted route's slot: a
	 * worker may keep a lookup's answer while it reads the same gen
	 * (route_gen()). */
	uint32_t gen;
	/* A bit per hash of each local /32 (route_local_bit()); all bits
	 * while a local route covers more than one address.  Workers read
	 * it word by word; the main lcore sets bits before a local route
	 * goes in and rebuilds it after one is gone. */
	uint64_t *local_filter;
};

#define ROUTE_NO_DEFAULT UINT32_MAX
#define ROUTE_LOCAL_FILTER_SHIFT 14	/* 16,384 bits: 2 KB */
#define ROUTE_LOCAL_FILTER_WORDS ((1u << ROUTE_LOCAL_FILTER_SHIFT) / 64)

/** Create a table of max_routes entries; qsv may be NULL (no workers). */
int route_table_init(struct route_table *rt, const char *name,
		     uint32_t max_routes, struct rte_rcu_qsbr *qsv);
void route_table_free(struct route_table *rt);

/**
 * Add a route.  ROUTE_CONNECTED routes to the same prefix and port are
 * reference-counted; anything else already at that prefix is -EEXIST.
 * -ENOSPC when the table is full.
 */
int route_add(struct route_table *rt, rte_be32_t prefix, uint8_t depth,
	      enum route_type type, rte_be32_t gw, uint16_t port);

/**
 * Delete the route at prefix/depth of the given type (connected routes
 * drop a reference first).  -ENOENT if there is none of that type.
 * Waits for a grace period before the slot can be reused.
 */
int route_del(struct route_table *rt, rte_be32_t prefix, uint8_t depth,
	      enum route_type type);

/** Exact-match find (control plane); NULL if absent. */
const struct route_slot *route_find(const struct route_table *rt,
				    rte_be32_t prefix, uint8_t depth);

/** After a change went live (IPv4 or IPv6 table): its generation moves
 * on, never to 0 (a kept answer's "none"), so kept answers are stale. */
static inline void
route_gen_bump(uint32_t *gen)
{
	uint32_t next = *gen + 1;

	__atomic_store_n(gen, next != 0 ? next : 1, __ATOMIC_RELEASE);
}

/** The table's generation, read before a lookup whose answer is kept
 * (struct route_table's gen). */
static inline uint32_t
route_gen(const struct route_table *rt)
{
	return __atomic_load_n(&rt->gen, __ATOMIC_ACQUIRE);
}

/**
 * Start loading what route_lookup(rt, dst) reads first, its tbl24 entry
 * (a line of a 64 MB table, as random as dst), for a lookup a little
 * later: a burst's prefetches load together instead of one miss at a
 * time.
 */
static inline void
route_prefetch(const struct route_table *rt, rte_be32_t dst)
{
	rte_prefetch0(&rt->lpm->tbl24[rte_be_to_cpu_32(dst) >> 8]);
}

/** Longest-prefix match; NULL if no route.  Lock-free, for workers. */
static inline const struct route_slot *
route_lookup(const struct route_table *rt, rte_be32_t dst)
{
	uint32_t nh;

	if (rte_lpm_lookup(rt->lpm, rte_be_to_cpu_32(dst), &nh) != 0) {
		nh = __atomic_load_n(&rt->default_nh, __ATOMIC_ACQUIRE);
		if (nh == ROUTE_NO_DEFAULT)
			return NULL;
	}
	return &rt->slots[nh];
}

static inline uint32_t
route_local_bit(rte_be32_t addr)
{
	/* host order: the bits that vary most (the last octet) are the
	 * multiply's low bits, which reach all of the high bits taken */
	return (rte_be_to_cpu_32(addr) * 0x9e3779b1u) >>
	       (32 - ROUTE_LOCAL_FILTER_SHIFT);
}

/**
 * addr may be one of our addresses (a local route covers it); false is
 * sure.  One bit of a 2 KB filter: the LPM needs asking only on true.
 */
static inline bool
route_maybe_local(const struct route_table *rt, rte_be32_t addr)
{
	uint32_t b = route_local_bit(addr);

	return (__atomic_load_n(&rt->local_filter[b / 64], __ATOMIC_RELAXED) >>
		(b % 64)) & 1;
}

/** dst is the broadcast address of the connected subnet of r. */
static inline bool
route_is_subnet_broadcast(const struct route_slot *r, rte_be32_t dst)
{
	uint32_t host_mask;

	if (r->type != ROUTE_CONNECTED || r->depth >= 31)
		return false;
	host_mask = ~0u >> r->depth;
	return (rte_be_to_cpu_32(dst) & host_mask) == host_mask;
}

const char *route_type_name(enum route_type t);

#endif /* DPLB_ROUTE_H */
