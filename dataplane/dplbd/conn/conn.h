/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conn: the per-worker connection table of the load balancer.
 *
 * One table per worker, read and written only by that worker: no locks
 * and no atomics.  The control plane sees it only through messages the
 * worker answers (conn_foreach() pages a listing).
 *
 * Each connection is one 64-byte entry (one cache line) reachable by
 * two keys:
 *   in   client addr:port -> VIP:vport          (what the client sends)
 *   out  server addr:port -> local addr:lport   (what the server sends
 *        back; local = LIP for FNAT/SNAT, the client for NAT)
 * so that a reply finds the same entry as the request; the lookup says
 * which key matched (is_reply).  DR and TUNNEL never see replies and
 * index the in key only.
 *
 * The index is not rte_hash: two keys per connection in rte_hash cost
 * 96 to 114 bytes per connection before the entry itself, over the 128
 * byte budget (docs/conn-table.md).  It is an open-addressed array of
 * 64-byte buckets of 8 slots (16-bit signature + 32-bit entry
 * reference), probed linearly with an overflow count per bucket, sized
 * at 75% load of 2 keys per connection, so an insert never fails while
 * the entry pool has room (conn_index.h, shared with conn6.c).
 *
 * Expiry: the packet path only stores a last-seen time (conn_touch()).
 * A coarse timing wheel (CONN_WHEEL_SLOTS slots of 2^CONN_WHEEL_SHIFT
 * ms) holds each entry once; conn_expire_tick() checks the entries of
 * elapsed slots against last_seen + timeout(state), re-files the live
 * ones and expires the others through a callback, within a budget.
 *
 * Time is a uint32_t in milliseconds chosen by the caller (any origin,
 * wrapping every 49.7 days); all comparisons are wrap-safe, so
 * timeouts are capped at CONN_MAX_TIMEOUT_MS.
 *
 * Functions return 0 or a negative errno; those returning a pointer
 * return NULL and set rte_errno.  Nothing here allocates after
 * conn_table_create().
 */
#ifndef DPLB_CONN_H
#define DPLB_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_prefetch.h>

#include "conn/conn_index.h"
#include "conn/conn_state.h"

#define CONN_WHEEL_SHIFT 8		/* slot width 256 ms */
#define CONN_WHEEL_SLOTS 2048u		/* one turn: 524 s */
#define CONN_MAX_CAPACITY (1u << 28)	/* entry references keep a side bit */
#define CONN_MAX_TIMEOUT_MS (1u << 30)	/* wrap-safe comparisons need < 2^31 */
#define CONN_ITER_END UINT32_MAX

/** An IPv4 5-tuple as a packet carries it: src -> dst. */
struct conn_key4 {
	rte_be32_t src_addr;
	rte_be32_t dst_addr;
	rte_be16_t src_port;
	rte_be16_t dst_port;
	uint8_t proto;		/* IPPROTO_TCP, IPPROTO_UDP */
	uint8_t pad[3];		/* ignored */
};

/** The addresses and ports of a key, as stored in an entry. */
struct conn_tuple4 {
	rte_be32_t src_addr;
	rte_be32_t dst_addr;
	rte_be16_t src_port;
	rte_be16_t dst_port;
};

/** Which key of a connection: the request side or the reply side. */
enum conn_side {
	CONN_SIDE_IN,		/* client -> VIP */
	CONN_SIDE_OUT,		/* server -> local address */
};

/** Forwarding modes, as IPVS plus SNAT. */
enum conn_fwd {
	CONN_FWD_FNAT,
	CONN_FWD_NAT,
	CONN_FWD_DR,
	CONN_FWD_TUNNEL,
	CONN_FWD_SNAT,
};

/* Entry flags.  LIVE, NO_OUT and OWN_TIMEOUT belong to the table; the
 * rest are the caller's. */
#define CONN_F_LIVE 0x01	/* in use (entries are never freed memory) */
#define CONN_F_NO_OUT 0x02	/* only the in key is indexed (DR, TUNNEL) */
#define CONN_F_IPV6 0x04	/* conn6's: its keys are conn6.c's */
#define CONN_F_OWN_TIMEOUT 0x08	/* timeout in own_timeout, not by state */
#define CONN_F_USER_MASK 0xf0

/**
 * One connection: exactly one cache line.  The caller reads every
 * field and writes state (through conn_set_state()), fwd, the user
 * flags, aux, svc_id and priv; the rest belongs to the table.
 */
struct conn {
	union {
		struct conn_tuple4 tuple[2];	/* [enum conn_side] */
		struct {			/* CONN_F_OWN_TIMEOUT entries,
						 * which have no out key */
			struct conn_tuple4 tuple_in_;
			uint32_t own_timeout;	/* ms */
		};
	};
	uint8_t proto;
	uint8_t state;			/* enum tcp_state / udp_state */
	uint8_t fwd;			/* enum conn_fwd */
	uint8_t flags;			/* CONN_F_* */
	uint32_t last_seen;		/* ms, conn_touch() */
	uint32_t aux;			/* the caller's, zeroed by conn_new()
					 * (lb: the HA sync state) */
	uint32_t svc_id;		/* the caller's service id */
	uint32_t wheel_next;		/* table: wheel list or free list */
	uint32_t wheel_prev;		/* table: wheel list */
	uint32_t priv[4];		/* the caller's, zeroed by conn_new():
					 * FNAT sequence delta, sync state... */
} __rte_cache_aligned;

/**
 * Called for each connection that times out.  Returns false to let the
 * table free it, true to keep it for another timeout (a persistence
 * template that still controls connections).
 */
typedef bool (*conn_expire_cb)(void *ctx, struct conn *c);

/* Private to conn.c; here so the inline accessors below can see it. */
struct conn_table {
	struct conn_index ix;		/* keys -> entry index << 1 | side */
	struct conn *entries;		/* capacity + 1; [0] is never used */
	uint32_t capacity;
	uint32_t count;
	uint32_t free_head;		/* freed entries, via wheel_next */
	uint32_t hwm;			/* entries 1..hwm were handed out */
	uint32_t gen;			/* bumped by every insert and removal */
	uint32_t removed;		/* removals, ever */
	uint32_t watch_removed;		/* removed at conn_watch() */
	uint64_t added[4];		/* keys added since conn_watch(), by
					 * conn_watch_note() */
	uint32_t wheel_cursor;		/* ms: start of the next slot to check */
	bool wheel_started;
	uint64_t seed[3];		/* keyed hash against collision floods */
	size_t memory;			/* bytes allocated */
	struct conn_timeouts timeouts;
	uint32_t tcp_ms[TCP_STATE_COUNT];	/* timeouts in ms, capped */
	uint32_t udp_ms[UDP_STATE_COUNT];	/* (UDP and ICMP) */
	uint32_t wheel[CONN_WHEEL_SLOTS];	/* list heads, entry index */
	char name[32];
};

/**
 * Create a table for capacity connections on NUMA socket (or
 * SOCKET_ID_ANY), with the default timeouts.  All its memory is taken
 * here.  0, -EINVAL (capacity 0 or above CONN_MAX_CAPACITY) or -ENOMEM.
 */
int conn_table_create(struct conn_table **t, const char *name,
		      uint32_t capacity, int socket);

/** Free the table and everything in it (no callbacks).  NULL is fine. */
void conn_table_free(struct conn_table *t);

/**
 * Replace the per-state timeouts.  Entries already filed are checked
 * at their old due time first, then re-filed with the new timeout.
 */
void conn_table_set_timeouts(struct conn_table *t,
			     const struct conn_timeouts *to);

/**
 * Add a connection with its in key and its out key (NULL: none, for DR
 * and TUNNEL), both of the same protocol, in the given initial state,
 * seen at now.  Every field not set from the arguments is zero.  NULL with rte_errno ENOSPC when the table is full (the
 * caller counts it), EEXIST when a key is already there, EINVAL when
 * the two keys differ in protocol or are the same.
 */
struct conn *conn_new(struct conn_table *t, const struct conn_key4 *in,
		      const struct conn_key4 *out, uint8_t state,
		      uint32_t now);

/**
 * conn_new() of an in key whose place the caller has, in_loc from
 * conn_key_loc() or conn_key_locate() (a burst's lookup that missed):
 * the key is not hashed again.
 */
struct conn *conn_new_located(struct conn_table *t, const struct conn_key4 *in,
			      struct conn_loc in_loc,
			      const struct conn_key4 *out, uint8_t state,
			      uint32_t now);

/**
 * Add an entry with only an in key and its own timeout (ms, capped at
 * CONN_MAX_TIMEOUT_MS) instead of its state's: a persistence template.
 * State TCP_S_NONE (0); errors as conn_new().
 */
struct conn *conn_new_timed(struct conn_table *t, const struct conn_key4 *in,
			    uint32_t timeout_ms, uint32_t now);

/**
 * Add an entry without keys for conn6.c, which files an IPv6
 * connection's keys in t's index under its own hash and compare: flags
 * CONN_F_IPV6 and CONN_F_NO_OUT, tuples zero, timeout_ms its own as
 * conn_new_timed() (0: by state).  conn6.c removes the keys before
 * conn_del(), or in conn_expire_tick()'s callback when it lets the
 * entry go.  NULL with rte_errno ENOSPC when the table is full.
 */
struct conn *conn_new_ipv6(struct conn_table *t, uint8_t proto, uint8_t state,
			   uint32_t timeout_ms, uint32_t now);

/** How long c lives without being touched, in ms. */
uint32_t conn_timeout_of(const struct conn_table *t, const struct conn *c);

/**
 * The connection k belongs to, or NULL.  *is_reply (if is_reply is not
 * NULL) tells whether k matched the out key; false on a miss.
 */
struct conn *conn_lookup4(struct conn_table *t, const struct conn_key4 *k,
			  bool *is_reply);

/* ---- hashing (inline for conn_key_locate()) ---- */

/* 64x64->128 multiply folded to 64 bits (wyhash's mum). */
static inline uint64_t
conn_mum(uint64_t a, uint64_t b)
{
	__uint128_t p = (__uint128_t)a * b;

	return (uint64_t)p ^ (uint64_t)(p >> 64);
}

/*
 * A keyed 64-bit hash of the 13 bytes that matter: the address pair and
 * the ports at the start of tuple (a struct conn_tuple4, or a key,
 * which starts with one), and proto.  The table's random seed keeps a
 * sender from aiming tuples at one bucket run; 64 bits give the bucket
 * (high half) and a signature independent of it (low bits), which a
 * 32-bit CRC could not for large tables.
 */
static inline uint64_t
conn_tuple_hash(const struct conn_table *t, const void *tuple, uint8_t proto)
{
	uint64_t w0;
	uint32_t ports;

	memcpy(&w0, tuple, 8);
	memcpy(&ports, (const char *)tuple + 8, 4);
	return conn_mum(w0 ^ t->seed[0],
			((uint64_t)proto << 32 | ports) ^ t->seed[1]);
}

static inline uint64_t
conn_key_hash(const struct conn_table *t, const struct conn_key4 *k)
{
	return conn_tuple_hash(t, k, k->proto);
}

static inline struct conn_loc
conn_hash_loc(const struct conn_table *t, uint64_t h)
{
	return conn_index_loc(&t->ix, h);
}

/* Where k's probe starts. */
static inline struct conn_loc
conn_key_loc(const struct conn_table *t, const struct conn_key4 *k)
{
	return conn_hash_loc(t, conn_key_hash(t, k));
}

/**
 * Where k's probe starts, for conn_lookup4_bulk_located(), with its
 * home bucket prefetched: called as each key of a burst is made, the
 * bucket's cache miss overlaps the work on the packets after it
 * instead of waiting at the lookup.
 */
static inline struct conn_loc
conn_key_locate(const struct conn_table *t, const struct conn_key4 *k)
{
	struct conn_loc loc = conn_key_loc(t, k);

	conn_index_prefetch(&t->ix, loc);
	return loc;
}

/**
 * conn_lookup4() on n keys at once, with the hash buckets and entries
 * prefetched a stage ahead.  conns[i] is the connection of keys[i] or
 * NULL; is_reply (may be NULL) as conn_lookup4().  Returns the number
 * found.
 */
unsigned int conn_lookup4_bulk(struct conn_table *t,
			       const struct conn_key4 *keys, unsigned int n,
			       struct conn **conns, bool *is_reply);

#define CONN_BULK_MAX 32	/* keys of one conn_lookup4_bulk_located() */

/**
 * conn_lookup4_bulk() of keys whose places locs[i] conn_key_locate()
 * gave (their buckets on the way), n at most CONN_BULK_MAX.
 */
unsigned int conn_lookup4_bulk_located(struct conn_table *t,
				       const struct conn_key4 *keys,
				       const struct conn_loc *locs,
				       unsigned int n, struct conn **conns,
				       bool *is_reply);

/**
 * A number that changes whenever a connection is added or removed (not
 * when one is touched or changes state), so that the answers of a bulk
 * lookup can be used later as long as it has not changed.
 */
static inline uint32_t
conn_table_gen(const struct conn_table *t)
{
	return t->gen;
}

/* The bit of a key in a table's 256-bit filter of keys added
 * (conn_watch_note()): the high byte of its signature (struct conn_loc),
 * which locating the key computed already.  IPv4 and IPv6 tables alike. */
static inline unsigned int
conn_sig_mark(uint16_t sig)
{
	return sig >> 8;
}

/**
 * Start watching the table for changes that could alter the answers
 * of lookups made now (a burst's bulk lookup), for conn_answer_stale().
 */
static inline void
conn_watch(struct conn_table *t)
{
	t->watch_removed = t->removed;
	t->added[0] = t->added[1] = t->added[2] = t->added[3] = 0;
}

/** A key of filter bit mark (below 256: conn_sig_mark()) was added: the
 * misses that may have been it are stale. */
static inline void
conn_watch_note(struct conn_table *t, unsigned int mark)
{
	t->added[mark >> 6] |= 1ULL << (mark & 63);
}

/**
 * Whether the answer `found` (NULL: a miss) that a lookup gave when
 * conn_watch() was called may have changed since: a hit, when any
 * connection was removed (it may be this one, or its entry reused); a
 * miss, when a key of the same filter bit (mark) was added (a filter of
 * the keys added, so an unrelated key says so now and then: look
 * again).  Cheaper than looking every answer up again once the burst
 * made a connection.
 */
static inline bool
conn_watch_removed(const struct conn_table *t)
{
	return t->removed != t->watch_removed;
}

static inline bool
conn_watch_added(const struct conn_table *t, unsigned int mark)
{
	return (t->added[mark >> 6] >> (mark & 63)) & 1;
}

/** The staleness above of the answer found (NULL: a miss) of the key
 * located at loc, looked up before conn_watch(). */
static inline bool
conn_answer_stale(const struct conn_table *t, const struct conn_loc *loc,
		  const struct conn *found)
{
	if (found != NULL)
		return conn_watch_removed(t);
	return conn_watch_added(t, conn_sig_mark(loc->sig));
}

/** The packet path's only timer work: one store. */
static inline void
conn_touch(struct conn *c, uint32_t now)
{
	c->last_seen = now;
}

/**
 * Change the state.  When the new state's timeout is shorter than the
 * old one (ESTABLISHED -> CLOSE), the entry is re-filed in the wheel at
 * now + the new timeout, or it would live as long as the old timeout
 * said; otherwise this is a store.  Does not touch.
 */
void conn_set_state(struct conn_table *t, struct conn *c, uint8_t state,
		    uint32_t now);

/** A reference to c that fits 32 bits (never 0), and back. */
static inline uint32_t
conn_ref(const struct conn_table *t, const struct conn *c)
{
	return (uint32_t)(c - t->entries);
}

/** The live entry behind ref, or NULL.  An entry may have been
 * recycled since the reference was taken: check it is the one meant. */
static inline struct conn *
conn_from_ref(const struct conn_table *t, uint32_t ref)
{
	struct conn *c;

	if (ref == 0 || ref > t->hwm)
		return NULL;
	c = &t->entries[ref];
	return (c->flags & CONN_F_LIVE) ? c : NULL;
}

/** Rebuild the key of one side of c (the out key of a NO_OUT entry is
 * zero but for the protocol). */
void conn_key4_get(const struct conn *c, enum conn_side side,
		   struct conn_key4 *k);

/**
 * Remove c and both its keys now, without the expire callback (the
 * caller releases what it holds).  c must not be used afterwards.
 */
void conn_del(struct conn_table *t, struct conn *c);

/**
 * Run the wheel up to now: check the entries of every slot that has
 * fully elapsed, at most budget entries in all.  A connection idle for
 * its timeout is passed to expire(ctx, c) and then freed unless the
 * callback keeps it (re-filed a timeout later); the callback may read
 * the table and write the entry's user fields, but not change the table
 * (no conn_new(), conn_del(), conn_set_state()).  The others are re-filed
 * at their new due time.  Returns the number expired.  An entry expires
 * between its due time and one slot (256 ms) plus the caller's tick
 * interval later; with work left over, the next call goes on from there.
 */
unsigned int conn_expire_tick(struct conn_table *t, uint32_t now,
			      unsigned int budget, conn_expire_cb expire,
			      void *ctx);

/** Connections in the table. */
static inline uint32_t
conn_count(const struct conn_table *t)
{
	return t->count;
}

/**
 * Visit live connections in entry order from *cursor (0 to start),
 * calling cb for each, at most max of them and scanning at most
 * 16 * max + 64 entries, so a page of a million-entry table costs a
 * bounded time.  cb returns non-zero to stop after that entry.  *cursor
 * is left where the next page starts, CONN_ITER_END when done.  A
 * connection alive from the first page to the last is visited exactly
 * once whatever is added or deleted between pages.  Returns the number
 * visited (it may be 0 on a sparse stretch before the end).
 */
unsigned int conn_foreach(const struct conn_table *t, uint32_t *cursor,
			  unsigned int max,
			  int (*cb)(const struct conn *c, void *arg),
			  void *arg);

/**
 * Check the table's invariants (every live entry indexed under its keys
 * and filed once in the wheel, overflow counts exact, counts right).
 * O(capacity), for tests and debugging.  0 or -EFAULT.
 */
int conn_table_check(struct conn_table *t);

/** Bytes of memory the table holds, index included. */
size_t conn_table_memory(const struct conn_table *t);

#endif /* DPLB_CONN_H */
