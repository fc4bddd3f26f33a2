/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lb_svc: the store of virtual services, dests and laddr groups, and its
 * publication to the workers (RCU snapshots).  See lb_svc.h for the
 * model and the contracts; lb_conf.c holds the names, parsing and
 * validation, lb_dest.c the dests, laddr groups and counters.
 *
 * Every change follows one pattern: validate, apply to the store and
 * mark what changed dirty, lb_publish(), and undo the store change if
 * the publication failed (it only fails for memory), so that the store
 * always describes the published snapshot.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "config/config.h"
#include "lb/lb_svc.h"
#include "lb_svc_priv.h"

/* A ghost's flag (ghost_snap_build()): its service's replies took the
 * NAT-persistence detour (svc_snap_has_nat_persist()). */
#define SVC_F_GHOST_NAT_PERSIST 0x40000000u

/* ---- allocation ------------------------------------------------------- */

static void
laddr_snap_free(struct lb_laddr_snap *ls)
{
	rte_free(ls);
}

static void
svc_snap_free(struct lb_svc_snap *ss)
{
	if (ss == NULL)
		return;
	sched_free(&ss->sched);
	rte_free(ss);
}

void
lb_dest_free(struct lb_dest *d)
{
	rte_free(d->pcpu);
	rte_free(d);
}

static void
svc_free(struct lb_svc *s)
{
	unsigned int w;

	svc_snap_free(s->next_snap);
	svc_snap_free(s->snap);
	for (w = 0; w < s->n_workers; w++)
		sched_worker_fini(&s->pcpu[w].sw);
	rte_free(s->pcpu);
	rte_free(s);
}

void
lb_group_free(struct lb_laddr_group *g)
{
	laddr_snap_free(g->next_snap);
	laddr_snap_free(g->snap);
	rte_free(g->pcpu);
	rte_free(g);
}

/* The store's link and every dest (live or trashed) hold a reference. */
static void
svc_put(struct lb_svc *s)
{
	if (--s->refs == 0)
		svc_free(s);
}

static struct lb_svc *
svc_alloc(const struct lb_store *st)
{
	struct lb_svc *s = rte_zmalloc("lb_svc", sizeof(*s), 0);
	unsigned int w;

	if (s == NULL)
		return NULL;
	s->pcpu = rte_zmalloc("lb_svc_pcpu", sizeof(*s->pcpu) * st->n_workers,
			      RTE_CACHE_LINE_SIZE);
	if (s->pcpu == NULL) {
		rte_free(s);
		return NULL;
	}
	s->n_workers = st->n_workers;
	/* Spread the workers' rr start so they do not all begin alike. */
	for (w = 0; w < st->n_workers; w++)
		sched_cursor_init(&s->pcpu[w].cursor, w * 0x9e3779b9u);
	TAILQ_INIT(&s->dests);
	return s;
}

struct lb_dest *
lb_dest_alloc(const struct lb_store *st)
{
	struct lb_dest *d = rte_zmalloc("lb_dest", sizeof(*d),
					RTE_CACHE_LINE_SIZE);

	if (d == NULL)
		return NULL;
	d->pcpu = rte_zmalloc("lb_dest_pcpu", sizeof(*d->pcpu) * st->n_workers,
			      RTE_CACHE_LINE_SIZE);
	if (d->pcpu == NULL) {
		rte_free(d);
		return NULL;
	}
	d->n_workers = st->n_workers;
	return d;
}

void
lb_dest_conns(const struct lb_dest *d, uint32_t *active, uint32_t *inactive)
{
	uint32_t w;

	*active = 0;
	*inactive = 0;
	for (w = 0; w < d->n_workers; w++) {
		*active += __atomic_load_n(&d->pcpu[w].wl.active,
					   __ATOMIC_RELAXED);
		*inactive += __atomic_load_n(&d->pcpu[w].wl.inactive,
					     __ATOMIC_RELAXED);
	}
}

uint32_t
lb_dest_refs(const struct lb_dest *d)
{
	uint32_t w, n = 0;

	for (w = 0; w < d->n_workers; w++)
		n += __atomic_load_n(&d->pcpu[w].refs, __ATOMIC_ACQUIRE);
	return n;
}

/* ---- snapshots -------------------------------------------------------- */

static struct lb_laddr_snap *
laddr_snap_build(const struct lb_laddr_group *g)
{
	struct lb_laddr_snap *ls;

	ls = rte_zmalloc("lb_laddr_snap", sizeof(*ls) + sizeof(ls->addrs[0]) *
			 g->n_addrs, RTE_CACHE_LINE_SIZE);
	if (ls == NULL)
		return NULL;
	ls->name = g->name;
	ls->pcpu = g->pcpu;
	ls->n = g->n_addrs;
	memcpy(ls->addrs, g->addrs, sizeof(ls->addrs[0]) * g->n_addrs);
	return ls;
}

/*
 * The scheduler's view: the dests with their shared load and each
 * worker's counts (struct lb_dest_pcpu, one per worker), and for lblc
 * and lblcr the workers' destination tables, allocated here (main
 * lcore) before any worker can pick from a state that uses them.
 */
static int
svc_sched_build(struct lb_svc *s, struct lb_svc_snap *ss,
		const struct sched_dest *sd, unsigned int n)
{
	struct sched_params p = {
		.n_workers = s->n_workers,
		.wload_stride = sizeof(struct lb_dest_pcpu),
	};
	unsigned int w;
	int rc;

	for (w = 0; w < s->n_workers; w++) {
		rc = sched_worker_prepare(&s->pcpu[w].sw, s->conf.sched);
		if (rc < 0)
			return rc;
	}
	return sched_build_params(&ss->sched, s->conf.sched, sd, n,
				  s->conf.flags & SCHED_F_ALL, &p);
}

static int
svc_snap_build(struct lb_svc *s, struct lb_svc_snap **out)
{
	struct sched_dest *sd;
	struct lb_svc_snap *ss;
	struct lb_dest *d;
	unsigned int i = 0;
	int rc;

	ss = rte_zmalloc("lb_svc_snap", sizeof(*ss) + sizeof(ss->dests[0]) *
			 s->n_dests, RTE_CACHE_LINE_SIZE);
	sd = malloc(sizeof(*sd) * (s->n_dests ? s->n_dests : 1));
	if (ss == NULL || sd == NULL) {
		rte_free(ss);
		free(sd);
		return -ENOMEM;
	}
	ss->id = s->id;
	ss->proto = s->key.proto;
	ss->vip = s->key.vip;
	ss->vport = rte_cpu_to_be_16(s->key.port);
	ss->flags = s->conf.flags;
	ss->persistent = s->conf.persistent;
	ss->netmask_len = s->conf.netmask_len;
	ss->persist_mask = rte_cpu_to_be_32(s->conf.netmask_len &&
					    s->conf.netmask_len <= 32 ?
					    ~0u << (32 - s->conf.netmask_len) :
					    0);
	ss->half_open_max = s->conf.half_open_max;
	ss->conn_rate = s->conf.conn_rate;
	ss->rate_mask = rte_cpu_to_be_32(s->conf.conn_rate_prefix ?
					 ~0u << (32 - s->conf.conn_rate_prefix) :
					 0);
	ss->svc = (struct lb_svc *)(uintptr_t)s;
	if (s->laddr != NULL)
		ss->laddr = s->laddr->next_snap ? s->laddr->next_snap :
						  s->laddr->snap;
	ss->dests = (struct lb_dest_snap *)(ss + 1);
	TAILQ_FOREACH(d, &s->dests, next) {
		struct lb_dest_snap *ds = &ss->dests[i];

		ds->dest = (struct lb_dest *)(uintptr_t)d;
		ds->addr = d->conf.addr;
		ds->port = rte_cpu_to_be_16(d->conf.port);
		ds->fwd = d->conf.fwd;
		ds->weight = d->conf.weight;
		ds->u_threshold = d->conf.u_threshold;
		ds->l_threshold = d->conf.l_threshold;
		sd[i] = (struct sched_dest){ .addr = d->conf.addr,
					     .port = ds->port,
					     .weight = d->conf.weight,
					     .id = d->id,
					     .load = &d->load,
					     .wload = &d->pcpu[0].wl };
		i++;
	}
	ss->n_dests = i;
	rc = svc_sched_build(s, ss, sd, i);
	free(sd);
	if (rc < 0) {
		rte_free(ss);
		return rc;
	}
	*out = ss;
	return 0;
}

/* NAT replies of a persistent service need the steering detour of
 * lb.c: note the netmasks that call for it. */
static bool
svc_snap_has_nat_persist(const struct lb_svc_snap *ss)
{
	uint32_t i;

	if (ss->persistent == 0)
		return false;
	if (ss->flags & LB_SVC_F_RETIRED)
		return ss->flags & SVC_F_GHOST_NAT_PERSIST;
	for (i = 0; i < ss->n_dests; i++)
		if (ss->dests[i].fwd == LB_FWD_NAT)
			return true;
	return false;
}

static const struct lb_svc_snap *
svc_next_snap(const struct lb_svc *s)
{
	return s->next_snap ? s->next_snap : s->snap;
}

/*
 * The ghost of a service being deleted (LB_SVC_F_RETIRED in lb_svc.h):
 * what steers its connections' packets and counts them, nothing that
 * schedules.  It keeps the NAT-persistence detour of its replies, which
 * its missing dests can no longer tell.
 */
static struct lb_svc_snap *
ghost_snap_build(const struct lb_svc_snap *live)
{
	struct lb_svc_snap *g = rte_zmalloc("lb_svc_ghost", sizeof(*g),
					    RTE_CACHE_LINE_SIZE);

	if (g == NULL)
		return NULL;
	g->id = live->id;
	g->proto = live->proto;
	g->netmask_len = live->netmask_len;
	g->vport = live->vport;
	g->vip = live->vip;
	g->flags = live->flags | LB_SVC_F_RETIRED |
		   (svc_snap_has_nat_persist(live) ? SVC_F_GHOST_NAT_PERSIST : 0);
	g->persistent = live->persistent;
	g->persist_mask = live->persist_mask;
	g->svc = live->svc;
	return g;
}

/* LIPs and NAT dests there will be (duplicates included). */
static uint32_t
addrs_count(const struct lb_store *st)
{
	const struct lb_laddr_group *g;
	const struct lb_svc *s;
	uint32_t n = 0, i;

	TAILQ_FOREACH(g, &st->groups, next)
		n += g->n_addrs;
	TAILQ_FOREACH(s, &st->svcs, next)
		for (i = 0; i < svc_next_snap(s)->n_dests; i++)
			n += svc_next_snap(s)->dests[i].fwd == LB_FWD_NAT;
	return n;
}

static void
addr_insert(struct lb_snap *t, struct lb_addr_slot *slots,
	    const struct lb_addr_slot *a)
{
	uint32_t i = lb_addr_hash(a->addr, a->port, a->proto) & t->addr_mask;

	if (lb_snap_has_addr(t, a->kind, a->addr, a->port, a->proto))
		return;
	while (slots[i].kind != LB_ADDR_NONE)
		i = (i + 1) & t->addr_mask;
	slots[i] = *a;
}

static void
addrs_fill(const struct lb_store *st, struct lb_snap *t,
	   struct lb_addr_slot *slots)
{
	const struct lb_laddr_group *g;
	const struct lb_svc *s;
	uint32_t i;

	t->addrs = slots;
	TAILQ_FOREACH(g, &st->groups, next)
		for (i = 0; i < g->n_addrs; i++)
			if (g->addrs[i].family == AF_INET)
				addr_insert(t, slots, &(struct lb_addr_slot){
					.addr = g->addrs[i].v4.s_addr,
					.kind = LB_ADDR_LIP });
	TAILQ_FOREACH(s, &st->svcs, next) {
		const struct lb_svc_snap *ss = svc_next_snap(s);

		for (i = 0; i < ss->n_dests; i++)
			if (ss->dests[i].fwd == LB_FWD_NAT &&
			    ss->dests[i].addr.family == AF_INET)
				addr_insert(t, slots, &(struct lb_addr_slot){
					.addr = ss->dests[i].addr.v4.s_addr,
					.port = ss->dests[i].port,
					.proto = ss->proto,
					.kind = LB_ADDR_NAT_DEST });
	}
}

static void
table_insert(struct lb_snap *t, const struct lb_svc_snap *ss)
{
	uint32_t i;

	if (ss->vip.family == AF_INET6) {
		lb_snap_insert6(t, ss);
		if (svc_snap_has_nat_persist(ss))
			t->nat_persist_lens6[ss->netmask_len / 64] |=
				1ull << (ss->netmask_len % 64);
		return;
	}
	i = lb_svc_hash(ss->proto, ss->vip.v4.s_addr, ss->vport) & t->mask;
	while (t->slots[i] != NULL)
		i = (i + 1) & t->mask;
	t->slots[i] = ss;
	t->n_svcs++;
	t->n_port0 += ss->vport == 0;
	t->port_bloom |= ss->vport == 0 ? ~0ull : lb_port_bit(ss->vport);
	if (svc_snap_has_nat_persist(ss))
		t->nat_persist_lens |= 1ull << ss->netmask_len;
}

static bool
table_has_key(const struct lb_snap *t, const struct lb_svc_snap *ss)
{
	if (ss->vip.family == AF_INET6)
		return lb_snap_find6(t, ss->proto, ss->vip.v6.s6_addr,
				     ss->vport) != NULL;
	return lb_snap_find(t, ss->proto, ss->vip.v4.s_addr,
			    ss->vport) != NULL;
}

static struct lb_snap *
table_build(const struct lb_store *st)
{
	uint32_t n_slots = 16, n_addrs = 16;
	const struct lb_svc *s;
	struct lb_snap *t;

	while (n_slots < 2 * (st->n_svcs + st->n_retired))
		n_slots <<= 1;
	while (n_addrs < 2 * addrs_count(st))
		n_addrs <<= 1;
	t = rte_zmalloc("lb_snap", sizeof(*t) + sizeof(t->slots[0]) * n_slots +
			sizeof(t->addrs[0]) * n_addrs +
			sizeof(t->slots6[0]) * n_slots, RTE_CACHE_LINE_SIZE);
	if (t == NULL)
		return NULL;
	t->slots = (const struct lb_svc_snap **)(t + 1);
	t->mask = n_slots - 1;
	t->addr_mask = n_addrs - 1;
	addrs_fill(st, t, (struct lb_addr_slot *)(t->slots + n_slots));
	t->slots6 = (const struct lb_svc_snap **)(t->addrs + n_addrs);
	TAILQ_FOREACH(s, &st->svcs, next)
		table_insert(t, svc_next_snap(s));
	/* A service added again under a ghost's key takes its place. */
	TAILQ_FOREACH(s, &st->retired, next)
		if (!table_has_key(t, svc_next_snap(s)))
			table_insert(t, svc_next_snap(s));
	return t;
}

/* After a publication (published) the services' next snapshots become
 * theirs; after a failed one they go. */
static void
svcs_settle(struct lb_svc_list *list, bool published)
{
	struct lb_svc *s;

	TAILQ_FOREACH(s, list, next) {
		if (published && s->next_snap != NULL) {
			svc_snap_free(s->snap);
			s->snap = s->next_snap;
		} else if (!published) {
			svc_snap_free(s->next_snap);
		}
		s->next_snap = NULL;
		s->dirty = false;
	}
}

/*
 * Build what is dirty, swap the table in, wait for the workers to leave
 * the old one and free what it alone used.  On failure nothing is
 * published and the dirty marks are dropped: the caller undoes its
 * change, after which the published snapshots describe the store again.
 */
int
lb_publish(struct lb_store *st)
{
	struct lb_laddr_group *g;
	struct lb_snap *t, *old;
	struct lb_svc *s;
	int rc = -ENOMEM;

	TAILQ_FOREACH(g, &st->groups, next)
		if ((g->dirty || g->snap == NULL) &&
		    (g->next_snap = laddr_snap_build(g)) == NULL)
			goto fail;
	TAILQ_FOREACH(s, &st->svcs, next) {
		if (!s->dirty && s->snap != NULL &&
		    (s->laddr == NULL || s->laddr->next_snap == NULL))
			continue;
		rc = svc_snap_build(s, &s->next_snap);
		if (rc < 0)
			goto fail;
	}
	t = table_build(st);
	if (t == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	t->gen = ++st->gen;
	old = st->cur;
	__atomic_store_n(&st->cur, t, __ATOMIC_RELEASE);
	if (st->qsv != NULL)
		rte_rcu_qsbr_synchronize(st->qsv, RTE_QSBR_THRID_INVALID);
	rte_free(old);
	TAILQ_FOREACH(g, &st->groups, next) {
		if (g->next_snap != NULL) {
			laddr_snap_free(g->snap);
			g->snap = g->next_snap;
			g->next_snap = NULL;
		}
		g->dirty = false;
	}
	svcs_settle(&st->svcs, true);
	svcs_settle(&st->retired, true);
	return 0;
fail:
	TAILQ_FOREACH(g, &st->groups, next) {
		laddr_snap_free(g->next_snap);
		g->next_snap = NULL;
		g->dirty = false;
	}
	svcs_settle(&st->svcs, false);
	svcs_settle(&st->retired, false);
	return rc;
}

/* ---- store ------------------------------------------------------------ */

int
lb_store_create(struct lb_store **out, unsigned int n_workers,
		struct rte_rcu_qsbr *qsv)
{
	struct lb_store *st;
	int rc;

	if (n_workers == 0 || n_workers > LB_MAX_WORKERS)
		return -EINVAL;
	st = rte_zmalloc("lb_store", sizeof(*st), 0);
	if (st == NULL)
		return -ENOMEM;
	st->n_workers = n_workers;
	st->qsv = qsv;
	st->next_svc_id = 1;
	TAILQ_INIT(&st->svcs);
	TAILQ_INIT(&st->groups);
	TAILQ_INIT(&st->trash);
	TAILQ_INIT(&st->retired);
	rc = lb_publish(st);
	if (rc < 0) {
		rte_free(st);
		return rc;
	}
	*out = st;
	return 0;
}

/*
 * Unpublish the ghosts whose dests are all freed (the retired list's
 * link is their last reference: no connection is left to steer), then
 * free them.  A failed publication keeps them for the next round.
 */
static void
ghosts_gc(struct lb_store *st)
{
	struct lb_svc_list gone = TAILQ_HEAD_INITIALIZER(gone);
	struct lb_svc *s, *next;
	unsigned int n = 0;

	for (s = TAILQ_FIRST(&st->retired); s != NULL; s = next) {
		next = TAILQ_NEXT(s, next);
		if (s->refs != 1)
			continue;
		TAILQ_REMOVE(&st->retired, s, next);
		TAILQ_INSERT_TAIL(&gone, s, next);
		n++;
	}
	if (n == 0)
		return;
	st->n_retired -= n;
	if (lb_publish(st) < 0) {
		TAILQ_CONCAT(&st->retired, &gone, next);
		st->n_retired += n;
		return;
	}
	while ((s = TAILQ_FIRST(&gone)) != NULL) {
		TAILQ_REMOVE(&gone, s, next);
		svc_put(s);
	}
}

unsigned int
lb_store_gc(struct lb_store *st)
{
	struct lb_dest *d, *next;
	unsigned int left = 0;

	for (d = TAILQ_FIRST(&st->trash); d != NULL; d = next) {
		next = TAILQ_NEXT(d, next);
		if (lb_dest_refs(d) != 0) {
			left++;
			continue;
		}
		TAILQ_REMOVE(&st->trash, d, next);
		lb_dest_fold_gone(st, d);
		svc_put(d->svc);
		lb_dest_free(d);
	}
	ghosts_gc(st);
	return left;
}

void
lb_store_destroy(struct lb_store *st)
{
	struct lb_laddr_group *g;
	struct lb_dest *d;
	struct lb_svc *s;

	if (st == NULL)
		return;
	/* Trashed dests hold their services, deleted or not. */
	while ((d = TAILQ_FIRST(&st->trash)) != NULL) {
		TAILQ_REMOVE(&st->trash, d, next);
		svc_put(d->svc);
		lb_dest_free(d);
	}
	while ((s = TAILQ_FIRST(&st->svcs)) != NULL) {
		TAILQ_REMOVE(&st->svcs, s, next);
		while ((d = TAILQ_FIRST(&s->dests)) != NULL) {
			TAILQ_REMOVE(&s->dests, d, next);
			lb_dest_free(d);
		}
		s->refs = 0;
		svc_free(s);
	}
	while ((s = TAILQ_FIRST(&st->retired)) != NULL) {
		TAILQ_REMOVE(&st->retired, s, next);
		svc_put(s);
	}
	while ((g = TAILQ_FIRST(&st->groups)) != NULL) {
		TAILQ_REMOVE(&st->groups, g, next);
		lb_group_free(g);
	}
	rte_free(st->cur);
	rte_free(st);
}

/* ---- services --------------------------------------------------------- */

static bool
key_equal(const struct lb_svc_key *a, const struct lb_svc_key *b)
{
	return a->proto == b->proto && a->port == b->port &&
	       inet_addr_equal(&a->vip, &b->vip);
}

struct lb_svc *
lb_svc_find(const struct lb_store *st, const struct lb_svc_key *k)
{
	struct lb_svc *s;

	TAILQ_FOREACH(s, &st->svcs, next)
		if (key_equal(&s->key, k))
			return s;
	return NULL;
}

struct lb_laddr_group *
lb_laddr_find(const struct lb_store *st, const char *name)
{
	struct lb_laddr_group *g;

	TAILQ_FOREACH(g, &st->groups, next)
		if (strcmp(g->name, name) == 0)
			return g;
	return NULL;
}

/* The group a service description names: 0 with *g (NULL for none). */
static int
group_resolve(const struct lb_store *st, const struct lb_svc_conf *c,
	      struct lb_laddr_group **g, char *msg, size_t len)
{
	*g = NULL;
	if (c->laddr_group[0] == '\0')
		return 0;
	*g = lb_laddr_find(st, c->laddr_group);
	if (*g == NULL)
		return lb_fail(msg, len, ENOENT, "laddr_group: no laddr group "
			    "'%s'", c->laddr_group);
	return 0;
}

static uint32_t
svc_new_id(struct lb_store *st)
{
	const struct lb_svc *s;
	uint32_t id;

again:
	id = st->next_svc_id++;
	if (id == 0)
		goto again;
	/* after 2^32 services ids wrap: skip those still in use */
	TAILQ_FOREACH(s, &st->svcs, next)
		if (s->id == id)
			goto again;
	return id;
}

int
lb_svc_add(struct lb_store *st, const struct lb_svc_key *k,
	   const struct lb_svc_conf *c, char *msg, size_t len)
{
	char name[KEY_STRLEN];
	struct lb_laddr_group *g;
	struct lb_svc *s;
	int rc;

	if ((rc = lb_svc_conf_check(k, c, msg, len)) != 0)
		return rc;
	if (lb_svc_find(st, k) != NULL)
		return lb_fail(msg, len, EEXIST, "service %s exists already",
			    lb_key_fmt(k, name, sizeof(name)));
	if (st->n_svcs >= LB_MAX_SERVICES)
		return lb_fail(msg, len, ENOSPC, "at most %u services",
			    LB_MAX_SERVICES);
	if ((rc = group_resolve(st, c, &g, msg, len)) != 0)
		return rc;
	s = svc_alloc(st);
	if (s == NULL)
		return lb_fail(msg, len, ENOMEM, "out of memory");
	s->key = *k;
	s->conf = *c;
	s->id = svc_new_id(st);
	s->refs = 1;
	s->dirty = true;
	s->laddr = g;
	if (g != NULL)
		g->users++;
	TAILQ_INSERT_TAIL(&st->svcs, s, next);
	st->n_svcs++;
	rc = lb_publish(st);
	if (rc < 0) {
		TAILQ_REMOVE(&st->svcs, s, next);
		st->n_svcs--;
		if (g != NULL)
			g->users--;
		svc_free(s);
		return lb_fail(msg, len, -rc, "service %s: %s",
			    lb_key_fmt(k, name, sizeof(name)), strerror(-rc));
	}
	return 0;
}

int
lb_svc_edit(struct lb_store *st, const struct lb_svc_key *k,
	    const struct lb_svc_conf *c, char *msg, size_t len)
{
	struct lb_laddr_group *g, *old_g;
	struct lb_svc_conf old;
	char name[KEY_STRLEN];
	struct lb_dest *d;
	struct lb_svc *s;
	int rc;

	s = lb_svc_find(st, k);
	if (s == NULL)
		return lb_fail(msg, len, ENOENT, "no service %s",
			    lb_key_fmt(k, name, sizeof(name)));
	if ((rc = lb_svc_conf_check(k, c, msg, len)) != 0)
		return rc;
	/* Its dests must still make sense (FNAT without a group...). */
	TAILQ_FOREACH(d, &s->dests, next) {
		char a[INET_ADDR_STRLEN], why[LB_MSG_LEN];

		rc = lb_dest_conf_check(k, c, &d->conf, why, sizeof(why));
		if (rc != 0)
			return lb_fail(msg, len, -rc, "dest %s:%u: %s",
				    lb_host_fmt(&d->conf.addr, a, sizeof(a)),
				    d->conf.port, why);
	}
	if ((rc = group_resolve(st, c, &g, msg, len)) != 0)
		return rc;
	old = s->conf;
	old_g = s->laddr;
	s->conf = *c;
	s->laddr = g;
	if (old_g != NULL)
		old_g->users--;
	if (g != NULL)
		g->users++;
	s->dirty = true;
	rc = lb_publish(st);
	if (rc < 0) {
		if (g != NULL)
			g->users--;
		if (old_g != NULL)
			old_g->users++;
		s->conf = old;
		s->laddr = old_g;
		return lb_fail(msg, len, -rc, "service %s: %s",
			    lb_key_fmt(k, name, sizeof(name)), strerror(-rc));
	}
	return 0;
}

/*
 * A service leaves the table of live ones for the retired list, with
 * its ghost as its next snapshot (ghost_snap_build()); retire_undo()
 * takes it back when the publication fails.
 */
static int
retire_prepare(struct lb_store *st, struct lb_svc *s)
{
	s->next_snap = ghost_snap_build(s->snap);
	if (s->next_snap == NULL)
		return -ENOMEM;
	TAILQ_REMOVE(&st->svcs, s, next);
	st->n_svcs--;
	TAILQ_INSERT_TAIL(&st->retired, s, next);
	st->n_retired++;
	return 0;
}

static void
retire_undo(struct lb_store *st, struct lb_svc *s, struct lb_svc *after)
{
	TAILQ_REMOVE(&st->retired, s, next);
	st->n_retired--;
	if (after != NULL)
		TAILQ_INSERT_BEFORE(after, s, next);
	else
		TAILQ_INSERT_TAIL(&st->svcs, s, next);
	st->n_svcs++;
}

/* After the publication of its ghost: the dests of s go to the trash
 * (where connections may still hold them), its link to its group goes.
 * The retired list keeps the store's reference until lb_store_gc(). */
static void
svc_retire(struct lb_store *st, struct lb_svc *s)
{
	struct lb_dest *d;

	if (s->laddr != NULL)
		s->laddr->users--;
	s->laddr = NULL;
	while ((d = TAILQ_FIRST(&s->dests)) != NULL) {
		TAILQ_REMOVE(&s->dests, d, next);
		d->trashed = true;
		TAILQ_INSERT_TAIL(&st->trash, d, next);
	}
	s->n_dests = 0;
}

int
lb_svc_del(struct lb_store *st, const struct lb_svc_key *k, char *msg,
	   size_t len)
{
	char name[KEY_STRLEN];
	struct lb_svc *s, *after;
	int rc;

	s = lb_svc_find(st, k);
	if (s == NULL)
		return lb_fail(msg, len, ENOENT, "no service %s",
			    lb_key_fmt(k, name, sizeof(name)));
	after = TAILQ_NEXT(s, next);
	rc = retire_prepare(st, s);
	if (rc == 0 && (rc = lb_publish(st)) < 0)
		retire_undo(st, s, after);
	if (rc < 0)
		return lb_fail(msg, len, -rc, "service %s: %s",
			    lb_key_fmt(k, name, sizeof(name)), strerror(-rc));
	svc_retire(st, s);
	lb_store_gc(st);
	return 0;
}

int
lb_svc_flush(struct lb_store *st, char *msg, size_t len)
{
	unsigned int n = st->n_svcs, i;
	struct lb_svc *s, *last = TAILQ_LAST(&st->retired, lb_svc_list);
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++)
		rc = retire_prepare(st, TAILQ_FIRST(&st->svcs));
	if (rc == 0)
		rc = lb_publish(st);
	if (rc < 0) {
		/* the prepared ones, newest first, back to the front */
		while ((s = TAILQ_LAST(&st->retired, lb_svc_list)) != last) {
			svc_snap_free(s->next_snap);
			s->next_snap = NULL;
			retire_undo(st, s, TAILQ_FIRST(&st->svcs));
		}
		return lb_fail(msg, len, -rc, "flush: %s", strerror(-rc));
	}
	s = last == NULL ? TAILQ_FIRST(&st->retired) : TAILQ_NEXT(last, next);
	for (; s != NULL; s = TAILQ_NEXT(s, next))
		svc_retire(st, s);
	lb_store_gc(st);
	return (int)n;
}

/* ---- worker side ------------------------------------------------------ */

const struct lb_dest_snap *
lb_svc_pick(const struct lb_svc_snap *svc, unsigned int worker,
	    const struct inet_addr *saddr, rte_be16_t sport,
	    const struct inet_addr *daddr, uint32_t now_ms)
{
	struct lb_svc_pcpu *pc = &svc->svc->pcpu[worker];
	struct sched_input in = {
		.saddr = saddr,
		.sport = sport,
		.cursor = &pc->cursor,
		.daddr = daddr,
		.now_ms = now_ms,
		.worker = worker,
		.sw = &pc->sw,
	};
	int i = sched_pick(&svc->sched, &in);

	return i < 0 ? NULL : &svc->dests[i];
}
