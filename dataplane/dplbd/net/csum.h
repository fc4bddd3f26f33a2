/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * csum: Internet checksum helpers for the packet path.  Incremental
 * updates follow RFC 1624 (HC' = ~(~HC + ~m + m')), so a rewrite costs
 * a few instructions instead of a pass over the data.  All values are
 * in network byte order.  Whole sums over contiguous bytes (csum_raw())
 * and over a packet in an mbuf chain (csum_raw_mbuf()).
 */
#ifndef DPLB_CSUM_H
#define DPLB_CSUM_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

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

/** csum_fold() of a 64-bit accumulator of 32-bit words: the halves
 * added with end-around carry, then the same for 16-bit halves (the
 * high half of x + (x rotated by 16) is their end-around sum). */
static inline uint16_t
csum_fold64(uint64_t sum)
{
	uint32_t lo = (uint32_t)sum, hi = (uint32_t)(sum >> 32);

	lo += hi;
	lo += lo < hi;
	return (uint16_t)((lo + ((lo >> 16) | (lo << 16))) >> 16);
}

/** a + b in ones' complement over 64 bits: the carry out comes back in
 * at the bottom (an add with carry), so that 64-bit words can be summed
 * for a 16-bit checksum (RFC 1071: the sum does not depend on the word
 * size; 2^64 and 1 are the same modulo 2^16 - 1). */
static inline uint64_t
csum_add64(uint64_t a, uint64_t b)
{
	uint64_t s = a + b;

	return s + (s < a);
}

/** sum plus the change of the ones' complement sum from the n 64-bit
 * words at old to the n at new (~w is -w there as in 16 bits, 2^64 - 1
 * being a multiple of 2^16 - 1): the 32 bytes of two IPv6 addresses
 * rewritten, for one.  Neither needs alignment. */
static __rte_always_inline uint64_t
csum_change64(uint64_t sum, const void *old, const void *new,
	      unsigned int n)
{
	uint64_t old_w, new_w;
	unsigned int i;

#pragma GCC unroll 4
	for (i = 0; i < n; i++) {
		memcpy(&old_w, (const char *)old + 8 * i, 8);
		memcpy(&new_w, (const char *)new + 8 * i, 8);
		sum = csum_add64(csum_add64(sum, ~old_w), new_w);
	}
	return sum;
}

/**
 * Ones' complement sum of len bytes (not inverted), 64-bit words at a
 * time with end-around carry (csum_add64()), then what is left by 4, 2
 * and 1 bytes.  buf needs no alignment.
 */
static inline uint16_t
csum_raw(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t sum = 0, w64;
	uint32_t w32;
	uint16_t w16;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w64, p + i, 8);
		sum = csum_add64(sum, w64);
	}
	if (i + 4 <= len) {
		memcpy(&w32, p + i, 4);
		sum = csum_add64(sum, w32);
		i += 4;
	}
	if (i + 2 <= len) {
		memcpy(&w16, p + i, 2);
		sum = csum_add64(sum, w16);
		i += 2;
	}
	if (i < len)	/* the first byte of a zero-padded word */
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
		sum = csum_add64(sum, p[i]);
#else
		sum = csum_add64(sum, (uint32_t)p[i] << 8);
#endif
	return csum_fold64(sum);
}

/**
 * Incremental updates of several fields at once (RFC 1624 eqn. 3 over
 * a sum): accumulate csum_diff32() of every 32-bit word that changes
 * (two 16-bit words that change side by side count as one 32-bit
 * word), then csum_apply() the sum to each checksum that covers them.
 * Equal to updating the fields one by one, for one fold instead of one
 * per field.
 */
static inline uint64_t
csum_diff32(uint32_t old_w, uint32_t new_w)
{
	return (uint64_t)(uint32_t)~old_w + new_w;
}

static inline rte_be16_t
csum_apply(rte_be16_t cksum, uint64_t diff)
{
	return (rte_be16_t)~csum_fold64((uint16_t)~cksum + diff);
}

/** The IPv4 pseudo header of a TCP or UDP segment of len bytes (RFC
 * 793, RFC 768), unfolded: add the segment's own sum, then fold. */
static inline uint64_t
csum_pseudo4(rte_be32_t src, rte_be32_t dst, uint8_t proto, uint32_t len)
{
	return (uint64_t)src + dst + rte_cpu_to_be_16((uint16_t)proto) +
	       rte_cpu_to_be_16((uint16_t)len);
}

/** The ones' complement sum (not inverted) of the len bytes of a TCP or
 * UDP segment at seg under its IPv4 pseudo header: 0xffff when a
 * received checksum is right; ~ of it is the checksum to store. */
static inline uint16_t
csum_l4_sum4(rte_be32_t src, rte_be32_t dst, uint8_t proto, const void *seg,
	     uint32_t len)
{
	return csum_fold64(csum_pseudo4(src, dst, proto, len) +
			   csum_raw(seg, len));
}

/** True when a header whose checksum field is included sums to ~0. */
static inline int
csum_verify(const void *buf, size_t len)
{
	return csum_raw(buf, len) == 0xffff;
}

/** csum_verify() of a 20-byte IPv4 header (no options): csum_raw()
 * with its length known, so two 8-byte words and a 4-byte one. */
static inline int
csum_verify_ipv4_20(const void *hdr)
{
	return csum_verify(hdr, 20);
}

/** The checksum to store for buf, with its checksum field zeroed. */
static inline rte_be16_t
csum_compute(const void *buf, size_t len)
{
	return (rte_be16_t)~csum_raw(buf, len);
}

/* ---- over a packet in an mbuf, chains included: the paths that sum a
 * whole segment (a new connection's check, a segment an edit resized,
 * an ICMP message) ---- */

/*
 * csum_raw_mbuf()'s walk of a chain.  A segment whose bytes start at an
 * odd offset of the summed range has its sum byte-swapped (RFC 1071:
 * the sum of a sequence shifted by one byte is the swapped sum).  Our
 * own walk: DPDK 22.11's rte_raw_cksum_mbuf() truncates such a
 * segment's unreduced sum to 16 bits before the swap and loses its
 * carries (test_csum's test_ipv4_l4_sum_chain).  Out of line: chains
 * are rare.
 */
static __rte_noinline bool
csum_raw_chain(const struct rte_mbuf *m, uint32_t off, uint32_t len,
	       uint16_t *sum)
{
	const struct rte_mbuf *seg = m;
	uint32_t done = 0, n;
	uint64_t acc = 0;
	uint16_t s;

	if (off + len > rte_pktmbuf_pkt_len(m))
		return false;
	for (; seg != NULL && off >= rte_pktmbuf_data_len(seg); seg = seg->next)
		off -= rte_pktmbuf_data_len(seg);
	for (; done < len; seg = seg->next, off = 0) {
		if (seg == NULL)
			return false;
		n = RTE_MIN(rte_pktmbuf_data_len(seg) - off, len - done);
		s = csum_raw(rte_pktmbuf_mtod_offset(seg, const char *, off), n);
		acc += (done & 1) ? rte_bswap16(s) : s;
		done += n;
	}
	*sum = csum_fold64(acc);
	return true;
}

/**
 * csum_raw() of the len bytes at offset off of m's packet, over mbuf
 * chains too: false when m holds less.
 */
static inline bool
csum_raw_mbuf(const struct rte_mbuf *m, uint32_t off, uint32_t len,
	      uint16_t *sum)
{
	if (likely(m->nb_segs == 1)) {
		if (off + len > rte_pktmbuf_data_len(m))
			return false;
		*sum = csum_raw(rte_pktmbuf_mtod_offset(m, const char *, off),
				len);
		return true;
	}
	return csum_raw_chain(m, off, len, sum);
}

/**
 * The ones' complement sum of the TCP or UDP segment of the IPv4 packet
 * m (header ip of ihl bytes, the segment to total_length, which the
 * caller checked against a one-segment frame) under its pseudo header:
 * 0xffff when its checksum is right; with the checksum field zeroed, ~
 * of it is the checksum to store (csum_l4_sum4()).  0, never a sum (the
 * pseudo header is not all zero), when a chain holds less than
 * total_length.
 */
static inline uint16_t
csum_l4_sum4_mbuf(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip,
		  unsigned int ihl)
{
	uint32_t len = rte_be_to_cpu_16(ip->total_length) - ihl;
	const char *seg = (const char *)ip + ihl;
	uint16_t data;

	if (likely(m->nb_segs == 1))	/* a new connection's usual case */
		return csum_l4_sum4(ip->src_addr, ip->dst_addr,
				    ip->next_proto_id, seg, len);
	if (!csum_raw_chain(m, (uint32_t)(seg - rte_pktmbuf_mtod(
						       m, const char *)),
			    len, &data))
		return 0;
	return csum_fold64(csum_pseudo4(ip->src_addr, ip->dst_addr,
					ip->next_proto_id, len) + data);
}

#endif /* DPLB_CSUM_H */
