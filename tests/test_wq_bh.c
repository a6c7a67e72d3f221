/* SPDX-License-Identifier: MIT */
/*
 * BH workqueues (SPEC B1-B7, T28, M15): items on bh_system_bh_wq,
 * bh_system_bh_highpri_wq or a BH_WQ_BH queue run in the softirq context of
 * the bh CPU that queued them, normal ones in TASKLET_SOFTIRQ and highpri
 * ones in HI_SOFTIRQ, ahead of that vector's tasklets.
 *
 * Most tests run in deterministic mode, where nothing runs until the test
 * steps a bh CPU with bh_run_softirqs(): which vector ran is read from the
 * per-CPU handler counters (the /proc/softirqs columns, S17), and a call
 * that must sleep (flush) runs in a helper thread that the test watches
 * fall asleep before it runs the softirqs that end the wait.
 */
#include "wq_harness.h"

#include <bh/workqueue.h>
#include <sys/prctl.h>

#define TASKLET_BIT (1u << BH_TASKLET_SOFTIRQ)
#define HI_BIT	    (1u << BH_HI_SOFTIRQ)

/* What a callback saw, in the order callbacks ran. */
struct rec {
	int id;
	int cpu;
	bool serving;
	bool softirq;
	bool task;
	bool irqs_off;
	unsigned int pc;
	struct bh_work *current;
	bool rescuer;
	unsigned long long tasklet_count, hi_count;
	char comm[16];
};

#define NREC 256
static struct rec recs[NREC];
static unsigned long nrec;

static void record(int id)
{
	unsigned long i = __atomic_fetch_add(&nrec, 1, __ATOMIC_ACQ_REL);
	if (i >= NREC)
		return;
	struct rec *r = &recs[i];
	r->id = id;
	r->cpu = bh_smp_processor_id();
	r->serving = bh_in_serving_softirq();
	r->softirq = bh_in_softirq();
	r->task = bh_in_task();
	r->irqs_off = bh_irqs_disabled();
	r->pc = bh_preempt_count();
	r->current = bh_current_work();
	r->rescuer = bh_current_is_workqueue_rescuer();
	r->tasklet_count = bh_softirq_count(r->cpu, BH_TASKLET_SOFTIRQ);
	r->hi_count = bh_softirq_count(r->cpu, BH_HI_SOFTIRQ);
	prctl(PR_GET_NAME, r->comm, 0, 0, 0);
}

static unsigned long nrecs(void)
{
	return th_ld(&nrec);
}

struct item {
	struct bh_work work;
	int id;
	unsigned long runs;
	int requeue; /* times left to re-queue itself */
	struct bh_workqueue *wq;
};

static void item_fn(struct bh_work *w)
{
	struct item *it = bh_container_of(w, struct item, work);

	record(it->id);
	if (it->requeue > 0) {
		it->requeue--;
		bh_queue_work(it->wq, w);
	}
	th_inc(&it->runs);
}

static void item_init(struct item *it, int id)
{
	memset(it, 0, sizeof(*it));
	it->id = id;
	bh_work_init(&it->work, item_fn);
}

struct ditem {
	struct bh_delayed_work dw;
	int id;
	unsigned long runs;
};

static void ditem_fn(struct bh_work *w)
{
	struct ditem *d =
		bh_container_of(bh_to_delayed_work(w), struct ditem, dw);
	record(d->id);
	th_inc(&d->runs);
}

static void ditem_init(struct ditem *d, int id)
{
	memset(d, 0, sizeof(*d));
	d->id = id;
	bh_delayed_work_init(&d->dw, ditem_fn);
}

/* Tasklets that record too, with ids of their own. */
struct rtasklet {
	struct bh_tasklet t;
	int id;
};

static void rtasklet_fn(struct bh_tasklet *t)
{
	record(bh_container_of(t, struct rtasklet, t)->id);
}

static void reset(void)
{
	memset(recs, 0, sizeof(recs));
	th_st(&nrec, 0);
}

static int setup_det(void **state)
{
	(void)state;
	reset();
	th_init_cpu0(2, true);
	return 0;
}

static int setup_threaded(void **state)
{
	(void)state;
	reset();
	th_init_cpu0(2, false);
	return 0;
}

static unsigned long long cnt(int cpu, unsigned int nr)
{
	return bh_softirq_count(cpu, nr);
}

/* The four kinds of BH queue and the vector each runs in. */
struct bhq {
	struct bh_workqueue *wq;
	unsigned int vec;
};

static struct bh_workqueue *own_bh, *own_bh_hi;

static void get_bh_queues(struct bhq q[4])
{
	own_bh = bh_alloc_workqueue("test_bh", BH_WQ_BH, 0);
	own_bh_hi = bh_alloc_workqueue("test_bh_%s", BH_WQ_BH | BH_WQ_HIGHPRI,
				       0, "hi");
	assert_non_null(bh_system_bh_wq);
	assert_non_null(bh_system_bh_highpri_wq);
	assert_non_null(own_bh);
	assert_non_null(own_bh_hi);
	q[0] = (struct bhq){bh_system_bh_wq, BH_TASKLET_SOFTIRQ};
	q[1] = (struct bhq){bh_system_bh_highpri_wq, BH_HI_SOFTIRQ};
	q[2] = (struct bhq){own_bh, BH_TASKLET_SOFTIRQ};
	q[3] = (struct bhq){own_bh_hi, BH_HI_SOFTIRQ};
}

static void put_bh_queues(void)
{
	bh_destroy_workqueue(own_bh);
	bh_destroy_workqueue(own_bh_hi);
	own_bh = own_bh_hi = NULL;
}

/*
 * SPEC B1: on each kind of BH queue, items queued from bh CPU 1 run there,
 * in softirq context (serving, not task, hardirqs on: S14), in queue order,
 * in one run of the one vector of their priority; nothing on bh CPU 0.
 */
static void test_b1_softirq_context_queueing_cpu_order(void **state)
{
	(void)state;
	struct bhq q[4];
	static struct item it[4][5];

	get_bh_queues(q);
	assert_int_equal(bh_thread_set_cpu(1), 0);
	for (int k = 0; k < 4; k++) {
		unsigned int other = q[k].vec == BH_HI_SOFTIRQ
					     ? BH_TASKLET_SOFTIRQ
					     : BH_HI_SOFTIRQ;

		reset();
		for (int i = 0; i < 5; i++) {
			item_init(&it[k][i], 10 * k + i);
			assert_true(bh_queue_work(q[k].wq, &it[k][i].work));
			assert_true(bh_work_pending(&it[k][i].work));
		}
		assert_int_equal(bh_softirq_pending(1), 1u << q[k].vec);
		assert_int_equal(bh_softirq_pending(0), 0);
		assert_int_equal(bh_run_softirqs(0), 0);
		assert_int_equal(nrecs(), 0);

		unsigned long long v0 = cnt(1, q[k].vec), o0 = cnt(1, other);
		assert_int_equal(bh_run_softirqs(1), 1);
		assert_int_equal(cnt(1, q[k].vec), v0 + 1);
		assert_int_equal(cnt(1, other), o0);
		assert_int_equal(bh_softirq_pending(1), 0);

		assert_int_equal(nrecs(), 5);
		for (int i = 0; i < 5; i++) {
			assert_int_equal(recs[i].id, 10 * k + i);
			assert_int_equal(recs[i].cpu, 1);
			assert_true(recs[i].serving);
			assert_true(recs[i].softirq);
			assert_false(recs[i].task);
			assert_false(recs[i].irqs_off);
			assert_int_equal(recs[i].pc & BH_SOFTIRQ_MASK,
					 BH_SOFTIRQ_OFFSET);
			assert_int_equal(it[k][i].runs, 1);
			assert_false(bh_work_pending(&it[k][i].work));
		}
	}
	put_bh_queues();
}

/*
 * SPEC B1, SPEC T28: BH items run at the start of their vector's handler,
 * before its tasklets, and each vector keeps its place: HI items, HI
 * tasklets, then normal items and normal tasklets, whatever the order of
 * scheduling.
 */
static void test_b1_t28_order_against_tasklets(void **state)
{
	(void)state;
	static struct rtasklet tn = {.id = 4}, th = {.id = 2};
	static struct item wn, wh;

	bh_tasklet_setup(&tn.t, rtasklet_fn);
	bh_tasklet_setup(&th.t, rtasklet_fn);
	item_init(&wn, 3);
	item_init(&wh, 1);
	assert_int_equal(bh_tasklet_schedule(&tn.t), 1);
	assert_int_equal(bh_tasklet_hi_schedule(&th.t), 1);
	assert_true(bh_queue_work(bh_system_bh_wq, &wn.work));
	assert_true(bh_queue_work(bh_system_bh_highpri_wq, &wh.work));
	assert_int_equal(bh_softirq_pending(0), TASKLET_BIT | HI_BIT);

	assert_int_equal(bh_run_softirqs(0), 2);
	assert_int_equal(nrecs(), 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(recs[i].id, i + 1);
}

/*
 * SPEC B1: with threads, the item runs in ksoftirqd/N of the bh CPU that
 * queued it (a raise from task context wakes it, S11).
 */
static void test_b1_threaded_runs_in_ksoftirqd_of_cpu(void **state)
{
	(void)state;
	static struct item a, b;

	item_init(&a, 1);
	item_init(&b, 2);
	assert_int_equal(bh_thread_set_cpu(1), 0);
	assert_true(bh_queue_work(bh_system_bh_wq, &a.work));
	assert_true(th_wait_ge(&a.runs, 1));
	assert_true(bh_queue_work(bh_system_bh_highpri_wq, &b.work));
	assert_true(th_wait_ge(&b.runs, 1));
	assert_int_equal(nrecs(), 2);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(recs[i].cpu, 1);
		assert_true(recs[i].serving);
		assert_false(recs[i].task);
		assert_string_equal(recs[i].comm, "ksoftirqd/1");
	}
}

/* SPEC B2: cancel and cancel_sync take a pending BH item back. */
static void test_b2_cancel(void **state)
{
	(void)state;
	static struct item a, b;

	item_init(&a, 1);
	item_init(&b, 2);
	assert_false(bh_cancel_work(&a.work));
	assert_false(bh_cancel_work_sync(&a.work));
	assert_true(bh_queue_work(bh_system_bh_wq, &a.work));
	assert_true(bh_queue_work(bh_system_bh_highpri_wq, &b.work));
	assert_true(bh_cancel_work(&a.work));
	assert_true(bh_cancel_work_sync(&b.work));
	assert_false(bh_work_pending(&a.work));
	assert_false(bh_work_pending(&b.work));
	assert_false(bh_cancel_work(&a.work));
	bh_run_all(0);
	assert_int_equal(nrecs(), 0);

	/* Cancelled items queue again normally. */
	assert_true(bh_queue_work(bh_system_bh_wq, &a.work));
	bh_run_all(0);
	assert_int_equal(a.runs, 1);
	assert_int_equal(b.runs, 0);
}

/*
 * SPEC B2 (X1-X3 on BH items): disable takes a pending instance back and
 * makes queueing fail; enable never queues; enable_and_queue does.
 */
static void test_b2_disable_enable(void **state)
{
	(void)state;
	static struct item a;

	item_init(&a, 1);
	a.wq = bh_system_bh_wq;
	assert_true(bh_queue_work(bh_system_bh_wq, &a.work));
	assert_true(bh_disable_work(&a.work));
	assert_false(bh_work_pending(&a.work));
	assert_false(bh_queue_work(bh_system_bh_wq, &a.work));
	assert_false(bh_queue_work_on(1, bh_system_bh_wq, &a.work));
	bh_run_all(0);
	assert_int_equal(a.runs, 0);

	assert_true(bh_enable_work(&a.work));
	bh_run_all(0);
	assert_int_equal(a.runs, 0);

	assert_false(bh_disable_work_sync(&a.work));
	assert_false(bh_queue_work(bh_system_bh_wq, &a.work));
	assert_true(bh_enable_and_queue_work(bh_system_bh_highpri_wq, &a.work));
	assert_true(bh_work_pending(&a.work));
	assert_int_equal(bh_softirq_pending(0), HI_BIT);
	bh_run_all(0);
	assert_int_equal(a.runs, 1);
}

/*
 * SPEC B2 (D2-D4, D7, D10, X6 on BH items): a delayed BH item is queued by
 * its timer after the delay, on the bh CPU it was queued for, and runs in
 * the softirq of its priority; mod, cancel and disable handle the timer.
 */
static void test_b2_delayed(void **state)
{
	(void)state;
	static struct ditem d, e;

	ditem_init(&d, 1);
	ditem_init(&e, 2);
	assert_true(bh_queue_delayed_work(bh_system_bh_wq, &d.dw, 3));
	assert_true(bh_delayed_work_pending(&d.dw));
	assert_false(bh_queue_delayed_work(bh_system_bh_wq, &d.dw, 1));
	assert_int_equal(bh_advance_jiffies(2), 0);
	bh_run_all(0);
	assert_int_equal(d.runs, 0);
	assert_true(bh_delayed_work_pending(&d.dw));
	unsigned long long t0 = cnt(0, BH_TASKLET_SOFTIRQ);
	assert_int_equal(bh_advance_jiffies(1), 0);
	bh_run_all(0);
	assert_int_equal(d.runs, 1);
	assert_false(bh_delayed_work_pending(&d.dw));
	assert_int_equal(nrecs(), 1);
	assert_true(recs[0].serving);
	assert_int_equal(recs[0].cpu, 0);
	assert_true(recs[0].tasklet_count > t0);

	/* _on another bh CPU: the timer and the run are there. */
	reset();
	assert_true(
		bh_queue_delayed_work_on(1, bh_system_bh_highpri_wq, &e.dw, 2));
	assert_int_equal(bh_advance_jiffies(2), 0);
	bh_run_all(0);
	assert_int_equal(e.runs, 1);
	assert_int_equal(nrecs(), 1);
	assert_int_equal(recs[0].cpu, 1);
	assert_true(recs[0].serving);

	/* mod_delayed_work 0 queues now, whatever the pending delay (D8). */
	assert_true(bh_queue_delayed_work(bh_system_bh_wq, &d.dw, 100));
	assert_true(bh_mod_delayed_work(bh_system_bh_wq, &d.dw, 0));
	assert_int_equal(bh_softirq_pending(0) & TASKLET_BIT, TASKLET_BIT);
	bh_run_all(0);
	assert_int_equal(d.runs, 2);
	/* ... and postpones one already on the worklist (D9). */
	assert_true(bh_queue_delayed_work(bh_system_bh_wq, &d.dw, 0));
	assert_true(bh_mod_delayed_work(bh_system_bh_wq, &d.dw, 5));
	bh_run_all(0);
	assert_int_equal(d.runs, 2);
	assert_int_equal(bh_advance_jiffies(5), 0);
	bh_run_all(0);
	assert_int_equal(d.runs, 3);

	/* Cancel and disable take the timer back. */
	assert_true(bh_queue_delayed_work(bh_system_bh_wq, &d.dw, 10));
	assert_true(bh_cancel_delayed_work_sync(&d.dw));
	assert_true(bh_queue_delayed_work(bh_system_bh_wq, &e.dw, 10));
	assert_true(bh_disable_delayed_work(&e.dw));
	assert_false(bh_queue_delayed_work(bh_system_bh_wq, &e.dw, 1));
	assert_int_equal(bh_advance_jiffies(20), 0);
	bh_run_all(0);
	assert_int_equal(d.runs, 3);
	assert_int_equal(e.runs, 1);
	assert_true(bh_enable_delayed_work(&e.dw));
	assert_false(bh_cancel_delayed_work(&d.dw));
}

/*
 * SPEC B2 (W4, W10 on BH items): a BH item re-queued from its own callback
 * runs once more, after the current run; a callback may free its own item,
 * which tasklets must not (T24, B9).
 */
struct self_free {
	struct bh_work work;
	unsigned long *runs;
};

static void self_free_fn(struct bh_work *w)
{
	struct self_free *s = bh_container_of(w, struct self_free, work);

	th_inc(s->runs);
	free(s);
}

/* SPEC B2, SPEC W4, SPEC W10, SPEC B9 (see above) */
static void test_b2_requeue_and_free_self(void **state)
{
	(void)state;
	static struct item a;
	static unsigned long freed_runs;

	item_init(&a, 1);
	a.requeue = 1;
	a.wq = bh_system_bh_wq;
	assert_true(bh_queue_work(bh_system_bh_wq, &a.work));
	bh_run_all(0);
	assert_int_equal(a.runs, 2);
	assert_false(bh_work_pending(&a.work));

	freed_runs = 0;
	for (int i = 0; i < 20; i++) {
		struct self_free *s = malloc(sizeof(*s));

		assert_non_null(s);
		s->runs = &freed_runs;
		bh_work_init(&s->work, self_free_fn);
		assert_true(bh_queue_work(i % 2 ? bh_system_bh_wq
						: bh_system_bh_highpri_wq,
					  &s->work));
	}
	bh_run_all(0);
	assert_int_equal(freed_runs, 20);
}

/*
 * A call that must sleep, in a helper thread: the test sees it reach the
 * point where it waits (`began`: its flush barrier queued, its flush
 * colour taken), then asleep, then runs the softirqs that end the wait
 * (C3: flushes sleep, even for BH items). Asleep alone would not do: it
 * may be on its way there, and softirqs run before it gets there leave
 * it nothing to wait for, or (a delayed item's timer not yet fired)
 * nothing to run what it then queues.
 */
struct sleeper {
	bool (*fn)(void *arg);
	void *arg;
	unsigned long tid;
	unsigned long started;
	unsigned long done;
	bool ret;
};

static void *sleeper_main(void *p)
{
	struct sleeper *s = p;

	s->tid = th_tid();
	th_st(&s->started, 1);
	s->ret = s->fn(s->arg);
	th_st(&s->done, 1);
	return NULL;
}

static bool sleep_then_run(bool (*fn)(void *), void *arg, bool (*began)(void *),
			   void *began_arg)
{
	struct sleeper s = {.fn = fn, .arg = arg};
	pthread_t th;

	assert_int_equal(pthread_create(&th, NULL, sleeper_main, &s), 0);
	assert_true(th_wait_ge(&s.started, 1));
	assert_true(began(began_arg));
	assert_true(th_wait_asleep(s.tid));
	assert_int_equal(th_ld(&s.done), 0);
	bh_run_all(0);
	assert_true(th_join(th));
	assert_int_equal(th_ld(&s.done), 1);
	return s.ret;
}

static bool do_flush_work(void *w)
{
	return bh_flush_work(w);
}

static bool do_flush_delayed(void *dw)
{
	return bh_flush_delayed_work(dw);
}

static bool do_flush_wq(void *wq)
{
	bh_flush_workqueue(wq);
	return true;
}

/* What each call has done once it waits (wq_harness.h). */
static bool flush_work_began(void *w)
{
	return wqt_wait_flush_barrier(w);
}

static bool flush_delayed_began(void *dw)
{
	/* The timer fired and the item queued, the barrier behind it. */
	return wqt_wait_flush_barrier(&((struct bh_delayed_work *)dw)->work);
}

struct wq_color {
	struct bh_workqueue *wq;
	unsigned int color; /* before the call */
};

static bool flush_wq_began(void *arg)
{
	struct wq_color *c = arg;

	return wqt_wait_flush_began(c->wq, c->color);
}

/* SPEC B2 (C1, C3, D12, C4 on BH items): flushes wait, asleep. */
static void test_b2_flush(void **state)
{
	(void)state;
	static struct item a, b, c;
	static struct ditem d;

	item_init(&a, 1);
	assert_false(bh_flush_work(&a.work));
	assert_true(bh_queue_work(bh_system_bh_wq, &a.work));
	assert_true(sleep_then_run(do_flush_work, &a.work, flush_work_began,
				   &a.work));
	assert_int_equal(a.runs, 1);
	assert_false(bh_flush_work(&a.work));

	/* The timer is fired now: no jiffies pass. */
	ditem_init(&d, 2);
	assert_true(
		bh_queue_delayed_work(bh_system_bh_highpri_wq, &d.dw, 1000));
	assert_true(sleep_then_run(do_flush_delayed, &d.dw, flush_delayed_began,
				   &d.dw));
	assert_int_equal(d.runs, 1);
	assert_false(bh_delayed_work_pending(&d.dw));

	struct bh_workqueue *wq = bh_alloc_workqueue("flushme", BH_WQ_BH, 0);
	assert_non_null(wq);
	item_init(&b, 3);
	item_init(&c, 4);
	assert_true(bh_queue_work(wq, &b.work));
	assert_true(bh_queue_work_on(1, wq, &c.work));
	struct wq_color wc = {.wq = wq, .color = wqt_wq_color(wq)};
	sleep_then_run(do_flush_wq, wq, flush_wq_began, &wc);
	assert_int_equal(b.runs, 1);
	assert_int_equal(c.runs, 1);
	bh_destroy_workqueue(wq);
}

/*
 * SPEC B3: queue_work_on another bh CPU raises the softirq there, and only
 * there; the item runs in that CPU's softirq context.
 */
static void test_b3_queue_on_other_cpu(void **state)
{
	(void)state;
	static struct item a, b;

	item_init(&a, 1);
	item_init(&b, 2);
	assert_true(bh_queue_work_on(1, bh_system_bh_wq, &a.work));
	assert_true(bh_queue_work_on(1, bh_system_bh_highpri_wq, &b.work));
	assert_int_equal(bh_softirq_pending(1), TASKLET_BIT | HI_BIT);
	assert_int_equal(bh_softirq_pending(0), 0);
	assert_int_equal(bh_run_softirqs(0), 0);
	assert_int_equal(nrecs(), 0);
	assert_int_equal(bh_run_softirqs(1), 2);
	assert_int_equal(nrecs(), 2);
	assert_int_equal(recs[0].id, 2); /* HI first */
	assert_int_equal(recs[1].id, 1);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(recs[i].cpu, 1);
		assert_true(recs[i].serving);
	}
}

/* SPEC B3: with threads, ksoftirqd/1 runs what CPU 0 queued for CPU 1. */
static void test_b3_threaded_queue_on_other_cpu(void **state)
{
	(void)state;
	static struct item a, b;

	item_init(&a, 1);
	item_init(&b, 2);
	assert_true(bh_queue_work_on(1, bh_system_bh_wq, &a.work));
	assert_true(th_wait_ge(&a.runs, 1));
	assert_true(bh_queue_work_on(1, bh_system_bh_highpri_wq, &b.work));
	assert_true(th_wait_ge(&b.runs, 1));
	assert_int_equal(nrecs(), 2);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(recs[i].cpu, 1);
		assert_true(recs[i].serving);
		assert_string_equal(recs[i].comm, "ksoftirqd/1");
	}
}

/*
 * SPEC B3, SPEC C1: an item queued from bh CPU 0 onto bh CPU 1's BH pool
 * and flushed at once, many times: every flush returns, the item having
 * run. (A flush that moves the item to the worklist while ksoftirqd/1
 * looks at the pool must not leave it there with no softirq raised.)
 * In a child, whose alarm turns a lost item into a failure instead of a
 * hang; the child's own thread queues and flushes, so that ksoftirqd/1
 * runs truly alongside it on two cores.
 */
#define B3_ROUNDS (TH_TSAN ? 5000ul : 100000ul)

static unsigned long b3_runs;

static void b3_fn(struct bh_work *w)
{
	(void)w;
	th_inc(&b3_runs);
}

static int b3_child(void *arg)
{
	static struct bh_work w;
	struct bh_config cfg;

	(void)arg;
	th_child_config(&cfg, 2, false);
	if (bh_init(&cfg) != 0)
		return 10;
	if (bh_thread_set_cpu(0) != 0)
		return 11;
	bh_work_init(&w, b3_fn);
	alarm(30); /* the rounds take about a second */
	for (unsigned long i = 0; i < B3_ROUNDS; i++) {
		bh_queue_work_on(
			1, i & 1 ? bh_system_bh_highpri_wq : bh_system_bh_wq,
			&w);
		bh_flush_work(&w);
	}
	alarm(0);
	if (th_ld(&b3_runs) != B3_ROUNDS)
		return 2;
	return bh_shutdown() >= 0 ? 0 : 13;
}

/* SPEC B3, SPEC C1 (see above) */
static void test_b3_flush_remote_bh_item(void **state)
{
	(void)state;
	th_assert_exit_code(th_run_child(b3_child, NULL, NULL, 0), 0);
}

/*
 * SPEC B4, SPEC B2 (W6): producers on both bh CPUs queue the same items,
 * on both priorities, to both CPUs: on one CPU, BH items of one priority
 * never overlap, and no item ever runs twice at once.
 */
#define B4_ITEMS  8
#define B4_ROUNDS (TH_TSAN ? 2000 : 20000)

struct b4_item {
	struct bh_work work;
	int running;
	unsigned long runs;
};

static struct b4_item b4[B4_ITEMS];
static int b4_busy[2][2]; /* [cpu][highpri] */
static unsigned long b4_overlap, b4_reentered, b4_wrong_ctx;

static void b4_fn(struct bh_work *w)
{
	struct b4_item *it = bh_container_of(w, struct b4_item, work);
	int cpu = bh_smp_processor_id();
	int hi = (it - b4) % 2;

	if (!bh_in_serving_softirq() || cpu < 0 || cpu > 1) {
		th_inc(&b4_wrong_ctx);
		return;
	}
	if (__atomic_fetch_add(&b4_busy[cpu][hi], 1, __ATOMIC_ACQ_REL))
		th_inc(&b4_overlap);
	if (__atomic_fetch_add(&it->running, 1, __ATOMIC_ACQ_REL))
		th_inc(&b4_reentered);
	for (volatile int i = 0; i < 200; i++)
		;
	__atomic_fetch_sub(&it->running, 1, __ATOMIC_ACQ_REL);
	__atomic_fetch_sub(&b4_busy[cpu][hi], 1, __ATOMIC_ACQ_REL);
	th_inc(&it->runs);
}

static void *b4_producer(void *arg)
{
	long me = (long)arg;

	bh_thread_set_cpu((int)me);
	for (int r = 0; r < B4_ROUNDS; r++) {
		for (int i = 0; i < B4_ITEMS; i++) {
			struct bh_workqueue *wq =
				i % 2 ? bh_system_bh_highpri_wq
				      : bh_system_bh_wq;
			if ((r + i) % 3 == 0)
				bh_queue_work_on((r + (int)me) % 2, wq,
						 &b4[i].work);
			else
				bh_queue_work(wq, &b4[i].work);
		}
	}
	bh_thread_set_cpu(-1);
	return NULL;
}

/* SPEC B4, SPEC W6 (see above) */
static void test_b4_no_overlap(void **state)
{
	(void)state;
	pthread_t th[2];

	memset(b4, 0, sizeof(b4));
	memset(b4_busy, 0, sizeof(b4_busy));
	b4_overlap = b4_reentered = b4_wrong_ctx = 0;
	for (int i = 0; i < B4_ITEMS; i++)
		bh_work_init(&b4[i].work, b4_fn);
	for (long i = 0; i < 2; i++)
		assert_int_equal(
			pthread_create(&th[i], NULL, b4_producer, (void *)i),
			0);
	for (int i = 0; i < 2; i++)
		assert_true(th_join(th[i]));
	for (int i = 0; i < B4_ITEMS; i++) {
		bh_flush_work(&b4[i].work);
		assert_false(bh_work_pending(&b4[i].work));
		assert_true(th_ld(&b4[i].runs) >= 1);
	}
	assert_int_equal(th_ld(&b4_wrong_ctx), 0);
	assert_int_equal(th_ld(&b4_overlap), 0);
	assert_int_equal(th_ld(&b4_reentered), 0);
}

/*
 * SPEC B5: one BH pool run executes at most 10 items and re-raises its
 * softirq for the rest. 25 items take three handler runs (10 + 10 + 5),
 * which one ksoftirqd loop makes as three passes (S12 allows ten).
 */
static void test_b5_ten_items_per_run(void **state)
{
	(void)state;
	static struct item it[2][25];
	struct bh_workqueue *wqs[2] = {bh_system_bh_wq,
				       bh_system_bh_highpri_wq};
	const unsigned int vec[2] = {BH_TASKLET_SOFTIRQ, BH_HI_SOFTIRQ};

	for (int k = 0; k < 2; k++) {
		int total = 0;

		reset();
		for (int i = 0; i < 25; i++) {
			item_init(&it[k][i], i);
			assert_true(bh_queue_work(wqs[k], &it[k][i].work));
		}
		unsigned long long c0 = cnt(0, vec[k]);
		for (int loops = 0; bh_softirq_pending(0) && loops < 10;
		     loops++) {
			int r = bh_run_softirqs(0);
			assert_true(r >= 0);
			total += r;
		}
		assert_int_equal(bh_softirq_pending(0), 0);
		assert_int_equal(total, 3);
		assert_int_equal(cnt(0, vec[k]), c0 + 3);
		assert_int_equal(nrecs(), 25);
		/* The handler counter tells the runs apart. */
		for (int i = 0; i < 25; i++) {
			unsigned long long seen =
				k ? recs[i].hi_count : recs[i].tasklet_count;
			unsigned long long first =
				k ? recs[0].hi_count : recs[0].tasklet_count;
			assert_int_equal(recs[i].id, i);
			assert_int_equal(seen - first,
					 (unsigned long long)i / 10);
		}
	}
}

/*
 * SPEC B6: BH queues have no max_active; setting one warns and changes
 * nothing: 20 items still run in two passes of one run.
 */
static void test_b6_set_max_active_warns(void **state)
{
	(void)state;
	static struct item it[20];
	struct bh_workqueue *wq = bh_alloc_workqueue("b6", BH_WQ_BH, 0);

	assert_non_null(wq);
	for (int k = 0; k < 3; k++) {
		struct bh_workqueue *q = k == 0	  ? wq
					 : k == 1 ? bh_system_bh_wq
						  : bh_system_bh_highpri_wq;
		unsigned long w0 = bh_warn_count();

		bh_workqueue_set_max_active(q, 1);
		assert_int_equal(bh_warn_count(), w0 + 1);
	}
	for (int i = 0; i < 20; i++) {
		item_init(&it[i], i);
		assert_true(bh_queue_work(wq, &it[i].work));
	}
	struct bh_wq_stats st;
	assert_int_equal(bh_workqueue_get_stats(wq, &st), 0);
	assert_int_equal(st.nr_inactive, 0);
	assert_int_equal(bh_run_softirqs(0), 2);
	assert_int_equal(nrecs(), 20);
	bh_destroy_workqueue(wq);
}

/* SPEC F19: BH_WQ_BH goes only with BH_WQ_HIGHPRI and max_active 0. */
static void test_f19_bh_flag_rules(void **state)
{
	(void)state;
	unsigned long w0 = bh_warn_count();

	assert_null(bh_alloc_workqueue("bad1", BH_WQ_BH, 1));
	assert_null(bh_alloc_workqueue("bad2", BH_WQ_BH | BH_WQ_UNBOUND, 0));
	assert_null(
		bh_alloc_workqueue("bad3", BH_WQ_BH | BH_WQ_MEM_RECLAIM, 0));
	assert_true(bh_warn_count() > w0);
}

/* SPEC B7, SPEC W14: current_work() is NULL inside a BH item. */
static void test_b7_current_work_null(void **state)
{
	(void)state;
	static struct item a, b;

	item_init(&a, 1);
	item_init(&b, 2);
	assert_true(bh_queue_work(bh_system_bh_wq, &a.work));
	assert_true(bh_queue_work(bh_system_bh_highpri_wq, &b.work));
	bh_run_all(0);
	assert_int_equal(nrecs(), 2);
	for (int i = 0; i < 2; i++) {
		assert_true(recs[i].serving);
		assert_null(recs[i].current);
		assert_false(recs[i].rescuer);
	}
	assert_null(bh_current_work());
}

/* SPEC M15, SPEC U8: sleeping in a BH item gives the might_sleep splat. */
static bool sleep_ok = true, sleep_done;

static void sleeper_fn(struct bh_work *w)
{
	static struct bh_mutex m = BH_MUTEX_INITIALIZER(m);

	(void)w;
	sleep_ok = bh_might_sleep();
	bh_mutex_lock(&m); /* uncontended: reports, does not block */
	bh_mutex_unlock(&m);
	sleep_done = true;
}

/* SPEC M15, SPEC U8 (see above) */
static void test_m15_sleep_in_bh_item(void **state)
{
	(void)state;
	static struct bh_work w;

	bh_work_init(&w, sleeper_fn);
	for (int k = 0; k < 2; k++) {
		sleep_ok = true;
		sleep_done = false;
		th_log_clear();
		unsigned long w0 = bh_warn_count();
		assert_true(bh_queue_work(
			k ? bh_system_bh_highpri_wq : bh_system_bh_wq, &w));
		bh_run_all(0);
		assert_true(sleep_done);
		assert_false(sleep_ok);
		assert_true(bh_warn_count() >= w0 + 2);
		assert_true(th_log_has(
			"BUG: sleeping function called from invalid context"));
		assert_true(th_log_has("in_atomic(): 1"));
	}
}

#define TD(fn)                                                                 \
	cmocka_unit_test_setup_teardown(fn, setup_det, th_teardown_shutdown)
#define TT(fn)                                                                 \
	cmocka_unit_test_setup_teardown(fn, setup_threaded,                    \
					th_teardown_shutdown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TD(test_b1_softirq_context_queueing_cpu_order),
		TD(test_b1_t28_order_against_tasklets),
		TT(test_b1_threaded_runs_in_ksoftirqd_of_cpu),
		TD(test_b2_cancel),
		TD(test_b2_disable_enable),
		TD(test_b2_delayed),
		TD(test_b2_requeue_and_free_self),
		TD(test_b2_flush),
		TD(test_b3_queue_on_other_cpu),
		TT(test_b3_threaded_queue_on_other_cpu),
		cmocka_unit_test_teardown(test_b3_flush_remote_bh_item,
					  th_teardown),
		TT(test_b4_no_overlap),
		TD(test_b5_ten_items_per_run),
		TD(test_b6_set_max_active_warns),
		TD(test_f19_bh_flag_rules),
		TD(test_b7_current_work_null),
		TD(test_m15_sleep_in_bh_item),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
