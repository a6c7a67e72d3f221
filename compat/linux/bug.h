/* SPDX-License-Identifier: MIT */
/*
 * <linux/bug.h>: BUG, BUG_ON, the WARN family and BUILD_BUG_ON.
 *
 * WARN* report through the library's WARN machinery (a "WARNING:" report
 * with the caller's file, line and function and a backtrace on the log
 * sink; fatal when the runtime was started with warn_fatal), and yield the
 * condition, so `if (WARN_ON(x))` works as in the kernel.
 *
 * BUG() logs the kernel's "kernel BUG at file:line!" report through
 * bh__bug() and then abort()s the process: a BUG is an oops, and in user
 * space the nearest thing is a core dump at the faulting line.
 */
#ifndef BH_COMPAT_LINUX_BUG_H
#define BH_COMPAT_LINUX_BUG_H

#include <stdbool.h>
#include <stdlib.h>

#include <bh/log.h>

#include <linux/compiler.h>

#define WARN(condition, ...)	  BH_WARN(condition, __VA_ARGS__)
#define WARN_ON(condition)	  BH_WARN_ON(condition)
#define WARN_ONCE(condition, ...) BH_WARN_ONCE(condition, __VA_ARGS__)
#define WARN_ON_ONCE(condition)	  BH_WARN_ON_ONCE(condition)

#define BUG()                                                                  \
	do {                                                                   \
		bh__bug(__FILE__, __LINE__, __func__, "kernel BUG at %s:%d!",  \
			__FILE__, __LINE__);                                   \
		abort();                                                       \
	} while (0)

#define BUG_ON(condition)                                                      \
	do {                                                                   \
		if (unlikely(condition))                                       \
			BUG();                                                 \
	} while (0)

/* A statement, like the kernel's: use it inside a function body. */
#define BUILD_BUG_ON(condition)                                                \
	do {                                                                   \
		_Static_assert(!(condition),                                   \
			       "BUILD_BUG_ON failed: " #condition);            \
	} while (0)

#endif
