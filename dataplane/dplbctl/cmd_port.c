/* SPDX-License-Identifier: GPL-2.0-or-later */
/* port show: the ports table and, with -s, their counters. */
#include <stdio.h>
#include <string.h>

#include "dplbctl.h"
#include "table.h"

static bool show_stats;

/* "up/10G/full", "up", "down" */
static void
fmt_link(json_object *link, char *buf, size_t len)
{
	long long mbps = jint(link, "speed_mbps", 0);
	const char *duplex = jstr(link, "duplex", NULL);
	char speed[32] = "";

	if (!jbool(link, "up")) {
		snprintf(buf, len, "down");
		return;
	}
	if (mbps >= 1000 && mbps % 1000 == 0)
		snprintf(speed, sizeof(speed), "/%lldG", mbps / 1000);
	else if (mbps > 0)
		snprintf(speed, sizeof(speed), "/%lldM", mbps);
	snprintf(buf, len, "up%s%s%s", speed, duplex ? "/" : "",
		 duplex ? duplex : "");
}

static void
ports_table(json_object *res)
{
	static const char *const hdr[] = {
		"NAME", "DRIVER", "MAC", ">MTU", "LINK", "TWIN", ">RXQ", ">TXQ",
		"STEERING",
	};
	struct table *t = table_new(9, hdr);
	char link[64];
	size_t i, n = jlen(res, "the result");

	for (i = 0; i < n; i++) {
		json_object *p = jidx(res, i);
		const char *row[9];

		fmt_link(jobj(p, "link"), link, sizeof(link));
		row[0] = jstr(p, "name", NULL);
		row[1] = jstr(p, "driver", NULL);
		row[2] = jstr(p, "mac", NULL);
		row[3] = jstr(p, "mtu", NULL);
		row[4] = link;
		row[5] = jstr(p, "twin", NULL);
		row[6] = jstr(p, "rxq", NULL);
		row[7] = jstr(p, "txq", NULL);
		row[8] = jstr(p, "steering", NULL);
		table_row(t, row);
	}
	table_print(t, stdout);
}

/* One row per port ("total") and one per queue. */
static void
stats_rows(struct table *t, json_object *port)
{
	json_object *s = jobj(port, "stats");
	json_object *qs = jarr(s, "queues");
	const char *name = jstr(port, "name", NULL);
	const char *row[10] = {
		name, "total", jstr(s, "ipackets", NULL), jstr(s, "ibytes", NULL),
		jstr(s, "opackets", NULL), jstr(s, "obytes", NULL),
		jstr(s, "ierrors", NULL), jstr(s, "oerrors", NULL),
		jstr(s, "imissed", NULL), jstr(s, "rx_nombuf", NULL),
	};
	size_t i;

	table_row(t, row);
	for (i = 0; i < jlen(qs, NULL); i++) {
		json_object *q = jidx(qs, i);
		const char *qrow[10] = {
			name, jstr(q, "queue", NULL), jstr(q, "ipackets", NULL),
			jstr(q, "ibytes", NULL), jstr(q, "opackets", NULL),
			jstr(q, "obytes", NULL), jstr(q, "errors", NULL),
			NULL, NULL, NULL,
		};

		table_row(t, qrow);
	}
}

static void
stats_table(json_object *res)
{
	static const char *const hdr[] = {
		"PORT", "QUEUE", ">RX-PACKETS", ">RX-BYTES", ">TX-PACKETS",
		">TX-BYTES", ">RX-ERRORS", ">TX-ERRORS", ">RX-MISSED",
		">RX-NOMBUF",
	};
	struct table *t = table_new(10, hdr);
	size_t i, n = jlen(res, "the result");

	for (i = 0; i < n; i++)
		stats_rows(t, jidx(res, i));
	table_print(t, stdout);
}

static void
port_print(json_object *res)
{
	ports_table(res);
	if (show_stats) {
		putchar('\n');
		stats_table(res);
	}
}

static int
port_show(const struct opts *o, int argc, char **argv)
{
	const char *name = NULL;
	json_object *p;
	int i;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-s") == 0 || strcmp(argv[i], "--stats") == 0)
			show_stats = true;
		else if (argv[i][0] == '-')
			return usage_error(&cmd_port, "unknown option '%s'",
					   argv[i]);
		else if (name == NULL)
			name = argv[i];
		else
			return usage_error(&cmd_port, "unexpected argument '%s'",
					   argv[i]);
	}
	p = params_new();
	params_add(p, "name", name);
	return run_call(o, "port.list", p, port_print);
}

static int
port_run(const struct opts *o, int argc, char **argv)
{
	if (wants_help(&cmd_port, argc, argv))
		return EXIT_OK;
	if (argc < 2 || is_verb(argv[1], "show"))
		return port_show(o, argc > 2 ? argc - 2 : 0, argv + 2);
	/* "port -s" reads naturally too */
	if (argv[1][0] == '-')
		return port_show(o, argc - 1, argv + 1);
	return usage_error(&cmd_port, "unknown port command '%s'", argv[1]);
}

const struct command cmd_port = {
	.name = "port",
	.run = port_run,
	.summary = "show ports, their link and counters",
	.usage = "Usage: dplbctl port show [NAME] [-s|--stats]\n"
		 "  -s, --stats   add per-port and per-queue counters\n",
};
