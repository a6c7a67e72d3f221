/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the flush, cancel, disable, delayed-work and signal
 * tests of workqueues (on top of harness.h).
 *
 * - A counting work item that can be held open: while `held`, each run
 *   sleeps on a completion until the test completes it once (a sleep that
 *   concurrency management sees, as a real item waiting for I/O). It
 *   counts "started" first and "finished" as its last action, so a caller
 *   that reads "finished" after a flush or cancel returns checks an order
 *   (the call ended after the callback), never a time.
 * - A blocking call made in a thread of its own, seen asleep while it
 *   waits and joined with a bound, so a call that never returns fails the
 *   test instead of hanging it.
 * - A BH item that spins (it must not sleep) until released.
 */
#ifndef BH_TEST_WQ_HARNESS_H
#define BH_TEST_WQ_HARNESS_H

#include "harness.h"

#include <pthread.h>

#include <bh/workqueue.h>

/* The layout of the item's state word, to observe what a call has done. */
#include "workqueue_internal.h"

/* Long enough to mean "never" for a held callback; bounded all the same. */
#define WQT_GATE_MS 10000u

struct wqt_item {
	struct bh_work w;
	unsigned long held; /* runs wait for one bh_complete(&go) each */
	unsigned long started, finished, timeouts;
	struct bh_completion go;
	/* Re-queue itself from the callback this many more times. */
	unsigned long chain_left;
	unsigned long requeue_false; /* re-queues that returned false */
	struct bh_workqueue *wq;
	struct wqt_item *also; /* queued once, from the first run */
};

static inline void wqt_item_fn(struct bh_work *w)
{
	struct wqt_item *it = bh_from_work(it, w, w);

	th_inc(&it->started);
	if (th_ld(&it->held) &&
	    !bh_wait_for_completion_timeout(&it->go,
					    bh_msecs_to_jiffies(WQT_GATE_MS)))
		th_inc(&it->timeouts);
	if (it->also && th_ld(&it->started) == 1)
		bh_queue_work(it->wq, &it->also->w);
	if (th_ld(&it->chain_left) > 0) {
		__atomic_fetch_sub(&it->chain_left, 1, __ATOMIC_ACQ_REL);
		if (!bh_queue_work(it->wq, &it->w))
			th_inc(&it->requeue_false);
	}
	th_inc(&it->finished);
}

/* A fresh idle item for `wq` (the state of an earlier test forgotten). */
static inline void wqt_item_init(struct wqt_item *it, struct bh_workqueue *wq)
{
	memset(it, 0, sizeof(*it));
	bh_init_completion(&it->go);
	bh_work_init(&it->w, wqt_item_fn);
	it->wq = wq;
}

/* Queue a held item on `cpu` and wait until its callback holds. */
static inline void wqt_start_held(struct wqt_item *it, int cpu)
{
	th_st(&it->held, 1);
	assert_true(bh_queue_work_on(cpu, it->wq, &it->w));
	assert_true(th_wait_ge(&it->started, th_ld(&it->finished) + 1));
}

/*
 * A delayed item that records, at the start of each run, where and when it
 * ran and what it saw; it can be held like wqt_item, and can re-arm itself
 * with `rearm` jiffies (mod_delayed_work if `rearm_mod`) until `stop`.
 */
struct wqt_ditem {
	struct bh_delayed_work dw;
	unsigned long held, started, finished, timeouts;
	struct bh_completion go;
	struct bh_workqueue *wq;
	unsigned long rearm, stop;
	bool rearm_mod;
	unsigned long rearm_true, rearm_false;
	/* what the last run saw at its start */
	int cpu_seen;
	unsigned long jiffies_seen;
	bool pending_seen;
	struct bh_delayed_work *self_seen;
};

static inline void wqt_ditem_fn(struct bh_work *w)
{
	struct bh_delayed_work *dw = bh_to_delayed_work(w);
	struct wqt_ditem *it = bh_container_of(dw, struct wqt_ditem, dw);

	it->cpu_seen = bh_smp_processor_id();
	it->jiffies_seen = bh_jiffies();
	it->pending_seen = bh_delayed_work_pending(dw);
	it->self_seen = dw;
	th_inc(&it->started); /* publishes the above */
	if (th_ld(&it->held) &&
	    !bh_wait_for_completion_timeout(&it->go,
					    bh_msecs_to_jiffies(WQT_GATE_MS)))
		th_inc(&it->timeouts);
	if (th_ld(&it->rearm) && !th_ld(&it->stop)) {
		bool r = it->rearm_mod
				 ? bh_mod_delayed_work(it->wq, dw, it->rearm)
				 : bh_queue_delayed_work(it->wq, dw, it->rearm);
		th_inc(r ? &it->rearm_true : &it->rearm_false);
	}
	th_inc(&it->finished);
}

static inline void wqt_ditem_init(struct wqt_ditem *it, struct bh_workqueue *wq)
{
	memset(it, 0, sizeof(*it));
	bh_init_completion(&it->go);
	bh_delayed_work_init(&it->dw, wqt_ditem_fn);
	it->wq = wq;
	it->cpu_seen = -1;
}

struct wqt_call {
	pthread_t th;
	bool (*fn)(void *arg);
	void *arg;
	unsigned long tid, done;
	bool ret;
};

static inline void *wqt__call_main(void *p)
{
	struct wqt_call *c = p;

	th_st(&c->tid, th_tid());
	c->ret = c->fn(c->arg);
	th_st(&c->done, 1); /* publishes ret */
	return NULL;
}

static inline void wqt_call_start(struct wqt_call *c, bool (*fn)(void *),
				  void *arg)
{
	memset(c, 0, sizeof(*c));
	c->fn = fn;
	c->arg = arg;
	assert_int_equal(pthread_create(&c->th, NULL, wqt__call_main, c), 0);
}

/*
 * The caller is asleep in the call and has not returned. That it sleeps
 * says nothing of how far the call got: wait for its effect on the item
 * first (wqt_wait_disabled, wqt_wait_not_pending, wqt_wait_flush_barrier,
 * wqt_wait_flush_began, wqt_wait_draining), then assert this.
 */
static inline void wqt_call_assert_asleep(struct wqt_call *c)
{
	assert_true(th_wait_ge(&c->tid, 1));
	assert_true(th_wait_asleep(th_ld(&c->tid)));
	assert_int_equal(th_ld(&c->done), 0);
}

/*
 * Bounded wait until `w` is no longer pending. A caller seen asleep may
 * still be on its way to the wait (asleep on a pool lock the watchdog
 * holds, say), so its effect is waited for, not assumed.
 */
static inline bool wqt_wait_not_pending(struct bh_work *w)
{
	uint64_t deadline = th_now_ns() + TH_WAIT_NS;

	while (bh_work_pending(w)) {
		if (th_now_ns() > deadline)
			return false;
		sched_yield();
	}
	return true;
}

/*
 * Bounded wait until `w` is observably disabled at least `depth` deep:
 * off every queue, not pending, and its disable depth reached. This is
 * what cancel_work_sync and disable_work_sync (and the delayed forms) have
 * done before they wait for a running callback (C11, X4): seeing it is
 * what makes a queue_work that follows fail, which a caller merely seen
 * asleep does not promise (it may sleep on a pool lock before that).
 * Once seen it holds while the callback is held: only the call's own
 * enable, after that wait, or the test lowers the depth. No assertion
 * inside; false on timeout.
 */
static inline bool wqt_wait_disabled(const struct bh_work *w,
				     unsigned int depth)
{
	uint64_t deadline = th_now_ns() + TH_WAIT_NS;

	for (;;) {
		uintptr_t d = w_load(w);

		if (!(d & (W_PWQ | W_PENDING)) && (d & W_INIT) &&
		    w_disable(d) >= depth)
			return true;
		if (th_now_ns() > deadline)
			return false;
		sched_yield();
	}
}

/*
 * A flush barrier for `w` is queued: linked right behind its pending
 * instance (W_LINKED on the item), or, if it is not pending, on the
 * scheduled list of the worker running it. This is what flush_work() has
 * done before it sleeps on the barrier (work.c's start_flush()); a
 * flusher merely seen asleep may still be on its way there (asleep on the
 * pool lock, say), and one that gets there after the instance ran has
 * nothing to wait for. Only flush_work() links a barrier, so in a test
 * with one flusher it is that flusher's. The running case is read under
 * the item's pool lock.
 */
static inline bool wqt__flush_barrier_queued(struct bh_work *w)
{
	uintptr_t d = w_load(w);

	if (d & W_PWQ)
		return (d & (W_PENDING | W_LINKED)) == (W_PENDING | W_LINKED);
	struct bh__pool *p = bh__pool_by_id(w_pool_id(d));
	if (!p)
		return false;

	bool found = false;
	unsigned long f = bh__pool_lock(p);
	struct bh__worker *wk = bh__find_worker_executing(p, w);

	for (struct bh_work *n = wk ? wk->scheduled.next : NULL;
	     n && n != &wk->scheduled; n = n->next)
		if (n->func == bh__wq_barrier_fn) {
			found = true;
			break;
		}
	bh__pool_unlock(p, f);
	return found;
}

/*
 * Bounded wait until a flush_work() of `w` has queued its barrier (see
 * above): from then on it waits for the instance it found, and only for
 * it. No assertion inside; false on timeout.
 */
static inline bool wqt_wait_flush_barrier(struct bh_work *w)
{
	uint64_t deadline = th_now_ns() + TH_WAIT_NS;

	while (!wqt__flush_barrier_queued(w)) {
		if (th_now_ns() > deadline)
			return false;
		sched_yield();
	}
	return true;
}

/* The flush colour items queued on `wq` now get. */
static inline unsigned int wqt_wq_color(const struct bh_workqueue *wq)
{
	return __atomic_load_n(&wq->work_color, __ATOMIC_SEQ_CST);
}

/*
 * Bounded wait until a flush_workqueue() (or a drain's flush round) has
 * begun on `wq`: it has moved the colour new items get away from `color`,
 * read with wqt_wq_color() before the call started. From then on the
 * flush waits for the items queued before, and not for any queued after
 * (C4). Only one flush in flight, so the colour cannot wrap back. No
 * assertion inside; false on timeout.
 */
static inline bool wqt_wait_flush_began(const struct bh_workqueue *wq,
					unsigned int color)
{
	uint64_t deadline = th_now_ns() + TH_WAIT_NS;

	while (wqt_wq_color(wq) == color) {
		if (th_now_ns() > deadline)
			return false;
		sched_yield();
	}
	return true;
}

/*
 * Bounded wait until drain_workqueue() or destroy_workqueue() has marked
 * `wq` draining, which is what makes a queue_work from outside its items
 * warn and drop the item (C8). It stays so until the drain ends, which a
 * held item of `wq` prevents. No assertion inside; false on timeout.
 */
static inline bool wqt_wait_draining(const struct bh_workqueue *wq)
{
	uint64_t deadline = th_now_ns() + TH_WAIT_NS;

	while (!__atomic_load_n(&wq->draining, __ATOMIC_SEQ_CST)) {
		if (th_now_ns() > deadline)
			return false;
		sched_yield();
	}
	return true;
}

static inline bool wqt_call_join(struct wqt_call *c)
{
	assert_true(th_join(c->th));
	assert_int_equal(th_ld(&c->done), 1);
	return c->ret;
}

/* The blocking calls, in the shape wqt_call_start() takes. */
static inline bool wqt_flush_work(void *w)
{
	return bh_flush_work(w);
}
static inline bool wqt_flush_workqueue(void *wq)
{
	bh_flush_workqueue(wq);
	return true;
}
static inline bool wqt_drain_workqueue(void *wq)
{
	bh_drain_workqueue(wq);
	return true;
}
static inline bool wqt_destroy_workqueue(void *wq)
{
	bh_destroy_workqueue(wq);
	return true;
}
static inline bool wqt_cancel_work_sync(void *w)
{
	return bh_cancel_work_sync(w);
}
static inline bool wqt_disable_work_sync(void *w)
{
	return bh_disable_work_sync(w);
}
static inline bool wqt_cancel_delayed_work_sync(void *dw)
{
	return bh_cancel_delayed_work_sync(dw);
}
static inline bool wqt_disable_delayed_work_sync(void *dw)
{
	return bh_disable_delayed_work_sync(dw);
}
static inline bool wqt_flush_delayed_work(void *dw)
{
	return bh_flush_delayed_work(dw);
}

/* A BH item (softirq context: no sleeping) that spins until released. */
struct wqt_spin {
	struct bh_work w;
	unsigned long started, release, finished, timeouts;
};

static inline void wqt_spin_fn(struct bh_work *w)
{
	struct wqt_spin *s = bh_from_work(s, w, w);
	unsigned long n = __atomic_add_fetch(&s->started, 1, __ATOMIC_ACQ_REL);

	if (!th_wait_ge(&s->release, n))
		th_inc(&s->timeouts);
	th_inc(&s->finished);
}

static inline void wqt_spin_init(struct wqt_spin *s)
{
	memset(s, 0, sizeof(*s));
	bh_work_init(&s->w, wqt_spin_fn);
}

/* How many times `needle` appears in the captured log. */
static inline unsigned int wqt_log_count(const char *needle)
{
	unsigned int n = 0;

	for (const char *p = th_log.text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* Fails the test with the first report if anything warned. */
static inline void wqt_assert_no_warnings(void)
{
	if (bh_warn_count())
		fail_msg("%lu warning(s), the first: %.400s", bh_warn_count(),
			 th_log.text);
}

/*
 * Deterministic mode: run softirqs (timers, BH items) until *counter
 * reaches target, at most TH_WAIT_NS; the runs of items on regular
 * workqueues happen in kworkers meanwhile. False on timeout.
 */
static inline bool wqt_run_until(const unsigned long *counter,
				 unsigned long target)
{
	uint64_t deadline = th_now_ns() + TH_WAIT_NS;

	while (th_ld(counter) < target) {
		if (th_now_ns() > deadline)
			return false;
		bh_run_all(0);
		sched_yield();
	}
	return true;
}

#endif
