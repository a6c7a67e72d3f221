/* SPDX-License-Identifier: MIT */
/*
 * The rescuer (SPEC F14, W15): a BH_WQ_MEM_RECLAIM workqueue has its own
 * thread, kworker/R-<name>, which runs that queue's items from a pool that
 * cannot create a worker, so that the queue always makes progress.
 *
 * Worker creation is made to fail on demand: this program defines
 * pthread_create, which the static libbh linked into it calls instead of
 * libc's (or a sanitizer's interceptor), and which forwards to the next
 * definition, found with dlsym(RTLD_NEXT), unless told to fail with
 * EAGAIN. The first test checks that the library's calls really come
 * here.
 */
#include "harness.h"

#include <bh/workqueue.h>
#include <dlfcn.h>
#include <sys/prctl.h>

#include "thread_names.h"

typedef int (*pthread_create_fn)(pthread_t *, const pthread_attr_t *,
				 void *(*)(void *), void *);

static int fail_create;		      /* A: make pthread_create fail */
static unsigned long create_calls;    /* A */
static unsigned long create_failures; /* A */

int pthread_create(pthread_t *th, const pthread_attr_t *attr,
		   void *(*start)(void *), void *arg)
{
	static pthread_create_fn real;
	pthread_create_fn fn = __atomic_load_n(&real, __ATOMIC_ACQUIRE);

	if (!fn) {
		*(void **)&fn = dlsym(RTLD_NEXT, "pthread_create");
		if (!fn)
			abort();
		__atomic_store_n(&real, fn, __ATOMIC_RELEASE);
	}
	__atomic_fetch_add(&create_calls, 1, __ATOMIC_ACQ_REL);
	if (__atomic_load_n(&fail_create, __ATOMIC_ACQUIRE)) {
		__atomic_fetch_add(&create_failures, 1, __ATOMIC_ACQ_REL);
		return EAGAIN;
	}
	return fn(th, attr, start, arg);
}

static void set_fail(bool on)
{
	__atomic_store_n(&fail_create, on, __ATOMIC_RELEASE);
}

static int teardown(void **state)
{
	set_fail(false);
	return th_teardown(state);
}

/* Bounded wait until exactly `n` threads are named with `prefix`. */
static bool wait_threads(const char *prefix, int n)
{
	uint64_t deadline = th_now_ns() + TH_WAIT_NS;

	while (th_count_threads(prefix, NULL) != n) {
		if (th_now_ns() > deadline)
			return false;
		sched_yield();
	}
	return true;
}

/*
 * SPEC F14 (the failure injection the rescuer tests rely on): the
 * interposer is what the library calls: starting the runtime creates
 * ksoftirqd/0 through it, and a failure there makes bh_init fail.
 */
static void test_interposer_reaches_library(void **state)
{
	(void)state;
	unsigned long c0 = th_ld(&create_calls);
	struct bh_config cfg;

	th_init(1, false);
	assert_true(th_ld(&create_calls) > c0);
	assert_true(bh_shutdown() >= 0);

	th_config(&cfg, 1, false);
	set_fail(true);
	int r = bh_init(&cfg);
	set_fail(false);
	assert_true(r < 0);
	assert_false(bh_running());
	assert_int_equal(th_count_threads("ksoftirqd/", NULL), 0);
}

/*
 * SPEC F14: the rescuer is made with the queue and goes with it; when it
 * cannot be made, the queue is not made either (the kernel's
 * alloc_workqueue returns NULL).
 */
static void test_f14_rescuer_thread_lifetime(void **state)
{
	(void)state;
	th_init(1, false);

	struct bh_workqueue *wq =
		bh_alloc_workqueue("resc", BH_WQ_MEM_RECLAIM, 0);
	assert_non_null(wq);
	assert_true(wait_threads("kworker/R-resc", 1));
	struct bh_workqueue *plain = bh_alloc_workqueue("plain", 0, 0);
	assert_non_null(plain);
	assert_int_equal(th_count_threads("kworker/R-", NULL), 1);
	bh_destroy_workqueue(plain);
	bh_destroy_workqueue(wq);
	assert_true(wait_threads("kworker/R-", 0));

	set_fail(true);
	unsigned long f0 = th_ld(&create_failures);
	assert_null(bh_alloc_workqueue("nores", BH_WQ_MEM_RECLAIM, 0));
	set_fail(false);
	assert_true(th_ld(&create_failures) > f0);
	assert_int_equal(th_count_threads("kworker/R-", NULL), 0);
	th_shutdown();
}

/* Non-reclaim items that hold their worker, asleep, until the gate opens. */
#define NBLOCK 16

static struct bh_completion gate;
static struct bh_work blockers[NBLOCK];
static unsigned long blk_started, blk_done, blk_timeouts, blk_rescuer;

static void blocker_fn(struct bh_work *w)
{
	(void)w;
	if (bh_current_is_workqueue_rescuer())
		th_inc(&blk_rescuer);
	th_inc(&blk_started);
	if (bh_wait_for_completion_timeout(&gate, 10ul * bh_hz()) == 0)
		th_inc(&blk_timeouts);
	th_inc(&blk_done);
}

/* The reclaim item: records where it ran. */
struct probe {
	struct bh_work work;
	unsigned long done;
	bool rescuer;
	bool current_ok;
	bool task;
	char comm[16];
};

static void probe_fn(struct bh_work *w)
{
	struct probe *p = bh_container_of(w, struct probe, work);

	p->rescuer = bh_current_is_workqueue_rescuer();
	p->current_ok = bh_current_work() == w;
	p->task = bh_in_task() && !bh_in_atomic();
	prctl(PR_GET_NAME, p->comm, 0, 0, 0);
	th_st(&p->done, 1);
}

/*
 * SPEC F14, SPEC W15: while no worker can be created, a pool whose
 * workers are all asleep in non-reclaim items calls for help: the
 * reclaim queue's item behind them runs in its rescuer (task context,
 * current_is_workqueue_rescuer() true, thread kworker/R-<name>), counted
 * as mayday and rescued; the non-reclaim items behind stay waiting, and
 * start once creation works again.
 */
static void test_f14_w15_rescuer_runs_when_creation_fails(void **state)
{
	(void)state;
	static struct probe r, r2;
	struct bh_wq_stats st;

	th_init_cpu0(1, false);
	blk_started = blk_done = blk_timeouts = blk_rescuer = 0;
	bh_init_completion(&gate);
	memset(&r, 0, sizeof(r));
	memset(&r2, 0, sizeof(r2));
	bh_work_init(&r.work, probe_fn);
	bh_work_init(&r2.work, probe_fn);
	struct bh_workqueue *wq_r =
		bh_alloc_workqueue("rq", BH_WQ_MEM_RECLAIM, 0);
	struct bh_workqueue *wq_n = bh_alloc_workqueue("nq", 0, 0);
	assert_non_null(wq_r);
	assert_non_null(wq_n);
	assert_true(wait_threads("kworker/R-rq", 1));
	assert_false(bh_current_is_workqueue_rescuer());

	unsigned long f0 = th_ld(&create_failures);
	set_fail(true);
	for (int i = 0; i < NBLOCK; i++) {
		bh_work_init(&blockers[i], blocker_fn);
		assert_true(bh_queue_work_on(0, wq_n, &blockers[i]));
	}
	assert_true(bh_queue_work_on(0, wq_r, &r.work));
	assert_true(th_wait_ge(&r.done, 1));
	unsigned long started = th_ld(&blk_started);

	assert_true(th_ld(&create_failures) > f0);
	assert_true(r.rescuer);
	assert_true(r.current_ok);
	assert_true(r.task);
	assert_string_equal(r.comm, "kworker/R-rq");
	assert_int_equal(bh_workqueue_get_stats(wq_r, &st), 0);
	assert_true(st.mayday >= 1);
	assert_true(st.rescued >= 1);
	assert_int_equal(bh_workqueue_get_stats(wq_n, &st), 0);
	assert_int_equal(st.mayday, 0);
	assert_int_equal(st.rescued, 0);
	/* The non-reclaim items wait: most have not started. */
	assert_true(started < NBLOCK);

	/* Creation works again: the waiting items start, gate still shut. */
	set_fail(false);
	assert_true(th_wait_ge(&blk_started, NBLOCK));
	assert_int_equal(th_ld(&blk_done), 0);
	bh_complete_all(&gate);
	assert_true(th_wait_ge(&blk_done, NBLOCK));
	assert_int_equal(th_ld(&blk_timeouts), 0);
	assert_int_equal(th_ld(&blk_rescuer), 0);

	/* With workers to spare, the reclaim queue uses them. */
	assert_true(bh_queue_work_on(0, wq_r, &r2.work));
	assert_true(th_wait_ge(&r2.done, 1));
	assert_false(r2.rescuer);
	assert_true(r2.current_ok);
	assert_true(strncmp(r2.comm, "kworker/0:", 10) == 0);

	bh_destroy_workqueue(wq_n);
	bh_destroy_workqueue(wq_r);
	assert_true(wait_threads("kworker/R-", 0));
	th_shutdown();
}

/*
 * SPEC F14: the same holds on a rescuer queue that is the only one with
 * work: its items all run, one after another, while creation fails.
 */
static struct probe many[8];

static void test_f14_rescuer_runs_all_own_items(void **state)
{
	(void)state;
	struct bh_wq_stats st;

	th_init_cpu0(1, false);
	blk_started = blk_done = blk_timeouts = blk_rescuer = 0;
	bh_init_completion(&gate);
	struct bh_workqueue *wq_r =
		bh_alloc_workqueue("rq2", BH_WQ_MEM_RECLAIM, 0);
	struct bh_workqueue *wq_n = bh_alloc_workqueue("nq2", 0, 0);
	assert_non_null(wq_r);
	assert_non_null(wq_n);

	set_fail(true);
	for (int i = 0; i < NBLOCK; i++) {
		bh_work_init(&blockers[i], blocker_fn);
		assert_true(bh_queue_work_on(0, wq_n, &blockers[i]));
	}
	for (int i = 0; i < 8; i++) {
		memset(&many[i], 0, sizeof(many[i]));
		bh_work_init(&many[i].work, probe_fn);
		assert_true(bh_queue_work_on(0, wq_r, &many[i].work));
	}
	for (int i = 0; i < 8; i++) {
		assert_true(th_wait_ge(&many[i].done, 1));
		assert_true(many[i].rescuer);
	}
	assert_int_equal(bh_workqueue_get_stats(wq_r, &st), 0);
	assert_true(st.rescued >= 8);
	assert_true(th_ld(&blk_started) < NBLOCK);

	set_fail(false);
	bh_complete_all(&gate);
	assert_true(th_wait_ge(&blk_done, NBLOCK));
	assert_int_equal(th_ld(&blk_timeouts), 0);
	bh_destroy_workqueue(wq_n);
	bh_destroy_workqueue(wq_r);
	th_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_interposer_reaches_library,
					  teardown),
		cmocka_unit_test_teardown(test_f14_rescuer_thread_lifetime,
					  teardown),
		cmocka_unit_test_teardown(
			test_f14_w15_rescuer_runs_when_creation_fails,
			teardown),
		cmocka_unit_test_teardown(test_f14_rescuer_runs_all_own_items,
					  teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
