/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ha/vip.h"
#include "log.h"
#include "net/slowpath.h"
#include "net6/nd.h"
#include "net6/netcfg6.h"

#define GARP_COUNT 3		/* gratuitous ARPs per VIP gained */
#define GARP_INTERVAL_MS 1000

static const char *const state_names[] = {
	[HA_VIP_STATIC] = "static",
	[HA_VIP_HELD] = "held",
	[HA_VIP_ORPHANED] = "orphaned",
};

static struct ha_vip vips[HA_VIP_MAX];
static unsigned int n_vips;
static unsigned int n_orphans;	/* so that the tick is free without any */

static int
vip_find(unsigned int port, const struct inet_addr *a)
{
	unsigned int i;

	for (i = 0; i < n_vips; i++)
		if (vips[i].port == port && inet_addr_equal(&vips[i].addr, a))
			return (int)i;
	return -1;
}

bool
ha_is_vip(unsigned int port, const struct inet_addr *addr)
{
	return vip_find(port, addr) >= 0;
}

const struct ha_vip *
ha_vips(unsigned int *n)
{
	*n = n_vips;
	return vips;
}

enum ha_vip_state
ha_vip_state(const struct ha_vip *v)
{
	if (!v->leased)
		return HA_VIP_STATIC;
	return v->holder != 0 ? HA_VIP_HELD : HA_VIP_ORPHANED;
}

const char *
ha_vip_state_name(enum ha_vip_state st)
{
	return st <= HA_VIP_ORPHANED ? state_names[st] : "?";
}

static int
vip_remove(struct dp_ctx *dp, unsigned int i, char *msg, size_t len)
{
	struct inet_prefix p = {
		.addr = vips[i].addr,
		.len = (uint8_t)inet_max_len(vips[i].addr.family) };
	int ret;

	if (ha_vip_state(&vips[i]) == HA_VIP_ORPHANED)
		n_orphans--;
	if (vips[i].addr.family == AF_INET)
		slowpath_announce_cancel(vips[i].port, vips[i].addr.v4.s_addr);
	ret = netcfg6_addr_del(dp, vips[i].port, &p, msg, len);
	vips[i] = vips[--n_vips];
	return ret;
}

/* An existing VIP i added again: the same owner's lease is claimed by
 * the caller (1), anything else is EEXIST. */
static int
vip_claim(struct dp_ctx *dp, unsigned int i, const struct ha_lease *lease,
	  const char *name, char *msg, size_t len)
{
	struct ha_vip *v = &vips[i];

	if (lease == NULL || lease->owner[0] == '\0' || !v->leased ||
	    strcmp(v->owner, lease->owner) != 0) {
		snprintf(msg, len, "VIP %s on %s exists already%s%s", name,
			 dp->ports[v->port].name,
			 v->owner[0] ? ", leased by " : "", v->owner);
		return -EEXIST;
	}
	if (v->holder == lease->client)
		return 1;
	if (v->holder == 0) {
		n_orphans--;
		LOG_NOTICE("VIP %s on %s: lease of '%s' claimed by control client %llu within its grace period",
			   name, dp->ports[v->port].name, v->owner,
			   (unsigned long long)lease->client);
	} else {
		LOG_NOTICE("VIP %s on %s: lease of '%s' moves from control client %llu to %llu",
			   name, dp->ports[v->port].name, v->owner,
			   (unsigned long long)v->holder,
			   (unsigned long long)lease->client);
	}
	v->holder = lease->client;
	v->expires_ms = 0;
	return 1;
}

int
ha_vip_add(struct dp_ctx *dp, unsigned int port, const struct inet_addr *addr,
	   const struct ha_lease *lease, char *msg, size_t len)
{
	struct inet_prefix p = { .addr = *addr,
				 .len = (uint8_t)inet_max_len(addr->family) };
	char buf[INET6_ADDRSTRLEN];
	struct ha_vip *v;
	int i, ret;

	inet_addr_fmt(addr, buf, sizeof(buf));
	i = vip_find(port, addr);
	if (i >= 0)
		return vip_claim(dp, (unsigned int)i, lease, buf, msg, len);
	if (n_vips == HA_VIP_MAX) {
		snprintf(msg, len, "%u VIPs at most", HA_VIP_MAX);
		return -ENOSPC;
	}
	ret = netcfg6_addr_add(dp, port, &p, msg, len);
	if (ret == -EEXIST)
		snprintf(msg, len,
			 "%s: the address exists already (an address or route, not a VIP)",
			 buf);
	if (ret != 0)
		return ret;
	v = &vips[n_vips++];
	*v = (struct ha_vip){ .addr = *addr, .port = (uint16_t)port,
			      .leased = lease != NULL,
			      .holder = lease ? lease->client : 0,
			      .since_ms = dp_now_ms() };
	if (lease != NULL)
		snprintf(v->owner, sizeof(v->owner), "%s", lease->owner);
	/* netcfg announced it once; a takeover deserves a few more (IPv6:
	 * one more unsolicited NA now, no timer for a spaced burst yet) */
	if (addr->family == AF_INET)
		slowpath_announce_burst(dp, (uint16_t)port, addr->v4.s_addr,
					GARP_COUNT, GARP_INTERVAL_MS);
	else
		nd_announce(dp, (uint16_t)port, addr->v6.s6_addr);
	if (lease == NULL)
		LOG_NOTICE("VIP %s added on %s", buf, dp->ports[port].name);
	else if (v->owner[0] == '\0')
		LOG_NOTICE("VIP %s added on %s (leased by control client %llu)",
			   buf, dp->ports[port].name,
			   (unsigned long long)lease->client);
	else
		LOG_NOTICE("VIP %s added on %s (leased by '%s', control client %llu)",
			   buf, dp->ports[port].name, v->owner,
			   (unsigned long long)lease->client);
	return 0;
}

int
ha_vip_del(struct dp_ctx *dp, int port, const struct inet_addr *addr,
	   char *msg, size_t len)
{
	char buf[INET6_ADDRSTRLEN];
	unsigned int k;

	inet_addr_fmt(addr, buf, sizeof(buf));
	for (k = 0; k < n_vips; k++)
		if (inet_addr_equal(&vips[k].addr, addr) &&
		    (port < 0 || vips[k].port == port))
			break;
	if (k == n_vips) {
		snprintf(msg, len, "no VIP %s%s%s", buf,
			 port < 0 ? "" : " on ",
			 port < 0 ? "" : dp->ports[port].name);
		return -ENOENT;
	}
	LOG_NOTICE("VIP %s deleted from %s", buf, dp->ports[vips[k].port].name);
	return vip_remove(dp, k, msg, len);
}

/* Another node announced v lately: it holds v now. */
static bool
conflict_fresh(const struct ha_vip *v, uint64_t now)
{
	return v->conflict_ms != 0 && now - v->conflict_ms < HA_CONFLICT_FRESH_MS;
}

void
ha_vip_client_gone(struct dp_ctx *dp, uint64_t client, unsigned int grace_ms)
{
	char buf[INET6_ADDRSTRLEN];
	uint64_t now = dp_now_ms();
	struct ha_vip *v;
	unsigned int i = 0;
	bool fresh;

	while (i < n_vips) {
		v = &vips[i];
		if (!v->leased || v->holder != client) {
			i++;
			continue;
		}
		inet_addr_fmt(&v->addr, buf, sizeof(buf));
		fresh = conflict_fresh(v, now);
		if (v->owner[0] != '\0' && grace_ms > 0 && !fresh) {
			LOG_NOTICE("VIP %s on %s: control client %llu of '%s' disconnected; withdrawn in %u ms unless '%s' claims it",
				   buf, dp->ports[v->port].name,
				   (unsigned long long)client, v->owner,
				   grace_ms, v->owner);
			v->holder = 0;
			v->expires_ms = now + grace_ms;
			n_orphans++;
			i++;
			continue;
		}
		LOG_NOTICE("VIP %s withdrawn: its owner, control client %llu%s%s, disconnected%s",
			   buf, (unsigned long long)client,
			   v->owner[0] ? " of " : "", v->owner,
			   fresh ? " and another node announced it lately" : "");
		vip_remove(dp, i, NULL, 0);
	}
}

void
ha_vip_claimed(struct dp_ctx *dp, uint16_t port, const struct inet_addr *addr,
	       const struct rte_ether_addr *mac)
{
	char buf[INET6_ADDRSTRLEN], who[MAC_STRLEN];
	int i = vip_find(port, addr);
	struct ha_vip *v;
	uint64_t now = dp_now_ms();

	if (i < 0)
		return;
	v = &vips[i];
	if (ha_vip_state(v) == HA_VIP_ORPHANED) {
		inet_addr_fmt(addr, buf, sizeof(buf));
		mac_fmt(mac->addr_bytes, who, sizeof(who));
		LOG_NOTICE("VIP %s withdrawn from %s within its grace period: %s announced it (its owner '%s' took it over elsewhere)",
			   buf, dp->ports[port].name, who, v->owner);
		vip_remove(dp, (unsigned int)i, NULL, 0);
		return;
	}
	v->conflicts++;
	v->conflict_mac = *mac;
	v->conflict_ms = now;
	if (v->conflict_log_ms != 0 &&
	    now - v->conflict_log_ms < HA_CONFLICT_LOG_MS)
		return;
	v->conflict_log_ms = now;
	inet_addr_fmt(addr, buf, sizeof(buf));
	mac_fmt(mac->addr_bytes, who, sizeof(who));
	LOG_WARN("VIP %s on %s (%s) is announced by %s too: two nodes hold it",
		 buf, dp->ports[port].name, ha_vip_state_name(ha_vip_state(v)),
		 who);
}

void
ha_vip_tick(struct dp_ctx *dp, uint64_t now_ms)
{
	char buf[INET6_ADDRSTRLEN];
	unsigned int i = 0;

	while (n_orphans > 0 && i < n_vips) {
		if (ha_vip_state(&vips[i]) != HA_VIP_ORPHANED ||
		    vips[i].expires_ms > now_ms) {
			i++;
			continue;
		}
		LOG_NOTICE("VIP %s withdrawn: its owner '%s' did not claim it within its grace period",
			   inet_addr_fmt(&vips[i].addr, buf, sizeof(buf)),
			   vips[i].owner);
		vip_remove(dp, i, NULL, 0);
	}
}
