/* SPDX-License-Identifier: MIT */
/*
 * <linux/jiffies.h>: jiffies, HZ, conversions and wrap-safe comparisons.
 *
 * Two differences from the kernel that user space forces (docs/COMPAT.md):
 *
 * - `jiffies` is not a variable but a macro that reads the runtime's clock
 *   (bh_jiffies()). Reading it works everywhere; assigning to it, taking
 *   its address or declaring `extern unsigned long jiffies` does not. In
 *   deterministic mode only bh_advance_jiffies() moves it. `jiffies_64`
 *   likewise reads get_jiffies_64().
 *
 * - `HZ` is the runtime's tick rate (bh_config.hz, 250 by default), an int
 *   read at run time, not a preprocessor constant: `#if HZ == 1000` cannot
 *   work, and HZ cannot size a static array or appear in a static
 *   initialiser. INITIAL_JIFFIES depends on it, so it is a run-time value
 *   too. <sys/param.h> defines HZ as 100 (the tick user space sees in
 *   times()) unless HZ is defined; this header replaces that definition.
 *
 * time_after() and friends check, as the kernel does, that their arguments
 * are unsigned long (u64 for the *64 forms): a jiffies value truncated to
 * int or u32 wraps early and breaks the comparison.
 */
#ifndef BH_COMPAT_LINUX_JIFFIES_H
#define BH_COMPAT_LINUX_JIFFIES_H

#include <limits.h>

#include <bh/jiffies.h>
#include <bh/runtime.h>

#include <linux/typecheck.h>
#include <linux/types.h>

#define jiffies	   (bh_jiffies())
#define jiffies_64 (get_jiffies_64())

#undef HZ
#define HZ ((int)bh_hz())

/* Five minutes of ticks before the low 32 bits wrap, as in the kernel. */
#define INITIAL_JIFFIES ((unsigned long)(unsigned int)(-300 * HZ))

/* The largest timeout the conversions return ("forever" for timers). */
#define MAX_JIFFY_OFFSET ((LONG_MAX >> 1) - 1)

static inline u64 get_jiffies_64(void)
{
	return bh_get_jiffies_64();
}

static inline unsigned long msecs_to_jiffies(const unsigned int m)
{
	return bh_msecs_to_jiffies(m);
}

static inline unsigned long usecs_to_jiffies(const unsigned int u)
{
	return bh_usecs_to_jiffies(u);
}

static inline unsigned int jiffies_to_msecs(const unsigned long j)
{
	return bh_jiffies_to_msecs(j);
}

static inline unsigned int jiffies_to_usecs(const unsigned long j)
{
	return bh_jiffies_to_usecs(j);
}

#define time_after(a, b)                                                       \
	((void)typecheck(unsigned long, a), (void)typecheck(unsigned long, b), \
	 bh_time_after(a, b))
#define time_before(a, b) time_after(b, a)
#define time_after_eq(a, b)                                                    \
	((void)typecheck(unsigned long, a), (void)typecheck(unsigned long, b), \
	 bh_time_after_eq(a, b))
#define time_before_eq(a, b) time_after_eq(b, a)

/* b <= a <= c, and the half-open b <= a < c. */
#define time_in_range(a, b, c)	    (time_after_eq(a, b) && time_before_eq(a, c))
#define time_in_range_open(a, b, c) (time_after_eq(a, b) && time_before(a, c))

#define time_is_before_jiffies(a)    time_after(jiffies, a)
#define time_is_after_jiffies(a)     time_before(jiffies, a)
#define time_is_before_eq_jiffies(a) time_after_eq(jiffies, a)
#define time_is_after_eq_jiffies(a)  time_before_eq(jiffies, a)

#define time_after64(a, b)                                                     \
	((void)typecheck(u64, a), (void)typecheck(u64, b),                     \
	 bh_time_after64(a, b))
#define time_before64(a, b) time_after64(b, a)
#define time_after_eq64(a, b)                                                  \
	((void)typecheck(u64, a), (void)typecheck(u64, b),                     \
	 (long long)((a) - (b)) >= 0)
#define time_before_eq64(a, b) time_after_eq64(b, a)
#define time_in_range64(a, b, c)                                               \
	(time_after_eq64(a, b) && time_before_eq64(a, c))

#endif
