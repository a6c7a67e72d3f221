/* SPDX-License-Identifier: MIT */
/*
 * flush_work, flush_workqueue and drain_workqueue (SPEC C1-C6, C8), in
 * threaded mode: kworkers run the items, so a callback can be held open
 * while another thread flushes.
 *
 * A held callback sleeps on a completion (so concurrency management sees it
 * block, as it would a real item waiting for I/O) and the test completes it
 * once per run it lets go. Each callback counts "started" first and
 * "finished" as its last action; a flusher reads "finished" right after its
 * call returns, so the assertions are about order (the flush ended after
 * the callback), never about time. "The flusher has not returned yet" is
 * checked while it sleeps; that check can only miss a bug, never fail a
 * correct library.
 */
#include "wq_harness.h"

static struct bh_workqueue *wq;
static struct wqt_item a, b, c, d;

static void setup_wq(unsigned int flags, int max_active)
{
	th_init(2, false);
	assert_int_equal(bh_thread_set_cpu(0), 0);
	wq = bh_alloc_workqueue("wqflush", flags, max_active);
	assert_non_null(wq);
}

static void teardown_wq(void)
{
	bh_destroy_workqueue(wq);
	wq = NULL;
	wqt_assert_no_warnings();
	th_shutdown();
}

/* SPEC C1: an idle item, never queued or long finished: false, no wait. */
static void test_c1_flush_idle_returns_false(void **state)
{
	(void)state;
	setup_wq(BH_WQ_PERCPU, 0);
	wqt_item_init(&a, wq);
	assert_false(bh_flush_work(&a.w));

	assert_true(bh_queue_work(wq, &a.w));
	assert_true(bh_flush_work(&a.w) || th_ld(&a.finished) == 1);
	assert_int_equal(th_ld(&a.finished), 1);
	assert_false(bh_flush_work(&a.w));
	assert_int_equal(bh_work_busy(&a.w), 0);
	teardown_wq();
}

/* SPEC C1: a pending instance is waited for, and flush says it waited. */
static void test_c1_flush_waits_for_pending(void **state)
{
	(void)state;
	struct wqt_call fl;

	setup_wq(BH_WQ_PERCPU, 1);
	wqt_item_init(&a, wq);
	wqt_item_init(&b, wq);
	/* max_active 1: A holds the CPU-0 slot, so B stays pending. */
	wqt_start_held(&a, 0);
	assert_true(bh_queue_work_on(0, wq, &b.w));
	assert_true(bh_work_pending(&b.w));

	wqt_call_start(&fl, wqt_flush_work, &b.w);
	/* Its barrier is linked behind B before B can run: a flush that
	 * began after B ran would rightly return false. */
	assert_true(wqt_wait_flush_barrier(&b.w));
	wqt_call_assert_asleep(&fl);
	bh_complete(&a.go);
	assert_true(wqt_call_join(&fl));
	assert_int_equal(th_ld(&b.finished), 1);
	assert_int_equal(th_ld(&a.timeouts), 0);
	teardown_wq();
}

/*
 * SPEC C1: running and pending again: the last queued instance is the
 * pending one, so flush waits for both runs, not just the current one.
 */
static void test_c1_flush_waits_for_last_queued_instance(void **state)
{
	(void)state;
	struct wqt_call fl;

	setup_wq(BH_WQ_PERCPU, 0);
	wqt_item_init(&a, wq);
	wqt_start_held(&a, 0);
	assert_true(bh_queue_work(wq, &a.w)); /* W4: pending again */

	wqt_call_start(&fl, wqt_flush_work, &a.w);
	/* Linked behind the pending instance, so it waits for both runs. */
	assert_true(wqt_wait_flush_barrier(&a.w));
	wqt_call_assert_asleep(&fl);
	bh_complete(&a.go); /* first run ends, the second starts and holds */
	assert_true(th_wait_ge(&a.started, 2));
	assert_true(th_wait_asleep(th_ld(&fl.tid)));
	assert_int_equal(th_ld(&fl.done), 0);
	bh_complete(&a.go);
	assert_true(wqt_call_join(&fl));
	assert_int_equal(th_ld(&a.finished), 2);
	assert_int_equal(bh_work_busy(&a.w), 0);
	assert_int_equal(th_ld(&a.timeouts), 0);
	teardown_wq();
}

/*
 * SPEC C2: flush waits for the instance running at the call, not for one
 * queued after the call began: it returns while that one still holds.
 */
static void test_c2_flush_ignores_later_instances(void **state)
{
	(void)state;
	struct wqt_call fl;

	setup_wq(BH_WQ_PERCPU, 0);
	wqt_item_init(&a, wq);
	wqt_start_held(&a, 0);

	wqt_call_start(&fl, wqt_flush_work, &a.w);
	/* The flush has found the running instance (its barrier is on that
	 * worker's list) before the item is queued again; one that began
	 * after the queue_work would wait for the held second run. */
	assert_true(wqt_wait_flush_barrier(&a.w));
	wqt_call_assert_asleep(&fl);
	assert_true(bh_queue_work(wq, &a.w)); /* after the flush began */
	bh_complete(&a.go);
	assert_true(th_wait_ge(&a.started, 2)); /* and holds */
	assert_true(wqt_call_join(&fl));
	assert_int_equal(th_ld(&a.finished), 1);
	/* On return the item is busy again: C2's "only if nothing
	 * re-queued it". */
	assert_true(bh_work_busy(&a.w) & BH_WORK_BUSY_RUNNING);
	bh_complete(&a.go);
	bh_flush_work(&a.w);
	assert_int_equal(th_ld(&a.finished), 2);
	assert_int_equal(th_ld(&a.timeouts), 0);
	teardown_wq();
}

/*
 * SPEC C3: flushing a BH item, or a BH workqueue, sleeps: the flusher is
 * seen asleep while the item runs in ksoftirqd (only cancel and disable
 * busy-wait, C13).
 */
static void test_c3_flush_of_bh_work_sleeps(void **state)
{
	(void)state;
	static struct wqt_spin s;
	struct wqt_call fl;

	setup_wq(BH_WQ_BH, 0);
	wqt_spin_init(&s);

	assert_true(bh_queue_work(wq, &s.w));
	assert_true(th_wait_ge(&s.started, 1));
	wqt_call_start(&fl, wqt_flush_work, &s.w);
	/* It found the running instance before it is released (else it
	 * returns false), and is asleep waiting for it. */
	assert_true(wqt_wait_flush_barrier(&s.w));
	wqt_call_assert_asleep(&fl);
	th_st(&s.release, 1);
	assert_true(wqt_call_join(&fl));
	assert_int_equal(th_ld(&s.finished), 1);

	assert_true(bh_queue_work(wq, &s.w));
	assert_true(th_wait_ge(&s.started, 2));
	unsigned int color = wqt_wq_color(wq);
	wqt_call_start(&fl, wqt_flush_workqueue, wq);
	/* Asleep in the flush, not on its way to it. */
	assert_true(wqt_wait_flush_began(wq, color));
	wqt_call_assert_asleep(&fl);
	th_st(&s.release, 2);
	wqt_call_join(&fl);
	assert_int_equal(th_ld(&s.finished), 2);
	assert_int_equal(th_ld(&s.timeouts), 0);
	teardown_wq();
}

#define NHELD 8
static struct wqt_item held[NHELD];

/*
 * SPEC C4: flush_workqueue waits for every item queued before it, the
 * ones max_active holds back included, and not for one queued after it.
 */
static void test_c4_flush_workqueue_includes_inactive(void **state)
{
	(void)state;
	struct wqt_call fl;

	setup_wq(BH_WQ_PERCPU, 1);
	for (int i = 0; i < NHELD; i++)
		wqt_item_init(&held[i], wq);
	wqt_item_init(&a, wq);
	th_st(&held[0].held, 1);
	for (int i = 0; i < NHELD; i++)
		assert_true(bh_queue_work_on(0, wq, &held[i].w));
	assert_true(th_wait_ge(&held[0].started, 1));

	unsigned int color = wqt_wq_color(wq);
	wqt_call_start(&fl, wqt_flush_workqueue, wq);
	/* The flush has moved new items to the next colour before `a` is
	 * queued; one that began later would wait for the held `a`. */
	assert_true(wqt_wait_flush_began(wq, color));
	wqt_call_assert_asleep(&fl);
	th_st(&a.held, 1);
	assert_true(bh_queue_work_on(0, wq, &a.w)); /* after the call */
	bh_complete(&held[0].go);
	wqt_call_join(&fl);
	for (int i = 0; i < NHELD; i++)
		assert_int_equal(th_ld(&held[i].finished), 1);
	assert_int_equal(th_ld(&a.finished), 0); /* still queued or held */
	bh_complete(&a.go);
	bh_flush_workqueue(wq);
	assert_int_equal(th_ld(&a.finished), 1);
	assert_int_equal(th_ld(&held[0].timeouts), 0);
	assert_int_equal(th_ld(&a.timeouts), 0);
	teardown_wq();
}

/*
 * The livelock test: producers keep the workqueue busy (items that
 * re-queue themselves without end, plus fresh queueing) while more
 * flushers than there are flush colours flush it over and over.
 */
#define NFLUSHERS 24 /* more than the 16 flush colours: some overflow */
#define NLOOPERS  6
#define NROUNDS	  (TH_TSAN ? 8ul : 60ul)

static struct bh_work fw[NFLUSHERS], lw[NLOOPERS];
static unsigned long fstamp[NFLUSHERS], fseen[NFLUSHERS];
static unsigned long flushers_done, violations, stop_loopers, stop_producers,
	loops;

static void flusher_item_fn(struct bh_work *w)
{
	long i = w - fw;

	th_atomic_max(&fseen[i], th_ld(&fstamp[i]));
}

static void looper_fn(struct bh_work *w)
{
	th_inc(&loops);
	if (!th_ld(&stop_loopers))
		bh_queue_work(wq, w); /* keeps a stream of new work coming */
}

static void *flusher(void *arg)
{
	long i = (long)arg;

	bh_thread_set_cpu((int)(i % 2));
	for (unsigned long r = 1; r <= NROUNDS; r++) {
		th_st(&fstamp[i], r);
		/* W5: an execution that sees stamp r starts after this call,
		 * and it was queued before the flush: the flush covers it. */
		bh_queue_work(wq, &fw[i]);
		bh_flush_workqueue(wq);
		if (th_ld(&fseen[i]) < r)
			th_inc(&violations);
	}
	bh_thread_set_cpu(-1);
	th_inc(&flushers_done);
	return NULL;
}

static void *producer(void *arg)
{
	long id = (long)arg;

	bh_thread_set_cpu((int)(id % 2));
	for (unsigned long i = 0; !th_ld(&stop_producers); i++) {
		bh_queue_work_on((int)(i % 2), wq, &lw[i % NLOOPERS]);
		if (i % 16 == 0)
			sched_yield();
	}
	bh_thread_set_cpu(-1);
	return NULL;
}

/*
 * SPEC C4, C5: under continuous queueing, every one of many concurrent
 * flushers returns (no livelock: later items do not extend a flush), and
 * each returns only after the items queued before its own call ran.
 */
static void test_c4_c5_concurrent_flushers_no_livelock(void **state)
{
	(void)state;
	pthread_t fl[NFLUSHERS], pr[2];

	setup_wq(BH_WQ_PERCPU, 2);
	flushers_done = violations = stop_loopers = stop_producers = loops = 0;
	for (int i = 0; i < NFLUSHERS; i++) {
		bh_work_init(&fw[i], flusher_item_fn);
		fstamp[i] = fseen[i] = 0;
	}
	for (int i = 0; i < NLOOPERS; i++) {
		bh_work_init(&lw[i], looper_fn);
		assert_true(bh_queue_work_on(i % 2, wq, &lw[i]));
	}
	for (long i = 0; i < 2; i++)
		assert_int_equal(
			pthread_create(&pr[i], NULL, producer, (void *)i), 0);
	for (long i = 0; i < NFLUSHERS; i++)
		assert_int_equal(
			pthread_create(&fl[i], NULL, flusher, (void *)i), 0);

	bool all = th_wait_ge(&flushers_done, NFLUSHERS);
	th_st(&stop_producers, 1);
	for (int i = 0; i < 2; i++)
		assert_true(th_join(pr[i]));
	if (!all)
		fail_msg("only %lu of %d flushers returned under load: "
			 "flush_workqueue livelocked",
			 th_ld(&flushers_done), NFLUSHERS);
	for (int i = 0; i < NFLUSHERS; i++)
		assert_true(th_join(fl[i]));
	assert_int_equal(th_ld(&violations), 0);
	assert_true(th_ld(&loops) > 0);

	th_st(&stop_loopers, 1);
	for (int i = 0; i < NLOOPERS; i++)
		bh_cancel_work_sync(&lw[i]);
	bh_flush_workqueue(wq);
	teardown_wq();
}

/*
 * SPEC C6: drain_workqueue lets items running on the workqueue queue
 * further items (chained queueing: an item re-queueing itself and queueing
 * another), and returns only once all of it has run. Afterwards the
 * workqueue takes outside queueing again.
 */
static void test_c6_drain_runs_chained_work(void **state)
{
	(void)state;
	struct wqt_call dr;

	setup_wq(BH_WQ_PERCPU, 0);
	wqt_item_init(&a, wq);
	wqt_item_init(&b, wq);
	wqt_item_init(&c, wq);
	a.chain_left = 20;
	a.also = &b;
	b.chain_left = 3;

	assert_true(bh_queue_work(wq, &a.w));
	wqt_call_start(&dr, wqt_drain_workqueue, wq);
	wqt_call_join(&dr);
	assert_int_equal(th_ld(&a.finished), 21);
	assert_int_equal(th_ld(&b.finished), 4);
	assert_int_equal(th_ld(&a.requeue_false), 0);
	assert_int_equal(th_ld(&b.requeue_false), 0);
	assert_int_equal(bh_work_busy(&a.w) | bh_work_busy(&b.w), 0);
	assert_false(th_log_has("cannot queue"));

	assert_true(bh_queue_work(wq, &c.w));
	assert_true(bh_flush_work(&c.w) || th_ld(&c.finished) == 1);
	assert_int_equal(th_ld(&c.finished), 1);
	/* A slow machine (TSan) may take 10 rounds for the chain, and then
	 * the drain rightly says so (C6); nothing else may warn. */
	assert_int_equal(bh_warn_count(),
			 wqt_log_count("drain_workqueue() isn't complete"));
	bh_destroy_workqueue(wq);
	wq = NULL;
	th_shutdown();
}

/*
 * SPEC C6, C8: while a drain is in progress, queueing from outside the
 * workqueue's own items is refused with one warning naming the workqueue;
 * queue_work still returns true and the item never runs.
 */
static void test_c6_c8_drain_rejects_outside_queueing(void **state)
{
	(void)state;
	struct wqt_call dr;

	setup_wq(BH_WQ_PERCPU, 0);
	wqt_item_init(&a, wq);
	wqt_item_init(&c, wq);
	wqt_item_init(&d, wq);
	wqt_start_held(&a, 0);

	wqt_call_start(&dr, wqt_drain_workqueue, wq);
	/* The drain is on (the held `a` keeps it on) before the outside
	 * queue_work calls that it must refuse. */
	assert_true(wqt_wait_draining(wq));
	wqt_call_assert_asleep(&dr);
	assert_true(bh_queue_work(wq, &c.w));
	assert_true(bh_queue_work(wq, &d.w));
	assert_true(th_log_has("cannot queue"));
	assert_true(th_log_has("on wq wqflush"));
	assert_int_equal(wqt_log_count("cannot queue"), 1); /* once */
	assert_int_equal(bh_warn_count(), 1);

	bh_complete(&a.go);
	wqt_call_join(&dr);
	assert_int_equal(th_ld(&a.finished), 1);
	assert_int_equal(th_ld(&c.started), 0);
	assert_int_equal(th_ld(&d.started), 0);
	assert_int_equal(th_ld(&a.timeouts), 0);

	/* The dropped items are left alone (whether PENDING stayed set
	 * differs between kernels, C8). */
	bh_destroy_workqueue(wq);
	wq = NULL;
	assert_int_equal(th_ld(&c.started), 0);
	th_shutdown();
}

static unsigned long steps_left, steps, step_timeouts;
static unsigned long step_color; /* the colour read before it was queued */

/*
 * One step of a chain that goes on only once the drainer has begun a
 * flush round after the step was queued: the colour new items get has
 * moved on from the one read just before the step was queued. A flush
 * round waits for the items of the colours before its flip (C4); the
 * step is of that colour (or, if a flip came between the read and the
 * queueing, of the next one), so its re-queue lands in the next round,
 * and its end lets the drainer go on to that round. So each round sees
 * one step, or two after such a flip, however the threads are scheduled.
 * (Seeing the drainer asleep would not do: it may sleep on its way into
 * the round, before the flip.)
 */
static void slow_chain_fn(struct bh_work *w)
{
	th_inc(&steps);
	if (!wqt_wait_flush_began(wq, (unsigned int)th_ld(&step_color)))
		th_inc(&step_timeouts);
	if (th_ld(&steps_left) > 0) {
		__atomic_fetch_sub(&steps_left, 1, __ATOMIC_ACQ_REL);
		th_st(&step_color, wqt_wq_color(wq));
		bh_queue_work(wq, w);
	}
}

/*
 * SPEC C6: a drain that needs many flush rounds warns on its 10th try,
 * naming the workqueue: a chain of 30 steps takes at least 15 rounds.
 */
static void test_c6_drain_warns_after_10_tries(void **state)
{
	(void)state;
	static struct bh_work w;
	struct wqt_call drainer;

	setup_wq(BH_WQ_PERCPU, 0);
	bh_work_init(&w, slow_chain_fn);
	steps = step_timeouts = 0;
	steps_left = 30;
	th_st(&step_color, wqt_wq_color(wq));
	assert_true(bh_queue_work(wq, &w));
	wqt_call_start(&drainer, wqt_drain_workqueue, wq);
	wqt_call_join(&drainer);
	assert_int_equal(th_ld(&steps), 31);
	assert_int_equal(th_ld(&step_timeouts), 0);
	assert_true(th_log_has("workqueue wqflush: "));
	assert_true(th_log_has("drain_workqueue() isn't complete after 10 "
			       "tries"));
	bh_destroy_workqueue(wq);
	wq = NULL;
	th_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_c1_flush_idle_returns_false,
					  th_teardown),
		cmocka_unit_test_teardown(test_c1_flush_waits_for_pending,
					  th_teardown),
		cmocka_unit_test_teardown(
			test_c1_flush_waits_for_last_queued_instance,
			th_teardown),
		cmocka_unit_test_teardown(test_c2_flush_ignores_later_instances,
					  th_teardown),
		cmocka_unit_test_teardown(test_c3_flush_of_bh_work_sleeps,
					  th_teardown),
		cmocka_unit_test_teardown(
			test_c4_flush_workqueue_includes_inactive, th_teardown),
		cmocka_unit_test_teardown(
			test_c4_c5_concurrent_flushers_no_livelock,
			th_teardown),
		cmocka_unit_test_teardown(test_c6_drain_runs_chained_work,
					  th_teardown),
		cmocka_unit_test_teardown(
			test_c6_c8_drain_rejects_outside_queueing, th_teardown),
		cmocka_unit_test_teardown(test_c6_drain_warns_after_10_tries,
					  th_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
