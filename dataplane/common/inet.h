/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * inet: address and prefix types shared by dplbd, dplbctl and the tests.
 *
 * Addresses carry their family so that IPv6 fits every structure that
 * holds an IPv4 address today.  All functions are pure (no DPDK, no
 * allocation) and return 0 on success or a negative errno.
 */
#ifndef DPLB_INET_H
#define DPLB_INET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#define INET_ADDR_STRLEN 46	/* INET6_ADDRSTRLEN */
#define INET_PREFIX_STRLEN (INET_ADDR_STRLEN + 4)
#define MAC_STRLEN 18

/** An IPv4 or IPv6 address; family is AF_INET, AF_INET6 or 0 (unset). */
struct inet_addr {
	uint8_t family;
	union {
		struct in_addr v4;	/* network byte order */
		struct in6_addr v6;
	};
};

/** An address with a prefix length (interface address or route). */
struct inet_prefix {
	struct inet_addr addr;
	uint8_t len;
};

/** Parse "198.18.0.1" or "2001:db8::1". -EINVAL on anything else. */
int inet_addr_parse(const char *s, struct inet_addr *out);

/**
 * Parse "198.18.0.0/24". Without "/len" the prefix is a host prefix
 * (/32 or /128). -EINVAL on a bad address or length.
 */
int inet_prefix_parse(const char *s, struct inet_prefix *out);

/** Format into buf (at least INET_ADDR_STRLEN); returns buf. */
const char *inet_addr_fmt(const struct inet_addr *a, char *buf, size_t len);

/** Format "addr/len" into buf (at least INET_PREFIX_STRLEN); returns buf. */
const char *inet_prefix_fmt(const struct inet_prefix *p, char *buf,
			    size_t len);

bool inet_addr_equal(const struct inet_addr *a, const struct inet_addr *b);

/** Maximum prefix length of the family: 32 or 128, 0 when unset. */
unsigned int inet_max_len(uint8_t family);

/** Zero the host bits of p (198.18.0.10/24 -> 198.18.0.0/24). */
void inet_prefix_mask(struct inet_prefix *p);

/** True when addr lies inside prefix p (same family). */
bool inet_prefix_contains(const struct inet_prefix *p,
			  const struct inet_addr *addr);

/** Build an IPv4 inet_addr from a network-order word. */
static inline struct inet_addr
inet_addr_v4(uint32_t be_addr)
{
	struct inet_addr a = { .family = AF_INET };

	a.v4.s_addr = be_addr;
	return a;
}

/** Parse "02:00:00:00:00:01" (also '-' separated). */
int mac_parse(const char *s, uint8_t mac[6]);

/** Format a MAC into buf (at least MAC_STRLEN); returns buf. */
const char *mac_fmt(const uint8_t mac[6], char *buf, size_t len);

#endif /* DPLB_INET_H */
