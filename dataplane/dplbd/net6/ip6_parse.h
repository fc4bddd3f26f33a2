/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ip6_parse: the IPv6 header and its extension headers, checked as
 * received (RFC 8200), as a pure function of the bytes, so that it is
 * unit-tested alone and called the same way by every IPv6 path.
 *
 * The walk follows the chain of extension headers to the upper-layer
 * protocol with limits on their number (IP6_EXT_MAX) and their bytes
 * (IP6_EXT_BYTES_MAX): a packet of a thousand tiny options must not buy
 * a thousand loop turns.  It stops at a Fragment header, since only
 * the first fragment has what lies behind it.
 */
#ifndef DPLB_IP6_PARSE_H
#define DPLB_IP6_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/stats.h"

#define IP6_HDR_LEN 40
#define IP6_EXT_MAX 8		/* extension headers before the L4 */
#define IP6_EXT_BYTES_MAX 512	/* their bytes together */

/* Next-header values the walk knows (IANA "IPv6 Extension Header
 * Types" and the upper layers it meets). */
#define IP6_NH_HOP 0
#define IP6_NH_ROUTING 43
#define IP6_NH_FRAGMENT 44
#define IP6_NH_ESP 50
#define IP6_NH_AH 51
#define IP6_NH_ICMP6 58
#define IP6_NH_NONE 59
#define IP6_NH_DSTOPTS 60
#define IP6_NH_MOBILITY 135
#define IP6_NH_HIP 139
#define IP6_NH_SHIM6 140

/** What the walk found. */
struct ip6_info {
	uint8_t proto;		/* upper-layer protocol (or the header
				 * after the Fragment header) */
	uint8_t n_ext;		/* extension headers walked */
	uint16_t l4_off;	/* the upper layer, from the IPv6 header */
	uint16_t frag_off;	/* the Fragment header, 0 = none */
	uint16_t pkt_len;	/* 40 + payload length */
	enum drop_reason why;	/* when the check failed */
};

/**
 * Check the IPv6 packet at ip (avail bytes of it readable, the
 * Ethernet padding included) and walk its extension headers.  false
 * with out->why one of DROP_IPV6_BAD_HEADER (version, length,
 * jumbogram), DROP_IPV6_SRC_MULTICAST, DROP_IPV6_MARTIAN_SOURCE
 * (loopback or IPv4-mapped), DROP_IPV6_BAD_EXT (truncated, Hop-by-Hop
 * not first, a type 0 Routing header with segments left, RFC 5095),
 * DROP_IPV6_EXT_LIMIT.
 */
bool ip6_parse(const uint8_t *ip, uint32_t avail, struct ip6_info *out);

/**
 * Walk the extension headers of the IPv6 packet quoted in an ICMPv6
 * error (avail bytes of the quote at ip): as ip6_parse() with its
 * limits, but a quote holds as much of the packet as fitted (RFC 4443
 * 2.4), so its payload length bounds the walk without having to match.
 * false (out->why) when it is not IPv6, an extension header is cut or
 * bad, the limits are passed, it is a fragment but the first
 * (DROP_IPV6_FRAGMENT: no upper-layer header), or the quote ends before
 * the upper layer's first 8 bytes (DROP_IPV6_BAD_EXT).
 */
bool ip6_parse_quoted(const uint8_t *ip, uint32_t avail, struct ip6_info *out);

/** An upper-layer protocol dplbd or its kernel twin may be asked to
 * take (false: DROP_IPV6_UNKNOWN_NEXT_HEADER for a local packet). */
bool ip6_proto_known(uint8_t proto);

/** A source no packet from the wire may carry beyond multicast: the
 * loopback address, or an IPv4-mapped one (RFC 4291 2.5.3, 2.5.5.2). */
static inline bool
ip6_src_martian(const uint8_t s[16])
{
	static const uint8_t loopback[16] = { [15] = 1 };
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	return __builtin_memcmp(s, loopback, 16) == 0 ||
	       __builtin_memcmp(s, mapped, 12) == 0;
}

static inline bool
ip6_addr_is_multicast(const uint8_t a[16])
{
	return a[0] == 0xff;
}

static inline bool
ip6_addr_is_unspecified(const uint8_t a[16])
{
	static const uint8_t zero[16];

	return __builtin_memcmp(a, zero, 16) == 0;
}

static inline bool
ip6_addr_is_linklocal(const uint8_t a[16])
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

#endif /* DPLB_IP6_PARSE_H */
