/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config: the global, eal, dataplane, ip, timeouts and sync groups of
 * dplbd.conf, and their JSON.
 */

#include <ctype.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_priv.h"
#include "log.h"

/* --- global --------------------------------------------------------- */

static int
global_log_level(struct ctx *c, const config_setting_t *s, void *obj)
{
	int lvl = cfg_enum(c, s, log_level_parse, "must be one of err, "
			   "warning, notice, info, debug");

	if (lvl < 0)
		return lvl;
	c->cfg->log_level = lvl;
	return 0;
}

static int
global_control_socket(struct ctx *c, const config_setting_t *s, void *obj)
{
	char *dst = c->cfg->control_socket;

	if (cfg_copy_string(c, s, dst, sizeof(c->cfg->control_socket)) < 0)
		return -EINVAL;
	/* dplbd runs from / under systemd; a relative path is a mistake. */
	if (dst[0] != '/')
		return cfg_err(c, s, NULL, "must be an absolute path");
	return 0;
}

/* A string, so that "0660" cannot be read as the decimal 660. */
static int
global_socket_mode(struct ctx *c, const config_setting_t *s, void *obj)
{
	const char *v = cfg_string(c, s);
	unsigned long mode = 0;
	const char *p;

	if (v == NULL)
		return -EINVAL;
	if (*v == '\0' || strspn(v, "01234567") != strlen(v))
		return cfg_err(c, s, NULL,
			       "must be an octal mode like \"0660\"");
	for (p = v; *p != '\0' && mode <= 0777; p++)
		mode = mode * 8 + (unsigned long)(*p - '0');
	if (mode > 0777)
		return cfg_err(c, s, NULL, "must be at most 0777");
	c->cfg->socket_mode = (mode_t)mode;
	return 0;
}

static int
global_socket_group(struct ctx *c, const config_setting_t *s, void *obj)
{
	char *dst = c->cfg->socket_group;
	const char *p;

	if (cfg_copy_string(c, s, dst, sizeof(c->cfg->socket_group)) < 0)
		return -EINVAL;
	/* Resolved at start-up; here only what can never be a group name. */
	for (p = dst; *p != '\0'; p++)
		if (isspace((unsigned char)*p) || *p == ':' || *p == '/')
			return cfg_err(c, s, NULL, "invalid group name '%s'",
				       dst);
	return 0;
}

static const struct key global_keys[] = {
	FN_KEY("log_level", global_log_level),
	FN_KEY("control_socket", global_control_socket),
	FN_KEY("socket_mode", global_socket_mode),
	FN_KEY("socket_group", global_socket_group),
	UINT_KEY(struct dplb_config, "control_idle_timeout",
		 control_idle_timeout, 0, 86400),
	UINT_KEY(struct dplb_config, "control_max_per_uid",
		 control_max_per_uid, 0, 1024),
	UINT_KEY(struct dplb_config, "control_root_slots",
		 control_root_slots, 0, 1023),
};

const struct key_table cfg_global_keys = KEY_TABLE(global_keys);

/* --- eal ------------------------------------------------------------ */

/* "0-3,5" as EAL's -l takes it; checked here so the error names the key. */
static bool
cpu_list_valid(const char *s)
{
	unsigned long lo, hi;
	char *end;

	if (*s == '\0')
		return true;
	for (;;) {
		if (!isdigit((unsigned char)*s))
			return false;
		lo = strtoul(s, &end, 10);
		hi = lo;
		s = end;
		if (*s == '-') {
			if (!isdigit((unsigned char)*++s))
				return false;
			hi = strtoul(s, &end, 10);
			s = end;
		}
		if (lo > hi || hi >= CPU_SETSIZE)
			return false;
		if (*s == '\0')
			return true;
		if (*s++ != ',')
			return false;
	}
}

static int
eal_cpus(struct ctx *c, const config_setting_t *s, void *obj)
{
	char *dst = c->cfg->cpus;

	if (cfg_copy_string(c, s, dst, sizeof(c->cfg->cpus)) < 0)
		return -EINVAL;
	if (!cpu_list_valid(dst))
		return cfg_err(c, s, NULL,
			       "invalid cpu list '%s' (expected e.g. \"0-3,5\")",
			       dst);
	return 0;
}

static int
eal_args(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct dplb_config *cfg = c->cfg;
	int i, n = cfg_string_list(c, s, CFG_MAX_EAL_ARGS, "arguments");

	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);

		if (cfg_copy_string(c, e, cfg->eal_args[i],
				sizeof(cfg->eal_args[i])) < 0)
			return -EINVAL;
		if (cfg->eal_args[i][0] == '\0')
			return cfg_err(c, e, NULL, "must not be empty");
	}
	cfg->n_eal_args = (unsigned int)n;
	return 0;
}

static const struct key eal_keys[] = {
	BOOL_KEY(struct dplb_config, "hugepages", hugepages),
	UINT_KEY(struct dplb_config, "memory_mb", memory_mb, 0, 1048576),
	UINT_KEY(struct dplb_config, "nr_hugepages", nr_hugepages, 0, 1048576),
	FN_KEY("cpus", eal_cpus),
	FN_KEY("args", eal_args),
};

/* --- dataplane, ip -------------------------------------------------- */

static const struct key dataplane_keys[] = {
	UINT_KEY(struct dplb_config, "workers", workers, 1, 64),
	UINT_KEY(struct dplb_config, "idle_sleep_max_us", idle_sleep_max_us,
		 0, 100000),
	UINT_KEY(struct dplb_config, "burst", burst, 1, 512),
	UINT_KEY(struct dplb_config, "mbufs", mbufs, 1023, 16777215),
	UINT_KEY(struct dplb_config, "max_routes", max_routes, 16, 1048576),
	UINT_KEY(struct dplb_config, "max_conns", max_conns, 1024, 1u << 28),
	UINT_KEY(struct dplb_config, "max_conns6", max_conns6, 0, 1u << 26),
	BOOL_KEY(struct dplb_config, "lport_random", lport_random),
	BOOL_KEY(struct dplb_config, "lport_keep", lport_keep),
};

const struct key_table cfg_dataplane_keys = KEY_TABLE(dataplane_keys);

static const struct key ip_keys[] = {
	BOOL_KEY(struct dplb_config, "forward", ip_forward),
	UINT_KEY(struct dplb_config, "icmp_rate", icmp_rate, 0, 1000000),
	UINT_KEY(struct dplb_config, "icmp_burst", icmp_burst, 1, 1000000),
	UINT_KEY(struct dplb_config, "frag_max", frag_max, 0, 65536),
	UINT_KEY(struct dplb_config, "frag_mem_kb", frag_mem_kb, 64, 1048576),
	UINT_KEY(struct dplb_config, "frag_timeout_ms", frag_timeout_ms, 100,
		 120000),
};

const struct key_table cfg_ip_keys = KEY_TABLE(ip_keys);

/* ha: HA_LEASE_GRACE_MS_MAX of ha/vip.h */
static const struct key ha_keys[] = {
	UINT_KEY(struct dplb_config, "lease_grace_ms", lease_grace_ms, 0, 60000),
};

const struct key_table cfg_ha_keys = KEY_TABLE(ha_keys);

static const struct key synproxy_keys[] = {
	UINT_KEY(struct dplb_config, "period", synproxy_period, 0, 3600),
	UINT_KEY(struct dplb_config, "seed", synproxy_seed, 0, 0xffffffffu),
	UINT_KEY(struct dplb_config, "mss", synproxy_mss, 536, 9000),
	UINT_KEY(struct dplb_config, "wscale", synproxy_wscale, 0, 14),
};

const struct key_table cfg_synproxy_keys = KEY_TABLE(synproxy_keys);

/* The eal group, and what its keys mean together. */
int
cfg_top_eal(struct ctx *c, const config_setting_t *s, void *obj)
{
	const struct dplb_config *cfg = c->cfg;
	const config_setting_t *nr;
	int rc = PARSE_GROUP(c, s, eal_keys, obj);

	if (rc != 0 || cfg->nr_hugepages == 0)
		return rc;
	nr = config_setting_get_member(s, "nr_hugepages");
	/* A reservation nothing would use, or one too small to start. */
	if (!cfg->hugepages)
		return cfg_err(c, nr, NULL, "needs hugepages = true");
	if (cfg->memory_mb > 2ull * cfg->nr_hugepages)
		return cfg_err(c, nr, NULL,
			       "memory_mb = %u needs at least %u pages of 2 MiB",
			       cfg->memory_mb, (cfg->memory_mb + 1) / 2);
	return 0;
}

/* --- timeouts ------------------------------------------------------- */

/* Up to 10 days: the connection wheel compares times below 2^31 ms. */
#define TIMEOUT_MAX 864000
#define TCP_TIMEOUT_KEY(name, st) \
	UINT_KEY(struct dplb_config, name, timeouts.tcp[st], 1, TIMEOUT_MAX)

static const struct key timeout_tcp_keys[] = {
	TCP_TIMEOUT_KEY("none", TCP_S_NONE),
	TCP_TIMEOUT_KEY("established", TCP_S_ESTABLISHED),
	TCP_TIMEOUT_KEY("syn_sent", TCP_S_SYN_SENT),
	TCP_TIMEOUT_KEY("syn_recv", TCP_S_SYN_RECV),
	TCP_TIMEOUT_KEY("fin_wait", TCP_S_FIN_WAIT),
	TCP_TIMEOUT_KEY("time_wait", TCP_S_TIME_WAIT),
	TCP_TIMEOUT_KEY("close", TCP_S_CLOSE),
	TCP_TIMEOUT_KEY("close_wait", TCP_S_CLOSE_WAIT),
	TCP_TIMEOUT_KEY("last_ack", TCP_S_LAST_ACK),
	TCP_TIMEOUT_KEY("listen", TCP_S_LISTEN),
	TCP_TIMEOUT_KEY("synack", TCP_S_SYNACK),
};

static const struct key timeout_udp_keys[] = {
	UINT_KEY(struct dplb_config, "oneway", timeouts.udp[UDP_ONEWAY], 1,
		 TIMEOUT_MAX),
	UINT_KEY(struct dplb_config, "normal", timeouts.udp[UDP_NORMAL], 1,
		 TIMEOUT_MAX),
};

static const struct key_table timeout_tcp = KEY_TABLE(timeout_tcp_keys);
static const struct key_table timeout_udp = KEY_TABLE(timeout_udp_keys);

static const struct key timeout_keys[] = {
	GROUP_KEY("tcp", timeout_tcp),
	GROUP_KEY("udp", timeout_udp),
	UINT_KEY(struct dplb_config, "lport_guard", lport_guard, 1, 3600),
};

const struct key_table cfg_timeout_keys = KEY_TABLE(timeout_keys);

/* --- metrics -------------------------------------------------------- */

/* Where the Prometheus endpoint listens: any address of the kernel side
 * (loopback, a twin's address, a management interface's), IPv6 too. */
static int
metrics_address(struct ctx *c, const config_setting_t *s, void *obj)
{
	char *dst = c->cfg->metrics_address;
	struct inet_addr a;

	if (cfg_copy_string(c, s, dst, sizeof(c->cfg->metrics_address)) < 0)
		return -EINVAL;
	if (inet_addr_parse(dst, &a) < 0)
		return cfg_err(c, s, NULL, "invalid address '%s' (expected "
			       "e.g. \"127.0.0.1\" or \"::1\")", dst);
	return 0;
}

static const struct key metrics_keys[] = {
	BOOL_KEY(struct dplb_config, "enabled", metrics_enabled),
	FN_KEY("address", metrics_address),
	UINT_KEY(struct dplb_config, "port", metrics_port, 1, 65535),
};

const struct key_table cfg_metrics_keys = KEY_TABLE(metrics_keys);
/* --- sync ---------------------------------------------------------- */

static const struct key sync_keys[] = {
	UINT_KEY(struct dplb_config, "threshold", sync_threshold, 0, 65534),
	UINT_KEY(struct dplb_config, "period", sync_period, 0, 65534),
	UINT_KEY(struct dplb_config, "refresh_period", sync_refresh_period, 0,
		 3600),
	UINT_KEY(struct dplb_config, "retries", sync_retries, 0, 3),
	UINT_KEY(struct dplb_config, "full_refresh", sync_full_refresh, 0,
		 86400),
	UINT_KEY(struct dplb_config, "dump_rate", sync_dump_rate, 1000,
		 100000000),
};

const struct key_table cfg_sync_keys = KEY_TABLE(sync_keys);

/* The sync group: IPVS's sync_threshold is below its period. */
int
cfg_top_sync(struct ctx *c, const config_setting_t *s, void *obj)
{
	const struct dplb_config *cfg = c->cfg;
	const config_setting_t *t;
	int rc = PARSE_GROUP(c, s, sync_keys, obj);

	if (rc != 0 || cfg->sync_period == 0 ||
	    cfg->sync_threshold < cfg->sync_period)
		return rc;
	t = config_setting_get_member(s, "threshold");
	return cfg_err(c, t != NULL ? t : s, t != NULL ? NULL : "threshold",
		       "%u must be below period (%u)", cfg->sync_threshold,
		       cfg->sync_period);
}

/* --- JSON ----------------------------------------------------------- */

json_object *
cfg_metrics_json(const struct dplb_config *cfg)
{
	json_object *o = json_object_new_object();

	KEYS_TO_JSON(o, metrics_keys, cfg);
	cfg_add_str(o, "address", cfg->metrics_address);
	return o;
}

json_object *
cfg_global_json(const struct dplb_config *cfg)
{
	json_object *o = json_object_new_object();
	char mode[8];

	cfg_add_str(o, "log_level", log_level_name(cfg->log_level));
	cfg_add_str(o, "control_socket", cfg->control_socket);
	snprintf(mode, sizeof(mode), "%04o", (unsigned int)cfg->socket_mode);
	cfg_add_str(o, "socket_mode", mode);
	cfg_add_str(o, "socket_group", cfg->socket_group);
	KEYS_TO_JSON(o, global_keys, cfg);
	return o;
}

json_object *
cfg_eal_json(const struct dplb_config *cfg)
{
	json_object *o = json_object_new_object();
	json_object *args = json_object_new_array();
	unsigned int i;

	KEYS_TO_JSON(o, eal_keys, cfg);
	cfg_add_str(o, "cpus", cfg->cpus);
	for (i = 0; i < cfg->n_eal_args; i++)
		json_object_array_add(args,
				      json_object_new_string(cfg->eal_args[i]));
	json_object_object_add(o, "args", args);
	return o;
}
