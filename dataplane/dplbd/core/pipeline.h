/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pipeline: the per-packet path of a worker, stage by stage:
 *   l2_input (Ethernet) -> arp_input | ipv4_input -> local / forward.
 * Each stage consumes the mbuf: it transmits it, hands it to the twin
 * or the main lcore, or drops it with a counted reason.  No locks, no
 * syscalls, no allocation (except copying an ARP request for learning),
 * no logging.
 */
#ifndef DPLB_PIPELINE_H
#define DPLB_PIPELINE_H

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "core/dp.h"

void dp_tx_flush_port(struct dp_worker *w, uint16_t port_id);

/** Queue m for transmission on DPDK port port_id: on the worker's own tx
 * queue, or through the queue owner's tx_ring (dp_txbuf). */
static inline void
dp_tx(struct dp_worker *w, uint16_t port_id, struct rte_mbuf *m)
{
	struct dp_txbuf *b = &w->txb[port_id];

	b->pkts[b->n++] = m;
	if (unlikely(b->n == RTE_DIM(b->pkts)))
		dp_tx_flush_port(w, port_id);
}

static inline void
dp_drop(struct dp_worker *w, struct rte_mbuf *m, enum drop_reason why)
{
	w->stats.drops[why]++;
	rte_pktmbuf_free(m);
}

/** Hand a packet for a local address to the port's kernel twin. */
void dp_to_twin(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
		struct rte_mbuf *m);

/** Hand a packet to the main lcore (ARP learning, neighbour wait). */
void dp_to_slow(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
		enum slow_kind kind, uint16_t port, rte_be32_t nexthop);

/**
 * A burst received on dplb port `port` (not a twin's): every packet
 * goes where l2_input() would send it, in order, with the connection
 * lookups of the burst made together (burst.c).  Counts rx_bytes.
 */
void pipeline_rx_burst(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
		       struct rte_mbuf **pkts, uint16_t n);

void l2_input(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
	      struct rte_mbuf *m);
void arp_input(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
	       struct rte_mbuf *m);
void ipv4_input(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
		struct rte_mbuf *m);

struct route_slot;
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

#endif /* DPLB_PIPELINE_H */
