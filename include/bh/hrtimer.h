/* SPDX-License-Identifier: MIT */
/*
 * High-resolution timers with the kernel's semantics
 * (Documentation/timers/hrtimers.rst, kernel/time/hrtimer.c): nanosecond
 * expiry on a chosen clock, a callback that returns BH_HRTIMER_RESTART to
 * be re-armed at the expiry it set with bh_hrtimer_forward(), and the
 * kernel's two execution contexts:
 *
 * - HARD (the default without BH_HRTIMER_MODE_SOFT, as on a kernel without
 *   PREEMPT_RT): the callback runs in hardirq context (bh_in_hardirq()
 *   true, interrupts off), on the bh CPU the timer was started on, in the
 *   library's "hrtimer" thread, which plays the CPU's timer interrupt. Its
 *   bh_irq_exit() runs the softirqs the callback raised, as the kernel's
 *   interrupt exit does.
 * - SOFT (BH_HRTIMER_MODE_SOFT): the callback runs in softirq context,
 *   in HRTIMER_SOFTIRQ of the timer's bh CPU (ksoftirqd/N, or whoever runs
 *   that CPU's softirqs; in deterministic mode, bh_run_softirqs()).
 *
 * A callback never runs concurrently with itself: HARD callbacks all run
 * on the one hrtimer thread, and a SOFT timer whose callback is running
 * stays on its bh CPU, whose softirqs do not overlap.
 * bh_hrtimer_cancel() waits for a running callback; bh_hrtimer_try_to_cancel()
 * does not, and says so.
 *
 * Why one thread, sleeping in FUTEX_WAIT_BITSET until the earliest expiry
 * (CLOCK_MONOTONIC, absolute, nanoseconds) rather than a timerfd per bh
 * CPU: arming needs no system call unless the new timer is the earliest
 * (then one futex wake, the analogue of reprogramming the clock event
 * device), no file descriptor per CPU, and HARD callbacks get a thread of
 * their own to enter hardirq context in, as fd lines get hardirq/N. The
 * cost: HARD callbacks of all bh CPUs are serialised on that thread, as if
 * one CPU's timer interrupt served them all. Armed timers are kept in an
 * intrusive list sorted by expiry (the kernel uses an rbtree): arming is
 * O(n) in the timers armed, and never allocates.
 * The thread sets its timer slack to 1 ns (PR_SET_TIMERSLACK): a thread's
 * default 50 us slack would stretch every deadline by up to that much.
 *
 * Clocks: CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_BOOTTIME and CLOCK_TAI. A
 * non-monotonic expiry is converted to the monotonic clock when armed;
 * a later jump of that clock (settimeofday) does not move armed timers,
 * where the kernel's clock_was_set() would.
 *
 * Arming, forwarding and cancelling take a short spinlock with interrupts
 * off for the thread, so a top half run by the library may call them
 * (SPEC U1, U2: no allocation, no blocking; a system call only to wake
 * the hrtimer thread for a new earliest timer). The thread starts at the
 * first bh_hrtimer_setup()/bh_hrtimer_init() of a runtime; bh_shutdown()
 * stops it and cancels, with a report, the timers still armed.
 */
#ifndef BH_HRTIMER_H
#define BH_HRTIMER_H

#include <stdbool.h>
#include <stdint.h>

#include "delay.h"
#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

enum bh_hrtimer_restart {
	BH_HRTIMER_NORESTART = 0, /* the timer is done */
	BH_HRTIMER_RESTART,	  /* re-arm at the (forwarded) expiry */
};

/* The kernel's mode bits and their combinations. */
enum bh_hrtimer_mode {
	BH_HRTIMER_MODE_ABS = 0x00,    /* the time is absolute */
	BH_HRTIMER_MODE_REL = 0x01,    /* ... relative to now */
	BH_HRTIMER_MODE_PINNED = 0x02, /* stays on its bh CPU */
	BH_HRTIMER_MODE_SOFT = 0x04,   /* callback in softirq context */
	BH_HRTIMER_MODE_HARD = 0x08,   /* callback in hardirq context */

	BH_HRTIMER_MODE_ABS_PINNED = 0x02,
	BH_HRTIMER_MODE_REL_PINNED = 0x03,
	BH_HRTIMER_MODE_ABS_SOFT = 0x04,
	BH_HRTIMER_MODE_REL_SOFT = 0x05,
	BH_HRTIMER_MODE_ABS_PINNED_SOFT = 0x06,
	BH_HRTIMER_MODE_REL_PINNED_SOFT = 0x07,
	BH_HRTIMER_MODE_ABS_HARD = 0x08,
	BH_HRTIMER_MODE_REL_HARD = 0x09,
	BH_HRTIMER_MODE_ABS_PINNED_HARD = 0x0a,
	BH_HRTIMER_MODE_REL_PINNED_HARD = 0x0b,
};

struct bh_hrtimer;
typedef enum bh_hrtimer_restart (*bh_hrtimer_fn)(struct bh_hrtimer *);

/*
 * Embed in your object; set up with bh_hrtimer_setup() (or
 * bh_hrtimer_init() and then `function`). Fields other than `function`
 * are the library's. Legend: I set at setup; L under the hrtimer lock;
 * A atomic.
 */
struct bh_hrtimer {
	struct bh_hrtimer *next, *prev; /* L: armed list or soft list */
	bh_ktime_t softexpires;		/* L: earliest expiry (timer's clock) */
	bh_ktime_t expires;		/* L: softexpires + slack */
	bh_ktime_t key;			/* L: softexpires on CLOCK_MONOTONIC */
	bh_hrtimer_fn function;		/* I: the callback */
	int clockid;			/* I: a clockid_t */
	uint8_t is_soft;		/* I: SOFT mode */
	uint8_t where;			/* L: 0 idle, 1 armed, 2 soft list */
	uint8_t running;		/* A: the callback is running */
	uint8_t pad_;
	int cpu;	 /* L: the bh CPU it runs on */
	int running_tid; /* A: the thread running the callback */
	uint32_t magic;	 /* I: set up */
};

/*
 * Set up `t` on `clock` (a clockid_t: CLOCK_MONOTONIC...) for `mode` (only
 * SOFT/HARD matter here; the ABS/REL part is given again at each start, as in
 * the kernel). Returns 0, -EINVAL (NULL, a clock not listed above),
 * -ENXIO/-ECHILD (no runtime), -EAGAIN (the hrtimer thread could not start).
 * Task context.
 */
BH_API int bh_hrtimer_setup(struct bh_hrtimer *t, bh_hrtimer_fn function,
			    int clock, enum bh_hrtimer_mode mode);
BH_API int bh_hrtimer_init(struct bh_hrtimer *t, int clock,
			   enum bh_hrtimer_mode mode);

/*
 * Arm `t` to expire at `tim` (ABS) or `tim` from now (REL), on its clock,
 * at the earliest; `delta_ns` of slack is accepted (recorded in the
 * expiry) and not used: timers fire at their earliest expiry. An armed
 * timer is moved. A timer whose callback is running is armed anew and
 * stays on its bh CPU; otherwise it goes to the caller's bh CPU. Returns 0
 * or -EINVAL (not set up, no function). Any context; async-signal-safe in
 * top halves run by the library; never allocates.
 */
BH_API int bh_hrtimer_start_range_ns(struct bh_hrtimer *t, bh_ktime_t tim,
				     uint64_t delta_ns,
				     enum bh_hrtimer_mode mode);
static inline int bh_hrtimer_start(struct bh_hrtimer *t, bh_ktime_t tim,
				   enum bh_hrtimer_mode mode)
{
	return bh_hrtimer_start_range_ns(t, tim, 0, mode);
}

/*
 * Move the expiry forward by whole intervals until it is after `now`;
 * returns how many intervals (the overruns), 0 if it was after `now`
 * already. Does not arm. For the callback of `t`, or a timer neither
 * armed nor running (arming one warns and does nothing). An interval
 * under 1 ns counts as 1 ns.
 */
BH_API uint64_t bh_hrtimer_forward(struct bh_hrtimer *t, bh_ktime_t now,
				   bh_ktime_t interval);
/* bh_hrtimer_forward() from the timer's clock's now. */
BH_API uint64_t bh_hrtimer_forward_now(struct bh_hrtimer *t,
				       bh_ktime_t interval);

/*
 * Disarm. bh_hrtimer_try_to_cancel() returns 1 if it was armed (now it is
 * not), 0 if it was not, -1 if its callback is running (nothing done).
 * bh_hrtimer_cancel() returns 1 or 0 the same way after waiting for a
 * running callback to return; called from that callback it would wait for
 * ever, so it warns and returns -1. Neither allocates; cancel blocks only
 * while the callback runs.
 */
BH_API int bh_hrtimer_try_to_cancel(struct bh_hrtimer *t);
BH_API int bh_hrtimer_cancel(struct bh_hrtimer *t);

/* Armed (waiting or expired and due to run), or its callback running. */
BH_API bool bh_hrtimer_active(const struct bh_hrtimer *t);
/* Armed, not yet run. */
BH_API bool bh_hrtimer_is_queued(const struct bh_hrtimer *t);
BH_API bool bh_hrtimer_callback_running(const struct bh_hrtimer *t);
/* Expiry minus now, on the timer's clock (negative once passed). */
BH_API bh_ktime_t bh_hrtimer_get_remaining(const struct bh_hrtimer *t);
/* Now on the timer's clock. */
BH_API bh_ktime_t bh_hrtimer_cb_get_time(const struct bh_hrtimer *t);

static inline bh_ktime_t bh_hrtimer_get_expires(const struct bh_hrtimer *t)
{
	return t->expires;
}

static inline bh_ktime_t bh_hrtimer_get_softexpires(const struct bh_hrtimer *t)
{
	return t->softexpires;
}

/* Set the expiry of a timer that is not armed (from its callback). */
static inline void bh_hrtimer_set_expires(struct bh_hrtimer *t, bh_ktime_t time)
{
	t->softexpires = t->expires = time;
}

#ifdef __cplusplus
}
#endif

#endif
