/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lb_snat: source NAT of the servers' outbound traffic (lb_snat.h): the
 * rules' store and its publication, then the packet path.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_icmp.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "config/config.h"
#include "core/tx.h"
#include "lb/lb_snat.h"
#include "lb/lb_svc.h"
#include "log.h"
#include "net/csum.h"
#include "net/net.h"
#include "net/route.h"
#include "net/steer.h"
#include "lb_priv.h"
#include "lb_svc_priv.h"

/* ---- descriptions ---------------------------------------------------- */

int
lb_snat_proto_parse(const char *s)
{
	if (s == NULL || s[0] == '\0' || strcmp(s, "any") == 0)
		return 0;
	if (strcmp(s, "tcp") == 0)
		return IPPROTO_TCP;
	if (strcmp(s, "udp") == 0)
		return IPPROTO_UDP;
	if (strcmp(s, "icmp") == 0)
		return IPPROTO_ICMP;
	return -EINVAL;
}

const char *
lb_snat_proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_ICMP: return "icmp";
	default: return "any";
	}
}

static int
prefix_check(struct inet_prefix *p, const char *what, bool any_ok, char *msg,
	     size_t len)
{
	if (p->addr.family == 0 && any_ok) {
		*p = (struct inet_prefix){ .addr = inet_addr_v4(0), .len = 0 };
		return 0;
	}
	if (p->addr.family == AF_INET6)
		return lb_fail(msg, len, EAFNOSUPPORT,
			       "%s: IPv6 is not supported by the dataplane yet",
			       what);
	if (p->addr.family != AF_INET || p->len > 32)
		return lb_fail(msg, len, EINVAL, "%s: not an IPv4 prefix", what);
	inet_prefix_mask(p);
	return 0;
}

/* The match alone: what names a rule. */
static int
match_check(struct lb_snat_conf *c, char *msg, size_t len)
{
	int rc;

	if ((rc = prefix_check(&c->src, "src", false, msg, len)) != 0 ||
	    (rc = prefix_check(&c->dst, "dst", true, msg, len)) != 0)
		return rc;
	if (c->proto != 0 && c->proto != IPPROTO_TCP &&
	    c->proto != IPPROTO_UDP && c->proto != IPPROTO_ICMP)
		return lb_fail(msg, len, EINVAL,
			       "proto: must be tcp, udp, icmp or any");
	if (memchr(c->iif, '\0', sizeof(c->iif)) == NULL ||
	    memchr(c->oif, '\0', sizeof(c->oif)) == NULL)
		return lb_fail(msg, len, EINVAL, "iif/oif: name too long");
	return 0;
}

int
lb_snat_conf_check(struct lb_snat_conf *c, char *msg, size_t len)
{
	unsigned int i, j;
	int rc;

	if ((rc = match_check(c, msg, len)) != 0)
		return rc;
	if (c->n_addrs == 0 || c->n_addrs > LB_SNAT_MAX_ADDRS)
		return lb_fail(msg, len, EINVAL,
			       "addrs: 1 to %u source addresses",
			       LB_SNAT_MAX_ADDRS);
	for (i = 0; i < c->n_addrs; i++) {
		if ((rc = lb_check_v4(&c->addrs[i], "addrs", msg, len)) != 0)
			return rc;
		for (j = 0; j < i; j++)
			if (inet_addr_equal(&c->addrs[i], &c->addrs[j]))
				return lb_fail(msg, len, EINVAL,
					       "addrs: an address twice");
	}
	if (c->ports_per_worker > STEER_LPORT_SPAN)
		return lb_fail(msg, len, EINVAL,
			       "ports_per_worker: at most %u", STEER_LPORT_SPAN);
	return 0;
}

static bool
same_identity(const struct lb_snat_conf *a, const struct lb_snat_conf *b)
{
	return a->proto == b->proto && a->src.len == b->src.len &&
	       a->dst.len == b->dst.len &&
	       a->src.addr.v4.s_addr == b->src.addr.v4.s_addr &&
	       a->dst.addr.v4.s_addr == b->dst.addr.v4.s_addr &&
	       strcmp(a->iif, b->iif) == 0 && strcmp(a->oif, b->oif) == 0;
}

/* ---- the store ------------------------------------------------------- */

int
lb_snat_store_create(struct lb_snat_store **out, unsigned int n_workers,
		     struct rte_rcu_qsbr *qsv)
{
	struct lb_snat_store *st = rte_zmalloc("lb_snat", sizeof(*st), 0);

	if (st == NULL)
		return -ENOMEM;
	TAILQ_INIT(&st->rules);
	st->n_workers = n_workers;
	st->qsv = qsv;
	st->next_id = 1;
	*out = st;
	return 0;
}

static void
rule_free(struct lb_snat_rule *r)
{
	rte_free(r->pcpu);
	rte_free(r);
}

void
lb_snat_store_destroy(struct lb_snat_store *st)
{
	struct lb_snat_rule *r;

	if (st == NULL)
		return;
	while ((r = TAILQ_FIRST(&st->rules)) != NULL) {
		TAILQ_REMOVE(&st->rules, r, next);
		rule_free(r);
	}
	rte_free(st->cur);
	rte_free(st);
}

static int
port_index(const struct dp_ctx *dp, const char *name)
{
	unsigned int i;

	if (name[0] == '\0')
		return -1;
	for (i = 0; i < dp->n_ports; i++)
		if (strcmp(dp->ports[i].name, name) == 0)
			return (int)i;
	return -ENODEV;
}

static rte_be32_t
mask_of(uint8_t len)
{
	return rte_cpu_to_be_32(len ? ~0u << (32 - len) : 0);
}

static void
rule_snap(const struct dp_ctx *dp, const struct lb_snat_rule *r,
	  struct lb_snat_rule_snap *s)
{
	const struct lb_snat_conf *c = &r->conf;
	unsigned int i;

	*s = (struct lb_snat_rule_snap){
		.src_mask = mask_of(c->src.len),
		.dst_mask = mask_of(c->dst.len),
		.proto = c->proto,
		.iif = (int16_t)port_index(dp, c->iif),
		.oif = (int16_t)port_index(dp, c->oif),
		.id = r->id,
		.ports_per_worker = c->ports_per_worker,
		.n_addrs = c->n_addrs,
		.pcpu = r->pcpu,
	};
	s->src = c->src.addr.v4.s_addr & s->src_mask;
	s->dst = c->dst.addr.v4.s_addr & s->dst_mask;
	for (i = 0; i < c->n_addrs; i++)
		s->addrs[i] = c->addrs[i].v4.s_addr;
}

/* Build the table of the store's rules and swap it in; the old one is
 * freed once no worker can read it. */
static int
snat_publish(struct dp_ctx *dp)
{
	struct lb_snat_store *st = dp->lb->snat;
	struct lb_snat_snap *s = NULL, *old;
	const struct lb_snat_rule *r;
	unsigned int i = 0;

	if (st->n_rules != 0) {
		s = rte_zmalloc("lb_snat_snap", sizeof(*s) +
				st->n_rules * sizeof(s->rules[0]), 0);
		if (s == NULL)
			return -ENOMEM;
		TAILQ_FOREACH(r, &st->rules, next)
			rule_snap(dp, r, &s->rules[i++]);
		s->n = i;
	}
	old = st->cur;
	__atomic_store_n(&st->cur, s, __ATOMIC_RELEASE);
	if (st->qsv != NULL)
		rte_rcu_qsbr_synchronize(st->qsv, RTE_QSBR_THRID_INVALID);
	rte_free(old);
	return 0;
}

static struct lb_snat_rule *
rule_find(const struct lb_snat_store *st, const struct lb_snat_conf *c)
{
	struct lb_snat_rule *r;

	TAILQ_FOREACH(r, &st->rules, next)
		if (same_identity(&r->conf, c))
			return r;
	return NULL;
}

static int
check_ports(const struct dp_ctx *dp, const struct lb_snat_conf *c, char *msg,
	    size_t len)
{
	if (port_index(dp, c->iif) == -ENODEV)
		return lb_fail(msg, len, ENODEV, "iif: no port '%s'", c->iif);
	if (port_index(dp, c->oif) == -ENODEV)
		return lb_fail(msg, len, ENODEV, "oif: no port '%s'", c->oif);
	return 0;
}

int
lb_snat_add(struct dp_ctx *dp, struct lb_snat_conf *c, char *msg, size_t len)
{
	struct lb_snat_store *st = dp->lb->snat;
	struct lb_snat_rule *r;
	int rc;

	if ((rc = lb_snat_conf_check(c, msg, len)) != 0 ||
	    (rc = check_ports(dp, c, msg, len)) != 0)
		return rc;
	if (rule_find(st, c) != NULL)
		return lb_fail(msg, len, EEXIST, "a SNAT rule with this match "
			       "exists");
	if (st->n_rules >= LB_SNAT_MAX_RULES)
		return lb_fail(msg, len, ENOSPC, "at most %u SNAT rules",
			       LB_SNAT_MAX_RULES);
	r = rte_zmalloc("lb_snat_rule", sizeof(*r), 0);
	if (r != NULL)
		r->pcpu = rte_zmalloc("lb_snat_pcpu",
				      sizeof(*r->pcpu) * st->n_workers, 0);
	if (r == NULL || r->pcpu == NULL) {
		if (r != NULL)
			rule_free(r);
		return lb_fail(msg, len, ENOMEM, "out of memory");
	}
	r->conf = *c;
	r->id = st->next_id++;
	TAILQ_INSERT_TAIL(&st->rules, r, next);
	st->n_rules++;
	if (snat_publish(dp) != 0) {
		TAILQ_REMOVE(&st->rules, r, next);
		st->n_rules--;
		rule_free(r);
		return lb_fail(msg, len, ENOMEM, "out of memory");
	}
	lb_flow_sync(dp);
	return 0;
}

static int
rules_remove(struct dp_ctx *dp, struct lb_snat_rule *only, char *msg,
	     size_t len)
{
	struct lb_snat_store *st = dp->lb->snat;
	struct lb_snat_list gone = TAILQ_HEAD_INITIALIZER(gone);
	struct lb_snat_rule *r, *t;
	int n = 0;

	for (r = TAILQ_FIRST(&st->rules); r != NULL; r = t) {
		t = TAILQ_NEXT(r, next);
		if (only != NULL && r != only)
			continue;
		TAILQ_REMOVE(&st->rules, r, next);
		TAILQ_INSERT_TAIL(&gone, r, next);
		st->n_rules--;
		n++;
	}
	if (snat_publish(dp) != 0) {
		/* Put them back where they were: at the end is not the
		 * same order, so only a single rule is undone exactly. */
		while ((r = TAILQ_FIRST(&gone)) != NULL) {
			TAILQ_REMOVE(&gone, r, next);
			TAILQ_INSERT_TAIL(&st->rules, r, next);
			st->n_rules++;
		}
		return lb_fail(msg, len, ENOMEM, "out of memory");
	}
	/* The workers left the old table: nothing reads the counters. */
	while ((r = TAILQ_FIRST(&gone)) != NULL) {
		TAILQ_REMOVE(&gone, r, next);
		rule_free(r);
	}
	lb_flow_sync(dp);
	return n;
}

int
lb_snat_del(struct dp_ctx *dp, struct lb_snat_conf *c, char *msg, size_t len)
{
	struct lb_snat_rule *r;
	int rc;

	if ((rc = match_check(c, msg, len)) != 0)
		return rc;
	r = rule_find(dp->lb->snat, c);
	if (r == NULL)
		return lb_fail(msg, len, ENOENT, "no SNAT rule with this match");
	rc = rules_remove(dp, r, msg, len);
	return rc < 0 ? rc : 0;
}

int
lb_snat_flush(struct dp_ctx *dp, char *msg, size_t len)
{
	return rules_remove(dp, NULL, msg, len);
}

int
lb_snat_apply_config(struct dp_ctx *dp, char *msg, size_t len)
{
	const struct dplb_config *cfg = dp->cfg;
	struct lb_snat_conf c;
	char why[LB_MSG_LEN];
	unsigned int i;
	int rc;

	for (i = 0; i < cfg->n_snat; i++) {
		c = cfg->snat[i];
		rc = lb_snat_add(dp, &c, why, sizeof(why));
		if (rc != 0) {
			snprintf(msg, len, "snat.[%u]: %s", i, why);
			return rc;
		}
	}
	return 0;
}

void
lb_snat_rule_stats(const struct lb_snat_store *st,
		   const struct lb_snat_rule *r, struct lb_snat_pcpu *sum)
{
	unsigned int i;

	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < st->n_workers; i++) {
		sum->conns += __atomic_load_n(&r->pcpu[i].conns,
					      __ATOMIC_RELAXED);
		sum->no_port += __atomic_load_n(&r->pcpu[i].no_port,
						__ATOMIC_RELAXED);
	}
}

unsigned int
lb_snat_n_addrs(const struct lb_snat_store *st)
{
	const struct lb_snat_rule *r;
	unsigned int n = 0;

	if (st != NULL)
		TAILQ_FOREACH(r, &st->rules, next)
			n += r->conf.n_addrs;
	return n;
}

unsigned int
lb_snat_addrs(const struct lb_snat_store *st, rte_be32_t *out,
	      unsigned int max)
{
	const struct lb_snat_rule *r;
	unsigned int n = 0, i;

	if (st == NULL)
		return 0;
	TAILQ_FOREACH(r, &st->rules, next)
		for (i = 0; i < r->conf.n_addrs && n < max; i++)
			out[n++] = r->conf.addrs[i].v4.s_addr;
	return n;
}

/* ---- the packet path ------------------------------------------------- */

const struct lb_snat_rule_snap *
lb_snat_match_route(struct dp_ctx *dp, const struct lb_snat_snap *s,
		    const struct conn_key4 *k, uint16_t port)
{
	const struct route_slot *rt = route_lookup(&dp->routes, k->dst_addr);

	if (rt == NULL || rt->type == ROUTE_LOCAL)
		return NULL;
	return lb_snat_match(s, k->proto, k->src_addr, k->dst_addr, port,
			     rt->port);
}

void
lb_snat_release(struct dp_worker *w, struct conn *c)
{
	RTE_SET_USED(c);
	w->stats.conns_expired++;
}

/*
 * A free source for the flow whose out key is *out (its outside
 * endpoint set): a pool address and a port of this worker's slice (its
 * first ports_per_worker ones when the rule limits them) that no
 * connection uses towards the same outside endpoint.  Consecutive tries
 * walk every address, then the next port, so a small slice is searched
 * whole.
 */
static bool
snat_pick(struct dp_ctx *dp, struct dp_worker *w,
	  const struct lb_snat_rule_snap *r, struct conn_key4 *out)
{
	unsigned int try, tries, span;
	uint16_t lo, hi;

	if (steer_lport_range(w->id, dp->n_workers, &lo, &hi) != 0)
		return false;
	span = (unsigned int)(hi - lo) + 1;
	if (r->ports_per_worker != 0 && r->ports_per_worker < span)
		span = r->ports_per_worker;
	tries = RTE_MIN(span * r->n_addrs, 64u);
	for (try = 0; try < tries; try++) {
		uint32_t seq = w->lport_seq++;

		out->dst_addr = r->addrs[seq % r->n_addrs];
		out->dst_port = rte_cpu_to_be_16(
			(uint16_t)(lo + (seq / r->n_addrs) % span));
		if (conn_lookup4(w->conns, out, NULL) == NULL)
			return true;
	}
	return false;
}

/* A new connection in for the flow of key (inside -> outside). */
static __rte_noinline struct conn *
snat_new(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	 const struct lb_snat_rule_snap *r, const struct conn_key4 *key)
{
	struct conn_key4 out = {
		.src_addr = key->dst_addr,
		.src_port = key->dst_port,
		.proto = key->proto,
	};
	struct conn *c;

	if (!snat_pick(dp, w, r, &out)) {
		r->pcpu[w->id].no_port++;
		dp_drop(w, m, DROP_SNAT_NO_PORT);
		return NULL;
	}
	c = conn_new(w->conns, key, &out,
		     key->proto == IPPROTO_TCP ? TCP_S_NONE : UDP_ONEWAY,
		     w->now_ms);
	if (c == NULL) {
		dp_drop(w, m, DROP_CONN_TABLE_FULL);
		return NULL;
	}
	c->fwd = CONN_FWD_SNAT;
	c->svc_id = r->id;
	conn_priv(c)->csum = conn_csum_delta(c);
	r->pcpu[w->id].conns++;
	w->stats.conns_new++;
	if (conn_count(w->conns) > w->stats.conns_peak)
		w->stats.conns_peak = conn_count(w->conns);
	return c;
}

/* The state after a packet from the inside (out) or the outside. */
static __rte_always_inline void
snat_state(struct dp_worker *w, struct conn *c, uint8_t tcp_flags,
	   bool from_inside)
{
	uint8_t next;

	if (c->proto == IPPROTO_TCP)
		next = tcp_state_next(c->state, from_inside ? CONN_DIR_OUTPUT :
							      CONN_DIR_INPUT,
				      tcp_flags);
	else
		next = udp_state_next(c->state, from_inside ? CONN_DIR_INPUT :
							      CONN_DIR_OUTPUT);
	if (unlikely(next != c->state))
		conn_set_state(w->conns, c, next, w->now_ms);
	conn_touch(c, w->now_ms);
}

enum lb_verdict
lb_snat_out(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	    struct rte_ipv4_hdr *ip, struct l4_view *v,
	    const struct lb_snat_rule_snap *r, const struct conn_key4 *key,
	    struct conn *c, bool reply)
{
	const struct conn_tuple4 *o;

	if (unlikely(c != NULL && (reply || c->fwd != CONN_FWD_SNAT)))
		return LB_PASS;
	if (!ipv4_hop(dp, w, m, ip))
		return LB_CONSUMED;
	if (c != NULL && !v->udp && tcp_syn_reschedules(c->state, v->flags)) {
		/* The inside host reuses its port: a new flow at once. */
		conn_del(w->conns, c);
		lb_snat_release(w, c);
		c = NULL;
	}
	if (c == NULL) {
		if (!v->udp && !tcp_flags_new_conn(v->flags)) {
			dp_drop(w, m, DROP_NOT_SYN);
			return LB_CONSUMED;
		}
		c = snat_new(dp, w, m, r, key);
		if (c == NULL)
			return LB_CONSUMED;
	}
	snat_state(w, c, v->flags, true);
	o = &c->tuple[CONN_SIDE_OUT];
	rewrite4_conn_in(ip, v, c, o->dst_addr, o->dst_port, false);
	ipv4_send(dp, w, m, ip->dst_addr);
	return LB_CONSUMED;
}

void
lb_snat_in(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	   struct rte_ipv4_hdr *ip, struct l4_view *v, struct conn *c)
{
	const struct conn_tuple4 *i = &c->tuple[CONN_SIDE_IN];

	if (!ipv4_hop(dp, w, m, ip))
		return;
	snat_state(w, c, v->flags, false);
	rewrite4_conn_out(ip, v, c, false);
	ipv4_send(dp, w, m, i->src_addr);
}

/* ---- ICMP: echo sessions and errors about them ------------------------ */

#define ICMP_DEST_UNREACH 3
#define ICMP_SOURCE_QUENCH 4
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAM_PROBLEM 12

struct __rte_packed icmp_echo {
	uint8_t type;
	uint8_t code;
	rte_be16_t cksum;
	rte_be16_t id;
	rte_be16_t seq;
};

static struct icmp_echo *
echo_of(struct rte_ipv4_hdr *ip, unsigned int ihl, unsigned int len)
{
	if (len < ihl + sizeof(struct icmp_echo))
		return NULL;
	return (struct icmp_echo *)((char *)ip + ihl);
}

/* Set an ICMP message's source (src) or destination address and its
 * echo id, checksums kept.  The header may sit at any alignment (a
 * quoted one does): its packed fields are only accessed as members. */
static void
echo_rewrite(struct rte_ipv4_hdr *ip, struct icmp_echo *e, bool src,
	     rte_be32_t naddr, rte_be16_t nid)
{
	rte_be32_t old = src ? ip->src_addr : ip->dst_addr;

	ip->hdr_checksum = csum_update32(ip->hdr_checksum, old, naddr);
	if (src)
		ip->src_addr = naddr;
	else
		ip->dst_addr = naddr;
	e->cksum = csum_update16(e->cksum, e->id, nid);
	e->id = nid;
}

/* An echo request from the inside, on its owner. */
static enum lb_verdict
echo_out(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
	 struct rte_mbuf *m, struct rte_ipv4_hdr *ip, struct icmp_echo *e)
{
	const struct lb_snat_snap *ss = lb_snat_get(dp->lb->snat);
	const struct route_slot *rt = route_lookup(&dp->routes, ip->dst_addr);
	const struct lb_snat_rule_snap *r;
	const struct conn_tuple4 *o;
	struct conn_key4 key = {
		.src_addr = ip->src_addr,
		.dst_addr = ip->dst_addr,
		.src_port = e->id,
		.proto = IPPROTO_ICMP,
	};
	struct conn *c;
	bool reply = false, steered;

	if (ss == NULL || rt == NULL || rt->type == ROUTE_LOCAL)
		return LB_PASS;
	r = lb_snat_match(ss, IPPROTO_ICMP, key.src_addr, key.dst_addr, port,
			  rt->port);
	if (r == NULL)
		return LB_PASS;
	c = lb_front(dp, w, port, m,
		     steer_by_client(key.src_addr, key.src_port, dp->n_workers),
		     &key, &reply, &steered);
	if (steered)
		return LB_CONSUMED;
	if (c != NULL && (reply || c->fwd != CONN_FWD_SNAT))
		return LB_PASS;
	if (!ipv4_hop(dp, w, m, ip))
		return LB_CONSUMED;
	if (c == NULL && (c = snat_new(dp, w, m, r, &key)) == NULL)
		return LB_CONSUMED;
	snat_state(w, c, 0, true);
	o = &c->tuple[CONN_SIDE_OUT];
	echo_rewrite(ip, e, true, o->dst_addr, o->dst_port);
	ipv4_send(dp, w, m, ip->dst_addr);
	return LB_CONSUMED;
}

/*
 * The SNAT connection of an ICMP message to pool address laddr about
 * echo id (the pool port) with the outside host raddr, on its owner;
 * NULL when it is none (*steered: handed to the owner).
 */
static struct conn *
echo_conn(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
	  struct rte_mbuf *m, rte_be32_t raddr, rte_be32_t laddr,
	  rte_be16_t id, bool *steered)
{
	struct conn_key4 key = {
		.src_addr = raddr,
		.dst_addr = laddr,
		.dst_port = id,
		.proto = IPPROTO_ICMP,
	};
	bool reply = false;
	struct conn *c;
	int owner;

	*steered = false;
	owner = steer_lport_owner(rte_be_to_cpu_16(id), dp->n_workers);
	if (owner < 0)
		return NULL;
	c = lb_front(dp, w, port, m, (unsigned int)owner, &key, &reply,
		     steered);
	if (c == NULL || !reply || c->fwd != CONN_FWD_SNAT)
		return NULL;
	return c;
}

/* An echo reply to a pool address: back to the inside host. */
static enum lb_verdict
echo_in(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
	struct rte_mbuf *m, struct rte_ipv4_hdr *ip, struct icmp_echo *e)
{
	const struct conn_tuple4 *i;
	struct conn *c;
	bool steered;

	c = echo_conn(dp, w, port, m, ip->src_addr, ip->dst_addr, e->id,
		      &steered);
	if (steered)
		return LB_CONSUMED;
	if (c == NULL)
		return LB_PASS;
	if (!ipv4_hop(dp, w, m, ip))
		return LB_CONSUMED;
	snat_state(w, c, 0, false);
	i = &c->tuple[CONN_SIDE_IN];
	echo_rewrite(ip, e, false, i->src_addr, i->src_port);
	ipv4_send(dp, w, m, ip->dst_addr);
	return LB_CONSUMED;
}

/*
 * An error to a pool address quoting an echo request we sent for the
 * inside (time exceeded from a router on the path, unreachable): to the
 * inside host, the quoted request made what it sent, every checksum
 * valid.  The outer source (the router) stays.
 */
static enum lb_verdict
echo_error_in(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
	      struct rte_mbuf *m, struct rte_ipv4_hdr *ip, unsigned int ihl,
	      unsigned int len)
{
	struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)((char *)ip + ihl);
	struct rte_ipv4_hdr *in = (struct rte_ipv4_hdr *)(icmp + 1);
	const struct conn_tuple4 *t;
	struct icmp_echo *e;
	unsigned int iihl;
	struct conn *c;
	bool steered;

	if (len < ihl + sizeof(*icmp) + sizeof(*in) + sizeof(*e))
		return LB_PASS;
	iihl = (in->version_ihl & 0x0f) * 4u;
	if (iihl < sizeof(*in) || in->next_proto_id != IPPROTO_ICMP ||
	    len < ihl + sizeof(*icmp) + iihl + sizeof(*e))
		return LB_PASS;
	e = (struct icmp_echo *)((char *)in + iihl);
	if (e->type != RTE_IP_ICMP_ECHO_REQUEST || in->src_addr != ip->dst_addr)
		return LB_PASS;
	c = echo_conn(dp, w, port, m, in->dst_addr, in->src_addr, e->id,
		      &steered);
	if (steered)
		return LB_CONSUMED;
	if (c == NULL)
		return LB_PASS;
	/* As lb_icmp.c's errors about TCP and UDP: the TTL is kept. */
	conn_touch(c, w->now_ms);
	t = &c->tuple[CONN_SIDE_IN];
	echo_rewrite(in, e, true, t->src_addr, t->src_port);
	ip->hdr_checksum = csum_update32(ip->hdr_checksum, ip->dst_addr,
					 t->src_addr);
	ip->dst_addr = t->src_addr;
	/* Errors are rare and short: the sum is computed again. */
	icmp->icmp_cksum = 0;
	icmp->icmp_cksum = csum_compute(icmp, len - ihl);
	w->stats.icmp_related++;
	ipv4_send(dp, w, m, ip->dst_addr);
	return LB_CONSUMED;
}

enum lb_verdict
lb_snat_icmp(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
	     struct rte_mbuf *m, struct rte_ipv4_hdr *ip, unsigned int ihl,
	     bool transit)
{
	unsigned int len = rte_be_to_cpu_16(ip->total_length);
	struct icmp_echo *e = echo_of(ip, ihl, len);

	if (e == NULL)
		return LB_PASS;
	if (transit)
		return e->type == RTE_IP_ICMP_ECHO_REQUEST && e->code == 0 ?
			       echo_out(dp, w, port, m, ip, e) : LB_PASS;
	switch (e->type) {
	case RTE_IP_ICMP_ECHO_REPLY:
		return echo_in(dp, w, port, m, ip, e);
	case ICMP_DEST_UNREACH:
	case ICMP_SOURCE_QUENCH:
	case ICMP_TIME_EXCEEDED:
	case ICMP_PARAM_PROBLEM:
		return echo_error_in(dp, w, port, m, ip, ihl, len);
	default:
		return LB_PASS;
	}
}
