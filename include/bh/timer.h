/* SPDX-License-Identifier: MIT */
/*
 * Kernel timers (SPEC K1-K10): callbacks that run in TIMER_SOFTIRQ on the
 * bh CPU whose timer base holds them, at the first jiffy >= expires.
 *
 * Each bh CPU has a hierarchical timing wheel like the kernel's: 64
 * buckets per level, 9 levels (8 when HZ <= 100), level n in steps of 8^n
 * jiffies, no cascading. Arming and deleting cost O(1) whatever the number
 * of timers. A timer never fires early; for delays of 64 jiffies or more it
 * fires at most about 1/8 of the delay late (K3).
 *
 * There is no periodic tick: ksoftirqd/N sleeps until the earliest
 * non-deferrable expiry of its base. A TIMER_DEFERRABLE timer never wakes
 * it: it runs when the CPU is awake anyway (K8). In deterministic mode
 * bh_advance_jiffies() raises TIMER_SOFTIRQ on every bh CPU that has a
 * non-deferrable timer due, and the test runs the softirqs.
 *
 * Contexts. setup, add, mod, reduce, delete, pending and shutdown are
 * callable from any context, signal handlers included (SPEC U1), and never
 * allocate. The base lock is taken with interrupts off for the thread, as
 * the kernel's spin_lock_irqsave(); a signal handler that interrupts its
 * own thread inside that section still gets exact return values, and its
 * change reaches the wheel when the interrupted section ends. delete_sync
 * and shutdown_sync may wait for a running callback (K6): from any context
 * but hardirq, where only a TIMER_IRQSAFE timer may be waited for.
 *
 * Errors: -EINVAL for a NULL or never set-up timer or a bad cpu, -ENXIO
 * before bh_init()/after bh_shutdown(), -ECHILD in a fork child, -EDEADLK
 * for delete_sync from the timer's own callback. Each also warns.
 */
#ifndef BH_TIMER_H
#define BH_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler.h"
#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The kernel's flag values; the low 18 bits hold the base's CPU. */
#define BH_TIMER_CPUMASK    0x0003FFFFu
#define BH_TIMER_DEFERRABLE 0x00080000u
#define BH_TIMER_PINNED	    0x00100000u
#define BH_TIMER_IRQSAFE    0x00200000u
#define BH_TIMER_INIT_FLAGS                                                    \
	(BH_TIMER_DEFERRABLE | BH_TIMER_PINNED | BH_TIMER_IRQSAFE)

#define BH_TIMER_MAGIC 0x71e5

struct bh_timer {
	struct bh_timer *next;	 /* bucket list, under the base lock */
	struct bh_timer **pprev; /* NULL while not in a wheel */
	unsigned long expires;	 /* jiffies */
	void (*function)(struct bh_timer *t);
	uint32_t flags;	   /* BH_TIMER_* | cpu */
	uint16_t bh_state; /* private, atomic: pending, shutdown */
	uint16_t bh_magic; /* BH_TIMER_MAGIC once set up */
};

/* The same 40 bytes as the kernel's struct timer_list on LP64. */
BH_STATIC_ASSERT(sizeof(void *) != 8 || sizeof(struct bh_timer) == 40,
		 "struct bh_timer must match the kernel's timer_list size");

#define BH_TIMER_INITIALIZER(fn, fl)                                           \
	{                                                                      \
		.function = (fn), .flags = (fl), .bh_magic = BH_TIMER_MAGIC,   \
	}
#define BH_DEFINE_TIMER(name, fn)                                              \
	struct bh_timer name = BH_TIMER_INITIALIZER(fn, 0)

/* The object that embeds timer `t` as `field`, typed like `var`. */
#define bh_from_timer(var, t, field) bh_container_of(t, __typeof__(*var), field)

/*
 * Set the callback and flags of an idle timer. Warns if it is pending (and
 * deletes it first) and if `flags` has bits other than BH_TIMER_INIT_FLAGS
 * (they are ignored).
 */
BH_API void bh_timer_setup(struct bh_timer *t, void (*fn)(struct bh_timer *t),
			   unsigned int flags);

/*
 * K7: (re)arm for `expires`, earlier or later, on this context's bh CPU:
 * like the kernel's, mod_timer() and add_timer() always use the local CPU,
 * for a pending or TIMER_PINNED timer too (only add_timer_on() picks one),
 * except that a timer whose callback is running stays on its base.
 * Returns 1 if the timer was pending, 0 if not (also when shut down: the
 * arm is then ignored), or a negative errno.
 */
BH_API int bh_mod_timer(struct bh_timer *t, unsigned long expires);
/* Arm an idle timer (t->expires); warns and re-arms if it was pending. */
BH_API int bh_add_timer(struct bh_timer *t);
/* K9: arm on `cpu` and pin it there. */
BH_API int bh_add_timer_on(struct bh_timer *t, int cpu);
/* Like mod_timer, but a pending timer only ever moves earlier. */
BH_API int bh_timer_reduce(struct bh_timer *t, unsigned long expires);

/* K5: 1 if a pending timer was removed, 0 if it was not pending. Does not
 * wait for a running callback. */
BH_API int bh_timer_delete(struct bh_timer *t);
/*
 * K6: as bh_timer_delete(), then wait until the callback is not running on
 * any CPU. Allowed in softirq context and bh-disabled sections, as the
 * kernel's (which busy-waits there). From the timer's own callback it warns
 * and returns -EDEADLK; from hardirq context it warns unless the timer is
 * IRQSAFE.
 */
BH_API int bh_timer_delete_sync(struct bh_timer *t);
/* K10: delete, and make every later arm silently do nothing. */
BH_API int bh_timer_shutdown(struct bh_timer *t);
BH_API int bh_timer_shutdown_sync(struct bh_timer *t);

BH_API bool bh_timer_pending(const struct bh_timer *t);

#ifdef __cplusplus
}
#endif

#endif
