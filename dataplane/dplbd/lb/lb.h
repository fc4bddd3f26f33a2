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

#include "core/dp.h"
#include "lb/conn.h"

/**
 * Create the workers' connection tables and the store of services
 * (dp->lb) on dp->qsv, apply the laddr groups and services of dp->cfg,
 * and set the ports' rte_flow rules for their local addresses.  Call
 * after the workers and ports exist and before the control socket
 * serves.  0 or a negative errno with a message in msg.
 */
int lb_start(struct dp_ctx *dp, char *msg, size_t len);

/** Free dp->lb; the workers must have stopped. */
void lb_stop(struct dp_ctx *dp);

/** Make the ports' rte_flow rules follow the IPv4 addresses of every
 * laddr group (flow_sync()); after each change of a group. */
void lb_flow_sync(struct dp_ctx *dp);

/** What the load balancer did with a packet offered to it. */
enum lb_verdict {
	LB_CONSUMED,	/* sent, steered to its owner, or dropped (counted) */
	LB_PASS,	/* not load-balanced traffic: the caller goes on
			 * (the twin for a local packet, plain forwarding
			 * for a transit one) */
	LB_PASS_INPUT,	/* burst only: not classified, the full path */
	LB_END,		/* burst only: no packet left */
};

/**
 * A TCP, UDP or ICMP packet to one of our addresses (NET_LOCAL), the
 * header checked by net/.
 */
enum lb_verdict lb_input_local(struct dp_ctx *dp, struct dp_worker *w,
			       uint16_t port, struct rte_mbuf *m,
			       struct rte_ipv4_hdr *ip, unsigned int ihl);

/**
 * A transit packet (NET_TRANSIT): a NAT real server's reply to a
 * client, or an ICMP error about a connection, is the load balancer's.
 */
enum lb_verdict lb_input_transit(struct dp_ctx *dp, struct dp_worker *w,
				 uint16_t port, struct rte_mbuf *m,
				 struct rte_ipv4_hdr *ip, unsigned int ihl);

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

/* One held packet of a burst: its parse and where it goes. */
struct lb_held {
	struct rte_ipv4_hdr *ip;
	const struct lb_svc_snap *svc;	/* local: the service, or NULL */
	const struct route_slot *r;
	struct l4_view v;
	bool transit;			/* not to a local address */
};

/**
 * A burst for the load balancer's stage of the burst path
 * (core/pipeline.c).  The pipeline fills n, port, pkts, ip and r:
 * packets received on dplb port `port` that net_ipv4_usual() accepted
 * (r[i] their route, ip[i] their header), r[i] NULL for any other.
 * The rest is the load balancer's own state between lb_burst_lookup()
 * and the lb_burst_next() calls.
 */
struct lb_burst {
	unsigned int n;
	uint16_t port;
	struct rte_mbuf *pkts[LB_BURST_MAX];
	struct rte_ipv4_hdr *ip[LB_BURST_MAX];
	const struct route_slot *r[LB_BURST_MAX];
	/* the load balancer's */
	uint32_t gen;			/* conn table generation after lookup */
	unsigned int n_held;
	uint8_t kind[LB_BURST_MAX];
	uint8_t arg[LB_BURST_MAX];	/* held: index in held[] and keys[];
					 * steered: the owner */
	struct lb_held held[LB_BURST_MAX];
	struct conn_key4 keys[LB_BURST_MAX];
	struct conn *conns[LB_BURST_MAX];
	bool reply[LB_BURST_MAX];
};

/**
 * Classify the burst's TCP and UDP packets that the load balancer takes
 * and look their connections up together (conn_lookup4_bulk()), which
 * prefetches their buckets and entries so that the misses overlap.
 */
void lb_burst_lookup(struct dp_ctx *dp, struct dp_worker *w,
		     struct lb_burst *b);

/**
 * Consume the burst's packets in order from *i, each as
 * lb_input_local() or lb_input_transit() would, until one the load
 * balancer does not consume: returns LB_PASS (pkts[*i] is not
 * load-balanced: the twin's if r[*i] is local, else forward it) or
 * LB_PASS_INPUT (pkts[*i] takes the full path, l2_input()), with *i its
 * index; LB_END when the burst is done.
 */
enum lb_verdict lb_burst_next(struct dp_ctx *dp, struct dp_worker *w,
			      struct lb_burst *b, unsigned int *i);

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
