/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sched_priv: what scheduler.c (the registry, the common build and the
 * schedulers that need no counts) shares with sched_load.c (the
 * schedulers that follow connection counts and their per-worker
 * index).  Private to lb/.
 */
#ifndef DPLB_SCHED_PRIV_H
#define DPLB_SCHED_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sched/scheduler.h"

struct sched_slot {
	const struct sched_dest_load *load;
	struct sched_wload *wload;	/* worker 0's, NULL: none */
	uint32_t weight;
};

struct sched_build_ctx {
	const struct sched_params *p;
	const uint16_t *by_identity;	/* all n dests sorted by addr, port */
};

/* The order of the dests in a load index: what "least loaded" means. */
enum sched_key_kind {
	SCHED_KEY_NONE,		/* the scheduler reads no counts */
	SCHED_KEY_LC,		/* active * 256 + inactive */
	SCHED_KEY_WLC,		/* (active * 256 + inactive) / weight */
	SCHED_KEY_SED,		/* (active + 1) / weight */
	SCHED_KEY_NQ,		/* idle first, then as sed */
};

struct sched_ops {
	const char *name;
	int (*build)(struct sched_state *st, const struct sched_build_ctx *c);
	int (*pick)(const struct sched_state *st, const struct sched_input *in);
	uint8_t key;		/* enum sched_key_kind */
	bool lbl;		/* keeps a destination table (lblc, lblcr) */
};

#define TABLE_EMPTY UINT16_MAX

/* ---- hashing ---------------------------------------------------------- */

/*
 * MurmurHash3 x86_32 over whole 32-bit words.  Each input bit reaches
 * every output bit, which matters twice: sh and mh take the low bits or
 * a multiply-shift range of the hash, and mh's offset and skip must be
 * independent of each other (a CRC with two seeds is not: CRC is linear,
 * so crc(s1, x) ^ crc(s2, x) is the same for every x).
 */
static inline uint32_t
rotl32(uint32_t x, unsigned int r)
{
	return (x << r) | (x >> (32 - r));
}

static inline uint32_t
mm3_mix(uint32_t h, uint32_t k)
{
	k *= 0xcc9e2d51u;
	k = rotl32(k, 15);
	k *= 0x1b873593u;
	h ^= k;
	h = rotl32(h, 13);
	return h * 5 + 0xe6546b64u;
}

static inline uint32_t
mm3_fmix(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/* Explicitly little-endian, so the tables are the same on any host. */
static inline uint32_t
load_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Hash an address (and a port, network order, when with_port). */
static inline uint32_t
hash_addr_port(const struct inet_addr *a, uint16_t port, bool with_port,
	       uint32_t seed)
{
	const uint8_t *b;
	uint32_t h = seed;
	uint32_t len;

	if (a->family == AF_INET6) {
		b = a->v6.s6_addr;
		h = mm3_mix(h, load_le32(b));
		h = mm3_mix(h, load_le32(b + 4));
		h = mm3_mix(h, load_le32(b + 8));
		h = mm3_mix(h, load_le32(b + 12));
		len = 16;
	} else {
		b = (const uint8_t *)&a->v4.s_addr;
		h = mm3_mix(h, load_le32(b));
		len = 4;
	}
	if (with_port) {
		b = (const uint8_t *)&port;
		h = mm3_mix(h, (uint32_t)b[0] | (uint32_t)b[1] << 8);
		len += 4;
	}
	return mm3_fmix(h ^ len);
}

static inline bool
addr_usable(const struct inet_addr *a)
{
	return a != NULL && (a->family == AF_INET || a->family == AF_INET6);
}

/* ---- load ------------------------------------------------------------- */

/*
 * Relaxed loads: the counters move under our feet and a slightly old
 * value only makes one choice slightly less good.
 */
static inline bool
slot_overloaded(const struct sched_slot *s)
{
	return s->load != NULL &&
	       __atomic_load_n(&s->load->overloaded, __ATOMIC_RELAXED) != 0;
}

/* ---- sched_load.c ----------------------------------------------------- */

/* lc, wlc, sed, nq: the index of each worker when the dests have wload. */
int sched_load_build(struct sched_state *st, const struct sched_build_ctx *c);
/* The least loaded available dest in the order of the scheduler's key:
 * from the worker's index, or a scan without one. */
int sched_load_pick(const struct sched_state *st,
		    const struct sched_input *in);
/* lblc, lblcr: the id map, then as sched_load_build. */
int sched_lbl_build(struct sched_state *st, const struct sched_build_ctx *c);
int sched_lblc_pick(const struct sched_state *st,
		    const struct sched_input *in);
int sched_lblcr_pick(const struct sched_state *st,
		     const struct sched_input *in);
/* A zeroed destination table, for sched_worker_prepare. */
struct sched_lbl_table *sched_lbl_table_new(void);
/* Free what the builds above allocated. */
void sched_load_free(struct sched_state *st);

#endif /* DPLB_SCHED_PRIV_H */
