/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config: the laddr_groups and services lists of dplbd.conf (the
 * load balancer's model, lb_svc.h), and their JSON.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cfg_priv.h"

/* --- laddr_groups, services (lb_svc.h) ------------------------------ */

/*
 * The model's own checks (lb_svc_conf_check, lb_dest_conf_check) say
 * "key: what is wrong"; report that at the key's line when the group
 * has the key, else at the group's.  names maps the model's key names
 * to the file's where they differ ("dport" is "port" in a dest).
 */
static int
model_err(struct ctx *c, const config_setting_t *e, const char *why)
{
	const char *colon = strstr(why, ": ");
	const config_setting_t *m;
	char key[32];

	if (colon == NULL || (size_t)(colon - why) >= sizeof(key))
		return cfg_err(c, e, NULL, "%s", why);
	snprintf(key, sizeof(key), "%.*s", (int)(colon - why), why);
	if (strcmp(key, "dport") == 0)
		snprintf(key, sizeof(key), "port");
	m = config_setting_get_member(e, key);
	if (m != NULL)
		return cfg_err(c, m, NULL, "%s", colon + 2);
	return cfg_err(c, e, key, "%s", colon + 2);
}

static int
lg_name(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_laddr_group *g = obj;
	const char *v = cfg_string(c, s);
	int i;

	if (v == NULL)
		return -EINVAL;
	if (!cfg_name_valid(v, LB_NAME_LEN))
		return cfg_err(c, s, NULL, "invalid name '%s': use 1 to %d "
				"characters of A-Z a-z 0-9 _ . -", v,
				LB_NAME_LEN - 1);
	i = CFG_NAME_INDEX(c->cfg->laddr_groups, c->cfg->n_laddr_groups, name,
			   v);
	if (i >= 0)
		return cfg_err(c, s, NULL, "duplicate laddr group '%s' (see "
			       "laddr_groups.[%d])", v, i);
	strcpy(g->name, v);
	return 0;
}

/* Which group (index) already holds address a, or -1. */
static int
laddr_owner(const struct dplb_config *cfg, const struct cfg_laddr_group *cur,
	    const struct inet_addr *a)
{
	const struct cfg_laddr_group *g;
	unsigned int i;

	for (g = cfg->laddr_groups; g <= cur; g++)
		for (i = 0; i < g->n_addrs; i++)
			if (inet_addr_equal(&g->addrs[i], a))
				return (int)(g - cfg->laddr_groups);
	return -1;
}

/* A load balancer address (VIP, dest, local address): IPv4 unicast as
 * cfg_unicast_addr() says, or IPv6, which lb_conf.c's checks judge. */
static int
lb_addr(struct ctx *c, const config_setting_t *s, struct inet_addr *a)
{
	const char *v = cfg_string(c, s);

	if (v == NULL)
		return -EINVAL;
	if (inet_addr_parse(v, a) == 0 && a->family == AF_INET6)
		return 0;
	return cfg_unicast_addr(c, s, a);
}

static int
lg_addresses(struct ctx *c, const config_setting_t *s, void *obj)
{
	int i, owner, n = cfg_string_list(c, s, LB_LADDR_MAX_ADDRS,
					  "addresses");
	struct cfg_laddr_group *g = obj;
	struct inet_addr a;

	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		const char *v = config_setting_get_string(e);

		if (lb_addr(c, e, &a) < 0)
			return -EINVAL;
		/* Two groups handing out one LIP's ports would collide. */
		owner = laddr_owner(c->cfg, g, &a);
		if (owner >= 0)
			return cfg_err(c, e, NULL, "duplicate address '%s' "
					"(see laddr_groups.[%d])", v, owner);
		g->addrs[g->n_addrs++] = a;
	}
	return 0;
}

static const struct key laddr_group_keys[] = {
	FN_KEY("name", lg_name),
	FN_KEY("addresses", lg_addresses),
};

static int
lg_check(struct ctx *c, const config_setting_t *e, unsigned int idx)
{
	if (c->cfg->laddr_groups[idx].name[0] == '\0')
		return cfg_err(c, e, "name", "is required");
	return 0;
}

static const struct key_table laddr_group_table =
	KEY_TABLE(laddr_group_keys);
static const struct key_list laddr_group_list = {
	&laddr_group_table, sizeof(struct cfg_laddr_group), NULL, lg_check,
};

int
cfg_top_laddr_groups(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct dplb_config *cfg = c->cfg;
	int n = cfg_list_length(c, s, CFG_MAX_LADDR_GROUPS, "laddr groups");

	return cfg_parse_list(c, s, n, &laddr_group_list, cfg->laddr_groups,
			      &cfg->n_laddr_groups);
}

static int
svc_proto(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_service *svc = obj;
	int p = cfg_enum(c, s, lb_proto_parse, "must be \"tcp\" or \"udp\"");

	if (p < 0)
		return p;
	svc->key.proto = (uint8_t)p;
	return 0;
}

static int
svc_vip(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_service *svc = obj;

	return lb_addr(c, s, &svc->key.vip);
}

static int
svc_sched(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_service *svc = obj;
	const char *v = cfg_string(c, s);

	if (v == NULL)
		return -EINVAL;
	if (strlen(v) >= sizeof(svc->conf.sched) || !sched_known(v))
		return cfg_err(c, s, NULL, "unknown scheduler '%s' ("
			       SCHED_NAMES ")", v);
	strcpy(svc->conf.sched, v);
	return 0;
}

static int
svc_flags(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_service *svc = obj;
	int i, f, n = cfg_string_list(c, s, 8, "flags");

	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		const char *v = config_setting_get_string(e);

		f = lb_svc_flag_parse(v);
		if (f < 0)
			return cfg_err(c, e, NULL, "unknown flag '%s' (sh-port, "
				       "sh-fallback, mh-port, mh-fallback, "
				       "one-packet, expire-quiescent, "
				       "proxy-protocol-v1, proxy-protocol-v2, "
				       "toa, syn-proxy)", v);
		svc->conf.flags |= (uint32_t)f;
	}
	return 0;
}

static int
svc_netmask(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_service *svc = obj;
	const char *v = cfg_string(c, s);
	int len;

	if (v == NULL)
		return -EINVAL;
	len = lb_netmask_parse(v);
	if (len < 0)
		return cfg_err(c, s, NULL, "invalid netmask '%s' (expected "
				"e.g. \"255.255.255.0\", or a prefix length "
				"such as \"/64\" for IPv6)", v);
	svc->conf.netmask_len = (uint8_t)len;
	return 0;
}

static int
svc_laddr_group(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_service *svc = obj;

	if (cfg_copy_string(c, s, svc->conf.laddr_group,
			sizeof(svc->conf.laddr_group)) < 0)
		return -EINVAL;
	if (svc->conf.laddr_group[0] == '\0' ||	/* none */
	    CFG_NAME_INDEX(c->cfg->laddr_groups, c->cfg->n_laddr_groups,
			   name, svc->conf.laddr_group) >= 0)
		return 0;
	return cfg_err(c, s, NULL, "no laddr group '%s' in laddr_groups",
		       svc->conf.laddr_group);
}

static int
dest_addr(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct lb_dest_conf *d = obj;

	return lb_addr(c, s, &d->addr);
}

static int
dest_fwd(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct lb_dest_conf *d = obj;
	int f = cfg_enum(c, s, lb_fwd_parse, "must be one of fnat, nat, dr, "
			 "tunnel");

	if (f < 0)
		return f;
	d->fwd = (uint8_t)f;
	return 0;
}

static const struct key svc_dest_keys[] = {
	FN_KEY("addr", dest_addr),
	UINT_KEY(struct lb_dest_conf, "port", port, 0, 65535),
	UINT_KEY(struct lb_dest_conf, "weight", weight, 0, SCHED_WEIGHT_MAX),
	FN_KEY("fwd", dest_fwd),
	UINT_KEY(struct lb_dest_conf, "u_threshold", u_threshold, 0,
		 LB_THRESHOLD_MAX),
	UINT_KEY(struct lb_dest_conf, "l_threshold", l_threshold, 0,
		 LB_THRESHOLD_MAX),
};

/* The service whose dests are being parsed (n_services counts it after). */
#define CUR_SVC(c) (&(c)->cfg->services[(c)->cfg->n_services])

static void
dest_init(void *elem)
{
	lb_dest_conf_init(elem);
}

static int
dest_check(struct ctx *c, const config_setting_t *e, unsigned int idx)
{
	const struct cfg_service *svc = CUR_SVC(c);
	struct lb_dest_conf *dests = &c->cfg->svc_dests[svc->first_dest];
	struct lb_dest_conf *d = &dests[idx];
	char why[CFG_ERR_LEN];
	unsigned int j;

	if (d->addr.family == 0)
		return cfg_err(c, e, "addr", "is required");
	if (d->port == 0)	/* as lb_dest_add stores it */
		d->port = svc->key.port;
	if (lb_dest_conf_check(&svc->key, &svc->conf, d, why,
			       sizeof(why)) != 0)
		return model_err(c, e, why);
	for (j = 0; j < idx; j++)
		if (dests[j].port == d->port &&
		    inet_addr_equal(&dests[j].addr, &d->addr))
			return cfg_err(c, e, NULL, "duplicate dest "
				       "(see dests.[%u])", j);
	return 0;
}

static const struct key_table svc_dest_table = KEY_TABLE(svc_dest_keys);
static const struct key_list svc_dest_list = {
	&svc_dest_table, sizeof(struct lb_dest_conf), dest_init, dest_check,
};

static int
svc_dests(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct dplb_config *cfg = c->cfg;
	struct cfg_service *svc = obj;
	int n = cfg_list_length(c, s, LB_MAX_DESTS_PER_SVC, "dests");

	if (n < 0)
		return n;
	if (cfg->n_svc_dests + (unsigned int)n > CFG_MAX_SVC_DESTS)
		return cfg_err(c, s, NULL, "more than %d dests in all services",
			       CFG_MAX_SVC_DESTS);
	svc->first_dest = cfg->n_svc_dests;
	if (cfg_parse_list(c, s, n, &svc_dest_list,
			   &cfg->svc_dests[svc->first_dest], &svc->n_dests) < 0)
		return -EINVAL;
	cfg->n_svc_dests += svc->n_dests;
	return 0;
}

/* Parsed by cfg_top_services once the rest of the service is checked. */
static int
svc_dests_later(struct ctx *c, const config_setting_t *s, void *obj)
{
	return 0;
}

static const struct key svc_keys[] = {
	FN_KEY("proto", svc_proto),
	FN_KEY("vip", svc_vip),
	UINT_KEY(struct cfg_service, "port", key.port, 0, 65535),
	FN_KEY("sched", svc_sched),
	FN_KEY("flags", svc_flags),
	UINT_KEY(struct cfg_service, "persistent", conf.persistent, 0,
		 LB_PERSIST_MAX),
	FN_KEY("netmask", svc_netmask),
	FN_KEY("laddr_group", svc_laddr_group),
	UINT_KEY(struct cfg_service, "half_open_max", conf.half_open_max, 0,
		 0xffffffffu),
	UINT_KEY(struct cfg_service, "conn_rate", conf.conn_rate, 0,
		 0xffffffffu),
	UINT_KEY(struct cfg_service, "conn_rate_prefix", conf.conn_rate_prefix,
		 0, 32),
	FN_KEY("dests", svc_dests_later),
};

/* The service's own checks, then its dests against it. */
static int
svc_check(struct ctx *c, const config_setting_t *e, unsigned int idx)
{
	struct cfg_service *svc = &c->cfg->services[idx];
	char why[CFG_ERR_LEN], a[INET_ADDR_STRLEN];
	const config_setting_t *d;
	unsigned int i;

	if (config_setting_get_member(e, "proto") == NULL)
		return cfg_err(c, e, "proto", "is required");
	if (config_setting_get_member(e, "vip") == NULL)
		return cfg_err(c, e, "vip", "is required");
	if (config_setting_get_member(e, "port") == NULL)
		return cfg_err(c, e, "port", "is required (0 = every port)");
	if (svc->conf.netmask_len == LB_NETMASK_UNSET)
		svc->conf.netmask_len = lb_netmask_default(svc->key.vip.family);
	if (lb_svc_conf_check(&svc->key, &svc->conf, why, sizeof(why)) != 0)
		return model_err(c, e, why);
	for (i = 0; i < idx; i++)
		if (c->cfg->services[i].key.proto == svc->key.proto &&
		    c->cfg->services[i].key.port == svc->key.port &&
		    inet_addr_equal(&c->cfg->services[i].key.vip,
				    &svc->key.vip))
			return cfg_err(c, e, NULL, svc->key.vip.family ==
				       AF_INET6 ? "duplicate service %s [%s]:%u "
				       "(see services.[%u])" : "duplicate "
				       "service %s %s:%u (see services.[%u])",
				       lb_proto_name(svc->key.proto),
				       inet_addr_fmt(&svc->key.vip, a,
						     sizeof(a)),
				       svc->key.port, i);
	d = config_setting_get_member(e, "dests");
	if (d != NULL)
		return svc_dests(c, d, &c->cfg->services[idx]);
	return 0;
}

static void
svc_init(void *elem)
{
	struct cfg_service *svc = elem;

	lb_svc_conf_init(&svc->conf);
	svc->conf.netmask_len = LB_NETMASK_UNSET;	/* by the VIP's family */
}

static const struct key_table svc_table = KEY_TABLE(svc_keys);
static const struct key_list svc_list = {
	&svc_table, sizeof(struct cfg_service), svc_init, svc_check,
};

int
cfg_top_services(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct dplb_config *cfg = c->cfg;
	int n = cfg_list_length(c, s, CFG_MAX_SERVICES, "services");

	return cfg_parse_list(c, s, n, &svc_list, cfg->services,
			      &cfg->n_services);
}

/* --- JSON ----------------------------------------------------------- */

json_object *
cfg_laddr_group_json(const struct cfg_laddr_group *g)
{
	json_object *o = json_object_new_object();
	json_object *addrs = json_object_new_array();
	char a[INET_ADDR_STRLEN];
	unsigned int i;

	cfg_add_str(o, "name", g->name);
	for (i = 0; i < g->n_addrs; i++)
		json_object_array_add(addrs, json_object_new_string(
			inet_addr_fmt(&g->addrs[i], a, sizeof(a))));
	json_object_object_add(o, "addresses", addrs);
	return o;
}

json_object *
cfg_service_json(const struct dplb_config *cfg, const struct cfg_service *svc)
{
	json_object *o = json_object_new_object();
	json_object *flags = json_object_new_array();
	json_object *dests = json_object_new_array();
	char a[INET_ADDR_STRLEN];
	uint32_t f;
	unsigned int i;

	cfg_add_str(o, "proto", lb_proto_name(svc->key.proto));
	cfg_add_str(o, "vip", inet_addr_fmt(&svc->key.vip, a, sizeof(a)));
	json_object_object_add(o, "port", json_object_new_int(svc->key.port));
	cfg_add_str(o, "sched", svc->conf.sched);
	for (f = 1; f != 0 && f <= svc->conf.flags; f <<= 1)
		if (svc->conf.flags & f)
			json_object_array_add(flags, json_object_new_string(
				lb_svc_flag_name(f, svc->conf.sched)));
	json_object_object_add(o, "flags", flags);
	json_object_object_add(o, "persistent",
			       json_object_new_int64(svc->conf.persistent));
	cfg_add_str(o, "netmask", lb_netmask_fmt(svc->key.vip.family,
						 svc->conf.netmask_len, a,
						 sizeof(a)));
	cfg_add_str(o, "laddr_group", svc->conf.laddr_group);
	json_object_object_add(o, "half_open_max",
			       json_object_new_int64(svc->conf.half_open_max));
	json_object_object_add(o, "conn_rate",
			       json_object_new_int64(svc->conf.conn_rate));
	json_object_object_add(o, "conn_rate_prefix",
			       json_object_new_int(svc->conf.conn_rate_prefix));
	for (i = 0; i < svc->n_dests; i++) {
		const struct lb_dest_conf *d = &cfg->svc_dests[svc->first_dest + i];
		json_object *e = json_object_new_object();

		cfg_add_str(e, "addr", inet_addr_fmt(&d->addr, a, sizeof(a)));
		KEYS_TO_JSON(e, svc_dest_keys, d);
		cfg_add_str(e, "fwd", lb_fwd_name(d->fwd));
		json_object_array_add(dests, e);
	}
	json_object_object_add(o, "dests", dests);
	return o;
}
