/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sync_tx: the master's side of the sync daemon on the main lcore: what
 * the workers report (lb/lb.h, lb_sync.c), drained from their rings, batched
 * into messages of at most sync_maxlen bytes and sent; full dumps.
 *
 * A message goes when it is full or when its first record has waited
 * TX_FLUSH_MS, so that records of a busy master travel a few hundred to
 * the datagram and those of a quiet one are late by 10 ms at most (IPVS
 * waits up to 2 s).  A worker's ring is drained a few bursts per loop
 * turn; what a full ring loses is counted by the worker and repaired by
 * the next report of the same connection.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "core/dp.h"
#include "lb/lb.h"
#include "log.h"
#include "sync_priv.h"

#define TX_BURST 256		/* records per ring dequeue */
#define TX_BURSTS 16		/* dequeues per worker per loop turn */
#define TX_FLUSH_MS 10
#define DUMP_BURST 2048		/* records a dump may send at once */

/* ---- the workers' settings ---- */

void
sync_tx_apply(struct dp_ctx *dp)
{
	const struct ha_sync_tunables *t = &sync_st.tun;
	struct dp_sync_conf c = {
		.retries = (uint8_t)t->retries,
		.threshold = (uint16_t)t->threshold,
		.period = (uint16_t)t->period,
		.wrap = (uint16_t)(t->period ? t->period : 0xffff),
		.refresh_t = (uint16_t)RTE_MIN((t->refresh_period * 1000u) >>
					       LB_SYNC_TICK_SHIFT, 0x3fffu),
	};
	uint8_t mode = LB_SYNC_OFF;
	unsigned int i;

	if (sync_st.role[HA_SYNC_MASTER].running)
		mode = t->period == 0 && t->refresh_period != 0 ?
			       LB_SYNC_TIME : LB_SYNC_PKTS;
	for (i = 0; i < dp->n_workers; i++) {
		struct dp_sync_conf *wc = &dp->workers[i].sync_conf;

		/* off first, on last: a worker never reports with the
		 * half-written settings of another mode */
		__atomic_store_n(&wc->mode, LB_SYNC_OFF, __ATOMIC_RELEASE);
		wc->retries = c.retries;
		wc->threshold = c.threshold;
		wc->period = c.period;
		wc->wrap = c.wrap;
		wc->refresh_t = c.refresh_t;
		__atomic_store_n(&wc->mode, mode, __ATOMIC_RELEASE);
	}
}

/* ---- messages ---- */

static uint8_t *
slot(unsigned int k)
{
	return sync_st.txbuf + (size_t)k * sync_st.tx_maxlen;
}

static void
cur_open(void)
{
	sync_msg_init(&sync_st.cur, slot(sync_st.tx_n), sync_st.tx_maxlen,
		      sync_st.role[HA_SYNC_MASTER].p.syncid);
}

/* Send the complete messages (slots 0..tx_n-1), as many per system
 * call as there are. */
static void
tx_send(void)
{
	struct sync_role *r = &sync_st.role[HA_SYNC_MASTER];
	struct mmsghdr mh[SYNC_TX_QUEUE];
	struct iovec iov[SYNC_TX_QUEUE];
	unsigned int i, n = sync_st.tx_n;
	int sent = 0;

	for (i = 0; i < n; i++) {
		iov[i] = (struct iovec){ slot(i), (size_t)(slot(i)[2] << 8 |
							   slot(i)[3]) };
		mh[i] = (struct mmsghdr){ .msg_hdr = {
			.msg_name = &r->dst, .msg_namelen = r->dst_len,
			.msg_iov = &iov[i], .msg_iovlen = 1 } };
	}
	if (n != 0 && r->fd >= 0)
		sent = sendmmsg(r->fd, mh, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (sent < 0)
		sent = 0;
	for (i = 0; i < (unsigned int)sent; i++) {
		sync_st.st.msgs_sent++;
		sync_st.st.bytes_sent += iov[i].iov_len;
		sync_st.st.records_sent += slot(i)[4] / 2u;
	}
	sync_st.st.send_errors += n - (unsigned int)sent;
	sync_st.tx_n = 0;
}

/* The current message is complete: queue it, send when the queue is. */
static void
cur_close(void)
{
	if (sync_msg_empty(&sync_st.cur))
		return;
	sync_st.tx_n++;
	if (sync_st.tx_n == SYNC_TX_QUEUE)
		tx_send();
	cur_open();
}

/* Send the complete messages; the current one stays, in slot 0. */
static void
tx_flush_queue(void)
{
	if (sync_st.tx_n == 0)
		return;
	tx_send();
	if (sync_msg_empty(&sync_st.cur)) {
		cur_open();
		return;
	}
	memmove(slot(0), sync_st.cur.buf, sync_st.cur.len);
	sync_st.cur.buf = slot(0);
}

static void
tx_add(const struct lb_sync_rec *r, uint32_t wall_off, uint16_t n_workers,
       uint64_t now)
{
	if (sync_msg_empty(&sync_st.cur))
		sync_st.cur_since_ms = now;
	if (sync_msg_add(&sync_st.cur, r, r->ms + wall_off, n_workers) == 0)
		return;
	cur_close();
	sync_st.cur_since_ms = now;
	sync_msg_add(&sync_st.cur, r, r->ms + wall_off, n_workers);
}

static void
tx_ctl(enum sync_ext_kind kind, uint32_t nonce, uint16_t n_workers)
{
	uint32_t wall = sync_wall_offset() + lb_clock_ms();

	if (sync_msg_add_ctl(&sync_st.cur, kind, nonce, wall, n_workers) == 0)
		return;
	cur_close();
	sync_msg_add_ctl(&sync_st.cur, kind, nonce, wall, n_workers);
}

/* Everything in the rings into messages; returns the records. */
static unsigned int
tx_drain(struct dp_ctx *dp, uint64_t now, unsigned int bursts)
{
	struct lb_sync_rec recs[TX_BURST];
	uint32_t off = sync_wall_offset();
	unsigned int i, b, j, n, total = 0;

	for (i = 0; i < dp->n_workers; i++) {
		for (b = 0; b < bursts; b++) {
			n = rte_ring_sc_dequeue_burst_elem(
				dp->workers[i].sync.out, recs,
				sizeof(recs[0]), TX_BURST, NULL);
			for (j = 0; j < n; j++)
				tx_add(&recs[j], off, (uint16_t)dp->n_workers,
				       now);
			total += n;
			if (n < TX_BURST)
				break;
		}
	}
	return total;
}

/* ---- dumps ---- */

static void
dump_begin(struct dp_ctx *dp)
{
	struct dp_sync_worker *s;
	unsigned int i;

	sync_st.dumping = true;
	sync_st.dump_paced_ms = dp_now_ms();
	for (i = 0; i < dp->n_workers; i++) {
		s = &dp->workers[i].sync;
		__atomic_store_n(&s->dump_allow, s->dumped + DUMP_BURST,
				 __ATOMIC_RELAXED);
		__atomic_fetch_add(&s->dump_req, 1, __ATOMIC_RELEASE);
	}
	sync_work(dp, LB_SYNC_WORK_DUMP, true);
}

static bool
nonce_in(const uint32_t *set, unsigned int n, uint32_t nonce)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (set[i] == nonce)
			return true;
	return false;
}

void
sync_tx_dump_request(struct dp_ctx *dp, uint32_t nonce)
{
	if (!sync_st.role[HA_SYNC_MASTER].running)
		return;
	if (!sync_st.dumping) {
		sync_st.nonces[0] = nonce;
		sync_st.n_nonces = 1;
		dump_begin(dp);
		return;
	}
	/* a walk has begun: records before it may have been missed by
	 * this backup, so it waits for the next one (the same backup
	 * repeating its request is in one of the two already) */
	if (nonce_in(sync_st.nonces, sync_st.n_nonces, nonce) ||
	    nonce_in(sync_st.next_nonces, sync_st.n_next, nonce) ||
	    sync_st.n_next == SYNC_DUMP_NONCES)
		return;
	sync_st.next_nonces[sync_st.n_next++] = nonce;
}

/*
 * The dump's pace: each worker may send dump_rate / n_workers records a
 * second, credited as time passes (a token bucket of DUMP_BURST).
 */
static void
dump_pace(struct dp_ctx *dp, uint64_t now)
{
	uint64_t ms = now - sync_st.dump_paced_ms, credit, allow, cap;
	struct dp_sync_worker *s;
	unsigned int i;

	if (ms == 0)
		return;
	sync_st.dump_paced_ms = now;
	credit = (uint64_t)sync_st.tun.dump_rate * ms / 1000 / dp->n_workers;
	for (i = 0; i < dp->n_workers; i++) {
		s = &dp->workers[i].sync;
		cap = s->dumped + DUMP_BURST;
		allow = RTE_MIN(s->dump_allow + credit, cap);
		__atomic_store_n(&s->dump_allow, allow, __ATOMIC_RELAXED);
	}
}

/* When every worker has walked its table: the rest of its records,
 * then the end, then the next dump if one was asked for. */
static void
dump_check(struct dp_ctx *dp, uint64_t now)
{
	struct dp_sync_worker *s;
	unsigned int i;

	for (i = 0; i < dp->n_workers; i++) {
		s = &dp->workers[i].sync;
		if (__atomic_load_n(&s->dump_done, __ATOMIC_ACQUIRE) !=
		    __atomic_load_n(&s->dump_req, __ATOMIC_RELAXED))
			return;
	}
	sync_work(dp, LB_SYNC_WORK_DUMP, false);
	while (tx_drain(dp, now, TX_BURSTS) != 0)
		;
	for (i = 0; i < sync_st.n_nonces; i++)
		tx_ctl(SYNC_EXT_DUMP_END, sync_st.nonces[i],
		       (uint16_t)dp->n_workers);
	cur_close();
	tx_flush_queue();
	sync_st.dumping = false;
	sync_st.st.dumps_done++;
	if (sync_st.n_next != 0) {
		memcpy(sync_st.nonces, sync_st.next_nonces,
		       sizeof(sync_st.nonces));
		sync_st.n_nonces = sync_st.n_next;
		sync_st.n_next = 0;
		dump_begin(dp);
	}
}

/* ---- start, stop, the loop ---- */

int
sync_tx_start(struct dp_ctx *dp)
{
	uint16_t maxlen = sync_st.role[HA_SYNC_MASTER].maxlen;

	free(sync_st.txbuf);
	sync_st.txbuf = malloc((size_t)SYNC_TX_QUEUE * maxlen);
	if (sync_st.txbuf == NULL)
		return -ENOMEM;
	sync_st.tx_maxlen = maxlen;
	sync_st.tx_n = 0;
	sync_st.dumping = false;
	sync_st.n_nonces = sync_st.n_next = 0;
	sync_st.next_full_ms = dp_now_ms() + sync_st.tun.full_refresh * 1000ull;
	cur_open();
	sync_tx_apply(dp);
	return 0;
}

void
sync_tx_stop(struct dp_ctx *dp)
{
	sync_st.role[HA_SYNC_MASTER].running = false;
	sync_tx_apply(dp);	/* the workers stop reporting */
	sync_work(dp, LB_SYNC_WORK_DUMP, false);
	if (sync_st.txbuf != NULL) {
		/* what was reported goes out (a role switch) */
		while (tx_drain(dp, dp_now_ms(), TX_BURSTS) != 0)
			;
		cur_close();
		tx_flush_queue();
	}
	sync_st.dumping = false;
	free(sync_st.txbuf);
	sync_st.txbuf = NULL;
}

unsigned int
sync_tx_tick(struct dp_ctx *dp, uint64_t now)
{
	unsigned int n;

	if (sync_st.txbuf == NULL)
		return 0;
	if (sync_st.tun.full_refresh != 0 && now >= sync_st.next_full_ms) {
		sync_st.next_full_ms = now + sync_st.tun.full_refresh * 1000ull;
		sync_tx_dump_request(dp, 0);
	}
	n = tx_drain(dp, now, TX_BURSTS);
	if (sync_st.dumping) {
		dump_pace(dp, now);
		dump_check(dp, now);
	}
	if (!sync_msg_empty(&sync_st.cur) &&
	    now - sync_st.cur_since_ms >= TX_FLUSH_MS)
		cur_close();
	tx_flush_queue();
	return n;
}
