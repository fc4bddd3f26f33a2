/* SPDX-License-Identifier: GPL-2.0-or-later */
/* IPv6 input validation (net6/ip6_parse.h): the header, the walk of the
 * extension headers and its limits, the drop reasons. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net6/ip6_parse.h"

#define SRC_OFF 8
#define DST_OFF 24

static uint8_t pkt[2048];
static unsigned int len;	/* bytes built so far */

/* An IPv6 header 2001:2::2 -> 2001:2::1, next header nh, the payload
 * length fixed by finish(). */
static void
start(uint8_t nh)
{
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x60;
	pkt[6] = nh;
	pkt[7] = 64;
	pkt[SRC_OFF] = 0x20; pkt[SRC_OFF + 1] = 0x01; pkt[SRC_OFF + 3] = 0x02;
	pkt[SRC_OFF + 15] = 2;
	pkt[DST_OFF] = 0x20; pkt[DST_OFF + 1] = 0x01; pkt[DST_OFF + 3] = 0x02;
	pkt[DST_OFF + 15] = 1;
	len = 40;
}

/* An extension header of the generic format (8 * (units + 1) bytes). */
static void
ext(uint8_t nh, uint8_t units)
{
	pkt[len] = nh;
	pkt[len + 1] = units;
	len += 8u * (units + 1u);
}

static void
finish(unsigned int payload)
{
	len += payload;
	pkt[4] = (uint8_t)((len - 40) >> 8);
	pkt[5] = (uint8_t)(len - 40);
}

static void
test_plain_tcp(void **state)
{
	struct ip6_info pi;

	(void)state;
	start(6);
	finish(20);
	assert_true(ip6_parse(pkt, len, &pi));
	assert_int_equal(pi.proto, 6);
	assert_int_equal(pi.l4_off, 40);
	assert_int_equal(pi.n_ext, 0);
	assert_int_equal(pi.frag_off, 0);
	assert_int_equal(pi.pkt_len, len);
	/* Ethernet padding after the packet is allowed */
	assert_true(ip6_parse(pkt, len + 6, &pi));
	assert_int_equal(pi.pkt_len, len);
}

static void
expect_drop(unsigned int avail, enum drop_reason why)
{
	struct ip6_info pi;

	assert_false(ip6_parse(pkt, avail, &pi));
	assert_int_equal(pi.why, why);
}

static void
test_bad_headers(void **state)
{
	(void)state;
	start(17);
	finish(8);
	expect_drop(39, DROP_IPV6_BAD_HEADER);		/* short */
	expect_drop(len - 1, DROP_IPV6_BAD_HEADER);	/* payload cut */
	pkt[0] = 0x40;
	expect_drop(len, DROP_IPV6_BAD_HEADER);		/* version 4 */
	pkt[0] = 0x60;
	pkt[4] = pkt[5] = 0;
	expect_drop(len, DROP_IPV6_BAD_HEADER);		/* jumbogram */
}

static void
test_bad_sources(void **state)
{
	(void)state;
	start(17);
	finish(8);
	pkt[SRC_OFF] = 0xff;
	expect_drop(len, DROP_IPV6_SRC_MULTICAST);
	memset(pkt + SRC_OFF, 0, 16);
	pkt[SRC_OFF + 15] = 1;				/* ::1 */
	expect_drop(len, DROP_IPV6_MARTIAN_SOURCE);
	pkt[SRC_OFF + 10] = pkt[SRC_OFF + 11] = 0xff;	/* ::ffff:0.0.0.1 */
	expect_drop(len, DROP_IPV6_MARTIAN_SOURCE);
	/* the unspecified source is for the caller (ND's DAD) to judge */
	memset(pkt + SRC_OFF, 0, 16);
	{
		struct ip6_info pi;

		assert_true(ip6_parse(pkt, len, &pi));
	}
}

static void
test_walks_extension_headers(void **state)
{
	struct ip6_info pi;

	(void)state;
	start(0);		/* Hop-by-Hop, Destination Options, AH, UDP */
	ext(60, 0);
	ext(51, 0);
	pkt[len] = 17;		/* AH: 12 + 4 bytes: length field 2 */
	pkt[len + 1] = 2;
	len += 16;
	finish(8);
	assert_true(ip6_parse(pkt, len, &pi));
	assert_int_equal(pi.proto, 17);
	assert_int_equal(pi.n_ext, 3);
	assert_int_equal(pi.l4_off, 40 + 8 + 8 + 16);
}

static void
test_hop_by_hop_only_first(void **state)
{
	(void)state;
	start(60);
	ext(0, 0);
	ext(6, 0);
	finish(20);
	expect_drop(len, DROP_IPV6_BAD_EXT);
}

static void
test_truncated_extension(void **state)
{
	(void)state;
	start(60);
	ext(6, 3);		/* 32 bytes announced */
	len -= 24;		/* 8 present */
	finish(0);
	expect_drop(len, DROP_IPV6_BAD_EXT);
}

static void
test_routing_type0_refused(void **state)
{
	struct ip6_info pi;

	(void)state;
	start(43);
	pkt[len + 2] = 0;	/* type 0 */
	pkt[len + 3] = 1;	/* segments left */
	ext(6, 2);
	finish(20);
	expect_drop(len, DROP_IPV6_BAD_EXT);
	/* no segments left: an old type 0 header is ignored */
	pkt[40 + 3] = 0;
	assert_true(ip6_parse(pkt, len, &pi));
	assert_int_equal(pi.proto, 6);
}

static void
test_limits(void **state)
{
	struct ip6_info pi;
	unsigned int i;

	(void)state;
	start(60);
	for (i = 0; i < IP6_EXT_MAX - 1; i++)
		ext(60, 0);
	ext(17, 0);		/* the 8th */
	finish(8);
	assert_true(ip6_parse(pkt, len, &pi));
	assert_int_equal(pi.n_ext, IP6_EXT_MAX);
	start(60);
	for (i = 0; i < IP6_EXT_MAX; i++)
		ext(60, 0);
	ext(17, 0);		/* the 9th */
	finish(8);
	expect_drop(len, DROP_IPV6_EXT_LIMIT);
	/* bytes: two headers of 264 bytes each */
	start(60);
	ext(60, 32);
	ext(17, 32);
	finish(8);
	expect_drop(len, DROP_IPV6_EXT_LIMIT);
}

static void
test_fragment_stops_the_walk(void **state)
{
	struct ip6_info pi;

	(void)state;
	start(0);
	ext(44, 0);
	pkt[len] = 6;		/* Fragment header: next TCP, offset 0, M */
	pkt[len + 3] = 1;
	len += 8;
	finish(100);
	assert_true(ip6_parse(pkt, len, &pi));
	assert_int_equal(pi.frag_off, 48);
	assert_int_equal(pi.proto, 6);
	assert_int_equal(pi.l4_off, 56);
}

/* A quoted packet (an ICMPv6 error's): its payload length says more than
 * the quote holds, the walk is bounded by the quote. */
static void
test_quoted_walk(void **state)
{
	struct ip6_info pi;

	(void)state;
	start(60);
	ext(6, 1);		/* destination options, 16 bytes, then TCP */
	finish(1200);		/* the packet as sent */
	assert_false(ip6_parse(pkt, 96, &pi));	/* cut: not a packet */
	assert_true(ip6_parse_quoted(pkt, 96, &pi));
	assert_int_equal(pi.proto, 6);
	assert_int_equal(pi.l4_off, 56);
	assert_int_equal(pi.n_ext, 1);
	/* the ports must be in the quote: 8 bytes of the upper layer */
	assert_true(ip6_parse_quoted(pkt, 64, &pi));
	assert_false(ip6_parse_quoted(pkt, 63, &pi));
	assert_int_equal(pi.why, DROP_IPV6_BAD_EXT);
	/* cut inside the extension header */
	assert_false(ip6_parse_quoted(pkt, 50, &pi));
	assert_int_equal(pi.why, DROP_IPV6_BAD_EXT);
	assert_false(ip6_parse_quoted(pkt, 39, &pi));
	assert_int_equal(pi.why, DROP_IPV6_BAD_HEADER);
}

static void
test_quoted_fragments(void **state)
{
	struct ip6_info pi;

	(void)state;
	start(44);
	pkt[len] = 17;		/* Fragment header: UDP, offset 0, M */
	pkt[len + 3] = 1;
	len += 8;
	finish(1400);
	assert_true(ip6_parse_quoted(pkt, 200, &pi));	/* the first */
	assert_int_equal(pi.frag_off, 40);
	assert_int_equal(pi.proto, 17);
	assert_int_equal(pi.l4_off, 48);
	/* offset 1448 (181 units of 8): a later fragment, no ports */
	pkt[43] = (uint8_t)(181 << 3 | 1);
	pkt[42] = (uint8_t)(181 >> 5);
	assert_false(ip6_parse_quoted(pkt, 200, &pi));
	assert_int_equal(pi.why, DROP_IPV6_FRAGMENT);
}

/* The quote gets the same limits as a packet. */
static void
test_quoted_limits(void **state)
{
	struct ip6_info pi;
	int i;

	(void)state;
	start(60);
	for (i = 0; i < IP6_EXT_MAX; i++)
		ext(i + 1 < IP6_EXT_MAX ? 60 : 6, 0);
	finish(20);
	assert_true(ip6_parse_quoted(pkt, len, &pi));
	assert_int_equal(pi.n_ext, IP6_EXT_MAX);
	start(60);
	for (i = 0; i <= IP6_EXT_MAX; i++)
		ext(i < IP6_EXT_MAX ? 60 : 6, 0);
	finish(20);
	assert_false(ip6_parse_quoted(pkt, len, &pi));
	assert_int_equal(pi.why, DROP_IPV6_EXT_LIMIT);
	start(0);
	ext(0, 0);		/* Hop-by-Hop twice */
	finish(20);
	assert_false(ip6_parse_quoted(pkt, len, &pi));
	assert_int_equal(pi.why, DROP_IPV6_BAD_EXT);
}

static void
test_known_protocols(void **state)
{
	(void)state;
	assert_true(ip6_proto_known(6));
	assert_true(ip6_proto_known(17));
	assert_true(ip6_proto_known(58));
	assert_true(ip6_proto_known(112));	/* VRRPv3 for the twin */
	assert_false(ip6_proto_known(253));	/* experimental */
	assert_false(ip6_proto_known(143));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_tcp),
		cmocka_unit_test(test_bad_headers),
		cmocka_unit_test(test_bad_sources),
		cmocka_unit_test(test_walks_extension_headers),
		cmocka_unit_test(test_hop_by_hop_only_first),
		cmocka_unit_test(test_truncated_extension),
		cmocka_unit_test(test_routing_type0_refused),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_fragment_stops_the_walk),
		cmocka_unit_test(test_quoted_walk),
		cmocka_unit_test(test_quoted_fragments),
		cmocka_unit_test(test_quoted_limits),
		cmocka_unit_test(test_known_protocols),
	};

	return cmocka_run_group_tests_name("ip6_parse", tests, NULL, NULL);
}
