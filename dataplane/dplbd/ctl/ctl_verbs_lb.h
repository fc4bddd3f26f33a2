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

/**
 * Create dp->lb for dp->n_workers workers on dp->qsv and apply the
 * laddr_groups and services of dp->cfg.  Call after the RCU variable
 * exists and before the control server serves.  0 or a negative errno
 * with a message in msg.
 */
int ctl_verbs_lb_init(struct dp_ctx *dp, char *msg, size_t len);

/** Free dp->lb; the workers must have stopped. */
void ctl_verbs_lb_fini(struct dp_ctx *dp);

/** The method table (to be served together with ctl_verbs()). */
const struct ctl_method *ctl_verbs_lb(size_t *n);

/** ctl_verbs() followed by ctl_verbs_lb(): the table dplbd serves. */
const struct ctl_method *ctl_verbs_with_lb(size_t *n);

#endif /* DPLB_CTL_VERBS_LB_H */
