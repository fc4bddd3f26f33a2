/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * burst: the receive path of a worker, a burst at a time (pipeline.h).
 *
 * Per packet, l2_input() takes a packet through Ethernet, IPv4 and the
 * load balancer to its end before it looks at the next one, so with a
 * large connection table every packet waits for its own cache misses
 * (hash bucket, then entry).  Here a burst goes in three stages:
 *
 *   1. classify every packet: the usual one (unicast to us, IPv4
 *      without options, valid, TCP or UDP the load balancer takes) is
 *      checked here and held with its connection key (lb_hold()), the
 *      others are marked for the full path;
 *   2. look the held keys up together (conn_lookup4_bulk()), which
 *      prefetches the buckets and entries of the whole burst so that
 *      their misses overlap;
 *   3. in arrival order, finish each packet: a held one with its
 *      connection (lb_release()), a marked one through l2_input().
 *
 * The checks of stage 1 are those of l2_input() and ipv4_input() for
 * the packets they accept, and everything else takes the full path, so
 * counters, drop reasons and the twin see what they saw before.  Stage
 * 3 keeps the order of the burst; a lookup answer is used only while
 * the connection table has not changed since stage 2 (a packet earlier
 * in the burst may have added or removed a connection), else the key
 * is looked up again.
 */
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_prefetch.h>

#include "conn.h"
#include "csum.h"
#include "lb.h"
#include "lb_svc.h"
#include "pipeline.h"
#include "steer.h"

#define BURST_CHUNK 32		/* packets staged together */
#define PREFETCH_AHEAD 3	/* packets whose headers load ahead */
#define ETH_LEN sizeof(struct rte_ether_hdr)

enum pkt_kind {
	PKT_FULL,	/* l2_input() */
	PKT_HELD,	/* lb_release() with its lookup */
	PKT_STEER,	/* to its owner's ring */
};

struct chunk {
	uint8_t kind[BURST_CHUNK];
	uint8_t held_of[BURST_CHUNK];	/* PKT_HELD: its held[] and keys[];
					 * PKT_STEER: the owner */
	unsigned int n_held;
	struct lb_held held[BURST_CHUNK];
	struct conn_key4 keys[BURST_CHUNK];
	struct conn *conns[BURST_CHUNK];
	bool reply[BURST_CHUNK];
};

/* The software check ipv4_input() makes when the port did not. */
static inline bool
ipv4_cksum_good(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip)
{
	if (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_GOOD)
		return true;
	return !(m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_BAD) &&
	       csum_verify(ip, sizeof(*ip));
}

/*
 * A unicast frame to port's MAC with an IPv4 header of 20 bytes that
 * ipv4_input() accepts whole (lengths, checksum, not a fragment), to a
 * unicast address with a route that ipv4_input() hands to the load
 * balancer (local, or transit but not a subnet broadcast): the route,
 * with the Ethernet padding trimmed as ipv4_input() does.  NULL for
 * anything else, untouched.
 */
static inline const struct route_slot *
ipv4_usual(const struct dp_ctx *dp, uint16_t port, struct rte_mbuf *m,
	   struct rte_ipv4_hdr **ipp)
{
	const struct rte_ether_hdr *eth =
		rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	const struct route_slot *r;
	uint32_t avail, tot;

	if (unlikely(rte_pktmbuf_data_len(m) < ETH_LEN + sizeof(*ip) ||
		     eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
		     !rte_is_same_ether_addr(&eth->dst_addr,
					     &dp->ports[port].mac) ||
		     ip->version_ihl != 0x45))
		return NULL;
	avail = rte_pktmbuf_pkt_len(m) - ETH_LEN;
	tot = rte_be_to_cpu_16(ip->total_length);
	if (unlikely(tot < sizeof(*ip) || tot > avail ||
		     !ipv4_cksum_good(m, ip) ||
		     (ip->fragment_offset &
		      RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) ||
		     (rte_be_to_cpu_32(ip->dst_addr) >> 28) == 0xe ||
		     ip->dst_addr == RTE_BE32(0xffffffff)))
		return NULL;
	r = route_lookup(&dp->routes, ip->dst_addr);
	if (unlikely(r == NULL || (r->type != ROUTE_LOCAL &&
				   route_is_subnet_broadcast(r, ip->dst_addr))))
		return NULL;
	if (tot < avail)
		rte_pktmbuf_trim(m, (uint16_t)(avail - tot));
	*ipp = ip;
	return r;
}

/* Stage 1 for one packet. */
static inline void
classify(struct dp_ctx *dp, struct dp_worker *w, const struct lb_snap *snap,
	 uint16_t port, struct rte_mbuf *m, struct chunk *ch, unsigned int i)
{
	unsigned int j = ch->n_held;
	const struct route_slot *r;
	struct rte_ipv4_hdr *ip;

	ch->kind[i] = PKT_FULL;
	r = ipv4_usual(dp, port, m, &ip);
	if (r == NULL)
		return;
	switch (lb_hold(dp, w, snap, port, m, ip, r, &ch->held[j],
			&ch->keys[j])) {
	case LB_HOLD_HELD:
		ch->kind[i] = PKT_HELD;
		break;
	case LB_HOLD_STEER:
		/* Its held[] slot is free again: no lookup here. */
		ch->kind[i] = PKT_STEER;
		ch->held_of[i] = (uint8_t)ch->held[j].owner;
		return;
	default:
		return;
	}
	ch->held_of[i] = (uint8_t)j;
	ch->n_held++;
}

static void
run_chunk(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
	  struct rte_mbuf **pkts, unsigned int n)
{
	const struct lb_snap *snap = lb_snap_get(dp->lb);
	struct conn_table *t = w->conns;
	struct chunk ch;
	unsigned int i, j;
	uint32_t gen;

	ch.n_held = 0;
	for (i = 0; i < n; i++) {
		if (i + PREFETCH_AHEAD < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + PREFETCH_AHEAD],
						       void *));
		w->stats.rx_bytes += rte_pktmbuf_pkt_len(pkts[i]);
		classify(dp, w, snap, port, pkts[i], &ch, i);
	}
	if (ch.n_held != 0)
		conn_lookup4_bulk(t, ch.keys, ch.n_held, ch.conns, ch.reply);
	gen = conn_table_gen(t);
	for (i = 0; i < n; i++) {
		struct lb_held *h;

		switch (ch.kind[i]) {
		case PKT_HELD:
			j = ch.held_of[i];
			h = &ch.held[j];
			if (unlikely(conn_table_gen(t) != gen))
				ch.conns[j] = conn_lookup4(t, &ch.keys[j],
							   &ch.reply[j]);
			lb_release(dp, w, h, &ch.keys[j], ch.conns[j],
				   ch.reply[j]);
			break;
		case PKT_STEER:
			dp_steer(dp, w, ch.held_of[i], port, pkts[i]);
			break;
		default:
			l2_input(dp, w, port, pkts[i]);
		}
	}
}

void
pipeline_rx_burst(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
		  struct rte_mbuf **pkts, uint16_t n)
{
	unsigned int base, cnt;

	for (base = 0; base < n; base += cnt) {
		cnt = RTE_MIN((unsigned int)n - base, (unsigned int)BURST_CHUNK);
		run_chunk(dp, w, port, pkts + base, cnt);
	}
}
