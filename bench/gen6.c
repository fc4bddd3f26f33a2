/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * gen6: the generator's IPv6 clients and servers, and the checks of
 * what dplbd sends them (bench.h: fnat6, nat64, cps6, cps64).
 *
 * As gen.c's: per packet one copy of a template (74 bytes: Ethernet,
 * IPv6, TCP without options) and its variable fields, the TCP checksum
 * finished from the template's partial sum (IPv6 has no header
 * checksum); the flow number in the sequence number.  NAT64's servers
 * are IPv4 and answer as IPv4 full-NAT's (gen.c); what dplbd sends them
 * is checked there too (the TTL: the client's hop limit less one).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_tcp.h>

#include "bench.h"
#include "gen_priv.h"

#define IP6_LEN 40
#define L4_OFF6 (ETH_LEN + IP6_LEN)
#define FRAME6_LEN (L4_OFF6 + TCP_LEN)
#define HOP_LIMIT 64

struct gen6_tmpl {
	uint8_t bytes[80];	/* FRAME6_LEN used */
	uint32_t l4_sum;	/* unfolded: the fixed TCP words, the pseudo
				 * header's length and next header */
};

struct gen6_tmpls {
	struct gen6_tmpl syn, ack, out;	/* client SYN, client ACK, reply */
	uint8_t vip[16];
	uint32_t vip_sum;		/* raw_sum of vip */
};

static void
tmpl6_init(struct gen6_tmpl *t, uint8_t tcp_flags,
	   const struct rte_ether_addr *dst, const struct rte_ether_addr *src)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)t->bytes;
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(eth + 1);
	struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)(ip + 1);
	/* the pseudo header's length (32 bits) and next header */
	static const uint16_t pseudo[4] = { 0, RTE_BE16(TCP_LEN), 0,
					    RTE_BE16(IPPROTO_TCP) };

	memset(t, 0, sizeof(*t));
	eth->dst_addr = *dst;
	eth->src_addr = *src;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
	ip->vtc_flow = RTE_BE32(6u << 28);
	ip->payload_len = RTE_BE16(TCP_LEN);
	ip->proto = IPPROTO_TCP;
	ip->hop_limits = HOP_LIMIT;
	tcp->data_off = (TCP_LEN / 4) << 4;
	tcp->tcp_flags = tcp_flags;
	tcp->rx_win = RTE_BE16(65535);
	tcp->recv_ack = tcp_flags & RTE_TCP_ACK_FLAG ? RTE_BE32(1) : 0;
	t->l4_sum = raw_sum(tcp, TCP_LEN) + raw_sum(&pseudo, sizeof(pseudo));
}

/* Write t into m with its addresses, ports and flow number (network
 * order); src_sum, dst_sum: raw_sum() of the addresses. */
static inline void
pkt6_make(struct rte_mbuf *m, const struct gen6_tmpl *t, const uint8_t src[16],
	  uint32_t src_sum, const uint8_t dst[16], uint32_t dst_sum,
	  rte_be16_t sport, rte_be16_t dport, uint32_t f)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(p + ETH_LEN);
	struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)(p + L4_OFF6);
	rte_be32_t id = rte_cpu_to_be_32(f);

	memcpy(p, t->bytes, FRAME6_LEN);
	memcpy(ip->src_addr, src, 16);
	memcpy(ip->dst_addr, dst, 16);
	tcp->src_port = sport;
	tcp->dst_port = dport;
	tcp->sent_seq = id;
	tcp->cksum = (uint16_t)~fold(t->l4_sum + src_sum + dst_sum + sport +
				     dport + sum32(id));
	m->data_len = FRAME6_LEN;
	m->pkt_len = FRAME6_LEN;
}

/* Flow f's client, 2001:2:c::(f & 0xffff), and its raw_sum(). */
static inline uint32_t
client6(uint32_t f, uint8_t a[16])
{
	bench_addr6(a, BENCH6_NET_CLIENTS, f & 0xffff);
	return raw_sum(a, 16);
}

int
gen6_init(struct gen *g, enum gen_family family)
{
	struct gen6_tmpls *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -ENOMEM;
	tmpl6_init(&t->syn, RTE_TCP_SYN_FLAG, &g->ext_mac, &gw_mac);
	tmpl6_init(&t->ack, RTE_TCP_ACK_FLAG, &g->ext_mac, &gw_mac);
	tmpl6_init(&t->out, RTE_TCP_ACK_FLAG, &g->int_mac, &rs_mac0);
	bench_addr6(t->vip, BENCH6_NET_EXT, BENCH6_HOST_VIP);
	t->vip_sum = raw_sum(t->vip, 16);
	g->t6 = t;
	g->family = (uint8_t)family;
	return 0;
}

void
gen6_client(const struct gen *g, struct rte_mbuf *m, bool syn, uint32_t f)
{
	const struct gen6_tmpls *t = g->t6;
	uint8_t src[16];
	uint32_t src_sum = client6(f, src);

	pkt6_make(m, syn ? &t->syn : &t->ack, src, src_sum, t->vip, t->vip_sum,
		  client_port(f), RTE_BE16(BENCH_VPORT), f);
}

void
gen6_replies(struct gen *g, struct rte_mbuf **pkts, uint16_t n)
{
	uint8_t rs[16], lip[16];
	uint16_t i;

	for (i = 0; i < n; i++) {
		uint32_t f = flow_nth(g, g->cur_out), r = g->reply[f];

		if (++g->cur_out == g->n_mine)
			g->cur_out = 0;
		bench_addr6(rs, BENCH6_NET_INT, BENCH6_HOST_RS + (r & 0xff));
		bench_addr6(lip, BENCH6_NET_INT,
			    BENCH6_HOST_LIP + ((r >> 8) & 0xff));
		pkt6_make(pkts[i], &g->t6->out, rs, raw_sum(rs, 16), lip,
			  raw_sum(lip, 16), RTE_BE16(BENCH_VPORT),
			  (rte_be16_t)(r >> 16), f);
	}
}

/* ---- learning and checking ---- */

/* The host part of a on the int link, or UINT32_MAX. */
static uint32_t
int_host(const uint8_t a[16])
{
	uint8_t net[16];

	bench_addr6(net, BENCH6_NET_INT, 0);
	if (memcmp(a, net, 12) != 0)
		return UINT32_MAX;
	return (uint32_t)a[12] << 24 | (uint32_t)a[13] << 16 |
	       (uint32_t)a[14] << 8 | a[15];
}

void
gen6_capture(struct gen *g, const uint8_t *frame)
{
	const struct rte_ipv6_hdr *ip = (const void *)(frame + ETH_LEN);
	const uint8_t *l4 = frame + L4_OFF6;
	uint32_t f = pkt_flow(g, l4);
	uint32_t rs = int_host(ip->dst_addr) - BENCH6_HOST_RS;
	uint32_t lip = int_host(ip->src_addr) - BENCH6_HOST_LIP;
	rte_be16_t lport;

	memcpy(&lport, l4, 2);
	if (ip->proto != IPPROTO_TCP || f >= g->n_flows ||
	    rs >= g->n_dests || lip >= BENCH_LIPS_MAX)
		return;
	capture_record(g, f, rs, lip, lport);
}

struct seen6 {
	const struct rte_ether_hdr *eth;
	struct rte_ipv6_hdr *ip;
	const struct rte_tcp_hdr *tcp;
	uint32_t f;
};

/* The IPv6 header, TCP and its checksum, the hop limit, the flow. */
static const char *
check_ip6(const struct gen *g, struct rte_mbuf *m, struct seen6 *s)
{
	s->ip = (struct rte_ipv6_hdr *)(s->eth + 1);
	s->tcp = (const struct rte_tcp_hdr *)(s->ip + 1);
	if (s->eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV6) ||
	    m->pkt_len < FRAME6_LEN ||
	    (rte_be_to_cpu_32(s->ip->vtc_flow) >> 28) != 6 ||
	    s->ip->proto != IPPROTO_TCP ||
	    s->ip->payload_len != RTE_BE16(TCP_LEN))
		return "not the IPv6 TCP packet sent";
	if (s->ip->hop_limits != HOP_LIMIT - 1)
		return "hop limit not decremented by one";
	if (rte_ipv6_udptcp_cksum_verify(s->ip, s->tcp) != 0)
		return "bad TCP checksum (IPv6)";
	s->f = pkt_flow(g, (const uint8_t *)s->tcp);
	if (g->mode != GEN_NEW && g->mode != GEN_NEW3 && s->f >= g->n_flows)
		return "unknown flow number";
	return NULL;
}

/* A server's answer, translated back to the flow's client (fnat6 and
 * nat64 alike). */
static const char *
check_to_client6(const struct gen *g, const struct seen6 *s)
{
	uint8_t client[16];

	client6(s->f, client);
	if (!rte_is_same_ether_addr(&s->eth->dst_addr, &gw_mac) ||
	    !rte_is_same_ether_addr(&s->eth->src_addr, &g->ext_mac))
		return "reply: wrong MACs";
	if (memcmp(s->ip->src_addr, g->t6->vip, 16) != 0 ||
	    s->tcp->src_port != RTE_BE16(BENCH_VPORT))
		return "reply: source is not [VIP6]:80";
	if (memcmp(s->ip->dst_addr, client, 16) != 0 ||
	    s->tcp->dst_port != client_port(s->f))
		return "reply: not to the flow's client";
	return NULL;
}

/* A client's packet, full-NATed to an IPv6 server from a LIP6. */
static const char *
check_to_server6(const struct gen *g, const struct seen6 *s)
{
	uint32_t rs = int_host(s->ip->dst_addr) - BENCH6_HOST_RS;
	uint32_t lip = int_host(s->ip->src_addr) - BENCH6_HOST_LIP;

	if (!rte_is_same_ether_addr(&s->eth->src_addr, &g->int_mac))
		return "to server: wrong source MAC";
	if (rs >= g->n_dests || !mac_is_rs(&s->eth->dst_addr, rs))
		return "to server: not to a real server";
	if (s->tcp->dst_port != RTE_BE16(BENCH_VPORT))
		return "to server: not to port 80";
	if (lip >= BENCH_LIPS_MAX)
		return "FNAT6: source is not a LIP6";
	if (reply_known(g) &&
	    g->reply[s->f] != reply_pack(rs, lip, s->tcp->src_port))
		return "FNAT6: the flow changed server or LIP6:lport";
	return NULL;
}

const char *
gen6_check(const struct gen *g, bool ext, struct rte_mbuf *m)
{
	struct seen6 s = { .eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *) };
	const char *err = check_ip6(g, m, &s);

	if (err != NULL)
		return err;
	return ext ? check_to_client6(g, &s) : check_to_server6(g, &s);
}
