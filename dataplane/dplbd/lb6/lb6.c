/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lb6: the load balancer's IPv6 packet path (lb_input_local6(), lb.h)
 * (its files: lb6_priv.h) and NAT64 (lb6_xmit.c).
 *
 * A TCP or UDP packet to one of our IPv6 addresses finds its connection
 * in the worker's conn6 table (conn/conn6.h), by its client key or its
 * server key; a miss on an IPv6 service (lb_svc_lookup6()) schedules a
 * dest with the service's scheduler (pure SYNs and first datagrams
 * only, their checksum checked) and makes one.  Modes:
 *   FNAT   IPv6 dest: client -> VIP becomes LIP6:lport -> dest; the
 *          local port from the worker's slice of the group's IPv6 LIPs;
 *          IPv4 dest (NAT64): the packet is translated (xlat/nat64.h)
 *          from an IPv4 LIP and a local port of the worker's slice (as
 *          IPv4 full NAT's, so the server's answers reach this worker
 *          by the IPv4 steering), its answers back to IPv6 by
 *          lb6_reply4(), which lb.c calls for an IPv4 packet to a local
 *          address that no IPv4 connection owns;
 *   NAT    the destination becomes the dest; answers pass back;
 *   DR     the frame goes to the dest's MAC, the packet unchanged;
 *   TUNNEL the packet inside an outer IPv6 header to an IPv6 dest, or
 *          an outer IPv4 header (protocol 41) to an IPv4 dest.
 * The rewrites are xlat/'s (incremental checksums, no header checksum
 * in IPv6).  Output: net6's ipv6_output() along route6_lookup(), or
 * net/'s ipv4_output() for NAT64.
 *
 * Persistence: templates per client net (a prefix length) in the same
 * table, living their timeout after the last connection they made and
 * while connections they made are alive (linked as lb_conn.c links
 * IPv4's, by a reference into this table; the HA sync installs synced
 * ones through lb6_tmpl_get(), lb6_tmpl_add(), lb6_tmpl_link()).
 * Packets are steered to their owner worker as IPv4's (lb6_owner()).
 * ICMPv4 errors about a NAT64 connection's packets (lb6_icmp4(), from
 * lb_icmp.c) go back to the client as ICMPv6 (RFC 7915 4.2).
 * IPv6 NAT answers are transit for net6: lb_input_transit6() takes
 * them (steered by the client's side, as IPv4's).
 * ICMPv6 errors about IPv6 and NAT64 connections (lb6_icmp6()) go to
 * the other side rewritten, or translated to ICMPv4 for a NAT64 server.
 * A master reports connections to its HA peer as lb.c does (lb_sync.c).
 *
 * No locks, no allocation, no logging per packet: per-worker tables.
 */
#include <string.h>

#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "conn/conn6.h"
#include "core/dp.h"
#include "core/stats.h"
#include "core/tx.h"
#include "lb/lb.h"
#include "lb/lb_priv.h"
#include "lb/lb_svc.h"
#include "lb6_priv.h"
#include "net/net.h"
#include "net/steer.h"
#include "net6/net6.h"
#include "net6/route6.h"
#include "xlat/nat64.h"
#include "xlat/xlat.h"

#define LB6_EXPIRE_BUDGET 256
#define LB6_MIN_CONNS 1024u

/* Per worker, written by that worker only. */
struct conn6_table *lb6_tables[DP_MAX_WORKERS];

int
lb6_init(struct dp_ctx *dp)
{
	uint32_t cap = dp->cfg->max_conns6 != 0 ? dp->cfg->max_conns6 :
		       dp->cfg->max_conns / 8;
	char name[32];
	unsigned int i;
	int ret;

	cap = RTE_MAX(cap, LB6_MIN_CONNS);

	for (i = 0; i < dp->n_workers; i++) {
		snprintf(name, sizeof(name), "dplb_conn6_%u", i);
		ret = conn6_table_create(&lb6_tables[i], name, cap,
					 (int)rte_socket_id());
		if (ret != 0)
			return ret;
		conn_table_set_timeouts(conn6_life(lb6_tables[i]),
					&dp->cfg->timeouts);
	}
	return 0;
}

void
lb6_free(struct dp_ctx *dp)
{
	for (unsigned int i = 0; i < DP_MAX_WORKERS; i++) {
		conn6_table_free(lb6_tables[i]);
		lb6_tables[i] = NULL;
	}
	RTE_SET_USED(dp);
}

struct conn6_table *
lb6_table(const struct dp_worker *w)
{
	return lb6_tables[w->id];
}

/* c ends: the template that made it (in this conn6 table) controls one
 * fewer.  lb_conn_release() would look for it in the IPv4 table, so the
 * link goes here first.  The reference may name a recycled entry. */
static void
tmpl6_uncontrol(struct dp_worker *w, struct conn *c)
{
	struct conn *t;

	if (is_template(c) || conn_priv(c)->tmpl == 0)
		return;
	t = conn_from_ref(conn6_life(lb6_tables[w->id]), conn_priv(c)->tmpl);
	if (t != NULL && is_template(t) && t->svc_id == c->svc_id &&
	    conn_priv(t)->n_control > 0)
		conn_priv(t)->n_control--;
	conn_priv(c)->tmpl = 0;
}

void
lb6_conn_drop(struct dp_worker *w, struct conn *c)
{
	tmpl6_uncontrol(w, c);
	lb_conn_release(w, c);
	conn6_del(lb6_tables[w->id], c);
}

static bool
lb6_expire_cb(void *ctx, struct conn *c)
{
	/* As IPVS (and lb_conn.c): a template outlives its timeout while
	 * connections it made are alive. */
	if (is_template(c) && conn_priv(c)->n_control > 0)
		return true;
	tmpl6_uncontrol(ctx, c);
	lb_conn_release(ctx, c);
	return false;
}

void
lb6_expire_tick(struct dp_worker *w)
{
	struct conn6_table *t = lb6_tables[w->id];

	if (t != NULL && conn6_count(t) != 0)
		conn6_expire_tick(t, w->now_ms, LB6_EXPIRE_BUDGET,
				  lb6_expire_cb, w);
}

/* lb_set_state_quiet() on the IPv6 table: the dest's active and
 * inactive counts follow. */
void
lb6_set_state(struct dp_worker *w, struct conn *c, uint8_t state)
{
	bool was = state_is_active(c);

	conn_set_state(conn6_life(lb6_tables[w->id]), c, state, w->now_ms);
	if (was != state_is_active(c))
		lb_dest_conn_count(conn_priv(c)->dest, w->id, was ? -1 : 1,
				   was ? 1 : -1);
}

/* The TCP or UDP header at l4 (len bytes to the end of the packet):
 * false with the reason when short, a UDP length not the payload's, or
 * a UDP checksum of zero (RFC 8200 8.1). */
static __rte_always_inline bool
l4_parse6(uint8_t proto, uint8_t *l4, uint32_t len, struct l4_view *v,
	  enum drop_reason *why)
{
	if (!l4_parse_at(proto, (char *)l4, len, v, why))
		return false;
	if (v->udp && v->cksum == NULL) {
		*why = DROP_IPV6_UDP_ZERO_CHECKSUM;
		return false;
	}
	return true;
}

/* ---- new connections --------------------------------------------------- */

/* For an IPv4 LIP (NAT64), is the full-NAT tuple out (server side,
 * its local side set) used by an IPv4 connection of this worker (IPv4
 * full NAT shares the group's IPv4 LIPs)?  The IPv6 table's own check
 * is conn6_new()'s. */
static bool
lport_used4(struct dp_worker *w, const struct conn6_key *out)
{
	struct conn_key4 k4 = { .proto = out->proto };

	if (out->family != AF_INET)
		return false;
	memcpy(&k4.src_addr, out->src, 4);
	memcpy(&k4.dst_addr, out->dst, 4);
	k4.src_port = out->sport;
	k4.dst_port = out->dport;
	return conn_lookup4(w->conns, &k4, NULL) != NULL;
}

/* An IPv6 full-NAT (or NAT64) connection's try of one port
 * (lb_lport_attempt_fn): conn6_new() refuses a tuple in use (EEXIST);
 * an IPv4 LIP's tuple is checked in the IPv4 table first. */
struct attempt6 {
	struct dp_worker *w;
	const struct conn6_key *in;
	struct conn_loc in_loc;		/* in's place: hashed once */
	struct conn6_key *out;
	uint8_t state;
};

static int
attempt6(void *ctx, rte_be16_t port, struct conn **c)
{
	struct attempt6 *a = ctx;
	struct conn6_table *tb = lb6_tables[a->w->id];

	a->out->dport = port;
	if (lport_used4(a->w, a->out))
		return 0;
	*c = conn6_new_located(tb, a->in, a->in_loc, a->out, a->state,
			       a->w->now_ms);
	if (*c != NULL)
		return 1;
	if (rte_errno != EEXIST)
		return -ENOSPC;
	return conn6_lookup(tb, a->in, NULL) != NULL ? -EEXIST : 0;
}

/* A 16-byte address (an IPv4 one in the first 4, the rest zero) folded
 * to a word for the local port walk's pair. */
static inline uint64_t
addr_word(const uint8_t a[16])
{
	uint64_t w[2];

	memcpy(w, a, sizeof(w));
	return w[0] ^ w[1] * 0x9e3779b97f4a7c15ULL;
}

/* The pair (LIP, server, port, proto) of a server-side key. */
static void
pair6(const struct conn6_key *out, uint64_t *pair_a, uint64_t *pair_b)
{
	*pair_a = addr_word(out->dst);
	*pair_b = addr_word(out->src) ^
		  ((uint64_t)out->sport << 8 | out->proto);
}

/* lb_lip_set_fn of IPv6 and NAT64: the LIP in the server side's key,
 * the pair (LIP, server, port, proto). */
static void
set6(void *ctx, const struct inet_addr *lip, uint64_t *pair_a,
     uint64_t *pair_b)
{
	struct conn6_key *out = ((struct attempt6 *)ctx)->out;

	memset(out->dst, 0, 16);
	memcpy(out->dst, lip->family == AF_INET6 ?
			 (const void *)lip->v6.s6_addr :
			 (const void *)&lip->v4.s_addr,
	       lip->family == AF_INET6 ? 16 : 4);
	pair6(out, pair_a, pair_b);
}

void
lb6_lport_follow(struct dp_ctx *dp, struct dp_worker *w,
		 const struct conn6_key *out)
{
	uint64_t pair_a, pair_b;

	pair6(out, &pair_a, &pair_b);
	lb_lport_follow(dp, w, pair_a, pair_b, out->dport);
}

/*
 * The connection in -> out, out's local side a local address of out's
 * family from g and a local port of this worker's slice (so answers to
 * it are steered here), chosen as IPv4 full NAT chooses (lb_lip_walk()).
 * NULL with *why when none is free, or the table is full.
 */
static struct conn *
lb6_fnat_conn_new(struct dp_ctx *dp, struct dp_worker *w,
		  const struct lb_laddr_snap *g, const struct conn6_key *in,
		  struct conn_loc in_loc, struct conn6_key *out, uint8_t state,
		  enum drop_reason *why)
{
	struct attempt6 a = { w, in, in_loc, out, state };

	return lb_lip_walk(dp, w, g, out->family, set6, attempt6, &a, why);
}

/* The connection in -> d: its server side (none for DR and TUNNEL), a
 * local address and port for full NAT and NAT64.  in_loc: in's place,
 * NULL when the caller has none.  NULL with *why. */
static struct conn *
lb6_conn_new(struct dp_ctx *dp, struct dp_worker *w,
	     const struct lb_svc_snap *svc, const struct lb_dest_snap *d,
	     const struct conn6_key *in, const struct conn_loc *in_loc,
	     uint8_t state, enum drop_reason *why)
{
	struct conn6_table *tb = lb6_tables[w->id];
	struct conn_loc loc = in_loc != NULL ? *in_loc : conn6_key_loc(tb, in);
	rte_be16_t dport = d->port ? d->port : in->dport;
	struct conn6_key out;

	*why = DROP_CONN_TABLE_FULL;
	if (d->fwd != LB_FWD_FNAT && d->fwd != LB_FWD_NAT)	/* DR, TUNNEL */
		return conn6_new_located(tb, in, loc, NULL, state, w->now_ms);
	if (d->addr.family == AF_INET) {	/* NAT64: an IPv4 LIP */
		conn6_key4(&out, d->addr.v4.s_addr, 0, dport, 0, in->proto);
		return lb6_fnat_conn_new(dp, w, svc->laddr, in, loc, &out,
					 state, why);
	}
	conn6_key6(&out, d->addr.v6.s6_addr, in->src, dport, in->sport,
		   in->proto);
	if (d->fwd == LB_FWD_NAT)
		return conn6_new_located(tb, in, loc, &out, state, w->now_ms);
	return lb6_fnat_conn_new(dp, w, svc->laddr, in, loc, &out, state,
				 why);
}

/* ---- persistence (ipvsadm -p, -M: a prefix length for IPv6) ----------- */

/* addr's first bits bits, the rest zero: a client's net */
static void
net6_mask(uint8_t net[16], const uint8_t addr[16], unsigned int bits)
{
	memcpy(net, addr, 16);
	for (unsigned int i = 0; i < 16; i++, bits = bits > 8 ? bits - 8 : 0)
		net[i] &= bits >= 8 ? 0xff : (uint8_t)(0xff00 >> bits);
}

/* The template key of in's client net: client/netmask_len:0 -> VIP:vport
 * (vport 0 for a port-0 service).  No connection has it: a client's
 * source port 0 never makes one (lb_input_local6()). */
static void
tmpl6_key(const struct lb_svc_snap *svc, const struct conn6_key *in,
	  struct conn6_key *k)
{
	uint8_t net[16];

	net6_mask(net, in->src, svc->netmask_len);
	conn6_key6(k, net, in->dst, 0, svc->vport, in->proto);
}

/* The template's dest while the service still has it with a weight. */
static const struct lb_dest_snap *
tmpl6_dest(struct conn *t, const struct lb_svc_snap *svc)
{
	for (uint32_t i = 0; i < svc->n_dests; i++)
		if (svc->dests[i].dest == conn_priv(t)->dest &&
		    svc->dests[i].weight > 0)
			return &svc->dests[i];
	return NULL;
}

/* A template k -> d living svc->persistent seconds after its last use,
 * and while connections it made are alive (held and counted as
 * lb_conn.c's); NULL when the table is full. */
static struct conn *
tmpl6_new(struct dp_worker *w, const struct conn6_key *k,
	  const struct lb_svc_snap *svc, const struct lb_dest_snap *d)
{
	struct conn *t = conn6_new_timed(lb6_tables[w->id], k,
					 svc->persistent * 1000u, w->now_ms);

	if (t == NULL)
		return NULL;	/* full: this connection goes unremembered */
	t->flags |= LB_CONN_F_TEMPLATE;
	t->fwd = d->fwd;
	t->svc_id = svc->id;
	*conn_priv(t) = (struct lb_conn_priv){ .dest = d->dest };
	lb_dest_hold(d->dest, w->id);
	__atomic_fetch_add(&d->dest->load.persistent, 1, __ATOMIC_RELAXED);
	return t;
}

struct conn *
lb6_tmpl_get(struct dp_worker *w, const struct lb_svc_snap *svc,
	     const struct conn6_key *in)
{
	struct conn6_key tk;
	struct conn *t;

	if (svc->persistent == 0)
		return NULL;
	tmpl6_key(svc, in, &tk);
	t = conn6_lookup(lb6_tables[w->id], &tk, NULL);
	return t != NULL && is_template(t) && t->svc_id == svc->id ? t : NULL;
}

struct conn *
lb6_tmpl_add(struct dp_worker *w, const struct lb_svc_snap *svc,
	     const struct conn6_key *in, const struct lb_dest_snap *d)
{
	struct conn6_key tk;

	tmpl6_key(svc, in, &tk);
	return tmpl6_new(w, &tk, svc, d);
}

void
lb6_tmpl_link(struct dp_worker *w, struct conn *c, struct conn *t)
{
	if (t == NULL || conn_priv(c)->tmpl != 0)
		return;
	conn_priv(c)->tmpl = conn_ref(conn6_life(lb6_tables[w->id]), t);
	conn_priv(t)->n_control++;
}

/* The dest of a new connection: its client net's template's, else the
 * scheduler's (and a new template when the service is persistent), in
 * *tmpl (NULL: none) for the connection to link to. */
static const struct lb_dest_snap *
lb6_pick(struct dp_worker *w, const struct lb_svc_snap *svc,
	 const struct conn6_key *in, struct conn **tmpl)
{
	struct inet_addr sa = { .family = AF_INET6 }, da = sa;
	const struct lb_dest_snap *d = NULL;
	struct conn6_key tk;
	struct conn *t = NULL;

	*tmpl = NULL;
	memcpy(sa.v6.s6_addr, in->src, 16);
	memcpy(da.v6.s6_addr, in->dst, 16);
	if (svc->persistent == 0)
		return lb_svc_pick(svc, w->id, &sa, in->sport, &da, w->now_ms);
	tmpl6_key(svc, in, &tk);
	t = conn6_lookup(lb6_tables[w->id], &tk, NULL);
	if (t != NULL && is_template(t)) {
		d = tmpl6_dest(t, svc);
		if (d != NULL) {
			conn_touch(t, w->now_ms);
			*tmpl = t;
			return d;
		}
		lb6_conn_drop(w, t);
	}
	d = lb_svc_pick(svc, w->id, &sa, in->sport, &da, w->now_ms);
	if (d != NULL)
		*tmpl = tmpl6_new(w, &tk, svc, d);
	return d;
}

/* What lb6_conn_bind() keeps: the change of the sum of the addresses
 * and ports from in to out (csum_change64()).  A NAT64 out key's IPv4
 * addresses are followed by zeros: the change of the pseudo header's
 * sum from IPv6 to IPv4 (its length and protocol words sum alike). */
static uint16_t
lb6_csum_delta(const struct conn6_key *in, const struct conn6_key *out)
{
	uint32_t iports, oports;

	RTE_BUILD_BUG_ON(offsetof(struct conn6_key, dst) !=
			 offsetof(struct conn6_key, src) + 16 ||
			 offsetof(struct conn6_key, dport) !=
			 offsetof(struct conn6_key, sport) + 2);
	memcpy(&iports, &in->sport, 4);
	memcpy(&oports, &out->sport, 4);
	/* src and dst: four 64-bit words */
	return csum_fold64(csum_change64(csum_diff32(iports, oports), in->src,
					 out->src, 4));
}

/* lb6_conn_bind(), inline in a new connection's path */
static __rte_always_inline void
lb6_bind(struct dp_worker *w, struct conn *c, const struct lb_svc_snap *svc,
	 const struct lb_dest_snap *d)
{
	const struct conn6_table *tb;
	const struct conn6_key *out;

	lb_conn_bind(w, c, svc, d, NULL);	/* its ref is to IPv4's table */
	if (d->fwd != LB_FWD_FNAT && d->fwd != LB_FWD_NAT)
		return;				/* no out key */
	tb = lb6_tables[w->id];
	out = conn6_key_of(tb, c, CONN_SIDE_OUT);
	conn_priv(c)->csum = (struct lb_csum_delta){
		.l4 = lb6_csum_delta(conn6_key_of(tb, c, CONN_SIDE_IN), out),
	};
}

void
lb6_conn_bind(struct dp_worker *w, struct conn *c,
	      const struct lb_svc_snap *svc, const struct lb_dest_snap *d)
{
	lb6_bind(w, c, svc, d);
}

static struct conn *
lb6_schedule(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	     const struct lb_svc_snap *svc, const struct conn6_key *in,
	     const struct conn_loc *in_loc, const struct l4_view *v)
{
	const struct lb_dest_snap *d;
	enum drop_reason why;
	struct conn *c, *tmpl;

	d = lb6_pick(w, svc, in, &tmpl);
	if (d == NULL) {
		dp_drop(w, m, DROP_NO_DEST);
		return NULL;
	}
	c = lb6_conn_new(dp, w, svc, d, in, in_loc,
			 v->udp ? UDP_ONEWAY : TCP_S_NONE, &why);
	if (c == NULL) {
		dp_drop(w, m, why);
		return NULL;
	}
	lb6_bind(w, c, svc, d);
	lb6_tmpl_link(w, c, tmpl);
	w->stats.conns_new++;
	d->dest->pcpu[w->id].st.conns++;	/* the service's too */
	return c;
}

/* A new connection only from a pure SYN or a datagram whose checksum
 * holds (a bad packet never makes one; later ones keep theirs). */
static bool
lb6_may_create(struct dp_worker *w, struct rte_mbuf *m,
	       struct rte_ipv6_hdr *ip, uint16_t l4_off,
	       const struct l4_view *v)
{
	if (!v->udp && !tcp_flags_new_conn(v->flags)) {
		dp_drop(w, m, DROP_NOT_SYN);
		return false;
	}
	if (!net6_l4_cksum_ok(m, ip, v->udp ? IPPROTO_UDP : IPPROTO_TCP,
			      l4_off)) {
		dp_drop(w, m, DROP_L4_BAD_CHECKSUM);
		return false;
	}
	return true;
}

/* ---- the packet path --------------------------------------------------- */

/* The worker that owns a client's side addr:port (its net and port 0
 * for a persistent service). */
unsigned int
lb6_client_owner(const struct dp_ctx *dp, const uint8_t addr[16],
		 rte_be16_t port)
{
	uint32_t w4[4];

	memcpy(w4, addr, 16);
	return steer_by_client(w4[0] ^ w4[1] ^ w4[2] ^ w4[3], port,
			       dp->n_workers);
}

/* Where a NAT connection to client addr:port may live, deduplicated, as
 * lb.c's reply_owners(): owners[0], then its net's owner for each prefix
 * of the persistent IPv6 services with NAT dests.  Returns how many. */
static unsigned int
reply6_owners(const struct dp_ctx *dp, const struct lb_snap *snap,
	      const uint8_t addr[16], rte_be16_t port, uint8_t *owners)
{
	unsigned int n = 1, i, bits, o;
	uint64_t lens;
	uint8_t net[16];

	owners[0] = (uint8_t)lb6_client_owner(dp, addr, port);
	for (i = 0; snap != NULL && i < RTE_DIM(snap->nat_persist_lens6); i++) {
		for (lens = snap->nat_persist_lens6[i];
		     lens != 0 && n < dp->n_workers; lens &= lens - 1) {
			bits = i * 64 + rte_bsf64(lens);
			net6_mask(net, addr, bits);
			o = lb6_client_owner(dp, net, 0);
			if (memchr(owners, (int)o, n) == NULL)
				owners[n++] = (uint8_t)o;
		}
	}
	return n;
}

bool
lb6_reply_start(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
		struct rte_mbuf *m, const struct lb_snap *snap,
		const uint8_t addr[16], rte_be16_t cport, struct lb6_hops *h)
{
	bool fresh = true;

	h->n = reply6_owners(dp, snap, addr, cport, h->owners);
	h->first = 0;
	h->hop = h->n > 1 ? lb_reply_hop(m, &fresh) : &h->first;
	if (fresh && h->owners[0] != w->id) {
		dp_steer(dp, w, h->owners[0], port, m);
		return true;
	}
	return false;
}

bool
lb6_reply_next(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
	       struct rte_mbuf *m, struct lb6_hops *h)
{
	if (*h->hop + 1u >= h->n || h->owners[*h->hop] != w->id)
		return false;
	++*h->hop;
	dp_steer(dp, w, h->owners[*h->hop], port, m);
	return true;
}

/*
 * The worker that owns a packet, as lb.c's lb_local_owner(): for a
 * service, by the client's address (folded to 32 bits) and port, or its
 * net alone when persistent, so its template and connections meet; for
 * a full-NAT answer to LIP6:lport, the owner of lport's slice.  false:
 * neither (the twin's).  One worker: lb6_owner(), inline.
 */
bool
lb6_owner_of_many(const struct dp_ctx *dp, const struct lb_svc_snap *svc,
		  const struct conn6_key *k, unsigned int *owner)
{
	struct conn6_key net;
	int lp;

	if (svc != NULL) {
		if (svc->persistent == 0) {
			*owner = lb6_client_owner(dp, k->src, k->sport);
			return true;
		}
		tmpl6_key(svc, k, &net);
		*owner = lb6_client_owner(dp, net.src, 0);
		return true;
	}
	lp = steer_lport_owner(rte_be_to_cpu_16(k->dport), dp->n_workers);
	if (lp < 0)
		return false;
	*owner = (unsigned int)lp;
	return true;
}

/*
 * NAT, FNAT over IPv6: the packet leaves with key k reversed (what the
 * other side sends to is what it receives from), out along its route;
 * the L4 checksum by l4_diff, c's summed change (lb6_csum_delta()) or
 * its opposite.  Both checksums of an IPv6 packet's path are there: UDP
 * without one was dropped (l4_parse6()).
 */
static __rte_always_inline void
lb6_rewrite_xmit(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
		 struct rte_ipv6_hdr *ip, struct l4_view *v,
		 const struct conn6_key *k, uint64_t l4_diff)
{
	const struct route6_slot *r = lb6_route(dp, w, m, ip, k->src, 0);
	uint16_t ck;

	if (r == NULL)
		return;
	RTE_BUILD_BUG_ON(offsetof(struct rte_ipv6_hdr, dst_addr) !=
			 offsetof(struct rte_ipv6_hdr, src_addr) + 16);
	memcpy(ip->src_addr, k->dst, 16);
	memcpy(ip->dst_addr, k->src, 16);
	*v->sport = k->dport;
	*v->dport = k->sport;
	ck = csum_apply(*v->cksum, l4_diff);
	*v->cksum = (v->udp && ck == 0) ? 0xffff : ck;
	ipv6_output(dp, w, m, r, k->src);
}

/* A client packet of c toward its dest. */
static __rte_always_inline void
lb6_in(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
       struct rte_ipv6_hdr *ip, uint8_t proto, uint16_t l4_off,
       uint32_t l4_len, struct l4_view *v, struct conn *c)
{
	struct conn6_table *tb = lb6_tables[w->id];
	const struct lb_dest *d = conn_priv(c)->dest;
	const struct conn6_key *out;

	lb6_count(w, c, true, XLAT_IPV6_HDR + rte_be_to_cpu_16(ip->payload_len));
	lb6_follow(w, c, v, c->fwd == CONN_FWD_DR || c->fwd == CONN_FWD_TUNNEL ?
		   CONN_DIR_INPUT_ONLY : CONN_DIR_INPUT);
	lb_sync_in(w, c);	/* a master reports it (HA sync) */
	if (unlikely(xlat6_hop_dec(ip) < 0)) {
		icmp6_error(dp, w, m, ip, ICMP6_TIME_EXCEEDED, 0, 0);
		dp_drop(w, m, DROP_IPV6_HOP_LIMIT);
		return;
	}
	switch (c->fwd) {
	case CONN_FWD_FNAT:
	case CONN_FWD_NAT:
		out = conn6_key_of(tb, c, CONN_SIDE_OUT);
		if (out->family == AF_INET) {
			lb6_nat64_in(dp, w, m, ip, proto, l4_off, l4_len, out,
				     conn_priv(c)->csum.l4);
			return;
		}
		lb6_rewrite_xmit(dp, w, m, ip, v, out,
				 conn_priv(c)->csum.l4);
		return;
	case CONN_FWD_DR: {
		const struct route6_slot *r = lb6_route(dp, w, m, ip,
			d->conf.addr.v6.s6_addr, 0);

		if (r != NULL)
			ipv6_output(dp, w, m, r, d->conf.addr.v6.s6_addr);
		return;
	}
	default:
		if (d->conf.addr.family == AF_INET)
			lb6_tunnel4(dp, w, m, ip, d->conf.addr.v4.s_addr);
		else
			lb6_tunnel6(dp, w, m, ip, d->conf.addr.v6.s6_addr);
		return;
	}
}

/* A server packet of c (NAT, FNAT over IPv6) back to the client. */
static __rte_always_inline void
lb6_out(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	struct rte_ipv6_hdr *ip, uint8_t proto, uint16_t l4_off,
	uint32_t l4_len, struct l4_view *v, struct conn *c)
{
	lb6_count(w, c, false, XLAT_IPV6_HDR + rte_be_to_cpu_16(ip->payload_len));
	lb6_follow(w, c, v, CONN_DIR_OUTPUT);
	if (unlikely(xlat6_hop_dec(ip) < 0)) {
		dp_drop(w, m, DROP_IPV6_HOP_LIMIT);
		return;
	}
	lb6_rewrite_xmit(dp, w, m, ip, v,
			 conn6_key_of(lb6_tables[w->id], c, CONN_SIDE_IN),
			 csum_delta_back(conn_priv(c)->csum.l4));
}

/* What both entry points do first: false with *first the verdict for
 * what no IPv6 service nor connection of this worker can own, and for
 * an ICMPv6 error about a connection (lb6_icmp6()); true for TCP and
 * UDP, which the caller takes on. */
static bool
lb6_is_tcp_udp(struct dp_ctx *dp, struct dp_worker *w,
	       const struct lb_snap *snap, uint16_t port, struct rte_mbuf *m,
	       struct rte_ipv6_hdr *ip, uint8_t proto, uint16_t l4_off,
	       bool transit, enum lb_verdict *first)
{
	struct conn6_table *tb = lb6_tables[w->id];

	*first = LB_PASS;
	if (tb == NULL ||
	    ((snap == NULL || snap->n_svcs6 == 0) && conn6_count(tb) == 0))
		return false;
	if (proto == IPPROTO_ICMPV6) {
		*first = lb6_icmp6(dp, w, port, m, ip, l4_off, transit);
		return false;
	}
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP;
}

/* A TCP or UDP packet to us (key, its view v, svc its service or NULL),
 * its connection looked up (c, reply) by its owner: what
 * lb_input_local6() does from there, and the burst path for the packets
 * it holds (loc: key's place, NULL from the full path). */
static __rte_always_inline enum lb_verdict
lb6_local_act(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	      struct rte_ipv6_hdr *ip, uint16_t l4_off, struct l4_view *v,
	      const struct lb_svc_snap *svc, const struct conn6_key *key,
	      const struct conn_loc *loc, struct conn *c, bool reply)
{
	uint32_t l4_len = XLAT_IPV6_HDR + rte_be_to_cpu_16(ip->payload_len) -
			  l4_off;

	if (c != NULL && reply) {
		lb6_out(dp, w, m, ip, key->proto, l4_off, l4_len, v, c);
		return LB_CONSUMED;
	}
	if (svc != NULL && !lb_svc_takes(svc, c, false, v))
		return LB_PASS;
	if (c != NULL && !v->udp && svc != NULL &&
	    tcp_syn_reschedules(c->state, v->flags)) {
		/* a new connection reuses the tuple (TIME_WAIT, CLOSE) */
		if (!lb6_may_create(w, m, ip, l4_off, v))
			return LB_CONSUMED;
		lb6_conn_drop(w, c);
		c = NULL;
	} else if (c == NULL) {
		if (svc == NULL)
			return LB_PASS;
		if (!lb6_may_create(w, m, ip, l4_off, v))
			return LB_CONSUMED;
	}
	if (c == NULL) {
		c = lb6_schedule(dp, w, m, svc, key, loc, v);
		if (c == NULL)
			return LB_CONSUMED;
	}
	lb6_in(dp, w, m, ip, key->proto, l4_off, l4_len, v, c);
	return LB_CONSUMED;
}

enum lb_verdict
lb_input_local6(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
		struct rte_mbuf *m, struct rte_ipv6_hdr *ip, uint8_t proto,
		uint16_t l4_off)
{
	const struct lb_snap *snap = lb_snap_get(dp->lb);
	struct conn6_table *tb = lb6_tables[w->id];
	uint32_t l4_len = XLAT_IPV6_HDR + rte_be_to_cpu_16(ip->payload_len) -
			  l4_off;
	uint8_t *l4 = (uint8_t *)ip + l4_off;
	const struct lb_svc_snap *svc;
	enum drop_reason why;
	struct conn6_key key;
	enum lb_verdict first;
	struct l4_view v;
	unsigned int owner;
	struct conn *c;
	bool reply;

	if (!lb6_is_tcp_udp(dp, w, snap, port, m, ip, proto, l4_off, false,
			    &first))
		return first;
	/* source port 0: no sender uses it, and it is a template's key
	 * (tmpl6_key()) */
	if (!l4_parse6(proto, l4, l4_len, &v, &why)) {
		dp_drop(w, m, why);
		return LB_CONSUMED;
	}
	if (unlikely(*v.sport == 0)) {
		dp_drop(w, m, DROP_L4_BAD_HEADER);
		return LB_CONSUMED;
	}
	conn6_key6(&key, ip->src_addr, ip->dst_addr, *v.sport, *v.dport, proto);
	svc = lb_svc_lookup6(snap, proto, ip->dst_addr, *v.dport);
	if (!lb6_owner(dp, svc, &key, &owner))
		return LB_PASS;
	if (owner != w->id) {
		dp_steer(dp, w, owner, port, m);
		return LB_CONSUMED;
	}
	c = conn6_lookup(tb, &key, &reply);
	return lb6_local_act(dp, w, m, ip, l4_off, &v, svc, &key, NULL, c,
			     reply);
}

/* ---- the burst path (lb_priv.h) ---------------------------------------- */

/* The service of a held packet to ip's destination, port dport: packets
 * in a row to the same VIP:port (a client burst) look it up once, as
 * IPv4's do (lb.c's svc_memo). */
static __rte_always_inline const struct lb_svc_snap *
svc6_memo_lookup(struct lb_burst *b, const struct lb_snap *snap,
		 const struct rte_ipv6_hdr *ip, rte_be16_t dport)
{
	uint32_t pp = (uint32_t)dport << 8 | ip->proto;
	uint64_t vip[2];

	if (lb_snap_port_free6(snap, dport))
		return NULL;	/* a full-NAT reply, usually */
	memcpy(vip, ip->dst_addr, sizeof(vip));
	if (pp != b->svc6_pp || vip[0] != b->svc6_vip[0] ||
	    vip[1] != b->svc6_vip[1]) {
		b->svc6_pp = pp;
		b->svc6_vip[0] = vip[0];
		b->svc6_vip[1] = vip[1];
		b->svc6 = lb_svc_lookup6(snap, ip->proto, ip->dst_addr, dport);
	}
	return b->svc6;
}

/* lb6_burst_hold() of packet i. */
static __rte_always_inline void
hold6(struct dp_ctx *dp, struct dp_worker *w, const struct lb_snap *snap,
      struct conn6_table *tb, struct lb_burst *b, unsigned int i)
{
	unsigned int j = b->n_held6, owner;
	struct lb_held *h = &b->held6[j];
	struct conn6_key *key = &b->keys6[j];
	struct rte_ipv6_hdr *ip;
	enum drop_reason why;

	ip = net_ipv6_usual_local(dp, w, b->port, b->pkts[i]);
	/* what the full path drops (a bad L4 header, source port 0) or
	 * passes on goes there */
	if (ip == NULL ||
	    !l4_parse6(ip->proto, (uint8_t *)(ip + 1),
		       rte_be_to_cpu_16(ip->payload_len), &h->v, &why) ||
	    unlikely(*h->v.sport == 0))
		return;
	conn6_key6(key, ip->src_addr, ip->dst_addr, *h->v.sport, *h->v.dport,
		   ip->proto);
	h->svc = svc6_memo_lookup(b, snap, ip, *h->v.dport);
	if (!lb6_owner(dp, h->svc, key, &owner))
		return;
	if (owner != w->id) {
		b->kind[i] = BURST_STEER;
		b->arg[i] = (uint8_t)owner;
		return;
	}
	h->ip6 = ip;
	b->kind[i] = BURST_LOCAL6;
	b->arg[i] = (uint8_t)j;
	b->locs6[j] = conn6_key_locate(tb, key);
	b->n_held6++;
}

void
lb6_burst_hold(struct dp_ctx *dp, struct dp_worker *w,
	       const struct lb_snap *snap, struct lb_burst *b, uint64_t others)
{
	struct conn6_table *tb = lb6_tables[w->id];

	if (tb == NULL)
		return;
	for (; others != 0; others &= others - 1)
		hold6(dp, w, snap, tb, b, (unsigned int)__builtin_ctzll(others));
}

void
lb6_burst_hold4(struct dp_worker *w, struct lb_burst *b)
{
	struct conn6_table *tb = lb6_tables[w->id];
	unsigned int i, j, k;

	if (tb == NULL || conn6_count(tb) == 0)
		return;
	memset(b->alt6, LB_NO_ALT6, b->n_held);
	for (i = 0; i < b->n; i++) {
		const struct conn_key4 *key;

		if (b->kind[i] != BURST_LOCAL)
			continue;
		j = b->arg[i];
		if (b->conns[j] != NULL || b->held[j].svc != NULL)
			continue;
		key = &b->keys[j];
		k = b->n_held6 + b->n_alt6++;
		b->alt6[j] = (uint8_t)k;
		conn6_key4(&b->keys6[k], key->src_addr, key->dst_addr,
			   key->src_port, key->dst_port, key->proto);
		b->locs6[k] = conn6_key_locate(tb, &b->keys6[k]);
	}
}

enum lb_verdict
lb6_burst_reply4(struct dp_ctx *dp, struct dp_worker *w, struct lb_burst *b,
		 unsigned int i)
{
	struct conn6_table *tb = lb6_tables[w->id];
	unsigned int j = b->arg[i], k = b->alt6[j];
	struct lb_held *h = &b->held[j];
	struct conn *c = b->conns6[k];
	bool reply = b->reply6[k];

	if (unlikely(conn6_answer_stale(tb, &b->locs6[k], c)))
		c = conn6_lookup(tb, &b->keys6[k], &reply);
	return lb6_reply4_conn(dp, w, b->pkts[i], h->ip, &h->v, &b->keys[j],
			       c, reply);
}

void
lb6_burst_lookup(struct dp_worker *w, struct lb_burst *b)
{
	struct conn6_table *tb = lb6_tables[w->id];

	conn6_lookup_bulk_located(tb, b->keys6, b->locs6,
				  b->n_held6 + b->n_alt6, b->conns6,
				  b->reply6);
	/* an earlier packet of the burst may add or remove a connection */
	conn6_watch(tb);
}

enum lb_verdict
lb6_burst_release(struct dp_ctx *dp, struct dp_worker *w, struct lb_burst *b,
		  unsigned int i)
{
	struct conn6_table *tb = lb6_tables[w->id];
	unsigned int j = b->arg[i];
	struct lb_held *h = &b->held6[j];
	const struct conn6_key *key = &b->keys6[j];
	struct conn *c = b->conns6[j];
	bool reply = b->reply6[j];

	if (unlikely(conn6_answer_stale(tb, &b->locs6[j], c)))
		c = conn6_lookup(tb, key, &reply);
	return lb6_local_act(dp, w, b->pkts[i], h->ip6, sizeof(*h->ip6),
			     &h->v, h->svc, key, &b->locs6[j], c, reply);
}

enum lb_verdict
lb_input_transit6(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
		  struct rte_mbuf *m, struct rte_ipv6_hdr *ip, uint8_t proto,
		  uint16_t l4_off)
{
	const struct lb_snap *snap = lb_snap_get(dp->lb);
	struct conn6_table *tb = lb6_tables[w->id];
	uint32_t l4_len = XLAT_IPV6_HDR + rte_be_to_cpu_16(ip->payload_len) -
			  l4_off;
	enum drop_reason why;
	struct conn6_key key;
	enum lb_verdict first;
	struct lb6_hops hops;
	struct l4_view v;
	struct conn *c;
	bool reply;

	if (!lb6_is_tcp_udp(dp, w, snap, port, m, ip, proto, l4_off, true,
			    &first))
		return first;
	/* not a connection's if unreadable: the router's to judge */
	if (!l4_parse6(proto, (uint8_t *)ip + l4_off, l4_len, &v, &why))
		return LB_PASS;
	/* a NAT answer: server -> client, owned by the client's side, or
	 * by its net's for a persistent service: the candidates in turn
	 * (lb_reply_front()) */
	if (lb6_reply_start(dp, w, port, m, snap, ip->dst_addr, *v.dport,
			    &hops))
		return LB_CONSUMED;
	conn6_key6(&key, ip->src_addr, ip->dst_addr, *v.sport, *v.dport, proto);
	c = conn6_lookup(tb, &key, &reply);
	if (c == NULL && lb6_reply_next(dp, w, port, m, &hops))
		return LB_CONSUMED;
	if (c == NULL || !reply)
		return LB_PASS;
	lb6_out(dp, w, m, ip, proto, l4_off, l4_len, &v, c);
	return LB_CONSUMED;
}
