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

/* "p: why" into msg; returns err. */
static int
refuse(const struct inet_prefix *p, int err, const char *why, char *msg,
       size_t len)
{
	char buf[INET_PREFIX_STRLEN];

	SAY("%s: %s", inet_prefix_fmt(p, buf, sizeof(buf)), why);
	return err;
}

/* What a routing table's error means to the operator. */
static void
say_route_error(const struct netcfg_family *f, int ret, const char *what,
		const char *exists, char *msg, size_t len)
{
	if (ret == -EEXIST)
		SAY("%s: %s", what, exists);
	else if (ret == -ENOMEM && f->enomem_hint != NULL)
		SAY("%s: %s", what, f->enomem_hint);
	else if (ret != 0)
		SAY("%s: %s", what, strerror(-ret));
}

static int
find_addr(const struct dp_port *p, const struct inet_prefix *a)
{
	unsigned int i;

	for (i = 0; i < p->n_addrs; i++)
		if (inet_addr_equal(&p->addrs[i].addr, &a->addr))
			return (int)i;
	return -1;
}

static struct inet_prefix
masked(const struct inet_prefix *p)
{
	struct inet_prefix m = *p;

	inet_prefix_mask(&m);
	return m;
}

/* An address's routes: its local host route and, unless it is a host
 * prefix, its connected subnet (both or neither). */
static int
addr_routes_add(const struct netcfg_family *f, struct dp_ctx *dp,
		unsigned int port, const struct inet_prefix *p)
{
	uint8_t host = (uint8_t)inet_max_len(f->family);
	struct inet_prefix net = masked(p);
	int ret;

	ret = f->route_add(dp, &p->addr, host, ROUTE_LOCAL, NULL,
			   (uint16_t)port);
	if (ret != 0 || p->len == host)
		return ret;
	ret = f->route_add(dp, &net.addr, net.len, ROUTE_CONNECTED, NULL,
			   (uint16_t)port);
	if (ret != 0)
		f->route_del(dp, &p->addr, host, ROUTE_LOCAL);
	return ret;
}

static void
addr_routes_del(const struct netcfg_family *f, struct dp_ctx *dp,
		const struct inet_prefix *p)
{
	uint8_t host = (uint8_t)inet_max_len(f->family);
	struct inet_prefix net = masked(p);

	f->route_del(dp, &p->addr, host, ROUTE_LOCAL);
	if (p->len < host)
		f->route_del(dp, &net.addr, net.len, ROUTE_CONNECTED);
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
netcfg_family_addr_add(const struct netcfg_family *f, struct dp_ctx *dp,
		       unsigned int port, const struct inet_prefix *p,
		       char *msg, size_t len)
{
	struct dp_port *dpp = &dp->ports[port];
	char buf[INET_PREFIX_STRLEN];
	const char *why;
	int ret;

	inet_prefix_fmt(p, buf, sizeof(buf));
	if (f->addr_refused != NULL && (why = f->addr_refused(p)) != NULL)
		return refuse(p, -EINVAL, why, msg, len);
	if (dpp->n_addrs == CFG_MAX_PORT_ADDRS) {
		SAY("%s: port %s has %u addresses already", buf, dpp->name,
		    dpp->n_addrs);
		return -ENOSPC;
	}
	ret = addr_routes_add(f, dp, port, p);
	say_route_error(f, ret, buf, "address or route exists already", msg,
			len);
	if (ret != 0)
		return ret;
	dpp->addrs[dpp->n_addrs++] = *p;
	f->src_sync(dp, port);
	twin_sync_addr(dp, port, p, true);
	f->announce(dp, (uint16_t)port, &p->addr);
	LOG_INFO("port %s: address %s added", dpp->name, buf);
	return 0;
}

int
netcfg_family_addr_del(const struct netcfg_family *f, struct dp_ctx *dp,
		       unsigned int port, const struct inet_prefix *p,
		       char *msg, size_t len)
{
	struct dp_port *dpp = &dp->ports[port];
	char buf[INET_PREFIX_STRLEN];
	struct inet_prefix have;
	int i = find_addr(dpp, p);

	inet_prefix_fmt(p, buf, sizeof(buf));
	if (i < 0 || (p->len != inet_max_len(p->addr.family) &&
		      dpp->addrs[i].len != p->len)) {
		SAY("%s: no such address on %s", buf, dpp->name);
		return -ENOENT;
	}
	have = dpp->addrs[i];
	addr_routes_del(f, dp, &have);
	/* Keep the order: the first address stays the port's source. */
	memmove(&dpp->addrs[i], &dpp->addrs[i + 1],
		sizeof(dpp->addrs[0]) * (--dpp->n_addrs - (unsigned int)i));
	f->src_sync(dp, port);
	twin_sync_addr(dp, port, &have, false);
	LOG_INFO("port %s: address %s deleted", dpp->name, buf);
	return 0;
}

/* The port of a route via a gateway (port < 0: the port of via's
 * subnet), or a negative errno with the reason in msg. */
static int
gateway_port(const struct netcfg_family *f, const struct dp_ctx *dp,
	     const struct inet_prefix *dst, const struct inet_addr *via,
	     int port, char *msg, size_t len)
{
	char buf[INET_PREFIX_STRLEN];
	const char *why;

	if (via->family != f->family) {
		SAY("%s: the gateway of an %s route must be %s",
		    inet_prefix_fmt(dst, buf, sizeof(buf)), f->name, f->name);
		return -EINVAL;
	}
	if (f->gateway_refused != NULL &&
	    (why = f->gateway_refused(via, port)) != NULL)
		return refuse(dst, -EINVAL, why, msg, len);
	if (port < 0)
		port = f->connected_port(dp, via);
	if (port < 0)
		return refuse(dst, -ENETUNREACH,
			      "gateway is not on a connected subnet", msg, len);
	return port;
}

int
netcfg_family_route_add(const struct netcfg_family *f, struct dp_ctx *dp,
			const struct inet_prefix *dst,
			const struct inet_addr *via, int port, char *msg,
			size_t len)
{
	char buf[INET_PREFIX_STRLEN];
	int ret;

	if (via->family != 0) {
		port = gateway_port(f, dp, dst, via, port, msg, len);
		if (port < 0)
			return port;
	}
	if (port < 0)
		return refuse(dst, -EINVAL,
			      "a route needs a gateway or a device", msg, len);
	ret = f->route_add(dp, &dst->addr, dst->len, ROUTE_GATEWAY,
			   via->family != 0 ? via : NULL, (uint16_t)port);
	say_route_error(f, ret, inet_prefix_fmt(dst, buf, sizeof(buf)),
			"a route to this prefix exists already", msg, len);
	return ret;
}

int
netcfg_family_route_del(const struct netcfg_family *f, struct dp_ctx *dp,
			const struct inet_prefix *dst, char *msg, size_t len)
{
	int type = f->route_type(dp, &dst->addr, dst->len);

	if (type < 0)
		return refuse(dst, -ENOENT, "no such route", msg, len);
	if (type != ROUTE_GATEWAY)
		return refuse(dst, -EPERM,
			      "the route belongs to an address; delete the "
			      "address", msg, len);
	return f->route_del(dp, &dst->addr, dst->len, ROUTE_GATEWAY);
}

/* IPv4's table. */

/* The address workers originate packets from (dp.h): the first IPv4
 * one, stored atomically as workers read it without a lock. */
static void
port_addr4_sync(struct dp_ctx *dp, unsigned int port)
{
	struct dp_port *p = &dp->ports[port];
	rte_be32_t a = 0;
	unsigned int i;

	for (i = 0; i < p->n_addrs && a == 0; i++)
		if (p->addrs[i].addr.family == AF_INET)
			a = p->addrs[i].addr.v4.s_addr;
	__atomic_store_n(&p->addr4, a, __ATOMIC_RELAXED);
}

static int
route4_add(struct dp_ctx *dp, const struct inet_addr *dst, uint8_t depth,
	   enum route_type type, const struct inet_addr *gw, uint16_t port)
{
	return route_add(&dp->routes, dst->v4.s_addr, depth, type,
			 gw != NULL ? gw->v4.s_addr : 0, port);
}

static int
route4_del(struct dp_ctx *dp, const struct inet_addr *dst, uint8_t depth,
	   enum route_type type)
{
	return route_del(&dp->routes, dst->v4.s_addr, depth, type);
}

static int
route4_type(const struct dp_ctx *dp, const struct inet_addr *dst,
	    uint8_t depth)
{
	const struct route_slot *r =
		route_find(&dp->routes, dst->v4.s_addr, depth);

	return r != NULL ? r->type : -ENOENT;
}

static int
route4_connected_port(const struct dp_ctx *dp, const struct inet_addr *a)
{
	const struct route_slot *r = route_lookup(&dp->routes, a->v4.s_addr);

	return r != NULL && r->type == ROUTE_CONNECTED ? r->port : -1;
}

static void
announce4(struct dp_ctx *dp, uint16_t port, const struct inet_addr *a)
{
	slowpath_announce(dp, port, a->v4.s_addr);
}

static const struct netcfg_family inet4 = {
	.family = AF_INET,
	.name = "IPv4",
	.route_add = route4_add,
	.route_del = route4_del,
	.route_type = route4_type,
	.connected_port = route4_connected_port,
	.src_sync = port_addr4_sync,
	.announce = announce4,
};

int
netcfg_addr_add(struct dp_ctx *dp, unsigned int port,
		const struct inet_prefix *p, char *msg, size_t len)
{
	if (p->addr.family != AF_INET)
		return refuse(p, -EAFNOSUPPORT,
			      "only IPv4 addresses are supported yet", msg, len);
	return netcfg_family_addr_add(&inet4, dp, port, p, msg, len);
}

int
netcfg_addr_del(struct dp_ctx *dp, unsigned int port,
		const struct inet_prefix *p, char *msg, size_t len)
{
	return netcfg_family_addr_del(&inet4, dp, port, p, msg, len);
}

int
netcfg_route_add(struct dp_ctx *dp, const struct inet_prefix *dst,
		 const struct inet_addr *via, int port, char *msg, size_t len)
{
	if (dst->addr.family != AF_INET ||
	    (via->family != 0 && via->family != AF_INET))
		return refuse(dst, -EAFNOSUPPORT,
			      "only IPv4 routes are supported yet", msg, len);
	return netcfg_family_route_add(&inet4, dp, dst, via, port, msg, len);
}

int
netcfg_route_del(struct dp_ctx *dp, const struct inet_prefix *dst, char *msg,
		 size_t len)
{
	if (dst->addr.family != AF_INET)
		return refuse(dst, -ENOENT, "no such route", msg, len);
	return netcfg_family_route_del(&inet4, dp, dst, msg, len);
}

int
netcfg_family_apply(const struct netcfg_family *f, struct dp_ctx *dp,
		    char *msg, size_t len)
{
	const struct dplb_config *cfg = dp->cfg;
	unsigned int i, j;
	int ret = 0;

	for (i = 0; i < dp->n_ports && ret == 0; i++)
		for (j = 0; j < cfg->ports[i].n_addrs && ret == 0; j++)
			if (cfg->ports[i].addrs[j].addr.family == f->family)
				ret = netcfg_family_addr_add(
					f, dp, i, &cfg->ports[i].addrs[j], msg,
					len);
	for (i = 0; i < cfg->n_routes && ret == 0; i++) {
		const struct cfg_route *r = &cfg->routes[i];
		int port = r->dev[0] ? dp_port_by_name(dp, r->dev) : -1;

		if (r->dst.addr.family == f->family)
			ret = netcfg_family_route_add(f, dp, &r->dst, &r->via,
						      port, msg, len);
	}
	return ret;
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
	/* IPv6's: net6/netcfg6.c, after these */
	int ret = netcfg_family_apply(&inet4, dp, msg, len);

	if (ret == 0)
		ret = apply_neighs(dp, msg, len);
	return ret;
}
