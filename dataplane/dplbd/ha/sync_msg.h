/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sync_msg: the wire format of the HA connection sync: IPVS sync
 * protocol version 1 as Linux sends it (net/netfilter/ipvs/ip_vs_sync.c),
 * plus dplb's extension entry.  Byte layouts: docs/sync-protocol.md.
 *
 *   message   8-byte header: 0, syncid, size (be16, the whole datagram),
 *             entry count, version 1, 0 (be16)
 *   entry     36 bytes, an IPv4 connection: type 0, protocol, version 0
 *             and size (be16), IPVS flags (be32), state (be16), cport,
 *             vport, dport, fwmark (be32), timeout (be32, s), caddr,
 *             vaddr, daddr; options may follow (size), padded to 4
 *   extension an entry of the same shape whose protocol is 253 (RFC 3692,
 *             for experiments): right after a connection entry it
 *             completes it (the dplb state, the forwarding mode, the
 *             full-NAT local address and port, the event's time, the
 *             sender's worker count); alone it is a control message (a
 *             backup asking for a full dump, a master saying it ended)
 *   IPv6      an IPv6 connection is IPVS's 72-byte IPv6 entry (type 1,
 *             16-byte addresses) and an IPv6-shaped extension (72
 *             bytes, extension version 2): the IPv6 local address, or
 *             for NAT64 (an IPv4 server side, which IPVS cannot say) the
 *             IPv4 real server and local address; an IPv4 connection
 *             to an IPv6 tunnel dest goes the same way, its client and
 *             VIP IPv4-mapped (flag CLIENT4); a peer that reads
 *             version 1 only skips both (bad_record)
 *
 * Every record is a connection entry and its extension (72 bytes), so a
 * Linux IPVS backup installs the standard part and skips the extension
 * ("unsupported protocol" is a per-entry skip there), and Wireshark's
 * "ipvs" dissector, which reads 36-byte entries and no options, decodes
 * every entry.  Entries from a Linux master (no extension) are read as
 * NAT, DR or TUNNEL connections.
 *
 * Pure functions over buffers: no I/O, no DPDK state; unit-tested.
 */
#ifndef DPLB_HA_SYNC_MSG_H
#define DPLB_HA_SYNC_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/stats.h"
#include "lb/lb.h"

#define SYNC_MSG_HDR_LEN 8
#define SYNC_MSG_ENTRY_LEN 36		/* struct ip_vs_sync_v4 */
#define SYNC_MSG_ENTRY6_LEN 72		/* struct ip_vs_sync_v6 */
#define SYNC_MSG_REC_LEN (2 * SYNC_MSG_ENTRY_LEN)
#define SYNC_MSG_REC6_LEN (2 * SYNC_MSG_ENTRY6_LEN)
#define SYNC_MSG_MAX_ENTRIES 255
#define SYNC_MSG_VERSION 1
/* the smallest sync_maxlen: room for an IPv6 record */
#define SYNC_MSG_MIN_LEN (SYNC_MSG_HDR_LEN + SYNC_MSG_REC6_LEN)
#define SYNC_MSG_MAX_LEN 65507		/* a UDP payload */

#define SYNC_EXT_PROTO 253		/* the extension entry's protocol */
#define SYNC_EXT_VERSION 1		/* in an IPv4 entry */
#define SYNC_EXT_VERSION6 2		/* in an IPv6 entry: completes an
					 * IPv6 connection entry */
#define IPVS_STYPE_F_INET6 0x01		/* an entry's type: IPv6 */

#define SYNC_DEFAULT_PORT 8848
#define SYNC_DEFAULT_GROUP 0xe0000051u	/* 224.0.0.81, host order */

/* IPVS connection flags (include/uapi/linux/ip_vs.h) */
#define IPVS_CONN_F_MASQ 0x0000
#define IPVS_CONN_F_LOCALNODE 0x0001
#define IPVS_CONN_F_TUNNEL 0x0002
#define IPVS_CONN_F_DROUTE 0x0003
#define IPVS_CONN_F_FWD_MASK 0x0007
#define IPVS_CONN_F_NOOUTPUT 0x0080
#define IPVS_CONN_F_INACTIVE 0x0100
#define IPVS_CONN_F_TEMPLATE 0x1000

/* IPVS's option types: bit 0x40 marks an optional one */
#define IPVS_OPT_SEQ_DATA 1
#define IPVS_OPT_PE_DATA 2
#define IPVS_OPT_PE_NAME 3
#define IPVS_OPT_F_PARAM 0x40
#define IPVS_SEQ_OPT_LEN 24

/* The extension's flags word (be32): flags, forwarding mode, kind. */
#define SYNC_EXT_F_LOCAL 0x01		/* laddr and lport are set */
#define SYNC_EXT_F_DUMP 0x02		/* from a full dump */
#define SYNC_EXT_F_PEER 0x04		/* the sender had it from its peer */
#define SYNC_EXT_F_SERVER4 0x08		/* IPv6 extension: the server side is
					 * IPv4 (NAT64) */
#define SYNC_EXT_F_CLIENT4 0x10		/* IPv6 extension: the client side is
					 * IPv4, IPv4-mapped in the entry (an
					 * IPv4-in-IPv6 tunnel) */
#define SYNC_EXT_FWD_SHIFT 8		/* enum conn_fwd, 4 bits */
#define SYNC_EXT_KIND_SHIFT 24		/* enum sync_ext_kind, 8 bits */

enum sync_ext_kind {
	SYNC_EXT_CONN,		/* completes the entry before it */
	SYNC_EXT_DUMP_REQUEST,	/* a backup asks for a full dump */
	SYNC_EXT_DUMP_END,	/* a master's dump is complete */
	SYNC_EXT_KINDS,
};

/** A message being built in a caller's buffer. */
struct sync_msg {
	uint8_t *buf;
	uint16_t max;		/* sync_maxlen */
	uint16_t len;
	uint8_t count;		/* entries */
};

/** Start a message of at most max bytes (SYNC_MSG_MIN_LEN..) in buf. */
void sync_msg_init(struct sync_msg *m, uint8_t *buf, uint16_t max,
		   uint8_t syncid);

/**
 * Append record r as a connection entry and its extension (IPv4 or,
 * LB_SYNC_F_IPV6, IPv6 shaped); wall_ms is
 * r's event on the wall clock (ms, low 32 bits), n_workers the sender's.
 * 0, or -ENOSPC when the message has no room left for it.
 */
int sync_msg_add(struct sync_msg *m, const struct lb_sync_rec *r,
		 uint32_t wall_ms, uint16_t n_workers);

/** Append a control entry of kind (not SYNC_EXT_CONN) with a nonce
 * naming the exchange.  0 or -ENOSPC. */
int sync_msg_add_ctl(struct sync_msg *m, enum sync_ext_kind kind,
		     uint32_t nonce, uint32_t wall_ms, uint16_t n_workers);

/** True when no entry was added since sync_msg_init(). */
static inline bool
sync_msg_empty(const struct sync_msg *m)
{
	return m->count == 0;
}

/** What a parsed message holds, one item at a time. */
struct sync_item {
	enum sync_ext_kind kind;
	uint8_t syncid;		/* the message's */
	bool extended;		/* CONN: it had dplb's extension */
	uint32_t nonce;		/* DUMP_REQUEST, DUMP_END */
	uint16_t n_workers;	/* the sender's, 0 if unknown */
	struct lb_sync_rec rec;	/* CONN: ms is the wall clock (0 if
				 * unknown), n_workers set */
};

typedef void (*sync_item_fn)(void *arg, const struct sync_item *it);

/**
 * Parse a datagram as a Linux IPVS backup does, stricter where dplb
 * needs it: a message that fails the header checks is dropped whole
 * (SYNC_DROP_SHORT, _BAD_SIZE, _BAD_VERSION), a malformed entry drops
 * the rest of the message (SYNC_DROP_BAD_ENTRY), an entry dplb cannot
 * use is skipped (SYNC_DROP_BAD_RECORD: a protocol, state, forwarding
 * mode, address family or mandatory option it does not support, an
 * extension alone).  Each drop is counted in drops[]; every usable item
 * goes to fn in message order.  Returns the number of items, or -1 when
 * the whole message was dropped.
 */
int sync_msg_parse(const uint8_t *buf, size_t len, sync_item_fn fn, void *arg,
		   uint64_t drops[SYNC_DROP_MAX]);

#endif /* DPLB_HA_SYNC_MSG_H */
