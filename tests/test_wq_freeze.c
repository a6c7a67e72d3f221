/* SPDX-License-Identifier: MIT */
/*
 * Freezing (SPEC F16) with real threads on two bh CPUs: freeze sets the
 * effective max_active of freezable workqueues to 0, so active items run
 * on while new and waiting items are held; freeze_workqueues_busy() is
 * true while active items remain; thaw restores max_active and activates
 * the held items in order. Workqueues that are not freezable go on.
 *
 * "Held" cannot be proved by waiting. The tests check it at points where
 * a held item would have had every chance to start: after the active
 * items finished and busy() turned false, after another workqueue's item
 * ran on the same pool, and through nr_inactive.
 */
#include "harness.h"

#include <bh/workqueue.h>

static bool frozen;

static int setup_threaded(void **state)
{
	(void)state;
	th_init(2, false);
	frozen = false;
	return 0;
}

/* A failed assertion must not leave the process's runtime frozen. */
static int teardown(void **state)
{
	if (frozen && bh_running())
		bh_thaw_workqueues();
	frozen = false;
	return th_teardown(state);
}

static void freeze(void)
{
	bh_freeze_workqueues_begin();
	frozen = true;
}

static void thaw(void)
{
	bh_thaw_workqueues();
	frozen = false;
}

static unsigned long gate_timeouts;

#define ORDER_MAX 64
static unsigned long order[ORDER_MAX], order_n;

struct fitem {
	struct bh_work work;
	int id;
	bool gated;
	struct bh_completion gate;
	unsigned long started, done;
};

static void f_fn(struct bh_work *w)
{
	struct fitem *f = bh_from_work(f, w, work);
	unsigned long at = __atomic_fetch_add(&order_n, 1, __ATOMIC_ACQ_REL);

	if (at < ORDER_MAX)
		th_st(&order[at], (unsigned long)f->id);
	th_inc(&f->started);
	if (f->gated &&
	    bh_wait_for_completion_timeout(&f->gate, 10ul * bh_hz()) == 0)
		th_inc(&gate_timeouts);
	th_inc(&f->done);
}

static void f_init(struct fitem *f, int id, bool gated)
{
	memset(f, 0, sizeof(*f));
	bh_work_init(&f->work, f_fn);
	bh_init_completion(&f->gate);
	f->id = id;
	f->gated = gated;
}

static void reset(void)
{
	th_st(&order_n, 0);
	th_st(&gate_timeouts, 0);
}

/* Bounded wait until freeze_workqueues_busy() says `busy`. */
static bool wait_busy(bool busy)
{
	uint64_t deadline = th_now_ns() + TH_WAIT_NS;
	while (bh_freeze_workqueues_busy() != busy) {
		if (th_now_ns() > deadline)
			return false;
		sched_yield();
	}
	return true;
}

static bool wait_inactive(struct bh_workqueue *wq, unsigned int n)
{
	struct bh_wq_stats st;
	uint64_t deadline = th_now_ns() + TH_WAIT_NS;

	while (bh_workqueue_get_stats(wq, &st) != 0 || st.nr_inactive != n) {
		if (th_now_ns() > deadline)
			return false;
		sched_yield();
	}
	return true;
}

/*
 * SPEC F16: the active item runs on and keeps busy() true; items queued
 * during the freeze are held until thaw, then run in order; a workqueue
 * that is not freezable is not affected.
 */
static void freeze_cycle(unsigned int flags, int max_active)
{
	struct bh_workqueue *wq =
		bh_alloc_workqueue("fz", BH_WQ_FREEZABLE | flags, max_active);
	struct bh_workqueue *other = bh_alloc_workqueue("nfz", flags, 0);
	static struct fitem a, held[3], free_item;

	assert_non_null(wq);
	assert_non_null(other);
	reset();
	assert_false(bh_freeze_workqueues_busy());

	f_init(&a, 0, true);
	assert_true(bh_queue_work_on(0, wq, &a.work));
	assert_true(th_wait_ge(&a.started, 1));

	freeze();
	/* A is active and still runs: busy. */
	assert_true(bh_freeze_workqueues_busy());
	for (int i = 0; i < 3; i++) {
		f_init(&held[i], i + 1, false);
		assert_true(bh_queue_work_on(0, wq, &held[i].work));
	}
	assert_true(wait_inactive(wq, 3));

	/* Not freezable: runs during the freeze, on the same pool. */
	f_init(&free_item, 10, false);
	assert_true(bh_queue_work_on(0, other, &free_item.work));
	assert_true(th_wait_ge(&free_item.done, 1));

	/* A finishes; busy() turns false; the held items stay held. */
	bh_complete(&a.gate);
	assert_true(th_wait_ge(&a.done, 1));
	assert_true(wait_busy(false));
	bh_flush_workqueue(other);
	for (int i = 0; i < 3; i++)
		assert_int_equal(th_ld(&held[i].started), 0);
	assert_true(wait_inactive(wq, 3));

	thaw();
	for (int i = 0; i < 3; i++)
		assert_true(th_wait_ge(&held[i].done, 1));
	bh_flush_workqueue(wq);
	assert_int_equal(th_ld(&order_n), 5);
	assert_int_equal(th_ld(&order[0]), 0);
	assert_int_equal(th_ld(&order[1]), 10);
	/* Activated in the order they were queued. */
	assert_int_equal(th_ld(&order[2]), 1);
	assert_int_equal(th_ld(&order[3]), 2);
	assert_int_equal(th_ld(&order[4]), 3);
	assert_int_equal(th_ld(&gate_timeouts), 0);
	bh_destroy_workqueue(wq);
	bh_destroy_workqueue(other);
}

/* SPEC F16: a per-CPU freezable workqueue (max_active 1: one order). */
static void test_f16_freeze_percpu(void **state)
{
	(void)state;
	freeze_cycle(0, 1);
}

/* SPEC F16: an unbound freezable workqueue. */
static void test_f16_freeze_unbound(void **state)
{
	(void)state;
	freeze_cycle(BH_WQ_UNBOUND, 1);
}

/*
 * SPEC F16: items already waiting for max_active before the freeze are
 * held as well; thaw restores max_active (2 here, not 0 and not more).
 */
static void test_f16_waiting_items_held(void **state)
{
	(void)state;
	struct bh_workqueue *wq = bh_alloc_workqueue("fzw", BH_WQ_FREEZABLE, 2);
	static struct fitem g[5];

	assert_non_null(wq);
	reset();
	for (int i = 0; i < 5; i++) {
		f_init(&g[i], i, true);
		assert_true(bh_queue_work_on(1, wq, &g[i].work));
	}
	assert_true(th_wait_ge(&g[1].started, 1));
	assert_true(wait_inactive(wq, 3));

	freeze();
	assert_true(bh_freeze_workqueues_busy());
	bh_complete(&g[0].gate);
	bh_complete(&g[1].gate);
	assert_true(th_wait_ge(&g[0].done, 1));
	assert_true(th_wait_ge(&g[1].done, 1));
	assert_true(wait_busy(false));
	/* Their completion would have activated 2 and 3 if not frozen. */
	for (int i = 2; i < 5; i++)
		assert_int_equal(th_ld(&g[i].started), 0);
	assert_true(wait_inactive(wq, 3));

	thaw();
	/* max_active is 2 again: two start, the third waits for a slot. */
	assert_true(th_wait_ge(&g[2].started, 1));
	assert_true(th_wait_ge(&g[3].started, 1));
	assert_true(wait_inactive(wq, 1));
	assert_int_equal(th_ld(&g[4].started), 0);
	bh_complete(&g[2].gate);
	assert_true(th_wait_ge(&g[4].started, 1));
	bh_complete(&g[3].gate);
	bh_complete(&g[4].gate);
	for (int i = 0; i < 5; i++)
		assert_true(th_wait_ge(&g[i].done, 1));
	for (unsigned long i = 0; i < 5; i++)
		assert_int_equal(th_ld(&order[i]), i);
	assert_int_equal(th_ld(&gate_timeouts), 0);
	bh_destroy_workqueue(wq);
}

/* SPEC F16: the system freezable workqueue, and busy() with nothing. */
static void test_f16_system_freezable_wq(void **state)
{
	(void)state;
	static struct fitem a;

	reset();
	assert_non_null(bh_system_freezable_wq);
	freeze();
	assert_false(bh_freeze_workqueues_busy());
	f_init(&a, 0, false);
	assert_true(bh_queue_work(bh_system_freezable_wq, &a.work));
	assert_true(wait_inactive(bh_system_freezable_wq, 1));
	assert_false(bh_freeze_workqueues_busy());
	assert_int_equal(th_ld(&a.started), 0);
	thaw();
	assert_true(th_wait_ge(&a.done, 1));
	bh_flush_work(&a.work);
	assert_false(bh_freeze_workqueues_busy());
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_threaded, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_f16_freeze_percpu),
		T(test_f16_freeze_unbound),
		T(test_f16_waiting_items_held),
		T(test_f16_system_freezable_wq),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
