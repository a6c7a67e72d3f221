/* SPDX-License-Identifier: MIT */
/*
 * One full use of the library, for the fault-injection sweeps
 * (tests/test_fault_*.c, docs/RELIABILITY.md): start it, create a
 * workqueue of each kind (per-CPU, unbound, ordered, high priority, BH, and
 * WQ_MEM_RECLAIM bound and unbound), queue and flush work and delayed work,
 * schedule tasklets, arm a timer and two hrtimers (soft, hard), request irq
 * lines of each source (software, threaded, fd, timerfd, signal), make
 * cross-CPU calls, print /proc/interrupts, destroy, shut down.
 *
 * Each step either succeeds or fails with a clean negative errno (or NULL)
 * while a fault has been injected, and the scenario goes on with what it
 * got. At the end, every item the library accepted (a queue call that
 * returned true, a tasklet schedule that returned 1, a timer armed, a
 * cross-CPU call that returned 0) has run or was reported cancelled by
 * bh_shutdown(): ran + cancelled == accepted.
 */
#ifndef BH_TEST_FAULT_SCENARIO_H
#define BH_TEST_FAULT_SCENARIO_H

#include "harness.h"

#include <sys/eventfd.h>

struct fs_result {
	int init;		    /* bh_init()'s result */
	unsigned long accepted;	    /* items the library took */
	unsigned long ran;	    /* of those, runs seen */
	int cancelled;		    /* bh_shutdown()'s count */
	unsigned long refused;	    /* steps that failed cleanly */
	unsigned long injected;	    /* faults injected during the run */
	unsigned long long rescued; /* items the rescuers ran */
};

static unsigned long fs_ran; /* A: every item's function adds one */

static void fs_work(struct bh_work *w)
{
	(void)w;
	th_inc(&fs_ran);
}

static void fs_tasklet(struct bh_tasklet *t)
{
	(void)t;
	th_inc(&fs_ran);
}

static void fs_timer(struct bh_timer *t)
{
	(void)t;
	th_inc(&fs_ran);
}

static enum bh_hrtimer_restart fs_hrtimer(struct bh_hrtimer *t)
{
	(void)t;
	th_inc(&fs_ran);
	return BH_HRTIMER_NORESTART;
}

static void fs_call(void *info)
{
	(void)info;
	th_inc(&fs_ran);
}

static bh_irqreturn_t fs_irq(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	return BH_IRQ_HANDLED;
}

static bh_irqreturn_t fs_irq_wake(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	return BH_IRQ_WAKE_THREAD;
}

static bh_irqreturn_t fs_irq_thread(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	return BH_IRQ_HANDLED;
}

/* A failure is clean: a negative errno the library documents for it. */
static inline void fs_refused(struct fs_result *r, int err)
{
	assert_true(err == -ENOMEM || err == -EAGAIN || err == -EMFILE);
	r->refused++;
}

#define FS_NR_WQ 7
#define FS_WORKS 3
/* Lines this scenario uses (others' tests use lower ones). */
#define FS_IRQ 200

/*
 * With `persistent` (every checked call from the Nth on fails), the faults
 * stop before the flushes: a pool that cannot make a worker keeps its
 * ordinary items waiting until it can (the kernel's behaviour), and only
 * WQ_MEM_RECLAIM queues are promised progress. So those are flushed
 * first, still under the faults: their rescuers run their items (SPEC
 * F14). Then the faults stop and the rest is flushed.
 */
static void fs_run(struct fs_result *r, bool persistent)
{
	static const struct {
		const char *name;
		unsigned int flags;
		int max_active;
	} kinds[FS_NR_WQ] = {
		{"fs_percpu", BH_WQ_PERCPU, 0},
		{"fs_unbound", BH_WQ_UNBOUND, 0},
		{"fs_ordered", BH_WQ_UNBOUND | BH_WQ_ORDERED_, 1},
		{"fs_highpri", BH_WQ_HIGHPRI, 0},
		{"fs_bh", BH_WQ_BH, 0},
		{"fs_reclaim", BH_WQ_MEM_RECLAIM | BH_WQ_PERCPU, 0},
		{"fs_reclaim_unbound", BH_WQ_MEM_RECLAIM | BH_WQ_UNBOUND, 0},
	};
	struct bh_workqueue *wq[FS_NR_WQ];
	struct bh_work works[FS_NR_WQ][FS_WORKS], sys_work;
	struct bh_delayed_work dworks[FS_NR_WQ];
	struct bh_tasklet t, hi;
	struct bh_timer timer;
	struct bh_hrtimer hrt[2];
	struct bh_config cfg;
	int err;

	memset(r, 0, sizeof(*r));
	th_st(&fs_ran, 0);
	th_log_clear();
	th_config(&cfg, 2, false);
	r->init = bh_init(&cfg);
	if (r->init) {
		/* bh_init(3): a thread or the memory for the system
		 * workqueues could not be had; nothing is left running. */
		fs_refused(r, r->init);
		assert_false(bh_running());
		r->injected = bh_fault_injected();
		if (persistent)
			assert_int_equal(bh_fault_inject(0, 0, 0), 0);
		return;
	}

	for (int i = 0; i < FS_NR_WQ; i++) {
		wq[i] = bh_alloc_workqueue("%s", kinds[i].flags,
					   kinds[i].max_active, kinds[i].name);
		if (!wq[i]) {
			r->refused++;
			continue;
		}
		for (int j = 0; j < FS_WORKS; j++) {
			bh_work_init(&works[i][j], fs_work);
			r->accepted += bh_queue_work(wq[i], &works[i][j]);
		}
		bh_delayed_work_init(&dworks[i], fs_work);
		r->accepted += bh_queue_delayed_work(wq[i], &dworks[i], 1);
	}
	bh_work_init(&sys_work, fs_work);
	r->accepted += bh_schedule_work(&sys_work);

	bh_tasklet_setup(&t, fs_tasklet);
	bh_tasklet_setup(&hi, fs_tasklet);
	err = bh_tasklet_schedule(&t);
	assert_true(err == 0 || err == 1);
	r->accepted += (unsigned long)err;
	err = bh_tasklet_hi_schedule(&hi);
	assert_true(err == 0 || err == 1);
	r->accepted += (unsigned long)err;

	bh_timer_setup(&timer, fs_timer, 0);
	assert_int_equal(bh_mod_timer(&timer, bh_jiffies() + 1), 0);
	r->accepted++;

	/* hrtimers, soft and hard: the first setup starts their thread. */
	for (int i = 0; i < 2; i++) {
		err = bh_hrtimer_setup(&hrt[i], fs_hrtimer, CLOCK_MONOTONIC,
				       i ? BH_HRTIMER_MODE_REL_HARD
					 : BH_HRTIMER_MODE_REL_SOFT);
		if (err) {
			fs_refused(r, err);
			continue;
		}
		assert_int_equal(bh_hrtimer_start(&hrt[i], 1000000,
						  i ? BH_HRTIMER_MODE_REL_HARD
						    : BH_HRTIMER_MODE_REL_SOFT),
				 0);
		r->accepted++;
	}

	err = bh_smp_call_function_single(1, fs_call, NULL, 1);
	assert_int_equal(err, 0); /* no allocation on this path */
	r->accepted++;
	err = bh_on_each_cpu(fs_call, NULL, 1);
	assert_int_equal(err, 0);
	r->accepted += 2;

	/* irq lines, one of each source. */
	bool requested[5] = {false};
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_true(efd >= 0);
	err = bh_request_irq(FS_IRQ, fs_irq, 0, "fs_soft", NULL);
	if (err)
		fs_refused(r, err);
	else
		requested[0] = true, assert_int_equal(bh_raise_irq(FS_IRQ), 0);
	err = bh_request_threaded_irq(FS_IRQ + 1, fs_irq_wake, fs_irq_thread,
				      BH_IRQF_ONESHOT, "fs_thread", NULL);
	if (err)
		fs_refused(r, err);
	else
		requested[1] = true,
		assert_int_equal(bh_raise_irq(FS_IRQ + 1), 0);
	err = bh_request_irq(FS_IRQ + 2, fs_irq, 0, "fs_fd", NULL);
	if (err) {
		fs_refused(r, err);
	} else {
		requested[2] = true;
		err = bh_irq_bind_fd(FS_IRQ + 2, efd, 0);
		if (err) {
			fs_refused(r, err);
		} else {
			uint64_t one = 1;
			assert_int_equal(write(efd, &one, sizeof(one)),
					 (ssize_t)sizeof(one));
		}
	}
	err = bh_request_irq(FS_IRQ + 3, fs_irq, 0, "fs_timerfd", NULL);
	if (err) {
		fs_refused(r, err);
	} else {
		requested[3] = true;
		err = bh_irq_bind_timer(FS_IRQ + 3, 1000000);
		if (err)
			fs_refused(r, err);
	}
	err = bh_request_irq(FS_IRQ + 4, fs_irq, 0, "fs_signal", NULL);
	if (err) {
		fs_refused(r, err);
	} else {
		requested[4] = true;
		err = bh_irq_bind_signal(FS_IRQ + 4, SIGURG);
		if (err)
			fs_refused(r, err);
		else
			assert_int_equal(raise(SIGURG), 0);
	}
	if (persistent) {
		for (int i = 0; i < FS_NR_WQ; i++) {
			if (!wq[i] || !(kinds[i].flags & BH_WQ_MEM_RECLAIM))
				continue;
			bh_flush_delayed_work(&dworks[i]);
			bh_flush_workqueue(wq[i]);
		}
	}
	FILE *null = fopen("/dev/null", "w");
	assert_non_null(null);
	err = bh_show_interrupts(null);
	if (err < 0)
		fs_refused(r, err);
	fclose(null);
	if (persistent) {
		r->injected = bh_fault_injected();
		assert_int_equal(bh_fault_inject(0, 0, 0), 0);
	}
	/* It waits for ordinary work: after the persistent faults. */
	err = bh_schedule_on_each_cpu(fs_work);
	if (err)
		fs_refused(r, err);
	else
		r->accepted += 2;

	for (int i = 0; i < FS_NR_WQ; i++) {
		if (!wq[i])
			continue;
		bh_flush_delayed_work(&dworks[i]);
		bh_flush_workqueue(wq[i]);
	}
	for (int i = 0; i < 5; i++) {
		if (!requested[i])
			continue;
		assert_int_equal(bh_synchronize_irq(FS_IRQ + i), 0);
		/* The fd stays open until its source is gone (irq.h). */
		err = bh_irq_unbind(FS_IRQ + i);
		assert_true(err == 0 || err == -ENOENT);
		bh_free_irq(FS_IRQ + i, NULL);
	}
	close(efd);
	for (int i = 0; i < FS_NR_WQ; i++) {
		struct bh_wq_stats st;
		if (!wq[i])
			continue;
		assert_int_equal(bh_workqueue_get_stats(wq[i], &st), 0);
		r->rescued += st.rescued;
		bh_destroy_workqueue(wq[i]);
	}
	r->cancelled = bh_shutdown();
	assert_true(r->cancelled >= 0);
	assert_false(bh_running());
	r->ran = th_ld(&fs_ran);
	if (!persistent)
		r->injected = bh_fault_injected();
	/* No lost work: what was accepted ran or was reported cancelled. */
	assert_int_equal(r->ran + (unsigned long)r->cancelled, r->accepted);
}

/*
 * The sweep: for N = 1, 2, 3, ... fail the Nth checked call of `classes`
 * (once, as the kernel's fail-nth does; or, with `times` 0, that call and
 * every later one until the scenario's flushes) and run the scenario,
 * until a run reaches no Nth call. Each run must pass fs_run()'s checks and
 * finish within FS_ALARM_S (SIGALRM's default action ends a hung sweep, naming
 * no N, but ctest shows the last "N=" line). Sanitizer builds add their
 * leak check at exit.
 */
#define FS_ALARM_S 120
#define FS_MAX_N   5000

static void fs_sweep(unsigned int classes, unsigned long times,
		     const char *name)
{
	bool persistent = !times;
	struct fs_result r;
	unsigned long injected = 0, refused = 0, init_failed = 0;
	unsigned long long rescued = 0;
	unsigned long n;

	/* Control: armed past the end, nothing fails; count the calls. */
	assert_int_equal(bh_fault_inject(classes, ~0ul, 1), 0);
	alarm(FS_ALARM_S);
	fs_run(&r, false);
	alarm(0);
	unsigned long calls = bh_fault_calls();
	assert_int_equal(r.injected, 0);
	assert_int_equal(r.refused, 0);
	assert_true(calls > 0);

	for (n = 1; n < FS_MAX_N; n++) {
		assert_int_equal(bh_fault_inject(classes, n, times), 0);
		printf("fault sweep %s%s: N=%lu\n", name,
		       persistent ? " (persistent)" : "", n);
		fflush(stdout);
		alarm(FS_ALARM_S);
		fs_run(&r, persistent);
		alarm(0);
		assert_int_equal(bh_fault_inject(0, 0, 0), 0);
		if (!r.injected) {
			/* The end: no step may fail without a fault. */
			assert_int_equal(r.refused, 0);
			break;
		}
		if (!persistent)
			assert_int_equal(r.injected, 1);
		injected += r.injected;
		refused += r.refused != 0;
		rescued += r.rescued;
		init_failed += r.init != 0;
	}
	assert_true(n < FS_MAX_N);
	printf("fault sweep %s%s: %lu checked calls per scenario; N = 1..%lu: "
	       "%lu faults injected, %lu survived (%lu runs refused a step "
	       "cleanly, %lu of them bh_init; the others fell back; "
	       "%llu items run by rescuers)\n",
	       name, persistent ? " (persistent)" : "", calls, n, injected,
	       injected, refused, init_failed, rescued);
}

/*
 * The whole program of a sweep test over one class of faults: the
 * once-only sweep (the Nth call fails, like the kernel's fail-nth) and
 * the persistent one (every call from the Nth on fails, until the
 * flushes; WQ_MEM_RECLAIM queues make progress meanwhile: SPEC F14).
 * One program per class, so each is its own CTest test. SPEC U6, U9.
 */
#define FS_SWEEP_MAIN(classes, name)                                           \
	static void test_sweep(void **state)                                   \
	{                                                                      \
		(void)state;                                                   \
		fs_sweep(classes, 1, name);                                    \
	}                                                                      \
	static void test_sweep_persistent(void **state)                        \
	{                                                                      \
		(void)state;                                                   \
		fs_sweep(classes, 0, name);                                    \
	}                                                                      \
	int main(void)                                                         \
	{                                                                      \
		const struct CMUnitTest tests[] = {                            \
			cmocka_unit_test_teardown(test_sweep, th_teardown),    \
			cmocka_unit_test_teardown(test_sweep_persistent,       \
						  th_teardown),                \
		};                                                             \
		return cmocka_run_group_tests(tests, NULL, NULL);              \
	}

#endif
