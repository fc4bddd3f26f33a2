/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include <rte_common.h>

#include "net6/ip6_parse.h"

/* The fields of the IPv6 header this file reads (RFC 8200 3). */
#define OFF_PLEN 4
#define OFF_NH 6
#define OFF_SRC 8
#define FRAG_HDR_LEN 8

static bool
fail(struct ip6_info *out, enum drop_reason why)
{
	out->why = why;
	return false;
}

static bool
header_ok(const uint8_t *ip, uint32_t avail, struct ip6_info *out)
{
	uint32_t plen;

	if (avail < IP6_HDR_LEN || (ip[0] >> 4) != 6)
		return fail(out, DROP_IPV6_BAD_HEADER);
	plen = (uint32_t)ip[OFF_PLEN] << 8 | ip[OFF_PLEN + 1];
	/* a payload length of 0 announces a jumbogram (RFC 2675): none
	 * fits an Ethernet frame */
	if (plen == 0 || IP6_HDR_LEN + plen > avail)
		return fail(out, DROP_IPV6_BAD_HEADER);
	if (ip6_addr_is_multicast(ip + OFF_SRC))
		return fail(out, DROP_IPV6_SRC_MULTICAST);
	if (ip6_src_martian(ip + OFF_SRC))
		return fail(out, DROP_IPV6_MARTIAN_SOURCE);
	out->pkt_len = (uint16_t)(IP6_HDR_LEN + plen);
	return true;
}

static bool
is_extension(uint8_t nh)
{
	switch (nh) {
	case IP6_NH_HOP:
	case IP6_NH_ROUTING:
	case IP6_NH_FRAGMENT:
	case IP6_NH_DSTOPTS:
	case IP6_NH_AH:
	case IP6_NH_MOBILITY:
	case IP6_NH_HIP:
	case IP6_NH_SHIM6:
		return true;
	default:
		return false;
	}
}

/* The length of the extension header nh at h (2 bytes readable). */
static uint32_t
ext_len(uint8_t nh, const uint8_t *h)
{
	if (nh == IP6_NH_FRAGMENT)
		return FRAG_HDR_LEN;
	if (nh == IP6_NH_AH)		/* in 4-octet units, minus 2 */
		return ((uint32_t)h[1] + 2) * 4;
	return ((uint32_t)h[1] + 1) * 8;	/* 8-octet units, minus 1 */
}

/* The extension headers of the IPv6 packet at ip, up to its upper layer
 * or its Fragment header, within its first end bytes. */
static bool
walk_ext(const uint8_t *ip, uint32_t end, struct ip6_info *out)
{
	uint32_t off = IP6_HDR_LEN, len;
	uint8_t nh = ip[OFF_NH];

	while (is_extension(nh)) {
		const uint8_t *h = ip + off;

		if (nh == IP6_NH_HOP && off != IP6_HDR_LEN)
			return fail(out, DROP_IPV6_BAD_EXT);
		if (off + 2 > end)
			return fail(out, DROP_IPV6_BAD_EXT);
		len = ext_len(nh, h);
		if (off + len > end)
			return fail(out, DROP_IPV6_BAD_EXT);
		if (++out->n_ext > IP6_EXT_MAX ||
		    off + len - IP6_HDR_LEN > IP6_EXT_BYTES_MAX)
			return fail(out, DROP_IPV6_EXT_LIMIT);
		/* RFC 5095: a type 0 Routing header still routing */
		if (nh == IP6_NH_ROUTING && h[2] == 0 && h[3] != 0)
			return fail(out, DROP_IPV6_BAD_EXT);
		if (nh == IP6_NH_FRAGMENT) {
			out->frag_off = (uint16_t)off;
			out->proto = h[0];
			out->l4_off = (uint16_t)(off + len);
			return true;
		}
		nh = h[0];
		off += len;
	}
	out->proto = nh;
	out->l4_off = (uint16_t)off;
	return true;
}

bool
ip6_parse(const uint8_t *ip, uint32_t avail, struct ip6_info *out)
{
	memset(out, 0, sizeof(*out));
	if (!header_ok(ip, avail, out))
		return false;
	return walk_ext(ip, out->pkt_len, out);
}

bool
ip6_parse_quoted(const uint8_t *ip, uint32_t avail, struct ip6_info *out)
{
	uint32_t plen;

	memset(out, 0, sizeof(*out));
	if (avail < IP6_HDR_LEN || (ip[0] >> 4) != 6)
		return fail(out, DROP_IPV6_BAD_HEADER);
	plen = (uint32_t)ip[OFF_PLEN] << 8 | ip[OFF_PLEN + 1];
	out->pkt_len = (uint16_t)RTE_MIN(IP6_HDR_LEN + plen, avail);
	if (!walk_ext(ip, out->pkt_len, out))
		return false;
	/* a later fragment carries no upper-layer header */
	if (out->frag_off != 0 &&
	    ((ip[out->frag_off + 2] << 8 | ip[out->frag_off + 3]) & 0xfff8))
		return fail(out, DROP_IPV6_FRAGMENT);
	if (out->l4_off + 8u > out->pkt_len)
		return fail(out, DROP_IPV6_BAD_EXT);
	return true;
}

bool
ip6_proto_known(uint8_t proto)
{
	switch (proto) {
	case 4:		/* IPv4 in IPv6 */
	case 6:		/* TCP */
	case 17:	/* UDP */
	case 33:	/* DCCP */
	case 41:	/* IPv6 in IPv6 */
	case 47:	/* GRE */
	case IP6_NH_ESP:
	case IP6_NH_ICMP6:
	case IP6_NH_NONE:
	case 89:	/* OSPFv3 */
	case 103:	/* PIM */
	case 112:	/* VRRPv3 */
	case 115:	/* L2TP */
	case 132:	/* SCTP */
	case 136:	/* UDP-Lite */
		return true;
	default:
		return false;
	}
}
