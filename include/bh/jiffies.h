/* SPDX-License-Identifier: MIT */
/*
 * jiffies: ticks of 1/HZ second since an origin chosen as the kernel's, so
 * that the low 32 bits wrap five minutes after bh_init() (INITIAL_JIFFIES)
 * and code that compares jiffies without the time_after family breaks early.
 *
 * There is no periodic tick: jiffies is computed from CLOCK_MONOTONIC when
 * read. In deterministic mode it is a virtual clock that only
 * bh_advance_jiffies() moves.
 */
#ifndef BH_JIFFIES_H
#define BH_JIFFIES_H

#include <stdbool.h>

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Current jiffies. Async-signal-safe, no system call (vDSO clock). */
BH_API unsigned long bh_jiffies(void);
BH_API unsigned long long bh_get_jiffies_64(void);

/* Conversions at the runtime's HZ; *_to_jiffies round up, as the kernel's. */
BH_API unsigned long bh_msecs_to_jiffies(unsigned int ms);
BH_API unsigned long bh_usecs_to_jiffies(unsigned int us);
BH_API unsigned int bh_jiffies_to_msecs(unsigned long j);
BH_API unsigned int bh_jiffies_to_usecs(unsigned long j);

/*
 * Deterministic mode only: move the virtual clock forward by `ticks`.
 * Returns 0, -EPERM when the runtime runs on the real clock, -ENXIO when
 * it is not running, or -ECHILD in a forked child.
 */
BH_API int bh_advance_jiffies(unsigned long ticks);

/*
 * Wrap-safe comparisons: correct as long as the two values are less than
 * half the range of unsigned long apart.
 */
#define bh_time_after(a, b)                                                    \
	((long)((unsigned long)(b) - (unsigned long)(a)) < 0)
#define bh_time_before(a, b) bh_time_after(b, a)
#define bh_time_after_eq(a, b)                                                 \
	((long)((unsigned long)(a) - (unsigned long)(b)) >= 0)
#define bh_time_before_eq(a, b) bh_time_after_eq(b, a)
#define bh_time_in_range(a, b, c)                                              \
	(bh_time_after_eq(a, b) && bh_time_before_eq(a, c))
#define bh_time_is_after_jiffies(a)  bh_time_after(a, bh_jiffies())
#define bh_time_is_before_jiffies(a) bh_time_before(a, bh_jiffies())
#define bh_time_after64(a, b)                                                  \
	((long long)((unsigned long long)(b) - (unsigned long long)(a)) < 0)
#define bh_time_before64(a, b) bh_time_after64(b, a)

#ifdef __cplusplus
}
#endif

#endif
