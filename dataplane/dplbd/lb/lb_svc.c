/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lb_svc: virtual services, dests and laddr groups; their publication.
 * See lb_svc.h for the model and the contracts.
 *
 * Every change follows one pattern: validate, apply to the store and
 * mark what changed dirty, publish(), and undo the store change if the
 * publication failed (it only fails for memory), so that the store
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

#define LB_MSG_LEN 256

/* ---- messages ---------------------------------------------------------- */

static int __attribute__((format(printf, 4, 5)))
fail(char *msg, size_t len, int err, const char *fmt, ...)
{
	va_list ap;

	if (msg != NULL && len > 0) {
		va_start(ap, fmt);
		vsnprintf(msg, len, fmt, ap);
		va_end(ap);
	}
	return -err;
}

/* "tcp 198.18.0.100:80" for messages. */
static const char *
key_fmt(const struct lb_svc_key *k, char *buf, size_t len)
{
	char a[INET_ADDR_STRLEN];
	const char *p = lb_proto_name(k->proto);

	snprintf(buf, len, "%s %s:%u", p ? p : "?",
		 inet_addr_fmt(&k->vip, a, sizeof(a)), k->port);
	return buf;
}

#define KEY_STRLEN (INET_ADDR_STRLEN + 16)

/* ---- names ------------------------------------------------------------- */

static const char *const fwd_names[LB_FWD_COUNT] = {
	[LB_FWD_FNAT] = "fnat",
	[LB_FWD_NAT] = "nat",
	[LB_FWD_DR] = "dr",
	[LB_FWD_TUNNEL] = "tunnel",
};

void
lb_svc_conf_init(struct lb_svc_conf *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->sched, sizeof(c->sched), "wlc");
	c->netmask_len = 32;
}

void
lb_dest_conf_init(struct lb_dest_conf *d)
{
	memset(d, 0, sizeof(*d));
	d->weight = 1;
	d->fwd = LB_FWD_FNAT;
}

int
lb_proto_parse(const char *s)
{
	if (s != NULL && strcmp(s, "tcp") == 0)
		return IPPROTO_TCP;
	if (s != NULL && strcmp(s, "udp") == 0)
		return IPPROTO_UDP;
	return -EINVAL;
}

const char *
lb_proto_name(uint8_t proto)
{
	return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" :
								    NULL;
}

int
lb_fwd_parse(const char *s)
{
	int i;

	for (i = 0; s != NULL && i < LB_FWD_COUNT; i++)
		if (strcmp(s, fwd_names[i]) == 0)
			return i;
	return -EINVAL;
}

const char *
lb_fwd_name(uint8_t fwd)
{
	return fwd < LB_FWD_COUNT ? fwd_names[fwd] : NULL;
}

/* Compare flag names with '_' and '-' as the same character. */
static bool
flag_eq(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++)
		if (*a != *b && !((*a == '_' || *a == '-') &&
				  (*b == '_' || *b == '-')))
			return false;
	return *a == *b;
}

int
lb_svc_flag_parse(const char *s)
{
	static const struct { const char *name; int bit; } names[] = {
		{ "sh-fallback", LB_SVC_F_FALLBACK },
		{ "mh-fallback", LB_SVC_F_FALLBACK },
		{ "sh-port", LB_SVC_F_HASH_PORT },
		{ "mh-port", LB_SVC_F_HASH_PORT },
		{ "one-packet", LB_SVC_F_ONE_PACKET },
		{ "ops", LB_SVC_F_ONE_PACKET },
		{ "expire-quiescent", LB_SVC_F_EXPIRE_QUIESCENT },
	};
	size_t i;

	for (i = 0; s != NULL && i < RTE_DIM(names); i++)
		if (flag_eq(s, names[i].name))
			return names[i].bit;
	return -EINVAL;
}

/* IPVS keeps one bit for sh-port and mh-port (and one for the
 * fallbacks): the name follows the scheduler, as ipvsadm prints it. */
const char *
lb_svc_flag_name(uint32_t f, const char *sched)
{
	bool mh = sched != NULL && strcmp(sched, "mh") == 0;

	switch (f) {
	case LB_SVC_F_FALLBACK:
		return mh ? "mh-fallback" : "sh-fallback";
	case LB_SVC_F_HASH_PORT:
		return mh ? "mh-port" : "sh-port";
	case LB_SVC_F_ONE_PACKET:
		return "one-packet";
	case LB_SVC_F_EXPIRE_QUIESCENT:
		return "expire-quiescent";
	}
	return NULL;
}

int
lb_netmask_parse(const char *s)
{
	struct inet_addr a;
	uint32_t m;
	int len;

	if (s == NULL || inet_addr_parse(s, &a) != 0 || a.family != AF_INET)
		return -EINVAL;
	m = ntohl(a.v4.s_addr);
	len = m ? __builtin_popcount(m) : 0;
	/* contiguous: the ones are exactly the top len bits */
	if (len != 32 && m != (len ? ~0u << (32 - len) : 0))
		return -EINVAL;
	return len;
}

/* Group names: safe in messages, logs and config files. */
static bool
name_valid(const char *s)
{
	size_t n = strnlen(s, LB_NAME_LEN);

	return n > 0 && n < LB_NAME_LEN &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789_.-") == n;
}

static int
check_v4(const struct inet_addr *a, const char *what, char *msg, size_t len)
{
	uint32_t h;

	if (a->family == AF_INET6)
		return fail(msg, len, EAFNOSUPPORT,
			    "%s: IPv6 is not supported by the dataplane yet",
			    what);
	if (a->family != AF_INET)
		return fail(msg, len, EINVAL, "%s: missing address", what);
	h = ntohl(a->v4.s_addr);
	if (h == 0 || (h >> 24) == 127 || (h >> 28) >= 0xe)
		return fail(msg, len, EINVAL, "%s: not a unicast address",
			    what);
	return 0;
}

int
lb_svc_conf_check(const struct lb_svc_key *k, const struct lb_svc_conf *c,
		  char *msg, size_t len)
{
	int rc;

	if (lb_proto_name(k->proto) == NULL)
		return fail(msg, len, EINVAL, "proto: must be tcp or udp");
	if ((rc = check_v4(&k->vip, "vip", msg, len)) != 0)
		return rc;
	if (memchr(c->sched, '\0', sizeof(c->sched)) == NULL ||
	    !sched_known(c->sched))
		return fail(msg, len, EINVAL, "sched: unknown scheduler '%.*s' "
			    "(rr wrr lc wlc sh mh fo)",
			    (int)sizeof(c->sched), c->sched);
	if (c->flags & ~LB_SVC_F_ALL)
		return fail(msg, len, EINVAL, "flags: unknown flag 0x%x",
			    c->flags & ~LB_SVC_F_ALL);
	if ((c->flags & LB_SVC_F_ONE_PACKET) && k->proto != IPPROTO_UDP)
		return fail(msg, len, EINVAL,
			    "flags: one-packet is for UDP services only");
	if (c->persistent > LB_PERSIST_MAX)
		return fail(msg, len, EINVAL,
			    "persistent: must be between 0 and %u seconds",
			    LB_PERSIST_MAX);
	if (c->netmask_len > 32)
		return fail(msg, len, EINVAL, "netmask: must be /0 to /32");
	if (c->persistent == 0 && c->netmask_len != 32)
		return fail(msg, len, EINVAL,
			    "netmask: only with persistent (as ipvsadm -M)");
	if (c->laddr_group[0] != '\0' && !name_valid(c->laddr_group))
		return fail(msg, len, EINVAL, "laddr_group: invalid name: use "
			    "1 to %d characters of A-Z a-z 0-9 _ . -",
			    LB_NAME_LEN - 1);
	return 0;
}

int
lb_dest_conf_check(const struct lb_svc_key *k, const struct lb_svc_conf *c,
		   const struct lb_dest_conf *d, char *msg, size_t len)
{
	int rc;

	if ((rc = check_v4(&d->addr, "addr", msg, len)) != 0)
		return rc;
	if (d->weight > SCHED_WEIGHT_MAX)
		return fail(msg, len, EINVAL, "weight: must be between 0 and %u",
			    SCHED_WEIGHT_MAX);
	if (d->fwd >= LB_FWD_COUNT)
		return fail(msg, len, EINVAL,
			    "fwd: must be fnat, nat, dr or tunnel");
	if (d->u_threshold > LB_THRESHOLD_MAX ||
	    d->l_threshold > LB_THRESHOLD_MAX)
		return fail(msg, len, EINVAL,
			    "thresholds: must be between 0 and %u",
			    LB_THRESHOLD_MAX);
	if (d->u_threshold != 0 && d->l_threshold > d->u_threshold)
		return fail(msg, len, EINVAL,
			    "l_threshold: must not exceed u_threshold");
	if (d->fwd == LB_FWD_FNAT && c->laddr_group[0] == '\0')
		return fail(msg, len, EINVAL, "fwd: full-NAT needs the service "
			    "to have a laddr_group");
	/* DR and tunnel do not rewrite the transport header. */
	if ((d->fwd == LB_FWD_DR || d->fwd == LB_FWD_TUNNEL) &&
	    d->port != 0 && d->port != k->port)
		return fail(msg, len, EINVAL, "dport: %s dests keep the "
			    "service's port %u", lb_fwd_name(d->fwd), k->port);
	return 0;
}

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

static void
dest_free(struct lb_dest *d)
{
	rte_free(d->pcpu);
	rte_free(d);
}

static void
svc_free(struct lb_svc *s)
{
	svc_snap_free(s->next_snap);
	svc_snap_free(s->snap);
	rte_free(s->pcpu);
	rte_free(s);
}

static void
group_free(struct lb_laddr_group *g)
{
	laddr_snap_free(g->next_snap);
	laddr_snap_free(g->snap);
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
	/* Spread the workers' rr start so they do not all begin alike. */
	for (w = 0; w < st->n_workers; w++)
		sched_cursor_init(&s->pcpu[w].cursor, w * 0x9e3779b9u);
	TAILQ_INIT(&s->dests);
	return s;
}

static struct lb_dest *
dest_alloc(const struct lb_store *st)
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
	return d;
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
	ls->n = g->n_addrs;
	memcpy(ls->addrs, g->addrs, sizeof(ls->addrs[0]) * g->n_addrs);
	return ls;
}

static int
svc_snap_build(const struct lb_svc *s, struct lb_svc_snap **out)
{
	struct sched_dest *sd;
	struct lb_svc_snap *ss;
	const struct lb_dest *d;
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
	ss->persist_mask = rte_cpu_to_be_32(s->conf.netmask_len ?
					    ~0u << (32 - s->conf.netmask_len) :
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
					     .load = &d->load };
		i++;
	}
	ss->n_dests = i;
	rc = sched_build(&ss->sched, s->conf.sched, sd, i,
			 s->conf.flags & SCHED_F_ALL);
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
	for (i = 0; i < ss->n_dests; i++)
		if (ss->dests[i].fwd == LB_FWD_NAT)
			return true;
	return false;
}

static struct lb_snap *
table_build(const struct lb_store *st)
{
	uint32_t n_slots = 16, i;
	const struct lb_svc *s;
	struct lb_snap *t;

	while (n_slots < 2 * st->n_svcs)
		n_slots <<= 1;
	t = rte_zmalloc("lb_snap", sizeof(*t) + sizeof(t->slots[0]) * n_slots,
			RTE_CACHE_LINE_SIZE);
	if (t == NULL)
		return NULL;
	t->slots = (const struct lb_svc_snap **)(t + 1);
	t->mask = n_slots - 1;
	TAILQ_FOREACH(s, &st->svcs, next) {
		const struct lb_svc_snap *ss = s->next_snap ? s->next_snap :
							      s->snap;

		i = lb_svc_hash(ss->proto, ss->vip.v4.s_addr, ss->vport) & t->mask;
		while (t->slots[i] != NULL)
			i = (i + 1) & t->mask;
		t->slots[i] = ss;
		t->n_svcs++;
		t->n_port0 += ss->vport == 0;
		if (svc_snap_has_nat_persist(ss))
			t->nat_persist_lens |= 1ull << ss->netmask_len;
	}
	return t;
}

/*
 * Build what is dirty, swap the table in, wait for the workers to leave
 * the old one and free what it alone used.  On failure nothing is
 * published and the dirty marks are dropped: the caller undoes its
 * change, after which the published snapshots describe the store again.
 */
static int
publish(struct lb_store *st)
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
	TAILQ_FOREACH(s, &st->svcs, next) {
		if (s->next_snap != NULL) {
			svc_snap_free(s->snap);
			s->snap = s->next_snap;
			s->next_snap = NULL;
		}
		s->dirty = false;
	}
	return 0;
fail:
	TAILQ_FOREACH(g, &st->groups, next) {
		laddr_snap_free(g->next_snap);
		g->next_snap = NULL;
		g->dirty = false;
	}
	TAILQ_FOREACH(s, &st->svcs, next) {
		svc_snap_free(s->next_snap);
		s->next_snap = NULL;
		s->dirty = false;
	}
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
	rc = publish(st);
	if (rc < 0) {
		rte_free(st);
		return rc;
	}
	*out = st;
	return 0;
}

unsigned int
lb_store_gc(struct lb_store *st)
{
	struct lb_dest *d, *next;
	unsigned int left = 0;

	for (d = TAILQ_FIRST(&st->trash); d != NULL; d = next) {
		next = TAILQ_NEXT(d, next);
		if (__atomic_load_n(&d->refcnt, __ATOMIC_ACQUIRE) != 0) {
			left++;
			continue;
		}
		TAILQ_REMOVE(&st->trash, d, next);
		svc_put(d->svc);
		dest_free(d);
	}
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
	while ((s = TAILQ_FIRST(&st->svcs)) != NULL) {
		TAILQ_REMOVE(&st->svcs, s, next);
		while ((d = TAILQ_FIRST(&s->dests)) != NULL) {
			TAILQ_REMOVE(&s->dests, d, next);
			dest_free(d);
		}
		s->refs = 0;
		svc_free(s);
	}
	/* Trashed dests hold their (deleted) services. */
	while ((d = TAILQ_FIRST(&st->trash)) != NULL) {
		TAILQ_REMOVE(&st->trash, d, next);
		svc_put(d->svc);
		dest_free(d);
	}
	while ((g = TAILQ_FIRST(&st->groups)) != NULL) {
		TAILQ_REMOVE(&st->groups, g, next);
		group_free(g);
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
		return fail(msg, len, ENOENT, "laddr_group: no laddr group "
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
		return fail(msg, len, EEXIST, "service %s exists already",
			    key_fmt(k, name, sizeof(name)));
	if (st->n_svcs >= LB_MAX_SERVICES)
		return fail(msg, len, ENOSPC, "at most %u services",
			    LB_MAX_SERVICES);
	if ((rc = group_resolve(st, c, &g, msg, len)) != 0)
		return rc;
	s = svc_alloc(st);
	if (s == NULL)
		return fail(msg, len, ENOMEM, "out of memory");
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
	rc = publish(st);
	if (rc < 0) {
		TAILQ_REMOVE(&st->svcs, s, next);
		st->n_svcs--;
		if (g != NULL)
			g->users--;
		svc_free(s);
		return fail(msg, len, -rc, "service %s: %s",
			    key_fmt(k, name, sizeof(name)), strerror(-rc));
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
		return fail(msg, len, ENOENT, "no service %s",
			    key_fmt(k, name, sizeof(name)));
	if ((rc = lb_svc_conf_check(k, c, msg, len)) != 0)
		return rc;
	/* Its dests must still make sense (FNAT without a group...). */
	TAILQ_FOREACH(d, &s->dests, next) {
		char a[INET_ADDR_STRLEN], why[LB_MSG_LEN];

		rc = lb_dest_conf_check(k, c, &d->conf, why, sizeof(why));
		if (rc != 0)
			return fail(msg, len, -rc, "dest %s:%u: %s",
				    inet_addr_fmt(&d->conf.addr, a, sizeof(a)),
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
	rc = publish(st);
	if (rc < 0) {
		if (g != NULL)
			g->users--;
		if (old_g != NULL)
			old_g->users++;
		s->conf = old;
		s->laddr = old_g;
		return fail(msg, len, -rc, "service %s: %s",
			    key_fmt(k, name, sizeof(name)), strerror(-rc));
	}
	return 0;
}

/* After the publication without s: its dests go to the trash (where
 * connections may still hold them), its snapshot and its link go. */
static void
svc_retire(struct lb_store *st, struct lb_svc *s)
{
	struct lb_dest *d;

	svc_snap_free(s->snap);
	s->snap = NULL;
	if (s->laddr != NULL)
		s->laddr->users--;
	s->laddr = NULL;
	while ((d = TAILQ_FIRST(&s->dests)) != NULL) {
		TAILQ_REMOVE(&s->dests, d, next);
		d->trashed = true;
		TAILQ_INSERT_TAIL(&st->trash, d, next);
	}
	s->n_dests = 0;
	svc_put(s);
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
		return fail(msg, len, ENOENT, "no service %s",
			    key_fmt(k, name, sizeof(name)));
	after = TAILQ_NEXT(s, next);
	TAILQ_REMOVE(&st->svcs, s, next);
	st->n_svcs--;
	rc = publish(st);
	if (rc < 0) {
		if (after != NULL)
			TAILQ_INSERT_BEFORE(after, s, next);
		else
			TAILQ_INSERT_TAIL(&st->svcs, s, next);
		st->n_svcs++;
		return fail(msg, len, -rc, "service %s: %s",
			    key_fmt(k, name, sizeof(name)), strerror(-rc));
	}
	svc_retire(st, s);
	lb_store_gc(st);
	return 0;
}

int
lb_svc_flush(struct lb_store *st, char *msg, size_t len)
{
	struct lb_svc_list gone = TAILQ_HEAD_INITIALIZER(gone);
	unsigned int n = st->n_svcs;
	struct lb_svc *s;
	int rc;

	TAILQ_CONCAT(&gone, &st->svcs, next);
	st->n_svcs = 0;
	rc = publish(st);
	if (rc < 0) {
		TAILQ_CONCAT(&st->svcs, &gone, next);
		st->n_svcs = n;
		return fail(msg, len, -rc, "flush: %s", strerror(-rc));
	}
	while ((s = TAILQ_FIRST(&gone)) != NULL) {
		TAILQ_REMOVE(&gone, s, next);
		svc_retire(st, s);
	}
	lb_store_gc(st);
	return (int)n;
}

/* ---- dests ------------------------------------------------------------ */

struct lb_dest *
lb_dest_find(const struct lb_svc *s, const struct inet_addr *addr,
	     uint16_t port)
{
	struct lb_dest *d;

	if (port == 0)
		port = s->key.port;
	TAILQ_FOREACH(d, &s->dests, next)
		if (d->conf.port == port && inet_addr_equal(&d->conf.addr, addr))
			return d;
	return NULL;
}

/* A deleted dest of s that connections still hold: revived on re-add. */
static struct lb_dest *
trash_find(const struct lb_store *st, const struct lb_svc *s,
	   const struct lb_dest_conf *dc)
{
	struct lb_dest *d;

	TAILQ_FOREACH(d, &st->trash, next)
		if (d->svc == s && d->conf.port == dc->port &&
		    inet_addr_equal(&d->conf.addr, &dc->addr))
			return d;
	return NULL;
}

/* The service of a dest verb with d's port resolved into *dc. */
static int
dest_prepare(struct lb_store *st, const struct lb_svc_key *k,
	     const struct lb_dest_conf *d, struct lb_svc **s,
	     struct lb_dest_conf *dc, char *msg, size_t len)
{
	char name[KEY_STRLEN];

	*s = lb_svc_find(st, k);
	if (*s == NULL)
		return fail(msg, len, ENOENT, "no service %s",
			    key_fmt(k, name, sizeof(name)));
	*dc = *d;
	if (dc->port == 0)
		dc->port = k->port;
	return lb_dest_conf_check(k, &(*s)->conf, dc, msg, len);
}

int
lb_dest_add(struct lb_store *st, const struct lb_svc_key *k,
	    const struct lb_dest_conf *d, char *msg, size_t len)
{
	char name[KEY_STRLEN], a[INET_ADDR_STRLEN];
	struct lb_dest_conf dc;
	struct lb_dest *nd;
	struct lb_svc *s;
	bool revived;
	int rc;

	if ((rc = dest_prepare(st, k, d, &s, &dc, msg, len)) != 0)
		return rc;
	if (lb_dest_find(s, &dc.addr, dc.port) != NULL)
		return fail(msg, len, EEXIST, "dest %s:%u of service %s "
			    "exists already",
			    inet_addr_fmt(&dc.addr, a, sizeof(a)), dc.port,
			    key_fmt(k, name, sizeof(name)));
	if (s->n_dests >= LB_MAX_DESTS_PER_SVC)
		return fail(msg, len, ENOSPC, "at most %u dests per service",
			    LB_MAX_DESTS_PER_SVC);
	nd = trash_find(st, s, &dc);
	revived = nd != NULL;
	if (revived) {
		TAILQ_REMOVE(&st->trash, nd, next);
		nd->trashed = false;
	} else {
		nd = dest_alloc(st);
		if (nd == NULL)
			return fail(msg, len, ENOMEM, "out of memory");
		nd->svc = s;
		nd->id = s->next_dest_id++;
		s->refs++;
	}
	nd->conf = dc;
	TAILQ_INSERT_TAIL(&s->dests, nd, next);
	s->n_dests++;
	s->dirty = true;
	rc = publish(st);
	if (rc < 0) {
		TAILQ_REMOVE(&s->dests, nd, next);
		s->n_dests--;
		if (revived) {
			nd->trashed = true;
			TAILQ_INSERT_TAIL(&st->trash, nd, next);
		} else {
			dest_free(nd);
			s->refs--;
		}
		return fail(msg, len, -rc, "dest %s:%u: %s",
			    inet_addr_fmt(&dc.addr, a, sizeof(a)), dc.port,
			    strerror(-rc));
	}
	return 0;
}

int
lb_dest_edit(struct lb_store *st, const struct lb_svc_key *k,
	     const struct lb_dest_conf *d, char *msg, size_t len)
{
	char name[KEY_STRLEN], a[INET_ADDR_STRLEN];
	struct lb_dest_conf dc, old;
	struct lb_dest *ed;
	struct lb_svc *s;
	int rc;

	if ((rc = dest_prepare(st, k, d, &s, &dc, msg, len)) != 0) {
		/* a missing dest is ENOENT even when the new values are bad */
		if (s == NULL || lb_dest_find(s, &d->addr, d->port) != NULL)
			return rc;
	}
	ed = lb_dest_find(s, &dc.addr, dc.port);
	if (ed == NULL)
		return fail(msg, len, ENOENT, "no dest %s:%u in service %s",
			    inet_addr_fmt(&dc.addr, a, sizeof(a)), dc.port,
			    key_fmt(k, name, sizeof(name)));
	old = ed->conf;
	ed->conf = dc;
	s->dirty = true;
	rc = publish(st);
	if (rc < 0) {
		ed->conf = old;
		return fail(msg, len, -rc, "dest %s:%u: %s",
			    inet_addr_fmt(&dc.addr, a, sizeof(a)), dc.port,
			    strerror(-rc));
	}
	return 0;
}

int
lb_dest_del(struct lb_store *st, const struct lb_svc_key *k,
	    const struct inet_addr *addr, uint16_t port, char *msg,
	    size_t len)
{
	char name[KEY_STRLEN], a[INET_ADDR_STRLEN];
	struct lb_dest *d, *after;
	struct lb_svc *s;
	int rc;

	s = lb_svc_find(st, k);
	if (s == NULL)
		return fail(msg, len, ENOENT, "no service %s",
			    key_fmt(k, name, sizeof(name)));
	d = lb_dest_find(s, addr, port);
	if (d == NULL)
		return fail(msg, len, ENOENT, "no dest %s:%u in service %s",
			    inet_addr_fmt(addr, a, sizeof(a)),
			    port ? port : k->port,
			    key_fmt(k, name, sizeof(name)));
	after = TAILQ_NEXT(d, next);
	TAILQ_REMOVE(&s->dests, d, next);
	s->n_dests--;
	s->dirty = true;
	rc = publish(st);
	if (rc < 0) {
		if (after != NULL)
			TAILQ_INSERT_BEFORE(after, d, next);
		else
			TAILQ_INSERT_TAIL(&s->dests, d, next);
		s->n_dests++;
		return fail(msg, len, -rc, "dest %s:%u: %s",
			    inet_addr_fmt(addr, a, sizeof(a)), d->conf.port,
			    strerror(-rc));
	}
	/* No snapshot reaches it now; connections may still hold it. */
	d->trashed = true;
	TAILQ_INSERT_TAIL(&st->trash, d, next);
	lb_store_gc(st);
	return 0;
}

/* ---- laddr groups ----------------------------------------------------- */

static struct lb_laddr_group *
addr_group(const struct lb_store *st, const struct inet_addr *a, int *idx)
{
	struct lb_laddr_group *g;
	unsigned int i;

	TAILQ_FOREACH(g, &st->groups, next)
		for (i = 0; i < g->n_addrs; i++)
			if (inet_addr_equal(&g->addrs[i], a)) {
				*idx = (int)i;
				return g;
			}
	return NULL;
}

int
lb_laddr_add(struct lb_store *st, const char *name,
	     const struct inet_addr *addr, char *msg, size_t len)
{
	struct lb_laddr_group *g, *owner;
	char a[INET_ADDR_STRLEN];
	bool created = false;
	int rc, idx;

	if (name == NULL || !name_valid(name))
		return fail(msg, len, EINVAL, "group: invalid name: use 1 to "
			    "%d characters of A-Z a-z 0-9 _ . -",
			    LB_NAME_LEN - 1);
	g = lb_laddr_find(st, name);
	if (addr == NULL && g != NULL)
		return fail(msg, len, EEXIST, "laddr group '%s' exists already",
			    name);
	if (addr != NULL) {
		if ((rc = check_v4(addr, "addr", msg, len)) != 0)
			return rc;
		inet_addr_fmt(addr, a, sizeof(a));
		owner = addr_group(st, addr, &idx);
		if (owner != NULL)
			return fail(msg, len, EEXIST, "%s is in laddr group "
				    "'%s' already", a, owner->name);
		if (g != NULL && g->n_addrs >= LB_LADDR_MAX_ADDRS)
			return fail(msg, len, ENOSPC, "at most %d addresses per "
				    "laddr group", LB_LADDR_MAX_ADDRS);
	}
	if (g == NULL) {
		g = rte_zmalloc("lb_laddr_group", sizeof(*g), 0);
		if (g == NULL)
			return fail(msg, len, ENOMEM, "out of memory");
		snprintf(g->name, sizeof(g->name), "%s", name);
		TAILQ_INSERT_TAIL(&st->groups, g, next);
		created = true;
	}
	if (addr != NULL)
		g->addrs[g->n_addrs++] = *addr;
	g->dirty = true;
	rc = publish(st);
	if (rc < 0) {
		if (addr != NULL)
			g->n_addrs--;
		if (created) {
			TAILQ_REMOVE(&st->groups, g, next);
			group_free(g);
		}
		return fail(msg, len, -rc, "laddr group '%s': %s", name,
			    strerror(-rc));
	}
	return 0;
}

int
lb_laddr_del(struct lb_store *st, const char *name,
	     const struct inet_addr *addr, char *msg, size_t len)
{
	struct lb_laddr_group *g, *owner;
	char a[INET_ADDR_STRLEN];
	int rc, idx = -1;

	g = name != NULL ? lb_laddr_find(st, name) : NULL;
	if (g == NULL)
		return fail(msg, len, ENOENT, "no laddr group '%s'",
			    name ? name : "");
	if (addr == NULL) {
		if (g->users > 0)
			return fail(msg, len, EBUSY, "laddr group '%s' is used "
				    "by %u service(s)", name, g->users);
		/* No published service snapshot points to it. */
		TAILQ_REMOVE(&st->groups, g, next);
		group_free(g);
		return 0;
	}
	owner = addr_group(st, addr, &idx);
	if (owner != g)
		return fail(msg, len, ENOENT, "%s is not in laddr group '%s'",
			    inet_addr_fmt(addr, a, sizeof(a)), name);
	memmove(&g->addrs[idx], &g->addrs[idx + 1],
		sizeof(g->addrs[0]) * (g->n_addrs - (unsigned int)idx - 1));
	g->n_addrs--;
	g->dirty = true;
	rc = publish(st);
	if (rc < 0) {
		memmove(&g->addrs[idx + 1], &g->addrs[idx],
			sizeof(g->addrs[0]) * (g->n_addrs - (unsigned int)idx));
		g->addrs[idx] = *addr;
		g->n_addrs++;
		return fail(msg, len, -rc, "laddr group '%s': %s", name,
			    strerror(-rc));
	}
	return 0;
}

/* ---- counters --------------------------------------------------------- */

static void
stats_add(struct lb_stats *sum, const struct lb_stats *s)
{
	/* Workers write their block with plain stores; a relaxed atomic
	 * load reads each 64-bit counter whole. */
	sum->conns += __atomic_load_n(&s->conns, __ATOMIC_RELAXED);
	sum->inpkts += __atomic_load_n(&s->inpkts, __ATOMIC_RELAXED);
	sum->outpkts += __atomic_load_n(&s->outpkts, __ATOMIC_RELAXED);
	sum->inbytes += __atomic_load_n(&s->inbytes, __ATOMIC_RELAXED);
	sum->outbytes += __atomic_load_n(&s->outbytes, __ATOMIC_RELAXED);
}

static void
stats_sub(struct lb_stats *s, const struct lb_stats *base)
{
	s->conns -= RTE_MIN(s->conns, base->conns);
	s->inpkts -= RTE_MIN(s->inpkts, base->inpkts);
	s->outpkts -= RTE_MIN(s->outpkts, base->outpkts);
	s->inbytes -= RTE_MIN(s->inbytes, base->inbytes);
	s->outbytes -= RTE_MIN(s->outbytes, base->outbytes);
}

static void
svc_raw(const struct lb_store *st, const struct lb_svc *s, struct lb_stats *o)
{
	unsigned int w;

	memset(o, 0, sizeof(*o));
	for (w = 0; w < st->n_workers; w++)
		stats_add(o, &s->pcpu[w].st);
}

static void
dest_raw(const struct lb_store *st, const struct lb_dest *d,
	 struct lb_stats *o)
{
	unsigned int w;

	memset(o, 0, sizeof(*o));
	for (w = 0; w < st->n_workers; w++)
		stats_add(o, &d->pcpu[w].st);
}

void
lb_svc_stats(const struct lb_store *st, const struct lb_svc *s,
	     struct lb_stats *out)
{
	svc_raw(st, s, out);
	stats_sub(out, &s->zero_base);
}

void
lb_dest_stats(const struct lb_store *st, const struct lb_dest *d,
	      struct lb_stats *out)
{
	dest_raw(st, d, out);
	stats_sub(out, &d->zero_base);
}

/* The estimator reads the raw sums, which stats.zero does not move. */
static void
rate_sample(struct rate_est *e, const struct lb_stats *raw, uint64_t now_ms)
{
	const uint64_t cur[RATE_EST_MAX] = {
		[RATE_CPS] = raw->conns,
		[RATE_INPPS] = raw->inpkts,
		[RATE_OUTPPS] = raw->outpkts,
		[RATE_INBPS] = raw->inbytes,
		[RATE_OUTBPS] = raw->outbytes,
	};

	rate_est_sample(e, cur, RATE_EST_MAX, now_ms);
}

void
lb_store_estimate(struct lb_store *st, uint64_t now_ms)
{
	struct lb_stats raw;
	struct lb_dest *d;
	struct lb_svc *s;

	TAILQ_FOREACH(s, &st->svcs, next) {
		svc_raw(st, s, &raw);
		rate_sample(&s->est, &raw, now_ms);
		TAILQ_FOREACH(d, &s->dests, next) {
			dest_raw(st, d, &raw);
			rate_sample(&d->est, &raw, now_ms);
		}
	}
}

/* Workers own the counters; zeroing remembers a base to subtract
 * rather than writing lines the workers write. */
void
lb_stats_zero(struct lb_store *st, struct lb_svc *s)
{
	struct lb_dest *d;

	if (s == NULL) {
		TAILQ_FOREACH(s, &st->svcs, next)
			lb_stats_zero(st, s);
		return;
	}
	svc_raw(st, s, &s->zero_base);
	TAILQ_FOREACH(d, &s->dests, next)
		dest_raw(st, d, &d->zero_base);
}

/* ---- worker side ------------------------------------------------------ */

const struct lb_dest_snap *
lb_svc_pick(const struct lb_svc_snap *svc, unsigned int worker,
	    const struct inet_addr *saddr, rte_be16_t sport)
{
	struct sched_input in = {
		.saddr = saddr,
		.sport = sport,
		.cursor = &svc->svc->pcpu[worker].cursor,
	};
	int i = sched_pick(&svc->sched, &in);

	return i < 0 ? NULL : &svc->dests[i];
}

/*
 * Worker w owns [MIN + floor(w*S/n), MIN + floor((w+1)*S/n) - 1]: the
 * slices tile the span and differ by at most one port.
 */
int
laddr_port_range(const struct lb_laddr_snap *group, unsigned int worker,
		 unsigned int n_workers, uint16_t *lo, uint16_t *hi)
{
	RTE_SET_USED(group);
	if (n_workers == 0 || n_workers > LB_MAX_WORKERS ||
	    worker >= n_workers)
		return -EINVAL;
	*lo = (uint16_t)(LB_LPORT_MIN + worker * LB_LPORT_SPAN / n_workers);
	*hi = (uint16_t)(LB_LPORT_MIN +
			 (worker + 1) * LB_LPORT_SPAN / n_workers - 1);
	return 0;
}

/* ---- config ----------------------------------------------------------- */

int
lb_svc_apply_config(struct lb_store *st, const struct dplb_config *cfg,
		    char *msg, size_t len)
{
	char name[KEY_STRLEN], why[LB_MSG_LEN];
	unsigned int i, j;
	int rc;

	for (i = 0; i < cfg->n_laddr_groups; i++) {
		const struct cfg_laddr_group *g = &cfg->laddr_groups[i];

		rc = lb_laddr_add(st, g->name, NULL, why, sizeof(why));
		for (j = 0; rc == 0 && j < g->n_addrs; j++)
			rc = lb_laddr_add(st, g->name, &g->addrs[j], why,
					  sizeof(why));
		if (rc != 0)
			return fail(msg, len, -rc, "laddr_groups.[%u]: %s", i,
				    why);
	}
	for (i = 0; i < cfg->n_services; i++) {
		const struct cfg_service *s = &cfg->services[i];

		rc = lb_svc_add(st, &s->key, &s->conf, why, sizeof(why));
		for (j = 0; rc == 0 && j < s->n_dests; j++)
			rc = lb_dest_add(st, &s->key,
					 &cfg->svc_dests[s->first_dest + j],
					 why, sizeof(why));
		if (rc != 0)
			return fail(msg, len, -rc, "services.[%u] (%s): %s", i,
				    key_fmt(&s->key, name, sizeof(name)), why);
	}
	return 0;
}
