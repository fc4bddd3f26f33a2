/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nd: Neighbor Discovery (RFC 4861), the main lcore's half.  The
 * neighbour table is net/neigh.h's, shared with ARP and keyed by family;
 * the worker half (nd_input(), net6.h) answers solicitations for our
 * addresses and hands what it learns to the main lcore (SLOW_LEARN),
 * which confirms the entries.  Resolution is the table's state machine
 * (net/neigh_fsm.c): its probes for IPv6 next hops are Neighbor
 * Solicitations to the solicited-node multicast group, sent here.
 * Frames leave through net/slowpath.c (worker 0's tx ring).
 */
#ifndef DPLB_ND_H
#define DPLB_ND_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "core/dp.h"

#define ND_FLAG_ROUTER 0x80000000u	/* of a Neighbor Advertisement */
#define ND_FLAG_SOLICITED 0x40000000u
#define ND_FLAG_OVERRIDE 0x20000000u
#define ND_MSG_LEN 32			/* NS or NA with one link-layer
					 * address option */

/** slowpath_neigh_ops() with IPv6 probes sent as solicitations. */
struct neigh_ops nd_neigh_ops(struct dp_ctx *dp);

/** Send an unsolicited Neighbor Advertisement of addr (ours, on port)
 * to all nodes (RFC 4861 7.2.6), e.g. when the address is added. */
void nd_announce(struct dp_ctx *dp, uint16_t port, const uint8_t addr[16]);

/**
 * Build into e (empty) a Neighbor Solicitation (type
 * ND_NEIGHBOR_SOLICIT, with a source link-layer address option) or
 * Advertisement (ND_NEIGHBOR_ADVERT, flags ND_FLAG_*, with a target
 * link-layer address option), both carrying smac, from src to dst
 * (Ethernet smac to dmac), about target.  false when e has no room.
 */
bool nd_build(struct rte_mbuf *e, uint8_t type, uint32_t flags,
	      const struct rte_ether_addr *smac,
	      const struct rte_ether_addr *dmac, const uint8_t src[16],
	      const uint8_t dst[16], const uint8_t target[16]);

/** The solicited-node multicast address of a (RFC 4291 2.7.1) and its
 * Ethernet group (RFC 2464 7: 33:33 and the last 32 bits). */
void nd_solicited_node(const uint8_t a[16], uint8_t group[16],
		       struct rte_ether_addr *mac);

/**
 * Walk the options of an NS or NA (opts, len bytes): false if one is
 * malformed (RFC 4861 7.1: zero length, past the end); else the
 * link-layer address option of type want (1 source, 2 target), if
 * there is one, in *mac, and *found set.
 */
bool nd_options(const uint8_t *opts, uint32_t len, uint8_t want,
		struct rte_ether_addr *mac, bool *found);

#endif /* DPLB_ND_H */
