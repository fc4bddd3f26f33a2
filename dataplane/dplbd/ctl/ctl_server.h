/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctl_server: the JSON control socket.  A unix stream socket served by
 * the main lcore with epoll, never by a worker.  Newline-delimited
 * requests on persistent connections; replies in request order.
 *
 * Robustness contract: malformed JSON, oversized lines (> CTL_MAX_LINE,
 * answered with EMSGSIZE, then the connection is closed), unknown
 * methods (ENOSYS), wrong parameter types (EINVAL), clients that stop
 * reading (output capped, then dropped) and clients that vanish never
 * crash dplbd and never block the main loop for long.  Idle clients
 * and greedy users cannot lock others out (struct ctl_limits): a
 * connection refused or closed for that gets one error line with id
 * null (EUSERS, ETIMEDOUT) before the close.
 */
#ifndef DPLB_CTL_SERVER_H
#define DPLB_CTL_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "ctl/ctl_proto.h"

struct ctl_server;
struct ctl_client;

/** One call of a method; handlers fill result or the error. */
struct ctl_call {
	void *ctx;			/* the server's user context */
	struct ctl_client *client;	/* the calling connection */
	const char *method;
	json_object *params;		/* an object, never NULL */
	json_object *result;		/* set on success (reference owned) */
	char errmsg[CTL_ERRMSG_LEN];	/* set on failure */
};

/** A handler returns 0 or a negative errno (message in call->errmsg). */
typedef int (*ctl_method_fn)(struct ctl_call *call);

struct ctl_method {
	const char *name;	/* "addr.add" */
	ctl_method_fn fn;
};

/** Set call->errmsg and return -errnum (handler convenience). */
int ctl_call_fail(struct ctl_call *call, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/**
 * Create the socket at path (removing a stale one), chmod it to mode,
 * chgrp it to group when group is non-empty.  methods must stay valid
 * for the server's life.  Returns NULL with errno set.
 */
struct ctl_server *ctl_server_create(const char *path, mode_t mode,
				     const char *group,
				     const struct ctl_method *methods,
				     size_t n_methods, void *ctx);

/**
 * Wait up to timeout_ms for socket activity and serve it: accept,
 * read, dispatch complete lines, write replies.  Returns the number of
 * requests served, or a negative errno on a fatal error.
 */
int ctl_server_poll(struct ctl_server *s, int timeout_ms);

/**
 * A number naming the connection for the server's life (never reused),
 * for logs and for tying objects to the connection that added them.
 */
uint64_t ctl_client_id(const struct ctl_client *c);

/** Called with the server's ctx and the client's id when it closes. */
typedef void (*ctl_close_fn)(void *ctx, uint64_t client_id);

/**
 * Run fn when c closes, however it closes (hangup, error, shutdown of
 * the server), so that objects tied to the connection (leases) go with
 * it.  Registering the same fn twice is a no-op.  -ENOSPC beyond a few.
 * A client with a close hook holds a lease and is never closed for
 * being idle.
 */
int ctl_client_on_close(struct ctl_client *c, ctl_close_fn fn);

/**
 * Limits on control connections, so that idle or greedy clients cannot
 * lock out the others (keepalived above all).
 */
struct ctl_limits {
	unsigned int max_clients;	/* connections in all */
	unsigned int root_slots;	/* of those, only uid 0 may take */
	unsigned int max_per_uid;	/* per uid other than 0; 0 = no cap */
	/* A client without a lease (no close hook) that sends no request
	 * and reads no reply for this long is closed; 0 = never. */
	unsigned int idle_timeout_ms;
};

#define CTL_DEFAULT_MAX_CLIENTS 1024
#define CTL_DEFAULT_ROOT_SLOTS 64
#define CTL_DEFAULT_MAX_PER_UID 64
#define CTL_DEFAULT_IDLE_TIMEOUT_MS 60000

/**
 * Replace the limits (the defaults above until then).  Connections
 * already open stay open.  -EINVAL when max_clients is 0 or root_slots
 * leaves no connection for other users (root_slots >= max_clients).
 */
int ctl_server_set_limits(struct ctl_server *s, const struct ctl_limits *l);
void ctl_server_get_limits(const struct ctl_server *s, struct ctl_limits *l);

/** Number of connected clients. */
unsigned int ctl_server_clients(const struct ctl_server *s);

/** Close every client and unlink the socket. */
void ctl_server_destroy(struct ctl_server *s);

#endif /* DPLB_CTL_SERVER_H */
