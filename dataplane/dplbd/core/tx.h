/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tx: how any stage of a worker's packet path ends a packet: queued for
 * transmission (dp_tx) or dropped with a counted reason (dp_drop).
 * Frames queue per DPDK port in the worker's dp_txbuf and leave in
 * bursts when the buffer fills or the worker flushes at the end of its
 * loop turn.  A worker that owns no tx queue on a port hands its frames
 * to the owner's tx_ring instead (port.h tells who owns which queue), so
 * every tx queue keeps a single writer without locks.
 *
 * Every folder's packet path may include this; it calls nothing above.
 */
#ifndef DPLB_TX_H
#define DPLB_TX_H

#include <rte_mbuf.h>

#include "core/dp.h"

/** Send what w queued for DPDK port port_id (tx burst or hand-off). */
void dp_tx_flush_port(struct dp_worker *w, uint16_t port_id);

/** Send everything w queued, on every port and twin. */
void dp_tx_flush_all(struct dp_ctx *dp, struct dp_worker *w);

/** Queue m for transmission on DPDK port port_id: on the worker's own tx
 * queue, or through the queue owner's tx_ring (dp_txbuf). */
static inline void
dp_tx(struct dp_worker *w, uint16_t port_id, struct rte_mbuf *m)
{
	struct dp_txbuf *b = &w->txb[port_id];

	b->bytes += rte_pktmbuf_pkt_len(m);
	b->pkts[b->n++] = m;
	if (unlikely(b->n == RTE_DIM(b->pkts)))
		dp_tx_flush_port(w, port_id);
}

/** Drop m, counted under why. */
static inline void
dp_drop(struct dp_worker *w, struct rte_mbuf *m, enum drop_reason why)
{
	w->stats.drops[why]++;
	rte_pktmbuf_free(m);
}

#endif /* DPLB_TX_H */
