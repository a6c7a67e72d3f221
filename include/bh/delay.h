/* SPDX-License-Identifier: MIT */
/*
 * Delays and clocks.
 *
 * msleep()/ssleep() sleep for at least the time asked, rounded up to
 * jiffies plus one as the kernel's (a jiffy boundary may be imminent), on
 * the virtual clock in deterministic mode. usleep_range() sleeps on the
 * real clock (hrtimer-based in the kernel, so not in jiffies). All the
 * sleeping calls check the context (SPEC U8).
 *
 * udelay()/ndelay()/mdelay() busy-wait on the real clock and are allowed
 * in any context, as the kernel's, and like the kernel's they are for short
 * delays: in atomic context prefer microseconds.
 *
 * ktime is nanoseconds of CLOCK_MONOTONIC (the real clock in every mode).
 */
#ifndef BH_DELAY_H
#define BH_DELAY_H

#include <stdint.h>

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

BH_API void bh_msleep(unsigned int msecs);
/* Returns the milliseconds left if a signal handler ended the sleep early. */
BH_API unsigned long bh_msleep_interruptible(unsigned int msecs);
BH_API void bh_ssleep(unsigned int seconds);
BH_API void bh_usleep_range(unsigned long min_us, unsigned long max_us);

BH_API void bh_ndelay(unsigned long nsecs);
BH_API void bh_udelay(unsigned long usecs);
BH_API void bh_mdelay(unsigned long msecs);

typedef int64_t bh_ktime_t;

BH_API bh_ktime_t bh_ktime_get(void);
BH_API uint64_t bh_ktime_get_ns(void);
BH_API uint64_t bh_ktime_get_real_ns(void);

static inline int64_t bh_ktime_to_ns(bh_ktime_t kt)
{
	return kt;
}
static inline int64_t bh_ktime_to_us(bh_ktime_t kt)
{
	return kt / 1000;
}
static inline int64_t bh_ktime_to_ms(bh_ktime_t kt)
{
	return kt / 1000000;
}
static inline bh_ktime_t bh_ns_to_ktime(uint64_t ns)
{
	return (bh_ktime_t)ns;
}
static inline bh_ktime_t bh_ms_to_ktime(uint64_t ms)
{
	return (bh_ktime_t)(ms * 1000000);
}
static inline bh_ktime_t bh_ktime_add(bh_ktime_t a, bh_ktime_t b)
{
	return a + b;
}
static inline bh_ktime_t bh_ktime_sub(bh_ktime_t a, bh_ktime_t b)
{
	return a - b;
}
static inline int bh_ktime_compare(bh_ktime_t a, bh_ktime_t b)
{
	return a < b ? -1 : a > b ? 1 : 0;
}

#ifdef __cplusplus
}
#endif

#endif
