/* SPDX-License-Identifier: MIT */
/*
 * Non-reentrancy and placement with real threads on two bh CPUs: one item
 * re-queued by many threads from both CPUs, with queue_work and with
 * queue_work_on either CPU, never runs twice at once (W6) and loses no
 * event (W5); a running item re-queued elsewhere follows its running
 * instance (W7); a different workqueue is not covered (W8); placement by
 * the caller's CPU (Q1) and by an explicit CPU (Q2).
 *
 * Callbacks record violations in counters that the test thread asserts.
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

static void wait_gate(struct bh_completion *gate)
{
	if (bh_wait_for_completion_timeout(gate, 10ul * bh_hz()) == 0)
		th_inc(&gate_timeouts);
}

static void comm_of(unsigned long tid, char *buf, size_t len)
{
	if (!th_task_file(tid, "comm", buf, len)) {
		buf[0] = '\0';
		return;
	}
	buf[strcspn(buf, "\n")] = '\0';
}

/* ---- W6, W5: the stress ------------------------------------------------ */

/* Sized for 2 cores; TSan runs about ten times slower. */
#define NPROD  4
#define NITER  (TH_TSAN ? 20000ul : 200000ul)
#define NITEMS 3

struct sitem {
	struct bh_work work;
	unsigned long seq[NPROD];      /* producer i's last store */
	unsigned long max_seen[NPROD]; /* highest a run started after */
	unsigned long runs;
	unsigned long inside; /* W6: never 2 */
};

static struct bh_workqueue *s_wq;
static struct sitem sitems[NITEMS];
static unsigned long s_overlaps;
static unsigned long s_bad_cpu;
static unsigned long s_queue_true;

static void s_fn(struct bh_work *w)
{
	struct sitem *it = bh_from_work(it, w, work);
	int cpu = bh_smp_processor_id();

	if (__atomic_exchange_n(&it->inside, 1, __ATOMIC_SEQ_CST) != 0)
		th_inc(&s_overlaps);
	if (cpu < 0 || cpu > 1)
		th_inc(&s_bad_cpu);
	/*
	 * PENDING was cleared before this call, so these loads see every
	 * store made before a queue_work that found the item pending and
	 * coalesced into this run (W5).
	 */
	for (int i = 0; i < NPROD; i++)
		th_atomic_max(&it->max_seen[i], th_ld(&it->seq[i]));
	unsigned long n = __atomic_add_fetch(&it->runs, 1, __ATOMIC_ACQ_REL);
	/*
	 * Now and then sleep in the library, so that concurrency management
	 * lets another worker of this pool start: it must not pick up this
	 * item's next instance while this one runs.
	 */
	if (n % 64 == 0)
		bh_msleep(1);
	else
		for (volatile int i = 0; i < 200; i++)
			;
	__atomic_store_n(&it->inside, 0, __ATOMIC_SEQ_CST);
}

static void *s_producer(void *arg)
{
	long id = (long)arg;
	unsigned long trues = 0;

	bh_thread_set_cpu((int)(id % 2));
	for (unsigned long k = 1; k <= NITER; k++) {
		struct sitem *it = &sitems[(k + (unsigned long)id) % NITEMS];
		bool q;

		th_st(&it->seq[id], k);
		/* Both CPUs explicitly, and the caller's own CPU. */
		switch (k % 3) {
		case 0:
			q = bh_queue_work(s_wq, &it->work);
			break;
		case 1:
			q = bh_queue_work_on(0, s_wq, &it->work);
			break;
		default:
			q = bh_queue_work_on(1, s_wq, &it->work);
			break;
		}
		trues += q;
	}
	__atomic_fetch_add(&s_queue_true, trues, __ATOMIC_RELAXED);
	return NULL;
}

static void run_stress(unsigned int flags)
{
	pthread_t th[NPROD];

	s_wq = bh_alloc_workqueue("reent", flags, 0);
	assert_non_null(s_wq);
	memset(sitems, 0, sizeof(sitems));
	th_st(&s_overlaps, 0);
	th_st(&s_bad_cpu, 0);
	th_st(&s_queue_true, 0);
	for (int i = 0; i < NITEMS; i++)
		bh_work_init(&sitems[i].work, s_fn);
	for (long i = 0; i < NPROD; i++)
		assert_int_equal(
			pthread_create(&th[i], NULL, s_producer, (void *)i), 0);
	for (long i = 0; i < NPROD; i++)
		assert_true(th_join(th[i]));
	/*
	 * W5: each producer's last store to each item is seen by a run of
	 * that item that began after it. The producers store k before
	 * queueing; the last k each used on item j is at least NITER-NITEMS.
	 */
	for (int j = 0; j < NITEMS; j++)
		for (int i = 0; i < NPROD; i++)
			assert_true(th_wait_ge(&sitems[j].max_seen[i],
					       th_ld(&sitems[j].seq[i])));
	bh_flush_workqueue(s_wq);
	unsigned long runs = 0;
	for (int j = 0; j < NITEMS; j++)
		runs += th_ld(&sitems[j].runs);
	/* Every true return gave one run; a false one gave none of its own. */
	assert_int_equal(runs, th_ld(&s_queue_true));
	assert_int_equal(th_ld(&s_overlaps), 0);
	assert_int_equal(th_ld(&s_bad_cpu), 0);
	bh_destroy_workqueue(s_wq);
}

/* SPEC W6, W5, W7: per-CPU workqueue, queued from both CPUs. */
static void test_w6_nonreentrant_percpu(void **state)
{
	(void)state;
	run_stress(0);
}

/* SPEC W6, W5: the highpri pools. */
static void test_w6_nonreentrant_highpri(void **state)
{
	(void)state;
	run_stress(BH_WQ_HIGHPRI);
}

/* SPEC W6, W5: unbound (no concurrency management, many workers). */
static void test_w6_nonreentrant_unbound(void **state)
{
	(void)state;
	run_stress(BH_WQ_UNBOUND);
}

/* ---- W7, Q1, Q2 ----------------------------------------------------- */

#define PMAX 8

struct pitem {
	struct bh_work work;
	unsigned long gate_run; /* this run (1-based) waits on the gate */
	struct bh_completion gate;
	unsigned long started, done;
	unsigned long cpu[PMAX];    /* bh CPU of each run */
	unsigned long kw_cpu[PMAX]; /* N of the kworker/N:M that ran it */
	unsigned long inside, overlaps;
};

static void p_fn(struct bh_work *w)
{
	struct pitem *p = bh_from_work(p, w, work);
	char comm[32];

	if (__atomic_exchange_n(&p->inside, 1, __ATOMIC_SEQ_CST) != 0)
		th_inc(&p->overlaps);
	unsigned long run = __atomic_load_n(&p->started, __ATOMIC_ACQUIRE);
	comm_of(th_tid(), comm, sizeof(comm));
	if (run < PMAX) {
		th_st(&p->cpu[run], (unsigned long)bh_smp_processor_id());
		th_st(&p->kw_cpu[run], strncmp(comm, "kworker/", 8) == 0
					       ? strtoul(comm + 8, NULL, 10)
					       : 999);
	}
	th_inc(&p->started);
	if (run + 1 == th_ld(&p->gate_run))
		wait_gate(&p->gate);
	__atomic_store_n(&p->inside, 0, __ATOMIC_SEQ_CST);
	th_inc(&p->done);
}

static void p_init(struct pitem *p)
{
	memset(p, 0, sizeof(*p));
	bh_work_init(&p->work, p_fn);
	bh_init_completion(&p->gate);
}

/* Run `run` (0-based) ran on bh CPU `cpu`, in a kworker of that CPU. */
static void assert_ran_on(struct pitem *p, unsigned long run, int cpu)
{
	assert_true(th_wait_ge(&p->done, run + 1));
	assert_int_equal(th_ld(&p->cpu[run]), (unsigned long)cpu);
	assert_int_equal(th_ld(&p->kw_cpu[run]), (unsigned long)cpu);
}

/* SPEC Q1, Q2: the caller's CPU, or the one named. */
static void test_q1_q2_placement(void **state)
{
	(void)state;
	struct bh_workqueue *wq = bh_alloc_workqueue("q12", 0, 0);
	static struct pitem p;
	unsigned long run = 0;

	assert_non_null(wq);
	p_init(&p);
	for (int cpu = 0; cpu < 2; cpu++) {
		/* Q1: queue_work goes to the caller's CPU. */
		assert_int_equal(bh_thread_set_cpu(cpu), 0);
		assert_true(bh_queue_work(wq, &p.work));
		assert_ran_on(&p, run++, cpu);
		bh_flush_workqueue(wq);
		/* BH_WORK_CPU_UNBOUND means the caller's CPU as well. */
		assert_true(bh_queue_work_on(BH_WORK_CPU_UNBOUND, wq, &p.work));
		assert_ran_on(&p, run++, cpu);
		bh_flush_workqueue(wq);
		/* Q2: queue_work_on names the CPU, whatever the caller's. */
		for (int to = 0; to < 2; to++) {
			assert_true(bh_queue_work_on(to, wq, &p.work));
			assert_ran_on(&p, run++, to);
			bh_flush_workqueue(wq);
		}
	}
	assert_int_equal(run, 8);
	assert_int_equal(th_ld(&p.overlaps), 0);
	bh_destroy_workqueue(wq);
}

/*
 * SPEC W7, Q1: an item running on CPU 0, re-queued from CPU 1 (by
 * queue_work, then by queue_work_on(1)), runs its next instance on CPU 0
 * after the current one returns.
 */
static void test_w7_requeue_follows_running_instance(void **state)
{
	(void)state;
	struct bh_workqueue *wq = bh_alloc_workqueue("w7", 0, 0);
	static struct pitem p;

	assert_non_null(wq);
	th_st(&gate_timeouts, 0);
	p_init(&p);
	for (int round = 0; round < 2; round++) {
		unsigned long base = th_ld(&p.started);

		th_st(&p.gate_run, base + 1);
		assert_int_equal(bh_thread_set_cpu(0), 0);
		assert_true(bh_queue_work(wq, &p.work));
		assert_true(th_wait_ge(&p.started, base + 1));
		/* Running on CPU 0, asleep on its gate: re-queue from CPU 1. */
		assert_int_equal(bh_thread_set_cpu(1), 0);
		if (round == 0)
			assert_true(bh_queue_work(wq, &p.work));
		else
			assert_true(bh_queue_work_on(1, wq, &p.work));
		assert_int_equal(th_ld(&p.started), base + 1);
		bh_complete(&p.gate);
		assert_true(th_wait_ge(&p.done, base + 2));
		bh_flush_workqueue(wq);
		assert_int_equal(th_ld(&p.cpu[base]), 0);
		assert_int_equal(th_ld(&p.cpu[base + 1]), 0);
		assert_int_equal(th_ld(&p.kw_cpu[base + 1]), 0);
	}
	/* Idle again: queue_work from CPU 1 now goes to CPU 1 (Q1). */
	unsigned long base = th_ld(&p.started);
	assert_true(bh_queue_work(wq, &p.work));
	assert_ran_on(&p, base, 1);
	bh_flush_workqueue(wq);
	assert_int_equal(th_ld(&p.overlaps), 0);
	assert_int_equal(th_ld(&gate_timeouts), 0);
	bh_destroy_workqueue(wq);
}

/*
 * SPEC W8: the same item queued on another workqueue while it runs is a
 * new instance that W6 does not cover. In the kernel the two executions
 * overlap when the workqueues use different pools (here per-CPU and
 * unbound): nothing serialises them.
 */
static void test_w8_other_workqueue_may_overlap(void **state)
{
	(void)state;
	struct bh_workqueue *a = bh_alloc_workqueue("w8a", 0, 0);
	struct bh_workqueue *b = bh_alloc_workqueue("w8b", BH_WQ_UNBOUND, 0);
	static struct pitem p;

	assert_non_null(a);
	assert_non_null(b);
	th_st(&gate_timeouts, 0);
	p_init(&p);
	th_st(&p.gate_run, 1);
	assert_true(bh_queue_work_on(0, a, &p.work));
	assert_true(th_wait_ge(&p.started, 1));
	/* Not pending: queueing on b succeeds... */
	assert_true(bh_queue_work(b, &p.work));
	/* ...and that instance runs to its end while the first still runs. */
	assert_true(th_wait_ge(&p.done, 1));
	assert_int_equal(th_ld(&p.started), 2);
	assert_int_equal(th_ld(&p.overlaps), 1);
	bh_complete(&p.gate);
	assert_true(th_wait_ge(&p.done, 2));
	bh_flush_workqueue(a);
	bh_flush_workqueue(b);
	assert_int_equal(th_ld(&gate_timeouts), 0);
	bh_destroy_workqueue(a);
	bh_destroy_workqueue(b);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_threaded, th_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_w6_nonreentrant_percpu),
		T(test_w6_nonreentrant_highpri),
		T(test_w6_nonreentrant_unbound),
		T(test_q1_q2_placement),
		T(test_w7_requeue_follows_running_instance),
		T(test_w8_other_workqueue_may_overlap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
