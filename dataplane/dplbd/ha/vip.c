/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>

#include "ha/vip.h"
#include "log.h"
#include "net/netcfg.h"
#include "net/slowpath.h"

#define GARP_COUNT 3		/* gratuitous ARPs per VIP gained */
#define GARP_INTERVAL_MS 1000

static struct ha_vip vips[HA_VIP_MAX];
static unsigned int n_vips;

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

static int
vip_remove(struct dp_ctx *dp, unsigned int i, char *msg, size_t len)
{
	struct inet_prefix p = { .addr = vips[i].addr, .len = 32 };
	int ret;

	slowpath_announce_cancel(vips[i].port, vips[i].addr.v4.s_addr);
	ret = netcfg_addr_del(dp, vips[i].port, &p, msg, len);
	vips[i] = vips[--n_vips];
	return ret;
}

int
ha_vip_add(struct dp_ctx *dp, unsigned int port, const struct inet_addr *addr,
	   uint64_t owner, char *msg, size_t len)
{
	struct inet_prefix p = { .addr = *addr, .len = 32 };
	char buf[INET_ADDRSTRLEN];
	int ret;

	inet_addr_fmt(addr, buf, sizeof(buf));
	if (vip_find(port, addr) >= 0) {
		snprintf(msg, len, "VIP %s on %s exists already", buf,
			 dp->ports[port].name);
		return -EEXIST;
	}
	if (n_vips == HA_VIP_MAX) {
		snprintf(msg, len, "%u VIPs at most", HA_VIP_MAX);
		return -ENOSPC;
	}
	ret = netcfg_addr_add(dp, port, &p, msg, len);
	if (ret == -EEXIST)
		snprintf(msg, len,
			 "%s: the address exists already (an address or route, not a VIP)",
			 buf);
	if (ret != 0)
		return ret;
	vips[n_vips++] = (struct ha_vip){ .addr = *addr, .port = (uint16_t)port,
					  .owner = owner,
					  .since_ms = dp_now_ms() };
	/* netcfg announced it once; a takeover deserves a few more */
	slowpath_announce_burst(dp, (uint16_t)port, addr->v4.s_addr,
				GARP_COUNT, GARP_INTERVAL_MS);
	LOG_NOTICE("VIP %s added on %s%s", buf, dp->ports[port].name,
		   owner ? " (leased by its control connection)" : "");
	return 0;
}

int
ha_vip_del(struct dp_ctx *dp, int port, const struct inet_addr *addr,
	   char *msg, size_t len)
{
	char buf[INET_ADDRSTRLEN];
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

void
ha_vip_owner_gone(struct dp_ctx *dp, uint64_t owner)
{
	char buf[INET_ADDRSTRLEN];
	unsigned int i = 0;

	while (i < n_vips) {
		if (vips[i].owner != owner) {
			i++;
			continue;
		}
		LOG_NOTICE("VIP %s withdrawn: its owner, control client %llu, disconnected",
			   inet_addr_fmt(&vips[i].addr, buf, sizeof(buf)),
			   (unsigned long long)owner);
		vip_remove(dp, i, NULL, 0);
	}
}
