/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stage_cycles: the per-lcore blocks of the diagnostic build
 * (stage_cycles.h); empty in any other.
 */
#include "core/stage_cycles.h"

#ifdef DPLB_STAGE_CYCLES
#include <string.h>

#include <rte_lcore.h>

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
