// SPDX-License-Identifier: MIT
/*
 * Completions on one futex word: `done` counts completions not yet
 * consumed (UINT32_MAX after complete_all()). The same Dekker pattern as
 * wait queues orders `done` against `sleepers` (see wait.c).
 */
#include <errno.h>
#include <limits.h>

#include "internal.h"

#define DONE_ALL UINT32_MAX

void bh_init_completion(struct bh_completion *x)
{
	BH__CHECK_NULL(x, "init_completion", );
	__atomic_store_n(&x->done, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&x->sleepers, 0, __ATOMIC_RELAXED);
}

void bh_reinit_completion(struct bh_completion *x)
{
	BH__CHECK_NULL(x, "reinit_completion", );
	__atomic_store_n(&x->done, 0, __ATOMIC_RELEASE);
}

void bh_complete(struct bh_completion *x)
{
	BH__CHECK_NULL(x, "complete", );
	uint32_t d = __atomic_load_n(&x->done, __ATOMIC_RELAXED);
	/* Saturate below DONE_ALL, as the kernel's complete() does. */
	while (d < DONE_ALL - 1 &&
	       !__atomic_compare_exchange_n(&x->done, &d, d + 1, true,
					    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		;
	if (__atomic_load_n(&x->sleepers, __ATOMIC_SEQ_CST))
		bh__futex_wake(&x->done, 1);
}

void bh_complete_all(struct bh_completion *x)
{
	BH__CHECK_NULL(x, "complete_all", );
	__atomic_store_n(&x->done, DONE_ALL, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&x->sleepers, __ATOMIC_SEQ_CST))
		bh__futex_wake(&x->done, INT_MAX);
}

bool bh_try_wait_for_completion(struct bh_completion *x)
{
	BH__CHECK_NULL(x, "try_wait_for_completion", false);
	uint32_t d = __atomic_load_n(&x->done, __ATOMIC_ACQUIRE);
	while (d) {
		if (d == DONE_ALL)
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
	return __atomic_load_n(&x->done, __ATOMIC_ACQUIRE) != 0;
}

/*
 * Returns 0 (consumed), -ETIMEDOUT or -EINTR. A waiter that leaves without
 * consuming after being woken passes the wake-up on, so a complete() is
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
		if (__atomic_load_n(&x->done, __ATOMIC_SEQ_CST)) {
			__atomic_fetch_sub(&x->sleepers, 1, __ATOMIC_RELAXED);
			continue;
		}
		int r = bh__sleep_on(&x->done, 0, deadline, interruptible);
		__atomic_fetch_sub(&x->sleepers, 1, __ATOMIC_SEQ_CST);
		if (r == 0)
			continue;
		if (bh_try_wait_for_completion(x))
			return 0;
		if (__atomic_load_n(&x->done, __ATOMIC_SEQ_CST) &&
		    __atomic_load_n(&x->sleepers, __ATOMIC_SEQ_CST))
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
