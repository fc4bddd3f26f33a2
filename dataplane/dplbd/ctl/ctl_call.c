/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>

#include "ctl/ctl_call.h"
#include "ctl/ctl_proto.h"

int
call_params_only(struct ctl_call *c, const char *const *allowed)
{
	return ctl_params_only(c->params, allowed, c->errmsg,
			       sizeof(c->errmsg));
}

int
call_param_str(struct ctl_call *c, const char *key, int required,
	       const char **out)
{
	return ctl_param_str(c->params, key, required, out, c->errmsg,
			     sizeof(c->errmsg));
}

int
call_param_uint(struct ctl_call *c, const char *key, int required,
		unsigned long long max, unsigned long long *out)
{
	return ctl_param_uint(c->params, key, required, max, out, c->errmsg,
			      sizeof(c->errmsg));
}

int
call_param_addr(struct ctl_call *c, const char *key, int required,
		struct inet_addr *a)
{
	const char *s = NULL;
	int ret = call_param_str(c, key, required, &s);

	if (ret != 0 || s == NULL)
		return ret;
	if (inet_addr_parse(s, a) != 0)
		return ctl_call_fail(c, EINVAL,
				     "params.%s: '%s' is not an address", key,
				     s);
	return 0;
}

json_object *
rate_est_json(const struct rate_est *e)
{
	static const char *const names[RATE_EST_MAX] = {
		[RATE_CPS] = "cps", [RATE_INPPS] = "inpps",
		[RATE_OUTPPS] = "outpps", [RATE_INBPS] = "inbps",
		[RATE_OUTBPS] = "outbps",
	};
	json_object *o = json_object_new_object();
	unsigned int i;

	for (i = 0; i < RATE_EST_MAX; i++)
		json_object_object_add(o, names[i], json_object_new_int64(
			(int64_t)rate_est_get(e, (enum rate_est_index)i)));
	return o;
}
