/* SPDX-License-Identifier: MIT */
/*
 * Internal interfaces shared between the library's source files (and
 * reachable by the tests, which link the static library). Not installed.
 *
 * Locking legend for the fields below (as kernel/workqueue.c does it):
 *   I  set by bh_init() before any thread starts, read-only after
 *   A  atomic: only touched with __atomic builtins; the comment at each
 *      use names the order and its partner
 *   O  owner: only the thread that holds the bh CPU's `owner` flag
 *   T  this thread only (thread-local), possibly interrupted by a signal
 *      handler of the same thread that restores what it changes
 */
#ifndef BH_INTERNAL_H
#define BH_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bh.h"
#include "fault.h"

/*
 * Everything declared below is internal: hidden visibility lets the
 * compiler reach the data with one RIP-relative access instead of going
 * through the GOT (the live check on the pending path is one load).
 */
#pragma GCC visibility push(hidden)

#define BH__TLS	      __attribute__((tls_model("initial-exec")))
#define BH__CACHELINE 128

/* One spin-wait hint to the CPU (PAUSE on x86, YIELD on arm64). */
static inline void bh__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
#endif
} /* two lines: adjacent-line prefetch pairs them */

/* ---- runtime ---------------------------------------------------------- */

enum { BH__STOPPED = 0, BH__RUNNING = 1 };

struct bh__runtime {
	int live;	    /* A: 1 while usable (running, not a fork child) */
	int state;	    /* A: BH__STOPPED / BH__RUNNING */
	int forked;	    /* A: set in a child forked while running */
	int nr_cpus;	    /* I */
	unsigned int hz;    /* I */
	bool deterministic; /* I */
	bool warn_fatal;    /* I */
	bool pin_threads;   /* I */
	int log_level;	    /* I */
	bh_log_fn log;	    /* I */
	void *log_arg;	    /* I */
	unsigned long initial_jiffies;	/* I */
	uint64_t clock_base_ns;		/* I: CLOCK_MONOTONIC at init */
	uint64_t tick_ns;		/* I: 1e9 / hz */
	unsigned long max_softirq_time; /* I: msecs_to_jiffies(2), S13 */
	unsigned long virtual_ticks;	/* A: deterministic clock */
	unsigned long warn_count;	/* A */
	uint64_t wq_intensive_ns;	/* I: F12 threshold */
	uint64_t wq_watchdog_ns;	/* I: M13 threshold */
	uint64_t wq_idle_ns;		/* I: idle worker timeout */
	/* real CPU -> bh CPU, so the hot path needs no division */
	uint16_t cpu_map[1024]; /* I */
};

extern struct bh__runtime bh__rt;

static inline bool bh__live(void)
{
	/*
	 * A plain read, so the compiler folds it into one compare with a
	 * memory operand on the hot paths. Only bh_init()/bh_shutdown() and
	 * the fork-child handler write it, and calls are not allowed to run
	 * concurrently with the first two (documented); the child handler
	 * runs before any other code of the child.
	 */
	return bh__rt.live == 1;
}

/* SPEC U9: report a NULL object argument instead of dereferencing it. */
#define BH__CHECK_NULL(p, what, ret)                                           \
	do {                                                                   \
		if (bh_unlikely(!(p))) {                                       \
			BH_WARN(1, "bh: %s(NULL)", what);                      \
			return ret;                                            \
		}                                                              \
	} while (0)

/*
 * SPEC U9: report a NULL or never initialised object passed to `what`;
 * `kind` describes it ("a timer that was never set up"), `setup` names the
 * initialisers to use. Returns -EINVAL.
 */
int bh__bad_object(const void *obj, const char *what, const char *kind,
		   const char *setup) __attribute__((cold, noinline));

/* Warn once and return -ENXIO or -ECHILD for a call made while !live.
 * Cold and out of line: it must not cost the fast paths a stack frame. */
int bh__dead_error(const char *what) __attribute__((cold, noinline));

/* ---- bh CPUs ---------------------------------------------------------- */

/*
 * The pending word of a bh CPU: bits 0..9 are the softirq vectors;
 * SLEEPING says ksoftirqd/N is (about to be) blocked in FUTEX_WAIT on this
 * word, so whoever needs it running must clear the bit and FUTEX_WAKE;
 * STOP asks the thread to exit; REPROGRAM tells it that a timer earlier
 * than the one it sleeps for was armed. One word makes "set a bit and learn
 * whether the thread sleeps" a single atomic step (see bh__raise_on()).
 */
#define BH__PENDING_MASK      ((1u << BH_NR_SOFTIRQS) - 1)
#define BH__PENDING_IPI	      (1u << 28) /* smp.c: cross-CPU calls queued */
#define BH__PENDING_REPROGRAM (1u << 29) /* an earlier timer was armed */
#define BH__PENDING_STOP      (1u << 30)
#define BH__PENDING_SLEEPING  (1u << 31)

/* The kernel's wheel geometry (SPEC K3 and "Constants"). */
#define BH__WHEEL_CLK_SHIFT 3  /* each level is 8 times coarser */
#define BH__WHEEL_LVL_SIZE  64 /* buckets per level */
#define BH__WHEEL_DEPTH	    9  /* 8 when HZ <= 100 */

struct bh__wheel {
	unsigned long clk;  /* L: next jiffy to process */
	unsigned long next; /* L: earliest bucket time, if next_valid */
	bool next_valid;    /* L */
	unsigned int count; /* L: timers linked */
	uint64_t bitmap[BH__WHEEL_DEPTH];			      /* L */
	struct bh_timer *bucket[BH__WHEEL_DEPTH][BH__WHEEL_LVL_SIZE]; /* L */
};

/*
 * A bh CPU's timer base: two wheels (normal, deferrable) under one lock,
 * taken with interrupts off for the thread. L marks fields under it.
 */
struct bh__timer_base {
	uint32_t lock;		   /* A: 0 free, 1 held, 2 held with sleepers */
	struct bh__wheel wheel[2]; /* L: [0] normal, [1] TIMER_DEFERRABLE */
	struct bh_timer *running;  /* A: callback running now */
	int running_tid;	   /* A: the thread running it */
	uint32_t running_waiters;  /* A: delete_sync callers waiting */
	unsigned long programmed;  /* L: what ksoftirqd sleeps until */
	bool programmed_valid;	   /* L */
	unsigned long next_any;	   /* A: earliest expiry in either wheel */
	uint32_t has_next_any;	   /* A */
};

struct bh__cpu {
	/* Written by producers: any thread, any signal handler. */
	uint32_t pending;		/* A */
	uint32_t parked_kick;		/* A: tasklet_enable() unparks */
	struct bh_tasklet *tasklets[2]; /* A: Treiber stacks, HI / normal */

	/* Written by the owner: whoever runs this CPU's softirqs. */
	uint32_t owner __attribute__((aligned(BH__CACHELINE))); /* A */
	struct bh_tasklet *parked[2];		   /* O: disabled, scheduled */
	unsigned long long counts[BH_NR_SOFTIRQS]; /* O writes, A reads */

	struct bh__timer_base timer;

	int id;		  /* I */
	int tid;	  /* A: ksoftirqd/N's tid, 0 when none */
	bool has_thread;  /* I */
	pthread_t thread; /* I */
} __attribute__((aligned(BH__CACHELINE)));

extern struct bh__cpu bh__cpus[BH_MAX_CPUS];

/* ---- per-thread context ----------------------------------------------- */

#define BH__HELD_MAX	     64
#define BH__DEFER_PINS	     64
#define BH__HARDIRQ_NEST_MAX 16

struct bh__thread {
	unsigned int preempt_count; /* T */
	unsigned int irqs_off;	    /* T */
	/* bh CPU + 1 fixed for an atomic section (0: not in one) */
	int atomic_cpu1;	  /* T */
	int override_cpu1;	  /* T: bh_thread_set_cpu() + 1 */
	int tid;		  /* T: cached gettid() */
	unsigned int signal_nest; /* T: hardirq levels entered from signals */
	bool is_ksoftirqd;	  /* T */
	const struct bh_tasklet *running_tasklet; /* T: own-callback checks */
	int saved_cpu1[BH__HARDIRQ_NEST_MAX];	  /* T: per hardirq level */
	/* timer base locks held (or a migration under way) by this thread */
	unsigned int timer_lock_depth; /* T */
	/* timers changed by a signal handler inside that section */
	struct bh_timer *timer_defer[32]; /* T */
	unsigned int timer_defer_n;	  /* T */
	/* this thread's share of the deferral pins (defer_pin.c) */
	uint8_t defer_pins[BH__DEFER_PINS]; /* T */
	/* top halves held while irqs are off (SPEC U4), in arrival order;
	 * slots are claimed by one atomic add, as a signal handler of this
	 * thread may hold one at any instruction (context.c: hold()) */
	struct bh__hardirq *held[BH__HELD_MAX]; /* T: NULL when free */
	unsigned int held_n;			/* T */
	/* workqueues: the kworker this thread is (NULL for other threads),
	 * and how many pool locks it holds (a signal handler that finds
	 * this non-zero must not wait for a pool lock) */
	struct bh__worker *worker;  /* T */
	unsigned int wq_lock_depth; /* T */
	/* the items this thread owns the pending bit of or is pushing
	 * (innermost last: signal handlers nest), and the delayed work
	 * whose timer callback it runs: a signal handler on the same thread
	 * must not wait for these to finish */
	struct bh_work *wq_grabbing[8];	     /* T: NULL above wq_grab_n */
	unsigned int wq_grab_n;		     /* T */
	struct bh_delayed_work *wq_timer_fn; /* T */
	/* disables a signal handler could not apply at once, a slot each
	 * (NULL: free), and how many slots are taken (a hint for the fast
	 * path); see bh__wq_apply_deferred() */
	struct bh_work *wq_defer[16]; /* T, A against nested handlers */
	unsigned int wq_defer_n;      /* T, A: slots taken, both kinds */
	/* mod_delayed_work() calls deferred the same way: `dw` is NULL when
	 * free, BH__DEFER_FILLING while a handler fills the slot */
	struct {
		struct bh_delayed_work *dw;
		struct bh_workqueue *wq;
		int cpu;
		unsigned long delay;
	} wq_defer_mod[8]; /* T, A against nested handlers */
};

extern __thread struct bh__thread bh__self BH__TLS;

/* Apply the workqueue operations signal handlers deferred (work.c). */
void bh__wq_apply_deferred(void);

/*
 * Keep the compiler from moving thread-context updates across each other:
 * a signal handler on this thread reads them (the hardware analogue is
 * program order on one CPU, so a signal fence is all that is needed).
 */
#define bh__signal_barrier() __atomic_signal_fence(__ATOMIC_SEQ_CST)

int bh__real_cpu(void);

/* hrtimer.c: install HRTIMER_SOFTIRQ (bh_init); stop the hrtimer thread
 * and cancel what is armed, returning how many (bh_shutdown). */
void bh__hrtimer_install(void);
int bh__hrtimer_shutdown(void);
/* fork() child handlers: no thread of the parent exists in the child, so
 * no lock may stay taken, and the hrtimer thread is gone (U7). */
void bh__hrtimer_fork_child(void);
void bh__slab_fork_child(void);

/* cpumask.c: the online mask is bh CPUs 0..nr_cpus-1 (bh_init()). */
void bh__cpumask_set_online(int nr_cpus);

/* The bh CPU of the calling context (see bh_smp_processor_id()). */
static inline int bh__this_cpu(void)
{
	/*
	 * Read the fields directly, not through a pointer to the TLS block:
	 * GCC 12's UBSan null check on such a pointer reuses stale flags.
	 */
	int pinned = bh__self.atomic_cpu1;
	if (pinned)
		return pinned - 1;
	/* An override left from a runtime with more CPUs is ignored. */
	int chosen = bh__self.override_cpu1;
	if (chosen && chosen <= bh__rt.nr_cpus)
		return chosen - 1;
	return bh__real_cpu();
}

static inline bool bh__in_interrupt(const struct bh__thread *s)
{
	return s->preempt_count &
	       (BH_NMI_MASK | BH_HARDIRQ_MASK | BH_SOFTIRQ_MASK);
}

/* Raise/lower the preempt count, pinning the bh CPU while non-zero. */
void bh__atomic_enter(unsigned int offset);
void bh__atomic_exit(unsigned int offset);

int bh__gettid(void);

/* ---- the library's threads (spawn.c) ------------------------------------ */

/*
 * pthread_create() for the library's own threads; `fn` must call
 * bh__spawned() first. With `block_signals`, the thread is born with every
 * signal blocked. Returns 0 or an errno value.
 */
int bh__spawn(pthread_t *thread, const pthread_attr_t *attr,
	      void *(*fn)(void *), void *arg, bool block_signals);
/* With bh_config.pin_threads: pin the calling library thread to `cpu` (a
 * bh CPU's own threads: kworkers, hardirq/N). */
void bh__pin_self(int cpu);
void bh__spawned(void);
/* fork() handlers: fork waits, bounded, until no thread is still starting. */
void bh__spawn_fork_prepare(void);
void bh__spawn_fork_parent(void);
void bh__spawn_fork_child(void);

/* ---- softirq core ----------------------------------------------------- */

/*
 * Mark `nr` pending on `c`. Wakes ksoftirqd when the raise cannot be left
 * to the current context: from plain task context (S11), or for another
 * bh CPU (an IPI). Async-signal-safe, lock-free, no allocation.
 */
void bh__raise_on(struct bh__cpu *c, unsigned int nr);
void bh__wakeup_ksoftirqd(struct bh__cpu *c);

/*
 * Run c's pending softirqs in the calling thread (S5, S12) if no other
 * thread is doing so. Returns the number of handler invocations.
 */
int bh__do_softirq(struct bh__cpu *c);

/* Called by bh_local_bh_enable()/bh_irq_exit() when softirqs may run. */
void bh__softirq_maybe_run(int cpu);

/* The library's own vectors (HI, TASKLET) dispatch through this. */
typedef void (*bh__vector_fn)(struct bh__cpu *c, unsigned int nr);
void bh__softirq_install(unsigned int nr, bh__vector_fn fn);

/* ---- timers ------------------------------------------------------------ */

void bh__timer_action(struct bh__cpu *c, unsigned int nr);
/* bh_init(): start the base's wheels at the current jiffy. */
void bh__timer_base_init(struct bh__cpu *c);
/* Raise TIMER_SOFTIRQ if a timer of `c` is due (deferrable ones included
 * when `any`); returns whether it did. Lock-free. */
bool bh__timer_check(struct bh__cpu *c, bool any);
/* ksoftirqd/N before sleeping: the jiffy to wake at, false for none. */
bool bh__timer_program(struct bh__cpu *c, unsigned long *when);
/* Shutdown: cancel and report armed timers; returns how many. */
int bh__timer_cancel_leftovers(struct bh__cpu *c);

/* Up to `max` timers of `c`'s wheels for which match() says true (under
 * the base lock: match() must not take locks). Returns how many. */
int bh__timer_collect(struct bh__cpu *c,
		      bool (*match)(struct bh_timer *t, void *arg), void *arg,
		      struct bh_timer **out, int max);

/* Wake ksoftirqd/N (if asleep) with `bit` set in the pending word. */
void bh__kick(struct bh__cpu *c, uint32_t bit);

/* ---- tasklets --------------------------------------------------------- */

void bh__tasklet_action(struct bh__cpu *c, unsigned int nr);
/* Shutdown: cancel what could not run, report each; returns how many. */
int bh__tasklet_cancel_leftovers(struct bh__cpu *c);
/*
 * Walkers for bh_debug_for_each_live_object() (modcheck.c): each calls
 * fn with its subsystem's lock held; fn only records.
 */
struct bh_debug_object;
void bh__tasklet_walk(struct bh__cpu *c,
		      void (*fn)(const struct bh_debug_object *o, void *arg),
		      void *arg);
void bh__irq_walk(void (*fn)(const struct bh_debug_object *o, void *arg),
		  void *arg);
void bh__wq_walk(void (*fn)(const struct bh_debug_object *o, void *arg),
		 void *arg);
void bh__hrtimer_walk(void (*fn)(const struct bh_debug_object *o, void *arg),
		      void *arg);
void bh__work_walk(void (*fn)(const struct bh_debug_object *o, void *arg),
		   void *arg);

/* ---- waiting on a word ------------------------------------------------ */

/*
 * A hashed table of futex sequence words (the kernel's wait_var_event
 * idea): a waiter reads the bucket's sequence, publishes its interest in
 * the object (a WAITERS bit), re-checks its condition and sleeps on the
 * sequence; a waker that finds the WAITERS bit bumps the sequence and wakes
 * the bucket. Spurious wake-ups are possible and harmless.
 */
uint32_t bh__waitvar_seq(const void *obj);
void bh__waitvar_sleep(const void *obj, uint32_t seq, long timeout_ns);
void bh__waitvar_wake(const void *obj);

/* ---- sleeping -------------------------------------------------------- */

/*
 * Block while *word == val, until woken, until jiffies reaches *deadline
 * (NULL: no deadline) or, if `interruptible`, until a signal handler runs
 * on this thread. Returns 0 (woken, maybe spuriously: re-check), -ETIMEDOUT
 * or -EINTR. Deterministic mode measures the deadline on the virtual clock.
 */
int bh__sleep_on(uint32_t *word, uint32_t val, const unsigned long *deadline,
		 bool interruptible);

/* CLOCK_MONOTONIC time at which jiffies becomes `j` (real clock mode). */
uint64_t bh__jiffy_start_ns(unsigned long j);

/* ---- futex ------------------------------------------------------------ */

int bh__futex_wait(uint32_t *addr, uint32_t val, long timeout_ns);

/*
 * A signal handler's change deferred to the thread it interrupted pins
 * its object until applied; the _sync calls after which an object may be
 * freed wait for other threads' pins on it (defer_pin.c). Signal-safe.
 */
void bh__defer_pin(const void *obj);
void bh__defer_unpin(const void *obj);
void bh__defer_wait(const void *obj);
void bh__defer_reset(void);

/*
 * The function containing `addr`, from its object's full symbol table
 * (symtab.c): name, offset in it, its size, and the object's short name
 * (`obj` may be NULL). False where only dladdr() can say. Signal-safe.
 */
bool bh__symtab_lookup(const void *addr, char *name, size_t name_len,
		       unsigned long *off, unsigned long *size, char *obj,
		       size_t obj_len);
int bh__futex_wake(uint32_t *addr, int n);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t bh__monotonic_ns(void);

/* ---- log -------------------------------------------------------------- */

void bh__log_write(int level, const char *text, size_t len);
/* Name of the function at `addr` (its address if it has no dynamic
 * symbol), or NULL for a NULL address. */
const char *bh__symbol_name(const void *addr, char *buf, size_t len);
/* dmesg-style clock: seconds since bh_init() as "[    0.123456] ". */
void bh__log_reset_clock(void);

/* ---- top halves (see context.c) ---------------------------------------- */

/*
 * A top half as the dispatchers see it: one per interrupt source (line).
 * bh__hardirq_run() runs fn(arg) in hardirq context on the calling thread,
 * between bh_irq_enter() and bh_irq_exit(), unless the thread has
 * interrupts off (SPEC U4): then the top half is held, once per source
 * however many times it fires (a pending bit, as in an interrupt
 * controller), and run at the bh_local_irq_restore() that turns them on.
 * `in_signal` says the caller is a signal handler, so bh_irq_exit() must
 * hand softirqs to ksoftirqd/N instead of running them inline.
 * Returns 1 if it ran now, 0 if it was held. Async-signal-safe.
 */
struct bh__hardirq {
	void (*fn)(void *arg);
	void *arg;
};
int bh__hardirq_run(struct bh__hardirq *h, bool in_signal);

/* Interrupt lines (irq_manage.c): reset at bh_init(), freed at shutdown. */
void bh__irq_init(void);
void bh__irq_shutdown(void);

/*
 * Cross-CPU calls (smp.c). bh__smp_ipi(): ksoftirqd/N found
 * BH__PENDING_IPI; clears it and runs the CPU's queued calls.
 * bh__smp_flush(): run bh CPU `cpu`'s queued calls in the calling thread,
 * as that CPU, in hardirq context (unless another thread is doing so);
 * returns how many ran. bh__smp_init(): reset the queues at bh_init().
 */
void bh__smp_ipi(struct bh__cpu *c);
int bh__smp_flush(int cpu);
void bh__smp_init(void);

#pragma GCC visibility pop

#endif
