/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rate_est: smoothed per-second rates of monotonic counters, as IPVS's
 * estimator gives ipvsadm --rate.  The owner samples the counters every
 * RATE_EST_INTERVAL_MS or so (main lcore, never a worker); each
 * interval's rate is folded into an exponentially weighted average with
 * weight 1/4, the first interval taken as it is so that a new object
 * shows its rate at once.  A counter that goes backwards (a reset)
 * counts as zero for that interval.
 */
#ifndef DPLB_RATE_EST_H
#define DPLB_RATE_EST_H

#include <stdbool.h>
#include <stdint.h>

#define RATE_EST_INTERVAL_MS 2000
#define RATE_EST_MAX 5

/* The five rates of a service, a dest or a worker, in this order. */
enum rate_est_index {
	RATE_CPS,	/* connections per second */
	RATE_INPPS,	/* packets per second, client to server */
	RATE_OUTPPS,	/* packets per second, server to client */
	RATE_INBPS,	/* bytes per second (as ipvsadm), in */
	RATE_OUTBPS,	/* bytes per second, out */
};

struct rate_est {
	uint64_t last[RATE_EST_MAX];	/* counters at the last sample */
	uint64_t last_ms;
	double avg[RATE_EST_MAX];	/* per second */
	bool primed;			/* last[] holds a sample */
	bool measured;			/* avg[] holds an interval's rate */
};

/**
 * Take a sample of n (<= RATE_EST_MAX) counters at now_ms.  Samples
 * less than half an interval after the last one are ignored.
 */
void rate_est_sample(struct rate_est *e, const uint64_t *cur, unsigned int n,
		     uint64_t now_ms);

/** Rate i, per second, rounded (0 before two samples). */
uint64_t rate_est_get(const struct rate_est *e, enum rate_est_index i);

#endif /* DPLB_RATE_EST_H */
