/* SPDX-License-Identifier: MIT */
/*
 * Workqueue basics with real threads (two bh CPUs, kworkers): what an item
 * is (W1), how queueing coalesces (W2-W5), where callbacks run (W9, W14,
 * W15, W22), what the core does after a callback (W10), work_busy (W16)
 * and the synchronous helpers (W18-W20).
 *
 * Callbacks run on library threads, where a cmocka assertion cannot be
 * made: they record what they saw in atomics that the test thread asserts.
 * An item that must stay "running" waits on a completion (a gate) that the
 * test opens; its wait is bounded so that a bug fails instead of hanging.
 */
#include "harness.h"
#include "thread_names.h"

#include <bh/workqueue.h>

#include <pthread.h>

static int setup_threaded(void **state)
{
	(void)state;
	th_init(2, false);
	return 0;
}

/* How long a callback waits on a gate before it records a failure. */
static unsigned long gate_jiffies(void)
{
	return 10ul * bh_hz();
}

static unsigned long gate_timeouts; /* a gate was never opened */

static void wait_gate(struct bh_completion *gate)
{
	if (bh_wait_for_completion_timeout(gate, gate_jiffies()) == 0)
		th_inc(&gate_timeouts);
}

/* The calling thread's name, without the newline; "" if unreadable. */
static void comm_of(unsigned long tid, char *buf, size_t len)
{
	if (!th_task_file(tid, "comm", buf, len)) {
		buf[0] = '\0';
		return;
	}
	buf[strcspn(buf, "\n")] = '\0';
}

/*
 * An item that records its runs; run number `gate_run` (1-based, 0: none)
 * waits on `gate` before returning. Runs are recorded in `order` by `id`.
 */
struct item {
	struct bh_work work;
	int id;
	unsigned long gate_run;
	struct bh_completion gate;
	unsigned long started;
	unsigned long done;
	unsigned long inside;
	unsigned long overlaps;
	/* what the callback saw at entry, for W3/W14/W16 */
	unsigned long entry_pending;
	unsigned long entry_busy;
	unsigned long cur_work_ok;
};

static unsigned long order[64];
static unsigned long order_n;

static void record_order(int id)
{
	unsigned long at = __atomic_fetch_add(&order_n, 1, __ATOMIC_ACQ_REL);
	if (at < 64)
		th_st(&order[at], (unsigned long)id);
}

static void item_fn(struct bh_work *w)
{
	struct item *it = bh_from_work(it, w, work);

	if (__atomic_exchange_n(&it->inside, 1, __ATOMIC_SEQ_CST) != 0)
		th_inc(&it->overlaps);
	th_st(&it->entry_pending, bh_work_pending(w));
	th_st(&it->entry_busy, bh_work_busy(w));
	th_st(&it->cur_work_ok, bh_current_work() == w);
	record_order(it->id);
	unsigned long run =
		__atomic_add_fetch(&it->started, 1, __ATOMIC_ACQ_REL);
	if (run == it->gate_run)
		wait_gate(&it->gate);
	__atomic_store_n(&it->inside, 0, __ATOMIC_SEQ_CST);
	th_inc(&it->done);
}

static void item_init(struct item *it, int id, unsigned long gate_run)
{
	memset(it, 0, sizeof(*it));
	bh_work_init(&it->work, item_fn);
	it->id = id;
	it->gate_run = gate_run;
	bh_init_completion(&it->gate);
}

static void reset_order(void)
{
	th_st(&order_n, 0);
	th_st(&gate_timeouts, 0);
}

/* ---- W1 ------------------------------------------------------------- */

struct w1obj {
	int magic;
	struct bh_work work;
	struct w1obj *seen; /* what from_work recovered */
	struct bh_work *arg;
	unsigned long runs;
};

static void w1_fn(struct bh_work *w)
{
	struct w1obj *o = bh_from_work(o, w, work);

	__atomic_store_n(&o->arg, w, __ATOMIC_RELAXED);
	__atomic_store_n(&o->seen, o->magic == 0x5eed ? o : NULL,
			 __ATOMIC_RELAXED);
	th_inc(&o->runs);
}

static unsigned long w1_static_runs;
static void w1_static_fn(struct bh_work *w)
{
	(void)w;
	th_inc(&w1_static_runs);
}
static BH_DECLARE_WORK(w1_static, w1_static_fn);

/* SPEC W1 */
static void test_w1_init_idle_and_from_work(void **state)
{
	(void)state;
	struct w1obj o = {.magic = 0x5eed};

	bh_work_init(&o.work, w1_fn);
	assert_false(bh_work_pending(&o.work));
	assert_int_equal(bh_work_busy(&o.work), 0);
	assert_ptr_equal(o.work.func, w1_fn);

	assert_false(bh_work_pending(&w1_static));
	assert_int_equal(bh_work_busy(&w1_static), 0);
	assert_ptr_equal(w1_static.func, w1_static_fn);

	assert_true(bh_schedule_work(&o.work));
	assert_true(bh_schedule_work(&w1_static));
	assert_true(th_wait_ge(&o.runs, 1));
	assert_true(th_wait_ge(&w1_static_runs, 1));
	assert_ptr_equal(__atomic_load_n(&o.arg, __ATOMIC_RELAXED), &o.work);
	assert_ptr_equal(__atomic_load_n(&o.seen, __ATOMIC_RELAXED), &o);

	/* Both idle again once their one run is over. */
	bh_flush_work(&o.work);
	bh_flush_work(&w1_static);
	assert_false(bh_work_pending(&o.work));
	assert_int_equal(bh_work_busy(&o.work), 0);
	assert_int_equal(bh_work_busy(&w1_static), 0);
	assert_int_equal(th_ld(&o.runs), 1);
	assert_int_equal(th_ld(&w1_static_runs), 1);
	/* A statically initialised item is not "never initialised" (M6). */
	assert_false(th_log_has("ODEBUG"));
}

/* ---- W2 ------------------------------------------------------------- */

/* SPEC W2 */
static void test_w2_queue_pending_returns_false(void **state)
{
	(void)state;
	/* Ordered: the blocker holds A and B queued behind it. */
	struct bh_workqueue *wq = bh_alloc_ordered_workqueue("w2", 0);
	static struct item blocker, a, b;

	assert_non_null(wq);
	reset_order();
	item_init(&blocker, 0, 1);
	item_init(&a, 1, 0);
	item_init(&b, 2, 0);

	assert_true(bh_queue_work(wq, &blocker.work));
	assert_true(th_wait_ge(&blocker.started, 1));
	assert_true(bh_queue_work(wq, &a.work));
	assert_true(bh_queue_work(wq, &b.work));
	/* Already pending: false, and A keeps its place ahead of B. */
	assert_false(bh_queue_work(wq, &a.work));
	assert_false(bh_queue_work_on(1, wq, &a.work));
	assert_true(bh_work_pending(&a.work));

	bh_complete(&blocker.gate);
	assert_true(th_wait_ge(&b.done, 1));
	bh_flush_workqueue(wq);
	assert_int_equal(th_ld(&order_n), 3);
	assert_int_equal(th_ld(&order[0]), 0);
	assert_int_equal(th_ld(&order[1]), 1);
	assert_int_equal(th_ld(&order[2]), 2);
	assert_int_equal(th_ld(&a.started), 1);
	assert_int_equal(th_ld(&gate_timeouts), 0);
	bh_destroy_workqueue(wq);
}

static unsigned long w2d_runs;
static void w2d_fn(struct bh_work *w)
{
	(void)w;
	th_inc(&w2d_runs);
}

/* SPEC W2: an item waiting on its delayed-work timer is pending too. */
static void test_w2_pending_on_timer(void **state)
{
	(void)state;
	struct bh_workqueue *wq = bh_alloc_workqueue("w2d", 0, 0);
	static struct bh_delayed_work dw;

	assert_non_null(wq);
	th_st(&w2d_runs, 0);
	bh_delayed_work_init(&dw, w2d_fn);
	/* Far in the future: the timer cannot fire during the test. */
	assert_true(bh_queue_delayed_work(wq, &dw, 1000ul * bh_hz()));
	assert_true(bh_delayed_work_pending(&dw));
	assert_true(bh_work_pending(&dw.work));
	assert_false(bh_queue_work(wq, &dw.work));
	assert_false(bh_queue_work_on(0, wq, &dw.work));
	assert_false(bh_queue_delayed_work(wq, &dw, 0));
	/* Nothing changed: still on its timer, not queued to run. */
	bh_flush_workqueue(wq);
	assert_int_equal(th_ld(&w2d_runs), 0);
	assert_true(bh_delayed_work_pending(&dw));
	assert_true(bh_cancel_delayed_work_sync(&dw));
	assert_false(bh_delayed_work_pending(&dw));
	assert_int_equal(th_ld(&w2d_runs), 0);
	bh_destroy_workqueue(wq);
}

/* ---- W3, W16 -------------------------------------------------------- */

/* SPEC W3, W16: pending from queue to start; inside, running only. */
static void test_w3_w16_pending_until_start(void **state)
{
	(void)state;
	struct bh_workqueue *wq = bh_alloc_ordered_workqueue("w3", 0);
	static struct item blocker, a;

	assert_non_null(wq);
	reset_order();
	item_init(&blocker, 0, 1);
	item_init(&a, 1, 1);

	assert_true(bh_queue_work(wq, &blocker.work));
	assert_true(th_wait_ge(&blocker.started, 1));
	/* W16: the blocker runs and is not pending. */
	assert_int_equal(bh_work_busy(&blocker.work), BH_WORK_BUSY_RUNNING);
	assert_false(bh_work_pending(&blocker.work));

	/* W3: queued behind the blocker: pending, not running. */
	assert_true(bh_queue_work(wq, &a.work));
	assert_true(bh_work_pending(&a.work));
	assert_int_equal(bh_work_busy(&a.work), BH_WORK_BUSY_PENDING);
	assert_int_equal(th_ld(&a.started), 0);

	bh_complete(&blocker.gate);
	assert_true(th_wait_ge(&a.started, 1));
	/* PENDING was cleared before the callback was called. */
	assert_int_equal(th_ld(&a.entry_pending), 0);
	assert_int_equal(th_ld(&a.entry_busy), BH_WORK_BUSY_RUNNING);
	/* A is inside its callback (on its gate): running, not pending. */
	assert_false(bh_work_pending(&a.work));
	assert_int_equal(bh_work_busy(&a.work), BH_WORK_BUSY_RUNNING);
	/* Re-queued while it runs: both bits. */
	assert_true(bh_queue_work(wq, &a.work));
	assert_true(bh_work_pending(&a.work));
	assert_int_equal(bh_work_busy(&a.work),
			 BH_WORK_BUSY_PENDING | BH_WORK_BUSY_RUNNING);

	bh_complete(&a.gate);
	assert_true(th_wait_ge(&a.done, 2));
	bh_flush_workqueue(wq);
	assert_int_equal(bh_work_busy(&a.work), 0);
	assert_int_equal(bh_work_busy(&blocker.work), 0);
	assert_false(bh_work_pending(&a.work));
	assert_int_equal(th_ld(&a.started), 2);
	assert_int_equal(th_ld(&gate_timeouts), 0);
	bh_destroy_workqueue(wq);
}

/* ---- W4 ------------------------------------------------------------- */

struct w4self {
	struct bh_work work;
	struct bh_workqueue *wq;
	unsigned long runs;
	unsigned long q1, q2;	  /* the first run's two queue calls */
	unsigned long pend_after; /* work_pending after re-queueing */
	unsigned long inside, overlaps;
};

static void w4_self_fn(struct bh_work *w)
{
	struct w4self *s = bh_from_work(s, w, work);

	if (__atomic_exchange_n(&s->inside, 1, __ATOMIC_SEQ_CST) != 0)
		th_inc(&s->overlaps);
	if (__atomic_add_fetch(&s->runs, 1, __ATOMIC_ACQ_REL) == 1) {
		th_st(&s->q1, bh_queue_work(s->wq, w) ? 1 : 2);
		th_st(&s->q2, bh_queue_work(s->wq, w) ? 1 : 2);
		th_st(&s->pend_after, bh_work_pending(w) ? 1 : 2);
	}
	__atomic_store_n(&s->inside, 0, __ATOMIC_SEQ_CST);
}

/* SPEC W4, W3: re-queueing from the item's own callback. */
static void test_w4_requeue_from_own_callback(void **state)
{
	(void)state;
	static struct w4self s;

	memset(&s, 0, sizeof(s));
	s.wq = bh_alloc_workqueue("w4s", 0, 0);
	assert_non_null(s.wq);
	bh_work_init(&s.work, w4_self_fn);
	assert_true(bh_queue_work(s.wq, &s.work));
	assert_true(th_wait_ge(&s.runs, 2));
	bh_flush_workqueue(s.wq);
	assert_int_equal(th_ld(&s.runs), 2);
	assert_int_equal(th_ld(&s.q1), 1);
	assert_int_equal(th_ld(&s.q2), 2); /* pending: coalesced */
	assert_int_equal(th_ld(&s.pend_after), 1);
	assert_int_equal(th_ld(&s.overlaps), 0);
	bh_destroy_workqueue(s.wq);
}

/* SPEC W4: re-queueing from elsewhere while it runs. */
static void test_w4_requeue_while_running(void **state)
{
	(void)state;
	struct bh_workqueue *wq = bh_alloc_workqueue("w4e", 0, 0);
	static struct item a;

	assert_non_null(wq);
	reset_order();
	item_init(&a, 1, 1);
	assert_true(bh_queue_work_on(0, wq, &a.work));
	assert_true(th_wait_ge(&a.started, 1));
	assert_true(bh_queue_work(wq, &a.work));
	assert_false(bh_queue_work(wq, &a.work));
	assert_false(bh_queue_work_on(1, wq, &a.work));
	/* Nothing starts before the current execution returns. */
	assert_int_equal(th_ld(&a.started), 1);
	bh_complete(&a.gate);
	assert_true(th_wait_ge(&a.done, 2));
	bh_flush_workqueue(wq);
	assert_int_equal(th_ld(&a.started), 2);
	assert_int_equal(th_ld(&a.done), 2);
	assert_int_equal(th_ld(&a.overlaps), 0);
	assert_int_equal(th_ld(&gate_timeouts), 0);
	bh_destroy_workqueue(wq);
}

/* ---- W5 ------------------------------------------------------------- */

#define W5_NPROD 2
#define W5_NITER (TH_TSAN ? 20000ul : 200000ul)

static struct bh_workqueue *w5_wq;
static struct bh_work w5_work;
static unsigned long w5_seq[W5_NPROD];	/* producer i's last store */
static unsigned long w5_seen[W5_NPROD]; /* highest a run observed */
static unsigned long w5_runs;

static void w5_fn(struct bh_work *w)
{
	(void)w;
	for (int i = 0; i < W5_NPROD; i++)
		th_atomic_max(&w5_seen[i], th_ld(&w5_seq[i]));
	th_inc(&w5_runs);
}

static void *w5_producer(void *arg)
{
	long id = (long)arg;

	bh_thread_set_cpu((int)(id % 2));
	for (unsigned long k = 1; k <= W5_NITER; k++) {
		th_st(&w5_seq[id], k);
		bh_queue_work(w5_wq, &w5_work);
	}
	return NULL;
}

/* SPEC W5: whatever queue_work returns, a later run sees the store. */
static void test_w5_no_lost_events(void **state)
{
	(void)state;
	pthread_t th[W5_NPROD];

	w5_wq = bh_alloc_workqueue("w5", 0, 0);
	assert_non_null(w5_wq);
	memset(w5_seq, 0, sizeof(w5_seq));
	memset(w5_seen, 0, sizeof(w5_seen));
	th_st(&w5_runs, 0);
	bh_work_init(&w5_work, w5_fn);
	for (long i = 0; i < W5_NPROD; i++)
		assert_int_equal(
			pthread_create(&th[i], NULL, w5_producer, (void *)i),
			0);
	for (long i = 0; i < W5_NPROD; i++)
		assert_true(th_join(th[i]));
	/* Each producer's last store is seen by a run that began after it. */
	for (int i = 0; i < W5_NPROD; i++)
		assert_true(th_wait_ge(&w5_seen[i], W5_NITER));
	bh_flush_workqueue(w5_wq);
	assert_true(th_ld(&w5_runs) >= 1);
	bh_destroy_workqueue(w5_wq);
}

/*
 * SPEC W5: "that execution sees every store the caller made before the
 * call". The payload is a plain variable: the only order between the
 * producer's write and the callback's read is the one queue_work() and the
 * worker provide, so a missing release/acquire is a data race under TSan.
 */
#define W5P_NITER (TH_TSAN ? 500ul : 5000ul)
static unsigned long w5p_payload; /* plain: written by the producer only */
static unsigned long w5p_ack;
static unsigned long w5p_bad;

static void w5p_fn(struct bh_work *w)
{
	(void)w;
	unsigned long v = w5p_payload;
	if (v != th_ld(&w5p_ack) + 1)
		th_inc(&w5p_bad);
	th_inc(&w5p_ack);
}

/* SPEC W5 */
static void test_w5_stores_visible(void **state)
{
	(void)state;
	struct bh_workqueue *wq = bh_alloc_workqueue("w5p", 0, 0);
	static struct bh_work w;

	assert_non_null(wq);
	w5p_payload = 0;
	th_st(&w5p_ack, 0);
	th_st(&w5p_bad, 0);
	bh_work_init(&w, w5p_fn);
	for (unsigned long k = 1; k <= W5P_NITER; k++) {
		w5p_payload = k;
		/* The last run read its payload: the item is not pending. */
		assert_true(bh_queue_work_on((int)(k % 2), wq, &w));
		assert_true(th_wait_ge(&w5p_ack, k));
	}
	bh_flush_workqueue(wq);
	assert_int_equal(th_ld(&w5p_bad), 0);
	assert_int_equal(th_ld(&w5p_ack), W5P_NITER);
	bh_destroy_workqueue(wq);
}

/* ---- W9 ------------------------------------------------------------- */

struct w9rec {
	struct bh_work work;
	unsigned long done;
	unsigned long in_task, in_interrupt, in_atomic, irqs_off;
	unsigned long might_sleep_ok;
	unsigned long slept; /* a library sleep and a timed wait returned */
	unsigned long cpu;
	char comm[32];
};

static void w9_fn(struct bh_work *w)
{
	struct w9rec *r = bh_from_work(r, w, work);
	struct bh_completion never;

	th_st(&r->in_task, bh_in_task());
	th_st(&r->in_interrupt, bh_in_interrupt());
	th_st(&r->in_atomic, bh_in_atomic());
	th_st(&r->irqs_off, bh_irqs_disabled());
	th_st(&r->cpu, (unsigned long)bh_smp_processor_id());
	th_st(&r->might_sleep_ok, bh_might_sleep());
	comm_of(th_tid(), r->comm, sizeof(r->comm));
	/* It may sleep: in the library's primitives. */
	bh_msleep(1);
	bh_init_completion(&never);
	th_st(&r->slept, bh_wait_for_completion_timeout(&never, 1) == 0);
	th_inc(&r->done);
}

/* SPEC W9: process context, a kworker thread, sleeping allowed. */
static void test_w9_process_context_kworker(void **state)
{
	(void)state;
	struct bh_workqueue *pcpu = bh_alloc_workqueue("w9p", 0, 0);
	struct bh_workqueue *unb = bh_alloc_workqueue("w9u", BH_WQ_UNBOUND, 0);
	static struct w9rec r[3];

	assert_non_null(pcpu);
	assert_non_null(unb);
	memset(r, 0, sizeof(r));
	for (int i = 0; i < 3; i++)
		bh_work_init(&r[i].work, w9_fn);
	assert_true(bh_queue_work_on(0, pcpu, &r[0].work));
	assert_true(bh_queue_work_on(1, pcpu, &r[1].work));
	assert_true(bh_queue_work(unb, &r[2].work));
	for (int i = 0; i < 3; i++) {
		assert_true(th_wait_ge(&r[i].done, 1));
		assert_int_equal(th_ld(&r[i].in_task), 1);
		assert_int_equal(th_ld(&r[i].in_interrupt), 0);
		assert_int_equal(th_ld(&r[i].in_atomic), 0);
		assert_int_equal(th_ld(&r[i].irqs_off), 0);
		assert_int_equal(th_ld(&r[i].might_sleep_ok), 1);
		assert_int_equal(th_ld(&r[i].slept), 1);
	}
	/* kworker/N:M on the per-CPU pools, kworker/uP:M unbound. */
	assert_int_equal(strncmp(r[0].comm, "kworker/0:", 10), 0);
	assert_int_equal(strncmp(r[1].comm, "kworker/1:", 10), 0);
	assert_int_equal(strncmp(r[2].comm, "kworker/u", 9), 0);
	assert_int_equal(th_ld(&r[0].cpu), 0);
	assert_int_equal(th_ld(&r[1].cpu), 1);
	assert_false(th_log_has("sleeping function called"));
	assert_false(th_log_has("BUG"));
	bh_destroy_workqueue(pcpu);
	bh_destroy_workqueue(unb);
}

/* ---- W10 ------------------------------------------------------------ */

struct w10obj {
	struct bh_work work;
	unsigned long *counter;
	char pad[64];
};

static unsigned long w10_freed;

static void w10_free_fn(struct bh_work *w)
{
	struct w10obj *o = bh_from_work(o, w, work);
	unsigned long *c = o->counter;

	/* After this the core must not touch the item: ASan would see it. */
	free(o);
	th_inc(c);
}

#define W10_N 256

/* SPEC W10: a callback may free its own item. */
static void test_w10_callback_frees_item(void **state)
{
	(void)state;
	struct bh_workqueue *wq = bh_alloc_workqueue("w10f", 0, 0);
	struct bh_workqueue *unb = bh_alloc_workqueue("w10u", BH_WQ_UNBOUND, 0);

	assert_non_null(wq);
	assert_non_null(unb);
	th_st(&w10_freed, 0);
	for (int i = 0; i < W10_N; i++) {
		struct w10obj *o = calloc(1, sizeof(*o));
		assert_non_null(o);
		o->counter = &w10_freed;
		bh_work_init(&o->work, w10_free_fn);
		assert_true(
			bh_queue_work_on(i % 2, i % 3 ? wq : unb, &o->work));
	}
	assert_true(th_wait_ge(&w10_freed, W10_N));
	bh_flush_workqueue(wq);
	bh_flush_workqueue(unb);
	bh_destroy_workqueue(wq);
	bh_destroy_workqueue(unb);
}

/* An item the callback scribbles over: the core must leave it so. */
static union {
	struct bh_work w;
	unsigned char b[sizeof(struct bh_work)];
} w10_scribble_obj;
static unsigned long w10_scribbled;

static void w10_scribble_fn(struct bh_work *w)
{
	/* The kernel's rule: after return the item is the owner's alone. */
	memset(w, 0xa5, sizeof(*w));
	th_inc(&w10_scribbled);
}

/* SPEC W10: after a callback returns the core never writes the item. */
static void test_w10_core_leaves_item_alone(void **state)
{
	(void)state;
	struct bh_workqueue *wq = bh_alloc_workqueue("w10s", 0, 0);
	struct bh_work *w = &w10_scribble_obj.w;

	assert_non_null(wq);
	th_st(&w10_scribbled, 0);
	bh_work_init(w, w10_scribble_fn);
	assert_true(bh_queue_work_on(1, wq, w));
	assert_true(th_wait_ge(&w10_scribbled, 1));
	/* The worker is done with the item once the queue is flushed. */
	bh_flush_workqueue(wq);
	for (size_t i = 0; i < sizeof(*w); i++)
		assert_int_equal(w10_scribble_obj.b[i], 0xa5);
	bh_destroy_workqueue(wq);
}

static struct bh_workqueue *w10r_wq;
static unsigned long w10r_first, w10r_second, w10r_requeued;

static void w10_second_fn(struct bh_work *w)
{
	(void)w;
	th_inc(&w10r_second);
}

static void w10_first_fn(struct bh_work *w)
{
	th_inc(&w10r_first);
	/* Re-initialise the running item and queue it with the new func. */
	bh_work_init(w, w10_second_fn);
	th_st(&w10r_requeued, bh_queue_work(w10r_wq, w) ? 1 : 2);
}

/* SPEC W10: a callback may re-initialise its own item. */
static void test_w10_callback_reinits_item(void **state)
{
	(void)state;
	static struct bh_work w;

	w10r_wq = bh_alloc_workqueue("w10r", 0, 0);
	assert_non_null(w10r_wq);
	th_st(&w10r_first, 0);
	th_st(&w10r_second, 0);
	th_st(&w10r_requeued, 0);
	bh_work_init(&w, w10_first_fn);
	assert_true(bh_queue_work(w10r_wq, &w));
	assert_true(th_wait_ge(&w10r_second, 1));
	bh_flush_workqueue(w10r_wq);
	assert_int_equal(th_ld(&w10r_first), 1);
	assert_int_equal(th_ld(&w10r_second), 1);
	assert_int_equal(th_ld(&w10r_requeued), 1);
	/*
	 * Allowed by W10, so no debug-objects complaint: the kernel
	 * deactivates the item's debug object before calling it.
	 */
	assert_false(th_log_has("ODEBUG"));
	assert_false(th_log_has("init active"));
	bh_destroy_workqueue(w10r_wq);
}

/* ---- W14, W15 ------------------------------------------------------- */

struct w14rec {
	struct bh_work work;
	unsigned long done;
	struct bh_work *cur;
	unsigned long rescuer;
};

static void w14_fn(struct bh_work *w)
{
	struct w14rec *r = bh_from_work(r, w, work);

	__atomic_store_n(&r->cur, bh_current_work(), __ATOMIC_RELAXED);
	th_st(&r->rescuer, bh_current_is_workqueue_rescuer());
	th_inc(&r->done);
}

/* SPEC W14, W15, B7 */
static void test_w14_w15_current_work(void **state)
{
	(void)state;
	struct bh_workqueue *reclaim =
		bh_alloc_workqueue("w14r", BH_WQ_MEM_RECLAIM, 0);
	static struct w14rec r[4];

	assert_non_null(reclaim);
	memset(r, 0, sizeof(r));
	for (int i = 0; i < 4; i++) {
		bh_work_init(&r[i].work, w14_fn);
		/* so that a NULL answer shows as a change */
		r[i].cur = (struct bh_work *)&r[i];
		r[i].rescuer = 7;
	}
	assert_null(bh_current_work());
	assert_false(bh_current_is_workqueue_rescuer());

	assert_true(bh_schedule_work(&r[0].work));
	assert_true(bh_queue_work(bh_system_unbound_wq, &r[1].work));
	assert_true(bh_queue_work(reclaim, &r[2].work));
	/* B7: a BH item runs in softirq context, where there is no worker. */
	assert_true(bh_queue_work(bh_system_bh_wq, &r[3].work));
	for (int i = 0; i < 4; i++)
		assert_true(th_wait_ge(&r[i].done, 1));
	for (int i = 0; i < 3; i++) {
		assert_ptr_equal(__atomic_load_n(&r[i].cur, __ATOMIC_RELAXED),
				 &r[i].work);
		/* Normal workers are not rescuers (W15). */
		assert_int_equal(th_ld(&r[i].rescuer), 0);
	}
	assert_null(__atomic_load_n(&r[3].cur, __ATOMIC_RELAXED));
	assert_int_equal(th_ld(&r[3].rescuer), 0);
	assert_null(bh_current_work());
	bh_flush_workqueue(reclaim);
	bh_destroy_workqueue(reclaim);
}

/* ---- W18 ------------------------------------------------------------ */

static unsigned long w18_runs;
static unsigned long w18_tid;
static struct bh_work *w18_arg;

static void w18_fn(struct bh_work *w)
{
	__atomic_store_n(&w18_arg, w, __ATOMIC_RELAXED);
	th_st(&w18_tid, th_tid());
	th_inc(&w18_runs);
}

/* SPEC W18 */
static void test_w18_execute_in_process_context(void **state)
{
	(void)state;
	static struct bh_execute_work ew;
	char comm[32];

	/* Task context: run now, on this thread, and return 0. */
	th_st(&w18_runs, 0);
	assert_int_equal(bh_execute_in_process_context(w18_fn, &ew), 0);
	assert_int_equal(th_ld(&w18_runs), 1);
	assert_int_equal(th_ld(&w18_tid), th_tid());
	assert_ptr_equal(__atomic_load_n(&w18_arg, __ATOMIC_RELAXED), &ew.work);

	/* Interrupt context (bottom halves off): queued, return 1. */
	bh_local_bh_disable();
	assert_true(bh_in_interrupt());
	int r = bh_execute_in_process_context(w18_fn, &ew);
	bh_local_bh_enable();
	assert_int_equal(r, 1);
	assert_true(th_wait_ge(&w18_runs, 2));
	assert_true(th_ld(&w18_tid) != th_tid());
	comm_of(th_ld(&w18_tid), comm, sizeof(comm));
	/* The worker may be gone already; if not, it is a kworker. */
	assert_true(comm[0] == '\0' || strncmp(comm, "kworker/", 8) == 0);
	bh_flush_work(&ew.work);

	/* Hardirq context likewise. */
	bh_irq_enter();
	r = bh_execute_in_process_context(w18_fn, &ew);
	bh_irq_exit();
	assert_int_equal(r, 1);
	assert_true(th_wait_ge(&w18_runs, 3));
	assert_true(th_ld(&w18_tid) != th_tid());
	bh_flush_work(&ew.work);
	assert_int_equal(th_ld(&w18_runs), 3);
}

/* ---- W19 ------------------------------------------------------------ */

static unsigned long w19_per_cpu[2];
static unsigned long w19_bad;

static void w19_fn(struct bh_work *w)
{
	char comm[32];
	int cpu = bh_smp_processor_id();

	(void)w;
	comm_of(th_tid(), comm, sizeof(comm));
	if (strncmp(comm, "kworker/", 8) != 0 || !bh_in_task())
		th_inc(&w19_bad);
	if (cpu < 0 || cpu > 1)
		th_inc(&w19_bad);
	else
		th_inc(&w19_per_cpu[cpu]);
}

/* SPEC W19: once on every CPU, all finished when it returns. */
static void test_w19_schedule_on_each_cpu(void **state)
{
	(void)state;
	memset(w19_per_cpu, 0, sizeof(w19_per_cpu));
	th_st(&w19_bad, 0);
	assert_int_equal(bh_schedule_on_each_cpu(w19_fn), 0);
	/* No wait: every run completed before the call returned. */
	assert_int_equal(th_ld(&w19_per_cpu[0]), 1);
	assert_int_equal(th_ld(&w19_per_cpu[1]), 1);
	assert_int_equal(th_ld(&w19_bad), 0);
	assert_int_equal(bh_schedule_on_each_cpu(w19_fn), 0);
	assert_int_equal(th_ld(&w19_per_cpu[0]), 2);
	assert_int_equal(th_ld(&w19_per_cpu[1]), 2);
}

/* ---- W20 ------------------------------------------------------------ */

struct w20arg {
	long ret;
	unsigned long cpu;
	unsigned long tid;
	unsigned long kworker;
};

static long w20_fn(void *p)
{
	struct w20arg *a = p;
	char comm[32];

	comm_of(th_tid(), comm, sizeof(comm));
	a->cpu = (unsigned long)bh_smp_processor_id();
	a->tid = th_tid();
	a->kworker = strncmp(comm, "kworker/", 8) == 0 && bh_in_task();
	return a->ret;
}

/* SPEC W20 */
static void test_w20_work_on_cpu(void **state)
{
	(void)state;
	for (int cpu = 0; cpu < 2; cpu++) {
		struct w20arg a = {.ret = cpu ? -7 : 4242};

		/* The return synchronises with fn's end: plain reads. */
		assert_int_equal(bh_work_on_cpu(cpu, w20_fn, &a), a.ret);
		assert_int_equal(a.cpu, (unsigned long)cpu);
		assert_true(a.tid != th_tid());
		assert_int_equal(a.kworker, 1);
	}
	struct w20arg a = {.ret = 1};
	assert_int_equal(bh_work_on_cpu(-1, w20_fn, &a), -EINVAL);
	assert_int_equal(bh_work_on_cpu(bh_nr_cpus(), w20_fn, &a), -EINVAL);
	assert_int_equal(bh_work_on_cpu(BH_MAX_CPUS, w20_fn, &a), -EINVAL);
	assert_int_equal(a.tid, 0);
}

/* ---- W22 ------------------------------------------------------------ */

struct w22rec {
	struct bh_work work;
	unsigned long done;
	unsigned long tid;
	char base[32];	  /* kworker/N:M, from the name at entry */
	char running[32]; /* the name after set_worker_desc */
};

static void w22_fn(struct bh_work *w)
{
	struct w22rec *r = bh_from_work(r, w, work);
	char comm[32];

	comm_of(th_tid(), comm, sizeof(comm));
	/* The worker's own name: up to any description it shows. */
	size_t n = strncmp(comm, "kworker/", 8) == 0
			   ? 8 + strcspn(comm + 8, "+-")
			   : strlen(comm);
	memcpy(r->base, comm, n);
	r->base[n] = '\0';
	bh_set_worker_desc("d%d", 7);
	comm_of(th_tid(), r->running, sizeof(r->running));
	th_st(&r->tid, th_tid());
	th_inc(&r->done);
}

/* The name a thread shows for `base` + `sep` + "d7": at most 15 bytes. */
static void w22_expect(char *out, const char *base, char sep)
{
	char full[64];
	int n = snprintf(full, sizeof(full), "%s%cd7", base, sep);
	size_t len = n < 15 ? (size_t)n : 15; /* TASK_COMM_LEN - 1 */
	memcpy(out, full, len);
	out[len] = '\0';
}

/* SPEC W22: "+desc" while running, "-desc" afterwards. */
static void test_w22_set_worker_desc(void **state)
{
	(void)state;
	struct bh_workqueue *wq = bh_alloc_workqueue("w22", 0, 0);
	static struct w22rec r;
	char want[32], comm[32];

	assert_non_null(wq);
	memset(&r, 0, sizeof(r));
	bh_work_init(&r.work, w22_fn);
	assert_true(bh_queue_work_on(1, wq, &r.work));
	assert_true(th_wait_ge(&r.done, 1));
	assert_int_equal(strncmp(r.base, "kworker/1:", 10), 0);
	w22_expect(want, r.base, '+');
	assert_string_equal(r.running, want);

	/* Afterwards, once the worker has renamed itself; it stays alive
	 * (idle workers are kept for minutes). */
	w22_expect(want, r.base, '-');
	uint64_t deadline = th_now_ns() + TH_WAIT_NS;
	do {
		comm_of(th_ld(&r.tid), comm, sizeof(comm));
		if (strcmp(comm, want) == 0)
			break;
		sched_yield();
	} while (th_now_ns() < deadline);
	assert_string_equal(comm, want);

	/* Outside a kworker it does nothing. */
	char mine[32], after[32];
	comm_of(th_tid(), mine, sizeof(mine));
	bh_set_worker_desc("x");
	comm_of(th_tid(), after, sizeof(after));
	assert_string_equal(mine, after);
	bh_destroy_workqueue(wq);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_threaded, th_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_w1_init_idle_and_from_work),
		T(test_w2_queue_pending_returns_false),
		T(test_w2_pending_on_timer),
		T(test_w3_w16_pending_until_start),
		T(test_w4_requeue_from_own_callback),
		T(test_w4_requeue_while_running),
		T(test_w5_no_lost_events),
		T(test_w5_stores_visible),
		T(test_w9_process_context_kworker),
		T(test_w10_callback_frees_item),
		T(test_w10_core_leaves_item_alone),
		T(test_w10_callback_reinits_item),
		T(test_w14_w15_current_work),
		T(test_w18_execute_in_process_context),
		T(test_w19_schedule_on_each_cpu),
		T(test_w20_work_on_cpu),
		T(test_w22_set_worker_desc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
