/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_memzone.h>

#include "net6/route6.h"

/* tbl8 groups per copy: a /128 needs up to 13 below the 24-bit table,
 * and a 2-byte entry names at most 32767 of them. */
#define TBL8_MIN 4096u
#define TBL8_MAX 32767u

int
route6_table_init(struct route6_table *rt, const char *name,
		  uint32_t max_routes, struct rte_rcu_qsbr *qsv)
{
	memset(rt, 0, sizeof(*rt));
	rt->n_slots = RTE_MIN(max_routes, (uint32_t)ROUTE6_MAX);
	rt->slots = rte_zmalloc("route6_slots",
				sizeof(*rt->slots) * rt->n_slots,
				RTE_CACHE_LINE_SIZE);
	if (rt->slots == NULL)
		return -ENOMEM;
	rt->qsv = qsv;
	rt->gen = 1;
	snprintf(rt->name, sizeof(rt->name), "%s", name);
	return 0;
}

void
route6_table_free(struct route6_table *rt)
{
	rte_fib6_free(rt->fib[0]);
	rte_fib6_free(rt->fib[1]);
	rte_free(rt->slots);
	memset(rt, 0, sizeof(*rt));
}

/* Make both copies, on the first route. */
static int
fibs_make(struct route6_table *rt)
{
	struct rte_fib6_conf conf = {
		.type = RTE_FIB6_TRIE,
		.default_nh = ROUTE6_NONE,
		.max_routes = (int)rt->n_slots,
		.trie = {
			.nh_sz = RTE_FIB6_TRIE_2B,
			.num_tbl8 = RTE_MIN(RTE_MAX(rt->n_slots * 14, TBL8_MIN),
					    TBL8_MAX),
		},
	};
	char name[RTE_MEMZONE_NAMESIZE];
	unsigned int i;

	for (i = 0; i < 2; i++) {
		if (rt->fib[i] != NULL)
			continue;
		snprintf(name, sizeof(name), "%s%u", rt->name, i);
		rt->fib[i] = rte_fib6_create(name, SOCKET_ID_ANY, &conf);
		if (rt->fib[i] == NULL)
			return -ENOMEM;
	}
	return 0;
}

/* The change (add nh, or delete when del) to the standby copy, which
 * then goes live; after a grace period, to the other one. */
static int
fibs_change(struct route6_table *rt, const uint8_t prefix[16], uint8_t depth,
	    uint32_t nh, bool del)
{
	struct rte_fib6 *standby = rt->live == rt->fib[0] ? rt->fib[1] :
							     rt->fib[0];
	struct rte_fib6 *old = standby == rt->fib[0] ? rt->fib[1] : rt->fib[0];
	int ret;

	ret = del ? rte_fib6_delete(standby, prefix, depth) :
		    rte_fib6_add(standby, prefix, depth, nh);
	if (ret != 0)
		return ret;
	__atomic_store_n(&rt->live, standby, __ATOMIC_RELEASE);
	route_gen_bump(&rt->gen);	/* the workers' memos start over */
	if (rt->qsv != NULL)
		rte_rcu_qsbr_synchronize(rt->qsv, RTE_QSBR_THRID_INVALID);
	/* The same change cannot fail on the twin copy: it holds the
	 * same routes in the same amount of memory. */
	ret = del ? rte_fib6_delete(old, prefix, depth) :
		    rte_fib6_add(old, prefix, depth, nh);
	return ret;
}

static int
slot_find(const struct route6_table *rt, const uint8_t prefix[16],
	  uint8_t depth)
{
	uint32_t i;

	for (i = 0; i < rt->n_slots; i++)
		if (rt->slots[i].in_use && rt->slots[i].depth == depth &&
		    memcmp(rt->slots[i].prefix, prefix, 16) == 0)
			return (int)i;
	return -1;
}

const struct route6_slot *
route6_find(const struct route6_table *rt, const uint8_t prefix[16],
	    uint8_t depth)
{
	int i = slot_find(rt, prefix, depth);

	return i < 0 ? NULL : &rt->slots[i];
}

static int
slot_alloc(const struct route6_table *rt)
{
	uint32_t i;

	for (i = 0; i < rt->n_slots; i++)
		if (!rt->slots[i].in_use)
			return (int)i;
	return -1;
}

int
route6_add(struct route6_table *rt, const uint8_t prefix[16], uint8_t depth,
	   enum route_type type, const uint8_t *gw, uint16_t port)
{
	int i = slot_find(rt, prefix, depth), ret;
	struct route6_slot *s;

	if (depth > 128)
		return -EINVAL;
	if (i >= 0) {
		s = &rt->slots[i];
		if (type == ROUTE_CONNECTED && s->type == ROUTE_CONNECTED &&
		    s->port == port) {
			s->refcnt++;
			return 0;
		}
		return -EEXIST;
	}
	if ((ret = fibs_make(rt)) != 0)
		return ret;
	i = slot_alloc(rt);
	if (i < 0)
		return -ENOSPC;
	s = &rt->slots[i];
	memset(s, 0, sizeof(*s));
	if (gw != NULL) {
		memcpy(s->gw, gw, 16);
		s->has_gw = 1;
	}
	s->port = port;
	s->type = (uint8_t)type;
	s->depth = depth;
	memcpy(s->prefix, prefix, 16);
	s->refcnt = 1;
	ret = fibs_change(rt, prefix, depth, (uint32_t)i, false);
	if (ret != 0)
		return ret == -ENOSPC ? -ENOSPC : ret;
	s->in_use = 1;
	rt->n_used++;
	return 0;
}

int
route6_del(struct route6_table *rt, const uint8_t prefix[16], uint8_t depth,
	   enum route_type type)
{
	int i = slot_find(rt, prefix, depth), ret;
	struct route6_slot *s;

	if (i < 0 || rt->slots[i].type != type)
		return -ENOENT;
	s = &rt->slots[i];
	if (type == ROUTE_CONNECTED && --s->refcnt > 0)
		return 0;
	ret = fibs_change(rt, prefix, depth, 0, true);
	if (ret != 0)
		return ret;
	/* Neither copy names the slot now, and the grace period inside
	 * fibs_change() saw every reader of the older copy out. */
	s->in_use = 0;
	rt->n_used--;
	return 0;
}
