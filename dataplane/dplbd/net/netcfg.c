/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "net/netcfg.h"
#include "net/slowpath.h"

#define SAY(...)                                                               \
	do {                                                                   \
		if (msg != NULL)                                               \
			snprintf(msg, len, __VA_ARGS__);                       \
	} while (0)

static int
find_addr(const struct dp_port *p, const struct inet_prefix *a)
{
	unsigned int i;

	for (i = 0; i < p->n_addrs; i++)
		if (inet_addr_equal(&p->addrs[i].addr, &a->addr))
			return (int)i;
	return -1;
}

/* The address workers originate packets from (dp.h): the first IPv4
 * one, stored atomically as workers read it without a lock. */
static void
port_addr4_sync(struct dp_port *p)
{
	rte_be32_t a = 0;
	unsigned int i;

	for (i = 0; i < p->n_addrs && a == 0; i++)
		if (p->addrs[i].addr.family == AF_INET)
			a = p->addrs[i].addr.v4.s_addr;
	__atomic_store_n(&p->addr4, a, __ATOMIC_RELAXED);
}

static struct inet_prefix
masked(const struct inet_prefix *p)
{
	struct inet_prefix m = *p;

	inet_prefix_mask(&m);
	return m;
}

static int
addr_routes_add(struct dp_ctx *dp, unsigned int port,
		const struct inet_prefix *p)
{
	struct inet_prefix net = masked(p);
	int ret;

	ret = route_add(&dp->routes, p->addr.v4.s_addr, 32, ROUTE_LOCAL, 0,
			(uint16_t)port);
	if (ret != 0 || p->len == 32)
		return ret;
	ret = route_add(&dp->routes, net.addr.v4.s_addr, net.len,
			ROUTE_CONNECTED, 0, (uint16_t)port);
	if (ret != 0)
		route_del(&dp->routes, p->addr.v4.s_addr, 32, ROUTE_LOCAL);
	return ret;
}

static void
twin_sync_addr(struct dp_ctx *dp, unsigned int port,
	       const struct inet_prefix *p, bool add)
{
	const char *twin = dp->cfg->ports[port].twin;
	char buf[INET_PREFIX_STRLEN];
	int ret;

	if (twin[0] == '\0' || dp->ports[port].twin_id == DP_NO_PORT)
		return;
	ret = twin_addr(twin, p, add);
	if (ret != 0)
		LOG_WARN("twin %s: cannot %s %s: %s", twin,
			 add ? "add" : "delete",
			 inet_prefix_fmt(p, buf, sizeof(buf)), strerror(-ret));
}

int
netcfg_addr_add(struct dp_ctx *dp, unsigned int port,
		const struct inet_prefix *p, char *msg, size_t len)
{
	struct dp_port *dpp = &dp->ports[port];
	char buf[INET_PREFIX_STRLEN];
	int ret;

	inet_prefix_fmt(p, buf, sizeof(buf));
	if (p->addr.family != AF_INET) {
		SAY("%s: only IPv4 addresses are supported yet", buf);
		return -EAFNOSUPPORT;
	}
	if (dpp->n_addrs == CFG_MAX_PORT_ADDRS) {
		SAY("%s: port %s has %u addresses already", buf, dpp->name,
		    dpp->n_addrs);
		return -ENOSPC;
	}
	ret = addr_routes_add(dp, port, p);
	if (ret == -EEXIST)
		SAY("%s: address or route exists already", buf);
	else if (ret != 0)
		SAY("%s: %s", buf, strerror(-ret));
	if (ret != 0)
		return ret;
	dpp->addrs[dpp->n_addrs++] = *p;
	port_addr4_sync(dpp);
	twin_sync_addr(dp, port, p, true);
	slowpath_announce(dp, (uint16_t)port, p->addr.v4.s_addr);
	LOG_INFO("port %s: address %s added", dpp->name, buf);
	return 0;
}

int
netcfg_addr_del(struct dp_ctx *dp, unsigned int port,
		const struct inet_prefix *p, char *msg, size_t len)
{
	struct dp_port *dpp = &dp->ports[port];
	char buf[INET_PREFIX_STRLEN];
	struct inet_prefix have, net;
	int i = find_addr(dpp, p);

	inet_prefix_fmt(p, buf, sizeof(buf));
	if (i < 0 || (p->len != inet_max_len(p->addr.family) &&
		      dpp->addrs[i].len != p->len)) {
		SAY("%s: no such address on %s", buf, dpp->name);
		return -ENOENT;
	}
	have = dpp->addrs[i];
	net = masked(&have);
	route_del(&dp->routes, have.addr.v4.s_addr, 32, ROUTE_LOCAL);
	if (have.len < 32)
		route_del(&dp->routes, net.addr.v4.s_addr, net.len,
			  ROUTE_CONNECTED);
	/* Keep the order: the first address stays the port's source. */
	memmove(&dpp->addrs[i], &dpp->addrs[i + 1],
		sizeof(dpp->addrs[0]) * (--dpp->n_addrs - (unsigned int)i));
	port_addr4_sync(dpp);
	twin_sync_addr(dp, port, &have, false);
	LOG_INFO("port %s: address %s deleted", dpp->name, buf);
	return 0;
}

/* The port whose connected subnet holds via, or -1. */
static int
port_of_gateway(const struct dp_ctx *dp, rte_be32_t via)
{
	const struct route_slot *r = route_lookup(&dp->routes, via);

	if (r == NULL || r->type != ROUTE_CONNECTED)
		return -1;
	return r->port;
}

int
netcfg_route_add(struct dp_ctx *dp, const struct inet_prefix *dst,
		 const struct inet_addr *via, int port, char *msg, size_t len)
{
	char buf[INET_PREFIX_STRLEN];
	rte_be32_t gw = 0;
	int ret;

	inet_prefix_fmt(dst, buf, sizeof(buf));
	if (dst->addr.family != AF_INET ||
	    (via->family != 0 && via->family != AF_INET)) {
		SAY("%s: only IPv4 routes are supported yet", buf);
		return -EAFNOSUPPORT;
	}
	if (via->family != 0) {
		gw = via->v4.s_addr;
		if (port < 0)
			port = port_of_gateway(dp, gw);
		if (port < 0) {
			SAY("%s: gateway is not on a connected subnet", buf);
			return -ENETUNREACH;
		}
	}
	if (port < 0) {
		SAY("%s: a route needs a gateway or a device", buf);
		return -EINVAL;
	}
	ret = route_add(&dp->routes, dst->addr.v4.s_addr, dst->len,
			ROUTE_GATEWAY, gw, (uint16_t)port);
	if (ret == -EEXIST)
		SAY("%s: a route to this prefix exists already", buf);
	else if (ret != 0)
		SAY("%s: %s", buf, strerror(-ret));
	return ret;
}

int
netcfg_route_del(struct dp_ctx *dp, const struct inet_prefix *dst, char *msg,
		 size_t len)
{
	const struct route_slot *r;
	char buf[INET_PREFIX_STRLEN];

	inet_prefix_fmt(dst, buf, sizeof(buf));
	if (dst->addr.family != AF_INET) {
		SAY("%s: no such route", buf);
		return -ENOENT;
	}
	r = route_find(&dp->routes, dst->addr.v4.s_addr, dst->len);
	if (r == NULL) {
		SAY("%s: no such route", buf);
		return -ENOENT;
	}
	if (r->type != ROUTE_GATEWAY) {
		SAY("%s: the route belongs to an address; delete the address",
		    buf);
		return -EPERM;
	}
	return route_del(&dp->routes, dst->addr.v4.s_addr, dst->len,
			 ROUTE_GATEWAY);
}

static int
apply_port_addrs(struct dp_ctx *dp, char *msg, size_t len)
{
	unsigned int i, j;
	int ret;

	for (i = 0; i < dp->n_ports; i++)
		for (j = 0; j < dp->cfg->ports[i].n_addrs; j++) {
			/* IPv6: net6/netcfg6.c, after these */
			ret = dp->cfg->ports[i].addrs[j].addr.family != AF_INET ?
				      0 :
				      netcfg_addr_add(dp, i,
						      &dp->cfg->ports[i].addrs[j],
						      msg, len);
			if (ret != 0)
				return ret;
		}
	return 0;
}

static int
apply_routes(struct dp_ctx *dp, char *msg, size_t len)
{
	unsigned int i;
	int ret;

	for (i = 0; i < dp->cfg->n_routes; i++) {
		const struct cfg_route *r = &dp->cfg->routes[i];
		int port = r->dev[0] ? dp_port_by_name(dp, r->dev) : -1;

		if (r->dst.addr.family != AF_INET)
			continue;	/* net6/netcfg6.c */
		ret = netcfg_route_add(dp, &r->dst, &r->via, port, msg, len);
		if (ret != 0)
			return ret;
	}
	return 0;
}

static int
apply_neighs(struct dp_ctx *dp, char *msg, size_t len)
{
	struct rte_ether_addr mac;
	unsigned int i;
	int ret;

	for (i = 0; i < dp->cfg->n_neighs; i++) {
		const struct cfg_neigh *n = &dp->cfg->neighs[i];

		memcpy(mac.addr_bytes, n->mac, sizeof(n->mac));
		ret = neigh_add_static(&dp->neigh,
				       (uint16_t)dp_port_by_name(dp, n->dev),
				       &n->ip, &mac, dp_now_ms());
		if (ret != 0) {
			SAY("neigh.static.[%u]: %s", i, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

int
netcfg_apply_config(struct dp_ctx *dp, char *msg, size_t len)
{
	int ret = apply_port_addrs(dp, msg, len);

	if (ret == 0)
		ret = apply_routes(dp, msg, len);
	if (ret == 0)
		ret = apply_neighs(dp, msg, len);
	return ret;
}
