/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include <rte_lcore.h>

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

#ifdef DPLB_STAGE_CYCLES
/* ---- cycles by stage (stats.h): the per-lcore blocks ---- */

__thread struct stage_cycles stage_cycles_mine;

static struct stage_cycles *blocks[RTE_MAX_LCORE];

void
stage_cycles_register(void)
{
	unsigned int id = rte_lcore_id();

	if (id < RTE_MAX_LCORE)
		__atomic_store_n(&blocks[id], &stage_cycles_mine,
				 __ATOMIC_RELEASE);
}

bool
stage_cycles_sum(struct stage_cycles *sum)
{
	unsigned int i, s;

	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < RTE_MAX_LCORE; i++) {
		const struct stage_cycles *b =
			__atomic_load_n(&blocks[i], __ATOMIC_ACQUIRE);

		if (b == NULL)
			continue;
		/* another lcore's running sums: each word is read whole */
		for (s = 0; s < STAGE_COUNT; s++)
			sum->cycles[s] += __atomic_load_n(&b->cycles[s],
							  __ATOMIC_RELAXED);
		sum->pkts += __atomic_load_n(&b->pkts, __ATOMIC_RELAXED);
	}
	return true;
}
#endif
