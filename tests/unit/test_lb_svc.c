/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of lb_svc.c: the store's add/edit/del with the errno
 * contract keepalived relies on, snapshot lookup (with the port-0
 * fallback), built schedulers that pick, counters and loads that
 * survive rebuilds and deletions, laddr groups, the local-port slices
 * and their inverse, full-NAT connections with their local ports
 * (lb_conn.c), and applying a config.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "config/config.h"
#include "conn/conn.h"
#include "core/dp.h"
#include "dest_counts.h"
#include "eal_helper.h"
#include "lb/lb.h"
#include "lb/lb_svc.h"
#include "net/steer.h"

#define NW 4	/* workers */

static struct lb_store *st;
static char msg[256];

static struct inet_addr
A(const char *s)
{
	struct inet_addr a;

	assert_int_equal(inet_addr_parse(s, &a), 0);
	return a;
}

static struct lb_svc_key
K(uint8_t proto, const char *vip, uint16_t port)
{
	struct lb_svc_key k = { .proto = proto, .port = port, .vip = A(vip) };

	return k;
}

static struct lb_svc_conf
C(const char *sched, const char *group)
{
	struct lb_svc_conf c;

	lb_svc_conf_init(&c);
	snprintf(c.sched, sizeof(c.sched), "%s", sched);
	snprintf(c.laddr_group, sizeof(c.laddr_group), "%s", group);
	return c;
}

static struct lb_dest_conf
D(const char *addr, uint16_t port, uint32_t weight, uint8_t fwd)
{
	struct lb_dest_conf d;

	lb_dest_conf_init(&d);
	d.addr = A(addr);
	d.port = port;
	d.weight = weight;
	d.fwd = fwd;
	return d;
}

static const struct lb_svc_snap *
lookup(uint8_t proto, const char *vip, uint16_t port)
{
	struct inet_addr a = A(vip);

	return lb_svc_lookup(lb_snap_get(st), proto, a.v4.s_addr, htons(port));
}

static int
setup(void **state)
{
	msg[0] = '\0';
	return lb_store_create(&st, NW, NULL);
}

static int
teardown(void **state)
{
	lb_store_destroy(st);
	st = NULL;
	return 0;
}

/* A service tcp 198.18.0.100:80 (rr, group lg1 with one LIP). */
static void
add_web(void)
{
	struct lb_svc_key k = K(IPPROTO_TCP, "198.18.0.100", 80);
	struct lb_svc_conf c = C("rr", "lg1");
	struct inet_addr lip = A("198.18.1.100");

	assert_int_equal(lb_laddr_add(st, "lg1", &lip, msg, sizeof(msg)), 0);
	assert_int_equal(lb_svc_add(st, &k, &c, msg, sizeof(msg)), 0);
}

/* ---- services ------------------------------------------------------------ */

static void
test_svc_errno_contract(void **state)
{
	struct lb_svc_key k = K(IPPROTO_TCP, "198.18.0.100", 80);
	struct lb_svc_conf c = C("wrr", "");
	const struct lb_svc *s;
	uint32_t id;

	assert_int_equal(lb_svc_add(st, &k, &c, msg, sizeof(msg)), 0);
	s = lb_svc_find(st, &k);
	assert_non_null(s);
	id = s->id;
	assert_true(id != 0);
	assert_int_equal(lb_svc_add(st, &k, &c, msg, sizeof(msg)), -EEXIST);
	assert_string_equal(msg, "service tcp 198.18.0.100:80 exists already");

	/* edit keeps the id and changes the scheduler */
	snprintf(c.sched, sizeof(c.sched), "lc");
	assert_int_equal(lb_svc_edit(st, &k, &c, msg, sizeof(msg)), 0);
	assert_ptr_equal(lb_svc_find(st, &k), s);
	assert_int_equal(s->id, id);
	assert_string_equal(sched_name(&lookup(IPPROTO_TCP, "198.18.0.100",
					       80)->sched), "lc");

	assert_int_equal(lb_svc_del(st, &k, msg, sizeof(msg)), 0);
	assert_null(lb_svc_find(st, &k));
	assert_int_equal(lb_svc_del(st, &k, msg, sizeof(msg)), -ENOENT);
	assert_string_equal(msg, "no service tcp 198.18.0.100:80");
	assert_int_equal(lb_svc_edit(st, &k, &c, msg, sizeof(msg)), -ENOENT);

	/* a new service gets a new id */
	assert_int_equal(lb_svc_add(st, &k, &c, msg, sizeof(msg)), 0);
	assert_true(lb_svc_find(st, &k)->id != id);

	/* udp and tcp on the same vip:port are distinct */
	k.proto = IPPROTO_UDP;
	assert_int_equal(lb_svc_add(st, &k, &c, msg, sizeof(msg)), 0);
	assert_int_equal(st->n_svcs, 2);
}

static void
test_svc_invalid(void **state)
{
	struct lb_svc_key k = K(IPPROTO_TCP, "198.18.0.100", 80);
	struct lb_svc_conf c = C("nope", "");

	assert_int_equal(lb_svc_add(st, &k, &c, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "sched: unknown scheduler 'nope' (rr wrr lc "
			    "wlc sh mh fo dh lblc lblcr sed nq)");
	c = C("rr", "");
	c.flags = LB_SVC_F_ONE_PACKET;
	assert_int_equal(lb_svc_add(st, &k, &c, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "flags: one-packet is for UDP services only");
	k.proto = IPPROTO_UDP;
	assert_int_equal(lb_svc_add(st, &k, &c, msg, sizeof(msg)), 0);

	k = K(IPPROTO_TCP, "198.18.0.100", 80);
	c = C("rr", "");
	c.netmask_len = 24;
	assert_int_equal(lb_svc_add(st, &k, &c, msg, sizeof(msg)), -EINVAL);
	c.persistent = 300;
	assert_int_equal(lb_svc_add(st, &k, &c, msg, sizeof(msg)), 0);
	assert_int_equal(lookup(IPPROTO_TCP, "198.18.0.100", 80)->persist_mask,
			 htonl(0xffffff00));

	k = K(IPPROTO_TCP, "ff02::1", 80);
	assert_int_equal(lb_svc_add(st, &k, &c, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "vip: not a global or unique local IPv6 "
			    "unicast address");
	k = K(IPPROTO_TCP, "0.0.0.0", 80);
	assert_int_equal(lb_svc_add(st, &k, &c, msg, sizeof(msg)), -EINVAL);
	k = K(IPPROTO_ICMP, "198.18.0.101", 80);
	assert_int_equal(lb_svc_add(st, &k, &c, msg, sizeof(msg)), -EINVAL);
	k = K(IPPROTO_TCP, "198.18.0.101", 80);
	c = C("rr", "lg9");
	assert_int_equal(lb_svc_add(st, &k, &c, msg, sizeof(msg)), -ENOENT);
	assert_string_equal(msg, "laddr_group: no laddr group 'lg9'");
	assert_int_equal(st->n_svcs, 2);
}

static void
test_names(void **state)
{
	assert_int_equal(lb_proto_parse("tcp"), IPPROTO_TCP);
	assert_int_equal(lb_proto_parse("udp"), IPPROTO_UDP);
	assert_int_equal(lb_proto_parse("TCP"), -EINVAL);
	assert_int_equal(lb_fwd_parse("fnat"), LB_FWD_FNAT);
	assert_int_equal(lb_fwd_parse("tunnel"), LB_FWD_TUNNEL);
	assert_int_equal(lb_fwd_parse("masq"), -EINVAL);
	assert_int_equal(lb_svc_flag_parse("sh-port"), LB_SVC_F_HASH_PORT);
	assert_int_equal(lb_svc_flag_parse("mh_port"), LB_SVC_F_HASH_PORT);
	assert_int_equal(lb_svc_flag_parse("mh-fallback"), LB_SVC_F_FALLBACK);
	assert_int_equal(lb_svc_flag_parse("one-packet"), LB_SVC_F_ONE_PACKET);
	assert_int_equal(lb_svc_flag_parse("expire_quiescent"),
			 LB_SVC_F_EXPIRE_QUIESCENT);
	assert_int_equal(lb_svc_flag_parse("sh-portx"), -EINVAL);
	assert_string_equal(lb_svc_flag_name(LB_SVC_F_HASH_PORT, "mh"),
			    "mh-port");
	assert_string_equal(lb_svc_flag_name(LB_SVC_F_HASH_PORT, "sh"),
			    "sh-port");
	assert_int_equal(lb_netmask_parse("255.255.255.255"), 32);
	assert_int_equal(lb_netmask_parse("255.255.255.0"), 24);
	assert_int_equal(lb_netmask_parse("0.0.0.0"), 0);
	assert_int_equal(lb_netmask_parse("255.0.255.0"), -EINVAL);
	/* a prefix length, ipvsadm -M's form for IPv6 */
	assert_int_equal(lb_netmask_parse("24"), 24);
	assert_int_equal(lb_netmask_parse("/64"), 64);
	assert_int_equal(lb_netmask_parse("128"), 128);
	assert_int_equal(lb_netmask_parse("/129"), -EINVAL);
	assert_int_equal(lb_netmask_parse("/"), -EINVAL);
	assert_int_equal(lb_netmask_parse("/6x"), -EINVAL);
	assert_int_equal(lb_netmask_parse(""), -EINVAL);
}

/* ---- dests --------------------------------------------------------------- */

static void
test_dest_errno_contract(void **state)
{
	struct lb_svc_key k = K(IPPROTO_TCP, "198.18.0.100", 80);
	struct lb_dest_conf d = D("198.18.1.11", 0, 1, LB_FWD_FNAT);
	struct inet_addr a = A("198.18.1.11");
	struct lb_svc *s;

	assert_int_equal(lb_dest_add(st, &k, &d, msg, sizeof(msg)), -ENOENT);
	assert_string_equal(msg, "no service tcp 198.18.0.100:80");
	add_web();
	s = lb_svc_find(st, &k);
	assert_int_equal(lb_dest_add(st, &k, &d, msg, sizeof(msg)), 0);
	/* port 0 is the service's: 80 and 0 are the same dest */
	assert_int_equal(lb_dest_find(s, &a, 0)->conf.port, 80);
	d.port = 80;
	assert_int_equal(lb_dest_add(st, &k, &d, msg, sizeof(msg)), -EEXIST);
	assert_string_equal(msg, "dest 198.18.1.11:80 of service tcp "
			    "198.18.0.100:80 exists already");
	d.port = 8080;
	assert_int_equal(lb_dest_add(st, &k, &d, msg, sizeof(msg)), 0);
	assert_int_equal(s->n_dests, 2);

	d.weight = 7;
	assert_int_equal(lb_dest_edit(st, &k, &d, msg, sizeof(msg)), 0);
	assert_int_equal(lb_dest_find(s, &a, 8080)->conf.weight, 7);
	d.port = 81;
	assert_int_equal(lb_dest_edit(st, &k, &d, msg, sizeof(msg)), -ENOENT);
	assert_string_equal(msg, "no dest 198.18.1.11:81 in service tcp "
			    "198.18.0.100:80");

	assert_int_equal(lb_dest_del(st, &k, &a, 8080, msg, sizeof(msg)), 0);
	assert_int_equal(lb_dest_del(st, &k, &a, 8080, msg, sizeof(msg)),
			 -ENOENT);
	assert_int_equal(lb_dest_del(st, &k, &a, 0, msg, sizeof(msg)), 0);
	assert_int_equal(s->n_dests, 0);
}

static void
test_dest_invalid(void **state)
{
	struct lb_svc_key k = K(IPPROTO_TCP, "198.18.0.100", 80);
	struct lb_svc_key k2 = K(IPPROTO_TCP, "198.18.0.101", 80);
	struct lb_svc_conf c = C("rr", "");
	struct lb_dest_conf d = D("198.18.1.11", 0, 1, LB_FWD_FNAT);

	add_web();
	assert_int_equal(lb_svc_add(st, &k2, &c, msg, sizeof(msg)), 0);
	/* full-NAT needs a laddr group */
	assert_int_equal(lb_dest_add(st, &k2, &d, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "fwd: full-NAT needs the service to have a "
			    "laddr_group");
	d.fwd = LB_FWD_NAT;
	assert_int_equal(lb_dest_add(st, &k2, &d, msg, sizeof(msg)), 0);
	/* DR keeps the port */
	d = D("198.18.1.12", 8080, 1, LB_FWD_DR);
	assert_int_equal(lb_dest_add(st, &k, &d, msg, sizeof(msg)), -EINVAL);
	d.port = 80;
	assert_int_equal(lb_dest_add(st, &k, &d, msg, sizeof(msg)), 0);
	d = D("198.18.1.13", 0, SCHED_WEIGHT_MAX + 1, LB_FWD_FNAT);
	assert_int_equal(lb_dest_add(st, &k, &d, msg, sizeof(msg)), -EINVAL);
	d = D("198.18.1.13", 0, 1, LB_FWD_FNAT);
	d.u_threshold = 10;
	d.l_threshold = 11;
	assert_int_equal(lb_dest_add(st, &k, &d, msg, sizeof(msg)), -EINVAL);
	d.l_threshold = 5;
	assert_int_equal(lb_dest_add(st, &k, &d, msg, sizeof(msg)), 0);
	d = D("2001:db8::5", 0, 1, LB_FWD_FNAT);
	assert_int_equal(lb_dest_add(st, &k, &d, msg, sizeof(msg)),
			 -EAFNOSUPPORT);
	/* a service with FNAT dests cannot lose its laddr group */
	c = C("rr", "");
	assert_int_equal(lb_svc_edit(st, &k, &c, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "dest 198.18.1.13:80: fwd: full-NAT needs "
			    "the service to have a laddr_group");
	assert_string_equal(lb_svc_find(st, &k)->conf.laddr_group, "lg1");
}

/* ---- snapshots ----------------------------------------------------------- */

static const struct lb_svc_snap *
lookup6(uint8_t proto, const char *vip, uint16_t port)
{
	struct inet_addr a = A(vip);

	return lb_svc_lookup6(lb_snap_get(st), proto, a.v6.s6_addr, htons(port));
}

/* IPv6 services in their own slots: found by lb_svc_lookup6() only,
 * never by an IPv4 VIP equal to their first word; port 0 as IPv4's;
 * the schedulers on IPv6 clients, NAT64 dests picked like the others. */
static void
test_ipv6_lookup_and_sched(void **state)
{
	struct lb_svc_key k6 = K(IPPROTO_TCP, "2001:db8::100", 80);
	struct lb_svc_key k4 = K(IPPROTO_TCP, "32.1.13.184", 80); /* 2001:db8 */
	struct lb_svc_key k0 = K(IPPROTO_UDP, "2001:db8::100", 0);
	struct lb_svc_conf c = C("sh", "lg6");
	struct inet_addr lip6 = A("2001:db8:1::100"), lip4 = A("198.18.1.100");
	struct lb_dest_conf d6 = D("2001:db8:1::11", 8080, 1, LB_FWD_FNAT);
	struct lb_dest_conf d4 = D("198.18.1.11", 8080, 1, LB_FWD_FNAT);
	struct inet_addr cli = A("2001:db8:5::7"), vip = A("2001:db8::100");
	const struct lb_dest_snap *first, *d;
	const struct lb_svc_snap *ss;

	assert_int_equal(lb_laddr_add(st, "lg6", &lip6, msg, sizeof(msg)), 0);
	assert_int_equal(lb_laddr_add(st, "lg6", &lip4, msg, sizeof(msg)), 0);
	c.persistent = 60;
	c.netmask_len = lb_netmask_default(AF_INET6);
	assert_int_equal(lb_svc_add(st, &k6, &c, msg, sizeof(msg)), 0);
	assert_int_equal(lb_dest_add(st, &k6, &d6, msg, sizeof(msg)), 0);
	assert_int_equal(lb_dest_add(st, &k6, &d4, msg, sizeof(msg)), 0);
	/* not seen by the IPv4 lookup of its first word */
	assert_null(lookup(IPPROTO_TCP, "32.1.13.184", 80));
	c = C("rr", "");
	assert_int_equal(lb_svc_add(st, &k4, &c, msg, sizeof(msg)), 0);
	/* without persistence an IPv6 service keeps IPv6's default /64 */
	assert_int_equal(lb_svc_add(st, &k0, &c, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "netmask: only with persistent (as ipvsadm -M)");
	c.netmask_len = lb_netmask_default(AF_INET6);
	assert_int_equal(lb_svc_add(st, &k0, &c, msg, sizeof(msg)), 0);

	ss = lookup6(IPPROTO_TCP, "2001:db8::100", 80);
	assert_non_null(ss);
	assert_int_equal(ss->vip.family, AF_INET6);
	assert_int_equal(ss->netmask_len, 64);
	assert_int_equal(ss->n_dests, 2);
	assert_int_equal(lookup(IPPROTO_TCP, "32.1.13.184", 80)->vip.family,
			 AF_INET);
	assert_null(lookup6(IPPROTO_TCP, "2001:db8::101", 80));
	assert_null(lookup6(IPPROTO_TCP, "2001:db8::100", 81));
	/* UDP: the port-0 service takes every port */
	assert_int_equal(lookup6(IPPROTO_UDP, "2001:db8::100", 53)->vport, 0);
	assert_int_equal(lb_snap_get(st)->n_svcs, 1);
	assert_int_equal(lb_snap_get(st)->n_svcs6, 2);

	/* sh on an IPv6 client: the same dest every time */
	first = lb_svc_pick(ss, 0, &cli, htons(40000), &vip, 0);
	assert_non_null(first);
	for (int i = 1; i < 20; i++) {
		d = lb_svc_pick(ss, (unsigned int)i % NW, &cli,
				htons(40000 + i), &vip, 0);
		assert_ptr_equal(d->dest, first->dest);
	}
	/* both families of dests are picked over many clients */
	unsigned int fam[2] = { 0, 0 };

	for (int i = 0; i < 64; i++) {
		cli.v6.s6_addr[i % 16] ^= (uint8_t)(i * 37 + 1);
		d = lb_svc_pick(ss, 0, &cli, htons(1), &vip, 0);
		fam[d->addr.family == AF_INET6]++;
	}
	assert_true(fam[0] > 0 && fam[1] > 0);

	assert_int_equal(lb_svc_del(st, &k6, msg, sizeof(msg)), 0);
	assert_null(lookup6(IPPROTO_TCP, "2001:db8::100", 80));
	assert_non_null(lookup(IPPROTO_TCP, "32.1.13.184", 80));
}

static void
test_lookup_and_port0(void **state)
{
	struct lb_svc_key any = K(IPPROTO_TCP, "198.18.0.100", 0);
	struct lb_svc_key web = K(IPPROTO_TCP, "198.18.0.100", 80);
	struct lb_svc_conf c = C("rr", "");
	const struct lb_svc_snap *ss;
	char vip[32];
	int i;

	assert_null(lookup(IPPROTO_TCP, "198.18.0.100", 80));
	add_web();
	ss = lookup(IPPROTO_TCP, "198.18.0.100", 80);
	assert_non_null(ss);
	assert_int_equal(ss->vport, htons(80));
	assert_int_equal(ss->proto, IPPROTO_TCP);
	assert_non_null(ss->laddr);
	assert_int_equal(ss->laddr->n, 1);
	assert_null(lookup(IPPROTO_UDP, "198.18.0.100", 80));
	assert_null(lookup(IPPROTO_TCP, "198.18.0.100", 443));
	assert_null(lookup(IPPROTO_TCP, "198.18.0.101", 80));

	/* a port-0 service takes every port the exact ones do not */
	assert_int_equal(lb_svc_add(st, &any, &c, msg, sizeof(msg)), 0);
	assert_ptr_equal(lookup(IPPROTO_TCP, "198.18.0.100", 80)->svc,
			 lb_svc_find(st, &web));
	ss = lookup(IPPROTO_TCP, "198.18.0.100", 443);
	assert_non_null(ss);
	assert_int_equal(ss->vport, 0);
	assert_non_null(lookup(IPPROTO_TCP, "198.18.0.100", 0));
	assert_null(lookup(IPPROTO_UDP, "198.18.0.100", 443));
	assert_int_equal(lb_svc_del(st, &any, msg, sizeof(msg)), 0);
	assert_null(lookup(IPPROTO_TCP, "198.18.0.100", 443));

	/* many services, all found, none confused */
	for (i = 0; i < 300; i++) {
		struct lb_svc_key k;

		snprintf(vip, sizeof(vip), "10.0.%d.%d", i / 200, i % 200 + 1);
		k = K(i % 2 ? IPPROTO_UDP : IPPROTO_TCP, vip, (uint16_t)i);
		assert_int_equal(lb_svc_add(st, &k, &c, msg, sizeof(msg)), 0);
	}
	for (i = 0; i < 300; i++) {
		snprintf(vip, sizeof(vip), "10.0.%d.%d", i / 200, i % 200 + 1);
		ss = lookup(i % 2 ? IPPROTO_UDP : IPPROTO_TCP, vip,
			    (uint16_t)(i ? i : 9999));
		assert_non_null(ss);
		assert_int_equal(ntohs(ss->vport), i);
		assert_null(lookup(i % 2 ? IPPROTO_TCP : IPPROTO_UDP, vip,
				   (uint16_t)i));
	}
	assert_int_equal(lb_snap_get(st)->n_svcs, 301);
	assert_int_equal(lb_svc_flush(st, msg, sizeof(msg)), 301);
	assert_int_equal(lb_snap_get(st)->n_svcs, 0);
	assert_null(lookup(IPPROTO_TCP, "198.18.0.100", 80));
}

static void
test_sched_picks(void **state)
{
	struct lb_svc_key k = K(IPPROTO_TCP, "198.18.0.100", 80);
	struct inet_addr client = A("203.0.113.9");
	struct inet_addr vip = A("198.18.0.100");
	const struct lb_svc_snap *ss;
	const struct lb_dest_snap *ds;
	unsigned int seen[3] = { 0 }, i;
	struct lb_dest_conf d;

	add_web();
	ss = lookup(IPPROTO_TCP, "198.18.0.100", 80);
	assert_null(lb_svc_pick(ss, 0, &client, htons(1234), &vip, 0));	/* no dest */
	d = D("198.18.1.11", 0, 1, LB_FWD_FNAT);
	assert_int_equal(lb_dest_add(st, &k, &d, msg, sizeof(msg)), 0);
	d = D("198.18.1.12", 0, 1, LB_FWD_FNAT);
	assert_int_equal(lb_dest_add(st, &k, &d, msg, sizeof(msg)), 0);
	d = D("198.18.1.13", 0, 0, LB_FWD_FNAT);	/* quiescent */
	assert_int_equal(lb_dest_add(st, &k, &d, msg, sizeof(msg)), 0);
	ss = lookup(IPPROTO_TCP, "198.18.0.100", 80);
	assert_int_equal(ss->n_dests, 3);
	assert_string_equal(sched_name(&ss->sched), "rr");
	for (i = 0; i < 60; i++) {
		ds = lb_svc_pick(ss, i % NW, &client, htons(1234), &vip, 0);
		assert_non_null(ds);
		assert_int_equal(ds->port, htons(80));
		seen[ds - ss->dests]++;
	}
	assert_int_equal(seen[0], 30);
	assert_int_equal(seen[1], 30);
	assert_int_equal(seen[2], 0);

	/* re-weighted: wrr 3:1 after an edit of scheduler and weight */
	{
		struct lb_svc_conf c = C("wrr", "lg1");

		assert_int_equal(lb_svc_edit(st, &k, &c, msg, sizeof(msg)), 0);
	}
	d = D("198.18.1.11", 0, 3, LB_FWD_FNAT);
	assert_int_equal(lb_dest_edit(st, &k, &d, msg, sizeof(msg)), 0);
	ss = lookup(IPPROTO_TCP, "198.18.0.100", 80);
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < 400; i++)
		seen[lb_svc_pick(ss, 1, &client, htons(1234), &vip, 0) - ss->dests]++;
	assert_int_equal(seen[0], 300);
	assert_int_equal(seen[1], 100);
	assert_int_equal(seen[2], 0);
}

/* A connection's life on worker w, as lb.c counts it. */
static void
conn_open(struct lb_dest *d, unsigned int w)
{
	lb_dest_hold(d, w);
	lb_dest_conn_count(d, w, 0, 1);		/* SYN: inactive */
	lb_dest_conn_count(d, w, 1, -1);	/* established */
}

static void
conn_close(struct lb_dest *d, unsigned int w)
{
	lb_dest_conn_count(d, w, -1, 0);
	lb_dest_put(d, w);
}

static const struct lb_dest_snap *
pick_w(unsigned int w, uint32_t now)
{
	struct inet_addr client = A("203.0.113.9");
	struct inet_addr vip = A("198.18.0.100");

	return lb_svc_pick(lookup(IPPROTO_TCP, "198.18.0.100", 80), w, &client,
			   htons(1234), &vip, now);
}

/*
 * wlc (and the other load schedulers) follow each worker's own counts
 * through rebuilds, and a dest deleted with connections counted after
 * its deletion, then freed, is never touched again (ASan checks).
 */
static void
test_load_sched_per_worker(void **state)
{
	struct lb_svc_key k = K(IPPROTO_TCP, "198.18.0.100", 80);
	struct lb_svc_conf c = C("wlc", "lg1");
	struct lb_dest_conf d1 = D("198.18.1.11", 0, 1, LB_FWD_FNAT);
	struct lb_dest_conf d2 = D("198.18.1.12", 0, 3, LB_FWD_FNAT);
	struct lb_dest *dst[2];
	unsigned int n[2] = { 0 }, i;
	const struct lb_dest_snap *ds;

	add_web();
	assert_int_equal(lb_svc_edit(st, &k, &c, msg, sizeof(msg)), 0);
	assert_int_equal(lb_dest_add(st, &k, &d1, msg, sizeof(msg)), 0);
	assert_int_equal(lb_dest_add(st, &k, &d2, msg, sizeof(msg)), 0);
	ds = lookup(IPPROTO_TCP, "198.18.0.100", 80)->dests;
	dst[0] = ds[0].dest;
	dst[1] = ds[1].dest;
	/* worker 0: 8 held connections split by weight, 2:6 */
	for (i = 0; i < 8; i++) {
		ds = pick_w(0, 0);
		conn_open(ds->dest, 0);
		n[ds->dest == dst[1]]++;
	}
	assert_int_equal(n[0], 2);
	assert_int_equal(n[1], 6);
	/* ipvsadm's counts are the sum over workers */
	assert_int_equal(dest_active(dst[1]), 6);
	/* worker 1 has its own: idle, the newest of equals */
	assert_ptr_equal(pick_w(1, 0)->dest, dst[1]);
	/* a rebuild (weight 1 -> 3) keeps worker 0's counts: 2/3 < 6/3 */
	d1.weight = 3;
	assert_int_equal(lb_dest_edit(st, &k, &d1, msg, sizeof(msg)), 0);
	assert_ptr_equal(pick_w(0, 0)->dest, dst[0]);
	/* dest 2 deleted with its 6 connections alive; they end after the
	 * deletion, worker 0 not having picked since */
	assert_int_equal(lb_dest_del(st, &k, &d2.addr, 0, msg, sizeof(msg)),
			 0);
	for (i = 0; i < 6; i++)
		conn_close(dst[1], 0);
	assert_int_equal(lb_store_gc(st), 0);		/* freed */
	assert_ptr_equal(pick_w(0, 0)->dest, dst[0]);
	conn_close(dst[0], 0);
	conn_close(dst[0], 0);
	assert_int_equal(dst[0]->pcpu[0].wl.active, 0);

	/* lblc: each worker's table, kept across rebuilds, freed with the
	 * service (LSan checks) */
	c = C("lblc", "lg1");
	assert_int_equal(lb_svc_edit(st, &k, &c, msg, sizeof(msg)), 0);
	assert_int_equal(lb_dest_add(st, &k, &d2, msg, sizeof(msg)), 0);
	ds = pick_w(0, 1000);
	assert_non_null(ds);
	dst[1] = ds->dest;	/* the snapshot goes with the rebuild */
	d1.weight = 4;
	assert_int_equal(lb_dest_edit(st, &k, &d1, msg, sizeof(msg)), 0);
	assert_ptr_equal(pick_w(0, 2000)->dest, dst[1]);
	c = C("rr", "lg1");
	assert_int_equal(lb_svc_edit(st, &k, &c, msg, sizeof(msg)), 0);
}

/* What workers write survives every rebuild and the dest's deletion. */
static void
test_counters_survive(void **state)
{
	struct lb_svc_key k = K(IPPROTO_TCP, "198.18.0.100", 80);
	struct lb_dest_conf d = D("198.18.1.11", 0, 1, LB_FWD_FNAT);
	struct inet_addr a = A("198.18.1.11");
	const struct lb_svc_snap *ss, *ss2;
	struct lb_dest *dest;
	struct lb_stats sum;
	unsigned int w;
	uint64_t gen;

	add_web();
	assert_int_equal(lb_dest_add(st, &k, &d, msg, sizeof(msg)), 0);
	ss = lookup(IPPROTO_TCP, "198.18.0.100", 80);
	dest = ss->dests[0].dest;
	/* what the packet path will do, on each worker's own line */
	for (w = 0; w < NW; w++) {
		dest->pcpu[w].st.conns += 1;
		dest->pcpu[w].st.inpkts += 10 * (w + 1);
		dest->pcpu[w].st.inbytes += 1000;
	}
	lb_dest_conn_count(dest, 1, 2, 0);
	lb_dest_conn_count(dest, 3, 1, 0);
	lb_dest_hold(dest, 0);

	/* rebuilds: weight edit, another dest, scheduler change */
	gen = lb_snap_get(st)->gen;
	d.weight = 5;
	assert_int_equal(lb_dest_edit(st, &k, &d, msg, sizeof(msg)), 0);
	d = D("198.18.1.12", 0, 1, LB_FWD_FNAT);
	assert_int_equal(lb_dest_add(st, &k, &d, msg, sizeof(msg)), 0);
	assert_true(lb_snap_get(st)->gen > gen);
	ss2 = lookup(IPPROTO_TCP, "198.18.0.100", 80);
	assert_ptr_equal(ss2->dests[0].dest, dest);
	assert_int_equal(ss2->dests[0].weight, 5);
	/* the scheduler reads the same load */
	assert_ptr_equal(sched_dest_get(&ss2->sched, 0)->load, &dest->load);
	assert_int_equal(dest_active(dest), 3);
	lb_dest_stats(st, dest, &sum);
	assert_int_equal(sum.conns, NW);
	assert_int_equal(sum.inpkts, 10 * (1 + 2 + 3 + 4));
	assert_int_equal(sum.inbytes, 1000 * NW);
	/* the service's counters are its dests' */
	lb_svc_stats(st, ss2->svc, &sum);
	assert_int_equal(sum.conns, NW);
	assert_int_equal(sum.inpkts, 10 * (1 + 2 + 3 + 4));

	/* zero: a base, the workers' lines untouched */
	lb_stats_zero(st, NULL);
	lb_dest_stats(st, dest, &sum);
	assert_int_equal(sum.conns, 0);
	assert_int_equal(sum.inpkts, 0);
	assert_int_equal(dest->pcpu[0].st.conns, 1);
	dest->pcpu[2].st.conns++;
	lb_dest_stats(st, dest, &sum);
	assert_int_equal(sum.conns, 1);

	/* deleted while a connection holds it: trashed, still valid */
	assert_int_equal(lb_dest_del(st, &k, &a, 0, msg, sizeof(msg)), 0);
	assert_int_equal(lookup(IPPROTO_TCP, "198.18.0.100", 80)->n_dests, 1);
	assert_true(dest->trashed);
	assert_int_equal(lb_store_gc(st), 1);
	lb_dest_stats(st, dest, &sum);
	assert_int_equal(sum.conns, 1);
	/* added again: revived with its counters and connections */
	d = D("198.18.1.11", 0, 2, LB_FWD_FNAT);
	assert_int_equal(lb_dest_add(st, &k, &d, msg, sizeof(msg)), 0);
	assert_ptr_equal(lb_dest_find(lb_svc_find(st, &k), &a, 0), dest);
	assert_false(dest->trashed);
	assert_int_equal(dest_active(dest), 3);
	assert_int_equal(lb_store_gc(st), 0);
	/* deleted again and released: freed at the next collection */
	assert_int_equal(lb_dest_del(st, &k, &a, 0, msg, sizeof(msg)), 0);
	assert_int_equal(lb_store_gc(st), 1);
	lb_dest_put(dest, 0);
	assert_int_equal(lb_store_gc(st), 0);
}

/* A packet is counted once, on its dest: the service's counters are its
 * dests' summed, the deleted ones included, whether connections still
 * hold them (trashed) or they were freed since. */
static void
test_svc_counters_are_dests(void **state)
{
	struct lb_svc_key k = K(IPPROTO_TCP, "198.18.0.100", 80);
	struct lb_dest_conf d1 = D("198.18.1.11", 0, 1, LB_FWD_FNAT);
	struct lb_dest_conf d2 = D("198.18.1.12", 0, 1, LB_FWD_FNAT);
	struct inet_addr a1 = A("198.18.1.11");
	struct lb_dest *one, *two;
	struct lb_stats sum;
	struct lb_svc *s;

	(void)state;
	add_web();
	assert_int_equal(lb_dest_add(st, &k, &d1, msg, sizeof(msg)), 0);
	assert_int_equal(lb_dest_add(st, &k, &d2, msg, sizeof(msg)), 0);
	s = lb_svc_find(st, &k);
	one = TAILQ_FIRST(&s->dests);
	two = TAILQ_NEXT(one, next);
	one->pcpu[0].st = (struct lb_stats){ .conns = 1, .inpkts = 3,
					     .outpkts = 2, .inbytes = 300,
					     .outbytes = 200 };
	two->pcpu[NW - 1].st = (struct lb_stats){ .conns = 2, .inpkts = 5 };
	lb_svc_stats(st, s, &sum);
	assert_int_equal(sum.conns, 3);
	assert_int_equal(sum.inpkts, 8);
	assert_int_equal(sum.outpkts, 2);
	assert_int_equal(sum.inbytes, 300);
	assert_int_equal(sum.outbytes, 200);

	/* deleted while a connection holds it: it still counts there */
	lb_dest_hold(one, 0);
	assert_int_equal(lb_dest_del(st, &k, &a1, 0, msg, sizeof(msg)), 0);
	assert_true(one->trashed);
	one->pcpu[0].st.outpkts++;
	lb_svc_stats(st, s, &sum);
	assert_int_equal(sum.conns, 3);
	assert_int_equal(sum.outpkts, 3);

	/* released and freed: its counts stay with the service */
	lb_dest_put(one, 0);
	assert_int_equal(lb_store_gc(st), 0);
	assert_true(TAILQ_EMPTY(&st->trash));
	lb_svc_stats(st, s, &sum);
	assert_int_equal(sum.conns, 3);
	assert_int_equal(sum.inpkts, 8);
	assert_int_equal(sum.outpkts, 3);

	/* zeroed, then counting again */
	lb_stats_zero(st, NULL);
	lb_svc_stats(st, s, &sum);
	assert_int_equal(sum.conns, 0);
	assert_int_equal(sum.inpkts, 0);
	two->pcpu[0].st.inpkts += 4;
	lb_svc_stats(st, s, &sum);
	assert_int_equal(sum.inpkts, 4);
}

/* A service deleted while connections hold its dests stays until then,
 * published as a ghost that steers them and schedules nothing. */
static void
test_svc_del_with_held_dest(void **state)
{
	struct lb_svc_key k = K(IPPROTO_TCP, "198.18.0.100", 80);
	struct lb_svc_conf c = C("rr", "lg1");
	struct lb_dest_conf d = D("198.18.1.11", 0, 1, LB_FWD_FNAT);
	const struct lb_svc_snap *ghost;
	struct lb_dest *dest;
	struct lb_svc *s;

	add_web();
	assert_int_equal(lb_dest_add(st, &k, &d, msg, sizeof(msg)), 0);
	d = D("198.18.1.12", 0, 1, LB_FWD_FNAT);
	assert_int_equal(lb_dest_add(st, &k, &d, msg, sizeof(msg)), 0);
	s = lb_svc_find(st, &k);
	dest = TAILQ_FIRST(&s->dests);
	lb_dest_hold(dest, 0);
	assert_int_equal(lb_svc_del(st, &k, msg, sizeof(msg)), 0);
	assert_null(lb_svc_find(st, &k));
	ghost = lookup(IPPROTO_TCP, "198.18.0.100", 80);
	assert_non_null(ghost);
	assert_true(ghost->flags & LB_SVC_F_RETIRED);
	assert_int_equal(ghost->n_dests, 0);
	assert_null(ghost->laddr);
	assert_ptr_equal(ghost->svc, s);
	assert_int_equal(lb_store_gc(st), 1);
	assert_ptr_equal(lookup(IPPROTO_TCP, "198.18.0.100", 80), ghost);
	/* the service (its counters) lives as long as the dest: the ghost's
	 * link and the dest's */
	assert_ptr_equal(dest->svc, s);
	assert_int_equal(s->refs, 2);
	/* the group is free again */
	assert_int_equal(lb_laddr_find(st, "lg1")->users, 0);

	/* added again: the live service hides the ghost, which stays */
	assert_int_equal(lb_svc_add(st, &k, &c, msg, sizeof(msg)), 0);
	assert_false(lookup(IPPROTO_TCP, "198.18.0.100", 80)->flags &
		     LB_SVC_F_RETIRED);
	assert_int_equal(lb_snap_get(st)->n_svcs, 1);
	assert_int_equal(lb_svc_del(st, &k, msg, sizeof(msg)), 0);
	/* the new one had no connection: gone at once, the old ghost back */
	assert_ptr_equal(lookup(IPPROTO_TCP, "198.18.0.100", 80), ghost);
	assert_int_equal(st->n_retired, 1);

	/* the last connection ends: the ghost goes at the next collection */
	lb_dest_put(dest, 0);
	assert_int_equal(lb_store_gc(st), 0);	/* ASan: no leak, no UAF */
	assert_null(lookup(IPPROTO_TCP, "198.18.0.100", 80));
	assert_int_equal(st->n_retired, 0);
	assert_int_equal(lb_snap_get(st)->n_svcs, 0);
}

/* A flush retires every service at once; the held one's ghost stays. */
static void
test_svc_flush_keeps_ghosts(void **state)
{
	struct lb_svc_key k = K(IPPROTO_TCP, "198.18.0.100", 80);
	struct lb_svc_key k6 = K(IPPROTO_UDP, "2001:db8::100", 53);
	struct lb_svc_conf c = C("rr", "");
	struct lb_dest_conf d = D("198.18.1.11", 0, 1, LB_FWD_FNAT);
	struct lb_dest *dest;

	add_web();
	c.netmask_len = lb_netmask_default(AF_INET6);
	assert_int_equal(lb_svc_add(st, &k6, &c, msg, sizeof(msg)), 0);
	assert_int_equal(lb_dest_add(st, &k, &d, msg, sizeof(msg)), 0);
	dest = TAILQ_FIRST(&lb_svc_find(st, &k)->dests);
	lb_dest_hold(dest, 0);
	assert_int_equal(lb_svc_flush(st, msg, sizeof(msg)), 2);
	assert_int_equal(st->n_svcs, 0);
	assert_int_equal(st->n_retired, 1);
	assert_true(lookup(IPPROTO_TCP, "198.18.0.100", 80)->flags &
		    LB_SVC_F_RETIRED);
	assert_null(lookup6(IPPROTO_UDP, "2001:db8::100", 53));
	lb_dest_put(dest, 0);
	assert_int_equal(lb_store_gc(st), 0);
	assert_null(lookup(IPPROTO_TCP, "198.18.0.100", 80));
}

/* ---- laddr --------------------------------------------------------------- */

static void
test_laddr_groups(void **state)
{
	struct inet_addr l1 = A("198.18.1.100"), l2 = A("198.18.1.101");
	const struct lb_svc_snap *ss;

	add_web();
	assert_int_equal(lb_laddr_add(st, "lg1", &l1, msg, sizeof(msg)),
			 -EEXIST);
	assert_int_equal(lb_laddr_add(st, "lg2", &l1, msg, sizeof(msg)),
			 -EEXIST);
	assert_string_equal(msg, "198.18.1.100 is in laddr group 'lg1' "
			    "already");
	assert_null(lb_laddr_find(st, "lg2"));
	assert_int_equal(lb_laddr_add(st, "lg1", NULL, msg, sizeof(msg)),
			 -EEXIST);
	assert_int_equal(lb_laddr_add(st, "bad name", NULL, msg, sizeof(msg)),
			 -EINVAL);
	/* an added LIP reaches the service's snapshot */
	assert_int_equal(lb_laddr_add(st, "lg1", &l2, msg, sizeof(msg)), 0);
	ss = lookup(IPPROTO_TCP, "198.18.0.100", 80);
	assert_int_equal(ss->laddr->n, 2);
	assert_true(inet_addr_equal(&ss->laddr->addrs[1], &l2));
	assert_int_equal(lb_laddr_del(st, "lg1", &l1, msg, sizeof(msg)), 0);
	ss = lookup(IPPROTO_TCP, "198.18.0.100", 80);
	assert_int_equal(ss->laddr->n, 1);
	assert_true(inet_addr_equal(&ss->laddr->addrs[0], &l2));
	assert_int_equal(lb_laddr_del(st, "lg1", &l1, msg, sizeof(msg)),
			 -ENOENT);
	/* in use: cannot go */
	assert_int_equal(lb_laddr_del(st, "lg1", NULL, msg, sizeof(msg)),
			 -EBUSY);
	assert_string_equal(msg, "laddr group 'lg1' is used by 1 service(s)");
	assert_int_equal(lb_laddr_del(st, "lg3", NULL, msg, sizeof(msg)),
			 -ENOENT);
	/* empty group, then deleted */
	assert_int_equal(lb_laddr_add(st, "lg2", NULL, msg, sizeof(msg)), 0);
	assert_int_equal(lb_laddr_add(st, "lg2", &l1, msg, sizeof(msg)), 0);
	assert_int_equal(lb_laddr_del(st, "lg2", NULL, msg, sizeof(msg)), 0);
	assert_null(lb_laddr_find(st, "lg2"));
}

static void
test_port_slices(void **state)
{
	unsigned int n, w;
	uint16_t lo, hi, prev_hi;
	uint32_t p, size_min, size_max;

	for (n = 1; n <= LB_MAX_WORKERS; n++) {
		prev_hi = STEER_LPORT_MIN - 1;
		size_min = UINT32_MAX;
		size_max = 0;
		for (w = 0; w < n; w++) {
			assert_int_equal(steer_lport_range(w, n, &lo, &hi),
					 0);
			/* contiguous: each starts where the last ended */
			assert_int_equal(lo, prev_hi + 1);
			assert_true(hi >= lo);
			size_min = RTE_MIN(size_min, (uint32_t)(hi - lo + 1));
			size_max = RTE_MAX(size_max, (uint32_t)(hi - lo + 1));
			prev_hi = hi;
		}
		assert_int_equal(prev_hi, STEER_LPORT_MAX);	/* covering */
		assert_true(size_max - size_min <= 1);		/* even */
	}
	assert_int_equal(steer_lport_range(2, 2, &lo, &hi), -EINVAL);
	assert_int_equal(steer_lport_range(0, 0, &lo, &hi), -EINVAL);

	/* the owner of every port is the worker whose slice holds it */
	for (n = 1; n <= 8; n++)
		for (w = 0; w < n; w++) {
			steer_lport_range(w, n, &lo, &hi);
			for (p = lo; p <= hi; p++)
				if (steer_lport_owner((uint16_t)p, n) != (int)w)
					fail_msg("port %u n %u: owner %d, "
						 "not %u", p, n,
						 steer_lport_owner((uint16_t)p,
								  n), w);
		}
	for (w = 0; w < 64; w++) {
		steer_lport_range(w, 64, &lo, &hi);
		assert_int_equal(steer_lport_owner(lo, 64), w);
		assert_int_equal(steer_lport_owner(hi, 64), w);
	}
	assert_int_equal(steer_lport_owner(1023, 2), -ERANGE);
	assert_int_equal(steer_lport_owner(0, 2), -ERANGE);
	assert_int_equal(steer_lport_owner(2000, 0), -EINVAL);
}

/* ---- publication with RCU ----------------------------------------------- */

/* ---- full-NAT local ports (lb_conn.c) -------------------------------------- */

static struct conn_key4
key4(const char *src, uint16_t sport, const char *dst, uint16_t dport)
{
	return (struct conn_key4){ .src_addr = A(src).v4.s_addr,
				   .dst_addr = A(dst).v4.s_addr,
				   .src_port = htons(sport),
				   .dst_port = htons(dport),
				   .proto = IPPROTO_TCP };
}

/* A full-NAT connection from client port cport to the server 198.18.1.10:80
 * through g: its local port (host order), or -1 with *why. */
static int
fnat_new(struct dp_ctx *dp, const struct lb_laddr_snap *g, uint16_t cport,
	 enum drop_reason *why)
{
	struct conn_key4 in = key4("198.19.0.1", cport, "198.18.0.100", 80);
	struct conn_key4 out = { .src_addr = A("198.18.1.10").v4.s_addr,
				 .src_port = htons(80), .proto = IPPROTO_TCP };
	struct conn *c;

	c = lb_fnat_conn_new(dp, &dp->workers[0], g, &in,
			     conn_key_loc(dp->workers[0].conns, &in), &out,
			     TCP_S_NONE, why);
	if (c == NULL)
		return -1;
	assert_true(out.dst_addr == g->addrs[0].v4.s_addr);
	assert_non_null(conn_lookup4(dp->workers[0].conns, &in, NULL));
	assert_ptr_equal(conn_lookup4(dp->workers[0].conns, &out, NULL), c);
	return ntohs(out.dst_port);
}

/* One LIP (198.18.1.200), one worker, ports without randomness
 * (lport_random false): the setting of the lports tests. */
struct lports_env {
	struct dplb_config cfg;
	struct dp_worker wk;
	struct dp_ctx dp;
	struct lb_laddr_pcpu pcpu;
	struct lb_laddr_snap *g;
	uint16_t lo, hi;
};

static void
lports_setup(struct lports_env *e, uint32_t capacity)
{
	memset(e, 0, sizeof(*e));
	e->dp = (struct dp_ctx){ .cfg = &e->cfg, .n_workers = 1,
				 .workers = &e->wk };
	e->g = calloc(1, sizeof(*e->g) + sizeof(e->g->addrs[0]));
	assert_non_null(e->g);
	e->g->name = "lg1";
	e->g->pcpu = &e->pcpu;
	e->g->n = 1;
	e->g->addrs[0] = A("198.18.1.200");
	e->cfg.lport_random = false;
	e->cfg.lport_guard = 60;
	assert_int_equal(conn_table_create(&e->wk.conns, "lports", capacity,
					   SOCKET_ID_ANY), 0);
	assert_int_equal(lb_lport_init(&e->dp), 0);
	assert_int_equal(steer_lport_range(0, 1, &e->lo, &e->hi), 0);
}

static void
lports_teardown(struct lports_env *e)
{
	lb_lport_free(&e->dp);
	conn_table_free(e->wk.conns);
	free(e->g);
}

/* Another connection (from client 198.20.x.y) holds the tuple of the
 * server 198.18.1.10:80 and local port lport of 198.18.1.200. */
static void
lport_hold(struct lports_env *e, uint32_t client, uint16_t lport)
{
	struct conn_key4 in = key4("198.20.0.0", 2000, "198.18.0.100", 80);
	struct conn_key4 out = key4("198.18.1.10", 80, "198.18.1.200", lport);

	in.src_addr = htonl(ntohl(in.src_addr) + client);
	assert_non_null(conn_new(e->wk.conns, &in, &out, TCP_S_NONE, 0));
}

/*
 * The slice's ports in turn for one LIP and server; a port whose tuple a
 * connection still holds is skipped (conn_new() finds it), and a run of
 * them is jumped over; a client already in the table gets nothing (as a
 * full table), and without a LIP there is no port.
 */
#define RUN 200
static void
test_fnat_lports(void **state)
{
	struct lports_env e;
	enum drop_reason why;
	unsigned int i;
	uint16_t lo;

	lports_setup(&e, 1024);
	lo = e.lo;
	assert_int_equal(fnat_new(&e.dp, e.g, 1000, &why), lo);
	assert_int_equal(fnat_new(&e.dp, e.g, 1001, &why), lo + 1);
	/* another connection holds the next tuple: it is skipped */
	lport_hold(&e, 0, lo + 2);
	assert_int_equal(fnat_new(&e.dp, e.g, 1002, &why), lo + 3);
	assert_int_equal(e.pcpu.conns, 3);
	/* a run of 200 held tuples, more than LPORT_TRIES: the tries jump
	 * 0, 1, 3, 7... positions further and leave it at the ninth */
	for (i = 0; i < RUN; i++)
		lport_hold(&e, 1 + i, (uint16_t)(lo + 4 + i));
	assert_int_equal(fnat_new(&e.dp, e.g, 1004, &why), lo + 259);
	assert_int_equal(fnat_new(&e.dp, e.g, 1005, &why), lo + 260);
	assert_int_equal(e.pcpu.conns, 5);
	/* the client's key is there already */
	assert_int_equal(fnat_new(&e.dp, e.g, 1000, &why), -1);
	assert_int_equal(why, DROP_CONN_TABLE_FULL);
	assert_int_equal(e.pcpu.conns, 5);
	assert_int_equal(e.pcpu.exhausted, 0);
	assert_int_equal(conn_count(e.wk.conns), 6 + RUN);
	/* no address in the group */
	e.g->n = 0;
	assert_int_equal(fnat_new(&e.dp, e.g, 1003, &why), -1);
	assert_int_equal(why, DROP_NO_LPORT);
	/* no IPv4 address in it: no port to run out of, not exhausted */
	e.g->n = 1;
	e.g->addrs[0] = A("2001:db8::200");
	assert_int_equal(fnat_new(&e.dp, e.g, 1003, &why), -1);
	assert_int_equal(why, DROP_NO_LPORT);
	assert_int_equal(e.pcpu.exhausted, 0);
	lports_teardown(&e);
}

/*
 * A pair nearly full (a scheduler that sends every new connection to
 * one server): every tuple of the slice held but a window of 1,000 in
 * its second half.  The jumps stay within the round and pass 255 ports
 * at most, so the walk goes on from SYN to SYN and reaches the window;
 * a jump that ended the round sent each SYN back to the round's start
 * and the window was never reached (make bench, cps --sched sed).
 */
#define WINDOW_AT 40000
#define WINDOW 1000
static void
test_fnat_lports_nearly_full(void **state)
{
	struct lports_env e;
	enum drop_reason why;
	uint32_t span, k;
	int port = -1;
	unsigned int syn;

	lports_setup(&e, 70000);
	span = (uint32_t)(e.hi - e.lo) + 1;
	assert_true(span > WINDOW_AT + WINDOW);
	for (k = 0; k < span; k++)
		if (k < WINDOW_AT || k >= WINDOW_AT + WINDOW)
			lport_hold(&e, k, (uint16_t)(e.lo + k));
	for (syn = 0; syn < 16 && port < 0; syn++) {
		port = fnat_new(&e.dp, e.g, (uint16_t)(1000 + syn), &why);
		if (port < 0)
			assert_int_equal(why, DROP_NO_LPORT);
	}
	assert_true(port >= e.lo + WINDOW_AT &&
		    port < e.lo + WINDOW_AT + WINDOW);
	assert_true(syn > 1);	/* the first SYN's tries met only held ports */
	assert_int_equal(e.pcpu.exhausted, syn - 1);
	lports_teardown(&e);
}

/* A backup's record: the master's connection of the pair (198.18.1.200,
 * 198.18.1.10:80) took local port lport (host order). */
static void
follow(struct lports_env *e, uint16_t lport)
{
	struct conn_key4 out = key4("198.18.1.10", 80, "198.18.1.200", lport);

	lb_lport_follow4(&e->dp, &e->wk, &out);
}

/*
 * A backup follows its master's walk of a pair: its own walk goes on
 * after the master's last port; a record of an older connection (behind,
 * or more than half a round ahead) does not move it back unless nothing
 * moved it for a guard; a port of another worker's slice is ignored; the
 * slice's last port continues at its first.
 */
static void
test_fnat_lports_follow(void **state)
{
	struct lports_env e;
	enum drop_reason why;
	uint16_t lo;

	lports_setup(&e, 1024);
	lo = e.lo;
	e.wk.now_ms = 1000;
	assert_int_equal(fnat_new(&e.dp, e.g, 1000, &why), lo);
	follow(&e, lo + 500);
	assert_int_equal(fnat_new(&e.dp, e.g, 1001, &why), lo + 501);
	follow(&e, lo + 100);		/* an older connection's record */
	follow(&e, lo + 40000);		/* more than half a round ahead */
	assert_int_equal(fnat_new(&e.dp, e.g, 1002, &why), lo + 502);
	follow(&e, lo + 600);
	follow(&e, 80);			/* not this worker's slice */
	assert_int_equal(fnat_new(&e.dp, e.g, 1003, &why), lo + 601);
	/* nothing moved it for a guard (60 s): the master started over */
	e.wk.now_ms += 60 * 1000;
	follow(&e, lo + 100);
	assert_int_equal(fnat_new(&e.dp, e.g, 1004, &why), lo + 101);
	/* the slice's last port: the walk goes on at its first, which the
	 * first connection still holds */
	e.wk.now_ms += 60 * 1000;
	follow(&e, e.hi);
	assert_int_equal(fnat_new(&e.dp, e.g, 1005, &why), lo + 1);
	assert_int_equal(fnat_new(&e.dp, e.g, 1006, &why), lo + 2);
	lports_teardown(&e);
}

/* n connections of the pair, each closed once made (client ports from
 * cport on): the walk moves on n ports.  The last one's local port. */
static int
fnat_walk(struct lports_env *e, unsigned int n, uint16_t cport)
{
	enum drop_reason why;
	unsigned int i;
	int port = -1;

	for (i = 0; i < n; i++) {
		struct conn_key4 in = key4("198.19.0.1", (uint16_t)(cport + i),
					   "198.18.0.100", 80);
		struct conn *c;

		port = fnat_new(&e->dp, e->g, (uint16_t)(cport + i), &why);
		assert_true(port > 0);
		c = conn_lookup4(e->wk.conns, &in, NULL);
		assert_non_null(c);
		conn_del(e->wk.conns, c);
	}
	return port;
}

/*
 * A backup that followed its master near the slice's end, then took
 * over: the round it joined part-way ends soon after, and the next
 * round's first ports were not handed out at the follow (the master's
 * were, at its pace, which the walk's own pace after the follow stands
 * for): no early reuse counted for them (before, all of them were).  A
 * walk round the whole slice within the guard still counts its ports
 * as early.
 */
static void
test_fnat_lports_follow_then_wrap(void **state)
{
	struct lports_env e;
	uint32_t span;

	lports_setup(&e, 1024);
	span = (uint32_t)(e.hi - e.lo) + 1;
	e.wk.now_ms = 1000;
	follow(&e, (uint16_t)(e.hi - 100));	/* 100 positions left */
	e.wk.now_ms = 2000;
	fnat_walk(&e, 100, 1000);		/* to the end of the round */
	fnat_walk(&e, 1000, 2000);		/* the next round's first */
	assert_int_equal(e.pcpu.conns, 1100);
	assert_int_equal(e.pcpu.reuse_early, 0);
	/* once round the slice within a second: the next round's first
	 * 1000 ports, handed out a second ago, come back early */
	e.wk.now_ms = 3000;
	fnat_walk(&e, span - 1000, 3000);
	e.pcpu.reuse_early = 0;
	fnat_walk(&e, 1000, 3000);
	assert_int_equal(e.pcpu.reuse_early, 1000);
	lports_teardown(&e);
}

/* A stop and a start of the workers' local ports (lb_lport_save(), then
 * lb_lport_init()), with the walks kept next to the control socket. */
static void
lports_restart(struct lports_env *e)
{
	lb_lport_save(&e->dp);
	lb_lport_free(&e->dp);
	assert_int_equal(lb_lport_init(&e->dp), 0);
	e->wk.now_ms = lb_clock_ms();
}

/*
 * dataplane.lport_keep: after a stop and a start each pair's walk goes
 * on where it stopped, with the secrets of the run before (lport_random)
 * or from the slice's start (not); the file is read once.  Walks saved
 * longer than lport_guard ago, or not kept, are not used: new walks.
 */
static void
test_fnat_lports_kept_across_restart(void **state)
{
	struct lports_env e;
	char path[sizeof(e.cfg.control_socket) + 8];
	uint32_t span;
	bool random;
	int last;

	for (random = false; ; random = true) {
		lports_setup(&e, 1024);
		lb_lport_free(&e.dp);
		e.cfg.lport_random = random;
		e.cfg.lport_keep = true;
		snprintf(e.cfg.control_socket, sizeof(e.cfg.control_socket),
			 "/tmp/dplb-unit-%d.sock", (int)getpid());
		snprintf(path, sizeof(path), "%s.lports",
			 e.cfg.control_socket);
		assert_int_equal(lb_lport_init(&e.dp), 0);
		span = (uint32_t)(e.hi - e.lo) + 1;
		e.wk.now_ms = lb_clock_ms();
		last = fnat_walk(&e, 100, 1000);
		lports_restart(&e);
		assert_int_not_equal(access(path, F_OK), 0);
		assert_int_equal(fnat_walk(&e, 1, 2000),
				 e.lo + (last - e.lo + 1) % span);
		if (random)
			break;
		/* kept longer than the guard: the servers' TIME_WAIT is
		 * over, new walks (from the slice's start) */
		e.cfg.lport_guard = 0;
		lports_restart(&e);
		assert_int_not_equal(access(path, F_OK), 0);
		assert_int_equal(fnat_walk(&e, 1, 3000), e.lo);
		/* not kept */
		e.cfg.lport_guard = 60;
		e.cfg.lport_keep = false;
		fnat_walk(&e, 10, 4000);
		lports_restart(&e);
		assert_int_not_equal(access(path, F_OK), 0);
		assert_int_equal(fnat_walk(&e, 1, 5000), e.lo);
		lports_teardown(&e);
	}
	lports_teardown(&e);
}

/* The same with lport_random: the backup's own random point does not
 * matter, its walk goes on after the master's port. */
static void
test_fnat_lports_follow_random(void **state)
{
	struct lports_env e;
	enum drop_reason why;
	uint32_t span;
	int p0, i;

	lports_setup(&e, 1024);
	lb_lport_free(&e.dp);
	e.cfg.lport_random = true;
	assert_int_equal(lb_lport_init(&e.dp), 0);
	span = (uint32_t)(e.hi - e.lo) + 1;
	p0 = fnat_new(&e.dp, e.g, 1000, &why);
	assert_true(p0 >= e.lo && p0 <= e.hi);
	for (i = 1; i <= 3; i++) {
		uint16_t x = (uint16_t)(e.lo + (p0 - e.lo + 1000 * i) % span);

		follow(&e, x);
		assert_int_equal(fnat_new(&e.dp, e.g, (uint16_t)(1000 + i),
					  &why),
				 e.lo + (x - e.lo + 1) % span);
	}
	lports_teardown(&e);
}

static void
test_rcu_publication(void **state)
{
	struct lb_svc_key k = K(IPPROTO_UDP, "198.18.0.53", 53);
	struct lb_svc_conf c = C("sh", "");
	size_t sz = rte_rcu_qsbr_get_memsize(2);
	struct rte_rcu_qsbr *qsv = rte_zmalloc("qsv", sz, RTE_CACHE_LINE_SIZE);
	struct lb_store *s2;
	const struct lb_snap *before;

	assert_non_null(qsv);
	assert_int_equal(rte_rcu_qsbr_init(qsv, 2), 0);
	/* registered readers, offline as workers between polls */
	assert_int_equal(rte_rcu_qsbr_thread_register(qsv, 0), 0);
	assert_int_equal(rte_rcu_qsbr_thread_register(qsv, 1), 0);
	assert_int_equal(lb_store_create(&s2, 2, qsv), 0);
	before = lb_snap_get(s2);
	c.flags = LB_SVC_F_HASH_PORT | LB_SVC_F_FALLBACK | LB_SVC_F_ONE_PACKET;
	assert_int_equal(lb_svc_add(s2, &k, &c, msg, sizeof(msg)), 0);
	assert_ptr_not_equal(lb_snap_get(s2), before);
	assert_int_equal(lb_snap_get(s2)->n_svcs, 1);
	assert_int_equal(lb_snap_get(s2)->gen, 2);
	assert_int_equal(lb_svc_lookup(lb_snap_get(s2), IPPROTO_UDP,
				       k.vip.v4.s_addr, htons(53))->sched.flags,
			 SCHED_F_HASH_PORT | SCHED_F_FALLBACK);
	lb_store_destroy(s2);
	rte_free(qsv);
}

/* ---- config -------------------------------------------------------------- */

static void
test_apply_config(void **state)
{
	static struct dplb_config cfg;
	static const char text[] =
		"laddr_groups = ( { name = \"lg1\"; addresses = [ "
		"\"198.18.1.100\", \"198.18.1.101\" ]; } );\n"
		"services = (\n"
		" { proto = \"tcp\"; vip = \"198.18.0.100\"; port = 80;\n"
		"   sched = \"rr\"; laddr_group = \"lg1\";\n"
		"   dests = ( { addr = \"198.18.1.11\"; port = 80; weight = 1;"
		" fwd = \"fnat\"; },\n"
		"             { addr = \"198.18.1.12\"; weight = 2; } ); },\n"
		" { proto = \"udp\"; vip = \"198.18.0.100\"; port = 0;\n"
		"   sched = \"mh\"; flags = [ \"mh-port\", \"one-packet\" ];\n"
		"   persistent = 300; netmask = \"255.255.255.0\";\n"
		"   dests = ( { addr = \"198.18.1.13\"; fwd = \"dr\"; } ); }\n"
		");\n";
	char err[CFG_ERR_LEN];
	const struct lb_svc_snap *ss;

	assert_int_equal(config_parse_string(text, "t.conf", &cfg, err,
					     sizeof(err)), 0);
	assert_int_equal(lb_svc_apply_config(st, &cfg, msg, sizeof(msg)), 0);
	assert_int_equal(st->n_svcs, 2);
	ss = lookup(IPPROTO_TCP, "198.18.0.100", 80);
	assert_non_null(ss);
	assert_int_equal(ss->n_dests, 2);
	assert_int_equal(ss->dests[1].weight, 2);
	assert_int_equal(ss->laddr->n, 2);
	ss = lookup(IPPROTO_UDP, "198.18.0.100", 5353);
	assert_non_null(ss);
	assert_int_equal(ss->persistent, 300);
	assert_int_equal(ss->netmask_len, 24);
	assert_int_equal(ss->flags, LB_SVC_F_HASH_PORT | LB_SVC_F_ONE_PACKET);
	assert_int_equal(ss->dests[0].fwd, LB_FWD_DR);
	/* applied twice: the errno of the first clash, the object named */
	assert_int_equal(lb_svc_apply_config(st, &cfg, msg, sizeof(msg)),
			 -EEXIST);
	assert_string_equal(msg, "laddr_groups.[0]: laddr group 'lg1' exists "
			    "already");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_svc_errno_contract, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_svc_invalid, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_dest_errno_contract, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_dest_invalid, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_lookup_and_port0, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ipv6_lookup_and_sched,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_sched_picks, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_load_sched_per_worker,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_svc_counters_are_dests,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_counters_survive, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_svc_flush_keeps_ghosts,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_svc_del_with_held_dest,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_laddr_groups, setup,
						teardown),
		cmocka_unit_test(test_port_slices),
		cmocka_unit_test(test_rcu_publication),
		cmocka_unit_test(test_fnat_lports),
		cmocka_unit_test(test_fnat_lports_nearly_full),
		cmocka_unit_test(test_fnat_lports_follow),
		cmocka_unit_test(test_fnat_lports_follow_random),
		cmocka_unit_test(test_fnat_lports_follow_then_wrap),
		cmocka_unit_test(test_fnat_lports_kept_across_restart),
		cmocka_unit_test_setup_teardown(test_apply_config, setup,
						teardown),
	};

	if (test_eal_init() != 0) {
		fprintf(stderr, "cannot start the EAL\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
