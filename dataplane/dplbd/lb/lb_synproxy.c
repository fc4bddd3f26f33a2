/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lb_synproxy: the SYN proxy of a service (LB_SVC_F_SYN_PROXY).
 *
 * A client's SYN to the service is answered here with a SYN-ACK whose
 * sequence number is a SYN cookie (tcp/syncookie.h): nothing is kept.
 * Only an ACK that returns a valid cookie makes a connection: the dest
 * is scheduled then, and dplbd opens the connection to it with a SYN
 * carrying the client's ISN and the options the cookie kept (MSS,
 * window scale, SACK, timestamps), as the client sent it.  Until the
 * server's SYN-ACK the client's data is held (TCPX_HOLD segments; its
 * window was two segments wide); the SYN-ACK gives the offsets the
 * connection lives with (lb_tcpx.c translates every segment): the
 * server's ISN against the cookie, its TSval against the cookie (dplbd's
 * TSval), its window scale against the one dplbd offered.  dplbd ends
 * the server's handshake with the client's ACK (or its held data) and
 * drops the SYN-ACK.
 *
 * ACKs with a bad cookie, floods of them included, are dropped as
 * syn_cookie_bad; no state is made for them.
 */
#include <string.h>

#include <rte_ether.h>

#include "core/tx.h"
#include "lb/lb.h"
#include "lb/lb_svc.h"
#include "net/net.h"
#include "tcp/proxy_hdr.h"
#include "tcp/syncookie.h"
#include "tcp/tcp_edit.h"
#include "lb_priv.h"

#define SP_HOLD_SEGS 2		/* the SYN-ACK's window, in segments */
#define LB_RATE_SLOTS 4096	/* source networks tracked per worker */

static struct syncookie_key sp_key;
static unsigned int sp_mss, sp_wscale;

/* A source network's token bucket (conn_rate): milli-connections. */
struct rate_slot {
	rte_be32_t net;
	uint32_t tag;		/* the service's id + 1; 0 = free */
	uint32_t tokens;
	uint32_t last_ms;
};

struct sp_worker {
	struct syncookie_secrets secrets;
	struct rate_slot rate[LB_RATE_SLOTS];
} __rte_cache_aligned;

static struct sp_worker sp_workers[LB_MAX_WORKERS];

void
lb_synproxy_init(struct dp_ctx *dp)
{
	const struct dplb_config *cfg = dp->cfg;

	syncookie_key_init(&sp_key, cfg->synproxy_seed,
			   cfg->synproxy_period * 1000u);
	sp_mss = cfg->synproxy_mss;
	sp_wscale = cfg->synproxy_wscale;
	memset(sp_workers, 0, sizeof(sp_workers));
}

static void
sp_tuple(const struct conn_key4 *k, struct syncookie_tuple *t)
{
	*t = (struct syncookie_tuple){ k->src_addr, k->dst_addr, k->src_port,
				       k->dst_port };
}

/* What dplbd adds to each client segment of svc: room the MSS keeps. */
static unsigned int
sp_room(uint32_t flags)
{
	return ((flags & LB_SVC_F_PP_V1) ? PP_V1_MAX : 0) +
	       ((flags & LB_SVC_F_PP_V2) ? PP_V2_V4_LEN : 0) +
	       ((flags & LB_SVC_F_TOA) ? TCPOLEN_TOA : 0);
}

/* Make m (the client's SYN) the frame of segment s with options o. */
static void
sp_reply(struct rte_mbuf *m, struct rte_ipv4_hdr *ip, const struct tcp_seg *s,
	 const struct tcp_syn_opts *o)
{
	uint8_t opt[40];
	unsigned int olen = o != NULL ? tcp_syn_opts_write(opt, o) : 0;
	size_t l2 = (size_t)((char *)ip - rte_pktmbuf_mtod(m, char *));
	unsigned int len = tcp_seg_write(ip, s, opt, olen);

	m->data_len = (uint16_t)(l2 + len);
	m->pkt_len = m->data_len;
}

/* The client's SYN: answer with a cookie. */
static void
sp_syn(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
       struct rte_ipv4_hdr *ip, const struct l4_view *v,
       const struct lb_svc_snap *svc, const struct conn_key4 *key)
{
	const struct rte_tcp_hdr *t = tcp_of(v);
	struct syncookie_opts co;
	struct syncookie_tuple tu;
	struct tcp_syn_opts so;
	struct tcp_opts o;
	uint32_t isn = rte_be_to_cpu_32(t->sent_seq), cookie;
	uint16_t mss;

	if (m->nb_segs != 1 || rte_pktmbuf_tailroom(m) < 64) {
		dp_drop(w, m, DROP_NO_MBUF);
		return;
	}
	tcp_opts_parse(t, &o);
	co = (struct syncookie_opts){
		.mss = o.mss_off ? o.mss : 536,
		.wscale = o.has_wscale ? RTE_MIN(o.wscale, 14) :
					 SYNCOOKIE_WS_NONE,
		.sack_ok = o.sack_ok,
		.ts = o.has_ts,
	};
	sp_tuple(key, &tu);
	cookie = syncookie_make(&sp_key, &sp_workers[w->id].secrets,
				w->now_ms, &tu, isn, &co);
	mss = (uint16_t)(sp_mss - sp_room(svc->flags));
	so = (struct tcp_syn_opts){
		.mss = mss,
		.wscale = o.has_wscale ? (int8_t)sp_wscale : -1,
		.sack_ok = o.sack_ok,
		.ts = o.has_ts,
		.tsval = cookie,	/* any value: dplbd sends no other */
		.tsecr = o.tsval,
	};
	sp_reply(m, ip, &(struct tcp_seg){
			.saddr = key->dst_addr, .daddr = key->src_addr,
			.sport = key->dst_port, .dport = key->src_port,
			.seq = cookie, .ack = isn + 1,
			.flags = RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG,
			.win = (uint16_t)(SP_HOLD_SEGS * mss),
		 }, &so);
	w->stats.syn_cookies++;
	ipv4_send(dp, w, m, key->src_addr);
}

/* A view of the segment at ip (written by dplbd: valid). */
static void
sp_view(struct rte_ipv4_hdr *ip, struct l4_view *v)
{
	l4_view_own(ip, sizeof(*ip), v);
}

/* A segment of c in the client's terms, made in m, through the
 * connection's path toward the server. */
static void
sp_send_in(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	   struct conn *c, const struct tcp_seg *s,
	   const struct tcp_syn_opts *o, const uint8_t *opt, unsigned int olen)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	uint8_t buf[40];
	struct l4_view v;
	unsigned int len;

	if (o != NULL) {
		olen = tcp_syn_opts_write(buf, o);
		opt = buf;
	}
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	len = tcp_seg_write(ip, s, opt, olen);
	m->data_len = (uint16_t)(sizeof(*eth) + len);
	m->pkt_len = m->data_len;
	sp_view(ip, &v);
	lb_follow_state(w, c, &v, CONN_DIR_INPUT);
	lb_xmit_in_ext(dp, w, m, ip, &v, c);
}

/* The editing state of a connection the client's ACK (cookie valid)
 * makes. */
static struct lb_tcpx *
sp_state(struct dp_worker *w, struct conn *c, const struct lb_svc_snap *svc,
	 uint32_t isn, uint32_t cookie, const struct syncookie_opts *co,
	 const struct tcp_opts *ao, uint16_t win)
{
	struct lb_tcpx *x;
	struct l4_view sv = { .flags = RTE_TCP_SYN_FLAG };
	struct rte_tcp_hdr syn = { .sent_seq = rte_cpu_to_be_32(isn) };

	sv.sport = &syn.src_port;
	sv.dport = &syn.dst_port;
	lb_tcpx_start(w, c, svc, &sv);
	x = tcpx_of(w, c);
	x->flags |= TCPX_SYNPROXY | TCPX_SP_WAIT | (co->ts ? TCPX_TS : 0) |
		    (co->wscale != SYNCOOKIE_WS_NONE ? TCPX_CWS : 0);
	x->cookie = cookie;
	x->c_tsval = ao->tsval;
	x->c_win = win;
	return x;
}

/* The client's ACK: a valid cookie makes the connection. */
static void
sp_ack(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
       struct rte_ipv4_hdr *ip, const struct l4_view *v,
       const struct lb_svc_snap *svc, const struct conn_key4 *key)
{
	const struct rte_tcp_hdr *t = tcp_of(v);
	uint32_t isn = rte_be_to_cpu_32(t->sent_seq) - 1;
	uint32_t cookie = rte_be_to_cpu_32(t->recv_ack) - 1;
	struct syncookie_opts co;
	struct syncookie_tuple tu;
	struct tcp_opts ao;
	struct rte_mbuf *syn;
	struct lb_tcpx *x;
	struct conn *c;
	uint32_t win;

	sp_tuple(key, &tu);
	if (!syncookie_check(&sp_key, &sp_workers[w->id].secrets, w->now_ms,
			     &tu, isn, cookie, &co)) {
		dp_drop(w, m, DROP_SYN_COOKIE_BAD);
		return;
	}
	syn = rte_pktmbuf_alloc(dp->pool);
	if (syn == NULL) {
		dp_drop(w, m, DROP_NO_MBUF);
		return;
	}
	c = lb_schedule(dp, w, m, key, NULL, svc, TCP_S_NONE);
	if (c == NULL) {
		rte_pktmbuf_free(syn);
		return;
	}
	if (c->fwd != LB_FWD_FNAT) {
		/* replies would bypass the translation */
		lb_conn_drop(w, c);
		rte_pktmbuf_free(syn);
		dp_drop(w, m, DROP_NO_DEST);
		return;
	}
	tcp_opts_parse(t, &ao);
	win = (uint32_t)rte_be_to_cpu_16(t->rx_win)
	      << (co.wscale == SYNCOOKIE_WS_NONE ? 0 : co.wscale);
	x = sp_state(w, c, svc, isn, cookie, &co, &ao, rte_be_to_cpu_16(t->rx_win));
	w->stats.syn_proxied++;
	/* the client's ACK itself: held if it carries data, else done */
	lb_synproxy_hold(w, m, ip, x);
	sp_send_in(dp, w, syn, c, &(struct tcp_seg){
			.saddr = key->src_addr, .daddr = key->dst_addr,
			.sport = key->src_port, .dport = key->dst_port,
			.seq = isn, .flags = RTE_TCP_SYN_FLAG,
			.win = (uint16_t)RTE_MIN(win, 0xffffu),
			.ip_id = ip->packet_id,
		   }, &(struct tcp_syn_opts){
			.mss = co.mss,
			.wscale = co.wscale == SYNCOOKIE_WS_NONE ?
				  -1 : (int8_t)co.wscale,
			.sack_ok = co.sack_ok,
			.ts = co.ts,
			.tsval = ao.tsval,
		   }, NULL, 0);
}

void
lb_synproxy_in(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	       struct rte_ipv4_hdr *ip, struct l4_view *v,
	       const struct lb_svc_snap *svc, const struct conn_key4 *key)
{
	uint8_t f = v->flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG |
				RTE_TCP_RST_FLAG | RTE_TCP_FIN_FLAG);

	if (v->udp) {
		dp_drop(w, m, DROP_NOT_SYN);
		return;
	}
	if (f == RTE_TCP_SYN_FLAG)
		sp_syn(dp, w, m, ip, v, svc, key);
	else if ((f & ~RTE_TCP_FIN_FLAG) == RTE_TCP_ACK_FLAG)
		sp_ack(dp, w, m, ip, v, svc, key);
	else
		dp_drop(w, m, DROP_NOT_SYN);
}

void
lb_synproxy_hold(struct dp_worker *w, struct rte_mbuf *m,
		 struct rte_ipv4_hdr *ip, struct lb_tcpx *x)
{
	const struct rte_tcp_hdr *t = (const struct rte_tcp_hdr *)
		((char *)ip + rte_ipv4_hdr_len(ip));
	unsigned int hl = rte_ipv4_hdr_len(ip) + tcp_hdr_len(t);
	bool data = rte_be_to_cpu_16(ip->total_length) > hl ||
		    (t->tcp_flags & RTE_TCP_FIN_FLAG);

	if (!data) {
		/* the ACK alone: dplbd completes the handshake itself */
		x->c_win = rte_be_to_cpu_16(t->rx_win);
		rte_pktmbuf_free(m);
		return;
	}
	if (x->n_held == TCPX_HOLD) {
		dp_drop(w, m, DROP_SYN_PROXY_HOLD_FULL);
		return;
	}
	x->held[x->n_held++] = m;
}

/* Learn the server's terms from its SYN-ACK (o: its options). */
static void
sp_learn(struct lb_tcpx *x, const struct rte_tcp_hdr *t,
	 const struct tcp_opts *o)
{
	bool scaled = x->flags & TCPX_CWS;

	x->s_delta = rte_be_to_cpu_32(t->sent_seq) - x->cookie;
	if ((x->flags & TCPX_TS) && o->has_ts)
		x->ts_delta = o->tsval - x->cookie;
	else
		x->flags &= (uint8_t)~TCPX_TS;
	/* dplbd offered sp_wscale when the client offered one; the
	 * server's counts only if it answered with one too (RFC 7323:
	 * both or neither).  A server without one reads the client's
	 * windows unscaled: smaller than meant, safe. */
	x->ws_shift = (int8_t)((scaled && o->has_wscale ?
				RTE_MIN(o->wscale, 14) : 0) -
			       (scaled ? (int)sp_wscale : 0));
	x->flags &= (uint8_t)~TCPX_SP_WAIT;
	if (x->ws_shift == 0 && x->in_len == 0 &&
	    !(x->flags & (TCPX_TS | TCPX_TOA)))
		x->flags |= TCPX_PLAIN;
}

void
lb_synproxy_synack(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
		   struct rte_ipv4_hdr *ip, struct l4_view *v, struct conn *c,
		   struct lb_tcpx *x)
{
	const struct conn_tuple4 *i = &c->tuple[CONN_SIDE_IN];
	struct rte_tcp_hdr *t = tcp_of(v);
	uint8_t opt[12];
	unsigned int olen = 0, k, n;
	struct tcp_opts o;
	uint32_t tsecr;

	tcp_opts_parse(t, &o);
	tsecr = o.tsval;
	sp_learn(x, t, &o);
	n = x->n_held;
	x->n_held = 0;
	if (n == 0) {
		/* the client's ACK, as it would send it */
		if (x->flags & TCPX_TS) {
			opt[0] = TCPOPT_NOP;
			opt[1] = TCPOPT_NOP;
			opt[2] = TCPOPT_TS;
			opt[3] = 10;
			o.tsval = rte_cpu_to_be_32(x->c_tsval);
			memcpy(opt + 4, &o.tsval, 4);
			tsecr = rte_cpu_to_be_32(x->cookie);
			memcpy(opt + 8, &tsecr, 4);
			olen = 12;
		}
		sp_send_in(dp, w, m, c, &(struct tcp_seg){
				.saddr = i->src_addr, .daddr = i->dst_addr,
				.sport = i->src_port, .dport = i->dst_port,
				.seq = x->c_isn + 1, .ack = x->cookie + 1,
				.flags = RTE_TCP_ACK_FLAG, .win = x->c_win,
				.ip_id = ip->packet_id,
			   }, NULL, opt, olen);
		return;
	}
	rte_pktmbuf_free(m);
	for (k = 0; k < n; k++) {
		struct rte_mbuf *h = x->held[k];
		struct rte_ipv4_hdr *hip = rte_pktmbuf_mtod_offset(
			h, struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
		struct l4_view hv;

		l4_view_own(hip, rte_ipv4_hdr_len(hip), &hv);
		lb_follow_state(w, c, &hv, CONN_DIR_INPUT);
		lb_xmit_in_ext(dp, w, h, hip, &hv, c);
	}
}

/* A worker's share of a limit. */
static inline uint32_t
share(uint32_t limit, unsigned int n_workers)
{
	return RTE_MAX(limit / n_workers, 1u);
}

static bool
rate_admit(struct dp_worker *w, const struct lb_svc_snap *svc,
	   rte_be32_t src, unsigned int n_workers)
{
	rte_be32_t net = src & svc->rate_mask;
	uint32_t h = (uint32_t)syncookie_siphash(sp_key.k, net, svc->id, 0);
	struct rate_slot *r = &sp_workers[w->id].rate[h % LB_RATE_SLOTS];
	uint64_t per_s = share(svc->conn_rate, n_workers);
	uint64_t t;

	if (r->net != net || r->tag != svc->id + 1) {
		*r = (struct rate_slot){ net, svc->id + 1,
					 (uint32_t)(per_s * 1000), w->now_ms };
	} else {
		/* per_s connections a second = per_s milli-tokens a ms */
		t = r->tokens + (uint64_t)(uint32_t)(w->now_ms - r->last_ms) *
				per_s;
		r->tokens = (uint32_t)RTE_MIN(t, per_s * 1000);
		r->last_ms = w->now_ms;
	}
	if (r->tokens < 1000)
		return false;
	r->tokens -= 1000;
	return true;
}

int
lb_limit_admit(struct dp_ctx *dp, struct dp_worker *w,
	       const struct lb_svc_snap *svc, const struct conn_key4 *in)
{
	if (in->proto == IPPROTO_TCP && svc->half_open_max != 0 &&
	    svc->svc->pcpu[w->id].half_open >=
		    share(svc->half_open_max, dp->n_workers))
		return DROP_HALF_OPEN_LIMIT;
	if (svc->conn_rate != 0 &&
	    !rate_admit(w, svc, in->src_addr, dp->n_workers))
		return DROP_CONN_RATE_LIMIT;
	return 0;
}

int
lb_synproxy_adopt(struct dp_worker *w, struct conn *c, uint32_t s_delta,
		  uint32_t ts_delta)
{
	struct lb_tcpx *x;

	if (c->fwd != LB_FWD_FNAT || c->proto != IPPROTO_TCP ||
	    (c->flags & LB_CONN_F_TCPX))
		return -EINVAL;
	x = tcpx_of(w, c);
	memset(x, 0, sizeof(*x));
	x->flags = TCPX_SYNPROXY | (ts_delta != 0 ? TCPX_TS : TCPX_PLAIN);
	x->s_delta = s_delta;
	x->ts_delta = ts_delta;
	c->flags |= LB_CONN_F_TCPX;
	return 0;
}
