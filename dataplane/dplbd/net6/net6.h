/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * net6: the IPv6 stack's packet path on a worker (validation, Neighbor
 * Discovery, ICMPv6 echo and errors, output, forwarding).
 *
 * Like net/ (net/net.h) it never calls up into the load balancer.
 * l2_input() returns NET_IPV6 for an IPv6 frame to us; the pipeline
 * hands it to ipv6_input(), which ends it (answered: echo, Neighbor
 * Discovery; handed to the twin: multicast, link-local, fragments for
 * us; dropped with a counted reason) or returns a verdict with the
 * parsed packet for the pipeline to offer to the load balancer:
 *
 *   NET6_LOCAL    to one of our addresses and not answered here: the
 *                 load balancer's (lb_input_local6()), else the twin's;
 *   NET6_TRANSIT  to be routed along in->r (NULL: no route): the load
 *                 balancer's (lb_input_transit6(): NAT answers, ICMPv6
 *                 errors about connections), else forwarded
 *                 (ipv6_forward()).
 *
 * No locks, no syscalls, no allocation but the replies' and errors'
 * mbufs, no logging.
 */
#ifndef DPLB_NET6_H
#define DPLB_NET6_H

#include <stdbool.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "core/dp.h"
#include "core/tx.h"
#include "net/csum.h"
#include "net/net.h"
#include "net6/frag6.h"
#include "net6/ip6_parse.h"
#include "net6/neigh6.h"
#include "net6/route6.h"

enum net6_verdict {
	NET6_CONSUMED,
	NET6_LOCAL,
	NET6_TRANSIT,
};

/** The IPv6 packet behind NET6_LOCAL or NET6_TRANSIT: header and
 * extension headers checked and in the first segment, Ethernet padding
 * trimmed. */
struct net_ipv6 {
	struct rte_mbuf *m;
	struct rte_ipv6_hdr *ip;
	uint16_t l4_off;		/* the L4 header, from ip */
	uint8_t proto;			/* the L4 protocol (after the
					 * extension headers); for a
					 * transit fragment
					 * IP6_NH_FRAGMENT: what follows
					 * is not an L4 header to read */
	const struct route6_slot *r;	/* its route; NULL for a transit
					 * packet without one */
};

/** An IPv6 frame to us on port (l2_input()'s NET_IPV6). */
enum net6_verdict ipv6_input(struct dp_ctx *dp, struct dp_worker *w,
			     uint16_t port, struct rte_mbuf *m,
			     struct net_ipv6 *in);

/* Each worker's IPv6 neighbour cache (neigh6.h), by worker id. */
extern struct neigh6_cache net6_nh_cache[DP_MAX_WORKERS];

/* ipv6_output()'s rare exits (ipv6.c): a datagram dplbd reassembled
 * leaves in fragments; a next hop not resolved yet goes to the main
 * lcore. */
void ipv6_output_slow(struct dp_ctx *dp, struct dp_worker *w,
		      struct rte_mbuf *m, const struct route6_slot *r,
		      const uint8_t dst[16]);

/** Send an IPv6 packet (Ethernet header present) along r toward dst:
 * the next hop's MAC from the worker's neighbour cache, else to the
 * main lcore to resolve it.  Inline: every IPv6 packet leaves here, as
 * IPv4's do through ipv4_output(). */
static __rte_always_inline void
ipv6_output(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	    const struct route6_slot *r, const uint8_t dst[16])
{
	const struct rte_ether_addr *mac;
	struct rte_ether_hdr *eth;

	if (unlikely(m->ol_flags & frag6_whole_flag)) {
		ipv6_output_slow(dp, w, m, r, dst);
		return;
	}
	mac = neigh6_cache_get(&dp->neigh, &net6_nh_cache[w->id], r->port,
			       route6_nexthop(r, dst));
	if (unlikely(mac == NULL)) {
		ipv6_output_slow(dp, w, m, r, dst);
		return;
	}
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	eth->dst_addr = *mac;
	eth->src_addr = dp->ports[r->port].mac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
	dp_tx(w, dp->ports[r->port].port_id, m);
}

/** Forward a transit packet as a router does (RFC 8200): forwarding
 * enabled (ip.forward), a route (else destination unreachable), the
 * egress MTU (else packet too big), the hop limit (else time exceeded). */
void ipv6_forward(struct dp_ctx *dp, struct dp_worker *w,
		  const struct net_ipv6 *in);

/* ---- ICMPv6 (icmp6.c) ---- */

#define ICMP6_DST_UNREACH 1
#define ICMP6_PACKET_TOO_BIG 2
#define ICMP6_TIME_EXCEEDED 3
#define ICMP6_PARAM_PROB 4
#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129
#define ND_ROUTER_SOLICIT 133
#define ND_ROUTER_ADVERT 134
#define ND_NEIGHBOR_SOLICIT 135
#define ND_NEIGHBOR_ADVERT 136
#define ND_REDIRECT 137

#define ICMP6_NO_ROUTE 0		/* codes of ICMP6_DST_UNREACH */
#define ICMP6_HOPLIMIT_EXCEEDED 0	/* code of ICMP6_TIME_EXCEEDED */

/**
 * Tell the sender of m (IPv6 header ip, as received) why it was not
 * delivered: an ICMPv6 error of type and code (RFC 4443) with param
 * (the MTU of a packet too big), quoting as much of the packet as keeps
 * the error within the IPv6 minimum MTU (1280), from one of our
 * addresses (ip's destination when it is ours, else the egress port's).
 * Nothing is sent about an ICMPv6 error, to a multicast or unspecified
 * source, for a multicast destination but a packet too big (RFC 4443
 * 2.4 (e)), nor beyond the worker's token bucket (ip.icmp_rate and
 * icmp_burst, shared with IPv4's errors; icmp_ratelimited).  m stays
 * the caller's.
 */
void icmp6_error(struct dp_ctx *dp, struct dp_worker *w,
		 const struct rte_mbuf *m, const struct rte_ipv6_hdr *ip,
		 uint8_t type, uint8_t code, uint32_t param);

/** Answer an echo request to one of our addresses (in place). */
void icmp6_echo_reply(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
		      struct rte_mbuf *m, struct rte_ipv6_hdr *ip,
		      uint16_t l4_off);

/* The sum of the pseudo header of RFC 8200 8.1: ip's addresses, the
 * upper-layer length len and next header proto; not folded. */
static inline uint64_t
ip6_pseudo_sum(const struct rte_ipv6_hdr *ip, uint8_t proto, uint32_t len)
{
	return (uint64_t)csum_raw(ip->src_addr, 32) +
	       rte_cpu_to_be_16((uint16_t)(len >> 16)) +
	       rte_cpu_to_be_16((uint16_t)len) + rte_cpu_to_be_16(proto);
}

/** The ICMPv6 checksum of the len bytes at l4 under ip's addresses
 * (not inverted: 0xffff when a received checksum is right). */
static inline uint16_t
icmp6_sum(const struct rte_ipv6_hdr *ip, const void *l4, uint32_t len)
{
	return csum_fold64(ip6_pseudo_sum(ip, IP6_NH_ICMP6, len) +
			   csum_raw(l4, len));
}

/**
 * The checksum of the TCP or UDP (proto) segment l4_off bytes into the
 * IPv6 packet m (fixed header ip; extension headers between them are
 * fine) is right: by the port's rx flags when it checked it, else in
 * software over the whole segment (mbuf chains too), as
 * net_l4_cksum_ok() for IPv4.  A zero UDP checksum, which IPv6 forbids,
 * is l4_parse6()'s to refuse.
 */
static inline bool
net6_l4_cksum_ok(const struct rte_mbuf *m, const struct rte_ipv6_hdr *ip,
		 uint8_t proto, uint16_t l4_off)
{
	uint64_t f = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
	uint32_t end = sizeof(*ip) + rte_be_to_cpu_16(ip->payload_len);
	const char *l4 = (const char *)ip + l4_off;
	uint16_t data;

	if (f != RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN)
		return f != RTE_MBUF_F_RX_L4_CKSUM_BAD;
	if (unlikely(end < l4_off))
		return false;
	if (likely(m->nb_segs == 1))	/* end: checked against the frame */
		data = csum_raw(l4, end - l4_off);
	else if (!csum_raw_chain(m, (uint32_t)(l4 - rte_pktmbuf_mtod(
						       m, const char *)),
				 end - l4_off, &data))
		return false;
	return csum_fold64(ip6_pseudo_sum(ip, proto, end - l4_off) + data) ==
	       0xffff;
}

/* ---- Neighbor Discovery: the worker half (nd.c) ---- */

/**
 * A Neighbor Discovery message (type 133..137, ICMPv6 checksum right)
 * received on port: checked (RFC 4861 7.1, 6.1), a solicitation for our
 * address answered, what it tells of the sender's MAC handed to the
 * main lcore to learn, and what dplbd does not take (router messages,
 * solicitations for the kernel's addresses) given to the twin.
 */
void nd_input(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
	      struct rte_mbuf *m, struct rte_ipv6_hdr *ip, uint16_t l4_off);

/** A worker's route toward dst, through its memo (route6.h). */
static inline const struct route6_slot *
ipv6_route(struct dp_ctx *dp, struct dp_worker *w, const uint8_t dst[16])
{
	return route6_lookup_memo(&dp->routes6, &w->route6_memo, dst);
}

/**
 * The burst path's classification of IPv6 (lb.c's stage of
 * core/pipeline.c): a unicast frame of one mbuf segment to port's MAC
 * whose IPv6 header ipv6_input() accepts whole, with TCP or UDP right
 * behind it (no extension header), to one of our addresses, from a
 * source ipv6_local() lets through: what the full path hands to
 * lb_input_local6() with l4_off 40.  The header, the Ethernet padding
 * trimmed as ipv6_input() does; NULL for anything else, untouched: it
 * takes the full path.
 */
static inline struct rte_ipv6_hdr *
net_ipv6_usual_local(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
		     struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth =
		rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(eth + 1);
	const struct route6_slot *r;
	uint32_t avail, len;

	if (!net_frame_usual(dp, port, m, eth, RTE_BE16(RTE_ETHER_TYPE_IPV6),
			     sizeof(*ip)) ||
	    (*(const uint8_t *)ip >> 4) != 6 ||
	    (ip->proto != IPPROTO_TCP && ip->proto != IPPROTO_UDP))
		return NULL;
	avail = rte_pktmbuf_pkt_len(m) - sizeof(*eth);
	len = sizeof(*ip) + rte_be_to_cpu_16(ip->payload_len);
	if (len == sizeof(*ip) || len > avail ||
	    ip6_addr_is_multicast(ip->src_addr) ||
	    ip6_src_martian(ip->src_addr) ||
	    ip6_addr_is_unspecified(ip->src_addr))
		return NULL;
	r = ipv6_route(dp, w, ip->dst_addr);
	if (r == NULL || r->type != ROUTE_LOCAL)
		return NULL;
	net_frame_trim(m, len, avail);
	return ip;
}

/** ip is one of our addresses on port (its /128 local route). */
static inline bool
ipv6_is_local_on(const struct dp_ctx *dp, uint16_t port, const uint8_t ip[16])
{
	const struct route6_slot *r = route6_lookup(&dp->routes6, ip);

	return r != NULL && r->type == ROUTE_LOCAL && r->port == port;
}

/**
 * The source of what a worker originates on port (ICMPv6 errors): the
 * port's first IPv6 address, copied into out; false when it has none.
 * Published by netcfg6 as a pair of buffers and an index, so a worker
 * never reads one half-written.
 */
bool net6_port_src(uint16_t port, uint8_t out[16]);

#endif /* DPLB_NET6_H */
