/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "net/neigh.h"

unsigned int
neigh_fsm_start(struct neigh_fsm *f, const struct neigh_params *p,
		uint64_t now_ms)
{
	if (f->state == NEIGH_PERMANENT)
		return 0;
	f->state = NEIGH_INCOMPLETE;
	f->probes_sent = 1;
	f->deadline_ms = now_ms + p->retrans_ms;
	return NEIGH_ACT_PROBE;
}

unsigned int
neigh_fsm_confirm(struct neigh_fsm *f, const struct neigh_params *p,
		  uint64_t now_ms)
{
	if (f->state == NEIGH_PERMANENT)
		return 0;
	f->state = NEIGH_REACHABLE;
	f->probes_sent = 0;
	f->deadline_ms = now_ms + p->reachable_ms;
	return NEIGH_ACT_FLUSH;
}

/* Probing ran out of answers. */
static unsigned int
fsm_fail(struct neigh_fsm *f, const struct neigh_params *p, uint64_t now_ms)
{
	f->state = NEIGH_FAILED;
	f->deadline_ms = now_ms + (uint64_t)p->retrans_ms * p->probes;
	return NEIGH_ACT_DROP;
}

static unsigned int
fsm_probe_again(struct neigh_fsm *f, const struct neigh_params *p,
		uint64_t now_ms)
{
	if (f->probes_sent >= p->probes)
		return fsm_fail(f, p, now_ms);
	f->probes_sent++;
	f->deadline_ms = now_ms + p->retrans_ms;
	if (f->state == NEIGH_STALE)
		f->state = NEIGH_PROBE;
	return NEIGH_ACT_PROBE;
}

unsigned int
neigh_fsm_timer(struct neigh_fsm *f, const struct neigh_params *p,
		uint64_t now_ms)
{
	if (f->deadline_ms == 0 || now_ms < f->deadline_ms)
		return 0;
	switch (f->state) {
	case NEIGH_REACHABLE:
		f->state = NEIGH_STALE;
		f->probes_sent = 1;
		f->deadline_ms = now_ms + p->retrans_ms;
		return NEIGH_ACT_PROBE;
	case NEIGH_INCOMPLETE:
	case NEIGH_STALE:
	case NEIGH_PROBE:
		return fsm_probe_again(f, p, now_ms);
	case NEIGH_FAILED:
		f->deadline_ms = 0;
		return NEIGH_ACT_REMOVE;
	default:
		return 0;
	}
}

void
neigh_fsm_permanent(struct neigh_fsm *f)
{
	f->state = NEIGH_PERMANENT;
	f->probes_sent = 0;
	f->deadline_ms = 0;
}

bool
neigh_state_has_mac(enum neigh_state s)
{
	return s == NEIGH_REACHABLE || s == NEIGH_STALE || s == NEIGH_PROBE ||
	       s == NEIGH_PERMANENT;
}

const char *
neigh_state_name(enum neigh_state s)
{
	static const char *const names[] = {
		[NEIGH_INCOMPLETE] = "incomplete", [NEIGH_REACHABLE] = "reachable",
		[NEIGH_STALE] = "stale",	   [NEIGH_PROBE] = "probe",
		[NEIGH_FAILED] = "failed",	   [NEIGH_PERMANENT] = "permanent",
	};

	return s <= NEIGH_PERMANENT ? names[s] : "?";
}
