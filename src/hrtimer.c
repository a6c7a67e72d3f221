// SPDX-License-Identifier: MIT
/*
 * High-resolution timers (include/bh/hrtimer.h): one sorted list of armed
 * timers, one "hrtimer" thread that sleeps until the earliest expiry and
 * plays the timer interrupt, per-bh-CPU lists of expired SOFT timers run
 * by HRTIMER_SOFTIRQ.
 *
 * Locking legend (for `base` and the timers' L fields):
 *   L  base.lock: a spinning lock word holding the owner's tid, taken with
 *      interrupts off for the thread (bh_local_irq_save), so no top half
 *      run by the library lands on a holder; a raw signal handler that
 *      interrupted a holder on its own thread is detected and refused
 *   A  atomic; the order is named at each use
 *   T  the hrtimer thread only
 *   S  start_mutex
 *
 * A timer's `where` says which list holds it (0 none, ARMED, SOFT); it and
 * `running` are written under L with atomic stores, so the lock-free
 * predicates (bh_hrtimer_active()...) may read them.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#include "bh/hrtimer.h"

#define HRT_MAGIC   0x68727431u /* "hrt1": set up */
#define WHERE_NONE  0
#define WHERE_ARMED 1
#define WHERE_SOFT  2
#define NEVER	    INT64_MAX

static struct {
	uint32_t lock;			     /* A: 0 free, else owner tid */
	struct bh_hrtimer armed;	     /* L: sentinel, sorted by key */
	struct bh_hrtimer soft[BH_MAX_CPUS]; /* L: sentinels, expired SOFT */
	bh_ktime_t programmed;		     /* L: the thread sleeps until */
	bool stop;			     /* L: the thread is to exit */
	uint32_t seq;	       /* A: futex word: wake the thread */
	uint32_t done_seq;     /* A: futex word: a callback ended */
	uint32_t done_waiters; /* A: cancellers waiting on it */
	int started;	       /* A (written under S) */
	pthread_t thread;      /* S */
} base;

static pthread_mutex_t start_mutex = PTHREAD_MUTEX_INITIALIZER;

/* ---- the lock ------------------------------------------------------------ */

static bool hrt_lock(unsigned long *flags, const char *what)
{
	*flags = bh_local_irq_save();
	uint32_t me = (uint32_t)bh__gettid();
	unsigned int spins = 0;
	for (;;) {
		uint32_t expected = 0;
		/* Acquire: pairs with the release in hrt_unlock(). */
		if (__atomic_compare_exchange_n(&base.lock, &expected, me,
						false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return true;
		if (expected == me) {
			bh_local_irq_restore(*flags);
			BH_WARN(1,
				"bh: %s() from a signal handler that "
				"interrupted hrtimer code on the same thread",
				what);
			return false;
		}
		/* Holders keep it for a few list operations: spin, then
		 * yield in case the holder was preempted. */
		if (++spins < 128)
			bh__cpu_relax();
		else
			sched_yield();
	}
}

static void hrt_unlock(unsigned long flags)
{
	__atomic_store_n(&base.lock, 0, __ATOMIC_RELEASE);
	bh_local_irq_restore(flags);
}

/* ---- clocks ----------------------------------------------------------------
 */

static bool clock_ok(clockid_t c)
{
	return c == CLOCK_MONOTONIC || c == CLOCK_REALTIME ||
	       c == CLOCK_BOOTTIME || c == CLOCK_TAI;
}

static bh_ktime_t clock_now(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (bh_ktime_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static bh_ktime_t sat_add(bh_ktime_t a, bh_ktime_t b)
{
	bh_ktime_t r;
	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? NEVER : INT64_MIN;
	return r;
}

/* An expiry on `c` as CLOCK_MONOTONIC, at the clocks' offset now. */
static bh_ktime_t to_monotonic(clockid_t c, bh_ktime_t t)
{
	if (c == CLOCK_MONOTONIC)
		return t;
	return sat_add(t, clock_now(CLOCK_MONOTONIC) - clock_now(c));
}

/* ---- the lists (L)
 * ------------------------------------------------------------ */

static void set_where(struct bh_hrtimer *t, uint8_t w)
{
	__atomic_store_n(&t->where, w, __ATOMIC_RELAXED);
}

static void list_init(struct bh_hrtimer *head)
{
	head->next = head->prev = head;
}

static void link_before(struct bh_hrtimer *t, struct bh_hrtimer *pos)
{
	t->next = pos;
	t->prev = pos->prev;
	pos->prev->next = t;
	pos->prev = t;
}

static bool unlink_timer(struct bh_hrtimer *t)
{
	if (t->where == WHERE_NONE)
		return false;
	t->prev->next = t->next;
	t->next->prev = t->prev;
	t->next = t->prev = NULL;
	set_where(t, WHERE_NONE);
	return true;
}

/* Insert by key, after equal keys (FIFO). True if it is now the earliest
 * and earlier than what the thread sleeps until: the caller wakes it. */
static bool enqueue(struct bh_hrtimer *t)
{
	struct bh_hrtimer *pos = base.armed.next;
	while (pos != &base.armed && pos->key <= t->key)
		pos = pos->next;
	link_before(t, pos);
	set_where(t, WHERE_ARMED);
	return base.armed.next == t && t->key < base.programmed;
}

static void kick_thread(void)
{
	/* SEQ_CST: ordered after the enqueue the thread must see; the
	 * thread compares the word it read under the lock. */
	__atomic_fetch_add(&base.seq, 1, __ATOMIC_SEQ_CST);
	bh__futex_wake(&base.seq, 1);
}

/* A callback returned `r`: re-arm if asked and nobody armed it meanwhile
 * (the kernel's rule). L held. Returns whether to kick the thread. */
static bool finish(struct bh_hrtimer *t, enum bh_hrtimer_restart r)
{
	bool kick = false;
	if (r == BH_HRTIMER_RESTART && t->where == WHERE_NONE && !base.stop) {
		t->key = to_monotonic(t->clockid, t->softexpires);
		kick = enqueue(t);
	}
	__atomic_store_n(&t->running_tid, 0, __ATOMIC_RELAXED);
	/* Release: the callback's effects before "not running". */
	__atomic_store_n(&t->running, 0, __ATOMIC_RELEASE);
	return kick;
}

/* After finish() and the unlock: let bh_hrtimer_cancel() callers look. */
static void callback_done(void)
{
	/* SEQ_CST pair with the waiter's increment of done_waiters and its
	 * read of done_seq: either we see the waiter, or it sees the bump. */
	__atomic_fetch_add(&base.done_seq, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&base.done_waiters, __ATOMIC_SEQ_CST))
		bh__futex_wake(&base.done_seq, INT_MAX);
}

/* ---- running callbacks
 * ------------------------------------------------------- */

/* HARD: in hardirq context, on the timer's bh CPU, interrupts off. */
static enum bh_hrtimer_restart run_hard(struct bh_hrtimer *t, int cpu)
{
	struct bh__thread *s = &bh__self;
	s->override_cpu1 = cpu + 1;
	s->irqs_off = 1;
	bh_irq_enter();
	enum bh_hrtimer_restart r = t->function(t);
	s->irqs_off = 0;
	bh__signal_barrier();
	/* Runs the softirqs the callback raised, as an interrupt exit. */
	bh_irq_exit();
	s->override_cpu1 = 0;
	return r;
}

/* HRTIMER_SOFTIRQ of bh CPU c: the SOFT timers that expired there. */
static void hrtimer_softirq(struct bh__cpu *c, unsigned int nr)
{
	(void)nr;
	struct bh_hrtimer *head = &base.soft[c->id];
	for (;;) {
		unsigned long flags;
		if (!hrt_lock(&flags, "hrtimer_softirq"))
			return;
		struct bh_hrtimer *t = head->next;
		if (!head->next || t == head) {
			hrt_unlock(flags);
			return;
		}
		unlink_timer(t);
		__atomic_store_n(&t->running_tid, bh__gettid(),
				 __ATOMIC_RELAXED);
		__atomic_store_n(&t->running, 1, __ATOMIC_RELAXED);
		hrt_unlock(flags);

		enum bh_hrtimer_restart r = t->function(t);

		if (!hrt_lock(&flags, "hrtimer_softirq"))
			return;
		bool kick = finish(t, r);
		hrt_unlock(flags);
		if (kick)
			kick_thread();
		callback_done();
	}
}

/* ---- the hrtimer thread
 * ---------------------------------------------------------- */

static void wait_until(uint32_t seen, bh_ktime_t when)
{
	struct timespec ts, *tsp = NULL;
	if (when != NEVER) {
		ts.tv_sec = when / 1000000000;
		ts.tv_nsec = when % 1000000000;
		tsp = &ts;
	}
	/* FUTEX_WAIT_BITSET: an absolute CLOCK_MONOTONIC deadline, to the
	 * nanosecond, with no drift from recomputing a relative one. */
	syscall(SYS_futex, &base.seq, FUTEX_WAIT_BITSET_PRIVATE, seen, tsp,
		NULL, FUTEX_BITSET_MATCH_ANY);
}

static void *hrtimer_thread(void *arg)
{
	(void)arg;
	bh__spawned();
	pthread_setname_np(pthread_self(), "hrtimer");
	/* The default timer slack of a thread (50 us) would stretch every
	 * futex deadline by up to that much: high resolution asks for none
	 * (1 ns is the least Linux accepts; 0 means "the default"). */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	for (;;) {
		unsigned long flags;
		if (!hrt_lock(&flags, "hrtimer_thread"))
			break;
		if (base.stop) {
			hrt_unlock(flags);
			break;
		}
		struct bh_hrtimer *t = base.armed.next;
		if (t != &base.armed && t->key <= clock_now(CLOCK_MONOTONIC)) {
			unlink_timer(t);
			int cpu = t->cpu;
			if (t->is_soft) {
				link_before(t, &base.soft[cpu]);
				set_where(t, WHERE_SOFT);
				hrt_unlock(flags);
				bh__raise_on(&bh__cpus[cpu],
					     BH_HRTIMER_SOFTIRQ);
				continue;
			}
			__atomic_store_n(&t->running_tid, bh__gettid(),
					 __ATOMIC_RELAXED);
			__atomic_store_n(&t->running, 1, __ATOMIC_RELAXED);
			hrt_unlock(flags);
			enum bh_hrtimer_restart r = run_hard(t, cpu);
			if (!hrt_lock(&flags, "hrtimer_thread"))
				break;
			(void)finish(t, r); /* the loop looks again */
			hrt_unlock(flags);
			callback_done();
			continue;
		}
		base.programmed = t != &base.armed ? t->key : NEVER;
		uint32_t seen = __atomic_load_n(&base.seq, __ATOMIC_RELAXED);
		bh_ktime_t when = base.programmed;
		hrt_unlock(flags);
		wait_until(seen, when);
	}
	return NULL;
}

static int start_thread(void)
{
	if (__atomic_load_n(&base.started, __ATOMIC_ACQUIRE))
		return 0;
	pthread_mutex_lock(&start_mutex);
	int err = 0;
	if (!base.started) {
		list_init(&base.armed);
		for (int i = 0; i < BH_MAX_CPUS; i++)
			list_init(&base.soft[i]);
		base.programmed = NEVER;
		base.stop = false;
		err = bh__spawn(&base.thread, NULL, hrtimer_thread, NULL, true);
		if (!err)
			/* Release: the lists above before "started". */
			__atomic_store_n(&base.started, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&start_mutex);
	return err ? -EAGAIN : 0;
}

void bh__hrtimer_install(void)
{
	bh__softirq_install(BH_HRTIMER_SOFTIRQ, hrtimer_softirq);
}

int bh__hrtimer_shutdown(void)
{
	pthread_mutex_lock(&start_mutex);
	if (!base.started) {
		pthread_mutex_unlock(&start_mutex);
		return 0;
	}
	unsigned long flags;
	(void)hrt_lock(&flags, "bh_shutdown");
	base.stop = true;
	hrt_unlock(flags);
	kick_thread();
	pthread_join(base.thread, NULL);

	/* U6: what is still armed is cancelled, and said so. */
	int left = 0;
	(void)hrt_lock(&flags, "bh_shutdown");
	while (base.armed.next != &base.armed) {
		unlink_timer(base.armed.next);
		left++;
	}
	for (int i = 0; i < BH_MAX_CPUS; i++)
		while (base.soft[i].next != &base.soft[i]) {
			unlink_timer(base.soft[i].next);
			left++;
		}
	hrt_unlock(flags);
	__atomic_store_n(&base.started, 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&start_mutex);
	if (left)
		bh_printk(BH_LOG_WARNING,
			  "bh: shutdown: %d hrtimer(s) still armed, "
			  "cancelled\n",
			  left);
	return left;
}

/*
 * The armed hrtimers, and the expired SOFT ones waiting for their
 * softirq, for bh_debug_for_each_live_object(): under the start mutex
 * (the lists exist while the thread does) and the base lock.
 */
void bh__hrtimer_walk(void (*fn)(const struct bh_debug_object *o, void *arg),
		      void *arg)
{
	pthread_mutex_lock(&start_mutex);
	if (!base.started) {
		pthread_mutex_unlock(&start_mutex);
		return;
	}
	unsigned long flags;
	if (hrt_lock(&flags, "bh_debug_for_each_live_object")) {
		for (int i = -1; i < BH_MAX_CPUS; i++) {
			struct bh_hrtimer *head =
				i < 0 ? &base.armed : &base.soft[i];
			for (struct bh_hrtimer *t = head->next; t != head;
			     t = t->next) {
				struct bh_debug_object o = {
					.kind = BH_DEBUG_HRTIMER,
					.obj = t,
					.fn = (const void *)t->function,
					.cpu = t->cpu,
					.expires_ns = t->key,
				};
				fn(&o, arg);
			}
		}
		hrt_unlock(flags);
	}
	pthread_mutex_unlock(&start_mutex);
}

void bh__hrtimer_fork_child(void)
{
	/* The parent's thread does not exist here: the child's next setup
	 * starts its own, with fresh lists (its timers must be set up again,
	 * as everything of the parent's runtime). */
	pthread_mutex_init(&start_mutex, NULL);
	__atomic_store_n(&base.lock, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&base.done_waiters, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&base.started, 0, __ATOMIC_RELAXED);
}

/* ---- the API
 * ------------------------------------------------------------------- */

static bool set_up(const struct bh_hrtimer *t, const char *what)
{
	if (bh_unlikely(!t || t->magic != HRT_MAGIC)) {
		(void)bh__bad_object(t, what,
				     "an hrtimer that was never set up",
				     "hrtimer_setup()");
		return false;
	}
	return true;
}

int bh_hrtimer_init(struct bh_hrtimer *t, int clock, enum bh_hrtimer_mode mode)
{
	if (!t || !clock_ok(clock)) {
		BH_WARN(1, "bh: hrtimer_init(%p): bad timer or clock %d",
			(void *)t, (int)clock);
		return -EINVAL;
	}
	if (!bh__live())
		return bh__dead_error("hrtimer_init");
	if (t->magic == HRT_MAGIC && bh_hrtimer_active(t))
		BH_WARN(1, "bh: hrtimer_init(%p) of an active hrtimer",
			(void *)t);
	int err = start_thread();
	if (err)
		return err;
	*t = (struct bh_hrtimer){
		.clockid = clock,
		.is_soft = (mode & BH_HRTIMER_MODE_SOFT) != 0,
		.magic = HRT_MAGIC,
	};
	return 0;
}

int bh_hrtimer_setup(struct bh_hrtimer *t, bh_hrtimer_fn function, int clock,
		     enum bh_hrtimer_mode mode)
{
	int err = bh_hrtimer_init(t, clock, mode);
	if (!err)
		t->function = function;
	return err;
}

int bh_hrtimer_start_range_ns(struct bh_hrtimer *t, bh_ktime_t tim,
			      uint64_t delta_ns, enum bh_hrtimer_mode mode)
{
	if (!set_up(t, "hrtimer_start"))
		return -EINVAL;
	if (bh_unlikely(!t->function)) {
		BH_WARN(1, "bh: hrtimer_start(%p) without a function",
			(void *)t);
		return -EINVAL;
	}
	if (bh_unlikely(!__atomic_load_n(&base.started, __ATOMIC_ACQUIRE)))
		return bh__dead_error("hrtimer_start");
	/* The kernel's debug check: the mode's softness is the timer's. */
	BH_WARN_ONCE(((mode & BH_HRTIMER_MODE_SOFT) != 0) != t->is_soft,
		     "bh: hrtimer_start(%p): %s mode on a %s hrtimer",
		     (void *)t, (mode & BH_HRTIMER_MODE_SOFT) ? "SOFT" : "HARD",
		     t->is_soft ? "SOFT" : "HARD");
	unsigned long flags;
	if (!hrt_lock(&flags, "hrtimer_start"))
		return -EDEADLK;
	unlink_timer(t);
	if (mode & BH_HRTIMER_MODE_REL)
		tim = sat_add(tim, clock_now(t->clockid));
	t->softexpires = tim;
	t->expires = sat_add(tim, delta_ns > (uint64_t)INT64_MAX
					  ? INT64_MAX
					  : (bh_ktime_t)delta_ns);
	t->key = to_monotonic(t->clockid, tim);
	/* A running callback keeps its CPU: it must not run concurrently
	 * with itself (the kernel does not migrate a running timer). */
	if (!__atomic_load_n(&t->running, __ATOMIC_RELAXED))
		t->cpu = bh__this_cpu();
	bool kick = enqueue(t);
	hrt_unlock(flags);
	if (kick)
		kick_thread();
	return 0;
}

uint64_t bh_hrtimer_forward(struct bh_hrtimer *t, bh_ktime_t now,
			    bh_ktime_t interval)
{
	if (!set_up(t, "hrtimer_forward"))
		return 0;
	unsigned long flags;
	if (!hrt_lock(&flags, "hrtimer_forward"))
		return 0;
	uint64_t orun = 0;
	if (t->where != WHERE_NONE) {
		hrt_unlock(flags);
		BH_WARN(1, "bh: hrtimer_forward(%p) of an armed hrtimer",
			(void *)t);
		return 0;
	}
	bh_ktime_t delta = now - t->expires;
	if (delta >= 0) {
		if (interval < 1)
			interval = 1; /* the resolution */
		orun = 1;
		if (delta >= interval) {
			orun = (uint64_t)(delta / interval);
			bh_ktime_t step = (bh_ktime_t)orun * interval;
			t->expires = sat_add(t->expires, step);
			t->softexpires = sat_add(t->softexpires, step);
			if (t->expires > now) {
				hrt_unlock(flags);
				return orun;
			}
			orun++;
		}
		t->expires = sat_add(t->expires, interval);
		t->softexpires = sat_add(t->softexpires, interval);
	}
	hrt_unlock(flags);
	return orun;
}

uint64_t bh_hrtimer_forward_now(struct bh_hrtimer *t, bh_ktime_t interval)
{
	if (!set_up(t, "hrtimer_forward_now"))
		return 0;
	return bh_hrtimer_forward(t, clock_now(t->clockid), interval);
}

int bh_hrtimer_try_to_cancel(struct bh_hrtimer *t)
{
	if (!set_up(t, "hrtimer_try_to_cancel"))
		return 0;
	unsigned long flags;
	if (!hrt_lock(&flags, "hrtimer_try_to_cancel"))
		return -1;
	int r;
	if (__atomic_load_n(&t->running, __ATOMIC_RELAXED))
		r = -1;
	else
		r = unlink_timer(t) ? 1 : 0;
	hrt_unlock(flags);
	return r;
}

int bh_hrtimer_cancel(struct bh_hrtimer *t)
{
	if (!set_up(t, "hrtimer_cancel"))
		return 0;
	if (__atomic_load_n(&t->running, __ATOMIC_ACQUIRE) &&
	    __atomic_load_n(&t->running_tid, __ATOMIC_RELAXED) ==
		    bh__gettid()) {
		BH_WARN(1,
			"bh: hrtimer_cancel(%p) from the timer's own "
			"callback: it would wait for itself for ever",
			(void *)t);
		return -1;
	}
	int r = bh_hrtimer_try_to_cancel(t);
	if (r >= 0)
		return r;
	__atomic_fetch_add(&base.done_waiters, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		uint32_t seen =
			__atomic_load_n(&base.done_seq, __ATOMIC_SEQ_CST);
		r = bh_hrtimer_try_to_cancel(t);
		if (r >= 0)
			break;
		bh__futex_wait(&base.done_seq, seen, -1);
	}
	__atomic_fetch_sub(&base.done_waiters, 1, __ATOMIC_SEQ_CST);
	return r;
}

bool bh_hrtimer_active(const struct bh_hrtimer *t)
{
	return t && (__atomic_load_n(&t->where, __ATOMIC_RELAXED) ||
		     __atomic_load_n(&t->running, __ATOMIC_RELAXED));
}

bool bh_hrtimer_is_queued(const struct bh_hrtimer *t)
{
	return t && __atomic_load_n(&t->where, __ATOMIC_RELAXED);
}

bool bh_hrtimer_callback_running(const struct bh_hrtimer *t)
{
	return t && __atomic_load_n(&t->running, __ATOMIC_ACQUIRE);
}

bh_ktime_t bh_hrtimer_cb_get_time(const struct bh_hrtimer *t)
{
	return clock_now(t && clock_ok(t->clockid) ? t->clockid
						   : CLOCK_MONOTONIC);
}

bh_ktime_t bh_hrtimer_get_remaining(const struct bh_hrtimer *t)
{
	if (!set_up(t, "hrtimer_get_remaining"))
		return 0;
	return t->expires - clock_now(t->clockid);
}
