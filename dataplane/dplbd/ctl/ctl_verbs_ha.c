/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl/ctl_call.h"
#include "ctl/ctl_proto.h"
#include "ctl/ctl_verbs_ha.h"
#include "core/dp.h"
#include "log.h"
#include "net/netcfg.h"
#include "net/slowpath.h"

#define VIP_MAX 256
#define GARP_COUNT 3		/* gratuitous ARPs per VIP gained */
#define GARP_INTERVAL_MS 1000

#define J_INT(v) json_object_new_int64((int64_t)(v))
#define J_STR(v) json_object_new_string(v)
#define ADD(o, k, v) json_object_object_add(o, k, v)

struct vip {
	struct inet_addr addr;
	uint16_t port;
	uint64_t owner;		/* control client id; 0 = not leased */
	uint64_t since_ms;
};

static struct vip vips[VIP_MAX];
static unsigned int n_vips;

enum { SYNC_MASTER, SYNC_BACKUP, SYNC_ROLES };
static const char *const sync_names[SYNC_ROLES] = { "master", "backup" };
static json_object *sync_role[SYNC_ROLES];	/* params as started, or NULL */
static uint64_t sync_since[SYNC_ROLES];

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

/* The lease hook: the owner's connection closed. */
static void
vip_owner_closed(void *ctx, uint64_t client)
{
	char buf[INET_ADDRSTRLEN];
	unsigned int i = 0;

	while (i < n_vips) {
		if (vips[i].owner != client) {
			i++;
			continue;
		}
		LOG_NOTICE("VIP %s withdrawn: its owner, control client %llu, disconnected",
			   inet_addr_fmt(&vips[i].addr, buf, sizeof(buf)),
			   (unsigned long long)client);
		vip_remove(ctx, i, NULL, 0);
	}
}

/* "addr" as "A.B.C.D" or "A.B.C.D/32", and "dev". */
static int
vip_params(struct ctl_call *c, struct inet_addr *a, int *port, bool dev_needed)
{
	struct dp_ctx *dp = c->ctx;
	const char *s, *dev = NULL;
	struct inet_prefix p;
	int ret;

	if ((ret = call_param_str(c, "addr", 1, &s)) != 0 ||
	    (ret = call_param_str(c, "dev", dev_needed, &dev)) != 0)
		return ret;
	ret = inet_prefix_parse(s, &p);
	if (ret == 0 && p.addr.family != AF_INET)
		return ctl_call_fail(c, EAFNOSUPPORT,
				     "params.addr: '%s': VIPs are IPv4 only yet", s);
	if (ret != 0 || p.len != 32)
		return ctl_call_fail(c, EINVAL,
				     "params.addr: '%s' is not an IPv4 address (a VIP is one address, /32)",
				     s);
	*a = p.addr;
	*port = -1;
	if (dev != NULL) {
		*port = dp_port_by_name(dp, dev);
		if (*port < 0)
			return ctl_call_fail(c, ENODEV,
					     "params.dev: no port named '%s'", dev);
	}
	return 0;
}

int
ha_vip_add(struct ctl_call *c)
{
	static const char *const keys[] = { "addr", "dev", "lease", NULL };
	struct dp_ctx *dp = c->ctx;
	struct inet_prefix p = { .len = 32 };
	char buf[INET_ADDRSTRLEN];
	int lease = 0, port, ret;

	if ((ret = call_params_only(c, keys)) != 0 ||
	    (ret = vip_params(c, &p.addr, &port, true)) != 0 ||
	    (ret = ctl_param_bool(c->params, "lease", 0, &lease, c->errmsg,
				  sizeof(c->errmsg))) != 0)
		return ret;
	inet_addr_fmt(&p.addr, buf, sizeof(buf));
	if (vip_find((unsigned int)port, &p.addr) >= 0)
		return ctl_call_fail(c, EEXIST, "VIP %s on %s exists already",
				     buf, dp->ports[port].name);
	if (n_vips == VIP_MAX)
		return ctl_call_fail(c, ENOSPC, "%u VIPs at most", VIP_MAX);
	if (lease && ctl_client_on_close(c->client, vip_owner_closed) != 0)
		return ctl_call_fail(c, ENOSPC, "too many close hooks");
	ret = netcfg_addr_add(dp, (unsigned int)port, &p, c->errmsg,
			      sizeof(c->errmsg));
	if (ret == -EEXIST)
		ctl_call_fail(c, EEXIST,
			      "%s: the address exists already (an address or route, not a VIP)",
			      buf);
	if (ret != 0)
		return ret;
	vips[n_vips++] = (struct vip){ .addr = p.addr, .port = (uint16_t)port,
				       .owner = lease ? ctl_client_id(c->client) : 0,
				       .since_ms = dp_now_ms() };
	/* netcfg announced it once; a takeover deserves a few more */
	slowpath_announce_burst(dp, (uint16_t)port, p.addr.v4.s_addr,
				GARP_COUNT, GARP_INTERVAL_MS);
	LOG_NOTICE("VIP %s added on %s%s", buf, dp->ports[port].name,
		   lease ? " (leased by its control connection)" : "");
	c->result = json_object_new_object();
	return 0;
}

int
ha_vip_del(struct ctl_call *c)
{
	static const char *const keys[] = { "addr", "dev", NULL };
	struct dp_ctx *dp = c->ctx;
	struct inet_addr a;
	char buf[INET_ADDRSTRLEN];
	int port, ret, i = -1;
	unsigned int k;

	if ((ret = call_params_only(c, keys)) != 0 ||
	    (ret = vip_params(c, &a, &port, false)) != 0)
		return ret;
	for (k = 0; k < n_vips && i < 0; k++)
		if (inet_addr_equal(&vips[k].addr, &a) &&
		    (port < 0 || vips[k].port == port))
			i = (int)k;
	inet_addr_fmt(&a, buf, sizeof(buf));
	if (i < 0)
		return ctl_call_fail(c, ENOENT, "no VIP %s%s%s", buf,
				     port < 0 ? "" : " on ",
				     port < 0 ? "" : dp->ports[port].name);
	LOG_NOTICE("VIP %s deleted from %s", buf, dp->ports[vips[i].port].name);
	ret = vip_remove(dp, (unsigned int)i, c->errmsg, sizeof(c->errmsg));
	if (ret != 0)
		return ret;
	c->result = json_object_new_object();
	return 0;
}

int
ha_vip_list(struct ctl_call *c)
{
	static const char *const keys[] = { NULL };
	struct dp_ctx *dp = c->ctx;
	char buf[INET_ADDRSTRLEN];
	json_object *a, *o;
	unsigned int i;
	int ret;

	if ((ret = call_params_only(c, keys)) != 0)
		return ret;
	a = json_object_new_array();
	for (i = 0; i < n_vips; i++) {
		o = json_object_new_object();
		ADD(o, "addr", J_STR(inet_addr_fmt(&vips[i].addr, buf, sizeof(buf))));
		ADD(o, "dev", J_STR(dp->ports[vips[i].port].name));
		ADD(o, "lease", json_object_new_boolean(vips[i].owner != 0));
		ADD(o, "owner", vips[i].owner ? J_INT(vips[i].owner) : NULL);
		ADD(o, "age_ms", J_INT(dp_now_ms() - vips[i].since_ms));
		json_object_array_add(a, o);
	}
	c->result = a;
	return 0;
}

/* ---- sync daemon ---- */

static int
sync_state(struct ctl_call *c, int *role)
{
	const char *s;
	int ret = call_param_str(c, "state", 1, &s), i;

	if (ret != 0)
		return ret;
	for (i = 0; i < SYNC_ROLES; i++)
		if (strcmp(s, sync_names[i]) == 0) {
			*role = i;
			return 0;
		}
	return ctl_call_fail(c, EINVAL,
			     "params.state: '%s' is not 'master' or 'backup'", s);
}

int
ha_sync_start(struct ctl_call *c)
{
	static const char *const keys[] = { "state", "ifname", "syncid",
					    "sync_maxlen", "mcast_group",
					    "mcast_port", "mcast_ttl", NULL };
	unsigned long long syncid = 0, maxlen = 0, mport = 0, ttl = 0;
	const char *ifname = "", *group = NULL;
	struct inet_addr g;
	int ret, role;

	if ((ret = call_params_only(c, keys)) != 0 ||
	    (ret = sync_state(c, &role)) != 0 ||
	    (ret = call_param_str(c, "ifname", 0, &ifname)) != 0 ||
	    (ret = call_param_uint(c, "syncid", 0, 255, &syncid)) != 0 ||
	    (ret = call_param_uint(c, "sync_maxlen", 0, 65507, &maxlen)) != 0 ||
	    (ret = call_param_uint(c, "mcast_port", 0, 65535, &mport)) != 0 ||
	    (ret = call_param_uint(c, "mcast_ttl", 0, 255, &ttl)) != 0 ||
	    (ret = call_param_str(c, "mcast_group", 0, &group)) != 0)
		return ret;
	if (group != NULL && inet_addr_parse(group, &g) != 0)
		return ctl_call_fail(c, EINVAL,
				     "params.mcast_group: '%s' is not an address",
				     group);
	if (strlen(ifname) >= 16)
		return ctl_call_fail(c, EINVAL,
				     "params.ifname: '%s' is too long for an interface",
				     ifname);
	/* Starting a running role restarts it with the new parameters, so
	 * that a client pushing its state again needs no stop first. */
	json_object_put(sync_role[role]);
	sync_role[role] = json_object_get(c->params);
	sync_since[role] = dp_now_ms();
	LOG_NOTICE("sync daemon: %s role started (interface %s, syncid %llu)",
		   sync_names[role], ifname[0] ? ifname : "-", syncid);
	c->result = json_object_new_object();
	return 0;
}

int
ha_sync_stop(struct ctl_call *c)
{
	static const char *const keys[] = { "state", NULL };
	int ret, role;

	if ((ret = call_params_only(c, keys)) != 0 ||
	    (ret = sync_state(c, &role)) != 0)
		return ret;
	if (sync_role[role] == NULL)
		return ctl_call_fail(c, ESRCH, "no sync daemon runs as %s",
				     sync_names[role]);
	json_object_put(sync_role[role]);
	sync_role[role] = NULL;
	LOG_NOTICE("sync daemon: %s role stopped", sync_names[role]);
	c->result = json_object_new_object();
	return 0;
}

int
ha_sync_list(struct ctl_call *c)
{
	static const char *const keys[] = { NULL };
	json_object *a, *o, *v;
	int i, ret;

	if ((ret = call_params_only(c, keys)) != 0)
		return ret;
	a = json_object_new_array();
	for (i = 0; i < SYNC_ROLES; i++) {
		if (sync_role[i] == NULL)
			continue;
		o = json_object_new_object();
		ADD(o, "state", J_STR(sync_names[i]));
		json_object_object_foreach(sync_role[i], k, val) {
			if (strcmp(k, "state") != 0 && val != NULL)
				ADD(o, k, json_object_get(val));
		}
		if (!json_object_object_get_ex(o, "ifname", &v))
			ADD(o, "ifname", NULL);
		if (!json_object_object_get_ex(o, "syncid", &v))
			ADD(o, "syncid", J_INT(0));
		ADD(o, "age_ms", J_INT(dp_now_ms() - sync_since[i]));
		json_object_array_add(a, o);
	}
	c->result = a;
	return 0;
}
