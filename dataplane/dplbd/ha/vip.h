/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vip: the addresses an HA pair moves between its nodes (VIPs, and the
 * full-NAT local addresses that move with them).  A VIP is a /32
 * address on a port (local route, twin address, gratuitous ARPs) that
 * may be leased, so that a keepalived that dies takes its VIPs with it
 * and the pair never holds one twice.  Two kinds of lease:
 *
 *  - a lease of a connection (no owner name): withdrawn as soon as the
 *    control connection that took it closes;
 *  - a lease of an owner (a name: keepalived's VRRP instance): held by
 *    the connection that last added or claimed it.  When that
 *    connection closes the VIP is orphaned, not withdrawn: a connection
 *    that adds it again with the same owner within the grace period
 *    claims it and nothing changes on the wire; otherwise it is
 *    withdrawn when the grace period ends (ha_vip_tick()).  A reload or
 *    a reconnect of keepalived thus keeps its VIPs, a dead keepalived
 *    loses them after the grace period, or as soon as another node
 *    announces the address (ha_vip_claimed(): its peer took over, so
 *    the pair must not hold it twice; a starved keepalived's peer may
 *    take over before the grace period ends).
 *
 * Main lcore only; the table is private to this module.  Every function
 * returns 0 or a negative errno with the reason in msg (if not NULL).
 */
#ifndef DPLB_HA_VIP_H
#define DPLB_HA_VIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_ether.h>

#include "core/dp.h"
#include "inet.h"

#define HA_VIP_MAX 256
#define HA_OWNER_LEN 64		/* an owner's name, with its NUL */
#define HA_LEASE_GRACE_MS_DEFAULT 500
#define HA_LEASE_GRACE_MS_MAX 60000
#define HA_CONFLICT_LOG_MS 10000
/* A conflict this recent means the peer holds the address now: a
 * takeover's gratuitous ARPs come a second apart (GARP_INTERVAL_MS). */
#define HA_CONFLICT_FRESH_MS 3000

enum ha_vip_state {
	HA_VIP_STATIC,		/* no lease: stays until vip.del */
	HA_VIP_HELD,		/* leased, its holder connected */
	HA_VIP_ORPHANED,	/* an owner's lease whose holder closed */
};

struct ha_vip {
	struct inet_addr addr;
	uint16_t port;		/* dplb port index */
	bool leased;
	char owner[HA_OWNER_LEN]; /* "" = a lease of the connection itself */
	uint64_t holder;	/* the connection holding it, 0 = none */
	uint64_t expires_ms;	/* HA_VIP_ORPHANED: withdrawn at (dp_now_ms) */
	uint64_t since_ms;	/* dp_now_ms() when added */
	uint64_t conflicts;	/* announced by another node while ours */
	uint64_t conflict_ms;	/* dp_now_ms() of the last one */
	uint64_t conflict_log_ms; /* dp_now_ms() of the last one logged */
	struct rte_ether_addr conflict_mac; /* the last one's sender */
};

/** Who takes a lease: the connection, and the owner's name ("" = none). */
struct ha_lease {
	uint64_t client;
	const char *owner;
};

/**
 * Add addr on port, leased as lease says (NULL: no lease).  Announced
 * with a burst of gratuitous ARPs, as a takeover needs.  Returns 0 when
 * added, 1 when the VIP exists with the same owner's lease and the
 * caller claimed it (nothing changes on the wire), -EEXIST if it is a
 * VIP of another kind or owner or an address there already, -ENOSPC
 * past HA_VIP_MAX.
 */
int ha_vip_add(struct dp_ctx *dp, unsigned int port,
	       const struct inet_addr *addr, const struct ha_lease *lease,
	       char *msg, size_t len);

/** Delete VIP addr from port (port < 0: whichever port has it), of any
 * owner; -ENOENT if there is none. */
int ha_vip_del(struct dp_ctx *dp, int port, const struct inet_addr *addr,
	       char *msg, size_t len);

/** Connection client closed: its own leases are withdrawn at once, the
 * owners' leases it held are orphaned for grace_ms (0: withdrawn too),
 * but for those another node announced within HA_CONFLICT_FRESH_MS,
 * withdrawn at once: the peer holds them already. */
void ha_vip_client_gone(struct dp_ctx *dp, uint64_t client,
			unsigned int grace_ms);

/**
 * Another node (at mac) announced addr, an address of ours on port
 * (slowpath_on_claim()).  An orphaned lease of addr is withdrawn at
 * once: its owner lives on there now.  Any other VIP stays (a held
 * lease is its keepalived's to give up) and the conflict is counted and
 * logged, at most every HA_CONFLICT_LOG_MS per VIP.
 */
void ha_vip_claimed(struct dp_ctx *dp, uint16_t port,
		    const struct inet_addr *addr,
		    const struct rte_ether_addr *mac);

/** Withdraw the orphaned leases whose grace period ended by now_ms. */
void ha_vip_tick(struct dp_ctx *dp, uint64_t now_ms);

/** A VIP's state. */
enum ha_vip_state ha_vip_state(const struct ha_vip *v);

/** "static", "held", "orphaned". */
const char *ha_vip_state_name(enum ha_vip_state st);

/** Is addr on port a VIP (so that addr.del must not remove it)? */
bool ha_is_vip(unsigned int port, const struct inet_addr *addr);

/** The VIPs, for listing: *n of them, valid until the next change. */
const struct ha_vip *ha_vips(unsigned int *n);

#endif /* DPLB_HA_VIP_H */
