/* SPDX-License-Identifier: MIT */
/*
 * Workqueues created and destroyed under load. A lifecycle thread makes a
 * workqueue (per-CPU, unbound, ordered, BH, or per-CPU with a rescuer and
 * high priority, in turn) with its own items, lets the worker threads and
 * the signal storm queue and cancel them for a while, then closes the
 * slot, cancels the items' timers (SPEC C7: the caller's job), queues a
 * few items that re-queue themselves (chained queueing, allowed while the
 * queue drains: C6; not on BH queues, see life_end()), and destroys the
 * workqueue. destroy_workqueue() runs
 * everything queued (U6, C7), so after it every item is at rest and
 * passes the exact count of works.c; then the items are freed, and ASan
 * catches any later touch by the library.
 */
#include "torture.h"

#include <stdio.h>
#include <stdlib.h>

#define NLI	    8
#define LIFETIME_MS 20

struct life;

struct litem {
	struct bh_delayed_work dw;
	struct tt_excl ex;
	struct life *life;
	unsigned long from_idle, taken, runs; /* A */
	unsigned long chain;		      /* A */
};

struct life {
	struct bh_workqueue *wq;
	unsigned flavour;
	struct litem items[NLI];
};

static struct tt_slot slot;
static unsigned long generations;

static const struct {
	const char *name;
	unsigned flags;
	bool ordered;
} flavours[] = {
	{"percpu", BH_WQ_PERCPU, false},
	{"unbound", BH_WQ_UNBOUND, false},
	{"ordered", 0, true},
	{"bh", BH_WQ_BH, false},
	{"reclaim-highpri", BH_WQ_PERCPU | BH_WQ_MEM_RECLAIM | BH_WQ_HIGHPRI,
	 false},
};
#define NFLAVOURS (sizeof(flavours) / sizeof(flavours[0]))

static void litem_cb(struct bh_work *w)
{
	struct litem *it =
		bh_container_of(bh_to_delayed_work(w), struct litem, dw);
	unsigned long left;

	tt_run_enter(&it->ex, "lifecycle work", it);
	__atomic_fetch_add(&it->runs, 1, __ATOMIC_RELAXED);
	left = __atomic_load_n(&it->chain, __ATOMIC_RELAXED);
	/* C6: a queue from the queue's own running item, even mid-drain. */
	if (left &&
	    __atomic_compare_exchange_n(&it->chain, &left, left - 1, false,
					__ATOMIC_RELAXED, __ATOMIC_RELAXED) &&
	    bh_queue_work(it->life->wq, &it->dw.work))
		__atomic_fetch_add(&it->from_idle, 1, __ATOMIC_RELAXED);
	tt_run_exit(&it->ex);
}

static struct life *life_new(void)
{
	struct life *l = calloc(1, sizeof(*l));
	unsigned f = (unsigned)(generations % NFLAVOURS);

	if (!l) {
		perror("bh-torture: calloc");
		exit(TT_EXIT_VIOLATION);
	}
	l->flavour = f;
	if (flavours[f].ordered)
		l->wq = bh_alloc_ordered_workqueue("torture-life-%lu", 0,
						   generations);
	else
		l->wq = bh_alloc_workqueue("torture-life-%lu",
					   flavours[f].flags, 0, generations);
	if (!l->wq) {
		tt_violation("alloc_workqueue failed", "flavour %s",
			     flavours[f].name);
		free(l);
		return NULL;
	}
	for (int i = 0; i < NLI; i++) {
		bh_delayed_work_init(&l->items[i].dw, litem_cb);
		l->items[i].life = l;
	}
	generations++;
	return l;
}

/* Close the slot, bring the queue down, check every item, free it all. */
static void life_end(struct life *l)
{
	tt_op_begin("workqueue teardown");
	tt_slot_drain(&slot);
	for (int i = 0; i < NLI; i++)
		if (bh_cancel_delayed_work_sync(&l->items[i].dw))
			__atomic_fetch_add(&l->items[i].taken, 1,
					   __ATOMIC_RELAXED);
	/*
	 * Not on a BH queue: a BH item runs in softirq context, where the
	 * kernel's is_chained_work() finds no worker, so its re-queue
	 * mid-drain is refused like an outsider's (C8, with a warning).
	 */
	for (int i = 0; i < (flavours[l->flavour].flags & BH_WQ_BH ? 0 : 2);
	     i++) {
		__atomic_store_n(&l->items[i].chain, 2, __ATOMIC_RELAXED);
		if (bh_queue_work(l->wq, &l->items[i].dw.work))
			__atomic_fetch_add(&l->items[i].from_idle, 1,
					   __ATOMIC_RELAXED);
	}
	tt_op_begin("destroy_workqueue");
	bh_destroy_workqueue(l->wq);
	tt_op_begin("workqueue teardown");
	for (int i = 0; i < NLI; i++) {
		struct litem *it = &l->items[i];
		unsigned long q = __atomic_load_n(&it->from_idle,
						  __ATOMIC_ACQUIRE),
			      r = __atomic_load_n(&it->runs, __ATOMIC_ACQUIRE),
			      t = __atomic_load_n(&it->taken, __ATOMIC_ACQUIRE);

		tt_checked(2);
		if (bh_work_busy(&it->dw.work))
			tt_violation("item busy after destroy_workqueue "
				     "(SPEC C7, U6)",
				     "item %d of a %s workqueue", i,
				     flavours[l->flavour].name);
		if (q != r + t)
			tt_violation(q > r + t ? "lost execution at "
						 "destroy_workqueue (SPEC "
						 "C7, U6)"
					       : "run or cancel too many "
						 "(SPEC W2, C9)",
				     "item %d of a %s workqueue: %lu queued "
				     "from idle, but %lu runs + %lu cancelled",
				     i, flavours[l->flavour].name, q, r, t);
	}
	free(l);
	tt_count_op(TK_WQ_LIFE);
	tt_op_end();
}

static void op_async(struct life *l, uint64_t *rng)
{
	struct litem *it = &l->items[tt_below(rng, NLI)];
	unsigned r = tt_below(rng, 4);

	if (r == 0) {
		if (bh_cancel_delayed_work(&it->dw))
			__atomic_fetch_add(&it->taken, 1, __ATOMIC_RELAXED);
	} else if ((r == 1 ? bh_queue_work(l->wq, &it->dw.work)
			   : bh_queue_delayed_work(l->wq, &it->dw,
						   tt_below(rng, 3)))) {
		__atomic_fetch_add(&it->from_idle, 1, __ATOMIC_RELAXED);
	}
}

static void op(uint64_t *rng)
{
	struct life *l = tt_slot_enter(&slot);

	if (!l)
		return;
	tt_count_op(TK_WQ_LIFE);
	op_async(l, rng);
	if (tt_below(rng, 50) == 0) {
		tt_op_begin("flush_workqueue (lifecycle)");
		bh_flush_workqueue(l->wq);
		tt_op_end();
	}
	tt_slot_leave(&slot);
}

static void sig(uint64_t *rng)
{
	struct life *l = tt_slot_enter(&slot);

	if (!l)
		return;
	tt_count_op(TK_WQ_LIFE);
	op_async(l, rng);
	tt_slot_leave_deferred(&slot);
}

static int init(void)
{
	struct life *l = life_new();

	if (!l)
		return -1;
	tt_slot_reopen(&slot, l);
	return 0;
}

/* The lifecycle thread's loop (main.c runs it in its own thread). */
void tt_wq_life_loop(void);
void tt_wq_life_loop(void)
{
	while (!__atomic_load_n(&tt_stop, __ATOMIC_ACQUIRE)) {
		struct life *old, *l;
		uint64_t end = tt_now_ns() + LIFETIME_MS * 1000000ull;

		while (tt_now_ns() < end &&
		       !__atomic_load_n(&tt_stop, __ATOMIC_ACQUIRE))
			tt_pause_us(1000);
		old = __atomic_load_n(&slot.obj, __ATOMIC_ACQUIRE);
		life_end(old);
		l = life_new();
		if (!l)
			break;
		tt_slot_reopen(&slot, l);
	}
}

static void fini(void)
{
	struct life *l = __atomic_load_n(&slot.obj, __ATOMIC_ACQUIRE);

	/* The loop left a live queue behind it (or none if alloc failed). */
	if (l && !__atomic_load_n(&slot.dying, __ATOMIC_ACQUIRE))
		life_end(l);
}

const struct tt_torturer tt_wq_life = {
	.name = "workqueue lifecycle",
	.init = init,
	.op = op,
	.sig = sig,
	.fini = fini,
};
