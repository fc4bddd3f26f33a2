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
 *
 * Local ports: each worker owns a contiguous slice of every local
 * address's ports STEER_LPORT_MIN..STEER_LPORT_MAX, the same on every
 * node of an HA pair, so that the destination port alone names the
 * owner (steer_lport_owner), here and in rte_flow rules (flow.h).
 */
#ifndef DPLB_STEER_H
#define DPLB_STEER_H

#include <errno.h>
#include <stdint.h>

#include <rte_byteorder.h>

#include "core/dp.h"
#include "core/tx.h"

#define STEER_LPORT_MIN 1024	/* local ports used by full-NAT */
#define STEER_LPORT_MAX 65535
#define STEER_LPORT_SPAN ((uint32_t)(STEER_LPORT_MAX - STEER_LPORT_MIN + 1))

/** Owner of a flow by its client endpoint, in [0, n_workers). */
static inline unsigned int
steer_by_client(rte_be32_t addr, rte_be16_t port, unsigned int n_workers)
{
	uint64_t h;

	if (n_workers == 1)	/* the whole answer of one worker */
		return 0;
	h = ((uint64_t)addr << 16 | port) * 0x9e3779b97f4a7c15ULL;
	/* Multiply-shift: the top bits are the well-mixed ones. */
	return (unsigned int)(((h >> 32) * n_workers) >> 32);
}

/** Owner of an IPv4 datagram's fragments (reassembly): by source,
 * destination and id, which every fragment carries, in [0, n_workers). */
static inline unsigned int
steer_frag(rte_be32_t src, rte_be32_t dst, rte_be16_t id,
	   unsigned int n_workers)
{
	uint64_t h = (((uint64_t)src << 32 | dst) ^ id) * 0x9e3779b97f4a7c15ULL;

	return (unsigned int)(((h >> 32) * n_workers) >> 32);
}

/**
 * The local ports worker (0..n_workers-1) owns on every local address:
 * worker w gets [MIN + floor(w*S/n), MIN + floor((w+1)*S/n) - 1], so the
 * slices are contiguous, disjoint, cover the range and differ in size
 * by at most one.  -EINVAL for a bad worker count.
 */
static inline int
steer_lport_range(unsigned int worker, unsigned int n_workers, uint16_t *lo,
		  uint16_t *hi)
{
	if (n_workers == 0 || n_workers > DP_MAX_WORKERS || worker >= n_workers)
		return -EINVAL;
	*lo = (uint16_t)(STEER_LPORT_MIN + worker * STEER_LPORT_SPAN / n_workers);
	*hi = (uint16_t)(STEER_LPORT_MIN +
			 (worker + 1) * STEER_LPORT_SPAN / n_workers - 1);
	return 0;
}

/**
 * The worker owning local port port (host order), or -ERANGE for a
 * port below STEER_LPORT_MIN, -EINVAL for a bad worker count.  The
 * inverse of steer_lport_range(): off = port - MIN lies in w's slice
 * iff w*S < (off+1)*n <= (w+1)*S, so w = ((off+1)*n - 1) / S.
 */
static inline int
steer_lport_owner(uint16_t port, unsigned int n_workers)
{
	uint32_t off;

	if (n_workers == 0 || n_workers > DP_MAX_WORKERS)
		return -EINVAL;
	if (port < STEER_LPORT_MIN)
		return -ERANGE;
	off = (uint32_t)port - STEER_LPORT_MIN;
	return (int)(((off + 1) * n_workers - 1) / STEER_LPORT_SPAN);
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
