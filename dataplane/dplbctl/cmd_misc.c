/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hello, lcore, drop, config, log and the raw call. */
#include <stdio.h>
#include <string.h>

#include "dplbctl.h"
#include "table.h"

/* For commands that take no arguments besides an optional "show". */
static int
no_args(const struct command *cmd, int argc, char **argv, bool show_verb)
{
	int first = 1;

	if (show_verb && argc > 1 && is_verb(argv[1], "show"))
		first = 2;
	if (argc > first)
		return usage_error(cmd, "unexpected argument '%s'", argv[first]);
	return EXIT_OK;
}

/* ---- hello ---- */

static void
hello_print(json_object *res)
{
	json_object *caps = jarr(res, "capabilities");
	size_t i;

	if (!jisobj(res, "the result"))
		return;
	printf("protocol      %s\n", jstr(res, "protocol", "?"));
	printf("version       %s\n", jstr(res, "version", "?"));
	printf("boot_id       %s\n", jstr(res, "boot_id", "?"));
	printf("pid           %s\n", jstr(res, "pid", "?"));
	printf("capabilities ");
	for (i = 0; i < jlen(caps, NULL); i++)
		printf(" %s", jidx_str(caps, i, "?"));
	putchar('\n');
}

static int
hello_run(const struct opts *o, int argc, char **argv)
{
	if (wants_help(&cmd_hello, argc, argv))
		return EXIT_OK;
	if (no_args(&cmd_hello, argc, argv, false) != EXIT_OK)
		return EXIT_USAGE;
	return run_call(o, "hello", NULL, hello_print);
}

const struct command cmd_hello = {
	.name = "hello",
	.run = hello_run,
	.summary = "check that dplbd answers; protocol, version, boot id",
	.usage = "Usage: dplbctl hello\n",
};

/* ---- lcore ---- */

static long long
drops_total(json_object *drops)
{
	long long sum = 0;

	if (drops == NULL)
		return 0;
	json_object_object_foreach(drops, reason, n) {
		(void)n;
		sum += jint(drops, reason, 0);
	}
	return sum;
}

/* "dp0:rxq0:txq0,dp0(twin):rxq0:txq0,dp1:rxq-:txq>w1": no rx queue of
 * the port, frames sent through worker 1's tx queue. */
static void
fmt_queues(json_object *qs, char *buf, size_t len)
{
	size_t i, off = 0;
	char txq[32];

	buf[0] = '\0';
	for (i = 0; i < jlen(qs, NULL); i++) {
		json_object *q = jidx(qs, i);
		int n;

		if (jget(q, "tx_via") != NULL)
			snprintf(txq, sizeof(txq), ">w%s", jstr(q, "tx_via", "?"));
		else
			snprintf(txq, sizeof(txq), "%s", jstr(q, "txq", "-"));
		n = snprintf(buf + off, len - off, "%s%s%s:rxq%s:txq%s",
			     i ? "," : "", jstr(q, "port", "?"),
			     jbool(q, "twin") ? "(twin)" : "",
			     jstr(q, "rxq", "-"), txq);

		if (n < 0 || (size_t)n >= len - off)
			break;
		off += (size_t)n;
	}
	if (buf[0] == '\0')
		snprintf(buf, len, "-");
}

static void
lcore_print(json_object *res)
{
	static const char *const hdr[] = {
		">LCORE", "ROLE", ">CPU", ">WORKER", ">RX-PACKETS",
		">TX-PACKETS", ">RX-BURSTS", ">EMPTY-POLLS", ">SLEEPS",
		">DROPS", "QUEUES",
	};
	struct table *t = table_new(11, hdr);
	char drops[32], queues[512];
	size_t i, n = jlen(res, "the result");

	for (i = 0; i < n; i++) {
		json_object *l = jidx(res, i);
		const char *row[11];

		snprintf(drops, sizeof(drops), "%lld",
			 drops_total(jobj(l, "drops")));
		fmt_queues(jarr(l, "queues"), queues, sizeof(queues));
		row[0] = jstr(l, "lcore", NULL);
		row[1] = jstr(l, "role", NULL);
		row[2] = jstr(l, "cpu", NULL);
		row[3] = jstr(l, "worker", NULL);
		row[4] = jstr(l, "rx_packets", NULL);
		row[5] = jstr(l, "tx_packets", NULL);
		row[6] = jstr(l, "rx_bursts", NULL);
		row[7] = jstr(l, "empty_polls", NULL);
		row[8] = jstr(l, "sleeps", NULL);
		row[9] = jget(l, "drops") != NULL ? drops : NULL;
		row[10] = jget(l, "queues") != NULL ? queues : NULL;
		table_row(t, row);
	}
	table_print(t, stdout);
}

static int
lcore_run(const struct opts *o, int argc, char **argv)
{
	if (wants_help(&cmd_lcore, argc, argv))
		return EXIT_OK;
	if (no_args(&cmd_lcore, argc, argv, true) != EXIT_OK)
		return EXIT_USAGE;
	return run_call(o, "lcore.list", NULL, lcore_print);
}

const struct command cmd_lcore = {
	.name = "lcore",
	.run = lcore_run,
	.summary = "show lcores, their queues and counters",
	.usage = "Usage: dplbctl lcore show\n"
		 "QUEUES lists port:rxqN:txqN for each queue a worker polls;\n"
		 "\"(twin)\" marks the queues of a port's kernel twin.\n",
};

/* ---- drop ---- */

static void
drop_print(json_object *res)
{
	static const char *const hdr[] = { "REASON", ">PACKETS" };
	struct table *t = table_new(2, hdr);

	if (!jisobj(res, "the result")) {
		table_print(t, stdout);
		return;
	}
	json_object_object_foreach(res, reason, n) {
		const char *row[] = { reason, jtext(n, reason, NULL) };

		table_row(t, row);
	}
	table_print(t, stdout);
}

static int
drop_run(const struct opts *o, int argc, char **argv)
{
	if (wants_help(&cmd_drop, argc, argv))
		return EXIT_OK;
	if (no_args(&cmd_drop, argc, argv, true) != EXIT_OK)
		return EXIT_USAGE;
	return run_call(o, "drop.list", NULL, drop_print);
}

const struct command cmd_drop = {
	.name = "drop",
	.run = drop_run,
	.summary = "show packet drop counters by reason (all workers)",
	.usage = "Usage: dplbctl drop show\n",
};

/* ---- config ---- */

static int
config_run(const struct opts *o, int argc, char **argv)
{
	if (wants_help(&cmd_config, argc, argv))
		return EXIT_OK;
	if (no_args(&cmd_config, argc, argv, true) != EXIT_OK)
		return EXIT_USAGE;
	return run_call(o, "config.show", NULL, NULL);
}

const struct command cmd_config = {
	.name = "config",
	.run = config_run,
	.summary = "show the running configuration (JSON)",
	.usage = "Usage: dplbctl config show\n",
};

/* ---- log ---- */

static void
log_print(json_object *res)
{
	(void)res;
}

static int
log_run(const struct opts *o, int argc, char **argv)
{
	json_object *p;

	if (wants_help(&cmd_log, argc, argv))
		return EXIT_OK;
	if (argc < 2)
		return usage_error(&cmd_log, "missing command");
	if (strcmp(argv[1], "set") != 0)
		return usage_error(&cmd_log, "unknown log command '%s'", argv[1]);
	if (argc < 3)
		return usage_error(&cmd_log, "missing LEVEL");
	if (argc > 3)
		return usage_error(&cmd_log, "unexpected argument '%s'", argv[3]);
	p = params_new();
	params_add(p, "level", argv[2]);
	return run_call(o, "log.set", p, log_print);
}

const struct command cmd_log = {
	.name = "log",
	.run = log_run,
	.summary = "set dplbd's log level",
	.usage = "Usage: dplbctl log set LEVEL\n"
		 "LEVEL is one of err, warning, notice, info, debug.\n",
};

/* ---- call ---- */

static int
call_run(const struct opts *o, int argc, char **argv)
{
	json_object *p = NULL;

	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 ||
			  strcmp(argv[1], "--help") == 0)) {
		fputs(cmd_call.usage, stdout);
		return EXIT_OK;
	}
	if (argc < 2)
		return usage_error(&cmd_call, "missing METHOD");
	if (argc > 3)
		return usage_error(&cmd_call, "too many arguments");
	if (argc == 3) {
		p = json_tokener_parse(argv[2]);
		if (p == NULL || !json_object_is_type(p, json_type_object)) {
			json_object_put(p);
			return usage_error(&cmd_call, "JSON-PARAMS must be a "
						      "JSON object: '%s'",
					   argv[2]);
		}
	}
	return run_call(o, argv[1], p, NULL);
}

const struct command cmd_call = {
	.name = "call",
	.run = call_run,
	.summary = "send any request; print the result as JSON",
	.usage = "Usage: dplbctl call METHOD [JSON-PARAMS]\n"
		 "Example: dplbctl call addr.add "
		 "'{\"addr\":\"198.18.0.1/24\",\"dev\":\"dp0\"}'\n",
};
