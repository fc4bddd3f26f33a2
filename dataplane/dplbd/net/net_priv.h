/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * net_priv: the stages of l2_input() (net.h), private to net/.
 */
#ifndef DPLB_NET_PRIV_H
#define DPLB_NET_PRIV_H

#include "core/dp.h"
#include "net/net.h"

enum net_verdict ipv4_input(struct dp_ctx *dp, struct dp_worker *w,
			    uint16_t port, struct rte_mbuf *m,
			    struct net_ipv4 *in);

#endif /* DPLB_NET_PRIV_H */
