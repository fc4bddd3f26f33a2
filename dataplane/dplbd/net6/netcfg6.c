/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "net/netcfg.h"
#include "net6/nd.h"
#include "net6/net6.h"
#include "net6/netcfg6.h"

#define SAY(...)                                                               \
	do {                                                                   \
		if (msg != NULL)                                               \
			snprintf(msg, len, __VA_ARGS__);                       \
	} while (0)

#define SRC_SET 0x2u	/* in port_src.cur: an address is there */

/* The source of what workers originate per port (net6_port_src()): two
 * buffers, the one in use named by cur, so that a change writes the
 * other one before switching. */
static struct port_src {
	uint8_t a[2][16];
	uint32_t cur;
} port_src[DP_MAX_PORTS];

bool
net6_port_src(uint16_t port, uint8_t out[16])
{
	uint32_t cur = __atomic_load_n(&port_src[port].cur, __ATOMIC_ACQUIRE);

	if (!(cur & SRC_SET))
		return false;
	memcpy(out, port_src[port].a[cur & 1], 16);
	return true;
}

static void
port_src_sync(const struct dp_port *p, unsigned int port)
{
	struct port_src *s = &port_src[port];
	uint32_t next = (s->cur & 1) ^ 1;
	unsigned int i;

	for (i = 0; i < p->n_addrs; i++)
		if (p->addrs[i].addr.family == AF_INET6)
			break;
	if (i == p->n_addrs) {
		__atomic_store_n(&s->cur, 0, __ATOMIC_RELEASE);
		return;
	}
	memcpy(s->a[next], &p->addrs[i].addr.v6, 16);
	__atomic_store_n(&s->cur, next | SRC_SET, __ATOMIC_RELEASE);
}

static const uint8_t *
v6(const struct inet_addr *a)
{
	return (const uint8_t *)&a->v6;
}

/* What may not be an interface address (RFC 4291 2.5.2, 2.5.3, 2.7,
 * 2.5.5.2), or NULL. */
static const char *
addr_refused(const struct inet_prefix *p)
{
	static const uint8_t loopback[16] = { [15] = 1 };
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (ip6_addr_is_multicast(v6(&p->addr)))
		return "a multicast address cannot be an interface address";
	if (ip6_addr_is_unspecified(v6(&p->addr)))
		return "the unspecified address cannot be an interface address";
	if (memcmp(v6(&p->addr), loopback, 16) == 0)
		return "the loopback address cannot be an interface address";
	if (memcmp(v6(&p->addr), mapped, 12) == 0)
		return "an IPv4-mapped address cannot be an interface address";
	if (p->len == 0)
		return "prefix length 0 is not a subnet";
	return NULL;
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

static int
addr_routes_add(struct dp_ctx *dp, unsigned int port,
		const struct inet_prefix *p)
{
	struct inet_prefix net = masked(p);
	int ret;

	ret = route6_add(&dp->routes6, v6(&p->addr), 128, ROUTE_LOCAL, NULL,
			 (uint16_t)port);
	if (ret != 0 || p->len == 128)
		return ret;
	ret = route6_add(&dp->routes6, v6(&net.addr), net.len, ROUTE_CONNECTED,
			 NULL, (uint16_t)port);
	if (ret != 0)
		route6_del(&dp->routes6, v6(&p->addr), 128, ROUTE_LOCAL);
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
netcfg6_addr_add(struct dp_ctx *dp, unsigned int port,
		 const struct inet_prefix *p, char *msg, size_t len)
{
	struct dp_port *dpp = &dp->ports[port];
	char buf[INET_PREFIX_STRLEN];
	const char *why;
	int ret;

	if (p->addr.family != AF_INET6)
		return netcfg_addr_add(dp, port, p, msg, len);
	inet_prefix_fmt(p, buf, sizeof(buf));
	if ((why = addr_refused(p)) != NULL) {
		SAY("%s: %s", buf, why);
		return -EINVAL;
	}
	if (dpp->n_addrs == CFG_MAX_PORT_ADDRS) {
		SAY("%s: port %s has %u addresses already", buf, dpp->name,
		    dpp->n_addrs);
		return -ENOSPC;
	}
	ret = addr_routes_add(dp, port, p);
	if (ret == -EEXIST)
		SAY("%s: address or route exists already", buf);
	else if (ret == -ENOMEM)
		SAY("%s: no memory for the IPv6 routing table (two FIBs of "
		    "about 40 MB each; see eal.memory_mb)", buf);
	else if (ret != 0)
		SAY("%s: %s", buf, strerror(-ret));
	if (ret != 0)
		return ret;
	dpp->addrs[dpp->n_addrs++] = *p;
	port_src_sync(dpp, port);
	twin_sync_addr(dp, port, p, true);
	nd_announce(dp, (uint16_t)port, v6(&p->addr));
	LOG_INFO("port %s: address %s added", dpp->name, buf);
	return 0;
}

int
netcfg6_addr_del(struct dp_ctx *dp, unsigned int port,
		 const struct inet_prefix *p, char *msg, size_t len)
{
	struct dp_port *dpp = &dp->ports[port];
	char buf[INET_PREFIX_STRLEN];
	struct inet_prefix have, net;
	int i;

	if (p->addr.family != AF_INET6)
		return netcfg_addr_del(dp, port, p, msg, len);
	i = find_addr(dpp, p);
	inet_prefix_fmt(p, buf, sizeof(buf));
	if (i < 0 || (p->len != 128 && dpp->addrs[i].len != p->len)) {
		SAY("%s: no such address on %s", buf, dpp->name);
		return -ENOENT;
	}
	have = dpp->addrs[i];
	net = masked(&have);
	route6_del(&dp->routes6, v6(&have.addr), 128, ROUTE_LOCAL);
	if (have.len < 128)
		route6_del(&dp->routes6, v6(&net.addr), net.len,
			   ROUTE_CONNECTED);
	memmove(&dpp->addrs[i], &dpp->addrs[i + 1],
		sizeof(dpp->addrs[0]) * (--dpp->n_addrs - (unsigned int)i));
	port_src_sync(dpp, port);
	twin_sync_addr(dp, port, &have, false);
	LOG_INFO("port %s: address %s deleted", dpp->name, buf);
	return 0;
}

/* The port whose connected subnet holds via, or -1. */
static int
port_of_gateway(const struct dp_ctx *dp, const uint8_t via[16])
{
	const struct route6_slot *r = route6_lookup(&dp->routes6, via);

	if (r == NULL || r->type != ROUTE_CONNECTED)
		return -1;
	return r->port;
}

int
netcfg6_route_add(struct dp_ctx *dp, const struct inet_prefix *dst,
		  const struct inet_addr *via, int port, char *msg, size_t len)
{
	char buf[INET_PREFIX_STRLEN];
	int ret;

	if (dst->addr.family != AF_INET6)
		return netcfg_route_add(dp, dst, via, port, msg, len);
	inet_prefix_fmt(dst, buf, sizeof(buf));
	if (via->family != 0 && via->family != AF_INET6) {
		SAY("%s: the gateway of an IPv6 route must be IPv6", buf);
		return -EINVAL;
	}
	if (via->family != 0) {
		if (ip6_addr_is_multicast(v6(via)) ||
		    ip6_addr_is_unspecified(v6(via))) {
			SAY("%s: the gateway must be a unicast address", buf);
			return -EINVAL;
		}
		if (port < 0 && ip6_addr_is_linklocal(v6(via))) {
			SAY("%s: a link-local gateway needs a device", buf);
			return -EINVAL;
		}
		if (port < 0)
			port = port_of_gateway(dp, v6(via));
		if (port < 0) {
			SAY("%s: gateway is not on a connected subnet", buf);
			return -ENETUNREACH;
		}
	}
	if (port < 0) {
		SAY("%s: a route needs a gateway or a device", buf);
		return -EINVAL;
	}
	ret = route6_add(&dp->routes6, v6(&dst->addr), dst->len, ROUTE_GATEWAY,
			 via->family != 0 ? v6(via) : NULL, (uint16_t)port);
	if (ret == -EEXIST)
		SAY("%s: a route to this prefix exists already", buf);
	else if (ret == -ENOMEM)
		SAY("%s: no memory for the IPv6 routing table (two FIBs of "
		    "about 40 MB each; see eal.memory_mb)", buf);
	else if (ret != 0)
		SAY("%s: %s", buf, strerror(-ret));
	return ret;
}

int
netcfg6_route_del(struct dp_ctx *dp, const struct inet_prefix *dst, char *msg,
		  size_t len)
{
	const struct route6_slot *r;
	char buf[INET_PREFIX_STRLEN];

	if (dst->addr.family != AF_INET6)
		return netcfg_route_del(dp, dst, msg, len);
	inet_prefix_fmt(dst, buf, sizeof(buf));
	r = route6_find(&dp->routes6, v6(&dst->addr), dst->len);
	if (r == NULL) {
		SAY("%s: no such route", buf);
		return -ENOENT;
	}
	if (r->type != ROUTE_GATEWAY) {
		SAY("%s: the route belongs to an address; delete the address",
		    buf);
		return -EPERM;
	}
	return route6_del(&dp->routes6, v6(&dst->addr), dst->len,
			  ROUTE_GATEWAY);
}

int
netcfg6_apply_config(struct dp_ctx *dp, char *msg, size_t len)
{
	const struct dplb_config *cfg = dp->cfg;
	unsigned int i, j;
	int ret = netcfg_apply_config(dp, msg, len);

	for (i = 0; i < dp->n_ports && ret == 0; i++)
		for (j = 0; j < cfg->ports[i].n_addrs && ret == 0; j++)
			if (cfg->ports[i].addrs[j].addr.family == AF_INET6)
				ret = netcfg6_addr_add(dp, i,
						       &cfg->ports[i].addrs[j],
						       msg, len);
	for (i = 0; i < cfg->n_routes && ret == 0; i++) {
		const struct cfg_route *r = &cfg->routes[i];

		if (r->dst.addr.family == AF_INET6)
			ret = netcfg6_route_add(dp, &r->dst, &r->via,
						r->dev[0] ? dp_port_by_name(dp, r->dev) : -1,
						msg, len);
	}
	return ret;
}
