/* SPDX-License-Identifier: GPL-2.0-or-later */
/* conn6: IPv6 and NAT64 connections over conn.c's life cycle (conn6.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_errno.h>
#include <rte_random.h>
#include <rte_malloc.h>

#include "conn/conn6.h"

static void *
alloc(struct conn6_table *t, const char *what, size_t size, int socket)
{
	void *p = rte_zmalloc_socket(what, size, RTE_CACHE_LINE_SIZE, socket);

	if (p != NULL)
		t->memory += size;
	return p;
}

uint64_t conn6_key_seed[6];

/* conn_index_match_fn of IPv6 keys: ctx is the conn6_table, a
 * reference the entry's conn_ref() in life << 1 | side. */
static __rte_always_inline bool
ref_has_key6(const void *ctx, uint32_t ref, const void *key)
{
	const struct conn6_table *t = ctx;
	const char *a = (const char *)&t->keys[ref >> 1][ref & 1];

	return ((conn6_word(a, 0) ^ conn6_word(key, 0)) |
		(conn6_word(a, 1) ^ conn6_word(key, 1)) |
		(conn6_word(a, 2) ^ conn6_word(key, 2)) |
		(conn6_word(a, 3) ^ conn6_word(key, 3)) |
		(conn6_word(a, 4) ^ conn6_word(key, 4))) == 0;
}

int
conn6_table_create(struct conn6_table **tp, const char *name,
		   uint32_t capacity, int socket)
{
	struct conn6_table *t;
	unsigned int i;
	int rc;

	if (capacity == 0 || capacity > CONN_MAX_CAPACITY)
		return -EINVAL;
	if (conn6_key_seed[0] == 0)	/* once: no seed is 0 */
		for (i = 0; i < RTE_DIM(conn6_key_seed); i++)
			conn6_key_seed[i] = rte_rand() | 1;
	t = rte_zmalloc_socket("conn6", sizeof(*t), RTE_CACHE_LINE_SIZE, socket);
	if (t == NULL)
		return -ENOMEM;
	t->memory = sizeof(*t);
	t->capacity = capacity;
	rc = conn_table_create(&t->life, name, capacity, socket);
	if (rc == 0) {
		t->keys = alloc(t, "conn6_keys", sizeof(*t->keys) *
				((size_t)capacity + 1), socket);
		if (t->keys == NULL)
			rc = -ENOMEM;
	}
	if (rc < 0) {
		conn6_table_free(t);
		return rc;
	}
	*tp = t;
	return 0;
}

void
conn6_table_free(struct conn6_table *t)
{
	if (t == NULL)
		return;
	conn_table_free(t->life);
	rte_free(t->keys);
	rte_free(t);
}

static bool
key_ok(const struct conn6_key *k)
{
	return (k->family == AF_INET6 || k->family == AF_INET) &&
	       k->pad[0] == 0 && k->pad[1] == 0;
}

/*
 * A keyless entry in life, its keys here by its conn_ref() and in
 * life's index.  Each key's one walk finds it (EEXIST) or where it
 * goes, as conn.c's conn_new() does.
 */
static struct conn *
entry_new(struct conn6_table *t, const struct conn6_key *in,
	  struct conn_loc in_loc, const struct conn6_key *out, uint8_t state,
	  uint32_t timeout_ms, uint32_t now)
{
	struct conn_index *ix = &t->life->ix;
	struct conn_index_probe pin, pout = { 0 };	/* pout: only with out */
	struct conn *c;
	uint32_t ref;

	if (conn_index_probe(ix, in_loc, ref_has_key6, t, in, &pin) != 0 ||
	    (out != NULL && conn_index_probe(ix, conn6_key_loc(t, out),
					     ref_has_key6, t, out,
					     &pout) != 0)) {
		rte_errno = EEXIST;
		return NULL;
	}
	c = conn_new_ipv6(t->life, in->proto, state, timeout_ms, now);
	if (c == NULL)		/* rte_errno from conn.c */
		return NULL;
	ref = conn_ref(t->life, c);
	t->keys[ref][CONN_SIDE_IN] = *in;
	conn_index_place(ix, &pin, ref << 1 | CONN_SIDE_IN);
	conn_watch_note(t->life, conn_sig_mark(pin.sig));
	if (out != NULL) {
		t->keys[ref][CONN_SIDE_OUT] = *out;
		conn_index_place(ix, &pout, ref << 1 | CONN_SIDE_OUT);
		conn_watch_note(t->life, conn_sig_mark(pout.sig));
	} else {
		memset(&t->keys[ref][CONN_SIDE_OUT], 0, sizeof(*out));
	}
	return c;
}

struct conn *
conn6_new_located(struct conn6_table *t, const struct conn6_key *in,
		  struct conn_loc in_loc, const struct conn6_key *out,
		  uint8_t state, uint32_t now)
{
	if (!key_ok(in) || (out != NULL &&
	    (!key_ok(out) || out->proto != in->proto ||
	     memcmp(in, out, sizeof(*in)) == 0))) {
		rte_errno = EINVAL;
		return NULL;
	}
	return entry_new(t, in, in_loc, out, state, 0, now);
}

struct conn *
conn6_new(struct conn6_table *t, const struct conn6_key *in,
	  const struct conn6_key *out, uint8_t state, uint32_t now)
{
	return conn6_new_located(t, in, conn6_key_loc(t, in), out, state,
				 now);
}

struct conn *
conn6_new_timed(struct conn6_table *t, const struct conn6_key *in,
		uint32_t timeout_ms, uint32_t now)
{
	if (!key_ok(in)) {
		rte_errno = EINVAL;
		return NULL;
	}
	return entry_new(t, in, conn6_key_loc(t, in), NULL, 0,
			 timeout_ms ? timeout_ms : 1, now);
}

struct conn *
conn6_lookup(const struct conn6_table *t, const struct conn6_key *k,
	     bool *is_reply)
{
	uint32_t ref = conn_index_find(&t->life->ix, conn6_key_loc(t, k),
				       ref_has_key6, t, k);

	if (is_reply != NULL)
		*is_reply = (ref & 1) == CONN_SIDE_OUT;
	return ref == 0 ? NULL : &t->life->entries[ref >> 1];
}

/* conn_index_prefetch_fn: both keys of the candidate's connection (80
 * bytes: up to 3 lines, the rewrite reads the other) and its entry. */
static __rte_always_inline void
prefetch_keys6(const void *ctx, uint32_t ref)
{
	const struct conn6_table *t = ctx;
	const char *k = (const char *)t->keys[ref >> 1];

	rte_prefetch0(k);
	rte_prefetch0(k + sizeof(struct conn6_key));
	rte_prefetch0(k + 2 * sizeof(struct conn6_key) - 1);
	rte_prefetch0(&t->life->entries[ref >> 1]);
}

/* conn_index.h's two passes: each candidate's keys and entry
 * prefetched, then the keys compared. */
unsigned int
conn6_lookup_bulk_located(const struct conn6_table *t,
			  const struct conn6_key *keys,
			  const struct conn_loc *locs, unsigned int n,
			  struct conn **conns, bool *is_reply)
{
	const struct conn_index *ix = &t->life->ix;
	uint32_t cands[CONN_BULK_MAX], ref;
	unsigned int i, hits = 0;

	RTE_ASSERT(n <= CONN_BULK_MAX);
	conn_index_candidates(ix, locs, n, cands, prefetch_keys6, t);
	for (i = 0; i < n; i++) {
		ref = conn_index_resolve(ix, locs[i], cands[i], ref_has_key6,
					 t, &keys[i]);
		is_reply[i] = (ref & 1) == CONN_SIDE_OUT;
		conns[i] = ref == 0 ? NULL : &t->life->entries[ref >> 1];
		hits += ref != 0;
	}
	return hits;
}

void
conn6_key_get(const struct conn6_table *t, const struct conn *c,
	      enum conn_side side, struct conn6_key *k)
{
	*k = *conn6_key_of(t, c, side);
}

/* Take c's keys out of the index (conn.c then recycles the entry). */
static void
keys_remove(struct conn6_table *t, const struct conn *c)
{
	uint32_t ref = conn_ref(t->life, c);
	const struct conn6_key *k = t->keys[ref];

	conn_index_remove(&t->life->ix, conn6_key_loc(t, &k[CONN_SIDE_IN]),
			  ref << 1 | CONN_SIDE_IN);
	if (k[CONN_SIDE_OUT].family != 0)
		conn_index_remove(&t->life->ix,
				  conn6_key_loc(t, &k[CONN_SIDE_OUT]),
				  ref << 1 | CONN_SIDE_OUT);
}

void
conn6_del(struct conn6_table *t, struct conn *c)
{
	keys_remove(t, c);
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
	keys_remove(x->t, c);
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

/* conn_index_check()'s callbacks: ctx is the table. */
static uint32_t
ref_home6(const void *ctx, uint32_t ref)
{
	const struct conn6_table *t = ctx;

	return conn6_key_loc(t, &t->keys[ref >> 1][ref & 1]).bucket;
}

static bool
ref_live6(const void *ctx, uint32_t ref)
{
	const struct conn6_table *t = ctx;

	return conn_from_ref(t->life, ref >> 1) != NULL &&
	       (t->life->entries[ref >> 1].flags & CONN_F_IPV6);
}

int
conn6_table_check(struct conn6_table *t)
{
	const struct conn_table *life = t->life;
	uint32_t i, keys = 0;
	bool reply;
	int rc = conn_table_check(t->life);

	if (rc < 0)
		return rc;
	for (i = 1; i <= life->hwm; i++) {
		const struct conn *c = &life->entries[i];
		const struct conn6_key *k = t->keys[i];

		if (!(c->flags & CONN_F_LIVE))
			continue;
		if (!(c->flags & CONN_F_IPV6) ||
		    conn6_lookup(t, &k[CONN_SIDE_IN], &reply) != c || reply)
			return -EFAULT;
		keys++;
		if (k[CONN_SIDE_OUT].family == 0)
			continue;
		if (conn6_lookup(t, &k[CONN_SIDE_OUT], &reply) != c || !reply)
			return -EFAULT;
		keys++;
	}
	if (conn_index_check(&life->ix, ref_home6, ref_live6, t) != keys)
		return -EFAULT;
	return 0;
}
