/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * flow: rte_flow rules that deliver full-NAT return traffic (server ->
 * LIP:lport) to the rx queue of the worker that owns lport, so that on
 * such a port it never needs the software redirect (steer.h).
 *
 * Each worker owns a contiguous slice of every local address's port
 * space (steer_lport_range()).  A slice is decomposed into prefix blocks
 * (value/mask pairs, as a TCAM stores a range), and for every local
 * address, protocol (TCP, UDP) and block the port gets one ingress rule:
 *   eth / ipv4 dst is LIP / tcp|udp dst spec V dst mask M -> queue Q
 * where Q is the rx queue the owning worker polls.  Blocks of different
 * slices are disjoint, so rules need no priorities.  Ports below the
 * full-NAT range match no rule and keep their default queue.
 *
 * A port qualifies when dplbd runs more than one worker, the port has
 * an rx queue per worker and it accepts a probe rule: rte_flow_validate,
 * then create and destroy, because some PMDs validate rules they cannot
 * create (net_tap without the kernel's multiq/flower/skbedit).  A port on
 * which any rule later fails falls back to software steering for good:
 * its rules are removed, so it never runs with a partial set.  Software
 * steering stays in the packet path either way; the rules only make it
 * unnecessary, so the fallback is never a correctness problem.
 *
 * Everything here runs on the main lcore.
 */
#ifndef DPLB_FLOW_H
#define DPLB_FLOW_H

#include <stdint.h>

#include "core/dp.h"

/** Ports p with (p & mask) == value; mask is a prefix (ones, then zeros). */
struct flow_block {
	uint16_t value;
	uint16_t mask;
};

/* A 16-bit range needs at most 2 * 16 - 2 = 30 prefix blocks. */
#define FLOW_MAX_BLOCKS 30

/**
 * Decompose [lo, hi] into the fewest disjoint prefix blocks that cover
 * it exactly, in increasing order.  Returns their number, -EINVAL if
 * lo > hi, -ENOSPC if more than max are needed.
 */
int flow_range_blocks(uint16_t lo, uint16_t hi, struct flow_block *out,
		      unsigned int max);

/** One rule of a local address: protocol, block, owning worker. */
struct flow_rule_spec {
	uint8_t proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t worker;
	struct flow_block blk;
};

/* Rules per local address, at most. */
#define FLOW_MAX_RULES_PER_ADDR (2 * DP_MAX_WORKERS * FLOW_MAX_BLOCKS)

/**
 * The rules of one local address with n_workers workers: for TCP and
 * UDP, every worker's steer_lport_range() slice as prefix blocks.
 * Returns their number, -EINVAL for a bad worker count, -ENOSPC if more
 * than max.
 */
int flow_plan(unsigned int n_workers, struct flow_rule_spec *out,
	      unsigned int max);

/**
 * Decide whether port i steers with rte_flow (after its queues are
 * assigned): sets dp->ports[i].flow, or .flow_why for software.
 */
void flow_probe(struct dp_ctx *dp, unsigned int i);

/**
 * Make every rte_flow port's rules match the n local addresses want
 * (IPv4, network order): install rules for new addresses, remove those
 * of addresses gone.  The load balancer calls it after each change of
 * its laddr groups (lb_flow_sync()).  Always 0: a port whose rules fail
 * falls back to software steering (logged, port.list says why).
 */
int flow_sync(struct dp_ctx *dp, const rte_be32_t *want, unsigned int n_want);

/** Remove every rule (before the ports stop). */
void flow_fini(struct dp_ctx *dp);

/** "rte_flow" or "software". */
const char *flow_steering(const struct dp_port *p);

/** Rules installed on p. */
unsigned int flow_rule_count(const struct dp_port *p);

#endif /* DPLB_FLOW_H */
