/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * netcfg: control-plane operations on addresses, routes and static
 * neighbours, shared by the config loader and the control socket.
 * Main lcore only.  Each returns 0 or a negative errno, with a reason
 * in msg (if not NULL) that names the offending object.
 */
#ifndef DPLB_NETCFG_H
#define DPLB_NETCFG_H

#include <stdbool.h>
#include <stddef.h>

#include "core/dp.h"

/** Add an interface address: local /32, connected route, twin, GARP. */
int netcfg_addr_add(struct dp_ctx *dp, unsigned int port,
		    const struct inet_prefix *p, char *msg, size_t len);
int netcfg_addr_del(struct dp_ctx *dp, unsigned int port,
		    const struct inet_prefix *p, char *msg, size_t len);

/**
 * Add a static route.  via (family 0 = none) must lie on a connected
 * subnet; port < 0 means "the port of via's subnet".
 */
int netcfg_route_add(struct dp_ctx *dp, const struct inet_prefix *dst,
		     const struct inet_addr *via, int port, char *msg,
		     size_t len);
/** Delete a static route (addresses own local and connected routes). */
int netcfg_route_del(struct dp_ctx *dp, const struct inet_prefix *dst,
		     char *msg, size_t len);

/** Apply the addresses, routes and static neighbours of dp->cfg. */
int netcfg_apply_config(struct dp_ctx *dp, char *msg, size_t len);

/*
 * The kernel side of a port's exception path (twin.c).  The twin is a
 * net_tap interface with the port's MAC; these set it up from the
 * kernel's point of view (link up, addresses, sysctls) over rtnetlink
 * and procfs.
 */

/** Bring the interface up and stop the kernel from answering ARP
 *  (dplbd answers for the twin's addresses). */
int twin_prepare(const char *ifname);

/** Add (add=true) or delete an address on the interface. 0 or -errno;
 *  adding an existing or deleting a missing address is not an error. */
int twin_addr(const char *ifname, const struct inet_prefix *p, bool add);

#endif /* DPLB_NETCFG_H */
