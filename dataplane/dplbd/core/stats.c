/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/stats.h"

static const char *const drop_names[DROP_MAX] = {
#define DROP_NAME(e, s) [DROP_##e] = s,
	DPLB_DROP_REASONS(DROP_NAME)
#undef DROP_NAME
};

const char *
drop_reason_name(enum drop_reason r)
{
	return r < DROP_MAX ? drop_names[r] : "unknown";
}

static const char *const sync_drop_names[SYNC_DROP_MAX] = {
#define SYNC_DROP_NAME(e, s) [SYNC_DROP_##e] = s,
	DPLB_SYNC_DROPS(SYNC_DROP_NAME)
#undef SYNC_DROP_NAME
};

const char *
sync_drop_name(enum sync_drop r)
{
	return r < SYNC_DROP_MAX ? sync_drop_names[r] : "unknown";
}
