/* SPDX-License-Identifier: MIT */
/*
 * max_active and ordering with real threads on two bh CPUs: creation and
 * clamping (F1, F6, F19, F20), the per-CPU and unbound limits (F2-F5,
 * F8, F9), ordered workqueues (F7) and start order within a pool (W11).
 *
 * An item that must stay active waits on its own completion (its gate),
 * bounded so that a bug fails instead of hanging. "Only k start" cannot be
 * proved by waiting, so it is checked through the library's own counters
 * (nr_active/nr_inactive of bh_workqueue_get_stats), through the highest
 * concurrency the callbacks saw, and by releasing one item at a time.
 */
#include "harness.h"

#include <bh/workqueue.h>

#include <pthread.h>

static int setup_threaded(void **state)
{
	(void)state;
	th_init(2, false);
	return 0;
}

static unsigned long gate_timeouts;

/* ---- a gated item that records order and concurrency ----------------- */

#define ORDER_MAX 4096

struct gitem {
	struct bh_work work;
	int id;
	bool gated;
	struct bh_completion gate;
	unsigned long started, done;
};

static unsigned long running, max_running;
static unsigned long cpu_running[2], cpu_max[2];
static unsigned long order[ORDER_MAX], order_n;
static unsigned long bad;

static void g_fn(struct bh_work *w)
{
	struct gitem *g = bh_from_work(g, w, work);
	int cpu = bh_smp_processor_id();
	bool cpu_ok = cpu >= 0 && cpu < 2;

	th_atomic_max(&max_running,
		      __atomic_add_fetch(&running, 1, __ATOMIC_ACQ_REL));
	if (cpu_ok)
		th_atomic_max(&cpu_max[cpu],
			      __atomic_add_fetch(&cpu_running[cpu], 1,
						 __ATOMIC_ACQ_REL));
	unsigned long at = __atomic_fetch_add(&order_n, 1, __ATOMIC_ACQ_REL);
	if (at < ORDER_MAX)
		th_st(&order[at], (unsigned long)g->id);
	th_inc(&g->started);
	if (g->gated &&
	    bh_wait_for_completion_timeout(&g->gate, 10ul * bh_hz()) == 0)
		th_inc(&gate_timeouts);
	if (cpu_ok)
		__atomic_fetch_sub(&cpu_running[cpu], 1, __ATOMIC_ACQ_REL);
	__atomic_fetch_sub(&running, 1, __ATOMIC_ACQ_REL);
	th_inc(&g->done);
}

static void g_init(struct gitem *g, int id, bool gated)
{
	memset(g, 0, sizeof(*g));
	bh_work_init(&g->work, g_fn);
	g->id = id;
	g->gated = gated;
	bh_init_completion(&g->gate);
}

static void reset_counts(void)
{
	th_st(&running, 0);
	th_st(&max_running, 0);
	for (int i = 0; i < 2; i++) {
		th_st(&cpu_running[i], 0);
		th_st(&cpu_max[i], 0);
	}
	th_st(&order_n, 0);
	th_st(&bad, 0);
	th_st(&gate_timeouts, 0);
}

static unsigned long total_started(struct gitem *g, int n)
{
	unsigned long s = 0;
	for (int i = 0; i < n; i++)
		s += th_ld(&g[i].started);
	return s;
}

/* Bounded wait until the items' starts add up to `n`. */
static bool wait_started(struct gitem *g, int count, unsigned long n)
{
	uint64_t deadline = th_now_ns() + TH_WAIT_NS;
	while (total_started(g, count) < n) {
		if (th_now_ns() > deadline)
			return false;
		sched_yield();
	}
	return true;
}

/* Bounded wait until the workqueue's counters show this many items
 * active and held back by max_active. */
static bool wait_stats(struct bh_workqueue *wq, unsigned int active,
		       unsigned int inactive)
{
	struct bh_wq_stats st;
	uint64_t deadline = th_now_ns() + TH_WAIT_NS;

	for (;;) {
		if (bh_workqueue_get_stats(wq, &st) == 0 &&
		    st.nr_active == active && st.nr_inactive == inactive)
			return true;
		if (th_now_ns() > deadline) {
			fprintf(stderr, "stats: nr_active %u nr_inactive %u\n",
				st.nr_active, st.nr_inactive);
			return false;
		}
		sched_yield();
	}
}

static void open_all(struct gitem *g, int n)
{
	for (int i = 0; i < n; i++)
		bh_complete_all(&g[i].gate);
}

static bool wait_all_done(struct gitem *g, int n)
{
	for (int i = 0; i < n; i++)
		if (!th_wait_ge(&g[i].done, 1))
			return false;
	return true;
}

static unsigned long order_at(unsigned long i)
{
	return th_ld(&order[i]);
}

/* ---- F1, F20: creation ---------------------------------------------- */

/* SPEC F1: printf name, flags checked, 0 means the default. */
static void test_f1_alloc(void **state)
{
	(void)state;
	struct bh_workqueue *wq = bh_alloc_workqueue("f1-%d-%s", 0, 0, 7, "x");

	assert_non_null(wq);
	assert_string_equal(bh_workqueue_name(wq), "f1-7-x");
	/* 0 is the default, not out of range: no warning. */
	assert_false(th_log_has("max_active"));
	bh_destroy_workqueue(wq);

	/* Flags outside the valid set: NULL, with a warning. */
	unsigned int before = th_log.messages;
	assert_null(bh_alloc_workqueue("f1bad", 1u << 30, 0));
	assert_true(th_log.messages > before);
}

/* SPEC F1: the default lets many items of one CPU be active at once. */
static void test_f1_default_max_active(void **state)
{
	(void)state;
	struct bh_workqueue *wq = bh_alloc_workqueue("f1d", 0, 0);
	static struct gitem g[6];

	assert_non_null(wq);
	reset_counts();
	for (int i = 0; i < 6; i++) {
		g_init(&g[i], i, true);
		assert_true(bh_queue_work_on(0, wq, &g[i].work));
	}
	/* Each sleeps on its gate, so concurrency management starts the
	 * next: all are active, none held back. */
	assert_true(wait_started(g, 6, 6));
	assert_true(wait_stats(wq, 6, 0));
	open_all(g, 6);
	assert_true(wait_all_done(g, 6));
	assert_int_equal(th_ld(&gate_timeouts), 0);
	bh_destroy_workqueue(wq);
}

static void expect_clamp_warning(int requested, const char *name)
{
	char want[200];
	snprintf(want, sizeof(want),
		 "workqueue: max_active %d requested for %s is out of range, "
		 "clamping between %d and %d",
		 requested, name, 1, BH_WQ_MAX_ACTIVE);
	if (!th_log_has(want))
		fprintf(stderr, "log:\n%s\nwanted: %s\n", th_log.text, want);
	assert_true(th_log_has(want));
}

/* SPEC F1: out of range is clamped to 1..WQ_MAX_ACTIVE, with a warning. */
static void test_f1_clamp(void **state)
{
	(void)state;
	static struct gitem g[2];

	reset_counts();
	struct bh_workqueue *neg = bh_alloc_workqueue("f1neg", 0, -3);
	assert_non_null(neg);
	expect_clamp_warning(-3, "f1neg");

	struct bh_workqueue *big = bh_alloc_workqueue("f1big", 0, 5000);
	assert_non_null(big);
	expect_clamp_warning(5000, "f1big");

	struct bh_workqueue *ubig =
		bh_alloc_workqueue("f1ubig", BH_WQ_UNBOUND, 99999);
	assert_non_null(ubig);
	expect_clamp_warning(99999, "f1ubig");

	/* -3 became 1: of two items on one CPU, one is held back. */
	g_init(&g[0], 0, true);
	g_init(&g[1], 1, true);
	assert_true(bh_queue_work_on(0, neg, &g[0].work));
	assert_true(bh_queue_work_on(0, neg, &g[1].work));
	assert_true(wait_started(g, 2, 1));
	assert_true(wait_stats(neg, 1, 1));
	assert_int_equal(th_ld(&g[1].started), 0);
	bh_complete(&g[0].gate);
	assert_true(th_wait_ge(&g[1].started, 1));
	bh_complete(&g[1].gate);
	assert_true(wait_all_done(g, 2));
	assert_int_equal(th_ld(&max_running), 1);
	assert_int_equal(th_ld(&gate_timeouts), 0);
	bh_destroy_workqueue(neg);
	bh_destroy_workqueue(big);
	bh_destroy_workqueue(ubig);
}

/* SPEC F20: printf-formatted, cut to 31 characters with one warning. */
static void test_f20_name_truncated(void **state)
{
	(void)state;
	char want[BH_WQ_NAME_LEN];
	const char *long1 = "abcdefghijklmnopqrstuvwxyz0123456789";

	unsigned int before = th_log.messages;
	struct bh_workqueue *wq = bh_alloc_workqueue("%s-%d", 0, 0, long1, 42);
	assert_non_null(wq);
	char full[64];
	snprintf(full, sizeof(full), "%s-%d", long1, 42);
	memcpy(want, full, BH_WQ_NAME_LEN - 1);
	want[BH_WQ_NAME_LEN - 1] = '\0';
	assert_string_equal(bh_workqueue_name(wq), want);
	assert_true(th_log.messages > before);
	assert_true(th_log_has(want));

	/* Once: a second long name is cut silently. */
	before = th_log.messages;
	struct bh_workqueue *wq2 =
		bh_alloc_workqueue("zz%s", BH_WQ_UNBOUND, 0, long1);
	assert_non_null(wq2);
	assert_int_equal(strlen(bh_workqueue_name(wq2)), BH_WQ_NAME_LEN - 1);
	assert_int_equal(strncmp(bh_workqueue_name(wq2), "zzabc", 5), 0);
	assert_int_equal(th_log.messages, before);

	/* Exactly 31 fits: not cut. */
	struct bh_workqueue *wq3 = bh_alloc_workqueue("%.31s", 0, 0, long1);
	assert_non_null(wq3);
	assert_int_equal(strncmp(bh_workqueue_name(wq3), long1, 31), 0);
	assert_int_equal(strlen(bh_workqueue_name(wq3)), 31);
	bh_destroy_workqueue(wq);
	bh_destroy_workqueue(wq2);
	bh_destroy_workqueue(wq3);
}

/* SPEC F19: WQ_BH only with HIGHPRI (and PERCPU), and max_active 0. */
static void test_f19_bh_flags(void **state)
{
	(void)state;
	struct bh_workqueue *ok[3];
	unsigned int start = th_log.messages;

	ok[0] = bh_alloc_workqueue("f19a", BH_WQ_BH, 0);
	ok[1] = bh_alloc_workqueue("f19b", BH_WQ_BH | BH_WQ_HIGHPRI, 0);
	ok[2] = bh_alloc_workqueue("f19c", BH_WQ_BH | BH_WQ_PERCPU, 0);
	for (int i = 0; i < 3; i++)
		assert_non_null(ok[i]);
	assert_int_equal(th_log.messages, start);

	/* Bad flags: the first warns, the next ones only fail. */
	assert_null(bh_alloc_workqueue("f19d", BH_WQ_BH | BH_WQ_UNBOUND, 0));
	unsigned int after_first = th_log.messages;
	assert_true(after_first > start);
	assert_null(bh_alloc_workqueue("f19e", BH_WQ_BH | BH_WQ_FREEZABLE, 0));
	assert_null(
		bh_alloc_workqueue("f19f", BH_WQ_BH | BH_WQ_MEM_RECLAIM, 0));
	assert_null(
		bh_alloc_workqueue("f19g", BH_WQ_BH | BH_WQ_CPU_INTENSIVE, 0));
	assert_int_equal(th_log.messages, after_first);

	/* A max_active: NULL too, warned about once at most. */
	assert_null(bh_alloc_workqueue("f19h", BH_WQ_BH, 1));
	unsigned int after_ma = th_log.messages;
	assert_null(bh_alloc_workqueue("f19i", BH_WQ_BH | BH_WQ_HIGHPRI, 4));
	assert_int_equal(th_log.messages, after_ma);

	for (int i = 0; i < 3; i++)
		bh_destroy_workqueue(ok[i]);
}

/* ---- F2-F5, F8, F9: limits ------------------------------------------ */

/* SPEC F2: per CPU, at most max_active active; the rest wait in FIFO. */
static void test_f2_percpu_limit(void **state)
{
	(void)state;
	struct bh_workqueue *wq = bh_alloc_workqueue("f2", 0, 2);
	static struct gitem g[10]; /* 0-4 on CPU 0, 5-9 on CPU 1 */

	assert_non_null(wq);
	reset_counts();
	for (int i = 0; i < 10; i++) {
		g_init(&g[i], i, true);
		assert_true(bh_queue_work_on(i / 5, wq, &g[i].work));
	}
	assert_true(wait_started(g, 10, 4));
	assert_true(wait_stats(wq, 4, 6));
	/* The first two of each CPU, in queueing order. */
	for (int i = 0; i < 10; i++)
		assert_int_equal(th_ld(&g[i].started), i % 5 < 2);

	/* One completes on CPU 0: the next waiting one there becomes
	 * active, and nothing changes on CPU 1. */
	bh_complete(&g[0].gate);
	assert_true(th_wait_ge(&g[2].started, 1));
	assert_true(wait_stats(wq, 4, 5));
	assert_int_equal(th_ld(&g[3].started), 0);
	assert_int_equal(th_ld(&g[7].started), 0);

	open_all(g, 10);
	assert_true(wait_all_done(g, 10));
	bh_flush_workqueue(wq);
	assert_int_equal(th_ld(&cpu_max[0]), 2);
	assert_int_equal(th_ld(&cpu_max[1]), 2);
	/* Within each CPU the items started in the order queued. */
	unsigned long last[2] = {0, 5};
	for (unsigned long i = 0; i < th_ld(&order_n); i++) {
		unsigned long id = order_at(i);
		assert_true(id >= last[id / 5]);
		last[id / 5] = id;
	}
	assert_int_equal(th_ld(&gate_timeouts), 0);
	bh_destroy_workqueue(wq);
}

/*
 * SPEC W17: congested(cpu) is true exactly while that CPU's share holds an
 * item deferred by max_active, from the moment queue_work() returned (the
 * item may still be on the pool's lock-free incoming stack then: the call
 * drains it first), and only for that CPU.
 */
static void test_w17_congested(void **state)
{
	(void)state;
	struct bh_workqueue *wq = bh_alloc_workqueue("w17", 0, 1);
	static struct gitem g[2];

	assert_non_null(wq);
	reset_counts();
	g_init(&g[0], 0, true);
	g_init(&g[1], 1, false);
	assert_false(bh_workqueue_congested(0, wq));
	assert_true(bh_queue_work_on(0, wq, &g[0].work));
	assert_true(wait_started(g, 1, 1));
	assert_false(bh_workqueue_congested(0, wq)); /* active, not deferred */
	assert_true(bh_queue_work_on(0, wq, &g[1].work));
	assert_true(bh_workqueue_congested(0, wq)); /* at once, every time */
	assert_false(bh_workqueue_congested(1, wq));
	assert_int_equal(th_ld(&g[1].started), 0);

	bh_complete(&g[0].gate);
	assert_true(wait_all_done(g, 2));
	bh_flush_workqueue(wq);
	assert_false(bh_workqueue_congested(0, wq));
	assert_int_equal(th_ld(&gate_timeouts), 0);
	bh_destroy_workqueue(wq);
}

/* SPEC F3: on an unbound workqueue max_active is system-wide. */
static void test_f3_unbound_systemwide(void **state)
{
	(void)state;
	struct bh_workqueue *wq = bh_alloc_workqueue("f3", BH_WQ_UNBOUND, 2);
	static struct gitem g[6];

	assert_non_null(wq);
	reset_counts();
	for (int i = 0; i < 6; i++) {
		g_init(&g[i], i, true);
		assert_int_equal(bh_thread_set_cpu(i % 2), 0);
		assert_true(bh_queue_work(wq, &g[i].work));
	}
	bh_thread_set_cpu(-1);
	assert_true(wait_started(g, 6, 2));
	assert_true(wait_stats(wq, 2, 4));
	/* Release one at a time: never more than two at once. */
	for (int i = 0; i < 6; i++) {
		bh_complete(&g[i].gate);
		assert_true(th_wait_ge(&g[i].done, 1));
		assert_true(wait_started(g, 6, i + 3 < 6 ? i + 3 : 6));
	}
	assert_true(wait_all_done(g, 6));
	assert_int_equal(th_ld(&max_running), 2);
	/*
	 * One node, so its share is the whole limit, activated in queueing
	 * order. The first two start together on two workers, so either may
	 * record first; the others start one per release.
	 */
	assert_int_equal(order_at(0) + order_at(1), 1);
	for (unsigned long i = 2; i < 6; i++)
		assert_int_equal(order_at(i), i);
	assert_int_equal(th_ld(&gate_timeouts), 0);
	bh_destroy_workqueue(wq);
}

/* SPEC F4: max_active limits running, not queueing. */
static void test_f4_queue_never_fails(void **state)
{
	(void)state;
	struct bh_workqueue *wq = bh_alloc_workqueue("f4", 0, 1);
	static struct gitem g[64];

	assert_non_null(wq);
	reset_counts();
	g_init(&g[0], 0, true);
	assert_true(bh_queue_work_on(1, wq, &g[0].work));
	assert_true(th_wait_ge(&g[0].started, 1));
	for (int i = 1; i < 64; i++) {
		g_init(&g[i], i, false);
		assert_true(bh_queue_work_on(1, wq, &g[i].work));
	}
	assert_true(wait_stats(wq, 1, 63));
	bh_complete(&g[0].gate);
	assert_true(wait_all_done(g, 64));
	bh_flush_workqueue(wq);
	assert_int_equal(th_ld(&max_running), 1);
	for (unsigned long i = 0; i < 64; i++)
		assert_int_equal(order_at(i), i);
	bh_destroy_workqueue(wq);
}

/* SPEC F5: raising max_active activates waiting items at once. */
static void test_f5_raise_activates(void **state)
{
	(void)state;
	struct bh_workqueue *wq = bh_alloc_workqueue("f5", 0, 1);
	static struct gitem g[3];

	assert_non_null(wq);
	reset_counts();
	for (int i = 0; i < 3; i++) {
		g_init(&g[i], i, true);
		assert_true(bh_queue_work_on(0, wq, &g[i].work));
	}
	assert_true(wait_started(g, 3, 1));
	assert_true(wait_stats(wq, 1, 2));
	/* The first still runs; raising the limit starts the other two. */
	bh_workqueue_set_max_active(wq, 3);
	assert_true(wait_started(g, 3, 3));
	assert_int_equal(th_ld(&g[0].done), 0);
	assert_true(wait_stats(wq, 3, 0));
	assert_int_equal(order_at(0), 0);
	assert_int_equal(order_at(1), 1);
	assert_int_equal(order_at(2), 2);
	open_all(g, 3);
	assert_true(wait_all_done(g, 3));
	assert_int_equal(th_ld(&gate_timeouts), 0);
	assert_false(th_log_has("max_active"));
	bh_destroy_workqueue(wq);
}

/*
 * SPEC F5: new items queue behind the waiting ones, so the order survives
 * a change of max_active.
 */
static void test_f5_order_survives_change(void **state)
{
	(void)state;
	struct bh_workqueue *wq = bh_alloc_workqueue("f5o", 0, 2);
	static struct gitem g[6]; /* 0, 1 run gated; 2-5 wait */

	assert_non_null(wq);
	reset_counts();
	for (int i = 0; i < 4; i++) {
		g_init(&g[i], i, i < 2);
		assert_true(bh_queue_work_on(0, wq, &g[i].work));
	}
	assert_true(wait_started(g, 4, 2));
	assert_true(wait_stats(wq, 2, 2));
	/* Lowering activates nothing and deactivates nothing. */
	bh_workqueue_set_max_active(wq, 1);
	g_init(&g[4], 4, false);
	assert_true(bh_queue_work_on(0, wq, &g[4].work));
	/* Raise by one while two still run: still nothing to activate,
	 * and the newcomer stays behind the waiting ones. */
	bh_workqueue_set_max_active(wq, 2);
	g_init(&g[5], 5, false);
	assert_true(bh_queue_work_on(0, wq, &g[5].work));
	assert_true(wait_stats(wq, 2, 4));
	bh_complete(&g[0].gate);
	bh_complete(&g[1].gate);
	assert_true(wait_all_done(g, 6));
	bh_flush_workqueue(wq);
	for (unsigned long i = 0; i < 6; i++)
		assert_int_equal(order_at(i), i);
	assert_true(th_ld(&cpu_max[0]) <= 2);
	assert_int_equal(th_ld(&gate_timeouts), 0);
	bh_destroy_workqueue(wq);
}

/* SPEC F6: set_max_active clamps; BH and ordered: warn, no change. */
static void test_f6_set_max_active(void **state)
{
	(void)state;
	struct bh_workqueue *wq = bh_alloc_workqueue("f6", 0, 4);
	struct bh_workqueue *ord = bh_alloc_ordered_workqueue("f6o", 0);
	static struct gitem g[4];

	assert_non_null(wq);
	assert_non_null(ord);
	reset_counts();
	bh_workqueue_set_max_active(wq, 0);
	expect_clamp_warning(0, "f6");
	/* Clamped to 1. */
	g_init(&g[0], 0, true);
	g_init(&g[1], 1, true);
	assert_true(bh_queue_work_on(0, wq, &g[0].work));
	assert_true(bh_queue_work_on(0, wq, &g[1].work));
	assert_true(wait_started(g, 2, 1));
	assert_true(wait_stats(wq, 1, 1));
	bh_workqueue_set_max_active(wq, 99999);
	expect_clamp_warning(99999, "f6");
	/* Clamped to 2048: the waiting one starts. */
	assert_true(wait_started(g, 2, 2));
	open_all(g, 2);
	assert_true(wait_all_done(g, 2));

	/* Ordered: a warning, and still one at a time. */
	unsigned int before = th_log.messages;
	bh_workqueue_set_max_active(ord, 4);
	assert_true(th_log.messages > before);
	g_init(&g[2], 2, true);
	g_init(&g[3], 3, true);
	assert_true(bh_queue_work(ord, &g[2].work));
	assert_true(bh_queue_work(ord, &g[3].work));
	assert_true(th_wait_ge(&g[2].started, 1));
	assert_true(wait_stats(ord, 1, 1));
	assert_int_equal(th_ld(&g[3].started), 0);
	bh_complete(&g[2].gate);
	assert_true(th_wait_ge(&g[3].started, 1));
	bh_complete(&g[3].gate);
	assert_true(wait_all_done(g, 4));

	/* BH: a warning. */
	before = th_log.messages;
	bh_workqueue_set_max_active(bh_system_bh_wq, 4);
	assert_true(th_log.messages > before);
	assert_int_equal(th_ld(&gate_timeouts), 0);
	bh_destroy_workqueue(wq);
	bh_destroy_workqueue(ord);
}

/* ---- F7: ordered ------------------------------------------------------ */

#define F7_NPROD 4
#define F7_N	 (TH_TSAN ? 400 : 2000)

static struct bh_workqueue *f7_wq;
static struct gitem *f7_items;
static pthread_mutex_t f7_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long f7_next_ticket; /* under f7_lock */
static unsigned long f7_expect;	     /* the ticket the next run must have */
static unsigned long f7_inside, f7_overlaps, f7_out_of_order, f7_runs;

static void f7_fn(struct bh_work *w)
{
	struct gitem *g = bh_from_work(g, w, work);

	if (__atomic_exchange_n(&f7_inside, 1, __ATOMIC_SEQ_CST) != 0)
		th_inc(&f7_overlaps);
	unsigned long want =
		__atomic_fetch_add(&f7_expect, 1, __ATOMIC_ACQ_REL);
	if ((unsigned long)g->id != want)
		th_inc(&f7_out_of_order);
	/* A sleep now and then: the next item must still wait. */
	if (g->id % 64 == 0)
		bh_msleep(1);
	__atomic_store_n(&f7_inside, 0, __ATOMIC_SEQ_CST);
	th_inc(&f7_runs);
}

static void *f7_producer(void *arg)
{
	long id = (long)arg;

	bh_thread_set_cpu((int)(id % 2));
	for (;;) {
		/* The lock makes ticket order the queueing order. */
		pthread_mutex_lock(&f7_lock);
		unsigned long t = f7_next_ticket;
		if (t >= F7_N) {
			pthread_mutex_unlock(&f7_lock);
			break;
		}
		f7_next_ticket++;
		if (!bh_queue_work(f7_wq, &f7_items[t].work))
			th_inc(&bad);
		pthread_mutex_unlock(&f7_lock);
	}
	return NULL;
}

/* SPEC F7: one at a time, in queueing order, across producers and CPUs. */
static void test_f7_ordered_strict(void **state)
{
	(void)state;
	pthread_t th[F7_NPROD];

	reset_counts();
	f7_wq = bh_alloc_ordered_workqueue("f7-%d", 0, 1);
	assert_non_null(f7_wq);
	assert_string_equal(bh_workqueue_name(f7_wq), "f7-1");
	f7_items = calloc(F7_N, sizeof(*f7_items));
	assert_non_null(f7_items);
	for (int i = 0; i < F7_N; i++) {
		bh_work_init(&f7_items[i].work, f7_fn);
		f7_items[i].id = i;
	}
	f7_next_ticket = 0;
	th_st(&f7_expect, 0);
	th_st(&f7_inside, 0);
	th_st(&f7_overlaps, 0);
	th_st(&f7_out_of_order, 0);
	th_st(&f7_runs, 0);
	for (long i = 0; i < F7_NPROD; i++)
		assert_int_equal(
			pthread_create(&th[i], NULL, f7_producer, (void *)i),
			0);
	for (long i = 0; i < F7_NPROD; i++)
		assert_true(th_join(th[i]));
	assert_true(th_wait_ge(&f7_runs, F7_N));
	bh_flush_workqueue(f7_wq);
	assert_int_equal(th_ld(&bad), 0);
	assert_int_equal(th_ld(&f7_overlaps), 0);
	assert_int_equal(th_ld(&f7_out_of_order), 0);
	assert_int_equal(th_ld(&f7_runs), F7_N);
	bh_destroy_workqueue(f7_wq);
	free(f7_items);
}

/* SPEC F8: unbound with max_active 1 is not ordered: its limit moves. */
static void test_f8_unbound_max1_not_ordered(void **state)
{
	(void)state;
	struct bh_workqueue *wq = bh_alloc_workqueue("f8", BH_WQ_UNBOUND, 1);
	static struct gitem g[2];

	assert_non_null(wq);
	reset_counts();
	unsigned int before = th_log.messages;
	bh_workqueue_set_max_active(wq, 2);
	assert_int_equal(th_log.messages, before);
	for (int i = 0; i < 2; i++) {
		g_init(&g[i], i, true);
		assert_true(bh_queue_work(wq, &g[i].work));
	}
	assert_true(wait_started(g, 2, 2));
	assert_int_equal(th_ld(&max_running), 2);
	open_all(g, 2);
	assert_true(wait_all_done(g, 2));
	assert_int_equal(th_ld(&gate_timeouts), 0);
	bh_destroy_workqueue(wq);
}

/* SPEC F9: per-CPU max_active 1 still runs one item per CPU at once. */
static void test_f9_percpu_max1_per_cpu(void **state)
{
	(void)state;
	struct bh_workqueue *wq = bh_alloc_workqueue("f9", 0, 1);
	static struct gitem g[3];

	assert_non_null(wq);
	reset_counts();
	for (int i = 0; i < 3; i++)
		g_init(&g[i], i, true);
	assert_true(bh_queue_work_on(0, wq, &g[0].work));
	assert_true(bh_queue_work_on(1, wq, &g[1].work));
	assert_true(bh_queue_work_on(0, wq, &g[2].work));
	/* Both CPUs' first items run together; CPU 0's second waits. */
	assert_true(th_wait_ge(&g[0].started, 1));
	assert_true(th_wait_ge(&g[1].started, 1));
	assert_true(wait_stats(wq, 2, 1));
	assert_int_equal(th_ld(&g[2].started), 0);
	assert_int_equal(th_ld(&max_running), 2);
	bh_complete(&g[0].gate);
	assert_true(th_wait_ge(&g[2].started, 1));
	open_all(g, 3);
	assert_true(wait_all_done(g, 3));
	assert_int_equal(th_ld(&cpu_max[0]), 1);
	assert_int_equal(th_ld(&cpu_max[1]), 1);
	assert_int_equal(th_ld(&gate_timeouts), 0);
	bh_destroy_workqueue(wq);
}

/* ---- W11: start order within a pool ----------------------------------- */

static unsigned long w11_release, w11_blocker_started;

static void w11_blocker_fn(struct bh_work *w)
{
	(void)w;
	th_inc(&w11_blocker_started);
	/* CPU-bound, so the pool starts nothing else meanwhile (until it is
	 * marked CPU-intensive, which only makes the test weaker). */
	uint64_t deadline = th_now_ns() + TH_WAIT_NS;
	while (!th_ld(&w11_release) && th_now_ns() < deadline)
		;
}

#define W11_N 32

/*
 * SPEC W11: items of one pool start in the order queued, whichever of the
 * pool's workqueues they came from.
 */
static void test_w11_start_order_in_pool(void **state)
{
	(void)state;
	struct bh_workqueue *a = bh_alloc_workqueue("w11a", 0, 0);
	struct bh_workqueue *b = bh_alloc_workqueue("w11b", 0, 0);
	static struct bh_work blocker;
	static struct gitem g[W11_N];

	assert_non_null(a);
	assert_non_null(b);
	reset_counts();
	th_st(&w11_release, 0);
	th_st(&w11_blocker_started, 0);
	bh_work_init(&blocker, w11_blocker_fn);
	assert_true(bh_queue_work_on(0, a, &blocker));
	assert_true(th_wait_ge(&w11_blocker_started, 1));
	for (int i = 0; i < W11_N; i++) {
		g_init(&g[i], i, false);
		assert_true(bh_queue_work_on(0, i % 3 ? a : b, &g[i].work));
	}
	th_st(&w11_release, 1);
	assert_true(wait_all_done(g, W11_N));
	bh_flush_workqueue(a);
	bh_flush_workqueue(b);
	for (unsigned long i = 0; i < W11_N; i++)
		assert_int_equal(order_at(i), i);
	bh_destroy_workqueue(a);
	bh_destroy_workqueue(b);
}

/* SPEC W11: also when items sleep (others start meanwhile, in order). */
static void test_w11_start_order_sleeping(void **state)
{
	(void)state;
	struct bh_workqueue *wq = bh_alloc_workqueue("w11s", 0, 0);
	static struct gitem g[8];

	assert_non_null(wq);
	reset_counts();
	for (int i = 0; i < 8; i++) {
		g_init(&g[i], i, true);
		assert_true(bh_queue_work_on(1, wq, &g[i].work));
	}
	/* Each one sleeps on its gate before the next may start. */
	assert_true(wait_started(g, 8, 8));
	for (unsigned long i = 0; i < 8; i++)
		assert_int_equal(order_at(i), i);
	open_all(g, 8);
	assert_true(wait_all_done(g, 8));
	assert_int_equal(th_ld(&gate_timeouts), 0);
	bh_destroy_workqueue(wq);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_threaded, th_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_f1_alloc),
		T(test_f1_default_max_active),
		T(test_f1_clamp),
		T(test_f20_name_truncated),
		T(test_f19_bh_flags),
		T(test_f2_percpu_limit),
		T(test_w17_congested),
		T(test_f3_unbound_systemwide),
		T(test_f4_queue_never_fails),
		T(test_f5_raise_activates),
		T(test_f5_order_survives_change),
		T(test_f6_set_max_active),
		T(test_f7_ordered_strict),
		T(test_f8_unbound_max1_not_ordered),
		T(test_f9_percpu_max1_per_cpu),
		T(test_w11_start_order_in_pool),
		T(test_w11_start_order_sleeping),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
