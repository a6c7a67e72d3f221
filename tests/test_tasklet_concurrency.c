/* SPDX-License-Identifier: MIT */
/*
 * Tasklets with real threads: the runtime in threaded mode with two bh CPUs
 * (ksoftirqd/0 and ksoftirqd/1 run the softirqs), producer threads that
 * schedule from both bh CPUs at once, and invariants checked with atomics.
 * Nothing waits on time: a wait is for a counter, bounded only so that a
 * bug fails the test instead of hanging it.
 *
 * Callbacks run on library threads, where a cmocka assertion cannot be
 * made: they record violations in counters that the test thread asserts.
 */
#include "harness.h"

#include <pthread.h>
#include <unistd.h>

/* Sized for 2 cores; TSan runs about ten times slower. */
#define NPROD	  4
#define NITER	  (TH_TSAN ? 10000ul : 100000ul)
#define NTASKLETS 3

static int setup_threaded(void **state)
{
	(void)state;
	th_init(2, false);
	return 0;
}

/* ---- T3, T9, T10: the stress ---------------------------------------- */

struct stobj {
	struct bh_tasklet t;
	unsigned long seq;	/* bumped by producers before each schedule */
	unsigned long max_seen; /* highest seq a run started after */
	unsigned long runs;
	unsigned long inside; /* T9: never 2 */
};

static struct stobj sobj[NTASKLETS];
static unsigned long self_overlap;    /* T9 violations */
static unsigned long cpu_overlap;     /* T10 (same CPU) violations */
static unsigned long cpu_inside[2];   /* per bh CPU: a callback is running */
static unsigned long bad_cpu;	      /* bh_smp_processor_id() out of range */
static unsigned long sched_errors;    /* schedule returned < 0 */
static unsigned long first_schedules; /* schedule returned 1 */
static unsigned long lost;	      /* a waited-for run never came */

static void stress_cb(struct bh_tasklet *t)
{
	struct stobj *o = bh_from_tasklet(o, t, t);
	int cpu = bh_smp_processor_id();

	if (__atomic_exchange_n(&o->inside, 1, __ATOMIC_SEQ_CST) != 0)
		th_inc(&self_overlap);
	if (cpu < 0 || cpu > 1) {
		th_inc(&bad_cpu);
		cpu = 0;
	} else if (__atomic_exchange_n(&cpu_inside[cpu], 1, __ATOMIC_SEQ_CST) !=
		   0) {
		th_inc(&cpu_overlap);
	}
	/*
	 * SCHED was cleared before this call (a fully ordered RMW), so this
	 * load sees every increment made before a schedule that found SCHED
	 * set and coalesced into this run (SPEC T3).
	 */
	th_atomic_max(&o->max_seen, th_ld(&o->seq));
	th_inc(&o->runs);
	/* A little work, to widen the window an overlap would show in. */
	for (volatile int i = 0; i < 500; i++)
		;
	__atomic_store_n(&cpu_inside[cpu], 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&o->inside, 0, __ATOMIC_SEQ_CST);
}

static void *producer(void *arg)
{
	long id = (long)arg;

	bh_thread_set_cpu((int)(id % 2));
	for (unsigned long i = 0; i < NITER; i++) {
		struct stobj *o = &sobj[(i + (unsigned long)id) % NTASKLETS];
		int r;

		unsigned long s =
			__atomic_add_fetch(&o->seq, 1, __ATOMIC_SEQ_CST);

		r = (i & 7) == 7 ? bh_tasklet_hi_schedule(&o->t)
				 : bh_tasklet_schedule(&o->t);
		if (r < 0)
			th_inc(&sched_errors);
		else if (r == 1)
			th_inc(&first_schedules);
		/*
		 * Now and then wait for the run this schedule guarantees
		 * (T3, per event). Without it nearly every schedule would
		 * coalesce and the tasklets would hardly run.
		 */
		if ((i & 15) == 0 && !th_wait_ge(&o->max_seen, s))
			th_inc(&lost);
	}
	bh_thread_set_cpu(-1);
	return NULL;
}

/*
 * SPEC T3: after schedule returns, a run starts after the call: once the
 * producers stop, every tasklet is seen to run after its last increment.
 * SPEC T9: a tasklet never runs concurrently with itself, although it is
 * scheduled from both bh CPUs (so one CPU dequeues it while the other runs
 * it). SPEC T10: on one bh CPU, tasklets run one at a time.
 */
static void test_t3_t9_t10_stress(void **state)
{
	(void)state;
	pthread_t th[NPROD];
	unsigned long total = 0;

	memset(sobj, 0, sizeof(sobj));
	for (int i = 0; i < NTASKLETS; i++)
		bh_tasklet_setup(&sobj[i].t, stress_cb);
	self_overlap = cpu_overlap = bad_cpu = 0;
	sched_errors = first_schedules = lost = 0;

	for (long i = 0; i < NPROD; i++)
		assert_int_equal(
			pthread_create(&th[i], NULL, producer, (void *)i), 0);
	for (int i = 0; i < NPROD; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);

	for (int i = 0; i < NTASKLETS; i++) {
		unsigned long final = th_ld(&sobj[i].seq);

		assert_true(th_wait_ge(&sobj[i].max_seen, final));
		total += th_ld(&sobj[i].runs);
	}
	print_message("stress: %lu schedules, %lu first, %lu runs\n",
		      NPROD * NITER, th_ld(&first_schedules), total);
	assert_int_equal(th_ld(&sched_errors), 0);
	assert_int_equal(th_ld(&lost), 0);
	assert_int_equal(th_ld(&self_overlap), 0);
	assert_int_equal(th_ld(&cpu_overlap), 0);
	assert_int_equal(th_ld(&bad_cpu), 0);
	/* T2: every run is paid for by exactly one first schedule. */
	assert_true(total >= NTASKLETS);
	/* Runs that are still to happen have been scheduled already. */
	assert_true(total <= th_ld(&first_schedules));
}

/* ---- T10: different tasklets in parallel on different CPUs ----------- */

static unsigned long par_in[2], par_saw[2], par_timeout;

static void par_cb(struct bh_tasklet *t)
{
	int me = (int)t->data;

	th_st(&par_in[me], 1);
	/* Both must be inside at once: each waits to see the other. */
	if (th_wait_ge(&par_in[!me], 1))
		th_st(&par_saw[me], 1);
	else
		th_inc(&par_timeout);
}

/* SPEC T10: different tasklets may run at the same time on different CPUs */
static void test_t10_parallel_on_two_cpus(void **state)
{
	(void)state;
	static struct bh_tasklet a, b;

	memset(par_in, 0, sizeof(par_in));
	memset(par_saw, 0, sizeof(par_saw));
	par_timeout = 0;
	/* setup zeroes data; par_cb reads it as "which one am I". */
	bh_tasklet_setup(&a, par_cb);
	bh_tasklet_setup(&b, par_cb);
	a.data = 0;
	b.data = 1;

	assert_int_equal(bh_thread_set_cpu(0), 0);
	assert_int_equal(bh_tasklet_schedule(&a), 1);
	assert_int_equal(bh_thread_set_cpu(1), 0);
	assert_int_equal(bh_tasklet_schedule(&b), 1);
	assert_int_equal(bh_thread_set_cpu(-1), 0);

	assert_true(th_wait_ge(&par_saw[0], 1));
	assert_true(th_wait_ge(&par_saw[1], 1));
	assert_int_equal(th_ld(&par_timeout), 0);
}

/* ---- T4 and U5: where a tasklet runs --------------------------------- */

struct where {
	struct bh_tasklet t;
	unsigned long done;
	int bh_cpu;   /* bh_smp_processor_id() in the callback */
	int real_cpu; /* sched_getcpu() in the callback */
	char thread[16];
};

static void where_cb(struct bh_tasklet *t)
{
	struct where *w = bh_from_tasklet(w, t, t);

	w->bh_cpu = bh_smp_processor_id();
	w->real_cpu = sched_getcpu();
	pthread_getname_np(pthread_self(), w->thread, sizeof(w->thread));
	th_st(&w->done, 1);
}

/*
 * SPEC T4: scheduled from bh CPU 1, the tasklet runs on bh CPU 1, in its
 * softirq thread ksoftirqd/1 (SPEC S11: a schedule from task context wakes
 * the thread rather than running the tasklet in the caller).
 */
static void test_t4_runs_in_ksoftirqd_of_cpu(void **state)
{
	(void)state;
	static struct where w[2];

	for (int c = 0; c < 2; c++) {
		char want[16];

		memset(&w[c], 0, sizeof(w[c]));
		bh_tasklet_setup(&w[c].t, where_cb);
		assert_int_equal(bh_thread_set_cpu(c), 0);
		assert_int_equal(bh_tasklet_schedule(&w[c].t), 1);
		assert_true(th_wait_ge(&w[c].done, 1));
		assert_int_equal(w[c].bh_cpu, c);
		snprintf(want, sizeof(want), "ksoftirqd/%d", c);
		assert_string_equal(w[c].thread, want);
	}
	assert_int_equal(bh_thread_set_cpu(-1), 0);
}

struct u5_arg {
	int cpu;
	struct where *w;
	int ret;
	int ran_on;
};

static void *u5_thread(void *p)
{
	struct u5_arg *a = p;

	a->ran_on = sched_getcpu();
	a->ret = bh_tasklet_schedule(&a->w->t);
	return NULL;
}

/* True if real CPUs 0 and 1 are both available to this process. */
static bool have_cpus_0_1(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return false;
	return CPU_ISSET(0, &set) && CPU_ISSET(1, &set);
}

static void u5_check(bool pinned)
{
	static struct where w[2];

	for (int c = 0; c < 2; c++) {
		pthread_attr_t attr;
		cpu_set_t set;
		pthread_t th;
		struct u5_arg a = {.cpu = c, .w = &w[c]};

		memset(&w[c], 0, sizeof(w[c]));
		bh_tasklet_setup(&w[c].t, where_cb);
		CPU_ZERO(&set);
		CPU_SET(c, &set);
		assert_int_equal(pthread_attr_init(&attr), 0);
		assert_int_equal(
			pthread_attr_setaffinity_np(&attr, sizeof(set), &set),
			0);
		assert_int_equal(pthread_create(&th, &attr, u5_thread, &a), 0);
		assert_int_equal(pthread_join(th, NULL), 0);
		pthread_attr_destroy(&attr);
		assert_int_equal(a.ran_on, c);
		assert_int_equal(a.ret, 1);
		assert_true(th_wait_ge(&w[c].done, 1));
		assert_int_equal(w[c].bh_cpu, c);
		if (pinned)
			assert_int_equal(w[c].real_cpu, c);
	}
}

/* SPEC U5: scheduled from a thread on CPU c, it runs in bh CPU c. */
static void test_u5_cpu_affinity(void **state)
{
	(void)state;

	if (!have_cpus_0_1() || sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		skip();
		return;
	}
	u5_check(false);
}

/* SPEC U5: with pin_threads, ksoftirqd/c runs on CPU c itself. */
static void test_u5_pinned_threads(void **state)
{
	(void)state;
	struct bh_config cfg;

	if (!have_cpus_0_1() || sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		skip();
		return;
	}
	th_log_clear();
	th_config(&cfg, 2, false);
	cfg.pin_threads = true;
	assert_int_equal(bh_init(&cfg), 0);
	u5_check(true);
	th_shutdown();
}

#define TT(fn)                                                                 \
	cmocka_unit_test_setup_teardown(fn, setup_threaded,                    \
					th_teardown_shutdown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TT(test_t3_t9_t10_stress),
		TT(test_t10_parallel_on_two_cpus),
		TT(test_t4_runs_in_ksoftirqd_of_cpu),
		TT(test_u5_cpu_affinity),
		cmocka_unit_test(test_u5_pinned_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
