#define CFG_MAX_FILE_SIZE (16u << 20)	/* /dev/zero must not hang us */
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
