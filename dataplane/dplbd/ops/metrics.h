/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * metrics: the Prometheus endpoint.  With metrics.enabled, dplbd serves
 * GET /metrics over HTTP on metrics.address:metrics.port, an address of
 * the kernel side (loopback by default, or a twin's or a management
 * interface's address), in the Prometheus text exposition format 0.0.4
 * that Prometheus and OpenMetrics scrapers read.  Names and labels:
 * docs/metrics.md.
 *
 * libmicrohttpd runs without a thread of its own: metrics_poll(), called
 * from the main lcore's loop, accepts and serves connections without
 * blocking, and renders the text there.  So a scrape reads the tables
 * the control plane owns (services, dests, VIPs) on the thread that
 * changes them, and the workers' counters as the control socket reads
 * them (plain loads of per-worker memory); a worker never notices a
 * scrape.
 */
#ifndef DPLB_METRICS_H
#define DPLB_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct dp_ctx;
struct metrics_server;

/**
 * Listen as dp->cfg says (metrics.enabled, address, port).  Returns 0
 * with *out NULL when disabled, 0 with a server, or a negative errno
 * with the cause and the fix logged at err.
 */
int metrics_start(struct dp_ctx *dp, struct metrics_server **out);

/** Serve what is ready, without blocking (NULL: nothing to do). */
void metrics_poll(struct metrics_server *ms);

void metrics_stop(struct metrics_server *ms);

/* ---- the exposition (metrics_text.c) ---- */

/** A growing text buffer; on allocation failure oom is set. */
struct metrics_text {
	char *buf;
	size_t len, cap;
	int oom;
};

/**
 * Every metric of dp into t (appended), in the text format 0.0.4; the
 * caller frees t->buf.  Main lcore only.
 */
void metrics_render(const struct dp_ctx *dp, struct metrics_text *t);

/**
 * Sample what metrics_render() reports as ratios over the last interval
 * (workers' idle ratio); called from metrics_poll() about every 2 s.
 */
void metrics_sample(const struct dp_ctx *dp, uint64_t now_ms);

#endif /* DPLB_METRICS_H */
