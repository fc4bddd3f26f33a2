/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memlat: what a random cache line costs on this machine, for reading
 * the connection table's figures at large sizes (docs/performance.md).
 *
 * For each buffer size, the lines of the buffer are linked in one
 * random cycle, and the tool walks it:
 *   - one chain: each load waits for the one before (the latency of a
 *     random line, TLB walk included);
 *   - K chains side by side: K independent walks interleaved, so up to K
 *     misses are in flight (the cost a line when the core overlaps them
 *     as well as it can; the lookup of a burst is in between);
 *   - lookups in batches of 32, as the burst path's bulk lookup makes
 *     them: 32 random lines loaded, then (two lines) the line each of
 *     them names, as an entry after its bucket.  The floor of a lookup
 *     of one and of two random lines at that batch size;
 *   - the same 32 lines prefetched, a pause of about a microsecond of
 *     arithmetic, then loaded: what a line costs once its prefetch had
 *     time (the pause's own time taken out), which says whether the
 *     machine overlaps prefetched misses with work at all.
 * Nothing of DPDK: anonymous memory in 2 MB hugepages (as dplbd's
 * tables) or, with --small-pages, 4 KB pages.
 *
 *   build/memlat [--small-pages] [--chains K] [--max-mb N]
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>

#define LINE 64
#define STEPS 4000000UL
#define MAX_CHAINS 64

static volatile uint64_t memlat_sink;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* xorshift64*: a fixed sequence, so runs compare. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/* Link the n lines of buf in one random cycle: each line's first word
 * is the offset of the next. */
static int
link_cycle(char *buf, size_t n)
{
	uint32_t *order = malloc(n * sizeof(*order));
	uint64_t seed = 88172645463325252ULL;
	size_t i;

	if (order == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	for (i = n - 1; i > 0; i--) {
		size_t j = rnd(&seed) % (i + 1);
		uint32_t t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (i = 0; i < n; i++)
		*(uint64_t *)(buf + (size_t)order[i] * LINE) =
			(uint64_t)order[(i + 1) % n] * LINE;
	free(order);
	return 0;
}

/* ns a step of k chains interleaved, each starting a distinct line. */
static double
walk(const char *buf, size_t n, unsigned int k)
{
	uint64_t at[MAX_CHAINS], sum = 0;
	unsigned int c;
	size_t i;
	double t0;

	for (c = 0; c < k; c++)
		at[c] = (uint64_t)((c * (n / k + 1)) % n) * LINE;
	for (i = 0; i < STEPS / k; i++)	/* warm: fill the TLB and caches */
		for (c = 0; c < k; c++)
			at[c] = *(const uint64_t *)(buf + at[c]);
	t0 = now_s();
	for (i = 0; i < STEPS / k; i++)
		for (c = 0; c < k; c++)
			at[c] = *(const uint64_t *)(buf + at[c]);
	t0 = now_s() - t0;
	for (c = 0; c < k; c++)
		sum += at[c];
	memlat_sink = sum;	/* keep the loads */
	return t0 / (double)(STEPS / k * k) * 1e9;
}

#define BATCH 32
#define LOOKUPS (1UL << 20)

/* The lines the batches start from: LOOKUPS random offsets of lines of
 * an n-line buffer, drawn once a buffer for every measurement of it. */
static uint64_t first[LOOKUPS];

static void
draw_lines(size_t n, uint64_t seed)
{
	size_t i;

	for (i = 0; i < LOOKUPS; i++)
		first[i] = rnd(&seed) % n * LINE;
}

/* ns a lookup of `lines` (1 or 2) random lines, in batches of BATCH:
 * first lines from a random stream, second ones (2) where each first
 * one points, the same cycle's next line. */
static double
lookups(const char *buf, unsigned int lines)
{
	uint64_t sum = 0, at[BATCH];
	unsigned int j;
	size_t i;
	double t0;

	t0 = now_s();
	for (i = 0; i < LOOKUPS; i += BATCH) {
		for (j = 0; j < BATCH; j++)
			at[j] = *(const uint64_t *)(buf + first[i + j]);
		if (lines == 2)
			for (j = 0; j < BATCH; j++)
				at[j] = *(const uint64_t *)(buf + at[j] + 8);
		for (j = 0; j < BATCH; j++)
			sum += at[j];
	}
	t0 = now_s() - t0;
	memlat_sink = sum;
	return t0 / (double)LOOKUPS * 1e9;
}

#define PAUSE 400	/* dependent multiplies between prefetch and load */

/* ns a line of batches of BATCH random lines: prefetched (or not), a
 * pause, loaded. */
static double
prefetched(const char *buf, bool prefetch, bool load)
{
	uint64_t sum = 1;
	unsigned int j, k;
	size_t i;
	double t0;

	t0 = now_s();
	for (i = 0; i < LOOKUPS; i += BATCH) {
		if (prefetch)
			for (j = 0; j < BATCH; j++)
				__builtin_prefetch(buf + first[i + j]);
		for (k = 0; k < PAUSE; k++)
			sum = sum * 0x9e3779b97f4a7c15ULL + 1;
		if (load)
			for (j = 0; j < BATCH; j++)
				sum += *(const uint64_t *)(buf + first[i + j]);
	}
	t0 = now_s() - t0;
	memlat_sink = sum;
	return t0 / (double)LOOKUPS * 1e9;
}

int
main(int argc, char **argv)
{
	static const size_t mb[] = { 1, 4, 8, 16, 32, 64, 256, 1024 };
	unsigned int chains = 32, max_mb = 1024, i;
	int huge = MAP_HUGETLB;

	for (i = 1; i < (unsigned int)argc; i++) {
		if (strcmp(argv[i], "--small-pages") == 0)
			huge = 0;
		else if (strcmp(argv[i], "--chains") == 0 && i + 1 < (unsigned int)argc)
			chains = (unsigned int)atoi(argv[++i]);
		else if (strcmp(argv[i], "--max-mb") == 0 && i + 1 < (unsigned int)argc)
			max_mb = (unsigned int)atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: %s [--small-pages] [--chains K] [--max-mb N]\n",
				argv[0]);
			return 2;
		}
	}
	if (chains < 1 || chains > MAX_CHAINS) {
		fprintf(stderr, "memlat: --chains is 1 to %d\n", MAX_CHAINS);
		return 2;
	}
	printf("%8s %12s %18s %22s %22s\n", "MB", "ns one chain",
	       "ns a line, chains", "ns a lookup, 1 / 2 lines",
	       "after a pause: pf / not");
	for (i = 0; i < sizeof(mb) / sizeof(mb[0]) && mb[i] <= max_mb; i++) {
		size_t len = mb[i] << 20, n = len / LINE;
		double pause;
		char *buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | huge, -1, 0);

		if (buf == MAP_FAILED) {
			fprintf(stderr, "memlat: %zu MB: %s%s\n", mb[i],
				strerror(errno), huge ?
				" (hugepages: echo N > /proc/sys/vm/nr_hugepages)" : "");
			return 1;
		}
		if (link_cycle(buf, n) != 0) {
			fprintf(stderr, "memlat: out of memory\n");
			return 1;
		}
		draw_lines(n, 2463534242ULL);
		pause = prefetched(buf, false, false);
		printf("%8zu %12.1f %12.1f (%u) %15.1f / %.1f %15.1f / %.1f\n",
		       mb[i], walk(buf, n, 1), walk(buf, n, chains), chains,
		       lookups(buf, 1), lookups(buf, 2),
		       prefetched(buf, true, true) - pause,
		       prefetched(buf, false, true) - pause);
		munmap(buf, len);
	}
	return 0;
}
