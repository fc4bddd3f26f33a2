/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conn: the per-worker connection table (see conn.h and
 * docs/conn-table.md).
 */
#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_debug.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>
#include <rte_random.h>

#include "conn/conn.h"
#include "core/stats.h"

static_assert(sizeof(struct conn) == 64, "one cache line per entry");
static_assert(sizeof(struct conn_key4) == 16, "compact key");
static_assert(offsetof(struct conn_key4, src_addr) ==
		      offsetof(struct conn_tuple4, src_addr) &&
	      offsetof(struct conn_key4, dst_port) ==
		      offsetof(struct conn_tuple4, dst_port),
	      "a key starts with its tuple");
static_assert(RTE_IS_POWER_OF_2(CONN_WHEEL_SLOTS), "wheel size");
static_assert(CONN_MAX_CAPACITY < (1u << 31), "references keep a side bit");

#define WHEEL_WIDTH (1u << CONN_WHEEL_SHIFT)
#define WHEEL_HEAD 0x80000000u	/* wheel_prev: a list head, slot below */

/* Wrap-safe time order. */
static inline bool
time_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline uint32_t
slot_start(uint32_t ms)
{
	return ms & ~(WHEEL_WIDTH - 1);
}

static inline uint32_t
slot_of(uint32_t ms)
{
	return (ms >> CONN_WHEEL_SHIFT) & (CONN_WHEEL_SLOTS - 1);
}

/* ---- the index (conn_index.h): IPv4 keys, compared with the tuples ---- */

static inline struct conn *
slot_conn(struct conn_table *t, uint32_t ref)
{
	return &t->entries[ref >> 1];
}

/* k is side `side` of c. */
static inline bool
entry_has_key(const struct conn *c, unsigned int side,
	      const struct conn_key4 *k)
{
	const struct conn_tuple4 *tp = &c->tuple[side];
	uint64_t a, b;
	uint32_t pa, pb;

	memcpy(&a, tp, 8);
	memcpy(&b, k, 8);
	memcpy(&pa, &tp->src_port, 4);
	memcpy(&pb, &k->src_port, 4);
	return ((a ^ b) | (pa ^ pb) | (uint8_t)(c->proto ^ k->proto)) == 0;
}

/* conn_index_match_fn of IPv4 keys: ctx is the table. */
static __rte_always_inline bool
ref_has_key4(const void *ctx, uint32_t ref, const void *key)
{
	const struct conn_table *t = ctx;

	return entry_has_key(&t->entries[ref >> 1], ref & 1, key);
}

/* The entry of k from loc on (its side in *is_reply if not NULL), or
 * NULL. */
static __rte_always_inline struct conn *
probe_find(struct conn_table *t, struct conn_loc loc,
	   const struct conn_key4 *k, bool *is_reply)
{
	uint32_t ref = conn_index_find(&t->ix, loc, ref_has_key4, t, k);

	if (ref == 0)
		return NULL;
	if (is_reply != NULL)
		*is_reply = ref & 1;
	return slot_conn(t, ref);
}

/* conn_index_probe() of an IPv4 key from its place loc
 * (conn_key_loc()): the entry it names, or NULL with *p ready for
 * conn_index_place(). */
static __rte_always_inline struct conn *
probe_place(struct conn_table *t, const struct conn_key4 *k,
	    struct conn_loc loc, struct conn_index_probe *p)
{
	uint32_t ref = conn_index_probe(&t->ix, loc, ref_has_key4, t, k, p);

	return ref == 0 ? NULL : slot_conn(t, ref);
}

/* ---- the wheel ---- */

/* conn_timeout_ms() capped, by state: read for every new, expiring or
 * changed entry, so kept in ms beside the seconds. */
static void
timeouts_cache(struct conn_table *t)
{
	unsigned int s;
	uint64_t ms;

	for (s = 0; s < TCP_STATE_COUNT; s++) {
		ms = conn_timeout_ms(&t->timeouts, IPPROTO_TCP, s);
		t->tcp_ms[s] = (uint32_t)RTE_MIN(ms, (uint64_t)CONN_MAX_TIMEOUT_MS);
	}
	for (s = 0; s < UDP_STATE_COUNT; s++) {
		ms = conn_timeout_ms(&t->timeouts, IPPROTO_UDP, s);
		t->udp_ms[s] = (uint32_t)RTE_MIN(ms, (uint64_t)CONN_MAX_TIMEOUT_MS);
	}
}

static inline uint32_t
timeout_of(const struct conn_table *t, uint8_t proto, uint8_t state)
{
	if (likely(proto == IPPROTO_TCP))
		return state < TCP_STATE_COUNT ? t->tcp_ms[state] : 0;
	if (proto == IPPROTO_UDP || proto == IPPROTO_ICMP)
		return state < UDP_STATE_COUNT ? t->udp_ms[state] : 0;
	return 0;
}

static inline uint32_t
entry_timeout(const struct conn_table *t, const struct conn *c)
{
	if (c->flags & CONN_F_OWN_TIMEOUT)
		return c->own_timeout;
	return timeout_of(t, c->proto, c->state);
}

uint32_t
conn_timeout_of(const struct conn_table *t, const struct conn *c)
{
	return entry_timeout(t, c);
}

static void
wheel_link(struct conn_table *t, struct conn *c, uint32_t slot)
{
	uint32_t idx = conn_ref(t, c), head = t->wheel[slot];

	c->wheel_next = head;
	c->wheel_prev = WHEEL_HEAD | slot;
	if (head != 0)
		t->entries[head].wheel_prev = idx;
	t->wheel[slot] = idx;
}

static void
wheel_unlink(struct conn_table *t, struct conn *c)
{
	if (c->wheel_prev & WHEEL_HEAD)
		t->wheel[c->wheel_prev & ~WHEEL_HEAD] = c->wheel_next;
	else
		t->entries[c->wheel_prev].wheel_next = c->wheel_next;
	if (c->wheel_next != 0)
		t->entries[c->wheel_next].wheel_prev = c->wheel_prev;
}

/*
 * File c in the slot of due, but no earlier than the slot starting at
 * lo (the cursor, or the slot after it while the cursor's slot is being
 * emptied) and no later than the last slot before the cursor's comes
 * round again: a later due time is checked early and re-filed, and
 * nothing re-filed ever lands in the slot being emptied, so a check
 * never meets the same entry twice.
 */
static void
wheel_file(struct conn_table *t, struct conn *c, uint32_t due, uint32_t lo)
{
	uint32_t at = slot_start(due);
	uint32_t hi = t->wheel_cursor + (CONN_WHEEL_SLOTS - 1) * WHEEL_WIDTH;

	if (time_before(at, lo))
		at = lo;
	else if (time_before(hi, at))
		at = hi;
	wheel_link(t, c, slot_of(at));
}

static inline void
wheel_start(struct conn_table *t, uint32_t now)
{
	if (unlikely(!t->wheel_started)) {
		t->wheel_cursor = slot_start(now);
		t->wheel_started = true;
	}
}

/* ---- table ---- */

int
conn_table_create(struct conn_table **tp, const char *name,
		  uint32_t capacity, int socket)
{
	struct conn_table *t;
	size_t index_bytes;

	*tp = NULL;
	if (capacity == 0 || capacity > CONN_MAX_CAPACITY)
		return -EINVAL;
	t = rte_zmalloc_socket("conn_table", sizeof(*t), RTE_CACHE_LINE_SIZE,
			       socket);
	if (t == NULL)
		return -ENOMEM;
	snprintf(t->name, sizeof(t->name), "%s", name != NULL ? name : "conn");
	t->capacity = capacity;
	/* two keys per connection */
	index_bytes = conn_index_alloc(&t->ix, (uint64_t)capacity * 2, socket);
	t->entries = rte_zmalloc_socket("conn_entries",
					((size_t)capacity + 1) * sizeof(struct conn),
					RTE_CACHE_LINE_SIZE, socket);
	if (index_bytes == 0 || t->entries == NULL) {
		conn_table_free(t);
		return -ENOMEM;
	}
	t->memory = sizeof(*t) + index_bytes +
		    ((size_t)capacity + 1) * sizeof(struct conn);
	t->seed[0] = rte_rand();
	t->seed[1] = rte_rand();
	t->seed[2] = rte_rand();
	conn_timeouts_default(&t->timeouts);
	timeouts_cache(t);
	*tp = t;
	return 0;
}

void
conn_table_free(struct conn_table *t)
{
	if (t == NULL)
		return;
	conn_index_free(&t->ix);
	rte_free(t->entries);
	rte_free(t);
}

void
conn_table_set_timeouts(struct conn_table *t, const struct conn_timeouts *to)
{
	t->timeouts = *to;
	timeouts_cache(t);
}

size_t
conn_table_memory(const struct conn_table *t)
{
	return t->memory;
}

static struct conn *
entry_alloc(struct conn_table *t)
{
	uint32_t idx = t->free_head;

	/* LIFO reuse keeps recently freed (cached) lines hot; fresh
	 * entries come from the never-used tail, so creating the table
	 * does not have to thread a million-entry free list. */
	if (idx != 0)
		t->free_head = t->entries[idx].wheel_next;
	else if (t->hwm < t->capacity)
		idx = ++t->hwm;
	else
		return NULL;
	return &t->entries[idx];
}

static void
entry_release(struct conn_table *t, struct conn *c)
{
	uint32_t idx = conn_ref(t, c);

	c->flags = 0;
	c->wheel_next = t->free_head;
	t->free_head = idx;
	t->count--;
	t->gen++;
	t->removed++;
}

static inline bool
key_same(const struct conn_key4 *a, const struct conn_key4 *b)
{
	return a->proto == b->proto &&
	       memcmp(a, b, sizeof(struct conn_tuple4)) == 0;
}

/*
 * A fresh entry of proto in state, seen at now, filed in the wheel by
 * its timeout (0: by state) and counted; its flags CONN_F_LIVE and
 * flags.  Its keys are the caller's to set and index.  NULL with
 * rte_errno ENOSPC when every entry is taken.
 */
static __rte_always_inline struct conn *
entry_take(struct conn_table *t, uint8_t proto, uint8_t state, uint8_t flags,
	   uint32_t timeout, uint32_t now)
{
	struct conn *c = entry_alloc(t);

	if (c == NULL) {
		rte_errno = ENOSPC;
		return NULL;
	}
	memset(c, 0, sizeof(*c));
	c->proto = proto;
	c->state = state;
	c->flags = CONN_F_LIVE | flags;
	if (timeout != 0) {
		c->flags |= CONN_F_OWN_TIMEOUT;
		c->own_timeout = RTE_MIN(timeout, CONN_MAX_TIMEOUT_MS);
	}
	c->last_seen = now;
	wheel_start(t, now);
	wheel_file(t, c, now + (timeout != 0 ? c->own_timeout :
				timeout_of(t, proto, state)),
		   t->wheel_cursor);
	t->count++;
	t->gen++;
	return c;
}

/* conn_new_located() and conn_new_timed(): in's place in_loc, timeout
 * 0 means "by state".  Inline in both, so that a new connection's path
 * has no call and no test of a timeout of its own. */
static __rte_always_inline struct conn *
entry_new(struct conn_table *t, const struct conn_key4 *in,
	  struct conn_loc in_loc, const struct conn_key4 *out, uint8_t state,
	  uint32_t timeout, uint32_t now)
{
	struct conn_index_probe pin, pout = { 0 };	/* pout: only with out */
	struct conn *c;
	uint32_t idx;

	if (unlikely(out != NULL && (out->proto != in->proto ||
				     key_same(in, out)))) {
		rte_errno = EINVAL;
		return NULL;
	}
	/* One walk per key finds it or where it goes.  The caller
	 * normally just missed on in: its bucket is in cache.  out must be
	 * checked: a NAT reply tuple can clash with another connection's. */
	if (probe_place(t, in, in_loc, &pin) != NULL ||
	    (out != NULL &&
	     probe_place(t, out, conn_key_loc(t, out), &pout) != NULL)) {
		rte_errno = EEXIST;
		return NULL;
	}
	c = entry_take(t, in->proto, state, out == NULL ? CONN_F_NO_OUT : 0,
		       timeout, now);
	if (c == NULL)
		return NULL;
	idx = conn_ref(t, c);
	memcpy(&c->tuple[CONN_SIDE_IN], in, sizeof(c->tuple[0]));
	conn_index_place(&t->ix, &pin, idx << 1 | CONN_SIDE_IN);
	conn_watch_note(t, conn_sig_mark(pin.sig));
	if (out != NULL) {
		memcpy(&c->tuple[CONN_SIDE_OUT], out, sizeof(c->tuple[0]));
		conn_index_place(&t->ix, &pout, idx << 1 | CONN_SIDE_OUT);
		conn_watch_note(t, conn_sig_mark(pout.sig));
	}
	return c;
}

struct conn *
conn_new_located(struct conn_table *t, const struct conn_key4 *in,
		 struct conn_loc in_loc, const struct conn_key4 *out,
		 uint8_t state, uint32_t now)
{
	return entry_new(t, in, in_loc, out, state, 0, now);
}

struct conn *
conn_new(struct conn_table *t, const struct conn_key4 *in,
	 const struct conn_key4 *out, uint8_t state, uint32_t now)
{
	return conn_new_located(t, in, conn_key_loc(t, in), out, state, now);
}

struct conn *
conn_new_timed(struct conn_table *t, const struct conn_key4 *in,
	       uint32_t timeout_ms, uint32_t now)
{
	return entry_new(t, in, conn_key_loc(t, in), NULL, 0,
			 RTE_MAX(timeout_ms, 1u), now);
}

struct conn *
conn_new_ipv6(struct conn_table *t, uint8_t proto, uint8_t state,
	      uint32_t timeout_ms, uint32_t now)
{
	return entry_take(t, proto, state, CONN_F_IPV6 | CONN_F_NO_OUT,
			  timeout_ms, now);
}

struct conn *
conn_lookup4(struct conn_table *t, const struct conn_key4 *k, bool *is_reply)
{
	struct conn_loc loc = conn_key_loc(t, k);

	if (is_reply != NULL)
		*is_reply = false;
	return probe_find(t, loc, k, is_reply);
}

/*
 * A located bulk lookup in conn_index.h's two passes: the candidates'
 * entries prefetched, then each key compared with its candidate's
 * tuple.  The compares stay together here rather than each with its
 * packet later: at 1M and 10M connections the entries' misses then
 * overlap one another (docs/conn-table.md).
 */
static __rte_always_inline void
prefetch_entry4(const void *ctx, uint32_t ref)
{
	rte_prefetch0(slot_conn((struct conn_table *)ctx, ref));
}

/* conn_index_resolve() of an IPv4 key, written out with the entry and
 * side at hand: the usual hit (one candidate, the right one) costs one
 * compare. */
static __rte_always_inline struct conn *
bulk_finish(struct conn_table *t, const struct conn_key4 *k,
	    struct conn_loc loc, uint32_t cand, bool *is_reply)
{
	*is_reply = false;
	if (cand == 0)
		return NULL;
	if (likely(cand != CONN_INDEX_PROBE)) {
		struct conn *c = slot_conn(t, cand);

		if (likely(entry_has_key(c, cand & 1, k))) {
			*is_reply = cand & 1;
			return c;
		}
	}
	return probe_find(t, loc, k, is_reply);
}

unsigned int
conn_lookup4_bulk_located(struct conn_table *t, const struct conn_key4 *keys,
			  const struct conn_loc *locs, unsigned int n,
			  struct conn **conns, bool *is_reply)
{
	uint32_t cands[CONN_BULK_MAX];
	unsigned int i, hits = 0;
	uint64_t since = stage_now();

	RTE_ASSERT(n <= CONN_BULK_MAX);
	conn_index_candidates(&t->ix, locs, n, cands, prefetch_entry4, t);
	since = stage_add(STAGE_BUCKETS, since);
	for (i = 0; i < n; i++) {
		bool reply;

		conns[i] = bulk_finish(t, &keys[i], locs[i], cands[i], &reply);
		if (is_reply != NULL)
			is_reply[i] = reply;
		hits += conns[i] != NULL;
	}
	stage_add(STAGE_ENTRIES, since);
	return hits;
}

/* In chunks of CONN_BULK_MAX keys, located as they come. */
unsigned int
conn_lookup4_bulk(struct conn_table *t, const struct conn_key4 *keys,
		  unsigned int n, struct conn **conns, bool *is_reply)
{
	struct conn_loc locs[CONN_BULK_MAX];
	unsigned int base, i, cnt, hits = 0;

	for (base = 0; base < n; base += cnt) {
		cnt = RTE_MIN(n - base, (unsigned int)CONN_BULK_MAX);
		for (i = 0; i < cnt; i++)
			locs[i] = conn_key_locate(t, &keys[base + i]);
		hits += conn_lookup4_bulk_located(t, &keys[base], locs, cnt,
						  &conns[base],
						  is_reply == NULL ? NULL :
						  &is_reply[base]);
	}
	return hits;
}

void
conn_key4_get(const struct conn *c, enum conn_side side, struct conn_key4 *k)
{
	memset(k, 0, sizeof(*k));
	if (side == CONN_SIDE_IN || !(c->flags & CONN_F_NO_OUT))
		memcpy(k, &c->tuple[side], sizeof(c->tuple[side]));
	k->proto = c->proto;
}

void
conn_set_state(struct conn_table *t, struct conn *c, uint8_t state,
	       uint32_t now)
{
	uint32_t old = entry_timeout(t, c);
	uint32_t new;

	c->state = state;
	new = entry_timeout(t, c);
	if (new < old) {
		wheel_unlink(t, c);
		wheel_file(t, c, now + new, t->wheel_cursor);
	}
}

/* Drop c's keys and wheel link and recycle the entry. */
static void
entry_remove(struct conn_table *t, struct conn *c)
{
	uint32_t idx = conn_ref(t, c);
	uint8_t flags = c->flags;

	if (likely(!(flags & CONN_F_IPV6))) {	/* conn6 removes its own */
		conn_index_remove(&t->ix, conn_hash_loc(t, conn_tuple_hash(t,
					&c->tuple[CONN_SIDE_IN], c->proto)),
				  idx << 1 | CONN_SIDE_IN);
		if (!(flags & CONN_F_NO_OUT))
			conn_index_remove(&t->ix, conn_hash_loc(t,
					conn_tuple_hash(t,
					&c->tuple[CONN_SIDE_OUT], c->proto)),
					  idx << 1 | CONN_SIDE_OUT);
	}
	entry_release(t, c);
}

void
conn_del(struct conn_table *t, struct conn *c)
{
	RTE_ASSERT(c->flags & CONN_F_LIVE);
	wheel_unlink(t, c);
	entry_remove(t, c);
}

unsigned int
conn_expire_tick(struct conn_table *t, uint32_t now, unsigned int budget,
		 conn_expire_cb expire, void *ctx)
{
	const uint32_t turn = CONN_WHEEL_SLOTS * WHEEL_WIDTH;
	uint32_t now_slot = slot_start(now);
	unsigned int expired = 0;

	wheel_start(t, now);
	/* Behind by more than a turn (a stall, or a clock jump): one turn
	 * visits every slot, so skip the empty walk before it. */
	if (time_before(t->wheel_cursor + turn, now_slot))
		t->wheel_cursor = now_slot - turn;

	/* Only slots that have fully elapsed: every entry filed there is
	 * due by now unless it was touched. */
	while (budget > 0 && time_before(t->wheel_cursor, now_slot)) {
		uint32_t head = t->wheel[slot_of(t->wheel_cursor)];
		struct conn *c;
		uint32_t due;

		if (head == 0) {
			t->wheel_cursor += WHEEL_WIDTH;
			continue;
		}
		c = &t->entries[head];
		wheel_unlink(t, c);
		budget--;
		due = c->last_seen + entry_timeout(t, c);
		if (time_before(now, due)) {
			wheel_file(t, c, due, t->wheel_cursor + WHEEL_WIDTH);
			continue;
		}
		if (expire != NULL && expire(ctx, c)) {
			c->last_seen = now;
			wheel_file(t, c, now + entry_timeout(t, c),
				   t->wheel_cursor + WHEEL_WIDTH);
			continue;
		}
		entry_remove(t, c);
		expired++;
	}
	return expired;
}

unsigned int
conn_foreach(const struct conn_table *t, uint32_t *cursor, unsigned int max,
	     int (*cb)(const struct conn *c, void *arg), void *arg)
{
	uint32_t i = *cursor == 0 ? 1 : *cursor;
	uint64_t scan = (uint64_t)max * 16 + 64;
	unsigned int visited = 0;

	if (*cursor == CONN_ITER_END)
		return 0;
	for (; i <= t->hwm && visited < max && scan > 0; i++, scan--) {
		const struct conn *c = &t->entries[i];

		if (!(c->flags & CONN_F_LIVE))
			continue;
		visited++;
		if (cb(c, arg) != 0) {
			i++;
			break;
		}
	}
	*cursor = i > t->hwm ? CONN_ITER_END : i;
	return visited;
}

/* conn_index_check()'s callbacks for IPv4 keys: ctx is the table. */
static uint32_t
ref_home4(const void *ctx, uint32_t ref)
{
	const struct conn_table *t = ctx;
	struct conn_key4 k;

	conn_key4_get(&t->entries[ref >> 1], ref & 1, &k);
	return conn_key_loc(t, &k).bucket;
}

static bool
ref_live(const void *ctx, uint32_t ref)
{
	const struct conn_table *t = ctx;

	return (ref >> 1) <= t->hwm &&
	       (t->entries[ref >> 1].flags & CONN_F_LIVE);
}

int
conn_table_check(struct conn_table *t)
{
	uint32_t i, live = 0, v6 = 0, keys = 0, filed = 0, idx, prev;
	uint8_t *seen;
	int rc = -EFAULT;

	seen = rte_zmalloc(NULL, (size_t)t->capacity + 1, 0);
	if (seen == NULL)
		return -ENOMEM;
	/* every filed entry is live, filed once, with sane back links */
	for (i = 0; i < CONN_WHEEL_SLOTS; i++) {
		prev = WHEEL_HEAD | i;
		for (idx = t->wheel[i]; idx != 0;
		     idx = t->entries[idx].wheel_next) {
			if (idx > t->hwm || seen[idx] ||
			    !(t->entries[idx].flags & CONN_F_LIVE) ||
			    t->entries[idx].wheel_prev != prev)
				goto out;
			seen[idx] = 1;
			prev = idx;
			filed++;
		}
	}
	/* every live IPv4 entry is found under its keys */
	for (i = 1; i <= t->hwm; i++) {
		struct conn *c = &t->entries[i];
		struct conn_key4 k;
		bool reply;

		if (!(c->flags & CONN_F_LIVE))
			continue;
		live++;
		if (c->flags & CONN_F_IPV6) {
			v6++;
			continue;
		}
		keys++;
		conn_key4_get(c, CONN_SIDE_IN, &k);
		if (conn_lookup4(t, &k, &reply) != c || reply)
			goto out;
		if (c->flags & CONN_F_NO_OUT)
			continue;
		keys++;
		conn_key4_get(c, CONN_SIDE_OUT, &k);
		if (conn_lookup4(t, &k, &reply) != c || !reply)
			goto out;
	}
	if (live != t->count || filed != live)
		goto out;
	/* no stale references, sane overflow counts; an IPv6 table's keys
	 * are conn6's (conn6_table_check()) */
	if (v6 == 0 && conn_index_check(&t->ix, ref_home4, ref_live, t) != keys)
		goto out;
	rc = 0;
out:
	rte_free(seen);
	return rc;
}
