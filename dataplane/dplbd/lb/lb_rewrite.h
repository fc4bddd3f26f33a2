/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lb_rewrite: the address and port rewrite of the load balancer's IPv4
 * packets, with both checksums updated incrementally (RFC 1624).
 *
 * A full-NAT, NAT or SNAT connection's packets all carry one of its two
 * keys and leave with the other, so the change of their checksums is
 * the same for every packet: conn_csum_delta() folds it once, when the
 * connection is bound, into conn_priv()'s csum (struct lb_csum_delta,
 * lb.h), and rewrite4_conn_in() / rewrite4_conn_out() apply it, or its
 * opposite, to the client's and the server's packets.  rewrite4() sums
 * the change from the packet's own fields, for what has no connection
 * of its own (the quoted header of an ICMP error).  Both write the very
 * bytes the other would.  A checksum that was wrong stays wrong by as
 * much: the receiver drops the packet as it would have without us.
 * Inline: every forwarded packet passes here.
 */
#ifndef DPLB_LB_REWRITE_H
#define DPLB_LB_REWRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "conn/conn.h"
#include "lb/lb.h"
#include "net/csum.h"

/* The TTL's part of the IPv4 header checksum when it drops by one:
 * ~old + new of its 16-bit word, the same for every old value. */
#define CSUM_TTL_DEC ((uint16_t)~RTE_BE16(0x0100))

/*
 * Rewrite addresses and ports, the checksums by the given changes of
 * their sums (csum_diff32() terms): ip_diff the IPv4 header's, l4_diff
 * the L4 header's.  The two ports are adjacent in TCP, UDP and the
 * quoted headers of ICMP errors, so they change as one word (lb.c says
 * why a wrong checksum passed on is enough for established flows).
 */
static __rte_always_inline void
rewrite4_by(struct rte_ipv4_hdr *ip, struct l4_view *v, rte_be32_t saddr,
	    rte_be16_t sport, rte_be32_t daddr, rte_be16_t dport,
	    uint64_t ip_diff, uint64_t l4_diff)
{
	uint16_t ck;

	RTE_BUILD_BUG_ON(offsetof(struct rte_tcp_hdr, dst_port) != 2 ||
			 offsetof(struct rte_udp_hdr, dst_port) != 2);
	ip->hdr_checksum = csum_apply(ip->hdr_checksum, ip_diff);
	ip->src_addr = saddr;
	ip->dst_addr = daddr;
	*v->sport = sport;
	*v->dport = dport;
	if (v->cksum == NULL)
		return;
	ck = csum_apply(*v->cksum, l4_diff);
	/* In UDP a zero checksum means "none": send ~0 instead. */
	*v->cksum = (v->udp && ck == 0) ? 0xffff : ck;
}

/*
 * rewrite4_by() with the changes summed from the packet's fields.
 * hop: the packet is routed on (not a quoted header): its TTL, which
 * the caller checked is above 1, drops by one in the same update.
 */
static __rte_always_inline void
rewrite4(struct rte_ipv4_hdr *ip, struct l4_view *v, rte_be32_t saddr,
	 rte_be16_t sport, rte_be32_t daddr, rte_be16_t dport, bool hop)
{
	uint64_t diff = csum_diff32(ip->src_addr, saddr) +
			csum_diff32(ip->dst_addr, daddr);
	uint32_t oports;

	memcpy(&oports, v->sport, sizeof(oports));
	if (hop)
		ip->time_to_live--;
	/* the TTL is not in the pseudo header: the IPv4 checksum's alone;
	 * the new ports as two 16-bit words, the sum's unit */
	rewrite4_by(ip, v, saddr, sport, daddr, dport,
		    diff + (hop ? CSUM_TTL_DEC : 0),
		    diff + (uint32_t)~oports + sport + dport);
}

/*
 * The checksum changes of c's client's packets (lb.h): every one of
 * them carries c's in key and leaves with its out key reversed, so they
 * are the same for all, summed once when c is bound.  A sum does not
 * depend on the order of its words: the out key's source pairs with the
 * in key's.  Folded, never 0 (csum_fold64() of a sum that is not 0):
 * csum_apply() gives with it what it gives with the unfolded sum.
 */
static inline struct lb_csum_delta
conn_csum_delta(const struct conn *c)
{
	const struct conn_tuple4 *i = &c->tuple[CONN_SIDE_IN];
	const struct conn_tuple4 *o = &c->tuple[CONN_SIDE_OUT];
	uint64_t addrs = csum_diff32(i->src_addr, o->src_addr) +
			 csum_diff32(i->dst_addr, o->dst_addr);
	uint32_t iports, oports;

	memcpy(&iports, &i->src_port, sizeof(iports));
	memcpy(&oports, &o->src_port, sizeof(oports));
	return (struct lb_csum_delta){
		.ip = csum_fold64(addrs),
		.l4 = csum_fold64(addrs + csum_diff32(iports, oports)),
	};
}

/* The opposite change: its ones' complement, plus 0xffff (a zero in
 * that arithmetic) so that csum_apply() never folds a zero sum, as with
 * the unfolded changes. */
static __rte_always_inline uint64_t
csum_delta_back(uint16_t delta)
{
	return (uint64_t)(uint16_t)~delta + 0xffff;
}

/*
 * Client -> server of an FNAT, NAT or SNAT connection c (whose
 * conn_priv() csum is set): the rewrite by c's summed changes, to
 * saddr:sport (the client's own for NAT) and the server.  hop: as for
 * rewrite4().
 */
static __rte_always_inline void
rewrite4_conn_in(struct rte_ipv4_hdr *ip, struct l4_view *v,
		 const struct conn *c, rte_be32_t saddr, rte_be16_t sport,
		 bool hop)
{
	const struct conn_tuple4 *o = &c->tuple[CONN_SIDE_OUT];
	struct lb_csum_delta d = conn_priv((struct conn *)c)->csum;

	if (hop)
		ip->time_to_live--;
	rewrite4_by(ip, v, saddr, sport, o->src_addr, o->src_port,
		    (uint64_t)d.ip + (hop ? CSUM_TTL_DEC : 0), d.l4);
}

/* Server -> client: back to the in key's addresses and ports. */
static __rte_always_inline void
rewrite4_conn_out(struct rte_ipv4_hdr *ip, struct l4_view *v,
		  const struct conn *c, bool hop)
{
	const struct conn_tuple4 *i = &c->tuple[CONN_SIDE_IN];
	struct lb_csum_delta d = conn_priv((struct conn *)c)->csum;

	if (hop)
		ip->time_to_live--;
	rewrite4_by(ip, v, i->dst_addr, i->dst_port, i->src_addr, i->src_port,
		    csum_delta_back(d.ip) + (hop ? CSUM_TTL_DEC : 0),
		    csum_delta_back(d.l4));
}

#endif /* DPLB_LB_REWRITE_H */
