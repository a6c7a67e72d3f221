/* SPDX-License-Identifier: MIT */
/*
 * Delays and clocks. msleep(ms) sleeps msecs_to_jiffies(ms) + 1 jiffies,
 * as the kernel's (the next jiffy may begin at once), checked step by
 * step on the virtual clock; on the real clock it sleeps at least the time
 * asked (only the lower bound is asserted: no wall-clock upper bounds).
 * msleep_interruptible() returns the milliseconds left when a signal
 * handler ends it; msleep() is not ended by one. udelay()/ndelay()/
 * mdelay() busy-wait and are allowed in atomic context; msleep() and
 * usleep_range() report the might_sleep splat there (SPEC U8, M15).
 * ktime is CLOCK_MONOTONIC in every mode.
 */
#include "harness.h"

#include <pthread.h>
#include <signal.h>

static int setup_det(void **state)
{
	(void)state;
	th_init_cpu0(1, true);
	return 0;
}

static int setup_real(void **state)
{
	(void)state;
	th_init_cpu0(1, false);
	return 0;
}

/* ---- a sleeper thread --------------------------------------------------- */

enum sleep_kind { S_MSLEEP, S_MSLEEP_INTR, S_SSLEEP };

struct sleeper {
	pthread_t th;
	enum sleep_kind kind;
	unsigned int arg;
	unsigned long tid;  /* set once running */
	unsigned long done; /* set when the call returned */
	unsigned long ret;
};

static void *sleeper_fn(void *arg)
{
	struct sleeper *s = arg;
	unsigned long r = 0;

	th_st(&s->tid, th_tid());
	switch (s->kind) {
	case S_MSLEEP:
		bh_msleep(s->arg);
		break;
	case S_MSLEEP_INTR:
		r = bh_msleep_interruptible(s->arg);
		break;
	case S_SSLEEP:
		bh_ssleep(s->arg);
		break;
	}
	s->ret = r;
	th_st(&s->done, 1);
	return NULL;
}

/* Never reused, so a sleeper a failed test leaves behind writes nowhere. */
static struct sleeper sleepers[32];
static unsigned int nr_sleepers;

/* Starts a sleeper; returns once it sleeps (so it has read the clock). */
static struct sleeper *start_sleeper(enum sleep_kind kind, unsigned int arg)
{
	assert_true(nr_sleepers < sizeof(sleepers) / sizeof(sleepers[0]));
	struct sleeper *s = &sleepers[nr_sleepers++];
	s->kind = kind;
	s->arg = arg;
	assert_int_equal(pthread_create(&s->th, NULL, sleeper_fn, s), 0);
	assert_true(th_wait_ge(&s->tid, 1));
	assert_true(th_wait_asleep(th_ld(&s->tid)));
	assert_false(th_ld(&s->done));
	return s;
}

static unsigned long finish(struct sleeper *s)
{
	assert_true(th_wait_ge(&s->done, 1));
	assert_int_equal(pthread_join(s->th, NULL), 0);
	return s->ret;
}

/*
 * Step the virtual clock one jiffy at a time: `s` must still be asleep
 * (having looked at the clock again) after each of the first `ticks` - 1
 * steps, and return after the last.
 */
static void step_until_return(struct sleeper *s, unsigned long ticks)
{
	for (unsigned long k = 1; k < ticks; k++) {
		assert_int_equal(bh_advance_jiffies(1), 0);
		assert_true(th_wait_polled(th_ld(&s->tid), &s->done));
		if (th_ld(&s->done))
			fail_msg("returned after %lu of %lu jiffies", k, ticks);
	}
	assert_int_equal(bh_advance_jiffies(1), 0);
	finish(s);
}

/* ---- msleep on the virtual clock --------------------------------------- */

/*
 * The kernel's msleep(): msecs_to_jiffies(ms) + 1 jiffies, never fewer
 * (a sleep that began just before a tick must not be cut short by it).
 */
static void test_msleep_sleeps_msecs_to_jiffies_plus_one(void **state)
{
	(void)state;
	const unsigned int ms[] = {20, 1, 0, 7};

	for (unsigned int i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
		unsigned long ticks = bh_msecs_to_jiffies(ms[i]) + 1;
		step_until_return(start_sleeper(S_MSLEEP, ms[i]), ticks);
	}
	/* At HZ=250, 20 ms is 5 jiffies: the sleep is 6. */
	assert_int_equal(bh_hz(), 250);
	assert_int_equal(bh_msecs_to_jiffies(20) + 1, 6);
	assert_int_equal(bh_warn_count(), 0);
}

/* ssleep(s) is msleep(s * 1000): HZ + 1 jiffies for one second. */
static void test_ssleep_on_virtual_clock(void **state)
{
	(void)state;
	struct sleeper *s = start_sleeper(S_SSLEEP, 1);

	assert_int_equal(bh_advance_jiffies(bh_hz()), 0);
	assert_true(th_wait_polled(th_ld(&s->tid), &s->done));
	assert_false(th_ld(&s->done));
	assert_int_equal(bh_advance_jiffies(1), 0);
	finish(s);
}

/* msleep_interruptible() that no signal ends returns 0. */
static void test_msleep_interruptible_full_returns_0(void **state)
{
	(void)state;
	struct sleeper *s = start_sleeper(S_MSLEEP_INTR, 8);

	step_until_return(s, bh_msecs_to_jiffies(8) + 1);
	assert_int_equal(s->ret, 0);
}

static unsigned long usr1_handled;

static void on_usr1(int sig)
{
	(void)sig;
	__atomic_fetch_add(&usr1_handled, 1, __ATOMIC_RELAXED);
}

/*
 * The kernel's msleep_interruptible(): a signal ends it early and it
 * returns the time left, jiffies_to_msecs() of the jiffies remaining.
 */
static void test_msleep_interruptible_signal_returns_left(void **state)
{
	(void)state;
	th_set_interrupting_handler(SIGUSR1, on_usr1);
	struct sleeper *s = start_sleeper(S_MSLEEP_INTR, 1000);

	assert_int_equal(bh_advance_jiffies(50), 0);
	assert_true(th_wait_polled(th_ld(&s->tid), &s->done));
	assert_true(th_kill_until(s->th, SIGUSR1, &s->done));
	unsigned long left = finish(s);
	/* 251 jiffies asked, 50 passed: 201 left, 804 ms at HZ=250. */
	assert_int_equal(
		left, bh_jiffies_to_msecs(bh_msecs_to_jiffies(1000) + 1 - 50));
	assert_true(left > 0);
	assert_true(th_ld(&usr1_handled) >= 1);
	th_set_handler(SIGUSR1, SIG_DFL);
}

/* msleep() is not interruptible: handlers run, it sleeps on. */
static void test_msleep_not_ended_by_signal(void **state)
{
	(void)state;
	th_set_interrupting_handler(SIGUSR1, on_usr1);
	struct sleeper *s = start_sleeper(S_MSLEEP, 4);
	unsigned long ticks = bh_msecs_to_jiffies(4) + 1;

	for (int i = 0; i < 5; i++) {
		assert_int_equal(pthread_kill(s->th, SIGUSR1), 0);
		assert_true(th_wait_polled(th_ld(&s->tid), &s->done));
		assert_false(th_ld(&s->done));
	}
	step_until_return(s, ticks);
	th_set_handler(SIGUSR1, SIG_DFL);
}

/* ---- on the real clock: lower bounds only ------------------------------ */

static void test_msleep_real_sleeps_at_least_asked(void **state)
{
	(void)state;
	const unsigned int ms[] = {1, 5, 12};

	for (unsigned int i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
		uint64_t t0 = th_now_ns();
		bh_msleep(ms[i]);
		assert_true(th_now_ns() - t0 >= ms[i] * 1000000ull);

		t0 = th_now_ns();
		assert_int_equal(bh_msleep_interruptible(ms[i]), 0);
		assert_true(th_now_ns() - t0 >= ms[i] * 1000000ull);
	}
	uint64_t t0 = th_now_ns();
	bh_usleep_range(1500, 3000);
	assert_true(th_now_ns() - t0 >= 1500000ull);
	assert_int_equal(th_log.messages, 0);
}

/* A signal ends a real-clock msleep_interruptible() with time left. */
static void test_msleep_interruptible_real_signal(void **state)
{
	(void)state;
	th_set_interrupting_handler(SIGUSR1, on_usr1);
	struct sleeper *s = start_sleeper(S_MSLEEP_INTR, 5000);

	assert_true(th_kill_until(s->th, SIGUSR1, &s->done));
	unsigned long left = finish(s);
	assert_true(left > 0);
	assert_true(left <= bh_jiffies_to_msecs(bh_msecs_to_jiffies(5000) + 1));
	th_set_handler(SIGUSR1, SIG_DFL);
}

/* ---- busy-wait delays: any context -------------------------------------- */

/* Each delay in turn; asserts it waited at least what it was asked. */
static void busy_delays(void)
{
	uint64_t t0 = th_now_ns();
	bh_ndelay(50000);
	uint64_t t1 = th_now_ns();
	bh_udelay(300);
	uint64_t t2 = th_now_ns();
	bh_mdelay(2);
	uint64_t t3 = th_now_ns();

	assert_true(t1 - t0 >= 50000u);
	assert_true(t2 - t1 >= 300000u);
	assert_true(t3 - t2 >= 2000000u);
}

static unsigned long delayed_in_tasklet;

static void delaying_tasklet(struct bh_tasklet *t)
{
	(void)t;
	uint64_t t0 = th_now_ns();
	bh_udelay(200);
	bh_mdelay(1);
	if (th_now_ns() - t0 >= 1200000u)
		th_inc(&delayed_in_tasklet);
}

/*
 * udelay()/ndelay()/mdelay() busy-wait, so the kernel allows them in
 * atomic context: no splat there (SPEC U8 names the calls that may sleep),
 * and they still wait at least the time asked.
 */
static void test_busy_delays_allowed_in_atomic_context(void **state)
{
	(void)state;
	BH_DEFINE_SPINLOCK(lock);

	busy_delays();
	bh_local_bh_disable();
	busy_delays();
	bh_local_bh_enable();
	bh_spin_lock(&lock);
	busy_delays();
	bh_spin_unlock(&lock);
	bh_irq_enter();
	busy_delays();
	bh_irq_exit();
	unsigned long flags = bh_local_irq_save();
	busy_delays();
	bh_local_irq_restore(flags);

	struct bh_tasklet t;
	bh_tasklet_setup(&t, delaying_tasklet);
	assert_int_equal(bh_tasklet_schedule(&t), 1);
	assert_true(bh_run_softirqs(0) >= 1);
	assert_int_equal(th_ld(&delayed_in_tasklet), 1);

	if (th_log.messages)
		fprintf(stderr, "log:\n%s\n", th_log.text);
	assert_int_equal(th_log.messages, 0);
	assert_int_equal(bh_warn_count(), 0);
}

/* ---- sleeping delays from atomic context: the splat -------------------- */

#define SPLAT "BUG: sleeping function called from invalid context"

static void expect_splat(void)
{
	if (!th_log_has(SPLAT))
		fprintf(stderr, "log:\n%s\n", th_log.text);
	assert_true(th_log_has(SPLAT));
	assert_true(th_log_has("Call Trace:"));
}

/* SPEC U8, M15: msleep() with bh disabled (on the real clock, so that it
 * ends by itself). */
static void test_u8_msleep_in_atomic_context_splats(void **state)
{
	(void)state;
	th_log_clear();
	bh_local_bh_disable();
	bh_msleep(1);
	bh_local_bh_enable();
	expect_splat();
}

/* SPEC U8, M15: msleep_interruptible() with a spinlock held. */
static void test_u8_msleep_interruptible_in_atomic_context_splats(void **state)
{
	(void)state;
	BH_DEFINE_SPINLOCK(lock);

	th_log_clear();
	bh_spin_lock(&lock);
	assert_int_equal(bh_msleep_interruptible(1), 0);
	bh_spin_unlock(&lock);
	expect_splat();
}

static unsigned long slept_in_tasklet;

static void sleeping_tasklet(struct bh_tasklet *t)
{
	(void)t;
	bh_usleep_range(100, 200);
	th_inc(&slept_in_tasklet);
}

/* SPEC U8, M15: usleep_range() with bh disabled, irqs off, in a tasklet. */
static void test_u8_usleep_range_in_atomic_context_splats(void **state)
{
	(void)state;
	assert_int_equal(bh_advance_jiffies(bh_hz() + 1), 0);
	th_log_clear();
	bh_local_bh_disable();
	bh_usleep_range(100, 200);
	bh_local_bh_enable();
	expect_splat();

	assert_int_equal(bh_advance_jiffies(bh_hz() + 1), 0);
	th_log_clear();
	unsigned long flags = bh_local_irq_save();
	bh_usleep_range(100, 200);
	bh_local_irq_restore(flags);
	expect_splat();

	struct bh_tasklet t;
	bh_tasklet_setup(&t, sleeping_tasklet);
	assert_int_equal(bh_advance_jiffies(bh_hz() + 1), 0);
	th_log_clear();
	assert_int_equal(bh_tasklet_schedule(&t), 1);
	assert_true(bh_run_softirqs(0) >= 1);
	assert_int_equal(th_ld(&slept_in_tasklet), 1);
	expect_splat();
	assert_true(th_log_has("in tasklet"));

	/* Task context: silent. */
	th_log_clear();
	bh_usleep_range(10, 20);
	assert_int_equal(th_log.messages, 0);
}

/* ---- ktime --------------------------------------------------------------- */

/* ktime is CLOCK_MONOTONIC: never goes back, and lies between two reads
 * of that clock taken around it. */
static void check_ktime_is_monotonic_clock(void)
{
	bh_ktime_t prev = bh_ktime_get();
	for (int i = 0; i < 10000; i++) {
		bh_ktime_t now = bh_ktime_get();
		assert_true(bh_ktime_compare(now, prev) >= 0);
		prev = now;
	}
	for (int i = 0; i < 100; i++) {
		uint64_t a = th_now_ns();
		uint64_t k = bh_ktime_get_ns();
		bh_ktime_t kt = bh_ktime_get();
		uint64_t b = th_now_ns();
		assert_true(a <= k && k <= b);
		assert_true((int64_t)a <= kt && kt <= (int64_t)b);
		assert_true(k <= (uint64_t)kt);
	}
	for (int i = 0; i < 100; i++) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t a = (uint64_t)ts.tv_sec * 1000000000u +
			     (uint64_t)ts.tv_nsec;
		uint64_t k = bh_ktime_get_real_ns();
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t b = (uint64_t)ts.tv_sec * 1000000000u +
			     (uint64_t)ts.tv_nsec;
		assert_true(a <= k && k <= b);
	}
}

static void test_ktime_real_clock_in_every_mode(void **state)
{
	(void)state;
	check_ktime_is_monotonic_clock();
	/* Moving the virtual clock 100 s does not move ktime. */
	assert_int_equal(bh_advance_jiffies(100ul * bh_hz()), 0);
	check_ktime_is_monotonic_clock();
}

static void test_ktime_conversions(void **state)
{
	(void)state;
	assert_int_equal(bh_ktime_to_ns(1234567), 1234567);
	assert_int_equal(bh_ktime_to_us(1234567), 1234);
	assert_int_equal(bh_ktime_to_ms(1234567), 1);
	assert_int_equal(bh_ktime_to_ms(bh_ms_to_ktime(3)), 3);
	assert_int_equal(bh_ms_to_ktime(3), 3000000);
	assert_int_equal(bh_ns_to_ktime(42), 42);
	assert_int_equal(bh_ktime_add(bh_ms_to_ktime(2), 5), 2000005);
	assert_int_equal(bh_ktime_sub(bh_ms_to_ktime(2), bh_ms_to_ktime(3)),
			 -1000000);
	assert_int_equal(bh_ktime_compare(1, 2), -1);
	assert_int_equal(bh_ktime_compare(2, 2), 0);
	assert_int_equal(bh_ktime_compare(3, 2), 1);
	/* A delta of ktime reads measures a real delay. */
	bh_ktime_t t0 = bh_ktime_get();
	bh_udelay(100);
	assert_true(bh_ktime_to_us(bh_ktime_sub(bh_ktime_get(), t0)) >= 100);
}

#define DET(f)	cmocka_unit_test_setup_teardown(f, setup_det, th_teardown)
#define REAL(f) cmocka_unit_test_setup_teardown(f, setup_real, th_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		DET(test_msleep_sleeps_msecs_to_jiffies_plus_one),
		DET(test_ssleep_on_virtual_clock),
		DET(test_msleep_interruptible_full_returns_0),
		DET(test_msleep_interruptible_signal_returns_left),
		DET(test_msleep_not_ended_by_signal),
		REAL(test_msleep_real_sleeps_at_least_asked),
		REAL(test_msleep_interruptible_real_signal),
		DET(test_busy_delays_allowed_in_atomic_context),
		REAL(test_u8_msleep_in_atomic_context_splats),
		REAL(test_u8_msleep_interruptible_in_atomic_context_splats),
		DET(test_u8_usleep_range_in_atomic_context_splats),
		DET(test_ktime_real_clock_in_every_mode),
		DET(test_ktime_conversions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
