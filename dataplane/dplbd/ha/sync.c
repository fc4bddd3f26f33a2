/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include "core/dp.h"
#include "ha/sync.h"
#include "log.h"

static const char *const role_names[HA_SYNC_ROLES] = {
	[HA_SYNC_MASTER] = "master",
	[HA_SYNC_BACKUP] = "backup",
};

static struct {
	bool running;
	struct ha_sync_params params;
	uint64_t since_ms;
} roles[HA_SYNC_ROLES];

const char *
ha_sync_role_name(enum ha_sync_role role)
{
	return role < HA_SYNC_ROLES ? role_names[role] : "?";
}

int
ha_sync_role_parse(const char *name)
{
	int i;

	for (i = 0; i < HA_SYNC_ROLES; i++)
		if (strcmp(name, role_names[i]) == 0)
			return i;
	return -EINVAL;
}

void
ha_sync_start(enum ha_sync_role role, const struct ha_sync_params *p)
{
	roles[role].running = true;
	roles[role].params = *p;
	roles[role].since_ms = dp_now_ms();
	LOG_NOTICE("sync daemon: %s role started (interface %s, syncid %u)",
		   role_names[role], p->ifname[0] ? LOG_STR(p->ifname) : "-",
		   p->syncid);
}

int
ha_sync_stop(enum ha_sync_role role)
{
	if (!roles[role].running)
		return -ESRCH;
	roles[role].running = false;
	LOG_NOTICE("sync daemon: %s role stopped", role_names[role]);
	return 0;
}

const struct ha_sync_params *
ha_sync_get(enum ha_sync_role role, uint64_t *since_ms)
{
	if (!roles[role].running)
		return NULL;
	*since_ms = roles[role].since_ms;
	return &roles[role].params;
}
