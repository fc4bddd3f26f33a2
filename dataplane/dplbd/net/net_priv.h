/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * net_priv: the stages of l2_input() (net.h), private to net/.
 */
#ifndef DPLB_NET_PRIV_H
#define DPLB_NET_PRIV_H

#include "core/dp.h"
#include "net/net.h"
#include "net/route.h"

/** ip is one of our addresses on port (its /32 local route). */
static inline bool
ipv4_is_local_on(const struct dp_ctx *dp, uint16_t port, rte_be32_t ip)
{
	const struct route_slot *r = route_lookup(&dp->routes, ip);

	return r != NULL && r->type == ROUTE_LOCAL && r->port == port;
}

enum net_verdict ipv4_input(struct dp_ctx *dp, struct dp_worker *w,
			    uint16_t port, struct rte_mbuf *m,
			    struct net_ipv4 *in);

/** Cut m to its first len bytes (<= its length), over every segment:
 * rte_pktmbuf_trim() only trims within the last one. */
void net_trim(struct rte_mbuf *m, uint32_t len);

/**
 * A frame in an mbuf chain, as a port may deliver it: gathered into one
 * mbuf when it fits one (the same or a copy, which replaces it), else
 * with its headers gathered into the first segment.  NULL after
 * dropping it (no_mbuf, segmented_header).  m itself when it is one
 * segment.
 */
struct rte_mbuf *net_gather(struct dp_ctx *dp, struct dp_worker *w,
			    struct rte_mbuf *m);

/**
 * A fragment (header checked), to the reassembly table of the worker
 * that owns its datagram (steer_frag(); steered there if it is not this
 * one).  Returns the whole datagram once its last missing fragment
 * came, as a packet received on port (net_gather()ed), else NULL:
 * kept, steered or dropped with its reason.
 */
struct rte_mbuf *ipv4_reassemble(struct dp_ctx *dp, struct dp_worker *w,
				 uint16_t port, struct rte_mbuf *m);

#endif /* DPLB_NET_PRIV_H */
