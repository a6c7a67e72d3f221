/* SPDX-License-Identifier: MIT */
/*
 * Top halves: numbered interrupt lines, their handlers, and the sources
 * that fire them (a call, a file descriptor, a periodic timer, a signal).
 *
 * A line is a number below BH_NR_IRQS. Handlers are requested on it with
 * the kernel's rules (bh_request_irq(), IRQF_SHARED, threaded handlers,
 * IRQF_ONESHOT) and run in hardirq context: bh_in_hardirq() is true,
 * interrupts are off for the thread, bh_might_sleep() reports, and
 * smp_processor_id() answers the line's bh CPU (bh_irq_set_affinity()).
 * Softirqs, tasklets and BH work a handler raises run when the outermost
 * handler exits, on that bh CPU (SPEC S9), never inside the handler; a
 * handler that ran inside a signal handler hands them to ksoftirqd/N.
 *
 * What a line does when it fires again:
 *  - A line's handlers never run concurrently with themselves. An event
 *    that arrives while they run (on any thread) marks the line pending;
 *    the running dispatch runs them once more after they return. However
 *    many events arrive meanwhile, they make one more run: coalesced, never
 *    lost (the kernel's IRQS_PENDING replay of an edge interrupt).
 *  - An event that arrives while the line is disabled (bh_disable_irq()),
 *    or masked because an IRQF_ONESHOT thread has not finished, is latched
 *    the same way and run once when the line is enabled or unmasked, in the
 *    context of the call that enables or unmasks it.
 *  - An event for a thread that has interrupts off (bh_local_irq_save())
 *    is held and run at the restore that turns them back on (SPEC U4).
 *
 * Sources, and whether they are edge- or level-like:
 *  - software (bh_raise_irq()): edge. Each call is one event, delivered at
 *    once on the calling thread, which acts as the line's bh CPU for the
 *    length of the handlers.
 *  - file descriptor (bh_irq_bind_fd()): level. The line's bh CPU has a
 *    delivery thread, "hardirq/N", that waits in epoll; while the fd stays
 *    ready (the handler did not drain it) it fires again after each run.
 *    The fd is armed once per run (EPOLLONESHOT), so events never overlap
 *    a running handler. A hang-up or error on the fd, or the fd closed
 *    while bound, is reported and the line disabled; nothing else stops.
 *  - periodic timer (bh_irq_bind_timer()): edge. Expirations missed while
 *    the handler ran or the line was off coalesce into one event.
 *  - POSIX signal (bh_irq_bind_signal()): edge, as the signal itself. The
 *    handlers run inside the library's signal handler on whichever thread
 *    the signal lands, in true asynchronous context: they may only call
 *    what a signal handler may (the scheduling calls of SPEC U1 are fine).
 *
 * Every function here returns 0 or a negative errno unless noted; -ENXIO
 * or -ECHILD without a runtime (as everywhere else). Only bh_raise_irq(),
 * bh_disable_irq_nosync() and bh_enable_irq() may be called from hardirq
 * or signal context; the others may sleep and report a might_sleep splat
 * (SPEC U8) when called from atomic context.
 */
#ifndef BH_IRQ_H
#define BH_IRQ_H

#include <stdint.h>
#include <stdio.h>

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Lines 0 .. BH_NR_IRQS - 1; the table is static (nothing allocated). */
#define BH_NR_IRQS 256

/* What a handler returns, as the kernel's irqreturn_t. */
enum bh_irqreturn {
	BH_IRQ_NONE = 0,	/* not from my device */
	BH_IRQ_HANDLED = 1,	/* mine, done */
	BH_IRQ_WAKE_THREAD = 2, /* mine, run my thread_fn */
};
typedef enum bh_irqreturn bh_irqreturn_t;
typedef bh_irqreturn_t (*bh_irq_handler_t)(int irq, void *dev_id);

/*
 * Request flags, with the kernel's values. Trigger types are recorded and
 * must agree between the handlers of a shared line; they change nothing
 * else (each source has its own edge/level nature, above).
 */
#define BH_IRQF_TRIGGER_NONE	0x00000000ul
#define BH_IRQF_TRIGGER_RISING	0x00000001ul
#define BH_IRQF_TRIGGER_FALLING 0x00000002ul
#define BH_IRQF_TRIGGER_HIGH	0x00000004ul
#define BH_IRQF_TRIGGER_LOW	0x00000008ul
#define BH_IRQF_TRIGGER_MASK	0x0000000ful
#define BH_IRQF_SHARED		0x00000080ul /* several handlers, by dev_id */
#define BH_IRQF_PROBE_SHARED	0x00000100ul /* a mismatch is not logged */
#define BH_IRQF_NOBALANCING	0x00000800ul /* accepted, no effect */
#define BH_IRQF_ONESHOT		0x00002000ul /* masked until thread_fn ends */
#define BH_IRQF_NO_SUSPEND	0x00004000ul /* accepted, no effect */
#define BH_IRQF_NO_THREAD	0x00010000ul /* accepted, no effect */
#define BH_IRQF_NO_AUTOEN	0x00080000ul /* start disabled (depth 1) */

/*
 * Install `handler` on line `irq` (it runs in hardirq context with `irq`
 * and `dev_id`). `name` is kept by pointer, as the kernel keeps it, and is
 * what bh_free_irq() returns. Returns 0, or:
 *   -EINVAL  irq out of range, NULL handler, IRQF_SHARED without dev_id,
 *            unknown flags
 *   -EBUSY   the line has a handler and either request is not shared, or
 *            their IRQF_ONESHOT or trigger flags differ (the kernel's
 *            "Flags mismatch irq N" is logged unless IRQF_PROBE_SHARED)
 *   -ENOMEM, or a pthread error for a threaded handler.
 */
BH_API int bh_request_irq(unsigned int irq, bh_irq_handler_t handler,
			  unsigned long flags, const char *name, void *dev_id);

/*
 * The same with a thread function: when `handler` returns
 * BH_IRQ_WAKE_THREAD, `thread_fn` runs in a thread of its own, named
 * "irq/N-name" like the kernel's, in process context (it may sleep).
 * Wake-ups that come while it runs coalesce into one more run. With
 * IRQF_ONESHOT the line stays masked from that return until thread_fn
 * returns. A NULL handler means "always wake the thread" and requires
 * IRQF_ONESHOT, as in the kernel (-EINVAL otherwise).
 */
BH_API int bh_request_threaded_irq(unsigned int irq, bh_irq_handler_t handler,
				   bh_irq_handler_t thread_fn,
				   unsigned long flags, const char *name,
				   void *dev_id);

/*
 * Remove the handler of `irq` registered with `dev_id`, after waiting for
 * a run of it in progress on any thread, and for its thread function;
 * returns its name. A line or dev_id with no such handler (a second free)
 * and a call from one of the line's own handlers or thread functions
 * (which would wait for itself) are reported with a WARN naming the line
 * and return NULL without waiting.
 */
BH_API const void *bh_free_irq(unsigned int irq, void *dev_id);

/*
 * Disable the line: counted, so each call needs one bh_enable_irq().
 * bh_disable_irq() also waits for handlers and thread functions running on
 * other threads (from one of the line's own handlers it warns instead of
 * waiting forever, and returns -EDEADLK with the line disabled).
 * bh_enable_irq() past zero warns "Unbalanced enable for IRQ N" and
 * returns -EINVAL; the enable that reaches zero runs an event latched
 * while the line was off (above).
 */
BH_API int bh_disable_irq(unsigned int irq);
BH_API int bh_disable_irq_nosync(unsigned int irq);
BH_API int bh_enable_irq(unsigned int irq);

/* Wait until no handler and no thread function of the line is running. */
BH_API int bh_synchronize_irq(unsigned int irq);

/*
 * Which bh CPU runs the line's handlers (default 0): what
 * smp_processor_id() answers in them, where their softirqs run, and, for
 * an fd or timer line, which hardirq/N thread delivers it.
 */
BH_API int bh_irq_set_affinity(unsigned int irq, int cpu);
/* The line's bh CPU, or a negative errno. */
BH_API int bh_irq_get_affinity(unsigned int irq);

/*
 * Fire a software event on `irq` (see "software" above): its handlers run
 * before this returns, unless the event was coalesced or latched, or held
 * because this thread has interrupts off. Async-signal-safe, no
 * allocation, no lock; from a signal handler of your own, call it between
 * bh_signal_irq_enter() and bh_signal_irq_exit() so that bottom halves go
 * to ksoftirqd/N instead of running inside the signal handler.
 * Returns 0, -EINVAL (irq out of range) or -ENOENT (no handler).
 */
BH_API int bh_raise_irq(unsigned int irq);

/*
 * Bind a source to a line (one source per line; -EBUSY if it has one).
 * bh_irq_bind_fd(): `events` are epoll events (0 means EPOLLIN); the fd
 * stays the caller's, and must stay open until bh_irq_unbind() (-EBADF for
 * a bad fd, -EINVAL for EPOLLET or EPOLLONESHOT, -EPERM for an fd epoll
 * cannot watch, such as a regular file).
 * bh_irq_bind_timer(): a periodic timer of `period_ns` (> 0), first
 * firing one period from now; the library owns its timerfd.
 * bh_irq_bind_signal(): the library installs its own SA_SIGINFO handler for
 * `signo` and puts the old one back at unbind (-EINVAL for SIGKILL,
 * SIGSTOP or a bad number, -EBUSY if another line has the signal).
 * bh_irq_unbind(): remove the source (-ENOENT if none); handlers stay.
 */
BH_API int bh_irq_bind_fd(unsigned int irq, int fd, uint32_t events);
BH_API int bh_irq_bind_timer(unsigned int irq, uint64_t period_ns);
BH_API int bh_irq_bind_signal(unsigned int irq, int signo);
BH_API int bh_irq_unbind(unsigned int irq);

/* Runs of the line's handlers on bh CPU `cpu` since bh_init() (0 for bad
 * arguments). */
BH_API unsigned long long bh_irq_count(unsigned int irq, int cpu);

/*
 * The lines with handlers, in the format of /proc/interrupts: a header
 * of CPU columns, then "  N:  count count ...  bh-irq  source  names"
 * (source: soft, fd:F, timer, sig:S). Returns the length written, -EIO
 * or -ENOMEM. Not async-signal-safe.
 */
BH_API int bh_show_interrupts(FILE *f);

#ifdef __cplusplus
}
#endif

#endif
