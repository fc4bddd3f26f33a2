/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lb6_icmp: ICMPv6 errors about the IPv6 load balancer's connections
 * (lb6_icmp6(), lb6_priv.h).
 */
#include <string.h>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "conn/conn6.h"
#include "core/dp.h"
#include "core/stats.h"
#include "core/tx.h"
#include "lb/lb.h"
#include "lb/lb_priv.h"
#include "lb/lb_svc.h"
#include "lb6_priv.h"
#include "net/net.h"
#include "net/route.h"
#include "net6/ip6_parse.h"
#include "net6/net6.h"
#include "net6/route6.h"
#include "xlat/nat64.h"
#include "xlat/xlat.h"

/*
 * An ICMPv6 error (destination unreachable, packet too big, time
 * exceeded, parameter problem) about a packet of a connection goes to
 * the connection's other side, as lb_icmp.c's IPv4 ones: the quoted
 * packet rewritten to what that side sent, from the VIP to the client,
 * from the LIP (full NAT) to a server; one from the client side about
 * a NAT64 connection goes to the IPv4 server as ICMPv4 (RFC 7915 5.2).
 * Extension headers before the ICMPv6 header (walked by net6) and in
 * the quoted packet (walked here with net6's limits, ip6_parse_quoted())
 * stay as they are; only addresses, ports and checksums change.  A
 * quote that is a later fragment or cut before its ports names no
 * connection and goes on as without the load balancer.  NAT64's
 * translation takes no extension headers (nat64_untranslatable).
 * Errors are rare: checksums are recomputed in full.
 */

/* The quoted packet's connection key seen from our side (its reverse),
 * from an error (len bytes at ip) whose ICMPv6 header is at at->icmp_off;
 * the rest of at found by walking the quoted packet's extension headers
 * with net6's limits.  false when it is none. */
static bool
icmp6_quoted_key(const struct rte_ipv6_hdr *ip, uint32_t len,
		 struct xlat_icmp6_at *at, struct conn6_key *k)
{
	const uint8_t *icmp = (const uint8_t *)ip + at->icmp_off;
	const struct rte_ipv6_hdr *q = (const void *)(icmp + 8);
	const rte_be16_t *ports;
	struct ip6_info qi;

	if (len < at->icmp_off + 8u + XLAT_IPV6_HDR + 8 ||
	    !xlat_icmp6_is_error(icmp[0]) ||
	    !ip6_parse_quoted((const uint8_t *)q, len - at->icmp_off - 8, &qi) ||
	    (qi.proto != IPPROTO_TCP && qi.proto != IPPROTO_UDP))
		return false;
	at->quoted_l4_off = qi.l4_off;
	at->quoted_proto = qi.proto;
	ports = (const void *)((const uint8_t *)q + qi.l4_off);
	conn6_key6(k, q->dst_addr, q->src_addr, ports[1], ports[0], qi.proto);
	return true;
}

/* To the IPv4 server of NAT64 connection out: the error translated
 * (RFC 7915 5.2) from its LIP4, about what the server sent. */
static void
lb6_icmp_6to4(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	      struct rte_ipv6_hdr *ip, uint32_t len,
	      const struct conn6_key *out)
{
	uint8_t copy[NAT64_ICMP_IN_MAX];
	struct xlat_tuple4 outer, inner;
	struct nat64_mtus mtus = { 0, 0 };
	const struct route_slot *r;
	size_t room;
	int n;

	tuple4_back(out, &outer);		/* LIP4 -> server */
	inner = (struct xlat_tuple4){ .src = outer.dst, .dst = outer.src,
				      .sport = outer.dport,
				      .dport = outer.sport };
	r = route_lookup(&dp->routes, outer.dst);
	if (unlikely(r == NULL || r->type == ROUTE_LOCAL)) {
		dp_drop(w, m, DROP_NO_ROUTE);
		return;
	}
	mtus.v4 = dp->ports[r->port].tx_mtu;
	if (len > sizeof(copy) || !nat64_icmp_room(m, ip, &room)) {
		dp_drop(w, m, DROP_NAT64_UNTRANSLATABLE);
		return;
	}
	memcpy(copy, ip, len);
	n = nat64_icmp_6to4(copy, len, (uint8_t *)ip, room, &outer, &inner,
			    &mtus, lb6_next_ip_id(w));
	if (n < 0) {
		dp_drop(w, m, DROP_NAT64_UNTRANSLATABLE);
		return;
	}
	rte_pktmbuf_data_len(m) = (uint16_t)((char *)ip -
					     rte_pktmbuf_mtod(m, char *) + n);
	rte_pktmbuf_pkt_len(m) = rte_pktmbuf_data_len(m);
	rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->ether_type =
		RTE_BE16(RTE_ETHER_TYPE_IPV4);
	w->stats.icmp_related++;
	ipv4_output(dp, w, m, r, outer.dst);
}

/* The error (len bytes at ip, whole in the first segment) about c's
 * packet to the server (from_server) or to the client, to the other
 * side. */
static void
lb6_icmp_forward(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
		 struct rte_ipv6_hdr *ip, uint32_t len,
		 const struct xlat_icmp6_at *at, struct conn *c,
		 bool from_server)
{
	struct conn6_table *tb = lb6_tables[w->id];
	struct xlat_tuple6 outer, inner;
	const struct route6_slot *r;
	struct conn6_key in, out;

	conn6_key_get(tb, c, CONN_SIDE_IN, &in);
	if (from_server) {
		/* tell the client, from the VIP, about what it sent */
		tuple6_back(&in, &outer);
		memcpy(inner.src, in.src, 16);
		memcpy(inner.dst, in.dst, 16);
		inner.sport = in.sport;
		inner.dport = in.dport;
	} else {
		/* tell the server about what it sent; from the LIP for
		 * full NAT, NAT keeps the reporter's address */
		conn6_key_get(tb, c, CONN_SIDE_OUT, &out);
		if (out.family == AF_INET) {
			lb6_icmp_6to4(dp, w, m, ip, len, &out);
			return;
		}
		tuple6_back(&out, &outer);
		if (c->fwd != CONN_FWD_FNAT)
			memcpy(outer.src, ip->src_addr, 16);
		memcpy(inner.src, out.src, 16);
		memcpy(inner.dst, out.dst, 16);
		inner.sport = out.sport;
		inner.dport = out.dport;
	}
	r = route6_lookup(&dp->routes6, outer.dst);
	if (unlikely(r == NULL)) {
		dp_drop(w, m, DROP_NO_ROUTE);
		return;
	}
	if (xlat6_icmp_error_rewrite_at(ip, len, at, &outer, &inner) < 0) {
		dp_drop(w, m, DROP_IPV6_BAD_HEADER);
		return;
	}
	w->stats.icmp_related++;
	ipv6_output(dp, w, m, r, outer.dst);
}

/* An ICMPv6 message to us or through us (transit): LB_PASS unless it is
 * an error about one of our connections. */
enum lb_verdict
lb6_icmp6(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
	  struct rte_mbuf *m, struct rte_ipv6_hdr *ip, uint16_t l4_off,
	  bool transit)
{
	const struct lb_snap *snap = lb_snap_get(dp->lb);
	uint32_t len = XLAT_IPV6_HDR + rte_be_to_cpu_16(ip->payload_len);
	const struct lb_svc_snap *svc;
	struct xlat_icmp6_at at = { .icmp_off = l4_off };
	struct conn6_key key;
	struct lb6_hops hops;
	unsigned int owner;
	struct conn *c;
	bool reply;

	if (!icmp6_quoted_key(ip, len, &at, &key))
		return LB_PASS;
	svc = lb_svc_lookup6(snap, key.proto, key.dst, key.dport);
	if (svc == NULL && transit) {
		/* about what a NAT dest received: the client's side owns
		 * it, or its net's for a persistent service (each
		 * candidate in turn, as for the answers) */
		if (lb6_reply_start(dp, w, port, m, snap, key.dst, key.dport,
				    &hops))
			return LB_CONSUMED;
		c = conn6_lookup(lb6_tables[w->id], &key, &reply);
		if (c == NULL && lb6_reply_next(dp, w, port, m, &hops))
			return LB_CONSUMED;
	} else {
		if (!lb6_owner(dp, svc, &key, &owner))
			return LB_PASS;
		if (owner != w->id) {
			dp_steer(dp, w, owner, port, m);
			return LB_CONSUMED;
		}
		c = conn6_lookup(lb6_tables[w->id], &key, &reply);
	}
	if (c == NULL || c->fwd == CONN_FWD_DR || c->fwd == CONN_FWD_TUNNEL)
		return LB_PASS;
	if ((char *)ip - rte_pktmbuf_mtod(m, char *) + len >
	    rte_pktmbuf_data_len(m)) {
		dp_drop(w, m, DROP_SEGMENTED_HEADER);
		return LB_CONSUMED;
	}
	if (icmp6_sum(ip, (uint8_t *)ip + l4_off, len - l4_off) != 0xffff) {
		dp_drop(w, m, DROP_IPV6_ICMP_BAD_CHECKSUM);
		return LB_CONSUMED;
	}
	if (xlat6_hop_dec(ip) < 0) {
		dp_drop(w, m, DROP_IPV6_HOP_LIMIT);
		return LB_CONSUMED;
	}
	conn_touch(c, w->now_ms);
	lb6_icmp_forward(dp, w, m, ip, len, &at, c, reply);
	return LB_CONSUMED;
}
