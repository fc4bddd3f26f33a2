/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xlat6: IPv6 NAT and full-NAT rewrites, tunnels, ICMPv6 errors about
 * a connection (xlat.h). */
#include <stdbool.h>

#include "xlat/xlat.h"

static uint16_t
sum_pseudo6(const uint8_t src[16], const uint8_t dst[16], uint8_t proto,
	    size_t len)
{
	uint64_t sum = xlat_sum_addr6(src, dst);

	sum += rte_cpu_to_be_32((uint32_t)len);
	sum += rte_cpu_to_be_32(proto);
	return csum_fold64(sum);
}

/* The message's sum without its checksum field (at off). */
static uint16_t
sum_without_field(const uint8_t *l4, size_t len, int off)
{
	rte_be16_t field;
	uint32_t sum = csum_raw(l4, len);

	memcpy(&field, l4 + off, 2);
	sum += (uint16_t)~field;
	return csum_fold(sum);
}

rte_be16_t
xlat_l4_csum6(const uint8_t src[16], const uint8_t dst[16], uint8_t proto,
	      const void *l4, size_t len)
{
	uint32_t sum = sum_pseudo6(src, dst, proto, len);
	rte_be16_t ck;

	sum += sum_without_field(l4, len, xlat_csum_off(proto));
	ck = (rte_be16_t)~csum_fold(sum);
	if (proto == IPPROTO_UDP && ck == 0)
		ck = 0xffff;
	return ck;
}

rte_be16_t
xlat_l4_csum4(rte_be32_t src, rte_be32_t dst, uint8_t proto, const void *l4,
	      size_t len)
{
	uint64_t sum = sum_without_field(l4, len, xlat_csum_off(proto));
	rte_be16_t ck;

	if (proto != IPPROTO_ICMP)
		sum += (uint64_t)src + dst + rte_cpu_to_be_16((uint16_t)len) +
		       rte_cpu_to_be_16(proto);
	ck = (rte_be16_t)~csum_fold64(sum);
	if (proto == IPPROTO_UDP && ck == 0)
		ck = 0xffff;
	return ck;
}

/* The bytes a rewrite needs of a transport header. */
static size_t
l4_min(uint8_t proto)
{
	return proto == IPPROTO_TCP ? 20 : 8;
}

/* Where the ports (or the echo identifier) of a header are, and how
 * many bytes: 4 for TCP/UDP, 2 for an ICMPv6 echo, 0 otherwise. */
static size_t
ports_at(uint8_t proto, const uint8_t *l4, size_t *at)
{
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
		*at = 0;
		return 4;
	}
	if (l4[0] == XLAT_ICMP6_ECHO_REQUEST || l4[0] == XLAT_ICMP6_ECHO_REPLY) {
		*at = 4;
		return 2;
	}
	*at = 0;
	return 0;
}

/* ip6's addresses and the ports of its transport header at l4 become
 * t's; returns ck, that header's checksum, updated to match (the
 * caller writes it, as a zero UDP checksum and a quoted header that
 * lacks one want their own handling). */
static __rte_always_inline rte_be16_t
move_tuple6(struct rte_ipv6_hdr *ip6, uint8_t proto, uint8_t *l4,
	    const struct xlat_tuple6 *t, rte_be16_t ck)
{
	rte_be16_t ports[2] = { t->sport, t->dport };
	uint64_t new_w[4], diff;
	uint32_t old_p, new_p;
	size_t at, n = ports_at(proto, l4, &at);
	uint16_t old_id;

	/* one sum of the changes of every word, one fold: the addresses
	 * are src then dst in both, four 64-bit words each side */
	RTE_BUILD_BUG_ON(offsetof(struct rte_ipv6_hdr, dst_addr) !=
			 offsetof(struct rte_ipv6_hdr, src_addr) + 16);
	memcpy(new_w, t->src, 16);
	memcpy(new_w + 2, t->dst, 16);
	diff = csum_change64((uint16_t)~ck, ip6->src_addr, new_w, 4);
	if (n == 4) {		/* both ports */
		memcpy(&old_p, l4 + at, 4);
		memcpy(&new_p, ports, 4);
		diff = csum_add64(diff, csum_diff32(old_p, new_p));
		memcpy(l4 + at, &new_p, 4);
	} else if (n == 2) {	/* an echo's identifier */
		memcpy(&old_id, l4 + at, 2);
		diff = csum_add64(diff, (uint64_t)(uint16_t)~old_id + ports[0]);
		memcpy(l4 + at, &ports[0], 2);
	}
	memcpy(ip6->src_addr, new_w, 32);
	return (rte_be16_t)~csum_fold64(diff);
}

int
xlat6_rewrite(struct rte_ipv6_hdr *ip6, uint8_t proto, void *l4,
	      size_t l4_len, const struct xlat_tuple6 *t)
{
	uint8_t *p = l4;
	int off = xlat_csum_off(proto);
	rte_be16_t ck;

	if (off < 0 || proto == IPPROTO_ICMP || l4_len < l4_min(proto))
		return -EINVAL;
	memcpy(&ck, p + off, 2);
	if (proto == IPPROTO_UDP && ck == 0)
		return -EBADMSG;
	ck = move_tuple6(ip6, proto, p, t, ck);
	if (proto == IPPROTO_UDP && ck == 0)
		ck = 0xffff;
	memcpy(p + off, &ck, 2);
	return 0;
}

int
xlat6_encap(struct rte_ipv6_hdr *outer, const uint8_t src[16],
	    const uint8_t dst[16], uint8_t inner_proto, const void *inner,
	    size_t inner_len, uint8_t hop)
{
	const uint8_t *in = inner;
	uint32_t tc;

	if (inner_len > UINT16_MAX)
		return -EMSGSIZE;
	if (inner_proto == XLAT_PROTO_IPV6 && inner_len >= XLAT_IPV6_HDR)
		tc = (rte_be_to_cpu_32(((const struct rte_ipv6_hdr *)in)->vtc_flow)
		      >> RTE_IPV6_HDR_TC_SHIFT) & 0xff;
	else if (inner_proto == XLAT_PROTO_IPV4 && inner_len >= XLAT_IPV4_HDR)
		tc = in[1];
	else
		return -EINVAL;
	outer->vtc_flow = rte_cpu_to_be_32(6u << 28 | tc << RTE_IPV6_HDR_TC_SHIFT);
	outer->payload_len = rte_cpu_to_be_16((uint16_t)inner_len);
	outer->proto = inner_proto;
	outer->hop_limits = hop;
	memcpy(outer->src_addr, src, 16);
	memcpy(outer->dst_addr, dst, 16);
	return 0;
}

int
xlat4_encap6(struct rte_ipv4_hdr *outer, rte_be32_t src, rte_be32_t dst,
	     const struct rte_ipv6_hdr *inner, size_t inner_len, uint8_t ttl,
	     rte_be16_t id)
{
	if (inner_len + XLAT_IPV4_HDR > UINT16_MAX)
		return -EMSGSIZE;
	if (inner_len < XLAT_IPV6_HDR)
		return -EINVAL;
	outer->version_ihl = 0x45;
	outer->type_of_service = (rte_be_to_cpu_32(inner->vtc_flow) >>
				  RTE_IPV6_HDR_TC_SHIFT) & 0xff;
	outer->total_length = rte_cpu_to_be_16((uint16_t)(inner_len +
							  XLAT_IPV4_HDR));
	outer->packet_id = id;
	outer->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	outer->time_to_live = ttl;
	outer->next_proto_id = XLAT_PROTO_IPV6;
	outer->src_addr = src;
	outer->dst_addr = dst;
	outer->hdr_checksum = 0;
	outer->hdr_checksum = csum_compute(outer, sizeof(*outer));
	return 0;
}

/* The quoted packet of an ICMPv6 error (qlen bytes, its upper layer
 * proto at l4_off): its addresses and ports become t's, its transport
 * checksum (when quoted) updated to match. */
static int
rewrite_quoted6(struct rte_ipv6_hdr *q, size_t qlen, size_t l4_off,
		uint8_t proto, const struct xlat_tuple6 *t)
{
	uint8_t *l4 = (uint8_t *)q + l4_off;
	size_t l4_len = qlen - l4_off;
	int off = xlat_csum_off(proto);
	rte_be16_t ck = 0;
	bool update;

	if (off < 0 || proto == IPPROTO_ICMP || qlen < l4_off + 8)
		return -EINVAL;
	update = (size_t)off + 2 <= l4_len;	/* the checksum is quoted */
	if (update)
		memcpy(&ck, l4 + off, 2);
	/* a zero UDP checksum is quoted as it was sent */
	update = update && !(proto == IPPROTO_UDP && ck == 0);
	ck = move_tuple6(q, proto, l4, t, ck);
	if (update)
		memcpy(l4 + off, &ck, 2);
	return 0;
}

int
xlat6_icmp_error_rewrite_at(struct rte_ipv6_hdr *ip6, size_t len,
			    const struct xlat_icmp6_at *at,
			    const struct xlat_tuple6 *outer,
			    const struct xlat_tuple6 *inner)
{
	size_t end = XLAT_IPV6_HDR + rte_be_to_cpu_16(ip6->payload_len);
	uint8_t *icmp = (uint8_t *)ip6 + at->icmp_off;
	rte_be16_t ck;
	int rc;

	if (end > len || at->icmp_off < XLAT_IPV6_HDR ||
	    end < (size_t)at->icmp_off + 8 + XLAT_IPV6_HDR + 8 ||
	    !xlat_icmp6_is_error(icmp[0]))
		return -EINVAL;
	rc = rewrite_quoted6((struct rte_ipv6_hdr *)(icmp + 8),
			     end - at->icmp_off - 8, at->quoted_l4_off,
			     at->quoted_proto, inner);
	if (rc < 0)
		return rc;
	memcpy(ip6->src_addr, outer->src, 16);
	memcpy(ip6->dst_addr, outer->dst, 16);
	ck = xlat_l4_csum6(ip6->src_addr, ip6->dst_addr, IPPROTO_ICMPV6, icmp,
			   end - at->icmp_off);
	memcpy(icmp + 2, &ck, 2);
	return 0;
}

int
xlat6_icmp_error_rewrite(struct rte_ipv6_hdr *ip6, size_t len,
			 const struct xlat_tuple6 *outer,
			 const struct xlat_tuple6 *inner)
{
	const struct rte_ipv6_hdr *q = (const void *)((const uint8_t *)(ip6 + 1) + 8);
	struct xlat_icmp6_at at = { XLAT_IPV6_HDR, XLAT_IPV6_HDR, 0 };

	if (len < XLAT_IPV6_HDR + 8 + XLAT_IPV6_HDR + 8 ||
	    ip6->proto != IPPROTO_ICMPV6)
		return -EINVAL;
	at.quoted_proto = q->proto;
	return xlat6_icmp_error_rewrite_at(ip6, len, &at, outer, inner);
}
