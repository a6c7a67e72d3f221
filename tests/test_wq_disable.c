/* SPDX-License-Identifier: MIT */
/*
 * disable_work, enable_work and their delayed and _sync forms (SPEC
 * X1-X6).
 *
 * The state machine is tested in deterministic mode on a BH workqueue,
 * whose items run only when the test runs softirqs: "pending", "did not
 * run" and "fires at jiffy J" are then exact. The _sync waits are tested
 * in threaded mode with held callbacks (wq_harness.h).
 */
#include "wq_harness.h"

#define DISABLE_MAX 65535u /* X5: a 16-bit depth */

static struct bh_workqueue *wq;
static struct wqt_item a;
static struct wqt_ditem da;

static void setup_wq(bool deterministic, unsigned int flags)
{
	th_init(2, deterministic);
	assert_int_equal(bh_thread_set_cpu(0), 0);
	wq = bh_alloc_workqueue("wqdisable", flags, 0);
	assert_non_null(wq);
}

static void teardown_wq(void)
{
	bh_destroy_workqueue(wq);
	wq = NULL;
	wqt_assert_no_warnings();
	th_shutdown();
}

/* Runs softirqs until quiet; the item ran exactly `runs` times so far. */
static void assert_runs(const struct wqt_item *it, unsigned long runs)
{
	assert_true(bh_run_all(0) >= 0);
	assert_int_equal(th_ld(&it->finished), runs);
}

/*
 * SPEC X1: disable_work cancels a pending instance and returns true;
 * on an idle item it returns false. Either way the depth goes up.
 */
static void test_x1_disable_cancels_pending(void **state)
{
	(void)state;

	setup_wq(true, BH_WQ_BH);
	wqt_item_init(&a, wq);
	assert_false(bh_disable_work(&a.w));
	assert_false(bh_queue_work(wq, &a.w)); /* depth 1 */
	assert_true(bh_enable_work(&a.w));

	assert_true(bh_queue_work(wq, &a.w));
	assert_true(bh_disable_work(&a.w));
	assert_false(bh_work_pending(&a.w));
	assert_runs(&a, 0);
	assert_true(bh_enable_work(&a.w));
	assert_false(bh_work_pending(&a.w)); /* X3: enabling never queues */
	assert_runs(&a, 0);
	teardown_wq();
}

/* SPEC X1: from hardirq context, disable_work works and does not warn. */
static void test_x1_disable_from_hardirq(void **state)
{
	(void)state;

	setup_wq(true, BH_WQ_BH);
	wqt_item_init(&a, wq);
	assert_true(bh_queue_work(wq, &a.w));
	bh_irq_enter();
	bool r = bh_disable_work(&a.w);
	bool q = bh_queue_work(wq, &a.w);
	bh_irq_exit();
	assert_true(r);
	assert_false(q);
	assert_runs(&a, 0);
	assert_true(bh_enable_work(&a.w));
	teardown_wq();
}

static bool do_disable_work(void *w)
{
	return bh_disable_work(w);
}

/*
 * SPEC X1: disable_work does not wait for a running callback (threaded:
 * the callback holds while disable_work returns).
 */
static void test_x1_disable_does_not_wait(void **state)
{
	(void)state;
	struct wqt_call ca;

	setup_wq(false, BH_WQ_PERCPU);
	wqt_item_init(&a, wq);
	wqt_start_held(&a, 0);
	wqt_call_start(&ca, do_disable_work, &a.w);
	assert_false(wqt_call_join(&ca));
	assert_true(bh_work_busy(&a.w) & BH_WORK_BUSY_RUNNING);
	assert_int_equal(th_ld(&a.finished), 0);
	bh_complete(&a.go);
	bh_flush_work(&a.w);
	assert_int_equal(th_ld(&a.finished), 1);
	assert_true(bh_enable_work(&a.w));
	assert_int_equal(th_ld(&a.timeouts), 0);
	teardown_wq();
}

/*
 * SPEC X2: while disabled, every way of queueing fails and does nothing,
 * and the failed attempts are not remembered: enabling runs nothing.
 */
static void test_x2_disabled_rejects_all_queueing(void **state)
{
	(void)state;

	setup_wq(true, BH_WQ_BH);
	wqt_item_init(&a, wq);
	wqt_ditem_init(&da, wq);
	assert_false(bh_disable_work(&a.w));
	assert_false(bh_disable_delayed_work(&da.dw));

	assert_false(bh_queue_work(wq, &a.w));
	assert_false(bh_queue_work_on(1, wq, &a.w));
	assert_false(bh_queue_delayed_work(wq, &da.dw, 0));
	assert_false(bh_queue_delayed_work(wq, &da.dw, 3));
	assert_false(bh_queue_delayed_work_on(1, wq, &da.dw, 3));
	assert_false(bh_mod_delayed_work(wq, &da.dw, 0));
	assert_false(bh_mod_delayed_work(wq, &da.dw, 3));
	assert_false(bh_work_pending(&a.w));
	assert_false(bh_delayed_work_pending(&da.dw));
	assert_false(bh_timer_pending(&da.dw.timer));
	assert_int_equal(bh_advance_jiffies(10), 0);
	assert_runs(&a, 0);
	assert_int_equal(th_ld(&da.started), 0);

	assert_true(bh_enable_work(&a.w));
	assert_true(bh_enable_delayed_work(&da.dw));
	assert_int_equal(bh_advance_jiffies(10), 0);
	assert_runs(&a, 0);
	assert_int_equal(th_ld(&da.started), 0);
	assert_false(bh_work_pending(&a.w) || bh_delayed_work_pending(&da.dw));

	assert_true(bh_queue_work(wq, &a.w));
	assert_runs(&a, 1);
	teardown_wq();
}

/*
 * SPEC X3: enable_work returns true exactly when the depth reaches 0 and
 * never queues; enable_and_queue_work queues exactly then.
 */
static void test_x3_enable_and_queue(void **state)
{
	(void)state;

	setup_wq(true, BH_WQ_BH);
	wqt_item_init(&a, wq);
	assert_false(bh_disable_work(&a.w));
	assert_false(bh_disable_work(&a.w));
	assert_false(bh_enable_and_queue_work(wq, &a.w)); /* depth 1 */
	assert_false(bh_work_pending(&a.w));
	assert_runs(&a, 0);
	assert_true(bh_enable_and_queue_work(wq, &a.w)); /* depth 0 */
	assert_true(bh_work_pending(&a.w));
	assert_runs(&a, 1);

	assert_false(bh_disable_work(&a.w));
	assert_false(bh_disable_work(&a.w));
	assert_false(bh_enable_work(&a.w));
	assert_true(bh_enable_work(&a.w));
	assert_false(bh_work_pending(&a.w));
	assert_runs(&a, 1);
	teardown_wq();
}

/*
 * SPEC X4: disable_work_sync is disable_work, then a wait for the running
 * callback: queueing fails from the call on, and on return nothing runs.
 */
static void test_x4_disable_sync_waits_for_running(void **state)
{
	(void)state;
	struct wqt_call ca;

	setup_wq(false, BH_WQ_PERCPU);
	wqt_item_init(&a, wq);
	wqt_start_held(&a, 0);

	wqt_call_start(&ca, wqt_disable_work_sync, &a.w);
	/* The call's disable is seen, not inferred from its sleep. */
	assert_true(wqt_wait_disabled(&a.w, 1));
	wqt_call_assert_asleep(&ca);
	assert_false(bh_queue_work(wq, &a.w));
	bh_complete(&a.go);
	assert_false(wqt_call_join(&ca)); /* running, not pending */
	assert_int_equal(th_ld(&a.finished), 1);
	assert_int_equal(bh_work_busy(&a.w), 0);
	assert_false(bh_queue_work(wq, &a.w)); /* still disabled */

	/* Running and pending: the pending instance is taken (true). */
	assert_true(bh_enable_work(&a.w));
	wqt_start_held(&a, 0);
	assert_true(bh_queue_work(wq, &a.w));
	wqt_call_start(&ca, wqt_disable_work_sync, &a.w);
	/* Taken and disabled before the run is let go, which would
	 * otherwise start the pending instance. */
	assert_true(wqt_wait_disabled(&a.w, 1));
	wqt_call_assert_asleep(&ca);
	bh_complete(&a.go);
	assert_true(wqt_call_join(&ca));
	assert_int_equal(th_ld(&a.finished), 2);
	bh_flush_workqueue(wq);
	assert_int_equal(th_ld(&a.started), 2);
	assert_true(bh_enable_work(&a.w));
	assert_int_equal(th_ld(&a.timeouts), 0);
	teardown_wq();
}

/* SPEC X5: disables nest; N disables need N enables. */
static void test_x5_disables_nest(void **state)
{
	(void)state;

	setup_wq(true, BH_WQ_BH);
	wqt_item_init(&a, wq);
	for (int i = 0; i < 5; i++)
		assert_false(bh_disable_work(&a.w));
	for (int i = 0; i < 4; i++) {
		assert_false(bh_enable_work(&a.w));
		assert_false(bh_queue_work(wq, &a.w));
	}
	assert_true(bh_enable_work(&a.w));
	assert_true(bh_queue_work(wq, &a.w));
	assert_runs(&a, 1);
	teardown_wq();
}

/*
 * SPEC X5: the depth saturates at 65535. A disable beyond it warns once,
 * "work disable count overflowed", and is ignored (65535 enables still
 * suffice); an enable at depth 0 warns once, "work disable count
 * underflowed", and is ignored too (the depth stays 0; the kernel's
 * enable_work then returns true, as for any enable that leaves it at 0).
 */
static void test_x5_depth_saturates_with_warnings(void **state)
{
	(void)state;

	setup_wq(true, BH_WQ_BH);
	wqt_item_init(&a, wq);
	for (unsigned int i = 0; i < DISABLE_MAX; i++)
		assert_false(bh_disable_work(&a.w));
	assert_int_equal(bh_warn_count(), 0);
	assert_false(bh_disable_work(&a.w));
	assert_int_equal(bh_warn_count(), 1);
	assert_true(th_log_has("work disable count overflowed"));
	assert_false(bh_disable_work(&a.w));
	assert_int_equal(bh_warn_count(), 1); /* once */

	for (unsigned int i = 1; i < DISABLE_MAX; i++)
		assert_false(bh_enable_work(&a.w));
	assert_false(bh_queue_work(wq, &a.w));
	assert_true(bh_enable_work(&a.w)); /* the 65535th */
	assert_int_equal(bh_warn_count(), 1);

	assert_true(bh_enable_work(&a.w));
	assert_int_equal(bh_warn_count(), 2);
	assert_true(th_log_has("work disable count underflowed"));
	assert_true(bh_enable_work(&a.w));
	assert_int_equal(bh_warn_count(), 2); /* once */
	assert_int_equal(wqt_log_count("work disable count"), 2);

	/* Depth 0, not "minus one": one disable holds it off again. */
	assert_false(bh_disable_work(&a.w));
	assert_false(bh_queue_work(wq, &a.w));
	assert_true(bh_enable_work(&a.w));
	assert_true(bh_queue_work(wq, &a.w));
	assert_runs(&a, 1);

	bh_destroy_workqueue(wq);
	wq = NULL;
	th_shutdown();
}

/*
 * SPEC X6: disable_delayed_work also removes the timer (true: it was
 * pending), or takes the item off the worklist if the timer had fired;
 * enable_delayed_work undoes it without queueing.
 */
static void test_x6_disable_delayed_removes_timer(void **state)
{
	(void)state;

	setup_wq(true, BH_WQ_BH);
	wqt_ditem_init(&da, wq);
	assert_true(bh_queue_delayed_work(wq, &da.dw, 5));
	assert_true(bh_timer_pending(&da.dw.timer));
	assert_true(bh_disable_delayed_work(&da.dw));
	assert_false(bh_timer_pending(&da.dw.timer));
	assert_false(bh_delayed_work_pending(&da.dw));
	assert_false(bh_queue_delayed_work(wq, &da.dw, 1));
	assert_int_equal(bh_advance_jiffies(10), 0);
	assert_true(bh_run_all(0) >= 0);
	assert_int_equal(th_ld(&da.started), 0);
	assert_true(bh_enable_delayed_work(&da.dw));
	assert_int_equal(bh_advance_jiffies(10), 0);
	assert_true(bh_run_all(0) >= 0);
	assert_int_equal(th_ld(&da.started), 0);

	/* Queued already (delay 0): taken off the worklist. */
	assert_true(bh_queue_delayed_work(wq, &da.dw, 0));
	assert_true(bh_disable_delayed_work(&da.dw));
	assert_true(bh_run_all(0) >= 0);
	assert_int_equal(th_ld(&da.started), 0);
	assert_true(bh_enable_delayed_work(&da.dw));

	/* And usable afterwards: it fires at its time. */
	unsigned long j = bh_jiffies();
	assert_true(bh_queue_delayed_work(wq, &da.dw, 3));
	assert_int_equal(bh_advance_jiffies(3), 0);
	assert_true(bh_run_all(0) > 0);
	assert_int_equal(th_ld(&da.finished), 1);
	assert_int_equal(da.jiffies_seen, j + 3);
	teardown_wq();
}

/*
 * SPEC X6 with X4: disable_delayed_work_sync removes an armed timer (true)
 * and waits for a running callback (threaded).
 */
static void test_x6_disable_delayed_sync(void **state)
{
	(void)state;
	struct wqt_call ca;

	setup_wq(false, BH_WQ_PERCPU);
	wqt_ditem_init(&da, wq);
	assert_true(bh_queue_delayed_work(wq, &da.dw, 1000000));
	assert_true(bh_disable_delayed_work_sync(&da.dw));
	assert_false(bh_timer_pending(&da.dw.timer));
	assert_false(bh_delayed_work_pending(&da.dw));
	assert_true(bh_enable_delayed_work(&da.dw));

	th_st(&da.held, 1);
	assert_true(bh_queue_delayed_work(wq, &da.dw, 0));
	assert_true(th_wait_ge(&da.started, 1));
	wqt_call_start(&ca, wqt_disable_delayed_work_sync, &da.dw);
	/* The call's disable is seen, not inferred from its sleep. */
	assert_true(wqt_wait_disabled(&da.dw.work, 1));
	wqt_call_assert_asleep(&ca);
	assert_false(bh_queue_delayed_work(wq, &da.dw, 0));
	bh_complete(&da.go);
	assert_false(wqt_call_join(&ca));
	assert_int_equal(th_ld(&da.finished), 1);
	assert_int_equal(bh_work_busy(&da.dw.work), 0);
	assert_false(bh_queue_delayed_work(wq, &da.dw, 0));
	assert_true(bh_enable_delayed_work(&da.dw));
	assert_int_equal(th_ld(&da.timeouts), 0);
	teardown_wq();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_x1_disable_cancels_pending,
					  th_teardown),
		cmocka_unit_test_teardown(test_x1_disable_from_hardirq,
					  th_teardown),
		cmocka_unit_test_teardown(test_x1_disable_does_not_wait,
					  th_teardown),
		cmocka_unit_test_teardown(test_x2_disabled_rejects_all_queueing,
					  th_teardown),
		cmocka_unit_test_teardown(test_x3_enable_and_queue,
					  th_teardown),
		cmocka_unit_test_teardown(
			test_x4_disable_sync_waits_for_running, th_teardown),
		cmocka_unit_test_teardown(test_x5_disables_nest, th_teardown),
		cmocka_unit_test_teardown(test_x5_depth_saturates_with_warnings,
					  th_teardown),
		cmocka_unit_test_teardown(test_x6_disable_delayed_removes_timer,
					  th_teardown),
		cmocka_unit_test_teardown(test_x6_disable_delayed_sync,
					  th_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
