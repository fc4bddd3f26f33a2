/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "log.h"
#include "net/netcfg.h"

static int
write_sysctl(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, value, strlen(value));
	close(fd);
	return n < 0 ? -errno : 0;
}

static int
link_up(const char *ifname)
{
	struct ifreq ifr = { 0 };
	int fd, ret = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		ret = -errno;
	} else {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
			ret = -errno;
	}
	close(fd);
	return ret;
}

int
twin_prepare(const char *ifname)
{
	char path[128];
	int ret;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/arp_ignore",
		 ifname);
	ret = write_sysctl(path, "8");
	if (ret < 0)
		LOG_WARN("twin %s: cannot set arp_ignore: %s", ifname,
			 strerror(-ret));
	return link_up(ifname);
}

struct nl_addr_req {
	struct nlmsghdr nh;
	struct ifaddrmsg ifa;
	char attrs[64];
};

static void
nl_put_attr(struct nlmsghdr *nh, unsigned short type, const void *data,
	    size_t len)
{
	struct rtattr *rta =
		(struct rtattr *)((char *)nh + NLMSG_ALIGN(nh->nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

/* Send one request and read the kernel's ack; returns 0 or -errno. */
static int
nl_transact(struct nlmsghdr *nh)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char buf[512];
	struct nlmsghdr *reply = (struct nlmsghdr *)buf;
	int fd, ret;
	ssize_t n;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (sendto(fd, nh, nh->nlmsg_len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0) {
		ret = -errno;
		goto out;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < (ssize_t)sizeof(*reply)) {
		ret = n < 0 ? -errno : -EIO;
		goto out;
	}
	ret = 0;
	if (reply->nlmsg_type == NLMSG_ERROR)
		ret = ((struct nlmsgerr *)NLMSG_DATA(reply))->error;
out:
	close(fd);
	return ret;
}

int
twin_addr(const char *ifname, const struct inet_prefix *p, bool add)
{
	struct nl_addr_req req = { 0 };
	unsigned int ifindex = if_nametoindex(ifname);
	size_t alen = p->addr.family == AF_INET ? 4 : 16;
	int ret;

	if (ifindex == 0)
		return -ENODEV;
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifa));
	req.nh.nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK |
			     (add ? NLM_F_CREATE | NLM_F_REPLACE : 0);
	req.ifa.ifa_family = p->addr.family;
	req.ifa.ifa_prefixlen = p->len;
	req.ifa.ifa_index = ifindex;
	/* dplbd answers Neighbor Discovery for the address and defends it:
	 * the kernel's duplicate address detection would only delay it */
	if (p->addr.family == AF_INET6)
		req.ifa.ifa_flags = IFA_F_NODAD;
	nl_put_attr(&req.nh, IFA_LOCAL, &p->addr.v6, alen);
	nl_put_attr(&req.nh, IFA_ADDRESS, &p->addr.v6, alen);
	ret = nl_transact(&req.nh);
	if ((add && ret == -EEXIST) || (!add && ret == -EADDRNOTAVAIL))
		ret = 0;
	return ret;
}
