/* SPDX-License-Identifier: MIT */
/*
 * Timers: mod_timer (arm or move), timer_delete, timer_delete_sync, a
 * callback that re-arms itself, and timer_delete_sync under load as the
 * kill.
 *
 * The exact count, per timer (SPEC K5, K7): it goes from idle to pending
 * only by a mod_timer that returns 0, and back only by firing (a run) or a
 * timer_delete[_sync] that returns 1. At rest:
 *     armed-from-idle == runs + deletes that returned 1.
 * A timer that never fires shows as a missing run. After a kill
 * (timer_delete_sync with the slot closed, so nothing re-arms it, as K6
 * requires) no run may start: the dead flag.
 */
#include "torture.h"

#include <stdio.h>
#include <stdlib.h>

#define NTIMERS 8

struct tt_timer {
	struct bh_timer t;
	struct tt_excl ex;
	struct tt_slot *slot;
	unsigned long from_idle, taken, runs; /* A */
	unsigned long rearm;		      /* A: self re-arms left */
	int dead;			      /* A */
};

static struct tt_slot slots[NTIMERS];

static void count(int r, struct tt_timer *o)
{
	if (r == 0)
		__atomic_fetch_add(&o->from_idle, 1, __ATOMIC_RELAXED);
	else if (r < 0)
		tt_violation("mod_timer failed", "timer %p: %d", (void *)o, r);
}

static void arm(struct tt_timer *o, unsigned long d)
{
	count(bh_mod_timer(&o->t, bh_jiffies() + d), o);
}

static void timer_cb(struct bh_timer *t)
{
	struct tt_timer *o = bh_from_timer(o, t, t);
	unsigned long left;

	tt_check_not_dead(&o->dead, "timer", o);
	tt_run_enter(&o->ex, "timer", o);
	__atomic_fetch_add(&o->runs, 1, __ATOMIC_RELAXED);
	left = __atomic_load_n(&o->rearm, __ATOMIC_RELAXED);
	if (left &&
	    __atomic_compare_exchange_n(&o->rearm, &left, left - 1, false,
					__ATOMIC_RELAXED, __ATOMIC_RELAXED) &&
	    tt_slot_enter(o->slot)) {
		arm(o, 1);
		tt_slot_leave(o->slot);
	}
	tt_run_exit(&o->ex);
}

static struct tt_timer *timer_new(struct tt_slot *s)
{
	struct tt_timer *o = calloc(1, sizeof(*o));

	if (!o) {
		perror("bh-torture: calloc");
		exit(TT_EXIT_VIOLATION);
	}
	bh_timer_setup(&o->t, timer_cb, 0);
	o->slot = s;
	return o;
}

static int init(void)
{
	for (int i = 0; i < NTIMERS; i++)
		tt_slot_reopen(&slots[i], timer_new(&slots[i]));
	return 0;
}

static void op_async(struct tt_timer *o, uint64_t *rng)
{
	if (tt_below(rng, 4))
		arm(o, tt_below(rng, 4));
	else if (bh_timer_delete(&o->t) == 1)
		__atomic_fetch_add(&o->taken, 1, __ATOMIC_RELAXED);
}

static void op(uint64_t *rng)
{
	struct tt_slot *s = &slots[tt_below(rng, NTIMERS)];
	struct tt_timer *o = tt_slot_enter(s);
	unsigned r = tt_below(rng, 100);

	if (!o)
		return;
	tt_count_op(TK_TIMER);
	if (r < 10) {
		tt_op_begin("timer_delete_sync");
		if (bh_timer_delete_sync(&o->t) == 1)
			__atomic_fetch_add(&o->taken, 1, __ATOMIC_RELAXED);
		tt_op_end();
	} else if (r < 15) {
		__atomic_store_n(&o->rearm, 2, __ATOMIC_RELAXED);
		arm(o, 1);
	} else {
		op_async(o, rng);
	}
	tt_slot_leave(s);
}

static void sig(uint64_t *rng)
{
	struct tt_slot *s = &slots[tt_below(rng, NTIMERS)];
	struct tt_timer *o = tt_slot_enter(s);

	if (!o)
		return;
	tt_count_op(TK_TIMER);
	op_async(o, rng);
	tt_slot_leave_deferred(s);
}

static void kill_slot(struct tt_slot *s, bool reopen, bool wait_fire)
{
	struct tt_timer *o;
	unsigned long q, r, t;

	tt_op_begin("timer kill");
	tt_slot_drain(s);
	o = __atomic_load_n(&s->obj, __ATOMIC_ACQUIRE);
	if (wait_fire) {
		/* K2: an armed timer fires; one that never does is a stall
		 * the watchdog reports. */
		tt_op_begin("waiting for a timer to fire (SPEC K2)");
		while (bh_timer_pending(&o->t))
			tt_pause_us(200);
		tt_op_begin("timer kill");
	}
	if (bh_timer_delete_sync(&o->t) == 1)
		__atomic_fetch_add(&o->taken, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&o->dead, 1, __ATOMIC_RELEASE);
	q = __atomic_load_n(&o->from_idle, __ATOMIC_ACQUIRE);
	r = __atomic_load_n(&o->runs, __ATOMIC_ACQUIRE);
	t = __atomic_load_n(&o->taken, __ATOMIC_ACQUIRE);
	tt_checked(2);
	if (bh_timer_pending(&o->t))
		tt_violation("timer pending after timer_delete_sync (SPEC K6)",
			     "timer %p", (void *)o);
	if (q != r + t)
		tt_violation(q > r + t ? "lost timer expiry (SPEC K2, K5)"
				       : "timer fired or deleted too often "
					 "(SPEC K5, K7)",
			     "timer %p: %lu armed from idle, but %lu runs + "
			     "%lu deleted",
			     (void *)o, q, r, t);
	if (reopen)
		tt_slot_reopen(s, timer_new(s));
	tt_grave_put(o);
	tt_count_op(TK_KILL);
	tt_op_end();
}

static void kill_one(uint64_t *rng)
{
	kill_slot(&slots[tt_below(rng, NTIMERS)], true, tt_below(rng, 2));
}

static void fini(void)
{
	for (int i = 0; i < NTIMERS; i++)
		kill_slot(&slots[i], false, true);
}

const struct tt_torturer tt_timers = {
	.name = "timers",
	.init = init,
	.op = op,
	.sig = sig,
	.kill_one = kill_one,
	.fini = fini,
};
