/* SPDX-License-Identifier: GPL-2.0-or-later */
/* UTF-8 helpers (common/utf8.h) and log escaping (common/log.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "utf8.h"

#define S(x) x, sizeof(x) - 1

static void
test_char_len(void **state)
{
	(void)state;
	assert_int_equal(utf8_char_len(S("a")), 1);
	assert_int_equal(utf8_char_len(S("\xc3\xa9")), 2);
	assert_int_equal(utf8_char_len(S("\xe2\x82\xac")), 3);
	assert_int_equal(utf8_char_len(S("\xf0\x9f\x98\x80")), 4);
	assert_int_equal(utf8_char_len(S("\xf4\x8f\xbf\xbf")), 4); /* U+10FFFF */
	/* cut short, continuation alone, overlong, surrogate, too big */
	assert_int_equal(utf8_char_len(S("\xe2\x82")), 0);
	assert_int_equal(utf8_char_len(S("\x82")), 0);
	assert_int_equal(utf8_char_len(S("\xc0\xaf")), 0);
	assert_int_equal(utf8_char_len(S("\xe0\x80\xaf")), 0);
	assert_int_equal(utf8_char_len(S("\xf0\x80\x80\xaf")), 0);
	assert_int_equal(utf8_char_len(S("\xed\xa0\x80")), 0);
	assert_int_equal(utf8_char_len(S("\xf4\x90\x80\x80")), 0);
	assert_int_equal(utf8_char_len(S("\xff")), 0);
	assert_true(utf8_valid(S("d\xc3\xa9j\xc3\xa0 vu \xe2\x82\xac")));
	assert_false(utf8_valid(S("abc\xc3")));
	assert_true(utf8_valid(S("")));
}

static void
test_boundary_and_trim(void **state)
{
	const char *s = "ab\xe2\x82\xac" "c";	/* a b EURO c */

	(void)state;
	assert_int_equal(utf8_boundary(s, 2), 2);
	assert_int_equal(utf8_boundary(s, 3), 2);
	assert_int_equal(utf8_boundary(s, 4), 2);
	assert_int_equal(utf8_boundary(s, 5), 5);
	assert_int_equal(utf8_boundary(s, 6), 6);
	assert_int_equal(utf8_trim_partial(s, 6), 6);
	assert_int_equal(utf8_trim_partial(s, 5), 5);
	assert_int_equal(utf8_trim_partial(s, 4), 2);
	assert_int_equal(utf8_trim_partial(s, 3), 2);
	assert_int_equal(utf8_trim_partial(s, 2), 2);
	assert_int_equal(utf8_trim_partial(S("\xf0\x9f\x98")), 0);
	/* invalid, not cut: left for the repair */
	assert_int_equal(utf8_trim_partial(S("a\xff")), 2);
	assert_int_equal(utf8_trim_partial(S("a\xc3\x28")), 3);
}

static void
test_repair(void **state)
{
	size_t n;
	char *r;

	(void)state;
	r = utf8_repair(S("a\xff" "b\xe2\x82" "c\xc3\xa9"), &n);
	assert_string_equal(r, "a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd"
			       "c\xc3\xa9");
	assert_int_equal(n, strlen(r));
	assert_true(utf8_valid(r, n));
	free(r);
}

static void
test_log_escape(void **state)
{
	char buf[32];

	(void)state;
	assert_string_equal(LOG_STR("eth0\nfake: err: x"),
			    "eth0\\nfake: err: x");
	assert_string_equal(LOG_STR("a\\nb"), "a\\\\nb");
	assert_string_equal(LOG_STR("\r\t\x01\x7f\xff"), "\\r\\t\\x01\\x7f\\xff");
	assert_string_equal(LOG_STR("d\xc3\xa9j\xc3\xa0"), "d\xc3\xa9j\xc3\xa0");
	assert_string_equal(LOG_STR(NULL), "(null)");
	/* too long: cut on a character, with "..." */
	assert_string_equal(log_escape("abcdefghijklmnopqrstuvwxyz"
				       "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac",
				       buf, sizeof(buf)),
			    "abcdefghijklmnopqrstuvwxyz...");
	assert_string_equal(log_escape("abcdefghijklmnopqrstuvwx\xe2\x82\xac"
				       "\xe2\x82\xac", buf, sizeof(buf)),
			    "abcdefghijklmnopqrstuvwx\xe2\x82\xac...");
	assert_string_equal(log_escape("abcdefghijklmnopqrstuvwxyz\n\n",
				       buf, sizeof(buf)),
			    "abcdefghijklmnopqrstuvwxyz\\n...");
}

/* Run fn with stderr in a file; returns what it wrote (malloc'd). */
static char *
capture_stderr(void (*fn)(void))
{
	char path[] = "/tmp/test_log.XXXXXX", *out;
	int fd = mkstemp(path), saved = dup(2);
	long len;
	FILE *f;

	assert_true(fd >= 0 && saved >= 0);
	fflush(stderr);
	dup2(fd, 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	f = fdopen(fd, "r");
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	out = calloc(1, (size_t)len + 1);
	assert_int_equal(fread(out, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	unlink(path);
	return out;
}

static void
log_forged(void)
{
	/* what a client might send as an interface name */
	LOG_NOTICE("sync daemon started (interface %s)",
		   "x)\ndplbd: err: forged\xff");
}

static void
log_long(void)
{
	char big[2000];

	memset(big, 'a', sizeof(big));
	memcpy(big + 1017, "\xe2\x82\xac", 3);	/* across the 1023 cut */
	big[sizeof(big) - 1] = '\0';
	LOG_NOTICE("%s", big);
}

/* Whatever a message holds, log_msg writes one line of UTF-8. */
static void
test_log_msg_one_line(void **state)
{
	char *out;

	(void)state;
	out = capture_stderr(log_forged);
	assert_string_equal(out, "dplbd: notice: sync daemon started "
			    "(interface x)\\ndplbd: err: forged\\xff)\n");
	free(out);
	out = capture_stderr(log_long);
	assert_int_equal(strchr(out, '\n') - out, strlen(out) - 1);
	assert_true(utf8_valid(out, strlen(out)));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_char_len),
		cmocka_unit_test(test_boundary_and_trim),
		cmocka_unit_test(test_repair),
		cmocka_unit_test(test_log_escape),
		cmocka_unit_test(test_log_msg_one_line),
	};

	unsetenv("JOURNAL_STREAM");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
