// SPDX-License-Identifier: MIT
/*
 * The one place where the library's sleeping primitives block (wait
 * queues, completions, mutexes, msleep). Keeping it single is deliberate:
 * workqueue concurrency management has to know when a worker sleeps, and
 * this is where it will be told.
 */
#include <errno.h>

#include "workqueue_internal.h"

/* How often a deterministic-mode timed sleeper looks at the virtual clock. */
#define BH__VIRTUAL_POLL_NS 1000000L

/*
 * An untimed FUTEX_WAIT is restarted by the kernel after a handler
 * installed with SA_RESTART (glibc's signal() default) and never reports
 * EINTR; a timed one always does. So an interruptible sleep with no
 * deadline still sleeps with a (long) timeout, and just sleeps again when
 * it expires.
 */
#define BH__INTERRUPTIBLE_SLICE_NS 3600000000000L

int bh__sleep_on(uint32_t *word, uint32_t val, const unsigned long *deadline,
		 bool interruptible)
{
	long ns = -1;
	if (deadline) {
		if (!bh_time_before(bh_jiffies(), *deadline))
			return -ETIMEDOUT;
		if (bh__rt.deterministic) {
			ns = BH__VIRTUAL_POLL_NS;
		} else {
			int64_t left = (int64_t)(bh__jiffy_start_ns(*deadline) -
						 bh__monotonic_ns());
			ns = left > 0 ? (long)left : 0;
		}
	}
	if (ns < 0 && interruptible)
		ns = BH__INTERRUPTIBLE_SLICE_NS;
	/* Concurrency management: the pool may start another worker. */
	bh__wq_worker_sleeping();
	int r = bh__futex_wait(word, val, ns);
	bh__wq_worker_running();
	if (r == -EINTR && interruptible)
		return -EINTR;
	if (deadline && !bh_time_before(bh_jiffies(), *deadline))
		return -ETIMEDOUT;
	return 0;
}
