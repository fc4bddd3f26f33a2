/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * estimate: the rates behind ipvsadm --rate style views, for services,
 * dests (lb_store_estimate) and workers (connections, rx and tx packets
 * and bytes).  The main lcore samples the workers' counters; nothing
 * runs on a worker.
 */
#ifndef DPLB_ESTIMATE_H
#define DPLB_ESTIMATE_H

#include <stdint.h>

#include "core/dp.h"
#include "lb/rate_est.h"

/** Sample everything if an interval has passed; call from the main
 * loop as often as convenient. */
void dp_estimate_tick(struct dp_ctx *dp, uint64_t now_ms);

/** Worker id's rates: CPS, then rx as "in" and tx as "out". */
const struct rate_est *dp_worker_rate(unsigned int id);

#endif /* DPLB_ESTIMATE_H */
