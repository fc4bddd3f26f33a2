/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lb_sync: which connections a master's worker reports and how, the
 * table walk of a full dump, and a backup's worker installing records
 * (lb.h).  IPv6 and NAT64 connections (the conn6 table, lb6.c) go the
 * same way: the same decisions on their entries in conn6's life table,
 * records flagged LB_SYNC_F_IPV6, installed into the owner's conn6
 * table, their persistence templates too (IPVS's IPv6 template entry:
 * the client's net, cport 0), which synced connections link to as
 * lb6.c's do.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_errno.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "conn/conn6.h"
#include "lb/lb.h"
#include "lb/lb_svc.h"
#include "log.h"
#include "lb_priv.h"

#define DUMP_STEP 128		/* connections a walk visits per loop */
#define INSTALL_BURST 256	/* records installed per loop at most */
#define MIN_DIFF_T 39		/* IPVS's floor of the refresh: 10 s */
#define TIMEOUT_T_MAX 0x3fff	/* ticks: wrap-safe in 16 bits */
#define FAR_T 0x4000		/* "not before long": the state hook
				 * re-arms earlier */

int
lb_sync_init(struct dp_ctx *dp)
{
	char name[RTE_RING_NAMESIZE];
	struct dp_sync_worker *s;
	unsigned int i;

	for (i = 0; i < dp->n_workers; i++) {
		s = &dp->workers[i].sync;
		snprintf(name, sizeof(name), "dplb_sync_out%u", i);
		s->out = rte_ring_create_elem(name, sizeof(struct lb_sync_rec),
					      LB_SYNC_RING_SIZE,
					      (int)rte_socket_id(),
					      RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "dplb_sync_in%u", i);
		s->in = rte_ring_create_elem(name, sizeof(struct lb_sync_rec),
					     LB_SYNC_RING_SIZE,
					     (int)rte_socket_id(),
					     RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (s->out == NULL || s->in == NULL)
			return -rte_errno;
	}
	return 0;
}

/* IPVS syncs TCP connections in these states only. */
static inline bool
tcp_state_synced(uint8_t st)
{
	return st == TCP_S_ESTABLISHED || st == TCP_S_FIN_WAIT ||
	       st == TCP_S_CLOSE || st == TCP_S_CLOSE_WAIT ||
	       st == TCP_S_TIME_WAIT;
}

static inline bool
conn_synced_state(const struct conn *c)
{
	return is_template(c) || c->proto != IPPROTO_TCP ||
	       tcp_state_synced(c->state);
}

static inline uint16_t
ticks_of(uint32_t timeout_ms)
{
	return (uint16_t)RTE_MIN(timeout_ms >> LB_SYNC_TICK_SHIFT,
				 (uint32_t)TIMEOUT_T_MAX);
}

/* The table that holds c's timing: the IPv4 one, or conn6's life. */
static struct conn_table *
sync_table(const struct dp_worker *w, const struct conn *c)
{
	if (c->flags & CONN_F_IPV6)
		return conn6_life(lb6_table(w));
	return w->conns;
}

static uint16_t
timeout_ticks(const struct dp_worker *w, const struct conn *c)
{
	return ticks_of(conn_timeout_of(sync_table(w, c), c));
}

/* ---- master: what to report ---- */

/*
 * IPVS's ip_vs_sync_conn_needed() on 16-bit ticks: whether to report c,
 * whose timeout is timeout_ms, now.  changed: c has just changed state
 * (IPVS's state != old_state).  Marks c reported (endtime) when it says
 * yes.
 */
static bool
sync_needed(struct dp_worker *w, struct conn *c, uint32_t timeout_ms,
	    bool changed)
{
	const struct dp_sync_conf *sc = &w->sync_conf;
	struct lb_sync_cs *s = lb_sync_cs(c);
	uint16_t now = lb_sync_tick(w->now_ms), to = ticks_of(timeout_ms);
	uint16_t orig = s->endtime, n = (uint16_t)((now + to) & ~3);
	bool tmpl = is_template(c);
	unsigned int retries;
	int diff;

	if (!tmpl && c->proto == IPPROTO_TCP) {
		if (!tcp_state_synced(c->state))
			return false;
		if (changed && c->state != TCP_S_ESTABLISHED)
			goto set;	/* a close state: at once */
	}
	if (sc->refresh_t != 0 && orig != 0) {
		diff = abs((int16_t)(n - orig));
		if (diff < RTE_MIN((int)sc->refresh_t,
				   RTE_MAX((int)to / 2, MIN_DIFF_T))) {
			retries = orig & 3;
			if (retries >= sc->retries ||
			    (int16_t)(now - (uint16_t)(orig - to +
						       sc->refresh_t / 8)) < 0)
				return false;
			n |= (uint16_t)(retries + 1);
		}
	}
	if (sc->period != 0) {
		if (!tmpl && s->pkts % sc->period != sc->threshold)
			return false;
	} else if (sc->refresh_t == 0 && s->pkts != sc->threshold) {
		return false;
	}
set:
	s->endtime = n != 0 ? n : 4;
	return true;
}

/* LB_SYNC_TIME: the tick from which c's next packet is worth a look. */
static void
time_rearm(struct dp_worker *w, struct conn *c, uint32_t timeout_ms)
{
	const struct dp_sync_conf *sc = &w->sync_conf;
	struct lb_sync_cs *s = lb_sync_cs(c);
	uint16_t now = lb_sync_tick(w->now_ms), to = ticks_of(timeout_ms);
	uint16_t last = (uint16_t)(s->endtime - to), due;

	if (!conn_synced_state(c)) {
		due = (uint16_t)(now + FAR_T);
	} else if (s->endtime == 0) {
		due = now;
	} else {
		due = (uint16_t)(last + RTE_MIN((int)sc->refresh_t,
						RTE_MAX((int)to / 2, MIN_DIFF_T)));
		if ((s->endtime & 3) < sc->retries &&
		    (int16_t)((uint16_t)(last + sc->refresh_t / 8) - due) < 0)
			due = (uint16_t)(last + sc->refresh_t / 8);
	}
	s->pkts = due != 0 ? due : 1;	/* 0: "due now" */
}

/* The server side of an IPv6 connection without an out key (DR,
 * TUNNEL): its dest, IPv6 or (a 6in4 tunnel) IPv4. */
static void
rec6_dest(const struct lb_dest *d, const struct conn6_key *in,
	  struct lb_sync_rec *r)
{
	r->dport = d->conf.port != 0 ? rte_cpu_to_be_16(d->conf.port) :
				       in->dport;
	if (d->conf.addr.family == AF_INET) {
		r->flags |= LB_SYNC_F_SERVER4;
		r->daddr = d->conf.addr.v4.s_addr;
	} else {
		memcpy(r->daddr6, d->conf.addr.v6.s6_addr, 16);
	}
}

/* rec_fill() for an entry of the conn6 table. */
static void
rec_fill6(const struct dp_worker *w, const struct conn *c,
	  struct lb_sync_rec *r)
{
	const struct conn6_table *tb = lb6_table(w);
	struct conn6_key in, out;

	conn6_key_get(tb, c, CONN_SIDE_IN, &in);
	r->flags |= LB_SYNC_F_IPV6;
	memcpy(r->caddr6, in.src, 16);
	memcpy(r->vaddr6, in.dst, 16);
	r->cport = in.sport;
	r->vport = in.dport;
	if (!conn6_has_out(tb, c)) {
		rec6_dest(conn_priv((struct conn *)c)->dest, &in, r);
		return;
	}
	conn6_key_get(tb, c, CONN_SIDE_OUT, &out);
	r->dport = out.sport;
	if (out.family == AF_INET) {	/* NAT64: server side IPv4 */
		r->flags |= LB_SYNC_F_SERVER4;
		memcpy(&r->daddr, out.src, 4);
		memcpy(&r->laddr, out.dst, 4);
		r->lport = out.dport;
		return;
	}
	memcpy(r->daddr6, out.src, 16);
	if (c->fwd == CONN_FWD_FNAT) {
		memcpy(r->laddr6, out.dst, 16);
		r->lport = out.dport;
	}
}

static void
rec_fill(const struct dp_worker *w, const struct conn *c, uint32_t timeout_ms,
	 uint8_t flags, struct lb_sync_rec *r)
{
	const struct conn_tuple4 *in = &c->tuple[CONN_SIDE_IN];
	const struct conn_tuple4 *out = &c->tuple[CONN_SIDE_OUT];
	const struct lb_conn_priv *pv = conn_priv((struct conn *)c);

	*r = (struct lb_sync_rec){
		.caddr = in->src_addr,
		.vaddr = in->dst_addr,
		.cport = in->src_port,
		.vport = in->dst_port,
		.proto = c->proto,
		.state = c->state,
		.fwd = c->fwd,
		.flags = flags,
		.timeout_s = (timeout_ms + 999) / 1000,
		.ms = w->now_ms,
	};
	if (is_template(c))
		r->flags |= LB_SYNC_F_TEMPLATE;
	if (c->flags & LB_CONN_F_SYNCED)
		r->flags |= LB_SYNC_F_PEER;
	if (c->flags & CONN_F_IPV6) {
		r->caddr = r->vaddr = 0;
		r->cport = r->vport = 0;
		rec_fill6(w, c, r);
		return;
	}
	if (c->flags & CONN_F_NO_OUT) {
		/* DR, TUNNEL, templates: the dest they hold (IPv6 for an
		 * IPv4-in-IPv6 tunnel) */
		if (pv->dest->conf.addr.family == AF_INET6) {
			r->flags |= LB_SYNC_F_CLIENT4;
			memcpy(r->daddr6, pv->dest->conf.addr.v6.s6_addr, 16);
		} else {
			r->daddr = pv->daddr;
		}
		r->dport = pv->dest->conf.port != 0 ?
				   rte_cpu_to_be_16(pv->dest->conf.port) :
				   in->dst_port;
		return;
	}
	r->daddr = out->src_addr;
	r->dport = out->src_port;
	if (c->fwd == CONN_FWD_FNAT || c->fwd == CONN_FWD_SNAT) {
		r->laddr = out->dst_addr;
		r->lport = out->dst_port;
	}
}

static void
sync_emit(struct dp_worker *w, const struct conn *c, uint32_t timeout_ms,
	  uint8_t flags)
{
	struct lb_sync_rec r;

	rec_fill(w, c, timeout_ms, flags, &r);
	if (unlikely(rte_ring_sp_enqueue_elem(w->sync.out, &r,
					      sizeof(r)) != 0)) {
		w->sync.ring_full++;
		return;
	}
	w->sync.emitted++;
	if (flags & LB_SYNC_F_DUMP)
		w->sync.dumped++;
}

/*
 * The persistence template that controls c goes with c's record (IPVS
 * checks it on every packet; here only when c was reported, so that a
 * busy persistent connection does not resend it per packet).
 */
static void
sync_control(struct dp_worker *w, struct conn *c)
{
	struct conn *t = conn_from_ref(sync_table(w, c), conn_priv(c)->tmpl);

	if (conn_priv(c)->tmpl == 0 || t == NULL || !is_template(t) ||
	    t->svc_id != c->svc_id)
		return;
	uint32_t to;

	lb_sync_cs(t)->pkts++;
	to = conn_timeout_of(sync_table(w, t), t);
	if (sync_needed(w, t, to, false))
		sync_emit(w, t, to, 0);
}

void
lb_sync_check(struct dp_worker *w, struct conn *c)
{
	uint32_t to = conn_timeout_of(sync_table(w, c), c);

	if (sync_needed(w, c, to, false)) {
		sync_emit(w, c, to, 0);
		sync_control(w, c);
	}
	if (w->sync_conf.mode == LB_SYNC_TIME)
		time_rearm(w, c, to);
}

void
lb_sync_state(struct dp_worker *w, struct conn *c)
{
	uint32_t to;

	if (c->proto != IPPROTO_TCP || is_template(c))
		return;		/* UDP: IPVS never forces one */
	to = conn_timeout_of(sync_table(w, c), c);
	if (tcp_state_synced(c->state) && sync_needed(w, c, to, true)) {
		sync_emit(w, c, to, 0);
		sync_control(w, c);
	}
	if (w->sync_conf.mode == LB_SYNC_TIME)
		time_rearm(w, c, to);
}

/* ---- master: a full dump ---- */

static int
dump_one(const struct conn *c, void *arg)
{
	struct dp_worker *w = arg;

	/* SNAT connections stay local (docs/snat.md) */
	if (c->fwd == CONN_FWD_SNAT || !conn_synced_state(c))
		return 0;
	sync_emit(w, c, conn_timeout_of(sync_table(w, c), c), LB_SYNC_F_DUMP);
	return 0;
}

/* Per worker: the walk is in the IPv6 table (after the IPv4 one). */
static bool dump_in6[DP_MAX_WORKERS];

/* One step of the walk over the IPv4 table, then the IPv6 one: true
 * when both are done. */
static bool
dump_walk(struct dp_worker *w, unsigned int *n)
{
	struct dp_sync_worker *s = &w->sync;
	struct conn6_table *t6 = lb6_table(w);

	if (!dump_in6[w->id]) {
		*n = conn_foreach(w->conns, &s->dump_cursor, DUMP_STEP,
				  dump_one, w);
		if (s->dump_cursor != CONN_ITER_END)
			return false;
		s->dump_cursor = 0;
		if (t6 == NULL)
			return true;
		dump_in6[w->id] = true;
		return false;
	}
	*n = conn_foreach(conn6_life(t6), &s->dump_cursor, DUMP_STEP,
			  dump_one, w);
	if (s->dump_cursor != CONN_ITER_END)
		return false;
	s->dump_cursor = 0;
	dump_in6[w->id] = false;
	return true;
}

/*
 * One step of the walk the main lcore asked for (dump_req), when `out`
 * has room for it (the dump never crowds out live records) and the
 * main lcore's pace allows (dump_allow: a dump of a million connections
 * must not flood the peer).  A request that comes during a walk is
 * answered by that walk.
 */
static unsigned int
dump_step(struct dp_worker *w)
{
	struct dp_sync_worker *s = &w->sync;
	uint32_t req = __atomic_load_n(&s->dump_req, __ATOMIC_ACQUIRE);
	unsigned int n;

	if (req == s->dump_done)
		return 0;
	if (s->dumped >= __atomic_load_n(&s->dump_allow, __ATOMIC_RELAXED) ||
	    rte_ring_free_count(s->out) < 2 * DUMP_STEP)
		return 0;
	if (dump_walk(w, &n))
		__atomic_store_n(&s->dump_done, req, __ATOMIC_RELEASE);
	return n + 1;
}

/* ---- backup: installing ---- */

/* Whether r's server side is IPv4: an IPv4 connection's but for an
 * IPv4-in-IPv6 tunnel's, an IPv6 one's for NAT64 and a 6in4 tunnel. */
static bool
rec_server4(const struct lb_sync_rec *r)
{
	if (r->flags & LB_SYNC_F_IPV6)
		return r->flags & LB_SYNC_F_SERVER4;
	return !(r->flags & LB_SYNC_F_CLIENT4);
}

/* Does d have r's server address? */
static bool
dest_addr_is(const struct lb_dest_snap *d, const struct lb_sync_rec *r)
{
	if (rec_server4(r))
		return d->addr.family == AF_INET &&
		       d->addr.v4.s_addr == r->daddr;
	return d->addr.family == AF_INET6 &&
	       memcmp(d->addr.v6.s6_addr, r->daddr6, 16) == 0;
}

/* The dest of svc that r names, with r's forwarding mode. */
static const struct lb_dest_snap *
rec_dest(const struct lb_svc_snap *svc, const struct lb_sync_rec *r)
{
	const struct lb_dest_snap *d;
	uint32_t i;

	for (i = 0; i < svc->n_dests; i++) {
		d = &svc->dests[i];
		if (dest_addr_is(d, r) && d->fwd == r->fwd &&
		    (d->port == r->dport ||
		     (d->port == 0 && r->dport == r->vport)))
			return d;
	}
	return NULL;
}

static enum lb_sync_result
drop(struct dp_worker *w, enum sync_drop why)
{
	w->sync.drops[why]++;
	return LB_SYNC_DROPPED;
}

/* r was just reported: the master's next report of it comes a period
 * later, as IPVS sets in_pkts to the threshold on install. */
static void
mark_reported(struct dp_worker *w, struct conn *c)
{
	struct lb_sync_cs *s = lb_sync_cs(c);
	uint16_t now = lb_sync_tick(w->now_ms);

	s->pkts = w->sync_conf.threshold;
	s->endtime = (uint16_t)((now + timeout_ticks(w, c)) & ~3);
	if (s->endtime == 0)
		s->endtime = 4;
}

/* t, the template a record names, is there: seen now. */
static enum lb_sync_result
tmpl_refreshed(struct dp_worker *w, struct conn *t)
{
	conn_touch(t, w->now_ms);
	t->flags |= LB_CONN_F_SYNCED;
	w->sync.updated++;
	return LB_SYNC_UPDATED;
}

/* t, a template just made for a record (NULL: it could not be). */
static enum lb_sync_result
tmpl_installed(struct dp_worker *w, struct conn *t)
{
	if (t == NULL)
		return drop(w, rte_errno == EEXIST ? SYNC_DROP_CONFLICT :
						     SYNC_DROP_TABLE_FULL);
	t->flags |= LB_CONN_F_SYNCED;
	mark_reported(w, t);
	w->sync.installed++;
	return LB_SYNC_ADDED;
}

static enum lb_sync_result
install_tmpl(struct dp_worker *w, const struct lb_svc_snap *svc,
	     const struct lb_dest_snap *d, const struct lb_sync_rec *r)
{
	struct conn_key4 in = { .src_addr = r->caddr, .dst_addr = r->vaddr,
				.proto = r->proto }, k;
	struct conn *t;

	if (svc->persistent == 0)
		return drop(w, SYNC_DROP_BAD_RECORD);
	tmpl_key(svc, &in, &k);
	t = conn_lookup4(w->conns, &k, NULL);
	if (t != NULL && !is_template(t))
		return drop(w, SYNC_DROP_CONFLICT);
	if (t != NULL) {
		/* its dest stays: connections it controls hold it too */
		return tmpl_refreshed(w, t);
	}
	return tmpl_installed(w, tmpl_new(w, &k, svc, d));
}

/* Does c forward as r says: the same dest, mode and local side? */
static bool
same_binding(const struct conn *c, const struct lb_dest_snap *d,
	     const struct conn_key4 *out)
{
	const struct conn_tuple4 *o = &c->tuple[CONN_SIDE_OUT];

	if (conn_priv((struct conn *)c)->dest != d->dest || c->fwd != d->fwd)
		return false;
	return out == NULL || (o->dst_addr == out->dst_addr &&
			       o->dst_port == out->dst_port);
}

/* The template of svc that c's client already has, or NULL. */
static struct conn *
tmpl_of(struct dp_worker *w, const struct lb_svc_snap *svc,
	const struct conn_key4 *in)
{
	struct conn_key4 k;
	struct conn *t;

	if (svc->persistent == 0)
		return NULL;
	tmpl_key(svc, in, &k);
	t = conn_lookup4(w->conns, &k, NULL);
	return t != NULL && is_template(t) && t->svc_id == svc->id ? t : NULL;
}

static enum lb_sync_result
install_conn(struct dp_ctx *dp, struct dp_worker *w,
	     const struct lb_svc_snap *svc,
	     const struct lb_dest_snap *d, const struct lb_sync_rec *r)
{
	struct conn_key4 in = { .src_addr = r->caddr, .dst_addr = r->vaddr,
				.src_port = r->cport, .dst_port = r->vport,
				.proto = r->proto };
	struct conn_key4 out = { .src_addr = r->daddr, .src_port = r->dport,
				 .proto = r->proto };
	const struct conn_key4 *outp = &out;
	struct conn *c;
	bool reply;

	if (r->fwd == CONN_FWD_FNAT || r->fwd == CONN_FWD_SNAT) {
		/* the reply to LIP:lport is steered here by its port */
		if (steer_lport_owner(rte_be_to_cpu_16(r->lport),
				      dp->n_workers) != (int)w->id)
			return drop(w, SYNC_DROP_WORKERS);
		out.dst_addr = r->laddr;
		out.dst_port = r->lport;
	} else if (r->fwd == CONN_FWD_NAT) {
		out.dst_addr = r->caddr;
		out.dst_port = r->cport;
	} else {
		outp = NULL;
	}
	c = conn_lookup4(w->conns, &in, &reply);
	if (c != NULL && (reply || is_template(c)))
		return drop(w, SYNC_DROP_CONFLICT);
	if (c != NULL && !same_binding(c, d, outp)) {
		lb_conn_drop(w, c);	/* the master chose anew */
		c = NULL;
	}
	if (c != NULL) {
		if (c->state != r->state)
			lb_set_state_quiet(w, c, r->state);
		conn_touch(c, w->now_ms);
		c->flags |= LB_CONN_F_SYNCED;
		mark_reported(w, c);
		w->sync.updated++;
		return LB_SYNC_UPDATED;
	}
	c = conn_new(w->conns, &in, outp, r->state, w->now_ms);
	if (c == NULL)
		return drop(w, rte_errno == ENOSPC ? SYNC_DROP_TABLE_FULL :
			       rte_errno == EEXIST ? SYNC_DROP_CONFLICT :
						     SYNC_DROP_BAD_RECORD);
	lb_conn_bind(w, c, svc, d, tmpl_of(w, svc, &in));
	if (r->fwd == CONN_FWD_FNAT)
		lb_lport_follow4(dp, w, &out);
	c->flags |= LB_CONN_F_SYNCED;
	mark_reported(w, c);
	w->sync.installed++;
	return LB_SYNC_ADDED;
}

/* ---- backup: installing an IPv6 (or NAT64) connection ---- */

/* Whether r has a local address and port (full NAT, NAT64). */
static bool
rec_local(const struct lb_sync_rec *r)
{
	return r->fwd == CONN_FWD_FNAT || r->fwd == CONN_FWD_SNAT ||
	       (r->fwd == CONN_FWD_NAT && (r->flags & LB_SYNC_F_SERVER4));
}

/* r's server-side key as lb6.c makes it: server -> local address
 * (full NAT, NAT64), server -> client (NAT); false: none (DR, TUNNEL). */
static bool
rec6_out_key(const struct lb_sync_rec *r, struct conn6_key *out)
{
	if (r->flags & LB_SYNC_F_SERVER4) {
		if (!rec_local(r))
			return false;
		conn6_key4(out, r->daddr, r->laddr, r->dport, r->lport,
			   r->proto);
	} else if (r->fwd == CONN_FWD_FNAT) {
		conn6_key6(out, r->daddr6, r->laddr6, r->dport, r->lport,
			   r->proto);
	} else if (r->fwd == CONN_FWD_NAT) {
		conn6_key6(out, r->daddr6, r->caddr6, r->dport, r->cport,
			   r->proto);
	} else {
		return false;
	}
	return true;
}

static bool
same_binding6(const struct conn6_table *tb, const struct conn *c,
	      const struct lb_dest_snap *d, const struct conn6_key *out)
{
	struct conn6_key o;

	if (conn_priv((struct conn *)c)->dest != d->dest || c->fwd != d->fwd ||
	    (out != NULL) != conn6_has_out(tb, c))
		return false;
	if (out == NULL)
		return true;
	conn6_key_get(tb, c, CONN_SIDE_OUT, &o);
	return memcmp(&o, out, sizeof(o)) == 0;
}

/* An existing entry c bound as r says: r's state, seen now. */
static enum lb_sync_result
update6(struct dp_worker *w, struct conn *c, const struct lb_sync_rec *r)
{
	if (c->state != r->state)
		lb6_set_state(w, c, r->state);
	conn_touch(c, w->now_ms);
	c->flags |= LB_CONN_F_SYNCED;
	mark_reported(w, c);
	w->sync.updated++;
	return LB_SYNC_UPDATED;
}

static enum lb_sync_result
install_conn6(struct dp_ctx *dp, struct dp_worker *w,
	      const struct lb_svc_snap *svc, const struct lb_dest_snap *d,
	      const struct lb_sync_rec *r)
{
	struct conn6_table *tb = lb6_table(w);
	struct conn6_key in, out;
	const struct conn6_key *outp = NULL;
	struct conn *c;
	bool reply;

	if (tb == NULL)
		return drop(w, SYNC_DROP_TABLE_FULL);
	/* the reply to LIP:lport is steered here by its port */
	if (rec_local(r) && steer_lport_owner(rte_be_to_cpu_16(r->lport),
					      dp->n_workers) != (int)w->id)
		return drop(w, SYNC_DROP_WORKERS);
	conn6_key6(&in, r->caddr6, r->vaddr6, r->cport, r->vport, r->proto);
	if (rec6_out_key(r, &out))
		outp = &out;
	c = conn6_lookup(tb, &in, &reply);
	if (c != NULL && (reply || is_template(c)))
		return drop(w, SYNC_DROP_CONFLICT);
	if (c != NULL && !same_binding6(tb, c, d, outp)) {
		lb6_conn_drop(w, c);	/* the master chose anew */
		c = NULL;
	}
	if (c != NULL) {
		/* its template may have come after it (a master reports a
		 * connection, then the template that controls it) */
		lb6_tmpl_link(w, c, lb6_tmpl_get(w, svc, &in));
		return update6(w, c, r);
	}
	c = conn6_new(tb, &in, outp, r->state, w->now_ms);
	if (c == NULL)
		return drop(w, rte_errno == ENOSPC ? SYNC_DROP_TABLE_FULL :
			       rte_errno == EEXIST ? SYNC_DROP_CONFLICT :
						     SYNC_DROP_BAD_RECORD);
	lb6_conn_bind(w, c, svc, d);
	lb6_tmpl_link(w, c, lb6_tmpl_get(w, svc, &in));
	if (outp != NULL && rec_local(r))
		lb6_lport_follow(dp, w, outp);
	c->flags |= LB_CONN_F_SYNCED;
	mark_reported(w, c);
	w->sync.installed++;
	return LB_SYNC_ADDED;
}

/* Is r's client net (IPVS's template caddr: the address under the
 * master's prefix) one of svc's nets here?  Not when the master's
 * prefix is longer than this node's (the services differ). */
static bool
rec6_net_fits(const struct lb_svc_snap *svc, const struct lb_sync_rec *r)
{
	unsigned int bits = svc->netmask_len, i;

	for (i = 0; i < 16; i++, bits = bits > 8 ? bits - 8 : 0)
		if (r->caddr6[i] &
		    (uint8_t)~(bits >= 8 ? 0xff : (0xff00 >> bits)))
			return false;
	return true;
}

/* An IPv6 persistence template (client net, cport 0 -> VIP:vport, its
 * dest), in the owner's conn6 table as lb6.c makes them. */
static enum lb_sync_result
install_tmpl6(struct dp_worker *w, const struct lb_svc_snap *svc,
	      const struct lb_dest_snap *d, const struct lb_sync_rec *r)
{
	struct conn6_table *tb = lb6_table(w);
	struct conn6_key in;
	struct conn *t;

	if (svc->persistent == 0 || !rec6_net_fits(svc, r))
		return drop(w, SYNC_DROP_BAD_RECORD);
	if (tb == NULL)
		return drop(w, SYNC_DROP_TABLE_FULL);
	conn6_key6(&in, r->caddr6, r->vaddr6, 0, r->vport, r->proto);
	t = lb6_tmpl_get(w, svc, &in);
	if (t != NULL && conn_priv(t)->dest != d->dest) {
		/* the master's net went elsewhere (its dest was removed
		 * or quiesced there): follow it */
		lb6_conn_drop(w, t);
		t = NULL;
	}
	if (t != NULL)
		return tmpl_refreshed(w, t);
	return tmpl_installed(w, lb6_tmpl_add(w, svc, &in, d));
}

/* A deleted service's ghost (LB_SVC_F_RETIRED) takes no entry: for a
 * record it is no service at all. */
static const struct lb_svc_snap *
live_svc(const struct lb_svc_snap *svc)
{
	return svc != NULL && !(svc->flags & LB_SVC_F_RETIRED) ? svc : NULL;
}

static const struct lb_svc_snap *
rec6_svc(const struct dp_ctx *dp, const struct lb_sync_rec *r)
{
	return live_svc(lb_svc_lookup6(lb_snap_get(dp->lb), r->proto,
				       r->vaddr6, r->vport));
}

static const struct lb_svc_snap *
rec4_svc(const struct dp_ctx *dp, const struct lb_sync_rec *r)
{
	return live_svc(lb_svc_lookup(lb_snap_get(dp->lb), r->proto, r->vaddr,
				      r->vport));
}

static enum lb_sync_result
install6(struct dp_ctx *dp, struct dp_worker *w, const struct lb_sync_rec *r)
{
	const struct lb_svc_snap *svc;
	const struct lb_dest_snap *d;

	svc = rec6_svc(dp, r);
	if (svc == NULL)
		return drop(w, SYNC_DROP_UNKNOWN_SERVICE);
	d = rec_dest(svc, r);
	if (d == NULL)
		return drop(w, SYNC_DROP_UNKNOWN_DEST);
	if (r->flags & LB_SYNC_F_TEMPLATE)
		return install_tmpl6(w, svc, d, r);
	return install_conn6(dp, w, svc, d, r);
}

static bool
rec_state_valid(const struct lb_sync_rec *r)
{
	if (r->flags & LB_SYNC_F_TEMPLATE)
		return true;
	if (r->proto == IPPROTO_TCP)
		return r->state < TCP_STATE_COUNT;
	return r->proto == IPPROTO_UDP && r->state < UDP_STATE_COUNT;
}

static void
count_lag(struct dp_worker *w, const struct lb_sync_rec *r)
{
	int32_t lag = (int32_t)(w->now_ms - r->ms);

	if (r->ms == 0)
		return;
	if (lag < 0)
		lag = 0;
	w->sync.lag_sum_ms += (uint32_t)lag;
	w->sync.lag_n++;
	if ((uint32_t)lag > w->sync.lag_max_ms)
		w->sync.lag_max_ms = (uint32_t)lag;
}

enum lb_sync_result
lb_sync_install(struct dp_ctx *dp, struct dp_worker *w,
		const struct lb_sync_rec *r)
{
	const struct lb_svc_snap *svc;
	const struct lb_dest_snap *d;
	enum lb_sync_result res;

	if (!rec_state_valid(r))
		return drop(w, SYNC_DROP_BAD_RECORD);
	if (r->flags & LB_SYNC_F_IPV6) {
		res = install6(dp, w, r);
		goto out;
	}
	svc = rec4_svc(dp, r);
	if (svc == NULL)
		return drop(w, SYNC_DROP_UNKNOWN_SERVICE);
	d = rec_dest(svc, r);
	if (d == NULL)
		return drop(w, SYNC_DROP_UNKNOWN_DEST);
	if (r->flags & LB_SYNC_F_TEMPLATE)
		res = install_tmpl(w, svc, d, r);
	else
		res = install_conn(dp, w, svc, d, r);
out:
	if (res != LB_SYNC_DROPPED)
		count_lag(w, r);
	return res;
}

/* lb_sync_owner() for an IPv6 record: lb6.c's rule for its client. */
static bool
owner6(const struct dp_ctx *dp, const struct lb_sync_rec *r,
       unsigned int *owner, enum sync_drop *why)
{
	const struct lb_svc_snap *svc = rec6_svc(dp, r);
	struct conn6_key k;

	if (svc == NULL) {
		*why = SYNC_DROP_UNKNOWN_SERVICE;
		return false;
	}
	/* a template's owner is its net's (lb6_owner() masks it) */
	if ((r->flags & LB_SYNC_F_TEMPLATE) &&
	    (svc->persistent == 0 || !rec6_net_fits(svc, r))) {
		*why = SYNC_DROP_BAD_RECORD;
		return false;
	}
	conn6_key6(&k, r->caddr6, r->vaddr6, r->cport, r->vport, r->proto);
	return lb6_owner(dp, svc, &k, owner);
}

bool
lb_sync_owner(const struct dp_ctx *dp, const struct lb_sync_rec *r,
	      unsigned int *owner, enum sync_drop *why)
{
	const struct lb_svc_snap *svc = NULL;
	int lp;

	if (r->flags & LB_SYNC_F_IPV6) {
		if (!owner6(dp, r, owner, why))
			return false;
		goto lport;
	}
	svc = rec4_svc(dp, r);
	if (svc == NULL) {
		*why = SYNC_DROP_UNKNOWN_SERVICE;
		return false;
	}
	if (r->flags & LB_SYNC_F_TEMPLATE)
		*owner = steer_by_client(r->caddr & svc->persist_mask, 0,
					 dp->n_workers);
	else
		*owner = lb_svc_owner(svc, r->caddr, r->cport, dp->n_workers);
lport:
	if (!(r->flags & LB_SYNC_F_TEMPLATE) && rec_local(r)) {
		lp = steer_lport_owner(rte_be_to_cpu_16(r->lport),
				       dp->n_workers);
		if (lp != (int)*owner) {
			*why = SYNC_DROP_WORKERS;
			return false;
		}
	}
	return true;
}

unsigned int
lb_sync_serve_slow(struct dp_ctx *dp, struct dp_worker *w)
{
	uint32_t work = __atomic_load_n(&w->sync.work, __ATOMIC_RELAXED);
	struct lb_sync_rec recs[INSTALL_BURST];
	unsigned int n = 0, i;

	if (work & LB_SYNC_WORK_INSTALL) {
		n = rte_ring_sc_dequeue_burst_elem(w->sync.in, recs,
						   sizeof(recs[0]),
						   INSTALL_BURST, NULL);
		for (i = 0; i < n; i++)
			lb_sync_install(dp, w, &recs[i]);
	}
	if (work & LB_SYNC_WORK_DUMP)
		n += dump_step(w);
	return n;
}
