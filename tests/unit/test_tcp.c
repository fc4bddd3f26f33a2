/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcp/: SYN cookies (round trip, rotation, forgeries), options, PROXY
 * headers and TOA. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <rte_tcp.h>

#include "tcp/proxy_hdr.h"
#include "tcp/syncookie.h"
#include "tcp/tcp_edit.h"

#define PERIOD 64000u

static const struct syncookie_tuple tup = {
	RTE_BE32(0xc6120002), RTE_BE32(0xc6120064), RTE_BE16(40000),
	RTE_BE16(80),
};

static void
test_cookie_round_trip(void **state)
{
	struct syncookie_key key;
	struct syncookie_secrets s = { 0 };
	struct syncookie_opts in = { 1460, 7, true, true }, out;
	uint32_t c;

	(void)state;
	syncookie_key_init(&key, 42, PERIOD);
	c = syncookie_make(&key, &s, 1000, &tup, 123456, &in);
	assert_true(syncookie_check(&key, &s, 2000, &tup, 123456, c, &out));
	assert_int_equal(out.mss, 1460);
	assert_int_equal(out.wscale, 7);
	assert_true(out.sack_ok && out.ts);

	/* no options: MSS rounded down to the table, wscale none */
	in = (struct syncookie_opts){ 1300, SYNCOOKIE_WS_NONE, false, false };
	c = syncookie_make(&key, &s, 1000, &tup, 99, &in);
	assert_true(syncookie_check(&key, &s, 1000, &tup, 99, c, &out));
	assert_int_equal(out.mss, 1200);
	assert_int_equal(out.wscale, SYNCOOKIE_WS_NONE);
	assert_false(out.sack_ok || out.ts);
}

static void
test_cookie_rotation(void **state)
{
	struct syncookie_key key;
	struct syncookie_secrets s = { 0 }, other = { 0 };
	struct syncookie_opts in = { 1460, 7, true, true }, out;
	uint32_t c;

	(void)state;
	syncookie_key_init(&key, 42, PERIOD);
	c = syncookie_make(&key, &s, 10 * PERIOD + 5, &tup, 7, &in);
	/* the next generation still accepts it (the previous secret) */
	assert_true(syncookie_check(&key, &s, 11 * PERIOD + 1, &tup, 7, c,
				    &out));
	/* another worker's cache, never at generation 10, too */
	assert_true(syncookie_check(&key, &other, 11 * PERIOD + 1, &tup, 7, c,
				    &out));
	/* two generations later it is dead */
	assert_false(syncookie_check(&key, &s, 12 * PERIOD + 1, &tup, 7, c,
				     &out));
	/* period 0: one generation for ever */
	syncookie_key_init(&key, 42, 0);
	c = syncookie_make(&key, &s, 0, &tup, 7, &in);
	assert_true(syncookie_check(&key, &s, 1u << 31, &tup, 7, c, &out));
}

static void
test_cookie_forgeries(void **state)
{
	struct syncookie_key key, key2;
	struct syncookie_secrets s = { 0 }, s2 = { 0 };
	struct syncookie_opts in = { 1460, 7, true, true }, out;
	struct syncookie_tuple t2 = tup;
	uint32_t c;
	unsigned int bit, passed = 0;

	(void)state;
	syncookie_key_init(&key, 42, PERIOD);
	syncookie_key_init(&key2, 43, PERIOD);
	c = syncookie_make(&key, &s, 1000, &tup, 555, &in);
	assert_false(syncookie_check(&key, &s, 1000, &tup, 556, c, &out));
	assert_false(syncookie_check(&key2, &s2, 1000, &tup, 555, c, &out));
	t2.sport = RTE_BE16(40001);
	assert_false(syncookie_check(&key, &s, 1000, &t2, 555, c, &out));
	/* any flipped bit, the encoded options included */
	for (bit = 0; bit < 32; bit++)
		passed += syncookie_check(&key, &s, 1000, &tup, 555,
					  c ^ (1u << bit), &out);
	assert_int_equal(passed, 0);
	/* random guesses: about 2^-22 each */
	passed = 0;
	for (bit = 0; bit < 100000; bit++)
		passed += syncookie_check(&key, &s, 1000, &tup, 555,
					  bit * 2654435761u, &out);
	assert_true(passed <= 2);
}

static void
test_syn_opts_round_trip(void **state)
{
	uint8_t buf[TCP_HDR_MAX] = { 0 };
	struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)buf;
	struct tcp_syn_opts w = { 1400, 9, true, true, 0x01020304, 77 };
	struct tcp_opts o;
	unsigned int n;

	(void)state;
	n = tcp_syn_opts_write(buf + sizeof(*t), &w);
	assert_int_equal(n % 4, 0);
	assert_int_equal(n, 20);
	t->data_off = (uint8_t)((sizeof(*t) + n) / 4 << 4);
	assert_true(tcp_opts_parse(t, &o));
	assert_int_equal(o.mss, 1400);
	assert_true(o.has_wscale && o.wscale == 9 && o.sack_ok && o.has_ts);
	assert_int_equal(o.tsval, 0x01020304);
	assert_int_equal(o.tsecr, 77);
	assert_true(tcp_mss_clamp(t, &o, 1344));
	assert_true(tcp_opts_parse(t, &o));
	assert_int_equal(o.mss, 1344);
	/* a length running past the header stops the walk */
	buf[sizeof(*t) + 1] = 40;
	assert_false(tcp_opts_parse(t, &o));
}

static void
test_seq_wraps(void **state)
{
	(void)state;
	assert_true(seq_lt(0xfffffff0u, 0x10));
	assert_false(seq_lt(0x10, 0xfffffff0u));
	assert_true(seq_le(5, 5));
}

static void
test_proxy_headers(void **state)
{
	uint8_t buf[PP_MAX + 1], opt[TCPOLEN_TOA];
	unsigned int n;
	static const char v1[] = "PROXY TCP4 255.255.255.255 255.255.255.255 "
				 "65535 65535\r\n";
	static const uint8_t v2[PP_V2_V4_LEN] = {
		0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49,
		0x54, 0x0a, 0x21, 0x11, 0x00, 0x0c, 198, 18, 0, 2, 198, 18,
		0, 100, 0x9c, 0x40, 0x00, 0x50,
	};

	(void)state;
	memset(buf, 0xaa, sizeof(buf));
	n = pp_build(PP_V1, buf, RTE_BE32(0xffffffff), RTE_BE16(65535),
		     RTE_BE32(0xffffffff), RTE_BE16(65535));
	assert_int_equal(n, PP_V1_MAX);
	assert_memory_equal(buf, v1, n);
	assert_int_equal(buf[n], 0xaa);	/* nothing written past it */
	n = pp_build(PP_V2, buf, tup.saddr, tup.sport, tup.daddr, tup.dport);
	assert_int_equal(n, PP_V2_V4_LEN);
	assert_memory_equal(buf, v2, n);
	assert_int_equal(pp_build(PP_NONE, buf, 0, 0, 0, 0), 0);
	/* UDP: the same but for the transport nibble (DGRAM) */
	memset(buf, 0xaa, sizeof(buf));
	n = pp_build_dgram(buf, tup.saddr, tup.sport, tup.daddr, tup.dport);
	assert_int_equal(n, PP_V2_V4_LEN);
	assert_int_equal(buf[13], 0x12);
	assert_memory_equal(buf, v2, 13);
	assert_memory_equal(buf + 14, v2 + 14, n - 14);
	assert_int_equal(buf[n], 0xaa);
	toa_build(opt, tup.saddr, tup.sport);
	assert_int_equal(opt[0], 254);
	assert_int_equal(opt[1], 8);
	assert_memory_equal(opt + 2, "\x9c\x40\xc6\x12\x00\x02", 6);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cookie_round_trip),
		cmocka_unit_test(test_cookie_rotation),
		cmocka_unit_test(test_cookie_forgeries),
		cmocka_unit_test(test_syn_opts_round_trip),
		cmocka_unit_test(test_seq_wraps),
		cmocka_unit_test(test_proxy_headers),
	};

	return cmocka_run_group_tests_name("tcp", tests, NULL, NULL);
}
