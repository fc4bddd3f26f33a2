/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The schedulers.  Each is a pair of functions: a build that turns the
 * snapshot into read-only arrays (control plane, may allocate and take
 * its time) and a pick that only reads them (packet path).  Three arrays
 * serve all of them:
 *   slots[n]     weight and live-load pointers of every dest, packed so
 *                a cache line holds more than two;
 *   order[]      the weighted dests (weight > 0) in array order, or for
 *                fo best first: what rr cycles over and lc/wlc scan;
 *   table[]      wrr's precomputed cycle, sh's and dh's buckets, mh's
 *                lookup table.
 * This file holds the registry, the common build and the schedulers
 * that read no connection counts; sched_load.c those that do (lc, wlc,
 * sed, nq, lblc, lblcr) and the per-worker index they pick from.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "sched_priv.h"

/*
 * Fixed seeds: the same dest set must give the same tables on both
 * members of an HA pair, so that a client keeps its server across a
 * failover even before connection sync exists.
 */
#define SEED_CLIENT 0x9e3779b9u
#define SEED_MH_OFFSET 0x85ebca6bu
#define SEED_MH_SKIP 0xc2b2ae35u

/*
 * sh/mh fallback: rehash this many times before a plain scan.  With a
 * fraction f of the table unavailable, all rehashes miss with
 * probability f^8, so the O(n) scan only runs when nearly everything is
 * down.
 */
#define FALLBACK_REHASH 8

/* wrr: cycle entries tried before falling back to a scan of the dests. */
#define WRR_SCAN 16

/* Map a 32-bit hash onto [0, m) without a division (Lemire). */
static inline uint32_t
hash_range(uint32_t h, uint32_t m)
{
	return (uint32_t)(((uint64_t)h * m) >> 32);
}

/*
 * First available dest in order[], starting at position start: the last
 * resort of wrr, sh and mh, O(n).
 */
static int
scan_order(const struct sched_state *st, uint32_t start)
{
	uint32_t i, pos;

	pos = start % st->n_order;
	for (i = 0; i < st->n_order; i++) {
		uint16_t idx = st->order[pos];

		if (!slot_overloaded(&st->slots[idx]))
			return idx;
		if (++pos == st->n_order)
			pos = 0;
	}
	return -ENOENT;
}

/* ---- small arithmetic ------------------------------------------------- */

static uint32_t
gcd32(uint32_t a, uint32_t b)
{
	while (b != 0) {
		uint32_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

static bool
is_prime(uint32_t m)
{
	uint32_t d;

	if (m < 2)
		return false;
	if (m % 2 == 0)
		return m == 2;
	for (d = 3; d <= m / d; d += 2)
		if (m % d == 0)
			return false;
	return true;
}

/* ---- the weighted sequence (wrr cycle, sh buckets) -------------------- */

struct seq_node {
	uint64_t w;
	uint64_t k;		/* turns taken */
	uint32_t rank;		/* position in the caller's list: ties */
};

/*
 * a is due before b.  Dest i's k-th turn is due at (k + 1/2) / w_i: the
 * middle of its k-th share of the cycle.  Using the middle rather than
 * the end spreads the light dests through the cycle (weights 5,1,1 give
 * A A A B C A A, where end-of-share gives A A A A A B C, IPVS's order).
 * A dest never runs more than one turn ahead of its share, so any prefix
 * of L turns holds within one of L * w_i / sum(w) turns of dest i, and a
 * cycle of sum(w) turns holds exactly w_i.
 */
static inline bool
seq_before(const struct seq_node *a, const struct seq_node *b)
{
	uint64_t ka = (2 * a->k + 1) * b->w;
	uint64_t kb = (2 * b->k + 1) * a->w;

	return ka < kb || (ka == kb && a->rank < b->rank);
}

static void
seq_sift_down(struct seq_node *h, uint32_t n, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;
		struct seq_node t;

		if (l < n && seq_before(&h[l], &h[m]))
			m = l;
		if (r < n && seq_before(&h[r], &h[m]))
			m = r;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

/* A binary heap of the n weights w[] (all > 0), earliest-due on top. */
static struct seq_node *
seq_new(const uint32_t *w, uint32_t n)
{
	struct seq_node *h;
	uint32_t i;

	h = malloc(sizeof(*h) * n);
	if (h == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		h[i].w = w[i];
		h[i].k = 0;
		h[i].rank = i;
	}
	for (i = n / 2; i-- > 0;)
		seq_sift_down(h, n, i);
	return h;
}

/* The rank of whose turn it is; O(log n). */
static inline uint32_t
seq_next(struct seq_node *h, uint32_t n)
{
	uint32_t rank = h[0].rank;

	h[0].k++;
	seq_sift_down(h, n, 0);
	return rank;
}

/* Write the first len turns of the dests order[0..n), weights w[]. */
static int
seq_fill(const uint16_t *order, const uint32_t *w, uint32_t n, uint16_t *out,
	 uint32_t len)
{
	struct seq_node *h = seq_new(w, n);
	uint32_t i;

	if (h == NULL)
		return -ENOMEM;
	for (i = 0; i < len; i++)
		out[i] = order[seq_next(h, n)];
	free(h);
	return 0;
}

/* ---- rr --------------------------------------------------------------- */

static int
rr_build(struct sched_state *st, const struct sched_build_ctx *c)
{
	return 0;
}

/* IPVS rr: the next weighted dest after the last pick, skipping overloaded. */
static int
rr_pick(const struct sched_state *st, const struct sched_input *in)
{
	struct sched_cursor *cur = in->cursor;
	uint32_t n = st->n_order, pos, i;

	if (cur == NULL)
		return -EINVAL;
	pos = cur->pos;
	if (pos >= n)
		pos %= n;
	for (i = 0; i < n; i++) {
		uint16_t idx = st->order[pos];

		if (++pos == n)
			pos = 0;
		if (!slot_overloaded(&st->slots[idx])) {
			cur->pos = pos;
			return idx;
		}
	}
	return -ENOENT;
}

/* ---- wrr -------------------------------------------------------------- */

/*
 * wrr precomputes one whole cycle (sum of weights / gcd turns) in the
 * smooth order of seq_fill, so a pick is one load and the per-worker
 * state is one integer.  IPVS's gcd walk needs no table but costs O(n)
 * per pick for skewed weights (100,1,1,...: every pick below the top
 * weight walks the whole list) and sends runs of max/gcd consecutive
 * connections to the heaviest dest.  Cycles longer than
 * SCHED_WRR_SEQ_MAX are scaled down to fit: each weight loses less than
 * one turn in SCHED_WRR_SEQ_MAX, so its share moves by less than that.
 */
static int
wrr_build(struct sched_state *st, const struct sched_build_ctx *c)
{
	uint32_t *w, g = 0, i;
	uint64_t sum = 0;
	int rc;

	if (st->n_order == 0)
		return 0;
	w = malloc(sizeof(*w) * st->n_order);
	if (w == NULL)
		return -ENOMEM;
	for (i = 0; i < st->n_order; i++)
		g = gcd32(g, st->slots[st->order[i]].weight);
	for (i = 0; i < st->n_order; i++) {
		w[i] = st->slots[st->order[i]].weight / g;
		sum += w[i];
	}
	if (sum > SCHED_WRR_SEQ_MAX) {
		uint64_t room = SCHED_WRR_SEQ_MAX - st->n_order;
		uint64_t old = sum;

		/* each term <= w*room/sum, plus 1 for the floor to 1 */
		sum = 0;
		g = 0;
		for (i = 0; i < st->n_order; i++) {
			w[i] = (uint32_t)(w[i] * room / old);
			if (w[i] == 0)
				w[i] = 1;
			g = gcd32(g, w[i]);
		}
		for (i = 0; i < st->n_order; i++) {
			w[i] /= g;
			sum += w[i];
		}
	}
	st->table = malloc(sizeof(*st->table) * sum);
	if (st->table == NULL) {
		free(w);
		return -ENOMEM;
	}
	st->table_len = (uint32_t)sum;
	rc = seq_fill(st->order, w, st->n_order, st->table, st->table_len);
	free(w);
	return rc;
}

static int
wrr_pick(const struct sched_state *st, const struct sched_input *in)
{
	struct sched_cursor *cur = in->cursor;
	uint32_t len = st->table_len, pos, i, tries;

	if (cur == NULL)
		return -EINVAL;
	pos = cur->pos;
	if (pos >= len)
		pos %= len;
	tries = len < WRR_SCAN ? len : WRR_SCAN;
	for (i = 0; i < tries; i++) {
		uint16_t idx = st->table[pos];

		if (++pos == len)
			pos = 0;
		if (!slot_overloaded(&st->slots[idx])) {
			cur->pos = pos;
			return idx;
		}
	}
	/*
	 * A stretch of the cycle is all overloaded (a heavy dest hit its
	 * threshold): bound the walk and take the first available dest from
	 * a place that moves with the cursor.
	 */
	cur->pos = pos;
	return scan_order(st, pos);
}

/* ---- sh, mh ----------------------------------------------------------- */

static inline bool
input_hashable(const struct sched_input *in)
{
	return addr_usable(in->saddr);
}

/*
 * The client's dest was overloaded.  Rehash with other seeds, as IPVS
 * does with its offsets, then scan: the answer stays a function of the
 * client alone (and of which dests are overloaded), so it is still sticky
 * while the overload lasts.
 */
static int
hash_fallback(const struct sched_state *st, const struct sched_input *in,
	      bool mh, uint32_t h)
{
	bool port = (st->flags & SCHED_F_HASH_PORT) != 0;
	uint32_t k;

	for (k = 1; k <= FALLBACK_REHASH; k++) {
		uint32_t h2 = hash_addr_port(in->saddr, in->sport, port,
					     SEED_CLIENT + k);
		uint16_t idx = mh ? st->table[hash_range(h2, st->table_len)] :
				    st->table[h2 & (st->table_len - 1)];

		if (!slot_overloaded(&st->slots[idx]))
			return idx;
	}
	return scan_order(st, h);
}

/*
 * sh: a power-of-two table of buckets, shared out by weight in the
 * smooth order (a dest whose share is under half a bucket gets none).
 * Any change of the set re-deals most buckets; that is what mh is for.
 */
static int
sh_build(struct sched_state *st, const struct sched_build_ctx *c)
{
	uint32_t size = SCHED_SH_TABLE_DEFAULT, *w, i;
	int rc;

	if (c->p != NULL && c->p->sh_table_size != 0)
		size = c->p->sh_table_size;
	if (st->n_order == 0)
		return 0;
	while (size < st->n_order)
		size <<= 1;
	w = malloc(sizeof(*w) * st->n_order);
	st->table = malloc(sizeof(*st->table) * size);
	if (w == NULL || st->table == NULL) {
		free(w);
		return -ENOMEM;
	}
	for (i = 0; i < st->n_order; i++)
		w[i] = st->slots[st->order[i]].weight;
	st->table_len = size;
	rc = seq_fill(st->order, w, st->n_order, st->table, size);
	free(w);
	return rc;
}

/*
 * sh and mh pick alike: the client's hash indexes the table (sh's is a
 * power of two, mh's a prime); only the index and the fallback differ.
 */
static int
hash_table_pick(const struct sched_state *st, const struct sched_input *in,
		bool maglev)
{
	uint32_t h;
	uint16_t idx;

	if (!input_hashable(in))
		return -EINVAL;
	h = hash_addr_port(in->saddr, in->sport,
			   (st->flags & SCHED_F_HASH_PORT) != 0, SEED_CLIENT);
	idx = st->table[maglev ? hash_range(h, st->table_len) :
				 h & (st->table_len - 1)];
	if (!slot_overloaded(&st->slots[idx]))
		return idx;
	if (!(st->flags & SCHED_F_FALLBACK))
		return -ENOENT;
	return hash_fallback(st, in, maglev, h);
}

static int
sh_pick(const struct sched_state *st, const struct sched_input *in)
{
	return hash_table_pick(st, in, false);
}

/* Build-time state of one dest in Maglev's population. */
struct mh_perm {
	uint32_t next;		/* next slot of its permutation to try */
	uint32_t skip;
	uint16_t idx;
};

/*
 * Maglev (Eisenbud et al., NSDI 2016, section 3.4).  Each dest's
 * preference list is the permutation offset, offset + skip, ... mod M
 * (M prime, so it visits every slot), with offset and skip hashed from
 * the dest's address and port alone: its preferences do not change when
 * other dests come and go.  Dests take turns claiming their next
 * unclaimed preferred slot until the table is full; removing one of N
 * frees about M/N slots and moves little else.
 *
 * Weights change how often a dest takes a turn, as the paper suggests.
 * IPVS's mh gives each dest weight/gcd consecutive turns per round, then
 * shifts the weights down to bound the round, which costs precision and
 * leaves the last round partial.  Here the turns follow the smooth
 * sequence of seq_next(), so a dest ends with its exact share of the M
 * slots, within one, whatever the weights.  Dests are ranked in address
 * order, not array order, so the table depends only on the set.
 */
static int
mh_build(struct sched_state *st, const struct sched_build_ctx *c)
{
	uint32_t m = SCHED_MH_TABLE_DEFAULT, i, j, filled;
	struct mh_perm *perm = NULL;
	struct seq_node *seq = NULL;
	uint32_t *w = NULL;
	int rc = -ENOMEM;

	if (c->p != NULL && c->p->mh_table_size != 0)
		m = c->p->mh_table_size;
	if (st->n_order > m)
		return -EINVAL;
	if (st->n_order == 0)
		return 0;
	perm = malloc(sizeof(*perm) * st->n_order);
	w = malloc(sizeof(*w) * st->n_order);
	st->table = malloc(sizeof(*st->table) * m);
	if (perm == NULL || w == NULL || st->table == NULL)
		goto out;
	st->table_len = m;
	for (i = 0; i < m; i++)
		st->table[i] = TABLE_EMPTY;

	/* weighted dests in identity order */
	for (i = 0, j = 0; i < st->n; i++) {
		uint16_t idx = c->by_identity[i];
		const struct sched_dest *d = &st->dests[idx];
		uint32_t h1, h2;

		if (d->weight == 0)
			continue;
		h1 = hash_addr_port(&d->addr, d->port, true, SEED_MH_OFFSET);
		h2 = hash_addr_port(&d->addr, d->port, true, SEED_MH_SKIP);
		perm[j].next = h1 % m;
		perm[j].skip = m > 1 ? h2 % (m - 1) + 1 : 1;
		perm[j].idx = idx;
		w[j] = d->weight;
		j++;
	}
	seq = seq_new(w, st->n_order);
	if (seq == NULL)
		goto out;

	for (filled = 0; filled < m; filled++) {
		struct mh_perm *p = &perm[seq_next(seq, st->n_order)];
		uint32_t s = p->next;

		/* the table is not full, so this ends */
		while (st->table[s] != TABLE_EMPTY) {
			s += p->skip;
			if (s >= m)
				s -= m;
		}
		st->table[s] = p->idx;
		s += p->skip;
		if (s >= m)
			s -= m;
		p->next = s;
	}
	rc = 0;
out:
	free(seq);
	free(w);
	free(perm);
	return rc;
}

static int
mh_pick(const struct sched_state *st, const struct sched_input *in)
{
	return hash_table_pick(st, in, true);
}

/* ---- dh --------------------------------------------------------------- */

/*
 * IPVS dh, bucket for bucket: SCHED_DH_TABLE_SIZE buckets dealt out in
 * turn to every dest, quiescent ones included, in IPVS's list order
 * (the most recently added first, which is the reverse of the array's
 * order), and a destination address picks its bucket with IPVS's hash
 * (the top 8 bits of the address, an IPv6 one folded by XOR, times
 * 2^32 / phi).  So a destination reaches the same server as under IPVS
 * with the same servers added in the same order.  Weights count only as
 * 0 or not 0; with more dests than buckets, the oldest get none.
 */
static int
dh_build(struct sched_state *st, const struct sched_build_ctx *c)
{
	uint32_t b;

	if (st->n == 0)
		return 0;
	st->table = malloc(sizeof(*st->table) * SCHED_DH_TABLE_SIZE);
	if (st->table == NULL)
		return -ENOMEM;
	st->table_len = SCHED_DH_TABLE_SIZE;
	for (b = 0; b < SCHED_DH_TABLE_SIZE; b++)
		st->table[b] = (uint16_t)(st->n - 1 - b % st->n);
	return 0;
}

/* IPVS's dh hash of a destination address: the bucket. */
static inline uint32_t
dh_bucket(const struct inet_addr *a)
{
	uint32_t fold = a->v4.s_addr;

	if (a->family == AF_INET6)
		fold = a->v6.s6_addr32[0] ^ a->v6.s6_addr32[1] ^
		       a->v6.s6_addr32[2] ^ a->v6.s6_addr32[3];
	return (ntohl(fold) * 0x61c88647u) >> 24;
}

/* The destination's dest, or none: no fallback, as IPVS. */
static int
dh_pick(const struct sched_state *st, const struct sched_input *in)
{
	const struct sched_slot *s;
	uint16_t idx;

	if (!addr_usable(in->daddr))
		return -EINVAL;
	idx = st->table[dh_bucket(in->daddr) & (st->table_len - 1)];
	s = &st->slots[idx];
	if (s->weight == 0 || slot_overloaded(s))
		return -ENOENT;
	return idx;
}

/* ---- fo --------------------------------------------------------------- */

static int
fo_cmp(const void *a, const void *b, void *arg)
{
	const struct sched_state *st = arg;
	uint16_t ia = *(const uint16_t *)a, ib = *(const uint16_t *)b;
	uint32_t wa = st->slots[ia].weight, wb = st->slots[ib].weight;

	if (wa != wb)
		return wa > wb ? -1 : 1;
	/* IPVS's list has the newest dest first: it wins a tie */
	return ia > ib ? -1 : ia < ib;
}

/* Sort the weighted dests best first, so a pick is usually one test. */
static int
fo_build(struct sched_state *st, const struct sched_build_ctx *c)
{
	if (st->n_order > 1)
		qsort_r(st->order, st->n_order, sizeof(*st->order), fo_cmp, st);
	return 0;
}

/* IPVS fo: the highest weight among the available, ties to the newest. */
static int
fo_pick(const struct sched_state *st, const struct sched_input *in)
{
	uint32_t i;

	for (i = 0; i < st->n_order; i++)
		if (!slot_overloaded(&st->slots[st->order[i]]))
			return st->order[i];
	return -ENOENT;
}

/* ---- registry and common code ----------------------------------------- */

static const struct sched_ops sched_registry[] = {
	{ "rr", rr_build, rr_pick, SCHED_KEY_NONE, false },
	{ "wrr", wrr_build, wrr_pick, SCHED_KEY_NONE, false },
	{ "lc", sched_load_build, sched_load_pick, SCHED_KEY_LC, false },
	{ "wlc", sched_load_build, sched_load_pick, SCHED_KEY_WLC, false },
	{ "sh", sh_build, sh_pick, SCHED_KEY_NONE, false },
	{ "mh", mh_build, mh_pick, SCHED_KEY_NONE, false },
	{ "fo", fo_build, fo_pick, SCHED_KEY_NONE, false },
	{ "dh", dh_build, dh_pick, SCHED_KEY_NONE, false },
	{ "lblc", sched_lbl_build, sched_lblc_pick, SCHED_KEY_WLC, true },
	{ "lblcr", sched_lbl_build, sched_lblcr_pick, SCHED_KEY_WLC, true },
	{ "sed", sched_load_build, sched_load_pick, SCHED_KEY_SED, false },
	{ "nq", sched_load_build, sched_load_pick, SCHED_KEY_NQ, false },
};

#define N_SCHED (sizeof(sched_registry) / sizeof(sched_registry[0]))

static const struct sched_ops *
sched_lookup(const char *name)
{
	unsigned int i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < N_SCHED; i++)
		if (strcmp(sched_registry[i].name, name) == 0)
			return &sched_registry[i];
	return NULL;
}

bool
sched_known(const char *name)
{
	return sched_lookup(name) != NULL;
}

const char *
sched_name_at(unsigned int i)
{
	return i < N_SCHED ? sched_registry[i].name : NULL;
}

const char *
sched_name(const struct sched_state *st)
{
	return st->ops != NULL ? st->ops->name : NULL;
}

const struct sched_dest *
sched_dest_get(const struct sched_state *st, unsigned int i)
{
	return i < st->n ? &st->dests[i] : NULL;
}

/* Identity order: family, address bytes, port. */
static int
identity_cmp(const void *a, const void *b, void *arg)
{
	const struct sched_dest *dests = arg;
	const struct sched_dest *x = &dests[*(const uint16_t *)a];
	const struct sched_dest *y = &dests[*(const uint16_t *)b];
	int r;

	if (x->addr.family != y->addr.family)
		return x->addr.family < y->addr.family ? -1 : 1;
	if (x->addr.family == AF_INET6)
		r = memcmp(&x->addr.v6, &y->addr.v6, sizeof(x->addr.v6));
	else
		r = memcmp(&x->addr.v4, &y->addr.v4, sizeof(x->addr.v4));
	if (r != 0)
		return r;
	return ntohs(x->port) < ntohs(y->port) ? -1 :
	       ntohs(x->port) > ntohs(y->port);
}

/*
 * A number no other build has: a worker tells by it whether the index
 * it keeps belongs to the state it picks from.  0 is never given.
 */
static uint32_t
gen_next(void)
{
	static uint32_t gen;
	uint32_t g;

	do
		g = __atomic_add_fetch(&gen, 1, __ATOMIC_RELAXED);
	while (g == 0);
	return g;
}

static int
params_check(const struct sched_params *p)
{
	if (p == NULL)
		return 0;
	if (p->n_workers > SCHED_MAX_WORKERS ||
	    p->lbl_expire_ms > SCHED_LBL_EXPIRE_MAX)
		return -EINVAL;
	if (p->mh_table_size != 0 &&
	    (p->mh_table_size > SCHED_MH_TABLE_MAX ||
	     !is_prime(p->mh_table_size)))
		return -EINVAL;
	if (p->sh_table_size != 0 &&
	    (p->sh_table_size > SCHED_SH_TABLE_MAX ||
	     (p->sh_table_size & (p->sh_table_size - 1)) != 0))
		return -EINVAL;
	return 0;
}

int
sched_build_params(struct sched_state *st, const char *name,
		   const struct sched_dest *dests, unsigned int n,
		   unsigned int flags, const struct sched_params *p)
{
	const struct sched_ops *ops = sched_lookup(name);
	struct sched_build_ctx ctx = { .p = p };
	uint16_t *by_id = NULL;
	unsigned int i;
	int rc;

	memset(st, 0, sizeof(*st));
	if (ops == NULL || (flags & ~SCHED_F_ALL) != 0 ||
	    n > SCHED_MAX_DESTS || (n > 0 && dests == NULL))
		return -EINVAL;
	rc = params_check(p);
	if (rc < 0)
		return rc;
	for (i = 0; i < n; i++)
		if ((dests[i].addr.family != AF_INET &&
		     dests[i].addr.family != AF_INET6) ||
		    dests[i].weight > SCHED_WEIGHT_MAX ||
		    (dests[i].wload == NULL) != (dests[0].wload == NULL))
			return -EINVAL;

	/* calloc(0) may return NULL; allocate at least one of each */
	st->dests = malloc(sizeof(*st->dests) * (n ? n : 1));
	st->slots = malloc(sizeof(*st->slots) * (n ? n : 1));
	st->order = malloc(sizeof(*st->order) * (n ? n : 1));
	by_id = malloc(sizeof(*by_id) * (n ? n : 1));
	if (st->dests == NULL || st->slots == NULL || st->order == NULL ||
	    by_id == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	if (n > 0)
		memcpy(st->dests, dests, sizeof(*dests) * n);
	for (i = 0; i < n; i++) {
		st->slots[i].load = dests[i].load;
		st->slots[i].wload = dests[i].wload;
		st->slots[i].weight = dests[i].weight;
		if (dests[i].weight > 0)
			st->order[st->n_order++] = (uint16_t)i;
		by_id[i] = (uint16_t)i;
	}
	st->n = n;
	st->flags = flags;
	st->gen = gen_next();
	st->n_workers = p != NULL && p->n_workers != 0 ? p->n_workers : 1;
	st->wload_stride = p != NULL ? p->wload_stride : 0;
	st->lbl_expire_ms = p != NULL && p->lbl_expire_ms != 0 ?
			    p->lbl_expire_ms : SCHED_LBL_EXPIRE_DEFAULT;

	/* A dest's identity is its address and port: one of each. */
	if (n > 1)
		qsort_r(by_id, n, sizeof(*by_id), identity_cmp, st->dests);
	for (i = 1; i < n; i++)
		if (identity_cmp(&by_id[i - 1], &by_id[i], st->dests) == 0) {
			rc = -EEXIST;
			goto fail;
		}
	ctx.by_identity = by_id;
	st->ops = ops;		/* the builds read its key and lbl */
	rc = ops->build(st, &ctx);
	if (rc < 0)
		goto fail;
	free(by_id);
	return 0;
fail:
	free(by_id);
	sched_free(st);
	return rc;
}

int
sched_build(struct sched_state *st, const char *name,
	    const struct sched_dest *dests, unsigned int n, unsigned int flags)
{
	return sched_build_params(st, name, dests, n, flags, NULL);
}

void
sched_free(struct sched_state *st)
{
	sched_load_free(st);
	free(st->dests);
	free(st->slots);
	free(st->order);
	free(st->table);
	memset(st, 0, sizeof(*st));
}

int
sched_worker_prepare(struct sched_worker *sw, const char *name)
{
	const struct sched_ops *ops = sched_lookup(name);

	if (ops == NULL)
		return -EINVAL;
	if (!ops->lbl || sw->lbl != NULL)
		return 0;
	sw->lbl = sched_lbl_table_new();
	return sw->lbl != NULL ? 0 : -ENOMEM;
}

void
sched_worker_fini(struct sched_worker *sw)
{
	free(sw->lbl);
	sw->lbl = NULL;
}

int
sched_pick(const struct sched_state *st, const struct sched_input *in)
{
	if (st->ops == NULL || st->n_order == 0)
		return -ENOENT;
	return st->ops->pick(st, in);
}
