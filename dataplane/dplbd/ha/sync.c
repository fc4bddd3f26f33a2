/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sync: the sync daemon's roles, their sockets, the tunables and the
 * counters (sync.h).  The master's path is sync_tx.c, the backup's
 * sync_rx.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "core/dp.h"
#include "lb/lb.h"
#include "log.h"
#include "sync_priv.h"

#define SOCK_BUF (4 << 20)	/* socket buffers: bursts of messages */
#define UDP_IP_HDR 28
#define UDP_IP6_HDR 48

struct sync_state sync_st = {
	.role = { [HA_SYNC_MASTER] = { .fd = -1 },
		  [HA_SYNC_BACKUP] = { .fd = -1 } },
	.tun = { .threshold = 3, .period = 50, .dump_rate = 500000 },
};

static const char *const role_names[HA_SYNC_ROLES] = {
	[HA_SYNC_MASTER] = "master",
	[HA_SYNC_BACKUP] = "backup",
};

const char *
ha_sync_role_name(enum ha_sync_role role)
{
	return role < HA_SYNC_ROLES ? role_names[role] : "?";
}

int
ha_sync_role_parse(const char *name)
{
	int i;

	for (i = 0; i < HA_SYNC_ROLES; i++)
		if (strcmp(name, role_names[i]) == 0)
			return i;
	return -EINVAL;
}

uint32_t
sync_wall_offset(void)
{
	struct timespec ts;
	uint64_t wall;

	clock_gettime(CLOCK_REALTIME, &ts);
	wall = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	return (uint32_t)wall - lb_clock_ms();
}

/* ---- tunables ---- */

void
ha_sync_init(struct dp_ctx *dp)
{
	const struct dplb_config *cfg = dp->cfg;

	sync_st.tun = (struct ha_sync_tunables){
		.threshold = cfg->sync_threshold,
		.period = cfg->sync_period,
		.refresh_period = cfg->sync_refresh_period,
		.retries = cfg->sync_retries,
		.full_refresh = cfg->sync_full_refresh,
		.dump_rate = cfg->sync_dump_rate,
	};
}

int
ha_sync_set_tunables(struct dp_ctx *dp, const struct ha_sync_tunables *t,
		     char *msg, size_t len)
{
	if (t->period > 65534 || (t->period != 0 && t->threshold >= t->period) ||
	    t->threshold > 65534) {
		snprintf(msg, len, "sync_threshold %u, sync_period %u: the threshold must be below the period (0..65534; period 0: none)",
			 t->threshold, t->period);
		return -EINVAL;
	}
	if (t->retries > 3) {
		snprintf(msg, len, "sync_retries %u: 0..3", t->retries);
		return -EINVAL;
	}
	if (t->refresh_period > 3600 || t->full_refresh > 86400) {
		snprintf(msg, len, "sync_refresh_period at most 3600 s, full_refresh at most 86400 s");
		return -EINVAL;
	}
	if (t->dump_rate < 1000 || t->dump_rate > 100000000) {
		snprintf(msg, len, "dump_rate %u: 1000..100000000 records/s",
			 t->dump_rate);
		return -EINVAL;
	}
	sync_st.tun = *t;
	if (sync_st.tun.full_refresh != 0)
		sync_st.next_full_ms = dp_now_ms() + t->full_refresh * 1000ull;
	sync_tx_apply(dp);
	return 0;
}

void
ha_sync_get_tunables(struct ha_sync_tunables *t)
{
	*t = sync_st.tun;
}

/* ---- parameters and sockets ---- */

/* An IPv6 multicast address's scope (RFC 4291 2.7): its 4 low bits of
 * the second byte. */
static unsigned int
mcast6_scope(const struct in6_addr *a)
{
	return a->s6_addr[1] & 0x0f;
}

static int
check_group6(const struct in6_addr *g, char *msg, size_t len)
{
	char buf[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, g, buf, sizeof(buf));
	if (!IN6_IS_ADDR_MULTICAST(g)) {
		snprintf(msg, len, "mcast_group %s: not an IPv6 multicast address (ff00::/8)",
			 buf);
		return -EINVAL;
	}
	/* IPVS accepts any; these two never reach the peer */
	if (mcast6_scope(g) <= 1) {
		snprintf(msg, len, "mcast_group %s: %s scope never leaves this node (use link-local ff02:: or site-local ff05::)",
			 buf, mcast6_scope(g) == 0 ? "a reserved" :
			 "interface-local");
		return -EINVAL;
	}
	return 0;
}

static int
check_peer6(const struct in6_addr *u, bool has_ifname, char *msg, size_t len)
{
	char buf[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, u, buf, sizeof(buf));
	if (IN6_IS_ADDR_MULTICAST(u) || IN6_IS_ADDR_UNSPECIFIED(u)) {
		snprintf(msg, len, "peer %s: not an IPv6 unicast address%s", buf,
			 IN6_IS_ADDR_MULTICAST(u) ?
			 " (a group is mcast_group)" : "");
		return -EINVAL;
	}
	if (IN6_IS_ADDR_V4MAPPED(u)) {
		snprintf(msg, len, "peer %s: an IPv4-mapped address: give the IPv4 address",
			 buf);
		return -EINVAL;
	}
	if (IN6_IS_ADDR_LINKLOCAL(u) && !has_ifname) {
		snprintf(msg, len, "peer %s: a link-local peer needs ifname (the interface that reaches it)",
			 buf);
		return -EINVAL;
	}
	return 0;
}

int
ha_sync_params_check(const struct ha_sync_params *p, char *msg, size_t len)
{
	const struct inet_addr *g = &p->mcast_group, *u = &p->peer;
	int ret;

	if (g->family != 0 && u->family != 0) {
		snprintf(msg, len, "mcast_group and peer exclude each other");
		return -EINVAL;
	}
	if (g->family == AF_INET && !IN_MULTICAST(ntohl(g->v4.s_addr))) {
		snprintf(msg, len, "mcast_group: not an IPv4 multicast address");
		return -EINVAL;
	}
	if (u->family == AF_INET &&
	    (IN_MULTICAST(ntohl(u->v4.s_addr)) || u->v4.s_addr == 0 ||
	     u->v4.s_addr == INADDR_BROADCAST)) {
		snprintf(msg, len, "peer: not an IPv4 unicast address");
		return -EINVAL;
	}
	if (g->family == AF_INET6 &&
	    (ret = check_group6(&g->v6, msg, len)) != 0)
		return ret;
	if (u->family == AF_INET6 &&
	    (ret = check_peer6(&u->v6, p->ifname[0] != '\0', msg, len)) != 0)
		return ret;
	return 0;
}

/* The group or the peer, and the port, as a socket address (IPv6: the
 * interface's scope for link-local ones, once it is known). */
static void
dst_resolve(struct sync_role *r, uint16_t port, unsigned int ifindex)
{
	const struct ha_sync_params *p = &r->p;
	const struct inet_addr *a = r->unicast ? &p->peer : &p->mcast_group;

	memset(&r->dst, 0, sizeof(r->dst));
	if (a->family == AF_INET6) {
		r->dst.in6.sin6_family = AF_INET6;
		r->dst.in6.sin6_port = htons(port);
		r->dst.in6.sin6_addr = a->v6;
		if (IN6_IS_ADDR_LINKLOCAL(&a->v6) ||
		    IN6_IS_ADDR_MC_LINKLOCAL(&a->v6))
			r->dst.in6.sin6_scope_id = ifindex;
		r->dst_len = sizeof(r->dst.in6);
		return;
	}
	r->dst.in.sin_family = AF_INET;
	r->dst.in.sin_port = htons(port);
	r->dst.in.sin_addr.s_addr = a->family == AF_INET ? a->v4.s_addr :
				    htonl(SYNC_DEFAULT_GROUP);
	r->dst_len = sizeof(r->dst.in);
}

/* IPVS's defaults: group 224.0.0.81, port 8848, ttl 1, and messages of
 * the interface's MTU up to 1500 less the IP and UDP headers (sync_maxlen
 * clamped to a record). */
static void
role_resolve(struct sync_role *r, unsigned int mtu, unsigned int ifindex)
{
	const struct ha_sync_params *p = &r->p;
	unsigned int maxlen, hdr;

	r->unicast = p->peer.family != 0;
	dst_resolve(r, p->mcast_port ? p->mcast_port : SYNC_DEFAULT_PORT,
		    ifindex);
	hdr = r->dst.sa.sa_family == AF_INET6 ? UDP_IP6_HDR : UDP_IP_HDR;
	r->ttl = p->mcast_ttl ? p->mcast_ttl : (r->unicast ? 64 : 1);
	maxlen = p->maxlen ? p->maxlen :
			     (mtu != 0 && mtu < 1500 ? mtu : 1500) - hdr;
	r->maxlen = (uint16_t)RTE_MAX(RTE_MIN(maxlen, (unsigned int)SYNC_MSG_MAX_LEN),
				      (unsigned int)SYNC_MSG_MIN_LEN);
}

/* "addr:port", "[addr6]:port" of role r's group or peer. */
static const char *
dst_fmt(const struct sync_role *r, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";
	bool v6 = r->dst.sa.sa_family == AF_INET6;

	inet_ntop(r->dst.sa.sa_family, v6 ? (const void *)&r->dst.in6.sin6_addr :
			(const void *)&r->dst.in.sin_addr, a, sizeof(a));
	snprintf(buf, len, v6 ? "[%s]:%u" : "%s:%u", a,
		 ntohs(v6 ? r->dst.in6.sin6_port : r->dst.in.sin_port));
	return buf;
}

static unsigned int
if_mtu(int fd, const char *ifname)
{
	struct ifreq ifr = { 0 };

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	return ioctl(fd, SIOCGIFMTU, &ifr) == 0 ? (unsigned int)ifr.ifr_mtu : 0;
}

static int
sock_opt(int fd, int level, int name, const void *v, socklen_t len,
	 const char *what, char *err, size_t errlen)
{
	if (setsockopt(fd, level, name, v, len) == 0)
		return 0;
	snprintf(err, errlen, "%s: %s", what, strerror(errno));
	return -errno;
}

/* The options both families share: reuse, buffers, the interface. */
static int
sock_common(struct sync_role *r, int fd, char *err, size_t len)
{
	int one = 1, big = SOCK_BUF, ret;

	if ((ret = sock_opt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one),
			    "SO_REUSEADDR", err, len)) != 0)
		return ret;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	if (r->p.ifname[0] != '\0')	/* needs CAP_NET_RAW: best effort */
		setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, r->p.ifname,
			   (socklen_t)strlen(r->p.ifname));
	return 0;
}

/* Is a in the subnet of address n (mask m)? */
static bool
same_net6(const struct in6_addr *a, const struct in6_addr *n,
	  const struct in6_addr *m)
{
	for (unsigned int i = 0; i < 16; i++)
		if ((a->s6_addr[i] ^ n->s6_addr[i]) & m->s6_addr[i])
			return false;
	return true;
}

/*
 * The address an IPv6 unicast role sends from: the interface's own
 * address on the peer's subnet, not a /128 on it.  The kernel would
 * prefer a floating /128 (a VIP the twin holds: RFC 6724's longest
 * match), whose owner moves and which the peer does not expect
 * (wrong_peer); IPv4 sends from the subnet's primary address anyway.
 * any: none found (the kernel chooses).
 */
static struct in6_addr
unicast_src6(const struct sync_role *r)
{
	static const uint8_t host[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					  0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					  0xff, 0xff, 0xff, 0xff };	/* /128 */
	const struct in6_addr *peer = &r->dst.in6.sin6_addr;
	struct in6_addr src = in6addr_any;
	struct ifaddrs *all, *i;

	if (r->p.ifname[0] == '\0' || getifaddrs(&all) != 0)
		return src;
	for (i = all; i != NULL; i = i->ifa_next) {
		const struct sockaddr_in6 *a = (void *)i->ifa_addr;
		const struct sockaddr_in6 *m = (void *)i->ifa_netmask;

		if (a == NULL || m == NULL || a->sin6_family != AF_INET6 ||
		    strcmp(i->ifa_name, r->p.ifname) != 0 ||
		    memcmp(&m->sin6_addr, host, sizeof(host)) == 0 ||
		    !same_net6(peer, &a->sin6_addr, &m->sin6_addr))
			continue;
		src = a->sin6_addr;
		break;
	}
	freeifaddrs(all);
	return src;
}

/* Bound to the group (or for a peer: any address, or IPv6 this node's
 * own on the peer's subnet) and the port. */
static int
sock_bind(struct sync_role *r, int fd, char *err, size_t len)
{
	char buf[INET6_ADDRSTRLEN + 8];
	struct sync_role local = *r;

	if (r->unicast && r->dst.sa.sa_family == AF_INET6) {
		local.dst.in6.sin6_addr = unicast_src6(r);
		if (!IN6_IS_ADDR_LINKLOCAL(&local.dst.in6.sin6_addr))
			local.dst.in6.sin6_scope_id = 0;
	} else if (r->unicast) {
		local.dst.in.sin_addr.s_addr = htonl(INADDR_ANY);
	}
	if (bind(fd, &local.dst.sa, local.dst_len) == 0)
		return 0;
	snprintf(err, len, "bind %s: %s", dst_fmt(&local, buf, sizeof(buf)),
		 strerror(errno));
	return -errno;
}

static int
sock_setup4(struct sync_role *r, int fd, unsigned int ifindex, char *err,
	    size_t len)
{
	struct ip_mreqn mr = { .imr_multiaddr = r->dst.in.sin_addr,
			       .imr_ifindex = (int)ifindex };
	int zero = 0, ttl = r->ttl;
	int pmtu = IP_PMTUDISC_DONT;	/* as IPVS: fragment if need be */
	int ret;

	if ((ret = sock_opt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu,
			    sizeof(pmtu), "IP_MTU_DISCOVER", err, len)) != 0)
		return ret;
	if (r->unicast)
		return sock_opt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl),
				"IP_TTL", err, len);
	if ((ret = sock_opt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr),
			    "IP_ADD_MEMBERSHIP", err, len)) != 0 ||
	    (ret = sock_opt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr),
			    "IP_MULTICAST_IF", err, len)) != 0 ||
	    (ret = sock_opt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &zero,
			    sizeof(zero), "IP_MULTICAST_LOOP", err, len)) != 0)
		return ret;
	return sock_opt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl),
			"IP_MULTICAST_TTL", err, len);
}

/* IPv6 as IPVS's: the hop limit for the TTL, the group joined on the
 * interface, local fragmentation rather than loss. */
static int
sock_setup6(struct sync_role *r, int fd, unsigned int ifindex, char *err,
	    size_t len)
{
	struct ipv6_mreq mr = { .ipv6mr_multiaddr = r->dst.in6.sin6_addr,
				.ipv6mr_interface = ifindex };
	int zero = 0, hops = r->ttl, ifi = (int)ifindex;
	int pmtu = IPV6_PMTUDISC_DONT;
	int ret;

	if ((ret = sock_opt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &pmtu,
			    sizeof(pmtu), "IPV6_MTU_DISCOVER", err, len)) != 0)
		return ret;
	if (r->unicast)
		return sock_opt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops,
				sizeof(hops), "IPV6_UNICAST_HOPS", err, len);
	if ((ret = sock_opt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof(mr),
			    "IPV6_JOIN_GROUP", err, len)) != 0 ||
	    (ret = sock_opt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifi,
			    sizeof(ifi), "IPV6_MULTICAST_IF", err, len)) != 0 ||
	    (ret = sock_opt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &zero,
			    sizeof(zero), "IPV6_MULTICAST_LOOP", err, len)) != 0)
		return ret;
	return sock_opt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops,
			sizeof(hops), "IPV6_MULTICAST_HOPS", err, len);
}

/* Bound to the group (or any address for a peer) and the port, on the
 * interface: the master sends from it and hears dump requests on it,
 * the backup reads the master's messages. */
static int
sock_setup(struct sync_role *r, int fd, unsigned int ifindex, char *err,
	   size_t len)
{
	bool v6 = r->dst.sa.sa_family == AF_INET6;
	int one = 1, ret;

	if ((ret = sock_common(r, fd, err, len)) != 0)
		return ret;
	/* an IPv6 socket hears IPv6 only: no IPv4-mapped peers */
	if (v6 && (ret = sock_opt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
				  sizeof(one), "IPV6_V6ONLY", err, len)) != 0)
		return ret;
	if ((ret = sock_bind(r, fd, err, len)) != 0)
		return ret;
	return v6 ? sock_setup6(r, fd, ifindex, err, len) :
		    sock_setup4(r, fd, ifindex, err, len);
}

static int
role_open(struct sync_role *r)
{
	unsigned int ifindex = 0, mtu = 0;
	char err[sizeof(r->error)];
	int fd, ret;

	role_resolve(r, 0, 0);		/* the family */
	fd = socket(r->dst.sa.sa_family,
		    SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, sizeof(err), "socket: %s", strerror(errno));
		ret = -errno;
		goto fail;
	}
	if (r->p.ifname[0] != '\0') {
		ifindex = if_nametoindex(r->p.ifname);
		if (ifindex == 0) {
			ret = -errno;
			snprintf(err, sizeof(err), "interface %s: %s",
				 r->p.ifname, strerror(errno));
			goto fail;
		}
		mtu = if_mtu(fd, r->p.ifname);
	} else if (!r->unicast) {
		ret = -EINVAL;
		snprintf(err, sizeof(err),
			 "a multicast group needs an interface (ifname)");
		goto fail;
	}
	role_resolve(r, mtu, ifindex);
	ret = sock_setup(r, fd, ifindex, err, sizeof(err));
	if (ret != 0)
		goto fail;
	r->fd = fd;
	if (r->error[0] != '\0')
		LOG_NOTICE("sync daemon: %s socket open now",
			   role_names[r - sync_st.role]);
	r->error[0] = '\0';
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	/* log each new reason once, then retry quietly */
	if (strcmp(err, r->error) != 0)
		LOG_WARN("sync daemon: %s: %s (retrying every %u ms)",
			 role_names[r - sync_st.role], err, SYNC_RETRY_MS);
	snprintf(r->error, sizeof(r->error), "%s", err);
	r->retry_ms = dp_now_ms() + SYNC_RETRY_MS;
	return ret;
}

static void
role_close(struct sync_role *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	r->error[0] = '\0';
}

void
sync_work(struct dp_ctx *dp, uint32_t bit, bool on)
{
	struct dp_sync_worker *s;
	unsigned int i;

	for (i = 0; i < dp->n_workers; i++) {
		s = &dp->workers[i].sync;
		__atomic_store_n(&s->work, on ? s->work | bit : s->work & ~bit,
				 __ATOMIC_RELEASE);
	}
}

int
sync_send(struct sync_role *r, const uint8_t *buf, size_t len)
{
	if (r->fd < 0)
		return -ENOTCONN;
	if (sendto(r->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL, &r->dst.sa,
		   r->dst_len) < 0)
		return -errno;
	return 0;
}

/* ---- roles ---- */

static void
role_stop(struct dp_ctx *dp, enum ha_sync_role role)
{
	if (role == HA_SYNC_MASTER)
		sync_tx_stop(dp);
	else
		sync_rx_stop(dp);
	role_close(&sync_st.role[role]);
	sync_st.role[role].running = false;
}

void
ha_sync_start(struct dp_ctx *dp, enum ha_sync_role role,
	      const struct ha_sync_params *p)
{
	struct sync_role *r = &sync_st.role[role];
	char dst[INET6_ADDRSTRLEN + 8];

	if (r->running)
		role_stop(dp, role);
	*r = (struct sync_role){ .running = true, .p = *p, .fd = -1,
				 .since_ms = dp_now_ms() };
	role_resolve(r, 0, 0);
	role_open(r);
	if (role == HA_SYNC_MASTER)
		sync_tx_start(dp);
	else
		sync_rx_start(dp);
	LOG_NOTICE("sync daemon: %s role started (interface %s, syncid %u, %s %s)",
		   role_names[role], p->ifname[0] ? p->ifname : "-", p->syncid,
		   r->unicast ? "peer" : "group", dst_fmt(r, dst, sizeof(dst)));
}

int
ha_sync_stop(struct dp_ctx *dp, enum ha_sync_role role)
{
	if (!sync_st.role[role].running)
		return -ESRCH;
	role_stop(dp, role);
	LOG_NOTICE("sync daemon: %s role stopped", role_names[role]);
	return 0;
}

void
ha_sync_shutdown(struct dp_ctx *dp)
{
	int i;

	for (i = 0; i < HA_SYNC_ROLES; i++)
		if (sync_st.role[i].running)
			role_stop(dp, (enum ha_sync_role)i);
}

const struct ha_sync_params *
ha_sync_get(enum ha_sync_role role, uint64_t *since_ms)
{
	if (!sync_st.role[role].running)
		return NULL;
	*since_ms = sync_st.role[role].since_ms;
	return &sync_st.role[role].p;
}

void
ha_sync_status(enum ha_sync_role role, struct ha_sync_status *st)
{
	const struct sync_role *r = &sync_st.role[role];

	*st = (struct ha_sync_status){
		.up = r->fd >= 0,
		.maxlen = r->maxlen,
		.ttl = r->ttl,
	};
	if (r->dst.sa.sa_family == AF_INET6) {
		st->dst.family = AF_INET6;
		st->dst.v6 = r->dst.in6.sin6_addr;
		st->port = ntohs(r->dst.in6.sin6_port);
	} else {
		st->dst = inet_addr_v4(r->dst.in.sin_addr.s_addr);
		st->port = ntohs(r->dst.in.sin_port);
	}
	snprintf(st->error, sizeof(st->error), "%s", r->error);
}

/* ---- counters and the main loop ---- */

void
ha_sync_get_stats(const struct dp_ctx *dp, struct ha_sync_stats *st)
{
	const struct dp_sync_worker *w;
	unsigned int i, k;

	*st = sync_st.st;
	for (i = 0; i < dp->n_workers; i++) {
		w = &dp->workers[i].sync;
		st->records_emitted += w->emitted;
		st->records_lost += w->ring_full;
		st->records_dumped += w->dumped;
		st->installed += w->installed;
		st->updated += w->updated;
		for (k = 0; k < SYNC_DROP_MAX; k++)
			st->drops[k] += w->drops[k];
		st->lag_sum_ms += w->lag_sum_ms;
		st->lag_n += w->lag_n;
		st->lag_max_ms = RTE_MAX(st->lag_max_ms, w->lag_max_ms);
	}
}

unsigned int
ha_sync_tick(struct dp_ctx *dp)
{
	uint64_t now = dp_now_ms();
	unsigned int i, work = 0;
	struct sync_role *r;

	for (i = 0; i < HA_SYNC_ROLES; i++) {
		r = &sync_st.role[i];
		if (r->running && r->fd < 0 && now >= r->retry_ms)
			role_open(r);
	}
	if (sync_st.role[HA_SYNC_MASTER].running)
		work += sync_tx_tick(dp, now);
	if (sync_st.role[HA_SYNC_MASTER].running ||
	    sync_st.role[HA_SYNC_BACKUP].running)
		work += sync_rx_tick(dp, now);
	return work;
}
