/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config: dplbd.conf (libconfig) into a validated, plain struct.
 *
 * The module does no I/O beyond reading the file and touches no DPDK
 * state, so it is unit-tested on strings.  Every error names the file,
 * the line and the full key path, for example
 *   "/etc/dplb/dplbd.conf:12: ports.[0].mtu: must be between 68 and 9600".
 * Unknown keys are errors too, so that typos never pass silently.
 * Keys, types, defaults and ranges are documented in docs/config.md.
 */
#ifndef DPLB_CONFIG_H
#define DPLB_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "inet.h"
#include "conn/conn_state.h"
#include "lb/lb_conf.h"

#define CFG_MAX_PORTS 16
#define CFG_MAX_PORT_ADDRS 32
#define CFG_MAX_ROUTES 256
#define CFG_MAX_NEIGHS 256
#define CFG_MAX_EAL_ARGS 32
#define CFG_IFNAMSIZ 16		/* IFNAMSIZ: port and twin names */
#define CFG_DEVARGS_LEN 256
#define CFG_MAX_SERVICES 256
#define CFG_MAX_SVC_DESTS 4096	/* dests of all services together */
#define CFG_MAX_LADDR_GROUPS 32
#define CFG_ERR_LEN 512
#define CFG_AT_LEN 320		/* "file:line: key" of a setting */

#define CFG_DEFAULT_PATH "/etc/dplb/dplbd.conf"
#define CFG_DEFAULT_SOCKET "/run/dplb/dplbd.sock"
#define CFG_DEFAULT_METRICS_ADDRESS "127.0.0.1"
#define CFG_DEFAULT_METRICS_PORT 9661

struct cfg_port {
	char name[CFG_IFNAMSIZ];	/* dplb's name, "dp0" */
	char device[CFG_DEVARGS_LEN];	/* PCI address or vdev devargs */
	char device_at[CFG_AT_LEN];	/* "file:line: ports.[N].device",
					 * for checks against the host */
	char twin[CFG_IFNAMSIZ];	/* kernel twin (net_tap) name, "" = none */
	bool has_mac;			/* mac overrides the device's MAC */
	uint8_t mac[6];
	uint16_t mtu;
	uint16_t rx_desc;
	uint16_t tx_desc;
	bool promisc;
	unsigned int n_addrs;
	struct inet_prefix addrs[CFG_MAX_PORT_ADDRS];
};

struct cfg_route {
	struct inet_prefix dst;		/* masked */
	struct inet_addr via;		/* family 0: directly connected */
	char dev[CFG_IFNAMSIZ];		/* "" = from the gateway's subnet */
};

struct cfg_neigh {
	struct inet_addr ip;
	uint8_t mac[6];
	char dev[CFG_IFNAMSIZ];
};

/* A virtual service; its dests are svc_dests[first_dest, +n_dests). */
struct cfg_service {
	struct lb_svc_key key;
	struct lb_svc_conf conf;
	unsigned int first_dest;
	unsigned int n_dests;
};

struct cfg_laddr_group {
	char name[LB_NAME_LEN];
	unsigned int n_addrs;
	struct inet_addr addrs[LB_LADDR_MAX_ADDRS];
};

struct dplb_config {
	char path[PATH_MAX];

	/* global */
	int log_level;			/* enum log_level */
	char control_socket[108];	/* sun_path */
	mode_t socket_mode;
	char socket_group[32];		/* "" = keep the process group */
	unsigned int control_idle_timeout;	/* s; 0 = never (ctl_limits) */
	unsigned int control_max_per_uid;	/* 0 = no cap */
	unsigned int control_root_slots;

	/* eal */
	bool hugepages;			/* false: --no-huge */
	unsigned int memory_mb;		/* -m; 0 = DPDK's default */
	unsigned int nr_hugepages;	/* 2 MiB pages to reserve before
					 * start (hugepages.h); 0 = leave */
	char cpus[64];			/* cpu list "0-1"; "" = affinity */
	unsigned int n_eal_args;
	char eal_args[CFG_MAX_EAL_ARGS][128];

	/* dataplane */
	unsigned int workers;
	unsigned int idle_sleep_max_us;	/* 0 = pure polling */
	unsigned int burst;
	unsigned int mbufs;		/* per NUMA socket */
	unsigned int max_routes;
	unsigned int max_conns;		/* per worker */
	unsigned int max_conns6;	/* IPv6 and NAT64, per worker; 0: max_conns / 8 */
	bool lport_random;		/* full-NAT ports start at random */
	bool lport_keep;		/* ... and go on after a restart */

	/* timeouts: seconds per connection state */
	struct conn_timeouts timeouts;
	unsigned int lport_guard;	/* s: a full-NAT tuple reused sooner
					 * is counted (the server's TIME_WAIT) */

	/* sync: the HA connection sync's IPVS sysctls (ha/sync.h) */
	unsigned int sync_threshold;	/* sync_threshold[0] */
	unsigned int sync_period;	/* sync_threshold[1] */
	unsigned int sync_refresh_period;	/* seconds */
	unsigned int sync_retries;
	unsigned int sync_full_refresh;	/* seconds, 0 = never */
	unsigned int sync_dump_rate;	/* records/s of a full dump */

	/* ip */
	bool ip_forward;
	unsigned int icmp_rate;		/* ICMP errors per second per worker */
	unsigned int icmp_burst;	/* ... at most this many at once */
	unsigned int frag_max;		/* datagrams in reassembly per worker */
	unsigned int frag_mem_kb;	/* their buffers, per worker */
	unsigned int frag_timeout_ms;

	/* syn_proxy: the SYN proxy's cookies and handshake (lb/lb_synproxy.c) */
	unsigned int synproxy_period;	/* s per secret generation; 0 = one */
	unsigned int synproxy_seed;	/* 0: a random key; else derived */
	unsigned int synproxy_mss;	/* offered to clients, before the
					 * proxy protocol's and TOA's room */
	unsigned int synproxy_wscale;	/* offered to clients */

	/* ha: an owner's VIP lease outlives its connection by this (vip.h) */
	unsigned int lease_grace_ms;

	/* neigh */
	unsigned int neigh_max;
	unsigned int neigh_reachable_ms;
	unsigned int neigh_retrans_ms;
	unsigned int neigh_probes;
	unsigned int neigh_queue_len;

	unsigned int n_ports;
	struct cfg_port ports[CFG_MAX_PORTS];
	unsigned int n_routes;
	struct cfg_route routes[CFG_MAX_ROUTES];
	unsigned int n_neighs;
	struct cfg_neigh neighs[CFG_MAX_NEIGHS];

	/* metrics: the Prometheus endpoint (ops/metrics.h) */
	bool metrics_enabled;
	char metrics_address[64];	/* IPv4 or IPv6 address to listen on */
	uint16_t metrics_port;

	/* load balancer (lb/lb_conf.h), applied by lb_svc_apply_config() */
	unsigned int n_laddr_groups;
	struct cfg_laddr_group laddr_groups[CFG_MAX_LADDR_GROUPS];
	unsigned int n_services;
	struct cfg_service services[CFG_MAX_SERVICES];
	unsigned int n_svc_dests;
	struct lb_dest_conf svc_dests[CFG_MAX_SVC_DESTS];
	/* static SNAT rules (cfg_snat.c), applied by lb_snat_apply_config() */
	unsigned int n_snat;
	struct lb_snat_conf snat[LB_SNAT_MAX_RULES];
};

/** Fill cfg with every default (no ports, routes or neighbours). */
void config_defaults(struct dplb_config *cfg);

/**
 * Read and validate a file.  Returns 0, or -EINVAL (bad content) or
 * -errno (unreadable) with a one-line message in err.
 */
int config_load(const char *path, struct dplb_config *cfg, char *err,
		size_t errlen);

/** As config_load on text; name stands for the file in messages. */
int config_parse_string(const char *text, const char *name,
			struct dplb_config *cfg, char *err, size_t errlen);

/** Index of the port called name, or -1. */
int config_port_index(const struct dplb_config *cfg, const char *name);

/** The running configuration as a JSON object (new reference). */
json_object *config_to_json(const struct dplb_config *cfg);

#endif /* DPLB_CONFIG_H */
