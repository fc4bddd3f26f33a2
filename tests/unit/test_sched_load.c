/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of the schedulers that follow connection counts (lc, wlc,
 * sed, nq, lblc, lblcr) over per-worker counts (struct sched_wload):
 *  - the distribution of each against its IPVS definition;
 *  - the per-worker index against a brute-force model written here the
 *    way IPVS writes its schedulers (the list newest first, the first
 *    strictly better wins), over random sequences of connections that
 *    open, establish and close on two workers, weight changes, dests
 *    removed and added back (rebuilds), overload flips and, for lblc
 *    and lblcr, destinations coming and going and the clock passing
 *    the expiration time.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "sched/scheduler.h"

#define POOL 32			/* dests that may be in the service */
#define NW 2			/* workers */
#define NDST 6			/* destination addresses (lblc, lblcr) */
#define EXPIRE 5000u		/* ms: lblc/lblcr expiration in the tests */

/* A dest's memory, which outlives states as dplbd's struct lb_dest. */
struct pool_dest {
	struct sched_dest_load load;	/* the overload flag */
	struct sched_wload wl[NW];	/* each worker's counts */
	uint32_t weight;
	int member;			/* in the service */
};

static struct pool_dest pool[POOL];
/* The service's dests, in the order they were added (array order). */
static unsigned int members[POOL], n_members;
static struct sched_dest dests[POOL];
static struct sched_worker sw[NW];

static struct sched_state st;
static const char *cur_name;

static uint32_t rnd_state = 12345;

static uint32_t
rnd(uint32_t n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 8) % n;
}

/* ---- the service ------------------------------------------------------ */

static void
pool_reset(void)
{
	unsigned int w;

	memset(pool, 0, sizeof(pool));
	memset(sw, 0, sizeof(sw));
	n_members = 0;
	for (w = 0; w < NW; w++)
		assert_int_equal(sched_worker_prepare(&sw[w], "lblcr"), 0);
}

static void
pool_fini(void)
{
	unsigned int w;

	sched_free(&st);
	for (w = 0; w < NW; w++)
		sched_worker_fini(&sw[w]);
}

/* (Re)build st from the members, as dplbd does after every change. */
static void
rebuild(void)
{
	struct sched_params p = {
		.n_workers = NW,
		.wload_stride = sizeof(struct sched_wload),
		.lbl_expire_ms = EXPIRE,
	};
	unsigned int i;

	for (i = 0; i < n_members; i++) {
		struct pool_dest *d = &pool[members[i]];

		dests[i] = (struct sched_dest){
			.addr = inet_addr_v4(htonl(0xc6120101u + members[i])),
			.port = htons(80),
			.weight = d->weight,
			.id = 100 + members[i],
			.load = &d->load,
			.wload = &d->wl[0],
		};
	}
	sched_free(&st);
	assert_int_equal(sched_build_params(&st, cur_name, dests, n_members,
					    0, &p), 0);
}

static void
add_member(unsigned int k, uint32_t weight)
{
	pool[k].member = 1;
	pool[k].weight = weight;
	members[n_members++] = k;
}

static void
del_member(unsigned int i)
{
	pool[members[i]].member = 0;
	memmove(&members[i], &members[i + 1],
		sizeof(members[0]) * (n_members - i - 1));
	n_members--;
}

/* The pool index of the dest the scheduler returned. */
static int
to_pool(int r)
{
	return r < 0 ? r : (int)members[r];
}

static int
pick(unsigned int w, unsigned int dst, uint32_t now)
{
	struct inet_addr d = inet_addr_v4(htonl(0x0a000000u + dst));
	struct sched_input in = { .daddr = &d, .now_ms = now, .worker = w,
				  .sw = &sw[w] };

	return to_pool(sched_pick(&st, &in));
}

/* The same, without the worker's memory: lc, wlc, sed, nq scan. */
static int
pick_scan(unsigned int w)
{
	struct sched_input in = { .worker = w };

	return to_pool(sched_pick(&st, &in));
}

static void
count(unsigned int k, unsigned int w, int da, int di)
{
	sched_wload_add(&sw[w], &pool[k].wl[w], da, di);
}

/* ---- the model: IPVS's schedulers, written as IPVS writes them -------- */

enum kind { K_LC, K_WLC, K_SED, K_NQ };

static uint32_t
act(unsigned int k, unsigned int w)
{
	return pool[k].wl[w].active;
}

/* lc, wlc, sed, nq: the list newest first, the first strictly better. */
static int
ref_least(enum kind kd, unsigned int w)
{
	uint64_t bn = 0, bd = 1, num, den;
	int best = -ENOENT;
	unsigned int i;

	for (i = n_members; i-- > 0;) {
		unsigned int k = members[i];
		uint32_t a = act(k, w), in = pool[k].wl[w].inactive;

		if (pool[k].weight == 0 || pool[k].load.overloaded)
			continue;
		if (kd == K_NQ && a == 0)
			return (int)k;
		num = kd <= K_WLC ? (uint64_t)a * 256 + in : (uint64_t)a + 1;
		den = kd == K_LC ? 1 : pool[k].weight;
		if (best < 0 || bn * den > num * bd) {
			best = (int)k;
			bn = num;
			bd = den;
		}
	}
	return best;
}

/* What the random runs went through: each must happen. */
static unsigned int hits_rule, hits_quiet, hits_cap, hits_expire, hits_shrink;

/* lblc/lblcr's rule: more active than its weight, and some dest with
 * fewer than half its weight. */
static int
ref_overloaded(unsigned int k, unsigned int w)
{
	unsigned int i;

	if (act(k, w) <= pool[k].weight)
		return 0;
	for (i = 0; i < n_members; i++)
		if (2 * act(members[i], w) < pool[members[i]].weight) {
			hits_rule++;
			return 1;
		}
	hits_quiet++;
	return 0;
}

struct ref_entry {
	int used;
	uint32_t lastuse, lastmod, n;
	unsigned int k[SCHED_LBLCR_SET_MAX];	/* pool indexes, oldest first */
};

static struct ref_entry ref_tab[NW][NDST];

static uint64_t
wlc_num(unsigned int k, unsigned int w)
{
	return (uint64_t)act(k, w) * 256 + pool[k].wl[w].inactive;
}

/* lblcr's set: least (most) loaded member, newest first among equals;
 * least among the available, most among the weighted. */
static int
ref_set(const struct ref_entry *e, unsigned int w, int most)
{
	uint64_t bn = 0, bd = 1;
	int best = -ENOENT;
	unsigned int j;

	for (j = e->n; j-- > 0;) {
		unsigned int k = e->k[j];
		uint64_t num = wlc_num(k, w), den = pool[k].weight;

		if (den == 0 || (!most && pool[k].load.overloaded))
			continue;
		if (best < 0 || (most ? bn * den < num * bd :
				 bn * den > num * bd)) {
			best = (int)k;
			bn = num;
			bd = den;
		}
	}
	return best;
}

static void
ref_erase(struct ref_entry *e, unsigned int k)
{
	unsigned int j;

	for (j = 0; j < e->n; j++)
		if (e->k[j] == k) {
			memmove(&e->k[j], &e->k[j + 1],
				sizeof(e->k[0]) * (e->n - j - 1));
			e->n--;
			return;
		}
}

static int
ref_lbl(int replicate, unsigned int w, unsigned int dst, uint32_t now)
{
	struct ref_entry *e = &ref_tab[w][dst];
	unsigned int j, n = 0;
	int s, m;

	if (e->used && now - e->lastuse > EXPIRE) {
		e->used = 0;
		hits_expire++;
	}
	if (!e->used) {
		s = ref_least(K_WLC, w);
		if (s >= 0)
			*e = (struct ref_entry){ 1, now, now, 1, { (unsigned)s } };
		return s;
	}
	e->lastuse = now;
	for (j = 0; j < e->n; j++)	/* dests gone from the service */
		if (pool[e->k[j]].member)
			e->k[n++] = e->k[j];
	e->n = n;
	if (!replicate) {
		s = e->n > 0 ? (int)e->k[e->n - 1] : -1;
		if (s >= 0 && pool[s].weight > 0 && !pool[s].load.overloaded &&
		    !ref_overloaded(s, w))
			return s;
		s = ref_least(K_WLC, w);
		if (s >= 0)
			*e = (struct ref_entry){ 1, now, now, 1, { (unsigned)s } };
		return s;
	}
	s = ref_set(e, w, 0);
	if (e->n > 1 && now - e->lastmod > EXPIRE) {
		m = ref_set(e, w, 1);
		if (m >= 0) {
			ref_erase(e, (unsigned int)m);
			e->lastmod = now;
			hits_shrink++;
		}
	}
	if (s >= 0 && !ref_overloaded(s, w))
		return s;
	s = ref_least(K_WLC, w);
	if (s < 0)
		return s;
	for (j = 0; j < e->n; j++)
		if (e->k[j] == (unsigned int)s)
			return s;
	if (e->n == SCHED_LBLCR_SET_MAX) {
		hits_cap++;
		m = ref_set(e, w, 1);
		ref_erase(e, m >= 0 ? (unsigned int)m : e->k[0]);
	}
	e->k[e->n++] = (unsigned int)s;
	e->lastmod = now;
	return s;
}

static int
ref_pick(unsigned int w, unsigned int dst, uint32_t now)
{
	if (strcmp(cur_name, "lc") == 0)
		return ref_least(K_LC, w);
	if (strcmp(cur_name, "wlc") == 0)
		return ref_least(K_WLC, w);
	if (strcmp(cur_name, "sed") == 0)
		return ref_least(K_SED, w);
	if (strcmp(cur_name, "nq") == 0)
		return ref_least(K_NQ, w);
	return ref_lbl(strcmp(cur_name, "lblcr") == 0, w, dst, now);
}

/* ---- randomized: the index against the model -------------------------- */

#define MAXCONN 4096

struct tconn {
	unsigned int k, w;
	int active;
};

static struct tconn conns[MAXCONN];
static unsigned int n_conns;

static void
conn_end(unsigned int c)
{
	struct tconn *t = &conns[c];

	count(t->k, t->w, t->active ? -1 : 0, t->active ? 0 : -1);
	conns[c] = conns[--n_conns];
}

/*
 * One random step; returns 1 if it was a pick.  In growing phases
 * connections rarely close, so dests pile up active connections (and
 * lblc's rule comes into play); in the others they drain.
 */
static int
step(uint32_t *now, int growing)
{
	uint32_t op = rnd(100);
	unsigned int w = rnd(NW), i, k;

	*now += rnd(20);
	if (op < 40 || n_conns == 0) {
		unsigned int dst = rnd(NDST);
		int want = ref_pick(w, dst, *now);
		int got = pick(w, dst, *now);

		if (got != want)
			fail_msg("%s: worker %u picked %d, IPVS %d", cur_name,
				 w, got, want);
		/* and the scan agrees where there is one */
		if (strncmp(cur_name, "lbl", 3) != 0)
			assert_int_equal(pick_scan(w), want);
		if (got >= 0 && n_conns < MAXCONN) {
			/* most handshakes complete at once */
			int est = rnd(3) != 0;

			conns[n_conns++] = (struct tconn){ (unsigned)got, w,
							   est };
			count((unsigned)got, w, est, !est);
		}
		return 1;
	}
	if (op < 60) {			/* a handshake completes */
		struct tconn *t = &conns[rnd(n_conns)];

		if (!t->active) {
			t->active = 1;
			count(t->k, t->w, 1, -1);
		}
	} else if (op < 85) {
		if (!growing || rnd(5) == 0)
			conn_end(rnd(n_conns));
	} else if (op < 89) {
		k = rnd(POOL);		/* one in four overloaded */
		pool[k].load.overloaded = rnd(4) == 0;
	} else if (op < 94 && n_members > 0) {
		pool[members[rnd(n_members)]].weight = rnd(6);
		rebuild();
	} else if (op < 96 && n_members > 1) {
		del_member(rnd(n_members));	/* its connections live on */
		rebuild();
	} else if (op < 98) {
		k = rnd(POOL);			/* added, or added back */
		if (!pool[k].member) {
			add_member(k, rnd(6));
			rebuild();
		}
	} else if (!growing) {
		for (i = n_conns; i-- > 0;)	/* a burst of closes */
			if (rnd(2))
				conn_end(i);
	}
	return 0;
}

/* n_first dests of weights 0..max_w (the first four at least 1) */
static void
random_run(const char *name, uint32_t seed, unsigned int n_first,
	   uint32_t max_w)
{
	unsigned int i, picks = 0;
	uint32_t now = 1000;

	cur_name = name;
	rnd_state = seed;
	pool_reset();
	memset(ref_tab, 0, sizeof(ref_tab));
	n_conns = 0;
	for (i = 0; i < n_first; i++)
		add_member(i, rnd(max_w) + (i < 4));
	rebuild();
	hits_rule = hits_quiet = hits_cap = hits_expire = hits_shrink = 0;
	for (i = 0; i < 60000; i++) {
		picks += step(&now, (i / 3000) % 2 == 0);
		if (i % 20000 == 19999)		/* time passes */
			now += EXPIRE + rnd(EXPIRE);
	}
	assert_true(picks > 20000);
	if (strncmp(name, "lbl", 3) == 0) {
		print_message("%s: overload rule held %u times, quiet %u, "
			      "%u expiries, %u full sets, %u shrinks\n", name,
			      hits_rule, hits_quiet, hits_expire, hits_cap,
			      hits_shrink);
		assert_true(hits_rule > 100 && hits_quiet > 100);
		assert_true(hits_expire > 10);
		if (strcmp(name, "lblcr") == 0 && n_first > 20)
			assert_true(hits_shrink > 10);
	}
	pool_fini();
}

/* Two runs per scheduler; the last lblcr one fills its sets. */
static const struct random_case {
	char name[24];		/* the test's */
	const char *sched;
	uint32_t seed;
	unsigned int n_first;
	uint32_t max_w;
} random_cases[] = {
	{ "random lc", "lc", 1, 20, 5 },	{ "random lc 2", "lc", 2, 12, 3 },
	{ "random wlc", "wlc", 3, 20, 5 },	{ "random wlc 2", "wlc", 4, 12, 3 },
	{ "random sed", "sed", 5, 20, 5 },	{ "random sed 2", "sed", 6, 12, 3 },
	{ "random nq", "nq", 7, 20, 5 },	{ "random nq 2", "nq", 8, 12, 3 },
	{ "random lblc", "lblc", 9, 20, 5 },
	{ "random lblc 2", "lblc", 10, 12, 3 },
	{ "random lblcr", "lblcr", 11, 20, 5 },
	{ "random lblcr 2", "lblcr", 12, 28, 10 },
};

#define N_RANDOM (sizeof(random_cases) / sizeof(random_cases[0]))

static void
test_random(void **state)
{
	const struct random_case *c = *state;

	random_run(c->sched, c->seed, c->n_first, c->max_w);
}

/* ---- distributions ---------------------------------------------------- */

/* n dests with weights w, on worker 0 of a fresh service. */
static void
service(const char *name, unsigned int n, const uint32_t *w)
{
	unsigned int i;

	cur_name = name;
	pool_reset();
	memset(ref_tab, 0, sizeof(ref_tab));
	for (i = 0; i < n; i++)
		add_member(i, w[i]);
	rebuild();
}

/* picks on worker 0 whose connections stay active: the sequence */
static void
held(unsigned int picks, int *seq)
{
	unsigned int i;

	for (i = 0; i < picks; i++) {
		int r = pick(0, 0, 0);

		assert_true(r >= 0);
		if (seq != NULL)
			seq[i] = r;
		count((unsigned int)r, 0, 1, 0);
	}
}

static void
assert_seq(const int *seq, const int *want, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (seq[i] != want[i])
			fail_msg("%s: pick %u went to %d, not %d", cur_name, i,
				 seq[i], want[i]);
}

static void
test_sed_nq_distribution(void **state)
{
	static const uint32_t w4[] = { 1, 2, 3, 4 }, w2[] = { 1, 10 };
	/* worked out from IPVS's definitions */
	static const int sed4[] = { 3, 2, 3, 1, 2, 3, 3, 2, 1, 0, 3, 2 };
	static const int nq4[] = { 3, 2, 1, 0, 3, 2, 3, 3, 2, 1, 3, 2 };
	static const int sed2[] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1 };
	static const int nq2[] = { 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
	const char *names[] = { "sed", "nq" };
	int seq[1000];
	unsigned int i, j;

	for (j = 0; j < 2; j++) {
		/* 1000 held connections: exactly by weight */
		service(names[j], 4, w4);
		held(1000, seq);
		assert_seq(seq, j ? nq4 : sed4, 12);
		for (i = 0; i < 4; i++)
			assert_int_equal(pool[i].wl[0].active, 100 * w4[i]);
		/* the other worker has its own counts: it starts afresh */
		assert_int_equal(pick(1, 0, 0), 3);
		pool_fini();

		/* a slow (1) and a fast (10) server: sed queues ten on the
		 * fast one before the slow one gets one; nq gives the idle
		 * slow one the second connection */
		service(names[j], 2, w2);
		held(22, seq);
		assert_seq(seq, j ? nq2 : sed2, 12);
		assert_int_equal(pool[0].wl[0].active, 2);
		assert_int_equal(pool[1].wl[0].active, 20);
		/* inactive connections do not count */
		count(0, 0, -2, 50);
		assert_int_equal(pick(0, 0, 0), 0);
		/* an overloaded dest is skipped until it is not */
		pool[0].load.overloaded = 1;
		assert_int_equal(pick(0, 0, 0), 1);
		pool[0].load.overloaded = 0;
		assert_int_equal(pick(0, 0, 0), 0);
		pool_fini();
	}
}

static void
test_lc_wlc_distribution(void **state)
{
	static const uint32_t w4[] = { 1, 2, 3, 4 };
	static const int wlc4[] = { 3, 2, 1, 0, 3, 2, 3, 1, 2, 3, 3, 2 };
	int seq[1000];
	unsigned int i;

	service("wlc", 4, w4);
	held(1000, seq);
	assert_seq(seq, wlc4, 12);
	for (i = 0; i < 4; i++)
		assert_int_equal(pool[i].wl[0].active, 100 * w4[i]);
	/* a drained server is refilled first */
	count(1, 0, -200, 0);
	for (i = 0; i < 200; i++) {
		assert_int_equal(pick(0, 0, 0), 1);
		count(1, 0, 1, 0);
	}
	pool_fini();

	service("lc", 4, w4);
	held(1000, NULL);
	for (i = 0; i < 4; i++)
		assert_int_equal(pool[i].wl[0].active, 250);
	/* 255 inactive weigh less than one active, 256 as much */
	count(2, 0, -1, 255);
	assert_int_equal(pick(0, 0, 0), 2);
	count(2, 0, 0, 1);
	assert_int_equal(pick(0, 0, 0), 3);		/* equal: the newest */
	count(3, 0, 0, 1);
	assert_int_equal(pick(0, 0, 0), 2);
	pool_fini();
}

/* ---- lblc, lblcr ------------------------------------------------------ */

static void
test_lblc(void **state)
{
	static const uint32_t w[] = { 2, 2, 2 };
	int first, second, r;
	unsigned int i;

	service("lblc", 3, w);
	/* the first connection to a destination: the wlc choice (all idle:
	 * the newest), and the destination stays there */
	first = pick(0, 0, 1000);
	assert_int_equal(first, 2);
	count(2, 0, 1, 0);
	/* while it has no more active connections than its weight */
	for (i = 0; i < 2; i++) {
		assert_int_equal(pick(0, 0, 1000 + i), 2);
		count(2, 0, 1, 0);
	}
	/* 3 active > weight 2 while others have none: it moves, to the
	 * wlc choice, and stays there */
	second = pick(0, 0, 2000);
	assert_int_equal(second, 1);
	count(1, 0, 1, 0);
	assert_int_equal(pick(0, 0, 2001), 1);
	/* another destination is remembered apart */
	r = pick(0, 1, 2002);
	assert_int_equal(r, 0);
	/* no dest light (2 * active < weight) any more: the rule does not
	 * hold, the destination keeps its server however loaded */
	count(0, 0, 1, 0);
	count(1, 0, 5, 0);
	assert_int_equal(pick(0, 0, 3000), 1);
	/* a rebuild (another dest added) keeps the mapping */
	add_member(3, 1);
	count(3, 0, 1, 0);		/* not light: 2 * 1 >= 1 */
	rebuild();
	assert_int_equal(pick(0, 0, 3001), 1);
	/* quiescent: the destination moves */
	pool[1].weight = 0;
	rebuild();
	r = pick(0, 0, 3002);
	assert_true(r >= 0 && r != 1);
	pool[1].weight = 2;
	rebuild();
	assert_int_equal(pick(0, 0, 3003), r);
	/* unused for the expiration time: forgotten, scheduled afresh */
	count((unsigned int)r, 0, 100, 0);
	assert_int_equal(pick(0, 0, 3003 + EXPIRE + 1), ref_least(K_WLC, 0));
	/* each worker has its own table */
	assert_int_equal(pick(1, 0, 3003), 3);
	pool_fini();
}

static void
test_lblcr(void **state)
{
	static const uint32_t w[] = { 2, 2, 2, 2 };
	uint32_t now = 1000;
	unsigned int i;

	service("lblcr", 4, w);
	assert_int_equal(pick(0, 0, now), 3);
	count(3, 0, 3, 0);		/* over its weight, others light */
	/* the set grows: 3 then 2 */
	assert_int_equal(pick(0, 0, now), 2);
	/* and serves its least loaded member while the rule is quiet */
	count(2, 0, 1, 0);
	assert_int_equal(pick(0, 0, now), 2);
	count(2, 0, 2, 0);		/* 3 active: set {3, 2} both over */
	assert_int_equal(pick(0, 0, now), 1);	/* grows to {3, 2, 1} */
	count(1, 0, 1, 0);
	/* 1 is the set's least loaded */
	assert_int_equal(pick(0, 0, now + 10), 1);
	/* unchanged for the expiration time: the most loaded member goes
	 * (3 and 2 tie at 3 active: the newer, 2), the pick is still 1 */
	now += EXPIRE + 1;
	assert_int_equal(pick(0, 0, now), 1);
	count(1, 0, 5, 0);
	count(3, 0, -3, 0);
	/* set {3, 1}: 3 is now idle, the set's least */
	assert_int_equal(pick(0, 0, now + 1), 3);
	/* a full set gives up its most loaded member for a new one */
	pool_fini();
	{
		uint32_t w20[20];

		for (i = 0; i < 20; i++)
			w20[i] = 1;
		service("lblcr", 20, w20);
	}
	/* each new member is at once over its weight 1 while others are
	 * idle: the set takes them in turn, up to SCHED_LBLCR_SET_MAX */
	for (i = 0; i < SCHED_LBLCR_SET_MAX; i++) {
		assert_int_equal(pick(0, 0, now), 19 - (int)i);
		count(19 - i, 0, 2, 0);
	}
	/* the next one makes the most loaded member (10) leave */
	count(10, 0, 5, 0);
	assert_int_equal(pick(0, 0, now), 3);
	count(3, 0, 2, 0);
	/* 10, now the least loaded of the old members and within its
	 * weight, would be the set's choice: it left, so the rule moves
	 * the destination on to an idle dest */
	count(10, 0, -6, 0);
	assert_int_equal(pick(0, 0, now), 2);
	count(2, 0, 2, 0);
	/* every dest over its weight but 10, none light: the rule is
	 * quiet and the set's least loaded member serves, the newest of
	 * equals */
	count(1, 0, 2, 0);
	count(0, 0, 2, 0);
	count(10, 0, 1, 0);
	assert_int_equal(pick(0, 0, now), 2);
	pool_fini();
}

int
main(void)
{
	struct CMUnitTest tests[4 + N_RANDOM] = {
		cmocka_unit_test(test_lc_wlc_distribution),
		cmocka_unit_test(test_sed_nq_distribution),
		cmocka_unit_test(test_lblc),
		cmocka_unit_test(test_lblcr),
	};
	unsigned int i;

	for (i = 0; i < N_RANDOM; i++)
		tests[4 + i] = (struct CMUnitTest){
			.name = random_cases[i].name,
			.test_func = test_random,
			.initial_state = (void *)(uintptr_t)&random_cases[i],
		};
	return cmocka_run_group_tests_name("sched_load", tests, NULL, NULL);
}
