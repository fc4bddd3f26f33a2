/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dplbd's own start-up, for the benchmark: this file compiles
 * dataplane/dplbd/main.c with its main() renamed, so that the harness
 * starts DPDK and builds the dataplane with exactly the code dplbd runs
 * (eal_start(), dp_init()), not a copy that could drift from it.  If
 * main.c renames those functions, this file stops compiling, loudly.
 */
#include "bench.h"

int dplbd_main(int argc, char **argv);
#define main dplbd_main
#include "main.c"
#undef main

struct dp_ctx *
bench_dp_start(struct dplb_config *cfg)
{
	log_set_level(cfg->log_level);
	if (eal_start(cfg) != 0 || dp_init(&the_dp, cfg) != 0)
		return NULL;
	return &the_dp;
}

void
bench_dp_stop(struct dp_ctx *dp)
{
	ctl_verbs_lb_fini(dp);
	port_close_all(dp);
	rte_eal_cleanup();
}
