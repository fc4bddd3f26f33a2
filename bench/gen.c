/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * gen: the benchmark's traffic generator and packet checker (bench.h).
 *
 * Cost: per packet one 64-byte copy of a template, five field stores
 * and two checksums finished from precomputed partial sums, about 40
 * instructions; the reply table is read in order, so 10M flows cost the
 * generator no cache misses that the baseline would not see too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "bench.h"
#include "gen_priv.h"
#include "lb/lb_svc.h"
#include "net/steer.h"

const struct rte_ether_addr gw_mac = {
	.addr_bytes = { 0x02, 0, 0, 0, 0x00, 0xfe } };
const struct rte_ether_addr rs_mac0 = {
	.addr_bytes = { 0x02, 0, 0, 0, 0x02, 0x00 } };

struct gen_port {
	struct gen *g;
	bool ext;
};

/* Queue 0 of both ports (gen_attach), or every worker's queues of both
 * (gen_attach_queue, --workers). */
#define GEN_PORTS_MAX (2 + 4 * BENCH_WORKERS_MAX)

static struct gen_port gen_ports[GEN_PORTS_MAX];
static unsigned int n_gen_ports = 2;

/* ---- templates ---- */

static void
tmpl_init(struct gen_tmpl *t, uint8_t proto, uint8_t tcp_flags,
	  const struct rte_ether_addr *dst, const struct rte_ether_addr *src)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)t->bytes;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	uint8_t *l4 = t->bytes + L4_OFF;
	uint16_t l4_len = proto == IPPROTO_TCP ? TCP_LEN : 8 + UDP_PAYLOAD;
	struct {
		uint8_t zero, proto;
		rte_be16_t len;
	} pseudo = { 0, proto, rte_cpu_to_be_16(l4_len) };

	memset(t, 0, sizeof(*t));
	eth->dst_addr = *dst;
	eth->src_addr = *src;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(IP_LEN + l4_len);
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	t->udp = proto == IPPROTO_UDP;
	if (t->udp) {
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)l4;

		u->dgram_len = rte_cpu_to_be_16(l4_len);
		/* payload: the flow number (variable), then filler */
		memset((uint8_t *)(u + 1) + 4, 0x5a, UDP_PAYLOAD - 4);
		t->id_off = 8;
		t->ck_off = offsetof(struct rte_udp_hdr, dgram_cksum);
	} else {
		struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)l4;

		tcp->data_off = (TCP_LEN / 4) << 4;
		tcp->tcp_flags = tcp_flags;
		tcp->rx_win = RTE_BE16(65535);
		tcp->recv_ack = tcp_flags & RTE_TCP_ACK_FLAG ? RTE_BE32(1) : 0;
		t->id_off = offsetof(struct rte_tcp_hdr, sent_seq);
		t->ck_off = offsetof(struct rte_tcp_hdr, cksum);
	}
	t->len = BENCH_FRAME_LEN;
	t->ip_sum = raw_sum(ip, IP_LEN);
	t->l4_sum = raw_sum(l4, l4_len) + raw_sum(&pseudo, sizeof(pseudo));
}

/* Write a template with its variable fields (network order) into m. */
static inline void
pkt_make(struct rte_mbuf *m, const struct gen_tmpl *t, rte_be32_t saddr,
	 rte_be32_t daddr, rte_be16_t sport, rte_be16_t dport, uint32_t f)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + ETH_LEN);
	uint8_t *l4 = p + L4_OFF;
	rte_be32_t id = rte_cpu_to_be_32(f);
	uint32_t addrs = sum32(saddr) + sum32(daddr);
	uint16_t ck;

	memcpy(p, t->bytes, sizeof(t->bytes));
	ip->src_addr = saddr;
	ip->dst_addr = daddr;
	ip->hdr_checksum = (uint16_t)~fold(t->ip_sum + addrs);
	memcpy(l4, &sport, 2);
	memcpy(l4 + 2, &dport, 2);
	memcpy(l4 + t->id_off, &id, 4);
	ck = (uint16_t)~fold(t->l4_sum + addrs + sport + dport + sum32(id));
	if (t->udp && ck == 0)
		ck = 0xffff;
	memcpy(l4 + t->ck_off, &ck, 2);
	m->data_len = t->len;
	m->pkt_len = t->len;
}

int
gen_init(struct gen *g, uint8_t proto, uint8_t fwd, uint32_t n_flows,
	 uint32_t n_dests, const struct rte_ether_addr *ext_mac,
	 const struct rte_ether_addr *int_mac)
{
	memset(g, 0, sizeof(*g));
	g->proto = proto;
	g->fwd = fwd;
	g->replies = fwd == LB_FWD_FNAT || fwd == LB_FWD_NAT;
	g->n_flows = n_flows;
	g->n_mine = n_flows;
	g->n_dests = n_dests;
	g->ext_mac = *ext_mac;
	g->int_mac = *int_mac;
	g->reply = calloc(n_flows ? n_flows : 1, sizeof(*g->reply));
	if (g->reply == NULL)
		return -ENOMEM;
	tmpl_init(&g->syn, proto, RTE_TCP_SYN_FLAG, ext_mac, &gw_mac);
	tmpl_init(&g->ack, proto, RTE_TCP_ACK_FLAG, ext_mac, &gw_mac);
	tmpl_init(&g->out, proto, RTE_TCP_ACK_FLAG, int_mac, &rs_mac0);
	return 0;
}

void
gen_free(struct gen *g)
{
	free(g->reply);
	free(g->t6);
	g->reply = NULL;
	g->t6 = NULL;
}

int
gen_split(const struct gen *g, unsigned int worker, unsigned int n_workers,
	  struct gen *part)
{
	uint32_t f;

	*part = *g;
	part->mine = malloc(sizeof(*part->mine) * (g->n_flows ? g->n_flows : 1));
	if (part->mine == NULL)
		return -ENOMEM;
	part->n_mine = 0;
	for (f = 0; f < g->n_flows; f++)
		if (steer_by_client(client_addr(g, f), client_port(f),
				    n_workers) == worker)
			part->mine[part->n_mine++] = f;
	return part->n_mine != 0 ? 0 : -EINVAL;
}

void
gen_phase(struct gen *g, enum gen_mode mode, uint64_t budget)
{
	if (g->mode == GEN_NEW3)	/* never a tuple twice */
		g->next_new += (uint32_t)((g->fill_k + 2) / 3);
	g->fill_k = 0;
	g->cur_in = 0;
	g->cur_out = 0;
	g->budget = budget;
	g->mode = mode;
}

/* How many of the n mbufs this port fills now. */
static inline uint16_t
gen_quota(struct gen *g, bool ext, uint16_t n)
{
	if (g->mode == GEN_IDLE ||
	    (!ext && (g->mode != GEN_RUN || !g->replies)))
		return 0;
	if (n > g->budget)
		n = (uint16_t)g->budget;
	g->budget -= n;
	g->made += n;
	if (g->budget == 0)
		*g->quit = true;
	return n;
}

/* Where flow f's client sends: the VIP, or (SNAT) its own server. */
static inline rte_be32_t
flow_dst(const struct gen *g, uint32_t f)
{
	if (!g->snat)
		return RTE_BE32(BENCH_VIP);
	return rte_cpu_to_be_32(BENCH_RS_BASE + f % g->n_dests);
}

/* Flow f's client packet t: IPv4 (pkt_make), or IPv6 to the IPv6 VIP
 * (v6, a constant where make_in() is inlined). */
static __rte_always_inline void
make_client(const struct gen *g, struct rte_mbuf *m, const struct gen_tmpl *t,
	    uint32_t f, bool v6)
{
	if (v6)
		gen6_client(g, m, t == &g->syn, f);
	else
		pkt_make(m, t, client_addr(g, f), flow_dst(g, f), client_port(f),
			 RTE_BE16(BENCH_VPORT), f);
}

static __rte_always_inline void
make_in(struct gen *g, struct rte_mbuf **pkts, uint16_t n, bool v6)
{
	const struct gen_tmpl *t;
	uint16_t i;
	uint32_t f;

	switch (g->mode) {
	case GEN_FILL:
		/* TCP: each flow's SYN, then its ACK; UDP: one datagram */
		for (i = 0; i < n; i++) {
			uint64_t k = g->fill_k++;

			if (g->proto == IPPROTO_TCP) {
				t = k & 1 ? &g->ack : &g->syn;
				k >>= 1;
			} else {
				t = &g->ack;
			}
			f = g->mine != NULL ? g->mine[k % g->n_mine] :
				(uint32_t)((k * FILL_MULT) % g->n_flows);
			make_client(g, pkts[i], t, f, v6);
		}
		break;
	case GEN_NEW:
		for (i = 0; i < n; i++) {
			f = g->next_new++;
			make_client(g, pkts[i], &g->syn, f, v6);
		}
		break;
	case GEN_NEW3:
		for (i = 0; i < n; i++) {
			uint64_t k = g->fill_k++;

			f = g->next_new + (uint32_t)(k / 3);
			make_client(g, pkts[i], k % 3 ? &g->ack : &g->syn, f,
				    v6);
		}
		break;
	default:
		for (i = 0; i < n; i++) {
			f = flow_nth(g, g->cur_in);
			if (++g->cur_in == g->n_mine)
				g->cur_in = 0;
			make_client(g, pkts[i], &g->ack, f, v6);
		}
	}
}

/* Server replies: to LIP:lport (FNAT) or to the client (NAT). */
static void
make_out(struct gen *g, struct rte_mbuf **pkts, uint16_t n)
{
	const rte_be16_t vport = RTE_BE16(BENCH_VPORT);
	bool fnat = g->fwd == LB_FWD_FNAT;
	uint16_t i;

	if (g->family == GEN_IPV6) {
		gen6_replies(g, pkts, n);
		return;
	}
	/* NAT64's servers answer as IPv4 full-NAT's */
	for (i = 0; i < n; i++) {
		uint32_t f = flow_nth(g, g->cur_out), r = g->reply[f];
		rte_be32_t rs = rte_cpu_to_be_32(BENCH_RS_BASE + (r & 0xff));

		if (++g->cur_out == g->n_mine)
			g->cur_out = 0;
		if (fnat)
			pkt_make(pkts[i], &g->out, rs,
				 rte_cpu_to_be_32(BENCH_LIP_BASE +
						  ((r >> 8) & 0xff)),
				 vport, (rte_be16_t)(r >> 16), f);
		else
			pkt_make(pkts[i], &g->out, rs, client_addr(g, f), vport,
				 client_port(f), f);
	}
}

static uint16_t
gen_rx(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n,
       uint16_t max, void *arg)
{
	struct gen_port *gp = arg;
	struct gen *g = gp->g;
	uint16_t k = gen_quota(g, gp->ext, n);

	RTE_SET_USED(port);
	RTE_SET_USED(queue);
	RTE_SET_USED(max);
	if (unlikely(k < n))
		rte_pktmbuf_free_bulk(pkts + k, n - k);
	if (k == 0)
		return 0;
	if (gp->ext && g->t6 != NULL)
		make_in(g, pkts, k, true);
	else if (gp->ext)
		make_in(g, pkts, k, false);
	else
		make_out(g, pkts, k);
	return k;
}

/* A gen_port for (g, ext) from the pool: NULL when it is used up. */
static struct gen_port *
gen_port_new(struct gen *g, bool ext)
{
	if (n_gen_ports == GEN_PORTS_MAX)
		return NULL;
	gen_ports[n_gen_ports] = (struct gen_port){ g, ext };
	return &gen_ports[n_gen_ports++];
}

int
gen_attach_queue(struct gen *g, uint16_t port, uint16_t queue, bool ext)
{
	struct gen_port *gp = gen_port_new(g, ext);

	if (gp == NULL)
		return -ENOSPC;
	if (rte_eth_add_rx_callback(port, queue, gen_rx, gp) == NULL)
		return -rte_errno;
	return 0;
}

int
gen_attach(struct gen *g, uint16_t ext_port, uint16_t int_port)
{
	gen_ports[0] = (struct gen_port){ g, true };
	gen_ports[1] = (struct gen_port){ g, false };
	if (rte_eth_add_rx_callback(ext_port, 0, gen_rx, &gen_ports[0]) == NULL ||
	    rte_eth_add_rx_callback(int_port, 0, gen_rx, &gen_ports[1]) == NULL)
		return -rte_errno;
	return 0;
}

/* ---- learning the replies' tuples ---- */

static uint16_t
gen_capture(uint16_t port, uint16_t queue, struct rte_mbuf **pkts,
	    uint16_t n, void *arg)
{
	struct gen *g = arg;
	uint16_t i;

	RTE_SET_USED(port);
	RTE_SET_USED(queue);
	for (i = 0; i < n && g->family == GEN_IPV6; i++)
		gen6_capture(g, rte_pktmbuf_mtod(pkts[i], uint8_t *));
	for (i = 0; i < n && g->family != GEN_IPV6; i++) {
		uint8_t *p = rte_pktmbuf_mtod(pkts[i], uint8_t *);
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + ETH_LEN);
		uint32_t f = pkt_flow(g, p + L4_OFF);
		uint32_t rs = rte_be_to_cpu_32(ip->dst_addr) - BENCH_RS_BASE;
		uint32_t lip = rte_be_to_cpu_32(ip->src_addr) - BENCH_LIP_BASE;
		rte_be16_t lport;

		memcpy(&lport, p + L4_OFF, 2);
		if (f >= g->n_flows || rs >= g->n_dests)
			continue;
		if (g->fwd != LB_FWD_FNAT)
			lip = 0;
		else if (lip >= BENCH_LIPS_MAX)
			continue;
		capture_record(g, f, rs, lip, lport);
	}
	return n;
}

const void *
gen_capture_attach(struct gen *g, uint16_t int_port)
{
	return gen_capture_attach_queue(g, int_port, 0);
}

const void *
gen_capture_attach_queue(struct gen *g, uint16_t int_port, uint16_t queue)
{
	return rte_eth_add_tx_callback(int_port, queue, gen_capture, g);
}

void
gen_capture_detach(uint16_t int_port, const void *cb)
{
	gen_capture_detach_queue(int_port, 0, cb);
}

void
gen_capture_detach_queue(uint16_t int_port, uint16_t queue, const void *cb)
{
	/* The callback's memory stays allocated (it is ours anyway). */
	rte_eth_remove_tx_callback(int_port, queue, cb);
}

/* ---- checking what dplbd sends ---- */

struct seen {
	const struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;	/* the (inner) packet */
	uint8_t *l4;
	uint32_t f;
	rte_be16_t sport, dport;
};

static const char *
check_l3l4(const struct gen *g, struct rte_ipv4_hdr *ip, struct seen *s)
{
	if ((ip->version_ihl & 0xf) != 5 || ip->next_proto_id != g->proto)
		return "not the IPv4 packet sent";
	if (fold(raw_sum(ip, IP_LEN)) != 0xffff)
		return "bad IPv4 header checksum";
	s->ip = ip;
	s->l4 = (uint8_t *)ip + IP_LEN;
	if (rte_ipv4_udptcp_cksum_verify(ip, s->l4) != 0)
		return "bad L4 checksum";
	memcpy(&s->sport, s->l4, 2);
	memcpy(&s->dport, s->l4 + 2, 2);
	s->f = pkt_flow(g, s->l4);
	if (g->mode != GEN_NEW && g->mode != GEN_NEW3 && s->f >= g->n_flows)
		return "unknown flow number";
	return NULL;
}

static bool
is_rs(const struct gen *g, rte_be32_t a, uint32_t *rs)
{
	*rs = rte_be_to_cpu_32(a) - BENCH_RS_BASE;
	return *rs < g->n_dests;
}

/* A reply dplbd sent back to a client. */
static const char *
check_to_client(const struct gen *g, struct seen *s)
{
	if (!rte_is_same_ether_addr(&s->eth->dst_addr, &gw_mac) ||
	    !rte_is_same_ether_addr(&s->eth->src_addr, &g->ext_mac))
		return "reply: wrong MACs";
	if (s->ip->src_addr != flow_dst(g, s->f) ||
	    s->sport != RTE_BE16(BENCH_VPORT))
		return "reply: source is not VIP:80 (SNAT: the server)";
	if (s->ip->dst_addr != client_addr(g, s->f) ||
	    s->dport != client_port(s->f))
		return "reply: not to the flow's client";
	return NULL;
}

static const char *
check_fnat_nat(const struct gen *g, struct seen *s, uint32_t rs)
{
	uint32_t r = reply_known(g) ? g->reply[s->f] : 0;

	if (s->dport != RTE_BE16(BENCH_VPORT))
		return "to server: not to port 80";
	if (reply_known(g) && (r & 0xff) != rs)
		return "to server: the flow changed server";
	if (g->family == GEN_NAT64 && s->ip->time_to_live != 63)
		return "NAT64: TTL is not the hop limit less one";
	if (g->fwd == LB_FWD_NAT) {
		if (s->ip->src_addr != client_addr(g, s->f) ||
		    s->sport != client_port(s->f))
			return "NAT: source is not the client";
		return NULL;
	}
	if (rte_be_to_cpu_32(s->ip->src_addr) - BENCH_LIP_BASE >= BENCH_LIPS_MAX)
		return "FNAT: source is not a LIP";
	if (reply_known(g) &&
	    (r != reply_pack(rs, rte_be_to_cpu_32(s->ip->src_addr) -
					 BENCH_LIP_BASE, s->sport)))
		return "FNAT: the flow changed LIP:lport";
	return NULL;
}

/* A client's packet dplbd sent to a real server. */
static const char *
check_to_server(const struct gen *g, struct rte_mbuf *m, struct seen *s)
{
	uint32_t rs, outer_rs;
	const char *err;

	if (!rte_is_same_ether_addr(&s->eth->src_addr, &g->int_mac))
		return "to server: wrong source MAC";
	if (g->fwd == LB_FWD_TUNNEL) {
		struct rte_ipv4_hdr *outer = (struct rte_ipv4_hdr *)(s->eth + 1);

		if (m->pkt_len != ETH_LEN + (uint32_t)rte_be_to_cpu_16(outer->total_length) ||
		    outer->next_proto_id != IPPROTO_IPIP ||
		    fold(raw_sum(outer, IP_LEN)) != 0xffff ||
		    outer->src_addr != RTE_BE32(BENCH_INT_ADDR) ||
		    !is_rs(g, outer->dst_addr, &outer_rs) ||
		    !mac_is_rs(&s->eth->dst_addr, outer_rs))
			return "TUNNEL: bad outer header";
		err = check_l3l4(g, outer + 1, s);
	} else {
		err = check_l3l4(g, (struct rte_ipv4_hdr *)(s->eth + 1), s);
	}
	if (err != NULL)
		return err;
	if (g->fwd == LB_FWD_DR || g->fwd == LB_FWD_TUNNEL) {
		if (s->ip->dst_addr != RTE_BE32(BENCH_VIP) ||
		    s->ip->src_addr != client_addr(g, s->f) ||
		    s->sport != client_port(s->f))
			return "DR/TUNNEL: the packet was changed";
		return NULL;	/* DR: the MAC was checked by the caller */
	}
	if (!is_rs(g, s->ip->dst_addr, &rs) || !mac_is_rs(&s->eth->dst_addr, rs))
		return "to server: not to a real server";
	return check_fnat_nat(g, s, rs);
}

static const char *
check_pkt(const struct gen *g, bool ext, struct rte_mbuf *m)
{
	struct seen s = { .eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *) };
	const char *err;

	if (g->family == GEN_IPV6 || (ext && g->family == GEN_NAT64))
		return gen6_check(g, ext, m);
	if (ext) {
		err = check_l3l4(g, (struct rte_ipv4_hdr *)(s.eth + 1), &s);
		return err != NULL ? err : check_to_client(g, &s);
	}
	if (g->fwd == LB_FWD_DR && !(s.eth->dst_addr.addr_bytes[5] < g->n_dests &&
				    mac_is_rs(&s.eth->dst_addr,
					      s.eth->dst_addr.addr_bytes[5])))
		return "DR: not to a real server's MAC";
	return check_to_server(g, m, &s);
}

static uint16_t
gen_verify(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n,
	   void *arg)
{
	struct gen_port *gp = arg;
	struct gen *g = gp->g;
	uint16_t i;

	RTE_SET_USED(port);
	RTE_SET_USED(queue);
	if (!g->checking)
		return n;	/* the baseline sends packets as made */
	for (i = 0; i < n; i++) {
		const char *err = check_pkt(g, gp->ext, pkts[i]);

		if (err != NULL && g->bad++ == 0)
			snprintf(g->first_bad, sizeof(g->first_bad),
				 "%s (on %s)", err, gp->ext ? "ext" : "int");
	}
	g->checked += n;
	return n;
}

int
gen_verify_attach(struct gen *g, uint16_t ext_port, uint16_t int_port)
{
	gen_ports[0].g = g;
	gen_ports[1].g = g;
	if (rte_eth_add_tx_callback(ext_port, 0, gen_verify, &gen_ports[0]) == NULL ||
	    rte_eth_add_tx_callback(int_port, 0, gen_verify, &gen_ports[1]) == NULL)
		return -rte_errno;
	return 0;
}

int
gen_verify_attach_queue(struct gen *g, uint16_t port, uint16_t queue, bool ext)
{
	struct gen_port *gp = gen_port_new(g, ext);

	if (gp == NULL)
		return -ENOSPC;
	if (rte_eth_add_tx_callback(port, queue, gen_verify, gp) == NULL)
		return -rte_errno;
	return 0;
}
