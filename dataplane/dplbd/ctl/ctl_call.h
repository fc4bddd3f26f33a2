/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctl_call: parameter getters for method handlers, over a struct
 * ctl_call.  Each returns 0, or a negative errno with the reason in
 * call->errmsg ("params.<key>: ..."), so a handler can return it as is.
 */
#ifndef DPLB_CTL_CALL_H
#define DPLB_CTL_CALL_H

#include "ctl/ctl_server.h"
#include "inet.h"
#include "lb/rate_est.h"

/** -EINVAL if params holds a key outside the NULL-terminated list. */
int call_params_only(struct ctl_call *c, const char *const *allowed);

/** String parameter; a missing optional one leaves *out untouched. */
int call_param_str(struct ctl_call *c, const char *key, int required,
		   const char **out);

/** Unsigned integer parameter in 0..max. */
int call_param_uint(struct ctl_call *c, const char *key, int required,
		    unsigned long long max, unsigned long long *out);

/** Address parameter ("198.18.0.1"); missing optional: untouched. */
int call_param_addr(struct ctl_call *c, const char *key, int required,
		    struct inet_addr *a);

/** {"cps", "inpps", "outpps", "inbps", "outbps"}: rates per second
 * (bps in bytes, as ipvsadm --rate). */
struct json_object *rate_est_json(const struct rate_est *e);

#endif /* DPLB_CTL_CALL_H */
