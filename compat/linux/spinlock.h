/* SPDX-License-Identifier: MIT */
/*
 * <linux/spinlock.h>: spinlock_t and its lock/unlock family.
 *
 * Holding a lock raises the preempt count (might_sleep() inside splats);
 * the _bh forms also disable bottom halves, the _irq/_irqsave forms also
 * turn the thread's interrupts off (no system call, SPEC U4). A contended
 * lock spins briefly and then sleeps on a futex, since a user-space holder
 * can be preempted. Relocking a lock this thread holds is reported as
 * "BUG: spinlock recursion" rather than hanging silently.
 *
 * spin_lock_irqsave() is a macro because the kernel's assigns `flags`,
 * which must be an unsigned long.
 */
#ifndef BH_COMPAT_LINUX_SPINLOCK_H
#define BH_COMPAT_LINUX_SPINLOCK_H

#include <bh/spinlock.h>

#include <linux/bottom_half.h>
#include <linux/bug.h>
#include <linux/compiler.h>
#include <linux/irqflags.h>
#include <linux/preempt.h>
#include <linux/typecheck.h>
#include <linux/types.h>

typedef bh_spinlock_t spinlock_t;

/* For struct initialisers: `.lock = __SPIN_LOCK_UNLOCKED(x.lock)`. */
#define __SPIN_LOCK_UNLOCKED(lockname) ((spinlock_t)BH_SPINLOCK_INIT)
/* The 2.6-era static initialiser (removed in 2.6.39). */
#define SPIN_LOCK_UNLOCKED __SPIN_LOCK_UNLOCKED(old_style_spin_init)
#define DEFINE_SPINLOCK(x) spinlock_t x = BH_SPINLOCK_INIT

static inline void spin_lock_init(spinlock_t *lock)
{
	bh_spin_lock_init(lock);
}

static inline void spin_lock(spinlock_t *lock)
{
	bh_spin_lock(lock);
}

static inline int spin_trylock(spinlock_t *lock)
{
	return bh_spin_trylock(lock);
}

static inline void spin_unlock(spinlock_t *lock)
{
	bh_spin_unlock(lock);
}

static inline void spin_lock_bh(spinlock_t *lock)
{
	bh_spin_lock_bh(lock);
}

static inline void spin_unlock_bh(spinlock_t *lock)
{
	bh_spin_unlock_bh(lock);
}

static inline void spin_lock_irq(spinlock_t *lock)
{
	bh_spin_lock_irq(lock);
}

static inline void spin_unlock_irq(spinlock_t *lock)
{
	bh_spin_unlock_irq(lock);
}

#define spin_lock_irqsave(lock, flags)                                         \
	do {                                                                   \
		(void)typecheck(unsigned long, flags);                         \
		(flags) = bh_spin_lock_irqsave(lock);                          \
	} while (0)

static inline void spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags)
{
	bh_spin_unlock_irqrestore(lock, flags);
}

/* Advisory: true if any thread holds the lock. */
static inline int spin_is_locked(spinlock_t *lock)
{
	return bh_spin_is_locked(lock);
}

/* As the kernel's without lockdep: a BUG if nobody holds the lock. */
#define assert_spin_locked(lock) BUG_ON(!spin_is_locked(lock))

#endif
