/* SPDX-License-Identifier: MIT */
/*
 * <linux/workqueue.h> used as kernel code uses it, in both generations:
 *
 *   - the 2.6.19 forms (SPEC L1-L3, L5): void f(void *data),
 *     INIT_WORK(w, f, data), DECLARE_WORK(n, f, data), PREPARE_WORK(w, f,
 *     data), and one plain work_struct queued both at once and after a
 *     delay, with the int returns and the timer-only cancel_delayed_work()
 *     of 2.6, as the textbooks use them (seeds/002), a top half that
 *     initialises and schedules an item included;
 *   - the modern forms (W1, W2, D2 and the rest of the names) mapped onto
 *     the native calls.
 *
 * The first half is the "driver", written with kernel spellings only. The
 * second half is the test host: it starts a threaded runtime (work items
 * run on kworker threads) and checks what the driver saw. Callbacks never
 * assert (they run on library threads): they record into counters that the
 * host reads with acquire after waiting for them.
 *
 * To hold items pending, a "gate" item occupies an ordered workqueue
 * (create_singlethread_workqueue(), one item at a time, L5) until the host
 * releases it: whatever is queued behind it stays on the worklist.
 */
#define pr_fmt(fmt) "compatwq: " fmt

#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/errno.h>
#include <linux/hardirq.h>
#include <linux/interrupt.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/smp.h>
#include <linux/timer.h>
#include <linux/types.h>
#include <linux/workqueue.h>

/* ---- the driver: kernel spellings only ------------------------------- */

static inline void drv_inc(unsigned long *p)
{
	__atomic_fetch_add(p, 1, __ATOMIC_RELEASE);
}

/* An item that holds its workqueue until released. */
struct gate {
	struct work_struct work;
	struct completion started;
	struct completion release;
};

static void gate_fn(struct work_struct *work)
{
	struct gate *g = container_of(work, struct gate, work);

	complete(&g->started);
	wait_for_completion(&g->release);
}

/* What the legacy functions saw on their last run. */
struct seen {
	unsigned long runs; /* bumped last, with release */
	void *data;
	void (*fn)(void *);
	struct work_struct *current;
	bool in_task;
	int cpu;
};

static struct seen seen_a, seen_b;

static void seen_note(struct seen *s, void (*fn)(void *), void *data)
{
	s->data = data;
	s->fn = fn;
	s->current = current_work();
	s->in_task = in_task() && !in_interrupt() && !irqs_disabled();
	s->cpu = smp_processor_id();
	drv_inc(&s->runs);
}

/* 2.6.19: the function gets the item's data (L1). */
static void legacy_a(void *data)
{
	seen_note(&seen_a, legacy_a, data);
}

static void legacy_b(void *data)
{
	seen_note(&seen_b, legacy_b, data);
}

static int cookie_static = 19;
static int cookie_a = 1, cookie_b = 2;

/* File-scope 2.6 declaration: the data is recorded before main() runs. */
static DECLARE_WORK(static_legacy, legacy_a, &cookie_static);

/* The same work_struct for both queue_work() and queue_delayed_work(). */
static struct work_struct one_for_both;

/* Modern items: the function gets the work_struct (W1). */
struct mydev {
	int id;
	struct work_struct work;
	struct delayed_work dwork;
	unsigned long runs, druns;
	struct mydev *seen_dev, *seen_ddev;
	struct work_struct *seen_current;
	bool seen_task;
};

static void mydev_work(struct work_struct *work)
{
	struct mydev *d = from_work(d, work, work);

	d->seen_dev = d;
	d->seen_current = current_work();
	d->seen_task = in_task() && !in_interrupt();
	drv_inc(&d->runs);
}

static void mydev_dwork(struct work_struct *work)
{
	struct delayed_work *dw = to_delayed_work(work);
	struct mydev *d = container_of(dw, struct mydev, dwork);

	d->seen_ddev = d;
	drv_inc(&d->druns);
}

static unsigned long static_modern_runs;
static void static_modern_fn(struct work_struct *work)
{
	(void)work;
	drv_inc(&static_modern_runs);
}

static DECLARE_WORK(static_modern, static_modern_fn);
static DECLARE_DELAYED_WORK(static_dwork, static_modern_fn);

/* L5: an ordered queue never overlaps items and keeps their order. */
#define ST_ITEMS 8
static struct work_struct st_work[ST_ITEMS];
static unsigned long st_inflight, st_max_inflight, st_done;
static int st_order[ST_ITEMS];

static void st_fn(void *data)
{
	unsigned long in =
		__atomic_add_fetch(&st_inflight, 1, __ATOMIC_SEQ_CST);
	unsigned long max = __atomic_load_n(&st_max_inflight, __ATOMIC_RELAXED);

	while (in > max &&
	       !__atomic_compare_exchange_n(&st_max_inflight, &max, in, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	unsigned long at = __atomic_load_n(&st_done, __ATOMIC_ACQUIRE);
	if (at < ST_ITEMS)
		st_order[at] = (int)(uintptr_t)data;
	msleep(1); /* give a second worker every chance to overlap */
	__atomic_sub_fetch(&st_inflight, 1, __ATOMIC_SEQ_CST);
	drv_inc(&st_done);
}

/* A legacy item that re-arms itself until cancelled (C11 on legacy). */
static struct workqueue_struct *rearm_wq;
static struct work_struct rearm_work;
static unsigned long rearm_runs;

static void rearm_fn(void *data)
{
	(void)data;
	drv_inc(&rearm_runs);
	queue_delayed_work(rearm_wq, &rearm_work, 1);
}

/* seeds/002: the top half (re)initialises the item and schedules it. */
static struct work_struct mywork;
static unsigned long mywork_runs;
static bool mywork_in_task = true;

static void mywork_handler(void *data)
{
	(void)data;
	mywork_in_task &= in_task() && !in_interrupt();
	printk("This is work handler.\n");
	drv_inc(&mywork_runs);
}

static bool top_half_in_hardirq = true;

static int myirq_handler(int irq, void *dev)
{
	static int count;

	(void)irq;
	(void)dev;
	top_half_in_hardirq &= in_irq() && in_interrupt() && !in_task();
	if (count < 10) {
		printk("-----------%d start-----------\n", count + 1);
		INIT_WORK(&mywork, mywork_handler, 0);
		schedule_work(&mywork);
	}
	count++;
	return 1;
}

/* Many legacy items, each with its own data. */
#define MANY 1000
static unsigned long many_runs, many_sum;

static void many_fn(void *data)
{
	__atomic_fetch_add(&many_sum, (unsigned long)(uintptr_t)data,
			   __ATOMIC_RELAXED);
	drv_inc(&many_runs);
}

/* ---- the test host ----------------------------------------------------- */

#include <signal.h>
#include <stdlib.h> /* before harness.h, which uses getenv() */
#include <unistd.h>

#include "harness.h"
#include "thread_names.h"

#include "alloc_count.h"

static void start(void)
{
	th_init(2, false);
}

/* Wait (bounded) until `n` threads are named `prefix`: a new thread names
 * itself once it runs. */
static bool wait_threads(const char *prefix, int n)
{
	uint64_t end = th_now_ns() + TH_WAIT_NS;

	while (th_count_threads(prefix, NULL) != n) {
		if (th_now_ns() > end)
			return false;
		sched_yield();
	}
	return true;
}

static void gate_init(struct gate *g)
{
	INIT_WORK(&g->work, gate_fn);
	init_completion(&g->started);
	init_completion(&g->release);
}

/* Occupy the ordered queue `wq` with `g` until gate_open(). */
static void gate_close(struct gate *g, struct workqueue_struct *wq)
{
	gate_init(g);
	assert_true(queue_work(wq, &g->work));
	wait_for_completion(&g->started);
}

static void gate_open(struct gate *g, struct workqueue_struct *wq)
{
	complete(&g->release);
	flush_workqueue(wq);
}

static void seen_reset(struct seen *s)
{
	memset(s, 0, sizeof(*s));
}

/* SPEC W1: both declarators and INIT_WORK give idle items; the function
 * gets the work_struct and finds its object with from_work(). */
static void test_modern_init_and_run(void **state)
{
	(void)state;
	struct mydev *d = calloc(1, sizeof(*d));

	assert_non_null(d);
	start();
	INIT_WORK(&d->work, mydev_work);
	INIT_DELAYED_WORK(&d->dwork, mydev_dwork);
	assert_false(work_pending(&d->work));
	assert_int_equal(work_busy(&d->work), 0);
	assert_false(delayed_work_pending(&d->dwork));
	assert_false(work_pending(&static_modern));
	assert_false(delayed_work_pending(&static_dwork));
	assert_ptr_equal(d->work.func, mydev_work);

	assert_true(queue_work(system_wq, &d->work));
	assert_true(th_wait_ge(&d->runs, 1));
	assert_ptr_equal(d->seen_dev, d);
	assert_ptr_equal(d->seen_current, &d->work); /* W14 */
	assert_true(d->seen_task);		     /* W9 */

	assert_true(schedule_work(&static_modern));
	assert_true(th_wait_ge(&static_modern_runs, 1));
	flush_work(&static_modern);
	assert_null(current_work()); /* W14: not a kworker */
	assert_false(current_is_workqueue_rescuer());
	th_shutdown();
	free(d);
}

/* SPEC W2: true once, false while pending; one execution. */
static void test_modern_queue_work_pending(void **state)
{
	(void)state;
	struct mydev *d = calloc(1, sizeof(*d));
	struct gate g;

	assert_non_null(d);
	start();
	struct workqueue_struct *wq = alloc_ordered_workqueue("cw-%s", 0, "w2");
	assert_non_null(wq);
	INIT_WORK(&d->work, mydev_work);
	gate_close(&g, wq);
	assert_true(queue_work(wq, &d->work));
	assert_true(work_pending(&d->work));
	assert_true(work_busy(&d->work) & WORK_BUSY_PENDING);
	assert_false(queue_work(wq, &d->work));
	assert_false(queue_work_on(1, wq, &d->work));
	gate_open(&g, wq);
	assert_int_equal(th_ld(&d->runs), 1);
	assert_false(work_pending(&d->work));
	destroy_workqueue(wq);
	th_shutdown();
	free(d);
}

/* SPEC D2: a delay of 0 queues at once and arms no timer; with a delay
 * the timer is armed and cancel_delayed_work() (D10) removes it. */
static void test_modern_delayed(void **state)
{
	(void)state;
	struct mydev *d = calloc(1, sizeof(*d));
	struct gate g;

	assert_non_null(d);
	start();
	struct workqueue_struct *wq = create_singlethread_workqueue("cw-d2");
	assert_non_null(wq);
	INIT_DELAYED_WORK(&d->dwork, mydev_dwork);
	gate_close(&g, wq);
	assert_true(queue_delayed_work(wq, &d->dwork, 0));
	assert_false(timer_pending(&d->dwork.timer));
	assert_true(delayed_work_pending(&d->dwork));
	assert_false(queue_delayed_work(wq, &d->dwork, 0));
	gate_open(&g, wq);
	assert_int_equal(th_ld(&d->druns), 1);
	assert_ptr_equal(d->seen_ddev, d);

	/* On the timer: pending, then removed without running. */
	assert_true(queue_delayed_work(wq, &d->dwork, 1000 * HZ));
	assert_true(timer_pending(&d->dwork.timer));
	assert_true(delayed_work_pending(&d->dwork));
	assert_false(schedule_delayed_work(&d->dwork, 1));
	assert_true(cancel_delayed_work(&d->dwork));
	assert_false(delayed_work_pending(&d->dwork));
	assert_false(cancel_delayed_work(&d->dwork));

	/* D7, D12: re-armed far away, then flushed: runs now. */
	assert_false(mod_delayed_work(wq, &d->dwork, 1000 * HZ));
	assert_true(mod_delayed_work_on(WORK_CPU_UNBOUND, wq, &d->dwork,
					2000 * HZ));
	/* Its result says whether the flush still found it running. */
	flush_delayed_work(&d->dwork);
	assert_int_equal(th_ld(&d->druns), 2);

	/* D11, and the remaining names on system_wq. */
	assert_true(schedule_delayed_work_on(0, &d->dwork, 1000 * HZ));
	assert_true(cancel_delayed_work_sync(&d->dwork));
	assert_true(queue_delayed_work_on(1, wq, &d->dwork, 1000 * HZ));
	assert_true(disable_delayed_work(&d->dwork));
	assert_false(queue_delayed_work(wq, &d->dwork, 0)); /* X2 */
	assert_true(enable_delayed_work(&d->dwork));
	assert_false(disable_delayed_work_sync(&d->dwork));
	assert_true(enable_delayed_work(&d->dwork));
	assert_int_equal(th_ld(&d->druns), 2);
	destroy_workqueue(wq);
	th_shutdown();
	free(d);
}

/* SPEC X1-X3 and C9/C10 through the kernel names, on a modern item. */
static void test_modern_cancel_disable(void **state)
{
	(void)state;
	struct mydev *d = calloc(1, sizeof(*d));
	struct gate g;

	assert_non_null(d);
	start();
	struct workqueue_struct *wq = create_singlethread_workqueue("cw-x");
	assert_non_null(wq);
	INIT_WORK(&d->work, mydev_work);
	gate_close(&g, wq);
	assert_true(queue_work(wq, &d->work));
	assert_true(cancel_work(&d->work)); /* C9 */
	assert_false(cancel_work(&d->work));
	assert_true(queue_work(wq, &d->work));
	assert_true(disable_work(&d->work));	/* X1: it was pending */
	assert_false(queue_work(wq, &d->work)); /* X2 */
	assert_false(work_pending(&d->work));
	assert_true(enable_work(&d->work)); /* X3: depth back to 0 */
	assert_false(disable_work(&d->work));
	assert_true(enable_and_queue_work(wq, &d->work));
	assert_true(work_pending(&d->work));
	assert_true(cancel_work_sync(&d->work)); /* C10 */
	assert_false(disable_work_sync(&d->work));
	assert_true(enable_work(&d->work));
	gate_open(&g, wq);
	assert_int_equal(th_ld(&d->runs), 0);
	assert_true(queue_work(wq, &d->work));
	flush_workqueue(wq);
	assert_int_equal(th_ld(&d->runs), 1);
	destroy_workqueue(wq);
	th_shutdown();
	free(d);
}

/* SPEC L1: INIT_WORK(w, f, data) calls f(data) on a kworker; the static
 * DECLARE_WORK(n, f, data) has its data from the start; PREPARE_WORK
 * changes the function and data. */
static void test_legacy_init_work_data(void **state)
{
	(void)state;
	struct work_struct w;

	start();
	seen_reset(&seen_a);
	seen_reset(&seen_b);
	INIT_WORK(&w, legacy_a, &cookie_a);
	assert_false(work_pending(&w));
	assert_int_equal(work_busy(&w), 0);
	assert_true(queue_work(system_wq, &w));
	assert_true(th_wait_ge(&seen_a.runs, 1));
	assert_ptr_equal(seen_a.data, &cookie_a);
	assert_ptr_equal(seen_a.fn, legacy_a);
	assert_ptr_equal(seen_a.current, &w); /* the item itself runs */
	assert_true(seen_a.in_task);	      /* W9: process context */

	/* DECLARE_WORK(n, f, data) at file scope. */
	assert_true(schedule_work(&static_legacy));
	assert_true(th_wait_ge(&seen_a.runs, 2));
	assert_ptr_equal(seen_a.data, &cookie_static);
	assert_ptr_equal(seen_a.current, &static_legacy);

	/* PREPARE_WORK: new function and data, state untouched. */
	flush_work(&w);
	PREPARE_WORK(&w, legacy_b, &cookie_b);
	assert_false(work_pending(&w));
	assert_true(schedule_work_on(1, &w));
	assert_true(th_wait_ge(&seen_b.runs, 1));
	assert_ptr_equal(seen_b.data, &cookie_b);
	assert_int_equal(th_ld(&seen_a.runs), 2);

	/* Reinitialising the same address reuses its entry. */
	struct bh_legacy_work_stats before, after;
	flush_work(&w);
	bh_legacy_work_get_stats(&before);
	INIT_WORK(&w, legacy_a, &cookie_b);
	bh_legacy_work_get_stats(&after);
	assert_int_equal(after.entries, before.entries);
	assert_true(schedule_work(&w));
	assert_true(th_wait_ge(&seen_a.runs, 3));
	assert_ptr_equal(seen_a.data, &cookie_b);
	flush_work(&w);
	assert_int_equal(bh_legacy_work_forget(&w), 0);
	assert_int_equal(bh_legacy_work_forget(&w), -ENOENT);
	assert_int_equal(bh_warn_count(), 0);
	th_shutdown();
}

/* SPEC L1, L2: one work_struct serves both queue_work() and
 * queue_delayed_work(); one PENDING bit covers the timer and the
 * worklist; the calls return int 1/0. */
static void test_legacy_one_struct_both(void **state)
{
	(void)state;
	struct gate g;
	int r;

	start();
	struct workqueue_struct *wq = create_singlethread_workqueue("cw-l1");
	assert_non_null(wq);
	seen_reset(&seen_a);
	INIT_WORK(&one_for_both, legacy_a, &cookie_a);
	gate_close(&g, wq);

	/* On the timer: pending for every form of queueing. */
	r = queue_delayed_work(wq, &one_for_both, 1000 * HZ);
	assert_int_equal(r, 1);
	assert_true(work_pending(&one_for_both));
	assert_true(work_busy(&one_for_both) & WORK_BUSY_PENDING);
	r = queue_work(wq, &one_for_both);
	assert_int_equal(r, 0);
	r = queue_delayed_work(wq, &one_for_both, 1);
	assert_int_equal(r, 0);
	r = schedule_delayed_work_on(0, &one_for_both, 1);
	assert_int_equal(r, 0);
	r = schedule_work(&one_for_both);
	assert_int_equal(r, 0);
	/* L3: the timer was pending. */
	r = cancel_delayed_work(&one_for_both);
	assert_int_equal(r, 1);
	assert_false(work_pending(&one_for_both));

	/* On the worklist (behind the gate): a delayed queue is refused. */
	r = queue_work(wq, &one_for_both);
	assert_int_equal(r, 1);
	r = queue_delayed_work(wq, &one_for_both, 1);
	assert_int_equal(r, 0);
	r = queue_work(wq, &one_for_both);
	assert_int_equal(r, 0);
	gate_open(&g, wq);
	assert_int_equal(th_ld(&seen_a.runs), 1);
	assert_false(work_pending(&one_for_both));

	/* The timer fires and queues it on wq (D3): one run. */
	r = queue_delayed_work(wq, &one_for_both, 1);
	assert_int_equal(r, 1);
	assert_true(th_wait_ge(&seen_a.runs, 2));
	flush_workqueue(wq);
	assert_int_equal(th_ld(&seen_a.runs), 2);
	assert_ptr_equal(seen_a.data, &cookie_a);
	assert_ptr_equal(seen_a.current, &one_for_both);

	/* On system_wq, pinned to a CPU (D6) or not; delay 0 is immediate. */
	r = schedule_delayed_work(&one_for_both, 1);
	assert_int_equal(r, 1);
	assert_true(th_wait_ge(&seen_a.runs, 3));
	flush_work(&one_for_both);
	r = schedule_delayed_work_on(1, &one_for_both, 1);
	assert_int_equal(r, 1);
	assert_true(th_wait_ge(&seen_a.runs, 4));
	flush_work(&one_for_both);
	r = queue_delayed_work_on(0, wq, &one_for_both, 0);
	assert_int_equal(r, 1);
	assert_true(th_wait_ge(&seen_a.runs, 5));
	flush_workqueue(wq);
	assert_int_equal(th_ld(&seen_a.runs), 5);
	assert_int_equal(bh_warn_count(), 0);
	destroy_workqueue(wq);
	th_shutdown();
}

/* SPEC L2: the kernel's return types: int for the legacy-only forms,
 * bool (1/0 in an int) for the others. */
static void test_legacy_return_types(void **state)
{
	(void)state;
	struct work_struct *w = &one_for_both;
	struct delayed_work *dw = &static_dwork;
	struct workqueue_struct *wq = NULL;

	_Static_assert(
		_Generic(queue_delayed_work(wq, w, 1), int : 1, default : 0),
		"legacy queue_delayed_work returns int");
	_Static_assert(_Generic(queue_delayed_work_on(0, wq, w, 1), int : 1,
				default : 0),
		       "legacy queue_delayed_work_on returns int");
	_Static_assert(
		_Generic(schedule_delayed_work(w, 1), int : 1, default : 0),
		"legacy schedule_delayed_work returns int");
	_Static_assert(_Generic(schedule_delayed_work_on(0, w, 1), int : 1,
				default : 0),
		       "legacy schedule_delayed_work_on returns int");
	_Static_assert(_Generic(cancel_delayed_work(w), int : 1, default : 0),
		       "legacy cancel_delayed_work returns int");
	_Static_assert(
		_Generic(queue_delayed_work(wq, dw, 1), bool : 1, default : 0),
		"queue_delayed_work returns bool");
	_Static_assert(_Generic(cancel_delayed_work(dw), bool : 1, default : 0),
		       "cancel_delayed_work returns bool");
	_Static_assert(_Generic(queue_work(wq, w), bool : 1, default : 0),
		       "queue_work returns bool");
	_Static_assert(_Generic(schedule_work(w), bool : 1, default : 0),
		       "schedule_work returns bool");

	/* At run time: an int holds 1 or 0 (with a timer far away, so that
	 * nothing runs in between). */
	start();
	INIT_WORK(w, legacy_a, NULL);
	int r1 = schedule_delayed_work(w, 1000 * HZ);
	int r2 = schedule_work(w);
	int r3 = schedule_delayed_work_on(1, w, 1);
	int r4 = cancel_delayed_work(w);
	int r5 = cancel_delayed_work(w);
	assert_int_equal(r1, 1);
	assert_int_equal(r2, 0);
	assert_int_equal(r3, 0);
	assert_int_equal(r4, 1);
	assert_int_equal(r5, 0);
	th_shutdown();
}

/* SPEC L3: the 2.6 cancel_delayed_work() only deletes the timer: an item
 * on the worklist is not cancelled, and a running one is not waited for. */
static void test_legacy_cancel_delayed_work(void **state)
{
	(void)state;
	struct gate g;

	start();
	struct workqueue_struct *wq = create_singlethread_workqueue("cw-l3");
	assert_non_null(wq);
	seen_reset(&seen_a);
	INIT_WORK(&one_for_both, legacy_a, &cookie_b);

	/* On the worklist: 0, and it still runs. */
	gate_close(&g, wq);
	assert_int_equal(queue_work(wq, &one_for_both), 1);
	assert_int_equal(cancel_delayed_work(&one_for_both), 0);
	assert_true(work_pending(&one_for_both));
	gate_open(&g, wq);
	assert_int_equal(th_ld(&seen_a.runs), 1);

	/* On the timer behind the busy queue: 1, and it never runs. */
	gate_close(&g, wq);
	assert_int_equal(queue_delayed_work(wq, &one_for_both, 1000 * HZ), 1);
	assert_int_equal(cancel_delayed_work(&one_for_both), 1);
	assert_int_equal(cancel_delayed_work(&one_for_both), 0);
	assert_false(work_pending(&one_for_both));
	gate_open(&g, wq);
	assert_int_equal(th_ld(&seen_a.runs), 1);

	/* From hardirq context (U1): the timer is IRQSAFE. */
	assert_int_equal(queue_delayed_work(wq, &one_for_both, 1000 * HZ), 1);
	irq_enter();
	int r = cancel_delayed_work(&one_for_both);
	irq_exit();
	assert_int_equal(r, 1);
	assert_false(work_pending(&one_for_both));
	flush_workqueue(wq);
	assert_int_equal(th_ld(&seen_a.runs), 1);
	assert_int_equal(bh_warn_count(), 0);
	destroy_workqueue(wq);
	th_shutdown();
}

/* SPEC L3: a legacy item whose own function is running: cancel_delayed_
 * work() returns 0 without waiting for it. */
static struct completion held_in, held_out;
static unsigned long held_runs;
static void held_fn(void *data)
{
	(void)data;
	complete(&held_in);
	wait_for_completion(&held_out);
	drv_inc(&held_runs);
}

static void test_legacy_cancel_delayed_running(void **state)
{
	(void)state;
	struct work_struct w;

	start();
	init_completion(&held_in);
	init_completion(&held_out);
	INIT_WORK(&w, held_fn, NULL);
	assert_int_equal(schedule_work(&w), 1);
	wait_for_completion(&held_in);
	assert_int_equal(cancel_delayed_work(&w), 0);
	assert_false(work_pending(&w));
	assert_true(work_busy(&w) & WORK_BUSY_RUNNING);
	assert_int_equal(th_ld(&held_runs), 0);
	complete(&held_out);
	flush_work(&w);
	assert_int_equal(th_ld(&held_runs), 1);
	bh_legacy_work_forget(&w);
	th_shutdown();
}

/* SPEC C11 on a legacy item: cancel_work_sync() stops one that re-arms
 * its own timer from its function. */
static void test_legacy_cancel_sync_rearming(void **state)
{
	(void)state;
	start();
	rearm_wq = create_workqueue("cw-re");
	assert_non_null(rearm_wq);
	INIT_WORK(&rearm_work, rearm_fn, NULL);
	assert_int_equal(queue_delayed_work(rearm_wq, &rearm_work, 1), 1);
	assert_true(th_wait_ge(&rearm_runs, 3));
	/* True unless it caught the function just as its re-arm was refused
	 * (the item is disabled during the call): not asserted. */
	cancel_work_sync(&rearm_work);
	assert_false(work_pending(&rearm_work));
	assert_int_equal(work_busy(&rearm_work), 0);
	unsigned long runs = th_ld(&rearm_runs);
	flush_workqueue(rearm_wq);
	assert_int_equal(th_ld(&rearm_runs), runs);
	assert_false(cancel_work_sync(&rearm_work));

	/* X1-X3: a disabled legacy item refuses both kinds of queueing. */
	assert_false(disable_work(&rearm_work));
	assert_int_equal(queue_work(rearm_wq, &rearm_work), 0);
	assert_int_equal(queue_delayed_work(rearm_wq, &rearm_work, 1), 0);
	assert_false(work_pending(&rearm_work));
	assert_true(enable_work(&rearm_work));
	assert_int_equal(queue_delayed_work(rearm_wq, &rearm_work, 1000 * HZ),
			 1);
	assert_true(disable_work_sync(&rearm_work)); /* the timer was armed */
	assert_false(work_pending(&rearm_work));
	assert_true(enable_work(&rearm_work));
	assert_int_equal(th_ld(&rearm_runs), runs);
	destroy_workqueue(rearm_wq);
	th_shutdown();
}

/* SPEC L5: create_singlethread_workqueue() is ordered: one item at a
 * time, in queueing order; the 2.6 creators make working queues whose
 * rescuer (today's kernel's WQ_MEM_RECLAIM mapping) is named after them. */
static void test_legacy_creators(void **state)
{
	(void)state;
	start();
	struct workqueue_struct *st = create_singlethread_workqueue("lgcy");
	assert_non_null(st);
	assert_true(wait_threads("kworker/R-lgcy", 1));
	__atomic_store_n(&st_done, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&st_max_inflight, 0, __ATOMIC_RELAXED);
	for (int i = 0; i < ST_ITEMS; i++)
		INIT_WORK(&st_work[i], st_fn, (void *)(uintptr_t)i);
	for (int i = 0; i < ST_ITEMS; i++)
		assert_int_equal(queue_work(st, &st_work[i]), 1);
	flush_workqueue(st);
	assert_int_equal(th_ld(&st_done), ST_ITEMS);
	assert_int_equal(__atomic_load_n(&st_max_inflight, __ATOMIC_RELAXED),
			 1);
	for (int i = 0; i < ST_ITEMS; i++)
		assert_int_equal(st_order[i], i);
	destroy_workqueue(st);
	assert_true(wait_threads("kworker/R-lgcy", 0));

	/* Each creator gives a queue that runs a legacy item. */
	struct workqueue_struct *wqs[] = {
		create_workqueue("cw-a"),
		create_freezable_workqueue("cw-b"),
		alloc_workqueue("cw-%c", WQ_UNBOUND | WQ_HIGHPRI, 0, 'c'),
		alloc_ordered_workqueue("cw-d", WQ_MEM_RECLAIM),
		alloc_workqueue("cw-e", WQ_PERCPU | WQ_CPU_INTENSIVE,
				WQ_DFL_ACTIVE),
	};
	for (unsigned int i = 0; i < ARRAY_SIZE(wqs); i++) {
		assert_non_null(wqs[i]);
		assert_int_equal(queue_work(wqs[i], &st_work[0]), 1);
		flush_workqueue(wqs[i]);
		assert_int_equal(th_ld(&st_done), ST_ITEMS + i + 1);
		destroy_workqueue(wqs[i]);
	}
	assert_int_equal(bh_warn_count(), 0);
	th_shutdown();
}

/* SPEC L1, U1 (seeds/002): a top half that initialises the item (three
 * arguments) and schedules it; the item runs in process context on a
 * kworker. A fresh address in hardirq context takes an entry from the
 * static reserve. */
static void test_seed_top_half(void **state)
{
	(void)state;
	struct bh_legacy_work_stats before, after;

	start();
	bh_legacy_work_get_stats(&before);
	for (int irq = 0; irq < 12; irq++) {
		irq_enter();
		myirq_handler(17, NULL);
		irq_exit();
		/* The textbook re-initialises it in the next interrupt:
		 * let this run finish first. */
		assert_true(
			th_wait_ge(&mywork_runs,
				   (unsigned long)(irq < 10 ? irq + 1 : 10)));
		flush_work(&mywork);
	}
	bh_legacy_work_get_stats(&after);
	assert_int_equal(th_ld(&mywork_runs), 10);
	assert_true(top_half_in_hardirq);
	assert_true(mywork_in_task);
	assert_true(th_log_has("-----------10 start"));
	assert_false(th_log_has("-----------11 start"));
	assert_true(th_log_has("This is work handler."));
	/* One entry, taken from the spare ones or the reserve, not made. */
	assert_int_equal(after.entries, before.entries + 1);
	assert_int_equal(after.reserve + after.spare,
			 before.reserve + before.spare - 1);
	assert_int_equal(bh_warn_count(), 0);
	th_shutdown();
}

/* SPEC L1: the side table. A thousand items, each with its own data,
 * grow it; forgetting them and initialising the same addresses again
 * reuses the entries instead of allocating more. */
static void test_legacy_side_table(void **state)
{
	(void)state;
	struct work_struct *w = calloc(MANY, sizeof(*w));
	struct bh_legacy_work_stats s0, s1, s2, s3;
	unsigned long want = 0;

	assert_non_null(w);
	start();
	bh_legacy_work_get_stats(&s0);
	for (unsigned long i = 0; i < MANY; i++) {
		INIT_WORK(&w[i], many_fn, (void *)(uintptr_t)(i + 1));
		want += i + 1;
	}
	bh_legacy_work_get_stats(&s1);
	assert_int_equal(s1.entries, s0.entries + MANY);
	assert_true(s1.capacity >= 2 * s1.entries);
	for (unsigned long i = 0; i < MANY; i++)
		assert_int_equal(queue_work(system_unbound_wq, &w[i]), 1);
	assert_true(th_wait_ge(&many_runs, MANY));
	assert_int_equal(__atomic_load_n(&many_sum, __ATOMIC_RELAXED), want);
	for (unsigned long i = 0; i < MANY; i++) {
		flush_work(&w[i]);
		assert_int_equal(bh_legacy_work_forget(&w[i]), 0);
	}
	bh_legacy_work_get_stats(&s2);
	assert_int_equal(s2.entries, s0.entries);
	assert_true(s2.spare >= MANY);
	for (unsigned long i = 0; i < MANY; i++)
		INIT_WORK(&w[i], many_fn, NULL);
	bh_legacy_work_get_stats(&s3);
	assert_int_equal(s3.entries, s0.entries + MANY);
	assert_int_equal(s3.spare, s2.spare - MANY);
	for (unsigned long i = 0; i < MANY; i++)
		bh_legacy_work_forget(&w[i]);
	assert_int_equal(bh_warn_count(), 0);
	th_shutdown();
	free(w);
}

/* SPEC U2 on the legacy paths: queueing (at once and delayed),
 * cancelling and the pending tests never allocate; only INIT_WORK of a
 * new address does. */
static void test_legacy_queue_no_allocation(void **state)
{
	(void)state;
	struct work_struct w;
	int bad = 0;

	if (TH_SANITIZED) {
		skip();
		return;
	}
	start();
	assert_true(counter_works());
	INIT_WORK(&w, legacy_a, NULL);
	__atomic_store_n(&allocations, 0, __ATOMIC_SEQ_CST);
	for (int i = 0; i < 10000; i++) {
		set_counting(true);
		bad |= queue_delayed_work(system_wq, &w, 1000 * HZ) != 1;
		bad |= queue_work(system_wq, &w) != 0;
		bad |= !work_pending(&w);
		bad |= cancel_delayed_work(&w) != 1;
		bad |= cancel_work(&w);
		INIT_WORK(&w, legacy_a, NULL); /* a known address */
		set_counting(false);
	}
	assert_int_equal(bad, 0);
	assert_int_equal(allocated(), 0);
	bh_legacy_work_forget(&w);
	th_shutdown();
}

/* SPEC W1 (the 32-byte work_struct): the kernel's names, values and
 * sizes. */
static void test_names_and_layout(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct work_struct), 32);
	assert_int_equal(sizeof(struct delayed_work), 88);
	assert_int_equal(WQ_BH, BH_WQ_BH);
	assert_int_equal(WQ_UNBOUND, BH_WQ_UNBOUND);
	assert_int_equal(WQ_FREEZABLE, BH_WQ_FREEZABLE);
	assert_int_equal(WQ_MEM_RECLAIM, BH_WQ_MEM_RECLAIM);
	assert_int_equal(WQ_HIGHPRI, BH_WQ_HIGHPRI);
	assert_int_equal(WQ_CPU_INTENSIVE, BH_WQ_CPU_INTENSIVE);
	assert_int_equal(WQ_SYSFS, BH_WQ_SYSFS);
	assert_int_equal(WQ_POWER_EFFICIENT, BH_WQ_POWER_EFFICIENT);
	assert_int_equal(WQ_PERCPU, BH_WQ_PERCPU);
	assert_int_equal(WQ_MAX_ACTIVE, 2048);
	assert_int_equal(WQ_DFL_ACTIVE, 1024);
	assert_int_equal(WORK_BUSY_PENDING, 1);
	assert_int_equal(WORK_BUSY_RUNNING, 2);
	assert_int_equal(WORK_CPU_UNBOUND, BH_MAX_CPUS);
	start();
	struct workqueue_struct *sys[] = {
		system_wq,	     system_highpri_wq,
		system_long_wq,	     system_unbound_wq,
		system_freezable_wq, system_power_efficient_wq,
		system_bh_wq,	     system_bh_highpri_wq,
	};
	for (unsigned int i = 0; i < ARRAY_SIZE(sys); i++)
		assert_non_null(sys[i]);
	assert_ptr_equal(system_wq, bh_system_wq);
	assert_ptr_equal(system_percpu_wq, system_wq);
	assert_ptr_equal(system_dfl_wq, system_unbound_wq);
	assert_ptr_equal(system_bh_highpri_wq, bh_system_bh_highpri_wq);
	th_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_names_and_layout, th_teardown),
		cmocka_unit_test_teardown(test_modern_init_and_run,
					  th_teardown),
		cmocka_unit_test_teardown(test_modern_queue_work_pending,
					  th_teardown),
		cmocka_unit_test_teardown(test_modern_delayed, th_teardown),
		cmocka_unit_test_teardown(test_modern_cancel_disable,
					  th_teardown),
		cmocka_unit_test_teardown(test_legacy_init_work_data,
					  th_teardown),
		cmocka_unit_test_teardown(test_legacy_one_struct_both,
					  th_teardown),
		cmocka_unit_test_teardown(test_legacy_return_types,
					  th_teardown),
		cmocka_unit_test_teardown(test_legacy_cancel_delayed_work,
					  th_teardown),
		cmocka_unit_test_teardown(test_legacy_cancel_delayed_running,
					  th_teardown),
		cmocka_unit_test_teardown(test_legacy_cancel_sync_rearming,
					  th_teardown),
		cmocka_unit_test_teardown(test_legacy_creators, th_teardown),
		cmocka_unit_test_teardown(test_seed_top_half, th_teardown),
		cmocka_unit_test_teardown(test_legacy_side_table, th_teardown),
		cmocka_unit_test_teardown(test_legacy_queue_no_allocation,
					  th_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
