/* SPDX-License-Identifier: MIT */
/*
 * <linux/irqflags.h>: interrupts off and on for the calling thread.
 *
 * "Interrupts" are the library's top halves (signal handlers it installed,
 * its fd dispatcher). Turning them off is a per-thread flag, no system call
 * (SPEC U4): a top half whose signal lands meanwhile is held and run at the
 * restore that turns interrupts back on.
 *
 * local_irq_save() and local_irq_restore() are macros because the kernel's
 * save assigns its argument; both check, as the kernel does, that `flags`
 * is an unsigned long. The value is opaque: only pass it back to restore.
 * Save/restore pairs nest; local_irq_disable()/enable() do not.
 */
#ifndef BH_COMPAT_LINUX_IRQFLAGS_H
#define BH_COMPAT_LINUX_IRQFLAGS_H

#include <stdbool.h>

#include <bh/context.h>

#include <linux/typecheck.h>

#define local_irq_save(flags)                                                  \
	do {                                                                   \
		(void)typecheck(unsigned long, flags);                         \
		(flags) = bh_local_irq_save();                                 \
	} while (0)

#define local_irq_restore(flags)                                               \
	do {                                                                   \
		(void)typecheck(unsigned long, flags);                         \
		bh_local_irq_restore(flags);                                   \
	} while (0)

static inline void local_irq_disable(void)
{
	bh_local_irq_disable();
}

static inline void local_irq_enable(void)
{
	bh_local_irq_enable();
}

static inline bool irqs_disabled(void)
{
	return bh_irqs_disabled();
}

#endif
