/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctl_server: the control socket, served from the main lcore.
 *
 * Everything is non-blocking and level-triggered.  Each client has an
 * input buffer (one partial line of at most CTL_MAX_LINE bytes plus
 * whatever complete lines are still waiting) and an output buffer.
 * Work per ctl_server_poll() call is bounded by CTL_POLL_BUDGET
 * requests; clients whose complete lines were not all served sit on a
 * backlog list and are served first on the next call, so replies stay
 * in order and the main loop keeps turning under a request flood.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl_listen_priv.h"
#include "ctl/ctl_server.h"
#include "log.h"

#define CTL_POLL_BUDGET 256		/* requests per ctl_server_poll() */
#define CTL_ACCEPT_BUDGET 64		/* accepts per ctl_server_poll() */
#define CTL_MAX_EVENTS 64
#define CTL_OUT_CAP (4u << 20)		/* unsent output before a drop */
#define CTL_IN_INIT 4096
#define CTL_IN_CAP (CTL_MAX_LINE + 2)	/* a full line plus "\r\n" */
#define CTL_CLOSE_HOOKS 4
#define CTL_SWEEP_MAX_MS 1000		/* idle sweeps at least this often */
#define CTL_SWEEP_MIN_MS 50
#define CTL_NOTE_MS 10000		/* one warning per kind this often */

/* A warning that may repeat: said at most once per CTL_NOTE_MS, with
 * how many were held back since. */
struct ctl_note {
	uint64_t next_ms;
	unsigned int held;
};

struct ctl_client {
	struct ctl_server *srv;
	int fd;
	uid_t uid;			/* the peer's, from SO_PEERCRED */
	uint64_t serial;		/* for logs and leases */
	uint64_t active_ms;		/* last request read or reply sent */
	uint32_t events;		/* current epoll mask */
	bool eof;			/* peer shut down its write side */
	bool closing;			/* close once the output is flushed */
	bool backlogged;		/* on srv->backlog */
	char *in;
	size_t in_off;			/* first unconsumed byte */
	size_t in_len;			/* end of data */
	size_t in_scan;			/* no '\n' in [in_off, in_scan) */
	size_t in_cap;
	char *out;
	size_t out_off;
	size_t out_len;
	size_t out_cap;
	ctl_close_fn close_hooks[CTL_CLOSE_HOOKS];	/* run at close */
	TAILQ_ENTRY(ctl_client) next;	/* all clients */
	TAILQ_ENTRY(ctl_client) bl_next;	/* backlog */
};

TAILQ_HEAD(client_list, ctl_client);

struct ctl_server {
	int lfd;
	int epfd;
	int spare_fd;			/* given up to shed clients on EMFILE */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct ctl_sock_id sock_id;	/* our socket file, for destroy */
	struct ctl_method *methods;	/* sorted copy */
	size_t n_methods;
	void *ctx;
	struct ctl_limits limits;
	unsigned int n_clients;
	unsigned int n_root;		/* of n_clients, uid 0 */
	uint64_t next_serial;
	uint64_t next_sweep_ms;		/* idle clients checked then */
	struct ctl_note refused_note;
	struct ctl_note idle_note;
	struct client_list clients;
	struct client_list backlog;
};

static void client_close(struct ctl_client *c, const char *why);

int
ctl_call_fail(struct ctl_call *call, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (errnum < 0)
		errnum = -errnum;
	va_start(ap, fmt);
	ctl_msg_vformat(call->errmsg, sizeof(call->errmsg), fmt, ap);
	va_end(ap);
	return -errnum;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* " (and N more since the last such message)" after a note, or "". */
static const char *
held_text(unsigned int held)
{
	static char buf[64];

	if (held == 0)
		return "";
	snprintf(buf, sizeof(buf), " (and %u more since the last such "
		 "message)", held);
	return buf;
}

/* Whether a repeatable warning about count events may be logged now;
 * when not, the events are held for the next one. */
static bool
note_due(struct ctl_note *n, uint64_t now, unsigned int count,
	 unsigned int *held)
{
	if (now < n->next_ms) {
		n->held += count;
		return false;
	}
	*held = n->held;
	n->held = 0;
	n->next_ms = now + CTL_NOTE_MS;
	return true;
}

/* ---- methods ---------------------------------------------------------- */

static int
method_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ctl_method *)a)->name,
		      ((const struct ctl_method *)b)->name);
}

static int
methods_init(struct ctl_server *s, const struct ctl_method *m, size_t n)
{
	size_t i;

	s->methods = calloc(n ? n : 1, sizeof(*m));
	if (s->methods == NULL)
		return -ENOMEM;
	if (n)
		memcpy(s->methods, m, n * sizeof(*m));
	s->n_methods = n;
	qsort(s->methods, n, sizeof(*m), method_cmp);
	for (i = 1; i < n; i++) {
		if (method_cmp(&s->methods[i - 1], &s->methods[i]) == 0) {
			LOG_ERR("control socket: method '%s' registered twice",
				s->methods[i].name);
			return -EINVAL;
		}
	}
	return 0;
}

static const struct ctl_method *
method_find(const struct ctl_server *s, const char *name)
{
	struct ctl_method key = { .name = name };

	return bsearch(&key, s->methods, s->n_methods, sizeof(key),
		       method_cmp);
}

static int
epoll_setup(struct ctl_server *s)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0)
		return -errno;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->lfd, &ev) < 0)
		return -errno;
	return 0;
}

struct ctl_server *
ctl_server_create(const char *path, mode_t mode, const char *group,
		  const struct ctl_method *methods, size_t n_methods,
		  void *ctx)
{
	struct ctl_server *s;
	const char *step = "";
	int rc;

	if (path == NULL || path[0] == '\0') {
		errno = EINVAL;
		return NULL;
	}
	if (strlen(path) >= sizeof(s->path)) {
		LOG_ERR("control socket %s: path too long", path);
		errno = ENAMETOOLONG;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->lfd = s->epfd = -1;
	s->ctx = ctx;
	s->limits = (struct ctl_limits){
		.max_clients = CTL_DEFAULT_MAX_CLIENTS,
		.root_slots = CTL_DEFAULT_ROOT_SLOTS,
		.max_per_uid = CTL_DEFAULT_MAX_PER_UID,
		.idle_timeout_ms = CTL_DEFAULT_IDLE_TIMEOUT_MS,
	};
	TAILQ_INIT(&s->clients);
	TAILQ_INIT(&s->backlog);
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	rc = methods_init(s, methods, n_methods);
	if (rc == 0) {
		rc = s->lfd = ctl_listen_open(path, mode, group, &s->sock_id,
					      &step);
		if (rc < 0)
			LOG_ERR("control socket %s: %s: %s", path, step,
				strerror(-rc));
		else
			rc = 0;
	}
	if (rc == 0)
		rc = epoll_setup(s);
	if (rc < 0) {
		ctl_server_destroy(s);
		errno = -rc;
		return NULL;
	}
	LOG_DEBUG("control socket %s: listening, %zu methods", path,
		  n_methods);
	return s;
}

/* ---- clients: epoll mask, accept, close ------------------------------- */

static void
client_update_events(struct ctl_client *c)
{
	struct epoll_event ev = { .data.ptr = c };
	uint32_t want = 0;

	if (!c->eof && !c->closing)
		want |= EPOLLIN | EPOLLRDHUP;
	if (c->out_len > c->out_off)
		want |= EPOLLOUT;
	if (want == c->events)
		return;
	ev.events = want;
	if (epoll_ctl(c->srv->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->events = want;
}

static void
client_close(struct ctl_client *c, const char *why)
{
	struct ctl_server *s = c->srv;
	unsigned int i;

	LOG_DEBUG("control client %llu: disconnected (%s)",
		  (unsigned long long)c->serial, why);
	for (i = 0; i < CTL_CLOSE_HOOKS && c->close_hooks[i] != NULL; i++)
		c->close_hooks[i](s->ctx, c->serial);
	if (c->backlogged)
		TAILQ_REMOVE(&s->backlog, c, bl_next);
	TAILQ_REMOVE(&s->clients, c, next);
	s->n_clients--;
	if (c->uid == 0)
		s->n_root--;
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

static int
client_add(struct ctl_server *s, int fd, uid_t uid)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
	struct ctl_client *c = calloc(1, sizeof(*c));

	if (c != NULL)
		c->in = malloc(CTL_IN_INIT);
	if (c == NULL || c->in == NULL) {
		free(c);
		return -ENOMEM;
	}
	c->srv = s;
	c->fd = fd;
	c->uid = uid;
	c->in_cap = CTL_IN_INIT;
	c->serial = ++s->next_serial;
	c->active_ms = now_ms();
	c->events = ev.events;
	ev.data.ptr = c;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		free(c->in);
		free(c);
		return -errno;
	}
	TAILQ_INSERT_TAIL(&s->clients, c, next);
	s->n_clients++;
	if (uid == 0)
		s->n_root++;
	LOG_DEBUG("control client %llu: connected, uid %u (%u clients)",
		  (unsigned long long)c->serial, (unsigned int)uid,
		  s->n_clients);
	return 0;
}

/* Out of descriptors: free the spare one to accept and shed a client. */
static void
accept_shed(struct ctl_server *s)
{
	int fd;

	if (s->spare_fd < 0)
		return;
	close(s->spare_fd);
	fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0)
		close(fd);
	s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	LOG_WARN("control socket: out of file descriptors, client refused");
}

/* The peer's uid; an unknown peer counts as an ordinary user. */
static uid_t
peer_uid(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    len != sizeof(cred))
		return (uid_t)-1;
	return cred.uid;
}

static unsigned int
clients_of(const struct ctl_server *s, uid_t uid)
{
	const struct ctl_client *c;
	unsigned int n = 0;

	TAILQ_FOREACH(c, &s->clients, next)
		n += c->uid == uid;
	return n;
}

/*
 * Whether uid may have one more connection: 0, or -EUSERS with why in
 * msg.  root (keepalived, dplbctl run by an operator) is bound by the
 * total only; everyone else by the slots left after root's and by the
 * cap per uid, so that no user can lock root out.
 */
static int
admit(const struct ctl_server *s, uid_t uid, char *msg, size_t len)
{
	const struct ctl_limits *l = &s->limits;
	unsigned int n;

	if (s->n_clients >= l->max_clients) {
		snprintf(msg, len, "all %u control connections are taken",
			 l->max_clients);
		return -EUSERS;
	}
	if (uid == 0)
		return 0;
	if (s->n_clients - s->n_root + l->root_slots >= l->max_clients) {
		snprintf(msg, len, "the %u control connections left are kept "
			 "for root (control_root_slots)",
			 l->max_clients - s->n_clients);
		return -EUSERS;
	}
	if (l->max_per_uid != 0 &&
	    (n = clients_of(s, uid)) >= l->max_per_uid) {
		snprintf(msg, len, "uid %u has %u control connections, the "
			 "most one user may have (control_max_per_uid)",
			 (unsigned int)uid, n);
		return -EUSERS;
	}
	return 0;
}

/*
 * One error line with id null telling a client why it is closed; best
 * effort, without waiting: the socket buffer of a connection with no
 * reply pending takes it, and the close says the rest.
 */
static void
send_note(int fd, int err, const char *why)
{
	char *line = ctl_reply_error(NULL, err, why);

	if (line != NULL)
		(void)send(fd, line, strlen(line), MSG_DONTWAIT | MSG_NOSIGNAL);
	free(line);
}

/* Refuse a connection: say why, close, log at most once per CTL_NOTE_MS. */
static void
refuse(struct ctl_server *s, int fd, uid_t uid, const char *why)
{
	unsigned int held;

	send_note(fd, EUSERS, why);
	close(fd);
	if (note_due(&s->refused_note, now_ms(), 1, &held))
		LOG_WARN("control socket: connection of uid %u refused: %s%s",
			 (unsigned int)uid, why, held_text(held));
}

static void
accept_clients(struct ctl_server *s)
{
	char why[CTL_ERRMSG_LEN];
	uid_t uid;
	int i, fd;

	for (i = 0; i < CTL_ACCEPT_BUDGET; i++) {
		fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE)
				accept_shed(s);
			else if (errno != EAGAIN && errno != EINTR &&
				 errno != ECONNABORTED)
				LOG_WARN("control socket: accept: %s",
					 strerror(errno));
			return;
		}
		uid = peer_uid(fd);
		if (admit(s, uid, why, sizeof(why)) < 0) {
			refuse(s, fd, uid, why);
			continue;
		}
		if (client_add(s, fd, uid) < 0)
			close(fd);
	}
}

/* ---- idle clients ----------------------------------------------------- */

/* A client with a close hook has objects tied to it: a lease. */
static bool
holds_lease(const struct ctl_client *c)
{
	return c->close_hooks[0] != NULL;
}

/* A request that came in since the last epoll_wait: not idle after all. */
static bool
input_pending(const struct ctl_client *c)
{
	char b;

	return recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

/*
 * Close the clients without a lease that sent no request and took no
 * reply for idle_timeout_ms, each with one error line saying so.
 */
static void
sweep_idle(struct ctl_server *s, uint64_t now)
{
	uint32_t timeout = s->limits.idle_timeout_ms, step;
	struct ctl_client *c, *next;
	char msg[CTL_ERRMSG_LEN];
	unsigned int held, n = 0;

	if (timeout == 0 || now < s->next_sweep_ms)
		return;
	step = timeout / 4;
	step = step < CTL_SWEEP_MIN_MS ? CTL_SWEEP_MIN_MS :
	       step > CTL_SWEEP_MAX_MS ? CTL_SWEEP_MAX_MS : step;
	s->next_sweep_ms = now + step;
	snprintf(msg, sizeof(msg), "idle for %u ms without a lease: closed "
		 "(control_idle_timeout)", timeout);
	for (c = TAILQ_FIRST(&s->clients); c != NULL; c = next) {
		next = TAILQ_NEXT(c, next);
		if (holds_lease(c) || c->backlogged || c->closing ||
		    now - c->active_ms < timeout || input_pending(c))
			continue;
		/* with replies still queued the line would come out of order */
		if (c->out_len == c->out_off)
			send_note(c->fd, ETIMEDOUT, msg);
		client_close(c, "idle");
		n++;
	}
	if (n > 0 && note_due(&s->idle_note, now, n, &held))
		LOG_INFO("control socket: %u idle clients closed%s", n,
			 held_text(held));
}

/* ---- output ----------------------------------------------------------- */

/* Send what we can.  Returns -1 when the client was closed. */
static int
client_flush(struct ctl_client *c)
{
	ssize_t n;

	while (c->out_len > c->out_off) {
		n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			client_close(c, strerror(errno));
			return -1;
		}
		c->out_off += (size_t)n;
		c->active_ms = now_ms();	/* it reads: not idle */
	}
	if (c->out_off == c->out_len) {
		c->out_off = c->out_len = 0;
		if (c->closing) {
			client_close(c, "closed by server");
			return -1;
		}
	}
	client_update_events(c);
	return 0;
}

static int
out_reserve(struct ctl_client *c, size_t len)
{
	size_t need, cap;
	char *p;

	if (c->out_off > 0 && c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (c->out_off > c->out_cap / 2) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	need = c->out_len + len;
	if (need <= c->out_cap)
		return 0;
	cap = c->out_cap ? c->out_cap : 4096;
	while (cap < need)
		cap *= 2;
	p = realloc(c->out, cap);
	if (p == NULL)
		return -ENOMEM;
	c->out = p;
	c->out_cap = cap;
	return 0;
}

/*
 * Queue one reply line (consumed).  A client that has let more than
 * CTL_OUT_CAP bytes pile up is not reading: drop it.  Returns -1 when
 * the client was closed.
 */
static int
client_queue(struct ctl_client *c, char *line)
{
	size_t len;

	if (line == NULL) {
		client_close(c, "out of memory building a reply");
		return -1;
	}
	if (c->out_len - c->out_off > CTL_OUT_CAP) {
		free(line);
		LOG_NOTICE("control client %llu: not reading its replies, dropped",
			   (unsigned long long)c->serial);
		client_close(c, "output limit");
		return -1;
	}
	len = strlen(line);
	if (out_reserve(c, len) < 0) {
		free(line);
		client_close(c, "out of memory queueing a reply");
		return -1;
	}
	memcpy(c->out + c->out_len, line, len);
	c->out_len += len;
	free(line);
	return 0;
}

/* ---- requests --------------------------------------------------------- */

static char *
call_method(struct ctl_client *c, const struct ctl_method *m,
	    struct ctl_request *req)
{
	struct ctl_call call = {
		.ctx = c->srv->ctx,
		.client = c,
		.method = req->method,
		.params = req->params,
	};
	int rc = m->fn(&call);

	if (rc == 0)
		return ctl_reply_ok(req->id, call.result);
	json_object_put(call.result);
	if (rc > 0) {
		LOG_WARN("control method %s returned %d, not a negative errno",
			 m->name, rc);
		rc = -EIO;
	}
	return ctl_reply_error(req->id, -rc, call.errmsg);
}

static char *
dispatch(struct ctl_client *c, const char *line, size_t len)
{
	struct ctl_request req;
	const struct ctl_method *m;
	char msg[CTL_ERRMSG_LEN];
	char *reply;
	int rc;

	rc = ctl_request_parse(line, len, &req, msg, sizeof(msg));
	if (rc < 0) {
		reply = ctl_reply_error(req.id, -rc, msg);
	} else if ((m = method_find(c->srv, req.method)) == NULL) {
		/* cut on a character boundary if it is long */
		ctl_msg_format(msg, sizeof(msg), "unknown method '%s'",
			       req.method);
		reply = ctl_reply_error(req.id, ENOSYS, msg);
	} else {
		reply = call_method(c, m, &req);
	}
	ctl_request_free(&req);
	return reply;
}

/* Answer an over-long line and close once the answer is out. */
static int
client_oversized(struct ctl_client *c)
{
	char msg[CTL_ERRMSG_LEN];

	snprintf(msg, sizeof(msg), "request line longer than %d bytes",
		 CTL_MAX_LINE);
	c->closing = true;
	c->in_off = c->in_len = c->in_scan = 0;
	LOG_DEBUG("control client %llu: oversized request",
		  (unsigned long long)c->serial);
	return client_queue(c, ctl_reply_error(NULL, EMSGSIZE, msg));
}

/*
 * Find the next line in the input buffer: sets *line and *len (without
 * "\r\n") and consumes it.  At EOF an unterminated tail counts as a
 * line, so that "printf '{...}' | socat" works.  Returns false when no
 * complete line is buffered.
 */
static bool
next_line(struct ctl_client *c, const char **line, size_t *len)
{
	char *start = c->in + c->in_off;
	char *nl;

	nl = memchr(c->in + c->in_scan, '\n', c->in_len - c->in_scan);
	if (nl == NULL) {
		c->in_scan = c->in_len;
		if (!c->eof || c->in_len == c->in_off)
			return false;
		nl = c->in + c->in_len;
		c->in_off = c->in_len;
	} else {
		c->in_off = (size_t)(nl - c->in) + 1;
	}
	c->in_scan = c->in_off;
	*line = start;
	*len = (size_t)(nl - start);
	if (*len > 0 && start[*len - 1] == '\r')
		(*len)--;
	return true;
}

static bool
has_line(const struct ctl_client *c)
{
	return c->in_len > c->in_off &&
	       (c->eof ||
		memchr(c->in + c->in_scan, '\n', c->in_len - c->in_scan));
}

static void
backlog_set(struct ctl_client *c, bool on)
{
	if (on == c->backlogged)
		return;
	if (on)
		TAILQ_INSERT_TAIL(&c->srv->backlog, c, bl_next);
	else
		TAILQ_REMOVE(&c->srv->backlog, c, bl_next);
	c->backlogged = on;
}

/*
 * Serve buffered lines within *budget, then flush.  Returns the number
 * served; *closed tells whether the client is gone.
 */
static int
client_serve(struct ctl_client *c, int *budget, bool *closed)
{
	const char *line;
	size_t len;
	int served = 0;

	*closed = false;
	while (*budget > 0 && !c->closing && next_line(c, &line, &len)) {
		if (len == 0)
			continue;
		served++;
		(*budget)--;
		c->active_ms = now_ms();
		if (len > CTL_MAX_LINE) {
			if (client_oversized(c) < 0)
				goto gone;
			break;
		}
		if (client_queue(c, dispatch(c, line, len)) < 0)
			goto gone;
	}
	if (!c->closing && c->in_len - c->in_off > CTL_MAX_LINE + 1 &&
	    !has_line(c)) {
		if (client_oversized(c) < 0)
			goto gone;
	}
	backlog_set(c, !c->closing && has_line(c));
	if (client_flush(c) < 0)
		goto gone;
	if (c->eof && !c->backlogged && c->out_len == c->out_off) {
		client_close(c, "end of input");
		goto gone;
	}
	return served;
gone:
	*closed = true;
	return served;
}

/* ---- input ------------------------------------------------------------ */

/* Make room to read: compact, then grow up to CTL_IN_CAP. */
static size_t
in_room(struct ctl_client *c)
{
	size_t cap;
	char *p;

	if (c->in_off > 0) {
		memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
		c->in_len -= c->in_off;
		c->in_scan -= c->in_off;
		c->in_off = 0;
	}
	/* idle clients keep a small buffer; only long lines grow it */
	if (c->in_cap - c->in_len < c->in_cap / 4 && c->in_cap < CTL_IN_CAP) {
		cap = c->in_cap * 2 > CTL_IN_CAP ? CTL_IN_CAP : c->in_cap * 2;
		p = realloc(c->in, cap);
		if (p != NULL) {
			c->in = p;
			c->in_cap = cap;
		}
	}
	return c->in_cap - c->in_len;
}

/* One read.  Returns -1 when the client was closed. */
static int
client_read(struct ctl_client *c)
{
	size_t room = in_room(c);
	ssize_t n;

	if (room == 0)
		return 0;	/* served below: a line or an oversize */
	n = recv(c->fd, c->in + c->in_len, room, MSG_DONTWAIT);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		client_close(c, strerror(errno));
		return -1;
	}
	if (n == 0) {
		c->eof = true;
		client_update_events(c);
		return 0;
	}
	c->in_len += (size_t)n;
	return 0;
}

static int
client_event(struct ctl_client *c, uint32_t events, int *budget)
{
	bool closed;

	if (events & EPOLLERR) {
		client_close(c, "socket error");
		return 0;
	}
	if (events & EPOLLHUP) {
		/* both directions gone: nobody to answer */
		client_close(c, "hangup");
		return 0;
	}
	if ((events & EPOLLOUT) && client_flush(c) < 0)
		return 0;
	if ((events & (EPOLLIN | EPOLLRDHUP)) && !c->eof && !c->closing &&
	    !c->backlogged && client_read(c) < 0)
		return 0;
	if (c->backlogged)
		return 0;	/* the backlog pass serves it in order */
	return client_serve(c, budget, &closed);
}

/* ---- poll ------------------------------------------------------------- */

static int
serve_backlog(struct ctl_server *s, int *budget)
{
	struct ctl_client *c;
	unsigned int n = 0, waiting = 0;
	bool closed;
	int served = 0;

	TAILQ_FOREACH(c, &s->backlog, bl_next)
		waiting++;
	/* round robin: a served client goes to the tail (or leaves) */
	while (*budget > 0 && n++ < waiting &&
	       (c = TAILQ_FIRST(&s->backlog)) != NULL) {
		backlog_set(c, false);
		served += client_serve(c, budget, &closed);
	}
	return served;
}

int
ctl_server_poll(struct ctl_server *s, int timeout_ms)
{
	struct epoll_event evs[CTL_MAX_EVENTS];
	int budget = CTL_POLL_BUDGET;
	int served, n, i;

	served = serve_backlog(s, &budget);
	if (!TAILQ_EMPTY(&s->backlog) || served > 0)
		timeout_ms = 0;
	n = epoll_wait(s->epfd, evs, CTL_MAX_EVENTS, timeout_ms);
	if (n < 0)
		return errno == EINTR ? served : -errno;
	for (i = 0; i < n; i++) {
		if (evs[i].data.ptr == NULL)
			accept_clients(s);
		else
			served += client_event(evs[i].data.ptr,
					       evs[i].events, &budget);
	}
	sweep_idle(s, now_ms());
	return served;
}

int
ctl_server_set_limits(struct ctl_server *s, const struct ctl_limits *l)
{
	if (l->max_clients == 0 || l->root_slots >= l->max_clients)
		return -EINVAL;
	s->limits = *l;
	s->next_sweep_ms = 0;
	return 0;
}

void
ctl_server_get_limits(const struct ctl_server *s, struct ctl_limits *l)
{
	*l = s->limits;
}

unsigned int
ctl_server_clients(const struct ctl_server *s)
{
	return s->n_clients;
}

int
ctl_client_on_close(struct ctl_client *c, ctl_close_fn fn)
{
	unsigned int i;

	for (i = 0; i < CTL_CLOSE_HOOKS; i++) {
		if (c->close_hooks[i] == fn)
			return 0;
		if (c->close_hooks[i] == NULL) {
			c->close_hooks[i] = fn;
			return 0;
		}
	}
	return -ENOSPC;
}

uint64_t
ctl_client_id(const struct ctl_client *c)
{
	return c->serial;
}

void
ctl_server_destroy(struct ctl_server *s)
{
	if (s == NULL)
		return;
	while (!TAILQ_EMPTY(&s->clients))
		client_close(TAILQ_FIRST(&s->clients), "server shutdown");
	if (s->lfd >= 0)
		close(s->lfd);
	ctl_listen_unlink(s->path, &s->sock_id);
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->spare_fd >= 0)
		close(s->spare_fd);
	free(s->methods);
	free(s);
}
