/* SPDX-License-Identifier: MIT */
/*
 * SPEC U2 for workqueues: queue_work[_on], queue_delayed_work[_on],
 * mod_delayed_work, cancel_work and cancel_delayed_work never allocate.
 * This program's malloc family counts the calls a thread makes while its
 * `counting` flag is set (alloc_count.h), around those calls only; each is
 * made a million times, on each path: first queueing, coalesced queueing,
 * arming a timer, re-arming it, taking an item back from a worklist and
 * from a timer. Items are run between rounds, outside the counted region.
 *
 * The same calls are made from a signal handler (SPEC U1's context), both
 * as a top half (bh_signal_irq_enter) and as a plain handler, while the
 * interrupted thread is itself inside those calls.
 *
 * Sanitizer runtimes interpose the allocator themselves; the counting
 * versions are compiled out there and the tests skip.
 */
#include "harness.h"

#include <bh/workqueue.h>
#include <malloc.h>

#define NCALLS	1000000ul
#define NITEMS	100
#define NROUNDS (NCALLS / NITEMS)
/*
 * With workers, a fifth as many rounds: still 1.6 million counted calls
 * in all, at a cost (a worker wake-up per first queue) that keeps the
 * test short on two cores.
 */
#define NROUNDS_THREADED (NROUNDS / 5)

#include "alloc_count.h"

static unsigned long ran;

static void fn(struct bh_work *w)
{
	(void)w;
	__atomic_fetch_add(&ran, 1, __ATOMIC_RELAXED);
}

static struct bh_work items[NITEMS];
static struct bh_delayed_work ditems[NITEMS];

static void init_items(void)
{
	for (int i = 0; i < NITEMS; i++) {
		bh_work_init(&items[i], fn);
		bh_delayed_work_init(&ditems[i], fn);
	}
}

static int setup_det(void **state)
{
	(void)state;
	th_init_cpu0(2, true);
	__atomic_store_n(&allocations, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&ran, 0, __ATOMIC_RELAXED);
	init_items();
	return 0;
}

static int setup_threaded(void **state)
{
	(void)state;
	th_init_cpu0(2, false);
	__atomic_store_n(&allocations, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&ran, 0, __ATOMIC_RELAXED);
	init_items();
	return 0;
}

/* Per-path tallies of the calls' results, to show each path was taken. */
struct tally {
	unsigned long queued, coalesced, cancelled, armed, modded, uncancelled;
	unsigned long mod_idle;
};

/*
 * One round over every item on `wq`, for `cpu` (BH_WORK_CPU_UNBOUND: the
 * caller's): 7 counted calls per item, five kinds, each a path of its own.
 */
static void round_calls(struct bh_workqueue *wq, int cpu, struct tally *t)
{
	for (int i = 0; i < NITEMS; i++) {
		/* queue_work: first (idle -> pending) */
		t->queued += bh_queue_work_on(cpu, wq, &items[i]);
		/* cancel_work: off the pool's list */
		t->cancelled += bh_cancel_work(&items[i]);
		/* queue_work again, then coalesced */
		t->queued += bh_queue_work(wq, &items[i]);
		t->coalesced += !bh_queue_work(wq, &items[i]);

		/* queue_delayed_work: arms the timer */
		t->armed +=
			bh_queue_delayed_work_on(cpu, wq, &ditems[i], 1000 + i);
		/* mod_delayed_work: re-arms it (was pending: true) */
		t->modded += bh_mod_delayed_work(wq, &ditems[i], 2000 + i);
		/* cancel_delayed_work: off the timer */
		t->uncancelled += bh_cancel_delayed_work(&ditems[i]);
		/* mod on an idle item: queues at once (false) */
		t->mod_idle += !bh_mod_delayed_work_on(cpu, wq, &ditems[i], 0);
	}
}

/*
 * `rounds` rounds were made. With workers running items concurrently a
 * cancel may find the item already started, and the coalescing queue may
 * find it started too; every other result is fixed, and every true queue
 * is one run: the timer-free mod's, the second queue's, and those of the
 * first and third queues that were not taken back or coalesced.
 */
static void check_tally(const struct tally *t, unsigned long rounds,
			bool strict)
{
	unsigned long n = rounds * NITEMS;

	assert_int_equal(t->queued, 2 * n);
	assert_int_equal(t->armed, n);
	assert_int_equal(t->modded, n);
	assert_int_equal(t->uncancelled, n);
	assert_int_equal(t->mod_idle, n);
	if (strict) {
		assert_int_equal(t->cancelled, n);
		assert_int_equal(t->coalesced, n);
	}
	assert_int_equal(th_ld(&ran),
			 2 * n + (n - t->cancelled) + (n - t->coalesced));
}

/*
 * Wait for every item to be idle (threaded mode), outside counting. A
 * bounded poll rather than a flush: an item the library lost fails the
 * test instead of hanging it.
 */
static bool item_idle(struct bh_work *w)
{
	uint64_t deadline = th_now_ns() + TH_WAIT_NS;

	while (bh_work_busy(w)) {
		if (th_now_ns() > deadline)
			return false;
		sched_yield();
	}
	return true;
}

/* No assertion inside: a producer thread calls it too. */
static bool items_idle(void)
{
	for (int i = 0; i < NITEMS; i++)
		if (!item_idle(&items[i]) || !item_idle(&ditems[i].work))
			return false;
	return true;
}

static void flush_items(void)
{
	assert_true(items_idle());
}

/*
 * SPEC U2, deterministic mode, BH queues of both priorities and both bh
 * CPUs: a million of each call, no allocation.
 */
static void test_u2_no_allocation_bh_det(void **state)
{
	(void)state;
	struct tally t = {0};

	if (TH_SANITIZED) {
		skip();
		return;
	}
	assert_true(counter_works());
	__atomic_store_n(&allocations, 0, __ATOMIC_SEQ_CST);
	for (unsigned long r = 0; r < NROUNDS; r++) {
		struct bh_workqueue *wq =
			r & 1 ? bh_system_bh_highpri_wq : bh_system_bh_wq;
		int cpu = r & 2 ? 1 : BH_WORK_CPU_UNBOUND;

		set_counting(true);
		round_calls(wq, cpu, &t);
		set_counting(false);
		bh_run_all(0);
	}
	assert_int_equal(allocated(), 0);
	check_tally(&t, NROUNDS, true);
}

/*
 * SPEC U2, threaded mode: per-CPU, high-priority, unbound and ordered
 * queues, whose workers run the items concurrently (a worker may be
 * created meanwhile: that allocates in its own thread, not in the
 * caller's). Only this thread's calls are counted.
 */
static void test_u2_no_allocation_threaded(void **state)
{
	(void)state;
	struct tally t = {0};
	struct bh_workqueue *own = bh_alloc_workqueue("u2", 0, 0);
	struct bh_workqueue *ord = bh_alloc_ordered_workqueue("u2ord", 0);
	struct bh_workqueue *wqs[] = {
		bh_system_wq, bh_system_highpri_wq, bh_system_unbound_wq, own,
		ord,	      bh_system_bh_wq,
	};

	if (TH_SANITIZED) {
		skip();
		return;
	}
	assert_non_null(own);
	assert_non_null(ord);
	assert_true(counter_works());
	__atomic_store_n(&allocations, 0, __ATOMIC_SEQ_CST);
	for (unsigned long r = 0; r < NROUNDS_THREADED; r++) {
		struct bh_workqueue *wq = wqs[r % 6];
		int cpu = (r / 6) & 1 ? 1 : BH_WORK_CPU_UNBOUND;

		if (r % 64 == 0)
			assert_int_equal(bh_thread_set_cpu((int)(r / 64) % 2),
					 0);
		set_counting(true);
		round_calls(wq, cpu, &t);
		set_counting(false);
		/* A queue's items must be idle before the next queue's round
		 * (an item queued elsewhere would make it pending). */
		flush_items();
	}
	assert_int_equal(allocated(), 0);
	check_tally(&t, NROUNDS_THREADED, false);
	bh_destroy_workqueue(own);
	bh_destroy_workqueue(ord);
}

/*
 * From a signal handler: the handler makes the same five calls on items
 * of its own, counting them whatever the interrupted thread was doing, and
 * restores that thread's flag. Half the signals are handled as a top half
 * (hardirq context), half as a plain handler.
 */
#define SIG_ITEMS 16

static struct bh_work sig_items[SIG_ITEMS];
static struct bh_delayed_work sig_ditems[SIG_ITEMS];
static unsigned long sig_calls, sig_handled;

static void on_signal(int sig)
{
	int saved = errno;
	bool was = __atomic_load_n(&counting, __ATOMIC_RELAXED);
	unsigned long n = __atomic_fetch_add(&sig_handled, 1, __ATOMIC_RELAXED);
	bool top_half = n & 1;
	int i = (int)(n % SIG_ITEMS);

	(void)sig;
	if (top_half)
		bh_signal_irq_enter();
	set_counting(true);
	bh_queue_work(bh_system_wq, &sig_items[i]);
	bh_queue_work_on(0, bh_system_bh_wq, &sig_items[(i + 1) % SIG_ITEMS]);
	bh_queue_delayed_work(bh_system_wq, &sig_ditems[i], 50);
	bh_mod_delayed_work(bh_system_highpri_wq, &sig_ditems[i], 60);
	bh_cancel_delayed_work(&sig_ditems[i]);
	bh_cancel_work(&sig_items[(i + 5) % SIG_ITEMS]);
	set_counting(was);
	if (top_half)
		bh_signal_irq_exit();
	__atomic_fetch_add(&sig_calls, 6, __ATOMIC_RELAXED);
	errno = saved;
}

static void sig_fn(struct bh_work *w)
{
	(void)w;
}

/* SPEC U2, SPEC U1: the calls from a signal handler allocate nothing. */
static void test_u2_no_allocation_in_signal_handler(void **state)
{
	(void)state;
	struct tally t = {0};
	unsigned long rounds = TH_TSAN ? NROUNDS / 20 : NROUNDS / 4;

	if (TH_SANITIZED) {
		skip();
		return;
	}
	for (int i = 0; i < SIG_ITEMS; i++) {
		bh_work_init(&sig_items[i], sig_fn);
		bh_delayed_work_init(&sig_ditems[i], sig_fn);
	}
	sig_calls = sig_handled = 0;
	th_set_handler(SIGUSR1, on_signal);
	assert_true(counter_works());
	__atomic_store_n(&allocations, 0, __ATOMIC_SEQ_CST);

	/* The handler counts its own calls; the round's are counted too. */
	for (unsigned long r = 0; r < rounds; r++) {
		set_counting(true);
		round_calls(r & 1 ? bh_system_highpri_wq : bh_system_wq,
			    BH_WORK_CPU_UNBOUND, &t);
		set_counting(false);
		assert_int_equal(raise(SIGUSR1), 0);
		flush_items();
	}
	th_set_handler(SIGUSR1, SIG_IGN);
	assert_int_equal(sig_handled, rounds);
	assert_int_equal(allocated(), 0);
	for (int i = 0; i < SIG_ITEMS; i++) {
		bh_cancel_work_sync(&sig_items[i]);
		bh_cancel_delayed_work_sync(&sig_ditems[i]);
	}
}

/*
 * SPEC U2, SPEC U1: a timer signal lands anywhere in a thread that is
 * itself making the counted calls, including inside them.
 */
static unsigned long storm_lost;

static void *storm_producer(void *arg)
{
	struct tally t = {0};
	long me = (long)arg;
	unsigned long rounds = TH_TSAN ? 200 : 2000;

	(void)me;
	for (unsigned long r = 0; r < rounds; r++) {
		set_counting(true);
		/* Items are shared with no other producer: only one. */
		round_calls(bh_system_wq, BH_WORK_CPU_UNBOUND, &t);
		set_counting(false);
		if (!items_idle()) {
			th_inc(&storm_lost);
			break;
		}
	}
	return NULL;
}

static void *storm_signaller(void *arg)
{
	(void)arg;
	return NULL; /* the interval timer does the signalling */
}

/* SPEC U2, SPEC U1 (see above) */
static void test_u2_no_allocation_signal_storm(void **state)
{
	(void)state;
	pthread_t producer;

	if (TH_SANITIZED) {
		skip();
		return;
	}
	for (int i = 0; i < SIG_ITEMS; i++) {
		bh_work_init(&sig_items[i], sig_fn);
		bh_delayed_work_init(&sig_ditems[i], sig_fn);
	}
	sig_calls = sig_handled = 0;
	storm_lost = 0;
	assert_true(counter_works());
	__atomic_store_n(&allocations, 0, __ATOMIC_SEQ_CST);
	/* SIGALRM goes to any thread; SIG_IGN for SIGUSR1 is overridden. */
	th_signal_storm(on_signal, 200, &producer, 1, storm_producer,
			storm_signaller);
	th_set_handler(SIGALRM, SIG_IGN);
	th_set_handler(SIGUSR1, SIG_IGN);
	assert_true(th_ld(&sig_handled) > 0);
	assert_int_equal(th_ld(&storm_lost), 0);
	assert_int_equal(allocated(), 0);
	for (int i = 0; i < SIG_ITEMS; i++) {
		bh_cancel_work_sync(&sig_items[i]);
		bh_cancel_delayed_work_sync(&sig_ditems[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_u2_no_allocation_bh_det,
						setup_det,
						th_teardown_shutdown),
		cmocka_unit_test_setup_teardown(test_u2_no_allocation_threaded,
						setup_threaded,
						th_teardown_shutdown),
		cmocka_unit_test_setup_teardown(
			test_u2_no_allocation_in_signal_handler, setup_threaded,
			th_teardown_shutdown),
		cmocka_unit_test_setup_teardown(
			test_u2_no_allocation_signal_storm, setup_threaded,
			th_teardown_shutdown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
