/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * trace_pcapng: dplbctl trace --pcap, the traced frames as a pcapng
 * file (draft-ietf-opsawg-pcapng): one interface per dplb port (and per
 * twin, "NAME-twin"), nanosecond timestamps, each frame's direction in
 * epb_flags (inbound as received, outbound as sent or handed on) and
 * the packet's path in its comment.  Frames are cut at what dplbd kept
 * (256 bytes); the original length is recorded.
 */
#ifndef DPLBCTL_TRACE_PCAPNG_H
#define DPLBCTL_TRACE_PCAPNG_H

#include <json-c/json.h>

struct pcapng;

/** Create FILE and write the section header; NULL with errno set. */
struct pcapng *pcapng_open(const char *path);

/** The frames of one trace.read record; 0 or -1 with errno set. */
int pcapng_record(struct pcapng *pc, json_object *rec, const char *comment);

/** Flush and close (NULL is fine); 0 or -1 with errno set. */
int pcapng_close(struct pcapng *pc);

#endif /* DPLBCTL_TRACE_PCAPNG_H */
