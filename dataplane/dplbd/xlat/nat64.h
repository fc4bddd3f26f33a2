/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nat64: IP/ICMP translation between IPv6 and IPv4 (RFC 7915) for the
 * full-NAT NAT64 services: an IPv6 client's packet to an IPv6 VIP
 * leaves as IPv4 from a local IPv4 address to an IPv4 server, and the
 * server's answer goes back as IPv6.  The addresses are not derived
 * from a prefix (RFC 6052): the connection says them, so every
 * function takes the tuple the translated packet must carry.
 *
 * What is translated:
 *   - TCP and UDP: the header replaced, ports set, the transport
 *     checksum updated incrementally for the pseudo header's change.
 *     UDP checksum 0: refused from IPv6 (RFC 8200 8.1 forbids it),
 *     computed toward IPv6 (RFC 7915 4.5; fragments never reach here:
 *     the stack reassembles first);
 *   - ICMP echo <-> ICMPv6 echo (the checksum gains or loses the IPv6
 *     pseudo header; the identifier is the "source port");
 *   - ICMP errors both ways (nat64_icmp_4to6/6to4): type and code
 *     mapped per RFC 7915 4.2 and 5.2, parameter-problem pointers
 *     mapped, MTU of a fragmentation-needed / packet-too-big adjusted
 *     by the 20 bytes the header size differs (never below 1280 toward
 *     IPv6), the quoted packet translated too; the untranslatable
 *     (redirects, source quench, ...) are refused with -ENOTSUP so the
 *     caller counts and drops them.
 *
 * DF of an IPv4 packet translated from IPv6: set past 1260 bytes, clear
 * up to it (RFC 7915 5.1's option), so an IPv4 path MTU below 1280
 * fragments small packets rather than asking for a size IPv6 cannot
 * send; a fragmentation-needed answer thus always maps to >= 1280.
 *
 * In-place translations (TCP, UDP, echo) keep the transport header and
 * payload where they are and write the new IP header just before it:
 * 6->4 needs nothing, 4->6 needs 40 - IHL bytes of room before the IPv4
 * header (an mbuf's headroom).  Errors, rare and size-changing twice
 * (outer and quoted header), are written into another buffer.
 */
#ifndef DPLB_NAT64_H
#define DPLB_NAT64_H

#include <stddef.h>
#include <stdint.h>

#include "xlat/xlat.h"

#define NAT64_DF_ABOVE 1260		/* DF set on IPv4 packets longer */
#define NAT64_ICMP4_MAX 576		/* RFC 1812 4.3.2.3 */

/** Next-hop MTUs known to the caller, 0 = unknown (not used). */
struct nat64_mtus {
	uint16_t v4;
	uint16_t v6;
};

/**
 * IPv6 -> IPv4 (RFC 7915 5.1): pkt holds the IPv6 header, extension
 * headers up to l4_off, then l4_len bytes of proto (TCP, UDP, ICMPv6
 * echo).  The IPv4 header is written in the 20 bytes before pkt +
 * l4_off and returned in *ip4; the hop limit becomes the TTL as is (the
 * caller forwards one hop first), ip_id is the identification.
 * -EINVAL short or malformed, -EBADMSG UDP checksum 0, -ENOTSUP another
 * protocol or ICMPv6 type (errors: nat64_icmp_6to4), -EMSGSIZE too big.
 */
int nat64_6to4(uint8_t *pkt, size_t l4_off, uint8_t proto, size_t l4_len,
	       const struct xlat_tuple4 *t, rte_be16_t ip_id,
	       struct rte_ipv4_hdr **ip4);

/**
 * nat64_6to4() of TCP or UDP (-ENOTSUP for another protocol) whose
 * transport checksum changes by l4_diff: the sum of t's addresses and
 * ports less the packet's, in csum_diff32() terms (csum.h), which the
 * caller knows from the connection, so the packet's addresses are not
 * summed.
 */
int nat64_6to4_by(uint8_t *pkt, size_t l4_off, uint8_t proto, size_t l4_len,
		  const struct xlat_tuple4 *t, rte_be16_t ip_id,
		  uint64_t l4_diff, struct rte_ipv4_hdr **ip4);

/**
 * IPv4 -> IPv6 (RFC 7915 4.1): pkt holds an IPv4 packet of len bytes
 * (options dropped; the header's total length bounds it).  The IPv6
 * header is written in the 40 bytes before the transport header (40 -
 * IHL of them before pkt must be writable) and returned in *ip6.
 * -EINVAL short or malformed, -EPROTONOSUPPORT a fragment, -ENOTSUP
 * another protocol or ICMP type (errors: nat64_icmp_4to6).
 */
int nat64_4to6(uint8_t *pkt, size_t len, const struct xlat_tuple6 *t,
	       struct rte_ipv6_hdr **ip6);

/** nat64_4to6() of TCP or UDP (-ENOTSUP for another protocol) whose
 * transport checksum changes by l4_diff, as for nat64_6to4_by(). */
int nat64_4to6_by(uint8_t *pkt, size_t len, const struct xlat_tuple6 *t,
		  uint64_t l4_diff, struct rte_ipv6_hdr **ip6);

/**
 * An ICMPv4 error (in: the whole IPv4 packet) to an ICMPv6 error in
 * out (room bytes): outer addresses outer->src/dst, the quoted packet
 * (the one this side sent: server -> local address) translated to
 * inner (what the IPv6 side sent it as: VIP <- client, so inner->src is
 * the client).  The result is cut to 1280 bytes (RFC 4443 2.4).  The
 * IPv6 length, or -ENOTSUP (a type RFC 7915 drops), -EINVAL malformed,
 * -ENOSPC out too small.
 */
int nat64_icmp_4to6(const uint8_t *in, size_t in_len, uint8_t *out,
		    size_t room, const struct xlat_tuple6 *outer,
		    const struct xlat_tuple6 *inner,
		    const struct nat64_mtus *mtu);

/**
 * An ICMPv6 error (in: the whole IPv6 packet, no extension headers
 * before the ICMPv6 one) to an ICMPv4 error in out, cut to 576 bytes;
 * ip_id the outer identification.  Returns and errors as above.
 */
int nat64_icmp_6to4(const uint8_t *in, size_t in_len, uint8_t *out,
		    size_t room, const struct xlat_tuple4 *outer,
		    const struct xlat_tuple4 *inner,
		    const struct nat64_mtus *mtu, rte_be16_t ip_id);

/** RFC 7915 4.2's type and code mapping of an ICMPv4 error: 0 with
 * type6 and code6 set, -ENOTSUP when the message is dropped. */
int nat64_icmp_type_4to6(uint8_t type, uint8_t code, uint8_t *type6,
			 uint8_t *code6);
/** RFC 7915 5.2's mapping of an ICMPv6 error. */
int nat64_icmp_type_6to4(uint8_t type, uint8_t code, uint8_t *type4,
			 uint8_t *code4);

/** The MTU to announce toward IPv6 for an IPv4 fragmentation-needed
 * with mtu4 (0: RFC 1191 plateau below the quoted packet's length). */
uint32_t nat64_mtu_4to6(uint16_t mtu4, uint16_t quoted_len,
			const struct nat64_mtus *mtu);
/** The MTU to announce toward IPv4 for a packet-too-big with mtu6. */
uint16_t nat64_mtu_6to4(uint32_t mtu6, const struct nat64_mtus *mtu);

#endif /* DPLB_NAT64_H */
