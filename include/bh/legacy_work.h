/* SPDX-License-Identifier: MIT */
/*
 * Legacy (up to 2.6.19) work items, for the compatibility spellings in
 * <linux/workqueue.h> (SPEC L1-L3). Applications use the native API in
 * workqueue.h; these calls exist so that 2.6-era kernel code builds and
 * runs unmodified.
 *
 * Up to 2.6.19 a work_struct carried its own `data` argument and timer:
 * the function was void f(void *data), and one work_struct served both
 * queue_work() and queue_delayed_work(). struct bh_work is the modern
 * 32-byte item and has room for neither, so a legacy item keeps that state
 * in a side table keyed by the item's address:
 *
 *   - the function and its data (L1),
 *   - a TIMER_IRQSAFE timer and the target workqueue and CPU, for
 *     queue_delayed_work() on a plain item (L1, L3),
 *   - the item's legacy PENDING bit, set from a successful queue (immediate
 *     or delayed) until the function is about to run, so that one bit
 *     covers both, as the 2.6 work_struct's did (L2).
 *
 * The item itself is an ordinary bh_work whose function is the library's
 * trampoline, bh_legacy_work_fn(): it finds the entry, clears the legacy
 * PENDING bit and calls f(data).
 *
 * Allocation. An entry is made when the item is first initialised
 * (bh_legacy_init_work(), or bh_legacy_work_register() from the
 * constructor that DECLARE_WORK(name, f, data) emits) and reused when the
 * same address is initialised again. Queueing, cancelling and the
 * trampoline only look entries up: they never allocate, never block and
 * are async-signal-safe wherever the native call they wrap is (SPEC U1,
 * U2). Initialising a new address allocates in task context; in atomic
 * context (a top half, a softirq, a tasklet, irqs or bh disabled, a
 * spinlock held, or a signal handler that interrupted a thread inside the
 * table's lock) it takes an entry from a small static reserve instead, so
 * the textbook top half that calls INIT_WORK(w, f, data) works; once the
 * reserve is spent such a call warns and fails. A signal handler that
 * runs kernel-style code must bracket it with bh_signal_irq_enter() and
 * bh_signal_irq_exit(), as for every top half, or it is taken for task
 * context.
 *
 * Lifetime. The table does not know when an item's memory is freed. An
 * entry stays until bh_legacy_work_forget() (or destroy_work_on_stack()),
 * or until process exit, where a destructor frees the whole table unless
 * the runtime is still running (its threads could still be looking
 * entries up). Entries are not dropped by bh_shutdown(): those of
 * DECLARE_WORK(name, f, data) are made once, before main(), and must
 * survive into a later bh_init(); an item is memory of the program's, like
 * its work_struct, not of the runtime's. A program that initialises
 * legacy items at ever new
 * addresses without forgetting them grows the table by one entry (about
 * 100 bytes) per address; reinitialising an address reuses its entry.
 *
 * Rules the native API does not need:
 *   - a legacy item is queued, cancelled and disabled through the compat
 *     spellings (or the bh_legacy_ calls below), which keep its legacy
 *     PENDING bit; the native bh_queue_work() and friends do not know it;
 *   - its delayed timer is the library's, not the workqueue's: cancel it
 *     (cancel_delayed_work()) before destroy_workqueue(), as 2.6 code had
 *     to, or it fires into the destroyed queue (SPEC D14).
 */
#ifndef BH_LEGACY_WORK_H
#define BH_LEGACY_WORK_H

#include <stdbool.h>

#include "export.h"
#include "workqueue.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The 2.6.19 work function. */
typedef void (*bh_legacy_work_func_t)(void *data);

/*
 * The function of every legacy item: looks up `w`, clears its legacy
 * PENDING bit and calls f(data). Warns once and does nothing for an item
 * without an entry (forgotten while queued).
 */
BH_API void bh_legacy_work_fn(struct bh_work *w);

/* True if `w` was initialised as a legacy item (its function is the
 * trampoline). One load; any context. */
static inline bool bh_legacy_work_is(const struct bh_work *w)
{
	return w &&
	       __atomic_load_n(&w->func, __ATOMIC_RELAXED) == bh_legacy_work_fn;
}

/*
 * INIT_WORK(w, f, data): make `w` an idle legacy item that calls f(data)
 * (L1). Registers or updates its entry (see "Allocation" above), stops its
 * delayed timer if it is armed (warning, as reinitialising a pending item
 * does, SPEC M6), then bh_work_init(w, bh_legacy_work_fn). Returns 0, or
 * -EINVAL (NULL argument), -ENOMEM (no memory, or the atomic-context
 * reserve is spent), -EBUSY (atomic context, table locked by this
 * thread), each with a warning.
 */
BH_API int bh_legacy_init_work(struct bh_work *w, bh_legacy_work_func_t f,
			       void *data);

/*
 * For DECLARE_WORK(name, f, data): `w` is already a statically
 * initialised item whose function is bh_legacy_work_fn; record f and data
 * without touching the item. Called from a constructor, before main() and
 * bh_init(). Same returns as bh_legacy_init_work().
 */
BH_API int bh_legacy_work_register(struct bh_work *w, bh_legacy_work_func_t f,
				   void *data);

/*
 * PREPARE_WORK(w, f, data): change the function and data of an
 * initialised item, leaving its state alone (L1). An item that was
 * initialised in the modern form becomes a legacy one. Same returns as
 * bh_legacy_init_work().
 */
BH_API int bh_legacy_prepare_work(struct bh_work *w, bh_legacy_work_func_t f,
				  void *data);

/*
 * Drop `w`'s entry: call before freeing the memory of a legacy item that
 * will not be initialised again, so the table does not keep it. Warns and
 * cancels (bh_legacy_cancel_work_sync()) an item that is still pending.
 * Task context only (it may wait for the delayed timer's callback).
 * Returns 0, -ENOENT (no entry), -EINVAL, or -EBUSY (atomic context).
 */
BH_API int bh_legacy_work_forget(struct bh_work *w);

/* The function and data recorded for `w` (NULL if it has no entry). */
BH_API bh_legacy_work_func_t bh_legacy_work_func(const struct bh_work *w);
BH_API void *bh_legacy_work_data(const struct bh_work *w);

/*
 * queue_work() on a legacy item (W2 with the legacy PENDING bit): true if
 * it was queued, false if it was pending, immediately or on its timer, or
 * the native queue refused it (disabled, X2).
 */
BH_API bool bh_legacy_queue_work_on(int cpu, struct bh_workqueue *wq,
				    struct bh_work *w);

/*
 * queue_delayed_work() on a plain legacy item (L1, L2): unless it is
 * pending, record `wq` and `cpu` and arm the item's timer for `delay`
 * jiffies; at expiry the timer queues it there, on the CPU the timer fired
 * on for BH_WORK_CPU_UNBOUND (as D3, D6). A delay of 0 queues at once, as
 * 2.6 did. 1 if queued, 0 if it was already pending, -EINVAL (not a legacy
 * item, NULL workqueue).
 */
BH_API int bh_legacy_queue_delayed_work_on(int cpu, struct bh_workqueue *wq,
					   struct bh_work *w,
					   unsigned long delay);

/*
 * The 2.6 cancel_delayed_work() (L3): delete the item's timer, waiting
 * for its callback if it is running (del_timer_sync). 1 exactly when the
 * timer was pending (the item is then idle), 0 otherwise: an item already
 * on a worklist is not cancelled and may be running on return. Any
 * context but the timer's own callback: the timer is TIMER_IRQSAFE, so
 * waiting for it is allowed in hardirq context too.
 */
BH_API int bh_legacy_cancel_delayed_work(struct bh_work *w);

/*
 * The modern cancel and disable calls on a legacy item: the native call
 * (C9, C10, X1) plus the item's timer (deleted, or deleted and waited for
 * in the _sync forms, which also catch an item that re-arms its timer
 * while they wait). True if the item was pending, on its timer or queued.
 * The disable forms also keep a legacy depth, so that queue_delayed_work()
 * on a disabled item fails at once (X2) instead of arming the timer.
 */
BH_API bool bh_legacy_cancel_work(struct bh_work *w);
BH_API bool bh_legacy_cancel_work_sync(struct bh_work *w);
BH_API bool bh_legacy_disable_work(struct bh_work *w);
BH_API bool bh_legacy_disable_work_sync(struct bh_work *w);
/* enable_work(): the native call, and the legacy depth with it. */
BH_API bool bh_legacy_enable_work(struct bh_work *w);

/* W3 and W16 with the legacy PENDING bit (the timer included). */
BH_API bool bh_legacy_work_pending(const struct bh_work *w);
BH_API unsigned int bh_legacy_work_busy(struct bh_work *w);

/* Statistics of the side table (advisory), for tests and leak hunting. */
struct bh_legacy_work_stats {
	unsigned long entries;	/* live entries (keyed to an item) */
	unsigned long spare;	/* entries kept for reuse */
	unsigned long reserve;	/* static reserve entries still unused */
	unsigned long capacity; /* slots in the current table */
};
BH_API void bh_legacy_work_get_stats(struct bh_legacy_work_stats *st);

#ifdef __cplusplus
}
#endif

#endif
