/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * frag: IPv4 datagrams larger than one frame or one mbuf (net.h).
 *
 *  - Reassembly.  The load balancer needs a datagram's ports, which
 *    only its first fragment carries, and rewrites a checksum that
 *    covers all of it, so fragments are reassembled (as IPVS has the
 *    kernel's defragmentation do before it sees a packet) on one worker
 *    per datagram: the owner of hash(src, dst, id) (steer_frag()),
 *    which every fragment reaches whatever worker received it; the
 *    whole datagram then goes on as any packet (to its flow's owner).
 *    Each worker's table has limits, each counted when it bites: how
 *    many datagrams (frag_table_full), the buffers they hold
 *    (frag_memory), how long the first fragment waits for the others
 *    (frag_timeout), fragments per datagram and lengths (frag_invalid).
 *    An overlap drops the whole datagram (frag_overlap), as the kernel
 *    does since the FragmentSmack fixes and RFC 5722 asks of IPv6; an
 *    exact or contained duplicate is dropped alone.
 *  - Fragmentation of what does not fit the egress MTU and may be
 *    fragmented (no DF): new one-segment mbufs, RFC 791.
 *  - Chains: a frame that a port split over mbufs is gathered into
 *    one mbuf when it fits, else its headers are gathered into the
 *    first segment, so the packet path reads headers in place and a
 *    packet in a chain is always larger than one mbuf.
 *
 * Fragments wait in the table as received (Ethernet and IP headers
 * in), each in a piece (its mbuf and payload range) of the worker's
 * pool, linked in offset order; the pool holds as many pieces as
 * frag_mem_kb holds mbufs (mbufs have no dynamic field room to spare:
 * net_pcap needs the last of it for its timestamps).
 */
#include <errno.h>
#include <string.h>

#include <rte_jhash.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "core/tx.h"
#include "log.h"
#include "net/csum.h"
#include "net/net.h"
#include "net/steer.h"
#include "net_priv.h"

#define ETH_LEN sizeof(struct rte_ether_hdr)
#define IPV4_MAX 65535u
#define FRAG_MAX_PER_DGRAM 256	/* a 64 KB datagram over a 296-byte MTU */
#define NONE 0u			/* indexes are slot + 1 */

struct frag_key {
	rte_be32_t src;
	rte_be32_t dst;
	rte_be16_t id;
	uint8_t proto;
	uint8_t pad;
};

/* A fragment held: its frame and payload range [off, end). */
struct frag_piece {
	struct rte_mbuf *m;
	uint32_t next;		/* by offset, or the free list */
	uint16_t off8;		/* off / 8 */
	uint16_t len;		/* end - off */
};

struct frag_dgram {
	struct frag_key key;
	uint32_t hnext;		/* hash chain */
	uint32_t older, newer;	/* age list, oldest first */
	uint32_t born;		/* ms, its first fragment */
	uint32_t bytes;		/* buffers it holds */
	uint32_t total;		/* payload length, from the last fragment */
	uint32_t have;		/* payload bytes held */
	uint32_t head, tail;	/* pieces by offset */
	uint16_t n;		/* fragments held */
	bool have_last;
};

struct frag_table {
	uint32_t n_max, n_used;
	uint32_t mask;			/* buckets - 1 */
	uint32_t free_head;
	uint32_t oldest, newest;
	uint32_t timeout_ms;
	uint32_t seed;
	uint32_t piece_free;
	uint64_t bytes, bytes_max;
	uint32_t *buckets;
	struct frag_dgram *d;		/* [n_max], d[i - 1] for index i */
	struct frag_piece *p;		/* p[i - 1] for index i */
};

static struct frag_table *tables[DP_MAX_WORKERS];

static inline struct rte_ipv4_hdr *
frag_ip(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, ETH_LEN);
}

static inline unsigned int
ip_hlen(const struct rte_ipv4_hdr *ip)
{
	return (ip->version_ihl & 0x0f) * 4u;
}

/* A fragment's payload range [off, end) and its MF flag. */
static inline void
frag_range(struct rte_mbuf *m, uint32_t *off, uint32_t *end, bool *more)
{
	const struct rte_ipv4_hdr *ip = frag_ip(m);
	uint16_t fo = rte_be_to_cpu_16(ip->fragment_offset);

	*off = (uint32_t)(fo & RTE_IPV4_HDR_OFFSET_MASK) * 8;
	*end = *off + rte_be_to_cpu_16(ip->total_length) - ip_hlen(ip);
	*more = fo & RTE_IPV4_HDR_MF_FLAG;
}

static inline uint32_t
truesize(const struct rte_mbuf *m)
{
	return (uint32_t)m->buf_len * m->nb_segs;
}

static uint32_t
room(const struct dp_ctx *dp)
{
	return rte_pktmbuf_data_room_size(dp->pool) - RTE_PKTMBUF_HEADROOM;
}

/* ---- chains ---------------------------------------------------------- */

bool
net_pullup(struct dp_worker *w, struct rte_mbuf *m, uint32_t len)
{
	uint32_t need, n;
	struct rte_mbuf *s;

	len = RTE_MIN(len, rte_pktmbuf_pkt_len(m));
	if (rte_pktmbuf_data_len(m) >= len)
		return true;
	need = len - rte_pktmbuf_data_len(m);
	if (rte_pktmbuf_tailroom(m) < need)
		return false;
	while (need > 0 && (s = m->next) != NULL) {
		n = RTE_MIN(need, (uint32_t)s->data_len);
		memcpy(rte_pktmbuf_mtod_offset(m, char *, m->data_len),
		       rte_pktmbuf_mtod(s, char *), n);
		m->data_len += n;
		s->data_off += n;
		s->data_len -= n;
		need -= n;
		if (s->data_len == 0) {
			m->next = s->next;
			m->nb_segs--;
			s->next = NULL;
			s->nb_segs = 1;
			rte_pktmbuf_free_seg(s);
		}
	}
	w->stats.linearized++;
	return true;
}

void
net_trim(struct rte_mbuf *m, uint32_t len)
{
	uint32_t cut = rte_pktmbuf_pkt_len(m) - len, left = len;
	struct rte_mbuf *s = m, *rest, *r;

	if (cut == 0 || (cut <= UINT16_MAX && rte_pktmbuf_trim(m, (uint16_t)cut) == 0))
		return;
	/* the segment where the first len bytes end keeps them; the
	 * segments behind it go */
	while (s->data_len < left && s->next != NULL) {
		left -= s->data_len;
		s = s->next;
	}
	s->data_len = (uint16_t)RTE_MIN(left, (uint32_t)s->data_len);
	rest = s->next;
	s->next = NULL;
	m->pkt_len = len;
	for (r = rest; r != NULL; r = r->next)
		m->nb_segs--;
	rte_pktmbuf_free(rest);
}

struct rte_mbuf *
net_gather(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m)
{
	struct rte_mbuf *c;

	if (m->nb_segs == 1)
		return m;
	if (rte_pktmbuf_pkt_len(m) > room(dp)) {
		/* IP header with options, TCP header with options */
		if (net_pullup(w, m, ETH_LEN + 60 + 60))
			return m;
		dp_drop(w, m, DROP_SEGMENTED_HEADER);
		return NULL;
	}
	if (rte_pktmbuf_linearize(m) == 0) {
		w->stats.linearized++;
		return m;
	}
	c = rte_pktmbuf_copy(m, dp->pool, 0, UINT32_MAX);
	if (c == NULL) {
		dp_drop(w, m, DROP_NO_MBUF);
		return NULL;
	}
	c->ol_flags = m->ol_flags & ~(RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL);
	rte_pktmbuf_free(m);
	w->stats.linearized++;
	return c;
}

/* ---- reassembly: the table ------------------------------------------- */

static void
table_free(struct frag_table *t)
{
	if (t == NULL)
		return;
	rte_free(t->buckets);
	rte_free(t->d);
	rte_free(t->p);
	rte_free(t);
}

static struct frag_table *
table_new(const struct dp_ctx *dp, unsigned int id)
{
	const struct dplb_config *cfg = dp->cfg;
	struct frag_table *t = rte_zmalloc("dplb_frag", sizeof(*t), 0);
	uint32_t nb = 16, np, i;

	if (t == NULL)
		return NULL;
	while (nb < 2 * cfg->frag_max)
		nb <<= 1;
	t->n_max = cfg->frag_max;
	t->mask = nb - 1;
	t->timeout_ms = cfg->frag_timeout_ms;
	t->bytes_max = (uint64_t)cfg->frag_mem_kb * 1024;
	t->seed = (uint32_t)rte_rand() ^ id;
	/* a piece per mbuf the memory limit lets us hold */
	np = (uint32_t)(t->bytes_max / rte_pktmbuf_data_room_size(dp->pool)) + 1;
	t->buckets = rte_zmalloc("dplb_frag_buckets", sizeof(uint32_t) * nb, 0);
	t->d = rte_zmalloc("dplb_frag_dgrams", sizeof(*t->d) * t->n_max,
			   RTE_CACHE_LINE_SIZE);
	t->p = rte_zmalloc("dplb_frag_pieces", sizeof(*t->p) * np,
			   RTE_CACHE_LINE_SIZE);
	if (t->buckets == NULL || t->d == NULL || t->p == NULL) {
		table_free(t);
		return NULL;
	}
	for (i = 0; i < t->n_max; i++)
		t->d[i].hnext = i + 1 < t->n_max ? i + 2 : NONE;
	t->free_head = 1;
	for (i = 0; i < np; i++)
		t->p[i].next = i + 1 < np ? i + 2 : NONE;
	t->piece_free = 1;
	return t;
}

int
frag_init(struct dp_ctx *dp)
{
	unsigned int i;

	if (dp->cfg->frag_max == 0)
		return 0;
	for (i = 0; i < dp->n_workers; i++) {
		tables[i] = table_new(dp, i);
		if (tables[i] == NULL) {
			frag_free(dp);
			return -ENOMEM;
		}
	}
	return 0;
}

static inline struct frag_dgram *
dg(struct frag_table *t, uint32_t idx)
{
	return &t->d[idx - 1];
}

static inline struct frag_piece *
pc(struct frag_table *t, uint32_t idx)
{
	return &t->p[idx - 1];
}

static inline uint32_t
piece_end(const struct frag_piece *p)
{
	return (uint32_t)p->off8 * 8 + p->len;
}

static inline uint32_t
key_bucket(const struct frag_table *t, const struct frag_key *k)
{
	return rte_jhash_3words(k->src, k->dst,
				(uint32_t)k->id << 8 | k->proto, t->seed) &
	       t->mask;
}

static inline bool
key_eq(const struct frag_key *a, const struct frag_key *b)
{
	return a->src == b->src && a->dst == b->dst && a->id == b->id &&
	       a->proto == b->proto;
}

static uint32_t
dgram_find(struct frag_table *t, const struct frag_key *k)
{
	uint32_t i = t->buckets[key_bucket(t, k)];

	while (i != NONE && !key_eq(&dg(t, i)->key, k))
		i = dg(t, i)->hnext;
	return i;
}

static uint32_t
dgram_new(struct frag_table *t, const struct frag_key *k, uint32_t now)
{
	uint32_t i = t->free_head, *b = &t->buckets[key_bucket(t, k)];
	struct frag_dgram *d;

	if (i == NONE)
		return NONE;
	d = dg(t, i);
	t->free_head = d->hnext;
	*d = (struct frag_dgram){ .key = *k, .hnext = *b, .born = now,
				  .older = t->newest };
	*b = i;
	if (t->newest != NONE)
		dg(t, t->newest)->newer = i;
	else
		t->oldest = i;
	t->newest = i;
	t->n_used++;
	return i;
}

/* Unlink datagram i (its fragments are the caller's by now). */
static void
dgram_del(struct frag_table *t, uint32_t i)
{
	struct frag_dgram *d = dg(t, i);
	uint32_t *p = &t->buckets[key_bucket(t, &d->key)];

	while (*p != i)
		p = &dg(t, *p)->hnext;
	*p = d->hnext;
	if (d->older != NONE)
		dg(t, d->older)->newer = d->newer;
	else
		t->oldest = d->newer;
	if (d->newer != NONE)
		dg(t, d->newer)->older = d->older;
	else
		t->newest = d->older;
	t->bytes -= d->bytes;
	t->n_used--;
	d->hnext = t->free_head;
	t->free_head = i;
}

/* Return the pieces from head on to the pool, handing each one's
 * mbuf to fn (if not NULL). */
static void
pieces_release(struct frag_table *t, uint32_t head,
	       void (*fn)(void *, struct rte_mbuf *), void *arg)
{
	uint32_t i, next;

	for (i = head; i != NONE; i = next) {
		struct frag_piece *p = pc(t, i);

		next = p->next;
		if (fn != NULL)
			fn(arg, p->m);
		p->m = NULL;
		p->next = t->piece_free;
		t->piece_free = i;
	}
}

struct kill_ctx {
	struct dp_worker *w;
	enum drop_reason why;
};

static void
kill_one(void *arg, struct rte_mbuf *m)
{
	struct kill_ctx *k = arg;

	if (k->w != NULL)
		dp_drop(k->w, m, k->why);
	else
		rte_pktmbuf_free(m);
}

/* Drop datagram i and every fragment it holds, each counted as why
 * (w NULL: not counted, at stop). */
static void
dgram_kill(struct dp_worker *w, struct frag_table *t, uint32_t i,
	   enum drop_reason why)
{
	struct kill_ctx k = { w, why };
	uint32_t head = dg(t, i)->head;

	dgram_del(t, i);
	pieces_release(t, head, kill_one, &k);
}

void
frag_free(struct dp_ctx *dp)
{
	unsigned int i;

	for (i = 0; i < DP_MAX_WORKERS; i++) {
		struct frag_table *t = tables[i];

		if (t == NULL)
			continue;
		while (t->oldest != NONE)
			dgram_kill(NULL, t, t->oldest, DROP_FRAG_TIMEOUT);
		table_free(t);
		tables[i] = NULL;
	}
}

void
frag_expire_tick(struct dp_ctx *dp, struct dp_worker *w)
{
	struct frag_table *t = tables[w->id];

	while (t != NULL && t->oldest != NONE &&
	       w->now_ms - dg(t, t->oldest)->born > t->timeout_ms)
		dgram_kill(w, t, t->oldest, DROP_FRAG_TIMEOUT);
}

/* ---- reassembly: a fragment ----------------------------------------- */

/*
 * Where [off, end) goes in d's list (after *prev, NONE: first), or why
 * it cannot: 0, or DROP_FRAG_OVERLAP with *dup when it lies within a
 * fragment held (it alone is dropped) and without when it overlaps
 * partly (the datagram is).
 */
static int
frag_place(struct frag_table *t, const struct frag_dgram *d, uint32_t off,
	   uint32_t end, uint32_t *prev, bool *dup)
{
	uint32_t cur = d->head, p = NONE;

	*dup = false;
	if (d->tail != NONE && (uint32_t)pc(t, d->tail)->off8 * 8 < off) {
		p = d->tail;		/* in order: after the tail */
		cur = NONE;
	}
	while (cur != NONE && (uint32_t)pc(t, cur)->off8 * 8 < off) {
		p = cur;
		cur = pc(t, cur)->next;
	}
	*prev = p;
	if (p != NONE && piece_end(pc(t, p)) > off) {
		*dup = end <= piece_end(pc(t, p));
		return DROP_FRAG_OVERLAP;
	}
	if (cur != NONE && (uint32_t)pc(t, cur)->off8 * 8 < end) {
		*dup = (uint32_t)pc(t, cur)->off8 * 8 == off &&
		       end <= piece_end(pc(t, cur));
		return DROP_FRAG_OVERLAP;
	}
	return 0;
}

/* The datagram's fragments chained behind the first, its header made
 * whole; d is gone from the table. */
static struct rte_mbuf *
frag_assemble(struct dp_ctx *dp, struct dp_worker *w, struct frag_table *t,
	      uint32_t i)
{
	struct frag_dgram *d = dg(t, i);
	uint32_t total = d->total, head = d->head, k;
	struct rte_mbuf *m = pc(t, head)->m, *f;
	struct rte_ipv4_hdr *ip = frag_ip(m);
	uint32_t ihl = ip_hlen(ip);
	bool ok = ihl + total <= IPV4_MAX;

	dgram_del(t, i);
	for (k = pc(t, head)->next; k != NONE; k = pc(t, k)->next) {
		f = pc(t, k)->m;
		rte_pktmbuf_adj(f, (uint16_t)(ETH_LEN + ip_hlen(frag_ip(f))));
		if (!ok || rte_pktmbuf_chain(m, f) != 0) {
			ok = false;
			dp_drop(w, f, DROP_FRAG_INVALID);
		}
	}
	pieces_release(t, head, NULL, NULL);
	if (!ok) {
		dp_drop(w, m, DROP_FRAG_INVALID);
		return NULL;
	}
	ip->total_length = rte_cpu_to_be_16((uint16_t)(ihl + total));
	ip->fragment_offset = 0;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = csum_compute(ip, ihl);
	/* What the port said of the first fragment says nothing of the
	 * datagram: checksums are checked in software. */
	m->ol_flags &= ~(RTE_MBUF_F_RX_L4_CKSUM_MASK |
			 RTE_MBUF_F_RX_IP_CKSUM_MASK);
	w->stats.reassembled++;
	return net_gather(dp, w, m);
}

/* Does a fragment ending at end (the last one unless more) agree with
 * what d holds: one end of the datagram, nothing beyond it? */
static bool
frag_fits(struct frag_table *t, const struct frag_dgram *d, uint32_t end,
	  bool more)
{
	if (d->n >= FRAG_MAX_PER_DGRAM)
		return false;
	if (d->have_last)
		return more ? end <= d->total : end == d->total;
	return more || d->tail == NONE || piece_end(pc(t, d->tail)) <= end;
}

/* Is m acceptable as a fragment at all? */
static bool
frag_valid(uint32_t off, uint32_t end, bool more, unsigned int ihl)
{
	return end > off && end + ihl <= IPV4_MAX && (!more || (end & 7) == 0);
}

/* Hold m in datagram i as piece for [off, end) after prev. */
static void
frag_hold(struct dp_worker *w, struct frag_table *t, uint32_t i,
	  struct rte_mbuf *m, uint32_t off, uint32_t end, bool more,
	  uint32_t prev)
{
	struct frag_dgram *d = dg(t, i);
	uint32_t k = t->piece_free, ts = truesize(m);
	struct frag_piece *p = pc(t, k);

	t->piece_free = p->next;
	*p = (struct frag_piece){ .m = m, .off8 = (uint16_t)(off / 8),
				  .len = (uint16_t)(end - off) };
	if (prev == NONE) {
		p->next = d->head;
		d->head = k;
	} else {
		p->next = pc(t, prev)->next;
		pc(t, prev)->next = k;
	}
	if (p->next == NONE)
		d->tail = k;
	if (!more) {
		d->have_last = true;
		d->total = end;
	}
	d->have += end - off;
	d->n++;
	d->bytes += ts;
	t->bytes += ts;
	w->stats.frags_in++;
}

struct rte_mbuf *
ipv4_reassemble(struct dp_ctx *dp, struct dp_worker *w, uint16_t port,
		struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip = frag_ip(m);
	struct frag_table *t = tables[w->id];
	struct frag_key k = { ip->src_addr, ip->dst_addr, ip->packet_id,
			      ip->next_proto_id, 0 };
	unsigned int owner = steer_frag(k.src, k.dst, k.id, dp->n_workers);
	uint32_t off, end, i, prev;
	struct frag_dgram *d;
	bool more, dup;

	if (t == NULL) {
		dp_drop(w, m, DROP_IPV4_FRAGMENT);	/* frag_max = 0 */
		return NULL;
	}
	if (owner != w->id) {
		dp_steer(dp, w, owner, port, m);
		return NULL;
	}
	frag_range(m, &off, &end, &more);
	if (!frag_valid(off, end, more, ip_hlen(ip))) {
		dp_drop(w, m, DROP_FRAG_INVALID);
		return NULL;
	}
	if (t->bytes + truesize(m) > t->bytes_max || t->piece_free == NONE) {
		dp_drop(w, m, DROP_FRAG_MEMORY);
		return NULL;
	}
	i = dgram_find(t, &k);
	if (i == NONE && (i = dgram_new(t, &k, w->now_ms)) == NONE) {
		dp_drop(w, m, DROP_FRAG_TABLE_FULL);
		return NULL;
	}
	d = dg(t, i);
	if (!frag_fits(t, d, end, more)) {
		dgram_kill(w, t, i, DROP_FRAG_INVALID);
		dp_drop(w, m, DROP_FRAG_INVALID);
		return NULL;
	}
	if (frag_place(t, d, off, end, &prev, &dup) != 0) {
		if (!dup)
			dgram_kill(w, t, i, DROP_FRAG_OVERLAP);
		dp_drop(w, m, DROP_FRAG_OVERLAP);
		return NULL;
	}
	frag_hold(w, t, i, m, off, end, more, prev);
	if (!d->have_last || d->have != d->total)
		return NULL;
	return frag_assemble(dp, w, t, i);
}

/* ---- fragmentation --------------------------------------------------- */

/* The options of a first fragment that later ones repeat (RFC 791: the
 * copied flag), padded to 4 bytes; returns their length. */
static unsigned int
copied_options(const uint8_t *opt, unsigned int len, uint8_t *out)
{
	unsigned int i = 0, n = 0, l;

	while (i < len && opt[i] != 0) {
		if (opt[i] == 1) {	/* NOP */
			i++;
			continue;
		}
		if (i + 1 >= len || opt[i + 1] < 2 || i + opt[i + 1] > len)
			break;
		l = opt[i + 1];
		if (opt[i] & 0x80) {
			memcpy(out + n, opt + i, l);
			n += l;
		}
		i += l;
	}
	while (n & 3)
		out[n++] = 0;
	return n;
}

/* One fragment of m: its headers (ihl bytes of hdr), payload [off,
 * off + len) of m's, MF as more. */
static struct rte_mbuf *
frag_make(struct dp_ctx *dp, const struct rte_mbuf *m, const uint8_t *hdr,
	  unsigned int ihl, uint32_t off, uint32_t len, uint16_t fo)
{
	struct rte_mbuf *f = rte_pktmbuf_alloc(dp->pool);
	struct rte_ipv4_hdr *fip;
	uint8_t *p;
	const void *data;
	unsigned int mihl = ip_hlen(rte_pktmbuf_mtod_offset(m,
			const struct rte_ipv4_hdr *, ETH_LEN));

	if (f == NULL)
		return NULL;
	p = (uint8_t *)rte_pktmbuf_append(f, (uint16_t)(ETH_LEN + ihl + len));
	if (p == NULL) {
		rte_pktmbuf_free(f);
		return NULL;
	}
	memcpy(p, rte_pktmbuf_mtod(m, const void *), ETH_LEN);
	memcpy(p + ETH_LEN, hdr, ihl);
	fip = (struct rte_ipv4_hdr *)(p + ETH_LEN);
	fip->version_ihl = (uint8_t)(0x40 | ihl / 4);
	fip->total_length = rte_cpu_to_be_16((uint16_t)(ihl + len));
	fip->fragment_offset = rte_cpu_to_be_16(fo);
	fip->hdr_checksum = 0;
	fip->hdr_checksum = csum_compute(fip, ihl);
	data = rte_pktmbuf_read(m, ETH_LEN + mihl + off, len,
				p + ETH_LEN + ihl);
	if (data == NULL) {
		rte_pktmbuf_free(f);
		return NULL;
	}
	if (data != p + ETH_LEN + ihl)
		memcpy(p + ETH_LEN + ihl, data, len);
	return f;
}

void
ipv4_output_frag(struct dp_ctx *dp, struct dp_worker *w, struct rte_mbuf *m,
		 const struct route_slot *r, rte_be32_t dst, uint16_t mtu)
{
	const struct rte_ipv4_hdr *ip = frag_ip(m);
	unsigned int ihl = ip_hlen(ip), ihl2, h;
	uint16_t fo = rte_be_to_cpu_16(ip->fragment_offset);
	uint32_t base = (uint32_t)(fo & RTE_IPV4_HDR_OFFSET_MASK) * 8;
	uint32_t payload = rte_be_to_cpu_16(ip->total_length) - ihl;
	uint32_t off = 0, len, max = RTE_MIN((uint32_t)mtu,
					     room(dp) - (uint32_t)ETH_LEN);
	uint8_t hdr2[60];
	bool last;

	/* later fragments: the base header and the copied options */
	memcpy(hdr2, ip, sizeof(*ip));
	ihl2 = sizeof(*ip) + copied_options((const uint8_t *)(ip + 1),
					    ihl - sizeof(*ip), hdr2 + sizeof(*ip));
	while (off < payload) {
		const uint8_t *hdr = off == 0 ? (const uint8_t *)ip : hdr2;
		struct rte_mbuf *f;

		h = off == 0 ? ihl : ihl2;
		len = max > h ? (max - h) & ~7u : 0;
		if (len == 0) {
			dp_drop(w, m, DROP_TOO_BIG);
			return;
		}
		last = off + len >= payload;
		if (last)
			len = payload - off;
		f = frag_make(dp, m, hdr, h, off, len,
			      (uint16_t)(((base + off) >> 3) |
					 (!last || (fo & RTE_IPV4_HDR_MF_FLAG) ?
						  RTE_IPV4_HDR_MF_FLAG : 0)));
		if (f == NULL) {
			dp_drop(w, m, DROP_NO_MBUF);
			return;
		}
		w->stats.frags_out++;
		ipv4_output(dp, w, f, r, dst);
		off += len;
	}
	rte_pktmbuf_free(m);
}
