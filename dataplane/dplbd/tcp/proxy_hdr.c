/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * proxy_hdr: PROXY protocol v1 and v2 headers and the TOA option
 * (proxy_hdr.h).
 */
#include <stdio.h>
#include <string.h>

#include "tcp/proxy_hdr.h"
#include "tcp/tcp_edit.h"

/* The v2 signature (proxy-protocol.txt 2.2). */
static const uint8_t pp2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
};

#define PP2_VER_PROXY 0x21	/* version 2, command PROXY */
#define PP2_TCP4 0x11		/* AF_INET, SOCK_STREAM */
#define PP2_UDP4 0x12		/* AF_INET, SOCK_DGRAM */

static unsigned int
pp_v1(uint8_t *buf, rte_be32_t src, rte_be16_t sport, rte_be32_t dst,
      rte_be16_t dport)
{
	const uint8_t *s = (const uint8_t *)&src, *d = (const uint8_t *)&dst;
	char text[PP_V1_MAX + 1];	/* and snprintf's NUL, not for buf */
	int n;

	n = snprintf(text, sizeof(text),
		     "PROXY TCP4 %u.%u.%u.%u %u.%u.%u.%u %u %u\r\n",
		     s[0], s[1], s[2], s[3], d[0], d[1], d[2], d[3],
		     rte_be_to_cpu_16(sport), rte_be_to_cpu_16(dport));
	if (n <= 0 || n > PP_V1_MAX)
		return 0;
	memcpy(buf, text, (size_t)n);
	return (unsigned int)n;
}

static unsigned int
pp_v2(uint8_t *buf, uint8_t fam, rte_be32_t src, rte_be16_t sport,
      rte_be32_t dst, rte_be16_t dport)
{
	rte_be16_t len = RTE_BE16(12);

	memcpy(buf, pp2_sig, sizeof(pp2_sig));
	buf[12] = PP2_VER_PROXY;
	buf[13] = fam;
	memcpy(buf + 14, &len, 2);
	memcpy(buf + 16, &src, 4);
	memcpy(buf + 20, &dst, 4);
	memcpy(buf + 24, &sport, 2);
	memcpy(buf + 26, &dport, 2);
	return PP_V2_V4_LEN;
}

unsigned int
pp_build(enum pp_version ver, uint8_t *buf, rte_be32_t src, rte_be16_t sport,
	 rte_be32_t dst, rte_be16_t dport)
{
	switch (ver) {
	case PP_V1:
		return pp_v1(buf, src, sport, dst, dport);
	case PP_V2:
		return pp_v2(buf, PP2_TCP4, src, sport, dst, dport);
	default:
		return 0;
	}
}

unsigned int
pp_build_dgram(uint8_t *buf, rte_be32_t src, rte_be16_t sport, rte_be32_t dst,
	       rte_be16_t dport)
{
	return pp_v2(buf, PP2_UDP4, src, sport, dst, dport);
}

void
toa_build(uint8_t *opt, rte_be32_t addr, rte_be16_t port)
{
	opt[0] = TCPOPT_TOA;
	opt[1] = TCPOLEN_TOA;
	memcpy(opt + 2, &port, 2);
	memcpy(opt + 4, &addr, 4);
}
