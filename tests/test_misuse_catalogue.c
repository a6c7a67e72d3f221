/* SPDX-License-Identifier: MIT */
/*
 * The misuse cases of SPEC M1-M19 that no other test pinned, each with
 * its exact diagnostic (docs/RELIABILITY.md, "Misuse catalogue", maps every
 * M and U number to its test): M4 (flushing an item queued behind oneself
 * on an ordered workqueue, or another item of one's own rescuer queue), M9
 * (queueing a delayed item whose timer was not set up), M8's flush without a
 * runtime, M18 (set_max_active on a BH or ordered workqueue).
 */
#include "harness.h"

/* log.c: a function's name, or its address when it has no dynamic
 * symbol (the diagnostics print the same). */
const char *bh__symbol_name(const void *addr, char *buf, size_t len);

static int setup(void **state)
{
	(void)state;
	th_init(2, false);
	return 0;
}

/* ---- M4 ------------------------------------------------------------------ */

static struct bh_work m4_first, m4_second;
static unsigned long m4_runs, m4_second_runs;
static bool m4_flush_ret = true, m4_queued;
static struct bh_workqueue *m4_wq;

static void m4_second_fn(struct bh_work *w)
{
	(void)w;
	th_inc(&m4_second_runs);
}

static void m4_first_fn(struct bh_work *w)
{
	(void)w;
	/* Queued behind us: an ordered queue runs it after we return. */
	m4_queued = bh_queue_work(m4_wq, &m4_second);
	m4_flush_ret = bh_flush_work(&m4_second);
	th_inc(&m4_runs);
}

/*
 * SPEC M4: flush_work on an item queued behind the flushing item on the
 * same ordered workqueue would wait forever (lockdep's report in the
 * kernel): warns with the pseudo-lock's name and returns false without
 * waiting; the other item still runs after.
 */
static void test_m4_flush_behind_on_ordered(void **state)
{
	(void)state;
	char want[256], sym[64];
	struct bh_workqueue *wq = bh_alloc_ordered_workqueue("m4q", 0);

	assert_non_null(wq);
	m4_wq = wq;
	bh_work_init(&m4_first, m4_first_fn);
	bh_work_init(&m4_second, m4_second_fn);
	assert_true(bh_queue_work(wq, &m4_first));
	bh_flush_workqueue(wq);
	assert_int_equal(th_ld(&m4_runs), 1);
	assert_true(m4_queued);
	/* Queued during that flush: wait for it by itself. */
	assert_true(bh_flush_work(&m4_second) || th_ld(&m4_second_runs) == 1);
	assert_int_equal(th_ld(&m4_second_runs), 1);
	assert_false(m4_flush_ret);
	snprintf(want, sizeof(want),
		 "possible circular locking dependency: (wq_completion)m4q: "
		 "flushing %s, queued behind the flushing item on the same "
		 "ordered workqueue, would wait forever",
		 bh__symbol_name((const void *)m4_second_fn, sym, sizeof(sym)));
	assert_true(th_log_has(want));
	assert_true(th_log_has("Call Trace:"));
	bh_destroy_workqueue(wq);
}

static struct bh_work m4r_first, m4r_second;
static unsigned long m4r_runs, m4r_second_runs;
static bool m4r_flush_ret, m4r_queued;
static struct bh_workqueue *m4r_wq;

static void m4r_second_fn(struct bh_work *w)
{
	(void)w;
	th_inc(&m4r_second_runs);
}

static void m4r_first_fn(struct bh_work *w)
{
	(void)w;
	/*
	 * Queued on this CPU's pool, where concurrency management starts
	 * nothing more while we run without sleeping: still pending at the
	 * flush, which then waits (sleeps) and lets a worker run it.
	 */
	m4r_queued = bh_queue_work(m4r_wq, &m4r_second);
	m4r_flush_ret = bh_flush_work(&m4r_second);
	th_inc(&m4r_runs);
}

/*
 * SPEC M4 (the rescuer half): flushing an item of the same WQ_MEM_RECLAIM
 * workqueue from one of its items is what the kernel's lockdep reports,
 * since with no worker to be had only the rescuer runs the queue, one item
 * at a time. Workers are made on demand here: it warns once and the flush
 * completes.
 */
static void test_m4_flush_same_rescuer_queue(void **state)
{
	(void)state;
	char want[256], sym[64];
	struct bh_workqueue *wq =
		bh_alloc_workqueue("m4r", BH_WQ_MEM_RECLAIM | BH_WQ_PERCPU, 0);

	assert_non_null(wq);
	m4r_wq = wq;
	bh_work_init(&m4r_first, m4r_first_fn);
	bh_work_init(&m4r_second, m4r_second_fn);
	assert_true(bh_queue_work_on(0, wq, &m4r_first));
	assert_true(th_wait_ge(&m4r_runs, 1));
	assert_true(m4r_queued);
	assert_true(m4r_flush_ret); /* it waited for the second item */
	assert_int_equal(th_ld(&m4r_second_runs), 1);
	snprintf(
		want, sizeof(want),
		"possible recursive locking detected: (wq_completion)m4r: "
		"flushing %s from an item of the same WQ_MEM_RECLAIM "
		"workqueue would wait forever if only its rescuer could run",
		bh__symbol_name((const void *)m4r_second_fn, sym, sizeof(sym)));
	assert_true(th_log_has(want));
	bh_destroy_workqueue(wq);
}

/* ---- M9 ------------------------------------------------------------------ */

static void m9_fn(struct bh_work *w)
{
	(void)w;
}

/*
 * SPEC M9: queueing a delayed item whose timer was not set up by
 * INIT_DELAYED_WORK warns once and does nothing. (The kernel's other two
 * cases, a timer already armed or a list entry not empty, cannot arise
 * from the API here: the timer is armed only under PENDING, and a linked
 * entry is the M10 case, reported where the item is queued.)
 */
static void test_m9_delayed_timer_not_set_up(void **state)
{
	(void)state;
	static struct bh_delayed_work dw;
	char want[256];
	unsigned long w0 = bh_warn_count();

	memset(&dw, 0, sizeof(dw));
	bh_work_init(&dw.work, m9_fn); /* INIT_WORK, not INIT_DELAYED_WORK */
	assert_false(bh_queue_delayed_work(bh_system_unbound_wq, &dw, 1));
	assert_false(bh_delayed_work_pending(&dw));
	snprintf(want, sizeof(want),
		 "bh: bh_queue_delayed_work_on(): delayed work %p was not set "
		 "up with bh_delayed_work_init()",
		 (void *)&dw);
	assert_true(th_log_has(want));
	assert_int_equal(bh_warn_count(), w0 + 1);
	/* Once: the kernel's WARN_ON_ONCE. */
	assert_false(bh_queue_delayed_work(bh_system_unbound_wq, &dw, 1));
	assert_int_equal(bh_warn_count(), w0 + 1);
}

/* ---- M8 ------------------------------------------------------------------ */

/*
 * SPEC M8 (second half): a flush without the workqueue subsystem, here
 * after bh_shutdown(), warns and returns false. (The first half, an item
 * never initialised, is test_wq_misuse.c:test_m8_flush_uninitialised.)
 */
static void test_m8_flush_without_runtime(void **state)
{
	(void)state;
	static struct bh_work w;

	th_init(1, true);
	bh_work_init(&w, m9_fn);
	th_shutdown();
	th_log_clear();
	assert_false(bh_flush_work(&w));
	assert_true(th_log_has("bh: bh_flush_work() while the runtime is not "
			       "running (before bh_init() or after "
			       "bh_shutdown())"));
}

/* ---- M18 ----------------------------------------------------------------- */

/*
 * SPEC M18: workqueue_set_max_active() on a BH or an ordered workqueue
 * warns and is ignored (the ordered queue stays one at a time). The
 * kernel's other two cases, workqueue_set_min_active() and
 * queue_work_node(), are not provided (compat/linux/workqueue.h says so).
 */
static void test_m18_set_max_active_ignored(void **state)
{
	(void)state;
	struct bh_workqueue *bh = bh_alloc_workqueue("m18bh", BH_WQ_BH, 0);
	struct bh_workqueue *ord = bh_alloc_ordered_workqueue("m18ord", 0);
	struct bh_wq_stats st;

	assert_non_null(bh);
	assert_non_null(ord);
	unsigned long w0 = bh_warn_count();
	bh_workqueue_set_max_active(bh, 4);
	assert_true(th_log_has("workqueue: workqueue_set_max_active() on BH "
			       "workqueue m18bh is ignored"));
	bh_workqueue_set_max_active(ord, 4);
	assert_true(th_log_has("workqueue: workqueue_set_max_active() on "
			       "ordered workqueue m18ord is ignored"));
	assert_int_equal(bh_warn_count(), w0 + 2);
	assert_int_equal(bh_workqueue_get_stats(ord, &st), 0);
	assert_true(st.nr_active <= 1);
	bh_destroy_workqueue(bh);
	bh_destroy_workqueue(ord);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_m4_flush_behind_on_ordered,
						setup, th_teardown_shutdown),
		cmocka_unit_test_setup_teardown(
			test_m4_flush_same_rescuer_queue, setup,
			th_teardown_shutdown),
		cmocka_unit_test_setup_teardown(
			test_m9_delayed_timer_not_set_up, setup,
			th_teardown_shutdown),
		cmocka_unit_test_setup_teardown(test_m18_set_max_active_ignored,
						setup, th_teardown_shutdown),
		cmocka_unit_test_teardown(test_m8_flush_without_runtime,
					  th_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
