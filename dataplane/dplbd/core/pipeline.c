/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pipeline: the receive path of a worker (pipeline.h).
 *
 * Taken one at a time, a packet goes through Ethernet, IPv4 and the
 * load balancer to its end before the next one starts, so with a large
 * connection table every packet waits for its own cache misses (hash
 * bucket, then entry).  A burst goes in three stages instead:
 *
 *   1. Ethernet and IPv4 (net_ipv4_usual()): the usual packet (unicast
 *      to us, IPv4 without options, valid, not a fragment, routed
 *      locally or in transit) is checked once, the others are marked
 *      for the full path;
 *   2. the load balancer (lb_burst_lookup()): the TCP and UDP packets
 *      it takes are classified and their connection keys looked up
 *      together, which prefetches the buckets and entries of the whole
 *      burst so that their misses overlap; of the packets stage 1 left,
 *      the usual IPv6 ones to us (net_ipv6_usual_local()) likewise, in
 *      the IPv6 table;
 *   3. in arrival order, each packet is finished (lb_burst_next()): a
 *      held one with its connection, and what the load balancer passes
 *      back by its verdict: the full path (pipeline_input()), the twin,
 *      or plain forwarding.
 *
 * The checks of stage 1 are those of l2_input() for the packets they
 * accept, and everything else takes the full path, so counters, drop
 * reasons and the twin see what they would one packet at a time.
 */
#include <rte_prefetch.h>

#include "core/pipeline.h"
#include "core/stats.h"
#include "core/tx.h"
#include "lb/lb.h"
#include "net/net.h"
#include "net6/net6.h"
#include "ops/trace.h"

#define PREFETCH_AHEAD 3	/* packets whose headers load ahead */

/* An IPv6 frame (NET_IPV6): net6/'s verdict, then the load balancer's
 * for a local or transit packet.  Out of line: IPv4 packets never come here. */
static __rte_noinline void
input6(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
       struct rte_mbuf *m, struct trace_pkt *t)
{
	struct net_ipv6 in;
	enum lb_verdict lv;

	switch (ipv6_input(dp, w, port, m, &in)) {
	case NET6_LOCAL:
		lv = lb_input_local6(dp, w, port, in.m, in.ip, in.proto,
				     in.l4_off);
		if (t != NULL)
			trace_lb(t, lv);
		if (lv == LB_PASS)
			dp_to_twin(dp, w, port, in.m);
		break;
	case NET6_TRANSIT:
		lv = lb_input_transit6(dp, w, port, in.m, in.ip, in.proto,
				       in.l4_off);
		if (t != NULL)
			trace_lb(t, lv);
		if (lv == LB_PASS)
			ipv6_forward(dp, w, &in);
		break;
	case NET6_CONSUMED:
		break;
	}
}

/* The full path of one packet; t (a constant NULL but for traced
 * packets, so the compiler drops the recording) notes the verdicts. */
static __rte_always_inline void
input(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
      struct rte_mbuf *m, struct trace_pkt *t)
{
	struct net_ipv4 in;
	enum net_verdict nv = l2_input(dp, w, port, m, &in);
	enum lb_verdict lv;

	if (t != NULL)
		trace_net(t, nv);
	switch (nv) {
	case NET_LOCAL:
		/* in.m: l2_input() may have made the packet whole (fragments,
		 * a chain) */
		lv = lb_input_local(dp, w, port, in.m, in.ip, in.ihl);
		if (t != NULL)
			trace_lb(t, lv);
		if (lv == LB_PASS)
			dp_to_twin(dp, w, port, in.m);
		break;
	case NET_TRANSIT:
		lv = lb_input_transit(dp, w, port, in.m, in.ip, in.ihl);
		if (t != NULL)
			trace_lb(t, lv);
		if (lv == LB_PASS)
			ipv4_forward(dp, w, in.m, in.ip, in.r);
		break;
	case NET_IPV6:
		input6(dp, w, port, m, t);
		break;
	case NET_CONSUMED:
		break;
	}
}

void
pipeline_input(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
	       struct rte_mbuf *m)
{
	input(dp, w, port, m, NULL);
}

/* A trace is armed: one packet, recorded if it matches (ops/trace.h). */
static void
input_traced(struct dp_ctx *dp, struct dp_worker *w, struct trace_session *s,
	     uint16_t port, struct rte_mbuf *m, bool steered)
{
	struct trace_pkt *t = trace_begin(dp, w, s, port, m, steered);

	if (t == NULL) {
		input(dp, w, port, m, NULL);
		return;
	}
	input(dp, w, port, m, t);
	trace_end(dp, w, t);
}

/* A trace is armed: a burst with a matching packet goes one packet at a
 * time, so that each one's path can be told apart.  False when none
 * matches: the burst takes the usual path. */
static bool
rx_burst_traced(struct dp_ctx *dp, struct dp_worker *w,
		struct trace_session *s, uint16_t port,
		struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t i;

	if (!trace_wants(s))
		return false;
	for (i = 0; i < n && !trace_match(s, port, pkts[i]); i++)
		;
	if (i == n)
		return false;
	for (i = 0; i < n; i++) {
		w->stats.rx_bytes += rte_pktmbuf_pkt_len(pkts[i]);
		input_traced(dp, w, s, port, pkts[i], false);
	}
	return true;
}

void
pipeline_steered(struct dp_ctx *dp, struct dp_worker *w,
		 struct rte_mbuf **pkts, unsigned int n)
{
	struct trace_session *s = trace_armed(w);
	unsigned int i;

	if (likely(s == NULL)) {
		for (i = 0; i < n; i++)
			input(dp, w, pkts[i]->port, pkts[i], NULL);
		return;
	}
	for (i = 0; i < n; i++)
		input_traced(dp, w, s, pkts[i]->port, pkts[i], true);
}

/* Stage 3: what the load balancer passes back, by its verdict. */
static void
pipeline_finish(struct dp_ctx *dp, struct dp_worker *w, struct lb_burst *b)
{
	enum lb_verdict v;
	unsigned int i = 0;

	while ((v = lb_burst_next(dp, w, b, &i)) != LB_END) {
		struct rte_mbuf *m = b->pkts[i];

		if (v == LB_PASS_INPUT)
			pipeline_input(dp, w, b->port, m);
		else if (b->r[i] == NULL || b->r[i]->type == ROUTE_LOCAL)
			dp_to_twin(dp, w, b->port, m);	/* NULL: IPv6 to us */
		else
			ipv4_forward(dp, w, m, b->ip[i], b->r[i]);
		i++;
	}
}

void
pipeline_rx_burst(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
		  struct rte_mbuf **pkts, uint16_t n)
{
	struct trace_session *s = trace_armed(w);	/* once a burst */
	struct net_dst_memo memo;
	struct lb_burst b;
	unsigned int base, i;
	uint64_t t;

	net_dst_memo_init(&memo);
	if (unlikely(s != NULL) && rx_burst_traced(dp, w, s, port, pkts, n))
		return;
	b.port = port;
	for (base = 0; base < n; base += b.n) {
		b.n = RTE_MIN((unsigned int)n - base, (unsigned int)LB_BURST_MAX);
		t = stage_now();
		for (i = 0; i < b.n; i++) {
			struct rte_mbuf *m = pkts[base + i];

			if (base + i + PREFETCH_AHEAD < n)
				rte_prefetch0(rte_pktmbuf_mtod(
					pkts[base + i + PREFETCH_AHEAD], void *));
			w->stats.rx_bytes += rte_pktmbuf_pkt_len(m);
			b.pkts[i] = m;
			b.r[i] = net_ipv4_usual(dp, port, m, &b.ip[i], &memo);
		}
		t = stage_add(STAGE_L3, t);
		lb_burst_lookup(dp, w, &b);
		t = stage_add(STAGE_LOOKUP, t);
		pipeline_finish(dp, w, &b);
		stage_add(STAGE_FINISH, t);
		stage_pkts(b.n);
	}
}
