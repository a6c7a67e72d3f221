/* SPDX-License-Identifier: MIT */
/*
 * Tasklets, with the kernel's semantics (SPEC T1-T26).
 *
 * A tasklet is embedded in the caller's object and never allocated by the
 * library. Scheduling sets SCHED and, only on that transition, pushes the
 * tasklet on the calling bh CPU's list (HI or normal) and raises HI_SOFTIRQ
 * or TASKLET_SOFTIRQ. Scheduling an already scheduled tasklet does nothing
 * (T2) but still guarantees a run that starts after the call (T3).
 * The softirq detaches its whole list, runs it in scheduling order (T5, T7),
 * clears SCHED just before each callback (T8), and holds RUN for the whole
 * callback, so a tasklet never runs concurrently with itself (T9): found
 * running elsewhere, it goes back on this CPU's list for a later pass.
 *
 * A disabled tasklet (count > 0) that is scheduled stays scheduled and runs
 * once enabled (T13). The kernel re-queues it on every pass, a busy loop;
 * here it is parked on its CPU and put back when tasklet_enable() brings
 * the count to 0, which changes nothing observable but the wasted CPU.
 * tasklet_enable() itself never schedules a tasklet that was not (T14).
 *
 * The callback runs in softirq context (T25): it must not sleep, and the
 * library touches the tasklet after it returns (RUN is cleared, waiters are
 * woken), so a callback must not free its own tasklet (T24).
 *
 * Which calls may be made where:
 *   schedule, hi_schedule, disable_nosync, enable, trylock, unlock:
 *       any context, async-signal-safe, no allocation, no lock; the
 *       already-scheduled path makes no system call.
 *   disable, kill, unlock_wait: may sleep; task context only.
 *   disable_in_atomic, unlock_spin_wait: busy-wait; any context but the
 *       tasklet's own callback.
 *
 * Errors (functions returning int): -EINVAL for a NULL or never
 * initialised tasklet (every call). Calls that need the runtime (schedule,
 * hi_schedule, kill) also return -ENXIO before bh_init()/after
 * bh_shutdown() and -ECHILD in a forked child; disable, enable and the
 * waits only touch the object and work without it. -EDEADLK where waiting
 * could never end: a wait from the tasklet's own callback, or
 * tasklet_kill() from interrupt context. The sleeping waits called from
 * other atomic contexts report a might_sleep splat (M15) and then wait, as
 * the kernel does. Each error also logs a WARN naming the tasklet.
 */
#ifndef BH_TASKLET_H
#define BH_TASKLET_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler.h"
#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* state bits the kernel defines; the library keeps private bits above. */
#define BH_TASKLET_STATE_SCHED 0
#define BH_TASKLET_STATE_RUN   1

/* Marks a tasklet set up by one of the initialisers below. */
#define BH_TASKLET_MAGIC 0x7a5c

struct bh_tasklet {
	struct bh_tasklet *next; /* link on a bh CPU's list while SCHED */
	unsigned long state;	 /* SCHED, RUN, private bits; atomic */
	bh_atomic_t count;	 /* disable depth; runs only at 0 */
	bool use_callback;	 /* callback(t) rather than func(data) */
	uint8_t bh_flags;	 /* private */
	uint16_t bh_magic;	 /* BH_TASKLET_MAGIC once initialised */
	union {
		void (*func)(unsigned long data);
		void (*callback)(struct bh_tasklet *t);
	};
	unsigned long data;
};

/* The same 40 bytes as the kernel's struct tasklet_struct on LP64. */
BH_STATIC_ASSERT(
	sizeof(void *) != 8 || sizeof(struct bh_tasklet) == 40,
	"struct bh_tasklet must match the kernel's tasklet_struct size");

#define BH_TASKLET_INIT(cb)                                                    \
	{                                                                      \
		.count = {0}, .use_callback = true,                            \
		.bh_magic = BH_TASKLET_MAGIC, .callback = (cb),                \
	}
#define BH_TASKLET_INIT_DISABLED(cb)                                           \
	{                                                                      \
		.count = {1}, .use_callback = true,                            \
		.bh_magic = BH_TASKLET_MAGIC, .callback = (cb),                \
	}
#define BH_TASKLET_INIT_OLD(fn, d)                                             \
	{                                                                      \
		.count = {0}, .use_callback = false,                           \
		.bh_magic = BH_TASKLET_MAGIC, .func = (fn), .data = (d),       \
	}
#define BH_TASKLET_INIT_OLD_DISABLED(fn, d)                                    \
	{                                                                      \
		.count = {1}, .use_callback = false,                           \
		.bh_magic = BH_TASKLET_MAGIC, .func = (fn), .data = (d),       \
	}

/* T18: the _DISABLED forms start with count 1. */
#define BH_DECLARE_TASKLET(name, cb)                                           \
	struct bh_tasklet name = BH_TASKLET_INIT(cb)
#define BH_DECLARE_TASKLET_DISABLED(name, cb)                                  \
	struct bh_tasklet name = BH_TASKLET_INIT_DISABLED(cb)
#define BH_DECLARE_TASKLET_OLD(name, fn)                                       \
	struct bh_tasklet name = BH_TASKLET_INIT_OLD(fn, 0)

/* The object that embeds tasklet `t` as `field`, typed like `var`. */
#define bh_from_tasklet(var, t, field)                                         \
	bh_container_of(t, __typeof__(*var), field)

/*
 * T19: reset next, state and count, set the function; setup also zeroes
 * data. Re-initialising a scheduled tasklet is a bug: it warns, and keeps
 * the list link so that other queued tasklets are not lost; the tasklet's
 * callback is then skipped with the kernel's "SCHED state not set" warning.
 */
BH_API void bh_tasklet_setup(struct bh_tasklet *t,
			     void (*callback)(struct bh_tasklet *t));
BH_API void bh_tasklet_init(struct bh_tasklet *t, void (*func)(unsigned long),
			    unsigned long data);

/*
 * T1-T3: schedule on this context's bh CPU (normal or HI list).
 * Returns 1 if this call scheduled it, 0 if it was already scheduled (or
 * held by tasklet_kill, T21), or a negative errno.
 */
BH_API int bh_tasklet_schedule(struct bh_tasklet *t);
BH_API int bh_tasklet_hi_schedule(struct bh_tasklet *t);

/*
 * T12, T16, T17: raise the disable depth; disable then waits (may sleep)
 * until no callback is running on any CPU, disable_in_atomic busy-waits,
 * disable_nosync does not wait. A pending schedule stays pending.
 */
BH_API int bh_tasklet_disable(struct bh_tasklet *t);
BH_API int bh_tasklet_disable_nosync(struct bh_tasklet *t);
BH_API int bh_tasklet_disable_in_atomic(struct bh_tasklet *t);

/*
 * T14, T15: lower the depth. Never schedules. Going below zero is what the
 * kernel allows silently (the tasklet then stays unrunnable until
 * balanced); here it also warns, once per tasklet.
 */
BH_API int bh_tasklet_enable(struct bh_tasklet *t);

/*
 * T20-T23: return once `t` is neither scheduled nor running. A pending run
 * is allowed to happen first; schedules made while kill waits are dropped,
 * which is how a self-rescheduling tasklet is stopped. May sleep.
 * From interrupt context it logs the kernel's notice and returns -EDEADLK
 * without waiting; from the tasklet's own callback it warns and returns
 * -EDEADLK (the kernel would wait for itself forever).
 */
BH_API int bh_tasklet_kill(struct bh_tasklet *t);

/* Wait until `t` is not running (sleeping / spinning variant). */
BH_API int bh_tasklet_unlock_wait(struct bh_tasklet *t);
BH_API int bh_tasklet_unlock_spin_wait(struct bh_tasklet *t);

/* Take or drop the RUN bit by hand, as the kernel's tasklet_trylock(). */
BH_API bool bh_tasklet_trylock(struct bh_tasklet *t);
BH_API void bh_tasklet_unlock(struct bh_tasklet *t);

/* Advisory reads of the state bits and the disable depth. */
BH_API bool bh_tasklet_is_scheduled(const struct bh_tasklet *t);
BH_API bool bh_tasklet_is_running(const struct bh_tasklet *t);

#ifdef __cplusplus
}
#endif

#endif
