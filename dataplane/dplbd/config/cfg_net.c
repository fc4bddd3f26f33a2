static int
neigh_mac(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_neigh *nb = obj;

	return parse_unicast_mac(c, s, nb->mac);
}

/* --- neigh ---------------------------------------------------------- */

static int
neigh_ip(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_neigh *nb = obj;

	return parse_addr(c, s, &nb->ip);
}

static int
neigh_dev(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_neigh *nb = obj;

	return port_ref(c, s, nb->dev);
}

static const struct key static_neigh_keys[] = {
	FN_KEY("ip", neigh_ip),
	FN_KEY("mac", neigh_mac),
	FN_KEY("dev", neigh_dev),
};

static int
static_neigh_check(struct ctx *c, const config_setting_t *e, unsigned int idx)
{
	const struct cfg_neigh *nb = &c->cfg->neighs[idx];
	char a[INET_ADDR_STRLEN];
	unsigned int i;

	if (nb->ip.family == 0)
		return cfg_err(c, e, "ip", "is required");
	if (config_setting_get_member(e, "mac") == NULL)
		return cfg_err(c, e, "mac", "is required");
	if (nb->dev[0] == '\0')
		return cfg_err(c, e, "dev", "is required");
	for (i = 0; i < idx; i++)
		if (inet_addr_equal(&c->cfg->neighs[i].ip, &nb->ip) &&
		    strcmp(c->cfg->neighs[i].dev, nb->dev) == 0)
			return cfg_err(c, config_setting_get_member(e, "ip"),
				       NULL, "duplicate neighbour %s on %s "
				       "(see neigh.static.[%u])",
				       inet_addr_fmt(&nb->ip, a, sizeof(a)),
				       nb->dev, i);
	return 0;
}

static int
neigh_static(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct dplb_config *cfg = c->cfg;
	int i, n = list_length(c, s, CFG_MAX_NEIGHS, "static neighbours");

	if (n > (int)cfg->neigh_max)
		return cfg_err(c, s, NULL, "more entries than neigh.max (%u)",
			       cfg->neigh_max);
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);

		memset(&cfg->neighs[i], 0, sizeof(cfg->neighs[i]));
		if (PARSE_GROUP(c, e, static_neigh_keys, &cfg->neighs[i]) < 0 ||
		    static_neigh_check(c, e, (unsigned int)i) < 0)
			return -EINVAL;
		cfg->n_neighs++;
	}
	return n < 0 ? n : 0;
}

static const struct key neigh_keys[] = {
	UINT_KEY(struct dplb_config, "max", neigh_max, 16, 1048576),
	UINT_KEY(struct dplb_config, "reachable_ms", neigh_reachable_ms, 1000,
		 3600000),
	UINT_KEY(struct dplb_config, "retrans_ms", neigh_retrans_ms, 100,
		 60000),
	UINT_KEY(struct dplb_config, "probes", neigh_probes, 1, 10),
	UINT_KEY(struct dplb_config, "queue_len", neigh_queue_len, 0, 256),
	FN_KEY("static", neigh_static),	/* last: needs neigh.max */
};

/* --- routes --------------------------------------------------------- */

static int
route_dst(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_route *r = obj;
	struct inet_prefix masked;

	if (parse_prefix(c, s, &r->dst) < 0)
		return -EINVAL;
	/* 198.19.0.1/24 is usually a typo for an address, not a network. */
	masked = r->dst;
	inet_prefix_mask(&masked);
	if (!inet_addr_equal(&masked.addr, &r->dst.addr))
		return cfg_err(c, s, NULL, "host bits set in %s",
			       config_setting_get_string(s));
	return 0;
}

static int
route_via(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_route *r = obj;
	const char *v = get_string(c, s);

	if (v == NULL)
		return -EINVAL;
	if (*v == '\0')		/* "" = directly connected, as in the JSON */
		return 0;
	if (parse_addr(c, s, &r->via) < 0)
		return -EINVAL;
	if (!ipv4_unicast(&r->via))
		return cfg_err(c, s, NULL, "'%s' is not a unicast address", v);
	return 0;
}

static int
route_dev(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_route *r = obj;

	return port_ref(c, s, r->dev);
}

static const struct key route_keys[] = {
	FN_KEY("dst", route_dst),
	FN_KEY("via", route_via),
	FN_KEY("dev", route_dev),
};

/* True when some port address's subnet holds a (a gateway without dev). */
static bool
on_port_subnet(const struct dplb_config *cfg, const struct inet_addr *a)
{
	unsigned int i, j;

	for (i = 0; i < cfg->n_ports; i++)
		for (j = 0; j < cfg->ports[i].n_addrs; j++)
			if (inet_prefix_contains(&cfg->ports[i].addrs[j], a))
				return true;
	return false;
}

static int
route_check(struct ctx *c, const config_setting_t *e, unsigned int idx)
{
	const struct cfg_route *r = &c->cfg->routes[idx];
	char a[INET_PREFIX_STRLEN];
	unsigned int i;

	if (r->dst.addr.family == 0)
		return cfg_err(c, e, "dst", "is required");
	if (r->via.family == 0 && r->dev[0] == '\0')
		return cfg_err(c, e, NULL, "needs via or dev");
	if (r->via.family != 0 && r->via.family != r->dst.addr.family)
		return cfg_err(c, config_setting_get_member(e, "via"), NULL,
			       "must be of the same family as dst");
	/* The dataplane picks the port from the gateway's subnet. */
	if (r->via.family != 0 && r->dev[0] == '\0' &&
	    !on_port_subnet(c->cfg, &r->via))
		return cfg_err(c, config_setting_get_member(e, "via"), NULL,
			       "no port address covers %s; set dev",
			       inet_addr_fmt(&r->via, a, sizeof(a)));
	for (i = 0; i < idx; i++)
		if (c->cfg->routes[i].dst.len == r->dst.len &&
		    inet_addr_equal(&c->cfg->routes[i].dst.addr, &r->dst.addr))
			return cfg_err(c, config_setting_get_member(e, "dst"),
				       NULL, "duplicate route %s (see "
				       "routes.[%u])",
				       inet_prefix_fmt(&r->dst, a, sizeof(a)),
				       i);
	return 0;
}

static int
top_routes(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct dplb_config *cfg = c->cfg;
	int i, n = list_length(c, s, CFG_MAX_ROUTES, "routes");

	if (n > (int)cfg->max_routes)
		return cfg_err(c, s, NULL, "more routes than "
				"dataplane.max_routes (%u)", cfg->max_routes);
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);

		memset(&cfg->routes[i], 0, sizeof(cfg->routes[i]));
		if (PARSE_GROUP(c, e, route_keys, &cfg->routes[i]) < 0 ||
		    route_check(c, e, (unsigned int)i) < 0)
			return -EINVAL;
		cfg->n_routes++;
	}
	return n < 0 ? n : 0;
}

static int
top_neigh(struct ctx *c, const config_setting_t *s, void *obj)
{
	return PARSE_GROUP(c, s, neigh_keys, obj);
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
