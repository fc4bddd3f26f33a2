/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lb_svc: the control-plane model of the load balancer's virtual
 * services, their real servers (dests) and the local address groups
 * that full-NAT takes its source addresses from, and its publication to
 * the workers.
 *
 * Two worlds:
 *  - The store (struct lb_store) is mutable and belongs to the main
 *    lcore: the control verbs and the config loader change it through
 *    the lb_svc_*, lb_dest_* and lb_laddr_* functions below, which
 *    validate, return 0 or a negative errno with a message naming the
 *    object, and never leave a half-applied change (a failed publication
 *    is rolled back).  Adding what exists is -EEXIST, deleting what does
 *    not is -ENOENT: keepalived relies on both.
 *  - Every successful change publishes an immutable snapshot (struct
 *    lb_snap) by pointer swap.  Workers read it lock-free:
 *    lb_snap_get() once per burst, lb_svc_lookup() per new connection.
 *    The old snapshot is freed after an RCU grace period
 *    (rte_rcu_qsbr_synchronize on the store's qsv; with no qsv, as in
 *    unit tests, at once).  Only what changed is rebuilt: a service's
 *    snapshot (dests and the built scheduler) is shared by successive
 *    tables until that service, its dests or its laddr group change.
 *
 * What workers write lives in the mutable objects, not in snapshots, so
 * that it survives rebuilds: a dest's sched_dest_load and connection
 * reference count (atomics, one cache line shared by every worker, as
 * in IPVS), and per-worker counter blocks (one cache line per worker,
 * written by that worker only, summed by readers).  A snapshot points
 * to them.  A deleted dest moves to a trash list and is freed when its
 * last connection released it (lb_dest_put) and no snapshot can reach
 * it; a dest added again while in the trash is revived with its
 * counters and connections, as IPVS does.
 *
 * Local ports: each worker owns a disjoint slice of every local
 * address's port space (steer_lport_range() in net/steer.h), so that
 * full-NAT return traffic (server -> LIP:lport) is steered to its owner
 * by the destination port alone (steer_lport_owner()).
 *
 * IPv6 services live in their own slots of the snapshot
 * (lb_svc_lookup6()), so the IPv4 lookup compares one word as before.
 */
#ifndef DPLB_LB_SVC_H
#define DPLB_LB_SVC_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/queue.h>

#include <rte_byteorder.h>
#include <rte_common.h>

#include "conn/conn_index.h"
#include "core/stats.h"
#include "inet.h"
#include "lb/lb_conf.h"
#include "lb/rate_est.h"
#include "sched/scheduler.h"

struct rte_rcu_qsbr;
struct route_slot;
struct conn;
struct conn_key4;
struct dp_ctx;
struct dp_worker;
struct dplb_config;

/* ---- mutable objects (main lcore, except the fields marked) ---------- */

/** Counters of a service or a dest, as ipvsadm --stats shows them. */
struct lb_stats {
	uint64_t conns;
	uint64_t inpkts;
	uint64_t outpkts;
	uint64_t inbytes;
	uint64_t outbytes;
};

/** One worker's block of a dest: written by that worker only. */
struct lb_dest_pcpu {
	struct lb_stats st;
	struct sched_wload wl;		/* its connections on the worker
					 * (lb_dest_conns() sums them) */
	uint32_t refs;			/* the worker's connections and
					 * templates holding the dest */
	/* The worker's route toward route_dst (the dest: lb.c's
	 * lb_dest_route()), kept while the route table's generation is
	 * route_gen (0: none yet) */
	const struct route_slot *route;
	uint32_t route_gen;
	rte_be32_t route_dst;
} __rte_cache_aligned;

/** One worker's block of a service: its scheduler state.  (Its counters
 * are its dests': lb_svc_stats().) */
struct lb_svc_pcpu {
	struct sched_cursor cursor;	/* rr, wrr */
	struct sched_worker sw;		/* lc wlc sed nq lblc lblcr */
	uint32_t half_open;		/* its connections in SYN_RECV */
} __rte_cache_aligned;

struct lb_svc;

struct lb_dest {
	TAILQ_ENTRY(lb_dest) next;	/* in svc->dests or the trash */
	struct lb_svc *svc;		/* holds a reference on it */
	struct lb_dest_conf conf;	/* port resolved: never 0 unless the
					 * service's port is 0 */
	uint32_t id;			/* stable while the dest exists */
	bool trashed;
	struct lb_stats zero_base;	/* stats.zero: sums at that time */
	struct rate_est est;		/* lb_store_estimate() */
	struct lb_dest_pcpu *pcpu;	/* [n_workers] */
	uint32_t n_workers;
	/* The overload flag and the templates' count, written by every
	 * worker with atomics: its own cache line.  Its connection counts
	 * stay 0: each worker counts its own, in pcpu[].wl, so that a new
	 * connection writes no line another worker writes too. */
	struct sched_dest_load load __rte_cache_aligned;
};

TAILQ_HEAD(lb_dest_list, lb_dest);

struct lb_laddr_snap;
struct lb_svc_snap;

/* Full-NAT tuples one local address offers one real server (port) per
 * guard period: the ports 1024-65535 of all workers' slices. */
#define LB_LPORT_PER_ADDR 64512u
/* lb_laddr_assess() wants a group used to this share at most. */
#define LB_LPORT_FILL_PCT 80u

/** One worker's local port counters of a laddr group (lb_conn.c):
 * written by that worker only, summed by lb_laddr_counts(). */
struct lb_laddr_pcpu {
	uint64_t conns;		/* local ports handed out */
	uint64_t reuse_early;	/* ... a tuple again within the guard */
	uint64_t exhausted;	/* none free: the SYN dropped, no_lport */
} __rte_cache_aligned;

/** What lb_laddr_assess() last concluded of a group (main lcore). */
struct lb_laddr_health {
	uint64_t early_seen;	/* reuse_early at the last assessment */
	uint64_t peak_cps;	/* the busiest full-NAT dest's rate */
	uint32_t needed;	/* addresses that rate needs */
	uint64_t early_ms;	/* last assessment that found early reuses */
	bool too_small;		/* needed > n, or early reuses within the
				 * last guard period */
	uint64_t warned_ms;	/* last warning in the log */
};

struct lb_laddr_group {
	TAILQ_ENTRY(lb_laddr_group) next;
	char name[LB_NAME_LEN];
	unsigned int n_addrs;
	struct inet_addr addrs[LB_LADDR_MAX_ADDRS];
	unsigned int users;		/* services naming the group */
	bool dirty;			/* changed since the last publication */
	struct lb_laddr_snap *snap, *next_snap;
	struct lb_laddr_pcpu *pcpu;	/* [n_workers] */
	struct lb_laddr_health health;
};

struct lb_svc {
	TAILQ_ENTRY(lb_svc) next;
	struct lb_svc_key key;
	struct lb_svc_conf conf;
	uint32_t id;			/* stable while the service exists */
	unsigned int refs;		/* the store's link + its dests */
	bool dirty;
	struct lb_laddr_group *laddr;	/* NULL if none */
	struct lb_dest_list dests;	/* in insertion order */
	unsigned int n_dests;
	uint32_t next_dest_id;
	struct lb_svc_snap *snap, *next_snap;
	struct lb_stats zero_base;
	/* What its dests freed since counted (lb_store_gc()): a packet or
	 * a connection is counted once, on its dest, and the service's
	 * counters are its dests' summed (lb_svc_stats()) */
	struct lb_stats gone;
	struct rate_est est;		/* lb_store_estimate() */
	unsigned int n_workers;
	struct lb_svc_pcpu *pcpu;	/* [n_workers] */
};

TAILQ_HEAD(lb_svc_list, lb_svc);
TAILQ_HEAD(lb_laddr_list, lb_laddr_group);

struct lb_snap;
struct lb_snat_store;

struct lb_store {
	unsigned int n_workers;
	struct rte_rcu_qsbr *qsv;	/* NULL: free without waiting */
	struct lb_snap *cur;		/* published; read with lb_snap_get */
	struct lb_svc_list svcs;	/* in creation order */
	unsigned int n_svcs;
	struct lb_laddr_list groups;
	struct lb_dest_list trash;	/* deleted dests still referenced */
	/* Deleted services, published as ghosts (LB_SVC_F_RETIRED) until
	 * no connection holds one of their dests: lb_store_gc(). */
	struct lb_svc_list retired;
	unsigned int n_retired;
	uint32_t next_svc_id;
	uint64_t gen;			/* publications so far */
	struct lb_snat_store *snat;	/* SNAT rules (lb_snat.h) */
};

/* ---- snapshots (immutable, read by workers) -------------------------- */

struct lb_laddr_snap {
	const char *name;		/* the group's, for logs */
	struct lb_laddr_pcpu *pcpu;	/* the group's counters */
	uint32_t n;
	struct inet_addr addrs[];
};

struct lb_dest_snap {
	struct lb_dest *dest;		/* load, pcpu counters and refs */
	struct inet_addr addr;
	rte_be16_t port;		/* 0 only for port-0 services: keep
					 * the client's destination port */
	uint8_t fwd;			/* enum lb_fwd */
	uint32_t weight;
	uint32_t u_threshold;
	uint32_t l_threshold;
};

/*
 * The snapshot flag of a deleted service's ghost: its key, steering
 * and flags without dests.  A connection outlives its service, as in
 * IPVS, which looks connections up before services: the ghost still
 * brings the connection's client packets to their worker and entry
 * (lb_svc_takes()), while a packet that would make a connection passes
 * as if no service were there.
 */
#define LB_SVC_F_RETIRED 0x80000000u

struct lb_svc_snap {
	uint32_t id;
	uint8_t proto;
	uint8_t netmask_len;
	rte_be16_t vport;
	struct inet_addr vip;
	uint32_t flags;			/* LB_SVC_F_* */
	uint32_t persistent;		/* seconds, 0 = off */
	rte_be32_t persist_mask;	/* IPv4 mask of netmask_len */
	uint32_t half_open_max;		/* 0 = none */
	uint32_t conn_rate;		/* per source net and second, 0 = none */
	rte_be32_t rate_mask;		/* the source net's mask */
	struct lb_svc *svc;		/* pcpu: cursor and counters */
	const struct lb_laddr_snap *laddr;	/* NULL if none */
	uint32_t n_dests;
	struct lb_dest_snap *dests;	/* index = sched_pick's result */
	struct sched_state sched;
};

/* An address the load balancer speaks for without a service on it. */
enum lb_addr_kind {
	LB_ADDR_NONE,		/* a free slot */
	LB_ADDR_LIP,		/* a local address of a laddr group */
	LB_ADDR_NAT_DEST,	/* a NAT dest: addr, port, proto */
};

struct lb_addr_slot {
	rte_be32_t addr;
	rte_be16_t port;	/* NAT dest; 0 for a LIP */
	uint8_t proto;		/* NAT dest; 0 for a LIP */
	uint8_t kind;		/* enum lb_addr_kind */
};

struct lb_snap {
	uint64_t gen;
	uint64_t nat_persist_lens;	/* bit n: a persistent service with a
					 * NAT dest uses netmask /n */
	uint32_t n_svcs;
	uint32_t n_port0;		/* services of port 0 (every port) */
	/* bit lb_port_bit(vport) for each IPv4 service's port, all of
	 * them when a port-0 service exists: a clear bit proves that no
	 * service takes the port (a full-NAT reply to LIP:lport), one
	 * test instead of a lookup */
	uint64_t port_bloom;
	uint32_t mask;			/* slots - 1 (a power of two) */
	const struct lb_svc_snap **slots;	/* open addressing, NULL = free */
	/* Every LIP and NAT dest, open addressing by lb_addr_hash(): ICMP
	 * errors quoting one of them are ours even without a connection. */
	uint32_t addr_mask;
	const struct lb_addr_slot *addrs;
	/* IPv6 services, open addressing by lb_svc_hash6(), mask's size */
	uint32_t n_svcs6;
	uint32_t n_port0_6;
	uint64_t port_bloom6;		/* port_bloom of the IPv6 services */
	const struct lb_svc_snap **slots6;
	uint64_t nat_persist_lens6[3];	/* bit n of 0..128: a persistent
					 * IPv6 service with a NAT dest
					 * uses prefix /n */
};

/* ---- the store ------------------------------------------------------- */

/**
 * Create an empty store (and publish its empty snapshot) for n_workers
 * (1..LB_MAX_WORKERS) workers whose RCU thread ids are 0..n_workers-1
 * in qsv (NULL: no grace periods, for tests).  -EINVAL, -ENOMEM.
 */
int lb_store_create(struct lb_store **out, unsigned int n_workers,
		    struct rte_rcu_qsbr *qsv);

/** Free everything.  No worker may run any more. */
void lb_store_destroy(struct lb_store *st);

/** Free trashed dests that no connection holds any more, and retire
 * the ghosts of deleted services whose dests are all gone; returns how
 * many dests remain.  Call now and then from the main lcore. */
unsigned int lb_store_gc(struct lb_store *st);

/* All of these: main lcore; 0 or a negative errno with msg set. */
int lb_svc_add(struct lb_store *st, const struct lb_svc_key *k,
	       const struct lb_svc_conf *c, char *msg, size_t len);
/** Replace the attributes of an existing service (-ENOENT). */
int lb_svc_edit(struct lb_store *st, const struct lb_svc_key *k,
		const struct lb_svc_conf *c, char *msg, size_t len);
int lb_svc_del(struct lb_store *st, const struct lb_svc_key *k, char *msg,
	       size_t len);
/** Delete every service; returns how many, or a negative errno. */
int lb_svc_flush(struct lb_store *st, char *msg, size_t len);
struct lb_svc *lb_svc_find(const struct lb_store *st,
			   const struct lb_svc_key *k);

/** d->port 0 means the service's port; it is stored resolved. */
int lb_dest_add(struct lb_store *st, const struct lb_svc_key *k,
		const struct lb_dest_conf *d, char *msg, size_t len);
/** Replace weight, fwd and thresholds of the dest d->addr:d->port. */
int lb_dest_edit(struct lb_store *st, const struct lb_svc_key *k,
		 const struct lb_dest_conf *d, char *msg, size_t len);
int lb_dest_del(struct lb_store *st, const struct lb_svc_key *k,
		const struct inet_addr *addr, uint16_t port, char *msg,
		size_t len);
struct lb_dest *lb_dest_find(const struct lb_svc *s,
			     const struct inet_addr *addr, uint16_t port);

/**
 * Add addr to group name, creating the group (addr NULL: an empty
 * group; -EEXIST if it exists).  An address belongs to one group only:
 * two groups handing out the same LIP:lport would collide.
 */
int lb_laddr_add(struct lb_store *st, const char *name,
		 const struct inet_addr *addr, char *msg, size_t len);
/** Remove addr from the group, or (addr NULL) the whole group, which
 * must not be used by a service (-EBUSY). */
int lb_laddr_del(struct lb_store *st, const char *name,
		 const struct inet_addr *addr, char *msg, size_t len);
struct lb_laddr_group *lb_laddr_find(const struct lb_store *st,
				     const char *name);

/** A laddr group's local port counters, summed over the workers. */
void lb_laddr_counts(const struct lb_store *st, const struct lb_laddr_group *g,
		     struct lb_laddr_pcpu *sum);

/**
 * Judge every laddr group against the connection rates of the full-NAT
 * dests that use it (after lb_store_estimate()) and the tuples reused
 * early since the last call (g->health); warn in the log, at most once a
 * minute per group, when one is too small.  Main lcore.
 */
void lb_laddr_assess(struct lb_store *st, unsigned int guard_s,
		     uint64_t now_ms);

/* ---- full-NAT local ports of the workers (lb_conn.c) ---- */

/** The workers' local port state (lb_conn.c); 0 or -ENOMEM.  With
 * dataplane.lport_keep, the walks lb_lport_save() kept are read back
 * when they fit (same boot, workers and slices, within lport_guard). */
int lb_lport_init(struct dp_ctx *dp);
void lb_lport_free(struct dp_ctx *dp);
/** Keep the walks for the next start (workers stopped): the file
 * <control_socket>.lports, unless dataplane.lport_keep is false. */
void lb_lport_save(struct dp_ctx *dp);

/**
 * The full-NAT connection for client key in, whose out key (server side:
 * src, proto) is in out: a local address and port of group g set in
 * out's local side (dst), a tuple no connection of this worker uses,
 * handed out as late as possible since its last use, and the connection
 * made with it in the worker's table (conn_new_located(), state).
 * in_loc: in's place in that table (conn_key_loc()).  NULL with *why
 * DROP_NO_LPORT when every LIP is full (counted as the group's
 * exhausted), DROP_CONN_TABLE_FULL when the table is (or in is there).
 */
struct conn *lb_fnat_conn_new(struct dp_ctx *dp, struct dp_worker *w,
			      const struct lb_laddr_snap *g,
			      const struct conn_key4 *in,
			      struct conn_loc in_loc, struct conn_key4 *out,
			      uint8_t state, enum drop_reason *why);

/**
 * One port's try for a full-NAT connection: the connection made with
 * local port port (network order) in *c and 1; 0 when the tuple is in
 * use (the next port is tried); -EEXIST when the client side is in the
 * table, -ENOSPC when it is full (the walk stops).
 */
typedef int lb_lport_attempt_fn(void *ctx, rte_be16_t port, struct conn **c);

/* Put lip in a connection's server-side key (ctx, the caller's) and
 * fold the pair (local address, server, port, proto) into two words. */
typedef void lb_lip_set_fn(void *ctx, const struct inet_addr *lip,
			   uint64_t *pair_a, uint64_t *pair_b);

/**
 * lb_fnat_conn_new()'s choice of a local address and port, for other
 * tables (lb6.c): g's LIPs of family in turn, each set by set(ctx),
 * its pair's ports by RFC 6056's double hash over the worker's slice
 * given to attempt(ctx) in turn, jumping past ports in use, early
 * reuses and connections counted in g.  The connection, or NULL with
 * *why: no_lport (no free port; g counted exhausted when it has a LIP
 * of the family), conn_table_full.
 */
struct conn *lb_lip_walk(struct dp_ctx *dp, struct dp_worker *w,
			 const struct lb_laddr_snap *g, uint8_t family,
			 lb_lip_set_fn *set, lb_lport_attempt_fn *attempt,
			 void *ctx, enum drop_reason *why);

/**
 * A backup's worker follows its master's local ports: the master made a
 * full-NAT connection of the pair (pair_a, pair_b: as the set function
 * of lb_lip_walk() folds it) with local port lport (network order), so
 * this worker's walk of the pair goes on after that port, should it take
 * over (lb_conn.c).  lb_lport_follow4(): the pair and the port from an
 * IPv4 server-side key (server -> LIP:lport).
 */
void lb_lport_follow(struct dp_ctx *dp, struct dp_worker *w, uint64_t pair_a,
		     uint64_t pair_b, rte_be16_t lport);
void lb_lport_follow4(struct dp_ctx *dp, struct dp_worker *w,
		      const struct conn_key4 *out);

/** Counters summed over the workers, minus the last stats.zero. */
void lb_svc_stats(const struct lb_store *st, const struct lb_svc *s,
		  struct lb_stats *out);
void lb_dest_stats(const struct lb_store *st, const struct lb_dest *d,
		   struct lb_stats *out);
/** Zero the counters of s, or of every service when s is NULL. */
void lb_stats_zero(struct lb_store *st, struct lb_svc *s);

/**
 * Sample every service's and dest's counters for their rates (struct
 * rate_est); call about every RATE_EST_INTERVAL_MS.  Main lcore.
 */
void lb_store_estimate(struct lb_store *st, uint64_t now_ms);

/**
 * Sample the workers' counters and the store's (lb_store_estimate) if
 * an interval has passed: call from the main loop as often as
 * convenient.  The rates behind ipvsadm --rate style views; nothing runs
 * on a worker.
 */
void dp_estimate_tick(struct dp_ctx *dp, uint64_t now_ms);

/** Worker id's rates: CPS, then rx as "in" and tx as "out". */
const struct rate_est *dp_worker_rate(unsigned int id);

/**
 * Apply the laddr_groups and services of cfg with the functions above
 * (so with the same checks).  Stops at the first error, with msg naming
 * the object.  Returns 0 or a negative errno.
 */
int lb_svc_apply_config(struct lb_store *st, const struct dplb_config *cfg,
			char *msg, size_t len);

/* ---- the worker side ------------------------------------------------- */

/** The published snapshot; valid until the worker's next quiescent
 * state report. */
static inline const struct lb_snap *
lb_snap_get(const struct lb_store *st)
{
	return __atomic_load_n(&st->cur, __ATOMIC_ACQUIRE);
}

/*
 * Every packet to a local address looks a service up: a multiply-shift
 * hash costs a few instructions where jhash cost fifty.  The keys are
 * the operator's services, so there is nothing for a sender to flood;
 * the middle bits of the product spread the usual sequences (ports or
 * addresses in a row) over distinct slots.
 */
static inline uint32_t
lb_svc_hash(uint8_t proto, rte_be32_t vip, rte_be16_t vport)
{
	uint64_t k = (uint64_t)vip << 32 | (uint32_t)vport << 8 | proto;

	return (uint32_t)((k * 0x9e3779b97f4a7c15ULL) >> 32);
}

/* A port's bit in lb_snap.port_bloom. */
static inline uint64_t
lb_port_bit(rte_be16_t port)
{
	return 1ull << (((uint32_t)port * 0x9e3779b1u) >> 26);
}

/* No IPv4 service can take port (false: one may). */
static inline bool
lb_snap_port_free(const struct lb_snap *s, rte_be16_t port)
{
	return !(s->port_bloom & lb_port_bit(port));
}

/* No IPv6 service can take port. */
static inline bool
lb_snap_port_free6(const struct lb_snap *s, rte_be16_t port)
{
	return !(s->port_bloom6 & lb_port_bit(port));
}

static inline const struct lb_svc_snap *
lb_snap_find(const struct lb_snap *s, uint8_t proto, rte_be32_t vip,
	     rte_be16_t vport)
{
	uint32_t i = lb_svc_hash(proto, vip, vport) & s->mask;
	const struct lb_svc_snap *v;

	/* At most half the slots are used: an empty one ends the probe. */
	while ((v = s->slots[i]) != NULL) {
		if (v->vip.v4.s_addr == vip && v->vport == vport &&
		    v->proto == proto)
			return v;
		i = (i + 1) & s->mask;
	}
	return NULL;
}

/**
 * The service for a new connection to vip:vport (network order): the
 * exact (proto, vip, vport) service, else the (proto, vip, port 0) one,
 * else NULL.  Lock-free, allocation-free.
 */
static inline const struct lb_svc_snap *
lb_svc_lookup(const struct lb_snap *s, uint8_t proto, rte_be32_t vip,
	      rte_be16_t vport)
{
	const struct lb_svc_snap *v;

	if (s == NULL || lb_snap_port_free(s, vport))
		return NULL;
	v = lb_snap_find(s, proto, vip, vport);
	if (v != NULL || vport == 0 || s->n_port0 == 0)
		return v;
	return lb_snap_find(s, proto, vip, 0);
}

/* IPv6 services: the VIP's four words folded into lb_svc_hash(). */
static inline uint32_t
lb_svc_hash6(uint8_t proto, const uint8_t vip[16], rte_be16_t vport)
{
	uint32_t w[4];

	memcpy(w, vip, 16);
	return lb_svc_hash(proto, w[0] ^ w[1] ^ w[2] ^ w[3], vport);
}

static inline const struct lb_svc_snap *
lb_snap_find6(const struct lb_snap *s, uint8_t proto, const uint8_t vip[16],
	      rte_be16_t vport)
{
	uint32_t i = lb_svc_hash6(proto, vip, vport) & s->mask;
	const struct lb_svc_snap *v;

	while ((v = s->slots6[i]) != NULL) {
		uint64_t a[2], b[2];

		memcpy(a, v->vip.v6.s6_addr, 16);
		memcpy(b, vip, 16);
		if (v->vport == vport && v->proto == proto &&
		    ((a[0] ^ b[0]) | (a[1] ^ b[1])) == 0)
			return v;
		i = (i + 1) & s->mask;
	}
	return NULL;
}

/** lb_svc_lookup() for an IPv6 VIP (16 bytes, network order). */
static inline const struct lb_svc_snap *
lb_svc_lookup6(const struct lb_snap *s, uint8_t proto, const uint8_t vip[16],
	       rte_be16_t vport)
{
	const struct lb_svc_snap *v;

	if (s == NULL || lb_snap_port_free6(s, vport))
		return NULL;	/* a full-NAT reply to LIP6:lport, usually */
	v = lb_snap_find6(s, proto, vip, vport);
	if (v != NULL || vport == 0 || s->n_port0_6 == 0)
		return v;
	return lb_snap_find6(s, proto, vip, 0);
}

/** Put an IPv6 service in a snapshot being built (lb_svc.c). */
static inline void
lb_snap_insert6(struct lb_snap *t, const struct lb_svc_snap *ss)
{
	uint32_t i = lb_svc_hash6(ss->proto, ss->vip.v6.s6_addr, ss->vport) &
		     t->mask;

	while (t->slots6[i] != NULL)
		i = (i + 1) & t->mask;
	t->slots6[i] = ss;
	t->n_svcs6++;
	t->n_port0_6 += ss->vport == 0;
	t->port_bloom6 |= ss->vport == 0 ? ~0ull : lb_port_bit(ss->vport);
}

static inline uint32_t
lb_addr_hash(rte_be32_t addr, rte_be16_t port, uint8_t proto)
{
	return lb_svc_hash(proto, addr, port);
}

/** Is addr:port (proto) a LIP of a laddr group (port and proto 0) or a
 * NAT dest of a service?  Lock-free, for the ICMP error path. */
static inline bool
lb_snap_has_addr(const struct lb_snap *s, enum lb_addr_kind kind,
		 rte_be32_t addr, rte_be16_t port, uint8_t proto)
{
	uint32_t i;

	if (s == NULL || s->addrs == NULL)
		return false;
	i = lb_addr_hash(addr, port, proto) & s->addr_mask;
	for (; s->addrs[i].kind != LB_ADDR_NONE; i = (i + 1) & s->addr_mask)
		if (s->addrs[i].kind == kind && s->addrs[i].addr == addr &&
		    s->addrs[i].port == port && s->addrs[i].proto == proto)
			return true;
	return false;
}

/**
 * Schedule a new connection of svc from saddr:sport (network order) to
 * daddr on worker, at now_ms (the worker's millisecond clock): the
 * chosen dest, or NULL (-ENOENT from the scheduler: no dest available).
 * Writes only the worker's own scheduler state.
 */
const struct lb_dest_snap *lb_svc_pick(const struct lb_svc_snap *svc,
				       unsigned int worker,
				       const struct inet_addr *saddr,
				       rte_be16_t sport,
				       const struct inet_addr *daddr,
				       uint32_t now_ms);

/**
 * A connection of worker to dest d changed: d_active and d_inactive are
 * the changes of d's active and inactive counts (a new connection
 * 0,+1; one that becomes established +1,-1; one that ends -1,0 or
 * 0,-1).  The worker's own counts, which lc, wlc, sed, nq, lblc and
 * lblcr follow and lb_dest_conns() sums.  Call it on the worker that
 * owns the connection.
 */
static inline void
lb_dest_conn_count(struct lb_dest *d, unsigned int worker, int32_t d_active,
		   int32_t d_inactive)
{
	sched_wload_add(&d->svc->pcpu[worker].sw, &d->pcpu[worker].wl,
			d_active, d_inactive);
}

/**
 * A connection or template of worker takes (hold) and releases (put)
 * its dest, on that worker: a count of the worker's own, no atomic
 * read-modify-write of a line the other workers write too.
 */
static inline void
lb_dest_hold(struct lb_dest *d, unsigned int worker)
{
	uint32_t *refs = &d->pcpu[worker].refs;

	__atomic_store_n(refs, *refs + 1, __ATOMIC_RELAXED);
}

static inline void
lb_dest_put(struct lb_dest *d, unsigned int worker)
{
	uint32_t *refs = &d->pcpu[worker].refs;

	/* release: the worker is done with d before lb_dest_refs() can
	 * read the count that lets the main lcore free it */
	__atomic_store_n(refs, *refs - 1, __ATOMIC_RELEASE);
}

/**
 * d's connections over all workers: ipvsadm's ActiveConn and InActConn,
 * and the sum the thresholds compare.  Any lcore.
 */
void lb_dest_conns(const struct lb_dest *d, uint32_t *active,
		   uint32_t *inactive);

/**
 * The connections and templates of all workers that hold d.  Once d is
 * out of every snapshot, no worker takes it again and the count only
 * falls: 0 means no worker will touch d again.
 */
uint32_t lb_dest_refs(const struct lb_dest *d);

#endif /* DPLB_LB_SVC_H */
