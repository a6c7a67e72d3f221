// SPDX-License-Identifier: MIT
/*
 * `current` (include/bh/task.h): one struct bh_task per thread, in TLS,
 * and the kernel's set_current_state()/schedule()/wake_up_process() on
 * its state word, which doubles as the futex the sleeper waits on.
 *
 * Locking legend: T this thread; A atomic (order named at each use).
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "internal.h"

#include "bh/task.h"

static __thread struct bh_task self_task; /* T, except `state`: A */
static __thread int self_task_pid;	  /* T: getpid() it was made in */

struct bh_task *bh_current(void)
{
	struct bh_task *t = &self_task;
	int pid = (int)getpid();
	if (self_task_pid != pid) {
		/* First use, or a fork child's copy: new ids. */
		t->pid = bh__gettid();
		t->tgid = pid;
		self_task_pid = pid;
	}
	prctl(PR_GET_NAME, t->comm, 0, 0, 0);
	t->comm[BH_TASK_COMM_LEN - 1] = '\0';
	return t;
}

void bh_set_current_state(unsigned int state)
{
	/* SEQ_CST: the state is visible before the caller tests its
	 * condition, pairing with the waker's condition store before its
	 * bh_wake_up_process() (the kernel's smp_store_mb()). */
	__atomic_store_n(&self_task.state, state, __ATOMIC_SEQ_CST);
}

static long wait_state(long timeout_ns)
{
	uint64_t start = bh__monotonic_ns();
	uint32_t s;
	(void)bh__might_sleep_in("schedule");
	while ((s = __atomic_load_n(&self_task.state, __ATOMIC_ACQUIRE)) !=
	       BH_TASK_RUNNING) {
		long left = -1;
		if (timeout_ns >= 0) {
			uint64_t spent = bh__monotonic_ns() - start;
			if (spent >= (uint64_t)timeout_ns)
				break;
			left = timeout_ns - (long)spent;
		}
		int r = bh__futex_wait(&self_task.state, s, left);
		/* EINTR: a signal handler ran, a "pending signal" that ends
		 * an interruptible sleep. */
		if (r == -EINTR && (s & BH_TASK_INTERRUPTIBLE))
			break;
	}
	__atomic_store_n(&self_task.state, BH_TASK_RUNNING, __ATOMIC_RELAXED);
	if (timeout_ns < 0)
		return 0;
	uint64_t spent = bh__monotonic_ns() - start;
	return spent >= (uint64_t)timeout_ns ? 0 : timeout_ns - (long)spent;
}

void bh_schedule(void)
{
	if (__atomic_load_n(&self_task.state, __ATOMIC_RELAXED) ==
	    BH_TASK_RUNNING) {
		(void)bh__might_sleep_in("schedule");
		sched_yield();
		return;
	}
	(void)wait_state(-1);
}

long bh_schedule_timeout(long timeout)
{
	if (timeout <= 0) {
		__atomic_store_n(&self_task.state, BH_TASK_RUNNING,
				 __ATOMIC_RELAXED);
		return 0;
	}
	unsigned int hz = bh_hz();
	long tick = (long)(1000000000ull / (hz ? hz : 250));
	/* MAX_SCHEDULE_TIMEOUT (LONG_MAX), or too long for nanoseconds:
	 * no timeout. */
	if (timeout > LONG_MAX / tick) {
		(void)wait_state(-1);
		return timeout;
	}
	long left = wait_state(tick * timeout);
	/* Round the rest up to whole jiffies, as the kernel reports it. */
	return (left + tick - 1) / tick;
}

int bh_wake_up_process(struct bh_task *t)
{
	if (!t)
		return 0;
	/* SEQ_CST exchange: ordered after the waker's condition store, and
	 * the sleeper's futex_wait compares against the value it saw. */
	uint32_t old = __atomic_exchange_n(&t->state, BH_TASK_RUNNING,
					   __ATOMIC_SEQ_CST);
	if (old == BH_TASK_RUNNING)
		return 0;
	bh__futex_wake(&t->state, 1);
	return 1;
}
