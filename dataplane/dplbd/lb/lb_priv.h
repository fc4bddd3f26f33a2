/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lb_priv: what the load balancer's packet-path files share (lb.c, the
 * entry points and forwarding; lb_conn.c, the life of a connection;
 * lb_icmp.c, ICMP errors).  Private to lb/: other folders use lb.h.
 */
#ifndef DPLB_LB_PRIV_H
#define DPLB_LB_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "core/dp.h"
#include "core/tx.h"
#include "conn/conn.h"
#include "conn/conn6.h"
#include "conn/conn_state.h"
#include "lb/lb.h"
#include "lb/lb_rewrite.h"
#include "lb/lb_svc.h"
#include "net/csum.h"
#include "net/steer.h"

/** Create the workers' connection tables with the config's timeouts. */
int lb_conn_init(struct dp_ctx *dp);

/*
 * The TCP or UDP header of proto at l4, len bytes to the end of the IP
 * payload (whose IP header net/ checked): false with the reason in
 * *why when it is cut short or, for UDP, its length is not the IP
 * payload's (RFC 768; a longer one would make a
 * rewrite's checksum cover bytes that are not there, a shorter one
 * hides bytes that the rewrite passes on).
 */
static __rte_always_inline bool
l4_parse_at(uint8_t proto, char *l4, unsigned int len, struct l4_view *v,
	    enum drop_reason *why)
{
	*why = DROP_L4_BAD_HEADER;
	if (proto == IPPROTO_TCP) {
		struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)l4;

		if (len < sizeof(*t) || (t->data_off >> 4) * 4u < sizeof(*t) ||
		    (t->data_off >> 4) * 4u > len)
			return false;
		*v = (struct l4_view){ &t->src_port, &t->dst_port, &t->cksum,
				       t->tcp_flags, false };
		return true;
	}
	if (proto == IPPROTO_UDP) {
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)l4;

		if (len < sizeof(*u))
			return false;
		if (rte_be_to_cpu_16(u->dgram_len) != len) {
			*why = DROP_UDP_BAD_LENGTH;
			return false;
		}
		*v = (struct l4_view){ &u->src_port, &u->dst_port,
				       u->dgram_cksum ? &u->dgram_cksum : NULL,
				       0, true };
		return true;
	}
	return false;
}

/* l4_parse_at() for the TCP or UDP header after IPv4 header ip. */
static __rte_always_inline bool
l4_parse(struct rte_ipv4_hdr *ip, unsigned int ihl, struct l4_view *v,
	 enum drop_reason *why)
{
	return l4_parse_at(ip->next_proto_id, (char *)ip + ihl,
			   rte_be_to_cpu_16(ip->total_length) - ihl, v, why);
}

/* The view of a packet dplbd made or already checked (valid). */
static __rte_always_inline void
l4_view_own(struct rte_ipv4_hdr *ip, unsigned int ihl, struct l4_view *v)
{
	enum drop_reason why;

	(void)l4_parse(ip, ihl, v, &why);
}

/* The addresses and the ports lie side by side in the packet as in the
 * key: two copies (the key's padding is ignored, not zeroed). */
static __rte_always_inline void
key_from_packet(const struct rte_ipv4_hdr *ip, const struct l4_view *v,
		struct conn_key4 *k)
{
	RTE_BUILD_BUG_ON(offsetof(struct rte_ipv4_hdr, dst_addr) !=
			 offsetof(struct rte_ipv4_hdr, src_addr) + 4 ||
			 offsetof(struct conn_key4, dst_addr) != 4 ||
			 offsetof(struct conn_key4, dst_port) != 10);
	memcpy(&k->src_addr, &ip->src_addr, 8);
	memcpy(&k->src_port, v->sport, 4);
	k->proto = ip->next_proto_id;
}

static inline bool
state_is_active(const struct conn *c)
{
	return c->proto == IPPROTO_TCP && tcp_state_is_active(c->state);
}

static inline bool
is_template(const struct conn *c)
{
	return c->flags & LB_CONN_F_TEMPLATE;
}

/** Move c to a new state, keeping its dest's active/inactive counts. */
void lb_set_state(struct dp_worker *w, struct conn *c, uint8_t state);

/** lb_set_state() without reporting the change to an HA peer (a state
 * the peer sent). */
void lb_set_state_quiet(struct dp_worker *w, struct conn *c, uint8_t state);

/** Recompute d's overload flag from its connection counts. */
void dest_check_overload(struct lb_dest *d);

/**
 * Bind the new connection c (its state set) to its service and dest d
 * (and template tmpl, or NULL): forwarding mode, the dest held and
 * counted active or inactive by c's state.
 */
void lb_conn_bind(struct dp_worker *w, struct conn *c,
		  const struct lb_svc_snap *svc, const struct lb_dest_snap *d,
		  struct conn *tmpl);

/** The key of svc's persistence template for the client of in. */
void tmpl_key(const struct lb_svc_snap *svc, const struct conn_key4 *in,
	      struct conn_key4 *k);

/** A new template k -> d for svc, held as lb_schedule() holds it; NULL
 * when the table is full. */
struct conn *tmpl_new(struct dp_worker *w, const struct conn_key4 *k,
		      const struct lb_svc_snap *svc,
		      const struct lb_dest_snap *d);

/* Most packets leave the state as it is: then this is a table read. */
static __rte_always_inline void
lb_follow_state(struct dp_worker *w, struct conn *c, const struct l4_view *v,
		enum conn_dir dir)
{
	uint8_t next = v->udp ? udp_state_next(c->state, dir) :
				tcp_state_next(c->state, dir, v->flags);

	if (unlikely(next != c->state))
		lb_set_state(w, c, next);
}

/** Release what a connection or template holds (counts, references);
 * the entry itself stays for the caller to delete or let expire. */
void lb_conn_release(struct dp_worker *w, struct conn *c);

/**
 * A new connection for the packet m (its key in): a dest picked (through
 * a persistence template when the service has one), for full NAT a
 * local port; NULL after dropping m with the reason.  A TCP connection
 * starts in tcp_state (TCP_S_NONE, or the state m leads NONE to: the
 * SYN's TCP_S_SYN_RECV, as lb_set_state() would have made it), UDP in
 * UDP_ONEWAY.  in_loc: in's place in w's table (conn_key_locate() of
 * the burst's lookup), NULL when the caller has none.
 */
struct conn *lb_schedule(struct dp_ctx *dp, struct dp_worker *w,
			 struct rte_mbuf *m, const struct conn_key4 *in,
			 const struct conn_loc *in_loc,
			 const struct lb_svc_snap *svc, uint8_t tcp_state);

/* Common front: steer to the owner, find the connection. */
static __rte_always_inline struct conn *
lb_front(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
	 struct rte_mbuf *m, unsigned int owner, const struct conn_key4 *k,
	 bool *is_reply, bool *steered)
{
	*steered = owner != w->id;
	if (*steered) {
		dp_steer(dp, w, owner, port, m);
		return NULL;
	}
	return conn_lookup4(w->conns, k, is_reply);
}

/*
 * Whether svc takes a client packet whose connection lookup found c
 * (reply: c's reply side): a live service every one; a deleted one's
 * ghost (LB_SVC_F_RETIRED) only the packets of its connections that
 * do not open a new connection on the tuple.  Otherwise the packet
 * goes on as if no service were there.
 */
static __rte_always_inline bool
lb_svc_takes(const struct lb_svc_snap *svc, const struct conn *c, bool reply,
	     const struct l4_view *v)
{
	if (likely(!(svc->flags & LB_SVC_F_RETIRED)))
		return true;
	return c != NULL && !reply &&
	       (v->udp || !tcp_syn_reschedules(c->state, v->flags));
}

/* The worker that owns a client's traffic to svc: by client address and
 * port, or for a persistent service by the client's net alone, so that
 * its template and connections meet on one worker. */
static inline unsigned int
lb_svc_owner(const struct lb_svc_snap *svc, rte_be32_t addr, rte_be16_t port,
	     unsigned int n_workers)
{
	if (svc->persistent != 0)
		return steer_by_client(addr & svc->persist_mask, 0, n_workers);
	return steer_by_client(addr, port, n_workers);
}

/**
 * Which candidate owner a possible NAT reply has reached (lb.c's
 * lb_reply_front() and lb6.c's transit path): the hop number riding in
 * m, *fresh and set to 0 when m has not been steered along that detour
 * yet.
 */
uint8_t *lb_reply_hop(struct rte_mbuf *m, bool *fresh);

/**
 * lb_front() for a packet to client k->dst that may be a NAT reply
 * (lb.c says how the candidate owners are tried).
 */
struct conn *lb_reply_front(struct dp_ctx *dp, struct dp_worker *w,
			    uint16_t port, struct rte_mbuf *m,
			    const struct lb_snap *snap,
			    const struct conn_key4 *k, bool *is_reply,
			    bool *steered);

/**
 * An ICMP error to us (local) or through us (transit, NAT): sent on to
 * the other side of its connection, or LB_PASS when it is about none of
 * ours.
 */
enum lb_verdict lb_icmp(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
			struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
			unsigned int ihl, bool transit);

/* ---- edited TCP connections (lb_tcpx.c, lb_synproxy.c) ---- */

/* struct lb_tcpx.flags */
#define TCPX_TOA 0x01		/* TOA on the client's segments at ISN+1 */
#define TCPX_PP_ACKED 0x02	/* the server acknowledged the header */
#define TCPX_SYNPROXY 0x04	/* dplbd answered the client's SYN */
#define TCPX_SP_WAIT 0x08	/* SYN proxy: the server has not answered */
#define TCPX_TS 0x10		/* SYN proxy: timestamps translated */
#define TCPX_CWS 0x20		/* SYN proxy: the client offered wscale */
#define TCPX_PLAIN 0x40		/* SYN proxy alone, established, no
				 * timestamps, no window scaling to fix:
				 * only sequence and ack move (fast path) */

#define TCPX_HOLD 2		/* client segments held while SP_WAIT */

/* One edited connection (48 bytes), in its worker's side table at the
 * index of its entry. */
struct lb_tcpx {
	uint32_t c_isn;		/* the client's ISN */
	uint32_t s_delta;	/* SYN proxy: server ISN - cookie */
	uint32_t ts_delta;	/* SYN proxy: server TSval - dplbd's */
	uint32_t cookie;	/* SYN proxy: the ISN the client got */
	uint32_t c_tsval;	/* SYN proxy: the client's last TSval */
	uint16_t c_win;		/* SYN proxy: the client's last window */
	uint8_t pp;		/* enum pp_version */
	uint8_t in_len;		/* bytes put before the client's stream */
	uint8_t flags;		/* TCPX_* */
	int8_t ws_shift;	/* SYN proxy: server wscale - dplbd's */
	uint8_t n_held;
	uint8_t pad[5];
	struct rte_mbuf *held[TCPX_HOLD];
};

extern struct lb_tcpx *lb_tcpx_tab[LB_MAX_WORKERS];

static inline struct lb_tcpx *
tcpx_of(const struct dp_worker *w, const struct conn *c)
{
	return &lb_tcpx_tab[w->id][conn_ref(w->conns, c)];
}

static inline void
lb_tcpx_release_held(struct lb_tcpx *x)
{
	while (x->n_held > 0)
		rte_pktmbuf_free(x->held[--x->n_held]);
}

static inline struct rte_tcp_hdr *
tcp_of(const struct l4_view *v)
{
	return (struct rte_tcp_hdr *)v->sport;
}

/** Every worker's side table of edited connections. */
int lb_tcpx_init(struct dp_ctx *dp);

/**
 * A new connection c of svc (a LB_SVC_F_TCPX service) from the client's
 * SYN (v): for a full-NAT dest, its editing state and LB_CONN_F_TCPX.
 */
void lb_tcpx_start(struct dp_worker *w, struct conn *c,
		   const struct lb_svc_snap *svc, const struct l4_view *v);

/**
 * Edit a client segment of c (LB_CONN_F_TCPX) for the server, before the
 * full-NAT rewrite: *ip and v follow the segment when bytes are added.
 * False when m was dropped (counted).
 */
bool lb_tcpx_in(struct dp_worker *w, struct rte_mbuf *m,
		struct rte_ipv4_hdr **ip, struct l4_view *v, struct conn *c);

/** The same for a server segment toward the client. */
bool lb_tcpx_out(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
		 struct rte_ipv4_hdr *ip, struct l4_view *v, struct conn *c);

/**
 * The datagram m that created UDP connection c of a proxy-protocol-v2
 * service: for a full-NAT dest, the PROXY v2 header in front of its
 * payload, lengths and checksum fixed, v parsed again (lb_ppudp.c).
 * Returns where the IPv4 header is now (the headers move; returned, not
 * passed by address, so the caller's pointer stays in a register on
 * every other packet), NULL when m was dropped (counted: pp_too_big
 * past the egress MTU with DF, no_mbuf) and c with it.
 */
struct rte_ipv4_hdr *lb_ppudp_first(struct dp_ctx *dp, struct dp_worker *w,
				    struct rte_mbuf *m,
				    struct rte_ipv4_hdr *ip,
				    struct l4_view *v, struct conn *c);

/** c goes: free what its editing state holds (held segments). */
void lb_tcpx_release(struct dp_worker *w, struct conn *c);

/** lb.c's transmission of a client segment of c toward its server
 * (the full-NAT rewrite with lb_tcpx_in()), for the SYN proxy's own. */
void lb_xmit_in_ext(struct dp_ctx *dp, struct dp_worker *w,
		    struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
		    struct l4_view *v, struct conn *c);

/**
 * SYN flood defence of svc (half_open_max, conn_rate) for a new
 * connection of key in: 0 to admit it, else the drop reason.  Each
 * worker enforces its share (the limit over the worker count, at least
 * 1) of what it sees; the rate per source network is a token bucket
 * of one second's worth in a per-worker table of LB_RATE_SLOTS,
 * direct-mapped by a hash of service and network (networks that
 * collide share a slot: the newer one restarts it full).
 */
int lb_limit_admit(struct dp_ctx *dp, struct dp_worker *w,
		   const struct lb_svc_snap *svc, const struct conn_key4 *in);

/** The SYN proxy's key and per-worker secrets (lb_synproxy.c). */
void lb_synproxy_init(struct dp_ctx *dp);

/**
 * A TCP segment to svc (LB_SVC_F_SYN_PROXY) that has no connection: a
 * SYN is answered with a cookie, an ACK that returns a valid one makes
 * the connection and opens it to the server; anything else is dropped
 * (counted).
 */
void lb_synproxy_in(struct dp_ctx *dp, struct dp_worker *w,
		    struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
		    struct l4_view *v, const struct lb_svc_snap *svc,
		    const struct conn_key4 *key);

/** A client segment of c while the server has not answered: held
 * (data) or dropped.  m is consumed. */
void lb_synproxy_hold(struct dp_worker *w, struct rte_mbuf *m,
		      struct rte_ipv4_hdr *ip, struct lb_tcpx *x);

/** The server's SYN-ACK of c (TCPX_SP_WAIT): the offsets learnt, the
 * handshake finished toward the server, the held segments sent; m is
 * consumed. */
void lb_synproxy_synack(struct dp_ctx *dp, struct dp_worker *w,
			struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
			struct l4_view *v, struct conn *c, struct lb_tcpx *x);

/* ---- IPv6 (lb6.c) ------------------------------------------------- */

/* lb6_init(), lb6_free(), lb6_table(), lb6_conn_drop(): lb.h */
/** lb_conn_bind() of an IPv6 connection (lb6.c), with the checksum
 * change of its client's packets when it is FNAT or NAT over IPv6 (lb.h's
 * struct lb_csum_delta, its l4 only: IPv6 has no header checksum). */
void lb6_conn_bind(struct dp_worker *w, struct conn *c,
		   const struct lb_svc_snap *svc, const struct lb_dest_snap *d);
/** The IPv6 table's share of lb_expire_tick(). */
void lb6_expire_tick(struct dp_worker *w);
/** Move IPv6 connection c to state, keeping its dest's active and
 * inactive counts (lb_set_state_quiet()'s twin: no sync report). */
void lb6_set_state(struct dp_worker *w, struct conn *c, uint8_t state);
/* lb_lport_follow() of a full-NAT or NAT64 server-side key (server ->
 * LIP:lport) a backup installed. */
void lb6_lport_follow(struct dp_ctx *dp, struct dp_worker *w,
		      const struct conn6_key *out);
/* lb6_owner() with more than one worker (lb6.c). */
bool lb6_owner_of_many(const struct dp_ctx *dp, const struct lb_svc_snap *svc,
		       const struct conn6_key *k, unsigned int *owner);

/** The worker owning an IPv6 packet k: by its client for svc (lb.c's
 * rule, the client's net when persistent), else for a full-NAT answer
 * by its local port's slice; false: neither.  Inline: one worker owns
 * everything, as lb.c's lb_local_owner() says at once. */
static inline bool
lb6_owner(const struct dp_ctx *dp, const struct lb_svc_snap *svc,
	  const struct conn6_key *k, unsigned int *owner)
{
	if (dp->n_workers == 1) {
		*owner = 0;
		return svc != NULL ||
		       rte_be_to_cpu_16(k->dport) >= STEER_LPORT_MIN;
	}
	return lb6_owner_of_many(dp, svc, k, owner);
}

/**
 * An IPv4 packet to a local address (key, its view v) that no IPv4
 * connection owns: a NAT64 server's answer (server -> IPv4 LIP) goes
 * back to its IPv6 client (LB_CONSUMED), anything else LB_PASS.
 */
enum lb_verdict lb6_reply4(struct dp_ctx *dp, struct dp_worker *w,
			   struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
			   struct l4_view *v, const struct conn_key4 *key);

/** lb6_reply4() with the IPv6 table's answer for key already looked up
 * (c, reply: conn6_lookup()'s). */
enum lb_verdict lb6_reply4_conn(struct dp_ctx *dp, struct dp_worker *w,
				struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
				struct l4_view *v, const struct conn_key4 *key,
				struct conn *c, bool reply);

/**
 * An ICMPv4 error to a local address quoting a packet that no IPv4
 * connection owns (k: its connection seen from our side, server ->
 * LIP): about a NAT64 connection, it goes to the IPv6 client translated
 * (RFC 7915 4.2, LB_CONSUMED); anything else LB_PASS.
 */
enum lb_verdict lb6_icmp4(struct dp_ctx *dp, struct dp_worker *w,
			  struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
			  const struct conn_key4 *k);

/**
 * TUNNEL of an IPv4 service to c's IPv6 dest (IPv4 in IPv6, RFC 2473,
 * as IPVS's tunnels of the other family; lb6_xmit.c): m (IPv4 at ip, a
 * client's packet) leaves inside an outer IPv6 header from the egress
 * port's IPv6 address, its TTL one less.  Too big for the egress MTU:
 * with DF the client gets fragmentation needed (MTU - 40) from the VIP,
 * without it the tunnel packet leaves in IPv6 fragments.  m is consumed.
 */
void lb6_tunnel46(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
		  struct rte_ipv4_hdr *ip, struct conn *c);

/* What a packet of the burst does once its connection is known (lb.c's
 * burst path): one dispatch a packet in lb_burst_next().  The IPv4 kinds
 * that are held come last, so that their test is one compare. */
enum burst_kind {
	BURST_FULL,	/* LB_PASS_INPUT: the full path */
	BURST_STEER,	/* to its owner's ring */
	BURST_LOCAL6,	/* held: lb6_burst_release() */
	BURST_LOCAL,	/* held: lb_local_act() */
	BURST_TRANSIT,	/* held: lb_transit_act() */
	BURST_SNAT,	/* held: lb_snat_out() */
};

/**
 * lb_burst_lookup()'s IPv6 share (lb6.c): for each packet i of b whose
 * bit is set in others (net_ipv4_usual() left it: r[i] NULL), what
 * lb_input_local6() would do up to the connection lookup when
 * net_ipv6_usual_local() takes it: held (BURST_LOCAL6, its key located
 * in held6/keys6/locs6), BURST_STEER to its owner, or left BURST_FULL
 * (the full path decides, drops, or hands it on).  snap: the burst's
 * services, not NULL.
 */
void lb6_burst_hold(struct dp_ctx *dp, struct dp_worker *w,
		    const struct lb_snap *snap, struct lb_burst *b,
		    uint64_t others);

/**
 * The held IPv4 packets to us that no IPv4 connection owns and no
 * service takes, lb_local_act()'s callers of lb6_reply4() (NAT64
 * servers' answers to an IPv4 LIP): their keys as the IPv6 table files
 * NAT64 server sides, after the held IPv6 ones (alt6[j], n_alt6), to be
 * looked up with them.  After the IPv4 bulk lookup, when it missed.
 */
void lb6_burst_hold4(struct dp_worker *w, struct lb_burst *b);

/** The held IPv6 packets' connections, and the keys lb6_burst_hold4()
 * added, looked up together. */
void lb6_burst_lookup(struct dp_worker *w, struct lb_burst *b);

/** lb6_reply4() for IPv4 held packet i, its IPv6 table's answer
 * looked up in the burst. */
enum lb_verdict lb6_burst_reply4(struct dp_ctx *dp, struct dp_worker *w,
				 struct lb_burst *b, unsigned int i);

/** The rest of held IPv6 packet i's path: lb_input_local6()'s from the
 * lookup on (LB_CONSUMED, or LB_PASS: the twin's). */
enum lb_verdict lb6_burst_release(struct dp_ctx *dp, struct dp_worker *w,
				  struct lb_burst *b, unsigned int i);

/* The place of the worker's next LIP in a group of n (lb_conn.c, lb6.c):
 * turns without a division (the groups share the turn: a smaller one
 * starts over). */
static inline uint32_t
lb_lip_next(struct dp_worker *w, uint32_t n)
{
	uint32_t k = w->lip_turn < n ? w->lip_turn : 0;

	w->lip_turn = k + 1;
	return k;
}

#endif /* DPLB_LB_PRIV_H */
