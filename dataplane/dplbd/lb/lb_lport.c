/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lb_lport: full-NAT local ports, and how close a laddr group is to
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
 * to the same server is skipped.  The LIPs of the group take turns.
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
#include <errno.h>
#include <stdio.h>

#include <rte_malloc.h>
#include <rte_random.h>

#include "lb/lb.h"
#include "lb/lb_svc.h"
#include "log.h"
#include "net/steer.h"
#include "lb_priv.h"

#define LPORT_SLOTS 4096	/* counters per worker (power of two) */
#define LPORT_TRIES 32		/* ports in use skipped per LIP at most */

struct lport_slot {
	uint32_t pos;		/* the next position in the slice's round */
	uint32_t rounds;	/* rounds of the slice completed */
	uint32_t round_ms;	/* when the current round began */
	uint32_t prev_ms;	/* when the round before began */
};

struct lport_worker {
	uint64_t secret[2];	/* F and G's keys */
	bool random;		/* else F = 0: ports from lo on (tests) */
	uint16_t lo;		/* the worker's slice */
	uint32_t span;
	struct lport_slot *slots;
};

static struct lport_worker lw[DP_MAX_WORKERS];

int
lb_lport_init(struct dp_ctx *dp)
{
	struct lport_worker *me;
	unsigned int i;
	uint16_t hi;

	for (i = 0; i < dp->n_workers; i++) {
		me = &lw[i];
		if (steer_lport_range(i, dp->n_workers, &me->lo, &hi) != 0)
			return -EINVAL;
		me->span = (uint32_t)(hi - me->lo) + 1;
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
 * F and G of RFC 6056 at once: one keyed multiply-and-fold of (LIP,
 * server, port, proto), its low half the offset F, its high half the
 * slot G.  Not a cryptographic hash: the ports are not a secret to
 * defend against our own servers, they only have to differ per pair and
 * per start.
 */
static inline uint64_t
lport_hash(const struct lport_worker *me, rte_be32_t lip,
	   const struct conn_key4 *out)
{
	uint64_t a = ((uint64_t)lip << 32 | out->src_addr) ^ me->secret[0];
	uint64_t b = ((uint64_t)out->src_port << 8 | out->proto) ^
		     me->secret[1] ^ 0x9e3779b97f4a7c15ULL;
	__uint128_t p = (__uint128_t)a * b;

	return (uint64_t)p ^ (uint64_t)(p >> 64);
}

/* Did the port at position k of the slot's round last leave less than
 * guard_ms ago?  Its time is interpolated in the round before. */
static bool
lport_early(const struct lport_slot *s, uint32_t k, uint32_t span,
	    uint32_t now, uint32_t guard_ms)
{
	uint32_t len = s->round_ms - s->prev_ms;
	uint32_t prev = s->prev_ms + (uint32_t)((uint64_t)len * k / span);

	return now - prev < guard_ms;
}

/* Try the ports of lip for out (its server side set): true with the
 * local side filled. */
static bool
lport_try(struct dp_worker *w, const struct lb_laddr_snap *g, rte_be32_t lip,
	  uint32_t guard_ms, struct conn_key4 *out)
{
	const struct lport_worker *me = &lw[w->id];
	uint64_t h = lport_hash(me, lip, out);
	struct lport_slot *s = &me->slots[(h >> 32) & (LPORT_SLOTS - 1)];
	uint32_t span = me->span, off = me->random ? (uint32_t)h % span : 0;
	uint32_t k, p;
	unsigned int try;
	bool reply;

	out->dst_addr = lip;
	for (try = 0; try < LPORT_TRIES; try++) {
		k = s->pos;
		if (k == 0) {		/* a round of the slice begins */
			s->prev_ms = s->rounds == 0 ? w->now_ms : s->round_ms;
			s->round_ms = w->now_ms;
		}
		if (++s->pos == span) {
			s->pos = 0;
			s->rounds++;
		}
		p = off + k;
		if (p >= span)
			p -= span;
		out->dst_port = rte_cpu_to_be_16((uint16_t)(me->lo + p));
		if (conn_lookup4(w->conns, out, &reply) != NULL)
			continue;
		if ((s->rounds > 1 || (s->rounds == 1 && s->pos != 0)) &&
		    lport_early(s, k, span, w->now_ms, guard_ms))
			g->pcpu[w->id].reuse_early++;
		g->pcpu[w->id].conns++;
		return true;
	}
	return false;
}

bool
lb_pick_lport(struct dp_ctx *dp, struct dp_worker *w,
	      const struct lb_laddr_snap *g, struct conn_key4 *out)
{
	unsigned int i;

	if (g == NULL || g->n == 0 || lw[w->id].slots == NULL)
		return false;
	/* the group's LIPs take turns; a full one passes to the next */
	for (i = 0; i < g->n; i++)
		if (lport_try(w, g, g->addrs[w->lport_seq++ % g->n].v4.s_addr,
			      dp->cfg->lport_guard * 1000u, out))
			return true;
	g->pcpu[w->id].exhausted++;
	return false;
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
