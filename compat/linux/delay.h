/* SPDX-License-Identifier: MIT */
/*
 * <linux/delay.h>: sleeping delays (msleep, ssleep, usleep_range, fsleep)
 * and busy-waiting ones (udelay, ndelay, mdelay).
 *
 * msleep() and ssleep() sleep for at least the time asked, rounded up to
 * jiffies plus one, as the kernel's (the next jiffy may begin at once); in
 * deterministic mode they are measured on the virtual clock and end only
 * when bh_advance_jiffies() has moved it far enough. usleep_range() sleeps
 * at least `min` microseconds on the real clock in every mode and ignores
 * `max`: the slack only lets the kernel merge timer interrupts. All the
 * sleeping forms check the context (SPEC U8).
 *
 * udelay(), ndelay() and mdelay() spin on the real clock and may be called
 * in any context, as the kernel's; like the kernel's they are for short
 * waits, and the kernel's compile-time rejection of large constant
 * udelay() arguments is not reproduced.
 */
#ifndef BH_COMPAT_LINUX_DELAY_H
#define BH_COMPAT_LINUX_DELAY_H

#include <bh/delay.h>

#include <linux/jiffies.h>
#include <linux/kernel.h>

static inline void msleep(unsigned int msecs)
{
	bh_msleep(msecs);
}

/* The milliseconds left if a signal handler ended the sleep early, else 0. */
static inline unsigned long msleep_interruptible(unsigned int msecs)
{
	return bh_msleep_interruptible(msecs);
}

static inline void ssleep(unsigned int seconds)
{
	bh_ssleep(seconds);
}

static inline void usleep_range(unsigned long min, unsigned long max)
{
	bh_usleep_range(min, max);
}

/*
 * "Flexible sleep" (5.8+): the kernel's advice on which delay suits a
 * duration, applied for the caller. Up to 10 us a sleep would cost more
 * than it waits, so it spins; up to 20 ms it takes an hrtimer-like sleep
 * with up to twice the time as slack; beyond, jiffy granularity is fine.
 */
static inline void fsleep(unsigned long usecs)
{
	if (usecs <= 10)
		bh_udelay(usecs);
	else if (usecs <= 20000)
		bh_usleep_range(usecs, 2 * usecs);
	else
		bh_msleep((unsigned int)DIV_ROUND_UP(usecs, 1000));
}

static inline void ndelay(unsigned long nsecs)
{
	bh_ndelay(nsecs);
}

static inline void udelay(unsigned long usecs)
{
	bh_udelay(usecs);
}

static inline void mdelay(unsigned long msecs)
{
	bh_mdelay(msecs);
}

#endif
