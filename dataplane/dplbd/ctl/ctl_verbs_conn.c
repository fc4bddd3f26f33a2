/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conn.list and conn.flush.  A call walks the workers in order, asking
 * each for pages through its mailbox (conn_ctl.h) until the page is
 * full, every worker is done or the call's time budget is spent; the
 * cursor ("WORKER:INDEX") says where the next call goes on.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <arpa/inet.h>

#include "conn/conn.h"
#include "ctl/conn_ctl.h"
#include "conn/conn_state.h"
#include "ctl/ctl_call.h"
#include "ctl/ctl_verbs_conn.h"
#include "core/dp.h"
#include "lb/lb_svc.h"

#define J_INT(v) json_object_new_int64((int64_t)(v))
#define J_STR(v) json_object_new_string(v)
#define ADD(o, k, v) json_object_object_add(o, k, v)

#define FILTER_KEYS "proto", "client", "vip", "dest", "state", "synced", \
	"cursor"
#define LIST_BUDGET_US 50000	/* a call lists for this long at most */
#define FLUSH_BUDGET_US 200000	/* and flushes for this long */
#define FLUSH_PAGE CONN_CTL_PAGE_MAX

static struct dp_ctx *
ctx(struct ctl_call *c)
{
	return c->ctx;
}

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* "198.18.0.2" or "198.18.0.2:40000" into addr and (if given) port. */
static int
param_addr_port(struct ctl_call *c, const char *key, rte_be32_t *addr,
		rte_be16_t *port, bool *has_port)
{
	char buf[INET_ADDR_STRLEN + 8];
	struct inet_addr a;
	const char *s = NULL;
	char *colon, *end;
	unsigned long p;
	int ret = call_param_str(c, key, 0, &s);

	*has_port = false;
	if (ret != 0 || s == NULL)
		return ret == 0 ? 1 : ret;
	if (strlen(s) >= sizeof(buf))
		goto bad;
	strcpy(buf, s);
	if (buf[0] == '[' || strchr(buf, ':') != strrchr(buf, ':')) {
		if (inet_addr_parse(buf, &a) == 0 || buf[0] == '[')
			return ctl_call_fail(c, EAFNOSUPPORT, "params.%s: IPv6 "
					     "is not supported by the dataplane "
					     "yet", key);
		goto bad;
	}
	colon = strchr(buf, ':');
	if (colon != NULL) {
		*colon = '\0';
		if (colon[1] < '0' || colon[1] > '9')
			goto bad;
		p = strtoul(colon + 1, &end, 10);
		if (*end != '\0' || p > 65535)
			goto bad;
		*port = rte_cpu_to_be_16((uint16_t)p);
		*has_port = true;
	}
	if (inet_addr_parse(buf, &a) != 0 || a.family != AF_INET)
		goto bad;
	*addr = a.v4.s_addr;
	return 0;
bad:
	return ctl_call_fail(c, EINVAL, "params.%s: '%s' is not ADDR or "
			     "ADDR:PORT", key, s);
}

/* TCP states by ipvsadm's name or the config's, any case; "UDP". */
static int
state_parse(const char *s)
{
	unsigned int i;

	if (strcasecmp(s, "UDP") == 0)
		return CONN_CTL_STATE_UDP;
	for (i = 0; i < TCP_STATE_COUNT; i++)
		if (strcasecmp(s, tcp_state_ipvs_name(i)) == 0 ||
		    strcasecmp(s, tcp_state_name(i)) == 0)
			return (int)i;
	return -EINVAL;
}

static int
param_filter(struct ctl_call *c, struct conn_filter *f)
{
	static const struct {
		const char *key;
		uint32_t addr_bit, port_bit;
		size_t addr_off, port_off;
	} addrs[] = {
		{ "client", CONN_FLT_CLIENT, CONN_FLT_CLIENT_PORT,
		  offsetof(struct conn_filter, client),
		  offsetof(struct conn_filter, client_port) },
		{ "vip", CONN_FLT_VIP, CONN_FLT_VPORT,
		  offsetof(struct conn_filter, vip),
		  offsetof(struct conn_filter, vport) },
		{ "dest", CONN_FLT_DEST, CONN_FLT_DPORT,
		  offsetof(struct conn_filter, dest),
		  offsetof(struct conn_filter, dport) },
	};
	const char *proto = NULL, *state = NULL;
	int synced = -1;
	bool has_port;
	size_t i;
	int ret, v;

	memset(f, 0, sizeof(*f));
	if ((ret = call_param_str(c, "proto", 0, &proto)) != 0 ||
	    (ret = call_param_str(c, "state", 0, &state)) != 0 ||
	    (ret = ctl_param_bool(c->params, "synced", 0, &synced, c->errmsg,
				  sizeof(c->errmsg))) != 0)
		return ret;
	if (synced >= 0) {
		f->synced = synced != 0;
		f->have |= CONN_FLT_SYNCED;
	}
	if (proto != NULL) {
		v = lb_proto_parse(proto);
		if (v < 0)
			return ctl_call_fail(c, EINVAL, "params.proto: must be "
					     "\"tcp\" or \"udp\"");
		f->proto = (uint8_t)v;
		f->have |= CONN_FLT_PROTO;
	}
	if (state != NULL) {
		v = state_parse(state);
		if (v < 0)
			return ctl_call_fail(c, EINVAL, "params.state: unknown "
					     "state '%s' (ESTABLISHED, "
					     "SYN_RECV, FIN_WAIT, TIME_WAIT, "
					     "CLOSE, CLOSE_WAIT, LAST_ACK, "
					     "NONE, ..., UDP)", state);
		f->state = (uint8_t)v;
		f->have |= CONN_FLT_STATE;
	}
	for (i = 0; i < RTE_DIM(addrs); i++) {
		ret = param_addr_port(c, addrs[i].key,
				      (rte_be32_t *)((char *)f + addrs[i].addr_off),
				      (rte_be16_t *)((char *)f + addrs[i].port_off),
				      &has_port);
		if (ret < 0)
			return ret;
		if (ret == 0)
			f->have |= addrs[i].addr_bit |
				   (has_port ? addrs[i].port_bit : 0);
	}
	return 0;
}

/* "WORKER:INDEX"; a missing cursor is the start. */
static int
param_cursor(struct ctl_call *c, unsigned int *worker, uint32_t *index)
{
	const char *s = NULL;
	unsigned long w, i;
	char *end;
	int ret;

	*worker = 0;
	*index = 0;
	if ((ret = call_param_str(c, "cursor", 0, &s)) != 0 || s == NULL)
		return ret;
	if (*s < '0' || *s > '9')
		goto bad;
	w = strtoul(s, &end, 10);
	if (*end != ':' || end[1] < '0' || end[1] > '9')
		goto bad;
	i = strtoul(end + 1, &end, 10);
	if (*end != '\0' || w >= ctx(c)->n_workers || i >= CONN_ITER_END)
		goto bad;
	*worker = (unsigned int)w;
	*index = (uint32_t)i;
	return 0;
bad:
	return ctl_call_fail(c, EINVAL, "params.cursor: '%s' is not a cursor "
			     "of this dplbd", s);
}

static json_object *
cursor_json(const struct dp_ctx *dp, unsigned int worker, uint32_t index)
{
	char buf[32];

	if (worker >= dp->n_workers)
		return NULL;
	snprintf(buf, sizeof(buf), "%u:%u", worker, index);
	return J_STR(buf);
}

static json_object *
addr_port_json(uint8_t family, rte_be32_t addr, const uint8_t *addr6,
	       rte_be16_t port)
{
	char a[INET6_ADDRSTRLEN], buf[INET6_ADDRSTRLEN + 10];

	if (family == AF_INET6) {
		inet_ntop(AF_INET6, addr6, a, sizeof(a));
		snprintf(buf, sizeof(buf), "[%s]:%u", a,
			 rte_be_to_cpu_16(port));
	} else {
		inet_ntop(AF_INET, &addr, a, sizeof(a));
		snprintf(buf, sizeof(buf), "%s:%u", a, rte_be_to_cpu_16(port));
	}
	return J_STR(buf);
}

static json_object *
entry_json(const struct conn_ctl_entry *e, unsigned int worker)
{
	json_object *o = json_object_new_object();
	const char *fwd = e->fwd == CONN_FWD_SNAT ? "snat" : lb_fwd_name(e->fwd);
	const char *proto = e->proto == IPPROTO_ICMP ?
				    "icmp" : lb_proto_name(e->proto);

	ADD(o, "proto", J_STR(proto ? proto : "?"));
	ADD(o, "state", J_STR(e->proto == IPPROTO_UDP ? "UDP" :
			      e->proto == IPPROTO_ICMP ? "ICMP" :
			      tcp_state_ipvs_name(e->state)));
	ADD(o, "expire_ms", J_INT(e->expire_ms));
	ADD(o, "client", addr_port_json(e->family, e->client, e->client6,
					e->client_port));
	ADD(o, "vip", addr_port_json(e->family, e->vip, e->vip6, e->vport));
	ADD(o, "local", e->has_local ?
		addr_port_json(e->out_family, e->local, e->local6,
			       e->local_port) : NULL);
	ADD(o, "dest", addr_port_json(e->out_family, e->dest, e->dest6,
				      e->dport));
	ADD(o, "fwd", J_STR(fwd ? fwd : "?"));
	ADD(o, "template", json_object_new_boolean(e->is_template));
	ADD(o, "synced", json_object_new_boolean(e->synced));
	ADD(o, "worker", J_INT(worker));
	return o;
}

static int
worker_fail(struct ctl_call *c, unsigned int worker, int ret)
{
	if (ret == -ETIMEDOUT)
		return ctl_call_fail(c, ETIMEDOUT, "worker %u did not answer "
				     "within %u ms", worker,
				     CONN_CTL_WAIT_MS +
				     2 * ctx(c)->idle_sleep_max_us / 1000);
	return ctl_call_fail(c, -ret, "worker %u: %s", worker, strerror(-ret));
}

static int
m_conn_list(struct ctl_call *c)
{
	static const char *const keys[] = { FILTER_KEYS, "max", NULL };
	struct dp_ctx *dp = ctx(c);
	unsigned long long max = CONN_CTL_PAGE_DEFAULT;
	struct conn_ctl_entry *ents;
	struct conn_filter f;
	unsigned int w, i, total = 0;
	uint32_t idx, n;
	uint64_t deadline;
	json_object *r, *a;
	int ret;

	if ((ret = call_params_only(c, keys)) != 0 ||
	    (ret = param_filter(c, &f)) != 0 ||
	    (ret = param_cursor(c, &w, &idx)) != 0 ||
	    (ret = call_param_uint(c, "max", 0, CONN_CTL_PAGE_MAX, &max)) != 0)
		return ret;
	if (max == 0)
		return ctl_call_fail(c, EINVAL, "params.max: must be 1..%u",
				     CONN_CTL_PAGE_MAX);
	ents = calloc(max, sizeof(*ents));
	if (ents == NULL)
		return ctl_call_fail(c, ENOMEM, "out of memory");
	a = json_object_new_array();
	deadline = now_us() + LIST_BUDGET_US;
	while (w < dp->n_workers && total < max) {
		ret = conn_ctl_page(dp, w, CONN_CTL_LIST, &f, &idx,
				    (uint32_t)(max - total), ents, &n);
		if (ret != 0) {
			free(ents);
			json_object_put(a);
			return worker_fail(c, w, ret);
		}
		for (i = 0; i < n; i++)
			json_object_array_add(a, entry_json(&ents[i], w));
		total += n;
		if (idx == CONN_ITER_END) {
			w++;
			idx = 0;
		}
		if (now_us() >= deadline)
			break;
	}
	free(ents);
	r = json_object_new_object();
	ADD(r, "conns", a);
	ADD(r, "cursor", cursor_json(dp, w, idx));
	c->result = r;
	return 0;
}

static int
m_conn_flush(struct ctl_call *c)
{
	static const char *const keys[] = { FILTER_KEYS, NULL };
	struct dp_ctx *dp = ctx(c);
	struct conn_filter f;
	unsigned int w;
	uint64_t deadline, total = 0;
	uint32_t idx, n;
	json_object *r;
	int ret;

	if ((ret = call_params_only(c, keys)) != 0 ||
	    (ret = param_filter(c, &f)) != 0 ||
	    (ret = param_cursor(c, &w, &idx)) != 0)
		return ret;
	deadline = now_us() + FLUSH_BUDGET_US;
	while (w < dp->n_workers) {
		ret = conn_ctl_page(dp, w, CONN_CTL_FLUSH, &f, &idx, FLUSH_PAGE,
				    NULL, &n);
		if (ret != 0)
			return worker_fail(c, w, ret);
		total += n;
		if (idx == CONN_ITER_END) {
			w++;
			idx = 0;
		}
		if (now_us() >= deadline)
			break;
	}
	r = json_object_new_object();
	ADD(r, "flushed", J_INT(total));
	ADD(r, "cursor", cursor_json(dp, w, idx));
	c->result = r;
	return 0;
}

static const struct ctl_method methods[] = {
	{ "conn.list", m_conn_list },
	{ "conn.flush", m_conn_flush },
};

const struct ctl_method *
ctl_verbs_conn(size_t *n)
{
	*n = RTE_DIM(methods);
	return methods;
}
