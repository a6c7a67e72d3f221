// SPDX-License-Identifier: MIT
/*
 * Worker pools: where queued work items wait and which threads run them.
 *
 * Every bh CPU has two concurrency-managed pools (normal, highpri) and two
 * BH pools run by its softirqs; unbound workqueues share two unbound
 * pools. A pool has a lock-free `incoming` stack that producers push on
 * (queue_work() is async-signal-safe and never takes the pool lock), and
 * locked lists that only the lock holder touches: the worklist, each
 * worker's scheduled list and each pwq's inactive list. Whoever takes the
 * lock first moves `incoming` onto the locked lists in queueing order.
 *
 * Concurrency management, as the kernel's: `nr_running` counts the
 * workers of a per-CPU pool that run an item and are neither asleep in one
 * of the library's sleeping primitives nor CPU-intensive. A worker keeps
 * taking items while it is the only one running; a producer wakes an idle
 * worker only when nobody runs; a worker that goes to sleep inside its
 * item wakes one if work is waiting. The worker that leaves the idle state
 * last creates a new idle worker first, so one is always ready to take
 * over; if creation fails the pool calls for the rescuers (F14).
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "workqueue_internal.h"

/* Worker cm_state bits: the worker counts in nr_running iff it is 0. */
#define CM_SLEEPING  1
#define CM_INTENSIVE 2
#define CM_UNBOUND   4 /* never counted: unbound pools and rescuers */

#define BH_WORKER_RESTARTS 10 /* B5 */
#define RESCUER_BATCH	   16
#define MAYDAY_INTERVAL_NS 100000000L
/* The kernel's CREATE_COOLDOWN (HZ): how often a manager that cannot
 * create a worker tries again. */
#define CREATE_COOLDOWN_NS 1000000000L

static struct bh__pool cpu_pools[BH_MAX_CPUS][4];
static struct bh__pool unbound_pools[2];
static struct bh__worker bh_workers[BH_MAX_CPUS][2];

/* Rescuers sleep on this; a pool that cannot create a worker bumps it. */
static uint32_t rescue_seq; /* A */

/* The watchdog thread: F12 marking and M13 lockup reports. */
/* How long the watchdog keeps polling after the last busy pool. */
#define WD_LINGER_NS 1000000000ull

static struct {
	pthread_t thread;
	bool started;
	int stop;	   /* A */
	uint32_t seq;	   /* A: futex word */
	int idle_sleeping; /* A: asleep with no deadline */
} wd;

struct bh__pool *bh__cpu_pool(int cpu, int kind)
{
	return &cpu_pools[cpu][kind];
}

struct bh__pool *bh__unbound_pool(bool highpri)
{
	return &unbound_pools[highpri ? 1 : 0];
}

struct bh__pool *bh__pool_by_id(int id)
{
	if (id < 0)
		return NULL;
	if (id >= BH_MAX_CPUS * 4)
		return id - BH_MAX_CPUS * 4 < 2
			       ? &unbound_pools[id - BH_MAX_CPUS * 4]
			       : NULL;
	return &cpu_pools[id / 4][id % 4];
}

static uint64_t now_ns(void)
{
	return bh__monotonic_ns();
}

/*
 * A clock tick's precision, for the stamps taken per item (the lockup
 * watchdog's progress stamp, F12's start of a run): a few nanoseconds
 * where the precise clock costs tens, and it is read three times per item.
 * The checks that use them measure seconds (M13) or 10 ms (F12) and, as
 * the kernel's at its scheduler tick, may see a run up to a tick longer.
 */
static uint64_t coarse_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- the pool lock ------------------------------------------------------ */

static bool raw_trylock(struct bh__pool *p, unsigned int spins)
{
	for (unsigned int i = 0;; i++) {
		uint32_t expect = 0;
		if (__atomic_compare_exchange_n(&p->lock, &expect, 1, false,
						__ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return true;
		if (i >= spins)
			return false;
		bh__cpu_relax();
	}
}

/*
 * Interrupts go off first (the kernel's spin_lock_irq(&pool->lock)): a
 * library top half landing inside the section is held until the unlock,
 * so it cannot run a BH pool, and take this lock, on top of us.
 */
unsigned long bh__pool_lock(struct bh__pool *p)
{
	unsigned long f = bh_local_irq_save();
	bh__self.wq_lock_depth++;
	bh__signal_barrier();
	if (!raw_trylock(p, 100)) {
		while (__atomic_exchange_n(&p->lock, 2, __ATOMIC_ACQUIRE) != 0)
			bh__futex_wait(&p->lock, 2, -1);
	}
	return f;
}

bool bh__pool_trylock(struct bh__pool *p, unsigned long *flags)
{
	/* A holder on this very thread (a signal handler interrupted it)
	 * would never let go: do not even spin. */
	if (bh__self.wq_lock_depth)
		return false;
	unsigned long f = bh_local_irq_save();
	bh__self.wq_lock_depth++;
	bh__signal_barrier();
	if (raw_trylock(p, 200)) {
		*flags = f;
		return true;
	}
	bh__self.wq_lock_depth--;
	bh_local_irq_restore(f);
	return false;
}

void bh__pool_unlock(struct bh__pool *p, unsigned long flags)
{
	__atomic_store_n(&p->nr_worklist_hint, p->nr_worklist,
			 __ATOMIC_RELAXED);
	if (__atomic_exchange_n(&p->lock, 0, __ATOMIC_RELEASE) == 2)
		bh__futex_wake(&p->lock, 1);
	bh__signal_barrier();
	bh__self.wq_lock_depth--;
	bh_local_irq_restore(flags);
	bh__wq_apply_deferred_due();
}

/* ---- producers' side (lock-free) ----------------------------------------- */

static void wake_rescuers(void)
{
	__atomic_fetch_add(&rescue_seq, 1, __ATOMIC_RELEASE);
	bh__futex_wake(&rescue_seq, INT32_MAX);
}

void bh__pool_kick(struct bh__pool *p)
{
	if (p->bh) {
		bh__raise_on(&bh__cpus[p->cpu], p->kind == POOL_BH_HIGHPRI
							? BH_HI_SOFTIRQ
							: BH_TASKLET_SOFTIRQ);
		return;
	}
	/* A pool that has called for help: its manager is retrying worker
	 * creation, counted as running, so the test below would return
	 * before the rescuers hear of the new item. */
	if (bh_unlikely(__atomic_load_n(&p->mayday, __ATOMIC_RELAXED)))
		wake_rescuers();
	/*
	 * Seq-cst, pairing with the worker that goes idle: it publishes
	 * itself in nr_idle_waiting (or gives up nr_running) and then looks
	 * at `incoming`; we pushed on `incoming` and then look at these. One
	 * of the two sees the other.
	 */
	if (p->managed && __atomic_load_n(&p->nr_running, __ATOMIC_SEQ_CST))
		return;
	if (__atomic_load_n(&p->nr_idle_waiting, __ATOMIC_SEQ_CST) > 0) {
		/*
		 * One wake in flight at a time: a burst of pushes while the
		 * woken worker is on its way would otherwise cost a system
		 * call each and wake workers with nothing left to do. Seq-cst,
		 * with clear_wake_pending(): a kick that finds the flag set
		 * comes, in the total order, before the clear of the worker
		 * that the flag's wake reaches (or of any worker that goes to
		 * wait meanwhile), and that worker drains `incoming` after its
		 * clear, so it finds what this kick's push put there.
		 */
		if (__atomic_exchange_n(&p->wake_pending, 1, __ATOMIC_SEQ_CST))
			return;
		__atomic_fetch_add(&p->idle_seq, 1, __ATOMIC_SEQ_CST);
		bh__futex_wake(&p->idle_seq, 1);
	}
}

void bh__pool_push(struct bh__pool *p, struct bh_work *w)
{
	/*
	 * Treiber push. Only ever push and take-all happen on this stack, so
	 * there is no ABA. Release orders w->next before publication; the
	 * drainer's acquire exchange pairs with it. Seq-cst for the Dekker
	 * pairing described in bh__pool_kick().
	 */
	struct bh_work *old = __atomic_load_n(&p->incoming, __ATOMIC_RELAXED);
	do
		w->next = old;
	while (!__atomic_compare_exchange_n(&p->incoming, &old, w, true,
					    __ATOMIC_SEQ_CST,
					    __ATOMIC_RELAXED));
	bh__pool_kick(p);
}

/* ---- locked lists -------------------------------------------------------- */

void bh__pwq_dec_in_flight(struct bh__pwq *pwq, unsigned int color)
{
	struct bh_workqueue *wq = pwq->wq;
	/* Seq-cst against the flusher, which counts itself in nr_flushers
	 * and then reads the counts: one of us sees the other. */
	__atomic_add_fetch(&pwq->nr_done[color], 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&wq->nr_flushers, __ATOMIC_SEQ_CST) &&
	    bh__pwq_in_flight(pwq, color) == 0) {
		__atomic_fetch_add(&wq->flush_seq, 1, __ATOMIC_SEQ_CST);
		bh__futex_wake(&wq->flush_seq, INT32_MAX);
	}
}

void bh__pwq_activate(struct bh__pwq *pwq)
{
	struct bh__pool *p = pwq->pool;
	while (!wl_empty(&pwq->inactive)) {
		struct bh_work *w = pwq->inactive.next;
		bool barrier = w->func == bh__wq_barrier_fn;
		if (!barrier && pwq->nr_active >= pwq->max_active)
			break;
		/* Move it and the barriers linked to it, in order (F5). */
		for (;;) {
			struct bh_work *n = w->next;
			uintptr_t d = __atomic_fetch_and(&w->data, ~W_INACTIVE,
							 __ATOMIC_ACQ_REL);
			wl_del(w);
			wl_add_tail(&p->worklist, w);
			pwq->nr_inactive--;
			p->nr_worklist++;
			if (w->func != bh__wq_barrier_fn)
				pwq->nr_active++;
			if (!(d & W_LINKED))
				break;
			w = n;
		}
	}
}

void bh__pool_drain_incoming(struct bh__pool *p)
{
	/* Seq-cst, not only acquire: a worker's clear_wake_pending() comes
	 * before this in the total order that bh__pool_kick() relies on. */
	struct bh_work *head =
		__atomic_exchange_n(&p->incoming, NULL, __ATOMIC_SEQ_CST);
	struct bh_work *fifo = NULL;
	/* The kernel's rule: a worklist that was empty starts the lockup
	 * clock afresh, so an old stamp does not report new items. */
	if (head && !p->nr_worklist)
		__atomic_store_n(&p->watchdog_ts, coarse_ns(),
				 __ATOMIC_RELAXED);
	while (head) { /* the stack is newest first */
		struct bh_work *n = head->next;
		head->next = fifo;
		fifo = head;
		head = n;
	}
	while (fifo) {
		struct bh_work *w = fifo;
		fifo = w->next; /* before w can be claimed again */
		uintptr_t d = w_load(w);
		for (;;) {
			if (!(d & W_PENDING)) {
				/* Cancelled before it got here: drop it, its
				 * entry unlinked before the state lets it go
				 * (a linked idle item is corrupt, M10). */
				w->next = w->prev = w;
				if (w_cas(w, &d, w_dropped(p, d)))
					break;
				continue;
			}
			struct bh__pwq *pwq = w_pwq(d);
			bool active = pwq->nr_active < pwq->max_active &&
				      !pwq->nr_inactive;
			uintptr_t nd =
				d | W_DRAINED | (active ? 0 : W_INACTIVE);
			if (!w_cas(w, &d, nd))
				continue;
			if (active) {
				wl_add_tail(&p->worklist, w);
				p->nr_worklist++;
				pwq->nr_active++;
			} else {
				wl_add_tail(&pwq->inactive, w);
				pwq->nr_inactive++;
			}
			break;
		}
	}
}

/* The counts of a drained item `w` (state `d`) just taken off its list. */
static void account_unlinked(struct bh__pool *p, struct bh_work *w, uintptr_t d)
{
	struct bh__pwq *pwq = w_pwq(d);
	if (d & W_INACTIVE) {
		pwq->nr_inactive--;
		return;
	}
	if (!(d & W_SCHED))
		p->nr_worklist--;
	if (w->func != bh__wq_barrier_fn) {
		pwq->nr_active--;
		bh__pwq_activate(pwq);
	}
}

/*
 * P: take drained item `w` off its list and move its state from *d to
 * `nd`. The unlink comes first: the moment the state leaves PWQ a producer
 * may claim the item and push it, writing its links. If the state changed
 * under us (a tombstone, or one made pending again) the item goes back
 * where it was and *d holds the new state.
 */
bool bh__pool_unlink_cas(struct bh__pool *p, struct bh_work *w, uintptr_t *d,
			 uintptr_t nd)
{
	uintptr_t old = *d;
	struct bh_work *prev = w->prev;
	wl_del(w);
	if (w_cas(w, d, nd)) {
		account_unlinked(p, w, old);
		return true;
	}
	wl_add_after(prev, w);
	return false;
}

/* P: drop `w` if it is a tombstone (cancelled while linked). */
static bool drop_if_tombstone(struct bh__pool *p, struct bh_work *w,
			      uintptr_t *d)
{
	while (!(*d & W_PENDING))
		if (bh__pool_unlink_cas(p, w, d, w_dropped(p, *d)))
			return true;
	return false;
}

struct bh__worker *bh__find_worker_executing(struct bh__pool *p,
					     struct bh_work *w)
{
	for (struct bh__worker *wk = p->busy_hash[bh__busy_hash(w)]; wk;
	     wk = wk->hash_next)
		if (wk->current_work == w && wk->current_func == w->func)
			return wk;
	return NULL;
}

/* P: move `w` and the barriers linked behind it to `head` (a scheduled
 * list), in order. */
static void move_linked(struct bh__pool *p, struct bh_work *w,
			struct bh_work *head)
{
	for (;;) {
		struct bh_work *n = w->next;
		uintptr_t d =
			__atomic_fetch_or(&w->data, W_SCHED, __ATOMIC_ACQ_REL);
		if (!(d & W_SCHED) && !(d & W_INACTIVE))
			p->nr_worklist--;
		wl_del(w);
		wl_add_tail(head, w);
		if (!(d & W_LINKED))
			break;
		w = n;
	}
}

/* ---- concurrency management ---------------------------------------------- */

static bool need_more_worker(struct bh__pool *p)
{
	return p->nr_worklist &&
	       (!p->managed ||
		!__atomic_load_n(&p->nr_running, __ATOMIC_SEQ_CST));
}

static bool keep_working(struct bh__pool *p)
{
	return p->nr_worklist &&
	       (!p->managed ||
		__atomic_load_n(&p->nr_running, __ATOMIC_SEQ_CST) <= 1);
}

static void cm_set(struct bh__worker *wk, int bit)
{
	int old = __atomic_fetch_or(&wk->not_counted, bit, __ATOMIC_SEQ_CST);
	if (old)
		return;
	struct bh__pool *p = wk->pool;
	if (__atomic_sub_fetch(&p->nr_running, 1, __ATOMIC_SEQ_CST) == 0 &&
	    (__atomic_load_n(&p->incoming, __ATOMIC_SEQ_CST) ||
	     __atomic_load_n(&p->nr_worklist_hint, __ATOMIC_RELAXED))) {
		struct bh__pwq *pwq = wk->current_pwq;
		if (pwq)
			__atomic_fetch_add(&pwq->wq->cm_wakeup, 1,
					   __ATOMIC_RELAXED);
		bh__pool_kick(p);
	}
}

static void cm_clear(struct bh__worker *wk, int bit)
{
	int old = __atomic_fetch_and(&wk->not_counted, ~bit, __ATOMIC_SEQ_CST);
	if (old == bit)
		__atomic_add_fetch(&wk->pool->nr_running, 1, __ATOMIC_SEQ_CST);
}

void bh__wq_worker_sleeping(void)
{
	struct bh__worker *wk = bh__self.worker;
	if (!wk || !wk->in_callback)
		return;
	__atomic_store_n(&wk->start_ns, 0, __ATOMIC_RELAXED);
	cm_set(wk, CM_SLEEPING);
}

void bh__wq_worker_running(void)
{
	struct bh__worker *wk = bh__self.worker;
	if (!wk || !wk->in_callback)
		return;
	cm_clear(wk, CM_SLEEPING);
	__atomic_store_n(&wk->start_ns, coarse_ns(), __ATOMIC_RELAXED);
}

/* ---- running one item ---------------------------------------------------- */

static void set_thread_name(struct bh__worker *wk, char mark)
{
	char buf[64];
	if (mark && wk->desc[0])
		snprintf(buf, sizeof(buf), "%s%c%s", wk->name, mark, wk->desc);
	else
		snprintf(buf, sizeof(buf), "%s", wk->name);
	buf[15] = 0; /* the kernel's TASK_COMM_LEN */
	prctl(PR_SET_NAME, buf, 0, 0, 0);
}

void bh_set_worker_desc(const char *fmt, ...)
{
	struct bh__worker *wk = bh__self.worker;
	if (!wk || !fmt)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(wk->desc, sizeof(wk->desc), fmt, ap);
	va_end(ap);
	set_thread_name(wk, '+');
}

/* W13: the item must leave the context as it found it. */
static void check_leaks(struct bh_work *w, bh_work_func_t fn, unsigned int pc0,
			unsigned int irq0)
{
	struct bh__thread *s = &bh__self;
	if (bh_likely(s->preempt_count == pc0 && s->irqs_off == irq0))
		return;
	char comm[16] = "?", sym[64];
	prctl(PR_GET_NAME, comm, 0, 0, 0);
	bh__bug(__FILE__, __LINE__, __func__,
		"workqueue leaked atomic, lock or RCU: %s[%d]\n"
		"     preempt=0x%08x irqs_disabled=%u lock=0->? RCU=0->0 "
		"workfn=%s (work %p)",
		comm, bh__gettid(), s->preempt_count, s->irqs_off,
		bh__symbol_name((const void *)fn, sym, sizeof(sym)), (void *)w);
	/* Put the worker back in a usable state: the next item must not
	 * inherit an atomic context it did not ask for. */
	s->preempt_count = pc0;
	if (!pc0)
		s->atomic_cpu1 = 0;
	if (s->irqs_off && !irq0)
		bh_local_irq_enable();
}

/*
 * P, for `w` first on wk's scheduled list with state `d` (pending).
 * Returns with the lock held; drops it around the callback.
 */
static void process_one_work(struct bh__worker *wk, struct bh_work *w,
			     uintptr_t d, unsigned long *flags)
{
	struct bh__pool *p = wk->pool;
	struct bh__worker *other = bh__find_worker_executing(p, w);
	if (other && other != wk) {
		/* W6: it still runs there; it runs again there afterwards. */
		move_linked(p, w, &other->scheduled);
		return;
	}
	struct bh__pwq *pwq = w_pwq(d);
	bool barrier = w->func == bh__wq_barrier_fn;
	unsigned int color = w_color(d);
	bh_work_func_t fn = w->func;
	unsigned int h = bh__busy_hash(w);

	/* W3: PENDING goes right before the call. A canceller may have
	 * turned it into a tombstone since we looked: then it does not run. */
	__atomic_fetch_add(&p->busy_count[h], 1, __ATOMIC_SEQ_CST);
	uintptr_t d0 = d;
	wl_del(w); /* before PENDING clears: see bh__pool_unlink_cas() */
	for (;;) {
		if (w_cas(w, &d, w_off(p->id, 0)))
			break;
		if (!(d & W_PENDING) && w_cas(w, &d, w_dropped(p, d))) {
			/* Cancelled meanwhile: it does not run. */
			__atomic_fetch_sub(&p->busy_count[h], 1,
					   __ATOMIC_RELAXED);
			account_unlinked(p, w, d0);
			return;
		}
	}
	wk->current_work = w;
	wk->current_func = fn;
	wk->current_pwq = pwq;
	wk->hash_next = p->busy_hash[h];
	p->busy_hash[h] = wk;
	p->stall_reported = false;
	__atomic_store_n(&p->watchdog_ts, coarse_ns(), __ATOMIC_RELAXED);

	struct bh_workqueue *wq = pwq->wq;
	bool intensive =
		!barrier && (wq->flags & BH_WQ_CPU_INTENSIVE) && p->managed;
	if (!barrier)
		bh__pwq_count(&pwq->started);
	/* Others may start now: unbound pools run items side by side. */
	if (!p->bh && !p->managed && p->nr_worklist)
		bh__pool_kick(p);
	bh__pool_unlock(p, *flags);

	if (intensive)
		cm_set(wk, CM_INTENSIVE); /* F11 */
	unsigned int pc0 = bh__self.preempt_count;
	unsigned int irq0 = bh__self.irqs_off;
	wk->in_callback = !p->bh;
	__atomic_store_n(&wk->start_ns, coarse_ns(), __ATOMIC_RELAXED);
	fn(w); /* W10: w is not touched after this */
	__atomic_store_n(&wk->start_ns, 0, __ATOMIC_RELAXED);
	wk->in_callback = false;
	if (!barrier)
		check_leaks(w, fn, pc0, irq0);
	if (wk->desc[0]) {
		set_thread_name(wk, '-');
	}

	*flags = bh__pool_lock(p);
	struct bh__worker **pp = &p->busy_hash[h];
	while (*pp != wk)
		pp = &(*pp)->hash_next;
	*pp = wk->hash_next;
	wk->hash_next = NULL;
	wk->current_work = NULL;
	wk->current_func = NULL;
	wk->current_pwq = NULL;
	/* F11/F12 end with the run. A plain look first (a locked RMW per
	 * item otherwise): the watchdog marks only under this lock while
	 * current_pwq is set, so no mark can come after this one. */
	if (__atomic_load_n(&wk->not_counted, __ATOMIC_RELAXED) & CM_INTENSIVE)
		cm_clear(wk, CM_INTENSIVE);
	__atomic_fetch_sub(&p->busy_count[h], 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&p->watchdog_ts, coarse_ns(), __ATOMIC_RELAXED);
	if (!barrier) {
		bh__pwq_count(&pwq->completed);
		pwq->nr_active--;
		bh__pwq_activate(pwq);
		bh__pwq_dec_in_flight(pwq, color);
	}
}

/* P: run wk's scheduled list to the end. Returns items run. */
static int run_scheduled(struct bh__worker *wk, unsigned long *flags)
{
	int n = 0;
	while (!wl_empty(&wk->scheduled)) {
		struct bh_work *w = wk->scheduled.next;
		uintptr_t d = w_load(w);
		if (drop_if_tombstone(wk->pool, w, &d))
			continue;
		process_one_work(wk, w, d, flags);
		n++;
	}
	return n;
}

/* P: the first runnable item of the worklist, tombstones dropped. */
static struct bh_work *first_work(struct bh__pool *p)
{
	while (!wl_empty(&p->worklist)) {
		struct bh_work *w = p->worklist.next;
		uintptr_t d = w_load(w);
		if (!drop_if_tombstone(p, w, &d))
			return w;
	}
	return NULL;
}

/* ---- worker threads ------------------------------------------------------ */

static void *worker_main(void *arg);

static void name_worker(struct bh__worker *wk)
{
	struct bh__pool *p = wk->pool;
	char buf[64];
	if (wk->rescue_wq)
		snprintf(buf, sizeof(buf), "kworker/R-%s", wk->rescue_wq->name);
	else if (p->unbound)
		snprintf(buf, sizeof(buf), "kworker/u%d:%d%s",
			 p->id - BH_MAX_CPUS * 4, wk->id,
			 p->kind == POOL_HIGHPRI ? "H" : "");
	else
		snprintf(buf, sizeof(buf), "kworker/%d:%d%s", p->cpu, wk->id,
			 p->kind == POOL_HIGHPRI ? "H" : "");
	memcpy(wk->name, buf, sizeof(wk->name) - 1);
	wk->name[sizeof(wk->name) - 1] = 0;
}

/* Tests make pthread_create fail under this to reach the rescuer (F14). */
static int start_thread(struct bh__worker *wk)
{
	/* Workers never run signal handlers: born with signals blocked. */
	return bh__spawn(&wk->thread, NULL, worker_main, wk, true);
}

static void reap_zombies(struct bh__pool *p, unsigned long *flags)
{
	struct bh__worker *z = p->zombies;
	if (!z)
		return;
	p->zombies = NULL;
	bh__pool_unlock(p, *flags);
	while (z) {
		struct bh__worker *n = z->all_next;
		pthread_join(z->thread, NULL);
		free(z);
		z = n;
	}
	*flags = bh__pool_lock(p);
}

/* P (dropped meanwhile): add an idle worker to `p`. 0 or -errno. */
static int create_worker(struct bh__pool *p, unsigned long *flags)
{
	reap_zombies(p, flags);
	struct bh__worker *wk = bh__calloc(1, sizeof(*wk));
	if (!wk)
		return -ENOMEM;
	wk->pool = p;
	wk->id = p->next_worker_id++;
	wl_init(&wk->scheduled);
	wk->not_counted = p->managed ? 0 : CM_UNBOUND;
	wk->idle = true;
	name_worker(wk);
	/* Listed before it runs, so the pool can count on it at once. */
	wk->all_next = p->all_workers;
	p->all_workers = wk;
	wk->idle_next = p->idle_list;
	p->idle_list = wk;
	p->nr_workers++;
	p->nr_idle++;
	p->creating++;
	/* Read under the lock: stop_pool() sets it there, then waits for
	 * `creating` to reach zero, so either it sees us or we see it. */
	bool stopping = p->stopping;
	bh__pool_unlock(p, *flags);
	int err = stopping ? EAGAIN : start_thread(wk);
	if (!err) /* named by its creator, so it has its name at once */
		pthread_setname_np(wk->thread, wk->name);
	*flags = bh__pool_lock(p);
	p->creating--;
	if (err) {
		struct bh__worker **pp = &p->all_workers;
		while (*pp != wk)
			pp = &(*pp)->all_next;
		*pp = wk->all_next;
		pp = &p->idle_list;
		while (*pp != wk)
			pp = &(*pp)->idle_next;
		*pp = wk->idle_next;
		p->nr_workers--;
		p->nr_idle--;
		free(wk);
		return -err;
	}
	return 0;
}

/*
 * Call the rescuers to `p`. Each rescuer that then finds its queue's items
 * here counts the request (wq->mayday) before it takes them, so the F18
 * count is never behind the rescued count, and items that were still in
 * `incoming` when help was called are seen too (rescue_pool drains it).
 */
static void mayday(struct bh__pool *p)
{
	__atomic_store_n(&p->mayday, 1, __ATOMIC_SEQ_CST);
	wake_rescuers();
}

/* The kernel's "Failed to create a worker thread", once per runtime. */
static void report_create_failure(int err)
{
	static unsigned long reported_gen;
	unsigned long g = bh__warn_generation();
	if (__atomic_exchange_n(&reported_gen, g, __ATOMIC_RELAXED) != g)
		bh_printk(BH_LOG_ERR,
			  "workqueue: Failed to create a worker thread: %s\n",
			  strerror(-err));
}

static void leave_idle(struct bh__worker *wk)
{
	struct bh__pool *p = wk->pool;
	struct bh__worker **pp = &p->idle_list;
	while (*pp != wk)
		pp = &(*pp)->idle_next;
	*pp = wk->idle_next;
	wk->idle = false;
	p->nr_idle--;
	if (p->managed)
		__atomic_add_fetch(&p->nr_running, 1, __ATOMIC_SEQ_CST);
}

static void enter_idle(struct bh__worker *wk)
{
	struct bh__pool *p = wk->pool;
	wk->idle = true;
	wk->idle_next = p->idle_list;
	p->idle_list = wk;
	p->nr_idle++;
	if (p->managed)
		__atomic_sub_fetch(&p->nr_running, 1, __ATOMIC_SEQ_CST);
}

/*
 * An idle worker clears the flag each time it starts waiting and each time
 * it stops, before it next looks at `incoming`. Clearing on the way in
 * keeps a flag that was set for a worker that had already gone (a timeout
 * raced with the kick) from silencing kicks for ever; clearing on the way
 * out lets the next kick wake another waiter.
 */
static void clear_wake_pending(struct bh__pool *p)
{
	/* Only on the way in and out of a futex wait: a plain seq-cst store
	 * keeps the argument in bh__pool_kick() simple. */
	__atomic_store_n(&p->wake_pending, 0, __ATOMIC_SEQ_CST);
}

/* Too many idle workers (the kernel's MAX_IDLE_WORKERS_RATIO of 4). */
static bool too_many_workers(struct bh__pool *p)
{
	int busy = p->nr_workers - p->nr_idle;
	return p->nr_idle > 2 && (p->nr_idle - 2) * 4 >= busy;
}

/*
 * P (dropped while it waits). A worker that found work with no idle worker
 * left to stand in for it makes one before it starts, so that a spare is
 * there the moment its item sleeps: the kernel's manage_workers(). When
 * creation fails it calls the rescuers and tries again every
 * CREATE_COOLDOWN_NS, running nothing itself meanwhile, as the kernel's
 * maybe_create_worker() does: a pool whose last worker ran items with no
 * spare behind it would deadlock on the first item that waits for one
 * queued after it. WQ_MEM_RECLAIM queues are what is guaranteed progress
 * (F14); the others wait until creation works again.
 *
 * True: the worker may start working (it made a spare, or another worker
 * went idle). False: it goes back to idle (nothing left to run, another
 * worker is running again, or the pool is stopping).
 */
static bool manage_workers(struct bh__worker *wk, unsigned long *flags)
{
	struct bh__pool *p = wk->pool;
	for (;;) {
		int err = create_worker(p, flags);
		if (!err) {
			__atomic_store_n(&p->mayday, 0, __ATOMIC_RELAXED);
			return true;
		}
		if (p->stopping || wk->exiting)
			return false;
		report_create_failure(err);
		mayday(p);
		/*
		 * Wait on the idle workers' word: stop_pool() wakes everyone
		 * there. A kick's wake meant for an idle worker can land here
		 * instead, so this clears wake_pending on the way out as an
		 * idle worker would, and drains `incoming` after it.
		 */
		uint32_t seq = __atomic_load_n(&p->idle_seq, __ATOMIC_ACQUIRE);
		bh__pool_unlock(p, *flags);
		bh__futex_wait(&p->idle_seq, seq, CREATE_COOLDOWN_NS);
		*flags = bh__pool_lock(p);
		clear_wake_pending(p);
		bh__pool_drain_incoming(p);
		if (wk->exiting || !p->nr_worklist)
			return false;
		if (p->nr_idle)
			return true;
		/* Counted as running ourselves: more than one means another
		 * worker woke from its sleep and runs the pool again. */
		if (p->managed &&
		    __atomic_load_n(&p->nr_running, __ATOMIC_SEQ_CST) > 1)
			return false;
	}
}

static void *worker_main(void *arg)
{
	bh__spawned();
	struct bh__worker *wk = arg;
	struct bh__pool *p = wk->pool;
	bh__self.worker = wk;
	bh__self.is_ksoftirqd = false;
	wk->tid = bh__gettid();
	set_thread_name(wk, 0);
	if (p->kind == POOL_HIGHPRI)
		(void)setpriority(PRIO_PROCESS, (id_t)wk->tid, -20);
	if (!p->unbound) {
		/* Work queued here belongs to this bh CPU (U5). */
		bh_thread_set_cpu(p->cpu);
		bh__pin_self(p->cpu);
	}

	unsigned long f = bh__pool_lock(p);
	bool retire = false;
	while (!wk->exiting) {
		bh__pool_drain_incoming(p);
		if (need_more_worker(p)) {
			leave_idle(wk);
			/* Seq-cst: see the watchdog's Dekker. */
			if (wd.started && __atomic_load_n(&wd.idle_sleeping,
							  __ATOMIC_SEQ_CST))
				bh__wq_watchdog_poke();
			if (!p->nr_idle && !manage_workers(wk, &f)) {
				enter_idle(wk);
				continue;
			}
			do {
				bh__pool_drain_incoming(p);
				struct bh_work *w = first_work(p);
				if (!w)
					break;
				move_linked(p, w, &wk->scheduled);
				run_scheduled(wk, &f);
			} while (keep_working(p));
			enter_idle(wk);
			continue;
		}
		uint32_t seq = __atomic_load_n(&p->idle_seq, __ATOMIC_ACQUIRE);
		__atomic_add_fetch(&p->nr_idle_waiting, 1, __ATOMIC_SEQ_CST);
		clear_wake_pending(p);
		if (__atomic_load_n(&p->incoming, __ATOMIC_SEQ_CST) ||
		    need_more_worker(p) || wk->exiting) {
			__atomic_sub_fetch(&p->nr_idle_waiting, 1,
					   __ATOMIC_SEQ_CST);
			continue;
		}
		bh__pool_unlock(p, f);
		int r = bh__futex_wait(&p->idle_seq, seq,
				       (long)bh__rt.wq_idle_ns);
		f = bh__pool_lock(p);
		__atomic_sub_fetch(&p->nr_idle_waiting, 1, __ATOMIC_SEQ_CST);
		clear_wake_pending(p);
		if (r == -ETIMEDOUT && too_many_workers(p) && !p->incoming &&
		    !p->nr_worklist) {
			retire = true;
			break;
		}
	}
	/* Leave the pool (idle by now). */
	struct bh__worker **pp = &p->idle_list;
	while (*pp && *pp != wk)
		pp = &(*pp)->idle_next;
	if (*pp) {
		*pp = wk->idle_next;
		p->nr_idle--;
	}
	if (retire) {
		pp = &p->all_workers;
		while (*pp != wk)
			pp = &(*pp)->all_next;
		*pp = wk->all_next;
		p->nr_workers--;
		wk->all_next = p->zombies;
		p->zombies = wk;
	}
	bh__pool_unlock(p, f);
	bh__self.worker = NULL;
	return NULL;
}

int bh__pool_ensure_worker(struct bh__pool *p)
{
	if (p->bh)
		return 0;
	unsigned long f = bh__pool_lock(p);
	int err = 0;
	if (!p->nr_workers)
		err = create_worker(p, &f);
	bh__pool_unlock(p, f);
	return err;
}

/* ---- rescuers (F14) ------------------------------------------------------ */

static int nr_pools_to_scan(void)
{
	return bh__rt.nr_cpus;
}

/* Run up to RESCUER_BATCH of wq's items waiting in `p`. */
static int rescue_pool(struct bh__worker *wk, struct bh__pool *p)
{
	struct bh_workqueue *wq = wk->rescue_wq;
	unsigned long f = bh__pool_lock(p);
	bh__pool_drain_incoming(p);
	int n = 0;
	struct bh_work *w = p->worklist.next;
	while (w != &p->worklist && n < RESCUER_BATCH) {
		uintptr_t d = w_load(w);
		struct bh_work *next = w->next;
		if ((d & W_PENDING) && w_pwq(d)->wq == wq) {
			move_linked(p, w, &wk->scheduled);
			n++;
			next = p->worklist.next; /* the list changed */
		}
		w = next;
	}
	/* Counted as they are taken, as the kernel does, so the counts are
	 * there before any of them can report having run: one request
	 * (F18 mayday) per visit that finds this queue's items. */
	if (n) {
		__atomic_fetch_add(&wq->mayday, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&wq->rescued, (unsigned long long)n,
				   __ATOMIC_RELAXED);
	}
	wk->pool = p;
	int ran = run_scheduled(wk, &f);
	bh__pool_unlock(p, f);
	return ran;
}

static void *rescuer_main(void *arg)
{
	bh__spawned();
	struct bh__worker *wk = arg;
	bh__self.worker = wk;
	wk->tid = bh__gettid();
	set_thread_name(wk, 0);
	(void)setpriority(PRIO_PROCESS, (id_t)wk->tid, -20);
	for (;;) {
		uint32_t seq = __atomic_load_n(&rescue_seq, __ATOMIC_ACQUIRE);
		if (__atomic_load_n(&wk->exiting, __ATOMIC_ACQUIRE))
			break;
		int ran = 0;
		for (int c = 0; c < nr_pools_to_scan(); c++)
			for (int k = 0; k < 2; k++) {
				struct bh__pool *p = &cpu_pools[c][k];
				if (__atomic_load_n(&p->mayday,
						    __ATOMIC_ACQUIRE))
					ran += rescue_pool(wk, p);
			}
		for (int k = 0; k < 2; k++)
			if (__atomic_load_n(&unbound_pools[k].mayday,
					    __ATOMIC_ACQUIRE))
				ran += rescue_pool(wk, &unbound_pools[k]);
		if (!ran)
			bh__futex_wait(&rescue_seq, seq, MAYDAY_INTERVAL_NS);
	}
	bh__self.worker = NULL;
	return NULL;
}

int bh__rescuer_start(struct bh_workqueue *wq)
{
	struct bh__worker *wk = bh__calloc(1, sizeof(*wk));
	if (!wk)
		return -ENOMEM;
	wl_init(&wk->scheduled);
	wk->rescue_wq = wq;
	wk->not_counted = CM_UNBOUND;
	wk->pool = &unbound_pools[0];
	name_worker(wk);
	int err = bh__spawn(&wk->thread, NULL, rescuer_main, wk, true);
	if (err) {
		free(wk);
		return -err;
	}
	pthread_setname_np(wk->thread, wk->name);
	wq->rescuer = wk;
	return 0;
}

void bh__rescuer_stop(struct bh_workqueue *wq)
{
	struct bh__worker *wk = wq->rescuer;
	if (!wk)
		return;
	__atomic_store_n(&wk->exiting, true, __ATOMIC_RELEASE);
	wake_rescuers();
	pthread_join(wk->thread, NULL);
	free(wk);
	wq->rescuer = NULL;
}

bool bh_current_is_workqueue_rescuer(void)
{
	struct bh__worker *wk = bh__self.worker;
	return wk && wk->rescue_wq;
}

/* ---- BH pools (B1-B7) ---------------------------------------------------- */

void bh__wq_bh_action(struct bh__cpu *c, unsigned int nr)
{
	int kind = nr == BH_HI_SOFTIRQ ? POOL_BH_HIGHPRI : POOL_BH;
	struct bh__pool *p = &cpu_pools[c->id][kind];
	if (!p->inited)
		return;
	/*
	 * Nothing queued (the usual case when the softirq runs for
	 * tasklets): no lock. A producer that pushes after this look raises
	 * the softirq again. Items another lock holder drained (a flush
	 * inserting its barrier) count in the hint only from its unlock, so
	 * a held lock means "look inside". Order: an empty `incoming` read
	 * from that holder's exchange synchronises with it, so the lock
	 * word read next shows its lock, or its unlock (release), after
	 * which the hint read last is current.
	 */
	if (!__atomic_load_n(&p->incoming, __ATOMIC_SEQ_CST) &&
	    !__atomic_load_n(&p->lock, __ATOMIC_ACQUIRE) &&
	    !__atomic_load_n(&p->nr_worklist_hint, __ATOMIC_RELAXED))
		return;
	struct bh__worker *wk = p->bh_worker;
	unsigned long end = bh_jiffies() + bh__rt.max_softirq_time;
	unsigned long f = bh__pool_lock(p);
	int n = 0;
	for (;;) {
		bh__pool_drain_incoming(p);
		if (n >= BH_WORKER_RESTARTS ||
		    !bh_time_before(bh_jiffies(), end))
			break;
		struct bh_work *w = first_work(p);
		if (!w)
			break;
		move_linked(p, w, &wk->scheduled);
		n += run_scheduled(wk, &f);
	}
	bool more = p->nr_worklist != 0;
	bh__pool_unlock(p, f);
	if (more) /* B5: the rest in the next round */
		bh__raise_on(c, nr);
}

/* HI and TASKLET softirqs: BH work items first, then tasklets (B1). */
void bh__bh_vector(struct bh__cpu *c, unsigned int nr)
{
	bh__wq_bh_action(c, nr);
	bh__tasklet_action(c, nr);
}

/* ---- the watchdog: F12 marking and M13 lockups --------------------------- */

void bh__wq_watchdog_poke(void)
{
	__atomic_store_n(&wd.idle_sleeping, 0, __ATOMIC_RELAXED);
	__atomic_fetch_add(&wd.seq, 1, __ATOMIC_RELEASE);
	bh__futex_wake(&wd.seq, 1);
}

static void report_lockup(struct bh__pool *p, uint64_t stuck_ns)
{
	bh__bug(__FILE__, __LINE__, __func__,
		"workqueue lockup - pool cpus=%d%s flags=0x0 nice=%d stuck "
		"for %llus!",
		p->cpu, p->unbound ? " (unbound)" : "",
		(p->kind == POOL_HIGHPRI || p->kind == POOL_BH_HIGHPRI) ? -20
									: 0,
		(unsigned long long)(stuck_ns / 1000000000ull));
	bh_show_workqueue_state();
}

/* Something runs or waits in `p` (a lock-free look; `now` unused). */
static bool pool_looks_busy(struct bh__pool *p, uint64_t now)
{
	(void)now;
	return p->inited &&
	       ((p->managed &&
		 __atomic_load_n(&p->nr_running, __ATOMIC_SEQ_CST)) ||
		__atomic_load_n(&p->nr_worklist_hint, __ATOMIC_RELAXED) ||
		__atomic_load_n(&p->incoming, __ATOMIC_RELAXED));
}

/* fn(pool, now) on every pool; whether any call returned true. */
static bool for_each_pool(bool (*fn)(struct bh__pool *, uint64_t), uint64_t now)
{
	bool any = false;
	for (int c = 0; c < bh__rt.nr_cpus; c++)
		for (int k = 0; k < 4; k++)
			any |= fn(&cpu_pools[c][k], now);
	for (int k = 0; k < 2; k++)
		any |= fn(&unbound_pools[k], now);
	return any;
}

/* Returns whether the pool is busy (worth polling again soon). */
static bool watch_pool(struct bh__pool *p, uint64_t now)
{
	if (!pool_looks_busy(p, now))
		return false;
	unsigned long f = bh__pool_lock(p);
	/* M13: items that no worker was woken for (one is counted as
	 * running) wait on `incoming`; they are what the stall is about. */
	bh__pool_drain_incoming(p);
	/* cm_set() below decides whether to wake a worker from this hint;
	 * the drain just moved items it does not count yet. */
	__atomic_store_n(&p->nr_worklist_hint, p->nr_worklist,
			 __ATOMIC_RELAXED);
	if (p->managed) {
		for (struct bh__worker *wk = p->all_workers; wk;
		     wk = wk->all_next) {
			uint64_t st = __atomic_load_n(&wk->start_ns,
						      __ATOMIC_RELAXED);
			if (!st || now < st ||
			    now - st < bh__rt.wq_intensive_ns ||
			    __atomic_load_n(&wk->not_counted,
					    __ATOMIC_RELAXED) ||
			    !wk->current_pwq ||
			    wk->current_func == bh__wq_barrier_fn)
				continue;
			/* F12: mark it for the rest of this execution. Not a
			 * flush barrier: it completes its flusher from inside
			 * the run, and the flusher may destroy the workqueue
			 * (its pwq) before this worker takes the lock again
			 * and clears current_pwq. */
			__atomic_fetch_add(&wk->current_pwq->wq->cpu_intensive,
					   1, __ATOMIC_RELAXED);
			cm_set(wk, CM_INTENSIVE);
		}
	}
	uint64_t ts = __atomic_load_n(&p->watchdog_ts, __ATOMIC_RELAXED);
	bool stalled = p->nr_worklist && ts && now > ts &&
		       now - ts >= bh__rt.wq_watchdog_ns && !p->stall_reported;
	if (stalled)
		p->stall_reported = true;
	bh__pool_unlock(p, f);
	if (stalled)
		report_lockup(p, now - ts);
	return true;
}

static void *watchdog_main(void *arg)
{
	bh__spawned();
	(void)arg;
	prctl(PR_SET_NAME, "kworker/wdog", 0, 0, 0);
	long poll = (long)(bh__rt.wq_intensive_ns / 4);
	if ((uint64_t)poll > bh__rt.wq_watchdog_ns / 4)
		poll = (long)(bh__rt.wq_watchdog_ns / 4);
	if (poll < 1000000)
		poll = 1000000;
	uint64_t last_busy = 0;
	while (!__atomic_load_n(&wd.stop, __ATOMIC_ACQUIRE)) {
		uint32_t seq = __atomic_load_n(&wd.seq, __ATOMIC_ACQUIRE);
		uint64_t now = now_ns();
		bool busy = for_each_pool(watch_pool, now);
		long period = -1;
		if (busy) {
			period = poll;
			last_busy = now;
		} else if (last_busy && now - last_busy < WD_LINGER_NS) {
			/*
			 * Keep polling a while after the pools went quiet,
			 * idle_sleeping left 0: a worker leaving idle then
			 * needs no wake of ours, which sat in the path of
			 * every item that followed an idle moment (a
			 * futex wake and a cross-CPU wake-up before the
			 * item's first instruction). The kernel's watchdog
			 * is a timer that workers never wake.
			 */
			period = poll;
		} else {
			/*
			 * Dekker with a worker leaving idle, which counts
			 * itself in nr_running and then reads idle_sleeping
			 * (both seq-cst): we set idle_sleeping and then look
			 * again, so one of us sees the other. Without the
			 * second look a worker that became busy just after
			 * our scan saw idle_sleeping still 0 and did not
			 * poke, and we slept through its item (F12 unseen).
			 */
			__atomic_store_n(&wd.idle_sleeping, 1,
					 __ATOMIC_SEQ_CST);
			if (for_each_pool(pool_looks_busy, now)) {
				__atomic_store_n(&wd.idle_sleeping, 0,
						 __ATOMIC_RELAXED);
				continue;
			}
		}
		bh__futex_wait(&wd.seq, seq, period);
	}
	return NULL;
}

/* ---- start and stop ------------------------------------------------------ */

static void pool_init(struct bh__pool *p, int id, int cpu, int kind)
{
	memset(p, 0, sizeof(*p));
	p->id = id;
	p->cpu = cpu;
	p->kind = kind;
	p->unbound = cpu < 0;
	p->bh = kind >= POOL_BH;
	p->managed = !p->unbound && !p->bh;
	wl_init(&p->worklist);
	if (p->bh) {
		struct bh__worker *wk = &bh_workers[cpu][kind - POOL_BH];
		memset(wk, 0, sizeof(*wk));
		wk->pool = p;
		wk->not_counted = CM_UNBOUND;
		wl_init(&wk->scheduled);
		p->bh_worker = wk;
	}
	p->inited = true;
}

int bh__workers_start(void)
{
	for (int c = 0; c < bh__rt.nr_cpus; c++)
		for (int k = 0; k < 4; k++)
			pool_init(&cpu_pools[c][k], c * 4 + k, c, k);
	for (int k = 0; k < 2; k++) {
		pool_init(&unbound_pools[k], BH_MAX_CPUS * 4 + k, -1, k);
	}
	memset(&wd, 0, sizeof(wd));
	int err = bh__spawn(&wd.thread, NULL, watchdog_main, NULL, true);
	if (err)
		return -err;
	wd.started = true;
	return 0;
}

static void stop_pool(struct bh__pool *p)
{
	if (!p->inited || p->bh) {
		p->inited = false;
		return;
	}
	unsigned long f = bh__pool_lock(p);
	/* No new workers from now on; wait out those being created, whose
	 * thread ids are not written yet. */
	p->stopping = true;
	while (p->creating) {
		bh__pool_unlock(p, f);
		sched_yield();
		f = bh__pool_lock(p);
	}
	for (struct bh__worker *wk = p->all_workers; wk; wk = wk->all_next)
		wk->exiting = true;
	__atomic_fetch_add(&p->idle_seq, 1, __ATOMIC_SEQ_CST);
	bh__futex_wake(&p->idle_seq, INT32_MAX);
	struct bh__worker *all = p->all_workers, *z = p->zombies;
	p->all_workers = NULL;
	p->zombies = NULL;
	bh__pool_unlock(p, f);
	while (all) {
		struct bh__worker *n = all->all_next;
		pthread_join(all->thread, NULL);
		free(all);
		all = n;
	}
	while (z) {
		struct bh__worker *n = z->all_next;
		pthread_join(z->thread, NULL);
		free(z);
		z = n;
	}
	p->inited = false;
}

void bh__workers_stop(void)
{
	if (wd.started) {
		__atomic_store_n(&wd.stop, 1, __ATOMIC_RELEASE);
		bh__wq_watchdog_poke();
		pthread_join(wd.thread, NULL);
		wd.started = false;
	}
	for (int c = 0; c < bh__rt.nr_cpus; c++)
		for (int k = 0; k < 4; k++)
			stop_pool(&cpu_pools[c][k]);
	for (int k = 0; k < 2; k++)
		stop_pool(&unbound_pools[k]);
}

/*
 * The work items queued and not yet running, for
 * bh_debug_for_each_live_object(): each pool under its lock, after moving
 * its lock-free `incoming` stack onto the locked lists as every lock
 * holder does; then the pool's worklist and its workers' scheduled
 * lists. Items held back on a workqueue's inactive list (max_active) are
 * walked by bh__wq_walk(). An item running now is not reported.
 */
static void walk_items(struct bh_work *head, const struct bh__pool *p,
		       void (*fn)(const struct bh_debug_object *o, void *arg),
		       void *arg)
{
	for (struct bh_work *w = head->next; w != head; w = w->next) {
		struct bh_debug_object o = {
			.kind = BH_DEBUG_WORK,
			.obj = w,
			.fn = (const void *)w->func,
			.cpu = p->cpu,
		};
		fn(&o, arg);
	}
}

static void walk_pool(struct bh__pool *p,
		      void (*fn)(const struct bh_debug_object *o, void *arg),
		      void *arg)
{
	if (!p->inited)
		return;
	unsigned long f = bh__pool_lock(p);
	bh__pool_drain_incoming(p);
	walk_items(&p->worklist, p, fn, arg);
	for (struct bh__worker *w = p->all_workers; w; w = w->all_next)
		walk_items(&w->scheduled, p, fn, arg);
	bh__pool_unlock(p, f);
}

void bh__work_walk(void (*fn)(const struct bh_debug_object *o, void *arg),
		   void *arg)
{
	for (int c = 0; c < bh__rt.nr_cpus; c++)
		for (int k = 0; k < 4; k++)
			walk_pool(&cpu_pools[c][k], fn, arg);
	for (int k = 0; k < 2; k++)
		walk_pool(&unbound_pools[k], fn, arg);
}
