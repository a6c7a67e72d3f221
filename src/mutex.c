// SPDX-License-Identifier: MIT
/*
 * Mutexes: the three-state futex lock (0 free, 1 held, 2 held and someone
 * may sleep), with the owner recorded for the debug reports the kernel's
 * CONFIG_DEBUG_MUTEXES and lockdep give.
 */
#include <errno.h>

#include "internal.h"

/* Spins on a held mutex before sleeping: short, since the holder may itself
 * be asleep (a mutex section may sleep, unlike a spinlock's). */
#define BH__MUTEX_SPINS 64

void bh__mutex_init(struct bh_mutex *m, const char *name)
{
	BH__CHECK_NULL(m, "mutex_init", );
	__atomic_store_n(&m->state, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&m->owner, 0, __ATOMIC_RELAXED);
	m->name = name;
}

static const char *name_of(const struct bh_mutex *m)
{
	return m->name ? m->name : "?";
}

static bool try_take(struct bh_mutex *m)
{
	uint32_t expect = 0;
	/* Acquire: the section sees the previous holder's stores. */
	return __atomic_compare_exchange_n(&m->state, &expect, 1, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static int lock_common(struct bh_mutex *m, bool interruptible)
{
	int tid = bh__gettid();
	bh_might_sleep();
	if (bh_likely(try_take(m)))
		goto owned;
	if (__atomic_load_n(&m->owner, __ATOMIC_RELAXED) == tid)
		bh__bug(__FILE__, __LINE__, __func__,
			"possible recursive locking detected: thread %d "
			"is trying to acquire mutex %s (%p), which it already "
			"holds; this deadlocks",
			tid, name_of(m), (void *)m);
	for (int i = 0; i < BH__MUTEX_SPINS; i++) {
		if (__atomic_load_n(&m->state, __ATOMIC_RELAXED) == 0 &&
		    try_take(m))
			goto owned;
		bh__cpu_relax();
	}
	while (__atomic_exchange_n(&m->state, 2, __ATOMIC_ACQUIRE) != 0) {
		if (bh__sleep_on(&m->state, 2, NULL, interruptible) == -EINTR)
			return -EINTR;
	}
owned:
	__atomic_store_n(&m->owner, tid, __ATOMIC_RELAXED);
	return 0;
}

void bh_mutex_lock(struct bh_mutex *m)
{
	BH__CHECK_NULL(m, "mutex_lock", );
	lock_common(m, false);
}

int bh_mutex_lock_interruptible(struct bh_mutex *m)
{
	BH__CHECK_NULL(m, "mutex_lock_interruptible", -EINVAL);
	return lock_common(m, true);
}

int bh_mutex_trylock(struct bh_mutex *m)
{
	BH__CHECK_NULL(m, "mutex_trylock", 0);
	if (!try_take(m))
		return 0;
	__atomic_store_n(&m->owner, bh__gettid(), __ATOMIC_RELAXED);
	return 1;
}

void bh_mutex_unlock(struct bh_mutex *m)
{
	BH__CHECK_NULL(m, "mutex_unlock", );
	int tid = bh__gettid();
	int owner = __atomic_load_n(&m->owner, __ATOMIC_RELAXED);
	if (__atomic_load_n(&m->state, __ATOMIC_RELAXED) == 0) {
		BH_WARN(1, "bh: mutex_unlock(%s %p): mutex is not locked",
			name_of(m), (void *)m);
		return;
	}
	/* The kernel's DEBUG_LOCKS_WARN_ON(owner != current); it unlocks. */
	BH_WARN(owner != tid,
		"bh: mutex_unlock(%s %p) by thread %d, but thread %d holds it",
		name_of(m), (void *)m, tid, owner);
	__atomic_store_n(&m->owner, 0, __ATOMIC_RELAXED);
	/* Release: pairs with the next holder's acquire. */
	if (__atomic_exchange_n(&m->state, 0, __ATOMIC_RELEASE) == 2)
		bh__futex_wake(&m->state, 1);
}

bool bh_mutex_is_locked(struct bh_mutex *m)
{
	BH__CHECK_NULL(m, "mutex_is_locked", false);
	return __atomic_load_n(&m->state, __ATOMIC_RELAXED) != 0;
}

void bh_mutex_destroy(struct bh_mutex *m)
{
	BH__CHECK_NULL(m, "mutex_destroy", );
	BH_WARN(bh_mutex_is_locked(m),
		"bh: mutex_destroy(%s %p) while held by thread %d", name_of(m),
		(void *)m, __atomic_load_n(&m->owner, __ATOMIC_RELAXED));
}
