/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "lb/estimate.h"
#include "lb/lb_svc.h"

static struct rate_est worker_est[DP_MAX_WORKERS];
static uint64_t next_ms;

static void
worker_sample(const struct dp_worker *w, uint64_t now_ms)
{
	const struct lcore_stats *s = &w->stats;
	const uint64_t cur[RATE_EST_MAX] = {
		[RATE_CPS] = __atomic_load_n(&s->conns_new, __ATOMIC_RELAXED),
		[RATE_INPPS] = __atomic_load_n(&s->rx_packets, __ATOMIC_RELAXED),
		[RATE_OUTPPS] = __atomic_load_n(&s->tx_packets, __ATOMIC_RELAXED),
		[RATE_INBPS] = __atomic_load_n(&s->rx_bytes, __ATOMIC_RELAXED),
		[RATE_OUTBPS] = __atomic_load_n(&s->tx_bytes, __ATOMIC_RELAXED),
	};

	rate_est_sample(&worker_est[w->id], cur, RATE_EST_MAX, now_ms);
}

void
dp_estimate_tick(struct dp_ctx *dp, uint64_t now_ms)
{
	unsigned int i;

	if (now_ms < next_ms)
		return;
	next_ms = now_ms + RATE_EST_INTERVAL_MS;
	for (i = 0; i < dp->n_workers && i < DP_MAX_WORKERS; i++)
		worker_sample(&dp->workers[i], now_ms);
	if (dp->lb != NULL)
		lb_store_estimate(dp->lb, now_ms);
}

const struct rate_est *
dp_worker_rate(unsigned int id)
{
	static const struct rate_est none;

	return id < DP_MAX_WORKERS ? &worker_est[id] : &none;
}
