/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xlat/: IPv6 rewrites, tunnels and NAT64 (RFC 7915) on known packets;
 * every checksum the library writes is checked by DPDK's own full
 * computation (rte_ipv4/ipv6_udptcp_cksum, rte_raw_cksum). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <rte_ip.h>

#include "xlat/nat64.h"
#include "xlat/xlat.h"

#define HEAD 64			/* room before a packet (mbuf headroom) */

static const uint8_t CLIENT6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x01 };
static const uint8_t VIP6[16] = { 0x20, 0x01, 0x0d, 0xb8, [14] = 0x01 };
static const uint8_t LIP6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 0x0a };
static const uint8_t RS6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 3, [15] = 0x14 };
#define LIP4 RTE_BE32(0xc000020a)	/* 192.0.2.10 */
#define RS4 RTE_BE32(0xc6336414)	/* 198.51.100.20 */
#define RTR4 RTE_BE32(0xc6336401)	/* 198.51.100.1, a router */

static uint8_t buf[HEAD + 2048];
static uint8_t out[2048];

static size_t
l4_hdr_len(uint8_t proto)
{
	return proto == IPPROTO_TCP ? 20 : 8;
}

/* A transport header and payload at l4: ports (ICMP: echo type, ident). */
static void
fill_l4(uint8_t *l4, uint8_t proto, uint16_t sport, uint16_t dport,
	size_t payload, uint8_t echo_type)
{
	size_t hl = l4_hdr_len(proto);

	memset(l4, 0, hl);
	if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
		l4[0] = echo_type;
		l4[4] = sport >> 8;
		l4[5] = sport & 0xff;
		l4[7] = 9;	/* sequence */
	} else {
		l4[0] = sport >> 8;
		l4[1] = sport & 0xff;
		l4[2] = dport >> 8;
		l4[3] = dport & 0xff;
	}
	if (proto == IPPROTO_TCP) {
		l4[12] = 0x50;
		l4[13] = 0x18;
	}
	if (proto == IPPROTO_UDP) {
		l4[4] = (hl + payload) >> 8;
		l4[5] = (hl + payload) & 0xff;
	}
	for (size_t i = 0; i < payload; i++)
		l4[hl + i] = (uint8_t)(i * 7 + 3);
}

/* An IPv6 packet at p with a valid transport checksum; its length. */
static size_t
build6(uint8_t *p, uint8_t proto, const uint8_t *src, const uint8_t *dst,
       uint16_t sport, uint16_t dport, size_t payload)
{
	struct rte_ipv6_hdr *ip6 = (void *)p;
	uint8_t *l4 = p + 40;
	size_t l4_len = l4_hdr_len(proto) + payload;
	uint16_t ck;

	memset(ip6, 0, 40);
	ip6->vtc_flow = rte_cpu_to_be_32(6u << 28 | 0x2e << 20 | 0x12345);
	ip6->payload_len = rte_cpu_to_be_16(l4_len);
	ip6->proto = proto;
	ip6->hop_limits = 63;
	memcpy(ip6->src_addr, src, 16);
	memcpy(ip6->dst_addr, dst, 16);
	fill_l4(l4, proto, sport, dport, payload, XLAT_ICMP6_ECHO_REQUEST);
	ck = rte_ipv6_udptcp_cksum(ip6, l4);
	memcpy(l4 + xlat_csum_off(proto), &ck, 2);
	return 40 + l4_len;
}

static size_t
build4(uint8_t *p, uint8_t proto, rte_be32_t src, rte_be32_t dst,
       uint16_t sport, uint16_t dport, size_t payload)
{
	struct rte_ipv4_hdr *ip4 = (void *)p;
	uint8_t *l4 = p + 20;
	size_t l4_len = l4_hdr_len(proto) + payload;
	uint16_t ck;

	memset(ip4, 0, 20);
	ip4->version_ihl = 0x45;
	ip4->type_of_service = 0xb8;
	ip4->total_length = rte_cpu_to_be_16(20 + l4_len);
	ip4->packet_id = RTE_BE16(77);
	ip4->time_to_live = 62;
	ip4->next_proto_id = proto;
	ip4->src_addr = src;
	ip4->dst_addr = dst;
	ip4->hdr_checksum = rte_ipv4_cksum(ip4);
	fill_l4(l4, proto, sport, dport, payload, 8);
	if (proto == IPPROTO_ICMP)
		ck = (uint16_t)~rte_raw_cksum(l4, l4_len);
	else
		ck = rte_ipv4_udptcp_cksum(ip4, l4);
	memcpy(l4 + xlat_csum_off(proto), &ck, 2);
	return 20 + l4_len;
}

static void
assert_valid6(const struct rte_ipv6_hdr *ip6)
{
	assert_int_equal(rte_ipv6_udptcp_cksum_verify(ip6, ip6 + 1), 0);
}

static void
assert_valid4(const struct rte_ipv4_hdr *ip4)
{
	const uint8_t *l4 = (const uint8_t *)ip4 + 20;
	size_t l4_len = rte_be_to_cpu_16(ip4->total_length) - 20;

	assert_int_equal(rte_raw_cksum(ip4, 20), 0xffff);
	if (ip4->next_proto_id == IPPROTO_ICMP)
		assert_int_equal(rte_raw_cksum(l4, l4_len), 0xffff);
	else
		assert_int_equal(rte_ipv4_udptcp_cksum_verify(ip4, l4), 0);
}

static uint16_t
be16_at(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
be32_at(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static struct xlat_tuple6
tuple6(const uint8_t *src, const uint8_t *dst, uint16_t sport, uint16_t dport)
{
	struct xlat_tuple6 t = {
		.sport = rte_cpu_to_be_16(sport), .dport = rte_cpu_to_be_16(dport),
	};

	memcpy(t.src, src, 16);
	memcpy(t.dst, dst, 16);
	return t;
}

static struct xlat_tuple4
tuple4(rte_be32_t src, rte_be32_t dst, uint16_t sport, uint16_t dport)
{
	return (struct xlat_tuple4){ src, dst, rte_cpu_to_be_16(sport),
				     rte_cpu_to_be_16(dport) };
}

/* ---- IPv6 rewrites ------------------------------------------------- */

static void
test_rewrite6_fnat_tcp_udp(void **state)
{
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP };
	struct xlat_tuple6 t = tuple6(LIP6, RS6, 5001, 8080);

	(void)state;
	for (size_t i = 0; i < RTE_DIM(protos); i++) {
		for (size_t payload = 0; payload < 40; payload += 13) {
			struct rte_ipv6_hdr *ip6 = (void *)buf;
			size_t len = build6(buf, protos[i], CLIENT6, VIP6, 40000,
					    80, payload);

			assert_int_equal(xlat6_rewrite(ip6, protos[i], buf + 40,
						       len - 40, &t), 0);
			assert_memory_equal(ip6->src_addr, LIP6, 16);
			assert_memory_equal(ip6->dst_addr, RS6, 16);
			assert_int_equal(be16_at(buf + 40), 5001);
			assert_int_equal(be16_at(buf + 42), 8080);
			assert_valid6(ip6);
		}
	}
}

static void
test_rewrite6_nat_keeps_source(void **state)
{
	struct rte_ipv6_hdr *ip6 = (void *)buf;
	struct xlat_tuple6 t = tuple6(CLIENT6, RS6, 40000, 8080);
	size_t len = build6(buf, IPPROTO_TCP, CLIENT6, VIP6, 40000, 80, 100);

	(void)state;
	assert_int_equal(xlat6_rewrite(ip6, IPPROTO_TCP, buf + 40, len - 40, &t), 0);
	assert_memory_equal(ip6->src_addr, CLIENT6, 16);
	assert_int_equal(be16_at(buf + 40), 40000);
	assert_valid6(ip6);
	/* and back: the reply side's rewrite restores the packet */
	t = tuple6(CLIENT6, VIP6, 40000, 80);
	assert_int_equal(xlat6_rewrite(ip6, IPPROTO_TCP, buf + 40, len - 40, &t), 0);
	assert_valid6(ip6);
}

static void
test_rewrite6_refusals(void **state)
{
	struct rte_ipv6_hdr *ip6 = (void *)buf;
	struct xlat_tuple6 t = tuple6(LIP6, RS6, 1, 2);
	size_t len = build6(buf, IPPROTO_UDP, CLIENT6, VIP6, 40000, 53, 4);

	(void)state;
	memset(buf + 46, 0, 2);	/* UDP checksum 0: forbidden over IPv6 */
	assert_int_equal(xlat6_rewrite(ip6, IPPROTO_UDP, buf + 40, len - 40, &t),
			 -EBADMSG);
	assert_memory_equal(ip6->src_addr, CLIENT6, 16);	/* untouched */
	len = build6(buf, IPPROTO_TCP, CLIENT6, VIP6, 40000, 80, 0);
	assert_int_equal(xlat6_rewrite(ip6, IPPROTO_TCP, buf + 40, 19, &t), -EINVAL);
	assert_int_equal(xlat6_rewrite(ip6, 132 /* SCTP */, buf + 40, len - 40, &t),
			 -EINVAL);
}

static void
test_rewrite6_icmp_echo_ident(void **state)
{
	struct rte_ipv6_hdr *ip6 = (void *)buf;
	struct xlat_tuple6 t = tuple6(LIP6, RS6, 0x4242, 0);
	size_t len = build6(buf, IPPROTO_ICMPV6, CLIENT6, VIP6, 0x1111, 0, 56);

	(void)state;
	assert_int_equal(xlat6_rewrite(ip6, IPPROTO_ICMPV6, buf + 40, len - 40,
				       &t), 0);
	assert_int_equal(be16_at(buf + 44), 0x4242);
	assert_int_equal(buf[40], XLAT_ICMP6_ECHO_REQUEST);
	assert_valid6(ip6);
}

static void
test_hop_dec(void **state)
{
	struct rte_ipv6_hdr ip6 = { .hop_limits = 2 };

	(void)state;
	assert_int_equal(xlat6_hop_dec(&ip6), 0);
	assert_int_equal(ip6.hop_limits, 1);
	assert_int_equal(xlat6_hop_dec(&ip6), -ETIMEDOUT);
	assert_int_equal(ip6.hop_limits, 1);
}

static void
test_dr_mac(void **state)
{
	struct rte_ether_hdr eth = { .ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6) };
	struct rte_ether_addr a = { { 2, 0, 0, 0, 0, 1 } }, b = { { 2, 0, 0, 0, 0, 2 } };

	(void)state;
	xlat_dr_mac(&eth, &a, &b);
	assert_memory_equal(&eth.src_addr, &a, 6);
	assert_memory_equal(&eth.dst_addr, &b, 6);
	assert_int_equal(eth.ether_type, RTE_BE16(RTE_ETHER_TYPE_IPV6));
}

static void
test_encap_ip6ip6_and_4in6(void **state)
{
	uint8_t *inner = buf + HEAD;
	struct rte_ipv6_hdr *outer = (void *)(inner - 40);
	size_t len = build6(inner, IPPROTO_TCP, CLIENT6, VIP6, 40000, 80, 10);

	(void)state;
	assert_int_equal(xlat6_encap(outer, LIP6, RS6, XLAT_PROTO_IPV6, inner,
				     len, 64), 0);
	assert_int_equal(rte_be_to_cpu_32(outer->vtc_flow), 6u << 28 | 0x2e << 20);
	assert_int_equal(rte_be_to_cpu_16(outer->payload_len), len);
	assert_int_equal(outer->proto, 41);
	assert_int_equal(outer->hop_limits, 64);
	assert_memory_equal(outer->dst_addr, RS6, 16);
	assert_valid6((void *)inner);	/* the inner packet as it was */

	len = build4(inner, IPPROTO_UDP, RTE_BE32(0xc0000201), RS4, 1, 2, 3);
	assert_int_equal(xlat6_encap(outer, LIP6, RS6, XLAT_PROTO_IPV4, inner,
				     len, 64), 0);
	assert_int_equal(outer->proto, 4);
	assert_int_equal(rte_be_to_cpu_32(outer->vtc_flow) >> 20 & 0xff, 0xb8);
	assert_int_equal(xlat6_encap(outer, LIP6, RS6, 17, inner, len, 64), -EINVAL);
	assert_int_equal(xlat6_encap(outer, LIP6, RS6, XLAT_PROTO_IPV4, inner,
				     70000, 64), -EMSGSIZE);
}

static void
test_encap_6in4(void **state)
{
	uint8_t *inner = buf + HEAD;
	struct rte_ipv4_hdr *outer = (void *)(inner - 20);
	size_t len = build6(inner, IPPROTO_UDP, CLIENT6, VIP6, 40000, 53, 30);

	(void)state;
	assert_int_equal(xlat4_encap6(outer, LIP4, RS4, (void *)inner, len, 64,
				      RTE_BE16(5)), 0);
	assert_int_equal(rte_raw_cksum(outer, 20), 0xffff);
	assert_int_equal(outer->next_proto_id, 41);
	assert_int_equal(rte_be_to_cpu_16(outer->total_length), len + 20);
	assert_int_equal(outer->type_of_service, 0x2e);
	assert_true(outer->fragment_offset & RTE_BE16(RTE_IPV4_HDR_DF_FLAG));
}

/* A packet too big about a full-NAT packet LIP6 -> RS6 from a router on
 * the server side, rewritten for the client: VIP6 -> CLIENT6 quoting
 * CLIENT6 -> VIP6. */
static void
test_icmp6_error_rewrite(void **state)
{
	struct rte_ipv6_hdr *ip6 = (void *)buf;
	uint8_t *icmp = buf + 40;
	size_t qlen = build6(icmp + 8, IPPROTO_TCP, LIP6, RS6, 5001, 8080, 40);
	struct xlat_tuple6 outer = tuple6(VIP6, CLIENT6, 0, 0);
	struct xlat_tuple6 inner = tuple6(CLIENT6, VIP6, 40000, 80);
	uint16_t ck;

	(void)state;
	build6(buf, IPPROTO_ICMPV6, RS6, LIP6, 0, 0, 0);
	ip6->payload_len = rte_cpu_to_be_16(8 + qlen);
	memset(icmp, 0, 8);
	icmp[0] = XLAT_ICMP6_PKT_TOO_BIG;
	icmp[6] = 0x05;		/* MTU 1400 */
	icmp[7] = 0x78;
	ck = rte_ipv6_udptcp_cksum(ip6, icmp);
	memcpy(icmp + 2, &ck, 2);
	assert_int_equal(xlat6_icmp_error_rewrite(ip6, 48 + qlen, &outer, &inner), 0);
	assert_memory_equal(ip6->src_addr, VIP6, 16);
	assert_memory_equal(ip6->dst_addr, CLIENT6, 16);
	assert_valid6(ip6);
	assert_memory_equal(((struct rte_ipv6_hdr *)(icmp + 8))->src_addr, CLIENT6, 16);
	assert_int_equal(be16_at(icmp + 48), 40000);
	assert_int_equal(be16_at(icmp + 50), 80);
	assert_valid6((void *)(icmp + 8));	/* quoted whole: its TCP sum holds */
	assert_int_equal(be32_at(icmp + 4), 1400);

	icmp[0] = XLAT_ICMP6_ECHO_REPLY;	/* not an error */
	assert_int_equal(xlat6_icmp_error_rewrite(ip6, 48 + qlen, &outer, &inner),
			 -EINVAL);
}

/* p (an IPv6 packet with nh proto) with an 8-byte destination-options
 * header inserted before its upper layer; its new length.  The upper
 * layer's checksum holds still: its pseudo header does not change. */
static size_t
insert_opts(uint8_t *p, size_t len)
{
	struct rte_ipv6_hdr *ip6 = (void *)p;

	memmove(p + 48, p + 40, len - 40);
	memset(p + 40, 0, 8);
	p[40] = ip6->proto;
	p[42] = 1;		/* PadN of 4 bytes */
	p[43] = 4;
	ip6->proto = 60;
	ip6->payload_len = rte_cpu_to_be_16(rte_be_to_cpu_16(ip6->payload_len) + 8);
	return len + 8;
}

/* p without the destination-options header insert_opts() put in, copied
 * to out (len bytes of p), to check its checksums as a plain packet. */
static struct rte_ipv6_hdr *
strip_opts(const uint8_t *p, size_t len, uint8_t *out)
{
	struct rte_ipv6_hdr *ip6 = (void *)out;

	memcpy(out, p, 40);
	memcpy(out + 40, p + 48, len - 48);
	ip6->proto = p[40];
	ip6->payload_len = rte_cpu_to_be_16(rte_be_to_cpu_16(ip6->payload_len) - 8);
	return ip6;
}

/* The same packet too big with destination options before the ICMPv6
 * header and in the quoted packet (xlat6_icmp_error_rewrite_at()): the
 * headers stay, the checksums hold as without them. */
static void
test_icmp6_error_rewrite_at(void **state)
{
	static uint8_t plain[512], qplain[512];
	struct rte_ipv6_hdr *ip6 = (void *)buf;
	uint8_t *icmp = buf + 48, *q = icmp + 8;
	size_t qlen = insert_opts(q, build6(q, IPPROTO_TCP, LIP6, RS6, 5001,
					    8080, 40));
	struct xlat_tuple6 outer = tuple6(VIP6, CLIENT6, 0, 0);
	struct xlat_tuple6 inner = tuple6(CLIENT6, VIP6, 40000, 80);
	struct xlat_icmp6_at at = { 48, 48, IPPROTO_TCP };
	size_t len = 48 + 8 + qlen;
	uint16_t ck;

	(void)state;
	memset(plain, 0, sizeof(plain));
	build6(buf, IPPROTO_ICMPV6, RS6, LIP6, 0, 0, 0);
	ip6->payload_len = rte_cpu_to_be_16(8 + 8 + qlen);
	ip6->proto = 60;
	memset(buf + 40, 0, 8);
	buf[40] = IPPROTO_ICMPV6;
	buf[42] = 1;
	buf[43] = 4;
	memset(icmp, 0, 8);
	icmp[0] = XLAT_ICMP6_PKT_TOO_BIG;
	icmp[6] = 0x05;		/* MTU 1400 */
	icmp[7] = 0x78;
	ck = rte_ipv6_udptcp_cksum(strip_opts(buf, len, plain), plain + 40);
	memcpy(icmp + 2, &ck, 2);
	assert_int_equal(xlat6_icmp_error_rewrite_at(ip6, len, &at, &outer,
						     &inner), 0);
	assert_memory_equal(ip6->src_addr, VIP6, 16);
	assert_memory_equal(ip6->dst_addr, CLIENT6, 16);
	assert_int_equal(ip6->proto, 60);	/* the header stays */
	assert_valid6(strip_opts(buf, len, plain));
	assert_int_equal(q[40], IPPROTO_TCP);
	assert_int_equal(be16_at(q + 48), 40000);
	assert_int_equal(be16_at(q + 50), 80);
	assert_valid6(strip_opts(q, qlen, qplain));
	/* a layout past the packet, or not an error */
	at.icmp_off = (uint16_t)(len - 8);
	assert_int_equal(xlat6_icmp_error_rewrite_at(ip6, len, &at, &outer,
						     &inner), -EINVAL);
	at.icmp_off = 48;
	icmp[0] = XLAT_ICMP6_ECHO_REPLY;
	assert_int_equal(xlat6_icmp_error_rewrite_at(ip6, len, &at, &outer,
						     &inner), -EINVAL);
}

/* ---- NAT64, in place ------------------------------------------------ */

static void
test_nat64_6to4_tcp_udp(void **state)
{
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP };
	struct xlat_tuple4 t = tuple4(LIP4, RS4, 5001, 8080);

	(void)state;
	for (size_t i = 0; i < RTE_DIM(protos); i++) {
		for (size_t payload = 0; payload < 1400; payload += 617) {
			struct rte_ipv4_hdr *ip4;
			size_t len = build6(buf, protos[i], CLIENT6, VIP6, 40000,
					    80, payload);

			assert_int_equal(nat64_6to4(buf, 40, protos[i], len - 40,
						    &t, RTE_BE16(9), &ip4), 0);
			assert_ptr_equal(ip4, buf + 20);
			assert_int_equal(ip4->version_ihl, 0x45);
			assert_int_equal(ip4->type_of_service, 0x2e);
			assert_int_equal(ip4->time_to_live, 63);
			assert_int_equal(ip4->next_proto_id, protos[i]);
			assert_int_equal(rte_be_to_cpu_16(ip4->total_length),
					 len - 20);
			assert_int_equal(ip4->src_addr, LIP4);
			assert_int_equal(ip4->dst_addr, RS4);
			assert_int_equal(be16_at(buf + 40), 5001);
			assert_int_equal(be16_at(buf + 42), 8080);
			/* DF past 1260 bytes only */
			assert_int_equal(!!(ip4->fragment_offset &
					    RTE_BE16(RTE_IPV4_HDR_DF_FLAG)),
					 len - 20 > NAT64_DF_ABOVE);
			assert_valid4(ip4);
		}
	}
}

static void
test_nat64_6to4_refusals(void **state)
{
	struct xlat_tuple4 t = tuple4(LIP4, RS4, 1, 2);
	struct rte_ipv4_hdr *ip4 = NULL;
	size_t len = build6(buf, IPPROTO_UDP, CLIENT6, VIP6, 40000, 53, 8);

	(void)state;
	memset(buf + 46, 0, 2);
	assert_int_equal(nat64_6to4(buf, 40, IPPROTO_UDP, len - 40, &t, 0, &ip4),
			 -EBADMSG);
	assert_null(ip4);
	len = build6(buf, IPPROTO_ICMPV6, CLIENT6, VIP6, 7, 0, 8);
	buf[40] = 135;	/* neighbour solicitation: not translated */
	assert_int_equal(nat64_6to4(buf, 40, IPPROTO_ICMPV6, len - 40, &t, 0, &ip4),
			 -ENOTSUP);
	assert_int_equal(nat64_6to4(buf, 40, 132, len - 40, &t, 0, &ip4), -ENOTSUP);
	assert_int_equal(nat64_6to4(buf, 39, IPPROTO_TCP, 20, &t, 0, &ip4), -EINVAL);
	assert_int_equal(nat64_6to4(buf, 40, IPPROTO_TCP, 19, &t, 0, &ip4), -EINVAL);
}

static void
test_nat64_echo_both_ways(void **state)
{
	struct xlat_tuple4 t4 = tuple4(LIP4, RS4, 0x2222, 0);
	struct xlat_tuple6 t6 = tuple6(VIP6, CLIENT6, 0x1111, 0);
	struct rte_ipv4_hdr *ip4;
	struct rte_ipv6_hdr *ip6;
	uint8_t *pkt = buf + HEAD;
	size_t len = build6(pkt, IPPROTO_ICMPV6, CLIENT6, VIP6, 0x1111, 0, 56);

	(void)state;
	assert_int_equal(nat64_6to4(pkt, 40, IPPROTO_ICMPV6, len - 40, &t4, 0,
				    &ip4), 0);
	assert_int_equal(ip4->next_proto_id, IPPROTO_ICMP);
	assert_int_equal(pkt[40], 8);
	assert_int_equal(be16_at(pkt + 44), 0x2222);
	assert_valid4(ip4);

	/* the server's echo reply back to the client */
	len = build4(pkt, IPPROTO_ICMP, RS4, LIP4, 0x2222, 0, 56);
	pkt[20] = 0;	/* echo reply, checksum fixed by the difference */
	pkt[22] += 8;
	assert_int_equal(rte_raw_cksum(pkt + 20, len - 20), 0xffff);
	assert_int_equal(nat64_4to6(pkt, len, &t6, &ip6), 0);
	assert_ptr_equal(ip6, pkt - 20);
	assert_int_equal(ip6->proto, IPPROTO_ICMPV6);
	assert_int_equal(pkt[20], XLAT_ICMP6_ECHO_REPLY);
	assert_int_equal(be16_at(pkt + 24), 0x1111);
	assert_valid6(ip6);
}

static void
test_nat64_4to6_tcp_udp(void **state)
{
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP };
	struct xlat_tuple6 t = tuple6(VIP6, CLIENT6, 80, 40000);

	(void)state;
	for (size_t i = 0; i < RTE_DIM(protos); i++) {
		uint8_t *pkt = buf + HEAD;
		struct rte_ipv6_hdr *ip6;
		size_t len = build4(pkt, protos[i], RS4, LIP4, 8080, 5001, 333);

		assert_int_equal(nat64_4to6(pkt, len + 6 /* padding */, &t, &ip6), 0);
		assert_ptr_equal(ip6, pkt - 20);
		assert_int_equal(rte_be_to_cpu_32(ip6->vtc_flow), 6u << 28 | 0xb8u << 20);
		assert_int_equal(rte_be_to_cpu_16(ip6->payload_len), len - 20);
		assert_int_equal(ip6->proto, protos[i]);
		assert_int_equal(ip6->hop_limits, 62);
		assert_memory_equal(ip6->src_addr, VIP6, 16);
		assert_int_equal(be16_at(pkt + 20), 80);
		assert_int_equal(be16_at(pkt + 22), 40000);
		assert_valid6(ip6);
	}
}

/* RFC 7915 4.5: a UDP datagram without checksum gets one toward IPv6. */
static void
test_nat64_4to6_udp_zero_checksum(void **state)
{
	struct xlat_tuple6 t = tuple6(VIP6, CLIENT6, 53, 40000);
	uint8_t *pkt = buf + HEAD;
	struct rte_ipv6_hdr *ip6;
	size_t len = build4(pkt, IPPROTO_UDP, RS4, LIP4, 5353, 5001, 21);

	(void)state;
	memset(pkt + 26, 0, 2);
	assert_int_equal(nat64_4to6(pkt, len, &t, &ip6), 0);
	assert_int_not_equal(be16_at(pkt + 26), 0);
	assert_valid6(ip6);
}

static void
test_nat64_4to6_refusals(void **state)
{
	struct xlat_tuple6 t = tuple6(VIP6, CLIENT6, 1, 2);
	uint8_t *pkt = buf + HEAD;
	struct rte_ipv6_hdr *ip6;
	size_t len = build4(pkt, IPPROTO_TCP, RS4, LIP4, 1, 2, 10);
	struct rte_ipv4_hdr *ip4 = (void *)pkt;

	(void)state;
	ip4->fragment_offset = RTE_BE16(RTE_IPV4_HDR_MF_FLAG);
	assert_int_equal(nat64_4to6(pkt, len, &t, &ip6), -EPROTONOSUPPORT);
	ip4->fragment_offset = RTE_BE16(3);
	assert_int_equal(nat64_4to6(pkt, len, &t, &ip6), -EPROTONOSUPPORT);
	ip4->fragment_offset = 0;
	assert_int_equal(nat64_4to6(pkt, len - 1, &t, &ip6), -EINVAL);
	ip4->version_ihl = 0x44;
	assert_int_equal(nat64_4to6(pkt, len, &t, &ip6), -EINVAL);
	len = build4(pkt, IPPROTO_ICMP, RS4, LIP4, 1, 0, 10);
	pkt[20] = 13;	/* timestamp: dropped */
	assert_int_equal(nat64_4to6(pkt, len, &t, &ip6), -ENOTSUP);
}

/* The change of the sum from the 32 address bytes and 4 port bytes at
 * old to those at new, 16-bit word by word: another way than
 * lb6_conn_bind()'s 64-bit words to the same sum. */
static uint64_t
sum_change(const uint8_t *old_a, const uint8_t *old_p, const uint8_t *new_a,
	   const uint8_t *new_p)
{
	uint64_t sum = 0;
	uint16_t o, n;

	for (size_t i = 0; i < 36; i += 2) {
		memcpy(&o, i < 32 ? old_a + i : old_p + i - 32, 2);
		memcpy(&n, i < 32 ? new_a + i : new_p + i - 32, 2);
		sum += (uint16_t)~o + (uint64_t)n;
	}
	return sum;
}

/* nat64_6to4_by() and nat64_4to6_by(), given the connection's change of
 * the sum (unfolded, or folded as a connection keeps it), write the
 * very bytes nat64_6to4() and nat64_4to6() do: TCP, UDP, UDP without
 * checksum from IPv4; anything else they refuse. */
static void
test_nat64_by_change(void **state)
{
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP };
	static uint8_t a[HEAD + 2048], b[HEAD + 2048];
	struct xlat_tuple4 t4 = tuple4(LIP4, RS4, 5001, 8080);
	struct xlat_tuple6 t6 = tuple6(VIP6, CLIENT6, 80, 40000);
	uint8_t v6[32], v4[32] = { 0 }, p6[4], p4[4];
	rte_be32_t rs = RS4, lip = LIP4;
	struct rte_ipv4_hdr *ip4;
	struct rte_ipv6_hdr *ip6;
	uint64_t to4, to6;

	(void)state;
	/* the client's side (CLIENT6:40000 -> VIP6:80) and the server's
	 * (RS4:8080 -> LIP4:5001), addresses then ports as keys hold them */
	memcpy(v6, CLIENT6, 16);
	memcpy(v6 + 16, VIP6, 16);
	memcpy(v4, &rs, 4);
	memcpy(v4 + 16, &lip, 4);
	p6[0] = 40000 >> 8, p6[1] = 40000 & 0xff, p6[2] = 0, p6[3] = 80;
	p4[0] = 8080 >> 8, p4[1] = 8080 & 0xff, p4[2] = 5001 >> 8;
	p4[3] = 5001 & 0xff;
	to4 = sum_change(v6, p6, v4, p4);
	to6 = sum_change(v4, p4, v6, p6);
	for (size_t i = 0; i < RTE_DIM(protos); i++) {
		for (unsigned int folded = 0; folded < 2; folded++) {
			uint64_t d4 = folded ? csum_fold64(to4) : to4;
			uint64_t d6 = folded ? (uint64_t)(uint16_t)
					       ~csum_fold64(to4) + 0xffff : to6;
			size_t len = build6(a + HEAD, protos[i], CLIENT6, VIP6,
					    40000, 80, 100 + i);

			memcpy(b, a, sizeof(a));
			assert_int_equal(nat64_6to4(a + HEAD, 40, protos[i],
						    len - 40, &t4, 7, &ip4), 0);
			assert_int_equal(nat64_6to4_by(b + HEAD, 40, protos[i],
						       len - 40, &t4, 7, d4,
						       &ip4), 0);
			assert_memory_equal(a, b, sizeof(a));
			assert_valid4(ip4);

			len = build4(a + HEAD, protos[i], RS4, LIP4, 8080,
				     5001, 200 + i);
			if (protos[i] == IPPROTO_UDP && folded)
				memset(a + HEAD + 26, 0, 2);	/* none */
			memcpy(b, a, sizeof(a));
			assert_int_equal(nat64_4to6(a + HEAD, len, &t6, &ip6),
					 0);
			assert_int_equal(nat64_4to6_by(b + HEAD, len, &t6, d6,
						       &ip6), 0);
			assert_memory_equal(a, b, sizeof(a));
			assert_valid6(ip6);
		}
	}
	build6(b + HEAD, IPPROTO_ICMPV6, CLIENT6, VIP6, 7, 0, 8);
	assert_int_equal(nat64_6to4_by(b + HEAD, 40, IPPROTO_ICMPV6, 16, &t4,
				       0, to4, &ip4), -ENOTSUP);
	build4(b + HEAD, IPPROTO_ICMP, RS4, LIP4, 7, 0, 8);
	assert_int_equal(nat64_4to6_by(b + HEAD, 36, &t6, to6, &ip6),
			 -ENOTSUP);
}

/* 6 -> 4 -> 6 with the inverse tuples gives the packet back, byte for
 * byte but the flow label (RFC 7915 sets it to 0). */
static void
test_nat64_round_trip(void **state)
{
	struct xlat_tuple4 t4 = tuple4(LIP4, RS4, 5001, 8080);
	struct xlat_tuple6 t6 = tuple6(CLIENT6, VIP6, 40000, 80);
	uint8_t orig[600], *pkt = buf + HEAD;
	struct rte_ipv4_hdr *ip4;
	struct rte_ipv6_hdr *ip6;
	size_t len = build6(pkt, IPPROTO_TCP, CLIENT6, VIP6, 40000, 80, 500);

	(void)state;
	((struct rte_ipv6_hdr *)pkt)->vtc_flow = rte_cpu_to_be_32(6u << 28 | 0x2e << 20);
	memcpy(orig, pkt, len);
	assert_int_equal(nat64_6to4(pkt, 40, IPPROTO_TCP, len - 40, &t4, 0, &ip4), 0);
	assert_int_equal(nat64_4to6((uint8_t *)ip4, len - 20, &t6, &ip6), 0);
	assert_ptr_equal(ip6, pkt);
	assert_memory_equal(pkt, orig, len);
}

/* ---- NAT64, ICMP errors --------------------------------------------- */

/* An ICMPv4 error from RTR4 to LIP4 quoting LIP4:5001 -> RS4:8080
 * (payload bytes of TCP data quoted whole); its length. */
static size_t
icmp4_error(uint8_t *p, uint8_t type, uint8_t code, uint32_t rest,
	    size_t payload)
{
	struct rte_ipv4_hdr *ip4 = (void *)p;
	uint8_t *icmp = p + 20;
	size_t qlen = build4(icmp + 8, IPPROTO_TCP, LIP4, RS4, 5001, 8080, payload);
	uint16_t ck;

	build4(p, IPPROTO_ICMP, RTR4, LIP4, 0, 0, 0);
	ip4->total_length = rte_cpu_to_be_16(28 + qlen);
	ip4->hdr_checksum = 0;
	ip4->hdr_checksum = rte_ipv4_cksum(ip4);
	memset(icmp, 0, 8);
	icmp[0] = type;
	icmp[1] = code;
	rest = rte_cpu_to_be_32(rest);
	memcpy(icmp + 4, &rest, 4);
	ck = (uint16_t)~rte_raw_cksum(icmp, 8 + qlen);
	memcpy(icmp + 2, &ck, 2);
	return 28 + qlen;
}

static int
err_4to6(uint8_t type, uint8_t code, uint32_t rest, const struct nat64_mtus *m)
{
	struct xlat_tuple6 outer = tuple6(VIP6, CLIENT6, 0, 0);
	struct xlat_tuple6 inner = tuple6(CLIENT6, VIP6, 40000, 80);
	size_t len = icmp4_error(buf, type, code, rest, 30);

	return nat64_icmp_4to6(buf, len, out, sizeof(out), &outer, &inner, m);
}

static void
test_icmp_4to6_frag_needed(void **state)
{
	struct rte_ipv6_hdr *ip6 = (void *)out;
	struct rte_ipv6_hdr *q = (void *)(out + 48);
	struct nat64_mtus m = { 0, 0 };
	int n;

	(void)state;
	n = err_4to6(3, 4, 1400, &m);	/* MTU in the low 16 bits */
	assert_int_equal(n, 40 + 8 + 40 + 20 + 30);
	assert_int_equal(ip6->proto, IPPROTO_ICMPV6);
	assert_int_equal(rte_be_to_cpu_16(ip6->payload_len), n - 40);
	assert_memory_equal(ip6->src_addr, VIP6, 16);
	assert_memory_equal(ip6->dst_addr, CLIENT6, 16);
	assert_int_equal(out[40], XLAT_ICMP6_PKT_TOO_BIG);
	assert_int_equal(out[41], 0);
	assert_int_equal(be32_at(out + 44), 1420);
	assert_valid6(ip6);
	/* the quoted packet: the client's, its TCP checksum valid again */
	assert_memory_equal(q->src_addr, CLIENT6, 16);
	assert_memory_equal(q->dst_addr, VIP6, 16);
	assert_int_equal(q->proto, IPPROTO_TCP);
	assert_int_equal(rte_be_to_cpu_16(q->payload_len), 50);
	assert_int_equal(be16_at(out + 88), 40000);
	assert_int_equal(be16_at(out + 90), 80);
	assert_valid6(q);

	assert_int_equal(err_4to6(3, 4, 1000, &m), n);	/* below IPv6's minimum */
	assert_int_equal(be32_at(out + 44), XLAT_IPV6_MIN_MTU);
	m.v6 = 1500;
	assert_int_equal(err_4to6(3, 4, 9000, &m), n);	/* next hops bound it */
	assert_int_equal(be32_at(out + 44), 1500);
	m = (struct nat64_mtus){ 1400, 0 };
	assert_int_equal(err_4to6(3, 4, 9000, &m), n);
	assert_int_equal(be32_at(out + 44), 1420);
}

static void
test_mtu_plateaus_and_6to4(void **state)
{
	(void)state;
	/* RFC 1191 plateaus for an MTU of 0, by the quoted length */
	assert_int_equal(nat64_mtu_4to6(0, 1500, NULL), 1492 + 20);
	assert_int_equal(nat64_mtu_4to6(0, 9000, NULL), 8166 + 20);
	assert_int_equal(nat64_mtu_4to6(0, 600, NULL), XLAT_IPV6_MIN_MTU);
	assert_int_equal(nat64_mtu_6to4(1280, NULL), 1260);
	assert_int_equal(nat64_mtu_6to4(9000, &(struct nat64_mtus){ 1500, 0 }), 1500);
	assert_int_equal(nat64_mtu_6to4(9000, &(struct nat64_mtus){ 0, 4000 }), 3980);
	assert_int_equal(nat64_mtu_6to4(10, NULL), 68);
}

static void
test_icmp_4to6_type_map(void **state)
{
	static const struct { uint8_t t, c, t6, c6; int rc; } cases[] = {
		{ 3, 0, 1, 0, 0 }, { 3, 1, 1, 0, 0 }, { 3, 3, 1, 4, 0 },
		{ 3, 2, 4, 1, 0 }, { 3, 4, 2, 0, 0 }, { 3, 5, 1, 0, 0 },
		{ 3, 9, 1, 1, 0 }, { 3, 10, 1, 1, 0 }, { 3, 13, 1, 1, 0 },
		{ 3, 15, 1, 1, 0 }, { 3, 14, 0, 0, -ENOTSUP },
		{ 3, 16, 0, 0, -ENOTSUP }, { 11, 0, 3, 0, 0 }, { 11, 1, 3, 1, 0 },
		{ 12, 0, 4, 0, 0 }, { 12, 2, 4, 0, 0 }, { 12, 1, 0, 0, -ENOTSUP },
		{ 4, 0, 0, 0, -ENOTSUP }, { 5, 1, 0, 0, -ENOTSUP },
		{ 13, 0, 0, 0, -ENOTSUP }, { 9, 0, 0, 0, -ENOTSUP },
	};

	(void)state;
	for (size_t i = 0; i < RTE_DIM(cases); i++) {
		uint8_t t6 = 0, c6 = 0;

		assert_int_equal(nat64_icmp_type_4to6(cases[i].t, cases[i].c,
						      &t6, &c6), cases[i].rc);
		if (cases[i].rc == 0) {
			assert_int_equal(t6, cases[i].t6);
			assert_int_equal(c6, cases[i].c6);
		}
	}
}

static void
test_icmp_4to6_pointers(void **state)
{
	(void)state;
	/* protocol unreachable: parameter problem at the next header */
	assert_true(err_4to6(3, 2, 0, NULL) > 0);
	assert_int_equal(out[40], 4);
	assert_int_equal(out[41], 1);
	assert_int_equal(be32_at(out + 44), 6);
	assert_valid6((void *)out);
	/* a pointer (first byte of the second word) at the TTL -> hop limit */
	assert_true(err_4to6(12, 0, 8u << 24, NULL) > 0);
	assert_int_equal(be32_at(out + 44), 7);
	assert_true(err_4to6(12, 0, 16u << 24, NULL) > 0);	/* destination */
	assert_int_equal(be32_at(out + 44), 24);
	assert_true(err_4to6(12, 0, 2u << 24, NULL) > 0);	/* total length */
	assert_int_equal(be32_at(out + 44), 4);
	/* the identification has no IPv6 counterpart */
	assert_int_equal(err_4to6(12, 0, 4u << 24, NULL), -ENOTSUP);
	assert_int_equal(err_4to6(12, 0, 10u << 24, NULL), -ENOTSUP);
	/* redirects are dropped */
	assert_int_equal(err_4to6(5, 0, 0, NULL), -ENOTSUP);
}

static void
test_icmp_4to6_cut_to_1280(void **state)
{
	struct xlat_tuple6 outer = tuple6(VIP6, CLIENT6, 0, 0);
	struct xlat_tuple6 inner = tuple6(CLIENT6, VIP6, 40000, 80);
	size_t len = icmp4_error(buf, 11, 0, 0, 1400);
	struct rte_ipv6_hdr *q = (void *)(out + 48);
	int n;

	(void)state;
	n = nat64_icmp_4to6(buf, len, out, sizeof(out), &outer, &inner, NULL);
	assert_int_equal(n, XLAT_IPV6_MIN_MTU);
	assert_valid6((void *)out);
	/* the quoted header keeps the original length */
	assert_int_equal(rte_be_to_cpu_16(q->payload_len), 1420);
	assert_int_equal(nat64_icmp_4to6(buf, len, out, 60, &outer, &inner, NULL),
			 -ENOSPC);
}

/* An ICMPv6 error from a router on the client's side about VIP6:80 ->
 * CLIENT6:40000 (the answer we translated), toward the server: RTR4 ->
 * RS4 quoting RS4:8080 -> LIP4:5001. */
static size_t
icmp6_error(uint8_t *p, uint8_t type, uint8_t code, uint32_t rest,
	    size_t payload)
{
	struct rte_ipv6_hdr *ip6 = (void *)p;
	uint8_t *icmp = p + 40;
	size_t qlen = build6(icmp + 8, IPPROTO_UDP, VIP6, CLIENT6, 80, 40000,
			     payload);
	uint16_t ck;

	build6(p, IPPROTO_ICMPV6, CLIENT6, VIP6, 0, 0, 0);
	ip6->payload_len = rte_cpu_to_be_16(8 + qlen);
	memset(icmp, 0, 8);
	icmp[0] = type;
	icmp[1] = code;
	rest = rte_cpu_to_be_32(rest);
	memcpy(icmp + 4, &rest, 4);
	ck = rte_ipv6_udptcp_cksum(ip6, icmp);
	memcpy(icmp + 2, &ck, 2);
	return 48 + qlen;
}

static int
err_6to4(uint8_t type, uint8_t code, uint32_t rest, size_t payload)
{
	struct xlat_tuple4 outer = tuple4(LIP4, RS4, 0, 0);
	struct xlat_tuple4 inner = tuple4(RS4, LIP4, 8080, 5001);
	size_t len = icmp6_error(buf, type, code, rest, payload);

	return nat64_icmp_6to4(buf, len, out, sizeof(out), &outer, &inner, NULL,
			       RTE_BE16(3));
}

static void
test_icmp_6to4_packet_too_big(void **state)
{
	struct rte_ipv4_hdr *ip4 = (void *)out;
	struct rte_ipv4_hdr *q = (void *)(out + 28);
	int n;

	(void)state;
	n = err_6to4(XLAT_ICMP6_PKT_TOO_BIG, 0, 1280, 40);
	assert_int_equal(n, 20 + 8 + 20 + 8 + 40);
	assert_valid4(ip4);
	assert_int_equal(ip4->src_addr, LIP4);
	assert_int_equal(ip4->dst_addr, RS4);
	assert_int_equal(out[20], 3);
	assert_int_equal(out[21], 4);
	assert_int_equal(be16_at(out + 26), 1260);
	assert_int_equal(be16_at(out + 24), 0);
	/* the quoted datagram: the server's, with its UDP checksum valid */
	assert_int_equal(q->src_addr, RS4);
	assert_int_equal(q->dst_addr, LIP4);
	assert_int_equal(be16_at(out + 48), 8080);
	assert_int_equal(be16_at(out + 50), 5001);
	assert_int_equal(rte_be_to_cpu_16(q->total_length), 20 + 48);
	assert_valid4(q);
}

static void
test_icmp_6to4_map_and_cut(void **state)
{
	static const struct { uint8_t t, c, t4, c4; int rc; } cases[] = {
		{ 1, 0, 3, 1, 0 }, { 1, 1, 3, 10, 0 }, { 1, 2, 3, 1, 0 },
		{ 1, 3, 3, 1, 0 }, { 1, 4, 3, 3, 0 }, { 1, 5, 0, 0, -ENOTSUP },
		{ 2, 0, 3, 4, 0 }, { 3, 1, 11, 1, 0 }, { 4, 0, 12, 0, 0 },
		{ 4, 1, 3, 2, 0 }, { 4, 2, 0, 0, -ENOTSUP },
		{ 135, 0, 0, 0, -ENOTSUP }, { 137, 0, 0, 0, -ENOTSUP },
	};
	struct rte_ipv4_hdr *ip4 = (void *)out;

	(void)state;
	for (size_t i = 0; i < RTE_DIM(cases); i++) {
		uint8_t t4 = 0, c4 = 0;

		assert_int_equal(nat64_icmp_type_6to4(cases[i].t, cases[i].c,
						      &t4, &c4), cases[i].rc);
		if (cases[i].rc == 0) {
			assert_int_equal(t4, cases[i].t4);
			assert_int_equal(c4, cases[i].c4);
		}
	}
	/* a pointer at the IPv6 destination -> IPv4 destination (16) */
	assert_true(err_6to4(4, 0, 30, 8) > 0);
	assert_int_equal(out[24], 16);
	assert_valid4(ip4);
	assert_true(err_6to4(4, 0, 6, 8) > 0);		/* next header */
	assert_int_equal(out[24], 9);
	assert_int_equal(err_6to4(4, 0, 2, 8), -ENOTSUP);	/* flow label */
	/* ICMPv4 errors stop at 576 bytes */
	assert_int_equal(err_6to4(3, 0, 0, 1000), NAT64_ICMP4_MAX);
	assert_valid4(ip4);
	assert_int_equal(rte_be_to_cpu_16(((struct rte_ipv4_hdr *)(out + 28))
					  ->total_length), 20 + 8 + 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rewrite6_fnat_tcp_udp),
		cmocka_unit_test(test_rewrite6_nat_keeps_source),
		cmocka_unit_test(test_rewrite6_refusals),
		cmocka_unit_test(test_rewrite6_icmp_echo_ident),
		cmocka_unit_test(test_hop_dec),
		cmocka_unit_test(test_dr_mac),
		cmocka_unit_test(test_encap_ip6ip6_and_4in6),
		cmocka_unit_test(test_encap_6in4),
		cmocka_unit_test(test_icmp6_error_rewrite),
		cmocka_unit_test(test_icmp6_error_rewrite_at),
		cmocka_unit_test(test_nat64_6to4_tcp_udp),
		cmocka_unit_test(test_nat64_6to4_refusals),
		cmocka_unit_test(test_nat64_echo_both_ways),
		cmocka_unit_test(test_nat64_4to6_tcp_udp),
		cmocka_unit_test(test_nat64_4to6_udp_zero_checksum),
		cmocka_unit_test(test_nat64_4to6_refusals),
		cmocka_unit_test(test_nat64_round_trip),
		cmocka_unit_test(test_nat64_by_change),
		cmocka_unit_test(test_icmp_4to6_frag_needed),
		cmocka_unit_test(test_mtu_plateaus_and_6to4),
		cmocka_unit_test(test_icmp_4to6_type_map),
		cmocka_unit_test(test_icmp_4to6_pointers),
		cmocka_unit_test(test_icmp_4to6_cut_to_1280),
		cmocka_unit_test(test_icmp_6to4_packet_too_big),
		cmocka_unit_test(test_icmp_6to4_map_and_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
