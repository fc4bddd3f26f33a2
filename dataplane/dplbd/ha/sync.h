/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sync: the connection-sync daemon of an HA pair, as Linux IPVS's
 * (ipvsadm --start-daemon, keepalived's lvs_sync_daemon) drives it
 * through sync.start and sync.stop.  Two roles, which may run at once:
 *
 *   master  the workers report connections (lb/lb.h, lb_sync.c) on their
 *           rings; the main lcore batches the records into IPVS sync v1
 *           messages (ha/sync_msg.h) of at most sync_maxlen bytes and
 *           sends them with a UDP socket through the kernel: to the
 *           multicast group (224.0.0.81:8848 by default, or an IPv6
 *           group such as ff02::81) on the interface ifname (a twin),
 *           or to a unicast peer (IPv4 or IPv6).  It answers
 *           a backup's request for a full dump by having every worker
 *           walk its table onto the same rings, then says the dump ended.
 *   backup  the main lcore reads messages on that group or port,
 *           checks them (counted drops by reason), and hands each record
 *           to the worker that owns its flow on that worker's mailbox
 *           ring; the worker installs it (lb_sync_install()).  On start
 *           it asks the master for a full dump, again every second
 *           until one has ended.
 *
 * Loss: every record is a full state, so a lost one is repaired by the
 * next report of the same connection (sync_period packets or
 * sync_refresh_period later), by a dump a backup asks for when it
 * (re)starts, and, when full_refresh is set, by a full dump that often.
 * A role that cannot open its socket (no such interface yet) runs
 * without one, says why in its status, and tries again every second.
 *
 * Main lcore only, but for what the workers do on their rings.
 */
#ifndef DPLB_HA_SYNC_H
#define DPLB_HA_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/dp.h"
#include "core/stats.h"
#include "inet.h"

enum ha_sync_role {
	HA_SYNC_MASTER,
	HA_SYNC_BACKUP,
	HA_SYNC_ROLES,
};

#define HA_SYNC_IFNAMSIZ 16

/** A role's parameters, as keepalived's lvs_sync_daemon gives them;
 * 0 (or family 0) for what was not given. */
struct ha_sync_params {
	char ifname[HA_SYNC_IFNAMSIZ];	/* "" = none */
	uint8_t syncid;
	uint16_t maxlen;		/* sync_maxlen */
	struct inet_addr mcast_group;
	uint16_t mcast_port;
	uint8_t mcast_ttl;
	struct inet_addr peer;		/* dplb: a unicast peer instead of
					 * the group */
};

/** IPVS's sync sysctls (ipvs-sysctl.rst), one set for the node. */
struct ha_sync_tunables {
	unsigned int threshold;		/* sync_threshold[0], < period */
	unsigned int period;		/* sync_threshold[1], 0..65534 */
	unsigned int refresh_period;	/* sync_refresh_period, seconds */
	unsigned int retries;		/* sync_retries, 0..3 */
	unsigned int full_refresh;	/* dplb: a master's full dump every
					 * this many seconds, 0 = never */
	unsigned int dump_rate;		/* dplb: records per second a full
					 * dump sends at most */
};

/** How a role's socket stands, and its resolved parameters. */
struct ha_sync_status {
	bool up;			/* the socket is open */
	char error[128];		/* why not */
	uint16_t maxlen;		/* defaults applied */
	struct inet_addr dst;		/* the group, or the peer */
	uint16_t port;
	uint8_t ttl;
};

/** Everything counted, workers' counters summed. */
struct ha_sync_stats {
	/* master */
	uint64_t records_emitted;	/* by the workers */
	uint64_t records_lost;		/* a worker's ring was full */
	uint64_t records_dumped;	/* of which from full dumps */
	uint64_t records_sent;		/* in messages sent */
	uint64_t msgs_sent, bytes_sent;
	uint64_t send_errors;		/* messages the socket refused */
	uint64_t dump_requests_recv;
	uint64_t dumps_done;
	/* backup */
	uint64_t msgs_recv, bytes_recv;
	uint64_t records_recv;
	uint64_t installed, updated;
	uint64_t drops[SYNC_DROP_MAX];
	uint64_t lag_sum_ms, lag_n;
	uint32_t lag_max_ms;
	uint64_t dump_requests_sent;
	uint64_t dumps_recv;
	bool dump_complete;		/* this backup has had a full dump */
	uint16_t peer_workers;		/* the master's, 0 = not heard */
	uint64_t last_recv_ms;		/* dp_now_ms(), 0 = never */
};

/** "master", "backup". */
const char *ha_sync_role_name(enum ha_sync_role role);

/** The role called name, or -EINVAL. */
int ha_sync_role_parse(const char *name);

/** The tunables of dp's config; call once before anything else. */
void ha_sync_init(struct dp_ctx *dp);

/**
 * Check p: 0, or -EINVAL with the reason in msg: a group that is not
 * multicast, or (IPv6) of interface-local or reserved scope; a peer that
 * is not unicast, IPv4-mapped, or link-local without ifname; both at
 * once.  Either family, as IPVS's (the messages are the same).
 */
int ha_sync_params_check(const struct ha_sync_params *p, char *msg,
			 size_t len);

/**
 * Start role with p (checked); a running role restarts with the new
 * parameters, so that a client pushing its state again needs no stop
 * first.  Entries the node holds stay whatever the role.
 */
void ha_sync_start(struct dp_ctx *dp, enum ha_sync_role role,
		   const struct ha_sync_params *p);

/** Stop role: 0, or -ESRCH if it does not run. */
int ha_sync_stop(struct dp_ctx *dp, enum ha_sync_role role);

/** role's parameters and since when (dp_now_ms()) it runs, or NULL. */
const struct ha_sync_params *ha_sync_get(enum ha_sync_role role,
					 uint64_t *since_ms);

/** role's socket status (role running). */
void ha_sync_status(enum ha_sync_role role, struct ha_sync_status *st);

/** Check and set the tunables: 0 or -EINVAL with msg. */
int ha_sync_set_tunables(struct dp_ctx *dp, const struct ha_sync_tunables *t,
			 char *msg, size_t len);

void ha_sync_get_tunables(struct ha_sync_tunables *t);

/** The counters, the workers' summed. */
void ha_sync_get_stats(const struct dp_ctx *dp, struct ha_sync_stats *st);

/**
 * Main loop: send what the workers reported, read what the peer sent,
 * run dumps, retry sockets.  Returns the work done (0: idle).
 */
unsigned int ha_sync_tick(struct dp_ctx *dp);

/** Stop both roles (shutdown). */
void ha_sync_shutdown(struct dp_ctx *dp);

#endif /* DPLB_HA_SYNC_H */
