/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness: the control protocol's request parser and reply
 * encoder (ctl/ctl_proto.c), as the server drives them for one request
 * line.  Each input is a line without its newline.  Checked for every
 * input, besides what ASan and UBSan catch:
 *  - every reply is one line of RFC 8259 JSON in valid UTF-8 (checked
 *    by json_check.h, not by json-c);
 *  - a reply echoes the request's id exactly when the request had a
 *    usable one, and null otherwise;
 *  - the parameter getters and messages built from client strings
 *    (cut to the message buffer) make valid replies too.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "ctl/ctl_proto.h"
#include "json_check.h"

#define FAIL(...) do { fprintf(stderr, __VA_ARGS__); abort(); } while (0)

/* The reply line must be valid, and its id must be want (NULL: null). */
static void
check_reply(char *line, json_object *want)
{
	json_object *r, *id;
	size_t n;

	if (line == NULL)
		FAIL("no reply (out of memory?)\n");
	n = strlen(line);
	if (n == 0 || line[n - 1] != '\n' || memchr(line, '\n', n - 1) != NULL)
		FAIL("reply is not one line: %s\n", line);
	if (!json_check(line, n - 1))
		FAIL("reply is not JSON or not UTF-8: %s\n", line);
	r = json_tokener_parse(line);
	if (r == NULL || !json_object_object_get_ex(r, "id", &id))
		FAIL("reply without id: %s\n", line);
	if (!json_object_equal(id, want))
		FAIL("reply id %s, request id %s\n",
		     json_object_to_json_string(id),
		     json_object_to_json_string(want));
	json_object_put(r);
	free(line);
}

/* What handlers do with params: typed getters, whose messages quote
 * keys the client chose, and messages quoting client strings. */
static void
exercise_params(struct ctl_request *req)
{
	static const char *const allowed[] = { "addr", "dev", "port", NULL };
	char msg[CTL_ERRMSG_LEN];
	unsigned long long u;
	const char *s;
	int b, rc;

	json_object_object_foreach(req->params, key, val) {
		rc = ctl_param_str(req->params, key, 1, &s, msg, sizeof(msg));
		if (rc == 0)
			ctl_msg_format(msg, sizeof(msg), "params.%s: '%s' is "
				       "not an address", key, s);
		check_reply(ctl_reply_error(req->id, EINVAL, msg), req->id);
		rc = ctl_param_uint(req->params, key, 1, 65535, &u, msg,
				    sizeof(msg));
		if (rc < 0)
			check_reply(ctl_reply_error(req->id, -rc, msg), req->id);
		rc = ctl_param_bool(req->params, key, 0, &b, msg, sizeof(msg));
		if (rc < 0)
			check_reply(ctl_reply_error(req->id, -rc, msg), req->id);
		(void)val;
	}
	rc = ctl_params_only(req->params, allowed, msg, sizeof(msg));
	if (rc < 0)
		check_reply(ctl_reply_error(req->id, -rc, msg), req->id);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_request req;
	char msg[CTL_ERRMSG_LEN];
	int rc;

	rc = ctl_request_parse((const char *)data, size, &req, msg,
			       sizeof(msg));
	if (rc < 0) {
		if (msg[0] == '\0')
			FAIL("error %d without a message\n", rc);
		check_reply(ctl_reply_error(req.id, -rc, msg), req.id);
		ctl_request_free(&req);
		return 0;
	}
	if (req.method == NULL || req.params == NULL ||
	    !json_object_is_type(req.params, json_type_object))
		FAIL("parsed request without method or params\n");
	exercise_params(&req);
	/* as the server answers an unknown method, and echoes a result */
	ctl_msg_format(msg, sizeof(msg), "unknown method '%s'", req.method);
	check_reply(ctl_reply_error(req.id, ENOSYS, msg), req.id);
	check_reply(ctl_reply_ok(req.id, json_object_get(req.params)), req.id);
	ctl_request_free(&req);
	return 0;
}
