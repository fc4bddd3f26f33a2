/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config: the neigh group (static neighbours) and the routes list of
 * dplbd.conf, and their JSON.
 */

#include <errno.h>
#include <string.h>

#include "cfg_priv.h"

/* --- neigh ---------------------------------------------------------- */

static int
neigh_mac(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_neigh *nb = obj;

	return cfg_unicast_mac(c, s, nb->mac);
}

static int
neigh_ip(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_neigh *nb = obj;

	return cfg_addr_any(c, s, &nb->ip);
}

static int
neigh_dev(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_neigh *nb = obj;

	return cfg_port_ref(c, s, nb->dev);
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

static const struct key_table static_neigh_table =
	KEY_TABLE(static_neigh_keys);
static const struct key_list static_neigh_list = {
	&static_neigh_table, sizeof(struct cfg_neigh), NULL,
	static_neigh_check,
};

static int
neigh_static(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct dplb_config *cfg = c->cfg;
	int n = cfg_list_length(c, s, CFG_MAX_NEIGHS, "static neighbours");

	if (n > (int)cfg->neigh_max)
		return cfg_err(c, s, NULL, "more entries than neigh.max (%u)",
			       cfg->neigh_max);
	return cfg_parse_list(c, s, n, &static_neigh_list, cfg->neighs,
			      &cfg->n_neighs);
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

const struct key_table cfg_neigh_keys = KEY_TABLE(neigh_keys);

/* --- routes --------------------------------------------------------- */

static int
route_dst(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_route *r = obj;
	struct inet_prefix masked;

	if (cfg_prefix_any(c, s, &r->dst) < 0)
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
	const char *v = cfg_string(c, s);

	if (v == NULL)
		return -EINVAL;
	if (*v == '\0')		/* "" = directly connected, as in the JSON */
		return 0;
	return cfg_unicast_addr_any(c, s, &r->via);
}

static int
route_dev(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_route *r = obj;

	return cfg_port_ref(c, s, r->dev);
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

static const struct key_table route_table = KEY_TABLE(route_keys);
static const struct key_list route_list = {
	&route_table, sizeof(struct cfg_route), NULL, route_check,
};

int
cfg_top_routes(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct dplb_config *cfg = c->cfg;
	int n = cfg_list_length(c, s, CFG_MAX_ROUTES, "routes");

	if (n > (int)cfg->max_routes)
		return cfg_err(c, s, NULL, "more routes than "
				"dataplane.max_routes (%u)", cfg->max_routes);
	return cfg_parse_list(c, s, n, &route_list, cfg->routes,
			      &cfg->n_routes);
}

/* --- JSON ----------------------------------------------------------- */

json_object *
cfg_neigh_json(const struct dplb_config *cfg)
{
	json_object *o = cfg_group_json(&cfg_neigh_keys, cfg);
	json_object *list = json_object_new_array();
	char a[INET_ADDR_STRLEN], m[MAC_STRLEN];
	unsigned int i;

	for (i = 0; i < cfg->n_neighs; i++) {
		const struct cfg_neigh *nb = &cfg->neighs[i];
		json_object *e = json_object_new_object();

		cfg_add_str(e, "ip", inet_addr_fmt(&nb->ip, a, sizeof(a)));
		cfg_add_str(e, "mac", mac_fmt(nb->mac, m, sizeof(m)));
		cfg_add_str(e, "dev", nb->dev);
		json_object_array_add(list, e);
	}
	json_object_object_add(o, "static", list);
	return o;
}

json_object *
cfg_route_json(const struct cfg_route *r)
{
	json_object *o = json_object_new_object();
	char buf[INET_PREFIX_STRLEN];

	cfg_add_str(o, "dst", inet_prefix_fmt(&r->dst, buf, sizeof(buf)));
	/* "" rather than "-" for no gateway: the parser accepts it back. */
	cfg_add_str(o, "via", r->via.family ?
		inet_addr_fmt(&r->via, buf, sizeof(buf)) : "");
	cfg_add_str(o, "dev", r->dev);
	return o;
}
