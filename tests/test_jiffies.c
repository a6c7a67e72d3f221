/* SPDX-License-Identifier: MIT */
/*
 * jiffies and HZ (SPEC K1, the HZ and MAX_SOFTIRQ_TIME rows of Constants):
 * the default HZ, INITIAL_JIFFIES, round-up conversions, the virtual clock
 * of deterministic mode, and wrap-safe comparisons across a real wrap of
 * unsigned long.
 */
#include "harness.h"

#include <limits.h>

/* The kernel's INITIAL_JIFFIES: five minutes before the low 32 bits wrap. */
static unsigned long initial_jiffies(unsigned int hz)
{
	return (unsigned long)(unsigned int)(-300 * (int)hz);
}

static void init_hz(unsigned int hz, bool deterministic, unsigned long j0)
{
	struct bh_config cfg;
	th_log_clear();
	th_config(&cfg, 1, deterministic);
	cfg.hz = hz;
	cfg.initial_jiffies = j0;
	assert_int_equal(bh_init(&cfg), 0);
}

/* SPEC K1 */
static void test_k1_default_hz_is_250(void **state)
{
	(void)state;
	assert_int_equal(bh_hz(), 250);
	th_init(1, true);
	assert_int_equal(bh_hz(), 250);
	assert_int_equal(bh_jiffies(), initial_jiffies(250));
	th_shutdown();
}

/* SPEC K1, Constants (HZ): jiffies start just before a 32-bit wrap. */
static void test_k1_initial_jiffies_wraps_low_32_bits_after_5_min(void **state)
{
	(void)state;
	static const unsigned int hzs[] = {100, 250, 300, 1000};
	for (size_t i = 0; i < sizeof(hzs) / sizeof(hzs[0]); i++) {
		unsigned int hz = hzs[i];
		init_hz(hz, true, 0);
		unsigned long j0 = bh_jiffies();
		assert_int_equal(j0, initial_jiffies(hz));
		assert_int_equal((unsigned long)bh_get_jiffies_64(), j0);
		/* The virtual clock stands still until moved. */
		assert_int_equal(bh_jiffies(), j0);
		assert_int_equal(bh_advance_jiffies(0), 0);
		assert_int_equal(bh_jiffies(), j0);

		assert_int_equal(bh_advance_jiffies(300ul * hz - 1), 0);
		assert_int_equal((unsigned int)bh_jiffies(), 0xffffffffu);
		assert_int_equal(bh_advance_jiffies(1), 0);
		assert_int_equal((unsigned int)bh_jiffies(), 0);
		/* 64 bits of jiffies keep counting through the 32-bit wrap. */
		assert_int_equal(bh_get_jiffies_64(), 1ull << 32);
		if (sizeof(unsigned long) == 8)
			assert_int_equal(bh_jiffies(), 1ull << 32);
		assert_true(bh_time_after(bh_jiffies(), j0));
		th_shutdown();
	}
}

/* SPEC K1: *_to_jiffies round up, as the kernel's. */
static void test_k1_conversions_round_up(void **state)
{
	(void)state;
	init_hz(250, true, 0);
	assert_int_equal(bh_msecs_to_jiffies(0), 0);
	assert_int_equal(bh_msecs_to_jiffies(1), 1);
	assert_int_equal(bh_msecs_to_jiffies(2), 1);
	assert_int_equal(bh_msecs_to_jiffies(4), 1);
	assert_int_equal(bh_msecs_to_jiffies(5), 2);
	assert_int_equal(bh_msecs_to_jiffies(1000), 250);
	assert_int_equal(bh_msecs_to_jiffies(3999), 1000);
	assert_int_equal(bh_msecs_to_jiffies(INT_MAX), 536870912ul);
	assert_int_equal(bh_usecs_to_jiffies(0), 0);
	assert_int_equal(bh_usecs_to_jiffies(1), 1);
	assert_int_equal(bh_usecs_to_jiffies(4000), 1);
	assert_int_equal(bh_usecs_to_jiffies(4001), 2);
	assert_int_equal(bh_jiffies_to_msecs(1), 4);
	assert_int_equal(bh_jiffies_to_msecs(250), 1000);
	assert_int_equal(bh_jiffies_to_usecs(1), 4000);
	th_shutdown();

	init_hz(1000, true, 0);
	assert_int_equal(bh_msecs_to_jiffies(1), 1);
	assert_int_equal(bh_msecs_to_jiffies(2), 2);
	assert_int_equal(bh_usecs_to_jiffies(1000), 1);
	assert_int_equal(bh_usecs_to_jiffies(1001), 2);
	assert_int_equal(bh_jiffies_to_msecs(7), 7);
	assert_int_equal(bh_jiffies_to_usecs(7), 7000);
	th_shutdown();

	init_hz(100, true, 0);
	assert_int_equal(bh_msecs_to_jiffies(2), 1);
	assert_int_equal(bh_msecs_to_jiffies(10), 1);
	assert_int_equal(bh_msecs_to_jiffies(11), 2);
	assert_int_equal(bh_jiffies_to_msecs(3), 30);
	th_shutdown();

	init_hz(300, true, 0);
	assert_int_equal(bh_msecs_to_jiffies(2), 1);
	assert_int_equal(bh_msecs_to_jiffies(4), 2);
	assert_int_equal(bh_msecs_to_jiffies(10), 3);
	assert_int_equal(bh_msecs_to_jiffies(11), 4);
	assert_int_equal(bh_jiffies_to_msecs(3), 10);
	assert_int_equal(bh_jiffies_to_usecs(3), 10000);
	th_shutdown();
}

/* SPEC S13: MAX_SOFTIRQ_TIME is 1 jiffy at HZ <= 500, 2 at HZ 1000. */
static void test_s13_max_softirq_time_in_jiffies(void **state)
{
	(void)state;
	static const struct {
		unsigned int hz;
		unsigned long j;
	} cases[] = {{100, 1}, {250, 1}, {300, 1}, {500, 1}, {1000, 2}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		init_hz(cases[i].hz, true, 0);
		assert_int_equal(bh_msecs_to_jiffies(BH_MAX_SOFTIRQ_TIME_MS),
				 cases[i].j);
		th_shutdown();
	}
}

/* SPEC K1: only the virtual clock can be moved by hand. */
static void test_k1_advance_only_in_deterministic_mode(void **state)
{
	(void)state;
	assert_int_equal(bh_advance_jiffies(1), -ENXIO);
	init_hz(250, false, 0);
	assert_int_equal(bh_advance_jiffies(1), -EPERM);
	/* The real clock starts at INITIAL_JIFFIES and does not go back. */
	unsigned long j0 = bh_jiffies();
	assert_true(bh_time_after_eq(j0, initial_jiffies(250)));
	assert_true(bh_time_before(j0, initial_jiffies(250) + 3600ul * 250));
	for (int i = 0; i < 1000; i++) {
		unsigned long j = bh_jiffies();
		assert_true(bh_time_after_eq(j, j0));
		j0 = j;
	}
	th_shutdown();

	/* A configured origin is honoured on the real clock too. */
	init_hz(1000, false, 12345);
	j0 = bh_jiffies();
	assert_true(j0 >= 12345 && j0 < 12345 + 3600ul * 1000);
	th_shutdown();
}

/* SPEC K1: time_after and friends across a wrap of unsigned long. */
static void test_k1_time_after_across_full_wrap(void **state)
{
	(void)state;
	init_hz(250, true, ULONG_MAX - 9);
	unsigned long j0 = bh_jiffies();
	assert_int_equal(j0, ULONG_MAX - 9);
	unsigned long deadline = j0 + 15; /* wraps to 5 */
	assert_int_equal(deadline, 5);
	assert_true(bh_time_is_after_jiffies(deadline));
	assert_false(bh_time_is_before_jiffies(deadline));

	assert_int_equal(bh_advance_jiffies(10), 0);
	unsigned long j1 = bh_jiffies();
	assert_int_equal(j1, 0); /* exactly at the wrap */
	assert_true(bh_time_after(j1, j0));
	assert_true(bh_time_is_after_jiffies(deadline));

	assert_int_equal(bh_advance_jiffies(10), 0);
	unsigned long j2 = bh_jiffies();
	assert_int_equal(j2, 10);
	/* A naive comparison gets it backwards; the macros do not. */
	assert_true(j2 < j0);
	assert_true(bh_time_after(j2, j0));
	assert_true(bh_time_before(j0, j2));
	assert_false(bh_time_after(j0, j2));
	assert_true(bh_time_after_eq(j2, j2));
	assert_true(bh_time_before_eq(j0, j2));
	assert_true(bh_time_in_range(ULONG_MAX, j0, j2));
	assert_true(bh_time_in_range(3, j0, j2));
	assert_false(bh_time_in_range(11, j0, j2));
	assert_true(bh_time_is_before_jiffies(deadline));
	assert_true(bh_time_is_before_jiffies(j0));
	assert_true(bh_time_is_after_jiffies(j2 + 1));

	unsigned long long j64 = bh_get_jiffies_64();
	assert_true(bh_time_after64(j64, (unsigned long long)j0) ||
		    sizeof(unsigned long) < 8);
	assert_true(bh_time_before64(j64 - 20, j64));
	th_shutdown();
}

#define T(f) cmocka_unit_test_teardown(f, th_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_k1_default_hz_is_250),
		T(test_k1_initial_jiffies_wraps_low_32_bits_after_5_min),
		T(test_k1_conversions_round_up),
		T(test_s13_max_softirq_time_in_jiffies),
		T(test_k1_advance_only_in_deterministic_mode),
		T(test_k1_time_after_across_full_wrap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
