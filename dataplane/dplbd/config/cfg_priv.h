/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config/ private: the parsing context, the key tables and the helpers
 * that every section's parser shares.  Only config/ files include this
 * header; the contract with the rest of dplbd is config.h.
 *
 * Handlers and helpers report through cfg_err() and return 0 or
 * -EINVAL; the message is then in c->err.
 */
#ifndef DPLB_CFG_PRIV_H
#define DPLB_CFG_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/stat.h>

#include <json-c/json.h>
#include <libconfig.h>

#include "config/config.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* cfg_text.lines[n]: where line n + 1 of the text comes from. */
struct cfg_line {
	unsigned int file;		/* cfg_text.files[file] */
	unsigned int line;
};

/* What libconfig reads: the file with its @include files in place. */
struct cfg_text {
	char *text;
	size_t len, cap;
	struct cfg_line *lines;
	unsigned int n_lines, cap_lines;
	char **files;			/* [0]: the main file's name */
	unsigned int n_files;
	const char *include_dir;	/* for relative @include names */
	bool bol;			/* text ends a line */
	char *err;
	size_t errlen;
};

/* Parsing state: where messages go and what is known so far. */
struct ctx {
	const struct cfg_text *text;	/* file:line of libconfig's lines */
	char *err;
	size_t errlen;
	struct dplb_config *cfg;	/* scratch result */
};

/* --- key tables (cfg_keys.c) ---------------------------------------- */

typedef int (*key_fn)(struct ctx *c, const config_setting_t *s, void *obj);

enum key_kind {
	KEY_UINT,	/* integer in [min, max] stored in an unsigned field */
	KEY_BOOL,
	KEY_GROUP,	/* a group of keys by its own table, into the same obj */
	KEY_FN,		/* anything else: a handler */
};

struct key_table;

struct key {
	const char *name;
	enum key_kind kind;
	size_t off;		/* KEY_UINT, KEY_BOOL: field in obj */
	size_t size;		/* KEY_UINT: sizeof the field */
	long long min, max;	/* KEY_UINT */
	key_fn fn;		/* KEY_FN */
	const struct key_table *sub;	/* KEY_GROUP */
};

/* A table with its length, for groups nested in a table of another file. */
struct key_table {
	const struct key *keys;
	size_t n;
};

#define KEY_TABLE(keys) { keys, ARRAY_SIZE(keys) }

#define UINT_KEY(type, key, field, lo, hi)                                  \
	{ key, KEY_UINT, offsetof(type, field),                             \
	  sizeof(((type *)0)->field), lo, hi, NULL }
#define BOOL_KEY(type, key, field)                                          \
	{ key, KEY_BOOL, offsetof(type, field), sizeof(bool), 0, 0, NULL }
#define FN_KEY(key, handler) { key, KEY_FN, 0, 0, 0, 0, handler }
#define GROUP_KEY(key, table) { key, KEY_GROUP, 0, 0, 0, 0, NULL, &(table) }

/* Report "<file>:<line>: <path>[.child]: <message>"; returns -EINVAL. */
int cfg_err(struct ctx *c, const config_setting_t *s, const char *child,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void cfg_one_line(char *s);

/* Parse group g into obj by its table; unknown keys are errors. */
int cfg_parse_group(struct ctx *c, const config_setting_t *g,
		    const struct key *keys, size_t n, void *obj);
#define PARSE_GROUP(c, g, keys, obj) \
	cfg_parse_group(c, g, keys, ARRAY_SIZE(keys), obj)

/* Elements of list s (at most max of them, each a group), or -EINVAL. */
int cfg_list_length(struct ctx *c, const config_setting_t *s, int max,
		    const char *what);

/* How the groups of a list fill an array (cfg_parse_list). */
struct key_list {
	const struct key_table *keys;
	size_t size;			/* of an element */
	void (*init)(void *elem);	/* defaults after zeroing; or NULL */
	/* Required keys, duplicates...: element idx is parsed, and the
	 * elements before it are accepted.  NULL: none. */
	int (*check)(struct ctx *c, const config_setting_t *e,
		     unsigned int idx);
};

/*
 * The n groups of list s (n from cfg_list_length(); negative: already
 * reported) into items[0..n): each element is zeroed, init, parsed by
 * the table and checked; *count grows after each one, so handlers and
 * checks see how many came before.
 */
int cfg_parse_list(struct ctx *c, const config_setting_t *s, int n,
		   const struct key_list *l, void *items, unsigned int *count);

/* --- values (cfg_keys.c) -------------------------------------------- */

/* A name of 1 to size - 1 characters of A-Z a-z 0-9 _ . - */
bool cfg_name_valid(const char *s, size_t size);

/* Index of the first of items[0..n) (size bytes each) whose string at
 * offset off is str, or -1. */
int cfg_name_index(const void *items, size_t size, unsigned int n,
		   size_t off, const char *str);
#define CFG_NAME_INDEX(arr, n, field, str)                                  \
	cfg_name_index(arr, sizeof((arr)[0]), n,                            \
		       offsetof(__typeof__((arr)[0]), field), str)

const char *cfg_string(struct ctx *c, const config_setting_t *s);
int cfg_copy_string(struct ctx *c, const config_setting_t *s, char *dst,
		    size_t size);
int cfg_string_list(struct ctx *c, const config_setting_t *s, int max,
		    const char *what);
int cfg_addr(struct ctx *c, const config_setting_t *s, struct inet_addr *a);
int cfg_prefix(struct ctx *c, const config_setting_t *s, struct inet_prefix *p);
/* Keys of either family (ports' addresses, routes, static neighbours:
 * the IPv6 stack takes them): parse only, or a unicast address of
 * either family (cfg_inet_unicast()), errors reported. */
int cfg_addr_any(struct ctx *c, const config_setting_t *s,
		 struct inet_addr *a);
int cfg_prefix_any(struct ctx *c, const config_setting_t *s,
		   struct inet_prefix *p);
bool cfg_inet_unicast(const struct inet_addr *a);
int cfg_unicast_addr_any(struct ctx *c, const config_setting_t *s,
			 struct inet_addr *a);
bool cfg_ipv4_unicast(const struct inet_addr *a);
/* cfg_addr(), and a unicast address (cfg_ipv4_unicast()). */
int cfg_unicast_addr(struct ctx *c, const config_setting_t *s,
		     struct inet_addr *a);
/* A string that parse() takes: its result, or -EINVAL reporting msg. */
int cfg_enum(struct ctx *c, const config_setting_t *s,
	     int (*parse)(const char *), const char *msg);
int cfg_unicast_mac(struct ctx *c, const config_setting_t *s, uint8_t mac[6]);

/* --- JSON (cfg_keys.c) ---------------------------------------------- */

void cfg_keys_to_json(json_object *o, const struct key *keys, size_t n,
		      const void *obj);
#define KEYS_TO_JSON(o, keys, obj) \
	cfg_keys_to_json(o, keys, ARRAY_SIZE(keys), obj)
void cfg_add_str(json_object *o, const char *key, const char *v);
/* A group of table-driven keys (KEY_GROUP ones nested) as an object. */
json_object *cfg_group_json(const struct key_table *t, const void *obj);

/* --- sections: handlers of the top-level keys, and their JSON ------- */

/* cfg_global.c */
extern const struct key_table cfg_global_keys, cfg_dataplane_keys,
	cfg_ip_keys, cfg_ha_keys, cfg_timeout_keys, cfg_sync_keys,
	cfg_synproxy_keys;
int cfg_top_eal(struct ctx *c, const config_setting_t *s, void *obj);
int cfg_top_sync(struct ctx *c, const config_setting_t *s, void *obj);
json_object *cfg_global_json(const struct dplb_config *cfg);
json_object *cfg_eal_json(const struct dplb_config *cfg);
extern const struct key_table cfg_metrics_keys;
json_object *cfg_metrics_json(const struct dplb_config *cfg);

/* cfg_ports.c */
int cfg_top_ports(struct ctx *c, const config_setting_t *s, void *obj);
/* A port reference (dev = "dp1"): must name a port defined above. */
int cfg_port_ref(struct ctx *c, const config_setting_t *s, char *dst);
json_object *cfg_port_json(const struct cfg_port *port);

/* cfg_net.c */
extern const struct key_table cfg_neigh_keys;
int cfg_top_routes(struct ctx *c, const config_setting_t *s, void *obj);
json_object *cfg_neigh_json(const struct dplb_config *cfg);
json_object *cfg_route_json(const struct cfg_route *r);

/* cfg_lb.c */
int cfg_top_laddr_groups(struct ctx *c, const config_setting_t *s, void *obj);
int cfg_top_services(struct ctx *c, const config_setting_t *s, void *obj);
json_object *cfg_laddr_group_json(const struct cfg_laddr_group *g);
json_object *cfg_service_json(const struct dplb_config *cfg,
			       const struct cfg_service *svc);

/* cfg_snat.c */
int cfg_top_snat(struct ctx *c, const config_setting_t *s, void *obj);
json_object *cfg_snat_json(const struct lb_snat_conf *r);

/* --- text (cfg_text.c) ---------------------------------------------- */

/*
 * Text (named name, for messages) with its @include files expanded and
 * wide integers marked, into t (zeroed, with err and errlen set).  st:
 * the text's own file, so that including it again is a loop; or NULL.
 * Returns 0, or -EINVAL / -ENOMEM / -EFBIG with a message in t->err.
 * cfg_text_free() in every case.
 */
int cfg_text_expand(struct cfg_text *t, const char *text, const char *name,
		    const char *include_dir, const struct stat *st);
void cfg_text_free(struct cfg_text *t);
/* The file name and (in *line) the line of line n of t->text. */
const char *cfg_text_where(const struct cfg_text *t, unsigned int n,
			   unsigned int *line);

/*
 * The whole file as a string (malloc'ed) in *text, its stat in *st; or
 * -errno.  regular_only: -EISDIR for a directory, -EINVAL for any other
 * file that is not regular (a FIFO would block, a device never end).
 */
int cfg_read_file(const char *path, char **text, struct stat *st,
		  bool regular_only);

#endif /* DPLB_CFG_PRIV_H */
