/* SPDX-License-Identifier: MIT */
/*
 * <linux/hardirq.h>: entering and leaving hardirq context by hand.
 *
 * The library's own top-half dispatchers do this around every handler;
 * kernel-style code calls irq_enter()/irq_exit() itself only to simulate an
 * interrupt (a test, a model of a device). The outermost irq_exit() runs
 * pending softirqs (SPEC S9) unless bottom halves or interrupts are off on
 * this thread.
 */
#ifndef BH_COMPAT_LINUX_HARDIRQ_H
#define BH_COMPAT_LINUX_HARDIRQ_H

#include <bh/context.h>

#include <linux/preempt.h>

static inline void irq_enter(void)
{
	bh_irq_enter();
}

static inline void irq_exit(void)
{
	bh_irq_exit();
}

#endif
