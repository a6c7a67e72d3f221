/* SPDX-License-Identifier: MIT */
/*
 * <linux/irq.h>: the number of interrupt lines. Lines here are numbered
 * 0 .. NR_IRQS - 1 in a static table, with no interrupt controller behind
 * them: each is bound to a source (see <bh/irq.h>). The handler calls are
 * in <linux/interrupt.h>, included here as the kernel's header does.
 */
#ifndef BH_COMPAT_LINUX_IRQ_H
#define BH_COMPAT_LINUX_IRQ_H

#include <bh/irq.h>

#include <linux/interrupt.h>

#define NR_IRQS BH_NR_IRQS

#endif
