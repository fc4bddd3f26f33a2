/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * json_check: an RFC 8259 JSON validator for the fuzz harnesses, written
 * apart from json-c on purpose: json-c takes NaN, "1." and bytes that
 * are not UTF-8, and a check must not share the blind spots of the code
 * it checks.  Header-only (static functions); strings must be valid
 * UTF-8 (RFC 3629).
 */
#ifndef DPLB_FUZZ_JSON_CHECK_H
#define DPLB_FUZZ_JSON_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct jc {
	const unsigned char *p, *end;
	int depth;
};

static bool jc_value(struct jc *c);

static void
jc_ws(struct jc *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' ||
				 *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static bool
jc_lit(struct jc *c, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
		return false;
	c->p += n;
	return true;
}

static bool
jc_digits(struct jc *c)
{
	const unsigned char *s = c->p;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
		c->p++;
	return c->p > s;
}

static bool
jc_number(struct jc *c)
{
	if (c->p < c->end && *c->p == '-')
		c->p++;
	if (c->p < c->end && *c->p == '0')
		c->p++;
	else if (c->p >= c->end || *c->p < '1' || *c->p > '9' || !jc_digits(c))
		return false;
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		if (!jc_digits(c))
			return false;
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (!jc_digits(c))
			return false;
	}
	return true;
}

/* One UTF-8 character (RFC 3629, table 3-7 of Unicode). */
static bool
jc_utf8(struct jc *c)
{
	const unsigned char *s = c->p;
	size_t left = (size_t)(c->end - s), n, i;
	unsigned char lo = 0x80, hi = 0xbf;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return false;
	if (s[0] == 0xe0)
		lo = 0xa0;
	if (s[0] == 0xed)
		hi = 0x9f;
	if (s[0] == 0xf0)
		lo = 0x90;
	if (s[0] == 0xf4)
		hi = 0x8f;
	if (left < n || s[1] < lo || s[1] > hi)
		return false;
	for (i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return false;
	c->p += n;
	return true;
}

static bool
jc_string(struct jc *c)
{
	int i;

	if (c->p >= c->end || *c->p != '"')
		return false;
	c->p++;
	while (c->p < c->end && *c->p != '"') {
		if (*c->p < 0x20)
			return false;
		if (*c->p >= 0x80) {
			if (!jc_utf8(c))
				return false;
			continue;
		}
		if (*c->p++ != '\\')
			continue;
		if (c->p >= c->end)
			return false;
		if (strchr("\"\\/bfnrt", *c->p) != NULL && *c->p != '\0') {
			c->p++;
			continue;
		}
		if (*c->p++ != 'u')
			return false;
		for (i = 0; i < 4; i++, c->p++)
			if (c->p >= c->end || strchr("0123456789abcdefABCDEF",
						     *c->p) == NULL || *c->p == 0)
				return false;
	}
	if (c->p >= c->end)
		return false;
	c->p++;
	return true;
}

static bool
jc_container(struct jc *c, char close, bool object)
{
	c->p++;
	jc_ws(c);
	if (c->p < c->end && *c->p == close) {
		c->p++;
		return true;
	}
	for (;;) {
		if (object) {
			jc_ws(c);
			if (!jc_string(c))
				return false;
			jc_ws(c);
			if (c->p >= c->end || *c->p++ != ':')
				return false;
		}
		if (!jc_value(c))
			return false;
		jc_ws(c);
		if (c->p >= c->end)
			return false;
		if (*c->p == close) {
			c->p++;
			return true;
		}
		if (*c->p++ != ',')
			return false;
	}
}

static bool
jc_value(struct jc *c)
{
	bool ok;

	jc_ws(c);
	if (c->p >= c->end)
		return false;
	switch (*c->p) {
	case '{':
	case '[':
		if (++c->depth > 256)
			return false;
		ok = jc_container(c, *c->p == '{' ? '}' : ']', *c->p == '{');
		c->depth--;
		return ok;
	case '"':
		return jc_string(c);
	case 't':
		return jc_lit(c, "true");
	case 'f':
		return jc_lit(c, "false");
	case 'n':
		return jc_lit(c, "null");
	default:
		return jc_number(c);
	}
}

/** Whether s[0..n) is exactly one JSON text (RFC 8259) in UTF-8. */
static inline bool
json_check(const char *s, size_t n)
{
	struct jc c = { (const unsigned char *)s,
			(const unsigned char *)s + n, 0 };

	if (!jc_value(&c))
		return false;
	jc_ws(&c);
	return c.p == c.end;
}

#endif /* DPLB_FUZZ_JSON_CHECK_H */
