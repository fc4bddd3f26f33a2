/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * harness: what bench.c (one scenario, one worker) shares with scale.c
 * (--workers): the options, the run's state, a round's figures and the
 * CSV row.
 */
#ifndef DPLB_BENCH_HARNESS_H
#define DPLB_BENCH_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "bench.h"

struct dp_worker;
struct lb_sync_rec;

#define MAX_ROUNDS 15
#define BENCH_SEED 0x5eed1u	/* rte_srand() of every run (bench.c) */

enum scenario { SC_FNAT, SC_UDP, SC_NAT, SC_DR, SC_TUNNEL, SC_CPS, SC_CPS3,
		SC_INSTALL, SC_UPDATE, SC_DUMP, SC_SNAT, SC_SNAT_CPS,
		SC_COOKIE, SC_FNAT6, SC_NAT64, SC_CPS6, SC_CPS64 };

struct opts {
	enum scenario sc;
	uint32_t conns;		/* established flows (cps: besides the new) */
	uint32_t dests;
	char sched[16];
	double seconds;		/* per round */
	double warmup;
	unsigned int rounds;
	uint64_t packets;	/* fixed-count phases instead of seconds */
	unsigned int burst;
	bool no_huge;
	bool verify;
	bool header;
	bool sync;		/* run as a sync master */
	bool synproxy;		/* established flows made SYN-proxied */
	unsigned int dump_rate;	/* sync-dump: records/s, 0 = dplbd's */
	unsigned int workers;	/* > 1: the scaling scenario (scale.c) */
	bool spread;		/* --clients-everywhere */
	char cpus[64];
};

struct bench {
	struct opts o;
	struct dp_ctx *dp;
	struct dp_worker *w;
	struct gen gen;
	uint16_t ext_port, int_port;	/* DPDK port ids */
	unsigned int lcore;		/* the worker lcore */
	clockid_t cpuclock;		/* its thread's CPU clock */
	volatile bool running;
	volatile uint64_t base_tx;
	uint64_t mem_kb;		/* RSS + hugetlb after start */
	int sink;			/* the sync peer's socket, never read */
	struct lb_sync_rec *recs;	/* sync-install, sync-update */
	size_t table6_bytes;		/* IPv6 scenarios: the table's heap */
};

struct round {
	double base_pps, base_pps_wall;
	double pipe_pps, pipe_pps_wall;
	double cps, cps_wall;
	double records;		/* sync records reported per CPU second */
	uint64_t drops;
};

/** The scenario's CSV row from n rounds. */
void report(const struct bench *b, const struct round *r, unsigned int n);

/** --workers: the scaling scenario's rounds and row (scale.c); the exit
 * status. */
int scale_main(struct bench *b);

/* ---- the IPv6 scenarios (bench6.c) ---- */

/** An IPv6 scenario's neighbours, ports, route, laddr group and service
 * (family fam, the int port receiving when replies). */
void conf6(FILE *f, const struct opts *o, enum gen_family fam, bool replies);

/** The DPDK heap bytes of an IPv6 connection table of capacity
 * (conn6_table_create(), rte_hash included); 0 when it cannot be made. */
size_t table6_bytes(uint32_t capacity);

#endif /* DPLB_BENCH_HARNESS_H */
