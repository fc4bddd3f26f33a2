/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * supervise: dplbd under a service manager (systemd, Type=notify), on
 * the main lcore.
 *
 *   READY=1     once the ports are started and the workers launched,
 *               with STATUS= a one-line summary (ports up, workers,
 *               services, connections), refreshed when it changes;
 *   WATCHDOG=1  every half of the manager's WatchdogSec, but only while
 *               every worker keeps reporting RCU quiescent states: a
 *               worker stuck in a loop stops the pings, and the manager
 *               restarts dplbd;
 *   SIGHUP      RELOADING=1, reload_config() (reload.h), READY=1;
 *   STOPPING=1  when shutting down.
 *
 * Without $NOTIFY_SOCKET only SIGHUP does anything.  DPDK's own log
 * lines are routed through eal_log.h from here too, so that under
 * systemd they reach the journal once, with their priority.
 */
#ifndef DPLB_SUPERVISE_H
#define DPLB_SUPERVISE_H

#include "core/dp.h"

/** Before rte_eal_init (no threads yet): environment, SIGHUP, logs. */
void supervise_init(void);

/** Ports and workers run: READY=1 and the first STATUS=. */
void supervise_ready(struct dp_ctx *dp);

/** Each main-loop turn: a pending reload, watchdog, status; cheap. */
void supervise_tick(struct dp_ctx *dp);

/** Shutdown begins: STOPPING=1. */
void supervise_stopping(struct dp_ctx *dp);

#endif /* DPLB_SUPERVISE_H */
