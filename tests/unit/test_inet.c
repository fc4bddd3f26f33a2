/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Address, prefix and MAC parsing and formatting. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "inet.h"

static void
test_addr_v4_v6(void **state)
{
	struct inet_addr a;
	char buf[INET_ADDR_STRLEN];

	(void)state;
	assert_int_equal(inet_addr_parse("198.18.0.1", &a), 0);
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(a.v4.s_addr, inet_addr("198.18.0.1"));
	assert_string_equal(inet_addr_fmt(&a, buf, sizeof(buf)), "198.18.0.1");
	assert_int_equal(inet_addr_parse("2001:db8::1", &a), 0);
	assert_int_equal(a.family, AF_INET6);
	assert_string_equal(inet_addr_fmt(&a, buf, sizeof(buf)), "2001:db8::1");
}

static void
test_addr_rejects_garbage(void **state)
{
	static const char *const bad[] = { "", "198.18.0", "198.18.0.256",
					   "x", "198.18.0.1 ", "1.2.3.4/24" };
	struct inet_addr a;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(inet_addr_parse(bad[i], &a), -EINVAL);
	assert_int_equal(inet_addr_parse(NULL, &a), -EINVAL);
}

static void
test_prefix_parse(void **state)
{
	struct inet_prefix p;
	char buf[INET_PREFIX_STRLEN];

	(void)state;
	assert_int_equal(inet_prefix_parse("198.18.0.10/24", &p), 0);
	assert_int_equal(p.len, 24);
	assert_string_equal(inet_prefix_fmt(&p, buf, sizeof(buf)),
			    "198.18.0.10/24");
	assert_int_equal(inet_prefix_parse("198.18.0.10", &p), 0);
	assert_int_equal(p.len, 32);
	assert_int_equal(inet_prefix_parse("2001:db8::/32", &p), 0);
	assert_int_equal(p.len, 32);
	assert_int_equal(inet_prefix_parse("0.0.0.0/0", &p), 0);
	assert_int_equal(p.len, 0);
}

static void
test_prefix_rejects(void **state)
{
	static const char *const bad[] = { "198.18.0.0/33", "198.18.0.0/",
					   "198.18.0.0/-1", "198.18.0.0/2x",
					   "::/129", "/24" };
	struct inet_prefix p;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(inet_prefix_parse(bad[i], &p), -EINVAL);
}

static void
test_mask_and_contains(void **state)
{
	struct inet_prefix p;
	struct inet_addr in, out;

	(void)state;
	inet_prefix_parse("198.18.1.77/20", &p);
	inet_prefix_mask(&p);
	assert_int_equal(p.addr.v4.s_addr, inet_addr("198.18.0.0"));
	inet_addr_parse("198.18.15.255", &in);
	inet_addr_parse("198.18.16.0", &out);
	assert_true(inet_prefix_contains(&p, &in));
	assert_false(inet_prefix_contains(&p, &out));
	inet_prefix_parse("2001:db8:ff00::/40", &p);
	inet_addr_parse("2001:db8:ff12::1", &in);
	assert_true(inet_prefix_contains(&p, &in));
	inet_addr_parse("198.18.0.1", &in);
	assert_false(inet_prefix_contains(&p, &in));
}

static void
test_mac(void **state)
{
	uint8_t mac[6];
	char buf[MAC_STRLEN];

	(void)state;
	assert_int_equal(mac_parse("02:00:5e:AB:cd:01", mac), 0);
	assert_string_equal(mac_fmt(mac, buf, sizeof(buf)), "02:00:5e:ab:cd:01");
	assert_int_equal(mac_parse("02-00-5e-ab-cd-01", mac), 0);
	assert_int_equal(mac_parse("02:00:5e:ab:cd", mac), -EINVAL);
	assert_int_equal(mac_parse("02:00:5e:ab:cd:0g", mac), -EINVAL);
	assert_int_equal(mac_parse("0200:5e:ab:cd:01:", mac), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_v4_v6),
		cmocka_unit_test(test_addr_rejects_garbage),
		cmocka_unit_test(test_prefix_parse),
		cmocka_unit_test(test_prefix_rejects),
		cmocka_unit_test(test_mask_and_contains),
		cmocka_unit_test(test_mac),
	};

	return cmocka_run_group_tests_name("inet", tests, NULL, NULL);
}
