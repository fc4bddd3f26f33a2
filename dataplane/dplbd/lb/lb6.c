/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lb6: the load balancer's IPv6 entry points (lb.h).  A pass-through
 * for now: every IPv6 packet to us goes on to the kernel twin.  IPv6
 * services, their connections and NAT64 fill this in.
 */
#include "lb/lb.h"

enum lb_verdict
lb_input_local6(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
		struct rte_mbuf *m, struct rte_ipv6_hdr *ip, uint8_t proto,
		uint16_t l4_off)
{
	RTE_SET_USED(dp);
	RTE_SET_USED(w);
	RTE_SET_USED(port);
	RTE_SET_USED(m);
	RTE_SET_USED(ip);
	RTE_SET_USED(proto);
	RTE_SET_USED(l4_off);
	return LB_PASS;
}
