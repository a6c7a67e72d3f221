/* SPDX-License-Identifier: MIT */
/*
 * The calling thread as the kernel's `current`: its ids and name, a task
 * state, and the kernel's sleep/wake pair on that state.
 *
 * Each thread has one struct bh_task, owned by the library and valid for
 * the thread's life. In interrupt context it is, as in the kernel, the
 * thread the code runs on: for a top half bound to a signal, the thread
 * the signal interrupted; for an fd or timer line, the hardirq/N thread;
 * for softirqs and tasklets, the thread that runs them (ksoftirqd/N, or
 * the thread whose irq_exit() or local_bh_enable() ran them).
 *
 * The sleep protocol is the kernel's:
 *
 *	bh_set_current_state(BH_TASK_INTERRUPTIBLE);
 *	if (!condition)
 *		bh_schedule();
 *	bh_set_current_state(BH_TASK_RUNNING);
 *
 * with the waker setting the condition, then bh_wake_up_process(task). A
 * wake between the state change and bh_schedule() is not lost: the state
 * is a futex word, and bh_schedule() sleeps only while it still holds the
 * sleeping state.
 */
#ifndef BH_TASK_H
#define BH_TASK_H

#include <stdint.h>

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BH_TASK_COMM_LEN 16

/* The kernel's values. */
#define BH_TASK_RUNNING		0x0000u
#define BH_TASK_INTERRUPTIBLE	0x0001u
#define BH_TASK_UNINTERRUPTIBLE 0x0002u
#define BH_TASK_KILLABLE	0x0102u /* WAKEKILL | UNINTERRUPTIBLE */
#define BH_TASK_IDLE		0x0402u /* NOLOAD | UNINTERRUPTIBLE */

struct bh_task {
	int pid;		     /* the thread id (gettid) */
	int tgid;		     /* the process id (getpid) */
	char comm[BH_TASK_COMM_LEN]; /* the thread name, refreshed by
					bh_current() */
	uint32_t state;		     /* BH_TASK_*: a futex word */
};

/*
 * The calling thread's task, its name re-read (the thread may have been
 * renamed). Any context, async-signal-safe (one prctl(2)).
 */
BH_API struct bh_task *bh_current(void);

/* Set the calling thread's state, then a full barrier (set_current_state). */
BH_API void bh_set_current_state(unsigned int state);

/*
 * Sleep while the calling thread's state is not BH_TASK_RUNNING, until
 * bh_wake_up_process() (an INTERRUPTIBLE sleep also ends when a signal
 * handler runs on the thread, which stands for a pending signal); returns
 * with the state BH_TASK_RUNNING. With the state already RUNNING it only
 * yields the CPU. May sleep: splats (SPEC U8) from atomic context.
 */
BH_API void bh_schedule(void);

/*
 * bh_schedule() for at most `timeout` jiffies (real time: 1/HZ seconds
 * each, in every mode). Returns the jiffies left, 0 if it timed out.
 */
BH_API long bh_schedule_timeout(long timeout);

/*
 * Make `t` runnable: set its state to BH_TASK_RUNNING and wake it if it
 * sleeps in bh_schedule(). Returns 1 if it was not running, 0 if it was.
 * Any context, async-signal-safe.
 */
BH_API int bh_wake_up_process(struct bh_task *t);

#ifdef __cplusplus
}
#endif

#endif
