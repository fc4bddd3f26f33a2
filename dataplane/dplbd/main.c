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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/dp.h"
#include "core/hugepages.h"
#include "core/supervise.h"
#include "ctl/ctl_server.h"
#include "ctl/ctl_verbs_lb.h"
#include "ha/sync.h"
#include "ha/vip.h"
#include "lb/lb_svc.h"
#include "log.h"
#include "net/slowpath.h"
#include "ops/hostcheck.h"
#include "ops/metrics.h"
#include "version.h"

/* The main loop's longest wait when idle; slow-path packets (ARP,
 * neighbour waits) are served within this. */
#define CTL_POLL_MS 2

static struct dp_ctx the_dp;

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
		"Usage: dplbd [-c FILE] [--check-config [--file-only]]\n"
		"             [--reserve-hugepages] [--version] [--help]\n"
		"  -c, --config FILE   configuration (default %s)\n"
		"  -t, --check-config  validate the configuration and the\n"
		"                      devices it names on this host, and exit\n"
		"  --file-only         with -t: the file alone, not the host\n"
		"  --reserve-hugepages raise the system's 2 MiB hugepages to\n"
		"                      eal.nr_hugepages and exit\n"
		"  -V, --version       print the version and exit\n"
		"  -h, --help          this text\n",
		CFG_DEFAULT_PATH);
}

struct options {
	const char *config;
	bool check_only;
	bool file_only;		/* --check-config without the host */
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
		{ "file-only", no_argument, NULL, 'F' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->config = CFG_DEFAULT_PATH;
	o->check_only = false;
	o->file_only = false;
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
		case 'F':
			o->file_only = true;
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

static void
main_loop(struct dp_ctx *dp, struct ctl_server *srv, struct metrics_server *ms)
{
	unsigned int busy = 0;
	uint64_t next_gc = 0;

	while (!dp->quit) {
		ctl_server_poll(srv, busy ? 0 : CTL_POLL_MS);
		busy = slowpath_drain(dp);
		busy += ha_sync_tick(dp);
		slowpath_tick(dp);
		dp_estimate_tick(dp, dp_now_ms());
		supervise_tick(dp);
		metrics_poll(ms);
		ha_vip_tick(dp, dp_now_ms());	/* orphaned leases expire */
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

/*
 * A configuration or host error: on the terminal as "dplbd: <error>";
 * in the journal at err priority with the way to check the file, so
 * that journalctl -p warning and systemctl status show the cause.
 */
static void
config_error(const struct options *o, const char *err)
{
	if (!log_to_journal()) {
		fprintf(stderr, "dplbd: %s\n", err);
		return;
	}
	LOG_ERR("%s", err);
	LOG_ERR("not started: fix %s (dplbd --check-config -c %s checks it)",
		o->config, o->config);
}

static int
load_config(const struct options *o, struct dplb_config *cfg)
{
	char err[CFG_ERR_LEN + CFG_AT_LEN];

	if (config_load(o->config, cfg, err, sizeof(err)) != 0) {
		/* The hugepage step before the start: the start reports it,
		 * so that the failure is the daemon's, not the hugepages'. */
		if (o->reserve_hugepages && !o->check_only) {
			LOG_NOTICE("hugepages: %s has an error; dplbd reports it "
				   "when it starts", o->config);
			return 1;
		}
		config_error(o, err);
		return -1;
	}
	log_set_level(cfg->log_level);
	if (o->reserve_hugepages || (o->check_only && o->file_only))
		return 0;
	if (hostcheck_devices(cfg, err, sizeof(err)) != 0) {
		config_error(o, err);
		return -1;
	}
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
	struct metrics_server *ms;
	const struct ctl_method *methods;
	size_t n_methods;
	uint64_t t0 = dp_now_ms();

	install_signals();
	supervise_init();
	if (dp_start(dp, cfg) != 0)
		return EXIT_FAILURE;
	ha_sync_init(dp);
	slowpath_on_claim(ha_vip_claimed);	/* the peer took a VIP over */
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
	if (metrics_start(dp, &ms) != 0)
		return EXIT_FAILURE;
	hostcheck_kernel(cfg);
	dp_launch_workers(dp);
	LOG_NOTICE("dplbd %s ready in %llu ms: %u ports, %u workers, control %s",
		   DPLB_VERSION, (unsigned long long)(dp_now_ms() - t0),
		   dp->n_ports, dp->n_workers, cfg->control_socket);
	supervise_ready(dp);
	main_loop(dp, srv, ms);
	LOG_NOTICE("shutting down");
	supervise_stopping(dp);
	ha_sync_shutdown(dp);
	dp_wait_workers(dp);
	metrics_stop(ms);
	ctl_server_destroy(srv);
	dp_stop(dp);
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
	ret = load_config(&o, &cfg);
	if (ret != 0)
		return ret > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
	if (o.check_only) {
		printf("%s: configuration is valid\n", o.config);
		return EXIT_SUCCESS;
	}
	if (o.reserve_hugepages)
		return reserve_hugepages(&cfg);
	return run(&cfg);
}
