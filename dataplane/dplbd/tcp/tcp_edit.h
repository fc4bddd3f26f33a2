/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcp_edit: the TCP mechanics of a balancer that speaks for one side of
 * a connection (a pure library, no state of its own): sequence-space
 * arithmetic, reading the options of a segment, changing sequence and
 * acknowledgement numbers, SACK edges, timestamps and the MSS in place
 * with incremental checksums, and opening room after the TCP header for
 * an option or for bytes the server must see first (proxy protocol).
 *
 * The load balancer (lb/lb_tcpx.c) keeps, per connection, the two
 * offsets these functions apply:
 *   - in_len: bytes dplbd put in front of the client's stream (a proxy
 *     protocol header at the client's ISN + 1).  Client sequence s maps
 *     to s + in_len once past ISN + 1; a server acknowledgement a maps
 *     back to a - in_len, and an acknowledgement that covers only part
 *     of the inserted bytes to ISN + 1.
 *   - s_delta: the server's ISN minus the ISN dplbd gave the client
 *     (SYN proxy).  Server sequences lose it toward the client; client
 *     acknowledgements and SACK edges gain it toward the server.
 * Every value is in host order unless named _be.  Functions never
 * allocate and never log.
 */
#ifndef DPLB_TCP_EDIT_H
#define DPLB_TCP_EDIT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

/* Sequence numbers compare modulo 2^32 (RFC 9293 3.4). */
static inline bool
seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool
seq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

/* TCP option kinds (RFC 9293, 7323, 2018) and DPVS's TOA. */
#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOPT_WSCALE 3
#define TCPOPT_SACK_OK 4
#define TCPOPT_SACK 5
#define TCPOPT_TS 8
#define TCPOPT_TOA 254		/* client address, DPVS/Huawei TOA module */
#define TCPOLEN_TOA 8

#define TCP_HDR_MAX 60		/* data offset 15 */
#define TCP_SACK_MAX 4		/* blocks in one option */

/**
 * What a segment's options say; offsets from the TCP header's start,
 * 0 when absent.  Parsed in one pass by tcp_opts_parse().
 */
struct tcp_opts {
	uint16_t mss;
	uint8_t wscale;		/* valid with has_wscale */
	bool has_wscale;
	bool sack_ok;
	bool has_ts;
	uint8_t mss_off;	/* of the option's kind byte */
	uint8_t ts_off;
	uint8_t sack_off;
	uint8_t sack_n;		/* blocks */
	uint32_t tsval, tsecr;
};

/**
 * Read t's options (the header's length checked by the caller).  A
 * malformed option list (a length running past the header, a length
 * below 2) ends the walk: what was read stays, false is returned.
 */
bool tcp_opts_parse(const struct rte_tcp_hdr *t, struct tcp_opts *o);

/** The TCP header's length in bytes. */
static inline unsigned int
tcp_hdr_len(const struct rte_tcp_hdr *t)
{
	return (t->data_off >> 4) * 4u;
}

/**
 * Incremental checksum edits of one segment: set32() each 32-bit field
 * that changes (at any offset of the TCP header), then finish().  A
 * field at an odd offset cannot be summed as it stands: the edit asks
 * for a full recomputation instead (tcp_csum_full()).
 */
struct tcp_csum_edit {
	uint64_t diff;
	bool full;
};

static inline void
tcp_set32(struct rte_tcp_hdr *t, unsigned int off, uint32_t val,
	  struct tcp_csum_edit *e)
{
	uint8_t *p = (uint8_t *)t + off;
	uint32_t old, nv = rte_cpu_to_be_32(val);

	memcpy(&old, p, 4);
	memcpy(p, &nv, 4);
	if (off & 1)
		e->full = true;
	else
		e->diff += (uint64_t)(uint32_t)~old + nv;
}

/**
 * The segment's TCP checksum over the pseudo-header and the whole
 * segment, written into it (m holds the IPv4 header ip; the segment
 * follows it).
 */
void tcp_csum_full(const struct rte_mbuf *m, struct rte_ipv4_hdr *ip);

/** Apply e to t's checksum (or recompute it when e asks). */
void tcp_csum_finish(const struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
		     struct rte_tcp_hdr *t, const struct tcp_csum_edit *e);

/**
 * Map the SACK edges of a segment (o from tcp_opts_parse()) through
 * map(edge, ctx).  For the client's SACKs (server space) and the
 * server's (client space) alike.
 */
void tcp_sack_map(struct rte_tcp_hdr *t, const struct tcp_opts *o,
		  uint32_t (*map)(uint32_t edge, const void *ctx),
		  const void *ctx, struct tcp_csum_edit *e);

/**
 * Lower the MSS option of t to at most mss (a SYN-ACK toward a client
 * whose segments will carry bytes dplbd adds).  The checksum is left to
 * the caller (the offset may be odd): returns whether it changed.
 */
bool tcp_mss_clamp(struct rte_tcp_hdr *t, const struct tcp_opts *o,
		   uint16_t mss);

/**
 * Open len bytes of room at the end of the TCP header of the IPv4
 * segment at *ip in m (one segment; the frame starts at m's data): the
 * payload (and any padding) moves toward the tail, the headers stay (an
 * odd len would misalign them).  The IPv4 total length and header
 * checksum are updated; the TCP header's data offset and checksum are
 * not (an option changes the first, the caller recomputes the second).
 * Returns the room, NULL without tailroom.
 */
uint8_t *tcp_open_room(struct rte_mbuf *m, struct rte_ipv4_hdr **ip,
		       unsigned int len);

/** Options of a SYN or SYN-ACK that dplbd writes (tcp_syn_opts_write). */
struct tcp_syn_opts {
	uint16_t mss;
	int8_t wscale;		/* -1: none */
	bool sack_ok;
	bool ts;
	uint32_t tsval, tsecr;
};

/**
 * Write o as options at p (at most 20 bytes), 4-byte aligned with NOPs
 * as Linux lays them out.  Returns their length.
 */
unsigned int tcp_syn_opts_write(uint8_t *p, const struct tcp_syn_opts *o);

/** A segment dplbd makes: addresses and ports in network order. */
struct tcp_seg {
	rte_be32_t saddr, daddr;
	rte_be16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	rte_be16_t ip_id;
};

/**
 * Write an IPv4 header (no options, DF, TTL 64) and a TCP header with
 * the options opt (olen bytes, a multiple of 4) for s at ip, both
 * checksums computed (no payload).  Returns the IPv4 total length.
 */
unsigned int tcp_seg_write(struct rte_ipv4_hdr *ip, const struct tcp_seg *s,
			   const uint8_t *opt, unsigned int olen);

#endif /* DPLB_TCP_EDIT_H */
