/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lb_conn: the life of a load-balanced connection on its worker: the
 * table, state changes with the dests' active/inactive counts and
 * thresholds, release and expiry, the choice of a dest and a local port
 * for a new connection, and persistence templates (lb_priv.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>

#include "core/tx.h"
#include "lb/lb.h"
#include "lb/lb_svc.h"
#include "log.h"
#include "net/steer.h"
#include "lb_priv.h"

#define EXPIRE_BUDGET 256	/* connections checked per loop at most */

static uint64_t tsc_per_ms;

uint32_t
lb_clock_ms(void)
{
	return (uint32_t)(rte_rdtsc() / tsc_per_ms);
}

int
lb_conn_init(struct dp_ctx *dp)
{
	char name[32];
	unsigned int i;
	int ret;

	tsc_per_ms = rte_get_tsc_hz() / 1000;
	for (i = 0; i < dp->n_workers; i++) {
		snprintf(name, sizeof(name), "dplb_conn%u", i);
		ret = conn_table_create(&dp->workers[i].conns, name,
					dp->cfg->max_conns, (int)rte_socket_id());
		if (ret != 0) {
			LOG_ERR("worker %u: cannot create a table of %u connections: %s",
				i, dp->cfg->max_conns, strerror(-ret));
			return ret;
		}
		conn_table_set_timeouts(dp->workers[i].conns,
					&dp->cfg->timeouts);
	}
	return 0;
}

/*
 * Connection thresholds, as ipvsadm -x/-y: at u_threshold connections a
 * dest is overloaded (schedulers skip it) until it falls below
 * l_threshold, or 3/4 of u_threshold when no lower one is set.
 */
void
dest_check_overload(struct lb_dest *d)
{
	struct sched_dest_load *load = &d->load;
	uint32_t upper = d->conf.u_threshold, lower = d->conf.l_threshold;
	uint32_t conns;

	if (upper == 0) {
		if (load->overloaded)
			__atomic_store_n(&load->overloaded, 0, __ATOMIC_RELAXED);
		return;
	}
	conns = __atomic_load_n(&load->active, __ATOMIC_RELAXED) +
		__atomic_load_n(&load->inactive, __ATOMIC_RELAXED);
	if (lower == 0)
		lower = upper - upper / 4;
	if (conns >= upper)
		__atomic_store_n(&load->overloaded, 1, __ATOMIC_RELAXED);
	else if (conns < lower && load->overloaded)
		__atomic_store_n(&load->overloaded, 0, __ATOMIC_RELAXED);
}

void
lb_set_state_quiet(struct dp_worker *w, struct conn *c, uint8_t state)
{
	bool was = state_is_active(c);

	conn_set_state(w->conns, c, state, w->now_ms);
	if (was == state_is_active(c))
		return;
	lb_dest_conn_count(conn_priv(c)->dest, w->id, was ? -1 : 1,
			   was ? 1 : -1);
}

/* Move c to a new state, keeping the real server's active/inactive
 * counts; a master reports the change to its peer. */
__rte_noinline void
lb_set_state(struct dp_worker *w, struct conn *c, uint8_t state)
{
	lb_set_state_quiet(w, c, state);
	if (unlikely(lb_sync_state_wanted(w, c)))
		lb_sync_state(w, c);
}

/* c ends: the template that made it (if still there) controls one
 * fewer.  The reference may name a recycled entry: check it. */
static void
tmpl_uncontrol(struct dp_worker *w, const struct conn *c)
{
	struct conn *t = conn_from_ref(w->conns, conn_priv((struct conn *)c)->tmpl);

	if (t != NULL && is_template(t) && t->svc_id == c->svc_id &&
	    conn_priv(t)->n_control > 0)
		conn_priv(t)->n_control--;
}

/* Release what a connection or template holds (the local port goes
 * with its key). */
void
lb_conn_release(struct dp_worker *w, struct conn *c)
{
	struct lb_dest *d = conn_priv(c)->dest;

	if (is_template(c)) {
		__atomic_fetch_sub(&d->load.persistent, 1, __ATOMIC_RELAXED);
		lb_dest_put(d);
		return;
	}
	if (conn_priv(c)->tmpl != 0)
		tmpl_uncontrol(w, c);
	lb_dest_conn_count(d, w->id, state_is_active(c) ? -1 : 0,
			   state_is_active(c) ? 0 : -1);
	dest_check_overload(d);
	lb_dest_put(d);
	w->stats.conns_expired++;
}

static bool
lb_expire_cb(void *ctx, struct conn *c)
{
	/* As IPVS: a template outlives its timeout while connections it
	 * made are alive, so they and their successors stay together. */
	if (is_template(c) && conn_priv(c)->n_control > 0)
		return true;
	lb_conn_release(ctx, c);
	return false;
}

void
lb_conn_drop(struct dp_worker *w, struct conn *c)
{
	lb_conn_release(w, c);
	conn_del(w->conns, c);
}

void
lb_expire_tick(struct dp_ctx *dp, struct dp_worker *w)
{
	w->now_ms = (uint32_t)(rte_rdtsc() / tsc_per_ms);
	if (w->conns != NULL && conn_count(w->conns) != 0)
		conn_expire_tick(w->conns, w->now_ms, EXPIRE_BUDGET,
				 lb_expire_cb, w);
}

/*
 * Persistence (ipvsadm -p, -M).  A template, keyed client net -> VIP:vport
 * (the client's address under the service's netmask, port 0; vport 0 for
 * a port-0 service), remembers the real server the net's first
 * connection got; later connections from the net follow it while the
 * template lives: persistence seconds after its last use, and while
 * connections it made are alive.  Steering puts every connection of a
 * client net to a persistent service on one worker (lb_svc_owner()), so
 * the template is in that worker's table and needs no sharing.
 */
void
tmpl_key(const struct lb_svc_snap *svc, const struct conn_key4 *in,
	 struct conn_key4 *k)
{
	*k = (struct conn_key4){
		.src_addr = in->src_addr & svc->persist_mask,
		.dst_addr = in->dst_addr,
		.dst_port = svc->vport,
		.proto = in->proto,
	};
}

/* A template stops holding its clients when its dest was deleted, or
 * set to weight 0 in a service that expires quiescent connections. */
static bool
tmpl_usable(const struct conn *t, const struct lb_svc_snap *svc)
{
	const struct lb_dest *d = conn_priv((struct conn *)t)->dest;

	if (t->svc_id != svc->id || d->trashed)
		return false;
	return d->conf.weight != 0 ||
	       !(svc->flags & LB_SVC_F_EXPIRE_QUIESCENT);
}

/* The template's dest, described as the snapshot describes dests. */
static const struct lb_dest_snap *
tmpl_dest(struct conn *t, struct lb_dest_snap *buf)
{
	struct lb_dest *d = conn_priv(t)->dest;

	*buf = (struct lb_dest_snap){
		.dest = d,
		.addr = d->conf.addr,
		.port = rte_cpu_to_be_16(d->conf.port),
		.fwd = d->conf.fwd,
		.weight = d->conf.weight,
	};
	return buf;
}

/* NULL when the table is full: the connection goes unpersisted. */
struct conn *
tmpl_new(struct dp_worker *w, const struct conn_key4 *k,
	 const struct lb_svc_snap *svc, const struct lb_dest_snap *d)
{
	struct conn *t;

	t = conn_new_timed(w->conns, k, svc->persistent * 1000u, w->now_ms);
	if (t == NULL)
		return NULL;
	t->flags |= LB_CONN_F_TEMPLATE;
	t->fwd = d->fwd;
	t->svc_id = svc->id;
	*conn_priv(t) = (struct lb_conn_priv){ .dest = d->dest,
					       .daddr = d->addr.v4.s_addr };
	lb_dest_hold(d->dest);
	__atomic_fetch_add(&d->dest->load.persistent, 1, __ATOMIC_RELAXED);
	return t;
}

/* The dest for a new connection, and its template when persistent. */
static const struct lb_dest_snap *
lb_pick(struct dp_worker *w, const struct lb_svc_snap *svc,
	const struct conn_key4 *in, struct lb_dest_snap *buf,
	struct conn **tmpl)
{
	struct inet_addr client = inet_addr_v4(in->src_addr);
	struct inet_addr vip = inet_addr_v4(in->dst_addr);
	const struct lb_dest_snap *d;
	struct conn_key4 k;
	struct conn *t;

	*tmpl = NULL;
	if (svc->persistent == 0)
		return lb_svc_pick(svc, w->id, &client, in->src_port, &vip,
				   w->now_ms);
	tmpl_key(svc, in, &k);
	t = conn_lookup4(w->conns, &k, NULL);
	if (t != NULL && is_template(t)) {
		if (tmpl_usable(t, svc)) {
			conn_touch(t, w->now_ms);
			*tmpl = t;
			return tmpl_dest(t, buf);
		}
		lb_conn_drop(w, t);
		t = NULL;
	}
	d = lb_svc_pick(svc, w->id, &client, in->src_port, &vip, w->now_ms);
	if (d != NULL && t == NULL)
		*tmpl = tmpl_new(w, &k, svc, d);
	return d;
}

void
lb_conn_bind(struct dp_worker *w, struct conn *c, const struct lb_svc_snap *svc,
	     const struct lb_dest_snap *d, struct conn *tmpl)
{
	bool active = state_is_active(c);

	c->fwd = d->fwd;
	c->svc_id = svc->id;
	*conn_priv(c) = (struct lb_conn_priv){ .dest = d->dest,
					       .daddr = d->addr.v4.s_addr };
	if (tmpl != NULL) {
		conn_priv(c)->tmpl = conn_ref(w->conns, tmpl);
		conn_priv(tmpl)->n_control++;
	}
	lb_dest_hold(d->dest);
	lb_dest_conn_count(d->dest, w->id, active ? 1 : 0, active ? 0 : 1);
	dest_check_overload(d->dest);
}

__rte_noinline struct conn *
lb_schedule(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	    const struct conn_key4 *in, const struct lb_svc_snap *svc)
{
	struct conn_key4 out = { .proto = in->proto };
	const struct conn_key4 *outp = &out;
	const struct lb_dest_snap *d;
	struct lb_dest_snap dbuf;
	struct conn *c, *tmpl;
	rte_be16_t dport;

	d = lb_pick(w, svc, in, &dbuf, &tmpl);
	if (d == NULL) {
		dp_drop(w, m, DROP_NO_DEST);
		return NULL;
	}
	dport = d->port != 0 ? d->port : in->dst_port;
	out.src_addr = d->addr.v4.s_addr;
	out.src_port = dport;
	if (d->fwd == LB_FWD_FNAT) {
		if (!lb_pick_lport(dp, w, svc->laddr, &out)) {
			dp_drop(w, m, DROP_NO_LPORT);
			return NULL;
		}
	} else if (d->fwd == LB_FWD_NAT) {
		out.dst_addr = in->src_addr;
		out.dst_port = in->src_port;
	} else {
		outp = NULL;	/* DR, TUNNEL: replies bypass us */
	}
	c = conn_new(w->conns, in, outp,
		     in->proto == IPPROTO_TCP ? TCP_S_NONE : UDP_ONEWAY,
		     w->now_ms);
	if (c == NULL) {
		dp_drop(w, m, DROP_CONN_TABLE_FULL);
		return NULL;
	}
	lb_conn_bind(w, c, svc, d, tmpl);
	svc->svc->pcpu[w->id].st.conns++;
	d->dest->pcpu[w->id].st.conns++;
	w->stats.conns_new++;
	if (conn_count(w->conns) > w->stats.conns_peak)
		w->stats.conns_peak = conn_count(w->conns);
	return c;
}
