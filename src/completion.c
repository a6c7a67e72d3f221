// SPDX-License-Identifier: MIT
/*
 * Completions on one futex word: `done` holds the completions not yet
 * consumed in its low 31 bits (DONE_ALL after complete_all()) and, in bit
 * 31, WAITERS: some thread sleeps (or is about to) on the word.
 *
 * One word, because complete() must not touch the completion after the
 * update that lets a waiter return: the waiter may free it at once (a
 * flush barrier lives on the flusher's stack). The compare-and-swap that
 * publishes the completion also tells complete() whether to wake anyone,
 * and the wake-up itself is a futex call on the address, which reads no
 * memory. `sleepers` is only the waiters' own count, to know when the last
 * one may clear WAITERS.
 */
#include <errno.h>
#include <limits.h>

#include "internal.h"

#define WAITERS	 0x80000000u
#define COUNT	 0x7fffffffu
#define DONE_ALL COUNT

void bh_init_completion(struct bh_completion *x)
{
	BH__CHECK_NULL(x, "init_completion", );
	__atomic_store_n(&x->done, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&x->sleepers, 0, __ATOMIC_RELAXED);
}

void bh_reinit_completion(struct bh_completion *x)
{
	BH__CHECK_NULL(x, "reinit_completion", );
	__atomic_fetch_and(&x->done, WAITERS, __ATOMIC_RELEASE);
}

void bh_complete(struct bh_completion *x)
{
	BH__CHECK_NULL(x, "complete", );
	uint32_t d = __atomic_load_n(&x->done, __ATOMIC_RELAXED);
	uint32_t nd;
	do {
		/* Saturate below DONE_ALL, as the kernel's complete() does. */
		nd = (d & COUNT) < DONE_ALL - 1 ? d + 1 : d;
	} while (!__atomic_compare_exchange_n(
		&x->done, &d, nd, true, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
	/* From here on *x may be gone: only the futex call, on the address. */
	if (d & WAITERS)
		bh__futex_wake(&x->done, 1);
}

void bh_complete_all(struct bh_completion *x)
{
	BH__CHECK_NULL(x, "complete_all", );
	uint32_t d = __atomic_fetch_or(&x->done, DONE_ALL, __ATOMIC_SEQ_CST);
	if (d & WAITERS)
		bh__futex_wake(&x->done, INT_MAX);
}

bool bh_try_wait_for_completion(struct bh_completion *x)
{
	BH__CHECK_NULL(x, "try_wait_for_completion", false);
	uint32_t d = __atomic_load_n(&x->done, __ATOMIC_ACQUIRE);
	while (d & COUNT) {
		if ((d & COUNT) == DONE_ALL)
			return true;
		/* Acquire: see what the completer stored before complete(). */
		if (__atomic_compare_exchange_n(&x->done, &d, d - 1, true,
						__ATOMIC_ACQUIRE,
						__ATOMIC_ACQUIRE))
			return true;
	}
	return false;
}

bool bh_completion_done(struct bh_completion *x)
{
	BH__CHECK_NULL(x, "completion_done", false);
	return (__atomic_load_n(&x->done, __ATOMIC_ACQUIRE) & COUNT) != 0;
}

/* The last waiter out clears WAITERS, so complete() stops waking. A
 * waiter arriving meanwhile sets it again before it sleeps, and its
 * futex_wait() fails on the changed word if we clear after that. */
static void leave(struct bh_completion *x)
{
	if (__atomic_sub_fetch(&x->sleepers, 1, __ATOMIC_SEQ_CST) == 0)
		__atomic_fetch_and(&x->done, COUNT, __ATOMIC_SEQ_CST);
}

/*
 * Returns 0 (consumed), -ETIMEDOUT or -EINTR. Every waiter that sleeps is
 * woken by the complete() that follows (WAITERS was set when it looked),
 * and one that leaves without consuming wakes the next, so a complete() is
 * never spent on a waiter that gave up.
 */
static int wait_common(struct bh_completion *x, const unsigned long *deadline,
		       bool interruptible)
{
	bh_might_sleep();
	for (;;) {
		if (bh_try_wait_for_completion(x))
			return 0;
		__atomic_fetch_add(&x->sleepers, 1, __ATOMIC_SEQ_CST);
		uint32_t d =
			__atomic_or_fetch(&x->done, WAITERS, __ATOMIC_SEQ_CST);
		if (d & COUNT) {
			leave(x);
			continue;
		}
		int r = bh__sleep_on(&x->done, d, deadline, interruptible);
		leave(x);
		if (r == 0)
			continue;
		if (bh_try_wait_for_completion(x))
			return 0;
		d = __atomic_load_n(&x->done, __ATOMIC_SEQ_CST);
		if ((d & COUNT) && (d & WAITERS))
			bh__futex_wake(&x->done, 1);
		return r;
	}
}

void bh_wait_for_completion(struct bh_completion *x)
{
	BH__CHECK_NULL(x, "wait_for_completion", );
	wait_common(x, NULL, false);
}

unsigned long bh_wait_for_completion_timeout(struct bh_completion *x,
					     unsigned long timeout)
{
	BH__CHECK_NULL(x, "wait_for_completion_timeout", 0);
	unsigned long end = bh_jiffies() + timeout;
	if (wait_common(x, &end, false))
		return 0;
	long left = (long)(end - bh_jiffies());
	return left > 0 ? (unsigned long)left : 1;
}

int bh_wait_for_completion_interruptible(struct bh_completion *x)
{
	BH__CHECK_NULL(x, "wait_for_completion_interruptible", -EINVAL);
	return wait_common(x, NULL, true) ? -BH_ERESTARTSYS : 0;
}

long bh_wait_for_completion_interruptible_timeout(struct bh_completion *x,
						  unsigned long timeout)
{
	BH__CHECK_NULL(x, "wait_for_completion_interruptible_timeout", -EINVAL);
	unsigned long end = bh_jiffies() + timeout;
	int r = wait_common(x, &end, true);
	if (r == -EINTR)
		return -BH_ERESTARTSYS;
	if (r)
		return 0;
	long left = (long)(end - bh_jiffies());
	return left > 0 ? left : 1;
}
