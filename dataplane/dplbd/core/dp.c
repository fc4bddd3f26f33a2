/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dp: the dataplane context's life (core/dp.h): start (EAL, memory,
 * tables, workers, ports, then the config's addresses, routes and
 * services), the workers' launch, and the stop.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>

#include "core/dp.h"
#include "core/eal.h"
#include "core/port.h"
#include "core/worker.h"
#include "lb/lb.h"
#include "log.h"
#include "net/net.h"
#include "net/netcfg.h"
#include "net/slowpath.h"
#include "net6/nd.h"
#include "net6/netcfg6.h"

uint64_t
dp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
dp_port_by_name(const struct dp_ctx *dp, const char *name)
{
	unsigned int i;

	for (i = 0; i < dp->n_ports; i++)
		if (strcmp(dp->ports[i].name, name) == 0)
			return (int)i;
	return -1;
}

static void
read_boot_id(char *buf, size_t len)
{
	FILE *f = fopen("/proc/sys/kernel/random/uuid", "r");

	if (f == NULL || fgets(buf, (int)len, f) == NULL)
		snprintf(buf, len, "%016llx", (unsigned long long)rte_rdtsc());
	buf[strcspn(buf, "\n")] = '\0';
	if (f != NULL)
		fclose(f);
}

static int
dp_alloc_shared(struct dp_ctx *dp)
{
	static const struct rte_mbuf_dynfield meta_desc = {
		.name = "dplb_slow_meta",
		.size = sizeof(struct slow_meta),
		.align = __alignof__(struct slow_meta),
	};
	size_t qsv_size = rte_rcu_qsbr_get_memsize(dp->n_workers);

	dp->pool = rte_pktmbuf_pool_create("dplb_mbufs", dp->cfg->mbufs, 256, 0,
					   RTE_MBUF_DEFAULT_BUF_SIZE,
					   (int)rte_socket_id());
	dp->slow_meta_off = rte_mbuf_dynfield_register(&meta_desc);
	dp->qsv = rte_zmalloc("dplb_qsv", qsv_size, RTE_CACHE_LINE_SIZE);
	dp->slow_ring = rte_ring_create("dplb_slow", DP_SLOW_RING_SIZE,
					(int)rte_socket_id(), RING_F_SC_DEQ);
	if (dp->pool == NULL || dp->slow_meta_off < 0 || dp->qsv == NULL ||
	    dp->slow_ring == NULL) {
		LOG_ERR("cannot allocate dataplane memory: %s",
			rte_strerror(rte_errno));
		return -ENOMEM;
	}
	return rte_rcu_qsbr_init(dp->qsv, dp->n_workers);
}

static int
dp_tables_init(struct dp_ctx *dp)
{
	const struct dplb_config *cfg = dp->cfg;
	struct neigh_params np = {
		.reachable_ms = cfg->neigh_reachable_ms,
		.retrans_ms = cfg->neigh_retrans_ms,
		.probes = cfg->neigh_probes,
		.queue_len = cfg->neigh_queue_len,
	};
	struct neigh_ops ops = nd_neigh_ops(dp);
	int ret;

	ret = route_table_init(&dp->routes, "dplb_routes", cfg->max_routes,
			       dp->qsv);
	if (ret == 0)
		ret = route6_table_init(&dp->routes6, "dplb_rt6",
					cfg->max_routes, dp->qsv);
	if (ret == 0)
		ret = neigh_table_init(&dp->neigh, "dplb_neigh", cfg->neigh_max,
				       &np, &ops, dp->qsv);
	if (ret == 0)
		ret = frag_init(dp);
	if (ret != 0)
		LOG_ERR("cannot create routing tables: %s", strerror(-ret));
	return ret;
}

static int
dp_init(struct dp_ctx *dp, struct dplb_config *cfg)
{
	char msg[CFG_ERR_LEN] = "";
	int ret;

	dp->cfg = cfg;
	dp->n_workers = cfg->workers;
	dp->burst = cfg->burst;
	dp->idle_sleep_max_us = cfg->idle_sleep_max_us;
	dp->ip_forward = cfg->ip_forward;
	dp->main_lcore = rte_get_main_lcore();
	dp->start_ms = dp_now_ms();
	read_boot_id(dp->boot_id, sizeof(dp->boot_id));
	if (rte_lcore_count() != cfg->workers + 1) {
		LOG_ERR("EAL gave %u lcores, need %u", rte_lcore_count(),
			cfg->workers + 1);
		return -EINVAL;
	}
	if ((ret = dp_alloc_shared(dp)) != 0 || (ret = dp_tables_init(dp)) != 0 ||
	    (ret = worker_init_all(dp)) != 0 || (ret = port_init_all(dp)) != 0)
		return ret;
	port_assign_queues(dp);
	ret = netcfg6_apply_config(dp, msg, sizeof(msg));
	if (ret == 0)
		ret = lb_start(dp, msg, sizeof(msg));
	if (ret != 0)
		LOG_ERR("%s: %s", cfg->path, msg);
	return ret;
}

int
dp_start(struct dp_ctx *dp, struct dplb_config *cfg)
{
	int ret = eal_start(cfg);

	return ret != 0 ? ret : dp_init(dp, cfg);
}

void
dp_launch_workers(struct dp_ctx *dp)
{
	unsigned int lcore, i = 0;

	RTE_LCORE_FOREACH_WORKER(lcore)
		rte_eal_remote_launch(worker_main, &dp->workers[i++], lcore);
}

void
dp_wait_workers(struct dp_ctx *dp)
{
	dp->quit = true;
	rte_eal_mp_wait_lcore();
}

void
dp_stop(struct dp_ctx *dp)
{
	dp_wait_workers(dp);
	lb_stop(dp);
	port_close_all(dp);
	frag_free(dp);
	rte_eal_cleanup();
}
