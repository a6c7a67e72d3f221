/* SPDX-License-Identifier: MIT */
/*
 * Tasklets: schedule, hi_schedule, disable/enable (sync and nosync), a
 * callback that reschedules itself, and tasklet_kill under load.
 *
 * Checks:
 *  - T9: the callback never overlaps itself (tt_run_enter).
 *  - T3, T20: every schedule is followed by a run that starts after it.
 *    A schedule bumps `seq` first; a run records the largest `seq` it saw
 *    at its start (`max_seen`). A kill (slot drained: no scheduler left)
 *    returns only when the tasklet is idle and its pending schedule has
 *    run, so at that point max_seen == seq, or a schedule was lost.
 *    Schedules dropped by a concurrent kill (T21) cannot happen: the slot
 *    keeps schedulers out while the kill runs.
 *  - T20, T21: after tasklet_kill() returns, no run starts, even of a
 *    callback that reschedules itself (the dead flag).
 */
#include "torture.h"

#include <stdio.h>
#include <stdlib.h>

#define NTASKLETS 8

struct tt_tasklet {
	struct bh_tasklet t;
	struct tt_excl ex;
	unsigned long seq;	/* A: bumped before each schedule */
	unsigned long max_seen; /* A: largest seq a run saw at its start */
	unsigned long resched;	/* A: self-reschedules left */
	int dead;		/* A: set once tasklet_kill() returned */
};

static struct tt_slot slots[NTASKLETS];

static void atomic_max(unsigned long *p, unsigned long v)
{
	unsigned long cur = __atomic_load_n(p, __ATOMIC_RELAXED);
	while (cur < v &&
	       !__atomic_compare_exchange_n(p, &cur, v, true, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED))
		;
}

static void tasklet_cb(struct bh_tasklet *t)
{
	struct tt_tasklet *o = bh_from_tasklet(o, t, t);
	unsigned long left;

	tt_check_not_dead(&o->dead, "tasklet", o);
	tt_run_enter(&o->ex, "tasklet", o);
	/* Acquire: pairs with the seq_cst bump made before the schedule. */
	atomic_max(&o->max_seen, __atomic_load_n(&o->seq, __ATOMIC_ACQUIRE));
	/*
	 * T8, T21: reschedule from inside, outside the slot protocol on
	 * purpose: tasklet_kill() must stop this by itself.
	 */
	left = __atomic_load_n(&o->resched, __ATOMIC_RELAXED);
	if (left &&
	    __atomic_compare_exchange_n(&o->resched, &left, left - 1, false,
					__ATOMIC_RELAXED, __ATOMIC_RELAXED))
		bh_tasklet_schedule(&o->t);
	tt_run_exit(&o->ex);
}

static struct tt_tasklet *tasklet_new(void)
{
	struct tt_tasklet *o = calloc(1, sizeof(*o));

	if (!o) {
		perror("bh-torture: calloc");
		exit(TT_EXIT_VIOLATION);
	}
	bh_tasklet_setup(&o->t, tasklet_cb);
	return o;
}

static int init(void)
{
	for (int i = 0; i < NTASKLETS; i++)
		tt_slot_reopen(&slots[i], tasklet_new());
	return 0;
}

static void schedule(struct tt_tasklet *o, bool hi)
{
	int r;

	__atomic_fetch_add(&o->seq, 1, __ATOMIC_SEQ_CST);
	r = hi ? bh_tasklet_hi_schedule(&o->t) : bh_tasklet_schedule(&o->t);
	if (r < 0)
		tt_violation("tasklet schedule failed", "tasklet %p: %d",
			     (void *)o, r);
}

static void op(uint64_t *rng)
{
	struct tt_slot *s = &slots[tt_below(rng, NTASKLETS)];
	struct tt_tasklet *o = tt_slot_enter(s);
	unsigned r = tt_below(rng, 100);

	if (!o)
		return;
	tt_count_op(TK_TASKLET);
	if (r < 45) {
		schedule(o, false);
	} else if (r < 70) {
		schedule(o, true);
	} else if (r < 82) {
		/* T16, T17: disable waits out a running callback; the
		 * schedule made meanwhile stays pending and runs after the
		 * enable (checked at the kill). */
		tt_op_begin("tasklet_disable");
		bh_tasklet_disable(&o->t);
		schedule(o, r & 1);
		bh_tasklet_enable(&o->t);
		tt_op_end();
	} else if (r < 94) {
		bh_tasklet_disable_nosync(&o->t);
		schedule(o, false);
		bh_tasklet_enable(&o->t);
	} else {
		__atomic_store_n(&o->resched, 3, __ATOMIC_RELAXED);
		schedule(o, false);
	}
	tt_slot_leave(s);
}

static void sig(uint64_t *rng)
{
	struct tt_slot *s = &slots[tt_below(rng, NTASKLETS)];
	struct tt_tasklet *o = tt_slot_enter(s);

	if (!o)
		return;
	tt_count_op(TK_TASKLET);
	schedule(o, tt_below(rng, 2));
	tt_slot_leave(s);
}

/* Kill the tasklet in slot s and check it; reopen with a fresh one. */
static void kill_slot(struct tt_slot *s, bool reopen)
{
	struct tt_tasklet *o;

	tt_op_begin("tasklet_kill");
	tt_slot_drain(s);
	o = __atomic_load_n(&s->obj, __ATOMIC_ACQUIRE);
	bh_tasklet_kill(&o->t);
	__atomic_store_n(&o->dead, 1, __ATOMIC_RELEASE);
	tt_checked(2);
	if (__atomic_load_n(&o->max_seen, __ATOMIC_ACQUIRE) !=
	    __atomic_load_n(&o->seq, __ATOMIC_RELAXED))
		tt_violation("lost execution (SPEC T3/T20)",
			     "tasklet %p: schedule #%lu never ran; "
			     "last run saw #%lu",
			     (void *)o, o->seq, o->max_seen);
	if (bh_tasklet_is_scheduled(&o->t) || bh_tasklet_is_running(&o->t))
		tt_violation("tasklet_kill returned too early (SPEC T20)",
			     "tasklet %p still scheduled or running",
			     (void *)o);
	if (reopen)
		tt_slot_reopen(s, tasklet_new());
	tt_grave_put(o);
	tt_count_op(TK_KILL);
	tt_op_end();
}

static void kill_one(uint64_t *rng)
{
	kill_slot(&slots[tt_below(rng, NTASKLETS)], true);
}

static void fini(void)
{
	for (int i = 0; i < NTASKLETS; i++)
		kill_slot(&slots[i], false);
}

const struct tt_torturer tt_tasklets = {
	.name = "tasklets",
	.init = init,
	.op = op,
	.sig = sig,
	.kill_one = kill_one,
	.fini = fini,
};
