/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <rte_errno.h>
#include <rte_flow.h>

#include "net/flow.h"
#include "net/steer.h"
#include "log.h"
#include "core/port.h"

/* Rules of one local address on one port. */
struct flow_addr {
	LIST_ENTRY(flow_addr) next;
	rte_be32_t addr;
	unsigned int n;
	struct rte_flow *rules[];
};

struct flow_port {
	LIST_HEAD(, flow_addr) addrs;
	unsigned int n_rules;
};

/* ---- range to prefix blocks ------------------------------------------ */

int
flow_range_blocks(uint16_t lo, uint16_t hi, struct flow_block *out,
		  unsigned int max)
{
	uint32_t cur = lo, size;
	unsigned int n = 0;

	if (lo > hi)
		return -EINVAL;
	while (cur <= hi) {
		/* The largest aligned block at cur that stays inside: greedy
		 * from the left gives the fewest prefixes. */
		size = cur == 0 ? 0x10000 : cur & -cur;
		while (cur + size - 1 > hi)
			size >>= 1;
		if (n == max)
			return -ENOSPC;
		out[n].value = (uint16_t)cur;
		out[n].mask = (uint16_t)~(size - 1);
		n++;
		cur += size;
	}
	return (int)n;
}

int
flow_plan(unsigned int n_workers, struct flow_rule_spec *out,
	  unsigned int max)
{
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP };
	struct flow_block blk[FLOW_MAX_BLOCKS];
	unsigned int n = 0, w, p;
	uint16_t lo, hi;
	int k, j;

	for (w = 0; w < n_workers; w++) {
		if (steer_lport_range(w, n_workers, &lo, &hi) != 0)
			return -EINVAL;
		k = flow_range_blocks(lo, hi, blk, RTE_DIM(blk));
		if (k < 0)
			return k;
		for (p = 0; p < RTE_DIM(protos); p++)
			for (j = 0; j < k; j++) {
				if (n == max)
					return -ENOSPC;
				out[n++] = (struct flow_rule_spec){
					.proto = protos[p],
					.worker = (uint16_t)w,
					.blk = blk[j],
				};
			}
	}
	return n_workers == 0 ? -EINVAL : (int)n;
}

/* ---- rte_flow rules -------------------------------------------------- */

/* A rule's pattern and actions, built in place. */
struct rule {
	struct rte_flow_attr attr;
	struct rte_flow_item_ipv4 ip_spec, ip_mask;
	struct rte_flow_item_tcp tcp_spec, tcp_mask;
	struct rte_flow_item_udp udp_spec, udp_mask;
	struct rte_flow_item pattern[4];
	struct rte_flow_action_queue queue;
	struct rte_flow_action actions[2];
};

static void
rule_build(struct rule *r, rte_be32_t addr, const struct flow_rule_spec *s,
	   uint16_t queue)
{
	memset(r, 0, sizeof(*r));
	r->attr.ingress = 1;
	r->ip_spec.hdr.dst_addr = addr;
	r->ip_mask.hdr.dst_addr = RTE_BE32(UINT32_MAX);
	r->pattern[0].type = RTE_FLOW_ITEM_TYPE_ETH;
	r->pattern[1] = (struct rte_flow_item){
		.type = RTE_FLOW_ITEM_TYPE_IPV4,
		.spec = &r->ip_spec,
		.mask = &r->ip_mask,
	};
	if (s->proto == IPPROTO_TCP) {
		r->tcp_spec.hdr.dst_port = rte_cpu_to_be_16(s->blk.value);
		r->tcp_mask.hdr.dst_port = rte_cpu_to_be_16(s->blk.mask);
		r->pattern[2] = (struct rte_flow_item){
			.type = RTE_FLOW_ITEM_TYPE_TCP,
			.spec = &r->tcp_spec,
			.mask = &r->tcp_mask,
		};
	} else {
		r->udp_spec.hdr.dst_port = rte_cpu_to_be_16(s->blk.value);
		r->udp_mask.hdr.dst_port = rte_cpu_to_be_16(s->blk.mask);
		r->pattern[2] = (struct rte_flow_item){
			.type = RTE_FLOW_ITEM_TYPE_UDP,
			.spec = &r->udp_spec,
			.mask = &r->udp_mask,
		};
	}
	r->pattern[3].type = RTE_FLOW_ITEM_TYPE_END;
	r->queue.index = queue;
	r->actions[0] = (struct rte_flow_action){
		.type = RTE_FLOW_ACTION_TYPE_QUEUE,
		.conf = &r->queue,
	};
	r->actions[1].type = RTE_FLOW_ACTION_TYPE_END;
}

/* "rte_flow_create: item not supported": the PMD's words, else errno's. */
static void
flow_err_fmt(char *buf, size_t len, const char *what, int ret,
	     const struct rte_flow_error *e)
{
	snprintf(buf, len, "%s: %s", what,
		 e->message != NULL ? e->message :
				      strerror(ret < 0 ? -ret : EINVAL));
}

/*
 * Validate then create one rule; NULL with why filled on failure.  Some
 * PMDs validate what they cannot create, so creation is checked too.
 */
static struct rte_flow *
rule_install(uint16_t port_id, rte_be32_t addr, const struct flow_rule_spec *s,
	     uint16_t queue, char *why, size_t len)
{
	struct rte_flow_error e = { 0 };
	struct rte_flow *f;
	struct rule r;
	int ret;

	rule_build(&r, addr, s, queue);
	ret = rte_flow_validate(port_id, &r.attr, r.pattern, r.actions, &e);
	if (ret != 0) {
		flow_err_fmt(why, len, "rte_flow_validate", ret, &e);
		return NULL;
	}
	f = rte_flow_create(port_id, &r.attr, r.pattern, r.actions, &e);
	if (f == NULL)
		flow_err_fmt(why, len, "rte_flow_create", -rte_errno, &e);
	return f;
}

static void
rule_destroy(uint16_t port_id, struct rte_flow *f, const char *name)
{
	struct rte_flow_error e = { 0 };

	if (rte_flow_destroy(port_id, f, &e) != 0)
		LOG_WARN("port %s: cannot remove a flow rule: %s", name,
			 e.message != NULL ? e.message : "no message");
}

static void
addr_remove(struct dp_port *p, struct flow_addr *fa)
{
	unsigned int i;

	for (i = 0; i < fa->n; i++)
		rule_destroy(p->port_id, fa->rules[i], p->name);
	p->flow->n_rules -= fa->n;
	LIST_REMOVE(fa, next);
	free(fa);
}

static void
port_remove_all(struct dp_port *p)
{
	struct flow_addr *fa;

	while ((fa = LIST_FIRST(&p->flow->addrs)) != NULL)
		addr_remove(p, fa);
	free(p->flow);
	p->flow = NULL;
}

/* A rule failed: remove them all, software steering from now on. */
static void
port_fallback(struct dp_port *p)
{
	LOG_WARN("port %s: %s; falling back to software steering", p->name,
		 p->flow_why);
	port_remove_all(p);
}

static int
addr_install(struct dp_ctx *dp, struct dp_port *p, rte_be32_t addr,
	     const struct flow_rule_spec *plan, unsigned int n)
{
	struct flow_addr *fa;
	unsigned int i;

	fa = calloc(1, sizeof(*fa) + n * sizeof(fa->rules[0]));
	if (fa == NULL) {
		snprintf(p->flow_why, sizeof(p->flow_why), "out of memory");
		return -ENOMEM;
	}
	fa->addr = addr;
	for (i = 0; i < n; i++) {
		int q = port_worker_rxq(dp, p, plan[i].worker);

		fa->rules[i] = rule_install(p->port_id, addr, &plan[i],
					    (uint16_t)q, p->flow_why,
					    sizeof(p->flow_why));
		if (fa->rules[i] == NULL)
			break;
	}
	fa->n = i;
	LIST_INSERT_HEAD(&p->flow->addrs, fa, next);
	p->flow->n_rules += fa->n;
	return i == n ? 0 : -EIO;
}

/* ---- ports ----------------------------------------------------------- */

void
flow_probe(struct dp_ctx *dp, unsigned int i)
{
	struct dp_port *p = &dp->ports[i];
	/* Any address will do: the rule lives for a moment.  TEST-NET-1,
	 * and a partial port mask, which some PMDs refuse. */
	const struct flow_rule_spec s = {
		.proto = IPPROTO_TCP,
		.worker = (uint16_t)(dp->n_workers - 1),
		.blk = { .value = 0x8000, .mask = 0xfc00 },
	};
	struct rte_flow *f;

	p->flow = NULL;
	if (dp->n_workers == 1) {
		snprintf(p->flow_why, sizeof(p->flow_why),
			 "one worker: nothing to steer");
		return;
	}
	if (p->nb_rxq < dp->n_workers) {
		snprintf(p->flow_why, sizeof(p->flow_why),
			 "%u rx queues for %u workers", p->nb_rxq,
			 dp->n_workers);
		return;
	}
	f = rule_install(p->port_id, RTE_BE32(0xc0000201), &s,
			 (uint16_t)port_worker_rxq(dp, p, s.worker),
			 p->flow_why, sizeof(p->flow_why));
	if (f == NULL) {
		LOG_INFO("port %s: no rte_flow steering (%s): software steering",
			 p->name, p->flow_why);
		return;
	}
	rule_destroy(p->port_id, f, p->name);
	p->flow = calloc(1, sizeof(*p->flow));
	if (p->flow == NULL) {
		snprintf(p->flow_why, sizeof(p->flow_why), "out of memory");
		return;
	}
	LIST_INIT(&p->flow->addrs);
	p->flow_why[0] = '\0';
	LOG_INFO("port %s: full-NAT replies steered to their worker by rte_flow",
		 p->name);
}

static bool
addr_in(rte_be32_t addr, const rte_be32_t *set, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (set[i] == addr)
			return true;
	return false;
}

static struct flow_addr *
addr_find(const struct flow_port *fp, rte_be32_t addr)
{
	struct flow_addr *fa;

	LIST_FOREACH(fa, &fp->addrs, next)
		if (fa->addr == addr)
			return fa;
	return NULL;
}

static void
port_sync(struct dp_ctx *dp, struct dp_port *p, const rte_be32_t *want,
	  unsigned int n_want, const struct flow_rule_spec *plan,
	  unsigned int n_plan)
{
	struct flow_addr *fa, *tmp;
	unsigned int i;

	for (fa = LIST_FIRST(&p->flow->addrs); fa != NULL; fa = tmp) {
		tmp = LIST_NEXT(fa, next);
		if (!addr_in(fa->addr, want, n_want))
			addr_remove(p, fa);
	}
	for (i = 0; i < n_want; i++) {
		if (addr_find(p->flow, want[i]) != NULL)
			continue;
		if (addr_install(dp, p, want[i], plan, n_plan) != 0) {
			port_fallback(p);
			return;
		}
	}
}

int
flow_sync(struct dp_ctx *dp, const rte_be32_t *want, unsigned int n_want)
{
	static struct flow_rule_spec plan[FLOW_MAX_RULES_PER_ADDR];
	unsigned int i;
	int n_plan;

	n_plan = flow_plan(dp->n_workers, plan, RTE_DIM(plan));
	for (i = 0; i < dp->n_ports; i++) {
		struct dp_port *p = &dp->ports[i];

		if (p->flow == NULL)
			continue;
		if (n_plan < 0) {
			snprintf(p->flow_why, sizeof(p->flow_why),
				 "no rule plan");
			port_fallback(p);
			continue;
		}
		port_sync(dp, p, want, n_want, plan, (unsigned int)n_plan);
	}
	return 0;
}

void
flow_fini(struct dp_ctx *dp)
{
	unsigned int i;

	for (i = 0; i < dp->n_ports; i++)
		if (dp->ports[i].flow != NULL)
			port_remove_all(&dp->ports[i]);
}

const char *
flow_steering(const struct dp_port *p)
{
	return p->flow != NULL ? "rte_flow" : "software";
}

unsigned int
flow_rule_count(const struct dp_port *p)
{
	return p->flow != NULL ? p->flow->n_rules : 0;
}
