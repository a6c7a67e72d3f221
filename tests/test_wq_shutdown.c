/* SPDX-License-Identifier: MIT */
/*
 * SPEC U6 for workqueues: shutting the library down, or destroying a
 * workqueue, never loses queued work silently. Queued items run; items
 * still on their delayed-work timers are cancelled, reported and counted
 * in bh_shutdown()'s return value; afterwards no library thread is left.
 *
 * "Queued" must mean queued and not yet run when the call begins: the
 * items are held back (behind an item that blocks its pool, or in
 * deterministic mode where nothing runs unless stepped), and a helper
 * thread lets them go only once the caller is seen asleep in the call.
 */
#include "harness.h"

#include <bh/workqueue.h>
#include <dirent.h>

#include "thread_names.h"

/* Threads of this process, from /proc/self/task; -1 if unreadable. */
static int count_tasks(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/*
 * Bounded wait for the task count to come back to `n`: a joined thread
 * can stay listed for a moment after pthread_join() returns.
 */
static bool wait_tasks(int n)
{
	uint64_t deadline = th_now_ns() + TH_WAIT_NS;

	while (count_tasks() != n) {
		if (th_now_ns() > deadline)
			return false;
		sched_yield();
	}
	return true;
}

static void assert_no_library_threads(int baseline)
{
	assert_true(wait_tasks(baseline));
	assert_int_equal(th_count_threads("kworker", NULL), 0);
	assert_int_equal(th_count_threads("ksoftirqd", NULL), 0);
}

struct item {
	struct bh_work work;
	int id;
	unsigned long runs;
};

static unsigned long order[64], order_n;

static void item_fn(struct bh_work *w)
{
	struct item *it = bh_container_of(w, struct item, work);
	unsigned long at = __atomic_fetch_add(&order_n, 1, __ATOMIC_ACQ_REL);

	if (at < 64)
		th_st(&order[at], (unsigned long)it->id);
	th_inc(&it->runs);
}

static void item_init(struct item *it, int id)
{
	memset(it, 0, sizeof(*it));
	it->id = id;
	bh_work_init(&it->work, item_fn);
}

static unsigned long druns;

static void dfn(struct bh_work *w)
{
	(void)w;
	th_inc(&druns);
}

/*
 * SPEC U6, deterministic mode: BH items queued on both bh CPUs (nothing has
 * stepped them) run during bh_shutdown(), which cancels nothing.
 */
static void test_u6_shutdown_runs_queued_bh_work(void **state)
{
	(void)state;
	static struct item it[8];
	int base = count_tasks();

	order_n = 0;
	th_init_cpu0(2, true);
	for (int i = 0; i < 8; i++) {
		item_init(&it[i], i);
		assert_true(bh_queue_work_on(i % 2,
					     i & 2 ? bh_system_bh_highpri_wq
						   : bh_system_bh_wq,
					     &it[i].work));
	}
	assert_int_equal(th_ld(&order_n), 0);
	assert_int_equal(bh_shutdown(), 0);
	bh_thread_set_cpu(-1);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(it[i].runs, 1);
		assert_false(bh_work_pending(&it[i].work));
	}
	assert_no_library_threads(base);
}

/* An item that blocks its pool where the pool cannot see it (a read). */
static int hold_pipe[2];
static unsigned long hold_started;

static void hold_fn(struct bh_work *w)
{
	char c;

	(void)w;
	th_st(&hold_started, 1);
	while (read(hold_pipe[0], &c, 1) < 0 && errno == EINTR)
		;
}

/* Releases the holder once `tid` sleeps, noting what had run by then. */
struct releaser {
	unsigned long tid;
	unsigned long ran_before;
	bool saw_sleep;
};

static void *releaser_main(void *p)
{
	struct releaser *r = p;
	char c = 'x';

	r->saw_sleep = th_wait_asleep(r->tid);
	r->ran_before = th_ld(&order_n);
	if (write(hold_pipe[1], &c, 1) != 1)
		r->saw_sleep = false;
	return NULL;
}

/*
 * SPEC U6, threads: items on per-CPU system queues wait behind an item
 * that keeps CPU 0's normal pool busy (a plain blocking read is invisible
 * to concurrency management, W12, and the CPU-intensive mark, F12, is set
 * far off). bh_shutdown() waits for them, and they all run.
 */
static void test_u6_shutdown_runs_queued_work(void **state)
{
	(void)state;
	static struct item it[6];
	static struct bh_work hold;
	struct releaser rel = {.tid = th_tid()};
	struct bh_config cfg;
	pthread_t th;
	int base = count_tasks();

	order_n = 0;
	hold_started = 0;
	assert_int_equal(pipe(hold_pipe), 0);
	th_log_clear();
	th_config(&cfg, 1, false);
	cfg.wq_cpu_intensive_thresh_us = 60u * 1000u * 1000u;
	assert_int_equal(bh_init(&cfg), 0);
	assert_int_equal(bh_thread_set_cpu(0), 0);

	bh_work_init(&hold, hold_fn);
	assert_true(bh_queue_work(bh_system_wq, &hold));
	assert_true(th_wait_ge(&hold_started, 1));
	for (int i = 0; i < 6; i++) {
		item_init(&it[i], i);
		assert_true(bh_queue_work(
			i % 2 ? bh_system_long_wq : bh_system_wq, &it[i].work));
	}
	assert_int_equal(th_ld(&order_n), 0);

	assert_int_equal(pthread_create(&th, NULL, releaser_main, &rel), 0);
	assert_int_equal(bh_shutdown(), 0);
	bh_thread_set_cpu(-1);
	assert_true(th_join(th));
	assert_true(rel.saw_sleep);
	assert_int_equal(rel.ran_before, 0);
	/* All ran, in queue order (one pool, W11). */
	assert_int_equal(th_ld(&order_n), 6);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(it[i].runs, 1);
		assert_int_equal(order[i], (unsigned long)i);
	}
	close(hold_pipe[0]);
	close(hold_pipe[1]);
	assert_no_library_threads(base);
}

/*
 * SPEC U6: delayed items still on their timers at shutdown are cancelled,
 * each reported with a warning and counted in the return value; their
 * callbacks never run, not even when a later runtime passes the expiry.
 */
static void test_u6_shutdown_cancels_armed_delayed_work(void **state)
{
	(void)state;
	static struct bh_delayed_work dw[3];
	static struct item now;
	int base = count_tasks();

	druns = 0;
	order_n = 0;
	th_init_cpu0(2, true);
	bh_delayed_work_init(&dw[0], dfn);
	bh_delayed_work_init(&dw[1], dfn);
	bh_delayed_work_init(&dw[2], dfn);
	assert_true(bh_queue_delayed_work(bh_system_wq, &dw[0], 1000));
	assert_true(bh_queue_delayed_work_on(1, bh_system_bh_wq, &dw[1], 50));
	assert_true(bh_queue_delayed_work(bh_system_unbound_wq, &dw[2], 5));
	item_init(&now, 1);
	assert_true(bh_queue_work(bh_system_bh_wq, &now.work));

	unsigned long w0 = bh_warn_count();
	int r = bh_shutdown();
	bh_thread_set_cpu(-1);
	assert_int_equal(r, 3);
	assert_true(bh_warn_count() >= w0 + 1);
	assert_int_equal(now.runs, 1);
	for (int i = 0; i < 3; i++) {
		assert_false(bh_delayed_work_pending(&dw[i]));
		assert_false(bh_timer_pending(&dw[i].timer));
	}
	assert_int_equal(th_ld(&druns), 0);
	assert_no_library_threads(base);

	/*
	 * Nothing of them survives into the next runtime, and they are idle
	 * there: they queue again (once each).
	 */
	th_init_cpu0(2, true);
	assert_int_equal(bh_advance_jiffies(2000), 0);
	bh_run_all(0);
	assert_int_equal(th_ld(&druns), 0);
	for (int i = 0; i < 3; i++)
		assert_true(bh_queue_delayed_work(bh_system_bh_wq, &dw[i], 0));
	bh_run_all(0);
	assert_int_equal(th_ld(&druns), 3);
	assert_int_equal(bh_shutdown(), 0);
	bh_thread_set_cpu(-1);
}

/* A gate an item waits on, asleep, until the test opens it. */
static struct bh_completion gate;
static unsigned long gate_started, gate_timeouts;

static void gated_fn(struct bh_work *w)
{
	(void)w;
	th_st(&gate_started, 1);
	if (bh_wait_for_completion_timeout(&gate, 10ul * bh_hz()) == 0)
		th_inc(&gate_timeouts);
}

struct destroyer {
	struct bh_workqueue *wq;
	unsigned long tid, started, done;
};

static void *destroyer_main(void *p)
{
	struct destroyer *d = p;

	d->tid = th_tid();
	th_st(&d->started, 1);
	bh_destroy_workqueue(d->wq);
	th_st(&d->done, 1);
	return NULL;
}

/*
 * SPEC U6, SPEC C7: destroy_workqueue runs what was queued: items held
 * behind a blocked item of an ordered queue are waited for, and all run,
 * in order, before it returns; its rescuer goes with it.
 */
static void test_u6_c7_destroy_runs_queued_work(void **state)
{
	(void)state;
	static struct bh_work blocker;
	static struct item it[5];
	struct destroyer d = {0};
	pthread_t th;
	int base = count_tasks();

	order_n = 0;
	gate_started = gate_timeouts = 0;
	th_init_cpu0(2, false);
	bh_init_completion(&gate);
	d.wq = bh_alloc_ordered_workqueue("u6ord", BH_WQ_MEM_RECLAIM);
	assert_non_null(d.wq);
	bh_work_init(&blocker, gated_fn);
	assert_true(bh_queue_work(d.wq, &blocker));
	assert_true(th_wait_ge(&gate_started, 1));
	for (int i = 0; i < 5; i++) {
		item_init(&it[i], i);
		assert_true(bh_queue_work(d.wq, &it[i].work));
	}

	assert_int_equal(pthread_create(&th, NULL, destroyer_main, &d), 0);
	assert_true(th_wait_ge(&d.started, 1));
	assert_true(th_wait_asleep(d.tid));
	assert_int_equal(th_ld(&d.done), 0);
	assert_int_equal(th_ld(&order_n), 0);
	bh_complete(&gate);
	assert_true(th_join(th));
	assert_int_equal(th_ld(&gate_timeouts), 0);
	assert_int_equal(th_ld(&order_n), 5);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(order[i], (unsigned long)i);
		assert_false(bh_work_pending(&it[i].work));
	}
	assert_int_equal(th_count_threads("kworker/R-u6ord", NULL), 0);
	th_shutdown();
	assert_no_library_threads(base);
}

/*
 * SPEC U6: after a run that made workers of every kind (per-CPU normal
 * and high priority, unbound, a rescuer), shutdown leaves no thread.
 */
static void test_u6_no_thread_left(void **state)
{
	(void)state;
	static struct item it[8];
	int base = count_tasks();

	th_init(2, false);
	struct bh_workqueue *r =
		bh_alloc_workqueue("u6r", BH_WQ_MEM_RECLAIM, 0);
	assert_non_null(r);
	struct bh_workqueue *wqs[] = {bh_system_wq, bh_system_highpri_wq,
				      bh_system_unbound_wq, r};
	for (int i = 0; i < 8; i++) {
		item_init(&it[i], i);
		assert_true(bh_queue_work_on(i % 2, wqs[i % 4], &it[i].work));
	}
	for (int i = 0; i < 8; i++) {
		bh_flush_work(&it[i].work);
		assert_int_equal(it[i].runs, 1);
	}
	assert_true(count_tasks() > base);
	assert_true(th_count_threads("kworker/", NULL) > 0);
	bh_destroy_workqueue(r);
	assert_int_equal(bh_shutdown(), 0);
	assert_no_library_threads(base);
}

/*
 * SPEC U6: a workqueue the program left is destroyed by bh_shutdown(),
 * with a warning naming it (bh_workqueue(7)); what was queued on it runs,
 * and its rescuer goes.
 */
static void test_u6_shutdown_destroys_leftover_workqueues(void **state)
{
	(void)state;
	static struct item it[3];
	int base = count_tasks();

	order_n = 0;
	th_init_cpu0(2, true);
	struct bh_workqueue *bq = bh_alloc_workqueue("leftbh", BH_WQ_BH, 0);
	struct bh_workqueue *rq =
		bh_alloc_workqueue("leftr", BH_WQ_MEM_RECLAIM, 0);
	assert_non_null(bq);
	assert_non_null(rq);
	for (int i = 0; i < 3; i++) {
		item_init(&it[i], i);
		assert_true(bh_queue_work(bq, &it[i].work));
	}
	th_log_clear();
	unsigned long w0 = bh_warn_count();
	assert_true(bh_shutdown() >= 0);
	bh_thread_set_cpu(-1);
	assert_true(bh_warn_count() >= w0 + 2);
	assert_true(th_log_has("leftbh"));
	assert_true(th_log_has("leftr"));
	for (int i = 0; i < 3; i++)
		assert_int_equal(it[i].runs, 1);
	assert_int_equal(th_count_threads("kworker/R-", NULL), 0);
	assert_no_library_threads(base);
}

static void *nothing(void *arg)
{
	return arg;
}

int main(void)
{
	/*
	 * A sanitizer may start a helper thread of its own at the first
	 * pthread_create() (TSan does): have that happen now, so that every
	 * test's baseline count of threads already includes it.
	 */
	pthread_t th;
	if (pthread_create(&th, NULL, nothing, NULL) == 0)
		pthread_join(th, NULL);

	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_u6_shutdown_runs_queued_bh_work,
					  th_teardown),
		cmocka_unit_test_teardown(test_u6_shutdown_runs_queued_work,
					  th_teardown),
		cmocka_unit_test_teardown(
			test_u6_shutdown_cancels_armed_delayed_work,
			th_teardown),
		cmocka_unit_test_teardown(test_u6_c7_destroy_runs_queued_work,
					  th_teardown),
		cmocka_unit_test_teardown(test_u6_no_thread_left, th_teardown),
		cmocka_unit_test_teardown(
			test_u6_shutdown_destroys_leftover_workqueues,
			th_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
