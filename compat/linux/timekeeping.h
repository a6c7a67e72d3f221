/* SPDX-License-Identifier: MIT */
/*
 * <linux/timekeeping.h>: reading the clocks as ktime_t or nanoseconds.
 *
 * ktime_get() and ktime_get_ns() read CLOCK_MONOTONIC, ktime_get_real()
 * and ktime_get_real_ns() CLOCK_REALTIME, in every mode (deterministic
 * mode's virtual clock is jiffies only). Any context: clock_gettime() is
 * async-signal-safe and, through the vDSO, makes no system call.
 *
 * This header and <linux/ktime.h> include each other, as the kernel's do:
 * either may be included first.
 */
#ifndef BH_COMPAT_LINUX_TIMEKEEPING_H
#define BH_COMPAT_LINUX_TIMEKEEPING_H

#include <bh/delay.h>

#include <linux/ktime.h>
#include <linux/types.h>

static inline ktime_t ktime_get(void)
{
	return bh_ktime_get();
}

static inline u64 ktime_get_ns(void)
{
	return bh_ktime_get_ns();
}

static inline ktime_t ktime_get_real(void)
{
	return (ktime_t)bh_ktime_get_real_ns();
}

static inline u64 ktime_get_real_ns(void)
{
	return bh_ktime_get_real_ns();
}

#endif
