/* SPDX-License-Identifier: MIT */
/*
 * bh-torture: shared declarations.
 *
 * The program hammers every object type of the library at once from worker
 * threads and from a signal storm, and checks the invariants of SPEC T, W, C,
 * D, K and X as it goes (see docs/RELIABILITY.md). One file per concept:
 *   main.c       options, start, the timed run, quiesce, summary
 *   checker.c    violations, invariant counters, the run-exclusion check
 *   slot.c       the slot protocol that lets an object be killed under load
 *   watchdog.c   per-thread heartbeats, stall reports with every stack
 *   storm.c      the signal storm and its async-signal-safe handler
 *   tasklets.c, softirqs.c, timers.c, works.c, ordered.c, wq_life.c
 *                one torturer per object type
 */
#ifndef BH_TORTURE_H
#define BH_TORTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>
#include <sys/types.h>

#include <bh/completion.h>
#include <bh/context.h>
#include <bh/jiffies.h>
#include <bh/log.h>
#include <bh/runtime.h>
#include <bh/softirq.h>
#include <bh/tasklet.h>
#include <bh/timer.h>
#include <bh/wait.h>
#include <bh/workqueue.h>

/* Exit statuses. */
#define TT_EXIT_OK	  0
#define TT_EXIT_VIOLATION 1
#define TT_EXIT_STALL	  2
#define TT_EXIT_USAGE	  64

/* --inject-bug: a deliberate fault in the checker's own bookkeeping, to
 * prove that the checks catch what they claim to. */
enum tt_inject {
	TT_INJECT_NONE,
	TT_INJECT_LOST_RUN,   /* forget to record one work run */
	TT_INJECT_CONCURRENT, /* pretend one tasklet run overlapped another */
	TT_INJECT_STALL,      /* one worker hangs in an "operation" */
};

struct tt_opts {
	unsigned long long seed;
	uint64_t duration_ns;
	int threads;		 /* worker threads */
	unsigned long signal_hz; /* signals per second, all workers together */
	uint64_t stall_ns;
	enum tt_inject inject;
	bool gdb; /* attach gdb for the stacks on a stall (default on) */
	bool hold_handler_slots; /* handlers' slots held until back (slot.c) */
	char argv0[256];
};
extern struct tt_opts tt_opts;
/* Set when the timed run is over: workers stop starting operations. */
extern int tt_stop;

/* Operation kinds, for the summary. */
enum tt_kind {
	TK_TASKLET,
	TK_SOFTIRQ,
	TK_TIMER,
	TK_WORK,
	TK_DWORK,
	TK_ORDERED,
	TK_WQ_LIFE,
	TK_KILL,
	TK_SIGNAL,
	TK_WAIT,
	TK_NKINDS
};
extern const char *const tt_kind_name[TK_NKINDS];

#define TT_HELD_MAX 64

/*
 * A thread the watchdog knows: workers, the signaller, the lifecycle
 * thread and main. op_start is the monotonic time the current operation
 * began (0 between operations); the watchdog reports one older than
 * --stall.
 */
struct tt_thread {
	int id;
	pid_t tid;
	pthread_t th;	  /* workers only: set by main at creation */
	uint64_t rng;	  /* T: the thread's own stream */
	uint64_t sig_rng; /* S: the signal handler's stream on this thread */
	uint64_t op_start;
	const char *op_name;
	unsigned long ops[TK_NKINDS]; /* A: relaxed; handlers add to it */
	/* S: slots this thread's handler still holds (slot.c) */
	struct tt_slot *held[TT_HELD_MAX];
	unsigned held_n;
};
extern __thread struct tt_thread *tt_self;

/* Random numbers: xorshift64*, one stream per thread and per handler. */
static inline uint64_t tt_rand(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1Dull;
}
static inline unsigned tt_below(uint64_t *s, unsigned n)
{
	return (unsigned)((tt_rand(s) >> 32) % n);
}
uint64_t tt_seed_stream(unsigned long long seed, unsigned long stream);

uint64_t tt_now_ns(void);
void tt_pause_us(unsigned us); /* a short sleep in a polling loop */

static inline void tt_count_op(enum tt_kind k)
{
	if (tt_self)
		__atomic_fetch_add(&tt_self->ops[k], 1, __ATOMIC_RELAXED);
}

/* watchdog.c */
void tt_thread_register(struct tt_thread *t, int id);
void tt_thread_unregister(struct tt_thread *t);
static inline void tt_op_begin(const char *name)
{
	if (tt_self) {
		__atomic_store_n(&tt_self->op_name, name, __ATOMIC_RELAXED);
		__atomic_store_n(&tt_self->op_start, tt_now_ns(),
				 __ATOMIC_RELEASE);
	}
}
static inline void tt_op_end(void)
{
	if (tt_self)
		__atomic_store_n(&tt_self->op_start, 0, __ATOMIC_RELEASE);
}
int tt_watchdog_start(void);
void tt_watchdog_stop(void);
void tt_print_repro(int fd);

/* checker.c */
void tt_violation(const char *what, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
unsigned long tt_violations(void);
extern __thread int tt_in_handler; /* set while the storm's handler runs */
void tt_checked(unsigned long n);  /* count invariant checks made */
unsigned long tt_checks(void);
unsigned long tt_runs(void);
/* Exclusion (T9, W6): call at the start and end of every callback. */
struct tt_excl {
	int running;
	unsigned long runs;
};
void tt_run_enter(struct tt_excl *e, const char *type, const void *obj);
void tt_run_exit(struct tt_excl *e);
/* A run of an object already killed (its "dead" flag set). */
void tt_check_not_dead(const int *dead, const char *type, const void *obj);
/* --inject-bug=lost-run: true once, for the run the checker "forgets". */
bool tt_inject_lost_run(void);
bool tt_inject_pending(void);

/* slot.c: see there for the protocol. */
struct tt_slot {
	unsigned long users; /* A: threads and handlers inside */
	int dying;	     /* A: set by the killer; entrants back off */
	void *obj;	     /* A: the live object */
};
void *tt_slot_enter(struct tt_slot *s);
void tt_slot_leave(struct tt_slot *s);
void tt_slot_leave_deferred(struct tt_slot *s); /* from a handler */
void tt_release_handler_holds(void);		/* at a safe point */
void tt_slot_drain(struct tt_slot *s);
void tt_slot_reopen(struct tt_slot *s, void *obj);

/* Delayed freeing: a killed object stays readable (its dead flag set) for
 * a while, so that a late run is reported as such; then it is freed, and
 * a later access is ASan's to catch. */
void tt_grave_put(void *obj);
void tt_grave_flush(void);

/* The torturers: init after bh_init(), op from a worker thread, sig from
 * the signal handler (async-signal-safe calls only), kill_one from a
 * worker, fini at quiesce (everything killed and checked). */
struct tt_torturer {
	const char *name;
	int (*init)(void);
	void (*op)(uint64_t *rng);
	void (*sig)(uint64_t *rng);
	void (*kill_one)(uint64_t *rng);
	void (*fini)(void);
};
extern const struct tt_torturer tt_tasklets, tt_softirqs, tt_timers, tt_works,
	tt_ordered, tt_wq_life;

/* works.c: the long-lived workqueues, also used by others. */
enum { TT_WQ_PERCPU, TT_WQ_UNBOUND, TT_WQ_ORDERED, TT_WQ_BH, TT_NWQ };
extern struct bh_workqueue *tt_wq[TT_NWQ];
extern const char *const tt_wq_name[TT_NWQ];

/* storm.c */
int tt_storm_start(void);
void tt_storm_stop(void);
extern struct bh_completion tt_sig_completion;
extern struct bh_wait_queue_head tt_sig_waitq;
extern int tt_sig_flag;
/* Signals sent (each is handled, except under TSan, which merges the
 * signals it holds back). */
extern unsigned long tt_signals_sent;
extern int tt_storm_sig; /* the storm's signal number */

#endif
