/* SPDX-License-Identifier: MIT */
/*
 * bh_debug_for_each_live_object() (issue 5): the walk bh-modrun uses to
 * report what a module left behind: timers, delayed work, tasklets,
 * hrtimers, interrupt handlers and workqueues. Each kind of live object is
 * found, with its callback and where it is queued, and is gone from the walk
 * once its owner tears it down.
 */
#include "harness.h"

#include <bh/debug.h>

#define MAX_SEEN 64

static struct bh_debug_object seen[MAX_SEEN];
static size_t nr_seen;

static void record(const struct bh_debug_object *o, void *arg)
{
	(void)arg;
	if (nr_seen < MAX_SEEN)
		seen[nr_seen++] = *o;
}

static const struct bh_debug_object *walk_find(const void *obj)
{
	nr_seen = 0;
	size_t n = bh_debug_for_each_live_object(record, NULL);
	assert_true(n >= nr_seen);
	for (size_t i = 0; i < nr_seen; i++)
		if (seen[i].obj == obj)
			return &seen[i];
	return NULL;
}

static void timer_fn(struct bh_timer *t)
{
	(void)t;
}

static void tasklet_fn(unsigned long data)
{
	(void)data;
}

static void work_fn(struct bh_work *w)
{
	(void)w;
}

static enum bh_hrtimer_restart hr_fn(struct bh_hrtimer *t)
{
	(void)t;
	return BH_HRTIMER_NORESTART;
}

static bh_irqreturn_t handler(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	return BH_IRQ_HANDLED;
}

static void test_walk_finds_each_kind(void **state)
{
	(void)state;
	th_init_cpu0(2, false);
	static struct bh_timer timer;
	static struct bh_tasklet tasklet;
	static struct bh_delayed_work dwork;
	static int dev;

	bh_timer_setup(&timer, timer_fn, 0);
	timer.expires = bh_jiffies() + 1000 * bh_hz();
	bh_add_timer_on(&timer, 1);
	/* Disabled, then scheduled: it stays scheduled (parked). */
	bh_tasklet_init(&tasklet, tasklet_fn, 7);
	bh_tasklet_disable(&tasklet);
	bh_tasklet_schedule(&tasklet);
	bh_delayed_work_init(&dwork, work_fn);
	struct bh_workqueue *wq = bh_alloc_workqueue("walkme", 0, 0);
	assert_non_null(wq);
	assert_true(bh_queue_delayed_work(wq, &dwork, 1000 * bh_hz()));
	assert_int_equal(bh_request_irq(40, handler, 0, "walkdev", &dev), 0);
	static struct bh_hrtimer hr;
	assert_int_equal(bh_hrtimer_setup(&hr, hr_fn, CLOCK_MONOTONIC,
					  BH_HRTIMER_MODE_REL),
			 0);
	bh_hrtimer_start(&hr, 1000ll * 1000000000, BH_HRTIMER_MODE_REL);

	const struct bh_debug_object *o = walk_find(&timer);
	assert_non_null(o);
	assert_int_equal(o->kind, BH_DEBUG_TIMER);
	assert_ptr_equal(o->fn, (const void *)timer_fn);
	assert_int_equal(o->cpu, 1);
	assert_int_equal(o->expires, timer.expires);

	o = walk_find(&tasklet);
	assert_non_null(o);
	assert_int_equal(o->kind, BH_DEBUG_TASKLET);
	assert_ptr_equal(o->fn, (const void *)tasklet_fn);
	assert_true(o->disabled);

	o = walk_find(&dwork);
	assert_non_null(o);
	assert_int_equal(o->kind, BH_DEBUG_DELAYED_WORK);
	assert_ptr_equal(o->fn, (const void *)work_fn);

	o = walk_find(&hr);
	assert_non_null(o);
	assert_int_equal(o->kind, BH_DEBUG_HRTIMER);
	assert_ptr_equal(o->fn, (const void *)hr_fn);
	assert_true(o->expires_ns > (long long)bh_ktime_get_ns());

	o = walk_find(wq);
	assert_non_null(o);
	assert_int_equal(o->kind, BH_DEBUG_WORKQUEUE);
	assert_string_equal(o->name, "walkme");

	bool irq_found = false;
	walk_find(NULL);
	for (size_t i = 0; i < nr_seen; i++)
		if (seen[i].kind == BH_DEBUG_IRQ && seen[i].irq == 40) {
			assert_ptr_equal(seen[i].fn, (const void *)handler);
			assert_ptr_equal(seen[i].dev_id, &dev);
			assert_string_equal(seen[i].name, "walkdev");
			irq_found = true;
		}
	assert_true(irq_found);

	/* Torn down: gone from the walk. */
	bh_timer_delete_sync(&timer);
	bh_tasklet_enable(&tasklet);
	bh_tasklet_kill(&tasklet);
	bh_cancel_delayed_work_sync(&dwork);
	bh_destroy_workqueue(wq);
	bh_free_irq(40, &dev);
	bh_hrtimer_cancel(&hr);
	assert_null(walk_find(&hr));
	assert_null(walk_find(&timer));
	assert_null(walk_find(&tasklet));
	assert_null(walk_find(&dwork));
	assert_null(walk_find(wq));
	for (size_t i = 0; i < nr_seen; i++)
		assert_false(seen[i].kind == BH_DEBUG_IRQ && seen[i].irq == 40);
	assert_int_equal(bh_warn_count(), 0);
	th_shutdown();
}

static BH_DECLARE_COMPLETION(blocker_started);
static BH_DECLARE_COMPLETION(blocker_go);

static void blocker_fn(struct bh_work *w)
{
	(void)w;
	bh_complete(&blocker_started);
	bh_wait_for_completion(&blocker_go);
}

/*
 * A work item queued and not yet running is walked (BH_DEBUG_WORK), with
 * its function and, held back on an ordered queue's inactive list, the
 * queue's name; the running one is not, nor any item once it has run.
 */
static void test_walk_finds_queued_work(void **state)
{
	(void)state;
	th_init_cpu0(2, false);
	static struct bh_work blocker, queued;
	struct bh_workqueue *wq = bh_alloc_ordered_workqueue("walkord", 0);
	assert_non_null(wq);
	bh_work_init(&blocker, blocker_fn);
	bh_work_init(&queued, work_fn);
	assert_true(bh_queue_work(wq, &blocker));
	bh_wait_for_completion(&blocker_started);
	assert_true(bh_queue_work(wq, &queued));

	assert_null(walk_find(&blocker)); /* running */
	const struct bh_debug_object *o = walk_find(&queued);
	assert_non_null(o);
	assert_int_equal(o->kind, BH_DEBUG_WORK);
	assert_ptr_equal(o->fn, (const void *)work_fn);
	assert_string_equal(o->name, "walkord");

	bh_complete(&blocker_go);
	bh_flush_workqueue(wq);
	assert_null(walk_find(&queued));
	bh_destroy_workqueue(wq);
	assert_int_equal(bh_warn_count(), 0);
	th_shutdown();
}

/* Without a runtime there is nothing to walk. */
static void test_walk_without_runtime(void **state)
{
	(void)state;
	nr_seen = 0;
	assert_int_equal(bh_debug_for_each_live_object(record, NULL), 0);
	assert_int_equal(nr_seen, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_walk_finds_each_kind,
					  th_teardown),
		cmocka_unit_test_teardown(test_walk_finds_queued_work,
					  th_teardown),
		cmocka_unit_test(test_walk_without_runtime),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
