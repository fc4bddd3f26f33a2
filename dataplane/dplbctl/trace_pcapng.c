/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * trace_pcapng: pcapng output of dplbctl trace (trace_pcapng.h).
 * Blocks are written in the host's byte order, which the section
 * header's byte-order magic declares.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dplbctl.h"
#include "trace_pcapng.h"

#define BT_SHB 0x0a0d0d0a
#define BT_IDB 0x00000001
#define BT_EPB 0x00000006
#define LINKTYPE_ETHERNET 1
#define OPT_END 0
#define OPT_COMMENT 1
#define IDB_NAME 2
#define IDB_TSRESOL 9
#define EPB_FLAGS 2
#define MAX_IFACES 64
#define MAX_FRAME 65535

struct pcapng {
	FILE *f;
	unsigned int n_ifaces;
	char ifaces[MAX_IFACES][40];
	uint8_t buf[MAX_FRAME + 4096];	/* one block */
	size_t len;
};

static void
put(struct pcapng *pc, const void *p, size_t n)
{
	if (n == 0 || pc->len + n > sizeof(pc->buf))
		return;	/* the latter cannot happen: frames and comments
			 * are capped */
	memcpy(pc->buf + pc->len, p, n);
	pc->len += n;
}

static void
put32(struct pcapng *pc, uint32_t v)
{
	put(pc, &v, 4);
}

static void
put16(struct pcapng *pc, uint16_t v)
{
	put(pc, &v, 2);
}

static void
pad4(struct pcapng *pc)
{
	static const uint8_t zero[4];

	put(pc, zero, (4 - pc->len % 4) % 4);
}

static void
put_opt(struct pcapng *pc, uint16_t code, const void *v, size_t n)
{
	put16(pc, code);
	put16(pc, (uint16_t)n);
	put(pc, v, n);
	pad4(pc);
}

static void
block_start(struct pcapng *pc, uint32_t type)
{
	pc->len = 0;
	put32(pc, type);
	put32(pc, 0);		/* total length, set by block_end() */
}

static int
block_end(struct pcapng *pc)
{
	uint32_t total = (uint32_t)pc->len + 4;

	memcpy(pc->buf + 4, &total, 4);
	put32(pc, total);
	return fwrite(pc->buf, 1, pc->len, pc->f) == pc->len ? 0 : -1;
}

struct pcapng *
pcapng_open(const char *path)
{
	struct pcapng *pc = calloc(1, sizeof(*pc));

	if (pc == NULL)
		return NULL;
	pc->f = fopen(path, "wb");
	if (pc->f == NULL) {
		free(pc);
		return NULL;
	}
	block_start(pc, BT_SHB);
	put32(pc, 0x1a2b3c4d);	/* byte-order magic */
	put16(pc, 1);
	put16(pc, 0);
	put32(pc, 0xffffffff);	/* section length: unknown */
	put32(pc, 0xffffffff);
	put_opt(pc, OPT_COMMENT, "dplbctl trace", 13);
	put_opt(pc, OPT_END, NULL, 0);
	if (block_end(pc) != 0) {
		pcapng_close(pc);
		return NULL;
	}
	return pc;
}

/* The interface id of a port's name, written on first use; -1 on error. */
static int
iface(struct pcapng *pc, const char *port, bool twin)
{
	const uint8_t tsresol = 9;	/* nanoseconds */
	char name[40];
	unsigned int i;

	snprintf(name, sizeof(name), "%s%s", port, twin ? "-twin" : "");
	for (i = 0; i < pc->n_ifaces; i++)
		if (strcmp(pc->ifaces[i], name) == 0)
			return (int)i;
	if (pc->n_ifaces == MAX_IFACES) {
		errno = ENOSPC;
		return -1;
	}
	block_start(pc, BT_IDB);
	put16(pc, LINKTYPE_ETHERNET);
	put16(pc, 0);
	put32(pc, MAX_FRAME);	/* snaplen */
	put_opt(pc, IDB_NAME, name, strlen(name));
	put_opt(pc, IDB_TSRESOL, &tsresol, 1);
	put_opt(pc, OPT_END, NULL, 0);
	if (block_end(pc) != 0)
		return -1;
	strcpy(pc->ifaces[pc->n_ifaces], name);
	return (int)pc->n_ifaces++;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int
frame(struct pcapng *pc, json_object *fr, uint64_t ts, const char *comment)
{
	const char *hex = jstr(fr, "data", "");
	bool out = strcmp(jstr(fr, "dir", "in"), "out") == 0;
	size_t caplen = strlen(hex) / 2, i, clen = strlen(comment);
	uint32_t flags = out ? 2 : 1;	/* direction: outbound, inbound */
	int id = iface(pc, jstr(fr, "port", "?"), jbool(fr, "twin"));

	if (id < 0)
		return -1;
	if (caplen > MAX_FRAME)
		caplen = MAX_FRAME;
	if (clen > 2048)
		clen = 2048;
	block_start(pc, BT_EPB);
	put32(pc, (uint32_t)id);
	put32(pc, (uint32_t)(ts >> 32));
	put32(pc, (uint32_t)ts);
	put32(pc, (uint32_t)caplen);
	put32(pc, (uint32_t)jint(fr, "len", (long long)caplen));
	for (i = 0; i < caplen; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		uint8_t b = (uint8_t)((hi < 0 ? 0 : hi) << 4 | (lo < 0 ? 0 : lo));

		put(pc, &b, 1);
	}
	pad4(pc);
	put_opt(pc, OPT_COMMENT, comment, clen);
	put_opt(pc, EPB_FLAGS, &flags, 4);
	put_opt(pc, OPT_END, NULL, 0);
	return block_end(pc);
}

int
pcapng_record(struct pcapng *pc, json_object *rec, const char *comment)
{
	json_object *frames = jarr(rec, "frames");
	uint64_t ts = (uint64_t)jint(rec, "time_ns", 0);
	char text[2200];
	size_t i;

	snprintf(text, sizeof(text), "trace #%lld: %s", jint(rec, "seq", 0),
		 comment);
	for (i = 0; i < jlen(frames, NULL); i++)
		if (frame(pc, jidx(frames, i), ts, text) != 0)
			return -1;
	return 0;
}

int
pcapng_close(struct pcapng *pc)
{
	int ret;

	if (pc == NULL)
		return 0;
	ret = fclose(pc->f);
	free(pc);
	return ret == 0 ? 0 : -1;
}
