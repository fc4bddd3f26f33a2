/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pipeline: the per-packet path of a worker, the one place that names
 * both the network stack (net/) and the load balancer (lb/).
 *
 * Each stage ends a packet itself (sends it, hands it on, drops it with
 * a counted reason) or returns a verdict, and the pipeline acts on the
 * verdict, as a graph node hands a packet to its next node:
 *
 *   l2_input()        NET_CONSUMED | NET_LOCAL | NET_TRANSIT | NET_IPV6
 *   NET_LOCAL    ->   lb_input_local():   LB_CONSUMED | LB_PASS -> dp_to_twin()
 *   NET_TRANSIT  ->   lb_input_transit(): LB_CONSUMED | LB_PASS -> ipv4_forward()
 *   NET_IPV6     ->   ipv6_input() (net6/): NET6_CONSUMED | NET6_LOCAL | NET6_TRANSIT
 *   NET6_LOCAL   ->   lb_input_local6():  LB_CONSUMED | LB_PASS -> dp_to_twin()
 *   NET6_TRANSIT ->   ipv6_forward()
 *
 * Lower layers never call up: net/ knows nothing of lb/, and neither
 * calls back into the pipeline.  No locks, no syscalls, no allocation
 * (except copying an ARP request for learning), no logging.
 */
#ifndef DPLB_PIPELINE_H
#define DPLB_PIPELINE_H

#include <rte_mbuf.h>

#include "core/dp.h"

/**
 * A burst received on dplb port `port` (not a twin's): every packet
 * goes where pipeline_input() would send it, in order, with the usual
 * packets classified together and their connections looked up together
 * (lb_burst_lookup()).  Counts rx_bytes.  While a trace is armed
 * (ops/trace.h: one load per burst), a burst holding a packet it
 * matches goes through pipeline_input() a packet at a time instead, the
 * matching ones recorded with the verdicts of each stage.
 */
void pipeline_rx_burst(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
		       struct rte_mbuf **pkts, uint16_t n);

/**
 * Packets other workers steered to this one (m->port: the dplb port
 * they arrived on), each through pipeline_input().  Like
 * pipeline_rx_burst(), it records the packets an armed trace matches
 * (ops/trace.h).
 */
void pipeline_steered(struct dp_ctx *dp, struct dp_worker *w,
		      struct rte_mbuf **pkts, unsigned int n);

/** One packet received on dplb port `port`, through every stage. */
void pipeline_input(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
		    struct rte_mbuf *m);

#endif /* DPLB_PIPELINE_H */
