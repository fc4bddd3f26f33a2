/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lb_icmp: ICMP errors about load-balanced connections (lb_priv.h).
 */
#include <stddef.h>
#include <string.h>

#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "core/tx.h"
#include "lb/lb.h"
#include "lb/lb_svc.h"
#include "net/csum.h"
#include "net/net.h"
#include "net/steer.h"
#include "lb_priv.h"
#include "lb/lb_snat.h"

/*
 * ICMP errors about a tracked connection (destination unreachable,
 * including fragmentation needed, source quench, time exceeded) go to
 * the other side of the connection, with the quoted packet rewritten to
 * what that side sent and every checksum fixed; from the VIP when they
 * go to the client (full NAT and NAT, as IPVS does), from the LIP when
 * they go to a full-NAT server.  An error whose checksum is wrong is
 * dropped (icmp_bad_checksum): ours is computed afresh and would make
 * it right.  An error about no connection that quotes one of the load
 * balancer's endpoints (a service, a LIP's port, a NAT dest) is dropped
 * too (icmp_unrelated): it has no one to go to; any other goes where it
 * would without the load balancer (the twin, plain forwarding).
 */
#define ICMP_PULLUP (RTE_ETHER_HDR_LEN + 60 + sizeof(struct rte_icmp_hdr) + \
		     60 + sizeof(struct rte_tcp_hdr))

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
		 t->dst_port, false);
}

/* Ones' complement sum of the ICMP message of m (every segment). */
static uint16_t
icmp_sum(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip,
	 unsigned int len)
{
	uint32_t off = (uint32_t)((const char *)ip -
				  rte_pktmbuf_mtod(m, const char *)) +
		       (ip->version_ihl & 0x0f) * 4u;
	uint16_t sum;

	if (!csum_raw_mbuf(m, off, len, &sum))
		return 0;
	return sum;
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
		/* About a packet we sent to the server: tell the client,
		 * from the VIP (the server is no one the client knows). */
		icmp_rewrite_inner(v, in);
		odst = in->src_addr;
		/* SNAT: the router that reported is someone the inside
		 * host may know; it keeps its address */
		if (c->fwd != CONN_FWD_SNAT)
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
	/* Errors are rare: recompute (over every segment) rather than
	 * track deltas; icmp_cksum_ok() checked the one that came. */
	v->icmp->icmp_cksum = 0;
	v->icmp->icmp_cksum = ~icmp_sum(m, ip, v->icmp_len);
	w->stats.icmp_related++;
	ipv4_send(dp, w, m, odst);
}

/*
 * An ICMP error to us (local) or through us (transit, NAT).  Errors
 * about no connection of ours are passed back to the caller (the twin,
 * or plain forwarding).
 */
enum lb_verdict
lb_icmp(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
	struct rte_mbuf *m, struct rte_ipv4_hdr *ip, unsigned int ihl,
	bool transit)
{
	const struct lb_snap *snap = lb_snap_get(dp->lb);
	const struct lb_svc_snap *svc;
	struct icmp_view v;
	struct conn_key4 k;
	struct conn *c;
	bool reply = false, steered, ours = true;
	unsigned int owner;
	int lp;

	if (!net_pullup(w, m, ICMP_PULLUP)) {
		dp_drop(w, m, DROP_SEGMENTED_HEADER);
		return LB_CONSUMED;
	}
	if (!icmp_error_parse(ip, ihl, &v))
		return LB_PASS;
	icmp_key(&v, &k);
	svc = lb_svc_lookup(snap, k.proto, k.dst_addr, k.dst_port);
	if (svc == NULL && transit) {
		/* about a packet a NAT dest received */
		ours = lb_snap_has_addr(snap, LB_ADDR_NAT_DEST, k.src_addr,
					k.src_port, k.proto);
		c = lb_reply_front(dp, w, port, m, snap, &k, &reply, &steered);
	} else {
		if (svc != NULL) {
			owner = lb_svc_owner(svc, k.src_addr, k.src_port,
					     dp->n_workers);
		} else {
			lp = steer_lport_owner(rte_be_to_cpu_16(k.dst_port),
					      dp->n_workers);
			/* a LIP's port; or, with SNAT rules, a SNAT
			 * connection's (an address that is no LIP) */
			ours = lb_snap_has_addr(snap, LB_ADDR_LIP, k.dst_addr,
						0, 0);
			if (lp < 0 ||
			    (!ours && lb_snat_get(dp->lb->snat) == NULL))
				return LB_PASS;
			owner = (unsigned int)lp;
		}
		c = lb_front(dp, w, port, m, owner, &k, &reply, &steered);
	}
	if (steered)
		return LB_CONSUMED;
	if (c == NULL && !transit && ours &&	/* a NAT64 connection's? */
	    lb6_icmp4(dp, w, m, ip, &k) == LB_CONSUMED)
		return LB_CONSUMED;
	if (c == NULL) {
		if (!ours)
			return LB_PASS;
		dp_drop(w, m, DROP_ICMP_UNRELATED);
		return LB_CONSUMED;
	}
	if (c->fwd == LB_FWD_DR || c->fwd == LB_FWD_TUNNEL ||
	    (!reply && c->flags & CONN_F_NO_OUT))
		return LB_PASS;
	if (icmp_sum(m, ip, v.icmp_len) != 0xffff) {
		dp_drop(w, m, DROP_ICMP_BAD_CHECKSUM);
		return LB_CONSUMED;
	}
	/* routed on: a hop (an error about an error is never sent); one
	 * to a SNAT address ends here and starts anew toward the inside */
	if ((transit || c->fwd != CONN_FWD_SNAT) && !ipv4_hop(dp, w, m, ip))
		return LB_CONSUMED;
	conn_touch(c, w->now_ms);
	lb_icmp_forward(dp, w, m, ip, &v, c, reply);
	return LB_CONSUMED;
}
