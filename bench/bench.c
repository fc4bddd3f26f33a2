/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dplb-bench: one scenario per run.  It writes a dplbd.conf for the
 * scenario, starts dplbd's dataplane from it (dplbd_start.c) on two
 * net_null ports with the generator (gen.c) on their receive side,
 * establishes the flows through the pipeline itself, then alternates
 * rounds of the I/O-only baseline and of dplbd's worker_main() on the
 * same worker lcore, and prints one CSV row (docs/performance.md).
 *
 * Rates are per CPU second of the worker thread (its thread CPU clock),
 * so time the shared machine gives to other processes does not count;
 * the wall-clock rates are printed beside them.  With --packets the
 * phases are a fixed number of packets instead (for callgrind: the
 * functions bench_lcore_base and bench_lcore_pipe hold exactly the
 * measured packets, the fill runs in bench_lcore_fill).
 *
 * HA sync (docs/performance.md): --sync runs the scenario on a sync
 * master (ha/sync.h): the worker reports connections as IPVS would, the
 * main thread drains its ring, batches messages and sends them to a
 * unicast peer on loopback (a socket that never reads: a sink).  The
 * sync-install and sync-update scenarios feed decoded records to the
 * worker's mailbox ring as a backup's main lcore does, and time the
 * worker installing them (new connections, then updates of existing
 * ones).
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_random.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "bench.h"
#include "harness.h"
#include "config/config.h"
#include "conn/conn.h"
#include "conn/conn6.h"
#include "core/dp.h"
#include "core/stats.h"
#include "lb/lb_svc.h"
#include "core/worker.h"
#include "ha/sync.h"
#include "lb/lb.h"
#include "log.h"

static const struct {
	const char *name;
	uint8_t proto;
	uint8_t fwd;
	uint8_t family;		/* enum gen_family: the clients', servers' */
} scenarios[] = {
	[SC_FNAT] = { "fnat", IPPROTO_TCP, LB_FWD_FNAT },
	[SC_UDP] = { "udp", IPPROTO_UDP, LB_FWD_FNAT },
	[SC_NAT] = { "nat", IPPROTO_TCP, LB_FWD_NAT },
	[SC_DR] = { "dr", IPPROTO_TCP, LB_FWD_DR },
	[SC_TUNNEL] = { "tunnel", IPPROTO_TCP, LB_FWD_TUNNEL },
	[SC_CPS] = { "cps", IPPROTO_TCP, LB_FWD_FNAT },
	[SC_CPS3] = { "cps-est", IPPROTO_TCP, LB_FWD_FNAT },
	[SC_INSTALL] = { "sync-install", IPPROTO_TCP, LB_FWD_FNAT },
	[SC_UPDATE] = { "sync-update", IPPROTO_TCP, LB_FWD_FNAT },
	[SC_DUMP] = { "sync-dump", IPPROTO_TCP, LB_FWD_FNAT },
	/* SNAT: the clients are the inside hosts, the real servers the
	 * outside ones; packets have full-NAT's shape on the int side. */
	[SC_SNAT] = { "snat", IPPROTO_TCP, LB_FWD_FNAT },
	[SC_SNAT_CPS] = { "snat-cps", IPPROTO_TCP, LB_FWD_FNAT },
	[SC_COOKIE] = { "syn-cookie", IPPROTO_TCP, LB_FWD_FNAT },
	/* IPv6 clients (bench6.c): full NAT to IPv6 servers, NAT64 to
	 * IPv4 ones (an IPv6 VIP, IPv4 LIPs) */
	[SC_FNAT6] = { "fnat6", IPPROTO_TCP, LB_FWD_FNAT, GEN_IPV6 },
	[SC_NAT64] = { "nat64", IPPROTO_TCP, LB_FWD_FNAT, GEN_NAT64 },
	[SC_CPS6] = { "cps6", IPPROTO_TCP, LB_FWD_FNAT, GEN_IPV6 },
	[SC_CPS64] = { "cps64", IPPROTO_TCP, LB_FWD_FNAT, GEN_NAT64 },
};

/* IPv6 clients: their connections live in lb6.c's table. */
static bool
is_v6(int sc)
{
	return scenarios[sc].family != GEN_IPV4;
}

/* Source NAT of the clients' flows to the servers, no service. */
static bool
is_snat(int sc)
{
	return sc == SC_SNAT || sc == SC_SNAT_CPS;
}

/* New connections per second: SYNs alone, or SYN, ACK, ACK. */
static bool
is_cps(int sc)
{
	return sc == SC_CPS || sc == SC_CPS3 || sc == SC_SNAT_CPS ||
	       sc == SC_COOKIE || sc == SC_CPS6 || sc == SC_CPS64;
}

/* Records a backup's worker installs, not packets. */
static bool
is_install(int sc)
{
	return sc == SC_INSTALL || sc == SC_UPDATE || sc == SC_DUMP;
}

static const char *const fwd_names[] = { "fnat", "nat", "dr", "tunnel" };

/* Counters at one instant. */
struct snap {
	double wall, cpu;
	uint64_t out, made, conns_new, expired, drops, records;
	bool staged;			/* the stages build (stages.sh) */
	struct stage_cycles stages;
};

static struct bench B;
static struct dp_ctx the_dp;	/* as dplbd has one */

/* ---- the worker lcore ---- */

static void
lcore_enter(struct bench *b)
{
	pthread_getcpuclockid(pthread_self(), &b->cpuclock);
	__atomic_store_n(&b->running, true, __ATOMIC_RELEASE);
}

static int
bench_lcore_hello(void *arg)
{
	lcore_enter(arg);
	return 0;
}

/* testpmd's io forwarding: ext -> int and int -> ext, nothing else. */
static inline void
io_fwd(struct bench *b, uint16_t from, uint16_t to, struct rte_mbuf **pkts)
{
	uint16_t n = rte_eth_rx_burst(from, 0, pkts, (uint16_t)b->o.burst);
	uint16_t sent;

	if (n == 0)
		return;
	sent = rte_eth_tx_burst(to, 0, pkts, n);
	if (unlikely(sent < n))
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	b->base_tx += sent;
}

/* The baseline.  Not static: callgrind toggles on it by name. */
__attribute__((noinline)) int bench_lcore_base(void *arg);
__attribute__((noinline)) int
bench_lcore_base(void *arg)
{
	struct bench *b = arg;
	struct rte_mbuf *pkts[DP_MAX_BURST];

	lcore_enter(b);
	while (!b->dp->quit) {
		io_fwd(b, b->ext_port, b->int_port, pkts);
		io_fwd(b, b->int_port, b->ext_port, pkts);
	}
	return 0;
}

/* dplbd's worker loop, exactly as dplbd launches it. */
__attribute__((noinline)) int bench_lcore_pipe(void *arg);
__attribute__((noinline)) int
bench_lcore_pipe(void *arg)
{
	struct bench *b = arg;

	lcore_enter(b);
	return worker_main(b->w);
}

/* The same, for establishing flows (kept out of callgrind's count). */
static int
bench_lcore_fill(void *arg)
{
	struct bench *b = arg;

	lcore_enter(b);
	return worker_main(b->w);
}

/* ---- measuring ---- */

static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static uint64_t
drops_sum(const struct lcore_stats *st)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < DROP_MAX; i++)
		n += st->drops[i];
	return n;
}

static void
take_snap(const struct bench *b, bool pipe, struct snap *s)
{
	const struct lcore_stats *st = &b->w->stats;

	s->wall = clock_s(CLOCK_MONOTONIC);
	s->cpu = clock_s(b->cpuclock);
	s->made = __atomic_load_n(&b->gen.made, __ATOMIC_RELAXED);
	s->out = pipe ? __atomic_load_n(&st->tx_packets, __ATOMIC_RELAXED) :
			b->base_tx;
	/* syn-cookie: the cookies answered are its "connections" */
	s->conns_new = __atomic_load_n(b->o.sc == SC_COOKIE ? &st->syn_cookies :
				       &st->conns_new, __ATOMIC_RELAXED);
	s->expired = __atomic_load_n(&st->conns_expired, __ATOMIC_RELAXED);
	s->drops = drops_sum(st);
	s->records = __atomic_load_n(&b->w->sync.emitted, __ATOMIC_RELAXED) +
		     __atomic_load_n(&b->w->sync.ring_full, __ATOMIC_RELAXED);
	s->staged = stage_cycles_sum(&s->stages);
}

/* d = s1 - s0 of the stage cycles. */
static void
stages_diff(const struct snap *s0, const struct snap *s1, struct snap *d)
{
	unsigned int i;

	d->staged = s1->staged;
	for (i = 0; i < STAGE_COUNT; i++)
		d->stages.cycles[i] = s1->stages.cycles[i] -
				      s0->stages.cycles[i];
	d->stages.pkts = s1->stages.pkts - s0->stages.pkts;
}

/* The stages build: the round's TSC cycles a packet by stage, the
 * lookup's own work apart from its bucket and entry passes. */
static void
stages_print(const struct snap *d)
{
	const uint64_t *c = d->stages.cycles;
	double n = (double)d->stages.pkts;

	if (!d->staged || d->stages.pkts == 0)
		return;
	fprintf(stderr,
		"bench: stages: TSC cycles a packet: l3 %.1f classify %.1f buckets %.1f entries %.1f finish %.1f total %.1f (%lu packets, TSC %.3f GHz)\n",
		(double)c[STAGE_L3] / n,
		(double)(c[STAGE_LOOKUP] - c[STAGE_BUCKETS] -
			 c[STAGE_ENTRIES]) / n,
		(double)c[STAGE_BUCKETS] / n, (double)c[STAGE_ENTRIES] / n,
		(double)c[STAGE_FINISH] / n,
		(double)(c[STAGE_L3] + c[STAGE_LOOKUP] + c[STAGE_FINISH]) / n,
		d->stages.pkts, (double)rte_get_tsc_hz() / 1e9);
}

/* The main lcore's share while the worker runs: as dplbd's main loop,
 * drain the sync rings (a master) for s seconds; else just sleep. */
static void
main_wait(const struct bench *b, double s)
{
	double end = clock_s(CLOCK_MONOTONIC) + s;

	if (!b->o.sync) {
		sleep_s(s);
		return;
	}
	do {
		if (ha_sync_tick(b->dp) == 0)
			sleep_s(0.0001);
	} while (clock_s(CLOCK_MONOTONIC) < end);
}

/* rte_eal_wait_lcore(), draining the sync rings meanwhile. */
static void
main_join(const struct bench *b)
{
	while (b->o.sync &&
	       rte_eal_get_lcore_state(b->lcore) == RUNNING)
		main_wait(b, 0.001);
	rte_eal_wait_lcore(b->lcore);
}

static void
launch(struct bench *b, lcore_function_t *fn)
{
	b->dp->quit = false;
	__atomic_store_n(&b->running, false, __ATOMIC_RELAXED);
	rte_eal_remote_launch(fn, b, b->lcore);
	while (!__atomic_load_n(&b->running, __ATOMIC_ACQUIRE))
		sleep_s(0.0001);
}

/*
 * Run fn on the worker lcore.  secs > 0: measure secs after warm
 * seconds, then stop it; secs == 0: the generator's budget stops it.
 */
static void
run_phase(struct bench *b, lcore_function_t *fn, bool pipe, double warm,
	  double secs, struct snap *d)
{
	struct snap s0, s1;

	if (secs > 0) {
		launch(b, fn);
		main_wait(b, warm);
		take_snap(b, pipe, &s0);
		main_wait(b, secs);
		take_snap(b, pipe, &s1);
		/* On a busy machine the worker may have had little of the
		 * cpu: wait until it had half of secs, for 20 secs at most. */
		while (s1.cpu - s0.cpu < secs / 2 && s1.wall - s0.wall < 20 * secs) {
			main_wait(b, secs / 10);
			take_snap(b, pipe, &s1);
		}
		b->dp->quit = true;
		main_join(b);
	} else {
		take_snap(b, pipe, &s0);
		launch(b, fn);
		main_join(b);
		take_snap(b, pipe, &s1);
	}
	*d = (struct snap){
		.wall = s1.wall - s0.wall,
		.cpu = s1.cpu - s0.cpu,
		.out = s1.out - s0.out,
		.made = s1.made - s0.made,
		.conns_new = s1.conns_new - s0.conns_new,
		.expired = s1.expired - s0.expired,
		.drops = s1.drops - s0.drops,
		.records = s1.records - s0.records,
	};
	stages_diff(&s0, &s1, d);
}

/* ---- establishing the flows ---- */

/* The connections of worker w's table (IPv6 scenarios: lb6.c's). */
static uint32_t
live_conns(const struct bench *b, const struct dp_worker *w)
{
	return is_v6(b->o.sc) ? conn6_count(lb6_table(w)) : conn_count(w->conns);
}

/* The first packets of every flow through the pipeline: SYN and ACK
 * (TCP) or one datagram (UDP) per flow, so that every flow is
 * established before anything is measured. */
static int
fill(struct bench *b)
{
	struct gen *g = &b->gen;
	uint64_t want = g->proto == IPPROTO_TCP ? 2ull * g->n_flows : g->n_flows;
	const void *cap = NULL;
	struct snap d;

	if (g->replies && (cap = gen_capture_attach(g, b->int_port)) == NULL)
		return -rte_errno;
	gen_phase(g, GEN_FILL, want);
	run_phase(b, bench_lcore_fill, true, 0, 0, &d);
	if (cap != NULL)
		gen_capture_detach(b->int_port, cap);
	if (d.made != want || d.out != want || d.drops != 0 ||
	    d.conns_new != g->n_flows || live_conns(b, b->w) != g->n_flows ||
	    (g->replies && g->captured != g->n_flows) || g->bad != 0) {
		fprintf(stderr,
			"bench: fill: %lu packets made, %lu sent, %lu dropped, %lu connections new, %u in the table, %lu reply tuples learnt (want %lu, %lu, 0, %u, %u, %u)\n",
			d.made, d.out, d.drops, d.conns_new,
			live_conns(b, b->w), g->captured, want, want,
			g->n_flows, g->n_flows, g->replies ? g->n_flows : 0);
		return -EIO;
	}
	return 0;
}

/* --syn-proxy: every established flow becomes a SYN-proxied one (the
 * server's ISN 64 Ki above the cookie), so that its packets pay the
 * sequence translation; the fill itself ran as plain full NAT. */
static int
adopt_one(const struct conn *c, void *arg)
{
	struct bench *b = arg;

	if (lb_synproxy_adopt(b->w, (struct conn *)c, 0x10000, 0) != 0)
		b->gen.bad++;
	return 0;
}

static int
adopt_synproxy(struct bench *b)
{
	uint32_t cursor = 0;

	if (scenarios[b->o.sc].fwd != LB_FWD_FNAT ||
	    scenarios[b->o.sc].proto != IPPROTO_TCP)
		return -EINVAL;
	while (cursor != CONN_ITER_END)
		conn_foreach(b->w->conns, &cursor, 4096, adopt_one, b);
	return b->gen.bad == 0 ? 0 : -EINVAL;
}

/* ---- rounds ---- */

static double
rate(uint64_t n, double s)
{
	return s > 0 ? (double)n / s : 0;
}

/*
 * --packets with new connections (callgrind): the pipeline runs, not
 * counted, until as many connections expire as are made (they live a
 * second), so the measured packets pay for one expiry a connection as
 * in the steady state, however slowly the machine (valgrind) runs them.
 * Without it, how many expired inside the measured packets depended on
 * the machine's load: the figure moved by 150 instructions a packet.
 */
static void
cps_steady(struct bench *b, enum gen_mode mode)
{
	struct snap d;

	gen_phase(&b->gen, mode, UINT64_MAX);
	run_phase(b, bench_lcore_fill, true, 0, 2.0, &d);
}

static void
one_round(struct bench *b, struct round *r)
{
	const struct opts *o = &b->o;
	enum gen_mode mode = o->sc == SC_CPS3 ? GEN_NEW3 :
			     is_cps(o->sc) ? GEN_NEW : GEN_RUN;
	uint64_t budget = o->packets ? o->packets : UINT64_MAX;
	double warm = is_cps(o->sc) ? RTE_MAX(o->warmup, 1.5) : o->warmup;
	struct snap d;

	gen_phase(&b->gen, mode, budget);
	b->gen.checking = false;
	run_phase(b, bench_lcore_base, false, o->warmup,
		  o->packets ? 0 : o->seconds, &d);
	r->base_pps = rate(d.out, d.cpu);
	r->base_pps_wall = rate(d.out, d.wall);
	if (o->packets != 0 && is_cps(o->sc))
		cps_steady(b, mode);
	gen_phase(&b->gen, mode, budget);
	/* the generator checks what goes to the servers, and knows flows
	 * by their sequence numbers: a cookie SYN-ACK goes back to the
	 * client, a SYN-proxied flow's numbers are translated */
	b->gen.checking = o->sc != SC_COOKIE && !o->synproxy;
	run_phase(b, bench_lcore_pipe, true, warm, o->packets ? 0 : o->seconds,
		  &d);
	r->pipe_pps = rate(d.out, d.cpu);
	r->pipe_pps_wall = rate(d.out, d.wall);
	r->cps = rate(d.conns_new, d.cpu);
	r->cps_wall = rate(d.conns_new, d.wall);
	r->records = rate(d.records, d.cpu);
	r->drops = d.drops;
	stages_print(&d);
	if (o->packets != 0)	/* for callgrind.sh */
		fprintf(stderr, "bench: measured: %lu connections new, %lu expired\n",
			d.conns_new, d.expired);
	fprintf(stderr,
		"bench: round: base %.2f Mpps (wall %.2f), dplbd %.2f Mpps (wall %.2f), %.0f conn/s, %lu drops\n",
		r->base_pps / 1e6, r->base_pps_wall / 1e6, r->pipe_pps / 1e6,
		r->pipe_pps_wall / 1e6, r->cps, d.drops);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median of one field of the rounds. */
static double
median(const struct round *r, unsigned int n, size_t off)
{
	double v[MAX_ROUNDS];
	unsigned int i;

	for (i = 0; i < n; i++)
		v[i] = *(const double *)((const char *)&r[i] + off);
	qsort(v, n, sizeof(v[0]), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define MEDIAN(r, n, field) median(r, n, offsetof(struct round, field))

static double
median_ratio(const struct round *r, unsigned int n)
{
	struct round q[MAX_ROUNDS];
	unsigned int i;

	for (i = 0; i < n; i++)
		q[i].base_pps = r[i].base_pps > 0 ? r[i].pipe_pps / r[i].base_pps : 0;
	return MEDIAN(q, n, base_pps);
}

/* ---- output ---- */

static const char csv_header[] =
	"scenario,proto,fwd,sched,dests,conns,capacity,rounds,seconds,"
	"base_mpps,lb_mpps,ratio,base_mpps_wall,lb_mpps_wall,cps,cps_wall,"
	"live_conns,drops,table_bytes,bytes_per_conn,mem_kb,verified,sync,"
	"sync_records,workers";

void
report(const struct bench *b, const struct round *r, unsigned int n)
{
	const struct opts *o = &b->o;
	const struct conn_table *t = b->w->conns;
	uint32_t live = 0, cap = t->capacity;
	size_t bytes = conn_table_memory(t);
	uint64_t drops = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		drops += r[i].drops;
	for (i = 0; i < b->dp->n_workers; i++)
		live += live_conns(b, &b->dp->workers[i]);
	if (is_v6(o->sc)) {	/* the IPv6 table's (bench6.c) */
		cap = lb6_table(b->w)->capacity;
		bytes = b->table6_bytes;
	}
	if (o->header)
		printf("%s\n", csv_header);
	printf("%s%s,%s,%s,%s,%u,%u,%u,%u,%.2f,%.3f,%.3f,%.3f,%.3f,%.3f,%.0f,%.0f,%u,%lu,%zu,%.1f,%lu,%lu,%d,%.0f,%u\n",
	       scenarios[o->sc].name,
	       o->sync ? "+sync" : o->synproxy ? "+synproxy" :
	       o->spread ? "+everywhere" : "",
	       scenarios[o->sc].proto == IPPROTO_TCP ? "tcp" : "udp",
	       fwd_names[scenarios[o->sc].fwd], o->sched, o->dests,
	       o->conns, cap, n,
	       o->packets ? 0 : o->seconds,
	       MEDIAN(r, n, base_pps) / 1e6, MEDIAN(r, n, pipe_pps) / 1e6,
	       median_ratio(r, n), MEDIAN(r, n, base_pps_wall) / 1e6,
	       MEDIAN(r, n, pipe_pps_wall) / 1e6,
	       is_cps(o->sc) || is_install(o->sc) ? MEDIAN(r, n, cps) : 0,
	       is_cps(o->sc) || is_install(o->sc) ? MEDIAN(r, n, cps_wall) : 0,
	       live, drops, bytes, (double)bytes / cap, b->mem_kb,
	       o->verify ? b->gen.checked : 0, o->sync,
	       MEDIAN(r, n, records), o->workers);
	fflush(stdout);
}

/* ---- the scenario's dplbd.conf ---- */

static void
conf_addr(FILE *f, const char *sep, uint32_t a)
{
	fprintf(f, "%s\"%u.%u.%u.%u\"", sep, a >> 24, (a >> 16) & 0xff,
		(a >> 8) & 0xff, a & 0xff);
}

static void
conf_neighs(FILE *f, const struct opts *o)
{
	uint32_t i;

	fprintf(f, "neigh = { static = (\n"
		   "  { ip = \"198.18.0.254\"; mac = \"02:00:00:00:00:fe\"; dev = \"ext\"; }");
	for (i = 0; i < o->dests; i++) {
		fprintf(f, ",\n  { ip = ");
		conf_addr(f, "", BENCH_RS_BASE + i);
		fprintf(f, "; mac = \"02:00:00:00:02:%02x\"; dev = \"int\"; }", i);
	}
	fprintf(f, " ); };\n");
}

/* Local addresses: more for the schedulers that send the bench's
 * connections to one server (BENCH_LIPS_MAX). */
static unsigned int
conf_lips(const struct opts *o)
{
	static const char *const one_server[] = { "dh", "lblc", "lblcr",
						  "sed", "nq", "fo" };
	unsigned int i;

	for (i = 0; i < RTE_DIM(one_server); i++)
		if (strcmp(o->sched, one_server[i]) == 0)
			return BENCH_LIPS_MAX;
	return BENCH_LIPS;
}

/* Do the servers answer (the int port receives)? */
static bool
conf_replies(const struct opts *o)
{
	return scenarios[o->sc].fwd <= LB_FWD_NAT &&
	       (!is_cps(o->sc) || o->sc == SC_CPS3);
}

static void
conf_ports(FILE *f, const struct opts *o)
{
	bool replies = conf_replies(o);
	unsigned int i, lips = conf_lips(o);

	fprintf(f, "ports = (\n"
		   "  { name = \"ext\"; device = \"net_null0\"; mac = \"02:00:00:00:00:01\";\n"
		   "    addresses = [ \"198.18.0.1/24\", \"198.18.0.100\" ]; },\n"
		   "  { name = \"int\"; device = \"net_null1%s\"; mac = \"02:00:00:00:01:01\";\n"
		   "    addresses = [ \"198.18.1.1/24\"",
		replies ? "" : ",no-rx=1");
	for (i = 0; i < lips; i++)
		conf_addr(f, ", ", BENCH_LIP_BASE + i);
	fprintf(f, " ]; }\n);\n"
		   "routes = ( { dst = \"%s\"; via = \"198.18.0.254\"; } );\n"
		   "laddr_groups = ( { name = \"lips\"; addresses = [ ",
		o->spread ? "0.0.0.0/0" : "198.19.0.0/16");
	for (i = 0; i < lips; i++)
		conf_addr(f, i ? ", " : "", BENCH_LIP_BASE + i);
	fprintf(f, " ]; } );\n");
}

static void
conf_service(FILE *f, const struct opts *o)
{
	uint32_t i;

	if (is_snat(o->sc)) {
		fprintf(f, "snat = ( { src = \"198.19.0.0/16\"; oif = \"int\";"
			   " addresses = [ ");
		for (i = 0; i < conf_lips(o); i++)
			conf_addr(f, i ? ", " : "", BENCH_LIP_BASE + i);
		fprintf(f, " ]; } );\n");
		return;
	}
	fprintf(f, "services = ( { proto = \"%s\"; vip = \"198.18.0.100\"; port = %u;\n"
		   "  sched = \"%s\"; laddr_group = \"lips\";%s dests = (",
		scenarios[o->sc].proto == IPPROTO_TCP ? "tcp" : "udp",
		BENCH_VPORT, o->sched,
		o->sc == SC_COOKIE ? " flags = [ \"syn-proxy\" ];" : "");
	for (i = 0; i < o->dests; i++) {
		fprintf(f, "%s\n    { addr = ", i ? "," : "");
		conf_addr(f, "", BENCH_RS_BASE + i);
		/* Unequal weights, so that wrr and wlc have work to do. */
		fprintf(f, "; port = %u; weight = %u; fwd = \"%s\"; }",
			BENCH_VPORT, 1 + i % 4, fwd_names[scenarios[o->sc].fwd]);
	}
	fprintf(f, " ); } );\n");
}

/* CPS: room for the established flows and for about two and a half
 * seconds of new ones, which expire after one.  A connection lives up
 * to about 1.5 s (its second, its wheel slot of 256 ms, the expiry's
 * lag), and the warmup's first second, an empty table, makes them the
 * fastest: 4M filled there at 2.3M a second and dropped SYNs as
 * conn_table_full. */
#define CPS_ROOM 6291456u
/* Under valgrind (--no-huge) a few thousand a second: the room of the
 * earlier runs, so that make bench-callgrind's tables stay as sized
 * before (their load moves the probes' counts) and its setup short. */
#define CPS_ROOM_NO_HUGE 4194304u
/* IPv6: lb6.c's own table (dataplane.max_conns6): room for about two
 * and a half seconds of new IPv6 connections too (1.6M a second here
 * since the IPv6 burst path; 2M filled in the warmup), and under
 * valgrind (--no-huge) a few thousand.
 * The other family's table stays at its minimum (else RSS would count
 * the default IPv6 table, max_conns / 8, as IPv4 bytes per conn). */
#define CPS6_ROOM 4194304u
#define CPS6_ROOM_NO_HUGE 262144u

static uint32_t
capacity6(const struct opts *o)
{
	uint32_t room6 = o->no_huge ? CPS6_ROOM_NO_HUGE : CPS6_ROOM;

	if (!is_v6(o->sc))
		return 1024u;	/* lb6.c's minimum */
	return is_cps(o->sc) ? o->conns + room6 : RTE_MAX(o->conns, 1024u);
}

static uint32_t
capacity(const struct opts *o)
{
	if (is_v6(o->sc))
		return 1024u;
	if (is_cps(o->sc))
		return o->conns + (o->no_huge ? CPS_ROOM_NO_HUGE : CPS_ROOM);
	return RTE_MAX(o->conns, 1024u);
}

/* Without hugepages (valgrind) the memory is fixed: the tables, and for
 * IPv6 its two FIBs (docs/config.md) and its own table. */
static unsigned int
nohuge_mb(const struct opts *o)
{
	uint64_t mb = 256 + ((uint64_t)capacity(o) * 160 >> 20);

	if (is_v6(o->sc))
		mb += 128 + ((uint64_t)capacity6(o) * 400 >> 20);
	return (unsigned int)mb;
}

static char *
conf_text(const struct opts *o)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	/* CPS: SYNs (cps-est: established connections) expire after one
	 * second, so the table is in steady state (as many expiring as
	 * created) after about 1.5 s.  SNAT's flows start OUTPUT first: a
	 * SYN leaves them in SYN_SENT, which lives as long as SYN_RECV.
	 * NONE, a connection's state before its first packet moves it,
	 * lives no longer than SYN_RECV, as with dplbd's defaults (2 s and
	 * 60 s): else every SYN would pay for moving its timer sooner. */
	unsigned int syn_recv = is_cps(o->sc) ? 1 : 900;
	unsigned int est = o->sc == SC_CPS3 ? 1 : 900;

	if (f == NULL)
		return NULL;
	fprintf(f, "global = { log_level = \"warning\"; };\n"
		   "eal = { hugepages = %s; memory_mb = %u; cpus = \"%s\"; };\n"
		   "dataplane = { workers = %u; idle_sleep_max_us = 0; burst = %u;\n"
		   "  mbufs = 16383; max_conns = %u; max_conns6 = %u; };\n"
		   "timeouts = { tcp = { none = %u; syn_recv = %u; syn_sent = %u;\n"
		   "  established = %u; };\n"
		   "  udp = { oneway = 900; normal = 900; }; };\n",
		o->no_huge ? "false" : "true",
		o->no_huge ? nohuge_mb(o) : 0,
		o->cpus, o->workers, o->burst, capacity(o), capacity6(o),
		RTE_MIN(syn_recv, 2u),
		syn_recv, syn_recv, est);
	if (is_v6(o->sc)) {
		conf6(f, o, scenarios[o->sc].family, conf_replies(o));
	} else {
		conf_neighs(f, o);
		conf_ports(f, o);
		conf_service(f, o);
	}
	fclose(f);
	return text;
}

/* ---- set-up ---- */

static uint64_t
status_kb(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	size_t n = strlen(key);
	uint64_t v = 0;

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, n) == 0)
			v = strtoull(line + n, NULL, 10);
	if (f != NULL)
		fclose(f);
	return v;
}

static int
start(struct bench *b)
{
	static struct dplb_config cfg;
	char err[CFG_ERR_LEN];
	char *text = conf_text(&b->o);
	const struct opts *o = &b->o;
	struct snap d;
	int ret;

	if (text == NULL)
		return -ENOMEM;
	ret = config_parse_string(text, "bench.conf", &cfg, err, sizeof(err));
	free(text);
	if (ret != 0) {
		fprintf(stderr, "bench: %s\n", err);
		return ret;
	}
	/* dplbd's own start-up, so that the harness runs exactly the
	 * dataplane dplbd builds. */
	log_set_level(cfg.log_level);
	if (dp_start(&the_dp, &cfg) != 0)
		return -EIO;
	b->dp = &the_dp;
	b->mem_kb = status_kb("VmRSS:") + status_kb("HugetlbPages:");
	b->w = &b->dp->workers[0];
	b->lcore = rte_get_next_lcore(-1, 1, 0);
	b->ext_port = b->dp->ports[0].port_id;
	b->int_port = b->dp->ports[1].port_id;
	ret = gen_init(&b->gen, scenarios[o->sc].proto, scenarios[o->sc].fwd,
		       RTE_MAX(o->conns, 1u), o->dests,
		       &b->dp->ports[0].mac, &b->dp->ports[1].mac);
	b->gen.snat = is_snat(o->sc);
	b->gen.spread = o->spread;
	if (ret == 0 && is_v6(o->sc)) {
		ret = gen6_init(&b->gen, scenarios[o->sc].family);
		b->table6_bytes = table6_bytes(lb6_table(b->w)->capacity);
	}
	if (ret != 0)
		return ret;
	b->gen.quit = &b->dp->quit;
	b->gen.next_new = o->conns;	/* new tuples, never an established one */
	/* --workers: scale.c attaches a generator to each worker's queues */
	ret = o->workers > 1 ? 0 : gen_attach(&b->gen, b->ext_port, b->int_port);
	if (ret != 0)
		return ret;
	launch(b, bench_lcore_hello);
	rte_eal_wait_lcore(b->lcore);
	/* Let the worker send what the main lcore queued at start-up
	 * (gratuitous ARP for each address) before counting anything. */
	gen_phase(&b->gen, GEN_IDLE, 0);
	run_phase(b, bench_lcore_fill, true, 0, 0.01, &d);
	return 0;
}

/* ---- HA sync ---- */

#define SINK_ADDR "127.0.0.2"	/* the peer: loopback, never read */
#define SINK_PORT 8849

/* This bench is a sync master whose peer is a socket that never reads
 * (the kernel drops what its buffer cannot hold): the real send. */
static int
sync_master(struct bench *b)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(SINK_PORT) };
	struct ha_sync_params p = { .mcast_port = SINK_PORT };
	struct ha_sync_status st;
	int one = 1;

	inet_pton(AF_INET, SINK_ADDR, &a.sin_addr);
	b->sink = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (b->sink < 0 ||
	    setsockopt(b->sink, SOL_SOCKET, SO_REUSEADDR, &one,
		       sizeof(one)) != 0 ||
	    bind(b->sink, (struct sockaddr *)&a, sizeof(a)) != 0)
		return -errno;
	p.peer = inet_addr_v4(a.sin_addr.s_addr);
	ha_sync_init(b->dp);
	ha_sync_start(b->dp, HA_SYNC_MASTER, &p);
	ha_sync_status(HA_SYNC_MASTER, &st);
	if (!st.up) {
		fprintf(stderr, "bench: sync master: %s\n", st.error);
		return -EIO;
	}
	return 0;
}

static uint64_t
sync_done(const struct dp_sync_worker *s)
{
	uint64_t n = s->installed + s->updated;
	unsigned int i;

	for (i = 0; i < SYNC_DROP_MAX; i++)
		n += s->drops[i];
	return n;
}

/* Records of --conns established full-NAT connections, as a backup's
 * main lcore hands them to the worker (decoded, owner found). */
static int
install_prepare(struct bench *b)
{
	uint32_t n = b->o.conns, f;

	b->recs = malloc((size_t)n * sizeof(*b->recs));
	if (b->recs == NULL)
		return -ENOMEM;
	for (f = 0; f < n; f++)
		b->recs[f] = (struct lb_sync_rec){
			.caddr = rte_cpu_to_be_32(BENCH_CLIENT_NET | (f & 0xffff)),
			.cport = rte_cpu_to_be_16((uint16_t)(1024 +
							     (f >> 16) % 64512)),
			.vaddr = RTE_BE32(BENCH_VIP),
			.vport = RTE_BE16(BENCH_VPORT),
			.daddr = rte_cpu_to_be_32(BENCH_RS_BASE + f % b->o.dests),
			.dport = RTE_BE16(BENCH_VPORT),
			.laddr = rte_cpu_to_be_32(BENCH_LIP_BASE + f % BENCH_LIPS),
			.lport = rte_cpu_to_be_16((uint16_t)(1024 +
				(f / BENCH_LIPS) % 64512)),
			.proto = IPPROTO_TCP,
			.state = TCP_S_ESTABLISHED,
			.fwd = LB_FWD_FNAT,
			.timeout_s = 900,
		};
	__atomic_store_n(&b->w->sync.work, LB_SYNC_WORK_INSTALL,
			 __ATOMIC_RELEASE);
	return 0;
}

static int
collect(const struct conn *c, void *arg)
{
	struct conn ***p = arg;

	*(*p)++ = (struct conn *)(uintptr_t)c;
	return 0;
}

/* Empty the worker's table (the worker stopped), released as on expiry. */
static void
table_clear(struct bench *b)
{
	static struct conn *page[4096];
	struct conn **end;
	uint32_t cursor = 0;
	unsigned int i, n;

	while (cursor != CONN_ITER_END) {
		end = page;
		n = conn_foreach(b->w->conns, &cursor, RTE_DIM(page), collect,
				 &end);
		for (i = 0; i < n; i++)
			lb_conn_drop(b->w, page[i]);
	}
}

/* Feed every record to the running worker's mailbox; time the worker
 * until it has installed them all. */
static void
install_round(struct bench *b, struct round *r)
{
	struct dp_sync_worker *s = &b->w->sync;
	uint32_t n = b->o.conns, i = 0, k;
	uint64_t all0 = sync_done(s), ok0 = s->installed + s->updated, ok;
	uint64_t added0 = s->installed;
	double c0, w0, c1, w1;

	if (b->o.sc == SC_INSTALL)
		table_clear(b);
	gen_phase(&b->gen, GEN_IDLE, 0);
	launch(b, bench_lcore_pipe);
	c0 = clock_s(b->cpuclock);
	w0 = clock_s(CLOCK_MONOTONIC);
	while (i < n) {
		k = rte_ring_sp_enqueue_burst_elem(s->in, &b->recs[i],
						   sizeof(b->recs[0]),
						   RTE_MIN(512u, n - i), NULL);
		i += k;
		if (k == 0)
			sched_yield();
	}
	while (sync_done(s) - all0 < n)
		sched_yield();
	c1 = clock_s(b->cpuclock);
	w1 = clock_s(CLOCK_MONOTONIC);
	b->dp->quit = true;
	rte_eal_wait_lcore(b->lcore);
	ok = s->installed + s->updated - ok0;
	*r = (struct round){ .cps = rate(n, c1 - c0),
			     .cps_wall = rate(n, w1 - w0), .drops = n - ok };
	fprintf(stderr,
		"bench: round: %u records %s, %.0f/s per CPU second (wall %.0f/s), %lu dropped\n",
		n, s->installed > added0 ? "installed" : "updated", r->cps,
		r->cps_wall, n - ok);
}

/*
 * sync-dump: the time to a full backup.  This process is master and
 * backup at once over loopback (unicast, both roles on one port): the
 * backup asks for a full dump of the --conns established connections,
 * the worker walks its table at dump_rate, the main lcore sends and
 * receives the messages, and the worker installs every record (here an
 * update of the entry it came from).
 */
static void
dump_round(struct bench *b, struct round *r)
{
	struct ha_sync_params p = { .mcast_port = SINK_PORT + 1 };
	struct ha_sync_tunables t;
	struct ha_sync_stats st0, st;
	char msg[128];
	double w0, w1, c0, c1, m0, m1;

	p.peer = inet_addr_v4(RTE_BE32(0x7f000001));
	ha_sync_init(b->dp);
	ha_sync_get_tunables(&t);
	if (b->o.dump_rate != 0)
		t.dump_rate = b->o.dump_rate;
	ha_sync_set_tunables(b->dp, &t, msg, sizeof(msg));
	ha_sync_get_stats(b->dp, &st0);
	gen_phase(&b->gen, GEN_IDLE, 0);
	launch(b, bench_lcore_pipe);
	c0 = clock_s(b->cpuclock);
	m0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
	w0 = clock_s(CLOCK_MONOTONIC);
	ha_sync_start(b->dp, HA_SYNC_MASTER, &p);
	ha_sync_start(b->dp, HA_SYNC_BACKUP, &p);
	do {
		if (ha_sync_tick(b->dp) == 0)
			sleep_s(0.0001);
		ha_sync_get_stats(b->dp, &st);
	} while (!st.dump_complete && clock_s(CLOCK_MONOTONIC) - w0 < 120);
	/* the END follows the last record: the worker installs what its
	 * mailbox still holds */
	while (st.installed + st.updated - st0.installed - st0.updated <
	       st.records_recv - st0.records_recv &&
	       clock_s(CLOCK_MONOTONIC) - w0 < 120) {
		sleep_s(0.0001);
		ha_sync_get_stats(b->dp, &st);
	}
	w1 = clock_s(CLOCK_MONOTONIC);
	c1 = clock_s(b->cpuclock);
	m1 = clock_s(CLOCK_THREAD_CPUTIME_ID);
	ha_sync_shutdown(b->dp);
	b->dp->quit = true;
	rte_eal_wait_lcore(b->lcore);
	*r = (struct round){
		.cps = rate(st.updated + st.installed - st0.updated - st0.installed,
			    w1 - w0),
		.cps_wall = rate(b->o.conns, w1 - w0),
		.drops = b->o.conns -
			 (st.updated + st.installed - st0.updated - st0.installed),
	};
	fprintf(stderr,
		"bench: round: full backup of %u connections in %.3f s (main lcore %.3f CPU s, worker %.3f CPU s): %lu records received, %lu installed or updated, %lu messages, dump_rate %u/s\n",
		b->o.conns, w1 - w0, m1 - m0, c1 - c0,
		st.records_recv - st0.records_recv,
		st.updated + st.installed - st0.updated - st0.installed,
		st.msgs_recv - st0.msgs_recv, t.dump_rate);
}

/* ---- options ---- */

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: dplb-bench [options]\n"
		"  --scenario S   fnat (default), udp (UDP full-NAT), nat, dr, tunnel, cps,\n"
		"                 cps-est (SYN, ACK, ACK per connection), syn-cookie (SYNs\n"
		"                 to a syn-proxy service: cookies answered), sync-install,\n"
		"                 sync-update (--conns records installed by a backup),\n"
		"                 sync-dump (a full dump of --conns over loopback),\n"
		"                 snat, snat-cps (SNAT of the clients' flows to the\n"
		"                 servers, no service: established, new per second),\n"
		"                 fnat6, cps6 (IPv6 clients and servers, full NAT:\n"
		"                 established, new per second), nat64, cps64 (IPv6\n"
		"                 clients, IPv4 servers; bench/bench6.c)\n"
		"  --conns N      established flows (default 1000; cps: 0, beside the new ones)\n"
		"  --dests N      real servers, 1..%u (default 100)\n"
		"  --sched S      rr (default), wrr, lc, wlc, sh, mh, fo, dh, lblc,\n"
		"                 lblcr, sed, nq\n"
		"  --seconds F    measured seconds per round (default 1)\n"
		"  --rounds N     baseline/dplbd round pairs, 1..%u (default 3)\n"
		"  --warmup F     seconds before measuring (default 0.2; cps at least 1.5)\n"
		"  --packets N    fixed-count phases of N packets instead of seconds (callgrind)\n"
		"  --burst N      rx burst (default 32)\n"
		"  --no-huge      DPDK without hugepages (valgrind)\n"
		"  --verify       check every packet dplbd sends; fail on any error\n"
		"  --cpus LIST    cpus for the lcores (default: the affinity)\n"
		"  --sync         a sync master: report connections, send them to a\n"
		"                 unicast peer on loopback (a sink)\n"
		"  --dump-rate N  sync-dump: records/s (default dplbd's)\n"
		"  --syn-proxy    fnat: the established flows as SYN-proxied ones\n"
		"                 (sequence translation on every packet)\n"
		"  --workers N    fnat on N workers (1..%u, default 1), each fed on\n"
		"                 its own queues with the flows it owns; rates\n"
		"                 summed over the workers (bench/scale.c)\n"
		"  --clients-everywhere  clients spread over 1.0.0.0 to\n"
		"                 126.255.255.255 behind a default route, as\n"
		"                 from the whole Internet (default: 198.19.0.0/16)\n"
		"  --header       print the CSV header first\n",
		BENCH_MAX_DESTS, MAX_ROUNDS, BENCH_WORKERS_MAX);
}

static int
parse_scenario(const char *s, enum scenario *sc)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(scenarios); i++)
		if (strcmp(s, scenarios[i].name) == 0) {
			*sc = i;
			return 0;
		}
	return -EINVAL;
}

static int
parse_num(const char *s, double lo, double hi, double *v)
{
	char *end;

	*v = strtod(s, &end);
	return (end == s || *end != '\0' || *v < lo || *v > hi) ? -EINVAL : 0;
}

static int
parse_opt(struct opts *o, int c, const char *arg)
{
	double v = 0;
	int ret = 0;

	switch (c) {
	case 's': return parse_scenario(arg, &o->sc);
	case 'n': ret = parse_num(arg, 0, CONN_MAX_CAPACITY - CPS_ROOM, &v); o->conns = (uint32_t)v; break;
	case 'd': ret = parse_num(arg, 1, BENCH_MAX_DESTS, &v); o->dests = (uint32_t)v; break;
	case 'S': snprintf(o->sched, sizeof(o->sched), "%s", arg); break;
	case 't': ret = parse_num(arg, 0.01, 600, &o->seconds); break;
	case 'w': ret = parse_num(arg, 0, 600, &o->warmup); break;
	case 'r': ret = parse_num(arg, 1, MAX_ROUNDS, &v); o->rounds = (unsigned int)v; break;
	case 'p': ret = parse_num(arg, 1, 1e12, &v); o->packets = (uint64_t)v; break;
	case 'b': ret = parse_num(arg, 1, DP_MAX_BURST, &v); o->burst = (unsigned int)v; break;
	case 'c': snprintf(o->cpus, sizeof(o->cpus), "%s", arg); break;
	case 'H': o->no_huge = true; break;
	case 'E': o->spread = true; break;
	case 'V': o->verify = true; break;
	case 'h': o->header = true; break;
	case 'y': o->sync = true; break;
	case 'P': o->synproxy = true; break;
	case 'D': ret = parse_num(arg, 1000, 1e8, &v); o->dump_rate = (unsigned int)v; break;
	case 'W': ret = parse_num(arg, 1, BENCH_WORKERS_MAX, &v); o->workers = (unsigned int)v; break;
	default: return -EINVAL;
	}
	return ret;
}

static int
parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "scenario", required_argument, NULL, 's' },
		{ "conns", required_argument, NULL, 'n' },
		{ "dests", required_argument, NULL, 'd' },
		{ "sched", required_argument, NULL, 'S' },
		{ "seconds", required_argument, NULL, 't' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "packets", required_argument, NULL, 'p' },
		{ "burst", required_argument, NULL, 'b' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "no-huge", no_argument, NULL, 'H' },
		{ "verify", no_argument, NULL, 'V' },
		{ "header", no_argument, NULL, 'h' },
		{ "sync", no_argument, NULL, 'y' },
		{ "syn-proxy", no_argument, NULL, 'P' },
		{ "dump-rate", required_argument, NULL, 'D' },
		{ "workers", required_argument, NULL, 'W' },
		{ "clients-everywhere", no_argument, NULL, 'E' },
		{ "help", no_argument, NULL, '?' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct opts){ .sc = SC_FNAT, .dests = 100, .sched = "rr",
			    .seconds = 1, .warmup = 0.2, .rounds = 3,
			    .burst = 32, .workers = 1 };
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == '?' || parse_opt(o, c, optarg) != 0) {
			if (c != '?')
				fprintf(stderr, "dplb-bench: bad value '%s' for %s\n",
					optarg, argv[optind - 1]);
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -EINVAL;
	}
	if (o->conns == 0 && !is_cps(o->sc))
		o->conns = 1000;
	if (is_v6(o->sc) && (o->sync || o->synproxy)) {
		fprintf(stderr, "dplb-bench: --sync and --syn-proxy are IPv4's\n");
		return -EINVAL;
	}
	if (o->spread && (is_v6(o->sc) || is_snat(o->sc) || is_install(o->sc) ||
			  o->sync)) {
		fprintf(stderr, "dplb-bench: --clients-everywhere is for the IPv4 services' scenarios, without --sync\n");
		return -EINVAL;
	}
	if (o->workers > 1 && (o->sc != SC_FNAT || o->sync || o->synproxy ||
			       o->packets != 0)) {
		fprintf(stderr, "dplb-bench: --workers is for fnat alone, timed\n");
		return -EINVAL;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct bench *b = &B;
	struct round r[MAX_ROUNDS];
	unsigned int i;
	int ret;

	if (parse_args(argc, argv, &b->o) != 0)
		return 2;
	/* The connection tables' hash keys come from rte_rand(): a fixed
	 * seed gives every run the same buckets, so that callgrind's counts
	 * repeat.  With a random one, how many keys of the full 1,024 table
	 * (fnat --conns 1000) overflowed their bucket moved FNAT between 521
	 * and 553 instructions a packet from run to run. */
	rte_srand(BENCH_SEED);
	ret = start(b);
	if (ret == 0 && b->o.workers > 1)
		return scale_main(b);
	if (ret == 0 && b->o.conns != 0 &&
	    (!is_install(b->o.sc) || b->o.sc == SC_DUMP))
		ret = fill(b);
	if (ret == 0 && b->o.synproxy)
		ret = adopt_synproxy(b);
	if (ret == 0 && b->o.sync)
		ret = sync_master(b);
	if (ret == 0 && is_install(b->o.sc) && b->o.sc != SC_DUMP)
		ret = install_prepare(b);
	if (ret == 0 && b->o.sc == SC_UPDATE)
		install_round(b, &r[0]);	/* the records to update */
	if (ret == 0 && b->o.verify)
		ret = gen_verify_attach(&b->gen, b->ext_port, b->int_port);
	for (i = 0; ret == 0 && i < b->o.rounds; i++) {
		if (b->o.sc == SC_DUMP)
			dump_round(b, &r[i]);
		else if (is_install(b->o.sc))
			install_round(b, &r[i]);
		else
			one_round(b, &r[i]);
	}
	if (ret == 0) {
		report(b, r, b->o.rounds);
		if (b->o.verify)
			fprintf(stderr, "bench: verified %lu packets, %lu wrong%s%s\n",
				b->gen.checked, b->gen.bad,
				b->gen.bad ? ": " : "", b->gen.first_bad);
		for (i = 0; i < b->o.rounds; i++)
			if (r[i].drops != 0 && b->o.verify)
				ret = -EIO;
		if (b->gen.bad != 0 ||
		    (b->o.verify && b->gen.checked == 0 && !is_install(b->o.sc)))
			ret = -EIO;
	} else {
		fprintf(stderr, "bench: %s failed: %s\n",
			scenarios[b->o.sc].name, strerror(-ret));
	}
	if (b->dp != NULL) {
		if (b->o.sync)
			ha_sync_shutdown(b->dp);
		gen_free(&b->gen);
		dp_stop(b->dp);
	}
	free(b->recs);
	return ret == 0 ? 0 : 1;
}
