/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * port: DPDK devices for the configured ports and their kernel twins.
 * Every port gets one tx queue per worker (each queue has one writer)
 * and up to one rx queue per worker; the twin (net_tap) gets one queue
 * pair per worker.  Checksum offloads are enabled when the device has
 * them and recorded, so the packet path computes in software otherwise.
 */
#ifndef DPLB_PORT_H
#define DPLB_PORT_H

#include "dp.h"

/**
 * EAL arguments the ports need (device allow-list or --no-pci); appends
 * to argv from *argc, at most max entries.  Returns 0 or -E2BIG.
 */
int port_eal_args(const struct dplb_config *cfg, char **argv, int *argc,
		  int max);

/** Probe, configure and start every port and twin; fills dp->ports. */
int port_init_all(struct dp_ctx *dp);

/** Assign rx queues to workers (after port_init_all). */
void port_assign_queues(struct dp_ctx *dp);

/** Stop and close every port and twin (flushes pcap outputs). */
void port_close_all(struct dp_ctx *dp);

#endif /* DPLB_PORT_H */
