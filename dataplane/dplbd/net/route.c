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
	rt->local_filter = rte_zmalloc("route_local_filter",
				       sizeof(uint64_t) *
				       ROUTE_LOCAL_FILTER_WORDS,
				       RTE_CACHE_LINE_SIZE);
	if (rt->slots == NULL || rt->local_filter == NULL) {
		route_table_free(rt);
		return -ENOMEM;
	}
	rt->lpm = rte_lpm_create(name, SOCKET_ID_ANY, &cfg);
	if (rt->lpm == NULL) {
		int ret = -rte_errno;

		route_table_free(rt);
		return ret;
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
	rte_free(rt->local_filter);
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

/* Set in f the bits of a local route: its address's, or all of them
 * for a route wider than one address. */
static void
local_filter_mark(uint64_t *f, rte_be32_t prefix, uint8_t depth)
{
	uint32_t b = route_local_bit(prefix);

	if (depth < 32)
		memset(f, 0xff, sizeof(uint64_t) * ROUTE_LOCAL_FILTER_WORDS);
	else
		f[b / 64] |= 1ULL << (b % 64);
}

/* The local routes' filter made again from the local routes in use:
 * each word is stored once, with its final value, so that a bit of an
 * address still ours never reads clear. */
static void
local_filter_rebuild(struct route_table *rt)
{
	uint64_t f[ROUTE_LOCAL_FILTER_WORDS] = { 0 };
	uint32_t i;

	for (i = 0; i < rt->n_slots; i++)
		if (rt->slots[i].in_use && rt->slots[i].type == ROUTE_LOCAL)
			local_filter_mark(f, rt->slots[i].prefix,
					  rt->slots[i].depth);
	for (i = 0; i < ROUTE_LOCAL_FILTER_WORDS; i++)
		__atomic_store_n(&rt->local_filter[i], f[i], __ATOMIC_RELAXED);
}

/* Before a local route goes in: its bits set, so that a worker whose
 * LPM answers "local" finds them set too.  Only the main lcore writes
 * the filter: each word changed is stored whole. */
static void
local_filter_add(struct route_table *rt, rte_be32_t prefix, uint8_t depth)
{
	uint32_t i, b = route_local_bit(prefix);

	if (depth == 32) {
		__atomic_store_n(&rt->local_filter[b / 64],
				 rt->local_filter[b / 64] | 1ULL << (b % 64),
				 __ATOMIC_RELEASE);
		return;
	}
	for (i = 0; i < ROUTE_LOCAL_FILTER_WORDS; i++)
		__atomic_store_n(&rt->local_filter[i], ~0ULL, __ATOMIC_RELEASE);
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
	if (type == ROUTE_LOCAL)
		local_filter_add(rt, prefix, depth);
	/* The slot and the filter must be complete before the LPM can
	 * hand the slot out. */
	rte_smp_wmb();
	if (depth == 0)
		__atomic_store_n(&rt->default_nh, (uint32_t)i, __ATOMIC_RELEASE);
	else
		ret = rte_lpm_add(rt->lpm, rte_be_to_cpu_32(prefix), depth, i);
	if (ret != 0) {
		s->in_use = 0;
		if (type == ROUTE_LOCAL)
			local_filter_rebuild(rt);
		return ret;
	}
	route_gen_bump(&rt->gen);
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
	route_gen_bump(&rt->gen);
	/* Workers may still hold a pointer to the slot: wait them out. */
	if (rt->qsv != NULL)
		rte_rcu_qsbr_synchronize(rt->qsv, RTE_QSBR_THRID_INVALID);
	s->in_use = 0;
	rt->n_used--;
	if (type == ROUTE_LOCAL)
		local_filter_rebuild(rt);
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
