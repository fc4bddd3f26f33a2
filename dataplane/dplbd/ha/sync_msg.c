/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sync_msg: IPVS sync v1 messages with dplb's extension entry, built and
 * parsed (sync_msg.h; the layout is docs/sync-protocol.md's).
 */
#include <errno.h>
#include <string.h>

#include <netinet/in.h>

#include "ha/sync_msg.h"

/* ---- unaligned big-endian fields ---- */

static inline void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* Fields already in network order are copied as they are. */
#define PUT_RAW(p, v) memcpy((p), &(v), sizeof(v))
#define GET_RAW(v, p) memcpy(&(v), (p), sizeof(v))

/* Offsets in an entry (struct ip_vs_sync_v4). */
enum {
	E_TYPE = 0, E_PROTO = 1, E_VER_SIZE = 2, E_FLAGS = 4, E_STATE = 8,
	E_CPORT = 10, E_VPORT = 12, E_DPORT = 14, E_FWMARK = 16,
	E_TIMEOUT = 20, E_CADDR = 24, E_VADDR = 28, E_DADDR = 32,
};

/* In an IPv6 entry (struct ip_vs_sync_v6): the same up to the timeout. */
enum { E6_CADDR = 24, E6_VADDR = 40, E6_DADDR = 56 };

/* ::ffff:a.b.c.d (RFC 4291, 2.5.5.2): how an IPv6 entry names NAT64's
 * IPv4 real server, for IPVS and tshark; the extension says it is one. */
static void
v4_mapped(uint8_t *p, rte_be32_t a)
{
	memset(p, 0, 10);
	p[10] = 0xff;
	p[11] = 0xff;
	PUT_RAW(p + 12, a);
}

/* ---- building ---- */

void
sync_msg_init(struct sync_msg *m, uint8_t *buf, uint16_t max, uint8_t syncid)
{
	*m = (struct sync_msg){ .buf = buf, .max = max,
				.len = SYNC_MSG_HDR_LEN };
	memset(buf, 0, SYNC_MSG_HDR_LEN);
	buf[1] = syncid;
	put16(buf + 2, SYNC_MSG_HDR_LEN);
	buf[5] = SYNC_MSG_VERSION;
}

static uint8_t *
msg_room(struct sync_msg *m, unsigned int entries, unsigned int entry_len)
{
	uint8_t *p = m->buf + m->len;
	unsigned int bytes = entries * entry_len;

	if (m->len + bytes > m->max ||
	    m->count + entries > SYNC_MSG_MAX_ENTRIES)
		return NULL;
	memset(p, 0, bytes);
	m->len = (uint16_t)(m->len + bytes);
	m->count = (uint8_t)(m->count + entries);
	put16(m->buf + 2, m->len);
	m->buf[4] = m->count;
	return p;
}

/* What IPVS would say about the connection in its flags. */
static uint32_t
ipvs_flags(const struct lb_sync_rec *r)
{
	uint32_t f;

	switch (r->fwd) {
	case CONN_FWD_DR:
		f = IPVS_CONN_F_DROUTE | IPVS_CONN_F_NOOUTPUT;
		break;
	case CONN_FWD_TUNNEL:
		f = IPVS_CONN_F_TUNNEL | IPVS_CONN_F_NOOUTPUT;
		break;
	default:	/* NAT; full NAT and SNAT look like it to IPVS */
		f = IPVS_CONN_F_MASQ;
	}
	if (r->flags & LB_SYNC_F_TEMPLATE)
		return f | IPVS_CONN_F_TEMPLATE;
	if (r->proto != IPPROTO_TCP || r->state != TCP_S_ESTABLISHED)
		f |= IPVS_CONN_F_INACTIVE;
	return f;
}

/* The fields IPv4 and IPv6 entries share: all but the addresses. */
static void
put_common(uint8_t *p, const struct lb_sync_rec *r, uint16_t size)
{
	bool tcp = r->proto == IPPROTO_TCP;

	p[E_PROTO] = r->proto;
	put16(p + E_VER_SIZE, size);
	put32(p + E_FLAGS, ipvs_flags(r));
	/* IPVS has one UDP state and none for templates */
	put16(p + E_STATE, tcp && !(r->flags & LB_SYNC_F_TEMPLATE) ?
				   r->state : 0);
	PUT_RAW(p + E_CPORT, r->cport);
	PUT_RAW(p + E_VPORT, r->vport);
	PUT_RAW(p + E_DPORT, r->dport);
	put32(p + E_TIMEOUT, r->timeout_s);
}

static void
put_entry(uint8_t *p, const struct lb_sync_rec *r)
{
	put_common(p, r, SYNC_MSG_ENTRY_LEN);
	PUT_RAW(p + E_CADDR, r->caddr);
	PUT_RAW(p + E_VADDR, r->vaddr);
	PUT_RAW(p + E_DADDR, r->daddr);
}

static void
put_entry6(uint8_t *p, const struct lb_sync_rec *r)
{
	p[E_TYPE] = IPVS_STYPE_F_INET6;
	put_common(p, r, SYNC_MSG_ENTRY6_LEN);
	if (r->flags & LB_SYNC_F_CLIENT4) {
		v4_mapped(p + E6_CADDR, r->caddr);
		v4_mapped(p + E6_VADDR, r->vaddr);
	} else {
		memcpy(p + E6_CADDR, r->caddr6, 16);
		memcpy(p + E6_VADDR, r->vaddr6, 16);
	}
	if (r->flags & LB_SYNC_F_SERVER4)
		v4_mapped(p + E6_DADDR, r->daddr);
	else
		memcpy(p + E6_DADDR, r->daddr6, 16);
}

/* An extension entry, IPv4 shaped (version 1) or IPv6 (version 2). */
static void
put_ext(uint8_t *p, bool v6, enum sync_ext_kind kind, uint32_t flags,
	uint16_t state, uint32_t wall_ms, uint32_t nonce, uint16_t n_workers)
{
	p[E_TYPE] = v6 ? IPVS_STYPE_F_INET6 : 0;
	p[E_PROTO] = SYNC_EXT_PROTO;
	put16(p + E_VER_SIZE, v6 ? SYNC_MSG_ENTRY6_LEN : SYNC_MSG_ENTRY_LEN);
	put32(p + E_FLAGS, flags | (uint32_t)kind << SYNC_EXT_KIND_SHIFT);
	put16(p + E_STATE, state);
	put16(p + E_VPORT, v6 ? SYNC_EXT_VERSION6 : SYNC_EXT_VERSION);
	put16(p + E_DPORT, n_workers);
	put32(p + E_FWMARK, wall_ms);
	put32(p + E_TIMEOUT, nonce);
}

/* The local side in extension x: the local address in caddr (IPv4 in
 * its first 4 bytes but for an IPv6 local address). */
static void
put_ext_local(uint8_t *x, const struct lb_sync_rec *r, bool v6)
{
	PUT_RAW(x + E_CPORT, r->lport);
	if (!v6 || (r->flags & LB_SYNC_F_SERVER4))
		PUT_RAW(x + E_CADDR, r->laddr);
	else
		memcpy(x + E6_CADDR, r->laddr6, 16);
}

/* Whether a record has a local side: full NAT, SNAT, and an IPv6
 * service's NAT to an IPv4 dest (NAT64 needs a local address). */
static bool
has_local(unsigned int fwd, bool server4)
{
	return fwd == CONN_FWD_FNAT || fwd == CONN_FWD_SNAT ||
	       (server4 && fwd == CONN_FWD_NAT);
}

int
sync_msg_add(struct sync_msg *m, const struct lb_sync_rec *r,
	     uint32_t wall_ms, uint16_t n_workers)
{
	bool v6 = r->flags & (LB_SYNC_F_IPV6 | LB_SYNC_F_CLIENT4);
	unsigned int elen = v6 ? SYNC_MSG_ENTRY6_LEN : SYNC_MSG_ENTRY_LEN;
	uint8_t *p = msg_room(m, 2, elen), *x;
	uint32_t flags = (uint32_t)r->fwd << SYNC_EXT_FWD_SHIFT;
	bool server4 = v6 && (r->flags & LB_SYNC_F_SERVER4);

	if (p == NULL)
		return -ENOSPC;
	if (v6)
		put_entry6(p, r);
	else
		put_entry(p, r);
	x = p + elen;
	if (has_local(r->fwd, server4))
		flags |= SYNC_EXT_F_LOCAL;
	if (server4) {		/* the IPv4 real server, which the entry
				 * has IPv4-mapped */
		flags |= SYNC_EXT_F_SERVER4;
		PUT_RAW(x + E6_VADDR, r->daddr);
	}
	if (r->flags & LB_SYNC_F_CLIENT4)
		flags |= SYNC_EXT_F_CLIENT4;
	if (r->flags & LB_SYNC_F_DUMP)
		flags |= SYNC_EXT_F_DUMP;
	if (r->flags & LB_SYNC_F_PEER)
		flags |= SYNC_EXT_F_PEER;
	put_ext(x, v6, SYNC_EXT_CONN, flags, r->state, wall_ms, 0, n_workers);
	if (flags & SYNC_EXT_F_LOCAL)
		put_ext_local(x, r, v6);
	return 0;
}

int
sync_msg_add_ctl(struct sync_msg *m, enum sync_ext_kind kind, uint32_t nonce,
		 uint32_t wall_ms, uint16_t n_workers)
{
	uint8_t *p;

	if (kind == SYNC_EXT_CONN || kind >= SYNC_EXT_KINDS)
		return -EINVAL;
	p = msg_room(m, 1, SYNC_MSG_ENTRY_LEN);
	if (p == NULL)
		return -ENOSPC;
	put_ext(p, false, kind, 0, 0, wall_ms, nonce, n_workers);
	return 0;
}

/* ---- parsing ---- */

enum entry_verdict {
	ENTRY_OK,
	ENTRY_SKIP,	/* well-formed, but nothing dplb can use */
	ENTRY_BAD,	/* malformed: the rest of the message goes */
};

struct parse {
	sync_item_fn fn;
	void *arg;
	uint64_t *drops;
	uint8_t syncid;
	bool pending;		/* item holds a connection entry not yet
				 * completed by an extension */
	bool skipped;		/* the entry before was skipped: its
				 * extension goes with it, uncounted */
	struct sync_item item;
	int n;
};

static void
deliver(struct parse *ps, struct sync_item *it)
{
	it->syncid = ps->syncid;
	ps->fn(ps->arg, it);
	ps->n++;
}

/* A connection entry without its extension: as a Linux master sends. */
static void
flush_pending(struct parse *ps)
{
	if (!ps->pending)
		return;
	ps->pending = false;
	deliver(ps, &ps->item);
}

/* IPVS's options after the fixed part: only their shape matters here. */
static enum entry_verdict
entry_options(const uint8_t *q, const uint8_t *end)
{
	enum entry_verdict v = ENTRY_OK;
	unsigned int type, len;

	while (q < end) {
		if (end - q < 2)
			return ENTRY_BAD;
		type = q[0];
		len = q[1];
		q += 2;
		if (len == 0 || len > (size_t)(end - q))
			return ENTRY_BAD;
		switch (type & ~IPVS_OPT_F_PARAM) {
		case IPVS_OPT_SEQ_DATA:	/* sequence offsets: not used */
			if (len != IPVS_SEQ_OPT_LEN)
				return ENTRY_BAD;
			break;
		case IPVS_OPT_PE_DATA:	/* persistence engines (SIP) */
		case IPVS_OPT_PE_NAME:
			v = ENTRY_SKIP;
			break;
		default:
			if (!(type & IPVS_OPT_F_PARAM))
				v = ENTRY_SKIP;	/* mandatory, unknown */
		}
		q += len;
	}
	return v;
}

static enum entry_verdict
parse_conn(const uint8_t *p, unsigned int size, bool v6, struct sync_item *it)
{
	struct lb_sync_rec *r = &it->rec;
	uint32_t flags = get32(p + E_FLAGS);
	uint16_t state = get16(p + E_STATE);
	enum entry_verdict v = entry_options(p + (v6 ? SYNC_MSG_ENTRY6_LEN :
						       SYNC_MSG_ENTRY_LEN),
					     p + size);

	if (v != ENTRY_OK)
		return v;
	*it = (struct sync_item){ .kind = SYNC_EXT_CONN };
	r->proto = p[E_PROTO];
	if (r->proto != IPPROTO_TCP && r->proto != IPPROTO_UDP)
		return ENTRY_SKIP;
	switch (flags & IPVS_CONN_F_FWD_MASK) {
	case IPVS_CONN_F_MASQ:
		r->fwd = CONN_FWD_NAT;
		break;
	case IPVS_CONN_F_TUNNEL:
		r->fwd = CONN_FWD_TUNNEL;
		break;
	case IPVS_CONN_F_DROUTE:
		r->fwd = CONN_FWD_DR;
		break;
	default:		/* local node, bypass */
		return ENTRY_SKIP;
	}
	if (flags & IPVS_CONN_F_TEMPLATE)
		r->flags |= LB_SYNC_F_TEMPLATE;
	else if (r->proto == IPPROTO_TCP && state >= TCP_STATE_COUNT)
		return ENTRY_SKIP;
	else if (r->proto == IPPROTO_UDP && state != 0)
		return ENTRY_SKIP;
	/* IPVS's one UDP state: the server has answered or not, unknown */
	r->state = r->proto == IPPROTO_TCP ? (uint8_t)state : UDP_NORMAL;
	if (r->flags & LB_SYNC_F_TEMPLATE)
		r->state = 0;
	GET_RAW(r->cport, p + E_CPORT);
	GET_RAW(r->vport, p + E_VPORT);
	GET_RAW(r->dport, p + E_DPORT);
	r->timeout_s = get32(p + E_TIMEOUT);
	if (v6) {
		r->flags |= LB_SYNC_F_IPV6;
		memcpy(r->caddr6, p + E6_CADDR, 16);
		memcpy(r->vaddr6, p + E6_VADDR, 16);
		memcpy(r->daddr6, p + E6_DADDR, 16);
		return ENTRY_OK;
	}
	GET_RAW(r->caddr, p + E_CADDR);
	GET_RAW(r->vaddr, p + E_VADDR);
	GET_RAW(r->daddr, p + E_DADDR);
	return ENTRY_OK;
}

static bool
ext_state_valid(const struct lb_sync_rec *r, uint16_t state)
{
	if (r->flags & LB_SYNC_F_TEMPLATE)
		return state == 0;
	return state < (r->proto == IPPROTO_TCP ? TCP_STATE_COUNT :
						  UDP_STATE_COUNT);
}

/* An IPv6 extension's IPv4 real server (NAT64, 6in4), which must be
 * the one the entry has IPv4-mapped: false if not. */
static bool
ext_server4(struct lb_sync_rec *r, const uint8_t *p)
{
	uint8_t mapped[16];

	GET_RAW(r->daddr, p + E6_VADDR);
	v4_mapped(mapped, r->daddr);
	if (memcmp(mapped, r->daddr6, 16) != 0)
		return false;
	memset(r->daddr6, 0, 16);
	r->flags |= LB_SYNC_F_SERVER4;
	return true;
}

/* An IPv4 connection to an IPv6 tunnel dest, which the IPv6 entry
 * gives with its client and VIP IPv4-mapped: r becomes an IPv4 record
 * (LB_SYNC_F_CLIENT4).  False if they are not IPv4-mapped. */
static bool
ext_client4(struct lb_sync_rec *r)
{
	uint8_t c[16], v[16];

	GET_RAW(r->caddr, r->caddr6 + 12);
	GET_RAW(r->vaddr, r->vaddr6 + 12);
	v4_mapped(c, r->caddr);
	v4_mapped(v, r->vaddr);
	if (memcmp(c, r->caddr6, 16) != 0 || memcmp(v, r->vaddr6, 16) != 0)
		return false;
	memset(r->caddr6, 0, 16);
	memset(r->vaddr6, 0, 16);
	r->flags = (uint8_t)((r->flags & ~LB_SYNC_F_IPV6) | LB_SYNC_F_CLIENT4);
	return true;
}

/* The extension (v6: IPv6 shaped) completes the pending entry: false if
 * it cannot (another family, mode, state, local side). */
static bool
ext_complete(struct sync_item *it, const uint8_t *p, uint32_t flags, bool v6)
{
	struct lb_sync_rec *r = &it->rec;
	unsigned int fwd = (flags >> SYNC_EXT_FWD_SHIFT) & 0xf;
	uint16_t state = get16(p + E_STATE);
	bool server4 = flags & SYNC_EXT_F_SERVER4;
	bool client4 = flags & SYNC_EXT_F_CLIENT4;
	bool local = has_local(fwd, server4);

	/* an IPv4 server side: NAT64 (full NAT, NAT) or a 6in4 tunnel */
	if (fwd > CONN_FWD_SNAT || !ext_state_valid(r, state) ||
	    local != !!(flags & SYNC_EXT_F_LOCAL) ||
	    v6 != !!(r->flags & LB_SYNC_F_IPV6) ||
	    (server4 && (!v6 || fwd == CONN_FWD_DR || fwd == CONN_FWD_SNAT)) ||
	    (client4 && (!v6 || server4 || fwd != CONN_FWD_TUNNEL)))
		return false;
	r->fwd = (uint8_t)fwd;
	r->state = (uint8_t)state;
	if ((server4 && !ext_server4(r, p)) || (client4 && !ext_client4(r)))
		return false;
	if (local) {
		GET_RAW(r->lport, p + E_CPORT);
		if (!v6 || server4)
			GET_RAW(r->laddr, p + E_CADDR);
		else
			memcpy(r->laddr6, p + E6_CADDR, 16);
	}
	if (flags & SYNC_EXT_F_DUMP)
		r->flags |= LB_SYNC_F_DUMP;
	if (flags & SYNC_EXT_F_PEER)
		r->flags |= LB_SYNC_F_PEER;
	r->ms = get32(p + E_FWMARK);
	r->n_workers = get16(p + E_DPORT);
	it->n_workers = r->n_workers;
	it->extended = true;
	return true;
}

/* An extension entry (v6: IPv6 shaped, which only completes a
 * connection). */
static void
parse_ext(struct parse *ps, const uint8_t *p, bool v6)
{
	uint32_t flags = get32(p + E_FLAGS);
	unsigned int kind = flags >> SYNC_EXT_KIND_SHIFT;
	struct sync_item ctl;

	if (get16(p + E_VPORT) != (v6 ? SYNC_EXT_VERSION6 : SYNC_EXT_VERSION) ||
	    kind >= SYNC_EXT_KINDS || (v6 && kind != SYNC_EXT_CONN)) {
		ps->pending = false;	/* an extension we cannot read */
		ps->drops[SYNC_DROP_BAD_RECORD]++;
		return;
	}
	if (kind == SYNC_EXT_CONN) {
		if (!ps->pending && ps->skipped)
			return;
		if (!ps->pending || !ext_complete(&ps->item, p, flags, v6)) {
			ps->pending = false;
			ps->drops[SYNC_DROP_BAD_RECORD]++;
			return;
		}
		flush_pending(ps);
		return;
	}
	flush_pending(ps);
	ctl = (struct sync_item){ .kind = (enum sync_ext_kind)kind,
				  .nonce = get32(p + E_TIMEOUT),
				  .n_workers = get16(p + E_DPORT) };
	deliver(ps, &ctl);
}

/* One entry of size bytes at p. */
static enum entry_verdict
parse_entry(struct parse *ps, const uint8_t *p, unsigned int size)
{
	enum entry_verdict v;
	bool skipped = ps->skipped;
	bool v6 = p[E_TYPE] & IPVS_STYPE_F_INET6;

	ps->skipped = false;
	if ((p[E_TYPE] & ~IPVS_STYPE_F_INET6) != 0 ||
	    (v6 && size < SYNC_MSG_ENTRY6_LEN))
		return ENTRY_BAD;
	if (p[E_PROTO] == SYNC_EXT_PROTO) {
		ps->skipped = skipped;
		parse_ext(ps, p, v6);
		ps->skipped = false;
		return ENTRY_OK;
	}
	flush_pending(ps);
	v = parse_conn(p, size, v6, &ps->item);
	if (v == ENTRY_OK) {
		ps->pending = true;
	} else if (v == ENTRY_SKIP) {
		ps->drops[SYNC_DROP_BAD_RECORD]++;
		ps->skipped = true;
	}
	return v;
}

int
sync_msg_parse(const uint8_t *buf, size_t len, sync_item_fn fn, void *arg,
	       uint64_t drops[SYNC_DROP_MAX])
{
	struct parse ps = { .fn = fn, .arg = arg, .drops = drops };
	const uint8_t *p = buf + SYNC_MSG_HDR_LEN, *end = buf + len;
	unsigned int i, count, ver_size, size;

	if (len < SYNC_MSG_HDR_LEN) {
		drops[SYNC_DROP_SHORT]++;
		return -1;
	}
	if (get16(buf + 2) != len) {
		drops[SYNC_DROP_BAD_SIZE]++;
		return -1;
	}
	/* version 0 (the old format) has its entry count in byte 0 */
	if (buf[0] != 0 || buf[5] != SYNC_MSG_VERSION || get16(buf + 6) != 0) {
		drops[SYNC_DROP_BAD_VERSION]++;
		return -1;
	}
	ps.syncid = buf[1];
	count = buf[4];
	for (i = 0; i < count; i++) {
		if (end - p < SYNC_MSG_ENTRY_LEN)
			goto bad;
		ver_size = get16(p + E_VER_SIZE);
		size = ver_size & 0x0fff;
		if ((ver_size >> 12) != 0 || size < SYNC_MSG_ENTRY_LEN ||
		    size > (size_t)(end - p))
			goto bad;
		if (parse_entry(&ps, p, size) == ENTRY_BAD)
			goto bad;
		p += (size + 3) & ~3u;
	}
	flush_pending(&ps);
	return ps.n;
bad:
	/* as IPVS: the rest of the message is not trusted (an entry
	 * already read stays delivered, the one waiting for its
	 * extension goes) */
	drops[SYNC_DROP_BAD_ENTRY]++;
	return ps.n;
}
