/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctl_verbs_conn: conn.list and conn.flush, the workers' connection
 * tables seen through conn_ctl's per-worker mailboxes (never read
 * directly).  Documented in docs/control-protocol.md.  The server's ctx
 * must be the struct dp_ctx.
 */
#ifndef DPLB_CTL_VERBS_CONN_H
#define DPLB_CTL_VERBS_CONN_H

#include <stddef.h>

#include "ctl/ctl_server.h"

/** The method table (served together with ctl_verbs_with_lb()). */
const struct ctl_method *ctl_verbs_conn(size_t *n);

#endif /* DPLB_CTL_VERBS_CONN_H */
