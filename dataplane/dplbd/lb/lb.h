/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lb: the load balancer's packet path on a worker.  For a packet to a
 * local address it finds the virtual service or the connection, steers
 * the packet to the worker that owns the flow (steer.h), schedules new
 * connections, follows the TCP state table, rewrites the packet for the
 * connection's forwarding mode (FNAT, NAT, DR, TUNNEL) with incremental
 * checksums, and sends it.  Connections live in the owner's conn table
 * and expire on its timing wheel (lb_expire_tick).
 */
#ifndef DPLB_LB_H
#define DPLB_LB_H

#include <stdbool.h>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "core/dp.h"
#include "conn/conn.h"
#include "conn/conn6.h"

/**
 * Create the workers' connection tables and the store of services
 * (dp->lb) on dp->qsv, apply the laddr groups and services of dp->cfg,
 * and set the ports' rte_flow rules for their local addresses.  Call
 * after the workers and ports exist and before the control socket
 * serves.  0 or a negative errno with a message in msg.
 */
int lb_start(struct dp_ctx *dp, char *msg, size_t len);

/** Free dp->lb; the workers must have stopped. */
void lb_stop(struct dp_ctx *dp);

/** Make the ports' rte_flow rules follow the IPv4 addresses of every
 * laddr group (flow_sync()); after each change of a group. */
void lb_flow_sync(struct dp_ctx *dp);

/** What the load balancer did with a packet offered to it. */
enum lb_verdict {
	LB_CONSUMED,	/* sent, steered to its owner, or dropped (counted) */
	LB_PASS,	/* not load-balanced traffic: the caller goes on
			 * (the twin for a local packet, plain forwarding
			 * for a transit one) */
	LB_PASS_INPUT,	/* burst only: not classified, the full path */
	LB_END,		/* burst only: no packet left */
};

/**
 * A TCP, UDP or ICMP packet to one of our addresses (NET_LOCAL), the
 * header checked by net/.
 */
enum lb_verdict lb_input_local(struct dp_ctx *dp, struct dp_worker *w,
			       uint16_t port, struct rte_mbuf *m,
			       struct rte_ipv4_hdr *ip, unsigned int ihl);

/**
 * A transit packet (NET_TRANSIT): a NAT real server's reply to a
 * client, or an ICMP error about a connection, is the load balancer's.
 */
enum lb_verdict lb_input_transit(struct dp_ctx *dp, struct dp_worker *w,
				 uint16_t port, struct rte_mbuf *m,
				 struct rte_ipv4_hdr *ip, unsigned int ihl);

/**
 * An IPv6 packet to one of our addresses (net6/'s NET6_LOCAL): header
 * and extension headers checked, proto the upper-layer protocol at
 * l4_off bytes from ip.  LB_PASS hands it to the twin.
 */
enum lb_verdict lb_input_local6(struct dp_ctx *dp, struct dp_worker *w,
				uint16_t port, struct rte_mbuf *m,
				struct rte_ipv6_hdr *ip, uint8_t proto,
				uint16_t l4_off);

/**
 * An IPv6 transit packet (net6/'s NET6_TRANSIT), as lb_input_transit() for
 * IPv4 ones: an IPv6 NAT real server's answer to a client, or an ICMPv6
 * error about an IPv6 connection, is the load balancer's; proto
 * IP6_NH_FRAGMENT for a fragment.  LB_PASS: forwarded as a router does.
 */
enum lb_verdict lb_input_transit6(struct dp_ctx *dp, struct dp_worker *w,
				  uint16_t port, struct rte_mbuf *m,
				  struct rte_ipv6_hdr *ip, uint8_t proto,
				  uint16_t l4_off);

/* The L4 fields a rewrite touches (dport is always sport + 1). */
struct l4_view {
	rte_be16_t *sport;
	rte_be16_t *dport;
	rte_be16_t *cksum;	/* NULL: UDP without a checksum */
	uint8_t flags;		/* TCP flags, 0 for UDP */
	bool udp;
};

struct route_slot;
struct lb_snat_rule_snap;
struct lb_snat_snap;

#define LB_BURST_MAX 32
#define LB_NO_ALT6 0xff

/* One held packet of a burst: its parse and where it goes (which of
 * ip and ip6, svc and snat is set follows the packet's kind, lb.c). */
struct lb_held {
	union {
		struct rte_ipv4_hdr *ip;
		struct rte_ipv6_hdr *ip6;
	};
	const struct lb_svc_snap *svc;	/* local: the service, or NULL */
	struct l4_view v;
	const struct lb_snat_rule_snap *snat;	/* SNAT: the rule taking it */
};

/**
 * A burst for the load balancer's stage of the burst path
 * (core/pipeline.c).  The pipeline fills n, port, pkts, ip and r:
 * packets received on dplb port `port` that net_ipv4_usual() accepted
 * (r[i] their route, ip[i] their header), r[i] NULL for any other (the
 * load balancer's stage offers those to net_ipv6_usual_local()).  The
 * rest is the load balancer's own state between lb_burst_lookup() and
 * the lb_burst_next() calls.
 */
struct lb_burst {
	unsigned int n;
	uint16_t port;
	struct rte_mbuf *pkts[LB_BURST_MAX];
	struct rte_ipv4_hdr *ip[LB_BURST_MAX];
	const struct route_slot *r[LB_BURST_MAX];
	/* the load balancer's */
	const struct lb_snat_snap *snat;	/* SNAT rules, NULL = none */
	unsigned int n_held;
	uint8_t kind[LB_BURST_MAX];
	uint8_t arg[LB_BURST_MAX];	/* held: index in held[] and keys[];
					 * steered: the owner */
	struct lb_held held[LB_BURST_MAX];
	struct conn_key4 keys[LB_BURST_MAX];
	struct conn_loc locs[LB_BURST_MAX];	/* of keys, buckets prefetched */
	struct conn *conns[LB_BURST_MAX];
	bool reply[LB_BURST_MAX];
	/* the IPv6 packets held (lb6.c), as the IPv4 ones above, then
	 * (n_alt6) the keys of the IPv4 held ones that may be NAT64
	 * answers, alt6[j] their place (LB_NO_ALT6: none) */
	unsigned int n_held6;
	unsigned int n_alt6;
	uint8_t alt6[LB_BURST_MAX];
	uint32_t svc6_pp;	/* the last service lookup: port << 8 |
				 * proto, 0 before the first */
	uint64_t svc6_vip[2];
	const struct lb_svc_snap *svc6;
	struct lb_held held6[LB_BURST_MAX];
	struct conn6_key keys6[LB_BURST_MAX];
	struct conn_loc locs6[LB_BURST_MAX];
	struct conn *conns6[LB_BURST_MAX];
	bool reply6[LB_BURST_MAX];
};

/**
 * Classify the burst's TCP and UDP packets that the load balancer takes
 * and look their connections up together (each key's bucket prefetched
 * as it is made, conn_key_locate(), then conn_lookup4_bulk_located();
 * IPv6 ones in their own table the same way), so that the misses
 * overlap.
 */
void lb_burst_lookup(struct dp_ctx *dp, struct dp_worker *w,
		     struct lb_burst *b);

/**
 * Consume the burst's packets in order from *i, each as
 * lb_input_local(), lb_input_transit() or lb_input_local6() would,
 * until one the load balancer does not consume: returns LB_PASS
 * (pkts[*i] is not load-balanced: the twin's if r[*i] is local or NULL
 * (IPv6 to us), else forward it) or
 * LB_PASS_INPUT (pkts[*i] takes the full path, l2_input()), with *i its
 * index; LB_END when the burst is done.
 */
enum lb_verdict lb_burst_next(struct dp_ctx *dp, struct dp_worker *w,
			      struct lb_burst *b, unsigned int *i);

/** Expire idle connections (bounded work); call once per loop. */
void lb_expire_tick(struct dp_ctx *dp, struct dp_worker *w);

struct conn;

struct lb_dest;

/* conn->flags: a persistence template (client net -> VIP:vport, see
 * lb.c), not a connection. */
#define LB_CONN_F_TEMPLATE 0x10
/* conn->flags: installed or updated from an HA peer's sync record
 * (the HA sync, below). */
#define LB_CONN_F_SYNCED 0x20
/* conn->flags: full-NAT TCP whose segments are edited (proxy protocol,
 * TOA, SYN proxy: lb_tcpx.c); its state is in a side table. */
#define LB_CONN_F_TCPX 0x40

/*
 * How a full-NAT, NAT or SNAT connection's rewrite changes the checksums
 * of its client's packets, folded (lb_rewrite.h, conn_csum_delta(); IPv6:
 * lb6_conn_bind(), l4 only): the IPv4 header's (the addresses) and the
 * L4 header's (addresses and ports).  Its server's packets change them
 * by the opposite amounts.
 */
struct lb_csum_delta {
	uint16_t ip;
	uint16_t l4;
};

/* What the load balancer keeps in conn->priv (16 bytes). */
struct lb_conn_priv {
	struct lb_dest *dest;	/* held reference */
	union {
		rte_be32_t daddr;	/* DR, TUNNEL, templates: the real
					 * server */
		struct lb_csum_delta csum;	/* FNAT, NAT, SNAT: their
						 * server is in the out key */
	};
	union {
		uint32_t tmpl;		/* connection: its template's
					 * conn_ref(), 0 = none */
		uint32_t n_control;	/* template: connections it made */
	};
};

static inline struct lb_conn_priv *
conn_priv(struct conn *c)
{
	RTE_BUILD_BUG_ON(sizeof(struct lb_conn_priv) > sizeof(c->priv));
	return (struct lb_conn_priv *)c->priv;
}

/**
 * Make the established full-NAT TCP connection c a SYN-proxied one whose
 * server sequence space is s_delta above the client's view (and TSval
 * ts_delta; 0 = timestamps untranslated): what a backup would install
 * for a synced SYN-proxied connection, and what the benchmark measures.
 * Its worker only.  0 or -EINVAL.
 */
int lb_synproxy_adopt(struct dp_worker *w, struct conn *c, uint32_t s_delta,
		      uint32_t ts_delta);

/** Drop c now (a flush), releasing it exactly as expiry does: its
 * dest's counts and reference; then the entry.  Its worker only. */
void lb_conn_drop(struct dp_worker *w, struct conn *c);

/* ---- HA connection sync -------------------------------------------- */

/*
 * The HA connection sync, the load balancer's half (lb_sync.c; the
 * sockets, the wire format and the roles are ha/sync.h's).
 *
 * Master.  A worker reports a connection to the main lcore with a record
 * (struct lb_sync_rec) on its `out` ring (dp_sync_worker, SP/SC) when
 * IPVS's sync daemon would (ip_vs_sync_conn_needed() in the kernel's
 * ip_vs_sync.c, sysctls in ipvs-sysctl.rst):
 *  - a TCP connection only in ESTABLISHED, FIN_WAIT, CLOSE, CLOSE_WAIT
 *    or TIME_WAIT; a change into one of the last four is sent at once;
 *  - otherwise (ESTABLISHED, UDP) when its incoming packets, counted
 *    modulo sync_period, reach sync_threshold (defaults 3 and 50: the
 *    3rd packet, then every 50th);
 *  - with sync_refresh_period, only when the connection's expiry moved
 *    by that much (or by half its timeout, at least 10 s) since the last
 *    record, plus up to sync_retries repeats every period / 8; with
 *    sync_period 0 as well, on time alone; with both 0, once;
 *  - a persistence template with each record of a connection it controls
 *    (rate-limited by sync_refresh_period only).
 * The packet path pays one predictable test when sync is off
 * (lb_sync_in(): the worker's sync_conf.mode), and when it is on a
 * counter in the connection's own cache line (conn->aux, struct
 * lb_sync_cs) and a compare; the rest runs out of line.  The master also
 * walks its table on demand (a full dump: dump_req), in bounded steps
 * from the worker loop, onto the same ring.
 *
 * Backup.  The main lcore hands each received record to the worker that
 * owns its flow (lb_sync_owner(): the same steering as live traffic) on
 * that worker's `in` ring; the worker installs it (lb_sync_install()) as
 * any connection, holding its dest and, for full NAT, its local address
 * and port, in the record's state with that state's local timeout, and
 * flags it LB_CONN_F_SYNCED.  Installed entries age out like any other;
 * a later record updates them.
 *
 * Time on a worker is its now_ms (TSC milliseconds); a record carries it
 * in `ms` and the main lcore converts it to and from the wall clock for
 * the wire (the lag measure).
 */

/* dp_sync_conf.mode */
enum lb_sync_mode {
	LB_SYNC_OFF,	/* not a master: report nothing */
	LB_SYNC_PKTS,	/* by packet counts (sync_period or once) */
	LB_SYNC_TIME,	/* sync_period 0 and sync_refresh_period: by time */
};

/* dp_sync_worker.work: what the worker loop serves */
#define LB_SYNC_WORK_INSTALL 0x1	/* drain `in` (a backup runs) */
#define LB_SYNC_WORK_DUMP 0x2		/* a table walk was asked for */

#define LB_SYNC_TICK_SHIFT 8		/* sync times in ticks of 256 ms */
#define LB_SYNC_RING_SIZE 32768		/* records per ring */

/* lb_sync_rec.flags */
#define LB_SYNC_F_TEMPLATE 0x01	/* a persistence template: client net,
				 * cport 0 -> VIP:vport */
#define LB_SYNC_F_DUMP 0x02	/* from a table walk */
#define LB_SYNC_F_PEER 0x04	/* the sender's entry came from its peer */
#define LB_SYNC_F_IPV6 0x08	/* an IPv6 connection (the conn6 table):
				 * caddr6, vaddr6; the server side in
				 * daddr6, laddr6 ... */
#define LB_SYNC_F_SERVER4 0x10	/* ... or, NAT64, in daddr, laddr */
#define LB_SYNC_F_CLIENT4 0x20	/* an IPv4 connection to an IPv6 dest (an
				 * IPv4-in-IPv6 tunnel): caddr, vaddr; the
				 * server in daddr6 */

/**
 * A connection as the pair moves it (104 bytes, a ring element).
 * Addresses and ports in network order.  laddr/lport: FNAT and SNAT
 * only (and NAT64).  daddr/dport: the real server.  An IPv6 connection
 * (LB_SYNC_F_IPV6) has its client side in caddr6/vaddr6 and its server
 * side in daddr6/laddr6, or for NAT64 (LB_SYNC_F_SERVER4) in the IPv4
 * daddr/laddr; an IPv4 one to an IPv6 tunnel dest (LB_SYNC_F_CLIENT4)
 * has its server in daddr6; the fields of the other family are zero.  ms: the event's time, the
 * sender's worker clock on the master's side, the receiver's worker
 * clock once decoded (0: unknown).
 */
struct lb_sync_rec {
	rte_be32_t caddr, vaddr, daddr, laddr;
	rte_be16_t cport, vport, dport, lport;
	uint8_t proto;
	uint8_t state;		/* enum tcp_state, enum udp_state */
	uint8_t fwd;		/* enum conn_fwd */
	uint8_t flags;		/* LB_SYNC_F_* */
	uint32_t timeout_s;	/* the sender's timeout of the state */
	uint32_t ms;
	uint16_t n_workers;	/* the sender's worker count (wire) */
	uint16_t reserved;
	uint8_t caddr6[16], vaddr6[16], daddr6[16], laddr6[16];
};

/**
 * A connection's sync state, in conn->aux.  pkts: LB_SYNC_PKTS, the
 * incoming packets modulo sync_period; LB_SYNC_TIME, the tick from
 * which the next packet may be reported.  endtime: as IPVS's
 * sync_endtime, the connection's expiry in ticks when last reported,
 * the low two bits counting the retries; 0 = never reported.
 */
struct lb_sync_cs {
	uint16_t pkts;
	uint16_t endtime;
};

static inline struct lb_sync_cs *
lb_sync_cs(struct conn *c)
{
	RTE_BUILD_BUG_ON(sizeof(struct lb_sync_cs) != sizeof(c->aux));
	return (struct lb_sync_cs *)&c->aux;
}

static inline uint16_t
lb_sync_tick(uint32_t now_ms)
{
	return (uint16_t)(now_ms >> LB_SYNC_TICK_SHIFT);
}

/** The out-of-line half of lb_sync_in(): decide and report. */
void lb_sync_check(struct dp_worker *w, struct conn *c);

/**
 * A packet from the client (INPUT, INPUT_ONLY) of connection c, after
 * its state change: report c if IPVS's rules say so.  One test when
 * sync is off.
 */
static __rte_always_inline void
lb_sync_in(struct dp_worker *w, struct conn *c)
{
	const struct dp_sync_conf *sc = &w->sync_conf;
	struct lb_sync_cs *s;
	uint16_t n;

	if (likely(sc->mode == LB_SYNC_OFF))
		return;
	s = lb_sync_cs(c);
	if (sc->mode == LB_SYNC_PKTS) {
		n = (uint16_t)(s->pkts + 1);
		if (n >= sc->wrap)
			n = 0;
		s->pkts = n;
		if (likely(n != sc->threshold))
			return;
	} else if (s->pkts != 0 &&
		   (int16_t)(lb_sync_tick(w->now_ms) - s->pkts) < 0) {
		return;
	}
	lb_sync_check(w, c);
}

/** c changed state (lb_set_state()) and lb_sync_state_wanted() says
 * so: a TCP close state is reported at once. */
void lb_sync_state(struct dp_worker *w, struct conn *c);

/* TCP states a change into is reported at once (IPVS's forced sync). */
#define LB_SYNC_FORCED_STATES                                        \
	(1u << TCP_S_FIN_WAIT | 1u << TCP_S_CLOSE | 1u << TCP_S_CLOSE_WAIT | \
	 1u << TCP_S_TIME_WAIT)

/**
 * Whether c's change of state is the sync's business: a TCP close
 * state, or any change when reporting by time (the new state's timeout
 * moves the next report).  A change into ESTABLISHED counting packets
 * waits for sync_threshold, as in IPVS.
 */
static inline bool
lb_sync_state_wanted(const struct dp_worker *w, const struct conn *c)
{
	if (likely(w->sync_conf.mode == LB_SYNC_OFF))
		return false;
	return w->sync_conf.mode == LB_SYNC_TIME ||
	       (c->proto == IPPROTO_TCP &&
		((1u << c->state) & LB_SYNC_FORCED_STATES));
}

/**
 * Worker loop: install the records of `in` (a backup), take a step of
 * a table walk (a master asked for a dump).  Returns the work done (0:
 * none).  One load when there is nothing to do.
 */
unsigned int lb_sync_serve_slow(struct dp_ctx *dp, struct dp_worker *w);

static inline unsigned int
lb_sync_serve(struct dp_ctx *dp, struct dp_worker *w)
{
	if (likely(__atomic_load_n(&w->sync.work, __ATOMIC_RELAXED) == 0))
		return 0;
	return lb_sync_serve_slow(dp, w);
}

/** What lb_sync_install() did. */
enum lb_sync_result {
	LB_SYNC_ADDED,
	LB_SYNC_UPDATED,
	LB_SYNC_DROPPED,
};

/**
 * Install record r on worker w (its owner, lb_sync_owner()): add the
 * connection (or template) or update the one there, counting it in
 * w->sync (installed, updated, drops by reason, lag).  Worker only.
 */
enum lb_sync_result lb_sync_install(struct dp_ctx *dp, struct dp_worker *w,
				    const struct lb_sync_rec *r);

/**
 * Main lcore: the worker that owns r's flow here, as the packet path
 * steers it (the client's hash; for a persistent service the client's
 * net), into *owner; false with the reason in *why when r cannot be
 * installed here: SYNC_DROP_UNKNOWN_SERVICE (no service for it),
 * SYNC_DROP_WORKERS (a full-NAT local port outside that worker's slice:
 * the peers run different worker counts), SYNC_DROP_BAD_RECORD.
 */
bool lb_sync_owner(const struct dp_ctx *dp, const struct lb_sync_rec *r,
		   unsigned int *owner, enum sync_drop *why);

/** Create every worker's rings.  0 or a negative errno. */
int lb_sync_init(struct dp_ctx *dp);

/** The worker clock (now_ms) as the workers read it. */
uint32_t lb_clock_ms(void);

/* ---- IPv6 connections (lb6.c), for the control plane's listings -- */

struct conn6_table;
/** Every worker's IPv6 connection table (lb_start(); unit tests);
 * 0 or a negative errno. */
int lb6_init(struct dp_ctx *dp);
void lb6_free(struct dp_ctx *dp);
/** Worker w's IPv6 connection table (NULL before lb_start()). */
struct conn6_table *lb6_table(const struct dp_worker *w);
/** Flush one IPv6 connection of w now, as expiry would (lb_conn_drop()). */
void lb6_conn_drop(struct dp_worker *w, struct conn *c);

/* IPv6 persistence templates (lb6.c), for the HA sync's installs. */
struct conn6_key;
struct lb_svc_snap;
struct lb_dest_snap;
/** The template of persistent svc for the client of in (in w's conn6
 * table), or NULL. */
struct conn *lb6_tmpl_get(struct dp_worker *w, const struct lb_svc_snap *svc,
			  const struct conn6_key *in);
/** A new template of svc for in's client net (svc's prefix) to d, held
 * and counted as a scheduled one; NULL (rte_errno) when it cannot be. */
struct conn *lb6_tmpl_add(struct dp_worker *w, const struct lb_svc_snap *svc,
			  const struct conn6_key *in,
			  const struct lb_dest_snap *d);
/** Link IPv6 connection c to template t (NULL: nothing), unless it is
 * linked already: t lives while c does. */
void lb6_tmpl_link(struct dp_worker *w, struct conn *c, struct conn *t);

#endif /* DPLB_LB_H */
