// SPDX-License-Identifier: MIT
/*
 * What a signal handler leaves for later. A handler that interrupted its
 * own thread while that thread holds a pool or timer-base lock, or owns the
 * item (a grab, a push), cannot take the item off its list or wait for it:
 * in the kernel the interrupt could not have come, irqs being off there.
 * So the handler's operation is recorded in the thread, visible on the
 * item where others could be misled (TDIS, OFF_DEBT, disables counted on
 * the state word: see workqueue_internal.h and count_disable() in
 * work.c), and done as the thread leaves that window: at the outermost
 * pool unlock, the timer-base unlock, or the owner's release.
 *
 * The records are per-thread slots. Handlers nest, and one can land while
 * the code it interrupted is halfway through these, so every change is one
 * atomic instruction on one slot (a signal arrives between instructions):
 * a slot is taken by CAS from NULL and given back by CAS to NULL, whoever
 * wins owning what was in it. No ordering with other threads is needed,
 * only with this thread's handlers, so relaxed suffices.
 */
#include <pthread.h>
#include <signal.h>

#include "workqueue_internal.h"

#define NDEFER (sizeof(bh__self.wq_defer) / sizeof(bh__self.wq_defer[0]))

bool bh__defer_disable(struct bh__thread *s, struct bh_work *w)
{
	for (unsigned int i = 0; i < NDEFER; i++) {
		struct bh_work *none = NULL;
		if (__atomic_compare_exchange_n(&s->wq_defer[i], &none, w,
						false, __ATOMIC_RELAXED,
						__ATOMIC_RELAXED)) {
			__atomic_fetch_add(&s->wq_defer_n, 1, __ATOMIC_RELAXED);
			return true;
		}
	}
	return false;
}

static bool undefer(struct bh__thread *s, unsigned int i, struct bh_work *w)
{
	if (!__atomic_compare_exchange_n(&s->wq_defer[i], &w, NULL, false,
					 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return false;
	__atomic_fetch_sub(&s->wq_defer_n, 1, __ATOMIC_RELAXED);
	return true;
}

#define NDEFER_MOD                                                             \
	(sizeof(bh__self.wq_defer_mod) / sizeof(bh__self.wq_defer_mod[0]))
#define BH__DEFER_FILLING ((struct bh_delayed_work *)1)

/*
 * The linearisation chosen for a handler's mod_delayed_work() of an item
 * the interrupted code owns or has linked (where the kernel would have had
 * the interrupt wait, its irqs being off): if pending, it was pending
 * before that code's operation finished, so the mod returns true and
 * re-arms it afterwards if it is still pending then (an operation that
 * left it idle or disabled came after, and wins). A tombstone is made
 * pending again where it lies, as queue_work() would, and re-armed the
 * same way afterwards: false.
 */
int bh__defer_mod(int cpu, struct bh_workqueue *wq, struct bh_delayed_work *dw,
		  unsigned long delay)
{
	struct bh__thread *s = &bh__self;
	struct bh_work *w = &dw->work;
	int ret;
	for (;;) {
		uintptr_t d = w_load(w);
		if (w_owed(d))
			return 0; /* X2: a disable is owed */
		if ((d & W_PWQ) && !(d & W_PENDING)) {
			if (!bh__resurrect(w, &d))
				continue;
			ret = 0;
			break;
		}
		if (!(d & W_PENDING))
			return -1; /* released meanwhile: free to grab */
		ret = 1;
		break;
	}
	/*
	 * A later mod of the same item replaces the earlier one's target and
	 * delay, as it would have had the first not waited: first look for
	 * its slot (pass 0), then a free one (pass 1).
	 */
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned int i = 0; i < NDEFER_MOD; i++) {
			struct bh_delayed_work *was = pass ? NULL : dw;
			if (!__atomic_compare_exchange_n(
				    &s->wq_defer_mod[i].dw, &was,
				    BH__DEFER_FILLING, false, __ATOMIC_RELAXED,
				    __ATOMIC_RELAXED))
				continue;
			s->wq_defer_mod[i].wq = wq;
			s->wq_defer_mod[i].cpu = cpu;
			s->wq_defer_mod[i].delay = delay;
			bh__signal_barrier();
			__atomic_store_n(&s->wq_defer_mod[i].dw, dw,
					 __ATOMIC_RELAXED);
			/*
			 * Not pinned (defer_pin.c): a thread can leave the
			 * library with such a mod still recorded (applied at
			 * its next call), so a pin could outlive the thread
			 * and a cancel_sync would wait for ever. The window
			 * this leaves is in docs/RELIABILITY.md, Findings.
			 */
			if (pass)
				__atomic_fetch_add(&s->wq_defer_n, 1,
						   __ATOMIC_RELAXED);
			return ret;
		}
	}
	BH_WARN_ONCE(1, "bh: too many mod_delayed_work() calls from signal "
			"handlers interrupting one thread: delay dropped");
	return ret;
}

/* Take and run this thread's deferred mods of items it does not own. */
static bool apply_mods(struct bh__thread *s)
{
	bool any = false;
	/* Inside a timer-base section, a re-arm would only be deferred
	 * again: the section's unlock calls us back. */
	if (s->timer_lock_depth)
		return false;
	for (unsigned int i = 0; i < NDEFER_MOD && !s->wq_lock_depth; i++) {
		struct bh_delayed_work *dw = __atomic_load_n(
			&s->wq_defer_mod[i].dw, __ATOMIC_RELAXED);
		if (!dw || dw == BH__DEFER_FILLING)
			continue;
		/* Claimed as FILLING while we read it, so that a handler's
		 * newer mod of the item takes another slot instead of
		 * rewriting this one under us. */
		if (!__atomic_compare_exchange_n(
			    &s->wq_defer_mod[i].dw, &dw, BH__DEFER_FILLING,
			    false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			continue;
		bh__signal_barrier();
		struct bh_workqueue *wq = s->wq_defer_mod[i].wq;
		int cpu = s->wq_defer_mod[i].cpu;
		unsigned long delay = s->wq_defer_mod[i].delay;
		bh__signal_barrier();
		__atomic_store_n(&s->wq_defer_mod[i].dw, NULL,
				 __ATOMIC_RELAXED);
		__atomic_fetch_sub(&s->wq_defer_n, 1, __ATOMIC_RELAXED);
		bh__mod_if_pending(cpu, wq, dw, delay);
		any = true;
	}
	return any;
}

/* This thread's slots hold a disable of `w`. */
bool bh__owes(const struct bh_work *w)
{
	struct bh__thread *s = &bh__self;
	if (bh_likely(!__atomic_load_n(&s->wq_defer_n, __ATOMIC_RELAXED)))
		return false;
	for (unsigned int i = 0; i < NDEFER; i++)
		if (__atomic_load_n(&s->wq_defer[i], __ATOMIC_RELAXED) == w)
			return true;
	return false;
}

/*
 * A disable from a signal handler that could not be done at once, because
 * the thread it interrupted holds a lock or owns the item, waits in this
 * thread's slots until that ends, visible on the item meanwhile: as if the
 * handler had run just after, as an interrupt would in the kernel, where
 * that window has irqs off. It is paid at the owner's release
 * (bh__release_grab; arm_owned then leaves the item disabled instead of
 * arming it) or at the outermost unlock (bh__wq_apply_deferred).
 */
static unsigned int take_deferred(struct bh_work *w)
{
	struct bh__thread *s = &bh__self;
	unsigned int n = 0;
	if (bh_likely(!__atomic_load_n(&s->wq_defer_n, __ATOMIC_RELAXED)))
		return 0;
	for (unsigned int i = 0; i < NDEFER; i++)
		if (__atomic_load_n(&s->wq_defer[i], __ATOMIC_RELAXED) == w &&
		    undefer(s, i, w))
			n++;
	return n;
}

/*
 * Pay `n` disables owed to `w` (outside any pool lock). Where the debt is
 * marked on the item (TDIS, OFF_DEBT) the item goes straight from there to
 * idle, `n` deeper than the disables others counted on the mark, so no one
 * sees it enabled in between; otherwise (another debtor paid the mark
 * first) they are ordinary disables.
 */
static void pay_debt_masked(struct bh_work *w, unsigned int n);

/*
 * Signals are blocked while paying: a handler landing halfway (after the
 * slots were taken, before the depth is on the item) would find the item
 * owed with no one visibly paying, and a disable it deferred then would be
 * invisible until our next sweep. This is the kernel's irqs-off window,
 * taken only on this rare path (two system calls).
 */
static void pay_debt(struct bh_work *w, unsigned int n)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pay_debt_masked(w, n);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static unsigned int depth_plus(unsigned int depth, unsigned int n)
{
	return depth + n > W_DISABLE_MAX ? W_DISABLE_MAX : depth + n;
}

static void pay_debt_masked(struct bh_work *w, unsigned int n)
{
	uintptr_t d = w_load(w);
	while (w_owed(d)) {
		/* OFF_DEBT: its depth field holds the disables others
		 * counted on it meanwhile. */
		if (!(d & W_PWQ)) {
			unsigned int depth = depth_plus(w_disable(d), n);
			if (w_cas(w, &d, w_off(w_pool_id(d), depth)))
				return;
			continue;
		}
		/* Still a linked TDIS tombstone: unlink it ourselves. */
		struct bh__pool *p = w_pwq(d)->pool;
		unsigned long f = bh__pool_lock(p);
		bh__pool_drain_incoming(p); /* may drop it to OFF_DEBT */
		d = w_load(w);
		bool paid = false;
		/* A TDIS tombstone's colour bits count the extra disables. */
		if (w_owed(d) && (d & W_PWQ) && w_pwq(d)->pool == p &&
		    (d & W_DRAINED))
			paid = bh__pool_unlink_cas(
				p, w, &d,
				w_off(p->id, depth_plus(w_color(d), n)));
		bh__pool_unlock(p, f);
		if (paid)
			return;
		bh__cpu_relax();
		d = w_load(w);
	}
	while (n--)
		bh__cancel_common(w, NULL, true);
}

bool bh__pay_deferred(struct bh_work *w)
{
	unsigned int n = take_deferred(w);
	if (n)
		pay_debt(w, n);
	return n != 0;
}

/*
 * Called by bh__pool_unlock() users at the outermost unlock. Paying takes
 * a pool lock, inside which a handler may defer another disable into a
 * slot already passed: so sweep again until a sweep pays nothing.
 */
void bh__wq_apply_deferred(void)
{
	struct bh__thread *s = &bh__self;
	/*
	 * Not while this thread owns an item (a grab, a push: its marks):
	 * paying or re-arming may wait for another thread's item, whose
	 * owner may be waiting for ours. The owner's last unmark calls us.
	 */
	if (s->wq_grab_n)
		return;
	for (bool paid = true; paid;) {
		paid = false;
		for (unsigned int i = 0; i < NDEFER && !s->wq_lock_depth; i++) {
			struct bh_work *w = __atomic_load_n(&s->wq_defer[i],
							    __ATOMIC_RELAXED);
			if (w && bh__pay_deferred(w))
				paid = true;
		}
		if (apply_mods(s))
			paid = true;
	}
}
