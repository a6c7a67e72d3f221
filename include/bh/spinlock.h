/* SPDX-License-Identifier: MIT */
/*
 * Spinlocks with the kernel's context rules.
 *
 * Taking a lock raises the PREEMPT count (so might_sleep() inside it
 * splats, as in the kernel); the _bh variants also disable bottom halves,
 * the _irq/_irqsave variants also turn interrupts off for the thread (no
 * system call, SPEC U4). Under contention a waiter spins briefly, then
 * sleeps on a futex: a user-space lock holder can be preempted, and spinning
 * on a 2-core machine would then burn the holder's time slice.
 *
 * Taking a lock this thread already holds (the deadlock a top half makes
 * when it interrupts its own thread inside spin_lock without _irqsave)
 * is reported as "BUG: spinlock recursion" with a backtrace instead of
 * hanging silently; the call then blocks as the kernel's would.
 * Locking and unlocking are async-signal-safe.
 */
#ifndef BH_SPINLOCK_H
#define BH_SPINLOCK_H

#include <stdbool.h>

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
	unsigned int lock; /* 0 free, 1 held, 2 held with sleepers */
	int owner;	   /* tid of the holder, for recursion reports */
} bh_spinlock_t;

#define BH_SPINLOCK_INIT                                                       \
	{                                                                      \
		0, 0                                                           \
	}
#define BH_DEFINE_SPINLOCK(name) bh_spinlock_t name = BH_SPINLOCK_INIT

BH_API void bh_spin_lock_init(bh_spinlock_t *l);
BH_API void bh_spin_lock(bh_spinlock_t *l);
BH_API bool bh_spin_trylock(bh_spinlock_t *l);
BH_API void bh_spin_unlock(bh_spinlock_t *l);
BH_API bool bh_spin_is_locked(bh_spinlock_t *l);

BH_API void bh_spin_lock_bh(bh_spinlock_t *l);
BH_API void bh_spin_unlock_bh(bh_spinlock_t *l);
BH_API void bh_spin_lock_irq(bh_spinlock_t *l);
BH_API void bh_spin_unlock_irq(bh_spinlock_t *l);
BH_API unsigned long bh_spin_lock_irqsave(bh_spinlock_t *l);
BH_API void bh_spin_unlock_irqrestore(bh_spinlock_t *l, unsigned long flags);

#ifdef __cplusplus
}
#endif

#endif
