/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * gen_priv: what the IPv4 generator (gen.c) shares with the IPv6 one
 * (gen6.c): frame offsets, checksum sums, the flows' client tuples and
 * the reply table's packing, the fixed MACs.
 */
#ifndef DPLB_BENCH_GEN_PRIV_H
#define DPLB_BENCH_GEN_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "bench.h"

#define ETH_LEN 14
#define IP_LEN 20
#define L4_OFF (ETH_LEN + IP_LEN)
#define TCP_LEN 20
#define UDP_PAYLOAD (BENCH_FRAME_LEN - L4_OFF - 8)
/* A prime above any flow count: k -> k * FILL_MULT mod n is a
 * permutation, so flows are created in an order unrelated to the
 * order they are later sent in, and entries are reached at random. */
#define FILL_MULT 2654435761u
#define CLIENT_PORTS 64512u

extern const struct rte_ether_addr gw_mac;	/* the clients' gateway */
extern const struct rte_ether_addr rs_mac0;	/* server i: ...:02:i */

/* ---- checksums ---- */

static inline uint32_t
raw_sum(const void *buf, unsigned int len)
{
	const uint16_t *w = buf;
	uint32_t s = 0;

	for (; len > 1; len -= 2)
		s += *w++;
	return s;
}

static inline uint16_t
fold(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static inline uint32_t
sum32(uint32_t v)
{
	return (v & 0xffff) + (v >> 16);
}

/* ---- flows ---- */

/*
 * Flow f's client address: 198.19.0.0/16 by its low 16 bits, or with
 * --clients-everywhere (g->spread) one address of 1.0.0.0 to
 * 126.255.255.255 per value of those bits, all different (the low 24
 * bits are a multiplication by an odd number, a bijection), spread over
 * the route table's whole tbl24 as clients from the whole Internet are.
 */
static inline rte_be32_t
client_addr(const struct gen *g, uint32_t f)
{
	uint32_t x = f & 0xffff;

	if (!g->spread)
		return rte_cpu_to_be_32(BENCH_CLIENT_NET | x);
	return rte_cpu_to_be_32((1 + x % 126) << 24 |
				((x * 0x9e3779b1u) & 0xffffff));
}

static inline rte_be16_t
client_port(uint32_t f)
{
	uint32_t hi = f >> 16;

	if (hi >= CLIENT_PORTS)
		hi -= CLIENT_PORTS;
	return rte_cpu_to_be_16((uint16_t)(1024 + hi));
}

static inline uint32_t
reply_pack(uint32_t rs, uint32_t lip, rte_be16_t lport)
{
	return rs | lip << 8 | (uint32_t)lport << 16;
}

/* Flow f's number: the k-th of this generator's flows (--workers: the
 * flows its worker owns; else all). */
static inline uint32_t
flow_nth(const struct gen *g, uint32_t k)
{
	return g->mine != NULL ? g->mine[k] : k;
}

/* Flow f's server rs and local side lip:lport as the fill's packets
 * show them: the ACK must follow its SYN; lport is never 0. */
static inline void
capture_record(struct gen *g, uint32_t f, uint32_t rs, uint32_t lip,
	       rte_be16_t lport)
{
	if (g->reply[f] == 0)
		g->captured++;
	else if (g->reply[f] != reply_pack(rs, lip, lport))
		g->bad++;
	g->reply[f] = reply_pack(rs, lip, lport);
}

/* Known once the fill captured the flow's tuple. */
static inline bool
reply_known(const struct gen *g)
{
	return g->mode == GEN_RUN;
}

static inline bool
mac_is_rs(const struct rte_ether_addr *m, uint32_t rs)
{
	return memcmp(m->addr_bytes, rs_mac0.addr_bytes, 5) == 0 &&
	       m->addr_bytes[5] == rs;
}

/* The flow number a generated packet carries (TCP seq, UDP payload). */
static inline uint32_t
pkt_flow(const struct gen *g, const uint8_t *l4)
{
	rte_be32_t id;

	memcpy(&id, l4 + (g->proto == IPPROTO_TCP ?
				  offsetof(struct rte_tcp_hdr, sent_seq) : 8),
	       4);
	return rte_be_to_cpu_32(id);
}

/* ---- IPv6 clients (gen6.c) ---- */

/** Flow f's client packet (SYN or ACK) to the IPv6 VIP into m. */
void gen6_client(const struct gen *g, struct rte_mbuf *m, bool syn,
		 uint32_t f);
/** n IPv6 servers' replies (fnat6) to LIP6:lport, as make_out's. */
void gen6_replies(struct gen *g, struct rte_mbuf **pkts, uint16_t n);
/** Learn a flow's server and LIP6:lport from an IPv6 packet dplbd
 * sends to a server (fnat6), as gen_capture() does for IPv4. */
void gen6_capture(struct gen *g, const uint8_t *frame);
/** What is wrong with an IPv6 packet dplbd sent (ext: to a client, else
 * to a server), NULL when nothing is. */
const char *gen6_check(const struct gen *g, bool ext, struct rte_mbuf *m);

#endif /* DPLB_BENCH_GEN_PRIV_H */
