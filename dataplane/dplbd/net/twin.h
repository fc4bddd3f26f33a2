/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * twin: the kernel side of a port's exception path.  The twin is a
 * net_tap interface with the port's MAC; these helpers set it up from
 * the kernel's point of view (link up, addresses, sysctls) over
 * rtnetlink and procfs.  Control plane only.
 */
#ifndef DPLB_TWIN_H
#define DPLB_TWIN_H

#include <stdbool.h>

#include "inet.h"

/** Bring the interface up and stop the kernel from answering ARP
 *  (dplbd answers for the twin's addresses). */
int twin_prepare(const char *ifname);

/** Add (add=true) or delete an address on the interface. 0 or -errno;
 *  adding an existing or deleting a missing address is not an error. */
int twin_addr(const char *ifname, const struct inet_prefix *p, bool add);

#endif /* DPLB_TWIN_H */
