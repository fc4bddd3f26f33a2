/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * icmp6: echo replies and the ICMPv6 errors dplbd sends of its own
 * (net6.h): destination unreachable, packet too big, time exceeded
 * (RFC 4443), rate-limited by the worker's ICMP token bucket like
 * IPv4's (net/icmp.c).
 */
#include <rte_ip.h>

#include "core/tx.h"
#include "net/net.h"
#include "net6/net6.h"

#define ETH_LEN sizeof(struct rte_ether_hdr)
#define ICMP6_HDR_LEN 8
#define IP6_MIN_MTU 1280
/* RFC 4443 2.4 (c): as much of the packet as fits the minimum MTU */
#define ICMP6_QUOTE_MAX (IP6_MIN_MTU - IP6_HDR_LEN - ICMP6_HDR_LEN)

/* ICMPv6 errors are types 0..127 (RFC 4443 2.1). */
static bool
is_icmp6_error(const struct rte_mbuf *m, const struct rte_ipv6_hdr *ip)
{
	struct ip6_info pi;
	const uint8_t *type;

	if (!ip6_parse((const uint8_t *)ip, rte_pktmbuf_data_len(m) - ETH_LEN,
		       &pi))
		return true;	/* not worth an answer */
	if (pi.proto != IP6_NH_ICMP6 || pi.frag_off != 0)
		return false;
	if (pi.l4_off >= pi.pkt_len)
		return true;
	type = (const uint8_t *)ip + pi.l4_off;
	return *type < 128;
}

/* RFC 4443 2.4 (e): what may not draw an error. */
static bool
may_answer(const struct rte_mbuf *m, const struct rte_ipv6_hdr *ip,
	   uint8_t type)
{
	if (ip6_addr_is_multicast(ip->src_addr) ||
	    ip6_addr_is_unspecified(ip->src_addr))
		return false;
	if (ip6_addr_is_multicast(ip->dst_addr) && type != ICMP6_PACKET_TOO_BIG)
		return false;
	return !is_icmp6_error(m, ip);
}

static bool
error_build(struct rte_mbuf *e, const struct rte_mbuf *m,
	    const struct rte_ipv6_hdr *ip, const uint8_t src[16], uint8_t type,
	    uint8_t code, uint32_t param)
{
	uint32_t quote = RTE_MIN(rte_pktmbuf_pkt_len(m) - (uint32_t)ETH_LEN,
				 (uint32_t)ICMP6_QUOTE_MAX);
	uint32_t len = ICMP6_HDR_LEN + quote;
	struct rte_ether_hdr *eth;
	struct rte_ipv6_hdr *oip;
	const void *q;
	uint8_t *icmp;
	uint16_t ck;

	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(
		e, (uint16_t)(ETH_LEN + IP6_HDR_LEN + len));
	if (eth == NULL)
		return false;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
	oip = (struct rte_ipv6_hdr *)(eth + 1);
	*oip = (struct rte_ipv6_hdr){
		.vtc_flow = RTE_BE32(6u << 28),
		.payload_len = rte_cpu_to_be_16((uint16_t)len),
		.proto = IP6_NH_ICMP6,
		.hop_limits = 64,
	};
	memcpy(oip->src_addr, src, 16);
	memcpy(oip->dst_addr, ip->src_addr, 16);
	icmp = (uint8_t *)(oip + 1);
	icmp[0] = type;
	icmp[1] = code;
	memset(icmp + 2, 0, 2);
	param = rte_cpu_to_be_32(param);
	memcpy(icmp + 4, &param, 4);
	q = rte_pktmbuf_read(m, ETH_LEN, quote, icmp + ICMP6_HDR_LEN);
	if (q == NULL)
		return false;
	if (q != (const void *)(icmp + ICMP6_HDR_LEN))
		memcpy(icmp + ICMP6_HDR_LEN, q, quote);
	ck = (uint16_t)~icmp6_sum(oip, icmp, len);
	memcpy(icmp + 2, &ck, 2);
	return true;
}

void
icmp6_error(struct dp_ctx *dp, struct dp_worker *w, const struct rte_mbuf *m,
	    const struct rte_ipv6_hdr *ip, uint8_t type, uint8_t code,
	    uint32_t param)
{
	const struct route6_slot *back, *to;
	uint8_t src[16];
	struct rte_mbuf *e;

	if (!may_answer(m, ip, type))
		return;
	back = route6_lookup(&dp->routes6, ip->src_addr);
	if (back == NULL || back->type == ROUTE_LOCAL)
		return;		/* no way back, or from ourselves */
	to = route6_lookup(&dp->routes6, ip->dst_addr);
	if (to != NULL && to->type == ROUTE_LOCAL)
		memcpy(src, ip->dst_addr, 16);
	else if (!net6_port_src(back->port, src))
		return;
	e = icmp_error_mbuf(dp, w);
	if (e == NULL)
		return;
	if (!error_build(e, m, ip, src, type, code, param)) {
		rte_pktmbuf_free(e);
		return;
	}
	w->stats.icmp_errors_sent++;
	ipv6_output(dp, w, e, back, ip->src_addr);
}

/* The reply goes without the request's extension headers (a Routing
 * header would send it elsewhere): the IPv6 header moves up to the
 * ICMPv6 one. */
static struct rte_ipv6_hdr *
strip_ext(struct rte_mbuf *m, struct rte_ipv6_hdr *ip, uint16_t l4_off)
{
	uint16_t ext = l4_off - IP6_HDR_LEN;
	char *start = rte_pktmbuf_mtod(m, char *);

	memmove(start + ext, start, ETH_LEN + IP6_HDR_LEN);
	rte_pktmbuf_adj(m, ext);
	ip = (struct rte_ipv6_hdr *)((char *)ip + ext);
	ip->proto = IP6_NH_ICMP6;
	ip->payload_len = rte_cpu_to_be_16(
		(uint16_t)(rte_be_to_cpu_16(ip->payload_len) - ext));
	return ip;
}

void
icmp6_echo_reply(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
		 struct rte_mbuf *m, struct rte_ipv6_hdr *ip, uint16_t l4_off)
{
	struct rte_ether_hdr *eth;
	uint8_t *icmp, addr[16];
	rte_be16_t ck;

	if (l4_off != IP6_HDR_LEN)
		ip = strip_ext(m, ip, l4_off);
	if (IP6_HDR_LEN + rte_be_to_cpu_16(ip->payload_len) >
	    dp->ports[port].tx_mtu) {
		dp_drop(w, m, DROP_TOO_BIG);
		return;
	}
	icmp = (uint8_t *)(ip + 1);
	icmp[0] = ICMP6_ECHO_REPLY;
	/* the pseudo header sums the same with the addresses swapped */
	memcpy(&ck, icmp + 2, 2);
	ck = csum_update16(ck, RTE_BE16(ICMP6_ECHO_REQUEST << 8),
			   RTE_BE16(ICMP6_ECHO_REPLY << 8));
	memcpy(icmp + 2, &ck, 2);
	memcpy(addr, ip->src_addr, 16);
	memcpy(ip->src_addr, ip->dst_addr, 16);
	memcpy(ip->dst_addr, addr, 16);
	ip->hop_limits = 64;
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	eth->dst_addr = eth->src_addr;
	eth->src_addr = dp->ports[port].mac;
	w->stats.icmp_echo_replies++;
	dp_tx(w, dp->ports[port].port_id, m);
}
