/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * syncookie: SYN cookies with rotating secrets (syncookie.h).
 */
#include <rte_common.h>
#include <rte_random.h>

#include "tcp/syncookie.h"

#define MAC_BITS 22
#define MAC_MASK ((1u << MAC_BITS) - 1)

/* MSS values a cookie can keep: common ones, from the smallest. */
static const uint16_t mss_table[8] = {
	536, 1200, 1360, 1400, 1440, 1452, 1460, 8960,
};

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

#define SIPROUND                                                   \
	do {                                                       \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0;             \
		v0 = ROTL(v0, 32);                                 \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;             \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;             \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2;             \
		v2 = ROTL(v2, 32);                                 \
	} while (0)

/* SipHash-2-4 (Aumasson and Bernstein) over 24 bytes, written from the
 * paper's description. */
uint64_t
syncookie_siphash(const uint64_t k[2], uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t v0 = k[0] ^ 0x736f6d6570736575ULL;
	uint64_t v1 = k[1] ^ 0x646f72616e646f6dULL;
	uint64_t v2 = k[0] ^ 0x6c7967656e657261ULL;
	uint64_t v3 = k[1] ^ 0x7465646279746573ULL;
	const uint64_t m[4] = { a, b, c, (uint64_t)24 << 56 };
	unsigned int i;

	for (i = 0; i < 4; i++) {
		v3 ^= m[i];
		SIPROUND;
		SIPROUND;
		v0 ^= m[i];
	}
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

void
syncookie_key_init(struct syncookie_key *key, uint32_t seed,
		   uint32_t period_ms)
{
	static const uint64_t zero[2];

	key->k[0] = seed ? syncookie_siphash(zero, seed, 0, 0) : rte_rand();
	key->k[1] = seed ? syncookie_siphash(zero, seed, 1, 0) : rte_rand();
	key->period_ms = period_ms;
}

static void
secret_of(const struct syncookie_key *key, uint32_t gen, uint64_t out[2])
{
	out[0] = syncookie_siphash(key->k, gen, 0, 0);
	out[1] = syncookie_siphash(key->k, gen, 1, 0);
}

/* Bring s to the generation of now. */
static void
secrets_update(const struct syncookie_key *key, struct syncookie_secrets *s,
	       uint32_t now_ms)
{
	uint32_t gen = key->period_ms ? now_ms / key->period_ms : 0;

	if (s->valid && s->gen == gen)
		return;
	if (s->valid && s->gen + 1 == gen) {
		s->prev[0] = s->cur[0];
		s->prev[1] = s->cur[1];
	} else {
		secret_of(key, gen - 1, s->prev);
	}
	secret_of(key, gen, s->cur);
	s->gen = gen;
	s->valid = true;
}

static uint32_t
mac(const uint64_t secret[2], const struct syncookie_tuple *t, uint32_t isn,
    uint32_t bits)
{
	uint64_t a = (uint64_t)t->saddr << 32 | t->daddr;
	uint64_t b = (uint64_t)t->sport << 48 | (uint64_t)t->dport << 32 | isn;

	return (uint32_t)syncookie_siphash(secret, a, b, bits) & MAC_MASK;
}

static uint32_t
encode(uint32_t gen, const struct syncookie_opts *o)
{
	unsigned int i = RTE_DIM(mss_table) - 1;

	while (i > 0 && mss_table[i] > o->mss)
		i--;
	return (gen & 1) << 31 | i << 28 |
	       (uint32_t)(o->wscale > 14 ? SYNCOOKIE_WS_NONE : o->wscale) << 24 |
	       (uint32_t)o->sack_ok << 23 | (uint32_t)o->ts << 22;
}

uint32_t
syncookie_make(const struct syncookie_key *key, struct syncookie_secrets *s,
	       uint32_t now_ms, const struct syncookie_tuple *t, uint32_t isn,
	       const struct syncookie_opts *o)
{
	uint32_t bits;

	secrets_update(key, s, now_ms);
	bits = encode(s->gen, o);
	return bits | mac(s->cur, t, isn, bits);
}

bool
syncookie_check(const struct syncookie_key *key, struct syncookie_secrets *s,
		uint32_t now_ms, const struct syncookie_tuple *t, uint32_t isn,
		uint32_t cookie, struct syncookie_opts *o)
{
	uint32_t bits = cookie & ~MAC_MASK;
	const uint64_t *secret;

	secrets_update(key, s, now_ms);
	secret = (cookie >> 31) == (s->gen & 1) ? s->cur : s->prev;
	if (mac(secret, t, isn, bits) != (cookie & MAC_MASK))
		return false;
	o->mss = mss_table[(cookie >> 28) & 7];
	o->wscale = (uint8_t)((cookie >> 24) & 0xf);
	o->sack_ok = (cookie >> 23) & 1;
	o->ts = (cookie >> 22) & 1;
	return true;
}
