/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xlat: IPv6 header rewrites for the load balancer's forwarding modes,
 * a pure library on packets (no state, no allocation, no logging) that
 * lb6/lb6.c calls, as lb/lb.c calls tcp/:
 *   - NAT and full NAT: addresses and transport ports replaced, the
 *     transport checksum updated incrementally (RFC 1624 over the
 *     128-bit pseudo-header addresses; IPv6 has no header checksum);
 *   - DR: the Ethernet addresses only;
 *   - TUNNEL: an outer IPv6 header (IPv6 or IPv4 inside, RFC 2473) or
 *     an outer IPv4 header with IPv6 inside (protocol 41), the mixed
 *     families IPVS allows for tunnels only;
 *   - ICMPv6 errors about a connection: outer and quoted addresses and
 *     ports rewritten, the ICMPv6 checksum recomputed.
 * NAT64 (RFC 7915) is nat64.h.
 *
 * Buffers are contiguous (the caller linearises an mbuf chain first);
 * every value in a header is in network byte order, ports included.
 * Functions return 0 or a negative errno and never touch a byte past
 * the lengths they are given.
 */
#ifndef DPLB_XLAT_H
#define DPLB_XLAT_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>

#include "net/csum.h"

#define XLAT_IPV6_MIN_MTU 1280		/* RFC 8200 5 */
#define XLAT_IPV6_HDR 40
#define XLAT_IPV4_HDR 20
#ifndef IPPROTO_ICMPV6
#define IPPROTO_ICMPV6 58
#endif
#define XLAT_PROTO_IPV4 4		/* IPv4 in a tunnel */
#define XLAT_PROTO_IPV6 41		/* IPv6 in a tunnel */

/* ICMPv6 types (RFC 4443) */
#define XLAT_ICMP6_DST_UNREACH 1
#define XLAT_ICMP6_PKT_TOO_BIG 2
#define XLAT_ICMP6_TIME_EXCEEDED 3
#define XLAT_ICMP6_PARAM_PROB 4
#define XLAT_ICMP6_ECHO_REQUEST 128
#define XLAT_ICMP6_ECHO_REPLY 129

/** Addresses and ports of an IPv6 packet as it leaves a rewrite.  For
 * ICMP echo sport is the identifier and dport is not used. */
struct xlat_tuple6 {
	uint8_t src[16];
	uint8_t dst[16];
	rte_be16_t sport;
	rte_be16_t dport;
};

/** The same for IPv4. */
struct xlat_tuple4 {
	rte_be32_t src;
	rte_be32_t dst;
	rte_be16_t sport;
	rte_be16_t dport;
};

/**
 * The checksum after data summing to old_sum became data summing to
 * new_sum (both csum_raw()-style sums, not inverted): RFC 1624 eqn. 3
 * for any number of fields at once.
 */
static inline rte_be16_t
xlat_csum_replace(rte_be16_t cksum, uint16_t old_sum, uint16_t new_sum)
{
	/* one 16-bit word's update: the sums stand for the fields */
	return csum_update16(cksum, old_sum, new_sum);
}

/** The sum of the two 128-bit addresses of a pseudo header. */
static inline uint16_t
xlat_sum_addr6(const uint8_t src[16], const uint8_t dst[16])
{
	uint64_t sum = 0;
	uint32_t w[8];

	memcpy(w, src, 16);
	memcpy(w + 4, dst, 16);
	for (int i = 0; i < 8; i++)
		sum += w[i];
	return csum_fold64(sum);
}

/** The sum of two 32-bit addresses (or any two words). */
static inline uint16_t
xlat_sum_addr4(rte_be32_t src, rte_be32_t dst)
{
	return csum_fold64((uint64_t)src + dst);
}

/** The offset of the transport checksum in a header of proto (TCP 16,
 * UDP 6, ICMP and ICMPv6 2), -1 for another protocol. */
static inline int
xlat_csum_off(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return 16;
	case IPPROTO_UDP:
		return 6;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return 2;
	}
	return -1;
}

/** The full checksum of an IPv6 transport message of len bytes at l4
 * (its checksum field zeroed or not: the field is skipped). */
rte_be16_t xlat_l4_csum6(const uint8_t src[16], const uint8_t dst[16],
			 uint8_t proto, const void *l4, size_t len);

/** The same over IPv4's pseudo header (ICMP has none: proto 1 sums the
 * message alone). */
rte_be16_t xlat_l4_csum4(rte_be32_t src, rte_be32_t dst, uint8_t proto,
			 const void *l4, size_t len);

/**
 * NAT, full NAT: set the IPv6 packet's addresses and ports to t and
 * update the transport checksum incrementally.  proto TCP, UDP or
 * ICMPv6 (echo: sport is the identifier; other ICMPv6 only has its
 * addresses changed).  l4_len: bytes from l4 to the end of the packet.
 * -EINVAL: a short header or another protocol; -EBADMSG: a UDP
 * checksum of zero, which IPv6 forbids (RFC 8200 8.1).
 */
int xlat6_rewrite(struct rte_ipv6_hdr *ip6, uint8_t proto, void *l4,
		  size_t l4_len, const struct xlat_tuple6 *t);

/** Forward one hop: -ETIMEDOUT when the hop limit would reach 0 (the
 * caller answers time exceeded), else 0 with it decremented. */
static inline int
xlat6_hop_dec(struct rte_ipv6_hdr *ip6)
{
	if (ip6->hop_limits <= 1)
		return -ETIMEDOUT;
	ip6->hop_limits--;
	return 0;
}

/** DR: the frame goes to the server's MAC from ours; IP untouched. */
static inline void
xlat_dr_mac(struct rte_ether_hdr *eth, const struct rte_ether_addr *src,
	    const struct rte_ether_addr *dst)
{
	rte_ether_addr_copy(src, &eth->src_addr);
	rte_ether_addr_copy(dst, &eth->dst_addr);
}

/**
 * TUNNEL over IPv6: write the outer IPv6 header at outer (40 bytes just
 * before the inner packet) for an inner packet of inner_len bytes,
 * inner_proto XLAT_PROTO_IPV6 (ip6ip6) or XLAT_PROTO_IPV4 (IPv4 in
 * IPv6).  The traffic class is the inner packet's (RFC 2473 6.5), the
 * flow label 0, the hop limit hop.  -EMSGSIZE past 65535 bytes of
 * payload, -EINVAL for another inner protocol.
 */
int xlat6_encap(struct rte_ipv6_hdr *outer, const uint8_t src[16],
		const uint8_t dst[16], uint8_t inner_proto,
		const void *inner, size_t inner_len, uint8_t hop);

/**
 * TUNNEL of an IPv6 service to an IPv4 server: the outer IPv4 header
 * (protocol 41, RFC 4213 3.5) at outer, 20 bytes before the IPv6
 * packet of inner_len bytes; DF set (the inner sender learns the path
 * MTU), TTL ttl, the given id, header checksum computed.
 */
int xlat4_encap6(struct rte_ipv4_hdr *outer, rte_be32_t src, rte_be32_t dst,
		 const struct rte_ipv6_hdr *inner, size_t inner_len,
		 uint8_t ttl, rte_be16_t id);

/**
 * An ICMPv6 error about a connection, forwarded to the other side
 * (ip6: the whole packet, len bytes, no extension headers before the
 * ICMPv6 header nor in the quoted one): the outer addresses become
 * outer->src/dst, the quoted packet's addresses and ports become
 * inner's (its transport checksum updated when quoted), then the
 * ICMPv6 checksum is recomputed.  -EINVAL: not an error this can
 * rewrite (short, not TCP/UDP/ICMPv6 inside).
 */
int xlat6_icmp_error_rewrite(struct rte_ipv6_hdr *ip6, size_t len,
			     const struct xlat_tuple6 *outer,
			     const struct xlat_tuple6 *inner);

/** Where the parts of an ICMPv6 error lie when extension headers come
 * before its ICMPv6 header or in the packet it quotes. */
struct xlat_icmp6_at {
	uint16_t icmp_off;	/* the ICMPv6 header, from the IPv6 one */
	uint16_t quoted_l4_off;	/* the quoted upper layer, from the quoted
				 * IPv6 header */
	uint8_t quoted_proto;	/* its protocol */
};

/**
 * xlat6_icmp_error_rewrite() of an error laid out as at says (the
 * extension headers found by the caller's walk, left as they are): the
 * ICMPv6 checksum covers from at->icmp_off.  -EINVAL as it.
 */
int xlat6_icmp_error_rewrite_at(struct rte_ipv6_hdr *ip6, size_t len,
				const struct xlat_icmp6_at *at,
				const struct xlat_tuple6 *outer,
				const struct xlat_tuple6 *inner);

/** True for the ICMPv6 types that quote a packet (1..4). */
static inline int
xlat_icmp6_is_error(uint8_t type)
{
	return type >= XLAT_ICMP6_DST_UNREACH && type <= XLAT_ICMP6_PARAM_PROB;
}

#endif /* DPLB_XLAT_H */
