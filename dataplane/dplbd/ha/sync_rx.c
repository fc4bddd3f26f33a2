/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sync_rx: what the sync sockets hear, on the main lcore: a backup reads
 * the master's records, checks them and hands each to the worker that
 * owns its flow (its `in` ring: the main lcore is the one producer); a
 * master hears the backups' dump requests.  Both roles' sockets feed the
 * same reader, so a node running both answers on either.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>

#include <rte_random.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "core/dp.h"
#include "lb/lb.h"
#include "lb/lb_svc.h"
#include "log.h"
#include "sync_priv.h"

#define RX_BUF 65536
#define RX_PER_TICK 64		/* datagrams per socket per loop turn */

struct rx_ctx {
	struct dp_ctx *dp;
	uint32_t wall_off;
};

static void
rx_conn(struct rx_ctx *x, const struct sync_item *it)
{
	const struct sync_role *b = &sync_st.role[HA_SYNC_BACKUP];
	struct ha_sync_stats *st = &sync_st.st;
	struct lb_sync_rec r = it->rec;
	enum sync_drop why;
	unsigned int owner;

	if (!b->running)
		return;		/* a master's socket hearing another one */
	if (b->p.syncid != 0 && it->syncid != b->p.syncid) {
		st->drops[SYNC_DROP_SYNCID]++;
		return;
	}
	st->records_recv++;
	if (it->n_workers != 0 && it->n_workers != st->peer_workers) {
		st->peer_workers = it->n_workers;
		if (it->n_workers != x->dp->n_workers)
			LOG_WARN("sync daemon: the master runs %u workers, this node %u: its full-NAT connections whose local port falls in another worker's slice here are refused (dataplane.workers must match)",
				 it->n_workers, x->dp->n_workers);
	}
	/* the wall clock to the workers' (0 stays "unknown") */
	if (r.ms != 0)
		r.ms = r.ms != x->wall_off ? r.ms - x->wall_off : 1;
	if (!lb_sync_owner(x->dp, &r, &owner, &why)) {
		st->drops[why]++;
		return;
	}
	if (rte_ring_sp_enqueue_elem(x->dp->workers[owner].sync.in, &r,
				     sizeof(r)) != 0)
		st->drops[SYNC_DROP_MAILBOX_FULL]++;
}

static void
rx_item(void *arg, const struct sync_item *it)
{
	struct rx_ctx *x = arg;
	const struct sync_role *m = &sync_st.role[HA_SYNC_MASTER];
	struct sync_role *b = &sync_st.role[HA_SYNC_BACKUP];

	switch (it->kind) {
	case SYNC_EXT_CONN:
		rx_conn(x, it);
		break;
	case SYNC_EXT_DUMP_REQUEST:
		if (!m->running || (m->p.syncid != 0 &&
				    it->syncid != m->p.syncid))
			break;
		sync_st.st.dump_requests_recv++;
		sync_tx_dump_request(x->dp, it->nonce);
		break;
	case SYNC_EXT_DUMP_END:
		if (!b->running || it->nonce != sync_st.nonce ||
		    sync_st.st.dump_complete)
			break;
		sync_st.st.dump_complete = true;
		sync_st.st.dumps_recv++;
		LOG_NOTICE("sync daemon: backup has the master's full dump (%llu records so far)",
			   (unsigned long long)sync_st.st.records_recv);
		break;
	default:
		break;
	}
}

/* A unicast role takes messages from its peer only (IPv4, or IPv6:
 * the socket is IPv6-only, so no IPv4-mapped source). */
static bool
rx_from_peer(const struct sync_role *r, const struct sockaddr_storage *src)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)src;
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)src;

	if (!r->unicast)
		return true;
	if (src->ss_family != r->dst.sa.sa_family)
		return false;
	if (src->ss_family == AF_INET)
		return s4->sin_addr.s_addr == r->dst.in.sin_addr.s_addr;
	return memcmp(&s6->sin6_addr, &r->dst.in6.sin6_addr, 16) == 0;
}

static unsigned int
rx_socket(struct rx_ctx *x, struct sync_role *r)
{
	struct sockaddr_storage src;
	socklen_t sl;
	unsigned int n;
	ssize_t len;

	for (n = 0; n < RX_PER_TICK; n++) {
		sl = sizeof(src);
		len = recvfrom(r->fd, sync_st.rxbuf, RX_BUF, MSG_DONTWAIT,
			       (struct sockaddr *)&src, &sl);
		if (len < 0)
			break;
		if (!rx_from_peer(r, &src)) {
			sync_st.st.drops[SYNC_DROP_WRONG_PEER]++;
			continue;
		}
		sync_st.st.msgs_recv++;
		sync_st.st.bytes_recv += (uint64_t)len;
		sync_st.st.last_recv_ms = dp_now_ms();
		sync_msg_parse(sync_st.rxbuf, (size_t)len, rx_item, x,
			       sync_st.st.drops);
	}
	return n;
}

/* A backup asks for a full dump until one has ended. */
static void
rx_request(struct dp_ctx *dp, uint64_t now)
{
	struct sync_role *b = &sync_st.role[HA_SYNC_BACKUP];
	uint8_t buf[SYNC_MSG_HDR_LEN + SYNC_MSG_ENTRY_LEN];
	struct sync_msg m;

	if (!b->running || sync_st.st.dump_complete || b->fd < 0 ||
	    now < sync_st.next_request_ms)
		return;
	sync_st.next_request_ms = now + SYNC_RETRY_MS;
	sync_msg_init(&m, buf, sizeof(buf), b->p.syncid);
	sync_msg_add_ctl(&m, SYNC_EXT_DUMP_REQUEST, sync_st.nonce,
			 sync_wall_offset() + lb_clock_ms(),
			 (uint16_t)dp->n_workers);
	if (sync_send(b, buf, m.len) == 0)
		sync_st.st.dump_requests_sent++;
	else
		sync_st.st.send_errors++;
}

/* Records dropped because this node lacked their service or dest. */
static uint64_t
rx_config_misses(const struct dp_ctx *dp)
{
	uint64_t n = sync_st.st.drops[SYNC_DROP_UNKNOWN_SERVICE] +
		     sync_st.st.drops[SYNC_DROP_UNKNOWN_DEST];
	unsigned int i;

	for (i = 0; i < dp->n_workers; i++)
		n += dp->workers[i].sync.drops[SYNC_DROP_UNKNOWN_SERVICE] +
		     dp->workers[i].sync.drops[SYNC_DROP_UNKNOWN_DEST];
	return n;
}

static void
rx_mark_request(const struct dp_ctx *dp)
{
	sync_st.redump_misses = rx_config_misses(dp);
	sync_st.redump_gen = sync_st.cfg_gen;
}

/*
 * A backup that starts with its keepalived gets the master's dump
 * before the checkers have pushed every service and dest: those records
 * are dropped, and an idle connection is not reported again.  So once
 * the configuration has changed since the last request (and then held
 * still for a moment), records dropped for want of it since then make
 * the backup ask for a full dump again.  A service the master has and
 * this node never gets costs no more than one extra dump.
 */
static void
rx_redump_check(struct dp_ctx *dp, uint64_t now)
{
	uint64_t gen = dp->lb->gen, misses;

	if (gen != sync_st.cfg_gen) {
		sync_st.cfg_gen = gen;
		sync_st.cfg_gen_since_ms = now;
		return;
	}
	if (!sync_st.st.dump_complete || gen == sync_st.redump_gen ||
	    now - sync_st.cfg_gen_since_ms < SYNC_REDUMP_SETTLE_MS)
		return;
	misses = rx_config_misses(dp);
	if (misses == sync_st.redump_misses)
		return;
	LOG_NOTICE("sync daemon: %llu records were dropped for want of a service or dest configured since: asking the master for a full dump again",
		   (unsigned long long)(misses - sync_st.redump_misses));
	sync_st.nonce = (uint32_t)rte_rand() | 1;
	sync_st.st.dump_complete = false;
	sync_st.next_request_ms = 0;
	rx_mark_request(dp);
}

int
sync_rx_start(struct dp_ctx *dp)
{
	if (sync_st.rxbuf == NULL)
		sync_st.rxbuf = malloc(RX_BUF);
	if (sync_st.rxbuf == NULL)
		return -ENOMEM;
	/* a new nonce: a dump for an earlier start does not count */
	sync_st.nonce = (uint32_t)rte_rand() | 1;
	sync_st.st.dump_complete = false;
	sync_st.next_request_ms = 0;
	sync_st.cfg_gen = dp->lb->gen;
	sync_st.cfg_gen_since_ms = dp_now_ms();
	rx_mark_request(dp);
	sync_work(dp, LB_SYNC_WORK_INSTALL, true);
	return 0;
}

void
sync_rx_stop(struct dp_ctx *dp)
{
	sync_work(dp, LB_SYNC_WORK_INSTALL, false);
	sync_st.st.dump_complete = false;
}

unsigned int
sync_rx_tick(struct dp_ctx *dp, uint64_t now)
{
	struct rx_ctx x = { .dp = dp, .wall_off = sync_wall_offset() };
	unsigned int i, work = 0;
	struct sync_role *r;

	if (sync_st.rxbuf == NULL) {
		sync_st.rxbuf = malloc(RX_BUF);
		if (sync_st.rxbuf == NULL)
			return 0;
	}
	for (i = 0; i < HA_SYNC_ROLES; i++) {
		r = &sync_st.role[i];
		if (r->running && r->fd >= 0)
			work += rx_socket(&x, r);
	}
	if (sync_st.role[HA_SYNC_BACKUP].running)
		rx_redump_check(dp, now);
	rx_request(dp, now);
	return work;
}
