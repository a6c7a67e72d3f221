/* SPDX-License-Identifier: MIT */
/*
 * <linux/sched.h>: `current` and struct task_struct (pid, tgid, comm,
 * state), the task states, set_current_state(), schedule(),
 * schedule_timeout(), wake_up_process(), cond_resched(), get_task_comm().
 * The UAPI header (CLONE_*, SCHED_*) comes first.
 *
 * `current` is the calling thread (<bh/task.h>): ->pid is its thread id,
 * ->tgid the process id, ->comm its name (16 bytes, re-read at each use
 * of `current`, so a rename shows). In interrupt context it is, as in the
 * kernel, whatever the code interrupted or runs on: the thread a signal
 * interrupted for a signal-bound top half; hardirq/N for an fd or timer
 * line; ksoftirqd/N, or the thread whose irq_exit()/local_bh_enable() ran
 * them, for softirqs and tasklets.
 *
 * Where user space differs: the task has only those fields (no ->mm, ->cred,
 * ->flags...); kernel code of 5.14+ that reads ->__state directly should
 * read ->state (set_current_state() and READ_ONCE(current->state) work in
 * every version). schedule() with TASK_RUNNING yields the CPU;
 * cond_resched() only checks the context (the scheduler preempts user
 * threads anyway) and returns 0. Timeouts are in real jiffies, also in
 * deterministic mode. All the sleeping calls splat (SPEC U8) from atomic
 * context.
 */
#ifndef BH_COMPAT_LINUX_SCHED_H
#define BH_COMPAT_LINUX_SCHED_H

#include_next <linux/sched.h>

#include <limits.h>
#include <sys/types.h>

#include <bh/context.h>
#include <bh/task.h>

#include <linux/compiler.h>
#include <linux/jiffies.h>
#include <linux/types.h>

#define task_struct   bh_task
#define TASK_COMM_LEN BH_TASK_COMM_LEN

#define TASK_RUNNING	     BH_TASK_RUNNING
#define TASK_INTERRUPTIBLE   BH_TASK_INTERRUPTIBLE
#define TASK_UNINTERRUPTIBLE BH_TASK_UNINTERRUPTIBLE
#define TASK_KILLABLE	     BH_TASK_KILLABLE
#define TASK_IDLE	     BH_TASK_IDLE
#define TASK_NORMAL	     (TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE)

#define MAX_SCHEDULE_TIMEOUT LONG_MAX

#define current (bh_current())

/* With a full barrier after the store (the kernel's smp_store_mb()). */
#define set_current_state(state_value) bh_set_current_state(state_value)
#define __set_current_state(state_value)                                       \
	__atomic_store_n(&bh_current()->state, (state_value), __ATOMIC_RELAXED)

static inline void schedule(void)
{
	bh_schedule();
}

static inline long schedule_timeout(long timeout)
{
	return bh_schedule_timeout(timeout);
}

static inline long schedule_timeout_interruptible(long timeout)
{
	bh_set_current_state(TASK_INTERRUPTIBLE);
	return bh_schedule_timeout(timeout);
}

static inline long schedule_timeout_uninterruptible(long timeout)
{
	bh_set_current_state(TASK_UNINTERRUPTIBLE);
	return bh_schedule_timeout(timeout);
}

static inline long schedule_timeout_killable(long timeout)
{
	bh_set_current_state(TASK_KILLABLE);
	return bh_schedule_timeout(timeout);
}

static inline long schedule_timeout_idle(long timeout)
{
	bh_set_current_state(TASK_IDLE);
	return bh_schedule_timeout(timeout);
}

static inline int wake_up_process(struct task_struct *p)
{
	return bh_wake_up_process(p);
}

/* A point where the kernel may reschedule: checks the context only. */
static inline int cond_resched(void)
{
	(void)bh__might_sleep_in("cond_resched");
	return 0;
}

static inline void yield(void)
{
	bh_schedule();
}

static inline pid_t task_pid_nr(const struct task_struct *tsk)
{
	return tsk->pid;
}

static inline pid_t task_tgid_nr(const struct task_struct *tsk)
{
	return tsk->tgid;
}

/* The kernel's macro copies into a char array of TASK_COMM_LEN. */
#define get_task_comm(buf, tsk)                                                \
	({                                                                     \
		_Static_assert(sizeof(buf) == TASK_COMM_LEN,                   \
			       "get_task_comm() wants a TASK_COMM_LEN array"); \
		__builtin_memcpy(buf, (tsk)->comm, sizeof(buf));               \
		(buf)[sizeof(buf) - 1] = '\0';                                 \
		(buf);                                                         \
	})

/* Nothing is ever pending: a signal here has run its handler already. */
static inline int signal_pending(const struct task_struct *p)
{
	(void)p;
	return 0;
}

static inline int fatal_signal_pending(const struct task_struct *p)
{
	(void)p;
	return 0;
}

#endif
