/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lb_tcpx: full-NAT TCP connections whose segments dplbd edits, for a
 * service with the PROXY protocol, TOA or the SYN proxy (lb_priv.h).
 *
 * What such a connection needs beyond its 64-byte entry lives in a side
 * table per worker, indexed as the entries are (conn_ref()), touched
 * only for connections flagged LB_CONN_F_TCPX: the other connections pay
 * one flag test per packet.  The table is plain calloc()ed memory: pages
 * are only backed once a connection uses them.
 *
 * The PROXY protocol header goes in front of the client's first byte
 * (sequence ISN + 1): in the segment that completes the handshake, or
 * any later client segment at ISN + 1 (a retransmission, data at once)
 * until the server has acknowledged it; from then on the client's
 * sequence numbers gain its length and the server's acknowledgements
 * and SACK edges lose it (tcp_edit.h).  The SYN-ACK's MSS shrinks by
 * what dplbd adds to a segment (the header, the TOA option), so a full
 * segment still fits the path.  TOA rides on the client segments at ISN
 * + 1 (the handshake's ACK and the first data), not later ones.
 */
#include <stdlib.h>
#include <string.h>

#include "core/tx.h"
#include "lb/lb.h"
#include "lb/lb_svc.h"
#include "tcp/proxy_hdr.h"
#include "tcp/tcp_edit.h"
#include "lb_priv.h"

struct lb_tcpx *lb_tcpx_tab[LB_MAX_WORKERS];

int
lb_tcpx_init(struct dp_ctx *dp)
{
	unsigned int i;

	RTE_BUILD_BUG_ON(sizeof(struct lb_tcpx) != 48);
	for (i = 0; i < dp->n_workers && i < LB_MAX_WORKERS; i++) {
		free(lb_tcpx_tab[i]);
		lb_tcpx_tab[i] = calloc((size_t)dp->cfg->max_conns + 1,
					sizeof(struct lb_tcpx));
		if (lb_tcpx_tab[i] == NULL)
			return -ENOMEM;
	}
	lb_synproxy_init(dp);
	return 0;
}

static enum pp_version
svc_pp(uint32_t flags)
{
	if (flags & LB_SVC_F_PP_V1)
		return PP_V1;
	return (flags & LB_SVC_F_PP_V2) ? PP_V2 : PP_NONE;
}

/* The header for c (the client and the VIP it asked for). */
static unsigned int
tcpx_pp(const struct conn *c, enum pp_version ver, uint8_t *buf)
{
	const struct conn_tuple4 *i = &c->tuple[CONN_SIDE_IN];

	return pp_build(ver, buf, i->src_addr, i->src_port, i->dst_addr,
			i->dst_port);
}

void
lb_tcpx_start(struct dp_worker *w, struct conn *c,
	      const struct lb_svc_snap *svc, const struct l4_view *v)
{
	uint8_t buf[PP_MAX];
	struct lb_tcpx *x;

	if (c->fwd != LB_FWD_FNAT || v->udp)
		return;
	x = tcpx_of(w, c);
	memset(x, 0, sizeof(*x));
	x->c_isn = rte_be_to_cpu_32(tcp_of(v)->sent_seq);
	x->pp = (uint8_t)svc_pp(svc->flags);
	x->in_len = (uint8_t)tcpx_pp(c, x->pp, buf);
	if (svc->flags & LB_SVC_F_TOA)
		x->flags |= TCPX_TOA;
	c->flags |= LB_CONN_F_TCPX;
}

/* Whether client sequence seq lies after the header in the server's
 * view: past ISN + 1, or at it once the server has the header. */
static inline bool
seq_shifted(const struct lb_tcpx *x, uint32_t seq)
{
	return seq_lt(x->c_isn + 1, seq) ||
	       (seq == x->c_isn + 1 && (x->flags & TCPX_PP_ACKED));
}

/* Server acknowledgement or SACK edge -> the client's view. */
static uint32_t
ack_out(uint32_t a, const void *ctx)
{
	const struct lb_tcpx *x = ctx;
	uint32_t first = x->c_isn + 1;

	if (seq_le(first + x->in_len, a))
		return a - x->in_len;
	return seq_lt(first, a) ? first : a;
}

/* Put the TOA option and the PROXY header in the client's segment at
 * ISN + 1; the checksum is recomputed.  False when m was dropped. */
static bool
tcpx_insert(struct dp_worker *w, struct rte_mbuf *m, struct rte_ipv4_hdr **ip,
	    struct l4_view *v, const struct conn *c, const struct lb_tcpx *x,
	    bool pp)
{
	const struct conn_tuple4 *i = &c->tuple[CONN_SIDE_IN];
	struct rte_tcp_hdr *t = tcp_of(v);
	uint8_t *room;

	if ((x->flags & TCPX_TOA) && tcp_hdr_len(t) + TCPOLEN_TOA <= TCP_HDR_MAX) {
		room = tcp_open_room(m, ip, TCPOLEN_TOA);
		if (room == NULL)
			goto no_room;
		toa_build(room, i->src_addr, i->src_port);
		t = (struct rte_tcp_hdr *)((char *)*ip + rte_ipv4_hdr_len(*ip));
		t->data_off = (uint8_t)(t->data_off + (TCPOLEN_TOA / 4 << 4));
	}
	if (pp) {
		room = tcp_open_room(m, ip, x->in_len);
		if (room == NULL)
			goto no_room;
		tcpx_pp(c, (enum pp_version)x->pp, room);
	}
	l4_view_own(*ip, rte_ipv4_hdr_len(*ip), v);
	tcp_csum_full(m, *ip);
	return true;
no_room:
	dp_drop(w, m, DROP_NO_MBUF);
	return false;
}

/* SYN proxy, client -> server: acknowledgements, SACK edges and echoed
 * timestamps of the server's space. */
static uint32_t
ack_in(uint32_t a, const void *ctx)
{
	return a + ((const struct lb_tcpx *)ctx)->s_delta;
}

static void
synproxy_in(struct rte_tcp_hdr *t, const struct l4_view *v,
	    struct lb_tcpx *x, struct tcp_csum_edit *e)
{
	struct tcp_opts o;

	if (v->flags & RTE_TCP_ACK_FLAG)
		tcp_set32(t, offsetof(struct rte_tcp_hdr, recv_ack),
			  rte_be_to_cpu_32(t->recv_ack) + x->s_delta, e);
	if (tcp_hdr_len(t) == sizeof(*t))
		return;
	tcp_opts_parse(t, &o);
	if (o.sack_n != 0)
		tcp_sack_map(t, &o, ack_in, x, e);
	if (o.has_ts && (x->flags & TCPX_TS))
		tcp_set32(t, o.ts_off + 6u, o.tsecr + x->ts_delta, e);
}

bool
lb_tcpx_in(struct dp_worker *w, struct rte_mbuf *m, struct rte_ipv4_hdr **ip,
	   struct l4_view *v, struct conn *c)
{
	struct lb_tcpx *x = tcpx_of(w, c);
	struct rte_tcp_hdr *t = tcp_of(v);
	struct tcp_csum_edit e = { 0, false };
	uint32_t seq, ack;
	bool first, pp;

	if (likely((x->flags & TCPX_PLAIN) && t->data_off == 0x50 &&
		   (v->flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) ==
			   RTE_TCP_ACK_FLAG)) {
		ack = t->recv_ack;
		t->recv_ack = rte_cpu_to_be_32(rte_be_to_cpu_32(ack) +
					       x->s_delta);
		t->cksum = csum_apply(t->cksum, csum_diff32(ack, t->recv_ack));
		return true;
	}
	seq = rte_be_to_cpu_32(t->sent_seq);
	if (v->flags & RTE_TCP_SYN_FLAG) {
		if (x->flags & TCPX_SP_WAIT)
			return true;	/* the proxy's own SYN */
		if (!(v->flags & RTE_TCP_ACK_FLAG))
			x->c_isn = seq;
		return true;
	}
	if (unlikely(x->flags & TCPX_SP_WAIT) &&
	    !(v->flags & RTE_TCP_RST_FLAG)) {
		lb_synproxy_hold(w, m, *ip, x);
		return false;
	}
	if (x->flags & TCPX_SYNPROXY)
		synproxy_in(t, v, x, &e);
	first = seq == x->c_isn + 1 && (v->flags & RTE_TCP_ACK_FLAG) &&
		!(v->flags & RTE_TCP_RST_FLAG);
	pp = first && x->in_len != 0 && !(x->flags & TCPX_PP_ACKED);
	if (first && (pp || (x->flags & TCPX_TOA)))
		return tcpx_insert(w, m, ip, v, c, x, pp);
	if (x->in_len != 0 && seq_shifted(x, seq))
		tcp_set32(t, offsetof(struct rte_tcp_hdr, sent_seq),
			  seq + x->in_len, &e);
	tcp_csum_finish(m, *ip, t, &e);
	return true;
}

/* The server's SYN-ACK: room in each client segment for what dplbd
 * adds to it. */
static void
tcpx_synack(struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
	    struct rte_tcp_hdr *t, const struct lb_tcpx *x)
{
	unsigned int add = x->in_len + ((x->flags & TCPX_TOA) ? TCPOLEN_TOA : 0);
	struct tcp_opts o;

	tcp_opts_parse(t, &o);
	if (add != 0 && o.mss > add + 64u &&
	    tcp_mss_clamp(t, &o, (uint16_t)(o.mss - add)))
		tcp_csum_full(m, ip);
}

/* SYN proxy, server -> client: its sequence, timestamps and window in
 * the terms the client agreed with dplbd. */
static void
synproxy_out(struct rte_tcp_hdr *t, struct lb_tcpx *x,
	     struct tcp_csum_edit *e)
{
	uint32_t win;
	struct tcp_opts o;

	tcp_set32(t, offsetof(struct rte_tcp_hdr, sent_seq),
		  rte_be_to_cpu_32(t->sent_seq) - x->s_delta, e);
	if (x->ws_shift != 0) {
		/* the window and the urgent pointer share a 32-bit word */
		win = rte_be_to_cpu_16(t->rx_win);
		win = x->ws_shift > 0 ? win << x->ws_shift :
					win >> -x->ws_shift;
		tcp_set32(t, offsetof(struct rte_tcp_hdr, rx_win),
			  RTE_MIN(win, 0xffffu) << 16 |
			  rte_be_to_cpu_16(t->tcp_urp), e);
	}
	if ((x->flags & TCPX_TS) && tcp_hdr_len(t) > sizeof(*t)) {
		tcp_opts_parse(t, &o);
		if (o.has_ts)
			tcp_set32(t, o.ts_off + 2u, o.tsval - x->ts_delta, e);
	}
}

bool
lb_tcpx_out(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	    struct rte_ipv4_hdr *ip, struct l4_view *v, struct conn *c)
{
	struct lb_tcpx *x = tcpx_of(w, c);
	struct rte_tcp_hdr *t = tcp_of(v);
	struct tcp_csum_edit e = { 0, false };
	struct tcp_opts o;
	uint32_t ack, seq;

	if (likely((x->flags & TCPX_PLAIN) && t->data_off == 0x50 &&
		   !(v->flags & RTE_TCP_SYN_FLAG))) {
		seq = t->sent_seq;
		t->sent_seq = rte_cpu_to_be_32(rte_be_to_cpu_32(seq) -
					       x->s_delta);
		t->cksum = csum_apply(t->cksum, csum_diff32(seq, t->sent_seq));
		return true;
	}
	if (unlikely(x->flags & TCPX_SP_WAIT)) {
		if ((v->flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG |
				 RTE_TCP_RST_FLAG)) ==
			    (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG) &&
		    rte_be_to_cpu_32(t->recv_ack) == x->c_isn + 1) {
			lb_synproxy_synack(dp, w, m, ip, v, c, x);
			return false;
		}
		if (!(v->flags & RTE_TCP_RST_FLAG)) {
			dp_drop(w, m, DROP_SYN_PROXY_WAIT);
			return false;
		}
		/* refused: the client's reset must land at its next
		 * sequence number; what was held goes */
		x->s_delta = rte_be_to_cpu_32(t->sent_seq) - (x->cookie + 1);
		x->flags &= (uint8_t)~TCPX_SP_WAIT;
		lb_tcpx_release_held(x);
	}
	if (v->flags & RTE_TCP_SYN_FLAG) {
		if (x->flags & TCPX_SYNPROXY) {
			/* a repeated SYN-ACK: the client has its own */
			dp_drop(w, m, DROP_SYN_PROXY_WAIT);
			return false;
		}
		tcpx_synack(m, ip, t, x);
		return true;
	}
	if (x->flags & TCPX_SYNPROXY)
		synproxy_out(t, x, &e);
	if (x->in_len != 0 && (v->flags & RTE_TCP_ACK_FLAG)) {
		ack = rte_be_to_cpu_32(t->recv_ack);
		if (seq_le(x->c_isn + 1 + x->in_len, ack))
			x->flags |= TCPX_PP_ACKED;
		if (ack_out(ack, x) != ack)
			tcp_set32(t, offsetof(struct rte_tcp_hdr, recv_ack),
				  ack_out(ack, x), &e);
		if (tcp_hdr_len(t) > sizeof(*t)) {
			tcp_opts_parse(t, &o);
			if (o.sack_n != 0)
				tcp_sack_map(t, &o, ack_out, x, &e);
		}
	}
	tcp_csum_finish(m, ip, t, &e);
	return true;
}

void
lb_tcpx_release(struct dp_worker *w, struct conn *c)
{
	struct lb_tcpx *x = tcpx_of(w, c);

	lb_tcpx_release_held(x);
	x->flags = 0;
}
