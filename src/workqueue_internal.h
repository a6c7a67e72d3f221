/* SPDX-License-Identifier: MIT */
/*
 * What the workqueue files share: the work item's state word, pools,
 * pool_workqueues (pwq: one workqueue's share of one pool), workers and
 * workqueues. Locking legend as in internal.h, plus
 *   P  under the pool's lock (pool_lock()), with the thread's interrupts
 *      off so that a library top half cannot run a BH pool inside it
 *   F  under the workqueue's flush mutex
 *
 * The state word of a work item (struct bh_work.data), as the kernel's:
 *
 *   on a queue (PWQ set):   pwq pointer | colour | flags
 *   off queue (PWQ clear):  last pool id + 1 (bits 32..) |
 *                           disable depth (bits 16..31) | INIT | PENDING
 *
 * PENDING  the item is pending: queued, or waiting on its delayed-work
 *          timer (PENDING without PWQ), or claimed by a canceller.
 * PWQ      the item is linked on a queue of that pwq's pool: the pool's
 *          lock-free `incoming` stack, the worklist, a worker's scheduled
 *          list or the pwq's inactive list. Only the holder of the pool
 *          lock takes it off a list, and clears PWQ as it does.
 * DRAINED  moved from `incoming` to a locked list (else: on incoming, or
 *          still being pushed by a producer).
 * INACTIVE on the pwq's inactive list (held back by max_active).
 * SCHED    on a worker's scheduled list.
 * LINKED   a flush barrier follows it and moves with it.
 *
 * PWQ without PENDING is a "tombstone": the item was cancelled while its
 * pool lock could not be taken (a signal handler that interrupted the lock
 * holder); it stays linked until the next lock holder finds it and drops
 * it. queue_work() on a tombstone makes it pending again where it lies.
 */
#ifndef BH_WORKQUEUE_INTERNAL_H
#define BH_WORKQUEUE_INTERNAL_H

#include "internal.h"

#pragma GCC visibility push(hidden)

#define W_PENDING     ((uintptr_t)0x001)
#define W_PWQ	      ((uintptr_t)0x002)
#define W_DRAINED     ((uintptr_t)0x004)
#define W_INACTIVE    ((uintptr_t)0x008)
#define W_SCHED	      ((uintptr_t)0x010)
#define W_LINKED      ((uintptr_t)0x020)
#define W_INIT	      ((uintptr_t)BH_WORK_DATA_INIT) /* 0x40, off queue */
#define W_COLOR_SHIFT 7
#define W_NR_COLORS   16
#define W_COLOR_MASK  ((uintptr_t)(W_NR_COLORS - 1) << W_COLOR_SHIFT)
#define W_FLAG_BITS   11
#define W_FLAG_MASK   (((uintptr_t)1 << W_FLAG_BITS) - 1)
#define PWQ_ALIGN     (1u << W_FLAG_BITS)

#define W_OFF_DISABLE_SHIFT 16
#define W_OFF_DISABLE_MASK  ((uintptr_t)0xffff << W_OFF_DISABLE_SHIFT)
#define W_OFF_POOL_SHIFT    32
#define W_DISABLE_MAX	    0xffffu

_Static_assert(sizeof(uintptr_t) == 8, "the work state word needs 64 bits");

static inline struct bh__pwq *w_pwq(uintptr_t d)
{
	return (struct bh__pwq *)(d & ~W_FLAG_MASK);
}
static inline unsigned int w_color(uintptr_t d)
{
	return (unsigned int)((d & W_COLOR_MASK) >> W_COLOR_SHIFT);
}
static inline unsigned int w_disable(uintptr_t d)
{
	return (unsigned int)((d & W_OFF_DISABLE_MASK) >> W_OFF_DISABLE_SHIFT);
}
static inline int w_pool_id(uintptr_t d)
{
	return (int)(d >> W_OFF_POOL_SHIFT) - 1;
}
static inline uintptr_t w_off(int pool_id, unsigned int disable)
{
	return ((uintptr_t)(pool_id + 1) << W_OFF_POOL_SHIFT) |
	       ((uintptr_t)disable << W_OFF_DISABLE_SHIFT) | W_INIT;
}
static inline uintptr_t w_load(const struct bh_work *w)
{
	return __atomic_load_n(&w->data, __ATOMIC_ACQUIRE);
}
static inline bool w_cas(struct bh_work *w, uintptr_t *old, uintptr_t new)
{
	return __atomic_compare_exchange_n(&w->data, old, new, false,
					   __ATOMIC_SEQ_CST, __ATOMIC_ACQUIRE);
}

/* ---- lists (circular, with a sentinel bh_work) --------------------------- */

static inline void wl_init(struct bh_work *head)
{
	head->next = head->prev = head;
}
static inline bool wl_empty(const struct bh_work *head)
{
	return head->next == head;
}
static inline void wl_add_tail(struct bh_work *head, struct bh_work *w)
{
	w->prev = head->prev;
	w->next = head;
	head->prev->next = w;
	head->prev = w;
}
static inline void wl_add_after(struct bh_work *pos, struct bh_work *w)
{
	w->prev = pos;
	w->next = pos->next;
	pos->next->prev = w;
	pos->next = w;
}
static inline void wl_del(struct bh_work *w)
{
	w->prev->next = w->next;
	w->next->prev = w->prev;
	w->next = w->prev = w;
}

/* ---- pools ----------------------------------------------------------------
 */

#define BH__BUSY_HASH 64

struct bh__worker;

enum { POOL_NORMAL = 0, POOL_HIGHPRI = 1, POOL_BH = 2, POOL_BH_HIGHPRI = 3 };

struct bh__pool {
	/* Producers (any thread, signal handlers): lock-free. */
	struct bh_work *incoming;      /* A: Treiber stack via ->next */
	int nr_running;		       /* A: counted workers not asleep */
	uint32_t idle_seq;	       /* A: futex word of idle workers */
	int nr_idle_waiting;	       /* A: idle workers in futex_wait */
	int wake_pending;	       /* A: a kick's wake is in flight */
	int busy_count[BH__BUSY_HASH]; /* A: W7 hint, by hash of item */
	uint64_t watchdog_ts;	       /* A: last progress (ns) */
	unsigned int nr_worklist_hint; /* A: copy of nr_worklist */
	uint32_t lock __attribute__((aligned(BH__CACHELINE))); /* A */

	int id;		     /* I */
	int cpu;	     /* I: -1 for unbound pools */
	int kind;	     /* I: POOL_* */
	bool unbound;	     /* I */
	bool bh;	     /* I */
	bool managed;	     /* I: concurrency managed (per-CPU, not BH) */
	bool inited;	     /* I */
	bool stall_reported; /* P */
	bool stopping;	     /* P: bh_shutdown() is joining the workers */

	struct bh_work worklist;	/* P: sentinel */
	unsigned int nr_worklist;	/* P */
	int nr_workers, nr_idle;	/* P */
	int next_worker_id;		/* P */
	int creating;			/* P: creations under way */
	struct bh__worker *idle_list;	/* P */
	struct bh__worker *all_workers; /* P */
	struct bh__worker *zombies;	/* P: exited, to join */
	struct bh__worker *busy_hash[BH__BUSY_HASH]; /* P */
	struct bh__worker *bh_worker;		     /* I: BH pools only */
	int mayday;				     /* A: wants rescuers */
};

struct bh__worker {
	struct bh__pool *pool;		/* P (a rescuer moves between pools) */
	struct bh_work *current_work;	/* P, read A by bh_work_busy() */
	bh_work_func_t current_func;	/* P */
	struct bh__pwq *current_pwq;	/* P */
	struct bh_work scheduled;	/* P: sentinel */
	struct bh__worker *hash_next;	/* P */
	struct bh__worker *idle_next;	/* P */
	struct bh__worker *all_next;	/* P */
	struct bh_workqueue *rescue_wq; /* I: rescuers only */
	pthread_t thread;		/* I */
	int tid;			/* I (set by the thread) */
	int id;				/* I */
	bool idle;			/* P */
	bool exiting;			/* P */
	bool in_callback;		/* T */
	int not_counted;   /* A: not in nr_running (CPU intensive) */
	int hogging;	   /* A: marked by the F12 check */
	uint64_t start_ns; /* A: callback start or last wake-up */
	char name[16];	   /* T */
	char desc[BH_WORKER_DESC_LEN]; /* T */
};

struct bh__pwq {
	struct bh__pool *pool;	  /* I */
	struct bh_workqueue *wq;  /* I */
	int nr_active;		  /* P */
	int max_active;		  /* P: effective (0 while frozen) */
	struct bh_work inactive;  /* P: sentinel */
	unsigned int nr_inactive; /* P */
	int cpu;		  /* I: -1 for unbound */
	/* F18 counts of this share, summed by the readers: written under
	 * the pool lock only, so a plain store, not a locked add, per item */
	unsigned long long started, completed; /* P, read A */
	/*
	 * Items in flight by flush colour (C4), as two counts that only grow,
	 * each on a line of its own: producers add to `queued`, whoever ends
	 * an item (its run, a cancel, a drop) to `done`. A single counter
	 * bounced between the producer's and the worker's caches on every
	 * item; these stay put, and only a flusher reads both.
	 */
	unsigned int nr_queued[W_NR_COLORS]
		__attribute__((aligned(64)));				/* A */
	unsigned int nr_done[W_NR_COLORS] __attribute__((aligned(64))); /* A */
} __attribute__((aligned(PWQ_ALIGN)));

/*
 * Items of colour `c` in flight on `pwq`. `done` is read first: what ends
 * between the two loads can only make the figure too high, never zero
 * too early, and whoever ends it then wakes the flusher (see
 * bh__pwq_dec_in_flight()).
 */
static inline unsigned int bh__pwq_in_flight(const struct bh__pwq *pwq,
					     unsigned int c)
{
	unsigned int done = __atomic_load_n(&pwq->nr_done[c], __ATOMIC_SEQ_CST);
	unsigned int queued =
		__atomic_load_n(&pwq->nr_queued[c], __ATOMIC_SEQ_CST);
	return queued - done;
}

/* One more item of colour `c` on `pwq`, counted before it is visible. */
static inline void bh__pwq_inc_in_flight(struct bh__pwq *pwq, unsigned int c)
{
	__atomic_add_fetch(&pwq->nr_queued[c], 1, __ATOMIC_SEQ_CST);
}

struct bh_workqueue {
	char name[BH_WQ_NAME_LEN]; /* I */
	unsigned int flags;	   /* I */
	int saved_max_active;	   /* F: what the user asked for, clamped */
	int draining;		   /* A: drain/destroy in progress */
	int destroyed;		   /* A */
	struct bh__pwq **pwqs;	   /* I: per CPU, or [0] for unbound */
	int nr_pwqs;		   /* I */
	/* flush colours (C4, C5) */
	unsigned int work_color;      /* A: colour new items get */
	unsigned long long work_gen;  /* F: colour = generation % 16 */
	unsigned long long flush_gen; /* F: oldest not yet flushed */
	uint32_t flush_seq;	      /* A: futex word flushers sleep on */
	int nr_flushers;	      /* A */
	pthread_mutex_t flush_mutex;
	struct bh__worker *rescuer; /* I */
	struct bh_workqueue *next;  /* G: global list */
	/* F18 counters */
	unsigned long long cpu_intensive, cm_wakeup, mayday, rescued; /* A */
};

/* ---- shared state and helpers ------------------------------------------ */

struct bh__pool *bh__pool_by_id(int id);
struct bh__pool *bh__cpu_pool(int cpu, int kind);
struct bh__pool *bh__unbound_pool(bool highpri);

unsigned long bh__pool_lock(struct bh__pool *p);
bool bh__pool_trylock(struct bh__pool *p, unsigned long *flags);
void bh__pool_unlock(struct bh__pool *p, unsigned long flags);

static inline unsigned int bh__busy_hash(const struct bh_work *w)
{
	uintptr_t h = (uintptr_t)w;
	h ^= h >> 21;
	h *= 0x9e3779b97f4a7c15ull;
	return (unsigned int)(h >> 58) & (BH__BUSY_HASH - 1);
}

/* P: the worker of `p` running `w` with its current function, if any. */
struct bh__worker *bh__find_worker_executing(struct bh__pool *p,
					     struct bh_work *w);
/* P: move pending items from `incoming` to the locked lists. */
void bh__pool_drain_incoming(struct bh__pool *p);
/* P: unlink a drained item and move its state from *d to `nd` (fixing
 * the counts); false, with the item left in place, if the state changed. */
bool bh__pool_unlink_cas(struct bh__pool *p, struct bh_work *w, uintptr_t *d,
			 uintptr_t nd);
/* Wake a worker (or raise the BH softirq) for newly queued work. */
void bh__pool_kick(struct bh__pool *p);
/* Lock-free: push a claimed item on `p`'s incoming stack and kick. */
void bh__pool_push(struct bh__pool *p, struct bh_work *w);

/* P: one item fewer of `color` in flight on `pwq`; wakes flushers. */
void bh__pwq_dec_in_flight(struct bh__pwq *pwq, unsigned int color);
/* P: activate inactive items while max_active allows. */
void bh__pwq_activate(struct bh__pwq *pwq);

struct bh__pwq *bh__wq_pwq(struct bh_workqueue *wq, int cpu);

/* P: one more of a pwq's counts (single writer: the lock holder). */
static inline void bh__pwq_count(unsigned long long *n)
{
	__atomic_store_n(n, *n + 1, __ATOMIC_RELAXED);
}

/*
 * Queue `w`, whose state word the caller saw as `d` (idle, or the
 * delayed-work timer state), on `wq` for `cpu`. Returns 1 if queued, 0 if
 * the state changed (caller re-reads), -1 if the item was dropped (C8).
 */
int bh__queue_claimed(int cpu, struct bh_workqueue *wq, struct bh_work *w,
		      uintptr_t d);

/* Off-queue only (PWQ clear): who owns a set PENDING bit. */
#define W_OFF_TIMER   ((uintptr_t)0x04) /* the delayed-work timer */
#define W_OFF_GRABBED ((uintptr_t)0x08) /* a canceller, for a moment */
#define W_OFF_DEBT    ((uintptr_t)0x10) /* a debtor's disable, see below */

/*
 * Disables owed by a signal handler. A handler that disables an item while
 * its thread holds a pool lock (or is pushing that item) cannot take it off
 * its list; it leaves a tombstone and the disable waits in the thread's
 * slots until the section ends (work.c). The tombstone then carries TDIS,
 * so that everyone sees the item as disabled meanwhile: queue_work()
 * refuses it and enable_work() or a grab waits for the depth to land,
 * instead of finding a merely cancelled item. A lock holder that drops a
 * TDIS tombstone leaves it PENDING|OFF_DEBT, owned by the debtor, whose
 * payment is then one CAS to idle with the owed depth.
 */
#define W_TDIS ((uintptr_t)0x40) /* on a tombstone only (PWQ, no PENDING) */

/* P: what a lock holder leaves when it drops the tombstone `d` from `p`. */
static inline uintptr_t w_dropped(const struct bh__pool *p, uintptr_t d)
{
	if (d & W_TDIS)
		return w_off(p->id, w_color(d)) | W_PENDING | W_OFF_DEBT;
	return w_off(p->id, 0);
}

/* A disable of the item is owed by some thread's signal handler. */
static inline bool w_owed(uintptr_t d)
{
	return (d & (W_PWQ | W_PENDING | W_TDIS)) == (W_PWQ | W_TDIS) ||
	       (d & (W_PWQ | W_PENDING | W_OFF_DEBT)) ==
		       (W_PENDING | W_OFF_DEBT);
}

enum grab_result {
	GRAB_IDLE = 0,	  /* was idle; the caller owns PENDING now */
	GRAB_PENDING = 1, /* was pending; taken off its queue, owned */
	GRAB_TOMB = 2,	  /* was pending; left as a tombstone, not owned */
	GRAB_BUSY = 3,	  /* owned by code this handler interrupted */
	GRAB_BAD = 4,	  /* never initialised (warned) */
	GRAB_COUNTED = 5, /* not pending; the disable counted in place */
};
/* What the grab is for: it decides what a signal handler leaves behind when
 * it cannot take the item off its list (see grab_locked_out()). */
enum grab_why { GRAB_CANCEL, GRAB_DISABLE, GRAB_MOD };
/* Take `w` out of the pending state (the kernel's try_to_grab_pending). */
enum grab_result bh__grab_work(struct bh_work *w, struct bh_delayed_work *dw,
			       enum grab_why why);
/*
 * mod_delayed_work() from a signal handler that found the item owned by the
 * code it interrupted (GRAB_BUSY): record the mod for the end of that
 * code's window, and return what mod_delayed_work() returns, or -1 if the
 * item is free now (grab again).
 */
int bh__defer_mod(int cpu, struct bh_workqueue *wq, struct bh_delayed_work *dw,
		  unsigned long delay);
/* A recorded mod: re-arm `dw` with `delay` if it is still pending. */
void bh__mod_if_pending(int cpu, struct bh_workqueue *wq,
			struct bh_delayed_work *dw, unsigned long delay);
/* Leave the grabbed state: idle with disable depth `disable` (plus the
 * disables signal handlers deferred while this thread owned it). */
void bh__release_grab(struct bh_work *w, unsigned int add);
/* This thread owns (or stops owning) `w`'s PENDING bit: see work.c. */
void bh__grab_mark(struct bh_work *w);
void bh__grab_unmark(struct bh_work *w);
/* This thread owns `w` for a moment (a grab or a push, see work.c). */
bool bh__grab_marked(const struct bh_work *w);
/* Make a tombstone pending again where it lies; false if it changed. */
bool bh__resurrect(struct bh_work *w, uintptr_t *d);
/* cancel_work()/disable_work() (and the deferred disables they leave). */
bool bh__cancel_common(struct bh_work *w, struct bh_delayed_work *dw,
		       bool disable);

/* What signal handlers leave for later (work_defer.c). */
/* Record one disable of `w` for the end of the window; false if full. */
bool bh__defer_disable(struct bh__thread *s, struct bh_work *w);
/* This thread's signal handlers deferred a disable of `w`. */
bool bh__owes(const struct bh_work *w);
/* Take this thread's deferred disables of `w` and put them on it (no
 * pool lock held); false if there were none. */
bool bh__pay_deferred(struct bh_work *w);
/* Disables deferred by signal handlers, applied at the last unlock. */
void bh__wq_apply_deferred(void);
/* The same, at the end of an operation that owned an item: a handler may
 * have deferred one after the owner took its debts. */
static inline void bh__wq_apply_deferred_due(void)
{
	if (bh_unlikely(
		    __atomic_load_n(&bh__self.wq_defer_n, __ATOMIC_RELAXED)) &&
	    !bh__self.wq_lock_depth)
		bh__wq_apply_deferred();
}
bool bh__wq_pwq_registered(const struct bh__pwq *pwq);

/* Flush barrier (a work item on the flusher's stack). */
void bh__wq_barrier_fn(struct bh_work *w);

/* Workers, rescuers and the watchdog (worker.c). */
int bh__workers_start(void);
void bh__workers_stop(void);
int bh__pool_ensure_worker(struct bh__pool *p);
int bh__rescuer_start(struct bh_workqueue *wq);
void bh__rescuer_stop(struct bh_workqueue *wq);
void bh__wq_watchdog_poke(void);
/* The BH pools' softirq entry: run up to 10 items (B5). */
void bh__wq_bh_action(struct bh__cpu *c, unsigned int nr);
void bh__bh_vector(struct bh__cpu *c, unsigned int nr);
/* Sleep hooks called by bh__sleep_on() (concurrency management). */
void bh__wq_worker_sleeping(void);
void bh__wq_worker_running(void);

/* Workqueue list (workqueue.c). */
void bh__wq_for_each(void (*fn)(struct bh_workqueue *wq, void *arg), void *arg);
extern int bh__wq_frozen; /* A */
int bh__wq_init(void);
int bh__wq_shutdown(void);
/* Flush every non-BH workqueue; returns how many items completed. */
unsigned long long bh__wq_quiesce(void);

#pragma GCC visibility pop

#endif
