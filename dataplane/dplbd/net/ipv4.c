/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <rte_icmp.h>
#include <rte_ip.h>

#include "core/tx.h"
#include "net/csum.h"
#include "net/net.h"
#include "net_priv.h"

#define ETH_LEN sizeof(struct rte_ether_hdr)

struct neigh_cache net_nh_cache[DP_MAX_WORKERS];

/* The software check, unrolled for the usual header without options. */
static inline bool
ipv4_csum_ok(const struct rte_ipv4_hdr *ip, unsigned int ihl)
{
	if (likely(ihl == sizeof(*ip)))
		return csum_verify_ipv4_20(ip);
	return csum_verify(ip, ihl);
}

/* Validate the header; trims Ethernet padding.  Returns the header
 * length, or 0 after dropping the packet. */
static unsigned int
ipv4_check(struct dp_worker *w, struct rte_mbuf *m, struct rte_ipv4_hdr *ip)
{
	unsigned int ihl, tot, avail = rte_pktmbuf_pkt_len(m) - ETH_LEN;

	ihl = (ip->version_ihl & 0x0f) * 4u;
	tot = rte_be_to_cpu_16(ip->total_length);
	if (unlikely((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip) ||
		     rte_pktmbuf_data_len(m) < ETH_LEN + ihl || tot < ihl ||
		     tot > avail)) {
		dp_drop(w, m, DROP_IPV4_BAD_HEADER);
		return 0;
	}
	if (unlikely(!(m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_GOOD) &&
		     ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_BAD) ||
		      !ipv4_csum_ok(ip, ihl)))) {
		dp_drop(w, m, DROP_IPV4_BAD_CHECKSUM);
		return 0;
	}
	if (tot < avail)
		net_trim(m, ETH_LEN + tot);
	if (ihl > sizeof(*ip))
		w->stats.ipv4_options++;
	return ihl;
}

/* A reply larger than the port's MTU (its request came in fragments or
 * in a jumbo frame) leaves in fragments, as the kernel would send it,
 * along the route back (its DF cleared: it is ours to cut). */
static __rte_noinline void
echo_reply_big(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	       struct rte_ipv4_hdr *ip, unsigned int ihl)
{
	const struct route_slot *r = route_lookup(&dp->routes, ip->dst_addr);

	if (r == NULL || r->type == ROUTE_LOCAL) {
		dp_drop(w, m, DROP_NO_ROUTE);
		return;
	}
	ip->fragment_offset &= ~RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = csum_compute(ip, ihl);
	ipv4_output_frag(dp, w, m, r, ip->dst_addr, dp->ports[r->port].tx_mtu);
}

static void
icmp_echo_reply(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
		struct rte_mbuf *m, struct rte_ipv4_hdr *ip, unsigned int ihl)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)((char *)ip + ihl);
	rte_be32_t src = ip->src_addr;

	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	icmp->icmp_cksum = csum_update16(icmp->icmp_cksum,
					 RTE_BE16(RTE_IP_ICMP_ECHO_REQUEST << 8),
					 RTE_BE16(RTE_IP_ICMP_ECHO_REPLY << 8));
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = src;
	ip->time_to_live = 64;
	w->stats.icmp_echo_replies++;
	if (unlikely(rte_be_to_cpu_16(ip->total_length) >
		     dp->ports[port].tx_mtu)) {
		echo_reply_big(dp, w, m, ip, ihl);
		return;
	}
	ip->hdr_checksum = 0;
	ip->hdr_checksum = csum_compute(ip, ihl);
	eth->dst_addr = eth->src_addr;
	eth->src_addr = dp->ports[port].mac;
	dp_tx(w, dp->ports[port].port_id, m);
}

static bool
is_echo_request(const struct rte_ipv4_hdr *ip, unsigned int ihl)
{
	const struct rte_icmp_hdr *icmp =
		(const struct rte_icmp_hdr *)((const char *)ip + ihl);

	return ip->next_proto_id == IPPROTO_ICMP &&
	       rte_be_to_cpu_16(ip->total_length) >= ihl + sizeof(*icmp) &&
	       icmp->icmp_type == RTE_IP_ICMP_ECHO_REQUEST &&
	       icmp->icmp_code == 0;
}

/* For one of our addresses: answer pings, pass the rest up. */
static enum net_verdict
ipv4_local(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
	   struct rte_mbuf *m, struct rte_ipv4_hdr *ip, unsigned int ihl)
{
	if (!is_echo_request(ip, ihl))
		return NET_LOCAL;
	icmp_echo_reply(dp, w, port, m, ip, ihl);
	return NET_CONSUMED;
}

/* Sent whole, or in fragments when it is too big and may be cut. */
static void
output_sized(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	     const struct rte_ipv4_hdr *ip, const struct route_slot *r,
	     rte_be32_t dst)
{
	uint16_t mtu = dp->ports[r->port].tx_mtu;

	if (likely(rte_be_to_cpu_16(ip->total_length) <= mtu))
		ipv4_output(dp, w, m, r, dst);
	else if (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_DF_FLAG))
		dp_drop(w, m, DROP_TOO_BIG);
	else
		ipv4_output_frag(dp, w, m, r, dst, mtu);
}

void
ipv4_send(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	  rte_be32_t dst)
{
	const struct route_slot *r = route_lookup(&dp->routes, dst);

	if (unlikely(r == NULL || r->type == ROUTE_LOCAL)) {
		dp_drop(w, m, DROP_NO_ROUTE);
		return;
	}
	output_sized(dp, w, m,
		     rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, ETH_LEN),
		     r, dst);
}

bool
ipv4_hop(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	 struct rte_ipv4_hdr *ip)
{
	if (unlikely(ip->time_to_live <= 1)) {
		ipv4_ttl_exceeded(dp, w, m, ip, 0);
		return false;
	}
	ip->time_to_live--;
	ip->hdr_checksum = csum_update16(ip->hdr_checksum, RTE_BE16(0x0100), 0);
	return true;
}

void
ipv4_forward(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	     struct rte_ipv4_hdr *ip, const struct route_slot *r)
{
	uint16_t mtu = dp->ports[r->port].tx_mtu;

	if (unlikely(!dp->ip_forward)) {
		dp_drop(w, m, DROP_FORWARD_DISABLED);
		return;
	}
	/* Martians only: a source that is one of our addresses may pass
	 * through, as a direct-routing server's reply from the VIP does
	 * when its gateway is us (Linux needs accept_local for that); it
	 * makes no connection (lb_may_create()). */
	if (unlikely(ipv4_src_martian(ip->src_addr))) {
		dp_drop(w, m, DROP_MARTIAN_SOURCE);
		return;
	}
	if (unlikely(rte_be_to_cpu_16(ip->total_length) > mtu &&
		     (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_DF_FLAG)))) {
		ipv4_too_big(dp, w, m, ip, mtu, 0);
		return;
	}
	if (!ipv4_hop(dp, w, m, ip))
		return;
	w->stats.forwarded++;
	output_sized(dp, w, m, ip, r, ip->dst_addr);
}

enum net_verdict
ipv4_input(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
	   struct rte_mbuf *m, struct net_ipv4 *in)
{
	struct rte_ipv4_hdr *ip;
	const struct route_slot *r;
	unsigned int ihl;

	if (unlikely(m->nb_segs > 1) && (m = net_gather(dp, w, m)) == NULL)
		return NET_CONSUMED;
	if (unlikely(rte_pktmbuf_data_len(m) < ETH_LEN + sizeof(*ip))) {
		dp_drop(w, m, DROP_IPV4_BAD_HEADER);
		return NET_CONSUMED;
	}
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, ETH_LEN);
	ihl = ipv4_check(w, m, ip);
	if (ihl == 0)
		return NET_CONSUMED;
	/* without its padding, a chain may fit one mbuf after all */
	if (unlikely(m->nb_segs > 1)) {
		m = net_gather(dp, w, m);
		if (m == NULL)
			return NET_CONSUMED;
		ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, ETH_LEN);
	}
	if (unlikely(ip->fragment_offset &
		     RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))) {
		m = ipv4_reassemble(dp, w, port, m);
		if (m == NULL)
			return NET_CONSUMED;
		ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, ETH_LEN);
	}
	/* 224.0.0.0/4 (DPDK's RTE_IS_IPV4_MCAST overflows an int shift) */
	if (unlikely((rte_be_to_cpu_32(ip->dst_addr) >> 28) == 0xe ||
		     ip->dst_addr == RTE_BE32(0xffffffff))) {
		dp_to_twin(dp, w, port, m);
		return NET_CONSUMED;
	}
	r = route_lookup(&dp->routes, ip->dst_addr);
	if (unlikely(r == NULL)) {
		/* a packet to route, as nothing of ours has that address */
		if (dp->ip_forward)
			icmp_error(dp, w, m, ip, ICMP_DEST_UNREACH,
				   ICMP_NET_UNREACH, 0, 0);
		dp_drop(w, m, DROP_NO_ROUTE);
		return NET_CONSUMED;
	}
	in->m = m;
	in->ip = ip;
	in->ihl = ihl;
	in->r = r;
	if (r->type == ROUTE_LOCAL)
		return ipv4_local(dp, w, port, m, ip, ihl);
	if (unlikely(route_is_subnet_broadcast(r, ip->dst_addr))) {
		dp_to_twin(dp, w, port, m);
		return NET_CONSUMED;
	}
	return NET_TRANSIT;
}
