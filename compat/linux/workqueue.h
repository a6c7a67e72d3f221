/* SPDX-License-Identifier: MIT */
/*
 * <linux/workqueue.h>: work items and workqueues, in every spelling from
 * 2.6 to 6.x (SPEC W, Q, C, D, X, F, B, and L1-L6 for the old forms).
 *
 * struct work_struct, struct delayed_work and struct workqueue_struct are
 * struct bh_work, struct bh_delayed_work and struct bh_workqueue under
 * their kernel names: 32 and 88 bytes, as the kernel's without lockdep.
 * The kernel's `data`/`entry` fields are private here (only the library
 * touches them); `func` is the item's function, and a delayed_work's
 * `work` and `timer` are the kernel's.
 *
 * Two generations of work items:
 *   - modern (2.6.20+): void f(struct work_struct *), INIT_WORK(w, f),
 *     DECLARE_WORK(n, f), struct delayed_work for delayed queueing; the
 *     function finds its object with container_of() or from_work();
 *   - legacy (up to 2.6.19): void f(void *data), INIT_WORK(w, f, data),
 *     DECLARE_WORK(n, f, data), PREPARE_WORK(w, f, data), and one plain
 *     work_struct for both queue_work() and queue_delayed_work() (L1).
 * INIT_WORK, DECLARE_WORK and PREPARE_WORK pick the form by their number
 * of arguments; queue_delayed_work() and its family, and
 * cancel_delayed_work(), pick it by the pointer's type (_Generic): a
 * struct delayed_work * is modern, a struct work_struct * legacy. Function
 * types are checked in both: a void f(void *) in the two-argument form, or
 * the reverse, fails to compile, as in the kernel of either era.
 *
 * A legacy item keeps its function, data and timer in the library's side
 * table (include/bh/legacy_work.h), made when the item is initialised;
 * its work_struct runs a library trampoline that calls f(data). The calls
 * below that take a struct work_struct * look at the item's function (one
 * load) and take the legacy path for such items, so that one PENDING bit
 * covers the timer and the worklist as in 2.6. Queueing and cancelling
 * never allocate, in either form (SPEC U1, U2).
 *
 * Return values. The calls return the kernel's bool (6.x): true/false
 * read as 1/0 where 2.6 code stores them in an int (L2). The legacy-only
 * forms (queue_delayed_work() and its family on a work_struct, and the
 * 2.6 cancel_delayed_work(), L3) return int, as 2.6 declared them. Where
 * the kernel's call returns void and the native one an error, the error
 * is dropped; the library has already warned (SPEC U9).
 *
 * Not provided: rcu_work (W21), queue_work_node(), workqueue attributes,
 * workqueue_set_min_active(), and the 2.6 layout's fields (`data`,
 * `pending`, `wq_data`, `timer` of a work_struct): code that touches them
 * fails to compile.
 */
#ifndef BH_COMPAT_LINUX_WORKQUEUE_H
#define BH_COMPAT_LINUX_WORKQUEUE_H

#include <stdbool.h>

#include <bh/legacy_work.h>
#include <bh/workqueue.h>

#include <linux/compiler.h>
#include <linux/jiffies.h>
#include <linux/timer.h>
#include <linux/types.h>

#define work_struct	 bh_work
#define delayed_work	 bh_delayed_work
#define workqueue_struct bh_workqueue
#define execute_work	 bh_execute_work

typedef bh_work_func_t work_func_t;

/* ---- flags and limits (the kernel's values) ----------------------------- */

#define WQ_BH		   BH_WQ_BH
#define WQ_UNBOUND	   BH_WQ_UNBOUND
#define WQ_FREEZABLE	   BH_WQ_FREEZABLE
#define WQ_MEM_RECLAIM	   BH_WQ_MEM_RECLAIM
#define WQ_HIGHPRI	   BH_WQ_HIGHPRI
#define WQ_CPU_INTENSIVE   BH_WQ_CPU_INTENSIVE
#define WQ_SYSFS	   BH_WQ_SYSFS
#define WQ_POWER_EFFICIENT BH_WQ_POWER_EFFICIENT
#define WQ_PERCPU	   BH_WQ_PERCPU
/* 2.6.36-3.19: asked for what every workqueue does since 3.7 (L6). */
#define WQ_NON_REENTRANT      0u
#define WQ_MAX_ACTIVE	      BH_WQ_MAX_ACTIVE
#define WQ_UNBOUND_MAX_ACTIVE BH_WQ_MAX_ACTIVE
#define WQ_DFL_ACTIVE	      BH_WQ_DFL_ACTIVE
#define WQ_NAME_LEN	      BH_WQ_NAME_LEN
#define WORKER_DESC_LEN	      BH_WORKER_DESC_LEN

#define WORK_CPU_UNBOUND  BH_WORK_CPU_UNBOUND
#define WORK_BUSY_PENDING BH_WORK_BUSY_PENDING
#define WORK_BUSY_RUNNING BH_WORK_BUSY_RUNNING

/* ---- the system workqueues (pointers, NULL while the runtime is down) --- */

#define system_wq		  bh_system_wq
#define system_highpri_wq	  bh_system_highpri_wq
#define system_long_wq		  bh_system_long_wq
#define system_unbound_wq	  bh_system_unbound_wq
#define system_freezable_wq	  bh_system_freezable_wq
#define system_power_efficient_wq bh_system_power_efficient_wq
#define system_bh_wq		  bh_system_bh_wq
#define system_bh_highpri_wq	  bh_system_bh_highpri_wq
/* The newest tree's names for system_wq and system_unbound_wq (M19). */
#define system_percpu_wq bh_system_wq
#define system_dfl_wq	 bh_system_unbound_wq
/* 3.x, until every queue became non-reentrant (L6). */
#define system_nrt_wq		bh_system_wq
#define system_nrt_freezable_wq bh_system_freezable_wq

/* ---- declaring and initialising items ----------------------------------- */

#define bh__compat_wq_pick3(_1, _2, _3, name, ...) name

/* Static initialisers; they also set the library's initialisation mark. */
#define __WORK_INITIALIZER(n, f) BH_WORK_INITIALIZER(n, f)
#define __DELAYED_WORK_INITIALIZER(n, f, tflags)                               \
	BH_DELAYED_WORK_INITIALIZER(n, f, tflags)

/*
 * DECLARE_WORK(name, f) as since 2.6.20, or DECLARE_WORK(name, f, data)
 * as up to 2.6.19. The legacy form also defines a constructor, named
 * after the variable, that records f and data in the side table before
 * main() runs; it therefore works at file scope only, where 2.6 code
 * declares its items.
 */
#define BH__COMPAT_DECLARE_WORK_2(n, f)                                        \
	struct work_struct n = BH_WORK_INITIALIZER(n, f)
#define BH__COMPAT_DECLARE_WORK_3(n, f, data)                                  \
	struct work_struct n = BH_WORK_INITIALIZER(n, bh_legacy_work_fn);      \
	__attribute__((constructor)) static void bh__legacy_work_ctor_##n(     \
		void)                                                          \
	{                                                                      \
		(void)bh_legacy_work_register(&n, f, data);                    \
	}                                                                      \
	_Static_assert(1, "DECLARE_WORK(" #n ", f, data)")
#define DECLARE_WORK(...)                                                      \
	bh__compat_wq_pick3(__VA_ARGS__, BH__COMPAT_DECLARE_WORK_3,            \
			    BH__COMPAT_DECLARE_WORK_2,                         \
			    bh__compat_bad_arity)(__VA_ARGS__)

#define DECLARE_DELAYED_WORK(n, f)    BH_DECLARE_DELAYED_WORK(n, f)
#define DECLARE_DEFERRABLE_WORK(n, f) BH_DECLARE_DEFERRABLE_WORK(n, f)
/* 2.6.24-3.6 name of DECLARE_DEFERRABLE_WORK. */
#define DECLARE_DEFERRED_WORK(n, f) BH_DECLARE_DEFERRABLE_WORK(n, f)

/*
 * INIT_WORK(w, f) as since 2.6.20; INIT_WORK(w, f, data) as up to 2.6.19
 * (L1). The legacy form may be called from a top half, as textbooks do
 * (see bh_legacy_init_work()); it stops the item's timer if it is armed.
 */
#define BH__COMPAT_INIT_WORK_2(w, f) bh_work_init(w, f)
#define BH__COMPAT_INIT_WORK_3(w, f, data)                                     \
	((void)bh_legacy_init_work(w, f, data))
#define INIT_WORK(...)                                                         \
	bh__compat_wq_pick3(__VA_ARGS__, BH__COMPAT_INIT_WORK_3,               \
			    BH__COMPAT_INIT_WORK_2,                            \
			    bh__compat_bad_arity)(__VA_ARGS__)

/* M7: items on the stack; destroy_work_on_stack() also drops a legacy
 * item's side-table entry. */
#define INIT_WORK_ONSTACK(w, f) bh_work_init_onstack(w, f)
static inline void destroy_work_on_stack(struct work_struct *work)
{
	if (bh_legacy_work_is(work))
		(void)bh_legacy_work_forget(work);
	bh_work_destroy_on_stack(work);
}

/*
 * PREPARE_WORK(w, f) (2.6.20-3.15) sets the function of an initialised
 * item; PREPARE_WORK(w, f, data) (up to 2.6.19) its function and data.
 * Neither touches the item's state.
 */
static inline void bh__compat_prepare_work(struct work_struct *work,
					   work_func_t func)
{
	__atomic_store_n(&work->func, func, __ATOMIC_RELAXED);
}
#define BH__COMPAT_PREPARE_WORK_2(w, f) bh__compat_prepare_work(w, f)
#define BH__COMPAT_PREPARE_WORK_3(w, f, data)                                  \
	((void)bh_legacy_prepare_work(w, f, data))
#define PREPARE_WORK(...)                                                      \
	bh__compat_wq_pick3(__VA_ARGS__, BH__COMPAT_PREPARE_WORK_3,            \
			    BH__COMPAT_PREPARE_WORK_2,                         \
			    bh__compat_bad_arity)(__VA_ARGS__)

#define INIT_DELAYED_WORK(dw, f)    bh_delayed_work_init(dw, f)
#define INIT_DEFERRABLE_WORK(dw, f) bh_deferrable_work_init(dw, f)
/* 2.6.22-3.6 name of INIT_DEFERRABLE_WORK. */
#define INIT_DELAYED_WORK_DEFERRABLE(dw, f) bh_deferrable_work_init(dw, f)
#define INIT_DELAYED_WORK_ONSTACK(dw, f)    bh_delayed_work_init(dw, f)
static inline void destroy_delayed_work_on_stack(struct delayed_work *dwork)
{
	bh_delayed_work_destroy_on_stack(dwork);
}

/* The delayed item around `work`; the object that embeds `work` as
 * `field`, typed like `var`. */
#define to_delayed_work(work)	    bh_to_delayed_work(work)
#define from_work(var, work, field) bh_from_work(var, work, field)

/* W3/D5, W16. Advisory. A legacy item is pending on its timer too. */
static inline bool work_pending(const struct work_struct *work)
{
	if (bh_legacy_work_is(work))
		return bh_legacy_work_pending(work);
	return bh_work_pending(work);
}

static inline bool delayed_work_pending(const struct delayed_work *dwork)
{
	return bh_delayed_work_pending(dwork);
}

static inline unsigned int work_busy(struct work_struct *work)
{
	if (bh_legacy_work_is(work))
		return bh_legacy_work_busy(work);
	return bh_work_busy(work);
}

/* ---- workqueues -----------------------------------------------------------
 */

#define alloc_workqueue(fmt, flags, max_active, ...)                           \
	bh_alloc_workqueue(fmt, flags, max_active, ##__VA_ARGS__)
#define alloc_ordered_workqueue(fmt, flags, ...)                               \
	bh_alloc_ordered_workqueue(fmt, flags, ##__VA_ARGS__)
/* L5, as today's kernel maps them (kworker threads, and a rescuer named
 * kworker/R-<name>; not 2.6's "name/N" threads). */
#define create_workqueue(name)		 bh_create_workqueue(name)
#define create_freezable_workqueue(name) bh_create_freezable_workqueue(name)
#define create_singlethread_workqueue(name)                                    \
	bh_create_singlethread_workqueue(name)

static inline void destroy_workqueue(struct workqueue_struct *wq)
{
	bh_destroy_workqueue(wq);
}

static inline void workqueue_set_max_active(struct workqueue_struct *wq,
					    int max_active)
{
	bh_workqueue_set_max_active(wq, max_active);
}

static inline bool workqueue_congested(int cpu, struct workqueue_struct *wq)
{
	return bh_workqueue_congested(cpu, wq);
}

/* ---- queueing ---------------------------------------------------------------
 */

/* W2, Q1, Q2 (L2: 1 if queued, 0 if it was pending). */
static inline bool queue_work_on(int cpu, struct workqueue_struct *wq,
				 struct work_struct *work)
{
	if (bh_legacy_work_is(work))
		return bh_legacy_queue_work_on(cpu, wq, work);
	return bh_queue_work_on(cpu, wq, work);
}

static inline bool queue_work(struct workqueue_struct *wq,
			      struct work_struct *work)
{
	if (bh_legacy_work_is(work))
		return bh_legacy_queue_work_on(WORK_CPU_UNBOUND, wq, work);
	return bh_queue_work(wq, work);
}

static inline bool schedule_work_on(int cpu, struct work_struct *work)
{
	return queue_work_on(cpu, system_wq, work);
}

static inline bool schedule_work(struct work_struct *work)
{
	return queue_work(system_wq, work);
}

/* Legacy delayed queueing on a plain item (L1): 1, or 0 if pending. */
static inline int bh__compat_legacy_queued(int ret)
{
	return ret > 0 ? 1 : 0;
}

static inline bool bh__compat_queue_delayed_work_on(int cpu,
						    struct workqueue_struct *wq,
						    struct delayed_work *dwork,
						    unsigned long delay)
{
	return bh_queue_delayed_work_on(cpu, wq, dwork, delay);
}

static inline int
bh__compat_queue_delayed_work_on_legacy(int cpu, struct workqueue_struct *wq,
					struct work_struct *work,
					unsigned long delay)
{
	return bh__compat_legacy_queued(
		bh_legacy_queue_delayed_work_on(cpu, wq, work, delay));
}

static inline bool bh__compat_queue_delayed_work(struct workqueue_struct *wq,
						 struct delayed_work *dwork,
						 unsigned long delay)
{
	return bh_queue_delayed_work(wq, dwork, delay);
}

static inline int
bh__compat_queue_delayed_work_legacy(struct workqueue_struct *wq,
				     struct work_struct *work,
				     unsigned long delay)
{
	return bh__compat_queue_delayed_work_on_legacy(WORK_CPU_UNBOUND, wq,
						       work, delay);
}

static inline bool
bh__compat_schedule_delayed_work_on(int cpu, struct delayed_work *dwork,
				    unsigned long delay)
{
	return bh_schedule_delayed_work_on(cpu, dwork, delay);
}

static inline int
bh__compat_schedule_delayed_work_on_legacy(int cpu, struct work_struct *work,
					   unsigned long delay)
{
	return bh__compat_queue_delayed_work_on_legacy(cpu, system_wq, work,
						       delay);
}

static inline bool bh__compat_schedule_delayed_work(struct delayed_work *dwork,
						    unsigned long delay)
{
	return bh_schedule_delayed_work(dwork, delay);
}

static inline int
bh__compat_schedule_delayed_work_legacy(struct work_struct *work,
					unsigned long delay)
{
	return bh__compat_queue_delayed_work_on_legacy(WORK_CPU_UNBOUND,
						       system_wq, work, delay);
}

/*
 * D2-D6 on a struct delayed_work *; on a struct work_struct *, the 2.6.19
 * form (L1, L2): the item's own timer queues it after `delay` jiffies.
 */
#define queue_delayed_work_on(cpu, wq, dwork, delay)                           \
	_Generic((dwork), struct delayed_work *                                \
		 : bh__compat_queue_delayed_work_on, struct work_struct *      \
		 : bh__compat_queue_delayed_work_on_legacy)(cpu, wq, dwork,    \
							    delay)
#define queue_delayed_work(wq, dwork, delay)                                   \
	_Generic((dwork), struct delayed_work *                                \
		 : bh__compat_queue_delayed_work, struct work_struct *         \
		 : bh__compat_queue_delayed_work_legacy)(wq, dwork, delay)
#define schedule_delayed_work_on(cpu, dwork, delay)                            \
	_Generic((dwork), struct delayed_work *                                \
		 : bh__compat_schedule_delayed_work_on, struct work_struct *   \
		 : bh__compat_schedule_delayed_work_on_legacy)(cpu, dwork,     \
							       delay)
#define schedule_delayed_work(dwork, delay)                                    \
	_Generic((dwork), struct delayed_work *                                \
		 : bh__compat_schedule_delayed_work, struct work_struct *      \
		 : bh__compat_schedule_delayed_work_legacy)(dwork, delay)

/* D7-D9 (3.7+): true if it was pending. */
static inline bool mod_delayed_work_on(int cpu, struct workqueue_struct *wq,
				       struct delayed_work *dwork,
				       unsigned long delay)
{
	return bh_mod_delayed_work_on(cpu, wq, dwork, delay);
}

static inline bool mod_delayed_work(struct workqueue_struct *wq,
				    struct delayed_work *dwork,
				    unsigned long delay)
{
	return bh_mod_delayed_work(wq, dwork, delay);
}

/* ---- flush, cancel, disable --------------------------------------------- */

/* C1/C2. May sleep. */
static inline bool flush_work(struct work_struct *work)
{
	return bh_flush_work(work);
}

/* D12. May sleep. */
static inline bool flush_delayed_work(struct delayed_work *dwork)
{
	return bh_flush_delayed_work(dwork);
}

/* C4/C5 (and L4). May sleep. */
static inline void flush_workqueue(struct workqueue_struct *wq)
{
	bh_flush_workqueue(wq);
}

/* C6. May sleep. */
static inline void drain_workqueue(struct workqueue_struct *wq)
{
	bh_drain_workqueue(wq);
}

/* flush_workqueue(system_wq), which warns (M11), as the kernel does. */
static inline void flush_scheduled_work(void)
{
	bh_flush_workqueue(system_wq);
}

/* C9: does not wait. */
static inline bool cancel_work(struct work_struct *work)
{
	if (bh_legacy_work_is(work))
		return bh_legacy_cancel_work(work);
	return bh_cancel_work(work);
}

/* C10-C12. May sleep. */
static inline bool cancel_work_sync(struct work_struct *work)
{
	if (bh_legacy_work_is(work))
		return bh_legacy_cancel_work_sync(work);
	return bh_cancel_work_sync(work);
}

static inline bool bh__compat_cancel_delayed_work(struct delayed_work *dwork)
{
	return bh_cancel_delayed_work(dwork);
}

static inline int
bh__compat_cancel_delayed_work_legacy(struct work_struct *work)
{
	return bh_legacy_cancel_delayed_work(work);
}

/*
 * D10 on a struct delayed_work *: removes a pending instance, timer or
 * worklist, without waiting. On a struct work_struct *, the 2.6 call (L3):
 * only the timer is deleted, waiting for its callback; non-zero exactly
 * when the timer was pending.
 */
#define cancel_delayed_work(dwork)                                             \
	_Generic((dwork), struct delayed_work *                                \
		 : bh__compat_cancel_delayed_work, struct work_struct *        \
		 : bh__compat_cancel_delayed_work_legacy)(dwork)

/* D11. May sleep. */
static inline bool cancel_delayed_work_sync(struct delayed_work *dwork)
{
	return bh_cancel_delayed_work_sync(dwork);
}

/* X1-X6 (6.10+). */
static inline bool disable_work(struct work_struct *work)
{
	if (bh_legacy_work_is(work))
		return bh_legacy_disable_work(work);
	return bh_disable_work(work);
}

static inline bool disable_work_sync(struct work_struct *work)
{
	if (bh_legacy_work_is(work))
		return bh_legacy_disable_work_sync(work);
	return bh_disable_work_sync(work);
}

static inline bool enable_work(struct work_struct *work)
{
	if (bh_legacy_work_is(work))
		return bh_legacy_enable_work(work);
	return bh_enable_work(work);
}

static inline bool enable_and_queue_work(struct workqueue_struct *wq,
					 struct work_struct *work)
{
	if (bh_legacy_work_is(work)) {
		if (!bh_legacy_enable_work(work))
			return false;
		(void)bh_legacy_queue_work_on(WORK_CPU_UNBOUND, wq, work);
		return true;
	}
	return bh_enable_and_queue_work(wq, work);
}

static inline bool disable_delayed_work(struct delayed_work *dwork)
{
	return bh_disable_delayed_work(dwork);
}

static inline bool disable_delayed_work_sync(struct delayed_work *dwork)
{
	return bh_disable_delayed_work_sync(dwork);
}

static inline bool enable_delayed_work(struct delayed_work *dwork)
{
	return bh_enable_delayed_work(dwork);
}

/* ---- worker context and helpers ----------------------------------------- */

/* W14: NULL outside a kworker, and in BH items (B7). */
static inline struct work_struct *current_work(void)
{
	return bh_current_work();
}

/* W15 */
static inline bool current_is_workqueue_rescuer(void)
{
	return bh_current_is_workqueue_rescuer();
}

/* W22 */
#define set_worker_desc(...) bh_set_worker_desc(__VA_ARGS__)

/* W19: 0 or -errno. */
static inline int schedule_on_each_cpu(work_func_t func)
{
	return bh_schedule_on_each_cpu(func);
}

/* W20. May sleep. */
static inline long work_on_cpu(int cpu, long (*fn)(void *), void *arg)
{
	return bh_work_on_cpu(cpu, fn, arg);
}

/* W18: 0 if fn ran here, 1 if it was queued on system_wq. */
static inline int execute_in_process_context(work_func_t fn,
					     struct execute_work *ew)
{
	return bh_execute_in_process_context(fn, ew);
}

#endif
