/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * icmp: the ICMP errors dplbd sends of its own (net.h): time exceeded
 * when a TTL runs out, fragmentation needed when a packet with DF does
 * not fit the egress MTU, net unreachable for a routed packet without a
 * route.  Each worker has its own token bucket, as the kernel limits
 * its ICMP errors (icmp_ratelimit, icmp_msgs_per_sec/burst), so that a
 * flood of expiring packets cannot make dplbd a flood of errors.
 */
#include <rte_cycles.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include "core/tx.h"
#include "net/csum.h"
#include "net/net.h"
#include "net_priv.h"

#define ETH_LEN sizeof(struct rte_ether_hdr)
/* RFC 1812 4.3.2.3: the error, quote included, within 576 bytes. */
#define ICMP_ERR_MAX 576
#define ICMP_QUOTE_MAX (ICMP_ERR_MAX - sizeof(struct rte_ipv4_hdr) - \
			sizeof(struct rte_icmp_hdr))
/* RFC 1812 4.3.2.5: errors travel with precedence 6 (internetwork
 * control). */
#define ICMP_ERR_TOS 0xc0

/*
 * One bucket per worker, in tokens scaled by the TSC frequency so that
 * a refill is one multiplication: `tokens` tsc-token units, one error
 * costs hz of them, rate errors a second add rate per cycle.
 */
struct icmp_bucket {
	uint64_t last;		/* TSC of the last refill; 0 = never */
	uint64_t tokens;
	uint16_t ip_id;		/* the errors' IPv4 ids */
} __rte_cache_aligned;

static struct icmp_bucket buckets[DP_MAX_WORKERS];

static bool
bucket_take(const struct dplb_config *cfg, struct icmp_bucket *b)
{
	uint64_t hz = rte_get_tsc_hz(), now = rte_rdtsc();
	uint64_t cap = (uint64_t)cfg->icmp_burst * hz, dt;

	if (cfg->icmp_rate == 0)
		return false;
	if (b->last == 0) {
		b->tokens = cap;
	} else {
		dt = now - b->last;
		/* A full bucket's worth at most: no overflow. */
		if (dt > cap / cfg->icmp_rate)
			dt = cap / cfg->icmp_rate + 1;
		b->tokens += dt * cfg->icmp_rate;
		if (b->tokens > cap)
			b->tokens = cap;
	}
	b->last = now;
	if (b->tokens < hz)
		return false;
	b->tokens -= hz;
	return true;
}

struct rte_mbuf *
icmp_error_mbuf(struct dp_ctx *dp, struct dp_worker *w)
{
	if (bucket_take(dp->cfg, &buckets[w->id]))
		return rte_pktmbuf_alloc(dp->pool);
	w->stats.icmp_ratelimited++;
	return NULL;
}

/* ICMP types that are queries, which may draw an error (RFC 1122
 * 3.2.2: never about an error; unknown types count as errors). */
static bool
icmp_is_query(uint8_t type)
{
	switch (type) {
	case RTE_IP_ICMP_ECHO_REPLY:
	case RTE_IP_ICMP_ECHO_REQUEST:
	case 13: case 14:	/* timestamp */
	case 15: case 16:	/* information */
	case 17: case 18:	/* address mask */
		return true;
	default:
		return false;
	}
}

/* What RFC 1812 4.3.2.7 lets us answer. */
static bool
icmp_may_answer(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip)
{
	const struct rte_ether_hdr *eth =
		rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	unsigned int ihl = (ip->version_ihl & 0x0f) * 4u;
	const uint8_t *type = (const uint8_t *)ip + ihl;

	if (rte_is_multicast_ether_addr(&eth->dst_addr) ||
	    (rte_be_to_cpu_32(ip->dst_addr) >> 28) == 0xe ||
	    ip->dst_addr == RTE_BE32(0xffffffff) ||
	    ipv4_src_martian(ip->src_addr) ||
	    (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK)))
		return false;
	if (ip->next_proto_id != IPPROTO_ICMP)
		return true;
	return rte_pktmbuf_data_len(m) > ETH_LEN + ihl &&
	       rte_be_to_cpu_16(ip->total_length) > ihl && icmp_is_query(*type);
}

/* The error's headers and quote in e, addressed from src to ip's
 * source. */
static bool
icmp_build(struct rte_mbuf *e, const struct rte_mbuf *m,
	   const struct rte_ipv4_hdr *ip, uint8_t type, uint8_t code,
	   uint16_t mtu, rte_be32_t src, uint16_t id)
{
	uint32_t quote = RTE_MIN((uint32_t)rte_be_to_cpu_16(ip->total_length),
				 (uint32_t)ICMP_QUOTE_MAX), len;
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *oip;
	struct rte_icmp_hdr *icmp;
	const void *q;

	quote = RTE_MIN(quote, rte_pktmbuf_pkt_len(m) - (uint32_t)ETH_LEN);
	len = sizeof(*oip) + sizeof(*icmp) + quote;
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(e, ETH_LEN + len);
	if (eth == NULL)
		return false;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	oip = (struct rte_ipv4_hdr *)(eth + 1);
	icmp = (struct rte_icmp_hdr *)(oip + 1);
	*oip = (struct rte_ipv4_hdr){
		.version_ihl = RTE_IPV4_VHL_DEF,
		.type_of_service = ICMP_ERR_TOS,
		.total_length = rte_cpu_to_be_16((uint16_t)len),
		.packet_id = rte_cpu_to_be_16(id),
		.time_to_live = 64,
		.next_proto_id = IPPROTO_ICMP,
		.src_addr = src,
		.dst_addr = ip->src_addr,
	};
	oip->hdr_checksum = csum_compute(oip, sizeof(*oip));
	/* type, code, checksum, then 32 bits: unused, or for fragmentation
	 * needed 16 unused and the next-hop MTU (RFC 1191) */
	*icmp = (struct rte_icmp_hdr){
		.icmp_type = type,
		.icmp_code = code,
		.icmp_seq_nb = rte_cpu_to_be_16(mtu),
	};
	q = rte_pktmbuf_read(m, ETH_LEN, quote, icmp + 1);
	if (q == NULL)
		return false;
	if (q != (const void *)(icmp + 1))
		memcpy(icmp + 1, q, quote);
	icmp->icmp_cksum = csum_compute(icmp, sizeof(*icmp) + quote);
	return true;
}

void
icmp_error(struct dp_ctx *dp, struct dp_worker *w, const struct rte_mbuf *m,
	   const struct rte_ipv4_hdr *ip, uint8_t type, uint8_t code,
	   uint16_t mtu, rte_be32_t src)
{
	struct icmp_bucket *b = &buckets[w->id];
	const struct route_slot *r;
	struct rte_mbuf *e;

	if (!icmp_may_answer(m, ip))
		return;
	r = route_lookup(&dp->routes, ip->src_addr);
	if (r == NULL || r->type == ROUTE_LOCAL)
		return;		/* no way back, or from ourselves */
	if (src == 0)
		src = __atomic_load_n(&dp->ports[r->port].addr4,
				      __ATOMIC_RELAXED);
	if (src == 0)
		return;
	e = icmp_error_mbuf(dp, w);
	if (e == NULL)
		return;
	if (!icmp_build(e, m, ip, type, code, mtu, src, b->ip_id++)) {
		rte_pktmbuf_free(e);
		return;
	}
	w->stats.icmp_errors_sent++;
	ipv4_output(dp, w, e, r, ip->src_addr);
}

void
ipv4_ttl_exceeded(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
		  const struct rte_ipv4_hdr *ip, rte_be32_t src)
{
	icmp_error(dp, w, m, ip, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, 0, src);
	dp_drop(w, m, DROP_TTL_EXCEEDED);
}

void
ipv4_too_big(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
	     const struct rte_ipv4_hdr *ip, uint16_t mtu, rte_be32_t src)
{
	icmp_error(dp, w, m, ip, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, mtu, src);
	dp_drop(w, m, DROP_TOO_BIG);
}
