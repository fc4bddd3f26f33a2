/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * steer: which worker owns a flow, so that both directions of a
 * connection meet on one worker on ports without RSS or rte_flow
 * (af_packet and af_xdp on veths, most virtual NICs).
 *
 *   client -> VIP           owner = hash(client addr, client port)
 *   server -> client (NAT)  owner = hash(dst addr, dst port): the client
 *   server -> LIP:lport     owner = the worker whose slice of the local
 *   (FNAT, SNAT)                    port space holds lport
 *
 * Hashing only the client's side makes NAT symmetric without knowing
 * the VIP on the way back.  A worker that receives a packet it does not
 * own hands it to the owner's steer_ring (dp_steer); the owner computes
 * the same owner, so a packet is steered at most once.
 */
#ifndef DPLB_STEER_H
#define DPLB_STEER_H

#include <stdint.h>

#include <rte_byteorder.h>

#include "core/pipeline.h"

/** Owner of a flow by its client endpoint, in [0, n_workers). */
static inline unsigned int
steer_by_client(rte_be32_t addr, rte_be16_t port, unsigned int n_workers)
{
	uint64_t h = ((uint64_t)addr << 16 | port) * 0x9e3779b97f4a7c15ULL;

	/* Multiply-shift: the top bits are the well-mixed ones. */
	return (unsigned int)(((h >> 32) * n_workers) >> 32);
}

/**
 * Hand m (received on dplb port `port`) to worker `owner`.  Counted as
 * steered_out, or dropped as steer_ring_full.
 */
static inline void
dp_steer(struct dp_ctx *dp, struct dp_worker *w, unsigned int owner,
	 uint16_t port, struct rte_mbuf *m)
{
	m->port = port;
	if (unlikely(rte_ring_mp_enqueue(dp->workers[owner].steer_ring, m) != 0)) {
		dp_drop(w, m, DROP_STEER_RING_FULL);
		return;
	}
	w->stats.steered_out++;
}

#endif /* DPLB_STEER_H */
