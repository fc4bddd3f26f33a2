/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hostcheck: what the configuration asks of this host, checked where an
 * operator sees it (dplbd --check-config, the start) rather than as a
 * bare errno from a DPDK driver later.
 *
 * hostcheck_devices() runs before DPDK starts: every port's device must
 * exist here: the kernel interface of a net_af_packet or net_af_xdp
 * device (iface=), the PCI function of a PCI address, bound to a driver
 * DPDK can use.  An error names the file, line and key of the device.
 *
 * hostcheck_kernel() runs once the ports are started and warns, one line
 * per finding with the command that fixes it, about the kernel settings
 * an af_packet or af_xdp port needs (docs/config.md, "Ports on kernel
 * interfaces"): the kernel sees the port's frames too, so the interface
 * must carry no address and no IPv6, and the kernel must drop what it
 * receives there (strict rp_filter) and never answer ARP (arp_ignore 8);
 * a veth whose peer sends from this host needs that peer's tx checksum
 * offload off, or dplbd reads frames whose checksums are not filled in.
 *
 * Both read /sys, /proc and ioctls only; neither changes anything.
 */
#ifndef DPLB_HOSTCHECK_H
#define DPLB_HOSTCHECK_H

#include <stddef.h>

struct dplb_config;

/**
 * The kernel interface that devargs names, for net_af_packet and
 * net_af_xdp devices: copies it into ifname and returns 1; 0 for other
 * devices (or no iface= argument).
 */
int hostcheck_iface(const char *devargs, char *ifname, size_t len);

/**
 * Every port's device exists on this host.  0, or -ENODEV with
 * "file:line: ports.[N].device: what is missing, and the fix" in err.
 */
int hostcheck_devices(const struct dplb_config *cfg, char *err, size_t len);

/**
 * Warn (LOG_WARN) about every kernel setting of the af_packet and af_xdp
 * ports' interfaces that lets the kernel interfere; returns how many
 * warnings were logged.
 */
unsigned int hostcheck_kernel(const struct dplb_config *cfg);

#endif /* DPLB_HOSTCHECK_H */
