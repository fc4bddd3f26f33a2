/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * trace: the packet tracer's sessions and the workers' half (trace.h).
 * The records' JSON is trace_json.c's.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "core/tx.h"
#include "conn/conn.h"
#include "lb/lb.h"
#include "lb/lb_svc.h"
#include "net/net.h"
#include "trace_priv.h"

struct trace_slot trace_slots[DP_MAX_WORKERS];

/* The session armed, main lcore only (the slots are the workers' view). */
static struct trace_session *armed;

/* ---- the workers' half ---------------------------------------------- */

/* The IPv4 5-tuple of a frame, as far as it has one.  0: not IPv4. */
static int
frame_key(const struct rte_mbuf *m, struct conn_key4 *k, bool *has_ports)
{
	const struct rte_ether_hdr *eth;
	const struct rte_ipv4_hdr *ip;
	const uint8_t *l4;
	unsigned int ihl;

	*has_ports = false;
	if (rte_pktmbuf_data_len(m) < sizeof(*eth) + sizeof(*ip))
		return 0;
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4))
		return 0;
	ip = (const struct rte_ipv4_hdr *)(eth + 1);
	ihl = (ip->version_ihl & 0xf) * 4u;
	memset(k, 0, sizeof(*k));
	k->src_addr = ip->src_addr;
	k->dst_addr = ip->dst_addr;
	k->proto = ip->next_proto_id;
	if (k->proto != IPPROTO_TCP && k->proto != IPPROTO_UDP)
		return 1;
	/* A later fragment carries no ports. */
	if (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK) ||
	    ihl < sizeof(*ip) ||
	    rte_pktmbuf_data_len(m) < sizeof(*eth) + ihl + 4)
		return 1;
	l4 = (const uint8_t *)ip + ihl;
	memcpy(&k->src_port, l4, 2);
	memcpy(&k->dst_port, l4 + 2, 2);
	*has_ports = true;
	return 1;
}

bool
trace_wants(const struct trace_session *s)
{
	return __atomic_load_n(&s->taken, __ATOMIC_RELAXED) < s->count;
}

bool
trace_match(const struct trace_session *s, uint16_t port,
	    const struct rte_mbuf *m)
{
	const struct trace_filter *f = &s->f;
	struct conn_key4 k;
	bool ports;

	if (!trace_wants(s))
		return false;
	if ((f->have & TRACE_F_PORT) && port != f->port)
		return false;
	if (!(f->have & (TRACE_F_ADDR | TRACE_F_L4PORT | TRACE_F_PROTO)))
		return true;
	if (frame_key(m, &k, &ports) == 0)
		return false;
	if ((f->have & TRACE_F_PROTO) && k.proto != f->proto)
		return false;
	if ((f->have & TRACE_F_ADDR) && k.src_addr != f->addr &&
	    k.dst_addr != f->addr)
		return false;
	if ((f->have & TRACE_F_L4PORT) &&
	    (!ports || (k.src_port != f->l4port && k.dst_port != f->l4port)))
		return false;
	return true;
}

static void
frame_copy(struct trace_frame *fr, uint16_t port_id, const struct rte_mbuf *m)
{
	const void *p;

	fr->port_id = port_id;
	fr->len = (uint16_t)RTE_MIN(rte_pktmbuf_pkt_len(m), (uint32_t)UINT16_MAX);
	fr->caplen = (uint16_t)RTE_MIN((uint32_t)fr->len, (uint32_t)TRACE_SNAP);
	/* A segmented frame is copied by the read itself. */
	p = rte_pktmbuf_read(m, 0, fr->caplen, fr->data);
	if (p == NULL)
		fr->caplen = 0;
	else if (p != fr->data)
		rte_memcpy(fr->data, p, fr->caplen);
}

struct trace_pkt *
trace_begin(struct dp_ctx *dp, struct dp_worker *w, struct trace_session *s,
	    uint16_t port, struct rte_mbuf *m, bool steered)
{
	struct trace_ring *r = s->rings[w->id];
	struct trace_rec *t;
	uint32_t head = r->head, n;

	if (!trace_match(s, port, m))
		return NULL;
	if (head - __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE) >= TRACE_RING) {
		__atomic_store_n(&r->lost, r->lost + 1, __ATOMIC_RELAXED);
		return NULL;
	}
	n = __atomic_fetch_add(&s->taken, 1, __ATOMIC_RELAXED);
	if (n >= s->count)
		return NULL;
	t = &r->recs[head & (TRACE_RING - 1)];
	memset(t, 0, offsetof(struct trace_rec, in));
	t->ring = r;
	t->seq = n;
	t->tsc = rte_rdtsc();
	t->worker = (uint16_t)w->id;
	t->port = port;
	t->steered = steered;
	t->drop = -1;
	t->has_key = frame_key(m, &t->key, &t->has_ports) != 0;
	frame_copy(&t->in, dp->ports[port].port_id, m);
	/* Empty tx buffers: whatever is in them afterwards is this
	 * packet's doing. */
	dp_tx_flush_all(dp, w);
	r->before = w->stats;
	return (struct trace_pkt *)t;
}

void
trace_net(struct trace_pkt *t, int verdict)
{
	((struct trace_rec *)t)->net = (uint8_t)(verdict + 1);
}

void
trace_lb(struct trace_pkt *t, int verdict)
{
	((struct trace_rec *)t)->lb = (uint8_t)(verdict + 1);
}

/* What the counters say happened to the packet. */
static void
rec_counters(struct trace_rec *t, const struct lcore_stats *b,
	     const struct lcore_stats *a)
{
	unsigned int i;

	for (i = 0; i < DROP_MAX; i++)
		if (a->drops[i] != b->drops[i]) {
			t->drop = (int16_t)i;
			break;
		}
#define MOVED(f) (a->f != b->f)
	t->ends = (MOVED(to_twin) ? TRACE_END_TWIN : 0) |
		  (MOVED(steered_out) ? TRACE_END_STEER : 0) |
		  (MOVED(slow_path) ? TRACE_END_SLOW : 0) |
		  (MOVED(forwarded) ? TRACE_END_FORWARD : 0) |
		  (MOVED(arp_replies) || MOVED(icmp_echo_replies) ?
			   TRACE_END_ANSWER : 0) |
		  (MOVED(icmp_related) ? TRACE_END_ICMP_RELATED : 0);
	t->conn_created = MOVED(conns_new);
#undef MOVED
}

/* The frames the packet left in the tx buffers (flushed before it). */
static void
rec_outputs(struct dp_ctx *dp, struct dp_worker *w, struct trace_rec *t)
{
	unsigned int i, k, j;

	for (i = 0; i < dp->n_ports; i++) {
		const uint16_t ids[2] = { dp->ports[i].port_id,
					  dp->ports[i].twin_id };

		for (k = 0; k < 2; k++) {
			const struct dp_txbuf *b;

			if (ids[k] == DP_NO_PORT)
				continue;
			b = &w->txb[ids[k]];
			for (j = 0; j < b->n && t->n_out < TRACE_MAX_OUT; j++) {
				t->out_twin[t->n_out] = k == 1;
				t->out_port[t->n_out] = (uint16_t)i;
				frame_copy(&t->out[t->n_out++], ids[k],
					   b->pkts[j]);
			}
		}
	}
}

/* The connection the packet's tuple finds now, and its service. */
static void
rec_conn(struct dp_ctx *dp, struct dp_worker *w, struct trace_rec *t)
{
	const struct lb_svc_snap *svc;
	const struct lb_snap *snap;
	struct conn *c = NULL;
	bool reply = false;
	rte_be32_t vip = t->key.dst_addr;
	rte_be16_t vport = t->key.dst_port;

	if (t->has_ports && w->conns != NULL)
		c = conn_lookup4(w->conns, &t->key, &reply);
	if (c != NULL) {
		const struct lb_dest *d = conn_priv(c)->dest;

		t->conn = t->conn_created && !reply ? TRACE_CONN_CREATED :
						      TRACE_CONN_FOUND;
		t->conn_reply = reply;
		t->c_state = c->state;
		t->c_fwd = c->fwd;
		t->c_tuple[0] = c->tuple[CONN_SIDE_IN];
		if (!(c->flags & CONN_F_NO_OUT))
			t->c_tuple[1] = c->tuple[CONN_SIDE_OUT];
		if (d != NULL) {
			t->has_dest = true;
			t->d_addr = d->conf.addr.v4.s_addr;
			t->d_port = d->conf.port;
		}
		vip = c->tuple[CONN_SIDE_IN].dst_addr;
		vport = c->tuple[CONN_SIDE_IN].dst_port;
	}
	if (!t->has_key || dp->lb == NULL)
		return;
	snap = lb_snap_get(dp->lb);
	svc = lb_svc_lookup(snap, t->key.proto, vip, vport);
	if (svc != NULL) {
		t->has_svc = true;
		t->s_vip = svc->vip.v4.s_addr;
		t->s_vport = svc->vport;
		t->s_proto = svc->proto;
		t->s_retired = (svc->flags & LB_SVC_F_RETIRED) != 0;
	}
}

void
trace_end(struct dp_ctx *dp, struct dp_worker *w, struct trace_pkt *tp)
{
	struct trace_rec *t = (struct trace_rec *)tp;
	struct trace_ring *r = t->ring;	/* the slot may be cleared by now */

	rec_counters(t, &r->before, &w->stats);
	rec_outputs(dp, w, t);
	if (t->net == NET_LOCAL + 1 || t->net == NET_TRANSIT + 1)
		rec_conn(dp, w, t);
	__atomic_store_n(&r->head, r->head + 1, __ATOMIC_RELEASE);
}

/* ---- the main lcore -------------------------------------------------- */

static void
session_free(struct trace_session *s, unsigned int n_workers)
{
	unsigned int i;

	for (i = 0; i < n_workers; i++)
		rte_free(s->rings[i]);
	rte_free(s);
}

int
trace_start(struct dp_ctx *dp, const struct trace_filter *f, uint32_t count)
{
	struct trace_session *s;
	struct timespec ts;
	unsigned int i;

	if (armed != NULL)
		return -EBUSY;
	s = rte_zmalloc("trace", sizeof(*s), RTE_CACHE_LINE_SIZE);
	if (s == NULL)
		return -ENOMEM;
	for (i = 0; i < dp->n_workers; i++) {
		s->rings[i] = rte_zmalloc("trace_ring", sizeof(*s->rings[i]),
					  RTE_CACHE_LINE_SIZE);
		if (s->rings[i] == NULL) {
			session_free(s, dp->n_workers);
			return -ENOMEM;
		}
	}
	s->f = *f;
	s->count = count;
	clock_gettime(CLOCK_REALTIME, &ts);
	s->tsc0 = rte_rdtsc();
	s->real0_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	s->hz = rte_get_tsc_hz();
	armed = s;
	for (i = 0; i < dp->n_workers; i++)
		__atomic_store_n(&trace_slots[i].s, s, __ATOMIC_RELEASE);
	return 0;
}

bool
trace_active(void)
{
	return armed != NULL;
}

struct trace_session *
trace_session(void)
{
	return armed;
}

int
trace_stop(struct dp_ctx *dp)
{
	unsigned int i;

	if (armed == NULL)
		return -ENOENT;
	for (i = 0; i < dp->n_workers; i++)
		__atomic_store_n(&trace_slots[i].s, NULL, __ATOMIC_RELEASE);
	/* Every worker passes a quiescent point between bursts: after
	 * that, none holds the session. */
	rte_rcu_qsbr_synchronize(dp->qsv, RTE_QSBR_THRID_INVALID);
	session_free(armed, dp->n_workers);
	armed = NULL;
	return 0;
}
