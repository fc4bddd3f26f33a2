/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dplbd: the dplb dataplane daemon.  main() loads the config, starts
 * DPDK, builds the dataplane context, launches one worker per worker
 * lcore and then runs the control loop on the main lcore until SIGTERM
 * or SIGINT.  SIGHUP reloads the configuration, and a service manager
 * hears how it goes (supervise.h).
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>

#include "config/config.h"
#include "ctl/ctl_server.h"
#include "ctl/ctl_verbs.h"
#include "ctl/ctl_verbs_lb.h"
#include "core/dp.h"
#include "lb/estimate.h"
#include "core/eal.h"
#include "core/hugepages.h"
#include "lb/lb.h"
#include "lb/lb_svc.h"
#include "log.h"
#include "net/netcfg.h"
#include "core/port.h"
#include "net/slowpath.h"
#include "core/supervise.h"
#include "version.h"
#include "core/worker.h"

#define MAX_EAL_ARGV 96
/* The main loop's longest wait when idle; slow-path packets (ARP,
 * neighbour waits) are served within this. */
#define CTL_POLL_MS 2

static struct dp_ctx the_dp;

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
on_signal(int sig)
{
	(void)sig;
	the_dp.quit = true;
}

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: dplbd [-c FILE] [--check-config] [--reserve-hugepages]\n"
		"             [--version] [--help]\n"
		"  -c, --config FILE   configuration (default %s)\n"
		"  -t, --check-config  validate the configuration and exit\n"
		"  --reserve-hugepages raise the system's 2 MiB hugepages to\n"
		"                      eal.nr_hugepages and exit\n"
		"  -V, --version       print the version and exit\n"
		"  -h, --help          this text\n",
		CFG_DEFAULT_PATH);
}

struct options {
	const char *config;
	bool check_only;
	bool reserve_hugepages;
};

/* Returns 0 to go on, 1 to exit successfully, -1 on a usage error. */
static int
parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 't' },
		{ "reserve-hugepages", no_argument, NULL, 'H' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->config = CFG_DEFAULT_PATH;
	o->check_only = false;
	o->reserve_hugepages = false;
	while ((c = getopt_long(argc, argv, "c:tVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 't':
			o->check_only = true;
			break;
		case 'H':
			o->reserve_hugepages = true;
			break;
		case 'V':
			printf("dplbd %s\n", DPLB_VERSION);
			return 1;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -1;
	}
	return 0;
}

/* The cpus lcores may run on: the config's list or our affinity. */
static int
cpu_list(const struct dplb_config *cfg, int *cpus, int max)
{
	cpu_set_t set;
	int n = 0, i;

	if (cfg->cpus[0] != '\0') {
		const char *p = cfg->cpus;

		while (*p != '\0' && n < max) {
			char *end;
			long lo = strtol(p, &end, 10), hi = lo;

			if (*end == '-')
				hi = strtol(end + 1, &end, 10);
			for (i = (int)lo; i <= hi && n < max; i++)
				cpus[n++] = i;
			p = *end == ',' ? end + 1 : end;
		}
		return n;
	}
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return 0;
	for (i = 0; i < CPU_SETSIZE && n < max; i++)
		if (CPU_ISSET(i, &set))
			cpus[n++] = i;
	return n;
}

/* Lcore 0 is the main lcore, 1..workers the workers, spread over the
 * cpus round-robin so that small machines can still run several. */
static void
lcore_map(const struct dplb_config *cfg, char *buf, size_t len)
{
	int cpus[256], n = cpu_list(cfg, cpus, 256);
	size_t off = 0;
	unsigned int l;

	if (n == 0) {
		cpus[0] = 0;
		n = 1;
	}
	for (l = 0; l <= cfg->workers && off < len; l++)
		off += (size_t)snprintf(buf + off, len - off, "%s%u@%d",
					l ? "," : "", l, cpus[l % n]);
}

static int
eal_start(const struct dplb_config *cfg)
{
	static char lcores[1024], mem[32], loglvl[32];
	char *argv[MAX_EAL_ARGV];
	int argc = 0, ret;
	unsigned int i;

	argv[argc++] = (char *)"dplbd";
	lcore_map(cfg, lcores, sizeof(lcores));
	argv[argc++] = (char *)"--lcores";
	argv[argc++] = lcores;
	if (cfg->hugepages) {
		argv[argc++] = (char *)"--in-memory";
	} else {
		argv[argc++] = (char *)"--no-huge";
		argv[argc++] = (char *)"--no-shconf";
	}
	if (cfg->memory_mb != 0 || !cfg->hugepages) {
		snprintf(mem, sizeof(mem), "%u",
			 cfg->memory_mb ? cfg->memory_mb : 512);
		argv[argc++] = (char *)"-m";
		argv[argc++] = mem;
	}
	snprintf(loglvl, sizeof(loglvl), "--log-level=%u",
		 eal_log_level(cfg->log_level));
	argv[argc++] = loglvl;
	if (port_eal_args(cfg, argv, &argc, MAX_EAL_ARGV - CFG_MAX_EAL_ARGS - 1))
		return -E2BIG;
	for (i = 0; i < cfg->n_eal_args; i++)
		argv[argc++] = (char *)cfg->eal_args[i];
	argv[argc] = NULL;
	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		LOG_ERR("DPDK EAL init failed: %s", rte_strerror(rte_errno));
		return -rte_errno;
	}
	return 0;
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
	struct neigh_ops ops = slowpath_neigh_ops(dp);
	int ret;

	ret = route_table_init(&dp->routes, "dplb_routes", cfg->max_routes,
			       dp->qsv);
	if (ret == 0)
		ret = neigh_table_init(&dp->neigh, "dplb_neigh", cfg->neigh_max,
				       &np, &ops, dp->qsv);
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
	    (ret = worker_init_all(dp)) != 0 || (ret = lb_init_workers(dp)) != 0 ||
	    (ret = port_init_all(dp)) != 0)
		return ret;
	port_assign_queues(dp);
	ret = netcfg_apply_config(dp, msg, sizeof(msg));
	if (ret == 0)
		ret = ctl_verbs_lb_init(dp, msg, sizeof(msg));
	if (ret != 0)
		LOG_ERR("%s: %s", cfg->path, msg);
	return ret;
}

static void
launch_workers(struct dp_ctx *dp)
{
	unsigned int lcore, i = 0;

	RTE_LCORE_FOREACH_WORKER(lcore)
		rte_eal_remote_launch(worker_main, &dp->workers[i++], lcore);
}

static void
main_loop(struct dp_ctx *dp, struct ctl_server *srv)
{
	unsigned int busy = 0;
	uint64_t next_gc = 0;

	while (!dp->quit) {
		ctl_server_poll(srv, busy ? 0 : CTL_POLL_MS);
		busy = slowpath_drain(dp);
		slowpath_tick(dp);
		dp_estimate_tick(dp, dp_now_ms());
		supervise_tick(dp);
		if (dp_now_ms() >= next_gc) {
			/* Free deleted real servers no connection uses. */
			lb_store_gc(dp->lb);
			next_gc = dp_now_ms() + 1000;
		}
	}
}

static void
install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int
load_config(const struct options *o, struct dplb_config *cfg)
{
	char err[CFG_ERR_LEN];

	if (config_load(o->config, cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "dplbd: %s\n", err);
		return -1;
	}
	log_set_level(cfg->log_level);
	return 0;
}

static int
reserve_hugepages(const struct dplb_config *cfg)
{
	char msg[512];
	int ret = hugepages_reserve(cfg, HUGEPAGES_SYSFS, msg, sizeof(msg));

	if (ret != 0)
		LOG_ERR("hugepages: %s", msg);
	else
		LOG_NOTICE("hugepages: %s", msg);
	return ret != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

static int
run(struct dplb_config *cfg)
{
	struct dp_ctx *dp = &the_dp;
	struct ctl_server *srv;
	const struct ctl_method *methods;
	size_t n_methods;
	uint64_t t0 = dp_now_ms();

	install_signals();
	supervise_init();
	if (eal_start(cfg) != 0 || dp_init(dp, cfg) != 0)
		return EXIT_FAILURE;
	methods = ctl_verbs_with_lb(&n_methods);
	srv = ctl_server_create(cfg->control_socket, cfg->socket_mode,
				cfg->socket_group, methods, n_methods, dp);
	if (srv == NULL) {
		LOG_ERR("control socket %s: %s", cfg->control_socket,
			strerror(errno));
		return EXIT_FAILURE;
	}
	ctl_server_set_limits(srv, &(struct ctl_limits){
		.max_clients = CTL_DEFAULT_MAX_CLIENTS,
		.root_slots = cfg->control_root_slots,
		.max_per_uid = cfg->control_max_per_uid,
		.idle_timeout_ms = cfg->control_idle_timeout * 1000,
	});
	launch_workers(dp);
	LOG_NOTICE("dplbd %s ready in %llu ms: %u ports, %u workers, control %s",
		   DPLB_VERSION, (unsigned long long)(dp_now_ms() - t0),
		   dp->n_ports, dp->n_workers, cfg->control_socket);
	supervise_ready(dp);
	main_loop(dp, srv);
	LOG_NOTICE("shutting down");
	supervise_stopping(dp);
	rte_eal_mp_wait_lcore();
	ctl_server_destroy(srv);
	ctl_verbs_lb_fini(dp);
	port_close_all(dp);
	rte_eal_cleanup();
	return EXIT_SUCCESS;
}

int
main(int argc, char **argv)
{
	static struct dplb_config cfg;
	struct options o;
	int ret = parse_options(argc, argv, &o);

	if (ret != 0)
		return ret > 0 ? EXIT_SUCCESS : 2;
	if (load_config(&o, &cfg) != 0)
		return EXIT_FAILURE;
	if (o.check_only) {
		printf("%s: configuration is valid\n", o.config);
		return EXIT_SUCCESS;
	}
	if (o.reserve_hugepages)
		return reserve_hugepages(&cfg);
	return run(&cfg);
}
