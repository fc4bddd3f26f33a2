/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * proxy_hdr: what tells a full-NAT real server who the client is.
 *  - The PROXY protocol (HAProxy's proxy-protocol.txt): a header the
 *    server reads before the client's first byte, in text (v1) or
 *    binary (v2).  nginx (`listen ... proxy_protocol`), HAProxy
 *    (`accept-proxy`) and many others parse both.
 *  - TOA: a TCP option (kind 254, length 8: port, then IPv4 address, in
 *    network order) that a kernel module on the server reads from the
 *    segment completing the handshake and reports as the peer's
 *    address (the format of DPVS and the Huawei TOA module).
 * Pure functions of the addresses (network order); buffers are the
 * caller's.
 */
#ifndef DPLB_PROXY_HDR_H
#define DPLB_PROXY_HDR_H

#include <stddef.h>
#include <stdint.h>

#include <rte_byteorder.h>

#define PP_V1_MAX 56		/* "PROXY TCP4 " + two addresses, two
				 * ports, spaces and CRLF at most */
#define PP_V2_V4_LEN 28		/* signature 12, ver/cmd, family, length
				 * 2, addresses 8, ports 4 */
#define PP_MAX PP_V1_MAX

/** The PROXY protocol's version, as a service asks for it (0 = none). */
enum pp_version {
	PP_NONE = 0,
	PP_V1 = 1,
	PP_V2 = 2,
};

/**
 * Write the header of version ver for a TCP connection src -> dst into
 * buf (PP_MAX bytes).  Returns its length (0 for PP_NONE).
 */
unsigned int pp_build(enum pp_version ver, uint8_t *buf, rte_be32_t src,
		      rte_be16_t sport, rte_be32_t dst, rte_be16_t dport);

/**
 * Write the v2 header for a UDP flow src -> dst (family AF_INET,
 * transport DGRAM) into buf (PP_V2_V4_LEN bytes); returns its length.
 * v1 has no form for UDP (its protocol field is TCP4, TCP6 or UNKNOWN).
 */
unsigned int pp_build_dgram(uint8_t *buf, rte_be32_t src, rte_be16_t sport,
			    rte_be32_t dst, rte_be16_t dport);

/** Write the TOA option for client addr:port into opt (8 bytes). */
void toa_build(uint8_t *opt, rte_be32_t addr, rte_be16_t port);

#endif /* DPLB_PROXY_HDR_H */
