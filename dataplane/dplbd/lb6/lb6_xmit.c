/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lb6_xmit: how the IPv6 load balancer's packets leave (lb6_priv.h):
 * the route and its MTU (packet too big: IPv6 routers never fragment),
 * the NAT and full-NAT rewrite, the two tunnels of IPv6 services to
 * IPv6 and IPv4 dests and the tunnel of IPv4 services to IPv6 dests,
 * and NAT64 both ways (a client's packet translated to IPv4, a server's
 * answer and its ICMPv4 errors translated back, RFC 7915).
 *
 * No locks, no allocation, no logging per packet.
 */
#include <string.h>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "conn/conn6.h"
#include "core/dp.h"
#include "core/stats.h"
#include "core/tx.h"
#include "lb/lb.h"
#include "lb/lb_priv.h"
#include "lb6_priv.h"
#include "net/net.h"
#include "net/route.h"
#include "net6/frag6.h"
#include "net6/net6.h"
#include "net6/route6.h"
#include "tcp/tcp_edit.h"
#include "xlat/nat64.h"
#include "xlat/xlat.h"

/* Per worker, written by that worker only: the IPv4 identification of
 * the packets this file makes (NAT64, tunnels to IPv4 dests). */
static uint16_t ip_ids[DP_MAX_WORKERS];

uint16_t
lb6_next_ip_id(struct dp_worker *w)
{
	return rte_cpu_to_be_16(ip_ids[w->id]++);
}

/* ---- output ------------------------------------------------------------ */

void
lb6_route_refuse(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
		 struct rte_ipv6_hdr *ip, const struct route6_slot *r,
		 unsigned int grow)
{
	uint16_t mtu;

	if (r == NULL) {
		dp_drop(w, m, DROP_NO_ROUTE);
		return;
	}
	mtu = dp->ports[r->port].tx_mtu;
	icmp6_error(dp, w, m, ip, ICMP6_PACKET_TOO_BIG, 0, mtu - grow);
	dp_drop(w, m, DROP_TOO_BIG);
}

/* TUNNEL to an IPv6 dest: ip6ip6 from the egress port's address. */
void
lb6_tunnel6(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	    struct rte_ipv6_hdr *ip, const uint8_t dst[16])
{
	const struct route6_slot *r = lb6_route(dp, w, m, ip, dst,
						XLAT_IPV6_HDR);
	size_t inner = XLAT_IPV6_HDR + rte_be_to_cpu_16(ip->payload_len);
	uint8_t src[16];
	char *p;

	if (r == NULL)
		return;
	if (unlikely(!net6_port_src(r->port, src))) {
		dp_drop(w, m, DROP_NO_ROUTE);
		return;
	}
	p = rte_pktmbuf_prepend(m, XLAT_IPV6_HDR);
	if (unlikely(p == NULL)) {
		dp_drop(w, m, DROP_NO_MBUF);
		return;
	}
	xlat6_encap((struct rte_ipv6_hdr *)(p + RTE_ETHER_HDR_LEN), src, dst,
		    XLAT_PROTO_IPV6, ip, inner, 64);
	ipv6_output(dp, w, m, r, dst);
}

/* TUNNEL to an IPv4 dest (IPv6 in IPv4, RFC 4213 3.5, as IPVS's mixed
 * tunnels): from the egress port's IPv4 address, DF set. */
void
lb6_tunnel4(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	    struct rte_ipv6_hdr *ip, rte_be32_t dst)
{
	const struct route_slot *r = route_lookup(&dp->routes, dst);
	size_t inner = XLAT_IPV6_HDR + rte_be_to_cpu_16(ip->payload_len);
	rte_be32_t src;
	char *p;

	if (unlikely(r == NULL || r->type == ROUTE_LOCAL)) {
		dp_drop(w, m, DROP_NO_ROUTE);
		return;
	}
	if (unlikely(inner + XLAT_IPV4_HDR > dp->ports[r->port].tx_mtu)) {
		icmp6_error(dp, w, m, ip, ICMP6_PACKET_TOO_BIG, 0,
			    RTE_MAX(dp->ports[r->port].tx_mtu - XLAT_IPV4_HDR,
				    XLAT_IPV6_MIN_MTU));
		dp_drop(w, m, DROP_TOO_BIG);
		return;
	}
	src = __atomic_load_n(&dp->ports[r->port].addr4, __ATOMIC_RELAXED);
	p = src ? rte_pktmbuf_prepend(m, XLAT_IPV4_HDR) : NULL;
	if (unlikely(p == NULL)) {
		dp_drop(w, m, src ? DROP_NO_MBUF : DROP_NO_ROUTE);
		return;
	}
	xlat4_encap6((struct rte_ipv4_hdr *)(p + RTE_ETHER_HDR_LEN), src, dst, ip,
		     inner, 64, lb6_next_ip_id(w));
	((struct rte_ether_hdr *)p)->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ipv4_output(dp, w, m, r, dst);
}

/*
 * TUNNEL of an IPv4 service to an IPv6 dest (IPv4 in IPv6, RFC 2473):
 * the dest's address comes from the dest, the IPv4 entry keeping only 4
 * bytes of it.  Too big for the egress MTU: with DF the client learns
 * MTU - 40 (fragmentation needed from the VIP, RFC 2473 7.2 a); without
 * it the tunnel packet leaves in IPv6 fragments (7.2 b), which the far
 * end reassembles before decapsulating: the inner packet arrives whole,
 * where IPVS fragments the inner one.
 */
void
lb6_tunnel46(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	     struct rte_ipv4_hdr *ip, struct conn *c)
{
	const uint8_t *dst = conn_priv(c)->dest->conf.addr.v6.s6_addr;
	const struct route6_slot *r = ipv6_route(dp, w, dst);
	uint32_t inner = rte_be_to_cpu_16(ip->total_length);
	uint32_t pad = rte_pktmbuf_pkt_len(m) - RTE_ETHER_HDR_LEN - inner;
	uint8_t src[16];
	uint16_t mtu;
	char *p;

	if (unlikely(r == NULL || !net6_port_src(r->port, src))) {
		dp_drop(w, m, DROP_NO_ROUTE);
		return;
	}
	mtu = dp->ports[r->port].tx_mtu;
	if (unlikely(inner + XLAT_IPV6_HDR > mtu) &&
	    (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_DF_FLAG))) {
		ipv4_too_big(dp, w, m, ip, (uint16_t)(mtu - XLAT_IPV6_HDR),
			     ip->dst_addr);
		return;
	}
	/* a frame's Ethernet padding would trail the outer packet */
	if (unlikely(pad != 0) && rte_pktmbuf_trim(m, (uint16_t)pad) < 0) {
		dp_drop(w, m, DROP_SEGMENTED_HEADER);
		return;
	}
	ip->time_to_live--;
	ip->hdr_checksum = csum_update16(ip->hdr_checksum, RTE_BE16(0x0100), 0);
	p = rte_pktmbuf_prepend(m, XLAT_IPV6_HDR);
	if (unlikely(p == NULL)) {
		dp_drop(w, m, DROP_NO_MBUF);
		return;
	}
	xlat6_encap((struct rte_ipv6_hdr *)(p + RTE_ETHER_HDR_LEN), src, dst,
		    XLAT_PROTO_IPV4, ip, inner, 64);
	((struct rte_ether_hdr *)p)->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
	if (unlikely(inner + XLAT_IPV6_HDR > mtu))
		ipv6_output_frags(dp, w, m, r, dst, mtu);
	else
		ipv6_output(dp, w, m, r, dst);
}

/* ---- NAT64 ------------------------------------------------------------- */

/* A SYN-ACK from an IPv4 server toward an IPv6 client: its MSS lowered
 * by the 20 bytes the IPv6 header adds, so the client's segments fit
 * the links the server's would (checksum recomputed: the option may sit
 * at an odd offset). */
static void
nat64_clamp_mss(struct rte_ipv6_hdr *ip6, uint8_t *l4, uint32_t len)
{
	struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)l4;
	struct tcp_opts o;

	if (!(t->tcp_flags & RTE_TCP_SYN_FLAG) || !tcp_opts_parse(t, &o) ||
	    o.mss <= XLAT_IPV6_HDR - XLAT_IPV4_HDR)
		return;
	if (tcp_mss_clamp(t, &o, o.mss - (XLAT_IPV6_HDR - XLAT_IPV4_HDR)))
		t->cksum = xlat_l4_csum6(ip6->src_addr, ip6->dst_addr,
					 IPPROTO_TCP, l4, len);
}

/* A client packet of a NAT64 connection: translated to IPv4 from the
 * connection's LIP and port (its out key, reversed) and routed. */
void
lb6_nat64_in(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	     struct rte_ipv6_hdr *ip, uint8_t proto, uint16_t l4_off,
	     uint32_t l4_len, const struct conn6_key *out, uint16_t l4_delta)
{
	struct xlat_tuple4 t;
	struct rte_ipv4_hdr *ip4;
	const struct route_slot *r;
	uint32_t total = l4_len + XLAT_IPV4_HDR;
	uint16_t mtu;
	int rc;

	tuple4_back(out, &t);
	r = route_lookup(&dp->routes, t.dst);
	if (unlikely(r == NULL || r->type == ROUTE_LOCAL)) {
		dp_drop(w, m, DROP_NO_ROUTE);
		return;
	}
	mtu = dp->ports[r->port].tx_mtu;
	/* past 1260 bytes the IPv4 packet has DF (nat64.h): the client
	 * learns the IPv4 path's MTU + 20, never below 1280 */
	if (unlikely(total > mtu && total > NAT64_DF_ABOVE)) {
		icmp6_error(dp, w, m, ip, ICMP6_PACKET_TOO_BIG, 0,
			    nat64_mtu_4to6(mtu, (uint16_t)total, NULL));
		dp_drop(w, m, DROP_TOO_BIG);
		return;
	}
	rc = nat64_6to4_by((uint8_t *)ip, l4_off, proto, l4_len, &t,
			   lb6_next_ip_id(w), l4_delta, &ip4);
	if (unlikely(rc < 0)) {
		dp_drop(w, m, DROP_NAT64_UNTRANSLATABLE);
		return;
	}
	rte_pktmbuf_adj(m, (uint16_t)(l4_off - XLAT_IPV4_HDR));
	rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->ether_type =
		RTE_BE16(RTE_ETHER_TYPE_IPV4);
	if (total > mtu)
		ipv4_output_frag(dp, w, m, r, t.dst, mtu);
	else
		ipv4_output(dp, w, m, r, t.dst);
}

enum lb_verdict
lb6_reply4(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	   struct rte_ipv4_hdr *ip, struct l4_view *v,
	   const struct conn_key4 *key)
{
	struct conn6_table *tb = lb6_tables[w->id];
	struct conn6_key k;
	struct conn *c;
	bool reply;

	if (tb == NULL || conn6_count(tb) == 0)
		return LB_PASS;
	conn6_key4(&k, key->src_addr, key->dst_addr, key->src_port,
		   key->dst_port, key->proto);
	c = conn6_lookup(tb, &k, &reply);
	return lb6_reply4_conn(dp, w, m, ip, v, key, c, reply);
}

enum lb_verdict
lb6_reply4_conn(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
		struct rte_ipv4_hdr *ip, struct l4_view *v,
		const struct conn_key4 *key, struct conn *c, bool reply)
{
	struct conn6_table *tb = lb6_tables[w->id];
	unsigned int ihl = (ip->version_ihl & 0xf) * 4u;
	uint32_t l4_len = rte_be_to_cpu_16(ip->total_length) - ihl;
	const struct route6_slot *r;
	struct xlat_tuple6 t;
	struct rte_ipv6_hdr *ip6;

	if (c == NULL || !reply)
		return LB_PASS;
	tuple6_back(conn6_key_of(tb, c, CONN_SIDE_IN), &t);
	r = ipv6_route(dp, w, t.dst);
	if (unlikely(r == NULL)) {
		dp_drop(w, m, DROP_NO_ROUTE);
		return LB_CONSUMED;
	}
	if (unlikely(ip->time_to_live <= 1)) {
		dp_drop(w, m, DROP_TTL_EXCEEDED);
		return LB_CONSUMED;
	}
	if (unlikely(l4_len + XLAT_IPV6_HDR > dp->ports[r->port].tx_mtu)) {
		/* the server learns the IPv6 path's MTU - 20 (with DF;
		 * without it IPv6 would need a fragment header: dropped) */
		if (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_DF_FLAG))
			ipv4_too_big(dp, w, m, ip,
				     nat64_mtu_6to4(dp->ports[r->port].tx_mtu,
						    NULL), ip->dst_addr);
		dp_drop(w, m, DROP_TOO_BIG);
		return LB_CONSUMED;
	}
	lb6_count(w, c, false, l4_len + XLAT_IPV6_HDR);
	lb6_follow(w, c, v, CONN_DIR_OUTPUT);
	ip->time_to_live--;	/* the header is rebuilt: no checksum */
	if (nat64_4to6_by((uint8_t *)ip, ihl + l4_len, &t,
			  csum_delta_back(conn_priv(c)->csum.l4), &ip6) < 0 ||
	    rte_pktmbuf_prepend(m, (uint16_t)(XLAT_IPV6_HDR - ihl)) == NULL) {
		dp_drop(w, m, DROP_NAT64_UNTRANSLATABLE);
		return LB_CONSUMED;
	}
	if (key->proto == IPPROTO_TCP)
		nat64_clamp_mss(ip6, (uint8_t *)(ip6 + 1), l4_len);
	rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->ether_type =
		RTE_BE16(RTE_ETHER_TYPE_IPV6);
	ipv6_output(dp, w, m, r, t.dst);
	return LB_CONSUMED;
}

enum lb_verdict
lb6_icmp4(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	  struct rte_ipv4_hdr *ip, const struct conn_key4 *k)
{
	struct conn6_table *tb = lb6_tables[w->id];
	uint32_t len = rte_be_to_cpu_16(ip->total_length);
	unsigned int ihl = (ip->version_ihl & 0xf) * 4u;
	uint8_t copy[NAT64_ICMP_IN_MAX];
	struct xlat_tuple6 outer, inner;
	const struct route6_slot *r;
	struct nat64_mtus mtus = { 0, 0 };
	struct rte_ipv6_hdr *ip6;
	struct conn6_key key, in;
	struct conn *c;
	size_t room;
	bool reply;
	int n;

	if (tb == NULL || conn6_count(tb) == 0)
		return LB_PASS;
	conn6_key4(&key, k->src_addr, k->dst_addr, k->src_port, k->dst_port,
		   k->proto);
	c = conn6_lookup(tb, &key, &reply);
	if (c == NULL || !reply)
		return LB_PASS;
	if (len > sizeof(copy) || !nat64_icmp_room(m, ip, &room) ||
	    rte_pktmbuf_data_len(m) < len + ((char *)ip - rte_pktmbuf_mtod(m, char *))) {
		dp_drop(w, m, DROP_NAT64_UNTRANSLATABLE);
		return LB_CONSUMED;
	}
	if (!csum_verify((char *)ip + ihl, len - ihl)) {
		dp_drop(w, m, DROP_ICMP_BAD_CHECKSUM);
		return LB_CONSUMED;
	}
	conn6_key_get(tb, c, CONN_SIDE_IN, &in);
	tuple6_back(&in, &outer);		/* VIP -> client */
	memcpy(inner.src, in.src, 16);		/* what the client sent */
	memcpy(inner.dst, in.dst, 16);
	inner.sport = in.sport;
	inner.dport = in.dport;
	r = ipv6_route(dp, w, outer.dst);
	if (unlikely(r == NULL || ip->time_to_live <= 1)) {
		dp_drop(w, m, r == NULL ? DROP_NO_ROUTE : DROP_TTL_EXCEEDED);
		return LB_CONSUMED;
	}
	mtus.v6 = dp->ports[r->port].tx_mtu;
	memcpy(copy, ip, len);
	n = nat64_icmp_4to6(copy, len, (uint8_t *)ip, room, &outer, &inner,
			    &mtus);
	if (n < 0) {
		dp_drop(w, m, DROP_NAT64_UNTRANSLATABLE);
		return LB_CONSUMED;
	}
	ip6 = (struct rte_ipv6_hdr *)ip;
	ip6->hop_limits--;		/* not in the ICMPv6 checksum */
	rte_pktmbuf_data_len(m) = (uint16_t)((char *)ip -
					     rte_pktmbuf_mtod(m, char *) + n);
	rte_pktmbuf_pkt_len(m) = rte_pktmbuf_data_len(m);
	conn_touch(c, w->now_ms);
	w->stats.icmp_related++;
	ipv6_output(dp, w, m, r, outer.dst);
	return LB_CONSUMED;
}
