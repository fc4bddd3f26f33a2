/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conn_ctl: the main lcore asks a worker about its connections.
 *
 * A worker's connection table is read and written by that worker only
 * (conn.h), so the main lcore never touches it.  Instead each worker
 * has a single-slot mailbox: the main lcore posts a request (a page of
 * a listing, or of a flush, with filters) that points to a response
 * buffer the main lcore allocated; the worker serves it in its loop,
 * one page per loop turn at most (conn_foreach(): at most max entries
 * visited and 16 max + 64 scanned), and publishes completion with a
 * release store.  The main lcore waits for it with a bounded sleep and
 * gives up with -ETIMEDOUT; a request the worker did not take is taken
 * back, one it is serving is waited for (bounded, the page is) and, if
 * even that fails, left to the worker and never freed.
 *
 * Flushing a connection releases it exactly as expiry does (dest
 * counts and reference, lb_conn_drop()).
 */
#ifndef DPLB_CONN_CTL_H
#define DPLB_CONN_CTL_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_common.h>

#include "core/dp.h"

#define CONN_CTL_PAGE_MAX 4096		/* entries per page at most */
#define CONN_CTL_PAGE_DEFAULT 512
#define CONN_CTL_WAIT_MS 2000		/* for one worker's answer, plus
					 * twice its longest idle sleep: a
					 * worker sharing a busy CPU may not
					 * run for a scheduler tick or more
					 * (500 ms was missed on 2 cores at
					 * a load of 20) */
#define CONN_CTL_STATE_UDP 0xff
#define CONN_CTL_CURSOR_V6 0x80000000u	/* above CONN_MAX_CAPACITY */		/* state filter: every UDP state */

/* What a filter compares (struct conn_filter.have). */
#define CONN_FLT_PROTO 0x01
#define CONN_FLT_STATE 0x02
#define CONN_FLT_CLIENT 0x04
#define CONN_FLT_CLIENT_PORT 0x08
#define CONN_FLT_VIP 0x10
#define CONN_FLT_VPORT 0x20
#define CONN_FLT_DEST 0x40
#define CONN_FLT_DPORT 0x80
#define CONN_FLT_SYNCED 0x100

/** Which connections a request is about; network order. */
struct conn_filter {
	uint32_t have;			/* CONN_FLT_*; 0 = every connection */
	uint8_t proto;
	uint8_t state;			/* TCP state, or CONN_CTL_STATE_UDP */
	bool synced;			/* from an HA peer, or not */
	rte_be16_t client_port, vport, dport;
	rte_be32_t client, vip, dest;
};

/** One connection as a listing shows it; addresses in network order. */
struct conn_ctl_entry {
	rte_be32_t client, vip, local, dest;
	rte_be16_t client_port, vport, local_port, dport;
	uint32_t expire_ms;		/* until it expires if left idle */
	uint8_t proto, state, fwd;
	bool has_local;			/* FNAT, SNAT: local is the LIP */
	bool is_template;		/* a persistence template: client
					 * net:0 -> VIP:vport */
	bool synced;			/* installed or updated from an HA
					 * peer's sync record */
	/* family of client and vip (AF_INET: the fields above; AF_INET6:
	 * client6, vip6) and of local and dest (AF_INET for NAT64) */
	uint8_t family;
	uint8_t out_family;
	uint8_t client6[16], vip6[16], local6[16], dest6[16];
};

enum conn_ctl_op {
	CONN_CTL_LIST,
	CONN_CTL_FLUSH,
};

/**
 * A page request to one worker.  conn_ctl_page() allocates it and its
 * buffer with rte_malloc and frees them once the worker has answered.
 */
struct conn_ctl_req {
	uint8_t op;			/* enum conn_ctl_op */
	struct conn_filter f;
	uint32_t cursor;		/* in: where to start (0: first page);
					 * out: the next page, CONN_ITER_END;
					 * CONN_CTL_CURSOR_V6 set: in the IPv6
					 * table (lb6), after the IPv4 one */
	uint32_t max;			/* 1..CONN_CTL_PAGE_MAX */
	uint32_t n;			/* out: entries listed or flushed */
	void *buf;			/* max entries (LIST) or max
					 * connection pointers (FLUSH) */
	uint32_t done;			/* set by the worker, release */
};

/** The mailboxes, one cache line per worker. */
struct conn_ctl_box {
	struct conn_ctl_req *req;	/* posted, not yet taken */
} __rte_cache_aligned;

extern struct conn_ctl_box conn_ctl_boxes[DP_MAX_WORKERS];

/** Worker side: serve a posted page request (see conn_ctl_serve()). */
unsigned int conn_ctl_serve_slow(struct dp_ctx *dp, struct dp_worker *w);

/**
 * Worker: serve this worker's mailbox if a request waits; one page.
 * Returns 1 if it served one (count it as work), 0 otherwise.  Costs
 * one load when the mailbox is empty.
 */
static inline unsigned int
conn_ctl_serve(struct dp_ctx *dp, struct dp_worker *w)
{
	if (likely(__atomic_load_n(&conn_ctl_boxes[w->id].req,
				   __ATOMIC_RELAXED) == NULL))
		return 0;
	return conn_ctl_serve_slow(dp, w);
}

/**
 * Main lcore: have worker serve one page of op from *cursor (0 to
 * start) with filter f, at most max (1..CONN_CTL_PAGE_MAX) entries:
 * LIST copies them to out (max entries), FLUSH drops them (out NULL).
 * *n is the number listed or flushed, *cursor the next page's start or
 * CONN_ITER_END.  Waits up to CONN_CTL_WAIT_MS plus twice the workers'
 * longest idle sleep.  0, -EINVAL, -ENOMEM, or -ETIMEDOUT when the
 * worker did not answer.  Main lcore only, one request at a time.
 */
int conn_ctl_page(struct dp_ctx *dp, unsigned int worker,
		  enum conn_ctl_op op, const struct conn_filter *f,
		  uint32_t *cursor, uint32_t max, struct conn_ctl_entry *out,
		  uint32_t *n);

/** Whether the connection e describes matches f. */
bool conn_filter_match(const struct conn_filter *f,
		       const struct conn_ctl_entry *e);

#endif /* DPLB_CONN_CTL_H */
