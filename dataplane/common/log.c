/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "utf8.h"

static enum log_level cur_level = LOG_LVL_INFO;
static const char *const level_names[] = {
	[LOG_LVL_ERR] = "err",	   [LOG_LVL_WARNING] = "warning",
	[LOG_LVL_NOTICE] = "notice", [LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
};

void
log_set_level(enum log_level lvl)
{
	cur_level = lvl;
}

enum log_level
log_get_level(void)
{
	return cur_level;
}

int
log_level_parse(const char *name)
{
	int i;

	for (i = LOG_LVL_ERR; i <= LOG_LVL_DEBUG; i++)
		if (strcmp(name, level_names[i]) == 0)
			return i;
	return -1;
}

const char *
log_level_name(enum log_level lvl)
{
	if (lvl < LOG_LVL_ERR || lvl > LOG_LVL_DEBUG)
		return "?";
	return level_names[lvl];
}

/*
 * systemd sets JOURNAL_STREAM to "<dev>:<inode>" of the stream it gave
 * us; a child that inherited the variable but writes elsewhere (stderr
 * redirected to a file) must not get "<N>" prefixes.
 */
static bool
stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (env == NULL || sscanf(env, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) != 0)
		return false;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

bool
log_to_journal(void)
{
	static int journal = -1;

	if (journal < 0)
		journal = stderr_is_journal();
	return journal;
}

/* The escape of one byte that cannot go into a log line as is. */
static size_t
escape_byte(unsigned char c, char *out)
{
	static const char hex[] = "0123456789abcdef";

	out[0] = '\\';
	switch (c) {
	case '\n':
		out[1] = 'n';
		return 2;
	case '\r':
		out[1] = 'r';
		return 2;
	case '\t':
		out[1] = 't';
		return 2;
	case '\\':
		out[1] = '\\';
		return 2;
	default:
		out[1] = 'x';
		out[2] = hex[c >> 4];
		out[3] = hex[c & 0xf];
		return 4;
	}
}

/*
 * Copy in[0..n) into out (len > 4 bytes, NUL-terminated), escaping what
 * escape_byte() handles (backslashes too when backslash is set).  When
 * out is too small, the copy stops at a character and ends with "...".
 */
static void
escape_into(const char *in, size_t n, char *out, size_t len, bool backslash)
{
	size_t i = 0, o = 0, k, room = len - 4;	/* "..." and the NUL */
	unsigned char c;
	char esc[4];

	while (i < n) {
		c = (unsigned char)in[i];
		k = c < 0x20 || c == 0x7f || (c == '\\' && backslash) ? 0 :
			utf8_char_len(in + i, n - i);
		if (k == 0) {
			k = escape_byte(c, esc);
			if (o + k > room)
				break;
			memcpy(out + o, esc, k);
			o += k;
			i++;
			continue;
		}
		if (o + k > room)
			break;
		memcpy(out + o, in + i, k);
		o += k;
		i += k;
	}
	if (i < n) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

const char *
log_escape(const char *s, char *buf, size_t len)
{
	if (buf == NULL || len == 0)
		return "";
	if (s == NULL)
		s = "(null)";
	if (len <= 4) {
		buf[0] = '\0';
		return buf;
	}
	escape_into(s, strlen(s), buf, len, true);
	return buf;
}

static bool
needs_escape(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return true;
	return !utf8_valid(s, n);
}

void
log_msg(enum log_level lvl, const char *fmt, ...)
{
	bool journal = log_to_journal();
	char line[1024], safe[1024];
	const char *out = line;
	va_list ap;
	int n;

	if (lvl > cur_level)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))	/* cut by the buffer */
		n = (int)utf8_trim_partial(line, sizeof(line) - 1);
	/* a message is one line, whatever the strings in it held */
	if (needs_escape(line, (size_t)n)) {
		escape_into(line, (size_t)n, safe, sizeof(safe), false);
		out = safe;
	} else {
		line[n] = '\0';
	}
	if (journal)
		fprintf(stderr, "<%d>%s\n", lvl, out);
	else
		fprintf(stderr, "dplbd: %s: %s\n", log_level_name(lvl), out);
}
