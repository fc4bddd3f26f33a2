/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctl_verbs_lb: the load balancer's control verbs (service.*, dest.*,
 * laddr.*, stats.*) over the store of lb_svc.h.  Documented with
 * examples in docs/control-protocol.md.  Main lcore only, like every
 * verb; the server's ctx must be the struct dp_ctx.
 */
#ifndef DPLB_CTL_VERBS_LB_H
#define DPLB_CTL_VERBS_LB_H

#include <stddef.h>

#include "ctl/ctl_server.h"

struct dp_ctx;

/** The method table (to be served together with ctl_verbs()). */
const struct ctl_method *ctl_verbs_lb(size_t *n);

/** ctl_verbs() followed by ctl_verbs_lb(): the table dplbd serves. */
const struct ctl_method *ctl_verbs_with_lb(size_t *n);

#endif /* DPLB_CTL_VERBS_LB_H */
