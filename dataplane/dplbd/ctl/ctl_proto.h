/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctl_proto: the control protocol's framing-free part: parsing one
 * request line and building one reply line.  Pure json-c, no sockets,
 * so it is unit-tested directly and shared by the server.
 *
 * Request:  {"id":1,"method":"addr.add","params":{"dev":"dp0",...}}
 * Reply:    {"id":1,"ok":true,"result":...}
 *           {"id":1,"ok":false,"error":{"code":"EEXIST","errno":17,
 *                                       "message":"..."}}
 * id is an integer (-(2^63-1) to 2^64-2) or a string, echoed exactly;
 * a missing id is null.  A fraction, or an integer beyond that range,
 * is refused (EINVAL, id null); a number JSON does not allow (NaN,
 * Infinity, "1.", "1.e5"), anywhere in the request, is malformed JSON
 * (EBADMSG).  params is optional (an object).  Every reply line is
 * valid JSON and valid UTF-8.
 */
#ifndef DPLB_CTL_PROTO_H
#define DPLB_CTL_PROTO_H

#include <stdarg.h>
#include <stddef.h>

#include <json-c/json.h>

#define CTL_MAX_LINE (64 * 1024)	/* longest accepted request line */
#define CTL_ERRMSG_LEN 256

struct ctl_request {
	json_object *root;	/* owns everything below */
	json_object *id;	/* borrowed; NULL = null */
	const char *method;	/* borrowed */
	json_object *params;	/* borrowed; never NULL after a parse */
};

/**
 * Parse one request line (without the newline).  On success returns 0
 * and fills req (free it with ctl_request_free).  On failure returns a
 * negative errno (-EBADMSG malformed JSON, -EINVAL wrong shape), writes
 * a message into msg and still sets req->id when the id was readable,
 * so that the error reply can echo it.  Call ctl_request_free after
 * either outcome (after a failure req->root may still hold the id).
 * A missing or null params becomes an empty object.
 */
int ctl_request_parse(const char *line, size_t len, struct ctl_request *req,
		      char *msg, size_t msglen);
void ctl_request_free(struct ctl_request *req);

/**
 * vsnprintf into msg for an error message; when the text does not fit,
 * it is cut on a UTF-8 character boundary and ends with "...".
 */
void ctl_msg_vformat(char *msg, size_t msglen, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
void ctl_msg_format(char *msg, size_t msglen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** Stable code string for an errno value ("EEXIST"); "EIO" if unknown. */
const char *ctl_errno_code(int errnum);

/**
 * Reply lines, newline-terminated, malloc'd (caller frees).  result may
 * be NULL (sent as {}); its reference is taken over.
 */
char *ctl_reply_ok(json_object *id, json_object *result);
char *ctl_reply_error(json_object *id, int errnum, const char *message);

/*
 * Typed parameter getters for method handlers.  Each returns 0, or
 * -EINVAL with "params.<key>: <what is wrong>" in msg.  A missing
 * optional key leaves *out untouched and returns 0; a missing required
 * key is -EINVAL.
 */
int ctl_param_str(json_object *params, const char *key, int required,
		  const char **out, char *msg, size_t msglen);
int ctl_param_uint(json_object *params, const char *key, int required,
		   unsigned long long max, unsigned long long *out, char *msg,
		   size_t msglen);
int ctl_param_bool(json_object *params, const char *key, int required,
		   int *out, char *msg, size_t msglen);

/** -EINVAL if params has a key not in the NULL-terminated allowed list. */
int ctl_params_only(json_object *params, const char *const *allowed,
		    char *msg, size_t msglen);

#endif /* DPLB_CTL_PROTO_H */
