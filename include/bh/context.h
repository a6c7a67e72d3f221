/* SPDX-License-Identifier: MIT */
/*
 * Execution contexts: a per-thread analogue of the kernel's preempt count.
 *
 * Layout (the kernel's modern one, SPEC "Constants"):
 *   bits  0- 7  PREEMPT  spinlocks held, preempt_disable depth
 *   bits  8-15  SOFTIRQ  SOFTIRQ_OFFSET (0x100) while a softirq handler runs;
 *                        SOFTIRQ_DISABLE_OFFSET (0x200) per local_bh_disable
 *   bits 16-19  HARDIRQ  one HARDIRQ_OFFSET (0x10000) per nested top half
 *   bits 20-23  NMI
 * Interrupts-off is kept apart from the count (as the kernel keeps it in the
 * CPU's flags register), in the same per-thread block.
 *
 * A top half that runs inside a signal handler raises the count on entry and
 * puts it back on exit, so the interrupted code's read-modify-write of the
 * count stays correct: the kernel's own argument for its preempt count.
 *
 * Everything here is async-signal-safe and makes no system call, except
 * where a call runs pending softirqs (bh_local_bh_enable, bh_irq_exit,
 * bh_local_irq_restore replaying held top halves), which runs bottom halves.
 */
#ifndef BH_CONTEXT_H
#define BH_CONTEXT_H

#include <stdbool.h>

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BH_PREEMPT_OFFSET	  0x1u
#define BH_PREEMPT_MASK		  0xffu
#define BH_SOFTIRQ_OFFSET	  0x100u
#define BH_SOFTIRQ_DISABLE_OFFSET 0x200u
#define BH_SOFTIRQ_MASK		  0xff00u
#define BH_HARDIRQ_OFFSET	  0x10000u
#define BH_HARDIRQ_MASK		  0xf0000u
#define BH_NMI_OFFSET		  0x100000u
#define BH_NMI_MASK		  0xf00000u

/* The calling thread's preempt count, in the layout above. */
BH_API unsigned int bh_preempt_count(void);

/* SPEC S15: the kernel's context predicates, answered for this thread. */
BH_API bool bh_in_nmi(void);
BH_API bool bh_in_hardirq(void);
BH_API bool bh_in_softirq(void);	 /* serving or bh-disabled */
BH_API bool bh_in_serving_softirq(void); /* a softirq handler is running */
BH_API bool bh_in_interrupt(void);	 /* hardirq, NMI, softirq or bh-off */
BH_API bool bh_in_task(void);		 /* not NMI, hardirq, serving */
BH_API bool bh_in_atomic(void);		 /* preempt count != 0 */
BH_API bool bh_irqs_disabled(void);

/*
 * The bh CPU of the calling context. Inside an atomic section (bh disabled,
 * a spinlock held, a top half, a softirq) it is fixed for the section, as
 * the kernel's is while preemption is off; in plain task context it follows
 * the thread's real CPU (or bh_thread_set_cpu()).
 */
BH_API int bh_smp_processor_id(void);

/*
 * SPEC S9/S10: disable bottom halves on this thread. Nests. The outermost
 * bh_local_bh_enable() runs the softirqs pending on this bh CPU, unless
 * called with irqs disabled or inside a top half (then they wait for the
 * exit of that context). Enabling more than disabled warns.
 *
 * In user space several threads can share a bh CPU, so a bh-disabled
 * section keeps softirqs off this thread (top halves that land on it do not
 * run them on exit), but it does not stop ksoftirqd/N from running softirqs
 * for the same bh CPU in parallel: protect data shared with bottom halves
 * with bh_spin_lock_bh(), as SMP kernel code must anyway.
 */
BH_API void bh_local_bh_disable(void);
BH_API void bh_local_bh_enable(void);

/* preempt_disable()/preempt_enable(): only move the PREEMPT count. */
BH_API void bh_preempt_disable(void);
BH_API void bh_preempt_enable(void);

/*
 * SPEC U4: interrupts off for this thread, with no system call. A top half
 * whose signal lands while they are off is held (per line, coalesced as a
 * pending bit in an interrupt controller would be) and run, in hardirq
 * context, at the restore that turns them back on: never lost, never run
 * inside the masked section. Save/restore nest; disable/enable do not.
 */
BH_API unsigned long bh_local_irq_save(void);
BH_API void bh_local_irq_restore(unsigned long flags);
BH_API void bh_local_irq_disable(void);
BH_API void bh_local_irq_enable(void);

/*
 * Enter and leave hardirq context by hand, as the kernel's irq_enter() and
 * irq_exit() do around a top half. The library's own top-half dispatchers
 * call these; they are public for simulations and tests. The outermost
 * bh_irq_exit() runs pending softirqs inline, on this thread (SPEC S9),
 * unless bottom halves are disabled on this thread or interrupts are off.
 */
BH_API void bh_irq_enter(void);
BH_API void bh_irq_exit(void);

/*
 * The same pair for a top half that the application runs inside its own
 * signal handler. The outermost exit hands pending softirqs to ksoftirqd/N
 * instead of running them: bottom halves never run inside a signal
 * handler, so they may call what a handler must not (the kernel likewise
 * defers them to ksoftirqd under threadirqs, S18). Async-signal-safe.
 */
BH_API void bh_signal_irq_enter(void);
BH_API void bh_signal_irq_exit(void);

/*
 * SPEC U8/M15: report a kernel-style "sleeping function called from invalid
 * context" splat, with a backtrace, when called from hardirq or softirq
 * context, a tasklet, with bh or irqs disabled, or with a spinlock held.
 * Returns true if the context was valid. `file`/`line` name the caller.
 */
BH_API bool bh__might_sleep(const char *file, int line);
#define bh_might_sleep() bh__might_sleep(__FILE__, __LINE__)
/*
 * The same check for a call that may sleep in the kernel, named by `what`
 * ("kmalloc(GFP_KERNEL)", "copy_to_user"): the splat reads "... invalid
 * context at <what>", and its backtrace shows the caller. For the compat
 * headers' kernel calls that sleep only in the kernel.
 */
BH_API bool bh__might_sleep_in(const char *what);

#ifdef __cplusplus
}
#endif

#endif
