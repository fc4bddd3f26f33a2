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
lb_host_fmt(const struct inet_addr *a, char *buf, size_t len)
{
	char s[INET_ADDR_STRLEN];

	if (a->family != AF_INET6)
		return inet_addr_fmt(a, buf, len);
	snprintf(buf, len, "[%s]", inet_addr_fmt(a, s, sizeof(s)));
	return buf;
}

const char *
lb_key_fmt(const struct lb_svc_key *k, char *buf, size_t len)
{
	char a[INET_ADDR_STRLEN];
	const char *p = lb_proto_name(k->proto);

	snprintf(buf, len, "%s %s:%u", p ? p : "?",
		 lb_host_fmt(&k->vip, a, sizeof(a)), k->port);
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
	unsigned long n;
	uint32_t m;
	char *end;
	int len;

	if (s == NULL)
		return -EINVAL;
	if (s[0] == '/' || (s[0] >= '0' && s[0] <= '9' && !strchr(s, '.'))) {
		const char *d = s + (s[0] == '/');

		if (*d < '0' || *d > '9')
			return -EINVAL;
		n = strtoul(d, &end, 10);
		return *end == '\0' && n <= 128 ? (int)n : -EINVAL;
	}
	if (inet_addr_parse(s, &a) != 0 || a.family != AF_INET)
		return -EINVAL;
	m = ntohl(a.v4.s_addr);
	len = m ? __builtin_popcount(m) : 0;
	/* contiguous: the ones are exactly the top len bits */
	if (len != 32 && m != (len ? ~0u << (32 - len) : 0))
		return -EINVAL;
	return len;
}

const char *
lb_netmask_fmt(uint8_t family, uint8_t len, char *buf, size_t size)
{
	struct inet_addr m;

	if (family == AF_INET6 || len > 32) {
		snprintf(buf, size, "/%u", len);
		return buf;
	}
	m = inet_addr_v4(htonl(len ? ~0u << (32 - len) : 0));
	return inet_addr_fmt(&m, buf, size);
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

/* IPv6 unicast as a VIP, a server or a local address: not ::, ::1,
 * multicast, link-local (no zone to say which link), nor an IPv4-mapped
 * address (that is an IPv4 address: write it so). */
static int
check_v6(const struct inet_addr *a, const char *what, char *msg, size_t len)
{
	const uint8_t *b = a->v6.s6_addr;
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (IN6_IS_ADDR_UNSPECIFIED(&a->v6) || IN6_IS_ADDR_LOOPBACK(&a->v6) ||
	    b[0] == 0xff || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80))
		return lb_fail(msg, len, EINVAL, "%s: not a global or unique "
			    "local IPv6 unicast address", what);
	if (memcmp(b, mapped, sizeof(mapped)) == 0)
		return lb_fail(msg, len, EINVAL, "%s: an IPv4-mapped address: "
			    "write the IPv4 address", what);
	return 0;
}

int
lb_check_addr(const struct inet_addr *a, const char *what, char *msg,
	      size_t len)
{
	uint32_t h;

	if (a->family == AF_INET6)
		return check_v6(a, what, msg, len);
	if (a->family != AF_INET)
		return lb_fail(msg, len, EINVAL, "%s: missing address", what);
	h = ntohl(a->v4.s_addr);
	if (h == 0 || (h >> 24) == 127 || (h >> 28) >= 0xe)
		return lb_fail(msg, len, EINVAL, "%s: not a unicast address",
			    what);
	return 0;
}

int
lb_check_v4(const struct inet_addr *a, const char *what, char *msg, size_t len)
{
	if (a->family == AF_INET6)
		return lb_fail(msg, len, EAFNOSUPPORT,
			    "%s: IPv6 is not supported by the dataplane yet",
			    what);
	return lb_check_addr(a, what, msg, len);
}

/* What IPv6 services do not have yet (lb6/lb6.c): the TCP mechanics
 * over tcp/ and the SYN flood defence are IPv4's. */
static int
check_v6_svc(const struct lb_svc_conf *c, char *msg, size_t len)
{
	if (c->flags & LB_SVC_F_TCPX)
		return lb_fail(msg, len, EINVAL, "flags: proxy-protocol, toa "
			    "and syn-proxy are for IPv4 services only (not "
			    "yet on the IPv6 packet path)");
	if (c->half_open_max != 0 || c->conn_rate != 0)
		return lb_fail(msg, len, EINVAL, "half_open_max, conn_rate: "
			    "for IPv4 services only (not yet on the IPv6 "
			    "packet path)");
	return 0;
}

int
lb_svc_conf_check(const struct lb_svc_key *k, const struct lb_svc_conf *c,
		  char *msg, size_t len)
{
	int rc;

	if (lb_proto_name(k->proto) == NULL)
		return lb_fail(msg, len, EINVAL, "proto: must be tcp or udp");
	if ((rc = lb_check_addr(&k->vip, "vip", msg, len)) != 0)
		return rc;
	if (k->vip.family == AF_INET6 &&
	    (rc = check_v6_svc(c, msg, len)) != 0)
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
	if (c->netmask_len > inet_max_len(k->vip.family))
		return lb_fail(msg, len, EINVAL, "netmask: must be /0 to /%u "
			    "for an %s service", inet_max_len(k->vip.family),
			    k->vip.family == AF_INET6 ? "IPv6" : "IPv4");
	if (c->persistent == 0 &&
	    c->netmask_len != lb_netmask_default(k->vip.family))
		return lb_fail(msg, len, EINVAL,
			    "netmask: only with persistent (as ipvsadm -M)");
	if (c->laddr_group[0] != '\0' && !lb_name_valid(c->laddr_group))
		return lb_fail(msg, len, EINVAL, "laddr_group: invalid name: use "
			    "1 to %d characters of A-Z a-z 0-9 _ . -",
			    LB_NAME_LEN - 1);
	return 0;
}

/* Mixed families: NAT64 in full NAT, and tunnels both ways (IPv6 in
 * IPv4, IPv4 in IPv6: IPVS's one exception); NAT and DR keep the
 * client's packet, so its family. */
static int
check_families(const struct lb_svc_key *k, const struct lb_dest_conf *d,
	       char *msg, size_t len)
{
	if (d->addr.family == k->vip.family || d->fwd >= LB_FWD_COUNT)
		return 0;
	if (d->fwd == LB_FWD_TUNNEL)
		return 0;	/* IPv6 in IPv4, IPv4 in IPv6 (lb6/lb6_xmit.c) */
	if (d->fwd == LB_FWD_FNAT && k->vip.family == AF_INET6)
		return 0;	/* NAT64 */
	if (d->fwd == LB_FWD_FNAT)
		return lb_fail(msg, len, EAFNOSUPPORT, "addr: an IPv6 dest of "
			    "an IPv4 service (NAT46) is not supported; "
			    "full-NAT translates IPv6 VIPs to IPv4 dests "
			    "only (NAT64)");
	return lb_fail(msg, len, EINVAL, "addr: %s dests must have the "
		    "VIP's address family (%s); mixed families are for "
		    "fnat (NAT64: IPv6 VIP, IPv4 dests) and tunnel only",
		    lb_fwd_name(d->fwd),
		    k->vip.family == AF_INET6 ? "IPv6" : "IPv4");
}

int
lb_dest_conf_check(const struct lb_svc_key *k, const struct lb_svc_conf *c,
		   const struct lb_dest_conf *d, char *msg, size_t len)
{
	int rc;

	if ((rc = lb_check_addr(&d->addr, "addr", msg, len)) != 0)
		return rc;
	if ((rc = check_families(k, d, msg, len)) != 0)
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
