/* SPDX-License-Identifier: MIT */
/*
 * <linux/hrtimer.h> on a threaded runtime: HARD callbacks in hardirq
 * context on the starting bh CPU, SOFT ones in HRTIMER_SOFTIRQ; RESTART
 * with forwarding; hrtimer_forward()'s overrun count; cancel waiting for
 * a running callback; a callback never concurrent with itself; arming
 * without allocation (SPEC U2); the misuse warnings; shutdown cancelling
 * what is armed (SPEC U6).
 *
 * Callbacks never assert: they record, and the tests assert afterwards.
 * Waits are bounded (th_wait_ge); nothing sleeps to "let it happen".
 */
#include <linux/hrtimer.h>
#include <linux/interrupt.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/slab.h>
#include <linux/smp.h>

#include "harness.h"

#include <malloc.h>

#include "alloc_count.h"

struct probe {
	struct hrtimer timer;
	unsigned long runs;  /* A */
	unsigned long limit; /* RESTART until runs reaches it */
	bool hardirq, softirq, serving, irqs_off;
	int cpu;
	u64 overruns;
	ktime_t interval;
};

static enum hrtimer_restart probe_fn(struct hrtimer *t)
{
	struct probe *p = container_of(t, struct probe, timer);
	p->hardirq = in_hardirq();
	p->softirq = in_softirq();
	p->serving = in_serving_softirq();
	p->irqs_off = irqs_disabled();
	p->cpu = smp_processor_id();
	unsigned long n = __atomic_add_fetch(&p->runs, 1, __ATOMIC_RELEASE);
	if (n < p->limit) {
		p->overruns += hrtimer_forward_now(t, p->interval);
		return HRTIMER_RESTART;
	}
	return HRTIMER_NORESTART;
}

static int setup(void **state)
{
	(void)state;
	th_init(2, false);
	assert_int_equal(bh_thread_set_cpu(1), 0);
	return 0;
}

static int teardown(void **state)
{
	th_teardown(state);
	return 0;
}

/* HARD: hardirq context, interrupts off, on the bh CPU it was started on. */
static void test_hard_callback_in_hardirq(void **state)
{
	(void)state;
	struct probe p = {.limit = 1};
	hrtimer_setup(&p.timer, probe_fn, CLOCK_MONOTONIC,
		      HRTIMER_MODE_REL_HARD);
	hrtimer_start(&p.timer, ms_to_ktime(1), HRTIMER_MODE_REL_HARD);
	assert_true(hrtimer_active(&p.timer));
	assert_true(th_wait_ge(&p.runs, 1));
	assert_true(p.hardirq);
	assert_false(p.serving);
	assert_true(p.irqs_off);
	assert_int_equal(p.cpu, 1);
	/* Done and not re-armed: a cancel finds nothing. */
	assert_int_equal(hrtimer_cancel(&p.timer), 0);
	assert_false(hrtimer_active(&p.timer));
	assert_int_equal(p.runs, 1);
	th_shutdown();
}

/* Neither SOFT nor HARD: hard, as on a kernel without PREEMPT_RT. */
static void test_default_mode_is_hard(void **state)
{
	(void)state;
	struct probe p = {.limit = 1};
	hrtimer_init(&p.timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	p.timer.function = probe_fn;
	hrtimer_start(&p.timer, 0, HRTIMER_MODE_REL);
	assert_true(th_wait_ge(&p.runs, 1));
	assert_true(p.hardirq);
	assert_int_equal(hrtimer_cancel(&p.timer), 0);
	th_shutdown();
}

/* SOFT: softirq context (HRTIMER_SOFTIRQ), not hardirq. */
static void test_soft_callback_in_softirq(void **state)
{
	(void)state;
	struct probe p = {.limit = 1};
	unsigned long long before = bh_softirq_count(1, HRTIMER_SOFTIRQ);
	hrtimer_setup(&p.timer, probe_fn, CLOCK_MONOTONIC,
		      HRTIMER_MODE_REL_SOFT);
	hrtimer_start(&p.timer, us_to_ktime(200), HRTIMER_MODE_REL_SOFT);
	assert_true(th_wait_ge(&p.runs, 1));
	assert_int_equal(hrtimer_cancel(&p.timer), 0);
	assert_false(p.hardirq);
	assert_true(p.serving);
	assert_true(p.softirq);
	assert_int_equal(p.cpu, 1);
	assert_true(bh_softirq_count(1, HRTIMER_SOFTIRQ) > before);
	th_shutdown();
}

/* RESTART after hrtimer_forward_now(): periodic until NORESTART. */
static void test_restart_periodic(void **state)
{
	(void)state;
	for (int soft = 0; soft < 2; soft++) {
		enum hrtimer_mode m =
			soft ? HRTIMER_MODE_REL_SOFT : HRTIMER_MODE_REL_HARD;
		struct probe p = {.limit = 20, .interval = us_to_ktime(100)};
		hrtimer_setup(&p.timer, probe_fn, CLOCK_MONOTONIC, m);
		hrtimer_start(&p.timer, us_to_ktime(100), m);
		assert_true(th_wait_ge(&p.runs, 20));
		assert_int_equal(hrtimer_cancel(&p.timer), 0);
		assert_int_equal(p.runs, 20);
		/* At least one interval forwarded per restart. */
		assert_true(p.overruns >= 19);
		assert_false(hrtimer_active(&p.timer));
	}
	th_shutdown();
}

/* hrtimer_forward(): the kernel's overrun count, on an idle timer. */
static void test_forward_counts_overruns(void **state)
{
	(void)state;
	struct hrtimer t;
	hrtimer_setup(&t, probe_fn, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	hrtimer_set_expires(&t, 100);
	assert_int_equal(hrtimer_forward(&t, 50, 100), 0); /* not due */
	assert_int_equal(hrtimer_get_expires(&t), 100);
	assert_int_equal(hrtimer_forward(&t, 100, 100), 1); /* due now */
	assert_int_equal(hrtimer_get_expires(&t), 200);
	assert_int_equal(hrtimer_forward(&t, 450, 100), 3); /* 300, 400, 500 */
	assert_int_equal(hrtimer_get_expires(&t), 500);
	assert_int_equal(hrtimer_get_softexpires(&t), 500);
	assert_int_equal(hrtimer_forward(&t, 700, 100), 3); /* exactly on */
	assert_int_equal(hrtimer_get_expires(&t), 800);
	assert_int_equal(hrtimer_forward(&t, 800, 0), 1); /* 1 ns minimum */
	assert_int_equal(hrtimer_get_expires(&t), 801);

	/* Armed: forwarding warns and changes nothing. */
	th_log_clear();
	hrtimer_start(&t, ktime_set(3600, 0), HRTIMER_MODE_REL);
	assert_true(hrtimer_is_queued(&t));
	ktime_t e = hrtimer_get_expires(&t);
	assert_int_equal(hrtimer_forward_now(&t, 100), 0);
	assert_true(th_log_has("hrtimer_forward"));
	assert_true(hrtimer_get_expires(&t) == e);
	ktime_t left = hrtimer_get_remaining(&t);
	assert_true(left > ktime_set(3500, 0) && left <= ktime_set(3600, 0));
	assert_int_equal(hrtimer_try_to_cancel(&t), 1);
	assert_int_equal(hrtimer_try_to_cancel(&t), 0);
	assert_false(hrtimer_is_queued(&t));
	th_shutdown();
}

/* ---- cancel waits for a running callback ------------------------------- */

static struct {
	struct hrtimer timer;
	unsigned long entered, release, finished, cancel_returned;
	int cancel_result;
	unsigned long finished_seen_by_cancel;
} blk;

static enum hrtimer_restart blocking_fn(struct hrtimer *t)
{
	(void)t;
	__atomic_store_n(&blk.entered, 1, __ATOMIC_RELEASE);
	/* A barrier the test opens; bounded so a bug fails, not hangs. */
	(void)th_wait_ge(&blk.release, 1);
	__atomic_store_n(&blk.finished, 1, __ATOMIC_RELEASE);
	return HRTIMER_NORESTART;
}

static void *canceller(void *arg)
{
	(void)arg;
	blk.cancel_result = hrtimer_cancel(&blk.timer);
	blk.finished_seen_by_cancel =
		__atomic_load_n(&blk.finished, __ATOMIC_ACQUIRE);
	__atomic_store_n(&blk.cancel_returned, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void test_cancel_waits_for_callback(void **state)
{
	(void)state;
	for (int soft = 0; soft < 2; soft++) {
		enum hrtimer_mode m =
			soft ? HRTIMER_MODE_REL_SOFT : HRTIMER_MODE_REL_HARD;
		memset(&blk, 0, sizeof(blk));
		hrtimer_setup(&blk.timer, blocking_fn, CLOCK_MONOTONIC, m);
		hrtimer_start(&blk.timer, 0, m);
		assert_true(th_wait_ge(&blk.entered, 1));
		assert_true(hrtimer_callback_running(&blk.timer));
		assert_true(hrtimer_active(&blk.timer));
		assert_false(hrtimer_is_queued(&blk.timer));
		/* try_to_cancel: -1, nothing done, does not wait. */
		assert_int_equal(hrtimer_try_to_cancel(&blk.timer), -1);
		pthread_t c;
		assert_int_equal(pthread_create(&c, NULL, canceller, NULL), 0);
		assert_int_equal(
			__atomic_load_n(&blk.cancel_returned, __ATOMIC_ACQUIRE),
			0);
		__atomic_store_n(&blk.release, 1, __ATOMIC_RELEASE);
		assert_true(th_wait_ge(&blk.cancel_returned, 1));
		pthread_join(c, NULL);
		/* It returned only after the callback had finished. */
		assert_int_equal(blk.finished_seen_by_cancel, 1);
		assert_int_equal(blk.cancel_result, 0);
		assert_false(hrtimer_active(&blk.timer));
	}
	th_shutdown();
}

/* ---- misuse -------------------------------------------------------------- */

static struct {
	struct hrtimer timer;
	int result;
	unsigned long done;
} self;

static enum hrtimer_restart self_cancel_fn(struct hrtimer *t)
{
	self.result = hrtimer_cancel(t);
	__atomic_store_n(&self.done, 1, __ATOMIC_RELEASE);
	return HRTIMER_NORESTART;
}

static void test_cancel_from_own_callback_warns(void **state)
{
	(void)state;
	memset(&self, 0, sizeof(self));
	th_log_clear();
	hrtimer_setup(&self.timer, self_cancel_fn, CLOCK_MONOTONIC,
		      HRTIMER_MODE_REL_HARD);
	hrtimer_start(&self.timer, 0, HRTIMER_MODE_REL_HARD);
	assert_true(th_wait_ge(&self.done, 1));
	assert_int_equal(self.result, -1);
	assert_true(th_log_has("from the timer's own callback"));
	assert_int_equal(hrtimer_cancel(&self.timer), 0);

	/* Starting a timer never set up; a SOFT timer in HARD mode. */
	th_log_clear();
	struct hrtimer raw;
	memset(&raw, 0, sizeof(raw));
	assert_int_equal(bh_hrtimer_start(&raw, 0, BH_HRTIMER_MODE_REL),
			 -EINVAL);
	assert_true(th_log_has("never set up"));
	struct probe p = {.limit = 1};
	hrtimer_setup(&p.timer, probe_fn, CLOCK_MONOTONIC,
		      HRTIMER_MODE_REL_SOFT);
	hrtimer_start(&p.timer, ktime_set(3600, 0), HRTIMER_MODE_REL_HARD);
	assert_true(th_log_has("HARD mode on a SOFT hrtimer"));
	assert_int_equal(hrtimer_cancel(&p.timer), 1);
	th_shutdown();
}

/* ---- never concurrent with itself ------------------------------------------
 */

static struct {
	struct hrtimer timer;
	int inside;		/* A */
	unsigned long overlaps; /* A */
	unsigned long runs;	/* A */
} solo;

static enum hrtimer_restart solo_fn(struct hrtimer *t)
{
	(void)t;
	if (__atomic_add_fetch(&solo.inside, 1, __ATOMIC_ACQ_REL) > 1)
		__atomic_fetch_add(&solo.overlaps, 1, __ATOMIC_RELAXED);
	for (volatile int i = 0; i < 2000; i++)
		;
	__atomic_sub_fetch(&solo.inside, 1, __ATOMIC_ACQ_REL);
	__atomic_add_fetch(&solo.runs, 1, __ATOMIC_RELEASE);
	return HRTIMER_NORESTART;
}

static void *rearm_from_cpu0(void *arg)
{
	(void)arg;
	bh_thread_set_cpu(0);
	for (int i = 0; i < (TH_TSAN ? 200 : 2000); i++)
		hrtimer_start(&solo.timer, 0, *(enum hrtimer_mode *)arg);
	return NULL;
}

static void test_not_concurrent_with_itself(void **state)
{
	(void)state;
	for (int soft = 0; soft < 2; soft++) {
		enum hrtimer_mode m =
			soft ? HRTIMER_MODE_REL_SOFT : HRTIMER_MODE_REL_HARD;
		memset(&solo, 0, sizeof(solo));
		hrtimer_setup(&solo.timer, solo_fn, CLOCK_MONOTONIC, m);
		pthread_t t;
		assert_int_equal(pthread_create(&t, NULL, rearm_from_cpu0, &m),
				 0);
		for (int i = 0; i < (TH_TSAN ? 200 : 2000); i++)
			hrtimer_start(&solo.timer, 0, m); /* from bh CPU 1 */
		pthread_join(t, NULL);
		/* The last start is due now: it runs. */
		assert_true(th_wait_ge(&solo.runs, 1));
		assert_true(hrtimer_cancel(&solo.timer) >= 0);
		assert_int_equal(solo.overlaps, 0);
	}
	th_shutdown();
}

/* ---- SPEC U2: arming never allocates ---------------------------------------
 */

static void test_arming_does_not_allocate(void **state)
{
	(void)state;
	if (TH_SANITIZED)
		skip();
	struct probe p[8];
	for (int i = 0; i < 8; i++) {
		memset(&p[i], 0, sizeof(p[i]));
		p[i].limit = 1;
		hrtimer_setup(&p[i].timer, probe_fn, CLOCK_MONOTONIC,
			      i % 2 ? HRTIMER_MODE_REL_SOFT : HRTIMER_MODE_REL);
	}
	__atomic_store_n(&allocations, 0, __ATOMIC_RELAXED);
	counting = true;
	for (int round = 0; round < 10000; round++) {
		struct probe *q = &p[round % 8];
		enum hrtimer_mode m =
			round % 2 ? HRTIMER_MODE_REL_SOFT : HRTIMER_MODE_REL;
		/* Far away, then earlier (wakes the thread), then moved. */
		hrtimer_start(&q->timer, ktime_set(3600, round), m);
		hrtimer_start_range_ns(&q->timer, ktime_set(1800, 0), 1000, m);
		hrtimer_try_to_cancel(&q->timer);
	}
	counting = false;
	assert_int_equal(allocations, 0);
	th_shutdown();
}

/* SPEC U6: timers still armed at shutdown are cancelled and reported. */
static void test_shutdown_cancels_armed(void **state)
{
	(void)state;
	struct probe p = {.limit = 1};
	hrtimer_setup(&p.timer, probe_fn, CLOCK_REALTIME, HRTIMER_MODE_ABS);
	hrtimer_start(&p.timer, ktime_add(ktime_get_real(), ktime_set(3600, 0)),
		      HRTIMER_MODE_ABS);
	assert_true(hrtimer_is_queued(&p.timer));
	th_log_clear();
	assert_true(bh_shutdown() >= 1);
	assert_true(th_log_has("1 hrtimer(s) still armed, cancelled"));
	assert_false(hrtimer_active(&p.timer));
	assert_int_equal(p.runs, 0);
	bh_thread_set_cpu(-1);
}

/* SPEC U7: a fork child that starts its own runtime gets its own hrtimer
 * thread (the parent's does not exist there), and kmalloc works there. */
static void test_fork_child_starts_its_own(void **state)
{
	(void)state;
	/* TSan cannot follow a fork of a multi-threaded process (as
	 * test_fork.c). */
	if (TH_TSAN)
		skip();
	struct probe p = {.limit = 1};
	hrtimer_setup(&p.timer, probe_fn, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	hrtimer_start(&p.timer, ktime_set(3600, 0), HRTIMER_MODE_REL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		bh_shutdown(); /* forget the parent's copy */
		struct bh_config cfg;
		th_config(&cfg, 1, false);
		if (bh_init(&cfg))
			_exit(2);
		struct probe c = {.limit = 1};
		hrtimer_setup(&c.timer, probe_fn, CLOCK_MONOTONIC,
			      HRTIMER_MODE_REL);
		hrtimer_start(&c.timer, 0, HRTIMER_MODE_REL);
		void *m = kmalloc(16, GFP_KERNEL);
		bool ran = th_wait_ge(&c.runs, 1);
		kfree(m);
		bh_shutdown();
		_exit(ran && m ? 0 : 3);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(hrtimer_cancel(&p.timer), 1);
	th_shutdown();
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_hard_callback_in_hardirq),
		T(test_default_mode_is_hard),
		T(test_soft_callback_in_softirq),
		T(test_restart_periodic),
		T(test_forward_counts_overruns),
		T(test_cancel_waits_for_callback),
		T(test_cancel_from_own_callback_warns),
		T(test_not_concurrent_with_itself),
		T(test_arming_does_not_allocate),
		T(test_shutdown_cancels_armed),
		T(test_fork_child_starts_its_own),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
