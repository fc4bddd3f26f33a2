/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * net: the network stack's packet path on a worker (Ethernet, ARP,
 * IPv4, the exception path to the kernel twin and to the main lcore).
 *
 * It never calls up into the load balancer.  A received frame goes
 * through l2_input(), which either ends it (answered, sent, handed to
 * the twin or the main lcore, or dropped with a counted reason) or
 * returns a verdict with the parsed IPv4 header for the caller, the
 * pipeline (core/pipeline.h), to offer to the load balancer:
 *
 *   NET_LOCAL    to one of our addresses and not answered here (ICMP
 *                echo is): the load balancer's, else the twin's
 *                (dp_to_twin());
 *   NET_TRANSIT  to be routed along in->r: the load balancer's (a NAT
 *                reply), else forwarded as a router does (ipv4_forward()).
 *
 * The output half (ipv4_send/ipv4_output/ipv4_hop) serves every stage.
 * No locks, no syscalls, no allocation (except copying an ARP request
 * for learning), no logging.
 */
#ifndef DPLB_NET_H
#define DPLB_NET_H

#include <stdbool.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "core/dp.h"
#include "net/csum.h"
#include "net/route.h"

/** What net/ did with a frame it received (see above). */
enum net_verdict {
	NET_CONSUMED,
	NET_LOCAL,
	NET_TRANSIT,
};

/** The IPv4 packet behind NET_LOCAL or NET_TRANSIT: header checked,
 * Ethernet padding trimmed. */
struct net_ipv4 {
	struct rte_ipv4_hdr *ip;
	unsigned int ihl;		/* header length in bytes */
	const struct route_slot *r;	/* its route */
};

/** A frame received on dplb port `port`. */
enum net_verdict l2_input(struct dp_ctx *dp, struct dp_worker *w,
			  uint16_t port, struct rte_mbuf *m,
			  struct net_ipv4 *in);

/** Hand a packet for a local address to the port's kernel twin. */
void dp_to_twin(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
		struct rte_mbuf *m);

/** Hand a packet to the main lcore (ARP learning, neighbour wait). */
void dp_to_slow(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
		enum slow_kind kind, uint16_t port, rte_be32_t nexthop);

/** Send an IPv4 packet (Ethernet header present) along route r to dst. */
void ipv4_output(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
		 const struct route_slot *r, rte_be32_t dst);
/** Forward a transit packet along its route r as a router does. */
void ipv4_forward(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
		  struct rte_ipv4_hdr *ip, const struct route_slot *r);
/** Route dst and send; dropped as no_route if there is none. */
void ipv4_send(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	       rte_be32_t dst);
/** A router's hop for a packet it forwards: false when its TTL runs out
 * (m dropped as ttl_exceeded), else TTL decremented, checksum fixed. */
bool ipv4_hop(struct dp_worker *w, struct rte_mbuf *m,
	      struct rte_ipv4_hdr *ip);

/* The software check when the port did not check the header. */
static inline bool
net_ipv4_cksum_good(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip)
{
	if (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_GOOD)
		return true;
	return !(m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_BAD) &&
	       csum_verify_ipv4_20(ip);
}

/**
 * The burst path's classification (core/pipeline.c): for a unicast
 * frame to port's MAC with an IPv4 header of 20 bytes that l2_input()
 * accepts whole (lengths, checksum, not a fragment), to a unicast
 * address whose route l2_input() would return as NET_LOCAL or
 * NET_TRANSIT (local, or transit but not a subnet broadcast): the
 * route, with *ipp set and the Ethernet padding trimmed as l2_input()
 * does.  NULL for anything else, untouched: it takes l2_input().
 * ICMP echo requests to us are not excluded: the load balancer passes
 * ICMP back to the full path.
 */
static inline const struct route_slot *
net_ipv4_usual(const struct dp_ctx *dp, uint16_t port, struct rte_mbuf *m,
	       struct rte_ipv4_hdr **ipp)
{
	const struct rte_ether_hdr *eth =
		rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	const struct route_slot *r;
	uint32_t avail, tot;

	*ipp = ip;
	if (unlikely(rte_pktmbuf_data_len(m) <
			     sizeof(*eth) + sizeof(*ip) ||
		     eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
		     !rte_is_same_ether_addr(&eth->dst_addr,
					     &dp->ports[port].mac) ||
		     ip->version_ihl != 0x45))
		return NULL;
	avail = rte_pktmbuf_pkt_len(m) - sizeof(*eth);
	tot = rte_be_to_cpu_16(ip->total_length);
	if (unlikely(tot < sizeof(*ip) || tot > avail ||
		     !net_ipv4_cksum_good(m, ip) ||
		     (ip->fragment_offset &
		      RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) ||
		     (rte_be_to_cpu_32(ip->dst_addr) >> 28) == 0xe ||
		     ip->dst_addr == RTE_BE32(0xffffffff)))
		return NULL;
	r = route_lookup(&dp->routes, ip->dst_addr);
	if (unlikely(r == NULL || (r->type != ROUTE_LOCAL &&
				   route_is_subnet_broadcast(r, ip->dst_addr))))
		return NULL;
	if (tot < avail)
		rte_pktmbuf_trim(m, (uint16_t)(avail - tot));
	return r;
}

#endif /* DPLB_NET_H */
