/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sync_priv: what the sync daemon's files share (sync.c: roles, sockets,
 * counters; sync_tx.c: the master's batching, sending and dumps;
 * sync_rx.c: the backup's reading, checks and mailboxes).  Private to
 * ha/.  Main lcore only.
 */
#ifndef DPLB_HA_SYNC_PRIV_H
#define DPLB_HA_SYNC_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <netinet/in.h>

#include "ha/sync.h"
#include "ha/sync_msg.h"

#define SYNC_TX_QUEUE 32	/* messages sent per sendmmsg() at most */
#define SYNC_DUMP_NONCES 8	/* backups waiting for one dump */
#define SYNC_RETRY_MS 1000	/* socket retries, dump requests */
#define SYNC_REDUMP_SETTLE_MS 500 /* the lb configuration unchanged for
				   * this long before a new dump request */

struct sync_role {
	bool running;
	struct ha_sync_params p;	/* as given */
	uint64_t since_ms;
	/* resolved */
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;	/* scope: the interface's for
						 * link-local ones */
	} dst;				/* the group or the peer, and port */
	socklen_t dst_len;
	bool unicast;
	uint16_t maxlen;
	uint8_t ttl;
	/* the socket */
	int fd;				/* -1: none (error says why) */
	char error[128];
	uint64_t retry_ms;		/* next attempt */
};

struct sync_state {
	struct sync_role role[HA_SYNC_ROLES];
	struct ha_sync_tunables tun;
	struct ha_sync_stats st;	/* the main lcore's part */
	/* master: messages being built and waiting to go */
	uint8_t *txbuf;			/* SYNC_TX_QUEUE * maxlen */
	uint16_t tx_maxlen;
	unsigned int tx_n;		/* complete messages in txbuf */
	struct sync_msg cur;		/* in txbuf's slot tx_n */
	uint64_t cur_since_ms;		/* its first record */
	/* master: the dump running and the one asked for next */
	bool dumping;
	unsigned int n_nonces, n_next;
	uint32_t nonces[SYNC_DUMP_NONCES];
	uint32_t next_nonces[SYNC_DUMP_NONCES];
	uint64_t next_full_ms;		/* full_refresh */
	uint64_t dump_paced_ms;		/* the pace's last credit */
	/* backup */
	uint8_t *rxbuf;			/* one datagram */
	uint32_t nonce;			/* of this backup's dump request */
	uint64_t next_request_ms;
	/* backup: records dropped for want of a service or dest (its
	 * keepalived had not pushed them yet) and the lb configuration's
	 * generation, at the last dump request; the generation seen last
	 * and since when */
	uint64_t redump_misses, redump_gen, cfg_gen;
	uint64_t cfg_gen_since_ms;
};

extern struct sync_state sync_st;

/** Wall clock minus the workers' clock, ms (records' times). */
uint32_t sync_wall_offset(void);

/** Set (on) or clear a LB_SYNC_WORK_* bit of every worker. */
void sync_work(struct dp_ctx *dp, uint32_t bit, bool on);

/** Send buf on role's socket to its destination: 0 or -errno. */
int sync_send(struct sync_role *r, const uint8_t *buf, size_t len);

/* sync_tx.c */
void sync_tx_apply(struct dp_ctx *dp);		/* workers' sync_conf */
int sync_tx_start(struct dp_ctx *dp);
void sync_tx_stop(struct dp_ctx *dp);
unsigned int sync_tx_tick(struct dp_ctx *dp, uint64_t now);
void sync_tx_dump_request(struct dp_ctx *dp, uint32_t nonce);

/* sync_rx.c */
int sync_rx_start(struct dp_ctx *dp);
void sync_rx_stop(struct dp_ctx *dp);
unsigned int sync_rx_tick(struct dp_ctx *dp, uint64_t now);

#endif /* DPLB_HA_SYNC_PRIV_H */
