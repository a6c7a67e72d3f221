/* SPDX-License-Identifier: MIT */
/*
 * <linux/preempt.h>: the calling thread's preempt count and the context
 * predicates read from it (SPEC S15).
 *
 * The count has the kernel's modern layout: PREEMPT bits 0-7, SOFTIRQ bits
 * 8-15 (SOFTIRQ_OFFSET while a softirq handler runs, SOFTIRQ_DISABLE_OFFSET
 * per local_bh_disable), HARDIRQ bits 16-19, NMI bits 20-23. It is per
 * thread, not per CPU: user-space threads sharing a bh CPU each have their
 * own. preempt_disable() moves the count (so might_sleep() splats inside
 * it) but cannot stop the OS scheduler from preempting the thread.
 *
 * The predicates return bool; the kernel's return the masked count, which
 * only matters to code that uses the value as a number.
 */
#ifndef BH_COMPAT_LINUX_PREEMPT_H
#define BH_COMPAT_LINUX_PREEMPT_H

#include <stdbool.h>

#include <bh/context.h>

#include <linux/irqflags.h>

#define PREEMPT_BITS 8
#define SOFTIRQ_BITS 8
#define HARDIRQ_BITS 4
#define NMI_BITS     4

#define PREEMPT_SHIFT 0
#define SOFTIRQ_SHIFT (PREEMPT_SHIFT + PREEMPT_BITS)
#define HARDIRQ_SHIFT (SOFTIRQ_SHIFT + SOFTIRQ_BITS)
#define NMI_SHIFT     (HARDIRQ_SHIFT + HARDIRQ_BITS)

#define PREEMPT_OFFSET	       BH_PREEMPT_OFFSET
#define PREEMPT_MASK	       BH_PREEMPT_MASK
#define SOFTIRQ_OFFSET	       BH_SOFTIRQ_OFFSET
#define SOFTIRQ_DISABLE_OFFSET BH_SOFTIRQ_DISABLE_OFFSET
#define SOFTIRQ_MASK	       BH_SOFTIRQ_MASK
#define HARDIRQ_OFFSET	       BH_HARDIRQ_OFFSET
#define HARDIRQ_MASK	       BH_HARDIRQ_MASK
#define NMI_OFFSET	       BH_NMI_OFFSET
#define NMI_MASK	       BH_NMI_MASK

_Static_assert(SOFTIRQ_OFFSET == 1u << SOFTIRQ_SHIFT &&
		       HARDIRQ_OFFSET == 1u << HARDIRQ_SHIFT &&
		       NMI_OFFSET == 1u << NMI_SHIFT,
	       "the native preempt-count layout is the kernel's");

static inline int preempt_count(void)
{
	return (int)bh_preempt_count();
}

static inline unsigned int hardirq_count(void)
{
	return bh_preempt_count() & HARDIRQ_MASK;
}

static inline unsigned int softirq_count(void)
{
	return bh_preempt_count() & SOFTIRQ_MASK;
}

static inline unsigned int irq_count(void)
{
	return bh_preempt_count() & (NMI_MASK | HARDIRQ_MASK | SOFTIRQ_MASK);
}

static inline bool in_nmi(void)
{
	return bh_in_nmi();
}

static inline bool in_hardirq(void)
{
	return bh_in_hardirq();
}

/* The name before 5.11. */
static inline bool in_irq(void)
{
	return bh_in_hardirq();
}

static inline bool in_softirq(void)
{
	return bh_in_softirq();
}

static inline bool in_serving_softirq(void)
{
	return bh_in_serving_softirq();
}

static inline bool in_interrupt(void)
{
	return bh_in_interrupt();
}

static inline bool in_task(void)
{
	return bh_in_task();
}

static inline bool in_atomic(void)
{
	return bh_in_atomic();
}

static inline void preempt_disable(void)
{
	bh_preempt_disable();
}

static inline void preempt_enable(void)
{
	bh_preempt_enable();
}

/* There is no reschedule to skip in user space. */
static inline void preempt_enable_no_resched(void)
{
	bh_preempt_enable();
}

static inline bool preemptible(void)
{
	return bh_preempt_count() == 0 && !bh_irqs_disabled();
}

#endif
