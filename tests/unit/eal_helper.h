/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Start a minimal EAL for unit tests that need DPDK memory. */
#ifndef DPLB_TEST_EAL_HELPER_H
#define DPLB_TEST_EAL_HELPER_H

#include <rte_eal.h>

static inline int
test_eal_init(void)
{
	char *argv[] = { "unit", "--no-huge", "--no-shconf", "-m", "256",
			 "--no-pci", "-l", "0", "--log-level=3", NULL };

	return rte_eal_init(9, argv) < 0 ? -1 : 0;
}

#endif
