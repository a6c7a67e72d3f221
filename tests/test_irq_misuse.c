/* SPDX-License-Identifier: MIT */
/*
 * Interrupt-line misuse (issue 4, SPEC U9): bad requests return the
 * kernel's errors, a second free_irq and a free_irq from the line's own
 * handler are WARNs naming the line and the handler (not a crash or a
 * hang), and the kernel's unhandled-interrupt detector ("nobody cared")
 * disables a line whose handlers keep returning IRQ_NONE.
 * The exact diagnostic text is checked on the captured log sink.
 */
#include "harness.h"

static int setup(void **state)
{
	(void)state;
	th_init_cpu0(2, true);
	return 0;
}

static unsigned long runs;

static bh_irqreturn_t handled(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	runs++;
	return BH_IRQ_HANDLED;
}

static bh_irqreturn_t none(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	runs++;
	return BH_IRQ_NONE;
}

static bh_irqreturn_t thread_fn(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	return BH_IRQ_HANDLED;
}

/* Issue 4 / U9: -EINVAL and -EBUSY as the kernel's request_irq. */
static void test_bad_requests(void **state)
{
	(void)state;
	int dev1, dev2;
	assert_int_equal(bh_request_irq(BH_NR_IRQS, handled, 0, "x", NULL),
			 -EINVAL);
	assert_int_equal(bh_request_irq(1, NULL, 0, "x", NULL), -EINVAL);
	assert_int_equal(bh_request_irq(1, handled, BH_IRQF_SHARED, "x", NULL),
			 -EINVAL);
	assert_int_equal(bh_request_irq(1, handled, 0x40000000ul, "x", NULL),
			 -EINVAL);
	assert_int_equal(bh_request_threaded_irq(1, NULL, NULL, BH_IRQF_ONESHOT,
						 "x", NULL),
			 -EINVAL);
	/* NULL primary without ONESHOT: refused with the kernel's text. */
	assert_int_equal(bh_request_threaded_irq(1, NULL, thread_fn, 0,
						 "nullprim", NULL),
			 -EINVAL);
	assert_true(th_log_has("Threaded irq requested with handler=NULL and "
			       "!ONESHOT for nullprim (irq 1)"));
	/* A taken non-shared line. */
	assert_int_equal(bh_request_irq(3, handled, 0, "first", &dev1), 0);
	assert_int_equal(bh_request_irq(3, handled, 0, "second", &dev2),
			 -EBUSY);
	assert_true(th_log_has("Flags mismatch irq 3. 00000000 (second) vs. "
			       "00000000 (first)"));
	assert_int_equal(
		bh_request_irq(3, handled, BH_IRQF_SHARED, "third", &dev2),
		-EBUSY);
	/* Shared, but ONESHOT differs; probing does not log. */
	assert_int_equal(bh_request_irq(4, handled, BH_IRQF_SHARED, "a", &dev1),
			 0);
	th_log_clear();
	assert_int_equal(bh_request_irq(4, handled,
					BH_IRQF_SHARED | BH_IRQF_ONESHOT |
						BH_IRQF_PROBE_SHARED,
					"b", &dev2),
			 -EBUSY);
	assert_false(th_log_has("Flags mismatch"));
	assert_int_equal(bh_request_irq(4, handled, BH_IRQF_SHARED, "b", &dev2),
			 0);
	/* The line still works. */
	runs = 0;
	assert_int_equal(bh_raise_irq(4), 0);
	assert_int_equal(runs, 2);
	assert_int_equal(bh_raise_irq(BH_NR_IRQS), -EINVAL);
	assert_int_equal(bh_raise_irq(2), -ENOENT);
	assert_int_equal(bh_enable_irq(BH_NR_IRQS), -EINVAL);
	assert_int_equal(bh_irq_set_affinity(4, 2), -EINVAL);
	assert_int_equal(bh_warn_count(), 0);
	th_shutdown();
}

/* Issue 4: a second free_irq is a WARN with the line and the name it
 * had; unknown dev_id too; nothing is freed twice. */
static void test_double_free_warns(void **state)
{
	(void)state;
	int dev;
	assert_int_equal(bh_request_irq(3, handled, 0, "twice", &dev), 0);
	assert_string_equal(bh_free_irq(3, &dev), "twice");
	unsigned long w0 = bh_warn_count();
	assert_null(bh_free_irq(3, &dev));
	assert_int_equal(bh_warn_count(), w0 + 1);
	assert_true(th_log_has("Trying to free already-free IRQ 3 (twice)"));
	assert_true(th_log_has("Call Trace:"));
	assert_null(bh_free_irq(17, &dev));
	assert_true(th_log_has("Trying to free already-free IRQ 17\n"));
	th_shutdown();
}

static const void *own_free_result = (const void *)1;
static int own_dev;

static bh_irqreturn_t frees_itself(int irq, void *dev_id)
{
	own_free_result = bh_free_irq((unsigned int)irq, dev_id);
	return BH_IRQ_HANDLED;
}

static unsigned long own_thread_done;

static bh_irqreturn_t thread_frees_itself(int irq, void *dev_id)
{
	own_free_result = bh_free_irq((unsigned int)irq, dev_id);
	th_st(&own_thread_done, 1);
	return BH_IRQ_HANDLED;
}

/* Issue 4: free_irq from the line's own handler (or thread function)
 * would wait for itself: a WARN with line and name, NULL, no hang; the
 * handler stays installed and is freed normally afterwards. */
static void test_free_from_own_handler_warns(void **state)
{
	(void)state;
	assert_int_equal(
		bh_request_irq(6, frees_itself, 0, "selfish", &own_dev), 0);
	assert_int_equal(bh_raise_irq(6), 0);
	assert_null(own_free_result);
	assert_true(th_log_has("bh: free_irq(6) of selfish from a handler or "
			       "thread function of IRQ 6: it would wait for "
			       "itself forever; not freed"));
	assert_string_equal(bh_free_irq(6, &own_dev), "selfish");

	th_log_clear();
	own_free_result = (const void *)1;
	assert_int_equal(bh_request_threaded_irq(7, NULL, thread_frees_itself,
						 BH_IRQF_ONESHOT, "selfthr",
						 &own_dev),
			 0);
	assert_int_equal(bh_raise_irq(7), 0);
	assert_true(th_wait_ge(&own_thread_done, 1));
	assert_null(own_free_result);
	assert_true(th_log_has("bh: free_irq(7) of selfthr from a handler"));
	assert_string_equal(bh_free_irq(7, &own_dev), "selfthr");
	th_shutdown();
}

static int own_disable_ret = 1, own_sync_ret = 1;

static bh_irqreturn_t disables_itself(int irq, void *dev_id)
{
	(void)dev_id;
	own_disable_ret = bh_disable_irq((unsigned int)irq);
	own_sync_ret = bh_synchronize_irq((unsigned int)irq);
	return BH_IRQ_HANDLED;
}

/* Issue 4: disable_irq and synchronize_irq from the line's own handler
 * would wait for themselves: WARN and -EDEADLK, no hang; the disable
 * still counts (disable_irq_nosync is what a handler should call). */
static void test_disable_from_own_handler_warns(void **state)
{
	(void)state;
	assert_int_equal(
		bh_request_irq(8, disables_itself, 0, "selfdis", &own_dev), 0);
	assert_int_equal(bh_raise_irq(8), 0);
	assert_int_equal(own_disable_ret, -EDEADLK);
	assert_int_equal(own_sync_ret, -EDEADLK);
	assert_true(th_log_has("bh: disable_irq(8) from a handler or thread "
			       "function of IRQ 8 (selfdis): it would wait for "
			       "itself forever"));
	assert_true(th_log_has("bh: synchronize_irq(8) from a handler"));
	assert_int_equal(bh_enable_irq(8), 0);
	assert_int_equal(bh_enable_irq(8), -EINVAL); /* it counted once */
	assert_string_equal(bh_free_irq(8, &own_dev), "selfdis");
	th_shutdown();
}

/*
 * Issue 4: the kernel's note_interrupt. 99,999 unhandled events change
 * nothing; the 100,000th (more than 99,900 of the window unhandled)
 * reports "nobody cared" with the handler list and a backtrace, then
 * "Disabling IRQ #N", and the line is off: a raise is latched, and
 * enable_irq brings the line back and runs it once.
 */
static void test_nobody_cared_disables_line(void **state)
{
	(void)state;
	int dev;
	runs = 0;
	assert_int_equal(bh_request_irq(9, none, 0, "deaf", &dev), 0);
	for (unsigned int i = 0; i < 99999; i++)
		bh_raise_irq(9);
	assert_int_equal(runs, 99999);
	assert_false(th_log_has("nobody cared"));
	assert_int_equal(bh_raise_irq(9), 0);
	assert_int_equal(runs, 100000);
	assert_true(th_log_has("irq 9: nobody cared"));
	assert_true(th_log_has("handlers:\n[<"));
	assert_true(th_log_has("(deaf)"));
	assert_true(th_log_has("Call Trace:"));
	assert_true(th_log_has("Disabling IRQ #9\n"));
	assert_true(strstr(th_log.text, "Call Trace:") <
		    strstr(th_log.text, "Disabling IRQ #9"));
	assert_int_equal(bh_raise_irq(9), 0);
	assert_int_equal(runs, 100000);
	assert_int_equal(bh_enable_irq(9), 0);
	assert_int_equal(runs, 100001);
	bh_free_irq(9, &dev);
	th_shutdown();
}

/* Issue 4: handled events in the window keep the line alive. */
static void test_mostly_unhandled_is_not_disabled(void **state)
{
	(void)state;
	int dev;
	runs = 0;
	assert_int_equal(bh_request_irq(10, none, BH_IRQF_SHARED, "deaf", &dev),
			 0);
	assert_int_equal(
		bh_request_irq(10, handled, BH_IRQF_SHARED, "live", &runs), 0);
	for (unsigned int i = 0; i < 100000; i++)
		bh_raise_irq(10);
	assert_false(th_log_has("nobody cared"));
	assert_int_equal(runs, 200000);
	bh_free_irq(10, &dev);
	bh_free_irq(10, &runs);
	th_shutdown();
}

static unsigned long thread_runs;

static bh_irqreturn_t wake(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	return BH_IRQ_WAKE_THREAD;
}

static bh_irqreturn_t deaf_thread(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	__atomic_add_fetch(&thread_runs, 1, __ATOMIC_RELEASE);
	return BH_IRQ_NONE;
}

static bh_irqreturn_t busy_thread(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	__atomic_add_fetch(&thread_runs, 1, __ATOMIC_RELEASE);
	return BH_IRQ_HANDLED;
}

/*
 * Issue 4: a primary that only wakes its thread is judged by the thread:
 * as the kernel's note_interrupt, an IRQ_WAKE_THREAD event counts as
 * handled if some thread_fn returned IRQ_HANDLED since the previous one,
 * and the first is not counted. A line whose thread always answers
 * IRQ_NONE is reported and disabled after the usual window.
 */
static void test_deaf_thread_disables_line(void **state)
{
	(void)state;
	int dev;
	thread_runs = 0;
	assert_int_equal(bh_request_threaded_irq(12, wake, deaf_thread, 0,
						 "deafthread", &dev),
			 0);
	for (unsigned int i = 0; i < 100000; i++)
		assert_int_equal(bh_raise_irq(12), 0);
	assert_false(th_log_has("nobody cared"));
	assert_int_equal(bh_raise_irq(12), 0);
	assert_true(th_log_has("irq 12: nobody cared"));
	assert_true(th_log_has("(deafthread)\nthreaded [<"));
	assert_true(th_log_has("Disabling IRQ #12\n"));
	bh_free_irq(12, &dev);
	th_shutdown();
}

/*
 * Issue 4: the same with a thread that handles every event (ONESHOT, so
 * each event comes after the previous thread run): never reported.
 */
static void test_handling_thread_keeps_line(void **state)
{
	(void)state;
	int dev;
	thread_runs = 0;
	assert_int_equal(bh_request_threaded_irq(13, wake, busy_thread,
						 BH_IRQF_ONESHOT, "busythread",
						 &dev),
			 0);
	/* Raises while the thread runs are latched and coalesced: keep
	 * raising until the window has been judged at least once. */
	uint64_t deadline = th_now_ns() + 6 * TH_WAIT_NS;
	while (__atomic_load_n(&thread_runs, __ATOMIC_ACQUIRE) < 100010 &&
	       th_now_ns() < deadline)
		assert_int_equal(bh_raise_irq(13), 0);
	assert_true(__atomic_load_n(&thread_runs, __ATOMIC_ACQUIRE) >= 100010);
	assert_false(th_log_has("nobody cared"));
	bh_free_irq(13, &dev);
	th_shutdown();
}

/* Issue 4: shutdown frees lines still requested, saying so. */
static void test_shutdown_frees_requested_lines(void **state)
{
	(void)state;
	int dev;
	assert_int_equal(bh_request_threaded_irq(11, NULL, thread_fn,
						 BH_IRQF_ONESHOT, "leftover",
						 &dev),
			 0);
	th_shutdown();
	assert_true(th_log_has("IRQ 11 (leftover) still requested"));
	assert_int_equal(bh_raise_irq(11), -ENXIO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bad_requests, setup,
						th_teardown),
		cmocka_unit_test_setup_teardown(test_double_free_warns, setup,
						th_teardown),
		cmocka_unit_test_setup_teardown(
			test_free_from_own_handler_warns, setup, th_teardown),
		cmocka_unit_test_setup_teardown(
			test_disable_from_own_handler_warns, setup,
			th_teardown),
		cmocka_unit_test_setup_teardown(test_nobody_cared_disables_line,
						setup, th_teardown),
		cmocka_unit_test_setup_teardown(
			test_mostly_unhandled_is_not_disabled, setup,
			th_teardown),
		cmocka_unit_test_setup_teardown(test_deaf_thread_disables_line,
						setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_handling_thread_keeps_line,
						setup, th_teardown),
		cmocka_unit_test_setup_teardown(
			test_shutdown_frees_requested_lines, setup,
			th_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
