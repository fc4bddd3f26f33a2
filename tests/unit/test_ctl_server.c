/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for ctl_server: a server on a temp socket with toy methods,
 * driven by client sockets in the same process.  The server is polled
 * between client operations, so everything stays single-threaded.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctl/ctl_server.h"

#define POLL_LIMIT 256		/* CTL_POLL_BUDGET in ctl_server.c */

struct fixture {
	char dir[48];
	char path[100];
	struct ctl_server *srv;
	int calls;
	int closed;			/* close hooks run */
	uint64_t closed_id;		/* the client id of the last one */
	uint64_t leased_id;		/* the client that called "lease" */
};

static int
m_echo(struct ctl_call *call)
{
	struct fixture *f = call->ctx;

	f->calls++;
	call->result = json_object_get(call->params);
	return 0;
}

static int
m_fail(struct ctl_call *call)
{
	return ctl_call_fail(call, EEXIST, "thing %d exists", 42);
}

static int
m_fail_quiet(struct ctl_call *call)
{
	return -ENODEV;
}

static void
on_close(void *ctx, uint64_t client)
{
	struct fixture *f = ctx;

	f->closed++;
	f->closed_id = client;
}

/* Ties the caller's connection to the fixture, twice (a no-op). */
static int
m_lease(struct ctl_call *call)
{
	struct fixture *f = call->ctx;

	assert_int_equal(ctl_client_on_close(call->client, on_close), 0);
	assert_int_equal(ctl_client_on_close(call->client, on_close), 0);
	f->leased_id = ctl_client_id(call->client);
	return 0;
}

static const struct ctl_method methods[] = {
	{ "lease", m_lease },
	{ "fail", m_fail },
	{ "echo", m_echo },		/* deliberately unsorted */
	{ "fail.quiet", m_fail_quiet },
};

/* ---- helpers ---- */

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
pump(struct fixture *f, int rounds)
{
	int i, n;

	for (i = 0; i < rounds; i++) {
		n = ctl_server_poll(f->srv, 0);
		assert_true(n >= 0 && n <= POLL_LIMIT);
	}
}

static int
cli_connect(struct fixture *f)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Write all of buf, polling the server while the socket is full. */
static void
cli_send_len(struct fixture *f, int fd, const char *buf, size_t len)
{
	double deadline = now() + 5;
	ssize_t n;

	while (len > 0) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0) {
			assert_int_equal(errno, EAGAIN);
			assert_true(now() < deadline);
			pump(f, 1);
			continue;
		}
		buf += n;
		len -= (size_t)n;
	}
}

static void
cli_send(struct fixture *f, int fd, const char *s)
{
	cli_send_len(f, fd, s, strlen(s));
}

/*
 * Read until nlines newlines arrived (or EOF when nlines < 0), polling
 * the server in between.  Returns the malloc'd text.
 */
static char *
cli_read(struct fixture *f, int fd, int nlines)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap + 1);
	double deadline = now() + 5;
	int seen = 0;
	ssize_t n;

	assert_non_null(buf);
	while (nlines < 0 || seen < nlines) {
		assert_true(now() < deadline);
		ctl_server_poll(f->srv, 1);
		n = recv(fd, buf + len, cap - len, 0);
		if (n == 0 || (n < 0 && errno == ECONNRESET)) {
			assert_true(nlines < 0);
			break;
		}
		if (n < 0) {
			assert_int_equal(errno, EAGAIN);
			continue;
		}
		for (ssize_t i = 0; i < n; i++)
			seen += buf[len + i] == '\n';
		len += (size_t)n;
		if (len == cap) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
			assert_non_null(buf);
		}
	}
	buf[len] = '\0';
	return buf;
}

static void
expect_lines(struct fixture *f, int fd, int n, const char *want)
{
	char *got = cli_read(f, fd, n);

	assert_string_equal(got, want);
	free(got);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/ctl_server_test.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/sub/dir/ctl.sock", f->dir);
	f->srv = ctl_server_create(f->path, 0660, "", methods,
				   sizeof(methods) / sizeof(methods[0]), f);
	assert_non_null(f->srv);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	ctl_server_destroy(f->srv);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* ---- tests ---- */

static void
test_socket_created(void **state)
{
	struct fixture *f = *state;
	struct stat st;
	char dir[160];

	assert_int_equal(stat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0660);
	snprintf(dir, sizeof(dir), "%s/sub/dir", f->dir);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(ctl_server_clients(f->srv), 0);
	/* a second server must not steal a live socket */
	assert_null(ctl_server_create(f->path, 0600, "", methods, 1, NULL));
	assert_int_equal(errno, EADDRINUSE);
	assert_int_equal(stat(f->path, &st), 0);
}

static void
test_stale_socket_replaced(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ctl_server *s2;
	char path[100];
	int fd;

	snprintf(path, sizeof(path), "%s/stale.sock", f->dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);	/* leaves the file: a stale socket */
	s2 = ctl_server_create(path, 0600, "", methods, 1, NULL);
	assert_non_null(s2);
	ctl_server_destroy(s2);
	assert_int_equal(access(path, F_OK), -1);
	/* a non-socket file is never removed */
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	assert_null(ctl_server_create(path, 0600, "", methods, 1, NULL));
	assert_int_equal(access(path, F_OK), 0);
	/* an unknown group fails */
	snprintf(path, sizeof(path), "%s/grp.sock", f->dir);
	assert_null(ctl_server_create(path, 0600, "no-such-group-xyz",
				      methods, 1, NULL));
}

static void
test_pipelined(void **state)
{
	struct fixture *f = *state;
	int fd = cli_connect(f);

	cli_send(f, fd,
		 "{\"id\":1,\"method\":\"echo\",\"params\":{\"a\":1}}\n"
		 "{\"id\":2,\"method\":\"fail\"}\n"
		 "{\"id\":\"three\",\"method\":\"echo\"}\n"
		 "{\"id\":4,\"method\":\"fail.quiet\"}\n");
	expect_lines(f, fd, 4,
		     "{\"id\":1,\"ok\":true,\"result\":{\"a\":1}}\n"
		     "{\"id\":2,\"ok\":false,\"error\":{\"code\":\"EEXIST\","
		     "\"errno\":17,\"message\":\"thing 42 exists\"}}\n"
		     "{\"id\":\"three\",\"ok\":true,\"result\":{}}\n"
		     "{\"id\":4,\"ok\":false,\"error\":{\"code\":\"ENODEV\","
		     "\"errno\":19,\"message\":\"No such device\"}}\n");
	assert_int_equal(ctl_server_clients(f->srv), 1);
	close(fd);
	pump(f, 3);
	assert_int_equal(ctl_server_clients(f->srv), 0);
}

static void
test_split_request(void **state)
{
	struct fixture *f = *state;
	int fd = cli_connect(f);

	cli_send(f, fd, "{\"id\":9,\"meth");
	pump(f, 3);
	cli_send(f, fd, "od\":\"echo\",\"params\":{\"x\":\"y\"}");
	pump(f, 3);
	assert_int_equal(f->calls, 0);
	cli_send(f, fd, "}\r\n\r\n\n");
	expect_lines(f, fd, 1, "{\"id\":9,\"ok\":true,\"result\":{\"x\":\"y\"}}\n");
	/* the blank lines produced nothing; the connection still works */
	cli_send(f, fd, "{\"id\":10,\"method\":\"echo\"}\n");
	expect_lines(f, fd, 1, "{\"id\":10,\"ok\":true,\"result\":{}}\n");
	assert_int_equal(f->calls, 2);
	close(fd);
}

static void
test_oversized_line(void **state)
{
	struct fixture *f = *state;
	size_t len = CTL_MAX_LINE + 100;
	char *big = malloc(len);
	char *got;
	int fd = cli_connect(f);

	assert_non_null(big);
	memset(big, 'a', len);
	cli_send(f, fd, "{\"id\":1,\"method\":\"echo\"}\n");
	cli_send_len(f, fd, big, len);
	got = cli_read(f, fd, -1);	/* reply(s), then the server closes */
	assert_string_equal(got,
		"{\"id\":1,\"ok\":true,\"result\":{}}\n"
		"{\"id\":null,\"ok\":false,\"error\":{\"code\":\"EMSGSIZE\","
		"\"errno\":90,\"message\":\"request line longer than 65536 "
		"bytes\"}}\n");
	free(got);
	pump(f, 2);
	assert_int_equal(ctl_server_clients(f->srv), 0);
	close(fd);
	free(big);
}

static void
test_max_line_accepted(void **state)
{
	struct fixture *f = *state;
	static const char head[] = "{\"id\":1,\"method\":\"echo\",\"params\":{\"s\":\"";
	static const char tail[] = "\"}}";
	size_t len = CTL_MAX_LINE;
	char *line = malloc(len + 2);
	char *got;
	int fd = cli_connect(f);

	/* exactly CTL_MAX_LINE bytes plus "\r\n" is still fine */
	memset(line, 'b', len);
	memcpy(line, head, sizeof(head) - 1);
	memcpy(line + len - (sizeof(tail) - 1), tail, sizeof(tail) - 1);
	line[len] = '\r';
	line[len + 1] = '\n';
	cli_send_len(f, fd, line, len + 2);
	got = cli_read(f, fd, 1);
	assert_non_null(strstr(got, "\"ok\":true"));
	free(got);
	free(line);
	close(fd);
}

static void
test_malformed(void **state)
{
	struct fixture *f = *state;
	int fd = cli_connect(f);

	cli_send(f, fd, "{\"id\":5,\"method\":\n"
			"[1,2]\n"
			"{\"id\":6}\n"
			"{\"id\":7,\"method\":\"echo\",\"params\":3}\n"
			"\x01\x02\xff\xfe garbage\n"
			"{\"id\":8,\"method\":\"echo\"}\n");
	expect_lines(f, fd, 6,
		"{\"id\":null,\"ok\":false,\"error\":{\"code\":\"EBADMSG\","
		"\"errno\":74,\"message\":\"malformed JSON: unexpected end of data\"}}\n"
		"{\"id\":null,\"ok\":false,\"error\":{\"code\":\"EINVAL\","
		"\"errno\":22,\"message\":\"request must be a JSON object\"}}\n"
		"{\"id\":6,\"ok\":false,\"error\":{\"code\":\"EINVAL\","
		"\"errno\":22,\"message\":\"method is missing\"}}\n"
		"{\"id\":7,\"ok\":false,\"error\":{\"code\":\"EINVAL\","
		"\"errno\":22,\"message\":\"params must be an object\"}}\n"
		"{\"id\":null,\"ok\":false,\"error\":{\"code\":\"EBADMSG\","
		"\"errno\":74,\"message\":\"malformed JSON: unexpected character\"}}\n"
		"{\"id\":8,\"ok\":true,\"result\":{}}\n");
	close(fd);
}

static void
test_unknown_method(void **state)
{
	struct fixture *f = *state;
	int fd = cli_connect(f);

	cli_send(f, fd, "{\"id\":1,\"method\":\"nope\"}\n"
			"{\"id\":2,\"method\":\"hello\"}\n");
	expect_lines(f, fd, 2,
		"{\"id\":1,\"ok\":false,\"error\":{\"code\":\"ENOSYS\","
		"\"errno\":38,\"message\":\"unknown method 'nope'\"}}\n"
		"{\"id\":2,\"ok\":false,\"error\":{\"code\":\"ENOSYS\","
		"\"errno\":38,\"message\":\"unknown method 'hello'\"}}\n");
	close(fd);
}

static void
test_half_close(void **state)
{
	struct fixture *f = *state;
	int fd = cli_connect(f);

	/* the last request lacks its newline; EOF terminates it */
	cli_send(f, fd, "{\"id\":1,\"method\":\"echo\"}\n"
			"{\"id\":2,\"method\":\"echo\"}");
	shutdown(fd, SHUT_WR);
	expect_lines(f, fd, -1,
		     "{\"id\":1,\"ok\":true,\"result\":{}}\n"
		     "{\"id\":2,\"ok\":true,\"result\":{}}\n");
	pump(f, 2);
	assert_int_equal(ctl_server_clients(f->srv), 0);
	close(fd);
}

static void
test_many_clients(void **state)
{
	struct fixture *f = *state;
	char req[128], want[128], *got;
	int fds[100];
	int i;

	for (i = 0; i < 100; i++)
		fds[i] = cli_connect(f);
	for (i = 0; i < 100; i++) {
		snprintf(req, sizeof(req),
			 "{\"id\":%d,\"method\":\"echo\",\"params\":{\"c\":%d}}\n",
			 i, i);
		cli_send(f, fds[i], req);
	}
	pump(f, 5);
	assert_int_equal(ctl_server_clients(f->srv), 100);
	for (i = 99; i >= 0; i--) {
		snprintf(want, sizeof(want),
			 "{\"id\":%d,\"ok\":true,\"result\":{\"c\":%d}}\n", i, i);
		got = cli_read(f, fds[i], 1);
		assert_string_equal(got, want);
		free(got);
	}
	for (i = 0; i < 100; i++)
		close(fds[i]);
	pump(f, 5);
	assert_int_equal(ctl_server_clients(f->srv), 0);
}

static void
test_disconnect_mid_request(void **state)
{
	struct fixture *f = *state;
	int a = cli_connect(f);
	int b = cli_connect(f);

	cli_send(f, a, "{\"id\":1,\"method\":\"ec");
	pump(f, 2);
	close(a);
	/* and one that leaves with replies still unread */
	a = cli_connect(f);
	cli_send(f, a, "{\"id\":1,\"method\":\"echo\"}\n{\"id\":2,\"method\":\"echo\"}\n");
	close(a);
	pump(f, 3);
	assert_int_equal(ctl_server_clients(f->srv), 1);
	cli_send(f, b, "{\"id\":3,\"method\":\"echo\"}\n");
	expect_lines(f, b, 1, "{\"id\":3,\"ok\":true,\"result\":{}}\n");
	close(b);
}

/*
 * A close hook runs once when its client goes, however it goes (here:
 * a plain close, and a reset with replies unread), with that client's
 * id, and never for clients that did not register it.
 */
static void
test_close_hook(void **state)
{
	struct fixture *f = *state;
	int a = cli_connect(f), b = cli_connect(f);
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	cli_send(f, a, "{\"id\":1,\"method\":\"lease\"}\n");
	expect_lines(f, a, 1, "{\"id\":1,\"ok\":true,\"result\":{}}\n");
	cli_send(f, b, "{\"id\":2,\"method\":\"echo\"}\n");
	expect_lines(f, b, 1, "{\"id\":2,\"ok\":true,\"result\":{}}\n");
	close(b);
	pump(f, 3);
	assert_int_equal(f->closed, 0);
	close(a);
	pump(f, 3);
	assert_int_equal(f->closed, 1);
	assert_true(f->closed_id == f->leased_id);

	a = cli_connect(f);
	cli_send(f, a, "{\"id\":3,\"method\":\"lease\"}\n{\"id\":4,\"method\":\"echo\"}\n");
	pump(f, 2);
	assert_int_equal(setsockopt(a, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	close(a);
	pump(f, 3);
	assert_int_equal(f->closed, 2);
	assert_true(f->closed_id == f->leased_id);
	assert_int_equal(ctl_server_clients(f->srv), 0);
}

/*
 * A client that floods requests and never reads: its replies pile up
 * until the output cap, then the server drops it; each poll stays
 * within its budget and other clients are served throughout.
 */
static void
test_flood_never_reads(void **state)
{
	struct fixture *f = *state;
	char req[2048], pad[1024];
	int flood = cli_connect(f);
	int other = cli_connect(f);
	int rcvbuf = 4096, i, n, id = 0;
	double deadline = now() + 20;
	bool dropped = false;
	ssize_t w;

	setsockopt(flood, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	memset(pad, 'p', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	while (!dropped) {
		assert_true(now() < deadline);
		for (i = 0; i < 64; i++) {
			n = snprintf(req, sizeof(req),
				     "{\"id\":%d,\"method\":\"echo\",\"params\":"
				     "{\"pad\":\"%s\"}}\n", id, pad);
			w = send(flood, req, (size_t)n, MSG_NOSIGNAL);
			if (w < 0 && errno == EAGAIN)
				break;
			if (w < 0) {	/* EPIPE/ECONNRESET: dropped */
				dropped = true;
				break;
			}
			/* a partial write is fine: the line just gets cut */
			id++;
		}
		n = ctl_server_poll(f->srv, 0);
		assert_true(n >= 0 && n <= POLL_LIMIT);
		if (ctl_server_clients(f->srv) == 1)
			dropped = true;
		/* the other client is served while the flood goes on */
		if (id % 512 < 64) {
			cli_send(f, other, "{\"id\":\"o\",\"method\":\"echo\"}\n");
			expect_lines(f, other, 1,
				     "{\"id\":\"o\",\"ok\":true,\"result\":{}}\n");
		}
	}
	/* several MiB went out before the drop */
	assert_true(id > 4096);
	pump(f, 3);
	assert_int_equal(ctl_server_clients(f->srv), 1);
	cli_send(f, other, "{\"id\":\"last\",\"method\":\"echo\"}\n");
	expect_lines(f, other, 1, "{\"id\":\"last\",\"ok\":true,\"result\":{}}\n");
	close(flood);
	close(other);
}

/* Many pipelined requests are served across polls, in order. */
static void
test_poll_budget(void **state)
{
	struct fixture *f = *state;
	size_t cap = 2000 * 48, len = 0;
	char *reqs = malloc(cap), *got, *p;
	int fd = cli_connect(f);
	int i, n, total = 0, polls = 0;

	for (i = 0; i < 2000; i++)
		len += (size_t)snprintf(reqs + len, cap - len,
					"{\"id\":%d,\"method\":\"echo\"}\n", i);
	cli_send_len(f, fd, reqs, len);
	while (total < 2000) {
		n = ctl_server_poll(f->srv, 0);
		assert_true(n >= 0 && n <= POLL_LIMIT);
		total += n;
		assert_true(++polls < 1000);
	}
	assert_true(polls >= 2000 / POLL_LIMIT);
	got = cli_read(f, fd, 2000);
	p = got;
	for (i = 0; i < 2000; i++) {
		char want[64];

		snprintf(want, sizeof(want), "{\"id\":%d,\"ok\":true,", i);
		assert_memory_equal(p, want, strlen(want));
		p = strchr(p, '\n') + 1;
	}
	free(got);
	free(reqs);
	close(fd);
}

/* Beyond 1024 clients new connections are accepted, told and closed. */
static void
test_client_limit(void **state)
{
	struct fixture *f = *state;
	struct rlimit rl;
	char *got;
	int fds[1030];
	int i;

	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < 2200) {
		rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur < 2200)
			skip();
	}
	for (i = 0; i < 1030; i++) {
		fds[i] = cli_connect(f);
		if (i % 64 == 0)
			pump(f, 2);
	}
	pump(f, 40);
	assert_int_equal(ctl_server_clients(f->srv), 1024);
	/* the last ones were told why, then closed by the server */
	got = cli_read(f, fds[1029], -1);
	assert_string_equal(got, "{\"id\":null,\"ok\":false,\"error\":{"
			    "\"code\":\"EUSERS\",\"errno\":87,\"message\":"
			    "\"all 1024 control connections are taken\"}}\n");
	free(got);
	for (i = 0; i < 1030; i++)
		close(fds[i]);
	pump(f, 40);
	assert_int_equal(ctl_server_clients(f->srv), 0);
}

static void
set_limits(struct fixture *f, unsigned int max, unsigned int root,
	   unsigned int per_uid, unsigned int idle_ms)
{
	struct ctl_limits l = { .max_clients = max, .root_slots = root,
				.max_per_uid = per_uid,
				.idle_timeout_ms = idle_ms };

	assert_int_equal(ctl_server_set_limits(f->srv, &l), 0);
}

/* Pump the server for ms milliseconds. */
static void
pump_for(struct fixture *f, int ms)
{
	double end = now() + ms / 1000.0;

	while (now() < end)
		ctl_server_poll(f->srv, 5);
}

/*
 * An idle client without a lease is told and closed after the timeout;
 * one that keeps asking, and one that holds a lease, stay.
 */
static void
test_idle_timeout(void **state)
{
	struct fixture *f = *state;
	struct ctl_limits l;
	int idle, busy, leased, i;
	char *got;

	ctl_server_get_limits(f->srv, &l);
	assert_int_equal(l.idle_timeout_ms, CTL_DEFAULT_IDLE_TIMEOUT_MS);
	assert_int_equal(l.max_per_uid, CTL_DEFAULT_MAX_PER_UID);
	set_limits(f, 1024, 64, 64, 300);
	idle = cli_connect(f);
	busy = cli_connect(f);
	leased = cli_connect(f);
	cli_send(f, leased, "{\"id\":1,\"method\":\"lease\"}\n");
	expect_lines(f, leased, 1, "{\"id\":1,\"ok\":true,\"result\":{}}\n");
	pump(f, 2);
	assert_int_equal(ctl_server_clients(f->srv), 3);
	for (i = 0; i < 8; i++) {
		cli_send(f, busy, "{\"id\":2,\"method\":\"echo\"}\n");
		expect_lines(f, busy, 1, "{\"id\":2,\"ok\":true,\"result\":{}}\n");
		pump_for(f, 100);
	}
	/* 800 ms: the idle one went, told why */
	got = cli_read(f, idle, -1);
	assert_string_equal(got, "{\"id\":null,\"ok\":false,\"error\":{"
			    "\"code\":\"ETIMEDOUT\",\"errno\":110,\"message\":"
			    "\"idle for 300 ms without a lease: closed "
			    "(control_idle_timeout)\"}}\n");
	free(got);
	assert_int_equal(ctl_server_clients(f->srv), 2);
	assert_int_equal(f->closed, 0);
	cli_send(f, leased, "{\"id\":3,\"method\":\"echo\"}\n");
	expect_lines(f, leased, 1, "{\"id\":3,\"ok\":true,\"result\":{}}\n");
	/* 0 turns the timeout off */
	set_limits(f, 1024, 64, 64, 0);
	pump_for(f, 500);
	assert_int_equal(ctl_server_clients(f->srv), 2);
	close(idle);
	close(busy);
	close(leased);
	pump(f, 3);
	assert_int_equal(f->closed, 1);
}

/*
 * n connections of a non-root user, made by a child with that uid and
 * held until child_stop(); returns once they are made.
 */
static int
child_connect(struct fixture *f, uid_t uid, int n, int *pipe_out)
{
	int fds[2], i, one = 1;
	char c;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		if (setgid(uid) < 0 || setuid(uid) < 0)
			_exit(2);
		for (i = 0; i < n; i++)
			cli_connect(f);	/* kept open until the pipe closes */
		if (write(fds[1], &one, 1) != 1)
			_exit(3);
		pause();	/* holding them until the parent kills it */
		_exit(0);
	}
	close(fds[1]);
	*pipe_out = fds[0];
	while (read(fds[0], &c, 1) < 0 && errno == EINTR)
		;
	return pid;
}

static void
child_stop(struct fixture *f, int pid, int pipe_fd)
{
	int status;

	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	close(pipe_fd);
	pump(f, 20);
}

/*
 * A user other than root gets max_per_uid connections and never the
 * slots kept for root; root gets in whatever other users hold.
 */
static void
test_uid_cap_and_root_slots(void **state)
{
	struct fixture *f = *state;
	int pipe_fd, pid, i, fds[4];

	if (geteuid() != 0)
		skip();
	/* the child must be able to reach the socket */
	chmod(f->dir, 0755);
	assert_int_equal(chmod(f->path, 0666), 0);
	set_limits(f, 12, 4, 5, 0);
	pid = child_connect(f, 65534, 10, &pipe_fd);
	pump(f, 20);
	/* 5 of the 10 (the cap per uid) */
	assert_int_equal(ctl_server_clients(f->srv), 5);
	set_limits(f, 12, 4, 0, 0);	/* no cap per uid now */
	child_stop(f, pid, pipe_fd);
	assert_int_equal(ctl_server_clients(f->srv), 0);
	pid = child_connect(f, 65534, 10, &pipe_fd);
	pump(f, 20);
	/* 12 less the 4 slots kept for root */
	assert_int_equal(ctl_server_clients(f->srv), 8);
	for (i = 0; i < 4; i++)
		fds[i] = cli_connect(f);
	pump(f, 20);
	assert_int_equal(ctl_server_clients(f->srv), 12);
	for (i = 0; i < 4; i++) {
		cli_send(f, fds[i], "{\"id\":1,\"method\":\"echo\"}\n");
		expect_lines(f, fds[i], 1,
			     "{\"id\":1,\"ok\":true,\"result\":{}}\n");
		close(fds[i]);
	}
	child_stop(f, pid, pipe_fd);
	assert_int_equal(ctl_server_clients(f->srv), 0);
}

/*
 * A symlink where the socket goes is refused, and what it points to is
 * left alone (no chmod or chown through the link).
 */
static void
test_symlink_not_followed(void **state)
{
	struct fixture *f = *state;
	char victim[128], link[128];
	struct stat st;
	int fd;

	snprintf(victim, sizeof(victim), "%s/victim", f->dir);
	snprintf(link, sizeof(link), "%s/link.sock", f->dir);
	fd = open(victim, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(symlink(victim, link), 0);
	assert_null(ctl_server_create(link, 0666, "daemon", methods, 1, NULL));
	assert_int_equal(errno, EEXIST);
	assert_int_equal(lstat(victim, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_gid, getegid());
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
}

/* A group is set in a private directory, which goes afterwards. */
static void
test_group_and_mode(void **state)
{
	struct fixture *f = *state;
	char path[128], cmd[256];
	struct ctl_server *s2;
	struct stat st;
	struct group *gr = getgrnam("daemon");

	if (gr == NULL || geteuid() != 0)
		skip();
	snprintf(path, sizeof(path), "%s/grp.sock", f->dir);
	s2 = ctl_server_create(path, 0640, "daemon", methods, 1, NULL);
	assert_non_null(s2);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(st.st_gid, gr->gr_gid);
	/* nothing else is left in the directory */
	snprintf(cmd, sizeof(cmd), "test \"$(ls -A %s | grep -c dplbd)\" = 0",
		 f->dir);
	assert_int_equal(system(cmd), 0);
	ctl_server_destroy(s2);
	assert_int_equal(access(path, F_OK), -1);
}

static void
test_poll_timeout(void **state)
{
	struct fixture *f = *state;
	double t0 = now();

	assert_int_equal(ctl_server_poll(f->srv, 50), 0);
	assert_true(now() - t0 >= 0.04 && now() - t0 < 1.0);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_socket_created),
		T(test_stale_socket_replaced),
		T(test_pipelined),
		T(test_split_request),
		T(test_oversized_line),
		T(test_max_line_accepted),
		T(test_malformed),
		T(test_unknown_method),
		T(test_half_close),
		T(test_many_clients),
		T(test_disconnect_mid_request),
		T(test_close_hook),
		T(test_flood_never_reads),
		T(test_poll_budget),
		T(test_client_limit),
		T(test_poll_timeout),
		T(test_idle_timeout),
		T(test_uid_cap_and_root_slots),
		T(test_symlink_not_followed),
		T(test_group_and_mode),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
