/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config: dplbd.conf (libconfig) into a validated struct dplb_config.
 *
 * Every group is described by a table of its keys.  parse_group()
 * rejects members the table does not name and dispatches the others:
 * ranged integers and booleans are handled by the table itself, the
 * rest by a small handler.  Adding a key is one table line (plus a
 * handler when it is neither), and config_to_json() walks the same
 * tables so the JSON view cannot drift from the parser.
 *
 * Parsing stops at the first error: one precise message is worth more
 * than a cascade of follow-up errors.  The result is built in a scratch
 * copy, so a failed (re)load leaves the caller's configuration intact.
 */
#include <ctype.h>
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "config/config.h"
#include "log.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define CFG_MAX_FILE_SIZE (16u << 20)	/* /dev/zero must not hang us */

/* Parsing state: where messages go and what is known so far. */
struct ctx {
	const char *name;		/* file name for messages */
	const char *include_dir;	/* for relative @include names */
	char *err;
	size_t errlen;
	struct dplb_config *cfg;	/* scratch result */
};

/* --- error reporting ------------------------------------------------ */

/*
 * The file a setting or syntax error comes from: ours, or one named by
 * @include, which libconfig reports as written there, so relative names
 * get the directory they were looked up in.
 */
static const char *
source_name(const struct ctx *c, const char *file, char *buf, size_t len)
{
	if (file == NULL)
		return c->name;
	if (file[0] == '/' || c->include_dir == NULL)
		return file;
	snprintf(buf, len, "%s/%s", c->include_dir, file);
	return buf;
}

/* libconfig-style key path of s: "ports.[0].addresses.[1]". */
static void
setting_path(const config_setting_t *s, char *buf, size_t len)
{
	const config_setting_t *parent = config_setting_parent(s);
	const char *name = config_setting_name(s);
	size_t n;

	buf[0] = '\0';
	if (parent == NULL)	/* the root has no name of its own */
		return;
	setting_path(parent, buf, len);
	n = strlen(buf);
	if (name != NULL)
		snprintf(buf + n, len - n, "%s%s", n ? "." : "", name);
	else
		snprintf(buf + n, len - n, "%s[%d]", n ? "." : "",
			 config_setting_index(s));
}

/* Control characters from the file (escaped in strings) would split the line. */
static void
one_line(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/*
 * Report "<file>:<line>: <path>[.child]: <message>" about setting s and
 * return -EINVAL.  child names a key missing from group s.
 */
static int __attribute__((format(printf, 4, 5)))
cfg_err(struct ctx *c, const config_setting_t *s, const char *child,
	const char *fmt, ...)
{
	char path[256], msg[CFG_ERR_LEN], file[PATH_MAX];
	size_t n;
	va_list ap;

	setting_path(s, path, sizeof(path));
	n = strlen(path);
	if (child != NULL)
		snprintf(path + n, sizeof(path) - n, "%s%s", n ? "." : "",
			 child);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(c->err, c->errlen, "%s:%u: %s: %s",
		 source_name(c, config_setting_source_file(s), file,
			     sizeof(file)),
		 (unsigned int)config_setting_source_line(s), path, msg);
	one_line(c->err);
	return -EINVAL;
}

/* --- key tables ----------------------------------------------------- */

typedef int (*key_fn)(struct ctx *c, const config_setting_t *s, void *obj);

enum key_kind {
	KEY_UINT,	/* integer in [min, max] stored in an unsigned field */
	KEY_BOOL,
	KEY_FN,		/* anything else: a handler */
};

struct key {
	const char *name;
	enum key_kind kind;
	size_t off;		/* KEY_UINT, KEY_BOOL: field in obj */
	size_t size;		/* KEY_UINT: sizeof the field */
	long long min, max;	/* KEY_UINT */
	key_fn fn;		/* KEY_FN */
};

#define UINT_KEY(type, key, field, lo, hi)                                  \
	{ key, KEY_UINT, offsetof(type, field),                             \
	  sizeof(((type *)0)->field), lo, hi, NULL }
#define BOOL_KEY(type, key, field)                                          \
	{ key, KEY_BOOL, offsetof(type, field), sizeof(bool), 0, 0, NULL }
#define FN_KEY(key, handler) { key, KEY_FN, 0, 0, 0, 0, handler }

static void
uint_store(void *field, size_t size, unsigned int v)
{
	if (size == sizeof(uint16_t))
		*(uint16_t *)field = (uint16_t)v;
	else
		*(unsigned int *)field = v;
}

static unsigned int
uint_load(const void *field, size_t size)
{
	if (size == sizeof(uint16_t))
		return *(const uint16_t *)field;
	return *(const unsigned int *)field;
}

static int
parse_uint(struct ctx *c, const config_setting_t *s, const struct key *k,
	   void *obj)
{
	long long v;

	/* libconfig promotes big literals (and "L" ones) to INT64. */
	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64)
		return cfg_err(c, s, NULL, "must be an integer");
	v = config_setting_get_int64(s);
	if (v < k->min || v > k->max)
		return cfg_err(c, s, NULL, "must be between %lld and %lld",
			       k->min, k->max);
	uint_store((char *)obj + k->off, k->size, (unsigned int)v);
	return 0;
}

static int
parse_key(struct ctx *c, const config_setting_t *s, const struct key *k,
	  void *obj)
{
	switch (k->kind) {
	case KEY_UINT:
		return parse_uint(c, s, k, obj);
	case KEY_BOOL:
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			return cfg_err(c, s, NULL, "must be a boolean");
		*(bool *)((char *)obj + k->off) = config_setting_get_bool(s);
		return 0;
	case KEY_FN:
		return k->fn(c, s, obj);
	}
	return -EINVAL;
}

static const struct key *
find_key(const struct key *keys, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/*
 * Parse group g into obj.  Keys are handled in table order, not file
 * order, so that ports are known before routes and neighbours refer to
 * them whatever order the file uses.
 */
static int
parse_group(struct ctx *c, const config_setting_t *g, const struct key *keys,
	    size_t n, void *obj)
{
	const config_setting_t *s;
	unsigned int i;
	size_t k;
	int rc;

	if (!config_setting_is_group(g))
		return cfg_err(c, g, NULL, "must be a group { ... }");
	/* Typos first: a misspelt key would otherwise keep its default. */
	for (i = 0; (s = config_setting_get_elem(g, i)) != NULL; i++)
		if (find_key(keys, n, config_setting_name(s)) == NULL)
			return cfg_err(c, s, NULL, "unknown key");
	for (k = 0; k < n; k++) {
		s = config_setting_get_member(g, keys[k].name);
		if (s == NULL)
			continue;
		rc = parse_key(c, s, &keys[k], obj);
		if (rc < 0)
			return rc;
	}
	return 0;
}

#define PARSE_GROUP(c, g, keys, obj) \
	parse_group(c, g, keys, ARRAY_SIZE(keys), obj)

/*
 * The elements of list s (at most max of them, each a group), or -1
 * after reporting.  An empty array "[ ]" is accepted as an empty list.
 */
static int
list_length(struct ctx *c, const config_setting_t *s, int max,
	    const char *what)
{
	int n = config_setting_length(s);

	if (!config_setting_is_list(s) &&
	    !(config_setting_is_array(s) && n == 0))
		return cfg_err(c, s, NULL, "must be a list ( ... )");
	if (n > max)
		return cfg_err(c, s, NULL, "at most %d %s", max, what);
	return n;
}

/* --- strings and addresses ------------------------------------------ */

/* The string value of s, or NULL after reporting a type error. */
static const char *
get_string(struct ctx *c, const config_setting_t *s)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		cfg_err(c, s, NULL, "must be a string");
		return NULL;
	}
	return config_setting_get_string(s);
}

/* Copy string s into dst[size]; longer strings are errors, not truncated. */
static int
copy_string(struct ctx *c, const config_setting_t *s, char *dst, size_t size)
{
	const char *v = get_string(c, s);

	if (v == NULL)
		return -EINVAL;
	if (strlen(v) >= size)
		return cfg_err(c, s, NULL, "must be at most %zu characters",
			       size - 1);
	strcpy(dst, v);
	return 0;
}

/* The check for both kinds of list element: an array or a list of strings. */
static int
string_list(struct ctx *c, const config_setting_t *s, int max,
	    const char *what)
{
	int i, n = config_setting_length(s);

	if (!config_setting_is_aggregate(s) || config_setting_is_group(s))
		return cfg_err(c, s, NULL, "must be a list of strings");
	for (i = 0; i < n; i++)
		if (config_setting_type(config_setting_get_elem(s, i)) !=
		    CONFIG_TYPE_STRING)
			return cfg_err(c, s, NULL,
				       "must be a list of strings");
	if (n > max)
		return cfg_err(c, s, NULL, "at most %d %s", max, what);
	return n;
}

/* Port and twin names: Linux interface name rules, kept to a safe set. */
static bool
ifname_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= CFG_IFNAMSIZ || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return false;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789_.-") == n;
}

/* One parse for every IPv4-only address key; 0 or -EINVAL reported. */
static int
parse_addr(struct ctx *c, const config_setting_t *s, struct inet_addr *a)
{
	const char *v = get_string(c, s);

	if (v == NULL)
		return -EINVAL;
	if (inet_addr_parse(v, a) < 0)
		return cfg_err(c, s, NULL, "invalid address '%s'", v);
	if (a->family != AF_INET)
		return cfg_err(c, s, NULL,
			       "IPv6 is not supported by the dataplane yet");
	return 0;
}

static int
parse_prefix(struct ctx *c, const config_setting_t *s, struct inet_prefix *p)
{
	const char *v = get_string(c, s);

	if (v == NULL)
		return -EINVAL;
	if (inet_prefix_parse(v, p) < 0)
		return cfg_err(c, s, NULL,
			       "invalid prefix '%s' (expected a.b.c.d/len)", v);
	if (p->addr.family != AF_INET)
		return cfg_err(c, s, NULL,
			       "IPv6 is not supported by the dataplane yet");
	return 0;
}

/* Interface addresses and gateways: never 0/8, 127/8, multicast or broadcast. */
static bool
ipv4_unicast(const struct inet_addr *a)
{
	uint32_t h = ntohl(a->v4.s_addr);

	return (h >> 24) != 0 && (h >> 24) != 127 && (h >> 28) != 0xe &&
	       h != 0xffffffffu;
}

/* --- global --------------------------------------------------------- */

static int
global_log_level(struct ctx *c, const config_setting_t *s, void *obj)
{
	const char *v = get_string(c, s);
	int lvl;

	if (v == NULL)
		return -EINVAL;
	lvl = log_level_parse(v);
	if (lvl < 0)
		return cfg_err(c, s, NULL, "must be one of err, warning, "
				"notice, info, debug");
	c->cfg->log_level = lvl;
	return 0;
}

static int
global_control_socket(struct ctx *c, const config_setting_t *s, void *obj)
{
	char *dst = c->cfg->control_socket;

	if (copy_string(c, s, dst, sizeof(c->cfg->control_socket)) < 0)
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
	const char *v = get_string(c, s);
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

	if (copy_string(c, s, dst, sizeof(c->cfg->socket_group)) < 0)
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

	if (copy_string(c, s, dst, sizeof(c->cfg->cpus)) < 0)
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
	int i, n = string_list(c, s, CFG_MAX_EAL_ARGS, "arguments");

	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);

		if (copy_string(c, e, cfg->eal_args[i],
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
};

static const struct key ip_keys[] = {
	BOOL_KEY(struct dplb_config, "forward", ip_forward),
};

/* --- ports ---------------------------------------------------------- */

/* Index of the port being parsed, for "(see ports.[N])" in messages. */
#define CUR_PORT(c) ((c)->cfg->n_ports)

static int
port_name(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_port *port = obj;
	const char *v = get_string(c, s);
	unsigned int i;

	if (v == NULL)
		return -EINVAL;
	if (!ifname_valid(v))
		return cfg_err(c, s, NULL, "invalid port name '%s': use 1 to "
				"15 characters of A-Z a-z 0-9 _ . -", v);
	for (i = 0; i < CUR_PORT(c); i++)
		if (strcmp(c->cfg->ports[i].name, v) == 0)
			return cfg_err(c, s, NULL,
				       "duplicate port name '%s' (see "
				       "ports.[%u])", v, i);
	strcpy(port->name, v);
	return 0;
}

/*
 * What DPDK identifies a device by: the part before the first ',', with
 * PCI addresses in their full lower-case form, so that "01:00.0" and
 * "0000:01:00.0,rxq=2" are seen as the same NIC.
 */
static void
device_id(const char *dev, char *id, size_t len)
{
	size_t n = strcspn(dev, ",");
	bool pci = n == 7 || n == 12;
	size_t i;

	for (i = 0; i < n && pci; i++)
		pci = isxdigit((unsigned char)dev[i]) || dev[i] == ':' ||
		      dev[i] == '.';
	snprintf(id, len, "%s%.*s", pci && n == 7 ? "0000:" : "", (int)n,
		 dev);
	for (i = 0; pci && id[i] != '\0'; i++)
		id[i] = (char)tolower((unsigned char)id[i]);
}

static int
port_device(struct ctx *c, const config_setting_t *s, void *obj)
{
	char id[CFG_DEVARGS_LEN + 8], other[CFG_DEVARGS_LEN + 8];
	struct cfg_port *port = obj;
	unsigned int i;
	const char *p;

	if (copy_string(c, s, port->device, sizeof(port->device)) < 0)
		return -EINVAL;
	if (port->device[0] == '\0')
		return cfg_err(c, s, NULL, "must not be empty");
	for (p = port->device; *p != '\0'; p++)
		if (isspace((unsigned char)*p))
			return cfg_err(c, s, NULL, "must not contain spaces");
	device_id(port->device, id, sizeof(id));
	for (i = 0; i < CUR_PORT(c); i++) {
		device_id(c->cfg->ports[i].device, other, sizeof(other));
		if (strcmp(id, other) == 0)
			return cfg_err(c, s, NULL, "device '%s' is already "
					"used by ports.[%u]", id, i);
	}
	return 0;
}

/* A unicast, non-zero MAC: the group bit would make every frame
 * addressed to it a multicast. */
static int
parse_unicast_mac(struct ctx *c, const config_setting_t *s, uint8_t mac[6])
{
	static const uint8_t zero[6];
	const char *v = get_string(c, s);

	if (v == NULL)
		return -EINVAL;
	if (mac_parse(v, mac) < 0)
		return cfg_err(c, s, NULL, "invalid MAC address '%s' "
				"(expected 02:00:00:00:00:01)", v);
	if ((mac[0] & 1) || memcmp(mac, zero, 6) == 0)
		return cfg_err(c, s, NULL, "'%s' is not a unicast MAC address",
			       v);
	return 0;
}

static int
neigh_mac(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_neigh *nb = obj;

	return parse_unicast_mac(c, s, nb->mac);
}

static int
port_mac(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_port *port = obj;
	int ret = parse_unicast_mac(c, s, port->mac);

	port->has_mac = ret == 0;
	return ret;
}

static int
port_twin(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_port *port = obj;
	const char *v = get_string(c, s);
	unsigned int i;

	if (v == NULL)
		return -EINVAL;
	if (*v == '\0')		/* no kernel twin */
		return 0;
	if (!ifname_valid(v))
		return cfg_err(c, s, NULL, "invalid twin name '%s': use 1 to "
				"15 characters of A-Z a-z 0-9 _ . -", v);
	for (i = 0; i < CUR_PORT(c); i++)
		if (strcmp(c->cfg->ports[i].twin, v) == 0)
			return cfg_err(c, s, NULL, "twin '%s' is already used "
					"by ports.[%u]", v, i);
	strcpy(port->twin, v);
	return 0;
}

/* Where address a is already configured: "ports.[0] (dp0)", or NULL. */
static const struct cfg_port *
addr_owner(const struct dplb_config *cfg, const struct cfg_port *cur,
	   const struct inet_addr *a)
{
	const struct cfg_port *p;
	unsigned int i;

	for (p = cfg->ports; p <= cur; p++)
		for (i = 0; i < p->n_addrs; i++)
			if (inet_addr_equal(&p->addrs[i].addr, a))
				return p;
	return NULL;
}

static int
port_addresses(struct ctx *c, const config_setting_t *s, void *obj)
{
	int i, n = string_list(c, s, CFG_MAX_PORT_ADDRS, "addresses");
	struct cfg_port *port = obj;
	const struct cfg_port *owner;
	struct inet_prefix p;

	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		const char *v = config_setting_get_string(e);

		if (parse_prefix(c, e, &p) < 0)
			return -EINVAL;
		if (!ipv4_unicast(&p.addr))
			return cfg_err(c, e, NULL, "'%s' is not a unicast "
					"address", v);
		if (p.len == 0)
			return cfg_err(c, e, NULL, "prefix length of '%s' "
					"must be 1 to 32", v);
		owner = addr_owner(c->cfg, port, &p.addr);
		if (owner != NULL)
			return cfg_err(c, e, NULL, "duplicate address '%s' "
					"(see ports.[%u])", v,
					(unsigned int)(owner - c->cfg->ports));
		port->addrs[port->n_addrs++] = p;
	}
	return 0;
}

static const struct key port_keys[] = {
	FN_KEY("name", port_name),
	FN_KEY("device", port_device),
	FN_KEY("twin", port_twin),
	FN_KEY("mac", port_mac),
	UINT_KEY(struct cfg_port, "mtu", mtu, 68, 9600),
	UINT_KEY(struct cfg_port, "rx_desc", rx_desc, 64, 16384),
	UINT_KEY(struct cfg_port, "tx_desc", tx_desc, 64, 16384),
	BOOL_KEY(struct cfg_port, "promisc", promisc),
	FN_KEY("addresses", port_addresses),
};

static int
top_ports(struct ctx *c, const config_setting_t *s, void *obj)
{
	int i, n = list_length(c, s, CFG_MAX_PORTS, "ports");

	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		struct cfg_port *port = &c->cfg->ports[i];

		memset(port, 0, sizeof(*port));
		port->mtu = 1500;
		port->rx_desc = 1024;
		port->tx_desc = 1024;
		if (PARSE_GROUP(c, e, port_keys, port) < 0)
			return -EINVAL;
		if (port->name[0] == '\0')
			return cfg_err(c, e, "name", "is required");
		if (port->device[0] == '\0')
			return cfg_err(c, e, "device", "is required");
		c->cfg->n_ports++;
	}
	return n < 0 ? n : 0;
}

/* A port reference (dev = "dp1"): must name a port defined above. */
static int
port_ref(struct ctx *c, const config_setting_t *s, char *dst)
{
	if (copy_string(c, s, dst, CFG_IFNAMSIZ) < 0)
		return -EINVAL;
	if (dst[0] != '\0' && config_port_index(c->cfg, dst) < 0)
		return cfg_err(c, s, NULL, "no port named '%s'", dst);
	return 0;
}

/* --- neigh ---------------------------------------------------------- */

static int
neigh_ip(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_neigh *nb = obj;

	return parse_addr(c, s, &nb->ip);
}

static int
neigh_dev(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_neigh *nb = obj;

	return port_ref(c, s, nb->dev);
}

static const struct key static_neigh_keys[] = {
	FN_KEY("ip", neigh_ip),
	FN_KEY("mac", neigh_mac),
	FN_KEY("dev", neigh_dev),
};

static int
static_neigh_check(struct ctx *c, const config_setting_t *e, unsigned int idx)
{
	const struct cfg_neigh *nb = &c->cfg->neighs[idx];
	char a[INET_ADDR_STRLEN];
	unsigned int i;

	if (nb->ip.family == 0)
		return cfg_err(c, e, "ip", "is required");
	if (config_setting_get_member(e, "mac") == NULL)
		return cfg_err(c, e, "mac", "is required");
	if (nb->dev[0] == '\0')
		return cfg_err(c, e, "dev", "is required");
	for (i = 0; i < idx; i++)
		if (inet_addr_equal(&c->cfg->neighs[i].ip, &nb->ip) &&
		    strcmp(c->cfg->neighs[i].dev, nb->dev) == 0)
			return cfg_err(c, config_setting_get_member(e, "ip"),
				       NULL, "duplicate neighbour %s on %s "
				       "(see neigh.static.[%u])",
				       inet_addr_fmt(&nb->ip, a, sizeof(a)),
				       nb->dev, i);
	return 0;
}

static int
neigh_static(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct dplb_config *cfg = c->cfg;
	int i, n = list_length(c, s, CFG_MAX_NEIGHS, "static neighbours");

	if (n > (int)cfg->neigh_max)
		return cfg_err(c, s, NULL, "more entries than neigh.max (%u)",
			       cfg->neigh_max);
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);

		memset(&cfg->neighs[i], 0, sizeof(cfg->neighs[i]));
		if (PARSE_GROUP(c, e, static_neigh_keys, &cfg->neighs[i]) < 0 ||
		    static_neigh_check(c, e, (unsigned int)i) < 0)
			return -EINVAL;
		cfg->n_neighs++;
	}
	return n < 0 ? n : 0;
}

static const struct key neigh_keys[] = {
	UINT_KEY(struct dplb_config, "max", neigh_max, 16, 1048576),
	UINT_KEY(struct dplb_config, "reachable_ms", neigh_reachable_ms, 1000,
		 3600000),
	UINT_KEY(struct dplb_config, "retrans_ms", neigh_retrans_ms, 100,
		 60000),
	UINT_KEY(struct dplb_config, "probes", neigh_probes, 1, 10),
	UINT_KEY(struct dplb_config, "queue_len", neigh_queue_len, 0, 256),
	FN_KEY("static", neigh_static),	/* last: needs neigh.max */
};

/* --- routes --------------------------------------------------------- */

static int
route_dst(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_route *r = obj;
	struct inet_prefix masked;

	if (parse_prefix(c, s, &r->dst) < 0)
		return -EINVAL;
	/* 198.19.0.1/24 is usually a typo for an address, not a network. */
	masked = r->dst;
	inet_prefix_mask(&masked);
	if (!inet_addr_equal(&masked.addr, &r->dst.addr))
		return cfg_err(c, s, NULL, "host bits set in %s",
			       config_setting_get_string(s));
	return 0;
}

static int
route_via(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_route *r = obj;
	const char *v = get_string(c, s);

	if (v == NULL)
		return -EINVAL;
	if (*v == '\0')		/* "" = directly connected, as in the JSON */
		return 0;
	if (parse_addr(c, s, &r->via) < 0)
		return -EINVAL;
	if (!ipv4_unicast(&r->via))
		return cfg_err(c, s, NULL, "'%s' is not a unicast address", v);
	return 0;
}

static int
route_dev(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_route *r = obj;

	return port_ref(c, s, r->dev);
}

static const struct key route_keys[] = {
	FN_KEY("dst", route_dst),
	FN_KEY("via", route_via),
	FN_KEY("dev", route_dev),
};

/* True when some port address's subnet holds a (a gateway without dev). */
static bool
on_port_subnet(const struct dplb_config *cfg, const struct inet_addr *a)
{
	unsigned int i, j;

	for (i = 0; i < cfg->n_ports; i++)
		for (j = 0; j < cfg->ports[i].n_addrs; j++)
			if (inet_prefix_contains(&cfg->ports[i].addrs[j], a))
				return true;
	return false;
}

static int
route_check(struct ctx *c, const config_setting_t *e, unsigned int idx)
{
	const struct cfg_route *r = &c->cfg->routes[idx];
	char a[INET_PREFIX_STRLEN];
	unsigned int i;

	if (r->dst.addr.family == 0)
		return cfg_err(c, e, "dst", "is required");
	if (r->via.family == 0 && r->dev[0] == '\0')
		return cfg_err(c, e, NULL, "needs via or dev");
	if (r->via.family != 0 && r->via.family != r->dst.addr.family)
		return cfg_err(c, config_setting_get_member(e, "via"), NULL,
			       "must be of the same family as dst");
	/* The dataplane picks the port from the gateway's subnet. */
	if (r->via.family != 0 && r->dev[0] == '\0' &&
	    !on_port_subnet(c->cfg, &r->via))
		return cfg_err(c, config_setting_get_member(e, "via"), NULL,
			       "no port address covers %s; set dev",
			       inet_addr_fmt(&r->via, a, sizeof(a)));
	for (i = 0; i < idx; i++)
		if (c->cfg->routes[i].dst.len == r->dst.len &&
		    inet_addr_equal(&c->cfg->routes[i].dst.addr, &r->dst.addr))
			return cfg_err(c, config_setting_get_member(e, "dst"),
				       NULL, "duplicate route %s (see "
				       "routes.[%u])",
				       inet_prefix_fmt(&r->dst, a, sizeof(a)),
				       i);
	return 0;
}

static int
top_routes(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct dplb_config *cfg = c->cfg;
	int i, n = list_length(c, s, CFG_MAX_ROUTES, "routes");

	if (n > (int)cfg->max_routes)
		return cfg_err(c, s, NULL, "more routes than "
				"dataplane.max_routes (%u)", cfg->max_routes);
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);

		memset(&cfg->routes[i], 0, sizeof(cfg->routes[i]));
		if (PARSE_GROUP(c, e, route_keys, &cfg->routes[i]) < 0 ||
		    route_check(c, e, (unsigned int)i) < 0)
			return -EINVAL;
		cfg->n_routes++;
	}
	return n < 0 ? n : 0;
}

/* --- laddr_groups, services (lb_svc.h) ------------------------------ */

/*
 * The model's own checks (lb_svc_conf_check, lb_dest_conf_check) say
 * "key: what is wrong"; report that at the key's line when the group
 * has the key, else at the group's.  names maps the model's key names
 * to the file's where they differ ("dport" is "port" in a dest).
 */
static int
model_err(struct ctx *c, const config_setting_t *e, const char *why)
{
	const char *colon = strstr(why, ": ");
	const config_setting_t *m;
	char key[32];

	if (colon == NULL || (size_t)(colon - why) >= sizeof(key))
		return cfg_err(c, e, NULL, "%s", why);
	snprintf(key, sizeof(key), "%.*s", (int)(colon - why), why);
	if (strcmp(key, "dport") == 0)
		snprintf(key, sizeof(key), "port");
	m = config_setting_get_member(e, key);
	if (m != NULL)
		return cfg_err(c, m, NULL, "%s", colon + 2);
	return cfg_err(c, e, key, "%s", colon + 2);
}

/* A load-balancer name (laddr group): 1..31 of A-Z a-z 0-9 _ . - */
static bool
lb_name_valid(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n < LB_NAME_LEN &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789_.-") == n;
}

static int
lg_name(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_laddr_group *g = obj;
	const char *v = get_string(c, s);
	unsigned int i;

	if (v == NULL)
		return -EINVAL;
	if (!lb_name_valid(v))
		return cfg_err(c, s, NULL, "invalid name '%s': use 1 to %d "
				"characters of A-Z a-z 0-9 _ . -", v,
				LB_NAME_LEN - 1);
	for (i = 0; i < c->cfg->n_laddr_groups; i++)
		if (strcmp(c->cfg->laddr_groups[i].name, v) == 0)
			return cfg_err(c, s, NULL, "duplicate laddr group '%s' "
				       "(see laddr_groups.[%u])", v, i);
	strcpy(g->name, v);
	return 0;
}

/* Which group (index) already holds address a, or -1. */
static int
laddr_owner(const struct dplb_config *cfg, const struct cfg_laddr_group *cur,
	    const struct inet_addr *a)
{
	const struct cfg_laddr_group *g;
	unsigned int i;

	for (g = cfg->laddr_groups; g <= cur; g++)
		for (i = 0; i < g->n_addrs; i++)
			if (inet_addr_equal(&g->addrs[i], a))
				return (int)(g - cfg->laddr_groups);
	return -1;
}

static int
lg_addresses(struct ctx *c, const config_setting_t *s, void *obj)
{
	int i, owner, n = string_list(c, s, LB_LADDR_MAX_ADDRS, "addresses");
	struct cfg_laddr_group *g = obj;
	struct inet_addr a;

	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		const char *v = config_setting_get_string(e);

		if (parse_addr(c, e, &a) < 0)
			return -EINVAL;
		if (!ipv4_unicast(&a))
			return cfg_err(c, e, NULL, "'%s' is not a unicast "
					"address", v);
		/* Two groups handing out one LIP's ports would collide. */
		owner = laddr_owner(c->cfg, g, &a);
		if (owner >= 0)
			return cfg_err(c, e, NULL, "duplicate address '%s' "
					"(see laddr_groups.[%d])", v, owner);
		g->addrs[g->n_addrs++] = a;
	}
	return 0;
}

static const struct key laddr_group_keys[] = {
	FN_KEY("name", lg_name),
	FN_KEY("addresses", lg_addresses),
};

static int
top_laddr_groups(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct dplb_config *cfg = c->cfg;
	int i, n = list_length(c, s, CFG_MAX_LADDR_GROUPS, "laddr groups");

	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		struct cfg_laddr_group *g = &cfg->laddr_groups[i];

		memset(g, 0, sizeof(*g));
		if (PARSE_GROUP(c, e, laddr_group_keys, g) < 0)
			return -EINVAL;
		if (g->name[0] == '\0')
			return cfg_err(c, e, "name", "is required");
		cfg->n_laddr_groups++;
	}
	return n < 0 ? n : 0;
}

static int
svc_proto(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_service *svc = obj;
	const char *v = get_string(c, s);
	int p;

	if (v == NULL)
		return -EINVAL;
	p = lb_proto_parse(v);
	if (p < 0)
		return cfg_err(c, s, NULL, "must be \"tcp\" or \"udp\"");
	svc->key.proto = (uint8_t)p;
	return 0;
}

static int
svc_vip(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_service *svc = obj;

	if (parse_addr(c, s, &svc->key.vip) < 0)
		return -EINVAL;
	if (!ipv4_unicast(&svc->key.vip))
		return cfg_err(c, s, NULL, "'%s' is not a unicast address",
			       config_setting_get_string(s));
	return 0;
}

static int
svc_sched(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_service *svc = obj;
	const char *v = get_string(c, s);

	if (v == NULL)
		return -EINVAL;
	if (strlen(v) >= sizeof(svc->conf.sched) || !sched_known(v))
		return cfg_err(c, s, NULL, "unknown scheduler '%s' (rr wrr lc "
				"wlc sh mh fo)", v);
	strcpy(svc->conf.sched, v);
	return 0;
}

static int
svc_flags(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_service *svc = obj;
	int i, f, n = string_list(c, s, 8, "flags");

	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		const char *v = config_setting_get_string(e);

		f = lb_svc_flag_parse(v);
		if (f < 0)
			return cfg_err(c, e, NULL, "unknown flag '%s' (sh-port, "
				       "sh-fallback, mh-port, mh-fallback, "
				       "one-packet, expire-quiescent)", v);
		svc->conf.flags |= (uint32_t)f;
	}
	return 0;
}

static int
svc_netmask(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_service *svc = obj;
	const char *v = get_string(c, s);
	int len;

	if (v == NULL)
		return -EINVAL;
	len = lb_netmask_parse(v);
	if (len < 0)
		return cfg_err(c, s, NULL, "invalid netmask '%s' (expected "
				"e.g. \"255.255.255.0\")", v);
	svc->conf.netmask_len = (uint8_t)len;
	return 0;
}

static int
svc_laddr_group(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_service *svc = obj;
	unsigned int i;

	if (copy_string(c, s, svc->conf.laddr_group,
			sizeof(svc->conf.laddr_group)) < 0)
		return -EINVAL;
	if (svc->conf.laddr_group[0] == '\0')	/* none */
		return 0;
	for (i = 0; i < c->cfg->n_laddr_groups; i++)
		if (strcmp(c->cfg->laddr_groups[i].name,
			   svc->conf.laddr_group) == 0)
			return 0;
	return cfg_err(c, s, NULL, "no laddr group '%s' in laddr_groups",
		       svc->conf.laddr_group);
}

static int
dest_addr(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct lb_dest_conf *d = obj;

	if (parse_addr(c, s, &d->addr) < 0)
		return -EINVAL;
	if (!ipv4_unicast(&d->addr))
		return cfg_err(c, s, NULL, "'%s' is not a unicast address",
			       config_setting_get_string(s));
	return 0;
}

static int
dest_fwd(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct lb_dest_conf *d = obj;
	const char *v = get_string(c, s);
	int f;

	if (v == NULL)
		return -EINVAL;
	f = lb_fwd_parse(v);
	if (f < 0)
		return cfg_err(c, s, NULL, "must be one of fnat, nat, dr, "
				"tunnel");
	d->fwd = (uint8_t)f;
	return 0;
}

static const struct key svc_dest_keys[] = {
	FN_KEY("addr", dest_addr),
	UINT_KEY(struct lb_dest_conf, "port", port, 0, 65535),
	UINT_KEY(struct lb_dest_conf, "weight", weight, 0, SCHED_WEIGHT_MAX),
	FN_KEY("fwd", dest_fwd),
	UINT_KEY(struct lb_dest_conf, "u_threshold", u_threshold, 0,
		 LB_THRESHOLD_MAX),
	UINT_KEY(struct lb_dest_conf, "l_threshold", l_threshold, 0,
		 LB_THRESHOLD_MAX),
};

static int
svc_dests(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct dplb_config *cfg = c->cfg;
	struct cfg_service *svc = obj;
	int i, n = list_length(c, s, LB_MAX_DESTS_PER_SVC, "dests");
	char why[CFG_ERR_LEN];
	unsigned int j;

	if (n < 0)
		return n;
	if (cfg->n_svc_dests + (unsigned int)n > CFG_MAX_SVC_DESTS)
		return cfg_err(c, s, NULL, "more than %d dests in all services",
			       CFG_MAX_SVC_DESTS);
	svc->first_dest = cfg->n_svc_dests;
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		struct lb_dest_conf *d = &cfg->svc_dests[cfg->n_svc_dests];

		lb_dest_conf_init(d);
		if (PARSE_GROUP(c, e, svc_dest_keys, d) < 0)
			return -EINVAL;
		if (d->addr.family == 0)
			return cfg_err(c, e, "addr", "is required");
		if (d->port == 0)	/* as lb_dest_add stores it */
			d->port = svc->key.port;
		if (lb_dest_conf_check(&svc->key, &svc->conf, d, why,
				       sizeof(why)) != 0)
			return model_err(c, e, why);
		for (j = svc->first_dest; j < cfg->n_svc_dests; j++)
			if (cfg->svc_dests[j].port == d->port &&
			    inet_addr_equal(&cfg->svc_dests[j].addr, &d->addr))
				return cfg_err(c, e, NULL, "duplicate dest "
					       "(see dests.[%u])",
					       j - svc->first_dest);
		cfg->n_svc_dests++;
		svc->n_dests++;
	}
	return 0;
}

/* Parsed by top_services once the rest of the service is checked. */
static int
svc_dests_later(struct ctx *c, const config_setting_t *s, void *obj)
{
	return 0;
}

static const struct key svc_keys[] = {
	FN_KEY("proto", svc_proto),
	FN_KEY("vip", svc_vip),
	UINT_KEY(struct cfg_service, "port", key.port, 0, 65535),
	FN_KEY("sched", svc_sched),
	FN_KEY("flags", svc_flags),
	UINT_KEY(struct cfg_service, "persistent", conf.persistent, 0,
		 LB_PERSIST_MAX),
	FN_KEY("netmask", svc_netmask),
	FN_KEY("laddr_group", svc_laddr_group),
	FN_KEY("dests", svc_dests_later),
};

/* The service's own checks, before its dests are parsed. */
static int
svc_check(struct ctx *c, const config_setting_t *e, unsigned int idx)
{
	const struct cfg_service *svc = &c->cfg->services[idx];
	char why[CFG_ERR_LEN], a[INET_ADDR_STRLEN];
	unsigned int i;

	if (config_setting_get_member(e, "proto") == NULL)
		return cfg_err(c, e, "proto", "is required");
	if (config_setting_get_member(e, "vip") == NULL)
		return cfg_err(c, e, "vip", "is required");
	if (config_setting_get_member(e, "port") == NULL)
		return cfg_err(c, e, "port", "is required (0 = every port)");
	if (lb_svc_conf_check(&svc->key, &svc->conf, why, sizeof(why)) != 0)
		return model_err(c, e, why);
	for (i = 0; i < idx; i++)
		if (c->cfg->services[i].key.proto == svc->key.proto &&
		    c->cfg->services[i].key.port == svc->key.port &&
		    inet_addr_equal(&c->cfg->services[i].key.vip,
				    &svc->key.vip))
			return cfg_err(c, e, NULL, "duplicate service %s "
				       "%s:%u (see services.[%u])",
				       lb_proto_name(svc->key.proto),
				       inet_addr_fmt(&svc->key.vip, a,
						     sizeof(a)),
				       svc->key.port, i);
	return 0;
}

static int
top_services(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct dplb_config *cfg = c->cfg;
	int i, n = list_length(c, s, CFG_MAX_SERVICES, "services");

	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		const config_setting_t *d;
		struct cfg_service *svc = &cfg->services[i];

		memset(svc, 0, sizeof(*svc));
		lb_svc_conf_init(&svc->conf);
		/* The service, its checks, then its dests against it. */
		if (PARSE_GROUP(c, e, svc_keys, svc) < 0)
			return -EINVAL;
		if (svc_check(c, e, (unsigned int)i) < 0)
			return -EINVAL;
		d = config_setting_get_member(e, "dests");
		if (d != NULL && svc_dests(c, d, svc) < 0)
			return -EINVAL;
		cfg->n_services++;
	}
	return n < 0 ? n : 0;
}

/* --- top level ------------------------------------------------------ */

static int
top_global(struct ctx *c, const config_setting_t *s, void *obj)
{
	return PARSE_GROUP(c, s, global_keys, obj);
}

static int
top_eal(struct ctx *c, const config_setting_t *s, void *obj)
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

static int
top_dataplane(struct ctx *c, const config_setting_t *s, void *obj)
{
	return PARSE_GROUP(c, s, dataplane_keys, obj);
}

static int
top_ip(struct ctx *c, const config_setting_t *s, void *obj)
{
	return PARSE_GROUP(c, s, ip_keys, obj);
}

static int
top_neigh(struct ctx *c, const config_setting_t *s, void *obj)
{
	return PARSE_GROUP(c, s, neigh_keys, obj);
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

static int
timeouts_tcp(struct ctx *c, const config_setting_t *s, void *obj)
{
	return PARSE_GROUP(c, s, timeout_tcp_keys, obj);
}

static int
timeouts_udp(struct ctx *c, const config_setting_t *s, void *obj)
{
	return PARSE_GROUP(c, s, timeout_udp_keys, obj);
}

static const struct key timeout_keys[] = {
	FN_KEY("tcp", timeouts_tcp),
	FN_KEY("udp", timeouts_udp),
};

static int
top_timeouts(struct ctx *c, const config_setting_t *s, void *obj)
{
	return PARSE_GROUP(c, s, timeout_keys, obj);
}

/* Order matters: ports before neigh and routes, dataplane before routes,
 * laddr_groups before services. */
static const struct key top_keys[] = {
	FN_KEY("global", top_global),
	FN_KEY("eal", top_eal),
	FN_KEY("dataplane", top_dataplane),
	FN_KEY("ip", top_ip),
	FN_KEY("ports", top_ports),
	FN_KEY("neigh", top_neigh),
	FN_KEY("routes", top_routes),
	FN_KEY("laddr_groups", top_laddr_groups),
	FN_KEY("services", top_services),
	FN_KEY("timeouts", top_timeouts),
};

void
config_defaults(struct dplb_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->log_level = LOG_LVL_INFO;
	snprintf(cfg->control_socket, sizeof(cfg->control_socket), "%s",
		 CFG_DEFAULT_SOCKET);
	cfg->socket_mode = 0660;
	cfg->control_idle_timeout = 60;
	cfg->control_max_per_uid = 64;
	cfg->control_root_slots = 64;
	cfg->hugepages = true;
	cfg->workers = 1;
	cfg->burst = 32;
	cfg->mbufs = 16383;
	cfg->max_routes = 1024;
	cfg->max_conns = 262144;
	conn_timeouts_default(&cfg->timeouts);
	cfg->neigh_max = 4096;
	cfg->neigh_reachable_ms = 30000;
	cfg->neigh_retrans_ms = 1000;
	cfg->neigh_probes = 3;
	cfg->neigh_queue_len = 8;
}

/* Length of the number token at p ("12", "0x1f", "1.5e+3"). */
static size_t
number_len(const char *p)
{
	size_t n = 0;

	while (isalnum((unsigned char)p[n]) || p[n] == '.' || p[n] == '_')
		n++;
	if (n > 0 && (p[n - 1] == 'e' || p[n - 1] == 'E') &&
	    (p[n] == '+' || p[n] == '-'))
		for (n++; isdigit((unsigned char)p[n]); n++)
			;
	return n;
}

/* An integer literal without suffix that does not fit libconfig's int. */
static bool
int_overflows(const char *p, size_t n)
{
	char tok[64];
	unsigned long long v;
	size_t digits;
	int base = 10;
	char *end;

	if (n >= sizeof(tok))
		return false;	/* nothing sane; libconfig will complain */
	memcpy(tok, p, n);
	tok[n] = '\0';
	if (n > 2 && tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'X'))
		base = 16;
	digits = strspn(tok + (base == 16 ? 2 : 0),
			base == 16 ? "0123456789abcdefABCDEF" : "0123456789");
	if (digits + (base == 16 ? 2 : 0) != n)
		return false;	/* float, suffixed, or not a number */
	errno = 0;
	v = strtoull(tok, &end, base);
	return errno == ERANGE || v > INT32_MAX;
}

/* Copy the comment or string at p to *o; returns the end of it in p. */
static const char *
copy_opaque(const char *p, char **o)
{
	const char *end;

	if (*p == '"') {
		for (end = p + 1; *end != '\0' && *end != '"'; end++)
			if (*end == '\\' && end[1] != '\0')
				end++;
		end += *end == '"';
	} else if (p[0] == '/' && p[1] == '*') {
		end = strstr(p + 2, "*/");
		end = end != NULL ? end + 2 : p + strlen(p);
	} else {	/* '#' or "//" to the end of the line */
		end = p + strcspn(p, "\n");
	}
	memcpy(*o, p, (size_t)(end - p));
	*o += end - p;
	return end;
}

/*
 * libconfig 1.5 reads an integer without the L suffix with atoi(), so
 * "mbufs = 4294983679;" would silently become 16383.  Mark every such
 * literal as 64-bit ("...L") so that it reaches the range checks with
 * its real value.  Strings and comments are skipped; no line moves.
 */
static char *
widen_big_ints(const char *in)
{
	size_t len = strlen(in);
	char *out = malloc(len + len / 8 + 2);	/* >= 10 chars per 'L' */
	const char *p = in;
	char *o = out;
	size_t n;

	if (out == NULL)
		return NULL;
	while (*p != '\0') {
		if (*p == '"' || *p == '#' || (p[0] == '/' &&
					       (p[1] == '/' || p[1] == '*'))) {
			p = copy_opaque(p, &o);
			continue;
		}
		if (isalpha((unsigned char)*p) || *p == '*' || *p == '_')
			n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "abcdefghijklmnopqrstuvwxyz0123456789-_*");
		else if (isdigit((unsigned char)*p) || *p == '.')
			n = number_len(p);
		else
			n = 1;
		memcpy(o, p, n);
		o += n;
		if (isdigit((unsigned char)*p) && int_overflows(p, n))
			*o++ = 'L';
		p += n;
	}
	*o = '\0';
	return out;
}

static int
syntax_error(const struct ctx *c, const config_t *lc)
{
	const char *text = config_error_text(lc);
	char file[PATH_MAX], where[PATH_MAX + 32];

	snprintf(where, sizeof(where), "%s:%d",
		 source_name(c, config_error_file(lc), file, sizeof(file)),
		 config_error_line(lc));
	if (config_error_type(lc) != CONFIG_ERR_PARSE)	/* @include */
		snprintf(c->err, c->errlen, "%s: %s", where, text);
	else if (strcmp(text, "syntax error") == 0)	/* say it once */
		snprintf(c->err, c->errlen, "%s: syntax error", where);
	else
		snprintf(c->err, c->errlen, "%s: syntax error: %s", where,
			 text);
	one_line(c->err);
	return -EINVAL;
}

/* Parse into a scratch copy; cfg changes only on success. */
static int
parse_text(const char *text, const char *name, const char *include_dir,
	   struct dplb_config *cfg, char *err, size_t errlen)
{
	struct ctx c = { .name = name, .include_dir = include_dir,
			 .err = err, .errlen = errlen };
	char *widened = widen_big_ints(text);
	config_t lc;
	int rc;

	c.cfg = malloc(sizeof(*c.cfg));
	if (widened == NULL || c.cfg == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		free(widened);
		free(c.cfg);
		return -ENOMEM;
	}
	config_defaults(c.cfg);
	config_init(&lc);
	if (include_dir != NULL)	/* libconfig 1.5 strdup()s it */
		config_set_include_dir(&lc, include_dir);
	if (!config_read_string(&lc, widened))
		rc = syntax_error(&c, &lc);
	else
		rc = PARSE_GROUP(&c, config_root_setting(&lc), top_keys,
				 c.cfg);
	if (rc == 0)
		*cfg = *c.cfg;
	config_destroy(&lc);
	free(widened);
	free(c.cfg);
	return rc;
}

int
config_parse_string(const char *text, const char *name,
		    struct dplb_config *cfg, char *err, size_t errlen)
{
	char scratch[CFG_ERR_LEN];

	if (err == NULL || errlen == 0) {
		err = scratch;
		errlen = sizeof(scratch);
	}
	if (text == NULL || name == NULL) {
		snprintf(err, errlen, "no configuration text");
		return -EINVAL;
	}
	return parse_text(text, name, NULL, cfg, err, errlen);
}

/* The whole file as a string (malloc'ed) in *text, or -errno. */
static int
read_file(const char *path, char **text)
{
	size_t len = 0, cap = 0;
	char *buf = NULL, *nbuf;
	FILE *f = fopen(path, "re");
	int rc = 0;

	if (f == NULL)
		return -errno;
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 16384;
			nbuf = cap <= CFG_MAX_FILE_SIZE ?
				realloc(buf, cap + 1) : NULL;
			if (nbuf == NULL) {
				rc = cap > CFG_MAX_FILE_SIZE ? -EFBIG : -ENOMEM;
				break;
			}
			buf = nbuf;
		}
		len += fread(buf + len, 1, cap - len, f);
		if (ferror(f)) {
			rc = errno ? -errno : -EIO;	/* EISDIR */
			break;
		}
		if (feof(f))
			break;
	}
	fclose(f);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	buf[len] = '\0';
	*text = buf;
	return 0;
}

int
config_load(const char *path, struct dplb_config *cfg, char *err,
	    size_t errlen)
{
	char scratch[CFG_ERR_LEN], dir[PATH_MAX];
	const char *slash;
	char *text = NULL;
	int rc;

	if (err == NULL || errlen == 0) {
		err = scratch;
		errlen = sizeof(scratch);
	}
	if (path == NULL || strlen(path) >= sizeof(cfg->path)) {
		snprintf(err, errlen, "cannot read %s: %s", path ? path : "-",
			 strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	rc = read_file(path, &text);
	if (rc < 0) {
		snprintf(err, errlen, "cannot read %s: %s", path,
			 strerror(-rc));
		return rc;
	}
	/* Relative @include paths are relative to the file, not the cwd. */
	slash = strrchr(path, '/');
	snprintf(dir, sizeof(dir), "%.*s",
		 slash ? (int)(slash - path) + (slash == path) : 1,
		 slash ? path : ".");
	rc = parse_text(text, path, dir, cfg, err, errlen);
	free(text);
	if (rc == 0)
		strcpy(cfg->path, path);
	return rc;
}

int
config_port_index(const struct dplb_config *cfg, const char *name)
{
	unsigned int i;

	for (i = 0; i < cfg->n_ports; i++)
		if (strcmp(cfg->ports[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* --- JSON ----------------------------------------------------------- */

/* The table-driven keys of obj (integers and booleans) into o. */
static void
keys_to_json(json_object *o, const struct key *keys, size_t n,
	     const void *obj)
{
	const char *field;
	size_t i;

	for (i = 0; i < n; i++) {
		field = (const char *)obj + keys[i].off;
		if (keys[i].kind == KEY_UINT)
			json_object_object_add(o, keys[i].name,
				json_object_new_int64(uint_load(field,
							keys[i].size)));
		else if (keys[i].kind == KEY_BOOL)
			json_object_object_add(o, keys[i].name,
				json_object_new_boolean(*(const bool *)field));
	}
}

#define KEYS_TO_JSON(o, keys, obj) keys_to_json(o, keys, ARRAY_SIZE(keys), obj)

static void
add_str(json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(v));
}

static json_object *
global_json(const struct dplb_config *cfg)
{
	json_object *o = json_object_new_object();
	char mode[8];

	add_str(o, "log_level", log_level_name(cfg->log_level));
	add_str(o, "control_socket", cfg->control_socket);
	snprintf(mode, sizeof(mode), "%04o", (unsigned int)cfg->socket_mode);
	add_str(o, "socket_mode", mode);
	add_str(o, "socket_group", cfg->socket_group);
	json_object_object_add(o, "control_idle_timeout", json_object_new_int64(
		cfg->control_idle_timeout));
	json_object_object_add(o, "control_max_per_uid", json_object_new_int64(
		cfg->control_max_per_uid));
	json_object_object_add(o, "control_root_slots", json_object_new_int64(
		cfg->control_root_slots));
	return o;
}

static json_object *
eal_json(const struct dplb_config *cfg)
{
	json_object *o = json_object_new_object();
	json_object *args = json_object_new_array();
	unsigned int i;

	KEYS_TO_JSON(o, eal_keys, cfg);
	add_str(o, "cpus", cfg->cpus);
	for (i = 0; i < cfg->n_eal_args; i++)
		json_object_array_add(args,
				      json_object_new_string(cfg->eal_args[i]));
	json_object_object_add(o, "args", args);
	return o;
}

static json_object *
simple_group_json(const struct key *keys, size_t n, const void *obj)
{
	json_object *o = json_object_new_object();

	keys_to_json(o, keys, n, obj);
	return o;
}

static json_object *
neigh_json(const struct dplb_config *cfg)
{
	json_object *o = simple_group_json(neigh_keys, ARRAY_SIZE(neigh_keys),
					   cfg);
	json_object *list = json_object_new_array();
	char a[INET_ADDR_STRLEN], m[MAC_STRLEN];
	unsigned int i;

	for (i = 0; i < cfg->n_neighs; i++) {
		const struct cfg_neigh *nb = &cfg->neighs[i];
		json_object *e = json_object_new_object();

		add_str(e, "ip", inet_addr_fmt(&nb->ip, a, sizeof(a)));
		add_str(e, "mac", mac_fmt(nb->mac, m, sizeof(m)));
		add_str(e, "dev", nb->dev);
		json_object_array_add(list, e);
	}
	json_object_object_add(o, "static", list);
	return o;
}

static json_object *
port_json(const struct cfg_port *port)
{
	json_object *o = json_object_new_object();
	json_object *addrs = json_object_new_array();
	char p[INET_PREFIX_STRLEN];
	unsigned int i;

	add_str(o, "name", port->name);
	add_str(o, "device", port->device);
	add_str(o, "twin", port->twin);
	if (port->has_mac)
		add_str(o, "mac", mac_fmt(port->mac, p, sizeof(p)));
	KEYS_TO_JSON(o, port_keys, port);
	for (i = 0; i < port->n_addrs; i++)
		json_object_array_add(addrs, json_object_new_string(
			inet_prefix_fmt(&port->addrs[i], p, sizeof(p))));
	json_object_object_add(o, "addresses", addrs);
	return o;
}

static json_object *
route_json(const struct cfg_route *r)
{
	json_object *o = json_object_new_object();
	char buf[INET_PREFIX_STRLEN];

	add_str(o, "dst", inet_prefix_fmt(&r->dst, buf, sizeof(buf)));
	/* "" rather than "-" for no gateway: the parser accepts it back. */
	add_str(o, "via", r->via.family ?
		inet_addr_fmt(&r->via, buf, sizeof(buf)) : "");
	add_str(o, "dev", r->dev);
	return o;
}

static json_object *
laddr_group_json(const struct cfg_laddr_group *g)
{
	json_object *o = json_object_new_object();
	json_object *addrs = json_object_new_array();
	char a[INET_ADDR_STRLEN];
	unsigned int i;

	add_str(o, "name", g->name);
	for (i = 0; i < g->n_addrs; i++)
		json_object_array_add(addrs, json_object_new_string(
			inet_addr_fmt(&g->addrs[i], a, sizeof(a))));
	json_object_object_add(o, "addresses", addrs);
	return o;
}

static json_object *
service_json(const struct dplb_config *cfg, const struct cfg_service *svc)
{
	json_object *o = json_object_new_object();
	json_object *flags = json_object_new_array();
	json_object *dests = json_object_new_array();
	char a[INET_ADDR_STRLEN];
	struct inet_addr mask;
	uint32_t f;
	unsigned int i;

	add_str(o, "proto", lb_proto_name(svc->key.proto));
	add_str(o, "vip", inet_addr_fmt(&svc->key.vip, a, sizeof(a)));
	json_object_object_add(o, "port", json_object_new_int(svc->key.port));
	add_str(o, "sched", svc->conf.sched);
	for (f = 1; f != 0 && f <= svc->conf.flags; f <<= 1)
		if (svc->conf.flags & f)
			json_object_array_add(flags, json_object_new_string(
				lb_svc_flag_name(f, svc->conf.sched)));
	json_object_object_add(o, "flags", flags);
	json_object_object_add(o, "persistent",
			       json_object_new_int64(svc->conf.persistent));
	mask = inet_addr_v4(htonl(svc->conf.netmask_len ?
				  ~0u << (32 - svc->conf.netmask_len) : 0));
	add_str(o, "netmask", inet_addr_fmt(&mask, a, sizeof(a)));
	add_str(o, "laddr_group", svc->conf.laddr_group);
	for (i = 0; i < svc->n_dests; i++) {
		const struct lb_dest_conf *d = &cfg->svc_dests[svc->first_dest + i];
		json_object *e = json_object_new_object();

		add_str(e, "addr", inet_addr_fmt(&d->addr, a, sizeof(a)));
		KEYS_TO_JSON(e, svc_dest_keys, d);
		add_str(e, "fwd", lb_fwd_name(d->fwd));
		json_object_array_add(dests, e);
	}
	json_object_object_add(o, "dests", dests);
	return o;
}

static json_object *
timeouts_json(const struct dplb_config *cfg)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "tcp",
		simple_group_json(timeout_tcp_keys,
				  ARRAY_SIZE(timeout_tcp_keys), cfg));
	json_object_object_add(o, "udp",
		simple_group_json(timeout_udp_keys,
				  ARRAY_SIZE(timeout_udp_keys), cfg));
	return o;
}

json_object *
config_to_json(const struct dplb_config *cfg)
{
	json_object *root = json_object_new_object();
	json_object *ports = json_object_new_array();
	json_object *routes = json_object_new_array();
	json_object *list;
	unsigned int i;

	json_object_object_add(root, "global", global_json(cfg));
	json_object_object_add(root, "eal", eal_json(cfg));
	json_object_object_add(root, "dataplane",
		simple_group_json(dataplane_keys, ARRAY_SIZE(dataplane_keys),
				  cfg));
	json_object_object_add(root, "ip",
		simple_group_json(ip_keys, ARRAY_SIZE(ip_keys), cfg));
	json_object_object_add(root, "neigh", neigh_json(cfg));
	json_object_object_add(root, "timeouts", timeouts_json(cfg));
	for (i = 0; i < cfg->n_ports; i++)
		json_object_array_add(ports, port_json(&cfg->ports[i]));
	json_object_object_add(root, "ports", ports);
	for (i = 0; i < cfg->n_routes; i++)
		json_object_array_add(routes, route_json(&cfg->routes[i]));
	json_object_object_add(root, "routes", routes);
	list = json_object_new_array();
	for (i = 0; i < cfg->n_laddr_groups; i++)
		json_object_array_add(list,
				      laddr_group_json(&cfg->laddr_groups[i]));
	json_object_object_add(root, "laddr_groups", list);
	list = json_object_new_array();
	for (i = 0; i < cfg->n_services; i++)
		json_object_array_add(list,
				      service_json(cfg, &cfg->services[i]));
	json_object_object_add(root, "services", list);
	return root;
}
