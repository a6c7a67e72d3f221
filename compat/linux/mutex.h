/* SPDX-License-Identifier: MIT */
/*
 * <linux/mutex.h>: struct mutex, the sleeping lock of task context.
 *
 * struct mutex is struct bh_mutex under its kernel name. Taking it may
 * sleep, so it checks the context (SPEC U8): from a top half, a softirq, a
 * tasklet, with bh or irqs off or a spinlock held it reports a might_sleep
 * splat. The owner is always recorded, as CONFIG_DEBUG_MUTEXES does, so the
 * classic mistakes are reported with a backtrace instead of hanging
 * silently or corrupting the lock: relocking a mutex this thread holds
 * ("possible recursive locking detected", after which the call blocks as
 * the kernel's would), unlocking one held by another thread or by nobody,
 * and destroying a held one. A signal handler must not take a mutex.
 *
 * mutex_lock_interruptible() gives up with -EINTR when a signal handler
 * runs on the waiting thread. mutex_lock_killable() is a plain lock (a
 * fatal signal ends the process) and mutex_lock_nested() ignores the
 * lockdep subclass.
 *
 * `mutex` is a macro for the native tag, as `tasklet_struct` is, so that a
 * struct mutex is a struct bh_mutex: any identifier spelled `mutex` in a
 * unit that includes this header is renamed with it, consistently.
 * mutex_init() is a macro, as the kernel's, so that reports can name the
 * lock by the expression that initialised it.
 */
#ifndef BH_COMPAT_LINUX_MUTEX_H
#define BH_COMPAT_LINUX_MUTEX_H

#include <stdbool.h>

#include <bh/mutex.h>

#include <linux/errno.h>
#include <linux/kernel.h>

#define mutex bh_mutex

/* For struct initialisers: `.lock = __MUTEX_INITIALIZER(x.lock)`. */
#define __MUTEX_INITIALIZER(lockname) BH_MUTEX_INITIALIZER(lockname)
#define DEFINE_MUTEX(mutexname)                                                \
	struct mutex mutexname = BH_MUTEX_INITIALIZER(mutexname)

#define mutex_init(lock) bh__mutex_init((lock), #lock)

/* Warns if the mutex is still held. */
static inline void mutex_destroy(struct mutex *lock)
{
	bh_mutex_destroy(lock);
}

static inline void mutex_lock(struct mutex *lock)
{
	bh_mutex_lock(lock);
}

static inline void mutex_lock_nested(struct mutex *lock, unsigned int subclass)
{
	(void)subclass;
	bh_mutex_lock(lock);
}

/* 0 once held, -EINTR if a signal handler ran on this thread first. */
static inline int __must_check mutex_lock_interruptible(struct mutex *lock)
{
	return bh_mutex_lock_interruptible(lock);
}

static inline int __must_check mutex_lock_killable(struct mutex *lock)
{
	bh_mutex_lock(lock);
	return 0;
}

/* 1 if taken, 0 if held by someone. Never sleeps, but, as in the kernel,
 * not for interrupt context: a mutex belongs to a task. */
static inline int mutex_trylock(struct mutex *lock)
{
	return bh_mutex_trylock(lock);
}

static inline void mutex_unlock(struct mutex *lock)
{
	bh_mutex_unlock(lock);
}

/* Advisory: true if any thread holds the lock. */
static inline bool mutex_is_locked(struct mutex *lock)
{
	return bh_mutex_is_locked(lock);
}

#endif
