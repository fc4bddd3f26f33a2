/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of ha/sync_msg.c: IPVS sync v1 messages with dplb's
 * extension entry.  Round trips of every forwarding mode, UDP and
 * templates; control entries; batching up to sync_maxlen and 255
 * entries; byte layout against IPVS's structures; messages as a Linux
 * master sends them (no extension, options); and the receiver's checks
 * on malformed input, each drop counted by its reason, with a mutation
 * fuzzer over valid messages (run it under ASan).  IPv6: round trips of
 * IPv6 records in every mode and NAT64's (IPVS's IPv6 entry and the
 * version 2 extension), their bytes, a Linux master's IPv6 entry, and
 * the extension's checks (family, version, NAT64's mapped address).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "ha/sync_msg.h"

#define MAXBUF 65536

struct got {
	unsigned int n;
	struct sync_item items[600];
};

static void
collect(void *arg, const struct sync_item *it)
{
	struct got *g = arg;

	assert_true(g->n < RTE_DIM(g->items));
	g->items[g->n++] = *it;
}

static rte_be32_t
ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static struct lb_sync_rec
rec(uint8_t proto, uint8_t fwd, uint8_t state, uint16_t cport)
{
	struct lb_sync_rec r = {
		.caddr = ip("198.18.0.2"), .vaddr = ip("198.18.0.100"),
		.daddr = ip("198.18.1.11"), .cport = htons(cport),
		.vport = htons(80), .dport = htons(8080), .proto = proto,
		.state = state, .fwd = fwd, .timeout_s = 90,
	};

	if (fwd == CONN_FWD_FNAT || fwd == CONN_FWD_SNAT) {
		r.laddr = ip("198.18.1.100");
		r.lport = htons(1024 + cport % 1000);
	}
	return r;
}

static void
ip6(const char *s, uint8_t a[16])
{
	assert_int_equal(inet_pton(AF_INET6, s, a), 1);
}

/* An IPv6 record: full NAT with an IPv6 local address, NAT, DR,
 * TUNNEL to an IPv6 dest. */
static struct lb_sync_rec
rec6(uint8_t proto, uint8_t fwd, uint8_t state, uint16_t cport)
{
	struct lb_sync_rec r = {
		.cport = htons(cport), .vport = htons(80), .dport = htons(8080),
		.proto = proto, .state = state, .fwd = fwd, .timeout_s = 90,
		.flags = LB_SYNC_F_IPV6,
	};

	ip6("2001:db8::2", r.caddr6);
	ip6("2001:db8::100", r.vaddr6);
	ip6("2001:db8:1::11", r.daddr6);
	if (fwd == CONN_FWD_FNAT) {
		ip6("2001:db8:1::100", r.laddr6);
		r.lport = htons(1024 + cport % 1000);
	}
	return r;
}

/* An IPv4 connection tunnelled to an IPv6 dest (IPv4 in IPv6). */
static struct lb_sync_rec
rec4in6(uint8_t proto, uint8_t state, uint16_t cport)
{
	struct lb_sync_rec r = rec(proto, CONN_FWD_TUNNEL, state, cport);

	r.daddr = 0;
	r.flags |= LB_SYNC_F_CLIENT4;
	ip6("2001:2:0:1::11", r.daddr6);
	return r;
}

/* NAT64: an IPv6 client side, an IPv4 real server and local address. */
static struct lb_sync_rec
rec64(uint8_t proto, uint8_t state, uint16_t cport)
{
	struct lb_sync_rec r = rec6(proto, CONN_FWD_FNAT, state, cport);

	memset(r.daddr6, 0, 16);
	memset(r.laddr6, 0, 16);
	r.flags |= LB_SYNC_F_SERVER4;
	r.daddr = ip("198.18.1.11");
	r.laddr = ip("198.18.1.100");
	return r;
}

static int
parse(const uint8_t *buf, size_t len, struct got *g, uint64_t *drops)
{
	memset(g, 0, sizeof(*g));
	memset(drops, 0, SYNC_DROP_MAX * sizeof(*drops));
	return sync_msg_parse(buf, len, collect, g, drops);
}

static uint64_t
total(const uint64_t *drops)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < SYNC_DROP_MAX; i++)
		n += drops[i];
	return n;
}

/* ---- round trips ---- */

static void
roundtrip_one(struct lb_sync_rec r)
{
	uint8_t buf[1500];
	struct sync_msg m;
	uint64_t drops[SYNC_DROP_MAX];
	struct got g;

	sync_msg_init(&m, buf, sizeof(buf), 7);
	assert_int_equal(sync_msg_add(&m, &r, 123456789, 4), 0);
	assert_int_equal(m.len, SYNC_MSG_HDR_LEN + SYNC_MSG_REC_LEN);
	assert_int_equal(parse(buf, m.len, &g, drops), 1);
	assert_int_equal(total(drops), 0);
	assert_int_equal(g.items[0].kind, SYNC_EXT_CONN);
	assert_int_equal(g.items[0].syncid, 7);
	assert_true(g.items[0].extended);
	assert_int_equal(g.items[0].n_workers, 4);
	r.ms = 123456789;
	r.n_workers = 4;
	assert_memory_equal(&g.items[0].rec, &r, sizeof(r));
}

static void
test_roundtrip_modes(void **state)
{
	uint8_t fwd;

	(void)state;
	for (fwd = CONN_FWD_FNAT; fwd <= CONN_FWD_SNAT; fwd++) {
		roundtrip_one(rec(IPPROTO_TCP, fwd, TCP_S_ESTABLISHED, 40000));
		roundtrip_one(rec(IPPROTO_TCP, fwd, TCP_S_FIN_WAIT, 40001));
		roundtrip_one(rec(IPPROTO_UDP, fwd, UDP_ONEWAY, 40002));
		roundtrip_one(rec(IPPROTO_UDP, fwd, UDP_NORMAL, 40003));
	}
}

static void
test_roundtrip_flags_template(void **state)
{
	struct lb_sync_rec r = rec(IPPROTO_TCP, CONN_FWD_NAT, 0, 0);

	(void)state;
	r.flags = LB_SYNC_F_TEMPLATE;
	r.timeout_s = 300;
	roundtrip_one(r);
	r = rec(IPPROTO_TCP, CONN_FWD_FNAT, TCP_S_TIME_WAIT, 1);
	r.flags = LB_SYNC_F_DUMP | LB_SYNC_F_PEER;
	roundtrip_one(r);
}

/* The bytes IPVS and the dissector read: ip_vs_sync_mesg, ip_vs_sync_v4. */
static void
test_layout(void **state)
{
	struct lb_sync_rec r = rec(IPPROTO_TCP, CONN_FWD_FNAT, TCP_S_ESTABLISHED,
				   40000);
	uint8_t buf[256];
	struct sync_msg m;
	const uint8_t *e, *x;

	(void)state;
	sync_msg_init(&m, buf, sizeof(buf), 9);
	assert_true(sync_msg_empty(&m));
	assert_int_equal(sync_msg_add(&m, &r, 0x01020304, 2), 0);
	/* header: reserved 0, syncid, size, count, version 1, spare 0 */
	assert_int_equal(buf[0], 0);
	assert_int_equal(buf[1], 9);
	assert_int_equal(buf[2] << 8 | buf[3], 80);
	assert_int_equal(buf[4], 2);
	assert_int_equal(buf[5], 1);
	assert_int_equal(buf[6] | buf[7], 0);
	e = buf + 8;
	assert_int_equal(e[0], 0);			/* type: IPv4 */
	assert_int_equal(e[1], IPPROTO_TCP);
	assert_int_equal(e[2] << 8 | e[3], 36);		/* version 0, size */
	assert_int_equal(e[4] | e[5] | e[6] | e[7], 0);	/* MASQ, active */
	assert_int_equal(e[8] << 8 | e[9], TCP_S_ESTABLISHED);
	assert_int_equal(e[10] << 8 | e[11], 40000);	/* cport */
	assert_int_equal(e[12] << 8 | e[13], 80);	/* vport */
	assert_int_equal(e[14] << 8 | e[15], 8080);	/* dport */
	assert_int_equal(e[20] << 24 | e[21] << 16 | e[22] << 8 | e[23], 90);
	assert_memory_equal(e + 24, &r.caddr, 4);
	assert_memory_equal(e + 28, &r.vaddr, 4);
	assert_memory_equal(e + 32, &r.daddr, 4);
	x = e + 36;
	assert_int_equal(x[0], 0);
	assert_int_equal(x[1], SYNC_EXT_PROTO);
	assert_int_equal(x[2] << 8 | x[3], 36);
	assert_int_equal(x[4], SYNC_EXT_CONN);		/* kind */
	assert_int_equal(x[6], CONN_FWD_FNAT);		/* fwd */
	assert_int_equal(x[7], SYNC_EXT_F_LOCAL);
	assert_memory_equal(x + 10, &r.lport, 2);
	assert_int_equal(x[12] << 8 | x[13], SYNC_EXT_VERSION);
	assert_int_equal(x[14] << 8 | x[15], 2);	/* workers */
	assert_int_equal(x[16], 1);			/* wall ms */
	assert_int_equal(x[19], 4);
	assert_memory_equal(x + 24, &r.laddr, 4);
	/* DR: IPVS's flags for direct routing, inactive in SYN_RECV */
	r = rec(IPPROTO_TCP, CONN_FWD_DR, TCP_S_SYN_RECV, 1);
	sync_msg_init(&m, buf, sizeof(buf), 0);
	sync_msg_add(&m, &r, 0, 1);
	assert_int_equal(buf[8 + 6] << 8 | buf[8 + 7],
			 IPVS_CONN_F_INACTIVE | IPVS_CONN_F_NOOUTPUT |
			 IPVS_CONN_F_DROUTE);
	/* UDP: IPVS's one state, 0 */
	r = rec(IPPROTO_UDP, CONN_FWD_NAT, UDP_NORMAL, 1);
	sync_msg_init(&m, buf, sizeof(buf), 0);
	sync_msg_add(&m, &r, 0, 1);
	assert_int_equal(buf[8 + 8] | buf[8 + 9], 0);
	assert_int_equal(buf[8 + 36 + 9], UDP_NORMAL);	/* in the extension */
}

/* ---- IPv6 and NAT64 ---- */

static void
roundtrip6(struct lb_sync_rec r)
{
	uint8_t buf[1500];
	struct sync_msg m;
	uint64_t drops[SYNC_DROP_MAX];
	struct got g;

	sync_msg_init(&m, buf, sizeof(buf), 7);
	assert_int_equal(sync_msg_add(&m, &r, 42, 2), 0);
	assert_int_equal(m.len, SYNC_MSG_HDR_LEN + SYNC_MSG_REC6_LEN);
	assert_int_equal(m.count, 2);
	assert_int_equal(parse(buf, m.len, &g, drops), 1);
	assert_int_equal(total(drops), 0);
	assert_true(g.items[0].extended);
	r.ms = 42;
	r.n_workers = 2;
	assert_memory_equal(&g.items[0].rec, &r, sizeof(r));
}

static void
test_roundtrip6(void **state)
{
	struct lb_sync_rec r;
	uint8_t fwd;

	(void)state;
	for (fwd = CONN_FWD_FNAT; fwd <= CONN_FWD_TUNNEL; fwd++) {
		roundtrip6(rec6(IPPROTO_TCP, fwd, TCP_S_ESTABLISHED, 40000));
		roundtrip6(rec6(IPPROTO_TCP, fwd, TCP_S_CLOSE_WAIT, 40001));
		roundtrip6(rec6(IPPROTO_UDP, fwd, UDP_NORMAL, 40002));
	}
	roundtrip6(rec64(IPPROTO_TCP, TCP_S_ESTABLISHED, 40003));
	roundtrip6(rec64(IPPROTO_UDP, UDP_ONEWAY, 40004));
	r = rec64(IPPROTO_TCP, TCP_S_FIN_WAIT, 40005);
	r.flags |= LB_SYNC_F_DUMP | LB_SYNC_F_PEER;
	roundtrip6(r);
	/* an IPv6 service tunnelling to an IPv4 dest (6in4): no local side */
	r = rec6(IPPROTO_TCP, CONN_FWD_TUNNEL, TCP_S_ESTABLISHED, 40006);
	memset(r.daddr6, 0, 16);
	r.flags |= LB_SYNC_F_SERVER4;
	r.daddr = ip("198.18.1.12");
	roundtrip6(r);
	/* an IPv4 service tunnelling to an IPv6 dest (4in6): an IPv6
	 * entry with the client and VIP IPv4-mapped, an IPv4 record again */
	roundtrip6(rec4in6(IPPROTO_TCP, TCP_S_ESTABLISHED, 40007));
	roundtrip6(rec4in6(IPPROTO_UDP, UDP_NORMAL, 40008));
	r = rec4in6(IPPROTO_TCP, 0, 0);
	r.flags |= LB_SYNC_F_TEMPLATE;
	roundtrip6(r);
	/* IPv4 and IPv6 records in one message */
	{
		uint8_t buf[1500];
		struct sync_msg m;
		uint64_t drops[SYNC_DROP_MAX];
		struct got g;
		struct lb_sync_rec a = rec(IPPROTO_TCP, CONN_FWD_FNAT, 1, 1);
		struct lb_sync_rec b = rec64(IPPROTO_TCP, 1, 2);

		sync_msg_init(&m, buf, sizeof(buf), 1);
		assert_int_equal(sync_msg_add(&m, &a, 0, 1), 0);
		assert_int_equal(sync_msg_add(&m, &b, 0, 1), 0);
		assert_int_equal(sync_msg_add(&m, &a, 0, 1), 0);
		assert_int_equal(parse(buf, m.len, &g, drops), 3);
		assert_int_equal(total(drops), 0);
		assert_false(g.items[0].rec.flags & LB_SYNC_F_IPV6);
		assert_true(g.items[1].rec.flags & LB_SYNC_F_SERVER4);
		assert_int_equal(g.items[1].rec.laddr, b.laddr);
		assert_false(g.items[2].rec.flags & LB_SYNC_F_IPV6);
	}
}

/* The bytes: IPVS's ip_vs_sync_v6, then the IPv6-shaped extension. */
static void
test_layout6(void **state)
{
	struct lb_sync_rec r = rec6(IPPROTO_TCP, CONN_FWD_FNAT,
				    TCP_S_ESTABLISHED, 40000);
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	uint8_t buf[256];
	struct sync_msg m;
	const uint8_t *e, *x;

	(void)state;
	sync_msg_init(&m, buf, sizeof(buf), 9);
	assert_int_equal(sync_msg_add(&m, &r, 0x01020304, 2), 0);
	assert_int_equal(buf[2] << 8 | buf[3], 8 + 144);
	assert_int_equal(buf[4], 2);
	e = buf + 8;
	assert_int_equal(e[0], IPVS_STYPE_F_INET6);	/* type: IPv6 */
	assert_int_equal(e[1], IPPROTO_TCP);
	assert_int_equal(e[2] << 8 | e[3], 72);
	assert_int_equal(e[4] | e[5] | e[6] | e[7], 0);	/* MASQ, active */
	assert_int_equal(e[10] << 8 | e[11], 40000);
	assert_int_equal(e[20] << 24 | e[21] << 16 | e[22] << 8 | e[23], 90);
	assert_memory_equal(e + 24, r.caddr6, 16);
	assert_memory_equal(e + 40, r.vaddr6, 16);
	assert_memory_equal(e + 56, r.daddr6, 16);
	x = e + 72;
	assert_int_equal(x[0], IPVS_STYPE_F_INET6);
	assert_int_equal(x[1], SYNC_EXT_PROTO);
	assert_int_equal(x[2] << 8 | x[3], 72);
	assert_int_equal(x[4], SYNC_EXT_CONN);
	assert_int_equal(x[6], CONN_FWD_FNAT);
	assert_int_equal(x[7], SYNC_EXT_F_LOCAL);
	assert_memory_equal(x + 10, &r.lport, 2);
	assert_int_equal(x[12] << 8 | x[13], SYNC_EXT_VERSION6);
	assert_memory_equal(x + 24, r.laddr6, 16);
	/* NAT64: the real server IPv4-mapped in the entry, IPv4 in the
	 * extension with the IPv4 local address */
	r = rec64(IPPROTO_TCP, TCP_S_ESTABLISHED, 40000);
	sync_msg_init(&m, buf, sizeof(buf), 9);
	assert_int_equal(sync_msg_add(&m, &r, 0, 2), 0);
	assert_memory_equal(e + 56, mapped, 12);
	assert_memory_equal(e + 68, &r.daddr, 4);
	assert_int_equal(x[7], SYNC_EXT_F_LOCAL | SYNC_EXT_F_SERVER4);
	assert_memory_equal(x + 24, &r.laddr, 4);
	assert_memory_equal(x + 40, &r.daddr, 4);
}

/* One IPv6 record, its entry or extension damaged: nothing arrives and
 * the record is counted bad_record (entries stay well-formed). */
static void
expect6_refused(struct lb_sync_rec r, void (*damage)(uint8_t *e,
						     uint8_t *x))
{
	uint8_t buf[512];
	struct sync_msg m;
	uint64_t drops[SYNC_DROP_MAX];
	struct got g;
	struct lb_sync_rec ok = rec(IPPROTO_TCP, CONN_FWD_NAT, 1, 7);

	sync_msg_init(&m, buf, sizeof(buf), 1);
	assert_int_equal(sync_msg_add(&m, &r, 0, 1), 0);
	assert_int_equal(sync_msg_add(&m, &ok, 0, 1), 0);	/* survives */
	damage(buf + 8, buf + 8 + 72);
	assert_int_equal(parse(buf, m.len, &g, drops), 1);
	assert_int_equal(g.items[0].rec.cport, ok.cport);
	assert_int_equal(drops[SYNC_DROP_BAD_RECORD], 1);
	assert_int_equal(total(drops), 1);
}

/* an extension of version 1 in an IPv6 entry (or of a version this
 * peer does not know): an old peer sees version 2 the same way */
static void d6_version1(uint8_t *e, uint8_t *x) { (void)e; x[13] = 1; }
static void d6_version9(uint8_t *e, uint8_t *x) { (void)e; x[13] = 9; }
/* NAT64's real server not the one the entry has IPv4-mapped */
static void d6_mapped(uint8_t *e, uint8_t *x) { (void)x; e[71] ^= 1; }
static void d6_unmapped(uint8_t *e, uint8_t *x) { (void)x; e[66] = 0; }
/* server side IPv4 for direct routing (IPv4 in an IPv6 frame: no) */
static void d6_server4_dr(uint8_t *e, uint8_t *x)
{
	(void)e;
	x[6] = CONN_FWD_DR;
	x[7] = SYNC_EXT_F_SERVER4;
}
/* client side IPv4 for anything but a tunnel, or not IPv4-mapped */
static void d6_client4_dr(uint8_t *e, uint8_t *x)
{
	(void)e;
	x[6] = CONN_FWD_DR;
}
static void d6_client4_unmapped(uint8_t *e, uint8_t *x)
{
	(void)x;
	e[34] = 0;
}
static void d6_no_local(uint8_t *e, uint8_t *x) { (void)e; x[7] = 0; }
static void d6_kind(uint8_t *e, uint8_t *x)
{
	(void)e;
	x[4] = SYNC_EXT_DUMP_REQUEST;
}
/* the entry IPv4 shaped in the first 36 bytes, an IPv6 extension after:
 * families differ */
static void d6_v4_entry(uint8_t *e, uint8_t *x)
{
	(void)x;
	e[0] = 0;	/* 72 bytes: IPv4's 36, one optional option of 36 */
	e[36] = IPVS_OPT_F_PARAM | 5;
	e[37] = 34;
}

static void
test_ext6_checks(void **state)
{
	(void)state;
	expect6_refused(rec6(IPPROTO_TCP, CONN_FWD_FNAT, 1, 1), d6_version1);
	expect6_refused(rec6(IPPROTO_TCP, CONN_FWD_FNAT, 1, 1), d6_version9);
	expect6_refused(rec64(IPPROTO_TCP, 1, 1), d6_mapped);
	expect6_refused(rec64(IPPROTO_TCP, 1, 1), d6_unmapped);
	expect6_refused(rec6(IPPROTO_TCP, CONN_FWD_DR, 1, 1), d6_server4_dr);
	expect6_refused(rec4in6(IPPROTO_TCP, 1, 1), d6_client4_dr);
	expect6_refused(rec4in6(IPPROTO_TCP, 1, 1), d6_client4_unmapped);
	expect6_refused(rec6(IPPROTO_TCP, CONN_FWD_FNAT, 1, 1), d6_no_local);
	expect6_refused(rec64(IPPROTO_UDP, 1, 1), d6_no_local);
	expect6_refused(rec6(IPPROTO_TCP, CONN_FWD_FNAT, 1, 1), d6_kind);
	expect6_refused(rec6(IPPROTO_TCP, CONN_FWD_NAT, 1, 1), d6_v4_entry);
}

static void
test_control(void **state)
{
	uint8_t buf[128];
	struct sync_msg m;
	uint64_t drops[SYNC_DROP_MAX];
	struct lb_sync_rec r = rec(IPPROTO_TCP, CONN_FWD_NAT, 1, 1);
	struct got g;

	(void)state;
	sync_msg_init(&m, buf, sizeof(buf), 3);
	assert_int_equal(sync_msg_add_ctl(&m, SYNC_EXT_CONN, 1, 0, 1), -EINVAL);
	assert_int_equal(sync_msg_add_ctl(&m, SYNC_EXT_DUMP_REQUEST, 0xabcd, 5,
					  2), 0);
	assert_int_equal(sync_msg_add(&m, &r, 0, 2), 0);
	assert_int_equal(sync_msg_add_ctl(&m, SYNC_EXT_DUMP_END, 0xabcd, 5, 2),
			 -ENOSPC);	/* 8 + 36 + 72 + 36 > 128 */
	assert_int_equal(parse(buf, m.len, &g, drops), 2);
	assert_int_equal(total(drops), 0);
	assert_int_equal(g.items[0].kind, SYNC_EXT_DUMP_REQUEST);
	assert_int_equal(g.items[0].nonce, 0xabcd);
	assert_int_equal(g.items[0].n_workers, 2);
	assert_int_equal(g.items[1].kind, SYNC_EXT_CONN);
}

/* Records fill a message up to maxlen, and never past 255 entries. */
static void
test_batching(void **state)
{
	static uint8_t buf[MAXBUF];
	struct lb_sync_rec r = rec(IPPROTO_TCP, CONN_FWD_FNAT, 1, 1);
	uint64_t drops[SYNC_DROP_MAX];
	struct sync_msg m;
	static struct got g;
	unsigned int n;

	(void)state;
	sync_msg_init(&m, buf, 1472, 1);	/* IPVS's default for 1500 */
	for (n = 0; sync_msg_add(&m, &r, 0, 1) == 0; n++)
		r.cport = htons(ntohs(r.cport) + 1);
	assert_int_equal(n, (1472 - 8) / 72);		/* 20 */
	assert_true(m.len <= 1472);
	assert_int_equal(parse(buf, m.len, &g, drops), n);
	sync_msg_init(&m, buf, SYNC_MSG_MAX_LEN, 1);
	for (n = 0; sync_msg_add(&m, &r, 0, 1) == 0; n++)
		;
	assert_int_equal(n, 127);			/* 254 entries */
	assert_int_equal(sync_msg_add_ctl(&m, SYNC_EXT_DUMP_END, 1, 0, 1), 0);
	assert_int_equal(m.count, 255);
	assert_int_equal(sync_msg_add_ctl(&m, SYNC_EXT_DUMP_END, 1, 0, 1),
			 -ENOSPC);
	assert_int_equal(parse(buf, m.len, &g, drops), 128);
	assert_int_equal(total(drops), 0);
	/* the smallest message holds one IPv6 record, or two IPv4 ones */
	sync_msg_init(&m, buf, SYNC_MSG_MIN_LEN, 1);
	assert_int_equal(sync_msg_add(&m, &r, 0, 1), 0);
	assert_int_equal(sync_msg_add(&m, &r, 0, 1), 0);
	assert_int_equal(sync_msg_add(&m, &r, 0, 1), -ENOSPC);
	r = rec6(IPPROTO_TCP, CONN_FWD_FNAT, TCP_S_ESTABLISHED, 1);
	sync_msg_init(&m, buf, SYNC_MSG_MIN_LEN, 1);
	assert_int_equal(sync_msg_add(&m, &r, 0, 1), 0);
	assert_int_equal(sync_msg_add(&m, &r, 0, 1), -ENOSPC);
	sync_msg_init(&m, buf, 1472, 1);
	for (n = 0; sync_msg_add(&m, &r, 0, 1) == 0; n++)
		r.cport = htons(ntohs(r.cport) + 1);
	assert_int_equal(n, (1472 - 8) / 144);		/* 10 */
	assert_int_equal(parse(buf, m.len, &g, drops), n);
	assert_int_equal(total(drops), 0);
}

/* An IPv6 persistence template as a master sends it: IPVS's IPv6
 * template entry (the client's net under the service's prefix, cport 0,
 * TEMPLATE, state 0, the persistence timeout), the extension after it;
 * NAT64's names its IPv4 server (SERVER4).  A Linux master's IPv6
 * template (no extension) reads as a NAT one. */
static void
test_template6(void **state)
{
	struct lb_sync_rec t = rec6(IPPROTO_TCP, CONN_FWD_FNAT, 0, 0), t64;
	uint64_t drops[SYNC_DROP_MAX];
	uint8_t buf[512];
	struct sync_msg m;
	uint8_t *e, *x;
	uint8_t net[16];
	struct got g;

	(void)state;
	t.flags |= LB_SYNC_F_TEMPLATE;
	t.lport = 0;
	memset(t.laddr6, 0, 16);
	t.timeout_s = 300;
	ip6("2001:db8:0:7::", t.caddr6);
	roundtrip6(t);
	t64 = rec64(IPPROTO_TCP, 0, 0);
	t64.flags |= LB_SYNC_F_TEMPLATE;
	t64.lport = 0;
	t64.laddr = 0;
	t64.timeout_s = 300;
	memcpy(t64.caddr6, t.caddr6, 16);
	roundtrip6(t64);
	/* the bytes */
	sync_msg_init(&m, buf, sizeof(buf), 3);
	assert_int_equal(sync_msg_add(&m, &t64, 0, 2), 0);
	e = buf + 8;
	x = e + 72;
	assert_int_equal(e[0], IPVS_STYPE_F_INET6);
	assert_int_equal(e[4] << 24 | e[5] << 16 | e[6] << 8 | e[7],
			 IPVS_CONN_F_TEMPLATE | IPVS_CONN_F_MASQ);
	assert_int_equal(e[8] | e[9], 0);		/* state */
	assert_int_equal(e[10] | e[11], 0);		/* cport */
	assert_int_equal(e[12] << 8 | e[13], 80);	/* vport */
	assert_int_equal(e[20] << 24 | e[21] << 16 | e[22] << 8 | e[23], 300);
	ip6("2001:db8:0:7::", net);
	assert_memory_equal(e + 24, net, 16);
	assert_int_equal(e[56 + 10], 0xff);		/* ::ffff:198.18.1.11 */
	assert_memory_equal(e + 56 + 12, &t64.daddr, 4);
	assert_int_equal(x[1], SYNC_EXT_PROTO);
	assert_int_equal(x[7] & SYNC_EXT_F_SERVER4, SYNC_EXT_F_SERVER4);
	assert_memory_equal(x + 40, &t64.daddr, 4);
	assert_int_equal(x[8] | x[9], 0);		/* dplb's state: 0 */
	/* the IPv6 entry alone, as Linux sends it */
	buf[2] = 0;
	buf[3] = 8 + 72;
	buf[4] = 1;
	memset(e + 56, 0, 16);
	ip6("2001:db8:1::11", e + 56);
	e[7] = 0;				/* MASQ */
	e[6] = IPVS_CONN_F_TEMPLATE >> 8;
	assert_int_equal(parse(buf, 8 + 72, &g, drops), 1);
	assert_int_equal(total(drops), 0);
	assert_false(g.items[0].extended);
	assert_true(g.items[0].rec.flags & LB_SYNC_F_TEMPLATE);
	assert_true(g.items[0].rec.flags & LB_SYNC_F_IPV6);
	assert_int_equal(g.items[0].rec.fwd, CONN_FWD_NAT);
	assert_memory_equal(g.items[0].rec.caddr6, net, 16);
}

/* ---- a Linux master's messages ---- */

static size_t
linux_entry(uint8_t *p, uint8_t proto, uint32_t flags, uint16_t state,
	    const uint8_t *opts, size_t optlen)
{
	size_t size = 36 + optlen;

	memset(p, 0, (size + 3) & ~3u);
	p[1] = proto;
	p[2] = (uint8_t)(size >> 8);
	p[3] = (uint8_t)size;
	p[4] = (uint8_t)(flags >> 24);
	p[5] = (uint8_t)(flags >> 16);
	p[6] = (uint8_t)(flags >> 8);
	p[7] = (uint8_t)flags;
	p[8] = (uint8_t)(state >> 8);
	p[9] = (uint8_t)state;
	p[10] = 0x9c; p[11] = 0x40;		/* cport 40000 */
	p[13] = 80;				/* vport */
	p[15] = 80;				/* dport */
	p[23] = 60;				/* timeout */
	memcpy(p + 24, (rte_be32_t[]){ ip("10.0.0.1") }, 4);
	memcpy(p + 28, (rte_be32_t[]){ ip("10.0.0.100") }, 4);
	memcpy(p + 32, (rte_be32_t[]){ ip("10.0.1.1") }, 4);
	if (optlen)
		memcpy(p + 36, opts, optlen);
	return (size + 3) & ~3u;
}

static size_t
linux_msg(uint8_t *buf, uint8_t count, size_t body)
{
	size_t len = 8 + body;

	buf[0] = 0;
	buf[1] = 5;
	buf[2] = (uint8_t)(len >> 8);
	buf[3] = (uint8_t)len;
	buf[4] = count;
	buf[5] = 1;
	buf[6] = buf[7] = 0;
	return len;
}

static void
test_linux_master(void **state)
{
	uint8_t buf[1024], seq[2 + 24] = { IPVS_OPT_SEQ_DATA, 24 };
	uint8_t pe[2 + 3] = { IPVS_OPT_PE_NAME, 3, 's', 'i', 'p' };
	uint8_t opt_ok[2 + 2] = { IPVS_OPT_F_PARAM | 9, 2, 1, 2 };
	uint8_t opt_must[2 + 2] = { 9, 2, 1, 2 };
	uint64_t drops[SYNC_DROP_MAX];
	struct got g;
	size_t n = 0, len;

	(void)state;
	n += linux_entry(buf + 8 + n, IPPROTO_TCP, IPVS_CONN_F_DROUTE, 1,
			 NULL, 0);
	n += linux_entry(buf + 8 + n, IPPROTO_UDP,
			 IPVS_CONN_F_MASQ | IPVS_CONN_F_INACTIVE, 0, seq,
			 sizeof(seq));
	n += linux_entry(buf + 8 + n, IPPROTO_TCP, IPVS_CONN_F_TUNNEL, 1, pe,
			 sizeof(pe));		/* skipped: SIP persistence */
	n += linux_entry(buf + 8 + n, IPPROTO_TCP, IPVS_CONN_F_TEMPLATE, 0,
			 opt_ok, sizeof(opt_ok));
	n += linux_entry(buf + 8 + n, IPPROTO_TCP, 0, 1, opt_must,
			 sizeof(opt_must));	/* skipped */
	n += linux_entry(buf + 8 + n, IPPROTO_SCTP, 0, 1, NULL, 0); /* skip */
	n += linux_entry(buf + 8 + n, IPPROTO_TCP, IPVS_CONN_F_LOCALNODE, 1,
			 NULL, 0);		/* skipped */
	len = linux_msg(buf, 7, n);
	assert_int_equal(parse(buf, len, &g, drops), 3);
	assert_int_equal(drops[SYNC_DROP_BAD_RECORD], 4);
	assert_int_equal(total(drops), 4);
	assert_false(g.items[0].extended);
	assert_int_equal(g.items[0].rec.fwd, CONN_FWD_DR);
	assert_int_equal(g.items[0].rec.state, TCP_S_ESTABLISHED);
	assert_int_equal(g.items[0].rec.ms, 0);
	assert_int_equal(ntohs(g.items[0].rec.cport), 40000);
	assert_int_equal(g.items[0].rec.timeout_s, 60);
	assert_int_equal(g.items[1].rec.proto, IPPROTO_UDP);
	assert_int_equal(g.items[1].rec.fwd, CONN_FWD_NAT);
	assert_int_equal(g.items[1].rec.state, UDP_NORMAL);
	assert_true(g.items[2].rec.flags & LB_SYNC_F_TEMPLATE);
}

/* ---- malformed input ---- */

static size_t
good_msg(uint8_t *buf, size_t max, unsigned int recs)
{
	struct lb_sync_rec r = rec(IPPROTO_TCP, CONN_FWD_FNAT, 1, 1);
	struct sync_msg m;
	unsigned int i;

	sync_msg_init(&m, buf, (uint16_t)max, 1);
	for (i = 0; i < recs; i++) {
		r.cport = htons((uint16_t)(1000 + i));
		assert_int_equal(sync_msg_add(&m, &r, 1, 1), 0);
	}
	return m.len;
}

static void
expect_msg_drop(uint8_t *buf, size_t len, enum sync_drop why)
{
	uint64_t drops[SYNC_DROP_MAX];
	struct got g;

	assert_int_equal(parse(buf, len, &g, drops), -1);
	assert_int_equal(g.n, 0);
	assert_int_equal(drops[why], 1);
	assert_int_equal(total(drops), 1);
}

static void
test_header_checks(void **state)
{
	uint8_t buf[512];
	size_t len = good_msg(buf, sizeof(buf), 3);

	(void)state;
	expect_msg_drop(buf, 0, SYNC_DROP_SHORT);
	expect_msg_drop(buf, 7, SYNC_DROP_SHORT);
	expect_msg_drop(buf, len - 1, SYNC_DROP_BAD_SIZE);	/* truncated */
	buf[3]++;
	expect_msg_drop(buf, len, SYNC_DROP_BAD_SIZE);
	buf[3]--;
	buf[0] = 3;		/* version 0: the count in byte 0 */
	expect_msg_drop(buf, len, SYNC_DROP_BAD_VERSION);
	buf[0] = 0;
	buf[5] = 2;
	expect_msg_drop(buf, len, SYNC_DROP_BAD_VERSION);
	buf[5] = 1;
	buf[7] = 1;		/* spare */
	expect_msg_drop(buf, len, SYNC_DROP_BAD_VERSION);
}

/* Damage entry k of a 3-record message; what arrives and what drops
 * (n times why, nothing else). */
static void
expect_drops(void (*damage)(uint8_t *e), unsigned int k, int items,
	     enum sync_drop why, unsigned int n)
{
	uint8_t buf[512];
	size_t len = good_msg(buf, sizeof(buf), 3);
	uint64_t drops[SYNC_DROP_MAX];
	struct got g;

	damage(buf + 8 + 36 * k);
	assert_int_equal(parse(buf, len, &g, drops), items);
	assert_int_equal(drops[why], n);
	assert_int_equal(total(drops), n);
}

static void
expect_entry(void (*damage)(uint8_t *e), unsigned int k, int items,
	     enum sync_drop why)
{
	expect_drops(damage, k, items, why, 1);
}

static void dmg_version(uint8_t *e) { e[2] |= 0x10; }
static void dmg_size_small(uint8_t *e) { e[2] = 0; e[3] = 20; }
static void dmg_size_big(uint8_t *e) { e[2] = 0x0f; e[3] = 0xff; }
static void dmg_type(uint8_t *e) { e[0] = 2; }
static void dmg_ipv6(uint8_t *e) { e[0] = 1; e[2] = 0; e[3] = 72; }
static void dmg_proto(uint8_t *e) { e[1] = IPPROTO_ICMP; }
static void dmg_state(uint8_t *e) { e[9] = TCP_STATE_COUNT; }
static void dmg_ext_version(uint8_t *e) { e[13] = 9; }
static void dmg_ext_fwd(uint8_t *e) { e[6] = 7; }
static void dmg_ext_local(uint8_t *e) { e[7] &= (uint8_t)~SYNC_EXT_F_LOCAL; }
static void dmg_ext_kind(uint8_t *e) { e[4] = 9; }
static void dmg_ext_state(uint8_t *e) { e[9] = 200; }
static void dmg_ext_alone(uint8_t *e) { e[1] = SYNC_EXT_PROTO; }

static void
test_entry_checks(void **state)
{
	(void)state;
	/* malformed: the rest of the message goes (entry k = 2: the
	 * second record's connection entry; the first record arrived) */
	expect_entry(dmg_version, 2, 1, SYNC_DROP_BAD_ENTRY);
	expect_entry(dmg_size_small, 2, 1, SYNC_DROP_BAD_ENTRY);
	expect_entry(dmg_size_big, 2, 1, SYNC_DROP_BAD_ENTRY);
	expect_entry(dmg_type, 2, 1, SYNC_DROP_BAD_ENTRY);
	expect_entry(dmg_version, 0, 0, SYNC_DROP_BAD_ENTRY);
	/* an IPv6 entry (72 bytes, one entry) in record 2's place, without
	 * an extension, as a Linux master sends: read as IPv6 */
	{
		uint8_t buf[512];
		size_t len = good_msg(buf, sizeof(buf), 3);
		uint64_t drops[SYNC_DROP_MAX];
		struct got g;

		dmg_ipv6(buf + 8 + 72);
		buf[4] = 5;
		assert_int_equal(parse(buf, len, &g, drops), 3);
		assert_int_equal(total(drops), 0);
		assert_true(g.items[1].rec.flags & LB_SYNC_F_IPV6);
		assert_false(g.items[1].extended);
		assert_int_equal(g.items[1].rec.fwd, CONN_FWD_NAT);
		/* an IPv6 entry shorter than IPVS's 72 bytes is malformed */
		buf[8 + 72 + 3] = 36;
		assert_int_equal(parse(buf, len, &g, drops), 1);
		assert_int_equal(drops[SYNC_DROP_BAD_ENTRY], 1);
	}
	/* unusable: that record goes, the others arrive */
	expect_entry(dmg_proto, 2, 2, SYNC_DROP_BAD_RECORD);
	expect_entry(dmg_state, 2, 2, SYNC_DROP_BAD_RECORD);
	expect_entry(dmg_ext_version, 3, 2, SYNC_DROP_BAD_RECORD);
	expect_entry(dmg_ext_fwd, 3, 2, SYNC_DROP_BAD_RECORD);
	expect_entry(dmg_ext_local, 3, 2, SYNC_DROP_BAD_RECORD);
	expect_entry(dmg_ext_kind, 3, 2, SYNC_DROP_BAD_RECORD);
	expect_entry(dmg_ext_state, 3, 2, SYNC_DROP_BAD_RECORD);
	/* record 2's connection entry made an extension: one that cannot
	 * be read (its version field is a port), then record 2's own
	 * extension completes nothing */
	expect_drops(dmg_ext_alone, 2, 2, SYNC_DROP_BAD_RECORD, 2);
}

static void
test_count_mismatch(void **state)
{
	uint8_t buf[512];
	size_t len = good_msg(buf, sizeof(buf), 3);
	uint64_t drops[SYNC_DROP_MAX];
	struct got g;

	(void)state;
	buf[4] = 4;		/* trailing entries are not read ... */
	assert_int_equal(parse(buf, len, &g, drops), 2);
	assert_int_equal(total(drops), 0);
	buf[4] = 200;		/* ... entries counted and missing are bad */
	assert_int_equal(parse(buf, len, &g, drops), 3);
	assert_int_equal(drops[SYNC_DROP_BAD_ENTRY], 1);
	buf[4] = 0;		/* none: IPVS reads nothing either */
	assert_int_equal(parse(buf, len, &g, drops), 0);
	assert_int_equal(total(drops), 0);
}

static void
test_option_checks(void **state)
{
	uint8_t buf[512], zero[2] = { IPVS_OPT_F_PARAM | 5, 0 };
	uint8_t over[4] = { IPVS_OPT_F_PARAM | 5, 9, 0, 0 };
	uint8_t seq_short[2 + 4] = { IPVS_OPT_SEQ_DATA, 4 };
	uint8_t half[1] = { IPVS_OPT_F_PARAM | 5 };
	const struct { uint8_t *o; size_t len; } bad[] = {
		{ zero, sizeof(zero) }, { over, sizeof(over) },
		{ seq_short, sizeof(seq_short) }, { half, sizeof(half) },
	};
	uint64_t drops[SYNC_DROP_MAX];
	struct got g;
	size_t i, n, len;

	(void)state;
	for (i = 0; i < RTE_DIM(bad); i++) {
		n = linux_entry(buf + 8, IPPROTO_TCP, 0, 1, NULL, 0);
		n += linux_entry(buf + 8 + n, IPPROTO_TCP, 0, 1, bad[i].o,
				 bad[i].len);
		len = linux_msg(buf, 2, n);
		assert_int_equal(parse(buf, len, &g, drops), 1);
		assert_int_equal(drops[SYNC_DROP_BAD_ENTRY], 1);
		assert_int_equal(total(drops), 1);
	}
}

/* A message of IPv4, IPv6 and NAT64 records in turn. */
static size_t
mixed_msg(uint8_t *buf, size_t max, unsigned int recs)
{
	struct lb_sync_rec r;
	struct sync_msg m;
	unsigned int i;

	sync_msg_init(&m, buf, (uint16_t)max, 1);
	for (i = 0; i < recs; i++) {
		r = i % 3 == 0 ? rec(IPPROTO_TCP, CONN_FWD_FNAT, 1, 1) :
		    i % 3 == 1 ? rec6(IPPROTO_UDP, CONN_FWD_FNAT, 1, 1) :
				 rec64(IPPROTO_TCP, 1, 1);
		r.cport = htons((uint16_t)(1000 + i));
		assert_int_equal(sync_msg_add(&m, &r, 1, 1), 0);
	}
	return m.len;
}

/* Mutations of valid messages (IPv4 only, then mixed with IPv6 and
 * NAT64): never a crash, never an item that is not a valid record,
 * drops counted for whatever is refused. */
static void
test_fuzz(void **state)
{
	static uint8_t good[MAXBUF], buf[MAXBUF];
	uint64_t drops[SYNC_DROP_MAX];
	static struct got g;
	size_t glen, len;
	unsigned int iter, k, flips;
	int n;

	(void)state;
	srand(12345);
	glen = good_msg(good, SYNC_MSG_MAX_LEN, 40);
	for (iter = 0; iter < 40000; iter++) {
		if (iter == 20000)
			glen = mixed_msg(good, SYNC_MSG_MAX_LEN, 40);
		len = glen;
		memcpy(buf, good, len);
		flips = 1 + (unsigned int)rand() % 8;
		for (k = 0; k < flips; k++)
			buf[(size_t)rand() % len] ^= (uint8_t)(1 + rand() % 255);
		if (rand() % 4 == 0) {		/* keep the header sane */
			len = (size_t)rand() % glen;
			buf[2] = (uint8_t)(len >> 8);
			buf[3] = (uint8_t)len;
			buf[0] = 0;
			buf[5] = 1;
			buf[6] = buf[7] = 0;
		}
		n = parse(buf, len, &g, drops);
		assert_true(n == -1 ? total(drops) == 1 : n == (int)g.n);
		for (k = 0; k < g.n; k++) {
			const struct lb_sync_rec *r = &g.items[k].rec;

			if (g.items[k].kind != SYNC_EXT_CONN)
				continue;
			assert_true(r->proto == IPPROTO_TCP ||
				    r->proto == IPPROTO_UDP);
			assert_true(r->fwd <= CONN_FWD_SNAT);
			if (!(r->flags & LB_SYNC_F_TEMPLATE))
				assert_true(r->state < TCP_STATE_COUNT);
			/* NAT64's IPv4 server only on an IPv6 record */
			if (r->flags & LB_SYNC_F_SERVER4)
				assert_true(r->flags & LB_SYNC_F_IPV6);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_modes),
		cmocka_unit_test(test_roundtrip_flags_template),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_roundtrip6),
		cmocka_unit_test(test_layout6),
		cmocka_unit_test(test_ext6_checks),
		cmocka_unit_test(test_template6),
		cmocka_unit_test(test_control),
		cmocka_unit_test(test_batching),
		cmocka_unit_test(test_linux_master),
		cmocka_unit_test(test_header_checks),
		cmocka_unit_test(test_entry_checks),
		cmocka_unit_test(test_count_mismatch),
		cmocka_unit_test(test_option_checks),
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests_name("sync_msg", tests, NULL, NULL);
}
