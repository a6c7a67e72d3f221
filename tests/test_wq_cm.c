/* SPDX-License-Identifier: MIT */
/*
 * Concurrency management with real threads on two bh CPUs: a per-CPU pool
 * starts a new item only when its running one sleeps in the library,
 * finishes, or does not count (W12, F11, F12); unbound pools have no such
 * gate (F13); highpri pools are apart from normal ones (F10, Q5).
 *
 * Most tests raise the CPU-intensive threshold (F12) to a minute, so that
 * an item that spins is never marked CPU-intensive behind the test's back
 * and "it started" can only mean what the test is about. The F12 test uses
 * the default (10 ms) and waits for the marking, not for a time: the
 * spinning item spins until the test has seen the next item start.
 *
 * "A second item did not start" cannot be proved by waiting. Where a test
 * needs it, the first item spins a fixed number of iterations after the
 * second is queued (a window, not a clock) and the second records whether
 * the first was still inside when it started.
 */
#include "harness.h"

#include <bh/workqueue.h>

#include <pthread.h>
#include <sys/resource.h>

/* A minute: no item of these tests runs that long without sleeping. */
#define NO_HOG_US (60u * 1000u * 1000u)
/* Iterations an item keeps the CPU after the next one is queued. */
#define WINDOW (TH_TSAN ? 200000ul : 2000000ul)

static int setup_default(void **state)
{
	(void)state;
	th_init(2, false);
	return 0;
}

static int setup_nohog(void **state)
{
	struct bh_config cfg;

	(void)state;
	th_log_clear();
	th_config(&cfg, 2, false);
	cfg.wq_cpu_intensive_thresh_us = NO_HOG_US;
	assert_int_equal(bh_init(&cfg), 0);
	return 0;
}

static void comm_of(unsigned long tid, char *buf, size_t len)
{
	if (!th_task_file(tid, "comm", buf, len)) {
		buf[0] = '\0';
		return;
	}
	buf[strcspn(buf, "\n")] = '\0';
}

static struct bh_wq_stats stats_of(struct bh_workqueue *wq)
{
	struct bh_wq_stats st;

	memset(&st, 0, sizeof(st));
	assert_int_equal(bh_workqueue_get_stats(wq, &st), 0);
	return st;
}

/* Bounded wait until `wq` has completed `n` items in all. */
static bool wait_completed(struct bh_workqueue *wq, unsigned long long n)
{
	uint64_t deadline = th_now_ns() + TH_WAIT_NS;
	struct bh_wq_stats st;

	while (bh_workqueue_get_stats(wq, &st) == 0 && st.completed < n) {
		if (th_now_ns() > deadline)
			return false;
		sched_yield();
	}
	return true;
}

/*
 * An item with a configurable body. It counts `started` first and
 * `finished` last; `inside` is 1 in between. A probe (`watch` set) records
 * at its start whether the watched item was inside.
 */
enum body {
	B_NONE,	      /* return at once */
	B_SPIN_STOP,  /* spin (no sleep) until `stop` is completed */
	B_SPIN_QUEUE, /* spin until `*queued`, then WINDOW iterations */
	B_COMPLETION, /* spin until `*queued`, then wait for `stop` */
	B_MSLEEP,     /* spin until `*queued`, then msleep until released */
	B_MUTEX,      /* spin until `*queued`, then take `*mutex` */
};

struct citem {
	struct bh_work work;
	enum body body;
	struct bh_completion stop;
	unsigned long release; /* B_MSLEEP */
	unsigned long *queued;
	struct bh_mutex *mutex;
	struct citem *watch;
	unsigned long started, finished, inside;
	unsigned long saw_inside; /* probe: watched item was inside */
	unsigned long saw_done;	  /* probe: watched item had finished */
	unsigned long tid;
	char comm[32];
};

static unsigned long timeouts;

static void spin_until(const unsigned long *flag)
{
	uint64_t deadline = th_now_ns() + 2 * TH_WAIT_NS;
	while (!th_ld(flag))
		if (th_now_ns() > deadline) {
			th_inc(&timeouts);
			return;
		}
}

static void c_fn(struct bh_work *w)
{
	struct citem *c = bh_from_work(c, w, work);

	comm_of(th_tid(), c->comm, sizeof(c->comm));
	th_st(&c->tid, th_tid());
	if (c->watch) {
		th_st(&c->saw_inside, th_ld(&c->watch->inside));
		th_st(&c->saw_done, th_ld(&c->watch->finished));
	}
	th_st(&c->inside, 1);
	th_inc(&c->started);
	switch (c->body) {
	case B_NONE:
		break;
	case B_SPIN_STOP: {
		/* Busy: a completion tried, never waited on. */
		uint64_t deadline = th_now_ns() + 2 * TH_WAIT_NS;
		while (!bh_try_wait_for_completion(&c->stop))
			if (th_now_ns() > deadline) {
				th_inc(&timeouts);
				break;
			}
		break;
	}
	case B_SPIN_QUEUE:
		spin_until(c->queued);
		for (volatile unsigned long i = 0; i < WINDOW; i++)
			;
		break;
	case B_COMPLETION:
		spin_until(c->queued);
		bh_wait_for_completion(&c->stop);
		break;
	case B_MSLEEP: {
		spin_until(c->queued);
		uint64_t deadline = th_now_ns() + 2 * TH_WAIT_NS;
		while (!th_ld(&c->release)) {
			bh_msleep(1);
			if (th_now_ns() > deadline) {
				th_inc(&timeouts);
				break;
			}
		}
		break;
	}
	case B_MUTEX:
		spin_until(c->queued);
		bh_mutex_lock(c->mutex);
		bh_mutex_unlock(c->mutex);
		break;
	}
	th_st(&c->inside, 0);
	th_inc(&c->finished);
}

static void c_init(struct citem *c, enum body body, struct citem *watch)
{
	memset(c, 0, sizeof(*c));
	bh_work_init(&c->work, c_fn);
	bh_init_completion(&c->stop);
	c->body = body;
	c->watch = watch;
}

/* ---- W12 ---------------------------------------------------------- */

#define W12_ROUNDS 10

/*
 * SPEC W12: two CPU-bound items on one CPU of a per-CPU workqueue run one
 * after the other, whether queued back to back while the pool is idle or
 * the second while the first runs; from one workqueue or two.
 */
static void test_w12_cpu_bound_serialised(void **state)
{
	(void)state;
	struct bh_workqueue *wq = bh_alloc_workqueue("w12", 0, 0);
	struct bh_workqueue *wq2 = bh_alloc_workqueue("w12b", 0, 0);
	static struct citem a, b;
	static unsigned long queued;

	assert_non_null(wq);
	assert_non_null(wq2);
	th_st(&timeouts, 0);
	for (int r = 0; r < W12_ROUNDS; r++) {
		int cpu = r % 2;
		c_init(&a, B_SPIN_QUEUE, NULL);
		c_init(&b, B_NONE, &a);
		a.queued = &queued;
		th_st(&queued, 0);
		assert_true(bh_queue_work_on(cpu, wq, &a.work));
		if (r % 4 >= 2)
			assert_true(th_wait_ge(&a.started, 1));
		assert_true(bh_queue_work_on(cpu, r % 3 ? wq : wq2, &b.work));
		th_st(&queued, 1);
		assert_true(th_wait_ge(&b.finished, 1));
		assert_int_equal(th_ld(&b.saw_inside), 0);
		assert_int_equal(th_ld(&b.saw_done), 1);
	}
	bh_flush_workqueue(wq);
	bh_flush_workqueue(wq2);
	/* The threshold is a minute: nothing was marked. */
	assert_int_equal(stats_of(wq).cpu_intensive, 0);
	assert_int_equal(th_ld(&timeouts), 0);
	bh_destroy_workqueue(wq);
	bh_destroy_workqueue(wq2);
}

/*
 * SPEC W12: an item that sleeps in a library primitive lets the next item
 * of its pool start: a worker is woken for it (a CM wake-up, F18).
 */
static void sleep_lets_next_start(enum body body)
{
	struct bh_workqueue *wq = bh_alloc_workqueue("w12s", 0, 0);
	static struct citem a, b;
	static unsigned long queued;
	static struct bh_mutex m;

	assert_non_null(wq);
	th_st(&timeouts, 0);
	/*
	 * Warm the pool up: two items asleep at once leave two idle workers,
	 * so A's sleep wakes one (a CM wake-up) rather than having to make
	 * one.
	 */
	static struct citem warm[2];
	static unsigned long go = 1;
	for (int i = 0; i < 2; i++) {
		c_init(&warm[i], B_COMPLETION, NULL);
		warm[i].queued = &go;
		assert_true(bh_queue_work_on(1, wq, &warm[i].work));
	}
	bool warm_ok = th_wait_ge(&warm[0].started, 1) &&
		       th_wait_ge(&warm[1].started, 1);
	for (int i = 0; i < 2; i++)
		bh_complete(&warm[i].stop);
	assert_true(warm_ok);
	assert_true(wait_completed(wq, 2));
	unsigned long long cmw0 = stats_of(wq).cm_wakeup;

	bh_mutex_init(&m);
	c_init(&a, body, NULL);
	c_init(&b, B_NONE, &a);
	a.queued = &queued;
	a.mutex = &m;
	th_st(&queued, 0);
	if (body == B_MUTEX)
		bh_mutex_lock(&m);
	assert_true(bh_queue_work_on(1, wq, &a.work));
	assert_true(th_wait_ge(&a.started, 1));
	/* B waits behind A, which spins, then sleeps once told. */
	assert_true(bh_queue_work_on(1, wq, &b.work));
	th_st(&queued, 1);
	bool ok = th_wait_ge(&b.finished, 1);
	/* Release A before asserting, so a failure does not leave it. */
	if (body == B_MUTEX)
		bh_mutex_unlock(&m);
	bh_complete(&a.stop);
	th_st(&a.release, 1);
	assert_true(ok);
	assert_true(th_wait_ge(&a.finished, 1));
	/* B started while A was asleep inside its callback. */
	assert_int_equal(th_ld(&b.saw_inside), 1);
	assert_int_equal(th_ld(&b.saw_done), 0);
	/* On the same CPU's pool, by another worker. */
	assert_true(th_ld(&a.tid) != th_ld(&b.tid));
	assert_int_equal(strncmp(b.comm, "kworker/1:", 10), 0);
	assert_true(wait_completed(wq, 4));
	struct bh_wq_stats st = stats_of(wq);
	assert_true(st.cm_wakeup >= cmw0 + 1);
	assert_int_equal(st.cpu_intensive, 0);
	assert_int_equal(st.started, 4);
	assert_int_equal(th_ld(&timeouts), 0);
	bh_destroy_workqueue(wq);
}

/* SPEC W12: asleep in bh_wait_for_completion. */
static void test_w12_completion_sleep_lets_next_start(void **state)
{
	(void)state;
	sleep_lets_next_start(B_COMPLETION);
}

/* SPEC W12: asleep in bh_msleep. */
static void test_w12_msleep_lets_next_start(void **state)
{
	(void)state;
	sleep_lets_next_start(B_MSLEEP);
}

/* SPEC W12: asleep in bh_mutex_lock. */
static void test_w12_mutex_sleep_lets_next_start(void **state)
{
	(void)state;
	sleep_lets_next_start(B_MUTEX);
}

/* ---- F11 ------------------------------------------------------------ */

/*
 * SPEC F11: a running WQ_CPU_INTENSIVE item does not count: another item
 * of the pool starts while it spins (the threshold is a minute, so that
 * is the flag's doing, not F12's).
 */
static void test_f11_cpu_intensive_does_not_block(void **state)
{
	(void)state;
	struct bh_workqueue *in =
		bh_alloc_workqueue("f11i", BH_WQ_CPU_INTENSIVE, 0);
	struct bh_workqueue *norm = bh_alloc_workqueue("f11n", 0, 0);
	static struct citem a, b, a2;

	assert_non_null(in);
	assert_non_null(norm);
	th_st(&timeouts, 0);
	c_init(&a, B_SPIN_STOP, NULL);
	c_init(&b, B_NONE, &a);
	c_init(&a2, B_NONE, &a);
	assert_true(bh_queue_work_on(0, in, &a.work));
	assert_true(th_wait_ge(&a.started, 1));
	/* Another workqueue's item, and one of its own. */
	assert_true(bh_queue_work_on(0, norm, &b.work));
	assert_true(bh_queue_work_on(0, in, &a2.work));
	bool ok = th_wait_ge(&b.finished, 1) && th_wait_ge(&a2.finished, 1);
	bh_complete(&a.stop);
	assert_true(ok);
	assert_true(th_wait_ge(&a.finished, 1));
	assert_int_equal(th_ld(&b.saw_inside), 1);
	assert_int_equal(th_ld(&a2.saw_inside), 1);
	bh_flush_workqueue(in);
	bh_flush_workqueue(norm);
	assert_int_equal(stats_of(in).cpu_intensive, 0);
	assert_int_equal(stats_of(norm).cpu_intensive, 0);
	assert_int_equal(th_ld(&timeouts), 0);
	bh_destroy_workqueue(in);
	bh_destroy_workqueue(norm);
}

/*
 * SPEC F11: the CPU-intensive item's own start is still gated: behind a
 * CPU-bound item of the same pool it waits.
 */
static void test_f11_cpu_intensive_start_gated(void **state)
{
	(void)state;
	struct bh_workqueue *in =
		bh_alloc_workqueue("f11g", BH_WQ_CPU_INTENSIVE, 0);
	struct bh_workqueue *norm = bh_alloc_workqueue("f11h", 0, 0);
	static struct citem c, a;
	static unsigned long queued;

	assert_non_null(in);
	assert_non_null(norm);
	th_st(&timeouts, 0);
	for (int r = 0; r < 4; r++) {
		c_init(&c, B_SPIN_QUEUE, NULL);
		c_init(&a, B_NONE, &c);
		c.queued = &queued;
		th_st(&queued, 0);
		assert_true(bh_queue_work_on(r % 2, norm, &c.work));
		assert_true(th_wait_ge(&c.started, 1));
		assert_true(bh_queue_work_on(r % 2, in, &a.work));
		th_st(&queued, 1);
		assert_true(th_wait_ge(&a.finished, 1));
		assert_int_equal(th_ld(&a.saw_inside), 0);
		assert_int_equal(th_ld(&a.saw_done), 1);
	}
	assert_int_equal(th_ld(&timeouts), 0);
	bh_destroy_workqueue(in);
	bh_destroy_workqueue(norm);
}

/* ---- F12 ------------------------------------------------------------ */

/*
 * SPEC F12: with the default threshold (10 ms, 1 s at most), an item that
 * keeps the CPU is marked CPU-intensive and the pool lets the next item
 * start; the event counts once however long the item goes on.
 */
static void test_f12_auto_cpu_intensive(void **state)
{
	(void)state;
	struct bh_workqueue *wq = bh_alloc_workqueue("f12", 0, 0);
	static struct citem a, b;

	assert_non_null(wq);
	th_st(&timeouts, 0);
	c_init(&a, B_SPIN_STOP, NULL);
	c_init(&b, B_NONE, &a);
	assert_true(bh_queue_work_on(0, wq, &a.work));
	assert_true(th_wait_ge(&a.started, 1));
	assert_true(bh_queue_work_on(0, wq, &b.work));
	/* A spins until B has started: only the marking can start B. */
	bool ok = th_wait_ge(&b.finished, 1);
	bh_complete(&a.stop);
	assert_true(ok);
	assert_true(th_wait_ge(&a.finished, 1));
	assert_int_equal(th_ld(&b.saw_inside), 1);
	assert_true(wait_completed(wq, 2));
	assert_int_equal(stats_of(wq).cpu_intensive, 1);
	/* An item that sleeps is not marked: C waits on a completion. */
	static struct citem c, d;
	static unsigned long queued;
	c_init(&c, B_COMPLETION, NULL);
	c_init(&d, B_NONE, &c);
	c.queued = &queued;
	th_st(&queued, 1);
	assert_true(bh_queue_work_on(0, wq, &c.work));
	assert_true(th_wait_ge(&c.started, 1));
	assert_true(bh_queue_work_on(0, wq, &d.work));
	ok = th_wait_ge(&d.finished, 1);
	bh_complete(&c.stop);
	assert_true(ok);
	assert_true(wait_completed(wq, 4));
	assert_int_equal(stats_of(wq).cpu_intensive, 1);
	assert_int_equal(th_ld(&timeouts), 0);
	bh_destroy_workqueue(wq);
}

/* ---- F13 ------------------------------------------------------------ */

/*
 * SPEC F13: unbound workqueues have no concurrency management: a second
 * item starts while the first spins (the threshold is a minute), and
 * nothing is counted as CPU-intensive.
 */
static void test_f13_unbound_no_cm(void **state)
{
	(void)state;
	struct bh_workqueue *wq = bh_alloc_workqueue("f13", BH_WQ_UNBOUND, 0);
	static struct citem a, b;

	assert_non_null(wq);
	th_st(&timeouts, 0);
	assert_int_equal(bh_thread_set_cpu(0), 0);
	c_init(&a, B_SPIN_STOP, NULL);
	c_init(&b, B_NONE, &a);
	assert_true(bh_queue_work(wq, &a.work));
	assert_true(th_wait_ge(&a.started, 1));
	assert_true(bh_queue_work(wq, &b.work));
	bool ok = th_wait_ge(&b.finished, 1);
	bh_complete(&a.stop);
	assert_true(ok);
	assert_true(th_wait_ge(&a.finished, 1));
	assert_int_equal(th_ld(&b.saw_inside), 1);
	assert_int_equal(strncmp(b.comm, "kworker/u", 9), 0);
	assert_true(wait_completed(wq, 2));
	assert_int_equal(stats_of(wq).cpu_intensive, 0);
	assert_int_equal(th_ld(&timeouts), 0);
	bh_destroy_workqueue(wq);
}

/* SPEC F13, F12: an unbound item spinning past the default threshold is
 * not marked (the CPUitsv column is "-" for unbound). */
static void test_f13_unbound_never_marked(void **state)
{
	(void)state;
	struct bh_workqueue *wq = bh_alloc_workqueue("f13m", BH_WQ_UNBOUND, 0);
	struct bh_workqueue *pc = bh_alloc_workqueue("f13p", 0, 0);
	static struct citem a, b, p, q;

	assert_non_null(wq);
	assert_non_null(pc);
	th_st(&timeouts, 0);
	c_init(&a, B_SPIN_STOP, NULL);
	c_init(&b, B_NONE, &a);
	/* A per-CPU pair alongside, whose marking bounds the time the
	 * unbound item spins: by then it ran past the threshold too. */
	c_init(&p, B_SPIN_STOP, NULL);
	c_init(&q, B_NONE, &p);
	assert_true(bh_queue_work(wq, &a.work));
	assert_true(th_wait_ge(&a.started, 1));
	assert_true(bh_queue_work_on(1, pc, &p.work));
	assert_true(th_wait_ge(&p.started, 1));
	assert_true(bh_queue_work_on(1, pc, &q.work));
	bool ok = th_wait_ge(&q.finished, 1);
	bh_complete(&p.stop);
	bh_complete(&a.stop);
	assert_true(ok);
	assert_true(th_wait_ge(&a.finished, 1));
	assert_true(th_wait_ge(&p.finished, 1));
	assert_true(wait_completed(pc, 2));
	assert_true(wait_completed(wq, 1));
	assert_int_equal(stats_of(pc).cpu_intensive, 1);
	assert_int_equal(stats_of(wq).cpu_intensive, 0);
	assert_int_equal(th_ld(&timeouts), 0);
	bh_destroy_workqueue(wq);
	bh_destroy_workqueue(pc);
}

/* ---- F10, Q5: the highpri pools -------------------------------------- */

static long nice_of(unsigned long tid)
{
	errno = 0;
	int n = getpriority(PRIO_PROCESS, (id_t)tid);
	return errno ? 999 : n;
}

static unsigned long can_raise;
static void *try_raise(void *arg)
{
	(void)arg;
	th_st(&can_raise, setpriority(PRIO_PROCESS, 0, -20) == 0);
	return NULL;
}

/*
 * SPEC F10: highpri items run in kworker/N:MH, at nice -20 where the
 * process may raise priority; normal ones at the process's nice.
 */
static void test_f10_highpri_workers(void **state)
{
	(void)state;
	struct bh_workqueue *hi = bh_alloc_workqueue("f10h", BH_WQ_HIGHPRI, 0);
	struct bh_workqueue *norm = bh_alloc_workqueue("f10n", 0, 0);
	static struct citem h[2], n;
	pthread_t th;

	assert_non_null(hi);
	assert_non_null(norm);
	/* May this process raise a thread's priority? Ask a thread. */
	assert_int_equal(pthread_create(&th, NULL, try_raise, NULL), 0);
	assert_true(th_join(th));

	/* Held inside (B_COMPLETION, released at once) so the worker is
	 * alive when its nice is read. */
	static unsigned long queued = 1;
	for (int cpu = 0; cpu < 2; cpu++) {
		c_init(&h[cpu], B_COMPLETION, NULL);
		h[cpu].queued = &queued;
		assert_true(bh_queue_work_on(cpu, hi, &h[cpu].work));
		assert_true(th_wait_ge(&h[cpu].started, 1));
		long nice = nice_of(th_ld(&h[cpu].tid));
		bh_complete(&h[cpu].stop);
		assert_true(th_wait_ge(&h[cpu].finished, 1));

		int kcpu = -1, id = -1;
		char hchar = 0;
		assert_int_equal(sscanf(h[cpu].comm, "kworker/%d:%d%c", &kcpu,
					&id, &hchar),
				 3);
		assert_int_equal(kcpu, cpu);
		assert_int_equal(hchar, 'H');
		if (th_ld(&can_raise))
			assert_int_equal(nice, -20);
		else
			assert_true(nice == -20 || nice == nice_of(th_tid()));
	}
	c_init(&n, B_COMPLETION, NULL);
	n.queued = &queued;
	assert_true(bh_queue_work_on(1, norm, &n.work));
	assert_true(th_wait_ge(&n.started, 1));
	long nnice = nice_of(th_ld(&n.tid));
	bh_complete(&n.stop);
	assert_true(th_wait_ge(&n.finished, 1));
	assert_int_equal(nnice, nice_of(th_tid()));
	int kcpu = -1, id = -1;
	char c = 0;
	int got = sscanf(n.comm, "kworker/%d:%d%c", &kcpu, &id, &c);
	assert_true(got == 2 || (got == 3 && c != 'H'));
	assert_int_equal(kcpu, 1);
	bh_destroy_workqueue(hi);
	bh_destroy_workqueue(norm);
}

/*
 * SPEC F10, Q5: a CPU's normal and highpri pools do not interact: a
 * CPU-bound item in either does not hold back the other's items.
 */
static void test_q5_pools_independent(void **state)
{
	(void)state;
	struct bh_workqueue *hi = bh_alloc_workqueue("q5h", BH_WQ_HIGHPRI, 0);
	struct bh_workqueue *norm = bh_alloc_workqueue("q5n", 0, 0);
	static struct citem a, b;

	assert_non_null(hi);
	assert_non_null(norm);
	th_st(&timeouts, 0);
	for (int r = 0; r < 2; r++) {
		struct bh_workqueue *first = r ? hi : norm;
		struct bh_workqueue *second = r ? norm : hi;

		c_init(&a, B_SPIN_STOP, NULL);
		c_init(&b, B_NONE, &a);
		assert_true(bh_queue_work_on(0, first, &a.work));
		assert_true(th_wait_ge(&a.started, 1));
		assert_true(bh_queue_work_on(0, second, &b.work));
		bool ok = th_wait_ge(&b.finished, 1);
		bh_complete(&a.stop);
		assert_true(ok);
		assert_true(th_wait_ge(&a.finished, 1));
		assert_int_equal(th_ld(&b.saw_inside), 1);
	}
	bh_flush_workqueue(hi);
	bh_flush_workqueue(norm);
	assert_int_equal(stats_of(hi).cpu_intensive, 0);
	assert_int_equal(stats_of(norm).cpu_intensive, 0);
	assert_int_equal(th_ld(&timeouts), 0);
	bh_destroy_workqueue(hi);
	bh_destroy_workqueue(norm);
}

/* The P of a kworker/uP:M name, or -1. */
static int unbound_pool_of(const char *comm)
{
	int p = -1, id = -1;
	if (sscanf(comm, "kworker/u%d:%d", &p, &id) != 2)
		return -1;
	return p;
}

/* SPEC Q5: unbound workqueues with the same attributes share a pool. */
static void test_q5_unbound_pools_shared(void **state)
{
	(void)state;
	struct bh_workqueue *u1 = bh_alloc_workqueue("q5u1", BH_WQ_UNBOUND, 0);
	struct bh_workqueue *u2 = bh_alloc_workqueue("q5u2", BH_WQ_UNBOUND, 4);
	struct bh_workqueue *uh =
		bh_alloc_workqueue("q5uh", BH_WQ_UNBOUND | BH_WQ_HIGHPRI, 0);
	static struct citem x[3];
	struct bh_workqueue *wqs[3] = {u1, u2, uh};

	for (int i = 0; i < 3; i++) {
		assert_non_null(wqs[i]);
		c_init(&x[i], B_NONE, NULL);
		assert_true(bh_queue_work(wqs[i], &x[i].work));
		assert_true(th_wait_ge(&x[i].finished, 1));
	}
	int p1 = unbound_pool_of(x[0].comm), p2 = unbound_pool_of(x[1].comm);
	int ph = unbound_pool_of(x[2].comm);
	assert_true(p1 >= 0);
	assert_int_equal(p1, p2);
	assert_true(ph >= 0);
	assert_true(ph != p1);
	for (int i = 0; i < 3; i++)
		bh_destroy_workqueue(wqs[i]);
}

/* ---- the counters used above ----------------------------------------- */

/* SPEC F12 (counting), F18: started and completed per workqueue. */
static void test_stats_counts(void **state)
{
	(void)state;
	struct bh_workqueue *wq = bh_alloc_workqueue("stats", 0, 0);
	static struct citem it[8];
	struct bh_wq_stats st;

	assert_non_null(wq);
	st = stats_of(wq);
	assert_int_equal(st.started, 0);
	assert_int_equal(st.completed, 0);
	for (int i = 0; i < 8; i++) {
		c_init(&it[i], B_NONE, NULL);
		assert_true(bh_queue_work_on(i % 2, wq, &it[i].work));
	}
	for (int i = 0; i < 8; i++)
		assert_true(th_wait_ge(&it[i].finished, 1));
	assert_true(wait_completed(wq, 8));
	st = stats_of(wq);
	assert_int_equal(st.started, 8);
	assert_int_equal(st.completed, 8);
	assert_int_equal(st.nr_active, 0);
	assert_int_equal(st.nr_inactive, 0);
	assert_int_equal(st.cpu_intensive, 0);
	assert_int_equal(bh_workqueue_get_stats(NULL, &st), -EINVAL);
	bh_destroy_workqueue(wq);
}

#define TD(fn) cmocka_unit_test_setup_teardown(fn, setup_default, th_teardown)
#define TN(fn) cmocka_unit_test_setup_teardown(fn, setup_nohog, th_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TN(test_w12_cpu_bound_serialised),
		TN(test_w12_completion_sleep_lets_next_start),
		TN(test_w12_msleep_lets_next_start),
		TN(test_w12_mutex_sleep_lets_next_start),
		TN(test_f11_cpu_intensive_does_not_block),
		TN(test_f11_cpu_intensive_start_gated),
		TD(test_f12_auto_cpu_intensive),
		TN(test_f13_unbound_no_cm),
		TD(test_f13_unbound_never_marked),
		TN(test_f10_highpri_workers),
		TN(test_q5_pools_independent),
		TN(test_q5_unbound_pools_shared),
		TD(test_stats_counts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
