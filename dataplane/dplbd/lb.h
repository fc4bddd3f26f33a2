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

#include "conn.h"
#include "dp.h"

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

struct lb_snap;
struct lb_svc_snap;
struct route_slot;

/*
 * The burst path (burst.c) holds a packet for the load balancer from
 * the classification of its burst to its turn, so that the connections
 * of the whole burst are looked up at once (conn_lookup4_bulk()).
 * lb_hold() and then lb_release() do exactly what lb_input_local() or
 * lb_input_transit() do, split where the connection lookup was.
 */
struct lb_held {
	struct rte_mbuf *m;
	struct rte_ipv4_hdr *ip;
	const struct lb_svc_snap *svc;	/* local: the service, or NULL */
	const struct route_slot *r;	/* the packet's route */
	struct l4_view v;
	uint16_t port;			/* dplb port it came in on */
	uint16_t owner;			/* the worker that owns it */
	bool transit;			/* not to a local address */
};

enum lb_hold_verdict {
	LB_HOLD_FULL,	/* not for the burst path: l2_input() it */
	LB_HOLD_HELD,	/* look key up, then lb_release() */
	LB_HOLD_STEER,	/* dp_steer() it to h->owner */
};

/**
 * Classify a TCP or UDP packet whose Ethernet and IPv4 headers (20
 * bytes, no options) passed every check of l2_input() and ipv4_input(),
 * to a unicast destination of route r (local or a transit one that is
 * not a subnet broadcast), snap being the services' snapshot of this
 * burst.  Fills *h and *key; consumes nothing.
 */
enum lb_hold_verdict lb_hold(struct dp_ctx *dp, struct dp_worker *w,
			     const struct lb_snap *snap, uint16_t port,
			     struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
			     const struct route_slot *r, struct lb_held *h,
			     struct conn_key4 *key);

/**
 * The rest of a held packet's path, given what its key looks up to now
 * (c, reply: conn_lookup4() at this point of the burst).  Consumes it:
 * sent, dropped, to the twin, or forwarded as plain IP.
 */
void lb_release(struct dp_ctx *dp, struct dp_worker *w, struct lb_held *h,
		const struct conn_key4 *key, struct conn *c, bool reply);

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
