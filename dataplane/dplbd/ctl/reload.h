/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * reload: apply an edited dplbd.conf to the running dplbd (SIGHUP, which
 * is what `systemctl reload dplbd` sends).
 *
 * The whole file is read and validated first: a file with an error
 * changes nothing.  Then the keys that can change without restarting
 * DPDK are applied:
 *   global.log_level                        dplbd's and DPDK's level
 *   neigh.reachable_ms, retrans_ms, probes  for the next timer runs
 *   ports[].addresses, routes, neigh.static added and deleted
 * Addresses, routes and static neighbours are compared with the file
 * dplbd applied last (at start or at the previous reload), so what was
 * added or deleted through the control socket in between is left
 * alone unless the file itself changed it.
 *
 * Every other key needs a restart: eal, dataplane, ip, timeouts, the
 * ports themselves, neigh.max and queue_len, the control socket, and
 * laddr_groups and services (which change at run time through the
 * control socket, from keepalived or dplbctl).  A reload that finds
 * such a change applies the rest and logs a warning naming the groups
 * it kept.  docs/config.md lists the same.
 *
 * Main lcore only.
 */
#ifndef DPLB_RELOAD_H
#define DPLB_RELOAD_H

#include "core/dp.h"

/**
 * Reload dp->cfg->path into dp->cfg.  0 when everything was applied;
 * -EINVAL when the file is invalid (nothing changed); otherwise the
 * first failure of an item, the other items being applied anyway.
 * Every outcome is logged.
 */
int reload_config(struct dp_ctx *dp);

#endif /* DPLB_RELOAD_H */
