/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lb: the load balancer's packet path on a worker.  For a packet to a
 * local address it finds the virtual service or the connection, steers
 * the packet to the worker that owns the flow (steer.h), schedules new
 * connections, follows the TCP state table, rewrites the packet for the
 * connection's forwarding mode (FNAT, NAT, DR, TUNNEL) with incremental
 * checksums, and sends it.  Connections live in the owner's conn table
 * and expire on its timing wheel (lb_expire_tick).
 */
#ifndef DPLB_LB_H
#define DPLB_LB_H

#include <stdbool.h>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "lb/conn.h"
#include "core/dp.h"

/** Create the workers' connection tables. */
int lb_init_workers(struct dp_ctx *dp);

/**
 * A TCP or UDP packet to one of our addresses.  Returns true when the
 * load balancer consumed it (sent, steered or dropped), false when it
 * is not load-balanced traffic (the caller hands it to the twin).
 */
bool lb_input_local(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
		    struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
		    unsigned int ihl);

/**
 * A transit packet: a NAT real server's reply to a client.  Returns true
 * when consumed; false means forward it as plain IP.
 */
bool lb_input_transit(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
		      struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
		      unsigned int ihl);

/* The L4 fields a rewrite touches (dport is always sport + 1). */
struct l4_view {
	rte_be16_t *sport;
	rte_be16_t *dport;
	rte_be16_t *cksum;	/* NULL: UDP without a checksum */
	uint8_t flags;		/* TCP flags, 0 for UDP */
	bool udp;
};

struct route_slot;

#define LB_BURST_MAX 32

/**
 * A burst for the load balancer's stage of the burst path (burst.c):
 * packets received on dplb port `port` whose Ethernet and IPv4 headers
 * (20 bytes, no options) passed every check of l2_input() and
 * ipv4_input(), padding trimmed, to a unicast destination whose route
 * r[i] is local or a transit route that is not a subnet broadcast; r[i]
 * is NULL for any other packet (it takes the full path).
 */
struct lb_burst {
	unsigned int n;
	uint16_t port;
	struct rte_mbuf *pkts[LB_BURST_MAX];
	struct rte_ipv4_hdr *ip[LB_BURST_MAX];
	const struct route_slot *r[LB_BURST_MAX];
};

/**
 * Consume the burst, in order, each packet as l2_input() would (sent,
 * steered, dropped, to the twin or forwarded), the connections of the
 * burst looked up together with their memory prefetched.
 */
void lb_burst(struct dp_ctx *dp, struct dp_worker *w, struct lb_burst *b);

/** Expire idle connections (bounded work); call once per loop. */
void lb_expire_tick(struct dp_ctx *dp, struct dp_worker *w);

struct conn;

struct lb_dest;

/* conn->flags: a persistence template (client net -> VIP:vport, see
 * lb.c), not a connection. */
#define LB_CONN_F_TEMPLATE 0x10

/* What the load balancer keeps in conn->priv (16 bytes). */
struct lb_conn_priv {
	struct lb_dest *dest;	/* held reference */
	rte_be32_t daddr;	/* the real server, for DR and TUNNEL */
	union {
		uint32_t tmpl;		/* connection: its template's
					 * conn_ref(), 0 = none */
		uint32_t n_control;	/* template: connections it made */
	};
};

static inline struct lb_conn_priv *
conn_priv(struct conn *c)
{
	RTE_BUILD_BUG_ON(sizeof(struct lb_conn_priv) > sizeof(c->priv));
	return (struct lb_conn_priv *)c->priv;
}

/** Drop c now (a flush), releasing it exactly as expiry does: its
 * dest's counts and reference; then the entry.  Its worker only. */
void lb_conn_drop(struct dp_worker *w, struct conn *c);

#endif /* DPLB_LB_H */
