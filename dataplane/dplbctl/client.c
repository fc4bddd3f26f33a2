/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * client: one request/reply exchange with dplbd.  The socket is
 * non-blocking and every wait goes through poll() against a single
 * deadline, so --timeout bounds the whole call (connect, send, reply).
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "dplbctl.h"

#define REPLY_MAX (256u << 20)	/* a reply longer than this is broken */
#define REQ_ID 1

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wait for events until deadline: 1 ready, 0 timeout, -1 error. */
static int
wait_fd(int fd, short events, double deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	double left;
	int rc;

	for (;;) {
		left = deadline - now();
		if (left <= 0)
			return 0;
		rc = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (rc >= 0 || errno != EINTR)
			return rc > 0 ? 1 : rc;
	}
}

/*
 * Connect; a full listen backlog (EAGAIN on a unix socket) is retried
 * until the deadline.  Returns the fd or -errno.
 */
static int
connect_socket(const char *path, double deadline)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = errno;
		if ((err != EAGAIN && err != EINTR) || now() >= deadline) {
			close(fd);
			return -(err == EAGAIN ? ETIMEDOUT : err);
		}
		usleep(10000);
	}
	return fd;
}

static int
send_all(int fd, const char *buf, size_t len, double deadline)
{
	ssize_t n;

	while (len > 0) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -errno;
			if (wait_fd(fd, POLLOUT, deadline) <= 0)
				return -ETIMEDOUT;
			continue;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read one reply line into *out (malloc'd, NUL-terminated, no '\n'). */
static int
recv_line(int fd, char **out, double deadline)
{
	size_t len = 0, cap = 8192;
	char *buf = malloc(cap), *nl, *p;
	ssize_t n;

	while (buf != NULL) {
		if (len == cap) {
			if (cap >= REPLY_MAX)
				break;
			p = realloc(buf, cap * 2);
			if (p == NULL)
				break;
			buf = p;
			cap *= 2;
		}
		n = recv(fd, buf + len, cap - len, 0);
		if (n == 0) {
			free(buf);
			return -ECONNRESET;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN) {
				free(buf);
				return -errno;
			}
			if (wait_fd(fd, POLLIN, deadline) <= 0) {
				free(buf);
				return -ETIMEDOUT;
			}
			continue;
		}
		nl = memchr(buf + len, '\n', (size_t)n);
		len += (size_t)n;
		if (nl != NULL) {
			*nl = '\0';
			*out = buf;
			return 0;
		}
	}
	free(buf);
	return -EMSGSIZE;
}

static char *
build_request(const char *method, json_object *params)
{
	json_object *req = json_object_new_object();
	const char *s;
	char *line;

	json_object_object_add(req, "id", json_object_new_int(REQ_ID));
	json_object_object_add(req, "method", json_object_new_string(method));
	if (params != NULL)
		json_object_object_add(req, "params", params);
	s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (asprintf(&line, "%s\n", s) < 0)
		line = NULL;
	json_object_put(req);
	return line;
}

/*
 * Why the socket refused us: the first of the socket and its directories
 * (innermost first) that exists and that we may not use; its group is
 * the one to join.  Prints nothing when it cannot tell.
 */
static void
permission_hint(const char *path)
{
	char p[PATH_MAX], *slash;
	struct stat st;
	struct group *gr;
	bool is_sock = true;

	snprintf(p, sizeof(p), "%s", path);
	for (;;) {
		if (stat(p, &st) == 0 &&
		    access(p, is_sock ? R_OK | W_OK : X_OK) != 0)
			break;
		slash = strrchr(p, '/');
		if (slash == NULL || slash == p)
			return;
		*slash = '\0';
		is_sock = false;
	}
	gr = getgrgid(st.st_gid);
	if (gr == NULL || st.st_gid == 0)
		fprintf(stderr, "dplbctl: %s is mode %04o, owned by root: "
			"run dplbctl as root\n", p, st.st_mode & 07777);
	else
		fprintf(stderr, "dplbctl: %s is mode %04o, group '%s': join "
			"the group (sudo usermod -aG %s $USER, then log in "
			"again) or run dplbctl as root\n", p,
			st.st_mode & 07777, gr->gr_name, gr->gr_name);
}

static int
unreachable(const struct opts *o, const char *what, int err)
{
	err_prefix();
	if (err == ETIMEDOUT)
		fprintf(stderr, "%s %s: no reply within %g s\n", what,
			o->socket, o->timeout_s);
	else if (err == ECONNRESET)
		fprintf(stderr, "%s %s: connection closed by dplbd\n", what,
			o->socket);
	else
		fprintf(stderr, "%s %s: %s\n", what, o->socket, strerror(err));
	if (err == EACCES)
		permission_hint(o->socket);
	return EXIT_UNREACHABLE;
}

/* A string member of an error object, or dflt. */
static const char *
err_str(json_object *err, const char *key, const char *dflt)
{
	json_object *v = NULL;

	if (json_object_is_type(err, json_type_object) &&
	    json_object_object_get_ex(err, key, &v) &&
	    json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return dflt;
}

/*
 * Check the reply's envelope; returns the exit code.  Not a reply at
 * all (not an object, no boolean "ok", not our id) is a malformed reply,
 * as if dplbd could not be reached; an error reply of odd shape is
 * still an error from dplbd.
 */
static int
decode_reply(const struct opts *o, json_object *reply, json_object **result)
{
	json_object *ok, *id, *err = NULL;

	if (!json_object_is_type(reply, json_type_object) ||
	    !json_object_object_get_ex(reply, "ok", &ok) ||
	    !json_object_is_type(ok, json_type_boolean) ||
	    !json_object_object_get_ex(reply, "id", &id) ||
	    !json_object_is_type(id, json_type_int) ||
	    json_object_get_int64(id) != REQ_ID) {
		fprintf(stderr, "dplbctl: malformed reply from %s\n", o->socket);
		return EXIT_UNREACHABLE;
	}
	if (json_object_get_boolean(ok)) {
		*result = json_object_get(json_object_object_get(reply, "result"));
		if (*result == NULL)
			*result = json_object_new_object();
		return EXIT_OK;
	}
	json_object_object_get_ex(reply, "error", &err);
	err_prefix();
	fprintf(stderr, "%s (%s)\n",
		err_str(err, "message", "dplbd answered an error without a message"),
		err_str(err, "code", "EIO"));
	return EXIT_SERVER;
}

int
ctl_call(const struct opts *o, const char *method, json_object *params,
	 json_object **result)
{
	double deadline = now() + o->timeout_s;
	json_object *reply;
	char *req, *line = NULL;
	int fd, rc;

	*result = NULL;
	req = build_request(method, params);
	if (req == NULL) {
		fputs("dplbctl: out of memory\n", stderr);
		return EXIT_UNREACHABLE;
	}
	fd = connect_socket(o->socket, deadline);
	if (fd < 0) {
		free(req);
		return unreachable(o, "cannot connect to", -fd);
	}
	rc = send_all(fd, req, strlen(req), deadline);
	free(req);
	if (rc == 0)
		rc = recv_line(fd, &line, deadline);
	close(fd);
	if (rc < 0)
		return unreachable(o, "talking to", -rc);
	reply = json_tokener_parse(line);
	free(line);
	rc = decode_reply(o, reply, result);
	json_object_put(reply);
	return rc;
}
