/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nat64: TCP, UDP and echo translated in place between IPv6 and IPv4
 * (RFC 7915 4.1, 5.1; nat64.h). */
#include "xlat/nat64.h"

#define ICMP4_ECHO_REPLY 0
#define ICMP4_ECHO_REQUEST 8

/* The sum of an IPv6 pseudo header's length and next-header words. */
static uint16_t
sum_len_proto6(size_t len, uint8_t proto)
{
	return csum_fold64((uint64_t)rte_cpu_to_be_32((uint32_t)len) +
			   rte_cpu_to_be_32(proto));
}

static uint16_t
sum2(const void *p)
{
	uint16_t w;

	memcpy(&w, p, 2);
	return w;
}

/* Whether a TCP or UDP header of l4_len bytes is cut short. */
static bool
l4_ports_short(uint8_t proto, size_t l4_len)
{
	return l4_len < (proto == IPPROTO_TCP ? 20u : 8u);
}

/* TCP or UDP: the ports become sport, dport, the checksum changes by
 * diff, the new addresses and ports' sum less the old (csum_diff32()
 * terms). */
static __rte_always_inline int
l4_ports_by(uint8_t proto, uint8_t *l4, size_t l4_len, uint64_t diff,
	    rte_be16_t sport, rte_be16_t dport)
{
	int off = xlat_csum_off(proto);
	rte_be16_t ck, ports[2] = { sport, dport };

	if (l4_ports_short(proto, l4_len))
		return -EINVAL;
	memcpy(&ck, l4 + off, 2);
	ck = csum_apply(ck, diff);
	if (proto == IPPROTO_UDP && ck == 0)
		ck = 0xffff;
	memcpy(l4 + off, &ck, 2);
	memcpy(l4, ports, 4);
	return 0;
}

/* The same when the pseudo header's addresses, summing to old_addrs,
 * become addresses summing to new_addrs. */
static int
l4_ports(uint8_t proto, uint8_t *l4, size_t l4_len, uint16_t old_addrs,
	 uint16_t new_addrs, rte_be16_t sport, rte_be16_t dport)
{
	rte_be16_t ports[2] = { sport, dport };

	if (l4_ports_short(proto, l4_len))
		return -EINVAL;
	return l4_ports_by(proto, l4, l4_len,
			   (uint16_t)~csum_fold64((uint64_t)old_addrs +
						  csum_raw(l4, 4)) +
			   (uint64_t)csum_fold64((uint64_t)new_addrs +
						 csum_raw(ports, 4)),
			   sport, dport);
}

/* An echo's type and identifier change; the checksum loses (to_v4) or
 * gains the IPv6 pseudo header, whose sum is pseudo. */
static int
l4_echo(uint8_t *l4, size_t l4_len, uint8_t type, rte_be16_t ident,
	uint16_t pseudo, int to_v4)
{
	uint64_t old_sum, new_sum;
	rte_be16_t ck;

	if (l4_len < 8)
		return -EINVAL;
	old_sum = (uint64_t)sum2(l4) + sum2(l4 + 4);
	l4[0] = type;
	memcpy(l4 + 4, &ident, 2);
	new_sum = (uint64_t)sum2(l4) + sum2(l4 + 4);
	if (to_v4)
		old_sum += pseudo;
	else
		new_sum += pseudo;
	memcpy(&ck, l4 + 2, 2);
	ck = xlat_csum_replace(ck, csum_fold64(old_sum), csum_fold64(new_sum));
	memcpy(l4 + 2, &ck, 2);
	return 0;
}

/* diff: NULL, or TCP and UDP's change of the sum (l4_ports_by()) */
static __rte_always_inline int
l4_6to4(const struct rte_ipv6_hdr *ip6, uint8_t proto, uint8_t *l4,
	size_t l4_len, const struct xlat_tuple4 *t, const uint64_t *diff)
{
	uint16_t a6;
	rte_be16_t ck;

	switch (proto) {
	case IPPROTO_UDP:
		if (l4_len < 8)
			return -EINVAL;
		memcpy(&ck, l4 + 6, 2);
		if (ck == 0)
			return -EBADMSG;
		/* fall through */
	case IPPROTO_TCP:
		if (diff != NULL)
			return l4_ports_by(proto, l4, l4_len, *diff, t->sport,
					   t->dport);
		return l4_ports(proto, l4, l4_len,
				xlat_sum_addr6(ip6->src_addr, ip6->dst_addr),
				xlat_sum_addr4(t->src, t->dst), t->sport,
				t->dport);
	case IPPROTO_ICMPV6:
		a6 = xlat_sum_addr6(ip6->src_addr, ip6->dst_addr);
		if (l4_len < 8)
			return -EINVAL;
		if (l4[0] != XLAT_ICMP6_ECHO_REQUEST &&
		    l4[0] != XLAT_ICMP6_ECHO_REPLY)
			return -ENOTSUP;
		return l4_echo(l4, l4_len,
			       l4[0] == XLAT_ICMP6_ECHO_REQUEST ?
			       ICMP4_ECHO_REQUEST : ICMP4_ECHO_REPLY, t->sport,
			       csum_fold64((uint64_t)a6 +
					   sum_len_proto6(l4_len,
							  IPPROTO_ICMPV6)), 1);
	}
	return -ENOTSUP;
}

static __rte_always_inline int
six_to_four(uint8_t *pkt, size_t l4_off, uint8_t proto, size_t l4_len,
	    const struct xlat_tuple4 *t, rte_be16_t ip_id,
	    const uint64_t *diff, struct rte_ipv4_hdr **out)
{
	const struct rte_ipv6_hdr *ip6 = (const void *)pkt;
	struct rte_ipv4_hdr *ip4;
	uint8_t tc, hop;
	size_t total = l4_len + XLAT_IPV4_HDR;
	int rc;

	if (l4_off < XLAT_IPV6_HDR)
		return -EINVAL;
	if (total > UINT16_MAX)
		return -EMSGSIZE;
	tc = (rte_be_to_cpu_32(ip6->vtc_flow) >> RTE_IPV6_HDR_TC_SHIFT) & 0xff;
	hop = ip6->hop_limits;
	rc = l4_6to4(ip6, proto, pkt + l4_off, l4_len, t, diff);
	if (rc < 0)
		return rc;
	ip4 = (struct rte_ipv4_hdr *)(pkt + l4_off - XLAT_IPV4_HDR);
	ip4->version_ihl = 0x45;
	ip4->type_of_service = tc;
	ip4->total_length = rte_cpu_to_be_16((uint16_t)total);
	ip4->packet_id = ip_id;
	ip4->fragment_offset = total > NAT64_DF_ABOVE ?
			       rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG) : 0;
	ip4->time_to_live = hop;
	ip4->next_proto_id = proto == IPPROTO_ICMPV6 ? IPPROTO_ICMP : proto;
	ip4->src_addr = t->src;
	ip4->dst_addr = t->dst;
	ip4->hdr_checksum = 0;
	ip4->hdr_checksum = csum_compute(ip4, sizeof(*ip4));
	*out = ip4;
	return 0;
}

int
nat64_6to4(uint8_t *pkt, size_t l4_off, uint8_t proto, size_t l4_len,
	   const struct xlat_tuple4 *t, rte_be16_t ip_id,
	   struct rte_ipv4_hdr **out)
{
	return six_to_four(pkt, l4_off, proto, l4_len, t, ip_id, NULL, out);
}

int
nat64_6to4_by(uint8_t *pkt, size_t l4_off, uint8_t proto, size_t l4_len,
	      const struct xlat_tuple4 *t, rte_be16_t ip_id, uint64_t l4_diff,
	      struct rte_ipv4_hdr **out)
{
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return -ENOTSUP;
	return six_to_four(pkt, l4_off, proto, l4_len, t, ip_id, &l4_diff,
			   out);
}

/* RFC 7915 4.5: a zero UDP checksum from IPv4 is computed for IPv6,
 * over the translated header (written by the caller). */
static void
udp_zero_csum(struct rte_ipv6_hdr *ip6, uint8_t *l4, size_t l4_len)
{
	rte_be16_t ck = xlat_l4_csum6(ip6->src_addr, ip6->dst_addr,
				      IPPROTO_UDP, l4, l4_len);

	memcpy(l4 + 6, &ck, 2);
}

/* diff: as for l4_6to4() */
static __rte_always_inline int
l4_4to6(const struct rte_ipv4_hdr *ip4, uint8_t proto, uint8_t *l4,
	size_t l4_len, const struct xlat_tuple6 *t, const uint64_t *diff)
{
	uint16_t a6;

	switch (proto) {
	case IPPROTO_UDP:
	case IPPROTO_TCP:
		if (diff != NULL)
			return l4_ports_by(proto, l4, l4_len, *diff, t->sport,
					   t->dport);
		return l4_ports(proto, l4, l4_len,
				xlat_sum_addr4(ip4->src_addr, ip4->dst_addr),
				xlat_sum_addr6(t->src, t->dst), t->sport,
				t->dport);
	case IPPROTO_ICMP:
		a6 = xlat_sum_addr6(t->src, t->dst);
		if (l4_len < 8)
			return -EINVAL;
		if (l4[0] != ICMP4_ECHO_REQUEST && l4[0] != ICMP4_ECHO_REPLY)
			return -ENOTSUP;
		return l4_echo(l4, l4_len,
			       l4[0] == ICMP4_ECHO_REQUEST ?
			       XLAT_ICMP6_ECHO_REQUEST : XLAT_ICMP6_ECHO_REPLY,
			       t->sport,
			       csum_fold64((uint64_t)a6 +
					   sum_len_proto6(l4_len,
							  IPPROTO_ICMPV6)), 0);
	}
	return -ENOTSUP;
}

static __rte_always_inline int
four_to_six(uint8_t *pkt, size_t len, const struct xlat_tuple6 *t,
	    const uint64_t *diff, struct rte_ipv6_hdr **out)
{
	const struct rte_ipv4_hdr *ip4 = (const void *)pkt;
	struct rte_ipv6_hdr *ip6;
	size_t ihl, total, l4_len;
	uint8_t proto, tos, ttl, udp_zero = 0;
	uint8_t *l4;
	int rc;

	if (len < XLAT_IPV4_HDR || (ip4->version_ihl >> 4) != 4)
		return -EINVAL;
	ihl = (size_t)(ip4->version_ihl & 0xf) * 4;
	total = rte_be_to_cpu_16(ip4->total_length);
	if (ihl < XLAT_IPV4_HDR || total < ihl || total > len)
		return -EINVAL;
	if (ip4->fragment_offset &
	    rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))
		return -EPROTONOSUPPORT;
	l4 = pkt + ihl;
	l4_len = total - ihl;
	proto = ip4->next_proto_id;
	tos = ip4->type_of_service;
	ttl = ip4->time_to_live;
	if (proto == IPPROTO_UDP && l4_len >= 8 && sum2(l4 + 6) == 0)
		udp_zero = 1;
	rc = l4_4to6(ip4, proto, l4, l4_len, t, diff);
	if (rc < 0)
		return rc;
	ip6 = (struct rte_ipv6_hdr *)(l4 - XLAT_IPV6_HDR);
	ip6->vtc_flow = rte_cpu_to_be_32(6u << 28 |
					 (uint32_t)tos << RTE_IPV6_HDR_TC_SHIFT);
	ip6->payload_len = rte_cpu_to_be_16((uint16_t)l4_len);
	ip6->proto = proto == IPPROTO_ICMP ? IPPROTO_ICMPV6 : proto;
	ip6->hop_limits = ttl;
	memcpy(ip6->src_addr, t->src, 16);
	memcpy(ip6->dst_addr, t->dst, 16);
	if (udp_zero)
		udp_zero_csum(ip6, l4, l4_len);
	*out = ip6;
	return 0;
}

int
nat64_4to6(uint8_t *pkt, size_t len, const struct xlat_tuple6 *t,
	   struct rte_ipv6_hdr **out)
{
	return four_to_six(pkt, len, t, NULL, out);
}

int
nat64_4to6_by(uint8_t *pkt, size_t len, const struct xlat_tuple6 *t,
	      uint64_t l4_diff, struct rte_ipv6_hdr **out)
{
	if (len < XLAT_IPV4_HDR || (pkt[9] != IPPROTO_TCP &&
				    pkt[9] != IPPROTO_UDP))
		return -ENOTSUP;
	return four_to_six(pkt, len, t, &l4_diff, out);
}
