/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_malloc.h>

#include "net/route.h"

int
route_table_init(struct route_table *rt, const char *name,
		 uint32_t max_routes, struct rte_rcu_qsbr *qsv)
{
	struct rte_lpm_config cfg = {
		.max_rules = max_routes,
		.number_tbl8s = max_routes < 256 ? 256 : max_routes,
	};
	struct rte_lpm_rcu_config rcu = {
		.v = qsv,
		.mode = RTE_LPM_QSBR_MODE_SYNC,
	};

	memset(rt, 0, sizeof(*rt));
	rt->slots = rte_zmalloc("route_slots",
				sizeof(*rt->slots) * max_routes,
				RTE_CACHE_LINE_SIZE);
	if (rt->slots == NULL)
		return -ENOMEM;
	rt->lpm = rte_lpm_create(name, SOCKET_ID_ANY, &cfg);
	if (rt->lpm == NULL) {
		rte_free(rt->slots);
		return -rte_errno;
	}
	if (qsv != NULL && rte_lpm_rcu_qsbr_add(rt->lpm, &rcu) != 0) {
		route_table_free(rt);
		return -rte_errno;
	}
	rt->n_slots = max_routes;
	rt->default_nh = ROUTE_NO_DEFAULT;
	rt->qsv = qsv;
	rt->gen = 1;
	return 0;
}

void
route_table_free(struct route_table *rt)
{
	rte_lpm_free(rt->lpm);
	rte_free(rt->slots);
	memset(rt, 0, sizeof(*rt));
}

static int
slot_find(const struct route_table *rt, rte_be32_t prefix, uint8_t depth)
{
	uint32_t i;

	for (i = 0; i < rt->n_slots; i++)
		if (rt->slots[i].in_use && rt->slots[i].prefix == prefix &&
		    rt->slots[i].depth == depth)
			return (int)i;
	return -1;
}

static int
slot_alloc(const struct route_table *rt)
{
	uint32_t i;

	for (i = 0; i < rt->n_slots; i++)
		if (!rt->slots[i].in_use)
			return (int)i;
	return -1;
}

const struct route_slot *
route_find(const struct route_table *rt, rte_be32_t prefix, uint8_t depth)
{
	int i = slot_find(rt, prefix, depth);

	return i < 0 ? NULL : &rt->slots[i];
}

/* What route_lookup() answers changed: a kept answer is stale. */
static void
gen_bump(struct route_table *rt)
{
	uint32_t gen = rt->gen + 1;

	__atomic_store_n(&rt->gen, gen != 0 ? gen : 1, __ATOMIC_RELEASE);
}

int
route_add(struct route_table *rt, rte_be32_t prefix, uint8_t depth,
	  enum route_type type, rte_be32_t gw, uint16_t port)
{
	struct route_slot *s;
	int i = slot_find(rt, prefix, depth);
	int ret = 0;

	if (depth > 32)
		return -EINVAL;
	if (i >= 0) {
		s = &rt->slots[i];
		if (type != ROUTE_CONNECTED || s->type != ROUTE_CONNECTED ||
		    s->port != port)
			return -EEXIST;
		s->refcnt++;
		return 0;
	}
	i = slot_alloc(rt);
	if (i < 0)
		return -ENOSPC;
	s = &rt->slots[i];
	*s = (struct route_slot){
		.gw = gw,
		.port = port,
		.type = type,
		.in_use = 1,
		.prefix = prefix,
		.depth = depth,
		.refcnt = 1,
	};
	/* The slot must be complete before the LPM can hand it out. */
	rte_smp_wmb();
	if (depth == 0)
		__atomic_store_n(&rt->default_nh, (uint32_t)i, __ATOMIC_RELEASE);
	else
		ret = rte_lpm_add(rt->lpm, rte_be_to_cpu_32(prefix), depth, i);
	if (ret != 0) {
		s->in_use = 0;
		return ret;
	}
	gen_bump(rt);
	rt->n_used++;
	return 0;
}

int
route_del(struct route_table *rt, rte_be32_t prefix, uint8_t depth,
	  enum route_type type)
{
	struct route_slot *s;
	int i = slot_find(rt, prefix, depth);
	int ret = 0;

	if (i < 0 || rt->slots[i].type != type)
		return -ENOENT;
	s = &rt->slots[i];
	if (--s->refcnt > 0)
		return 0;
	if (depth == 0)
		__atomic_store_n(&rt->default_nh, ROUTE_NO_DEFAULT,
				 __ATOMIC_RELEASE);
	else
		ret = rte_lpm_delete(rt->lpm, rte_be_to_cpu_32(prefix), depth);
	if (ret != 0) {
		s->refcnt++;
		return ret;
	}
	gen_bump(rt);
	/* Workers may still hold a pointer to the slot: wait them out. */
	if (rt->qsv != NULL)
		rte_rcu_qsbr_synchronize(rt->qsv, RTE_QSBR_THRID_INVALID);
	s->in_use = 0;
	rt->n_used--;
	return 0;
}

const char *
route_type_name(enum route_type t)
{
	switch (t) {
	case ROUTE_LOCAL:
		return "local";
	case ROUTE_CONNECTED:
		return "connected";
	case ROUTE_GATEWAY:
		return "gateway";
	}
	return "?";
}
