/* SPDX-License-Identifier: MIT */
/*
 * Softirqs: ten vectors per bh CPU, numbered and named as the kernel's; the
 * number is the priority (SPEC S1).
 *
 * raise marks a vector pending on the calling context's bh CPU only (S2);
 * raising a pending vector does nothing more (S3). Pending softirqs run at
 * the exit of the outermost top half, at the bh_local_bh_enable() that ends
 * the last bh-disabled section, or in ksoftirqd/N (S9); a raise from plain
 * task context wakes ksoftirqd/N rather than running the handler there
 * (S11). A run snapshots and clears the pending mask, runs the handlers in
 * ascending order, and repeats at most 10 times (MAX_SOFTIRQ_RESTART) or
 * until MAX_SOFTIRQ_TIME (2 ms rounded up to jiffies) has passed, then
 * leaves the rest to ksoftirqd/N (S5, S12, S13). Handlers of one bh CPU
 * never nest or overlap; the same vector may run on several bh CPUs at once.
 *
 * HI, TIMER, TASKLET and HRTIMER belong to the library (tasklets, timers,
 * BH workqueues); bh_open_softirq() gives the others to the application.
 */
#ifndef BH_SOFTIRQ_H
#define BH_SOFTIRQ_H

#include <stddef.h>
#include <stdio.h>

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
	BH_HI_SOFTIRQ = 0,
	BH_TIMER_SOFTIRQ,
	BH_NET_TX_SOFTIRQ,
	BH_NET_RX_SOFTIRQ,
	BH_BLOCK_SOFTIRQ,
	BH_IRQ_POLL_SOFTIRQ,
	BH_TASKLET_SOFTIRQ,
	BH_SCHED_SOFTIRQ,
	BH_HRTIMER_SOFTIRQ,
	BH_RCU_SOFTIRQ,
	BH_NR_SOFTIRQS
};

/* The kernel's restart budget (kernel/softirq.c keeps the same numbers). */
#define BH_MAX_SOFTIRQ_RESTART 10
#define BH_MAX_SOFTIRQ_TIME_MS 2

/* "HI", "TIMER", ... as /proc/softirqs prints them. */
BH_API extern const char *const bh_softirq_to_name[BH_NR_SOFTIRQS];

typedef void (*bh_softirq_action_fn)(void);

/*
 * Install the handler of an application vector. Returns 0, -EINVAL (bad nr
 * or NULL action), -EBUSY (a library vector). Not async-signal-safe; do it
 * before raising.
 */
BH_API int bh_open_softirq(unsigned int nr, bh_softirq_action_fn action);

/*
 * Mark `nr` pending on this context's bh CPU and, from plain task context,
 * wake that CPU's ksoftirqd. Async-signal-safe, lock-free, no allocation; a
 * raise of an already pending vector makes no system call.
 * Returns 0, -EINVAL (bad nr), -ENOENT (no handler installed), -ENXIO (no
 * runtime), -ECHILD (forked child).
 */
BH_API int bh_raise_softirq(unsigned int nr);
/* The same, for callers that already have interrupts off. */
BH_API int bh_raise_softirq_irqoff(unsigned int nr);

/* SPEC S17: handler executions of `nr` on `cpu` since bh_init(). */
BH_API unsigned long long bh_softirq_count(int cpu, unsigned int nr);

/*
 * The counters as /proc/softirqs shows them (a header of CPU columns, one
 * row per vector). bh_softirqs_snprint() returns the length it needed, as
 * snprintf does; bh_softirqs_print() writes to `f` and returns the length
 * written, -EIO if the write failed or -ENOMEM. Not async-signal-safe.
 */
BH_API int bh_softirqs_snprint(char *buf, size_t len);
BH_API int bh_softirqs_print(FILE *f);

#ifdef __cplusplus
}
#endif

#endif
