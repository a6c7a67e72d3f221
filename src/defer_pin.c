// SPDX-License-Identifier: MIT
/*
 * Objects that a signal handler's deferred change still refers to.
 *
 * A handler that interrupts its own thread inside a timer-base section
 * cannot change the wheel itself: it records the change on its thread,
 * which applies it as it leaves the section (timer.c). The handler's call
 * has returned by then, so another thread may meanwhile delete the timer
 * (or cancel the delayed work item it belongs to) with a _sync call, be
 * told it is idle, and free it: the interrupted thread would then apply
 * the change to freed memory. In the kernel the interrupt could not have
 * come, irqs being off in that window.
 *
 * So a deferral pins its timer until it is applied, and the calls after
 * which the caller may free it (timer_delete_sync(), timer_shutdown_sync(),
 * cancel/disable_delayed_work_sync()) wait until no other thread holds a
 * pin on it. A timer section always ends, and applies its deferrals,
 * before the thread leaves the library, so a pin never outlives its
 * call. (A handler's mod_delayed_work() deferred in work_defer.c is not
 * pinned: such a record can stay until the thread's next call.) The pins are
 * counters in a small table hashed by address, not a field of the object
 * (struct bh_timer keeps the kernel's 40 bytes): objects that share a counter
 * only wait for each other's deferrals, which last as long as the interrupted
 * thread's short section.
 *
 * Each thread also counts its own pins per counter, and a wait does not
 * count those: a handler that waits while its own thread holds a pin
 * (which that thread cannot apply until the handler returns) would wait
 * for ever. A pin counts itself as the thread's own first, so that a wait
 * never sees a pin of this thread that it does not discount (it may, in
 * a nested handler, discount one not yet in the table, which a deadlock
 * would be the price of not doing).
 *
 * SEQ_CST on the table: a pin is taken before the handler changes the
 * object's state word, and a _sync call reads the table after its own
 * RMW on that word, so if the handler's change came first, the waiter
 * sees its pin.
 *
 * Every delayed arm pins its timer (delayed_work.c: arm_owned()), so pin
 * and unpin are on that path: each counter has a cache line of its own
 * (arms on different threads do not share one), and an unpin makes the
 * futex wake only when a _sync call waits on that counter. Dekker, all
 * SEQ_CST: the waiter counts itself in `waiters` and then reads `n`; the
 * unpinner lowers `n` and then reads `waiters`; so either the unpinner
 * sees the waiter and wakes it, or the waiter sees the new `n` and does
 * not sleep on the old one (the futex compares it again).
 */
#include <limits.h>

#include "internal.h"

static struct {
	uint32_t n;	  /* A: pins held */
	uint32_t waiters; /* A: threads in bh__defer_wait() on it */
} __attribute__((aligned(BH__CACHELINE))) pins[BH__DEFER_PINS];

static unsigned int pin_index(const void *obj)
{
	uintptr_t x = (uintptr_t)obj >> 4;
	x ^= x >> 9;
	x ^= x >> 19;
	return (unsigned int)(x % BH__DEFER_PINS);
}

void bh__defer_pin(const void *obj)
{
	unsigned int i = pin_index(obj);
	/* Relaxed: only this thread (and its handlers) touch its counts,
	 * and a handler runs between instructions. */
	__atomic_fetch_add(&bh__self.defer_pins[i], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&pins[i].n, 1, __ATOMIC_SEQ_CST);
}

void bh__defer_unpin(const void *obj)
{
	unsigned int i = pin_index(obj);
	/* The caller is done with obj: from here it may be freed. */
	__atomic_fetch_sub(&pins[i].n, 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_sub(&bh__self.defer_pins[i], 1, __ATOMIC_RELAXED);
	if (__atomic_load_n(&pins[i].waiters, __ATOMIC_SEQ_CST))
		bh__futex_wake(&pins[i].n, INT_MAX);
}

void bh__defer_wait(const void *obj)
{
	unsigned int i = pin_index(obj);
	__atomic_fetch_add(&pins[i].waiters, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		uint32_t v = __atomic_load_n(&pins[i].n, __ATOMIC_SEQ_CST);
		/* Relaxed: see bh__defer_pin(). */
		if (v <=
		    __atomic_load_n(&bh__self.defer_pins[i], __ATOMIC_RELAXED))
			break;
		bh__futex_wait(&pins[i].n, v, -1);
	}
	__atomic_fetch_sub(&pins[i].waiters, 1, __ATOMIC_RELAXED);
}

void bh__defer_reset(void)
{
	/* bh_init(): a fork child's table holds the pins of the parent's
	 * other threads, which will never apply them here. */
	for (unsigned int i = 0; i < BH__DEFER_PINS; i++) {
		__atomic_store_n(&pins[i].n, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&pins[i].waiters, 0, __ATOMIC_RELAXED);
		bh__self.defer_pins[i] = 0;
	}
}
