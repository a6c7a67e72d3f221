/* SPDX-License-Identifier: MIT */
/*
 * Timers in threaded mode: real jiffies, callbacks in ksoftirqd/N, which
 * has no periodic tick and sleeps until the next non-deferrable expiry of
 * its base. Only what needs threads is here (the expiry jiffy and the
 * state machine are pinned in deterministic mode by test_timer_wheel.c and
 * test_timer_api.c).
 *
 * Nothing waits on wall-clock time: every wait is a bounded wait on a
 * counter (th_wait_ge) or on a thread's scheduler state (th_wait_asleep);
 * the bound only turns a hang into a failure. A callback that must stay
 * running while the test acts blocks on a release flag, again bounded.
 */
#include "harness.h"

#define REARM_AHEAD 1000 /* jiffies: 4 s at HZ 250 */

#include <pthread.h>

struct ot {
	struct bh_timer t;
	unsigned long runs;	/* A */
	unsigned long entered;	/* A: the callback started */
	unsigned long finished; /* A: the callback is about to return */
	unsigned long fired;	/* A: jiffies in the last run */
	unsigned long tid;	/* A: the thread that ran it */
	int cpu;		/* A */
	char name[16];		/* written before `runs` is bumped */
	bool block;		/* wait for `release` in the callback */
	bool rearm;		/* re-arm itself, once, before returning */
	int rearm_ret;		/* A */
};

static struct ot objs[4];
static unsigned long release;
static unsigned long release_timeouts;

static void ot_cb(struct bh_timer *t)
{
	struct ot *o = bh_from_timer(o, t, t);

	th_inc(&o->entered);
	__atomic_store_n(&o->fired, bh_jiffies(), __ATOMIC_RELAXED);
	__atomic_store_n(&o->cpu, bh_smp_processor_id(), __ATOMIC_RELAXED);
	__atomic_store_n(&o->tid, th_tid(), __ATOMIC_RELAXED);
	pthread_getname_np(pthread_self(), o->name, sizeof(o->name));
	if (o->block && !th_wait_ge(&release, 1))
		th_inc(&release_timeouts);
	/*
	 * Far ahead: the re-arm must be removed by the sync call that waits
	 * for this callback, not race it to the next jiffy (which a slow run,
	 * under TSan, could let it win, as the kernel's loop would too).
	 */
	if (o->rearm && th_ld(&o->runs) == 0)
		__atomic_store_n(
			&o->rearm_ret,
			bh_mod_timer(&o->t, bh_jiffies() + REARM_AHEAD),
			__ATOMIC_RELAXED);
	th_inc(&o->finished);
	th_inc(&o->runs);
}

static int setup_threaded(void **state)
{
	(void)state;
	th_init(2, false);
	assert_int_equal(bh_thread_set_cpu(0), 0);
	memset(objs, 0, sizeof(objs));
	for (int i = 0; i < 4; i++)
		bh_timer_setup(&objs[i].t, ot_cb, 0);
	th_st(&release, 0);
	th_st(&release_timeouts, 0);
	return 0;
}

/*
 * Arm `o` on this thread's bh CPU for `d` jiffies and wait until it ran.
 * Proves that the CPU's ksoftirqd woke by itself for the expiry.
 */
static void run_after(struct ot *o, unsigned long d)
{
	unsigned long before = th_ld(&o->runs);
	unsigned long j = bh_jiffies();

	assert_int_equal(bh_mod_timer(&o->t, j + d), 0);
	assert_true(th_wait_ge(&o->runs, before + 1));
	/* SPEC K2 on the real clock: never early. */
	assert_true(bh_time_after_eq(th_ld(&o->fired), j + d));
}

/*
 * A timer armed for +2 jiffies fires in ksoftirqd/N of the arming CPU with
 * nothing else happening: ksoftirqd/N slept with a timeout set from the
 * timer's expiry (there is no tick to wake it). SPEC K4 for the thread.
 */
static void test_fires_in_ksoftirqd_without_tick(void **state)
{
	(void)state;
	char want[16];

	for (int cpu = 0; cpu < 2; cpu++) {
		struct ot *o = &objs[cpu];

		assert_int_equal(bh_thread_set_cpu(cpu), 0);
		run_after(o, 2);
		snprintf(want, sizeof(want), "ksoftirqd/%d", cpu);
		assert_string_equal(o->name, want);
		assert_int_equal(__atomic_load_n(&o->cpu, __ATOMIC_RELAXED),
				 cpu);
		assert_false(bh_timer_pending(&o->t));
	}
	assert_int_equal(bh_thread_set_cpu(0), 0);
	assert_int_equal(bh_warn_count(), 0);
	assert_int_equal(bh_shutdown(), 0);
}

/*
 * Arming a timer earlier than the one ksoftirqd/0 sleeps for makes it
 * wake and sleep again for the earlier one (the REPROGRAM kick): the far
 * timer is 400 s away, far past the 10 s bound of the wait, so without
 * the kick the near one could not be seen to fire.
 */
static void test_earlier_timer_reprograms_sleep(void **state)
{
	(void)state;
	struct ot *learn = &objs[0], *far = &objs[1], *near = &objs[2];

	run_after(learn, 1); /* learn ksoftirqd/0's thread id */
	unsigned long tid = th_ld(&learn->tid);
	assert_int_not_equal(tid, th_tid());

	assert_int_equal(bh_mod_timer(&far->t, bh_jiffies() + 100000), 0);
	/* It sleeps now, and for the far timer (the kick came before). */
	assert_true(th_wait_asleep(tid));
	run_after(near, 2);
	assert_int_equal(th_ld(&near->tid), tid);
	assert_int_equal(th_ld(&far->runs), 0);
	assert_true(bh_timer_pending(&far->t));

	/* Once more, now that it sleeps for the far timer again. */
	assert_true(th_wait_asleep(tid));
	run_after(near, 3);
	assert_int_equal(th_ld(&far->runs), 0);
	assert_int_equal(bh_timer_delete(&far->t), 1);
	assert_int_equal(bh_warn_count(), 0);
	assert_int_equal(bh_shutdown(), 0);
}

/*
 * SPEC K5: timer_delete does not wait for a running callback. The
 * callback blocks until released; timer_delete from this thread returns
 * 0 (the timer is running, not pending) while it is still blocked. A
 * mod_timer meanwhile re-arms it (returns 0), and a delete then finds it
 * pending (1).
 */
static void test_k5_delete_does_not_wait(void **state)
{
	(void)state;
	struct ot *o = &objs[0];

	o->block = true;
	assert_int_equal(bh_mod_timer(&o->t, bh_jiffies() + 1), 0);
	assert_true(th_wait_ge(&o->entered, 1));

	assert_int_equal(bh_timer_delete(&o->t), 0);
	assert_int_equal(th_ld(&o->finished), 0); /* returned, still running */
	assert_int_equal(bh_mod_timer(&o->t, bh_jiffies() + 1000), 0);
	assert_true(bh_timer_pending(&o->t));
	assert_int_equal(bh_timer_delete(&o->t), 1);
	assert_int_equal(th_ld(&o->finished), 0);

	th_st(&release, 1);
	assert_true(th_wait_ge(&o->finished, 1));
	assert_true(th_wait_ge(&o->runs, 1));
	assert_int_equal(th_ld(&release_timeouts), 0);
	assert_int_equal(bh_warn_count(), 0);
	assert_int_equal(bh_shutdown(), 0);
}

struct syncer {
	struct ot *o;
	bool shutdown;
	unsigned long tid;	     /* A: published before the call */
	unsigned long returned;	     /* A: the call returned */
	unsigned long finished_seen; /* A: o->finished right after it */
	int ret;
};

static void *syncer_main(void *arg)
{
	struct syncer *s = arg;

	th_st(&s->tid, th_tid());
	s->ret = s->shutdown ? bh_timer_shutdown_sync(&s->o->t)
			     : bh_timer_delete_sync(&s->o->t);
	th_st(&s->finished_seen, th_ld(&s->o->finished));
	th_st(&s->returned, 1);
	return NULL;
}

/*
 * Start a thread that calls delete_sync (or shutdown_sync) on o, whose
 * callback is blocked; wait until that thread sleeps inside the call, check
 * it has not returned, release the callback and join. The thread blocks
 * nowhere else, so asleep means waiting for the callback.
 */
static void sync_against_running(struct syncer *s)
{
	pthread_t th;

	assert_true(th_wait_ge(&s->o->entered, 1));
	assert_int_equal(pthread_create(&th, NULL, syncer_main, s), 0);
	assert_true(th_wait_ge(&s->tid, 1));
	assert_true(th_wait_asleep(th_ld(&s->tid)));
	assert_int_equal(th_ld(&s->returned), 0);
	assert_int_equal(th_ld(&s->o->finished), 0);
	th_st(&release, 1);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(th_ld(&release_timeouts), 0);
}

/* Wait until a fresh timer armed for +d on bh CPU `cpu` has run. */
static void barrier_timer(struct ot *b, int cpu, unsigned long d)
{
	assert_int_equal(bh_thread_set_cpu(cpu), 0);
	run_after(b, d);
	assert_int_equal(bh_thread_set_cpu(0), 0);
}

/*
 * SPEC K6: timer_delete_sync waits for a running callback: it returns only
 * after the callback finished (its last store is visible to the caller).
 */
static void test_k6_delete_sync_waits(void **state)
{
	(void)state;
	struct ot *o = &objs[0];
	struct syncer s = {.o = o};

	o->block = true;
	assert_int_equal(bh_mod_timer(&o->t, bh_jiffies() + 1), 0);
	sync_against_running(&s);
	assert_int_equal(s.ret, 0); /* it was running, not pending */
	assert_int_equal(th_ld(&s.finished_seen), 1);
	assert_false(bh_timer_pending(&o->t));
	assert_int_equal(bh_warn_count(), 0);
	assert_int_equal(bh_shutdown(), 0);
}

/*
 * SPEC K6 with a callback that re-arms its own timer while delete_sync
 * waits for it. The kernel's timer_delete_sync() deletes only once the
 * callback is not running (it retries try_to_del_timer_sync()), so it
 * removes that re-arm: on return the timer is neither queued nor running
 * (its documented guarantee) and the call returns 1, as it deactivated a
 * pending timer. Checked: not pending on return, no second run (a later
 * timer on the same CPU fires first), return 1.
 */
static void test_k6_delete_sync_removes_rearm_from_callback(void **state)
{
	(void)state;
	struct ot *o = &objs[0];
	struct syncer s = {.o = o};

	o->block = true;
	o->rearm = true;
	assert_int_equal(bh_mod_timer(&o->t, bh_jiffies() + 1), 0);
	sync_against_running(&s);
	assert_int_equal(th_ld(&s.finished_seen), 1);
	assert_int_equal(__atomic_load_n(&o->rearm_ret, __ATOMIC_RELAXED), 0);
	bool pending = bh_timer_pending(&o->t);
	barrier_timer(&objs[1], 0, 5);
	unsigned long runs = th_ld(&o->runs);
	bh_timer_delete_sync(&o->t); /* clean up whatever the result */
	if (pending || runs != 1)
		fail_msg("after timer_delete_sync the re-armed timer was %s "
			 "and ran %lu times in all (want: not pending, 1 run)",
			 pending ? "pending" : "not pending", runs);
	assert_int_equal(s.ret, 1);
	assert_int_equal(bh_shutdown(), 0);
}

/*
 * SPEC K10 with K6: timer_shutdown_sync waits like delete_sync, and the
 * callback's own re-arm meanwhile is ignored (returns 0).
 */
static void test_k10_shutdown_sync_waits_and_blocks_rearm(void **state)
{
	(void)state;
	struct ot *o = &objs[0];
	struct syncer s = {.o = o, .shutdown = true};

	o->block = true;
	o->rearm = true;
	assert_int_equal(bh_mod_timer(&o->t, bh_jiffies() + 1), 0);
	sync_against_running(&s);
	assert_int_equal(s.ret, 0);
	assert_int_equal(th_ld(&s.finished_seen), 1);
	assert_int_equal(__atomic_load_n(&o->rearm_ret, __ATOMIC_RELAXED), 0);
	assert_false(bh_timer_pending(&o->t));
	barrier_timer(&objs[1], 0, 5);
	assert_int_equal(th_ld(&o->runs), 1);
	assert_int_equal(bh_mod_timer(&o->t, bh_jiffies() + 1), 0);
	assert_false(bh_timer_pending(&o->t));
	assert_int_equal(bh_warn_count(), 0);
	assert_int_equal(bh_shutdown(), 0);
}

static struct ot *waited_for;
static int cb_sync_ret;
static unsigned long cb_sync_seen; /* A: waited_for->finished after it */
static unsigned long cb_sync_done; /* A */

static void delete_sync_cb(struct bh_timer *t)
{
	struct ot *o = bh_from_timer(o, t, t);

	__atomic_store_n(&o->tid, th_tid(), __ATOMIC_RELAXED);
	th_inc(&o->entered);
	cb_sync_ret = bh_timer_delete_sync(&waited_for->t);
	th_st(&cb_sync_seen, th_ld(&waited_for->finished));
	th_st(&cb_sync_done, 1);
	th_inc(&o->runs);
}

/*
 * SPEC K6 from softirq context: the callback of timer B, on ksoftirqd/1,
 * calls timer_delete_sync on timer A while A's callback runs (blocked) on
 * ksoftirqd/0. Allowed (only hardirq and A's own callback are not), and
 * it waits: it returns after A's callback finished, without a warning.
 */
static void test_k6_delete_sync_from_another_callback_waits(void **state)
{
	(void)state;
	struct ot *a = &objs[0], *b = &objs[1];

	a->block = true;
	waited_for = a;
	bh_timer_setup(&b->t, delete_sync_cb, 0);
	assert_int_equal(bh_mod_timer(&a->t, bh_jiffies() + 1), 0);
	assert_true(th_wait_ge(&a->entered, 1));
	assert_int_equal(bh_thread_set_cpu(1), 0);
	assert_int_equal(bh_mod_timer(&b->t, bh_jiffies() + 1), 0);
	assert_int_equal(bh_thread_set_cpu(0), 0);
	assert_true(th_wait_ge(&b->entered, 1));
	/* ksoftirqd/1 blocks nowhere else inside B's callback. */
	assert_true(th_wait_asleep(th_ld(&b->tid)));
	assert_int_equal(th_ld(&cb_sync_done), 0);
	th_st(&release, 1);
	assert_true(th_wait_ge(&cb_sync_done, 1));
	assert_int_equal(th_ld(&cb_sync_seen), 1);
	assert_int_equal(cb_sync_ret, 0);
	assert_int_equal(th_ld(&release_timeouts), 0);
	if (bh_warn_count())
		fail_msg("%lu warning(s), the first: %.80s", bh_warn_count(),
			 th_log.text);
	assert_int_equal(bh_shutdown(), 0);
}

/*
 * SPEC U6 in threaded mode: a timer armed far ahead is cancelled at
 * bh_shutdown(), which warns "cancelled" and counts it.
 */
static void test_u6_shutdown_cancels_armed(void **state)
{
	(void)state;
	struct ot *o = &objs[0], *p = &objs[1];

	assert_int_equal(bh_mod_timer(&o->t, bh_jiffies() + 100000), 0);
	assert_int_equal(bh_thread_set_cpu(1), 0);
	assert_int_equal(bh_mod_timer(&p->t, bh_jiffies() + 100000), 0);
	assert_int_equal(bh_thread_set_cpu(0), 0);
	assert_int_equal(bh_shutdown(), 2);
	assert_true(th_log_has("cancelled"));
	assert_int_equal(bh_warn_count(), 2);
	assert_int_equal(th_ld(&o->runs) + th_ld(&p->runs), 0);
	assert_false(bh_timer_pending(&o->t));
	assert_false(bh_timer_pending(&p->t));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_threaded, th_teardown)
	const struct CMUnitTest tests[] = {
		T(test_fires_in_ksoftirqd_without_tick),
		T(test_earlier_timer_reprograms_sleep),
		T(test_k5_delete_does_not_wait),
		T(test_k6_delete_sync_waits),
		T(test_k6_delete_sync_removes_rearm_from_callback),
		T(test_k6_delete_sync_from_another_callback_waits),
		T(test_k10_shutdown_sync_waits_and_blocks_rearm),
		T(test_u6_shutdown_cancels_armed),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
