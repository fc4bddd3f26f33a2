/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctl_verbs_ha: the vip.* and sync.* verbs (ctl_verbs_ha.h) over the
 * VIP table (ha/vip.h) and the sync daemon's roles (ha/sync.h).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "core/dp.h"
#include "ctl/ctl_call.h"
#include "ctl/ctl_proto.h"
#include "ctl/ctl_verbs_ha.h"
#include "ha/sync.h"
#include "ha/vip.h"

#define J_INT(v) json_object_new_int64((int64_t)(v))
#define J_STR(v) json_object_new_string(v)
#define ADD(o, k, v) json_object_object_add(o, k, v)

/* The lease hook: a connection that took leases closed. */
static void
vip_client_closed(void *ctx, uint64_t client)
{
	struct dp_ctx *dp = ctx;

	ha_vip_client_gone(dp, client, dp->cfg->lease_grace_ms);
}

/* An IPv6 VIP is global unicast: a link-local one has no zone here. */
static bool
vip6_ok(const struct in6_addr *a)
{
	return !IN6_IS_ADDR_UNSPECIFIED(a) && !IN6_IS_ADDR_LOOPBACK(a) &&
	       !IN6_IS_ADDR_MULTICAST(a) && !IN6_IS_ADDR_LINKLOCAL(a) &&
	       !IN6_IS_ADDR_V4MAPPED(a);
}

/* "addr" as one address, bare or as a host prefix (/32, IPv6 /128), and
 * "dev". */
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
	if (ret != 0 || p.len != inet_max_len(p.addr.family))
		return ctl_call_fail(c, EINVAL,
				     "params.addr: '%s' is not an IP address (a VIP is one address, /32 or IPv6 /128)",
				     s);
	if (p.addr.family == AF_INET6 && !vip6_ok(&p.addr.v6))
		return ctl_call_fail(c, EINVAL,
				     "params.addr: '%s' is not a global unicast IPv6 address (not ::, ::1, multicast, link-local or IPv4-mapped)",
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

/* "lease" and "owner": *leased, and the owner's name ("" = none). */
static int
vip_lease_params(struct ctl_call *c, bool *leased, const char **owner)
{
	json_object *v;
	const char *s;
	int lease = -1, ret;

	*owner = "";
	if ((ret = call_param_str(c, "owner", 0, owner)) != 0 ||
	    (ret = ctl_param_bool(c->params, "lease", 0, &lease, c->errmsg,
				  sizeof(c->errmsg))) != 0)
		return ret;
	if ((*owner)[0] == '\0' && json_object_object_get_ex(c->params,
							     "owner", &v) &&
	    json_object_is_type(v, json_type_string))
		return ctl_call_fail(c, EINVAL, "params.owner: must not be empty");
	if (strlen(*owner) >= HA_OWNER_LEN)
		return ctl_call_fail(c, EINVAL,
				     "params.owner: at most %d characters",
				     HA_OWNER_LEN - 1);
	for (s = *owner; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return ctl_call_fail(c, EINVAL,
					     "params.owner: control characters are not allowed");
	if ((*owner)[0] != '\0' && lease == 0)
		return ctl_call_fail(c, EINVAL,
				     "params.owner: an owner holds a lease; it contradicts \"lease\": false");
	*leased = lease == 1 || (*owner)[0] != '\0';
	return 0;
}

int
verb_vip_add(struct ctl_call *c)
{
	static const char *const keys[] = { "addr", "dev", "lease", "owner",
					    NULL };
	struct ha_lease lease = { .client = ctl_client_id(c->client) };
	struct inet_addr a;
	bool leased;
	int port, ret;

	if ((ret = call_params_only(c, keys)) != 0 ||
	    (ret = vip_params(c, &a, &port, true)) != 0 ||
	    (ret = vip_lease_params(c, &leased, &lease.owner)) != 0)
		return ret;
	if (leased && ctl_client_on_close(c->client, vip_client_closed) != 0)
		return ctl_call_fail(c, ENOSPC, "too many close hooks");
	ret = ha_vip_add(c->ctx, (unsigned int)port, &a,
			 leased ? &lease : NULL, c->errmsg, sizeof(c->errmsg));
	if (ret < 0)
		return ret;
	c->result = json_object_new_object();
	if (ret == 1)
		ADD(c->result, "claimed", json_object_new_boolean(true));
	return 0;
}

int
verb_vip_del(struct ctl_call *c)
{
	static const char *const keys[] = { "addr", "dev", NULL };
	struct inet_addr a;
	int port, ret;

	if ((ret = call_params_only(c, keys)) != 0 ||
	    (ret = vip_params(c, &a, &port, false)) != 0)
		return ret;
	ret = ha_vip_del(c->ctx, port, &a, c->errmsg, sizeof(c->errmsg));
	if (ret != 0)
		return ret;
	c->result = json_object_new_object();
	return 0;
}

static json_object *
vip_json(const struct dp_ctx *dp, const struct ha_vip *v, uint64_t now)
{
	enum ha_vip_state st = ha_vip_state(v);
	json_object *o = json_object_new_object();
	char buf[INET6_ADDRSTRLEN];

	ADD(o, "addr", J_STR(inet_addr_fmt(&v->addr, buf, sizeof(buf))));
	ADD(o, "dev", J_STR(dp->ports[v->port].name));
	ADD(o, "lease", json_object_new_boolean(v->leased));
	ADD(o, "owner", v->owner[0] ? J_STR(v->owner) : NULL);
	ADD(o, "client", v->holder ? J_INT(v->holder) : NULL);
	ADD(o, "state", J_STR(ha_vip_state_name(st)));
	if (st == HA_VIP_ORPHANED)
		ADD(o, "expires_ms",
		    J_INT(v->expires_ms > now ? v->expires_ms - now : 0));
	ADD(o, "age_ms", J_INT(now - v->since_ms));
	/* another node announced it while it was ours (two holders) */
	ADD(o, "conflicts", J_INT(v->conflicts));
	if (v->conflicts != 0) {
		char mac[MAC_STRLEN];

		ADD(o, "conflict_mac",
		    J_STR(mac_fmt(v->conflict_mac.addr_bytes, mac, sizeof(mac))));
	}
	return o;
}

int
verb_vip_list(struct ctl_call *c)
{
	static const char *const keys[] = { NULL };
	const struct ha_vip *vips;
	uint64_t now = dp_now_ms();
	unsigned int i, n;
	json_object *a;
	int ret;

	if ((ret = call_params_only(c, keys)) != 0)
		return ret;
	vips = ha_vips(&n);
	a = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(a, vip_json(c->ctx, &vips[i], now));
	c->result = a;
	return 0;
}

/* ---- sync daemon ---- */

static int
sync_state(struct ctl_call *c, enum ha_sync_role *role)
{
	const char *s;
	int ret = call_param_str(c, "state", 1, &s);

	if (ret != 0)
		return ret;
	ret = ha_sync_role_parse(s);
	if (ret < 0)
		return ctl_call_fail(c, EINVAL,
				     "params.state: '%s' is not 'master' or 'backup'",
				     s);
	*role = (enum ha_sync_role)ret;
	return 0;
}

/* sync.start's parameters, but the state and the tunables. */
static int
sync_params(struct ctl_call *c, struct ha_sync_params *p)
{
	unsigned long long syncid = 0, maxlen = 0, mport = 0, ttl = 0;
	const char *ifname = "", *group = NULL, *peer = NULL;
	int ret;

	*p = (struct ha_sync_params){ 0 };
	if ((ret = call_param_str(c, "ifname", 0, &ifname)) != 0 ||
	    (ret = call_param_uint(c, "syncid", 0, 255, &syncid)) != 0 ||
	    (ret = call_param_uint(c, "sync_maxlen", 0, 65507, &maxlen)) != 0 ||
	    (ret = call_param_uint(c, "mcast_port", 0, 65535, &mport)) != 0 ||
	    (ret = call_param_uint(c, "mcast_ttl", 0, 255, &ttl)) != 0 ||
	    (ret = call_param_str(c, "mcast_group", 0, &group)) != 0 ||
	    (ret = call_param_str(c, "peer", 0, &peer)) != 0)
		return ret;
	if (group != NULL && inet_addr_parse(group, &p->mcast_group) != 0)
		return ctl_call_fail(c, EINVAL,
				     "params.mcast_group: '%s' is not an address",
				     group);
	if (peer != NULL && inet_addr_parse(peer, &p->peer) != 0)
		return ctl_call_fail(c, EINVAL,
				     "params.peer: '%s' is not an address", peer);
	if (strlen(ifname) >= sizeof(p->ifname))
		return ctl_call_fail(c, EINVAL,
				     "params.ifname: '%s' is too long for an interface",
				     ifname);
	snprintf(p->ifname, sizeof(p->ifname), "%s", ifname);
	p->syncid = (uint8_t)syncid;
	p->maxlen = (uint16_t)maxlen;
	p->mcast_port = (uint16_t)mport;
	p->mcast_ttl = (uint8_t)ttl;
	ret = ha_sync_params_check(p, c->errmsg, sizeof(c->errmsg));
	return ret;
}

/* IPVS's sysctls (and dplb's dump settings) by their parameter names. */
static const struct {
	const char *key;
	size_t off;
} tunable_keys[] = {
	{ "sync_threshold", offsetof(struct ha_sync_tunables, threshold) },
	{ "sync_period", offsetof(struct ha_sync_tunables, period) },
	{ "sync_refresh_period",
	  offsetof(struct ha_sync_tunables, refresh_period) },
	{ "sync_retries", offsetof(struct ha_sync_tunables, retries) },
	{ "full_refresh", offsetof(struct ha_sync_tunables, full_refresh) },
	{ "dump_rate", offsetof(struct ha_sync_tunables, dump_rate) },
};

static unsigned int *
tunable(struct ha_sync_tunables *t, unsigned int i)
{
	return (unsigned int *)((char *)t + tunable_keys[i].off);
}

/* The tunables sync.start names, over the current ones. */
static int
sync_tunables(struct ctl_call *c, struct ha_sync_tunables *t, bool *given)
{
	unsigned long long v;
	unsigned int i;
	int ret;

	ha_sync_get_tunables(t);
	*given = false;
	for (i = 0; i < RTE_DIM(tunable_keys); i++) {
		if (!json_object_object_get_ex(c->params, tunable_keys[i].key,
					       NULL))
			continue;
		*given = true;
		ret = call_param_uint(c, tunable_keys[i].key, 0, 100000000, &v);
		if (ret != 0)
			return ret;
		*tunable(t, i) = (unsigned int)v;
	}
	return 0;
}

int
verb_sync_start(struct ctl_call *c)
{
	static const char *const keys[] = { "state", "ifname", "syncid",
					    "sync_maxlen", "mcast_group",
					    "mcast_port", "mcast_ttl", "peer",
					    "sync_threshold", "sync_period",
					    "sync_refresh_period",
					    "sync_retries", "full_refresh",
					    "dump_rate", NULL };
	struct ha_sync_tunables t;
	struct ha_sync_params p;
	enum ha_sync_role role;
	bool given;
	int ret;

	if ((ret = call_params_only(c, keys)) != 0 ||
	    (ret = sync_state(c, &role)) != 0 ||
	    (ret = sync_params(c, &p)) != 0 ||
	    (ret = sync_tunables(c, &t, &given)) != 0)
		return ret;
	if (given && (ret = ha_sync_set_tunables(c->ctx, &t, c->errmsg,
						 sizeof(c->errmsg))) != 0)
		return ret;
	ha_sync_start(c->ctx, role, &p);
	c->result = json_object_new_object();
	return 0;
}

int
verb_sync_stop(struct ctl_call *c)
{
	static const char *const keys[] = { "state", NULL };
	enum ha_sync_role role;
	int ret;

	if ((ret = call_params_only(c, keys)) != 0 ||
	    (ret = sync_state(c, &role)) != 0)
		return ret;
	if (ha_sync_stop(c->ctx, role) != 0)
		return ctl_call_fail(c, ESRCH, "no sync daemon runs as %s",
				     ha_sync_role_name(role));
	c->result = json_object_new_object();
	return 0;
}

static json_object *
j_addr(const struct inet_addr *a)
{
	char buf[INET6_ADDRSTRLEN];

	return J_STR(inet_addr_fmt(a, buf, sizeof(buf)));
}

static json_object *
sync_socket_json(enum ha_sync_role role)
{
	json_object *o = json_object_new_object();
	struct ha_sync_status st;

	ha_sync_status(role, &st);
	ADD(o, "up", json_object_new_boolean(st.up));
	ADD(o, "error", st.error[0] ? J_STR(st.error) : NULL);
	ADD(o, "addr", j_addr(&st.dst));
	ADD(o, "port", J_INT(st.port));
	ADD(o, "ttl", J_INT(st.ttl));
	ADD(o, "maxlen", J_INT(st.maxlen));
	return o;
}

static json_object *
sync_role_json(enum ha_sync_role role, const struct ha_sync_params *p,
	       uint64_t since_ms)
{
	json_object *o = json_object_new_object();

	ADD(o, "state", J_STR(ha_sync_role_name(role)));
	ADD(o, "ifname", p->ifname[0] ? J_STR(p->ifname) : NULL);
	ADD(o, "syncid", J_INT(p->syncid));
	if (p->maxlen != 0)
		ADD(o, "sync_maxlen", J_INT(p->maxlen));
	if (p->mcast_group.family != 0)
		ADD(o, "mcast_group", j_addr(&p->mcast_group));
	if (p->mcast_port != 0)
		ADD(o, "mcast_port", J_INT(p->mcast_port));
	if (p->mcast_ttl != 0)
		ADD(o, "mcast_ttl", J_INT(p->mcast_ttl));
	if (p->peer.family != 0)
		ADD(o, "peer", j_addr(&p->peer));
	ADD(o, "age_ms", J_INT(dp_now_ms() - since_ms));
	ADD(o, "socket", sync_socket_json(role));
	return o;
}

int
verb_sync_list(struct ctl_call *c)
{
	static const char *const keys[] = { NULL };
	const struct ha_sync_params *p;
	uint64_t since;
	json_object *a;
	int i, ret;

	if ((ret = call_params_only(c, keys)) != 0)
		return ret;
	a = json_object_new_array();
	for (i = 0; i < HA_SYNC_ROLES; i++) {
		p = ha_sync_get((enum ha_sync_role)i, &since);
		if (p != NULL)
			json_object_array_add(a, sync_role_json(i, p, since));
	}
	c->result = a;
	return 0;
}

static json_object *
tunables_json(void)
{
	json_object *o = json_object_new_object();
	struct ha_sync_tunables t;
	unsigned int i;

	ha_sync_get_tunables(&t);
	for (i = 0; i < RTE_DIM(tunable_keys); i++)
		ADD(o, tunable_keys[i].key, J_INT(*tunable(&t, i)));
	return o;
}

static json_object *
master_stats_json(const struct ha_sync_stats *st)
{
	json_object *o = json_object_new_object();

	ADD(o, "running", json_object_new_boolean(
				  ha_sync_get(HA_SYNC_MASTER, &(uint64_t){0}) != NULL));
	ADD(o, "records", J_INT(st->records_emitted));
	ADD(o, "records_lost", J_INT(st->records_lost));
	ADD(o, "records_dumped", J_INT(st->records_dumped));
	ADD(o, "records_sent", J_INT(st->records_sent));
	ADD(o, "messages", J_INT(st->msgs_sent));
	ADD(o, "bytes", J_INT(st->bytes_sent));
	ADD(o, "send_errors", J_INT(st->send_errors));
	ADD(o, "dump_requests", J_INT(st->dump_requests_recv));
	ADD(o, "dumps", J_INT(st->dumps_done));
	return o;
}

static json_object *
backup_stats_json(const struct ha_sync_stats *st)
{
	json_object *o = json_object_new_object(), *d, *lag;
	uint64_t dropped = 0;
	int i;

	d = json_object_new_object();
	for (i = 0; i < SYNC_DROP_MAX; i++) {
		ADD(d, sync_drop_name((enum sync_drop)i), J_INT(st->drops[i]));
		dropped += st->drops[i];
	}
	lag = json_object_new_object();
	ADD(lag, "samples", J_INT(st->lag_n));
	ADD(lag, "avg", st->lag_n ? json_object_new_double(
					   (double)st->lag_sum_ms / st->lag_n) :
				   NULL);
	ADD(lag, "max", J_INT(st->lag_max_ms));
	ADD(o, "running", json_object_new_boolean(
				  ha_sync_get(HA_SYNC_BACKUP, &(uint64_t){0}) != NULL));
	ADD(o, "messages", J_INT(st->msgs_recv));
	ADD(o, "bytes", J_INT(st->bytes_recv));
	ADD(o, "records", J_INT(st->records_recv));
	ADD(o, "installed", J_INT(st->installed));
	ADD(o, "updated", J_INT(st->updated));
	ADD(o, "dropped", J_INT(dropped));
	ADD(o, "drops", d);
	ADD(o, "lag_ms", lag);
	ADD(o, "dump_requests", J_INT(st->dump_requests_sent));
	ADD(o, "dumps", J_INT(st->dumps_recv));
	ADD(o, "dump_complete", json_object_new_boolean(st->dump_complete));
	ADD(o, "peer_workers", st->peer_workers ? J_INT(st->peer_workers) :
						   NULL);
	ADD(o, "last_message_age_ms",
	    st->last_recv_ms ? J_INT(dp_now_ms() - st->last_recv_ms) : NULL);
	return o;
}

int
verb_sync_stats(struct ctl_call *c)
{
	static const char *const keys[] = { NULL };
	struct dp_ctx *dp = c->ctx;
	struct ha_sync_stats st;
	json_object *o;
	int ret;

	if ((ret = call_params_only(c, keys)) != 0)
		return ret;
	ha_sync_get_stats(dp, &st);
	o = json_object_new_object();
	ADD(o, "workers", J_INT(dp->n_workers));
	ADD(o, "tunables", tunables_json());
	ADD(o, "master", master_stats_json(&st));
	ADD(o, "backup", backup_stats_json(&st));
	c->result = o;
	return 0;
}
