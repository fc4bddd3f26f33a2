/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config: the text of dplbd.conf before libconfig reads it: the file
 * itself, and integer literals widened for libconfig 1.5.
 */

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_priv.h"

#define CFG_MAX_FILE_SIZE (16u << 20)	/* /dev/zero must not hang us */

/* Length of the number token at p ("12", "0x1f", "1.5e+3"). */
static size_t
number_len(const char *p)
{
	size_t n = 0;

	while (isalnum((unsigned char)p[n]) || p[n] == '.' || p[n] == '_')
		n++;
	if (n > 0 && (p[n - 1] == 'e' || p[n - 1] == 'E') &&
	    (p[n] == '+' || p[n] == '-'))
		for (n++; isdigit((unsigned char)p[n]); n++)
			;
	return n;
}

/* An integer literal without suffix that does not fit libconfig's int. */
static bool
int_overflows(const char *p, size_t n)
{
	char tok[64];
	unsigned long long v;
	size_t digits;
	int base = 10;
	char *end;

	if (n >= sizeof(tok))
		return false;	/* nothing sane; libconfig will complain */
	memcpy(tok, p, n);
	tok[n] = '\0';
	if (n > 2 && tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'X'))
		base = 16;
	digits = strspn(tok + (base == 16 ? 2 : 0),
			base == 16 ? "0123456789abcdefABCDEF" : "0123456789");
	if (digits + (base == 16 ? 2 : 0) != n)
		return false;	/* float, suffixed, or not a number */
	errno = 0;
	v = strtoull(tok, &end, base);
	return errno == ERANGE || v > INT32_MAX;
}

/* Copy the comment or string at p to *o; returns the end of it in p. */
static const char *
copy_opaque(const char *p, char **o)
{
	const char *end;

	if (*p == '"') {
		for (end = p + 1; *end != '\0' && *end != '"'; end++)
			if (*end == '\\' && end[1] != '\0')
				end++;
		end += *end == '"';
	} else if (p[0] == '/' && p[1] == '*') {
		end = strstr(p + 2, "*/");
		end = end != NULL ? end + 2 : p + strlen(p);
	} else {	/* '#' or "//" to the end of the line */
		end = p + strcspn(p, "\n");
	}
	memcpy(*o, p, (size_t)(end - p));
	*o += end - p;
	return end;
}

/*
 * libconfig 1.5 reads an integer without the L suffix with atoi(), so
 * "mbufs = 4294983679;" would silently become 16383.  Mark every such
 * literal as 64-bit ("...L") so that it reaches the range checks with
 * its real value.  Strings and comments are skipped; no line moves.
 */
char *
cfg_widen_big_ints(const char *in)
{
	size_t len = strlen(in);
	char *out = malloc(len + len / 8 + 2);	/* >= 10 chars per 'L' */
	const char *p = in;
	char *o = out;
	size_t n;

	if (out == NULL)
		return NULL;
	while (*p != '\0') {
		if (*p == '"' || *p == '#' || (p[0] == '/' &&
					       (p[1] == '/' || p[1] == '*'))) {
			p = copy_opaque(p, &o);
			continue;
		}
		if (isalpha((unsigned char)*p) || *p == '*' || *p == '_')
			n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "abcdefghijklmnopqrstuvwxyz0123456789-_*");
		else if (isdigit((unsigned char)*p) || *p == '.')
			n = number_len(p);
		else
			n = 1;
		memcpy(o, p, n);
		o += n;
		if (isdigit((unsigned char)*p) && int_overflows(p, n))
			*o++ = 'L';
		p += n;
	}
	*o = '\0';
	return out;
}

/* The whole file as a string (malloc'ed) in *text, or -errno. */
int
cfg_read_file(const char *path, char **text)
{
	size_t len = 0, cap = 0;
	char *buf = NULL, *nbuf;
	FILE *f = fopen(path, "re");
	int rc = 0;

	if (f == NULL)
		return -errno;
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 16384;
			nbuf = cap <= CFG_MAX_FILE_SIZE ?
				realloc(buf, cap + 1) : NULL;
			if (nbuf == NULL) {
				rc = cap > CFG_MAX_FILE_SIZE ? -EFBIG : -ENOMEM;
				break;
			}
			buf = nbuf;
		}
		len += fread(buf + len, 1, cap - len, f);
		if (ferror(f)) {
			rc = errno ? -errno : -EIO;	/* EISDIR */
			break;
		}
		if (feof(f))
			break;
	}
	fclose(f);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	buf[len] = '\0';
	*text = buf;
	return 0;
}
