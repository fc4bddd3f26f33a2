/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * l2: Ethernet input (net.h) and the exception path: packets handed to
 * the kernel twin or to the main lcore.
 */
#include <rte_ether.h>

#include "core/tx.h"
#include "net/net.h"
#include "net_priv.h"

void
dp_to_twin(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
	   struct rte_mbuf *m)
{
	uint16_t twin = dp->ports[port].twin_id;

	if (twin == DP_NO_PORT) {
		dp_drop(w, m, DROP_NO_TWIN);
		return;
	}
	w->stats.to_twin++;
	dp_tx(w, twin, m);
}

void
dp_to_slow(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	   enum slow_kind kind, uint16_t port, rte_be32_t nexthop)
{
	struct slow_meta *meta = slow_meta(dp, m);

	meta->kind = kind;
	meta->port = port;
	meta->nexthop = inet_addr_v4(nexthop);
	if (rte_ring_mp_enqueue(dp->slow_ring, m) != 0) {
		dp_drop(w, m, DROP_SLOW_RING_FULL);
		return;
	}
	w->stats.slow_path++;
}

static inline bool
frame_is_ours(const struct dp_port *p, const struct rte_ether_hdr *eth)
{
	return rte_is_same_ether_addr(&eth->dst_addr, &p->mac) ||
	       rte_is_multicast_ether_addr(&eth->dst_addr);
}

enum net_verdict
l2_input(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
	 struct rte_mbuf *m, struct net_ipv4 *in)
{
	const struct rte_ether_hdr *eth;

	if (unlikely(rte_pktmbuf_data_len(m) < sizeof(*eth))) {
		dp_drop(w, m, DROP_ETH_TRUNCATED);
		return NET_CONSUMED;
	}
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (unlikely(!frame_is_ours(&dp->ports[port], eth))) {
		dp_drop(w, m, DROP_ETH_NOT_FOR_US);
		return NET_CONSUMED;
	}
	switch (eth->ether_type) {
	case RTE_BE16(RTE_ETHER_TYPE_IPV4):
		return ipv4_input(dp, w, port, m, in);
	case RTE_BE16(RTE_ETHER_TYPE_ARP):
		arp_input(dp, w, port, m);
		return NET_CONSUMED;
	case RTE_BE16(RTE_ETHER_TYPE_IPV6):
		/* Until the IPv6 stack lands the kernel twin handles it. */
		if (dp->ports[port].twin_id != DP_NO_PORT) {
			dp_to_twin(dp, w, port, m);
			return NET_CONSUMED;
		}
		/* fall through */
	default:
		dp_drop(w, m, DROP_UNSUPPORTED_L3);
		return NET_CONSUMED;
	}
}
