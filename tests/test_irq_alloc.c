/* SPDX-License-Identifier: MIT */
/*
 * Issue 4 / SPEC U2: delivering an interrupt allocates nothing. A
 * software raise runs a shared line's handlers, coalesces, latches while
 * the line is disabled or the thread has interrupts off, wakes a thread
 * function, and runs the tasklet a handler schedules at irq exit: the
 * raising thread makes no malloc-family call in 100,000 rounds of it.
 */
#include "harness.h"

#include <malloc.h>

#include "alloc_count.h"

#define ROUNDS 100000ul

static unsigned long hits, tasklet_runs, thread_runs;

static void tl_fn(struct bh_tasklet *t)
{
	(void)t;
	tasklet_runs++;
}

static BH_DECLARE_TASKLET(tl, tl_fn);

static bh_irqreturn_t h1(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	hits++;
	bh_tasklet_schedule(&tl);
	return BH_IRQ_HANDLED;
}

static bh_irqreturn_t h2(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	return BH_IRQ_NONE;
}

static bh_irqreturn_t wake(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	return BH_IRQ_WAKE_THREAD;
}

static bh_irqreturn_t thread_fn(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	th_inc(&thread_runs);
	return BH_IRQ_HANDLED;
}

static void test_u2_raise_allocates_nothing(void **state)
{
	(void)state;
	int d1, d2;
	if (TH_SANITIZED) {
		skip();
		return;
	}
	assert_true(counter_works());
	th_init_cpu0(2, true);
	assert_int_equal(bh_request_irq(50, h1, BH_IRQF_SHARED, "one", &d1), 0);
	assert_int_equal(bh_request_irq(50, h2, BH_IRQF_SHARED, "two", &d2), 0);
	assert_int_equal(bh_irq_set_affinity(50, 1), 0);
	assert_int_equal(
		bh_request_threaded_irq(51, wake, thread_fn, 0, "thr", &d1), 0);
	hits = tasklet_runs = thread_runs = 0;
	__atomic_store_n(&allocations, 0, __ATOMIC_SEQ_CST);
	set_counting(true);
	for (unsigned long i = 0; i < ROUNDS; i++) {
		bh_raise_irq(50);
		if (i % 16 == 0) {
			bh_disable_irq_nosync(50);
			bh_raise_irq(50);
			bh_enable_irq(50);
			unsigned long f = bh_local_irq_save();
			bh_raise_irq(50);
			bh_local_irq_restore(f);
			bh_raise_irq(51);
		}
	}
	set_counting(false);
	assert_int_equal(allocated(), 0);
	assert_int_equal(hits, ROUNDS + 2 * ((ROUNDS + 15) / 16));
	/* Each raise ran it, except where a schedule coalesced with one
	 * still pending on bh CPU 1 (the held event runs at the restore on
	 * this thread, bh CPU 0, and leaves CPU 1's softirq to its runner). */
	assert_true(tasklet_runs >= ROUNDS && tasklet_runs <= hits);
	assert_true(th_wait_ge(&thread_runs, 1));
	bh_free_irq(50, &d1);
	bh_free_irq(50, &d2);
	bh_free_irq(51, &d1);
	th_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_u2_raise_allocates_nothing,
					  th_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
