/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conn_index: the hash index of the connection tables, shared by
 * conn.c (IPv4 keys, compared with the entry's tuples) and conn6.c
 * (IPv6 keys, compared with its key array), which file their keys in
 * the same kind of buckets under their own hash and compare.
 *
 * An open-addressed array of 64-byte buckets of 8 slots (16-bit
 * signature + 32-bit reference), probed linearly, with an overflow
 * count per bucket: the keys whose probe went past it because it was
 * full.  A lookup goes on to the next bucket only while that count is
 * non-zero.  It saturates and then stays, which costs longer probes,
 * never a wrong answer.  A signature of 0 marks a free slot (a zeroed
 * bucket is empty); a reference is never 0 (the tables' references are
 * entry index << 1 | side, and entry 0 is never used).
 *
 * The caller sizes the array so that it never fills (CONN_LOAD_PCT of
 * its slots at most): an insert always finds room.  The key's match is
 * a callback inlined where these always-inline functions are, so each
 * table gets its own compiled probe.  No locks: a table belongs to one
 * worker.
 */
#ifndef DPLB_CONN_INDEX_H
#define DPLB_CONN_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_debug.h>
#include <rte_prefetch.h>
#if defined(RTE_ARCH_X86)
#include <rte_vect.h>
#endif

#define CONN_BUCKET_SLOTS 8
#define CONN_LOAD_PCT 75		/* bucket slots in use at capacity */

struct conn_bucket {
	uint16_t sig[CONN_BUCKET_SLOTS];
	uint32_t ref[CONN_BUCKET_SLOTS];
	uint16_t ovf;
	uint16_t spare[7];
} __rte_cache_aligned;

struct conn_index {
	struct conn_bucket *buckets;
	uint32_t n_buckets;
};

/* Where a key's probe starts: its home bucket and its signature in
 * the bucket's slots (never 0, which marks a free slot). */
struct conn_loc {
	uint32_t bucket;
	uint16_t sig;
};

/** Whether ref (a reference filed under the key's signature) is key's:
 * the table's compare, ctx its table. */
typedef bool conn_index_match_fn(const void *ctx, uint32_t ref,
				 const void *key);

/**
 * Allocate the buckets for keys keys at CONN_LOAD_PCT (zeroed: empty)
 * on socket.  Returns the bytes taken, 0 when out of memory.
 */
size_t conn_index_alloc(struct conn_index *ix, uint64_t keys, int socket);
void conn_index_free(struct conn_index *ix);

/** The home bucket of ref's key (a table's callback for the check). */
typedef uint32_t conn_index_home_fn(const void *ctx, uint32_t ref);

/**
 * Check every filed reference: live by live(ctx, ref) (the table's
 * test), each bucket's overflow count what the keys filed past it
 * from their home (home()) make it.  The number of references filed,
 * or -1 at the first inconsistency.
 */
int64_t conn_index_check(const struct conn_index *ix,
			 conn_index_home_fn *home,
			 bool (*live)(const void *ctx, uint32_t ref),
			 const void *ctx);

/* The probe start of a 64-bit hash: the bucket by Lemire's range
 * reduction of its high half (any bucket count, no modulo), the
 * signature from its low bits, independent of the bucket. */
static inline struct conn_loc
conn_index_loc(const struct conn_index *ix, uint64_t h)
{
	uint16_t sig = (uint16_t)h;

	return (struct conn_loc){
		(uint32_t)(((h >> 32) * ix->n_buckets) >> 32),
		sig != 0 ? sig : 1 };
}

static inline void
conn_index_prefetch(const struct conn_index *ix, struct conn_loc loc)
{
	rte_prefetch0(&ix->buckets[loc.bucket]);
}

static inline uint32_t
conn_index_next(const struct conn_index *ix, uint32_t b)
{
	return ++b == ix->n_buckets ? 0 : b;
}

/* Bit i set when slot i holds signature sig. */
static inline unsigned int
conn_index_sig_match(const struct conn_bucket *bk, uint16_t sig)
{
#if defined(RTE_ARCH_X86)
	__m128i s = _mm_load_si128((const __m128i *)bk->sig);
	__m128i eq = _mm_cmpeq_epi16(s, _mm_set1_epi16((short)sig));

	return (unsigned int)_mm_movemask_epi8(
		       _mm_packs_epi16(eq, _mm_setzero_si128())) & 0xff;
#else
	unsigned int i, m = 0;

	for (i = 0; i < CONN_BUCKET_SLOTS; i++)
		m |= (unsigned int)(bk->sig[i] == sig) << i;
	return m;
#endif
}

/* The reference of key in bucket bk alone, or 0. */
static __rte_always_inline uint32_t
conn_index_bucket_find(const struct conn_bucket *bk, uint16_t sig,
		       conn_index_match_fn *match, const void *ctx,
		       const void *key)
{
	unsigned int m;

	for (m = conn_index_sig_match(bk, sig); m != 0; m &= m - 1) {
		uint32_t ref = bk->ref[__builtin_ctz(m)];

		if (match(ctx, ref, key))
			return ref;
	}
	return 0;
}

/*
 * The reference of key, or 0: the probe from its home bucket on.  In a
 * small table every bucket can have overflowed (the probe wraps round),
 * so a miss stops after one lap too.
 */
static __rte_always_inline uint32_t
conn_index_find(const struct conn_index *ix, struct conn_loc loc,
		conn_index_match_fn *match, const void *ctx, const void *key)
{
	uint32_t b = loc.bucket, n, ref;

	for (n = 0; n < ix->n_buckets; n++) {
		const struct conn_bucket *bk = &ix->buckets[b];

		ref = conn_index_bucket_find(bk, loc.sig, match, ctx, key);
		if (ref != 0)
			return ref;
		if (bk->ovf == 0)
			return 0;
		b = conn_index_next(ix, b);
	}
	return 0;
}

/*
 * A bulk lookup in two passes, so that the misses of each pass overlap
 * (the tables' bulk lookups, docs/conn-table.md): first each key's
 * candidate from its home bucket (on its way since the key was located),
 * whose key and entry the caller prefetches; then each key compared
 * with its candidate.  A candidate is a reference, 0 for a sure miss (no
 * signature matches and the bucket never overflowed), or
 * CONN_INDEX_PROBE when only the full probe can tell (its next bucket
 * prefetched).
 */
#define CONN_INDEX_PROBE UINT32_MAX

/* The table's prefetch of a candidate's key and entry. */
typedef void conn_index_prefetch_fn(const void *ctx, uint32_t ref);

/* The first pass over n keys located at locs: cands[i]. */
static __rte_always_inline void
conn_index_candidates(const struct conn_index *ix, const struct conn_loc *locs,
		      unsigned int n, uint32_t *cands,
		      conn_index_prefetch_fn *prefetch, const void *ctx)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		const struct conn_bucket *bk = &ix->buckets[locs[i].bucket];
		unsigned int m = conn_index_sig_match(bk, locs[i].sig);

		if (likely(m != 0)) {
			cands[i] = bk->ref[__builtin_ctz(m)];
			prefetch(ctx, cands[i]);
		} else if (bk->ovf == 0) {
			cands[i] = 0;
		} else {
			cands[i] = CONN_INDEX_PROBE;
			rte_prefetch0(&ix->buckets[conn_index_next(ix,
							     locs[i].bucket)]);
		}
	}
}

/* The second pass: key's reference, or 0.  The usual hit (one
 * candidate, the right one) costs one compare. */
static __rte_always_inline uint32_t
conn_index_resolve(const struct conn_index *ix, struct conn_loc loc,
		   uint32_t cand, conn_index_match_fn *match, const void *ctx,
		   const void *key)
{
	if (cand == 0)
		return 0;
	if (likely(cand != CONN_INDEX_PROBE) && likely(match(ctx, cand, key)))
		return cand;
	return conn_index_find(ix, loc, match, ctx, key);
}

/* Where a key is filed or would be: its home bucket, its signature and
 * the first bucket with a free slot from home on. */
struct conn_index_probe {
	uint32_t home;
	uint32_t free_b;
	uint16_t sig;
};

/*
 * Look key up and note where it would be filed, in one walk from its
 * home bucket: the walk a lookup makes passes the first free slot (the
 * buckets before it are full, so they overflowed and the walk went on).
 * Its reference, or 0 with *p ready for conn_index_place().
 */
static __rte_always_inline uint32_t
conn_index_probe(const struct conn_index *ix, struct conn_loc loc,
		 conn_index_match_fn *match, const void *ctx, const void *key,
		 struct conn_index_probe *p)
{
	uint32_t b = loc.bucket, n, ref;

	p->home = b;
	p->sig = loc.sig;
	p->free_b = UINT32_MAX;
	for (n = 0; n < ix->n_buckets; n++) {
		const struct conn_bucket *bk = &ix->buckets[b];

		ref = conn_index_bucket_find(bk, loc.sig, match, ctx, key);
		if (ref != 0)
			return ref;
		if (p->free_b == UINT32_MAX && conn_index_sig_match(bk, 0) != 0)
			p->free_b = b;
		if (bk->ovf == 0)
			break;
		b = conn_index_next(ix, b);
	}
	return 0;
}

/* Count one more key past bucket b, unless its count saturated. */
static inline void
conn_index_ovf_inc(struct conn_bucket *bk)
{
	if (bk->ovf != UINT16_MAX)
		bk->ovf++;
}

/*
 * File ref in the first free slot from bucket b on, counting the
 * overflow in every full bucket passed.  The array never fills
 * (CONN_LOAD_PCT < 100), so a free slot is always found.
 */
static inline void
conn_index_file(struct conn_index *ix, uint32_t b, uint16_t sig, uint32_t ref)
{
	struct conn_bucket *bk;
	unsigned int room;

	for (;;) {
		bk = &ix->buckets[b];
		room = conn_index_sig_match(bk, 0);
		if (room != 0)
			break;
		conn_index_ovf_inc(bk);
		b = conn_index_next(ix, b);
	}
	bk->sig[__builtin_ctz(room)] = sig;
	bk->ref[__builtin_ctz(room)] = ref;
}

/* File ref where conn_index_probe() found room, unless another key took
 * the slot since (the other key of the same connection). */
static __rte_always_inline void
conn_index_place(struct conn_index *ix, const struct conn_index_probe *p,
		 uint32_t ref)
{
	uint32_t b = p->home;
	struct conn_bucket *bk;
	unsigned int room;

	if (p->free_b != UINT32_MAX &&
	    (room = conn_index_sig_match(&ix->buckets[p->free_b], 0)) != 0) {
		for (; b != p->free_b; b = conn_index_next(ix, b))
			conn_index_ovf_inc(&ix->buckets[b]);
		bk = &ix->buckets[b];
		bk->sig[__builtin_ctz(room)] = p->sig;
		bk->ref[__builtin_ctz(room)] = ref;
		return;
	}
	conn_index_file(ix, b, p->sig, ref);
}

/* Remove ref, filed under the key whose probe starts at loc (it must be
 * there). */
static __rte_always_inline void
conn_index_remove(struct conn_index *ix, struct conn_loc loc, uint32_t ref)
{
	uint32_t home = loc.bucket, b = home, n;
	struct conn_bucket *bk;
	unsigned int m, i;

	/* Find it first, then undo the overflow counts on the way to it:
	 * a missing reference (a bug) must not corrupt the counts. */
	for (n = 0; n < ix->n_buckets; n++) {
		bk = &ix->buckets[b];
		for (m = conn_index_sig_match(bk, loc.sig); m != 0; m &= m - 1) {
			i = __builtin_ctz(m);
			if (bk->ref[i] == ref)
				goto found;
		}
		if (bk->ovf == 0)
			break;
		b = conn_index_next(ix, b);
	}
	RTE_ASSERT(0);
	return;
found:
	bk->sig[i] = 0;
	bk->ref[i] = 0;
	for (; home != b; home = conn_index_next(ix, home))
		if (ix->buckets[home].ovf != UINT16_MAX)
			ix->buckets[home].ovf--;
}

#endif /* DPLB_CONN_INDEX_H */
