/* SPDX-License-Identifier: MIT */
/*
 * destroy_workqueue, cancel_work and cancel_work_sync (SPEC C7, C9-C14).
 *
 * Where only the state machine matters the tests run in deterministic
 * mode on a BH workqueue: its items run only when the test runs softirqs,
 * so "pending and not started" is a state the test holds, not a race it
 * hopes to win. Waiting is tested in threaded mode with held callbacks
 * (wq_harness.h): the assertions are about order, never about time.
 */
#include "wq_harness.h"

static struct bh_workqueue *wq;
static struct wqt_item a, b, c;

static void setup_wq(bool deterministic, unsigned int flags, int max_active)
{
	th_init(2, deterministic);
	assert_int_equal(bh_thread_set_cpu(0), 0);
	wq = bh_alloc_workqueue("wqcancel", flags, max_active);
	assert_non_null(wq);
}

static void teardown_wq(void)
{
	bh_destroy_workqueue(wq);
	wq = NULL;
	wqt_assert_no_warnings();
	th_shutdown();
}

#define NQ 8
static struct wqt_item q[NQ];

/*
 * SPEC C7: destroy_workqueue drains: every queued item runs, those held
 * back by max_active and those queued by chained queueing included,
 * before it returns.
 */
static void test_c7_destroy_runs_all_queued_work(void **state)
{
	(void)state;
	struct wqt_call de;

	setup_wq(false, BH_WQ_PERCPU, 1);
	for (int i = 0; i < NQ; i++)
		wqt_item_init(&q[i], wq);
	q[NQ - 1].chain_left = 5;
	wqt_start_held(&q[0], 0);
	for (int i = 1; i < NQ; i++)
		assert_true(bh_queue_work_on(0, wq, &q[i].w));

	wqt_call_start(&de, wqt_destroy_workqueue, wq);
	wqt_call_assert_asleep(&de);
	bh_complete(&q[0].go);
	wqt_call_join(&de);
	wq = NULL;
	for (int i = 0; i < NQ - 1; i++)
		assert_int_equal(th_ld(&q[i].finished), 1);
	assert_int_equal(th_ld(&q[NQ - 1].finished), 6);
	assert_int_equal(th_ld(&q[NQ - 1].requeue_false), 0);
	assert_int_equal(th_ld(&q[0].timeouts), 0);
	wqt_assert_no_warnings();
	th_shutdown();
}

static unsigned long dw_runs;

static void count_dw_fn(struct bh_work *w)
{
	(void)w;
	th_inc(&dw_runs);
}

/*
 * SPEC C7 (and D14): an item still on its delayed-work timer is not run by
 * destroy_workqueue. The kernel leaves it to fire into freed memory; the
 * header documents that libbh warns and cancels it instead.
 */
static void test_c7_destroy_with_armed_delayed_work(void **state)
{
	(void)state;
	static struct bh_delayed_work dw;

	setup_wq(true, BH_WQ_PERCPU, 0);
	dw_runs = 0;
	bh_delayed_work_init(&dw, count_dw_fn);
	assert_true(bh_queue_delayed_work(wq, &dw, 100));
	bh_destroy_workqueue(wq);
	wq = NULL;
	assert_int_equal(bh_warn_count(), 1);
	assert_false(bh_delayed_work_pending(&dw));
	assert_false(bh_timer_pending(&dw.timer));
	assert_int_equal(bh_advance_jiffies(200), 0);
	assert_true(bh_run_all(0) >= 0);
	assert_int_equal(th_ld(&dw_runs), 0);
	th_shutdown();
}

/*
 * SPEC C9: cancel_work removes a pending instance and says so; the item
 * then never runs. On an idle item it returns false. Deterministic, on a
 * BH workqueue: the item is pending until the test runs softirqs.
 */
static void test_c9_cancel_pending(void **state)
{
	(void)state;

	setup_wq(true, BH_WQ_BH, 0);
	wqt_item_init(&a, wq);
	assert_false(bh_cancel_work(&a.w));

	assert_true(bh_queue_work(wq, &a.w));
	assert_true(bh_work_pending(&a.w));
	assert_true(bh_cancel_work(&a.w));
	assert_false(bh_work_pending(&a.w));
	assert_false(bh_cancel_work(&a.w));
	assert_true(bh_run_all(0) >= 0);
	assert_int_equal(th_ld(&a.started), 0);

	/* Cancelled items can be queued again, and then run once. */
	assert_true(bh_queue_work(wq, &a.w));
	assert_true(bh_run_all(0) > 0);
	assert_int_equal(th_ld(&a.finished), 1);
	assert_false(bh_cancel_work(&a.w));
	teardown_wq();
}

/*
 * SPEC C9 on a regular workqueue: an item held back by max_active (on
 * the pwq's inactive list) is cancelled as well.
 */
static void test_c9_cancel_inactive(void **state)
{
	(void)state;

	setup_wq(false, BH_WQ_PERCPU, 1);
	wqt_item_init(&a, wq);
	wqt_item_init(&b, wq);
	wqt_item_init(&c, wq);
	wqt_start_held(&a, 0);
	assert_true(bh_queue_work_on(0, wq, &b.w));
	assert_true(bh_queue_work_on(0, wq, &c.w));
	assert_true(bh_cancel_work(&b.w));
	assert_false(bh_work_pending(&b.w));

	bh_complete(&a.go);
	bh_flush_workqueue(wq);
	assert_int_equal(th_ld(&b.started), 0);
	assert_int_equal(th_ld(&c.finished), 1); /* the one behind it ran */
	assert_int_equal(th_ld(&a.timeouts), 0);
	teardown_wq();
}

static bool do_cancel_work(void *w)
{
	return bh_cancel_work(w);
}

/*
 * SPEC C9: cancel_work does not wait for a running callback. Running and
 * not pending: false. Running and pending again: true, and only the
 * pending instance is gone; the running one goes on.
 */
static void test_c9_cancel_does_not_wait(void **state)
{
	(void)state;
	struct wqt_call ca;

	setup_wq(false, BH_WQ_PERCPU, 0);
	wqt_item_init(&a, wq);
	wqt_start_held(&a, 0);

	wqt_call_start(&ca, do_cancel_work, &a.w);
	assert_false(wqt_call_join(&ca)); /* returned while a holds */
	assert_true(bh_work_busy(&a.w) & BH_WORK_BUSY_RUNNING);

	assert_true(bh_queue_work(wq, &a.w));
	wqt_call_start(&ca, do_cancel_work, &a.w);
	assert_true(wqt_call_join(&ca));
	assert_int_equal(bh_work_busy(&a.w), BH_WORK_BUSY_RUNNING);
	assert_int_equal(th_ld(&a.finished), 0);

	bh_complete(&a.go);
	bh_flush_workqueue(wq);
	assert_int_equal(th_ld(&a.started), 1);
	assert_int_equal(th_ld(&a.timeouts), 0);
	teardown_wq();
}

/*
 * SPEC C10: cancel_work_sync waits for the running callback; on return
 * the item is neither pending nor running. It was not pending: false.
 */
static void test_c10_cancel_sync_waits_for_running(void **state)
{
	(void)state;
	struct wqt_call ca;

	setup_wq(false, BH_WQ_PERCPU, 0);
	wqt_item_init(&a, wq);
	wqt_start_held(&a, 0);

	wqt_call_start(&ca, wqt_cancel_work_sync, &a.w);
	/* It has taken the item: asleep now means waiting for the run. */
	assert_true(wqt_wait_disabled(&a.w, 1));
	wqt_call_assert_asleep(&ca);
	bh_complete(&a.go);
	assert_false(wqt_call_join(&ca));
	assert_int_equal(th_ld(&a.finished), 1);
	assert_int_equal(bh_work_busy(&a.w), 0);
	assert_int_equal(th_ld(&a.timeouts), 0);
	teardown_wq();
}

/*
 * SPEC C10: running and pending: cancel_work_sync removes the pending
 * instance (true) and waits for the running one, which stays the only run.
 */
static void test_c10_cancel_sync_running_and_pending(void **state)
{
	(void)state;
	struct wqt_call ca;

	setup_wq(false, BH_WQ_PERCPU, 0);
	wqt_item_init(&a, wq);
	wqt_start_held(&a, 0);
	assert_true(bh_queue_work(wq, &a.w));

	wqt_call_start(&ca, wqt_cancel_work_sync, &a.w);
	wqt_call_assert_asleep(&ca);
	assert_true(wqt_wait_not_pending(&a.w));
	assert_int_equal(th_ld(&ca.done), 0); /* still waiting for the run */
	bh_complete(&a.go);
	assert_true(wqt_call_join(&ca));
	assert_int_equal(th_ld(&a.finished), 1);
	assert_int_equal(bh_work_busy(&a.w), 0);
	bh_flush_workqueue(wq);
	assert_int_equal(th_ld(&a.started), 1);
	assert_int_equal(th_ld(&a.timeouts), 0);
	teardown_wq();
}

/* An item that re-queues itself on every run until told to stop. */
static struct wqt_item looper;
static unsigned long loop_stop;

static void looper_fn(struct bh_work *w)
{
	struct wqt_item *it = bh_from_work(it, w, w);

	th_inc(&it->started);
	if (th_ld(&it->held) &&
	    !bh_wait_for_completion_timeout(&it->go,
					    bh_msecs_to_jiffies(WQT_GATE_MS)))
		th_inc(&it->timeouts);
	if (!th_ld(&loop_stop) && !bh_queue_work(it->wq, w))
		th_inc(&it->requeue_false);
	th_inc(&it->finished);
}

/*
 * SPEC C11: cancel_work_sync stops an item that re-queues itself without
 * end: on return it is idle, and nothing runs it afterwards.
 */
static void test_c11_cancel_sync_stops_self_requeueing(void **state)
{
	(void)state;

	setup_wq(false, BH_WQ_PERCPU, 0);
	wqt_item_init(&looper, wq);
	bh_work_init(&looper.w, looper_fn);
	loop_stop = 0;
	assert_true(bh_queue_work(wq, &looper.w));
	assert_true(th_wait_ge(&looper.started, 50));

	bh_cancel_work_sync(&looper.w);
	unsigned long runs = th_ld(&looper.started);
	assert_int_equal(bh_work_busy(&looper.w), 0);
	assert_int_equal(th_ld(&looper.finished), runs);
	bh_flush_workqueue(wq);
	assert_int_equal(th_ld(&looper.started), runs);
	assert_false(bh_work_pending(&looper.w));

	/* Enabled again on return (6.10+: the disable is undone). */
	th_st(&loop_stop, 1);
	assert_true(bh_queue_work(wq, &looper.w));
	bh_flush_workqueue(wq);
	assert_int_equal(th_ld(&looper.started), runs + 1);
	teardown_wq();
}

/*
 * SPEC C11, one interleaving made exact: while cancel_work_sync waits for
 * the running callback, the item is disabled: a queue_work from outside
 * and the callback's own re-queue both fail and return false.
 */
static void test_c11_requeue_fails_during_cancel_sync(void **state)
{
	(void)state;
	struct wqt_call ca;

	setup_wq(false, BH_WQ_PERCPU, 0);
	wqt_item_init(&looper, wq);
	bh_work_init(&looper.w, looper_fn);
	loop_stop = 0;
	wqt_start_held(&looper, 0);

	wqt_call_start(&ca, wqt_cancel_work_sync, &looper.w);
	/* The call's disable is seen, not inferred from its sleep. */
	assert_true(wqt_wait_disabled(&looper.w, 1));
	wqt_call_assert_asleep(&ca);
	assert_false(bh_queue_work(wq, &looper.w));
	assert_false(bh_work_pending(&looper.w));
	bh_complete(&looper.go);
	assert_false(wqt_call_join(&ca)); /* running, not pending, at call */
	assert_int_equal(th_ld(&looper.requeue_false), 1);
	assert_int_equal(th_ld(&looper.finished), 1);
	assert_int_equal(bh_work_busy(&looper.w), 0);

	th_st(&looper.held, 0);
	th_st(&loop_stop, 1);
	assert_true(bh_queue_work(wq, &looper.w));
	bh_flush_workqueue(wq);
	assert_int_equal(th_ld(&looper.finished), 2);
	assert_int_equal(th_ld(&looper.timeouts), 0);
	teardown_wq();
}

/* SPEC C12: cancel_work_sync on an item never queued returns false. */
static void test_c12_cancel_sync_never_queued(void **state)
{
	(void)state;
	static struct bh_work w;
	static BH_DECLARE_WORK(sw, count_dw_fn);

	setup_wq(false, BH_WQ_PERCPU, 0);
	bh_work_init(&w, count_dw_fn);
	assert_false(bh_cancel_work_sync(&w));
	assert_false(bh_cancel_work_sync(&sw));
	assert_false(bh_cancel_work(&w));
	assert_int_equal(bh_work_busy(&w), 0);
	/* And it stays usable. */
	assert_true(bh_queue_work(wq, &w));
	bh_flush_workqueue(wq);
	assert_false(bh_work_busy(&w));
	teardown_wq();
}

#define NCANCEL 4

/*
 * SPEC C12: several threads cancel_work_sync the same item at once. It
 * runs and is pending again: exactly one caller takes the pending
 * instance (true), all wait for the running one, and afterwards the item
 * is enabled again (the disables of the calls balance).
 */
static void test_c12_concurrent_cancel_sync(void **state)
{
	(void)state;
	struct wqt_call ca[NCANCEL];
	int trues = 0;

	setup_wq(false, BH_WQ_PERCPU, 0);
	wqt_item_init(&a, wq);
	wqt_start_held(&a, 0);
	assert_true(bh_queue_work(wq, &a.w));

	for (int i = 0; i < NCANCEL; i++)
		wqt_call_start(&ca[i], wqt_cancel_work_sync, &a.w);
	/*
	 * Every call has taken the item (one of them its pending instance)
	 * and disabled it before the run is let go: else the pending
	 * instance could run, held, and no call return true.
	 */
	assert_true(wqt_wait_disabled(&a.w, NCANCEL));
	for (int i = 0; i < NCANCEL; i++)
		wqt_call_assert_asleep(&ca[i]);
	bh_complete(&a.go);
	for (int i = 0; i < NCANCEL; i++)
		trues += wqt_call_join(&ca[i]);
	assert_int_equal(trues, 1);
	assert_int_equal(th_ld(&a.finished), 1);
	assert_int_equal(bh_work_busy(&a.w), 0);

	th_st(&a.held, 0);
	assert_true(bh_queue_work(wq, &a.w));
	bh_flush_workqueue(wq);
	assert_int_equal(th_ld(&a.finished), 2);
	assert_int_equal(th_ld(&a.timeouts), 0);
	teardown_wq();
}

#define NSTRESS	     3
#define STRESS_ITERS (TH_TSAN ? 5000ul : 50000ul)

static unsigned long stress_true, stress_done;

static void *cancel_sync_loop(void *arg)
{
	(void)arg;
	for (unsigned long i = 0; i < STRESS_ITERS; i++)
		if (bh_cancel_work_sync(&a.w))
			th_inc(&stress_true);
	th_inc(&stress_done);
	return NULL;
}

/*
 * SPEC C12: many threads cancel_work_sync one item over and over while
 * this one keeps queueing it: no call trips over another's (no warning),
 * and at the end, once quiet, the item is idle and every queueing that
 * returned true was either run or cancelled exactly once.
 */
static void test_c12_cancel_sync_callers_stress(void **state)
{
	(void)state;
	pthread_t th[NSTRESS];
	unsigned long queued = 0;

	setup_wq(false, BH_WQ_PERCPU, 0);
	wqt_item_init(&a, wq);
	stress_true = stress_done = 0;
	for (int i = 0; i < NSTRESS; i++)
		assert_int_equal(
			pthread_create(&th[i], NULL, cancel_sync_loop, NULL),
			0);
	while (th_ld(&stress_done) < NSTRESS)
		queued += bh_queue_work(wq, &a.w);
	for (int i = 0; i < NSTRESS; i++)
		assert_true(th_join(th[i]));
	if (bh_cancel_work_sync(&a.w))
		th_inc(&stress_true);
	assert_int_equal(bh_work_busy(&a.w), 0);
	assert_int_equal(th_ld(&a.started) + th_ld(&stress_true), queued);
	teardown_wq();
}

static struct wqt_spin spin;
static unsigned long calling, saw_call;

/*
 * Lets the spinning callback go once the call has taken the item (it is
 * disabled while the call busy-waits), seen on the item rather than hoped
 * for after some yields, which a loaded machine can stretch past the
 * callback's bound. Releases even on timeout, so nothing hangs; the test
 * checks saw_call.
 */
static void *releaser(void *arg)
{
	(void)arg;
	th_wait_ge(&calling, 1);
	if (wqt_wait_disabled(&spin.w, 1))
		th_st(&saw_call, 1);
	th_st(&spin.release, 1);
	return NULL;
}

/*
 * SPEC C13: an item last queued on a BH workqueue may be cancel_work_sync'd
 * from atomic context (here a bh-disabled section): the call busy-waits
 * for the running callback instead of sleeping, so no might_sleep splat.
 */
static void test_c13_bh_cancel_sync_from_atomic(void **state)
{
	(void)state;
	pthread_t rel;

	setup_wq(false, BH_WQ_BH, 0);
	wqt_spin_init(&spin);
	calling = saw_call = 0;
	assert_true(bh_queue_work(wq, &spin.w)); /* ksoftirqd/0 runs it */
	assert_true(th_wait_ge(&spin.started, 1));
	assert_int_equal(bh_thread_set_cpu(1), 0);
	assert_int_equal(pthread_create(&rel, NULL, releaser, NULL), 0);

	bh_local_bh_disable();
	th_st(&calling, 1);
	bool r = bh_cancel_work_sync(&spin.w);
	unsigned long fin = th_ld(&spin.finished);
	bh_local_bh_enable();
	assert_true(th_join(rel));
	assert_int_equal(th_ld(&saw_call), 1);
	assert_false(r);
	assert_int_equal(fin, 1);
	assert_int_equal(bh_work_busy(&spin.w), 0);
	assert_false(th_log_has("sleeping function called"));
	assert_int_equal(th_ld(&spin.timeouts), 0);

	/* The same with disable_work_sync (X4 shares the path). */
	wqt_spin_init(&spin);
	assert_int_equal(bh_thread_set_cpu(0), 0);
	assert_true(bh_queue_work(wq, &spin.w));
	assert_true(th_wait_ge(&spin.started, 1));
	assert_int_equal(bh_thread_set_cpu(1), 0);
	calling = saw_call = 0;
	assert_int_equal(pthread_create(&rel, NULL, releaser, NULL), 0);
	bh_local_bh_disable();
	th_st(&calling, 1);
	r = bh_disable_work_sync(&spin.w);
	fin = th_ld(&spin.finished);
	bh_local_bh_enable();
	assert_true(th_join(rel));
	assert_int_equal(th_ld(&saw_call), 1);
	assert_false(r);
	assert_int_equal(fin, 1);
	assert_true(bh_enable_work(&spin.w));
	teardown_wq();
}

/*
 * SPEC C13: from hardirq context cancel_work_sync of a BH item warns; of
 * a regular item (which may sleep) it reports a might_sleep splat (U8),
 * as it does from any atomic context.
 */
static void test_c13_cancel_sync_context_checks(void **state)
{
	(void)state;
	static struct bh_workqueue *bhwq;

	setup_wq(true, BH_WQ_PERCPU, 0);
	bhwq = bh_alloc_workqueue("wqcancel_bh", BH_WQ_BH, 0);
	assert_non_null(bhwq);
	wqt_item_init(&a, bhwq);
	wqt_item_init(&b, wq);
	assert_true(bh_queue_work(bhwq, &a.w));
	assert_true(wqt_run_until(&a.finished, 1)); /* last queued on BH */

	bh_irq_enter();
	assert_false(bh_cancel_work_sync(&a.w));
	bh_irq_exit();
	assert_int_equal(bh_warn_count(), 1);

	th_log_clear();
	bh_local_bh_disable();
	assert_false(bh_cancel_work_sync(&b.w)); /* idle: nothing to wait */
	bh_local_bh_enable();
	assert_true(th_log_has("sleeping function called from invalid "
			       "context"));

	bh_destroy_workqueue(bhwq);
	bh_destroy_workqueue(wq);
	wq = NULL;
	th_shutdown();
}

static struct bh_delayed_work dwa;

/*
 * SPEC C14: for delayed work, cancel_delayed_work_sync is the call: it
 * removes the armed timer as well (cancel_work_sync on &dw->work cannot,
 * and is not pinned here: the kernel spins until the timer fires).
 */
static void test_c14_delayed_work_uses_cancel_delayed_work_sync(void **state)
{
	(void)state;

	setup_wq(true, BH_WQ_BH, 0);
	dw_runs = 0;
	bh_delayed_work_init(&dwa, count_dw_fn);
	assert_true(bh_queue_delayed_work(wq, &dwa, 10));
	assert_true(bh_timer_pending(&dwa.timer));
	assert_true(bh_cancel_delayed_work_sync(&dwa));
	assert_false(bh_timer_pending(&dwa.timer));
	assert_false(bh_delayed_work_pending(&dwa));
	assert_int_equal(bh_advance_jiffies(20), 0);
	assert_true(bh_run_all(0) >= 0);
	assert_int_equal(th_ld(&dw_runs), 0);
	assert_false(bh_cancel_delayed_work_sync(&dwa));
	teardown_wq();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_c7_destroy_runs_all_queued_work,
					  th_teardown),
		cmocka_unit_test_teardown(
			test_c7_destroy_with_armed_delayed_work, th_teardown),
		cmocka_unit_test_teardown(test_c9_cancel_pending, th_teardown),
		cmocka_unit_test_teardown(test_c9_cancel_inactive, th_teardown),
		cmocka_unit_test_teardown(test_c9_cancel_does_not_wait,
					  th_teardown),
		cmocka_unit_test_teardown(
			test_c10_cancel_sync_waits_for_running, th_teardown),
		cmocka_unit_test_teardown(
			test_c10_cancel_sync_running_and_pending, th_teardown),
		cmocka_unit_test_teardown(
			test_c11_cancel_sync_stops_self_requeueing,
			th_teardown),
		cmocka_unit_test_teardown(
			test_c11_requeue_fails_during_cancel_sync, th_teardown),
		cmocka_unit_test_teardown(test_c12_cancel_sync_never_queued,
					  th_teardown),
		cmocka_unit_test_teardown(test_c12_concurrent_cancel_sync,
					  th_teardown),
		cmocka_unit_test_teardown(test_c12_cancel_sync_callers_stress,
					  th_teardown),
		cmocka_unit_test_teardown(test_c13_bh_cancel_sync_from_atomic,
					  th_teardown),
		cmocka_unit_test_teardown(test_c13_cancel_sync_context_checks,
					  th_teardown),
		cmocka_unit_test_teardown(
			test_c14_delayed_work_uses_cancel_delayed_work_sync,
			th_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
