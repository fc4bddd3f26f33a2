/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "log.h"
#include "net/neigh.h"

int
neigh_table_init(struct neigh_table *nt, const char *name, uint32_t max,
		 const struct neigh_params *params, const struct neigh_ops *ops,
		 struct rte_rcu_qsbr *qsv)
{
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = max,
		.key_len = sizeof(struct neigh_key),
		.hash_func = rte_hash_crc,
		.socket_id = SOCKET_ID_ANY,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	struct rte_hash_rcu_config rcu = {
		.v = qsv,
		.mode = RTE_HASH_QSBR_MODE_SYNC,
	};

	memset(nt, 0, sizeof(*nt));
	nt->params = *params;
	nt->ops = *ops;
	nt->qsv = qsv;
	nt->hash = rte_hash_create(&hp);
	if (nt->hash == NULL)
		return -rte_errno;
	/* Positions range over the key store, which is one larger. */
	nt->size = max + 1;
	nt->entries = rte_zmalloc("neigh", sizeof(*nt->entries) * nt->size,
				  RTE_CACHE_LINE_SIZE);
	nt->queues = rte_zmalloc("neigh_q",
				 sizeof(*nt->queues) * nt->size *
					 (params->queue_len + 1), 0);
	if (nt->entries == NULL || nt->queues == NULL ||
	    (qsv != NULL && rte_hash_rcu_qsbr_add(nt->hash, &rcu) != 0)) {
		neigh_table_free(nt);
		return -ENOMEM;
	}
	return 0;
}

void
neigh_table_free(struct neigh_table *nt)
{
	if (nt->entries != NULL)
		neigh_flush(nt, -1);
	rte_hash_free(nt->hash);
	rte_free(nt->entries);
	rte_free(nt->queues);
	memset(nt, 0, sizeof(*nt));
}

static void
key_from_addr(struct neigh_key *k, uint16_t port, const struct inet_addr *ip)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->addr, &ip->v6, ip->family == AF_INET ? 4 : 16);
	k->port = port;
	k->family = ip->family;
}

struct inet_addr
neigh_entry_addr(const struct neigh_entry *e)
{
	struct inet_addr a = { .family = e->key.family };

	memcpy(&a.v6, e->key.addr, e->key.family == AF_INET ? 4 : 16);
	return a;
}

static struct rte_mbuf **
entry_queue(struct neigh_table *nt, const struct neigh_entry *e)
{
	return &nt->queues[(size_t)(e - nt->entries) *
			   (nt->params.queue_len + 1)];
}

static struct neigh_entry *
entry_find(struct neigh_table *nt, uint16_t port, const struct inet_addr *ip)
{
	struct neigh_key k;
	int pos;

	key_from_addr(&k, port, ip);
	pos = rte_hash_lookup(nt->hash, &k);
	return pos < 0 ? NULL : &nt->entries[pos];
}

static struct neigh_entry *
entry_create(struct neigh_table *nt, uint16_t port, const struct inet_addr *ip)
{
	struct neigh_entry *e;
	struct neigh_key k;
	int pos;

	key_from_addr(&k, port, ip);
	pos = rte_hash_add_key(nt->hash, &k);
	if (pos < 0 || (uint32_t)pos >= nt->size)
		return NULL;
	e = &nt->entries[pos];
	memset(e, 0, sizeof(*e));
	e->key = k;
	e->in_use = 1;
	nt->count++;
	return e;
}

/* Publish e's MAC word; workers' caches go when it changed. */
static void
entry_publish(struct neigh_table *nt, struct neigh_entry *e, uint64_t w)
{
	if (e->mac_word == w)
		return;
	__atomic_store_n(&e->mac_word, w, __ATOMIC_RELEASE);
	__atomic_store_n(&nt->gen, nt->gen + 1, __ATOMIC_RELEASE);
}

static void
entry_set_mac(struct neigh_table *nt, struct neigh_entry *e,
	      const struct rte_ether_addr *mac)
{
	uint64_t w = 0;

	memcpy(&w, mac->addr_bytes, RTE_ETHER_ADDR_LEN);
	entry_publish(nt, e, w | NEIGH_MAC_VALID);
}

static void
entry_drop_queue(struct neigh_table *nt, struct neigh_entry *e)
{
	struct rte_mbuf **q = entry_queue(nt, e);
	uint16_t i;

	for (i = 0; i < e->n_queued; i++)
		nt->ops.drop(nt->ops.ctx, q[i], DROP_NO_NEIGHBOR);
	e->n_queued = 0;
}

static void
entry_flush_queue(struct neigh_table *nt, struct neigh_entry *e)
{
	struct rte_mbuf **q = entry_queue(nt, e);
	struct rte_ether_addr mac;
	uint64_t w = e->mac_word;
	uint16_t i;

	memcpy(mac.addr_bytes, &w, RTE_ETHER_ADDR_LEN);
	for (i = 0; i < e->n_queued; i++)
		nt->ops.xmit(nt->ops.ctx, e->key.port, q[i], &mac);
	e->n_queued = 0;
}

static void
entry_remove(struct neigh_table *nt, struct neigh_entry *e)
{
	entry_drop_queue(nt, e);
	entry_publish(nt, e, 0);
	e->in_use = 0;
	nt->count--;
	/* With RCU attached the hash recycles the position after a grace
	 * period; without workers there is nobody to wait for. */
	if (rte_hash_del_key(nt->hash, &e->key) >= 0 && nt->qsv == NULL)
		rte_hash_free_key_with_position(nt->hash,
						(int32_t)(e - nt->entries));
}

/* Apply what the state machine asked for. */
static void
entry_act(struct neigh_table *nt, struct neigh_entry *e, unsigned int act)
{
	struct inet_addr ip;

	if (!neigh_state_has_mac(e->fsm.state))
		entry_publish(nt, e, e->mac_word & ~NEIGH_MAC_VALID);
	if (act & NEIGH_ACT_PROBE) {
		ip = neigh_entry_addr(e);
		nt->ops.probe(nt->ops.ctx, e->key.port, &ip);
	}
	if (act & NEIGH_ACT_FLUSH)
		entry_flush_queue(nt, e);
	if (act & NEIGH_ACT_DROP)
		entry_drop_queue(nt, e);
	if (act & NEIGH_ACT_REMOVE)
		entry_remove(nt, e);
}

void
neigh_resolve(struct neigh_table *nt, uint16_t port,
	      const struct inet_addr *ip, struct rte_mbuf *m, uint64_t now_ms)
{
	struct neigh_entry *e = entry_find(nt, port, ip);
	struct rte_mbuf **q;
	bool fresh = e == NULL;

	if (fresh)
		e = entry_create(nt, port, ip);
	if (e == NULL) {
		nt->ops.drop(nt->ops.ctx, m, DROP_NEIGH_QUEUE_FULL);
		return;
	}
	if (neigh_state_has_mac(e->fsm.state)) {
		/* Resolved while the packet was on its way to us. */
		entry_queue(nt, e)[e->n_queued++] = m;
		entry_flush_queue(nt, e);
		return;
	}
	if (e->n_queued >= nt->params.queue_len) {
		nt->ops.drop(nt->ops.ctx, m, DROP_NEIGH_QUEUE_FULL);
	} else {
		q = entry_queue(nt, e);
		q[e->n_queued++] = m;
	}
	if (fresh || e->fsm.state == NEIGH_FAILED)
		entry_act(nt, e, neigh_fsm_start(&e->fsm, &nt->params, now_ms));
}

int
neigh_confirm(struct neigh_table *nt, uint16_t port,
	      const struct inet_addr *ip, const struct rte_ether_addr *mac,
	      bool create, uint64_t now_ms)
{
	struct neigh_entry *e = entry_find(nt, port, ip);

	if (e == NULL && create)
		e = entry_create(nt, port, ip);
	if (e == NULL)
		return create ? -ENOSPC : -ENOENT;
	if (e->fsm.state == NEIGH_PERMANENT)
		return 0;
	entry_set_mac(nt, e, mac);
	e->confirmed_ms = now_ms;
	entry_act(nt, e, neigh_fsm_confirm(&e->fsm, &nt->params, now_ms));
	return 0;
}

int
neigh_add_static(struct neigh_table *nt, uint16_t port,
		 const struct inet_addr *ip, const struct rte_ether_addr *mac,
		 uint64_t now_ms)
{
	struct neigh_entry *e = entry_find(nt, port, ip);

	if (e == NULL)
		e = entry_create(nt, port, ip);
	if (e == NULL)
		return -ENOSPC;
	entry_set_mac(nt, e, mac);
	e->confirmed_ms = now_ms;
	neigh_fsm_permanent(&e->fsm);
	entry_flush_queue(nt, e);
	return 0;
}

int
neigh_del(struct neigh_table *nt, uint16_t port, const struct inet_addr *ip)
{
	struct neigh_entry *e = entry_find(nt, port, ip);

	if (e == NULL)
		return -ENOENT;
	entry_remove(nt, e);
	return 0;
}

unsigned int
neigh_flush(struct neigh_table *nt, int port)
{
	unsigned int i, n = 0;

	for (i = 0; i < nt->size; i++) {
		struct neigh_entry *e = &nt->entries[i];

		if (!e->in_use || e->fsm.state == NEIGH_PERMANENT ||
		    (port >= 0 && e->key.port != port))
			continue;
		entry_remove(nt, e);
		n++;
	}
	return n;
}

void
neigh_tick(struct neigh_table *nt, uint64_t now_ms)
{
	unsigned int i, act;

	for (i = 0; i < nt->size; i++) {
		struct neigh_entry *e = &nt->entries[i];

		if (!e->in_use)
			continue;
		act = neigh_fsm_timer(&e->fsm, &nt->params, now_ms);
		if (act != 0)
			entry_act(nt, e, act);
	}
}

void
neigh_foreach(const struct neigh_table *nt,
	      int (*cb)(const struct neigh_entry *e, void *arg), void *arg)
{
	unsigned int i;

	for (i = 0; i < nt->size; i++)
		if (nt->entries[i].in_use && cb(&nt->entries[i], arg) != 0)
			return;
}
