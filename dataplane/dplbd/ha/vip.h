/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vip: the VIPs an HA pair moves between its nodes.  A VIP is a /32
 * address on a port (local route, twin address, gratuitous ARPs) that
 * may be leased: a leased VIP belongs to an owner (today the control
 * connection that added it) and is withdrawn when that owner goes, so
 * that a keepalived that dies takes its VIPs with it and the pair never
 * holds one twice.
 *
 * Main lcore only; the table is private to this module.  Every function
 * returns 0 or a negative errno with the reason in msg (if not NULL).
 */
#ifndef DPLB_HA_VIP_H
#define DPLB_HA_VIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/dp.h"
#include "inet.h"

#define HA_VIP_MAX 256

struct ha_vip {
	struct inet_addr addr;
	uint16_t port;		/* dplb port index */
	uint64_t owner;		/* 0 = not leased */
	uint64_t since_ms;	/* dp_now_ms() when added */
};

/**
 * Add addr on port, leased to owner (0: not leased): -EEXIST if it is a
 * VIP or an address there already, -ENOSPC past HA_VIP_MAX.  Announced
 * with a burst of gratuitous ARPs, as a takeover needs.
 */
int ha_vip_add(struct dp_ctx *dp, unsigned int port,
	       const struct inet_addr *addr, uint64_t owner, char *msg,
	       size_t len);

/** Delete VIP addr from port (port < 0: whichever port has it);
 * -ENOENT if there is none. */
int ha_vip_del(struct dp_ctx *dp, int port, const struct inet_addr *addr,
	       char *msg, size_t len);

/** Withdraw every VIP leased to owner (its owner is gone). */
void ha_vip_owner_gone(struct dp_ctx *dp, uint64_t owner);

/** Is addr on port a VIP (so that addr.del must not remove it)? */
bool ha_is_vip(unsigned int port, const struct inet_addr *addr);

/** The VIPs, for listing: *n of them, valid until the next change. */
const struct ha_vip *ha_vips(unsigned int *n);

#endif /* DPLB_HA_VIP_H */
