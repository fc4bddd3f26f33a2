/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * metrics_text: dplbd's state in the Prometheus text format 0.0.4
 * (ops/metrics.h, docs/metrics.md).
 *
 * Every family is written whole (# HELP, # TYPE, then its samples), as
 * the format requires.  A scrape first takes one row per object
 * (service, dest, worker, port) with every value it reports, summing the
 * per-worker counters once, then writes each family from the rows.
 *
 * Label values come from validated sets only (addresses, port numbers,
 * names of [A-Za-z0-9_.-], drop reason names), so none needs escaping.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_ethdev.h>

#include "config/config.h"
#include "core/dp.h"
#include "core/stats.h"
#include "ha/sync.h"
#include "ha/vip.h"
#include "inet.h"
#include "conn/conn.h"
#include "lb/lb_svc.h"
#include "lb/rate_est.h"
#include "ops/metrics.h"
#include "version.h"

#define LABELS_LEN 256

/* ---- the text buffer ---- */

static void __attribute__((format(printf, 2, 3)))
put(struct metrics_text *t, const char *fmt, ...)
{
	size_t room, cap;
	va_list ap;
	char *b;
	int n;

	for (;;) {
		room = t->cap - t->len;

		va_start(ap, fmt);
		n = vsnprintf(t->buf ? t->buf + t->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->oom = 1;
			return;
		}
		if ((size_t)n < room) {
			t->len += (size_t)n;
			return;
		}
		cap = t->cap ? t->cap * 2 : 65536;
		while (cap - t->len <= (size_t)n)
			cap *= 2;
		b = realloc(t->buf, cap);
		if (b == NULL) {
			t->oom = 1;
			return;
		}
		t->buf = b;
		t->cap = cap;
	}
}

static void
family(struct metrics_text *t, const char *name, const char *type,
       const char *help)
{
	put(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One sample; integral values as integers, the others as %g. */
static void
sample(struct metrics_text *t, const char *name, const char *labels,
       double v)
{
	const char *open = labels[0] ? "{" : "", *close = labels[0] ? "}" : "";

	if (v >= 0 && v < 9.2e18 && v == floor(v))
		put(t, "%s%s%s%s %" PRIu64 "\n", name, open, labels, close,
		    (uint64_t)v);
	else
		put(t, "%s%s%s%s %.9g\n", name, open, labels, close, v);
}

/* ---- rows: one per object, every value of its families ---- */

enum field {
	F_CONNS, F_INPKTS, F_OUTPKTS, F_INBYTES, F_OUTBYTES,
	F_CPS, F_INPPS, F_OUTPPS, F_INBPS, F_OUTBPS,
	F_ACTIVE, F_INACTIVE, F_PERSISTENT, F_WEIGHT, F_INHIBITED,
	F_OVERLOADED, F_DESTS, F_PERSIST_S,
	F_RX_PKTS, F_TX_PKTS, F_RX_BYTES, F_TX_BYTES, F_POLLS, F_EMPTY,
	F_IDLE, F_SLEEP_S, F_TABLE, F_TABLE_MAX, F_FILL, F_CREATED,
	F_EXPIRED, F_STEER_IN, F_STEER_OUT,
	F_RX_ERR, F_TX_ERR, F_RX_MISSED, F_RX_NOMBUF, F_LINK,
	F_MAX
};

struct row {
	char labels[LABELS_LEN];
	double v[F_MAX];
};

/* A family of rows: name, type, help, the field, and for in/out pairs
 * the second field (labels direction="in" and "out"). */
struct fam {
	const char *name;
	const char *type;
	const char *help;
	enum field f;
	int out;	/* -1: no direction */
};

#define C "counter"
#define G "gauge"
#define ONE(n, t, h, f) { n, t, h, f, -1 }
#define INOUT(n, t, h, f, o) { n, t, h, f, o }

static const struct fam svc_fams[] = {
	ONE("dplb_service_connections_total", C,
	    "Connections scheduled to the service's dests.", F_CONNS),
	INOUT("dplb_service_packets_total", C, "Packets of the service's "
	      "connections, in = client to server, out = server to client.",
	      F_INPKTS, F_OUTPKTS),
	INOUT("dplb_service_bytes_total", C, "Bytes of the service's "
	      "connections (IP packets), by direction.", F_INBYTES, F_OUTBYTES),
	ONE("dplb_service_connections_per_second", G, "New connections per "
	    "second, averaged as ipvsadm --rate.", F_CPS),
	INOUT("dplb_service_packets_per_second", G, "Packets per second, "
	      "averaged as ipvsadm --rate.", F_INPPS, F_OUTPPS),
	INOUT("dplb_service_bytes_per_second", G, "Bytes per second, "
	      "averaged as ipvsadm --rate.", F_INBPS, F_OUTBPS),
	ONE("dplb_service_dests", G, "Real servers of the service.", F_DESTS),
	ONE("dplb_service_persistence_timeout_seconds", G, "Persistence "
	    "timeout (ipvsadm -p), 0 = off.", F_PERSIST_S),
};

static const struct fam dest_fams[] = {
	ONE("dplb_dest_connections_total", C,
	    "Connections scheduled to the real server.", F_CONNS),
	INOUT("dplb_dest_packets_total", C, "Packets of the real server's "
	      "connections, by direction.", F_INPKTS, F_OUTPKTS),
	INOUT("dplb_dest_bytes_total", C, "Bytes of the real server's "
	      "connections, by direction.", F_INBYTES, F_OUTBYTES),
	ONE("dplb_dest_connections_per_second", G, "New connections per "
	    "second, averaged as ipvsadm --rate.", F_CPS),
	INOUT("dplb_dest_packets_per_second", G, "Packets per second, "
	      "averaged as ipvsadm --rate.", F_INPPS, F_OUTPPS),
	INOUT("dplb_dest_bytes_per_second", G, "Bytes per second, "
	      "averaged as ipvsadm --rate.", F_INBPS, F_OUTBPS),
	ONE("dplb_dest_active_connections", G, "Established TCP connections "
	    "(ipvsadm ActiveConn).", F_ACTIVE),
	ONE("dplb_dest_inactive_connections", G, "Connections in every other "
	    "state (ipvsadm InActConn).", F_INACTIVE),
	ONE("dplb_dest_persistent_connections", G, "Persistence templates "
	    "naming the real server (ipvsadm PersistConn).", F_PERSISTENT),
	ONE("dplb_dest_weight", G, "Scheduling weight; keepalived sets 0 for a "
	    "server failing its health check with inhibit_on_failure.",
	    F_WEIGHT),
	ONE("dplb_dest_inhibited", G, "1 while the weight is 0 (health check "
	    "failed with inhibit_on_failure, or quiesced): no new "
	    "connections.", F_INHIBITED),
	ONE("dplb_dest_overloaded", G, "1 while the upper connection "
	    "threshold holds new connections off.", F_OVERLOADED),
};

static const struct fam worker_fams[] = {
	ONE("dplb_worker_rx_packets_total", C, "Packets received from the "
	    "worker's rx queues.", F_RX_PKTS),
	ONE("dplb_worker_tx_packets_total", C, "Packets sent.", F_TX_PKTS),
	ONE("dplb_worker_rx_bytes_total", C, "Bytes received.", F_RX_BYTES),
	ONE("dplb_worker_tx_bytes_total", C, "Bytes sent.", F_TX_BYTES),
	ONE("dplb_worker_polls_total", C, "Turns of the worker loop.",
	    F_POLLS),
	ONE("dplb_worker_empty_polls_total", C, "Turns of the worker loop "
	    "that found nothing to do.", F_EMPTY),
	ONE("dplb_worker_idle_ratio", G, "Share of the loop's turns that "
	    "found nothing to do over the last 2 s (1 = idle).", F_IDLE),
	ONE("dplb_worker_sleep_seconds_total", C, "Time the idle worker "
	    "slept (dataplane.idle_sleep_max_us).", F_SLEEP_S),
	ONE("dplb_worker_connections", G, "Entries of the worker's "
	    "connection table (connections and persistence templates).",
	    F_TABLE),
	ONE("dplb_worker_connections_max", G, "Capacity of the worker's "
	    "connection table (dataplane.max_conns).", F_TABLE_MAX),
	ONE("dplb_worker_connection_table_fill_ratio", G, "Entries over "
	    "capacity of the worker's connection table.", F_FILL),
	ONE("dplb_worker_connections_created_total", C,
	    "Connections the worker scheduled.", F_CREATED),
	ONE("dplb_worker_connections_expired_total", C,
	    "Connections that expired or were flushed.", F_EXPIRED),
	INOUT("dplb_worker_steered_packets_total", C, "Packets handed to the "
	      "worker owning their flow (out) or received so (in).",
	      F_STEER_IN, F_STEER_OUT),
};

static const struct fam port_fams[] = {
	ONE("dplb_port_rx_packets_total", C, "Packets received (rte_eth_stats "
	    "ipackets).", F_RX_PKTS),
	ONE("dplb_port_tx_packets_total", C, "Packets sent (opackets).",
	    F_TX_PKTS),
	ONE("dplb_port_rx_bytes_total", C, "Bytes received (ibytes).",
	    F_RX_BYTES),
	ONE("dplb_port_tx_bytes_total", C, "Bytes sent (obytes).", F_TX_BYTES),
	ONE("dplb_port_rx_errors_total", C, "Erroneous packets received "
	    "(ierrors).", F_RX_ERR),
	ONE("dplb_port_tx_errors_total", C, "Failed transmissions (oerrors).",
	    F_TX_ERR),
	ONE("dplb_port_rx_missed_total", C, "Packets the device dropped, its "
	    "rx queues full (imissed).", F_RX_MISSED),
	ONE("dplb_port_rx_nombuf_total", C, "Receptions that failed for want "
	    "of packet buffers (rx_nombuf).", F_RX_NOMBUF),
	ONE("dplb_port_link_up", G, "1 while the port's link is up.", F_LINK),
};

#undef C
#undef G

static void
write_fams(struct metrics_text *t, const struct fam *fams, size_t n_fams,
	   const struct row *rows, size_t n_rows)
{
	size_t i, r;

	for (i = 0; i < n_fams; i++) {
		const struct fam *f = &fams[i];
		char l[LABELS_LEN + 32];

		if (n_rows == 0)
			continue;
		family(t, f->name, f->type, f->help);
		for (r = 0; r < n_rows; r++) {
			if (f->out < 0) {
				sample(t, f->name, rows[r].labels,
				       rows[r].v[f->f]);
				continue;
			}
			snprintf(l, sizeof(l), "%s,direction=\"in\"",
				 rows[r].labels);
			sample(t, f->name, l, rows[r].v[f->f]);
			snprintf(l, sizeof(l), "%s,direction=\"out\"",
				 rows[r].labels);
			sample(t, f->name, l, rows[r].v[f->out]);
		}
	}
}

/* ---- services and dests ---- */

static void
lb_values(struct row *r, const struct lb_stats *st, const struct rate_est *e)
{
	static const enum field rate_field[RATE_EST_MAX] = {
		F_CPS, F_INPPS, F_OUTPPS, F_INBPS, F_OUTBPS,
	};
	unsigned int i;

	r->v[F_CONNS] = (double)st->conns;
	r->v[F_INPKTS] = (double)st->inpkts;
	r->v[F_OUTPKTS] = (double)st->outpkts;
	r->v[F_INBYTES] = (double)st->inbytes;
	r->v[F_OUTBYTES] = (double)st->outbytes;
	for (i = 0; i < RATE_EST_MAX; i++)
		r->v[rate_field[i]] = (double)rate_est_get(e, i);
}

static int
svc_labels(const struct lb_svc *s, char *buf, size_t len)
{
	char a[INET_ADDR_STRLEN];

	return snprintf(buf, len, "vip=\"%s\",port=\"%u\",proto=\"%s\"",
			inet_addr_fmt(&s->key.vip, a, sizeof(a)), s->key.port,
			lb_proto_name(s->key.proto));
}

static void
dest_row(const struct lb_store *st, const struct lb_dest *d, struct row *r)
{
	char a[INET_ADDR_STRLEN];
	uint32_t active, inactive;
	struct lb_stats sum;
	int n = svc_labels(d->svc, r->labels, sizeof(r->labels));

	snprintf(r->labels + n, sizeof(r->labels) - (size_t)n,
		 ",dest=\"%s:%u\",fwd=\"%s\"",
		 inet_addr_fmt(&d->conf.addr, a, sizeof(a)), d->conf.port,
		 lb_fwd_name(d->conf.fwd));
	lb_dest_stats(st, d, &sum);
	lb_values(r, &sum, &d->est);
	lb_dest_conns(d, &active, &inactive);
	r->v[F_ACTIVE] = active;
	r->v[F_INACTIVE] = inactive;
	r->v[F_PERSISTENT] = __atomic_load_n(&d->load.persistent,
					     __ATOMIC_RELAXED);
	r->v[F_WEIGHT] = d->conf.weight;
	r->v[F_INHIBITED] = d->conf.weight == 0;
	r->v[F_OVERLOADED] = __atomic_load_n(&d->load.overloaded,
					     __ATOMIC_RELAXED) != 0;
}

static void
write_lb(struct metrics_text *t, const struct lb_store *st)
{
	struct row *svcs, *dests;
	const struct lb_svc *s;
	const struct lb_dest *d;
	size_t ns = 0, nd = 0, max_d = 0;
	struct lb_stats sum;

	TAILQ_FOREACH(s, &st->svcs, next)
		max_d += s->n_dests;
	svcs = calloc(st->n_svcs + 1, sizeof(*svcs));
	dests = calloc(max_d + 1, sizeof(*dests));
	if (svcs == NULL || dests == NULL) {
		t->oom = 1;
		goto out;
	}
	TAILQ_FOREACH(s, &st->svcs, next) {
		struct row *r = &svcs[ns++];

		svc_labels(s, r->labels, sizeof(r->labels));
		lb_svc_stats(st, s, &sum);
		lb_values(r, &sum, &s->est);
		r->v[F_DESTS] = s->n_dests;
		r->v[F_PERSIST_S] = s->conf.persistent;
		TAILQ_FOREACH(d, &s->dests, next)
			if (nd < max_d)
				dest_row(st, d, &dests[nd++]);
	}
	family(t, "dplb_services", "gauge", "Virtual services.");
	sample(t, "dplb_services", "", (double)ns);
	write_fams(t, svc_fams, RTE_DIM(svc_fams), svcs, ns);
	write_fams(t, dest_fams, RTE_DIM(dest_fams), dests, nd);
out:
	free(svcs);
	free(dests);
}

/* ---- workers ---- */

/* The idle ratio over the last interval: polls and empty polls then. */
static struct {
	uint64_t polls, empty;
	double idle;
} idle[DP_MAX_WORKERS];

void
metrics_sample(const struct dp_ctx *dp, uint64_t now_ms)
{
	unsigned int i;

	(void)now_ms;
	for (i = 0; i < dp->n_workers && i < DP_MAX_WORKERS; i++) {
		const struct lcore_stats *s = &dp->workers[i].stats;
		uint64_t p = __atomic_load_n(&s->polls, __ATOMIC_RELAXED);
		uint64_t e = __atomic_load_n(&s->empty_polls, __ATOMIC_RELAXED);

		if (p > idle[i].polls)
			idle[i].idle = (double)(e - idle[i].empty) /
				       (double)(p - idle[i].polls);
		idle[i].polls = p;
		idle[i].empty = e;
	}
}

static void
worker_row(const struct dp_ctx *dp, const struct dp_worker *w, struct row *r)
{
	const struct lcore_stats *s = &w->stats;
	double max = dp->cfg->max_conns;

	snprintf(r->labels, sizeof(r->labels), "worker=\"%u\"", w->id);
	r->v[F_RX_PKTS] = (double)s->rx_packets;
	r->v[F_TX_PKTS] = (double)s->tx_packets;
	r->v[F_RX_BYTES] = (double)s->rx_bytes;
	r->v[F_TX_BYTES] = (double)s->tx_bytes;
	r->v[F_POLLS] = (double)s->polls;
	r->v[F_EMPTY] = (double)s->empty_polls;
	r->v[F_IDLE] = w->id < DP_MAX_WORKERS ? idle[w->id].idle : 0;
	r->v[F_SLEEP_S] = (double)s->sleep_us / 1e6;
	r->v[F_TABLE] = w->conns != NULL ? conn_count(w->conns) : 0;
	r->v[F_TABLE_MAX] = max;
	r->v[F_FILL] = max > 0 ? r->v[F_TABLE] / max : 0;
	r->v[F_CREATED] = (double)s->conns_new;
	r->v[F_EXPIRED] = (double)s->conns_expired;
	r->v[F_STEER_IN] = (double)s->steered_in;
	r->v[F_STEER_OUT] = (double)s->steered_out;
}

static void
write_workers(struct metrics_text *t, const struct dp_ctx *dp)
{
	struct row *rows = calloc(dp->n_workers + 1, sizeof(*rows));
	unsigned int i;

	if (rows == NULL) {
		t->oom = 1;
		return;
	}
	for (i = 0; i < dp->n_workers; i++)
		worker_row(dp, &dp->workers[i], &rows[i]);
	write_fams(t, worker_fams, RTE_DIM(worker_fams), rows, dp->n_workers);
	free(rows);
}

/* ---- ports, drops ---- */

static void
write_ports(struct metrics_text *t, const struct dp_ctx *dp)
{
	struct row rows[DP_MAX_PORTS];
	unsigned int i;

	memset(rows, 0, sizeof(rows));
	for (i = 0; i < dp->n_ports; i++) {
		const struct dp_port *p = &dp->ports[i];
		struct rte_eth_stats es = { 0 };
		struct rte_eth_link link = { 0 };
		struct row *r = &rows[i];

		rte_eth_stats_get(p->port_id, &es);
		rte_eth_link_get_nowait(p->port_id, &link);
		snprintf(r->labels, sizeof(r->labels), "port=\"%s\"", p->name);
		r->v[F_RX_PKTS] = (double)es.ipackets;
		r->v[F_TX_PKTS] = (double)es.opackets;
		r->v[F_RX_BYTES] = (double)es.ibytes;
		r->v[F_TX_BYTES] = (double)es.obytes;
		r->v[F_RX_ERR] = (double)es.ierrors;
		r->v[F_TX_ERR] = (double)es.oerrors;
		r->v[F_RX_MISSED] = (double)es.imissed;
		r->v[F_RX_NOMBUF] = (double)es.rx_nombuf;
		r->v[F_LINK] = link.link_status == RTE_ETH_LINK_UP;
	}
	write_fams(t, port_fams, RTE_DIM(port_fams), rows, dp->n_ports);
}

static void
write_drops(struct metrics_text *t, const struct dp_ctx *dp)
{
	char l[64];
	unsigned int r, i;

	family(t, "dplb_drops_total", "counter",
	       "Packets dropped, by reason (dplbctl drop show).");
	for (r = 0; r < DROP_MAX; r++) {
		uint64_t n = dp->main_stats.drops[r];

		for (i = 0; i < dp->n_workers; i++)
			n += dp->workers[i].stats.drops[r];
		snprintf(l, sizeof(l), "reason=\"%s\"", drop_reason_name(r));
		sample(t, "dplb_drops_total", l, (double)n);
	}
}

/* ---- HA: VIPs and sync roles ---- */

static void
write_ha(struct metrics_text *t, const struct dp_ctx *dp)
{
	char l[LABELS_LEN], a[INET_ADDR_STRLEN];
	const struct ha_vip *v = NULL;
	unsigned int n = 0, i;
	uint64_t since;
	int role;

	v = ha_vips(&n);
	family(t, "dplb_vips", "gauge", "VIPs this node holds (vip.list).");
	sample(t, "dplb_vips", "", n);
	if (n > 0)
		family(t, "dplb_vip_owned", "gauge", "1 for each VIP this node "
		       "holds, on its port; leased = held for keepalived's "
		       "VRRP.");
	for (i = 0; i < n; i++) {
		snprintf(l, sizeof(l), "vip=\"%s\",port=\"%s\",leased=\"%s\"",
			 inet_addr_fmt(&v[i].addr, a, sizeof(a)),
			 v[i].port < dp->n_ports ? dp->ports[v[i].port].name :
						   "?",
			 v[i].leased ? "true" : "false");
		sample(t, "dplb_vip_owned", l, 1);
	}
	family(t, "dplb_sync_running", "gauge", "1 while the connection-sync "
	       "daemon runs in this role (keepalived's lvs_sync_daemon).");
	for (role = 0; role < HA_SYNC_ROLES; role++) {
		snprintf(l, sizeof(l), "role=\"%s\"", ha_sync_role_name(role));
		sample(t, "dplb_sync_running", l,
		       ha_sync_get(role, &since) != NULL);
	}
}

/* ---- the whole ---- */

static void
write_process(struct metrics_text *t, const struct dp_ctx *dp)
{
	char l[128];
	struct timespec now;
	double start;

	clock_gettime(CLOCK_REALTIME, &now);
	start = (double)now.tv_sec -
		(double)(dp_now_ms() - dp->start_ms) / 1000.0;
	snprintf(l, sizeof(l), "version=\"%s\",boot_id=\"%s\"", DPLB_VERSION,
		 dp->boot_id);
	family(t, "dplb_info", "gauge", "dplbd's version and boot id (hello).");
	sample(t, "dplb_info", l, 1);
	family(t, "dplb_start_time_seconds", "gauge",
	       "When dplbd started, in seconds since the epoch.");
	sample(t, "dplb_start_time_seconds", "", floor(start));
	family(t, "dplb_workers", "gauge", "Worker lcores.");
	sample(t, "dplb_workers", "", dp->n_workers);
}

void
metrics_render(const struct dp_ctx *dp, struct metrics_text *t)
{
	write_process(t, dp);
	if (dp->lb != NULL)
		write_lb(t, dp->lb);
	write_workers(t, dp);
	write_ports(t, dp);
	write_drops(t, dp);
	write_ha(t, dp);
}
