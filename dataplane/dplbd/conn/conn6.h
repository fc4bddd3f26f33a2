/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conn6: the per-worker table of IPv6 connections (and NAT64 ones,
 * whose server side is IPv4), kept apart so that IPv4 entries stay one
 * 64-byte cache line (conn.h).
 *
 * The life cycle is conn.c's, through its public API: every IPv6
 * connection owns one entry of a private conn_table (`life`), made by
 * conn_new_ipv6() without keys of its own (CONN_F_IPV6, CONN_F_NO_OUT).
 * That entry carries what the load balancer reads and writes for any
 * connection (state, fwd, flags, svc_id, aux, priv, last_seen);
 * conn_touch(), conn_set_state() and the timing wheel work on it
 * unchanged, against conn6_life(t).  conn6_has_out() tells whether it
 * has a server-side key.
 *
 * What IPv6 adds lives here, by the entry's conn_ref() in life: the two
 * 40-byte keys (client -> VIP, server -> local address; either side
 * IPv4 for NAT64).  They are filed in life's own index (conn_index.h),
 * which no IPv4 key uses, under this module's hash and compare, with
 * the same references (conn_ref() << 1 | side) IPv4 keys have: a lookup
 * reads the bucket, the key, then the entry.  Per connection: the
 * 64-byte entry, 80 bytes of keys and the index's 21 bytes (two keys at
 * 75% of 8-slot 64-byte buckets): docs/conn-table.md.
 *
 * One table per worker, no locks; functions return 0 or a negative
 * errno, pointers NULL with rte_errno set.  Nothing allocates after
 * conn6_table_create().
 */
#ifndef DPLB_CONN6_H
#define DPLB_CONN6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "conn/conn.h"

/**
 * One side of a connection as its packets carry it: src -> dst.
 * family AF_INET6, or AF_INET with the addresses in the first 4 bytes
 * and the other 12 zero (the NAT64 server side).  pad must be zero.
 */
struct conn6_key {
	uint8_t src[16];
	uint8_t dst[16];
	rte_be16_t sport;
	rte_be16_t dport;
	uint8_t proto;
	uint8_t family;
	uint8_t pad[2];
};

struct conn6_table {
	struct conn_table *life;	/* entries, states, timing wheel and
					 * the index of the keys */
	struct conn6_key (*keys)[2];	/* [conn_ref() in life][side] */
	uint32_t capacity;
	size_t memory;			/* bytes allocated here (not life) */
};

/** Build an IPv4 (NAT64 server side) key. */
static inline void
conn6_key4(struct conn6_key *k, rte_be32_t src, rte_be32_t dst,
	   rte_be16_t sport, rte_be16_t dport, uint8_t proto)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->src, &src, 4);
	memcpy(k->dst, &dst, 4);
	k->sport = sport;
	k->dport = dport;
	k->proto = proto;
	k->family = AF_INET;
}

/** Build an IPv6 key (inline: every IPv6 packet makes one). */
static inline void
conn6_key6(struct conn6_key *k, const uint8_t src[16], const uint8_t dst[16],
	   rte_be16_t sport, rte_be16_t dport, uint8_t proto)
{
	memcpy(k->src, src, 16);
	memcpy(k->dst, dst, 16);
	k->sport = sport;
	k->dport = dport;
	k->proto = proto;
	k->family = AF_INET6;
	k->pad[0] = k->pad[1] = 0;
}

/**
 * Create a table for capacity connections on socket with conn.c's
 * default timeouts.  0, -EINVAL (capacity 0 or over CONN_MAX_CAPACITY)
 * or -ENOMEM.
 */
int conn6_table_create(struct conn6_table **t, const char *name,
		       uint32_t capacity, int socket);
void conn6_table_free(struct conn6_table *t);

/** The conn_table holding the entries: for conn_touch(),
 * conn_set_state(), conn_table_set_timeouts(). */
static inline struct conn_table *
conn6_life(const struct conn6_table *t)
{
	return t->life;
}

/**
 * Add a connection with its in key and out key (NULL for DR and
 * TUNNEL), same protocol, in state, seen at now.  NULL with rte_errno
 * ENOSPC (full), EEXIST (a key is there), EINVAL (protocols differ,
 * keys equal, a family unknown or pad not zero).
 */
struct conn *conn6_new(struct conn6_table *t, const struct conn6_key *in,
		       const struct conn6_key *out, uint8_t state,
		       uint32_t now);

/** conn6_new() of an in key whose place the caller has (in_loc from
 * conn6_key_loc() or conn6_key_locate(): a burst's lookup that missed):
 * the key is not hashed again. */
struct conn *conn6_new_located(struct conn6_table *t,
			       const struct conn6_key *in,
			       struct conn_loc in_loc,
			       const struct conn6_key *out, uint8_t state,
			       uint32_t now);

/** A persistence template: in key only, its own timeout (ms). */
struct conn *conn6_new_timed(struct conn6_table *t, const struct conn6_key *in,
			     uint32_t timeout_ms, uint32_t now);

/** The connection of k or NULL; *is_reply (may be NULL): k is its out key. */
struct conn *conn6_lookup(const struct conn6_table *t,
			  const struct conn6_key *k, bool *is_reply);

/*
 * The hash of a key: a keyed multiply-and-fold of its five 64-bit
 * words, as conn.c hashes IPv4 tuples (high half the bucket, low bits
 * the signature).  The key is secret (drawn at the first table's
 * creation, the same for all), against collision floods.
 */
extern uint64_t conn6_key_seed[6];

/* Word i of a 40-byte key, loaded in a register (an array of the five
 * words went through the stack). */
static inline uint64_t
conn6_word(const void *k, unsigned int i)
{
	uint64_t w;

	memcpy(&w, (const char *)k + i * sizeof(w), sizeof(w));
	return w;
}

/** Where k's probe starts in t's index. */
static inline struct conn_loc
conn6_key_loc(const struct conn6_table *t, const struct conn6_key *k)
{
	const uint64_t *s = conn6_key_seed;

	RTE_BUILD_BUG_ON(sizeof(struct conn6_key) != 5 * sizeof(uint64_t));
	return conn_index_loc(&t->life->ix,
			      conn_mum(conn6_word(k, 0) ^ s[0],
				       conn6_word(k, 1) ^ s[1]) +
			      conn_mum(conn6_word(k, 2) ^ s[2],
				       conn6_word(k, 3) ^ s[3]) +
			      conn_mum(conn6_word(k, 4) ^ s[4], s[5]));
}

/**
 * Where k's probe starts, with its home bucket prefetched
 * (conn_key_locate() of IPv6 keys), for conn6_lookup_bulk_located().
 * Inline: every IPv6 packet of the burst path locates its key.
 */
static inline struct conn_loc
conn6_key_locate(const struct conn6_table *t, const struct conn6_key *k)
{
	struct conn_loc loc = conn6_key_loc(t, k);

	conn_index_prefetch(&t->life->ix, loc);
	return loc;
}

/**
 * conn6_lookup() of n keys (at most CONN_BULK_MAX) located by
 * conn6_key_locate(), in two passes so that the misses of each overlap:
 * conns[i] the connection of keys[i] or NULL, is_reply[i] as
 * conn6_lookup()'s.  Returns the number found.
 */
unsigned int conn6_lookup_bulk_located(const struct conn6_table *t,
				       const struct conn6_key *keys,
				       const struct conn_loc *locs,
				       unsigned int n, struct conn **conns,
				       bool *is_reply);

/** Start watching for changes that could alter the answers of the
 * lookups made now (conn_watch()). */
static inline void
conn6_watch(struct conn6_table *t)
{
	conn_watch(t->life);
}

/** Whether the answer found (NULL: a miss) of the key located at loc,
 * looked up before conn6_watch(), may have changed since
 * (conn_answer_stale()). */
static inline bool
conn6_answer_stale(const struct conn6_table *t, const struct conn_loc *loc,
		   const struct conn *found)
{
	return conn_answer_stale(t->life, loc, found);
}

/** The key of one side of c (zero for the out side of an entry made
 * without one). */
void conn6_key_get(const struct conn6_table *t, const struct conn *c,
		   enum conn_side side, struct conn6_key *k);

/** The key of one side of c, where the table keeps it (valid while c
 * lives): the packet path reads it without a copy. */
static inline const struct conn6_key *
conn6_key_of(const struct conn6_table *t, const struct conn *c,
	     enum conn_side side)
{
	return &t->keys[conn_ref(t->life, c)][side];
}

/** True when c was made with an out key (not DR, TUNNEL, template). */
static inline bool
conn6_has_out(const struct conn6_table *t, const struct conn *c)
{
	return t->keys[conn_ref(t->life, c)][CONN_SIDE_OUT].family != 0;
}

/** Remove c and its keys now, without the expire callback. */
void conn6_del(struct conn6_table *t, struct conn *c);

/** conn_expire_tick() for IPv6 entries: the keys of an expired entry
 * go with it unless expire keeps it. */
unsigned int conn6_expire_tick(struct conn6_table *t, uint32_t now,
			       unsigned int budget, conn_expire_cb expire,
			       void *ctx);

static inline uint32_t
conn6_count(const struct conn6_table *t)
{
	return conn_count(t->life);
}

/** Bytes this table allocated, life (entries and index) included. */
size_t conn6_table_memory(const struct conn6_table *t);

/** conn_table_check() of life, and every IPv6 entry found under its
 * keys, the index consistent: 0 or -EFAULT (tests). */
int conn6_table_check(struct conn6_table *t);

#endif /* DPLB_CONN6_H */
