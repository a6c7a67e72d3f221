/* SPDX-License-Identifier: MIT */
/*
 * might_sleep (SPEC U8, M15): in every atomic context bh_might_sleep()
 * reports the kernel's splat
 *
 *   BUG: sleeping function called from invalid context at FILE:LINE
 *   in_atomic(): 1, irqs_disabled(): 0, ..., pid: 4242, name: prog
 *   preempt_count: 100, ...
 *   Call Trace:
 *
 * and returns false; in task context it says nothing and returns true.
 * With warn_fatal the report aborts the process (checked in a child).
 *
 * The kernel prints this at most once a second; the runtime is
 * deterministic and each probe first moves jiffies on by a second, so a
 * rate limit modelled on the kernel's cannot hide a report.
 */
#include "harness.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

struct probe {
	int line;
	bool ok;
	bool done;
};

/* One line for both __LINE__s: the splat must name this call site. */
#define PROBE(p)                                                               \
	((p)->line = __LINE__, (p)->ok = bh_might_sleep(), (p)->done = true)

static struct probe in_softirq, in_tasklet;

static void net_rx(void)
{
	PROBE(&in_softirq);
}

static void tasklet_fn(struct bh_tasklet *t)
{
	(void)t;
	PROBE(&in_tasklet);
}

static int setup(void **state)
{
	(void)state;
	memset(&in_softirq, 0, sizeof(in_softirq));
	memset(&in_tasklet, 0, sizeof(in_tasklet));
	th_init_cpu0(1, true);
	assert_int_equal(bh_open_softirq(BH_NET_RX_SOFTIRQ, net_rx), 0);
	return 0;
}

/* Clear the log and step past any once-a-second limit. */
static void fresh(void)
{
	assert_int_equal(bh_advance_jiffies(bh_hz() + 1), 0);
	th_log_clear();
}

static void check_splat(const struct probe *p, int in_atomic, int irqs_off,
			unsigned int pc)
{
	char want[512];
	assert_true(p->done);
	assert_false(p->ok);
	if (!th_log_has("BUG: sleeping function called from invalid context"))
		fprintf(stderr, "log:\n%s\n", th_log.text);

	snprintf(
		want, sizeof(want),
		"BUG: sleeping function called from invalid context at %s:%d\n",
		__FILE__, p->line);
	assert_true(th_log_has(want));

	snprintf(want, sizeof(want), "in_atomic(): %d, irqs_disabled(): %d",
		 in_atomic, irqs_off);
	if (!th_log_has(want))
		fprintf(stderr, "want '%s' in:\n%s\n", want, th_log.text);
	assert_true(th_log_has(want));

	char comm[17] = "";
	prctl(PR_GET_NAME, comm, 0, 0, 0);
	snprintf(want, sizeof(want), "pid: %d, name: %s", (int)gettid(), comm);
	if (!th_log_has(want))
		fprintf(stderr, "want '%s' in:\n%s\n", want, th_log.text);
	assert_true(th_log_has(want));

	const char *at = strstr(th_log.text, "preempt_count: ");
	assert_non_null(at);
	char *end;
	unsigned long got = strtoul(at + strlen("preempt_count: "), &end, 16);
	assert_true(end != at + strlen("preempt_count: "));
	assert_int_equal(got, pc);

	assert_true(th_log_has("Call Trace:"));
}

/* SPEC U8, M15 */
static void test_m15_task_context_is_silent(void **state)
{
	(void)state;
	struct probe p = {0};
	fresh();
	PROBE(&p);
	assert_true(p.ok);
	assert_int_equal(th_log.messages, 0);
	/* Also after atomic sections were left again. */
	bh_local_bh_disable();
	bh_local_bh_enable();
	bh_irq_enter();
	bh_irq_exit();
	PROBE(&p);
	assert_true(p.ok);
	assert_int_equal(th_log.messages, 0);
}

/* SPEC U8, M15 */
static void test_m15_hardirq(void **state)
{
	(void)state;
	struct probe p = {0};
	fresh();
	bh_irq_enter();
	PROBE(&p);
	bh_irq_exit();
	check_splat(&p, 1, 0, BH_HARDIRQ_OFFSET);
}

/* SPEC U8, M15 */
static void test_m15_softirq_handler(void **state)
{
	(void)state;
	fresh();
	assert_int_equal(bh_raise_softirq(BH_NET_RX_SOFTIRQ), 0);
	assert_int_equal(bh_run_softirqs(0), 1);
	check_splat(&in_softirq, 1, 0, BH_SOFTIRQ_OFFSET);
}

/* SPEC U8, M15, T25 */
static void test_m15_tasklet_callback(void **state)
{
	(void)state;
	struct bh_tasklet t;
	bh_tasklet_setup(&t, tasklet_fn);
	fresh();
	assert_int_equal(bh_tasklet_schedule(&t), 1);
	assert_true(bh_run_softirqs(0) >= 1);
	check_splat(&in_tasklet, 1, 0, BH_SOFTIRQ_OFFSET);
}

/* SPEC U8, M15 */
static void test_m15_bh_disabled(void **state)
{
	(void)state;
	struct probe p = {0};
	fresh();
	bh_local_bh_disable();
	PROBE(&p);
	bh_local_bh_enable();
	check_splat(&p, 1, 0, BH_SOFTIRQ_DISABLE_OFFSET);
}

/* SPEC U8, M15: irqs off alone is not in_atomic(), but still invalid. */
static void test_m15_irqs_disabled(void **state)
{
	(void)state;
	struct probe p = {0};
	fresh();
	unsigned long flags = bh_local_irq_save();
	PROBE(&p);
	bh_local_irq_restore(flags);
	check_splat(&p, 0, 1, 0);
}

/* SPEC U8, M15 */
static void test_m15_spinlock_held(void **state)
{
	(void)state;
	BH_DEFINE_SPINLOCK(lock);
	struct probe p = {0};
	fresh();
	bh_spin_lock(&lock);
	PROBE(&p);
	bh_spin_unlock(&lock);
	check_splat(&p, 1, 0, 1);

	fresh();
	unsigned long flags = bh_spin_lock_irqsave(&lock);
	PROBE(&p);
	bh_spin_unlock_irqrestore(&lock, flags);
	check_splat(&p, 1, 1, 1);

	fresh();
	bh_spin_lock_bh(&lock);
	PROBE(&p);
	bh_spin_unlock_bh(&lock);
	check_splat(&p, 1, 0, BH_SOFTIRQ_DISABLE_OFFSET + 1);
}

/* SPEC U8, M15 */
static void test_m15_preempt_disabled(void **state)
{
	(void)state;
	struct probe p = {0};
	fresh();
	bh_preempt_disable();
	PROBE(&p);
	bh_preempt_enable();
	check_splat(&p, 1, 0, 1);
}

/* In the child: a runtime with warn_fatal set, then the body. */
static int fatal_child(void *arg)
{
	void (*const *body)(void) = arg;
	struct bh_config cfg;
	th_child_config(&cfg, 1, true);
	cfg.warn_fatal = true;
	if (bh_init(&cfg) != 0)
		return 2;
	(*body)();
	/* Reaching here means the report did not abort. */
	return 0;
}

/*
 * Runs `body` in a child whose runtime has warn_fatal set; returns the
 * wait status and leaves what the child logged in `out`.
 */
static int run_fatal_child(void (*body)(void), char *out, size_t outlen)
{
	if (bh_running())
		bh_shutdown();
	return th_run_child(fatal_child, &body, out, outlen);
}

static void body_might_sleep_in_hardirq(void)
{
	bh_irq_enter();
	bh_might_sleep();
	bh_irq_exit();
}

static void body_warn(void)
{
	BH_WARN(true, "test warning %d", 42);
}

/* SPEC U9 (warnings fatal on request), M15 */
static void test_m15_warn_fatal_aborts(void **state)
{
	(void)state;
	static char out[64 * 1024];
	int st = run_fatal_child(body_warn, out, sizeof(out));
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGABRT);
	assert_non_null(strstr(out, "WARNING:"));
	assert_non_null(strstr(out, "test warning 42"));

	st = run_fatal_child(body_might_sleep_in_hardirq, out, sizeof(out));
	if (!WIFSIGNALED(st))
		fprintf(stderr, "child log:\n%s\n", out);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGABRT);
	assert_non_null(strstr(
		out, "BUG: sleeping function called from invalid context"));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, th_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_m15_task_context_is_silent),
		T(test_m15_hardirq),
		T(test_m15_softirq_handler),
		T(test_m15_tasklet_callback),
		T(test_m15_bh_disabled),
		T(test_m15_irqs_disabled),
		T(test_m15_spinlock_held),
		T(test_m15_preempt_disabled),
		T(test_m15_warn_fatal_aborts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
