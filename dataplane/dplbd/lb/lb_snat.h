/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lb_snat: source NAT for the servers' outbound traffic.
 *
 * A rule (struct lb_snat_conf, lb_conf.h) matches transit packets by
 * source net, destination net, protocol, the dplb port they came in on
 * and the port their route leaves by; the first rule that matches, in
 * the order they were added, takes the flow.  Its connection lives on
 * the worker that owns the inside endpoint (steer_by_client() of the
 * source address and port, or of the echo id) and gets a source address
 * of the rule's pool and a source port of that worker's slice
 * (steer_lport_range(), net/steer.h).  Replies, addressed to pool
 * address:port, are then owned by the destination port alone, exactly
 * like full-NAT's local ports: rte_flow rules where the port has them
 * (the pool addresses join the laddr groups' in lb_flow_sync()), the
 * software redirect elsewhere.
 *
 * Connections: one entry with two keys, as every connection:
 *   in   inside addr:port -> outside addr:port      (what the server sends)
 *   out  outside addr:port -> pool addr:port        (what comes back)
 * ICMP echo: the echo id stands for the inside port and the pool port,
 * the other port is 0, so that one entry per echo id is found from both
 * sides on its owner.  TCP follows the IPVS table with the inside's
 * packets as OUTPUT and the outside's as INPUT (the flow starts OUTPUT
 * first); UDP and ICMP count the inside as the client (ONEWAY until the
 * outside answers) and take the UDP timeouts.
 *
 * ICMP errors about SNAT connections: those quoting TCP or UDP are
 * lb_icmp.c's (its reply-side lookup by local port finds them); those
 * quoting an ICMP echo are translated here, quoted header and all.
 *
 * Control: the store (main lcore) publishes an immutable table of rules
 * by pointer swap with an RCU grace period, like the services.  A rule
 * deleted leaves its connections to expire; new flows no longer match.
 * Port exhaustion (every port of the worker's slice, times the pool,
 * busy towards that outside endpoint) drops the packet as snat_no_port
 * and counts it on the rule.
 */
#ifndef DPLB_LB_SNAT_H
#define DPLB_LB_SNAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ip.h>

#include "core/dp.h"
#include "conn/conn.h"
#include "lb/lb.h"
#include "lb/lb_conf.h"

struct rte_rcu_qsbr;
struct dplb_config;

/** One worker's counters of a rule: written by that worker only. */
struct lb_snat_pcpu {
	uint64_t conns;		/* connections made */
	uint64_t no_port;	/* flows dropped: no free source port */
} __rte_cache_aligned;

/** A rule as the store keeps it (main lcore). */
struct lb_snat_rule {
	TAILQ_ENTRY(lb_snat_rule) next;
	struct lb_snat_conf conf;
	uint32_t id;
	struct lb_snat_pcpu *pcpu;	/* [n_workers] */
};

TAILQ_HEAD(lb_snat_list, lb_snat_rule);

/** A rule as workers read it. */
struct lb_snat_rule_snap {
	rte_be32_t src, src_mask;
	rte_be32_t dst, dst_mask;
	uint8_t proto;			/* 0 = any */
	int16_t iif, oif;		/* dplb port index, -1 = any */
	uint32_t id;
	uint32_t ports_per_worker;	/* 0 = the whole slice */
	uint32_t n_addrs;
	rte_be32_t addrs[LB_SNAT_MAX_ADDRS];
	struct lb_snat_pcpu *pcpu;
};

struct lb_snat_snap {
	uint32_t n;
	struct lb_snat_rule_snap rules[];
};

struct lb_snat_store {
	struct lb_snat_snap *cur;	/* NULL when there is no rule */
	struct lb_snat_list rules;	/* in match order */
	unsigned int n_rules;
	uint32_t next_id;
	unsigned int n_workers;
	struct rte_rcu_qsbr *qsv;
};

/* ---- control (main lcore) ------------------------------------------- */

/** An empty store for n_workers workers on qsv (NULL: no grace period,
 * for tests).  0, -ENOMEM. */
int lb_snat_store_create(struct lb_snat_store **out, unsigned int n_workers,
			 struct rte_rcu_qsbr *qsv);
void lb_snat_store_destroy(struct lb_snat_store *st);

/**
 * Add a rule at the end of the match order (its ports resolved against
 * dp's ports), or delete the rule of the same identity.  0, or -EEXIST,
 * -ENOENT, -EINVAL, -ENODEV (unknown port), -ENOSPC, -ENOMEM with msg.
 */
int lb_snat_add(struct dp_ctx *dp, struct lb_snat_conf *c, char *msg,
		size_t len);
int lb_snat_del(struct dp_ctx *dp, struct lb_snat_conf *c, char *msg,
		size_t len);
/** Delete every rule; how many, or a negative errno. */
int lb_snat_flush(struct dp_ctx *dp, char *msg, size_t len);

/** The rules of dp->cfg, as lb_snat_add() each. */
int lb_snat_apply_config(struct dp_ctx *dp, char *msg, size_t len);

/** A rule's counters summed over the workers. */
void lb_snat_rule_stats(const struct lb_snat_store *st,
			const struct lb_snat_rule *r, struct lb_snat_pcpu *sum);

/** The pool addresses of every rule (IPv4, network order), at most max,
 * for the rte_flow rules; returns how many. */
unsigned int lb_snat_addrs(const struct lb_snat_store *st, rte_be32_t *out,
			   unsigned int max);

/** Pool addresses over all rules, at most (the size lb_snat_addrs
 * needs). */
unsigned int lb_snat_n_addrs(const struct lb_snat_store *st);

/* ---- the packet path (workers) -------------------------------------- */

static inline const struct lb_snat_snap *
lb_snat_get(const struct lb_snat_store *st)
{
	return st == NULL ? NULL : __atomic_load_n(&st->cur, __ATOMIC_ACQUIRE);
}

/** The first rule that takes a packet, or NULL.  iif: the dplb port it
 * came in on; oif: the one its route leaves by. */
static inline const struct lb_snat_rule_snap *
lb_snat_match(const struct lb_snat_snap *s, uint8_t proto, rte_be32_t src,
	      rte_be32_t dst, uint16_t iif, int oif)
{
	const struct lb_snat_rule_snap *r;
	uint32_t i;

	for (i = 0; i < s->n; i++) {
		r = &s->rules[i];
		if ((src & r->src_mask) == r->src &&
		    (dst & r->dst_mask) == r->dst &&
		    (r->proto == 0 || r->proto == proto) &&
		    (r->iif < 0 || r->iif == iif) &&
		    (r->oif < 0 || r->oif == oif))
			return r;
	}
	return NULL;
}

/** lb_snat_match() for the key of a transit packet received on port,
 * its route looked up here (the full path has none at hand). */
const struct lb_snat_rule_snap *
lb_snat_match_route(struct dp_ctx *dp, const struct lb_snat_snap *s,
		    const struct conn_key4 *k, uint16_t port);

/**
 * A TCP or UDP packet from the inside that rule r takes, on its owner
 * (steer_by_client() of its source), its connection looked up (c,
 * reply): sent out translated (a new connection made when c is NULL),
 * or dropped with its reason; LB_PASS when c is another mode's.
 */
enum lb_verdict lb_snat_out(struct dp_ctx *dp, struct dp_worker *w,
			    struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
			    struct l4_view *v,
			    const struct lb_snat_rule_snap *r,
			    const struct conn_key4 *key, struct conn *c,
			    bool reply);

/** A reply of the outside to a pool address:port, c its SNAT
 * connection (found by its out key): back to the inside host. */
void lb_snat_in(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
		struct rte_ipv4_hdr *ip, struct l4_view *v, struct conn *c);

/**
 * An ICMP packet: an echo request from the inside (transit) that a rule
 * takes, an echo reply to a pool address:id, or an error quoting an
 * echo request of a SNAT connection.  LB_PASS for anything else.
 */
enum lb_verdict lb_snat_icmp(struct dp_ctx *dp, struct dp_worker *w,
			     uint16_t port, struct rte_mbuf *m,
			     struct rte_ipv4_hdr *ip, unsigned int ihl,
			     bool transit);

/** Release a SNAT connection (the expiry and flush path). */
void lb_snat_release(struct dp_worker *w, struct conn *c);

#endif /* DPLB_LB_SNAT_H */
