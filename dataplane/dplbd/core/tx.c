/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <rte_ethdev.h>
#include <rte_ring.h>

#include "core/tx.h"

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
	b->bytes = 0;	/* the owner counts what it sends */
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
	w->stats.tx_packets += sent;
	for (i = sent; i < b->n; i++) {
		b->bytes -= rte_pktmbuf_pkt_len(b->pkts[i]);
		dp_drop(w, b->pkts[i], DROP_TX_FULL);
	}
	w->stats.tx_bytes += b->bytes;
	b->n = 0;
	b->bytes = 0;
}

void
dp_tx_flush_all(struct dp_ctx *dp, struct dp_worker *w)
{
	unsigned int i;

	for (i = 0; i < dp->n_ports; i++) {
		const struct dp_port *p = &dp->ports[i];

		if (w->txb[p->port_id].n != 0)
			dp_tx_flush_port(w, p->port_id);
		if (p->twin_id != DP_NO_PORT && w->txb[p->twin_id].n != 0)
			dp_tx_flush_port(w, p->twin_id);
	}
}
