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

#include <time.h>

#include <linux/ktime.h>
#include <linux/types.h>

typedef s64 time64_t;

struct timespec64 {
	time64_t tv_sec; /* seconds */
	long tv_nsec;	 /* nanoseconds, 0 .. NSEC_PER_SEC - 1 */
};

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

/*
 * The other clocks, read the same way (any context), where <time.h>
 * declares clock_gettime() (POSIX; not under strict ISO C, where these
 * few are left out). There is no suspend in user space to tell BOOTTIME
 * from MONOTONIC, but clock_gettime(CLOCK_BOOTTIME) is read all the same.
 */
#if defined(_POSIX_C_SOURCE) && _POSIX_C_SOURCE >= 199309L
static inline ktime_t bh__compat_clock_ktime(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (ktime_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static inline ktime_t ktime_get_boottime(void)
{
	return bh__compat_clock_ktime(CLOCK_BOOTTIME);
}

static inline ktime_t ktime_get_clocktai(void)
{
	return bh__compat_clock_ktime(CLOCK_TAI);
}

static inline ktime_t ktime_get_raw(void)
{
	return bh__compat_clock_ktime(CLOCK_MONOTONIC_RAW);
}

static inline u64 ktime_get_boottime_ns(void)
{
	return (u64)ktime_get_boottime();
}

static inline u64 ktime_get_raw_ns(void)
{
	return (u64)ktime_get_raw();
}
#endif

/* Whole seconds of CLOCK_MONOTONIC and CLOCK_REALTIME. */
static inline time64_t ktime_get_seconds(void)
{
	return ktime_get() / NSEC_PER_SEC;
}

static inline time64_t ktime_get_real_seconds(void)
{
	return ktime_get_real() / NSEC_PER_SEC;
}

/* struct timespec64 and its conversions (the kernel's y2038-safe form). */
static inline struct timespec64 ns_to_timespec64(s64 nsec)
{
	struct timespec64 ts = {nsec / NSEC_PER_SEC, nsec % NSEC_PER_SEC};
	if (ts.tv_nsec < 0) {
		/* Floor, as the kernel's: tv_nsec in [0, NSEC_PER_SEC). */
		ts.tv_sec--;
		ts.tv_nsec += NSEC_PER_SEC;
	}
	return ts;
}

static inline struct timespec64 ktime_to_timespec64(ktime_t kt)
{
	return ns_to_timespec64(kt);
}

static inline ktime_t timespec64_to_ktime(struct timespec64 ts)
{
	return ktime_set(ts.tv_sec, (unsigned long)ts.tv_nsec);
}

static inline s64 timespec64_to_ns(const struct timespec64 *ts)
{
	return ts->tv_sec * NSEC_PER_SEC + ts->tv_nsec;
}

static inline void ktime_get_ts64(struct timespec64 *ts)
{
	*ts = ns_to_timespec64(ktime_get());
}

static inline void ktime_get_real_ts64(struct timespec64 *ts)
{
	*ts = ns_to_timespec64(ktime_get_real());
}

#endif
