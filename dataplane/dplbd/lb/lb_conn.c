/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lb_conn: the life of a load-balanced connection on its worker: the
 * table, state changes with the dests' active/inactive counts and
 * thresholds, release and expiry, the choice of a dest and a local port
 * for a new connection, and persistence templates (lb_priv.h); full-NAT
 * local ports and how full each laddr group is (below).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "core/tx.h"
#include "lb/lb.h"
#include "lb/lb_snat.h"
#include "lb/lb_svc.h"
#include "log.h"
#include "net/steer.h"
#include "lb_priv.h"

#define EXPIRE_BUDGET 256	/* connections checked per loop at most */

static uint64_t tsc_per_ms;

/* The TSC's rate, once: lb_conn_init(), or lb_lport_init() first (the
 * unit tests make their own tables). */
static void
clock_init(void)
{
	if (tsc_per_ms == 0)
		tsc_per_ms = rte_get_tsc_hz() / 1000;
}

uint32_t
lb_clock_ms(void)
{
	return (uint32_t)(rte_rdtsc() / tsc_per_ms);
}

int
lb_conn_init(struct dp_ctx *dp)
{
	char name[32];
	unsigned int i;
	int ret;

	clock_init();
	for (i = 0; i < dp->n_workers; i++) {
		snprintf(name, sizeof(name), "dplb_conn%u", i);
		ret = conn_table_create(&dp->workers[i].conns, name,
					dp->cfg->max_conns, (int)rte_socket_id());
		if (ret != 0) {
			LOG_ERR("worker %u: cannot create a table of %u connections: %s",
				i, dp->cfg->max_conns, strerror(-ret));
			return ret;
		}
		conn_table_set_timeouts(dp->workers[i].conns,
					&dp->cfg->timeouts);
	}
	return 0;
}

/* dest_check_overload() with thresholds: the sum of the workers' counts
 * against them. */
static __rte_noinline void
dest_check_thresholds(struct lb_dest *d, uint32_t upper, uint32_t lower)
{
	struct sched_dest_load *load = &d->load;
	uint32_t active, inactive, conns;

	lb_dest_conns(d, &active, &inactive);
	conns = active + inactive;
	if (lower == 0)
		lower = upper - upper / 4;
	if (conns >= upper)
		__atomic_store_n(&load->overloaded, 1, __ATOMIC_RELAXED);
	else if (conns < lower && load->overloaded)
		__atomic_store_n(&load->overloaded, 0, __ATOMIC_RELAXED);
}

/*
 * Connection thresholds, as ipvsadm -x/-y: at u_threshold connections a
 * dest is overloaded (schedulers skip it) until it falls below
 * l_threshold, or 3/4 of u_threshold when no lower one is set.
 */
void
dest_check_overload(struct lb_dest *d)
{
	uint32_t upper = d->conf.u_threshold;

	if (likely(upper == 0)) {
		if (unlikely(d->load.overloaded))
			__atomic_store_n(&d->load.overloaded, 0,
					 __ATOMIC_RELAXED);
		return;
	}
	dest_check_thresholds(d, upper, d->conf.l_threshold);
}

/* A service's connections in SYN_RECV on this worker (its half-open
 * limit): moves in and out. */
static inline void
half_open_count(struct dp_worker *w, const struct conn *c, int d)
{
	uint32_t *n;

	if (c->proto != IPPROTO_TCP || c->state != TCP_S_SYN_RECV)
		return;
	n = &conn_priv((struct conn *)c)->dest->svc->pcpu[w->id].half_open;
	if (d > 0 || *n > 0)
		*n += (uint32_t)d;
}

void
lb_set_state_quiet(struct dp_worker *w, struct conn *c, uint8_t state)
{
	bool was = state_is_active(c);

	half_open_count(w, c, -1);
	conn_set_state(w->conns, c, state, w->now_ms);
	half_open_count(w, c, 1);
	if (was == state_is_active(c))
		return;
	lb_dest_conn_count(conn_priv(c)->dest, w->id, was ? -1 : 1,
			   was ? 1 : -1);
}

/* Move c to a new state, keeping the real server's active/inactive
 * counts; a master reports the change to its peer. */
__rte_noinline void
lb_set_state(struct dp_worker *w, struct conn *c, uint8_t state)
{
	lb_set_state_quiet(w, c, state);
	if (unlikely(lb_sync_state_wanted(w, c)))
		lb_sync_state(w, c);
}

/* c ends: the template that made it (if still there) controls one
 * fewer.  The reference may name a recycled entry: check it. */
static void
tmpl_uncontrol(struct dp_worker *w, const struct conn *c)
{
	struct conn *t = conn_from_ref(w->conns, conn_priv((struct conn *)c)->tmpl);

	if (t != NULL && is_template(t) && t->svc_id == c->svc_id &&
	    conn_priv(t)->n_control > 0)
		conn_priv(t)->n_control--;
}

/* Release what a connection or template holds (the local port goes
 * with its key). */
void
lb_conn_release(struct dp_worker *w, struct conn *c)
{
	struct lb_dest *d = conn_priv(c)->dest;

	if (unlikely(c->fwd == CONN_FWD_SNAT)) {	/* holds no dest */
		lb_snat_release(w, c);
		return;
	}
	if (is_template(c)) {
		__atomic_fetch_sub(&d->load.persistent, 1, __ATOMIC_RELAXED);
		lb_dest_put(d, w->id);
		return;
	}
	if (conn_priv(c)->tmpl != 0)
		tmpl_uncontrol(w, c);
	if (unlikely(c->flags & LB_CONN_F_TCPX))
		lb_tcpx_release(w, c);
	half_open_count(w, c, -1);
	lb_dest_conn_count(d, w->id, state_is_active(c) ? -1 : 0,
			   state_is_active(c) ? 0 : -1);
	dest_check_overload(d);
	lb_dest_put(d, w->id);
	w->stats.conns_expired++;
}

static bool
lb_expire_cb(void *ctx, struct conn *c)
{
	/* As IPVS: a template outlives its timeout while connections it
	 * made are alive, so they and their successors stay together. */
	if (is_template(c) && conn_priv(c)->n_control > 0)
		return true;
	lb_conn_release(ctx, c);
	return false;
}

void
lb_conn_drop(struct dp_worker *w, struct conn *c)
{
	lb_conn_release(w, c);
	conn_del(w->conns, c);
}

void
lb_expire_tick(struct dp_ctx *dp, struct dp_worker *w)
{
	w->now_ms = (uint32_t)(rte_rdtsc() / tsc_per_ms);
	if (w->conns != NULL && conn_count(w->conns) != 0)
		conn_expire_tick(w->conns, w->now_ms, EXPIRE_BUDGET,
				 lb_expire_cb, w);
	lb6_expire_tick(w);
}

/*
 * Persistence (ipvsadm -p, -M).  A template, keyed client net -> VIP:vport
 * (the client's address under the service's netmask, port 0; vport 0 for
 * a port-0 service), remembers the real server the net's first
 * connection got; later connections from the net follow it while the
 * template lives: persistence seconds after its last use, and while
 * connections it made are alive.  Steering puts every connection of a
 * client net to a persistent service on one worker (lb_svc_owner()), so
 * the template is in that worker's table and needs no sharing.
 */
void
tmpl_key(const struct lb_svc_snap *svc, const struct conn_key4 *in,
	 struct conn_key4 *k)
{
	*k = (struct conn_key4){
		.src_addr = in->src_addr & svc->persist_mask,
		.dst_addr = in->dst_addr,
		.dst_port = svc->vport,
		.proto = in->proto,
	};
}

/* A template stops holding its clients when its dest was deleted, or
 * set to weight 0 in a service that expires quiescent connections. */
static bool
tmpl_usable(const struct conn *t, const struct lb_svc_snap *svc)
{
	const struct lb_dest *d = conn_priv((struct conn *)t)->dest;

	if (t->svc_id != svc->id || d->trashed)
		return false;
	return d->conf.weight != 0 ||
	       !(svc->flags & LB_SVC_F_EXPIRE_QUIESCENT);
}

/* The template's dest, described as the snapshot describes dests. */
static const struct lb_dest_snap *
tmpl_dest(struct conn *t, struct lb_dest_snap *buf)
{
	struct lb_dest *d = conn_priv(t)->dest;

	*buf = (struct lb_dest_snap){
		.dest = d,
		.addr = d->conf.addr,
		.port = rte_cpu_to_be_16(d->conf.port),
		.fwd = d->conf.fwd,
		.weight = d->conf.weight,
	};
	return buf;
}

/* NULL when the table is full: the connection goes unpersisted. */
struct conn *
tmpl_new(struct dp_worker *w, const struct conn_key4 *k,
	 const struct lb_svc_snap *svc, const struct lb_dest_snap *d)
{
	struct conn *t;

	t = conn_new_timed(w->conns, k, svc->persistent * 1000u, w->now_ms);
	if (t == NULL)
		return NULL;
	t->flags |= LB_CONN_F_TEMPLATE;
	t->fwd = d->fwd;
	t->svc_id = svc->id;
	*conn_priv(t) = (struct lb_conn_priv){ .dest = d->dest,
					       .daddr = d->addr.v4.s_addr };
	lb_dest_hold(d->dest, w->id);
	__atomic_fetch_add(&d->dest->load.persistent, 1, __ATOMIC_RELAXED);
	return t;
}

/* The dest for a new connection, and its template when persistent. */
static const struct lb_dest_snap *
lb_pick(struct dp_worker *w, const struct lb_svc_snap *svc,
	const struct conn_key4 *in, struct lb_dest_snap *buf,
	struct conn **tmpl)
{
	struct inet_addr client = inet_addr_v4(in->src_addr);
	struct inet_addr vip = inet_addr_v4(in->dst_addr);
	const struct lb_dest_snap *d;
	struct conn_key4 k;
	struct conn *t;

	*tmpl = NULL;
	if (svc->persistent == 0)
		return lb_svc_pick(svc, w->id, &client, in->src_port, &vip,
				   w->now_ms);
	tmpl_key(svc, in, &k);
	t = conn_lookup4(w->conns, &k, NULL);
	if (t != NULL && is_template(t)) {
		if (tmpl_usable(t, svc)) {
			conn_touch(t, w->now_ms);
			*tmpl = t;
			return tmpl_dest(t, buf);
		}
		lb_conn_drop(w, t);
		t = NULL;
	}
	d = lb_svc_pick(svc, w->id, &client, in->src_port, &vip, w->now_ms);
	if (d != NULL && t == NULL)
		*tmpl = tmpl_new(w, &k, svc, d);
	return d;
}

void
lb_conn_bind(struct dp_worker *w, struct conn *c, const struct lb_svc_snap *svc,
	     const struct lb_dest_snap *d, struct conn *tmpl)
{
	bool active = state_is_active(c);

	c->fwd = d->fwd;
	c->svc_id = svc->id;
	*conn_priv(c) = (struct lb_conn_priv){ .dest = d->dest,
					       .daddr = d->addr.v4.s_addr };
	/* an IPv6 connection's keys are conn6's: lb6_conn_bind() */
	if (!(c->flags & (CONN_F_NO_OUT | CONN_F_IPV6)))
		conn_priv(c)->csum = conn_csum_delta(c);
	if (tmpl != NULL) {
		conn_priv(c)->tmpl = conn_ref(w->conns, tmpl);
		conn_priv(tmpl)->n_control++;
	}
	lb_dest_hold(d->dest, w->id);
	lb_dest_conn_count(d->dest, w->id, active ? 1 : 0, active ? 0 : 1);
	dest_check_overload(d->dest);
}

__rte_noinline struct conn *
lb_schedule(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	    const struct conn_key4 *in, const struct conn_loc *in_loc,
	    const struct lb_svc_snap *svc, uint8_t tcp_state)
{
	struct conn_key4 out = { .proto = in->proto };
	const struct conn_key4 *outp = &out;
	uint8_t state = in->proto == IPPROTO_TCP ? tcp_state : UDP_ONEWAY;
	enum drop_reason full = DROP_CONN_TABLE_FULL;
	const struct lb_dest_snap *d;
	struct lb_dest_snap dbuf;
	struct conn *c, *tmpl;
	struct conn_loc loc;
	rte_be16_t dport;
	int why;

	if (unlikely(svc->half_open_max | svc->conn_rate) &&
	    (why = lb_limit_admit(dp, w, svc, in)) != 0) {
		dp_drop(w, m, (enum drop_reason)why);
		return NULL;
	}
	d = lb_pick(w, svc, in, &dbuf, &tmpl);
	if (d == NULL) {
		dp_drop(w, m, DROP_NO_DEST);
		return NULL;
	}
	dport = d->port != 0 ? d->port : in->dst_port;
	out.src_addr = d->addr.v4.s_addr;
	out.src_port = dport;
	loc = in_loc != NULL ? *in_loc : conn_key_loc(w->conns, in);
	if (d->fwd == LB_FWD_FNAT) {
		c = lb_fnat_conn_new(dp, w, svc->laddr, in, loc, &out, state,
				     &full);
	} else {
		if (d->fwd == LB_FWD_NAT) {
			out.dst_addr = in->src_addr;
			out.dst_port = in->src_port;
		} else {
			outp = NULL;	/* DR, TUNNEL: replies bypass us */
		}
		c = conn_new_located(w->conns, in, loc, outp, state,
				     w->now_ms);
	}
	if (c == NULL) {
		dp_drop(w, m, full);
		return NULL;
	}
	lb_conn_bind(w, c, svc, d, tmpl);
	if (state != TCP_S_NONE && c->proto == IPPROTO_TCP) {
		/* what lb_set_state() does on leaving NONE */
		half_open_count(w, c, 1);
		if (unlikely(lb_sync_state_wanted(w, c)))
			lb_sync_state(w, c);
	}
	d->dest->pcpu[w->id].st.conns++;	/* the service's too */
	w->stats.conns_new++;
	if (conn_count(w->conns) > w->stats.conns_peak)
		w->stats.conns_peak = conn_count(w->conns);
	return c;
}

/* ---- full-NAT local ports ------------------------------------------------ */

/*
 * Full-NAT local ports, and how close a laddr group is to
 * running out of them (lb_priv.h, lb_svc.h).
 *
 * A full-NAT connection is (LIP, lport) -> (server, port) on the server's
 * side.  When the server closes first (HTTP with "Connection: close") it
 * keeps that tuple in TIME_WAIT for a minute; a new SYN on the same tuple
 * meanwhile is checked against PAWS and, with the clients' per-connection
 * timestamp offsets, refused about half the time: the client waits a
 * second for its retransmission.  So a tuple must come back as late as
 * possible, and not after every restart from the same place.
 *
 * The choice is RFC 6056's algorithm 4 (double-hash) on each worker's
 * slice [lo, hi] of the ports (steer.h):
 *
 *   port = lo + (F(lip, server, port) + table[G(lip, server, port)]) % span
 *   table[G(...)]++
 *
 * with F and G keyed hashes whose secrets are drawn at every start
 * (dataplane.lport_random; false for tests: F = 0, the secrets 0), on
 * the worker's own table of counters.  Each
 * (LIP, server) pair walks the whole slice from its own random point
 * before a port comes back, whatever the other pairs do (unless two
 * share a counter of the table, which only makes a pair walk faster),
 * and a restart starts elsewhere.  A port still used by a connection
 * to the same server is skipped (conn_new() finds it: the tuple is
 * looked up once, by the table), and so are more and more of the ports
 * after it at each further one in use (1, 3, 7... positions ahead): the
 * connections of the round before that have not ended were mostly made
 * in a row (a server that answered none of a burst of SYNs leaves a run
 * of them in SYN_RECV), and a step of one port a try would meet the
 * whole run, refusing a SYN every LPORT_TRIES ports of it.  A skipped
 * port waits for the next round; a jump stays within the round and
 * passes 255 ports at most (lport_jump()).  The LIPs of the group take
 * turns.
 *
 * A pair can therefore make span connections per worker before it
 * reuses a tuple, 64,512 per LIP and server over all workers; faster
 * than that per TIME_WAIT (timeouts.lport_guard, 60 s) a server will see
 * reused tuples.  Each slot remembers when its walk last began a round
 * of the slice and the round before; a port handed out in a later round
 * was last handed out at about the same position of the round before,
 * whose time is interpolated: sooner than the guard ago counts as an
 * early reuse of the group (lport_reuse_early).  It measures from when
 * the previous connection began, so a long connection's tuple can come
 * back early and not be counted: raise the guard to cover it.
 *
 * The main lcore turns the counters and the servers' connection rates
 * into a verdict per group (lb_laddr_assess(): laddr.list, the log).
 */
#define LPORT_SLOTS 4096	/* counters per worker (power of two) */
#define LPORT_TRIES 32		/* ports in use skipped per LIP at most */
#define LPORT_JUMP_LOG2 8	/* a jump passes 2^8 - 1 = 255 positions at most */

/* Kept across a restart as it is (lb_lport_save()): a change of its
 * fields changes LPORT_STATE_MAGIC too. */
struct lport_slot {
	uint32_t pos;		/* the next position in the slice's round */
	uint32_t rounds;	/* rounds of the slice completed */
	uint32_t round_ms;	/* the current round's clock: when it was at */
	uint32_t anchor;	/* this position (0: when it began, unless a
				 * follow joined the round part-way) */
	uint32_t prev_ms;	/* when the round before began */
	uint32_t follow_ms;	/* lb_lport_follow() last moved pos */
	bool followed;		/* ever */
};

struct lport_worker {
	uint64_t secret[2];	/* F and G's keys */
	bool random;		/* else F = 0: ports from lo on (tests) */
	uint16_t lo;		/* the worker's slice */
	uint32_t span;
	uint32_t span_inv;	/* 2^32 / span: positions as fractions of a
				 * round without a division */
	struct lport_slot *slots;
};

static struct lport_worker lw[DP_MAX_WORKERS];

static void lport_state_load(struct dp_ctx *dp);

int
lb_lport_init(struct dp_ctx *dp)
{
	struct lport_worker *me;
	unsigned int i;
	uint16_t hi;

	clock_init();
	for (i = 0; i < dp->n_workers; i++) {
		me = &lw[i];
		if (steer_lport_range(i, dp->n_workers, &me->lo, &hi) != 0)
			return -EINVAL;
		me->span = (uint32_t)(hi - me->lo) + 1;
		me->span_inv = (uint32_t)((1ULL << 32) / me->span);
		me->random = dp->cfg->lport_random;
		me->secret[0] = dp->cfg->lport_random ? rte_rand() : 0;
		me->secret[1] = dp->cfg->lport_random ? rte_rand() : 0;
		me->slots = rte_zmalloc("dplb_lports",
					sizeof(struct lport_slot) * LPORT_SLOTS,
					RTE_CACHE_LINE_SIZE);
		if (me->slots == NULL) {
			lb_lport_free(dp);
			return -ENOMEM;
		}
	}
	if (dp->cfg->lport_keep)
		lport_state_load(dp);
	return 0;
}

void
lb_lport_free(struct dp_ctx *dp)
{
	unsigned int i;

	for (i = 0; i < DP_MAX_WORKERS; i++) {
		rte_free(lw[i].slots);
		lw[i].slots = NULL;
	}
}

/*
 * The walks across a restart.  A restart of dplbd (an upgrade, systemctl
 * restart) drew new secrets, so every pair's walk began at a new random
 * point: after a busy run, among the tuples the servers still hold in
 * TIME_WAIT, where a Linux server refuses about half of the SYNs (a
 * backup that takes over meets the same: lb_lport_follow()).  So a
 * graceful stop writes the workers' secrets and slots next to the
 * control socket (dataplane.lport_keep), and a start within lport_guard
 * on the same boot, with the same workers and slices, reads them back:
 * each pair goes on where it stopped, the port choice as unpredictable
 * as before.  The file is read once and removed.
 */
#define LPORT_STATE_MAGIC UINT64_C(0x31544c5042504c44)	/* "DLPBPLT1" */

struct lport_state {
	uint64_t magic;
	uint64_t saved_ms;	/* dp_now_ms(): CLOCK_MONOTONIC, this boot */
	uint32_t clock_ms;	/* lb_clock_ms() then: the slots' clock */
	uint32_t n_workers;
	uint32_t n_slots;
	uint32_t slot_size;
	uint32_t size;		/* of this header (DP_MAX_WORKERS) */
	struct {
		uint64_t secret[2];
		uint32_t span;
		uint16_t lo;
		uint8_t random;
	} w[DP_MAX_WORKERS];
};

static void
lport_state_path(const struct dp_ctx *dp, char *buf, size_t len)
{
	snprintf(buf, len, "%s.lports", dp->cfg->control_socket);
}

static bool
lport_state_write(const struct dp_ctx *dp, const char *tmp)
{
	struct lport_state st = {
		.magic = LPORT_STATE_MAGIC, .saved_ms = dp_now_ms(),
		.clock_ms = lb_clock_ms(), .n_workers = dp->n_workers,
		.n_slots = LPORT_SLOTS, .slot_size = sizeof(struct lport_slot),
		.size = sizeof(struct lport_state) };
	unsigned int i;
	FILE *f;
	bool ok;
	int fd;

	for (i = 0; i < dp->n_workers; i++) {
		memcpy(st.w[i].secret, lw[i].secret, sizeof(st.w[i].secret));
		st.w[i].span = lw[i].span;
		st.w[i].lo = lw[i].lo;
		st.w[i].random = lw[i].random;
	}
	/* the secrets are the walks' unpredictability: root's alone */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	f = fd < 0 ? NULL : fdopen(fd, "w");
	if (f == NULL) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	ok = fwrite(&st, sizeof(st), 1, f) == 1;
	for (i = 0; ok && i < dp->n_workers; i++)
		ok = fwrite(lw[i].slots, sizeof(struct lport_slot), LPORT_SLOTS,
			    f) == LPORT_SLOTS;
	return fclose(f) == 0 && ok;
}

void
lb_lport_save(struct dp_ctx *dp)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];

	if (!dp->cfg->lport_keep || dp->n_workers == 0 || lw[0].slots == NULL)
		return;
	lport_state_path(dp, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (!lport_state_write(dp, tmp) || rename(tmp, path) != 0) {
		LOG_WARN("local ports: cannot keep the walks in %s for the next start: %s",
			 path, strerror(errno));
		unlink(tmp);
		return;
	}
	LOG_INFO("local ports: the walks kept in %s for the next start", path);
}

/* Whether the saved walks fit this start: NULL, or why not. */
static const char *
lport_state_misfit(const struct dp_ctx *dp, const struct lport_state *st,
		   uint64_t now)
{
	unsigned int i;

	if (st->magic != LPORT_STATE_MAGIC || st->n_slots != LPORT_SLOTS ||
	    st->slot_size != sizeof(struct lport_slot) ||
	    st->size != sizeof(*st))
		return "another version's file";
	if (st->saved_ms > now)
		return "saved before this boot";
	if (now - st->saved_ms >= dp->cfg->lport_guard * 1000ull)
		return "older than lport_guard: the servers' TIME_WAIT is over";
	if (st->n_workers != dp->n_workers)
		return "saved with another number of workers";
	for (i = 0; i < dp->n_workers; i++)
		if (st->w[i].span != lw[i].span || st->w[i].lo != lw[i].lo ||
		    st->w[i].random != lw[i].random)
			return "saved with other port slices or lport_random";
	return NULL;
}

/* The slots' times, kept on the clock of the run that saved them, on
 * this run's (one TSC, but each run measures its rate anew). */
static void
lport_slots_rebase(struct lport_slot *s, uint32_t delta)
{
	unsigned int k;

	for (k = 0; k < LPORT_SLOTS; k++, s++) {
		if (s->round_ms == 0 && s->rounds == 0 && !s->followed)
			continue;	/* never walked */
		s->round_ms += delta;
		s->prev_ms += delta;
		s->follow_ms += delta;
	}
}

static void
lport_state_load(struct dp_ctx *dp)
{
	char path[PATH_MAX];
	struct lport_state st;
	const char *why = NULL;
	uint64_t now = dp_now_ms();
	unsigned int i;
	FILE *f;

	lport_state_path(dp, path, sizeof(path));
	f = fopen(path, "r");
	if (f == NULL)
		return;		/* the first start, or a crash */
	if (fread(&st, sizeof(st), 1, f) != 1)
		why = "truncated";
	else
		why = lport_state_misfit(dp, &st, now);
	for (i = 0; why == NULL && i < dp->n_workers; i++)
		if (fread(lw[i].slots, sizeof(struct lport_slot), LPORT_SLOTS,
			  f) != LPORT_SLOTS)
			why = "truncated";
	fclose(f);
	unlink(path);
	if (why != NULL) {
		for (i = 0; i < dp->n_workers; i++)
			memset(lw[i].slots, 0,
			       sizeof(struct lport_slot) * LPORT_SLOTS);
		LOG_INFO("local ports: %s not used (%s): new walks", path, why);
		return;
	}
	for (i = 0; i < dp->n_workers; i++) {
		memcpy(lw[i].secret, st.w[i].secret, sizeof(lw[i].secret));
		lport_slots_rebase(lw[i].slots, lb_clock_ms() -
				   (uint32_t)(now - st.saved_ms) - st.clock_ms);
	}
	LOG_NOTICE("local ports: each pair's walk goes on where the run before left it %llu ms ago (%s)",
		   (unsigned long long)(now - st.saved_ms), path);
}

/*
 * F and G of RFC 6056 at once: one keyed multiply-and-fold of the pair
 * (LIP, server, port, proto) as two words, its low half the offset F,
 * its high half the slot G.  Not a cryptographic hash: the ports are not
 * a secret to defend against our own servers, they only have to differ
 * per pair and per start.
 */
static inline uint64_t
lport_hash(const struct lport_worker *me, uint64_t pair_a, uint64_t pair_b)
{
	uint64_t a = pair_a ^ me->secret[0];
	uint64_t b = pair_b ^ me->secret[1] ^ 0x9e3779b97f4a7c15ULL;
	__uint128_t p = (__uint128_t)a * b;

	return (uint64_t)p ^ (uint64_t)(p >> 64);
}

/* F: the pair's offset in the slice, h's low half scaled to it without
 * a division (0 without lport_random). */
static inline uint32_t
lport_offset(const struct lport_worker *me, uint64_t h)
{
	return me->random ? (uint32_t)(((h & UINT32_MAX) * me->span) >> 32) : 0;
}

/* Did the port at position k of the slot's round last leave less than
 * guard_ms ago?  Its time is interpolated in the round before (k / span
 * as a 32-bit fraction: a multiply where a division costs tens of
 * cycles a connection). */
static bool
lport_early(const struct lport_worker *me, const struct lport_slot *s,
	    uint32_t k, uint32_t now, uint32_t guard_ms)
{
	uint32_t len = s->round_ms - s->prev_ms;
	uint32_t prev = s->prev_ms +
			(uint32_t)(((uint64_t)len * (k * me->span_inv)) >> 32);

	return now - prev < guard_ms;
}

/*
 * When the slot's current round began, at its end (now): its clock, or,
 * for a round that a follow joined at position anchor, that time less
 * the time the round's first anchor positions would have taken at the
 * pace it went since.  Those positions were the master's (lb_lport_follow()),
 * handed out at about that pace before the follow, or none of this walk's:
 * taking them as handed out at the follow would count every port of the
 * next round's first guard as an early reuse.
 */
static uint32_t
lport_round_began(const struct lport_slot *s, uint32_t span, uint32_t now)
{
	uint64_t back;

	if (s->anchor == 0)
		return s->round_ms;
	back = (uint64_t)(now - s->round_ms) * s->anchor / (span - s->anchor);
	return s->round_ms - (uint32_t)RTE_MIN(back, (uint64_t)1 << 30);
}

/*
 * The port at the try-th try was in use: the next try jumps 2^try - 1
 * positions further, 255 at most (LPORT_JUMP_LOG2), and never past the
 * round's last port.  A jump that ended the round would start the next one at
 * the ports just handed out: with a pair nearly full (a scheduler that
 * sends every new connection to one server), each SYN's tries then ran
 * into the end of the round and back to its start, and the free ports
 * further on were never reached (make bench, cps --sched sed: no_lport
 * for nearly every SYN of a round).
 */
static void
lport_jump(struct lport_slot *s, uint32_t span, unsigned int try)
{
	uint32_t jump = (1u << RTE_MIN(try, (unsigned int)LPORT_JUMP_LOG2)) - 1;

	if (s->pos == 0)	/* the next round begins there anyway */
		return;
	s->pos += RTE_MIN(jump, span - 1 - s->pos);
}

/*
 * Walk the slice for the pair hashed to (pair_a, pair_b): each port in
 * turn goes to attempt(), which makes the connection with it (the
 * table checks that the tuple is free: one lookup, not a second one
 * here); a port still in use is skipped.  1 with *c made, 0 when
 * LPORT_TRIES ports were in use, attempt()'s error (-EEXIST: the client
 * side is in the table; -ENOSPC: the table is full).  Inline with its
 * attempt for IPv4, called through lb_lip_walk() for IPv6.
 */
static __rte_always_inline int
lport_walk(struct dp_worker *w, const struct lb_laddr_snap *g,
	   uint64_t pair_a, uint64_t pair_b, uint32_t guard_ms,
	   lb_lport_attempt_fn *attempt, void *ctx, struct conn **c)
{
	const struct lport_worker *me = &lw[w->id];
	uint64_t h = lport_hash(me, pair_a, pair_b);
	struct lport_slot *s = &me->slots[(h >> 32) & (LPORT_SLOTS - 1)];
	uint32_t span = me->span;
	uint32_t off = lport_offset(me, h);
	uint32_t k, p;
	unsigned int try;
	int ret;

	for (try = 0; try < LPORT_TRIES; try++) {
		k = s->pos;
		if (k == 0) {		/* a round of the slice begins */
			s->prev_ms = s->rounds == 0 ? w->now_ms :
				     lport_round_began(s, span, w->now_ms);
			s->round_ms = w->now_ms;
			s->anchor = 0;
		}
		if (++s->pos == span) {
			s->pos = 0;
			s->rounds++;
		}
		p = off + k;
		if (p >= span)
			p -= span;
		ret = attempt(ctx, rte_cpu_to_be_16((uint16_t)(me->lo + p)), c);
		if (unlikely(ret <= 0)) {
			if (ret < 0)
				return ret;
			lport_jump(s, span, try);	/* the port is in use */
			continue;
		}
		if ((s->rounds > 1 || (s->rounds == 1 && s->pos != 0)) &&
		    lport_early(me, s, k, w->now_ms, guard_ms))
			g->pcpu[w->id].reuse_early++;
		g->pcpu[w->id].conns++;
		return 1;
	}
	return 0;
}

/*
 * A backup follows its master's walk (lb_svc.h).  Where the master's
 * pair took port x, this worker's walk of the pair goes on from the
 * position after x in its own order (its own F), so that, should it
 * take over, it hands out the ports the master has not used for the
 * longest time, not ports from its own random point, which after a busy
 * master would mostly be tuples the servers still hold in TIME_WAIT
 * (and a Linux server refuses about half of the SYNs that reuse one:
 * PAWS, timestamps starting at a random point per connection).
 *
 * Only forward, by less than half a round: records of connections made
 * before others can come after theirs.  Backward only when nothing moved
 * the slot for a guard (the master restarted elsewhere: its ports from
 * before are out of TIME_WAIT by then).  A port outside the worker's
 * slice is another worker's.
 */
static void
lport_follow(struct dp_worker *w, uint64_t pair_a, uint64_t pair_b,
	     rte_be16_t lport, uint32_t guard_ms)
{
	const struct lport_worker *me = &lw[w->id];
	uint32_t span = me->span, x, off, k, ahead;
	struct lport_slot *s;
	uint64_t h;

	if (me->slots == NULL)
		return;
	x = (uint32_t)rte_be_to_cpu_16(lport) - me->lo;
	if (x >= span)
		return;
	h = lport_hash(me, pair_a, pair_b);
	s = &me->slots[(h >> 32) & (LPORT_SLOTS - 1)];
	off = lport_offset(me, h);
	k = x >= off ? x - off : x + span - off;	/* x's position */
	k = k + 1 == span ? 0 : k + 1;			/* the next one */
	ahead = k >= s->pos ? k - s->pos : k + span - s->pos;
	if (s->followed && (ahead == 0 || ahead >= span / 2) &&
	    w->now_ms - s->follow_ms < guard_ms)
		return;
	/* the rounds' times, which early reuses are told by, as if the
	 * walk had gone there itself */
	if (k < s->pos) {	/* past the slice's end: a round begins */
		s->rounds++;
		s->prev_ms = lport_round_began(s, span, w->now_ms);
		s->round_ms = w->now_ms;
		s->anchor = k;
	} else if (s->rounds == 0 && s->round_ms == 0) {
		s->round_ms = w->now_ms;	/* the first round's clock */
		s->anchor = k;
	}
	s->pos = k;
	s->follow_ms = w->now_ms;
	s->followed = true;
}

void
lb_lport_follow(struct dp_ctx *dp, struct dp_worker *w, uint64_t pair_a,
		uint64_t pair_b, rte_be16_t lport)
{
	lport_follow(w, pair_a, pair_b, lport, dp->cfg->lport_guard * 1000u);
}

/*
 * A full-NAT connection's local address and port, for either family:
 * the group's LIPs of family take turns (a full one passes to the
 * next), set(ctx, lip) puts each in the connection's server-side key and
 * folds its pair into two words, and lport_walk() gives that pair's
 * ports to attempt(ctx).  A group with no LIP of the family has no port
 * to run out of: no_lport without counting it exhausted.
 */
static __rte_always_inline struct conn *
lip_walk(struct dp_ctx *dp, struct dp_worker *w, const struct lb_laddr_snap *g,
	 uint8_t family, lb_lip_set_fn *set, lb_lport_attempt_fn *attempt,
	 void *ctx, enum drop_reason *why)
{
	struct conn *c = NULL;
	bool tried = false;
	uint64_t pair_a, pair_b;
	unsigned int i;
	int ret;

	*why = DROP_NO_LPORT;
	if (g == NULL || g->n == 0 || lw[w->id].slots == NULL)
		return NULL;
	for (i = 0; i < g->n; i++) {
		const struct inet_addr *lip = &g->addrs[lb_lip_next(w, g->n)];

		if (lip->family != family)
			continue;
		tried = true;
		set(ctx, lip, &pair_a, &pair_b);
		ret = lport_walk(w, g, pair_a, pair_b,
				 dp->cfg->lport_guard * 1000u, attempt, ctx, &c);
		if (ret > 0)
			return c;
		if (ret < 0) {
			*why = DROP_CONN_TABLE_FULL;
			return NULL;
		}
	}
	if (tried)
		g->pcpu[w->id].exhausted++;
	return NULL;
}

struct conn *
lb_lip_walk(struct dp_ctx *dp, struct dp_worker *w,
	    const struct lb_laddr_snap *g, uint8_t family, lb_lip_set_fn *set,
	    lb_lport_attempt_fn *attempt, void *ctx, enum drop_reason *why)
{
	return lip_walk(dp, w, g, family, set, attempt, ctx, why);
}

/* An IPv4 full-NAT connection's try of one port (lb_lport_attempt_fn). */
struct attempt4 {
	struct dp_worker *w;
	const struct conn_key4 *in;
	struct conn_loc in_loc;		/* in's place: hashed once */
	struct conn_key4 *out;
	uint8_t state;
};

static __rte_always_inline int
attempt4(void *ctx, rte_be16_t port, struct conn **c)
{
	struct attempt4 *a = ctx;
	struct conn_table *t = a->w->conns;

	a->out->dst_port = port;
	*c = conn_new_located(t, a->in, a->in_loc, a->out, a->state,
			      a->w->now_ms);
	if (likely(*c != NULL))
		return 1;
	if (rte_errno != EEXIST)
		return -ENOSPC;
	return conn_lookup4(t, a->in, NULL) != NULL ? -EEXIST : 0;
}

/* The pair (LIP, server, port, proto) of an IPv4 server-side key. */
static __rte_always_inline void
pair4(const struct conn_key4 *out, uint64_t *pair_a, uint64_t *pair_b)
{
	*pair_a = (uint64_t)out->dst_addr << 32 | out->src_addr;
	*pair_b = (uint64_t)out->src_port << 8 | out->proto;
}

/* lb_lip_set_fn of IPv4: the LIP, the pair (LIP, server, port, proto). */
static __rte_always_inline void
set4(void *ctx, const struct inet_addr *lip, uint64_t *pair_a,
     uint64_t *pair_b)
{
	struct conn_key4 *out = ((struct attempt4 *)ctx)->out;

	out->dst_addr = lip->v4.s_addr;
	pair4(out, pair_a, pair_b);
}

void
lb_lport_follow4(struct dp_ctx *dp, struct dp_worker *w,
		 const struct conn_key4 *out)
{
	uint64_t pair_a, pair_b;

	pair4(out, &pair_a, &pair_b);
	lb_lport_follow(dp, w, pair_a, pair_b, out->dst_port);
}

struct conn *
lb_fnat_conn_new(struct dp_ctx *dp, struct dp_worker *w,
		 const struct lb_laddr_snap *g, const struct conn_key4 *in,
		 struct conn_loc in_loc, struct conn_key4 *out, uint8_t state,
		 enum drop_reason *why)
{
	struct attempt4 a = { w, in, in_loc, out, state };

	return lip_walk(dp, w, g, AF_INET, set4, attempt4, &a, why);
}

/* ---- the main lcore's view ----------------------------------------- */

void
lb_laddr_counts(const struct lb_store *st, const struct lb_laddr_group *g,
		struct lb_laddr_pcpu *sum)
{
	unsigned int i;

	*sum = (struct lb_laddr_pcpu){ 0 };
	for (i = 0; i < st->n_workers; i++) {
		sum->conns += __atomic_load_n(&g->pcpu[i].conns,
					      __ATOMIC_RELAXED);
		sum->reuse_early += __atomic_load_n(&g->pcpu[i].reuse_early,
						    __ATOMIC_RELAXED);
		sum->exhausted += __atomic_load_n(&g->pcpu[i].exhausted,
						  __ATOMIC_RELAXED);
	}
}

/* The busiest full-NAT dest behind g: new connections per second. */
static uint64_t
peak_dest_cps(const struct lb_store *st, const struct lb_laddr_group *g)
{
	const struct lb_dest *d;
	const struct lb_svc *s;
	uint64_t peak = 0, r;

	TAILQ_FOREACH(s, &st->svcs, next) {
		if (s->laddr != g)
			continue;
		TAILQ_FOREACH(d, &s->dests, next) {
			r = rate_est_get(&d->est, RATE_CPS);
			if (d->conf.fwd == LB_FWD_FNAT && r > peak)
				peak = r;
		}
	}
	return peak;
}

void
lb_laddr_assess(struct lb_store *st, unsigned int guard_s, uint64_t now_ms)
{
	struct lb_laddr_group *g;
	struct lb_laddr_pcpu sum;

	TAILQ_FOREACH(g, &st->groups, next) {
		struct lb_laddr_health *h = &g->health;
		uint64_t early;

		lb_laddr_counts(st, g, &sum);
		early = sum.reuse_early - h->early_seen;
		h->early_seen = sum.reuse_early;
		h->peak_cps = peak_dest_cps(st, g);
		/* connections to one server in a guard period over what an
		 * address takes then, filled to LB_LPORT_FILL_PCT at most */
		h->needed = (uint32_t)((h->peak_cps * guard_s * 100 +
					LB_LPORT_FILL_PCT * LB_LPORT_PER_ADDR - 1) /
				       (LB_LPORT_FILL_PCT * LB_LPORT_PER_ADDR));
		if (early != 0)
			h->early_ms = now_ms;
		/* a reuse is news for a guard period */
		h->too_small = h->needed > g->n_addrs ||
			       (h->early_ms != 0 &&
				now_ms - h->early_ms < guard_s * 1000ull);
		if (!h->too_small)
			continue;
		if (h->warned_ms != 0 && now_ms - h->warned_ms < 60000)
			continue;
		h->warned_ms = now_ms;
		LOG_WARN("laddr group '%s': %u local address%s for up to %lu new connections/s to one real server: tuples come back within its TIME_WAIT (%us): %lu reused early in the last seconds; %u address%s needed (docs/load-balancing.md)",
			 g->name, g->n_addrs, g->n_addrs == 1 ? "" : "es",
			 h->peak_cps, guard_s, early, h->needed,
			 h->needed == 1 ? "" : "es");
	}
}
