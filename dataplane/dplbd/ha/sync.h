/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sync: the connection-sync daemon's roles (master and/or backup), as
 * keepalived's lvs_sync_daemon sets them through sync.start/sync.stop.
 * Recorded and reported; the sync itself comes with the HA issue.
 *
 * Main lcore only; the roles are private to this module.
 */
#ifndef DPLB_HA_SYNC_H
#define DPLB_HA_SYNC_H

#include <stdbool.h>
#include <stdint.h>

#include "inet.h"

enum ha_sync_role {
	HA_SYNC_MASTER,
	HA_SYNC_BACKUP,
	HA_SYNC_ROLES,
};

#define HA_SYNC_IFNAMSIZ 16

/** A role's parameters, as keepalived's lvs_sync_daemon gives them;
 * 0 (or family 0) for what was not given. */
struct ha_sync_params {
	char ifname[HA_SYNC_IFNAMSIZ];	/* "" = none */
	uint8_t syncid;
	uint16_t maxlen;		/* sync_maxlen */
	struct inet_addr mcast_group;
	uint16_t mcast_port;
	uint8_t mcast_ttl;
};

/** "master", "backup". */
const char *ha_sync_role_name(enum ha_sync_role role);

/** The role called name, or -EINVAL. */
int ha_sync_role_parse(const char *name);

/** Start role with p; a running role restarts with the new parameters,
 * so that a client pushing its state again needs no stop first. */
void ha_sync_start(enum ha_sync_role role, const struct ha_sync_params *p);

/** Stop role: 0, or -ESRCH if it does not run. */
int ha_sync_stop(enum ha_sync_role role);

/** role's parameters and since when (dp_now_ms()) it runs, or NULL. */
const struct ha_sync_params *ha_sync_get(enum ha_sync_role role,
					 uint64_t *since_ms);

#endif /* DPLB_HA_SYNC_H */
