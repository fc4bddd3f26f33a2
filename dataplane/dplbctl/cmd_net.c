/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * addr, route and neigh: the ip(8)-like commands.  Arguments are
 * checked for syntax here (so typos are usage errors, exit 2) and sent
 * verbatim; dplbd decides whether they make sense.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "dplbctl.h"
#include "inet.h"
#include "table.h"

static int
check_prefix(const struct command *cmd, const char *s)
{
	struct inet_prefix p;

	if (inet_prefix_parse(s, &p) < 0)
		return usage_error(cmd, "invalid prefix '%s'", s);
	return EXIT_OK;
}

static int
check_addr(const struct command *cmd, const char *s)
{
	struct inet_addr a;

	if (inet_addr_parse(s, &a) < 0)
		return usage_error(cmd, "invalid address '%s'", s);
	return EXIT_OK;
}

static int
check_dev(const struct command *cmd, const char *s)
{
	if (s == NULL)
		return usage_error(cmd, "'dev NAME' is required");
	if (s[0] == '\0' || strlen(s) > 15)
		return usage_error(cmd, "invalid device name '%s'", s);
	return EXIT_OK;
}

/* ---- addr ---- */

static void
addr_print(json_object *res)
{
	static const char *const hdr[] = { "DEV", "ADDRESS" };
	struct table *t = table_new(2, hdr);
	size_t i;

	for (i = 0; i < jlen(res, "the result"); i++) {
		json_object *a = jidx(res, i);
		const char *row[] = { jstr(a, "dev", NULL), jstr(a, "addr", NULL) };

		table_row(t, row);
	}
	table_print(t, stdout);
}

static int
addr_show(const struct opts *o, int argc, char **argv)
{
	struct kw kws[] = { { "dev", NULL } };
	json_object *p;
	int rc = parse_kw(&cmd_addr, argc, argv, kws, 1);

	if (rc != EXIT_OK)
		return rc;
	p = params_new();
	params_add(p, "dev", kws[0].val);
	return run_call(o, "addr.list", p, addr_print);
}

static int
addr_change(const struct opts *o, const char *method, int argc, char **argv)
{
	struct kw kws[] = { { "dev", NULL } };
	json_object *p;
	int rc;

	if (argc < 1)
		return usage_error(&cmd_addr, "missing PREFIX");
	rc = check_prefix(&cmd_addr, argv[0]);
	if (rc == EXIT_OK)
		rc = parse_kw(&cmd_addr, argc - 1, argv + 1, kws, 1);
	if (rc == EXIT_OK)
		rc = check_dev(&cmd_addr, kws[0].val);
	if (rc != EXIT_OK)
		return rc;
	p = params_new();
	params_add(p, "addr", argv[0]);
	params_add(p, "dev", kws[0].val);
	return run_call(o, method, p, print_nothing);
}

static int
addr_run(const struct opts *o, int argc, char **argv)
{
	if (wants_help(&cmd_addr, argc, argv))
		return EXIT_OK;
	if (argc < 2 || is_verb(argv[1], "show"))
		return addr_show(o, argc > 2 ? argc - 2 : 0, argv + 2);
	if (strcmp(argv[1], "add") == 0)
		return addr_change(o, "addr.add", argc - 2, argv + 2);
	if (strcmp(argv[1], "del") == 0 || strcmp(argv[1], "delete") == 0)
		return addr_change(o, "addr.del", argc - 2, argv + 2);
	return usage_error(&cmd_addr, "unknown addr command '%s'", argv[1]);
}

const struct command cmd_addr = {
	.name = "addr",
	.run = addr_run,
	.summary = "show, add and delete interface addresses",
	.usage = "Usage: dplbctl addr show [dev NAME]\n"
		 "       dplbctl addr add PREFIX dev NAME\n"
		 "       dplbctl addr del PREFIX dev NAME\n"
		 "Adding an address also adds its connected and local routes.\n",
};

/* ---- route ---- */

static void
route_print(json_object *res)
{
	size_t i;

	for (i = 0; i < jlen(res, "the result"); i++) {
		json_object *r = jidx(res, i);
		const char *type = jstr(r, "type", "");
		const char *via = jstr(r, "via", NULL);
		const char *dev = jstr(r, "dev", NULL);

		if (strcmp(type, "gateway") != 0 &&
		    strcmp(type, "connected") != 0 && type[0] != '\0')
			printf("%s ", type);
		printf("%s", jstr(r, "dst", "?"));
		if (via != NULL)
			printf(" via %s", via);
		if (dev != NULL)
			printf(" dev %s", dev);
		if (strcmp(type, "connected") == 0)
			printf(" scope link");
		else if (strcmp(type, "local") == 0)
			printf(" scope host");
		putchar('\n');
	}
}

static int
route_add(const struct opts *o, int argc, char **argv)
{
	struct kw kws[] = { { "via", NULL }, { "dev", NULL } };
	json_object *p;
	int rc;

	if (argc < 1)
		return usage_error(&cmd_route, "missing PREFIX");
	rc = check_prefix(&cmd_route, argv[0]);
	if (rc == EXIT_OK)
		rc = parse_kw(&cmd_route, argc - 1, argv + 1, kws, 2);
	if (rc != EXIT_OK)
		return rc;
	if (kws[0].val == NULL && kws[1].val == NULL)
		return usage_error(&cmd_route, "route add needs 'via GW' or "
					       "'dev NAME'");
	if (kws[0].val != NULL && check_addr(&cmd_route, kws[0].val) != 0)
		return EXIT_USAGE;
	if (kws[1].val != NULL && check_dev(&cmd_route, kws[1].val) != 0)
		return EXIT_USAGE;
	p = params_new();
	params_add(p, "dst", argv[0]);
	params_add(p, "via", kws[0].val);
	params_add(p, "dev", kws[1].val);
	return run_call(o, "route.add", p, print_nothing);
}

static int
route_del(const struct opts *o, int argc, char **argv)
{
	json_object *p;

	if (argc < 1)
		return usage_error(&cmd_route, "missing PREFIX");
	if (argc > 1)
		return usage_error(&cmd_route, "unexpected argument '%s'",
				   argv[1]);
	if (check_prefix(&cmd_route, argv[0]) != EXIT_OK)
		return EXIT_USAGE;
	p = params_new();
	params_add(p, "dst", argv[0]);
	return run_call(o, "route.del", p, print_nothing);
}

static int
route_run(const struct opts *o, int argc, char **argv)
{
	if (wants_help(&cmd_route, argc, argv))
		return EXIT_OK;
	if (argc < 2 || is_verb(argv[1], "show")) {
		if (argc > 2)
			return usage_error(&cmd_route, "unexpected argument '%s'",
					   argv[2]);
		return run_call(o, "route.list", NULL, route_print);
	}
	if (strcmp(argv[1], "add") == 0)
		return route_add(o, argc - 2, argv + 2);
	if (strcmp(argv[1], "del") == 0 || strcmp(argv[1], "delete") == 0)
		return route_del(o, argc - 2, argv + 2);
	return usage_error(&cmd_route, "unknown route command '%s'", argv[1]);
}

const struct command cmd_route = {
	.name = "route",
	.run = route_run,
	.summary = "show, add and delete routes",
	.usage = "Usage: dplbctl route show\n"
		 "       dplbctl route add PREFIX [via GW] [dev NAME]\n"
		 "       dplbctl route del PREFIX\n",
};

/* ---- neigh ---- */

static void
neigh_print(json_object *res)
{
	char state[32];
	size_t i, k;

	for (i = 0; i < jlen(res, "the result"); i++) {
		json_object *n = jidx(res, i);
		const char *mac = jstr(n, "mac", NULL);

		snprintf(state, sizeof(state), "%s", jstr(n, "state", "?"));
		for (k = 0; state[k] != '\0'; k++)
			state[k] = (char)toupper((unsigned char)state[k]);
		printf("%s dev %s", jstr(n, "ip", "?"), jstr(n, "dev", "?"));
		if (mac != NULL)
			printf(" lladdr %s", mac);
		printf(" %s", state);
		if (jint(n, "queued", 0) > 0)
			printf(" queued %lld", jint(n, "queued", 0));
		putchar('\n');
	}
}

static int
neigh_list(const struct opts *o, const char *method, int argc, char **argv)
{
	struct kw kws[] = { { "dev", NULL } };
	json_object *p;
	int rc = parse_kw(&cmd_neigh, argc, argv, kws, 1);

	if (rc != EXIT_OK)
		return rc;
	p = params_new();
	params_add(p, "dev", kws[0].val);
	return run_call(o, method, p,
			strcmp(method, "neigh.list") == 0 ? neigh_print :
							    print_nothing);
}

static int
neigh_change(const struct opts *o, bool add, int argc, char **argv)
{
	struct kw kws[] = { { "dev", NULL }, { "lladdr", NULL } };
	uint8_t mac[6];
	json_object *p;
	int rc;

	if (argc < 1)
		return usage_error(&cmd_neigh, "missing IP");
	rc = check_addr(&cmd_neigh, argv[0]);
	if (rc == EXIT_OK)
		rc = parse_kw(&cmd_neigh, argc - 1, argv + 1, kws, add ? 2 : 1);
	if (rc == EXIT_OK)
		rc = check_dev(&cmd_neigh, kws[0].val);
	if (rc != EXIT_OK)
		return rc;
	if (add && kws[1].val == NULL)
		return usage_error(&cmd_neigh, "'lladdr MAC' is required");
	if (add && mac_parse(kws[1].val, mac) < 0)
		return usage_error(&cmd_neigh, "invalid MAC address '%s'",
				   kws[1].val);
	p = params_new();
	params_add(p, "ip", argv[0]);
	params_add(p, "mac", kws[1].val);
	params_add(p, "dev", kws[0].val);
	return run_call(o, add ? "neigh.add" : "neigh.del", p, print_nothing);
}

static int
neigh_run(const struct opts *o, int argc, char **argv)
{
	if (wants_help(&cmd_neigh, argc, argv))
		return EXIT_OK;
	if (argc < 2 || is_verb(argv[1], "show"))
		return neigh_list(o, "neigh.list", argc > 2 ? argc - 2 : 0,
				  argv + 2);
	if (strcmp(argv[1], "flush") == 0)
		return neigh_list(o, "neigh.flush", argc - 2, argv + 2);
	if (strcmp(argv[1], "add") == 0)
		return neigh_change(o, true, argc - 2, argv + 2);
	if (strcmp(argv[1], "del") == 0 || strcmp(argv[1], "delete") == 0)
		return neigh_change(o, false, argc - 2, argv + 2);
	return usage_error(&cmd_neigh, "unknown neigh command '%s'", argv[1]);
}

const struct command cmd_neigh = {
	.name = "neigh",
	.run = neigh_run,
	.summary = "show, add, delete and flush neighbours (ARP)",
	.usage = "Usage: dplbctl neigh show [dev NAME]\n"
		 "       dplbctl neigh add IP lladdr MAC dev NAME\n"
		 "       dplbctl neigh del IP dev NAME\n"
		 "       dplbctl neigh flush [dev NAME]\n",
};

/* ---- vip: what keepalived's VRRP drives, for the operator's eyes ---- */

/* OWNER: the owner's name, or "client N" for a lease of a connection. */
static void
vip_print(json_object *res)
{
	static const char *const hdr[] = { "VIP", "DEV", "LEASE", "OWNER",
					   "STATE", ">AGE-S" };
	struct table *t = table_new(6, hdr);
	char age[32], owner[80], state[48];
	size_t i;

	for (i = 0; i < jlen(res, "the result"); i++) {
		json_object *v = jidx(res, i);
		const char *name = jstr(v, "owner", NULL);
		const char *row[] = { jstr(v, "addr", NULL), jstr(v, "dev", NULL),
				      jbool(v, "lease") ? "yes" : "no",
				      owner, state, age };

		if (name != NULL)
			snprintf(owner, sizeof(owner), "%s", name);
		else if (jstr(v, "client", NULL) != NULL)
			snprintf(owner, sizeof(owner), "client %lld",
				 jint(v, "client", 0));
		else
			snprintf(owner, sizeof(owner), "-");
		if (strcmp(jstr(v, "state", ""), "orphaned") == 0)
			snprintf(state, sizeof(state), "orphaned (%lld ms left)",
				 jint(v, "expires_ms", 0));
		else if (jint(v, "conflicts", 0) > 0)
			snprintf(state, sizeof(state), "%s (also at %s)",
				 jstr(v, "state", "-"),
				 jstr(v, "conflict_mac", "?"));
		else
			snprintf(state, sizeof(state), "%s",
				 jstr(v, "state", "-"));
		snprintf(age, sizeof(age), "%lld", jint(v, "age_ms", 0) / 1000);
		table_row(t, row);
	}
	table_print(t, stdout);
}

static int
vip_change(const struct opts *o, bool add, int argc, char **argv)
{
	struct kw kws[] = { { "dev", NULL } };
	json_object *p;
	int rc;

	if (argc < 1)
		return usage_error(&cmd_vip, "missing VIP");
	rc = check_addr(&cmd_vip, argv[0]);
	if (rc == EXIT_OK)
		rc = parse_kw(&cmd_vip, argc - 1, argv + 1, kws, 1);
	if (rc == EXIT_OK && add)
		rc = check_dev(&cmd_vip, kws[0].val);
	if (rc != EXIT_OK)
		return rc;
	p = params_new();
	params_add(p, "addr", argv[0]);
	params_add(p, "dev", kws[0].val);
	return run_call(o, add ? "vip.add" : "vip.del", p, print_nothing);
}

static int
vip_run(const struct opts *o, int argc, char **argv)
{
	if (wants_help(&cmd_vip, argc, argv))
		return EXIT_OK;
	if (argc < 2 || is_verb(argv[1], "show") || is_verb(argv[1], "list")) {
		if (argc > 2)
			return usage_error(&cmd_vip, "unexpected argument '%s'",
					   argv[2]);
		return run_call(o, "vip.list", NULL, vip_print);
	}
	if (is_verb(argv[1], "add"))
		return vip_change(o, true, argc - 2, argv + 2);
	if (is_verb(argv[1], "del") || is_verb(argv[1], "delete"))
		return vip_change(o, false, argc - 2, argv + 2);
	return usage_error(&cmd_vip, "unknown vip command '%s'", argv[1]);
}

const struct command cmd_vip = {
	.name = "vip",
	.run = vip_run,
	.summary = "VIPs with gratuitous ARP and leases (keepalived's VRRP)",
	.usage = "Usage: dplbctl vip show\n"
		 "       dplbctl vip add VIP dev NAME\n"
		 "       dplbctl vip del VIP [dev NAME]\n"
		 "A VIP added here has no lease: it stays until deleted.\n"
		 "OWNER is the lease's owner (keepalived's VRRP instance) or the\n"
		 "connection holding it; an owner's VIP whose connection closed is\n"
		 "orphaned until the owner claims it, ha.lease_grace_ms ends or\n"
		 "another node announces it.  \"also at MAC\": another node\n"
		 "announced it while this one held it.\n",
};
