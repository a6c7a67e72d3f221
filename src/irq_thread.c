// SPDX-License-Identifier: MIT
/*
 * Threaded handlers (request_threaded_irq): one thread per action, named
 * "irq/N-name" as the kernel's, that runs thread_fn in process context
 * each time the primary handler returns IRQ_WAKE_THREAD. Wake-ups that
 * come while thread_fn runs coalesce into one more run (a RUN bit, as the
 * kernel's IRQTF_RUNTHREAD). For IRQF_ONESHOT the action owns a bit of
 * the line's state word, set before the thread is woken and cleared when
 * thread_fn returns: the line stays masked in between.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "irq_internal.h"

static __thread const struct bh__irq_action *cur_action BH__TLS;

const struct bh__irq_action *bh__irq_current_thread_action(void)
{
	return cur_action;
}

/* "irq/N-name", cut to the 15 characters a thread name may have. */
static void thread_name(const struct bh__irq_action *a, char name[16])
{
	char buf[64];
	snprintf(buf, sizeof(buf), "irq/%u-%s", a->irq, a->name ? a->name : "");
	memcpy(name, buf, 15);
	name[15] = '\0';
}

static void run_once(struct bh__irq_desc *d, struct bh__irq_action *a)
{
	/* Acq_rel: the handler's writes before its wake-up (a SEQ_CST RMW
	 * on this word) are visible to thread_fn. */
	__atomic_fetch_and(&a->thread_flags, ~BH__IRQTF_RUN, __ATOMIC_ACQ_REL);
	/* The kernel's irq threads follow the line's affinity. */
	/* Relaxed: a placement hint. */
	bh_thread_set_cpu(__atomic_load_n(&d->cpu, __ATOMIC_RELAXED));
	bh_irqreturn_t r = a->thread_fn((int)a->irq, a->dev_id);
	/* Relaxed: a count note_interrupt() compares, nothing more; it is
	 * looked at one event later at the earliest. */
	if (r == BH_IRQ_HANDLED)
		__atomic_fetch_add(&d->threads_handled, 1, __ATOMIC_RELAXED);
	if (bh__self.preempt_count || bh__self.irqs_off)
		BH_WARN(1,
			"bh: irq/%u-%s: thread function returned in atomic "
			"context (preempt_count %x%s)",
			a->irq, a->name ? a->name : "", bh__self.preempt_count,
			bh__self.irqs_off ? ", irqs disabled" : "");
	bh__irq_finalize_oneshot(d, a);
	/* SEQ_CST: the decrement comes before bh__irq_wake_syncers()'s
	 * load of sync_waiters (Dekker with bh__irq_sync()). */
	__atomic_sub_fetch(&d->threads_active, 1, __ATOMIC_SEQ_CST);
	bh__irq_wake_syncers(d);
}

static void *irq_thread_main(void *arg)
{
	bh__spawned();
	struct bh__irq_action *a = arg;
	struct bh__irq_desc *d = &bh__irq_descs[a->irq];
	char name[16];

	thread_name(a, name);
	pthread_setname_np(pthread_self(), name);
	cur_action = a;
	for (;;) {
		/* Acquire: pairs with the waker's SEQ_CST fetch_or. */
		uint32_t f =
			__atomic_load_n(&a->thread_flags, __ATOMIC_ACQUIRE);
		if (f & BH__IRQTF_RUN) {
			run_once(d, a); /* before STOP: a run owed is run */
			continue;
		}
		if (f & BH__IRQTF_STOP)
			break;
		bh__futex_wait(&a->thread_flags, f, -1);
	}
	cur_action = NULL;
	return NULL;
}

int bh__irq_thread_start(struct bh__irq_desc *d, struct bh__irq_action *a)
{
	(void)d;
	/* Signals blocked: a signal-bound line never runs on this thread. */
	int err = bh__spawn(&a->thread, NULL, irq_thread_main, a, true);
	if (err) {
		bh_printk(BH_LOG_ERR, "bh: cannot create irq/%u-%s: %s\n",
			  a->irq, a->name ? a->name : "", strerror(err));
		return -err;
	}
	char name[16];
	thread_name(a, name);
	pthread_setname_np(a->thread, name);
	a->has_thread = true;
	return 0;
}

void bh__irq_thread_stop(struct bh__irq_action *a)
{
	/* SEQ_CST: the thread sees STOP at its next look, or is woken. */
	__atomic_fetch_or(&a->thread_flags, BH__IRQTF_STOP, __ATOMIC_SEQ_CST);
	bh__futex_wake(&a->thread_flags, 1);
	pthread_join(a->thread, NULL);
	a->has_thread = false;
}

void bh__irq_wake_thread(struct bh__irq_desc *d, struct bh__irq_action *a)
{
	/*
	 * Counted before the run is published, so the thread can never
	 * take threads_active below zero (a synchronize_irq() would then
	 * miss the run). SEQ_CST: read by bh__irq_sync().
	 */
	__atomic_add_fetch(&d->threads_active, 1, __ATOMIC_SEQ_CST);
	/*
	 * ONESHOT: mask before the thread can run and unmask. We hold
	 * INPROGRESS, and a masked line runs no handler, so no other waker
	 * races with this. SEQ_CST: against the other RMWs on the word.
	 */
	if (a->thread_mask)
		__atomic_fetch_or(&d->state, a->thread_mask, __ATOMIC_SEQ_CST);
	/* SEQ_CST RMW: publishes the handler's writes to thread_fn, and
	 * says atomically whether a run was already owed. */
	if (__atomic_fetch_or(&a->thread_flags, BH__IRQTF_RUN,
			      __ATOMIC_SEQ_CST) &
	    BH__IRQTF_RUN) {
		/* Coalesced: the run owed covers this wake-up too. */
		__atomic_sub_fetch(&d->threads_active, 1, __ATOMIC_SEQ_CST);
		bh__irq_wake_syncers(d);
		return;
	}
	bh__futex_wake(&a->thread_flags, 1);
}
