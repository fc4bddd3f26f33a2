/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * netcfg6: addresses and routes of either family, for the config
 * loader, SIGHUP reload and the control socket.  IPv4 goes on to
 * net/netcfg.h as before; IPv6 takes net/netcfg.h's same flows with
 * IPv6's table (struct netcfg_family): an address makes its local /128
 * and connected routes (net6/route6.h), goes to the kernel twin
 * (without duplicate address detection: dplbd defends it) and is
 * announced with an unsolicited Neighbor Advertisement.  Main lcore
 * only; each returns 0 or a negative errno with a reason in msg that
 * names the offending object.
 */
#ifndef DPLB_NETCFG6_H
#define DPLB_NETCFG6_H

#include <stddef.h>

#include "core/dp.h"

int netcfg6_addr_add(struct dp_ctx *dp, unsigned int port,
		     const struct inet_prefix *p, char *msg, size_t len);
int netcfg6_addr_del(struct dp_ctx *dp, unsigned int port,
		     const struct inet_prefix *p, char *msg, size_t len);

/** A static route: via (family 0 = none) on a connected subnet, or any
 * IPv6 gateway (a link-local one too) with a device (port >= 0). */
int netcfg6_route_add(struct dp_ctx *dp, const struct inet_prefix *dst,
		      const struct inet_addr *via, int port, char *msg,
		      size_t len);
int netcfg6_route_del(struct dp_ctx *dp, const struct inet_prefix *dst,
		      char *msg, size_t len);

/** netcfg_apply_config() (IPv4 addresses, routes, static neighbours),
 * then the config's IPv6 addresses and routes. */
int netcfg6_apply_config(struct dp_ctx *dp, char *msg, size_t len);

#endif /* DPLB_NETCFG6_H */
