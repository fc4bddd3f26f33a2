/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include "net/netcfg.h"
#include "net6/nd.h"
#include "net6/net6.h"
#include "net6/netcfg6.h"

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
port_src_sync(struct dp_ctx *dp, unsigned int port)
{
	const struct dp_port *p = &dp->ports[port];
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

/* Why via cannot be the gateway of a route on port (-1: not given). */
static const char *
gateway_refused(const struct inet_addr *via, int port)
{
	if (ip6_addr_is_multicast(v6(via)) || ip6_addr_is_unspecified(v6(via)))
		return "the gateway must be a unicast address";
	if (port < 0 && ip6_addr_is_linklocal(v6(via)))
		return "a link-local gateway needs a device";
	return NULL;
}

static int
route6_add_addr(struct dp_ctx *dp, const struct inet_addr *dst, uint8_t depth,
		enum route_type type, const struct inet_addr *gw,
		uint16_t port)
{
	return route6_add(&dp->routes6, v6(dst), depth, type,
			  gw != NULL ? v6(gw) : NULL, port);
}

static int
route6_del_addr(struct dp_ctx *dp, const struct inet_addr *dst, uint8_t depth,
		enum route_type type)
{
	return route6_del(&dp->routes6, v6(dst), depth, type);
}

static int
route6_type(const struct dp_ctx *dp, const struct inet_addr *dst,
	    uint8_t depth)
{
	const struct route6_slot *r = route6_find(&dp->routes6, v6(dst), depth);

	return r != NULL ? r->type : -ENOENT;
}

static int
route6_connected_port(const struct dp_ctx *dp, const struct inet_addr *a)
{
	const struct route6_slot *r = route6_lookup(&dp->routes6, v6(a));

	return r != NULL && r->type == ROUTE_CONNECTED ? r->port : -1;
}

static void
announce6(struct dp_ctx *dp, uint16_t port, const struct inet_addr *a)
{
	nd_announce(dp, port, v6(a));
}

static const struct netcfg_family inet6 = {
	.family = AF_INET6,
	.name = "IPv6",
	.enomem_hint = "no memory for the IPv6 routing table (two FIBs of "
		       "about 40 MB each; see eal.memory_mb)",
	.addr_refused = addr_refused,
	.gateway_refused = gateway_refused,
	.route_add = route6_add_addr,
	.route_del = route6_del_addr,
	.route_type = route6_type,
	.connected_port = route6_connected_port,
	.src_sync = port_src_sync,
	.announce = announce6,
};

int
netcfg6_addr_add(struct dp_ctx *dp, unsigned int port,
		 const struct inet_prefix *p, char *msg, size_t len)
{
	if (p->addr.family != AF_INET6)
		return netcfg_addr_add(dp, port, p, msg, len);
	return netcfg_family_addr_add(&inet6, dp, port, p, msg, len);
}

int
netcfg6_addr_del(struct dp_ctx *dp, unsigned int port,
		 const struct inet_prefix *p, char *msg, size_t len)
{
	if (p->addr.family != AF_INET6)
		return netcfg_addr_del(dp, port, p, msg, len);
	return netcfg_family_addr_del(&inet6, dp, port, p, msg, len);
}

int
netcfg6_route_add(struct dp_ctx *dp, const struct inet_prefix *dst,
		  const struct inet_addr *via, int port, char *msg, size_t len)
{
	if (dst->addr.family != AF_INET6)
		return netcfg_route_add(dp, dst, via, port, msg, len);
	return netcfg_family_route_add(&inet6, dp, dst, via, port, msg, len);
}

int
netcfg6_route_del(struct dp_ctx *dp, const struct inet_prefix *dst, char *msg,
		  size_t len)
{
	if (dst->addr.family != AF_INET6)
		return netcfg_route_del(dp, dst, msg, len);
	return netcfg_family_route_del(&inet6, dp, dst, msg, len);
}

int
netcfg6_apply_config(struct dp_ctx *dp, char *msg, size_t len)
{
	int ret = netcfg_apply_config(dp, msg, len);

	return ret != 0 ? ret : netcfg_family_apply(&inet6, dp, msg, len);
}
