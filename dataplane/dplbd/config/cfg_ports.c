/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config: the ports list of dplbd.conf (one DPDK port each, with its
 * kernel twin and addresses), port references, and their JSON.
 */

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cfg_priv.h"

/* Port and twin names: Linux interface name rules, kept to a safe set. */
static bool
ifname_valid(const char *s)
{
	return cfg_name_valid(s, CFG_IFNAMSIZ) && strcmp(s, ".") != 0 &&
	       strcmp(s, "..") != 0;
}

/* --- ports ---------------------------------------------------------- */

/* Index of the port being parsed, for "(see ports.[N])" in messages. */
#define CUR_PORT(c) ((c)->cfg->n_ports)

/*
 * An interface name into the field at off of the port being parsed
 * (what: "port" or "twin"), unless a port before uses it there.
 */
static int
port_ifname(struct ctx *c, const config_setting_t *s, size_t off,
	    const char *what)
{
	struct cfg_port *ports = c->cfg->ports;
	const char *v = cfg_string(c, s);
	int i;

	if (v == NULL)
		return -EINVAL;
	if (!ifname_valid(v))
		return cfg_err(c, s, NULL, "invalid %s name '%s': use 1 to "
				"15 characters of A-Z a-z 0-9 _ . -", what, v);
	i = cfg_name_index(ports, sizeof(*ports), CUR_PORT(c), off, v);
	if (i >= 0)
		return cfg_err(c, s, NULL, "duplicate %s name '%s' (see "
			       "ports.[%d])", what, v, i);
	strcpy((char *)&ports[CUR_PORT(c)] + off, v);
	return 0;
}

static int
port_name(struct ctx *c, const config_setting_t *s, void *obj)
{
	return port_ifname(c, s, offsetof(struct cfg_port, name), "port");
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
	unsigned int i, line;
	const char *p, *file;

	if (cfg_copy_string(c, s, port->device, sizeof(port->device)) < 0)
		return -EINVAL;
	if (port->device[0] == '\0')
		return cfg_err(c, s, NULL, "must not be empty");
	for (p = port->device; *p != '\0'; p++)
		if (isspace((unsigned char)*p))
			return cfg_err(c, s, NULL, "must not contain spaces");
	file = cfg_text_where(c->text, config_setting_source_line(s), &line);
	snprintf(port->device_at, sizeof(port->device_at), "%s:%u: "
		 "ports.[%u].device", file, line, CUR_PORT(c));
	device_id(port->device, id, sizeof(id));
	for (i = 0; i < CUR_PORT(c); i++) {
		device_id(c->cfg->ports[i].device, other, sizeof(other));
		if (strcmp(id, other) == 0)
			return cfg_err(c, s, NULL, "device '%s' is already "
					"used by ports.[%u]", id, i);
	}
	return 0;
}

static int
port_mac(struct ctx *c, const config_setting_t *s, void *obj)
{
	struct cfg_port *port = obj;
	int ret = cfg_unicast_mac(c, s, port->mac);

	port->has_mac = ret == 0;
	return ret;
}

static int
port_twin(struct ctx *c, const config_setting_t *s, void *obj)
{
	if (config_setting_type(s) == CONFIG_TYPE_STRING &&
	    *config_setting_get_string(s) == '\0')	/* no kernel twin */
		return 0;
	return port_ifname(c, s, offsetof(struct cfg_port, twin), "twin");
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
	int i, n = cfg_string_list(c, s, CFG_MAX_PORT_ADDRS, "addresses");
	struct cfg_port *port = obj;
	const struct cfg_port *owner;
	struct inet_prefix p;

	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		const char *v = config_setting_get_string(e);

		if (cfg_prefix_any(c, e, &p) < 0)
			return -EINVAL;
		if (!cfg_inet_unicast(&p.addr))
			return cfg_err(c, e, NULL, "'%s' is not a unicast "
					"address", v);
		if (p.len == 0)
			return cfg_err(c, e, NULL, "prefix length of '%s' "
					"must be 1 to %u", v,
					inet_max_len(p.addr.family));
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

static void
port_init(void *elem)
{
	struct cfg_port *port = elem;

	port->mtu = 1500;
	port->rx_desc = 1024;
	port->tx_desc = 1024;
}

static int
port_check(struct ctx *c, const config_setting_t *e, unsigned int idx)
{
	const struct cfg_port *port = &c->cfg->ports[idx];

	if (port->name[0] == '\0')
		return cfg_err(c, e, "name", "is required");
	if (port->device[0] == '\0')
		return cfg_err(c, e, "device", "is required");
	return 0;
}

static const struct key_table port_table = KEY_TABLE(port_keys);
static const struct key_list port_list = {
	&port_table, sizeof(struct cfg_port), port_init, port_check,
};

int
cfg_top_ports(struct ctx *c, const config_setting_t *s, void *obj)
{
	return cfg_parse_list(c, s, cfg_list_length(c, s, CFG_MAX_PORTS,
						     "ports"),
			      &port_list, c->cfg->ports, &c->cfg->n_ports);
}

/* A port reference (dev = "dp1"): must name a port defined above. */
int
cfg_port_ref(struct ctx *c, const config_setting_t *s, char *dst)
{
	if (cfg_copy_string(c, s, dst, CFG_IFNAMSIZ) < 0)
		return -EINVAL;
	if (dst[0] != '\0' && config_port_index(c->cfg, dst) < 0)
		return cfg_err(c, s, NULL, "no port named '%s'", dst);
	return 0;
}

/* --- JSON ----------------------------------------------------------- */

json_object *
cfg_port_json(const struct cfg_port *port)
{
	json_object *o = json_object_new_object();
	json_object *addrs = json_object_new_array();
	char p[INET_PREFIX_STRLEN];
	unsigned int i;

	cfg_add_str(o, "name", port->name);
	cfg_add_str(o, "device", port->device);
	cfg_add_str(o, "twin", port->twin);
	if (port->has_mac)
		cfg_add_str(o, "mac", mac_fmt(port->mac, p, sizeof(p)));
	KEYS_TO_JSON(o, port_keys, port);
	for (i = 0; i < port->n_addrs; i++)
		json_object_array_add(addrs, json_object_new_string(
			inet_prefix_fmt(&port->addrs[i], p, sizeof(p))));
	json_object_object_add(o, "addresses", addrs);
	return o;
}
