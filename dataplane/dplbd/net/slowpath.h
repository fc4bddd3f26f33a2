/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * slowpath: the main lcore's share of packet work.  It learns
 * neighbours from ARP, resolves next hops for packets the workers could
 * not send, builds ARP requests and gratuitous ARPs, and passes ARP
 * replies to the kernel twin.  Frames it sends go through worker 0's
 * tx_ring, so that every DPDK tx queue keeps a single writer.
 */
#ifndef DPLB_SLOWPATH_H
#define DPLB_SLOWPATH_H

#include "core/dp.h"

/** The neigh_ops that route neighbour actions to this module. */
struct neigh_ops slowpath_neigh_ops(struct dp_ctx *dp);

/** Send a finished frame on DPDK port port_id from the main lcore
 * (through worker 0's tx ring); counted, or dropped as tx_full. */
void slowpath_xmit(struct dp_ctx *dp, uint16_t port_id, struct rte_mbuf *m);

/** Serve up to a burst of packets from the workers. Returns the count. */
unsigned int slowpath_drain(struct dp_ctx *dp);

/** Periodic work (neighbour timers); call every few milliseconds. */
void slowpath_tick(struct dp_ctx *dp);

/** Send a gratuitous ARP for addr out of port. */
void slowpath_announce(struct dp_ctx *dp, uint16_t port, rte_be32_t addr);

/**
 * Send a gratuitous ARP for addr now and count - 1 more, interval_ms
 * apart (from slowpath_tick), e.g. for a VIP taken over from a peer.
 */
void slowpath_announce_burst(struct dp_ctx *dp, uint16_t port, rte_be32_t addr,
			     unsigned int count, unsigned int interval_ms);

/** Forget the pending announcements of addr on port. */
void slowpath_announce_cancel(uint16_t port, rte_be32_t addr);

/**
 * Called on the main lcore when another node announces an address that
 * is ours on port: a gratuitous ARP or an ARP reply with it as the
 * sender, or a Neighbor Advertisement of it, from a MAC that is not the
 * port's.  In an HA pair that is the peer taking over a VIP (ha/vip.h
 * gives up an orphaned lease at once).  Such a frame never updates the
 * neighbour table.
 */
typedef void (*slowpath_claim_fn)(struct dp_ctx *dp, uint16_t port,
				  const struct inet_addr *addr,
				  const struct rte_ether_addr *mac);

/** Set the hook of such claims (none by default). */
void slowpath_on_claim(slowpath_claim_fn fn);

#endif /* DPLB_SLOWPATH_H */
