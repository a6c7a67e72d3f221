/* SPDX-License-Identifier: MIT */
/*
 * Wait queues: sleep in task context until a condition becomes true.
 *
 * A head is a futex sequence word and a count of sleepers. bh_wake_up()
 * bumps the sequence and, only if someone sleeps, makes one FUTEX_WAKE: it
 * takes no lock and allocates nothing, so top halves (signal handlers),
 * softirqs and tasklets may call it (SPEC U1). Waiters always re-check the
 * condition after waking, as the kernel's wait_event() loops do, so a
 * wake-up never needs to know who waits for what.
 *
 * Every waiting macro may sleep: it runs might_sleep() first and reports a
 * splat when called from atomic context (SPEC U8). "Interruptible" waits
 * end early with -ERESTARTSYS when a signal handler runs on the waiting
 * thread (the user-space meaning of a pending signal).
 *
 * Timeouts are in jiffies. In deterministic mode they are measured on the
 * virtual clock: a timed wait there ends only when bh_advance_jiffies()
 * reaches its deadline (or the condition comes true).
 */
#ifndef BH_WAIT_H
#define BH_WAIT_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "context.h"
#include "export.h"
#include "jiffies.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The kernel's "restart the system call" code, returned by interruptible waits.
 */
#define BH_ERESTARTSYS 512

struct bh_wait_queue_head {
	uint32_t seq;	   /* bumped by each wake-up; the futex word */
	uint32_t sleepers; /* threads inside the futex wait */
};

#define BH_WAIT_QUEUE_HEAD_INIT                                                \
	{                                                                      \
		0, 0                                                           \
	}
#define BH_DECLARE_WAIT_QUEUE_HEAD(name)                                       \
	struct bh_wait_queue_head name = BH_WAIT_QUEUE_HEAD_INIT

BH_API void bh_init_waitqueue_head(struct bh_wait_queue_head *wq);

/*
 * Wake every waiter of `wq` (they re-check their conditions). Stores made
 * before the call are visible to a waiter that sees the wake-up. Any
 * context, async-signal-safe; no system call when nobody sleeps.
 * bh_wake_up_interruptible() and bh_wake_up_all() are the same call: with
 * no exclusive waiters the kernel's variants differ only in whom they may
 * skip, and a waiter woken needlessly just sleeps again.
 */
BH_API void bh_wake_up(struct bh_wait_queue_head *wq);
BH_API void bh_wake_up_interruptible(struct bh_wait_queue_head *wq);
BH_API void bh_wake_up_all(struct bh_wait_queue_head *wq);

/* True if a thread is sleeping on `wq` right now (advisory). */
BH_API bool bh_waitqueue_active(struct bh_wait_queue_head *wq);

/*
 * The primitive the waiting macros are built on. prepare() registers the
 * caller as a sleeper and returns the sequence to sleep on; the caller then
 * tests its condition and either calls finish() or sleep(). sleep() returns
 * 0 (woken, or spuriously), -ETIMEDOUT (deadline passed; `deadline` may be
 * NULL for none) or -EINTR (a signal handler ran and `interruptible`), and
 * always leaves the caller unregistered.
 */
BH_API uint32_t bh__wait_prepare(struct bh_wait_queue_head *wq);
BH_API void bh__wait_finish(struct bh_wait_queue_head *wq);
BH_API int bh__wait_sleep(struct bh_wait_queue_head *wq, uint32_t seq,
			  const unsigned long *deadline, bool interruptible);

/*
 * The loop every waiting macro runs: test `cond`, register, test again,
 * sleep; until `cond` holds or the sleep ends with -ETIMEDOUT (deadline
 * reached) or -EINTR (interruptible, a signal handler ran). Evaluates to 0
 * or that error.
 */
#define bh__wait_event_loop(wq_head, cond, deadline, intr)                     \
	({                                                                     \
		int bh__e_ = 0;                                                \
		while (!(cond)) {                                              \
			uint32_t bh__s_ = bh__wait_prepare(&(wq_head));        \
			if (cond) {                                            \
				bh__wait_finish(&(wq_head));                   \
				break;                                         \
			}                                                      \
			bh__e_ = bh__wait_sleep(&(wq_head), bh__s_,            \
						(deadline), (intr));           \
			if (bh__e_ == -ETIMEDOUT || bh__e_ == -EINTR)          \
				break;                                         \
		}                                                              \
		bh__e_;                                                        \
	})

/*
 * Sleep until `cond` is true. The head is passed as an lvalue, as to the
 * kernel's wait_event().
 */
#define bh_wait_event(wq_head, cond)                                           \
	do {                                                                   \
		bh_might_sleep();                                              \
		(void)bh__wait_event_loop(wq_head, cond, 0, false);            \
	} while (0)

/* 0 once `cond` is true, -BH_ERESTARTSYS if a signal interrupted the wait. */
#define bh_wait_event_interruptible(wq_head, cond)                             \
	({                                                                     \
		bh_might_sleep();                                              \
		bh__wait_event_loop(wq_head, cond, 0, true) == -EINTR          \
			? -BH_ERESTARTSYS                                      \
			: 0;                                                   \
	})

/*
 * The kernel's timed-wait result: 0 if `cond` is still false when
 * `timeout` jiffies have passed, 1 if it is true at the deadline, or the
 * jiffies left (at least 1) if it became true before; -BH_ERESTARTSYS for
 * the interruptible form when a signal interrupted it.
 */
#define bh__wait_event_timeout(wq_head, cond, timeout, intr)                   \
	({                                                                     \
		long bh__r_;                                                   \
		unsigned long bh__end_ =                                       \
			bh_jiffies() + (unsigned long)(timeout);               \
		bh_might_sleep();                                              \
		int bh__w_ =                                                   \
			bh__wait_event_loop(wq_head, cond, &bh__end_, (intr)); \
		if (bh__w_ == -ETIMEDOUT) {                                    \
			bh__r_ = (cond) ? 1 : 0;                               \
		} else if (bh__w_ == -EINTR) {                                 \
			bh__r_ = -BH_ERESTARTSYS;                              \
		} else {                                                       \
			long bh__left_ = (long)(bh__end_ - bh_jiffies());      \
			bh__r_ = bh__left_ > 0 ? bh__left_ : 1;                \
		}                                                              \
		bh__r_;                                                        \
	})

#define bh_wait_event_timeout(wq_head, cond, timeout)                          \
	bh__wait_event_timeout(wq_head, cond, timeout, false)
#define bh_wait_event_interruptible_timeout(wq_head, cond, timeout)            \
	bh__wait_event_timeout(wq_head, cond, timeout, true)

#ifdef __cplusplus
}
#endif

#endif
