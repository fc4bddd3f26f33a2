/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <rte_arp.h>
#include <rte_ether.h>

#include "net/slowpath.h"
#include "net_priv.h"

#define TICK_MS 50
#define ANNOUNCE_MAX 64

/* Gratuitous ARPs still to send: a few per address gained, because one
 * may be lost and a neighbour's ARP lock time may skip it. */
static struct announce {
	uint64_t next_ms;
	rte_be32_t addr;
	uint16_t port;
	uint16_t left;		/* 0 = free slot */
	uint32_t interval_ms;
} announces[ANNOUNCE_MAX];

static slowpath_claim_fn claim_hook;

void
slowpath_on_claim(slowpath_claim_fn fn)
{
	claim_hook = fn;
}

static void
claimed(struct dp_ctx *dp, uint16_t port, const struct inet_addr *addr,
	const struct rte_ether_addr *mac)
{
	if (claim_hook != NULL)
		claim_hook(dp, port, addr, mac);
}

static void
main_drop(void *ctx, struct rte_mbuf *m, enum drop_reason why)
{
	struct dp_ctx *dp = ctx;

	dp->main_stats.drops[why]++;
	rte_pktmbuf_free(m);
}

/* Send a finished frame on DPDK port port_id through worker 0 (which
 * hands it on if it owns no tx queue there).  Workers enqueue on the
 * same ring: multi-producer. */
static void
main_xmit(struct dp_ctx *dp, uint16_t port_id, struct rte_mbuf *m)
{
	m->port = port_id;
	if (rte_ring_mp_enqueue(dp->workers[0].tx_ring, m) != 0) {
		main_drop(dp, m, DROP_TX_FULL);
		return;
	}
	dp->main_stats.tx_packets++;
}

void
slowpath_xmit(struct dp_ctx *dp, uint16_t port_id, struct rte_mbuf *m)
{
	main_xmit(dp, port_id, m);
}

static void
neigh_xmit(void *ctx, uint16_t port, struct rte_mbuf *m,
	   const struct rte_ether_addr *mac)
{
	struct dp_ctx *dp = ctx;
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	eth->dst_addr = *mac;
	eth->src_addr = dp->ports[port].mac;
	main_xmit(dp, dp->ports[port].port_id, m);
}

/* Our address on port to speak from when asking for target. */
static rte_be32_t
source_for(const struct dp_port *p, rte_be32_t target)
{
	struct inet_addr t = inet_addr_v4(target);
	unsigned int i;

	for (i = 0; i < p->n_addrs; i++)
		if (inet_prefix_contains(&p->addrs[i], &t))
			return p->addrs[i].addr.v4.s_addr;
	for (i = 0; i < p->n_addrs; i++)
		if (p->addrs[i].addr.family == AF_INET)
			return p->addrs[i].addr.v4.s_addr;
	return 0;
}

static void
send_arp_request(struct dp_ctx *dp, uint16_t port, rte_be32_t sip,
		 rte_be32_t tip)
{
	const struct dp_port *p = &dp->ports[port];
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp->pool);
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *a;

	if (m == NULL) {
		dp->main_stats.drops[DROP_NO_MBUF]++;
		return;
	}
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(
		m, sizeof(*eth) + sizeof(*a));
	a = (struct rte_arp_hdr *)(eth + 1);
	memset(&eth->dst_addr, 0xff, sizeof(eth->dst_addr));
	eth->src_addr = p->mac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	a->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = RTE_ETHER_ADDR_LEN;
	a->arp_plen = 4;
	a->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
	a->arp_data.arp_sha = p->mac;
	a->arp_data.arp_sip = sip;
	memset(&a->arp_data.arp_tha, 0, sizeof(a->arp_data.arp_tha));
	a->arp_data.arp_tip = tip;
	main_xmit(dp, p->port_id, m);
}

static void
neigh_probe(void *ctx, uint16_t port, const struct inet_addr *ip)
{
	struct dp_ctx *dp = ctx;
	rte_be32_t sip;

	if (ip->family != AF_INET)
		return;
	sip = source_for(&dp->ports[port], ip->v4.s_addr);
	if (sip != 0)
		send_arp_request(dp, port, sip, ip->v4.s_addr);
}

struct neigh_ops
slowpath_neigh_ops(struct dp_ctx *dp)
{
	return (struct neigh_ops){
		.ctx = dp,
		.probe = neigh_probe,
		.xmit = neigh_xmit,
		.drop = main_drop,
	};
}

void
slowpath_announce(struct dp_ctx *dp, uint16_t port, rte_be32_t addr)
{
	send_arp_request(dp, port, addr, addr);
}

void
slowpath_announce_burst(struct dp_ctx *dp, uint16_t port, rte_be32_t addr,
			unsigned int count, unsigned int interval_ms)
{
	struct announce *a = NULL;
	unsigned int i;

	slowpath_announce(dp, port, addr);
	slowpath_announce_cancel(port, addr);
	for (i = 0; i < ANNOUNCE_MAX && a == NULL; i++)
		if (announces[i].left == 0)
			a = &announces[i];
	if (a == NULL || count < 2)
		return;
	*a = (struct announce){ .next_ms = dp_now_ms() + interval_ms,
				.addr = addr, .port = port,
				.left = (uint16_t)RTE_MIN(count - 1, 100u),
				.interval_ms = interval_ms };
}

void
slowpath_announce_cancel(uint16_t port, rte_be32_t addr)
{
	unsigned int i;

	for (i = 0; i < ANNOUNCE_MAX; i++)
		if (announces[i].left && announces[i].port == port &&
		    announces[i].addr == addr)
			announces[i].left = 0;
}

static void
announce_tick(struct dp_ctx *dp, uint64_t now)
{
	unsigned int i;

	for (i = 0; i < ANNOUNCE_MAX; i++) {
		struct announce *a = &announces[i];

		if (a->left == 0 || now < a->next_ms)
			continue;
		slowpath_announce(dp, a->port, a->addr);
		a->left--;
		a->next_ms = now + a->interval_ms;
	}
}

static bool
on_connected_subnet(const struct dp_ctx *dp, uint16_t port, rte_be32_t ip)
{
	const struct route_slot *r = route_lookup(&dp->routes, ip);

	return r != NULL && r->type == ROUTE_CONNECTED && r->port == port;
}

/* Learn from an ARP frame the worker validated (a reply or an
 * announcement), then pass replies to the kernel twin, which may be
 * waiting for one of its own requests.  One that gives an address of
 * ours as the sender's is another node claiming it. */
static void
arp_learn(struct dp_ctx *dp, uint16_t port, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *a = (struct rte_arp_hdr *)(eth + 1);
	const struct rte_ether_addr *sha = &a->arp_data.arp_sha;
	rte_be32_t sip = a->arp_data.arp_sip;
	struct inet_addr ip = inet_addr_v4(sip);
	bool reply = a->arp_opcode == RTE_BE16(RTE_ARP_OP_REPLY);
	bool announce = sip == a->arp_data.arp_tip;
	bool create = !announce && on_connected_subnet(dp, port, sip);

	if (sip != 0 && ipv4_is_local_on(dp, port, sip)) {
		if (!rte_is_same_ether_addr(sha, &dp->ports[port].mac))
			claimed(dp, port, &ip, sha);
	} else if (sip != 0) {
		neigh_confirm(&dp->neigh, port, &ip, sha, create, dp_now_ms());
	}
	if (reply && dp->ports[port].twin_id != DP_NO_PORT)
		main_xmit(dp, dp->ports[port].twin_id, m);
	else
		rte_pktmbuf_free(m);
}

/* What a worker read in a Neighbor Discovery message (net6/): confirm
 * the neighbour at the MAC it prepended, then pass the frame on as ARP
 * replies are. */
static void
learn(struct dp_ctx *dp, const struct slow_meta *meta, struct rte_mbuf *m)
{
	uint16_t twin = dp->ports[meta->port].twin_id;
	struct rte_ether_addr mac =
		*rte_pktmbuf_mtod(m, const struct rte_ether_addr *);

	rte_pktmbuf_adj(m, RTE_ETHER_ADDR_LEN);
	if (meta->learn & SLOW_LEARN_CLAIM)
		claimed(dp, meta->port, &meta->nexthop, &mac);
	else
		neigh_confirm(&dp->neigh, meta->port, &meta->nexthop, &mac,
			      meta->learn & SLOW_LEARN_CREATE, dp_now_ms());
	if ((meta->learn & SLOW_LEARN_TWIN) && twin != DP_NO_PORT)
		main_xmit(dp, twin, m);
	else
		rte_pktmbuf_free(m);
}

unsigned int
slowpath_drain(struct dp_ctx *dp)
{
	struct rte_mbuf *pkts[64];
	unsigned int n, i;

	n = rte_ring_sc_dequeue_burst(dp->slow_ring, (void **)pkts,
				      RTE_DIM(pkts), NULL);
	for (i = 0; i < n; i++) {
		struct slow_meta *meta = slow_meta(dp, pkts[i]);

		dp->main_stats.rx_packets++;
		if (meta->kind == SLOW_ARP)
			arp_learn(dp, meta->port, pkts[i]);
		else if (meta->kind == SLOW_LEARN)
			learn(dp, meta, pkts[i]);
		else
			neigh_resolve(&dp->neigh, meta->port, &meta->nexthop,
				      pkts[i], dp_now_ms());
	}
	return n;
}

void
slowpath_tick(struct dp_ctx *dp)
{
	static uint64_t last;
	uint64_t now = dp_now_ms();

	if (now - last < TICK_MS)
		return;
	last = now;
	neigh_tick(&dp->neigh, now);
	announce_tick(dp, now);
}
