/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * trace_json: the main lcore reads the workers' trace rings and renders
 * each record as the stages of its packet's path (trace.read,
 * docs/control-protocol.md).
 */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "core/tx.h"
#include "conn/conn_state.h"
#include "lb/lb_conf.h"
#include "net/net.h"
#include "lb/lb.h"
#include "trace_priv.h"

#define J_INT(v) json_object_new_int64((int64_t)(v))
#define J_STR(v) json_object_new_string(v)
#define ADD(o, k, v) json_object_object_add(o, k, v)

static const char *
proto_name(uint8_t p)
{
	switch (p) {
	case IPPROTO_TCP: return "TCP";
	case IPPROTO_UDP: return "UDP";
	case IPPROTO_ICMP: return "ICMP";
	default: return "IP";
	}
}

static void
addr_port(char *buf, size_t len, rte_be32_t a, rte_be16_t p, bool ports)
{
	char s[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, s, sizeof(s));
	if (ports)
		snprintf(buf, len, "%s:%u", s, rte_be_to_cpu_16(p));
	else
		snprintf(buf, len, "%s", s);
}

/* "TCP 198.18.0.2:40000 > 198.18.1.10:80 [S]" from a frame's headers;
 * returns false for a frame that is not IPv4. */
static bool
frame_summary(const struct trace_frame *fr, char *buf, size_t len)
{
	static const char flag_chars[] = "FSRPAUEC";
	const struct rte_ether_hdr *eth = (const void *)fr->data;
	const struct rte_ipv4_hdr *ip = (const void *)(eth + 1);
	const rte_be16_t *l4;
	unsigned int ihl, i, n = 0;
	char a[32], b[32], fl[12];
	bool ports;

	if (fr->caplen < sizeof(*eth) + sizeof(*ip) ||
	    eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4)) {
		snprintf(buf, len, "ethertype 0x%04x",
			 fr->caplen >= sizeof(*eth) ?
				 rte_be_to_cpu_16(eth->ether_type) : 0);
		return false;
	}
	ihl = (ip->version_ihl & 0xf) * 4u;
	ports = (ip->next_proto_id == IPPROTO_TCP ||
		 ip->next_proto_id == IPPROTO_UDP) &&
		!(ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK)) &&
		fr->caplen >= sizeof(*eth) + ihl + 4;
	l4 = (const void *)((const uint8_t *)ip + ihl);

	addr_port(a, sizeof(a), ip->src_addr, ports ? l4[0] : 0, ports);
	addr_port(b, sizeof(b), ip->dst_addr, ports ? l4[1] : 0, ports);
	fl[0] = '\0';
	if (ports && ip->next_proto_id == IPPROTO_TCP &&
	    fr->caplen >= sizeof(*eth) + ihl + sizeof(struct rte_tcp_hdr)) {
		const struct rte_tcp_hdr *th = (const void *)l4;

		fl[n++] = ' ';
		fl[n++] = '[';
		for (i = 0; i < 8; i++)
			if (th->tcp_flags & (1u << i))
				fl[n++] = flag_chars[i];
		fl[n++] = ']';
		fl[n] = '\0';
	}
	snprintf(buf, len, "%s %s > %s%s", proto_name(ip->next_proto_id), a, b,
		 fl);
	return true;
}

static json_object *
stage(json_object *stages, const char *name)
{
	json_object *o = json_object_new_object();

	ADD(o, "stage", J_STR(name));
	json_object_array_add(stages, o);
	return o;
}

static const char *
port_name(const struct dp_ctx *dp, uint16_t port)
{
	return port < dp->n_ports ? dp->ports[port].name : "?";
}

static void
stages_conn(json_object *st, const struct trace_rec *t)
{
	const struct conn_tuple4 *in = &t->c_tuple[CONN_SIDE_IN];
	const struct conn_tuple4 *out = &t->c_tuple[CONN_SIDE_OUT];
	json_object *o;
	char buf[32];

	if (t->has_svc) {
		o = stage(st, "service");
		ADD(o, "proto", J_STR(proto_name(t->s_proto)));
		addr_port(buf, sizeof(buf), t->s_vip, 0, false);
		ADD(o, "vip", J_STR(buf));
		ADD(o, "vport", J_INT(rte_be_to_cpu_16(t->s_vport)));
		if (t->s_retired)	/* deleted, its connections draining */
			ADD(o, "retired", json_object_new_boolean(1));
	}
	if (t->conn == TRACE_CONN_NONE)
		return;
	o = stage(st, "conn");
	ADD(o, "result", J_STR(t->conn == TRACE_CONN_CREATED ? "created" :
								"found"));
	ADD(o, "side", J_STR(t->conn_reply ? "out" : "in"));
	ADD(o, "fwd", J_STR(t->c_fwd < LB_FWD_COUNT ? lb_fwd_name(t->c_fwd) :
						       "snat"));
	ADD(o, "state", J_STR(t->key.proto == IPPROTO_TCP ?
				      tcp_state_ipvs_name(t->c_state) :
				      udp_state_name(t->c_state)));
	addr_port(buf, sizeof(buf), in->src_addr, in->src_port, true);
	ADD(o, "client", J_STR(buf));
	addr_port(buf, sizeof(buf), in->dst_addr, in->dst_port, true);
	ADD(o, "vip", J_STR(buf));
	if (out->src_addr != 0) {
		addr_port(buf, sizeof(buf), out->dst_addr, out->dst_port, true);
		ADD(o, "local", J_STR(buf));
	}
	if (!t->has_dest)
		return;
	o = stage(st, "dest");
	addr_port(buf, sizeof(buf), t->d_addr, 0, false);
	ADD(o, "addr", J_STR(buf));
	ADD(o, "port", J_INT(t->d_port != 0 ? t->d_port :
					      rte_be_to_cpu_16(in->dst_port)));
}

/* How the packet ended: frames sent, a drop, a hand-off. */
static void
stages_end(const struct dp_ctx *dp, json_object *st, const struct trace_rec *t,
	   const char *in_sum)
{
	static const struct { uint8_t bit; const char *name; } ends[] = {
		{ TRACE_END_STEER, "to_worker" },
		{ TRACE_END_SLOW, "to_main" },
		{ TRACE_END_FORWARD, "forwarded" },
		{ TRACE_END_ANSWER, "answered" },
		{ TRACE_END_ICMP_RELATED, "icmp_related" },
	};
	char sum[96];
	json_object *o;
	unsigned int i;

	for (i = 0; i < t->n_out; i++) {
		if (frame_summary(&t->out[i], sum, sizeof(sum)) &&
		    !t->out_twin[i] && strcmp(sum, in_sum) != 0) {
			o = stage(st, "rewrite");
			ADD(o, "from", J_STR(in_sum));
			ADD(o, "to", J_STR(sum));
		}
		o = stage(st, t->out_twin[i] ? "twin" : "tx");
		ADD(o, "port", J_STR(port_name(dp, t->out_port[i])));
		ADD(o, "len", J_INT(t->out[i].len));
	}
	for (i = 0; i < RTE_DIM(ends); i++)
		if (t->ends & ends[i].bit)
			stage(st, ends[i].name);
	if (t->drop >= 0) {
		o = stage(st, "drop");
		ADD(o, "reason", J_STR(drop_reason_name(t->drop)));
	}
}

static json_object *
frame_json(const struct dp_ctx *dp, const struct trace_frame *fr,
	   const char *dir, uint16_t port, bool twin)
{
	static const char hex[] = "0123456789abcdef";
	char data[2 * TRACE_SNAP + 1];
	json_object *o = json_object_new_object();
	unsigned int i;

	for (i = 0; i < fr->caplen; i++) {
		data[2 * i] = hex[fr->data[i] >> 4];
		data[2 * i + 1] = hex[fr->data[i] & 0xf];
	}
	data[2 * i] = '\0';
	ADD(o, "dir", J_STR(dir));
	ADD(o, "port", J_STR(port_name(dp, port)));
	ADD(o, "twin", json_object_new_boolean(twin));
	ADD(o, "len", J_INT(fr->len));
	ADD(o, "data", J_STR(data));
	return o;
}

static json_object *
rec_json(const struct dp_ctx *dp, const struct trace_session *s,
	 const struct trace_rec *t)
{
	static const char *const net_v[] = { "consumed", "local", "transit",
					     "ipv6" };
	static const char *const lb_v[] = { "consumed", "pass", "pass",
					    "pass" };
	json_object *r = json_object_new_object();
	json_object *st = json_object_new_array();
	json_object *fr = json_object_new_array();
	char in_sum[96];
	json_object *o;
	unsigned int i;

	ADD(r, "seq", J_INT(t->seq));
	ADD(r, "worker", J_INT(t->worker));
	ADD(r, "time_ns", J_INT(s->real0_ns +
				(uint64_t)((double)(t->tsc - s->tsc0) * 1e9 /
					   (double)s->hz)));
	frame_summary(&t->in, in_sum, sizeof(in_sum));
	ADD(r, "packet", J_STR(in_sum));
	o = stage(st, "rx");
	ADD(o, "port", J_STR(port_name(dp, t->port)));
	ADD(o, "len", J_INT(t->in.len));
	ADD(o, "steered", json_object_new_boolean(t->steered));
	if (t->net != 0)
		ADD(stage(st, "net"), "verdict", J_STR(net_v[t->net - 1]));
	if (t->lb != 0)
		ADD(stage(st, "lb"), "verdict", J_STR(lb_v[t->lb - 1]));
	stages_conn(st, t);
	stages_end(dp, st, t, in_sum);
	ADD(r, "stages", st);
	json_object_array_add(fr, frame_json(dp, &t->in, "in", t->port, false));
	for (i = 0; i < t->n_out; i++)
		json_object_array_add(fr, frame_json(dp, &t->out[i], "out",
						     t->out_port[i],
						     t->out_twin[i]));
	ADD(r, "frames", fr);
	return r;
}

json_object *
trace_collect(struct dp_ctx *dp, unsigned int max)
{
	const struct trace_session *s = trace_session();
	json_object *res, *recs;
	uint64_t lost = 0, published = 0;
	unsigned int i, n = 0;
	bool empty = true;
	uint32_t taken;

	if (s == NULL)
		return NULL;
	recs = json_object_new_array();
	for (i = 0; i < dp->n_workers; i++) {
		struct trace_ring *r = s->rings[i];
		uint32_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);

		while (r->tail != head && n < max) {
			json_object_array_add(recs, rec_json(dp, s,
				&r->recs[r->tail & (TRACE_RING - 1)]));
			__atomic_store_n(&r->tail, r->tail + 1,
					 __ATOMIC_RELEASE);
			n++;
		}
		empty = empty && r->tail == head;
		published += head;
		lost += __atomic_load_n(&r->lost, __ATOMIC_RELAXED);
	}
	taken = __atomic_load_n(&s->taken, __ATOMIC_RELAXED);
	res = json_object_new_object();
	ADD(res, "records", recs);
	ADD(res, "count", J_INT(s->count));
	ADD(res, "matched", J_INT(RTE_MIN(taken, s->count)));
	ADD(res, "lost", J_INT(lost));
	/* Done once every packet counted is published and read (a worker
	 * may hold one between trace_begin() and trace_end()). */
	ADD(res, "done", json_object_new_boolean(published >= s->count &&
						 empty));
	return res;
}
