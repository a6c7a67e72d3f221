/* SPDX-License-Identifier: MIT */
/*
 * Timer expiry times (SPEC K1-K3), in deterministic mode: no library
 * thread, virtual jiffies. One bh_advance_jiffies(1) is one tick; the
 * softirqs it raises are then run with bh_run_all(), so the jiffy a
 * callback sees is exactly the tick at which the timer expired.
 *
 * The bounds asserted for K3 come from the wheel as the headers describe
 * it: 64 buckets per level, level n in steps of 8^n, an expiry rounded up
 * to the step of its level, and level n (n >= 1) used only for delays of
 * at least 63 * 8^(n-1) jiffies. So a timer with delay d >= 64 fires at
 * J + d rounded up to a multiple of 8^k for some level k whose threshold d
 * reaches; in particular it is less than 8^n late, n being the highest
 * such level, which is at most 8d/63 ("about 1/8 of the delay").
 *
 * Callbacks never assert (a cmocka failure would longjmp out of the
 * library mid-softirq); they record, the test asserts afterwards.
 */
#include "harness.h"

#include <limits.h>

#define NSEQ	       5000 /* delays 1..NSEQ */
#define NRAND	       300  /* and this many random ones */
#define RAND_MAX_DELAY 20000ul
#define NTIMERS	       (NSEQ + NRAND)

struct wt {
	struct bh_timer t;
	unsigned long armed; /* jiffies at arming */
	unsigned long delay;
	unsigned long fired; /* jiffies seen by the (last) callback */
	unsigned int runs;
	int cpu;
	bool serving;
};

static struct wt wts[NTIMERS];

static void wt_cb(struct bh_timer *t)
{
	struct wt *w = bh_from_timer(w, t, t);

	w->fired = bh_jiffies();
	w->runs++;
	w->cpu = bh_smp_processor_id();
	w->serving = bh_in_serving_softirq();
}

/* xorshift64*, seeded per test: failures replay exactly. */
static uint64_t rng_state;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Dull;
}

static void tick(void)
{
	assert_int_equal(bh_advance_jiffies(1), 0);
	assert_true(bh_run_all(0) >= 0);
}

static void init_hz(unsigned int hz, unsigned long initial)
{
	struct bh_config cfg;

	th_log_clear();
	th_config(&cfg, 1, true);
	cfg.hz = hz;
	cfg.initial_jiffies = initial;
	assert_int_equal(bh_init(&cfg), 0);
	assert_int_equal(bh_thread_set_cpu(0), 0);
}

/* 8^n */
static unsigned long step_of(unsigned int n)
{
	return 1ul << (3 * n);
}

/*
 * The highest level the documented rule allows for delay d: level n >= 1
 * needs d >= 63 * 8^(n-1); `depth` levels exist (9, or 8 at HZ <= 100).
 */
static unsigned int max_level(unsigned long d, unsigned int depth)
{
	unsigned int n = 0;

	while (n + 1 < depth && d >= 63 * step_of(n))
		n++;
	return n;
}

/* x rounded up to a multiple of step (a power of two), wrap-safe. */
static unsigned long round_up_to(unsigned long x, unsigned long step)
{
	return (x + step - 1) & ~(step - 1);
}

/* K2 for one timer: fired once, never early, exactly on time below 64. */
static bool k2_ok(const struct wt *w)
{
	long late = (long)(w->fired - (w->armed + w->delay));

	return w->runs == 1 && late >= 0 && (w->delay >= 64 || late == 0);
}

/*
 * K3 for one timer: J + d rounded up to 8^k for a level k that the delay
 * may use, hence less than 8^n late for the highest such level n.
 */
static bool k3_ok(const struct wt *w, unsigned int depth)
{
	unsigned long due = w->armed + w->delay;
	unsigned int n = max_level(w->delay, depth);

	if (w->runs != 1 || w->fired - due >= step_of(n))
		return false;
	for (unsigned int k = 0; k <= n; k++)
		if (w->fired == round_up_to(due, step_of(k)))
			return true;
	return false;
}

/* Every timer of wts[0..n) passes `ok`; print the first few that do not. */
static void check_all(unsigned int n, unsigned int depth,
		      bool (*ok)(const struct wt *w, unsigned int depth))
{
	unsigned int bad = 0;

	for (unsigned int i = 0; i < n; i++) {
		const struct wt *w = &wts[i];

		if (ok(w, depth))
			continue;
		if (bad++ < 10)
			print_message("delay %lu armed at %lu (%lu mod 512): "
				      "runs %u, fired at %lu, %ld late; "
				      "levels <= %u allowed (< %lu late)\n",
				      w->delay, w->armed, w->armed % 512,
				      w->runs, w->fired,
				      (long)(w->fired - w->armed - w->delay),
				      max_level(w->delay, depth),
				      step_of(max_level(w->delay, depth)));
	}
	if (bad)
		fail_msg("%u of %u timers out of bounds", bad, n);
}

static bool k2_check(const struct wt *w, unsigned int depth)
{
	(void)depth;
	return k2_ok(w);
}

/*
 * Arm every timer of wts[0..n) at the current jiffy and tick one jiffy at a
 * time until all have fired, or until d + d/4 + 64 ticks have passed for
 * the longest (then one that never fired shows as runs 0).
 */
static void arm_and_run(unsigned int n)
{
	unsigned long now = bh_jiffies(), last = 0, fired = 0;

	for (unsigned int i = 0; i < n; i++) {
		struct wt *w = &wts[i];

		bh_timer_setup(&w->t, wt_cb, 0);
		w->armed = now;
		w->runs = 0;
		w->fired = 0;
		assert_int_equal(bh_mod_timer(&w->t, now + w->delay), 0);
		assert_true(bh_timer_pending(&w->t));
		if (w->delay + w->delay / 4 + 64 > last)
			last = w->delay + w->delay / 4 + 64;
	}
	for (unsigned long k = 1; k <= last && fired < n; k++) {
		tick();
		/* Counting every tick would cost n per tick. */
		if ((k & 63) == 0) {
			fired = 0;
			for (unsigned int i = 0; i < n; i++)
				fired += wts[i].runs != 0;
		}
	}
	for (unsigned int i = 0; i < n; i++)
		assert_false(bh_timer_pending(&wts[i].t));
}

/* Delays 1..NSEQ and NRAND random ones, from a fresh unaligned jiffy. */
static void fill_delays(void)
{
	for (unsigned int i = 0; i < NSEQ; i++)
		wts[i].delay = i + 1;
	for (unsigned int i = NSEQ; i < NTIMERS; i++)
		wts[i].delay = 1 + rng() % RAND_MAX_DELAY;
	/* Idle ticks: a new starting jiffy, differently aligned. */
	assert_int_equal(bh_advance_jiffies(2 + rng() % 4096), 0);
	assert_true(bh_run_all(0) >= 0);
}

/*
 * SPEC K1: HZ defaults to 250 (Kconfig's default), timers count jiffies,
 * and jiffies moves once per tick.
 */
static void test_k1_hz_and_jiffies(void **state)
{
	(void)state;
	struct wt *w = &wts[0];

	th_init_cpu0(1, true);
	assert_int_equal(bh_hz(), 250);
	assert_int_equal(bh_msecs_to_jiffies(1000), 250);
	assert_int_equal(bh_msecs_to_jiffies(100), 25);

	unsigned long j = bh_jiffies();
	tick();
	assert_int_equal(bh_jiffies(), j + 1);

	/* A 100 ms timer is a 25-jiffy timer. */
	bh_timer_setup(&w->t, wt_cb, 0);
	w->runs = 0;
	j = bh_jiffies();
	assert_int_equal(bh_mod_timer(&w->t, j + bh_msecs_to_jiffies(100)), 0);
	for (int k = 0; k < 24; k++)
		tick();
	assert_int_equal(w->runs, 0);
	tick();
	assert_int_equal(w->runs, 1);
	assert_int_equal(w->fired, j + 25);
	th_shutdown();
}

/*
 * SPEC K2: delays 1..5000 and random ones up to 20000, all armed at the
 * same jiffy J, in three rounds that start at different offsets. Each
 * fires once, never before J + d, and at exactly J + d when d < 64 (level
 * 0, one-jiffy buckets).
 */
static void test_k2_never_early_exact_below_64(void **state)
{
	(void)state;

	rng_state = 0x7157e5eedull;
	th_init_cpu0(1, true);
	for (int round = 0; round < 3; round++) {
		fill_delays();
		arm_and_run(NTIMERS);
		check_all(NTIMERS, 9, k2_check);
	}
	assert_int_equal(bh_warn_count(), 0);
	th_shutdown();
}

/*
 * SPEC K3: the same delays; from 64 on, each fires at J + d rounded up to
 * the step of a level its delay may use (see the top of the file), so
 * less than 8^n late, at most about 1/8 of the delay.
 */
static void test_k3_rounded_to_level_step(void **state)
{
	(void)state;

	rng_state = 0x7157e5eedull;
	th_init_cpu0(1, true);
	for (int round = 0; round < 3; round++) {
		fill_delays();
		arm_and_run(NTIMERS);
		check_all(NTIMERS, 9, k3_ok);
	}
	th_shutdown();
}

/*
 * SPEC K3, one case of the above spelled out. From jiffy 13 a delay of 500
 * (below 63 * 8 = 504, so level 1, steps of 8) is due at 513 and must fire
 * by 520; even the loose "at most d/8 late" allows 575. Level 1's 64
 * buckets, counted from its first step not yet expired (jiffy 16), reach
 * 16 + 63 * 8 = 520, so 513 rounded up to 520 fits there. Counted from the
 * step that holds jiffy 13 (jiffy 8, already expired), the window ends at
 * 512 and the timer would go to level 2, at 576.
 */
static void test_k3_delay_500_from_jiffy_13(void **state)
{
	(void)state;
	struct wt *w = &wts[0];

	init_hz(250, 13);
	bh_timer_setup(&w->t, wt_cb, 0);
	w->runs = 0;
	w->armed = bh_jiffies();
	w->delay = 500;
	assert_int_equal(w->armed, 13);
	assert_int_equal(bh_mod_timer(&w->t, 513), 0);
	for (int k = 0; k < 600 && !w->runs; k++)
		tick();
	assert_int_equal(w->runs, 1);
	if (w->fired > 520)
		fail_msg("delay 500 from jiffy 13 fired at %lu, %lu late "
			 "(want 513..520; d/8 = 62)",
			 w->fired, w->fired - 513);
	assert_true(w->fired >= 513);
	th_shutdown();
}

/*
 * SPEC K2 across the wrap of unsigned long: the clock starts 300 jiffies
 * before it wraps to 0, so every expiry below lies past the wrap.
 */
static void test_k2_across_wrap(void **state)
{
	(void)state;

	init_hz(250, ULONG_MAX - 299);
	for (unsigned int i = 0; i < 1000; i++)
		wts[i].delay = i + 1;
	arm_and_run(1000);
	check_all(1000, 9, k2_check);
	assert_true(bh_jiffies() < 1000); /* it did wrap */
	assert_int_equal(bh_warn_count(), 0);
	th_shutdown();
}

/* Ticks `n` jiffies in chunks of at most `chunk` (the last one exact). */
static void advance_by(unsigned long n, unsigned long chunk)
{
	while (n) {
		unsigned long s = n < chunk ? n : chunk;

		assert_int_equal(bh_advance_jiffies(s), 0);
		assert_true(bh_run_all(0) >= 0);
		n -= s;
	}
}

/*
 * SPEC K3, depth at HZ 250: 9 levels, so a delay beyond the reach of level
 * 7 (64 * 8^7 jiffies) lands on level 8 and is rounded up to a multiple of
 * 8^8. Chunked ticks never pass a multiple of 8^8 without stopping on it,
 * so the firing jiffy is exact.
 */
static void test_k3_nine_levels_at_hz250(void **state)
{
	(void)state;
	struct wt *w = &wts[0];
	const unsigned long d = 200000000ul; /* > 64 * 8^7 = 134217728 */

	th_init_cpu0(1, true);
	bh_timer_setup(&w->t, wt_cb, 0);
	w->runs = 0;
	w->armed = bh_jiffies();
	w->delay = d;
	unsigned long due = w->armed + d;
	unsigned long at = round_up_to(due, step_of(8));
	assert_int_equal(bh_mod_timer(&w->t, due), 0);

	/* Up to J + d - 1 in chunks that end on every multiple of 8^5. */
	unsigned long chunk = step_of(5);
	unsigned long first = round_up_to(w->armed + 1, chunk) - w->armed;
	advance_by(first, chunk);
	advance_by(due - 1 - bh_jiffies(), chunk);
	assert_int_equal(w->runs, 0);
	assert_true(bh_timer_pending(&w->t));
	/* Level 8's step: not at J + d, but at the next multiple of 8^8. */
	if (at != due) {
		tick();
		assert_int_equal(w->runs, 0);
		advance_by(at - 1 - bh_jiffies(), chunk);
		assert_int_equal(w->runs, 0);
	}
	tick();
	assert_int_equal(w->runs, 1);
	assert_int_equal(w->fired, at);
	assert_true(at - due < d / 8);
	th_shutdown();
}

/*
 * SPEC K3, depth at HZ 100: 8 levels. The same long delay is beyond the
 * last level's reach there; it must still fire, never early and at most
 * about 1/8 late. (How the library parks such a timer is internal; the
 * chunks here end on every multiple of 8^4, so lateness is measured to
 * within one chunk.)
 */
static void test_k3_eight_levels_at_hz100(void **state)
{
	(void)state;
	struct wt *w = &wts[0];
	const unsigned long d = 200000000ul; /* > 64 * 8^7 */
	const unsigned long chunk = step_of(4);

	init_hz(100, 0);
	assert_int_equal(bh_hz(), 100);
	bh_timer_setup(&w->t, wt_cb, 0);
	w->runs = 0;
	w->armed = bh_jiffies();
	unsigned long due = w->armed + d;
	assert_int_equal(bh_mod_timer(&w->t, due), 0);

	advance_by(round_up_to(w->armed + 1, chunk) - w->armed, chunk);
	advance_by(due - 1 - bh_jiffies(), chunk);
	assert_int_equal(w->runs, 0);
	assert_true(bh_timer_pending(&w->t));
	/* Level 7 is the last at HZ 100: less than 8^7 late. */
	for (unsigned long k = 0; k < step_of(7) / chunk + 2 && !w->runs; k++)
		advance_by(k == 0 ? 1 : chunk, chunk);
	assert_int_equal(w->runs, 1);
	assert_false(bh_timer_pending(&w->t));
	assert_true(bh_time_after_eq(w->fired, due));
	assert_true(w->fired - due < step_of(7) + chunk);
	th_shutdown();
}

/* SPEC K2/K4: the callback runs in TIMER_SOFTIRQ, once per arming. */
static void test_k2_rearm_after_fire(void **state)
{
	(void)state;
	struct wt *w = &wts[0];

	th_init_cpu0(1, true);
	bh_timer_setup(&w->t, wt_cb, 0);
	w->runs = 0;
	for (unsigned int i = 1; i <= 70; i++) {
		unsigned long j = bh_jiffies();
		unsigned long long before =
			bh_softirq_count(0, BH_TIMER_SOFTIRQ);

		assert_int_equal(bh_mod_timer(&w->t, j + i % 7 + 1), 0);
		for (unsigned int k = 0; k < i % 7 + 1; k++)
			tick();
		assert_int_equal(w->runs, i);
		assert_int_equal(w->fired, j + i % 7 + 1);
		assert_true(w->serving);
		assert_true(bh_softirq_count(0, BH_TIMER_SOFTIRQ) > before);
	}
	th_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_k1_hz_and_jiffies, th_teardown),
		cmocka_unit_test_teardown(test_k2_never_early_exact_below_64,
					  th_teardown),
		cmocka_unit_test_teardown(test_k3_rounded_to_level_step,
					  th_teardown),
		cmocka_unit_test_teardown(test_k3_delay_500_from_jiffy_13,
					  th_teardown),
		cmocka_unit_test_teardown(test_k2_across_wrap, th_teardown),
		cmocka_unit_test_teardown(test_k2_rearm_after_fire,
					  th_teardown),
		cmocka_unit_test_teardown(test_k3_nine_levels_at_hz250,
					  th_teardown),
		cmocka_unit_test_teardown(test_k3_eight_levels_at_hz100,
					  th_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
