/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lb6_priv: the contract between the IPv6 load balancer's files, which
 * are one module split by concern:
 *   lb6.c       the tables, new connections, persistence, owners and
 *               the packet path (lb_input_local6(), lb_input_transit6());
 *   lb6_xmit.c  routes, rewrites, tunnels and NAT64 (lb6_reply4(),
 *               lb6_icmp4() and lb6_tunnel46() for lb/lb.c, declared in
 *               lb/lb_priv.h);
 *   lb6_icmp.c  ICMPv6 errors about connections.
 * Everything here runs on the worker that owns the connection; nothing
 * takes a lock or allocates.
 */
#ifndef DPLB_LB6_PRIV_H
#define DPLB_LB6_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "conn/conn6.h"
#include "core/dp.h"
#include "lb/lb_priv.h"
#include "net6/frag6.h"
#include "net6/net6.h"
#include "net6/route6.h"
#include "xlat/xlat.h"

/* Each worker's IPv6 connection table (lb6_table() for other modules). */
extern struct conn6_table *lb6_tables[DP_MAX_WORKERS];

/* The tuple of a packet sent along key k's reverse: k's dst -> k's src. */
static inline void
tuple6_back(const struct conn6_key *k, struct xlat_tuple6 *t)
{
	memcpy(t->src, k->dst, 16);
	memcpy(t->dst, k->src, 16);
	t->sport = k->dport;
	t->dport = k->sport;
}

#define NAT64_ICMP_IN_MAX 1514	/* an ICMPv4 error we translate, at most */

/* Write the translated error over m's packet: n bytes at ip (m single
 * segment); false when it has no room (then m is dropped). */
static inline bool
nat64_icmp_room(struct rte_mbuf *m, const void *ip, size_t *room)
{
	size_t off = (size_t)((const char *)ip - rte_pktmbuf_mtod(m, char *));

	if (m->nb_segs != 1)
		return false;
	*room = rte_pktmbuf_data_len(m) + rte_pktmbuf_tailroom(m) - off;
	return true;
}

/* The same for an IPv4 key (NAT64's server side, its 4 first bytes). */
static inline void
tuple4_back(const struct conn6_key *k, struct xlat_tuple4 *t)
{
	memcpy(&t->src, k->dst, 4);
	memcpy(&t->dst, k->src, 4);
	t->sport = k->dport;
	t->dport = k->sport;
}

/* ---- lb6.c ---- */

/* The connection's state after a packet in direction dir (a master
 * reports a change to its peer).  Inline: every packet's. */
static inline void
lb6_follow(struct dp_worker *w, struct conn *c, const struct l4_view *v,
	   enum conn_dir dir)
{
	uint8_t next = v->udp ? udp_state_next(c->state, dir) :
				tcp_state_next(c->state, dir, v->flags);

	if (unlikely(next != c->state)) {
		lb6_set_state(w, c, next);
		/* a master reports it as lb_set_state() does */
		if (unlikely(lb_sync_state_wanted(w, c)))
			lb_sync_state(w, c);
	}
}

/* The dest's counters for a packet of bytes (its service's are its
 * dests' summed), and the connection's timer. */
static inline void
lb6_count(struct dp_worker *w, struct conn *c, bool in, uint32_t bytes)
{
	struct lb_stats *ds = &conn_priv(c)->dest->pcpu[w->id].st;

	if (in) {
		ds->inpkts++;
		ds->inbytes += bytes;
	} else {
		ds->outpkts++;
		ds->outbytes += bytes;
	}
	conn_touch(c, w->now_ms);
}

/* The worker that owns a client's side addr:port (its net and port 0
 * for a persistent service). */
unsigned int lb6_client_owner(const struct dp_ctx *dp, const uint8_t addr[16],
			      rte_be16_t port);

/* A transit packet to a client that may be a NAT answer (or an error
 * about one): the workers where its connection may live, and which one
 * it has reached (lb.c's lb_reply_front(), lb_reply_hop()). */
struct lb6_hops {
	uint8_t owners[LB_MAX_WORKERS];
	unsigned int n;
	uint8_t *hop;		/* in the mbuf, or first */
	uint8_t first;
};

/* Start the walk for client addr:cport: true when m was steered to the
 * first candidate (consumed); else look it up here. */
bool lb6_reply_start(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
		     struct rte_mbuf *m, const struct lb_snap *snap,
		     const uint8_t addr[16], rte_be16_t cport,
		     struct lb6_hops *h);

/* After a miss here: true when m was steered to the next candidate
 * (consumed); false when none is left (the packet is not ours). */
bool lb6_reply_next(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
		    struct rte_mbuf *m, struct lb6_hops *h);

/* ---- lb6_xmit.c ---- */

/* The next IPv4 identification of this worker, big-endian. */
uint16_t lb6_next_ip_id(struct dp_worker *w);

/* m refused by lb6_route(): dropped for no route (r NULL), or too big
 * for r's MTU less grow (with a packet too big to its sender: IPv6
 * routers never fragment). */
void lb6_route_refuse(struct dp_ctx *dp, struct dp_worker *w,
		      struct rte_mbuf *m, struct rte_ipv6_hdr *ip,
		      const struct route6_slot *r, unsigned int grow);

/* The route toward dst for m (IPv6 at ip, as received), which will
 * leave grow bytes larger: NULL after dropping m (lb6_route_refuse()).
 * Inline: every packet's. */
static __rte_always_inline const struct route6_slot *
lb6_route(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	  struct rte_ipv6_hdr *ip, const uint8_t dst[16], unsigned int grow)
{
	const struct route6_slot *r = ipv6_route(dp, w, dst);
	uint32_t len = XLAT_IPV6_HDR + rte_be_to_cpu_16(ip->payload_len);

	/* a datagram dplbd reassembled leaves in fragments (frag6.h) */
	if (unlikely(r == NULL) ||
	    (unlikely(len + grow > dp->ports[r->port].tx_mtu) &&
	     (grow != 0 || !(m->ol_flags & frag6_whole_flag)))) {
		lb6_route_refuse(dp, w, m, ip, r, grow);
		return NULL;
	}
	return r;
}

/* TUNNEL: inside an outer IPv6 header to an IPv6 dest (ip6ip6), or an
 * outer IPv4 header to an IPv4 dest (RFC 4213). */
void lb6_tunnel6(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
		 struct rte_ipv6_hdr *ip, const uint8_t dst[16]);
void lb6_tunnel4(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
		 struct rte_ipv6_hdr *ip, rte_be32_t dst);

/* A client packet of a NAT64 connection, translated to IPv4 from the
 * connection's LIP and port (its out key, reversed) and routed; l4_delta:
 * the connection's checksum change (lb6_conn_bind()). */
void lb6_nat64_in(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
		  struct rte_ipv6_hdr *ip, uint8_t proto, uint16_t l4_off,
		  uint32_t l4_len, const struct conn6_key *out,
		  uint16_t l4_delta);

/* ---- lb6_icmp.c ---- */

/* An ICMPv6 message to us or through us (transit): LB_PASS unless it is
 * an error about one of our connections. */
enum lb_verdict lb6_icmp6(struct dp_ctx *dp, struct dp_worker *w,
			  uint16_t port, struct rte_mbuf *m,
			  struct rte_ipv6_hdr *ip, uint16_t l4_off,
			  bool transit);

#endif /* DPLB_LB6_PRIV_H */
