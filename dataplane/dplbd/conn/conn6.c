/* SPDX-License-Identifier: GPL-2.0-or-later */
/* conn6: IPv6 and NAT64 connections over conn.c's life cycle (conn6.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_random.h>
#include <rte_malloc.h>

#include "conn/conn6.h"

void
conn6_key4(struct conn6_key *k, rte_be32_t src, rte_be32_t dst,
	   rte_be16_t sport, rte_be16_t dport, uint8_t proto)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->src, &src, 4);
	memcpy(k->dst, &dst, 4);
	k->sport = sport;
	k->dport = dport;
	k->proto = proto;
	k->family = AF_INET;
}

void
conn6_key6(struct conn6_key *k, const uint8_t src[16], const uint8_t dst[16],
	   rte_be16_t sport, rte_be16_t dport, uint8_t proto)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->src, src, 16);
	memcpy(k->dst, dst, 16);
	k->sport = sport;
	k->dport = dport;
	k->proto = proto;
	k->family = AF_INET6;
}

/* The synthetic key of a slot in life: 0.0.0.0:0 <- slot, which no
 * IPv4 packet ever carries into that private table. */
static void
slot_key(uint32_t slot, uint8_t proto, struct conn_key4 *k)
{
	memset(k, 0, sizeof(*k));
	k->src_addr = rte_cpu_to_be_32(slot);
	k->proto = proto;
}

static uint32_t
slot_of(const struct conn *c)
{
	return rte_be_to_cpu_32(c->tuple[CONN_SIDE_IN].src_addr);
}

static void *
alloc(struct conn6_table *t, const char *what, size_t size, int socket)
{
	void *p = rte_zmalloc_socket(what, size, RTE_CACHE_LINE_SIZE, socket);

	if (p != NULL)
		t->memory += size;
	return p;
}

/*
 * rte_hash's hash of a key: a keyed multiply-and-fold of its five 64-bit
 * words, as conn.c hashes IPv4 tuples.  rte_hash_crc over the 40 bytes
 * cost about 70 instructions, and every lookup, insert and delete
 * hashes.  The key is secret (drawn at the first table's creation, the
 * same for all), against collision floods.
 */
static uint64_t key_seed[6];

static uint32_t
key_hash(const void *key, uint32_t len, uint32_t init)
{
	uint64_t w[5], h;

	RTE_SET_USED(len);	/* always sizeof(struct conn6_key) */
	RTE_SET_USED(init);
	RTE_BUILD_BUG_ON(sizeof(struct conn6_key) != sizeof(w));
	memcpy(w, key, sizeof(w));
	h = conn_mum(w[0] ^ key_seed[0], w[1] ^ key_seed[1]) +
	    conn_mum(w[2] ^ key_seed[2], w[3] ^ key_seed[3]) +
	    conn_mum(w[4] ^ key_seed[4], key_seed[5]);
	return (uint32_t)(h ^ h >> 32);
}

static int
index_create(struct conn6_table *t, const char *name, uint32_t capacity,
	     int socket)
{
	static uint32_t n_made;	/* rte_hash names are global */
	char hname[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters p = {
		.name = hname,
		.entries = RTE_MAX(capacity * 2u, 16u),
		.key_len = sizeof(struct conn6_key),
		.hash_func = key_hash,
		.socket_id = socket,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	unsigned int i;

	if (key_seed[0] == 0)	/* once: no seed is 0 */
		for (i = 0; i < RTE_DIM(key_seed); i++)
			key_seed[i] = rte_rand() | 1;

	snprintf(hname, sizeof(hname), "c6_%.16s_%u", name,
		 __atomic_fetch_add(&n_made, 1, __ATOMIC_RELAXED));
	t->index = rte_hash_create(&p);
	return t->index == NULL ? -ENOMEM : 0;
}

int
conn6_table_create(struct conn6_table **tp, const char *name,
		   uint32_t capacity, int socket)
{
	struct conn6_table *t;
	int rc;

	if (capacity == 0 || capacity > CONN_MAX_CAPACITY)
		return -EINVAL;
	t = rte_zmalloc_socket("conn6", sizeof(*t), RTE_CACHE_LINE_SIZE, socket);
	if (t == NULL)
		return -ENOMEM;
	t->memory = sizeof(*t);
	t->capacity = capacity;
	rc = conn_table_create(&t->life, name, capacity, socket);
	if (rc == 0)
		rc = index_create(t, name, capacity, socket);
	if (rc == 0) {
		t->keys = alloc(t, "conn6_keys", sizeof(*t->keys) *
				((size_t)capacity + 1), socket);
		t->sigs = alloc(t, "conn6_sigs", sizeof(*t->sigs) *
				((size_t)capacity + 1), socket);
		t->val_of_pos = alloc(t, "conn6_vals", sizeof(uint32_t) *
				      ((size_t)rte_hash_max_key_id(t->index) +
				       1), socket);
		t->free_slots = alloc(t, "conn6_free", sizeof(uint32_t) *
				      capacity, socket);
		if (!t->keys || !t->sigs || !t->val_of_pos || !t->free_slots)
			rc = -ENOMEM;
	}
	if (rc < 0) {
		conn6_table_free(t);
		return rc;
	}
	for (uint32_t i = 0; i < capacity; i++)	/* slot 1 on top */
		t->free_slots[i] = capacity - i;
	t->n_free = capacity;
	*tp = t;
	return 0;
}

void
conn6_table_free(struct conn6_table *t)
{
	if (t == NULL)
		return;
	conn_table_free(t->life);
	rte_hash_free(t->index);
	rte_free(t->keys);
	rte_free(t->sigs);
	rte_free(t->val_of_pos);
	rte_free(t->free_slots);
	rte_free(t);
}

static bool
key_ok(const struct conn6_key *k)
{
	return (k->family == AF_INET6 || k->family == AF_INET) &&
	       k->pad[0] == 0 && k->pad[1] == 0;
}

/*
 * Index k as slot's key of that side, for the entry ref in life.  The
 * key is hashed once, and its hash kept for index_del(): hashing 40
 * bytes is the dearest part of rte_hash's work here.  rte_hash gives a
 * key already there its own position back, so the value kept at that
 * position tells a new key from an old one without a lookup first.  The
 * value names the entry itself, so that a lookup reads one line less
 * before it (a miss each at large tables).
 */
static int
index_add(struct conn6_table *t, const struct conn6_key *k, uint32_t slot,
	  uint32_t ref, enum conn_side side)
{
	hash_sig_t sig = rte_hash_hash(t->index, k);
	int32_t pos = rte_hash_add_key_with_hash(t->index, k, sig);

	if (pos < 0)
		return -ENOSPC;
	if (t->val_of_pos[pos] != 0)
		return -EEXIST;
	t->val_of_pos[pos] = ref << 1 | side;
	t->sigs[slot][side] = sig;
	return 0;
}

/* Forget slot's key of that side (index_add()'s). */
static void
index_del(struct conn6_table *t, uint32_t slot, enum conn_side side)
{
	int32_t pos = rte_hash_del_key_with_hash(t->index,
						 &t->keys[slot][side],
						 t->sigs[slot][side]);

	if (pos >= 0)
		t->val_of_pos[pos] = 0;
}

/* Take a slot and its entry in life, then index its keys. */
static struct conn *
slot_new(struct conn6_table *t, const struct conn6_key *in,
	 const struct conn6_key *out, uint8_t state, uint32_t timeout_ms,
	 uint32_t now)
{
	struct conn_key4 k4;
	struct conn *c;
	uint32_t slot, ref;
	int rc;

	if (t->n_free == 0) {
		rte_errno = ENOSPC;
		return NULL;
	}
	slot = t->free_slots[t->n_free - 1];
	slot_key(slot, in->proto, &k4);
	c = timeout_ms ? conn_new_timed(t->life, &k4, timeout_ms, now) :
	    conn_new(t->life, &k4, NULL, state, now);
	if (c == NULL)		/* rte_errno from conn.c */
		return NULL;
	ref = conn_ref(t->life, c);
	/* the keys first: index_del() reads them */
	t->keys[slot][CONN_SIDE_IN] = *in;
	if (out != NULL)
		t->keys[slot][CONN_SIDE_OUT] = *out;
	else
		memset(&t->keys[slot][CONN_SIDE_OUT], 0, sizeof(*out));
	rc = index_add(t, in, slot, ref, CONN_SIDE_IN);
	if (rc == 0 && out != NULL) {
		rc = index_add(t, out, slot, ref, CONN_SIDE_OUT);
		if (rc < 0)
			index_del(t, slot, CONN_SIDE_IN);
	}
	if (rc < 0) {
		conn_del(t->life, c);
		rte_errno = -rc;
		return NULL;
	}
	t->n_free--;
	c->flags |= CONN_F_IPV6;	/* and NO_OUT, in life; out may be here */
	return c;
}

struct conn *
conn6_new(struct conn6_table *t, const struct conn6_key *in,
	  const struct conn6_key *out, uint8_t state, uint32_t now)
{
	if (!key_ok(in) || (out != NULL &&
	    (!key_ok(out) || out->proto != in->proto ||
	     memcmp(in, out, sizeof(*in)) == 0))) {
		rte_errno = EINVAL;
		return NULL;
	}
	return slot_new(t, in, out, state, 0, now);
}

struct conn *
conn6_new_timed(struct conn6_table *t, const struct conn6_key *in,
		uint32_t timeout_ms, uint32_t now)
{
	if (!key_ok(in)) {
		rte_errno = EINVAL;
		return NULL;
	}
	return slot_new(t, in, NULL, 0, timeout_ms ? timeout_ms : 1, now);
}

struct conn *
conn6_lookup(const struct conn6_table *t, const struct conn6_key *k,
	     bool *is_reply)
{
	int32_t pos = rte_hash_lookup(t->index, k);
	uint32_t sv;

	if (is_reply != NULL)
		*is_reply = false;
	if (pos < 0)
		return NULL;
	sv = t->val_of_pos[pos];
	if (is_reply != NULL)
		*is_reply = (sv & 1) == CONN_SIDE_OUT;
	return conn_from_ref(t->life, sv >> 1);
}

void
conn6_key_get(const struct conn6_table *t, const struct conn *c,
	      enum conn_side side, struct conn6_key *k)
{
	*k = t->keys[slot_of(c)][side];
}

/* Forget the keys of c's slot and give the slot back. */
static void
slot_free(struct conn6_table *t, const struct conn *c)
{
	uint32_t slot = slot_of(c);

	index_del(t, slot, CONN_SIDE_IN);
	if (t->keys[slot][CONN_SIDE_OUT].family != 0)
		index_del(t, slot, CONN_SIDE_OUT);
	t->free_slots[t->n_free++] = slot;
}

void
conn6_del(struct conn6_table *t, struct conn *c)
{
	slot_free(t, c);
	conn_del(t->life, c);
}

struct expire_ctx {
	struct conn6_table *t;
	conn_expire_cb expire;
	void *ctx;
};

static bool
expire_one(void *arg, struct conn *c)
{
	struct expire_ctx *x = arg;

	if (x->expire != NULL && x->expire(x->ctx, c))
		return true;	/* kept: its keys stay */
	slot_free(x->t, c);
	return false;
}

unsigned int
conn6_expire_tick(struct conn6_table *t, uint32_t now, unsigned int budget,
		  conn_expire_cb expire, void *ctx)
{
	struct expire_ctx x = { t, expire, ctx };

	return conn_expire_tick(t->life, now, budget, expire_one, &x);
}

size_t
conn6_table_memory(const struct conn6_table *t)
{
	return t->memory + conn_table_memory(t->life);
}
