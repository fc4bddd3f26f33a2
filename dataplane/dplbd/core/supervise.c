/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_ethdev.h>
#include <rte_rcu_qsbr.h>

#include "conn/conn.h"
#include "core/eal.h"
#include "lb/lb_svc.h"
#include "log.h"
#include "core/notify.h"
#include "ctl/reload.h"
#include "core/supervise.h"

#define STATUS_EVERY_MS 1000
#define STATUS_LEN 256

static int reload_pending;		/* set by SIGHUP, atomics */
static bool reload_failed;		/* the last reload had errors */
static uint64_t next_status_ms;
static char last_status[STATUS_LEN];

static uint64_t wd_every_ms;		/* 0: no watchdog */
static uint64_t wd_next_ms;
static uint64_t wd_token;		/* RCU token the workers must pass */
static bool wd_have_token;
static bool wd_stalled;

static void
on_sighup(int sig)
{
	(void)sig;
	__atomic_store_n(&reload_pending, 1, __ATOMIC_RELAXED);
}

void
supervise_init(void)
{
	struct sigaction sa = { .sa_handler = on_sighup };
	int ret = notify_init();

	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	if (eal_log_init() != 0)
		LOG_WARN("cannot route DPDK's messages: they keep DPDK's format");
	if (ret != 0)
		LOG_WARN("NOTIFY_SOCKET is unusable (%s): running without "
			 "service manager notifications", strerror(-ret));
	wd_every_ms = notify_watchdog_usec() / 2000;
	if (notify_enabled())
		LOG_INFO("service manager: notifications on, watchdog %s",
			 wd_every_ms ? "on" : "off");
}

/* "1 port (1 up), 2 workers, 3 services, 42 connections" */
static void
status_line(const struct dp_ctx *dp, char *buf, size_t len)
{
	struct rte_eth_link link;
	unsigned int i, up = 0;
	uint64_t conns = 0;

	for (i = 0; i < dp->n_ports; i++)
		if (rte_eth_link_get_nowait(dp->ports[i].port_id, &link) == 0 &&
		    link.link_status == RTE_ETH_LINK_UP)
			up++;
	/* A worker's count, read without its cooperation: a snapshot. */
	for (i = 0; i < dp->n_workers; i++)
		if (dp->workers[i].conns != NULL)
			conns += conn_count(dp->workers[i].conns);
	snprintf(buf, len,
		 "%s%u port%s (%u up), %u worker%s, %u service%s, "
		 "%llu connection%s",
		 reload_failed ? "last reload failed (see the log); " : "",
		 dp->n_ports, dp->n_ports == 1 ? "" : "s", up, dp->n_workers,
		 dp->n_workers == 1 ? "" : "s", dp->lb ? dp->lb->n_svcs : 0,
		 dp->lb && dp->lb->n_svcs == 1 ? "" : "s",
		 (unsigned long long)conns, conns == 1 ? "" : "s");
}

/* Send STATUS= if the summary changed. */
static void
status_update(const struct dp_ctx *dp)
{
	char now[STATUS_LEN];

	status_line(dp, now, sizeof(now));
	if (strcmp(now, last_status) == 0)
		return;
	memcpy(last_status, now, sizeof(now));
	notify_sendf("STATUS=%s", now);
}

void
supervise_ready(struct dp_ctx *dp)
{
	status_line(dp, last_status, sizeof(last_status));
	notify_sendf("READY=1\nSTATUS=%s", last_status);
	next_status_ms = dp_now_ms() + STATUS_EVERY_MS;
	wd_next_ms = dp_now_ms();
}

static uint64_t
monotonic_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void
reload(struct dp_ctx *dp)
{
	/* MONOTONIC_USEC lets systemd >= 253 match READY=1 to this reload. */
	notify_sendf("RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading %s",
		     (unsigned long long)monotonic_usec(), dp->cfg->path);
	reload_failed = reload_config(dp) != 0;
	status_line(dp, last_status, sizeof(last_status));
	notify_sendf("READY=1\nSTATUS=%s", last_status);
}

/*
 * Ping only if every worker passed a quiescent state since the last
 * ping (workers asleep count as quiescent: they are offline then).
 */
static void
watchdog(struct dp_ctx *dp, uint64_t now)
{
	wd_next_ms = now + wd_every_ms;
	if (wd_have_token && dp->n_workers > 0 &&
	    rte_rcu_qsbr_check(dp->qsv, wd_token, false) != 1) {
		if (!wd_stalled)
			LOG_ERR("watchdog: a worker has been stuck for %llu ms; "
				"no longer telling the service manager we are "
				"alive", (unsigned long long)wd_every_ms);
		wd_stalled = true;
		return;
	}
	if (wd_stalled)
		LOG_NOTICE("watchdog: every worker is running again");
	wd_stalled = false;
	notify_send("WATCHDOG=1");
	if (dp->n_workers > 0) {
		wd_token = rte_rcu_qsbr_start(dp->qsv);
		wd_have_token = true;
	}
}

void
supervise_tick(struct dp_ctx *dp)
{
	uint64_t now;

	if (__atomic_exchange_n(&reload_pending, 0, __ATOMIC_RELAXED))
		reload(dp);
	if (!notify_enabled())
		return;
	now = dp_now_ms();
	if (wd_every_ms != 0 && now >= wd_next_ms)
		watchdog(dp, now);
	if (now >= next_status_ms) {
		next_status_ms = now + STATUS_EVERY_MS;
		status_update(dp);
	}
}

void
supervise_stopping(struct dp_ctx *dp)
{
	(void)dp;
	notify_send("STOPPING=1\nSTATUS=stopping");
	notify_close();
}
