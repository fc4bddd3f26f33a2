/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lb_conf: the load balancer's plain descriptions, as the control verbs
 * and the config file state them: a service's key and attributes, a
 * dest, forwarding modes, flags and limits; their names and their
 * checks.  Value types only, no state: the config reader (config/) and
 * the control verbs (ctl/) include this; lb_svc.h builds the store on it.
 */
#ifndef DPLB_LB_CONF_H
#define DPLB_LB_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "inet.h"
#include "sched/scheduler.h"

#define LB_NAME_LEN 32			/* laddr group names, with NUL */
#define LB_LADDR_MAX_ADDRS 64		/* addresses per laddr group */
#define LB_MAX_SERVICES 4096
#define LB_MAX_DESTS_PER_SVC 4096
#define LB_PERSIST_MAX 4294967u		/* seconds: fits 32-bit ms */
#define LB_THRESHOLD_MAX 0x7fffffffu
#define LB_MAX_WORKERS 64

/* Service flags (struct lb_svc_conf.flags). The first two are the
 * scheduler's, with the same bits, so they pass to sched_build as is. */
#define LB_SVC_F_FALLBACK SCHED_F_FALLBACK	/* sh-fallback, mh-fallback */
#define LB_SVC_F_HASH_PORT SCHED_F_HASH_PORT	/* sh-port, mh-port */
#define LB_SVC_F_ONE_PACKET 0x100	/* UDP: one datagram per connection */
#define LB_SVC_F_EXPIRE_QUIESCENT 0x200	/* drop connections of weight-0 dests */
/* Full-NAT dests: tell the server who the client is (proxy_hdr.h); TCP
 * only but PP_V2, which UDP services take too (lb_ppudp.c) */
#define LB_SVC_F_PP_V1 0x400		/* PROXY protocol v1 header */
#define LB_SVC_F_PP_V2 0x800		/* PROXY protocol v2 header */
#define LB_SVC_F_TOA 0x1000		/* TOA option on the first segments */
#define LB_SVC_F_SYN_PROXY 0x2000	/* SYN cookies, then the server */
/* The flags that make a connection's segments edited (lb_tcpx.c). */
#define LB_SVC_F_TCPX (LB_SVC_F_PP_V1 | LB_SVC_F_PP_V2 | LB_SVC_F_TOA | \
		       LB_SVC_F_SYN_PROXY)
#define LB_SVC_F_ALL (LB_SVC_F_FALLBACK | LB_SVC_F_HASH_PORT | \
		      LB_SVC_F_ONE_PACKET | LB_SVC_F_EXPIRE_QUIESCENT | \
		      LB_SVC_F_TCPX)

/** Forwarding method of a dest (ipvsadm -m/-g/-i; FNAT is dplb's). */
enum lb_fwd {
	LB_FWD_FNAT,		/* full NAT: source becomes a LIP:lport */
	LB_FWD_NAT,		/* masquerading: destination rewritten */
	LB_FWD_DR,		/* direct routing: MAC rewritten */
	LB_FWD_TUNNEL,		/* IP-in-IP */
};
#define LB_FWD_COUNT (LB_FWD_TUNNEL + 1)

/** A service's identity. */
struct lb_svc_key {
	uint8_t proto;			/* IPPROTO_TCP, IPPROTO_UDP */
	uint16_t port;			/* host order; 0 = every port */
	struct inet_addr vip;
};

/** A service's attributes. */
struct lb_svc_conf {
	char sched[SCHED_NAME_MAX];	/* a sched_known() name */
	uint32_t flags;			/* LB_SVC_F_* */
	uint32_t persistent;		/* seconds, 0 = not persistent */
	uint8_t netmask_len;		/* persistence granularity, a prefix
					 * length of the VIP's family */
	char laddr_group[LB_NAME_LEN];	/* "" = none */
	/* SYN flood defence (lb_synproxy.c), 0 = none: connections in
	 * SYN_RECV at once, and new connections per second from one
	 * source network of /conn_rate_prefix */
	uint32_t half_open_max;
	uint32_t conn_rate;
	uint8_t conn_rate_prefix;	/* default 24 */
};

/** A dest (real server); its identity within a service is addr+port. */
struct lb_dest_conf {
	struct inet_addr addr;
	uint16_t port;			/* host order; 0 = the service's */
	uint32_t weight;		/* 0..SCHED_WEIGHT_MAX, 0 = quiescent */
	uint8_t fwd;			/* enum lb_fwd */
	uint32_t u_threshold;		/* 0 = none */
	uint32_t l_threshold;		/* 0 = none */
};

/** ipvsadm's defaults: wlc, not persistent, /32. */
void lb_svc_conf_init(struct lb_svc_conf *c);
/** Weight 1, FNAT, no thresholds, port 0. */
void lb_dest_conf_init(struct lb_dest_conf *d);

/* Names <-> values; the parsers return the value or -EINVAL. */
int lb_proto_parse(const char *s);		/* "tcp" "udp" */
const char *lb_proto_name(uint8_t proto);	/* "tcp", NULL if unknown */
int lb_fwd_parse(const char *s);		/* "fnat" "nat" "dr" "tunnel" */
const char *lb_fwd_name(uint8_t fwd);
/** One flag name ("sh-port", "mh-fallback", "one-packet",
 * "expire-quiescent", "proxy-protocol-v1", "proxy-protocol-v2", "toa",
 * "syn-proxy"; '_' may stand for '-'): its LB_SVC_F_ bit. */
int lb_svc_flag_parse(const char *s);
/** The name of flag bit f for a service scheduled by sched ("sh-port"
 * for sh and the others, "mh-port" for mh). NULL for an unknown bit. */
const char *lb_svc_flag_name(uint32_t f, const char *sched);
/** "255.255.255.0" -> 24, or a prefix length "64" or "/64" (0..128,
 * ipvsadm -M's form for IPv6); -EINVAL for anything else.  Whether the
 * length fits the service's family is lb_svc_conf_check()'s. */
int lb_netmask_parse(const char *s);

#define LB_NETMASK_UNSET 0xff	/* parsers: none given yet */

/** How listings and saved configs show a netmask: "255.255.255.0" for
 * an IPv4 service, "/64" for an IPv6 one.  Returns buf. */
const char *lb_netmask_fmt(uint8_t family, uint8_t len, char *buf,
			   size_t size);

/** The persistence granularity when none is given: /32 for IPv4
 * (ipvsadm's), /64 for IPv6 (one site's subnet, issue 15). */
static inline uint8_t
lb_netmask_default(uint8_t family)
{
	return family == AF_INET6 ? 64 : 32;
}

/**
 * Check a service description alone: protocol, unicast IPv4 or IPv6
 * VIP, known scheduler, flags (one-packet only for UDP; the proxy
 * protocol, TOA and the SYN proxy only for TCP, one proxy protocol
 * version, none of them nor the SYN flood limits for IPv6 yet),
 * persistence range and netmask (a prefix of the VIP's family).
 * -EINVAL or -EAFNOSUPPORT with a message in msg.
 */
int lb_svc_conf_check(const struct lb_svc_key *k, const struct lb_svc_conf *c,
		      char *msg, size_t len);

/**
 * Check a dest description against its service: unicast address,
 * weight, thresholds (lower <= upper), full-NAT only with a laddr
 * group, DR and TUNNEL only to the service's port.  Families: the
 * VIP's, or IPv4 dests of an IPv6 VIP in full-NAT (NAT64) or TUNNEL
 * (IPv6 in IPv4: IPVS allows mixed families for tunnels only; IPv4 in
 * IPv6 is not on the packet path yet).
 * -EINVAL/-EAFNOSUPPORT with msg.
 */
int lb_dest_conf_check(const struct lb_svc_key *k, const struct lb_svc_conf *c,
		       const struct lb_dest_conf *d, char *msg, size_t len);


/* ---- SNAT rules (lb_snat.h) ------------------------------------------ */

#define LB_SNAT_MAX_RULES 256
#define LB_SNAT_MAX_ADDRS 16		/* source addresses per rule */
#define LB_SNAT_IFNAMSIZ 16		/* dplb port names, with NUL */

/**
 * A SNAT rule: outbound traffic from the servers that it matches leaves
 * with a source address of the pool and a source port of the worker's
 * slice.  Its identity (for del) is everything but the pool and the
 * port limit.
 */
struct lb_snat_conf {
	uint8_t proto;			/* IPPROTO_TCP, _UDP, _ICMP; 0 = all */
	struct inet_prefix src;		/* the inside hosts */
	struct inet_prefix dst;		/* /0 = any destination */
	char iif[LB_SNAT_IFNAMSIZ];	/* dplb port received on, "" = any */
	char oif[LB_SNAT_IFNAMSIZ];	/* dplb port routed to, "" = any */
	uint32_t ports_per_worker;	/* 0 = the worker's whole slice */
	uint32_t n_addrs;
	struct inet_addr addrs[LB_SNAT_MAX_ADDRS];	/* the pool */
};

/** "tcp" "udp" "icmp" or "any"/"" (0). */
int lb_snat_proto_parse(const char *s);
/** "tcp" "udp" "icmp" "any". */
const char *lb_snat_proto_name(uint8_t proto);

/**
 * Check a rule alone: IPv4 prefixes, protocol, 1..LB_SNAT_MAX_ADDRS
 * unicast IPv4 pool addresses, no duplicate.  Host bits of the prefixes
 * are cleared.  -EINVAL/-EAFNOSUPPORT with a message.
 */
int lb_snat_conf_check(struct lb_snat_conf *c, char *msg, size_t len);

#endif /* DPLB_LB_CONF_H */
