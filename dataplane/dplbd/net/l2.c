/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <rte_ether.h>

#include "core/pipeline.h"

/* No tx queue of our own on port_id: the queue owner sends the frames
 * (it counts them as its tx).  m->port tells it where. */
static void
tx_handoff(struct dp_worker *w, struct dp_txbuf *b, uint16_t port_id)
{
	unsigned int n, i;

	for (i = 0; i < b->n; i++)
		b->pkts[i]->port = port_id;
	n = rte_ring_mp_enqueue_burst(b->via, (void **)b->pkts, b->n, NULL);
	w->stats.tx_handoff += n;
	for (i = n; i < b->n; i++)
		dp_drop(w, b->pkts[i], DROP_TX_HANDOFF_FULL);
	b->n = 0;
}

void
dp_tx_flush_port(struct dp_worker *w, uint16_t port_id)
{
	struct dp_txbuf *b = &w->txb[port_id];
	uint16_t sent, i;

	if (b->via != NULL) {
		tx_handoff(w, b, port_id);
		return;
	}
	sent = rte_eth_tx_burst(port_id, b->queue, b->pkts, b->n);
	for (i = 0; i < sent; i++)
		w->stats.tx_bytes += rte_pktmbuf_pkt_len(b->pkts[i]);
	w->stats.tx_packets += sent;
	for (i = sent; i < b->n; i++)
		dp_drop(w, b->pkts[i], DROP_TX_FULL);
	b->n = 0;
}

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

void
l2_input(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
	 struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth;

	if (unlikely(rte_pktmbuf_data_len(m) < sizeof(*eth))) {
		dp_drop(w, m, DROP_ETH_TRUNCATED);
		return;
	}
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (unlikely(!frame_is_ours(&dp->ports[port], eth))) {
		dp_drop(w, m, DROP_ETH_NOT_FOR_US);
		return;
	}
	switch (eth->ether_type) {
	case RTE_BE16(RTE_ETHER_TYPE_IPV4):
		ipv4_input(dp, w, port, m);
		break;
	case RTE_BE16(RTE_ETHER_TYPE_ARP):
		arp_input(dp, w, port, m);
		break;
	case RTE_BE16(RTE_ETHER_TYPE_IPV6):
		/* Until the IPv6 stack lands the kernel twin handles it. */
		if (dp->ports[port].twin_id != DP_NO_PORT) {
			dp_to_twin(dp, w, port, m);
			break;
		}
		/* fall through */
	default:
		dp_drop(w, m, DROP_UNSUPPORTED_L3);
	}
}
