/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcp_edit: options, sequence edits and room in a segment (tcp_edit.h).
 */
#include <string.h>

#include "net/csum.h"
#include "tcp/tcp_edit.h"

bool
tcp_opts_parse(const struct rte_tcp_hdr *t, struct tcp_opts *o)
{
	const uint8_t *p = (const uint8_t *)t;
	unsigned int end = tcp_hdr_len(t), i = sizeof(*t), n;
	uint32_t v;

	memset(o, 0, sizeof(*o));
	while (i < end) {
		if (p[i] == TCPOPT_EOL)
			return true;
		if (p[i] == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 2 > end || p[i + 1] < 2 || i + p[i + 1] > end)
			return false;
		n = p[i + 1];
		switch (p[i]) {
		case TCPOPT_MSS:
			if (n == 4) {
				o->mss = (uint16_t)(p[i + 2] << 8 | p[i + 3]);
				o->mss_off = (uint8_t)i;
			}
			break;
		case TCPOPT_WSCALE:
			if (n == 3) {
				o->wscale = p[i + 2];
				o->has_wscale = true;
			}
			break;
		case TCPOPT_SACK_OK:
			o->sack_ok = n == 2;
			break;
		case TCPOPT_SACK:
			if (n >= 10 && (n - 2) % 8 == 0) {
				o->sack_off = (uint8_t)i;
				o->sack_n = (uint8_t)((n - 2) / 8);
			}
			break;
		case TCPOPT_TS:
			if (n == 10) {
				o->has_ts = true;
				o->ts_off = (uint8_t)i;
				memcpy(&v, p + i + 2, 4);
				o->tsval = rte_be_to_cpu_32(v);
				memcpy(&v, p + i + 6, 4);
				o->tsecr = rte_be_to_cpu_32(v);
			}
			break;
		}
		i += n;
	}
	return true;
}

void
tcp_csum_full(const struct rte_mbuf *m, struct rte_ipv4_hdr *ip)
{
	unsigned int ihl = rte_ipv4_hdr_len(ip);
	struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)((char *)ip + ihl);

	t->cksum = 0;
	t->cksum = (rte_be16_t)~csum_l4_sum4_mbuf(m, ip, ihl);
}

void
tcp_csum_finish(const struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
		struct rte_tcp_hdr *t, const struct tcp_csum_edit *e)
{
	if (e->full)
		tcp_csum_full(m, ip);
	else if (e->diff != 0)
		t->cksum = csum_apply(t->cksum, e->diff);
}

void
tcp_sack_map(struct rte_tcp_hdr *t, const struct tcp_opts *o,
	     uint32_t (*map)(uint32_t edge, const void *ctx), const void *ctx,
	     struct tcp_csum_edit *e)
{
	const uint8_t *p = (const uint8_t *)t;
	unsigned int i, off;
	uint32_t v;

	for (i = 0; i < 2u * o->sack_n; i++) {
		off = o->sack_off + 2u + 4u * i;
		memcpy(&v, p + off, 4);
		tcp_set32(t, off, map(rte_be_to_cpu_32(v), ctx), e);
	}
}

bool
tcp_mss_clamp(struct rte_tcp_hdr *t, const struct tcp_opts *o, uint16_t mss)
{
	uint8_t *p = (uint8_t *)t + o->mss_off;

	if (o->mss_off == 0 || o->mss <= mss)
		return false;
	p[2] = (uint8_t)(mss >> 8);
	p[3] = (uint8_t)mss;
	return true;
}

uint8_t *
tcp_open_room(struct rte_mbuf *m, struct rte_ipv4_hdr **ip, unsigned int len)
{
	struct rte_ipv4_hdr *h = *ip;
	const struct rte_tcp_hdr *t = (const struct rte_tcp_hdr *)
		((char *)h + rte_ipv4_hdr_len(h));
	size_t l2 = (size_t)((char *)h - rte_pktmbuf_mtod(m, char *));
	size_t hdrs = l2 + rte_ipv4_hdr_len(h) + tcp_hdr_len(t);
	char *room;

	/* The rest moves toward the tail, not the headers toward the
	 * head: an odd length would leave them unaligned. */
	if (m->nb_segs != 1 || rte_pktmbuf_data_len(m) < hdrs ||
	    rte_pktmbuf_append(m, (uint16_t)len) == NULL)
		return NULL;
	room = rte_pktmbuf_mtod_offset(m, char *, hdrs);
	memmove(room + len, room, rte_pktmbuf_data_len(m) - len - hdrs);
	h->total_length = rte_cpu_to_be_16(
		(uint16_t)(rte_be_to_cpu_16(h->total_length) + len));
	h->hdr_checksum = 0;
	h->hdr_checksum = csum_compute(h, rte_ipv4_hdr_len(h));
	return (uint8_t *)room;
}

unsigned int
tcp_syn_opts_write(uint8_t *p, const struct tcp_syn_opts *o)
{
	unsigned int n = 0;
	uint32_t v;

	p[n++] = TCPOPT_MSS;
	p[n++] = 4;
	p[n++] = (uint8_t)(o->mss >> 8);
	p[n++] = (uint8_t)o->mss;
	if (o->ts) {
		if (o->sack_ok) {
			p[n++] = TCPOPT_SACK_OK;
			p[n++] = 2;
		} else {
			p[n++] = TCPOPT_NOP;
			p[n++] = TCPOPT_NOP;
		}
		p[n++] = TCPOPT_TS;
		p[n++] = 10;
		v = rte_cpu_to_be_32(o->tsval);
		memcpy(p + n, &v, 4);
		v = rte_cpu_to_be_32(o->tsecr);
		memcpy(p + n + 4, &v, 4);
		n += 8;
	} else if (o->sack_ok) {
		p[n++] = TCPOPT_NOP;
		p[n++] = TCPOPT_NOP;
		p[n++] = TCPOPT_SACK_OK;
		p[n++] = 2;
	}
	if (o->wscale >= 0) {
		p[n++] = TCPOPT_NOP;
		p[n++] = TCPOPT_WSCALE;
		p[n++] = 3;
		p[n++] = (uint8_t)o->wscale;
	}
	return n;
}

unsigned int
tcp_seg_write(struct rte_ipv4_hdr *ip, const struct tcp_seg *s,
	      const uint8_t *opt, unsigned int olen)
{
	struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)(ip + 1);
	unsigned int len = sizeof(*ip) + sizeof(*t) + olen;

	*ip = (struct rte_ipv4_hdr){
		.version_ihl = 0x45,
		.total_length = rte_cpu_to_be_16((uint16_t)len),
		.packet_id = s->ip_id,
		.fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG),
		.time_to_live = 64,
		.next_proto_id = IPPROTO_TCP,
		.src_addr = s->saddr,
		.dst_addr = s->daddr,
	};
	ip->hdr_checksum = csum_compute(ip, sizeof(*ip));
	*t = (struct rte_tcp_hdr){
		.src_port = s->sport,
		.dst_port = s->dport,
		.sent_seq = rte_cpu_to_be_32(s->seq),
		.recv_ack = rte_cpu_to_be_32(s->ack),
		.data_off = (uint8_t)((sizeof(*t) + olen) / 4 << 4),
		.tcp_flags = s->flags,
		.rx_win = rte_cpu_to_be_16(s->win),
	};
	memmove(t + 1, opt, olen);
	t->cksum = (rte_be16_t)~csum_l4_sum4(ip->src_addr, ip->dst_addr,
					     IPPROTO_TCP, t,
					     sizeof(*t) + olen);
	return len;
}
