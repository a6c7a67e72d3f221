/* SPDX-License-Identifier: MIT */
/*
 * Interrupt lines, shared by irq.c (requests, flow, accounting),
 * irq_thread.c (threaded handlers), irq_fd.c (fd and timer sources) and
 * irq_signal.c (signal sources). Locking legend as in internal.h, plus
 *   D  under the line's `lock` (requests, frees, binds: process context)
 *   P  only the dispatcher that holds INPROGRESS (so one at a time)
 */
#ifndef BH_IRQ_INTERNAL_H
#define BH_IRQ_INTERNAL_H

#include <sys/types.h>

#include "internal.h"

#pragma GCC visibility push(hidden)

/*
 * The line's state word: every transition is one CAS on it, so "may the
 * handlers run now?" and "remember that they must run again" are decided
 * together, with no lock a signal handler could want.
 */
#define BH__IRQS_INPROGRESS    (1ull << 0) /* a dispatcher runs the handlers */
#define BH__IRQS_PENDING       (1ull << 1) /* an event must be run (again) */
#define BH__IRQS_ARMED	       (1ull << 2) /* fd source armed in epoll */
#define BH__IRQS_DEPTH_ONE     (1ull << 8) /* disable depth, bits 8..23 */
#define BH__IRQS_DEPTH_MASK    (0xffffull << 8)
#define BH__IRQS_ONESHOT_SHIFT 32 /* ONESHOT threads still running */
#define BH__IRQS_ONESHOT_MASK  (0xffffffffull << 32)
/* The handlers may not run while any of these is set. */
#define BH__IRQS_BLOCKED                                                       \
	(BH__IRQS_INPROGRESS | BH__IRQS_DEPTH_MASK | BH__IRQS_ONESHOT_MASK)

enum bh__irq_src {
	BH__IRQ_SRC_NONE = 0,
	BH__IRQ_SRC_FD,
	BH__IRQ_SRC_TIMER,
	BH__IRQ_SRC_SIGNAL,
};

/* Thread flags of a threaded handler (its futex word). */
#define BH__IRQTF_RUN  1u /* thread_fn must run */
#define BH__IRQTF_STOP 2u /* free_irq: exit after a pending run */

struct bh__irq_action {
	bh_irq_handler_t handler;    /* I: set before publication */
	bh_irq_handler_t thread_fn;  /* I */
	void *dev_id;		     /* I */
	const char *name;	     /* I */
	unsigned long flags;	     /* I */
	unsigned int irq;	     /* I */
	uint64_t thread_mask;	     /* I: its ONESHOT bit in the state word */
	struct bh__irq_action *next; /* A: written under D, read by flows */
	uint32_t thread_flags;	     /* A: BH__IRQTF_* */
	bool has_thread;	     /* D */
	pthread_t thread;	     /* D */
};

struct bh__irq_desc {
	uint64_t state;		       /* A: BH__IRQS_* */
	struct bh__irq_action *action; /* A: written under D */
	int cpu;		       /* A: affinity */
	uint32_t threads_active;       /* A: thread_fn runs owed or going */
	uint32_t sync_waiters;	       /* A: threads in bh__irq_sync() */
	uint32_t oneshot_bits;	       /* D: ONESHOT bits in use */
	struct bh__hardirq deliver;    /* an event (context.c holds it) */
	struct bh__hardirq replay;     /* a latched event, at enable */
	pthread_mutex_t lock;	       /* D */
	/* note_interrupt(), the kernel's spurious-interrupt detector */
	unsigned int irq_count;	      /* P */
	unsigned int irqs_unhandled;  /* P */
	unsigned long last_unhandled; /* P: jiffies */
	uint32_t threads_handled;     /* A: thread_fn returns of IRQ_HANDLED */
	uint32_t threads_judged;      /* P: threads_handled at the last look */
	bool thread_verdict_owed; /* P: IRQ_WAKE_THREAD seen: judge later ones
				   */
	/* the source */
	int src;	    /* A: enum bh__irq_src, written under D */
	int fd;		    /* A: fd or timerfd */
	uint32_t events;    /* D: epoll events asked for */
	int epfd;	    /* A: epoll of the delivering thread */
	dev_t fd_dev;	    /* D: identity of the fd at bind */
	ino_t fd_ino;	    /* D */
	uint32_t fd_busy;   /* A: hardirq/N is handling an fd event */
	uint32_t fd_broken; /* A: reported; stays off until unbind */
	int signo;	    /* D */
	/* a second free_irq() names what was freed */
	const char *last_freed_name;		/* D */
	const void *last_freed_dev;		/* D */
	unsigned long long counts[BH_MAX_CPUS]; /* A: runs per bh CPU */
};

extern struct bh__irq_desc bh__irq_descs[BH_NR_IRQS];

/* Set up the top-half hooks of a zeroed line (irq.c). */
void bh__irq_desc_init(struct bh__irq_desc *d);

/*
 * Deliver one event of line `d`: run its handlers now on this thread, as
 * the line's bh CPU, in hardirq context, or latch it (see irq.h).
 * `in_signal`: the caller is the library's signal handler.
 * Async-signal-safe.
 */
void bh__irq_deliver(struct bh__irq_desc *d, bool in_signal);

/* Disable depth + 1 without waiting (the flow's own disables). */
void bh__irq_disable_nosync(struct bh__irq_desc *d);

/* A ONESHOT thread finished: clear its bit, unmask, replay (irq.c). */
void bh__irq_finalize_oneshot(struct bh__irq_desc *d, struct bh__irq_action *a);

/* Wait until no dispatcher holds INPROGRESS (and, with `threads`, until
 * threads_active is 0); wake such waiters (irq.c). */
void bh__irq_sync(struct bh__irq_desc *d, bool threads);
void bh__irq_wake_syncers(struct bh__irq_desc *d);

/* True if this thread runs one of line d's handlers or thread functions. */
bool bh__irq_is_own(const struct bh__irq_desc *d);

/* Threaded handlers (irq_thread.c). */
int bh__irq_thread_start(struct bh__irq_desc *d, struct bh__irq_action *a);
void bh__irq_thread_stop(struct bh__irq_action *a);
void bh__irq_wake_thread(struct bh__irq_desc *d, struct bh__irq_action *a);
/* The action whose thread function this thread runs, or NULL. */
const struct bh__irq_action *bh__irq_current_thread_action(void);

/* Fd and timer sources (irq_fd.c). Re-arm the fd if the line may run
 * (`holder`: the caller holds INPROGRESS and is about to release it). */
void bh__irq_fd_rearm(struct bh__irq_desc *d, bool holder);
int bh__irq_fd_move(struct bh__irq_desc *d, int cpu); /* under D */
int bh__irq_fd_unbind(struct bh__irq_desc *d);	      /* under D */
void bh__irq_fd_shutdown(void);
void bh__irq_fd_reset(void);

/* Signal sources (irq_signal.c). */
int bh__irq_signal_unbind(struct bh__irq_desc *d); /* under D */
void bh__irq_signal_reset(void);

#pragma GCC visibility pop

#endif
