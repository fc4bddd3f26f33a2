/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * eal_log: DPDK's own messages, once and with their priority.
 *
 * DPDK 22.11 writes every message both to stderr and to syslog, so under
 * systemd each one lands in the journal twice, the stderr copy without
 * a priority.  eal_log_init() gives DPDK a stream of ours instead: it
 * writes to stderr only, and when stderr is the journal (log.h) every
 * line carries the "<N>" prefix of its RTE_LOG level, like dplbd's own
 * lines.  Elsewhere the text passes through unchanged.
 */
#ifndef DPLB_EAL_LOG_H
#define DPLB_EAL_LOG_H

/** Install the stream (before rte_eal_init); 0 or -ENOMEM. */
int eal_log_init(void);

/**
 * DPDK's global log level (RTE_LOG_*) for dplbd's log_level: DPDK's
 * errors normally, down to its info messages with "debug".
 */
unsigned int eal_log_level(int dplb_level);

#endif /* DPLB_EAL_LOG_H */
