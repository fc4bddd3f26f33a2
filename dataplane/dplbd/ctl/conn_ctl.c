/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <rte_malloc.h>

#include "conn/conn.h"
#include "conn/conn6.h"
#include "ctl/conn_ctl.h"
#include "lb/lb.h"
#include "lb/lb_svc.h"
#include "log.h"

#define WAIT_STEP_US 50

struct conn_ctl_box conn_ctl_boxes[DP_MAX_WORKERS];

/*
 * The real server of a DR or TUNNEL connection, which indexes no out
 * key: the dest the connection holds (struct lb_conn_priv, lb.h).  Its address and port are its
 * identity and never change; the held reference keeps it alive.
 */
static void
conn_dest_from_priv(const struct conn *c, struct conn_ctl_entry *e)
{
	const struct lb_dest *d = conn_priv((struct conn *)c)->dest;

	if (d == NULL)
		return;
	e->out_family = d->conf.addr.family;	/* IPv4 in IPv6 tunnels */
	memcpy(e->dest6, &d->conf.addr.v6, 16);
	e->dest = d->conf.addr.v4.s_addr;
	e->dport = d->conf.port != 0 ? rte_cpu_to_be_16(d->conf.port) :
				       e->vport;
}

static void
entry_fill(const struct dp_worker *w, const struct conn *c,
	   struct conn_ctl_entry *e)
{
	const struct conn_tuple4 *in = &c->tuple[CONN_SIDE_IN];
	const struct conn_tuple4 *out = &c->tuple[CONN_SIDE_OUT];
	uint32_t timeout = conn_timeout_of(w->conns, c);
	int64_t left = (int64_t)(int32_t)(c->last_seen + timeout - w->now_ms);

	memset(e, 0, sizeof(*e));
	e->proto = c->proto;
	e->state = c->state;
	e->fwd = c->fwd;
	e->is_template = (c->flags & LB_CONN_F_TEMPLATE) != 0;
	e->synced = (c->flags & LB_CONN_F_SYNCED) != 0;
	e->client = in->src_addr;
	e->client_port = in->src_port;
	e->vip = in->dst_addr;
	e->vport = in->dst_port;
	e->expire_ms = left > 0 ? (uint32_t)left : 0;
	e->family = e->out_family = AF_INET;
	if (c->flags & CONN_F_NO_OUT) {
		conn_dest_from_priv(c, e);
		return;
	}
	e->dest = out->src_addr;
	e->dport = out->src_port;
	if (c->fwd == CONN_FWD_FNAT || c->fwd == CONN_FWD_SNAT) {
		e->has_local = true;
		e->local = out->dst_addr;
		e->local_port = out->dst_port;
	}
}

/* The same for an entry of the IPv6 table (lb6): its keys are kept
 * apart (conn6.h); a NAT64 one's local and dest are IPv4. */
static void
entry_fill6(const struct dp_worker *w, const struct conn6_table *t,
	    const struct conn *c, struct conn_ctl_entry *e)
{
	struct conn6_key in, out;
	uint32_t timeout = conn_timeout_of(conn6_life(t), c);
	int64_t left = (int64_t)(int32_t)(c->last_seen + timeout - w->now_ms);
	const struct lb_dest *d = conn_priv((struct conn *)c)->dest;

	memset(e, 0, sizeof(*e));
	e->proto = c->proto;
	e->state = c->state;
	e->fwd = c->fwd;
	e->is_template = (c->flags & LB_CONN_F_TEMPLATE) != 0;
	e->synced = (c->flags & LB_CONN_F_SYNCED) != 0;	/* HA sync */
	e->expire_ms = left > 0 ? (uint32_t)left : 0;
	conn6_key_get(t, c, CONN_SIDE_IN, &in);
	e->family = AF_INET6;
	memcpy(e->client6, in.src, 16);
	memcpy(e->vip6, in.dst, 16);
	e->client_port = in.sport;
	e->vport = in.dport;
	if (!conn6_has_out(t, c)) {	/* DR, TUNNEL, template */
		if (d == NULL)
			return;
		e->out_family = d->conf.addr.family;
		memcpy(e->dest6, &d->conf.addr.v6, 16);
		e->dest = d->conf.addr.v4.s_addr;
		e->dport = d->conf.port ? rte_cpu_to_be_16(d->conf.port) :
					  e->vport;
		return;
	}
	conn6_key_get(t, c, CONN_SIDE_OUT, &out);
	e->out_family = out.family;
	memcpy(e->dest6, out.src, 16);
	memcpy(&e->dest, out.src, 4);
	e->dport = out.sport;
	if (c->fwd == CONN_FWD_FNAT) {
		e->has_local = true;
		memcpy(e->local6, out.dst, 16);
		memcpy(&e->local, out.dst, 4);
		e->local_port = out.dport;
	}
}

/* Does the filter's address a match an entry's of family fam (the
 * IPv4 word a4 or the IPv6 bytes a6)? */
static bool
addr_match(const struct inet_addr *a, uint8_t fam, rte_be32_t a4,
	   const uint8_t a6[16])
{
	if (a->family != fam)
		return false;
	return fam == AF_INET ? a->v4.s_addr == a4 :
				memcmp(a->v6.s6_addr, a6, 16) == 0;
}

bool
conn_filter_match(const struct conn_filter *f, const struct conn_ctl_entry *e)
{
	uint32_t h = f->have;

	if (h == 0)
		return true;
	if ((h & CONN_FLT_PROTO) && e->proto != f->proto)
		return false;
	if ((h & CONN_FLT_STATE) &&
	    (f->state == CONN_CTL_STATE_UDP ?
		     e->proto != IPPROTO_UDP :
		     e->proto != IPPROTO_TCP || e->state != f->state))
		return false;
	if ((h & CONN_FLT_CLIENT) &&
	    !addr_match(&f->client, e->family, e->client, e->client6))
		return false;
	if ((h & CONN_FLT_CLIENT_PORT) && e->client_port != f->client_port)
		return false;
	if ((h & CONN_FLT_VIP) &&
	    !addr_match(&f->vip, e->family, e->vip, e->vip6))
		return false;
	if ((h & CONN_FLT_VPORT) && e->vport != f->vport)
		return false;
	if ((h & CONN_FLT_DEST) &&
	    !addr_match(&f->dest, e->out_family, e->dest, e->dest6))
		return false;
	if ((h & CONN_FLT_DPORT) && e->dport != f->dport)
		return false;
	if ((h & CONN_FLT_SYNCED) && e->synced != f->synced)
		return false;
	return true;
}

/* ---- worker side -------------------------------------------------------- */

struct serve_arg {
	const struct dp_worker *w;
	const struct conn6_table *t6;	/* NULL: an IPv4 entry */
	struct conn_ctl_req *req;
};

static int
serve_one(const struct conn *c, void *arg)
{
	struct serve_arg *a = arg;
	struct conn_ctl_req *req = a->req;
	struct conn_ctl_entry e;

	if (a->t6 != NULL)
		entry_fill6(a->w, a->t6, c, &e);
	else
		entry_fill(a->w, c, &e);
	if (!conn_filter_match(&req->f, &e))
		return 0;
	if (req->op == CONN_CTL_LIST)
		((struct conn_ctl_entry *)req->buf)[req->n++] = e;
	else	/* dropped after the walk, which must not see it change */
		((struct conn **)req->buf)[req->n++] = (struct conn *)(uintptr_t)c;
	return req->n >= req->max;
}

/* One page of the IPv4 table, then of the IPv6 one: the cursor's
 * CONN_CTL_CURSOR_V6 bit says which. */
static void
serve_page(struct dp_worker *w, struct conn_ctl_req *req)
{
	struct conn6_table *t6 = lb6_table(w);
	struct serve_arg a = { w, NULL, req };
	uint32_t cur;
	uint32_t i;

	if (!(req->cursor & CONN_CTL_CURSOR_V6)) {
		conn_foreach(w->conns, &req->cursor, req->max, serve_one, &a);
		if (req->op == CONN_CTL_FLUSH)
			for (i = 0; i < req->n; i++)
				lb_conn_drop(w, ((struct conn **)req->buf)[i]);
		if (req->cursor == CONN_ITER_END && t6 != NULL &&
		    conn6_count(t6) != 0)
			req->cursor = CONN_CTL_CURSOR_V6;	/* its first page next */
		return;
	}
	if (t6 == NULL) {
		req->cursor = CONN_ITER_END;
		return;
	}
	a.t6 = t6;
	cur = req->cursor & ~CONN_CTL_CURSOR_V6;
	conn_foreach(conn6_life(t6), &cur, req->max, serve_one, &a);
	req->cursor = cur == CONN_ITER_END ? CONN_ITER_END :
		      cur | CONN_CTL_CURSOR_V6;
	if (req->op == CONN_CTL_FLUSH)
		for (i = 0; i < req->n; i++)
			lb6_conn_drop(w, ((struct conn **)req->buf)[i]);
}

unsigned int
conn_ctl_serve_slow(struct dp_ctx *dp, struct dp_worker *w)
{
	struct conn_ctl_req *req;

	RTE_SET_USED(dp);
	/* Take it; the main lcore may have taken it back meanwhile. */
	req = __atomic_exchange_n(&conn_ctl_boxes[w->id].req, NULL,
				  __ATOMIC_ACQUIRE);
	if (req == NULL)
		return 0;
	req->n = 0;
	if (w->conns == NULL)
		req->cursor = CONN_ITER_END;
	else
		serve_page(w, req);
	__atomic_store_n(&req->done, 1, __ATOMIC_RELEASE);
	return 1;
}

/* ---- main lcore side ---------------------------------------------------- */

static uint64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Wait until the worker published req, at most wait_us. */
static bool
wait_done(const struct conn_ctl_req *req, uint64_t wait_us)
{
	const struct timespec step = { 0, WAIT_STEP_US * 1000 };
	uint64_t deadline = mono_us() + wait_us;

	for (;;) {
		if (__atomic_load_n(&req->done, __ATOMIC_ACQUIRE))
			return true;
		if (mono_us() >= deadline)
			return false;
		nanosleep(&step, NULL);
	}
}

int
conn_ctl_page(struct dp_ctx *dp, unsigned int worker, enum conn_ctl_op op,
	      const struct conn_filter *f, uint32_t *cursor, uint32_t max,
	      struct conn_ctl_entry *out, uint32_t *n)
{
	struct conn_ctl_box *box;
	struct conn_ctl_req *req, *expected;
	uint64_t wait_us;
	size_t esize;

	*n = 0;
	if (worker >= dp->n_workers || worker >= DP_MAX_WORKERS || max == 0 ||
	    max > CONN_CTL_PAGE_MAX || (op == CONN_CTL_LIST && out == NULL))
		return -EINVAL;
	if (*cursor == CONN_ITER_END)
		return 0;
	box = &conn_ctl_boxes[worker];
	if (__atomic_load_n(&box->req, __ATOMIC_ACQUIRE) != NULL)
		return -EBUSY;	/* never: one request at a time */
	esize = op == CONN_CTL_LIST ? sizeof(struct conn_ctl_entry) :
				      sizeof(struct conn *);
	req = rte_zmalloc("conn_ctl_req", sizeof(*req), RTE_CACHE_LINE_SIZE);
	if (req == NULL)
		return -ENOMEM;
	req->buf = rte_malloc("conn_ctl_buf", esize * max, RTE_CACHE_LINE_SIZE);
	if (req->buf == NULL) {
		rte_free(req);
		return -ENOMEM;
	}
	req->op = (uint8_t)op;
	req->f = *f;
	req->cursor = *cursor;
	req->max = max;
	__atomic_store_n(&box->req, req, __ATOMIC_RELEASE);

	wait_us = CONN_CTL_WAIT_MS * 1000ull + 2ull * dp->idle_sleep_max_us;
	if (!wait_done(req, wait_us)) {
		expected = req;
		if (__atomic_compare_exchange_n(&box->req, &expected, NULL,
						false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE)) {
			/* Never taken: the worker is not running its loop. */
			LOG_WARN("worker %u did not answer a connection "
				    "request within %llu ms", worker,
				    (unsigned long long)(wait_us / 1000));
			rte_free(req->buf);
			rte_free(req);
			return -ETIMEDOUT;
		}
		/* Taken: the worker is serving it, one bounded page. */
		if (!wait_done(req, wait_us)) {
			LOG_ERR("worker %u is stuck in a connection request; "
				"its buffer is left to it", worker);
			return -ETIMEDOUT;
		}
	}
	*cursor = req->cursor;
	*n = req->n;
	if (op == CONN_CTL_LIST)
		memcpy(out, req->buf, esize * req->n);
	rte_free(req->buf);
	rte_free(req);
	return 0;
}
