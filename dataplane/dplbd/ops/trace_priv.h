/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * trace_priv: the tracer's records, rings and sessions, shared by
 * trace.c (sessions, the workers' half) and trace_json.c (records to
 * JSON).  Private to ops/.
 */
#ifndef DPLB_TRACE_PRIV_H
#define DPLB_TRACE_PRIV_H

#include "core/stats.h"
#include "conn/conn.h"
#include "ops/trace.h"

#define TRACE_RING 256		/* records per worker, a power of two */

/* How a packet left, besides tx frames and drops (struct trace_rec.ends). */
#define TRACE_END_TWIN 0x01		/* to the kernel twin */
#define TRACE_END_STEER 0x02		/* to the worker that owns its flow */
#define TRACE_END_SLOW 0x04		/* to the main lcore (ARP, resolution) */
#define TRACE_END_FORWARD 0x08		/* routed as transit traffic */
#define TRACE_END_ANSWER 0x10		/* answered by dplbd (ARP, echo) */
#define TRACE_END_ICMP_RELATED 0x20	/* an ICMP error for a connection */

enum trace_conn_result {
	TRACE_CONN_NONE,
	TRACE_CONN_FOUND,
	TRACE_CONN_CREATED,
};

struct trace_frame {
	uint16_t port_id;	/* DPDK port id */
	uint16_t len;		/* the frame's length */
	uint16_t caplen;	/* bytes kept in data */
	uint8_t data[TRACE_SNAP];
};

struct trace_ring;

/* One traced packet.  Everything before `in` is zeroed by trace_begin(). */
struct trace_rec {
	struct trace_ring *ring;
	uint64_t tsc;
	uint32_t seq;		/* order of matching, over every worker */
	uint16_t worker;
	uint16_t port;		/* dplb port index it was received on */
	bool steered;		/* from another worker's steer ring */
	bool has_key, has_ports;
	uint8_t net, lb;	/* verdict + 1; 0: not reached */
	uint8_t ends;		/* TRACE_END_* */
	bool conn_created;	/* the worker scheduled a connection */
	uint8_t conn;		/* enum trace_conn_result */
	bool conn_reply;	/* it matched the connection's out key */
	uint8_t c_state, c_fwd;
	bool has_dest, has_svc;
	bool s_retired;		/* the service is a deleted one's ghost */
	int16_t drop;		/* enum drop_reason, -1: none */
	uint8_t n_out;
	uint8_t s_proto;
	rte_be16_t s_vport;
	uint16_t d_port;	/* host order, 0: the service's */
	rte_be32_t s_vip, d_addr;
	struct conn_key4 key;	/* as received */
	struct conn_tuple4 c_tuple[2];	/* [enum conn_side] */
	bool out_twin[TRACE_MAX_OUT];
	uint16_t out_port[TRACE_MAX_OUT];	/* dplb port index */
	struct trace_frame in;
	struct trace_frame out[TRACE_MAX_OUT];
};

/* A worker's records: it writes head, the main lcore tail. */
struct trace_ring {
	uint32_t head;
	uint64_t lost;			/* ring full */
	struct lcore_stats before;	/* the worker's counters at
					 * trace_begin() */
	uint32_t tail __rte_cache_aligned;
	struct trace_rec recs[TRACE_RING] __rte_cache_aligned;
};

struct trace_session {
	struct trace_filter f;
	uint32_t count;
	uint64_t tsc0, real0_ns, hz;	/* tsc to wall clock */
	struct trace_ring *rings[DP_MAX_WORKERS];
	uint32_t taken __rte_cache_aligned;	/* matched, over workers */
};

/** The armed session, main lcore only; NULL if none. */
struct trace_session *trace_session(void);

#endif /* DPLB_TRACE_PRIV_H */
