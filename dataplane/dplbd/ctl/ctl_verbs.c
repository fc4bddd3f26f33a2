/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <rte_ethdev.h>

#include "ctl/ctl_call.h"
#include "ctl/ctl_verbs.h"
#include "ctl/ctl_verbs_ha.h"
#include "ha/vip.h"
#include "lb/lb_svc.h"
#include "conn/conn.h"
#include "core/dp.h"
#include "net/flow.h"
#include "log.h"
#include "net/netcfg.h"
#include "net6/netcfg6.h"
#include "ops/trace.h"
#include "core/port.h"
#include "version.h"

#define J_INT(v) json_object_new_int64((int64_t)(v))
#define J_STR(v) json_object_new_string(v)
#define ADD(o, k, v) json_object_object_add(o, k, v)

static struct dp_ctx *
ctx(struct ctl_call *c)
{
	return c->ctx;
}

/* "dev" names a port; returns its index or a negative errno. */
static int
param_port(struct ctl_call *c, int required)
{
	const char *dev = NULL;
	int ret = call_param_str(c, "dev", required, &dev);
	int idx;

	if (ret != 0)
		return ret;
	if (dev == NULL)
		return -ENOENT;
	idx = dp_port_by_name(ctx(c), dev);
	if (idx < 0)
		return ctl_call_fail(c, ENODEV, "params.dev: no port named '%s'",
				     dev);
	return idx;
}

static int
param_prefix(struct ctl_call *c, const char *key, struct inet_prefix *p)
{
	const char *s;
	int ret = call_param_str(c, key, 1, &s);

	if (ret != 0)
		return ret;
	if (inet_prefix_parse(s, p) != 0)
		return ctl_call_fail(c, EINVAL,
				     "params.%s: '%s' is not an address/length",
				     key, s);
	return 0;
}

static int
fail_errno(struct ctl_call *c, int ret)
{
	if (c->errmsg[0] == '\0')
		ctl_call_fail(c, -ret, "%s", strerror(-ret));
	return ret;
}

/* ---- hello, config, log ---- */

static int
m_hello(struct ctl_call *c)
{
	static const char *const caps[] = { "port", "addr",  "route",  "neigh",
					    "lcore", "drop", "config", "log",
					    "lease-owner",
					    "vip", "lease", "sync",
					    "conn-sync", "snat", "trace",
					    "synproxy", "proxy-protocol", "toa",
					    "syn-limits" };
	static const char *const keys[] = { NULL };
	json_object *r, *a;
	size_t i;
	int ret;

	if ((ret = call_params_only(c, keys)) != 0)
		return ret;
	r = json_object_new_object();
	a = json_object_new_array();
	for (i = 0; i < RTE_DIM(caps); i++)
		json_object_array_add(a, J_STR(caps[i]));
	ADD(r, "protocol", J_INT(DPLB_PROTOCOL_VERSION));
	ADD(r, "version", J_STR(DPLB_VERSION));
	ADD(r, "boot_id", J_STR(ctx(c)->boot_id));
	ADD(r, "pid", J_INT(getpid()));
	ADD(r, "uptime_ms", J_INT(dp_now_ms() - ctx(c)->start_ms));
	ADD(r, "conn_table_size",
	    J_INT((uint64_t)ctx(c)->cfg->max_conns * ctx(c)->n_workers));
	ADD(r, "capabilities", a);
	c->result = r;
	return 0;
}

static int
m_config_show(struct ctl_call *c)
{
	static const char *const keys[] = { NULL };
	int ret;

	if ((ret = call_params_only(c, keys)) != 0)
		return ret;
	c->result = config_to_json(ctx(c)->cfg);
	return 0;
}

static int
m_log_set(struct ctl_call *c)
{
	static const char *const keys[] = { "level", NULL };
	const char *level;
	int ret, lvl;

	if ((ret = call_params_only(c, keys)) != 0 ||
	    (ret = call_param_str(c, "level", 1, &level)) != 0)
		return ret;
	lvl = log_level_parse(level);
	if (lvl < 0)
		return ctl_call_fail(c, EINVAL,
				     "params.level: '%s' is not one of err, warning, notice, info, debug",
				     level);
	log_set_level(lvl);
	return 0;
}

/* ---- ports ---- */

static json_object *
port_link_json(uint16_t port_id)
{
	struct rte_eth_link link = { 0 };
	json_object *o = json_object_new_object();

	rte_eth_link_get_nowait(port_id, &link);
	ADD(o, "up", json_object_new_boolean(link.link_status));
	ADD(o, "speed_mbps", J_INT(link.link_speed));
	ADD(o, "duplex", J_STR(link.link_duplex ? "full" : "half"));
	return o;
}

static json_object *
port_stats_json(const struct dp_port *p)
{
	struct rte_eth_stats s = { 0 };
	json_object *o = json_object_new_object(), *qs = json_object_new_array();
	uint16_t q, nq = RTE_MAX(p->nb_rxq, p->nb_txq);

	rte_eth_stats_get(p->port_id, &s);
	ADD(o, "ipackets", J_INT(s.ipackets));
	ADD(o, "opackets", J_INT(s.opackets));
	ADD(o, "ibytes", J_INT(s.ibytes));
	ADD(o, "obytes", J_INT(s.obytes));
	ADD(o, "imissed", J_INT(s.imissed));
	ADD(o, "ierrors", J_INT(s.ierrors));
	ADD(o, "oerrors", J_INT(s.oerrors));
	ADD(o, "rx_nombuf", J_INT(s.rx_nombuf));
	for (q = 0; q < nq && q < RTE_ETHDEV_QUEUE_STAT_CNTRS; q++) {
		json_object *e = json_object_new_object();

		ADD(e, "queue", J_INT(q));
		ADD(e, "ipackets", J_INT(s.q_ipackets[q]));
		ADD(e, "opackets", J_INT(s.q_opackets[q]));
		ADD(e, "ibytes", J_INT(s.q_ibytes[q]));
		ADD(e, "obytes", J_INT(s.q_obytes[q]));
		ADD(e, "errors", J_INT(s.q_errors[q]));
		json_object_array_add(qs, e);
	}
	ADD(o, "queues", qs);
	return o;
}

static json_object *
port_json(const struct dp_ctx *dp, unsigned int i)
{
	const struct dp_port *p = &dp->ports[i];
	json_object *o = json_object_new_object(), *off;
	char mac[MAC_STRLEN];

	ADD(o, "name", J_STR(p->name));
	ADD(o, "port_id", J_INT(p->port_id));
	ADD(o, "device", J_STR(dp->cfg->ports[i].device));
	ADD(o, "driver", J_STR(p->driver));
	ADD(o, "mac", J_STR(mac_fmt(p->mac.addr_bytes, mac, sizeof(mac))));
	ADD(o, "mtu", J_INT(p->mtu));
	ADD(o, "link", port_link_json(p->port_id));
	ADD(o, "twin", p->twin_id == DP_NO_PORT ? NULL :
						  J_STR(dp->cfg->ports[i].twin));
	ADD(o, "twin_port_id", p->twin_id == DP_NO_PORT ? NULL :
							  J_INT(p->twin_id));
	ADD(o, "rxq", J_INT(p->nb_rxq));
	ADD(o, "txq", J_INT(p->nb_txq));
	ADD(o, "steering", J_STR(flow_steering(p)));
	ADD(o, "steering_reason", p->flow != NULL ? NULL : J_STR(p->flow_why));
	ADD(o, "flow_rules", J_INT(flow_rule_count(p)));
	ADD(o, "promisc",
	    json_object_new_boolean(rte_eth_promiscuous_get(p->port_id) == 1));
	off = json_object_new_object();
	ADD(off, "ipv4_cksum", json_object_new_boolean(p->tx_ipv4_cksum));
	ADD(off, "tcp_cksum", json_object_new_boolean(p->tx_l4_cksum));
	ADD(off, "udp_cksum", json_object_new_boolean(p->tx_l4_cksum));
	ADD(o, "offloads", off);
	ADD(o, "stats", port_stats_json(p));
	return o;
}

static int
m_port_list(struct ctl_call *c)
{
	static const char *const keys[] = { "name", NULL };
	const char *name = NULL;
	json_object *a;
	unsigned int i;
	int ret;

	if ((ret = call_params_only(c, keys)) != 0 ||
	    (ret = call_param_str(c, "name", 0, &name)) != 0)
		return ret;
	if (name != NULL && dp_port_by_name(ctx(c), name) < 0)
		return ctl_call_fail(c, ENODEV, "params.name: no port named '%s'",
				     name);
	a = json_object_new_array();
	for (i = 0; i < ctx(c)->n_ports; i++)
		if (name == NULL || strcmp(name, ctx(c)->ports[i].name) == 0)
			json_object_array_add(a, port_json(ctx(c), i));
	c->result = a;
	return 0;
}

/* ---- addresses ---- */

static int
m_addr_list(struct ctl_call *c)
{
	static const char *const keys[] = { "dev", NULL };
	struct dp_ctx *dp = ctx(c);
	char buf[INET_PREFIX_STRLEN];
	json_object *a;
	int port, ret;
	unsigned int i, j;

	if ((ret = call_params_only(c, keys)) != 0)
		return ret;
	port = param_port(c, 0);
	if (port < 0 && port != -ENOENT)
		return port;
	a = json_object_new_array();
	for (i = 0; i < dp->n_ports; i++) {
		if (port >= 0 && (unsigned int)port != i)
			continue;
		for (j = 0; j < dp->ports[i].n_addrs; j++) {
			json_object *o = json_object_new_object();

			ADD(o, "dev", J_STR(dp->ports[i].name));
			ADD(o, "addr", J_STR(inet_prefix_fmt(&dp->ports[i].addrs[j],
							     buf, sizeof(buf))));
			json_object_array_add(a, o);
		}
	}
	c->result = a;
	return 0;
}

static int
addr_change(struct ctl_call *c, bool add)
{
	static const char *const keys[] = { "addr", "dev", NULL };
	struct inet_prefix p;
	int port, ret;

	if ((ret = call_params_only(c, keys)) != 0 ||
	    (ret = param_prefix(c, "addr", &p)) != 0)
		return ret;
	port = param_port(c, 1);
	if (port < 0)
		return port;
	if (!add && ha_is_vip((unsigned int)port, &p.addr)) {
		char buf[INET_PREFIX_STRLEN];

		return ctl_call_fail(c, EBUSY,
				     "params.addr: %s is a VIP; delete it with vip.del",
				     inet_prefix_fmt(&p, buf, sizeof(buf)));
	}
	ret = add ? netcfg6_addr_add(ctx(c), port, &p, c->errmsg,
				    sizeof(c->errmsg)) :
		    netcfg6_addr_del(ctx(c), port, &p, c->errmsg,
				    sizeof(c->errmsg));
	return ret == 0 ? 0 : fail_errno(c, ret);
}

static int
m_addr_add(struct ctl_call *c)
{
	return addr_change(c, true);
}

static int
m_addr_del(struct ctl_call *c)
{
	return addr_change(c, false);
}

/* ---- routes ---- */

/* The IPv6 routes, after the IPv4 ones, in the same form. */
static void
route6_list(const struct dp_ctx *dp, json_object *a)
{
	const struct route6_table *rt = &dp->routes6;
	char buf[INET_PREFIX_STRLEN];
	uint32_t i;

	for (i = 0; i < rt->n_slots; i++) {
		const struct route6_slot *s = &rt->slots[i];
		struct inet_prefix p = { .addr.family = AF_INET6,
					 .len = s->depth };
		struct inet_addr gw = { .family = AF_INET6 };
		json_object *o;

		if (!s->in_use)
			continue;
		memcpy(&p.addr.v6, s->prefix, 16);
		memcpy(&gw.v6, s->gw, 16);
		o = json_object_new_object();
		ADD(o, "dst", J_STR(inet_prefix_fmt(&p, buf, sizeof(buf))));
		ADD(o, "via", s->has_gw ?
				      J_STR(inet_addr_fmt(&gw, buf, sizeof(buf))) :
				      NULL);
		ADD(o, "dev", J_STR(dp->ports[s->port].name));
		ADD(o, "type", J_STR(route_type_name(s->type)));
		json_object_array_add(a, o);
	}
}

static int
m_route_list(struct ctl_call *c)
{
	static const char *const keys[] = { NULL };
	const struct route_table *rt = &ctx(c)->routes;
	char buf[INET_PREFIX_STRLEN];
	json_object *a;
	uint32_t i;
	int ret;

	if ((ret = call_params_only(c, keys)) != 0)
		return ret;
	a = json_object_new_array();
	for (i = 0; i < rt->n_slots; i++) {
		const struct route_slot *s = &rt->slots[i];
		struct inet_prefix p = { .addr = inet_addr_v4(s->prefix),
					 .len = s->depth };
		struct inet_addr gw = inet_addr_v4(s->gw);
		json_object *o;

		if (!s->in_use)
			continue;
		o = json_object_new_object();
		ADD(o, "dst", J_STR(inet_prefix_fmt(&p, buf, sizeof(buf))));
		ADD(o, "via", s->gw ? J_STR(inet_addr_fmt(&gw, buf, sizeof(buf))) :
				      NULL);
		ADD(o, "dev", J_STR(ctx(c)->ports[s->port].name));
		ADD(o, "type", J_STR(route_type_name(s->type)));
		json_object_array_add(a, o);
	}
	route6_list(ctx(c), a);
	c->result = a;
	return 0;
}

static int
m_route_add(struct ctl_call *c)
{
	static const char *const keys[] = { "dst", "via", "dev", NULL };
	struct inet_prefix dst, net;
	struct inet_addr via = { 0 };
	int port, ret;

	if ((ret = call_params_only(c, keys)) != 0 ||
	    (ret = param_prefix(c, "dst", &dst)) != 0 ||
	    (ret = call_param_addr(c, "via", 0, &via)) != 0)
		return ret;
	net = dst;
	inet_prefix_mask(&net);
	if (!inet_addr_equal(&net.addr, &dst.addr))
		return ctl_call_fail(c, EINVAL, "params.dst: host bits set in '%s'",
				     json_object_get_string(json_object_object_get(
					     c->params, "dst")));
	port = param_port(c, 0);
	if (port < 0 && port != -ENOENT)
		return port;
	ret = netcfg6_route_add(ctx(c), &dst, &via, port < 0 ? -1 : port,
			       c->errmsg, sizeof(c->errmsg));
	return ret == 0 ? 0 : fail_errno(c, ret);
}

static int
m_route_del(struct ctl_call *c)
{
	static const char *const keys[] = { "dst", NULL };
	struct inet_prefix dst;
	int ret;

	if ((ret = call_params_only(c, keys)) != 0 ||
	    (ret = param_prefix(c, "dst", &dst)) != 0)
		return ret;
	ret = netcfg6_route_del(ctx(c), &dst, c->errmsg, sizeof(c->errmsg));
	return ret == 0 ? 0 : fail_errno(c, ret);
}

/* ---- neighbours ---- */

struct neigh_list_arg {
	const struct dp_ctx *dp;
	int port;
	json_object *a;
};

static int
neigh_list_one(const struct neigh_entry *e, void *arg)
{
	struct neigh_list_arg *la = arg;
	struct inet_addr ip = neigh_entry_addr(e);
	json_object *o;
	char buf[INET_ADDR_STRLEN], mac[MAC_STRLEN];
	uint64_t w = e->mac_word;

	if (la->port >= 0 && e->key.port != la->port)
		return 0;
	o = json_object_new_object();
	ADD(o, "ip", J_STR(inet_addr_fmt(&ip, buf, sizeof(buf))));
	ADD(o, "dev", J_STR(la->dp->ports[e->key.port].name));
	ADD(o, "mac", (w & NEIGH_MAC_VALID) ?
			      J_STR(mac_fmt((const uint8_t *)&w, mac, sizeof(mac))) :
			      NULL);
	ADD(o, "state", J_STR(neigh_state_name(e->fsm.state)));
	ADD(o, "age_ms", e->confirmed_ms ? J_INT(dp_now_ms() - e->confirmed_ms) :
					   NULL);
	ADD(o, "queued", J_INT(e->n_queued));
	json_object_array_add(la->a, o);
	return 0;
}

static int
m_neigh_list(struct ctl_call *c)
{
	static const char *const keys[] = { "dev", NULL };
	struct neigh_list_arg la = { .dp = ctx(c) };
	int ret;

	if ((ret = call_params_only(c, keys)) != 0)
		return ret;
	la.port = param_port(c, 0);
	if (la.port < 0 && la.port != -ENOENT)
		return la.port;
	la.a = json_object_new_array();
	neigh_foreach(&ctx(c)->neigh, neigh_list_one, &la);
	c->result = la.a;
	return 0;
}

static int
m_neigh_add(struct ctl_call *c)
{
	static const char *const keys[] = { "ip", "mac", "dev", NULL };
	struct rte_ether_addr mac;
	struct inet_addr ip;
	const char *smac;
	int port, ret;

	if ((ret = call_params_only(c, keys)) != 0 ||
	    (ret = call_param_addr(c, "ip", 1, &ip)) != 0 ||
	    (ret = call_param_str(c, "mac", 1, &smac)) != 0)
		return ret;
	if (mac_parse(smac, mac.addr_bytes) != 0)
		return ctl_call_fail(c, EINVAL, "params.mac: '%s' is not a MAC",
				     smac);
	port = param_port(c, 1);
	if (port < 0)
		return port;
	ret = neigh_add_static(&ctx(c)->neigh, port, &ip, &mac, dp_now_ms());
	return ret == 0 ? 0 : fail_errno(c, ret);
}

static int
m_neigh_del(struct ctl_call *c)
{
	static const char *const keys[] = { "ip", "dev", NULL };
	struct inet_addr ip;
	int port, ret;

	if ((ret = call_params_only(c, keys)) != 0 ||
	    (ret = call_param_addr(c, "ip", 1, &ip)) != 0)
		return ret;
	port = param_port(c, 1);
	if (port < 0)
		return port;
	ret = neigh_del(&ctx(c)->neigh, port, &ip);
	if (ret == -ENOENT)
		return ctl_call_fail(c, ENOENT, "no neighbour %s on %s",
				     json_object_get_string(json_object_object_get(
					     c->params, "ip")),
				     ctx(c)->ports[port].name);
	return ret;
}

static int
m_neigh_flush(struct ctl_call *c)
{
	static const char *const keys[] = { "dev", NULL };
	json_object *r;
	int port, ret;

	if ((ret = call_params_only(c, keys)) != 0)
		return ret;
	port = param_port(c, 0);
	if (port < 0 && port != -ENOENT)
		return port;
	r = json_object_new_object();
	ADD(r, "flushed", J_INT(neigh_flush(&ctx(c)->neigh, port < 0 ? -1 : port)));
	c->result = r;
	return 0;
}

/* ---- lcores and drops ---- */

static void
drops_add(json_object *o, const struct lcore_stats *s)
{
	unsigned int r;

	for (r = 0; r < DROP_MAX; r++) {
		json_object *v = json_object_object_get(o, drop_reason_name(r));
		int64_t prev = v ? json_object_get_int64(v) : 0;

		ADD(o, drop_reason_name(r), J_INT(prev + (int64_t)s->drops[r]));
	}
}

static void
lcore_stats_json(json_object *o, const struct lcore_stats *s)
{
	json_object *d = json_object_new_object();

	ADD(o, "rx_packets", J_INT(s->rx_packets));
	ADD(o, "rx_bytes", J_INT(s->rx_bytes));
	ADD(o, "tx_packets", J_INT(s->tx_packets));
	ADD(o, "tx_bytes", J_INT(s->tx_bytes));
	ADD(o, "rx_bursts", J_INT(s->rx_bursts));
	ADD(o, "polls", J_INT(s->polls));
	ADD(o, "empty_polls", J_INT(s->empty_polls));
	ADD(o, "sleeps", J_INT(s->sleeps));
	ADD(o, "sleep_us", J_INT(s->sleep_us));
	ADD(o, "forwarded", J_INT(s->forwarded));
	ADD(o, "to_twin", J_INT(s->to_twin));
	ADD(o, "from_twin", J_INT(s->from_twin));
	ADD(o, "arp_replies", J_INT(s->arp_replies));
	ADD(o, "icmp_echo_replies", J_INT(s->icmp_echo_replies));
	ADD(o, "ipv4_options", J_INT(s->ipv4_options));
	ADD(o, "slow_path", J_INT(s->slow_path));
	ADD(o, "steered_in", J_INT(s->steered_in));
	ADD(o, "steered_out", J_INT(s->steered_out));
	ADD(o, "tx_handoff", J_INT(s->tx_handoff));
	ADD(o, "conns_new", J_INT(s->conns_new));
	ADD(o, "conns_expired", J_INT(s->conns_expired));
	ADD(o, "conns_peak", J_INT(s->conns_peak));
	ADD(o, "icmp_related", J_INT(s->icmp_related));
	ADD(o, "syn_cookies", J_INT(s->syn_cookies));
	ADD(o, "syn_proxied", J_INT(s->syn_proxied));
	ADD(o, "icmp_errors_sent", J_INT(s->icmp_errors_sent));
	ADD(o, "icmp_ratelimited", J_INT(s->icmp_ratelimited));
	ADD(o, "linearized", J_INT(s->linearized));
	ADD(o, "frags_in", J_INT(s->frags_in));
	ADD(o, "reassembled", J_INT(s->reassembled));
	ADD(o, "frags_out", J_INT(s->frags_out));
	ADD(o, "nd_adverts", J_INT(s->nd_adverts));
	ADD(o, "ipv6_frags_to_twin", J_INT(s->ipv6_frags_to_twin));
	drops_add(d, s);
	ADD(o, "drops", d);
}

/* One queue entry: rxq null when the worker polls none of the port's,
 * txq null (and tx_via the queue owner) when it hands its frames on. */
static json_object *
queue_json(const struct dp_ctx *dp, const struct dp_worker *w,
	   unsigned int port, bool twin)
{
	const struct dp_port *p = &dp->ports[port];
	const struct dp_txbuf *b = &w->txb[twin ? p->twin_id : p->port_id];
	json_object *q = json_object_new_object();
	int rxq = !twin ? port_worker_rxq(dp, p, w->id) :
			  w->id < p->twin_nq ? (int)w->id : -1;

	ADD(q, "port", J_STR(twin ? dp->cfg->ports[port].twin : p->name));
	ADD(q, "rxq", rxq >= 0 ? J_INT(rxq) : NULL);
	ADD(q, "txq", b->via == NULL ? J_INT(b->queue) : NULL);
	ADD(q, "tx_via", b->via == NULL ? NULL : J_INT(b->via_worker));
	ADD(q, "twin", json_object_new_boolean(twin));
	return q;
}

static json_object *
worker_json(const struct dp_ctx *dp, const struct dp_worker *w)
{
	json_object *o = json_object_new_object(), *qs = json_object_new_array();
	unsigned int i;

	ADD(o, "lcore", J_INT(w->lcore));
	ADD(o, "role", J_STR("worker"));
	ADD(o, "worker", J_INT(w->id));
	ADD(o, "cpu", J_INT(rte_lcore_to_cpu_id((int)w->lcore)));
	ADD(o, "conns", J_INT(w->conns ? conn_count(w->conns) : 0));
	lcore_stats_json(o, &w->stats);
	ADD(o, "rate", rate_est_json(dp_worker_rate(w->id)));
	for (i = 0; i < dp->n_ports; i++) {
		json_object_array_add(qs, queue_json(dp, w, i, false));
		if (dp->ports[i].twin_id != DP_NO_PORT)
			json_object_array_add(qs, queue_json(dp, w, i, true));
	}
	ADD(o, "queues", qs);
	return o;
}

static int
m_lcore_list(struct ctl_call *c)
{
	static const char *const keys[] = { NULL };
	struct dp_ctx *dp = ctx(c);
	json_object *a, *m;
	unsigned int i;
	int ret;

	if ((ret = call_params_only(c, keys)) != 0)
		return ret;
	a = json_object_new_array();
	m = json_object_new_object();
	ADD(m, "lcore", J_INT(dp->main_lcore));
	ADD(m, "role", J_STR("main"));
	ADD(m, "cpu", J_INT(rte_lcore_to_cpu_id((int)dp->main_lcore)));
	lcore_stats_json(m, &dp->main_stats);
	json_object_array_add(a, m);
	for (i = 0; i < dp->n_workers; i++)
		json_object_array_add(a, worker_json(dp, &dp->workers[i]));
	c->result = a;
	return 0;
}

static int
m_drop_list(struct ctl_call *c)
{
	static const char *const keys[] = { NULL };
	struct dp_ctx *dp = ctx(c);
	json_object *o;
	unsigned int i;
	int ret;

	if ((ret = call_params_only(c, keys)) != 0)
		return ret;
	o = json_object_new_object();
	drops_add(o, &dp->main_stats);
	for (i = 0; i < dp->n_workers; i++)
		drops_add(o, &dp->workers[i].stats);
	c->result = o;
	return 0;
}

/* ---- trace (ops/trace.h) ---- */

#define TRACE_READ_MAX 1000	/* records per trace.read at most */

static int
param_proto(struct ctl_call *c, struct trace_filter *f)
{
	static const struct { const char *name; uint8_t proto; } protos[] = {
		{ "tcp", IPPROTO_TCP }, { "udp", IPPROTO_UDP },
		{ "icmp", IPPROTO_ICMP },
	};
	const char *s = NULL;
	unsigned int i;
	int ret = call_param_str(c, "proto", 0, &s);

	if (ret != 0 || s == NULL)
		return ret;
	for (i = 0; i < RTE_DIM(protos); i++)
		if (strcasecmp(s, protos[i].name) == 0) {
			f->have |= TRACE_F_PROTO;
			f->proto = protos[i].proto;
			return 0;
		}
	return ctl_call_fail(c, EINVAL, "params.proto: '%s' is not tcp, udp "
			     "or icmp", s);
}

static int
trace_filter_params(struct ctl_call *c, struct trace_filter *f)
{
	unsigned long long v;
	struct inet_addr a;
	int ret;

	memset(f, 0, sizeof(*f));
	ret = param_port(c, 0);
	if (ret >= 0) {
		f->have |= TRACE_F_PORT;
		f->port = (uint16_t)ret;
	} else if (ret != -ENOENT) {
		return ret;
	}
	a.family = AF_UNSPEC;
	if ((ret = call_param_addr(c, "addr", 0, &a)) != 0)
		return ret;
	if (a.family == AF_INET6)
		return ctl_call_fail(c, EAFNOSUPPORT, "params.addr: IPv6 is "
				     "not supported by the dataplane yet");
	if (a.family == AF_INET) {
		f->have |= TRACE_F_ADDR;
		f->addr = a.v4.s_addr;
	}
	v = UINT64_MAX;
	if ((ret = call_param_uint(c, "l4port", 0, 65535, &v)) != 0)
		return ret;
	if (v != UINT64_MAX) {
		f->have |= TRACE_F_L4PORT;
		f->l4port = rte_cpu_to_be_16((uint16_t)v);
	}
	return param_proto(c, f);
}

static int
m_trace_start(struct ctl_call *c)
{
	static const char *const keys[] = { "count", "dev", "addr", "l4port",
					    "proto", NULL };
	unsigned long long count = 10;
	struct trace_filter f;
	json_object *r;
	int ret;

	if ((ret = call_params_only(c, keys)) != 0 ||
	    (ret = call_param_uint(c, "count", 0, TRACE_MAX_COUNT,
				   &count)) != 0 ||
	    (ret = trace_filter_params(c, &f)) != 0)
		return ret;
	if (count == 0)
		return ctl_call_fail(c, EINVAL, "params.count: 1..%u packets",
				     TRACE_MAX_COUNT);
	ret = trace_start(ctx(c), &f, (uint32_t)count);
	if (ret == -EBUSY)
		return ctl_call_fail(c, EBUSY, "a trace is armed already "
				     "(trace.stop ends it)");
	if (ret != 0)
		return ctl_call_fail(c, -ret, "cannot arm the trace");
	r = json_object_new_object();
	ADD(r, "count", J_INT(count));
	ADD(r, "workers", J_INT(ctx(c)->n_workers));
	c->result = r;
	return 0;
}

static int
m_trace_read(struct ctl_call *c)
{
	static const char *const keys[] = { "max", NULL };
	unsigned long long max = 100;
	int ret;

	if ((ret = call_params_only(c, keys)) != 0 ||
	    (ret = call_param_uint(c, "max", 0, TRACE_READ_MAX, &max)) != 0)
		return ret;
	c->result = trace_collect(ctx(c), (unsigned int)max);
	if (c->result == NULL)
		return ctl_call_fail(c, ENOENT, "no trace is armed "
				     "(trace.start arms one)");
	return 0;
}

/* The records not read yet come with the reply. */
static int
m_trace_stop(struct ctl_call *c)
{
	static const char *const keys[] = { NULL };
	int ret;

	if ((ret = call_params_only(c, keys)) != 0)
		return ret;
	c->result = trace_collect(ctx(c), TRACE_MAX_COUNT);
	if (c->result == NULL)
		return ctl_call_fail(c, ENOENT, "no trace is armed");
	return trace_stop(ctx(c));
}

static const struct ctl_method methods[] = {
	{ "hello", m_hello },
	{ "config.show", m_config_show },
	{ "log.set", m_log_set },
	{ "port.list", m_port_list },
	{ "addr.list", m_addr_list },
	{ "addr.add", m_addr_add },
	{ "addr.del", m_addr_del },
	{ "route.list", m_route_list },
	{ "route.add", m_route_add },
	{ "route.del", m_route_del },
	{ "neigh.list", m_neigh_list },
	{ "neigh.add", m_neigh_add },
	{ "neigh.del", m_neigh_del },
	{ "neigh.flush", m_neigh_flush },
	{ "lcore.list", m_lcore_list },
	{ "drop.list", m_drop_list },
	{ "vip.add", verb_vip_add },
	{ "vip.del", verb_vip_del },
	{ "vip.list", verb_vip_list },
	{ "sync.start", verb_sync_start },
	{ "sync.stop", verb_sync_stop },
	{ "sync.list", verb_sync_list },
	{ "sync.stats", verb_sync_stats },
	{ "trace.start", m_trace_start },
	{ "trace.read", m_trace_read },
	{ "trace.stop", m_trace_stop },
};

const struct ctl_method *
ctl_verbs(size_t *n)
{
	*n = RTE_DIM(methods);
	return methods;
}
