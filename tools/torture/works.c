/* SPDX-License-Identifier: MIT */
/*
 * Work and delayed work on the four long-lived workqueues: per-CPU,
 * unbound, ordered and BH. Five kinds of item, by what may happen to them
 * (the same split as tests/test_wq_signal.c, whose counts it reuses):
 *   F   queue_work, a callback that re-queues itself, and the continuous
 *       W5 check: stamp, queue, flush_work, the stamp must have been seen
 *   Q   delayed: queue_work, queue_delayed_work, mod_delayed_work
 *   C   queue_work, cancel_work, cancel_work_sync
 *   CD  delayed: queue_delayed_work, cancel_delayed_work,
 *       cancel_delayed_work_sync
 *   D   queue_work, flush_work, disable_work[_sync] + enable_work, with
 *       the X2 check: a queue while disabled must fail
 * (mod_delayed_work is kept off the kinds that are cancelled or disabled:
 * there it may fail and return false, the same value as for an idle item
 * it queued, so its count would be ambiguous.)
 *
 * The exact count, per item: it goes from idle to pending only by a queue
 * that returns true (or a mod_delayed_work that returns false: it found
 * the item idle), and back only by the start of a run, or a cancel or
 * disable that returns true. So once the item is at rest,
 *     queued-from-idle == runs + cancels/disables that returned true.
 * A queueing lost by the library shows as a missing run (SPEC W5); a run
 * too many, or a wrong return value, shows too. Each kill (slot drained,
 * then the kind's _sync call) brings one item to rest and checks it; so
 * does the quiesce at the end, for all.
 *
 * Every callback checks W6 (exclusion), the dead flag (no run after a
 * cancel_*_sync/disable_work_sync that returned with the slot closed),
 * and, on the ordered queue, that it runs alone (F7).
 */
#include "torture.h"

#include <stdio.h>
#include <stdlib.h>

enum { K_F, K_Q, K_C, K_CD, K_D, NKINDS };
static const char *const kind_name[NKINDS] = {"F", "Q", "C", "CD", "D"};
#define PER    2 /* items per kind and workqueue */
#define NITEMS (NKINDS * TT_NWQ * PER)

struct bh_workqueue *tt_wq[TT_NWQ];
const char *const tt_wq_name[TT_NWQ] = {"percpu", "unbound", "ordered", "bh"};

struct tt_work {
	struct bh_delayed_work dw; /* plain kinds use dw.work only */
	struct tt_excl ex;
	struct tt_slot *slot;
	int kind, wqi;
	unsigned long seq, max_seen; /* A: W5 witness (F, Q) */
	unsigned long from_idle;     /* A: idle -> pending transitions */
	unsigned long taken;	     /* A: cancels/disables returning true */
	unsigned long runs;	     /* A: runs counted */
	unsigned long chain;	     /* A: self re-queues left (F) */
	int dead;		     /* A: set when the kill returned */
};

static struct tt_slot slots[NITEMS];

void tt_ordered_enter(void);
void tt_ordered_exit(void);

static void inc(unsigned long *p)
{
	__atomic_fetch_add(p, 1, __ATOMIC_RELAXED);
}

static void count(bool r, unsigned long *if_true)
{
	if (r)
		inc(if_true);
}

static void atomic_max(unsigned long *p, unsigned long v)
{
	unsigned long cur = __atomic_load_n(p, __ATOMIC_RELAXED);
	while (cur < v &&
	       !__atomic_compare_exchange_n(p, &cur, v, true, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED))
		;
}

static void work_cb(struct bh_work *w)
{
	struct tt_work *o =
		bh_container_of(bh_to_delayed_work(w), struct tt_work, dw);
	unsigned long left;

	tt_check_not_dead(&o->dead, "work", o);
	if (o->wqi == TT_WQ_ORDERED)
		tt_ordered_enter();
	tt_run_enter(&o->ex, "work", o);
	/* W5: the run sees the stores made before the queueing. */
	atomic_max(&o->max_seen, __atomic_load_n(&o->seq, __ATOMIC_ACQUIRE));
	if (!tt_inject_lost_run())
		inc(&o->runs);
	/* W4: re-queue from the callback, through the slot like anyone. */
	left = __atomic_load_n(&o->chain, __ATOMIC_RELAXED);
	if (left &&
	    __atomic_compare_exchange_n(&o->chain, &left, left - 1, false,
					__ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
		/* NULL: the slot is closing (a kill); enter undid itself */
		if (tt_slot_enter(o->slot)) {
			__atomic_fetch_add(&o->seq, 1, __ATOMIC_SEQ_CST);
			count(bh_queue_work(tt_wq[o->wqi], &o->dw.work),
			      &o->from_idle);
			tt_slot_leave(o->slot);
		}
	}
	tt_run_exit(&o->ex);
	if (o->wqi == TT_WQ_ORDERED)
		tt_ordered_exit();
}

static struct tt_work *work_new(int kind, int wqi, struct tt_slot *s)
{
	struct tt_work *o = calloc(1, sizeof(*o));

	if (!o) {
		perror("bh-torture: calloc");
		exit(TT_EXIT_VIOLATION);
	}
	bh_delayed_work_init(&o->dw, work_cb);
	o->kind = kind;
	o->wqi = wqi;
	o->slot = s;
	return o;
}

static int init(void)
{
	tt_wq[TT_WQ_PERCPU] =
		bh_alloc_workqueue("torture-percpu", BH_WQ_PERCPU, 0);
	tt_wq[TT_WQ_UNBOUND] =
		bh_alloc_workqueue("torture-unbound", BH_WQ_UNBOUND, 0);
	tt_wq[TT_WQ_ORDERED] = bh_alloc_ordered_workqueue("torture-ordered", 0);
	tt_wq[TT_WQ_BH] = bh_alloc_workqueue("torture-bh", BH_WQ_BH, 0);
	for (int i = 0; i < TT_NWQ; i++)
		if (!tt_wq[i])
			return -1;
	for (int i = 0; i < NITEMS; i++) {
		int kind = i % NKINDS, wqi = (i / NKINDS) % TT_NWQ;
		tt_slot_reopen(&slots[i], work_new(kind, wqi, &slots[i]));
	}
	return 0;
}

static unsigned long d_of(uint64_t *rng)
{
	return tt_below(rng, 3); /* 0..2 jiffies: timers fire often */
}

/* Operations shared by threads and handlers (U1 calls only). */
static void op_async(struct tt_work *o, uint64_t *rng)
{
	struct bh_workqueue *wq = tt_wq[o->wqi];
	unsigned r = tt_below(rng, 3);

	switch (o->kind) {
	case K_F:
		__atomic_fetch_add(&o->seq, 1, __ATOMIC_SEQ_CST);
		count(bh_queue_work(wq, &o->dw.work), &o->from_idle);
		break;
	case K_Q:
		__atomic_fetch_add(&o->seq, 1, __ATOMIC_SEQ_CST);
		if (r == 0)
			count(bh_queue_work(wq, &o->dw.work), &o->from_idle);
		else if (r == 1)
			count(bh_queue_delayed_work(wq, &o->dw, d_of(rng)),
			      &o->from_idle);
		else /* D7: false means it found the item idle and queued */
			count(!bh_mod_delayed_work(wq, &o->dw, d_of(rng)),
			      &o->from_idle);
		break;
	case K_C:
		if (r)
			count(bh_queue_work(wq, &o->dw.work), &o->from_idle);
		else
			count(bh_cancel_work(&o->dw.work), &o->taken);
		break;
	case K_CD:
		if (r)
			count(bh_queue_delayed_work(wq, &o->dw, d_of(rng)),
			      &o->from_idle);
		else
			count(bh_cancel_delayed_work(&o->dw), &o->taken);
		break;
	case K_D:
		count(bh_queue_work(wq, &o->dw.work), &o->from_idle);
		break;
	}
}

/* F: W5, continuously. Only queueings happen to F items, so the flush
 * waits for an instance that starts after the stamp. */
static void check_w5_flush(struct tt_work *o)
{
	unsigned long stamp = __atomic_add_fetch(&o->seq, 1, __ATOMIC_SEQ_CST);

	count(bh_queue_work(tt_wq[o->wqi], &o->dw.work), &o->from_idle);
	tt_op_begin("flush_work");
	bh_flush_work(&o->dw.work);
	tt_op_end();
	tt_checked(1);
	if (__atomic_load_n(&o->max_seen, __ATOMIC_ACQUIRE) < stamp)
		tt_violation("lost execution (SPEC W5, C1)",
			     "work %p (F on %s): flush_work returned before "
			     "a run that saw queueing #%lu (last run saw #%lu)",
			     (void *)o, tt_wq_name[o->wqi], stamp,
			     __atomic_load_n(&o->max_seen, __ATOMIC_RELAXED));
}

/* D: hold a disable, check X2, release it. */
static void disable_check_enable(struct tt_work *o, bool sync)
{
	tt_op_begin(sync ? "disable_work_sync" : "disable_work");
	count(sync ? bh_disable_work_sync(&o->dw.work)
		   : bh_disable_work(&o->dw.work),
	      &o->taken);
	tt_checked(1);
	if (bh_queue_work(tt_wq[o->wqi], &o->dw.work)) {
		inc(&o->from_idle); /* keep the count honest */
		tt_violation("queue of a disabled item succeeded (SPEC X2)",
			     "work %p on %s", (void *)o, tt_wq_name[o->wqi]);
	}
	bh_enable_work(&o->dw.work);
	tt_op_end();
}

static void op(uint64_t *rng)
{
	struct tt_slot *s = &slots[tt_below(rng, NITEMS)];
	struct tt_work *o = tt_slot_enter(s);
	unsigned r = tt_below(rng, 100);

	if (!o)
		return;
	tt_count_op(o->kind == K_Q || o->kind == K_CD ? TK_DWORK : TK_WORK);
	switch (o->kind) {
	case K_F:
		if (r < 20)
			check_w5_flush(o);
		else if (r < 30)
			__atomic_store_n(&o->chain, 2, __ATOMIC_RELAXED);
		op_async(o, rng);
		break;
	case K_C:
		if (r < 15) {
			tt_op_begin("cancel_work_sync");
			count(bh_cancel_work_sync(&o->dw.work), &o->taken);
			tt_op_end();
		} else {
			op_async(o, rng);
		}
		break;
	case K_CD:
		if (r < 15) {
			tt_op_begin("cancel_delayed_work_sync");
			count(bh_cancel_delayed_work_sync(&o->dw), &o->taken);
			tt_op_end();
		} else {
			op_async(o, rng);
		}
		break;
	case K_D:
		if (r < 10) {
			disable_check_enable(o, r & 1);
		} else if (r < 15) {
			tt_op_begin("flush_work");
			bh_flush_work(&o->dw.work);
			tt_op_end();
		} else {
			op_async(o, rng);
		}
		break;
	default:
		op_async(o, rng);
		break;
	}
	tt_slot_leave(s);
	if (r == 99) {
		/* C4: a queue-wide flush amid the storm (never livelocks) */
		tt_op_begin("flush_workqueue");
		bh_flush_workqueue(tt_wq[tt_below(rng, TT_NWQ)]);
		tt_op_end();
	}
}

static void sig(uint64_t *rng)
{
	struct tt_slot *s = &slots[tt_below(rng, NITEMS)];
	struct tt_work *o = tt_slot_enter(s);

	if (!o)
		return;
	tt_count_op(o->kind == K_Q || o->kind == K_CD ? TK_DWORK : TK_WORK);
	op_async(o, rng);
	tt_slot_leave_deferred(s);
}

/*
 * Bring the item at rest with nobody else touching it, check it, and
 * mark it dead: a run after this is a violation.
 */
static void kill_slot(struct tt_slot *s, bool reopen, bool wait_fire)
{
	struct tt_work *o;
	unsigned long q, r, t;

	tt_op_begin("work kill");
	tt_slot_drain(s);
	o = __atomic_load_n(&s->obj, __ATOMIC_ACQUIRE);
	switch (o->kind) {
	case K_F:
	case K_Q:
		/* Never cancelled: the last queueing must run (W5). */
		if (o->kind == K_F)
			bh_flush_work(&o->dw.work);
		else
			bh_flush_delayed_work(&o->dw);
		tt_checked(1);
		if (__atomic_load_n(&o->max_seen, __ATOMIC_ACQUIRE) !=
		    __atomic_load_n(&o->seq, __ATOMIC_RELAXED))
			tt_violation("lost execution (SPEC W5)",
				     "work %p (%s on %s): queueing #%lu never "
				     "ran (last run saw #%lu)",
				     (void *)o, kind_name[o->kind],
				     tt_wq_name[o->wqi], o->seq, o->max_seen);
		/* The F callback may have re-queued itself meanwhile. */
		count(bh_cancel_delayed_work_sync(&o->dw), &o->taken);
		break;
	case K_C:
		count(bh_cancel_work_sync(&o->dw.work), &o->taken);
		break;
	case K_CD:
		if (wait_fire) {
			/* D3, K2: an armed delayed item gets queued and runs;
			 * one that never does is a stall the watchdog
			 * reports. */
			tt_op_begin("waiting for delayed work to run (SPEC "
				    "D3)");
			while (bh_delayed_work_pending(&o->dw))
				tt_pause_us(200);
			tt_op_begin("work kill");
		}
		count(bh_cancel_delayed_work_sync(&o->dw), &o->taken);
		break;
	case K_D:
		count(bh_disable_work_sync(&o->dw.work), &o->taken);
		bh_enable_work(&o->dw.work);
		break;
	}
	__atomic_store_n(&o->dead, 1, __ATOMIC_RELEASE);
	q = __atomic_load_n(&o->from_idle, __ATOMIC_ACQUIRE);
	r = __atomic_load_n(&o->runs, __ATOMIC_ACQUIRE);
	t = __atomic_load_n(&o->taken, __ATOMIC_ACQUIRE);
	tt_checked(2);
	if (bh_delayed_work_pending(&o->dw) || bh_work_busy(&o->dw.work))
		tt_violation("item busy after its _sync cancel (SPEC C10, "
			     "D11, X4)",
			     "work %p (%s on %s)", (void *)o,
			     kind_name[o->kind], tt_wq_name[o->wqi]);
	if (q != r + t)
		tt_violation(q > r + t ? "lost execution (SPEC W5)"
				       : "run or cancel too many (SPEC W2, "
					 "W5, C9)",
			     "work %p (%s on %s): %lu queued from idle, but "
			     "%lu runs + %lu cancelled",
			     (void *)o, kind_name[o->kind], tt_wq_name[o->wqi],
			     q, r, t);
	if (reopen)
		tt_slot_reopen(s, work_new(o->kind, o->wqi, s));
	tt_grave_put(o);
	tt_count_op(TK_KILL);
	tt_op_end();
}

static void kill_one(uint64_t *rng)
{
	kill_slot(&slots[tt_below(rng, NITEMS)], true, tt_below(rng, 2));
}

static void fini(void)
{
	for (int i = 0; i < NITEMS; i++)
		kill_slot(&slots[i], false, true);
}

const struct tt_torturer tt_works = {
	.name = "works",
	.init = init,
	.op = op,
	.sig = sig,
	.kill_one = kill_one,
	.fini = fini,
};
