/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lb_conf: names of protocols, forwarding modes and flags; validation of
 * service and dest settings; the config file's services and laddr
 * groups applied to the store (lb_svc.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "config/config.h"
#include "lb/lb_svc.h"
#include "lb_svc_priv.h"

/* ---- messages ---------------------------------------------------------- */

int __attribute__((format(printf, 4, 5)))
lb_fail(char *msg, size_t len, int err, const char *fmt, ...)
{
	va_list ap;

	if (msg != NULL && len > 0) {
		va_start(ap, fmt);
		vsnprintf(msg, len, fmt, ap);
		va_end(ap);
	}
	return -err;
}

/* "tcp 198.18.0.100:80" for messages. */
const char *
lb_key_fmt(const struct lb_svc_key *k, char *buf, size_t len)
{
	char a[INET_ADDR_STRLEN];
	const char *p = lb_proto_name(k->proto);

	snprintf(buf, len, "%s %s:%u", p ? p : "?",
		 inet_addr_fmt(&k->vip, a, sizeof(a)), k->port);
	return buf;
}


/* ---- names ------------------------------------------------------------- */

static const char *const fwd_names[LB_FWD_COUNT] = {
	[LB_FWD_FNAT] = "fnat",
	[LB_FWD_NAT] = "nat",
	[LB_FWD_DR] = "dr",
	[LB_FWD_TUNNEL] = "tunnel",
};

void
lb_svc_conf_init(struct lb_svc_conf *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->sched, sizeof(c->sched), "wlc");
	c->netmask_len = 32;
	c->conn_rate_prefix = 24;
}

void
lb_dest_conf_init(struct lb_dest_conf *d)
{
	memset(d, 0, sizeof(*d));
	d->weight = 1;
	d->fwd = LB_FWD_FNAT;
}

int
lb_proto_parse(const char *s)
{
	if (s != NULL && strcmp(s, "tcp") == 0)
		return IPPROTO_TCP;
	if (s != NULL && strcmp(s, "udp") == 0)
		return IPPROTO_UDP;
	return -EINVAL;
}

const char *
lb_proto_name(uint8_t proto)
{
	return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" :
								    NULL;
}

int
lb_fwd_parse(const char *s)
{
	int i;

	for (i = 0; s != NULL && i < LB_FWD_COUNT; i++)
		if (strcmp(s, fwd_names[i]) == 0)
			return i;
	return -EINVAL;
}

const char *
lb_fwd_name(uint8_t fwd)
{
	return fwd < LB_FWD_COUNT ? fwd_names[fwd] : NULL;
}

/* Compare flag names with '_' and '-' as the same character. */
static bool
flag_eq(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++)
		if (*a != *b && !((*a == '_' || *a == '-') &&
				  (*b == '_' || *b == '-')))
			return false;
	return *a == *b;
}

int
lb_svc_flag_parse(const char *s)
{
	static const struct { const char *name; int bit; } names[] = {
		{ "sh-fallback", LB_SVC_F_FALLBACK },
		{ "mh-fallback", LB_SVC_F_FALLBACK },
		{ "sh-port", LB_SVC_F_HASH_PORT },
		{ "mh-port", LB_SVC_F_HASH_PORT },
		{ "one-packet", LB_SVC_F_ONE_PACKET },
		{ "ops", LB_SVC_F_ONE_PACKET },
		{ "expire-quiescent", LB_SVC_F_EXPIRE_QUIESCENT },
		{ "proxy-protocol-v1", LB_SVC_F_PP_V1 },
		{ "proxy-protocol-v2", LB_SVC_F_PP_V2 },
		{ "toa", LB_SVC_F_TOA },
		{ "syn-proxy", LB_SVC_F_SYN_PROXY },
	};
	size_t i;

	for (i = 0; s != NULL && i < RTE_DIM(names); i++)
		if (flag_eq(s, names[i].name))
			return names[i].bit;
	return -EINVAL;
}

/* IPVS keeps one bit for sh-port and mh-port (and one for the
 * fallbacks): the name follows the scheduler, as ipvsadm prints it. */
const char *
lb_svc_flag_name(uint32_t f, const char *sched)
{
	bool mh = sched != NULL && strcmp(sched, "mh") == 0;

	switch (f) {
	case LB_SVC_F_FALLBACK:
		return mh ? "mh-fallback" : "sh-fallback";
	case LB_SVC_F_HASH_PORT:
		return mh ? "mh-port" : "sh-port";
	case LB_SVC_F_ONE_PACKET:
		return "one-packet";
	case LB_SVC_F_EXPIRE_QUIESCENT:
		return "expire-quiescent";
	case LB_SVC_F_PP_V1:
		return "proxy-protocol-v1";
	case LB_SVC_F_PP_V2:
		return "proxy-protocol-v2";
	case LB_SVC_F_TOA:
		return "toa";
	case LB_SVC_F_SYN_PROXY:
		return "syn-proxy";
	}
	return NULL;
}

int
lb_netmask_parse(const char *s)
{
	struct inet_addr a;
	uint32_t m;
	int len;

	if (s == NULL || inet_addr_parse(s, &a) != 0 || a.family != AF_INET)
		return -EINVAL;
	m = ntohl(a.v4.s_addr);
	len = m ? __builtin_popcount(m) : 0;
	/* contiguous: the ones are exactly the top len bits */
	if (len != 32 && m != (len ? ~0u << (32 - len) : 0))
		return -EINVAL;
	return len;
}

/* Group names: safe in messages, logs and config files. */
bool
lb_name_valid(const char *s)
{
	size_t n = strnlen(s, LB_NAME_LEN);

	return n > 0 && n < LB_NAME_LEN &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789_.-") == n;
}

int
lb_check_v4(const struct inet_addr *a, const char *what, char *msg, size_t len)
{
	uint32_t h;

	if (a->family == AF_INET6)
		return lb_fail(msg, len, EAFNOSUPPORT,
			    "%s: IPv6 is not supported by the dataplane yet",
			    what);
	if (a->family != AF_INET)
		return lb_fail(msg, len, EINVAL, "%s: missing address", what);
	h = ntohl(a->v4.s_addr);
	if (h == 0 || (h >> 24) == 127 || (h >> 28) >= 0xe)
		return lb_fail(msg, len, EINVAL, "%s: not a unicast address",
			    what);
	return 0;
}

int
lb_svc_conf_check(const struct lb_svc_key *k, const struct lb_svc_conf *c,
		  char *msg, size_t len)
{
	int rc;

	if (lb_proto_name(k->proto) == NULL)
		return lb_fail(msg, len, EINVAL, "proto: must be tcp or udp");
	if ((rc = lb_check_v4(&k->vip, "vip", msg, len)) != 0)
		return rc;
	if (memchr(c->sched, '\0', sizeof(c->sched)) == NULL ||
	    !sched_known(c->sched))
		return lb_fail(msg, len, EINVAL, "sched: unknown scheduler '%.*s' "
			    "(" SCHED_NAMES ")",
			    (int)sizeof(c->sched), c->sched);
	if (c->flags & ~LB_SVC_F_ALL)
		return lb_fail(msg, len, EINVAL, "flags: unknown flag 0x%x",
			    c->flags & ~LB_SVC_F_ALL);
	if ((c->flags & LB_SVC_F_ONE_PACKET) && k->proto != IPPROTO_UDP)
		return lb_fail(msg, len, EINVAL,
			    "flags: one-packet is for UDP services only");
	if ((c->flags & LB_SVC_F_PP_V1) && k->proto != IPPROTO_TCP)
		return lb_fail(msg, len, EINVAL, "flags: proxy-protocol-v1 is "
			    "for TCP services only (its text header has no "
			    "UDP form); UDP services take proxy-protocol-v2");
	if ((c->flags & (LB_SVC_F_TCPX & ~LB_SVC_F_PP_V2 & ~LB_SVC_F_PP_V1)) &&
	    k->proto != IPPROTO_TCP)
		return lb_fail(msg, len, EINVAL, "flags: toa and syn-proxy "
			    "are for TCP services only");
	if ((c->flags & LB_SVC_F_PP_V1) && (c->flags & LB_SVC_F_PP_V2))
		return lb_fail(msg, len, EINVAL, "flags: proxy-protocol-v1 "
			    "and proxy-protocol-v2 exclude each other");
	if (c->persistent > LB_PERSIST_MAX)
		return lb_fail(msg, len, EINVAL,
			    "persistent: must be between 0 and %u seconds",
			    LB_PERSIST_MAX);
	if (c->conn_rate_prefix > 32)
		return lb_fail(msg, len, EINVAL,
			    "conn_rate_prefix: must be /0 to /32");
	if (c->netmask_len > 32)
		return lb_fail(msg, len, EINVAL, "netmask: must be /0 to /32");
	if (c->persistent == 0 && c->netmask_len != 32)
		return lb_fail(msg, len, EINVAL,
			    "netmask: only with persistent (as ipvsadm -M)");
	if (c->laddr_group[0] != '\0' && !lb_name_valid(c->laddr_group))
		return lb_fail(msg, len, EINVAL, "laddr_group: invalid name: use "
			    "1 to %d characters of A-Z a-z 0-9 _ . -",
			    LB_NAME_LEN - 1);
	return 0;
}

int
lb_dest_conf_check(const struct lb_svc_key *k, const struct lb_svc_conf *c,
		   const struct lb_dest_conf *d, char *msg, size_t len)
{
	int rc;

	if ((rc = lb_check_v4(&d->addr, "addr", msg, len)) != 0)
		return rc;
	if (d->weight > SCHED_WEIGHT_MAX)
		return lb_fail(msg, len, EINVAL, "weight: must be between 0 and %u",
			    SCHED_WEIGHT_MAX);
	if (d->fwd >= LB_FWD_COUNT)
		return lb_fail(msg, len, EINVAL,
			    "fwd: must be fnat, nat, dr or tunnel");
	if (d->u_threshold > LB_THRESHOLD_MAX ||
	    d->l_threshold > LB_THRESHOLD_MAX)
		return lb_fail(msg, len, EINVAL,
			    "thresholds: must be between 0 and %u",
			    LB_THRESHOLD_MAX);
	if (d->u_threshold != 0 && d->l_threshold > d->u_threshold)
		return lb_fail(msg, len, EINVAL,
			    "l_threshold: must not exceed u_threshold");
	if (d->fwd == LB_FWD_FNAT && c->laddr_group[0] == '\0')
		return lb_fail(msg, len, EINVAL, "fwd: full-NAT needs the service "
			    "to have a laddr_group");
	/* DR and tunnel do not rewrite the transport header. */
	if ((d->fwd == LB_FWD_DR || d->fwd == LB_FWD_TUNNEL) &&
	    d->port != 0 && d->port != k->port)
		return lb_fail(msg, len, EINVAL, "dport: %s dests keep the "
			    "service's port %u", lb_fwd_name(d->fwd), k->port);
	return 0;
}

/* ---- config ----------------------------------------------------------- */

int
lb_svc_apply_config(struct lb_store *st, const struct dplb_config *cfg,
		    char *msg, size_t len)
{
	char name[KEY_STRLEN], why[LB_MSG_LEN];
	unsigned int i, j;
	int rc;

	for (i = 0; i < cfg->n_laddr_groups; i++) {
		const struct cfg_laddr_group *g = &cfg->laddr_groups[i];

		rc = lb_laddr_add(st, g->name, NULL, why, sizeof(why));
		for (j = 0; rc == 0 && j < g->n_addrs; j++)
			rc = lb_laddr_add(st, g->name, &g->addrs[j], why,
					  sizeof(why));
		if (rc != 0)
			return lb_fail(msg, len, -rc, "laddr_groups.[%u]: %s", i,
				    why);
	}
	for (i = 0; i < cfg->n_services; i++) {
		const struct cfg_service *s = &cfg->services[i];

		rc = lb_svc_add(st, &s->key, &s->conf, why, sizeof(why));
		for (j = 0; rc == 0 && j < s->n_dests; j++)
			rc = lb_dest_add(st, &s->key,
					 &cfg->svc_dests[s->first_dest + j],
					 why, sizeof(why));
		if (rc != 0)
			return lb_fail(msg, len, -rc, "services.[%u] (%s): %s", i,
				    lb_key_fmt(&s->key, name, sizeof(name)), why);
	}
	return 0;
}
