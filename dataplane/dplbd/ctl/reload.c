/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Each kind of object (addresses, routes, static neighbours) is applied
 * in two passes, deletions of every kind before additions of any, so
 * that an address moving to another prefix or a route changing its
 * gateway is deleted before its replacement is added, and new routes
 * find the connected subnets of new addresses.  Each pass edits the
 * running configuration (dp->cfg) as it succeeds, so that it always
 * describes what is applied and the next reload compares with that.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>
#include <rte_log.h>

#include "config/config.h"
#include "core/eal.h"
#include "log.h"
#include "net/neigh.h"
#include "net/netcfg.h"
#include "net6/netcfg6.h"
#include "ctl/reload.h"

/* The file being applied; main lcore only, and too big for the stack. */
static struct dplb_config next;

/* --- keys that need a restart --------------------------------------- */

static void
strip_live_keys(json_object *root)
{
	static const char *const neigh_live[] = { "reachable_ms", "retrans_ms",
						  "probes", "static" };
	json_object *g;
	size_t i;

	if (json_object_object_get_ex(root, "global", &g))
		json_object_object_del(g, "log_level");
	if (json_object_object_get_ex(root, "ha", &g))
		json_object_object_del(g, "lease_grace_ms");
	if (json_object_object_get_ex(root, "neigh", &g))
		for (i = 0; i < RTE_DIM(neigh_live); i++)
			json_object_object_del(g, neigh_live[i]);
	if (json_object_object_get_ex(root, "ports", &g))
		for (i = 0; i < json_object_array_length(g); i++)
			json_object_object_del(json_object_array_get_idx(g, i),
					       "addresses");
	json_object_object_del(root, "routes");
}

/*
 * The top-level groups of nxt that differ from cur in a key reload
 * cannot apply, as "eal, services" in buf ("" if none).  Compared on
 * config_to_json(), which walks the parser's own tables, so a key added
 * to the parser later is restart-only until this file learns about it.
 */
static void
restart_only_changes(const struct dplb_config *cur,
		     const struct dplb_config *nxt, char *buf, size_t len)
{
	json_object *a = config_to_json(cur), *b = config_to_json(nxt);
	size_t off = 0;

	buf[0] = '\0';
	strip_live_keys(a);
	strip_live_keys(b);
	json_object_object_foreach(b, key, val) {
		json_object *old = NULL;

		json_object_object_get_ex(a, key, &old);
		if (!json_object_equal(old, val) && off < len)
			off += (size_t)snprintf(buf + off, len - off, "%s%s",
						off ? ", " : "", key);
	}
	json_object_put(a);
	json_object_put(b);
}

/* --- scalar keys ------------------------------------------------------ */

static void
apply_scalars(struct dp_ctx *dp, struct dplb_config *cur,
	      const struct dplb_config *nxt)
{
	if (cur->log_level != nxt->log_level) {
		LOG_NOTICE("reload: log_level %s -> %s",
			   log_level_name(cur->log_level),
			   log_level_name(nxt->log_level));
		cur->log_level = nxt->log_level;
		log_set_level(cur->log_level);
		rte_log_set_global_level(eal_log_level(cur->log_level));
	}
	cur->lease_grace_ms = nxt->lease_grace_ms;	/* read at each use */
	cur->neigh_reachable_ms = nxt->neigh_reachable_ms;
	cur->neigh_retrans_ms = nxt->neigh_retrans_ms;
	cur->neigh_probes = nxt->neigh_probes;
	dp->neigh.params.reachable_ms = nxt->neigh_reachable_ms;
	dp->neigh.params.retrans_ms = nxt->neigh_retrans_ms;
	dp->neigh.params.probes = nxt->neigh_probes;
}

/* --- addresses -------------------------------------------------------- */

static bool
prefix_in(const struct inet_prefix *p, const struct inet_prefix *list,
	  unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (list[i].len == p->len &&
		    inet_addr_equal(&list[i].addr, &p->addr))
			return true;
	return false;
}

/* The port of nxt with the name of running port i, or NULL. */
static const struct cfg_port *
next_port(const struct dplb_config *cur, const struct dplb_config *nxt,
	  unsigned int i)
{
	int j = config_port_index(nxt, cur->ports[i].name);

	return j < 0 ? NULL : &nxt->ports[j];
}

static int
addrs_drop(struct dp_ctx *dp, struct dplb_config *cur,
	   const struct dplb_config *nxt)
{
	char msg[256];
	unsigned int i, j;
	int ret, first = 0;

	for (i = 0; i < cur->n_ports; i++) {
		struct cfg_port *p = &cur->ports[i];
		const struct cfg_port *np = next_port(cur, nxt, i);

		for (j = 0; np != NULL && j < p->n_addrs;) {
			if (prefix_in(&p->addrs[j], np->addrs, np->n_addrs)) {
				j++;
				continue;
			}
			ret = netcfg6_addr_del(dp, i, &p->addrs[j], msg,
					      sizeof(msg));
			if (ret != 0 && ret != -ENOENT) {
				LOG_ERR("reload: port %s: %s", p->name, msg);
				first = first ? first : ret;
				j++;
				continue;
			}
			memmove(&p->addrs[j], &p->addrs[j + 1],
				(p->n_addrs - j - 1) * sizeof(p->addrs[0]));
			p->n_addrs--;
		}
	}
	return first;
}

static int
addrs_add(struct dp_ctx *dp, struct dplb_config *cur,
	  const struct dplb_config *nxt)
{
	char msg[256];
	unsigned int i, j;
	int ret, first = 0;

	for (i = 0; i < cur->n_ports; i++) {
		struct cfg_port *p = &cur->ports[i];
		const struct cfg_port *np = next_port(cur, nxt, i);

		for (j = 0; np != NULL && j < np->n_addrs; j++) {
			if (prefix_in(&np->addrs[j], p->addrs, p->n_addrs))
				continue;
			ret = p->n_addrs < CFG_MAX_PORT_ADDRS ?
				netcfg6_addr_add(dp, i, &np->addrs[j], msg,
						sizeof(msg)) : -ENOSPC;
			if (ret != 0) {
				LOG_ERR("reload: port %s: %s", p->name,
					ret == -ENOSPC ? "too many addresses"
						       : msg);
				first = first ? first : ret;
				continue;
			}
			p->addrs[p->n_addrs++] = np->addrs[j];
		}
	}
	return first;
}

/* --- routes ----------------------------------------------------------- */

static bool
route_in(const struct cfg_route *r, const struct cfg_route *list,
	 unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (list[i].dst.len == r->dst.len &&
		    inet_addr_equal(&list[i].dst.addr, &r->dst.addr) &&
		    inet_addr_equal(&list[i].via, &r->via) &&
		    strcmp(list[i].dev, r->dev) == 0)
			return true;
	return false;
}

static int
routes_drop(struct dp_ctx *dp, struct dplb_config *cur,
	    const struct dplb_config *nxt)
{
	char msg[256], buf[INET_PREFIX_STRLEN];
	unsigned int i = 0;
	int ret, first = 0;

	while (i < cur->n_routes) {
		struct cfg_route *r = &cur->routes[i];

		if (route_in(r, nxt->routes, nxt->n_routes)) {
			i++;
			continue;
		}
		ret = netcfg6_route_del(dp, &r->dst, msg, sizeof(msg));
		if (ret != 0 && ret != -ENOENT) {
			LOG_ERR("reload: %s", msg);
			first = first ? first : ret;
			i++;
			continue;
		}
		LOG_NOTICE("reload: route %s deleted",
			   inet_prefix_fmt(&r->dst, buf, sizeof(buf)));
		memmove(r, r + 1, (cur->n_routes - i - 1) * sizeof(*r));
		cur->n_routes--;
	}
	return first;
}

static int
routes_add(struct dp_ctx *dp, struct dplb_config *cur,
	   const struct dplb_config *nxt)
{
	char msg[256], buf[INET_PREFIX_STRLEN];
	unsigned int i;
	int ret, first = 0;

	for (i = 0; i < nxt->n_routes; i++) {
		const struct cfg_route *r = &nxt->routes[i];
		int port = r->dev[0] ? dp_port_by_name(dp, r->dev) : -1;

		if (route_in(r, cur->routes, cur->n_routes))
			continue;
		if (r->dev[0] != '\0' && port < 0) {
			ret = -ENODEV;
			snprintf(msg, sizeof(msg), "%s: no running port %s",
				 inet_prefix_fmt(&r->dst, buf, sizeof(buf)),
				 r->dev);
		} else if (cur->n_routes == CFG_MAX_ROUTES) {
			ret = -ENOSPC;
			snprintf(msg, sizeof(msg), "too many routes");
		} else {
			ret = netcfg6_route_add(dp, &r->dst, &r->via, port, msg,
					       sizeof(msg));
		}
		if (ret != 0) {
			LOG_ERR("reload: %s", msg);
			first = first ? first : ret;
			continue;
		}
		LOG_NOTICE("reload: route %s added",
			   inet_prefix_fmt(&r->dst, buf, sizeof(buf)));
		cur->routes[cur->n_routes++] = *r;
	}
	return first;
}

/* --- static neighbours ------------------------------------------------ */

/* The index of the entry of list for (ip, dev), or -1. */
static int
neigh_index(const struct cfg_neigh *n, const struct cfg_neigh *list,
	    unsigned int count)
{
	unsigned int i;

	for (i = 0; i < count; i++)
		if (inet_addr_equal(&list[i].ip, &n->ip) &&
		    strcmp(list[i].dev, n->dev) == 0)
			return (int)i;
	return -1;
}

/* Never fails: an entry already gone is what the file asks for. */
static int
neighs_drop(struct dp_ctx *dp, struct dplb_config *cur,
	    const struct dplb_config *nxt)
{
	char buf[INET_ADDR_STRLEN];
	unsigned int i = 0;
	int ret, port;

	while (i < cur->n_neighs) {
		struct cfg_neigh *n = &cur->neighs[i];

		if (neigh_index(n, nxt->neighs, nxt->n_neighs) >= 0) {
			i++;
			continue;
		}
		port = dp_port_by_name(dp, n->dev);
		ret = port < 0 ? -ENOENT :
				 neigh_del(&dp->neigh, (uint16_t)port, &n->ip);
		LOG_NOTICE("reload: static neighbour %s dev %s %s",
			   inet_addr_fmt(&n->ip, buf, sizeof(buf)), n->dev,
			   ret == 0 ? "deleted" : "was gone already");
		memmove(n, n + 1, (cur->n_neighs - i - 1) * sizeof(*n));
		cur->n_neighs--;
	}
	return 0;
}

/* Add (or change the MAC of) one entry of the file; 0 or -errno. */
static int
neigh_apply(struct dp_ctx *dp, struct dplb_config *cur,
	    const struct cfg_neigh *n, int have)
{
	struct rte_ether_addr mac;
	int port = dp_port_by_name(dp, n->dev), ret;

	if (port < 0)
		return -ENODEV;
	if (have < 0 && cur->n_neighs == CFG_MAX_NEIGHS)
		return -ENOSPC;
	memcpy(mac.addr_bytes, n->mac, sizeof(n->mac));
	ret = neigh_add_static(&dp->neigh, (uint16_t)port, &n->ip, &mac,
			       dp_now_ms());
	if (ret == 0)
		cur->neighs[have < 0 ? (int)cur->n_neighs++ : have] = *n;
	return ret;
}

static int
neighs_add(struct dp_ctx *dp, struct dplb_config *cur,
	   const struct dplb_config *nxt)
{
	char buf[INET_ADDR_STRLEN];
	unsigned int i;
	int ret, have, first = 0;

	for (i = 0; i < nxt->n_neighs; i++) {
		const struct cfg_neigh *n = &nxt->neighs[i];

		have = neigh_index(n, cur->neighs, cur->n_neighs);
		if (have >= 0 && memcmp(cur->neighs[have].mac, n->mac, 6) == 0)
			continue;
		ret = neigh_apply(dp, cur, n, have);
		inet_addr_fmt(&n->ip, buf, sizeof(buf));
		if (ret != 0) {
			LOG_ERR("reload: static neighbour %s dev %s: %s", buf,
				n->dev, strerror(-ret));
			first = first ? first : ret;
			continue;
		}
		LOG_NOTICE("reload: static neighbour %s dev %s %s", buf,
			   n->dev, have >= 0 ? "changed" : "added");
	}
	return first;
}

/* --- the whole ---------------------------------------------------------- */

int
reload_config(struct dp_ctx *dp)
{
	typedef int (*pass_fn)(struct dp_ctx *, struct dplb_config *,
			       const struct dplb_config *);
	static const pass_fn passes[] = { routes_drop, neighs_drop, addrs_drop,
					  addrs_add, routes_add, neighs_add };
	struct dplb_config *cur = dp->cfg;
	char err[CFG_ERR_LEN], kept[256];
	unsigned int i;
	int ret, first = 0;

	ret = config_load(cur->path, &next, err, sizeof(err));
	if (ret != 0) {
		LOG_ERR("reload: %s; the running configuration is unchanged",
			err);
		return -EINVAL;
	}
	restart_only_changes(cur, &next, kept, sizeof(kept));
	if (kept[0] != '\0')
		LOG_WARN("reload: changes to %s need a restart; running with "
			 "the old values there", kept);
	apply_scalars(dp, cur, &next);
	for (i = 0; i < RTE_DIM(passes); i++) {
		ret = passes[i](dp, cur, &next);
		first = first ? first : ret;
	}
	LOG_NOTICE("reloaded %s%s", cur->path,
		   first ? " with errors (see above)" : "");
	return first;
}
