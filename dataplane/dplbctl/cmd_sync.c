/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sync: the connection-sync daemon of an HA pair (ipvsadm
 * --start-daemon, --stop-daemon, -L --daemon).
 *
 *   dplbctl sync show      roles, their sockets, then the counters
 *   dplbctl sync stats     the counters only
 *   dplbctl sync start master|backup [KEYWORD VALUE]...
 *   dplbctl sync stop master|backup
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dplbctl.h"
#include "table.h"

static void
roles_print(json_object *res)
{
	static const char *const hdr[] = { "STATE", "IFNAME", ">SYNCID",
					   "DEST", ">MAXLEN", "SOCKET",
					   ">AGE-S" };
	struct table *t = table_new(7, hdr);
	char age[32], dst[64];
	size_t i;

	for (i = 0; i < jlen(res, "sync.list's result"); i++) {
		json_object *s = jidx(res, i);
		json_object *k = jget(s, "socket");
		const char *err = jstr(k, "error", NULL);
		const char *row[] = { jstr(s, "state", NULL),
				      jstr(s, "ifname", NULL),
				      jstr(s, "syncid", NULL), dst,
				      jstr(k, "maxlen", NULL),
				      jbool(k, "up") ? "up" : err ? err : "down",
				      age };

		const char *addr = jstr(k, "addr", "?");
		bool v6 = strchr(addr, ':') != NULL;

		snprintf(dst, sizeof(dst), v6 ? "%s[%s]:%lld" : "%s%s:%lld",
			 jget(s, "peer") ? "peer " : "", addr,
			 jint(k, "port", 0));
		snprintf(age, sizeof(age), "%lld", jint(s, "age_ms", 0) / 1000);
		table_row(t, row);
	}
	table_print(t, stdout);
}

static void
drops_print(json_object *drops)
{
	const char *sep = "  dropped:";

	if (drops == NULL || !jisobj(drops, "\"drops\""))
		return;
	json_object_object_foreach(drops, k, v) {
		if (json_object_get_int64(v) == 0)
			continue;
		printf("%s %s %lld", sep, k, (long long)json_object_get_int64(v));
		sep = ",";
	}
	if (sep[0] == ',')
		printf("\n");
}
static void
stats_print(json_object *res)
{
	json_object *m, *b, *t, *lag;

	if (!jisobj(res, "sync.stats's result"))
		return;
	m = jget(res, "master");
	b = jget(res, "backup");
	t = jget(res, "tunables");
	lag = jget(b, "lag_ms");

	printf("master: %lld records (%lld lost, %lld from dumps), %lld sent in %lld messages (%lld bytes), %lld send errors; %lld dumps for %lld requests\n",
	       jint(m, "records", 0), jint(m, "records_lost", 0),
	       jint(m, "records_dumped", 0), jint(m, "records_sent", 0),
	       jint(m, "messages", 0), jint(m, "bytes", 0),
	       jint(m, "send_errors", 0), jint(m, "dumps", 0),
	       jint(m, "dump_requests", 0));
	printf("backup: %lld messages (%lld bytes), %lld records: %lld installed, %lld updated, %lld dropped; lag avg %s ms, max %lld ms; full dump %s\n",
	       jint(b, "messages", 0), jint(b, "bytes", 0),
	       jint(b, "records", 0), jint(b, "installed", 0),
	       jint(b, "updated", 0), jint(b, "dropped", 0),
	       jstr(lag, "avg", "-"), jint(lag, "max", 0),
	       jbool(b, "dump_complete") ? "received" :
	       jbool(b, "running") ? "awaited" : "-");
	drops_print(jget(b, "drops"));
	printf("sync_threshold %lld %lld, sync_refresh_period %lld, sync_retries %lld, full_refresh %lld, dump_rate %lld\n",
	       jint(t, "sync_threshold", 0), jint(t, "sync_period", 0),
	       jint(t, "sync_refresh_period", 0), jint(t, "sync_retries", 0),
	       jint(t, "full_refresh", 0), jint(t, "dump_rate", 0));
}

/* {"roles": sync.list's result (sync show only), "stats": sync.stats's} */
static void
sync_print(json_object *all)
{
	json_object *roles = jget(all, "roles");

	if (roles != NULL)
		roles_print(roles);
	stats_print(jget(all, "stats"));
}

static int
sync_show(const struct opts *o, bool roles)
{
	json_object *list = NULL, *stats = NULL, *all;
	int rc = EXIT_OK;

	if (roles)
		rc = ctl_call(o, "sync.list", NULL, &list);
	if (rc == EXIT_OK)
		rc = ctl_call(o, "sync.stats", NULL, &stats);
	if (rc != EXIT_OK) {
		json_object_put(list);
		return rc;
	}
	all = json_object_new_object();
	if (list != NULL)
		json_object_object_add(all, "roles", list);
	json_object_object_add(all, "stats", stats);
	if (o->json)
		print_json(all);
	else
		rc = print_checked(roles ? "sync.list and sync.stats" :
				   "sync.stats", sync_print, all);
	json_object_put(all);
	return rc;
}

/* keyword -> sync.start parameter; numbers are checked by dplbd */
static const struct {
	const char *kw, *param;
	bool number;
} start_kws[] = {
	{ "ifname", "ifname", false },
	{ "syncid", "syncid", true },
	{ "maxlen", "sync_maxlen", true },
	{ "group", "mcast_group", false },
	{ "port", "mcast_port", true },
	{ "ttl", "mcast_ttl", true },
	{ "peer", "peer", false },
	{ "threshold", "sync_threshold", true },
	{ "period", "sync_period", true },
	{ "refresh", "sync_refresh_period", true },
	{ "retries", "sync_retries", true },
	{ "full_refresh", "full_refresh", true },
	{ "dump_rate", "dump_rate", true },
};
#define N_START_KWS (sizeof(start_kws) / sizeof(start_kws[0]))

static int
sync_change(const struct opts *o, bool start, int argc, char **argv)
{
	struct kw kws[N_START_KWS];
	unsigned long v;
	json_object *p;
	size_t i;
	char *end;
	int rc;

	if (argc < 1 || (strcmp(argv[0], "master") != 0 &&
			 strcmp(argv[0], "backup") != 0))
		return usage_error(&cmd_sync, "'master' or 'backup' is required");
	for (i = 0; i < N_START_KWS; i++)
		kws[i] = (struct kw){ start_kws[i].kw, NULL };
	rc = parse_kw(&cmd_sync, argc - 1, argv + 1, kws,
		      start ? N_START_KWS : 0);
	if (rc != EXIT_OK)
		return rc;
	p = params_new();
	params_add(p, "state", argv[0]);
	for (i = 0; i < N_START_KWS; i++) {
		if (kws[i].val == NULL)
			continue;
		if (!start_kws[i].number) {
			params_add(p, start_kws[i].param, kws[i].val);
			continue;
		}
		v = strtoul(kws[i].val, &end, 10);
		if (*end != '\0' || kws[i].val[0] < '0' ||
		    kws[i].val[0] > '9' || v > 100000000 ||
		    (strcmp(kws[i].name, "syncid") == 0 && v > 255)) {
			json_object_put(p);
			return usage_error(&cmd_sync, "invalid %s '%s'%s",
					   kws[i].name, kws[i].val,
					   strcmp(kws[i].name, "syncid") == 0 ?
						   " (0..255)" : "");
		}
		json_object_object_add(p, start_kws[i].param,
				       json_object_new_int64((int64_t)v));
	}
	return run_call(o, start ? "sync.start" : "sync.stop", p,
			print_nothing);
}

static int
sync_run(const struct opts *o, int argc, char **argv)
{
	if (wants_help(&cmd_sync, argc, argv))
		return EXIT_OK;
	if (argc < 2 || is_verb(argv[1], "show") || is_verb(argv[1], "list") ||
	    is_verb(argv[1], "stats")) {
		if (argc > 2)
			return usage_error(&cmd_sync, "unexpected argument '%s'",
					   argv[2]);
		return sync_show(o, argc < 2 || !is_verb(argv[1], "stats"));
	}
	if (is_verb(argv[1], "start"))
		return sync_change(o, true, argc - 2, argv + 2);
	if (is_verb(argv[1], "stop"))
		return sync_change(o, false, argc - 2, argv + 2);
	return usage_error(&cmd_sync, "unknown sync command '%s'", argv[1]);
}

const struct command cmd_sync = {
	.name = "sync",
	.run = sync_run,
	.summary = "connection-sync daemon (ipvsadm --start-daemon, -L --daemon)",
	.usage = "Usage: dplbctl sync show        roles, sockets and counters\n"
		 "       dplbctl sync stats       counters only\n"
		 "       dplbctl sync start master|backup [ifname NAME] [syncid N]\n"
		 "                 [maxlen N] [group ADDR] [port N] [ttl N] [peer ADDR]\n"
		 "                 [threshold N] [period N] [refresh S] [retries N]\n"
		 "                 [full_refresh S] [dump_rate N]\n"
		 "       dplbctl sync stop master|backup\n"
		 "group/port/ttl: the multicast group (224.0.0.81:8848, ttl 1;\n"
		 "IPv6: ff02::/ff05:: style, ttl the hop limit);\n"
		 "peer: a unicast peer (IPv4 or IPv6) instead.  threshold, period, refresh,\n"
		 "retries: IPVS's sync_threshold, sync_refresh_period and\n"
		 "sync_retries for this node; full_refresh: a full dump every S s;\n"
		 "dump_rate: records/s a full dump sends at most.\n",
};
