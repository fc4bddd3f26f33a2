/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctl_verbs_lb: service, dest, laddr and stats verbs.  Parameters are
 * parsed and type-checked here; every rule about what makes sense lives
 * in lb_svc.c, shared with the config loader, so the socket and the
 * file cannot disagree.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "ctl/ctl_call.h"
#include "ctl/ctl_verbs.h"
#include "ctl/ctl_verbs_conn.h"
#include "ctl/ctl_verbs_lb.h"
#include "core/dp.h"
#include "lb/lb.h"
#include "lb/lb_snat.h"
#include "net/steer.h"
#include "lb/lb_svc.h"
#include "log.h"

#define J_INT(v) json_object_new_int64((int64_t)(v))
#define J_STR(v) json_object_new_string(v)
#define ADD(o, k, v) json_object_object_add(o, k, v)

/* The keys naming a service, a dest within it, and their attributes. */
#define SVC_KEYS "proto", "vip", "port"
#define SVC_ATTRS "sched", "flags", "persistent", "netmask", "laddr_group", \
	"half_open_max", "conn_rate", "conn_rate_prefix", "syn_proxy", \
	"proxy_protocol", "toa"
#define DEST_KEYS "addr", "dport"
#define DEST_ATTRS "weight", "fwd", "u_threshold", "l_threshold"

static struct lb_store *
store(struct ctl_call *c)
{
	return ((struct dp_ctx *)c->ctx)->lb;
}

static int
check_params(struct ctl_call *c, const char *const *allowed)
{
	if (store(c) == NULL)
		return ctl_call_fail(c, EIO, "the load balancer is not "
				     "initialised");
	return call_params_only(c, allowed);
}

static bool
has_param(struct ctl_call *c, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(c->params, key, &v) && v != NULL;
}

/* Errors of lb_svc.c read "key: why"; name the parameter. */
static int
model_fail(struct ctl_call *c, int ret)
{
	char why[CTL_ERRMSG_LEN];
	const char *colon = strstr(c->errmsg, ": ");
	size_t klen = colon ? (size_t)(colon - c->errmsg) : 0;

	if (c->errmsg[0] == '\0')
		return ctl_call_fail(c, -ret, "%s", strerror(-ret));
	/* a bare key ("vip: ...", not "service tcp ...: ...") */
	if (colon != NULL && klen < 16 && memchr(c->errmsg, ' ', klen) == NULL) {
		snprintf(why, sizeof(why), "%s", c->errmsg);
		ctl_call_fail(c, -ret, "params.%s", why);
	}
	return ret;
}

/*
 * proto, vip and port name a service.  required = 0 (listings): all
 * three or none; returns 1 when none was given.
 */
static int
param_svc_key(struct ctl_call *c, int required, struct lb_svc_key *k)
{
	unsigned long long port = 0;
	const char *proto = NULL;
	int ret, p;

	if (!required && !has_param(c, "proto") && !has_param(c, "vip") &&
	    !has_param(c, "port"))
		return 1;
	memset(k, 0, sizeof(*k));
	if ((ret = call_param_str(c, "proto", 1, &proto)) != 0 ||
	    (ret = call_param_addr(c, "vip", 1, &k->vip)) != 0 ||
	    (ret = call_param_uint(c, "port", 1, 65535, &port)) != 0)
		return ret;
	p = lb_proto_parse(proto);
	if (p < 0)
		return ctl_call_fail(c, EINVAL,
				     "params.proto: must be \"tcp\" or \"udp\"");
	k->proto = (uint8_t)p;
	k->port = (uint16_t)port;
	return 0;
}

/* A boolean param that sets or clears flag f of conf. */
static int
param_flag(struct ctl_call *c, const char *key, uint32_t f,
	   struct lb_svc_conf *conf)
{
	json_object *v;

	if (!json_object_object_get_ex(c->params, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return ctl_call_fail(c, EINVAL, "params.%s: must be true or "
				     "false", key);
	if (json_object_get_boolean(v))
		conf->flags |= f;
	else
		conf->flags &= ~f;
	return 0;
}

/* keepalived's names for the flags of edited connections (DPVS's
 * syn_proxy, proxy_protocol, toa), after "flags". */
static int
param_svc_tcpx(struct ctl_call *c, struct lb_svc_conf *conf)
{
	const char *pp = NULL;
	int ret;

	if ((ret = param_flag(c, "syn_proxy", LB_SVC_F_SYN_PROXY, conf)) != 0 ||
	    (ret = param_flag(c, "toa", LB_SVC_F_TOA, conf)) != 0 ||
	    (ret = call_param_str(c, "proxy_protocol", 0, &pp)) != 0)
		return ret;
	if (pp == NULL)
		return 0;
	conf->flags &= ~(uint32_t)(LB_SVC_F_PP_V1 | LB_SVC_F_PP_V2);
	if (strcmp(pp, "v1") == 0)
		conf->flags |= LB_SVC_F_PP_V1;
	else if (strcmp(pp, "v2") == 0)
		conf->flags |= LB_SVC_F_PP_V2;
	else if (strcmp(pp, "none") != 0 && strcmp(pp, "disable") != 0)
		return ctl_call_fail(c, EINVAL, "params.proxy_protocol: v1, v2 "
				     "or none, not '%s'", pp);
	return 0;
}

/* The attributes given in params over conf (the defaults or the
 * service's current ones). */
static int
param_svc_conf(struct ctl_call *c, uint8_t family, struct lb_svc_conf *conf)
{
	unsigned long long persistent = conf->persistent;
	unsigned long long half_open = conf->half_open_max;
	unsigned long long rate = conf->conn_rate;
	unsigned long long prefix = conf->conn_rate_prefix;
	const char *sched = NULL, *mask = NULL, *group = NULL;
	json_object *flags = NULL;
	size_t i;
	int ret, f;

	if ((ret = call_param_str(c, "sched", 0, &sched)) != 0 ||
	    (ret = call_param_uint(c, "persistent", 0, LB_PERSIST_MAX,
			      &persistent)) != 0 ||
	    (ret = call_param_str(c, "netmask", 0, &mask)) != 0 ||
	    (ret = call_param_str(c, "laddr_group", 0, &group)) != 0 ||
	    (ret = call_param_uint(c, "half_open_max", 0, UINT32_MAX,
				   &half_open)) != 0 ||
	    (ret = call_param_uint(c, "conn_rate", 0, UINT32_MAX, &rate)) != 0 ||
	    (ret = call_param_uint(c, "conn_rate_prefix", 0, 32, &prefix)) != 0)
		return ret;
	conf->half_open_max = (uint32_t)half_open;
	conf->conn_rate = (uint32_t)rate;
	conf->conn_rate_prefix = (uint8_t)prefix;
	if (sched != NULL) {
		if (strlen(sched) >= sizeof(conf->sched) || !sched_known(sched))
			return ctl_call_fail(c, EINVAL, "params.sched: unknown "
					     "scheduler '%s' (" SCHED_NAMES ")",
					     sched);
		strcpy(conf->sched, sched);
	}
	json_object_object_get_ex(c->params, "flags", &flags);
	if (flags != NULL) {
		if (!json_object_is_type(flags, json_type_array))
			return ctl_call_fail(c, EINVAL, "params.flags: must be "
					     "an array of strings");
		conf->flags = 0;
		for (i = 0; i < json_object_array_length(flags); i++) {
			json_object *e = json_object_array_get_idx(flags, i);

			if (!json_object_is_type(e, json_type_string))
				return ctl_call_fail(c, EINVAL, "params.flags: "
						     "must be an array of "
						     "strings");
			f = lb_svc_flag_parse(json_object_get_string(e));
			if (f < 0)
				return ctl_call_fail(c, EINVAL, "params.flags: "
					"unknown flag '%s' (sh-port, "
					"sh-fallback, mh-port, mh-fallback, "
					"one-packet, expire-quiescent, "
					"proxy-protocol-v1, proxy-protocol-v2, "
					"toa, syn-proxy)",
					json_object_get_string(e));
			conf->flags |= (uint32_t)f;
		}
	}
	if ((ret = param_svc_tcpx(c, conf)) != 0)
		return ret;
	if (has_param(c, "persistent")) {
		conf->persistent = (uint32_t)persistent;
		/* turning persistence off forgets its granularity */
		if (persistent == 0 && mask == NULL)
			conf->netmask_len = lb_netmask_default(family);
	}
	if (mask != NULL) {
		f = lb_netmask_parse(mask);
		if (f < 0)
			return ctl_call_fail(c, EINVAL, "params.netmask: '%s' is "
					     "not a netmask (a.b.c.d, or a "
					     "prefix length /N)", mask);
		conf->netmask_len = (uint8_t)f;
	}
	if (group != NULL) {
		if (strlen(group) >= sizeof(conf->laddr_group))
			return ctl_call_fail(c, EINVAL, "params.laddr_group: at "
					     "most %d characters",
					     LB_NAME_LEN - 1);
		strcpy(conf->laddr_group, group);
	}
	return 0;
}

static int
param_dest_conf(struct ctl_call *c, struct lb_dest_conf *d)
{
	unsigned long long v;
	const char *fwd = NULL;
	int ret, f;

	v = d->weight;
	if ((ret = call_param_uint(c, "weight", 0, SCHED_WEIGHT_MAX, &v)) != 0)
		return ret;
	d->weight = (uint32_t)v;
	v = d->u_threshold;
	if ((ret = call_param_uint(c, "u_threshold", 0, LB_THRESHOLD_MAX, &v)) != 0)
		return ret;
	d->u_threshold = (uint32_t)v;
	v = d->l_threshold;
	if ((ret = call_param_uint(c, "l_threshold", 0, LB_THRESHOLD_MAX, &v)) != 0)
		return ret;
	d->l_threshold = (uint32_t)v;
	if ((ret = call_param_str(c, "fwd", 0, &fwd)) != 0)
		return ret;
	if (fwd != NULL) {
		f = lb_fwd_parse(fwd);
		if (f < 0)
			return ctl_call_fail(c, EINVAL, "params.fwd: must be one "
					     "of fnat, nat, dr, tunnel");
		d->fwd = (uint8_t)f;
	}
	return 0;
}

/* addr and dport name a dest within its service. */
static int
param_dest_key(struct ctl_call *c, struct lb_dest_conf *d)
{
	unsigned long long port = 0;
	int ret;

	if ((ret = call_param_addr(c, "addr", 1, &d->addr)) != 0 ||
	    (ret = call_param_uint(c, "dport", 0, 65535, &port)) != 0)
		return ret;
	d->port = (uint16_t)port;
	return 0;
}

/* ---- JSON views --------------------------------------------------------- */

static void
svc_key_json(json_object *o, const struct lb_svc *s)
{
	char a[INET_ADDR_STRLEN];

	ADD(o, "id", J_INT(s->id));
	ADD(o, "proto", J_STR(lb_proto_name(s->key.proto)));
	ADD(o, "vip", J_STR(inet_addr_fmt(&s->key.vip, a, sizeof(a))));
	ADD(o, "port", J_INT(s->key.port));
}

static json_object *
dest_json(const struct lb_dest *d)
{
	json_object *o = json_object_new_object();
	char a[INET_ADDR_STRLEN];
	uint32_t active, inactive;

	lb_dest_conns(d, &active, &inactive);
	ADD(o, "addr", J_STR(inet_addr_fmt(&d->conf.addr, a, sizeof(a))));
	ADD(o, "port", J_INT(d->conf.port));
	ADD(o, "weight", J_INT(d->conf.weight));
	ADD(o, "fwd", J_STR(lb_fwd_name(d->conf.fwd)));
	ADD(o, "u_threshold", J_INT(d->conf.u_threshold));
	ADD(o, "l_threshold", J_INT(d->conf.l_threshold));
	ADD(o, "active_conns", J_INT(active));
	ADD(o, "inactive_conns", J_INT(inactive));
	ADD(o, "persistent_conns",
	    J_INT(__atomic_load_n(&d->load.persistent, __ATOMIC_RELAXED)));
	ADD(o, "overloaded", json_object_new_boolean(
		__atomic_load_n(&d->load.overloaded, __ATOMIC_RELAXED) != 0));
	return o;
}

static json_object *
svc_json(const struct lb_store *st, const struct lb_svc *s)
{
	json_object *o = json_object_new_object(), *fl, *ds;
	char a[INET_ADDR_STRLEN];
	const struct lb_dest *d;
	uint32_t f;

	svc_key_json(o, s);
	ADD(o, "sched", J_STR(s->conf.sched));
	fl = json_object_new_array();
	for (f = 1; f != 0 && f <= s->conf.flags; f <<= 1)
		if (s->conf.flags & f)
			json_object_array_add(fl, J_STR(lb_svc_flag_name(
				f, s->conf.sched)));
	ADD(o, "flags", fl);
	ADD(o, "persistent", J_INT(s->conf.persistent));
	ADD(o, "netmask", J_STR(lb_netmask_fmt(s->key.vip.family,
					       s->conf.netmask_len, a,
					       sizeof(a))));
	ADD(o, "laddr_group", s->conf.laddr_group[0] ?
				      J_STR(s->conf.laddr_group) : NULL);
	ADD(o, "half_open_max", J_INT(s->conf.half_open_max));
	ADD(o, "conn_rate", J_INT(s->conf.conn_rate));
	ADD(o, "conn_rate_prefix", J_INT(s->conf.conn_rate_prefix));
	ds = json_object_new_array();
	TAILQ_FOREACH(d, &s->dests, next)
		json_object_array_add(ds, dest_json(d));
	ADD(o, "dests", ds);
	return o;
}

static json_object *
stats_json(const struct lb_stats *st)
{
	json_object *o = json_object_new_object();

	ADD(o, "conns", J_INT(st->conns));
	ADD(o, "inpkts", J_INT(st->inpkts));
	ADD(o, "outpkts", J_INT(st->outpkts));
	ADD(o, "inbytes", J_INT(st->inbytes));
	ADD(o, "outbytes", J_INT(st->outbytes));
	return o;
}

/* The service a verb names, or ENOENT with the lb_svc.c wording. */
static struct lb_svc *
find_svc(struct ctl_call *c, const struct lb_svc_key *k)
{
	struct lb_svc *s = lb_svc_find(store(c), k);
	char a[INET_ADDR_STRLEN];

	if (s == NULL)
		ctl_call_fail(c, ENOENT, "no service %s %s:%u",
			      lb_proto_name(k->proto),
			      inet_addr_fmt(&k->vip, a, sizeof(a)), k->port);
	return s;
}

/* ---- service ------------------------------------------------------------ */

static int
m_service_add(struct ctl_call *c)
{
	static const char *const keys[] = { SVC_KEYS, SVC_ATTRS, NULL };
	struct lb_svc_conf conf;
	struct lb_svc_key k;
	json_object *r;
	int ret;

	lb_svc_conf_init(&conf);
	if ((ret = check_params(c, keys)) != 0 ||
	    (ret = param_svc_key(c, 1, &k)) != 0)
		return ret;
	conf.netmask_len = lb_netmask_default(k.vip.family);
	if ((ret = param_svc_conf(c, k.vip.family, &conf)) != 0)
		return ret;
	ret = lb_svc_add(store(c), &k, &conf, c->errmsg, sizeof(c->errmsg));
	if (ret != 0)
		return model_fail(c, ret);
	r = json_object_new_object();
	ADD(r, "id", J_INT(lb_svc_find(store(c), &k)->id));
	c->result = r;
	return 0;
}

static int
m_service_edit(struct ctl_call *c)
{
	static const char *const keys[] = { SVC_KEYS, SVC_ATTRS, NULL };
	struct lb_svc_conf conf;
	struct lb_svc_key k;
	struct lb_svc *s;
	int ret;

	if ((ret = check_params(c, keys)) != 0 ||
	    (ret = param_svc_key(c, 1, &k)) != 0)
		return ret;
	if ((s = find_svc(c, &k)) == NULL)
		return -ENOENT;
	conf = s->conf;
	if ((ret = param_svc_conf(c, k.vip.family, &conf)) != 0)
		return ret;
	ret = lb_svc_edit(store(c), &k, &conf, c->errmsg, sizeof(c->errmsg));
	return ret == 0 ? 0 : model_fail(c, ret);
}

static int
m_service_del(struct ctl_call *c)
{
	static const char *const keys[] = { SVC_KEYS, NULL };
	struct lb_svc_key k;
	int ret;

	if ((ret = check_params(c, keys)) != 0 ||
	    (ret = param_svc_key(c, 1, &k)) != 0)
		return ret;
	ret = lb_svc_del(store(c), &k, c->errmsg, sizeof(c->errmsg));
	return ret == 0 ? 0 : model_fail(c, ret);
}

static int
m_service_flush(struct ctl_call *c)
{
	static const char *const keys[] = { NULL };
	json_object *r;
	int ret;

	if ((ret = check_params(c, keys)) != 0)
		return ret;
	ret = lb_svc_flush(store(c), c->errmsg, sizeof(c->errmsg));
	if (ret < 0)
		return model_fail(c, ret);
	r = json_object_new_object();
	ADD(r, "flushed", J_INT(ret));
	c->result = r;
	return 0;
}

typedef json_object *(*svc_fmt_fn)(const struct lb_store *st,
				   const struct lb_svc *s);

/* One service (params name it) or all of them, each through fmt. */
static int
svc_listing(struct ctl_call *c, svc_fmt_fn fmt)
{
	static const char *const keys[] = { SVC_KEYS, NULL };
	struct lb_svc_key k;
	struct lb_svc *s;
	json_object *a;
	int ret;

	if ((ret = check_params(c, keys)) != 0 ||
	    (ret = param_svc_key(c, 0, &k)) < 0)
		return ret;
	if (ret == 0 && (s = find_svc(c, &k)) == NULL)
		return -ENOENT;
	a = json_object_new_array();
	if (ret == 0) {
		json_object_array_add(a, fmt(store(c), s));
	} else {
		TAILQ_FOREACH(s, &store(c)->svcs, next)
			json_object_array_add(a, fmt(store(c), s));
	}
	c->result = a;
	return 0;
}

static int
m_service_list(struct ctl_call *c)
{
	return svc_listing(c, svc_json);
}

/* ---- dest --------------------------------------------------------------- */

static int
m_dest_add(struct ctl_call *c)
{
	static const char *const keys[] = { SVC_KEYS, DEST_KEYS, DEST_ATTRS,
					    NULL };
	struct lb_dest_conf d;
	struct lb_svc_key k;
	int ret;

	lb_dest_conf_init(&d);
	if ((ret = check_params(c, keys)) != 0 ||
	    (ret = param_svc_key(c, 1, &k)) != 0 ||
	    (ret = param_dest_key(c, &d)) != 0 ||
	    (ret = param_dest_conf(c, &d)) != 0)
		return ret;
	ret = lb_dest_add(store(c), &k, &d, c->errmsg, sizeof(c->errmsg));
	return ret == 0 ? 0 : model_fail(c, ret);
}

static int
m_dest_edit(struct ctl_call *c)
{
	static const char *const keys[] = { SVC_KEYS, DEST_KEYS, DEST_ATTRS,
					    NULL };
	struct lb_dest_conf d;
	struct lb_svc_key k;
	struct lb_dest *cur;
	struct lb_svc *s;
	char a[INET_ADDR_STRLEN];
	int ret;

	memset(&d, 0, sizeof(d));
	if ((ret = check_params(c, keys)) != 0 ||
	    (ret = param_svc_key(c, 1, &k)) != 0 ||
	    (ret = param_dest_key(c, &d)) != 0)
		return ret;
	if ((s = find_svc(c, &k)) == NULL)
		return -ENOENT;
	cur = lb_dest_find(s, &d.addr, d.port);
	if (cur == NULL)
		return ctl_call_fail(c, ENOENT, "no dest %s:%u in service %s "
				     "%s:%u",
				     json_object_get_string(json_object_object_get(
					     c->params, "addr")),
				     d.port ? d.port : k.port,
				     lb_proto_name(k.proto),
				     inet_addr_fmt(&k.vip, a, sizeof(a)),
				     k.port);
	d = cur->conf;	/* what is not given stays */
	if ((ret = param_dest_conf(c, &d)) != 0)
		return ret;
	ret = lb_dest_edit(store(c), &k, &d, c->errmsg, sizeof(c->errmsg));
	return ret == 0 ? 0 : model_fail(c, ret);
}

static int
m_dest_del(struct ctl_call *c)
{
	static const char *const keys[] = { SVC_KEYS, DEST_KEYS, NULL };
	struct lb_dest_conf d;
	struct lb_svc_key k;
	int ret;

	memset(&d, 0, sizeof(d));
	if ((ret = check_params(c, keys)) != 0 ||
	    (ret = param_svc_key(c, 1, &k)) != 0 ||
	    (ret = param_dest_key(c, &d)) != 0)
		return ret;
	ret = lb_dest_del(store(c), &k, &d.addr, d.port, c->errmsg,
			  sizeof(c->errmsg));
	return ret == 0 ? 0 : model_fail(c, ret);
}

static int
m_dest_list(struct ctl_call *c)
{
	static const char *const keys[] = { SVC_KEYS, NULL };
	const struct lb_dest *d;
	struct lb_svc_key k;
	struct lb_svc *s;
	json_object *a;
	int ret;

	if ((ret = check_params(c, keys)) != 0 ||
	    (ret = param_svc_key(c, 1, &k)) != 0)
		return ret;
	if ((s = find_svc(c, &k)) == NULL)
		return -ENOENT;
	a = json_object_new_array();
	TAILQ_FOREACH(d, &s->dests, next)
		json_object_array_add(a, dest_json(d));
	c->result = a;
	return 0;
}

/* ---- laddr -------------------------------------------------------------- */

static int
laddr_change(struct ctl_call *c, bool add)
{
	static const char *const keys[] = { "group", "addr", NULL };
	struct inet_addr a = { 0 };
	const char *group;
	int ret;

	if ((ret = check_params(c, keys)) != 0 ||
	    (ret = call_param_str(c, "group", 1, &group)) != 0 ||
	    (ret = call_param_addr(c, "addr", 0, &a)) != 0)
		return ret;
	if (add)
		ret = lb_laddr_add(store(c), group, a.family ? &a : NULL,
				   c->errmsg, sizeof(c->errmsg));
	else
		ret = lb_laddr_del(store(c), group, a.family ? &a : NULL,
				   c->errmsg, sizeof(c->errmsg));
	if (ret == 0)
		lb_flow_sync(c->ctx);	/* rte_flow rules follow the LIPs */
	return ret == 0 ? 0 : model_fail(c, ret);
}

static int
m_laddr_add(struct ctl_call *c)
{
	return laddr_change(c, true);
}

static int
m_laddr_del(struct ctl_call *c)
{
	return laddr_change(c, false);
}

/* How the group's local ports fare (lb_conn.c): counters, and the
 * verdict of the last lb_laddr_assess(), with a warning when it is too
 * small. */
static void
laddr_health_json(json_object *o, const struct lb_store *st,
		  const struct lb_laddr_group *g, unsigned int guard_s)
{
	const struct lb_laddr_health *h = &g->health;
	struct lb_laddr_pcpu sum;
	char why[256];

	lb_laddr_counts(st, g, &sum);
	ADD(o, "conns", J_INT(sum.conns));
	ADD(o, "lport_reuse_early", J_INT(sum.reuse_early));
	ADD(o, "lport_exhausted", J_INT(sum.exhausted));
	ADD(o, "guard_s", J_INT(guard_s));
	ADD(o, "peak_dest_cps", J_INT(h->peak_cps));
	ADD(o, "addresses_needed", J_INT(h->needed));
	ADD(o, "too_small", json_object_new_boolean(h->too_small));
	if (!h->too_small) {
		ADD(o, "warning", NULL);
		return;
	}
	snprintf(why, sizeof(why),
		 "%u local address%s for up to %lu new connections/s to one "
		 "real server: full-NAT tuples come back within its TIME_WAIT "
		 "(%us); %u needed, %lu reused early so far",
		 g->n_addrs, g->n_addrs == 1 ? "" : "es",
		 (unsigned long)h->peak_cps, guard_s, h->needed,
		 (unsigned long)sum.reuse_early);
	ADD(o, "warning", J_STR(why));
}

static json_object *
laddr_json(const struct lb_store *st, const struct lb_laddr_group *g,
	   unsigned int guard_s)
{
	json_object *o = json_object_new_object(), *as, *rs;
	char a[INET_ADDR_STRLEN];
	uint16_t lo = 0, hi = 0;
	unsigned int i;

	ADD(o, "group", J_STR(g->name));
	as = json_object_new_array();
	for (i = 0; i < g->n_addrs; i++)
		json_object_array_add(as, J_STR(inet_addr_fmt(&g->addrs[i], a,
							      sizeof(a))));
	ADD(o, "addresses", as);
	ADD(o, "services", J_INT(g->users));
	/* each worker's slice of every address's ports */
	rs = json_object_new_array();
	for (i = 0; i < st->n_workers; i++) {
		json_object *r = json_object_new_object();

		steer_lport_range(i, st->n_workers, &lo, &hi);
		ADD(r, "worker", J_INT(i));
		ADD(r, "lo", J_INT(lo));
		ADD(r, "hi", J_INT(hi));
		json_object_array_add(rs, r);
	}
	ADD(o, "ports", rs);
	laddr_health_json(o, st, g, guard_s);
	return o;
}

static int
m_laddr_list(struct ctl_call *c)
{
	static const char *const keys[] = { "group", NULL };
	const struct lb_laddr_group *g;
	const char *group = NULL;
	json_object *a;
	int ret;

	if ((ret = check_params(c, keys)) != 0 ||
	    (ret = call_param_str(c, "group", 0, &group)) != 0)
		return ret;
	if (group != NULL && lb_laddr_find(store(c), group) == NULL)
		return ctl_call_fail(c, ENOENT, "no laddr group '%s'", group);
	a = json_object_new_array();
	TAILQ_FOREACH(g, &store(c)->groups, next)
		if (group == NULL || strcmp(group, g->name) == 0)
			json_object_array_add(a, laddr_json(store(c), g,
							    ((struct dp_ctx *)c->ctx)->cfg->lport_guard));
	c->result = a;
	return 0;
}

/* ---- stats -------------------------------------------------------------- */

static json_object *
svc_stats_json(const struct lb_store *st, const struct lb_svc *s)
{
	json_object *o = json_object_new_object(), *ds;
	char a[INET_ADDR_STRLEN];
	const struct lb_dest *d;
	struct lb_stats sum;

	svc_key_json(o, s);
	lb_svc_stats(st, s, &sum);
	ADD(o, "stats", stats_json(&sum));
	ADD(o, "rate", rate_est_json(&s->est));
	ds = json_object_new_array();
	TAILQ_FOREACH(d, &s->dests, next) {
		json_object *e = json_object_new_object();

		ADD(e, "addr", J_STR(inet_addr_fmt(&d->conf.addr, a,
						   sizeof(a))));
		ADD(e, "port", J_INT(d->conf.port));
		lb_dest_stats(st, d, &sum);
		ADD(e, "stats", stats_json(&sum));
		ADD(e, "rate", rate_est_json(&d->est));
		json_object_array_add(ds, e);
	}
	ADD(o, "dests", ds);
	return o;
}

static int
m_stats_show(struct ctl_call *c)
{
	return svc_listing(c, svc_stats_json);
}

static int
m_stats_zero(struct ctl_call *c)
{
	static const char *const keys[] = { SVC_KEYS, NULL };
	struct lb_svc_key k;
	struct lb_svc *s = NULL;
	int ret;

	if ((ret = check_params(c, keys)) != 0 ||
	    (ret = param_svc_key(c, 0, &k)) < 0)
		return ret;
	if (ret == 0 && (s = find_svc(c, &k)) == NULL)
		return -ENOENT;
	lb_stats_zero(store(c), s);
	return 0;
}

/* ---- snat (lb_snat.h) --------------------------------------------------- */

#define SNAT_KEYS "proto", "src", "dst", "iif", "oif"

static int
param_prefix(struct ctl_call *c, const char *key, int required,
	     struct inet_prefix *p)
{
	const char *v = NULL;
	int ret = call_param_str(c, key, required, &v);

	if (ret != 0 || v == NULL)
		return ret;
	if (inet_prefix_parse(v, p) != 0)
		return ctl_call_fail(c, EINVAL, "params.%s: not a prefix "
				     "(198.18.1.0/24)", key);
	return 0;
}

static int
param_ifname(struct ctl_call *c, const char *key, char *out, size_t size)
{
	const char *v = NULL;
	int ret = call_param_str(c, key, 0, &v);

	if (ret != 0 || v == NULL)
		return ret;
	if (strlen(v) >= size)
		return ctl_call_fail(c, EINVAL, "params.%s: name too long", key);
	snprintf(out, size, "%s", v);
	return 0;
}

/* The match of a rule (what snat.del names). */
static int
param_snat_match(struct ctl_call *c, struct lb_snat_conf *r)
{
	const char *proto = NULL;
	int ret, p;

	memset(r, 0, sizeof(*r));
	if ((ret = param_prefix(c, "src", 1, &r->src)) != 0 ||
	    (ret = param_prefix(c, "dst", 0, &r->dst)) != 0 ||
	    (ret = param_ifname(c, "iif", r->iif, sizeof(r->iif))) != 0 ||
	    (ret = param_ifname(c, "oif", r->oif, sizeof(r->oif))) != 0 ||
	    (ret = call_param_str(c, "proto", 0, &proto)) != 0)
		return ret;
	p = lb_snat_proto_parse(proto);
	if (p < 0)
		return ctl_call_fail(c, EINVAL, "params.proto: tcp, udp, icmp "
				     "or any");
	r->proto = (uint8_t)p;
	return 0;
}

/* "addrs": ["198.18.0.1", ...] (or one string). */
static int
param_snat_addrs(struct ctl_call *c, struct lb_snat_conf *r)
{
	json_object *v, *e;
	size_t i, n;

	if (!json_object_object_get_ex(c->params, "addrs", &v) || v == NULL)
		return ctl_call_fail(c, EINVAL, "params.addrs: required");
	n = json_object_is_type(v, json_type_array) ?
		    json_object_array_length(v) : 1;
	if (n == 0 || n > LB_SNAT_MAX_ADDRS)
		return ctl_call_fail(c, EINVAL, "params.addrs: 1 to %u "
				     "addresses", LB_SNAT_MAX_ADDRS);
	for (i = 0; i < n; i++) {
		e = json_object_is_type(v, json_type_array) ?
			    json_object_array_get_idx(v, i) : v;
		if (!json_object_is_type(e, json_type_string) ||
		    inet_addr_parse(json_object_get_string(e),
				    &r->addrs[i]) != 0)
			return ctl_call_fail(c, EINVAL, "params.addrs[%zu]: not "
					     "an address", i);
	}
	r->n_addrs = (uint32_t)n;
	return 0;
}

static int
m_snat_add(struct ctl_call *c)
{
	static const char *const keys[] = { SNAT_KEYS, "addrs",
					    "ports_per_worker", NULL };
	unsigned long long ppw = 0;
	struct lb_snat_conf r;
	int ret;

	if ((ret = check_params(c, keys)) != 0 ||
	    (ret = param_snat_match(c, &r)) != 0 ||
	    (ret = param_snat_addrs(c, &r)) != 0 ||
	    (ret = call_param_uint(c, "ports_per_worker", 0, 65535,
				   &ppw)) != 0)
		return ret;
	r.ports_per_worker = (uint32_t)ppw;
	ret = lb_snat_add(c->ctx, &r, c->errmsg, sizeof(c->errmsg));
	return ret == 0 ? 0 : model_fail(c, ret);
}

static int
m_snat_del(struct ctl_call *c)
{
	static const char *const keys[] = { SNAT_KEYS, NULL };
	struct lb_snat_conf r;
	int ret;

	if ((ret = check_params(c, keys)) != 0 ||
	    (ret = param_snat_match(c, &r)) != 0)
		return ret;
	ret = lb_snat_del(c->ctx, &r, c->errmsg, sizeof(c->errmsg));
	return ret == 0 ? 0 : model_fail(c, ret);
}

static int
m_snat_flush(struct ctl_call *c)
{
	static const char *const keys[] = { NULL };
	int ret;

	if ((ret = check_params(c, keys)) != 0)
		return ret;
	ret = lb_snat_flush(c->ctx, c->errmsg, sizeof(c->errmsg));
	if (ret < 0)
		return model_fail(c, ret);
	c->result = json_object_new_object();
	ADD(c->result, "deleted", J_INT(ret));
	return 0;
}

static json_object *
snat_json(const struct lb_snat_store *st, const struct lb_snat_rule *r)
{
	json_object *o = json_object_new_object(), *as;
	char a[INET_PREFIX_STRLEN];
	struct lb_snat_pcpu sum;
	unsigned int i;

	ADD(o, "id", J_INT(r->id));
	ADD(o, "proto", J_STR(lb_snat_proto_name(r->conf.proto)));
	ADD(o, "src", J_STR(inet_prefix_fmt(&r->conf.src, a, sizeof(a))));
	ADD(o, "dst", J_STR(inet_prefix_fmt(&r->conf.dst, a, sizeof(a))));
	ADD(o, "iif", J_STR(r->conf.iif));
	ADD(o, "oif", J_STR(r->conf.oif));
	as = json_object_new_array();
	for (i = 0; i < r->conf.n_addrs; i++)
		json_object_array_add(as, J_STR(inet_addr_fmt(
			&r->conf.addrs[i], a, sizeof(a))));
	ADD(o, "addrs", as);
	ADD(o, "ports_per_worker", J_INT(r->conf.ports_per_worker));
	lb_snat_rule_stats(st, r, &sum);
	ADD(o, "conns", J_INT(sum.conns));
	ADD(o, "no_port", J_INT(sum.no_port));
	return o;
}

static int
m_snat_list(struct ctl_call *c)
{
	static const char *const keys[] = { NULL };
	const struct lb_snat_store *st;
	const struct lb_snat_rule *r;
	int ret;

	if ((ret = check_params(c, keys)) != 0)
		return ret;
	st = store(c)->snat;
	c->result = json_object_new_array();
	TAILQ_FOREACH(r, &st->rules, next)
		json_object_array_add(c->result, snat_json(st, r));
	return 0;
}

static const struct ctl_method methods[] = {
	{ "service.add", m_service_add },
	{ "service.edit", m_service_edit },
	{ "service.del", m_service_del },
	{ "service.list", m_service_list },
	{ "service.flush", m_service_flush },
	{ "dest.add", m_dest_add },
	{ "dest.edit", m_dest_edit },
	{ "dest.del", m_dest_del },
	{ "dest.list", m_dest_list },
	{ "laddr.add", m_laddr_add },
	{ "laddr.del", m_laddr_del },
	{ "laddr.list", m_laddr_list },
	{ "stats.show", m_stats_show },
	{ "stats.zero", m_stats_zero },
	{ "snat.add", m_snat_add },
	{ "snat.del", m_snat_del },
	{ "snat.flush", m_snat_flush },
	{ "snat.list", m_snat_list },
};

const struct ctl_method *
ctl_verbs_lb(size_t *n)
{
	*n = RTE_DIM(methods);
	return methods;
}

const struct ctl_method *
ctl_verbs_with_lb(size_t *n)
{
	static struct ctl_method all[256];
	static size_t n_all;
	const struct ctl_method *m;
	size_t i, k, k2;

	if (n_all == 0) {
		m = ctl_verbs(&k);
		ctl_verbs_lb(&k2);
		if (k + k2 > RTE_DIM(all))
			LOG_ERR("%zu methods: raise the size of all[] in %s",
				k + k2, __func__);
		for (i = 0; i < k && n_all < RTE_DIM(all); i++)
			all[n_all++] = m[i];
		m = ctl_verbs_lb(&k);
		for (i = 0; i < k && n_all < RTE_DIM(all); i++)
			all[n_all++] = m[i];
		m = ctl_verbs_conn(&k);
		for (i = 0; i < k && n_all < RTE_DIM(all); i++)
			all[n_all++] = m[i];
	}
	*n = n_all;
	return all;
}

