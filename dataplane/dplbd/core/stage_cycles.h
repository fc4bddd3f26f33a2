/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stage_cycles: TSC cycles spent in each stage of the burst path, for
 * the benchmark's diagnostic build (make bench-stages, bench/stages.sh).
 *
 * callgrind counts instructions, which do not grow with the connection
 * table; what does is time waiting for memory, and this tells in which
 * stage: Ethernet and IPv4 (pipeline.c's stage 1), the load balancer's
 * classification, the bulk lookup's bucket pass and entry pass
 * (conn.c), and the finish of each packet.
 *
 * Compiled in only with -DDPLB_STAGE_CYCLES: in any other build
 * stage_now() is 0 and stage_add() nothing, so the packet path has no
 * timer read.  Each lcore adds to its own block; a reader on another
 * lcore sums the blocks (stage_cycles_sum()) and takes differences.
 */
#ifndef DPLB_STAGE_CYCLES_H
#define DPLB_STAGE_CYCLES_H

#include <stdbool.h>
#include <stdint.h>

enum stage_id {
	STAGE_L3,	/* pipeline stage 1: net_ipv4_usual() */
	STAGE_LOOKUP,	/* lb_burst_lookup(), the two below included */
	STAGE_BUCKETS,	/* the bulk lookup's signature pass */
	STAGE_ENTRIES,	/* the bulk lookup's key compares */
	STAGE_FINISH,	/* lb_burst_next() and what it passes back */
	STAGE_COUNT
};

struct stage_cycles {
	uint64_t cycles[STAGE_COUNT];
	uint64_t pkts;		/* through the burst path */
};

#ifdef DPLB_STAGE_CYCLES
#include <rte_cycles.h>

/* This lcore's block: in the executable's TLS, no library call. */
extern __thread struct stage_cycles stage_cycles_mine;

static inline uint64_t
stage_now(void)
{
	return rte_rdtsc();
}

/* Cycles since `since` go to stage s; returns now, the next since. */
static inline uint64_t
stage_add(enum stage_id s, uint64_t since)
{
	uint64_t now = rte_rdtsc();

	stage_cycles_mine.cycles[s] += now - since;
	return now;
}

static inline void
stage_pkts(unsigned int n)
{
	stage_cycles_mine.pkts += n;
}

/** Make the calling lcore's block one that stage_cycles_sum() reads
 * (a worker, as it starts). */
void stage_cycles_register(void);

/** The sum of every registered block so far; false without the build. */
bool stage_cycles_sum(struct stage_cycles *sum);
#else
static inline uint64_t
stage_now(void)
{
	return 0;
}

static inline uint64_t
stage_add(enum stage_id s, uint64_t since)
{
	(void)s;
	return since;
}

static inline void
stage_pkts(unsigned int n)
{
	(void)n;
}

static inline void
stage_cycles_register(void)
{
}

static inline bool
stage_cycles_sum(struct stage_cycles *sum)
{
	(void)sum;
	return false;
}
#endif

#endif /* DPLB_STAGE_CYCLES_H */
