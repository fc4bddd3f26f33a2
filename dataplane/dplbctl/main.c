/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dplbctl: the command-line client of dplbd's control socket.
 * Protocol and verbs: docs/control-protocol.md.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dplbctl.h"
#include "version.h"

static const struct command *const commands[] = {
	&cmd_hello, &cmd_port, &cmd_addr, &cmd_route, &cmd_neigh,
	&cmd_lcore, &cmd_drop, &cmd_config, &cmd_log, &cmd_service,
	&cmd_lb, &cmd_dest, &cmd_laddr, &cmd_snat, &cmd_conn, &cmd_vip, &cmd_sync,
	&cmd_save, &cmd_restore, &cmd_call,
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *f)
{
	size_t i;

	fputs("Usage: dplbctl [OPTIONS] COMMAND [ARGS...]\n"
	      "\n"
	      "Options:\n"
	      "  -S, --socket PATH   control socket (default $DPLB_SOCKET or "
	      DPLBCTL_DEFAULT_SOCKET ")\n"
	      "  -j, --json          print the result as JSON\n"
	      "  -t, --timeout SEC   give up after SEC seconds (default 5)\n"
	      "  -V, --version       print the version\n"
	      "  -h, --help          print this help\n"
	      "\n"
	      "Commands:\n", f);
	for (i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i]->name,
			commands[i]->summary);
	fputs("\n'dplbctl COMMAND --help' describes a command.\n"
	      "Exit status: 0 ok, 1 error from dplbd, 2 usage error, "
	      "3 dplbd unreachable.\n", f);
}

static int
bad_usage(const char *fmt, const char *arg)
{
	fputs("dplbctl: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\nTry 'dplbctl --help'.\n", stderr);
	return EXIT_USAGE;
}

/* Parse global options; returns -1 to go on, else an exit code. */
static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	opterr = 0;
	/* '+': stop at the command, whose own options come after it */
	while ((c = getopt_long(argc, argv, "+S:jt:Vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'S':
			o->socket = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 't':
			o->timeout_s = strtod(optarg, &end);
			if (*optarg == '\0' || *end != '\0' || !(o->timeout_s > 0) ||
			    o->timeout_s > 86400)
				return bad_usage("invalid timeout '%s'", optarg);
			break;
		case 'V':
			printf("dplbctl %s\n", DPLB_VERSION);
			return EXIT_OK;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			return bad_usage("invalid option '%s'", argv[optind - 1]);
		}
	}
	return -1;
}

int
main(int argc, char **argv)
{
	struct opts o = { .timeout_s = 5.0 };
	const char *env = getenv("DPLB_SOCKET");
	size_t i;
	int rc;

	o.socket = env != NULL && env[0] != '\0' ? env : DPLBCTL_DEFAULT_SOCKET;
	rc = parse_opts(argc, argv, &o);
	if (rc >= 0)
		return rc;
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[optind], "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	for (i = 0; i < N_COMMANDS; i++)
		if (strcmp(argv[optind], commands[i]->name) == 0)
			return commands[i]->run(&o, argc - optind,
						argv + optind);
	return bad_usage("unknown command '%s'", argv[optind]);
}
