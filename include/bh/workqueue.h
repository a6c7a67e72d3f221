/* SPDX-License-Identifier: MIT */
/*
 * Workqueues (SPEC W, Q, C, D, X, F, B): work items run later in process
 * context by worker threads ("kworkers"), or in softirq context for BH
 * workqueues, with the kernel's semantics.
 *
 * A work item (struct bh_work, 32 bytes like the kernel's work_struct) is
 * embedded in the caller's object and recovered with bh_container_of().
 * Queueing, cancelling (not the _sync forms) and disabling (not the _sync
 * forms) are async-signal-safe, never allocate and never block (SPEC U1,
 * U2): queueing is a compare-and-swap on the item and a lock-free push on
 * the target pool.
 *
 * Pools. Every bh CPU has two worker pools, normal and high priority
 * (workers named kworker/N:M and kworker/N:MH, the latter at nice -20 where
 * the process may raise priority), and two BH pools run by its softirqs
 * (HI_SOFTIRQ for high priority, TASKLET_SOFTIRQ for normal, before the
 * tasklets). Unbound workqueues share two unbound pools (kworker/uP:M).
 * Workers are made on demand and retired after an idle timeout.
 *
 * Concurrency management (W12, F11-F13). A per-CPU pool runs one item at a
 * time while that item keeps the CPU: when it sleeps in one of the
 * library's sleeping primitives (wait_event, completions, mutexes, msleep,
 * flush_work, ...), the pool starts another worker; when it runs for more
 * than cpu_intensive_thresh_us without sleeping it is marked CPU-intensive
 * and stops counting. Sleeping in a plain system call (read(), nanosleep)
 * is invisible to the pool until that threshold passes. Unbound pools start
 * items as soon as max_active and idle workers allow.
 *
 * Errors. Calls taking a workqueue or work item warn and fail (false, NULL
 * or a negative errno) for NULL or never initialised objects, before
 * bh_init() and after bh_shutdown() (SPEC U9).
 */
#ifndef BH_WORKQUEUE_H
#define BH_WORKQUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler.h"
#include "export.h"
#include "timer.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- flags and limits (the kernel's values) ----------------------------- */

#define BH_WQ_BH	      (1u << 0)	 /* run in softirq context (B1-B9) */
#define BH_WQ_UNBOUND	      (1u << 1)	 /* not per-CPU; no concurrency mgmt */
#define BH_WQ_FREEZABLE	      (1u << 2)	 /* held across bh_freeze_workqueues */
#define BH_WQ_MEM_RECLAIM     (1u << 3)	 /* gets a rescuer thread (F14) */
#define BH_WQ_HIGHPRI	      (1u << 4)	 /* high-priority pools (F10) */
#define BH_WQ_CPU_INTENSIVE   (1u << 5)	 /* not counted for concurrency (F11) */
#define BH_WQ_SYSFS	      (1u << 6)	 /* accepted, no effect (no sysfs) */
#define BH_WQ_POWER_EFFICIENT (1u << 7)	 /* accepted: stays per-CPU */
#define BH_WQ_PERCPU	      (1u << 8)	 /* explicit per-CPU (newest kernels) */
#define BH_WQ_ORDERED_	      (1u << 17) /* internal: alloc_ordered */
#define BH_WQ_VALID_FLAGS                                                      \
	(BH_WQ_BH | BH_WQ_UNBOUND | BH_WQ_FREEZABLE | BH_WQ_MEM_RECLAIM |      \
	 BH_WQ_HIGHPRI | BH_WQ_CPU_INTENSIVE | BH_WQ_SYSFS |                   \
	 BH_WQ_POWER_EFFICIENT | BH_WQ_PERCPU | BH_WQ_ORDERED_)

#define BH_WQ_MAX_ACTIVE   2048
#define BH_WQ_DFL_ACTIVE   (BH_WQ_MAX_ACTIVE / 2)
#define BH_WQ_NAME_LEN	   32
#define BH_WORKER_DESC_LEN 32

/* queue_work_on(BH_WORK_CPU_UNBOUND, ...): the caller's CPU (kernel: NR_CPUS)
 */
#define BH_WORK_CPU_UNBOUND BH_MAX_CPUS

/* work_busy() bits */
#define BH_WORK_BUSY_PENDING 1u
#define BH_WORK_BUSY_RUNNING 2u

/* ---- work items ------------------------------------------------------- */

struct bh_work;
struct bh_workqueue;
typedef void (*bh_work_func_t)(struct bh_work *work);

/*
 * The kernel's layout: a state word (pending bit, owning queue or, while
 * idle, the last pool and the disable depth), a list link and the function.
 * Only the library touches `data`, `next` and `prev`.
 */
struct bh_work {
	uintptr_t data;	      /* private, atomic */
	struct bh_work *next; /* private */
	struct bh_work *prev; /* private */
	bh_work_func_t func;
};

BH_STATIC_ASSERT(sizeof(void *) != 8 || sizeof(struct bh_work) == 32,
		 "struct bh_work must match the kernel's work_struct size");

/* A delayed item: the work plus the TIMER_IRQSAFE timer that queues it. */
struct bh_delayed_work {
	struct bh_work work;
	struct bh_timer timer;
	struct bh_workqueue *wq; /* private: target while the timer runs */
	int cpu;		 /* private */
};

BH_STATIC_ASSERT(sizeof(void *) != 8 || sizeof(struct bh_delayed_work) == 88,
		 "struct bh_delayed_work must match the kernel's delayed_work");

/* The `data` of an item that was statically initialised: idle, marked so
 * the library can tell it from an uninitialised one (SPEC M6). */
#define BH_WORK_DATA_INIT ((uintptr_t)0x40u)
#define BH_WORK_INITIALIZER(name, fn)                                          \
	{                                                                      \
		.data = BH_WORK_DATA_INIT, .next = &(name), .prev = &(name),   \
		.func = (fn),                                                  \
	}
#define BH_DECLARE_WORK(name, fn)                                              \
	struct bh_work name = BH_WORK_INITIALIZER(name, fn)

BH_API void bh__delayed_work_timer_fn(struct bh_timer *t); /* internal */
#define BH_DELAYED_WORK_INITIALIZER(name, fn, tflags)                          \
	{                                                                      \
		.work = BH_WORK_INITIALIZER((name).work, fn),                  \
		.timer = BH_TIMER_INITIALIZER(bh__delayed_work_timer_fn,       \
					      (tflags) | BH_TIMER_IRQSAFE),    \
		.wq = 0, .cpu = 0,                                             \
	}
#define BH_DECLARE_DELAYED_WORK(name, fn)                                      \
	struct bh_delayed_work name = BH_DELAYED_WORK_INITIALIZER(name, fn, 0)
#define BH_DECLARE_DEFERRABLE_WORK(name, fn)                                   \
	struct bh_delayed_work name =                                          \
		BH_DELAYED_WORK_INITIALIZER(name, fn, BH_TIMER_DEFERRABLE)

/* The object that embeds work `w` as `field`, typed like `var`. */
#define bh_from_work(var, w, field) bh_container_of(w, __typeof__(*var), field)
/* The delayed item around a work item (the kernel's to_delayed_work()). */
static inline struct bh_delayed_work *bh_to_delayed_work(struct bh_work *w)
{
	return bh_container_of(w, struct bh_delayed_work, work);
}

/*
 * W1: make `w` an idle item that calls `fn`. Warns (ODEBUG "init active")
 * and cancels it first if it is pending or running (M6).
 */
BH_API void bh_work_init(struct bh_work *w, bh_work_func_t fn);
/* M7: for items on the stack; pair with bh_work_destroy_on_stack(), which
 * warns if the item is still pending or running. */
BH_API void bh_work_init_onstack(struct bh_work *w, bh_work_func_t fn);
BH_API void bh_work_destroy_on_stack(struct bh_work *w);
/* D1: bh_work_init() plus the TIMER_IRQSAFE timer; the deferrable form uses
 * a TIMER_DEFERRABLE timer (K8). */
BH_API void bh_delayed_work_init(struct bh_delayed_work *dw, bh_work_func_t fn);
BH_API void bh_deferrable_work_init(struct bh_delayed_work *dw,
				    bh_work_func_t fn);
BH_API void bh_delayed_work_destroy_on_stack(struct bh_delayed_work *dw);

/*
 * M6 (debug objects): report if `w` is pending or running when the caller
 * is about to free it, and cancel it (the kernel's fix-up). Returns true if
 * it was active. Call before free() of an object that embeds a work item.
 */
BH_API bool bh_work_debug_free(struct bh_work *w);

/* W3/D5: pending (queued, or waiting on its timer). Advisory. */
BH_API bool bh_work_pending(const struct bh_work *w);
BH_API bool bh_delayed_work_pending(const struct bh_delayed_work *dw);
/* W16: BH_WORK_BUSY_PENDING | BH_WORK_BUSY_RUNNING. Advisory. */
BH_API unsigned int bh_work_busy(struct bh_work *w);

/* ---- workqueues ------------------------------------------------------- */

/*
 * F1: a workqueue named by printf(`fmt`, ...) (truncated to 31 characters
 * with a warning, F20). max_active 0 means BH_WQ_DFL_ACTIVE; other values
 * are clamped to 1..BH_WQ_MAX_ACTIVE with a warning. BH_WQ_BH may be
 * combined only with BH_WQ_HIGHPRI/BH_WQ_PERCPU and needs max_active 0
 * (F19). Returns NULL (with a warning) on bad flags or no memory.
 * Process context only; may sleep.
 */
BH_API struct bh_workqueue *
bh_alloc_workqueue(const char *fmt, unsigned int flags, int max_active, ...)
	__attribute__((format(printf, 1, 4)));
/* F7: one item at a time, in queueing order, system-wide. */
#define bh_alloc_ordered_workqueue(fmt, flags, ...)                            \
	bh_alloc_workqueue(fmt, BH_WQ_UNBOUND | BH_WQ_ORDERED_ | (flags), 1,   \
			   ##__VA_ARGS__)
/* L5: the 2.6 creators, as today's kernel maps them. */
#define bh_create_workqueue(name)                                              \
	bh_alloc_workqueue("%s", BH_WQ_MEM_RECLAIM | BH_WQ_PERCPU, 1, (name))
#define bh_create_freezable_workqueue(name)                                    \
	bh_alloc_workqueue(                                                    \
		"%s", BH_WQ_FREEZABLE | BH_WQ_UNBOUND | BH_WQ_MEM_RECLAIM, 1,  \
		(name))
#define bh_create_singlethread_workqueue(name)                                 \
	bh_alloc_ordered_workqueue("%s", BH_WQ_MEM_RECLAIM, (name))

/*
 * C7/U6: drain (every queued item runs, chained queueing included), stop
 * the rescuer and free. Items still on delayed-work timers are not waited
 * for: cancel them first. Destroying with such an item armed warns and
 * cancels it, instead of the kernel's later use-after-free (D14). Warns and
 * leaks the workqueue if it is still busy after draining (M12).
 */
BH_API void bh_destroy_workqueue(struct bh_workqueue *wq);

BH_API const char *bh_workqueue_name(const struct bh_workqueue *wq);
/* F6: clamp and apply; warns and does nothing on BH or ordered queues. */
BH_API void bh_workqueue_set_max_active(struct bh_workqueue *wq,
					int max_active);
/* W17: that CPU's share holds items deferred by max_active. Advisory. */
BH_API bool bh_workqueue_congested(int cpu, struct bh_workqueue *wq);

/* The system workqueues, created by bh_init() (NULL while stopped). */
BH_API extern struct bh_workqueue *bh_system_wq;
BH_API extern struct bh_workqueue *bh_system_highpri_wq;
BH_API extern struct bh_workqueue *bh_system_long_wq;
BH_API extern struct bh_workqueue *bh_system_unbound_wq;
BH_API extern struct bh_workqueue *bh_system_freezable_wq;
BH_API extern struct bh_workqueue *bh_system_power_efficient_wq;
BH_API extern struct bh_workqueue *bh_system_bh_wq;
BH_API extern struct bh_workqueue *bh_system_bh_highpri_wq;

/* ---- queueing (async-signal-safe, no allocation, no blocking) --------- */

/*
 * W2: queue `w` on `wq` for CPU `cpu` (BH_WORK_CPU_UNBOUND: the caller's
 * bh CPU, Q1) unless it is pending. Returns true if it was queued, false if
 * it was already pending or is disabled (X2). An item still running goes to
 * the pool that runs it (W7). On a draining or destroyed queue it warns
 * once and drops the item, returning true (C8).
 */
BH_API bool bh_queue_work_on(int cpu, struct bh_workqueue *wq,
			     struct bh_work *w);
BH_API bool bh_queue_work(struct bh_workqueue *wq, struct bh_work *w);
/* D2-D4, D6: queue after `delay` jiffies (0: now, no timer). */
BH_API bool bh_queue_delayed_work_on(int cpu, struct bh_workqueue *wq,
				     struct bh_delayed_work *dw,
				     unsigned long delay);
BH_API bool bh_queue_delayed_work(struct bh_workqueue *wq,
				  struct bh_delayed_work *dw,
				  unsigned long delay);
/* D7-D9: (re)queue with a new delay whatever the state; true if it was
 * pending. */
BH_API bool bh_mod_delayed_work_on(int cpu, struct bh_workqueue *wq,
				   struct bh_delayed_work *dw,
				   unsigned long delay);
BH_API bool bh_mod_delayed_work(struct bh_workqueue *wq,
				struct bh_delayed_work *dw,
				unsigned long delay);

/* On bh_system_wq. */
BH_API bool bh_schedule_work(struct bh_work *w);
BH_API bool bh_schedule_work_on(int cpu, struct bh_work *w);
BH_API bool bh_schedule_delayed_work(struct bh_delayed_work *dw,
				     unsigned long delay);
BH_API bool bh_schedule_delayed_work_on(int cpu, struct bh_delayed_work *dw,
					unsigned long delay);

/* ---- flush, cancel, disable ------------------------------------------- */

/*
 * C1/C2: wait for the last queued instance of `w` to finish. True if it
 * waited. From `w`'s own callback it warns (M1) and returns false instead
 * of deadlocking. May sleep.
 */
BH_API bool bh_flush_work(struct bh_work *w);
/* D12: fire an armed timer now, then flush_work. */
BH_API bool bh_flush_delayed_work(struct bh_delayed_work *dw);
/* C4/C5: wait for everything queued before the call. From one of `wq`'s
 * own items it warns (M3) and returns. Flushing a system workqueue warns
 * (M11). May sleep. */
BH_API void bh_flush_workqueue(struct bh_workqueue *wq);
/* C6: reject outside queueing and flush until empty. */
BH_API void bh_drain_workqueue(struct bh_workqueue *wq);

/* C9: remove a pending instance; true if there was one. Does not wait. */
BH_API bool bh_cancel_work(struct bh_work *w);
/* C10-C12: also wait for a running instance; self-requeueing items are
 * held off meanwhile. From the item's own callback: warns (M2), cancels,
 * does not wait. May sleep (busy-waits for BH items, C13). */
BH_API bool bh_cancel_work_sync(struct bh_work *w);
/* D10/D11. */
BH_API bool bh_cancel_delayed_work(struct bh_delayed_work *dw);
BH_API bool bh_cancel_delayed_work_sync(struct bh_delayed_work *dw);

/* X1-X6: disable depth (nesting, 16 bits). */
BH_API bool bh_disable_work(struct bh_work *w);
BH_API bool bh_disable_work_sync(struct bh_work *w);
BH_API bool bh_enable_work(struct bh_work *w);
BH_API bool bh_enable_and_queue_work(struct bh_workqueue *wq,
				     struct bh_work *w);
BH_API bool bh_disable_delayed_work(struct bh_delayed_work *dw);
BH_API bool bh_disable_delayed_work_sync(struct bh_delayed_work *dw);
BH_API bool bh_enable_delayed_work(struct bh_delayed_work *dw);

/* ---- worker context --------------------------------------------------- */

/* W14: the item the calling kworker is running; NULL elsewhere and in BH
 * items (B7). */
BH_API struct bh_work *bh_current_work(void);
/* W15 */
BH_API bool bh_current_is_workqueue_rescuer(void);
/* W22: describe the current work in the worker's thread name
 * ("kworker/0:1+desc" while it runs). No-op outside a kworker. */
BH_API void bh_set_worker_desc(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* W19: run fn on every bh CPU through bh_system_wq and wait. 0 or -errno. */
BH_API int bh_schedule_on_each_cpu(bh_work_func_t fn);
/* W20: run fn(arg) in a kworker of `cpu`, wait, return its value
 * (-EINVAL for a bad cpu). May sleep. */
BH_API long bh_work_on_cpu(int cpu, long (*fn)(void *arg), void *arg);

/* W18 */
struct bh_execute_work {
	struct bh_work work;
};
BH_API int bh_execute_in_process_context(bh_work_func_t fn,
					 struct bh_execute_work *ew);

/* ---- freezing (F16) --------------------------------------------------- */

BH_API void bh_freeze_workqueues_begin(void);
BH_API bool bh_freeze_workqueues_busy(void);
BH_API void bh_thaw_workqueues(void);

/* ---- statistics (F18) ------------------------------------------------- */

struct bh_wq_stats {
	unsigned long long started;	  /* items started */
	unsigned long long completed;	  /* items finished */
	unsigned long long cpu_intensive; /* F12 marks */
	unsigned long long cm_wakeup;	  /* concurrency-management wakeups */
	unsigned long long mayday;	  /* rescuer requests */
	unsigned long long rescued;	  /* items run by the rescuer */
	unsigned int nr_active;		  /* running now or may start */
	unsigned int nr_inactive;	  /* held back by max_active */
};
/* 0, or -EINVAL. Advisory. */
BH_API int bh_workqueue_get_stats(const struct bh_workqueue *wq,
				  struct bh_wq_stats *st);
/* Print every workqueue's counters (the wq_monitor.py columns) to the log
 * sink. */
BH_API void bh_show_workqueue_state(void);

#ifdef __cplusplus
}
#endif

#endif
