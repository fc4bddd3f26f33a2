/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lb: the load balancer's packet path (lb.h): start and stop, the entry
 * points for a packet and for a burst, the owner of a flow and the
 * detour of NAT replies, and each forwarding mode's transmission.
 * lb_conn.c keeps the connections' life, lb_icmp.c the ICMP errors.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_mbuf_dyn.h>

#include "core/tx.h"
#include "conn/conn.h"
#include "lb/lb.h"
#include "lb/lb_snat.h"
#include "lb/lb_svc.h"
#include "log.h"
#include "net/csum.h"
#include "net/net.h"
#include "net/steer.h"
#include "lb_priv.h"

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
lb_start(struct dp_ctx *dp, char *msg, size_t len)
{
	int ret = hop_field_register();

	if (ret != 0) {
		snprintf(msg, len, "mbuf field for reply steering: %s",
			 strerror(-ret));
		return ret;
	}
	ret = lb_conn_init(dp);
	if (ret == 0)
		ret = lb_lport_init(dp);
	if (ret == 0)
		ret = lb6_init(dp);
	if (ret != 0) {
		snprintf(msg, len, "connection tables: %s", strerror(-ret));
		return ret;
	}
	ret = lb_tcpx_init(dp);
	if (ret != 0) {
		snprintf(msg, len, "edited connections: %s", strerror(-ret));
		return ret;
	}
	ret = lb_sync_init(dp);
	if (ret != 0) {
		snprintf(msg, len, "sync rings: %s", strerror(-ret));
		return ret;
	}
	ret = lb_store_create(&dp->lb, dp->n_workers, dp->qsv);
	if (ret != 0) {
		snprintf(msg, len, "load balancer: %s", strerror(-ret));
		return ret;
	}
	ret = lb_snat_store_create(&dp->lb->snat, dp->n_workers, dp->qsv);
	if (ret != 0) {
		snprintf(msg, len, "SNAT rules: %s", strerror(-ret));
		return ret;
	}
	ret = lb_svc_apply_config(dp->lb, dp->cfg, msg, len);
	if (ret == 0)
		ret = lb_snat_apply_config(dp, msg, len);
	if (ret != 0)
		return ret;
	lb_flow_sync(dp);
	if (dp->cfg->n_services > 0)
		LOG_INFO("%u services, %u laddr groups from the config",
			 dp->cfg->n_services, dp->cfg->n_laddr_groups);
	return 0;
}

void
lb_stop(struct dp_ctx *dp)
{
	if (dp->lb != NULL)
		lb_snat_store_destroy(dp->lb->snat);
	lb_store_destroy(dp->lb);
	dp->lb = NULL;
	lb_lport_save(dp);
	lb_lport_free(dp);
	lb6_free(dp);
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

/* Once, on the dest: its service's counters are its dests' summed
 * (lb_svc_stats()). */
static __rte_always_inline void
lb_count(struct dp_worker *w, struct conn *c, bool in,
	 const struct rte_mbuf *m)
{
	count(&conn_priv(c)->dest->pcpu[w->id].st, in, m);
}

/*
 * Leaving: a load-balanced packet is routed on, so it gets what a router
 * gives it (as IPVS does in every mode): its TTL checked on arrival (a
 * packet with TTL 1 or 0 dies with an ICMP time exceeded and makes no
 * connection) and decremented on the way out, in the checksum update of
 * the rewrite; and the egress MTU.  The route is looked up before the
 * rewrite, so that fragmentation needed quotes the packet as its
 * sender sent it.
 *
 * L4 checksums: a port that checked them says so in the rx flags, and
 * a packet it found wrong is dropped here whatever its connection.
 * Where no port checked them, the software checks the first packet of
 * a connection (the SYN, the first datagram: lb_may_create()) and not
 * the others: every rewrite updates the checksum incrementally (RFC
 * 1624), which keeps a wrong checksum exactly as wrong, so the end host
 * drops a corrupted segment of an established flow as it would have
 * without us, while a pass over every payload would cost each packet
 * per byte.  What must not happen, a bad packet making a connection,
 * cannot.
 */

/* The address of ours a packet of connection c was sent to, the source
 * of the ICMP errors about it: the VIP, or the LIP of a full-NAT reply;
 * a NAT reply only passes through (0: the port's address). */
static inline rte_be32_t
lb_us(const struct conn *c, const struct rte_ipv4_hdr *ip, bool reply)
{
	return !reply || c->fwd == LB_FWD_FNAT ? ip->dst_addr : 0;
}

/* The TTL of a packet routed on without a rewrite: one less. */
static __rte_always_inline void
lb_hop(struct rte_ipv4_hdr *ip)
{
	ip->time_to_live--;
	ip->hdr_checksum = csum_update16(ip->hdr_checksum, RTE_BE16(0x0100), 0);
}

/*
 * m, grow bytes larger (tunnel), exceeds the smallest MTU of the ports:
 * does it fit r's?  0 if it does, 1 when it must leave in fragments, -1
 * after dropping it as it has DF (fragmentation needed sent from our
 * address it was sent to, lb_us()).
 */
static __rte_noinline int
lb_fits(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	const struct rte_ipv4_hdr *ip, const struct route_slot *r,
	unsigned int grow, const struct conn *c, bool reply)
{
	uint16_t mtu = dp->ports[r->port].tx_mtu;

	if (rte_pktmbuf_pkt_len(m) - RTE_ETHER_HDR_LEN + grow <= mtu)
		return 0;
	if (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_DF_FLAG)) {
		ipv4_too_big(dp, w, m, ip, (uint16_t)(mtu - grow),
			     lb_us(c, ip, reply));
		return -1;
	}
	return 1;
}

/*
 * The route r (route_lookup()'s answer) for m (of connection c, a reply
 * or not), which will leave grow bytes larger (tunnel).  NULL after
 * dropping m: no route, or too big (lb_fits()).  *frag: it must leave
 * in fragments (lb_output()).
 */
static __rte_always_inline const struct route_slot *
lb_route(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	 const struct rte_ipv4_hdr *ip, const struct route_slot *r,
	 unsigned int grow, const struct conn *c, bool reply, bool *frag)
{
	if (unlikely(r == NULL || r->type == ROUTE_LOCAL)) {
		dp_drop(w, m, DROP_NO_ROUTE);
		return NULL;
	}
	*frag = false;
	if (unlikely(rte_pktmbuf_pkt_len(m) + grow > dp->tx_frame_max)) {
		int fit = lb_fits(dp, w, m, ip, r, grow, c, reply);

		if (fit < 0)
			return NULL;
		*frag = fit;
	}
	return r;
}

/*
 * The route toward c's real server, dst: a client's packets all go
 * there, so the worker keeps the answer in the dest's block of its own
 * until the route table changes (struct route_table's gen), one compare
 * instead of a longest-prefix match per packet.
 */
static __rte_always_inline const struct route_slot *
lb_dest_route(struct dp_ctx *dp, struct dp_worker *w, const struct conn *c,
	      rte_be32_t dst)
{
	struct lb_dest_pcpu *pc = &conn_priv((struct conn *)c)->dest->pcpu[w->id];
	uint32_t gen = route_gen(&dp->routes);

	if (likely(pc->route_gen == gen && pc->route_dst == dst))
		return pc->route;
	pc->route = route_lookup(&dp->routes, dst);
	pc->route_dst = dst;
	pc->route_gen = gen;
	return pc->route;
}

static __rte_always_inline void
lb_output(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	  const struct route_slot *r, rte_be32_t dst, bool frag)
{
	if (likely(!frag))
		ipv4_output(dp, w, m, r, dst);
	else
		ipv4_output_frag(dp, w, m, r, dst, dp->ports[r->port].tx_mtu);
}

/* IP-in-IP toward the real server (RFC 2003), along r. */
static void
lb_tunnel_xmit(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	       const struct route_slot *r, rte_be32_t daddr, bool frag)
{
	rte_be32_t src = __atomic_load_n(&dp->ports[r->port].addr4,
					 __ATOMIC_RELAXED);
	struct rte_ipv4_hdr *inner, *outer;
	struct rte_ether_hdr *eth;

	eth = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, sizeof(*outer));
	if (eth == NULL || src == 0) {
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
		.src_addr = src,
		.dst_addr = daddr,
	};
	outer->hdr_checksum = csum_compute(outer, sizeof(*outer));
	lb_output(dp, w, m, r, daddr, frag);
}

/* Client -> real server, by the connection's forwarding mode. */
static __rte_always_inline void
lb_xmit_in(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	   struct rte_ipv4_hdr *ip, struct l4_view *v, struct conn *c)
{
	const struct conn_tuple4 *o = &c->tuple[CONN_SIDE_OUT];
	rte_be32_t dst;		/* the real server */
	const struct route_slot *r;
	bool frag;

	/* grow: a constant per mode, so the usual MTU test is one compare */
#define LB_ROUTE(grow)							\
	do {								\
		r = lb_route(dp, w, m, ip, lb_dest_route(dp, w, c, dst), \
			     (grow), c, false, &frag);			\
		if (r == NULL)						\
			return;						\
	} while (0)
	switch (c->fwd) {
	case LB_FWD_FNAT:
		if (unlikely(c->flags & LB_CONN_F_TCPX) &&
		    !lb_tcpx_in(w, m, &ip, v, c))
			return;
		dst = o->src_addr;
		LB_ROUTE(0);
		rewrite4_conn_in(ip, v, c, o->dst_addr, o->dst_port, true);
		break;
	case LB_FWD_NAT:
		dst = o->src_addr;
		LB_ROUTE(0);
		rewrite4_conn_in(ip, v, c, ip->src_addr, *v->sport, true);
		break;
	case LB_FWD_TUNNEL:
		dst = conn_priv(c)->daddr;
		if (unlikely(conn_priv(c)->dest->conf.addr.family == AF_INET6)) {
			lb6_tunnel46(dp, w, m, ip, c);	/* IPv4 in IPv6 */
			return;
		}
		LB_ROUTE(sizeof(struct rte_ipv4_hdr));
		lb_hop(ip);
		lb_tunnel_xmit(dp, w, m, r, dst, frag);
		return;
	default:		/* DR: only the frame's destination changes */
		dst = conn_priv(c)->daddr;
		LB_ROUTE(0);
		lb_hop(ip);
		break;
	}
#undef LB_ROUTE
	lb_output(dp, w, m, r, dst, frag);
}

__rte_noinline void
lb_xmit_in_ext(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	       struct rte_ipv4_hdr *ip, struct l4_view *v, struct conn *c)
{
	lb_xmit_in(dp, w, m, ip, v, c);
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
static __rte_always_inline void
lb_reply(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	 struct rte_ipv4_hdr *ip, struct l4_view *v, struct conn *c)
{
	const struct conn_tuple4 *i = &c->tuple[CONN_SIDE_IN];
	const struct route_slot *r;
	bool frag;

	if (unlikely(ip->time_to_live <= 1)) {
		ipv4_ttl_exceeded(dp, w, m, ip, lb_us(c, ip, true));
		return;
	}
	if (unlikely(net_l4_cksum_flag_maybe_bad(m)) &&
	    net_l4_cksum_flag_bad(m)) {
		dp_drop(w, m, DROP_L4_BAD_CHECKSUM);
		return;
	}
	if (lb_expire_quiescent(w, m, c))
		return;
	r = lb_route(dp, w, m, ip, route_lookup(&dp->routes, i->src_addr), 0,
		     c, true, &frag);
	if (r == NULL)
		return;
	lb_follow_state(w, c, v, CONN_DIR_OUTPUT);
	conn_touch(c, w->now_ms);
	lb_count(w, c, false, m);
	if (unlikely(c->flags & LB_CONN_F_TCPX) &&
	    !lb_tcpx_out(dp, w, m, ip, v, c))
		return;
	rewrite4_conn_out(ip, v, c, true);
	lb_output(dp, w, m, r, i->src_addr, frag);
}

/*
 * What must hold of the packet that makes a connection, beyond its
 * flags: a source that may send (not martian, not one of our addresses,
 * the VIP included) and a right L4 checksum, from the port's flags or
 * checked here.  false after dropping m.
 */
static __rte_noinline bool
lb_may_create(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	      const struct rte_ipv4_hdr *ip, const struct l4_view *v)
{
	if (ipv4_src_bogus(dp, ip->src_addr)) {
		dp_drop(w, m, DROP_MARTIAN_SOURCE);
		return false;
	}
	if (!net_l4_cksum_ok(m, ip,
			     (unsigned int)((const char *)v->sport -
					    (const char *)ip))) {
		dp_drop(w, m, DROP_L4_BAD_CHECKSUM);
		return false;
	}
	return true;
}

static __rte_always_inline void
lb_inbound(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	   struct rte_ipv4_hdr *ip, struct l4_view *v,
	   const struct lb_svc_snap *svc, const struct conn_key4 *key,
	   const struct conn_loc *loc, struct conn *c)
{
	if (unlikely(c != NULL && is_template(c))) {
		/* Source port 0 looks like a template's key: no service
		 * takes it. */
		dp_drop(w, m, DROP_L4_BAD_HEADER);
		return;
	}
	if (unlikely(ip->time_to_live <= 1)) {
		ipv4_ttl_exceeded(dp, w, m, ip, ip->dst_addr);
		return;
	}
	if (unlikely(net_l4_cksum_flag_maybe_bad(m)) &&
	    net_l4_cksum_flag_bad(m)) {
		dp_drop(w, m, DROP_L4_BAD_CHECKSUM);
		return;
	}
	if (c == NULL) {
		if (unlikely(svc->flags & LB_SVC_F_SYN_PROXY)) {
			lb_synproxy_in(dp, w, m, ip, v, svc, key);
			return;
		}
		if (!v->udp && !tcp_flags_new_conn(v->flags)) {
			dp_drop(w, m, DROP_NOT_SYN);
			return;
		}
		if (!lb_may_create(dp, w, m, ip, v))
			return;
	} else if (!v->udp && tcp_syn_reschedules(c->state, v->flags)) {
		/* A new connection reuses the tuple: no one-second drop. */
		if (!lb_may_create(dp, w, m, ip, v))
			return;
		lb_conn_release(w, c);
		conn_del(w->conns, c);
		c = NULL;
	} else if (lb_expire_quiescent(w, m, c)) {
		return;
	}
	if (c == NULL) {
		/* a pure SYN: NONE -> SYN_RECV on either direction */
		c = lb_schedule(dp, w, m, key, loc, svc, TCP_S_SYN_RECV);
		if (c == NULL)
			return;
		if (unlikely(svc->flags & LB_SVC_F_TCPX)) {
			if (!v->udp)
				lb_tcpx_start(w, c, svc, v);
			else if ((ip = lb_ppudp_first(dp, w, m, ip, v, c)) ==
				 NULL)
				return;
		}
	}
	lb_follow_state(w, c, v,
			(c->fwd == LB_FWD_DR || c->fwd == LB_FWD_TUNNEL) ?
				CONN_DIR_INPUT_ONLY : CONN_DIR_INPUT);
	conn_touch(c, w->now_ms);
	lb_sync_in(w, c);
	lb_count(w, c, true, m);
	lb_xmit_in(dp, w, m, ip, v, c);
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

uint8_t *
lb_reply_hop(struct rte_mbuf *m, bool *fresh)
{
	uint8_t *hop = RTE_MBUF_DYNFIELD(m, hop_offset, uint8_t *);

	*fresh = !(m->ol_flags & hop_flag);
	if (*fresh) {
		m->ol_flags |= hop_flag;
		*hop = 0;
	}
	return hop;
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
struct conn *
lb_reply_front(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
	       struct rte_mbuf *m, const struct lb_snap *snap,
	       const struct conn_key4 *k, bool *is_reply, bool *steered)
{
	uint8_t owners[LB_MAX_WORKERS], *hop;
	unsigned int n;
	struct conn *c;
	bool fresh;

	if (likely(snap->nat_persist_lens == 0 || dp->n_workers == 1))
		return lb_front(dp, w, port, m,
				steer_by_client(k->dst_addr, k->dst_port,
						dp->n_workers),
				k, is_reply, steered);
	n = reply_owners(snap, k->dst_addr, k->dst_port, dp->n_workers, owners);
	hop = lb_reply_hop(m, &fresh);
	if (fresh) {
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

/* A TCP or UDP packet to a local address, its connection looked up
 * (c, reply) by its owner: what lb_input_local() does from there.  loc:
 * key's place in w's table, NULL when the caller has none. */
static __rte_always_inline enum lb_verdict
lb_local_act(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	     struct rte_ipv4_hdr *ip, struct l4_view *v,
	     const struct lb_svc_snap *svc, const struct conn_key4 *key,
	     const struct conn_loc *loc, struct conn *c, bool reply)
{
	if (svc != NULL && lb_svc_takes(svc, c, reply, v)) {
		lb_inbound(dp, w, m, ip, v, svc, key, loc, reply ? NULL : c);
		return LB_CONSUMED;
	}
	if (c == NULL)	/* a NAT64 answer to an IPv4 LIP? (lb6.c) */
		return lb6_reply4(dp, w, m, ip, v, key);
	if (!reply)
		return LB_PASS;
	if (unlikely(c->fwd == CONN_FWD_SNAT))
		lb_snat_in(dp, w, m, ip, v, c);
	else
		lb_reply(dp, w, m, ip, v, c);
	return LB_CONSUMED;
}

/* Whether the load balancer has anything to do: services or SNAT. */
static __rte_always_inline bool
lb_idle(const struct dp_ctx *dp, const struct lb_snap *snap)
{
	return (snap == NULL || (snap->n_svcs == 0 && snap->n_svcs6 == 0)) &&
	       lb_snat_get(dp->lb->snat) == NULL;
}

/* The same for a transit packet: only a NAT reply is ours. */
static __rte_always_inline enum lb_verdict
lb_transit_act(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	       struct rte_ipv4_hdr *ip, struct l4_view *v, struct conn *c,
	       bool reply)
{
	if (c == NULL || !reply || c->fwd != LB_FWD_NAT)
		return LB_PASS;
	/* A NAT reply passes through us as through a router. */
	lb_reply(dp, w, m, ip, v, c);
	return LB_CONSUMED;
}

/*
 * The last service lookup of a burst: packets in a row to the same
 * VIP:port (the usual client burst) look it up once.  k is 0 before
 * the first: no held packet has protocol 0.
 */
struct svc_memo {
	uint64_t k;
	const struct lb_svc_snap *svc;
};

static __rte_always_inline const struct lb_svc_snap *
svc_memo_lookup(struct svc_memo *memo, const struct lb_snap *snap,
		const struct conn_key4 *key)
{
	uint64_t k;

	if (lb_snap_port_free(snap, key->dst_port))
		return NULL;	/* a full-NAT reply, usually */
	k = (uint64_t)key->dst_addr << 32 | (uint32_t)key->dst_port << 8 |
	    key->proto;
	if (k != memo->k) {
		memo->k = k;
		memo->svc = lb_svc_lookup(snap, key->proto, key->dst_addr,
					  key->dst_port);
	}
	return memo->svc;
}

/* The owner of a local packet and its service; false when it is not
 * load-balanced traffic (no service, not a full-NAT port). */
static __rte_always_inline bool
lb_local_owner(struct dp_ctx *dp, const struct lb_snap *snap,
	       struct svc_memo *memo, const struct conn_key4 *key,
	       const struct lb_svc_snap **svc, unsigned int *owner)
{
	int lp;

	*svc = svc_memo_lookup(memo, snap, key);
	if (dp->n_workers == 1) {	/* the owner of everything */
		*owner = 0;
		return *svc != NULL || rte_be_to_cpu_16(key->dst_port) >=
					       STEER_LPORT_MIN;
	}
	if (*svc != NULL) {
		*owner = lb_svc_owner(*svc, key->src_addr, key->src_port,
				      dp->n_workers);
		return true;
	}
	lp = steer_lport_owner(rte_be_to_cpu_16(key->dst_port), dp->n_workers);
	if (lp < 0)
		return false;	/* not a full-NAT port: the twin's */
	*owner = (unsigned int)lp;
	return true;
}

enum lb_verdict
lb_input_local(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
	       struct rte_mbuf *m, struct rte_ipv4_hdr *ip, unsigned int ihl)
{
	const struct lb_snap *snap = lb_snap_get(dp->lb);
	const struct lb_svc_snap *svc;
	enum drop_reason why;
	struct conn_key4 key;
	struct l4_view v;
	struct conn *c;
	bool reply = false, steered;
	unsigned int owner;

	if (lb_idle(dp, snap))
		return LB_PASS;
	if (ip->next_proto_id == IPPROTO_ICMP) {
		if (lb_snat_get(dp->lb->snat) != NULL &&
		    lb_snat_icmp(dp, w, port, m, ip, ihl, false) == LB_CONSUMED)
			return LB_CONSUMED;
		return lb_icmp(dp, w, port, m, ip, ihl, false);
	}
	if (ip->next_proto_id != IPPROTO_TCP && ip->next_proto_id != IPPROTO_UDP)
		return LB_PASS;
	if (!l4_parse(ip, ihl, &v, &why)) {
		dp_drop(w, m, why);
		return LB_CONSUMED;
	}
	key_from_packet(ip, &v, &key);
	if (!lb_local_owner(dp, snap, &(struct svc_memo){ 0, NULL }, &key,
			    &svc, &owner))
		return LB_PASS;
	c = lb_front(dp, w, port, m, owner, &key, &reply, &steered);
	if (steered)
		return LB_CONSUMED;
	return lb_local_act(dp, w, m, ip, &v, svc, &key, NULL, c, reply);
}

enum lb_verdict
lb_input_transit(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
		 struct rte_mbuf *m, struct rte_ipv4_hdr *ip, unsigned int ihl)
{
	const struct lb_snap *snap = lb_snap_get(dp->lb);
	enum drop_reason why;
	const struct lb_snat_snap *ss = lb_snat_get(dp->lb->snat);
	const struct lb_snat_rule_snap *sr;
	struct conn_key4 key;
	struct l4_view v;
	struct conn *c;
	bool reply = false, steered;

	if (lb_idle(dp, snap))
		return LB_PASS;
	if (ip->next_proto_id == IPPROTO_ICMP) {
		if (ss != NULL &&
		    lb_snat_icmp(dp, w, port, m, ip, ihl, true) == LB_CONSUMED)
			return LB_CONSUMED;
		return lb_icmp(dp, w, port, m, ip, ihl, true);
	}
	if ((ip->next_proto_id != IPPROTO_TCP &&
	     ip->next_proto_id != IPPROTO_UDP) || !l4_parse(ip, ihl, &v, &why))
		return LB_PASS;
	key_from_packet(ip, &v, &key);
	sr = ss == NULL ? NULL : lb_snat_match_route(dp, ss, &key, port);
	if (sr != NULL) {
		c = lb_front(dp, w, port, m,
			     steer_by_client(key.src_addr, key.src_port,
					     dp->n_workers),
			     &key, &reply, &steered);
		if (steered)
			return LB_CONSUMED;
		return lb_snat_out(dp, w, m, ip, &v, sr, &key, c, reply);
	}
	/* A NAT reply goes to the client: the owner hashed its side. */
	c = lb_reply_front(dp, w, port, m, snap, &key, &reply, &steered);
	if (steered)
		return LB_CONSUMED;
	return lb_transit_act(dp, w, m, ip, &v, c, reply);
}

/* ---- the burst path (lb.h) ---- */

/*
 * What lb_input_local() and lb_input_transit() do up to the connection
 * lookup, for a TCP or UDP packet; whatever they would not send to
 * lb_local_act() or lb_transit_act() at once (ICMP, bad L4 headers, the
 * multi-worker detour of NAT replies, traffic for the twin) is left to
 * the full path.
 */
static __rte_always_inline void
burst_hold(struct dp_ctx *dp, struct dp_worker *w, const struct lb_snap *snap,
	   struct svc_memo *memo, struct lb_burst *b, unsigned int i,
	   uint64_t *others)
{
	unsigned int j = b->n_held, owner;
	struct rte_ipv4_hdr *ip = b->ip[i];
	const struct route_slot *r = b->r[i];
	struct lb_held *h = &b->held[j];
	struct conn_key4 *key = &b->keys[j];
	enum burst_kind held = BURST_LOCAL;
	enum drop_reason why;

	b->kind[i] = BURST_FULL;
	if (r == NULL) {
		*others |= 1ULL << i;	/* IPv6, or the full path's */
		return;
	}
	if ((ip->next_proto_id != IPPROTO_TCP &&
	     ip->next_proto_id != IPPROTO_UDP) ||
	    !l4_parse(ip, sizeof(*ip), &h->v, &why))
		return;
	key_from_packet(ip, &h->v, key);
	h->ip = ip;
	if (r->type != ROUTE_LOCAL) {
		held = BURST_TRANSIT;
		if (unlikely(b->snat != NULL) &&
		    (h->snat = lb_snat_match(b->snat, key->proto, key->src_addr,
					     key->dst_addr, b->port,
					     r->port)) != NULL) {
			held = BURST_SNAT;
			owner = steer_by_client(key->src_addr, key->src_port,
						dp->n_workers);
			goto owned;
		}
		if (snap->nat_persist_lens != 0 && dp->n_workers > 1)
			return;
		owner = steer_by_client(key->dst_addr, key->dst_port,
					dp->n_workers);
	} else if (!lb_local_owner(dp, snap, memo, key, &h->svc, &owner)) {
		return;
	}
owned:
	if (owner != w->id) {
		/* held[j] is free again: no lookup here. */
		b->kind[i] = BURST_STEER;
		b->arg[i] = (uint8_t)owner;
		return;
	}
	b->kind[i] = held;
	b->arg[i] = (uint8_t)j;
	b->locs[j] = conn_key_locate(w->conns, key);
	b->n_held++;
}

/*
 * A reply goes back to its client by a route looked up per packet
 * (lb_reply()): with clients from everywhere, a random line of the
 * route table's tbl24 each, one miss at a time in lb_burst_next().  The
 * client's address is known once the connection is: their lines load
 * together here.  (make bench-stages, FNAT at 1M with
 * --clients-everywhere: the finish 145 to 243 TSC cycles a packet
 * without this, 75 to 83 with it, about 50 for clients in one /16.)
 */
static __rte_always_inline void
burst_prefetch_routes(const struct dp_ctx *dp, const struct lb_burst *b)
{
	unsigned int base, j, left;
	uint64_t m;

	/* reply[] 8 flags at a time: a burst without replies (DR, TUNNEL,
	 * the clients' half) costs a load and a test a word */
	RTE_BUILD_BUG_ON(sizeof(b->reply[0]) != 1 || LB_BURST_MAX % 8 != 0);
	for (base = 0; base < b->n_held; base += 8) {
		memcpy(&m, &b->reply[base], sizeof(m));
		left = b->n_held - base;
		if (left < 8)	/* the flags past n_held are not this burst's */
			m &= (1ULL << (left * 8)) - 1;
		for (; m != 0; m &= m - 1) {
			j = base + (unsigned int)__builtin_ctzll(m) / 8;
			/* a reply is a hit: the out key matched */
			route_prefetch(&dp->routes,
				       b->conns[j]->tuple[CONN_SIDE_IN].src_addr);
		}
	}
}

void
lb_burst_lookup(struct dp_ctx *dp, struct dp_worker *w, struct lb_burst *b)
{
	const struct lb_snap *snap = lb_snap_get(dp->lb);
	struct conn_table *t = w->conns;
	struct svc_memo memo = { 0, NULL };
	uint64_t others = 0;	/* packets by bit: not IPv4 usual */
	unsigned int i;

	RTE_BUILD_BUG_ON(LB_BURST_MAX > 64);
	b->n_held = 0;
	b->n_held6 = 0;
	b->n_alt6 = 0;
	b->svc6_pp = 0;
	b->snat = lb_snat_get(dp->lb->snat);
	if (unlikely(lb_idle(dp, snap))) {
		memset(b->kind, BURST_FULL, b->n);
		return;
	}
	for (i = 0; i < b->n; i++)
		burst_hold(dp, w, snap, &memo, b, i, &others);
	/* the packets net_ipv4_usual() left: the IPv6 ones to us held too */
	if (unlikely(others != 0) && snap != NULL && snap->n_svcs6 != 0)
		lb6_burst_hold(dp, w, snap, b, others);
	if (b->n_held != 0) {
		if (conn_lookup4_bulk_located(t, b->keys, b->locs, b->n_held,
					      b->conns, b->reply) != b->n_held)
			lb6_burst_hold4(w, b);	/* NAT64 answers? */
		burst_prefetch_routes(dp, b);
	}
	if (b->n_held6 + b->n_alt6 != 0)
		lb6_burst_lookup(w, b);
	RTE_BUILD_BUG_ON(LB_BURST_MAX > CONN_BULK_MAX);
	/* An earlier packet of the burst may add or remove a connection:
	 * then the answers it may change are looked up again. */
	conn_watch(t);
}

/* The rest of a held packet's path (kind: which) with what its key
 * looks up to. */
static __rte_always_inline enum lb_verdict
burst_release(struct dp_ctx *dp, struct dp_worker *w, struct lb_burst *b,
	      unsigned int i, enum burst_kind kind)
{
	unsigned int j = b->arg[i];
	struct lb_held *h = &b->held[j];
	const struct conn_key4 *key = &b->keys[j];
	bool reply = b->reply[j];
	struct conn *c = b->conns[j];

	if (unlikely(conn_answer_stale(w->conns, &b->locs[j], c)))
		c = conn_lookup4(w->conns, key, &reply);
	if (kind == BURST_LOCAL) {
		/* what lb_local_act() would ask lb6_reply4(), looked up */
		if (unlikely(c == NULL) && h->svc == NULL && b->n_alt6 != 0 &&
		    b->alt6[j] != LB_NO_ALT6)
			return lb6_burst_reply4(dp, w, b, i);
		return lb_local_act(dp, w, b->pkts[i], h->ip, &h->v, h->svc,
				    key, &b->locs[j], c, reply);
	}
	if (kind == BURST_TRANSIT)
		return lb_transit_act(dp, w, b->pkts[i], h->ip, &h->v, c,
				      reply);
	return lb_snat_out(dp, w, b->pkts[i], h->ip, &h->v, h->snat, key, c,
			   reply);
}

enum lb_verdict
lb_burst_next(struct dp_ctx *dp, struct dp_worker *w, struct lb_burst *b,
	      unsigned int *idx)
{
	unsigned int i;

	for (i = *idx; i < b->n; i++) {
		enum burst_kind kind = b->kind[i];

		if (kind >= BURST_LOCAL) {
			if (burst_release(dp, w, b, i, kind) == LB_CONSUMED)
				continue;
			*idx = i;
			return LB_PASS;
		}
		if (kind == BURST_STEER) {
			dp_steer(dp, w, b->arg[i], b->port, b->pkts[i]);
			continue;
		}
		if (kind == BURST_LOCAL6) {
			if (lb6_burst_release(dp, w, b, i) == LB_CONSUMED)
				continue;
			*idx = i;
			return LB_PASS;
		}
		*idx = i;
		return LB_PASS_INPUT;
	}
	*idx = i;
	return LB_END;
}
