// SPDX-License-Identifier: MIT
/*
 * Spinlocks that follow the kernel's context rules (preempt count, bh and
 * irq variants) and sleep on a futex under long contention.
 *
 * The lock word: 0 free, 1 held, 2 held and someone may sleep on it. The
 * classic three-state futex lock: an unlock that finds 2 must wake.
 */
#include <limits.h>

#include "internal.h"

/* Spins before sleeping: about a microsecond of PAUSEs, longer than most
 * bottom-half critical sections, shorter than a context switch. */
#define BH__SPIN_LIMIT 200

void bh_spin_lock_init(bh_spinlock_t *l)
{
	__atomic_store_n(&l->lock, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&l->owner, 0, __ATOMIC_RELAXED);
}

static bool try_acquire(bh_spinlock_t *l)
{
	unsigned int expect = 0;
	/* Acquire: the critical section sees the previous holder's stores. */
	return __atomic_compare_exchange_n(&l->lock, &expect, 1, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static void acquire_slow(bh_spinlock_t *l)
{
	int tid = bh__gettid();
	if (__atomic_load_n(&l->owner, __ATOMIC_RELAXED) == tid) {
		bh__bug(__FILE__, __LINE__, __func__,
			"spinlock recursion on CPU#%d, %d: lock %p is already "
			"held by this thread (a top half or bottom half "
			"interrupting its holder? use the _irqsave/_bh "
			"variants)",
			bh__this_cpu(), tid, (void *)l);
	}
	for (unsigned int i = 0; i < BH__SPIN_LIMIT; i++) {
		if (__atomic_load_n(&l->lock, __ATOMIC_RELAXED) == 0 &&
		    try_acquire(l))
			return;
		bh__cpu_relax();
	}
	/* Mark contended, then sleep while it stays held. */
	while (__atomic_exchange_n(&l->lock, 2, __ATOMIC_ACQUIRE) != 0)
		bh__futex_wait(&l->lock, 2, -1);
}

static void acquire(bh_spinlock_t *l)
{
	if (bh_unlikely(!try_acquire(l)))
		acquire_slow(l);
	__atomic_store_n(&l->owner, bh__gettid(), __ATOMIC_RELAXED);
}

static void release(bh_spinlock_t *l)
{
	__atomic_store_n(&l->owner, 0, __ATOMIC_RELAXED);
	/* Release: pairs with the next holder's acquire. */
	if (__atomic_exchange_n(&l->lock, 0, __ATOMIC_RELEASE) == 2)
		bh__futex_wake(&l->lock, 1);
}

void bh_spin_lock(bh_spinlock_t *l)
{
	bh__atomic_enter(BH_PREEMPT_OFFSET);
	acquire(l);
}

bool bh_spin_trylock(bh_spinlock_t *l)
{
	bh__atomic_enter(BH_PREEMPT_OFFSET);
	if (try_acquire(l)) {
		__atomic_store_n(&l->owner, bh__gettid(), __ATOMIC_RELAXED);
		return true;
	}
	bh__atomic_exit(BH_PREEMPT_OFFSET);
	return false;
}

void bh_spin_unlock(bh_spinlock_t *l)
{
	release(l);
	bh__atomic_exit(BH_PREEMPT_OFFSET);
}

bool bh_spin_is_locked(bh_spinlock_t *l)
{
	return __atomic_load_n(&l->lock, __ATOMIC_RELAXED) != 0;
}

void bh_spin_lock_bh(bh_spinlock_t *l)
{
	bh_local_bh_disable();
	bh_spin_lock(l);
}

void bh_spin_unlock_bh(bh_spinlock_t *l)
{
	bh_spin_unlock(l);
	bh_local_bh_enable();
}

void bh_spin_lock_irq(bh_spinlock_t *l)
{
	bh_local_irq_disable();
	bh_spin_lock(l);
}

void bh_spin_unlock_irq(bh_spinlock_t *l)
{
	bh_spin_unlock(l);
	bh_local_irq_enable();
}

unsigned long bh_spin_lock_irqsave(bh_spinlock_t *l)
{
	unsigned long flags = bh_local_irq_save();
	bh_spin_lock(l);
	return flags;
}

void bh_spin_unlock_irqrestore(bh_spinlock_t *l, unsigned long flags)
{
	bh_spin_unlock(l);
	bh_local_irq_restore(flags);
}
