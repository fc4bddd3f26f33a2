/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dplbctl: shared declarations of the CLI's modules.
 *
 *   main.c      global options, command table, exit codes
 *   client.c    one request/reply exchange on the control socket
 *   table.c     aligned text tables
 *   util.c      argument and JSON helpers shared by the commands
 *   cmd_*.c     one file per group of commands (cmd_lb.c: service,
 *               dest, laddr; cmd_sync.c: the sync daemon)
 *
 * Exit codes: 0 ok, 1 the server answered with an error, 2 bad usage,
 * 3 the server could not be reached (connect, I/O, timeout, bad reply).
 */
#ifndef DPLBCTL_H
#define DPLBCTL_H

#include <stdbool.h>
#include <stdio.h>

#include <json-c/json.h>

#define DPLBCTL_DEFAULT_SOCKET "/run/dplb/dplbd.sock"

enum {
	EXIT_OK = 0,
	EXIT_SERVER = 1,
	EXIT_USAGE = 2,
	EXIT_UNREACHABLE = 3,
};

struct opts {
	const char *socket;
	bool json;
	double timeout_s;
};

/* One top-level command; argv[0] is the command's name. */
struct command {
	const char *name;
	int (*run)(const struct opts *o, int argc, char **argv);
	const char *usage;		/* "Usage: dplbctl addr ...\n" */
	const char *summary;		/* one line for dplbctl --help */
};

/* client.c */

/**
 * Call method with params (consumed; NULL = none).  Returns EXIT_OK with
 * *result set (caller puts it), or prints the error to stderr and
 * returns EXIT_SERVER or EXIT_UNREACHABLE.
 */
int ctl_call(const struct opts *o, const char *method, json_object *params,
	     json_object **result);

/* util.c */

/**
 * Where the command being run came from, for error messages: NULL
 * normally, "restore: FILE:LINE" while dplbctl restore runs a line.
 */
extern const char *err_where;

/** "dplbctl: " or "dplbctl: <err_where>: " on stderr, before a message. */
void err_prefix(void);

typedef void (*print_fn)(json_object *result);

/**
 * Call, then print: pretty JSON with --json (or when pr is NULL),
 * otherwise pr(result).  Returns the exit code.
 */
int run_call(const struct opts *o, const char *method, json_object *params,
	     print_fn pr);

void print_json(json_object *obj);

/**
 * pr(result) for a reply to `method`, all or nothing: if a printer met
 * a value of the wrong shape (jget, jlen...), nothing reaches stdout,
 * stderr names the mismatch and EXIT_SERVER is returned.
 */
int print_checked(const char *method, print_fn pr, json_object *result);

/** Print "dplbctl: <msg>" and the usage to stderr; returns EXIT_USAGE. */
/** Copy src into dst (len bytes) in upper case: "tcp" -> "TCP". */
void str_upper(char *dst, const char *src, size_t len);

int usage_error(const struct command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** True when any argument is -h or --help (then usage went to stdout). */
bool wants_help(const struct command *cmd, int argc, char **argv);

bool is_verb(const char *arg, const char *verb);

/*
 * Reading a result.  dplbd's replies have a documented shape, but a
 * printer must survive any other (a different version, a bug, something
 * else on the socket): the accessors below never crash on a wrong type,
 * and note the first mismatch instead; run_call() then prints
 * "dplbctl: unexpected reply to METHOD: WHAT" and exits 1 (EXIT_SERVER)
 * instead of printing the result.  Missing or null members read as
 * their default and are no mismatch.
 */

/** Note a mismatch (the first one is kept). */
void shape_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** The first mismatch noted, or NULL. */
const char *shape_failed(void);

/* String of obj[key]: strings as is, numbers/bools as JSON text; dflt
 * when missing or null; an array or object there is a mismatch. */
const char *jstr(json_object *obj, const char *key, const char *dflt);
/** Integer obj[key]; dflt when missing or null. */
long long jint(json_object *obj, const char *key, long long dflt);
/** Boolean obj[key]; false when missing or null. */
bool jbool(json_object *obj, const char *key);
/** obj[key] of any type; NULL when missing or null.  A non-NULL obj that
 * is not an object is a mismatch. */
json_object *jget(json_object *obj, const char *key);
/** obj[key] when it is an array (or an object for jobj); NULL when
 * missing, null, or of another type (a mismatch). */
json_object *jarr(json_object *obj, const char *key);
json_object *jobj(json_object *obj, const char *key);
/** Elements of an array; 0 for NULL or another type (a mismatch when
 * what is not NULL: "the result"). */
size_t jlen(json_object *arr, const char *what);
/** Element i of arr, which must be an object (NULL, a mismatch, if not). */
json_object *jidx(json_object *arr, size_t i);
/** Element i of arr as a string (as jstr does); dflt if another type. */
const char *jidx_str(json_object *arr, size_t i, const char *dflt);
/** v as jstr reads a member; what names it in a mismatch. */
const char *jtext(json_object *v, const char *what, const char *dflt);
/** Whether v is an object (a mismatch, named what, if not). */
bool jisobj(json_object *v, const char *what);

/* "KEYWORD VALUE" pairs after the positional arguments. */
struct kw {
	const char *name;
	const char *val;
};

/** Fill kws (n of them) from argc/argv pairs; EXIT_OK or a usage error
 * (unknown keyword, missing value, given twice). */
int parse_kw(const struct command *cmd, int argc, char **argv, struct kw *kws,
	     size_t n);

/** A print_fn for calls whose result says nothing. */
void print_nothing(json_object *res);

/** New params object from key/value string pairs, NULL value skipped. */
json_object *params_new(void);
void params_add(json_object *p, const char *key, const char *val);

/* the commands */
extern const struct command cmd_hello, cmd_port, cmd_addr, cmd_route,
	cmd_neigh, cmd_lcore, cmd_drop, cmd_config, cmd_log, cmd_call;
/* cmd_net.c too: what keepalived's VRRP drives (VIPs) */
extern const struct command cmd_vip;
/* cmd_sync.c: the connection-sync daemon */
extern const struct command cmd_sync;
/* cmd_snat.c: source NAT rules */
extern const struct command cmd_snat;
/* cmd_lb.c: the load balancer (service, its alias lb, dest, laddr) */
extern const struct command cmd_service, cmd_lb, cmd_dest, cmd_laddr;
/* cmd_conn.c: the load balancer's connections */
extern const struct command cmd_conn;
/* cmd_save.c: the load balancer's state as commands, and back */
extern const struct command cmd_save, cmd_restore;

#endif /* DPLBCTL_H */
