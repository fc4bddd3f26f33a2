/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_mbuf_dyn.h>
#include <rte_icmp.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "lb/conn.h"
#include "net/csum.h"
#include "lb/lb.h"
#include "lb/lb_svc.h"
#include "log.h"
#include "net/steer.h"

#define EXPIRE_BUDGET 256	/* connections checked per loop at most */

static uint64_t tsc_per_ms;

/* The reply-owner detour (lb_reply_front): which candidate a steered
 * packet has reached, valid under a dynamic flag that every received
 * mbuf starts without. */
static int hop_offset = -1;
static uint64_t hop_flag;

static int
hop_field_register(void)
{
	static const struct rte_mbuf_dynfield field = {
		.name = "dplb_reply_hop",
		.size = sizeof(uint8_t),
		.align = __alignof__(uint8_t),
	};
	static const struct rte_mbuf_dynflag flag = {
		.name = "dplb_reply_hop_valid",
	};
	int bit;

	hop_offset = rte_mbuf_dynfield_register(&field);
	bit = rte_mbuf_dynflag_register(&flag);
	if (hop_offset < 0 || bit < 0)
		return -rte_errno;
	hop_flag = 1ULL << bit;
	return 0;
}

int
lb_init_workers(struct dp_ctx *dp)
{
	char name[32];
	unsigned int i;
	int ret;

	tsc_per_ms = rte_get_tsc_hz() / 1000;
	ret = hop_field_register();
	if (ret != 0) {
		LOG_ERR("cannot register the mbuf field for reply steering: %s",
			strerror(-ret));
		return ret;
	}
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

static __rte_always_inline bool
l4_parse(struct rte_ipv4_hdr *ip, unsigned int ihl, struct l4_view *v)
{
	unsigned int len = rte_be_to_cpu_16(ip->total_length) - ihl;
	char *l4 = (char *)ip + ihl;

	if (ip->next_proto_id == IPPROTO_TCP) {
		struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)l4;

		if (len < sizeof(*t) || (t->data_off >> 4) * 4u < sizeof(*t) ||
		    (t->data_off >> 4) * 4u > len)
			return false;
		*v = (struct l4_view){ &t->src_port, &t->dst_port, &t->cksum,
				       t->tcp_flags, false };
		return true;
	}
	if (ip->next_proto_id == IPPROTO_UDP) {
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)l4;

		if (len < sizeof(*u) || rte_be_to_cpu_16(u->dgram_len) < sizeof(*u))
			return false;
		*v = (struct l4_view){ &u->src_port, &u->dst_port,
				       u->dgram_cksum ? &u->dgram_cksum : NULL,
				       0, true };
		return true;
	}
	return false;
}

static inline void
key_from_packet(const struct rte_ipv4_hdr *ip, const struct l4_view *v,
		struct conn_key4 *k)
{
	*k = (struct conn_key4){
		.src_addr = ip->src_addr,
		.dst_addr = ip->dst_addr,
		.src_port = *v->sport,
		.dst_port = *v->dport,
		.proto = ip->next_proto_id,
	};
}

/*
 * Rewrite addresses and ports, updating both checksums incrementally
 * with one sum of the changes.  The two ports are adjacent in TCP, UDP
 * and the quoted headers of ICMP errors, so they change as one word.
 */
static __rte_always_inline void
rewrite4(struct rte_ipv4_hdr *ip, struct l4_view *v, rte_be32_t saddr,
	 rte_be16_t sport, rte_be32_t daddr, rte_be16_t dport)
{
	uint64_t diff = csum_diff32(ip->src_addr, saddr) +
			csum_diff32(ip->dst_addr, daddr);
	uint32_t oports, nports;
	uint16_t ck;

	RTE_BUILD_BUG_ON(offsetof(struct rte_tcp_hdr, dst_port) != 2 ||
			 offsetof(struct rte_udp_hdr, dst_port) != 2);
	ip->hdr_checksum = csum_apply(ip->hdr_checksum, diff);
	ip->src_addr = saddr;
	ip->dst_addr = daddr;
	memcpy(&oports, v->sport, sizeof(oports));
	*v->sport = sport;
	*v->dport = dport;
	if (v->cksum == NULL)
		return;
	memcpy(&nports, v->sport, sizeof(nports));
	ck = csum_apply(*v->cksum, diff + csum_diff32(oports, nports));
	/* In UDP a zero checksum means "none": send ~0 instead. */
	*v->cksum = (v->udp && ck == 0) ? 0xffff : ck;
}

static bool
state_is_active(const struct conn *c)
{
	return c->proto == IPPROTO_TCP && tcp_state_is_active(c->state);
}

/*
 * Connection thresholds, as ipvsadm -x/-y: at u_threshold connections a
 * dest is overloaded (schedulers skip it) until it falls below
 * l_threshold, or 3/4 of u_threshold when no lower one is set.
 */
static void
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

/* Move c to a new state, keeping the real server's active/inactive
 * counts. */
static __rte_noinline void
lb_set_state(struct dp_worker *w, struct conn *c, uint8_t state)
{
	bool was = state_is_active(c);

	conn_set_state(w->conns, c, state, w->now_ms);
	if (was == state_is_active(c))
		return;
	lb_dest_conn_count(conn_priv(c)->dest, w->id, was ? -1 : 1,
			   was ? 1 : -1);
}

/* Most packets leave the state as it is: then this is a table read. */
static __rte_always_inline void
lb_follow_state(struct dp_worker *w, struct conn *c, const struct l4_view *v,
		enum conn_dir dir)
{
	uint8_t next = v->udp ? udp_state_next(c->state, dir) :
				tcp_state_next(c->state, dir, v->flags);

	if (unlikely(next != c->state))
		lb_set_state(w, c, next);
}

static bool
is_template(const struct conn *c)
{
	return c->flags & LB_CONN_F_TEMPLATE;
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
static void
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
 * A free local port on one of the group's addresses, in this worker's
 * slice: a port is free when no connection to the same real server
 * uses it, so each LIP offers its slice once per server.
 */
static bool
lb_pick_lport(struct dp_ctx *dp, struct dp_worker *w,
	      const struct lb_laddr_snap *g, struct conn_key4 *out)
{
	uint16_t lo, hi;
	unsigned int try, span;
	bool reply;

	if (g == NULL || g->n == 0 ||
	    laddr_port_range(g, w->id, dp->n_workers, &lo, &hi) != 0)
		return false;
	span = (unsigned int)(hi - lo) + 1;
	for (try = 0; try < 32; try++) {
		uint32_t seq = w->lport_seq++;

		out->dst_addr = g->addrs[seq % g->n].v4.s_addr;
		out->dst_port = rte_cpu_to_be_16(
			(uint16_t)(lo + (seq / g->n) % span));
		if (conn_lookup4(w->conns, out, &reply) == NULL)
			return true;
	}
	return false;
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
static void
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
static struct conn *
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
	t->dest_id = d->dest->id;
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

static __rte_noinline struct conn *
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
	c->fwd = d->fwd;
	c->svc_id = svc->id;
	c->dest_id = d->dest->id;
	*conn_priv(c) = (struct lb_conn_priv){ .dest = d->dest,
					       .daddr = d->addr.v4.s_addr };
	if (tmpl != NULL) {
		conn_priv(c)->tmpl = conn_ref(w->conns, tmpl);
		conn_priv(tmpl)->n_control++;
	}
	lb_dest_hold(d->dest);
	lb_dest_conn_count(d->dest, w->id, 0, 1);
	dest_check_overload(d->dest);
	svc->svc->pcpu[w->id].st.conns++;
	d->dest->pcpu[w->id].st.conns++;
	w->stats.conns_new++;
	if (conn_count(w->conns) > w->stats.conns_peak)
		w->stats.conns_peak = conn_count(w->conns);
	return c;
}

static __rte_always_inline void
count(struct lb_stats *st, bool in, const struct rte_mbuf *m)
{
	if (in) {
		st->inpkts++;
		st->inbytes += rte_pktmbuf_pkt_len(m);
	} else {
		st->outpkts++;
		st->outbytes += rte_pktmbuf_pkt_len(m);
	}
}

static __rte_always_inline void
lb_count(struct dp_worker *w, const struct lb_svc_snap *svc, struct conn *c,
	 bool in, const struct rte_mbuf *m)
{
	struct lb_dest *d = conn_priv(c)->dest;

	count(&d->pcpu[w->id].st, in, m);
	if (svc != NULL)
		count(&svc->svc->pcpu[w->id].st, in, m);
	else
		count(&d->svc->pcpu[w->id].st, in, m);
}

/* IP-in-IP toward the real server (RFC 2003). */
static void
lb_tunnel_xmit(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	       rte_be32_t daddr)
{
	const struct route_slot *r = route_lookup(&dp->routes, daddr);
	struct rte_ipv4_hdr *inner, *outer;
	struct rte_ether_hdr *eth;
	const struct dp_port *p;

	if (r == NULL || r->type == ROUTE_LOCAL) {
		dp_drop(w, m, DROP_NO_ROUTE);
		return;
	}
	p = &dp->ports[r->port];
	eth = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, sizeof(*outer));
	if (eth == NULL || p->n_addrs == 0) {
		dp_drop(w, m, eth == NULL ? DROP_NO_MBUF : DROP_NO_ROUTE);
		return;
	}
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	outer = (struct rte_ipv4_hdr *)(eth + 1);
	inner = outer + 1;
	*outer = (struct rte_ipv4_hdr){
		.version_ihl = 0x45,
		.type_of_service = inner->type_of_service,
		.total_length = rte_cpu_to_be_16(
			rte_be_to_cpu_16(inner->total_length) + sizeof(*outer)),
		/* RFC 6864: ids must vary where DF is clear; the inner
		 * datagram's do, and cost nothing to copy. */
		.packet_id = inner->packet_id,
		.fragment_offset = inner->fragment_offset &
				   RTE_BE16(RTE_IPV4_HDR_DF_FLAG),
		.time_to_live = 64,
		.next_proto_id = IPPROTO_IPIP,
		.src_addr = p->addrs[0].addr.v4.s_addr,
		.dst_addr = daddr,
	};
	outer->hdr_checksum = csum_compute(outer, sizeof(*outer));
	ipv4_output(dp, w, m, r, daddr);
}

/* Client -> real server, by the connection's forwarding mode. */
static void
lb_xmit_in(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	   struct rte_ipv4_hdr *ip, struct l4_view *v, struct conn *c)
{
	const struct conn_tuple4 *o = &c->tuple[CONN_SIDE_OUT];
	const struct lb_conn_priv *pv = conn_priv(c);

	switch (c->fwd) {
	case LB_FWD_FNAT:
		rewrite4(ip, v, o->dst_addr, o->dst_port, o->src_addr,
			 o->src_port);
		break;
	case LB_FWD_NAT:
		rewrite4(ip, v, ip->src_addr, *v->sport, o->src_addr,
			 o->src_port);
		break;
	case LB_FWD_TUNNEL:
		lb_tunnel_xmit(dp, w, m, pv->daddr);
		return;
	default:		/* DR: only the frame's destination changes */
		break;
	}
	ipv4_send(dp, w, m, c->fwd == LB_FWD_DR ? pv->daddr : ip->dst_addr);
}

/*
 * A connection to a real server that was deleted or set to weight 0, in
 * a service with expire_quiescent: end it now instead of draining.
 * Returns true when the packet was dropped and the connection removed.
 */
static __rte_noinline bool
lb_expire_quiescent_slow(struct dp_worker *w, struct rte_mbuf *m,
			 struct conn *c)
{
	const struct lb_dest *d = conn_priv(c)->dest;

	if (!(d->svc->conf.flags & LB_SVC_F_EXPIRE_QUIESCENT))
		return false;
	lb_conn_release(w, c);
	conn_del(w->conns, c);
	dp_drop(w, m, DROP_DEST_QUIESCENT);
	return true;
}

static __rte_always_inline bool
lb_expire_quiescent(struct dp_worker *w, struct rte_mbuf *m, struct conn *c)
{
	const struct lb_dest *d = conn_priv(c)->dest;

	if (likely(d->conf.weight != 0 && !d->trashed))
		return false;
	return lb_expire_quiescent_slow(w, m, c);
}

/* Real server -> client (FNAT, NAT): back to the VIP's face. */
static void
lb_reply(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	 struct rte_ipv4_hdr *ip, struct l4_view *v, struct conn *c)
{
	const struct conn_tuple4 *i = &c->tuple[CONN_SIDE_IN];

	if (lb_expire_quiescent(w, m, c))
		return;
	lb_follow_state(w, c, v, CONN_DIR_OUTPUT);
	conn_touch(c, w->now_ms);
	lb_count(w, NULL, c, false, m);
	rewrite4(ip, v, i->dst_addr, i->dst_port, i->src_addr, i->src_port);
	ipv4_send(dp, w, m, ip->dst_addr);
}

static void
lb_inbound(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	   struct rte_ipv4_hdr *ip, struct l4_view *v,
	   const struct lb_svc_snap *svc, const struct conn_key4 *key,
	   struct conn *c)
{
	if (unlikely(c != NULL && is_template(c))) {
		/* Source port 0 looks like a template's key: no service
		 * takes it. */
		dp_drop(w, m, DROP_L4_BAD_HEADER);
		return;
	}
	if (c != NULL && !v->udp && tcp_syn_reschedules(c->state, v->flags)) {
		/* A new connection reuses the tuple: no one-second drop. */
		lb_conn_release(w, c);
		conn_del(w->conns, c);
		c = NULL;
	}
	if (c != NULL && lb_expire_quiescent(w, m, c))
		return;
	if (c == NULL) {
		if (!v->udp && !tcp_flags_new_conn(v->flags)) {
			dp_drop(w, m, DROP_NOT_SYN);
			return;
		}
		c = lb_schedule(dp, w, m, key, svc);
		if (c == NULL)
			return;
	}
	lb_follow_state(w, c, v,
			(c->fwd == LB_FWD_DR || c->fwd == LB_FWD_TUNNEL) ?
				CONN_DIR_INPUT_ONLY : CONN_DIR_INPUT);
	conn_touch(c, w->now_ms);
	lb_count(w, svc, c, true, m);
	lb_xmit_in(dp, w, m, ip, v, c);
}

/* Common front: steer to the owner, find the connection. */
static struct conn *
lb_front(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
	 struct rte_mbuf *m, unsigned int owner, const struct conn_key4 *k,
	 bool *is_reply, bool *steered)
{
	*steered = owner != w->id;
	if (*steered) {
		dp_steer(dp, w, owner, port, m);
		return NULL;
	}
	return conn_lookup4(w->conns, k, is_reply);
}

/* The worker that owns a client's traffic to svc: by client address and
 * port, or for a persistent service by the client's net alone, so that
 * its template and connections meet on one worker. */
static unsigned int
lb_svc_owner(const struct lb_svc_snap *svc, rte_be32_t addr, rte_be16_t port,
	     unsigned int n_workers)
{
	if (svc->persistent != 0)
		return steer_by_client(addr & svc->persist_mask, 0, n_workers);
	return steer_by_client(addr, port, n_workers);
}

static rte_be32_t
prefix_mask(unsigned int len)
{
	return rte_cpu_to_be_32(len ? ~0u << (32 - len) : 0);
}

/* Where a NAT connection to client addr:port may live, deduplicated:
 * owners[0] for plain services, then one per netmask of the persistent
 * services with NAT dests.  Returns how many. */
static unsigned int
reply_owners(const struct lb_snap *snap, rte_be32_t addr, rte_be16_t port,
	     unsigned int n_workers, uint8_t *owners)
{
	uint64_t lens = snap->nat_persist_lens;
	unsigned int n = 1, i, o;

	owners[0] = (uint8_t)steer_by_client(addr, port, n_workers);
	while (lens != 0 && n < n_workers) {
		o = steer_by_client(addr & prefix_mask(rte_bsf64(lens)), 0,
				    n_workers);
		lens &= lens - 1;
		for (i = 0; i < n && owners[i] != o; i++)
			;
		if (i == n)
			owners[n++] = (uint8_t)o;
	}
	return n;
}

/*
 * lb_front() for a packet to client addr:port that may be a NAT reply.
 * A reply does not name its service, and a persistent service's
 * connections live with the owner of the client's net, so when such
 * services exist each candidate owner looks in turn and passes the
 * packet on when it misses, the hop number riding in the mbuf.  A
 * packet whose hop does not match (the services changed meanwhile) is
 * looked up here and goes no further.
 */
static struct conn *
lb_reply_front(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
	       struct rte_mbuf *m, const struct lb_snap *snap,
	       const struct conn_key4 *k, bool *is_reply, bool *steered)
{
	uint8_t owners[LB_MAX_WORKERS], *hop;
	unsigned int n;
	struct conn *c;

	if (likely(snap->nat_persist_lens == 0 || dp->n_workers == 1))
		return lb_front(dp, w, port, m,
				steer_by_client(k->dst_addr, k->dst_port,
						dp->n_workers),
				k, is_reply, steered);
	n = reply_owners(snap, k->dst_addr, k->dst_port, dp->n_workers, owners);
	hop = RTE_MBUF_DYNFIELD(m, hop_offset, uint8_t *);
	if (!(m->ol_flags & hop_flag)) {
		m->ol_flags |= hop_flag;
		*hop = 0;
		if (owners[0] != w->id)
			return lb_front(dp, w, port, m, owners[0], k, is_reply,
					steered);
	}
	*steered = false;
	c = conn_lookup4(w->conns, k, is_reply);
	if (c != NULL || *hop + 1u >= n || owners[*hop] != w->id)
		return c;
	++*hop;
	return lb_front(dp, w, port, m, owners[*hop], k, is_reply, steered);
}

/*
 * ICMP errors about a tracked connection (destination unreachable,
 * including fragmentation needed, source quench, time exceeded) go to
 * the other side of the connection, with the quoted packet rewritten to
 * what that side sent and every checksum fixed.
 */
#define ICMP_DEST_UNREACH 3
#define ICMP_SOURCE_QUENCH 4
#define ICMP_TIME_EXCEEDED 11

struct icmp_view {
	struct rte_icmp_hdr *icmp;
	struct rte_ipv4_hdr *inner;
	unsigned int inner_ihl;
	unsigned int icmp_len;		/* ICMP header + data */
	rte_be16_t *sport, *dport;	/* the quoted ports */
	rte_be16_t *l4_cksum;		/* NULL unless quoted (UDP: and non-zero) */
	bool udp;
};

static bool
icmp_error_parse(struct rte_ipv4_hdr *ip, unsigned int ihl,
		 struct icmp_view *v)
{
	unsigned int len = rte_be_to_cpu_16(ip->total_length) - ihl;
	uint16_t *ports;

	v->icmp = (struct rte_icmp_hdr *)((char *)ip + ihl);
	if (len < sizeof(*v->icmp) + sizeof(*v->inner) + 8 ||
	    (v->icmp->icmp_type != ICMP_DEST_UNREACH &&
	     v->icmp->icmp_type != ICMP_SOURCE_QUENCH &&
	     v->icmp->icmp_type != ICMP_TIME_EXCEEDED))
		return false;
	v->inner = (struct rte_ipv4_hdr *)(v->icmp + 1);
	v->inner_ihl = (v->inner->version_ihl & 0x0f) * 4u;
	if (v->inner_ihl < sizeof(*v->inner) ||
	    len < sizeof(*v->icmp) + v->inner_ihl + 8 ||
	    (v->inner->next_proto_id != IPPROTO_TCP &&
	     v->inner->next_proto_id != IPPROTO_UDP))
		return false;
	v->icmp_len = len;
	ports = (uint16_t *)((char *)v->inner + v->inner_ihl);
	v->sport = &ports[0];
	v->dport = &ports[1];
	v->udp = v->inner->next_proto_id == IPPROTO_UDP;
	/*
	 * The L4 checksum is fixed too when the error quotes it (RFC 1812
	 * routers quote more than 8 bytes), so that the client gets back the
	 * segment it sent, byte for byte: the delta of the address and port
	 * rewrite holds however much of the segment is quoted.
	 */
	if (v->udp)
		v->l4_cksum = ports[3] ? &ports[3] : NULL;
	else if (len >= sizeof(*v->icmp) + v->inner_ihl +
			offsetof(struct rte_tcp_hdr, cksum) + 2)
		v->l4_cksum = &((struct rte_tcp_hdr *)ports)->cksum;
	else
		v->l4_cksum = NULL;
	return true;
}

/* The connection the quoted packet belongs to, seen from our side. */
static void
icmp_key(const struct icmp_view *v, struct conn_key4 *k)
{
	*k = (struct conn_key4){
		.src_addr = v->inner->dst_addr,
		.dst_addr = v->inner->src_addr,
		.src_port = *v->dport,
		.dst_port = *v->sport,
		.proto = v->inner->next_proto_id,
	};
}

/* Make the quoted packet read t (src -> dst), fixing its checksums. */
static void
icmp_rewrite_inner(struct icmp_view *v, const struct conn_tuple4 *t)
{
	struct l4_view l4 = {
		.sport = v->sport,
		.dport = v->dport,
		.cksum = v->l4_cksum,
		.udp = v->udp,
	};

	rewrite4(v->inner, &l4, t->src_addr, t->src_port, t->dst_addr,
		 t->dst_port);
}

static void
lb_icmp_forward(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
		struct rte_ipv4_hdr *ip, struct icmp_view *v, struct conn *c,
		bool from_server)
{
	const struct conn_tuple4 *in = &c->tuple[CONN_SIDE_IN];
	const struct conn_tuple4 *out = &c->tuple[CONN_SIDE_OUT];
	rte_be32_t osrc = ip->src_addr, odst;

	if (from_server) {
		/* About a packet we sent to the server: tell the client. */
		icmp_rewrite_inner(v, in);
		odst = in->src_addr;
		if (c->fwd == LB_FWD_FNAT)
			osrc = in->dst_addr;
	} else {
		/* About a packet we sent to the client: tell the server. */
		icmp_rewrite_inner(v, out);
		odst = out->src_addr;
		if (c->fwd == LB_FWD_FNAT)
			osrc = out->dst_addr;
	}
	ip->hdr_checksum = csum_update32(ip->hdr_checksum, ip->src_addr, osrc);
	ip->hdr_checksum = csum_update32(ip->hdr_checksum, ip->dst_addr, odst);
	ip->src_addr = osrc;
	ip->dst_addr = odst;
	/* Errors are rare and short: recompute rather than track deltas. */
	v->icmp->icmp_cksum = 0;
	v->icmp->icmp_cksum = csum_compute(v->icmp, v->icmp_len);
	w->stats.icmp_related++;
	ipv4_send(dp, w, m, odst);
}

/*
 * An ICMP error to us (local) or through us (transit, NAT).  Returns
 * true when consumed; errors about no connection of ours are left to
 * the caller (the twin, or plain forwarding).
 */
static bool
lb_icmp(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
	struct rte_mbuf *m, struct rte_ipv4_hdr *ip, unsigned int ihl,
	bool transit)
{
	const struct lb_snap *snap = lb_snap_get(dp->lb);
	const struct lb_svc_snap *svc;
	struct icmp_view v;
	struct conn_key4 k;
	struct conn *c;
	bool reply = false, steered;
	unsigned int owner;
	int lp;

	if (!icmp_error_parse(ip, ihl, &v))
		return false;
	icmp_key(&v, &k);
	svc = lb_svc_lookup(snap, k.proto, k.dst_addr, k.dst_port);
	if (svc == NULL && transit) {
		c = lb_reply_front(dp, w, port, m, snap, &k, &reply, &steered);
	} else {
		if (svc != NULL) {
			owner = lb_svc_owner(svc, k.src_addr, k.src_port,
					     dp->n_workers);
		} else {
			lp = laddr_port_owner(rte_be_to_cpu_16(k.dst_port),
					      dp->n_workers);
			if (lp < 0)
				return false;
			owner = (unsigned int)lp;
		}
		c = lb_front(dp, w, port, m, owner, &k, &reply, &steered);
	}
	if (steered)
		return true;
	if (c == NULL || c->fwd == LB_FWD_DR || c->fwd == LB_FWD_TUNNEL ||
	    (!reply && c->flags & CONN_F_NO_OUT)) {
		w->stats.icmp_unrelated++;
		return false;
	}
	conn_touch(c, w->now_ms);
	if (!transit || ipv4_hop(w, m, ip))
		lb_icmp_forward(dp, w, m, ip, &v, c, reply);
	return true;
}

/* A TCP or UDP packet to a local address, its connection looked up
 * (c, reply) by its owner: what lb_input_local() does from there. */
static __rte_always_inline bool
lb_local_act(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	     struct rte_ipv4_hdr *ip, struct l4_view *v,
	     const struct lb_svc_snap *svc, const struct conn_key4 *key,
	     struct conn *c, bool reply)
{
	if (svc != NULL) {
		lb_inbound(dp, w, m, ip, v, svc, key, reply ? NULL : c);
		return true;
	}
	if (c == NULL || !reply)
		return false;
	lb_reply(dp, w, m, ip, v, c);
	return true;
}

/* The same for a transit packet: only a NAT reply is ours. */
static __rte_always_inline bool
lb_transit_act(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	       struct rte_ipv4_hdr *ip, struct l4_view *v, struct conn *c,
	       bool reply)
{
	if (c == NULL || !reply || c->fwd != LB_FWD_NAT)
		return false;
	/* A NAT reply passes through us as through a router. */
	if (ipv4_hop(w, m, ip))
		lb_reply(dp, w, m, ip, v, c);
	return true;
}

/* The owner of a local packet and its service; false when it is not
 * load-balanced traffic (no service, not a full-NAT port). */
static __rte_always_inline bool
lb_local_owner(struct dp_ctx *dp, const struct lb_snap *snap,
	       const struct conn_key4 *key, const struct lb_svc_snap **svc,
	       unsigned int *owner)
{
	int lp;

	*svc = lb_svc_lookup(snap, key->proto, key->dst_addr, key->dst_port);
	if (*svc != NULL) {
		*owner = lb_svc_owner(*svc, key->src_addr, key->src_port,
				      dp->n_workers);
		return true;
	}
	lp = laddr_port_owner(rte_be_to_cpu_16(key->dst_port), dp->n_workers);
	if (lp < 0)
		return false;	/* not a full-NAT port: the twin's */
	*owner = (unsigned int)lp;
	return true;
}

bool
lb_input_local(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
	       struct rte_mbuf *m, struct rte_ipv4_hdr *ip, unsigned int ihl)
{
	const struct lb_snap *snap = lb_snap_get(dp->lb);
	const struct lb_svc_snap *svc;
	struct conn_key4 key;
	struct l4_view v;
	struct conn *c;
	bool reply = false, steered;
	unsigned int owner;

	if (snap == NULL || snap->n_svcs == 0)
		return false;
	if (ip->next_proto_id == IPPROTO_ICMP)
		return lb_icmp(dp, w, port, m, ip, ihl, false);
	if (ip->next_proto_id != IPPROTO_TCP && ip->next_proto_id != IPPROTO_UDP)
		return false;
	if (!l4_parse(ip, ihl, &v)) {
		dp_drop(w, m, DROP_L4_BAD_HEADER);
		return true;
	}
	key_from_packet(ip, &v, &key);
	if (!lb_local_owner(dp, snap, &key, &svc, &owner))
		return false;
	c = lb_front(dp, w, port, m, owner, &key, &reply, &steered);
	if (steered)
		return true;
	return lb_local_act(dp, w, m, ip, &v, svc, &key, c, reply);
}

bool
lb_input_transit(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
		 struct rte_mbuf *m, struct rte_ipv4_hdr *ip, unsigned int ihl)
{
	const struct lb_snap *snap = lb_snap_get(dp->lb);
	struct conn_key4 key;
	struct l4_view v;
	struct conn *c;
	bool reply = false, steered;

	if (snap == NULL || snap->n_svcs == 0)
		return false;
	if (ip->next_proto_id == IPPROTO_ICMP)
		return lb_icmp(dp, w, port, m, ip, ihl, true);
	if ((ip->next_proto_id != IPPROTO_TCP &&
	     ip->next_proto_id != IPPROTO_UDP) || !l4_parse(ip, ihl, &v))
		return false;
	key_from_packet(ip, &v, &key);
	/* A NAT reply goes to the client: the owner hashed its side. */
	c = lb_reply_front(dp, w, port, m, snap, &key, &reply, &steered);
	if (steered)
		return true;
	return lb_transit_act(dp, w, m, ip, &v, c, reply);
}

/* ---- the burst path (lb.h) ---- */

/* What a packet of the burst does once its connection is known. */
enum burst_kind {
	BURST_FULL,	/* l2_input() */
	BURST_HELD,	/* burst_release() with its lookup */
	BURST_STEER,	/* to its owner's ring */
};

struct held {
	struct rte_ipv4_hdr *ip;
	const struct lb_svc_snap *svc;	/* local: the service, or NULL */
	const struct route_slot *r;
	struct l4_view v;
	bool transit;			/* not to a local address */
};

struct burst_state {
	uint8_t kind[LB_BURST_MAX];
	uint8_t arg[LB_BURST_MAX];	/* HELD: its held[] and keys[];
					 * STEER: the owner */
	unsigned int n_held;
	struct held held[LB_BURST_MAX];
	struct conn_key4 keys[LB_BURST_MAX];
	struct conn *conns[LB_BURST_MAX];
	bool reply[LB_BURST_MAX];
};

/*
 * What lb_input_local() and lb_input_transit() do up to the connection
 * lookup, for a TCP or UDP packet; whatever they would not send to
 * lb_local_act() or lb_transit_act() at once (ICMP, bad L4 headers, the
 * multi-worker detour of NAT replies, traffic for the twin) is left to
 * the full path.
 */
static __rte_always_inline void
burst_hold(struct dp_ctx *dp, struct dp_worker *w, const struct lb_snap *snap,
	   struct lb_burst *b, struct burst_state *bs, unsigned int i)
{
	unsigned int j = bs->n_held, owner;
	struct rte_ipv4_hdr *ip = b->ip[i];
	struct held *h = &bs->held[j];
	struct conn_key4 *key = &bs->keys[j];

	bs->kind[i] = BURST_FULL;
	if (b->r[i] == NULL ||
	    (ip->next_proto_id != IPPROTO_TCP &&
	     ip->next_proto_id != IPPROTO_UDP) ||
	    !l4_parse(ip, sizeof(*ip), &h->v))
		return;
	key_from_packet(ip, &h->v, key);
	h->ip = ip;
	h->r = b->r[i];
	h->transit = h->r->type != ROUTE_LOCAL;
	if (h->transit) {
		if (snap->nat_persist_lens != 0 && dp->n_workers > 1)
			return;
		h->svc = NULL;
		owner = steer_by_client(key->dst_addr, key->dst_port,
					dp->n_workers);
	} else if (!lb_local_owner(dp, snap, key, &h->svc, &owner)) {
		return;
	}
	if (owner != w->id) {
		/* held[j] is free again: no lookup here. */
		bs->kind[i] = BURST_STEER;
		bs->arg[i] = (uint8_t)owner;
		return;
	}
	bs->kind[i] = BURST_HELD;
	bs->arg[i] = (uint8_t)j;
	bs->n_held++;
}

/* The rest of a held packet's path with what its key looks up to. */
static __rte_always_inline void
burst_release(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
	      struct rte_mbuf *m, struct held *h, const struct conn_key4 *key,
	      struct conn *c, bool reply)
{
	if (h->transit) {
		if (!lb_transit_act(dp, w, m, h->ip, &h->v, c, reply))
			ipv4_forward(dp, w, m, h->ip, h->r);
	} else if (!lb_local_act(dp, w, m, h->ip, &h->v, h->svc, key, c,
				 reply)) {
		dp_to_twin(dp, w, port, m);
	}
}

void
lb_burst(struct dp_ctx *dp, struct dp_worker *w, struct lb_burst *b)
{
	const struct lb_snap *snap = lb_snap_get(dp->lb);
	struct conn_table *t = w->conns;
	struct burst_state bs;
	unsigned int i, j;
	uint32_t gen;

	if (unlikely(snap == NULL || snap->n_svcs == 0)) {
		for (i = 0; i < b->n; i++)
			l2_input(dp, w, b->port, b->pkts[i]);
		return;
	}
	bs.n_held = 0;
	for (i = 0; i < b->n; i++)
		burst_hold(dp, w, snap, b, &bs, i);
	if (bs.n_held != 0)
		conn_lookup4_bulk(t, bs.keys, bs.n_held, bs.conns, bs.reply);
	/* An earlier packet of the burst may add or remove a connection:
	 * then the answers of the bulk lookup are looked up again. */
	gen = conn_table_gen(t);
	for (i = 0; i < b->n; i++) {
		switch (bs.kind[i]) {
		case BURST_HELD:
			j = bs.arg[i];
			if (unlikely(conn_table_gen(t) != gen))
				bs.conns[j] = conn_lookup4(t, &bs.keys[j],
							   &bs.reply[j]);
			burst_release(dp, w, b->port, b->pkts[i], &bs.held[j],
				      &bs.keys[j], bs.conns[j], bs.reply[j]);
			break;
		case BURST_STEER:
			dp_steer(dp, w, bs.arg[i], b->port, b->pkts[i]);
			break;
		default:
			l2_input(dp, w, b->port, b->pkts[i]);
		}
	}
}
