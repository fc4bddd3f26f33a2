/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * burst: the receive path of a worker, a burst at a time (pipeline.h).
 *
 * Per packet, l2_input() takes a packet through Ethernet, IPv4 and the
 * load balancer to its end before it looks at the next one, so with a
 * large connection table every packet waits for its own cache misses
 * (hash bucket, then entry).  Here a burst goes in three stages:
 *
 *   1. Ethernet and IPv4 (here): the usual packet (unicast to us, IPv4
 *      without options, valid, not a fragment, routed locally or in
 *      transit) is checked once, the others are marked for the full
 *      path;
 *   2. the load balancer (lb_burst() in lb.c): the TCP and UDP packets
 *      it takes are classified and their connection keys looked up
 *      together (conn_lookup4_bulk()), which prefetches the buckets
 *      and entries of the whole burst so that their misses overlap;
 *   3. in arrival order, each packet is finished: a held one with its
 *      connection, a marked one through l2_input().
 *
 * The checks of stage 1 are those of l2_input() and ipv4_input() for
 * the packets they accept, and everything else takes the full path, so
 * counters, drop reasons and the twin see what they saw before.
 */
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_prefetch.h>

#include "lb/conn.h"
#include "net/csum.h"
#include "lb/lb.h"
#include "lb/lb_svc.h"
#include "core/pipeline.h"
#include "net/steer.h"

#define PREFETCH_AHEAD 3	/* packets whose headers load ahead */
#define ETH_LEN sizeof(struct rte_ether_hdr)

/* The software check ipv4_input() makes when the port did not. */
static inline bool
ipv4_cksum_good(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip)
{
	if (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_GOOD)
		return true;
	return !(m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_BAD) &&
	       csum_verify_ipv4_20(ip);
}

/*
 * A unicast frame to port's MAC with an IPv4 header of 20 bytes that
 * ipv4_input() accepts whole (lengths, checksum, not a fragment), to a
 * unicast address with a route that ipv4_input() hands to the load
 * balancer (local, or transit but not a subnet broadcast): the route,
 * with the Ethernet padding trimmed as ipv4_input() does.  NULL for
 * anything else, untouched.
 */
static inline const struct route_slot *
ipv4_usual(const struct dp_ctx *dp, uint16_t port, struct rte_mbuf *m,
	   struct rte_ipv4_hdr **ipp)
{
	const struct rte_ether_hdr *eth =
		rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	const struct route_slot *r;
	uint32_t avail, tot;

	*ipp = ip;
	if (unlikely(rte_pktmbuf_data_len(m) < ETH_LEN + sizeof(*ip) ||
		     eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
		     !rte_is_same_ether_addr(&eth->dst_addr,
					     &dp->ports[port].mac) ||
		     ip->version_ihl != 0x45))
		return NULL;
	avail = rte_pktmbuf_pkt_len(m) - ETH_LEN;
	tot = rte_be_to_cpu_16(ip->total_length);
	if (unlikely(tot < sizeof(*ip) || tot > avail ||
		     !ipv4_cksum_good(m, ip) ||
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

void
pipeline_rx_burst(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
		  struct rte_mbuf **pkts, uint16_t n)
{
	struct lb_burst b;
	unsigned int base, i;

	b.port = port;
	for (base = 0; base < n; base += b.n) {
		b.n = RTE_MIN((unsigned int)n - base, (unsigned int)LB_BURST_MAX);
		for (i = 0; i < b.n; i++) {
			struct rte_mbuf *m = pkts[base + i];

			if (base + i + PREFETCH_AHEAD < n)
				rte_prefetch0(rte_pktmbuf_mtod(
					pkts[base + i + PREFETCH_AHEAD], void *));
			w->stats.rx_bytes += rte_pktmbuf_pkt_len(m);
			b.pkts[i] = m;
			b.r[i] = ipv4_usual(dp, port, m, &b.ip[i]);
		}
		lb_burst(dp, w, &b);
	}
}
