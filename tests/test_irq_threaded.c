/* SPDX-License-Identifier: MIT */
/*
 * Threaded handlers and waiting for a line (issue 4): IRQ_WAKE_THREAD
 * runs thread_fn in its own "irq/N-name" thread in process context;
 * IRQF_ONESHOT keeps the line masked until thread_fn returns (events
 * meanwhile are latched and replayed once); free_irq, disable_irq and
 * synchronize_irq wait for a handler running on another thread, and for
 * the thread function. Handlers block on a flag the test releases, never
 * on a sleep.
 */
#include "harness.h"

#include <sys/prctl.h>

static int setup(void **state)
{
	(void)state;
	th_init_cpu0(2, false);
	return 0;
}

/* ---- ONESHOT ----------------------------------------------------------- */

static unsigned long prim_runs, thr_runs, thr_entered, thr_release;
static char thr_name[16];
static bool thr_task, thr_may_sleep;

static bh_irqreturn_t prim(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	th_inc(&prim_runs);
	return BH_IRQ_WAKE_THREAD;
}

static bh_irqreturn_t thr(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	if (th_ld(&thr_runs) == 0) {
		prctl(PR_GET_NAME, thr_name, 0, 0, 0);
		thr_task = bh_in_task() && !bh_in_interrupt();
		thr_may_sleep = bh_might_sleep();
		th_st(&thr_entered, 1);
		th_wait_ge(&thr_release, 1);
	}
	th_inc(&thr_runs);
	return BH_IRQ_HANDLED;
}

/*
 * Issue 4: with IRQF_ONESHOT the line is not re-entered while thread_fn
 * runs: three raises meanwhile run no primary handler, and once thread_fn
 * returns they are replayed as one event (one more primary, one more
 * thread run). The thread is "irq/N-name", in process context.
 */
static void test_oneshot_masks_until_thread_returns(void **state)
{
	(void)state;
	prim_runs = thr_runs = thr_entered = thr_release = 0;
	assert_int_equal(bh_request_threaded_irq(12, prim, thr, BH_IRQF_ONESHOT,
						 "oneshot", &prim_runs),
			 0);
	assert_int_equal(bh_raise_irq(12), 0);
	assert_true(th_wait_ge(&thr_entered, 1));
	for (int i = 0; i < 3; i++)
		assert_int_equal(bh_raise_irq(12), 0);
	assert_int_equal(th_ld(&prim_runs), 1);
	th_st(&thr_release, 1);
	assert_true(th_wait_ge(&thr_runs, 2));
	assert_int_equal(bh_synchronize_irq(12), 0);
	assert_int_equal(th_ld(&prim_runs), 2);
	assert_int_equal(th_ld(&thr_runs), 2);
	assert_string_equal(thr_name, "irq/12-oneshot");
	assert_true(thr_task);
	assert_true(thr_may_sleep);
	assert_string_equal(bh_free_irq(12, &prim_runs), "oneshot");
	th_shutdown();
}

/* Without ONESHOT the line runs while the thread works; wake-ups during
 * the run coalesce into one more thread run. */
static void test_threaded_without_oneshot_coalesces_wakeups(void **state)
{
	(void)state;
	prim_runs = thr_runs = thr_entered = thr_release = 0;
	assert_int_equal(
		bh_request_threaded_irq(13, prim, thr, 0, "plain", &prim_runs),
		0);
	assert_int_equal(bh_raise_irq(13), 0);
	assert_true(th_wait_ge(&thr_entered, 1));
	for (int i = 0; i < 3; i++)
		assert_int_equal(bh_raise_irq(13), 0);
	assert_int_equal(th_ld(&prim_runs), 4);
	th_st(&thr_release, 1);
	assert_int_equal(bh_synchronize_irq(13), 0);
	assert_int_equal(th_ld(&thr_runs), 2);
	bh_free_irq(13, &prim_runs);
	th_shutdown();
}

/* ---- waiting for a running handler ------------------------------------- */

static unsigned long h_entered, h_release, h_done, waiter_done;
static unsigned long waiter_tid;

static bh_irqreturn_t blocking(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	th_st(&h_entered, 1);
	th_wait_ge(&h_release, 1);
	th_st(&h_done, 1);
	return BH_IRQ_HANDLED;
}

static void *raiser(void *arg)
{
	bh_raise_irq((unsigned int)(uintptr_t)arg);
	return NULL;
}

enum wait_kind { W_FREE, W_DISABLE, W_SYNC };
static enum wait_kind wait_kind;
static const void *freed_name;

static void *waiter(void *arg)
{
	unsigned int irq = (unsigned int)(uintptr_t)arg;
	th_st(&waiter_tid, th_tid());
	switch (wait_kind) {
	case W_FREE:
		freed_name = bh_free_irq(irq, &h_entered);
		break;
	case W_DISABLE:
		bh_disable_irq(irq);
		break;
	case W_SYNC:
		bh_synchronize_irq(irq);
		break;
	}
	/* Whatever we saw of the handler: it must have finished. */
	th_st(&waiter_done, th_ld(&h_done) ? 1 : 2);
	return NULL;
}

/* The handler runs on thread A; the call under test, on thread B, must
 * be asleep until the handler is released, and return after it ended. */
static void check_waits(enum wait_kind kind, unsigned int irq)
{
	pthread_t a, b;
	h_entered = h_release = h_done = waiter_done = waiter_tid = 0;
	wait_kind = kind;
	assert_int_equal(
		bh_request_irq(irq, blocking, 0, "blocker", &h_entered), 0);
	assert_int_equal(
		pthread_create(&a, NULL, raiser, (void *)(uintptr_t)irq), 0);
	assert_true(th_wait_ge(&h_entered, 1));
	assert_int_equal(
		pthread_create(&b, NULL, waiter, (void *)(uintptr_t)irq), 0);
	assert_true(th_wait_ge(&waiter_tid, 1));
	assert_true(th_wait_asleep(th_ld(&waiter_tid)));
	assert_int_equal(th_ld(&waiter_done), 0);
	th_st(&h_release, 1);
	assert_true(th_join(b));
	assert_int_equal(th_ld(&waiter_done), 1);
	assert_true(th_join(a));
}

/* Issue 4: free_irq waits for a handler running on another thread and
 * returns the name. */
static void test_free_irq_waits_for_running_handler(void **state)
{
	(void)state;
	check_waits(W_FREE, 14);
	assert_string_equal(freed_name, "blocker");
	assert_int_equal(bh_raise_irq(14), -ENOENT);
	th_shutdown();
}

/* Issue 4: disable_irq waits too (disable_irq_nosync does not). */
static void test_disable_irq_waits_for_running_handler(void **state)
{
	(void)state;
	check_waits(W_DISABLE, 15);
	assert_int_equal(bh_enable_irq(15), 0);
	bh_free_irq(15, &h_entered);
	th_shutdown();
}

/* Issue 4: synchronize_irq waits for the running handler. */
static void test_synchronize_irq_waits_for_running_handler(void **state)
{
	(void)state;
	check_waits(W_SYNC, 16);
	bh_free_irq(16, &h_entered);
	th_shutdown();
}

/* free_irq of a threaded handler waits for thread_fn too. */
static void test_free_irq_waits_for_thread_fn(void **state)
{
	(void)state;
	prim_runs = thr_runs = thr_entered = thr_release = 0;
	assert_int_equal(bh_request_threaded_irq(17, prim, thr, BH_IRQF_ONESHOT,
						 "thr", &prim_runs),
			 0);
	assert_int_equal(bh_raise_irq(17), 0);
	assert_true(th_wait_ge(&thr_entered, 1));
	th_st(&thr_release, 1);
	assert_string_equal(bh_free_irq(17, &prim_runs), "thr");
	assert_int_equal(th_ld(&thr_runs), 1);
	th_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_oneshot_masks_until_thread_returns, setup,
			th_teardown),
		cmocka_unit_test_setup_teardown(
			test_threaded_without_oneshot_coalesces_wakeups, setup,
			th_teardown),
		cmocka_unit_test_setup_teardown(
			test_free_irq_waits_for_running_handler, setup,
			th_teardown),
		cmocka_unit_test_setup_teardown(
			test_disable_irq_waits_for_running_handler, setup,
			th_teardown),
		cmocka_unit_test_setup_teardown(
			test_synchronize_irq_waits_for_running_handler, setup,
			th_teardown),
		cmocka_unit_test_setup_teardown(
			test_free_irq_waits_for_thread_fn, setup, th_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
