/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * utf8: validation, cutting on a character boundary and repair of
 * UTF-8 text (RFC 3629: no overlong forms, no surrogates, nothing above
 * U+10FFFF).  For what dplbd sends (control replies must be valid
 * UTF-8) and logs (journald stores a line that is not UTF-8 as a blob).
 * Pure functions, no allocation except utf8_repair().
 */
#ifndef DPLB_UTF8_H
#define DPLB_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/**
 * Length (1 to 4) of the valid UTF-8 character that starts s[0..n), or
 * 0 when s does not start with one (an invalid byte, or a sequence cut
 * by the end of the buffer).  n >= 1.
 */
size_t utf8_char_len(const char *s, size_t n);

/** Length of the longest valid UTF-8 prefix of s[0..n). */
size_t utf8_valid_prefix(const char *s, size_t n);

/** Whether s[0..n) is valid UTF-8 throughout. */
bool utf8_valid(const char *s, size_t n);

/**
 * Where to cut s so that at most max bytes stay and no character is
 * split: max itself when s[max] starts a character (or ends s), else
 * the start of the character s[max] belongs to.  s must be readable up
 * to s[max] (a NUL-terminated string at least max bytes long).
 */
size_t utf8_boundary(const char *s, size_t max);

/**
 * n without an incomplete character at the end of s[0..n) (text cut by
 * a fixed-size buffer); n when s ends on a whole character.
 */
size_t utf8_trim_partial(const char *s, size_t n);

/**
 * A NUL-terminated copy of s[0..n) in which each byte that does not
 * belong to a valid character becomes U+FFFD; *outlen gets its length.
 * NULL when out of memory.  The caller frees.
 */
char *utf8_repair(const char *s, size_t n, size_t *outlen);

#endif /* DPLB_UTF8_H */
