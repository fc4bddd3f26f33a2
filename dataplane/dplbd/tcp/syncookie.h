/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * syncookie: SYN cookies (RFC 4987 section 3.6) for the SYN proxy.
 *
 * A cookie is the initial sequence number dplbd answers a client's SYN
 * with; it keeps what the connection to the server needs, so that no
 * state exists until the client's ACK returns it (as ACK - 1):
 *
 *   bit 31      the parity of the secret's generation
 *   bits 30-28  the client's MSS, rounded down to a table entry
 *   bits 27-24  the client's window scale, 15 = none offered
 *   bit 23      SACK permitted offered
 *   bit 22      timestamps offered
 *   bits 21-0   a MAC: SipHash-2-4 under the generation's secret of the
 *               four-tuple, the client's ISN and bits 31-22
 *
 * Secrets rotate by time without any shared state: the secret of
 * generation g is SipHash of g under a key drawn at start, g = time /
 * period; a cookie validates under the current generation or the one
 * before (its parity bit says which), so it lives between one and two
 * periods.  A forged ACK passes with probability 2^-22.
 */
#ifndef DPLB_SYNCOOKIE_H
#define DPLB_SYNCOOKIE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_byteorder.h>

#define SYNCOOKIE_WS_NONE 15

/** What a cookie keeps of the client's SYN. */
struct syncookie_opts {
	uint16_t mss;		/* as decoded: a table entry <= the offer */
	uint8_t wscale;		/* SYNCOOKIE_WS_NONE: not offered */
	bool sack_ok;
	bool ts;
};

/** A connection as the client sees it (network order). */
struct syncookie_tuple {
	rte_be32_t saddr, daddr;
	rte_be16_t sport, dport;
};

/** The key the generations' secrets derive from (k[2] random), and
 * the length of a generation (0: one generation forever). */
struct syncookie_key {
	uint64_t k[2];
	uint32_t period_ms;
};

/** One worker's cache of the two live secrets. */
struct syncookie_secrets {
	uint32_t gen;		/* generation of cur */
	bool valid;
	uint64_t cur[2], prev[2];
};

/** A key drawn with rte_rand(), or derived from seed when not 0 (tests
 * that compare cookies byte for byte). */
void syncookie_key_init(struct syncookie_key *key, uint32_t seed,
			uint32_t period_ms);

/**
 * The cookie for a SYN with sequence isn and options o, at time now_ms.
 * s caches the secrets (per worker).
 */
uint32_t syncookie_make(const struct syncookie_key *key,
			struct syncookie_secrets *s, uint32_t now_ms,
			const struct syncookie_tuple *t, uint32_t isn,
			const struct syncookie_opts *o);

/**
 * Check cookie (the ACK's acknowledgement - 1) of a client whose ISN was
 * isn (the ACK's sequence - 1).  True and *o decoded when valid.
 */
bool syncookie_check(const struct syncookie_key *key,
		     struct syncookie_secrets *s, uint32_t now_ms,
		     const struct syncookie_tuple *t, uint32_t isn,
		     uint32_t cookie, struct syncookie_opts *o);

/** SipHash-2-4 of three 64-bit words under key k. */
uint64_t syncookie_siphash(const uint64_t k[2], uint64_t a, uint64_t b,
			   uint64_t c);

#endif /* DPLB_SYNCOOKIE_H */
