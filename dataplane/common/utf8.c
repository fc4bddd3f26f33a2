/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

#define REPLACEMENT "\xef\xbf\xbd"	/* U+FFFD */

static bool
is_cont(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

/*
 * Length of the character at s[0..n): 1 to 4, 0 when invalid; *cut is
 * set when what is there is a valid start that n bytes cut short.
 */
static size_t
char_len(const unsigned char *s, size_t n, bool *cut)
{
	unsigned char lo = 0x80, hi = 0xbf;	/* range of the second byte */
	size_t len, i;

	*cut = false;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;	/* continuation byte, overlong lead, > U+10FFFF */
	/* the second byte's range rules out overlongs and surrogates */
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	for (i = 1; i < len; i++) {
		if (i == n) {
			*cut = true;
			return 0;
		}
		if (i == 1 ? s[1] < lo || s[1] > hi : !is_cont(s[i]))
			return 0;
	}
	return len;
}

size_t
utf8_char_len(const char *s, size_t n)
{
	bool cut;

	return char_len((const unsigned char *)s, n, &cut);
}

size_t
utf8_valid_prefix(const char *s, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		/* ASCII runs are the common case */
		if ((unsigned char)s[i] < 0x80) {
			i++;
			continue;
		}
		k = utf8_char_len(s + i, n - i);
		if (k == 0)
			return i;
		i += k;
	}
	return n;
}

bool
utf8_valid(const char *s, size_t n)
{
	return utf8_valid_prefix(s, n) == n;
}

size_t
utf8_boundary(const char *s, size_t max)
{
	size_t k = max;

	/* a character has at most 3 continuation bytes */
	while (k > 0 && max - k < 3 && is_cont((unsigned char)s[k]))
		k--;
	return is_cont((unsigned char)s[k]) ? max : k;
}

size_t
utf8_trim_partial(const char *s, size_t n)
{
	size_t back, start;
	bool cut;

	/* the last character's lead byte is at most 3 bytes back */
	for (back = 1; back <= 3 && back <= n; back++) {
		start = n - back;
		if (is_cont((unsigned char)s[start]))
			continue;
		char_len((const unsigned char *)s + start, back, &cut);
		return cut ? start : n;
	}
	return n;
}

char *
utf8_repair(const char *s, size_t n, size_t *outlen)
{
	size_t i = 0, o = 0, k;
	char *out;

	/* each bad byte grows to 3 bytes at most */
	if (n > (SIZE_MAX - 1) / 3)
		return NULL;
	out = malloc(n * 3 + 1);
	if (out == NULL)
		return NULL;
	while (i < n) {
		k = utf8_char_len(s + i, n - i);
		if (k == 0) {
			memcpy(out + o, REPLACEMENT, 3);
			o += 3;
			i++;
			continue;
		}
		memcpy(out + o, s + i, k);
		o += k;
		i += k;
	}
	out[o] = '\0';
	if (outlen != NULL)
		*outlen = o;
	return out;
}
