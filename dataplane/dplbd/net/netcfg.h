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
#include "net/route.h"

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
 * The address and route flows are the same for both families: checks,
 * the local and connected routes of an address, the port's address
 * list, the twin, the announcement, the errors' wording.  What differs
 * is in a family's table: IPv4's is netcfg.c's own; IPv6's is
 * net6/netcfg6.c's, as net/ never names net6/ (docs/DESIGN-NOTES.md).
 * Main lcore only, so an indirect call costs nothing that matters.
 */
struct netcfg_family {
	uint8_t family;		/* AF_INET or AF_INET6 */
	const char *name;	/* "IPv4", "IPv6" */
	/** Words added to the routing table's -ENOMEM, or NULL. */
	const char *enomem_hint;
	/** Why p cannot be an interface address, or NULL (may be NULL). */
	const char *(*addr_refused)(const struct inet_prefix *p);
	/** Why via cannot be a gateway of a route on port (-1: none
	 *  given), or NULL (may be NULL). */
	const char *(*gateway_refused)(const struct inet_addr *via, int port);
	/** route_add() of the family; gw NULL: none (on the device). */
	int (*route_add)(struct dp_ctx *dp, const struct inet_addr *dst,
			 uint8_t depth, enum route_type type,
			 const struct inet_addr *gw, uint16_t port);
	int (*route_del)(struct dp_ctx *dp, const struct inet_addr *dst,
			 uint8_t depth, enum route_type type);
	/** The type of the route at dst/depth, or -ENOENT. */
	int (*route_type)(const struct dp_ctx *dp, const struct inet_addr *dst,
			  uint8_t depth);
	/** The port whose connected subnet holds a, or -1. */
	int (*connected_port)(const struct dp_ctx *dp,
			      const struct inet_addr *a);
	/** Publish the port's source address of the family to workers
	 *  after its address list changed. */
	void (*src_sync)(struct dp_ctx *dp, unsigned int port);
	/** Tell the link of a new address (gratuitous ARP, unsolicited
	 *  Neighbor Advertisement). */
	void (*announce)(struct dp_ctx *dp, uint16_t port,
			 const struct inet_addr *a);
};

/* The flows, for an address or route of f's family (the callers check
 * the family); same contract as netcfg_addr_add() and the others. */
int netcfg_family_addr_add(const struct netcfg_family *f, struct dp_ctx *dp,
			   unsigned int port, const struct inet_prefix *p,
			   char *msg, size_t len);
int netcfg_family_addr_del(const struct netcfg_family *f, struct dp_ctx *dp,
			   unsigned int port, const struct inet_prefix *p,
			   char *msg, size_t len);
int netcfg_family_route_add(const struct netcfg_family *f, struct dp_ctx *dp,
			    const struct inet_prefix *dst,
			    const struct inet_addr *via, int port, char *msg,
			    size_t len);
int netcfg_family_route_del(const struct netcfg_family *f, struct dp_ctx *dp,
			    const struct inet_prefix *dst, char *msg,
			    size_t len);
/** The config's addresses, then its routes, of f's family. */
int netcfg_family_apply(const struct netcfg_family *f, struct dp_ctx *dp,
			char *msg, size_t len);

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
