/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lb_dest: real servers (dests) of a service, laddr groups, and the
 * counters and rates of services, dests and workers (lb_svc.h).  Same pattern as lb_svc.c:
 * validate, change the store, lb_publish(), undo on failure.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "config/config.h"
#include "core/dp.h"
#include "lb/lb.h"
#include "lb/lb_snat.h"
#include "lb/lb_svc.h"
#include "log.h"
#include "net/flow.h"
#include "lb_svc_priv.h"

/* ---- dests ------------------------------------------------------------ */

struct lb_dest *
lb_dest_find(const struct lb_svc *s, const struct inet_addr *addr,
	     uint16_t port)
{
	struct lb_dest *d;

	if (port == 0)
		port = s->key.port;
	TAILQ_FOREACH(d, &s->dests, next)
		if (d->conf.port == port && inet_addr_equal(&d->conf.addr, addr))
			return d;
	return NULL;
}

/* A deleted dest of s that connections still hold: revived on re-add. */
static struct lb_dest *
trash_find(const struct lb_store *st, const struct lb_svc *s,
	   const struct lb_dest_conf *dc)
{
	struct lb_dest *d;

	TAILQ_FOREACH(d, &st->trash, next)
		if (d->svc == s && d->conf.port == dc->port &&
		    inet_addr_equal(&d->conf.addr, &dc->addr))
			return d;
	return NULL;
}

/* The service of a dest verb with d's port resolved into *dc. */
static int
dest_prepare(struct lb_store *st, const struct lb_svc_key *k,
	     const struct lb_dest_conf *d, struct lb_svc **s,
	     struct lb_dest_conf *dc, char *msg, size_t len)
{
	char name[KEY_STRLEN];

	*s = lb_svc_find(st, k);
	if (*s == NULL)
		return lb_fail(msg, len, ENOENT, "no service %s",
			    lb_key_fmt(k, name, sizeof(name)));
	*dc = *d;
	if (dc->port == 0)
		dc->port = k->port;
	return lb_dest_conf_check(k, &(*s)->conf, dc, msg, len);
}

int
lb_dest_add(struct lb_store *st, const struct lb_svc_key *k,
	    const struct lb_dest_conf *d, char *msg, size_t len)
{
	char name[KEY_STRLEN], a[INET_ADDR_STRLEN];
	struct lb_dest_conf dc;
	struct lb_dest *nd;
	struct lb_svc *s;
	bool revived;
	int rc;

	if ((rc = dest_prepare(st, k, d, &s, &dc, msg, len)) != 0)
		return rc;
	if (lb_dest_find(s, &dc.addr, dc.port) != NULL)
		return lb_fail(msg, len, EEXIST, "dest %s:%u of service %s "
			    "exists already",
			    lb_host_fmt(&dc.addr, a, sizeof(a)), dc.port,
			    lb_key_fmt(k, name, sizeof(name)));
	if (s->n_dests >= LB_MAX_DESTS_PER_SVC)
		return lb_fail(msg, len, ENOSPC, "at most %u dests per service",
			    LB_MAX_DESTS_PER_SVC);
	nd = trash_find(st, s, &dc);
	revived = nd != NULL;
	if (revived) {
		TAILQ_REMOVE(&st->trash, nd, next);
		nd->trashed = false;
	} else {
		nd = lb_dest_alloc(st);
		if (nd == NULL)
			return lb_fail(msg, len, ENOMEM, "out of memory");
		nd->svc = s;
		nd->id = s->next_dest_id++;
		s->refs++;
	}
	nd->conf = dc;
	TAILQ_INSERT_TAIL(&s->dests, nd, next);
	s->n_dests++;
	s->dirty = true;
	rc = lb_publish(st);
	if (rc < 0) {
		TAILQ_REMOVE(&s->dests, nd, next);
		s->n_dests--;
		if (revived) {
			nd->trashed = true;
			TAILQ_INSERT_TAIL(&st->trash, nd, next);
		} else {
			lb_dest_free(nd);
			s->refs--;
		}
		return lb_fail(msg, len, -rc, "dest %s:%u: %s",
			    lb_host_fmt(&dc.addr, a, sizeof(a)), dc.port,
			    strerror(-rc));
	}
	return 0;
}

int
lb_dest_edit(struct lb_store *st, const struct lb_svc_key *k,
	     const struct lb_dest_conf *d, char *msg, size_t len)
{
	char name[KEY_STRLEN], a[INET_ADDR_STRLEN];
	struct lb_dest_conf dc, old;
	struct lb_dest *ed;
	struct lb_svc *s;
	int rc;

	if ((rc = dest_prepare(st, k, d, &s, &dc, msg, len)) != 0) {
		/* a missing dest is ENOENT even when the new values are bad */
		if (s == NULL || lb_dest_find(s, &d->addr, d->port) != NULL)
			return rc;
	}
	ed = lb_dest_find(s, &dc.addr, dc.port);
	if (ed == NULL)
		return lb_fail(msg, len, ENOENT, "no dest %s:%u in service %s",
			    lb_host_fmt(&dc.addr, a, sizeof(a)), dc.port,
			    lb_key_fmt(k, name, sizeof(name)));
	old = ed->conf;
	ed->conf = dc;
	s->dirty = true;
	rc = lb_publish(st);
	if (rc < 0) {
		ed->conf = old;
		return lb_fail(msg, len, -rc, "dest %s:%u: %s",
			    lb_host_fmt(&dc.addr, a, sizeof(a)), dc.port,
			    strerror(-rc));
	}
	return 0;
}

int
lb_dest_del(struct lb_store *st, const struct lb_svc_key *k,
	    const struct inet_addr *addr, uint16_t port, char *msg,
	    size_t len)
{
	char name[KEY_STRLEN], a[INET_ADDR_STRLEN];
	struct lb_dest *d, *after;
	struct lb_svc *s;
	int rc;

	s = lb_svc_find(st, k);
	if (s == NULL)
		return lb_fail(msg, len, ENOENT, "no service %s",
			    lb_key_fmt(k, name, sizeof(name)));
	d = lb_dest_find(s, addr, port);
	if (d == NULL)
		return lb_fail(msg, len, ENOENT, "no dest %s:%u in service %s",
			    lb_host_fmt(addr, a, sizeof(a)),
			    port ? port : k->port,
			    lb_key_fmt(k, name, sizeof(name)));
	after = TAILQ_NEXT(d, next);
	TAILQ_REMOVE(&s->dests, d, next);
	s->n_dests--;
	s->dirty = true;
	rc = lb_publish(st);
	if (rc < 0) {
		if (after != NULL)
			TAILQ_INSERT_BEFORE(after, d, next);
		else
			TAILQ_INSERT_TAIL(&s->dests, d, next);
		s->n_dests++;
		return lb_fail(msg, len, -rc, "dest %s:%u: %s",
			    lb_host_fmt(addr, a, sizeof(a)), d->conf.port,
			    strerror(-rc));
	}
	/* No snapshot reaches it now; connections may still hold it. */
	d->trashed = true;
	TAILQ_INSERT_TAIL(&st->trash, d, next);
	lb_store_gc(st);
	return 0;
}

/* ---- laddr groups ----------------------------------------------------- */

static struct lb_laddr_group *
addr_group(const struct lb_store *st, const struct inet_addr *a, int *idx)
{
	struct lb_laddr_group *g;
	unsigned int i;

	TAILQ_FOREACH(g, &st->groups, next)
		for (i = 0; i < g->n_addrs; i++)
			if (inet_addr_equal(&g->addrs[i], a)) {
				*idx = (int)i;
				return g;
			}
	return NULL;
}

int
lb_laddr_add(struct lb_store *st, const char *name,
	     const struct inet_addr *addr, char *msg, size_t len)
{
	struct lb_laddr_group *g, *owner;
	char a[INET_ADDR_STRLEN];
	bool created = false;
	int rc, idx;

	if (name == NULL || !lb_name_valid(name))
		return lb_fail(msg, len, EINVAL, "group: invalid name: use 1 to "
			    "%d characters of A-Z a-z 0-9 _ . -",
			    LB_NAME_LEN - 1);
	g = lb_laddr_find(st, name);
	if (addr == NULL && g != NULL)
		return lb_fail(msg, len, EEXIST, "laddr group '%s' exists already",
			    name);
	if (addr != NULL) {
		if ((rc = lb_check_addr(addr, "addr", msg, len)) != 0)
			return rc;
		inet_addr_fmt(addr, a, sizeof(a));
		owner = addr_group(st, addr, &idx);
		if (owner != NULL)
			return lb_fail(msg, len, EEXIST, "%s is in laddr group "
				    "'%s' already", a, owner->name);
		if (g != NULL && g->n_addrs >= LB_LADDR_MAX_ADDRS)
			return lb_fail(msg, len, ENOSPC, "at most %d addresses per "
				    "laddr group", LB_LADDR_MAX_ADDRS);
	}
	if (g == NULL) {
		g = rte_zmalloc("lb_laddr_group", sizeof(*g), 0);
		if (g != NULL)
			g->pcpu = rte_zmalloc("lb_laddr_pcpu",
					      sizeof(*g->pcpu) * st->n_workers,
					      RTE_CACHE_LINE_SIZE);
		if (g == NULL || g->pcpu == NULL) {
			if (g != NULL)
				lb_group_free(g);
			return lb_fail(msg, len, ENOMEM, "out of memory");
		}
		snprintf(g->name, sizeof(g->name), "%s", name);
		TAILQ_INSERT_TAIL(&st->groups, g, next);
		created = true;
	}
	if (addr != NULL)
		g->addrs[g->n_addrs++] = *addr;
	g->dirty = true;
	rc = lb_publish(st);
	if (rc < 0) {
		if (addr != NULL)
			g->n_addrs--;
		if (created) {
			TAILQ_REMOVE(&st->groups, g, next);
			lb_group_free(g);
		}
		return lb_fail(msg, len, -rc, "laddr group '%s': %s", name,
			    strerror(-rc));
	}
	return 0;
}

int
lb_laddr_del(struct lb_store *st, const char *name,
	     const struct inet_addr *addr, char *msg, size_t len)
{
	struct lb_laddr_group *g, *owner;
	char a[INET_ADDR_STRLEN];
	int rc, idx = -1;

	g = name != NULL ? lb_laddr_find(st, name) : NULL;
	if (g == NULL)
		return lb_fail(msg, len, ENOENT, "no laddr group '%s'",
			    name ? name : "");
	if (addr == NULL) {
		if (g->users > 0)
			return lb_fail(msg, len, EBUSY, "laddr group '%s' is used "
				    "by %u service(s)", name, g->users);
		/* No published service snapshot points to it. */
		TAILQ_REMOVE(&st->groups, g, next);
		lb_group_free(g);
		return 0;
	}
	owner = addr_group(st, addr, &idx);
	if (owner != g)
		return lb_fail(msg, len, ENOENT, "%s is not in laddr group '%s'",
			    inet_addr_fmt(addr, a, sizeof(a)), name);
	memmove(&g->addrs[idx], &g->addrs[idx + 1],
		sizeof(g->addrs[0]) * (g->n_addrs - (unsigned int)idx - 1));
	g->n_addrs--;
	g->dirty = true;
	rc = lb_publish(st);
	if (rc < 0) {
		memmove(&g->addrs[idx + 1], &g->addrs[idx],
			sizeof(g->addrs[0]) * (g->n_addrs - (unsigned int)idx));
		g->addrs[idx] = *addr;
		g->n_addrs++;
		return lb_fail(msg, len, -rc, "laddr group '%s': %s", name,
			    strerror(-rc));
	}
	return 0;
}

/* The IPv4 local addresses of every laddr group; *n of them (malloc). */
static rte_be32_t *
wanted_addrs(const struct lb_store *st, unsigned int *n)
{
	const struct lb_laddr_group *g;
	unsigned int total = 0, i;
	rte_be32_t *a;

	TAILQ_FOREACH(g, &st->groups, next)
		total += g->n_addrs;
	total += lb_snat_n_addrs(st->snat);	/* SNAT pools steer alike */
	a = malloc((total ? total : 1) * sizeof(*a));
	*n = 0;
	if (a == NULL)
		return NULL;
	TAILQ_FOREACH(g, &st->groups, next)
		for (i = 0; i < g->n_addrs; i++)
			if (g->addrs[i].family == AF_INET)
				a[(*n)++] = g->addrs[i].v4.s_addr;
	*n += lb_snat_addrs(st->snat, a + *n, total - *n);
	return a;
}

void
lb_flow_sync(struct dp_ctx *dp)
{
	unsigned int n;
	rte_be32_t *addrs;

	if (dp->lb == NULL)
		return;
	addrs = wanted_addrs(dp->lb, &n);
	if (addrs == NULL) {
		/* Software steering stays in the packet path: stale rules
		 * only cost a detour. */
		LOG_ERR("rte_flow rules not updated: out of memory");
		return;
	}
	flow_sync(dp, addrs, n);
	free(addrs);
}

/* ---- counters --------------------------------------------------------- */

static void
stats_add(struct lb_stats *sum, const struct lb_stats *s)
{
	/* Workers write their block with plain stores; a relaxed atomic
	 * load reads each 64-bit counter whole. */
	sum->conns += __atomic_load_n(&s->conns, __ATOMIC_RELAXED);
	sum->inpkts += __atomic_load_n(&s->inpkts, __ATOMIC_RELAXED);
	sum->outpkts += __atomic_load_n(&s->outpkts, __ATOMIC_RELAXED);
	sum->inbytes += __atomic_load_n(&s->inbytes, __ATOMIC_RELAXED);
	sum->outbytes += __atomic_load_n(&s->outbytes, __ATOMIC_RELAXED);
}

static void
stats_sub(struct lb_stats *s, const struct lb_stats *base)
{
	s->conns -= RTE_MIN(s->conns, base->conns);
	s->inpkts -= RTE_MIN(s->inpkts, base->inpkts);
	s->outpkts -= RTE_MIN(s->outpkts, base->outpkts);
	s->inbytes -= RTE_MIN(s->inbytes, base->inbytes);
	s->outbytes -= RTE_MIN(s->outbytes, base->outbytes);
}

/* Adds d's counters, every worker's, to o. */
static void
dest_add(const struct lb_store *st, const struct lb_dest *d,
	 struct lb_stats *o)
{
	unsigned int w;

	for (w = 0; w < st->n_workers; w++)
		stats_add(o, &d->pcpu[w].st);
}

static void
dest_raw(const struct lb_store *st, const struct lb_dest *d,
	 struct lb_stats *o)
{
	memset(o, 0, sizeof(*o));
	dest_add(st, d, o);
}

/* A service's raw sums: its dests', live, trashed (connections still
 * count there) and freed (s->gone).  The packet path counts each packet
 * once, on its dest. */
static void
svc_raw(const struct lb_store *st, const struct lb_svc *s, struct lb_stats *o)
{
	const struct lb_dest *d;

	*o = s->gone;
	TAILQ_FOREACH(d, &s->dests, next)
		dest_add(st, d, o);
	TAILQ_FOREACH(d, &st->trash, next)
		if (d->svc == s)
			dest_add(st, d, o);
}

void
lb_dest_fold_gone(const struct lb_store *st, const struct lb_dest *d)
{
	dest_add(st, d, &d->svc->gone);
}

void
lb_svc_stats(const struct lb_store *st, const struct lb_svc *s,
	     struct lb_stats *out)
{
	svc_raw(st, s, out);
	stats_sub(out, &s->zero_base);
}

void
lb_dest_stats(const struct lb_store *st, const struct lb_dest *d,
	      struct lb_stats *out)
{
	dest_raw(st, d, out);
	stats_sub(out, &d->zero_base);
}

/* The estimator reads the raw sums, which stats.zero does not move. */
static void
rate_sample(struct rate_est *e, const struct lb_stats *raw, uint64_t now_ms)
{
	const uint64_t cur[RATE_EST_MAX] = {
		[RATE_CPS] = raw->conns,
		[RATE_INPPS] = raw->inpkts,
		[RATE_OUTPPS] = raw->outpkts,
		[RATE_INBPS] = raw->inbytes,
		[RATE_OUTBPS] = raw->outbytes,
	};

	rate_est_sample(e, cur, RATE_EST_MAX, now_ms);
}

void
lb_store_estimate(struct lb_store *st, uint64_t now_ms)
{
	struct lb_stats raw;
	struct lb_dest *d;
	struct lb_svc *s;

	TAILQ_FOREACH(s, &st->svcs, next) {
		svc_raw(st, s, &raw);
		rate_sample(&s->est, &raw, now_ms);
		TAILQ_FOREACH(d, &s->dests, next) {
			dest_raw(st, d, &raw);
			rate_sample(&d->est, &raw, now_ms);
		}
	}
}

/* Workers own the counters; zeroing remembers a base to subtract
 * rather than writing lines the workers write. */
void
lb_stats_zero(struct lb_store *st, struct lb_svc *s)
{
	struct lb_dest *d;

	if (s == NULL) {
		TAILQ_FOREACH(s, &st->svcs, next)
			lb_stats_zero(st, s);
		return;
	}
	svc_raw(st, s, &s->zero_base);
	TAILQ_FOREACH(d, &s->dests, next)
		dest_raw(st, d, &d->zero_base);
}

/* ---- workers' rates (the main lcore samples their counters) ---- */

static struct rate_est worker_est[DP_MAX_WORKERS];
static uint64_t next_ms;

static void
worker_sample(const struct dp_worker *w, uint64_t now_ms)
{
	const struct lcore_stats *s = &w->stats;
	const uint64_t cur[RATE_EST_MAX] = {
		[RATE_CPS] = __atomic_load_n(&s->conns_new, __ATOMIC_RELAXED),
		[RATE_INPPS] = __atomic_load_n(&s->rx_packets, __ATOMIC_RELAXED),
		[RATE_OUTPPS] = __atomic_load_n(&s->tx_packets, __ATOMIC_RELAXED),
		[RATE_INBPS] = __atomic_load_n(&s->rx_bytes, __ATOMIC_RELAXED),
		[RATE_OUTBPS] = __atomic_load_n(&s->tx_bytes, __ATOMIC_RELAXED),
	};

	rate_est_sample(&worker_est[w->id], cur, RATE_EST_MAX, now_ms);
}

void
dp_estimate_tick(struct dp_ctx *dp, uint64_t now_ms)
{
	unsigned int i;

	if (now_ms < next_ms)
		return;
	next_ms = now_ms + RATE_EST_INTERVAL_MS;
	for (i = 0; i < dp->n_workers && i < DP_MAX_WORKERS; i++)
		worker_sample(&dp->workers[i], now_ms);
	if (dp->lb != NULL) {
		lb_store_estimate(dp->lb, now_ms);
		lb_laddr_assess(dp->lb, dp->cfg->lport_guard, now_ms);
	}
}

const struct rate_est *
dp_worker_rate(unsigned int id)
{
	static const struct rate_est none;

	return id < DP_MAX_WORKERS ? &worker_est[id] : &none;
}
