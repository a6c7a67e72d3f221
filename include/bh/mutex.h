/* SPDX-License-Identifier: MIT */
/*
 * Mutexes: sleeping locks for task context, with the kernel's rules.
 *
 * Locking may sleep, so it checks the context (SPEC U8): from a top half,
 * a softirq, a tasklet, with bh or irqs disabled or a spinlock held, it
 * reports a might_sleep splat. The owner is recorded, as CONFIG_DEBUG_MUTEXES
 * does, to report the classic mistakes with a backtrace instead of hanging
 * silently: locking a mutex this thread already holds ("possible recursive
 * locking detected", after which the call blocks as the kernel's would),
 * unlocking one this thread does not hold, and destroying a held one.
 * Not async-signal-safe: a signal handler must not take a mutex.
 */
#ifndef BH_MUTEX_H
#define BH_MUTEX_H

#include <stdbool.h>
#include <stdint.h>

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

struct bh_mutex {
	uint32_t state;	  /* 0 free, 1 held, 2 held with sleepers */
	int owner;	  /* tid of the holder, 0 when free */
	const char *name; /* for reports; set by the initialisers */
};

#define BH_MUTEX_INITIALIZER(lockname)                                         \
	{                                                                      \
		0, 0, #lockname                                                \
	}
#define BH_DEFINE_MUTEX(name) struct bh_mutex name = BH_MUTEX_INITIALIZER(name)

BH_API void bh__mutex_init(struct bh_mutex *m, const char *name);
#define bh_mutex_init(m) bh__mutex_init((m), #m)
/* Warns if the mutex is still held. */
BH_API void bh_mutex_destroy(struct bh_mutex *m);

BH_API void bh_mutex_lock(struct bh_mutex *m);
/* 0 once held, -EINTR if a signal handler ran on this thread while waiting. */
BH_API int bh_mutex_lock_interruptible(struct bh_mutex *m);
/* 1 if taken, 0 if held by someone; never sleeps. */
BH_API int bh_mutex_trylock(struct bh_mutex *m);
BH_API void bh_mutex_unlock(struct bh_mutex *m);
BH_API bool bh_mutex_is_locked(struct bh_mutex *m);

#ifdef __cplusplus
}
#endif

#endif
