/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A dest's connections over all workers, as ipvsadm shows them
 * (lb_dest_conns()), one count at a time for assertions. */
#ifndef DPLB_TEST_DEST_COUNTS_H
#define DPLB_TEST_DEST_COUNTS_H

#include <stdint.h>

#include "lb/lb_svc.h"

static inline uint32_t
dest_active(const struct lb_dest *d)
{
	uint32_t active, inactive;

	lb_dest_conns(d, &active, &inactive);
	return active;
}

static inline uint32_t
dest_inactive(const struct lb_dest *d)
{
	uint32_t active, inactive;

	lb_dest_conns(d, &active, &inactive);
	return inactive;
}

#endif
