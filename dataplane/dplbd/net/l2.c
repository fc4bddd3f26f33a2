/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * l2: Ethernet input (net.h), ARP, and the exception path: packets
 * handed to the kernel twin or to the main lcore.
 */
#include <rte_arp.h>
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

/* ---- ARP ---- */

#define ARP_FRAME_LEN (sizeof(struct rte_ether_hdr) + sizeof(struct rte_arp_hdr))

static bool
arp_valid(const struct rte_mbuf *m, const struct rte_arp_hdr *a)
{
	return rte_pktmbuf_data_len(m) >= ARP_FRAME_LEN &&
	       a->arp_hardware == RTE_BE16(RTE_ARP_HRD_ETHER) &&
	       a->arp_protocol == RTE_BE16(RTE_ETHER_TYPE_IPV4) &&
	       a->arp_hlen == RTE_ETHER_ADDR_LEN && a->arp_plen == 4 &&
	       (a->arp_opcode == RTE_BE16(RTE_ARP_OP_REQUEST) ||
		a->arp_opcode == RTE_BE16(RTE_ARP_OP_REPLY));
}

/* Turn the request into its reply, in place. */
static void
arp_make_reply(const struct dp_port *p, struct rte_ether_hdr *eth,
	       struct rte_arp_hdr *a)
{
	struct rte_arp_ipv4 *d = &a->arp_data;
	rte_be32_t target = d->arp_tip;

	a->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
	d->arp_tha = d->arp_sha;
	d->arp_tip = d->arp_sip;
	d->arp_sha = p->mac;
	d->arp_sip = target;
	eth->dst_addr = eth->src_addr;
	eth->src_addr = p->mac;
}

static void
arp_input(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
	  struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *a = (struct rte_arp_hdr *)(eth + 1);
	struct rte_mbuf *copy;

	if (unlikely(!arp_valid(m, a))) {
		dp_drop(w, m, DROP_ARP_INVALID);
		return;
	}
	if (a->arp_opcode == RTE_BE16(RTE_ARP_OP_REPLY) ||
	    a->arp_data.arp_sip == a->arp_data.arp_tip) {
		/* Replies and announcements: the main lcore learns them. */
		dp_to_slow(dp, w, m, SLOW_ARP, port, 0);
		return;
	}
	if (!ipv4_is_local_on(dp, port, a->arp_data.arp_tip)) {
		dp_drop(w, m, DROP_ARP_NOT_FOR_US);
		return;
	}
	/* A request for us also tells us the asker's MAC. */
	copy = rte_pktmbuf_copy(m, dp->pool, 0, ARP_FRAME_LEN);
	if (copy != NULL)
		dp_to_slow(dp, w, copy, SLOW_ARP, port, 0);
	arp_make_reply(&dp->ports[port], eth, a);
	w->stats.arp_replies++;
	dp_tx(w, dp->ports[port].port_id, m);
}

/* ---- Ethernet ---- */

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
		return NET_IPV6;
	default:
		dp_drop(w, m, DROP_UNSUPPORTED_L3);
		return NET_CONSUMED;
	}
}
