// SPDX-License-Identifier: MIT
/*
 * SPEC K2, K3: every delay from 1 to 3000 jiffies, armed at once on one
 * wheel, fires exactly once, never early, exactly on time below 64 jiffies
 * (level 0), and at most 1/8 of the delay late above (a level is used only
 * for delays of at least 63 steps of the level below). Checked from four
 * origins of jiffies, one of them just before the 64-bit wrap, and at
 * HZ 100 (8 levels) and HZ 1000, in deterministic mode: the test is the
 * tick, so the firing jiffy is exact.
 */
#include "harness.h"

#define MAX_DELAY 3000

struct probe {
	struct bh_timer t;
	unsigned long expires, fired;
	int runs;
};

static struct probe probes[MAX_DELAY + 1];

static void fire(struct bh_timer *t)
{
	struct probe *p = bh_from_timer(p, t, t);
	p->fired = bh_jiffies();
	p->runs++;
}

static void check_wheel(unsigned long initial, unsigned int hz)
{
	struct bh_config cfg;
	th_log_clear();
	th_config(&cfg, 1, true);
	cfg.initial_jiffies = initial;
	cfg.hz = hz;
	assert_int_equal(bh_init(&cfg), 0);
	assert_int_equal(bh_thread_set_cpu(0), 0);

	unsigned long j0 = bh_jiffies();
	for (int d = 1; d <= MAX_DELAY; d++) {
		struct probe *p = &probes[d];
		memset(p, 0, sizeof(*p));
		bh_timer_setup(&p->t, fire, 0);
		p->expires = j0 + (unsigned long)d;
		assert_int_equal(bh_mod_timer(&p->t, p->expires), 0);
	}
	/* Enough ticks for the latest allowed firing (d + d/8). */
	for (int i = 0; i < MAX_DELAY + MAX_DELAY / 8 + 64; i++) {
		assert_int_equal(bh_advance_jiffies(1), 0);
		assert_true(bh_run_all(0) >= 0);
	}
	for (int d = 1; d <= MAX_DELAY; d++) {
		struct probe *p = &probes[d];
		long late = (long)(p->fired - p->expires);
		if (p->runs != 1 || late < 0 || (d < 64 && late != 0) ||
		    late > d / 8)
			fail_msg("start %#lx HZ %u: delay %d ran %d times, %ld "
				 "jiffies late",
				 j0, hz, d, p->runs, late);
	}
	assert_int_equal(bh_shutdown(), 0);
	bh_thread_set_cpu(-1);
}

static void test_k2_k3_default_origin(void **state)
{
	(void)state;
	check_wheel(0, 250); /* the kernel's INITIAL_JIFFIES */
}

static void test_k2_k3_across_64bit_wrap(void **state)
{
	(void)state;
	check_wheel((unsigned long)-1500, 250);
}

static void test_k3_hz100_eight_levels(void **state)
{
	(void)state;
	check_wheel(0x7ffffffffffff000ul, 100);
}

static void test_k3_hz1000(void **state)
{
	(void)state;
	check_wheel(12345, 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_k2_k3_default_origin),
		cmocka_unit_test(test_k2_k3_across_64bit_wrap),
		cmocka_unit_test(test_k3_hz100_eight_levels),
		cmocka_unit_test(test_k3_hz1000),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
