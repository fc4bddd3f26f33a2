/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * neigh_fsm: the neighbour state machine, as pure functions of the
 * current state, the event and the time, so it is unit-tested alone.
 *
 *   INCOMPLETE --confirm--> REACHABLE --reachable_ms--> STALE (probe)
 *   STALE --retrans_ms--> PROBE (probe again, up to `probes` in all)
 *   INCOMPLETE/STALE/PROBE --no answer after `probes`--> FAILED
 *   FAILED --retrans_ms*probes--> removed; a new packet restarts it
 *   PERMANENT (static) never changes.
 * The MAC is usable in REACHABLE, STALE, PROBE and PERMANENT, so live
 * neighbours are re-validated without ever stalling traffic.
 */
#ifndef DPLB_NEIGH_FSM_H
#define DPLB_NEIGH_FSM_H

#include <stdbool.h>
#include <stdint.h>

enum neigh_state {
	NEIGH_INCOMPLETE,
	NEIGH_REACHABLE,
	NEIGH_STALE,
	NEIGH_PROBE,
	NEIGH_FAILED,
	NEIGH_PERMANENT,
};

/* Actions for the caller, as a bit mask. */
#define NEIGH_ACT_PROBE 0x1	/* send an ARP request */
#define NEIGH_ACT_FLUSH 0x2	/* transmit the queued packets */
#define NEIGH_ACT_DROP 0x4	/* drop the queued packets: unresolved */
#define NEIGH_ACT_REMOVE 0x8	/* delete the entry */

struct neigh_params {
	uint32_t reachable_ms;
	uint32_t retrans_ms;
	uint32_t probes;
	uint32_t queue_len;
};

struct neigh_fsm {
	uint8_t state;		/* enum neigh_state */
	uint8_t probes_sent;
	uint64_t deadline_ms;	/* next timer event; 0 = none */
};

/** A packet needs this neighbour (entry new or FAILED): start resolving. */
unsigned int neigh_fsm_start(struct neigh_fsm *f, const struct neigh_params *p,
			     uint64_t now_ms);
/** An ARP reply or request from the neighbour confirmed its MAC. */
unsigned int neigh_fsm_confirm(struct neigh_fsm *f,
			       const struct neigh_params *p, uint64_t now_ms);
/** Time passed; acts only when the deadline is reached. */
unsigned int neigh_fsm_timer(struct neigh_fsm *f, const struct neigh_params *p,
			     uint64_t now_ms);
/** Make the entry static. */
void neigh_fsm_permanent(struct neigh_fsm *f);

bool neigh_state_has_mac(enum neigh_state s);
const char *neigh_state_name(enum neigh_state s);

#endif /* DPLB_NEIGH_FSM_H */
