/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * net: the network stack's packet path on a worker (Ethernet, ARP,
 * IPv4, the exception path to the kernel twin and to the main lcore).
 *
 * It never calls up into the load balancer.  A received frame goes
 * through l2_input(), which either ends it (answered, sent, handed to
 * the twin or the main lcore, or dropped with a counted reason) or
 * returns a verdict with the parsed IPv4 header for the caller, the
 * pipeline (core/pipeline.h), to offer to the load balancer:
 *
 *   NET_LOCAL    to one of our addresses and not answered here (ICMP
 *                echo is): the load balancer's, else the twin's
 *                (dp_to_twin());
 *   NET_TRANSIT  to be routed along in->r: the load balancer's (a NAT
 *                reply), else forwarded as a router does (ipv4_forward());
 *   NET_IPV6     an IPv6 frame to us, untouched: the IPv6 stack's
 *                (net6/net6.h).
 *
 * The output half (ipv4_send/ipv4_output/ipv4_hop) serves every stage.
 * No locks, no syscalls, no allocation (except copying an ARP request
 * for learning), no logging.
 */
#ifndef DPLB_NET_H
#define DPLB_NET_H

#include <stdbool.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "core/dp.h"
#include "core/tx.h"
#include "net/csum.h"
#include "net/route.h"

/** What net/ did with a frame it received (see above). */
enum net_verdict {
	NET_CONSUMED,
	NET_LOCAL,
	NET_TRANSIT,
	NET_IPV6,	/* an IPv6 frame to us: net6/'s (ipv6_input()) */
};

/** The IPv4 packet behind NET_LOCAL or NET_TRANSIT: header checked,
 * Ethernet padding trimmed.  m is the packet to go on with: the frame
 * received, or the datagram its fragments made (ipv4_reassemble()). */
struct net_ipv4 {
	struct rte_mbuf *m;
	struct rte_ipv4_hdr *ip;
	unsigned int ihl;		/* header length in bytes */
	const struct route_slot *r;	/* its route */
};

/** A frame received on dplb port `port`. */
enum net_verdict l2_input(struct dp_ctx *dp, struct dp_worker *w,
			  uint16_t port, struct rte_mbuf *m,
			  struct net_ipv4 *in);

/** Hand a packet for a local address to the port's kernel twin. */
void dp_to_twin(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
		struct rte_mbuf *m);

/** Hand a packet to the main lcore (ARP learning, neighbour wait). */
void dp_to_slow(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
		enum slow_kind kind, uint16_t port, rte_be32_t nexthop);

/* Each worker's neighbour cache (neigh.h), by worker id: a worker
 * touches only its own.  Its slots hold the next hop's MAC and the out
 * port's, so a send writes them as one 12-byte copy. */
extern struct neigh_cache net_nh_cache[DP_MAX_WORKERS];

/** The start of a worker's loop turn (and of the fuzzer's input): its
 * neighbour cache catches up with the table, once for every packet of
 * the turn (ipv4_output()). */
static inline void
net_turn(struct dp_ctx *dp, struct dp_worker *w)
{
	neigh_cache_sync(&dp->neigh, &net_nh_cache[w->id]);
}

/**
 * Send an IPv4 packet (Ethernet header present) along route r to dst:
 * the next hop's MAC and our source MAC from the worker's neighbour
 * cache (synced this loop turn: net_turn()), then the port's tx buffer; a next hop not resolved yet goes
 * to the main lcore (dp_to_slow()).  Inline: every packet leaves here.
 */
static __rte_always_inline void
ipv4_output(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	    const struct route_slot *r, rte_be32_t dst)
{
	const struct dp_port *out = &dp->ports[r->port];
	rte_be32_t nexthop = r->gw != 0 ? r->gw : dst;
	const struct neigh_cache_slot *s;

	s = neigh_cache_get4_l2_synced(&dp->neigh, &net_nh_cache[w->id],
				       r->port, nexthop, &out->mac,
				       out->port_id);
	if (unlikely(s == NULL)) {
		dp_to_slow(dp, w, m, SLOW_RESOLVE, r->port, nexthop);
		return;
	}
	memcpy(rte_pktmbuf_mtod(m, void *), &s->mac, 2 * RTE_ETHER_ADDR_LEN);
	dp_tx(w, s->tx_port, m);
}
/** Forward a transit packet along its route r as a router does. */
void ipv4_forward(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
		  struct rte_ipv4_hdr *ip, const struct route_slot *r);
/** Route dst and send; dropped as no_route if there is none. */
void ipv4_send(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	       rte_be32_t dst);
/** A router's hop for a packet it forwards: false when its TTL runs out
 * (ipv4_ttl_exceeded()), else TTL decremented, checksum fixed. */
bool ipv4_hop(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	      struct rte_ipv4_hdr *ip);

/* ---- what a router tells a sender (icmp.c) ---- */

#define ICMP_DEST_UNREACH 3
#define ICMP_SOURCE_QUENCH 4
#define ICMP_TIME_EXCEEDED 11
#define ICMP_NET_UNREACH 0		/* codes of ICMP_DEST_UNREACH */
#define ICMP_FRAG_NEEDED 4
#define ICMP_EXC_TTL 0			/* code of ICMP_TIME_EXCEEDED */

/**
 * Tell the sender of m (its IPv4 header ip, as received) why it was
 * not delivered: an ICMP error of type and code (RFC 792), mtu the
 * next-hop MTU of ICMP_FRAG_NEEDED (RFC 1191), quoting the header and
 * as much of the packet as keeps the error within 576 bytes (RFC 1812
 * 4.3.2.3), from src: the address the packet was sent to when it is
 * ours, 0 for the address of our port toward the sender.  Nothing is
 * sent where RFC 1812 4.3.2.7 forbids it (about an ICMP error, a
 * fragment but the first, a broadcast or multicast, a martian or local
 * source), nor beyond the worker's token bucket (ip.icmp_rate and
 * icmp_burst, like the kernel's icmp_ratelimit; counted as
 * icmp_ratelimited).  m stays the caller's.  No allocation but the
 * error's mbuf, no lock, no syscall.
 */
void icmp_error(struct dp_ctx *dp, struct dp_worker *w,
		const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip,
		uint8_t type, uint8_t code, uint16_t mtu, rte_be32_t src);

/** An mbuf for one more ICMP error of ours when the worker's ICMP
 * token bucket has a token for it (taken), else NULL, counted as
 * icmp_ratelimited; NULL too when the pool is empty.  IPv6's errors
 * (net6/) draw on the same bucket. */
struct rte_mbuf *icmp_error_mbuf(struct dp_ctx *dp, struct dp_worker *w);

/** m's TTL ran out: ICMP time exceeded (icmp_error() from src), m
 * dropped as ttl_exceeded. */
void ipv4_ttl_exceeded(struct dp_ctx *dp, struct dp_worker *w,
		       struct rte_mbuf *m, const struct rte_ipv4_hdr *ip,
		       rte_be32_t src);

/** m is larger than mtu and may not be fragmented (DF): ICMP
 * fragmentation needed with mtu (from src), m dropped as too_big. */
void ipv4_too_big(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
		  const struct rte_ipv4_hdr *ip, uint16_t mtu, rte_be32_t src);

/* ---- sizes: fragments, mbuf chains (frag.c) ---- */

/**
 * ipv4_output() of m (Ethernet header present, IPv4 header ip) in
 * fragments of at most mtu bytes (RFC 791): each a new mbuf of one
 * segment, options copied where their copy flag says so; m is freed.
 * For packets without DF larger than the egress MTU.  Counted as
 * frags_out; no_mbuf for fragments that could not be made.
 */
void ipv4_output_frag(struct dp_ctx *dp, struct dp_worker *w,
		      struct rte_mbuf *m, const struct route_slot *r,
		      rte_be32_t dst, uint16_t mtu);

/**
 * Make the first len bytes of m (or all of it, if shorter) lie in its
 * first segment, moving bytes from the segments behind it (counted as
 * linearized).  false when the first segment has no room for them: m
 * is untouched and the caller drops it (segmented_header).
 */
bool net_pullup(struct dp_worker *w, struct rte_mbuf *m, uint32_t len);

/** Create the workers' reassembly tables (ip.frag_*), main lcore, at
 * start; 0 or -ENOMEM. */
int frag_init(struct dp_ctx *dp);

/** Free what frag_init() made and the fragments still held (workers
 * stopped). */
void frag_free(struct dp_ctx *dp);

/** Drop the worker's datagrams whose fragments are too old
 * (frag_timeout); call once per loop turn, costs a compare when idle. */
void frag_expire_tick(struct dp_ctx *dp, struct dp_worker *w);

/* ---- sources a router refuses ---- */

/** A source no packet may carry (RFC 1122 3.2.1.3, RFC 1812 5.3.7):
 * 0/8, 127/8, multicast, class E and the limited broadcast. */
static inline bool
ipv4_src_martian(rte_be32_t src)
{
	uint32_t a = rte_be_to_cpu_32(src);

	return (a >> 24) == 0 || (a >> 24) == 127 || a >= 0xe0000000u;
}

/** ipv4_src_martian(), or one of our own addresses (a VIP, a local
 * address): no one else may send from it. */
static inline bool
ipv4_src_bogus(const struct dp_ctx *dp, rte_be32_t src)
{
	const struct route_slot *r;

	if (ipv4_src_martian(src))
		return true;
	if (!route_maybe_local(&dp->routes, src))
		return false;
	r = route_lookup(&dp->routes, src);
	return r != NULL && r->type == ROUTE_LOCAL;
}

/* ---- the L4 checksum ---- */

/** The TCP or UDP checksum of the IPv4 packet m (header ip of ihl
 * bytes) is right, by the port's rx flags when it checked it, else in
 * software over the whole segment (csum_l4_sum4_mbuf()).  A UDP checksum
 * of 0 (none) is right. */
static inline bool
net_l4_cksum_ok(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip,
		unsigned int ihl)
{
	uint64_t f = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
	const struct rte_udp_hdr *u;

	if (f != RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN)
		return f != RTE_MBUF_F_RX_L4_CKSUM_BAD;
	u = (const struct rte_udp_hdr *)((const char *)ip + ihl);
	if (ip->next_proto_id == IPPROTO_UDP && u->dgram_cksum == 0)
		return true;
	return csum_l4_sum4_mbuf(m, ip, ihl) == 0xffff;
}

/** The port found the L4 checksum wrong.  One bit test in the usual
 * case: the BAD bit is also set in NONE, which the caller tells apart
 * in the rare case (net_l4_cksum_flag_bad()). */
static inline bool
net_l4_cksum_flag_maybe_bad(const struct rte_mbuf *m)
{
	return m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_BAD;
}

static inline bool
net_l4_cksum_flag_bad(const struct rte_mbuf *m)
{
	return (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) ==
	       RTE_MBUF_F_RX_L4_CKSUM_BAD;
}

/* The software check when the port did not check the header. */
static inline bool
net_ipv4_cksum_good(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip)
{
	if (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_GOOD)
		return true;
	return !(m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_BAD) &&
	       csum_verify_ipv4_20(ip);
}

/**
 * What net_ipv4_usual() found of the last destinations of a burst, so
 * that packets to one address (a client burst to a VIP, the servers'
 * replies to a handful of LIPs) route once: a slot per address by its
 * last bits, direct-mapped.  Per burst: the route table may change
 * between bursts, never while a worker holds one.
 */
#define NET_DST_MEMO_SLOTS 8

struct net_dst_memo {
	rte_be32_t dst[NET_DST_MEMO_SLOTS];	/* 0: empty, its r NULL */
	const struct route_slot *r[NET_DST_MEMO_SLOTS];	/* NULL: not the
							 * burst path's */
};

/* Empty, before a burst's first packet.  The routes too: a packet to
 * 0.0.0.0 meets an empty slot as a hit, and must read NULL (the full
 * path) from it. */
static inline void
net_dst_memo_init(struct net_dst_memo *memo)
{
	memset(memo, 0, sizeof(*memo));
}

/* The destination's part of net_ipv4_usual(): a unicast address whose
 * route is local, or transit but not a subnet broadcast. */
static __rte_always_inline const struct route_slot *
net_ipv4_usual_dst(const struct dp_ctx *dp, rte_be32_t dst)
{
	const struct route_slot *r;

	if (unlikely((rte_be_to_cpu_32(dst) >> 28) == 0xe ||
		     dst == RTE_BE32(0xffffffff)))
		return NULL;
	r = route_lookup(&dp->routes, dst);
	if (unlikely(r == NULL || (r->type != ROUTE_LOCAL &&
				   route_is_subnet_broadcast(r, dst))))
		return NULL;
	return r;
}

/* The burst path's frame check, for both families: one mbuf segment
 * holding at least an Ethernet header (eth, its start) and l3_min bytes,
 * of ether type type, unicast to port's MAC (what l2_input() takes for
 * us). */
static __rte_always_inline bool
net_frame_usual(const struct dp_ctx *dp, uint16_t port,
		const struct rte_mbuf *m, const struct rte_ether_hdr *eth,
		rte_be16_t type, uint32_t l3_min)
{
	return rte_pktmbuf_data_len(m) == rte_pktmbuf_pkt_len(m) &&
	       rte_pktmbuf_data_len(m) >= sizeof(*eth) + l3_min &&
	       eth->ether_type == type &&
	       rte_is_same_ether_addr(&eth->dst_addr, &dp->ports[port].mac);
}

/* The Ethernet padding of a frame net_frame_usual() took trimmed: its
 * L3 packet is len bytes of the avail after the Ethernet header. */
static __rte_always_inline void
net_frame_trim(struct rte_mbuf *m, uint32_t len, uint32_t avail)
{
	if (len < avail) {
		/* one segment (checked): no walk to the last */
		m->data_len = (uint16_t)(sizeof(struct rte_ether_hdr) + len);
		m->pkt_len = sizeof(struct rte_ether_hdr) + len;
	}
}

/**
 * The burst path's classification (core/pipeline.c): for a unicast
 * frame of one mbuf segment to port's MAC with an IPv4 header of 20 bytes that l2_input()
 * accepts whole (lengths, checksum, not a fragment), to a unicast
 * address whose route l2_input() would return as NET_LOCAL or
 * NET_TRANSIT (local, or transit but not a subnet broadcast): the
 * route, with *ipp set and the Ethernet padding trimmed as l2_input()
 * does.  NULL for anything else, untouched: it takes l2_input().
 * ICMP echo requests to us are not excluded: the load balancer passes
 * ICMP back to the full path.  memo: the burst's (struct net_dst_memo).
 */
static inline const struct route_slot *
net_ipv4_usual(const struct dp_ctx *dp, uint16_t port, struct rte_mbuf *m,
	       struct rte_ipv4_hdr **ipp, struct net_dst_memo *memo)
{
	const struct rte_ether_hdr *eth =
		rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	const struct route_slot *r;
	uint32_t avail, tot, slot;

	*ipp = ip;
	if (unlikely(!net_frame_usual(dp, port, m, eth,
				      RTE_BE16(RTE_ETHER_TYPE_IPV4),
				      sizeof(*ip)) ||
		     ip->version_ihl != 0x45))
		return NULL;
	avail = rte_pktmbuf_pkt_len(m) - sizeof(*eth);
	tot = rte_be_to_cpu_16(ip->total_length);
	if (unlikely(tot < sizeof(*ip) || tot > avail ||
		     !net_ipv4_cksum_good(m, ip) ||
		     (ip->fragment_offset &
		      RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))))
		return NULL;
	slot = rte_be_to_cpu_32(ip->dst_addr) & (NET_DST_MEMO_SLOTS - 1);
	if (ip->dst_addr != memo->dst[slot]) {
		memo->dst[slot] = ip->dst_addr;
		memo->r[slot] = net_ipv4_usual_dst(dp, ip->dst_addr);
	}
	r = memo->r[slot];
	if (unlikely(r == NULL))
		return NULL;
	net_frame_trim(m, tot, avail);
	return r;
}

#endif /* DPLB_NET_H */
