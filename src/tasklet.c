// SPDX-License-Identifier: MIT
/*
 * Tasklets (SPEC T1-T26).
 *
 * The state word (unsigned long, only touched atomically):
 *   bit 0 SCHED    scheduled: on a list (or held by tasklet_kill, T21)
 *   bit 1 RUN      a callback is running (or tasklet_trylock() holds it)
 *   bit 2 WAITERS  someone sleeps until SCHED or RUN clears
 *   bit 3 PARKED   disabled while scheduled: on its CPU's parked list
 *   bit 4 PARKED_HI  ... the HI one
 *   bit 5 UNDERFLOW_WARNED  enable() below zero reported already
 * bh_flags holds the bh CPU whose list the tasklet was last put on.
 *
 * Per-CPU lists are Treiber stacks (lock-free push, which is what makes
 * scheduling async-signal-safe: a signal handler that interrupts a push
 * and pushes itself only makes the interrupted CAS retry). Only the SCHED
 * winner pushes, so a tasklet is on at most one list. The softirq takes the
 * whole stack with one exchange (T7: later schedules start a fresh list)
 * and reverses it, giving scheduling order (T5). There is no ABA problem:
 * the consumer never pops single nodes.
 */
#include <errno.h>
#include <sched.h>

#include "internal.h"

#define T_SCHED		   (1ul << BH_TASKLET_STATE_SCHED)
#define T_RUN		   (1ul << BH_TASKLET_STATE_RUN)
#define T_WAITERS	   (1ul << 2)
#define T_PARKED	   (1ul << 3)
#define T_PARKED_HI	   (1ul << 4)
#define T_UNDERFLOW_WARNED (1ul << 5)

/* List index per vector: [0] HI, [1] normal. */
static int list_of(unsigned int nr)
{
	return nr == BH_HI_SOFTIRQ ? 0 : 1;
}

static void *tasklet_fn(const struct bh_tasklet *t)
{
	return t->use_callback ? (void *)t->callback : (void *)t->func;
}

/* Cold and out of line: keeps the schedule fast path frameless. */
static __attribute__((cold, noinline)) int
bad_tasklet(const struct bh_tasklet *t, const char *what)
{
	return bh__bad_object(t, what, "a tasklet that was never initialised",
			      "tasklet_setup(), tasklet_init() or "
			      "DECLARE_TASKLET()");
}

/* Validate for calls that act on the runtime (schedule, kill, ...). */
#define CHECK_LIVE(t, what)                                                    \
	do {                                                                   \
		if (bh_unlikely(!bh__live()))                                  \
			return bh__dead_error(what);                           \
		if (bh_unlikely(!(t) || (t)->bh_magic != BH_TASKLET_MAGIC))    \
			return bad_tasklet(t, what);                           \
	} while (0)

/* Validate for calls that only touch the object (disable, enable). */
#define CHECK_OBJ(t, what)                                                     \
	do {                                                                   \
		if (bh_unlikely(!(t) || (t)->bh_magic != BH_TASKLET_MAGIC))    \
			return bad_tasklet(t, what);                           \
	} while (0)

static void push(struct bh__cpu *c, int list, struct bh_tasklet *t)
{
	struct bh_tasklet *head =
		__atomic_load_n(&c->tasklets[list], __ATOMIC_RELAXED);
	do {
		t->next = head;
		/*
		 * Release: the consumer's acquire exchange then sees
		 * t->next and everything the scheduler stored before.
		 */
	} while (!__atomic_compare_exchange_n(&c->tasklets[list], &head, t,
					      true, __ATOMIC_RELEASE,
					      __ATOMIC_RELAXED));
}

/* ---- initialisation ---------------------------------------------------- */

static void init_common(struct bh_tasklet *t)
{
	/*
	 * T19 resets next; but a tasklet re-initialised while it is queued
	 * would cut the list behind it and lose other tasklets. Warn, keep
	 * the link, and let the reset state make the softirq skip it (T26).
	 */
	if (t->bh_magic == BH_TASKLET_MAGIC &&
	    (__atomic_load_n(&t->state, __ATOMIC_ACQUIRE) & T_SCHED))
		BH_WARN(1,
			"bh: tasklet %p re-initialised while scheduled; its "
			"pending run will be skipped",
			(void *)t);
	else
		t->next = NULL;
	__atomic_store_n(&t->state, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&t->count.counter, 0, __ATOMIC_RELAXED);
	t->bh_flags = 0;
	/* Release: publish the fields before the magic that validates them. */
	__atomic_store_n(&t->bh_magic, BH_TASKLET_MAGIC, __ATOMIC_RELEASE);
}

void bh_tasklet_setup(struct bh_tasklet *t,
		      void (*callback)(struct bh_tasklet *t))
{
	if (!t) {
		bad_tasklet(t, "tasklet_setup");
		return;
	}
	t->use_callback = true;
	t->callback = callback;
	t->data = 0;
	init_common(t);
}

void bh_tasklet_init(struct bh_tasklet *t, void (*func)(unsigned long),
		     unsigned long data)
{
	if (!t) {
		bad_tasklet(t, "tasklet_init");
		return;
	}
	t->use_callback = false;
	t->func = func;
	t->data = data;
	init_common(t);
}

/* ---- scheduling --------------------------------------------------------- */

static int enqueue(struct bh_tasklet *t, unsigned int nr, const char *what)
{
	if (bh_unlikely(!tasklet_fn(t))) {
		/* SCHED goes as everywhere else: with WAITERS, and a wake, or
		 * a tasklet_kill() waiting for it sleeps for ever (found by
		 * the SPIN model, src/tasklet.pml -DNOFUNC). */
		unsigned long old = __atomic_fetch_and(
			&t->state, ~(T_SCHED | T_WAITERS), __ATOMIC_RELEASE);
		if (old & T_WAITERS)
			bh__waitvar_wake(t);
		BH_WARN(1, "bh: %s(%p): tasklet has no function", what,
			(void *)t);
		return -EINVAL;
	}
	int cpu = bh__this_cpu();
	struct bh__cpu *c = &bh__cpus[cpu];
	__atomic_store_n(&t->bh_flags, (uint8_t)cpu, __ATOMIC_RELAXED);
	push(c, list_of(nr), t);
	bh__raise_on(c, nr);
	return 1;
}

/*
 * T1-T3. The SEQ_CST fetch_or is what makes the already-scheduled path
 * safe: as an RMW it is ordered before the softirq's clearing of SCHED
 * (also an RMW on this word), so the run that follows sees every store
 * the caller made before this call (T3). A plain load there would let
 * those stores sit in the store buffer while the callback runs without
 * them. This path has no system call and no lock (U3).
 */
int bh_tasklet_schedule(struct bh_tasklet *t)
{
	CHECK_LIVE(t, "tasklet_schedule");
	if (__atomic_fetch_or(&t->state, T_SCHED, __ATOMIC_SEQ_CST) & T_SCHED)
		return 0;
	return enqueue(t, BH_TASKLET_SOFTIRQ, "tasklet_schedule");
}

int bh_tasklet_hi_schedule(struct bh_tasklet *t)
{
	CHECK_LIVE(t, "tasklet_hi_schedule");
	if (__atomic_fetch_or(&t->state, T_SCHED, __ATOMIC_SEQ_CST) & T_SCHED)
		return 0;
	return enqueue(t, BH_HI_SOFTIRQ, "tasklet_hi_schedule");
}

/* ---- RUN bit ------------------------------------------------------------ */

bool bh_tasklet_trylock(struct bh_tasklet *t)
{
	if (bh_unlikely(!t || t->bh_magic != BH_TASKLET_MAGIC)) {
		bad_tasklet(t, "tasklet_trylock");
		return false;
	}
	/* Acquire: the callback sees what the previous run stored. */
	return !(__atomic_fetch_or(&t->state, T_RUN, __ATOMIC_ACQUIRE) & T_RUN);
}

void bh_tasklet_unlock(struct bh_tasklet *t)
{
	if (bh_unlikely(!t || t->bh_magic != BH_TASKLET_MAGIC)) {
		bad_tasklet(t, "tasklet_unlock");
		return;
	}
	/* Release: pairs with the next trylock and with waiters' loads. */
	unsigned long old = __atomic_fetch_and(&t->state, ~(T_RUN | T_WAITERS),
					       __ATOMIC_RELEASE);
	if (old & T_WAITERS)
		bh__waitvar_wake(t);
}

bool bh_tasklet_is_scheduled(const struct bh_tasklet *t)
{
	return t && (__atomic_load_n(&t->state, __ATOMIC_ACQUIRE) & T_SCHED);
}

bool bh_tasklet_is_running(const struct bh_tasklet *t)
{
	return t && (__atomic_load_n(&t->state, __ATOMIC_ACQUIRE) & T_RUN);
}

/* ---- the softirq side ---------------------------------------------------- */

static void run_callback(struct bh_tasklet *t)
{
	struct bh__thread *s = &bh__self;
	const struct bh_tasklet *outer = s->running_tasklet;
	s->running_tasklet = t;
	if (t->use_callback)
		t->callback(t);
	else
		t->func(t->data);
	s->running_tasklet = outer;
}

/*
 * Park a disabled, scheduled tasklet (instead of the kernel's requeue on
 * every pass, T13). PARKED is published before count is re-read, and
 * tasklet_enable() lowers count before reading PARKED; both SEQ_CST, so at
 * least one side sees the other: either we see count 0 and requeue, or
 * enable sees PARKED and kicks this CPU.
 */
static bool park(struct bh__cpu *c, int list, struct bh_tasklet *t)
{
	unsigned long bits = T_PARKED | (list == 0 ? T_PARKED_HI : 0);
	__atomic_fetch_or(&t->state, bits, __ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&t->count.counter, __ATOMIC_SEQ_CST)) {
		__atomic_fetch_and(&t->state, ~bits, __ATOMIC_RELAXED);
		return false;
	}
	t->next = c->parked[list];
	c->parked[list] = t;
	return true;
}

/* Move parked tasklets whose count went back to 0 onto the live list. */
static void unpark(struct bh__cpu *c, int list, unsigned int nr)
{
	struct bh_tasklet **link = &c->parked[list];
	bool moved = false;
	while (*link) {
		struct bh_tasklet *t = *link;
		/* Negative counts (T15) are as unrunnable as positive ones. */
		if (__atomic_load_n(&t->count.counter, __ATOMIC_SEQ_CST)) {
			link = &t->next;
			continue;
		}
		*link = t->next;
		__atomic_fetch_and(&t->state, ~(T_PARKED | T_PARKED_HI),
				   __ATOMIC_RELAXED);
		push(c, list, t);
		moved = true;
	}
	if (moved)
		__atomic_fetch_or(&c->pending, 1u << nr, __ATOMIC_RELAXED);
}

static struct bh_tasklet *reverse(struct bh_tasklet *t)
{
	struct bh_tasklet *prev = NULL;
	while (t) {
		struct bh_tasklet *next = t->next;
		t->next = prev;
		prev = t;
		t = next;
	}
	return prev;
}

void bh__tasklet_action(struct bh__cpu *c, unsigned int nr)
{
	int list = list_of(nr);

	if (__atomic_load_n(&c->parked_kick, __ATOMIC_RELAXED) &&
	    __atomic_exchange_n(&c->parked_kick, 0, __ATOMIC_ACQUIRE)) {
		unpark(c, 0, BH_HI_SOFTIRQ);
		unpark(c, 1, BH_TASKLET_SOFTIRQ);
	}

	/* T7: detach the whole list; acquire pairs with push()'s release. */
	struct bh_tasklet *t = reverse(__atomic_exchange_n(
		&c->tasklets[list], NULL, __ATOMIC_ACQUIRE));

	while (t) {
		/* Read next first: once SCHED clears, t may be queued again. */
		struct bh_tasklet *next = t->next;

		if (bh_tasklet_trylock(t)) {
			if (!__atomic_load_n(&t->count.counter,
					     __ATOMIC_ACQUIRE)) {
				/* T8: SCHED clears just before the call. */
				unsigned long old = __atomic_fetch_and(
					&t->state, ~(T_SCHED | T_WAITERS),
					__ATOMIC_ACQ_REL);
				if (old & T_WAITERS)
					bh__waitvar_wake(t);
				if (bh_unlikely(!(old & T_SCHED))) {
					char sym[128];
					const char *name = bh__symbol_name(
						tasklet_fn(t), sym,
						sizeof(sym));
					/* T26 */
					BH_WARN_ONCE(1,
						     "tasklet SCHED state not "
						     "set: %s (tasklet %p)",
						     name ? name : "?",
						     (void *)t);
				} else {
					run_callback(t);
				}
				bh_tasklet_unlock(t);
				t = next;
				continue;
			}
			/* T13: disabled; stays scheduled. */
			bool parked = park(c, list, t);
			bh_tasklet_unlock(t);
			if (parked) {
				t = next;
				continue;
			}
		}
		/*
		 * T9: running on another CPU (or enabled meanwhile): back on
		 * this CPU's list for a later pass.
		 */
		push(c, list, t);
		__atomic_fetch_or(&c->pending, 1u << nr, __ATOMIC_RELEASE);
		t = next;
	}
}

int bh__tasklet_cancel_leftovers(struct bh__cpu *c)
{
	int n = 0;
	for (int list = 0; list < 2; list++) {
		struct bh_tasklet *chains[2] = {
			__atomic_exchange_n(&c->tasklets[list], NULL,
					    __ATOMIC_ACQUIRE),
			c->parked[list]};
		c->parked[list] = NULL;
		for (int k = 0; k < 2; k++) {
			for (struct bh_tasklet *t = chains[k]; t;) {
				struct bh_tasklet *next = t->next;
				char sym[128];
				const char *name = bh__symbol_name(
					tasklet_fn(t), sym, sizeof(sym));
				int count = __atomic_load_n(&t->count.counter,
							    __ATOMIC_RELAXED);
				BH_WARN(1,
					"bh: shutdown: tasklet %p (%s) "
					"cancelled "
					"unrun on CPU %d: %s",
					(void *)t, name ? name : "?", c->id,
					count ? "it is disabled"
					      : "it kept rescheduling itself");
				t->next = NULL;
				unsigned long old = __atomic_fetch_and(
					&t->state,
					~(T_SCHED | T_PARKED | T_PARKED_HI |
					  T_WAITERS),
					__ATOMIC_ACQ_REL);
				if (old & T_WAITERS)
					bh__waitvar_wake(t);
				n++;
				t = next;
			}
		}
	}
	__atomic_fetch_and(&c->pending, ~BH__PENDING_MASK, __ATOMIC_RELAXED);
	return n;
}

/*
 * The scheduled tasklets of c, for bh_debug_for_each_live_object(). The
 * lists are Treiber stacks: pushers only prepend and only the CPU's owner
 * (the thread running its softirqs) pops or rewrites links, or moves
 * tasklets between the lists and the parked ones. So we take the owner
 * flag, as bh__do_softirq() does, and the chains stay still under us.
 * Waiting for it is bounded by one softirq pass on that CPU.
 */
void bh__tasklet_walk(struct bh__cpu *c,
		      void (*fn)(const struct bh_debug_object *o, void *arg),
		      void *arg)
{
	/* Acquire: see the links the previous owner wrote. */
	while (__atomic_exchange_n(&c->owner, 1, __ATOMIC_ACQUIRE))
		sched_yield();
	for (int list = 0; list < 2; list++) {
		/* Acquire: pairs with push()'s release of the head. */
		struct bh_tasklet *chains[2] = {
			__atomic_load_n(&c->tasklets[list], __ATOMIC_ACQUIRE),
			c->parked[list]};
		for (int k = 0; k < 2; k++)
			for (struct bh_tasklet *t = chains[k]; t; t = t->next) {
				struct bh_debug_object o = {
					.kind = BH_DEBUG_TASKLET,
					.obj = t,
					.fn = tasklet_fn(t),
					.cpu = c->id,
					.disabled =
						__atomic_load_n(
							&t->count.counter,
							__ATOMIC_RELAXED) > 0,
				};
				fn(&o, arg);
			}
	}
	/* As bh__do_softirq(): let go, then look again (SEQ_CST), for a
	 * runner that found the flag taken while we walked. */
	__atomic_store_n(&c->owner, 0, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&c->pending, __ATOMIC_SEQ_CST) & BH__PENDING_MASK)
		bh__wakeup_ksoftirqd(c);
}

/* ---- waiting ------------------------------------------------------------- */

/* How long a deterministic-mode waiter sleeps between steps of the CPU. */
#define BH__STEP_WAIT_NS 1000000L

/*
 * Sleep until none of `bits` is set in t->state. In deterministic mode
 * there is no ksoftirqd to make progress, so the waiter does its job: it
 * runs the softirqs of the CPU that holds the tasklet (as the kernel's old
 * tasklet_kill() yielded to let ksoftirqd run).
 */
static void wait_clear(struct bh_tasklet *t, unsigned long bits)
{
	for (;;) {
		uint32_t seq = bh__waitvar_seq(t);
		/* SEQ_CST RMW: ordered with the waker's clearing RMW. */
		unsigned long old = __atomic_fetch_or(&t->state, T_WAITERS,
						      __ATOMIC_SEQ_CST);
		if (!(old & bits))
			return;
		if (bh__rt.deterministic && bh__live() && !bh_in_atomic() &&
		    !bh_irqs_disabled()) {
			int cpu =
				__atomic_load_n(&t->bh_flags, __ATOMIC_RELAXED);
			if (cpu < bh__rt.nr_cpus &&
			    bh__do_softirq(&bh__cpus[cpu]) > 0)
				continue;
			bh__waitvar_sleep(t, seq, BH__STEP_WAIT_NS);
		} else {
			bh__waitvar_sleep(t, seq, -1);
		}
	}
}

static void spin_clear(struct bh_tasklet *t, unsigned long bits)
{
	unsigned int spins = 0;
	while (__atomic_load_n(&t->state, __ATOMIC_ACQUIRE) & bits) {
		/*
		 * A user-space holder can be preempted: yield after a while
		 * rather than burn its time slice (sched_yield is
		 * async-signal-safe).
		 */
		if (++spins < 128)
			bh__cpu_relax();
		else
			sched_yield();
	}
}

/* Waiting for t from its own callback would never end (M14). */
static int own_callback(const struct bh_tasklet *t, const char *what)
{
	if (bh_likely(bh__self.running_tasklet != t))
		return 0;
	char sym[128];
	const char *name = bh__symbol_name(tasklet_fn(t), sym, sizeof(sym));
	BH_WARN(1,
		"bh: %s(%p) called from the tasklet's own callback %s: it "
		"would wait for itself forever (deadlock); not waiting",
		what, (const void *)t, name ? name : "?");
	return -EDEADLK;
}

int bh_tasklet_unlock_wait(struct bh_tasklet *t)
{
	CHECK_OBJ(t, "tasklet_unlock_wait");
	int err = own_callback(t, "tasklet_unlock_wait");
	if (err)
		return err;
	bh_might_sleep();
	wait_clear(t, T_RUN);
	return 0;
}

int bh_tasklet_unlock_spin_wait(struct bh_tasklet *t)
{
	CHECK_OBJ(t, "tasklet_unlock_spin_wait");
	int err = own_callback(t, "tasklet_unlock_spin_wait");
	if (err)
		return err;
	spin_clear(t, T_RUN);
	return 0;
}

/* ---- disable / enable ---------------------------------------------------- */

/*
 * The disable depth just became `count`. At 0 a tasklet parked while
 * scheduled (T13) is handed back to its CPU: this is how it "runs once the
 * count returns to 0" without the kernel's busy requeue. Nothing new is
 * scheduled (T14). It happens after tasklet_enable(), or after a disable
 * that balances an earlier underflow (T15).
 */
static void count_changed(struct bh_tasklet *t, int count)
{
	if (count != 0 || !bh__live() ||
	    !(__atomic_load_n(&t->state, __ATOMIC_SEQ_CST) & T_PARKED))
		return;
	int cpu = __atomic_load_n(&t->bh_flags, __ATOMIC_RELAXED);
	if (cpu >= bh__rt.nr_cpus)
		return;
	struct bh__cpu *c = &bh__cpus[cpu];
	unsigned long st = __atomic_load_n(&t->state, __ATOMIC_RELAXED);
	__atomic_store_n(&c->parked_kick, 1, __ATOMIC_RELEASE);
	bh__raise_on(c,
		     (st & T_PARKED_HI) ? BH_HI_SOFTIRQ : BH_TASKLET_SOFTIRQ);
}

/* SEQ_CST: a run that starts after this sees the count (T12); see park(). */
static int disable_depth_inc(struct bh_tasklet *t)
{
	int count = __atomic_add_fetch(&t->count.counter, 1, __ATOMIC_SEQ_CST);
	count_changed(t, count);
	return count;
}

int bh_tasklet_disable_nosync(struct bh_tasklet *t)
{
	CHECK_OBJ(t, "tasklet_disable_nosync");
	disable_depth_inc(t);
	return 0;
}

/*
 * From the tasklet's own callback the waiting variants fail with -EDEADLK
 * before touching the depth: a failed call has no effect to undo.
 */
int bh_tasklet_disable_in_atomic(struct bh_tasklet *t)
{
	CHECK_OBJ(t, "tasklet_disable_in_atomic");
	int err = own_callback(t, "tasklet_disable_in_atomic");
	if (err)
		return err;
	disable_depth_inc(t);
	spin_clear(t, T_RUN);
	return 0;
}

int bh_tasklet_disable(struct bh_tasklet *t)
{
	CHECK_OBJ(t, "tasklet_disable");
	int err = own_callback(t, "tasklet_disable");
	if (err)
		return err;
	disable_depth_inc(t);
	/* T16: then wait for a run in progress; may sleep since 5.13. */
	bh_might_sleep();
	wait_clear(t, T_RUN);
	return 0;
}

int bh_tasklet_enable(struct bh_tasklet *t)
{
	CHECK_OBJ(t, "tasklet_enable");
	int count = __atomic_sub_fetch(&t->count.counter, 1, __ATOMIC_SEQ_CST);
	if (bh_unlikely(count < 0)) {
		/* T15: the kernel is silent here; say it once per tasklet. */
		if (!(__atomic_fetch_or(&t->state, T_UNDERFLOW_WARNED,
					__ATOMIC_RELAXED) &
		      T_UNDERFLOW_WARNED))
			BH_WARN(1,
				"bh: tasklet_enable(%p) without a matching "
				"disable: count is now %d, the tasklet cannot "
				"run until it is balanced",
				(void *)t, count);
		return 0;
	}
	count_changed(t, count);
	return 0;
}

/* ---- kill ------------------------------------------------------------------
 */

int bh_tasklet_kill(struct bh_tasklet *t)
{
	CHECK_LIVE(t, "tasklet_kill");
	if (bh_in_interrupt()) {
		/* T23: the kernel's notice; waiting here could never end. */
		bh_printk(BH_LOG_NOTICE,
			  "Attempt to kill tasklet from interrupt\n");
		BH_WARN(1,
			"bh: tasklet_kill(%p) from interrupt context "
			"(preempt_count %08x): not waiting",
			(void *)t, bh_preempt_count());
		return -EDEADLK;
	}
	int err = own_callback(t, "tasklet_kill");
	if (err)
		return err;
	bh_might_sleep();

	/*
	 * T20/T21: take SCHED ourselves. While it is scheduled by someone
	 * else, wait for the run to clear it; once we hold it, schedules are
	 * dropped until we let go.
	 */
	while (__atomic_fetch_or(&t->state, T_SCHED, __ATOMIC_SEQ_CST) &
	       T_SCHED)
		wait_clear(t, T_SCHED);
	wait_clear(t, T_RUN);
	unsigned long old = __atomic_fetch_and(
		&t->state, ~(T_SCHED | T_WAITERS), __ATOMIC_RELEASE);
	if (old & T_WAITERS)
		bh__waitvar_wake(t);
	return 0;
}
