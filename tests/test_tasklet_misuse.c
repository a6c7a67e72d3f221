/* SPDX-License-Identifier: MIT */
/*
 * Tasklet misuse: bad arguments (SPEC U9), calls without a runtime, kill
 * from interrupt context (SPEC T23, M14), and kill/disable/unlock_wait from
 * the tasklet's own callback, where the kernel would wait for itself
 * forever (SPEC M14): here they warn and return -EDEADLK.
 *
 * The log sink records the level of the kill-from-interrupt message, which
 * the kernel prints at notice level.
 */
#include "harness.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#define KILL_IRQ_MSG "Attempt to kill tasklet from interrupt"

static int kill_irq_level = -1;

static void level_sink(void *arg, int level, const char *text, size_t len)
{
	if (memmem(text, len, KILL_IRQ_MSG, strlen(KILL_IRQ_MSG)))
		__atomic_store_n(&kill_irq_level, level, __ATOMIC_RELAXED);
	th_log_sink(arg, level, text, len);
}

static void init_with(bool deterministic, bool warn_fatal)
{
	struct bh_config cfg;

	th_log_clear();
	kill_irq_level = -1;
	th_config(&cfg, 2, deterministic);
	cfg.log = level_sink;
	cfg.warn_fatal = warn_fatal;
	assert_int_equal(bh_init(&cfg), 0);
	assert_int_equal(bh_thread_set_cpu(0), 0);
}

static int setup_det(void **state)
{
	(void)state;
	init_with(true, false);
	return 0;
}

static int setup_threaded(void **state)
{
	(void)state;
	init_with(false, false);
	return 0;
}

static unsigned long runs;

static void count_cb(struct bh_tasklet *t)
{
	(void)t;
	__atomic_fetch_add(&runs, 1, __ATOMIC_ACQ_REL);
}

/* Every int-returning call on `t`, each expected to return `err`. */
static void expect_all_fail(struct bh_tasklet *t, int err, bool warns)
{
	int (*const fns[])(struct bh_tasklet *) = {
		bh_tasklet_schedule,
		bh_tasklet_hi_schedule,
		bh_tasklet_disable,
		bh_tasklet_disable_nosync,
		bh_tasklet_disable_in_atomic,
		bh_tasklet_enable,
		bh_tasklet_kill,
		bh_tasklet_unlock_wait,
		bh_tasklet_unlock_spin_wait,
	};

	for (unsigned int i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		unsigned long w0 = bh_warn_count();

		assert_int_equal(fns[i](t), err);
		if (warns)
			assert_int_equal(bh_warn_count(), w0 + 1);
	}
}

/* SPEC U9: NULL tasklets give -EINVAL and a warning, never a crash. */
static void test_u9_null_tasklet(void **state)
{
	(void)state;

	expect_all_fail(NULL, -EINVAL, true);
	assert_true(th_log_has("bh: tasklet_schedule(NULL)"));
	assert_true(th_log_has("bh: tasklet_kill(NULL)"));
	/* Advisory reads: no crash, nothing to report. */
	assert_false(bh_tasklet_is_scheduled(NULL));
	assert_false(bh_tasklet_is_running(NULL));
	assert_int_equal(bh_softirq_pending(0), 0);
}

/* SPEC U9: the initialisers cannot return an errno; they warn. */
static void test_u9_null_setup_init(void **state)
{
	(void)state;
	unsigned long w0 = bh_warn_count();

	bh_tasklet_setup(NULL, count_cb);
	assert_int_equal(bh_warn_count(), w0 + 1);
	bh_tasklet_init(NULL, NULL, 0);
	assert_int_equal(bh_warn_count(), w0 + 2);
}

static int child_main(void *arg)
{
	int (*const *fn)(void) = arg;
	struct bh_config cfg;

	th_child_config(&cfg, 1, true);
	if (bh_init(&cfg) != 0)
		return 100;
	return (*fn)();
}

/*
 * Run fn() in a forked child with its own deterministic runtime, so that a
 * crash is reported as a failure rather than taking the runner down (a
 * SIGSEGV caught by cmocka wedges a TSan build). No cmocka assertion in
 * the child: fn returns 0 for success.
 */
static void in_child(int (*fn)(void))
{
	th_assert_exit_code(th_run_child(child_main, &fn, NULL, 0), 0);
}

static int null_trylock(void)
{
	unsigned long w0 = bh_warn_count();

	if (bh_tasklet_trylock(NULL))
		return 1;
	return bh_warn_count() == w0 + 1 ? 0 : 2;
}

static int null_unlock(void)
{
	unsigned long w0 = bh_warn_count();

	bh_tasklet_unlock(NULL);
	return bh_warn_count() == w0 + 1 ? 0 : 2;
}

/* SPEC U9: trylock(NULL) fails and warns rather than crashing. */
static void test_u9_null_trylock(void **state)
{
	(void)state;
	in_child(null_trylock);
}

/* SPEC U9: unlock(NULL) warns rather than crashing. */
static void test_u9_null_unlock(void **state)
{
	(void)state;
	in_child(null_unlock);
}

/*
 * SPEC U9: a zeroed, never initialised tasklet gives -EINVAL and a warning
 * naming it; its state is left alone and nothing is raised.
 */
static void test_u9_uninitialised_tasklet(void **state)
{
	(void)state;
	static struct bh_tasklet z;
	char name[32];

	memset(&z, 0, sizeof(z));
	expect_all_fail(&z, -EINVAL, true);
	assert_int_equal(z.state, 0);
	assert_null(z.next);
	assert_int_equal(th_tasklet_count(&z), 0);
	assert_int_equal(bh_softirq_pending(0), 0);
	snprintf(name, sizeof(name), "%p", (void *)&z);
	assert_true(th_log_has(name));
}

/* SPEC U9: a tasklet set up without a function warns rather than crashes. */
static void test_u9_null_callback(void **state)
{
	(void)state;
	static struct bh_tasklet t;
	unsigned long w0 = bh_warn_count();
	int r;

	bh_tasklet_setup(&t, NULL);
	r = bh_tasklet_schedule(&t);
	assert_true(r == 1 || r == -EINVAL);
	bh_run_all(0);
	assert_true(bh_warn_count() > w0);
	assert_false(bh_tasklet_is_scheduled(&t));
}

/* SPEC U9: without a runtime, scheduling fails with -ENXIO. */
static void test_u9_no_runtime(void **state)
{
	(void)state;
	static struct bh_tasklet t;

	assert_false(bh_running());
	bh_tasklet_setup(&t, count_cb); /* static setup needs no runtime */
	assert_int_equal(bh_tasklet_schedule(&t), -ENXIO);
	assert_int_equal(bh_tasklet_hi_schedule(&t), -ENXIO);
	assert_int_equal(bh_tasklet_kill(&t), -ENXIO);
	assert_false(bh_tasklet_is_scheduled(&t));

	th_init(2, true);
	th_shutdown();
	assert_false(bh_running());
	assert_int_equal(bh_tasklet_schedule(&t), -ENXIO);
	assert_int_equal(bh_tasklet_hi_schedule(&t), -ENXIO);
	assert_int_equal(bh_tasklet_kill(&t), -ENXIO);
	assert_false(bh_tasklet_is_scheduled(&t));
	assert_int_equal(t.state, 0);
}

static int warn_fatal_child(void *arg)
{
	struct bh_config cfg;

	(void)arg;
	th_child_config(&cfg, 1, true);
	cfg.warn_fatal = true;
	if (bh_init(&cfg) != 0)
		return 2;
	bh_tasklet_schedule(NULL);
	return 0; /* not reached if the warning was fatal */
}

/* SPEC U9: with warn_fatal, the same misuse aborts the process. */
static void test_u9_warn_fatal_aborts(void **state)
{
	(void)state;
	int status = th_run_child(warn_fatal_child, NULL, NULL, 0);

	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
}

/*
 * SPEC T23, SPEC M14: kill from hardirq context logs the kernel's notice
 * and does not wait (-EDEADLK); the tasklet is left as it was, so its
 * pending run still happens and kill did not keep SCHED.
 */
static void test_t23_m14_kill_from_hardirq(void **state)
{
	(void)state;
	static struct bh_tasklet t;
	int r;

	runs = 0;
	bh_tasklet_setup(&t, count_cb);
	assert_int_equal(bh_tasklet_schedule(&t), 1);
	bh_irq_enter();
	assert_true(bh_in_hardirq());
	r = bh_tasklet_kill(&t);
	assert_true(bh_tasklet_is_scheduled(&t));
	bh_irq_exit();
	assert_int_equal(r, -EDEADLK);
	assert_true(th_log_has(KILL_IRQ_MSG));
	assert_int_equal(kill_irq_level, BH_LOG_NOTICE);

	bh_run_all(0);
	assert_int_equal(runs, 1);
	assert_false(bh_tasklet_is_scheduled(&t));
	assert_int_equal(bh_tasklet_schedule(&t), 1);
	bh_run_all(0);
	assert_int_equal(runs, 2);
}

/* Another tasklet's callback tries to kill `victim` (softirq context). */
static struct bh_tasklet victim;
static int softirq_kill_ret;

static void killer_cb(struct bh_tasklet *t)
{
	(void)t;
	softirq_kill_ret = bh_tasklet_kill(&victim);
}

/* SPEC T23, SPEC M14: the same from softirq context (in_interrupt()). */
static void test_t23_m14_kill_from_softirq(void **state)
{
	(void)state;
	static struct bh_tasklet killer;

	runs = 0;
	softirq_kill_ret = 1;
	bh_tasklet_setup(&victim, count_cb);
	bh_tasklet_setup(&killer, killer_cb);
	assert_int_equal(bh_tasklet_schedule(&killer), 1);
	assert_int_equal(bh_run_softirqs(0), 1);
	assert_int_equal(softirq_kill_ret, -EDEADLK);
	assert_true(th_log_has(KILL_IRQ_MSG));
	assert_int_equal(kill_irq_level, BH_LOG_NOTICE);
	assert_false(bh_tasklet_is_scheduled(&victim));
}

/* A callback that calls every waiting operation on its own tasklet. */
struct selfkill {
	struct bh_tasklet t;
	int ret[5];
	unsigned long warns;
	unsigned long done;
};

static void selfkill_cb(struct bh_tasklet *t)
{
	struct selfkill *s = bh_from_tasklet(s, t, t);
	unsigned long w0 = bh_warn_count();

	s->ret[0] = bh_tasklet_kill(t);
	s->ret[1] = bh_tasklet_disable(t);
	s->ret[2] = bh_tasklet_disable_in_atomic(t);
	s->ret[3] = bh_tasklet_unlock_wait(t);
	s->ret[4] = bh_tasklet_unlock_spin_wait(t);
	s->warns = bh_warn_count() - w0;
	__atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
}

static void check_selfkill(struct selfkill *s)
{
	for (int i = 0; i < 5; i++)
		assert_int_equal(s->ret[i], -EDEADLK);
	static const char *const ops[] = {
		"tasklet_kill", "tasklet_disable", "tasklet_disable_in_atomic",
		"tasklet_unlock_wait", "tasklet_unlock_spin_wait"};
	char kill_msg[128];

	/*
	 * A callback runs in softirq context, so kill reports what the
	 * kernel's does there: the notice for interrupt context.
	 */
	assert_int_equal(s->warns, 5);
	assert_true(th_log_has(KILL_IRQ_MSG));
	snprintf(kill_msg, sizeof(kill_msg),
		 "bh: tasklet_kill(%p) from interrupt context", (void *)&s->t);
	assert_true(th_log_has(kill_msg));
	for (int i = 1; i < 5; i++) {
		char msg[128];

		snprintf(msg, sizeof(msg),
			 "bh: %s(%p) called from the tasklet's own callback",
			 ops[i], (void *)&s->t);
		assert_true(th_log_has(msg));
	}
	/* No SCHED or RUN left held. */
	assert_false(bh_tasklet_is_scheduled(&s->t));
	assert_false(bh_tasklet_is_running(&s->t));
	assert_int_equal(bh_tasklet_kill(&s->t), 0);
	/*
	 * A call that fails with -EDEADLK has no effect (negative errno
	 * means failure, STYLE.md), so the disable depth is back where it
	 * was: a caller that sees the error has nothing to undo.
	 */
	assert_int_equal(th_tasklet_count(&s->t), 0);
}

/*
 * SPEC M14: kill, disable and unlock_wait from the tasklet's own callback
 * would wait for its own RUN bit forever: they warn and return -EDEADLK.
 * Deterministic mode: the callback runs in the test thread.
 */
static void test_m14_self_kill_det(void **state)
{
	(void)state;
	static struct selfkill s;

	memset(&s, 0, sizeof(s));
	bh_tasklet_setup(&s.t, selfkill_cb);
	assert_int_equal(bh_tasklet_schedule(&s.t), 1);
	assert_int_equal(bh_run_softirqs(0), 1);
	assert_int_equal(s.done, 1);
	check_selfkill(&s);
}

/* SPEC M14: the same when the callback runs in ksoftirqd/N. */
static void test_m14_self_kill_threaded(void **state)
{
	(void)state;
	static struct selfkill s;

	memset(&s, 0, sizeof(s));
	bh_tasklet_setup(&s.t, selfkill_cb);
	assert_int_equal(bh_tasklet_hi_schedule(&s.t), 1);
	assert_true(th_wait_ge(&s.done, 1));
	assert_int_equal(bh_tasklet_unlock_wait(&s.t), 0);
	check_selfkill(&s);
}

#define TD(fn)                                                                 \
	cmocka_unit_test_setup_teardown(fn, setup_det, th_teardown_shutdown)
#define TT(fn)                                                                 \
	cmocka_unit_test_setup_teardown(fn, setup_threaded,                    \
					th_teardown_shutdown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TD(test_u9_null_tasklet),
		TD(test_u9_null_setup_init),
		cmocka_unit_test(test_u9_null_trylock),
		cmocka_unit_test(test_u9_null_unlock),
		TD(test_u9_uninitialised_tasklet),
		TD(test_u9_null_callback),
		cmocka_unit_test(test_u9_no_runtime),
		cmocka_unit_test(test_u9_warn_fatal_aborts),
		TD(test_t23_m14_kill_from_hardirq),
		TD(test_t23_m14_kill_from_softirq),
		TD(test_m14_self_kill_det),
		TT(test_m14_self_kill_threaded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
