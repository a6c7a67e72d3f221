/* SPDX-License-Identifier: MIT */
/*
 * Slots: how an object is killed (tasklet_kill, cancel_*_sync,
 * timer_delete_sync, destroy_workqueue) while threads and signal handlers
 * keep hammering it, and still checked exactly.
 *
 * The guarantees under test hold only for requests made before the kill:
 * cancel_work_sync() promises nothing about a queue_work() that races
 * with it (SPEC C10), tasklet_kill() may drop a concurrent schedule (T21).
 * So the killer first closes the slot: it sets `dying`, and waits until no
 * caller is inside (`users` back to 0). An entrant increments `users`,
 * then reads `dying`, and backs off if it is set. Both sides use seq_cst
 * (a store then a load on each side: the Dekker pattern), so either the
 * killer sees the entrant's count or the entrant sees `dying`; never
 * neither. Once drained, nothing but the object's own callbacks can touch
 * it, and what the kill call returns is the whole truth about it.
 *
 * Entrants never wait, so a signal handler may enter (it is the storm's
 * way in). Only the killer waits, and it is never a handler.
 */
#include "torture.h"

#include <sched.h>
#include <stdlib.h>

void *tt_slot_enter(struct tt_slot *s)
{
	__atomic_fetch_add(&s->users, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&s->dying, __ATOMIC_SEQ_CST)) {
		__atomic_fetch_sub(&s->users, 1, __ATOMIC_RELEASE);
		return NULL;
	}
	/* Published by tt_slot_reopen() before it cleared dying. */
	return __atomic_load_n(&s->obj, __ATOMIC_ACQUIRE);
}

void tt_slot_leave(struct tt_slot *s)
{
	/* Release: the killer's acquire of 0 sees everything done inside. */
	__atomic_fetch_sub(&s->users, 1, __ATOMIC_RELEASE);
}

/*
 * A signal handler's call may not be over when it returns. The library
 * lets a handler that interrupts its own thread inside a timer-base
 * section change the timer's state word and leaves the wheel update to
 * the thread, applied as it leaves the section (docs/INTERNALS.md, "Signal
 * handlers"); that deferred update still points at the timer (a delayed
 * work item's included). If a handler left its slot at once, a killer
 * could cancel and free the object while that update is outstanding. For
 * a timer's the library's _sync calls now wait (src/defer_pin.c; it was a
 * use-after-free the torture found); a handler's mod_delayed_work()
 * deferred past the interrupted call is still open (docs/RELIABILITY.md,
 * "Findings"). So by default the slot stays held until its thread is back
 * at a point where it is inside no library call
 * (tt_release_handler_holds(): the top of the worker loop, the killer's
 * waits); --release-handler-slots lets go at once, to test that.
 *
 * The holds are a per-thread stack that only the thread and its own
 * handler touch: the handler pushes at lazy_n (it runs to the end before
 * the thread resumes); the thread pops with a CAS on lazy_n, so a push
 * that lands between its read and its CAS makes the CAS fail.
 */
void tt_slot_leave_deferred(struct tt_slot *s)
{
	struct tt_thread *me = tt_self;
	unsigned n;

	if (!me || !tt_opts.hold_handler_slots) {
		tt_slot_leave(s);
		return;
	}
	n = __atomic_load_n(&me->held_n, __ATOMIC_RELAXED);
	if (n >= TT_HELD_MAX) {
		tt_slot_leave(s);
		return;
	}
	me->held[n] = s;
	__atomic_store_n(&me->held_n, n + 1, __ATOMIC_RELEASE);
}

void tt_release_handler_holds(void)
{
	struct tt_thread *me = tt_self;
	unsigned n;

	if (!me)
		return;
	while ((n = __atomic_load_n(&me->held_n, __ATOMIC_ACQUIRE)) != 0) {
		struct tt_slot *s = me->held[n - 1];

		if (__atomic_compare_exchange_n(&me->held_n, &n, n - 1, false,
						__ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			tt_slot_leave(s);
	}
}

/* Returns with the slot closed and empty; another killer that races for
 * the same slot is excluded by the dying exchange. While it waits it lets
 * go of its own handlers' holds, which other killers may be waiting for. */
void tt_slot_drain(struct tt_slot *s)
{
	while (__atomic_exchange_n(&s->dying, 1, __ATOMIC_SEQ_CST)) {
		tt_release_handler_holds();
		sched_yield(); /* another killer has it */
	}
	while (__atomic_load_n(&s->users, __ATOMIC_SEQ_CST) != 0) {
		tt_release_handler_holds();
		sched_yield();
	}
}

void tt_slot_reopen(struct tt_slot *s, void *obj)
{
	__atomic_store_n(&s->obj, obj, __ATOMIC_RELEASE);
	__atomic_store_n(&s->dying, 0, __ATOMIC_SEQ_CST);
}

/*
 * The graveyard: the last GRAVES killed objects, freed in FIFO order.
 * Under ASan an object is freed at once instead: a late run is then a
 * heap-use-after-free that ASan reports with both stacks, which says more
 * than the dead flag.
 */
#if defined(__SANITIZE_ADDRESS__)
#define GRAVES 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GRAVES 1
#endif
#endif
#ifndef GRAVES
#define GRAVES 64
#endif
static void *graves[GRAVES];
static unsigned grave_next;
static pthread_mutex_t grave_lock = PTHREAD_MUTEX_INITIALIZER;

void tt_grave_put(void *obj)
{
	void *old;

	pthread_mutex_lock(&grave_lock);
	old = graves[grave_next];
	graves[grave_next] = obj;
	grave_next = (grave_next + 1) % GRAVES;
	pthread_mutex_unlock(&grave_lock);
	free(old);
}

void tt_grave_flush(void)
{
	pthread_mutex_lock(&grave_lock);
	for (int i = 0; i < GRAVES; i++) {
		free(graves[i]);
		graves[i] = NULL;
	}
	pthread_mutex_unlock(&grave_lock);
}
