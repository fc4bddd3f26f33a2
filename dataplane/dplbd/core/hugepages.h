/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hugepages: make sure the system has reserved the 2 MiB hugepages that
 * the configuration asks for (eal.nr_hugepages) before DPDK starts.
 * dplbd.service runs it as `dplbd --reserve-hugepages` with full
 * privileges (ExecStartPre=+), so dplbd itself needs no right to write
 * sysfs.  It only ever raises the system's count, never lowers it:
 * other programs (another dplbd) may hold pages, and a count that is
 * already high enough is left untouched, which also lets it run where
 * sysfs is read-only (a container whose host reserved the pages).
 */
#ifndef DPLB_HUGEPAGES_H
#define DPLB_HUGEPAGES_H

#include <stddef.h>

#include "config/config.h"

#define HUGEPAGES_SYSFS "/sys/kernel/mm/hugepages"

/**
 * Raise the count in <sysdir>/hugepages-2048kB/nr_hugepages to
 * cfg->nr_hugepages if it is lower.  0 with what was done in msg, or a
 * negative errno with the reason in msg: -EIO when the kernel reserved
 * fewer pages than asked (memory too fragmented).
 */
int hugepages_reserve(const struct dplb_config *cfg, const char *sysdir,
		      char *msg, size_t len);

#endif /* DPLB_HUGEPAGES_H */
