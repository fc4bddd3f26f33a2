/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nd: Neighbor Discovery (RFC 4861).  The worker half (nd_input(),
 * net6.h) and the main lcore's (nd.h).
 */
#include <rte_ip.h>

#include "core/tx.h"
#include "net/net.h"
#include "net/slowpath.h"
#include "net6/nd.h"
#include "net6/net6.h"

#define ETH_LEN sizeof(struct rte_ether_hdr)
#define ND_HOP_LIMIT 255	/* RFC 4861 7.1: proof of an on-link sender */
#define ND_OPT_SLLA 1
#define ND_OPT_TLLA 2
#define ND_TARGET_OFF 8		/* in an NS or NA */
#define ND_OPTS_OFF 24

static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };

static void
multicast_mac(const uint8_t group[16], struct rte_ether_addr *mac)
{
	mac->addr_bytes[0] = 0x33;
	mac->addr_bytes[1] = 0x33;
	memcpy(mac->addr_bytes + 2, group + 12, 4);
}

void
nd_solicited_node(const uint8_t a[16], uint8_t group[16],
		  struct rte_ether_addr *mac)
{
	static const uint8_t prefix[13] = { 0xff, 0x02, [11] = 1, [12] = 0xff };

	memcpy(group, prefix, 13);
	memcpy(group + 13, a + 13, 3);
	multicast_mac(group, mac);
}

bool
nd_build(struct rte_mbuf *e, uint8_t type, uint32_t flags,
	 const struct rte_ether_addr *smac, const struct rte_ether_addr *dmac,
	 const uint8_t src[16], const uint8_t dst[16], const uint8_t target[16])
{
	struct rte_ether_hdr *eth;
	struct rte_ipv6_hdr *ip;
	uint8_t *icmp;
	uint16_t ck;

	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(
		e, ETH_LEN + IP6_HDR_LEN + ND_MSG_LEN);
	if (eth == NULL)
		return false;
	eth->dst_addr = *dmac;
	eth->src_addr = *smac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
	ip = (struct rte_ipv6_hdr *)(eth + 1);
	*ip = (struct rte_ipv6_hdr){
		.vtc_flow = RTE_BE32(6u << 28),
		.payload_len = RTE_BE16(ND_MSG_LEN),
		.proto = IP6_NH_ICMP6,
		.hop_limits = ND_HOP_LIMIT,
	};
	memcpy(ip->src_addr, src, 16);
	memcpy(ip->dst_addr, dst, 16);
	icmp = (uint8_t *)(ip + 1);
	memset(icmp, 0, ND_MSG_LEN);
	icmp[0] = type;
	flags = rte_cpu_to_be_32(flags);
	memcpy(icmp + 4, &flags, 4);
	memcpy(icmp + ND_TARGET_OFF, target, 16);
	icmp[ND_OPTS_OFF] = type == ND_NEIGHBOR_SOLICIT ? ND_OPT_SLLA :
							 ND_OPT_TLLA;
	icmp[ND_OPTS_OFF + 1] = 1;	/* 8 octets */
	memcpy(icmp + ND_OPTS_OFF + 2, smac->addr_bytes, RTE_ETHER_ADDR_LEN);
	ck = (uint16_t)~icmp6_sum(ip, icmp, ND_MSG_LEN);
	memcpy(icmp + 2, &ck, 2);
	return true;
}

bool
nd_options(const uint8_t *opts, uint32_t len, uint8_t want,
	   struct rte_ether_addr *mac, bool *found)
{
	uint32_t off = 0, olen;

	*found = false;
	while (off < len) {
		if (off + 2 > len)
			return false;
		olen = opts[off + 1] * 8u;
		if (olen == 0 || off + olen > len)
			return false;
		if (opts[off] == want && olen >= 8) {
			memcpy(mac->addr_bytes, opts + off + 2,
			       RTE_ETHER_ADDR_LEN);
			*found = true;
		}
		off += olen;
	}
	return true;
}

/* ---- the worker half ---- */

/* Hand m to the main lcore to learn that addr is at mac. */
static void
to_learn(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	 uint16_t port, const uint8_t addr[16],
	 const struct rte_ether_addr *mac, uint8_t how)
{
	struct slow_meta *meta = slow_meta(dp, m);
	struct rte_ether_addr *at = (struct rte_ether_addr *)rte_pktmbuf_prepend(
		m, RTE_ETHER_ADDR_LEN);

	if (at == NULL) {
		dp_drop(w, m, DROP_NO_MBUF);
		return;
	}
	*at = *mac;
	meta->kind = SLOW_LEARN;
	meta->learn = how;
	meta->port = port;
	meta->nexthop.family = AF_INET6;
	memcpy(&meta->nexthop.v6, addr, 16);
	if (rte_ring_mp_enqueue(dp->slow_ring, m) != 0) {
		dp_drop(w, m, DROP_SLOW_RING_FULL);
		return;
	}
	w->stats.slow_path++;
}

static void
twin_or_drop(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
	     struct rte_mbuf *m)
{
	if (dp->ports[port].twin_id == DP_NO_PORT)
		dp_drop(w, m, DROP_IPV6_ND_NOT_FOR_US);
	else
		dp_to_twin(dp, w, port, m);
}

/* Our advertisement of target in answer to a solicitation from src
 * (at smac): to src, or to all nodes when src is unspecified (a
 * duplicate address detection probe of our address, which the answer
 * defends, RFC 4861 7.2.4). */
static void
ns_answer(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
	  const uint8_t src[16], const struct rte_ether_addr *smac,
	  const uint8_t target[16])
{
	const struct dp_port *p = &dp->ports[port];
	bool dad = ip6_addr_is_unspecified(src);
	uint32_t flags = ND_FLAG_OVERRIDE | (dad ? 0 : ND_FLAG_SOLICITED) |
			 (dp->ip_forward ? ND_FLAG_ROUTER : 0);
	struct rte_ether_addr dmac = *smac;
	struct rte_mbuf *e = rte_pktmbuf_alloc(dp->pool);

	if (e == NULL) {
		w->stats.drops[DROP_NO_MBUF]++;
		return;
	}
	if (dad)
		multicast_mac(all_nodes, &dmac);
	if (!nd_build(e, ND_NEIGHBOR_ADVERT, flags, &p->mac, &dmac, target,
		      dad ? all_nodes : src, target)) {
		rte_pktmbuf_free(e);
		return;
	}
	w->stats.nd_adverts++;
	dp_tx(w, p->port_id, e);
}

static void
ns_input(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
	 struct rte_mbuf *m, const struct rte_ipv6_hdr *ip, const uint8_t *ns,
	 uint32_t len)
{
	const uint8_t *target = ns + ND_TARGET_OFF;
	const struct rte_ether_hdr *eth =
		rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	bool dad = ip6_addr_is_unspecified(ip->src_addr), has_mac;
	struct rte_ether_addr mac;

	if (len < ND_OPTS_OFF || ip6_addr_is_multicast(target) ||
	    !nd_options(ns + ND_OPTS_OFF, len - ND_OPTS_OFF, ND_OPT_SLLA, &mac,
			&has_mac) ||
	    (dad && (has_mac || ip->dst_addr[0] != 0xff))) {
		dp_drop(w, m, DROP_IPV6_ND_INVALID);
		return;
	}
	if (!ipv6_is_local_on(dp, port, target)) {
		/* perhaps the kernel's (its link-local address) */
		twin_or_drop(dp, w, port, m);
		return;
	}
	ns_answer(dp, w, port, ip->src_addr,
		  has_mac ? &mac : &eth->src_addr, target);
	if (has_mac && !dad)
		to_learn(dp, w, m, port, ip->src_addr, &mac, SLOW_LEARN_CREATE);
	else
		rte_pktmbuf_free(m);
}

static void
na_input(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
	 struct rte_mbuf *m, const struct rte_ipv6_hdr *ip, const uint8_t *na,
	 uint32_t len)
{
	const uint8_t *target = na + ND_TARGET_OFF;
	struct rte_ether_addr mac;
	bool has_mac;

	/* RFC 4861 7.1.2: a solicited advertisement is unicast */
	if (len < ND_OPTS_OFF || ip6_addr_is_multicast(target) ||
	    (ip6_addr_is_multicast(ip->dst_addr) && (na[4] & 0x40)) ||
	    !nd_options(na + ND_OPTS_OFF, len - ND_OPTS_OFF, ND_OPT_TLLA, &mac,
			&has_mac)) {
		dp_drop(w, m, DROP_IPV6_ND_INVALID);
		return;
	}
	if (!has_mac) {
		twin_or_drop(dp, w, port, m);
		return;
	}
	/* An advertisement of our own address is not a neighbour to
	 * learn: from another node it claims the address (an HA peer
	 * taking a VIP over), for the main lcore to judge. */
	if (ipv6_is_local_on(dp, port, target)) {
		if (rte_is_same_ether_addr(&mac, &dp->ports[port].mac))
			twin_or_drop(dp, w, port, m);
		else
			to_learn(dp, w, m, port, target, &mac,
				 SLOW_LEARN_CLAIM | SLOW_LEARN_TWIN);
		return;
	}
	/* Only an entry we asked for is updated (RFC 4861 7.2.5); the
	 * kernel twin may be waiting too. */
	to_learn(dp, w, m, port, target, &mac, SLOW_LEARN_TWIN);
}

void
nd_input(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
	 struct rte_mbuf *m, struct rte_ipv6_hdr *ip, uint16_t l4_off)
{
	const uint8_t *icmp = (const uint8_t *)ip + l4_off;
	uint32_t len = IP6_HDR_LEN + rte_be_to_cpu_16(ip->payload_len) - l4_off;

	if (ip->hop_limits != ND_HOP_LIMIT || icmp[1] != 0) {
		dp_drop(w, m, DROP_IPV6_ND_INVALID);
		return;
	}
	switch (icmp[0]) {
	case ND_NEIGHBOR_SOLICIT:
		ns_input(dp, w, port, m, ip, icmp, len);
		break;
	case ND_NEIGHBOR_ADVERT:
		na_input(dp, w, port, m, ip, icmp, len);
		break;
	default:
		/* routers' messages and redirects: the kernel's */
		twin_or_drop(dp, w, port, m);
		break;
	}
}

/* ---- the main lcore's half ---- */

/* slowpath_neigh_ops()'s probe, which sends ARP requests. */
static void (*arp_probe)(void *ctx, uint16_t port, const struct inet_addr *ip);

/* Our address on port to solicit target from: one whose prefix holds
 * it, else the first IPv6 one. */
static bool
source_for(const struct dp_port *p, const struct inet_addr *target,
	   uint8_t src[16])
{
	const struct inet_prefix *first = NULL;
	unsigned int i;

	for (i = 0; i < p->n_addrs; i++) {
		if (p->addrs[i].addr.family != AF_INET6)
			continue;
		if (first == NULL)
			first = &p->addrs[i];
		if (inet_prefix_contains(&p->addrs[i], target)) {
			first = &p->addrs[i];
			break;
		}
	}
	if (first == NULL)
		return false;
	memcpy(src, &first->addr.v6, 16);
	return true;
}

static void
nd_probe(void *ctx, uint16_t port, const struct inet_addr *ip)
{
	struct dp_ctx *dp = ctx;
	const struct dp_port *p = &dp->ports[port];
	uint8_t src[16], group[16];
	struct rte_ether_addr gmac;
	struct rte_mbuf *m;

	if (ip->family != AF_INET6) {
		arp_probe(ctx, port, ip);
		return;
	}
	if (!source_for(p, ip, src))
		return;
	m = rte_pktmbuf_alloc(dp->pool);
	if (m == NULL) {
		dp->main_stats.drops[DROP_NO_MBUF]++;
		return;
	}
	nd_solicited_node((const uint8_t *)&ip->v6, group, &gmac);
	if (!nd_build(m, ND_NEIGHBOR_SOLICIT, 0, &p->mac, &gmac, src, group,
		      (const uint8_t *)&ip->v6)) {
		rte_pktmbuf_free(m);
		return;
	}
	slowpath_xmit(dp, p->port_id, m);
}

struct neigh_ops
nd_neigh_ops(struct dp_ctx *dp)
{
	struct neigh_ops ops = slowpath_neigh_ops(dp);

	arp_probe = ops.probe;
	ops.probe = nd_probe;
	return ops;
}

void
nd_announce(struct dp_ctx *dp, uint16_t port, const uint8_t addr[16])
{
	const struct dp_port *p = &dp->ports[port];
	struct rte_ether_addr dmac;
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp->pool);

	if (m == NULL) {
		dp->main_stats.drops[DROP_NO_MBUF]++;
		return;
	}
	multicast_mac(all_nodes, &dmac);
	if (!nd_build(m, ND_NEIGHBOR_ADVERT,
		      ND_FLAG_OVERRIDE | (dp->ip_forward ? ND_FLAG_ROUTER : 0),
		      &p->mac, &dmac, addr, all_nodes, addr)) {
		rte_pktmbuf_free(m);
		return;
	}
	slowpath_xmit(dp, p->port_id, m);
}
