/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of sched.c: each scheduler's choices against its
 * definition (rr even, wrr exact per cycle, lc/wlc least loaded, sh
 * sticky and spread, mh consistent and weighted, fo highest weight with
 * failover), quiescent and overloaded dests, errors, and that a pick
 * never allocates.
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

/* ---- allocation counting ---------------------------------------------- */

static volatile unsigned long n_alloc;
static volatile int counting;

#ifdef __SANITIZE_ADDRESS__
/* ASan owns malloc; it reports every allocation to these hooks. */
int __sanitizer_install_malloc_and_free_hooks(
	void (*malloc_hook)(const volatile void *, size_t),
	void (*free_hook)(const volatile void *));

static void
on_malloc(const volatile void *p, size_t size)
{
	if (counting)
		n_alloc++;
}

static void
on_free(const volatile void *p)
{
}

static void
alloc_count_init(void)
{
	__sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
}
#else
/*
 * Interpose the allocator for the whole process (this executable's
 * definitions come first in symbol lookup, libdplbd.a included) and pass
 * through to glibc's.  free needs no wrapper: the memory is glibc's.
 */
void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t size);

void *
malloc(size_t size)
{
	if (counting)
		n_alloc++;
	return __libc_malloc(size);
}

void *
calloc(size_t n, size_t size)
{
	if (counting)
		n_alloc++;
	return __libc_calloc(n, size);
}

void *
realloc(void *p, size_t size)
{
	if (counting)
		n_alloc++;
	return __libc_realloc(p, size);
}

static void
alloc_count_init(void)
{
}
#endif

static void
count_start(void)
{
	n_alloc = 0;
	counting = 1;
}

static unsigned long
count_stop(void)
{
	counting = 0;
	return n_alloc;
}

/* ---- helpers ---------------------------------------------------------- */

#define MAXD 16

static struct sched_dest dests[MAXD];
static struct sched_dest_load loads[MAXD];

/* n dests 198.18.1.1.. :80, ids 100.., with their loads zeroed. */
static void
make_dests(unsigned int n, const uint32_t *weights)
{
	unsigned int i;

	memset(dests, 0, sizeof(dests));
	memset(loads, 0, sizeof(loads));
	for (i = 0; i < n; i++) {
		dests[i].addr = inet_addr_v4(htonl(0xc6120101u + i));
		dests[i].port = htons(80);
		dests[i].weight = weights[i];
		dests[i].id = 100 + i;
		dests[i].load = &loads[i];
	}
}

static struct inet_addr
client_v4(uint32_t i)
{
	return inet_addr_v4(htonl(0x0a000000u + i));
}

static struct inet_addr
client_v6(uint32_t i)
{
	struct inet_addr a = { .family = AF_INET6 };

	a.v6.s6_addr[0] = 0x20;
	a.v6.s6_addr[1] = 0x01;
	a.v6.s6_addr[2] = 0x0d;
	a.v6.s6_addr[3] = 0xb8;
	a.v6.s6_addr[12] = (uint8_t)(i >> 24);
	a.v6.s6_addr[13] = (uint8_t)(i >> 16);
	a.v6.s6_addr[14] = (uint8_t)(i >> 8);
	a.v6.s6_addr[15] = (uint8_t)i;
	return a;
}

static int
pick_client(const struct sched_state *st, const struct inet_addr *a,
	    uint16_t sport)
{
	struct sched_input in = { .saddr = a, .sport = htons(sport) };

	return sched_pick(st, &in);
}

/* picks with one cursor, counted per dest; fails on an error */
static void
pick_count(const struct sched_state *st, struct sched_cursor *c,
	   unsigned int picks, unsigned int *counts)
{
	struct sched_input in = { .cursor = c };
	unsigned int i;

	memset(counts, 0, sizeof(*counts) * MAXD);
	for (i = 0; i < picks; i++) {
		int r = sched_pick(st, &in);

		assert_true(r >= 0 && r < MAXD);
		counts[r]++;
	}
}

static void
build_ok(struct sched_state *st, const char *name, unsigned int n,
	 unsigned int flags)
{
	int rc = sched_build(st, name, dests, n, flags);

	if (rc != 0)
		fail_msg("build %s: %d", name, rc);
}

/* ---- errors and the registry ------------------------------------------ */

static void
test_registry(void **state)
{
	static const char *const names[] = { "rr", "wrr", "lc", "wlc", "sh",
					     "mh", "fo", "dh", "lblc", "lblcr",
					     "sed", "nq" };
	char all[128] = "";
	unsigned int i;

	for (i = 0; i < 12; i++) {
		assert_string_equal(sched_name_at(i), names[i]);
		assert_true(sched_known(names[i]));
		assert_true(strlen(names[i]) < SCHED_NAME_MAX);
		if (i > 0)
			strcat(all, " ");
		strcat(all, names[i]);
	}
	assert_null(sched_name_at(12));
	/* the list the error messages print is the registry */
	assert_string_equal(SCHED_NAMES, all);
	/* IPVS's ovf and twos are not here */
	assert_false(sched_known("ovf"));
	assert_false(sched_known("twos"));
	assert_false(sched_known(NULL));
}

static void
test_build_errors(void **state)
{
	static const uint32_t w[] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
	struct sched_params p = { 0 };
	struct sched_cursor c = { 0 };
	struct sched_input in = { .cursor = &c };
	struct sched_state st;

	make_dests(10, w);
	assert_int_equal(sched_build(&st, "nope", dests, 10, 0), -EINVAL);
	assert_null(sched_name(&st));
	assert_int_equal(sched_pick(&st, &in), -ENOENT);
	sched_free(&st);	/* harmless on a failed build */
	assert_int_equal(sched_build(&st, NULL, dests, 10, 0), -EINVAL);
	assert_int_equal(sched_build(&st, "", dests, 10, 0), -EINVAL);
	assert_int_equal(sched_build(&st, "RR", dests, 10, 0), -EINVAL);
	assert_int_equal(sched_build(&st, "rr", dests, 10, 0x80), -EINVAL);
	assert_int_equal(sched_build(&st, "rr", NULL, 1, 0), -EINVAL);
	assert_int_equal(sched_build(&st, "rr", dests, SCHED_MAX_DESTS + 1, 0),
			 -EINVAL);

	dests[3].weight = SCHED_WEIGHT_MAX + 1;
	assert_int_equal(sched_build(&st, "wrr", dests, 10, 0), -EINVAL);
	dests[3].weight = SCHED_WEIGHT_MAX;
	build_ok(&st, "wrr", 10, 0);
	sched_free(&st);

	dests[4].addr.family = 0;
	assert_int_equal(sched_build(&st, "rr", dests, 10, 0), -EINVAL);
	make_dests(10, w);

	/* same address and port twice; another port is another dest */
	dests[7].addr = dests[2].addr;
	assert_int_equal(sched_build(&st, "mh", dests, 10, 0), -EEXIST);
	assert_int_equal(sched_build(&st, "rr", dests, 10, 0), -EEXIST);
	dests[7].port = htons(8080);
	build_ok(&st, "mh", 10, 0);
	sched_free(&st);
	sched_free(&st);	/* idempotent */

	p.mh_table_size = 65536;	/* not prime */
	assert_int_equal(sched_build_params(&st, "mh", dests, 10, 0, &p),
			 -EINVAL);
	p.mh_table_size = 7;		/* prime, but fewer slots than dests */
	assert_int_equal(sched_build_params(&st, "mh", dests, 10, 0, &p),
			 -EINVAL);
	p.mh_table_size = 11;
	assert_int_equal(sched_build_params(&st, "mh", dests, 10, 0, &p), 0);
	sched_free(&st);
	p.mh_table_size = 0;
	p.sh_table_size = 1000;		/* not a power of two */
	assert_int_equal(sched_build_params(&st, "sh", dests, 10, 0, &p),
			 -EINVAL);
	p.sh_table_size = 4;		/* raised to fit 10 dests */
	assert_int_equal(sched_build_params(&st, "sh", dests, 10, 0, &p), 0);
	assert_int_equal(st.table_len, 16);
	sched_free(&st);
}

static void
test_input_errors(void **state)
{
	static const uint32_t w[] = { 1, 1 };
	struct sched_input in = { 0 };
	struct inet_addr unset = { 0 }, dst = client_v4(99);
	struct sched_worker sw = { 0 };
	struct sched_state st;

	make_dests(2, w);
	build_ok(&st, "rr", 2, 0);
	assert_int_equal(sched_pick(&st, &in), -EINVAL);	/* no cursor */
	sched_free(&st);
	build_ok(&st, "wrr", 2, 0);
	assert_int_equal(sched_pick(&st, &in), -EINVAL);
	sched_free(&st);
	build_ok(&st, "sh", 2, 0);
	assert_int_equal(sched_pick(&st, &in), -EINVAL);	/* no saddr */
	in.saddr = &unset;
	assert_int_equal(sched_pick(&st, &in), -EINVAL);
	sched_free(&st);
	build_ok(&st, "mh", 2, 0);
	assert_int_equal(sched_pick(&st, &in), -EINVAL);
	sched_free(&st);
	/* dh, lblc and lblcr need a destination, and lblc/lblcr their
	 * worker's memory */
	in.saddr = NULL;
	build_ok(&st, "dh", 2, 0);
	assert_int_equal(sched_pick(&st, &in), -EINVAL);
	in.daddr = &unset;
	assert_int_equal(sched_pick(&st, &in), -EINVAL);
	sched_free(&st);
	build_ok(&st, "lblc", 2, 0);
	in.daddr = &dst;
	assert_int_equal(sched_pick(&st, &in), -EINVAL);	/* no sw */
	in.sw = &sw;
	assert_int_equal(sched_pick(&st, &in), -EINVAL);	/* unprepared */
	assert_int_equal(sched_worker_prepare(&sw, "lblc"), 0);
	assert_int_equal(sched_pick(&st, &in), 1);
	in.worker = 1;			/* built for one worker */
	assert_int_equal(sched_pick(&st, &in), -EINVAL);
	sched_free(&st);
	build_ok(&st, "lblcr", 2, 0);
	assert_int_equal(sched_pick(&st, &in), -EINVAL);
	in.worker = 0;
	assert_int_equal(sched_pick(&st, &in), 1);
	sched_free(&st);
	sched_worker_fini(&sw);
	assert_int_equal(sched_worker_prepare(&sw, "nope"), -EINVAL);
	/* lc, wlc, sed, nq and fo need nothing; equals go to the newest */
	in = (struct sched_input){ 0 };
	build_ok(&st, "wlc", 2, 0);
	assert_int_equal(sched_pick(&st, &in), 1);
	sched_free(&st);
	/* but a worker the state was built for */
	in.worker = 1;
	build_ok(&st, "sed", 2, 0);
	assert_int_equal(sched_pick(&st, &in), -EINVAL);
	sched_free(&st);
}

/* every scheduler: empty set, all quiescent, all overloaded -> -ENOENT */
static void
test_nothing_available(void **state)
{
	static const uint32_t w[] = { 0, 0, 0 };
	static const uint32_t w1[] = { 1, 2, 3 };
	struct sched_cursor c = { 0 };
	struct sched_worker sw = { 0 };
	struct inet_addr a = client_v4(1);
	struct sched_input in = { .saddr = &a, .cursor = &c, .daddr = &a,
				  .sw = &sw };
	struct sched_state st;
	const char *name;
	unsigned int i, j;
	int r;

	for (i = 0; (name = sched_name_at(i)) != NULL; i++) {
		assert_int_equal(sched_worker_prepare(&sw, name), 0);
		make_dests(3, w);
		build_ok(&st, name, 0, 0);
		assert_int_equal(sched_pick(&st, &in), -ENOENT);
		sched_free(&st);
		build_ok(&st, name, 3, SCHED_F_FALLBACK);
		assert_int_equal(sched_pick(&st, &in), -ENOENT);
		sched_free(&st);

		make_dests(3, w1);
		for (j = 0; j < 3; j++)
			loads[j].overloaded = 1;
		build_ok(&st, name, 3, SCHED_F_FALLBACK);
		assert_int_equal(sched_pick(&st, &in), -ENOENT);
		loads[1].overloaded = 0;	/* live: no rebuild needed */
		r = sched_pick(&st, &in);
		/* dh: only if the destination hashes to dest 1 */
		if (strcmp(name, "dh") != 0 || r != -ENOENT)
			assert_int_equal(r, 1);
		sched_free(&st);
	}
	sched_worker_fini(&sw);
}

/* weight 0 is never picked, by any scheduler, over 1000 picks */
static void
test_quiescent_never_picked(void **state)
{
	static const uint32_t w[] = { 0, 3, 0, 1, 0, 2 };
	struct sched_cursor c = { 0 };
	struct sched_worker sw = { 0 };
	struct inet_addr a;
	struct sched_input in = { .saddr = &a, .cursor = &c, .daddr = &a,
				  .sw = &sw };
	struct sched_state st;
	const char *name;
	unsigned int i, k, none;

	for (i = 0; (name = sched_name_at(i)) != NULL; i++) {
		assert_int_equal(sched_worker_prepare(&sw, name), 0);
		make_dests(6, w);
		build_ok(&st, name, 6, 0);
		for (k = 0, none = 0; k < 1000; k++) {
			int r;

			a = client_v4(k);
			r = sched_pick(&st, &in);
			/* dh has no fallback: the buckets of a quiescent
			 * dest give nothing (IPVS) */
			if (r == -ENOENT && strcmp(name, "dh") == 0) {
				none++;
				continue;
			}
			assert_true(r == 1 || r == 3 || r == 5);
			/* the lc family sees the load move */
			loads[r].active++;
		}
		if (strcmp(name, "dh") == 0)	/* 3 of 6 dests: about half */
			assert_true(none > 400 && none < 600);
		sched_free(&st);
	}
	sched_worker_fini(&sw);
}

/* ---- rr, wrr ---------------------------------------------------------- */

static void
test_rr_even(void **state)
{
	static const uint32_t w[] = { 1, 7, 0, 2, 1, 100 };
	struct sched_cursor c = { 0 };
	struct sched_input in = { .cursor = &c };
	unsigned int counts[MAXD], i;
	struct sched_state st;

	make_dests(6, w);
	build_ok(&st, "rr", 6, 0);
	assert_string_equal(sched_name(&st), "rr");
	/* the cycle is array order, weights ignored but for 0 */
	assert_int_equal(sched_pick(&st, &in), 0);
	assert_int_equal(sched_pick(&st, &in), 1);
	assert_int_equal(sched_pick(&st, &in), 3);
	assert_int_equal(sched_pick(&st, &in), 4);
	assert_int_equal(sched_pick(&st, &in), 5);
	assert_int_equal(sched_pick(&st, &in), 0);

	pick_count(&st, &c, 1000, counts);
	for (i = 0; i < 6; i++)
		assert_int_equal(counts[i], i == 2 ? 0 : 200);

	/* overloaded: skipped, the rest share evenly */
	loads[3].overloaded = 1;
	pick_count(&st, &c, 1000, counts);
	for (i = 0; i < 6; i++)
		assert_int_equal(counts[i], i == 2 || i == 3 ? 0 : 250);
	loads[3].overloaded = 0;

	/* a worker's cursor can start elsewhere; an out-of-range one wraps */
	sched_cursor_init(&c, 3);
	assert_int_equal(sched_pick(&st, &in), 4);
	sched_cursor_init(&c, 5 * 1000 + 1);
	assert_int_equal(sched_pick(&st, &in), 1);
	sched_free(&st);
}

/* longest run of dest idx in seq[0..n) */
static unsigned int
longest_run(const int *seq, unsigned int n, int idx)
{
	unsigned int i, run = 0, best = 0;

	for (i = 0; i < n; i++) {
		run = seq[i] == idx ? run + 1 : 0;
		if (run > best)
			best = run;
	}
	return best;
}

static void
test_wrr_exact(void **state)
{
	static const uint32_t w[] = { 5, 1, 0, 1, 3 };		/* cycle 10 */
	static const uint32_t w2[] = { 200, 100, 300 };		/* cycle 6 */
	struct sched_cursor c = { 0 };
	struct sched_input in = { .cursor = &c };
	unsigned int counts[MAXD], i, k;
	struct sched_state st;
	int seq[1000];

	make_dests(5, w);
	build_ok(&st, "wrr", 5, 0);
	assert_int_equal(st.table_len, 10);
	for (i = 0; i < 1000; i++)
		seq[i] = sched_pick(&st, &in);
	/* exact in every cycle, so exact over 1000 picks */
	for (k = 0; k < 1000; k += 10) {
		memset(counts, 0, sizeof(counts));
		for (i = k; i < k + 10; i++)
			counts[seq[i]]++;
		assert_int_equal(counts[0], 5);
		assert_int_equal(counts[1], 1);
		assert_int_equal(counts[2], 0);
		assert_int_equal(counts[3], 1);
		assert_int_equal(counts[4], 3);
	}
	/* smooth: the heavy dest never gets its 5 in a row */
	assert_true(longest_run(seq, 1000, 0) <= 2);
	sched_free(&st);

	/* the gcd comes out: 200,100,300 cycles in 6 */
	make_dests(3, w2);
	build_ok(&st, "wrr", 3, 0);
	assert_int_equal(st.table_len, 6);
	c.pos = 0;
	pick_count(&st, &c, 996, counts);
	assert_int_equal(counts[0], 332);
	assert_int_equal(counts[1], 166);
	assert_int_equal(counts[2], 498);

	/* overloaded: skipped, the others keep their ratio */
	loads[2].overloaded = 1;
	pick_count(&st, &c, 999, counts);
	assert_int_equal(counts[2], 0);
	assert_int_equal(counts[0], 666);
	assert_int_equal(counts[1], 333);
	sched_free(&st);
}

/* weights whose cycle is too long are scaled, within a tight ratio */
static void
test_wrr_long_cycle(void **state)
{
	uint32_t w[MAXD];
	unsigned int counts[MAXD], i;
	struct sched_cursor c = { 0 };
	struct sched_state st;
	uint64_t sum = 0;

	for (i = 0; i < MAXD; i++) {
		w[i] = SCHED_WEIGHT_MAX - 2 * i;	/* pairwise odd: gcd 1 */
		sum += w[i];
	}
	make_dests(MAXD, w);
	build_ok(&st, "wrr", MAXD, 0);
	assert_true(st.table_len <= SCHED_WRR_SEQ_MAX);
	pick_count(&st, &c, st.table_len, counts);
	for (i = 0; i < MAXD; i++) {
		double want = (double)st.table_len * w[i] / (double)sum;

		assert_true(counts[i] >= want - 2 && counts[i] <= want + 2);
	}
	sched_free(&st);
}

/* ---- lc, wlc ---------------------------------------------------------- */

/* 1000 new connections that stay active: where do they go? */
static void
fill_active(const struct sched_state *st, unsigned int *counts)
{
	struct sched_input in = { 0 };
	unsigned int i;

	memset(counts, 0, sizeof(*counts) * MAXD);
	for (i = 0; i < 1000; i++) {
		int r = sched_pick(st, &in);

		assert_true(r >= 0 && r < MAXD);
		counts[r]++;
		loads[r].active++;
	}
}

static void
test_lc(void **state)
{
	static const uint32_t w[] = { 1, 2, 3, 4 };
	struct sched_input in = { 0 };
	unsigned int counts[MAXD], i;
	struct sched_state st;

	make_dests(4, w);
	build_ok(&st, "lc", 4, 0);
	/* least overhead = active * 256 + inactive; equals go to the
	 * newest dest (IPVS's list head): the highest index */
	loads[0].active = 1;
	loads[1].inactive = 300;
	loads[2].active = 1;
	loads[3].inactive = 255;
	assert_int_equal(sched_pick(&st, &in), 3);
	loads[3].inactive = 256;
	assert_int_equal(sched_pick(&st, &in), 3);
	loads[3].overloaded = 1;
	assert_int_equal(sched_pick(&st, &in), 2);
	loads[2].inactive = 1;
	assert_int_equal(sched_pick(&st, &in), 0);
	sched_free(&st);

	/* from idle, weights play no part: an even share */
	make_dests(4, w);
	build_ok(&st, "lc", 4, 0);
	fill_active(&st, counts);
	for (i = 0; i < 4; i++)
		assert_int_equal(counts[i], 250);
	/* a loaded newcomer gets nothing until the others catch up */
	sched_free(&st);
}

static void
test_wlc(void **state)
{
	static const uint32_t w[] = { 1, 2, 3, 4 };
	struct sched_input in = { 0 };
	unsigned int counts[MAXD], i;
	struct sched_state st;

	make_dests(4, w);
	build_ok(&st, "wlc", 4, 0);
	/* overhead / weight: 256/1, 512/2, 600/3, 1024/4 */
	loads[0].active = 1;
	loads[1].active = 2;
	loads[2].active = 2;
	loads[2].inactive = 88;
	loads[3].active = 4;
	assert_int_equal(sched_pick(&st, &in), 2);
	loads[2].inactive = 256;	/* 768/3: four-way tie, newest wins */
	assert_int_equal(sched_pick(&st, &in), 3);
	loads[3].overloaded = 1;
	assert_int_equal(sched_pick(&st, &in), 2);
	sched_free(&st);

	/* from idle, shares follow the weights exactly */
	make_dests(4, w);
	build_ok(&st, "wlc", 4, 0);
	fill_active(&st, counts);
	for (i = 0; i < 4; i++)
		assert_int_equal(counts[i], 100 * w[i]);

	/* and an emptied server is refilled first */
	loads[3].active = 0;
	for (i = 0; i < 400; i++) {
		assert_int_equal(sched_pick(&st, &in), 3);
		loads[3].active++;
	}
	sched_free(&st);
}

/* ---- sh --------------------------------------------------------------- */

static void
test_sh(void **state)
{
	static const uint32_t w[] = { 1, 1, 1, 1 };
	static const uint32_t w13[] = { 1, 3 };
	unsigned int counts[MAXD], i, owner0 = 0;
	struct sched_state st, st2;
	struct inet_addr a;
	int r;

	make_dests(4, w);
	build_ok(&st, "sh", 4, 0);
	build_ok(&st2, "sh", 4, 0);
	memset(counts, 0, sizeof(counts));
	for (i = 0; i < 10000; i++) {
		a = client_v4(i);
		r = pick_client(&st, &a, 1000 + i);
		assert_true(r >= 0 && r < 4);
		/* sticky: same client, same dest; another port, same dest;
		 * an identical rebuild, same dest */
		assert_int_equal(pick_client(&st, &a, 1000 + i), r);
		assert_int_equal(pick_client(&st, &a, 2000 + i), r);
		assert_int_equal(pick_client(&st2, &a, 1), r);
		counts[r]++;
	}
	for (i = 0; i < 4; i++)
		assert_true(counts[i] > 2250 && counts[i] < 2750);

	/* IPv6 clients spread too */
	memset(counts, 0, sizeof(counts));
	for (i = 0; i < 10000; i++) {
		a = client_v6(i);
		r = pick_client(&st, &a, 0);
		assert_true(r >= 0 && r < 4);
		counts[r]++;
	}
	for (i = 0; i < 4; i++)
		assert_true(counts[i] > 2250 && counts[i] < 2750);

	/* overloaded: its clients get -ENOENT, the others are unaffected */
	loads[0].overloaded = 1;
	for (i = 0; i < 1000; i++) {
		a = client_v4(i);
		r = pick_client(&st2, &a, 0);
		loads[0].overloaded = 0;
		if (pick_client(&st2, &a, 0) == 0) {
			assert_int_equal(r, -ENOENT);
			owner0++;
		} else {
			assert_int_equal(r, pick_client(&st2, &a, 0));
		}
		loads[0].overloaded = 1;
	}
	assert_true(owner0 > 150);
	loads[0].overloaded = 0;
	sched_free(&st);
	sched_free(&st2);

	/* sh-port: one address, many ports, spread */
	build_ok(&st, "sh", 4, SCHED_F_HASH_PORT);
	a = client_v4(42);
	memset(counts, 0, sizeof(counts));
	for (i = 0; i < 10000; i++) {
		r = pick_client(&st, &a, (uint16_t)(1024 + i));
		assert_int_equal(pick_client(&st, &a, (uint16_t)(1024 + i)),
				 r);
		counts[r]++;
	}
	for (i = 0; i < 4; i++)
		assert_true(counts[i] > 2250 && counts[i] < 2750);
	sched_free(&st);

	/* sh-fallback: clients of an overloaded dest go elsewhere, sticky */
	build_ok(&st, "sh", 4, SCHED_F_FALLBACK);
	loads[2].overloaded = 1;
	memset(counts, 0, sizeof(counts));
	for (i = 0; i < 10000; i++) {
		a = client_v4(i);
		r = pick_client(&st, &a, 0);
		assert_true(r >= 0 && r != 2);
		assert_int_equal(pick_client(&st, &a, 0), r);
		counts[r]++;
	}
	for (i = 0; i < 4; i++)
		if (i != 2)
			assert_true(counts[i] > 3000 && counts[i] < 3700);
	sched_free(&st);

	/* weights: 1:3 */
	make_dests(2, w13);
	build_ok(&st, "sh", 2, 0);
	memset(counts, 0, sizeof(counts));
	for (i = 0; i < 10000; i++) {
		a = client_v4(i);
		counts[pick_client(&st, &a, 0)]++;
	}
	assert_true(counts[0] > 2250 && counts[0] < 2750);
	sched_free(&st);
}

/* ---- mh --------------------------------------------------------------- */

#define MH_CLIENTS 100000

static uint32_t before[MH_CLIENTS], after[MH_CLIENTS];

/* the id of every client's dest */
static void
mh_assign(const struct sched_state *st, uint32_t *out)
{
	struct inet_addr a;
	unsigned int i;

	for (i = 0; i < MH_CLIENTS; i++) {
		int r;

		a = client_v4(i);
		r = pick_client(st, &a, 0);
		assert_true(r >= 0);
		out[i] = sched_dest_get(st, (unsigned int)r)->id;
	}
}

static void
test_mh_consistent(void **state)
{
	static const uint32_t w[] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
	unsigned int i, moved, kept_other, other, counts[MAXD];
	struct sched_dest shuffled[10];
	struct sched_state st;

	make_dests(10, w);
	build_ok(&st, "mh", 10, 0);
	mh_assign(&st, before);
	memset(counts, 0, sizeof(counts));
	for (i = 0; i < MH_CLIENTS; i++)
		counts[before[i] - 100]++;
	for (i = 0; i < 10; i++)	/* 10000 each, within 10% */
		assert_true(counts[i] > 9000 && counts[i] < 11000);
	sched_free(&st);

	/* array order does not matter: only the set does */
	for (i = 0; i < 10; i++)
		shuffled[i] = dests[(i * 3 + 7) % 10];
	assert_int_equal(sched_build(&st, "mh", shuffled, 10, 0), 0);
	mh_assign(&st, after);
	assert_memory_equal(before, after, sizeof(before));
	sched_free(&st);

	/* remove the server with id 104: about a tenth move */
	memmove(&dests[4], &dests[5], sizeof(dests[0]) * 5);
	build_ok(&st, "mh", 9, 0);
	mh_assign(&st, after);
	moved = kept_other = other = 0;
	for (i = 0; i < MH_CLIENTS; i++) {
		assert_int_not_equal(after[i], 104);
		if (before[i] != after[i])
			moved++;
		if (before[i] != 104) {
			other++;
			if (before[i] == after[i])
				kept_other++;
		}
	}
	print_message("mh: removing 1 of 10 moved %.2f%%; %.2f%% of the "
		      "others' clients kept theirs\n",
		      100.0 * moved / MH_CLIENTS, 100.0 * kept_other / other);
	assert_true(moved > MH_CLIENTS * 5 / 100);
	assert_true(moved < MH_CLIENTS * 15 / 100);
	assert_true(kept_other > other * 95 / 100);
	sched_free(&st);

	/* adding an 11th server takes about 1/11, and little else moves */
	make_dests(11, w);
	build_ok(&st, "mh", 11, 0);
	mh_assign(&st, after);
	moved = other = 0;
	for (i = 0; i < MH_CLIENTS; i++) {
		if (after[i] == 110)
			moved++;
		else if (before[i] != after[i])
			other++;
	}
	print_message("mh: adding an 11th took %.2f%%, moved %.2f%% "
		      "between the others\n", 100.0 * moved / MH_CLIENTS,
		      100.0 * other / MH_CLIENTS);
	assert_true(moved > MH_CLIENTS * 5 / 100);
	assert_true(moved < MH_CLIENTS * 15 / 100);
	assert_true(other < MH_CLIENTS * 5 / 100);
	sched_free(&st);
}

static void
test_mh_weights(void **state)
{
	static const uint32_t w[] = { 1, 2, 3, 4 };
	static const uint32_t wbig[] = { 1000, 3000 };
	unsigned int counts[MAXD], slots[MAXD], i;
	struct sched_params p = { .mh_table_size = 251 };
	struct sched_state st;
	struct inet_addr a;
	int r;

	make_dests(4, w);
	build_ok(&st, "mh", 4, 0);
	assert_int_equal(st.table_len, SCHED_MH_TABLE_DEFAULT);
	memset(slots, 0, sizeof(slots));
	for (i = 0; i < st.table_len; i++)
		slots[st.table[i]]++;
	memset(counts, 0, sizeof(counts));
	for (i = 0; i < MH_CLIENTS; i++) {
		a = client_v4(i);
		counts[pick_client(&st, &a, 0)]++;
	}
	print_message("mh 1:2:3:4 slots %u %u %u %u, clients %u %u %u %u\n",
		      slots[0], slots[1], slots[2], slots[3], counts[0],
		      counts[1], counts[2], counts[3]);
	for (i = 0; i < 4; i++) {
		double ws = SCHED_MH_TABLE_DEFAULT * w[i] / 10.0;
		double wc = MH_CLIENTS * w[i] / 10.0;

		/* slots: the exact share, within one */
		assert_true(slots[i] >= ws - 1 && slots[i] <= ws + 1);
		assert_true(counts[i] > wc * 0.95 && counts[i] < wc * 1.05);
	}
	sched_free(&st);

	/* big weights reduce by their gcd; IPv6 clients; a small table */
	make_dests(2, wbig);
	assert_int_equal(sched_build_params(&st, "mh", dests, 2, 0, &p), 0);
	assert_int_equal(st.table_len, 251);
	memset(slots, 0, sizeof(slots));
	for (i = 0; i < st.table_len; i++)
		slots[st.table[i]]++;
	assert_true(slots[0] == 62 || slots[0] == 63);
	memset(counts, 0, sizeof(counts));
	for (i = 0; i < 10000; i++) {
		a = client_v6(i);
		r = pick_client(&st, &a, 0);
		assert_true(r == 0 || r == 1);
		counts[r]++;
	}
	assert_true(counts[0] > 2100 && counts[0] < 2900);
	sched_free(&st);
}

static void
test_mh_fallback_and_port(void **state)
{
	static const uint32_t w[] = { 1, 1, 1, 1 };
	unsigned int counts[MAXD], i, enoent = 0;
	struct sched_state st, fb;
	struct inet_addr a;
	int r;

	make_dests(4, w);
	build_ok(&st, "mh", 4, 0);
	build_ok(&fb, "mh", 4, SCHED_F_FALLBACK);
	loads[1].overloaded = 1;
	memset(counts, 0, sizeof(counts));
	for (i = 0; i < 10000; i++) {
		a = client_v4(i);
		r = pick_client(&fb, &a, 0);
		assert_true(r >= 0 && r != 1);
		assert_int_equal(pick_client(&fb, &a, 0), r);
		counts[r]++;
		if (pick_client(&st, &a, 0) == -ENOENT)
			enoent++;
		else	/* those not on dest 1 stay where they were */
			assert_int_equal(pick_client(&st, &a, 0), r);
	}
	assert_true(enoent > 2000 && enoent < 3000);
	for (i = 0; i < 4; i++)
		if (i != 1)
			assert_true(counts[i] > 3000 && counts[i] < 3700);
	loads[1].overloaded = 0;
	sched_free(&st);
	sched_free(&fb);

	build_ok(&st, "mh", 4, SCHED_F_HASH_PORT);
	a = client_v4(7);
	memset(counts, 0, sizeof(counts));
	for (i = 0; i < 10000; i++)
		counts[pick_client(&st, &a, (uint16_t)(1024 + i))]++;
	for (i = 0; i < 4; i++)
		assert_true(counts[i] > 2250 && counts[i] < 2750);
	sched_free(&st);
}

/* ---- fo --------------------------------------------------------------- */

static void
test_fo(void **state)
{
	static const uint32_t w[] = { 5, 10, 10, 3, 0 };
	struct sched_input in = { 0 };
	unsigned int counts[MAXD], i;
	struct sched_state st;

	make_dests(5, w);
	build_ok(&st, "fo", 5, 0);
	/* highest weight, the newest of equals (IPVS's list head), every
	 * time */
	memset(counts, 0, sizeof(counts));
	for (i = 0; i < 1000; i++)
		counts[sched_pick(&st, &in)]++;
	assert_int_equal(counts[2], 1000);
	/* overloaded: the next best takes over, and gives back */
	loads[2].overloaded = 1;
	assert_int_equal(sched_pick(&st, &in), 1);
	loads[1].overloaded = 1;
	assert_int_equal(sched_pick(&st, &in), 0);
	loads[0].overloaded = 1;
	assert_int_equal(sched_pick(&st, &in), 3);
	loads[3].overloaded = 1;
	assert_int_equal(sched_pick(&st, &in), -ENOENT);
	loads[2].overloaded = 0;
	assert_int_equal(sched_pick(&st, &in), 2);
	sched_free(&st);

	/* drained (weight 0): the other 10 wins, and load plays no part */
	make_dests(5, w);
	dests[2].weight = 0;
	loads[1].active = 1000000;
	build_ok(&st, "fo", 5, 0);
	assert_int_equal(sched_pick(&st, &in), 1);
	sched_free(&st);
}

/* ---- dh --------------------------------------------------------------- */

static int
pick_dst(const struct sched_state *st, const struct inet_addr *d)
{
	struct inet_addr c = client_v4(1);
	struct sched_input in = { .saddr = &c, .daddr = d };

	return sched_pick(st, &in);
}

static void
test_dh(void **state)
{
	static const uint32_t w[] = { 1, 3, 1, 1 };
	static const uint32_t w3[] = { 1, 1, 1 };
	struct inet_addr d = inet_addr_v4(htonl(0x0a000001u));
	unsigned int counts[MAXD], i, none = 0;
	struct sched_state st;
	int r;

	make_dests(4, w);
	build_ok(&st, "dh", 4, SCHED_F_FALLBACK);
	/* IPVS's buckets: 10.0.0.1 hashes to bucket 39 of 256
	 * (0x0a000001 * 0x61c88647 >> 24), dealt to the dests in turn
	 * from the newest: 39 % 4 = 3 -> the fourth newest, dest 0 */
	assert_int_equal(pick_dst(&st, &d), 0);
	d = inet_addr_v4(htonl(0xc0a80101u));		/* bucket 136 */
	assert_int_equal(pick_dst(&st, &d), 3);
	/* every address keeps its dest; weights count only as 0 or not */
	memset(counts, 0, sizeof(counts));
	for (i = 0; i < 10000; i++) {
		d = client_v4(i * 7919);
		r = pick_dst(&st, &d);
		assert_true(r >= 0 && r < 4);
		assert_int_equal(pick_dst(&st, &d), r);
		counts[r]++;
	}
	for (i = 0; i < 4; i++)
		assert_true(counts[i] > 2250 && counts[i] < 2750);
	/* IPv6 destinations, folded by XOR as IPVS, spread too */
	memset(counts, 0, sizeof(counts));
	for (i = 0; i < 10000; i++) {
		d = client_v6(i * 7919);
		counts[pick_dst(&st, &d)]++;
	}
	for (i = 0; i < 4; i++)
		assert_true(counts[i] > 2000 && counts[i] < 3000);
	/* overloaded: its destinations get nothing, fallback or not; the
	 * others are unaffected */
	loads[1].overloaded = 1;
	for (i = 0; i < 1000; i++) {
		d = client_v4(i * 7919);
		loads[1].overloaded = 0;
		r = pick_dst(&st, &d);
		loads[1].overloaded = 1;
		if (r == 1) {
			assert_int_equal(pick_dst(&st, &d), -ENOENT);
			none++;
		} else {
			assert_int_equal(pick_dst(&st, &d), r);
		}
	}
	assert_true(none > 200 && none < 300);
	loads[1].overloaded = 0;
	sched_free(&st);

	/* quiescent: it keeps its buckets, which give nothing (IPVS) */
	make_dests(4, w);
	dests[2].weight = 0;
	build_ok(&st, "dh", 4, 0);
	memset(counts, 0, sizeof(counts));
	for (i = 0, none = 0; i < 1000; i++) {
		d = client_v4(i * 7919);
		r = pick_dst(&st, &d);
		if (r < 0)
			none++;
		else
			counts[r]++;
	}
	assert_int_equal(counts[2], 0);
	assert_true(none > 200 && none < 300);
	sched_free(&st);

	/* three dests: bucket 39 % 3 = 0 -> the newest */
	make_dests(3, w3);
	build_ok(&st, "dh", 3, 0);
	d = inet_addr_v4(htonl(0x0a000001u));
	assert_int_equal(pick_dst(&st, &d), 2);
	sched_free(&st);
}

/* ---- no allocation on the packet path --------------------------------- */

#define N_SCHED 12

static void
test_pick_does_not_allocate(void **state)
{
	static const uint32_t w[] = { 3, 1, 0, 2, 5, 1, 1, 4 };
	void *(*volatile do_malloc)(size_t) = malloc;
	static struct sched_wload wl[2 * N_SCHED][8];	/* each its own */
	struct sched_state st[2 * N_SCHED];
	struct sched_worker sw[2 * N_SCHED];
	struct sched_cursor c = { 0 };
	struct inet_addr a, dst;
	struct sched_input in = { .saddr = &a, .cursor = &c, .daddr = &dst };
	static int results[2 * N_SCHED][200];
	unsigned long n;
	unsigned int i, k;
	void *p;

	/* the counter itself works, in this build */
	count_start();
	p = do_malloc(32);
	n = count_stop();
	free(p);
	assert_int_equal(n, 1);

	/* every scheduler, on shared counts and (the second half) on a
	 * worker's counts with its index */
	memset(sw, 0, sizeof(sw));
	memset(wl, 0, sizeof(wl));
	make_dests(8, w);
	for (i = 0; i < 2 * N_SCHED; i++) {
		unsigned int flags = i % 2 ? SCHED_F_FALLBACK : 0;
		const char *name = sched_name_at(i % N_SCHED);

		for (k = 0; k < 8; k++)
			dests[k].wload = i < N_SCHED ? NULL : &wl[i][k];
		assert_int_equal(sched_build(&st[i], name, dests, 8,
					     flags | SCHED_F_HASH_PORT), 0);
		assert_int_equal(sched_worker_prepare(&sw[i], name), 0);
	}
	loads[4].overloaded = 1;	/* exercise the skip and fallback paths */
	count_start();
	for (k = 0; k < 200; k++) {
		a = k % 2 ? client_v4(k) : client_v6(k);
		dst = client_v4(k % 7);
		in.sport = (uint16_t)k;
		in.now_ms = k * 1000;
		for (i = 0; i < 2 * N_SCHED; i++) {
			int r;

			in.sw = &sw[i];
			r = results[i][k] = sched_pick(&st[i], &in);
			if (r >= 0 && i >= N_SCHED)
				sched_wload_add(&sw[i], &wl[i][r], k % 3 == 0,
						1 - (k % 3 == 0));
		}
		if (k == 100)
			loads[4].overloaded = 0;
	}
	n = count_stop();
	assert_int_equal(n, 0);
	for (i = 0; i < 2 * N_SCHED; i++) {
		for (k = 0; k < 200; k++)
			assert_true(results[i][k] >= 0 ||
				    results[i][k] == -ENOENT);
		sched_free(&st[i]);
		sched_worker_fini(&sw[i]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_build_errors),
		cmocka_unit_test(test_input_errors),
		cmocka_unit_test(test_nothing_available),
		cmocka_unit_test(test_quiescent_never_picked),
		cmocka_unit_test(test_rr_even),
		cmocka_unit_test(test_wrr_exact),
		cmocka_unit_test(test_wrr_long_cycle),
		cmocka_unit_test(test_lc),
		cmocka_unit_test(test_wlc),
		cmocka_unit_test(test_sh),
		cmocka_unit_test(test_mh_consistent),
		cmocka_unit_test(test_mh_weights),
		cmocka_unit_test(test_mh_fallback_and_port),
		cmocka_unit_test(test_fo),
		cmocka_unit_test(test_dh),
		cmocka_unit_test(test_pick_does_not_allocate),
	};

	alloc_count_init();
	return cmocka_run_group_tests_name("sched", tests, NULL, NULL);
}
