/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nat64_icmp: ICMP errors translated both ways with the packet they
 * quote (RFC 7915 4.2-4.3, 5.2-5.3; nat64.h). */
#include "xlat/nat64.h"

#define ICMP4_ECHO_REPLY 0
#define ICMP4_DST_UNREACH 3
#define ICMP4_ECHO_REQUEST 8
#define ICMP4_TIME_EXCEEDED 11
#define ICMP4_PARAM_PROB 12
#define ICMP4_FRAG_NEEDED 4		/* code of ICMP4_DST_UNREACH */
#define ICMP4_PROTO_UNREACH 2		/* code of ICMP4_DST_UNREACH */
#define ICMP6_PARAM_NEXT_HDR 1		/* code of XLAT_ICMP6_PARAM_PROB */
#define POINTER_NONE 0xff

/* Destination unreachable codes 0..15 toward ICMPv6 type 1 (code) or
 * dropped (0xff); 2 and 4 are handled apart (RFC 7915 4.2). */
static const uint8_t unreach_4to6[16] = {
	0, 0, 0xff, 4, 0xff, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0xff, 1,
};

int
nat64_icmp_type_4to6(uint8_t type, uint8_t code, uint8_t *type6,
		     uint8_t *code6)
{
	switch (type) {
	case ICMP4_DST_UNREACH:
		if (code == ICMP4_PROTO_UNREACH) {
			*type6 = XLAT_ICMP6_PARAM_PROB;
			*code6 = ICMP6_PARAM_NEXT_HDR;
			return 0;
		}
		if (code == ICMP4_FRAG_NEEDED) {
			*type6 = XLAT_ICMP6_PKT_TOO_BIG;
			*code6 = 0;
			return 0;
		}
		if (code >= RTE_DIM(unreach_4to6) || unreach_4to6[code] == 0xff)
			return -ENOTSUP;
		*type6 = XLAT_ICMP6_DST_UNREACH;
		*code6 = unreach_4to6[code];
		return 0;
	case ICMP4_TIME_EXCEEDED:
		*type6 = XLAT_ICMP6_TIME_EXCEEDED;
		*code6 = code;
		return 0;
	case ICMP4_PARAM_PROB:
		if (code != 0 && code != 2)
			return -ENOTSUP;
		*type6 = XLAT_ICMP6_PARAM_PROB;
		*code6 = 0;
		return 0;
	}
	return -ENOTSUP;	/* redirect, source quench, timestamps ... */
}

int
nat64_icmp_type_6to4(uint8_t type, uint8_t code, uint8_t *type4,
		     uint8_t *code4)
{
	static const uint8_t unreach[5] = { 1, 10, 1, 1, 3 };

	switch (type) {
	case XLAT_ICMP6_DST_UNREACH:
		if (code >= RTE_DIM(unreach))
			return -ENOTSUP;
		*type4 = ICMP4_DST_UNREACH;
		*code4 = unreach[code];
		return 0;
	case XLAT_ICMP6_PKT_TOO_BIG:
		*type4 = ICMP4_DST_UNREACH;
		*code4 = ICMP4_FRAG_NEEDED;
		return 0;
	case XLAT_ICMP6_TIME_EXCEEDED:
		*type4 = ICMP4_TIME_EXCEEDED;
		*code4 = code;
		return 0;
	case XLAT_ICMP6_PARAM_PROB:
		if (code == 0) {
			*type4 = ICMP4_PARAM_PROB;
			*code4 = 0;
			return 0;
		}
		if (code == ICMP6_PARAM_NEXT_HDR) {
			*type4 = ICMP4_DST_UNREACH;
			*code4 = ICMP4_PROTO_UNREACH;
			return 0;
		}
		return -ENOTSUP;
	}
	return -ENOTSUP;
}

/* RFC 7915 Figure 3: an IPv4 header offset to the IPv6 one. */
static uint8_t
pointer_4to6(uint8_t p)
{
	static const uint8_t map[20] = {
		0, 1, 4, 4, POINTER_NONE, POINTER_NONE, POINTER_NONE,
		POINTER_NONE, 7, 6, POINTER_NONE, POINTER_NONE, 8, 8, 8, 8,
		24, 24, 24, 24,
	};

	return p < RTE_DIM(map) ? map[p] : POINTER_NONE;
}

/* RFC 7915 Figure 6: an IPv6 header offset to the IPv4 one. */
static uint8_t
pointer_6to4(uint32_t p)
{
	if (p == 0 || p == 1)
		return (uint8_t)p;
	if (p == 4 || p == 5)
		return 2;
	if (p == 6)
		return 9;
	if (p == 7)
		return 8;
	if (p >= 8 && p < 24)
		return 12;
	if (p >= 24 && p < 40)
		return 16;
	return POINTER_NONE;
}

uint32_t
nat64_mtu_4to6(uint16_t mtu4, uint16_t quoted_len,
	       const struct nat64_mtus *mtu)
{
	static const uint16_t plateaus[] = {
		65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68,
	};
	uint32_t m = mtu4;

	if (m == 0) {	/* an old router: RFC 1191 5's plateau table */
		m = 68;
		for (unsigned int i = 0; i < RTE_DIM(plateaus); i++)
			if (plateaus[i] < quoted_len) {
				m = plateaus[i];
				break;
			}
	}
	m += XLAT_IPV6_HDR - XLAT_IPV4_HDR;
	if (mtu && mtu->v6 && mtu->v6 < m)
		m = mtu->v6;
	if (mtu && mtu->v4 && mtu->v4 + 20u < m)
		m = mtu->v4 + 20u;
	return m < XLAT_IPV6_MIN_MTU ? XLAT_IPV6_MIN_MTU : m;
}

uint16_t
nat64_mtu_6to4(uint32_t mtu6, const struct nat64_mtus *mtu)
{
	uint32_t m = mtu6 > 20 ? mtu6 - 20 : 0;

	if (mtu && mtu->v4 && mtu->v4 < m)
		m = mtu->v4;
	if (mtu && mtu->v6 && mtu->v6 > 20 && mtu->v6 - 20u < m)
		m = mtu->v6 - 20u;
	if (m < 68)
		m = 68;
	return m > UINT16_MAX ? UINT16_MAX : (uint16_t)m;
}

/* The quoted packet's transport header: ports (or the echo type and
 * identifier) set and its checksum adjusted by the change of the rest
 * (old_extra -> new_extra: pseudo-header sums), when quoted. */
static int
quoted_l4(uint8_t proto, uint8_t *l4, size_t n, uint8_t new_type,
	  rte_be16_t sport, rte_be16_t dport, uint16_t old_extra,
	  uint16_t new_extra)
{
	int off = xlat_csum_off(proto);
	rte_be16_t ck, w[2] = { sport, dport };
	uint64_t old_sum, new_sum;
	int echo = proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
	uint8_t *at = echo ? l4 + 4 : l4;
	size_t wn = echo ? 2 : 4;

	if (n < 8)
		return -EINVAL;
	old_sum = (uint64_t)old_extra + csum_raw(at, wn) + (echo ? csum_raw(l4, 2) : 0);
	if (echo)
		l4[0] = new_type;
	memcpy(at, w, wn);
	new_sum = (uint64_t)new_extra + csum_raw(at, wn) + (echo ? csum_raw(l4, 2) : 0);
	if ((size_t)off + 2 > n)
		return 0;
	memcpy(&ck, l4 + off, 2);
	if (proto == IPPROTO_UDP && ck == 0)
		return 0;
	ck = xlat_csum_replace(ck, csum_fold64(old_sum), csum_fold64(new_sum));
	if (proto == IPPROTO_UDP && ck == 0)
		ck = 0xffff;
	memcpy(l4 + off, &ck, 2);
	return 0;
}

/* The echo type seen from the other family, or -ENOTSUP. */
static int
echo_type(uint8_t proto, uint8_t type)
{
	if (proto == IPPROTO_ICMP)
		return type == ICMP4_ECHO_REQUEST ? XLAT_ICMP6_ECHO_REQUEST :
		       type == ICMP4_ECHO_REPLY ? XLAT_ICMP6_ECHO_REPLY : -ENOTSUP;
	if (proto == IPPROTO_ICMPV6)
		return type == XLAT_ICMP6_ECHO_REQUEST ? ICMP4_ECHO_REQUEST :
		       type == XLAT_ICMP6_ECHO_REPLY ? ICMP4_ECHO_REPLY : -ENOTSUP;
	return 0;
}

/* The quoted IPv4 packet q (qlen bytes) as IPv6 at out (room bytes);
 * returns its length there. */
static int
quoted_4to6(const uint8_t *q, size_t qlen, uint8_t *out, size_t room,
	    const struct xlat_tuple6 *t)
{
	const struct rte_ipv4_hdr *ip4 = (const void *)q;
	struct rte_ipv6_hdr *ip6 = (void *)out;
	size_t ihl, n, plen;
	uint8_t proto;
	int type;

	if (qlen < XLAT_IPV4_HDR + 8 || (ip4->version_ihl >> 4) != 4)
		return -EINVAL;
	ihl = (size_t)(ip4->version_ihl & 0xf) * 4;
	if (ihl < XLAT_IPV4_HDR || qlen < ihl + 8 ||
	    rte_be_to_cpu_16(ip4->total_length) < ihl + 8 ||
	    (ip4->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_OFFSET_MASK)))
		return -EINVAL;
	proto = ip4->next_proto_id;
	if (xlat_csum_off(proto) < 0)
		return -ENOTSUP;
	type = echo_type(proto, q[ihl]);
	if (type < 0)
		return type;
	if (room < XLAT_IPV6_HDR + 8)
		return -ENOSPC;
	n = RTE_MIN(qlen - ihl, room - XLAT_IPV6_HDR);
	plen = rte_be_to_cpu_16(ip4->total_length) - ihl;
	memcpy(out + XLAT_IPV6_HDR, q + ihl, n);
	ip6->vtc_flow = rte_cpu_to_be_32(6u << 28 | (uint32_t)ip4->type_of_service
					 << RTE_IPV6_HDR_TC_SHIFT);
	ip6->payload_len = rte_cpu_to_be_16((uint16_t)plen);
	ip6->proto = proto == IPPROTO_ICMP ? IPPROTO_ICMPV6 : proto;
	ip6->hop_limits = ip4->time_to_live;
	memcpy(ip6->src_addr, t->src, 16);
	memcpy(ip6->dst_addr, t->dst, 16);
	if (proto == IPPROTO_ICMP)
		quoted_l4(proto, out + XLAT_IPV6_HDR, n, (uint8_t)type, t->sport, 0,
			  0, csum_fold64((uint64_t)xlat_sum_addr6(t->src, t->dst) +
					 rte_cpu_to_be_32((uint32_t)plen) +
					 rte_cpu_to_be_32(IPPROTO_ICMPV6)));
	else
		quoted_l4(proto, out + XLAT_IPV6_HDR, n, 0, t->sport, t->dport,
			  xlat_sum_addr4(ip4->src_addr, ip4->dst_addr),
			  xlat_sum_addr6(t->src, t->dst));
	return (int)(XLAT_IPV6_HDR + n);
}

/* The ICMPv6 header's second word: MTU or pointer; -ENOTSUP when the
 * pointer has no IPv6 counterpart. */
static int
rest_4to6(uint8_t type6, const uint8_t *icmp, const uint8_t *q,
	  const struct nat64_mtus *mtu, rte_be32_t *rest)
{
	uint16_t mtu4;
	uint8_t p;

	*rest = 0;
	if (type6 == XLAT_ICMP6_PKT_TOO_BIG) {
		memcpy(&mtu4, icmp + 6, 2);
		*rest = rte_cpu_to_be_32(nat64_mtu_4to6(rte_be_to_cpu_16(mtu4),
				rte_be_to_cpu_16(((const struct rte_ipv4_hdr *)q)
						 ->total_length), mtu));
	} else if (type6 == XLAT_ICMP6_PARAM_PROB && icmp[0] == ICMP4_PARAM_PROB) {
		p = pointer_4to6(icmp[4]);
		if (p == POINTER_NONE)
			return -ENOTSUP;
		*rest = rte_cpu_to_be_32(p);
	} else if (type6 == XLAT_ICMP6_PARAM_PROB) {
		*rest = rte_cpu_to_be_32(6);	/* protocol: next header */
	}
	return 0;
}

int
nat64_icmp_4to6(const uint8_t *in, size_t in_len, uint8_t *out, size_t room,
		const struct xlat_tuple6 *outer, const struct xlat_tuple6 *inner,
		const struct nat64_mtus *mtu)
{
	const struct rte_ipv4_hdr *ip4 = (const void *)in;
	struct rte_ipv6_hdr *ip6 = (void *)out;
	const uint8_t *icmp;
	size_t ihl, total;
	uint8_t type6, code6;
	rte_be32_t rest;
	rte_be16_t ck;
	int rc, qn;

	if (in_len < XLAT_IPV4_HDR || (ip4->version_ihl >> 4) != 4)
		return -EINVAL;
	ihl = (size_t)(ip4->version_ihl & 0xf) * 4;
	total = rte_be_to_cpu_16(ip4->total_length);
	if (ihl < XLAT_IPV4_HDR || total > in_len || total < ihl + 8 ||
	    ip4->next_proto_id != IPPROTO_ICMP)
		return -EINVAL;
	icmp = in + ihl;
	rc = nat64_icmp_type_4to6(icmp[0], icmp[1], &type6, &code6);
	if (rc < 0)
		return rc;
	if (total < ihl + 8 + XLAT_IPV4_HDR)
		return -EINVAL;
	rc = rest_4to6(type6, icmp, icmp + 8, mtu, &rest);
	if (rc < 0)
		return rc;
	room = RTE_MIN(room, (size_t)XLAT_IPV6_MIN_MTU);
	if (room < XLAT_IPV6_HDR + 8)
		return -ENOSPC;
	qn = quoted_4to6(icmp + 8, total - ihl - 8, out + XLAT_IPV6_HDR + 8,
			 room - XLAT_IPV6_HDR - 8, inner);
	if (qn < 0)
		return qn;
	ip6->vtc_flow = rte_cpu_to_be_32(6u << 28 | (uint32_t)ip4->type_of_service
					 << RTE_IPV6_HDR_TC_SHIFT);
	ip6->payload_len = rte_cpu_to_be_16((uint16_t)(8 + qn));
	ip6->proto = IPPROTO_ICMPV6;
	ip6->hop_limits = ip4->time_to_live;
	memcpy(ip6->src_addr, outer->src, 16);
	memcpy(ip6->dst_addr, outer->dst, 16);
	out[XLAT_IPV6_HDR] = type6;
	out[XLAT_IPV6_HDR + 1] = code6;
	memcpy(out + XLAT_IPV6_HDR + 4, &rest, 4);
	ck = xlat_l4_csum6(ip6->src_addr, ip6->dst_addr, IPPROTO_ICMPV6,
			   out + XLAT_IPV6_HDR, 8 + qn);
	memcpy(out + XLAT_IPV6_HDR + 2, &ck, 2);
	return XLAT_IPV6_HDR + 8 + qn;
}

/* The quoted IPv6 packet q (qlen bytes, no extension headers) as IPv4
 * at out (room bytes); returns its length there. */
static int
quoted_6to4(const uint8_t *q, size_t qlen, uint8_t *out, size_t room,
	    const struct xlat_tuple4 *t)
{
	const struct rte_ipv6_hdr *ip6 = (const void *)q;
	struct rte_ipv4_hdr *ip4 = (void *)out;
	size_t n, plen;
	uint8_t proto;
	int type;

	if (qlen < XLAT_IPV6_HDR + 8 || (q[0] >> 4) != 6)
		return -EINVAL;
	proto = ip6->proto;
	if (xlat_csum_off(proto) < 0 || proto == IPPROTO_ICMP)
		return -ENOTSUP;	/* extension headers too */
	type = echo_type(proto, q[XLAT_IPV6_HDR]);
	if (type < 0)
		return type;
	if (room < XLAT_IPV4_HDR + 8)
		return -ENOSPC;
	n = RTE_MIN(qlen - XLAT_IPV6_HDR, room - XLAT_IPV4_HDR);
	plen = rte_be_to_cpu_16(ip6->payload_len);
	memcpy(out + XLAT_IPV4_HDR, q + XLAT_IPV6_HDR, n);
	if (proto == IPPROTO_ICMPV6)
		quoted_l4(proto, out + XLAT_IPV4_HDR, n, (uint8_t)type, t->sport, 0,
			  csum_fold64((uint64_t)xlat_sum_addr6(ip6->src_addr,
							       ip6->dst_addr) +
				      rte_cpu_to_be_32((uint32_t)plen) +
				      rte_cpu_to_be_32(IPPROTO_ICMPV6)), 0);
	else
		quoted_l4(proto, out + XLAT_IPV4_HDR, n, 0, t->sport, t->dport,
			  xlat_sum_addr6(ip6->src_addr, ip6->dst_addr),
			  xlat_sum_addr4(t->src, t->dst));
	ip4->version_ihl = 0x45;
	ip4->type_of_service = (rte_be_to_cpu_32(ip6->vtc_flow) >>
				RTE_IPV6_HDR_TC_SHIFT) & 0xff;
	ip4->total_length = rte_cpu_to_be_16(plen + XLAT_IPV4_HDR > UINT16_MAX ?
					     UINT16_MAX :
					     (uint16_t)(plen + XLAT_IPV4_HDR));
	ip4->packet_id = 0;
	ip4->fragment_offset = plen + XLAT_IPV4_HDR > NAT64_DF_ABOVE ?
			       rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG) : 0;
	ip4->time_to_live = ip6->hop_limits;
	ip4->next_proto_id = proto == IPPROTO_ICMPV6 ? IPPROTO_ICMP : proto;
	ip4->src_addr = t->src;
	ip4->dst_addr = t->dst;
	ip4->hdr_checksum = 0;
	ip4->hdr_checksum = csum_compute(ip4, sizeof(*ip4));
	return (int)(XLAT_IPV4_HDR + n);
}

/* The ICMPv4 header's second word (MTU or pointer). */
static int
rest_6to4(uint8_t type4, uint8_t code4, const uint8_t *icmp,
	  const struct nat64_mtus *mtu, rte_be32_t *rest)
{
	uint32_t v;
	uint8_t p;

	*rest = 0;
	memcpy(&v, icmp + 4, 4);
	v = rte_be_to_cpu_32(v);
	if (type4 == ICMP4_DST_UNREACH && code4 == ICMP4_FRAG_NEEDED) {
		*rest = rte_cpu_to_be_32(nat64_mtu_6to4(v, mtu));
	} else if (type4 == ICMP4_PARAM_PROB) {
		p = pointer_6to4(v);
		if (p == POINTER_NONE)
			return -ENOTSUP;
		*rest = rte_cpu_to_be_32((uint32_t)p << 24);
	}
	return 0;
}

int
nat64_icmp_6to4(const uint8_t *in, size_t in_len, uint8_t *out, size_t room,
		const struct xlat_tuple4 *outer, const struct xlat_tuple4 *inner,
		const struct nat64_mtus *mtu, rte_be16_t ip_id)
{
	const struct rte_ipv6_hdr *ip6 = (const void *)in;
	struct rte_ipv4_hdr *ip4 = (void *)out;
	const uint8_t *icmp = in + XLAT_IPV6_HDR;
	size_t plen;
	uint8_t type4, code4;
	rte_be32_t rest;
	rte_be16_t ck;
	int rc, qn;

	if (in_len < XLAT_IPV6_HDR + 8 || (in[0] >> 4) != 6 ||
	    ip6->proto != IPPROTO_ICMPV6)
		return -EINVAL;
	plen = rte_be_to_cpu_16(ip6->payload_len);
	if (plen > in_len - XLAT_IPV6_HDR || plen < 8)
		return -EINVAL;
	rc = nat64_icmp_type_6to4(icmp[0], icmp[1], &type4, &code4);
	if (rc < 0)
		return rc;
	rc = rest_6to4(type4, code4, icmp, mtu, &rest);
	if (rc < 0)
		return rc;
	room = RTE_MIN(room, (size_t)NAT64_ICMP4_MAX);
	if (room < XLAT_IPV4_HDR + 8)
		return -ENOSPC;
	qn = quoted_6to4(icmp + 8, plen - 8, out + XLAT_IPV4_HDR + 8,
			 room - XLAT_IPV4_HDR - 8, inner);
	if (qn < 0)
		return qn;
	out[XLAT_IPV4_HDR] = type4;
	out[XLAT_IPV4_HDR + 1] = code4;
	memset(out + XLAT_IPV4_HDR + 2, 0, 2);
	memcpy(out + XLAT_IPV4_HDR + 4, &rest, 4);
	ck = xlat_l4_csum4(0, 0, IPPROTO_ICMP, out + XLAT_IPV4_HDR, 8 + qn);
	memcpy(out + XLAT_IPV4_HDR + 2, &ck, 2);
	ip4->version_ihl = 0x45;
	ip4->type_of_service = (rte_be_to_cpu_32(ip6->vtc_flow) >>
				RTE_IPV6_HDR_TC_SHIFT) & 0xff;
	ip4->total_length = rte_cpu_to_be_16((uint16_t)(XLAT_IPV4_HDR + 8 + qn));
	ip4->packet_id = ip_id;
	ip4->fragment_offset = 0;
	ip4->time_to_live = ip6->hop_limits;
	ip4->next_proto_id = IPPROTO_ICMP;
	ip4->src_addr = outer->src;
	ip4->dst_addr = outer->dst;
	ip4->hdr_checksum = 0;
	ip4->hdr_checksum = csum_compute(ip4, sizeof(*ip4));
	return XLAT_IPV4_HDR + 8 + qn;
}
