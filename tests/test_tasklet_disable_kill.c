/* SPDX-License-Identifier: MIT */
/*
 * tasklet_disable and tasklet_kill: what they wait for and what they drop,
 * in threaded mode (ksoftirqd/N runs the tasklets, so a callback can be held
 * open while another thread calls disable or kill).
 *
 * The callbacks block on a release counter that the test bumps, and set
 * "returned" as their last action. A waiter thread reads "returned" right
 * after its wait returns: the assertion is about ordering (the wait ended
 * after the callback), never about time. "The waiter has not returned yet"
 * is checked before the release too; that check can only miss a bug (if the
 * waiter has not got far enough), never fail a correct library.
 */
#include "harness.h"

#include <pthread.h>

/* Bounded wait for a predicate on a tasklet; false on timeout. */
static bool wait_for(bool (*pred)(const struct bh_tasklet *),
		     const struct bh_tasklet *t, bool want)
{
	uint64_t deadline = th_now_ns() + TH_WAIT_NS;

	while (pred(t) != want) {
		if (th_now_ns() > deadline)
			return false;
		sched_yield();
	}
	return true;
}

static bool wait_for_count(const struct bh_tasklet *t, int v)
{
	uint64_t deadline = th_now_ns() + TH_WAIT_NS;

	while (th_tasklet_count(t) != v) {
		if (th_now_ns() > deadline)
			return false;
		sched_yield();
	}
	return true;
}

/* Let another thread make progress a while; not a timing assumption. */
static void give_way(void)
{
	for (int i = 0; i < 2000; i++)
		sched_yield();
}

/* A tasklet whose n-th run waits until release >= n. */
struct blk {
	struct bh_tasklet t;
	unsigned long entered, release, returned, timeouts;
};

static void blk_cb(struct bh_tasklet *t)
{
	struct blk *b = bh_from_tasklet(b, t, t);
	unsigned long n = __atomic_add_fetch(&b->entered, 1, __ATOMIC_ACQ_REL);

	if (!th_wait_ge(&b->release, n))
		th_inc(&b->timeouts);
	th_st(&b->returned, n);
}

static void blk_init(struct blk *b)
{
	memset(b, 0, sizeof(*b));
	bh_tasklet_setup(&b->t, blk_cb);
}

/* A tasklet that only counts its runs. */
struct cnt {
	struct bh_tasklet t;
	unsigned long runs;
};

static void cnt_cb(struct bh_tasklet *t)
{
	struct cnt *c = bh_from_tasklet(c, t, t);

	th_inc(&c->runs);
}

/* A waiter thread: calls op(t) and snapshots what it saw on return. */
enum op {
	OP_DISABLE,
	OP_DISABLE_IN_ATOMIC,
	OP_KILL,
	OP_UNLOCK_WAIT,
	OP_UNLOCK_SPIN_WAIT
};

struct waiter {
	pthread_t th;
	enum op op;
	struct bh_tasklet *t;
	const unsigned long *watch; /* snapshotted at return */
	unsigned long calling, done, watched;
	bool sched_at_return, running_at_return;
	int ret;
};

static void *waiter_fn(void *p)
{
	struct waiter *w = p;

	th_st(&w->calling, 1);
	switch (w->op) {
	case OP_DISABLE:
		w->ret = bh_tasklet_disable(w->t);
		break;
	case OP_DISABLE_IN_ATOMIC:
		/* The kernel's use: from atomic context, busy-waiting. */
		bh_local_bh_disable();
		w->ret = bh_tasklet_disable_in_atomic(w->t);
		bh_local_bh_enable();
		break;
	case OP_KILL:
		w->ret = bh_tasklet_kill(w->t);
		break;
	case OP_UNLOCK_WAIT:
		w->ret = bh_tasklet_unlock_wait(w->t);
		break;
	case OP_UNLOCK_SPIN_WAIT:
		w->ret = bh_tasklet_unlock_spin_wait(w->t);
		break;
	}
	w->watched = th_ld(w->watch);
	w->sched_at_return = bh_tasklet_is_scheduled(w->t);
	w->running_at_return = bh_tasklet_is_running(w->t);
	th_st(&w->done, 1);
	return NULL;
}

static void waiter_start(struct waiter *w, enum op op, struct bh_tasklet *t,
			 const unsigned long *watch)
{
	memset(w, 0, sizeof(*w));
	w->op = op;
	w->t = t;
	w->watch = watch;
	assert_int_equal(pthread_create(&w->th, NULL, waiter_fn, w), 0);
	assert_true(th_wait_ge(&w->calling, 1));
}

static void waiter_join(struct waiter *w)
{
	assert_int_equal(pthread_join(w->th, NULL), 0);
}

static int setup_threaded(void **state)
{
	(void)state;
	th_init_cpu0(2, false);
	return 0;
}

/* Schedule b on bh CPU 0 and wait until its callback is held open. */
static void start_blocked(struct blk *b)
{
	blk_init(b);
	assert_int_equal(bh_tasklet_schedule(&b->t), 1);
	assert_true(th_wait_ge(&b->entered, 1));
	assert_true(bh_tasklet_is_running(&b->t));
}

static void disable_waits(enum op op)
{
	static struct blk b;
	struct waiter w;

	start_blocked(&b);
	waiter_start(&w, op, &b.t, &b.returned);
	/* The depth is raised before the wait starts. */
	assert_true(wait_for_count(&b.t, 1));
	give_way();
	assert_int_equal(th_ld(&w.done), 0);
	assert_true(bh_tasklet_is_running(&b.t));

	th_st(&b.release, 1);
	waiter_join(&w);
	assert_int_equal(w.ret, 0);
	assert_int_equal(w.watched, 1); /* returned only after the callback */
	assert_false(w.running_at_return);
	assert_int_equal(th_tasklet_count(&b.t), 1);
	assert_int_equal(th_ld(&b.timeouts), 0);
	assert_int_equal(bh_tasklet_enable(&b.t), 0);
}

/* SPEC T16: disable raises the depth, then waits for a running callback. */
static void test_t16_disable_waits_for_running(void **state)
{
	(void)state;
	disable_waits(OP_DISABLE);
}

/* SPEC T16: disable_in_atomic busy-waits for it, from atomic context. */
static void test_t16_disable_in_atomic_waits(void **state)
{
	(void)state;
	disable_waits(OP_DISABLE_IN_ATOMIC);
}

/* SPEC T16: disable_nosync does not wait. */
static void test_t16_disable_nosync_does_not_wait(void **state)
{
	(void)state;
	static struct blk b;

	start_blocked(&b);
	assert_int_equal(bh_tasklet_disable_nosync(&b.t), 0);
	assert_int_equal(th_tasklet_count(&b.t), 1);
	/* Still inside the callback: nosync returned without waiting. */
	assert_int_equal(th_ld(&b.returned), 0);
	assert_true(bh_tasklet_is_running(&b.t));
	th_st(&b.release, 1);
	assert_true(th_wait_ge(&b.returned, 1));
	assert_true(wait_for(bh_tasklet_is_running, &b.t, false));
	assert_int_equal(bh_tasklet_enable(&b.t), 0);
}

/*
 * SPEC T24: the core touches the tasklet after the callback returns, to
 * clear RUN and wake waiters: unlock_wait and unlock_spin_wait return only
 * after the callback has.
 */
static void test_t24_unlock_wait_woken_after_callback(void **state)
{
	(void)state;
	static struct blk b;
	enum op ops[] = {OP_UNLOCK_WAIT, OP_UNLOCK_SPIN_WAIT};

	for (unsigned int i = 0; i < 2; i++) {
		struct waiter w;

		start_blocked(&b);
		waiter_start(&w, ops[i], &b.t, &b.returned);
		give_way();
		assert_int_equal(th_ld(&w.done), 0);
		th_st(&b.release, 1);
		waiter_join(&w);
		assert_int_equal(w.ret, 0);
		assert_int_equal(w.watched, 1);
		assert_false(w.running_at_return);
	}
}

/*
 * SPEC T20: kill returns when the tasklet is neither scheduled nor
 * running, and it does not dequeue: the pending run happens first.
 * The tasklet is kept pending behind a blocked one on the same bh CPU.
 */
static void test_t20_kill_lets_pending_run(void **state)
{
	(void)state;
	static struct blk x;
	static struct cnt c;
	struct waiter w;

	memset(&c, 0, sizeof(c));
	bh_tasklet_setup(&c.t, cnt_cb);
	/* Idle: returns at once. */
	assert_int_equal(bh_tasklet_kill(&c.t), 0);

	start_blocked(&x);
	assert_int_equal(bh_tasklet_schedule(&c.t), 1);
	waiter_start(&w, OP_KILL, &c.t, &c.runs);
	give_way();
	assert_int_equal(th_ld(&w.done), 0);
	assert_int_equal(th_ld(&c.runs), 0);

	th_st(&x.release, 1);
	waiter_join(&w);
	assert_int_equal(w.ret, 0);
	assert_int_equal(w.watched, 1); /* it ran before kill returned */
	assert_false(w.sched_at_return);
	assert_false(w.running_at_return);
	assert_int_equal(th_ld(&x.timeouts), 0);
}

/* SPEC T20: kill also waits for a run in progress. */
static void test_t20_kill_waits_for_running(void **state)
{
	(void)state;
	static struct blk b;
	struct waiter w;

	start_blocked(&b);
	waiter_start(&w, OP_KILL, &b.t, &b.returned);
	give_way();
	assert_int_equal(th_ld(&w.done), 0);
	th_st(&b.release, 1);
	waiter_join(&w);
	assert_int_equal(w.ret, 0);
	assert_int_equal(w.watched, 1);
	assert_false(w.sched_at_return);
	assert_false(w.running_at_return);
	assert_int_equal(th_ld(&b.entered), 1);
}

/*
 * SPEC T21: while kill waits for the running callback it holds SCHED, so
 * a schedule from elsewhere is dropped (returns 0, no run follows); on
 * return SCHED is clear and the tasklet can be scheduled again.
 */
static void test_t21_schedule_dropped_while_killing(void **state)
{
	(void)state;
	static struct blk b;
	struct waiter w;

	start_blocked(&b);
	assert_false(bh_tasklet_is_scheduled(&b.t)); /* cleared before run */
	waiter_start(&w, OP_KILL, &b.t, &b.entered);
	/* Nobody else schedules it: SCHED set now means kill holds it. */
	assert_true(wait_for(bh_tasklet_is_scheduled, &b.t, true));
	assert_int_equal(bh_tasklet_schedule(&b.t), 0);
	assert_int_equal(bh_tasklet_hi_schedule(&b.t), 0);
	assert_int_equal(th_ld(&w.done), 0);

	th_st(&b.release, 1);
	waiter_join(&w);
	assert_int_equal(w.ret, 0);
	assert_false(w.sched_at_return);
	assert_false(w.running_at_return);
	/* Neither dropped schedule produced a run. */
	assert_int_equal(w.watched, 1);
	assert_int_equal(th_ld(&b.entered), 1);

	/* Usable again after kill. */
	th_st(&b.release, 2);
	assert_int_equal(bh_tasklet_schedule(&b.t), 1);
	assert_true(th_wait_ge(&b.returned, 2));
	assert_int_equal(th_ld(&b.entered), 2);
}

/* A tasklet that reschedules itself for as long as `resched` is set. */
struct selfr {
	struct bh_tasklet t;
	unsigned long resched, killing;
	unsigned long runs, dropped, errors, timeouts;
	long last_ret;
};

static void selfr_cb(struct bh_tasklet *t)
{
	struct selfr *s = bh_from_tasklet(s, t, t);
	int r;

	th_inc(&s->runs);
	if (!th_ld(&s->resched))
		return;
	/*
	 * Once kill has been called, hold this run open until kill has taken
	 * SCHED (nobody else sets it while we run), so that the test does
	 * not depend on kill winning a race for the short window between
	 * SCHED clearing and the reschedule.
	 */
	if (th_ld(&s->killing) && !wait_for(bh_tasklet_is_scheduled, t, true))
		th_inc(&s->timeouts);
	r = bh_tasklet_schedule(t);
	if (r == 0)
		th_inc(&s->dropped);
	else if (r < 0)
		th_inc(&s->errors);
	__atomic_store_n(&s->last_ret, r, __ATOMIC_RELEASE);
}

/*
 * SPEC T21: a self-rescheduling tasklet is stopped by kill: the schedule
 * from its callback while kill holds SCHED is dropped.
 */
static void test_t21_kill_stops_self_rescheduling(void **state)
{
	(void)state;
	static struct selfr s;
	unsigned long runs;

	memset(&s, 0, sizeof(s));
	bh_tasklet_setup(&s.t, selfr_cb);
	th_st(&s.resched, 1);
	assert_int_equal(bh_tasklet_schedule(&s.t), 1);
	assert_true(th_wait_ge(&s.runs, 50));

	th_st(&s.killing, 1);
	assert_int_equal(bh_tasklet_kill(&s.t), 0);
	assert_false(bh_tasklet_is_scheduled(&s.t));
	assert_false(bh_tasklet_is_running(&s.t));
	assert_int_equal(th_ld(&s.dropped), 1);
	assert_int_equal(__atomic_load_n(&s.last_ret, __ATOMIC_ACQUIRE), 0);
	assert_int_equal(th_ld(&s.errors), 0);
	assert_int_equal(th_ld(&s.timeouts), 0);

	/* Stopped for good, yet it may be scheduled again. */
	runs = th_ld(&s.runs);
	th_st(&s.resched, 0);
	assert_int_equal(bh_tasklet_schedule(&s.t), 1);
	assert_true(th_wait_ge(&s.runs, runs + 1));
	assert_true(wait_for(bh_tasklet_is_running, &s.t, false));
	assert_int_equal(th_ld(&s.runs), runs + 1);
	assert_int_equal(th_ld(&s.dropped), 1);
}

/*
 * SPEC T22: kill on a tasklet that is scheduled and disabled returns only
 * after someone else enables it (and the pending run has happened).
 */
static void test_t22_kill_scheduled_disabled_waits_for_enable(void **state)
{
	(void)state;
	static struct cnt c;
	struct waiter w;

	memset(&c, 0, sizeof(c));
	bh_tasklet_setup(&c.t, cnt_cb);
	assert_int_equal(bh_tasklet_disable_nosync(&c.t), 0);
	assert_int_equal(bh_tasklet_schedule(&c.t), 1);

	waiter_start(&w, OP_KILL, &c.t, &c.runs);
	give_way();
	assert_int_equal(th_ld(&w.done), 0);
	assert_int_equal(th_ld(&c.runs), 0);
	assert_true(bh_tasklet_is_scheduled(&c.t));

	assert_int_equal(bh_tasklet_enable(&c.t), 0);
	waiter_join(&w);
	assert_int_equal(w.ret, 0);
	assert_int_equal(w.watched, 1);
	assert_false(w.sched_at_return);
	assert_false(w.running_at_return);
}

#define TT(fn)                                                                 \
	cmocka_unit_test_setup_teardown(fn, setup_threaded,                    \
					th_teardown_shutdown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TT(test_t16_disable_waits_for_running),
		TT(test_t16_disable_in_atomic_waits),
		TT(test_t16_disable_nosync_does_not_wait),
		TT(test_t24_unlock_wait_woken_after_callback),
		TT(test_t20_kill_lets_pending_run),
		TT(test_t20_kill_waits_for_running),
		TT(test_t21_schedule_dropped_while_killing),
		TT(test_t21_kill_stops_self_rescheduling),
		TT(test_t22_kill_scheduled_disabled_waits_for_enable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
