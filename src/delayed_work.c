// SPDX-License-Identifier: MIT
/*
 * Delayed work (SPEC D1-D14): a work item plus a TIMER_IRQSAFE timer whose
 * callback, in TIMER_SOFTIRQ, queues it on the recorded workqueue and CPU.
 *
 * While the timer holds the item its state word is "pending, off queue,
 * TIMER". Whoever takes the item back (cancel, mod, flush) stops the timer
 * first and waits for a callback running on another thread, so that a
 * callback can never queue an item someone else has taken (the kernel gets
 * the same guarantee by spinning in try_to_grab_pending()).
 */
#include <errno.h>

#include "workqueue_internal.h"

static void setup(struct bh_delayed_work *dw, bh_work_func_t fn,
		  unsigned int tflags)
{
	bh_work_init(&dw->work, fn);
	bh_timer_setup(&dw->timer, bh__delayed_work_timer_fn,
		       tflags | BH_TIMER_IRQSAFE);
	dw->wq = NULL;
	dw->cpu = 0;
}

void bh_delayed_work_init(struct bh_delayed_work *dw, bh_work_func_t fn)
{
	BH__CHECK_NULL(dw, "bh_delayed_work_init", );
	setup(dw, fn, 0);
}

void bh_deferrable_work_init(struct bh_delayed_work *dw, bh_work_func_t fn)
{
	BH__CHECK_NULL(dw, "bh_deferrable_work_init", );
	setup(dw, fn, BH_TIMER_DEFERRABLE);
}

void bh__delayed_work_timer_fn(struct bh_timer *t)
{
	struct bh_delayed_work *dw =
		bh_container_of(t, struct bh_delayed_work, timer);
	struct bh__thread *s = &bh__self;
	struct bh_delayed_work *was = s->wq_timer_fn;
	s->wq_timer_fn = dw;
	bh__signal_barrier();
	for (;;) {
		uintptr_t d = w_load(&dw->work);
		if ((d & (W_PWQ | W_PENDING | W_OFF_TIMER)) !=
		    (W_PENDING | W_OFF_TIMER))
			break; /* taken back meanwhile */
		struct bh_workqueue *wq =
			__atomic_load_n(&dw->wq, __ATOMIC_ACQUIRE);
		int cpu = __atomic_load_n(&dw->cpu, __ATOMIC_RELAXED);
		/* D3/D6: an unpinned item goes to the CPU it fired on. */
		if (bh__queue_claimed(cpu, wq, &dw->work, d))
			break;
	}
	bh__signal_barrier();
	s->wq_timer_fn = was;
	bh__wq_apply_deferred_due(); /* a handler's, in our push */
}

/*
 * The caller owns PENDING (state `d`: idle+PENDING or GRABBED): record the
 * target and arm the timer, or queue now for delay 0 (D2). False if a
 * signal handler disabled the item meanwhile (its disable was deferred,
 * so it counts as done first): left idle and disabled instead.
 */
static bool arm_owned(int cpu, struct bh_workqueue *wq,
		      struct bh_delayed_work *dw, unsigned long delay,
		      uintptr_t d)
{
	/* A handler's disable (deferred by ours, or counted on the state
	 * by another: see count_disable()) came first: released, and the
	 * release pays ours. */
	if (bh_unlikely(bh__owes(&dw->work) || w_disable(w_load(&dw->work)))) {
		bh__release_grab(&dw->work, 0);
		return false;
	}
	/* Ownership passes to the queue or the timer below; this thread's
	 * mark goes once the state word says so. */
	if (!delay) {
		while (!bh__queue_claimed(cpu, wq, &dw->work, d)) {
			d = w_load(&dw->work);
			if (w_disable(d)) {
				bh__release_grab(&dw->work, 0);
				return false;
			}
		}
		bh__grab_unmark(&dw->work);
		bh__wq_apply_deferred_due();
		return true;
	}
	__atomic_store_n(&dw->wq, wq, __ATOMIC_RELAXED);
	__atomic_store_n(&dw->cpu, cpu, __ATOMIC_RELAXED);
	uintptr_t nd = (d & ~W_OFF_GRABBED) | W_PENDING | W_OFF_TIMER;
	/*
	 * From the CAS on, another thread can grab the item (OFF_TIMER)
	 * before the timer below is armed: it finds the timer idle, takes
	 * the item, and a cancel_*_sync() would return to a caller that may
	 * free it while we arm that timer. So the timer is pinned until it
	 * is armed (defer_pin.c), and cancel_sync() waits for the pin, then
	 * deletes what is left armed. Before the CAS: a grab that sees it
	 * sees the pin.
	 */
	bh__defer_pin(&dw->timer);
	/* Release: the callback's acquire of the state sees wq and cpu. A
	 * CAS, since a handler's disable may be counted on it meanwhile. */
	if (!__atomic_compare_exchange_n(&dw->work.data, &d, nd, false,
					 __ATOMIC_RELEASE, __ATOMIC_RELAXED)) {
		bh__defer_unpin(&dw->timer);
		bh__release_grab(&dw->work, 0);
		return false;
	}
	bh__signal_barrier();
	bh__grab_unmark(&dw->work);
	unsigned long expires = bh_jiffies() + delay;
	if (cpu == BH_WORK_CPU_UNBOUND) {
		bh_mod_timer(&dw->timer, expires);
	} else {
		/* D6: pinned to that CPU. */
		bh_timer_delete(&dw->timer);
		dw->timer.expires = expires;
		bh_add_timer_on(&dw->timer, cpu);
	}
	bh__defer_unpin(&dw->timer);
	bh__wq_apply_deferred_due();
	return true;
}

static bool check_dw(int *cpu, struct bh_workqueue *wq,
		     struct bh_delayed_work *dw, const char *what)
{
	if (bh_unlikely(!bh__live())) {
		bh__dead_error(what);
		return false;
	}
	if (bh_unlikely(!dw || !wq)) {
		BH_WARN(1, "bh: %s() with a NULL %s", what,
			dw ? "workqueue" : "delayed work");
		return false;
	}
	/* M9: the timer must be the one bh_delayed_work_init() set up. */
	if (bh_unlikely(dw->timer.function != bh__delayed_work_timer_fn)) {
		BH_WARN_ONCE(1,
			     "bh: %s(): delayed work %p was not set up with "
			     "bh_delayed_work_init()",
			     what, (void *)dw);
		return false;
	}
	if (*cpu != BH_WORK_CPU_UNBOUND &&
	    (*cpu < 0 || *cpu >= bh__rt.nr_cpus)) {
		BH_WARN_ONCE(1, "bh: %s() on cpu %d, which is not online", what,
			     *cpu); /* D13 */
		*cpu = BH_WORK_CPU_UNBOUND;
	}
	return true;
}

bool bh_queue_delayed_work_on(int cpu, struct bh_workqueue *wq,
			      struct bh_delayed_work *dw, unsigned long delay)
{
	if (!check_dw(&cpu, wq, dw, "bh_queue_delayed_work_on"))
		return false;
	if (!delay)
		return bh_queue_work_on(cpu, wq, &dw->work);
	struct bh_work *w = &dw->work;
	uintptr_t d = w_load(w);
	for (;;) {
		if (d & W_PENDING)
			return false; /* D4: the armed timer is left alone */
		if (d & W_PWQ) {
			/* A tombstone (cancelled by a signal handler inside
			 * its pool's locked section): it can only run now. */
			return bh_queue_work_on(cpu, wq, w);
		}
		if (!(d & W_INIT)) {
			BH_WARN_ONCE(1, "bh: delayed work %p never set up",
				     (void *)dw);
			return false;
		}
		if (w_disable(d))
			return false; /* X2 */
		uintptr_t owned = d | W_PENDING | W_OFF_GRABBED;
		bh__grab_mark(w); /* see bh__grab_work() */
		if (w_cas(w, &d, owned))
			return arm_owned(cpu, wq, dw, delay, owned);
		bh__grab_unmark(w);
	}
}

bool bh_queue_delayed_work(struct bh_workqueue *wq, struct bh_delayed_work *dw,
			   unsigned long delay)
{
	return bh_queue_delayed_work_on(BH_WORK_CPU_UNBOUND, wq, dw, delay);
}

bool bh_schedule_delayed_work(struct bh_delayed_work *dw, unsigned long delay)
{
	return bh_queue_delayed_work_on(BH_WORK_CPU_UNBOUND, bh_system_wq, dw,
					delay);
}

bool bh_schedule_delayed_work_on(int cpu, struct bh_delayed_work *dw,
				 unsigned long delay)
{
	return bh_queue_delayed_work_on(cpu, bh_system_wq, dw, delay);
}

bool bh_mod_delayed_work_on(int cpu, struct bh_workqueue *wq,
			    struct bh_delayed_work *dw, unsigned long delay)
{
	if (!check_dw(&cpu, wq, dw, "bh_mod_delayed_work_on"))
		return false;
	int r;
	for (;;) {
		r = bh__grab_work(&dw->work, dw, GRAB_MOD);
		if (r != GRAB_BUSY)
			break;
		/* A signal handler, and the interrupted code owns the item
		 * or its pool: done at the end of that code's window. */
		int m = bh__defer_mod(cpu, wq, dw, delay);
		if (m >= 0)
			return m;
	}
	if (r == GRAB_BAD)
		return false;
	uintptr_t d = w_load(&dw->work);
	if (w_disable(d)) {
		/* X2: not queued. The kernel's return even so: whether it
		 * was pending (a handler's disable counted on our grab). */
		bh__release_grab(&dw->work, 0);
		return r == GRAB_PENDING;
	}
	arm_owned(cpu, wq, dw, delay, d); /* D7-D9 */
	return r == GRAB_PENDING;
}

void bh__mod_if_pending(int cpu, struct bh_workqueue *wq,
			struct bh_delayed_work *dw, unsigned long delay)
{
	int r = bh__grab_work(&dw->work, dw, GRAB_MOD);
	if (r == GRAB_PENDING)
		arm_owned(cpu, wq, dw, delay, w_load(&dw->work));
	else if (r == GRAB_IDLE)
		bh__release_grab(&dw->work, 0);
	else if (r == GRAB_BUSY)
		bh__defer_mod(cpu, wq, dw, delay); /* still owned: later */
}

bool bh_mod_delayed_work(struct bh_workqueue *wq, struct bh_delayed_work *dw,
			 unsigned long delay)
{
	return bh_mod_delayed_work_on(BH_WORK_CPU_UNBOUND, wq, dw, delay);
}

bool bh_flush_delayed_work(struct bh_delayed_work *dw)
{
	if (!dw) {
		BH_WARN(1, "bh: bh_flush_delayed_work(NULL)");
		return false;
	}
	bh_might_sleep();
	/* D12: an armed timer fires now, on the recorded queue and CPU. */
	uintptr_t d = w_load(&dw->work);
	if ((d & (W_PWQ | W_PENDING | W_OFF_TIMER)) ==
		    (W_PENDING | W_OFF_TIMER) &&
	    bh_timer_delete_sync(&dw->timer) == 1) {
		for (;;) {
			d = w_load(&dw->work);
			if ((d & (W_PWQ | W_PENDING | W_OFF_TIMER)) !=
			    (W_PENDING | W_OFF_TIMER))
				break;
			struct bh_workqueue *wq =
				__atomic_load_n(&dw->wq, __ATOMIC_ACQUIRE);
			int cpu = __atomic_load_n(&dw->cpu, __ATOMIC_RELAXED);
			if (bh__queue_claimed(cpu, wq, &dw->work, d))
				break;
		}
	}
	return bh_flush_work(&dw->work);
}
