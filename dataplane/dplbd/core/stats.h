/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stats: drop reasons and per-lcore counters.  Each lcore writes only
 * its own cache-aligned block; readers (the control socket) sum them.
 * Plain 64-bit stores are atomic on the targets we run on, so readers
 * never take a lock and writers never pay for one.
 */
#ifndef DPLB_STATS_H
#define DPLB_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>

/* One line per reason: enum suffix, stable name used in JSON. */
#define DPLB_DROP_REASONS(X)                                   \
	X(ETH_TRUNCATED, "eth_truncated")                      \
	X(ETH_NOT_FOR_US, "eth_not_for_us")                    \
	X(UNSUPPORTED_L3, "unsupported_l3")                    \
	X(ARP_INVALID, "arp_invalid")                          \
	X(ARP_NOT_FOR_US, "arp_not_for_us")                    \
	X(IPV4_BAD_HEADER, "ipv4_bad_header")                  \
	X(IPV4_BAD_CHECKSUM, "ipv4_bad_checksum")              \
	X(IPV4_FRAGMENT, "ipv4_fragment")                      \
	X(TTL_EXCEEDED, "ttl_exceeded")                        \
	X(NO_ROUTE, "no_route")                                \
	X(FORWARD_DISABLED, "forward_disabled")                \
	X(TOO_BIG, "too_big")                                  \
	X(NO_TWIN, "no_twin")                                  \
	X(SLOW_RING_FULL, "slow_ring_full")                    \
	X(NO_NEIGHBOR, "no_neighbor")                          \
	X(NEIGH_QUEUE_FULL, "neigh_queue_full")                \
	X(TX_FULL, "tx_full")                                  \
	X(STEER_RING_FULL, "steer_ring_full")                  \
	X(TX_HANDOFF_FULL, "tx_handoff_full")                  \
	X(NO_MBUF, "no_mbuf")                                  \
	X(L4_BAD_HEADER, "l4_bad_header")                      \
	X(NOT_SYN, "not_syn")                                  \
	X(NO_DEST, "no_dest")                                  \
	X(NO_LPORT, "no_lport")                                \
	X(CONN_TABLE_FULL, "conn_table_full")                  \
	X(DEST_QUIESCENT, "dest_quiescent")                    \
	X(MARTIAN_SOURCE, "martian_source")                    \
	X(L4_BAD_CHECKSUM, "l4_bad_checksum")                  \
	X(UDP_BAD_LENGTH, "udp_bad_length")                    \
	X(ICMP_UNRELATED, "icmp_unrelated")                    \
	X(ICMP_BAD_CHECKSUM, "icmp_bad_checksum")              \
	X(SEGMENTED_HEADER, "segmented_header")                \
	X(FRAG_TIMEOUT, "frag_timeout")                        \
	X(FRAG_TABLE_FULL, "frag_table_full")                  \
	X(FRAG_MEMORY, "frag_memory")                          \
	X(FRAG_OVERLAP, "frag_overlap")                        \
	X(FRAG_INVALID, "frag_invalid")                        \
	X(SNAT_NO_PORT, "snat_no_port")                        \
	X(SYN_COOKIE_BAD, "syn_cookie_bad")                    \
	X(SYN_PROXY_WAIT, "syn_proxy_wait")                    \
	X(SYN_PROXY_HOLD_FULL, "syn_proxy_hold_full")          \
	X(HALF_OPEN_LIMIT, "half_open_limit")                  \
	X(CONN_RATE_LIMIT, "conn_rate_limit")                  \
	X(PP_TOO_BIG, "pp_too_big")                            \
	DPLB_DROP_REASONS_IPV6(X)

/* The IPv6 stack's reasons (net6/): header, extension headers, the
 * upper layer, fragments, Neighbor Discovery, ICMPv6. */
#define DPLB_DROP_REASONS_IPV6(X)                              \
	X(IPV6_BAD_HEADER, "ipv6_bad_header")                  \
	X(IPV6_SRC_MULTICAST, "ipv6_src_multicast")            \
	X(IPV6_MARTIAN_SOURCE, "ipv6_martian_source")          \
	X(IPV6_BAD_EXT, "ipv6_bad_ext")                        \
	X(IPV6_EXT_LIMIT, "ipv6_ext_limit")                    \
	X(IPV6_UNKNOWN_NEXT_HEADER, "ipv6_unknown_next_header") \
	X(IPV6_FRAGMENT, "ipv6_fragment")                      \
	X(IPV6_HOP_LIMIT, "ipv6_hop_limit")                    \
	X(IPV6_ND_INVALID, "ipv6_nd_invalid")                  \
	X(IPV6_ND_NOT_FOR_US, "ipv6_nd_not_for_us")            \
	X(IPV6_ICMP_BAD_CHECKSUM, "ipv6_icmp_bad_checksum")    \
	X(IPV6_NOT_FOR_US, "ipv6_not_for_us")                  \
	DPLB_DROP_REASONS_LB6(X)

/* The IPv6 load balancer's (lb6/lb6.c): a UDP checksum of zero, which
 * IPv6 forbids; a packet NAT64 cannot translate (RFC 7915). */
#define DPLB_DROP_REASONS_LB6(X)                               \
	X(IPV6_UDP_ZERO_CHECKSUM, "ipv6_udp_zero_checksum")    \
	X(NAT64_UNTRANSLATABLE, "nat64_untranslatable")

enum drop_reason {
#define DROP_ENUM(e, s) DROP_##e,
	DPLB_DROP_REASONS(DROP_ENUM)
#undef DROP_ENUM
	DROP_MAX
};

/** Stable JSON name of a drop reason. */
const char *drop_reason_name(enum drop_reason r);

/*
 * Why a sync record or message was not installed (HA connection sync,
 * ha/sync.h): the first ones are counted by the main lcore as it reads
 * messages, the last ones by the worker that installs.  One line per
 * reason: enum suffix, stable name used in JSON (docs/sync-protocol.md).
 */
#define DPLB_SYNC_DROPS(X)                                     \
	X(SHORT, "short")                                      \
	X(BAD_SIZE, "bad_size")                                \
	X(BAD_VERSION, "bad_version")                          \
	X(SYNCID, "syncid")                                    \
	X(WRONG_PEER, "wrong_peer")                            \
	X(BAD_ENTRY, "bad_entry")                              \
	X(BAD_RECORD, "bad_record")                            \
	X(UNKNOWN_SERVICE, "unknown_service")                  \
	X(WORKERS, "workers")                                  \
	X(MAILBOX_FULL, "mailbox_full")                        \
	X(UNKNOWN_DEST, "unknown_dest")                        \
	X(TABLE_FULL, "table_full")                            \
	X(CONFLICT, "conflict")

enum sync_drop {
#define SYNC_DROP_ENUM(e, s) SYNC_DROP_##e,
	DPLB_SYNC_DROPS(SYNC_DROP_ENUM)
#undef SYNC_DROP_ENUM
	SYNC_DROP_MAX
};

/** Stable JSON name of a sync drop reason. */
const char *sync_drop_name(enum sync_drop r);

/** Counters of one lcore (worker or main). */
struct lcore_stats {
	uint64_t rx_packets;
	uint64_t rx_bytes;
	uint64_t tx_packets;
	uint64_t tx_bytes;
	uint64_t rx_bursts;
	uint64_t polls;		/* turns of the worker loop */
	uint64_t empty_polls;	/* turns that found nothing to do */
	uint64_t sleeps;
	uint64_t sleep_us;
	uint64_t to_twin;
	uint64_t from_twin;
	uint64_t forwarded;
	uint64_t arp_replies;
	uint64_t icmp_echo_replies;
	uint64_t ipv4_options;
	uint64_t slow_path;
	uint64_t steered_out;	/* handed to the owning worker */
	uint64_t steered_in;	/* received from another worker */
	uint64_t tx_handoff;	/* frames handed to the worker owning the
				 * port's tx queue (it counts their tx) */
	uint64_t conns_new;	/* connections scheduled */
	uint64_t conns_expired;
	uint64_t conns_peak;	/* most table entries at once */
	uint64_t icmp_related;	/* ICMP errors passed to the other side */
	uint64_t syn_cookies;	/* SYN proxy: SYN-ACKs with a cookie sent */
	uint64_t syn_proxied;	/* SYN proxy: cookies returned, connected */
	uint64_t icmp_errors_sent;	/* ICMP errors of our own (TTL, MTU,
					 * no route) */
	uint64_t icmp_ratelimited;	/* ... not sent: over the rate */
	uint64_t linearized;	/* mbuf chains gathered into one mbuf, or
				 * their headers into the first segment */
	uint64_t frags_in;	/* fragments taken for reassembly */
	uint64_t reassembled;	/* datagrams made whole */
	uint64_t frags_out;	/* fragments made for a smaller MTU */
	uint64_t nd_adverts;	/* IPv6 neighbour advertisements sent */
	uint64_t ipv6_frags_to_twin;	/* IPv6 fragments for us, to the
					 * kernel twin (net6/) */
	uint64_t drops[DROP_MAX];
} __rte_cache_aligned;

/* ---- cycles by stage: the benchmark's diagnostic build ----
 *
 * TSC cycles spent in each stage of the burst path, for make
 * bench-stages (bench/stages.sh).  callgrind counts instructions, which
 * do not grow with the connection table; what does is time waiting for
 * memory, and this tells in which stage: Ethernet and IPv4 (pipeline.c's
 * stage 1), the load balancer's classification, the bulk lookup's
 * bucket pass and entry pass (conn.c), and the finish of each packet.
 *
 * Compiled in only with -DDPLB_STAGE_CYCLES (make STAGES=1): in any
 * other build stage_now() is 0 and stage_add() nothing, so the packet
 * path has no timer read.  Each lcore adds to its own block; a reader on
 * another lcore sums the blocks (stage_cycles_sum()) and takes
 * differences.
 */
enum stage_id {
	STAGE_L3,	/* pipeline stage 1: net_ipv4_usual() */
	STAGE_LOOKUP,	/* lb_burst_lookup(), the two below included */
	STAGE_BUCKETS,	/* the bulk lookup's signature pass */
	STAGE_ENTRIES,	/* the bulk lookup's key compares */
	STAGE_FINISH,	/* lb_burst_next() and what it passes back */
	STAGE_COUNT
};

struct stage_cycles {
	uint64_t cycles[STAGE_COUNT];
	uint64_t pkts;		/* through the burst path */
};

#ifdef DPLB_STAGE_CYCLES
#include <rte_cycles.h>

/* This lcore's block: in the executable's TLS, no library call. */
extern __thread struct stage_cycles stage_cycles_mine;

static inline uint64_t
stage_now(void)
{
	return rte_rdtsc();
}

/* Cycles since `since` go to stage s; returns now, the next since. */
static inline uint64_t
stage_add(enum stage_id s, uint64_t since)
{
	uint64_t now = rte_rdtsc();

	stage_cycles_mine.cycles[s] += now - since;
	return now;
}

static inline void
stage_pkts(unsigned int n)
{
	stage_cycles_mine.pkts += n;
}

/** Make the calling lcore's block one that stage_cycles_sum() reads
 * (a worker, as it starts). */
void stage_cycles_register(void);

/** The sum of every registered block so far; false without the build. */
bool stage_cycles_sum(struct stage_cycles *sum);
#else
static inline uint64_t
stage_now(void)
{
	return 0;
}

static inline uint64_t
stage_add(enum stage_id s, uint64_t since)
{
	(void)s;
	return since;
}

static inline void
stage_pkts(unsigned int n)
{
	(void)n;
}

static inline void
stage_cycles_register(void)
{
}

static inline bool
stage_cycles_sum(struct stage_cycles *sum)
{
	(void)sum;
	return false;
}
#endif

#endif /* DPLB_STATS_H */
