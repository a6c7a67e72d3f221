/* SPDX-License-Identifier: MIT */
/*
 * <linux/hrtimer.h>: high-resolution timers over bh_hrtimer_*()
 * (<bh/hrtimer.h>, where the rules are).
 *
 * As in the kernel: HRTIMER_MODE_HARD callbacks (and those with neither
 * SOFT nor HARD, as without PREEMPT_RT) run in hardirq context, in_hardirq()
 * true; HRTIMER_MODE_SOFT ones in softirq context (HRTIMER_SOFTIRQ). A
 * callback that returns HRTIMER_RESTART after hrtimer_forward() or
 * hrtimer_forward_now() is re-armed; hrtimer_cancel() waits for a running
 * callback; a callback never runs concurrently with itself; arming never
 * allocates.
 *
 * Where user space differs: the "timer interrupt" is one library thread for
 * all bh CPUs, so HARD callbacks of different CPUs do not run in parallel;
 * the slack of hrtimer_start_range_ns() is recorded, not used; a jump of
 * CLOCK_REALTIME does not move armed timers; hrtimer_init() and
 * hrtimer_setup() need a running runtime (they start that thread) and
 * return nothing here, as in the kernel, having warned on misuse.
 */
#ifndef BH_COMPAT_LINUX_HRTIMER_H
#define BH_COMPAT_LINUX_HRTIMER_H

#include <sys/types.h>
#include <time.h>

#include <bh/hrtimer.h>

#include <linux/ktime.h>
#include <linux/types.h>

/* The clocks, should <time.h> not give them (strict ISO C); the values
 * are Linux's, spelled as glibc spells them. */
#ifndef CLOCK_MONOTONIC
#define CLOCK_REALTIME	0
#define CLOCK_MONOTONIC 1
#define CLOCK_BOOTTIME	7
#define CLOCK_TAI	11
typedef int clockid_t;
#endif

#define hrtimer		bh_hrtimer
#define hrtimer_restart bh_hrtimer_restart
#define hrtimer_mode	bh_hrtimer_mode

#define HRTIMER_NORESTART BH_HRTIMER_NORESTART
#define HRTIMER_RESTART	  BH_HRTIMER_RESTART

#define HRTIMER_MODE_ABS	     BH_HRTIMER_MODE_ABS
#define HRTIMER_MODE_REL	     BH_HRTIMER_MODE_REL
#define HRTIMER_MODE_PINNED	     BH_HRTIMER_MODE_PINNED
#define HRTIMER_MODE_SOFT	     BH_HRTIMER_MODE_SOFT
#define HRTIMER_MODE_HARD	     BH_HRTIMER_MODE_HARD
#define HRTIMER_MODE_ABS_PINNED	     BH_HRTIMER_MODE_ABS_PINNED
#define HRTIMER_MODE_REL_PINNED	     BH_HRTIMER_MODE_REL_PINNED
#define HRTIMER_MODE_ABS_SOFT	     BH_HRTIMER_MODE_ABS_SOFT
#define HRTIMER_MODE_REL_SOFT	     BH_HRTIMER_MODE_REL_SOFT
#define HRTIMER_MODE_ABS_PINNED_SOFT BH_HRTIMER_MODE_ABS_PINNED_SOFT
#define HRTIMER_MODE_REL_PINNED_SOFT BH_HRTIMER_MODE_REL_PINNED_SOFT
#define HRTIMER_MODE_ABS_HARD	     BH_HRTIMER_MODE_ABS_HARD
#define HRTIMER_MODE_REL_HARD	     BH_HRTIMER_MODE_REL_HARD
#define HRTIMER_MODE_ABS_PINNED_HARD BH_HRTIMER_MODE_ABS_PINNED_HARD
#define HRTIMER_MODE_REL_PINNED_HARD BH_HRTIMER_MODE_REL_PINNED_HARD

/* The resolution hrtimer_forward() rounds a tiny interval up to. */
#define HIGH_RES_NSEC	   1
#define KTIME_HIGH_RES	   ((ktime_t)HIGH_RES_NSEC)
#define MONOTONIC_RES_NSEC HIGH_RES_NSEC

/* Before 6.13: init, then set ->function. */
static inline void hrtimer_init(struct hrtimer *timer, clockid_t which_clock,
				enum hrtimer_mode mode)
{
	(void)bh_hrtimer_init(timer, which_clock, mode);
}

/* 6.13+. */
static inline void
hrtimer_setup(struct hrtimer *timer,
	      enum hrtimer_restart (*function)(struct hrtimer *),
	      clockid_t clock_id, enum hrtimer_mode mode)
{
	(void)bh_hrtimer_setup(timer, function, clock_id, mode);
}

static inline void hrtimer_start_range_ns(struct hrtimer *timer, ktime_t tim,
					  u64 range_ns,
					  const enum hrtimer_mode mode)
{
	(void)bh_hrtimer_start_range_ns(timer, tim, range_ns, mode);
}

static inline void hrtimer_start(struct hrtimer *timer, ktime_t tim,
				 const enum hrtimer_mode mode)
{
	(void)bh_hrtimer_start_range_ns(timer, tim, 0, mode);
}

static inline void hrtimer_start_expires(struct hrtimer *timer,
					 enum hrtimer_mode mode)
{
	(void)bh_hrtimer_start_range_ns(
		timer, timer->softexpires,
		(u64)(timer->expires - timer->softexpires),
		(enum hrtimer_mode)(mode & ~HRTIMER_MODE_REL));
}

static inline void hrtimer_restart(struct hrtimer *timer)
{
	hrtimer_start_expires(timer, HRTIMER_MODE_ABS);
}

static inline u64 hrtimer_forward(struct hrtimer *timer, ktime_t now,
				  ktime_t interval)
{
	return bh_hrtimer_forward(timer, now, interval);
}

static inline u64 hrtimer_forward_now(struct hrtimer *timer, ktime_t interval)
{
	return bh_hrtimer_forward_now(timer, interval);
}

static inline int hrtimer_cancel(struct hrtimer *timer)
{
	return bh_hrtimer_cancel(timer);
}

static inline int hrtimer_try_to_cancel(struct hrtimer *timer)
{
	return bh_hrtimer_try_to_cancel(timer);
}

static inline bool hrtimer_active(const struct hrtimer *timer)
{
	return bh_hrtimer_active(timer);
}

static inline bool hrtimer_is_queued(struct hrtimer *timer)
{
	return bh_hrtimer_is_queued(timer);
}

static inline bool hrtimer_callback_running(struct hrtimer *timer)
{
	return bh_hrtimer_callback_running(timer);
}

static inline ktime_t hrtimer_get_remaining(const struct hrtimer *timer)
{
	return bh_hrtimer_get_remaining(timer);
}

static inline ktime_t hrtimer_expires_remaining(const struct hrtimer *timer)
{
	return bh_hrtimer_get_remaining(timer);
}

static inline ktime_t hrtimer_cb_get_time(const struct hrtimer *timer)
{
	return bh_hrtimer_cb_get_time(timer);
}

static inline ktime_t hrtimer_get_expires(const struct hrtimer *timer)
{
	return timer->expires;
}

static inline ktime_t hrtimer_get_softexpires(const struct hrtimer *timer)
{
	return timer->softexpires;
}

static inline s64 hrtimer_get_expires_ns(const struct hrtimer *timer)
{
	return timer->expires;
}

static inline void hrtimer_set_expires(struct hrtimer *timer, ktime_t time)
{
	timer->softexpires = timer->expires = time;
}

static inline void hrtimer_set_expires_range_ns(struct hrtimer *timer,
						ktime_t time, u64 delta)
{
	timer->softexpires = time;
	timer->expires = ktime_add_ns(time, delta);
}

static inline void hrtimer_add_expires_ns(struct hrtimer *timer, u64 ns)
{
	timer->softexpires = ktime_add_ns(timer->softexpires, ns);
	timer->expires = ktime_add_ns(timer->expires, ns);
}

static inline void hrtimer_add_expires(struct hrtimer *timer, ktime_t time)
{
	timer->softexpires = ktime_add(timer->softexpires, time);
	timer->expires = ktime_add(timer->expires, time);
}

#endif
