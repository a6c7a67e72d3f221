/* SPDX-License-Identifier: MIT */
/*
 * Delayed work (SPEC D1-D13).
 *
 * Deterministic mode wherever timing would otherwise decide: the virtual
 * clock moves only by bh_advance_jiffies(), so "fires at jiffies + d, not
 * a tick earlier" is exact, and an item that records bh_jiffies() when it
 * runs tells which tick queued it, even when a kworker runs it later.
 * Most tests use a BH workqueue, whose items run inside bh_run_all(), the
 * same call that runs the timer; the regular-workqueue variants wait for
 * the kworker with a bound. Waiting callbacks (D10, D11) need threaded
 * mode and hold their callbacks as wq_harness.h does.
 */
#include "wq_harness.h"

#include <signal.h>

static struct bh_workqueue *wq, *bhwq;
static struct wqt_ditem da, db;

/* Both workqueues; this thread on bh CPU 0. */
static void setup(bool deterministic)
{
	th_init(2, deterministic);
	assert_int_equal(bh_thread_set_cpu(0), 0);
	wq = bh_alloc_workqueue("dwork", BH_WQ_PERCPU, 0);
	bhwq = bh_alloc_workqueue("dwork_bh", BH_WQ_BH, 0);
	assert_non_null(wq);
	assert_non_null(bhwq);
}

static void teardown(void)
{
	bh_destroy_workqueue(bhwq);
	bh_destroy_workqueue(wq);
	wq = bhwq = NULL;
	wqt_assert_no_warnings();
	th_shutdown();
}

/*
 * Arm `it` with delay d (on `cpu`, or unbound if cpu < 0) and check that
 * it fires at exactly jiffies + d: still armed after d - 1 ticks, run
 * after the d-th (and seeing that jiffy when it runs).
 */
static void check_fires_at(struct wqt_ditem *it, int cpu, unsigned long d)
{
	unsigned long j = bh_jiffies(), runs = th_ld(&it->finished);

	if (cpu < 0)
		assert_true(bh_queue_delayed_work(it->wq, &it->dw, d));
	else
		assert_true(bh_queue_delayed_work_on(cpu, it->wq, &it->dw, d));
	assert_true(bh_timer_pending(&it->dw.timer));
	assert_int_equal(it->dw.timer.expires, j + d);
	if (d > 1) {
		assert_int_equal(bh_advance_jiffies(d - 1), 0);
		assert_true(bh_run_all(0) >= 0);
		assert_true(bh_timer_pending(&it->dw.timer));
		assert_true(bh_delayed_work_pending(&it->dw));
		assert_int_equal(th_ld(&it->started), runs);
	}
	assert_int_equal(bh_advance_jiffies(1), 0);
	assert_true(wqt_run_until(&it->finished, runs + 1));
	assert_int_equal(it->jiffies_seen, j + d);
	assert_false(bh_timer_pending(&it->dw.timer));
	assert_false(bh_delayed_work_pending(&it->dw));
}

static void noop_fn(struct bh_work *w)
{
	(void)w;
}

static BH_DECLARE_DELAYED_WORK(static_dw, noop_fn);
static BH_DECLARE_DEFERRABLE_WORK(static_defer, noop_fn);

/*
 * SPEC D1: a delayed item is an idle work item plus a TIMER_IRQSAFE timer
 * whose callback queues it (deferrable: also TIMER_DEFERRABLE); the
 * callback gets &dw->work, from which to_delayed_work() finds dw.
 */
static void test_d1_init(void **state)
{
	(void)state;
	static struct bh_delayed_work dw, defer;
	const unsigned int kind = BH_TIMER_IRQSAFE | BH_TIMER_DEFERRABLE;

	setup(true);
	bh_delayed_work_init(&dw, noop_fn);
	bh_deferrable_work_init(&defer, noop_fn);
	assert_int_equal(dw.timer.flags & kind, BH_TIMER_IRQSAFE);
	assert_int_equal(defer.timer.flags & kind, kind);
	assert_int_equal(static_dw.timer.flags & kind, BH_TIMER_IRQSAFE);
	assert_int_equal(static_defer.timer.flags & kind, kind);
	assert_ptr_equal(dw.timer.function, bh__delayed_work_timer_fn);
	assert_ptr_equal(static_dw.timer.function, bh__delayed_work_timer_fn);
	assert_ptr_equal(dw.work.func, noop_fn);
	assert_false(bh_delayed_work_pending(&dw));
	assert_false(bh_delayed_work_pending(&static_dw));
	assert_int_equal(bh_work_busy(&dw.work), 0);
	assert_ptr_equal(bh_to_delayed_work(&dw.work), &dw);

	wqt_ditem_init(&da, bhwq);
	assert_true(bh_queue_delayed_work(bhwq, &da.dw, 1));
	assert_int_equal(bh_advance_jiffies(1), 0);
	assert_true(wqt_run_until(&da.finished, 1));
	assert_ptr_equal(da.self_seen, &da.dw);

	/* A static one works as it is. */
	assert_true(bh_queue_delayed_work(bhwq, &static_dw, 2));
	assert_true(bh_cancel_delayed_work_sync(&static_dw));
	teardown();
}

static unsigned long wake_runs;

static void wake_fn(struct bh_timer *t)
{
	(void)t;
	th_inc(&wake_runs);
}

/*
 * SPEC D1 (K8): deferrable delayed work does not wake an idle CPU: due,
 * it waits until that CPU serves timers for a non-deferrable one.
 */
static void test_d1_deferrable_waits_for_busy_cpu(void **state)
{
	(void)state;
	static struct bh_timer wake;

	setup(true);
	wqt_ditem_init(&da, bhwq);
	bh_deferrable_work_init(&da.dw, wqt_ditem_fn);
	bh_timer_setup(&wake, wake_fn, 0);
	wake_runs = 0;

	assert_true(bh_queue_delayed_work_on(0, bhwq, &da.dw, 2));
	assert_int_equal(bh_advance_jiffies(5), 0);
	assert_true(bh_run_all(0) >= 0);
	assert_int_equal(th_ld(&da.started), 0);
	assert_true(bh_delayed_work_pending(&da.dw));

	wake.expires = bh_jiffies() + 1;
	assert_int_equal(bh_add_timer_on(&wake, 0), 0);
	assert_int_equal(bh_advance_jiffies(1), 0);
	assert_true(bh_run_all(0) > 0);
	assert_int_equal(th_ld(&wake_runs), 1);
	assert_int_equal(th_ld(&da.finished), 1);
	teardown();
}

/*
 * SPEC D2: a delay of 0 queues at once, with no timer: the item is
 * queued (TASKLET_SOFTIRQ raised for a BH item) without a tick passing.
 */
static void test_d2_zero_delay_queues_now(void **state)
{
	(void)state;

	setup(true);
	wqt_ditem_init(&da, bhwq);
	wqt_ditem_init(&db, wq);
	unsigned long j = bh_jiffies();

	assert_true(bh_queue_delayed_work(bhwq, &da.dw, 0));
	assert_false(bh_timer_pending(&da.dw.timer));
	assert_true(bh_softirq_pending(0) & (1u << BH_TASKLET_SOFTIRQ));
	assert_true(bh_run_all(0) > 0);
	assert_int_equal(th_ld(&da.finished), 1);

	assert_true(bh_queue_delayed_work(wq, &db.dw, 0));
	assert_false(bh_timer_pending(&db.dw.timer));
	assert_true(wqt_run_until(&db.finished, 1));
	assert_int_equal(bh_jiffies(), j);
	assert_int_equal(db.jiffies_seen, j);
	teardown();
}

/*
 * SPEC D3: with d > 0 the timer is armed for jiffies + d and the item is
 * queued when it fires, not a tick earlier, on the workqueue and the CPU
 * given at queueing time; for BH and regular workqueues alike.
 */
static void test_d3_fires_exactly_at_deadline(void **state)
{
	(void)state;
	static const unsigned long delays[] = {1, 2, 3, 7, 31, 63};
	struct bh_wq_stats st0, st1;

	setup(true);
	wqt_ditem_init(&da, bhwq);
	wqt_ditem_init(&db, wq);
	for (size_t i = 0; i < sizeof(delays) / sizeof(delays[0]); i++) {
		check_fires_at(&da, -1, delays[i]);
		assert_int_equal(da.cpu_seen, 0);
		check_fires_at(&da, 1, delays[i]);
		assert_int_equal(da.cpu_seen, 1);
		check_fires_at(&db, -1, delays[i]);
	}

	/* The workqueue recorded at queueing time runs it. */
	assert_int_equal(bh_workqueue_get_stats(wq, &st0), 0);
	check_fires_at(&db, 1, 4);
	assert_int_equal(bh_workqueue_get_stats(wq, &st1), 0);
	assert_int_equal(st1.started, st0.started + 1);
	teardown();
}

/*
 * SPEC D4: queueing an item that is pending returns false and leaves an
 * armed timer as it was: a shorter delay does not advance it, a longer one
 * does not postpone it. Pending on the worklist, no timer is armed.
 */
static void test_d4_pending_leaves_timer_unchanged(void **state)
{
	(void)state;

	setup(true);
	wqt_ditem_init(&da, bhwq);
	unsigned long j = bh_jiffies();

	assert_true(bh_queue_delayed_work(bhwq, &da.dw, 10));
	assert_false(bh_queue_delayed_work(bhwq, &da.dw, 3));
	assert_false(bh_queue_delayed_work(bhwq, &da.dw, 20));
	assert_false(bh_queue_delayed_work(bhwq, &da.dw, 0));
	assert_false(bh_queue_work(bhwq, &da.dw.work)); /* W2 */
	assert_int_equal(da.dw.timer.expires, j + 10);
	assert_int_equal(bh_advance_jiffies(9), 0);
	assert_true(bh_run_all(0) >= 0);
	assert_int_equal(th_ld(&da.started), 0);
	assert_int_equal(bh_advance_jiffies(1), 0);
	assert_true(bh_run_all(0) > 0);
	assert_int_equal(th_ld(&da.finished), 1);
	assert_int_equal(da.jiffies_seen, j + 10);

	/* On the worklist already. */
	assert_true(bh_queue_delayed_work(bhwq, &da.dw, 0));
	assert_false(bh_queue_delayed_work(bhwq, &da.dw, 5));
	assert_false(bh_timer_pending(&da.dw.timer));
	assert_true(bh_run_all(0) > 0);
	assert_int_equal(th_ld(&da.finished), 2);
	assert_int_equal(da.jiffies_seen, j + 10);
	teardown();
}

/*
 * SPEC D5: delayed_work_pending is true while the timer is armed and while
 * the item is queued, and false once it runs (as seen by the callback).
 */
static void test_d5_pending_while_armed_or_queued(void **state)
{
	(void)state;

	setup(true);
	wqt_ditem_init(&da, bhwq);
	assert_true(bh_queue_delayed_work(bhwq, &da.dw, 2));
	assert_true(bh_delayed_work_pending(&da.dw));
	assert_true(bh_work_busy(&da.dw.work) & BH_WORK_BUSY_PENDING);
	assert_int_equal(bh_advance_jiffies(2), 0);
	assert_true(bh_run_all(0) > 0);
	assert_int_equal(th_ld(&da.finished), 1);
	assert_false(da.pending_seen);
	assert_false(bh_delayed_work_pending(&da.dw));

	assert_true(bh_queue_delayed_work(bhwq, &da.dw, 0));
	assert_true(bh_delayed_work_pending(&da.dw));
	assert_true(bh_run_all(0) > 0);
	assert_false(da.pending_seen);
	assert_false(bh_delayed_work_pending(&da.dw));
	teardown();
}

/*
 * SPEC D6: unbound, the timer goes on the queueing thread's CPU and the
 * item is queued on whichever CPU the timer fires on; _on(cpu) pins the
 * timer to that CPU and queues there.
 */
static void test_d6_cpu_placement(void **state)
{
	(void)state;

	setup(true);
	wqt_ditem_init(&da, bhwq);
	assert_int_equal(bh_thread_set_cpu(1), 0);
	assert_true(bh_queue_delayed_work(bhwq, &da.dw, 2));
	assert_int_equal(da.dw.timer.flags & BH_TIMER_CPUMASK, 1);
	assert_int_equal(bh_advance_jiffies(2), 0);
	assert_true(wqt_run_until(&da.finished, 1));
	assert_int_equal(da.cpu_seen, 1);

	assert_true(bh_queue_delayed_work_on(0, bhwq, &da.dw, 2));
	assert_int_equal(da.dw.timer.flags & BH_TIMER_CPUMASK, 0);
	assert_int_equal(bh_advance_jiffies(2), 0);
	assert_true(wqt_run_until(&da.finished, 2));
	assert_int_equal(da.cpu_seen, 0);
	teardown();
}

/*
 * SPEC D7: mod_delayed_work on an idle item queues it like
 * queue_delayed_work and returns false; on an armed one it re-arms it,
 * earlier or later, and returns true.
 */
static void test_d7_mod_delayed_work(void **state)
{
	(void)state;
	unsigned long j;

	setup(true);
	wqt_ditem_init(&da, bhwq);

	j = bh_jiffies();
	assert_false(bh_mod_delayed_work(bhwq, &da.dw, 5));
	assert_int_equal(da.dw.timer.expires, j + 5);
	assert_int_equal(bh_advance_jiffies(5), 0);
	assert_true(bh_run_all(0) > 0);
	assert_int_equal(th_ld(&da.finished), 1);
	assert_int_equal(da.jiffies_seen, j + 5);

	j = bh_jiffies(); /* earlier */
	assert_true(bh_queue_delayed_work(bhwq, &da.dw, 10));
	assert_true(bh_mod_delayed_work(bhwq, &da.dw, 3));
	assert_int_equal(bh_advance_jiffies(3), 0);
	assert_true(bh_run_all(0) > 0);
	assert_int_equal(th_ld(&da.finished), 2);
	assert_int_equal(da.jiffies_seen, j + 3);

	j = bh_jiffies(); /* later */
	assert_true(bh_queue_delayed_work(bhwq, &da.dw, 3));
	assert_true(bh_mod_delayed_work(bhwq, &da.dw, 10));
	assert_int_equal(bh_advance_jiffies(3), 0);
	assert_true(bh_run_all(0) >= 0);
	assert_int_equal(th_ld(&da.started), 2);
	assert_int_equal(bh_advance_jiffies(7), 0);
	assert_true(bh_run_all(0) > 0);
	assert_int_equal(th_ld(&da.finished), 3);
	assert_int_equal(da.jiffies_seen, j + 10);
	teardown();
}

/*
 * SPEC D7: running but not pending counts as idle: mod_delayed_work from
 * the item's own callback returns false and queues it again.
 */
static void test_d7_mod_while_running(void **state)
{
	(void)state;

	setup(true);
	wqt_ditem_init(&da, bhwq);
	da.rearm = 4;
	da.rearm_mod = true;
	unsigned long j = bh_jiffies();

	assert_true(bh_queue_delayed_work(bhwq, &da.dw, 1));
	assert_int_equal(bh_advance_jiffies(1), 0);
	assert_true(bh_run_all(0) > 0);
	assert_int_equal(th_ld(&da.finished), 1);
	th_st(&da.stop, 1);
	assert_int_equal(th_ld(&da.rearm_false), 1);
	assert_int_equal(th_ld(&da.rearm_true), 0);
	assert_int_equal(da.dw.timer.expires, j + 5);
	assert_int_equal(bh_advance_jiffies(3), 0);
	assert_true(bh_run_all(0) >= 0);
	assert_int_equal(th_ld(&da.started), 1);
	assert_int_equal(bh_advance_jiffies(1), 0);
	assert_true(bh_run_all(0) > 0);
	assert_int_equal(th_ld(&da.finished), 2);
	assert_int_equal(da.jiffies_seen, j + 5);
	teardown();
}

/*
 * SPEC D8: mod_delayed_work with 0 queues at once whatever the state:
 * armed (true, the timer is gone), idle (false), queued (true, one run).
 */
static void test_d8_mod_zero_queues_now(void **state)
{
	(void)state;

	setup(true);
	wqt_ditem_init(&da, bhwq);
	unsigned long j = bh_jiffies();

	assert_true(bh_queue_delayed_work(bhwq, &da.dw, 100));
	assert_true(bh_mod_delayed_work(bhwq, &da.dw, 0));
	assert_false(bh_timer_pending(&da.dw.timer));
	assert_true(bh_run_all(0) > 0);
	assert_int_equal(th_ld(&da.finished), 1);

	assert_false(bh_mod_delayed_work(bhwq, &da.dw, 0));
	assert_true(bh_run_all(0) > 0);
	assert_int_equal(th_ld(&da.finished), 2);

	assert_true(bh_queue_delayed_work(bhwq, &da.dw, 0));
	assert_true(bh_mod_delayed_work(bhwq, &da.dw, 0));
	assert_true(bh_run_all(0) > 0);
	assert_int_equal(th_ld(&da.finished), 3);
	assert_int_equal(bh_jiffies(), j);
	teardown();
}

/*
 * SPEC D9: mod_delayed_work postpones an item that was queued and waiting
 * to run: it leaves the worklist for a timer.
 */
static void test_d9_mod_postpones_queued_item(void **state)
{
	(void)state;

	setup(true);
	wqt_ditem_init(&da, bhwq);
	unsigned long j = bh_jiffies();

	assert_true(bh_queue_delayed_work(bhwq, &da.dw, 0));
	assert_true(bh_mod_delayed_work(bhwq, &da.dw, 5));
	assert_true(bh_timer_pending(&da.dw.timer));
	assert_true(bh_run_all(0) >= 0);
	assert_int_equal(th_ld(&da.started), 0);
	assert_int_equal(bh_advance_jiffies(4), 0);
	assert_true(bh_run_all(0) >= 0);
	assert_int_equal(th_ld(&da.started), 0);
	assert_int_equal(bh_advance_jiffies(1), 0);
	assert_true(bh_run_all(0) > 0);
	assert_int_equal(th_ld(&da.finished), 1);
	assert_int_equal(da.jiffies_seen, j + 5);
	assert_int_equal(bh_advance_jiffies(10), 0);
	assert_true(bh_run_all(0) >= 0);
	assert_int_equal(th_ld(&da.started), 1); /* once, not twice */
	teardown();
}

static unsigned long cancel_ret_true;
static struct bh_delayed_work *cancel_target;

static void cancel_from_timer(struct bh_timer *t)
{
	(void)t;
	if (bh_cancel_delayed_work(cancel_target))
		th_inc(&cancel_ret_true);
}

static void cancel_from_signal(int sig)
{
	int saved = errno;

	(void)sig;
	if (bh_cancel_delayed_work(cancel_target))
		th_inc(&cancel_ret_true);
	errno = saved;
}

/*
 * SPEC D10: cancel_delayed_work takes back a pending instance, on its
 * timer or already on the worklist (true), and never runs it; idle, it
 * returns false. It may be called from any context: here task, hardirq,
 * a timer callback (softirq) and a signal handler.
 */
static void test_d10_cancel_from_any_context(void **state)
{
	(void)state;
	static struct bh_timer t;

	setup(true);
	wqt_ditem_init(&da, bhwq);
	cancel_target = &da.dw;
	cancel_ret_true = 0;
	assert_false(bh_cancel_delayed_work(&da.dw));

	assert_true(bh_queue_delayed_work(bhwq, &da.dw, 3));
	assert_true(bh_cancel_delayed_work(&da.dw));
	assert_false(bh_timer_pending(&da.dw.timer));
	assert_false(bh_delayed_work_pending(&da.dw));

	assert_true(bh_queue_delayed_work(bhwq, &da.dw, 0)); /* worklist */
	assert_true(bh_cancel_delayed_work(&da.dw));

	assert_true(bh_queue_delayed_work(bhwq, &da.dw, 3));
	bh_irq_enter();
	bool r = bh_cancel_delayed_work(&da.dw);
	bh_irq_exit();
	assert_true(r);

	/* From a timer callback, due one tick before the item. */
	assert_true(bh_queue_delayed_work(bhwq, &da.dw, 3));
	bh_timer_setup(&t, cancel_from_timer, 0);
	assert_int_equal(bh_mod_timer(&t, bh_jiffies() + 2), 0);
	assert_int_equal(bh_advance_jiffies(2), 0);
	assert_true(bh_run_all(0) > 0);
	assert_int_equal(th_ld(&cancel_ret_true), 1);

	th_set_handler(SIGUSR1, cancel_from_signal);
	assert_true(bh_queue_delayed_work(bhwq, &da.dw, 3));
	assert_int_equal(raise(SIGUSR1), 0);
	th_set_handler(SIGUSR1, SIG_DFL);
	assert_int_equal(th_ld(&cancel_ret_true), 2);
	assert_false(bh_delayed_work_pending(&da.dw));

	assert_int_equal(bh_advance_jiffies(20), 0);
	assert_true(bh_run_all(0) >= 0);
	assert_int_equal(th_ld(&da.started), 0);
	teardown();
}

static bool do_cancel_delayed_work(void *dw)
{
	return bh_cancel_delayed_work(dw);
}

/* SPEC D10: cancel_delayed_work does not wait for a running callback. */
static void test_d10_cancel_does_not_wait(void **state)
{
	(void)state;
	struct wqt_call ca;

	setup(false);
	wqt_ditem_init(&da, wq);
	th_st(&da.held, 1);
	assert_true(bh_queue_delayed_work(wq, &da.dw, 0));
	assert_true(th_wait_ge(&da.started, 1));
	wqt_call_start(&ca, do_cancel_delayed_work, &da.dw);
	assert_false(wqt_call_join(&ca));
	assert_int_equal(th_ld(&da.finished), 0);
	bh_complete(&da.go);
	bh_flush_delayed_work(&da.dw);
	assert_int_equal(th_ld(&da.finished), 1);
	assert_int_equal(th_ld(&da.timeouts), 0);
	teardown();
}

/*
 * SPEC D11: cancel_delayed_work_sync stops an item that re-arms itself:
 * on return it is idle, its timer is not armed, nothing runs it later.
 */
static void test_d11_cancel_sync_self_rearming(void **state)
{
	(void)state;
	struct bh_config cfg;

	th_log_clear();
	th_config(&cfg, 2, false);
	cfg.hz = 1000; /* re-arming every tick: a run per millisecond */
	assert_int_equal(bh_init(&cfg), 0);
	wq = bh_alloc_workqueue("dwork", BH_WQ_PERCPU, 0);
	bhwq = bh_alloc_workqueue("dwork_bh", BH_WQ_BH, 0);
	wqt_ditem_init(&da, wq);
	wqt_ditem_init(&db, bhwq);
	da.rearm = db.rearm = 1;
	assert_true(bh_queue_delayed_work(wq, &da.dw, 1));
	assert_true(bh_queue_delayed_work(bhwq, &db.dw, 1));
	assert_true(th_wait_ge(&da.finished, 5));
	assert_true(th_wait_ge(&db.finished, 5));

	for (int k = 0; k < 2; k++) {
		struct wqt_ditem *it = k ? &db : &da;

		bh_cancel_delayed_work_sync(&it->dw);
		unsigned long runs = th_ld(&it->started);
		assert_int_equal(th_ld(&it->finished), runs);
		assert_false(bh_delayed_work_pending(&it->dw));
		assert_false(bh_timer_pending(&it->dw.timer));
		assert_int_equal(bh_work_busy(&it->dw.work), 0);
		bh_flush_workqueue(it->wq);
		assert_int_equal(th_ld(&it->started), runs);
		/* Only a run that overlapped the call saw its re-arm fail. */
		assert_true(th_ld(&it->rearm_false) <= 1);
	}
	teardown();
}

/*
 * SPEC D11 (with C11), one interleaving made exact: while
 * cancel_delayed_work_sync waits for the running callback, the callback's
 * re-arm fails (false) and arms no timer; afterwards the item can be
 * queued again.
 */
static void test_d11_rearm_fails_during_cancel_sync(void **state)
{
	(void)state;
	struct wqt_call ca;

	setup(false);
	wqt_ditem_init(&da, wq);
	da.rearm = 1;
	th_st(&da.held, 1);
	assert_true(bh_queue_delayed_work(wq, &da.dw, 0));
	assert_true(th_wait_ge(&da.started, 1));

	wqt_call_start(&ca, wqt_cancel_delayed_work_sync, &da.dw);
	/* The call's disable is seen, not inferred from its sleep: it is
	 * what makes the queueing below and the callback's re-arm fail. */
	assert_true(wqt_wait_disabled(&da.dw.work, 1));
	wqt_call_assert_asleep(&ca);
	assert_false(bh_queue_delayed_work(wq, &da.dw, 1));
	bh_complete(&da.go);
	assert_false(wqt_call_join(&ca));
	assert_int_equal(th_ld(&da.rearm_false), 1);
	assert_int_equal(th_ld(&da.rearm_true), 0);
	assert_false(bh_timer_pending(&da.dw.timer));
	assert_false(bh_delayed_work_pending(&da.dw));

	th_st(&da.held, 0);
	th_st(&da.stop, 1);
	assert_true(bh_queue_delayed_work(wq, &da.dw, 0));
	bh_flush_delayed_work(&da.dw);
	assert_int_equal(th_ld(&da.finished), 2);
	assert_int_equal(th_ld(&da.timeouts), 0);
	teardown();
}

/*
 * SPEC D12: flush_delayed_work fires an armed timer now, queueing the item
 * on the recorded workqueue and CPU, and waits for it. The virtual clock
 * never moves here, so the item ran long before its expiry. Idle: false.
 * (Armed, it returns what flush_work returns: true, or false if the run
 * was over before flush_work looked, as in the kernel.) The flush runs in a
 * thread of its own while this one runs softirqs, which is what a BH item needs
 * in deterministic mode.
 */
static void test_d12_flush_delayed_fires_timer_now(void **state)
{
	(void)state;
	struct wqt_call fl;

	setup(true);
	wqt_ditem_init(&da, wq);
	wqt_ditem_init(&db, bhwq);
	unsigned long j = bh_jiffies();
	assert_false(bh_flush_delayed_work(&da.dw));

	assert_true(bh_queue_delayed_work_on(1, wq, &da.dw, 100000));
	wqt_call_start(&fl, wqt_flush_delayed_work, &da.dw);
	assert_true(wqt_run_until(&fl.done, 1));
	wqt_call_join(&fl); /* true, unless the run ended before it looked */
	assert_int_equal(th_ld(&da.finished), 1);
	assert_int_equal(da.jiffies_seen, j);
	assert_false(bh_timer_pending(&da.dw.timer));
	assert_false(bh_delayed_work_pending(&da.dw));

	assert_true(bh_queue_delayed_work_on(1, bhwq, &db.dw, 100000));
	wqt_call_start(&fl, wqt_flush_delayed_work, &db.dw);
	assert_true(wqt_run_until(&fl.done, 1));
	wqt_call_join(&fl);
	assert_int_equal(th_ld(&db.finished), 1);
	assert_int_equal(db.cpu_seen, 1);
	assert_int_equal(db.jiffies_seen, j);
	assert_false(bh_timer_pending(&db.dw.timer));

	assert_false(bh_flush_delayed_work(&db.dw));
	assert_int_equal(bh_jiffies(), j);
	teardown();
}

/*
 * SPEC D13: queue_delayed_work_on with a delay and a CPU that is not
 * online (here one past the last bh CPU) warns, once.
 */
static void test_d13_offline_cpu_warns_once(void **state)
{
	(void)state;
	int off = 2; /* of 2 bh CPUs */

	setup(true);
	wqt_ditem_init(&da, wq);
	wqt_ditem_init(&db, wq);
	assert_int_equal(bh_nr_cpus(), 2);

	assert_true(bh_queue_delayed_work_on(1, wq, &da.dw, 5));
	assert_true(bh_cancel_delayed_work_sync(&da.dw));
	assert_int_equal(bh_warn_count(), 0);

	bh_queue_delayed_work_on(off, wq, &da.dw, 5);
	assert_int_equal(bh_warn_count(), 1);
	bh_queue_delayed_work_on(off, wq, &db.dw, 5);
	assert_int_equal(bh_warn_count(), 1);

	/* Whatever became of them, they are cancelled cleanly. */
	bh_cancel_delayed_work_sync(&da.dw);
	bh_cancel_delayed_work_sync(&db.dw);
	assert_false(bh_delayed_work_pending(&da.dw));
	assert_false(bh_delayed_work_pending(&db.dw));
	assert_int_equal(bh_advance_jiffies(10), 0);
	assert_true(bh_run_all(0) >= 0);
	bh_destroy_workqueue(bhwq);
	bh_destroy_workqueue(wq);
	wq = bhwq = NULL;
	assert_int_equal(bh_warn_count(), 1);
	th_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_d1_init, th_teardown),
		cmocka_unit_test_teardown(test_d1_deferrable_waits_for_busy_cpu,
					  th_teardown),
		cmocka_unit_test_teardown(test_d2_zero_delay_queues_now,
					  th_teardown),
		cmocka_unit_test_teardown(test_d3_fires_exactly_at_deadline,
					  th_teardown),
		cmocka_unit_test_teardown(
			test_d4_pending_leaves_timer_unchanged, th_teardown),
		cmocka_unit_test_teardown(test_d5_pending_while_armed_or_queued,
					  th_teardown),
		cmocka_unit_test_teardown(test_d6_cpu_placement, th_teardown),
		cmocka_unit_test_teardown(test_d7_mod_delayed_work,
					  th_teardown),
		cmocka_unit_test_teardown(test_d7_mod_while_running,
					  th_teardown),
		cmocka_unit_test_teardown(test_d8_mod_zero_queues_now,
					  th_teardown),
		cmocka_unit_test_teardown(test_d9_mod_postpones_queued_item,
					  th_teardown),
		cmocka_unit_test_teardown(test_d10_cancel_from_any_context,
					  th_teardown),
		cmocka_unit_test_teardown(test_d10_cancel_does_not_wait,
					  th_teardown),
		cmocka_unit_test_teardown(test_d11_cancel_sync_self_rearming,
					  th_teardown),
		cmocka_unit_test_teardown(
			test_d11_rearm_fails_during_cancel_sync, th_teardown),
		cmocka_unit_test_teardown(
			test_d12_flush_delayed_fires_timer_now, th_teardown),
		cmocka_unit_test_teardown(test_d13_offline_cpu_warns_once,
					  th_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
