/* SPDX-License-Identifier: MIT */
/*
 * A walk over the runtime's live objects, for loaders and checkers:
 * bh-modrun(1) calls it after a module's exit to report what the module
 * left behind (the kernel's complaints at unload, and worse: the crash of
 * a timer or tasklet whose code is gone).
 *
 * bh_debug_for_each_live_object() calls `fn` once for each
 *   - timer armed (BH_DEBUG_TIMER; a delayed work item's timer is
 *     reported as BH_DEBUG_DELAYED_WORK, with the work function);
 *   - tasklet scheduled, including one disabled while scheduled
 *     (BH_DEBUG_TASKLET);
 *   - handler requested on an interrupt line (BH_DEBUG_IRQ);
 *   - workqueue created and not destroyed, the system ones included
 *     (BH_DEBUG_WORKQUEUE);
 *   - hrtimer armed, or expired in SOFT mode and waiting for its softirq
 *     (BH_DEBUG_HRTIMER);
 *   - work item queued and not yet running, on a pool or held back on a
 *     workqueue's inactive list (BH_DEBUG_WORK; `name` is the
 *     workqueue's for an inactive one). Items running now are not
 *     reported.
 *
 * `fn` runs with the walked subsystem's lock held (for timers, with the
 * bh CPU's timer base locked and interrupts off): it must only record
 * what it is given, and must not call into libbh. The object pointers
 * stay valid only as long as their owner keeps them alive.
 *
 * A snapshot in motion: objects armed or freed during the walk may or may
 * not be seen. Returns how many objects were reported; 0 without a
 * runtime. Process context only (it takes sleeping locks).
 */
#ifndef BH_DEBUG_H
#define BH_DEBUG_H

#include <stddef.h>

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

enum bh_debug_kind {
	BH_DEBUG_TIMER = 1,
	BH_DEBUG_DELAYED_WORK,
	BH_DEBUG_TASKLET,
	BH_DEBUG_IRQ,
	BH_DEBUG_WORKQUEUE,
	BH_DEBUG_HRTIMER,
	BH_DEBUG_WORK,
};

struct bh_debug_object {
	int kind;	    /* enum bh_debug_kind */
	const void *obj;    /* the timer, delayed work, tasklet, workqueue */
	const void *fn;	    /* its callback; an irq's handler (or thread_fn) */
	const char *name;   /* irq: the request's name; workqueue: its name */
	const void *dev_id; /* irq: the request's dev_id */
	unsigned int irq;   /* irq: the line */
	int cpu;	    /* timer, tasklet: the bh CPU it is queued on */
	unsigned long expires; /* timer, delayed work: jiffies */
	int disabled;	       /* tasklet: disabled (count > 0) */
	long long expires_ns;  /* hrtimer: expiry, CLOCK_MONOTONIC ns */
};

typedef void (*bh_debug_object_fn)(const struct bh_debug_object *o, void *arg);

BH_API size_t bh_debug_for_each_live_object(bh_debug_object_fn fn, void *arg);

/*
 * The name of a code address as the kernel prints it (%pS, call traces):
 * "func+0x1a/0x40 [object]", from the object's full symbol table, so
 * static functions have names too; "func+0x1a" from the dynamic symbols
 * of a stripped object; the bare address otherwise. The object is the
 * file's name without ".so..." ("libbh", a module's name). Writes at most
 * `len` bytes to `buf` and returns it. Allocation- and lock-free, so a
 * signal handler may call it (it maps an object's file the first time).
 */
BH_API const char *bh_debug_symbolize(const void *addr, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
