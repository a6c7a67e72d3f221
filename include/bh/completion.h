/* SPDX-License-Identifier: MIT */
/*
 * Completions: "this has happened", counted. complete() lets one waiter
 * (present or future) through; complete_all() lets every waiter through
 * until reinit_completion().
 *
 * The count is the futex word. complete() and complete_all() take no lock,
 * allocate nothing and make a system call only when someone sleeps: they
 * may be called from top halves, softirqs and tasklets (SPEC U1). The
 * waits may sleep and check the context (SPEC U8). Timeouts are in
 * jiffies (virtual ones in deterministic mode).
 */
#ifndef BH_COMPLETION_H
#define BH_COMPLETION_H

#include <stdbool.h>
#include <stdint.h>

#include "export.h"
#include "wait.h" /* BH_ERESTARTSYS */

#ifdef __cplusplus
extern "C" {
#endif

struct bh_completion {
	uint32_t done;	   /* private: unconsumed completions, waiter flag */
	uint32_t sleepers; /* threads inside the futex wait */
};

#define BH_COMPLETION_INITIALIZER                                              \
	{                                                                      \
		0, 0                                                           \
	}
#define BH_DECLARE_COMPLETION(name)                                            \
	struct bh_completion name = BH_COMPLETION_INITIALIZER

BH_API void bh_init_completion(struct bh_completion *x);
/* Forget earlier completions (also complete_all()); not while waited on. */
BH_API void bh_reinit_completion(struct bh_completion *x);

/* Any context, async-signal-safe. */
BH_API void bh_complete(struct bh_completion *x);
BH_API void bh_complete_all(struct bh_completion *x);

/* Sleep until completed, consuming one completion (none after _all). */
BH_API void bh_wait_for_completion(struct bh_completion *x);
/* 0 on timeout, else the jiffies left (at least 1). */
BH_API unsigned long bh_wait_for_completion_timeout(struct bh_completion *x,
						    unsigned long timeout);
/* 0, or -BH_ERESTARTSYS if a signal handler ran on this thread. */
BH_API int bh_wait_for_completion_interruptible(struct bh_completion *x);
/* -BH_ERESTARTSYS, 0 on timeout, else the jiffies left (at least 1). */
BH_API long
bh_wait_for_completion_interruptible_timeout(struct bh_completion *x,
					     unsigned long timeout);

/* Consume a completion if there is one, without sleeping; any context. */
BH_API bool bh_try_wait_for_completion(struct bh_completion *x);
/* True if a wait would not sleep now (advisory). */
BH_API bool bh_completion_done(struct bh_completion *x);

#ifdef __cplusplus
}
#endif

#endif
