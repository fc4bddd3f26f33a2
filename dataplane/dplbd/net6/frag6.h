/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * frag6: reassembly of IPv6 fragments to our addresses, on one worker
 * per datagram (DPDK's rte_ip_frag, a table per worker).
 *
 * The load balancer needs a datagram's ports, which only its first
 * fragment carries, and rewrites a checksum that covers all of it, so
 * the fragments of a datagram to one of our addresses are reassembled
 * before the load balancer sees it, as IPv4's are (net/frag.c): every
 * fragment goes to the worker that owns hash(src, dst, id), which
 * reassembles; the whole datagram then goes on as any packet (to its
 * flow's owner).  Limits: the table holds ip.frag_max datagrams per
 * worker (at least 64) for ip.frag_timeout_ms, each of at most
 * RTE_LIBRTE_IP_FRAG_MAX_FRAG fragments; the Fragment header must
 * follow the IPv6 header (rte_ip_frag's rule), other fragments go to
 * the twin as before.  What the library gives up (overlaps, expiry,
 * too many fragments) is dropped as ipv6_fragment.  A datagram made
 * whole that is larger than its egress MTU leaves in fragments again
 * (ipv6_output_frags(), from ipv6_output()).
 */
#ifndef DPLB_FRAG6_H
#define DPLB_FRAG6_H

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "core/dp.h"
#include "net6/route6.h"

/** The workers' tables (main lcore, at start); 0 or -errno. */
int frag6_init(struct dp_ctx *dp);

/** Free them and the fragments they hold (workers stopped). */
void frag6_free(struct dp_ctx *dp);

/**
 * A fragment to us on port, the Fragment header right after the IPv6
 * header ip: the whole datagram (an mbuf chain, its Fragment header
 * gone) when this fragment completes it; NULL when it is held, steered
 * to the owner worker or dropped.
 */
struct rte_mbuf *ipv6_reassemble(struct dp_ctx *dp, struct dp_worker *w,
				 uint16_t port, struct rte_mbuf *m,
				 struct rte_ipv6_hdr *ip);

/** Set on a datagram ipv6_reassemble() made whole (an mbuf dynflag). */
extern uint64_t frag6_whole_flag;

/**
 * Send m (Ethernet header in), a reassembled datagram larger than the
 * egress MTU, in fragments of at most mtu bytes along r toward dst:
 * dplbd took the datagram as its sender's proxy, so it fragments it as
 * its sender did (RFC 8200 4.5; IPVS's kernel does the same), with a
 * new identification.  m is consumed.
 */
void ipv6_output_frags(struct dp_ctx *dp, struct dp_worker *w,
		       struct rte_mbuf *m, const struct route6_slot *r,
		       const uint8_t dst[16], uint16_t mtu);

#endif /* DPLB_FRAG6_H */
