/* SPDX-License-Identifier: MIT */
/*
 * Workqueue misuse and its diagnostics (SPEC M1-M3, M6-M8, M10-M13, W13,
 * C8, D14, U9): where the kernel deadlocks, corrupts memory or needs
 * debug options to notice, the library warns on its log sink and carries
 * on as the header documents.
 *
 * Whatever would hang or crash the runner if the library got it wrong runs
 * in a forked child with its own runtime, an alarm as a safety net, and
 * its log piped back to the parent, which asserts on the text. A child
 * reports through its exit code: 0 for success, else the number of the
 * first check that failed.
 */
#include "wq_harness.h"

#include <bh/workqueue.h>

/* ---- children --------------------------------------------------------- */

struct child_case {
	int (*fn)(void);
	int nr_cpus;
	bool deterministic;
	unsigned int watchdog_ms;
	unsigned int intensive_us;
	bool no_shutdown;  /* threads may be stuck: just exit */
	const char *watch; /* wait_log() waits for this text */
};

/*
 * The child's sink sees every message as it is logged: it notes the
 * watched text there, so that the child waits on a flag rather than
 * reading a log that other threads are writing.
 */
static const char *watch_needle;
static unsigned long watch_seen;
static bh_log_fn watch_next;

static void watch_sink(void *arg, int level, const char *text, size_t len)
{
	if (watch_needle &&
	    memmem(text, len, watch_needle, strlen(watch_needle)))
		th_st(&watch_seen, 1);
	watch_next(arg, level, text, len);
}

static int child_main(void *arg)
{
	const struct child_case *c = arg;
	struct bh_config cfg;

	th_child_config(&cfg, c->nr_cpus, c->deterministic);
	cfg.wq_watchdog_thresh_ms = c->watchdog_ms;
	cfg.wq_cpu_intensive_thresh_us = c->intensive_us;
	watch_needle = c->watch;
	watch_next = cfg.log;
	cfg.log = watch_sink;
	if (bh_init(&cfg) != 0)
		return 100;
	/* Every wait below is bounded by 10 s; this ends a real hang. */
	alarm(60);
	if (bh_thread_set_cpu(0) != 0)
		return 101;
	int r = c->fn();
	if (r || c->no_shutdown)
		return r;
	return bh_shutdown() >= 0 ? 0 : 102;
}

static char out[256 * 1024];

/* Run the case in a child; the child's log is left in `out`. */
static void run_case(const struct child_case *c)
{
	int status = th_run_child(child_main, (void *)c, out, sizeof(out));

	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fprintf(stderr, "child log:\n%s\n", out);
	th_assert_exit_code(status, 0);
}

static void in_child(int (*fn)(void), bool deterministic)
{
	struct child_case c = {
		.fn = fn, .nr_cpus = 2, .deterministic = deterministic};
	run_case(&c);
}

static bool out_has(const char *needle)
{
	return strstr(out, needle) != NULL;
}

/* Bounded wait for the child_case's `watch` text to be logged. */
static bool wait_log(void)
{
	return th_wait_ge(&watch_seen, 1);
}

/* Fail the child with code `n` unless `cond`. */
#define CHECK(n, cond)                                                         \
	do {                                                                   \
		if (!(cond))                                                   \
			return (n);                                            \
	} while (0)

/* ---- items that turn on themselves ------------------------------------ */

enum self_op {
	OP_FLUSH,
	OP_CANCEL_SYNC,
	OP_DISABLE_SYNC,
	OP_FLUSH_WQ,
	OP_FLUSH_DELAYED,
	OP_CANCEL_DELAYED_SYNC,
};

struct self_item {
	struct bh_delayed_work dw;
	struct bh_workqueue *wq;
	enum self_op op;
	bool requeue_first; /* re-queue before the call: pending at the call */
	bool ret;
	unsigned long warns;
	unsigned long runs;
	unsigned long done;
};

static void self_fn(struct bh_work *w)
{
	struct self_item *s =
		bh_container_of(bh_to_delayed_work(w), struct self_item, dw);
	unsigned long w0 = bh_warn_count();

	if (th_ld(&s->runs) == 0 && s->requeue_first)
		bh_queue_work(s->wq, w);
	th_inc(&s->runs);
	if (th_ld(&s->done))
		return; /* a later run (if any): do nothing */
	switch (s->op) {
	case OP_FLUSH:
		s->ret = bh_flush_work(w);
		break;
	case OP_CANCEL_SYNC:
		s->ret = bh_cancel_work_sync(w);
		break;
	case OP_DISABLE_SYNC:
		s->ret = bh_disable_work_sync(w);
		break;
	case OP_FLUSH_WQ:
		bh_flush_workqueue(s->wq);
		s->ret = true;
		break;
	case OP_FLUSH_DELAYED:
		s->ret = bh_flush_delayed_work(&s->dw);
		break;
	case OP_CANCEL_DELAYED_SYNC:
		s->ret = bh_cancel_delayed_work_sync(&s->dw);
		break;
	}
	s->warns = bh_warn_count() - w0;
	th_st(&s->done, 1);
}

static struct self_item self;

/* Queue `self` with `op` on a fresh queue and wait for the call to return. */
static int self_run(enum self_op op, bool requeue_first)
{
	memset(&self, 0, sizeof(self));
	bh_delayed_work_init(&self.dw, self_fn);
	self.op = op;
	self.requeue_first = requeue_first;
	self.wq = bh_alloc_workqueue("selfq", 0, 0);
	CHECK(50, self.wq);
	CHECK(51, bh_queue_work(self.wq, &self.dw.work));
	CHECK(52, th_wait_ge(&self.done, 1));
	return 0;
}

/* Flush and free the queue of self_run(). */
static int self_end(void)
{
	bh_flush_workqueue(self.wq);
	CHECK(60, !bh_work_pending(&self.dw.work));
	bh_destroy_workqueue(self.wq);
	return 0;
}

static int m1_flush_self(void)
{
	int r = self_run(OP_FLUSH, false);
	CHECK(1, r == 0);
	CHECK(2, !self.ret);
	CHECK(3, self.warns == 1);
	CHECK(4, th_ld(&self.runs) == 1);
	/* Pending at the call: it still warns and does not wait. */
	r = self_end();
	CHECK(5, r == 0);
	r = self_run(OP_FLUSH, true);
	CHECK(6, r == 0);
	CHECK(7, !self.ret);
	CHECK(8, self.warns == 1);
	r = self_end();
	CHECK(9, r == 0);
	CHECK(10, th_ld(&self.runs) == 2);
	return 0;
}

/* The kernel's lockdep report (M1-M3): a pseudo-lock taken recursively. */
#define RECURSIVE "possible recursive locking detected"

/*
 * SPEC M1: flush_work from the item's own callback would wait for itself;
 * it warns as lockdep would, on the pseudo-lock (work_completion), and
 * returns false.
 */
static void test_m1_flush_work_from_own_callback(void **state)
{
	(void)state;
	in_child(m1_flush_self, false);
	assert_true(out_has(RECURSIVE ": (work_completion)(0x"));
	assert_true(out_has("] flushed from its own callback would wait "
			    "forever"));
	assert_true(out_has("Call Trace:"));
}

static int m1_flush_delayed_self(void)
{
	int r = self_run(OP_FLUSH_DELAYED, false);
	CHECK(1, r == 0);
	CHECK(2, !self.ret);
	CHECK(3, self.warns == 1);
	return self_end() ? 4 : 0;
}

/* SPEC M1, SPEC D12: the same through flush_delayed_work. */
static void test_m1_flush_delayed_work_from_own_callback(void **state)
{
	(void)state;
	in_child(m1_flush_delayed_self, false);
	assert_true(out_has(RECURSIVE));
	assert_true(out_has("(work_completion)"));
}

static int m2_cancel_sync_self(void)
{
	int r = self_run(OP_CANCEL_SYNC, false);
	CHECK(1, r == 0);
	CHECK(2, !self.ret); /* not pending at the call */
	CHECK(3, self.warns == 1);
	r = self_end();
	CHECK(4, r == 0);
	CHECK(5, th_ld(&self.runs) == 1);

	/* Pending at the call: cancelled (true), so no second run. */
	r = self_run(OP_CANCEL_SYNC, true);
	CHECK(6, r == 0);
	CHECK(7, self.ret);
	CHECK(8, self.warns == 1);
	r = self_end();
	CHECK(9, r == 0);
	CHECK(10, th_ld(&self.runs) == 1);

	/* It did not wait, and left the item usable. */
	self.wq = bh_alloc_workqueue("again", 0, 0);
	CHECK(11, self.wq);
	CHECK(12, bh_queue_work(self.wq, &self.dw.work));
	bh_flush_work(&self.dw.work); /* it may have run already */
	CHECK(14, th_ld(&self.runs) == 2);
	bh_destroy_workqueue(self.wq);

	r = self_run(OP_CANCEL_DELAYED_SYNC, true);
	CHECK(15, r == 0);
	CHECK(16, self.ret);
	CHECK(17, self.warns == 1);
	r = self_end();
	CHECK(18, r == 0);
	CHECK(19, th_ld(&self.runs) == 1);
	return 0;
}

/*
 * SPEC M2: cancel_work_sync (and cancel_delayed_work_sync) from the item's
 * own callback warns, cancels a pending instance and does not wait.
 */
static void test_m2_cancel_sync_from_own_callback(void **state)
{
	(void)state;
	in_child(m2_cancel_sync_self, false);
	assert_true(out_has(RECURSIVE ": (work_completion)(0x"));
	assert_true(out_has("]: bh_cancel_work_sync() from its own callback "
			    "would wait forever"));
	assert_true(out_has("]: bh_cancel_delayed_work_sync() from its own "
			    "callback would wait forever"));
	assert_true(out_has("Call Trace:"));
}

static int m2_disable_sync_self(void)
{
	int r = self_run(OP_DISABLE_SYNC, true);
	CHECK(1, r == 0);
	CHECK(2, self.ret);
	CHECK(3, self.warns == 1);
	r = self_end();
	CHECK(4, r == 0);
	CHECK(5, th_ld(&self.runs) == 1);

	/* The disable took: queueing fails until enabled. */
	self.wq = bh_alloc_workqueue("again", 0, 0);
	CHECK(6, self.wq);
	CHECK(7, !bh_queue_work(self.wq, &self.dw.work));
	CHECK(8, bh_enable_work(&self.dw.work));
	CHECK(9, bh_queue_work(self.wq, &self.dw.work));
	bh_flush_work(&self.dw.work); /* it may have run already */
	CHECK(11, th_ld(&self.runs) == 2);
	bh_destroy_workqueue(self.wq);
	return 0;
}

/*
 * SPEC M2: disable_work_sync from the item's own callback warns, disables
 * (the depth is kept) and does not wait.
 */
static void test_m2_disable_sync_from_own_callback(void **state)
{
	(void)state;
	in_child(m2_disable_sync_self, false);
	assert_true(out_has(RECURSIVE ": (work_completion)(0x"));
	assert_true(out_has("]: bh_disable_work_sync() from its own callback "
			    "would wait forever"));
}

static int m3_flush_wq_self(void)
{
	int r = self_run(OP_FLUSH_WQ, false);
	CHECK(1, r == 0);
	CHECK(2, self.warns == 1);
	return self_end() ? 3 : 0;
}

/*
 * SPEC M3: flush_workqueue from one of the queue's own items warns, as
 * lockdep would on the pseudo-lock (wq_completion)<name>, and returns.
 */
static void test_m3_flush_workqueue_from_own_item(void **state)
{
	(void)state;
	in_child(m3_flush_wq_self, false);
	assert_true(out_has(RECURSIVE
			    ": (wq_completion)selfq is flushed from "
			    "one of its own items and would wait forever"));
}

/* ---- debug objects (deterministic, BH items) --------------------------- */

static unsigned long runs_a, runs_b;

static void fn_a(struct bh_work *w)
{
	(void)w;
	th_inc(&runs_a);
}

static void fn_b(struct bh_work *w)
{
	(void)w;
	th_inc(&runs_b);
}

/* log.c: the name the diagnostics give a function. */
const char *bh__symbol_name(const void *addr, char *buf, size_t len);

/* The end of an ODEBUG line about an item whose function is `fn`. */
static const char *odebug_hint(void (*fn)(struct bh_work *))
{
	static char hint[128];
	char sym[64];

	snprintf(hint, sizeof(hint), "object type: work_struct hint: %s",
		 bh__symbol_name((const void *)fn, sym, sizeof(sym)));
	return hint;
}

static int m6_free_active(void)
{
	struct bh_work *w = malloc(sizeof(*w));
	unsigned long w0;

	CHECK(1, w);
	bh_work_init(w, fn_a);
	/* Idle: nothing to report. */
	w0 = bh_warn_count();
	CHECK(2, !bh_work_debug_free(w));
	CHECK(3, bh_warn_count() == w0);

	CHECK(4, bh_queue_work(bh_system_bh_wq, w));
	w0 = bh_warn_count();
	CHECK(5, bh_work_debug_free(w));
	CHECK(6, bh_warn_count() == w0 + 1);
	CHECK(7, !bh_work_pending(w));
	free(w); /* the fix-up cancelled it: nothing may touch it now */
	bh_run_all(0);
	CHECK(8, th_ld(&runs_a) == 0);
	return 0;
}

/*
 * SPEC M6: "freeing" a queued item reports the kernel's debugobjects text
 * and cancels it, so the memory can go (ASan would see a later touch).
 */
static void test_m6_free_active(void **state)
{
	(void)state;
	runs_a = 0;
	in_child(m6_free_active, true);
	assert_true(out_has("ODEBUG: free active (active state 0) object: 0x"));
	assert_true(out_has(odebug_hint(fn_a)));
}

static int m6_init_active(void)
{
	static struct bh_work w;
	static struct bh_delayed_work dw;
	unsigned long w0;

	bh_work_init(&w, fn_a);
	CHECK(1, bh_queue_work(bh_system_bh_wq, &w));
	w0 = bh_warn_count();
	bh_work_init(&w, fn_b);
	CHECK(2, bh_warn_count() == w0 + 1);
	CHECK(3, !bh_work_pending(&w));
	bh_run_all(0);
	CHECK(4, th_ld(&runs_a) == 0 && th_ld(&runs_b) == 0);
	/* Initialised afresh: the new function runs. */
	CHECK(5, bh_queue_work(bh_system_bh_wq, &w));
	bh_run_all(0);
	CHECK(6, th_ld(&runs_a) == 0 && th_ld(&runs_b) == 1);

	/* A delayed item on its timer: the timer is cancelled too. */
	bh_delayed_work_init(&dw, fn_a);
	CHECK(7, bh_queue_delayed_work(bh_system_bh_wq, &dw, 5));
	w0 = bh_warn_count();
	bh_delayed_work_init(&dw, fn_b);
	CHECK(8, bh_warn_count() == w0 + 1);
	CHECK(9, !bh_delayed_work_pending(&dw));
	bh_advance_jiffies(10);
	bh_run_all(0);
	CHECK(10, th_ld(&runs_a) == 0 && th_ld(&runs_b) == 1);
	return 0;
}

/*
 * SPEC M6: re-initialising a queued item reports "init active", cancels
 * it, then initialises it.
 */
static void test_m6_init_active(void **state)
{
	(void)state;
	runs_a = runs_b = 0;
	in_child(m6_init_active, true);
	assert_true(out_has("ODEBUG: init active (active state 0) object: 0x"));
	assert_true(out_has(odebug_hint(fn_a)));
}

static int m6_activate_uninit(void)
{
	static struct bh_work z;
	unsigned long w0 = bh_warn_count();

	memset(&z, 0, sizeof(z));
	CHECK(1, !bh_queue_work(bh_system_bh_wq, &z));
	CHECK(2, bh_warn_count() == w0 + 1);
	CHECK(3, !bh_work_pending(&z));
	bh_run_all(0);
	CHECK(4, z.data == 0 && z.next == NULL && z.func == NULL);

	/* A statically initialised item needs no init call. */
	static BH_DECLARE_WORK(s, fn_a);
	w0 = bh_warn_count();
	CHECK(5, bh_queue_work(bh_system_bh_wq, &s));
	bh_run_all(0);
	CHECK(6, th_ld(&runs_a) == 1);
	CHECK(7, bh_warn_count() == w0);
	return 0;
}

/*
 * SPEC M6, SPEC U9: queueing an item that was never initialised (and is
 * not static) warns and fails, leaving it alone.
 */
static void test_m6_activate_uninitialised(void **state)
{
	(void)state;
	runs_a = 0;
	in_child(m6_activate_uninit, true);
	assert_true(out_has("ODEBUG: activate not available (active state 0) "
			    "object: 0x"));
	assert_true(out_has("object type: work_struct hint: bh_queue_work_on() "
			    "on an item never set up with "
			    "bh_work_init()/BH_DECLARE_WORK"));
}

static int m7_onstack(void)
{
	struct bh_work w;
	struct bh_delayed_work dw;
	unsigned long w0;

	/* Idle at destroy: silent. */
	bh_work_init_onstack(&w, fn_a);
	CHECK(1, bh_queue_work(bh_system_bh_wq, &w));
	bh_run_all(0);
	w0 = bh_warn_count();
	bh_work_destroy_on_stack(&w);
	CHECK(2, bh_warn_count() == w0);

	/* Pending at destroy: reported. */
	bh_work_init_onstack(&w, fn_b);
	CHECK(3, bh_queue_work(bh_system_bh_wq, &w));
	w0 = bh_warn_count();
	bh_work_destroy_on_stack(&w);
	CHECK(4, bh_warn_count() == w0 + 1);
	bh_cancel_work(&w); /* the frame must not stay queued either way */

	/* A delayed one on its timer. */
	bh_delayed_work_init(&dw, fn_b);
	CHECK(5, bh_queue_delayed_work(bh_system_bh_wq, &dw, 100));
	w0 = bh_warn_count();
	bh_delayed_work_destroy_on_stack(&dw);
	CHECK(6, bh_warn_count() == w0 + 1);
	bh_cancel_delayed_work(&dw);
	bh_run_all(0);
	return 0;
}

/* SPEC M7: destroy_work_on_stack of a pending item warns. */
static void test_m7_destroy_on_stack_pending(void **state)
{
	(void)state;
	runs_a = runs_b = 0;
	in_child(m7_onstack, true);
	assert_true(out_has("ODEBUG: destroy active (active state 0) object: "
			    "0x"));
	assert_true(out_has(odebug_hint(fn_b)));
}

static int m8_flush_uninit(void)
{
	static struct bh_work z;
	static struct bh_delayed_work zd;
	unsigned long w0 = bh_warn_count();

	memset(&z, 0, sizeof(z));
	memset(&zd, 0, sizeof(zd));
	CHECK(1, !bh_flush_work(&z));
	CHECK(2, bh_warn_count() == w0 + 1);
	CHECK(3, !bh_flush_delayed_work(&zd));
	CHECK(4, bh_warn_count() == w0 + 2);
	return 0;
}

/* SPEC M8: flush_work on an item never initialised warns, returns false. */
static void test_m8_flush_uninitialised(void **state)
{
	(void)state;
	in_child(m8_flush_uninit, false);
	assert_true(out_has("bh: flush_work() on an item never set up"));
}

static int m10_linked(void)
{
	static struct bh_work w, decoy;
	unsigned long w0;

	bh_work_init(&w, fn_a);
	bh_work_init(&decoy, fn_b);
	/* Corrupt: idle, yet its list entry points somewhere. */
	w.next = &decoy;
	w.prev = &decoy;
	w0 = bh_warn_count();
	bh_queue_work(bh_system_bh_wq, &w);
	CHECK(1, bh_warn_count() == w0 + 1);
	bh_run_all(0);
	CHECK(2, th_ld(&runs_a) == 0);
	CHECK(3, th_ld(&runs_b) == 0);
	/* The decoy was not touched. */
	CHECK(4, decoy.next == &decoy && decoy.prev == &decoy);
	return 0;
}

/*
 * SPEC M10: an item whose list entry is already linked (corrupted, or
 * double-queued) is not queued: a warning, and it is skipped.
 */
static void test_m10_linked_entry_skipped(void **state)
{
	(void)state;
	runs_a = runs_b = 0;
	in_child(m10_linked, true);
	assert_true(out_has(") queued on events_bh with its list entry already "
			    "linked (next 0x"));
	assert_true(out_has("): corrupted or copied item, skipped"));
	assert_true(out_has("Call Trace:"));
}

/* ---- in-process, threaded ---------------------------------------------- */

static int setup_threaded(void **state)
{
	(void)state;
	th_init_cpu0(2, false);
	return 0;
}

#define FLUSH_SYS_MSG                                                          \
	"WARNING: Flushing system-wide workqueues will be prohibited in near " \
	"future."

/*
 * SPEC M11: flushing a system-wide workqueue warns (and still flushes);
 * flushing one's own does not.
 */
static void test_m11_flush_system_wq_warns(void **state)
{
	(void)state;
	struct bh_workqueue *sys[] = {
		bh_system_wq,		bh_system_highpri_wq,
		bh_system_long_wq,	bh_system_unbound_wq,
		bh_system_freezable_wq, bh_system_power_efficient_wq,
	};
	static struct bh_work w;

	bh_work_init(&w, fn_a);
	runs_a = 0;
	for (unsigned int i = 0; i < sizeof(sys) / sizeof(sys[0]); i++) {
		unsigned long w0 = bh_warn_count();

		th_log_clear();
		assert_non_null(sys[i]);
		assert_true(bh_queue_work(sys[i], &w));
		bh_flush_workqueue(sys[i]);
		assert_int_equal(th_ld(&runs_a), i + 1);
		assert_true(th_log_has(FLUSH_SYS_MSG));
		assert_true(th_log_has("Call Trace:"));
		assert_true(bh_warn_count() > w0);
	}

	struct bh_workqueue *own = bh_alloc_workqueue("own", 0, 0);
	assert_non_null(own);
	th_log_clear();
	unsigned long w0 = bh_warn_count();
	assert_true(bh_queue_work(own, &w));
	bh_flush_workqueue(own);
	assert_int_equal(bh_warn_count(), w0);
	assert_false(th_log_has(FLUSH_SYS_MSG));
	bh_destroy_workqueue(own);
}

/* Leaks for W13: each returns from the callback with something held. */
static bh_spinlock_t leak_lock = BH_SPINLOCK_INIT;
static int leak_kind;
static unsigned long leak_done, after_done;

static void leak_fn(struct bh_work *w)
{
	(void)w;
	switch (leak_kind) {
	case 0:
		bh_local_bh_disable();
		break;
	case 1:
		bh_local_irq_save();
		break;
	case 2:
		bh_spin_lock(&leak_lock);
		break;
	case 3:
		bh_preempt_disable();
		break;
	}
	th_st(&leak_done, 1);
}

static void after_fn(struct bh_work *w)
{
	(void)w;
	th_st(&after_done, 1);
}

static int w13_leak(void)
{
	static struct bh_work w, after;
	struct bh_workqueue *wq = bh_alloc_ordered_workqueue("leaky", 0);

	CHECK(1, wq);
	leak_done = after_done = 0;
	bh_work_init(&w, leak_fn);
	bh_work_init(&after, after_fn);
	unsigned long w0 = bh_warn_count();
	CHECK(2, bh_queue_work(wq, &w));
	CHECK(3, bh_queue_work(wq, &after));
	CHECK(4, th_wait_ge(&leak_done, 1));
	CHECK(5, th_wait_ge(&after_done, 1));
	CHECK(6, bh_warn_count() >= w0 + 1);
	return 0;
}

static void w13_case(int kind)
{
	leak_kind = kind;
	in_child(w13_leak, false);
	assert_true(out_has("BUG: workqueue leaked atomic, lock or RCU"));
	assert_true(out_has("Call Trace:"));
}

/*
 * SPEC W13: a callback that returns with bottom halves disabled, irqs
 * disabled, a spinlock held or preemption off is reported.
 */
static void test_w13_leak_bh_disabled(void **state)
{
	(void)state;
	w13_case(0);
}

/* SPEC W13 */
static void test_w13_leak_irqs_disabled(void **state)
{
	(void)state;
	w13_case(1);
}

/* SPEC W13 */
static void test_w13_leak_spinlock(void **state)
{
	(void)state;
	w13_case(2);
}

/* SPEC W13 */
static void test_w13_leak_preempt(void **state)
{
	(void)state;
	w13_case(3);
}

/* SPEC W13: a balanced callback is not reported. */
static void test_w13_balanced_silent(void **state)
{
	(void)state;
	static struct bh_work w;

	leak_kind = -1;
	leak_done = 0;
	bh_work_init(&w, leak_fn);
	th_log_clear();
	unsigned long w0 = bh_warn_count();
	assert_true(bh_queue_work(bh_system_wq, &w));
	assert_true(th_wait_ge(&leak_done, 1));
	bh_flush_work(&w);
	assert_int_equal(bh_warn_count(), w0);
	assert_false(th_log_has("leaked"));
}

/* A gate an item waits on, asleep, until the test opens it. */
struct gated {
	struct bh_work work;
	struct bh_completion gate;
	unsigned long started, done, timeouts;
	struct bh_work *chain; /* queued from the callback, if set */
	struct bh_workqueue *wq;
	bool chain_ret;
};

static void gated_fn(struct bh_work *w)
{
	struct gated *g = bh_container_of(w, struct gated, work);

	th_st(&g->started, 1);
	if (bh_wait_for_completion_timeout(&g->gate, 10ul * bh_hz()) == 0)
		th_inc(&g->timeouts);
	if (g->chain)
		g->chain_ret = bh_queue_work(g->wq, g->chain);
	th_st(&g->done, 1);
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
 * SPEC C8, SPEC C7: while destroy_workqueue drains the queue, queueing from
 * outside its items warns once ("cannot queue"), returns true and drops
 * the item; chained queueing from its own running item is still taken.
 */
static void test_c8_queue_while_destroying(void **state)
{
	(void)state;
	static struct gated g;
	static struct bh_work outside, chained;
	struct destroyer d = {0};
	pthread_t th;

	memset(&g, 0, sizeof(g));
	runs_a = runs_b = 0;
	bh_work_init(&g.work, gated_fn);
	bh_init_completion(&g.gate);
	bh_work_init(&outside, fn_a);
	bh_work_init(&chained, fn_b);
	d.wq = bh_alloc_workqueue("doomed", 0, 0);
	assert_non_null(d.wq);
	g.wq = d.wq;
	g.chain = &chained;
	assert_true(bh_queue_work(d.wq, &g.work));
	assert_true(th_wait_ge(&g.started, 1));

	assert_int_equal(pthread_create(&th, NULL, destroyer_main, &d), 0);
	assert_true(th_wait_ge(&d.started, 1));
	/* Draining (the held item keeps it so), not merely asleep on the
	 * way there, before the outside queue_work that must warn. */
	assert_true(wqt_wait_draining(d.wq));
	assert_true(th_wait_asleep(d.tid));
	th_log_clear();
	unsigned long w0 = bh_warn_count();
	assert_true(bh_queue_work(d.wq, &outside));
	assert_int_equal(bh_warn_count(), w0 + 1);
	assert_true(th_log_has("workqueue: cannot queue"));
	assert_true(th_log_has("doomed"));
	assert_false(bh_work_pending(&outside));
	/* Once: a second attempt is dropped silently. */
	assert_true(bh_queue_work(d.wq, &outside));
	assert_int_equal(bh_warn_count(), w0 + 1);

	bh_complete(&g.gate);
	assert_true(th_join(th));
	assert_int_equal(th_ld(&d.done), 1);
	assert_int_equal(g.timeouts, 0);
	assert_true(g.chain_ret);
	assert_int_equal(th_ld(&runs_b), 1);
	assert_int_equal(th_ld(&runs_a), 0);
	assert_false(bh_work_pending(&outside));
	assert_false(bh_work_pending(&chained));
}

/*
 * SPEC D14, SPEC C7: destroying a queue with a delayed item still on its
 * timer warns and cancels the item, instead of the kernel's later
 * use-after-free (the header's documented difference).
 */
static void test_d14_destroy_with_armed_delayed_work(void **state)
{
	(void)state;
	static struct bh_delayed_work dw;
	struct bh_workqueue *wq = bh_alloc_workqueue("d14q", 0, 0);

	assert_non_null(wq);
	runs_a = 0;
	bh_delayed_work_init(&dw, fn_a);
	assert_true(bh_queue_delayed_work(wq, &dw, 100000));
	th_log_clear();
	unsigned long w0 = bh_warn_count();
	bh_destroy_workqueue(wq);
	assert_int_equal(bh_warn_count(), w0 + 1);
	assert_true(th_log_has("d14q"));
	assert_false(bh_delayed_work_pending(&dw));
	assert_false(bh_timer_pending(&dw.timer));
	assert_int_equal(th_ld(&runs_a), 0);
	/* The item is free for other queues. */
	assert_true(bh_queue_delayed_work(bh_system_wq, &dw, 0));
	bh_flush_work(&dw.work); /* it may have run already */
	assert_int_equal(th_ld(&runs_a), 1);
}

static int d14_bh(void)
{
	static struct bh_delayed_work dw;
	struct bh_workqueue *wq = bh_alloc_workqueue("armedbh", BH_WQ_BH, 0);

	CHECK(1, wq);
	bh_delayed_work_init(&dw, fn_a);
	CHECK(2, bh_queue_delayed_work(wq, &dw, 10));
	unsigned long w0 = bh_warn_count();
	bh_destroy_workqueue(wq);
	CHECK(3, bh_warn_count() == w0 + 1);
	CHECK(4, !bh_delayed_work_pending(&dw));
	bh_advance_jiffies(20);
	bh_run_all(0);
	CHECK(5, th_ld(&runs_a) == 0);
	return 0;
}

/* SPEC D14: the same for a BH queue, with the timer's expiry passed. */
static void test_d14_destroy_bh_with_armed_delayed_work(void **state)
{
	(void)state;
	runs_a = 0;
	in_child(d14_bh, true);
	assert_true(out_has("armedbh"));
}

static struct bh_workqueue *m3_wq;
static unsigned long m3_returned, m3_runs;
static bool m3_drain;

static void m3_destroy_fn(struct bh_work *w)
{
	(void)w;
	if (m3_drain)
		bh_drain_workqueue(m3_wq);
	else
		bh_destroy_workqueue(m3_wq);
	th_st(&m3_returned, 1);
}

static void m3_count_fn(struct bh_work *w)
{
	(void)w;
	th_inc(&m3_runs);
}

static int m3_destroy_self(void)
{
	static struct bh_work w, later;

	m3_wq = bh_alloc_workqueue("selfdestruct", 0, 0);
	CHECK(1, m3_wq);
	bh_work_init(&w, m3_destroy_fn);
	bh_work_init(&later, m3_count_fn);
	unsigned long w0 = bh_warn_count();
	CHECK(2, bh_queue_work(m3_wq, &w));
	CHECK(3, wait_log());
	/* The call returned instead of waiting for its own caller ... */
	CHECK(4, th_wait_ge(&m3_returned, 1));
	CHECK(5, bh_warn_count() == w0 + 1);
	/* ... and left the queue as it was: it still runs items, and its
	 * owner can destroy it properly afterwards. */
	CHECK(6, bh_queue_work(m3_wq, &later));
	CHECK(7, th_wait_ge(&m3_runs, 1));
	bh_destroy_workqueue(m3_wq);
	CHECK(8, bh_warn_count() == w0 + 1);
	return 0;
}

/*
 * SPEC M3: destroy_workqueue from one of the queue's own items drains it,
 * and so flushes it from one of its items: the kernel deadlocks there and
 * lockdep reports the pseudo-lock (wq_completion)<name>, as for
 * flush_workqueue. The library reports it the same way and returns
 * without destroying anything.
 */
static void test_m3_destroy_from_own_item_reported(void **state)
{
	(void)state;
	m3_drain = false;
	struct child_case c = {.fn = m3_destroy_self,
			       .nr_cpus = 2,
			       .watch = "(wq_completion)selfdestruct"};

	run_case(&c);
	assert_true(out_has(RECURSIVE));
}

/* SPEC M3: the same through drain_workqueue. */
static void test_m3_drain_from_own_item_reported(void **state)
{
	(void)state;
	m3_drain = true;
	struct child_case c = {.fn = m3_destroy_self,
			       .nr_cpus = 2,
			       .watch = "(wq_completion)selfdestruct"};

	run_case(&c);
	assert_true(out_has(RECURSIVE));
}

/* M13: an item that blocks where the pool cannot see it (a plain read). */
static int m13_pipe[2];
static unsigned long m13_started, m13_second;

static void m13_stuck_fn(struct bh_work *w)
{
	char c;

	(void)w;
	th_st(&m13_started, 1);
	while (read(m13_pipe[0], &c, 1) < 0 && errno == EINTR)
		;
}

static void m13_second_fn(struct bh_work *w)
{
	(void)w;
	th_st(&m13_second, 1);
}

static int m13_lockup(void)
{
	static struct bh_work stuck, second;

	CHECK(1, pipe(m13_pipe) == 0);
	bh_work_init(&stuck, m13_stuck_fn);
	bh_work_init(&second, m13_second_fn);
	CHECK(2, bh_queue_work_on(0, bh_system_wq, &stuck));
	CHECK(3, th_wait_ge(&m13_started, 1));
	CHECK(4, bh_queue_work_on(0, bh_system_wq, &second));
	bool seen = wait_log();
	char c = 'x';
	CHECK(5, write(m13_pipe[1], &c, 1) == 1);
	CHECK(6, seen);
	CHECK(7, th_wait_ge(&m13_second, 1));
	CHECK(8, th_ld(&m13_second) == 1);
	return 0;
}

/*
 * SPEC M13: with a small watchdog threshold, a pool whose first item makes
 * no progress (the running item blocks in a plain system call, invisible
 * to the pool, and the CPU-intensive mark is far off) is reported as a
 * lockup with a dump of the workqueues. The test releases the item, and
 * the waiting one runs.
 */
static void test_m13_watchdog_lockup(void **state)
{
	(void)state;
	struct child_case c = {
		.fn = m13_lockup,
		.nr_cpus = 1,
		.watchdog_ms = 100,
		.intensive_us = 60u * 1000u * 1000u,
		.watch = "BUG: workqueue lockup",
	};

	run_case(&c);
	assert_true(out_has("BUG: workqueue lockup - pool cpus=0"));
	assert_true(out_has("stuck for"));
	assert_true(out_has("Showing busy workqueues"));
}

/* ---- bad arguments (U9) ------------------------------------------------ */

static int u9_nulls(void)
{
	static struct bh_work w;
	static struct bh_delayed_work dw;
	struct bh_wq_stats st;
	unsigned long w0;
	int n = 0;

	bh_work_init(&w, fn_a);
	bh_delayed_work_init(&dw, fn_a);

#define EXPECT_WARN(k, expr)                                                   \
	do {                                                                   \
		w0 = bh_warn_count();                                          \
		CHECK(k, !(expr));                                             \
		CHECK(k + 100, bh_warn_count() == w0 + 1);                     \
		n++;                                                           \
	} while (0)

	EXPECT_WARN(1, bh_queue_work(NULL, &w));
	EXPECT_WARN(2, bh_queue_work(bh_system_wq, NULL));
	EXPECT_WARN(3, bh_queue_work_on(0, NULL, &w));
	EXPECT_WARN(4, bh_queue_delayed_work(NULL, &dw, 1));
	EXPECT_WARN(5, bh_queue_delayed_work(bh_system_wq, NULL, 1));
	EXPECT_WARN(6, bh_mod_delayed_work(bh_system_wq, NULL, 1));
	EXPECT_WARN(7, bh_mod_delayed_work(NULL, &dw, 1));
	EXPECT_WARN(8, bh_schedule_work(NULL));
	EXPECT_WARN(9, bh_flush_work(NULL));
	EXPECT_WARN(10, bh_flush_delayed_work(NULL));
	EXPECT_WARN(11, bh_cancel_work(NULL));
	EXPECT_WARN(12, bh_cancel_work_sync(NULL));
	EXPECT_WARN(13, bh_cancel_delayed_work(NULL));
	EXPECT_WARN(14, bh_cancel_delayed_work_sync(NULL));
	EXPECT_WARN(15, bh_disable_work(NULL));
	EXPECT_WARN(16, bh_disable_work_sync(NULL));
	EXPECT_WARN(17, bh_enable_work(NULL));
	/*
	 * enable_and_queue_work returns what enable_work returned, as the
	 * kernel's does, whatever the queueing did: only the warning is
	 * required (at depth 0 there may be an underflow warning too, X5).
	 */
	w0 = bh_warn_count();
	bh_enable_and_queue_work(NULL, &w);
	CHECK(118, bh_warn_count() >= w0 + 1);
	n++;
	EXPECT_WARN(19, bh_disable_delayed_work(NULL));
	EXPECT_WARN(20, bh_enable_delayed_work(NULL));
	CHECK(200, n == 20);
	/* An advisory read: fails, need not warn. */
	CHECK(24, bh_workqueue_get_stats(NULL, &st) == -EINVAL);

	/* Calls without a result warn too. */
	w0 = bh_warn_count();
	bh_flush_workqueue(NULL);
	bh_drain_workqueue(NULL);
	bh_destroy_workqueue(NULL);
	bh_workqueue_set_max_active(NULL, 1);
	bh_work_init(NULL, fn_a);
	bh_delayed_work_init(NULL, fn_a);
	CHECK(201, bh_warn_count() == w0 + 6);
	/* Nothing was left queued by the failures. */
	CHECK(202, !bh_work_pending(&w) && !bh_delayed_work_pending(&dw));
	CHECK(203, bh_alloc_workqueue("badflags", 1u << 30, 0) == NULL);

	/*
	 * A CPU that was never online (Q2: a bug): a warning (once per
	 * kind of call, D13) and no crash; where the item goes is not
	 * specified, so it is taken back afterwards.
	 */
	w0 = bh_warn_count();
	bh_queue_work_on(-1, bh_system_wq, &w);
	bh_queue_work_on(bh_nr_cpus(), bh_system_wq, &w);
	bh_queue_delayed_work_on(-1, bh_system_wq, &dw, 1);
	bh_queue_delayed_work_on(bh_nr_cpus(), bh_system_wq, &dw, 1);
	CHECK(204, bh_warn_count() >= w0 + 2);
	bh_cancel_work_sync(&w);
	bh_cancel_delayed_work_sync(&dw);
	return 0;
#undef EXPECT_WARN
}

/*
 * SPEC U9: NULL workqueues and items, and CPUs out of range, warn and fail
 * rather than crash.
 */
static void test_u9_null_arguments(void **state)
{
	(void)state;
	in_child(u9_nulls, false);
	/* The exact texts of a few (each warns once per call). */
	assert_true(out_has("bh: bh_queue_work_on() on a NULL workqueue"));
	assert_true(out_has("bh: bh_queue_work_on(NULL)"));
	assert_true(out_has("bh: bh_queue_delayed_work_on() with a NULL "
			    "workqueue"));
	assert_true(out_has("bh: bh_flush_work(NULL)"));
	assert_true(out_has("bh: bh_cancel_work(NULL)"));
}

static int u9_stopped(void)
{
	static struct bh_work w;
	struct bh_workqueue *wq = bh_alloc_workqueue("gone", 0, 0);

	CHECK(1, wq);
	bh_work_init(&w, fn_a);
	bh_destroy_workqueue(wq);
	CHECK(2, bh_shutdown() >= 0);
	CHECK(3, bh_system_wq == NULL);
	/* Without a runtime: fail and warn, no crash. */
	unsigned long w0 = bh_warn_count();
	CHECK(4, !bh_schedule_work(&w));
	CHECK(5, bh_alloc_workqueue("late", 0, 0) == NULL);
	CHECK(6, !bh_work_pending(&w));
	(void)w0;
	/* child_main's own shutdown then finds nothing running: re-init. */
	struct bh_config cfg;
	th_child_config(&cfg, 1, true);
	CHECK(7, bh_init(&cfg) == 0);
	return 0;
}

/* SPEC U9: after bh_shutdown() queueing fails instead of crashing. */
static void test_u9_after_shutdown(void **state)
{
	(void)state;
	in_child(u9_stopped, true);
	assert_true(out_has("() while the runtime is not running (before "
			    "bh_init() or after bh_shutdown())"));
}

#define TT(fn)                                                                 \
	cmocka_unit_test_setup_teardown(fn, setup_threaded,                    \
					th_teardown_shutdown)
#define TC(fn) cmocka_unit_test_teardown(fn, th_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TC(test_m1_flush_work_from_own_callback),
		TC(test_m1_flush_delayed_work_from_own_callback),
		TC(test_m2_cancel_sync_from_own_callback),
		TC(test_m2_disable_sync_from_own_callback),
		TC(test_m3_flush_workqueue_from_own_item),
		TC(test_m6_free_active),
		TC(test_m6_init_active),
		TC(test_m6_activate_uninitialised),
		TC(test_m7_destroy_on_stack_pending),
		TC(test_m8_flush_uninitialised),
		TC(test_m10_linked_entry_skipped),
		TT(test_m11_flush_system_wq_warns),
		TC(test_w13_leak_bh_disabled),
		TC(test_w13_leak_irqs_disabled),
		TC(test_w13_leak_spinlock),
		TC(test_w13_leak_preempt),
		TT(test_w13_balanced_silent),
		TT(test_c8_queue_while_destroying),
		TT(test_d14_destroy_with_armed_delayed_work),
		TC(test_d14_destroy_bh_with_armed_delayed_work),
		TC(test_m3_destroy_from_own_item_reported),
		TC(test_m3_drain_from_own_item_reported),
		TC(test_m13_watchdog_lockup),
		TC(test_u9_null_arguments),
		TC(test_u9_after_shutdown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
