// SPDX-License-Identifier: MIT
/*
 * Delays (sleeping and busy-waiting) and the ktime clock.
 */
#include <errno.h>
#include <time.h>

#include "internal.h"

static uint64_t realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

bh_ktime_t bh_ktime_get(void)
{
	return (bh_ktime_t)bh__monotonic_ns();
}

uint64_t bh_ktime_get_ns(void)
{
	return bh__monotonic_ns();
}

uint64_t bh_ktime_get_real_ns(void)
{
	return realtime_ns();
}

/*
 * Sleep until jiffies reaches `end`; returns the jiffies left if a signal
 * handler ended it early and `interruptible`, else 0.
 */
static unsigned long sleep_until(unsigned long end, bool interruptible)
{
	uint32_t never = 0; /* nobody wakes this word: only time ends it */
	for (;;) {
		int r = bh__sleep_on(&never, 0, &end, interruptible);
		if (r == -ETIMEDOUT)
			return 0;
		if (r == -EINTR) {
			long left = (long)(end - bh_jiffies());
			return left > 0 ? (unsigned long)left : 0;
		}
	}
}

void bh_msleep(unsigned int msecs)
{
	bh_might_sleep();
	/* +1: the next jiffy may start at once (the kernel's msleep()). */
	sleep_until(bh_jiffies() + bh_msecs_to_jiffies(msecs) + 1, false);
}

unsigned long bh_msleep_interruptible(unsigned int msecs)
{
	bh_might_sleep();
	unsigned long left = sleep_until(
		bh_jiffies() + bh_msecs_to_jiffies(msecs) + 1, true);
	return bh_jiffies_to_msecs(left);
}

void bh_ssleep(unsigned int seconds)
{
	bh_msleep(seconds * 1000);
}

void bh_usleep_range(unsigned long min_us, unsigned long max_us)
{
	(void)max_us; /* the slack only lets the kernel batch wake-ups */
	bh_might_sleep();
	uint64_t end = bh__monotonic_ns() + (uint64_t)min_us * 1000u;
	struct timespec ts = {(time_t)(end / 1000000000u),
			      (long)(end % 1000000000u)};
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

void bh_ndelay(unsigned long nsecs)
{
	uint64_t end = bh__monotonic_ns() + nsecs;
	while (bh__monotonic_ns() < end)
		bh__cpu_relax();
}

void bh_udelay(unsigned long usecs)
{
	bh_ndelay(usecs * 1000u);
}

void bh_mdelay(unsigned long msecs)
{
	bh_ndelay(msecs * 1000000u);
}
