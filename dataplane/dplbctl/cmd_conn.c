/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conn: the load balancer's connections, as ipvsadm -Lnc shows them.
 *
 *   dplbctl conn show [filters]     ~ ipvsadm -Lnc, every page
 *   dplbctl conn flush [filters]    drop them (released as on expiry)
 *
 * Listings are paged by dplbd (conn.list's cursor); this command asks
 * for pages until the cursor is null, printing each as it comes.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dplbctl.h"

struct conn_args {
	json_object *p;		/* filters */
	long max;		/* page size, 0: dplbd's default */
};

static bool
parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return false;
	*out = strtol(s, &end, 10);
	return *end == '\0' && *out >= lo && *out <= hi;
}

/* Filters and --max; returns EXIT_OK or a usage error. */
static int
conn_opts(const struct command *cmd, bool list, int argc, char **argv,
	  struct conn_args *a)
{
	static const struct option lo[] = {
		{ "proto", required_argument, NULL, 'p' },
		{ "client", required_argument, NULL, 'c' },
		{ "vip", required_argument, NULL, 'v' },
		{ "dest", required_argument, NULL, 'd' },
		{ "state", required_argument, NULL, 's' },
		{ "synced", no_argument, NULL, 'S' },
		{ "max", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "p:c:v:d:s:tun", lo, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (strcmp(optarg, "tcp") != 0 &&
			    strcmp(optarg, "udp") != 0)
				return usage_error(cmd, "invalid protocol '%s' "
						   "(tcp or udp)", optarg);
			params_add(a->p, "proto", optarg);
			break;
		case 't':
		case 'u':
			params_add(a->p, "proto", c == 't' ? "tcp" : "udp");
			break;
		case 'c':
			params_add(a->p, "client", optarg);
			break;
		case 'v':
			params_add(a->p, "vip", optarg);
			break;
		case 'd':
			params_add(a->p, "dest", optarg);
			break;
		case 's':
			params_add(a->p, "state", optarg);
			break;
		case 'S':
			json_object_object_add(a->p, "synced",
					       json_object_new_boolean(1));
			break;
		case 'm':
			if (!list || !parse_long(optarg, 1, 4096, &a->max))
				return usage_error(cmd, "invalid --max '%s' "
						   "(1..4096, show only)",
						   optarg);
			break;
		case 'n':	/* ipvsadm -n: never resolved anyway */
			break;
		default:
			return usage_error(cmd, "invalid option '%s'",
					   argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error(cmd, "unexpected argument '%s'",
				   argv[optind]);
	return EXIT_OK;
}

/* ipvsadm -Lnc's row, with the local address (FNAT) appended, and
 * "synced" when the entry came from the HA peer. */
static void
conn_row(json_object *e)
{
	long long exp = (jint(e, "expire_ms", 0) + 999) / 1000;
	char proto[8];

	str_upper(proto, jstr(e, "proto", "?"), sizeof(proto));
	printf("%-3s %02lld:%02lld  %-11s %-18s %-18s %-18s %s%s\n", proto,
	       exp / 60, exp % 60, jstr(e, "state", "?"),
	       jstr(e, "client", "?"), jstr(e, "vip", "?"),
	       jstr(e, "dest", "?"), jstr(e, "local", "-"),
	       jbool(e, "synced") ? "  synced" : "");
}

/* Call method page after page; each result goes to each(). */
static int
walk(const struct opts *o, const char *method, json_object *filters,
     long max, void (*each)(json_object *res, void *arg), void *arg)
{
	json_object *res, *p, *cur;
	char *cursor = NULL;
	int rc;

	do {
		p = json_object_new_object();
		json_object_object_foreach(filters, k, v)
			json_object_object_add(p, k, json_object_get(v));
		if (cursor != NULL)
			params_add(p, "cursor", cursor);
		if (max > 0)
			json_object_object_add(p, "max",
					       json_object_new_int64(max));
		free(cursor);
		cursor = NULL;
		rc = ctl_call(o, method, p, &res);
		if (rc != EXIT_OK)
			return rc;
		if (jisobj(res, "the result"))
			each(res, arg);
		cur = jget(res, "cursor");
		if (cur != NULL && json_object_is_type(cur, json_type_string))
			cursor = strdup(json_object_get_string(cur));
		else if (cur != NULL)
			shape_error("\"cursor\" is not a string");
		json_object_put(res);
		/* pages already printed stay printed: say where it broke */
		if (shape_failed() != NULL) {
			free(cursor);
			fprintf(stderr, "dplbctl: unexpected reply to %s: %s\n",
				method, shape_failed());
			return EXIT_SERVER;
		}
	} while (cursor != NULL);
	return EXIT_OK;
}

static void
show_page(json_object *res, void *arg)
{
	json_object *all = arg, *cs = jarr(res, "conns");
	size_t i;

	for (i = 0; i < jlen(cs, NULL); i++) {
		json_object *e = jidx(cs, i);

		if (e == NULL)
			return;
		if (all != NULL)
			json_object_array_add(all, json_object_get(e));
		else
			conn_row(e);
	}
	if (all == NULL)
		fflush(stdout);
}

static void
flush_page(json_object *res, void *arg)
{
	*(long long *)arg += jint(res, "flushed", 0);
}

static int
conn_run(const struct opts *go, int argc, char **argv)
{
	struct conn_args a = { .p = params_new() };
	json_object *all = NULL, *r;
	struct opts o = *go;
	long long flushed = 0;
	bool list;
	int i, n = 0, rc;

	if (wants_help(&cmd_conn, argc, argv)) {
		json_object_put(a.p);
		return EXIT_OK;
	}
	for (i = 0; i < argc; i++) {	/* --json anywhere */
		if (i > 0 && (strcmp(argv[i], "--json") == 0 ||
			      strcmp(argv[i], "-j") == 0)) {
			o.json = true;
			continue;
		}
		argv[n++] = argv[i];
	}
	argc = n;
	list = argc < 2 || argv[1][0] == '-' || is_verb(argv[1], "show");
	if (!list && strcmp(argv[1], "flush") != 0) {
		json_object_put(a.p);
		return usage_error(&cmd_conn, "unknown conn command '%s'",
				   argv[1]);
	}
	if (argc >= 2 && argv[1][0] != '-') {
		argc--;
		argv++;
	}
	rc = conn_opts(&cmd_conn, list, argc, argv, &a);
	if (rc != EXIT_OK) {
		json_object_put(a.p);
		return rc;
	}
	if (!list) {
		rc = walk(&o, "conn.flush", a.p, 0, flush_page, &flushed);
		if (rc == EXIT_OK && o.json) {
			r = json_object_new_object();
			json_object_object_add(r, "flushed",
					       json_object_new_int64(flushed));
			print_json(r);
			json_object_put(r);
		}
		json_object_put(a.p);
		return rc;
	}
	if (o.json)
		all = json_object_new_array();
	else
		printf("IPVS connection entries\n"
		       "pro expire state       source             virtual"
		       "            destination        local\n");
	rc = walk(&o, "conn.list", a.p, a.max, show_page, all);
	if (all != NULL) {
		if (rc == EXIT_OK)
			print_json(all);
		json_object_put(all);
	}
	json_object_put(a.p);
	if (rc == EXIT_OK && fflush(stdout) != 0)
		rc = EXIT_SERVER;
	return rc;
}

const struct command cmd_conn = {
	.name = "conn",
	.run = conn_run,
	.summary = "load-balanced connections (ipvsadm -Lnc)",
	.usage =
	"Usage: dplbctl conn show [FILTERS] [--max N]\n"
	"       dplbctl conn flush [FILTERS]\n"
	"Connections of every worker, as ipvsadm -Lnc shows them, plus the\n"
	"local address:port of full-NAT connections.  flush drops them as if\n"
	"they had expired (the real servers are not told).\n"
	"  -p, --proto tcp|udp     (-t, -u: the same)\n"
	"  -c, --client ADDR[:PORT]  (IPv6: ADDR or [ADDR]:PORT)\n"
	"  -v, --vip ADDR[:PORT]\n"
	"  -d, --dest ADDR[:PORT]  the real server\n"
	"  -s, --state STATE       ESTABLISHED, SYN_RECV, FIN_WAIT, "
	"TIME_WAIT,\n"
	"                          CLOSE, CLOSE_WAIT, ..., UDP\n"
	"  --synced                only those installed from the HA peer's\n"
	"                          sync (marked \"synced\" in the listing)\n"
	"  --max N                 entries per request (1..4096)\n"
	"  --json                  every connection as one JSON array\n"
	"                          (flush: {\"flushed\": N})\n",
};
