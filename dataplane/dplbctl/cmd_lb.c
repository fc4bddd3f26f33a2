/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * service (alias lb), dest and laddr: the load balancer's commands, in
 * ipvsadm's words and layout so that its users read them at a glance:
 *
 *   dplbctl service show [--stats] [--exact]   ~ ipvsadm -Ln [--stats]
 *   dplbctl service add -t VIP:PORT -s rr      ~ ipvsadm -A -t ... -s rr
 *   dplbctl dest add -t VIP:PORT -r RIP:PORT -w 1 -b   (-b: full-NAT)
 *
 * Options are checked for syntax here (usage errors, exit 2); dplbd
 * decides whether the values make sense.  --json (or -j) anywhere
 * prints the result as JSON, like the global -j.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dplbctl.h"
#include "inet.h"
#include "table.h"
#include "version.h"

/* Options common to the service and dest verbs. */
struct lb_args {
	const char *proto;	/* "tcp" / "udp" */
	char vip[INET_ADDR_STRLEN];
	long port;		/* -1: not given */
	json_object *p;		/* the request's params */
	bool exact;
};

/* getopt_long on argv[0..argc) (argv[0] is the verb), from scratch. */
static void
getopt_reset(void)
{
	optind = 0;	/* glibc: reinitialise, also forgets "+" scanning */
	opterr = 0;
}

/* --json anywhere after the command; removed from argv. */
static int
take_json(const struct opts *o, struct opts *local, int argc, char **argv)
{
	int i, n = 0;

	*local = *o;
	for (i = 0; i < argc; i++) {
		if (i > 0 && (strcmp(argv[i], "--json") == 0 ||
			      strcmp(argv[i], "-j") == 0)) {
			local->json = true;
			continue;
		}
		argv[n++] = argv[i];
	}
	return n;
}

static bool
parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return false;
	*out = strtoul(s, &end, 10);
	return *end == '\0' && *out <= max;
}

/* "198.18.0.100:80" or "[2001:db8::1]:80"; port_required = 0 allows a
 * bare address (dest: port = the service's). */
static bool
parse_addr_port(const char *s, char *addr, size_t alen, long *port,
		bool port_required)
{
	const char *colon;
	unsigned long v;
	struct inet_addr a;
	size_t n;

	if (s[0] == '[') {
		colon = strstr(s, "]:");
		n = colon ? (size_t)(colon - s - 1) : 0;
		/* "[2001:db8::5]": a bracketed address without a port */
		if (colon == NULL && strlen(s) > 2 && s[strlen(s) - 1] == ']')
			n = strlen(s) - 2;
		s++;
		if (colon != NULL)
			colon++;
	} else {
		colon = strrchr(s, ':');
		n = colon ? (size_t)(colon - s) : strlen(s);
		/* a bare IPv6 address has more than one ':' */
		if (colon != NULL && strchr(s, ':') != colon)
			colon = NULL, n = strlen(s);
	}
	if (n == 0 || n >= alen)
		return false;
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (inet_addr_parse(addr, &a) != 0)
		return false;
	if (colon == NULL) {
		*port = -1;
		return !port_required;
	}
	if (!parse_ulong(colon + 1, 65535, &v))
		return false;
	*port = (long)v;
	return true;
}

static void
p_str(json_object *p, const char *k, const char *v)
{
	json_object_object_add(p, k, json_object_new_string(v));
}

static void
p_int(json_object *p, const char *k, long long v)
{
	json_object_object_add(p, k, json_object_new_int64(v));
}

/* -t/-u VIP:PORT into a, as params proto, vip, port. */
static int
svc_opt(const struct command *cmd, struct lb_args *a, const char *proto,
	const char *arg)
{
	if (a->proto != NULL)
		return usage_error(cmd, "give one of -t and -u, once");
	if (!parse_addr_port(arg, a->vip, sizeof(a->vip), &a->port, true))
		return usage_error(cmd, "invalid service address '%s' "
				   "(expected VIP:PORT)", arg);
	a->proto = proto;
	p_str(a->p, "proto", proto);
	p_str(a->p, "vip", a->vip);
	p_int(a->p, "port", a->port);
	return EXIT_OK;
}

/* ---- service -------------------------------------------------------------- */

static const char *
fwd_ipvs(const char *fwd)
{
	if (strcmp(fwd, "fnat") == 0)
		return "FullNat";
	if (strcmp(fwd, "nat") == 0)
		return "Masq";
	if (strcmp(fwd, "dr") == 0)
		return "Route";
	if (strcmp(fwd, "tunnel") == 0)
		return "Tunnel";
	return fwd;
}

/* "TCP  198.18.0.100:80" as ipvsadm names a service. */
static void
svc_name(json_object *s, char *buf, size_t len)
{
	char proto[8];
	const char *vip = jstr(s, "vip", "?");

	str_upper(proto, jstr(s, "proto", "?"), sizeof(proto));
	snprintf(buf, len, strchr(vip, ':') ? "%s  [%s]:%lld" : "%s  %s:%lld",
		 proto, vip, jint(s, "port", 0));
}

static void
dest_name(json_object *d, char *buf, size_t len)
{
	const char *addr = jstr(d, "addr", "?");

	snprintf(buf, len, strchr(addr, ':') ? "[%s]:%lld" : "%s:%lld", addr,
		 jint(d, "port", 0));
}

/* ipvsadm's print_largenum: K/M/G/T past 8 digits unless --exact. */
static void
largenum(unsigned long long v, bool exact)
{
	static const char units[] = "KMGT";
	unsigned int u = 0;

	if (exact) {
		int n = snprintf(NULL, 0, "%llu", v);

		printf("%*llu", n <= 8 ? 9 : n + 1, v);
		return;
	}
	if (v < 100000000ULL) {
		printf("%9llu", v);
		return;
	}
	v /= 1000;
	while (v >= 100000000ULL / 10 && u < 3) {	/* keep 8 columns */
		v /= 1000;
		u++;
	}
	printf("%8llu%c", v, units[u]);
}

static char lb_version[64] = DPLB_VERSION;
static long long lb_size;
static bool lb_exact;
static bool lb_persist_view;	/* --persistent-conn */
static bool lb_thresholds_view;	/* --thresholds */
static bool lb_sort;		/* --sort */

/* ---- --sort: services by protocol, address, port; dests by address, port */

static int
cmp_addr_port(json_object *a, json_object *b, const char *addr_key)
{
	struct inet_addr x, y;
	int c;

	if (inet_addr_parse(jstr(a, addr_key, ""), &x) == 0 &&
	    inet_addr_parse(jstr(b, addr_key, ""), &y) == 0) {
		c = x.family != y.family ? (x.family < y.family ? -1 : 1) :
		    x.family == AF_INET ? memcmp(&x.v4, &y.v4, sizeof(x.v4)) :
		    memcmp(&x.v6, &y.v6, sizeof(x.v6));
	} else {
		c = strcmp(jstr(a, addr_key, ""), jstr(b, addr_key, ""));
	}
	if (c != 0)
		return c;
	return jint(a, "port", 0) < jint(b, "port", 0) ? -1 :
	       jint(a, "port", 0) > jint(b, "port", 0);
}

static int
cmp_dest(const void *a, const void *b)
{
	return cmp_addr_port(*(json_object *const *)a,
			     *(json_object *const *)b, "addr");
}

static int
cmp_service(const void *pa, const void *pb)
{
	json_object *a = *(json_object *const *)pa, *b = *(json_object *const *)pb;
	int c = strcmp(jstr(a, "proto", ""), jstr(b, "proto", ""));

	return c != 0 ? c : cmp_addr_port(a, b, "vip");
}

static void
sort_services(json_object *res)
{
	size_t i;

	if (jlen(res, NULL) == 0)
		return;
	json_object_array_sort(res, cmp_service);
	for (i = 0; i < jlen(res, NULL); i++) {
		json_object *ds = jget(json_object_array_get_idx(res, i),
				       "dests");

		if (jlen(ds, NULL) > 0)
			json_object_array_sort(ds, cmp_dest);
	}
}

static void
service_print(json_object *res)
{
	char name[INET_ADDR_STRLEN + 16], flags[128];
	size_t i, j, k;

	if (lb_sort)
		sort_services(res);
	printf("IP Virtual Server version dplb %s (size=%lld)\n", lb_version,
	       lb_size);
	printf("Prot LocalAddress:Port Scheduler Flags\n");
	if (lb_thresholds_view)
		printf("  -> RemoteAddress:Port           Uthreshold Lthreshold "
		       "ActiveConn InActConn\n");
	else if (lb_persist_view)
		printf("  -> RemoteAddress:Port           Weight    PersistConn "
		       "ActiveConn InActConn\n");
	else
		printf("  -> RemoteAddress:Port           Forward Weight "
		       "ActiveConn InActConn\n");
	for (i = 0; i < jlen(res, "the result"); i++) {
		json_object *s = jidx(res, i);
		json_object *fl = jarr(s, "flags"), *ds = jarr(s, "dests");
		const char *mask = jstr(s, "netmask", "255.255.255.255");

		svc_name(s, name, sizeof(name));
		printf("%s %s", name, jstr(s, "sched", "?"));
		if (jint(s, "persistent", 0) > 0) {
			printf(" persistent %lld", jint(s, "persistent", 0));
			if (strcmp(mask, "255.255.255.255") != 0)
				printf(" mask %s", mask);
		}
		flags[0] = '\0';
		for (k = 0; k < jlen(fl, NULL); k++) {
			const char *f = jidx_str(fl, k, "?");

			if (strcmp(f, "one-packet") == 0) {
				printf(" ops");
				continue;
			}
			snprintf(flags + strlen(flags),
				 sizeof(flags) - strlen(flags), "%s%s",
				 flags[0] ? "," : "", f);
		}
		if (jint(s, "half_open_max", 0) > 0)
			snprintf(flags + strlen(flags),
				 sizeof(flags) - strlen(flags),
				 "%shalf-open-max %lld", flags[0] ? "," : "",
				 jint(s, "half_open_max", 0));
		if (jint(s, "conn_rate", 0) > 0)
			snprintf(flags + strlen(flags),
				 sizeof(flags) - strlen(flags),
				 "%sconn-rate %lld/%lld", flags[0] ? "," : "",
				 jint(s, "conn_rate", 0),
				 jint(s, "conn_rate_prefix", 24));
		if (flags[0] != '\0')
			printf(" (%s)", flags);
		putchar('\n');
		for (j = 0; j < jlen(ds, NULL); j++) {
			json_object *d = jidx(ds, j);

			dest_name(d, name, sizeof(name));
			if (lb_thresholds_view)
				printf("  -> %-28s %-10lld %-10lld %-10lld "
				       "%-9lld\n", name, jint(d, "u_threshold", 0),
				       jint(d, "l_threshold", 0),
				       jint(d, "active_conns", 0),
				       jint(d, "inactive_conns", 0));
			else if (lb_persist_view)
				printf("  -> %-28s %-9lld %-11lld %-10lld "
				       "%-9lld\n", name, jint(d, "weight", 0),
				       jint(d, "persistent_conns", 0),
				       jint(d, "active_conns", 0),
				       jint(d, "inactive_conns", 0));
			else
				printf("  -> %-28s %-7s %-6lld %-10lld "
				       "%-10lld\n", name,
				       fwd_ipvs(jstr(d, "fwd", "?")),
				       jint(d, "weight", 0),
				       jint(d, "active_conns", 0),
				       jint(d, "inactive_conns", 0));
		}
	}
}

/* One row of five counters (stats) or rates under a 33-column name. */
static const char *const stat_keys[5] = { "conns", "inpkts", "outpkts",
					  "inbytes", "outbytes" };
static const char *const stat_titles[5] = { "Conns", "InPkts", "OutPkts",
					    "InBytes", "OutBytes" };
static const char *const rate_keys[5] = { "cps", "inpps", "outpps",
					  "inbps", "outbps" };
static const char *const rate_titles[5] = { "CPS", "InPPS", "OutPPS",
					    "InBPS", "OutBPS" };

static void
counter_cols(json_object *st, const char *const *keys)
{
	size_t i;

	for (i = 0; i < 5; i++)
		largenum((unsigned long long)jint(st, keys[i], 0), lb_exact);
	putchar('\n');
}

/* ipvsadm -Ln --stats and --rate: member "stats" or "rate" of
 * stats.show's services and dests. */
static void
counters_print(json_object *res, const char *member,
	       const char *const *keys, const char *const *titles)
{
	char name[INET_ADDR_STRLEN + 16];
	size_t i, j;

	if (lb_sort)
		sort_services(res);
	printf("IP Virtual Server version dplb %s (size=%lld)\n", lb_version,
	       lb_size);
	printf("%-33s", "Prot LocalAddress:Port");
	for (i = 0; i < 5; i++)
		printf("%9s", titles[i]);
	printf("\n  -> RemoteAddress:Port\n");
	for (i = 0; i < jlen(res, "the result"); i++) {
		json_object *s = jidx(res, i);
		json_object *ds = jarr(s, "dests");

		svc_name(s, name, sizeof(name));
		printf("%-33s", name);
		counter_cols(jobj(s, member), keys);
		for (j = 0; j < jlen(ds, NULL); j++) {
			json_object *d = jidx(ds, j);

			dest_name(d, name, sizeof(name));
			printf("  -> %-28s", name);
			counter_cols(jobj(d, member), keys);
		}
	}
}

static void
stats_print(json_object *res)
{
	counters_print(res, "stats", stat_keys, stat_titles);
}

static void
rate_print(json_object *res)
{
	counters_print(res, "rate", rate_keys, rate_titles);
}

/* The header's version and size, from hello (size: the connection
 * table's, once dplbd reports one).  Returns an exit code. */
static int
fetch_header(const struct opts *o)
{
	json_object *r = NULL;
	struct opts quiet = *o;
	int rc;

	if (o->json)
		return EXIT_OK;
	quiet.json = true;
	rc = ctl_call(&quiet, "hello", NULL, &r);
	if (rc != EXIT_OK)
		return rc;
	snprintf(lb_version, sizeof(lb_version), "%s",
		 jstr(r, "version", DPLB_VERSION));
	lb_size = jint(r, "conn_table_size", 0);
	json_object_put(r);
	if (shape_failed() != NULL) {
		fprintf(stderr, "dplbctl: unexpected reply to hello: %s\n",
			shape_failed());
		return EXIT_SERVER;
	}
	return EXIT_OK;
}

static int
service_show(const struct opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "stats", no_argument, NULL, 's' },
		{ "rate", no_argument, NULL, 'r' },
		{ "persistent-conn", no_argument, NULL, 'P' },
		{ "exact", no_argument, NULL, 'X' },
		{ "thresholds", no_argument, NULL, 'T' },
		{ "sort", no_argument, NULL, 'O' },
		{ "numeric", no_argument, NULL, 'n' },
		{ "tcp-service", required_argument, NULL, 't' },
		{ "udp-service", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	struct lb_args a = { .port = -1, .p = params_new() };
	void (*print)(json_object *) = service_print;
	int c, rc = EXIT_OK;

	getopt_reset();
	while (rc == EXIT_OK &&
	       (c = getopt_long(argc, argv, "srXnt:u:", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			print = stats_print;
			break;
		case 'r':
			print = rate_print;
			break;
		case 'P':
			lb_persist_view = true;
			break;
		case 'X':
			lb_exact = true;
			break;
		case 'T':
			lb_thresholds_view = true;
			break;
		case 'O':
			lb_sort = true;
			break;
		case 'n':	/* ipvsadm -n: we never resolve names */
			break;
		case 't':
		case 'u':
			rc = svc_opt(&cmd_service, &a, c == 't' ? "tcp" : "udp",
				     optarg);
			break;
		default:
			rc = usage_error(&cmd_service, "invalid option '%s'",
					 argv[optind - 1]);
		}
	}
	if (rc == EXIT_OK && optind < argc)
		rc = usage_error(&cmd_service, "unexpected argument '%s'",
				 argv[optind]);
	if (rc != EXIT_OK) {
		json_object_put(a.p);
		return rc;
	}
	rc = fetch_header(o);
	if (rc != EXIT_OK) {
		json_object_put(a.p);
		return rc;
	}
	return run_call(o, print == service_print ? "service.list" :
						    "stats.show",
			a.p, print);
}

/* add and edit: ipvsadm -A/-E options. */

/* The checks every service or dest command line ends with. */
static int
svc_args_done(const struct command *cmd, int rc, int argc, char **argv,
	      const char *proto)
{
	if (rc == EXIT_OK && optind < argc)
		rc = usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (rc == EXIT_OK && proto == NULL)
		rc = usage_error(cmd, "-t VIP:PORT or -u VIP:PORT is required");
	return rc;
}

static int
service_change(const struct opts *o, const char *method, int argc,
	       char **argv)
{
	static const struct option lo[] = {
		{ "tcp-service", required_argument, NULL, 't' },
		{ "udp-service", required_argument, NULL, 'u' },
		{ "scheduler", required_argument, NULL, 's' },
		{ "persistent", optional_argument, NULL, 'p' },
		{ "netmask", required_argument, NULL, 'M' },
		{ "sched-flags", required_argument, NULL, 'b' },
		{ "ops", no_argument, NULL, 'o' },
		{ "expire-quiescent", no_argument, NULL, 'Q' },
		{ "laddr-group", required_argument, NULL, 'l' },
		{ "proxy-protocol", required_argument, NULL, 'P' },
		{ "toa", no_argument, NULL, 'T' },
		{ "syn-proxy", no_argument, NULL, 'Y' },
		{ "half-open-max", required_argument, NULL, 'H' },
		{ "conn-rate", required_argument, NULL, 'R' },
		{ "conn-rate-prefix", required_argument, NULL, 'X' },
		{ NULL, 0, NULL, 0 },
	};
	struct lb_args a = { .port = -1, .p = params_new() };
	json_object *flags = NULL;
	unsigned long v = 0;
	char *copy, *tok, *save;
	int c, rc = EXIT_OK;

	getopt_reset();
	while (rc == EXIT_OK &&
	       (c = getopt_long(argc, argv, "t:u:s:p::M:b:oQl:", lo, NULL)) !=
		       -1) {
		switch (c) {
		case 't':
		case 'u':
			rc = svc_opt(&cmd_service, &a, c == 't' ? "tcp" : "udp",
				     optarg);
			break;
		case 's':
			p_str(a.p, "sched", optarg);
			break;
		case 'p': {
			const char *t = optarg;

			/* ipvsadm: "-p 300" as well as "-p300"; bare = 300 */
			if (t == NULL && optind < argc &&
			    argv[optind][0] >= '0' && argv[optind][0] <= '9')
				t = argv[optind++];
			if (t == NULL)
				v = 300;
			else if (!parse_ulong(t, 4294967, &v) || v == 0)
				rc = usage_error(&cmd_service, "invalid "
						 "persistence timeout '%s'", t);
			p_int(a.p, "persistent", (long long)v);
			break;
		}
		case 'M':
			p_str(a.p, "netmask", optarg);
			break;
		case 'b':
			copy = strdup(optarg);
			for (tok = strtok_r(copy, ",", &save); tok != NULL;
			     tok = strtok_r(NULL, ",", &save)) {
				if (flags == NULL)
					flags = json_object_new_array();
				json_object_array_add(flags,
						      json_object_new_string(tok));
			}
			free(copy);
			break;
		case 'o':
		case 'Q':
		case 'T':
		case 'Y':
			if (flags == NULL)
				flags = json_object_new_array();
			json_object_array_add(flags, json_object_new_string(
				c == 'o' ? "one-packet" :
				c == 'Q' ? "expire-quiescent" :
				c == 'T' ? "toa" : "syn-proxy"));
			break;
		case 'P':
			if (strcmp(optarg, "v1") != 0 &&
			    strcmp(optarg, "v2") != 0) {
				rc = usage_error(&cmd_service, "--proxy-protocol:"
						 " v1 or v2, not '%s'", optarg);
				break;
			}
			if (flags == NULL)
				flags = json_object_new_array();
			json_object_array_add(flags, json_object_new_string(
				optarg[1] == '1' ? "proxy-protocol-v1" :
						   "proxy-protocol-v2"));
			break;
		case 'l':
			p_str(a.p, "laddr_group", optarg);
			break;
		case 'H':
		case 'R':
		case 'X':
			if (!parse_ulong(optarg, c == 'X' ? 32 : 4294967295ul,
					 &v)) {
				rc = usage_error(&cmd_service, "invalid number "
						 "'%s'", optarg);
				break;
			}
			p_int(a.p, c == 'H' ? "half_open_max" :
				   c == 'R' ? "conn_rate" : "conn_rate_prefix",
			      (long long)v);
			break;
		default:
			rc = usage_error(&cmd_service, "invalid option '%s'",
					 argv[optind - 1]);
		}
	}
	rc = svc_args_done(&cmd_service, rc, argc, argv, a.proto);
	if (flags != NULL)
		json_object_object_add(a.p, "flags", flags);
	if (rc != EXIT_OK) {
		json_object_put(a.p);
		return rc;
	}
	return run_call(o, method, a.p, print_nothing);
}

/* del and zero: only the service. */
static int
service_key_only(const struct opts *o, const char *method, bool optional,
		 int argc, char **argv)
{
	static const struct option lo[] = {
		{ "tcp-service", required_argument, NULL, 't' },
		{ "udp-service", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	struct lb_args a = { .port = -1, .p = params_new() };
	int c, rc = EXIT_OK;

	getopt_reset();
	while (rc == EXIT_OK &&
	       (c = getopt_long(argc, argv, "t:u:", lo, NULL)) != -1) {
		if (c == 't' || c == 'u')
			rc = svc_opt(&cmd_service, &a, c == 't' ? "tcp" : "udp",
				     optarg);
		else
			rc = usage_error(&cmd_service, "invalid option '%s'",
					 argv[optind - 1]);
	}
	if (rc == EXIT_OK && optind < argc)
		rc = usage_error(&cmd_service, "unexpected argument '%s'",
				 argv[optind]);
	if (rc == EXIT_OK && a.proto == NULL && !optional)
		rc = usage_error(&cmd_service, "-t VIP:PORT or -u VIP:PORT is "
				 "required");
	if (rc != EXIT_OK) {
		json_object_put(a.p);
		return rc;
	}
	return run_call(o, method, a.p, print_nothing);
}

static void
flush_print(json_object *res)
{
	(void)res;
}

static int
service_run(const struct opts *go, int argc, char **argv)
{
	const struct command *cmd = strcmp(argv[0], "lb") == 0 ? &cmd_lb :
								 &cmd_service;
	struct opts o;

	if (wants_help(cmd, argc, argv))
		return EXIT_OK;
	argc = take_json(go, &o, argc, argv);
	if (argc < 2 || argv[1][0] == '-')
		return service_show(&o, argc, argv);
	if (is_verb(argv[1], "show"))
		return service_show(&o, argc - 1, argv + 1);
	if (strcmp(argv[1], "add") == 0)
		return service_change(&o, "service.add", argc - 1, argv + 1);
	if (strcmp(argv[1], "edit") == 0)
		return service_change(&o, "service.edit", argc - 1, argv + 1);
	if (strcmp(argv[1], "del") == 0 || strcmp(argv[1], "delete") == 0)
		return service_key_only(&o, "service.del", false, argc - 1,
					argv + 1);
	if (strcmp(argv[1], "zero") == 0)
		return service_key_only(&o, "stats.zero", true, argc - 1,
					argv + 1);
	if (strcmp(argv[1], "flush") == 0) {
		if (argc > 2)
			return usage_error(&cmd_service, "unexpected argument "
					   "'%s'", argv[2]);
		return run_call(&o, "service.flush", NULL, flush_print);
	}
	return usage_error(&cmd_service, "unknown service command '%s'",
			   argv[1]);
}

#define SERVICE_USAGE(name)                                                   \
	"Usage: dplbctl " name " show [--stats|--rate [--exact]|"             \
	"--persistent-conn|--thresholds]\n"                                   \
	"                          [--sort] [-n] [-t|-u VIP:PORT]\n"           \
	"       dplbctl " name " add -t|-u VIP:PORT [-s SCHED] [-p [SECONDS]]" \
	" [-M NETMASK]\n"                                                     \
	"                          [-b FLAG,...] [-o] [--expire-quiescent]"    \
	" [-l GROUP]\n"                                                       \
	"                          [--proxy-protocol v1|v2] [--toa]"           \
	" [--syn-proxy]\n"                                                    \
	"                          [--half-open-max N] [--conn-rate N"        \
	" [--conn-rate-prefix LEN]]\n"                                        \
	"       dplbctl " name " edit -t|-u VIP:PORT [same options]\n"         \
	"       dplbctl " name " del -t|-u VIP:PORT\n"                         \
	"       dplbctl " name " flush\n"                                     \
	"       dplbctl " name " zero [-t|-u VIP:PORT]\n"                      \
	"Virtual services, shown as ipvsadm -Ln shows them.\n"                 \
	"  -t, -u VIP:PORT      TCP or UDP service; port 0 = every port\n"     \
	"  -s, --scheduler      rr wrr lc wlc sh mh fo dh lblc lblcr sed nq\n" \
	"                       (default wlc)\n"                              \
	"  -p, --persistent     persistence timeout in seconds (default 300)\n"\
	"  -M, --netmask        persistence granularity (with -p)\n"           \
	"  -b, --sched-flags    sh-port sh-fallback mh-port mh-fallback\n"     \
	"  -o, --ops            one-packet scheduling (UDP)\n"                 \
	"  -l, --laddr-group    local addresses for full-NAT dests\n"          \
	"  --proxy-protocol V   full NAT: PROXY header v1|v2 first (UDP: v2)\n"\
	"  --toa                TCP, full NAT: client address in a TCP option\n"\
	"  --syn-proxy          TCP: answer SYNs with cookies, then connect\n"  \
	"  --half-open-max N    at most N connections in SYN_RECV (0 = any)\n" \
	"  --conn-rate N        new connections/s per source network (0 = any)\n"\
	"  --conn-rate-prefix L the source network's length (default 24)\n"  \
	"  -s, --stats          (show) counters instead of dests\n"            \
	"  -r, --rate           (show) rates: conns, packets, bytes per second\n"\
	"  --persistent-conn    (show) dests with their persistence templates\n"\
	"  --thresholds         (show) dests with their connection thresholds\n"\
	"  --sort               (show) services by protocol, address, port;\n" \
	"                       dests by address, port (else in creation order)\n"\
	"  --exact              (show) exact numbers, no K/M/G/T\n"           \
	"  -n, --numeric        (show) accepted; addresses are never resolved\n"\
	"  --json               print dplbd's JSON result\n"

const struct command cmd_service = {
	.name = "service",
	.run = service_run,
	.summary = "virtual services (ipvsadm -A/-E/-D/-L)",
	.usage = SERVICE_USAGE("service"),
};

const struct command cmd_lb = {
	.name = "lb",
	.run = service_run,
	.summary = "alias of service",
	.usage = SERVICE_USAGE("lb"),
};

/* ---- dest ----------------------------------------------------------------- */

static void
dest_list_print(json_object *res)
{
	char name[INET_ADDR_STRLEN + 16];
	size_t i;

	printf("  -> RemoteAddress:Port           Forward Weight ActiveConn "
	       "InActConn\n");
	for (i = 0; i < jlen(res, "the result"); i++) {
		json_object *d = jidx(res, i);

		dest_name(d, name, sizeof(name));
		printf("  -> %-28s %-7s %-6lld %-10lld %-10lld\n", name,
		       fwd_ipvs(jstr(d, "fwd", "?")), jint(d, "weight", 0),
		       jint(d, "active_conns", 0), jint(d, "inactive_conns", 0));
	}
}

static int
dest_cmd(const struct opts *o, const char *method, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "tcp-service", required_argument, NULL, 't' },
		{ "udp-service", required_argument, NULL, 'u' },
		{ "real-server", required_argument, NULL, 'r' },
		{ "weight", required_argument, NULL, 'w' },
		{ "fullnat", no_argument, NULL, 'b' },
		{ "masquerading", no_argument, NULL, 'm' },
		{ "gatewaying", no_argument, NULL, 'g' },
		{ "ipip", no_argument, NULL, 'i' },
		{ "fwd", required_argument, NULL, 'F' },
		{ "u-threshold", required_argument, NULL, 'x' },
		{ "l-threshold", required_argument, NULL, 'y' },
		{ NULL, 0, NULL, 0 },
	};
	bool list = strcmp(method, "dest.list") == 0;
	bool del = strcmp(method, "dest.del") == 0;
	struct lb_args a = { .port = -1, .p = params_new() };
	char raddr[INET_ADDR_STRLEN];
	const char *fwd = NULL;
	bool have_r = false;
	unsigned long v;
	long rport;
	int c, rc = EXIT_OK;

	getopt_reset();
	while (rc == EXIT_OK &&
	       (c = getopt_long(argc, argv, "t:u:r:w:bmgiF:x:y:", lo, NULL)) !=
		       -1) {
		if (c != 't' && c != 'u' && c != '?' && (list ||
		    (del && c != 'r'))) {
			rc = usage_error(&cmd_dest, "option '%s' does not apply",
					 argv[optind - 1]);
			break;
		}
		switch (c) {
		case 't':
		case 'u':
			rc = svc_opt(&cmd_dest, &a, c == 't' ? "tcp" : "udp",
				     optarg);
			break;
		case 'r':
			if (!parse_addr_port(optarg, raddr, sizeof(raddr),
					     &rport, false)) {
				rc = usage_error(&cmd_dest, "invalid real server "
						 "'%s' (expected ADDR[:PORT])",
						 optarg);
				break;
			}
			have_r = true;
			p_str(a.p, "addr", raddr);
			if (rport >= 0)
				p_int(a.p, "dport", rport);
			break;
		case 'w':
		case 'x':
		case 'y':
			if (!parse_ulong(optarg, c == 'w' ? 65535 : 0x7fffffff,
					 &v)) {
				rc = usage_error(&cmd_dest, "invalid %s '%s'",
						 c == 'w' ? "weight" :
						 "threshold", optarg);
				break;
			}
			p_int(a.p, c == 'w' ? "weight" : c == 'x' ? "u_threshold" :
				   "l_threshold", (long long)v);
			break;
		case 'b':
		case 'm':
		case 'g':
		case 'i':
		case 'F':
			if (fwd != NULL) {
				rc = usage_error(&cmd_dest, "give one "
						 "forwarding method");
				break;
			}
			fwd = c == 'b' ? "fnat" : c == 'm' ? "nat" :
			      c == 'g' ? "dr" : c == 'i' ? "tunnel" : optarg;
			p_str(a.p, "fwd", fwd);
			break;
		default:
			rc = usage_error(&cmd_dest, "invalid option '%s'",
					 argv[optind - 1]);
		}
	}
	rc = svc_args_done(&cmd_dest, rc, argc, argv, a.proto);
	if (rc == EXIT_OK && !list && !have_r)
		rc = usage_error(&cmd_dest, "-r ADDR[:PORT] is required");
	if (rc != EXIT_OK) {
		json_object_put(a.p);
		return rc;
	}
	return run_call(o, method, a.p, list ? dest_list_print : print_nothing);
}

static int
dest_run(const struct opts *go, int argc, char **argv)
{
	struct opts o;

	if (wants_help(&cmd_dest, argc, argv))
		return EXIT_OK;
	argc = take_json(go, &o, argc, argv);
	if (argc < 2)
		return usage_error(&cmd_dest, "missing command");
	if (is_verb(argv[1], "show"))
		return dest_cmd(&o, "dest.list", argc - 1, argv + 1);
	if (strcmp(argv[1], "add") == 0)
		return dest_cmd(&o, "dest.add", argc - 1, argv + 1);
	if (strcmp(argv[1], "edit") == 0)
		return dest_cmd(&o, "dest.edit", argc - 1, argv + 1);
	if (strcmp(argv[1], "del") == 0 || strcmp(argv[1], "delete") == 0)
		return dest_cmd(&o, "dest.del", argc - 1, argv + 1);
	return usage_error(&cmd_dest, "unknown dest command '%s'", argv[1]);
}

const struct command cmd_dest = {
	.name = "dest",
	.run = dest_run,
	.summary = "real servers of a service (ipvsadm -a/-e/-d)",
	.usage =
	"Usage: dplbctl dest show -t|-u VIP:PORT\n"
	"       dplbctl dest add -t|-u VIP:PORT -r ADDR[:PORT] [-w WEIGHT]\n"
	"                        [-b|-m|-g|-i] [-x UPPER] [-y LOWER]\n"
	"       dplbctl dest edit -t|-u VIP:PORT -r ADDR[:PORT] [same options]\n"
	"       dplbctl dest del -t|-u VIP:PORT -r ADDR[:PORT]\n"
	"  -r, --real-server    ADDR[:PORT]; no port = the service's\n"
	"  -w, --weight         0..65535 (default 1; 0 = quiescent)\n"
	"  -b, --fullnat        full-NAT (default; the service needs -l)\n"
	"  -m, --masquerading   NAT\n"
	"  -g, --gatewaying     direct routing\n"
	"  -i, --ipip           IP-in-IP tunnel\n"
	"  --fwd fnat|nat|dr|tunnel   the same, by name\n"
	"  -x, --u-threshold    no new connections above (0 = none)\n"
	"  -y, --l-threshold    new connections again below (0 = none)\n"
	"  --json               print dplbd's JSON result\n",
};

/* ---- laddr ---------------------------------------------------------------- */

/* The groups dplbd finds too small for their servers' connection rate
 * (laddr.list "warning"), after the table, on stderr. */
static void
laddr_warnings(json_object *res)
{
	size_t i;

	for (i = 0; i < jlen(res, NULL); i++) {
		json_object *g = jidx(res, i);
		const char *w = jstr(g, "warning", NULL);

		if (w != NULL)
			fprintf(stderr, "warning: laddr group %s: %s\n",
				jstr(g, "group", "?"), w);
	}
}

static void
laddr_print(json_object *res)
{
	static const char *const hdr[] = { "GROUP", ">SERVICES", "ADDRESSES",
					   ">CONNS", ">EARLY-REUSE",
					   ">NEEDED", "PORTS PER WORKER" };
	struct table *t = table_new(7, hdr);
	char addrs[1024], ports[1024], svcs[16], conns[24], early[24],
		needed[16];
	size_t i, j;

	for (i = 0; i < jlen(res, "the result"); i++) {
		json_object *g = jidx(res, i);
		json_object *as = jarr(g, "addresses"), *ps = jarr(g, "ports");
		const char *row[7];

		addrs[0] = ports[0] = '\0';
		for (j = 0; j < jlen(as, NULL); j++)
			snprintf(addrs + strlen(addrs),
				 sizeof(addrs) - strlen(addrs), "%s%s",
				 j ? "," : "", jidx_str(as, j, "?"));
		for (j = 0; j < jlen(ps, NULL); j++) {
			json_object *p = jidx(ps, j);

			snprintf(ports + strlen(ports),
				 sizeof(ports) - strlen(ports), "%s%lld:%lld-%lld",
				 j ? " " : "", jint(p, "worker", 0),
				 jint(p, "lo", 0), jint(p, "hi", 0));
		}
		snprintf(svcs, sizeof(svcs), "%lld", jint(g, "services", 0));
		snprintf(conns, sizeof(conns), "%lld", jint(g, "conns", 0));
		snprintf(early, sizeof(early), "%lld",
			 jint(g, "lport_reuse_early", 0));
		snprintf(needed, sizeof(needed), "%lld",
			 jint(g, "addresses_needed", 0));
		row[0] = jstr(g, "group", "?");
		row[1] = svcs;
		row[2] = addrs[0] ? addrs : "-";
		row[3] = conns;
		row[4] = early;
		row[5] = needed;
		row[6] = ports;
		table_row(t, row);
	}
	table_print(t, stdout);
	laddr_warnings(res);
}

static int
laddr_run(const struct opts *go, int argc, char **argv)
{
	struct opts o;
	json_object *p;
	struct inet_addr a;
	bool add;

	if (wants_help(&cmd_laddr, argc, argv))
		return EXIT_OK;
	argc = take_json(go, &o, argc, argv);
	if (argc < 2 || is_verb(argv[1], "show")) {
		if (argc > 3)
			return usage_error(&cmd_laddr, "unexpected argument "
					   "'%s'", argv[3]);
		p = params_new();
		if (argc == 3)
			params_add(p, "group", argv[2]);
		return run_call(&o, "laddr.list", p, laddr_print);
	}
	add = strcmp(argv[1], "add") == 0;
	if (!add && strcmp(argv[1], "del") != 0 &&
	    strcmp(argv[1], "delete") != 0)
		return usage_error(&cmd_laddr, "unknown laddr command '%s'",
				   argv[1]);
	if (argc < 3)
		return usage_error(&cmd_laddr, "missing GROUP");
	if (argc > 4)
		return usage_error(&cmd_laddr, "unexpected argument '%s'",
				   argv[4]);
	if (argc == 4 && inet_addr_parse(argv[3], &a) != 0)
		return usage_error(&cmd_laddr, "invalid address '%s'", argv[3]);
	p = params_new();
	params_add(p, "group", argv[2]);
	params_add(p, "addr", argc == 4 ? argv[3] : NULL);
	return run_call(&o, add ? "laddr.add" : "laddr.del", p, print_nothing);
}

const struct command cmd_laddr = {
	.name = "laddr",
	.run = laddr_run,
	.summary = "local address groups for full-NAT",
	.usage = "Usage: dplbctl laddr show [GROUP]\n"
		 "       dplbctl laddr add GROUP [ADDR]\n"
		 "       dplbctl laddr del GROUP [ADDR]\n"
		 "Without ADDR, add creates an empty group and del deletes the "
		 "group\n(refused while a service uses it).  Every worker owns "
		 "a slice of\neach address's ports 1024-65535.\n",
};
