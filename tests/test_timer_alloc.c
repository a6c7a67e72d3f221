/* SPDX-License-Identifier: MIT */
/*
 * SPEC U2 for timers: mod_timer, timer_reduce, add_timer_on and
 * timer_delete never allocate. As in test_tasklet_alloc.c, malloc and
 * friends are replaced for the whole process by versions that count calls
 * made by a thread while its `counting` flag is set, around the timer
 * calls only. A million mod_timer/timer_delete pairs are counted in
 * deterministic mode (arming idle and pending timers, moving them between
 * bh CPUs, with expiries run between rounds outside the count) and in
 * threaded mode (where arming an earlier timer also wakes ksoftirqd/N).
 *
 * Sanitizer runtimes interpose the allocator themselves; the counting
 * versions are compiled out there and the tests skip.
 */
#include "harness.h"

#include <malloc.h>

#define NCALLS 1000000ul
#define NT     100

#include "alloc_count.h"

static void cb(struct bh_timer *t)
{
	(void)t;
}

static int setup_det(void **state)
{
	(void)state;
	th_init_cpu0(2, true);
	__atomic_store_n(&allocations, 0, __ATOMIC_RELAXED);
	return 0;
}

static int setup_threaded(void **state)
{
	(void)state;
	th_init(2, false);
	__atomic_store_n(&allocations, 0, __ATOMIC_RELAXED);
	return 0;
}

static struct bh_timer timers[NT];

/*
 * SPEC U2, deterministic mode: per round, from one bh CPU, every timer is
 * armed (idle: it may move to this CPU's base), re-armed earlier and
 * later, reduced, and deleted, or, in one round of four, left to fire at
 * the ticks between rounds. add_timer_on pins a tenth of them.
 */
static void test_u2_no_allocation_det(void **state)
{
	(void)state;
	unsigned long pairs = 0, fired_rounds = 0;

	if (TH_SANITIZED) {
		skip();
		return;
	}
	assert_true(counter_works());
	__atomic_store_n(&allocations, 0, __ATOMIC_SEQ_CST);
	for (int i = 0; i < NT; i++)
		bh_timer_setup(&timers[i], cb, i % 3 ? 0 : BH_TIMER_DEFERRABLE);

	for (unsigned long round = 0; pairs < NCALLS; round++) {
		bool fire = round % 4 == 3;
		unsigned long j = bh_jiffies();
		int bad = 0;

		bh_thread_set_cpu((int)(round / 2 % 2));
		set_counting(true);
		for (int i = 0; i < NT; i++) {
			struct bh_timer *t = &timers[i];

			if (i % 10 == 0) {
				t->expires = j + 3;
				bad |= bh_add_timer_on(t, (int)(round % 2)) < 0;
			} else {
				bad |= bh_mod_timer(t, j + 1 + i % 70) != 0;
			}
			bad |= bh_mod_timer(t, j + 2 + i % 700) != 1;
			bad |= bh_timer_reduce(t, j + 1) != 1;
			if (!fire)
				bad |= bh_timer_delete(t) != 1;
		}
		set_counting(false);
		assert_int_equal(bad, 0);
		pairs += NT;
		if (fire) {
			fired_rounds++;
			assert_int_equal(bh_advance_jiffies(1), 0);
			assert_true(bh_run_all(0) >= 0);
			/* deferrable ones run when the CPU serves timers */
			for (int c = 0; c < 2; c++) {
				bh_thread_set_cpu(c);
				bh_raise_softirq(BH_TIMER_SOFTIRQ);
			}
			assert_true(bh_run_all(0) >= 0);
			for (int i = 0; i < NT; i++)
				assert_false(bh_timer_pending(&timers[i]));
		}
	}
	assert_true(fired_rounds > 0);
	assert_int_equal(allocated(), 0);
}

/*
 * SPEC U2, threaded mode: a million pairs from one thread, alternating bh
 * CPUs every 1024, while ksoftirqd/0 and /1 expire what is left armed
 * (every 16th timer is not deleted) and are kicked for earlier expiries.
 */
static void test_u2_no_allocation_threaded(void **state)
{
	(void)state;
	unsigned long left_armed = 0;

	if (TH_SANITIZED) {
		skip();
		return;
	}
	assert_true(counter_works());
	__atomic_store_n(&allocations, 0, __ATOMIC_SEQ_CST);
	for (int i = 0; i < NT; i++)
		bh_timer_setup(&timers[i], cb, 0);
	for (unsigned long n = 0; n < NCALLS; n++) {
		struct bh_timer *t = &timers[n % NT];
		int a, d = 0;

		if ((n & 1023) == 0)
			bh_thread_set_cpu((int)(n >> 10) % 2);
		set_counting(true);
		a = bh_mod_timer(t, bh_jiffies() + 1 + n % 3);
		if (n % 16)
			d = bh_timer_delete(t);
		set_counting(false);
		assert_true(a == 0 || a == 1);
		assert_true(d == 0 || d == 1);
		left_armed += n % 16 == 0;
	}
	bh_thread_set_cpu(-1);
	assert_true(left_armed > 0);
	assert_int_equal(allocated(), 0);
	for (int i = 0; i < NT; i++)
		assert_true(bh_timer_delete_sync(&timers[i]) >= 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_u2_no_allocation_det,
						setup_det,
						th_teardown_shutdown),
		cmocka_unit_test_setup_teardown(test_u2_no_allocation_threaded,
						setup_threaded,
						th_teardown_shutdown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
