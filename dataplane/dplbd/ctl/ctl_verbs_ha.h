/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctl_verbs_ha: what an HA pair needs from dplbd (docs/control-protocol.md).
 *
 *  - vip.add / vip.del / vip.list: VIPs, i.e. /32 addresses on a port
 *    (local route, twin address, gratuitous ARPs) that may be leased:
 *    a leased VIP belongs to the control connection that added it and is
 *    withdrawn when that connection closes, so that a keepalived that
 *    dies takes its VIPs with it and the pair never holds one twice.
 *  - sync.start / sync.stop / sync.list: the connection-sync daemon's
 *    role (master and/or backup) as keepalived's lvs_sync_daemon sets
 *    it.  Recorded and reported; the sync itself comes later.
 *
 * Main lcore only; the tables are private to this module.
 */
#ifndef DPLB_CTL_VERBS_HA_H
#define DPLB_CTL_VERBS_HA_H

#include <stdbool.h>

#include "ctl/ctl_server.h"
#include "inet.h"

int ha_vip_add(struct ctl_call *c);
int ha_vip_del(struct ctl_call *c);
int ha_vip_list(struct ctl_call *c);
int ha_sync_start(struct ctl_call *c);
int ha_sync_stop(struct ctl_call *c);
int ha_sync_list(struct ctl_call *c);

/** Is addr on port a VIP (so that addr.del must not remove it)? */
bool ha_is_vip(unsigned int port, const struct inet_addr *addr);

#endif /* DPLB_CTL_VERBS_HA_H */
