/* SPDX-License-Identifier: MIT */
/*
 * Tasklet state machine, in deterministic mode: no library thread runs, the
 * test thread picks the bh CPU it acts on with bh_thread_set_cpu() and makes
 * a bh CPU's softirqs run with bh_run_softirqs(), so every ordering below is
 * exact and nothing depends on the scheduler.
 *
 * Every callback appends to one event log (tasklet ids, and 100 + nr for the
 * application softirq vectors used as pass markers) and records where and in
 * which context it ran.
 *
 * SPEC T27 (2.6.11 pushed tasklets at the head of the list, so lists ran
 * LIFO) is deliberately not pinned: it is historical behaviour that the
 * modern kernel and this library replaced by FIFO with a tail pointer, which
 * T5 pins instead.
 */
#include "harness.h"

#define MAX_EVENTS 256
#define NOBJS	   8
#define MARK(nr)   (100 + (nr))

struct tobj {
	struct bh_tasklet t;
	int id;
	unsigned int runs;
	int cpu;
	/* context seen by the last run */
	bool serving, softirq, interrupt, task, hardirq, irqs_off;
	unsigned int preempt;
	bool sched_in, running_in, run_bit_in, might_sleep_ok;
	/* T8: self-rescheduling */
	unsigned int resched_until;
	int resched_ret[8];
	bool sched_after_resched[8];
	/* T10: a tasklet that must not be running while this one is */
	struct tobj *other;
	bool other_running;
};

static struct tobj objs[NOBJS];
static int events[MAX_EVENTS];
static unsigned int nevents;
static int depth, max_depth;
static int chain_sched_ret, chain_raise_ret;
static unsigned long old_data_seen[NOBJS];

/*
 * Callbacks never assert: a failure would longjmp out of the library with
 * a softirq half run. They record, and the test asserts afterwards.
 */
static void record(int ev)
{
	if (nevents < MAX_EVENTS)
		events[nevents] = ev;
	nevents++;
}

static void expect_events(const int *want, unsigned int n)
{
	assert_int_equal(nevents, n);
	for (unsigned int i = 0; i < n; i++)
		assert_int_equal(events[i], want[i]);
}

static void rec_cb(struct bh_tasklet *t)
{
	struct tobj *o = bh_from_tasklet(o, t, t);
	int d = ++depth;

	if (d > max_depth)
		max_depth = d;
	o->runs++;
	o->cpu = bh_smp_processor_id();
	o->serving = bh_in_serving_softirq();
	o->softirq = bh_in_softirq();
	o->interrupt = bh_in_interrupt();
	o->task = bh_in_task();
	o->hardirq = bh_in_hardirq();
	o->irqs_off = bh_irqs_disabled();
	o->preempt = bh_preempt_count();
	o->sched_in = bh_tasklet_is_scheduled(t);
	o->running_in = bh_tasklet_is_running(t);
	o->run_bit_in = __atomic_load_n(&t->state, __ATOMIC_RELAXED) &
			(1ul << BH_TASKLET_STATE_RUN);
	if (o->other)
		o->other_running = bh_tasklet_is_running(&o->other->t);
	record(o->id);
	if (o->runs <= o->resched_until && o->runs <= 8) {
		o->resched_ret[o->runs - 1] = bh_tasklet_schedule(t);
		o->sched_after_resched[o->runs - 1] =
			bh_tasklet_is_scheduled(t);
	}
	depth--;
}

/* Calls might_sleep(), which must complain in a tasklet (SPEC T25). */
static void sleepy_cb(struct bh_tasklet *t)
{
	struct tobj *o = bh_from_tasklet(o, t, t);

	o->might_sleep_ok = bh_might_sleep();
	rec_cb(t);
}

/* Schedules objs[id + 1] from inside its callback (SPEC T7). */
static void chain_cb(struct bh_tasklet *t)
{
	struct tobj *o = bh_from_tasklet(o, t, t);

	rec_cb(t);
	chain_sched_ret = bh_tasklet_schedule(&objs[o->id + 1].t);
	chain_raise_ret = bh_raise_softirq(BH_NET_RX_SOFTIRQ);
}

static void old_func(unsigned long data)
{
	record((int)(1000 + data));
	old_data_seen[data % NOBJS] = data;
}

static void net_tx_action(void)
{
	record(MARK(BH_NET_TX_SOFTIRQ));
}
static void net_rx_action(void)
{
	record(MARK(BH_NET_RX_SOFTIRQ));
}
static void block_action(void)
{
	record(MARK(BH_BLOCK_SOFTIRQ));
}
static void irq_poll_action(void)
{
	record(MARK(BH_IRQ_POLL_SOFTIRQ));
}

static struct tobj *mk(int id, void (*cb)(struct bh_tasklet *))
{
	struct tobj *o = &objs[id];

	memset(o, 0, sizeof(*o));
	bh_tasklet_setup(&o->t, cb);
	o->id = id;
	o->cpu = -1;
	return o;
}

static bool sched_bit(const struct bh_tasklet *t)
{
	return __atomic_load_n(&t->state, __ATOMIC_RELAXED) &
	       (1ul << BH_TASKLET_STATE_SCHED);
}

static unsigned int count_substr(const char *hay, const char *needle)
{
	unsigned int n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static int setup_det(void **state)
{
	(void)state;
	memset(objs, 0, sizeof(objs));
	memset(old_data_seen, 0, sizeof(old_data_seen));
	nevents = 0;
	depth = max_depth = 0;
	chain_sched_ret = chain_raise_ret = -1;
	th_init_cpu0(2, true);
	return 0;
}

/* SPEC T1: schedule sets SCHED, appends to this CPU's list, raises. */
static void test_t1_schedule_sets_sched_and_raises(void **state)
{
	(void)state;
	struct tobj *a = mk(1, rec_cb), *b = mk(2, rec_cb);

	assert_int_equal(bh_thread_set_cpu(1), 0);
	assert_int_equal(bh_softirq_pending(1), 0);
	assert_false(bh_tasklet_is_scheduled(&a->t));

	assert_int_equal(bh_tasklet_schedule(&a->t), 1);
	assert_true(bh_tasklet_is_scheduled(&a->t));
	assert_true(sched_bit(&a->t)); /* bit 0, as the kernel's */
	assert_false(bh_tasklet_is_running(&a->t));
	assert_int_equal(bh_softirq_pending(1), 1u << BH_TASKLET_SOFTIRQ);
	/* Only the calling CPU: nothing on CPU 0. */
	assert_int_equal(bh_softirq_pending(0), 0);

	assert_int_equal(bh_tasklet_schedule(&b->t), 1);
	assert_int_equal(bh_run_softirqs(0), 0);
	assert_int_equal(nevents, 0);

	/* One TASKLET_SOFTIRQ invocation runs the list: a, then b (tail). */
	assert_int_equal(bh_run_softirqs(1), 1);
	expect_events((int[]){1, 2}, 2);
	assert_int_equal(a->cpu, 1);
	assert_int_equal(b->cpu, 1);
	assert_false(bh_tasklet_is_scheduled(&a->t));
	assert_false(bh_tasklet_is_scheduled(&b->t));
	assert_int_equal(bh_softirq_pending(1), 0);
}

/* SPEC T1: hi_schedule does the same with the HI list and HI_SOFTIRQ. */
static void test_t1_hi_schedule_raises_hi(void **state)
{
	(void)state;
	struct tobj *a = mk(1, rec_cb), *b = mk(2, rec_cb);
	unsigned long long hi0 = bh_softirq_count(1, BH_HI_SOFTIRQ);
	unsigned long long ts0 = bh_softirq_count(1, BH_TASKLET_SOFTIRQ);

	assert_int_equal(bh_thread_set_cpu(1), 0);
	assert_int_equal(bh_tasklet_hi_schedule(&a->t), 1);
	assert_int_equal(bh_tasklet_hi_schedule(&b->t), 1);
	assert_true(bh_tasklet_is_scheduled(&a->t));
	assert_true(sched_bit(&a->t));
	assert_int_equal(bh_softirq_pending(1), 1u << BH_HI_SOFTIRQ);
	assert_int_equal(bh_softirq_pending(0), 0);

	assert_int_equal(bh_run_softirqs(1), 1);
	expect_events((int[]){1, 2}, 2);
	assert_int_equal(a->cpu, 1);
	assert_int_equal(bh_softirq_count(1, BH_HI_SOFTIRQ), hi0 + 1);
	assert_int_equal(bh_softirq_count(1, BH_TASKLET_SOFTIRQ), ts0);
	assert_false(bh_tasklet_is_scheduled(&a->t));
}

/* SPEC T2: scheduling a scheduled tasklet does nothing; N schedules, 1 run. */
static void test_t2_coalesce(void **state)
{
	(void)state;
	struct tobj *a = mk(1, rec_cb);

	assert_int_equal(bh_tasklet_schedule(&a->t), 1);
	for (int i = 0; i < 9; i++)
		assert_int_equal(bh_tasklet_schedule(&a->t), 0);
	/* A HI schedule of a scheduled tasklet does nothing either. */
	assert_int_equal(bh_tasklet_hi_schedule(&a->t), 0);
	assert_int_equal(bh_softirq_pending(0), 1u << BH_TASKLET_SOFTIRQ);

	assert_int_equal(bh_run_softirqs(0), 1);
	assert_int_equal(a->runs, 1);
	assert_int_equal(bh_run_all(0), 0);
	assert_int_equal(a->runs, 1);

	/* After the run the next schedule is a first one again. */
	assert_int_equal(bh_tasklet_schedule(&a->t), 1);
	assert_int_equal(bh_run_softirqs(0), 1);
	assert_int_equal(a->runs, 2);
}

/* SPEC T3: a schedule that coalesces still gets a run after the call. */
static void test_t3_coalesced_schedule_still_runs(void **state)
{
	(void)state;
	struct tobj *a = mk(1, rec_cb);

	assert_int_equal(bh_tasklet_schedule(&a->t), 1);
	assert_int_equal(bh_tasklet_schedule(&a->t), 0);
	assert_int_equal(a->runs, 0);
	assert_int_equal(bh_run_softirqs(0), 1);
	assert_int_equal(a->runs, 1);
	/* The threaded proof is in test_tasklet_concurrency.c. */
}

/* SPEC T4: a tasklet runs on the CPU that scheduled it. */
static void test_t4_runs_on_scheduling_cpu(void **state)
{
	(void)state;
	struct tobj *a = mk(1, rec_cb), *b = mk(2, rec_cb);

	assert_int_equal(bh_thread_set_cpu(1), 0);
	assert_int_equal(bh_tasklet_schedule(&a->t), 1);
	assert_int_equal(bh_thread_set_cpu(0), 0);
	assert_int_equal(bh_tasklet_hi_schedule(&b->t), 1);

	assert_int_equal(bh_softirq_pending(1), 1u << BH_TASKLET_SOFTIRQ);
	assert_int_equal(bh_softirq_pending(0), 1u << BH_HI_SOFTIRQ);
	assert_int_equal(bh_run_softirqs(0), 1);
	expect_events((int[]){2}, 1);
	assert_int_equal(b->cpu, 0);
	assert_int_equal(a->runs, 0);
	assert_true(bh_tasklet_is_scheduled(&a->t));

	assert_int_equal(bh_run_softirqs(1), 1);
	expect_events((int[]){2, 1}, 2);
	assert_int_equal(a->cpu, 1);
}

/* SPEC T5: FIFO per list; separate HI and normal lists, per CPU. */
static void test_t5_fifo_separate_lists(void **state)
{
	(void)state;
	int order[] = {3, 1, 5, 2, 4};

	for (int i = 1; i <= 5; i++)
		mk(i, rec_cb);
	for (unsigned int i = 0; i < 5; i++)
		assert_int_equal(bh_tasklet_schedule(&objs[order[i]].t), 1);
	assert_int_equal(bh_run_softirqs(0), 1);
	expect_events(order, 5);

	/* Interleaved HI and normal schedules: each list keeps its order. */
	nevents = 0;
	assert_int_equal(bh_tasklet_schedule(&objs[1].t), 1);
	assert_int_equal(bh_tasklet_hi_schedule(&objs[2].t), 1);
	assert_int_equal(bh_tasklet_schedule(&objs[3].t), 1);
	assert_int_equal(bh_tasklet_hi_schedule(&objs[4].t), 1);
	assert_int_equal(bh_tasklet_schedule(&objs[5].t), 1);
	assert_int_equal(bh_run_softirqs(0), 2);
	expect_events((int[]){2, 4, 1, 3, 5}, 5);

	/* Each CPU has its own lists. */
	nevents = 0;
	assert_int_equal(bh_tasklet_schedule(&objs[1].t), 1);
	assert_int_equal(bh_thread_set_cpu(1), 0);
	assert_int_equal(bh_tasklet_schedule(&objs[2].t), 1);
	assert_int_equal(bh_thread_set_cpu(0), 0);
	assert_int_equal(bh_tasklet_schedule(&objs[3].t), 1);
	assert_int_equal(bh_run_softirqs(1), 1);
	expect_events((int[]){2}, 1);
	assert_int_equal(bh_run_softirqs(0), 1);
	expect_events((int[]){2, 1, 3}, 3);
}

/*
 * SPEC T6: in one pass HI (vector 0) runs before NET_TX, NET_RX, BLOCK,
 * IRQ_POLL and the normal list (vector 6). TIMER (1) belongs to the
 * library and cannot be opened here; its place is S5's business.
 */
static void test_t6_hi_before_normal(void **state)
{
	(void)state;
	struct tobj *n = mk(1, rec_cb), *h = mk(2, rec_cb);
	unsigned long long hi0 = bh_softirq_count(0, BH_HI_SOFTIRQ);
	unsigned long long ts0 = bh_softirq_count(0, BH_TASKLET_SOFTIRQ);

	assert_int_equal(bh_open_softirq(BH_NET_TX_SOFTIRQ, net_tx_action), 0);
	assert_int_equal(bh_open_softirq(BH_NET_RX_SOFTIRQ, net_rx_action), 0);
	assert_int_equal(bh_open_softirq(BH_BLOCK_SOFTIRQ, block_action), 0);
	assert_int_equal(bh_open_softirq(BH_IRQ_POLL_SOFTIRQ, irq_poll_action),
			 0);

	/* Normal first, HI last, the application vectors in between. */
	assert_int_equal(bh_tasklet_schedule(&n->t), 1);
	assert_int_equal(bh_raise_softirq(BH_IRQ_POLL_SOFTIRQ), 0);
	assert_int_equal(bh_raise_softirq(BH_BLOCK_SOFTIRQ), 0);
	assert_int_equal(bh_raise_softirq(BH_NET_RX_SOFTIRQ), 0);
	assert_int_equal(bh_raise_softirq(BH_NET_TX_SOFTIRQ), 0);
	assert_int_equal(bh_tasklet_hi_schedule(&h->t), 1);
	assert_int_equal(bh_softirq_pending(0),
			 (1u << BH_HI_SOFTIRQ) | (1u << BH_NET_TX_SOFTIRQ) |
				 (1u << BH_NET_RX_SOFTIRQ) |
				 (1u << BH_BLOCK_SOFTIRQ) |
				 (1u << BH_IRQ_POLL_SOFTIRQ) |
				 (1u << BH_TASKLET_SOFTIRQ));

	assert_int_equal(bh_run_softirqs(0), 6);
	expect_events((int[]){2, MARK(BH_NET_TX_SOFTIRQ),
			      MARK(BH_NET_RX_SOFTIRQ), MARK(BH_BLOCK_SOFTIRQ),
			      MARK(BH_IRQ_POLL_SOFTIRQ), 1},
		      6);
	/* The HI tasklet ran from HI_SOFTIRQ, the normal one from TASKLET. */
	assert_int_equal(bh_softirq_count(0, BH_HI_SOFTIRQ), hi0 + 1);
	assert_int_equal(bh_softirq_count(0, BH_TASKLET_SOFTIRQ), ts0 + 1);
}

/*
 * SPEC T7: the list is detached when the softirq starts; a tasklet
 * scheduled meanwhile waits for a later pass. Objs[1]'s callback schedules
 * objs[2] and raises NET_RX (vector 3, below TASKLET's 6): if objs[2] ran
 * in the same pass it would come before the NET_RX marker.
 */
static void test_t7_scheduled_during_pass_runs_later(void **state)
{
	(void)state;
	unsigned long long ts0 = bh_softirq_count(0, BH_TASKLET_SOFTIRQ);

	mk(1, chain_cb);
	mk(2, rec_cb);
	mk(3, rec_cb);
	assert_int_equal(bh_open_softirq(BH_NET_RX_SOFTIRQ, net_rx_action), 0);

	assert_int_equal(bh_tasklet_schedule(&objs[1].t), 1);
	assert_int_equal(bh_tasklet_schedule(&objs[3].t), 1);
	/* Pass 1: TASKLET (1, 3). Pass 2: NET_RX, then TASKLET (2). */
	assert_int_equal(bh_run_softirqs(0), 3);
	assert_int_equal(chain_sched_ret, 1);
	assert_int_equal(chain_raise_ret, 0);
	expect_events((int[]){1, 3, MARK(BH_NET_RX_SOFTIRQ), 2}, 4);
	assert_int_equal(bh_softirq_count(0, BH_TASKLET_SOFTIRQ), ts0 + 2);
	assert_int_equal(objs[2].cpu, 0);
}

/*
 * SPEC T8: SCHED is cleared just before the callback; a schedule from the
 * callback re-queues it and it runs again after returning, never nested.
 */
static void test_t8_self_reschedule(void **state)
{
	(void)state;
	struct tobj *a = mk(1, rec_cb);
	unsigned long long ts0 = bh_softirq_count(0, BH_TASKLET_SOFTIRQ);

	a->resched_until = 2; /* runs 1 and 2 reschedule, run 3 does not */
	assert_int_equal(bh_tasklet_schedule(&a->t), 1);
	assert_int_equal(bh_run_softirqs(0), 3);
	assert_int_equal(a->runs, 3);
	assert_int_equal(max_depth, 1);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(a->resched_ret[i], 1);
		assert_true(a->sched_after_resched[i]);
	}
	/* In the callback: SCHED clear (last run did not reschedule), RUN. */
	assert_false(a->sched_in);
	assert_true(a->running_in);
	assert_false(bh_tasklet_is_scheduled(&a->t));
	/* Each rerun was a later pass. */
	assert_int_equal(bh_softirq_count(0, BH_TASKLET_SOFTIRQ), ts0 + 3);
	expect_events((int[]){1, 1, 1}, 3);
}

/*
 * SPEC T9: a tasklet found running elsewhere is not run: it goes back on
 * the tail of this CPU's list and the softirq is re-raised, until the other
 * run ends. bh_tasklet_trylock() holds RUN as another CPU's run would.
 */
static void test_t9_running_elsewhere_requeued(void **state)
{
	(void)state;
	struct tobj *a = mk(1, rec_cb), *b = mk(2, rec_cb);
	int n;

	assert_int_equal(bh_thread_set_cpu(1), 0);
	assert_int_equal(bh_tasklet_schedule(&a->t), 1);
	assert_int_equal(bh_tasklet_schedule(&b->t), 1);
	assert_true(bh_tasklet_trylock(&a->t));
	assert_true(bh_tasklet_is_running(&a->t));
	assert_false(bh_tasklet_trylock(&a->t));

	/* Re-raised every pass: more than one pass, at most the budget. */
	n = bh_run_softirqs(1);
	assert_true(n >= 2);
	assert_true(n <= BH_MAX_SOFTIRQ_RESTART);
	expect_events((int[]){2}, 1);
	assert_int_equal(a->runs, 0);
	assert_true(bh_tasklet_is_scheduled(&a->t));
	assert_true(bh_softirq_pending(1) & (1u << BH_TASKLET_SOFTIRQ));

	bh_tasklet_unlock(&a->t);
	assert_false(bh_tasklet_is_running(&a->t));
	assert_true(bh_run_softirqs(1) >= 1);
	expect_events((int[]){2, 1}, 2);
	assert_int_equal(a->cpu, 1);
	assert_false(bh_tasklet_is_scheduled(&a->t));
	assert_int_equal(bh_softirq_pending(1), 0);
}

/* SPEC T10: on one CPU tasklets run one at a time. */
static void test_t10_one_at_a_time_per_cpu(void **state)
{
	(void)state;
	struct tobj *a = mk(1, rec_cb), *b = mk(2, rec_cb);

	a->other = b;
	b->other = a;
	assert_int_equal(bh_tasklet_schedule(&a->t), 1);
	assert_int_equal(bh_tasklet_hi_schedule(&b->t), 1);
	assert_int_equal(bh_run_softirqs(0), 2);
	assert_int_equal(a->runs, 1);
	assert_int_equal(b->runs, 1);
	assert_false(a->other_running);
	assert_false(b->other_running);
	assert_int_equal(max_depth, 1);
}

/* SPEC T11: setup/DECLARE_TASKLET call callback(t); init/_OLD call func(data)
 */
static BH_DECLARE_TASKLET(declared_t, rec_cb);
static BH_DECLARE_TASKLET_OLD(declared_old, old_func);

static void test_t11_callback_forms(void **state)
{
	(void)state;
	struct tobj *a = mk(1, rec_cb);
	struct bh_tasklet old;

	bh_tasklet_init(&old, old_func, 5);
	assert_false(old.use_callback);
	assert_true(a->t.use_callback);
	assert_int_equal(bh_tasklet_schedule(&a->t), 1);
	assert_int_equal(bh_tasklet_schedule(&old), 1);
	assert_int_equal(bh_tasklet_schedule(&declared_old), 1);
	assert_int_equal(bh_run_softirqs(0), 1);
	/* callback(t): rec_cb found its own object through t. */
	expect_events((int[]){1, 1005, 1000}, 3);
	assert_int_equal(a->runs, 1);
	assert_int_equal(old_data_seen[5], 5);

	/* BH_DECLARE_TASKLET: a callback tasklet with data 0. */
	assert_true(declared_t.use_callback);
	assert_int_equal(declared_t.data, 0);
	assert_true(declared_old.data == 0 && !declared_old.use_callback);
}

/* SPEC T12: count is a disable depth; the tasklet runs only at 0. */
static void test_t12_disable_depth(void **state)
{
	(void)state;
	struct tobj *a = mk(1, rec_cb);

	assert_int_equal(th_tasklet_count(&a->t), 0);
	assert_int_equal(bh_tasklet_disable_nosync(&a->t), 0);
	assert_int_equal(bh_tasklet_disable(&a->t), 0);
	assert_int_equal(th_tasklet_count(&a->t), 2);
	assert_int_equal(bh_tasklet_schedule(&a->t), 1);
	bh_run_all(0);
	assert_int_equal(a->runs, 0);

	assert_int_equal(bh_tasklet_enable(&a->t), 0);
	assert_int_equal(th_tasklet_count(&a->t), 1);
	bh_run_all(0);
	assert_int_equal(a->runs, 0);

	assert_int_equal(bh_tasklet_enable(&a->t), 0);
	assert_int_equal(th_tasklet_count(&a->t), 0);
	bh_run_all(0);
	assert_int_equal(a->runs, 1);
}

/*
 * SPEC T13: scheduled while disabled, the tasklet keeps SCHED, stays queued
 * on its CPU, and runs once (on that CPU) when the count returns to 0.
 */
static void test_t13_scheduled_while_disabled(void **state)
{
	(void)state;
	struct tobj *a = mk(1, rec_cb), *b = mk(2, rec_cb);

	assert_int_equal(bh_tasklet_disable_nosync(&a->t), 0);
	assert_int_equal(bh_thread_set_cpu(1), 0);
	assert_int_equal(bh_tasklet_schedule(&a->t), 1);
	assert_int_equal(bh_tasklet_schedule(&b->t), 1);
	for (int i = 0; i < 3; i++) {
		bh_run_softirqs(1);
		assert_true(bh_tasklet_is_scheduled(&a->t));
		assert_int_equal(bh_tasklet_schedule(&a->t), 0);
	}
	bh_run_all(0);
	assert_int_equal(a->runs, 0);
	assert_int_equal(b->runs, 1);

	/* Enabled from CPU 0: it still runs where it is queued, CPU 1. */
	assert_int_equal(bh_thread_set_cpu(0), 0);
	assert_int_equal(bh_tasklet_enable(&a->t), 0);
	assert_true(bh_tasklet_is_scheduled(&a->t));
	bh_run_all(0);
	assert_int_equal(a->runs, 1);
	assert_int_equal(a->cpu, 1);
	assert_false(bh_tasklet_is_scheduled(&a->t));
}

/* SPEC T14: enable never schedules. */
static void test_t14_enable_does_not_schedule(void **state)
{
	(void)state;
	struct tobj *a = mk(1, rec_cb);

	assert_int_equal(bh_tasklet_disable_nosync(&a->t), 0);
	assert_int_equal(bh_tasklet_enable(&a->t), 0);
	assert_false(bh_tasklet_is_scheduled(&a->t));
	assert_int_equal(bh_softirq_pending(0), 0);
	assert_int_equal(bh_softirq_pending(1), 0);
	assert_int_equal(bh_run_all(0), 0);
	assert_int_equal(a->runs, 0);

	/* Nor after the tasklet has run once. */
	assert_int_equal(bh_tasklet_schedule(&a->t), 1);
	assert_int_equal(bh_run_softirqs(0), 1);
	assert_int_equal(bh_tasklet_disable(&a->t), 0);
	assert_int_equal(bh_tasklet_enable(&a->t), 0);
	assert_int_equal(bh_run_all(0), 0);
	assert_int_equal(a->runs, 1);
}

/*
 * SPEC T15: enable does not stop at zero; the tasklet stays unrunnable
 * until the count is balanced again (here by a disable). The kernel is
 * silent; this library warns once per tasklet (tasklet.h).
 */
static void test_t15_enable_underflow(void **state)
{
	(void)state;
	struct tobj *a = mk(1, rec_cb);
	unsigned long w0 = bh_warn_count();
	char msg[128];

	assert_int_equal(bh_tasklet_enable(&a->t), 0);
	assert_int_equal(th_tasklet_count(&a->t), -1);
	assert_int_equal(bh_warn_count(), w0 + 1);
	snprintf(msg, sizeof(msg),
		 "bh: tasklet_enable(%p) without a matching disable: count is "
		 "now -1",
		 (void *)&a->t);
	assert_true(th_log_has(msg));

	assert_int_equal(bh_tasklet_schedule(&a->t), 1);
	bh_run_all(0);
	assert_int_equal(a->runs, 0);
	assert_true(bh_tasklet_is_scheduled(&a->t));

	/* A second underflow of the same tasklet does not warn again. */
	assert_int_equal(bh_tasklet_enable(&a->t), 0);
	assert_int_equal(th_tasklet_count(&a->t), -2);
	assert_int_equal(bh_warn_count(), w0 + 1);
	bh_run_all(0);
	assert_int_equal(a->runs, 0);

	/* Balanced by disables: runnable again, and the pending run happens. */
	assert_int_equal(bh_tasklet_disable_nosync(&a->t), 0);
	assert_int_equal(bh_tasklet_disable_nosync(&a->t), 0);
	assert_int_equal(th_tasklet_count(&a->t), 0);
	bh_run_all(0);
	assert_int_equal(a->runs, 1);
	assert_false(bh_tasklet_is_scheduled(&a->t));
}

/* SPEC T16 (deterministic part): with nothing running, disable returns. */
static void test_t16_disable_idle_returns(void **state)
{
	(void)state;
	struct tobj *a = mk(1, rec_cb);

	assert_int_equal(bh_tasklet_disable(&a->t), 0);
	assert_int_equal(bh_tasklet_disable_in_atomic(&a->t), 0);
	assert_int_equal(th_tasklet_count(&a->t), 2);
	assert_int_equal(bh_tasklet_enable(&a->t), 0);
	assert_int_equal(bh_tasklet_enable(&a->t), 0);
	/* The waiting cases are in test_tasklet_disable_kill.c. */
}

/* SPEC T17: disabling does not remove a pending schedule. */
static void test_t17_disable_keeps_sched(void **state)
{
	(void)state;
	struct tobj *a = mk(1, rec_cb), *b = mk(2, rec_cb);

	assert_int_equal(bh_tasklet_schedule(&a->t), 1);
	assert_int_equal(bh_tasklet_disable(&a->t), 0);
	assert_true(bh_tasklet_is_scheduled(&a->t));
	assert_true(sched_bit(&a->t));
	assert_int_equal(bh_tasklet_hi_schedule(&b->t), 1);
	assert_int_equal(bh_tasklet_disable_nosync(&b->t), 0);
	assert_true(bh_tasklet_is_scheduled(&b->t));

	bh_run_all(0);
	assert_int_equal(a->runs + b->runs, 0);
	assert_true(bh_tasklet_is_scheduled(&a->t));
	assert_true(bh_tasklet_is_scheduled(&b->t));

	assert_int_equal(bh_tasklet_enable(&a->t), 0);
	assert_int_equal(bh_tasklet_enable(&b->t), 0);
	bh_run_all(0);
	assert_int_equal(a->runs, 1);
	assert_int_equal(b->runs, 1);
}

/* SPEC T18: the _DISABLED declarators start with count 1. */
static BH_DECLARE_TASKLET_DISABLED(declared_disabled, rec_cb);
static struct bh_tasklet old_disabled =
	BH_TASKLET_INIT_OLD_DISABLED(old_func, 7);

static void test_t18_declared_disabled(void **state)
{
	(void)state;

	assert_int_equal(th_tasklet_count(&declared_disabled), 1);
	assert_int_equal(th_tasklet_count(&old_disabled), 1);
	assert_true(declared_disabled.use_callback);
	assert_false(old_disabled.use_callback);

	assert_int_equal(bh_tasklet_schedule(&old_disabled), 1);
	bh_run_all(0);
	assert_int_equal(nevents, 0);
	assert_true(bh_tasklet_is_scheduled(&old_disabled));
	assert_int_equal(bh_tasklet_enable(&old_disabled), 0);
	assert_int_equal(th_tasklet_count(&old_disabled), 0);
	bh_run_all(0);
	expect_events((int[]){1007}, 1);

	/* The callback form needs one enable too. It is never scheduled
	 * here: rec_cb expects a struct tobj around its tasklet. */
	assert_int_equal(bh_tasklet_enable(&declared_disabled), 0);
	assert_int_equal(th_tasklet_count(&declared_disabled), 0);
}

/* SPEC T19: init/setup reset next, state and count; setup zeroes data. */
static void test_t19_init_resets(void **state)
{
	(void)state;
	struct tobj *a = mk(1, rec_cb);
	static struct bh_tasklet g;
	unsigned long w0 = bh_warn_count();

	/* An idle, used tasklet: disabled twice, data set. */
	bh_tasklet_init(&a->t, old_func, 3);
	assert_int_equal(bh_tasklet_schedule(&a->t), 1);
	assert_int_equal(bh_run_softirqs(0), 1);
	assert_int_equal(bh_tasklet_disable_nosync(&a->t), 0);
	assert_int_equal(bh_tasklet_disable_nosync(&a->t), 0);
	assert_int_equal(a->t.data, 3);

	bh_tasklet_setup(&a->t, rec_cb);
	assert_null(a->t.next);
	assert_int_equal(a->t.state & ((1ul << BH_TASKLET_STATE_SCHED) |
				       (1ul << BH_TASKLET_STATE_RUN)),
			 0);
	assert_int_equal(th_tasklet_count(&a->t), 0);
	assert_int_equal(a->t.data, 0);
	assert_true(a->t.use_callback);
	assert_ptr_equal(a->t.callback, rec_cb);

	/* Uninitialised (garbage) memory, as from malloc. */
	memset(&g, 0xa5, sizeof(g));
	bh_tasklet_init(&g, old_func, 6);
	assert_null(g.next);
	assert_int_equal(g.state & ((1ul << BH_TASKLET_STATE_SCHED) |
				    (1ul << BH_TASKLET_STATE_RUN)),
			 0);
	assert_int_equal(th_tasklet_count(&g), 0);
	assert_int_equal(g.data, 6);
	assert_false(g.use_callback);
	assert_ptr_equal(g.func, old_func);
	/* Neither was a scheduled tasklet: no warning. */
	assert_int_equal(bh_warn_count(), w0);

	assert_int_equal(bh_tasklet_schedule(&g), 1);
	assert_int_equal(bh_run_softirqs(0), 1);
	expect_events((int[]){1003, 1006}, 2);
}

/*
 * SPEC T24: the core touches the tasklet after the callback returns: RUN
 * is held through the callback and cleared afterwards.
 */
static void test_t24_run_cleared_after_callback(void **state)
{
	(void)state;
	struct tobj *a = mk(1, rec_cb);

	assert_int_equal(bh_tasklet_schedule(&a->t), 1);
	assert_int_equal(bh_run_softirqs(0), 1);
	assert_true(a->running_in);
	assert_true(a->run_bit_in); /* bit 1, as the kernel's */
	assert_false(bh_tasklet_is_running(&a->t));
	assert_int_equal(a->t.state & (1ul << BH_TASKLET_STATE_RUN), 0);
}

/* SPEC T25: callbacks run in softirq context, bh off, hardirqs on. */
static void test_t25_softirq_context(void **state)
{
	(void)state;
	struct tobj *a = mk(1, sleepy_cb), *h = mk(2, sleepy_cb);
	unsigned long w0 = bh_warn_count();

	assert_true(bh_in_task());
	assert_int_equal(bh_tasklet_schedule(&a->t), 1);
	assert_int_equal(bh_tasklet_hi_schedule(&h->t), 1);
	assert_int_equal(bh_run_softirqs(0), 2);
	for (struct tobj *o = a; o; o = (o == a ? h : NULL)) {
		assert_int_equal(o->runs, 1);
		assert_true(o->serving);
		assert_true(o->softirq);
		assert_true(o->interrupt);
		assert_false(o->task);
		assert_false(o->hardirq);
		assert_false(o->irqs_off);
		assert_true(o->preempt & BH_SOFTIRQ_OFFSET);
		assert_int_equal(o->preempt & BH_HARDIRQ_MASK, 0);
		/* Must not sleep: might_sleep() reports it. */
		assert_false(o->might_sleep_ok);
	}
	assert_true(bh_warn_count() >= w0 + 2);
	assert_true(th_log_has("sleeping function called from invalid "
			       "context"));
	/* And the test thread is back in task context. */
	assert_true(bh_in_task());
	assert_false(bh_in_softirq());
	assert_int_equal(bh_preempt_count(), 0);
}

/*
 * SPEC T26: a queued tasklet found with SCHED clear (re-initialised while
 * queued) is skipped with the kernel's one-time "tasklet SCHED state not
 * set" warning; the tasklets queued around it still run.
 */
static void test_t26_sched_not_set_skipped(void **state)
{
	(void)state;
	struct tobj *a = mk(1, rec_cb), *b = mk(2, rec_cb), *c = mk(3, rec_cb);
	unsigned long w0 = bh_warn_count();
	char msg[128];

	assert_int_equal(bh_tasklet_schedule(&a->t), 1);
	assert_int_equal(bh_tasklet_schedule(&b->t), 1);
	assert_int_equal(bh_tasklet_schedule(&c->t), 1);
	bh_tasklet_setup(&b->t, rec_cb); /* re-init while queued: warns */
	assert_true(bh_warn_count() > w0);
	assert_false(bh_tasklet_is_scheduled(&b->t));

	assert_true(bh_run_softirqs(0) >= 1);
	expect_events((int[]){1, 3}, 2);
	assert_int_equal(b->runs, 0);
	/* The kernel's text, then the function (static functions in this
	 * program cannot be symbolised, so it is not pinned) and tasklet. */
	assert_true(th_log_has("tasklet SCHED state not set: "));
	snprintf(msg, sizeof(msg), "(tasklet %p)", (void *)&b->t);
	assert_true(th_log_has(msg));

	/* Usable again once off the list; a second skip does not warn. */
	assert_int_equal(bh_tasklet_schedule(&b->t), 1);
	bh_tasklet_setup(&b->t, rec_cb);
	bh_run_all(0);
	assert_int_equal(b->runs, 0);
	assert_int_equal(
		count_substr(th_log.text, "tasklet SCHED state not set"), 1);
	assert_int_equal(bh_tasklet_schedule(&b->t), 1);
	bh_run_all(0);
	assert_int_equal(b->runs, 1);
	assert_int_equal(b->cpu, 0);
}

#define T(fn)                                                                  \
	cmocka_unit_test_setup_teardown(fn, setup_det, th_teardown_shutdown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_t1_schedule_sets_sched_and_raises),
		T(test_t1_hi_schedule_raises_hi),
		T(test_t2_coalesce),
		T(test_t3_coalesced_schedule_still_runs),
		T(test_t4_runs_on_scheduling_cpu),
		T(test_t5_fifo_separate_lists),
		T(test_t6_hi_before_normal),
		T(test_t7_scheduled_during_pass_runs_later),
		T(test_t8_self_reschedule),
		T(test_t9_running_elsewhere_requeued),
		T(test_t10_one_at_a_time_per_cpu),
		T(test_t11_callback_forms),
		T(test_t12_disable_depth),
		T(test_t13_scheduled_while_disabled),
		T(test_t14_enable_does_not_schedule),
		T(test_t15_enable_underflow),
		T(test_t16_disable_idle_returns),
		T(test_t17_disable_keeps_sched),
		T(test_t18_declared_disabled),
		T(test_t19_init_resets),
		T(test_t24_run_cleared_after_callback),
		T(test_t25_softirq_context),
		T(test_t26_sched_not_set_skipped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
