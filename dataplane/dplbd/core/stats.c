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
