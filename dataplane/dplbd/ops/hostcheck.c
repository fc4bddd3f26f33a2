/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hostcheck: the host's side of the configuration (ops/hostcheck.h).
 */
#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <ifaddrs.h>
#include <libgen.h>
#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/ethtool.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>

#include <rte_build_config.h>	/* RTE_EAL_PMD_PATH */

#include "config/config.h"
#include "log.h"
#include "ops/hostcheck.h"

#define PCI_DEVICES "/sys/bus/pci/devices"

/* Drivers through which DPDK reaches a PCI function: the user-space I/O
 * ones, and the kernel drivers of bifurcated NICs (mlx4/mlx5). */
static const char *const pci_dpdk_drivers[] = {
	"vfio-pci", "uio_pci_generic", "igb_uio", "mlx5_core", "mlx4_core",
};

static bool
has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int
hostcheck_iface(const char *devargs, char *ifname, size_t len)
{
	const char *p = devargs;
	size_t n;

	if (!has_prefix(devargs, "net_af_packet") &&
	    !has_prefix(devargs, "net_af_xdp"))
		return 0;
	while ((p = strchr(p, ',')) != NULL) {
		p++;
		if (!has_prefix(p, "iface="))
			continue;
		p += strlen("iface=");
		n = strcspn(p, ",");
		if (n == 0 || n >= len)
			return 0;
		memcpy(ifname, p, n);
		ifname[n] = '\0';
		return 1;
	}
	return 0;
}

/* "03:00.0" or "0000:03:00.0" (any case), as the config accepts them. */
static bool
pci_address(const char *dev, char *full, size_t len)
{
	size_t n = strcspn(dev, ","), i;

	if (has_prefix(dev, "net_") || (n != 7 && n != 12))
		return false;
	snprintf(full, len, "%s%.*s", n == 7 ? "0000:" : "", (int)n, dev);
	for (i = 0; full[i] != '\0'; i++) {
		if (!isxdigit((unsigned char)full[i]) && full[i] != ':' &&
		    full[i] != '.')
			return false;
		full[i] = (char)tolower((unsigned char)full[i]);
	}
	return true;
}

static int
check_pci(const struct cfg_port *p, const char *addr, char *err, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX];
	const char *drv;
	struct stat st;
	ssize_t n;
	size_t i;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s", addr);
	if (stat(path, &st) != 0) {
		snprintf(err, len, "%s: no PCI device %s on this host (lspci "
			 "-D lists them)", p->device_at, addr);
		return -ENODEV;
	}
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver", addr);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0) {
		snprintf(err, len, "%s: PCI device %s is bound to no driver: "
			 "bind it to vfio-pci (dpdk-devbind.py -b vfio-pci %s)",
			 p->device_at, addr, addr);
		return -ENODEV;
	}
	link[n] = '\0';
	drv = basename(link);
	for (i = 0; i < sizeof(pci_dpdk_drivers) / sizeof(pci_dpdk_drivers[0]);
	     i++)
		if (strcmp(drv, pci_dpdk_drivers[i]) == 0)
			return 0;
	snprintf(err, len, "%s: PCI device %s is bound to the kernel driver "
		 "%s, which DPDK cannot use: bind it to vfio-pci "
		 "(dpdk-devbind.py -b vfio-pci %s)", p->device_at, addr, drv,
		 addr);
	return -ENODEV;
}

/* DPDK loads its drivers as plugins from RTE_EAL_PMD_PATH; a vdev whose
 * driver's package is missing fails to probe with "failed to parse
 * device" and EFAULT, which names neither the driver nor the package.
 * Skipped with EAL -d arguments (plugins from elsewhere) or without the
 * directory (a static DPDK). */
static int
check_vdev_driver(const struct dplb_config *cfg, const struct cfg_port *p,
		  char *err, size_t len)
{
#ifdef RTE_EAL_PMD_PATH
	char drv[64], pattern[PATH_MAX], pkg[96];
	size_t n = strcspn(p->device, ","), i;
	struct stat st;
	glob_t g;
	int found;

	if (!has_prefix(p->device, "net_") || n >= sizeof(drv) ||
	    stat(RTE_EAL_PMD_PATH, &st) != 0)
		return 0;
	for (i = 0; i < cfg->n_eal_args; i++)
		if (has_prefix(cfg->eal_args[i], "-d"))
			return 0;
	memcpy(drv, p->device, n);
	while (n > 0 && isdigit((unsigned char)drv[n - 1]))
		n--;
	drv[n] = '\0';
	snprintf(pattern, sizeof(pattern), RTE_EAL_PMD_PATH "/librte_%s.so*",
		 drv);
	found = glob(pattern, 0, NULL, &g) == 0;
	if (found)
		globfree(&g);
	if (found)
		return 0;
	/* Debian's package: librte-net-af-packet23 for ABI 23 */
	snprintf(pkg, sizeof(pkg), "librte-%s%s", drv,
		 strstr(RTE_EAL_PMD_PATH, "pmds-23") ? "23" : "");
	for (i = 0; pkg[i] != '\0'; i++)
		if (pkg[i] == '_')
			pkg[i] = '-';
	snprintf(err, len, "%s: DPDK's %s driver is not installed (no %s): "
		 "install it (Debian: apt install %s)", p->device_at, drv,
		 pattern, pkg);
	return -ENOENT;
#else
	(void)cfg, (void)p, (void)err, (void)len;
	return 0;
#endif
}

int
hostcheck_devices(const struct dplb_config *cfg, char *err, size_t len)
{
	char ifname[IF_NAMESIZE], pci[32];
	unsigned int i;
	int ret;

	for (i = 0; i < cfg->n_ports; i++) {
		const struct cfg_port *p = &cfg->ports[i];

		ret = check_vdev_driver(cfg, p, err, len);
		if (ret != 0)
			return ret;
		if (hostcheck_iface(p->device, ifname, sizeof(ifname))) {
			if (if_nametoindex(ifname) != 0)
				continue;
			snprintf(err, len, "%s: no network interface '%s' on "
				 "this host (%s reads an existing kernel "
				 "interface: create it or name another; ip "
				 "link lists them)", p->device_at, ifname,
				 has_prefix(p->device, "net_af_xdp") ?
				 "net_af_xdp" : "net_af_packet");
			return -ENODEV;
		}
		if (pci_address(p->device, pci, sizeof(pci))) {
			ret = check_pci(p, pci, err, len);
			if (ret != 0)
				return ret;
		}
	}
	return 0;
}

/* --- kernel settings -------------------------------------------------- */

/* An integer sysctl under /proc/sys/net, or -1 when absent. */
static int
sysctl_net(const char *fmt, const char *ifname)
{
	char path[PATH_MAX];
	FILE *f;
	int v;

	snprintf(path, sizeof(path), "/proc/sys/net/");
	snprintf(path + strlen(path), sizeof(path) - strlen(path), fmt, ifname);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* The kernel applies the larger of conf/all and conf/IFACE. */
static int
sysctl_effective(const char *key, const char *ifname)
{
	char fmt[64];
	int all, one;

	snprintf(fmt, sizeof(fmt), "ipv4/conf/all/%s", key);
	all = sysctl_net(fmt, "");
	snprintf(fmt, sizeof(fmt), "ipv4/conf/%%s/%s", key);
	one = sysctl_net(fmt, ifname);
	return all > one ? all : one;
}

static int
ethtool(int fd, const char *ifname, void *data)
{
	struct ifreq ifr = { 0 };

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = data;
	return ioctl(fd, SIOCETHTOOL, &ifr);
}

/*
 * The ifindex of a veth's peer when that peer is in our network
 * namespace, else 0: rtnetlink's IFLA_LINK names the peer, and
 * IFLA_LINK_NETNSID comes with it when the peer lives in another
 * namespace (where its index means nothing here).
 */
static unsigned int
local_veth_peer(int fd, const char *ifname)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
	} req = {
		.nh = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
			.nlmsg_type = RTM_GETLINK, .nlmsg_flags = NLM_F_REQUEST,
			.nlmsg_seq = 1 },
		.ifi = { .ifi_family = AF_UNSPEC,
			 .ifi_index = (int)if_nametoindex(ifname) },
	};
	char buf[16384] __attribute__((aligned(4)));
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	unsigned int peer = 0;
	bool other_ns = false;
	struct rtattr *rta;
	int nl, len;
	ssize_t n;

	if (ethtool(fd, ifname, &info) != 0 || strcmp(info.driver, "veth") != 0)
		return 0;
	nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl < 0)
		return 0;
	n = send(nl, &req, req.nh.nlmsg_len, 0) < 0 ? -1 :
	    recv(nl, buf, sizeof(buf), 0);
	close(nl);
	if (n <= 0 || !NLMSG_OK(nh, (size_t)n) || nh->nlmsg_type != RTM_NEWLINK)
		return 0;
	len = (int)IFLA_PAYLOAD(nh);
	for (rta = IFLA_RTA(NLMSG_DATA(nh)); RTA_OK(rta, len);
	     rta = RTA_NEXT(rta, len)) {
		if (rta->rta_type == IFLA_LINK &&
		    RTA_PAYLOAD(rta) >= sizeof(uint32_t))
			peer = *(uint32_t *)RTA_DATA(rta);
		else if (rta->rta_type == IFLA_LINK_NETNSID)
			other_ns = true;
	}
	return other_ns ? 0 : peer;
}

static unsigned int
check_veth_peer(int fd, const char *port, const char *ifname)
{
	struct ethtool_value tx = { .cmd = ETHTOOL_GTXCSUM };
	unsigned int peer = local_veth_peer(fd, ifname);
	char pname[IF_NAMESIZE];

	if (peer == 0 || if_indextoname(peer, pname) == NULL)
		return 0;	/* no veth, or its peer lives elsewhere */
	if (ethtool(fd, pname, &tx) != 0 || tx.data == 0)
		return 0;
	LOG_WARN("port %s: %s's veth peer %s has tx checksum offload on: "
		 "what it sends reaches dplbd with checksums not filled in "
		 "and the real servers drop it; turn it off: ethtool -K %s tx "
		 "off", port, ifname, pname, pname);
	return 1;
}

/* IPv4 addresses (IPv6 ones are reported as "IPv6 is on"). */
static unsigned int
check_addresses(const char *port, const char *ifname)
{
	char buf[INET_ADDRSTRLEN];
	struct ifaddrs *ifa, *a;
	unsigned int warned = 0;

	if (getifaddrs(&ifa) != 0)
		return 0;
	for (a = ifa; a != NULL; a = a->ifa_next) {
		if (strcmp(a->ifa_name, ifname) != 0 || a->ifa_addr == NULL ||
		    a->ifa_addr->sa_family != AF_INET)
			continue;
		inet_ntop(AF_INET,
			  &((struct sockaddr_in *)a->ifa_addr)->sin_addr, buf,
			  sizeof(buf));
		LOG_WARN("port %s: interface %s has the address %s: the kernel "
			 "answers for it on the port beside dplbd; remove it "
			 "(ip addr flush dev %s) and give the address to the "
			 "port (ports[].addresses)", port, ifname, buf, ifname);
		warned++;
	}
	freeifaddrs(ifa);
	return warned;
}

static unsigned int
check_sysctls(const char *port, const char *ifname)
{
	unsigned int warned = 0;
	int v;

	if (sysctl_net("ipv6/conf/%s/disable_ipv6", ifname) == 0) {
		LOG_WARN("port %s: IPv6 is on for interface %s: the kernel "
			 "sends its own neighbour discovery there and takes "
			 "IPv6 meant for dplbd; turn it off: sysctl -w "
			 "net.ipv6.conf.%s.disable_ipv6=1", port, ifname,
			 ifname);
		warned++;
	}
	v = sysctl_effective("rp_filter", ifname);
	if (v != 1 && v >= 0) {
		LOG_WARN("port %s: rp_filter on %s is %d: the kernel then "
			 "takes in the IPv4 that dplbd serves (and may answer "
			 "clients with RSTs for a VIP); make it strict: sysctl "
			 "-w net.ipv4.conf.%s.rp_filter=1%s", port, ifname, v,
			 ifname, v == 2 ? " (and net.ipv4.conf.all.rp_filter "
			 "at most 1)" : "");
		warned++;
	}
	v = sysctl_effective("arp_ignore", ifname);
	if (v != 8 && v >= 0) {
		LOG_WARN("port %s: arp_ignore on %s is %d: the kernel may "
			 "answer ARP there beside dplbd; stop it: sysctl -w "
			 "net.ipv4.conf.%s.arp_ignore=8", port, ifname, v,
			 ifname);
		warned++;
	}
	return warned;
}

static unsigned int
check_iface(int fd, const char *port, const char *ifname)
{
	struct ifreq ifr = { 0 };
	unsigned int warned = 0;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) != 0) {
		LOG_WARN("port %s: cannot read interface %s: %s", port, ifname,
			 strerror(errno));
		return 1;
	}
	if (!(ifr.ifr_flags & IFF_UP)) {
		LOG_WARN("port %s: interface %s is down: ip link set %s up",
			 port, ifname, ifname);
		warned++;
	}
	warned += check_addresses(port, ifname);
	warned += check_sysctls(port, ifname);
	warned += check_veth_peer(fd, port, ifname);
	return warned;
}

unsigned int
hostcheck_kernel(const struct dplb_config *cfg)
{
	char ifname[IF_NAMESIZE];
	unsigned int i, warned = 0;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return 0;
	for (i = 0; i < cfg->n_ports; i++)
		if (hostcheck_iface(cfg->ports[i].device, ifname,
				    sizeof(ifname)))
			warned += check_iface(fd, cfg->ports[i].name, ifname);
	close(fd);
	if (warned > 0)
		LOG_WARN("%u kernel setting(s) of af_packet/af_xdp ports to fix; "
			 "see dplbd.conf(5), \"Ports on kernel interfaces\"",
			 warned);
	return warned;
}
