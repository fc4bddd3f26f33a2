/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * save and restore, as ipvsadm-save and ipvsadm-restore: save prints the
 * load balancer's live state (local address groups, services, dests) as
 * dplbctl commands, one a line, in an order that restores it; restore
 * reads such lines (a file, or stdin) and runs them in order, stopping
 * at the first that fails, whose error names the file and line.
 *
 *   dplbctl save > lb.saved         dplbctl restore lb.saved
 *   dplbctl -S /run/a.sock save | dplbctl -S /run/b.sock restore
 *
 * A saved line is also a shell command ("dplbctl service add ..."), and
 * restore takes lines with or without the leading "dplbctl".  Restore
 * adds to what dplbd has: "dplbctl service flush" first for a copy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dplbctl.h"
#include "version.h"

#define LINE_MAX_LEN 4096
#define LINE_MAX_ARGS 64

/* ---- save ------------------------------------------------------------------ */

static void
save_laddrs(json_object *groups)
{
	size_t i, j;

	for (i = 0; i < jlen(groups, "laddr.list's result"); i++) {
		json_object *g = jidx(groups, i);
		json_object *as = jget(g, "addresses");
		const char *name = jstr(g, "group", "?");
		size_t n = jlen(as, NULL);

		if (n == 0)
			printf("dplbctl laddr add %s\n", name);
		for (j = 0; j < n; j++)
			printf("dplbctl laddr add %s %s\n", name,
			       json_object_get_string(
				       json_object_array_get_idx(as, j)));
	}
}

/* "-t VIP:PORT" / "-u [VIP6]:PORT" of a service. */
static void
svc_opt_text(json_object *s, char *buf, size_t len)
{
	const char *vip = jstr(s, "vip", "?");

	snprintf(buf, len, strchr(vip, ':') ? "-%c [%s]:%lld" : "-%c %s:%lld",
		 strcmp(jstr(s, "proto", "tcp"), "udp") == 0 ? 'u' : 't', vip,
		 jint(s, "port", 0));
}

static void
save_service(json_object *s, const char *key)
{
	json_object *fl = jget(s, "flags");
	const char *mask = jstr(s, "netmask", "255.255.255.255");
	char sched_flags[128] = "";
	size_t i;

	printf("dplbctl service add %s -s %s", key, jstr(s, "sched", "wlc"));
	if (jint(s, "persistent", 0) > 0) {
		printf(" -p %lld", jint(s, "persistent", 0));
		if (strcmp(mask, "255.255.255.255") != 0)
			printf(" -M %s", mask);
	}
	for (i = 0; i < jlen(fl, NULL); i++) {
		const char *f = json_object_get_string(
			json_object_array_get_idx(fl, i));

		if (strcmp(f, "one-packet") == 0)
			printf(" -o");
		else if (strcmp(f, "expire-quiescent") == 0)
			printf(" --expire-quiescent");
		else
			snprintf(sched_flags + strlen(sched_flags),
				 sizeof(sched_flags) - strlen(sched_flags),
				 "%s%s", sched_flags[0] ? "," : "", f);
	}
	if (sched_flags[0] != '\0')
		printf(" -b %s", sched_flags);
	if (jget(s, "laddr_group") != NULL)
		printf(" -l %s", jstr(s, "laddr_group", ""));
	putchar('\n');
}

static void
save_dest(json_object *d, const char *key, long long svc_port)
{
	static const char *const fwd_opt[][2] = {
		{ "fnat", "-b" }, { "nat", "-m" }, { "dr", "-g" },
		{ "tunnel", "-i" },
	};
	const char *addr = jstr(d, "addr", "?"), *fwd = jstr(d, "fwd", "fnat");
	long long port = jint(d, "port", 0);
	size_t i;

	printf("dplbctl dest add %s -r ", key);
	if (port == svc_port)	/* the service's port: dport 0 */
		printf(strchr(addr, ':') ? "[%s]" : "%s", addr);
	else
		printf(strchr(addr, ':') ? "[%s]:%lld" : "%s:%lld", addr, port);
	printf(" -w %lld", jint(d, "weight", 1));
	for (i = 0; i < sizeof(fwd_opt) / sizeof(fwd_opt[0]); i++)
		if (strcmp(fwd, fwd_opt[i][0]) == 0)
			break;
	if (i < sizeof(fwd_opt) / sizeof(fwd_opt[0]))
		printf(" %s", fwd_opt[i][1]);
	else
		printf(" --fwd %s", fwd);
	if (jint(d, "u_threshold", 0) != 0)
		printf(" -x %lld", jint(d, "u_threshold", 0));
	if (jint(d, "l_threshold", 0) != 0)
		printf(" -y %lld", jint(d, "l_threshold", 0));
	putchar('\n');
}

static void
save_services(json_object *svcs)
{
	char key[96];
	size_t i, j;

	for (i = 0; i < jlen(svcs, "service.list's result"); i++) {
		json_object *s = jidx(svcs, i);
		json_object *ds = jget(s, "dests");

		svc_opt_text(s, key, sizeof(key));
		save_service(s, key);
		for (j = 0; j < jlen(ds, NULL); j++)
			save_dest(jidx(ds, j), key,
				  jint(s, "port", 0));
	}
}

/* {"laddrs": laddr.list's result, "services": service.list's} */
static void
save_print(json_object *both)
{
	printf("# dplbctl save (dplb %s): local address groups, "
	       "services, dests\n", DPLB_VERSION);
	save_laddrs(jget(both, "laddrs"));
	save_services(jget(both, "services"));
}

static int
save_run(const struct opts *o, int argc, char **argv)
{
	json_object *groups = NULL, *svcs = NULL, *both;
	struct opts quiet = *o;
	int rc;

	if (wants_help(&cmd_save, argc, argv))
		return EXIT_OK;
	if (argc > 1)
		return usage_error(&cmd_save, "unexpected argument '%s'",
				   argv[1]);
	quiet.json = true;
	rc = ctl_call(&quiet, "laddr.list", NULL, &groups);
	if (rc == EXIT_OK)
		rc = ctl_call(&quiet, "service.list", NULL, &svcs);
	if (rc != EXIT_OK) {
		json_object_put(groups);
		json_object_put(svcs);
		return rc;
	}
	both = json_object_new_object();
	json_object_object_add(both, "laddrs", groups);
	json_object_object_add(both, "services", svcs);
	rc = print_checked("laddr.list and service.list", save_print, both);
	json_object_put(both);
	if (rc == EXIT_OK && fflush(stdout) != 0)
		rc = EXIT_SERVER;
	return rc;
}

const struct command cmd_save = {
	.name = "save",
	.run = save_run,
	.summary = "print the services as commands (ipvsadm-save)",
	.usage = "Usage: dplbctl save\n"
		 "Print the local address groups, virtual services and their "
		 "dests as\ndplbctl commands, one a line, that dplbctl restore "
		 "(or a shell) replays.\n",
};

/* ---- restore --------------------------------------------------------------- */

/* What a saved line may run: the load balancer's commands. */
static const struct command *const restorable[] = {
	&cmd_service, &cmd_lb, &cmd_dest, &cmd_laddr,
};

/* Split line into argv (spaces and tabs); returns argc, -1 if too many. */
static int
split(char *line, char **argv)
{
	char *save, *tok;
	int n = 0;

	for (tok = strtok_r(line, " \t\r\n", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == LINE_MAX_ARGS)
			return -1;
		argv[n++] = tok;
	}
	argv[n] = NULL;
	return n;
}

static int
restore_line(const struct opts *o, char *line)
{
	char *argv[LINE_MAX_ARGS + 1], **av = argv;
	int argc = split(line, argv);
	size_t i;

	if (argc < 0)
		return usage_error(&cmd_restore, "more than %d words",
				   LINE_MAX_ARGS);
	if (argc > 0 && strcmp(av[0], "dplbctl") == 0) {
		av++;
		argc--;
	}
	if (argc == 0 || av[0][0] == '#')
		return EXIT_OK;
	for (i = 0; i < sizeof(restorable) / sizeof(restorable[0]); i++)
		if (strcmp(av[0], restorable[i]->name) == 0)
			return restorable[i]->run(o, argc, av);
	return usage_error(&cmd_restore, "'%s' cannot be restored (service, "
			   "dest and laddr commands can)", av[0]);
}

static int
restore_run(const struct opts *o, int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "-";
	char line[LINE_MAX_LEN + 2], where[LINE_MAX_LEN];
	unsigned int lineno = 0;
	int rc = EXIT_OK;
	FILE *f;

	if (wants_help(&cmd_restore, argc, argv))
		return EXIT_OK;
	if (argc > 2)
		return usage_error(&cmd_restore, "unexpected argument '%s'",
				   argv[2]);
	f = strcmp(name, "-") == 0 ? stdin : fopen(name, "r");
	if (f == NULL) {
		fprintf(stderr, "dplbctl: restore: cannot read %s: %m\n", name);
		return EXIT_USAGE;
	}
	if (f == stdin)
		name = "stdin";
	while (rc == EXIT_OK && fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		snprintf(where, sizeof(where), "restore: %s:%u", name, lineno);
		err_where = where;
		if (strchr(line, '\n') == NULL && !feof(f))
			rc = usage_error(&cmd_restore, "line longer than %d "
					 "characters", LINE_MAX_LEN);
		else
			rc = restore_line(o, line);
	}
	err_where = NULL;
	if (rc == EXIT_OK && ferror(f)) {
		fprintf(stderr, "dplbctl: restore: error reading %s\n", name);
		rc = EXIT_USAGE;
	}
	if (f != stdin)
		fclose(f);
	return rc;
}

const struct command cmd_restore = {
	.name = "restore",
	.run = restore_run,
	.summary = "run saved commands (ipvsadm-restore)",
	.usage = "Usage: dplbctl restore [FILE|-]\n"
		 "Run the service, dest and laddr commands of FILE (default: "
		 "stdin), one a\nline, as dplbctl save prints them (the word "
		 "dplbctl may lead; # starts a\ncomment line).  Stops at the "
		 "first line that fails and names it.  Adds to\nwhat dplbd has: "
		 "flush first (dplbctl service flush) to replace it.\n",
};
