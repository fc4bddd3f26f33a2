/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>

#include "net/flow.h"
#include "log.h"
#include "core/port.h"
#include "net/netcfg.h"

#define OFFLOAD_TX_IPV4 RTE_ETH_TX_OFFLOAD_IPV4_CKSUM
#define OFFLOAD_TX_L4 (RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM)
#define OFFLOAD_RX_CKSUM                                                       \
	(RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM |        \
	 RTE_ETH_RX_OFFLOAD_UDP_CKSUM)

static bool
is_vdev(const char *device)
{
	return strncmp(device, "net_", 4) == 0;
}

int
port_eal_args(const struct dplb_config *cfg, char **argv, int *argc, int max)
{
	unsigned int i;
	bool any_pci = false;

	for (i = 0; i < cfg->n_ports; i++) {
		if (is_vdev(cfg->ports[i].device))
			continue;
		if (*argc + 2 > max)
			return -E2BIG;
		argv[(*argc)++] = (char *)"-a";
		argv[(*argc)++] = (char *)cfg->ports[i].device;
		any_pci = true;
	}
	if (!any_pci) {
		if (*argc + 1 > max)
			return -E2BIG;
		argv[(*argc)++] = (char *)"--no-pci";
	}
	return 0;
}

/* The device name part of devargs ("net_pcap0,rx_pcap=x" -> "net_pcap0"). */
static void
devargs_name(const char *devargs, char *name, size_t len)
{
	size_t n = strcspn(devargs, ",");

	if (n >= len)
		n = len - 1;
	memcpy(name, devargs, n);
	name[n] = '\0';
}

/* af_packet takes its queue count at probe time: give it one per worker. */
static void
devargs_with_queues(const char *device, unsigned int workers, char *out,
		    size_t len)
{
	if (strncmp(device, "net_af_packet", 13) == 0 &&
	    strstr(device, "qpairs=") == NULL)
		snprintf(out, len, "%s,qpairs=%u", device, workers);
	else
		snprintf(out, len, "%s", device);
}

static int
probe_device(const char *device, unsigned int workers, uint16_t *port_id)
{
	char devargs[CFG_DEVARGS_LEN + 32], name[CFG_DEVARGS_LEN];
	int ret;

	devargs_with_queues(device, workers, devargs, sizeof(devargs));
	devargs_name(devargs, name, sizeof(name));
	if (is_vdev(device)) {
		ret = rte_dev_probe(devargs);
		if (ret < 0 && ret != -EEXIST) {
			LOG_ERR("cannot probe device '%s': %s (check the "
				"device's arguments in ports[].device; for "
				"af_packet and af_xdp the interface and the "
				"CAP_NET_RAW/CAP_BPF capabilities)", devargs,
				strerror(-ret));
			return ret;
		}
	}
	ret = rte_eth_dev_get_port_by_name(name, port_id);
	if (ret != 0) {
		LOG_ERR("no DPDK port for device '%s' (is it bound to a DPDK driver?)",
			name);
		return -ENODEV;
	}
	return 0;
}

static int
setup_queues(uint16_t port_id, const char *what, struct rte_mempool *pool,
	     uint16_t nb_rxq, uint16_t nb_txq, uint16_t rx_desc, uint16_t tx_desc,
	     const struct rte_eth_conf *conf)
{
	int socket = rte_eth_dev_socket_id(port_id);
	uint16_t q;
	int ret;

	ret = rte_eth_dev_configure(port_id, nb_rxq, nb_txq, conf);
	if (ret == 0)
		ret = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &rx_desc,
						       &tx_desc);
	for (q = 0; ret == 0 && q < nb_rxq; q++)
		ret = rte_eth_rx_queue_setup(port_id, q, rx_desc, socket, NULL,
					     pool);
	for (q = 0; ret == 0 && q < nb_txq; q++)
		ret = rte_eth_tx_queue_setup(port_id, q, tx_desc, socket, NULL);
	if (ret != 0)
		LOG_ERR("%s: cannot set up %u rx / %u tx queues: %s", what,
			nb_rxq, nb_txq, strerror(-ret));
	return ret;
}

/*
 * The largest IPv4 packet the port sends whole.  Packets fit one mbuf
 * up to its data room; a larger MTU needs chains, which the device
 * must send (the multi-segment offload, asked for only then, as it
 * costs some devices their fastest tx path).  Without it the port's
 * packets stay within one mbuf, larger ones are fragmented.
 */
static uint16_t
port_tx_mtu(const struct dp_ctx *dp, const struct dp_port *p,
	    const struct cfg_port *c, const struct rte_eth_dev_info *info,
	    struct rte_eth_conf *conf)
{
	unsigned int room = rte_pktmbuf_data_room_size(dp->pool) -
			    RTE_PKTMBUF_HEADROOM - RTE_ETHER_HDR_LEN;

	if (c->mtu <= room)
		return c->mtu;
	if (info->tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) {
		conf->txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
		return c->mtu;
	}
	LOG_INFO("port %s: sends no mbuf chains: packets over %u bytes leave in fragments",
		 p->name, room);
	return (uint16_t)room;
}

static int
port_configure(struct dp_ctx *dp, struct dp_port *p, const struct cfg_port *c)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	int ret;

	ret = rte_eth_dev_info_get(p->port_id, &info);
	if (ret != 0)
		return ret;
	snprintf(p->driver, sizeof(p->driver), "%s", info.driver_name);
	if (info.max_rx_queues == 0 || info.max_tx_queues == 0) {
		LOG_ERR("port %s: device has %u rx / %u tx queues",
			p->name, info.max_rx_queues, info.max_tx_queues);
		return -EINVAL;
	}
	p->nb_txq = (uint16_t)RTE_MIN(dp->n_workers, info.max_tx_queues);
	p->nb_rxq = (uint16_t)RTE_MIN(dp->n_workers, info.max_rx_queues);
	if (p->nb_rxq < dp->n_workers || p->nb_txq < dp->n_workers)
		LOG_INFO("port %s: %u rx / %u tx queues for %u workers: the others get their flows steered and send through the queue owners",
			 p->name, p->nb_rxq, p->nb_txq, dp->n_workers);
	conf.txmode.offloads = info.tx_offload_capa &
			       (OFFLOAD_TX_IPV4 | OFFLOAD_TX_L4);
	p->tx_mtu = port_tx_mtu(dp, p, c, &info, &conf);
	conf.rxmode.offloads = info.rx_offload_capa & OFFLOAD_RX_CKSUM;
	p->tx_ipv4_cksum = conf.txmode.offloads & OFFLOAD_TX_IPV4;
	p->tx_l4_cksum = (conf.txmode.offloads & OFFLOAD_TX_L4) == OFFLOAD_TX_L4;
	p->rx_cksum = (conf.rxmode.offloads & OFFLOAD_RX_CKSUM) == OFFLOAD_RX_CKSUM;
	ret = setup_queues(p->port_id, p->name, dp->pool, p->nb_rxq, p->nb_txq,
			   c->rx_desc, c->tx_desc, &conf);
	if (ret != 0)
		return ret;
	p->mtu = c->mtu;
	ret = rte_eth_dev_set_mtu(p->port_id, c->mtu);
	if (ret == -ENOTSUP)
		LOG_DEBUG("port %s: device has no MTU setting", p->name);
	else if (ret != 0)
		LOG_WARN("port %s: cannot set MTU %u: %s", p->name, c->mtu,
			 strerror(-ret));
	if (c->has_mac) {
		memcpy(p->mac.addr_bytes, c->mac, RTE_ETHER_ADDR_LEN);
		ret = rte_eth_dev_default_mac_addr_set(p->port_id, &p->mac);
		/* Devices without a MAC filter (pcap, ring, null) cannot be
		 * told; dplbd filters and sources frames with p->mac itself. */
		if (ret == -ENOTSUP)
			LOG_INFO("port %s: device keeps its MAC; using %02x:..:%02x in software",
				 p->name, c->mac[0], c->mac[5]);
		else if (ret != 0) {
			LOG_ERR("port %s: cannot set MAC: %s", p->name,
				strerror(-ret));
			return ret;
		}
	}
	if (c->promisc)
		rte_eth_promiscuous_enable(p->port_id);
	return 0;
}

/*
 * net_tap in DPDK 22.11 hands all its rx and tx queue fds to secondary
 * processes in one message of RTE_MP_MAX_FD_NUM (8) fds at start, and
 * overflows that array (stack smashing) with more: at most 4 pairs.
 */
#define TWIN_MAX_QUEUES (RTE_MP_MAX_FD_NUM / 2)

/* A queue pair per worker, as far as the twin can have them. */
static int
twin_queues(const struct dp_ctx *dp, struct dp_port *p)
{
	struct rte_eth_dev_info info;
	unsigned int nq;
	int ret = rte_eth_dev_info_get(p->twin_id, &info);

	if (ret != 0)
		return ret;
	nq = RTE_MIN(info.max_rx_queues, info.max_tx_queues);
	nq = RTE_MIN(nq, (unsigned int)TWIN_MAX_QUEUES);
	p->twin_nq = (uint16_t)RTE_MIN(dp->n_workers, nq);
	return p->twin_nq == 0 ? -EINVAL : 0;
}

static int
twin_create(struct dp_ctx *dp, struct dp_port *p, const struct cfg_port *c,
	    unsigned int idx)
{
	struct rte_eth_conf conf = { 0 };
	char devargs[128], mac[MAC_STRLEN], name[32];
	unsigned int i;
	int ret;

	snprintf(name, sizeof(name), "net_tap_dplb%u", idx);
	snprintf(devargs, sizeof(devargs), "%s,iface=%s,mac=%s", name, c->twin,
		 mac_fmt(p->mac.addr_bytes, mac, sizeof(mac)));
	ret = rte_dev_probe(devargs);
	if (ret == 0)
		ret = rte_eth_dev_get_port_by_name(name, &p->twin_id);
	if (ret != 0) {
		LOG_ERR("port %s: cannot create twin %s: %s", p->name, c->twin,
			strerror(-ret));
		return ret;
	}
	ret = twin_queues(dp, p);
	if (ret == 0)
		ret = setup_queues(p->twin_id, c->twin, dp->pool, p->twin_nq,
				   p->twin_nq, 512, 512, &conf);
	if (ret == 0)
		ret = rte_eth_dev_start(p->twin_id);
	if (ret == 0)
		ret = twin_prepare(c->twin);
	for (i = 0; ret == 0 && i < c->n_addrs; i++)
		ret = twin_addr(c->twin, &c->addrs[i], true);
	if (ret != 0)
		LOG_ERR("port %s: twin %s: %s", p->name, c->twin,
			strerror(-ret));
	dp->port_of[p->twin_id] = (int16_t)idx;
	return ret;
}

static int
port_init_one(struct dp_ctx *dp, unsigned int idx)
{
	const struct cfg_port *c = &dp->cfg->ports[idx];
	struct dp_port *p = &dp->ports[idx];
	char mac[MAC_STRLEN];
	int ret;

	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", c->name);
	p->twin_id = DP_NO_PORT;
	p->q_base = (uint16_t)(idx % dp->n_workers);
	ret = probe_device(c->device, dp->n_workers, &p->port_id);
	if (ret == 0)
		ret = port_configure(dp, p, c);
	if (ret == 0)
		ret = rte_eth_dev_start(p->port_id);
	if (ret != 0) {
		LOG_ERR("port %s (%s): cannot start: %s", c->name, c->device,
			strerror(-ret));
		return ret;
	}
	dp->port_of[p->port_id] = (int16_t)idx;
	if (!c->has_mac)
		rte_eth_macaddr_get(p->port_id, &p->mac);
	LOG_INFO("port %s: %s (%s) mac %s, %u rxq %u txq%s", p->name, c->device,
		 p->driver, mac_fmt(p->mac.addr_bytes, mac, sizeof(mac)),
		 p->nb_rxq, p->nb_txq, p->tx_l4_cksum ? ", checksum offload" : "");
	if (c->twin[0] != '\0')
		return twin_create(dp, p, c, idx);
	return 0;
}

int
port_init_all(struct dp_ctx *dp)
{
	unsigned int i;
	int ret;

	for (i = 0; i < RTE_MAX_ETHPORTS; i++)
		dp->port_of[i] = -1;
	dp->tx_frame_max = UINT32_MAX;
	for (i = 0; i < dp->cfg->n_ports; i++) {
		ret = port_init_one(dp, i);
		if (ret != 0)
			return ret;
		dp->n_ports = i + 1;
		dp->tx_frame_max = RTE_MIN(dp->tx_frame_max,
					   dp->ports[i].tx_mtu +
					   (uint32_t)RTE_ETHER_HDR_LEN);
	}
	return 0;
}

int
port_worker_rxq(const struct dp_ctx *dp, const struct dp_port *p,
		unsigned int w)
{
	unsigned int rel = (w + dp->n_workers - p->q_base) % dp->n_workers;

	return rel < p->nb_rxq ? (int)rel : -1;
}

int
port_worker_txq(const struct dp_ctx *dp, const struct dp_port *p,
		unsigned int w)
{
	unsigned int rel = (w + dp->n_workers - p->q_base) % dp->n_workers;

	return rel < p->nb_txq ? (int)rel : -1;
}

static void
worker_add_rxq(struct dp_worker *w, uint16_t port_id, uint16_t queue,
	       uint16_t dp_port, bool twin)
{
	w->rxq[w->n_rxq++] = (struct dp_rxq){
		.port_id = port_id,
		.queue = queue,
		.dp_port = dp_port,
		.twin = twin,
	};
}

/*
 * Where worker w's frames for p go: its own tx queue, or the tx_ring of
 * an owner.  Workers without a queue are spread over the owners.
 */
static void
worker_set_tx(struct dp_ctx *dp, struct dp_worker *wk, const struct dp_port *p)
{
	struct dp_txbuf *b = &wk->txb[p->port_id];
	unsigned int rel = (wk->id + dp->n_workers - p->q_base) % dp->n_workers;
	int q = port_worker_txq(dp, p, wk->id);

	if (q >= 0) {
		b->queue = (uint16_t)q;
		b->via = NULL;
		return;
	}
	b->queue = (uint16_t)(rel % p->nb_txq);
	b->via_worker = (uint16_t)port_queue_owner(dp, p, b->queue);
	b->via = dp->workers[b->via_worker].tx_ring;
}

/* The twin's queue q belongs to worker q; workers past its queues
 * (TWIN_MAX_QUEUES) send through worker id % queues. */
static void
worker_set_twin(struct dp_ctx *dp, struct dp_worker *wk, unsigned int i)
{
	const struct dp_port *p = &dp->ports[i];
	struct dp_txbuf *b = &wk->txb[p->twin_id];

	b->queue = (uint16_t)(wk->id % p->twin_nq);
	b->via = NULL;
	if (wk->id < p->twin_nq) {
		worker_add_rxq(wk, p->twin_id, b->queue, (uint16_t)i, true);
		return;
	}
	b->via_worker = b->queue;
	b->via = dp->workers[b->via_worker].tx_ring;
}

static void
worker_assign(struct dp_ctx *dp, struct dp_worker *wk)
{
	unsigned int i;
	int q;

	wk->n_rxq = 0;
	for (i = 0; i < dp->n_ports; i++) {
		struct dp_port *p = &dp->ports[i];

		q = port_worker_rxq(dp, p, wk->id);
		if (q >= 0)
			worker_add_rxq(wk, p->port_id, (uint16_t)q, (uint16_t)i,
				       false);
		worker_set_tx(dp, wk, p);
		if (p->twin_id != DP_NO_PORT)
			worker_set_twin(dp, wk, i);
	}
}

void
port_assign_queues(struct dp_ctx *dp)
{
	unsigned int w, i;

	for (w = 0; w < dp->n_workers; w++)
		worker_assign(dp, &dp->workers[w]);
	for (i = 0; i < dp->n_ports; i++)
		flow_probe(dp, i);
}

static void
close_port(uint16_t port_id)
{
	rte_eth_dev_stop(port_id);
	rte_eth_dev_close(port_id);
}

void
port_close_all(struct dp_ctx *dp)
{
	unsigned int i;

	flow_fini(dp);
	for (i = 0; i < dp->n_ports; i++) {
		if (dp->ports[i].twin_id != DP_NO_PORT)
			close_port(dp->ports[i].twin_id);
		close_port(dp->ports[i].port_id);
	}
}
