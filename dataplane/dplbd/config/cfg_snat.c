/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config: the snat list of dplbd.conf (static SNAT rules, lb_snat.h),
 * and its JSON.  The rules' own checks are lb_snat_conf_check(); what
 * needs the rest of the file (port names) is checked here.
 *
 *   snat = (
 *     { src = "198.18.1.0/24"; dst = "0.0.0.0/0"; proto = "any";
 *       iif = "dp1"; oif = "dp0"; addresses = [ "198.18.0.1" ];
 *       ports_per_worker = 0; }
 *   );
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cfg_priv.h"

static int
sn_prefix(struct ctx *c, const config_setting_t *s, struct inet_prefix *p)
{
	return cfg_prefix(c, s, p) < 0 ? -EINVAL : 0;
}

static int
sn_src(struct ctx *c, const config_setting_t *s, void *obj)
{
	return sn_prefix(c, s, &((struct lb_snat_conf *)obj)->src);
}

static int
sn_dst(struct ctx *c, const config_setting_t *s, void *obj)
{
	return sn_prefix(c, s, &((struct lb_snat_conf *)obj)->dst);
}

static int
sn_proto(struct ctx *c, const config_setting_t *s, void *obj)
{
	int p = cfg_enum(c, s, lb_snat_proto_parse,
			 "must be \"tcp\", \"udp\", \"icmp\" or \"any\"");

	if (p < 0)
		return p;
	((struct lb_snat_conf *)obj)->proto = (uint8_t)p;
	return 0;
}

static int
sn_iif(struct ctx *c, const config_setting_t *s, void *obj)
{
	return cfg_port_ref(c, s, ((struct lb_snat_conf *)obj)->iif);
}

static int
sn_oif(struct ctx *c, const config_setting_t *s, void *obj)
{
	return cfg_port_ref(c, s, ((struct lb_snat_conf *)obj)->oif);
}

static int
sn_addresses(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct lb_snat_conf *r = obj;
	int i, n = cfg_string_list(c, s, LB_SNAT_MAX_ADDRS, "addresses");

	if (n < 0)
		return n;
	for (i = 0; i < n; i++)
		if (cfg_unicast_addr(c, config_setting_get_elem(s, i),
				     &r->addrs[r->n_addrs++]) < 0)
			return -EINVAL;
	return 0;
}

static const struct key snat_keys[] = {
	FN_KEY("src", sn_src),
	FN_KEY("dst", sn_dst),
	FN_KEY("proto", sn_proto),
	FN_KEY("iif", sn_iif),
	FN_KEY("oif", sn_oif),
	FN_KEY("addresses", sn_addresses),
	UINT_KEY(struct lb_snat_conf, "ports_per_worker", ports_per_worker, 0,
		 65535),
};

static int
sn_check(struct ctx *c, const config_setting_t *e, unsigned int idx)
{
	struct lb_snat_conf *r = &c->cfg->snat[idx];
	char why[256];

	if (r->src.addr.family == 0)
		return cfg_err(c, e, "src", "is required");
	if (r->n_addrs == 0)
		return cfg_err(c, e, "addresses", "is required");
	if (lb_snat_conf_check(r, why, sizeof(why)) == 0)
		return 0;
	return cfg_err(c, e, NULL, "%s", why);
}

static const struct key_table snat_table = KEY_TABLE(snat_keys);
static const struct key_list snat_list = {
	&snat_table, sizeof(struct lb_snat_conf), NULL, sn_check,
};

int
cfg_top_snat(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct dplb_config *cfg = c->cfg;
	int n = cfg_list_length(c, s, LB_SNAT_MAX_RULES, "SNAT rules");

	(void)obj;
	return cfg_parse_list(c, s, n, &snat_list, cfg->snat, &cfg->n_snat);
}

json_object *
cfg_snat_json(const struct lb_snat_conf *r)
{
	json_object *o = json_object_new_object();
	json_object *addrs = json_object_new_array();
	char a[INET_PREFIX_STRLEN];
	unsigned int i;

	cfg_add_str(o, "src", inet_prefix_fmt(&r->src, a, sizeof(a)));
	if (r->dst.addr.family != 0)
		cfg_add_str(o, "dst", inet_prefix_fmt(&r->dst, a, sizeof(a)));
	cfg_add_str(o, "proto", lb_snat_proto_name(r->proto));
	if (r->iif[0] != '\0')
		cfg_add_str(o, "iif", r->iif);
	if (r->oif[0] != '\0')
		cfg_add_str(o, "oif", r->oif);
	for (i = 0; i < r->n_addrs; i++)
		json_object_array_add(addrs, json_object_new_string(
			inet_addr_fmt(&r->addrs[i], a, sizeof(a))));
	json_object_object_add(o, "addresses", addrs);
	json_object_object_add(o, "ports_per_worker",
			       json_object_new_int64(r->ports_per_worker));
	return o;
}
