/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * trace: the packet tracer (dplbctl trace, the trace.* verbs).
 *
 * The main lcore arms a trace session for the next `count` packets that
 * match a filter (dplb port, an address, an L4 port, a protocol; each
 * compared with either side of the packet) and publishes it to every
 * worker through its slot (trace_slots[], a release store).  A worker
 * loads its slot once per burst (trace_armed()): NULL, the usual case,
 * costs that load and a branch per burst, nothing per packet.
 *
 * Armed, a burst with a matching packet goes through the pipeline one
 * packet at a time (pipeline.c), and each matching packet is recorded
 * around its path: trace_begin() copies the frame, flushes the worker's
 * tx buffers and keeps its counters; the pipeline notes the verdicts of
 * net/ and lb/ (trace_net(), trace_lb()); trace_end() reads what the
 * packet became: the frames it left in the tx buffers (port, rewritten
 * headers), the drop reason whose counter moved, a hand-off to the
 * twin, the main lcore or another worker, and the connection its tuple
 * finds now (created if the worker scheduled one).  Records go to the
 * worker's preallocated ring (single producer: the worker, single
 * consumer: the main lcore); no allocation, syscall or log per packet.
 *
 * The main lcore reads the rings (trace_collect()) and disarms
 * (trace_stop(): slots cleared, then an RCU grace period of dp->qsv
 * before the session's memory is freed, so no worker still holds it).
 */
#ifndef DPLB_TRACE_H
#define DPLB_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>
#include <rte_mbuf.h>

#include "core/dp.h"

#define TRACE_MAX_COUNT 100000	/* packets one session records at most */
#define TRACE_SNAP 256		/* bytes kept of each frame */
#define TRACE_MAX_OUT 2		/* frames kept of what one packet became */

/* What a filter compares (struct trace_filter.have). */
#define TRACE_F_PORT 0x1
#define TRACE_F_ADDR 0x2
#define TRACE_F_L4PORT 0x4
#define TRACE_F_PROTO 0x8

/** Which packets a session records; addresses and ports network order. */
struct trace_filter {
	uint32_t have;		/* TRACE_F_*; 0 = every packet */
	uint16_t port;		/* dplb port index (rx port) */
	uint8_t proto;		/* IPPROTO_* */
	rte_be16_t l4port;	/* source or destination */
	rte_be32_t addr;	/* source or destination */
};

struct trace_session;
struct trace_pkt;

/** One slot per worker, written by the main lcore only. */
struct trace_slot {
	struct trace_session *s;
} __rte_cache_aligned;

extern struct trace_slot trace_slots[DP_MAX_WORKERS];

/** Worker: the session armed for it, or NULL (one load per burst). */
static inline struct trace_session *
trace_armed(const struct dp_worker *w)
{
	return __atomic_load_n(&trace_slots[w->id].s, __ATOMIC_ACQUIRE);
}

/** Worker: whether the session still wants packets (its count not spent). */
bool trace_wants(const struct trace_session *s);

/**
 * Worker: whether packet m (received on dplb port `port`) matches the
 * session's filter while it still wants packets.  Reads only.
 */
bool trace_match(const struct trace_session *s, uint16_t port,
		 const struct rte_mbuf *m);

/**
 * Worker: start a record of m if it matches and the session still wants
 * packets (its count not spent, a free slot in w's ring: otherwise the
 * packet is counted lost).  `steered` says m came from another worker.
 * Returns the record to pass to the calls below, or NULL.
 */
struct trace_pkt *trace_begin(struct dp_ctx *dp, struct dp_worker *w,
			      struct trace_session *s, uint16_t port,
			      struct rte_mbuf *m, bool steered);

/** Worker: the verdict of l2_input() (enum net_verdict). */
void trace_net(struct trace_pkt *t, int verdict);

/** Worker: the verdict of the load balancer (enum lb_verdict). */
void trace_lb(struct trace_pkt *t, int verdict);

/** Worker: the packet has ended; finish and publish its record. */
void trace_end(struct dp_ctx *dp, struct dp_worker *w, struct trace_pkt *t);

/* ---- the main lcore ------------------------------------------------- */

/**
 * Arm a session for count (1..TRACE_MAX_COUNT) packets matching f on
 * every worker.  -EBUSY when one is armed already, -ENOMEM.
 */
int trace_start(struct dp_ctx *dp, const struct trace_filter *f,
		uint32_t count);

/** Whether a session is armed. */
bool trace_active(void);

/**
 * Move up to max records out of the workers' rings into a JSON array
 * (docs/control-protocol.md, trace.read), oldest first per worker, and
 * return the session's state: {"records": [...], "count", "matched",
 * "lost", "done"}.  NULL when no session is armed.
 */
json_object *trace_collect(struct dp_ctx *dp, unsigned int max);

/** Disarm and free the session (after a grace period).  -ENOENT if none. */
int trace_stop(struct dp_ctx *dp);

#endif /* DPLB_TRACE_H */
