/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * port: DPDK devices for the configured ports and their kernel twins.
 *
 * Queues: a port gets min(workers, device maximum) rx and tx queues, so
 * any worker count runs on any device (net_af_xdp on a veth has one).
 * Queue q of port i belongs to worker (q + i) % workers: ports with
 * fewer queues than workers spread their queues over different workers.
 * A worker polls the rx queues it owns (possibly none: software steering
 * brings it its flows, steer.h) and sends on its own tx queue, or, where
 * it owns none, hands its frames to the owner's tx_ring (dp_txbuf.via),
 * so every tx queue keeps a single writer without locks.  The twin
 * (net_tap) gets a queue pair per worker, up to 4 (queue q: worker q;
 * the others send through worker id % 4; see TWIN_MAX_QUEUES).  Checksum offloads are
 * enabled when the device has them and recorded, so the packet path
 * computes in software otherwise.
 */
#ifndef DPLB_PORT_H
#define DPLB_PORT_H

#include "core/dp.h"

/**
 * EAL arguments the ports need (device allow-list or --no-pci); appends
 * to argv from *argc, at most max entries.  Returns 0 or -E2BIG.
 */
int port_eal_args(const struct dplb_config *cfg, char **argv, int *argc,
		  int max);

/** Probe, configure and start every port and twin; fills dp->ports. */
int port_init_all(struct dp_ctx *dp);

/**
 * Assign rx and tx queues to workers (after port_init_all, before the
 * workers run) and probe each port's flow steering (flow_probe()).
 */
void port_assign_queues(struct dp_ctx *dp);

/** The worker owning queue q (rx or tx) of p. */
static inline unsigned int
port_queue_owner(const struct dp_ctx *dp, const struct dp_port *p,
		 uint16_t q)
{
	return (q + p->q_base) % dp->n_workers;
}

/** The rx queue worker w polls on p, or -1 if it polls none. */
int port_worker_rxq(const struct dp_ctx *dp, const struct dp_port *p,
		    unsigned int w);

/** The tx queue worker w owns on p, or -1 if it hands its frames on. */
int port_worker_txq(const struct dp_ctx *dp, const struct dp_port *p,
		    unsigned int w);

/** Remove flow rules, stop and close every port and twin (flushes pcap
 * outputs). */
void port_close_all(struct dp_ctx *dp);

#endif /* DPLB_PORT_H */
