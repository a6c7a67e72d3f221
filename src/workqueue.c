// SPDX-License-Identifier: MIT
/*
 * Workqueues: creation and destruction, max_active, flush by colour
 * (C4, C5), drain, freezing, the system workqueues and statistics.
 *
 * A workqueue is a set of pwqs, one per pool it uses: one per bh CPU for a
 * per-CPU (or BH) queue, one for an unbound queue, so that max_active is a
 * per-CPU limit for the former and a system-wide one for the latter (F2,
 * F3 with the machine as a single node).
 *
 * Flushing. Each queued item carries the workqueue's current colour (16,
 * as the kernel's) and is counted per colour on its pwq. A flusher moves
 * the workqueue to the next colour and waits until every colour from the
 * oldest unflushed one up to its own has no item left: items queued after
 * the call have a newer colour and cannot extend the wait (C4). When all
 * 16 colours are in use the next flusher waits for the oldest generation
 * to finish first, the kernel's overflow list (C5).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workqueue_internal.h"

struct bh_workqueue *bh_system_wq;
struct bh_workqueue *bh_system_highpri_wq;
struct bh_workqueue *bh_system_long_wq;
struct bh_workqueue *bh_system_unbound_wq;
struct bh_workqueue *bh_system_freezable_wq;
struct bh_workqueue *bh_system_power_efficient_wq;
struct bh_workqueue *bh_system_bh_wq;
struct bh_workqueue *bh_system_bh_highpri_wq;

int bh__wq_frozen; /* A */

static pthread_mutex_t wq_list_lock = PTHREAD_MUTEX_INITIALIZER;
static struct bh_workqueue *wq_list; /* G: wq_list_lock */

static bool is_system_wq(const struct bh_workqueue *wq)
{
	return wq == bh_system_wq || wq == bh_system_highpri_wq ||
	       wq == bh_system_long_wq || wq == bh_system_unbound_wq ||
	       wq == bh_system_freezable_wq ||
	       wq == bh_system_power_efficient_wq || wq == bh_system_bh_wq ||
	       wq == bh_system_bh_highpri_wq;
}

struct bh__pwq *bh__wq_pwq(struct bh_workqueue *wq, int cpu)
{
	if (wq->flags & BH_WQ_UNBOUND)
		return wq->pwqs[0];
	if (cpu == BH_WORK_CPU_UNBOUND || cpu < 0 || cpu >= wq->nr_pwqs)
		cpu = bh__this_cpu();
	return wq->pwqs[cpu];
}

bool bh__wq_pwq_registered(const struct bh__pwq *pwq)
{
	bool found = false;
	pthread_mutex_lock(&wq_list_lock);
	for (struct bh_workqueue *wq = wq_list; wq && !found; wq = wq->next)
		for (int i = 0; i < wq->nr_pwqs; i++)
			if (wq->pwqs[i] == pwq)
				found = true;
	pthread_mutex_unlock(&wq_list_lock);
	return found;
}

void bh__wq_for_each(void (*fn)(struct bh_workqueue *wq, void *arg), void *arg)
{
	pthread_mutex_lock(&wq_list_lock);
	for (struct bh_workqueue *wq = wq_list; wq; wq = wq->next)
		fn(wq, arg);
	pthread_mutex_unlock(&wq_list_lock);
}

const char *bh_workqueue_name(const struct bh_workqueue *wq)
{
	return wq ? wq->name : "(null)";
}

/* ---- max_active -----------------------------------------------------------
 */

static int clamp_max_active(int max_active, const char *name)
{
	if (max_active < 1 || max_active > BH_WQ_MAX_ACTIVE) {
		int c = max_active < 1 ? 1 : BH_WQ_MAX_ACTIVE;
		BH_WARN(1,
			"workqueue: max_active %d requested for %s is out of "
			"range, clamping between %d and %d",
			max_active, name, 1, BH_WQ_MAX_ACTIVE);
		return c;
	}
	return max_active;
}

/* Apply the effective limit to every pwq and start what it allows. */
static void apply_max_active(struct bh_workqueue *wq)
{
	int eff = wq->saved_max_active;
	if ((wq->flags & BH_WQ_FREEZABLE) &&
	    __atomic_load_n(&bh__wq_frozen, __ATOMIC_ACQUIRE))
		eff = 0; /* F16 */
	for (int i = 0; i < wq->nr_pwqs; i++) {
		struct bh__pwq *pwq = wq->pwqs[i];
		struct bh__pool *p = pwq->pool;
		unsigned long f = bh__pool_lock(p);
		bh__pool_drain_incoming(p);
		pwq->max_active = eff;
		bh__pwq_activate(pwq);
		bool kick = p->nr_worklist != 0;
		bh__pool_unlock(p, f);
		if (kick)
			bh__pool_kick(p);
	}
}

void bh_workqueue_set_max_active(struct bh_workqueue *wq, int max_active)
{
	if (!wq) {
		BH_WARN(1, "bh: bh_workqueue_set_max_active(NULL)");
		return;
	}
	/* F6, B6, M18 */
	if (BH_WARN(wq->flags & (BH_WQ_BH | BH_WQ_ORDERED_),
		    "workqueue: workqueue_set_max_active() on %s "
		    "workqueue %s is ignored",
		    (wq->flags & BH_WQ_BH) ? "BH" : "ordered", wq->name))
		return;
	max_active = clamp_max_active(max_active, wq->name);
	pthread_mutex_lock(&wq->flush_mutex);
	wq->saved_max_active = max_active;
	apply_max_active(wq);
	pthread_mutex_unlock(&wq->flush_mutex);
}

bool bh_workqueue_congested(int cpu, struct bh_workqueue *wq)
{
	if (!wq)
		return false;
	struct bh__pwq *pwq = bh__wq_pwq(wq, cpu);
	unsigned long f = bh__pool_lock(pwq->pool);
	/* Items just queued may still be on `incoming`, not yet sorted into
	 * active and deferred: sort them first, so that the answer holds
	 * from the moment queue_work() returned. */
	bh__pool_drain_incoming(pwq->pool);
	bool r = pwq->nr_inactive != 0;
	bh__pool_unlock(pwq->pool, f);
	return r;
}

/* ---- creation and destruction -------------------------------------------- */

static void free_wq(struct bh_workqueue *wq)
{
	if (wq->pwqs)
		for (int i = 0; i < wq->nr_pwqs; i++)
			free(wq->pwqs[i]);
	free(wq->pwqs);
	pthread_mutex_destroy(&wq->flush_mutex);
	free(wq);
}

static struct bh__pool *pool_for(unsigned int flags, int cpu)
{
	bool hi = flags & BH_WQ_HIGHPRI;
	if (flags & BH_WQ_BH)
		return bh__cpu_pool(cpu, hi ? POOL_BH_HIGHPRI : POOL_BH);
	if (flags & BH_WQ_UNBOUND)
		return bh__unbound_pool(hi);
	return bh__cpu_pool(cpu, hi ? POOL_HIGHPRI : POOL_NORMAL);
}

struct bh_workqueue *bh_alloc_workqueue(const char *fmt, unsigned int flags,
					int max_active, ...)
{
	if (!bh__live()) {
		bh__dead_error("bh_alloc_workqueue");
		return NULL;
	}
	bh_might_sleep();
	if (!fmt) {
		BH_WARN(1, "bh: bh_alloc_workqueue(NULL name)");
		return NULL;
	}
	char name[256];
	va_list ap;
	va_start(ap, max_active);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	if (strlen(name) >= BH_WQ_NAME_LEN) {
		name[BH_WQ_NAME_LEN - 1] = 0;
		BH_WARN_ONCE(1,
			     "workqueue: name exceeds WQ_NAME_LEN. Truncating "
			     "to: %s",
			     name); /* F20 */
	}
	if (flags & ~BH_WQ_VALID_FLAGS) {
		BH_WARN(1, "workqueue %s: unknown flags 0x%x", name,
			flags & ~BH_WQ_VALID_FLAGS);
		return NULL;
	}
	if (flags & BH_WQ_BH) {
		/* F19 */
		if (BH_WARN_ONCE((flags &
				  ~(BH_WQ_BH | BH_WQ_HIGHPRI | BH_WQ_PERCPU)) ||
					 max_active,
				 "workqueue %s: WQ_BH takes only WQ_HIGHPRI "
				 "and max_active 0 (flags 0x%x, max_active %d)",
				 name, flags, max_active))
			return NULL;
	}
	if ((flags & BH_WQ_PERCPU) && (flags & BH_WQ_UNBOUND)) {
		BH_WARN_ONCE(1,
			     "workqueue %s: both WQ_PERCPU and WQ_UNBOUND; "
			     "unbound",
			     name); /* F21 */
		flags &= ~BH_WQ_PERCPU;
	}
	if (flags & BH_WQ_ORDERED_)
		flags |= BH_WQ_UNBOUND;

	struct bh_workqueue *wq = bh__calloc(1, sizeof(*wq));
	if (!wq)
		return NULL;
	memcpy(wq->name, name, sizeof(wq->name) - 1); /* cut above */
	wq->flags = flags;
	if (flags & BH_WQ_BH)
		wq->saved_max_active = 1 << 30; /* B6: no limit */
	else if (flags & BH_WQ_ORDERED_)
		wq->saved_max_active = 1; /* F7 */
	else
		wq->saved_max_active =
			max_active ? clamp_max_active(max_active, name)
				   : BH_WQ_DFL_ACTIVE;
	pthread_mutex_init(&wq->flush_mutex, NULL);
	wq->nr_pwqs = (flags & BH_WQ_UNBOUND) ? 1 : bh__rt.nr_cpus;
	wq->pwqs = bh__calloc((size_t)wq->nr_pwqs, sizeof(*wq->pwqs));
	if (!wq->pwqs)
		goto fail;
	for (int i = 0; i < wq->nr_pwqs; i++) {
		struct bh__pwq *pwq =
			bh__aligned_alloc(PWQ_ALIGN, sizeof(*pwq));
		if (!pwq)
			goto fail;
		memset(pwq, 0, sizeof(*pwq));
		wq->pwqs[i] = pwq;
		pwq->wq = wq;
		pwq->cpu = (flags & BH_WQ_UNBOUND) ? -1 : i;
		pwq->pool = pool_for(flags, i);
		wl_init(&pwq->inactive);
		pwq->max_active = wq->saved_max_active;
		if ((flags & BH_WQ_FREEZABLE) &&
		    __atomic_load_n(&bh__wq_frozen, __ATOMIC_ACQUIRE))
			pwq->max_active = 0;
		if (bh__pool_ensure_worker(pwq->pool))
			goto fail;
	}
	if ((flags & BH_WQ_MEM_RECLAIM) && bh__rescuer_start(wq))
		goto fail;
	pthread_mutex_lock(&wq_list_lock);
	wq->next = wq_list;
	wq_list = wq;
	pthread_mutex_unlock(&wq_list_lock);
	return wq;
fail:
	free_wq(wq);
	return NULL;
}

static bool wq_empty(struct bh_workqueue *wq)
{
	for (int i = 0; i < wq->nr_pwqs; i++)
		for (int c = 0; c < W_NR_COLORS; c++)
			if (bh__pwq_in_flight(wq->pwqs[i], (unsigned int)c))
				return false;
	return true;
}

static void unlist(struct bh_workqueue *wq)
{
	pthread_mutex_lock(&wq_list_lock);
	struct bh_workqueue **pp = &wq_list;
	while (*pp && *pp != wq)
		pp = &(*pp)->next;
	if (*pp)
		*pp = wq->next;
	pthread_mutex_unlock(&wq_list_lock);
}

static void flush_wq(struct bh_workqueue *wq);
static int destroy_wq(struct bh_workqueue *wq);

/*
 * M3: flushing `wq` (directly, or by draining or destroying it) from one
 * of its own items waits for the caller itself; the kernel deadlocks and
 * lockdep names the pseudo-lock (wq_completion)<name>. Report it the same
 * way and tell the caller not to wait.
 */
static bool flush_from_own_item(struct bh_workqueue *wq)
{
	struct bh__worker *wk = bh__self.worker;
	if (!wk || !wk->current_pwq || wk->current_pwq->wq != wq)
		return false;
	BH_WARN(1,
		"possible recursive locking detected: "
		"(wq_completion)%s is flushed from one of its own "
		"items and would wait forever",
		wq->name);
	return true;
}

static void drain_wq(struct bh_workqueue *wq)
{
	__atomic_add_fetch(&wq->draining, 1, __ATOMIC_SEQ_CST);
	for (unsigned int tries = 1;; tries++) {
		flush_wq(wq);
		if (wq_empty(wq))
			break;
		/* C6: the kernel's complaint schedule. */
		if (tries == 10 || (tries % 100 == 0 && tries <= 1000))
			BH_WARN(1,
				"workqueue %s: drain_workqueue() isn't "
				"complete "
				"after %u tries",
				wq->name, tries);
	}
	__atomic_sub_fetch(&wq->draining, 1, __ATOMIC_SEQ_CST);
}

void bh_drain_workqueue(struct bh_workqueue *wq)
{
	if (!wq) {
		BH_WARN(1, "bh: bh_drain_workqueue(NULL)");
		return;
	}
	bh_might_sleep();
	if (flush_from_own_item(wq))
		return;
	drain_wq(wq);
}

/* M12: anything still counted after draining. */
static bool wq_busy(struct bh_workqueue *wq)
{
	bool busy = false;
	for (int i = 0; i < wq->nr_pwqs; i++) {
		struct bh__pwq *pwq = wq->pwqs[i];
		unsigned long f = bh__pool_lock(pwq->pool);
		if (pwq->nr_active || pwq->nr_inactive) {
			busy = true;
			/* M12: the kernel's text, which names the caller. */
			bh_kprintf("\0014destroy_workqueue: %s has the "
				   "following busy pwq\n"
				   "  pwq cpu=%d: active=%d inactive=%u "
				   "max_active=%d\n",
				   wq->name, pwq->cpu, pwq->nr_active,
				   pwq->nr_inactive, pwq->max_active);
		}
		bh__pool_unlock(pwq->pool, f);
	}
	return busy;
}

void bh_destroy_workqueue(struct bh_workqueue *wq)
{
	if (!wq) {
		BH_WARN(1, "bh: bh_destroy_workqueue(NULL)");
		return;
	}
	bh_might_sleep();
	/*
	 * From one of its own items the queue cannot be drained, and its
	 * memory cannot go while the caller runs on it: report (M3) and
	 * leave it as it is, usable, instead of hanging.
	 */
	if (flush_from_own_item(wq))
		return;
	if (__atomic_exchange_n(&wq->destroyed, 1, __ATOMIC_SEQ_CST)) {
		BH_WARN(1, "workqueue %s: destroyed twice", wq->name);
		return;
	}
	destroy_wq(wq);
}

static bool armed_for(struct bh_timer *t, void *arg)
{
	if (t->function != bh__delayed_work_timer_fn)
		return false;
	struct bh_delayed_work *dw =
		bh_container_of(t, struct bh_delayed_work, timer);
	return __atomic_load_n(&dw->wq, __ATOMIC_RELAXED) == arg;
}

/*
 * D14: the kernel leaves delayed items armed for a destroyed queue, and
 * their timers later queue onto freed memory. Find them in the timer
 * wheels, report and cancel each. Returns how many.
 */
static int cancel_armed(struct bh_workqueue *wq)
{
	int n = 0;
	for (int c = 0; c < bh__rt.nr_cpus; c++) {
		for (;;) {
			struct bh_timer *found[32];
			int got = bh__timer_collect(&bh__cpus[c], armed_for, wq,
						    found, 32);
			for (int i = 0; i < got; i++) {
				struct bh_delayed_work *dw = bh_container_of(
					found[i], struct bh_delayed_work,
					timer);
				if (!bh_cancel_delayed_work(dw)) {
					/* An arm left over from a cancelled
					 * run: it would do nothing. */
					bh_timer_delete(&dw->timer);
					continue;
				}
				char sym[64];
				BH_WARN(1,
					"workqueue %s: destroyed with delayed "
					"work %p (%s) still armed: cancelled",
					wq->name, (void *)dw,
					bh__symbol_name(
						(const void *)dw->work.func,
						sym, sizeof(sym)));
				n++;
			}
			if (got < 32)
				break;
		}
	}
	return n;
}

/* Wait until no delayed-work timer callback for `wq` runs anywhere. */
static void wait_timer_callbacks(struct bh_workqueue *wq)
{
	for (int c = 0; c < bh__rt.nr_cpus; c++)
		for (;;) {
			struct bh_timer *t = __atomic_load_n(
				&bh__cpus[c].timer.running, __ATOMIC_ACQUIRE);
			if (!t || !armed_for(t, wq))
				break;
			bh__cpu_relax();
		}
}

/* Destroy; returns how many armed delayed items were cancelled. */
static int destroy_wq(struct bh_workqueue *wq)
{
	int armed = cancel_armed(wq);
	/* C7: drain, then never accept anything again. */
	drain_wq(wq);
	__atomic_add_fetch(&wq->draining, 1, __ATOMIC_SEQ_CST);
	bool busy = wq_busy(wq);
	bh__rescuer_stop(wq);
	unlist(wq);
	/* A timer armed meanwhile finds a draining queue (C8); one whose
	 * callback runs now must be out before the memory goes. */
	armed += cancel_armed(wq);
	wait_timer_callbacks(wq);
	if (busy) {
		BH_WARN(1, "workqueue %s: busy after draining; leaked",
			wq->name); /* M12 */
		return armed;
	}
	free_wq(wq);
	return armed;
}

/* ---- flushing ---------------------------------------------------------------
 */

static bool colour_done(struct bh_workqueue *wq, unsigned int c)
{
	for (int i = 0; i < wq->nr_pwqs; i++)
		if (bh__pwq_in_flight(wq->pwqs[i], c))
			return false;
	return true;
}

static void wait_flush_seq(struct bh_workqueue *wq, uint32_t seq)
{
	bh__sleep_on(&wq->flush_seq, seq, NULL, false);
}

static void flush_wq(struct bh_workqueue *wq)
{
	struct bh_workqueue *g = wq;
	__atomic_add_fetch(&wq->nr_flushers, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&wq->flush_mutex);
	/* C5: every colour in use: wait for the oldest generation. */
	while (g->work_gen + 1 - g->flush_gen >= W_NR_COLORS) {
		uint32_t seq =
			__atomic_load_n(&wq->flush_seq, __ATOMIC_SEQ_CST);
		unsigned int oldest =
			(unsigned int)(g->flush_gen % W_NR_COLORS);
		if (colour_done(wq, oldest)) {
			__atomic_add_fetch(&g->flush_gen, 1, __ATOMIC_SEQ_CST);
			continue;
		}
		pthread_mutex_unlock(&wq->flush_mutex);
		wait_flush_seq(wq, seq);
		pthread_mutex_lock(&wq->flush_mutex);
	}
	unsigned long long first = g->flush_gen, mine = g->work_gen;
	g->work_gen++;
	__atomic_store_n(&wq->work_color,
			 (unsigned int)(g->work_gen % W_NR_COLORS),
			 __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&wq->flush_mutex);

	for (unsigned long long gen = first; gen <= mine;) {
		uint32_t seq =
			__atomic_load_n(&wq->flush_seq, __ATOMIC_SEQ_CST);
		/* Done if seen empty, or if another flusher already saw its
		 * generation through: its colour may be in use again by
		 * now, and waiting for that would let producers livelock us. */
		if (__atomic_load_n(&g->flush_gen, __ATOMIC_SEQ_CST) > gen ||
		    colour_done(wq, (unsigned int)(gen % W_NR_COLORS))) {
			gen++;
			continue;
		}
		wait_flush_seq(wq, seq);
	}

	pthread_mutex_lock(&wq->flush_mutex);
	if (g->flush_gen < mine + 1)
		__atomic_store_n(&g->flush_gen, mine + 1, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&wq->flush_mutex);
	__atomic_sub_fetch(&wq->nr_flushers, 1, __ATOMIC_SEQ_CST);
	/* Flushers waiting for a free colour look again. */
	__atomic_fetch_add(&wq->flush_seq, 1, __ATOMIC_SEQ_CST);
	bh__futex_wake(&wq->flush_seq, INT32_MAX);
}

void bh_flush_workqueue(struct bh_workqueue *wq)
{
	if (!wq) {
		BH_WARN(1, "bh: bh_flush_workqueue(NULL)");
		return;
	}
	bh_might_sleep();
	if (flush_from_own_item(wq))
		return;
	struct bh__worker *wk = bh__self.worker;
	if (is_system_wq(wq))
		BH_WARN(1, "WARNING: Flushing system-wide workqueues will be "
			   "prohibited in near future."); /* M11 */
	if (wk && wk->current_pwq)
		BH_WARN_ONCE((wk->current_pwq->wq->flags & BH_WQ_MEM_RECLAIM) &&
				     !(wq->flags & BH_WQ_MEM_RECLAIM),
			     "workqueue: WQ_MEM_RECLAIM %s:%p is flushing "
			     "!WQ_MEM_RECLAIM %s",
			     wk->current_pwq->wq->name,
			     (void *)wk->current_func, wq->name); /* F15 */
	flush_wq(wq);
}

/* ---- freezing (F16) ------------------------------------------------------ */

static void refreeze(struct bh_workqueue *wq, void *arg)
{
	(void)arg;
	if (wq->flags & BH_WQ_FREEZABLE)
		apply_max_active(wq);
}

void bh_freeze_workqueues_begin(void)
{
	__atomic_store_n(&bh__wq_frozen, 1, __ATOMIC_RELEASE);
	bh__wq_for_each(refreeze, NULL);
}

static void busy_check(struct bh_workqueue *wq, void *arg)
{
	bool *busy = arg;
	if (!(wq->flags & BH_WQ_FREEZABLE))
		return;
	for (int i = 0; i < wq->nr_pwqs; i++) {
		struct bh__pwq *pwq = wq->pwqs[i];
		unsigned long f = bh__pool_lock(pwq->pool);
		if (pwq->nr_active)
			*busy = true;
		bh__pool_unlock(pwq->pool, f);
	}
}

bool bh_freeze_workqueues_busy(void)
{
	bool busy = false;
	bh__wq_for_each(busy_check, &busy);
	return busy;
}

void bh_thaw_workqueues(void)
{
	__atomic_store_n(&bh__wq_frozen, 0, __ATOMIC_RELEASE);
	bh__wq_for_each(refreeze, NULL);
}

/* ---- statistics
 * --------------------------------------------------------------- */

int bh_workqueue_get_stats(const struct bh_workqueue *wq,
			   struct bh_wq_stats *st)
{
	if (!wq || !st)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	for (int i = 0; i < wq->nr_pwqs; i++) {
		const struct bh__pwq *pwq = wq->pwqs[i];
		if (!pwq)
			continue;
		st->started += __atomic_load_n(&pwq->started, __ATOMIC_RELAXED);
		st->completed +=
			__atomic_load_n(&pwq->completed, __ATOMIC_RELAXED);
	}
	st->cpu_intensive =
		__atomic_load_n(&wq->cpu_intensive, __ATOMIC_RELAXED);
	st->cm_wakeup = __atomic_load_n(&wq->cm_wakeup, __ATOMIC_RELAXED);
	st->mayday = __atomic_load_n(&wq->mayday, __ATOMIC_RELAXED);
	st->rescued = __atomic_load_n(&wq->rescued, __ATOMIC_RELAXED);
	for (int i = 0; i < wq->nr_pwqs; i++) {
		struct bh__pwq *pwq = wq->pwqs[i];
		unsigned long f = bh__pool_lock(pwq->pool);
		st->nr_active += (unsigned int)pwq->nr_active;
		st->nr_inactive += pwq->nr_inactive;
		bh__pool_unlock(pwq->pool, f);
	}
	return 0;
}

static void show_one(struct bh_workqueue *wq, void *arg)
{
	(void)arg;
	struct bh_wq_stats st;
	bh_workqueue_get_stats(wq, &st);
	bool unbound = wq->flags & BH_WQ_UNBOUND;
	bool reclaim = wq->flags & BH_WQ_MEM_RECLAIM;
	char itsv[24] = "-", may[24] = "-", res[24] = "-";
	if (!unbound)
		snprintf(itsv, sizeof(itsv), "%llu", st.cpu_intensive);
	if (reclaim) {
		snprintf(may, sizeof(may), "%llu", st.mayday);
		snprintf(res, sizeof(res), "%llu", st.rescued);
	}
	/* The columns of the kernel's wq_monitor.py (F18). */
	bh_kprintf("\0016workqueue %-24s total %llu infl %llu CPUitsv %s "
		   "CMW/RPR %llu mayday %s rescued %s active %u inactive %u\n",
		   wq->name, st.started, st.started - st.completed, itsv,
		   st.cm_wakeup, may, res, st.nr_active, st.nr_inactive);
}

void bh_show_workqueue_state(void)
{
	bh_kprintf("\0016Showing busy workqueues and worker pools:\n");
	bh__wq_for_each(show_one, NULL);
}

/* ---- helpers built on queueing ------------------------------------------- */

int bh_schedule_on_each_cpu(bh_work_func_t fn)
{
	if (!bh__live())
		return bh__dead_error("bh_schedule_on_each_cpu");
	if (!fn) {
		BH_WARN(1, "bh: bh_schedule_on_each_cpu(NULL)");
		return -EINVAL;
	}
	bh_might_sleep();
	int n = bh__rt.nr_cpus;
	struct bh_work *works = bh__calloc((size_t)n, sizeof(*works));
	if (!works)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		bh_work_init(&works[i], fn);
		bh_queue_work_on(i, bh_system_wq, &works[i]);
	}
	for (int i = 0; i < n; i++)
		bh_flush_work(&works[i]);
	free(works);
	return 0;
}

struct work_for_cpu {
	struct bh_work work;
	long (*fn)(void *);
	void *arg;
	long ret;
};

static void work_for_cpu_fn(struct bh_work *w)
{
	struct work_for_cpu *wfc =
		bh_container_of(w, struct work_for_cpu, work);
	wfc->ret = wfc->fn(wfc->arg);
}

long bh_work_on_cpu(int cpu, long (*fn)(void *arg), void *arg)
{
	if (!bh__live())
		return bh__dead_error("bh_work_on_cpu");
	if (!fn || cpu < 0 || cpu >= bh__rt.nr_cpus) {
		BH_WARN(1, "bh: bh_work_on_cpu(%d, %p): bad argument", cpu,
			(void *)(uintptr_t)fn);
		return -EINVAL;
	}
	bh_might_sleep();
	struct work_for_cpu wfc = {.fn = fn, .arg = arg};
	bh_work_init_onstack(&wfc.work, work_for_cpu_fn);
	bh_queue_work_on(cpu, bh_system_wq, &wfc.work);
	bh_flush_work(&wfc.work);
	bh_work_destroy_on_stack(&wfc.work);
	return wfc.ret;
}

int bh_execute_in_process_context(bh_work_func_t fn, struct bh_execute_work *ew)
{
	if (!fn || !ew) {
		BH_WARN(1, "bh: bh_execute_in_process_context(NULL)");
		return -EINVAL;
	}
	if (!bh_in_interrupt()) {
		fn(&ew->work); /* W18 */
		return 0;
	}
	bh_work_init(&ew->work, fn);
	bh_schedule_work(&ew->work);
	return 1;
}

/* ---- runtime start and stop ------------------------------------------------
 */

int bh__wq_init(void)
{
	int err = bh__workers_start();
	if (err)
		return err;
	bh_system_wq = bh_alloc_workqueue("events", BH_WQ_PERCPU, 0);
	bh_system_highpri_wq =
		bh_alloc_workqueue("events_highpri", BH_WQ_HIGHPRI, 0);
	bh_system_long_wq = bh_alloc_workqueue("events_long", 0, 0);
	bh_system_unbound_wq = bh_alloc_workqueue(
		"events_unbound", BH_WQ_UNBOUND, BH_WQ_MAX_ACTIVE);
	bh_system_freezable_wq =
		bh_alloc_workqueue("events_freezable", BH_WQ_FREEZABLE, 0);
	bh_system_power_efficient_wq = bh_alloc_workqueue(
		"events_power_efficient", BH_WQ_POWER_EFFICIENT, 0);
	bh_system_bh_wq = bh_alloc_workqueue("events_bh", BH_WQ_BH, 0);
	bh_system_bh_highpri_wq = bh_alloc_workqueue(
		"events_bh_highpri", BH_WQ_BH | BH_WQ_HIGHPRI, 0);
	if (!bh_system_wq || !bh_system_highpri_wq || !bh_system_long_wq ||
	    !bh_system_unbound_wq || !bh_system_freezable_wq ||
	    !bh_system_power_efficient_wq || !bh_system_bh_wq ||
	    !bh_system_bh_highpri_wq)
		return -ENOMEM;
	return 0;
}

static void count_completed(struct bh_workqueue *wq, void *arg)
{
	struct bh_wq_stats st;
	bh_workqueue_get_stats(wq, &st);
	*(unsigned long long *)arg += st.completed;
}

/* Flush every non-BH workqueue; returns how many items completed. */
unsigned long long bh__wq_quiesce(void)
{
	unsigned long long before = 0, after = 0;
	bh__wq_for_each(count_completed, &before);
	for (;;) {
		struct bh_workqueue *todo[64];
		int n = 0;
		pthread_mutex_lock(&wq_list_lock);
		for (struct bh_workqueue *wq = wq_list; wq && n < 64;
		     wq = wq->next)
			if (!(wq->flags & BH_WQ_BH) && !wq_empty(wq))
				todo[n++] = wq;
		pthread_mutex_unlock(&wq_list_lock);
		if (!n)
			break;
		/* Frozen items would never finish: thaw (U6). */
		if (__atomic_load_n(&bh__wq_frozen, __ATOMIC_ACQUIRE))
			bh_thaw_workqueues();
		for (int i = 0; i < n; i++)
			flush_wq(todo[i]);
	}
	bh__wq_for_each(count_completed, &after);
	return after - before;
}

int bh__wq_shutdown(void)
{
	int left = 0;
	for (;;) {
		pthread_mutex_lock(&wq_list_lock);
		struct bh_workqueue *wq = wq_list;
		pthread_mutex_unlock(&wq_list_lock);
		if (!wq)
			break;
		if (!is_system_wq(wq))
			BH_WARN(1,
				"workqueue %s: still allocated at "
				"bh_shutdown(); "
				"destroyed now",
				wq->name);
		__atomic_store_n(&wq->destroyed, 1, __ATOMIC_RELAXED);
		left += destroy_wq(wq);
	}
	bh_system_wq = bh_system_highpri_wq = bh_system_long_wq = NULL;
	bh_system_unbound_wq = bh_system_freezable_wq = NULL;
	bh_system_power_efficient_wq = NULL;
	bh_system_bh_wq = bh_system_bh_highpri_wq = NULL;
	__atomic_store_n(&bh__wq_frozen, 0, __ATOMIC_RELEASE);
	bh__workers_stop();
	return left;
}

/* The workqueues not destroyed, and their inactive items, for
 * bh_debug_for_each_live_object(), under the list's lock (creation and
 * destruction take it). */
void bh__wq_walk(void (*fn)(const struct bh_debug_object *o, void *arg),
		 void *arg)
{
	pthread_mutex_lock(&wq_list_lock);
	for (struct bh_workqueue *wq = wq_list; wq; wq = wq->next) {
		struct bh_debug_object o = {
			.kind = BH_DEBUG_WORKQUEUE,
			.obj = wq,
			.name = wq->name,
		};
		fn(&o, arg);
		/* Its items held back by max_active (under their pool's
		 * lock, taken inside the list lock as elsewhere). */
		for (int i = 0; i < wq->nr_pwqs; i++) {
			struct bh__pwq *pwq = wq->pwqs[i];
			if (!pwq)
				continue;
			unsigned long f = bh__pool_lock(pwq->pool);
			for (struct bh_work *w = pwq->inactive.next;
			     w != &pwq->inactive; w = w->next) {
				struct bh_debug_object wo = {
					.kind = BH_DEBUG_WORK,
					.obj = w,
					.fn = (const void *)w->func,
					.name = wq->name,
					.cpu = pwq->cpu,
				};
				fn(&wo, arg);
			}
			bh__pool_unlock(pwq->pool, f);
		}
	}
	pthread_mutex_unlock(&wq_list_lock);
}
