/* SPDX-License-Identifier: MIT */
/*
 * <linux/smp.h>: which bh CPU the caller is on.
 *
 * In plain task context the answer follows the thread's real CPU (or
 * bh_thread_set_cpu()) and may change at any moment, as the kernel's
 * raw_smp_processor_id() may; inside an atomic section (get_cpu(), a
 * spinlock, bh or irqs off, a bottom half) it is fixed for the section.
 * The kernel's debug check that smp_processor_id() is only called with
 * preemption off is not made: both names return the same value.
 */
#ifndef BH_COMPAT_LINUX_SMP_H
#define BH_COMPAT_LINUX_SMP_H

#include <bh/context.h>

#include <linux/preempt.h>

static inline int smp_processor_id(void)
{
	return bh_smp_processor_id();
}

static inline int raw_smp_processor_id(void)
{
	return bh_smp_processor_id();
}

/* preempt_disable() first: the id then stays valid until put_cpu(). */
static inline int get_cpu(void)
{
	bh_preempt_disable();
	return bh_smp_processor_id();
}

static inline void put_cpu(void)
{
	bh_preempt_enable();
}

#endif
