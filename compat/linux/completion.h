/* SPDX-License-Identifier: MIT */
/*
 * <linux/completion.h>: struct completion and its calls.
 *
 * struct completion is struct bh_completion under its kernel name, a count
 * of completions not yet consumed. complete() lets one waiter through,
 * present or future; complete_all() lets every waiter through until
 * reinit_completion(). Both take no lock and allocate nothing, so a top
 * half, a softirq or a tasklet may call them (SPEC U1): "the interrupt
 * completes, the process wakes" works as in a driver.
 *
 * The waits may sleep and check the context (SPEC U8). Interruptible waits
 * return -ERESTARTSYS when a signal handler ran on the waiting thread;
 * killable and _io waits are plain waits (a fatal signal ends the process;
 * there is no I/O accounting). Timeouts are in jiffies, on the virtual
 * clock in deterministic mode.
 *
 * `completion` is a macro for the native tag, as `tasklet_struct` is, so
 * that a struct completion is a struct bh_completion: any identifier
 * spelled `completion` in a unit that includes this header is renamed
 * with it, consistently.
 */
#ifndef BH_COMPAT_LINUX_COMPLETION_H
#define BH_COMPAT_LINUX_COMPLETION_H

#include <stdbool.h>

#include <bh/completion.h>

#include <linux/errno.h>
#include <linux/jiffies.h>
#include <linux/wait.h>

#define completion bh_completion

/* For struct initialisers: `.done = COMPLETION_INITIALIZER(x.done)`. */
#define COMPLETION_INITIALIZER(work) BH_COMPLETION_INITIALIZER
/* An expression, as the kernel's: `struct completion c =
 * COMPLETION_INITIALIZER_ONSTACK(c);` initialises c and copies it onto
 * itself. */
#define COMPLETION_INITIALIZER_ONSTACK(work)                                   \
	({                                                                     \
		init_completion(&(work));                                      \
		(work);                                                        \
	})
#define DECLARE_COMPLETION(work)                                               \
	struct completion work = BH_COMPLETION_INITIALIZER
/* Lockdep needs the on-stack form in the kernel; here it is the same. */
#define DECLARE_COMPLETION_ONSTACK(work) DECLARE_COMPLETION(work)

static inline void init_completion(struct completion *x)
{
	bh_init_completion(x);
}

/* Forget earlier completions; not while the completion is waited on. */
static inline void reinit_completion(struct completion *x)
{
	bh_reinit_completion(x);
}

/* The name before 3.13, which took the object rather than its address. */
#define INIT_COMPLETION(x) reinit_completion(&(x))

static inline void complete(struct completion *x)
{
	bh_complete(x);
}

static inline void complete_all(struct completion *x)
{
	bh_complete_all(x);
}

static inline void wait_for_completion(struct completion *x)
{
	bh_wait_for_completion(x);
}

/* 0 on timeout, else the jiffies left (at least 1). */
static inline unsigned long wait_for_completion_timeout(struct completion *x,
							unsigned long timeout)
{
	return bh_wait_for_completion_timeout(x, timeout);
}

/* 0, or -ERESTARTSYS if a signal handler ran on this thread. */
static inline int wait_for_completion_interruptible(struct completion *x)
{
	return bh_wait_for_completion_interruptible(x);
}

/* -ERESTARTSYS, 0 on timeout, else the jiffies left (at least 1). */
static inline long
wait_for_completion_interruptible_timeout(struct completion *x,
					  unsigned long timeout)
{
	return bh_wait_for_completion_interruptible_timeout(x, timeout);
}

static inline int wait_for_completion_killable(struct completion *x)
{
	bh_wait_for_completion(x);
	return 0;
}

static inline long wait_for_completion_killable_timeout(struct completion *x,
							unsigned long timeout)
{
	return (long)bh_wait_for_completion_timeout(x, timeout);
}

static inline void wait_for_completion_io(struct completion *x)
{
	bh_wait_for_completion(x);
}

static inline unsigned long
wait_for_completion_io_timeout(struct completion *x, unsigned long timeout)
{
	return bh_wait_for_completion_timeout(x, timeout);
}

/* Consume a completion if there is one, without sleeping; any context. */
static inline bool try_wait_for_completion(struct completion *x)
{
	return bh_try_wait_for_completion(x);
}

/* True if a wait would not sleep now (advisory). */
static inline bool completion_done(struct completion *x)
{
	return bh_completion_done(x);
}

#endif
