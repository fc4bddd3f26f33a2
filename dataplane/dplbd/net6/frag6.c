/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * frag6: IPv6 reassembly on the owner worker (frag6.h).
 */
#include <errno.h>

#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ip_frag.h>
#include <rte_mbuf_dyn.h>

#include "core/tx.h"
#include "net/steer.h"
#include "net6/frag6.h"
#include "net6/ip6_parse.h"
#include "net6/net6.h"

#define FRAG6_MIN 64u
#define FRAG6_BUCKET 8u		/* datagrams per hash bucket */

#define FRAG6_OUT_MAX 64		/* fragments of one datagram sent */

uint64_t frag6_whole_flag;

/* Per worker, used by that worker only. */
static struct rte_ip_frag_tbl *tables[DP_MAX_WORKERS];
static struct rte_ip_frag_death_row death[DP_MAX_WORKERS];
static uint32_t frag_ids[DP_MAX_WORKERS];

int
frag6_init(struct dp_ctx *dp)
{
	static const struct rte_mbuf_dynflag whole = {
		.name = "dplb_ip6_reassembled",
	};
	uint32_t n = RTE_MAX(dp->cfg->frag_max, FRAG6_MIN);
	uint64_t cycles = rte_get_tsc_hz() / 1000 * dp->cfg->frag_timeout_ms;
	unsigned int i;
	int bit = rte_mbuf_dynflag_register(&whole);

	if (bit < 0)
		return -rte_errno;
	frag6_whole_flag = 1ULL << bit;
	n = rte_align32pow2(n);
	for (i = 0; i < dp->n_workers; i++) {
		tables[i] = rte_ip_frag_table_create(n / FRAG6_BUCKET,
						     FRAG6_BUCKET, n, cycles,
						     (int)rte_socket_id());
		if (tables[i] == NULL)
			return -ENOMEM;
	}
	return 0;
}

void
frag6_free(struct dp_ctx *dp)
{
	for (unsigned int i = 0; i < DP_MAX_WORKERS; i++) {
		if (tables[i] != NULL)	/* it takes no NULL */
			rte_ip_frag_table_destroy(tables[i]);
		tables[i] = NULL;
	}
	RTE_SET_USED(dp);
}

/* The worker that reassembles the datagram of ip (its Fragment header
 * f): by addresses and identification, as IPv4's steer_frag(). */
static unsigned int
frag6_owner(const struct dp_ctx *dp, const struct rte_ipv6_hdr *ip,
	    const struct rte_ipv6_fragment_ext *f)
{
	/* the IPv6 header is only 2-byte aligned behind Ethernet: copy */
	rte_be32_t s[4], d[4], id;

	memcpy(s, ip->src_addr, sizeof(s));
	memcpy(d, ip->dst_addr, sizeof(d));
	memcpy(&id, &f->id, sizeof(id));
	return steer_frag(s[0] ^ s[1] ^ s[2] ^ s[3], d[0] ^ d[1] ^ d[2] ^ d[3],
			  (rte_be16_t)(id ^ (id >> 16)), dp->n_workers);
}

/* What the library gave up on (expired, overlapping, too many
 * fragments): counted drops. */
static void
frag6_bury(struct dp_worker *w, struct rte_ip_frag_death_row *dr)
{
	for (uint32_t i = 0; i < dr->cnt; i++)
		dp_drop(w, dr->row[i], DROP_IPV6_FRAGMENT);
	dr->cnt = 0;
}

struct rte_mbuf *
ipv6_reassemble(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
		struct rte_mbuf *m, struct rte_ipv6_hdr *ip)
{
	struct rte_ipv6_fragment_ext *f = (void *)(ip + 1);
	struct rte_mbuf *whole;
	unsigned int owner = frag6_owner(dp, ip, f);

	if (owner != w->id) {
		dp_steer(dp, w, owner, port, m);
		return NULL;
	}
	w->stats.frags_in++;
	m->l2_len = RTE_ETHER_HDR_LEN;
	m->l3_len = IP6_HDR_LEN + sizeof(*f);
	whole = rte_ipv6_frag_reassemble_packet(tables[w->id], &death[w->id],
						m, rte_rdtsc(), ip, f);
	frag6_bury(w, &death[w->id]);
	if (whole != NULL) {
		w->stats.reassembled++;
		whole->ol_flags |= frag6_whole_flag;
	}
	return whole;
}

void
ipv6_output_frags(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
		  const struct route6_slot *r, const uint8_t dst[16],
		  uint16_t mtu)
{
	struct rte_mbuf *out[FRAG6_OUT_MAX];
	rte_be32_t id = rte_cpu_to_be_32(++frag_ids[w->id]);
	int n, i;

	m->ol_flags &= ~frag6_whole_flag;
	rte_pktmbuf_adj(m, RTE_ETHER_HDR_LEN);	/* the library's input */
	n = rte_ipv6_fragment_packet(m, out, FRAG6_OUT_MAX, mtu, dp->pool,
				     dp->pool);
	if (n < 0) {
		dp_drop(w, m, DROP_NO_MBUF);
		return;
	}
	rte_pktmbuf_free(m);	/* the fragments hold its data */
	for (i = 0; i < n; i++) {
		struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod(out[i],
							   struct rte_ipv6_hdr *);
		struct rte_ipv6_fragment_ext *f = (void *)(ip + 1);

		memcpy(&f->id, &id, sizeof(id));
		if (rte_pktmbuf_prepend(out[i], RTE_ETHER_HDR_LEN) == NULL) {
			dp_drop(w, out[i], DROP_NO_MBUF);
			continue;
		}
		w->stats.frags_out++;
		ipv6_output(dp, w, out[i], r, dst);
	}
}
