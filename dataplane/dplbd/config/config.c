/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config: dplbd.conf (libconfig) into a validated struct dplb_config.
 *
 * Every group is described by a table of its keys.  parse_group()
 * rejects members the table does not name and dispatches the others:
 * ranged integers and booleans are handled by the table itself, the
 * rest by a small handler.  Adding a key is one table line (plus a
 * handler when it is neither), and config_to_json() walks the same
 * tables so the JSON view cannot drift from the parser.
 *
 * Parsing stops at the first error: one precise message is worth more
 * than a cascade of follow-up errors.  The result is built in a scratch
 * copy, so a failed (re)load leaves the caller's configuration intact.
 */
/* Order matters: ports before neigh and routes, dataplane before routes,
 * laddr_groups before services. */
static const struct key top_keys[] = {
	FN_KEY("global", top_global),
	FN_KEY("eal", top_eal),
	FN_KEY("dataplane", top_dataplane),
	FN_KEY("ip", top_ip),
	FN_KEY("ports", top_ports),
	FN_KEY("neigh", top_neigh),
	FN_KEY("routes", top_routes),
	FN_KEY("laddr_groups", top_laddr_groups),
	FN_KEY("services", top_services),
	FN_KEY("timeouts", top_timeouts),
};

void
config_defaults(struct dplb_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->log_level = LOG_LVL_INFO;
	snprintf(cfg->control_socket, sizeof(cfg->control_socket), "%s",
		 CFG_DEFAULT_SOCKET);
	cfg->socket_mode = 0660;
	cfg->hugepages = true;
	cfg->workers = 1;
	cfg->burst = 32;
	cfg->mbufs = 16383;
	cfg->max_routes = 1024;
	cfg->max_conns = 262144;
	conn_timeouts_default(&cfg->timeouts);
	cfg->neigh_max = 4096;
	cfg->neigh_reachable_ms = 30000;
	cfg->neigh_retrans_ms = 1000;
	cfg->neigh_probes = 3;
	cfg->neigh_queue_len = 8;
}

static int
syntax_error(const struct ctx *c, const config_t *lc)
{
	const char *text = config_error_text(lc);
	char file[PATH_MAX], where[PATH_MAX + 32];

	snprintf(where, sizeof(where), "%s:%d",
		 source_name(c, config_error_file(lc), file, sizeof(file)),
		 config_error_line(lc));
	if (config_error_type(lc) != CONFIG_ERR_PARSE)	/* @include */
		snprintf(c->err, c->errlen, "%s: %s", where, text);
	else if (strcmp(text, "syntax error") == 0)	/* say it once */
		snprintf(c->err, c->errlen, "%s: syntax error", where);
	else
		snprintf(c->err, c->errlen, "%s: syntax error: %s", where,
			 text);
	one_line(c->err);
	return -EINVAL;
}

/* Parse into a scratch copy; cfg changes only on success. */
static int
parse_text(const char *text, const char *name, const char *include_dir,
	   struct dplb_config *cfg, char *err, size_t errlen)
{
	struct ctx c = { .name = name, .include_dir = include_dir,
			 .err = err, .errlen = errlen };
	char *widened = widen_big_ints(text);
	config_t lc;
	int rc;

	c.cfg = malloc(sizeof(*c.cfg));
	if (widened == NULL || c.cfg == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		free(widened);
		free(c.cfg);
		return -ENOMEM;
	}
	config_defaults(c.cfg);
	config_init(&lc);
	if (include_dir != NULL)	/* libconfig 1.5 strdup()s it */
		config_set_include_dir(&lc, include_dir);
	if (!config_read_string(&lc, widened))
		rc = syntax_error(&c, &lc);
	else
		rc = PARSE_GROUP(&c, config_root_setting(&lc), top_keys,
				 c.cfg);
	if (rc == 0)
		*cfg = *c.cfg;
	config_destroy(&lc);
	free(widened);
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
	return parse_text(text, name, NULL, cfg, err, errlen);
}

int
config_load(const char *path, struct dplb_config *cfg, char *err,
	    size_t errlen)
{
	char scratch[CFG_ERR_LEN], dir[PATH_MAX];
	const char *slash;
	char *text = NULL;
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
	rc = read_file(path, &text);
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
	rc = parse_text(text, path, dir, cfg, err, errlen);
	free(text);
	if (rc == 0)
		strcpy(cfg->path, path);
	return rc;
}

int
config_port_index(const struct dplb_config *cfg, const char *name)
{
	unsigned int i;

	for (i = 0; i < cfg->n_ports; i++)
		if (strcmp(cfg->ports[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* --- JSON ----------------------------------------------------------- */

/* The table-driven keys of obj (integers and booleans) into o. */
static void
keys_to_json(json_object *o, const struct key *keys, size_t n,
	     const void *obj)
{
	const char *field;
	size_t i;

	for (i = 0; i < n; i++) {
		field = (const char *)obj + keys[i].off;
		if (keys[i].kind == KEY_UINT)
			json_object_object_add(o, keys[i].name,
				json_object_new_int64(uint_load(field,
							keys[i].size)));
		else if (keys[i].kind == KEY_BOOL)
			json_object_object_add(o, keys[i].name,
				json_object_new_boolean(*(const bool *)field));
	}
}

#define KEYS_TO_JSON(o, keys, obj) keys_to_json(o, keys, ARRAY_SIZE(keys), obj)

static void
add_str(json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(v));
}

static json_object *
global_json(const struct dplb_config *cfg)
{
	json_object *o = json_object_new_object();
	char mode[8];

	add_str(o, "log_level", log_level_name(cfg->log_level));
	add_str(o, "control_socket", cfg->control_socket);
	snprintf(mode, sizeof(mode), "%04o", (unsigned int)cfg->socket_mode);
	add_str(o, "socket_mode", mode);
	add_str(o, "socket_group", cfg->socket_group);
	return o;
}

static json_object *
eal_json(const struct dplb_config *cfg)
{
	json_object *o = json_object_new_object();
	json_object *args = json_object_new_array();
	unsigned int i;

	KEYS_TO_JSON(o, eal_keys, cfg);
	add_str(o, "cpus", cfg->cpus);
	for (i = 0; i < cfg->n_eal_args; i++)
		json_object_array_add(args,
				      json_object_new_string(cfg->eal_args[i]));
	json_object_object_add(o, "args", args);
	return o;
}

static json_object *
simple_group_json(const struct key *keys, size_t n, const void *obj)
{
	json_object *o = json_object_new_object();

	keys_to_json(o, keys, n, obj);
	return o;
}

static json_object *
neigh_json(const struct dplb_config *cfg)
{
	json_object *o = simple_group_json(neigh_keys, ARRAY_SIZE(neigh_keys),
					   cfg);
	json_object *list = json_object_new_array();
	char a[INET_ADDR_STRLEN], m[MAC_STRLEN];
	unsigned int i;

	for (i = 0; i < cfg->n_neighs; i++) {
		const struct cfg_neigh *nb = &cfg->neighs[i];
		json_object *e = json_object_new_object();

		add_str(e, "ip", inet_addr_fmt(&nb->ip, a, sizeof(a)));
		add_str(e, "mac", mac_fmt(nb->mac, m, sizeof(m)));
		add_str(e, "dev", nb->dev);
		json_object_array_add(list, e);
	}
	json_object_object_add(o, "static", list);
	return o;
}

static json_object *
port_json(const struct cfg_port *port)
{
	json_object *o = json_object_new_object();
	json_object *addrs = json_object_new_array();
	char p[INET_PREFIX_STRLEN];
	unsigned int i;

	add_str(o, "name", port->name);
	add_str(o, "device", port->device);
	add_str(o, "twin", port->twin);
	if (port->has_mac)
		add_str(o, "mac", mac_fmt(port->mac, p, sizeof(p)));
	KEYS_TO_JSON(o, port_keys, port);
	for (i = 0; i < port->n_addrs; i++)
		json_object_array_add(addrs, json_object_new_string(
			inet_prefix_fmt(&port->addrs[i], p, sizeof(p))));
	json_object_object_add(o, "addresses", addrs);
	return o;
}

static json_object *
route_json(const struct cfg_route *r)
{
	json_object *o = json_object_new_object();
	char buf[INET_PREFIX_STRLEN];

	add_str(o, "dst", inet_prefix_fmt(&r->dst, buf, sizeof(buf)));
	/* "" rather than "-" for no gateway: the parser accepts it back. */
	add_str(o, "via", r->via.family ?
		inet_addr_fmt(&r->via, buf, sizeof(buf)) : "");
	add_str(o, "dev", r->dev);
	return o;
}

static json_object *
laddr_group_json(const struct cfg_laddr_group *g)
{
	json_object *o = json_object_new_object();
	json_object *addrs = json_object_new_array();
	char a[INET_ADDR_STRLEN];
	unsigned int i;

	add_str(o, "name", g->name);
	for (i = 0; i < g->n_addrs; i++)
		json_object_array_add(addrs, json_object_new_string(
			inet_addr_fmt(&g->addrs[i], a, sizeof(a))));
	json_object_object_add(o, "addresses", addrs);
	return o;
}

static json_object *
service_json(const struct dplb_config *cfg, const struct cfg_service *svc)
{
	json_object *o = json_object_new_object();
	json_object *flags = json_object_new_array();
	json_object *dests = json_object_new_array();
	char a[INET_ADDR_STRLEN];
	struct inet_addr mask;
	uint32_t f;
	unsigned int i;

	add_str(o, "proto", lb_proto_name(svc->key.proto));
	add_str(o, "vip", inet_addr_fmt(&svc->key.vip, a, sizeof(a)));
	json_object_object_add(o, "port", json_object_new_int(svc->key.port));
	add_str(o, "sched", svc->conf.sched);
	for (f = 1; f != 0 && f <= svc->conf.flags; f <<= 1)
		if (svc->conf.flags & f)
			json_object_array_add(flags, json_object_new_string(
				lb_svc_flag_name(f, svc->conf.sched)));
	json_object_object_add(o, "flags", flags);
	json_object_object_add(o, "persistent",
			       json_object_new_int64(svc->conf.persistent));
	mask = inet_addr_v4(htonl(svc->conf.netmask_len ?
				  ~0u << (32 - svc->conf.netmask_len) : 0));
	add_str(o, "netmask", inet_addr_fmt(&mask, a, sizeof(a)));
	add_str(o, "laddr_group", svc->conf.laddr_group);
	for (i = 0; i < svc->n_dests; i++) {
		const struct lb_dest_conf *d = &cfg->svc_dests[svc->first_dest + i];
		json_object *e = json_object_new_object();

		add_str(e, "addr", inet_addr_fmt(&d->addr, a, sizeof(a)));
		KEYS_TO_JSON(e, svc_dest_keys, d);
		add_str(e, "fwd", lb_fwd_name(d->fwd));
		json_object_array_add(dests, e);
	}
	json_object_object_add(o, "dests", dests);
	return o;
}

static json_object *
timeouts_json(const struct dplb_config *cfg)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "tcp",
		simple_group_json(timeout_tcp_keys,
				  ARRAY_SIZE(timeout_tcp_keys), cfg));
	json_object_object_add(o, "udp",
		simple_group_json(timeout_udp_keys,
				  ARRAY_SIZE(timeout_udp_keys), cfg));
	return o;
}

json_object *
config_to_json(const struct dplb_config *cfg)
{
	json_object *root = json_object_new_object();
	json_object *ports = json_object_new_array();
	json_object *routes = json_object_new_array();
	json_object *list;
	unsigned int i;

	json_object_object_add(root, "global", global_json(cfg));
	json_object_object_add(root, "eal", eal_json(cfg));
	json_object_object_add(root, "dataplane",
		simple_group_json(dataplane_keys, ARRAY_SIZE(dataplane_keys),
				  cfg));
	json_object_object_add(root, "ip",
		simple_group_json(ip_keys, ARRAY_SIZE(ip_keys), cfg));
	json_object_object_add(root, "neigh", neigh_json(cfg));
	json_object_object_add(root, "timeouts", timeouts_json(cfg));
	for (i = 0; i < cfg->n_ports; i++)
		json_object_array_add(ports, port_json(&cfg->ports[i]));
	json_object_object_add(root, "ports", ports);
	for (i = 0; i < cfg->n_routes; i++)
		json_object_array_add(routes, route_json(&cfg->routes[i]));
	json_object_object_add(root, "routes", routes);
	list = json_object_new_array();
	for (i = 0; i < cfg->n_laddr_groups; i++)
		json_object_array_add(list,
				      laddr_group_json(&cfg->laddr_groups[i]));
	json_object_object_add(root, "laddr_groups", list);
	list = json_object_new_array();
	for (i = 0; i < cfg->n_services; i++)
		json_object_array_add(list,
				      service_json(cfg, &cfg->services[i]));
	json_object_object_add(root, "services", list);
	return root;
}
