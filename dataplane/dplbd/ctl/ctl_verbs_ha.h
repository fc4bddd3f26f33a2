/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctl_verbs_ha: what an HA pair needs from dplbd (docs/control-protocol.md).
 *
 *  - vip.add / vip.del / vip.list: VIPs (ha/vip.h); with "lease": true
 *    a VIP belongs to the control connection that added it and is
 *    withdrawn when that connection closes; with "owner": NAME it
 *    belongs to that owner, survives its connection by the grace period
 *    (ha.lease_grace_ms) and is claimed by whoever adds it again as NAME.
 *  - sync.start / sync.stop / sync.list: the connection-sync daemon's
 *    roles (ha/sync.h) as keepalived's lvs_sync_daemon sets them;
 *    sync.stats: its counters.
 *
 * Main lcore only.
 */
#ifndef DPLB_CTL_VERBS_HA_H
#define DPLB_CTL_VERBS_HA_H

#include "ctl/ctl_server.h"

int verb_vip_add(struct ctl_call *c);
int verb_vip_del(struct ctl_call *c);
int verb_vip_list(struct ctl_call *c);
int verb_sync_start(struct ctl_call *c);
int verb_sync_stop(struct ctl_call *c);
int verb_sync_list(struct ctl_call *c);
int verb_sync_stats(struct ctl_call *c);

#endif /* DPLB_CTL_VERBS_HA_H */
