/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The schedulers that follow connection counts -- lc, wlc, sed, nq, and
 * lblc and lblcr, which fall back on wlc -- and the per-worker index
 * that lets them choose without scanning every dest.
 *
 * Each orders the available dests (weight > 0, not overloaded) by a key
 * num / den of the dest's counts (enum sched_key_kind), compared as
 * cross products, and takes the least.  Equal keys go to the dest added
 * last, the highest index: IPVS adds a dest at the head of its list and
 * its scans keep the first of equals.
 *
 * The index, one per worker in the state and written by that worker
 * only, is a tournament (winner) tree over the weighted dests:
 *   tree[]      leaves hold each dest's key, every inner node a copy of
 *               the better of its two children, so the root holds the
 *               least loaded dest.  A change of one dest replays the
 *               matches on its path to the root: log2(n) compares
 *               (a heap's sift needs two a level);
 *   parked[]    the weighted dests found overloaded at a pick, out of
 *               the matches.  The flag is shared and live (any worker
 *               sets and clears it), so the parked are re-checked at
 *               every pick: O(parked), usually nothing.
 * A worker builds it from its own counts at its first pick from a state
 * (O(n)).  Then every connection change of the worker marks the dest
 * dirty in its struct sched_worker (sched_wload_add, O(1)), and the next
 * pick replays the dirty dests (O(log n) each) before reading the root.
 * The result is the dest that a scan of the same counts picks; the unit
 * tests check it against the scan over random sequences of connections,
 * weight changes and overloads.
 *
 * Without wload (the caller keeps only shared counts) or without a
 * struct sched_worker, the same schedulers scan the dests: O(n).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sched_priv.h"

#define SEED_LBL 0x27d4eb2fu

/* A dest's load as the scheduler sees it: num / den. */
struct sched_key {
	uint64_t num;
	uint32_t den;		/* the weight, or 1 */
};

/*
 * A node of the tournament tree: the best dest below it, as one 128-bit
 * integer, its key << 16 | (0xffff - slot), so that one unsigned
 * compare orders two nodes by key, and equal keys by slot (the higher
 * slot, the newer dest, first): a match is a compare and a move.  The
 * key is num / den as one integer, (num << 32) / den.  That keeps the
 * order of num / den exactly: two different fractions with
 * denominators below 2^16 differ by more than 2^-32, so their scaled
 * floors differ, in the same order; equal fractions give equal
 * integers.  (num < 2^32: key_set saturates, so a key is below
 * NO_DEST.)  A leaf without a candidate (padding, a parked dest) holds
 * the key NO_DEST, above any real key.
 */
typedef unsigned __int128 tnode_t;

#define NO_DEST UINT64_MAX

static inline tnode_t
tn_make(uint64_t key, uint16_t slot)
{
	/* the two halves written out: gcc builds the shifted 128-bit
	 * value through the stack otherwise */
	uint64_t lo = key << 16 | (uint16_t)(0xffff - slot);

	return (tnode_t)(key >> 48) << 64 | lo;
}

static inline uint64_t
tn_key(tnode_t n)
{
	return (uint64_t)(n >> 16);
}

static inline uint16_t
tn_slot(tnode_t n)
{
	return (uint16_t)(0xffff - (uint16_t)n);
}

struct sched_index {
	tnode_t *tree;		/* [2 * leaves]: the root is node 1, node
				 * i's children 2i and 2i + 1, the leaves
				 * leaves .. 2 * leaves - 1 */
	uint16_t *leaf;		/* [n]: a weighted dest's leaf (its place in
				 * order[]) */
	uint8_t *light;		/* [n]: lblc/lblcr, 2 * active < weight */
	uint16_t *parked;	/* [n_order] */
	uint16_t *stale;	/* [n_order]: dests (slots) counted since the
				 * last replay, their leaves not refreshed
				 * yet (lblc, lblcr; repeats possible) */
	uint32_t leaves;	/* a power of two >= n_order */
	uint32_t n_parked;
	uint32_t n_stale;	/* > n_order: every leaf may be stale */
	uint32_t n_light;	/* weighted dests that are light */
} __attribute__((aligned(64)));

/* lblc/lblcr: the dest ids of the state, sorted, and their slots. */
struct sched_idmap {
	uint32_t id;
	uint16_t slot;
};

/*
 * One destination address and its dest (lblc) or set of dests (lblcr),
 * remembered by the caller's ids so that it survives rebuilds.
 */
struct sched_lbl_entry {
	struct inet_addr daddr;		/* family 0: a free entry */
	uint32_t lastuse;		/* ms: expiry */
	uint32_t lastmod;		/* ms: when the set last changed */
	uint32_t gen;			/* the state slot[] was resolved in */
	uint32_t n;			/* members, the oldest first */
	uint32_t id[SCHED_LBLCR_SET_MAX];
	uint16_t slot[SCHED_LBLCR_SET_MAX];
};

/* SCHED_LBL_ENTRIES / SCHED_LBL_WAYS sets of SCHED_LBL_WAYS entries. */
struct sched_lbl_table {
	struct sched_lbl_entry e[SCHED_LBL_ENTRIES];
};

/* ---- counts and keys -------------------------------------------------- */

static inline const struct sched_wload *
slot_wload(const struct sched_state *st, uint16_t s, uint32_t worker)
{
	return (const struct sched_wload *)((const char *)st->slots[s].wload +
					    (size_t)st->wload_stride * worker);
}

/* The worker's counts of dest s, or the shared ones without wload. */
static inline void
slot_counts(const struct sched_state *st, uint16_t s, uint32_t worker,
	    uint32_t *active, uint32_t *inactive)
{
	const struct sched_slot *sl = &st->slots[s];

	if (sl->wload != NULL) {
		const struct sched_wload *wl = slot_wload(st, s, worker);

		*active = wl->active;
		*inactive = wl->inactive;
	} else if (sl->load != NULL) {
		*active = __atomic_load_n(&sl->load->active, __ATOMIC_RELAXED);
		*inactive = __atomic_load_n(&sl->load->inactive,
					    __ATOMIC_RELAXED);
	} else {
		*active = 0;
		*inactive = 0;
	}
}

/* Counts beyond this saturate (2^24 active connections of one worker
 * to one dest), so that the tree's keys fit 64 bits. */
#define NUM_MAX UINT32_MAX

/*
 * The scheduler's key of counts a, i and weight w (> 0):
 *   lc    IPVS's overhead, a * 256 + i (an established connection
 *         weighs as much as 256 others); weights only as 0 or not;
 *   wlc   overhead / w (lblc, lblcr likewise);
 *   sed   (a + 1) / w: the expected delay of one more connection;
 *   nq    0 for an idle dest (a == 0), which puts every idle dest
 *         first and leaves the newest of them on top, as IPVS's nq
 *         takes the first idle one of its list; else as sed.
 * num <= NUM_MAX and den < 2^16: cross products fit 64 bits.
 */
static inline void
key_set(uint8_t kind, uint32_t a, uint32_t i, uint32_t w,
	struct sched_key *k)
{
	switch (kind) {
	case SCHED_KEY_LC:
		k->num = ((uint64_t)a << 8) + i;
		k->den = 1;
		break;
	case SCHED_KEY_SED:
		k->num = (uint64_t)a + 1;
		k->den = w;
		break;
	case SCHED_KEY_NQ:
		k->num = a != 0 ? (uint64_t)a + 1 : 0;
		k->den = w;
		break;
	default:
		k->num = ((uint64_t)a << 8) + i;
		k->den = w;
	}
	if (k->num > NUM_MAX)
		k->num = NUM_MAX;
}

static inline void
slot_key(const struct sched_state *st, uint16_t s, uint32_t worker,
	 uint8_t kind, struct sched_key *k)
{
	uint32_t a, i;

	slot_counts(st, s, worker, &a, &i);
	key_set(kind, a, i, st->slots[s].weight, k);
}

/* -1, 0, 1 as the value of a is below, equal to, above that of b. */
static inline int
key_cmp(const struct sched_key *a, const struct sched_key *b)
{
	uint64_t l = a->num * b->den, r = b->num * a->den;

	return l < r ? -1 : l > r;
}

/* Dest sa (key ka) comes before sb: less loaded, or as loaded and newer. */
static inline bool
key_before(const struct sched_key *ka, uint16_t sa, const struct sched_key *kb,
	   uint16_t sb)
{
	int c = key_cmp(ka, kb);

	return c < 0 || (c == 0 && sa > sb);
}

static inline bool
slot_available(const struct sched_state *st, uint16_t s)
{
	return st->slots[s].weight != 0 && !slot_overloaded(&st->slots[s]);
}

/* ---- the tournament tree ---------------------------------------------- */

/*
 * Leaf i changed: replay the matches above it, up to the root.  A
 * match is one compare and a move, the winner climbing kept in a
 * register.  No early stop where a match's winner stays as it was:
 * with one dest's count up and another's down a connection, the
 * replays reach the root nearly always, and the test cost more than
 * the matches it saved.
 */
static void
tree_fix(tnode_t *t, uint32_t i)
{
	/* Byte offsets: a node's rival is one flip of a bit away, its
	 * parent one shift and mask, without rescaling an index. */
	const size_t sz = sizeof(*t);
	char *base = (char *)t;
	size_t off = (size_t)i * sz;
	tnode_t w = t[i];

	_Static_assert(sizeof(tnode_t) == 16, "a node is 16 bytes");
	for (; off > sz; off = (off >> 1) & ~(sz - 1)) {
		tnode_t rival;

		memcpy(&rival, base + (off ^ sz), sz);
		w = rival < w ? rival : w;
		memcpy(base + ((off >> 1) & ~(sz - 1)), &w, sz);
	}
}

static inline uint32_t
leaf_of(const struct sched_index *ix, uint16_t s)
{
	return ix->leaves + ix->leaf[s];
}

/* Every match from the leaves up, O(leaves). */
static void
tree_build(tnode_t *t, uint32_t leaves)
{
	uint32_t k;

	for (k = leaves; k-- > 1;)
		t[k] = t[2 * k + 1] < t[2 * k] ? t[2 * k + 1] : t[2 * k];
}

/* ---- the index -------------------------------------------------------- */

/* Dest s's key in the tree, from the worker's counts wl. */
static inline uint64_t
leaf_key(const struct sched_state *st, uint16_t s,
	 const struct sched_wload *wl)
{
	struct sched_key k;

	key_set(st->ops->key, wl->active, wl->inactive, st->slots[s].weight,
		&k);
	return k.den == 1 ? k.num << 32 : (k.num << 32) / k.den;
}

/* Dest s's counts changed: the lblc/lblcr count of light dests. */
static inline void
light_refresh(const struct sched_state *st, struct sched_index *ix,
	      uint16_t s, const struct sched_wload *wl)
{
	uint8_t light = 2 * (uint64_t)wl->active < st->slots[s].weight;

	ix->n_light += (uint32_t)light - ix->light[s];
	ix->light[s] = light;
}

/* Dest s's leaf from its counts, unless parked; whether it changed (its
 * matches are then to replay: sed and nq count only active
 * connections, so a change of the others moves no key). */
static inline bool
leaf_refresh(const struct sched_state *st, struct sched_index *ix, uint16_t s,
	     const struct sched_wload *wl)
{
	tnode_t *leaf = &ix->tree[leaf_of(ix, s)];
	uint64_t key;

	if (tn_key(*leaf) == NO_DEST)
		return false;
	key = leaf_key(st, s, wl);
	if (tn_key(*leaf) == key)
		return false;
	*leaf = tn_make(key, s);
	return true;
}

/*
 * Dest s's counts changed: lblc and lblcr, which seldom read the tree,
 * refresh its leaf and replay the matches only when they do
 * (index_replay()).  A list as long as order[] refreshes every leaf
 * instead.
 */
static inline void
index_stale(const struct sched_state *st, struct sched_index *ix, uint16_t s)
{
	if (ix->n_stale < st->n_order)
		ix->stale[ix->n_stale++] = s;
	else
		ix->n_stale = st->n_order + 1;
}

/* The leaves of the dests listed stale since the last replay, and
 * their matches. */
static void
index_replay(const struct sched_state *st, struct sched_index *ix,
	     uint32_t worker)
{
	uint32_t k;

	if (ix->n_stale > st->n_order) {
		for (k = 0; k < st->n_order; k++)
			leaf_refresh(st, ix, st->order[k],
				     slot_wload(st, st->order[k], worker));
		tree_build(ix->tree, ix->leaves);
	} else {
		for (k = 0; k < ix->n_stale; k++) {
			uint16_t s = ix->stale[k];

			if (leaf_refresh(st, ix, s, slot_wload(st, s, worker)))
				tree_fix(ix->tree, leaf_of(ix, s));
		}
	}
	ix->n_stale = 0;
}

/* The worker's first pick from st: its index from its counts, O(n). */
static void
index_build(const struct sched_state *st, struct sched_index *ix,
	    const struct sched_input *in)
{
	tnode_t *t = ix->tree;
	uint32_t k;

	ix->n_parked = 0;
	ix->n_light = 0;
	ix->n_stale = 0;
	for (k = 0; k < ix->leaves; k++) {
		tnode_t *leaf = &t[ix->leaves + k];
		struct sched_wload *wl;
		uint16_t s;

		if (k >= st->n_order) {
			*leaf = tn_make(NO_DEST, 0);
			continue;
		}
		s = st->order[k];
		wl = (struct sched_wload *)((char *)st->slots[s].wload +
					    (size_t)st->wload_stride *
					    in->worker);
		wl->gen = st->gen;
		wl->slot = s;
		wl->dirty = 0;
		ix->leaf[s] = (uint16_t)k;
		ix->light[s] = 0;
		light_refresh(st, ix, s, wl);
		*leaf = tn_make(leaf_key(st, s, wl), s);
	}
	tree_build(t, ix->leaves);
	in->sw->live_gen = st->gen;
	in->sw->dirty = NULL;
}

/*
 * The worker's index of st, up to date with its counts: built at its
 * first pick from st, else with the dests counted since its last pick
 * set in their leaves and their matches replayed.  lbl (lblc, lblcr):
 * the light count kept, the leaves and matches left to index_replay()
 * before the tree is read, as these pick their destination's dest and
 * need the tree only to fall back on wlc.  NULL when there is none to
 * keep (no wload or no sw).
 */
static struct sched_index *
index_sync(const struct sched_state *st, const struct sched_input *in,
	   bool lbl)
{
	struct sched_worker *sw = in->sw;
	struct sched_wload *wl, *next;
	struct sched_index *ix;

	if (sw == NULL || st->idx == NULL)
		return NULL;
	ix = &st->idx[in->worker];
	if (sw->live_gen != st->gen) {
		index_build(st, ix, in);
		return ix;
	}
	/*
	 * Each listed dest was in st when listed (its gen was st's), so it
	 * is alive: the caller frees a dest's sched_wload only once no
	 * state that a worker may pick from holds it.  A list made for an
	 * older state is dropped unread by index_build, so the dests of a
	 * state gone by may be freed while listed.
	 */
	for (wl = sw->dirty; wl != NULL; wl = next) {
		next = wl->next_dirty;
		wl->dirty = 0;
		if (lbl) {
			light_refresh(st, ix, wl->slot, wl);
			index_stale(st, ix, wl->slot);
		} else if (leaf_refresh(st, ix, wl->slot, wl)) {
			tree_fix(ix->tree, leaf_of(ix, wl->slot));
		}
	}
	sw->dirty = NULL;
	return ix;
}

/* Take dest s out of the matches (park), or put it back with its key. */
static void
index_park(const struct sched_state *st, struct sched_index *ix, uint16_t s,
	   bool park, uint32_t worker)
{
	uint32_t i = leaf_of(ix, s);

	ix->tree[i] = tn_make(park ? NO_DEST :
			      leaf_key(st, s, slot_wload(st, s, worker)), s);
	tree_fix(ix->tree, i);
}

/* The least loaded available dest of the index, parking the overloaded. */
static int
index_top(const struct sched_state *st, struct sched_index *ix,
	  uint32_t worker)
{
	uint32_t k = 0;

	while (k < ix->n_parked) {
		uint16_t s = ix->parked[k];

		if (slot_overloaded(&st->slots[s])) {
			k++;
			continue;
		}
		ix->parked[k] = ix->parked[--ix->n_parked];
		index_park(st, ix, s, false, worker);
	}
	while (tn_key(ix->tree[1]) != NO_DEST) {
		uint16_t s = tn_slot(ix->tree[1]);

		if (!slot_overloaded(&st->slots[s]))
			return s;
		index_park(st, ix, s, true, worker);
		ix->parked[ix->n_parked++] = s;
	}
	return -ENOENT;
}

/* The same answer by a scan of the counts: O(n). */
static int
scan_least(const struct sched_state *st, uint32_t worker)
{
	struct sched_key best_k = { 0 }, k;
	int best = -ENOENT;
	uint32_t i;

	for (i = 0; i < st->n_order; i++) {
		uint16_t s = st->order[i];

		if (slot_overloaded(&st->slots[s]))
			continue;
		slot_key(st, s, worker, st->ops->key, &k);
		if (best < 0 || key_before(&k, s, &best_k, (uint16_t)best)) {
			best = s;
			best_k = k;
		}
	}
	return best;
}

static inline int
least(const struct sched_state *st, struct sched_index *ix, uint32_t worker)
{
	if (ix == NULL)
		return scan_least(st, worker);
	if (ix->n_stale != 0)
		index_replay(st, ix, worker);
	return index_top(st, ix, worker);
}

/* ---- lc, wlc, sed, nq ------------------------------------------------- */

int
sched_load_build(struct sched_state *st, const struct sched_build_ctx *c)
{
	uint32_t leaves = 1, w;
	size_t sz;

	if (st->n_order == 0 || st->slots[0].wload == NULL)
		return 0;	/* nothing to index, or a scan */
	while (leaves < st->n_order)
		leaves <<= 1;
	sz = sizeof(tnode_t) * 2 * leaves +
	     sizeof(uint16_t) * (st->n + 2 * st->n_order) + st->n;
	sz = (sz + 63) & ~(size_t)63;
	st->idx = aligned_alloc(64, sizeof(*st->idx) * st->n_workers);
	if (st->idx == NULL)
		return -ENOMEM;
	memset(st->idx, 0, sizeof(*st->idx) * st->n_workers);
	for (w = 0; w < st->n_workers; w++) {
		struct sched_index *ix = &st->idx[w];

		ix->tree = aligned_alloc(64, sz);
		if (ix->tree == NULL)
			return -ENOMEM;
		ix->leaves = leaves;
		ix->leaf = (uint16_t *)(ix->tree + 2 * leaves);
		ix->parked = ix->leaf + st->n;
		ix->stale = ix->parked + st->n_order;
		ix->light = (uint8_t *)(ix->stale + st->n_order);
	}
	return 0;
}

/* IPVS lc, wlc, sed, nq over the worker's counts. */
int
sched_load_pick(const struct sched_state *st, const struct sched_input *in)
{
	if (in->worker >= st->n_workers)
		return -EINVAL;
	return least(st, index_sync(st, in, false), in->worker);
}

/* ---- lblc, lblcr: the destination table -------------------------------- */

static int
idmap_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct sched_idmap *)a)->id;
	uint32_t y = ((const struct sched_idmap *)b)->id;

	return x < y ? -1 : x > y;
}

/* The slot of dest id in st, or -ENOENT (it left the service). */
static int
idmap_find(const struct sched_state *st, uint32_t id)
{
	uint32_t lo = 0, hi = st->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (st->ids[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < st->n && st->ids[lo].id == id ? st->ids[lo].slot : -ENOENT;
}

int
sched_lbl_build(struct sched_state *st, const struct sched_build_ctx *c)
{
	uint32_t i;

	st->ids = malloc(sizeof(*st->ids) * (st->n ? st->n : 1));
	if (st->ids == NULL)
		return -ENOMEM;
	for (i = 0; i < st->n; i++) {
		st->ids[i].id = st->dests[i].id;
		st->ids[i].slot = (uint16_t)i;
	}
	qsort(st->ids, st->n, sizeof(*st->ids), idmap_cmp);
	for (i = 1; i < st->n; i++)
		if (st->ids[i - 1].id == st->ids[i].id)
			return -EINVAL;	/* the table could not tell them */
	return sched_load_build(st, c);
}

struct sched_lbl_table *
sched_lbl_table_new(void)
{
	return calloc(1, sizeof(struct sched_lbl_table));
}

static inline bool
lbl_expired(const struct sched_state *st, uint32_t since, uint32_t now)
{
	/* unsigned: right across a wrap of the clock (49 days) */
	return now - since > st->lbl_expire_ms;
}

/*
 * The entry of daddr, or NULL with *spare set to the entry to take for
 * it.  An entry unused for the expiration time is dropped when its set
 * is next looked at (IPVS drops it at its next periodic check); a full
 * set gives up its least recently used (IPVS, once its table holds
 * 16384 entries, drops those unused for 6 minutes).
 */
static struct sched_lbl_entry *
lbl_find(const struct sched_state *st, struct sched_lbl_table *t,
	 const struct inet_addr *daddr, uint32_t now,
	 struct sched_lbl_entry **spare)
{
	uint32_t set = hash_addr_port(daddr, 0, false, SEED_LBL) %
		       (SCHED_LBL_ENTRIES / SCHED_LBL_WAYS);
	struct sched_lbl_entry *e = &t->e[set * SCHED_LBL_WAYS];
	struct sched_lbl_entry *empty = NULL, *lru = NULL;
	uint32_t w;

	for (w = 0; w < SCHED_LBL_WAYS; w++, e++) {
		if (e->daddr.family != 0 && lbl_expired(st, e->lastuse, now))
			e->daddr.family = 0;
		if (e->daddr.family == 0) {
			if (empty == NULL)
				empty = e;
			continue;
		}
		if (inet_addr_equal(&e->daddr, daddr))
			return e;
		if (lru == NULL || now - e->lastuse > now - lru->lastuse)
			lru = e;
	}
	*spare = empty != NULL ? empty : lru;
	return NULL;
}

/* The members' slots in st; members no longer in st leave the set. */
static void
lbl_resolve(const struct sched_state *st, struct sched_lbl_entry *e)
{
	uint32_t j, k = 0;

	if (e->gen == st->gen)
		return;
	for (j = 0; j < e->n; j++) {
		int s = idmap_find(st, e->id[j]);

		if (s < 0)
			continue;
		e->id[k] = e->id[j];
		e->slot[k++] = (uint16_t)s;
	}
	e->n = k;
	e->gen = st->gen;
}

/* daddr now maps to dest s alone. */
static void
lbl_set_one(const struct sched_state *st, struct sched_lbl_entry *e,
	    const struct inet_addr *daddr, uint16_t s, uint32_t now)
{
	e->daddr = *daddr;
	e->lastuse = now;
	e->lastmod = now;
	e->gen = st->gen;
	e->n = 1;
	e->id[0] = st->dests[s].id;
	e->slot[0] = s;
}

/*
 * IPVS's overload rule of lblc and lblcr: dest s has more active
 * connections than its weight while some dest has fewer than half its
 * weight.  The index counts those light dests; a scan looks for one.
 */
static bool
lbl_overloaded(const struct sched_state *st, const struct sched_index *ix,
	       uint16_t s, uint32_t worker)
{
	uint32_t a, i, k;

	slot_counts(st, s, worker, &a, &i);
	if (a <= st->slots[s].weight)
		return false;
	if (ix != NULL)
		return ix->n_light > 0;
	for (k = 0; k < st->n_order; k++) {
		uint16_t d = st->order[k];

		slot_counts(st, d, worker, &a, &i);
		if (2 * (uint64_t)a < st->slots[d].weight)
			return true;
	}
	return false;
}

static inline bool
lbl_input_ok(const struct sched_state *st, const struct sched_input *in)
{
	return in->sw != NULL && in->sw->lbl != NULL &&
	       addr_usable(in->daddr) && in->worker < st->n_workers;
}

/*
 * IPVS lblc: the destination's dest while it is available and not
 * overloaded by the rule above, else the wlc choice, remembered.
 */
int
sched_lblc_pick(const struct sched_state *st, const struct sched_input *in)
{
	struct sched_lbl_entry *e, *spare = NULL;
	struct sched_index *ix;
	int s;

	if (!lbl_input_ok(st, in))
		return -EINVAL;
	ix = index_sync(st, in, true);
	e = lbl_find(st, in->sw->lbl, in->daddr, in->now_ms, &spare);
	if (e != NULL) {
		e->lastuse = in->now_ms;
		lbl_resolve(st, e);
		/* the newest member: lblcr may have left a set */
		if (e->n > 0) {
			s = e->slot[e->n - 1];
			if (slot_available(st, (uint16_t)s) &&
			    !lbl_overloaded(st, ix, (uint16_t)s, in->worker))
				return s;
		}
		spare = e;
	}
	s = least(st, ix, in->worker);
	if (s >= 0)
		lbl_set_one(st, spare, in->daddr, (uint16_t)s, in->now_ms);
	return s;
}

/* The set's least (most, with most) loaded member by wlc's key, newest
 * first among equals as IPVS's set lists the newest first.  Least takes
 * the available; most every weighted member, as IPVS. */
static int
lbl_set_extreme(const struct sched_state *st, const struct sched_lbl_entry *e,
		uint32_t worker, bool most)
{
	struct sched_key best_k = { 0 }, k;
	int best = -ENOENT;
	uint32_t j;

	for (j = e->n; j-- > 0;) {
		uint16_t s = e->slot[j];

		if (most ? st->slots[s].weight == 0 : !slot_available(st, s))
			continue;
		slot_key(st, s, worker, SCHED_KEY_WLC, &k);
		if (best < 0 || key_cmp(&k, &best_k) == (most ? 1 : -1)) {
			best = s;
			best_k = k;
		}
	}
	return best;
}

static void
lbl_set_erase(struct sched_lbl_entry *e, uint32_t j)
{
	memmove(&e->id[j], &e->id[j + 1], sizeof(e->id[0]) * (e->n - j - 1));
	memmove(&e->slot[j], &e->slot[j + 1],
		sizeof(e->slot[0]) * (e->n - j - 1));
	e->n--;
}

static void
lbl_set_erase_slot(struct sched_lbl_entry *e, uint16_t s)
{
	uint32_t j;

	for (j = 0; j < e->n; j++)
		if (e->slot[j] == s) {
			lbl_set_erase(e, j);
			return;
		}
}

/*
 * Add dest s to the set (unless there).  A full set first gives up its
 * most loaded member, the one IPVS would drop at expiry (IPVS's sets
 * have no bound).
 */
static void
lbl_set_insert(const struct sched_state *st, struct sched_lbl_entry *e,
	       uint16_t s, uint32_t worker, uint32_t now)
{
	uint32_t j;
	int m;

	for (j = 0; j < e->n; j++)
		if (e->slot[j] == s)
			return;
	if (e->n == SCHED_LBLCR_SET_MAX) {
		m = lbl_set_extreme(st, e, worker, true);
		if (m >= 0)
			lbl_set_erase_slot(e, (uint16_t)m);
		else
			lbl_set_erase(e, 0);
	}
	e->id[e->n] = st->dests[s].id;
	e->slot[e->n++] = s;
	e->lastmod = now;
}

/*
 * IPVS lblcr: the least loaded available member of the destination's
 * set unless the overload rule holds for it; then the wlc choice, added
 * to the set.  A set unchanged for the expiration time gives up its
 * most loaded member.
 */
int
sched_lblcr_pick(const struct sched_state *st, const struct sched_input *in)
{
	struct sched_lbl_entry *e, *spare = NULL;
	struct sched_index *ix;
	uint32_t now = in->now_ms;
	int s;

	if (!lbl_input_ok(st, in))
		return -EINVAL;
	ix = index_sync(st, in, true);
	e = lbl_find(st, in->sw->lbl, in->daddr, now, &spare);
	if (e == NULL) {
		s = least(st, ix, in->worker);
		if (s >= 0)
			lbl_set_one(st, spare, in->daddr, (uint16_t)s, now);
		return s;
	}
	e->lastuse = now;
	lbl_resolve(st, e);
	s = lbl_set_extreme(st, e, in->worker, false);
	if (e->n > 1 && lbl_expired(st, e->lastmod, now)) {
		int m = lbl_set_extreme(st, e, in->worker, true);

		if (m >= 0) {
			lbl_set_erase_slot(e, (uint16_t)m);
			e->lastmod = now;
		}
	}
	if (s >= 0 && !lbl_overloaded(st, ix, (uint16_t)s, in->worker))
		return s;
	s = least(st, ix, in->worker);
	if (s >= 0)
		lbl_set_insert(st, e, (uint16_t)s, in->worker, now);
	return s;
}

void
sched_load_free(struct sched_state *st)
{
	uint32_t w;

	if (st->idx != NULL)
		for (w = 0; w < st->n_workers; w++)
			free(st->idx[w].tree);
	free(st->idx);
	free(st->ids);
	st->idx = NULL;
	st->ids = NULL;
}
