/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lb_ppudp: the PROXY protocol v2 for UDP full-NAT connections
 * (proxy-protocol-v2 on a UDP service; lb_priv.h).
 *
 * The datagram that creates a connection reaches the server with the v2
 * header (DGRAM over AF_INET: the client's address and port, the VIP and
 * port) in front of its payload; the server keys what it read by the
 * local address and port it sees.  Later datagrams and the replies pass
 * unedited, so the connection needs no state beyond its entry and an
 * established datagram pays nothing (the work is on the new-connection
 * path only).  A one-packet service makes every datagram a connection,
 * so each one carries the header.
 *
 * The header grows the datagram by PP_V2_V4_LEN bytes.  When it then
 * passes the MTU of the port toward the server:
 *  - without DF, it leaves in fragments (lb.c, as any large packet) and
 *    the server's stack reassembles it, header and all;
 *  - with DF, it is dropped (counted as pp_too_big), its connection
 *    removed, and the client told "fragmentation needed" with the MTU
 *    less the header, so a client doing path MTU discovery sends its
 *    next datagram small enough.  Sending it without the header was the
 *    alternative, rejected: a server that expects the header would take
 *    the payload's first bytes as a malformed one or, worse, the
 *    datagram as coming from the local address (whatever it keys on
 *    that address would go to the wrong client), and every later
 *    datagram of the flow would follow without one.  With the
 *    connection gone, the client's next datagram starts again with a
 *    header.
 *
 * The headers move 28 bytes toward the head (a multiple of 4: their
 * alignment stays) and the header goes between them and the payload,
 * which stays where it is: no payload copy, and a datagram reassembled
 * from fragments (an mbuf chain) takes the header as well.
 */
#include <string.h>

#include <rte_ip.h>
#include <rte_udp.h>

#include "core/tx.h"
#include "lb/lb.h"
#include "net/net.h"
#include "net/route.h"
#include "tcp/proxy_hdr.h"
#include "lb_priv.h"

/* The MTU of the port toward dst (the server: the source of the reply
 * side of the tuple), 0 when dplbd has no route there (the
 * send drops it as no_route). */
static uint16_t
egress_mtu(const struct dp_ctx *dp, rte_be32_t dst)
{
	const struct route_slot *r = route_lookup(&dp->routes, dst);

	if (r == NULL || r->type == ROUTE_LOCAL)
		return 0;
	return dp->ports[r->port].tx_mtu;
}

struct rte_ipv4_hdr *
lb_ppudp_first(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	       struct rte_ipv4_hdr *ip, struct l4_view *v, struct conn *c)
{
	const struct conn_tuple4 *i = &c->tuple[CONN_SIDE_IN];
	unsigned int ihl = rte_ipv4_hdr_len(ip);
	unsigned int len = rte_be_to_cpu_16(ip->total_length);
	size_t l3 = (size_t)((char *)ip - rte_pktmbuf_mtod(m, char *));
	size_t hdrs = l3 + ihl + sizeof(struct rte_udp_hdr);
	uint16_t mtu = egress_mtu(dp, c->tuple[CONN_SIDE_OUT].src_addr);
	struct rte_udp_hdr *u;
	uint16_t ck;
	char *head;

	if (c->fwd != LB_FWD_FNAT)
		return ip;
	if (mtu != 0 && len + PP_V2_V4_LEN > mtu &&
	    (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_DF_FLAG))) {
		icmp_error(dp, w, m, ip, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED,
			   (uint16_t)(mtu - PP_V2_V4_LEN), ip->dst_addr);
		lb_conn_drop(w, c);
		dp_drop(w, m, DROP_PP_TOO_BIG);
		return NULL;
	}
	head = rte_pktmbuf_mtod(m, char *);
	if (rte_pktmbuf_data_len(m) < hdrs ||
	    rte_pktmbuf_prepend(m, PP_V2_V4_LEN) == NULL) {
		lb_conn_drop(w, c);
		dp_drop(w, m, DROP_NO_MBUF);
		return NULL;
	}
	memmove(head - PP_V2_V4_LEN, head, hdrs);
	ip = (struct rte_ipv4_hdr *)(head - PP_V2_V4_LEN + l3);
	pp_build_dgram((uint8_t *)ip + ihl + sizeof(*u), i->src_addr,
		       i->src_port, i->dst_addr, i->dst_port);
	ip->total_length = rte_cpu_to_be_16((uint16_t)(len + PP_V2_V4_LEN));
	ip->hdr_checksum = 0;
	ip->hdr_checksum = csum_compute(ip, ihl);
	u = (struct rte_udp_hdr *)((char *)ip + ihl);
	u->dgram_len = rte_cpu_to_be_16((uint16_t)(len - ihl + PP_V2_V4_LEN));
	/* A full sum in software (the rewrite that follows adjusts it; the
	 * client's was checked when the connection was made); a datagram
	 * that came without a checksum leaves with one. */
	u->dgram_cksum = 0;
	ck = (uint16_t)~csum_l4_sum4_mbuf(m, ip, ihl);
	u->dgram_cksum = ck == 0 ? 0xffff : ck;	/* 0 would say "none" */
	l4_view_own(ip, ihl, v);
	return ip;
}
