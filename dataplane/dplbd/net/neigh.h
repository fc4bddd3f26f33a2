/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * neigh: the neighbour (ARP) table.  Written only by the main lcore;
 * workers look MACs up without locks: an rte_hash in lock-free
 * read/write mode maps (port, address) to a position, and each entry
 * publishes its MAC as one 64-bit word (bit 63 = valid) with release
 * semantics.  Key positions are recycled only after an RCU grace
 * period.  Every change of a published MAC word also bumps the table's
 * generation, so that a worker may keep resolved MACs in its own cache
 * (struct neigh_cache) and drop the cache when the generation moves:
 * one load and compare a packet instead of a hash lookup.  Packets waiting for resolution are queued here (queue_len
 * per neighbour) and released or dropped through the ops callbacks, so
 * this module knows nothing about ports or rings.
 */
#ifndef DPLB_NEIGH_H
#define DPLB_NEIGH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "inet.h"
#include "core/stats.h"

/*
 * The neighbour state machine (neigh_fsm.c), as pure functions of the
 * current state, the event and the time, so it is unit-tested alone.
 *
 *   INCOMPLETE --confirm--> REACHABLE --reachable_ms--> STALE (probe)
 *   STALE --retrans_ms--> PROBE (probe again, up to `probes` in all)
 *   INCOMPLETE/STALE/PROBE --no answer after `probes`--> FAILED
 *   FAILED --retrans_ms*probes--> removed; a new packet restarts it
 *   PERMANENT (static) never changes.
 * The MAC is usable in REACHABLE, STALE, PROBE and PERMANENT, so live
 * neighbours are re-validated without ever stalling traffic.
 */
enum neigh_state {
	NEIGH_INCOMPLETE,
	NEIGH_REACHABLE,
	NEIGH_STALE,
	NEIGH_PROBE,
	NEIGH_FAILED,
	NEIGH_PERMANENT,
};

/* Actions for the caller, as a bit mask. */
#define NEIGH_ACT_PROBE 0x1	/* send an ARP request */
#define NEIGH_ACT_FLUSH 0x2	/* transmit the queued packets */
#define NEIGH_ACT_DROP 0x4	/* drop the queued packets: unresolved */
#define NEIGH_ACT_REMOVE 0x8	/* delete the entry */

struct neigh_params {
	uint32_t reachable_ms;
	uint32_t retrans_ms;
	uint32_t probes;
	uint32_t queue_len;
};

struct neigh_fsm {
	uint8_t state;		/* enum neigh_state */
	uint8_t probes_sent;
	uint64_t deadline_ms;	/* next timer event; 0 = none */
};

/** A packet needs this neighbour (entry new or FAILED): start resolving. */
unsigned int neigh_fsm_start(struct neigh_fsm *f, const struct neigh_params *p,
			     uint64_t now_ms);
/** An ARP reply or request from the neighbour confirmed its MAC. */
unsigned int neigh_fsm_confirm(struct neigh_fsm *f,
			       const struct neigh_params *p, uint64_t now_ms);
/** Time passed; acts only when the deadline is reached. */
unsigned int neigh_fsm_timer(struct neigh_fsm *f, const struct neigh_params *p,
			     uint64_t now_ms);
/** Make the entry static. */
void neigh_fsm_permanent(struct neigh_fsm *f);

bool neigh_state_has_mac(enum neigh_state s);
const char *neigh_state_name(enum neigh_state s);

#define NEIGH_MAC_VALID (1ULL << 63)

struct neigh_key {
	uint8_t addr[16];	/* IPv4 in the first 4 bytes */
	uint16_t port;
	uint8_t family;
	uint8_t pad;
};

struct neigh_entry {
	uint64_t mac_word;	/* read by workers: valid bit | MAC */
	struct neigh_key key;
	struct neigh_fsm fsm;
	uint64_t confirmed_ms;
	uint16_t n_queued;
	uint8_t in_use;
} __rte_cache_aligned;

struct neigh_ops {
	void *ctx;
	/* Send an ARP request for ip out of port. */
	void (*probe)(void *ctx, uint16_t port, const struct inet_addr *ip);
	/* Transmit a queued packet to mac out of port. */
	void (*xmit)(void *ctx, uint16_t port, struct rte_mbuf *m,
		     const struct rte_ether_addr *mac);
	/* Count and free a packet that cannot be delivered. */
	void (*drop)(void *ctx, struct rte_mbuf *m, enum drop_reason why);
};

struct neigh_table {
	struct rte_hash *hash;
	struct neigh_entry *entries;	/* indexed by hash position */
	struct rte_mbuf **queues;	/* queue_len slots per entry */
	uint32_t size;
	uint32_t count;
	struct neigh_params params;
	struct neigh_ops ops;
	struct rte_rcu_qsbr *qsv;
	/* Bumped (release) after any published MAC word changed; workers
	 * read it (acquire) to validate their caches. */
	uint32_t gen;
};

/*
 * A worker's cache of resolved IPv4 neighbours, direct-mapped by
 * address and port.  Only the worker that owns it reads or writes it;
 * it holds MACs published while the table's generation was gen and is
 * emptied as soon as the generation differs, so a MAC that the main
 * lcore changes, invalidates or removes is not used after the worker's
 * next lookup.  Never caches a failure.
 */
#define NEIGH_CACHE_BITS 8
#define NEIGH_CACHE_SLOTS (1u << NEIGH_CACHE_BITS)

struct neigh_cache_slot {
	union {
		struct {
			rte_be32_t ip;
			uint16_t port;
			uint16_t valid;
		};
		uint64_t tag;		/* the three, compared at once */
	};
	/* mac then src: the frame's first 12 bytes, written as one copy */
	struct rte_ether_addr mac;	/* the neighbour's */
	struct rte_ether_addr src;	/* the caller's, given at the fill */
	uint16_t tx_port;		/* the caller's, given at the fill */
	uint8_t pad[10];
};

struct neigh_cache {
	uint32_t gen;
	struct neigh_cache_slot slot[NEIGH_CACHE_SLOTS];
} __rte_cache_aligned;

int neigh_table_init(struct neigh_table *nt, const char *name, uint32_t max,
		     const struct neigh_params *params,
		     const struct neigh_ops *ops, struct rte_rcu_qsbr *qsv);
void neigh_table_free(struct neigh_table *nt);

static inline void
neigh_key_v4(struct neigh_key *k, uint16_t port, rte_be32_t ip)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->addr, &ip, 4);
	k->port = port;
	k->family = AF_INET;
}

/** Worker lookup of a key of either family (neigh_key_v4(),
 *  net6/neigh6.h's neigh_key_v6()): 0 and the MAC, or -ENOENT if not
 *  resolved.  Inlined whole, so that each family's lookup compiles as
 *  its own code did. */
static __rte_always_inline int
neigh_lookup_key(const struct neigh_table *nt, const struct neigh_key *k,
		 struct rte_ether_addr *mac)
{
	int pos = rte_hash_lookup(nt->hash, k);
	uint64_t w;

	if (pos < 0)
		return -ENOENT;
	w = __atomic_load_n(&nt->entries[pos].mac_word, __ATOMIC_ACQUIRE);
	if (!(w & NEIGH_MAC_VALID))
		return -ENOENT;
	memcpy(mac->addr_bytes, &w, RTE_ETHER_ADDR_LEN);
	return 0;
}

/** Worker lookup: 0 and the MAC, or -ENOENT if not resolved. */
static inline int
neigh_lookup4(const struct neigh_table *nt, uint16_t port, rte_be32_t ip,
	      struct rte_ether_addr *mac)
{
	struct neigh_key k;

	neigh_key_v4(&k, port, ip);
	return neigh_lookup_key(nt, &k, mac);
}

static inline uint64_t
neigh_cache_tag4(uint16_t port, rte_be32_t ip)
{
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	return (uint64_t)ip | (uint64_t)port << 32 | 1ull << 48;
#else
	return (uint64_t)ip << 32 | (uint64_t)port << 16 | 1;
#endif
}

/* The slot of port, ip: Fibonacci hashing, so that addresses in a row
 * (the usual real servers) land in distinct slots. */
static inline struct neigh_cache_slot *
neigh_cache_slot4(struct neigh_cache *c, uint16_t port, rte_be32_t ip)
{
	return &c->slot[((uint32_t)ip ^ port) * 0x9e3779b1u >>
			(32 - NEIGH_CACHE_BITS)];
}

/* The miss: from the table into slot s, with the caller's source MAC
 * and tx port (src NULL: zero). */
static inline const struct neigh_cache_slot *
neigh_cache_fill4(const struct neigh_table *nt, struct neigh_cache_slot *s,
		  uint16_t port, rte_be32_t ip,
		  const struct rte_ether_addr *src, uint16_t tx_port)
{
	struct rte_ether_addr mac;

	/* Filled under the generation the caller read: if the table
	 * changed since, the next lookup sees a new generation and
	 * drops it. */
	if (neigh_lookup4(nt, port, ip, &mac) != 0)
		return NULL;
	s->tag = neigh_cache_tag4(port, ip);
	s->mac = mac;
	if (src != NULL)
		s->src = *src;
	else
		memset(&s->src, 0, sizeof(s->src));
	s->tx_port = tx_port;
	return s;
}

/**
 * The slot of ip on port in a worker's cache c (c is the caller's own,
 * zeroed before first use), or NULL when it is not resolved: its mac is
 * the answer of neigh_lookup4(), valid until the caller's next lookup.
 * A miss fills the slot with src (the caller's source MAC for this
 * port, which must not change while the generation holds) and tx_port,
 * so that mac and src are a ready Ethernet header's first 12 bytes.
 * All of c's users must pass the same src and tx_port for a port.
 */
static __rte_always_inline const struct neigh_cache_slot *
neigh_cache_get4_l2(const struct neigh_table *nt, struct neigh_cache *c,
		    uint16_t port, rte_be32_t ip,
		    const struct rte_ether_addr *src, uint16_t tx_port)
{
	uint32_t gen = __atomic_load_n(&nt->gen, __ATOMIC_ACQUIRE);
	struct neigh_cache_slot *s;

	RTE_BUILD_BUG_ON(sizeof(struct neigh_cache_slot) != 32);
	RTE_BUILD_BUG_ON(offsetof(struct neigh_cache_slot, src) !=
			 offsetof(struct neigh_cache_slot, mac) + 6);
	if (unlikely(gen != c->gen)) {
		memset(c->slot, 0, sizeof(c->slot));
		c->gen = gen;
	}
	s = neigh_cache_slot4(c, port, ip);
	if (likely(s->tag == neigh_cache_tag4(port, ip)))
		return s;
	return neigh_cache_fill4(nt, s, port, ip, src, tx_port);
}

/** The MAC of ip on port through a worker's cache c, or NULL when it is
 * not resolved (neigh_cache_get4_l2() without a source). */
static inline const struct rte_ether_addr *
neigh_cache_get4(const struct neigh_table *nt, struct neigh_cache *c,
		 uint16_t port, rte_be32_t ip)
{
	const struct neigh_cache_slot *s =
		neigh_cache_get4_l2(nt, c, port, ip, NULL, 0);

	return s != NULL ? &s->mac : NULL;
}

/** neigh_lookup4() through a worker's cache c (same answers). */
static inline int
neigh_lookup4_cached(const struct neigh_table *nt, struct neigh_cache *c,
		     uint16_t port, rte_be32_t ip, struct rte_ether_addr *mac)
{
	const struct rte_ether_addr *a = neigh_cache_get4(nt, c, port, ip);

	if (a == NULL)
		return -ENOENT;
	*mac = *a;
	return 0;
}

/*
 * Main-lcore operations.  now_ms is a monotonic clock in milliseconds.
 */

/** Queue m until ip on port resolves (starts resolution as needed). */
void neigh_resolve(struct neigh_table *nt, uint16_t port,
		   const struct inet_addr *ip, struct rte_mbuf *m,
		   uint64_t now_ms);

/**
 * The neighbour showed its MAC (ARP reply or request).  With create
 * false only an existing entry is updated.  Returns 0 or -errno.
 */
int neigh_confirm(struct neigh_table *nt, uint16_t port,
		  const struct inet_addr *ip, const struct rte_ether_addr *mac,
		  bool create, uint64_t now_ms);

/** Add or replace a permanent entry. */
int neigh_add_static(struct neigh_table *nt, uint16_t port,
		     const struct inet_addr *ip,
		     const struct rte_ether_addr *mac, uint64_t now_ms);

/** Delete one entry (-ENOENT if absent); queued packets are dropped. */
int neigh_del(struct neigh_table *nt, uint16_t port,
	      const struct inet_addr *ip);

/** Delete every non-permanent entry of port (all ports if port < 0). */
unsigned int neigh_flush(struct neigh_table *nt, int port);

/** Run timers: probes, failures, removals. */
void neigh_tick(struct neigh_table *nt, uint64_t now_ms);

/** Iterate the entries in use; cb returns non-zero to stop. */
void neigh_foreach(const struct neigh_table *nt,
		   int (*cb)(const struct neigh_entry *e, void *arg),
		   void *arg);

/** The address of an entry as an inet_addr. */
struct inet_addr neigh_entry_addr(const struct neigh_entry *e);

#endif /* DPLB_NEIGH_H */
