/* SPDX-License-Identifier: MIT */
/*
 * Issue 4: cross-CPU function calls (smp_call_function_single, on_each_cpu)
 * run their function in hardirq context on the target bh CPU, like an IPI:
 * on ksoftirqd/N in threaded mode, on the stepping thread in deterministic
 * mode; softirqs they raise run at that irq exit, on that CPU, after them.
 */
#include "harness.h"

#include <malloc.h>

#include <linux/smp.h>

#include "alloc_count.h"
#include "internal.h"

/* What a call saw. */
struct seen {
	unsigned long runs;
	int cpu;
	int tid;
	bool hardirq, irqs_off, in_task;
	unsigned long cpus; /* bitmap of the CPUs it ran on */
};

static void record(void *arg)
{
	struct seen *s = arg;
	s->cpu = bh_smp_processor_id();
	s->tid = (int)syscall(SYS_gettid);
	s->hardirq = bh_in_hardirq();
	s->irqs_off = bh_irqs_disabled();
	s->in_task = bh_in_task();
	__atomic_fetch_or(&s->cpus, 1ul << s->cpu, __ATOMIC_RELAXED);
	th_inc(&s->runs);
}

static int ksoftirqd_tid(int cpu)
{
	/* Bounded: the thread stores its tid as it starts. */
	uint64_t deadline = th_now_ns() + TH_WAIT_NS;
	int tid;
	while (!(tid = __atomic_load_n(&bh__cpus[cpu].tid, __ATOMIC_RELAXED)))
		if (th_now_ns() > deadline)
			return 0;
		else
			sched_yield();
	return tid;
}

/* ---- where and how it runs ------------------------------------------- */

static void test_wait_runs_on_target_in_hardirq(void **state)
{
	(void)state;
	struct seen s = {0};
	th_init_cpu0(2, false);
	assert_int_equal(bh_smp_call_function_single(1, record, &s, 1), 0);
	/* wait=1: it has run when the call returns. */
	assert_int_equal(th_ld(&s.runs), 1);
	assert_int_equal(s.cpu, 1);
	assert_true(s.hardirq);
	assert_true(s.irqs_off);
	assert_false(s.in_task);
	assert_int_equal(s.tid, ksoftirqd_tid(1));
	/* The caller's context is untouched. */
	assert_false(bh_in_hardirq());
	assert_false(bh_irqs_disabled());
	assert_int_equal(bh_preempt_count(), 0);
	th_shutdown();
}

static void test_deterministic_wait_steps_target(void **state)
{
	(void)state;
	struct seen s = {0};
	th_init_cpu0(3, true);
	assert_int_equal(bh_smp_call_function_single(2, record, &s, 1), 0);
	assert_int_equal(s.runs, 1);
	assert_int_equal(s.cpu, 2);
	assert_true(s.hardirq);
	assert_true(s.irqs_off);
	/* The caller stepped it: same thread, and back as itself. */
	assert_int_equal(s.tid, (int)syscall(SYS_gettid));
	assert_int_equal(bh_smp_processor_id(), 0);
	assert_int_equal(bh_preempt_count(), 0);
	assert_false(bh_irqs_disabled());
	th_shutdown();
}

static void test_deterministic_nowait_runs_when_stepped(void **state)
{
	(void)state;
	struct seen s = {0};
	th_init_cpu0(2, true);
	assert_int_equal(bh_smp_call_function_single(1, record, &s, 0), 0);
	assert_int_equal(s.runs, 0);
	assert_int_equal(bh_run_softirqs(0), 0); /* not CPU 0's */
	assert_int_equal(s.runs, 0);
	assert_int_equal(bh_run_softirqs(1), 1);
	assert_int_equal(s.runs, 1);
	assert_int_equal(s.cpu, 1);
	assert_true(s.hardirq);
	/* A second call from the same pair reuses the slot. */
	assert_int_equal(bh_smp_call_function_single(1, record, &s, 0), 0);
	assert_int_equal(bh_run_all(0), 1);
	assert_int_equal(s.runs, 2);
	/* U6: shutdown runs what is still queued. */
	assert_int_equal(bh_smp_call_function_single(1, record, &s, 0), 0);
	th_shutdown();
	assert_int_equal(s.runs, 3);
}

static void test_nowait_runs_eventually(void **state)
{
	(void)state;
	struct seen s = {0};
	th_init_cpu0(2, false);
	assert_int_equal(bh_smp_call_function_single(1, record, &s, 0), 0);
	assert_true(th_wait_ge(&s.runs, 1));
	assert_int_equal(s.cpu, 1);
	assert_true(s.hardirq);
	assert_true(s.irqs_off);
	th_shutdown();
}

static void test_own_cpu_runs_locally_irqs_off(void **state)
{
	(void)state;
	struct seen s = {0};
	th_init_cpu0(2, false);
	/* Even without wait, the caller's CPU runs it before returning. */
	assert_int_equal(bh_smp_call_function_single(0, record, &s, 0), 0);
	assert_int_equal(s.runs, 1);
	assert_int_equal(s.cpu, 0);
	assert_int_equal(s.tid, (int)syscall(SYS_gettid));
	assert_true(s.irqs_off);
	assert_false(s.hardirq); /* as the kernel's local call */
	assert_false(bh_irqs_disabled());
	assert_int_equal(bh_preempt_count(), 0);
	th_shutdown();
}

/* ---- softirqs raised by the function ---------------------------------- */

static unsigned long fn_done, tl_runs, tl_saw_fn_done;
static int fn_tid, tl_tid, tl_cpu;

static void tl_fn(struct bh_tasklet *t)
{
	(void)t;
	tl_cpu = bh_smp_processor_id();
	tl_tid = (int)syscall(SYS_gettid);
	tl_saw_fn_done = th_ld(&fn_done);
	th_inc(&tl_runs);
}

static BH_DECLARE_TASKLET(tl, tl_fn);

static void schedule_tasklet(void *arg)
{
	(void)arg;
	fn_tid = (int)syscall(SYS_gettid);
	bh_tasklet_schedule(&tl);
	/* S9: not inside the function. */
	assert_int_equal(th_ld(&tl_runs), 0);
	th_st(&fn_done, 1);
}

static void test_softirq_runs_at_irq_exit_on_target(void **state)
{
	(void)state;
	fn_done = tl_runs = tl_saw_fn_done = 0;
	th_init_cpu0(2, false);
	assert_int_equal(
		bh_smp_call_function_single(1, schedule_tasklet, NULL, 1), 0);
	assert_true(th_wait_ge(&tl_runs, 1));
	assert_int_equal(tl_cpu, 1);
	assert_int_equal(tl_saw_fn_done, 1);
	/* At that irq exit: the same thread, not a later wake-up. */
	assert_int_equal(tl_tid, fn_tid);
	assert_int_equal(tl_tid, ksoftirqd_tid(1));
	th_shutdown();
}

static void test_softirq_runs_at_irq_exit_deterministic(void **state)
{
	(void)state;
	fn_done = tl_runs = tl_saw_fn_done = 0;
	th_init_cpu0(2, true);
	assert_int_equal(
		bh_smp_call_function_single(1, schedule_tasklet, NULL, 1), 0);
	/* The stepping caller ran it at the irq exit, as CPU 1. */
	assert_int_equal(tl_runs, 1);
	assert_int_equal(tl_cpu, 1);
	assert_int_equal(tl_saw_fn_done, 1);
	assert_int_equal(bh_softirq_pending(1), 0);
	th_shutdown();
}

/* ---- async ----------------------------------------------------------- */

static struct seen async_seen;
static unsigned long requeue_left;
static int requeue_ret = 1;
static call_single_data_t async_csd;

static void async_fn(void *arg)
{
	record(arg);
	/* The csd is free as its function starts: it may queue itself. */
	if (requeue_left) {
		requeue_left--;
		/* To CPU 0: one for its own CPU (1) would run nested,
		 * at once, as the kernel's does. */
		requeue_ret = bh_smp_call_function_single_async(0, &async_csd);
	}
}

static void test_async_busy_and_requeue(void **state)
{
	(void)state;
	memset(&async_seen, 0, sizeof(async_seen));
	th_init_cpu0(2, true);
	INIT_CSD(&async_csd, async_fn, &async_seen);
	assert_int_equal(smp_call_function_single_async(1, &async_csd), 0);
	/* Still in flight: the kernel's -EBUSY. */
	assert_int_equal(smp_call_function_single_async(1, &async_csd), -EBUSY);
	assert_int_equal(smp_call_function_single_async(0, &async_csd), -EBUSY);
	assert_int_equal(async_seen.runs, 0);
	assert_int_equal(bh_run_softirqs(1), 1);
	assert_int_equal(async_seen.runs, 1);
	assert_true(async_seen.hardirq);
	assert_int_equal(async_seen.cpu, 1);
	/* Once more, and the function queues it again from inside. */
	requeue_left = 1;
	requeue_ret = 1;
	assert_int_equal(smp_call_function_single_async(1, &async_csd), 0);
	assert_int_equal(bh_run_softirqs(1), 1);
	assert_int_equal(requeue_ret, 0);
	assert_int_equal(async_seen.runs, 2);
	assert_int_equal(bh_run_softirqs(0), 1);
	assert_int_equal(async_seen.runs, 3);
	assert_int_equal(async_seen.cpu, 0);
	assert_true(async_seen.hardirq);
	/* For the caller's own CPU it runs at once. */
	assert_int_equal(smp_call_function_single_async(0, &async_csd), 0);
	assert_int_equal(async_seen.runs, 4);
	assert_int_equal(async_seen.cpu, 0);
	assert_false(async_seen.hardirq);
	th_shutdown();
}

static void test_async_threaded(void **state)
{
	(void)state;
	static bh_call_single_data_t csd = BH_CSD_INIT(record, &async_seen);
	memset(&async_seen, 0, sizeof(async_seen));
	th_init_cpu0(2, false);
	for (unsigned long i = 0; i < 100; i++) {
		int r;
		/* Bounded: -EBUSY until the previous one has started. */
		uint64_t deadline = th_now_ns() + TH_WAIT_NS;
		while ((r = bh_smp_call_function_single_async(1, &csd)) ==
		       -EBUSY) {
			assert_true(th_now_ns() < deadline);
			sched_yield();
		}
		assert_int_equal(r, 0);
	}
	assert_true(th_wait_ge(&async_seen.runs, 100));
	assert_int_equal(async_seen.cpus, 1ul << 1);
	th_shutdown();
}

static bh_call_single_data_t sig_csd = BH_CSD_INIT(record, &async_seen);
static int sig_ret = 1;

static void on_sigusr1(int sig)
{
	(void)sig;
	sig_ret = bh_smp_call_function_single_async(1, &sig_csd);
}

static void test_async_from_signal_handler(void **state)
{
	(void)state;
	memset(&async_seen, 0, sizeof(async_seen));
	th_init_cpu0(2, false);
	th_set_handler(SIGUSR1, on_sigusr1);
	assert_int_equal(raise(SIGUSR1), 0);
	assert_true(th_wait_ge(&async_seen.runs, 1));
	assert_int_equal(sig_ret, 0);
	assert_int_equal(async_seen.cpu, 1);
	assert_true(async_seen.hardirq);
	th_set_handler(SIGUSR1, SIG_DFL);
	th_shutdown();
}

/* ---- on_each_cpu / smp_call_function ---------------------------------- */

static unsigned long per_cpu_runs[8], per_cpu_hardirq[8], per_cpu_irqs_off[8];

static void count_cpu(void *arg)
{
	(void)arg;
	int cpu = bh_smp_processor_id();
	if (bh_in_hardirq())
		th_inc(&per_cpu_hardirq[cpu]);
	if (bh_irqs_disabled())
		th_inc(&per_cpu_irqs_off[cpu]);
	th_inc(&per_cpu_runs[cpu]);
}

static void reset_counts(void)
{
	memset(per_cpu_runs, 0, sizeof(per_cpu_runs));
	memset(per_cpu_hardirq, 0, sizeof(per_cpu_hardirq));
	memset(per_cpu_irqs_off, 0, sizeof(per_cpu_irqs_off));
}

static void check_each(int n, int self, bool self_included)
{
	for (int cpu = 0; cpu < n; cpu++) {
		unsigned long want = cpu == self && !self_included ? 0 : 1;
		assert_int_equal(th_ld(&per_cpu_runs[cpu]), want);
		assert_int_equal(th_ld(&per_cpu_irqs_off[cpu]), want);
		/* The caller's own CPU: irqs off, not hardirq (kernel). */
		assert_int_equal(th_ld(&per_cpu_hardirq[cpu]),
				 cpu == self ? 0 : want);
	}
}

static void test_on_each_cpu_once_per_cpu(void **state)
{
	(void)state;
	for (int det = 0; det < 2; det++) {
		reset_counts();
		th_init(4, det);
		assert_int_equal(bh_thread_set_cpu(2), 0);
		assert_int_equal(bh_on_each_cpu(count_cpu, NULL, 1), 0);
		check_each(4, 2, true);
		reset_counts();
		on_each_cpu(count_cpu, NULL, 1); /* kernel spelling */
		check_each(4, 2, true);
		reset_counts();
		assert_int_equal(bh_smp_call_function(count_cpu, NULL, 1), 0);
		check_each(4, 2, false);
		/* wait=0: bounded wait, or a step in deterministic mode. */
		reset_counts();
		assert_int_equal(bh_on_each_cpu(count_cpu, NULL, 0), 0);
		if (det)
			bh_run_all(0);
		for (int cpu = 0; cpu < 4; cpu++)
			assert_true(th_wait_ge(&per_cpu_runs[cpu], 1));
		check_each(4, 2, true);
		th_shutdown();
	}
}

static void test_mask_variants(void **state)
{
	(void)state;
	struct cpumask m;
	reset_counts();
	th_init_cpu0(4, false);
	cpumask_clear(&m);
	cpumask_set_cpu(0, &m);
	cpumask_set_cpu(3, &m);
	on_each_cpu_mask(&m, count_cpu, NULL, true);
	assert_int_equal(per_cpu_runs[0], 1);
	assert_int_equal(per_cpu_runs[1], 0);
	assert_int_equal(per_cpu_runs[2], 0);
	assert_int_equal(per_cpu_runs[3], 1);
	reset_counts();
	/* smp_call_function_many leaves the caller out even if in mask. */
	smp_call_function_many(&m, count_cpu, NULL, true);
	assert_int_equal(per_cpu_runs[0], 0);
	assert_int_equal(per_cpu_runs[3], 1);
	assert_int_equal(per_cpu_hardirq[3], 1);
	th_shutdown();
}

/* ---- misuse ----------------------------------------------------------- */

static void test_wait_with_irqs_disabled_warns(void **state)
{
	(void)state;
	struct seen s = {0};
	th_init_cpu0(2, false);
	unsigned long flags = bh_local_irq_save();
	assert_int_equal(bh_smp_call_function_single(1, record, &s, 1),
			 -EDEADLK);
	assert_int_equal(bh_on_each_cpu(record, &s, 1), -EDEADLK);
	bh_local_irq_restore(flags);
	assert_true(th_log_has("WARN_ON_ONCE(cpu_online(this_cpu) && "
			       "irqs_disabled() && !oops_in_progress)"));
	assert_true(th_log_has("smp_call_function_single() with interrupts "
			       "disabled can deadlock"));
	assert_int_equal(s.runs, 0);
	/* The runtime still works. */
	assert_int_equal(bh_smp_call_function_single(1, record, &s, 1), 0);
	assert_int_equal(s.runs, 1);
	th_shutdown();
}

static int nested_ret = 1, nested_async_ret = 1;
static unsigned long nested_done;
static bh_call_single_data_t nested_csd = BH_CSD_INIT(record, &async_seen);

static void call_from_hardirq(void *arg)
{
	(void)arg;
	nested_ret = bh_smp_call_function_single(0, record, NULL, 1);
	/* The async form is fine from hardirq context. */
	nested_async_ret = bh_smp_call_function_single_async(0, &nested_csd);
	th_inc(&nested_done);
}

static void test_from_hardirq_refused(void **state)
{
	(void)state;
	memset(&async_seen, 0, sizeof(async_seen));
	nested_done = 0;
	th_init_cpu0(2, false);
	assert_int_equal(
		bh_smp_call_function_single(1, call_from_hardirq, NULL, 1), 0);
	assert_int_equal(nested_ret, -EDEADLK);
	assert_int_equal(nested_async_ret, 0);
	assert_true(th_wait_ge(&async_seen.runs, 1));
	assert_int_equal(async_seen.cpu, 0);
	assert_true(th_log_has("WARN_ON_ONCE(cpu_online(this_cpu) && "
			       "irqs_disabled()"));
	th_shutdown();
}

static void nested_in_softirq(struct bh_tasklet *t)
{
	(void)t;
	nested_ret = bh_smp_call_function_single(1, record, NULL, 0);
	th_inc(&nested_done);
}

static BH_DECLARE_TASKLET(softirq_caller, nested_in_softirq);

static void test_from_softirq_refused(void **state)
{
	(void)state;
	nested_done = 0;
	nested_ret = 1;
	th_init_cpu0(2, true);
	bh_tasklet_schedule(&softirq_caller);
	bh_run_all(0);
	assert_int_equal(th_ld(&nested_done), 1);
	assert_int_equal(nested_ret, -EDEADLK);
	assert_true(th_log_has("WARN_ON_ONCE(!in_task()): "
			       "smp_call_function_single() from softirq "
			       "context"));
	th_shutdown();
}

static void test_invalid_cpu_enxio(void **state)
{
	(void)state;
	struct seen s = {0};
	bh_call_single_data_t csd = BH_CSD_INIT(record, &s);
	/* No runtime. */
	assert_int_equal(bh_smp_call_function_single(0, record, &s, 1), -ENXIO);
	th_init_cpu0(2, false);
	assert_int_equal(bh_smp_call_function_single(-1, record, &s, 1),
			 -ENXIO);
	assert_int_equal(bh_smp_call_function_single(2, record, &s, 0), -ENXIO);
	assert_int_equal(smp_call_function_single(BH_MAX_CPUS, record, &s, 1),
			 -ENXIO);
	assert_int_equal(bh_smp_call_function_single_async(2, &csd), -ENXIO);
	/* The refused csd is free again. */
	assert_int_equal(bh_smp_call_function_single_async(-5, &csd), -ENXIO);
	assert_int_equal(s.runs, 0);
	th_shutdown();
}

/* ---- concurrency ------------------------------------------------------ */

#define PINGS (TH_TSAN ? 300ul : 3000ul)

static unsigned long ping_runs[2];

static void ping(void *arg)
{
	th_inc(arg);
}

static void *pinger(void *arg)
{
	long me = (long)arg;
	int other = (int)(1 - me);
	if (bh_thread_set_cpu((int)me))
		return (void *)1;
	for (unsigned long i = 0; i < PINGS; i++) {
		if (bh_smp_call_function_single(other, ping, &ping_runs[other],
						(int)(i % 2)))
			return (void *)1;
	}
	return NULL;
}

static void test_cross_calls_from_two_threads(void **state)
{
	(void)state;
	pthread_t th[2];
	void *ret;
	ping_runs[0] = ping_runs[1] = 0;
	th_init(2, false);
	for (long i = 0; i < 2; i++)
		assert_int_equal(
			pthread_create(&th[i], NULL, pinger, (void *)i), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(th[i], &ret), 0);
		assert_null(ret);
	}
	assert_true(th_wait_ge(&ping_runs[0], PINGS));
	assert_true(th_wait_ge(&ping_runs[1], PINGS));
	th_shutdown();
	assert_int_equal(ping_runs[0], PINGS);
	assert_int_equal(ping_runs[1], PINGS);
}

/* ---- no allocation ---------------------------------------------------- */

static unsigned long noalloc_runs;

static void noalloc_fn(void *arg)
{
	(void)arg;
	noalloc_runs++;
}

static void test_u2_calls_allocate_nothing(void **state)
{
	(void)state;
	bh_call_single_data_t csd = BH_CSD_INIT(noalloc_fn, NULL);
	if (TH_SANITIZED) {
		skip();
		return;
	}
	assert_true(counter_works());
	th_init_cpu0(2, true);
	noalloc_runs = 0;
	__atomic_store_n(&allocations, 0, __ATOMIC_SEQ_CST);
	set_counting(true);
	for (unsigned long i = 0; i < 10000; i++) {
		bh_smp_call_function_single_async(1, &csd);
		bh_run_softirqs(1);
		bh_smp_call_function_single(1, noalloc_fn, NULL, 1);
		bh_smp_call_function_single(1, noalloc_fn, NULL, 0);
		bh_on_each_cpu(noalloc_fn, NULL, 0);
		bh_run_all(0);
	}
	set_counting(false);
	assert_int_equal(allocated(), 0);
	assert_int_equal(noalloc_runs, 10000 * 5);
	th_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_wait_runs_on_target_in_hardirq,
					  th_teardown),
		cmocka_unit_test_teardown(test_deterministic_wait_steps_target,
					  th_teardown),
		cmocka_unit_test_teardown(
			test_deterministic_nowait_runs_when_stepped,
			th_teardown),
		cmocka_unit_test_teardown(test_nowait_runs_eventually,
					  th_teardown),
		cmocka_unit_test_teardown(test_own_cpu_runs_locally_irqs_off,
					  th_teardown),
		cmocka_unit_test_teardown(
			test_softirq_runs_at_irq_exit_on_target, th_teardown),
		cmocka_unit_test_teardown(
			test_softirq_runs_at_irq_exit_deterministic,
			th_teardown),
		cmocka_unit_test_teardown(test_async_busy_and_requeue,
					  th_teardown),
		cmocka_unit_test_teardown(test_async_threaded, th_teardown),
		cmocka_unit_test_teardown(test_async_from_signal_handler,
					  th_teardown),
		cmocka_unit_test_teardown(test_on_each_cpu_once_per_cpu,
					  th_teardown),
		cmocka_unit_test_teardown(test_mask_variants, th_teardown),
		cmocka_unit_test_teardown(test_wait_with_irqs_disabled_warns,
					  th_teardown),
		cmocka_unit_test_teardown(test_from_hardirq_refused,
					  th_teardown),
		cmocka_unit_test_teardown(test_from_softirq_refused,
					  th_teardown),
		cmocka_unit_test_teardown(test_invalid_cpu_enxio, th_teardown),
		cmocka_unit_test_teardown(test_cross_calls_from_two_threads,
					  th_teardown),
		cmocka_unit_test_teardown(test_u2_calls_allocate_nothing,
					  th_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
