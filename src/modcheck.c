// SPDX-License-Identifier: MIT
/*
 * bh_debug_for_each_live_object(): one walk over what is still alive in
 * the runtime, asking each subsystem through its own walker (timer.c's
 * bh__timer_collect(), tasklet.c, hrtimer.c, irq_manage.c, workqueue.c,
 * worker.c),
 * each of
 * which takes its own locks. bh-modrun(1) uses it to report what a
 * module left behind at unload.
 */
#include "internal.h"

struct walk {
	bh_debug_object_fn fn;
	void *arg;
	size_t n;
	int cpu;
};

static void count_one(const struct bh_debug_object *o, void *arg)
{
	struct walk *w = arg;
	w->n++;
	w->fn(o, w->arg);
}

/* Called by bh__timer_collect() under the base lock; collects nothing. */
static bool timer_one(struct bh_timer *t, void *arg)
{
	struct walk *w = arg;
	struct bh_debug_object o = {
		.kind = BH_DEBUG_TIMER,
		.obj = t,
		.fn = (const void *)t->function,
		.cpu = w->cpu,
		.expires = t->expires,
	};
	/* A delayed work item's timer: report the item and its function,
	 * which is what the module wrote. */
	if (t->function == bh__delayed_work_timer_fn) {
		struct bh_delayed_work *dw =
			bh_container_of(t, struct bh_delayed_work, timer);
		o.kind = BH_DEBUG_DELAYED_WORK;
		o.obj = dw;
		o.fn = (const void *)dw->work.func;
	}
	count_one(&o, w);
	return false;
}

size_t bh_debug_for_each_live_object(bh_debug_object_fn fn, void *arg)
{
	struct walk w = {fn, arg, 0, 0};
	if (!fn || !bh__live() || !bh_might_sleep())
		return 0;
	for (int c = 0; c < bh__rt.nr_cpus; c++) {
		w.cpu = c;
		/* max 1: the loop runs while fewer than max were collected,
		 * and timer_one() collects none. */
		struct bh_timer *none;
		bh__timer_collect(&bh__cpus[c], timer_one, &w, &none, 1);
		bh__tasklet_walk(&bh__cpus[c], count_one, &w);
	}
	bh__hrtimer_walk(count_one, &w);
	bh__irq_walk(count_one, &w);
	bh__wq_walk(count_one, &w);
	bh__work_walk(count_one, &w);
	return w.n;
}
