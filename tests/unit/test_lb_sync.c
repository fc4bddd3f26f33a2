/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of lb/lb_sync.c on two workers' real connection tables and
 * a real service store: a backup's worker installing records (every
 * forwarding mode, updates, a new dest, templates, the local-port slice
 * check, conflicts, a full table, unknown services and dests, the lag),
 * the owner of a record, and a master's worker choosing what to report
 * as IPVS's sync_threshold, sync_period and sync_refresh_period say,
 * close states at once, and a full dump.  IPv6: IPv6 full-NAT and NAT64
 * records installed into the owner's conn6 table (both keys, updates,
 * the slice check, refusals), and an IPv6 connection reported and
 * dumped as the same record; IPv6 and NAT64 persistence templates
 * installed, linked to their connections, refused, reported and dumped.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include <rte_malloc.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "config/config.h"
#include "conn/conn6.h"
#include "dest_counts.h"
#include "eal_helper.h"
#include "lb/lb.h"
#include "lb/lb_svc.h"
#include "net/steer.h"

#define NW 2
#define VIP6 "2001:2::100"
#define LIP6 "2001:2:0:1::100"
#define RS1_6 "2001:2:0:1::11"
#define FNAT6 90
#define NAT64 91
#define FNAT6P 92	/* persistent (300 s, /64) */
#define NAT64P 93

static struct dp_ctx dp;
static struct dplb_config cfg = { .max_conns = 4096, .lport_guard = 60 };
static char msg[256];

static rte_be32_t
ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static struct inet_addr
A(const char *s)
{
	return inet_addr_v4(ip(s));
}

static struct inet_addr
A6(const char *s)
{
	struct inet_addr a = { .family = AF_INET6 };

	assert_int_equal(inet_pton(AF_INET6, s, a.v6.s6_addr), 1);
	return a;
}

/* An IPv6 full-NAT service to dest (IPv6, or IPv4: NAT64) over group,
 * persistent for that many seconds (0: not). */
static void
svc6(uint16_t port, const char *group, struct inet_addr dest,
     uint32_t persistent)
{
	struct lb_svc_key k = { .proto = IPPROTO_TCP, .port = port,
				.vip = A6(VIP6) };
	struct lb_svc_conf c;
	struct lb_dest_conf d;

	lb_svc_conf_init(&c);
	snprintf(c.sched, sizeof(c.sched), "rr");
	snprintf(c.laddr_group, sizeof(c.laddr_group), "%s", group);
	c.netmask_len = lb_netmask_default(AF_INET6);
	c.persistent = persistent;
	if (lb_svc_add(dp.lb, &k, &c, msg, sizeof(msg)) != 0)
		fail_msg("%s", msg);
	lb_dest_conf_init(&d);
	d.addr = dest;
	d.port = 8080;
	d.fwd = LB_FWD_FNAT;
	if (lb_dest_add(dp.lb, &k, &d, msg, sizeof(msg)) != 0)
		fail_msg("%s", msg);
}

static void
svc(uint8_t proto, uint16_t port, uint8_t fwd, uint32_t persistent)
{
	struct lb_svc_key k = { .proto = proto, .port = port,
				.vip = A("198.18.0.100") };
	struct lb_svc_conf c;
	struct lb_dest_conf d;
	const char *rs[] = { "198.18.1.11", "198.18.1.12" };
	unsigned int i;

	lb_svc_conf_init(&c);
	snprintf(c.sched, sizeof(c.sched), "rr");
	snprintf(c.laddr_group, sizeof(c.laddr_group), "lg1");
	c.persistent = persistent;
	assert_int_equal(lb_svc_add(dp.lb, &k, &c, msg, sizeof(msg)), 0);
	for (i = 0; i < RTE_DIM(rs); i++) {
		lb_dest_conf_init(&d);
		d.addr = A(rs[i]);
		d.port = fwd == LB_FWD_DR ? port : 8080;	/* DR keeps it */
		d.fwd = fwd;
		if (lb_dest_add(dp.lb, &k, &d, msg, sizeof(msg)) != 0)
			fail_msg("%s", msg);
	}
}

static int
setup(void **state)
{
	struct conn_timeouts to;
	unsigned int i;

	(void)state;
	if (test_eal_init() != 0)
		return -1;
	dp.n_workers = NW;
	dp.cfg = &cfg;
	dp.workers = rte_zmalloc("w", sizeof(*dp.workers) * NW, 64);
	conn_timeouts_default(&to);
	for (i = 0; i < NW; i++) {
		dp.workers[i].id = i;
		if (conn_table_create(&dp.workers[i].conns, i ? "t1" : "t0",
				      4096, SOCKET_ID_ANY) != 0)
			return -1;
		conn_table_set_timeouts(dp.workers[i].conns, &to);
		dp.workers[i].now_ms = 1000000;
	}
	if (lb_sync_init(&dp) != 0 || lb_store_create(&dp.lb, NW, NULL) != 0 ||
	    lb6_init(&dp) != 0 || lb_lport_init(&dp) != 0)
		return -1;
	assert_int_equal(lb_laddr_add(dp.lb, "lg1", NULL, msg, sizeof(msg)), 0);
	{
		struct inet_addr lip = A("198.18.1.100");

		assert_int_equal(lb_laddr_add(dp.lb, "lg1", &lip, msg,
					      sizeof(msg)), 0);
	}
	svc(IPPROTO_TCP, 80, LB_FWD_FNAT, 0);
	svc(IPPROTO_TCP, 81, LB_FWD_NAT, 0);
	svc(IPPROTO_TCP, 82, LB_FWD_DR, 0);
	svc(IPPROTO_UDP, 53, LB_FWD_FNAT, 0);
	svc(IPPROTO_TCP, 83, LB_FWD_NAT, 300);
	assert_int_equal(lb_laddr_add(dp.lb, "lg6", NULL, msg, sizeof(msg)), 0);
	{
		struct inet_addr lip6 = A6(LIP6);

		assert_int_equal(lb_laddr_add(dp.lb, "lg6", &lip6, msg,
					      sizeof(msg)), 0);
	}
	svc6(FNAT6, "lg6", A6(RS1_6), 0);
	svc6(NAT64, "lg1", A("198.18.1.11"), 0);
	svc6(FNAT6P, "lg6", A6(RS1_6), 300);
	svc6(NAT64P, "lg1", A("198.18.1.11"), 300);
	return 0;
}

static int
teardown(void **state)
{
	unsigned int i;

	(void)state;
	lb_lport_free(&dp);
	lb6_free(&dp);
	lb_store_destroy(dp.lb);
	for (i = 0; i < NW; i++) {
		conn_table_free(dp.workers[i].conns);
		rte_ring_free(dp.workers[i].sync.out);
		rte_ring_free(dp.workers[i].sync.in);
	}
	rte_free(dp.workers);
	return 0;
}

/* A record of client 198.18.0.2:cport to the VIP's port, for rs1. */
static struct lb_sync_rec
R(uint8_t proto, uint16_t vport, uint8_t fwd, uint8_t state, uint16_t cport)
{
	struct lb_sync_rec r = {
		.caddr = ip("198.18.0.2"), .vaddr = ip("198.18.0.100"),
		.daddr = ip("198.18.1.11"), .cport = htons(cport),
		.vport = htons(vport),
		.dport = htons(fwd == CONN_FWD_DR ? vport : 8080),
		.proto = proto, .state = state, .fwd = fwd, .timeout_s = 90,
	};

	if (fwd == CONN_FWD_FNAT)
		r.laddr = ip("198.18.1.100");
	return r;
}

/* A full-NAT record whose local port is in owner's slice. */
static struct lb_sync_rec
R_fnat(uint8_t proto, uint16_t vport, uint8_t state, uint16_t cport)
{
	struct lb_sync_rec r = R(proto, vport, CONN_FWD_FNAT, state, cport);
	unsigned int owner = steer_by_client(r.caddr, r.cport, NW);
	uint16_t lo, hi;

	steer_lport_range(owner, NW, &lo, &hi);
	r.lport = htons((uint16_t)(lo + cport % 100));
	return r;
}

/* Install r on the worker lb_sync_owner() names; that worker. */
static struct dp_worker *
install(const struct lb_sync_rec *r, enum lb_sync_result want)
{
	enum sync_drop why;
	unsigned int owner;

	assert_true(lb_sync_owner(&dp, r, &owner, &why));
	assert_int_equal(lb_sync_install(&dp, &dp.workers[owner], r), want);
	return &dp.workers[owner];
}

static struct conn *
find(struct dp_worker *w, const struct lb_sync_rec *r)
{
	struct conn_key4 k = { .src_addr = r->caddr, .dst_addr = r->vaddr,
			       .src_port = r->cport, .dst_port = r->vport,
			       .proto = r->proto };

	return conn_lookup4(w->conns, &k, NULL);
}

static const struct lb_dest *
rs1(uint16_t vport, uint8_t proto)
{
	struct lb_svc_key k = { .proto = proto, .port = vport,
				.vip = A("198.18.0.100") };
	struct inet_addr a = A("198.18.1.11");

	return lb_dest_find(lb_svc_find(dp.lb, &k), &a, 8080);
}

static void
test_install_fnat(void **state)
{
	struct lb_sync_rec r = R_fnat(IPPROTO_TCP, 80, TCP_S_ESTABLISHED, 40000);
	const struct lb_dest *d = rs1(80, IPPROTO_TCP);
	struct dp_worker *w;
	struct conn_key4 out = { .src_addr = r.daddr, .dst_addr = r.laddr,
				 .src_port = r.dport, .dst_port = r.lport,
				 .proto = IPPROTO_TCP };
	struct conn *c;
	bool reply;

	(void)state;
	w = install(&r, LB_SYNC_ADDED);
	c = find(w, &r);
	assert_non_null(c);
	assert_int_equal(c->fwd, CONN_FWD_FNAT);
	assert_int_equal(c->state, TCP_S_ESTABLISHED);
	assert_true(c->flags & LB_CONN_F_SYNCED);
	assert_ptr_equal(conn_priv(c)->dest, d);
	/* the server's reply to LIP:lport finds it, on the same worker */
	assert_ptr_equal(conn_lookup4(w->conns, &out, &reply), c);
	assert_true(reply);
	assert_int_equal(steer_lport_owner(ntohs(r.lport), NW), (int)w->id);
	assert_int_equal(dest_active(d), 1);
	/* a later record updates it, the dest's counts follow */
	r.state = TCP_S_FIN_WAIT;
	assert_ptr_equal(install(&r, LB_SYNC_UPDATED), w);
	assert_int_equal(c->state, TCP_S_FIN_WAIT);
	assert_int_equal(dest_active(d), 0);
	assert_int_equal(dest_inactive(d), 1);
	assert_int_equal(w->sync.installed, 1);
	assert_int_equal(w->sync.updated, 1);
	lb_conn_drop(w, c);
	assert_int_equal(dest_inactive(d), 0);
}

/*
 * A backup's worker that installs a full-NAT connection follows the
 * master's local ports: its own next connection of the pair (LIP, rs1)
 * takes the port after the master's (lb_lport_follow()), should it
 * take over; an older connection's record does not move it back.
 */
static void
test_install_follows_lports(void **state)
{
	struct lb_sync_rec r = R_fnat(IPPROTO_TCP, 80, TCP_S_ESTABLISHED, 40050);
	struct lb_sync_rec old;
	const struct lb_svc_snap *s = lb_svc_lookup(lb_snap_get(dp.lb),
						    IPPROTO_TCP, r.vaddr,
						    r.vport);
	struct conn_key4 in = { .src_addr = ip("198.18.0.9"),
				.dst_addr = r.vaddr, .dst_port = r.vport,
				.proto = IPPROTO_TCP };
	struct conn_key4 out = { .src_addr = r.daddr, .src_port = r.dport,
				 .proto = IPPROTO_TCP };
	enum drop_reason why;
	struct dp_worker *w;
	struct conn *c;

	uint16_t cport;

	(void)state;
	assert_non_null(s);
	w = install(&r, LB_SYNC_ADDED);
	/* an older connection of the same worker, a lower local port */
	for (cport = 40000; ; cport++) {
		old = R_fnat(IPPROTO_TCP, 80, TCP_S_ESTABLISHED, cport);
		if (steer_by_client(old.caddr, old.cport, NW) == w->id)
			break;
	}
	assert_true(ntohs(old.lport) < ntohs(r.lport));
	assert_ptr_equal(install(&old, LB_SYNC_ADDED), w);
	/* a client of this worker, to the pair's server (rs1) */
	for (in.src_port = htons(1000);
	     steer_by_client(in.src_addr, in.src_port, NW) != w->id;
	     in.src_port = htons((uint16_t)(ntohs(in.src_port) + 1)))
		;
	c = lb_fnat_conn_new(&dp, w, s->laddr, &in,
			     conn_key_loc(w->conns, &in), &out,
			     TCP_S_ESTABLISHED, &why);
	assert_non_null(c);
	assert_int_equal(out.dst_addr, r.laddr);
	assert_int_equal(ntohs(out.dst_port), ntohs(r.lport) + 1);
	conn_del(w->conns, c);
	lb_conn_drop(w, find(w, &r));
	lb_conn_drop(w, find(w, &old));
}

static void
test_install_modes(void **state)
{
	struct lb_sync_rec nat = R(IPPROTO_TCP, 81, CONN_FWD_NAT,
				   TCP_S_ESTABLISHED, 40001);
	struct lb_sync_rec dr = R(IPPROTO_TCP, 82, CONN_FWD_DR,
				  TCP_S_SYN_RECV, 40002);
	struct lb_sync_rec udp = R_fnat(IPPROTO_UDP, 53, UDP_NORMAL, 40003);
	struct conn_key4 reply_key = { .src_addr = nat.daddr,
				       .dst_addr = nat.caddr,
				       .src_port = nat.dport,
				       .dst_port = nat.cport,
				       .proto = IPPROTO_TCP };
	struct dp_worker *w;
	struct conn *c;

	(void)state;
	w = install(&nat, LB_SYNC_ADDED);
	c = find(w, &nat);
	assert_int_equal(c->fwd, CONN_FWD_NAT);
	assert_ptr_equal(conn_lookup4(w->conns, &reply_key, NULL), c);
	lb_conn_drop(w, c);
	w = install(&dr, LB_SYNC_ADDED);
	c = find(w, &dr);
	assert_int_equal(c->fwd, CONN_FWD_DR);
	assert_true(c->flags & CONN_F_NO_OUT);
	assert_int_equal(conn_priv(c)->daddr, dr.daddr);
	lb_conn_drop(w, c);
	w = install(&udp, LB_SYNC_ADDED);
	c = find(w, &udp);
	assert_int_equal(c->state, UDP_NORMAL);
	lb_conn_drop(w, c);
}

static void
test_install_refused(void **state)
{
	struct lb_sync_rec r = R_fnat(IPPROTO_TCP, 80, TCP_S_ESTABLISHED, 40010);
	struct dp_worker *w = &dp.workers[0], *o;
	enum sync_drop why;
	unsigned int owner;
	uint64_t before[SYNC_DROP_MAX], slice;
	uint16_t lo, hi;

	(void)state;
	memcpy(before, w->sync.drops, sizeof(before));
	/* a local port in the other worker's slice: the peers' worker
	 * counts differ */
	owner = steer_by_client(r.caddr, r.cport, NW);
	o = &dp.workers[owner];
	steer_lport_range(1 - owner, NW, &lo, &hi);
	r.lport = htons(lo);
	assert_false(lb_sync_owner(&dp, &r, &owner, &why));
	assert_int_equal(why, SYNC_DROP_WORKERS);
	slice = o->sync.drops[SYNC_DROP_WORKERS];
	assert_int_equal(lb_sync_install(&dp, o, &r), LB_SYNC_DROPPED);
	assert_int_equal(o->sync.drops[SYNC_DROP_WORKERS], slice + 1);
	r = R_fnat(IPPROTO_TCP, 80, TCP_S_ESTABLISHED, 40010);
	r.vport = htons(99);			/* no such service */
	assert_false(lb_sync_owner(&dp, &r, &owner, &why));
	assert_int_equal(why, SYNC_DROP_UNKNOWN_SERVICE);
	assert_int_equal(lb_sync_install(&dp, w, &r), LB_SYNC_DROPPED);
	r = R_fnat(IPPROTO_TCP, 80, TCP_S_ESTABLISHED, 40010);
	r.daddr = ip("198.18.1.13");		/* no such dest */
	assert_int_equal(lb_sync_install(&dp, w, &r), LB_SYNC_DROPPED);
	r = R(IPPROTO_TCP, 81, CONN_FWD_DR, 1, 40010);	/* NAT dests */
	assert_int_equal(lb_sync_install(&dp, w, &r), LB_SYNC_DROPPED);
	r = R(IPPROTO_TCP, 81, CONN_FWD_NAT, TCP_STATE_COUNT, 40010);
	assert_int_equal(lb_sync_install(&dp, w, &r), LB_SYNC_DROPPED);
	assert_int_equal(w->sync.drops[SYNC_DROP_UNKNOWN_SERVICE] -
			 before[SYNC_DROP_UNKNOWN_SERVICE], 1);
	assert_int_equal(w->sync.drops[SYNC_DROP_UNKNOWN_DEST] -
			 before[SYNC_DROP_UNKNOWN_DEST], 2);
	assert_int_equal(w->sync.drops[SYNC_DROP_BAD_RECORD] -
			 before[SYNC_DROP_BAD_RECORD], 1);
}

/* A deleted service's ghost keeps its connections (lb_svc.h) but takes
 * no record: for the sync it is no service at all. */
static void
test_install_to_deleted_service(void **state)
{
	struct lb_svc_key k = { .proto = IPPROTO_TCP, .port = 84,
				.vip = A("198.18.0.100") };
	struct lb_sync_rec r = R_fnat(IPPROTO_TCP, 84, TCP_S_ESTABLISHED, 40030);
	struct dp_worker *w;
	enum sync_drop why;
	unsigned int owner;
	uint64_t before;
	struct conn *c;

	(void)state;
	svc(IPPROTO_TCP, 84, LB_FWD_FNAT, 0);
	w = install(&r, LB_SYNC_ADDED);
	c = find(w, &r);
	assert_non_null(c);
	assert_int_equal(lb_svc_del(dp.lb, &k, msg, sizeof(msg)), 0);
	assert_non_null(lb_svc_lookup(lb_snap_get(dp.lb), IPPROTO_TCP,
				      r.vaddr, r.vport));	/* the ghost */
	r = R_fnat(IPPROTO_TCP, 84, TCP_S_ESTABLISHED, 40031);
	assert_false(lb_sync_owner(&dp, &r, &owner, &why));
	assert_int_equal(why, SYNC_DROP_UNKNOWN_SERVICE);
	before = w->sync.drops[SYNC_DROP_UNKNOWN_SERVICE];
	assert_int_equal(lb_sync_install(&dp, w, &r), LB_SYNC_DROPPED);
	assert_int_equal(w->sync.drops[SYNC_DROP_UNKNOWN_SERVICE], before + 1);
	/* the connection ends: the ghost goes */
	lb_conn_drop(w, c);
	lb_store_gc(dp.lb);
	assert_null(lb_svc_lookup(lb_snap_get(dp.lb), IPPROTO_TCP, r.vaddr,
				  r.vport));
}

/* Two NAT connections whose replies would look alike: the second is
 * refused (a reply must never reach the wrong client). */
static void
test_install_conflict(void **state)
{
	struct lb_sync_rec a = R(IPPROTO_TCP, 81, CONN_FWD_NAT, 1, 40020);
	struct lb_sync_rec b = a;
	struct dp_worker *w;

	(void)state;
	w = install(&a, LB_SYNC_ADDED);
	b.vaddr = ip("198.18.0.101");	/* another VIP, the same reply */
	{
		struct lb_svc_key k = { .proto = IPPROTO_TCP, .port = 81,
					.vip = A("198.18.0.101") };
		struct lb_svc_conf c;
		struct lb_dest_conf d;

		lb_svc_conf_init(&c);
		assert_int_equal(lb_svc_add(dp.lb, &k, &c, msg, sizeof(msg)), 0);
		lb_dest_conf_init(&d);
		d.addr = A("198.18.1.11");
		d.port = 8080;
		d.fwd = LB_FWD_NAT;
		assert_int_equal(lb_dest_add(dp.lb, &k, &d, msg, sizeof(msg)),
				 0);
	}
	assert_ptr_equal(install(&b, LB_SYNC_DROPPED), w);
	assert_true(w->sync.drops[SYNC_DROP_CONFLICT] >= 1);
	lb_conn_drop(w, find(w, &a));
}

/* The master chose another dest for the same client tuple: the old
 * entry goes, released. */
static void
test_install_new_dest(void **state)
{
	struct lb_sync_rec r = R(IPPROTO_TCP, 81, CONN_FWD_NAT, 1, 40030);
	const struct lb_dest *d1 = rs1(81, IPPROTO_TCP);
	struct dp_worker *w;
	struct conn *c;

	(void)state;
	w = install(&r, LB_SYNC_ADDED);
	assert_int_equal(dest_active(d1), 1);
	r.daddr = ip("198.18.1.12");
	assert_ptr_equal(install(&r, LB_SYNC_ADDED), w);
	assert_int_equal(dest_active(d1), 0);
	c = find(w, &r);
	assert_int_equal(c->tuple[CONN_SIDE_OUT].src_addr, r.daddr);
	lb_conn_drop(w, c);
}

static void
test_install_template(void **state)
{
	struct lb_sync_rec t = R(IPPROTO_TCP, 83, CONN_FWD_NAT, 0, 0);
	struct lb_sync_rec c = R(IPPROTO_TCP, 83, CONN_FWD_NAT, 1, 40040);
	struct conn_key4 tk = { .src_addr = t.caddr, .dst_addr = t.vaddr,
				.dst_port = t.vport, .proto = IPPROTO_TCP };
	struct dp_worker *w, *w2;
	struct conn *tc, *cc;

	(void)state;
	t.flags = LB_SYNC_F_TEMPLATE;
	t.timeout_s = 300;
	w = install(&t, LB_SYNC_ADDED);
	tc = conn_lookup4(w->conns, &tk, NULL);
	assert_non_null(tc);
	assert_true(tc->flags & LB_CONN_F_TEMPLATE);
	assert_int_equal(conn_timeout_of(w->conns, tc), 300000);
	assert_ptr_equal(install(&t, LB_SYNC_UPDATED), w);
	/* its connection lands on the same worker (the client's net) and
	 * is controlled by it */
	w2 = install(&c, LB_SYNC_ADDED);
	assert_ptr_equal(w2, w);
	cc = find(w, &c);
	assert_int_equal(conn_priv(cc)->tmpl, conn_ref(w->conns, tc));
	assert_int_equal(conn_priv(tc)->n_control, 1);
	lb_conn_drop(w, cc);
	lb_conn_drop(w, tc);
}

static void
test_lag(void **state)
{
	struct lb_sync_rec r = R(IPPROTO_TCP, 81, CONN_FWD_NAT, 1, 40050);
	struct dp_worker *w;
	uint64_t n;

	(void)state;
	w = &dp.workers[steer_by_client(r.caddr, r.cport, NW)];
	n = w->sync.lag_n;
	r.ms = w->now_ms - 25;
	install(&r, LB_SYNC_ADDED);
	assert_int_equal(w->sync.lag_n, n + 1);
	assert_true(w->sync.lag_max_ms >= 25);
	lb_conn_drop(w, find(w, &r));
}

static void
test_table_full(void **state)
{
	struct conn_table *big, *small;
	struct dp_worker *w = &dp.workers[0];
	struct lb_sync_rec r;
	unsigned int i, added = 0, full = 0;

	(void)state;
	assert_int_equal(conn_table_create(&small, "small", 4, SOCKET_ID_ANY),
			 0);
	big = w->conns;
	w->conns = small;
	for (i = 0; i < 8; i++) {
		r = R(IPPROTO_TCP, 81, CONN_FWD_NAT, 1, (uint16_t)(41000 + i));
		switch (lb_sync_install(&dp, w, &r)) {
		case LB_SYNC_ADDED: added++; break;
		case LB_SYNC_DROPPED: full++; break;
		default: fail();
		}
	}
	assert_int_equal(added, 4);
	assert_int_equal(full, 4);
	assert_true(w->sync.drops[SYNC_DROP_TABLE_FULL] >= 4);
	for (i = 0; i < 4; i++) {
		r = R(IPPROTO_TCP, 81, CONN_FWD_NAT, 1, (uint16_t)(41000 + i));
		lb_conn_drop(w, find(w, &r));
	}
	w->conns = big;
	conn_table_free(small);
}

/* ---- the master's side ---- */

static unsigned int
drain(struct dp_worker *w, struct lb_sync_rec *last)
{
	struct lb_sync_rec r;
	unsigned int n = 0;

	while (rte_ring_sc_dequeue_elem(w->sync.out, &r, sizeof(r)) == 0) {
		n++;
		if (last != NULL)
			*last = r;
	}
	return n;
}

static void
conf(struct dp_worker *w, uint8_t mode, uint16_t threshold, uint16_t period,
     uint16_t refresh_t, uint8_t retries)
{
	w->sync_conf = (struct dp_sync_conf){
		.mode = mode, .threshold = threshold, .period = period,
		.wrap = period ? period : 0xffff, .refresh_t = refresh_t,
		.retries = retries };
}

/* A fresh established connection on its worker, never reported. */
static struct conn *
fresh(struct lb_sync_rec *r, struct dp_worker **wp)
{
	struct conn *c;

	*wp = install(r, LB_SYNC_ADDED);
	c = find(*wp, r);
	*lb_sync_cs(c) = (struct lb_sync_cs){ 0 };
	drain(*wp, NULL);
	return c;
}

static void
test_report_period(void **state)
{
	struct lb_sync_rec r = R_fnat(IPPROTO_TCP, 80, TCP_S_ESTABLISHED, 40100);
	struct lb_sync_rec got;
	struct dp_worker *w;
	struct conn *c = fresh(&r, &w);
	unsigned int pkt, at[8], n = 0;

	(void)state;
	conf(w, LB_SYNC_PKTS, 3, 50, 0, 0);	/* IPVS's defaults */
	for (pkt = 1; pkt <= 160; pkt++) {
		lb_sync_in(w, c);
		if (drain(w, &got) != 0 && n < RTE_DIM(at))
			at[n++] = pkt;
	}
	assert_int_equal(n, 4);
	assert_int_equal(at[0], 3);
	assert_int_equal(at[1], 53);
	assert_int_equal(at[2], 103);
	assert_int_equal(at[3], 153);
	/* the record is the connection as it forwards */
	assert_int_equal(got.caddr, r.caddr);
	assert_int_equal(got.cport, r.cport);
	assert_int_equal(got.laddr, r.laddr);
	assert_int_equal(got.lport, r.lport);
	assert_int_equal(got.daddr, r.daddr);
	assert_int_equal(got.fwd, CONN_FWD_FNAT);
	assert_int_equal(got.state, TCP_S_ESTABLISHED);
	assert_int_equal(got.timeout_s, 90);
	assert_int_equal(got.ms, w->now_ms);
	assert_true(got.flags & LB_SYNC_F_PEER);	/* it was installed */
	/* sync off: nothing */
	conf(w, LB_SYNC_OFF, 3, 50, 0, 0);
	for (pkt = 0; pkt < 200; pkt++)
		lb_sync_in(w, c);
	assert_int_equal(drain(w, NULL), 0);
	lb_conn_drop(w, c);
}

static void
test_report_once_and_states(void **state)
{
	struct lb_sync_rec r = R(IPPROTO_TCP, 81, CONN_FWD_NAT, TCP_S_SYN_RECV,
				 40110);
	struct dp_worker *w;
	struct conn *c = fresh(&r, &w);
	unsigned int pkt, n = 0;

	(void)state;
	conf(w, LB_SYNC_PKTS, 3, 0, 0, 0);	/* period 0: once */
	for (pkt = 0; pkt < 10; pkt++)
		lb_sync_in(w, c);
	assert_int_equal(drain(w, NULL), 0);	/* SYN_RECV: never */
	lb_sync_cs(c)->pkts = 0;
	c->state = TCP_S_ESTABLISHED;
	for (pkt = 0; pkt < 500; pkt++) {
		lb_sync_in(w, c);
		n += drain(w, NULL);
	}
	assert_int_equal(n, 1);
	/* a close state is reported at once, on the change */
	c->state = TCP_S_FIN_WAIT;
	lb_sync_state(w, c);
	assert_int_equal(drain(w, NULL), 1);
	c->state = TCP_S_LAST_ACK;	/* not a state IPVS syncs */
	lb_sync_state(w, c);
	assert_int_equal(drain(w, NULL), 0);
	lb_conn_drop(w, c);
}

static void
test_report_refresh(void **state)
{
	struct lb_sync_rec r = R_fnat(IPPROTO_UDP, 53, UDP_NORMAL, 40120);
	struct dp_worker *w;
	struct conn *c = fresh(&r, &w);
	uint32_t t0 = w->now_ms;
	unsigned int n;

	(void)state;
	/* sync_period 0, sync_refresh_period 2 s: by time alone */
	conf(w, LB_SYNC_TIME, 3, 0, 8, 0);
	lb_sync_in(w, c);
	assert_int_equal(drain(w, NULL), 1);	/* never reported: now */
	lb_sync_in(w, c);
	w->now_ms += 1000;
	lb_sync_in(w, c);
	assert_int_equal(drain(w, NULL), 0);
	w->now_ms = t0 + 2400;
	lb_sync_in(w, c);
	assert_int_equal(drain(w, NULL), 1);
	for (n = 0; n < 100; n++)
		lb_sync_in(w, c);
	assert_int_equal(drain(w, NULL), 0);
	/* sync_retries 2: repeats every refresh / 8 */
	conf(w, LB_SYNC_TIME, 3, 0, 64, 2);
	w->now_ms = t0 + 100000;
	lb_sync_in(w, c);
	assert_int_equal(drain(w, NULL), 1);
	for (n = 1; n <= 3; n++) {
		w->now_ms += 64 * 256 / 8 + 256;
		lb_sync_in(w, c);
		assert_int_equal(drain(w, NULL), n <= 2 ? 1 : 0);
	}
	w->now_ms = t0;
	lb_conn_drop(w, c);
}

static void
test_dump(void **state)
{
	struct lb_sync_rec rs[6];
	struct dp_worker *w = &dp.workers[0];
	unsigned int i, k, n, want = 0;

	(void)state;
	for (i = 0; i < RTE_DIM(rs); i++) {
		rs[i] = R(IPPROTO_TCP, 81, CONN_FWD_NAT,
			  i % 3 ? TCP_S_ESTABLISHED : TCP_S_SYN_RECV,
			  (uint16_t)(42000 + i));
		if (steer_by_client(rs[i].caddr, rs[i].cport, NW) != 0) {
			rs[i].vport = 0;
			continue;
		}
		assert_int_equal(lb_sync_install(&dp, w, &rs[i]), LB_SYNC_ADDED);
		want += i % 3 ? 1 : 0;	/* SYN_RECV is never synced */
	}
	drain(w, NULL);
	w->sync.work = LB_SYNC_WORK_DUMP;
	w->sync.dump_allow = UINT64_MAX;	/* no pace here */
	w->sync.dump_req++;
	for (k = 0; k < 1000 && w->sync.dump_done != w->sync.dump_req; k++)
		lb_sync_serve_slow(&dp, w);
	assert_int_equal(w->sync.dump_done, w->sync.dump_req);
	n = drain(w, NULL);
	assert_int_equal(n, want);
	w->sync.work = 0;
	for (i = 0; i < RTE_DIM(rs); i++)
		if (rs[i].vport != 0)
			lb_conn_drop(w, find(w, &rs[i]));
	assert_int_equal(conn_count(w->conns), 0);
}

/* ---- IPv6 and NAT64 ---- */

/* r's local port: one (by cport) of the slice of r's owner. */
static void
slice6(struct lb_sync_rec *r, uint16_t cport)
{
	enum sync_drop why;
	unsigned int owner = 0;
	uint16_t lo = 0, hi;

	r->lport = htons(1024);		/* for the owner's look-up only */
	assert_true(lb_sync_owner(&dp, r, &owner, &why) ||
		    why == SYNC_DROP_WORKERS);
	assert_int_equal(steer_lport_range(owner, NW, &lo, &hi), 0);
	r->lport = htons((uint16_t)(lo + cport % 100));
}

/* An IPv6 full-NAT record (nat64: to the IPv4 rs1 from the IPv4 LIP)
 * whose local port lies in its owner's slice. */
static struct lb_sync_rec
R6(bool nat64, uint8_t state, uint16_t cport)
{
	struct lb_sync_rec r = {
		.cport = htons(cport), .vport = htons(nat64 ? NAT64 : FNAT6),
		.dport = htons(8080), .proto = IPPROTO_TCP, .state = state,
		.fwd = CONN_FWD_FNAT, .timeout_s = 90, .flags = LB_SYNC_F_IPV6,
	};
	memcpy(r.caddr6, A6("2001:2::2").v6.s6_addr, 16);
	memcpy(r.vaddr6, A6(VIP6).v6.s6_addr, 16);
	if (nat64) {
		r.flags |= LB_SYNC_F_SERVER4;
		r.daddr = ip("198.18.1.11");
		r.laddr = ip("198.18.1.100");
	} else {
		memcpy(r.daddr6, A6(RS1_6).v6.s6_addr, 16);
		memcpy(r.laddr6, A6(LIP6).v6.s6_addr, 16);
	}
	slice6(&r, cport);
	return r;
}

static struct conn *
find6(struct dp_worker *w, const struct lb_sync_rec *r, bool server_side,
      bool *reply)
{
	struct conn6_key k;

	if (!server_side)
		conn6_key6(&k, r->caddr6, r->vaddr6, r->cport, r->vport,
			   r->proto);
	else if (r->flags & LB_SYNC_F_SERVER4)
		conn6_key4(&k, r->daddr, r->laddr, r->dport, r->lport,
			   r->proto);
	else
		conn6_key6(&k, r->daddr6, r->laddr6, r->dport, r->lport,
			   r->proto);
	return conn6_lookup(lb6_table(w), &k, reply);
}

static void
test_install6(void **state)
{
	struct lb_sync_rec rs[2] = { R6(false, TCP_S_ESTABLISHED, 41000),
				     R6(true, TCP_S_ESTABLISHED, 41001) };
	struct dp_worker *w;
	struct conn *c;
	unsigned int i;
	bool reply;

	(void)state;
	for (i = 0; i < RTE_DIM(rs); i++) {
		uint64_t installed;

		w = install(&rs[i], LB_SYNC_ADDED);
		installed = w->sync.installed;
		c = find6(w, &rs[i], false, &reply);
		assert_non_null(c);
		assert_false(reply);
		assert_true(c->flags & CONN_F_IPV6);
		assert_true(c->flags & LB_CONN_F_SYNCED);
		assert_int_equal(c->fwd, CONN_FWD_FNAT);
		assert_int_equal(c->state, TCP_S_ESTABLISHED);
		assert_int_equal(conn_priv(c)->dest->conf.addr.family,
				 i ? AF_INET : AF_INET6);
		/* the server's answer to the local address finds it */
		assert_ptr_equal(find6(w, &rs[i], true, &reply), c);
		assert_true(reply);
		/* not in the IPv4 table */
		assert_int_equal(conn_count(w->conns), 0);
		/* a later record updates it */
		rs[i].state = TCP_S_FIN_WAIT;
		assert_ptr_equal(install(&rs[i], LB_SYNC_UPDATED), w);
		assert_int_equal(c->state, TCP_S_FIN_WAIT);
		assert_int_equal(w->sync.installed, installed);
		/* another local port: the master chose anew, replaced */
		rs[i].lport = htons((uint16_t)(ntohs(rs[i].lport) + 1));
		assert_ptr_equal(install(&rs[i], LB_SYNC_ADDED), w);
		assert_int_equal(conn6_count(lb6_table(w)), 1);
		c = find6(w, &rs[i], true, &reply);
		assert_non_null(c);
		assert_true(reply);
		lb6_conn_drop(w, c);
		assert_int_equal(conn6_count(lb6_table(w)), 0);
	}
}

static void
test_install6_refused(void **state)
{
	struct lb_sync_rec r = R6(false, TCP_S_ESTABLISHED, 41002), x;
	enum sync_drop why;
	unsigned int owner = 0;
	uint16_t lo = 0, hi;

	(void)state;
	/* a local port outside the owner's slice: the peers' worker
	 * counts differ */
	x = r;
	assert_true(lb_sync_owner(&dp, &x, &owner, &why));
	assert_int_equal(steer_lport_range(owner ^ 1, NW, &lo, &hi), 0);
	x.lport = htons(lo);
	assert_false(lb_sync_owner(&dp, &x, &owner, &why));
	assert_int_equal(why, SYNC_DROP_WORKERS);
	assert_int_equal(lb_sync_install(&dp, &dp.workers[owner], &x),
			 LB_SYNC_DROPPED);
	assert_int_equal(dp.workers[owner].sync.drops[SYNC_DROP_WORKERS], 1);
	/* no such IPv6 service */
	x = r;
	x.vport = htons(99);
	assert_false(lb_sync_owner(&dp, &x, &owner, &why));
	assert_int_equal(why, SYNC_DROP_UNKNOWN_SERVICE);
	/* no such dest: another server, or the IPv4 one on the IPv6
	 * service */
	x = r;
	x.daddr6[15] ^= 1;
	install(&x, LB_SYNC_DROPPED);
	x = R6(true, TCP_S_ESTABLISHED, 41003);
	x.vport = htons(FNAT6);
	install(&x, LB_SYNC_DROPPED);
	/* an IPv6 template of a service without persistence */
	x = r;
	x.flags |= LB_SYNC_F_TEMPLATE;
	assert_false(lb_sync_owner(&dp, &x, &owner, &why));
	assert_int_equal(why, SYNC_DROP_BAD_RECORD);
	for (owner = 0; owner < NW; owner++) {
		assert_int_equal(conn6_count(lb6_table(&dp.workers[owner])), 0);
		dp.workers[owner].sync.drops[SYNC_DROP_WORKERS] = 0;
	}
}

/* A master reports an IPv6 connection as the record it was installed
 * from, on packets and in a full dump. */
static void
test_report6(void **state)
{
	struct lb_sync_rec rs[2] = { R6(false, TCP_S_ESTABLISHED, 41004),
				     R6(true, TCP_S_ESTABLISHED, 41005) }, got;
	struct dp_worker *w;
	struct conn *c;
	unsigned int i, k;

	(void)state;
	for (i = 0; i < RTE_DIM(rs); i++) {
		w = install(&rs[i], LB_SYNC_ADDED);
		c = find6(w, &rs[i], false, NULL);
		*lb_sync_cs(c) = (struct lb_sync_cs){ 0 };
		drain(w, NULL);
		conf(w, LB_SYNC_PKTS, 3, 50, 0, 0);
		for (k = 0; k < 3; k++)
			lb_sync_in(w, c);
		assert_int_equal(drain(w, &got), 1);
		assert_true(got.flags & LB_SYNC_F_IPV6);
		assert_true(got.flags & LB_SYNC_F_PEER);	/* synced here */
		assert_memory_equal(got.caddr6, rs[i].caddr6, 16);
		assert_memory_equal(got.vaddr6, rs[i].vaddr6, 16);
		assert_int_equal(got.cport, rs[i].cport);
		assert_int_equal(got.vport, rs[i].vport);
		assert_int_equal(got.dport, rs[i].dport);
		assert_int_equal(got.lport, rs[i].lport);
		assert_int_equal(got.fwd, CONN_FWD_FNAT);
		assert_int_equal(got.state, TCP_S_ESTABLISHED);
		if (i) {
			assert_true(got.flags & LB_SYNC_F_SERVER4);
			assert_int_equal(got.daddr, rs[i].daddr);
			assert_int_equal(got.laddr, rs[i].laddr);
		} else {
			assert_false(got.flags & LB_SYNC_F_SERVER4);
			assert_memory_equal(got.daddr6, rs[i].daddr6, 16);
			assert_memory_equal(got.laddr6, rs[i].laddr6, 16);
		}
		/* a close state at once (here by a record: the backup's
		 * worker moves the entry without reporting it) */
		rs[i].state = TCP_S_CLOSE_WAIT;
		install(&rs[i], LB_SYNC_UPDATED);
		assert_int_equal(drain(w, NULL), 0);
		lb_sync_state(w, c);
		assert_int_equal(drain(w, &got), 1);
		assert_int_equal(got.state, TCP_S_CLOSE_WAIT);
		/* a full dump walks the IPv6 table too */
		w->sync.work = LB_SYNC_WORK_DUMP;
		w->sync.dump_allow = UINT64_MAX;
		w->sync.dump_req++;
		for (k = 0; k < 1000 && w->sync.dump_done != w->sync.dump_req;
		     k++)
			lb_sync_serve_slow(&dp, w);
		assert_int_equal(w->sync.dump_done, w->sync.dump_req);
		assert_int_equal(drain(w, &got), 1);
		assert_true(got.flags & LB_SYNC_F_DUMP);
		assert_true(got.flags & LB_SYNC_F_IPV6);
		w->sync.work = 0;
		conf(w, LB_SYNC_OFF, 0, 0, 0, 0);
		lb6_conn_drop(w, c);
	}
}

/* ---- IPv6 persistence templates ---- */

/* A template record of client net 2001:2:0:7::/64 to port vport's rs1
 * (IPv6, or NAT64's IPv4 one), as a master sends it. */
static struct lb_sync_rec
T6(uint16_t vport)
{
	struct lb_sync_rec t = R6(vport == NAT64P, 0, 0);

	t.flags |= LB_SYNC_F_TEMPLATE;
	t.vport = htons(vport);
	t.cport = 0;
	t.lport = 0;
	t.laddr = 0;
	memset(t.laddr6, 0, 16);
	t.timeout_s = 300;
	memcpy(t.caddr6, A6("2001:2:0:7::").v6.s6_addr, 16);
	return t;
}

/* The connection record of client 2001:2:0:7::cport:cport of t's net. */
static struct lb_sync_rec
C6(const struct lb_sync_rec *t, uint16_t cport)
{
	struct lb_sync_rec r = R6(t->flags & LB_SYNC_F_SERVER4,
				  TCP_S_ESTABLISHED, cport);

	r.vport = t->vport;
	r.caddr6[14] = (uint8_t)(cport >> 8);
	r.caddr6[15] = (uint8_t)cport;
	memcpy(r.caddr6, t->caddr6, 8);
	slice6(&r, cport);
	return r;
}

static const struct lb_svc_snap *
svc6_snap(uint16_t vport)
{
	return lb_svc_lookup6(lb_snap_get(dp.lb), IPPROTO_TCP,
			      A6(VIP6).v6.s6_addr, htons(vport));
}

static struct conn *
tmpl6_of(struct dp_worker *w, const struct lb_sync_rec *r)
{
	struct conn6_key k;

	conn6_key6(&k, r->caddr6, r->vaddr6, r->cport, r->vport, r->proto);
	return lb6_tmpl_get(w, svc6_snap(ntohs(r->vport)), &k);
}

/* An IPv6 (and a NAT64) template installed in the owner's conn6 table
 * with the service's persistence timeout, the connections of its net
 * on the same worker linked to it (also one that came before it). */
static void
test_install6_template(void **state)
{
	static const uint16_t ports[] = { FNAT6P, NAT64P };
	struct lb_sync_rec t, a, b;
	struct dp_worker *w;
	struct conn *tc, *ca, *cb;
	unsigned int i;

	(void)state;
	for (i = 0; i < RTE_DIM(ports); i++) {
		t = T6(ports[i]);
		a = C6(&t, 41100);
		b = C6(&t, 41101);
		/* b comes before its template: installed, not linked */
		w = install(&b, LB_SYNC_ADDED);
		cb = find6(w, &b, false, NULL);
		assert_int_equal(conn_priv(cb)->tmpl, 0);
		assert_ptr_equal(install(&t, LB_SYNC_ADDED), w);
		tc = tmpl6_of(w, &a);
		assert_non_null(tc);
		assert_true(tc->flags & LB_CONN_F_TEMPLATE);
		assert_true(tc->flags & LB_CONN_F_SYNCED);
		assert_true(tc->flags & CONN_F_IPV6);
		assert_int_equal(conn_timeout_of(conn6_life(lb6_table(w)), tc),
				 300000);
		assert_int_equal(conn_priv(tc)->dest->conf.addr.family,
				 i ? AF_INET : AF_INET6);
		assert_ptr_equal(install(&t, LB_SYNC_UPDATED), w);
		/* a, after it: linked at once; b at its next record */
		assert_ptr_equal(install(&a, LB_SYNC_ADDED), w);
		ca = find6(w, &a, false, NULL);
		assert_int_equal(conn_priv(ca)->tmpl,
				 conn_ref(conn6_life(lb6_table(w)), tc));
		assert_int_equal(conn_priv(tc)->n_control, 1);
		assert_ptr_equal(install(&b, LB_SYNC_UPDATED), w);
		assert_int_equal(conn_priv(cb)->tmpl, conn_priv(ca)->tmpl);
		assert_int_equal(conn_priv(tc)->n_control, 2);
		/* connections that end release their template */
		lb6_conn_drop(w, ca);
		lb6_conn_drop(w, cb);
		assert_int_equal(conn_priv(tc)->n_control, 0);
		assert_int_equal(conn_priv(tc)->dest->load.persistent, 1);
		lb6_conn_drop(w, tc);
		assert_int_equal(conn6_count(lb6_table(w)), 0);
	}
}

/* Templates a backup cannot take: a net with bits past this node's
 * prefix (the master's is longer), a service without persistence, a
 * dest it lacks. */
static void
test_install6_template_refused(void **state)
{
	struct lb_sync_rec t = T6(FNAT6P), x;
	enum sync_drop why;
	unsigned int owner;

	(void)state;
	x = t;
	x.caddr6[9] = 1;	/* a /80 net: not a /64 here */
	assert_false(lb_sync_owner(&dp, &x, &owner, &why));
	assert_int_equal(why, SYNC_DROP_BAD_RECORD);
	assert_true(lb_sync_owner(&dp, &t, &owner, &why));
	assert_int_equal(lb_sync_install(&dp, &dp.workers[owner], &x),
			 LB_SYNC_DROPPED);
	x = t;
	x.vport = htons(FNAT6);
	assert_false(lb_sync_owner(&dp, &x, &owner, &why));
	assert_int_equal(why, SYNC_DROP_BAD_RECORD);
	x = t;
	x.daddr6[15] ^= 1;
	install(&x, LB_SYNC_DROPPED);
	for (owner = 0; owner < NW; owner++)
		assert_int_equal(conn6_count(lb6_table(&dp.workers[owner])), 0);
}

/* A master's persistent IPv6 connection reports its template with it:
 * IPVS's template entry, the client's net and cport 0; a dump too. */
static void
test_report6_template(void **state)
{
	struct lb_sync_rec t = T6(NAT64P), a = C6(&t, 41110), got[4];
	struct dp_worker *w;
	struct conn *ca, *tc;
	unsigned int k, n;

	(void)state;
	w = install(&t, LB_SYNC_ADDED);
	install(&a, LB_SYNC_ADDED);
	ca = find6(w, &a, false, NULL);
	tc = tmpl6_of(w, &a);
	*lb_sync_cs(ca) = (struct lb_sync_cs){ 0 };
	*lb_sync_cs(tc) = (struct lb_sync_cs){ 0 };
	drain(w, NULL);
	conf(w, LB_SYNC_PKTS, 3, 50, 0, 0);
	for (k = 0; k < 3; k++)
		lb_sync_in(w, ca);
	for (n = 0; n < RTE_DIM(got) &&
	     rte_ring_sc_dequeue_elem(w->sync.out, &got[n],
				      sizeof(got[0])) == 0; n++)
		;
	assert_int_equal(n, 2);
	assert_false(got[0].flags & LB_SYNC_F_TEMPLATE);
	assert_true(got[1].flags & LB_SYNC_F_TEMPLATE);
	assert_true(got[1].flags & LB_SYNC_F_IPV6);
	assert_true(got[1].flags & LB_SYNC_F_SERVER4);
	assert_memory_equal(got[1].caddr6, t.caddr6, 16);
	assert_memory_equal(got[1].vaddr6, t.vaddr6, 16);
	assert_int_equal(got[1].cport, 0);
	assert_int_equal(got[1].vport, t.vport);
	assert_int_equal(got[1].daddr, t.daddr);
	assert_int_equal(got[1].dport, t.dport);
	assert_int_equal(got[1].timeout_s, 300);
	/* what the master sent installs as it was on a backup's worker */
	lb6_conn_drop(w, ca);
	lb6_conn_drop(w, tc);
	assert_ptr_equal(install(&got[1], LB_SYNC_ADDED), w);
	assert_ptr_equal(install(&got[0], LB_SYNC_ADDED), w);
	ca = find6(w, &a, false, NULL);
	tc = tmpl6_of(w, &a);
	assert_int_equal(conn_priv(tc)->n_control, 1);
	/* a full dump sends the template too */
	drain(w, NULL);
	w->sync.work = LB_SYNC_WORK_DUMP;
	w->sync.dump_allow = UINT64_MAX;
	w->sync.dump_req++;
	for (k = 0; k < 1000 && w->sync.dump_done != w->sync.dump_req; k++)
		lb_sync_serve_slow(&dp, w);
	for (n = 0; n < RTE_DIM(got) &&
	     rte_ring_sc_dequeue_elem(w->sync.out, &got[n],
				      sizeof(got[0])) == 0; n++)
		;
	assert_int_equal(n, 2);
	assert_int_equal(!!(got[0].flags & LB_SYNC_F_TEMPLATE) +
			 !!(got[1].flags & LB_SYNC_F_TEMPLATE), 1);
	w->sync.work = 0;
	conf(w, LB_SYNC_OFF, 0, 0, 0, 0);
	lb6_conn_drop(w, ca);
	lb6_conn_drop(w, tc);
}

/* ---- IPv4 in IPv6 tunnels ---- */

/* An IPv4 service tunnelling to two IPv6 dests whose first 4 bytes are
 * the same (an IPv4 record's daddr could not tell them apart): the
 * record names the dest by its IPv6 address, both ways. */
static void
test_sync_4in6_tunnel(void **state)
{
	struct lb_svc_key k = { .proto = IPPROTO_TCP, .port = 86,
				.vip = A("198.18.0.100") };
	const char *rs[] = { "2001:2:0:1::11", "2001:2:0:1::12" };
	struct lb_sync_rec r = R(IPPROTO_TCP, 86, CONN_FWD_TUNNEL,
				 TCP_S_ESTABLISHED, 41100), got;
	struct lb_svc_conf c;
	struct lb_dest_conf d;
	struct dp_worker *w;
	struct conn *cn;
	unsigned int i;

	(void)state;
	lb_svc_conf_init(&c);
	snprintf(c.sched, sizeof(c.sched), "rr");
	assert_int_equal(lb_svc_add(dp.lb, &k, &c, msg, sizeof(msg)), 0);
	for (i = 0; i < RTE_DIM(rs); i++) {
		lb_dest_conf_init(&d);
		d.addr = A6(rs[i]);
		d.port = 86;	/* a tunnel keeps the port */
		d.fwd = LB_FWD_TUNNEL;
		if (lb_dest_add(dp.lb, &k, &d, msg, sizeof(msg)) != 0)
			fail_msg("%s", msg);
	}
	/* backup: the record of the second dest installs on it */
	r.dport = htons(86);
	r.daddr = 0;
	r.flags |= LB_SYNC_F_CLIENT4;
	memcpy(r.daddr6, A6(rs[1]).v6.s6_addr, 16);
	w = install(&r, LB_SYNC_ADDED);
	cn = find(w, &r);
	assert_non_null(cn);
	assert_int_equal(cn->fwd, CONN_FWD_TUNNEL);
	assert_int_equal(conn_priv(cn)->dest->conf.addr.family, AF_INET6);
	assert_memory_equal(conn_priv(cn)->dest->conf.addr.v6.s6_addr,
			    r.daddr6, 16);
	/* an IPv4 record (no CLIENT4) names no IPv6 dest */
	r.flags &= (uint8_t)~LB_SYNC_F_CLIENT4;
	memcpy(&r.daddr, A6(rs[1]).v6.s6_addr, 4);
	assert_int_equal(lb_sync_install(&dp, w, &r), LB_SYNC_DROPPED);
	/* master: its report names the IPv6 dest */
	*lb_sync_cs(cn) = (struct lb_sync_cs){ 0 };
	drain(w, NULL);
	conf(w, LB_SYNC_PKTS, 3, 50, 0, 0);
	for (i = 0; i < 3; i++)
		lb_sync_in(w, cn);
	assert_int_equal(drain(w, &got), 1);
	assert_true(got.flags & LB_SYNC_F_CLIENT4);
	assert_false(got.flags & LB_SYNC_F_IPV6);
	assert_int_equal(got.caddr, r.caddr);
	assert_int_equal(got.vaddr, r.vaddr);
	assert_int_equal(got.daddr, 0);
	assert_memory_equal(got.daddr6, A6(rs[1]).v6.s6_addr, 16);
	assert_int_equal(got.fwd, CONN_FWD_TUNNEL);
	conf(w, LB_SYNC_OFF, 0, 0, 0, 0);
	lb_conn_drop(w, cn);
	assert_int_equal(lb_svc_del(dp.lb, &k, msg, sizeof(msg)), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_install_fnat),
		cmocka_unit_test(test_install_follows_lports),
		cmocka_unit_test(test_install_modes),
		cmocka_unit_test(test_install_refused),
		cmocka_unit_test(test_install_to_deleted_service),
		cmocka_unit_test(test_install_conflict),
		cmocka_unit_test(test_install_new_dest),
		cmocka_unit_test(test_install_template),
		cmocka_unit_test(test_lag),
		cmocka_unit_test(test_table_full),
		cmocka_unit_test(test_report_period),
		cmocka_unit_test(test_report_once_and_states),
		cmocka_unit_test(test_report_refresh),
		cmocka_unit_test(test_dump),
		cmocka_unit_test(test_install6),
		cmocka_unit_test(test_install6_refused),
		cmocka_unit_test(test_report6),
		cmocka_unit_test(test_install6_template),
		cmocka_unit_test(test_install6_template_refused),
		cmocka_unit_test(test_report6_template),
		cmocka_unit_test(test_sync_4in6_tunnel),
	};

	return cmocka_run_group_tests_name("lb_sync", tests, setup, teardown);
}
