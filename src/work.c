// SPDX-License-Identifier: MIT
/*
 * Work items: initialisation, queueing, and taking a pending item back
 * (cancel, disable), flush_work() and the advisory queries.
 *
 * Everything a producer does is one compare-and-swap on the item's state
 * word (see workqueue_internal.h) plus a lock-free push: queueing is
 * async-signal-safe and allocation-free (SPEC U1, U2).
 *
 * Taking an item back ("grabbing" it, the kernel's try_to_grab_pending)
 * needs its pool's lock to unlink it. The lock is held only briefly by
 * other threads; the one case where it cannot be had is a signal handler
 * that interrupted its own thread while that thread held the lock. The
 * handler then turns the item into a tombstone instead: not pending, still
 * linked, dropped by the next lock holder that meets it.
 */
#include <errno.h>
#include <sched.h>
#include <string.h>

#include "workqueue_internal.h"

static bool check_work(const struct bh_work *w, const char *what)
{
	if (bh_unlikely(!bh__live())) {
		bh__dead_error(what);
		return false;
	}
	if (bh_unlikely(!w)) {
		BH_WARN(1, "bh: %s(NULL)", what);
		return false;
	}
	return true;
}

static bool initialised(uintptr_t d)
{
	return (d & W_PWQ) || (d & W_INIT);
}

static void bad_work(const struct bh_work *w, const char *what)
{
	BH_WARN_ONCE(1,
		     "ODEBUG: activate not available (active state 0) "
		     "object: %p object type: work_struct hint: %s() on an "
		     "item never set up with bh_work_init()/BH_DECLARE_WORK",
		     (const void *)w, what);
}

static bool report_active(struct bh_work *w, const char *op);

void bh_work_init(struct bh_work *w, bh_work_func_t fn)
{
	BH__CHECK_NULL(w, "bh_work_init", );
	/*
	 * M6: re-initialising a queued item would corrupt its queue. The old
	 * contents may be garbage (a fresh stack or heap object), so only a
	 * state word naming one of our own pwqs is believed: that test
	 * compares pointers and dereferences nothing.
	 */
	uintptr_t d = __atomic_load_n(&w->data, __ATOMIC_ACQUIRE);
	if (bh__live() && (d & W_PWQ) && (d & W_PENDING) &&
	    bh__wq_pwq_registered(w_pwq(d)) && report_active(w, "init"))
		bh_cancel_work_sync(w);
	w->func = fn;
	w->next = w->prev = w;
	__atomic_store_n(&w->data, W_INIT, __ATOMIC_RELEASE);
}

void bh_work_init_onstack(struct bh_work *w, bh_work_func_t fn)
{
	bh_work_init(w, fn);
}

/* ---- queueing ----------------------------------------------------------- */

/* The worker running one of wq's items on this thread, if any (C6). */
static bool chained(struct bh_workqueue *wq)
{
	struct bh__worker *wk = bh__self.worker;
	return wk && wk->current_pwq && wk->current_pwq->wq == wq;
}

static struct bh__pwq *select_pwq(struct bh_workqueue *wq, int cpu,
				  const struct bh_work *w, uintptr_t d)
{
	struct bh__pwq *pwq;
	if (wq->flags & BH_WQ_UNBOUND)
		return wq->pwqs[0];
	if (cpu == BH_WORK_CPU_UNBOUND)
		cpu = bh__this_cpu();
	pwq = wq->pwqs[cpu];
	/*
	 * W7/Q1: an item still running in another pool of the same kind goes
	 * there, behind the running instance, so it never runs twice at once.
	 * The busy count is raised before the worker clears PENDING, and we
	 * won PENDING after that (seq-cst both sides): a running instance is
	 * always seen. A stale positive only costs locality.
	 */
	struct bh__pool *lp = bh__pool_by_id(w_pool_id(d));
	if (lp && lp != pwq->pool && lp->cpu >= 0 && lp->cpu < bh__rt.nr_cpus &&
	    lp->kind == pwq->pool->kind &&
	    __atomic_load_n(&lp->busy_count[bh__busy_hash(w)],
			    __ATOMIC_SEQ_CST))
		pwq = wq->pwqs[lp->cpu];
	return pwq;
}

/*
 * M10: the item we just claimed (state `nd`, was `d`) has its list entry
 * linked, yet nothing links an item that is off every queue: every unlink
 * leaves the entry pointing at itself before the state word lets the item
 * go. So it is corrupted (overwritten, or copied from a queued item). The
 * kernel's __queue_work() warns and skips it; so do we, and leave it as we
 * found it (never pending, so no cancel or flush can wait for it), its
 * links untouched. Reading the links is safe: until the push, no other
 * thread touches the entry of an item whose state says "being pushed".
 *
 * False if our own signal handler took the item meanwhile (a tombstone,
 * perhaps queued again by another thread, who then expects it pushed): we
 * then push it after all, with its entry reset, so nothing is lost.
 */
static bool linked_entry(struct bh_work *w, struct bh__pwq *pwq,
			 unsigned int color, uintptr_t nd, uintptr_t d)
{
	char sym[64];
	BH_WARN(1,
		"bh: work %p (%s) queued on %s with its list entry already "
		"linked (next %p prev %p): corrupted or copied item, skipped",
		(void *)w,
		bh__symbol_name((const void *)w->func, sym, sizeof(sym)),
		pwq->wq->name, (void *)w->next, (void *)w->prev);
	if (w_cas(w, &nd, w_off(w_pool_id(d), w_disable(d)))) {
		bh__pwq_dec_in_flight(pwq, color);
		return true;
	}
	w->next = w->prev = w;
	return false;
}

int bh__queue_claimed(int cpu, struct bh_workqueue *wq, struct bh_work *w,
		      uintptr_t d)
{
	if (bh_unlikely(__atomic_load_n(&wq->draining, __ATOMIC_ACQUIRE)) &&
	    !chained(wq)) {
		char sym[64];
		BH_WARN_ONCE(1, "workqueue: cannot queue %s on wq %s",
			     bh__symbol_name((const void *)w->func, sym,
					     sizeof(sym)),
			     wq->name);
		/* C8 (newest kernels): dropped, and not left pending. */
		if (d & W_PENDING)
			w_cas(w, &d, w_off(w_pool_id(d), w_disable(d)));
		return -1;
	}
	struct bh__pwq *pwq = select_pwq(wq, cpu, w, d);
	/* Counted in its flush colour before it becomes visible (C4). */
	unsigned int c = __atomic_load_n(&wq->work_color, __ATOMIC_SEQ_CST);
	bh__pwq_inc_in_flight(pwq, c);
	uintptr_t nd = (uintptr_t)pwq | W_PENDING | W_PWQ |
		       ((uintptr_t)c << W_COLOR_SHIFT);
	/* Until it is on `incoming`, a handler on this thread must not wait
	 * for the push (see bh__grab_marked()). */
	bh__grab_mark(w);
	if (!w_cas(w, &d, nd)) {
		bh__grab_unmark(w);
		bh__pwq_dec_in_flight(pwq, c);
		return 0;
	}
	if (bh_unlikely(w->next != w || w->prev != w) &&
	    linked_entry(w, pwq, c, nd, d)) {
		bh__grab_unmark(w);
		return -1;
	}
	bh__pool_push(pwq->pool, w);
	bh__signal_barrier();
	bh__grab_unmark(w);
	return 1;
}

/* Make a tombstone pending again where it lies. */
bool bh__resurrect(struct bh_work *w, uintptr_t *d)
{
	struct bh__pwq *pwq = w_pwq(*d);
	unsigned int c =
		__atomic_load_n(&pwq->wq->work_color, __ATOMIC_SEQ_CST);
	bh__pwq_inc_in_flight(pwq, c);
	uintptr_t nd = (*d & ~W_COLOR_MASK) | W_PENDING |
		       ((uintptr_t)c << W_COLOR_SHIFT);
	if (!w_cas(w, d, nd)) {
		bh__pwq_dec_in_flight(pwq, c);
		return false;
	}
	bh__pool_kick(pwq->pool);
	return true;
}

static bool check_cpu(int *cpu, const char *what)
{
	if (*cpu == BH_WORK_CPU_UNBOUND || (*cpu >= 0 && *cpu < bh__rt.nr_cpus))
		return true;
	BH_WARN_ONCE(1, "bh: %s() on cpu %d, which was never online", what,
		     *cpu);
	*cpu = BH_WORK_CPU_UNBOUND;
	return false;
}

static bool check_wq(const struct bh_workqueue *wq, const char *what)
{
	if (bh_likely(wq))
		return true;
	BH_WARN(1, "bh: %s() on a NULL workqueue", what);
	return false;
}

bool bh_queue_work_on(int cpu, struct bh_workqueue *wq, struct bh_work *w)
{
	if (!check_work(w, "bh_queue_work_on") ||
	    !check_wq(wq, "bh_queue_work_on"))
		return false;
	check_cpu(&cpu, "bh_queue_work_on");
	uintptr_t d = w_load(w);
	for (;;) {
		if (bh_unlikely(!initialised(d))) {
			bad_work(w, "bh_queue_work_on");
			return false;
		}
		if (d & W_PENDING)
			return false; /* W2 */
		if (d & W_PWQ) {
			if (d & W_TDIS)
				return false; /* X2: a disable is owed */
			if (bh__resurrect(w, &d))
				return true;
			continue;
		}
		if (w_disable(d))
			return false; /* X2 */
		int r = bh__queue_claimed(cpu, wq, w, d);
		if (r) {
			/* A handler may have tombstoned it in our push. */
			bh__wq_apply_deferred_due();
			return true;
		}
		d = w_load(w);
	}
}

bool bh_queue_work(struct bh_workqueue *wq, struct bh_work *w)
{
	return bh_queue_work_on(BH_WORK_CPU_UNBOUND, wq, w);
}

bool bh_schedule_work(struct bh_work *w)
{
	return bh_queue_work_on(BH_WORK_CPU_UNBOUND, bh_system_wq, w);
}

bool bh_schedule_work_on(int cpu, struct bh_work *w)
{
	return bh_queue_work_on(cpu, bh_system_wq, w);
}

/* ---- taking a pending item back ----------------------------------------- */

/*
 * The kernel's try_to_grab_pending(), without its -EAGAIN loop in the
 * caller: waits only for other threads' short critical sections. For a
 * delayed item (`dw` set) the timer is stopped first; a timer callback
 * running on another thread is waited for, so it cannot queue the item
 * after we took it.
 */
static enum grab_result grab_locked_out(struct bh_work *w,
					struct bh_delayed_work *dw, bool outer,
					enum grab_why why);

/*
 * While this thread owns an item's PENDING bit (from just before the grab
 * until the release, or until the state passes to a timer or a queue), and
 * while it pushes an item onto a pool's `incoming` (from just before the
 * claim until the push), the item is on bh__self.wq_grabbing: a signal
 * handler that interrupted that window finds its own thread's work there
 * and does not wait for it, and deferred disables of it wait for the end
 * of the window.
 *
 * A stack, because handlers nest and each may own an item of its own for
 * a moment. Strictly last in, first out: each level releases what it
 * grabbed before the level it interrupted goes on. So a handler landing
 * anywhere in a push or a pop leaves the count as it found it, and plain
 * loads and stores suffice; the count goes up before the slot is written,
 * and the slot is cleared before it goes down, so a handler never sees a
 * stale item in a slot under the count (NULL at worst, owned by no one).
 */

#define NGRAB (sizeof(bh__self.wq_grabbing) / sizeof(bh__self.wq_grabbing[0]))

bool bh__grab_marked(const struct bh_work *w)
{
	/* bh__self by name, not through a pointer: GCC 12's UBSan, with
	 * this inlined into bh_enable_work(), reported the thread's own
	 * TLS block as a null pointer here. */
	unsigned int n = bh__self.wq_grab_n;
	for (unsigned int i = 0; i < n && i < NGRAB; i++)
		if (bh__self.wq_grabbing[i] == w)
			return true;
	return false;
}

void bh__grab_mark(struct bh_work *w)
{
	struct bh__thread *s = &bh__self;
	unsigned int n = s->wq_grab_n;
	if (bh_unlikely(n >= NGRAB)) {
		BH_WARN_ONCE(1,
			     "bh: work items grabbed %u deep by nested signal "
			     "handlers: deeper ones are not marked",
			     n);
		return;
	}
	s->wq_grab_n = n + 1;
	bh__signal_barrier();
	s->wq_grabbing[n] = w;
	bh__signal_barrier();
}

void bh__grab_unmark(struct bh_work *w)
{
	struct bh__thread *s = &bh__self;
	unsigned int n = s->wq_grab_n;
	if (!n || s->wq_grabbing[n - 1] != w)
		return; /* not marked: nested too deep */
	s->wq_grabbing[n - 1] = NULL;
	bh__signal_barrier();
	s->wq_grab_n = n - 1;
	bh__signal_barrier();
}

/*
 * Count one disable on a state someone else holds for a moment (see
 * grab_locked_out()): the depth field of an off-queue state (a grab's
 * owner releases with its own change added to it; a debt is paid on top
 * of it), or, on a TDIS tombstone, its colour bits, which mean nothing on
 * a tombstone and count the disables owed beyond its debtor's (up to 15;
 * then COUNT_FULL). COUNT_CHANGED if the state changed (*d reloaded).
 */
enum { COUNT_CHANGED = 0, COUNT_DONE = 1, COUNT_FULL = 2 };

static int count_disable(struct bh_work *w, uintptr_t *d)
{
	uintptr_t nd;
	if (*d & W_PWQ) {
		if (w_color(*d) == W_NR_COLORS - 1)
			return COUNT_FULL;
		nd = *d + ((uintptr_t)1 << W_COLOR_SHIFT);
	} else {
		if (w_disable(*d) >= W_DISABLE_MAX) {
			BH_WARN_ONCE(1, "work disable count overflowed");
			return COUNT_DONE;
		}
		nd = *d + ((uintptr_t)1 << W_OFF_DISABLE_SHIFT);
	}
	return w_cas(w, d, nd) ? COUNT_DONE : COUNT_CHANGED;
}

enum grab_result bh__grab_work(struct bh_work *w, struct bh_delayed_work *dw,
			       enum grab_why why)
{
	bool outer = bh__grab_marked(w);
	bh__grab_mark(w);
	enum grab_result r = grab_locked_out(w, dw, outer, why);
	if (r != GRAB_IDLE && r != GRAB_PENDING) {
		bh__grab_unmark(w);
		bh__wq_apply_deferred_due();
	}
	return r;
}

static enum grab_result grab_locked_out(struct bh_work *w,
					struct bh_delayed_work *dw, bool outer,
					enum grab_why why)
{
	struct bh__thread *s = &bh__self;
	/*
	 * A signal handler that interrupted a pool or timer-base section of
	 * its thread must not wait for another thread's short window on the
	 * item either: that thread's own handler may be waiting for the lock
	 * we hold. Such a grab leaves marks instead (TDIS, OFF_DEBT).
	 */
	bool locked = s->wq_lock_depth || s->timer_lock_depth;
	for (unsigned int spins = 0;; spins++) {
		if (spins > 64)
			sched_yield();
		uintptr_t d = w_load(w);
		if (bh_unlikely(!initialised(d))) {
			bad_work(w, "cancel/disable");
			return GRAB_BAD;
		}
		/*
		 * Where the item is not pending and someone else holds its
		 * state for a moment (a grab, a debt being paid, a TDIS
		 * tombstone), a disable is counted on the state word itself
		 * and is visible at once: no waiting, nothing deferred.
		 */
		if (why == GRAB_DISABLE &&
		    (w_owed(d) || ((locked || outer) && (d & W_OFF_GRABBED)))) {
			int c = count_disable(w, &d);
			if (c == COUNT_DONE)
				return GRAB_COUNTED;
			if (c == COUNT_CHANGED)
				continue;
			/* A TDIS tombstone's count is full (its debtor is
			 * slow): treated below as any owed item, so we
			 * wait, pay, or (locked) defer this one. */
		}
		if (w_owed(d)) {
			/* Disabled by a handler, its depth landing soon: wait
			 * for that, unless it is ours to pay or we may not
			 * wait here (then: not pending, nothing to take). */
			bool mine = bh__owes(w);
			if (mine && !outer && !locked) {
				bh__pay_deferred(w);
				continue;
			}
			if (locked || mine || outer)
				return GRAB_BUSY;
			bh__cpu_relax();
			continue;
		}
		if (!(d & W_PWQ)) {
			if (!(d & W_PENDING)) {
				if (w_cas(w, &d, d | W_PENDING | W_OFF_GRABBED))
					return GRAB_IDLE;
				continue;
			}
			if (d & W_OFF_GRABBED) {
				/* The grab of the code we interrupted, or
				 * another thread's, which may need the lock
				 * we interrupted: do not wait. */
				if (outer || locked)
					return GRAB_BUSY;
				bh__cpu_relax();
				continue;
			}
			/* W_OFF_TIMER: the delayed-work timer holds it. */
			if (!dw) {
				/* C14: only the delayed form can stop it. */
				BH_WARN_ONCE(1,
					     "bh: cancel/flush of a delayed "
					     "work item through its bh_work: "
					     "use the _delayed_work form");
				dw = bh_to_delayed_work(w);
			}
			/* Waiting for a running callback only spares a
			 * retry (it finds the state changed and backs off),
			 * so a handler inside a timer operation skips it. */
			if (bh_timer_delete(&dw->timer) != 1 &&
			    s->wq_timer_fn != dw && !s->timer_lock_depth)
				bh_timer_delete_sync(&dw->timer);
			uintptr_t nd = (d & ~W_OFF_TIMER) | W_OFF_GRABBED;
			if (w_cas(w, &d, nd))
				return GRAB_PENDING;
			continue;
		}
		/* On a queue (or a tombstone still linked). */
		struct bh__pwq *pwq = w_pwq(d);
		struct bh__pool *p = pwq->pool;
		unsigned long f;
		if (locked || outer) {
			/*
			 * We interrupted this thread's own locked section
			 * (pool or timer base) or its push of this item, so we
			 * may neither wait for a push nor take the pool lock
			 * here: leave a tombstone for the next lock holder to
			 * drop, marked TDIS by a disable (see
			 * workqueue_internal.h), which the caller then owes.
			 * A mod leaves it as it is, pending, and is done
			 * afterwards.
			 */
			if (why == GRAB_MOD)
				return GRAB_BUSY;
			if (!(d & W_PENDING)) {
				/* A tombstone already; a disable marks it,
				 * and the caller owes it. */
				if (why != GRAB_DISABLE ||
				    w_cas(w, &d, (d & ~W_COLOR_MASK) | W_TDIS))
					return GRAB_BUSY;
				continue;
			}
			uintptr_t nd = d & ~W_PENDING;
			if (why == GRAB_DISABLE)
				nd = (nd & ~W_COLOR_MASK) | W_TDIS;
			if (!w_cas(w, &d, nd))
				continue;
			bh__pwq_dec_in_flight(pwq, w_color(d));
			return GRAB_TOMB;
		}
		f = bh__pool_lock(p);
		bh__pool_drain_incoming(p);
		d = w_load(w);
		if (!(d & W_PWQ) || w_pwq(d) != pwq) {
			bh__pool_unlock(p, f);
			continue;
		}
		if (w_owed(d)) {
			/* A handler's disable landed meanwhile: see above. */
			bh__pool_unlock(p, f);
			continue;
		}
		if (!(d & W_DRAINED)) {
			/* Another thread is pushing it right now. */
			bh__pool_unlock(p, f);
			bh__cpu_relax();
			continue;
		}
		bool pending = d & W_PENDING;
		uintptr_t nd = w_off(p->id, 0) | W_PENDING | W_OFF_GRABBED;
		uintptr_t was = d;
		if (!bh__pool_unlink_cas(p, w, &d, nd)) {
			bh__pool_unlock(p, f);
			continue;
		}
		d = was;
		if (pending)
			bh__pwq_dec_in_flight(pwq, w_color(d));
		bh__pool_unlock(p, f);
		return pending ? GRAB_PENDING : GRAB_IDLE;
	}
}

/*
 * Leave the grabbed state: idle, `add` disables deeper. Relative, because
 * signal handlers may count disables on the grabbed state meanwhile
 * (count_disable()); those stay.
 */
void bh__release_grab(struct bh_work *w, unsigned int add)
{
	uintptr_t d = w_load(w);
	for (;;) {
		unsigned int depth = w_disable(d) + add;
		if (depth > W_DISABLE_MAX) {
			BH_WARN_ONCE(1, "work disable count overflowed");
			depth = W_DISABLE_MAX;
		}
		if (w_cas(w, &d, w_off(w_pool_id(d), depth)))
			break;
	}
	bh__signal_barrier();
	bh__grab_unmark(w);
	/* Our own handlers' deferred disables of it: paid now (inside a
	 * pool section, at its end). */
	if (!bh__self.wq_lock_depth)
		bh__pay_deferred(w);
	bh__wq_apply_deferred_due();
}

bool bh__cancel_common(struct bh_work *w, struct bh_delayed_work *dw,
		       bool disable)
{
	struct bh__thread *s = &bh__self;
	enum grab_result r =
		bh__grab_work(w, dw, disable ? GRAB_DISABLE : GRAB_CANCEL);
	if (r == GRAB_IDLE || r == GRAB_PENDING) {
		bh__release_grab(w, disable ? 1 : 0);
		return r == GRAB_PENDING;
	}
	if (r == GRAB_BAD || r == GRAB_COUNTED)
		return false;
	if (disable && !bh__defer_disable(s, w))
		BH_WARN_ONCE(1, "bh: too many disable_work() calls from "
				"signal handlers interrupting one thread");
	return r == GRAB_TOMB;
}

bool bh_cancel_work(struct bh_work *w)
{
	if (!check_work(w, "bh_cancel_work"))
		return false;
	return bh__cancel_common(w, NULL, false);
}

bool bh_disable_work(struct bh_work *w)
{
	if (!check_work(w, "bh_disable_work"))
		return false;
	return bh__cancel_common(w, NULL, true);
}

bool bh_cancel_delayed_work(struct bh_delayed_work *dw)
{
	if (!check_work(dw ? &dw->work : NULL, "bh_cancel_delayed_work"))
		return false;
	return bh__cancel_common(&dw->work, dw, false);
}

bool bh_disable_delayed_work(struct bh_delayed_work *dw)
{
	if (!check_work(dw ? &dw->work : NULL, "bh_disable_delayed_work"))
		return false;
	return bh__cancel_common(&dw->work, dw, true);
}

bool bh_enable_work(struct bh_work *w)
{
	if (!check_work(w, "bh_enable_work"))
		return false;
	bh__wq_apply_deferred_due(); /* our own debts land first */
	for (unsigned int spins = 0;; spins++) {
		uintptr_t d = w_load(w);
		if (((d & (W_PWQ | W_PENDING | W_OFF_GRABBED)) ==
			     (W_PENDING | W_OFF_GRABBED) &&
		     !bh__grab_marked(w)) ||
		    (w_owed(d) && !bh__owes(w))) {
			/*
			 * Another thread's grab (a cancel or disable in
			 * progress, whose outcome may be the very disable
			 * this enable pays back), or a disable a handler
			 * left owed: wait for it, as the kernel's
			 * enable_work() does by grabbing first.
			 */
			if (spins > 64)
				sched_yield();
			else
				bh__cpu_relax();
			continue;
		}
		if ((d & W_PWQ) || (d & W_PENDING))
			return false; /* queued: it was not disabled */
		if (!w_disable(d)) {
			/* X5: ignored; the depth is 0, so "enabled". */
			BH_WARN_ONCE(1, "work disable count underflowed");
			return true;
		}
		unsigned int depth = w_disable(d) - 1;
		uintptr_t nd = (d & ~W_OFF_DISABLE_MASK) |
			       ((uintptr_t)depth << W_OFF_DISABLE_SHIFT);
		if (w_cas(w, &d, nd))
			return depth == 0; /* X3 */
	}
}

bool bh_enable_delayed_work(struct bh_delayed_work *dw)
{
	return bh_enable_work(dw ? &dw->work : NULL);
}

bool bh_enable_and_queue_work(struct bh_workqueue *wq, struct bh_work *w)
{
	if (!bh_enable_work(w))
		return false;
	bh_queue_work(wq, w);
	return true;
}

/* ---- waiting for a running instance -------------------------------------- */

struct wq_barrier {
	struct bh_work work;
	struct bh_completion done;
};

void bh__wq_barrier_fn(struct bh_work *w)
{
	struct wq_barrier *b = bh_container_of(w, struct wq_barrier, work);
	bh_complete(&b->done);
}

/* Own-callback check (M1, M2). */
static bool running_self(const struct bh_work *w)
{
	struct bh__worker *wk = bh__self.worker;
	return wk && wk->current_work == w && wk->current_func == w->func;
}

/*
 * Queue a barrier behind the last instance of `w`: right after it if it is
 * pending (linked, so it moves with it), else first on the scheduled list
 * of the worker running it. Returns false if there is nothing to wait for.
 * For BH pools `spin` busy-waits for the running instance instead (C13).
 */
static bool start_flush(struct bh_work *w, struct wq_barrier *b, bool spin)
{
	for (;;) {
		uintptr_t d = w_load(w);
		struct bh__pool *p = (d & W_PWQ) ? w_pwq(d)->pool
						 : bh__pool_by_id(w_pool_id(d));
		if (!p || !p->inited)
			return false;
		unsigned long f = bh__pool_lock(p);
		bh__pool_drain_incoming(p);
		d = w_load(w);
		if ((d & W_PWQ) && w_pwq(d)->pool != p) {
			bh__pool_unlock(p, f);
			continue;
		}
		if (!(d & W_PWQ) && bh__pool_by_id(w_pool_id(d)) != p) {
			bh__pool_unlock(p, f);
			continue;
		}
		if ((d & W_PWQ) && (d & W_PENDING) && !(d & W_DRAINED)) {
			bh__pool_unlock(p, f);
			bh__cpu_relax();
			continue;
		}
		struct bh__worker *wk = NULL;
		uintptr_t bd;
		if ((d & W_PWQ) && (d & W_PENDING)) {
			bd = (d & (W_INACTIVE | W_SCHED | W_LINKED)) |
			     (d & ~W_FLAG_MASK) | W_PWQ | W_PENDING | W_DRAINED;
		} else if ((wk = bh__find_worker_executing(p, w))) {
			if (spin && p->bh) {
				bh__pool_unlock(p, f);
				bh__cpu_relax();
				continue;
			}
			bd = (uintptr_t)wk->current_pwq | W_PWQ | W_PENDING |
			     W_DRAINED | W_SCHED;
		} else {
			bh__pool_unlock(p, f);
			return false;
		}
		if (spin && p->bh) {
			bh__pool_unlock(p, f);
			return false; /* pending only: nothing runs it now */
		}
		b->work.func = bh__wq_barrier_fn;
		bh_init_completion(&b->done);
		__atomic_store_n(&b->work.data, bd, __ATOMIC_RELAXED);
		if (wk) {
			wl_add_after(&wk->scheduled, &b->work);
		} else {
			__atomic_fetch_or(&w->data, W_LINKED, __ATOMIC_ACQ_REL);
			wl_add_after(w, &b->work);
			if (d & W_INACTIVE)
				w_pwq(d)->nr_inactive++;
			else if (!(d & W_SCHED))
				p->nr_worklist++;
		}
		bh__pool_unlock(p, f);
		return true;
	}
}

static bool flush_one(struct bh_work *w, bool spin)
{
	struct wq_barrier b;
	if (!start_flush(w, &b, spin))
		return false;
	bh_wait_for_completion(&b.done);
	return true;
}

bool bh_flush_work(struct bh_work *w)
{
	if (!check_work(w, "bh_flush_work"))
		return false;
	bh_might_sleep();
	if (!w->func) {
		BH_WARN(1, "bh: flush_work() on an item never set up");
		return false; /* M8 */
	}
	if (running_self(w)) {
		char sym[64];
		BH_WARN(1,
			"possible recursive locking detected: "
			"(work_completion)(%p) [%s] flushed from its own "
			"callback would wait forever",
			(void *)w,
			bh__symbol_name((const void *)w->func, sym,
					sizeof(sym)));
		return false; /* M1 */
	}
	struct bh__worker *wk = bh__self.worker;
	uintptr_t d = w_load(w);
	if (wk && wk->current_pwq && (d & W_PWQ) && (d & W_PENDING)) {
		struct bh_workqueue *mine = wk->current_pwq->wq;
		struct bh_workqueue *theirs = w_pwq(d)->wq;
		char sym[64];
		bh__symbol_name((const void *)w->func, sym, sizeof(sym));
		/* M4: an ordered queue runs it only after us. */
		if (mine == theirs && (mine->flags & BH_WQ_ORDERED_)) {
			BH_WARN(1,
				"possible circular locking dependency: "
				"(wq_completion)%s: flushing %s, queued behind "
				"the flushing item on the same ordered "
				"workqueue, would wait forever",
				mine->name, sym);
			return false;
		}
		/*
		 * M4: the kernel's start_flush_work() takes the pseudo-lock
		 * (wq_completion)<name> of a queue with a rescuer, which
		 * the flushing item holds, so lockdep reports it: when no
		 * worker can be made, the rescuer alone runs the queue's
		 * items, one at a time, and it is running this one. Here
		 * workers are made on demand, so the flush goes on, once
		 * warned.
		 */
		BH_WARN_ONCE(mine == theirs && mine->rescuer,
			     "possible recursive locking detected: "
			     "(wq_completion)%s: flushing %s from an item of "
			     "the same WQ_MEM_RECLAIM workqueue would wait "
			     "forever if only its rescuer could run",
			     mine->name, sym);
		/* F15 */
		BH_WARN_ONCE((mine->flags & BH_WQ_MEM_RECLAIM) &&
				     !(theirs->flags & BH_WQ_MEM_RECLAIM),
			     "workqueue: WQ_MEM_RECLAIM %s:%p is flushing "
			     "!WQ_MEM_RECLAIM %s:%s",
			     mine->name, (void *)wk->current_func, theirs->name,
			     sym);
	}
	return flush_one(w, false);
}

/* Wait until no instance of `w` runs (after it was grabbed). */
static void wait_running(struct bh_work *w)
{
	uintptr_t d = w_load(w);
	struct bh__pool *p = bh__pool_by_id(w_pool_id(d));
	if (p && p->bh) {
		/* C13: BH items are waited for by spinning. */
		for (;;) {
			unsigned long f = bh__pool_lock(p);
			bool busy = bh__find_worker_executing(p, w) != NULL;
			bh__pool_unlock(p, f);
			if (!busy)
				return;
			if (bh_in_hardirq()) {
				BH_WARN_ONCE(1, "bh: cancel/disable_sync of a "
						"running BH item from hardirq");
				return;
			}
			bh__cpu_relax();
		}
	}
	flush_one(w, false);
}

static bool cancel_sync(struct bh_work *w, struct bh_delayed_work *dw,
			bool disable, const char *what)
{
	if (!check_work(w, what))
		return false;
	uintptr_t d0 = w_load(w);
	struct bh__pool *p0 =
		(d0 & W_PWQ) ? w_pwq(d0)->pool : bh__pool_by_id(w_pool_id(d0));
	if (!(p0 && p0->bh))
		bh_might_sleep();
	if (p0 && p0->bh && bh_in_hardirq())
		BH_WARN_ONCE(1, "bh: %s() of a BH item from hardirq context",
			     what); /* C13 */
	enum grab_result r = bh__grab_work(w, dw, GRAB_CANCEL);
	if (r == GRAB_BAD)
		return false;
	if (r == GRAB_TOMB || r == GRAB_BUSY) {
		BH_WARN_ONCE(1, "bh: %s() from a signal handler", what);
		return r == GRAB_TOMB;
	}
	/* C11: disabled while we wait, so self-requeueing fails. */
	bh__release_grab(w, 1);
	if (running_self(w)) {
		char sym[64];
		BH_WARN(1,
			"possible recursive locking detected: "
			"(work_completion)(%p) [%s]: %s() from its own "
			"callback would wait forever",
			(void *)w,
			bh__symbol_name((const void *)w->func, sym,
					sizeof(sym)),
			what); /* M2 */
	} else {
		wait_running(w);
	}
	/*
	 * The caller may free the item once we return, so its timer must be
	 * left unarmed and untouched: wait for the pins on it (a handler's
	 * change deferred to the thread it interrupted, or another thread
	 * between publishing OFF_TIMER and arming: defer_pin.c), then delete
	 * what such an arm left (a leftover: the item is disabled now, so no
	 * one arms it for real), waiting for a callback that runs (it finds
	 * the item taken and backs off). Our own deferred work first.
	 */
	if (dw) {
		bh__wq_apply_deferred_due();
		bh_timer_delete_sync(&dw->timer);
	}
	if (!disable)
		bh_enable_work(w);
	return r == GRAB_PENDING;
}

bool bh_cancel_work_sync(struct bh_work *w)
{
	return cancel_sync(w, NULL, false, "bh_cancel_work_sync");
}

bool bh_cancel_delayed_work_sync(struct bh_delayed_work *dw)
{
	return cancel_sync(dw ? &dw->work : NULL, dw, false,
			   "bh_cancel_delayed_work_sync");
}

bool bh_disable_work_sync(struct bh_work *w)
{
	return cancel_sync(w, NULL, true, "bh_disable_work_sync");
}

bool bh_disable_delayed_work_sync(struct bh_delayed_work *dw)
{
	return cancel_sync(dw ? &dw->work : NULL, dw, true,
			   "bh_disable_delayed_work_sync");
}

/* ---- queries ------------------------------------------------------------ */

bool bh_work_pending(const struct bh_work *w)
{
	return w && (w_load(w) & W_PENDING);
}

bool bh_delayed_work_pending(const struct bh_delayed_work *dw)
{
	return dw && bh_work_pending(&dw->work);
}

unsigned int bh_work_busy(struct bh_work *w)
{
	if (!w)
		return 0;
	uintptr_t d = w_load(w);
	unsigned int ret = (d & W_PENDING) ? BH_WORK_BUSY_PENDING : 0;
	struct bh__pool *p =
		(d & W_PWQ) ? w_pwq(d)->pool : bh__pool_by_id(w_pool_id(d));
	if (p && __atomic_load_n(&p->busy_count[bh__busy_hash(w)],
				 __ATOMIC_ACQUIRE)) {
		/* A hash neighbour may be what runs: look, advisory. */
		unsigned long f = bh__pool_lock(p);
		if (bh__find_worker_executing(p, w))
			ret |= BH_WORK_BUSY_RUNNING;
		bh__pool_unlock(p, f);
	}
	return ret;
}

struct bh_work *bh_current_work(void)
{
	struct bh__worker *wk = bh__self.worker;
	return wk ? wk->current_work : NULL;
}

/* ---- debug objects (M6, M7) ---------------------------------------------- */

static bool report_active(struct bh_work *w, const char *op)
{
	unsigned int busy = bh_work_busy(w);
	if (!busy)
		return false;
	char sym[64];
	BH_WARN(1,
		"ODEBUG: %s active (active state 0) object: %p object "
		"type: work_struct hint: %s",
		op, (void *)w,
		bh__symbol_name((const void *)w->func, sym, sizeof(sym)));
	return true;
}

bool bh_work_debug_free(struct bh_work *w)
{
	if (!check_work(w, "bh_work_debug_free"))
		return false;
	if (!report_active(w, "free"))
		return false;
	/* The kernel's fix-up; an item on its timer is a delayed one. */
	uintptr_t d = w_load(w);
	if (!(d & W_PWQ) && (d & W_OFF_TIMER))
		bh_cancel_delayed_work_sync(bh_to_delayed_work(w));
	else
		bh_cancel_work_sync(w);
	return true;
}

void bh_work_destroy_on_stack(struct bh_work *w)
{
	if (!check_work(w, "bh_work_destroy_on_stack"))
		return;
	if (report_active(w, "destroy"))
		bh_cancel_work_sync(w);
}

void bh_delayed_work_destroy_on_stack(struct bh_delayed_work *dw)
{
	if (!check_work(dw ? &dw->work : NULL,
			"bh_delayed_work_destroy_on_stack"))
		return;
	if (report_active(&dw->work, "destroy"))
		bh_cancel_delayed_work_sync(dw);
}
