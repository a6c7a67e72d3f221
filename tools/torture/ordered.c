/* SPDX-License-Identifier: MIT */
/*
 * Ordered workqueue (SPEC F7): at most one item runs at a time, system-
 * wide, and items run in the order they were queued.
 *
 * Order: each worker thread owns ITEMS items on the ordered queue that no
 * one else touches. It queues one only when the item's previous instance
 * has started (so the queue must succeed, W2), after writing the next
 * number of its own sequence into it. Runs of one producer's items must
 * then see that producer's numbers strictly increasing. Queueing order
 * across producers is not defined, so it is not checked.
 *
 * One at a time: every callback on the ordered queue (these and the
 * shared items of works.c) takes a flag by exchange at entry.
 */
#include "torture.h"

#include <stdio.h>
#include <stdlib.h>

#define ITEMS	      4
#define MAX_PRODUCERS 1024

struct tt_oitem {
	struct bh_work w;
	struct tt_excl ex;
	int producer;
	unsigned long qseq;	/* T: written by the producer before queueing */
	unsigned long issued;	/* T: queueings by the producer */
	unsigned long consumed; /* A: runs started */
};

struct producer {
	struct tt_oitem items[ITEMS];
	unsigned long next_seq; /* T */
	unsigned long last_run; /* A: last qseq run (runs are serialised) */
	unsigned rr;
};

static struct producer *producers;
static int nproducers;
static int ordered_running;

void tt_ordered_enter(void);
void tt_ordered_exit(void);

void tt_ordered_enter(void)
{
	tt_checked(1);
	if (__atomic_exchange_n(&ordered_running, 1, __ATOMIC_ACQ_REL))
		tt_violation("two items running at once on the ordered "
			     "workqueue (SPEC F7)",
			     "torture-ordered");
}

void tt_ordered_exit(void)
{
	__atomic_store_n(&ordered_running, 0, __ATOMIC_RELEASE);
}

static void oitem_cb(struct bh_work *w)
{
	struct tt_oitem *it = bh_container_of(w, struct tt_oitem, w);
	struct producer *p = &producers[it->producer];
	unsigned long seq = __atomic_load_n(&it->qseq, __ATOMIC_ACQUIRE);
	unsigned long last;

	tt_ordered_enter();
	last = __atomic_load_n(&p->last_run, __ATOMIC_RELAXED);
	tt_run_enter(&it->ex, "ordered work", it);
	tt_checked(1);
	if (seq <= last)
		tt_violation("ordered workqueue ran out of queueing order "
			     "(SPEC F7)",
			     "producer %d: item #%lu ran after #%lu",
			     it->producer, seq, last);
	__atomic_store_n(&p->last_run, seq, __ATOMIC_RELAXED);
	/* Release: the producer's acquire sees the run started. */
	__atomic_fetch_add(&it->consumed, 1, __ATOMIC_RELEASE);
	tt_run_exit(&it->ex);
	tt_ordered_exit();
}

static int init(void)
{
	nproducers = tt_opts.threads;
	producers = calloc((size_t)nproducers, sizeof(*producers));
	if (!producers)
		return -1;
	for (int p = 0; p < nproducers; p++)
		for (int i = 0; i < ITEMS; i++) {
			bh_work_init(&producers[p].items[i].w, oitem_cb);
			producers[p].items[i].producer = p;
		}
	return 0;
}

static void op(uint64_t *rng)
{
	struct producer *p;
	struct tt_oitem *it;

	(void)rng;
	if (!tt_self || tt_self->id >= nproducers)
		return;
	p = &producers[tt_self->id];
	it = &p->items[p->rr++ % ITEMS];
	if (__atomic_load_n(&it->consumed, __ATOMIC_ACQUIRE) != it->issued)
		return; /* still pending */
	tt_count_op(TK_ORDERED);
	__atomic_store_n(&it->qseq, ++p->next_seq, __ATOMIC_RELEASE);
	it->issued++;
	tt_checked(1);
	if (!bh_queue_work(tt_wq[TT_WQ_ORDERED], &it->w)) {
		it->issued--;
		tt_violation("queue of an idle item failed (SPEC W2, W3)",
			     "ordered item %p of producer %d", (void *)it,
			     tt_self->id);
	}
}

static void fini(void)
{
	tt_op_begin("flush ordered workqueue");
	bh_flush_workqueue(tt_wq[TT_WQ_ORDERED]);
	tt_op_end();
	for (int p = 0; p < nproducers; p++)
		for (int i = 0; i < ITEMS; i++) {
			struct tt_oitem *it = &producers[p].items[i];
			tt_checked(1);
			if (__atomic_load_n(&it->consumed, __ATOMIC_ACQUIRE) !=
			    it->issued)
				tt_violation("lost execution (SPEC W5, C4)",
					     "ordered item %p of producer %d: "
					     "%lu queued, %lu ran",
					     (void *)it, p, it->issued,
					     it->consumed);
		}
	free(producers);
	producers = NULL;
}

const struct tt_torturer tt_ordered = {
	.name = "ordered",
	.init = init,
	.op = op,
	.fini = fini,
};
