/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * worker: the run-to-completion loop of a worker lcore: rx burst on its
 * queues, the pipeline, frames from the main lcore, tx flush, an RCU
 * quiescent report, and an adaptive idle sleep (exponential back-off
 * after a run of empty polls, capped by dataplane.idle_sleep_max_us,
 * 0 = pure polling, reset by the first packet).
 */
#ifndef DPLB_WORKER_H
#define DPLB_WORKER_H

#include "core/dp.h"

/** Allocate workers, their rings and register them with RCU. */
int worker_init_all(struct dp_ctx *dp);

/** lcore entry point; arg is the struct dp_worker. Returns at dp->quit. */
int worker_main(void *arg);

/** The dp_ctx the workers run on (set by worker_init_all). */
struct dp_ctx *worker_ctx(void);

#endif /* DPLB_WORKER_H */
