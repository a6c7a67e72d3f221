/* SPDX-License-Identifier: MIT */
/*
 * <linux/bottom_half.h>: bottom halves off and on for the calling thread
 * (SPEC S9, S10). Sections nest; the outermost local_bh_enable() runs the
 * softirqs pending on this bh CPU.
 *
 * Unlike the kernel, where a bh-disabled section keeps every bottom half
 * off the CPU, several user-space threads share a bh CPU: the section
 * keeps softirqs off this thread, but ksoftirqd/N may still run them for
 * the same bh CPU. Guard data shared with a tasklet with spin_lock_bh(),
 * as SMP kernel code must anyway.
 */
#ifndef BH_COMPAT_LINUX_BOTTOM_HALF_H
#define BH_COMPAT_LINUX_BOTTOM_HALF_H

#include <bh/context.h>

#include <linux/preempt.h>

static inline void local_bh_disable(void)
{
	bh_local_bh_disable();
}

static inline void local_bh_enable(void)
{
	bh_local_bh_enable();
}

#endif
