/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config: the text of dplbd.conf before libconfig reads it.
 *
 * @include is expanded here, not by libconfig: libconfig 1.5 has no
 * include hook, and its scanner exit()s the whole process when an
 * included name is a directory (@include "." or @include ""), which
 * would take a running dplbd down on SIGHUP.  So every included file is
 * opened, checked (a regular file, no loop, not nested too deep) and
 * copied in place of its @include line, and each line of the result
 * remembers the file and line it came from, for messages.  Relative
 * names are looked up in the main file's directory, as libconfig's
 * include_dir did.
 *
 * On the way, integer literals too wide for libconfig 1.5 are widened.
 */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cfg_priv.h"

#define CFG_MAX_FILE_SIZE (16u << 20)	/* /dev/zero must not hang us */
#define CFG_MAX_INCLUDE_DEPTH 10	/* libconfig 1.5's own limit */

/* A file being expanded, and the chain of files that include it. */
struct src {
	const char *text;
	unsigned int file;		/* its name: t->files[file] */
	unsigned int line;		/* of the next character copied */
	dev_t dev;
	ino_t ino;			/* 0: text that is not a file */
	const struct src *up;		/* the file that includes it */
	unsigned int depth;		/* of @include nesting */
};

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

/* Length of the comment or string at p. */
static size_t
opaque_len(const char *p)
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
	return (size_t)(end - p);
}

static int
add_line(struct cfg_text *t, unsigned int file, unsigned int line)
{
	struct cfg_line *l;
	unsigned int cap;

	if (t->n_lines == t->cap_lines) {
		cap = t->cap_lines ? t->cap_lines * 2 : 256;
		l = realloc(t->lines, cap * sizeof(*l));
		if (l == NULL)
			return -ENOMEM;
		t->lines = l;
		t->cap_lines = cap;
	}
	t->lines[t->n_lines].file = file;
	t->lines[t->n_lines].line = line;
	t->n_lines++;
	return 0;
}

/* Append p[0..n) of s to the text; each new line notes where it is from. */
static int
emit(struct cfg_text *t, struct src *s, const char *p, size_t n)
{
	size_t cap, i;
	char *buf;

	if (t->len + n >= t->cap) {
		if (t->len + n > CFG_MAX_FILE_SIZE)
			return -EFBIG;
		cap = t->cap ? t->cap * 2 : 16384;
		while (cap <= t->len + n)
			cap *= 2;
		buf = realloc(t->text, cap);
		if (buf == NULL)
			return -ENOMEM;
		t->text = buf;
		t->cap = cap;
	}
	for (i = 0; i < n; i++) {
		if (t->bol && add_line(t, s->file, s->line) < 0)
			return -ENOMEM;
		t->bol = p[i] == '\n';
		s->line += t->bol;
		t->text[t->len++] = p[i];
	}
	t->text[t->len] = '\0';
	return 0;
}

static int
add_file(struct cfg_text *t, const char *name)
{
	char **files = realloc(t->files, (t->n_files + 1) * sizeof(*files));

	if (files == NULL)
		return -ENOMEM;
	t->files = files;
	files[t->n_files] = strdup(name);
	if (files[t->n_files] == NULL)
		return -ENOMEM;
	return (int)t->n_files++;
}

/* "<file>:<line>: @include "<name>": <message>" (name NULL: no name). */
static int __attribute__((format(printf, 4, 5)))
include_err(struct cfg_text *t, const struct src *s, const char *name,
	    const char *fmt, ...)
{
	char msg[CFG_ERR_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* s->line is still the directive's: nothing after it is copied */
	snprintf(t->err, t->errlen, "%s:%u: @include%s%s%s: %s",
		 t->files[s->file], s->line, name ? " \"" : "",
		 name ? name : "", name ? "\"" : "", msg);
	cfg_one_line(t->err);
	return -EINVAL;
}

/*
 * At the start of a line, libconfig's directive: [ \t]*@include[ \t]+"
 * Returns the first character of the name, or NULL.
 */
static const char *
include_directive(const char *p)
{
	p += strspn(p, " \t");
	if (strncmp(p, "@include", 8) != 0 || (p[8] != ' ' && p[8] != '\t'))
		return NULL;
	p += 8 + strspn(p + 8, " \t");
	return *p == '"' ? p + 1 : NULL;
}

/*
 * The name up to its closing quote (escapes \\ and \") into buf;
 * returns what follows the quote, or NULL with the reason in *why.
 */
static const char *
include_name(const char *p, char *buf, size_t len, const char **why)
{
	size_t n = 0;

	for (; *p != '"'; p++) {
		if (*p == '\0' || *p == '\n') {
			*why = "no closing quote on the line";
			return NULL;
		}
		if (n + 1 >= len) {
			*why = "file name too long";
			return NULL;
		}
		if (*p == '\\' && (p[1] == '\\' || p[1] == '"'))
			p++;
		buf[n++] = *p;
	}
	buf[n] = '\0';
	return p + 1;
}

static int expand(struct cfg_text *t, struct src *s);

/* The file an @include in s names, expanded in its place. */
static int
include_file(struct cfg_text *t, struct src *s, const char *name)
{
	struct src inc = { .line = 1, .up = s, .depth = s->depth + 1 };
	const struct src *a;
	char path[PATH_MAX];
	struct stat st;
	char *text;
	int rc;

	if (*name == '\0')
		return include_err(t, s, name, "no file name");
	if (name[0] == '/' || t->include_dir == NULL)
		rc = snprintf(path, sizeof(path), "%s", name);
	else
		rc = snprintf(path, sizeof(path), "%s/%s", t->include_dir,
			      name);
	if (rc >= (int)sizeof(path))
		return include_err(t, s, name, "%s", strerror(ENAMETOOLONG));
	if (inc.depth > CFG_MAX_INCLUDE_DEPTH)
		return include_err(t, s, name, "nested more than %d deep",
				   CFG_MAX_INCLUDE_DEPTH);
	rc = cfg_read_file(path, &text, &st, true);
	if (rc == -EISDIR)
		return include_err(t, s, name, "%s is a directory", path);
	if (rc == -EINVAL)
		return include_err(t, s, name, "%s is not a regular file",
				   path);
	if (rc < 0)
		return include_err(t, s, name, "cannot read %s: %s", path,
				   strerror(-rc));
	for (a = s; a != NULL; a = a->up)
		if (a->ino == st.st_ino && a->dev == st.st_dev) {
			free(text);
			return include_err(t, s, name, "include loop: %s is "
					   "being read already", path);
		}
	inc.text = text;
	inc.dev = st.st_dev;
	inc.ino = st.st_ino;
	rc = add_file(t, path);
	if (rc >= 0) {
		inc.file = (unsigned int)rc;
		rc = expand(t, &inc);
	}
	/* What follows the directive stays on a line of its own. */
	if (rc == 0 && !t->bol)
		rc = emit(t, &inc, "\n", 1);
	free(text);
	return rc;
}

/*
 * Copy s into the text: @include lines replaced by their files, and
 * integer literals that libconfig 1.5 would read with atoi() ("mbufs =
 * 4294983679;" silently 16383) marked 64-bit ("...L"), so that they
 * reach the range checks with their real value.  Strings and comments
 * are copied as they are.
 */
static int
expand(struct cfg_text *t, struct src *s)
{
	const char *p = s->text, *q, *why;
	char name[PATH_MAX];
	bool bol = true;
	size_t n;
	int rc;

	while (*p != '\0') {
		q = bol ? include_directive(p) : NULL;
		if (q != NULL) {
			p = include_name(q, name, sizeof(name), &why);
			if (p == NULL)
				return include_err(t, s, NULL, "%s", why);
			rc = include_file(t, s, name);
			if (rc < 0)
				return rc;
			bol = false;
			continue;
		}
		if (*p == '"' || *p == '#' || (p[0] == '/' &&
					       (p[1] == '/' || p[1] == '*')))
			n = opaque_len(p);
		else if (isalpha((unsigned char)*p) || *p == '*' || *p == '_')
			n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "abcdefghijklmnopqrstuvwxyz0123456789-_*");
		else if (isdigit((unsigned char)*p) || *p == '.')
			n = number_len(p);
		else
			n = 1;
		rc = emit(t, s, p, n);
		if (rc == 0 && isdigit((unsigned char)*p) && int_overflows(p, n))
			rc = emit(t, s, "L", 1);
		if (rc < 0)
			return rc;
		bol = *p == '\n';
		p += n;
	}
	return 0;
}

int
cfg_text_expand(struct cfg_text *t, const char *text, const char *name,
		const char *include_dir, const struct stat *st)
{
	struct src top = { .text = text, .line = 1 };
	int rc;

	t->include_dir = include_dir;
	t->bol = true;
	if (st != NULL) {
		top.dev = st->st_dev;
		top.ino = st->st_ino;
	}
	rc = add_file(t, name);
	if (rc >= 0)
		rc = emit(t, &top, "", 0);	/* an empty text is "" */
	if (rc >= 0)
		rc = expand(t, &top);
	if (rc == -ENOMEM)
		snprintf(t->err, t->errlen, "%s: out of memory", name);
	else if (rc == -EFBIG)
		snprintf(t->err, t->errlen, "%s: over %u MiB with its "
			 "@include files", name, CFG_MAX_FILE_SIZE >> 20);
	return rc < 0 ? rc : 0;
}

const char *
cfg_text_where(const struct cfg_text *t, unsigned int n, unsigned int *line)
{
	const struct cfg_line *l;

	if (n == 0 || t->n_lines == 0) {
		*line = n;
		return t->files[0];
	}
	if (n > t->n_lines) {	/* past the last newline: end of file */
		l = &t->lines[t->n_lines - 1];
		*line = l->line + (n - t->n_lines);
		return t->files[l->file];
	}
	l = &t->lines[n - 1];
	*line = l->line;
	return t->files[l->file];
}

void
cfg_text_free(struct cfg_text *t)
{
	unsigned int i;

	for (i = 0; i < t->n_files; i++)
		free(t->files[i]);
	free(t->files);
	free(t->lines);
	free(t->text);
	memset(t, 0, sizeof(*t));
}

int
cfg_read_file(const char *path, char **text, struct stat *st,
	      bool regular_only)
{
	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
			    (regular_only ? O_NONBLOCK : 0));
	size_t len = 0, cap = 0;
	char *buf = NULL, *nbuf;
	int rc = 0;
	FILE *f;

	if (fd < 0)
		return -errno;
	if (fstat(fd, st) < 0 || (regular_only && !S_ISREG(st->st_mode))) {
		rc = S_ISDIR(st->st_mode) ? -EISDIR : -EINVAL;
		close(fd);
		return rc;
	}
	f = fdopen(fd, "r");
	if (f == NULL) {
		rc = -errno;
		close(fd);
		return rc;
	}
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
