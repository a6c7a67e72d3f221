/* SPDX-License-Identifier: MIT */
/*
 * SPEC U2: tasklet schedule and hi_schedule never allocate. This program
 * replaces malloc and friends (the definitions here take precedence over
 * libc's for the whole process) with versions that count calls made by a
 * thread while its `counting` flag is set, around each schedule call only.
 *
 * Both paths are counted over a million calls each: the first schedule
 * (SCHED 0 -> 1: list push, raise, ksoftirqd wake-up) and the coalesced one.
 *
 * Sanitizer runtimes interpose the allocator themselves; the counting
 * versions are compiled out there and the tests skip.
 */
#include "harness.h"

#include <malloc.h>

#define NCALLS 1000000ul

#include "alloc_count.h"

static void cb(struct bh_tasklet *t)
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

/*
 * SPEC U2, deterministic mode: a million first schedules (the tasklets are
 * run between rounds, outside the counted region) and a million coalesced
 * ones, normal and HI.
 */
static void test_u2_no_allocation_det(void **state)
{
	(void)state;
	static struct bh_tasklet t[100];
	unsigned long first = 0, coalesced = 0;

	if (TH_SANITIZED) {
		skip();
		return;
	}
	assert_true(counter_works());
	__atomic_store_n(&allocations, 0, __ATOMIC_SEQ_CST);
	for (int i = 0; i < 100; i++)
		bh_tasklet_setup(&t[i], cb);

	for (unsigned long round = 0; round < NCALLS / 100; round++) {
		bool hi = round & 1;

		bh_thread_set_cpu((int)(round / 2 % 2));
		set_counting(true);
		for (int i = 0; i < 100; i++)
			first += (hi ? bh_tasklet_hi_schedule(&t[i])
				     : bh_tasklet_schedule(&t[i])) == 1;
		/* Already pending: the coalesced path. */
		for (int i = 0; i < 100; i++)
			coalesced += (hi ? bh_tasklet_schedule(&t[i])
					 : bh_tasklet_hi_schedule(&t[i])) == 0;
		set_counting(false);
		bh_run_all(0);
	}
	assert_int_equal(first, NCALLS);
	assert_int_equal(coalesced, NCALLS);
	assert_int_equal(allocated(), 0);
}

/*
 * SPEC U2, threaded mode: the first schedule also wakes ksoftirqd/N, which
 * runs the tasklet concurrently; only this thread's calls are counted.
 */
static void test_u2_no_allocation_threaded(void **state)
{
	(void)state;
	static struct bh_tasklet t;
	unsigned long first = 0;

	if (TH_SANITIZED) {
		skip();
		return;
	}
	assert_true(counter_works());
	__atomic_store_n(&allocations, 0, __ATOMIC_SEQ_CST);
	bh_tasklet_setup(&t, cb);
	for (unsigned long i = 0; i < NCALLS; i++) {
		int r;

		if ((i & 1023) == 0)
			bh_thread_set_cpu((int)(i >> 10) % 2);
		set_counting(true);
		r = (i & 1) ? bh_tasklet_hi_schedule(&t)
			    : bh_tasklet_schedule(&t);
		set_counting(false);
		assert_true(r == 0 || r == 1);
		first += r == 1;
	}
	bh_thread_set_cpu(-1);
	assert_true(first > 0);
	assert_int_equal(allocated(), 0);
	assert_int_equal(bh_tasklet_kill(&t), 0);
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
