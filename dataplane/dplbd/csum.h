/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * csum: Internet checksum helpers for the packet path.  Incremental
 * updates follow RFC 1624 (HC' = ~(~HC + ~m + m')), so a rewrite costs
 * a few instructions instead of a pass over the data.  All values are
 * in network byte order.
 */
#ifndef DPLB_CSUM_H
#define DPLB_CSUM_H

#include <stdint.h>

#include <rte_byteorder.h>

static inline uint16_t
csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/** Checksum after a 16-bit word of the covered data changed old -> new. */
static inline rte_be16_t
csum_update16(rte_be16_t cksum, rte_be16_t old_w, rte_be16_t new_w)
{
	uint32_t sum = (uint16_t)~cksum;

	sum += (uint16_t)~old_w;
	sum += new_w;
	return (rte_be16_t)~csum_fold(sum);
}

/** Checksum after a 32-bit word (an IPv4 address) changed old -> new. */
static inline rte_be16_t
csum_update32(rte_be16_t cksum, rte_be32_t old_w, rte_be32_t new_w)
{
	uint32_t sum = (uint16_t)~cksum;

	sum += (uint16_t)~(old_w & 0xffff);
	sum += (uint16_t)~(old_w >> 16);
	sum += new_w & 0xffff;
	sum += new_w >> 16;
	return (rte_be16_t)~csum_fold(sum);
}

/** Ones' complement sum of len bytes (not inverted). */
static inline uint16_t
csum_raw(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] | p[i + 1] << 8);
	if (len & 1)
		sum += p[len - 1];
	return csum_fold(sum);
}

/** True when a header whose checksum field is included sums to ~0. */
static inline int
csum_verify(const void *buf, size_t len)
{
	return csum_raw(buf, len) == 0xffff;
}

/** The checksum to store for buf, with its checksum field zeroed. */
static inline rte_be16_t
csum_compute(const void *buf, size_t len)
{
	return (rte_be16_t)~csum_raw(buf, len);
}

#endif /* DPLB_CSUM_H */
