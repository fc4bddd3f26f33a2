/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench: dplbd's production pipeline on one worker lcore, fed by an
 * in-process traffic generator, beside an I/O-only baseline that uses
 * the same ports and the same generator (docs/performance.md).
 *
 * The ports are two net_null devices ("ext": clients, "int": real
 * servers) configured by dplbd itself from a generated dplbd.conf.  The
 * generator is an rx callback on each port: net_null hands out freshly
 * allocated mbufs and the callback writes a real Ethernet/IPv4/TCP or
 * UDP packet into each (64-byte frames); net_null's tx frees what was
 * sent.  Packets are made anew on every receive, so what dplbd rewrites
 * in place never needs resetting, and the baseline (rx -> tx, nothing
 * else) pays for exactly the same generation.
 *
 * Topology (198.18.0.0/15, the benchmarking range):
 *   clients 198.19.0.0/16 via gateway 198.18.0.254 -- ext 198.18.0.1/24,
 *   VIP 198.18.0.100:80 -- dplbd -- int 198.18.1.1/24, LIPs
 *   198.18.1.200+i -- real servers 198.18.1.10+i:80.
 * Flow f's client is 198.19.(f & 0xffff):(1024 + (f >> 16) % 64512).
 *
 * IPv6 (fnat6, nat64, cps6, cps64; gen6.c, bench6.c), 2001:2::/48 (the
 * benchmarking range of RFC 5180):
 *   clients 2001:2:c::/64 via gateway 2001:2::fe -- ext 2001:2::1/64,
 *   VIP [2001:2::100]:80 -- dplbd -- int 2001:2:1::1/64, LIPs
 *   2001:2:1::c8+i -- real servers 2001:2:1::a+i:80; NAT64: the IPv4
 *   LIPs and servers above.  Flow f's client is 2001:2:c::(f & 0xffff)
 *   with the IPv4 flow's port.  IPv6 frames are 74 bytes (TCP, no
 *   payload), NAT64's IPv4 side 60.
 */
#ifndef DPLB_BENCH_H
#define DPLB_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

struct dp_ctx;
struct dplb_config;

#define BENCH_CLIENT_NET 0xc6130000u	/* 198.19.0.0/16 */
#define BENCH_GW 0xc61200feu		/* 198.18.0.254 */
#define BENCH_EXT_ADDR 0xc6120001u	/* 198.18.0.1 */
#define BENCH_VIP 0xc6120064u		/* 198.18.0.100 */
#define BENCH_INT_ADDR 0xc6120101u	/* 198.18.1.1 */
#define BENCH_RS_BASE 0xc612010au	/* 198.18.1.10 + i */
#define BENCH_LIP_BASE 0xc61201c8u	/* 198.18.1.200 + i */
#define BENCH_VPORT 80
#define BENCH_MAX_DESTS 160
#define BENCH_LIPS 8
/* cps with dh, lblc, lblcr (they follow the destination address, the
 * VIP), sed, nq (they count only established connections, and cps sends
 * only SYNs) and fo: every connection goes to one server, whose local
 * ports bound the live connections: 31 x 64,511 (a port has room for 32
 * addresses).  At a million SYNs a second that lasts a second or two,
 * so some are still dropped (no_lport); the instruction counts of
 * make bench-callgrind, at a lower rate, are not affected. */
#define BENCH_LIPS_MAX 31
#define BENCH_WORKERS_MAX 2		/* --workers: the scaling scenario */
#define BENCH_FRAME_LEN 60		/* 64 bytes on the wire with the FCS */
#define BENCH6_NET_EXT 0x0		/* 2001:2:0::/64, the ext link */
#define BENCH6_NET_INT 0x1		/* 2001:2:1::/64, the int link */
#define BENCH6_NET_CLIENTS 0xc		/* 2001:2:c::/64 */
#define BENCH6_HOST_GW 0xfe
#define BENCH6_HOST_VIP 0x100
#define BENCH6_HOST_RS 0xa		/* + i */
#define BENCH6_HOST_LIP 0xc8		/* + i */

/** 2001:2:net::host, the IPv6 topology's addresses. */
static inline void
bench_addr6(uint8_t a[16], uint16_t net, uint32_t host)
{
	memset(a, 0, 16);
	a[0] = 0x20;
	a[1] = 0x01;
	a[3] = 0x02;
	a[4] = (uint8_t)(net >> 8);
	a[5] = (uint8_t)net;
	a[12] = (uint8_t)(host >> 24);
	a[13] = (uint8_t)(host >> 16);
	a[14] = (uint8_t)(host >> 8);
	a[15] = (uint8_t)host;
}

/* ---- the generator (gen.c) ---- */

enum gen_mode {
	GEN_IDLE,	/* receive nothing */
	GEN_FILL,	/* per flow, in fill order: SYN and ACK (TCP), or
			 * one datagram (UDP) */
	GEN_RUN,	/* established flows: clients on ext, replies on int */
	GEN_NEW,	/* a SYN from a new client tuple per packet */
	GEN_NEW3,	/* a new client tuple's SYN, ACK and ACK: the third
			 * packet of an established connection is what a
			 * sync master reports (sync_threshold 3) */
};

/* The clients' and the servers' address families. */
enum gen_family {
	GEN_IPV4,	/* both IPv4 */
	GEN_IPV6,	/* both IPv6 (fnat6, cps6) */
	GEN_NAT64,	/* IPv6 clients, IPv4 servers (nat64, cps64) */
};

struct gen6_tmpls;

/* A packet with its variable fields zero, and their checksum parts. */
struct gen_tmpl {
	uint8_t bytes[64];
	uint16_t len;		/* frame length */
	uint16_t id_off;	/* TCP seq or UDP payload: the flow number */
	uint16_t ck_off;	/* L4 checksum, from the L4 header */
	uint32_t ip_sum;	/* unfolded sums of the fixed words */
	uint32_t l4_sum;
	bool udp;
};

struct gen {
	/* set once */
	uint8_t proto;			/* IPPROTO_TCP, IPPROTO_UDP */
	uint8_t fwd;			/* enum lb_fwd */
	bool replies;			/* servers answer through us (FNAT, NAT) */
	uint8_t family;			/* enum gen_family */
	struct gen6_tmpls *t6;		/* IPv6 clients' templates (gen6.c) */
	bool snat;			/* SNAT: clients send to server f % n_dests
					 * (not the VIP), answers come from it */
	bool spread;			/* clients from everywhere (client_addr()) */
	uint32_t n_flows;
	uint32_t n_dests;
	uint32_t *mine;			/* --workers: the flows this generator
					 * makes (its worker's), NULL: all */
	uint32_t n_mine;		/* their number (n_flows without) */
	uint32_t *reply;		/* per flow: rs | lip << 8 | lport << 16 */
	struct rte_ether_addr ext_mac, int_mac;
	struct gen_tmpl syn, ack, out;	/* client SYN, client ACK, reply */
	volatile bool *quit;		/* set when the budget runs out */
	/* per phase */
	enum gen_mode mode;
	uint64_t budget;		/* packets left to make */
	/* the generator lcore's */
	uint64_t made;
	uint64_t fill_k;
	uint32_t cur_in, cur_out;
	uint32_t next_new;
	/* checks (tx callbacks) */
	bool checking;			/* what is sent is dplbd's output */
	uint64_t checked;
	uint64_t bad;
	uint64_t captured;
	char first_bad[160];
};

/** Templates and flow table for n_flows flows; 0 or -ENOMEM. */
int gen_init(struct gen *g, uint8_t proto, uint8_t fwd, uint32_t n_flows,
	     uint32_t n_dests, const struct rte_ether_addr *ext_mac,
	     const struct rte_ether_addr *int_mac);
void gen_free(struct gen *g);

/** IPv6 clients (family GEN_IPV6 or GEN_NAT64) for g, after gen_init():
 * their templates; 0 or -ENOMEM (gen_free() frees them). */
int gen6_init(struct gen *g, enum gen_family family);

/** part: a copy of g (sharing its reply table) that makes only the
 * flows worker owns among n_workers (net/steer.h); free part->mine. */
int gen_split(const struct gen *g, unsigned int worker,
	      unsigned int n_workers, struct gen *part);

/** Start a phase: mode, and how many packets at most (UINT64_MAX). */
void gen_phase(struct gen *g, enum gen_mode mode, uint64_t budget);

/** Install the generator on both ports' rx queue 0. */
int gen_attach(struct gen *g, uint16_t ext_port, uint16_t int_port);

/** The generator on one rx queue: client packets (ext) or replies. */
int gen_attach_queue(struct gen *g, uint16_t port, uint16_t queue, bool ext);

/** Learn each flow's real server and local port from what dplbd sends
 * to the servers (during the fill); returns the callback handle. */
const void *gen_capture_attach(struct gen *g, uint16_t int_port);
void gen_capture_detach(uint16_t int_port, const void *cb);
const void *gen_capture_attach_queue(struct gen *g, uint16_t int_port,
				     uint16_t queue);
void gen_capture_detach_queue(uint16_t int_port, uint16_t queue,
			      const void *cb);

/** Check every packet dplbd sends: addresses, ports, MACs, checksums. */
int gen_verify_attach(struct gen *g, uint16_t ext_port, uint16_t int_port);
int gen_verify_attach_queue(struct gen *g, uint16_t port, uint16_t queue,
			    bool ext);

/* ---- two workers (scale.c) ---- */

/* The scaling scenario's figures: sums over the workers of each one's
 * packets per CPU second of its own thread (and per wall second). */
struct scale_figures {
	double base_pps, base_pps_wall;
	double pipe_pps, pipe_pps_wall;
	uint64_t drops;
};

struct scale_opts {
	double seconds, warmup;
	unsigned int burst;
	bool verify;
};

/**
 * Full NAT on every worker of dp (dp->n_workers, up to
 * BENCH_WORKERS_MAX), each fed on its own queues of both ports by its
 * own copy of g making only the flows that worker owns.  scale_setup
 * attaches the generators and establishes g's flows through the
 * workers; scale_round measures one baseline/dplbd round pair.
 */
int scale_setup(struct dp_ctx *dp, struct gen *g, uint16_t ext_port,
		uint16_t int_port, const struct scale_opts *o);
void scale_round(struct scale_figures *r);
/** Packets checked and found wrong over all generators (--verify). */
void scale_checked(uint64_t *checked, uint64_t *bad, const char **first_bad);

#endif /* DPLB_BENCH_H */
