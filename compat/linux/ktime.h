/* SPDX-License-Identifier: MIT */
/*
 * <linux/ktime.h>: ktime_t, nanoseconds as a signed 64-bit scalar, and its
 * arithmetic; the time-unit constants; and, as the kernel's includes
 * <linux/timekeeping.h>, the clock reads ktime_get() and friends.
 *
 * ktime_t is s64 (long long), as in the kernel, rather than the native
 * bh_ktime_t (int64_t, a long on LP64): both are 64-bit signed, so values
 * pass between them unchanged, and kernel code that prints a ktime_t or a
 * ktime_to_us() with %lld builds without format warnings.
 *
 * The clock is CLOCK_MONOTONIC, the real clock, in every mode: ktime does
 * not follow the virtual jiffies of deterministic mode.
 */
#ifndef BH_COMPAT_LINUX_KTIME_H
#define BH_COMPAT_LINUX_KTIME_H

#include <limits.h>
#include <stdbool.h>

#include <bh/delay.h>

#include <linux/jiffies.h>
#include <linux/types.h>

/* The kernel's <vdso/time64.h> constants, unless a header defined them. */
#ifndef MSEC_PER_SEC
#define MSEC_PER_SEC 1000L
#endif
#ifndef USEC_PER_MSEC
#define USEC_PER_MSEC 1000L
#endif
#ifndef NSEC_PER_USEC
#define NSEC_PER_USEC 1000L
#endif
#ifndef NSEC_PER_MSEC
#define NSEC_PER_MSEC 1000000L
#endif
#ifndef USEC_PER_SEC
#define USEC_PER_SEC 1000000L
#endif
#ifndef NSEC_PER_SEC
#define NSEC_PER_SEC 1000000000L
#endif

typedef s64 ktime_t;

_Static_assert(sizeof(ktime_t) == sizeof(bh_ktime_t) && (ktime_t)-1 < 0 &&
		       (bh_ktime_t)-1 < 0,
	       "ktime_t and bh_ktime_t hold the same values");

#define KTIME_MAX     ((s64)LLONG_MAX)
#define KTIME_MIN     ((s64)LLONG_MIN)
#define KTIME_SEC_MAX (KTIME_MAX / NSEC_PER_SEC)

/* secs:nsecs as a ktime_t, saturating at KTIME_MAX as the kernel's. */
static inline ktime_t ktime_set(const s64 secs, const unsigned long nsecs)
{
	if (secs >= KTIME_SEC_MAX)
		return KTIME_MAX;
	return secs * NSEC_PER_SEC + (s64)nsecs;
}

static inline ktime_t ktime_add(const ktime_t lhs, const ktime_t rhs)
{
	return lhs + rhs;
}

static inline ktime_t ktime_sub(const ktime_t lhs, const ktime_t rhs)
{
	return lhs - rhs;
}

static inline ktime_t ktime_add_ns(const ktime_t kt, const u64 nsec)
{
	return kt + (s64)nsec;
}

static inline ktime_t ktime_sub_ns(const ktime_t kt, const u64 nsec)
{
	return kt - (s64)nsec;
}

static inline ktime_t ktime_add_us(const ktime_t kt, const u64 usec)
{
	return ktime_add_ns(kt, usec * NSEC_PER_USEC);
}

static inline ktime_t ktime_sub_us(const ktime_t kt, const u64 usec)
{
	return ktime_sub_ns(kt, usec * NSEC_PER_USEC);
}

static inline ktime_t ktime_add_ms(const ktime_t kt, const u64 msec)
{
	return ktime_add_ns(kt, msec * NSEC_PER_MSEC);
}

static inline ktime_t ktime_sub_ms(const ktime_t kt, const u64 msec)
{
	return ktime_sub_ns(kt, msec * NSEC_PER_MSEC);
}

static inline s64 ktime_to_ns(const ktime_t kt)
{
	return bh_ktime_to_ns(kt);
}

static inline s64 ktime_to_us(const ktime_t kt)
{
	return bh_ktime_to_us(kt);
}

static inline s64 ktime_to_ms(const ktime_t kt)
{
	return bh_ktime_to_ms(kt);
}

/* Division truncates toward zero, as the kernel's on 64-bit machines. */
static inline s64 ktime_divns(const ktime_t kt, s64 div)
{
	return kt / div;
}

static inline ktime_t ns_to_ktime(u64 ns)
{
	return bh_ns_to_ktime(ns);
}

static inline ktime_t us_to_ktime(u64 us)
{
	return bh_ns_to_ktime(us * NSEC_PER_USEC);
}

static inline ktime_t ms_to_ktime(u64 ms)
{
	return bh_ms_to_ktime(ms);
}

/* <0, 0 or >0 as cmp1 is before, equal to or after cmp2. */
static inline int ktime_compare(const ktime_t cmp1, const ktime_t cmp2)
{
	return bh_ktime_compare(cmp1, cmp2);
}

static inline bool ktime_after(const ktime_t cmp1, const ktime_t cmp2)
{
	return ktime_compare(cmp1, cmp2) > 0;
}

static inline bool ktime_before(const ktime_t cmp1, const ktime_t cmp2)
{
	return ktime_compare(cmp1, cmp2) < 0;
}

/* later - earlier, in whole microseconds or milliseconds. */
static inline s64 ktime_us_delta(const ktime_t later, const ktime_t earlier)
{
	return ktime_to_us(ktime_sub(later, earlier));
}

static inline s64 ktime_ms_delta(const ktime_t later, const ktime_t earlier)
{
	return ktime_to_ms(ktime_sub(later, earlier));
}

#include <linux/timekeeping.h>

#endif
