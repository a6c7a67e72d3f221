/* SPDX-License-Identifier: MIT */
/*
 * <linux/wait.h>: wait queues, wait_event() and its variants, wake_up().
 *
 * A wait queue head here is a futex sequence word and a sleeper count, not
 * a locked list of wait entries: there are no exclusive waiters and no
 * custom wake functions, so every wake_up*() form wakes every waiter, and
 * each re-checks its condition as the kernel's wait_event() loops do. A
 * waiter woken needlessly just sleeps again. The wake-ups take no lock and
 * allocate nothing: a top half (a signal handler), a softirq or a tasklet
 * may call them (SPEC U1).
 *
 * Every wait_event*() may sleep: it runs might_sleep() first (SPEC U8).
 * "Interruptible" means that a signal handler ran on the waiting thread,
 * the user-space form of a pending signal; the wait then yields
 * -ERESTARTSYS. "Killable" waits are plain waits: a fatal signal ends the
 * whole process, so such a wait never sees one. Timeouts are in jiffies,
 * on the virtual clock in deterministic mode (only bh_advance_jiffies()
 * brings a deadline nearer).
 *
 * As in the kernel, the condition is an expression evaluated again after
 * every wake-up, and the head is passed to wait_event*() as an lvalue but
 * to wake_up*() by address.
 */
#ifndef BH_COMPAT_LINUX_WAIT_H
#define BH_COMPAT_LINUX_WAIT_H

/*
 * The UAPI header first (WNOHANG, WEXITED, ...), which the kernel's
 * <linux/wait.h> also provides. Its P_ALL, P_PID, P_PGID and P_PIDFD are
 * macros for names that glibc's <sys/wait.h> declares as enumerators of
 * idtype_t, so a <sys/wait.h> read after them fails to compile. They are
 * dropped: with <sys/wait.h> the enumerators, of the same values, remain.
 */
#include_next <linux/wait.h>
#undef P_ALL
#undef P_PID
#undef P_PGID
#undef P_PIDFD

#include <stdbool.h>

#include <bh/wait.h>

#include <linux/errno.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/spinlock.h>

_Static_assert(ERESTARTSYS == BH_ERESTARTSYS,
	       "interruptible waits return the kernel's -ERESTARTSYS");

/*
 * struct wait_queue_head (4.13+), struct __wait_queue_head (before) and
 * wait_queue_head_t (every version) all name the native head.
 */
#define wait_queue_head	  bh_wait_queue_head
#define __wait_queue_head bh_wait_queue_head
typedef struct bh_wait_queue_head wait_queue_head_t;

/* For struct initialisers: `.wq = __WAIT_QUEUE_HEAD_INITIALIZER(x.wq)`. */
#define __WAIT_QUEUE_HEAD_INITIALIZER(name) BH_WAIT_QUEUE_HEAD_INIT
#define DECLARE_WAIT_QUEUE_HEAD(name)                                          \
	wait_queue_head_t name = BH_WAIT_QUEUE_HEAD_INIT
/* Lockdep needs the on-stack form in the kernel; here it is the same. */
#define DECLARE_WAIT_QUEUE_HEAD_ONSTACK(name) DECLARE_WAIT_QUEUE_HEAD(name)

static inline void init_waitqueue_head(wait_queue_head_t *wq_head)
{
	bh_init_waitqueue_head(wq_head);
}

/* ---- waiting ----------------------------------------------------------- */

/* Sleep until `condition` is true; a statement, as the kernel's. */
#define wait_event(wq_head, condition) bh_wait_event(wq_head, condition)

/* 0 once `condition` is true, -ERESTARTSYS if a signal handler ran. */
#define wait_event_interruptible(wq_head, condition)                           \
	bh_wait_event_interruptible(wq_head, condition)

/*
 * long: 0 if `condition` is still false after `timeout` jiffies, 1 if it
 * became true as the time ran out, else the jiffies left (at least 1).
 */
#define wait_event_timeout(wq_head, condition, timeout)                        \
	bh_wait_event_timeout(wq_head, condition, timeout)

/* As wait_event_timeout(), or -ERESTARTSYS if a signal handler ran. */
#define wait_event_interruptible_timeout(wq_head, condition, timeout)          \
	bh_wait_event_interruptible_timeout(wq_head, condition, timeout)

/* Only a fatal signal would end these early, and it ends the process. */
#define wait_event_killable(wq_head, condition)                                \
	({                                                                     \
		bh_wait_event(wq_head, condition);                             \
		0;                                                             \
	})

/* The kernel's _idle forms differ only in load accounting. */
#define wait_event_idle(wq_head, condition) bh_wait_event(wq_head, condition)
#define wait_event_idle_timeout(wq_head, condition, timeout)                   \
	bh_wait_event_timeout(wq_head, condition, timeout)

/* ---- waking ------------------------------------------------------------ */

/*
 * Every form wakes every waiter: with no exclusive waiters, the kernel's
 * variants differ only in whom they may leave asleep, and the counts of
 * the _nr forms limit exclusive waiters only.
 */
static inline void wake_up(wait_queue_head_t *wq_head)
{
	bh_wake_up(wq_head);
}

static inline void wake_up_all(wait_queue_head_t *wq_head)
{
	bh_wake_up_all(wq_head);
}

static inline void wake_up_nr(wait_queue_head_t *wq_head, int nr)
{
	(void)nr;
	bh_wake_up_all(wq_head);
}

static inline void wake_up_interruptible(wait_queue_head_t *wq_head)
{
	bh_wake_up_interruptible(wq_head);
}

static inline void wake_up_interruptible_all(wait_queue_head_t *wq_head)
{
	bh_wake_up_all(wq_head);
}

static inline void wake_up_interruptible_nr(wait_queue_head_t *wq_head, int nr)
{
	(void)nr;
	bh_wake_up_all(wq_head);
}

/* _sync only hints that the waker is about to sleep itself. */
static inline void wake_up_interruptible_sync(wait_queue_head_t *wq_head)
{
	bh_wake_up_interruptible(wq_head);
}

/*
 * True if a thread sleeps on the queue now. As in the kernel, a waker that
 * tests it to skip wake_up() needs a full barrier between making the
 * condition true and the test, or a waiter that has just found the
 * condition false is missed; wq_has_sleeper() includes that barrier.
 * wake_up() itself makes no system call when nobody sleeps, so the test
 * saves little here.
 */
static inline int waitqueue_active(wait_queue_head_t *wq_head)
{
	return bh_waitqueue_active(wq_head);
}

static inline bool wq_has_sleeper(wait_queue_head_t *wq_head)
{
	/*
	 * The barrier is a read-modify-write of the sleeper count rather than
	 * a fence (which ThreadSanitizer does not model): a waiter registers
	 * with a read-modify-write of the same count, so the two are ordered.
	 * If the waiter's comes first, this reads it; if this comes first,
	 * the waiter's reads this one and synchronises with it, so its
	 * condition check sees the caller's earlier stores.
	 */
	return __atomic_fetch_add(&wq_head->sleepers, 0, __ATOMIC_SEQ_CST) != 0;
}

#endif
