/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * scale: dplb-bench --workers 2, full NAT on two workers (bench.h).
 *
 * dplbd gives every worker its own rx and tx queue on each port; here
 * each worker's queues have their own generator (a copy of the run's,
 * gen_split), which makes only the flows that worker owns (net/steer.h:
 * clients by their address and port, replies by their local port), as
 * RSS or rte_flow would deliver them.  No packet crosses workers, so
 * what is measured is how the pipeline scales, not the steering rings.
 *
 * Each worker's rate is its packets per CPU second of its own thread,
 * as bench.c measures one worker; the aggregate is their sum, beside
 * the sum per wall second (which on a shared machine also shows how
 * much of the two cores the workers got).  The baseline runs the same
 * way: each lcore forwarding its own queues.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "bench.h"
#include "harness.h"
#include "conn/conn.h"
#include "core/dp.h"
#include "core/worker.h"
#include "lb/lb.h"

struct scale_worker {
	struct dp_worker *w;
	unsigned int lcore;
	struct gen gen;			/* this worker's flows */
	uint16_t rxq[2], txq[2];	/* ext, int */
	clockid_t clk;
	volatile bool running;
	volatile bool done;		/* the fill's budget is spent */
	uint64_t base_tx;
};

static struct {
	struct dp_ctx *dp;
	uint16_t port[2];		/* ext, int */
	struct scale_opts o;
	unsigned int n;
	struct scale_worker sw[BENCH_WORKERS_MAX];
} S;

struct scale_snap {
	double wall, cpu;
	uint64_t out, drops;
};

static double
clock_now(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
nap(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void
enter(struct scale_worker *sw)
{
	pthread_getcpuclockid(pthread_self(), &sw->clk);
	__atomic_store_n(&sw->running, true, __ATOMIC_RELEASE);
}

/* dplbd's worker loop on this worker. */
static int
scale_lcore_pipe(void *arg)
{
	struct scale_worker *sw = arg;

	enter(sw);
	return worker_main(sw->w);
}

/* The baseline: each direction's rx queue to the other port's tx queue. */
static int
scale_lcore_base(void *arg)
{
	struct scale_worker *sw = arg;
	struct rte_mbuf *pkts[DP_MAX_BURST];
	unsigned int d;
	uint16_t n, sent;

	enter(sw);
	while (!S.dp->quit) {
		for (d = 0; d < 2; d++) {
			n = rte_eth_rx_burst(S.port[d], sw->rxq[d], pkts,
					     (uint16_t)S.o.burst);
			if (n == 0)
				continue;
			sent = rte_eth_tx_burst(S.port[!d], sw->txq[!d], pkts, n);
			if (sent < n)
				rte_pktmbuf_free_bulk(pkts + sent, n - sent);
			sw->base_tx += sent;
		}
	}
	return 0;
}

static void
launch_all(lcore_function_t *fn)
{
	unsigned int i;

	S.dp->quit = false;
	for (i = 0; i < S.n; i++) {
		__atomic_store_n(&S.sw[i].running, false, __ATOMIC_RELAXED);
		rte_eal_remote_launch(fn, &S.sw[i], S.sw[i].lcore);
	}
	for (i = 0; i < S.n; i++)
		while (!__atomic_load_n(&S.sw[i].running, __ATOMIC_ACQUIRE))
			nap(0.0001);
}

static void
stop_all(void)
{
	unsigned int i;

	S.dp->quit = true;
	for (i = 0; i < S.n; i++)
		rte_eal_wait_lcore(S.sw[i].lcore);
}

/* ---- set-up ---- */

/* The worker's queues of both ports; -ENOTSUP if it shares one. */
static int
find_queues(struct scale_worker *sw)
{
	unsigned int d, k;
	bool found[2] = { false, false };

	for (k = 0; k < sw->w->n_rxq; k++)
		for (d = 0; d < 2; d++)
			if (sw->w->rxq[k].port_id == S.port[d] &&
			    !sw->w->rxq[k].twin) {
				sw->rxq[d] = sw->w->rxq[k].queue;
				found[d] = true;
			}
	for (d = 0; d < 2; d++) {
		if (!found[d] || sw->w->txb[S.port[d]].via != NULL)
			return -ENOTSUP;
		sw->txq[d] = sw->w->txb[S.port[d]].queue;
	}
	return 0;
}

static int
setup_worker(struct scale_worker *sw, const struct gen *g, unsigned int i)
{
	unsigned int d;
	int ret;

	sw->w = &S.dp->workers[i];
	ret = find_queues(sw);
	if (ret == 0)
		ret = gen_split(g, i, S.n, &sw->gen);
	if (ret != 0)
		return ret;
	sw->gen.quit = &sw->done;
	for (d = 0; d < 2 && ret == 0; d++)
		ret = gen_attach_queue(&sw->gen, S.port[d], sw->rxq[d], d == 0);
	for (d = 0; d < 2 && ret == 0 && S.o.verify; d++)
		ret = gen_verify_attach_queue(&sw->gen, S.port[d], sw->txq[d],
					      d == 0);
	return ret;
}

/* Every flow's SYN and ACK through its own worker; each generator
 * learns its flows' reply tuples from what its worker sends. */
static int
fill_all(const struct gen *g)
{
	const void *cap[BENCH_WORKERS_MAX];
	uint64_t captured = 0, bad = 0;
	unsigned int i, in_tables = 0;
	double waited = 0;	/* s, at least */
	bool ok = true;

	for (i = 0; i < S.n; i++) {
		struct scale_worker *sw = &S.sw[i];

		cap[i] = gen_capture_attach_queue(&sw->gen, S.port[1], sw->txq[1]);
		if (cap[i] == NULL)
			return -rte_errno;
		sw->done = false;
		gen_phase(&sw->gen, GEN_FILL, 2ull * sw->gen.n_mine);
	}
	launch_all(scale_lcore_pipe);
	for (i = 0; i < S.n; i++)
		while (!S.sw[i].done && waited < 120) {
			nap(0.001);
			waited += 0.001;
		}
	nap(0.05);	/* the last bursts through the pipeline */
	stop_all();
	for (i = 0; i < S.n; i++) {
		struct scale_worker *sw = &S.sw[i];

		gen_capture_detach_queue(S.port[1], sw->txq[1], cap[i]);
		captured += sw->gen.captured;
		bad += sw->gen.bad;
		in_tables += conn_count(sw->w->conns);
		ok &= conn_count(sw->w->conns) == sw->gen.n_mine;
		fprintf(stderr, "bench: worker %u: %u flows, %u in its table\n",
			i, sw->gen.n_mine, conn_count(sw->w->conns));
	}
	if (waited >= 120)
		fprintf(stderr, "bench: fill: a generator still had packets to make after 120 s\n");
	if (waited >= 120 || !ok || bad != 0 ||
	    (g->replies && captured != g->n_flows)) {
		fprintf(stderr,
			"bench: fill on %u workers: %u connections in the tables, %lu reply tuples learnt, %lu wrong (want %u, %u, 0)\n",
			S.n, in_tables, captured, bad, g->n_flows,
			g->replies ? g->n_flows : 0);
		return -EIO;
	}
	return 0;
}

int
scale_setup(struct dp_ctx *dp, struct gen *g, uint16_t ext_port,
	    uint16_t int_port, const struct scale_opts *o)
{
	unsigned int i = 0, lcore;
	int ret;

	S.dp = dp;
	S.port[0] = ext_port;
	S.port[1] = int_port;
	S.o = *o;
	S.n = dp->n_workers;
	if (S.n < 2 || S.n > BENCH_WORKERS_MAX || g->fwd != LB_FWD_FNAT)
		return -EINVAL;
	/* dp_start() gives worker i the i-th worker lcore */
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (i == S.n)
			break;
		S.sw[i].lcore = lcore;
		ret = setup_worker(&S.sw[i], g, i);
		if (ret != 0) {
			fprintf(stderr, "bench: worker %u: %s\n", i,
				ret == -ENOTSUP ? "no queue of its own on both ports" :
				strerror(-ret));
			return ret;
		}
		i++;
	}
	return fill_all(g);
}

/* ---- measuring ---- */

static void
take(bool pipe, struct scale_snap *s)
{
	unsigned int i, k;

	for (i = 0; i < S.n; i++) {
		const struct lcore_stats *st = &S.sw[i].w->stats;

		s[i].wall = clock_now(CLOCK_MONOTONIC);
		s[i].cpu = clock_now(S.sw[i].clk);
		s[i].out = pipe ? __atomic_load_n(&st->tx_packets, __ATOMIC_RELAXED) :
				  S.sw[i].base_tx;
		s[i].drops = 0;
		for (k = 0; k < DROP_MAX; k++)
			s[i].drops += st->drops[k];
	}
}

static bool
all_had(const struct scale_snap *s0, const struct scale_snap *s1, double cpu)
{
	unsigned int i;

	for (i = 0; i < S.n; i++)
		if (s1[i].cpu - s0[i].cpu < cpu)
			return false;
	return true;
}

/* One phase on every worker: rates summed over the workers. */
static void
phase(lcore_function_t *fn, bool pipe, double *pps, double *pps_wall,
      uint64_t *drops)
{
	struct scale_snap s0[BENCH_WORKERS_MAX], s1[BENCH_WORKERS_MAX];
	double secs = S.o.seconds;
	unsigned int i;

	launch_all(fn);
	nap(S.o.warmup);
	take(pipe, s0);
	nap(secs);
	take(pipe, s1);
	/* on a busy machine: until each had half of secs, 20 secs at most */
	while (!all_had(s0, s1, secs / 2) && s1[0].wall - s0[0].wall < 20 * secs) {
		nap(secs / 10);
		take(pipe, s1);
	}
	stop_all();
	*pps = *pps_wall = 0;
	*drops = 0;
	for (i = 0; i < S.n; i++) {
		uint64_t out = s1[i].out - s0[i].out;

		if (s1[i].cpu > s0[i].cpu)
			*pps += (double)out / (s1[i].cpu - s0[i].cpu);
		*pps_wall += (double)out / (s1[i].wall - s0[i].wall);
		*drops += s1[i].drops - s0[i].drops;
		fprintf(stderr, "bench: worker %u: %.2f Mpps per CPU second, %.2f CPU s of %.2f s\n",
			i, (double)out / (s1[i].cpu - s0[i].cpu) / 1e6,
			s1[i].cpu - s0[i].cpu, s1[i].wall - s0[i].wall);
	}
}

static void
gens_phase(enum gen_mode mode, bool checking)
{
	unsigned int i;

	for (i = 0; i < S.n; i++) {
		gen_phase(&S.sw[i].gen, mode, UINT64_MAX);
		S.sw[i].gen.checking = checking;
	}
}

void
scale_round(struct scale_figures *r)
{
	uint64_t drops;

	gens_phase(GEN_RUN, false);
	phase(scale_lcore_base, false, &r->base_pps, &r->base_pps_wall, &drops);
	gens_phase(GEN_RUN, S.o.verify);
	phase(scale_lcore_pipe, true, &r->pipe_pps, &r->pipe_pps_wall, &r->drops);
	fprintf(stderr,
		"bench: round: %u workers: base %.2f Mpps (wall %.2f), dplbd %.2f Mpps (wall %.2f), %lu drops\n",
		S.n, r->base_pps / 1e6, r->base_pps_wall / 1e6,
		r->pipe_pps / 1e6, r->pipe_pps_wall / 1e6, r->drops);
}

void
scale_checked(uint64_t *checked, uint64_t *bad, const char **first_bad)
{
	unsigned int i;

	*checked = *bad = 0;
	*first_bad = "";
	for (i = 0; i < S.n; i++) {
		*checked += S.sw[i].gen.checked;
		if (S.sw[i].gen.bad != 0 && *bad == 0)
			*first_bad = S.sw[i].gen.first_bad;
		*bad += S.sw[i].gen.bad;
	}
}

/* The scaling scenario's rounds and row. */
int
scale_main(struct bench *b)
{
	struct scale_opts so = { .seconds = b->o.seconds,
				 .warmup = b->o.warmup, .burst = b->o.burst,
				 .verify = b->o.verify };
	struct round r[MAX_ROUNDS];
	struct scale_figures f;
	const char *first_bad = "";
	unsigned int i;
	int ret;

	ret = scale_setup(b->dp, &b->gen, b->ext_port, b->int_port, &so);
	for (i = 0; ret == 0 && i < b->o.rounds; i++) {
		scale_round(&f);
		r[i] = (struct round){ .base_pps = f.base_pps,
				       .base_pps_wall = f.base_pps_wall,
				       .pipe_pps = f.pipe_pps,
				       .pipe_pps_wall = f.pipe_pps_wall,
				       .drops = f.drops };
		if (f.drops != 0 && b->o.verify)
			ret = -EIO;
	}
	if (ret == 0 || ret == -EIO) {
		report(b, r, i);
		scale_checked(&b->gen.checked, &b->gen.bad, &first_bad);
		if (b->o.verify)
			fprintf(stderr, "bench: verified %lu packets, %lu wrong%s%s\n",
				b->gen.checked, b->gen.bad,
				b->gen.bad ? ": " : "", first_bad);
		if (b->gen.bad != 0 || (b->o.verify && b->gen.checked == 0))
			ret = -EIO;
	}
	if (ret != 0)
		fprintf(stderr, "bench: fnat on %u workers failed: %s\n",
			b->o.workers, strerror(-ret));
	gen_free(&b->gen);
	dp_stop(b->dp);
	return ret == 0 ? 0 : 1;
}
