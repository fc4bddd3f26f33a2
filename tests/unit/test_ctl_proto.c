/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for ctl_proto: request parsing, replies, codes, getters. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctl/ctl_proto.h"

static char msg[CTL_ERRMSG_LEN];

static int
parse(const char *line, struct ctl_request *req)
{
	return ctl_request_parse(line, strlen(line), req, msg, sizeof(msg));
}

/* Parse line, expect rc, and return the error reply (or ok reply). */
static char *
parse_reply(const char *line, int want_rc)
{
	struct ctl_request req;
	char *reply;
	int rc = parse(line, &req);

	assert_int_equal(rc, want_rc);
	if (rc == 0)
		reply = ctl_reply_ok(req.id, NULL);
	else
		reply = ctl_reply_error(req.id, -rc, msg);
	ctl_request_free(&req);
	assert_non_null(reply);
	return reply;
}

static void
expect_error(const char *line, int want_rc, const char *want_reply)
{
	char *reply = parse_reply(line, want_rc);

	assert_string_equal(reply, want_reply);
	free(reply);
}

/* ---- parse ---- */

static void
test_parse_valid(void **state)
{
	struct ctl_request req;

	(void)state;
	assert_int_equal(parse("{\"id\":7,\"method\":\"addr.add\","
			       "\"params\":{\"dev\":\"dp0\"}}", &req), 0);
	assert_string_equal(req.method, "addr.add");
	assert_non_null(req.id);
	assert_int_equal(json_object_get_int(req.id), 7);
	assert_true(json_object_is_type(req.params, json_type_object));
	assert_string_equal(json_object_get_string(
		json_object_object_get(req.params, "dev")), "dp0");
	assert_string_equal(msg, "");
	ctl_request_free(&req);
	assert_null(req.root);
}

static void
test_parse_no_id(void **state)
{
	struct ctl_request req;

	(void)state;
	assert_int_equal(parse("{\"method\":\"hello\"}", &req), 0);
	assert_null(req.id);
	ctl_request_free(&req);
	assert_int_equal(parse("{\"id\":null,\"method\":\"hello\"}", &req), 0);
	assert_null(req.id);
	ctl_request_free(&req);
}

static void
test_parse_string_id(void **state)
{
	struct ctl_request req;
	char *reply;

	(void)state;
	assert_int_equal(parse("{\"id\":\"abc-1\",\"method\":\"hello\"}",
			       &req), 0);
	assert_string_equal(json_object_get_string(req.id), "abc-1");
	reply = ctl_reply_ok(req.id, NULL);
	assert_string_equal(reply, "{\"id\":\"abc-1\",\"ok\":true,\"result\":{}}\n");
	free(reply);
	ctl_request_free(&req);
}

/* Integer ids are echoed exactly over the whole 64-bit range json-c
 * holds without clamping; its clamped ends are refused. */
static void
test_parse_big_ids(void **state)
{
	static const char *const echoed[] = {
		"18446744073709551614", "9223372036854775808",
		"9223372036854775807", "-9223372036854775807", "0", "-1",
	};
	static const char *const refused[] = {
		"18446744073709551615", "18446744073709551616",
		"99999999999999999999999999", "-9223372036854775808",
		"-9223372036854775809", "-99999999999999999999999999",
	};
	char line[128], want[128], *r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(echoed) / sizeof(echoed[0]); i++) {
		snprintf(line, sizeof(line), "{\"id\":%s,\"method\":\"x\"}",
			 echoed[i]);
		snprintf(want, sizeof(want),
			 "{\"id\":%s,\"ok\":true,\"result\":{}}\n", echoed[i]);
		r = parse_reply(line, 0);
		assert_string_equal(r, want);
		free(r);
	}
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		snprintf(line, sizeof(line), "{\"id\":%s,\"method\":\"x\"}",
			 refused[i]);
		expect_error(line, -EINVAL,
			     "{\"id\":null,\"ok\":false,\"error\":{\"code\":"
			     "\"EINVAL\",\"errno\":22,\"message\":\"id: an "
			     "integer id must lie in -9223372036854775807.."
			     "18446744073709551614\"}}\n");
	}
}

/* A fraction is a valid number but no id: refused, saying so. */
static void
test_parse_fraction_id(void **state)
{
	(void)state;
	expect_error("{\"id\":1.50,\"method\":\"x\"}", -EINVAL,
		     "{\"id\":null,\"ok\":false,\"error\":{\"code\":\"EINVAL\","
		     "\"errno\":22,\"message\":\"id: must be an integer or a "
		     "string, not a fraction (1.50)\"}}\n");
	expect_error("{\"id\":1e5,\"method\":\"x\"}", -EINVAL,
		     "{\"id\":null,\"ok\":false,\"error\":{\"code\":\"EINVAL\","
		     "\"errno\":22,\"message\":\"id: must be an integer or a "
		     "string, not a fraction (1e5)\"}}\n");
}

/* Numbers JSON does not have are malformed wherever they appear. */
static void
test_parse_non_json_numbers(void **state)
{
	static const char *const bad[] = {
		"NaN", "Infinity", "-Infinity", "1.", "1.e5", "-1.", "1.E-2",
	};
	char line[128], want[256];
	struct ctl_request req;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "{\"id\":%s,\"method\":\"x\"}",
			 bad[i]);
		snprintf(want, sizeof(want),
			 "{\"id\":null,\"ok\":false,\"error\":{\"code\":"
			 "\"EBADMSG\",\"errno\":74,\"message\":\"malformed "
			 "JSON: '%s' is not a JSON number\"}}\n", bad[i]);
		expect_error(line, -EBADMSG, want);
		snprintf(line, sizeof(line), "{\"id\":1,\"method\":\"x\","
			 "\"params\":{\"a\":[1,{\"b\":%s}]}}", bad[i]);
		assert_int_equal(parse(line, &req), -EBADMSG);
		assert_null(req.id);
		ctl_request_free(&req);
	}
	/* what JSON does allow passes, and is echoed as written */
	assert_int_equal(parse("{\"id\":1,\"method\":\"x\",\"params\":"
			       "{\"a\":[-0.5,1e5,1E+2,0.0e-1,-0]}}", &req), 0);
	ctl_request_free(&req);
}

static void
test_parse_no_params(void **state)
{
	struct ctl_request req;

	(void)state;
	assert_int_equal(parse("{\"id\":1,\"method\":\"hello\"}", &req), 0);
	assert_non_null(req.params);
	assert_true(json_object_is_type(req.params, json_type_object));
	assert_int_equal(json_object_object_length(req.params), 0);
	ctl_request_free(&req);
	assert_int_equal(parse("{\"method\":\"h\",\"params\":null}", &req), 0);
	assert_true(json_object_is_type(req.params, json_type_object));
	ctl_request_free(&req);
}

static void
test_parse_params_not_object(void **state)
{
	(void)state;
	expect_error("{\"id\":3,\"method\":\"x\",\"params\":[1]}", -EINVAL,
		     "{\"id\":3,\"ok\":false,\"error\":{\"code\":\"EINVAL\","
		     "\"errno\":22,\"message\":\"params must be an object\"}}\n");
	expect_error("{\"id\":3,\"method\":\"x\",\"params\":\"a\"}", -EINVAL,
		     "{\"id\":3,\"ok\":false,\"error\":{\"code\":\"EINVAL\","
		     "\"errno\":22,\"message\":\"params must be an object\"}}\n");
}

static void
test_parse_method_bad(void **state)
{
	(void)state;
	expect_error("{\"id\":4}", -EINVAL,
		     "{\"id\":4,\"ok\":false,\"error\":{\"code\":\"EINVAL\","
		     "\"errno\":22,\"message\":\"method is missing\"}}\n");
	expect_error("{\"id\":\"s\",\"method\":5}", -EINVAL,
		     "{\"id\":\"s\",\"ok\":false,\"error\":{\"code\":\"EINVAL\","
		     "\"errno\":22,\"message\":\"method must be a string\"}}\n");
	expect_error("{\"id\":5,\"method\":null}", -EINVAL,
		     "{\"id\":5,\"ok\":false,\"error\":{\"code\":\"EINVAL\","
		     "\"errno\":22,\"message\":\"method must be a string\"}}\n");
	expect_error("{\"id\":6,\"method\":\"\"}", -EINVAL,
		     "{\"id\":6,\"ok\":false,\"error\":{\"code\":\"EINVAL\","
		     "\"errno\":22,\"message\":\"method must not be empty\"}}\n");
}

static void
test_parse_bad_id(void **state)
{
	(void)state;
	expect_error("{\"id\":[1],\"method\":\"x\"}", -EINVAL,
		     "{\"id\":null,\"ok\":false,\"error\":{\"code\":\"EINVAL\","
		     "\"errno\":22,\"message\":\"id: must be an integer, a "
		     "string or null\"}}\n");
	expect_error("{\"id\":true,\"method\":\"x\"}", -EINVAL,
		     "{\"id\":null,\"ok\":false,\"error\":{\"code\":\"EINVAL\","
		     "\"errno\":22,\"message\":\"id: must be an integer, a "
		     "string or null\"}}\n");
}

static void
test_parse_malformed(void **state)
{
	static const char *const bad[] = {
		"", "   ", "{", "{\"method\":\"x\"", "{\"method\":\"x\",}",
		"{'method':'x'}", "nul", "{\"method\":\"x\" \"id\":1}",
		"{\"method\":\"\xff\xfe\"}", "\x01\x02\x03", "}{",
		/* json-c's own check lets these through */
		"{\"method\":\"\xc0\xaf\"}", "{\"method\":\"\xed\xa0\x80\"}",
		"{\"method\":\"\xf4\x90\x80\x80\"}",
	};
	struct ctl_request req;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i], &req), -EBADMSG);
		assert_null(req.id);
		assert_non_null(strstr(msg, "malformed JSON"));
		ctl_request_free(&req);
	}
	/* an embedded NUL is malformed, not a silent truncation */
	assert_int_equal(ctl_request_parse("{\"method\":\"x\"}\0x", 16, &req,
					   msg, sizeof(msg)), -EBADMSG);
	ctl_request_free(&req);
}

static void
test_parse_trailing_garbage(void **state)
{
	struct ctl_request req;

	(void)state;
	assert_int_equal(parse("{\"method\":\"x\"} x", &req), -EBADMSG);
	ctl_request_free(&req);
	assert_int_equal(parse("{\"method\":\"x\"}{}", &req), -EBADMSG);
	ctl_request_free(&req);
	assert_int_equal(parse("{\"method\":\"x\"}]", &req), -EBADMSG);
	ctl_request_free(&req);
	/* trailing whitespace (and a stray \r) is fine */
	assert_int_equal(parse(" {\"method\":\"x\"} \t\r", &req), 0);
	ctl_request_free(&req);
}

static void
test_parse_deep_nesting(void **state)
{
	char line[512];
	struct ctl_request req;
	size_t n = 0;
	int i;

	(void)state;
	n += snprintf(line + n, sizeof(line) - n, "{\"method\":\"x\",\"params\":");
	for (i = 0; i < 100; i++)
		line[n++] = '[';
	for (i = 0; i < 100; i++)
		line[n++] = ']';
	line[n++] = '}';
	line[n] = '\0';
	assert_int_equal(parse(line, &req), -EBADMSG);
	assert_non_null(strstr(msg, "malformed JSON"));
	ctl_request_free(&req);

	/* moderate nesting within params is accepted */
	assert_int_equal(parse("{\"method\":\"x\",\"params\":{\"a\":[[[{\"b\":1}]]]}}",
			       &req), 0);
	ctl_request_free(&req);
}

static void
test_parse_non_object_root(void **state)
{
	static const char *const roots[] = {
		"123", "\"hello\"", "[{\"method\":\"x\"}]", "null", "true",
		"1e5",
	};
	struct ctl_request req;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		assert_int_equal(parse(roots[i], &req), -EINVAL);
		assert_string_equal(msg, "request must be a JSON object");
		assert_null(req.id);
		ctl_request_free(&req);
	}
}

static void
test_parse_too_long(void **state)
{
	struct ctl_request req;
	char *line = malloc(CTL_MAX_LINE + 1);

	(void)state;
	assert_non_null(line);
	memset(line, ' ', CTL_MAX_LINE + 1);
	assert_int_equal(ctl_request_parse(line, CTL_MAX_LINE + 1, &req, msg,
					   sizeof(msg)), -EMSGSIZE);
	ctl_request_free(&req);
	free(line);
}

/* ---- replies ---- */

static void
test_reply_ok(void **state)
{
	json_object *id = json_object_new_int(42);
	json_object *res = json_object_new_object();
	char *r;

	(void)state;
	json_object_object_add(res, "dst", json_object_new_string("198.18.0.0/24"));
	json_object_object_add(res, "via", NULL);
	r = ctl_reply_ok(id, res);
	assert_string_equal(r, "{\"id\":42,\"ok\":true,\"result\":"
			       "{\"dst\":\"198.18.0.0/24\",\"via\":null}}\n");
	free(r);
	r = ctl_reply_ok(NULL, NULL);
	assert_string_equal(r, "{\"id\":null,\"ok\":true,\"result\":{}}\n");
	free(r);
	r = ctl_reply_ok(id, json_object_new_array());
	assert_string_equal(r, "{\"id\":42,\"ok\":true,\"result\":[]}\n");
	free(r);
	/* the id stays the caller's */
	assert_int_equal(json_object_get_int(id), 42);
	json_object_put(id);
}

static void
test_reply_error(void **state)
{
	json_object *id = json_object_new_string("x");
	char *r;

	(void)state;
	r = ctl_reply_error(id, EEXIST, "address 198.18.0.1/24 exists on dp0");
	assert_string_equal(r, "{\"id\":\"x\",\"ok\":false,\"error\":{\"code\":"
			       "\"EEXIST\",\"errno\":17,\"message\":\"address "
			       "198.18.0.1/24 exists on dp0\"}}\n");
	free(r);
	/* negative errno accepted; empty message -> strerror */
	r = ctl_reply_error(NULL, -ENOENT, "");
	assert_string_equal(r, "{\"id\":null,\"ok\":false,\"error\":{\"code\":"
			       "\"ENOENT\",\"errno\":2,\"message\":\"No such "
			       "file or directory\"}}\n");
	free(r);
	r = ctl_reply_error(NULL, ENOSYS, NULL);
	assert_non_null(strstr(r, "\"code\":\"ENOSYS\",\"errno\":38"));
	free(r);
	/* unknown errno travels as EIO, code and number agreeing */
	r = ctl_reply_error(NULL, 4095, "odd");
	assert_string_equal(r, "{\"id\":null,\"ok\":false,\"error\":{\"code\":"
			       "\"EIO\",\"errno\":5,\"message\":\"odd\"}}\n");
	free(r);
	/* quotes and control characters are escaped */
	r = ctl_reply_error(NULL, EINVAL, "bad \"x\"\n");
	assert_non_null(strstr(r, "\"message\":\"bad \\\"x\\\"\\n\""));
	/* the only newline is the terminator */
	assert_true(strchr(r, '\n') == r + strlen(r) - 1);
	free(r);
	json_object_put(id);
}

/* Whether r is one line of valid UTF-8 (checked byte by byte here, not
 * with the code under test). */
static bool
valid_utf8(const char *r)
{
	const unsigned char *p = (const unsigned char *)r;
	int i, n;

	while (*p) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		n = *p >= 0xf0 && *p <= 0xf4 ? 3 : *p >= 0xe0 ? 2 :
		    *p >= 0xc2 && *p < 0xe0 ? 1 : -1;
		if (n < 0 || *p > 0xf4)
			return false;
		for (i = 1; i <= n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return false;
		p += n + 1;
	}
	return true;
}

/*
 * A message cut by its buffer ends on a whole character and says "...":
 * try every position of a 2-, 3- and 4-byte character at the cut.
 */
static void
test_msg_cut_on_character(void **state)
{
	static const char *const chars[] = { "\xc3\xa9", "\xe2\x82\xac",
					     "\xf0\x9f\x98\x80" };
	char text[CTL_ERRMSG_LEN * 2], m[CTL_ERRMSG_LEN], *r;
	size_t c, pad, n;

	(void)state;
	for (c = 0; c < 3; c++) {
		for (pad = 0; pad < 8; pad++) {
			/* pad ASCII bytes, then the character over and over */
			memset(text, 'a', pad);
			for (n = pad; n + 4 < sizeof(text) - 1;
			     n += strlen(chars[c]))
				memcpy(text + n, chars[c], strlen(chars[c]));
			text[n] = '\0';
			ctl_msg_format(m, sizeof(m), "x '%s'", text);
			assert_true(strlen(m) < sizeof(m));
			assert_true(valid_utf8(m));
			assert_string_equal(m + strlen(m) - 3, "...");
			r = ctl_reply_error(NULL, EINVAL, m);
			assert_true(valid_utf8(r));
			assert_null(strstr(r, "\xef\xbf\xbd"));	/* nothing lost */
			free(r);
		}
	}
	/* short messages are not touched */
	ctl_msg_format(m, sizeof(m), "%s", "\xc3\xa9t\xc3\xa9");
	assert_string_equal(m, "\xc3\xa9t\xc3\xa9");
}

/* Whatever bytes a message or a result holds, the reply is UTF-8. */
static void
test_reply_always_utf8(void **state)
{
	json_object *res;
	char *r;

	(void)state;
	/* a message cut by someone else's snprintf: the partial character
	 * at the end goes */
	r = ctl_reply_error(NULL, EINVAL, "name \xe2\x82");
	assert_string_equal(r, "{\"id\":null,\"ok\":false,\"error\":{\"code\":"
			       "\"EINVAL\",\"errno\":22,\"message\":\"name \"}}\n");
	free(r);
	/* invalid bytes inside are replaced by U+FFFD */
	r = ctl_reply_error(NULL, EINVAL, "a\xff" "b\xc0\xaf" "c\xed\xa0\x80");
	assert_true(valid_utf8(r));
	assert_non_null(strstr(r, "a\xef\xbf\xbd" "b"));
	free(r);
	/* in a result (say a name from a config file) too */
	res = json_object_new_object();
	json_object_object_add(res, "name", json_object_new_string("dp\xfe"));
	r = ctl_reply_ok(NULL, res);
	assert_string_equal(r, "{\"id\":null,\"ok\":true,\"result\":"
			       "{\"name\":\"dp\xef\xbf\xbd\"}}\n");
	free(r);
}

/* ---- errno codes ---- */

static void
test_errno_codes(void **state)
{
	static const struct {
		int num;
		const char *code;
	} want[] = {
		{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { EIO, "EIO" },
		{ E2BIG, "E2BIG" }, { ENOMEM, "ENOMEM" }, { EACCES, "EACCES" },
		{ EBUSY, "EBUSY" }, { EEXIST, "EEXIST" }, { ENODEV, "ENODEV" },
		{ EINVAL, "EINVAL" }, { ENOSPC, "ENOSPC" }, { ERANGE, "ERANGE" },
		{ ENOSYS, "ENOSYS" }, { ENOTSUP, "ENOTSUP" },
		{ EOPNOTSUPP, "ENOTSUP" }, { EMSGSIZE, "EMSGSIZE" },
		{ EBADMSG, "EBADMSG" }, { ETIMEDOUT, "ETIMEDOUT" },
		{ EAGAIN, "EAGAIN" }, { EPROTO, "EPROTO" },
		{ EALREADY, "EALREADY" }, { ENOTCONN, "ENOTCONN" },
		{ ESRCH, "ESRCH" }, { ENOBUFS, "ENOBUFS" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_string_equal(ctl_errno_code(want[i].num), want[i].code);
		assert_string_equal(ctl_errno_code(-want[i].num), want[i].code);
	}
	assert_string_equal(ctl_errno_code(0), "EIO");
	assert_string_equal(ctl_errno_code(9999), "EIO");
}

/* ---- param getters ---- */

static json_object *
params(const char *text)
{
	json_object *p = json_tokener_parse(text);

	assert_non_null(p);
	return p;
}

static void
test_param_str(void **state)
{
	json_object *p = params("{\"dev\":\"dp0\",\"n\":1,\"z\":null}");
	const char *s = "untouched";

	(void)state;
	assert_int_equal(ctl_param_str(p, "dev", 1, &s, msg, sizeof(msg)), 0);
	assert_string_equal(s, "dp0");
	s = "untouched";
	assert_int_equal(ctl_param_str(p, "via", 0, &s, msg, sizeof(msg)), 0);
	assert_string_equal(s, "untouched");
	assert_int_equal(ctl_param_str(p, "z", 0, &s, msg, sizeof(msg)), 0);
	assert_string_equal(s, "untouched");
	assert_int_equal(ctl_param_str(p, "via", 1, &s, msg, sizeof(msg)),
			 -EINVAL);
	assert_string_equal(msg, "params.via: missing");
	assert_int_equal(ctl_param_str(p, "n", 1, &s, msg, sizeof(msg)),
			 -EINVAL);
	assert_string_equal(msg, "params.n: must be a string");
	assert_int_equal(ctl_param_str(NULL, "x", 1, &s, msg, sizeof(msg)),
			 -EINVAL);
	json_object_put(p);
}

static void
test_param_uint(void **state)
{
	json_object *p = params("{\"a\":5,\"neg\":-1,\"f\":1.5,\"s\":\"5\","
				"\"big\":18446744073709551615,\"b\":true}");
	unsigned long long v = 77;

	(void)state;
	assert_int_equal(ctl_param_uint(p, "a", 1, 10, &v, msg, sizeof(msg)), 0);
	assert_int_equal(v, 5);
	v = 77;
	assert_int_equal(ctl_param_uint(p, "missing", 0, 10, &v, msg,
					sizeof(msg)), 0);
	assert_int_equal(v, 77);
	assert_int_equal(ctl_param_uint(p, "missing", 1, 10, &v, msg,
					sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "params.missing: missing");
	assert_int_equal(ctl_param_uint(p, "a", 1, 4, &v, msg, sizeof(msg)),
			 -EINVAL);
	assert_string_equal(msg, "params.a: must be between 0 and 4");
	assert_int_equal(ctl_param_uint(p, "neg", 1, 10, &v, msg, sizeof(msg)),
			 -EINVAL);
	assert_string_equal(msg, "params.neg: must be between 0 and 10");
	assert_int_equal(ctl_param_uint(p, "f", 1, 10, &v, msg, sizeof(msg)),
			 -EINVAL);
	assert_string_equal(msg, "params.f: must be an integer");
	assert_int_equal(ctl_param_uint(p, "s", 1, 10, &v, msg, sizeof(msg)),
			 -EINVAL);
	assert_int_equal(ctl_param_uint(p, "b", 1, 10, &v, msg, sizeof(msg)),
			 -EINVAL);
	assert_int_equal(ctl_param_uint(p, "big", 1, UINT64_MAX, &v, msg,
					sizeof(msg)), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(ctl_param_uint(p, "big", 1, UINT64_MAX - 1, &v, msg,
					sizeof(msg)), -EINVAL);
	json_object_put(p);
}

static void
test_param_bool(void **state)
{
	json_object *p = params("{\"t\":true,\"f\":false,\"i\":1,\"s\":\"true\"}");
	int b = 9;

	(void)state;
	assert_int_equal(ctl_param_bool(p, "t", 1, &b, msg, sizeof(msg)), 0);
	assert_int_equal(b, 1);
	assert_int_equal(ctl_param_bool(p, "f", 1, &b, msg, sizeof(msg)), 0);
	assert_int_equal(b, 0);
	b = 9;
	assert_int_equal(ctl_param_bool(p, "none", 0, &b, msg, sizeof(msg)), 0);
	assert_int_equal(b, 9);
	assert_int_equal(ctl_param_bool(p, "none", 1, &b, msg, sizeof(msg)),
			 -EINVAL);
	assert_int_equal(ctl_param_bool(p, "i", 1, &b, msg, sizeof(msg)),
			 -EINVAL);
	assert_string_equal(msg, "params.i: must be true or false");
	assert_int_equal(ctl_param_bool(p, "s", 1, &b, msg, sizeof(msg)),
			 -EINVAL);
	json_object_put(p);
}

static void
test_params_only(void **state)
{
	static const char *const allowed[] = { "addr", "dev", NULL };
	static const char *const none[] = { NULL };
	json_object *p = params("{\"addr\":\"1.2.3.4/24\",\"dev\":\"dp0\"}");
	json_object *q = params("{\"addr\":\"1.2.3.4/24\",\"devv\":\"dp0\"}");
	json_object *e = params("{}");
	json_object *a = params("[]");

	(void)state;
	assert_int_equal(ctl_params_only(p, allowed, msg, sizeof(msg)), 0);
	assert_int_equal(ctl_params_only(e, allowed, msg, sizeof(msg)), 0);
	assert_int_equal(ctl_params_only(e, none, msg, sizeof(msg)), 0);
	assert_int_equal(ctl_params_only(NULL, allowed, msg, sizeof(msg)), 0);
	assert_int_equal(ctl_params_only(q, allowed, msg, sizeof(msg)),
			 -EINVAL);
	assert_string_equal(msg, "params.devv: unknown parameter");
	assert_int_equal(ctl_params_only(p, none, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "params.addr: unknown parameter");
	assert_int_equal(ctl_params_only(a, allowed, msg, sizeof(msg)),
			 -EINVAL);
	json_object_put(p);
	json_object_put(q);
	json_object_put(e);
	json_object_put(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_no_id),
		cmocka_unit_test(test_parse_string_id),
		cmocka_unit_test(test_parse_big_ids),
		cmocka_unit_test(test_parse_fraction_id),
		cmocka_unit_test(test_parse_non_json_numbers),
		cmocka_unit_test(test_parse_no_params),
		cmocka_unit_test(test_parse_params_not_object),
		cmocka_unit_test(test_parse_method_bad),
		cmocka_unit_test(test_parse_bad_id),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_parse_trailing_garbage),
		cmocka_unit_test(test_parse_deep_nesting),
		cmocka_unit_test(test_parse_non_object_root),
		cmocka_unit_test(test_parse_too_long),
		cmocka_unit_test(test_reply_ok),
		cmocka_unit_test(test_reply_error),
		cmocka_unit_test(test_msg_cut_on_character),
		cmocka_unit_test(test_reply_always_utf8),
		cmocka_unit_test(test_errno_codes),
		cmocka_unit_test(test_param_str),
		cmocka_unit_test(test_param_uint),
		cmocka_unit_test(test_param_bool),
		cmocka_unit_test(test_params_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
