/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "lb/rate_est.h"

void
rate_est_sample(struct rate_est *e, const uint64_t *cur, unsigned int n,
		uint64_t now_ms)
{
	uint64_t dt = now_ms - e->last_ms;
	unsigned int i;

	if (n > RATE_EST_MAX)
		n = RATE_EST_MAX;
	if (e->primed && dt < RATE_EST_INTERVAL_MS / 2)
		return;
	for (i = 0; e->primed && i < n; i++) {
		double rate = cur[i] >= e->last[i] ?
			(double)(cur[i] - e->last[i]) * 1000.0 / (double)dt : 0;

		e->avg[i] = e->measured ? e->avg[i] + (rate - e->avg[i]) / 4 :
					  rate;
	}
	e->measured = e->primed;
	memcpy(e->last, cur, n * sizeof(cur[0]));
	e->last_ms = now_ms;
	e->primed = true;
}

uint64_t
rate_est_get(const struct rate_est *e, enum rate_est_index i)
{
	if ((unsigned int)i >= RATE_EST_MAX || !e->measured)
		return 0;
	return (uint64_t)(e->avg[i] + 0.5);
}
