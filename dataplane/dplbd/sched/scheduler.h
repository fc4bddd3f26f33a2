/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * scheduler: real-server schedulers, each a module behind one interface, as
 * in Linux IPVS (ipvsadm -s): rr, wrr, lc, wlc, sh, mh, fo, dh, lblc,
 * lblcr, sed, nq.
 *
 * The control plane builds a sched_state from a snapshot of a service's
 * destinations (sched_build) and publishes it to the workers by pointer;
 * the state is never written again, so any number of workers call
 * sched_pick() on it at once without a lock.  A change (a dest added,
 * removed or re-weighted) builds a new state; the old one is freed with
 * sched_free() once no worker can hold it (RCU grace period).
 *
 * What changes per connection lives outside the snapshot, with whoever
 * owns it:
 *  - connection counts and the overload flag (struct sched_dest_load),
 *    kept by the caller and read here with relaxed atomic loads, so a
 *    dest crossing its upper threshold needs no rebuild;
 *  - the rr/wrr position (struct sched_cursor), one per worker and
 *    service, so that workers never write a shared cache line.  The
 *    caller places cursors in per-worker memory;
 *  - each worker's own connection counts per dest (struct sched_wload)
 *    and its per-service scheduler memory (struct sched_worker): lc,
 *    wlc, sed, nq, lblc and lblcr choose from the counts of the worker
 *    that schedules, through an index of the dests by load that the
 *    worker keeps in its part of the state (see sched_wload_add), so a
 *    pick costs O(log n), not a scan of every dest.
 *
 * Weight 0 means quiescent: the dest keeps its existing connections but
 * is never picked for a new one.  An overloaded dest is skipped by every
 * scheduler; sh and mh then fail unless SCHED_F_FALLBACK is set, as in
 * IPVS, because their point is that a client always lands on the same
 * server.
 *
 * All functions return 0 (or an index) on success and a negative errno
 * on failure.  sched_pick() never allocates and never blocks.
 *
 * (Not "sched.h": a header of that name would shadow the libc <sched.h>
 * that pthread.h includes wherever its folder is on the include path.)
 */
#ifndef DPLB_SCHEDULER_H
#define DPLB_SCHEDULER_H

#include <stdbool.h>
#include <stdint.h>

#include "inet.h"

/* Build flags, the ipvsadm/keepalived scheduler flags. */
#define SCHED_F_FALLBACK 0x1	/* sh/mh: if the hashed dest is unavailable
				 * pick another (sh-fallback, mh-fallback) */
#define SCHED_F_HASH_PORT 0x2	/* sh/mh: hash the source port too
				 * (sh-port, mh-port) */
#define SCHED_F_ALL (SCHED_F_FALLBACK | SCHED_F_HASH_PORT)

#define SCHED_NAME_MAX 8		/* longest name + NUL */
#define SCHED_MAX_DESTS 65535u		/* dests per set: indexes are 16 bit */
#define SCHED_WEIGHT_MAX 65535u		/* as ipvsadm -w */
#define SCHED_MH_TABLE_DEFAULT 65537u	/* prime, the Maglev paper's M */
#define SCHED_MH_TABLE_MAX (1u << 24)
#define SCHED_SH_TABLE_DEFAULT 4096u	/* power of two */
#define SCHED_SH_TABLE_MAX (1u << 24)
#define SCHED_WRR_SEQ_MAX (1u << 18)	/* longer cycles are scaled down */
#define SCHED_DH_TABLE_SIZE 256u	/* IPVS's dh buckets */
#define SCHED_MAX_WORKERS 1024u
/* lblc/lblcr: IPVS's lblc_expiration and lblcr_expiration default */
#define SCHED_LBL_EXPIRE_DEFAULT (24u * 60 * 60 * 1000)	/* ms */
#define SCHED_LBL_EXPIRE_MAX 0x7fffffffu		/* ms */
#define SCHED_LBL_ENTRIES 256u		/* destination table, per worker */
#define SCHED_LBL_WAYS 4u		/* entries a destination may use */
#define SCHED_LBLCR_SET_MAX 16u		/* dests in one lblcr set */

/** Every scheduler name, for messages (a unit test keeps it in step). */
#define SCHED_NAMES "rr wrr lc wlc sh mh fo dh lblc lblcr sed nq"

/**
 * Live load of one dest, kept by the caller (the connection code) and
 * updated with atomics when connections change state.  Read, never
 * written, by the schedulers.
 */
struct sched_dest_load {
	uint32_t active;	/* IPVS activeconns: established TCP */
	uint32_t inactive;	/* IPVS inactconns: every other state */
	uint32_t overloaded;	/* non-zero: upper threshold reached */
	uint32_t persistent;	/* IPVS persistconns: templates; no
				 * scheduler reads it */
};

/**
 * One dest's connections on one worker, written by that worker only
 * (plain stores, in its own cache line), through sched_wload_add().
 * The schedulers that follow load read the counts of the worker that
 * schedules: each worker balances its own connections, and as flows
 * spread evenly over workers, so does the sum.
 */
struct sched_wload {
	uint32_t active;	/* established TCP */
	uint32_t inactive;	/* every other state */
	/* The worker's index of its dests (private to the scheduler). */
	struct sched_wload *next_dirty;
	uint32_t gen;		/* the state whose index holds this dest */
	uint16_t slot;		/* its index in that state */
	uint8_t dirty;		/* on the worker's dirty list */
};

struct sched_lbl_table;

/**
 * One worker's scheduler memory for one service that outlives the
 * states built for it: owned by the caller, in the worker's memory,
 * zeroed before first use, written by that worker only (but for
 * sched_worker_prepare on the control plane, before the worker can use
 * what it sets up).
 */
struct sched_worker {
	uint32_t live_gen;		/* state whose index the worker keeps */
	struct sched_wload *dirty;	/* dests counted since its last pick */
	struct sched_lbl_table *lbl;	/* lblc/lblcr destination table */
};

/** One destination (real server) of the snapshot given to sched_build. */
struct sched_dest {
	struct inet_addr addr;	/* identity, with port: mh's permutation */
	uint16_t port;		/* network order */
	uint32_t weight;	/* 0..SCHED_WEIGHT_MAX, 0 = quiescent */
	uint32_t id;		/* the caller's: lblc/lblcr remember dests by
				 * it across rebuilds (unique in the set) */
	const struct sched_dest_load *load;	/* NULL: idle, never overloaded */
	/* Worker 0's counts; worker w's are sched_params.wload_stride * w
	 * bytes further.  NULL (for every dest): the schedulers read the
	 * shared counts of load and scan the dests for lc, wlc, sed, nq. */
	struct sched_wload *wload;
};

/** Optional build parameters; zero fields take the defaults. */
struct sched_params {
	uint32_t mh_table_size;	/* prime, >= weighted dests */
	uint32_t sh_table_size;	/* power of two, raised to >= weighted dests */
	uint32_t n_workers;	/* workers that pick: 1..SCHED_MAX_WORKERS */
	uint32_t wload_stride;	/* bytes between workers' sched_wload */
	uint32_t lbl_expire_ms;	/* lblc/lblcr expiration (ms, default 24 h) */
};

/** Per-worker (and per-service) rr/wrr position, owned by the caller. */
struct sched_cursor {
	uint32_t pos;
};

/** What sched_pick needs to know about the new connection. */
struct sched_input {
	const struct inet_addr *saddr;	/* client address: sh, mh */
	uint16_t sport;			/* client port, network order: sh, mh
					 * with SCHED_F_HASH_PORT */
	struct sched_cursor *cursor;	/* rr, wrr; may be NULL for others */
	const struct inet_addr *daddr;	/* destination address: dh, lblc,
					 * lblcr */
	uint32_t now_ms;		/* lblc, lblcr: a millisecond clock */
	uint32_t worker;		/* the picking worker, < n_workers */
	struct sched_worker *sw;	/* its memory for the service: lblc,
					 * lblcr; lc, wlc, sed, nq (NULL:
					 * they scan every dest) */
};

struct sched_ops;
struct sched_slot;
struct sched_index;
struct sched_idmap;

/**
 * A built, immutable scheduler.  The caller allocates it; the fields are
 * private to sched.c except through the accessors below.
 */
struct sched_state {
	const struct sched_ops *ops;
	unsigned int flags;
	uint32_t n;			/* dests, as given */
	uint32_t n_order;		/* entries of order[] */
	uint32_t table_len;		/* entries of table[] */
	struct sched_slot *slots;	/* n: weight and load, for the picks */
	struct sched_dest *dests;	/* n: copy of the snapshot */
	uint16_t *order;		/* weighted dests (fo: best first) */
	uint16_t *table;		/* wrr cycle, sh/dh buckets, mh lookup */
	uint32_t gen;			/* unique to this build */
	uint32_t n_workers;
	uint32_t wload_stride;
	uint32_t lbl_expire_ms;
	/* Per worker, written by that worker only: its index of the
	 * weighted dests by load (lc, wlc, sed, nq, lblc, lblcr with
	 * wload), built at its first pick.  The rest is never written. */
	struct sched_index *idx;
	struct sched_idmap *ids;	/* lblc/lblcr: dest ids, sorted */
};

/**
 * Build st for the scheduler called name from n dests (copied; the
 * caller may free its array afterwards).  flags is a mask of SCHED_F_*,
 * ignored by the schedulers it does not concern.  st is overwritten:
 * it must not hold a built state.  Errors: -EINVAL (unknown name or
 * flag, bad weight, address family or parameter, too many dests),
 * -EEXIST (two dests with the same address and port), -ENOMEM.  On
 * error st is left empty; sched_free on it is harmless.
 */
int sched_build(struct sched_state *st, const char *name,
		const struct sched_dest *dests, unsigned int n,
		unsigned int flags);

/** sched_build with parameters; p may be NULL. */
int sched_build_params(struct sched_state *st, const char *name,
		       const struct sched_dest *dests, unsigned int n,
		       unsigned int flags, const struct sched_params *p);

/** Free what sched_build allocated and empty st (idempotent). */
void sched_free(struct sched_state *st);

/**
 * Choose a dest for a new connection: its index in the array given to
 * sched_build, or -ENOENT if no dest is available (none, all quiescent
 * or overloaded; for sh/mh without SCHED_F_FALLBACK, the client's own
 * dest is overloaded; for dh, the destination's dest is quiescent or
 * overloaded), or -EINVAL if the input lacks what the scheduler needs
 * (a cursor for rr/wrr, an AF_INET/AF_INET6 saddr for sh/mh, daddr for
 * dh/lblc/lblcr, a prepared sw for lblc/lblcr, a worker below
 * n_workers).  An empty (never built or freed) st gives -ENOENT too.
 * Lock-free and allocation-free; writes only in->cursor, in->sw, the
 * worker's part of st and the bookkeeping of its sched_wload.
 */
int sched_pick(const struct sched_state *st, const struct sched_input *in);

/**
 * Count a connection change of one dest on one worker: the deltas of
 * its active and inactive connections, applied to wl (that worker's
 * counts of the dest) and noted in sw (that worker's memory for the
 * dest's service) for the next pick to fold into its index.  Call it
 * on the worker, for every change of a connection it owns; O(1).  The
 * caller keeps wl alive while a state that holds its dest may still be
 * picked from (dplbd frees a dest after the RCU grace period that
 * follows its removal, and its last connection).
 */
static inline void
sched_wload_add(struct sched_worker *sw, struct sched_wload *wl,
		int32_t d_active, int32_t d_inactive)
{
	wl->active += (uint32_t)d_active;
	wl->inactive += (uint32_t)d_inactive;
	/* Only a dest of the index the worker keeps: any other is out of
	 * date anyway and is read afresh when an index is built. */
	if (wl->gen == sw->live_gen && wl->gen != 0 && !wl->dirty) {
		wl->dirty = 1;
		wl->next_dirty = sw->dirty;
		sw->dirty = wl;
	}
}

/**
 * Control plane, before publishing a state of scheduler name: give sw
 * what that scheduler keeps beyond the state (lblc, lblcr: the
 * destination table, kept until sched_worker_fini so that it survives
 * rebuilds, as IPVS keeps its table when dests change).  0 or -ENOMEM.
 */
int sched_worker_prepare(struct sched_worker *sw, const char *name);

/** Free what sched_worker_prepare allocated; no worker may use sw. */
void sched_worker_fini(struct sched_worker *sw);

/** Start a cursor at a worker-specific place, so workers do not all begin
 * with the same dest. */
static inline void
sched_cursor_init(struct sched_cursor *c, uint32_t seed)
{
	c->pos = seed;
}

/** The dest at index i of a built state (NULL if out of range). */
const struct sched_dest *sched_dest_get(const struct sched_state *st,
					unsigned int i);

/** The name st was built with, NULL if st is empty. */
const char *sched_name(const struct sched_state *st);

/** True if name is a known scheduler. */
bool sched_known(const char *name);

/** The i-th registered name, NULL past the last: for listings. */
const char *sched_name_at(unsigned int i);

#endif /* DPLB_SCHEDULER_H */
