/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctl_proto: request parsing, reply building, errno codes and typed
 * parameter getters.  See ctl_proto.h and docs/control-protocol.md.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl_proto.h"
#include "utf8.h"

/* Requests are flat objects; 32 levels leave room for any sane params. */
#define CTL_MAX_DEPTH 32

/* PLAIN: one line.  NOSLASHESCAPE: prefixes stay "198.18.0.0/24". */
#define CTL_JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

#define set_msg ctl_msg_format

void
ctl_msg_format(char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ctl_msg_vformat(msg, msglen, fmt, ap);
	va_end(ap);
}

void
ctl_msg_vformat(char *msg, size_t msglen, const char *fmt, va_list ap)
{
	size_t cut;
	int n;

	if (msg == NULL || msglen == 0)
		return;
	n = vsnprintf(msg, msglen, fmt, ap);
	if (n < 0) {
		msg[0] = '\0';
		return;
	}
	if ((size_t)n < msglen || msglen < 8)
		return;
	/* cut: end on a whole character and say so */
	cut = utf8_boundary(msg, msglen - 4);
	memcpy(msg + cut, "...", 4);
}

/*
 * Run the tokener over the whole line into *root.  A root that is a
 * bare number ("123") is only complete once the tokener sees the end of
 * input, so a "continue" result is followed by an explicit NUL.  JSON
 * null parses to a NULL *root with success.  Returns 0 or -EBADMSG.
 */
static int
tokenize(const char *line, size_t len, json_object **root, char *msg,
	 size_t msglen)
{
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	size_t end, i;

	*root = NULL;
	if (memchr(line, '\0', len) != NULL) {
		set_msg(msg, msglen, "malformed JSON: NUL byte in request");
		return -EBADMSG;
	}
	tok = json_tokener_new_ex(CTL_MAX_DEPTH);
	if (tok == NULL) {
		set_msg(msg, msglen, "out of memory");
		return -ENOMEM;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
				    JSON_TOKENER_VALIDATE_UTF8);
	*root = json_tokener_parse_ex(tok, line, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (jerr == json_tokener_continue) {
		*root = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		end = len;
	}
	json_tokener_free(tok);
	if (jerr != json_tokener_success) {
		set_msg(msg, msglen, "malformed JSON: %s",
			json_tokener_error_desc(jerr));
		return -EBADMSG;
	}
	/* strict mode already refuses most; keep the rule explicit */
	for (i = end; i < len; i++) {
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r') {
			json_object_put(*root);
			*root = NULL;
			set_msg(msg, msglen,
				"malformed JSON: trailing data at offset %zu", i);
			return -EBADMSG;
		}
	}
	/* json-c lets overlong forms, surrogates and > U+10FFFF through */
	i = utf8_valid_prefix(line, len);
	if (i < len) {
		json_object_put(*root);
		*root = NULL;
		set_msg(msg, msglen, "malformed JSON: not UTF-8 at offset %zu",
			i);
		return -EBADMSG;
	}
	return 0;
}

/*
 * JSON's number grammar (RFC 8259, section 6).  json-c also takes NaN,
 * Infinity, "1." and "1.e5", and echoes them as it read them, which
 * would make a reply that is not JSON.
 */
static bool
json_number_ok(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (*s >= '0' && *s <= '9')
			s++;
	else
		return false;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (*s < '0' || *s > '9')
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

/* Every fractional number in v as it was written; 0 or -EBADMSG. */
static int
check_numbers(json_object *v, char *msg, size_t msglen)
{
	const char *text;
	size_t i, n;
	int rc;

	switch (json_object_get_type(v)) {
	case json_type_double:
		/* the tokener keeps the text it read as the serialization */
		text = json_object_get_string(v);
		if (text != NULL && json_number_ok(text))
			return 0;
		set_msg(msg, msglen, "malformed JSON: '%.32s' is not a JSON number",
			text != NULL ? text : "?");
		return -EBADMSG;
	case json_type_array:
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			rc = check_numbers(json_object_array_get_idx(v, i), msg,
					   msglen);
			if (rc < 0)
				return rc;
		}
		return 0;
	case json_type_object: {
		/* braces: the macro declares variables */
		json_object_object_foreach(v, key, val) {
			(void)key;
			rc = check_numbers(val, msg, msglen);
			if (rc < 0)
				return rc;
		}
		return 0;
	}
	default:
		return 0;
	}
}

/*
 * id: an integer, a string or null, echoed exactly.  json-c clamps
 * integers beyond 64 bits to INT64_MIN or UINT64_MAX, so those two
 * values may stand for another number: refused, as fractions are.
 */
static int
parse_id(struct ctl_request *req, char *msg, size_t msglen)
{
	json_object *id;

	if (!json_object_object_get_ex(req->root, "id", &id))
		return 0;
	switch (json_object_get_type(id)) {
	case json_type_null:
		return 0;
	case json_type_int:
		if (json_object_get_int64(id) == INT64_MIN ||
		    json_object_get_uint64(id) == UINT64_MAX) {
			set_msg(msg, msglen, "id: an integer id must lie in "
				"%" PRId64 "..%" PRIu64, INT64_MIN + 1,
				UINT64_MAX - 1);
			return -EINVAL;
		}
		/* fall through */
	case json_type_string:
		req->id = id;
		return 0;
	case json_type_double:
		set_msg(msg, msglen, "id: must be an integer or a string, "
			"not a fraction (%.32s)", json_object_get_string(id));
		return -EINVAL;
	default:
		set_msg(msg, msglen, "id: must be an integer, a string or null");
		return -EINVAL;
	}
}

static int
parse_method(struct ctl_request *req, char *msg, size_t msglen)
{
	json_object *m;

	if (!json_object_object_get_ex(req->root, "method", &m)) {
		set_msg(msg, msglen, "method is missing");
		return -EINVAL;
	}
	if (!json_object_is_type(m, json_type_string)) {
		set_msg(msg, msglen, "method must be a string");
		return -EINVAL;
	}
	if (json_object_get_string_len(m) == 0) {
		set_msg(msg, msglen, "method must not be empty");
		return -EINVAL;
	}
	req->method = json_object_get_string(m);
	return 0;
}

/* A missing (or null) params becomes an empty object owned by root. */
static int
parse_params(struct ctl_request *req, char *msg, size_t msglen)
{
	json_object *p = NULL;

	json_object_object_get_ex(req->root, "params", &p);
	if (p == NULL) {
		p = json_object_new_object();
		if (p == NULL ||
		    json_object_object_add(req->root, "params", p) < 0) {
			json_object_put(p);
			set_msg(msg, msglen, "out of memory");
			return -ENOMEM;
		}
	} else if (!json_object_is_type(p, json_type_object)) {
		set_msg(msg, msglen, "params must be an object");
		return -EINVAL;
	}
	req->params = p;
	return 0;
}

int
ctl_request_parse(const char *line, size_t len, struct ctl_request *req,
		  char *msg, size_t msglen)
{
	int rc;

	memset(req, 0, sizeof(*req));
	set_msg(msg, msglen, "%s", "");
	if (len > CTL_MAX_LINE) {
		set_msg(msg, msglen, "request longer than %d bytes",
			CTL_MAX_LINE);
		return -EMSGSIZE;
	}
	rc = tokenize(line, len, &req->root, msg, msglen);
	if (rc < 0)
		return rc;
	rc = check_numbers(req->root, msg, msglen);
	if (rc < 0) {
		json_object_put(req->root);
		req->root = NULL;
		return rc;
	}
	if (!json_object_is_type(req->root, json_type_object)) {
		set_msg(msg, msglen, "request must be a JSON object");
		return -EINVAL;
	}
	rc = parse_id(req, msg, msglen);
	if (rc == 0)
		rc = parse_method(req, msg, msglen);
	if (rc == 0)
		rc = parse_params(req, msg, msglen);
	if (rc < 0) {
		/* keep root (and so the id) alive for the error reply */
		req->method = NULL;
		req->params = NULL;
	}
	return rc;
}

void
ctl_request_free(struct ctl_request *req)
{
	if (req == NULL)
		return;
	json_object_put(req->root);
	memset(req, 0, sizeof(*req));
}

struct errno_code {
	int num;
	const char *code;
};

/* Codes are part of the protocol: only ever add to this table. */
static const struct errno_code errno_codes[] = {
	{ EPERM, "EPERM" },
	{ ENOENT, "ENOENT" },
	{ ESRCH, "ESRCH" },
	{ EINTR, "EINTR" },
	{ EIO, "EIO" },
	{ ENXIO, "ENXIO" },
	{ E2BIG, "E2BIG" },
	{ EBADF, "EBADF" },
	{ EAGAIN, "EAGAIN" },
	{ ENOMEM, "ENOMEM" },
	{ EACCES, "EACCES" },
	{ EFAULT, "EFAULT" },
	{ EBUSY, "EBUSY" },
	{ EEXIST, "EEXIST" },
	{ ENODEV, "ENODEV" },
	{ ENOTDIR, "ENOTDIR" },
	{ EISDIR, "EISDIR" },
	{ EINVAL, "EINVAL" },
	{ ENFILE, "ENFILE" },
	{ EMFILE, "EMFILE" },
	{ ENOSPC, "ENOSPC" },
	{ EPIPE, "EPIPE" },
	{ EDOM, "EDOM" },
	{ ERANGE, "ERANGE" },
	{ ENAMETOOLONG, "ENAMETOOLONG" },
	{ ENOSYS, "ENOSYS" },
	{ ENOTEMPTY, "ENOTEMPTY" },
	{ ENODATA, "ENODATA" },
	{ EPROTO, "EPROTO" },
	{ EBADMSG, "EBADMSG" },
	{ EOVERFLOW, "EOVERFLOW" },
	{ EMSGSIZE, "EMSGSIZE" },
	{ EPROTONOSUPPORT, "EPROTONOSUPPORT" },
	{ ENOTSUP, "ENOTSUP" },	/* == EOPNOTSUPP on Linux */
	{ EAFNOSUPPORT, "EAFNOSUPPORT" },
	{ EADDRINUSE, "EADDRINUSE" },
	{ EADDRNOTAVAIL, "EADDRNOTAVAIL" },
	{ ENETDOWN, "ENETDOWN" },
	{ ENETUNREACH, "ENETUNREACH" },
	{ ECONNRESET, "ECONNRESET" },
	{ ENOBUFS, "ENOBUFS" },
	{ EISCONN, "EISCONN" },
	{ ENOTCONN, "ENOTCONN" },
	{ ETIMEDOUT, "ETIMEDOUT" },
	{ ECONNREFUSED, "ECONNREFUSED" },
	{ EHOSTUNREACH, "EHOSTUNREACH" },
	{ EALREADY, "EALREADY" },
	{ EINPROGRESS, "EINPROGRESS" },
	{ ECANCELED, "ECANCELED" },
	{ EUSERS, "EUSERS" },
};

const char *
ctl_errno_code(int errnum)
{
	size_t i;

	if (errnum < 0)
		errnum = -errnum;
	for (i = 0; i < sizeof(errno_codes) / sizeof(errno_codes[0]); i++)
		if (errno_codes[i].num == errnum)
			return errno_codes[i].code;
	return "EIO";
}

/*
 * Serialize and append the newline; consumes obj.  A reply is always
 * valid UTF-8: json-c copies string bytes as they are, so a string that
 * came from elsewhere than a request (a config file, a cut message) has
 * each byte that is not UTF-8 replaced by U+FFFD.  Outside strings JSON
 * text is ASCII, so the repair never touches the structure.
 */
static char *
to_line(json_object *obj)
{
	const char *s;
	size_t len;
	char *line = NULL, *fixed;

	if (obj == NULL)
		return NULL;
	s = json_object_to_json_string_ext(obj, CTL_JSON_FLAGS);
	if (s != NULL) {
		len = strlen(s);
		fixed = utf8_valid(s, len) ? NULL : utf8_repair(s, len, &len);
		if (fixed != NULL)
			s = fixed;
		line = malloc(len + 2);
		if (line != NULL) {
			memcpy(line, s, len);
			line[len] = '\n';
			line[len + 1] = '\0';
		}
		free(fixed);
	}
	json_object_put(obj);
	return line;
}

/* {"id":<id>,"ok":<ok>}; id is borrowed and gets its own reference. */
static json_object *
reply_head(json_object *id, int ok)
{
	json_object *r = json_object_new_object();

	if (r == NULL)
		return NULL;
	json_object_object_add(r, "id", json_object_get(id));
	json_object_object_add(r, "ok", json_object_new_boolean(ok));
	return r;
}

char *
ctl_reply_ok(json_object *id, json_object *result)
{
	json_object *r = reply_head(id, 1);

	if (result == NULL)
		result = json_object_new_object();
	if (r == NULL || result == NULL) {
		json_object_put(result);
		json_object_put(r);
		return NULL;
	}
	json_object_object_add(r, "result", result);
	return to_line(r);
}

char *
ctl_reply_error(json_object *id, int errnum, const char *message)
{
	json_object *r = reply_head(id, 0);
	json_object *e = json_object_new_object();
	const char *code;

	if (errnum < 0)
		errnum = -errnum;
	code = ctl_errno_code(errnum);
	/* an unknown errno travels as EIO so that code and number agree */
	if (strcmp(code, "EIO") == 0)
		errnum = EIO;
	if (message == NULL || message[0] == '\0')
		message = strerror(errnum);
	if (r == NULL || e == NULL) {
		json_object_put(e);
		json_object_put(r);
		return NULL;
	}
	json_object_object_add(e, "code", json_object_new_string(code));
	json_object_object_add(e, "errno", json_object_new_int(errnum));
	/* a message cut by a fixed buffer loses its last, partial character */
	json_object_object_add(e, "message", json_object_new_string_len(
		message, (int)utf8_trim_partial(message, strlen(message))));
	json_object_object_add(r, "error", e);
	return to_line(r);
}

/*
 * Look up key.  Returns 1 with *val set when present and not null, 0
 * when absent (null counts as absent), -EINVAL when absent but required.
 */
static int
param_get(json_object *params, const char *key, int required,
	  json_object **val, char *msg, size_t msglen)
{
	json_object *v = NULL;

	if (params != NULL && json_object_is_type(params, json_type_object))
		json_object_object_get_ex(params, key, &v);
	if (v != NULL && !json_object_is_type(v, json_type_null)) {
		*val = v;
		return 1;
	}
	if (required) {
		set_msg(msg, msglen, "params.%s: missing", key);
		return -EINVAL;
	}
	return 0;
}

int
ctl_param_str(json_object *params, const char *key, int required,
	      const char **out, char *msg, size_t msglen)
{
	json_object *v;
	int rc = param_get(params, key, required, &v, msg, msglen);

	if (rc <= 0)
		return rc;
	if (!json_object_is_type(v, json_type_string)) {
		set_msg(msg, msglen, "params.%s: must be a string", key);
		return -EINVAL;
	}
	*out = json_object_get_string(v);
	return 0;
}

int
ctl_param_uint(json_object *params, const char *key, int required,
	       unsigned long long max, unsigned long long *out, char *msg,
	       size_t msglen)
{
	json_object *v;
	uint64_t u;
	int rc = param_get(params, key, required, &v, msg, msglen);

	if (rc <= 0)
		return rc;
	if (!json_object_is_type(v, json_type_int)) {
		set_msg(msg, msglen, "params.%s: must be an integer", key);
		return -EINVAL;
	}
	/* json-c keeps values above INT64_MAX as uint64; get_int64 clamps */
	u = json_object_get_int64(v) < 0 ? 0 : json_object_get_uint64(v);
	if (json_object_get_int64(v) < 0 || u > max) {
		set_msg(msg, msglen, "params.%s: must be between 0 and %llu",
			key, max);
		return -EINVAL;
	}
	*out = u;
	return 0;
}

int
ctl_param_bool(json_object *params, const char *key, int required,
	       int *out, char *msg, size_t msglen)
{
	json_object *v;
	int rc = param_get(params, key, required, &v, msg, msglen);

	if (rc <= 0)
		return rc;
	if (!json_object_is_type(v, json_type_boolean)) {
		set_msg(msg, msglen, "params.%s: must be true or false", key);
		return -EINVAL;
	}
	*out = json_object_get_boolean(v);
	return 0;
}

int
ctl_params_only(json_object *params, const char *const *allowed,
		char *msg, size_t msglen)
{
	size_t i;

	if (params == NULL)
		return 0;
	if (!json_object_is_type(params, json_type_object)) {
		set_msg(msg, msglen, "params must be an object");
		return -EINVAL;
	}
	json_object_object_foreach(params, key, val) {
		(void)val;
		for (i = 0; allowed != NULL && allowed[i] != NULL; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (allowed == NULL || allowed[i] == NULL) {
			set_msg(msg, msglen, "params.%s: unknown parameter",
				key);
			return -EINVAL;
		}
	}
	return 0;
}
