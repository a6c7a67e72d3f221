/* SPDX-License-Identifier: MIT */
/*
 * The runtime's life cycle and its answers to bad input (SPEC U9, U6 in
 * part): calls before bh_init() fail with -ENXIO, bh_init() refuses a
 * second start and out-of-range settings, vector and CPU numbers are
 * checked, running softirqs from atomic context is refused with -EDEADLK,
 * an unbalanced bh enable warns instead of corrupting the count, and the
 * ksoftirqd/N threads exist exactly while the runtime runs.
 */
#include "harness.h"

#include "thread_names.h"

#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

static unsigned long net_rx_calls;
static int run_in_handler = 1;
static void net_rx(void)
{
	net_rx_calls++;
	run_in_handler = bh_run_softirqs(0);
}

static void tasklet_fn(struct bh_tasklet *t)
{
	(void)t;
}

/* SPEC U9 */
static void test_u9_calls_before_init_fail_with_enxio(void **state)
{
	(void)state;
	struct bh_tasklet t;
	bh_tasklet_setup(&t, tasklet_fn);
	assert_false(bh_running());
	assert_int_equal(bh_nr_cpus(), 0);
	assert_int_equal(bh_hz(), 250);
	assert_int_equal(bh_raise_softirq(BH_NET_RX_SOFTIRQ), -ENXIO);
	assert_int_equal(bh_raise_softirq_irqoff(BH_NET_RX_SOFTIRQ), -ENXIO);
	assert_int_equal(bh_run_softirqs(0), -ENXIO);
	assert_int_equal(bh_advance_jiffies(1), -ENXIO);
	assert_int_equal(bh_tasklet_schedule(&t), -ENXIO);
	assert_int_equal(bh_shutdown(), -ENXIO);
	assert_int_equal(bh_softirq_pending(0), 0);
	assert_int_equal(bh_softirq_count(0, BH_NET_RX_SOFTIRQ), 0);
	assert_int_equal(bh_thread_set_cpu(0), -ENXIO);
	assert_int_equal(bh_thread_set_cpu(-1), 0);
	assert_int_equal(bh_run_all(0), -ENXIO);
}

/* SPEC U9 */
static void test_u9_config_defaults(void **state)
{
	(void)state;
	struct bh_config cfg;
	memset(&cfg, 0x5a, sizeof(cfg));
	bh_config_init(&cfg);
	assert_int_equal(cfg.nr_cpus, 0);
	assert_false(cfg.deterministic);
	assert_false(cfg.warn_fatal);
	assert_true(cfg.hz == 0 || cfg.hz == 250);
	assert_int_equal(cfg.initial_jiffies, 0);
	assert_null(cfg.log);
	assert_int_equal(cfg.log_level, BH_LOG_DEBUG);
}

/* SPEC U9 */
static void test_u9_init_twice_is_ealready(void **state)
{
	(void)state;
	th_init(1, true);
	struct bh_config cfg;
	th_config(&cfg, 1, true);
	assert_int_equal(bh_init(&cfg), -EALREADY);
	assert_int_equal(bh_init(NULL), -EALREADY);
	assert_true(bh_running());
	assert_int_equal(bh_nr_cpus(), 1);
	th_shutdown();
	assert_false(bh_running());
	assert_int_equal(bh_shutdown(), -ENXIO);
	/* And it can start again. */
	th_init(2, true);
	assert_int_equal(bh_nr_cpus(), 2);
	th_shutdown();
}

static void expect_init(int nr_cpus, unsigned int hz, int want)
{
	struct bh_config cfg;
	th_config(&cfg, nr_cpus, true);
	cfg.hz = hz;
	print_message("nr_cpus %d hz %u -> %d\n", nr_cpus, hz, want);
	assert_int_equal(bh_init(&cfg), want);
	if (want == 0) {
		assert_true(bh_running());
		assert_int_equal(bh_hz(), hz ? hz : 250);
		th_shutdown();
	} else {
		assert_false(bh_running());
	}
}

/* SPEC U9 */
static void test_u9_bad_config_is_einval(void **state)
{
	(void)state;
	expect_init(BH_MAX_CPUS + 1, 0, -EINVAL);
	expect_init(-1, 0, -EINVAL);
	expect_init(INT_MIN, 0, -EINVAL);
	for (unsigned int hz = 1; hz <= 9; hz++)
		expect_init(1, hz, -EINVAL);
	expect_init(1, 10001, -EINVAL);
	expect_init(1, UINT_MAX, -EINVAL);
	/* The edges and the defaults are accepted. */
	expect_init(1, 0, 0);
	expect_init(1, 10, 0);
	expect_init(1, 10000, 0);
	expect_init(BH_MAX_CPUS, 1000, 0);
}

/* SPEC U9, S1 */
static void test_u9_bad_vector_and_missing_handler(void **state)
{
	(void)state;
	th_init(1, true);
	assert_int_equal(bh_raise_softirq(BH_NR_SOFTIRQS), -EINVAL);
	assert_int_equal(bh_raise_softirq(UINT_MAX), -EINVAL);
	assert_int_equal(bh_raise_softirq_irqoff(BH_NR_SOFTIRQS), -EINVAL);
	/* This program never installs an RCU_SOFTIRQ handler. */
	assert_int_equal(bh_raise_softirq(BH_RCU_SOFTIRQ), -ENOENT);
	assert_int_equal(bh_softirq_pending(0), 0);
	th_shutdown();
}

/* SPEC U9 */
static void test_u9_cpu_numbers_checked(void **state)
{
	(void)state;
	th_init(2, true);
	assert_int_equal(bh_thread_set_cpu(2), -EINVAL);
	assert_int_equal(bh_thread_set_cpu(-2), -EINVAL);
	assert_int_equal(bh_thread_set_cpu(BH_MAX_CPUS), -EINVAL);
	assert_int_equal(bh_thread_set_cpu(1), 0);
	assert_int_equal(bh_smp_processor_id(), 1);
	assert_int_equal(bh_thread_set_cpu(-1), 0);
	/* Not inside an atomic section: the CPU is pinned there. */
	unsigned long warns = bh_warn_count();
	bh_local_bh_disable();
	assert_int_equal(bh_thread_set_cpu(1), -EBUSY);
	bh_local_bh_enable();
	assert_true(bh_warn_count() > warns);
	unsigned long flags = bh_local_irq_save();
	assert_int_equal(bh_thread_set_cpu(1), -EBUSY);
	bh_local_irq_restore(flags);
	assert_int_equal(bh_run_softirqs(2), -EINVAL);
	assert_int_equal(bh_run_softirqs(-1), -EINVAL);
	assert_int_equal(bh_softirq_pending(2), 0);
	assert_int_equal(bh_softirq_pending(-1), 0);
	th_shutdown();
}

/* SPEC U9: bh_run_softirqs from atomic context would nest softirqs. */
static void test_u9_run_softirqs_from_atomic_is_edeadlk(void **state)
{
	(void)state;
	BH_DEFINE_SPINLOCK(lock);
	th_init_cpu0(1, true);
	assert_int_equal(bh_open_softirq(BH_NET_RX_SOFTIRQ, net_rx), 0);

	bh_local_bh_disable();
	assert_int_equal(bh_run_softirqs(0), -EDEADLK);
	assert_int_equal(bh_run_all(0), -EDEADLK);
	bh_local_bh_enable();

	bh_irq_enter();
	assert_int_equal(bh_run_softirqs(0), -EDEADLK);
	bh_irq_exit();

	bh_spin_lock(&lock);
	assert_int_equal(bh_run_softirqs(0), -EDEADLK);
	bh_spin_unlock(&lock);

	net_rx_calls = 0;
	run_in_handler = 1;
	assert_int_equal(bh_raise_softirq(BH_NET_RX_SOFTIRQ), 0);
	assert_int_equal(bh_run_softirqs(0), 1);
	assert_int_equal(net_rx_calls, 1);
	assert_int_equal(run_in_handler, -EDEADLK);
	assert_int_equal(bh_preempt_count(), 0);
	th_shutdown();
}

/* SPEC U9, S10: unbalanced enables warn and leave the count alone. */
static void test_u9_unbalanced_bh_enable_warns(void **state)
{
	(void)state;
	th_init(1, true);
	unsigned long warns = bh_warn_count();
	bh_local_bh_enable();
	assert_true(bh_warn_count() > warns);
	assert_true(th_log_has("WARNING"));
	assert_int_equal(bh_preempt_count(), 0);
	assert_false(bh_in_softirq());
	/* The count still works normally afterwards. */
	bh_local_bh_disable();
	assert_int_equal(bh_preempt_count(), BH_SOFTIRQ_DISABLE_OFFSET);
	bh_local_bh_enable();
	assert_int_equal(bh_preempt_count(), 0);

	/* The same for irq_exit and preempt_enable without their pair. */
	warns = bh_warn_count();
	bh_irq_exit();
	assert_true(bh_warn_count() > warns);
	assert_int_equal(bh_preempt_count(), 0);
	assert_false(bh_in_hardirq());
	warns = bh_warn_count();
	bh_preempt_enable();
	assert_true(bh_warn_count() > warns);
	assert_int_equal(bh_preempt_count(), 0);
	assert_true(bh_in_task());
	th_shutdown();
}

/* Threads of this process whose name starts with `prefix`. */
static int count_threads(const char *prefix, int *seen_mask)
{
	int n = th_count_threads(prefix, seen_mask);
	assert_true(n >= 0); /* /proc/self/task could be read */
	return n;
}

/*
 * Each ksoftirqd/N names itself when it starts, which may be just after
 * bh_init() returns: wait (bounded) until `n` threads carry the name.
 */
static int wait_threads(const char *prefix, int n, int *seen_mask)
{
	uint64_t deadline = th_now_ns() + TH_WAIT_NS;
	int got;
	for (;;) {
		int mask = 0;
		got = count_threads(prefix, &mask);
		if (got >= n || th_now_ns() > deadline) {
			if (seen_mask)
				*seen_mask = mask;
			return got;
		}
		sched_yield();
	}
}

/* SPEC U6, S19: one ksoftirqd/N per bh CPU, none after shutdown. */
static void test_threads_exist_only_while_running(void **state)
{
	(void)state;
	th_init(2, false);
	int mask = 0;
	assert_int_equal(wait_threads("ksoftirqd/", 2, &mask), 2);
	assert_int_equal(mask, 3);
	th_shutdown();
	assert_int_equal(count_threads("ksoftirqd/", NULL), 0);

	/* Deterministic mode starts none. */
	th_init(2, true);
	assert_int_equal(count_threads("ksoftirqd/", NULL), 0);
	th_shutdown();
}

/* SPEC U5: nr_cpus 0 means one bh CPU per online CPU; hz 0 means 250. */
static void test_default_runtime(void **state)
{
	(void)state;
	assert_int_equal(bh_init(NULL), 0);
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	if (online > BH_MAX_CPUS)
		online = BH_MAX_CPUS;
	assert_int_equal(bh_nr_cpus(), online);
	assert_int_equal(bh_hz(), 250);
	assert_int_equal(wait_threads("ksoftirqd/", (int)online, NULL), online);
	/* The real clock: virtual time cannot be moved. */
	assert_int_equal(bh_advance_jiffies(1), -EPERM);
	assert_int_equal(bh_shutdown(), 0);
	assert_false(bh_running());
	assert_int_equal(bh_nr_cpus(), 0);
}

#define T(f) cmocka_unit_test_teardown(f, th_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_u9_calls_before_init_fail_with_enxio),
		T(test_u9_config_defaults),
		T(test_u9_init_twice_is_ealready),
		T(test_u9_bad_config_is_einval),
		T(test_u9_bad_vector_and_missing_handler),
		T(test_u9_cpu_numbers_checked),
		T(test_u9_run_softirqs_from_atomic_is_edeadlk),
		T(test_u9_unbalanced_bh_enable_warns),
		T(test_threads_exist_only_while_running),
		T(test_default_runtime),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
