/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * eal: DPDK's EAL for dplbd: its start from the config, and DPDK's own
 * messages, once and with their priority.
 *
 * eal_start() builds the EAL command line: lcore 0 is the main lcore,
 * 1..workers the workers, spread round-robin over the config's cpus
 * (or the process's affinity), hugepages with --in-memory or --no-huge,
 * the ports' device arguments (port.h) and the config's extra args.
 *
 * DPDK 22.11 writes every message both to stderr and to syslog, so under
 * systemd each one lands in the journal twice, the stderr copy without
 * a priority.  eal_log_init() gives DPDK a stream of ours instead: it
 * writes to stderr only, and when stderr is the journal (log.h) every
 * line carries the "<N>" prefix of its RTE_LOG level, like dplbd's own
 * lines.  Elsewhere the text passes through unchanged.
 */
#ifndef DPLB_EAL_H
#define DPLB_EAL_H

struct dplb_config;

/** rte_eal_init() for cfg; 0 or a negative errno, the cause logged. */
int eal_start(const struct dplb_config *cfg);

/** Install the stream (before rte_eal_init); 0 or -ENOMEM. */
int eal_log_init(void);

/**
 * DPDK's global log level (RTE_LOG_*) for dplbd's log_level: DPDK's
 * errors normally, down to its info messages with "debug".
 */
unsigned int eal_log_level(int dplb_level);

#endif /* DPLB_EAL_H */
