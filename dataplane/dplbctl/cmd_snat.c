/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * snat: source NAT rules for the servers' outbound traffic (snat.*
 * verbs, docs/control-protocol.md), shown as ipvsadm shows services.
 *
 *   dplbctl snat show
 *   dplbctl snat add src NET [dst NET] [proto P] [iif PORT] [oif PORT]
 *                    to ADDR[,ADDR...] [ports-per-worker N]
 *   dplbctl snat del src NET [dst NET] [proto P] [iif PORT] [oif PORT]
 *   dplbctl snat flush
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dplbctl.h"
#include "table.h"

static void
snat_print(json_object *res)
{
	static const char *const hdr[] = { "Prot", "FromNet", "ToNet", "InPort",
					   "OutPort", "SNAT", ">PortsPerWorker",
					   ">Conns", ">NoPort" };
	struct table *t = table_new(9, hdr);
	char addrs[1024], ppw[16], conns[24], noport[24];
	size_t i, j;

	for (i = 0; i < jlen(res, "the result"); i++) {
		json_object *r = jidx(res, i), *as = jarr(r, "addrs");
		const char *row[9];

		addrs[0] = '\0';
		for (j = 0; j < jlen(as, NULL); j++)
			snprintf(addrs + strlen(addrs),
				 sizeof(addrs) - strlen(addrs), "%s%s",
				 j ? "," : "", jidx_str(as, j, "?"));
		if (jint(r, "ports_per_worker", 0) == 0)
			snprintf(ppw, sizeof(ppw), "all");
		else
			snprintf(ppw, sizeof(ppw), "%lld",
				 jint(r, "ports_per_worker", 0));
		snprintf(conns, sizeof(conns), "%lld", jint(r, "conns", 0));
		snprintf(noport, sizeof(noport), "%lld", jint(r, "no_port", 0));
		row[0] = jstr(r, "proto", "?");
		row[1] = jstr(r, "src", "?");
		row[2] = jstr(r, "dst", "?");
		row[3] = *jstr(r, "iif", "") ? jstr(r, "iif", "") : "*";
		row[4] = *jstr(r, "oif", "") ? jstr(r, "oif", "") : "*";
		row[5] = addrs;
		row[6] = ppw;
		row[7] = conns;
		row[8] = noport;
		table_row(t, row);
	}
	table_print(t, stdout);
}

/* "a,b,c" -> ["a","b","c"] */
static json_object *
addr_list(const char *s)
{
	json_object *a = json_object_new_array();
	char buf[1024], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save))
		json_object_array_add(a, json_object_new_string(tok));
	return a;
}

static int
snat_change(const struct opts *o, int argc, char **argv, bool add)
{
	extern const struct command cmd_snat;
	struct kw kws[] = { { "src", NULL }, { "dst", NULL }, { "proto", NULL },
			    { "iif", NULL }, { "oif", NULL }, { "to", NULL },
			    { "ports-per-worker", NULL } };
	size_t n = add ? 7 : 5;
	json_object *p;
	char *end;
	int ret;

	ret = parse_kw(&cmd_snat, argc, argv, kws, n);
	if (ret != EXIT_OK)
		return ret;
	if (kws[0].val == NULL)
		return usage_error(&cmd_snat, "'src NET' is required");
	if (add && kws[5].val == NULL)
		return usage_error(&cmd_snat, "'to ADDR[,ADDR...]' is required");
	p = params_new();
	params_add(p, "src", kws[0].val);
	params_add(p, "dst", kws[1].val);
	params_add(p, "proto", kws[2].val);
	params_add(p, "iif", kws[3].val);
	params_add(p, "oif", kws[4].val);
	if (add) {
		json_object_object_add(p, "addrs", addr_list(kws[5].val));
		if (kws[6].val != NULL) {
			long v = strtol(kws[6].val, &end, 10);

			if (*end != '\0' || v < 0 || v > 65535) {
				json_object_put(p);
				return usage_error(&cmd_snat, "invalid "
						   "ports-per-worker '%s'",
						   kws[6].val);
			}
			json_object_object_add(p, "ports_per_worker",
					       json_object_new_int64(v));
		}
	}
	return run_call(o, add ? "snat.add" : "snat.del", p, print_nothing);
}

static int
snat_run(const struct opts *go, int argc, char **argv)
{
	if (wants_help(&cmd_snat, argc, argv))
		return EXIT_OK;
	if (argc < 2 || is_verb(argv[1], "show") || is_verb(argv[1], "list")) {
		if (argc > 2)
			return usage_error(&cmd_snat, "unexpected argument "
					   "'%s'", argv[2]);
		return run_call(go, "snat.list", NULL, snat_print);
	}
	if (strcmp(argv[1], "add") == 0)
		return snat_change(go, argc - 2, argv + 2, true);
	if (strcmp(argv[1], "del") == 0 || strcmp(argv[1], "delete") == 0)
		return snat_change(go, argc - 2, argv + 2, false);
	if (strcmp(argv[1], "flush") == 0 && argc == 2)
		return run_call(go, "snat.flush", NULL, print_nothing);
	return usage_error(&cmd_snat, "unknown snat command '%s'", argv[1]);
}

const struct command cmd_snat = {
	.name = "snat",
	.run = snat_run,
	.summary = "source NAT rules for the servers' outbound traffic",
	.usage = "Usage: dplbctl snat show\n"
		 "       dplbctl snat add src NET [dst NET] [proto tcp|udp|icmp|any]\n"
		 "                        [iif PORT] [oif PORT] to ADDR[,ADDR...]\n"
		 "                        [ports-per-worker N]\n"
		 "       dplbctl snat del src NET [dst NET] [proto P] [iif PORT] [oif PORT]\n"
		 "       dplbctl snat flush\n"
		 "Transit traffic from NET (to dst NET, in by iif, out by oif) leaves\n"
		 "with a source address of the pool and a source port of the owning\n"
		 "worker's slice; rules match in the order they were added.  SNAT\n"
		 "connections are listed by `dplbctl conn show` (fwd snat).\n",
};
