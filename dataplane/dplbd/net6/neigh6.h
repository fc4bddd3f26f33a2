/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * neigh6: a worker's view of IPv6 neighbours in net/'s neighbour table
 * (net/neigh.h: written by the main lcore only, read lock-free).  The
 * lookup by key, and a per-worker cache like IPv4's (struct
 * neigh_cache), direct-mapped by address and port and emptied when the
 * table's generation moves, so that a MAC the main lcore changed or
 * removed is not used after the worker's next lookup.  Never caches a
 * failure.
 */
#ifndef DPLB_NEIGH6_H
#define DPLB_NEIGH6_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_hash.h>

#include "net/neigh.h"

/** The neighbour table's key of an IPv6 address on port. */
static inline void
neigh_key_v6(struct neigh_key *k, uint16_t port, const uint8_t ip[16])
{
	memset(k, 0, sizeof(*k));
	memcpy(k->addr, ip, 16);
	k->port = port;
	k->family = AF_INET6;
}

/** Worker lookup of ip's MAC on port: 0, or -ENOENT if not resolved. */
static inline int
neigh_lookup6(const struct neigh_table *nt, uint16_t port,
	      const uint8_t ip[16], struct rte_ether_addr *mac)
{
	struct neigh_key k;

	neigh_key_v6(&k, port, ip);
	return neigh_lookup_key(nt, &k, mac);
}

#define NEIGH6_CACHE_BITS 8
#define NEIGH6_CACHE_SLOTS (1u << NEIGH6_CACHE_BITS)

struct neigh6_cache_slot {
	uint8_t ip[16];
	uint16_t port;
	uint16_t valid;
	struct rte_ether_addr mac;
	uint8_t pad[6];
};

struct neigh6_cache {
	uint32_t gen;
	struct neigh6_cache_slot slot[NEIGH6_CACHE_SLOTS];
} __rte_cache_aligned;

/* The slot of port, ip: Fibonacci hashing of the address's last 64 bits
 * (the interface identifier, which tells hosts of a subnet apart). */
static inline struct neigh6_cache_slot *
neigh6_cache_slot(struct neigh6_cache *c, uint16_t port, const uint8_t ip[16])
{
	uint32_t a, b;

	memcpy(&a, ip + 8, 4);
	memcpy(&b, ip + 12, 4);
	return &c->slot[(a ^ b ^ port) * 0x9e3779b1u >>
			(32 - NEIGH6_CACHE_BITS)];
}

/**
 * The MAC of ip on port through a worker's cache c (the caller's own,
 * zeroed before first use), or NULL when it is not resolved: the answer
 * of neigh_lookup6(), valid until the caller's next lookup.
 */
static inline const struct rte_ether_addr *
neigh6_cache_get(const struct neigh_table *nt, struct neigh6_cache *c,
		 uint16_t port, const uint8_t ip[16])
{
	uint32_t gen = __atomic_load_n(&nt->gen, __ATOMIC_ACQUIRE);
	struct neigh6_cache_slot *s;
	struct rte_ether_addr mac;

	RTE_BUILD_BUG_ON(sizeof(struct neigh6_cache_slot) != 32);
	if (unlikely(gen != c->gen)) {
		memset(c->slot, 0, sizeof(c->slot));
		c->gen = gen;
	}
	s = neigh6_cache_slot(c, port, ip);
	if (likely(s->valid && s->port == port && memcmp(s->ip, ip, 16) == 0))
		return &s->mac;
	/* Filled under the generation read above: if the table changed
	 * since, the next lookup sees a new one and drops it. */
	if (neigh_lookup6(nt, port, ip, &mac) != 0)
		return NULL;
	memcpy(s->ip, ip, 16);
	s->port = port;
	s->valid = 1;
	s->mac = mac;
	return &s->mac;
}

#endif /* DPLB_NEIGH6_H */
