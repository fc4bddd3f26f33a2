/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer harness: the packet path.  dplbd's own start-up (dp_start(),
 * core/dp.h) on an EAL with --no-huge and two net_null ports, "ext"
 * (clients, the VIP) and "int" (servers, the LIP), with a full-NAT, a
 * NAT and two UDP services; the harness plays the worker: one frame per
 * input through pipeline_rx_burst() (core/pipeline.h), the worker's
 * burst function, then what the worker's loop does after a burst (tx
 * flush, timers).  Connections and fragments persist from input to
 * input, as in a running dplbd.
 *
 * Input: one control byte, then the frame.
 *   bit 0     the port it arrives on (ext, int)
 *   bits 1-3  the mbuf segments it arrives in: whole (in 2,048-byte
 *             segments, as a port splits a jumbo frame), or in
 *             segments of 16, 32, 60, 128, 256, 512 or 1,000 bytes
 *   bit 4     the port checked the IPv4 header checksum (rx flags, set
 *             truthfully, as a NIC would)
 *   bit 5     the port checked the TCP/UDP checksum (the same)
 *
 * Checked for every frame dplbd sends (tx callbacks on both ports),
 * besides what ASan and UBSan catch: an ARP frame is whole; an IPv4
 * packet has a right header checksum, a total length equal to the
 * frame's, a TTL above 0, fits the egress port's MTU, and as a fragment
 * a payload that is a multiple of 8 unless last and ends by 65,535; and
 * when the input was a sound packet (a whole IPv4 packet, headers sound:
 * UDP length, TCP data offset; checksums right), every whole packet sent
 * is sound too (ipv4_sound()).  Frames handed to the main lcore (a
 * neighbour to resolve) are freed after each input; then no more mbufs
 * may be in use than the reassembly table holds at most (a leak: the
 * packet path allocates nothing but mbufs).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "config/config.h"
#include "core/dp.h"
#include "core/pipeline.h"
#include "core/tx.h"
#include "lb/lb.h"
#include "log.h"
#include "net/net.h"

#define FAIL(...) do { fprintf(stderr, "pkt: " __VA_ARGS__); abort(); } while (0)
#define ETH_LEN 14
#define MAX_FRAME 9614
#define MBUFS_HELD_MAX 160

static const char CONF[] =
	"global = { log_level = \"err\"; control_socket = \"/nonexistent\"; };\n"
	"eal = { hugepages = false; memory_mb = 512; };\n"
	"dataplane = { workers = 1; mbufs = 8191; max_conns = 4096;\n"
	"  lport_random = false; };\n"
	"ip = { forward = true; icmp_rate = 1000000; icmp_burst = 1000;\n"
	"  frag_max = 64; frag_mem_kb = 256; frag_timeout_ms = 100; };\n"
	"timeouts = { tcp = { syn_recv = 1; established = 2; close = 1;\n"
	"  time_wait = 1; }; udp = { oneway = 1; normal = 2; };\n"
	"  lport_guard = 1; };\n"
	"neigh = { static = (\n"
	"  { ip = \"198.18.0.2\"; mac = \"02:00:00:00:00:02\"; dev = \"ext\"; },\n"
	"  { ip = \"198.18.1.11\"; mac = \"02:00:00:00:01:11\"; dev = \"int\"; },\n"
	"  { ip = \"2001:2::2\"; mac = \"02:00:00:00:00:02\"; dev = \"ext\"; },\n"
	"  { ip = \"2001:2:0:1::11\"; mac = \"02:00:00:00:01:11\"; dev = \"int\"; } ); };\n"
	"ports = (\n"
	"  { name = \"ext\"; device = \"net_null0\"; mac = \"02:00:00:00:00:01\";\n"
	"    mtu = 1500; addresses = [ \"198.18.0.1/24\", \"198.18.0.100\",\n"
	"      \"2001:2::1/64\" ]; },\n"
	"  { name = \"int\"; device = \"net_null1\"; mac = \"02:00:00:00:01:01\";\n"
	"    mtu = 1500; addresses = [ \"198.18.1.1/24\", \"198.18.1.100\",\n"
	"      \"2001:2:0:1::1/64\" ]; } );\n"
	"laddr_groups = ( { name = \"lg\"; addresses = [ \"198.18.1.100\" ]; } );\n"
	"services = (\n"
	"  { proto = \"tcp\"; vip = \"198.18.0.100\"; port = 80; sched = \"rr\";\n"
	"    laddr_group = \"lg\"; dests = ( { addr = \"198.18.1.11\"; port = 80; fwd = \"fnat\"; } ); },\n"
	"  { proto = \"tcp\"; vip = \"198.18.0.100\"; port = 81; sched = \"rr\";\n"
	"    dests = ( { addr = \"198.18.1.11\"; port = 81; fwd = \"nat\"; } ); },\n"
	"  { proto = \"udp\"; vip = \"198.18.0.100\"; port = 53; sched = \"rr\";\n"
	"    laddr_group = \"lg\"; dests = ( { addr = \"198.18.1.11\"; port = 53; fwd = \"fnat\"; } ); },\n"
	"  { proto = \"udp\"; vip = \"198.18.0.100\"; port = 54; sched = \"rr\";\n"
	"    dests = ( { addr = \"198.18.1.11\"; port = 54; fwd = \"nat\"; } ); } );\n";

static const uint16_t seg_sizes[8] = { 2048, 16, 32, 60, 128, 256, 512, 1000 };

static struct dp_ctx the_dp;
static struct dplb_config cfg;
static struct dp_worker *w;
/* The input's own checksums were right: the outputs' must be too. */
static bool input_sound;

/* ---- checking what is sent ------------------------------------------- */

static uint16_t
sum16(const uint8_t *p, size_t len, uint32_t s)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* The TCP/UDP/ICMP checksum of the IPv4 packet ip (tot bytes) is right. */
static bool
l4_sum_ok(const uint8_t *ip, unsigned int ihl, unsigned int tot)
{
	uint8_t proto = ip[9];
	uint32_t ps = 0;

	if (proto == IPPROTO_ICMP)
		return sum16(ip + ihl, tot - ihl, 0) == 0xffff;
	if (proto == IPPROTO_UDP && ip[ihl + 6] == 0 && ip[ihl + 7] == 0)
		return true;	/* no checksum */
	ps = sum16(ip + 12, 8, 0) + proto + (tot - ihl);
	return sum16(ip + ihl, tot - ihl, ps) == 0xffff;
}

static bool
is_fragment(const uint8_t *ip)
{
	return ((ip[6] << 8 | ip[7]) & (RTE_IPV4_HDR_MF_FLAG |
					RTE_IPV4_HDR_OFFSET_MASK)) != 0;
}

/* The IPv4 header of frame f is whole and its checksum right. */
static bool
ipv4_header_ok(const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + ETH_LEN;
	unsigned int ihl, tot;

	if (len < ETH_LEN + 20 || f[12] != 0x08 || f[13] != 0x00 ||
	    (ip[0] >> 4) != 4)
		return false;
	ihl = (ip[0] & 0x0f) * 4u;
	tot = (unsigned int)ip[2] << 8 | ip[3];
	return ihl >= 20 && tot >= ihl && tot <= len - ETH_LEN &&
	       sum16(ip, ihl, 0) == 0xffff;
}

/* The TCP, UDP or ICMP header of a whole IPv4 packet is sound (lengths,
 * offsets). */
static bool
l4_header_ok(const uint8_t *ip, unsigned int ihl, unsigned int tot)
{
	unsigned int len = tot - ihl;

	switch (ip[9]) {
	case IPPROTO_UDP:
		return len >= 8 &&
		       ((unsigned int)ip[ihl + 4] << 8 | ip[ihl + 5]) == len;
	case IPPROTO_TCP:
		return len >= 20 && (ip[ihl + 12] >> 4) * 4u >= 20 &&
		       (ip[ihl + 12] >> 4) * 4u <= len;
	case IPPROTO_ICMP:
		return len >= 8;
	default:
		return true;
	}
}

/* Is the frame a whole IPv4 packet (not a fragment) with sound headers
 * and right checksums?  Then what dplbd makes of it must be so too:
 * routing passes on what it gets, the load balancer drops what is
 * unsound and keeps a wrong checksum wrong, so only a bug turns a sound
 * packet into an unsound one. */
static bool
ipv4_sound(const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + ETH_LEN;
	unsigned int ihl, tot;

	if (!ipv4_header_ok(f, len) || is_fragment(ip))
		return false;
	ihl = (ip[0] & 0x0f) * 4u;
	tot = (unsigned int)ip[2] << 8 | ip[3];
	if (!l4_header_ok(ip, ihl, tot))
		return false;
	if (ip[9] != IPPROTO_TCP && ip[9] != IPPROTO_UDP &&
	    ip[9] != IPPROTO_ICMP)
		return true;
	return l4_sum_ok(ip, ihl, tot);
}

static void
check_l4(const uint8_t *ip, unsigned int ihl, unsigned int tot)
{
	if (!input_sound)
		return;
	if (!l4_header_ok(ip, ihl, tot))
		FAIL("protocol %u sent with an unsound header from a sound input\n",
		     ip[9]);
	if ((ip[9] == IPPROTO_TCP || ip[9] == IPPROTO_UDP ||
	     ip[9] == IPPROTO_ICMP) && !l4_sum_ok(ip, ihl, tot))
		FAIL("protocol %u sent with a wrong checksum from a sound input\n",
		     ip[9]);
}

/* An IPv6 frame (net6/): the payload length is the frame's, a hop
 * limit left, within the egress MTU. */
static void
check_ipv6(const struct dp_port *p, const uint8_t *f, uint32_t len)
{
	const uint8_t *ip = f + ETH_LEN;
	unsigned int plen;

	if (len < ETH_LEN + 40 || (ip[0] >> 4) != 6)
		FAIL("IPv6 header %02x in a frame of %u\n", ip[0], len);
	plen = (unsigned int)ip[4] << 8 | ip[5];
	if (plen + 40 != len - ETH_LEN)
		FAIL("IPv6 payload length %u in a frame of %u\n", plen, len);
	if (ip[7] == 0)
		FAIL("IPv6 hop limit 0 sent\n");
	if (plen + 40 > p->tx_mtu)
		FAIL("%u bytes of IPv6 sent on %s, MTU %u\n", plen + 40,
		     p->name, p->tx_mtu);
}

static void
check_frame(uint16_t port_id, const struct rte_mbuf *m)
{
	static uint8_t buf[65536 + ETH_LEN];
	const struct dp_port *p = &the_dp.ports[the_dp.port_of[port_id]];
	uint32_t len = rte_pktmbuf_pkt_len(m);
	const uint8_t *f, *ip;
	unsigned int ihl, tot, fo, payload;

	if (len > sizeof(buf) || len < ETH_LEN)
		FAIL("frame of %u bytes\n", len);
	f = rte_pktmbuf_read(m, 0, len, buf);
	if (f == NULL)
		FAIL("frame of %u bytes whose segments hold less\n", len);
	if (f[12] == 0x08 && f[13] == 0x06) {
		if (len < ETH_LEN + 28)
			FAIL("ARP frame of %u bytes\n", len);
		return;
	}
	if (f[12] == 0x86 && f[13] == 0xdd) {
		check_ipv6(p, f, len);
		return;
	}
	if (f[12] != 0x08 || f[13] != 0x00)
		FAIL("ethertype %02x%02x sent\n", f[12], f[13]);
	ip = f + ETH_LEN;
	ihl = (ip[0] & 0x0f) * 4u;
	tot = (unsigned int)ip[2] << 8 | ip[3];
	if ((ip[0] >> 4) != 4 || ihl < 20 || len < ETH_LEN + ihl)
		FAIL("IPv4 header %02x in a frame of %u\n", ip[0], len);
	if (tot != len - ETH_LEN)
		FAIL("IPv4 total length %u in a frame of %u\n", tot, len);
	if (sum16(ip, ihl, 0) != 0xffff)
		FAIL("IPv4 header checksum wrong\n");
	if (ip[8] == 0)
		FAIL("TTL 0 sent\n");
	if (tot > p->tx_mtu)
		FAIL("%u bytes sent on %s, MTU %u\n", tot, p->name, p->tx_mtu);
	fo = (unsigned int)ip[6] << 8 | ip[7];
	payload = tot - ihl;
	if (is_fragment(ip)) {
		if ((fo & RTE_IPV4_HDR_MF_FLAG) && (payload & 7))
			FAIL("fragment of %u bytes with MF\n", payload);
		if ((fo & RTE_IPV4_HDR_OFFSET_MASK) * 8u + payload + ihl > 65535)
			FAIL("fragment beyond 65,535 bytes\n");
		return;
	}
	check_l4(ip, ihl, tot);
}

static uint16_t
check_tx(uint16_t port_id, uint16_t queue, struct rte_mbuf **pkts,
	 uint16_t n, void *arg)
{
	uint16_t i;

	(void)queue;
	(void)arg;
	for (i = 0; i < n; i++)
		check_frame(port_id, pkts[i]);
	return n;
}

/* ---- the dataplane --------------------------------------------------- */

/* Stop as dplbd does, so that LeakSanitizer sees what is left: the
 * dataplane's state lives in DPDK memory, which it does not scan. */
static void
harness_fini(void)
{
	dp_stop(&the_dp);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[CFG_ERR_LEN];
	unsigned int i;

	(void)argc;
	(void)argv;
	if (config_parse_string(CONF, "fuzz.conf", &cfg, err, sizeof(err)) != 0)
		FAIL("%s\n", err);
	log_set_level(cfg.log_level);
	if (dp_start(&the_dp, &cfg) != 0)
		FAIL("dp_start failed\n");
	atexit(harness_fini);
	w = &the_dp.workers[0];
	for (i = 0; i < the_dp.n_ports; i++)
		if (rte_eth_add_tx_callback(the_dp.ports[i].port_id, 0, check_tx,
					    NULL) == NULL)
			FAIL("tx callback: %s\n", rte_strerror(rte_errno));
	return 0;
}

/* The frame as the port would hand it over: in segments, rx flags. */
static struct rte_mbuf *
frame_mbuf(const uint8_t *f, size_t len, uint8_t ctl)
{
	uint16_t seg = seg_sizes[(ctl >> 1) & 7];
	struct rte_mbuf *head = NULL, *m;
	size_t off = 0, n;

	do {
		m = rte_pktmbuf_alloc(the_dp.pool);
		if (m == NULL)
			FAIL("mbuf pool empty: a leak\n");
		n = RTE_MIN(len - off, (size_t)seg);
		memcpy(rte_pktmbuf_append(m, (uint16_t)n), f + off, n);
		if (head == NULL)
			head = m;
		else if (rte_pktmbuf_chain(head, m) != 0)
			FAIL("chain\n");
		off += n;
	} while (off < len);
	return head;
}

/* What a NIC that checks would say of the frame, truthfully. */
static void
rx_flags(struct rte_mbuf *m, const uint8_t *f, size_t len, uint8_t ctl)
{
	const uint8_t *ip = f + ETH_LEN;
	unsigned int ihl;

	if (len < ETH_LEN + 20 || f[12] != 0x08 || f[13] != 0x00 ||
	    (ip[0] >> 4) != 4)
		return;
	ihl = (ip[0] & 0x0f) * 4u;
	if ((ctl & 0x10) && ihl >= 20 && len >= ETH_LEN + ihl)
		m->ol_flags |= sum16(ip, ihl, 0) == 0xffff ?
				       RTE_MBUF_F_RX_IP_CKSUM_GOOD :
				       RTE_MBUF_F_RX_IP_CKSUM_BAD;
	/* a NIC judges the L4 checksum of a whole TCP or UDP packet */
	if (!(ctl & 0x20) || (ip[9] != IPPROTO_TCP && ip[9] != IPPROTO_UDP) ||
	    !ipv4_header_ok(f, len) || is_fragment(ip) ||
	    !l4_header_ok(ip, ihl, (unsigned int)ip[2] << 8 | ip[3]))
		return;
	m->ol_flags |= ipv4_sound(f, len) ? RTE_MBUF_F_RX_L4_CKSUM_GOOD :
					    RTE_MBUF_F_RX_L4_CKSUM_BAD;
}

/* What the worker's loop does besides its rx bursts. */
static void
worker_turn(void)
{
	struct rte_mbuf *pkts[64];
	unsigned int n, i;

	dp_tx_flush_all(&the_dp, w);
	/* neighbours to resolve, ARP to learn: the main lcore's */
	while ((n = rte_ring_dequeue_burst(the_dp.slow_ring, (void **)pkts,
					   RTE_DIM(pkts), NULL)) != 0)
		for (i = 0; i < n; i++)
			rte_pktmbuf_free(pkts[i]);
	lb_expire_tick(&the_dp, w);
	frag_expire_tick(&the_dp, w);
	/* Nothing but the reassembly table keeps mbufs between inputs
	 * (frag_mem_kb = 256: 121 at most). */
	if (rte_mempool_in_use_count(the_dp.pool) > MBUFS_HELD_MAX)
		FAIL("%u mbufs in use after an input: a leak\n",
		     rte_mempool_in_use_count(the_dp.pool));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rte_mbuf *m;
	uint8_t ctl;
	size_t len;

	if (size < 1 + ETH_LEN || size > 1 + MAX_FRAME)
		return 0;
	ctl = data[0];
	len = size - 1;
	input_sound = ipv4_sound(data + 1, len);
	m = frame_mbuf(data + 1, len, ctl);
	rx_flags(m, data + 1, len, ctl);
	net_turn(&the_dp, w);	/* as worker_main() starts a turn */
	pipeline_rx_burst(&the_dp, w, (uint16_t)(ctl & 1), &m, 1);
	worker_turn();
	return 0;
}
