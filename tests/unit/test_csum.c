/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Checksum helpers against DPDK's reference implementations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "lb/lb_rewrite.h"
#include "net/csum.h"
#include "net6/net6.h"

/* DPDK's checksum of h, computed with the field zeroed as it requires. */
static uint16_t
ref_cksum(struct rte_ipv4_hdr h)
{
	uint16_t c;

	h.hdr_checksum = 0;
	c = rte_ipv4_cksum(&h);
	return c == 0xffff ? 0 : c;	/* both spell zero; we store 0 */
}

static struct rte_ipv4_hdr
sample_header(void)
{
	struct rte_ipv4_hdr h = {
		.version_ihl = 0x45,
		.total_length = RTE_BE16(84),
		.packet_id = RTE_BE16(0x1234),
		.time_to_live = 64,
		.next_proto_id = IPPROTO_ICMP,
		.src_addr = RTE_BE32(0xc6120002),
		.dst_addr = RTE_BE32(0xc6120101),
	};

	h.hdr_checksum = rte_ipv4_cksum(&h);
	return h;
}

static void
test_compute_matches_dpdk(void **state)
{
	struct rte_ipv4_hdr h = sample_header();
	uint16_t want = h.hdr_checksum;

	(void)state;
	h.hdr_checksum = 0;
	assert_int_equal(csum_compute(&h, sizeof(h)), want);
}

static void
test_verify_good_and_bad(void **state)
{
	struct rte_ipv4_hdr h = sample_header();

	(void)state;
	assert_true(csum_verify(&h, sizeof(h)));
	h.time_to_live = 63;
	assert_false(csum_verify(&h, sizeof(h)));
}

static void
test_ttl_decrement_incremental(void **state)
{
	struct rte_ipv4_hdr h;
	int ttl;

	(void)state;
	for (ttl = 255; ttl > 1; ttl--) {
		h = sample_header();
		h.time_to_live = (uint8_t)ttl;
		h.hdr_checksum = ref_cksum(h);
		h.time_to_live--;
		h.hdr_checksum = csum_update16(h.hdr_checksum, RTE_BE16(0x0100),
					       0);
		assert_true(csum_verify(&h, sizeof(h)));
	}
}

static void
test_address_rewrite_incremental(void **state)
{
	struct rte_ipv4_hdr h = sample_header();
	rte_be32_t old = h.dst_addr, repl[] = { RTE_BE32(0), RTE_BE32(0xffffffff),
						RTE_BE32(0x0a000001),
						RTE_BE32(0xc613ff07) };
	unsigned int i;

	(void)state;
	for (i = 0; i < RTE_DIM(repl); i++) {
		h = sample_header();
		h.dst_addr = repl[i];
		h.hdr_checksum = csum_update32(h.hdr_checksum, old, repl[i]);
		assert_true(csum_verify(&h, sizeof(h)));
	}
}

static void
test_raw_odd_length(void **state)
{
	const uint8_t buf[] = { 0x01, 0x02, 0x03 };

	(void)state;
	assert_int_equal(csum_raw(buf, 3), rte_raw_cksum(buf, 3));
	assert_int_equal(csum_raw(buf, 0), 0);
}

/* One csum_apply() of the summed changes equals field-by-field updates. */
static void
test_diff_sum_equals_sequential(void **state)
{
	uint32_t x = 0x12345678;
	unsigned int i, j;

	(void)state;
	for (i = 0; i < 100000; i++) {
		uint32_t o[3], n[3];
		uint16_t ck, seq;
		uint64_t diff = 0;

		for (j = 0; j < 3; j++) {
			x = x * 1103515245 + 12345;
			o[j] = x ^ (x >> 7);
			x = x * 1103515245 + 12345;
			/* some fields unchanged, some all ones or zero */
			n[j] = (x & 3) == 0 ? o[j] : (x & 3) == 1 ? ((x & 4) ? ~0u : 0) : x;
		}
		x = x * 1103515245 + 12345;
		ck = (uint16_t)(x >> 8);
		if (ck == 0xffff)	/* never a computed checksum */
			ck = 0;
		seq = ck;
		for (j = 0; j < 3; j++) {
			if (o[j] != n[j])
				seq = csum_update32(seq, o[j], n[j]);
			diff += csum_diff32(o[j], n[j]);
		}
		assert_int_equal(csum_apply(ck, diff), seq);
	}
}

static void
test_fold64_and_verify20(void **state)
{
	struct rte_ipv4_hdr h = sample_header();
	const uint64_t v[] = { 0, 1, 0xffff, 0x10000, 0x1ffff, 0xffffffffull,
			       0x100000000ull, 0xfffffffeffffffffull,
			       0xffffffffffffffffull, 0x123456789abcdefull };
	unsigned int i;

	(void)state;
	for (i = 0; i < RTE_DIM(v); i++) {
		uint64_t x = v[i];

		while (x >> 16)
			x = (x & 0xffff) + (x >> 16);
		assert_int_equal(csum_fold64(v[i]), x);
	}
	assert_true(csum_verify_ipv4_20(&h));
	h.src_addr ^= RTE_BE32(0x100);
	assert_false(csum_verify_ipv4_20(&h));
}

static void
test_raw_lengths_match_dpdk(void **state)
{
	uint8_t buf[67];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 37 + 11);
	for (i = 0; i <= sizeof(buf); i++) {
		uint16_t ref = rte_raw_cksum(buf + 1, i > 0 ? i - 1 : 0);

		assert_int_equal(csum_raw(buf + 1, i > 0 ? i - 1 : 0), ref);
	}
}

/* n bytes of a fixed pseudo-random sequence from *x on. */
static void
fill_random(uint8_t *buf, size_t n, uint32_t *x)
{
	size_t i;

	for (i = 0; i < n; i++) {
		*x = *x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(*x >> 16);
	}
}

/* 64-bit words carry out of every add: all-ones data, then random
 * headers, against DPDK's 16-bit sum. */
static void
test_carries_of_64bit_words(void **state)
{
	uint8_t buf[1500];
	struct rte_ipv4_hdr h;
	unsigned int i, k;
	uint32_t x = 12345;

	(void)state;
	memset(buf, 0xff, sizeof(buf));
	for (i = 0; i <= 64; i++)
		assert_int_equal(csum_raw(buf, i), rte_raw_cksum(buf, i));
	assert_int_equal(csum_raw(buf, sizeof(buf)),
			 rte_raw_cksum(buf, sizeof(buf)));
	assert_int_equal(csum_add64(~0ull, 1), 1);
	assert_int_equal(csum_add64(~0ull, ~0ull), ~0ull);
	for (k = 0; k < 1000; k++) {
		fill_random((uint8_t *)&h, sizeof(h), &x);
		h.version_ihl = 0x45;	/* rte_ipv4_cksum() sums ihl words */
		h.hdr_checksum = 0;
		h.hdr_checksum = rte_ipv4_cksum(&h);
		assert_true(csum_verify_ipv4_20(&h));
		h.time_to_live ^= 0x40;
		assert_false(csum_verify_ipv4_20(&h));
	}
}

/* An IPv6 packet: fixed header, ext bytes of a destination-options
 * header when ext is not 0, then len bytes of TCP or UDP (proto) whose
 * checksum DPDK computed; returns the L4 offset from the header. */
static uint16_t
ipv6_segment(uint8_t *buf, uint8_t proto, uint32_t len, uint16_t ext,
	     uint32_t *x)
{
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)buf;
	uint8_t *l4 = buf + sizeof(*ip) + ext;

	fill_random(buf, sizeof(*ip) + ext + len, x);
	ip->vtc_flow = RTE_BE32(6u << 28);
	ip->proto = proto;
	ip->payload_len = rte_cpu_to_be_16((uint16_t)len);
	if (proto == IPPROTO_TCP) {
		((struct rte_tcp_hdr *)l4)->cksum = 0;
		((struct rte_tcp_hdr *)l4)->cksum = rte_ipv6_udptcp_cksum(ip, l4);
	} else {
		((struct rte_udp_hdr *)l4)->dgram_cksum = 0;
		((struct rte_udp_hdr *)l4)->dgram_cksum =
			rte_ipv6_udptcp_cksum(ip, l4);
	}
	if (ext != 0) {		/* the options header goes in front */
		ip->proto = 60;
		ip->payload_len = rte_cpu_to_be_16((uint16_t)(len + ext));
	}
	return (uint16_t)(sizeof(*ip) + ext);
}

/* net6_l4_cksum_ok() in software against DPDK's, TCP and UDP of every
 * length parity, behind an extension header too; one flipped bit of the
 * segment or of an address fails; the port's flags win when set. */
static void
test_ipv6_l4_checksum(void **state)
{
	uint8_t buf[40 + 16 + 300];
	struct rte_mbuf m = { .buf_addr = buf, .nb_segs = 1,
			      .data_len = sizeof(buf), .pkt_len = sizeof(buf) };
	const struct rte_ipv6_hdr *ip = (const struct rte_ipv6_hdr *)buf;
	uint32_t x = 777, len;
	uint16_t ext, off;
	uint8_t proto;

	(void)state;
	for (len = 20; len <= 300; len += 7) {
		for (ext = 0; ext <= 16; ext += 16) {
			proto = len % 2 ? IPPROTO_UDP : IPPROTO_TCP;
			off = ipv6_segment(buf, proto, len, ext, &x);
			assert_true(net6_l4_cksum_ok(&m, ip, proto, off));
			buf[off + len - 1] ^= 0x10;
			assert_false(net6_l4_cksum_ok(&m, ip, proto, off));
			buf[off + len - 1] ^= 0x10;
			buf[8 + len % 32] ^= 0x01;	/* an address */
			assert_false(net6_l4_cksum_ok(&m, ip, proto, off));
			/* a port that checked it says so */
			m.ol_flags = RTE_MBUF_F_RX_L4_CKSUM_GOOD;
			assert_true(net6_l4_cksum_ok(&m, ip, proto, off));
			m.ol_flags = RTE_MBUF_F_RX_L4_CKSUM_BAD;
			buf[8 + len % 32] ^= 0x01;
			assert_false(net6_l4_cksum_ok(&m, ip, proto, off));
			m.ol_flags = 0;
		}
	}
	/* a payload length shorter than the headers before the segment */
	off = ipv6_segment(buf, IPPROTO_TCP, 20, 16, &x);
	((struct rte_ipv6_hdr *)buf)->payload_len = RTE_BE16(8);
	assert_false(net6_l4_cksum_ok(&m, ip, IPPROTO_TCP, off));
}

/* ~csum_l4_sum4(): DPDK's TCP and UDP checksum over random segments
 * (DPDK writes a zero result as 0xffff, the same in ones' complement). */
static void
test_ipv4_pseudo_header(void **state)
{
	uint8_t buf[20 + 300];
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)buf;
	uint32_t x = 4242, len;

	(void)state;
	for (len = 8; len <= 300; len += 5) {
		uint8_t proto = len % 2 ? IPPROTO_UDP : IPPROTO_TCP;
		uint16_t ours, ref;

		fill_random(buf, sizeof(*ip) + len, &x);
		ip->version_ihl = 0x45;
		ip->next_proto_id = proto;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + len));
		/* the L4 checksum field, which both sum, left as it is */
		ref = rte_ipv4_udptcp_cksum(ip, buf + 20);
		ours = (uint16_t)~csum_l4_sum4(ip->src_addr, ip->dst_addr,
					       proto, buf + 20, len);
		assert_int_equal(ours == 0 ? 0xffff : ours, ref);
	}
}

/* Segment m of a test chain: len bytes copied from from into buf, then
 * next (NULL: the last). */
static void
seg_fill(struct rte_mbuf *m, uint8_t *buf, const uint8_t *from, uint32_t len,
	 struct rte_mbuf *next)
{
	memcpy(buf, from, len);
	*m = (struct rte_mbuf){ .buf_addr = buf, .data_len = (uint16_t)len,
				.next = next };
}

/* csum_l4_sum4_mbuf() over a packet split between two mbufs at every
 * offset, against the contiguous sum: an odd split too, where DPDK
 * 22.11's rte_raw_cksum_mbuf() loses carries (cut 21 here: 0x8aae for
 * 0x9bae); a chain shorter than total_length gives 0, and
 * net_l4_cksum_ok() fails it. */
static void
test_ipv4_l4_sum_chain(void **state)
{
	enum { LEN = 20 + 61 };
	uint8_t whole[LEN], head[LEN], mid[LEN], tail[LEN];
	const struct rte_ipv4_hdr *ip1 = (const struct rte_ipv4_hdr *)head;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)whole;
	struct rte_mbuf m1, m2, m3;
	uint32_t x = 99, cut, cut2;
	uint16_t sum;

	(void)state;
	fill_random(whole, LEN, &x);
	ip->version_ihl = 0x45;
	ip->next_proto_id = IPPROTO_TCP;
	ip->total_length = rte_cpu_to_be_16(LEN);
	sum = csum_l4_sum4(ip->src_addr, ip->dst_addr, IPPROTO_TCP,
			   whole + 20, LEN - 20);
	for (cut = 21; cut < LEN; cut++) {
		seg_fill(&m2, tail, whole + cut, LEN - cut, NULL);
		seg_fill(&m1, head, whole, cut, &m2);
		m1.nb_segs = 2;
		m1.pkt_len = LEN;
		assert_int_equal(csum_l4_sum4_mbuf(&m1, ip1, 20), sum);
	}
	/* three segments: the middle one of any length, odd included */
	for (cut = 21; cut < LEN; cut++) {
		for (cut2 = cut; cut2 < LEN; cut2++) {
			seg_fill(&m3, tail, whole + cut2, LEN - cut2, NULL);
			seg_fill(&m2, mid, whole + cut, cut2 - cut, &m3);
			seg_fill(&m1, head, whole, cut, &m2);
			m1.nb_segs = 3;
			m1.pkt_len = LEN;
			assert_int_equal(csum_l4_sum4_mbuf(&m1, ip1, 20), sum);
		}
	}
	/* the chain holds 10 bytes less than the header says */
	seg_fill(&m2, tail, whole + 40, LEN - 40 - 10, NULL);
	seg_fill(&m1, head, whole, 40, &m2);
	m1.nb_segs = 2;
	m1.pkt_len = LEN - 10;
	assert_int_equal(csum_l4_sum4_mbuf(&m1, ip1, 20), 0);
	assert_false(net_l4_cksum_ok(&m1, ip1, 20));
}

static void
test_fold_carries(void **state)
{
	(void)state;
	assert_int_equal(csum_fold(0x1ffff), 0x0001);
	assert_int_equal(csum_fold(0xffff), 0xffff);
	assert_int_equal(csum_fold(0x2fffd), 0xffff);
	assert_int_equal(csum_fold(0xfffe0001), 0xffff);
}

/* ---- a connection's checksum changes, summed once (lb_rewrite.h) ---- */

struct rw_pkt {
	struct rte_ipv4_hdr ip;
	union {
		struct rte_tcp_hdr tcp;
		struct rte_udp_hdr udp;
	};
} __rte_packed;

/* A packet carrying key k with checksum ck where the L4 one is (UDP's
 * 0: none). */
static void
rw_pkt_fill(struct rw_pkt *p, const struct conn_tuple4 *k, uint8_t proto,
	    uint16_t ip_ck, uint16_t l4_ck)
{
	unsigned int l4 = proto == IPPROTO_TCP ? sizeof(p->tcp) :
						 sizeof(p->udp);

	memset(p, 0, sizeof(*p));
	p->ip.version_ihl = RTE_IPV4_VHL_DEF;
	p->ip.total_length = rte_cpu_to_be_16(sizeof(p->ip) + l4);
	p->ip.time_to_live = 64;
	p->ip.next_proto_id = proto;
	p->ip.hdr_checksum = ip_ck;
	p->ip.src_addr = k->src_addr;
	p->ip.dst_addr = k->dst_addr;
	if (proto == IPPROTO_TCP) {
		p->tcp.src_port = k->src_port;
		p->tcp.dst_port = k->dst_port;
		p->tcp.data_off = 5 << 4;
		p->tcp.cksum = l4_ck;
	} else {
		p->udp.src_port = k->src_port;
		p->udp.dst_port = k->dst_port;
		p->udp.dgram_len = rte_cpu_to_be_16(l4);
		p->udp.dgram_cksum = l4_ck;
	}
}

/* The view the load balancer's parse makes of p (lb_priv.h's
 * l4_parse(): UDP's zero checksum is none). */
static struct l4_view
rw_view(struct rw_pkt *p)
{
	if (p->ip.next_proto_id == IPPROTO_TCP)
		return (struct l4_view){ &p->tcp.src_port, &p->tcp.dst_port,
					 &p->tcp.cksum, p->tcp.tcp_flags,
					 false };
	return (struct l4_view){ &p->udp.src_port, &p->udp.dst_port,
				 p->udp.dgram_cksum ? &p->udp.dgram_cksum :
						      NULL,
				 0, true };
}

static uint32_t
rw_rand32(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*s >> 32);
}

/* The two rewrites of a packet of c each way agree byte for byte, with
 * the TTL dropped (hop: FNAT, NAT) or not (SNAT, which drops it apart).
 * right: the client's packet gets right checksums first, which must
 * stay right. */
static void
rw_check(const struct conn *c, bool nat, uint8_t proto, uint16_t ip_ck,
	 uint16_t l4_ck, bool right, bool hop)
{
	const struct conn_tuple4 *in = &c->tuple[CONN_SIDE_IN];
	const struct conn_tuple4 *out = &c->tuple[CONN_SIDE_OUT];
	rte_be32_t saddr = nat ? in->src_addr : out->dst_addr;
	rte_be16_t sport = nat ? in->src_port : out->dst_port;
	struct l4_view va, vb;
	struct rw_pkt a, b;

	/* client -> server */
	rw_pkt_fill(&a, in, proto, ip_ck, l4_ck);
	if (right) {
		a.ip.hdr_checksum = 0;
		a.ip.hdr_checksum = rte_ipv4_cksum(&a.ip);
		if (proto == IPPROTO_TCP) {
			a.tcp.cksum = 0;
			a.tcp.cksum = rte_ipv4_udptcp_cksum(&a.ip, &a.tcp);
		}
	}
	b = a;
	va = rw_view(&a);
	vb = rw_view(&b);
	rewrite4(&a.ip, &va, saddr, sport, out->src_addr, out->src_port,
		 hop);
	rewrite4_conn_in(&b.ip, &vb, c, saddr, sport, hop);
	assert_memory_equal(&a, &b, sizeof(a));
	if (right) {
		assert_int_equal(rte_ipv4_cksum(&b.ip), 0);
		if (proto == IPPROTO_TCP)
			assert_int_equal(rte_ipv4_udptcp_cksum_verify(&b.ip,
								      &b.tcp),
					 0);
	}

	/* server -> client: the out key, back to the in key */
	rw_pkt_fill(&a, out, proto, l4_ck, ip_ck);
	b = a;
	va = rw_view(&a);
	vb = rw_view(&b);
	rewrite4(&a.ip, &va, in->dst_addr, in->dst_port, in->src_addr,
		 in->src_port, hop);
	rewrite4_conn_out(&b.ip, &vb, c, hop);
	assert_memory_equal(&a, &b, sizeof(a));
}

/*
 * For random FNAT and NAT connections, and packets of theirs with every
 * kind of checksum (random, right, 0xffff, UDP's none), the rewrite by
 * the connection's summed changes writes the same bytes as the rewrite
 * that sums them from the packet, both ways, routed on or not; also for a NAT connection
 * that changes nothing the sums see (its server's address and port are
 * the VIP's), whose folded change is 0xffff.
 */
static void
test_conn_csum_delta(void **state)
{
	static const uint16_t fixed_ck[] = { 0, 0xffff, 0x0001, 0xfffe };
	uint64_t seed = 17;
	unsigned int n, i, j;

	(void)state;
	for (n = 0; n < 20000; n++) {
		struct conn c = { 0 };
		struct conn_tuple4 *in = &c.tuple[CONN_SIDE_IN];
		struct conn_tuple4 *out = &c.tuple[CONN_SIDE_OUT];
		uint8_t proto = n & 1 ? IPPROTO_UDP : IPPROTO_TCP;
		bool nat = n & 2, same = n % 16 == 2;

		in->src_addr = rw_rand32(&seed);
		in->dst_addr = rw_rand32(&seed);
		in->src_port = (rte_be16_t)rw_rand32(&seed);
		in->dst_port = (rte_be16_t)rw_rand32(&seed);
		out->src_addr = same ? in->dst_addr : rw_rand32(&seed);
		out->src_port = same ? in->dst_port :
				       (rte_be16_t)rw_rand32(&seed);
		if (nat) {	/* the client's side stays */
			out->dst_addr = in->src_addr;
			out->dst_port = in->src_port;
		} else {
			out->dst_addr = rw_rand32(&seed);
			out->dst_port = (rte_be16_t)rw_rand32(&seed);
		}
		conn_priv(&c)->csum = conn_csum_delta(&c);
		if (same)
			assert_int_equal(conn_priv(&c)->csum.l4, 0xffff);
		if (same || n % 8 == 4) {
			for (i = 0; i < RTE_DIM(fixed_ck); i++)
				for (j = 0; j < RTE_DIM(fixed_ck); j++)
					rw_check(&c, nat, proto, fixed_ck[i],
						 fixed_ck[j], false, n & 4);
			continue;
		}
		rw_check(&c, nat, proto, (uint16_t)rw_rand32(&seed),
			 (uint16_t)rw_rand32(&seed), n % 5 == 0, n & 4);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compute_matches_dpdk),
		cmocka_unit_test(test_verify_good_and_bad),
		cmocka_unit_test(test_ttl_decrement_incremental),
		cmocka_unit_test(test_address_rewrite_incremental),
		cmocka_unit_test(test_raw_odd_length),
		cmocka_unit_test(test_ipv4_l4_sum_chain),
		cmocka_unit_test(test_carries_of_64bit_words),
		cmocka_unit_test(test_fold_carries),
		cmocka_unit_test(test_diff_sum_equals_sequential),
		cmocka_unit_test(test_raw_lengths_match_dpdk),
		cmocka_unit_test(test_fold64_and_verify20),
		cmocka_unit_test(test_ipv6_l4_checksum),
		cmocka_unit_test(test_ipv4_pseudo_header),
		cmocka_unit_test(test_conn_csum_delta),
	};

	return cmocka_run_group_tests_name("csum", tests, NULL, NULL);
}
