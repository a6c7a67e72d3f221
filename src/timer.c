// SPDX-License-Identifier: MIT
/*
 * Kernel timers (SPEC K1-K10) on a per-bh-CPU hierarchical timing wheel.
 *
 * The wheel. Level n has 64 buckets of 8^n jiffies. A timer goes to the
 * lowest level whose window reaches its expiry rounded *up* to the level's
 * step, so it never fires early; a level is used only when the one below
 * could not hold the timer, i.e. for delays of at least 63 * 8^(n-1)
 * jiffies, which bounds the lateness by about 1/8 of the delay (K3). Bucket
 * s of level n is expired when the base clock reaches its exact time, a
 * multiple of 8^n, so timers are never cascaded between levels. Expiry
 * jumps over empty stretches using a per-level bitmap of non-empty buckets,
 * so an idle base costs nothing however long it sleeps.
 *
 * Ownership. The wheel of a bh CPU is only touched under its base lock,
 * taken with interrupts off for the thread (the kernel's
 * spin_lock_irqsave(&base->lock)), which holds off the library's top halves.
 * A timer's base is the CPU in its flags; it changes only while the timer
 * is unlinked, and only by a thread that holds the old base's lock and
 * marks the timer migrating until the new base's lock is held.
 *
 * Signal handlers. A raw signal handler may interrupt its own thread while
 * that thread holds a base lock (or migrates a timer). It cannot take the
 * lock, so it works on the timer's state word alone, which is the truth for
 * timer_pending() and every return value, and leaves the wheel update on
 * the thread's defer list, which the thread applies as it leaves the
 * locked section. The wheel always converges to the state word: link iff
 * PENDING, at the bucket of `expires`.
 *
 * The state word (16 bits): PENDING, SHUTDOWN, and a generation bumped by
 * every arm and delete. Expiry claims a timer by CAS from the generation it
 * examined; if an arm or delete slipped in, the CAS fails and the timer is
 * looked at again, so an arm is never swallowed by a concurrent expiry.
 */
#include <errno.h>

#include "internal.h"

#define TS_PENDING  0x1u
#define TS_SHUTDOWN 0x2u
#define TS_GEN	    0x4u /* generation unit; bits 2..15 */

#define TIMER_MIGRATING	 0x00040000u /* the kernel's value */
#define TIMER_CPU(flags) ((int)((flags)&BH_TIMER_CPUMASK))

static unsigned int wheel_depth(void)
{
	/* 8 levels when HZ <= 100, as the kernel (its range is long anyway). */
	return bh__rt.hz > 100 ? BH__WHEEL_DEPTH : BH__WHEEL_DEPTH - 1;
}

static int wheel_of(const struct bh_timer *t)
{
	return (__atomic_load_n(&t->flags, __ATOMIC_RELAXED) &
		BH_TIMER_DEFERRABLE)
		       ? 1
		       : 0;
}

/* ---- the wheel ------------------------------------------------------------
 */

/*
 * The bucket for `expires` given the wheel clock, and the exact jiffy at
 * which that bucket is expired. Beyond the last level the timer is parked
 * in the farthest bucket and re-examined (not run) when it comes round.
 */
static unsigned int calc_bucket(unsigned long expires, unsigned long clk,
				unsigned long *when)
{
	unsigned int depth = wheel_depth();
	/* Work in distances from clk: correct across a wrap of jiffies. */
	unsigned long delta = (long)(expires - clk) < 0 ? 0 : expires - clk;
	/*
	 * The level depends on the delay alone (the kernel's LVL_START):
	 * level 0 below 64 jiffies, level n >= 1 below 63 * 8^n. So level n
	 * is used only for delays of at least 63 * 8^(n-1), and its step
	 * 8^n bounds the lateness to about 1/8 of the delay.
	 */
	unsigned int lvl = 0;
	if (delta >= BH__WHEEL_LVL_SIZE) {
		lvl = 1;
		while (lvl < depth &&
		       delta >= (unsigned long)(BH__WHEEL_LVL_SIZE - 1)
					<< (lvl * BH__WHEEL_CLK_SHIFT))
			lvl++;
	}
	unsigned long ahead;
	if (lvl == depth) {
		/* Beyond the wheel: the farthest bucket, re-examined there. */
		lvl = depth - 1;
		ahead = BH__WHEEL_LVL_SIZE - 1;
	} else {
		unsigned int shift = lvl * BH__WHEEL_CLK_SHIFT;
		unsigned long step = 1ul << shift;
		/*
		 * Steps from clk's step to the expiry rounded up to a step:
		 * at most 64, and 64 only when clk is not a multiple of the
		 * step, when that bucket's earlier turn is already past.
		 */
		ahead = ((clk & (step - 1)) + delta + step - 1) >> shift;
	}
	unsigned int shift = lvl * BH__WHEEL_CLK_SHIFT;
	unsigned long g = (clk >> shift) + ahead;
	*when = g << shift;
	return lvl * BH__WHEEL_LVL_SIZE +
	       (unsigned int)(g & (BH__WHEEL_LVL_SIZE - 1));
}

/* Earliest bucket time of a wheel; false if it is empty. */
static bool wheel_next(struct bh__wheel *w, unsigned long *next)
{
	if (w->next_valid) {
		*next = w->next;
		return w->count != 0;
	}
	bool found = false;
	unsigned long best = 0;
	for (unsigned int lvl = 0; lvl < wheel_depth(); lvl++) {
		uint64_t bm = w->bitmap[lvl];
		if (!bm)
			continue;
		unsigned int shift = lvl * BH__WHEEL_CLK_SHIFT;
		/* First step at or after clk (no overflow near a wrap). */
		unsigned long start = (w->clk >> shift) +
				      ((w->clk & ((1ul << shift) - 1)) ? 1 : 0);
		unsigned int s =
			(unsigned int)(start & (BH__WHEEL_LVL_SIZE - 1));
		uint64_t rot = s ? (bm >> s) | (bm << (64 - s)) : bm;
		unsigned long t = (start + (unsigned long)__builtin_ctzll(rot))
				  << shift;
		if (!found || bh_time_before(t, best))
			best = t;
		found = true;
	}
	w->next = best;
	w->next_valid = found;
	*next = best;
	return found;
}

static void base_note_next(struct bh__timer_base *b)
{
	unsigned long n0, n1, best = 0;
	bool h0 = wheel_next(&b->wheel[0], &n0);
	bool h1 = wheel_next(&b->wheel[1], &n1);
	if (h0)
		best = n0;
	if (h1 && (!h0 || bh_time_before(n1, best)))
		best = n1;
	__atomic_store_n(&b->next_any, best, __ATOMIC_RELAXED);
	__atomic_store_n(&b->has_next_any, h0 || h1, __ATOMIC_RELEASE);
}

/*
 * Bucket index of a timer taken off the wheel by expiry but not yet run: it
 * sits on the expiry's local list, which an arm or delete meanwhile (from a
 * callback, or another thread while the lock is dropped) must be able to
 * unlink it from, exactly as the kernel's detach_timer() does.
 */
#define BUCKET_COLLECTED 0x3ffu

static void unlink_timer(struct bh__wheel *w, struct bh_timer *t,
			 unsigned int idx)
{
	*t->pprev = t->next;
	if (t->next)
		t->next->pprev = t->pprev;
	t->pprev = NULL;
	t->next = NULL;
	if (idx == BUCKET_COLLECTED)
		return;
	w->count--;
	unsigned int lvl = idx / BH__WHEEL_LVL_SIZE,
		     s = idx % BH__WHEEL_LVL_SIZE;
	if (!w->bucket[lvl][s])
		w->bitmap[lvl] &= ~(1ull << s);
	w->next_valid = false;
}

/*
 * Which bucket holds a linked timer: recomputed from the bucket pointer
 * chain's head is not possible with a singly linked list, so the timer's
 * bucket index lives in the high bits of its flags (the kernel keeps it
 * there too, TIMER_ARRAYSHIFT).
 */
#define TIMER_ARRAYSHIFT 22
#define TIMER_ARRAYMASK	 0xFFC00000u

static unsigned int bucket_of(const struct bh_timer *t)
{
	return (__atomic_load_n(&t->flags, __ATOMIC_RELAXED) &
		TIMER_ARRAYMASK) >>
	       TIMER_ARRAYSHIFT;
}

/*
 * Every change of t->flags is an atomic RMW: the bucket bits change under
 * the base lock, PINNED may be set by a caller on another base's lock.
 */
static uint32_t flags_update(struct bh_timer *t, uint32_t clear, uint32_t set)
{
	uint32_t old = __atomic_load_n(&t->flags, __ATOMIC_RELAXED);
	while (!__atomic_compare_exchange_n(&t->flags, &old,
					    (old & ~clear) | set, true,
					    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		;
	return old;
}

static void set_bucket(struct bh_timer *t, unsigned int idx)
{
	flags_update(t, TIMER_ARRAYMASK, idx << TIMER_ARRAYSHIFT);
}

static void link_timer(struct bh__cpu *c, struct bh_timer *t)
{
	struct bh__timer_base *b = &c->timer;
	struct bh__wheel *w = &b->wheel[wheel_of(t)];
	unsigned long when;
	unsigned long expires = __atomic_load_n(&t->expires, __ATOMIC_RELAXED);

	/*
	 * An idle wheel's clock may lag far behind jiffies; measure the delay
	 * from now, not from the stale clock, or the timer lands on a coarse
	 * level (the kernel's forward_timer_base()).
	 */
	unsigned long now = bh_jiffies();
	unsigned long first;
	if (bh_time_after(now, w->clk) &&
	    (!wheel_next(w, &first) || bh_time_after(first, now))) {
		w->clk = now;
		w->next_valid = false;
	}

	unsigned int idx = calc_bucket(expires, w->clk, &when);
	unsigned int lvl = idx / BH__WHEEL_LVL_SIZE,
		     s = idx % BH__WHEEL_LVL_SIZE;
	struct bh_timer **head = &w->bucket[lvl][s];
	t->next = *head;
	if (t->next)
		t->next->pprev = &t->next;
	*head = t;
	t->pprev = head;
	set_bucket(t, idx);
	w->bitmap[lvl] |= 1ull << s;
	w->count++;
	if (w->next_valid && bh_time_before(when, w->next))
		w->next = when;
	base_note_next(b);

	/* ksoftirqd/N sleeps until `programmed`: wake it for an earlier one. */
	if (!wheel_of(t) &&
	    (!__atomic_load_n(&b->programmed_valid, __ATOMIC_RELAXED) ||
	     bh_time_before(when, b->programmed))) {
		b->programmed = when;
		__atomic_store_n(&b->programmed_valid, true, __ATOMIC_RELEASE);
		/*
		 * Deterministic mode has no thread to wake: an expiry is seen
		 * at the next bh_advance_jiffies(), the next "tick".
		 */
		if (!bh__rt.deterministic)
			bh__kick(c, BH__PENDING_REPROGRAM);
	}
}

void bh__timer_base_init(struct bh__cpu *c)
{
	/* The wheels start at the runtime's first jiffy, not at 0: with
	 * jiffies near a wrap, 0 would lie in the future. */
	unsigned long now = bh_jiffies();
	c->timer.wheel[0].clk = now;
	c->timer.wheel[1].clk = now;
}

/* ---- the base lock ----------------------------------------------------------
 */

static void raw_lock(struct bh__timer_base *b)
{
	for (unsigned int i = 0; i < 100; i++) {
		uint32_t expect = 0;
		if (__atomic_compare_exchange_n(&b->lock, &expect, 1, false,
						__ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return;
		bh__cpu_relax();
	}
	while (__atomic_exchange_n(&b->lock, 2, __ATOMIC_ACQUIRE) != 0)
		bh__futex_wait(&b->lock, 2, -1);
}

static void raw_unlock(struct bh__timer_base *b)
{
	if (__atomic_exchange_n(&b->lock, 0, __ATOMIC_RELEASE) == 2)
		bh__futex_wake(&b->lock, 1);
}

static void reconcile_locked(struct bh__cpu *c, struct bh_timer *t);

/*
 * Lock the base the timer belongs to (its flags may change under us until
 * we hold the lock that guards them). Interrupts go off first.
 */
static struct bh__cpu *lock_timer_base(struct bh_timer *t, unsigned long *irq)
{
	struct bh__thread *s = &bh__self;
	*irq = bh_local_irq_save();
	s->timer_lock_depth++;
	for (;;) {
		uint32_t f = __atomic_load_n(&t->flags, __ATOMIC_ACQUIRE);
		if (f & TIMER_MIGRATING) {
			bh__cpu_relax();
			continue;
		}
		/* Never placed yet (or by a runtime with more CPUs): here. */
		bool placed = TIMER_CPU(f) < bh__rt.nr_cpus;
		int cpu = placed ? TIMER_CPU(f) : bh__this_cpu();
		struct bh__cpu *c = &bh__cpus[cpu];
		raw_lock(&c->timer);
		uint32_t now = __atomic_load_n(&t->flags, __ATOMIC_ACQUIRE);
		if (!(now & TIMER_MIGRATING)) {
			if (placed && TIMER_CPU(now) == cpu)
				return c;
			/* Place it with a CAS: one placer wins. */
			if (!placed && TIMER_CPU(now) >= bh__rt.nr_cpus &&
			    __atomic_compare_exchange_n(
				    &t->flags, &now,
				    (now & ~BH_TIMER_CPUMASK) | (uint32_t)cpu,
				    false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
				return c;
		}
		raw_unlock(&c->timer);
	}
}

/* Leave the section: apply what signal handlers deferred, then irqs on. */
static void unlock_timer_base(struct bh__cpu *c, unsigned long irq)
{
	struct bh__thread *s = &bh__self;
	raw_unlock(&c->timer);
	s->timer_lock_depth--;
	while (s->timer_lock_depth == 0 && s->timer_defer_n) {
		struct bh_timer *t = s->timer_defer[--s->timer_defer_n];
		unsigned long irq2;
		struct bh__cpu *c2 = lock_timer_base(t, &irq2);
		reconcile_locked(c2, t);
		raw_unlock(&c2->timer);
		bh__defer_unpin(t); /* done with it: a _sync may return */
		s->timer_lock_depth--;
		bh_local_irq_restore(irq2);
	}
	bh_local_irq_restore(irq);
	/* Workqueue operations a signal handler deferred because they
	 * could not be done inside this section (apply_mods() in work.c). */
	if (bh_unlikely(__atomic_load_n(&s->wq_defer_n, __ATOMIC_RELAXED)) &&
	    !s->timer_lock_depth && !s->wq_lock_depth)
		bh__wq_apply_deferred();
}

/* ---- state and reconciliation ----------------------------------------------
 */

/*
 * Make the wheel of c (whose lock we hold, and which is t's base) agree
 * with t's state word: linked iff PENDING, in the bucket for `expires`.
 */
static void reconcile_locked(struct bh__cpu *c, struct bh_timer *t)
{
	uint16_t st = __atomic_load_n(&t->bh_state, __ATOMIC_ACQUIRE);
	if (t->pprev)
		unlink_timer(&c->timer.wheel[wheel_of(t)], t, bucket_of(t));
	if (st & TS_PENDING)
		link_timer(c, t);
	else
		base_note_next(&c->timer);
}

/*
 * Update the state word: set or clear PENDING (and bump the generation).
 * Returns the old word. A shut-down timer cannot be armed (K10).
 */
static uint16_t set_pending(struct bh_timer *t, bool pending)
{
	uint16_t old = __atomic_load_n(&t->bh_state, __ATOMIC_RELAXED), nw;
	do {
		if (pending && (old & TS_SHUTDOWN))
			return old;
		nw = (uint16_t)(((old & ~TS_PENDING) |
				 (pending ? TS_PENDING : 0)) +
				TS_GEN);
		/* Release: expiry sees `expires` stored before the new word. */
	} while (!__atomic_compare_exchange_n(&t->bh_state, &old, nw, true,
					      __ATOMIC_ACQ_REL,
					      __ATOMIC_RELAXED));
	return old;
}

/* A signal handler inside its own thread's locked section defers here. */
static bool defer_if_reentered(struct bh_timer *t, const char *what)
{
	struct bh__thread *s = &bh__self;
	if (bh_likely(!s->timer_lock_depth))
		return false;
	for (unsigned int i = 0; i < s->timer_defer_n; i++)
		if (s->timer_defer[i] == t)
			return true;
	if (s->timer_defer_n >=
	    sizeof(s->timer_defer) / sizeof(s->timer_defer[0])) {
		BH_WARN(1,
			"bh: %s(%p) from a signal handler: more than %zu "
			"timers changed inside one timer-base section; this "
			"change reaches the wheel at the next operation on it",
			what, (void *)t,
			sizeof(s->timer_defer) / sizeof(s->timer_defer[0]));
		return true;
	}
	/* Before the caller's state change: see defer_pin.c. */
	bh__defer_pin(t);
	s->timer_defer[s->timer_defer_n++] = t;
	return true;
}

/* ---- validation
 * ---------------------------------------------------------------- */

static __attribute__((cold, noinline)) int bad_timer(const struct bh_timer *t,
						     const char *what)
{
	return bh__bad_object(t, what, "a timer that was never set up",
			      "timer_setup() or DEFINE_TIMER()");
}

#define CHECK_TIMER(t, what)                                                   \
	do {                                                                   \
		if (bh_unlikely(!bh__live()))                                  \
			return bh__dead_error(what);                           \
		if (bh_unlikely(!(t) || (t)->bh_magic != BH_TIMER_MAGIC ||     \
				!(t)->function))                               \
			return bad_timer(t, what);                             \
	} while (0)

/* ---- public calls
 * ---------------------------------------------------------------- */

void bh_timer_setup(struct bh_timer *t, void (*fn)(struct bh_timer *t),
		    unsigned int flags)
{
	if (!t) {
		bad_timer(t, "timer_setup");
		return;
	}
	/*
	 * Re-initialising a pending timer would leave its bucket pointing at
	 * it: warn and delete it first, as the kernel's debug-objects fix-up
	 * does ("ODEBUG: init active").
	 */
	if (t->bh_magic == BH_TIMER_MAGIC &&
	    (__atomic_load_n(&t->bh_state, __ATOMIC_ACQUIRE) & TS_PENDING)) {
		BH_WARN(1,
			"bh: timer_setup(%p) on a pending timer: deleting it "
			"first",
			(void *)t);
		if (bh__live() && t->function)
			bh_timer_delete(t);
	}
	/* SPEC U9: only the kernel's three setup flags exist. */
	BH_WARN(flags & ~BH_TIMER_INIT_FLAGS,
		"bh: timer_setup(%p): unknown flags %#x ignored (only "
		"TIMER_DEFERRABLE, TIMER_PINNED and TIMER_IRQSAFE)",
		(void *)t, flags & ~BH_TIMER_INIT_FLAGS);
	t->next = NULL;
	t->pprev = NULL;
	t->expires = 0;
	t->function = fn;
	/* The CPU field starts out of range: placed at the first arm. */
	t->flags = (flags & BH_TIMER_INIT_FLAGS) | BH_TIMER_CPUMASK;
	__atomic_store_n(&t->bh_state, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&t->bh_magic, BH_TIMER_MAGIC, __ATOMIC_RELEASE);
}

/*
 * Arm: `cpu` < 0 means this context's CPU unless the timer is pinned or
 * already linked (a pending timer stays on its base). Returns was-pending.
 */
static int arm(struct bh_timer *t, unsigned long expires, int cpu, bool reduce,
	       const char *what)
{
	if (defer_if_reentered(t, what)) {
		uint16_t cur = __atomic_load_n(&t->bh_state, __ATOMIC_ACQUIRE);
		if (reduce && (cur & TS_PENDING) &&
		    !bh_time_before(expires, __atomic_load_n(&t->expires,
							     __ATOMIC_RELAXED)))
			return 1;
		__atomic_store_n(&t->expires, expires, __ATOMIC_RELEASE);
		return set_pending(t, true) & TS_PENDING ? 1 : 0;
	}

	unsigned long irq;
	struct bh__cpu *c = lock_timer_base(t, &irq);
	uint16_t old = __atomic_load_n(&t->bh_state, __ATOMIC_ACQUIRE);
	int was = (old & TS_PENDING) ? 1 : 0;
	if (old & TS_SHUTDOWN) {
		unlock_timer_base(c, irq);
		return 0;
	}
	if (reduce && was &&
	    !bh_time_before(expires,
			    __atomic_load_n(&t->expires, __ATOMIC_RELAXED))) {
		unlock_timer_base(c, irq);
		return 1;
	}
	if (cpu >= 0)
		flags_update(t, 0, BH_TIMER_PINNED); /* K9: add_timer_on pins */

	/*
	 * K9: mod_timer() and add_timer() always arm on the local CPU, a
	 * pending or TIMER_PINNED timer included (the kernel's own rule:
	 * only add_timer_on() chooses a CPU); except that a timer whose
	 * callback runs now stays on its base, so that delete_sync still
	 * finds it there.
	 */
	int target = cpu;
	if (target < 0) {
		bool running_here = __atomic_load_n(&c->timer.running,
						    __ATOMIC_ACQUIRE) == t;
		target = running_here ? c->id : bh__this_cpu();
	}

	if (target != c->id) {
		/* Move an idle (or just unlinked) timer to another base. */
		if (t->pprev)
			unlink_timer(&c->timer.wheel[wheel_of(t)], t,
				     bucket_of(t));
		/*
		 * PENDING stays as it is: unlinked, the timer cannot expire
		 * meanwhile, and a signal handler of this thread that arms or
		 * deletes it now must see its true state.
		 */
		base_note_next(&c->timer);
		/* Others spin on MIGRATING until the new base is ours. */
		flags_update(t, 0, TIMER_MIGRATING);
		raw_unlock(&c->timer);
		c = &bh__cpus[target];
		raw_lock(&c->timer);
		flags_update(t, BH_TIMER_CPUMASK | TIMER_MIGRATING,
			     (uint32_t)target);
	}
	__atomic_store_n(&t->expires, expires, __ATOMIC_RELEASE);
	/*
	 * The answer is this RMW's: a handler that changed the state since
	 * `old` was read (deferred, on this thread) is then ordered first.
	 */
	int armed_over = set_pending(t, true) & TS_PENDING ? 1 : 0;
	reconcile_locked(c, t);
	unlock_timer_base(c, irq);
	return armed_over;
}

int bh_mod_timer(struct bh_timer *t, unsigned long expires)
{
	CHECK_TIMER(t, "mod_timer");
	return arm(t, expires, -1, false, "mod_timer");
}

int bh_timer_reduce(struct bh_timer *t, unsigned long expires)
{
	CHECK_TIMER(t, "timer_reduce");
	return arm(t, expires, -1, true, "timer_reduce");
}

int bh_add_timer(struct bh_timer *t)
{
	CHECK_TIMER(t, "add_timer");
	/* The kernel BUG()s here; a warning and a re-arm lose nothing. */
	BH_WARN(bh_timer_pending(t), "bh: add_timer(%p) on a pending timer",
		(void *)t);
	return arm(t, __atomic_load_n(&t->expires, __ATOMIC_RELAXED), -1, false,
		   "add_timer");
}

int bh_add_timer_on(struct bh_timer *t, int cpu)
{
	CHECK_TIMER(t, "add_timer_on");
	if (cpu < 0 || cpu >= bh__rt.nr_cpus) {
		BH_WARN(1, "bh: add_timer_on(%p, %d): no such bh CPU",
			(void *)t, cpu);
		return -EINVAL;
	}
	return arm(t, __atomic_load_n(&t->expires, __ATOMIC_RELAXED), cpu,
		   false, "add_timer_on");
}

/*
 * Clear PENDING and unlink, under t's base lock. Returns whether it was
 * pending; with `unless_running`, does nothing and returns -EBUSY while
 * the callback runs (the kernel's try_to_del_timer_sync()).
 */
static int deactivate_locked(struct bh_timer *t, bool unless_running)
{
	unsigned long irq;
	struct bh__cpu *c = lock_timer_base(t, &irq);
	int was = -EBUSY;
	if (!unless_running ||
	    __atomic_load_n(&c->timer.running, __ATOMIC_ACQUIRE) != t) {
		was = set_pending(t, false) & TS_PENDING ? 1 : 0;
		reconcile_locked(c, t);
	}
	unlock_timer_base(c, irq);
	return was;
}

static int deactivate(struct bh_timer *t, bool shutdown, const char *what)
{
	if (shutdown)
		__atomic_fetch_or(&t->bh_state, TS_SHUTDOWN, __ATOMIC_ACQ_REL);
	if (defer_if_reentered(t, what))
		return set_pending(t, false) & TS_PENDING ? 1 : 0;
	return deactivate_locked(t, false);
}

int bh_timer_delete(struct bh_timer *t)
{
	CHECK_TIMER(t, "timer_delete");
	return deactivate(t, false, "timer_delete");
}

int bh_timer_shutdown(struct bh_timer *t)
{
	CHECK_TIMER(t, "timer_shutdown");
	return deactivate(t, true, "timer_shutdown");
}

/* K6: wait until t's callback is not running on its base. */
static int wait_not_running(struct bh_timer *t, const char *what)
{
	for (;;) {
		uint32_t f = __atomic_load_n(&t->flags, __ATOMIC_ACQUIRE);
		int cpu = TIMER_CPU(f);
		if (cpu >= bh__rt.nr_cpus)
			return 0;
		struct bh__timer_base *b = &bh__cpus[cpu].timer;
		if (__atomic_load_n(&b->running, __ATOMIC_ACQUIRE) != t)
			return 0;
		if (__atomic_load_n(&b->running_tid, __ATOMIC_RELAXED) ==
		    bh__gettid()) {
			BH_WARN(1,
				"bh: %s(%p) from the timer's own callback: it "
				"would wait for itself forever (deadlock); not "
				"waiting",
				what, (void *)t);
			return -EDEADLK;
		}
		uint32_t seq = bh__waitvar_seq(t);
		__atomic_fetch_add(&b->running_waiters, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&b->running, __ATOMIC_SEQ_CST) == t)
			bh__waitvar_sleep(t, seq, -1);
		__atomic_fetch_sub(&b->running_waiters, 1, __ATOMIC_RELAXED);
	}
}

static int delete_sync(struct bh_timer *t, bool shutdown, const char *what)
{
	uint32_t f = __atomic_load_n(&t->flags, __ATOMIC_RELAXED);
	if (bh_in_hardirq() && !(f & BH_TIMER_IRQSAFE))
		BH_WARN(1,
			"bh: %s(%p) from hardirq context on a timer that is "
			"not TIMER_IRQSAFE",
			what, (void *)t);
	if (bh__self.timer_lock_depth) {
		BH_WARN(1,
			"bh: %s(%p) from a signal handler that interrupted a "
			"timer operation: cannot wait here",
			what, (void *)t);
		deactivate(t, shutdown, what);
		return -EDEADLK;
	}
	/*
	 * The kernel's loop (try_to_del_timer_sync()): deactivate only at a
	 * moment the callback is not running, else wait for it and try
	 * again. A callback that re-arms its timer is thus deactivated after
	 * it returns, and the return value counts one deactivation only.
	 */
	if (shutdown)
		__atomic_fetch_or(&t->bh_state, TS_SHUTDOWN, __ATOMIC_ACQ_REL);
	for (;;) {
		int was = deactivate_locked(t, true);
		if (was != -EBUSY) {
			/* A handler's change of t deferred to the thread it
			 * interrupted still reads t: the caller may free it
			 * once we return. */
			bh__defer_wait(t);
			return was;
		}
		int err = wait_not_running(t, what);
		if (err) {
			/* Its own callback: deactivate, do not wait. */
			deactivate(t, shutdown, what);
			return err;
		}
	}
}

/*
 * The kernel (without PREEMPT_RT) allows these from any context but
 * hardirq, where only a TIMER_IRQSAFE timer may be waited for; it busy-waits
 * for a running callback. Here the wait blocks on a futex, which is just as
 * safe in a softirq or a bh-disabled section of a user-space thread.
 */
int bh_timer_delete_sync(struct bh_timer *t)
{
	CHECK_TIMER(t, "timer_delete_sync");
	return delete_sync(t, false, "timer_delete_sync");
}

int bh_timer_shutdown_sync(struct bh_timer *t)
{
	CHECK_TIMER(t, "timer_shutdown_sync");
	return delete_sync(t, true, "timer_shutdown_sync");
}

bool bh_timer_pending(const struct bh_timer *t)
{
	return t &&
	       (__atomic_load_n(&t->bh_state, __ATOMIC_ACQUIRE) & TS_PENDING);
}

/* ---- expiry (TIMER_SOFTIRQ)
 * -------------------------------------------------------- */

/*
 * Move the buckets due at the wheel clock onto the list at *head (linked
 * with pprev, so the timers can still be unlinked); the clock moves on.
 */
static void collect(struct bh__wheel *w, struct bh_timer **head)
{
	unsigned long clk = w->clk;
	for (unsigned int lvl = 0; lvl < wheel_depth(); lvl++) {
		unsigned int s = (unsigned int)(clk & (BH__WHEEL_LVL_SIZE - 1));
		while (w->bucket[lvl][s]) {
			struct bh_timer *t = w->bucket[lvl][s];
			unlink_timer(w, t, lvl * BH__WHEEL_LVL_SIZE + s);
			t->next = *head;
			if (t->next)
				t->next->pprev = &t->next;
			*head = t;
			t->pprev = head;
			set_bucket(t, BUCKET_COLLECTED);
		}
		/* Level n+1 is due only when the clock is a multiple of
		 * 8^(n+1). */
		if (clk & ((1u << BH__WHEEL_CLK_SHIFT) - 1))
			break;
		clk >>= BH__WHEEL_CLK_SHIFT;
	}
	w->clk++;
	w->next_valid = false;
}

/*
 * Run one claimed timer. The base lock is dropped and the thread leaves its
 * timer section for the callback, so the callback may re-arm or delete
 * timers, its own included, like any other code. Interrupts are on in the
 * callback (a softirq runs with them on, S14) unless the timer is
 * TIMER_IRQSAFE (K4). `irq` is the section's saved interrupt state.
 */
static void run_one(struct bh__cpu *c, struct bh_timer *t, unsigned long *irq)
{
	struct bh__timer_base *b = &c->timer;
	struct bh__thread *s = &bh__self;
	bool irqsafe =
		__atomic_load_n(&t->flags, __ATOMIC_RELAXED) & BH_TIMER_IRQSAFE;

	__atomic_store_n(&b->running_tid, bh__gettid(), __ATOMIC_RELAXED);
	__atomic_store_n(&b->running, t, __ATOMIC_RELEASE);
	raw_unlock(b);
	s->timer_lock_depth--;
	if (!irqsafe)
		bh_local_irq_restore(*irq);

	unsigned int before = s->preempt_count;
	t->function(t);
	if (bh_unlikely(s->preempt_count != before)) {
		bh_printk(BH_LOG_ERR, "timer: %p preempt leak: %08x -> %08x\n",
			  (void *)t->function, before, s->preempt_count);
		s->preempt_count = before;
	}

	if (!irqsafe)
		*irq = bh_local_irq_save();
	s->timer_lock_depth++;
	raw_lock(b);
	/* Release: a delete_sync waiter sees what the callback stored. */
	__atomic_store_n(&b->running, NULL, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&b->running_waiters, __ATOMIC_SEQ_CST))
		bh__waitvar_wake(t);
}

/* Expire one wheel up to `now`. Called with the base lock held. */
static void run_wheel(struct bh__cpu *c, struct bh__wheel *w, unsigned long now,
		      unsigned long *irq)
{
	while (!bh_time_after(w->clk, now)) {
		unsigned long next;
		if (!wheel_next(w, &next) || bh_time_after(next, now)) {
			/* Nothing due: the clock catches up with now. */
			w->clk = now + 1;
			w->next_valid = false;
			break;
		}
		if (bh_time_after(next, w->clk)) {
			w->clk = next;
			w->next_valid = false;
		}
		struct bh_timer *list = NULL;
		collect(w, &list);
		while (list) {
			struct bh_timer *t = list;
			unlink_timer(w, t, BUCKET_COLLECTED);
			uint16_t st =
				__atomic_load_n(&t->bh_state, __ATOMIC_ACQUIRE);
			if (!(st & TS_PENDING))
				continue; /* deleted by a deferred handler */
			unsigned long exp =
				__atomic_load_n(&t->expires, __ATOMIC_ACQUIRE);
			if (bh_time_after(exp, now)) {
				/* Re-armed later, or parked beyond the wheel.
				 */
				link_timer(c, t);
				continue;
			}
			/* Claim it: fails if an arm or delete slipped in. */
			if (!__atomic_compare_exchange_n(
				    &t->bh_state, &st,
				    (uint16_t)((st & ~TS_PENDING) + TS_GEN),
				    false, __ATOMIC_ACQ_REL,
				    __ATOMIC_ACQUIRE)) {
				reconcile_locked(c, t);
				continue;
			}
			run_one(c, t, irq);
		}
	}
}

void bh__timer_action(struct bh__cpu *c, unsigned int nr)
{
	(void)nr;
	struct bh__timer_base *b = &c->timer;
	unsigned long irq = bh_local_irq_save();
	bh__self.timer_lock_depth++;
	raw_lock(b);
	unsigned long now = bh_jiffies();
	/* K8: deferrable timers run whenever the CPU is serving timers. */
	run_wheel(c, &b->wheel[0], now, &irq);
	run_wheel(c, &b->wheel[1], now, &irq);
	__atomic_store_n(&b->programmed_valid, false, __ATOMIC_RELEASE);
	base_note_next(b);
	unlock_timer_base(c, irq);
}

bool bh__timer_check(struct bh__cpu *c, bool any)
{
	struct bh__timer_base *b = &c->timer;
	if (!__atomic_load_n(&b->has_next_any, __ATOMIC_ACQUIRE))
		return false;
	unsigned long next = __atomic_load_n(&b->next_any, __ATOMIC_RELAXED);
	if (bh_time_before(bh_jiffies(), next))
		return false;
	if (!any) {
		/* Only a non-deferrable timer may wake the CPU (K8). */
		unsigned long irq = bh_local_irq_save();
		bh__self.timer_lock_depth++;
		raw_lock(b);
		unsigned long n0;
		bool due = wheel_next(&b->wheel[0], &n0) &&
			   !bh_time_before(bh_jiffies(), n0);
		unlock_timer_base(c, irq);
		if (!due)
			return false;
	}
	bh__raise_on(c, BH_TIMER_SOFTIRQ);
	return true;
}

/* The locked part, out of line: the common no-timer path stays frameless. */
static __attribute__((noinline)) bool program_locked(struct bh__cpu *c,
						     unsigned long *when)
{
	struct bh__timer_base *b = &c->timer;
	unsigned long irq = bh_local_irq_save();
	bh__self.timer_lock_depth++;
	raw_lock(b);
	unsigned long n0;
	bool have = wheel_next(&b->wheel[0], &n0);
	__atomic_store_n(&b->programmed_valid, have, __ATOMIC_RELEASE);
	b->programmed = n0;
	unlock_timer_base(c, irq);
	*when = n0;
	return have;
}

bool bh__timer_program(struct bh__cpu *c, unsigned long *when)
{
	struct bh__timer_base *b = &c->timer;
	/*
	 * No timer and nothing programmed: no lock needed. An arm racing with
	 * this sees programmed_valid false and kicks REPROGRAM, which makes
	 * the caller's CAS to SLEEPING (or its futex wait) fail.
	 */
	if (!__atomic_load_n(&b->has_next_any, __ATOMIC_ACQUIRE) &&
	    !__atomic_load_n(&b->programmed_valid, __ATOMIC_ACQUIRE))
		return false;
	return program_locked(c, when);
}

int bh__timer_cancel_leftovers(struct bh__cpu *c)
{
	int n = 0;
	struct bh__timer_base *b = &c->timer;
	for (int k = 0; k < 2; k++) {
		struct bh__wheel *w = &b->wheel[k];
		for (unsigned int lvl = 0; lvl < BH__WHEEL_DEPTH; lvl++) {
			for (unsigned int s = 0; s < BH__WHEEL_LVL_SIZE; s++) {
				while (w->bucket[lvl][s]) {
					struct bh_timer *t = w->bucket[lvl][s];
					char sym[128];
					const char *name = bh__symbol_name(
						(void *)t->function, sym,
						sizeof(sym));
					BH_WARN(1,
						"bh: shutdown: timer %p (%s) "
						"cancelled on CPU %d, %ld "
						"jiffies before it was due",
						(void *)t, name ? name : "?",
						c->id,
						(long)(t->expires -
						       bh_jiffies()));
					unlink_timer(w, t,
						     lvl * BH__WHEEL_LVL_SIZE +
							     s);
					set_pending(t, false);
					n++;
				}
			}
		}
	}
	base_note_next(b);
	return n;
}

int bh__timer_collect(struct bh__cpu *c,
		      bool (*match)(struct bh_timer *t, void *arg), void *arg,
		      struct bh_timer **out, int max)
{
	int n = 0;
	struct bh__timer_base *b = &c->timer;
	unsigned long irq = bh_local_irq_save();
	bh__self.timer_lock_depth++;
	raw_lock(b);
	for (int k = 0; k < 2 && n < max; k++) {
		struct bh__wheel *w = &b->wheel[k];
		for (unsigned int lvl = 0; lvl < BH__WHEEL_DEPTH && n < max;
		     lvl++)
			for (unsigned int s = 0;
			     s < BH__WHEEL_LVL_SIZE && n < max; s++)
				for (struct bh_timer *t = w->bucket[lvl][s];
				     t && n < max; t = t->next)
					if (match(t, arg))
						out[n++] = t;
	}
	raw_unlock(b);
	bh__self.timer_lock_depth--;
	bh_local_irq_restore(irq);
	return n;
}
