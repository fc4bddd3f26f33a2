/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config: what every section's parser shares: file:line:key errors, the
 * table-driven group parser (struct key, cfg_priv.h), value parsers for
 * strings, addresses and MACs, and the JSON of table-driven keys.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cfg_priv.h"

/* --- error reporting ------------------------------------------------ */

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
void
cfg_one_line(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/*
 * Report "<file>:<line>: <path>[.child]: <message>" about setting s and
 * return -EINVAL.  child names a key missing from group s.
 */
int __attribute__((format(printf, 4, 5)))
cfg_err(struct ctx *c, const config_setting_t *s, const char *child,
	const char *fmt, ...)
{
	char path[256], msg[CFG_ERR_LEN];
	unsigned int line;
	const char *file;
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
	file = cfg_text_where(c->text, config_setting_source_line(s), &line);
	snprintf(c->err, c->errlen, "%s:%u: %s: %s", file, line, path, msg);
	cfg_one_line(c->err);
	return -EINVAL;
}

/* --- key tables ----------------------------------------------------- */

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
	case KEY_GROUP:
		return cfg_parse_group(c, s, k->sub->keys, k->sub->n, obj);
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
int
cfg_parse_group(struct ctx *c, const config_setting_t *g,
		const struct key *keys, size_t n, void *obj)
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

/*
 * The elements of list s (at most max of them, each a group), or -1
 * after reporting.  An empty array "[ ]" is accepted as an empty list.
 */
int
cfg_list_length(struct ctx *c, const config_setting_t *s, int max,
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

int
cfg_parse_list(struct ctx *c, const config_setting_t *s, int n,
	       const struct key_list *l, void *items, unsigned int *count)
{
	const config_setting_t *e;
	void *elem;
	int i;

	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, i);
		elem = (char *)items + (size_t)i * l->size;
		memset(elem, 0, l->size);
		if (l->init != NULL)
			l->init(elem);
		if (cfg_parse_group(c, e, l->keys->keys, l->keys->n, elem) < 0)
			return -EINVAL;
		if (l->check != NULL && l->check(c, e, (unsigned int)i) < 0)
			return -EINVAL;
		(*count)++;
	}
	return n < 0 ? n : 0;
}

/* --- strings and addresses ------------------------------------------ */

/* The string value of s, or NULL after reporting a type error. */
const char *
cfg_string(struct ctx *c, const config_setting_t *s)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		cfg_err(c, s, NULL, "must be a string");
		return NULL;
	}
	return config_setting_get_string(s);
}

/* Copy string s into dst[size]; longer strings are errors, not truncated. */
int
cfg_copy_string(struct ctx *c, const config_setting_t *s, char *dst,
		size_t size)
{
	const char *v = cfg_string(c, s);

	if (v == NULL)
		return -EINVAL;
	if (strlen(v) >= size)
		return cfg_err(c, s, NULL, "must be at most %zu characters",
			       size - 1);
	strcpy(dst, v);
	return 0;
}

/* The check for both kinds of list element: an array or a list of strings. */
int
cfg_string_list(struct ctx *c, const config_setting_t *s, int max,
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

bool
cfg_name_valid(const char *s, size_t size)
{
	size_t n = strlen(s);

	return n > 0 && n < size &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789_.-") == n;
}

int
cfg_name_index(const void *items, size_t size, unsigned int n, size_t off,
	       const char *str)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (strcmp((const char *)items + i * size + off, str) == 0)
			return (int)i;
	return -1;
}

int
cfg_addr_any(struct ctx *c, const config_setting_t *s, struct inet_addr *a)
{
	const char *v = cfg_string(c, s);

	if (v == NULL)
		return -EINVAL;
	if (inet_addr_parse(v, a) < 0)
		return cfg_err(c, s, NULL, "invalid address '%s'", v);
	return 0;
}

int
cfg_prefix_any(struct ctx *c, const config_setting_t *s,
	       struct inet_prefix *p)
{
	const char *v = cfg_string(c, s);

	if (v == NULL)
		return -EINVAL;
	if (inet_prefix_parse(v, p) < 0)
		return cfg_err(c, s, NULL, "invalid prefix '%s' (expected "
			       "a.b.c.d/len or x:x::x/len)", v);
	return 0;
}

bool
cfg_inet_unicast(const struct inet_addr *a)
{
	static const uint8_t loopback[16] = { [15] = 1 };
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	static const uint8_t zero[16];
	const uint8_t *b = (const uint8_t *)&a->v6;

	if (a->family == AF_INET)
		return cfg_ipv4_unicast(a);
	return b[0] != 0xff && memcmp(b, zero, 16) != 0 &&
	       memcmp(b, loopback, 16) != 0 && memcmp(b, mapped, 12) != 0;
}

int
cfg_unicast_addr_any(struct ctx *c, const config_setting_t *s,
		     struct inet_addr *a)
{
	if (cfg_addr_any(c, s, a) < 0)
		return -EINVAL;
	if (!cfg_inet_unicast(a))
		return cfg_err(c, s, NULL, "'%s' is not a unicast address",
			       config_setting_get_string(s));
	return 0;
}

/* One parse for every IPv4-only address key; 0 or -EINVAL reported. */
int
cfg_addr(struct ctx *c, const config_setting_t *s, struct inet_addr *a)
{
	if (cfg_addr_any(c, s, a) < 0)
		return -EINVAL;
	if (a->family != AF_INET)
		return cfg_err(c, s, NULL,
			       "IPv6 is not supported by the dataplane yet");
	return 0;
}

int
cfg_prefix(struct ctx *c, const config_setting_t *s, struct inet_prefix *p)
{
	const char *v = cfg_string(c, s);

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
bool
cfg_ipv4_unicast(const struct inet_addr *a)
{
	uint32_t h = ntohl(a->v4.s_addr);

	return (h >> 24) != 0 && (h >> 24) != 127 && (h >> 28) != 0xe &&
	       h != 0xffffffffu;
}

int
cfg_unicast_addr(struct ctx *c, const config_setting_t *s, struct inet_addr *a)
{
	if (cfg_addr(c, s, a) < 0)
		return -EINVAL;
	if (!cfg_ipv4_unicast(a))
		return cfg_err(c, s, NULL, "'%s' is not a unicast address",
			       config_setting_get_string(s));
	return 0;
}

int
cfg_enum(struct ctx *c, const config_setting_t *s,
	 int (*parse)(const char *), const char *msg)
{
	const char *v = cfg_string(c, s);
	int r;

	if (v == NULL)
		return -EINVAL;
	r = parse(v);
	if (r < 0)
		return cfg_err(c, s, NULL, "%s", msg);
	return r;
}

/* A unicast, non-zero MAC: the group bit would make every frame
 * addressed to it a multicast. */
int
cfg_unicast_mac(struct ctx *c, const config_setting_t *s, uint8_t mac[6])
{
	static const uint8_t zero[6];
	const char *v = cfg_string(c, s);

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

/* --- JSON ----------------------------------------------------------- */

/* The table-driven keys of obj (integers, booleans, groups) into o. */
void
cfg_keys_to_json(json_object *o, const struct key *keys, size_t n,
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
		else if (keys[i].kind == KEY_GROUP)
			json_object_object_add(o, keys[i].name,
				cfg_group_json(keys[i].sub, obj));
	}
}

void
cfg_add_str(json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(v));
}

json_object *
cfg_group_json(const struct key_table *t, const void *obj)
{
	json_object *o = json_object_new_object();

	cfg_keys_to_json(o, t->keys, t->n, obj);
	return o;
}
