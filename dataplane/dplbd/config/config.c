/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config: dplbd.conf (libconfig) into a validated struct dplb_config.
 *
 * Every group is described by a table of its keys.  cfg_parse_group()
 * rejects members the table does not name and dispatches the others:
 * ranged integers and booleans are handled by the table itself, the
 * rest by a small handler.  Adding a key is one table line (plus a
 * handler when it is neither), and config_to_json() walks the same
 * tables so the JSON view cannot drift from the parser.
 *
 * Parsing stops at the first error: one precise message is worth more
 * than a cascade of follow-up errors.  The result is built in a scratch
 * copy, so a failed (re)load leaves the caller's configuration intact.
 *
 * This file holds the top-level table, the defaults and the loading;
 * each section family has its own file (cfg_global.c, cfg_ports.c,
 * cfg_net.c, cfg_lb.c), on the shared helpers of cfg_keys.c, with the
 * text handling before libconfig in cfg_text.c (cfg_priv.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "cfg_priv.h"
#include "log.h"

/* Order matters: ports before neigh and routes, dataplane before routes,
 * laddr_groups before services. */
static const struct key top_keys[] = {
	GROUP_KEY("global", cfg_global_keys),
	FN_KEY("eal", cfg_top_eal),
	GROUP_KEY("dataplane", cfg_dataplane_keys),
	GROUP_KEY("ip", cfg_ip_keys),
	GROUP_KEY("ha", cfg_ha_keys),
	GROUP_KEY("syn_proxy", cfg_synproxy_keys),
	FN_KEY("ports", cfg_top_ports),
	GROUP_KEY("neigh", cfg_neigh_keys),
	FN_KEY("routes", cfg_top_routes),
	FN_KEY("laddr_groups", cfg_top_laddr_groups),
	FN_KEY("services", cfg_top_services),
	FN_KEY("snat", cfg_top_snat),
	GROUP_KEY("timeouts", cfg_timeout_keys),
	GROUP_KEY("metrics", cfg_metrics_keys),
	FN_KEY("sync", cfg_top_sync),
};

void
config_defaults(struct dplb_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->log_level = LOG_LVL_INFO;
	snprintf(cfg->control_socket, sizeof(cfg->control_socket), "%s",
		 CFG_DEFAULT_SOCKET);
	cfg->socket_mode = 0660;
	cfg->control_idle_timeout = 60;
	cfg->control_max_per_uid = 64;
	cfg->control_root_slots = 64;
	snprintf(cfg->metrics_address, sizeof(cfg->metrics_address), "%s",
		 CFG_DEFAULT_METRICS_ADDRESS);
	cfg->metrics_port = CFG_DEFAULT_METRICS_PORT;
	cfg->hugepages = true;
	cfg->workers = 1;
	cfg->burst = 32;
	cfg->mbufs = 16383;
	cfg->max_routes = 1024;
	cfg->max_conns = 262144;
	cfg->synproxy_period = 64;
	cfg->synproxy_mss = 1460;
	cfg->synproxy_wscale = 7;
	cfg->lport_random = true;
	cfg->lport_keep = true;
	conn_timeouts_default(&cfg->timeouts);
	cfg->lport_guard = 60;
	cfg->icmp_rate = 1000;
	cfg->icmp_burst = 50;
	cfg->frag_max = 1024;
	cfg->frag_mem_kb = 4096;
	cfg->frag_timeout_ms = 30000;
	cfg->sync_threshold = 3;	/* IPVS's defaults */
	cfg->sync_period = 50;
	cfg->sync_dump_rate = 500000;
	cfg->neigh_max = 4096;
	cfg->neigh_reachable_ms = 30000;
	cfg->neigh_retrans_ms = 1000;
	cfg->neigh_probes = 3;
	cfg->neigh_queue_len = 8;
	cfg->lease_grace_ms = 500;	/* HA_LEASE_GRACE_MS_DEFAULT */
}

static int
syntax_error(const struct ctx *c, const config_t *lc)
{
	const char *text = config_error_text(lc), *file;
	char where[PATH_MAX + 32];
	unsigned int line;

	file = cfg_text_where(c->text, (unsigned int)config_error_line(lc),
			      &line);
	snprintf(where, sizeof(where), "%s:%u", file, line);
	if (config_error_type(lc) != CONFIG_ERR_PARSE)	/* @include */
		snprintf(c->err, c->errlen, "%s: %s", where, text);
	else if (strcmp(text, "syntax error") == 0)	/* say it once */
		snprintf(c->err, c->errlen, "%s: syntax error", where);
	else
		snprintf(c->err, c->errlen, "%s: syntax error: %s", where,
			 text);
	cfg_one_line(c->err);
	return -EINVAL;
}

/* Parse into a scratch copy; cfg changes only on success. */
static int
parse_text(const char *text, const char *name, const char *include_dir,
	   const struct stat *st, struct dplb_config *cfg, char *err,
	   size_t errlen)
{
	struct cfg_text t = { .err = err, .errlen = errlen };
	struct ctx c = { .text = &t, .err = err, .errlen = errlen };
	config_t lc;
	int rc;

	rc = cfg_text_expand(&t, text, name, include_dir, st);
	if (rc < 0) {
		cfg_text_free(&t);
		return rc;
	}
	c.cfg = malloc(sizeof(*c.cfg));
	if (c.cfg == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		cfg_text_free(&t);
		return -ENOMEM;
	}
	config_defaults(c.cfg);
	config_init(&lc);
	/*
	 * Every @include is expanded already.  Should libconfig still see
	 * one, it must fail to open it, not exit() on a directory.
	 */
	config_set_include_dir(&lc, "/dev/null");
	if (!config_read_string(&lc, t.text))
		rc = syntax_error(&c, &lc);
	else
		rc = PARSE_GROUP(&c, config_root_setting(&lc), top_keys,
				 c.cfg);
	if (rc == 0)
		*cfg = *c.cfg;
	config_destroy(&lc);
	cfg_text_free(&t);
	free(c.cfg);
	return rc;
}

int
config_parse_string(const char *text, const char *name,
		    struct dplb_config *cfg, char *err, size_t errlen)
{
	char scratch[CFG_ERR_LEN];

	if (err == NULL || errlen == 0) {
		err = scratch;
		errlen = sizeof(scratch);
	}
	if (text == NULL || name == NULL) {
		snprintf(err, errlen, "no configuration text");
		return -EINVAL;
	}
	return parse_text(text, name, NULL, NULL, cfg, err, errlen);
}

int
config_load(const char *path, struct dplb_config *cfg, char *err,
	    size_t errlen)
{
	char scratch[CFG_ERR_LEN], dir[PATH_MAX];
	const char *slash;
	char *text = NULL;
	struct stat st;
	int rc;

	if (err == NULL || errlen == 0) {
		err = scratch;
		errlen = sizeof(scratch);
	}
	if (path == NULL || strlen(path) >= sizeof(cfg->path)) {
		snprintf(err, errlen, "cannot read %s: %s", path ? path : "-",
			 strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	rc = cfg_read_file(path, &text, &st, false);
	if (rc < 0) {
		snprintf(err, errlen, "cannot read %s: %s", path,
			 strerror(-rc));
		return rc;
	}
	/* Relative @include paths are relative to the file, not the cwd. */
	slash = strrchr(path, '/');
	snprintf(dir, sizeof(dir), "%.*s",
		 slash ? (int)(slash - path) + (slash == path) : 1,
		 slash ? path : ".");
	rc = parse_text(text, path, dir, &st, cfg, err, errlen);
	free(text);
	if (rc == 0)
		strcpy(cfg->path, path);
	return rc;
}

int
config_port_index(const struct dplb_config *cfg, const char *name)
{
	return CFG_NAME_INDEX(cfg->ports, cfg->n_ports, name, name);
}

json_object *
config_to_json(const struct dplb_config *cfg)
{
	json_object *root = json_object_new_object();
	json_object *ports = json_object_new_array();
	json_object *routes = json_object_new_array();
	json_object *list;
	unsigned int i;

	json_object_object_add(root, "global", cfg_global_json(cfg));
	json_object_object_add(root, "eal", cfg_eal_json(cfg));
	json_object_object_add(root, "dataplane",
			       cfg_group_json(&cfg_dataplane_keys, cfg));
	json_object_object_add(root, "ip", cfg_group_json(&cfg_ip_keys, cfg));
	json_object_object_add(root, "ha", cfg_group_json(&cfg_ha_keys, cfg));
	json_object_object_add(root, "syn_proxy",
			       cfg_group_json(&cfg_synproxy_keys, cfg));
	json_object_object_add(root, "neigh", cfg_neigh_json(cfg));
	json_object_object_add(root, "timeouts",
			       cfg_group_json(&cfg_timeout_keys, cfg));
	json_object_object_add(root, "metrics", cfg_metrics_json(cfg));
	json_object_object_add(root, "sync", cfg_group_json(&cfg_sync_keys, cfg));
	for (i = 0; i < cfg->n_ports; i++)
		json_object_array_add(ports, cfg_port_json(&cfg->ports[i]));
	json_object_object_add(root, "ports", ports);
	for (i = 0; i < cfg->n_routes; i++)
		json_object_array_add(routes, cfg_route_json(&cfg->routes[i]));
	json_object_object_add(root, "routes", routes);
	list = json_object_new_array();
	for (i = 0; i < cfg->n_laddr_groups; i++)
		json_object_array_add(list, cfg_laddr_group_json(
					      &cfg->laddr_groups[i]));
	json_object_object_add(root, "laddr_groups", list);
	list = json_object_new_array();
	for (i = 0; i < cfg->n_services; i++)
		json_object_array_add(list,
				      cfg_service_json(cfg, &cfg->services[i]));
	json_object_object_add(root, "services", list);
	list = json_object_new_array();
	for (i = 0; i < cfg->n_snat; i++)
		json_object_array_add(list, cfg_snat_json(&cfg->snat[i]));
	json_object_object_add(root, "snat", list);
	return root;
}
