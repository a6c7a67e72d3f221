/* SPDX-License-Identifier: MIT */
/*
 * fork() (SPEC U7): a child cannot use the parent's runtime by accident.
 * Every call fails with -ECHILD and a diagnostic until the child calls
 * bh_shutdown() (which in a child only forgets the parent's state) and
 * bh_init()s its own runtime; the parent's runtime is not disturbed.
 *
 * Children never use cmocka asserts (a failure would longjmp into a copy of
 * the parent's test runner); they exit with the number of the failed check
 * and the parent asserts on the wait status.
 */
#include "harness.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static unsigned long net_rx_calls;
static void net_rx(void)
{
	__atomic_add_fetch(&net_rx_calls, 1, __ATOMIC_RELEASE);
}

static unsigned long tasklet_runs;
static void tasklet_fn(struct bh_tasklet *t)
{
	(void)t;
	__atomic_add_fetch(&tasklet_runs, 1, __ATOMIC_RELEASE);
}

static int setup(void **state)
{
	(void)state;
	net_rx_calls = 0;
	tasklet_runs = 0;
	return 0;
}

/* In a child: fail with the line number as exit status. */
#define CHILD_CHECK(cond)                                                      \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "child: %s:%d: %s\n", __FILE__,        \
				__LINE__, #cond);                              \
			_exit(__LINE__ % 250 + 1);                             \
		}                                                              \
	} while (0)

/*
 * The child's whole life: the inherited runtime refuses service with a
 * diagnostic; after bh_shutdown() the child starts its own and uses it.
 */
static int child_body(void *arg)
{
	struct bh_tasklet *t = arg;
	unsigned int before =
		__atomic_load_n(&th_log.messages, __ATOMIC_RELAXED);
	CHILD_CHECK(bh_tasklet_schedule(t) == -ECHILD);
	CHILD_CHECK(bh_tasklet_hi_schedule(t) == -ECHILD);
	CHILD_CHECK(bh_raise_softirq(BH_NET_RX_SOFTIRQ) == -ECHILD);
	CHILD_CHECK(bh_run_softirqs(0) == -ECHILD);
	CHILD_CHECK(bh_run_all(0) == -ECHILD);
	CHILD_CHECK(bh_advance_jiffies(1) == -ECHILD);
	CHILD_CHECK(bh_thread_set_cpu(0) == -ECHILD);
	CHILD_CHECK(!bh_running());
	/* A clear diagnostic says what happened. */
	CHILD_CHECK(__atomic_load_n(&th_log.messages, __ATOMIC_RELAXED) >
		    before);
	/* SPEC U7: the exact text (the first call names itself). */
	CHILD_CHECK(th_log_has(
		"() in a child forked from a process whose runtime was "
		"running: the parent's runtime is not usable here; call "
		"bh_shutdown() and bh_init() in the child"));

	/* bh_init cannot take over the parent's runtime either. */
	struct bh_config cfg;
	th_config(&cfg, 1, true);
	CHILD_CHECK(bh_init(&cfg) == -ECHILD);

	/* Forget the parent's runtime, start one of our own. */
	CHILD_CHECK(bh_shutdown() >= 0);
	CHILD_CHECK(!bh_running());
	th_log_clear();
	CHILD_CHECK(bh_init(&cfg) == 0);
	CHILD_CHECK(bh_thread_set_cpu(0) == 0);
	CHILD_CHECK(bh_open_softirq(BH_NET_RX_SOFTIRQ, net_rx) == 0);
	unsigned long calls0 = net_rx_calls;
	CHILD_CHECK(bh_raise_softirq(BH_NET_RX_SOFTIRQ) == 0);
	CHILD_CHECK(bh_run_softirqs(0) == 1);
	CHILD_CHECK(net_rx_calls == calls0 + 1);

	/* A fresh tasklet: the inherited one may still look scheduled. */
	struct bh_tasklet mine;
	bh_tasklet_setup(&mine, tasklet_fn);
	unsigned long runs0 = tasklet_runs;
	CHILD_CHECK(bh_tasklet_schedule(&mine) == 1);
	CHILD_CHECK(bh_run_softirqs(0) >= 1);
	CHILD_CHECK(tasklet_runs == runs0 + 1);
	CHILD_CHECK(bh_shutdown() == 0);
	return 0;
}

/* SPEC U7: deterministic parent. */
static void test_u7_child_gets_echild_then_own_runtime(void **state)
{
	/* The runtime always has kworker threads, and TSan cannot run a
	 * fork child that starts threads of a multi-threaded parent ("dup
	 * thread"); the plain and ASan trees run this test. */
	if (TH_TSAN)
		skip();
	(void)state;
	struct bh_tasklet t;
	th_init_cpu0(1, true);
	assert_int_equal(bh_open_softirq(BH_NET_RX_SOFTIRQ, net_rx), 0);
	bh_tasklet_setup(&t, tasklet_fn);

	th_assert_exit_code(th_run_child(child_body, &t, NULL, 0), 0);

	/* The parent is unaffected. */
	assert_true(bh_running());
	assert_int_equal(bh_raise_softirq(BH_NET_RX_SOFTIRQ), 0);
	assert_int_equal(bh_tasklet_schedule(&t), 1);
	assert_true(bh_run_softirqs(0) >= 2);
	assert_int_equal(net_rx_calls, 1);
	assert_int_equal(tasklet_runs, 1);
	th_shutdown();
}

/*
 * SPEC U7: threaded parent. The child has none of the parent's threads;
 * its bh_shutdown() must not try to join them, and nothing the parent held
 * at fork time may stay locked in the child.
 */
static void test_u7_threaded_parent(void **state)
{
	/* The runtime always has kworker threads, and TSan cannot run a
	 * fork child that starts threads of a multi-threaded parent ("dup
	 * thread"); the plain and ASan trees run this test. */
	if (TH_TSAN)
		skip();
	(void)state;
	struct bh_tasklet t;
	th_init(2, false);
	assert_int_equal(bh_open_softirq(BH_NET_RX_SOFTIRQ, net_rx), 0);
	bh_tasklet_setup(&t, tasklet_fn);
	/* Keep the parent's ksoftirqd threads busy around the fork. */
	assert_int_equal(bh_thread_set_cpu(0), 0);
	assert_int_equal(bh_raise_softirq(BH_NET_RX_SOFTIRQ), 0);
	assert_int_equal(bh_thread_set_cpu(1), 0);
	assert_int_equal(bh_tasklet_schedule(&t), 1);

	th_assert_exit_code(th_run_child(child_body, &t, NULL, 0), 0);

	/* The parent's threads still serve it. */
	assert_true(th_wait_ge(&net_rx_calls, 1));
	assert_true(th_wait_ge(&tasklet_runs, 1));
	assert_int_equal(bh_thread_set_cpu(0), 0);
	assert_int_equal(bh_raise_softirq(BH_NET_RX_SOFTIRQ), 0);
	assert_true(th_wait_ge(&net_rx_calls, 2));
	assert_int_equal(bh_tasklet_schedule(&t), 1);
	assert_true(th_wait_ge(&tasklet_runs, 2));
	th_shutdown();
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, th_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_u7_child_gets_echild_then_own_runtime),
		T(test_u7_threaded_parent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
