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
 * The header grows the datagram by PP_V2_V4_LEN bytes.  When that no
 * longer fits the MTU of the port toward the server, the datagram is
 * dropped (counted as pp_too_big) and its connection removed: sent
 * without the header, it would reach a server that expects one either
 * as garbage or, worse, as a datagram from the local address (whatever
 * the server keys on that address would go to the wrong client), and
 * every later datagram of the flow would follow without one.  With the
 * connection gone, the client's next (smaller) datagram starts again
 * with a header.  dplbd does not fragment what it sends.
 */
#include <string.h>

#include <rte_ip.h>
#include <rte_udp.h>

#include "core/tx.h"
#include "lb/lb.h"
#include "net/net.h"
#include "net/route.h"
#include "tcp/proxy_hdr.h"
#include "tcp/tcp_edit.h"
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
	return dp->ports[r->port].mtu;
}

bool
lb_ppudp_first(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	       struct rte_ipv4_hdr *ip, struct l4_view *v, struct conn *c)
{
	const struct conn_tuple4 *i = &c->tuple[CONN_SIDE_IN];
	unsigned int ihl = rte_ipv4_hdr_len(ip);
	unsigned int len = rte_be_to_cpu_16(ip->total_length);
	size_t l3 = (size_t)((char *)ip - rte_pktmbuf_mtod(m, char *));
	uint16_t mtu = egress_mtu(dp, c->tuple[CONN_SIDE_OUT].src_addr);
	struct rte_udp_hdr *u;
	uint8_t *room;

	if (c->fwd != LB_FWD_FNAT)
		return true;
	if (mtu != 0 && len + PP_V2_V4_LEN > mtu) {
		lb_conn_drop(w, c);
		dp_drop(w, m, DROP_PP_TOO_BIG);
		return false;
	}
	/* Ethernet padding after the datagram would land inside it. */
	if (rte_pktmbuf_data_len(m) > l3 + len)
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - l3 - len));
	room = l4_open_room(m, ip, sizeof(*u), PP_V2_V4_LEN);
	if (room == NULL) {
		lb_conn_drop(w, c);
		dp_drop(w, m, DROP_NO_MBUF);
		return false;
	}
	pp_build_dgram(room, i->src_addr, i->src_port, i->dst_addr,
		       i->dst_port);
	u = (struct rte_udp_hdr *)((char *)ip + ihl);
	u->dgram_len = rte_cpu_to_be_16((uint16_t)(len - ihl + PP_V2_V4_LEN));
	/* A full sum in software (the rewrite that follows adjusts it);
	 * a datagram that came without a checksum leaves with one. */
	u->dgram_cksum = 0;
	u->dgram_cksum = rte_ipv4_udptcp_cksum_mbuf(m, ip, (uint16_t)(l3 + ihl));
	l4_parse(ip, ihl, v);
	return true;
}
