/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipv6: input checks and classification, output and forwarding of
 * IPv6 (net6.h).
 */
#include <rte_ip.h>

#include "core/tx.h"
#include "net/net.h"
#include "net6/frag6.h"
#include "net6/net6.h"

#define ETH_LEN sizeof(struct rte_ether_hdr)
/* What must lie in the first segment: every header up to the L4 one,
 * and the ICMPv6 messages this stack answers. */
#define PULLUP_LEN (ETH_LEN + IP6_HDR_LEN + IP6_EXT_BYTES_MAX + 64)

/* A packet waiting for the next hop's MAC, to the main lcore. */
static void
to_resolve(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	   uint16_t port, const uint8_t nexthop[16])
{
	struct slow_meta *meta = slow_meta(dp, m);

	meta->kind = SLOW_RESOLVE;
	meta->port = port;
	meta->nexthop.family = AF_INET6;
	memcpy(&meta->nexthop.v6, nexthop, 16);
	if (rte_ring_mp_enqueue(dp->slow_ring, m) != 0) {
		dp_drop(w, m, DROP_SLOW_RING_FULL);
		return;
	}
	w->stats.slow_path++;
}

struct neigh6_cache net6_nh_cache[DP_MAX_WORKERS];

void
ipv6_output_slow(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
		 const struct route6_slot *r, const uint8_t dst[16])
{
	const uint8_t *nexthop = route6_nexthop(r, dst);

	if ((m->ol_flags & frag6_whole_flag) &&
	    rte_pktmbuf_pkt_len(m) - ETH_LEN > dp->ports[r->port].tx_mtu) {
		ipv6_output_frags(dp, w, m, r, dst, dp->ports[r->port].tx_mtu);
		return;
	}
	if (neigh6_cache_get(&dp->neigh, &net6_nh_cache[w->id], r->port,
			     nexthop) == NULL) {
		to_resolve(dp, w, m, r->port, nexthop);
		return;
	}
	/* a whole datagram that fits: out as any other */
	m->ol_flags &= ~frag6_whole_flag;
	ipv6_output(dp, w, m, r, dst);
}

void
ipv6_forward(struct dp_ctx *dp, struct dp_worker *w, const struct net_ipv6 *in)
{
	struct rte_ipv6_hdr *ip = in->ip;
	struct rte_mbuf *m = in->m;
	uint32_t len = IP6_HDR_LEN + rte_be_to_cpu_16(ip->payload_len);
	uint16_t mtu;

	if (unlikely(!dp->ip_forward)) {
		dp_drop(w, m, DROP_FORWARD_DISABLED);
		return;
	}
	if (unlikely(in->r == NULL)) {
		icmp6_error(dp, w, m, ip, ICMP6_DST_UNREACH, ICMP6_NO_ROUTE, 0);
		dp_drop(w, m, DROP_NO_ROUTE);
		return;
	}
	/* RFC 4291 2.5.6: a link-local source never leaves its link
	 * (and an error to it would need the link it came from) */
	if (unlikely(ip6_addr_is_linklocal(ip->src_addr))) {
		dp_drop(w, m, DROP_IPV6_MARTIAN_SOURCE);
		return;
	}
	/* RFC 8200 4.5: routers never fragment; the sender learns the
	 * path MTU from us */
	mtu = dp->ports[in->r->port].tx_mtu;
	if (unlikely(len > mtu)) {
		icmp6_error(dp, w, m, ip, ICMP6_PACKET_TOO_BIG, 0, mtu);
		dp_drop(w, m, DROP_TOO_BIG);
		return;
	}
	if (unlikely(ip->hop_limits <= 1)) {
		icmp6_error(dp, w, m, ip, ICMP6_TIME_EXCEEDED,
			    ICMP6_HOPLIMIT_EXCEEDED, 0);
		dp_drop(w, m, DROP_IPV6_HOP_LIMIT);
		return;
	}
	ip->hop_limits--;	/* no header checksum in IPv6 */
	w->stats.forwarded++;
	ipv6_output(dp, w, m, in->r, ip->dst_addr);
}

/* The headers in the first segment; false after dropping m. */
static bool
gather(struct dp_worker *w, struct rte_mbuf *m)
{
	if (likely(m->nb_segs == 1))
		return true;
	if (rte_pktmbuf_linearize(m) == 0) {
		w->stats.linearized++;
		return true;
	}
	if (net_pullup(w, m, PULLUP_LEN))
		return true;
	dp_drop(w, m, DROP_SEGMENTED_HEADER);
	return false;
}

static bool
icmp6_cksum_ok(const struct rte_mbuf *m, const struct rte_ipv6_hdr *ip,
	       const struct ip6_info *pi)
{
	uint32_t len = pi->pkt_len - pi->l4_off;

	/* the message in the first segment (gather()), or no answer */
	if (ETH_LEN + (uint32_t)pi->pkt_len > rte_pktmbuf_data_len(m))
		return false;
	return icmp6_sum(ip, (const uint8_t *)ip + pi->l4_off, len) == 0xffff;
}

/* An ICMPv6 message (its checksum right) to us or to a group we are in:
 * echo and Neighbor Discovery are ours, the rest goes on. */
static enum net6_verdict
icmp6_local(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
	    struct rte_mbuf *m, struct rte_ipv6_hdr *ip,
	    const struct ip6_info *pi, bool unicast)
{
	const uint8_t *type = (const uint8_t *)ip + pi->l4_off;

	if (pi->pkt_len < pi->l4_off + 4u) {
		dp_drop(w, m, DROP_IPV6_BAD_HEADER);
		return NET6_CONSUMED;
	}
	if (*type >= ND_ROUTER_SOLICIT && *type <= ND_REDIRECT) {
		nd_input(dp, w, port, m, ip, pi->l4_off);
		return NET6_CONSUMED;
	}
	if (*type == ICMP6_ECHO_REQUEST && unicast) {
		icmp6_echo_reply(dp, w, port, m, ip, pi->l4_off);
		return NET6_CONSUMED;
	}
	return NET6_LOCAL;
}

/* Not for a unicast address of ours: what the kernel twin owns
 * (multicast groups, link-local addresses). */
static bool
for_the_twin(const struct rte_ipv6_hdr *ip)
{
	return ip6_addr_is_multicast(ip->dst_addr) ||
	       ip6_addr_is_linklocal(ip->dst_addr);
}

/* For one of our addresses, or a group or link-local address of the
 * port. */
static enum net6_verdict
ipv6_local(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
	   struct net_ipv6 *in, const struct ip6_info *pi, bool unicast)
{
	struct rte_mbuf *m = in->m;
	struct rte_ipv6_hdr *ip = in->ip;

	if (pi->frag_off == IP6_HDR_LEN && unicast) {
		/* made whole on its owner worker, then parsed anew (no
		 * Fragment header left: no second turn here) */
		m = ipv6_reassemble(dp, w, port, m, ip);
		return m == NULL ? NET6_CONSUMED : ipv6_input(dp, w, port, m, in);
	}
	if (pi->frag_off != 0) {
		/* other fragments (behind extension headers, to a group):
		 * the kernel twin reassembles them */
		if (dp->ports[port].twin_id == DP_NO_PORT) {
			dp_drop(w, m, DROP_IPV6_FRAGMENT);
			return NET6_CONSUMED;
		}
		w->stats.ipv6_frags_to_twin++;
		dp_to_twin(dp, w, port, m);
		return NET6_CONSUMED;
	}
	if (!ip6_proto_known(pi->proto)) {
		dp_drop(w, m, DROP_IPV6_UNKNOWN_NEXT_HEADER);
		return NET6_CONSUMED;
	}
	if (pi->proto == IP6_NH_ICMP6) {
		if (!icmp6_cksum_ok(m, ip, pi)) {
			dp_drop(w, m, DROP_IPV6_ICMP_BAD_CHECKSUM);
			return NET6_CONSUMED;
		}
		if (icmp6_local(dp, w, port, m, ip, pi, unicast) ==
		    NET6_CONSUMED)
			return NET6_CONSUMED;
	}
	/* Only Neighbor Discovery speaks from the unspecified address
	 * (duplicate address detection). */
	if (ip6_addr_is_unspecified(ip->src_addr)) {
		dp_drop(w, m, DROP_IPV6_MARTIAN_SOURCE);
		return NET6_CONSUMED;
	}
	if (!unicast) {
		dp_to_twin(dp, w, port, m);
		return NET6_CONSUMED;
	}
	return NET6_LOCAL;
}

enum net6_verdict
ipv6_input(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
	   struct rte_mbuf *m, struct net_ipv6 *in)
{
	struct rte_ipv6_hdr *ip;
	struct ip6_info pi;
	uint32_t avail;

	if (!gather(w, m))
		return NET6_CONSUMED;
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, ETH_LEN);
	avail = rte_pktmbuf_pkt_len(m) - ETH_LEN;
	/* the walk reads no further than PULLUP_LEN (gather()) */
	if (!ip6_parse((const uint8_t *)ip, avail, &pi)) {
		dp_drop(w, m, pi.why);
		return NET6_CONSUMED;
	}
	if (avail > pi.pkt_len &&
	    rte_pktmbuf_trim(m, (uint16_t)(avail - pi.pkt_len)) != 0) {
		dp_drop(w, m, DROP_SEGMENTED_HEADER);
		return NET6_CONSUMED;
	}
	in->m = m;
	in->ip = ip;
	in->l4_off = pi.l4_off;
	in->proto = pi.proto;
	in->r = ipv6_route(dp, w, ip->dst_addr);
	if (in->r != NULL && in->r->type == ROUTE_LOCAL)
		return ipv6_local(dp, w, port, in, &pi, true);
	if (for_the_twin(ip))
		return ipv6_local(dp, w, port, in, &pi, false);
	if (ip6_addr_is_unspecified(ip->src_addr)) {
		dp_drop(w, m, DROP_IPV6_MARTIAN_SOURCE);
		return NET6_CONSUMED;
	}
	if (pi.frag_off != 0)
		in->proto = IP6_NH_FRAGMENT;
	return NET6_TRANSIT;
}
