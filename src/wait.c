// SPDX-License-Identifier: MIT
/*
 * Wait queues. The waker and the waiter follow the classic Dekker pattern,
 * all SEQ_CST:
 *   waiter: sleepers++; seq_seen = seq; test the condition; sleep on seq
 *   waker:  (make the condition true); seq++; if (sleepers) FUTEX_WAKE
 * If the waiter's test misses the waker's store, its read of seq came
 * before the waker's increment, so FUTEX_WAIT(seq_seen) either fails at
 * once or is woken: the waker's read of sleepers comes after the
 * increment, hence after the waiter's sleepers++.
 */
#include <limits.h>

#include "internal.h"

void bh_init_waitqueue_head(struct bh_wait_queue_head *wq)
{
	BH__CHECK_NULL(wq, "init_waitqueue_head", );
	__atomic_store_n(&wq->seq, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&wq->sleepers, 0, __ATOMIC_RELAXED);
}

uint32_t bh__wait_prepare(struct bh_wait_queue_head *wq)
{
	__atomic_fetch_add(&wq->sleepers, 1, __ATOMIC_SEQ_CST);
	return __atomic_load_n(&wq->seq, __ATOMIC_SEQ_CST);
}

void bh__wait_finish(struct bh_wait_queue_head *wq)
{
	__atomic_fetch_sub(&wq->sleepers, 1, __ATOMIC_RELAXED);
}

int bh__wait_sleep(struct bh_wait_queue_head *wq, uint32_t seq,
		   const unsigned long *deadline, bool interruptible)
{
	int r = bh__sleep_on(&wq->seq, seq, deadline, interruptible);
	/*
	 * Acquire the waker's increment (its release half): a waiter woken by
	 * wake_up() then sees every store made before the call, which is the
	 * contract, and what the futex return alone does not order.
	 */
	(void)__atomic_load_n(&wq->seq, __ATOMIC_ACQUIRE);
	bh__wait_finish(wq);
	return r;
}

void bh_wake_up(struct bh_wait_queue_head *wq)
{
	BH__CHECK_NULL(wq, "wake_up", );
	/* Release half: the woken waiter sees the caller's stores. */
	__atomic_fetch_add(&wq->seq, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&wq->sleepers, __ATOMIC_SEQ_CST))
		bh__futex_wake(&wq->seq, INT_MAX);
}

void bh_wake_up_interruptible(struct bh_wait_queue_head *wq)
{
	bh_wake_up(wq);
}

void bh_wake_up_all(struct bh_wait_queue_head *wq)
{
	bh_wake_up(wq);
}

bool bh_waitqueue_active(struct bh_wait_queue_head *wq)
{
	BH__CHECK_NULL(wq, "waitqueue_active", false);
	return __atomic_load_n(&wq->sleepers, __ATOMIC_SEQ_CST) != 0;
}
