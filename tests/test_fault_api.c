/* SPDX-License-Identifier: MIT */
/*
 * bh_fault_inject(3): arming, the nth/times arithmetic, the class filter,
 * the counters, and BH_FAIL_NTH. The sweeps that use it are
 * tests/test_fault_{alloc,thread,fd,all}.c.
 *
 * BH_FAIL_NTH is read once per process, by the first bh_init(): the test
 * that checks it runs first.
 */
#include "harness.h"

#include <bh/legacy_work.h>

/* BH_FAIL_NTH=thread:1 makes the first thread (ksoftirqd/0) fail. */
static void test_env_arms_first_init(void **state)
{
	(void)state;
	struct bh_config cfg;

	th_log_clear();
	th_config(&cfg, 1, false);
	assert_int_equal(setenv("BH_FAIL_NTH", "thread:1", 1), 0);
	assert_int_equal(bh_init(&cfg), -EAGAIN);
	assert_false(bh_running());
	assert_int_equal(bh_fault_injected(), 1);
	assert_true(th_log_has("bh: fault injection armed: classes 0x2, "
			       "call 1, 1 time(s)"));
	assert_true(th_log_has("bh: cannot create ksoftirqd/0"));
	/* Read once: a second bh_init() is not armed again. */
	assert_int_equal(bh_init(&cfg), 0);
	assert_int_equal(bh_fault_injected(), 1);
	th_shutdown();
	unsetenv("BH_FAIL_NTH");
	assert_int_equal(bh_fault_inject(0, 0, 0), 0);
}

static void test_einval(void **state)
{
	(void)state;
	assert_int_equal(bh_fault_inject(BH_FAULT_ALL + 1, 1, 1), -EINVAL);
	assert_int_equal(bh_fault_inject(1u << 31, 1, 1), -EINVAL);
	assert_int_equal(bh_fault_inject(BH_FAULT_ALLOC, 0, 1), -EINVAL);
	assert_int_equal(bh_fault_inject(0, 0, 0), 0);
	assert_int_equal(bh_fault_injected(), 0);
	assert_int_equal(bh_fault_calls(), 0);
}

/* One checked allocation per call (its open_memstream). */
static int show(void)
{
	FILE *null = fopen("/dev/null", "w");
	assert_non_null(null);
	int r = bh_show_interrupts(null);
	fclose(null);
	return r;
}

/* nth fails, and times - 1 after it; times 0: all from nth on. */
static void test_nth_and_times(void **state)
{
	(void)state;
	th_init(1, true);

	assert_int_equal(bh_fault_inject(BH_FAULT_ALLOC, 2, 1), 0);
	assert_true(show() >= 0);
	assert_int_equal(show(), -ENOMEM);
	assert_true(show() >= 0);
	assert_int_equal(bh_fault_injected(), 1);
	assert_int_equal(bh_fault_calls(), 3);

	assert_int_equal(bh_fault_inject(BH_FAULT_ALLOC, 1, 2), 0);
	assert_int_equal(show(), -ENOMEM);
	assert_int_equal(show(), -ENOMEM);
	assert_true(show() >= 0);
	assert_int_equal(bh_fault_injected(), 2);

	assert_int_equal(bh_fault_inject(BH_FAULT_ALLOC, 2, 0), 0);
	assert_true(show() >= 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(show(), -ENOMEM);
	assert_int_equal(bh_fault_injected(), 5);

	/* Disarmed: nothing fails, nothing is counted. */
	assert_int_equal(bh_fault_inject(0, 0, 0), 0);
	assert_true(show() >= 0);
	assert_int_equal(bh_fault_calls(), 0);
	th_shutdown();
}

/* Only the armed classes are counted and failed. */
static void test_class_filter(void **state)
{
	(void)state;
	th_init(1, true);
	assert_int_equal(bh_fault_inject(BH_FAULT_THREAD | BH_FAULT_FD, 1, 0),
			 0);
	assert_true(show() >= 0);
	assert_int_equal(bh_fault_calls(), 0);
	/* A timer line needs a timerfd: BH_FAULT_FD. */
	assert_int_equal(bh_request_irq(210, NULL, 0, "x", NULL), -EINVAL);
	assert_int_equal(bh_irq_bind_timer(210, 1000000), -EMFILE);
	assert_int_equal(bh_fault_injected(), 1);
	assert_int_equal(bh_fault_inject(0, 0, 0), 0);
	assert_int_equal(bh_irq_bind_timer(210, 1000000), 0);
	assert_int_equal(bh_irq_unbind(210), 0);
	th_shutdown();
}

static unsigned long legacy_runs;

static void legacy_fn(void *data)
{
	(void)data;
	th_inc(&legacy_runs);
}

/* The compatibility layer's table entry is the one allocation of
 * INIT_WORK(w, f, data): a failure is -ENOMEM with a warning (SPEC U9),
 * and the item works once memory is back. */
static void test_legacy_entry(void **state)
{
	(void)state;
	static struct bh_work w;

	th_init(1, false);
	assert_int_equal(bh_fault_inject(BH_FAULT_ALLOC, 1, 0), 0);
	assert_int_equal(bh_legacy_init_work(&w, legacy_fn, NULL), -ENOMEM);
	assert_true(bh_fault_injected() >= 1);
	assert_true(th_log_has("no memory for the legacy work table"));
	assert_int_equal(bh_fault_inject(0, 0, 0), 0);
	assert_int_equal(bh_legacy_init_work(&w, legacy_fn, NULL), 0);
	assert_true(
		bh_legacy_queue_work_on(BH_WORK_CPU_UNBOUND, bh_system_wq, &w));
	assert_true(th_wait_ge(&legacy_runs, 1));
	bh_flush_workqueue(bh_system_wq);
	assert_int_equal(bh_legacy_work_forget(&w), 0);
	th_shutdown();
}

/* kmalloc fails as the kernel's failslab makes it fail: NULL and the
 * allocation-failure warning, none with __GFP_NOWARN. */
static void test_kmalloc(void **state)
{
	(void)state;
	th_init(1, true);
	assert_int_equal(bh_fault_inject(BH_FAULT_ALLOC, 1, 2), 0);
	assert_null(bh_kmalloc(32, BH_GFP_KERNEL));
	assert_true(
		th_log_has("kmalloc: allocation failure: 32 bytes, gfp 0xcc0"));
	th_log_clear();
	assert_null(bh_kzalloc(48, BH_GFP_KERNEL | BH_GFP_NOWARN));
	assert_false(th_log_has("allocation failure"));
	void *p = bh_kmalloc(32, BH_GFP_KERNEL);
	assert_non_null(p);
	bh_kfree(p);
	assert_int_equal(bh_fault_injected(), 2);
	th_shutdown();
}

static int teardown(void **state)
{
	bh_fault_inject(0, 0, 0);
	return th_teardown(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_env_arms_first_init, teardown),
		cmocka_unit_test_teardown(test_einval, teardown),
		cmocka_unit_test_teardown(test_nth_and_times, teardown),
		cmocka_unit_test_teardown(test_class_filter, teardown),
		cmocka_unit_test_teardown(test_legacy_entry, teardown),
		cmocka_unit_test_teardown(test_kmalloc, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
