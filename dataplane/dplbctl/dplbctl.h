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

typedef void (*print_fn)(json_object *result);

/**
 * Call, then print: pretty JSON with --json (or when pr is NULL),
 * otherwise pr(result).  Returns the exit code.
 */
int run_call(const struct opts *o, const char *method, json_object *params,
	     print_fn pr);

void print_json(json_object *obj);

/** Print "dplbctl: <msg>" and the usage to stderr; returns EXIT_USAGE. */
/** Copy src into dst (len bytes) in upper case: "tcp" -> "TCP". */
void str_upper(char *dst, const char *src, size_t len);

int usage_error(const struct command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** True when any argument is -h or --help (then usage went to stdout). */
bool wants_help(const struct command *cmd, int argc, char **argv);

bool is_verb(const char *arg, const char *verb);

/* String of obj[key]: strings as is, numbers/bools as JSON text; dflt
 * when missing or null. */
const char *jstr(json_object *obj, const char *key, const char *dflt);
long long jint(json_object *obj, const char *key, long long dflt);
bool jbool(json_object *obj, const char *key);
json_object *jget(json_object *obj, const char *key);

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
/* cmd_lb.c: the load balancer (service, its alias lb, dest, laddr) */
extern const struct command cmd_service, cmd_lb, cmd_dest, cmd_laddr;
/* cmd_conn.c: the load balancer's connections */
extern const struct command cmd_conn;

#endif /* DPLBCTL_H */
