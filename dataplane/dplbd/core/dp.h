/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dp: the dataplane context shared by the main lcore and the workers.
 *
 * Ownership: the main lcore builds and changes everything here; a
 * worker reads the route and neighbour tables (lock-free, RCU), reads
 * its own struct dp_worker and writes only its counters.  Packets move
 * between lcores only through rte_rings: workers -> main on slow_ring
 * (ARP to learn, packets waiting for a neighbour); the main lcore and
 * other workers -> a worker on that worker's tx_ring (frames to send on
 * a tx queue the worker owns, so that every tx queue has one writer,
 * see port.h for who owns which queue).
 */
#ifndef DPLB_DP_H
#define DPLB_DP_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "config/config.h"
#include "net/neigh.h"
#include "net/route.h"
#include "net6/route6.h"
#include "core/stats.h"

#define DP_MAX_WORKERS 64
#define DP_MAX_PORTS CFG_MAX_PORTS
#define DP_MAX_BURST 512
#define DP_NO_PORT UINT16_MAX
#define DP_SLOW_RING_SIZE 4096
#define DP_TX_RING_SIZE 4096
#define DP_STEER_RING_SIZE 4096

struct flow_port;

struct dp_port {
	char name[CFG_IFNAMSIZ];
	uint16_t port_id;		/* DPDK port id */
	uint16_t twin_id;		/* DPDK port id of the twin or DP_NO_PORT */
	struct rte_ether_addr mac;
	uint16_t mtu;
	uint16_t nb_rxq;
	uint16_t nb_txq;
	bool tx_ipv4_cksum;		/* hardware fills the IPv4 checksum */
	bool tx_l4_cksum;		/* hardware fills TCP/UDP checksums */
	bool rx_cksum;			/* hardware checks rx checksums */
	uint16_t tx_mtu;		/* largest IPv4 packet sent whole: the
					 * MTU, or less when the device sends
					 * no mbuf chains and the MTU exceeds
					 * one mbuf */
	rte_be32_t addr4;		/* the port's first IPv4 address: the
					 * source of what workers originate
					 * (ICMP errors, tunnels); 0 = none.
					 * netcfg stores it atomically */
	uint16_t q_base;		/* queue q belongs to worker
					 * (q + q_base) % n_workers */
	uint16_t twin_nq;		/* twin queue pairs; q: worker q */
	char driver[32];
	/* rte_flow steering of full-NAT replies (flow.h), main lcore only */
	struct flow_port *flow;		/* NULL: software steering */
	char flow_why[96];		/* why software, for port.list */
	/* interface addresses, control plane only */
	unsigned int n_addrs;
	struct inet_prefix addrs[CFG_MAX_PORT_ADDRS];
};

/* What a worker polls. */
struct dp_rxq {
	uint16_t port_id;	/* DPDK port id */
	uint16_t queue;
	uint16_t dp_port;	/* dplb port index */
	bool twin;		/* kernel twin: frames go out of dp_port */
};

/*
 * Frames a worker is about to send, per DPDK port.  A worker that owns
 * no tx queue on the port (fewer queues than workers) hands its frames
 * to the tx_ring of the worker that owns one (via), which sends them.
 */
struct dp_txbuf {
	uint16_t n;
	uint16_t queue;			/* own tx queue, if via is NULL */
	uint16_t via_worker;		/* else: the queue owner, */
	struct rte_ring *via;		/* its tx_ring */
	uint64_t bytes;			/* of pkts[0..n), counted as they
					 * queue, while the mbuf is at hand */
	struct rte_mbuf *pkts[64];
};

/*
 * A worker's settings of the HA connection sync (lb/lb.h, lb_sync.c): which
 * connections its packet path reports, as IPVS's sync_threshold,
 * sync_period, sync_refresh_period and sync_retries say.  The main lcore
 * writes them while the worker runs (naturally aligned stores; a worker
 * may use the old values for a loop turn).
 */
struct dp_sync_conf {
	uint8_t mode;			/* LB_SYNC_OFF (0): the packet path's
					 * only test when sync is off */
	uint8_t retries;		/* sync_retries, 0..3 */
	uint16_t threshold;		/* sync_threshold[0] */
	uint16_t period;		/* sync_threshold[1], 0 = none */
	uint16_t wrap;			/* the packet count's modulus: period,
					 * or 65535 without one */
	uint16_t refresh_t;		/* sync_refresh_period in ticks of
					 * 256 ms, 0 = none */
};

/*
 * A worker's rings and counters of the HA connection sync.  `out` carries
 * the records the worker emits to the main lcore (the worker produces,
 * the main lcore consumes), `in` the records the main lcore received for
 * the worker to install (the other way round): single producer, single
 * consumer each.  `work` tells the worker's loop whether it has anything
 * to do (LB_SYNC_WORK_*, set by the main lcore).
 */
struct dp_sync_worker {
	struct rte_ring *out;
	struct rte_ring *in;
	uint32_t work;			/* main lcore: LB_SYNC_WORK_* */
	uint32_t dump_req;		/* main lcore: bumped for a table walk */
	uint32_t dump_done;		/* worker: dump_req once walked */
	uint32_t dump_cursor;		/* worker: conn_foreach() cursor */
	uint64_t dump_allow;		/* main lcore: `dumped` may reach
					 * this (the dump's pace) */
	/* the worker's counters */
	uint64_t emitted;		/* records queued to the main lcore */
	uint64_t ring_full;		/* records lost: `out` was full */
	uint64_t dumped;		/* of which from table walks */
	uint64_t installed;		/* records that added a connection */
	uint64_t updated;		/* records that updated one */
	uint64_t drops[SYNC_DROP_MAX];
	uint64_t lag_sum_ms;		/* event on the master -> installed */
	uint64_t lag_n;
	uint32_t lag_max_ms;
} __rte_cache_aligned;

struct dp_worker {
	unsigned int id;		/* 0..n_workers-1, also RCU thread id */
	unsigned int lcore;
	unsigned int n_rxq;
	struct dp_rxq rxq[2 * DP_MAX_PORTS];
	struct rte_ring *tx_ring;	/* main, other workers -> this one
					 * (MP/SC): frames for its tx
					 * queues, m->port = DPDK port id */
	struct rte_ring *steer_ring;	/* other workers -> this one: flows
					 * this worker owns (see steer.h) */
	struct dp_txbuf txb[RTE_MAX_ETHPORTS];
	struct conn_table *conns;	/* this worker's connections */
	uint32_t now_ms;		/* coarse clock, once per loop */
	uint32_t lport_seq;		/* rotates SNAT's address and port
					 * choices */
	uint32_t lip_turn;		/* the next LIP of a full-NAT group */
	struct dp_sync_conf sync_conf;	/* HA sync: what to report */
	uint32_t sleep_us;		/* current back-off */
	uint32_t empty_streak;
	struct lcore_stats stats;
	struct dp_sync_worker sync;	/* HA sync: rings, counters */
	struct route6_memo route6_memo;	/* its last IPv6 routes */
} __rte_cache_aligned;

/* Why a packet went to the main lcore (kept in an mbuf dynfield). */
enum slow_kind {
	SLOW_ARP,	/* learn the sender; pass to the twin */
	SLOW_RESOLVE,	/* waiting for the next hop's MAC */
	SLOW_LEARN,	/* nexthop is at the MAC prepended to the frame
			 * (Neighbor Discovery, net6/): the mbuf's dynamic
			 * fields have no room for it */
};

#define SLOW_LEARN_CREATE 0x1	/* may make a new neighbour entry */
#define SLOW_LEARN_TWIN 0x2	/* then pass the frame to the twin */
#define SLOW_LEARN_CLAIM 0x4	/* nexthop is an address of ours that
				 * another node announced: not learnt */

struct slow_meta {
	uint8_t kind;		/* enum slow_kind */
	uint8_t learn;		/* SLOW_LEARN: SLOW_LEARN_* */
	uint16_t port;		/* dplb port index */
	struct inet_addr nexthop;
};

struct lb_store;
struct conn_table;

struct dp_ctx {
	struct dplb_config *cfg;
	struct rte_mempool *pool;
	struct rte_rcu_qsbr *qsv;
	struct rte_ring *slow_ring;	/* workers -> main */
	struct route_table routes;
	struct route6_table routes6;	/* IPv6 (net6/route6.h) */
	struct neigh_table neigh;	/* both families */
	unsigned int n_ports;
	uint32_t tx_frame_max;		/* the least tx_mtu of the ports plus
					 * the Ethernet header: a frame up to
					 * this fits any port (one compare) */
	struct dp_port ports[DP_MAX_PORTS];
	int16_t port_of[RTE_MAX_ETHPORTS];	/* DPDK id -> index, -1 */
	unsigned int n_workers;
	struct dp_worker *workers;	/* n_workers, cache aligned */
	unsigned int main_lcore;
	struct lcore_stats main_stats;
	int slow_meta_off;		/* mbuf dynfield offset */
	bool ip_forward;
	unsigned int burst;
	unsigned int idle_sleep_max_us;
	volatile bool quit;
	char boot_id[37];
	uint64_t start_ms;
	/* Virtual services (lb_svc.h): the main lcore changes the store,
	 * workers read its published snapshot with lb_snap_get(). */
	struct lb_store *lb;
};

static inline struct slow_meta *
slow_meta(const struct dp_ctx *dp, struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, dp->slow_meta_off, struct slow_meta *);
}

/**
 * Start the dataplane from cfg: DPDK's EAL, memory, neighbour and route
 * tables, workers, ports and twins, then the config's addresses, routes,
 * laddr groups and services.  The workers are not launched yet.  0 or a
 * negative errno, the cause logged.
 */
int dp_start(struct dp_ctx *dp, struct dplb_config *cfg);

/** Launch a worker loop (worker_main) on every worker lcore. */
void dp_launch_workers(struct dp_ctx *dp);

/** Tell the workers to stop and wait until they have. */
void dp_wait_workers(struct dp_ctx *dp);

/** dp_wait_workers(), then free what dp_start() made (after the
 * control server, whose lease hooks still change routes, is gone). */
void dp_stop(struct dp_ctx *dp);

/** Monotonic milliseconds (control plane). */
uint64_t dp_now_ms(void);

/** Index of the dplb port called name, or -1. */
int dp_port_by_name(const struct dp_ctx *dp, const char *name);

#endif /* DPLB_DP_H */
