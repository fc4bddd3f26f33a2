/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lb_svc_priv: what lb_svc.c, lb_conf.c and lb_dest.c share about the
 * store.  Private to lb/: other folders use lb_svc.h.
 */
#ifndef DPLB_LB_SVC_PRIV_H
#define DPLB_LB_SVC_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include "lb/lb_svc.h"

#define LB_MSG_LEN 256
/* Room for lb_key_fmt()'s "tcp 198.18.0.100:80". */
#define KEY_STRLEN (INET_ADDR_STRLEN + 16)

/** Print the reason into msg (if any) and return -err. */
int __attribute__((format(printf, 4, 5)))
lb_fail(char *msg, size_t len, int err, const char *fmt, ...);

/** "tcp 198.18.0.100:80", for messages. */
const char *lb_key_fmt(const struct lb_svc_key *k, char *buf, size_t len);

/** A group name safe in messages, logs and config files. */
bool lb_name_valid(const char *s);

/** 0 for a unicast IPv4 address, else -errno with "what: why" in msg. */
/* An address as it stands before ":port": IPv6 in brackets. */
const char *lb_host_fmt(const struct inet_addr *a, char *buf, size_t len);
/* A unicast IPv4 or IPv6 address, or -EINVAL with msg. */
int lb_check_addr(const struct inet_addr *a, const char *what, char *msg,
		  size_t len);
int lb_check_v4(const struct inet_addr *a, const char *what, char *msg,
		size_t len);

struct lb_dest *lb_dest_alloc(const struct lb_store *st);
void lb_dest_free(struct lb_dest *d);
/* d's counters into its service's gone: before freeing a dest that was
 * published (lb_svc_stats() sums the dests it can still reach). */
void lb_dest_fold_gone(const struct lb_store *st, const struct lb_dest *d);
void lb_group_free(struct lb_laddr_group *g);

/**
 * Build what is dirty, swap the snapshot in, wait for the workers to
 * leave the old one and free what it alone used.  0, or -ENOMEM with
 * nothing published: the caller undoes its change.
 */
int lb_publish(struct lb_store *st);

#endif /* DPLB_LB_SVC_PRIV_H */
