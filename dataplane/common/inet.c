/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inet.h"

int
inet_addr_parse(const char *s, struct inet_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return -EINVAL;
	if (inet_pton(AF_INET, s, &out->v4) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &out->v6) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

unsigned int
inet_max_len(uint8_t family)
{
	if (family == AF_INET)
		return 32;
	if (family == AF_INET6)
		return 128;
	return 0;
}

int
inet_prefix_parse(const char *s, struct inet_prefix *out)
{
	char buf[INET_PREFIX_STRLEN];
	char *slash, *end;
	unsigned long len;

	memset(out, 0, sizeof(*out));
	if (s == NULL || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash = '\0';
	if (inet_addr_parse(buf, &out->addr) < 0)
		return -EINVAL;
	if (slash == NULL) {
		out->len = inet_max_len(out->addr.family);
		return 0;
	}
	if (slash[1] < '0' || slash[1] > '9')
		return -EINVAL;
	errno = 0;
	len = strtoul(slash + 1, &end, 10);
	if (errno != 0 || *end != '\0' || len > inet_max_len(out->addr.family))
		return -EINVAL;
	out->len = (uint8_t)len;
	return 0;
}

const char *
inet_addr_fmt(const struct inet_addr *a, char *buf, size_t len)
{
	if (a->family == 0 ||
	    inet_ntop(a->family, &a->v6, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "-");
	return buf;
}

const char *
inet_prefix_fmt(const struct inet_prefix *p, char *buf, size_t len)
{
	char a[INET_ADDR_STRLEN];

	snprintf(buf, len, "%s/%u", inet_addr_fmt(&p->addr, a, sizeof(a)),
		 p->len);
	return buf;
}

bool
inet_addr_equal(const struct inet_addr *a, const struct inet_addr *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET)
		return a->v4.s_addr == b->v4.s_addr;
	if (a->family == AF_INET6)
		return memcmp(&a->v6, &b->v6, sizeof(a->v6)) == 0;
	return true;
}

/* Keep the first len bits of a byte string, zero the rest. */
static void
mask_bits(uint8_t *bytes, unsigned int nbytes, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < nbytes; i++) {
		if (len >= 8) {
			len -= 8;
			continue;
		}
		bytes[i] &= (uint8_t)(0xff00u >> len);
		len = 0;
	}
}

void
inet_prefix_mask(struct inet_prefix *p)
{
	if (p->addr.family == AF_INET)
		mask_bits((uint8_t *)&p->addr.v4, 4, p->len);
	else if (p->addr.family == AF_INET6)
		mask_bits(p->addr.v6.s6_addr, 16, p->len);
}

bool
inet_prefix_contains(const struct inet_prefix *p, const struct inet_addr *addr)
{
	struct inet_prefix net = *p, host = { .addr = *addr, .len = p->len };

	if (addr->family != p->addr.family)
		return false;
	inet_prefix_mask(&net);
	inet_prefix_mask(&host);
	return inet_addr_equal(&net.addr, &host.addr);
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
mac_parse(const char *s, uint8_t mac[6])
{
	int i, hi, lo;

	if (s == NULL || strlen(s) != 17)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		const char *p = s + i * 3;

		hi = hex_digit(p[0]);
		lo = hex_digit(p[1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		if (i < 5 && p[2] != ':' && p[2] != '-')
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

const char *
mac_fmt(const uint8_t mac[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
		 mac[2], mac[3], mac[4], mac[5]);
	return buf;
}
