/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctl_verbs: the control protocol's methods over the dataplane
 * (hello, port, addr, route, neigh, lcore, drop, config, log).  Each is
 * documented with an example in docs/control-protocol.md.  They run on
 * the main lcore; workers see their effects through RCU-published
 * tables, never through a lock.
 */
#ifndef DPLB_CTL_VERBS_H
#define DPLB_CTL_VERBS_H

#include <stddef.h>

#include "ctl/ctl_server.h"

/** The method table; the server's ctx must be the struct dp_ctx. */
const struct ctl_method *ctl_verbs(size_t *n);

#endif /* DPLB_CTL_VERBS_H */
