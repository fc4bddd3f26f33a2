/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <time.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "ctl/conn_ctl.h"
#include "lb/lb.h"
#include "log.h"
#include "net/net.h"
#include "core/pipeline.h"
#include "core/stats.h"
#include "core/tx.h"
#include "core/worker.h"

/* Empty polls in a row before the first sleep. */
#define IDLE_POLLS_BEFORE_SLEEP 64
/* Twin (net_tap) rx costs a read() syscall even when empty, and carries
 * only control-plane traffic: poll it once every this many loops. */
#define TWIN_POLL_EVERY 16

static struct dp_ctx *the_ctx;

struct dp_ctx *
worker_ctx(void)
{
	return the_ctx;
}

int
worker_init_all(struct dp_ctx *dp)
{
	char name[RTE_RING_NAMESIZE];
	unsigned int i;

	dp->workers = rte_zmalloc("workers",
				  sizeof(*dp->workers) * dp->n_workers,
				  RTE_CACHE_LINE_SIZE);
	if (dp->workers == NULL)
		return -ENOMEM;
	for (i = 0; i < dp->n_workers; i++) {
		struct dp_worker *w = &dp->workers[i];

		w->id = i;
		snprintf(name, sizeof(name), "dplb_tx%u", i);
		/* Multi-producer: the main lcore and workers that own no
		 * tx queue on a port hand their frames to the owner here. */
		w->tx_ring = rte_ring_create(name, DP_TX_RING_SIZE,
					     rte_socket_id(), RING_F_SC_DEQ);
		if (w->tx_ring == NULL)
			return -rte_errno;
		snprintf(name, sizeof(name), "dplb_steer%u", i);
		w->steer_ring = rte_ring_create(name, DP_STEER_RING_SIZE,
						rte_socket_id(), RING_F_SC_DEQ);
		if (w->steer_ring == NULL)
			return -rte_errno;
		if (rte_rcu_qsbr_thread_register(dp->qsv, i) != 0)
			return -rte_errno;
	}
	the_ctx = dp;
	return 0;
}

/* The kernel's own frames, from a twin, leave by its port as they are. */
static void
twin_burst(struct dp_ctx *dp, struct dp_worker *w, const struct dp_rxq *q,
	   struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t port_id = dp->ports[q->dp_port].port_id;
	uint16_t i;

	for (i = 0; i < n; i++) {
		w->stats.rx_bytes += rte_pktmbuf_pkt_len(pkts[i]);
		w->stats.from_twin++;
		dp_tx(w, port_id, pkts[i]);
	}
}

/* Frames for this worker's tx queues, from the main lcore and from
 * workers without a queue on the port; m->port says where.  Up to four
 * tx bursts a loop, so that a worker sending for others keeps up. */
static unsigned int
drain_tx_ring(struct dp_worker *w)
{
	struct rte_mbuf *pkts[256];
	unsigned int n, i;

	n = rte_ring_sc_dequeue_burst(w->tx_ring, (void **)pkts,
				      RTE_DIM(pkts), NULL);
	for (i = 0; i < n; i++)
		dp_tx(w, pkts[i]->port, pkts[i]);
	return n;
}

static void
idle_sleep(struct dp_ctx *dp, struct dp_worker *w)
{
	struct timespec ts;

	w->sleep_us = w->sleep_us == 0 ? 1 : w->sleep_us * 2;
	if (w->sleep_us > dp->idle_sleep_max_us)
		w->sleep_us = dp->idle_sleep_max_us;
	ts.tv_sec = w->sleep_us / 1000000;
	ts.tv_nsec = (long)(w->sleep_us % 1000000) * 1000;
	/* Offline while asleep, so control-plane grace periods never wait
	 * for a sleeping worker. */
	rte_rcu_qsbr_thread_offline(dp->qsv, w->id);
	nanosleep(&ts, NULL);
	rte_rcu_qsbr_thread_online(dp->qsv, w->id);
	w->stats.sleeps++;
	w->stats.sleep_us += w->sleep_us;
}

static void
account_idle(struct dp_ctx *dp, struct dp_worker *w, unsigned int work)
{
	w->stats.polls++;
	if (work != 0) {
		w->empty_streak = 0;
		w->sleep_us = 0;
		return;
	}
	w->stats.empty_polls++;
	if (dp->idle_sleep_max_us != 0 &&
	    ++w->empty_streak >= IDLE_POLLS_BEFORE_SLEEP)
		idle_sleep(dp, w);
}

/* Packets other workers steered to us: they enter the pipeline as if
 * received here; m->port carries the dplb port they arrived on. */
static unsigned int
drain_steer_ring(struct dp_ctx *dp, struct dp_worker *w)
{
	struct rte_mbuf *pkts[64];
	unsigned int n;

	n = rte_ring_sc_dequeue_burst(w->steer_ring, (void **)pkts,
				      RTE_DIM(pkts), NULL);
	if (n != 0)
		pipeline_steered(dp, w, pkts, n);
	w->stats.steered_in += n;
	return n;
}

/* Receive and process one burst from each queue; returns the packets. */
static unsigned int
poll_queues(struct dp_ctx *dp, struct dp_worker *w, bool twins)
{
	struct rte_mbuf *pkts[DP_MAX_BURST];
	unsigned int i, work = 0;
	uint16_t n;

	for (i = 0; i < w->n_rxq; i++) {
		const struct dp_rxq *q = &w->rxq[i];

		if (q->twin && !twins)
			continue;
		n = rte_eth_rx_burst(q->port_id, q->queue, pkts,
				     (uint16_t)dp->burst);
		if (n == 0)
			continue;
		w->stats.rx_bursts++;
		w->stats.rx_packets += n;
		if (q->twin)
			twin_burst(dp, w, q, pkts, n);
		else
			pipeline_rx_burst(dp, w, q->dp_port, pkts, n);
		work += n;
	}
	return work;
}

int
worker_main(void *arg)
{
	struct dp_worker *w = arg;
	struct dp_ctx *dp = the_ctx;
	uint64_t loops = 0;
	unsigned int work;

	/* Let short sleeps be short. */
	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	w->lcore = rte_lcore_id();
	stage_cycles_register();
	rte_rcu_qsbr_thread_online(dp->qsv, w->id);
	while (!dp->quit) {
		net_turn(dp, w);
		lb_expire_tick(dp, w);
		frag_expire_tick(dp, w);
		/* After a sleep the twin is due anyway: it may have waited. */
		work = poll_queues(dp, w, ++loops % TWIN_POLL_EVERY == 0 ||
						  w->sleep_us != 0);
		work += drain_steer_ring(dp, w);
		work += drain_tx_ring(w);
		work += conn_ctl_serve(dp, w);	/* one page at most */
		work += lb_sync_serve(dp, w);	/* HA sync records, dumps */
		dp_tx_flush_all(dp, w);
		rte_rcu_qsbr_quiescent(dp->qsv, w->id);
		account_idle(dp, w, work);
	}
	rte_rcu_qsbr_thread_offline(dp->qsv, w->id);
	return 0;
}
