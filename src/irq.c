// SPDX-License-Identifier: MIT
/*
 * The flow of an interrupt line: deliver an event, run the handlers in
 * hardirq context as the line's bh CPU, replay what was latched meanwhile,
 * count, and detect lines nobody handles (the kernel's note_interrupt).
 * Also the calls that only move the state word: raise, disable, enable,
 * synchronize.
 *
 * The state word (irq_internal.h) decides everything with one CAS, so a
 * signal handler may deliver an event at any instruction: it either takes
 * INPROGRESS and runs the handlers, or leaves PENDING for whoever holds
 * INPROGRESS (or for the enable/unmask that makes the line runnable).
 * Nothing here allocates, takes a lock or makes a system call on the
 * path that runs handlers, except waking a sleeper or ksoftirqd.
 */
#include <errno.h>
#include <stdio.h>

#include "irq_internal.h"

/*
 * The lines this thread is running handlers of, innermost first, as a
 * list through the flows' stack frames (lines nest; a line does not nest
 * in itself). Lets free_irq() and disable_irq() see that they were called
 * from a handler of the line they would wait for.
 */
struct irq_frame {
	const struct bh__irq_desc *d;
	struct irq_frame *prev;
};
static __thread struct irq_frame *cur_frames BH__TLS;

/*
 * Events that came while this thread was delivering one (its handlers run
 * with interrupts off): latched as PENDING on their line, and noted here
 * for the outermost delivery to deliver once it is done, as a CPU takes an
 * interrupt left pending in its controller when it turns interrupts back
 * on. (context.c's held list would keep them until the thread's next
 * local_irq_restore(), which a handler's thread may never make.) A bitmap
 * changed by single atomic RMWs, because a signal handler of this thread
 * may add to it at any instruction.
 */
static __thread uint64_t deferred[BH_NR_IRQS / 64] BH__TLS;
static __thread unsigned int delivering BH__TLS; /* deliver_with() depth */

static unsigned int desc_irq(const struct bh__irq_desc *d)
{
	return (unsigned int)(d - bh__irq_descs);
}

bool bh__irq_is_own(const struct bh__irq_desc *d)
{
	for (const struct irq_frame *f = cur_frames; f; f = f->prev)
		if (f->d == d)
			return true;
	const struct bh__irq_action *a = bh__irq_current_thread_action();
	return a && a->irq == desc_irq(d);
}

/* ---- waiting for a line to be quiet ----------------------------------- */

void bh__irq_sync(struct bh__irq_desc *d, bool threads)
{
	/*
	 * SEQ_CST add, then SEQ_CST loads of the state: a Dekker pair with
	 * the dispatcher, which changes the state with a SEQ_CST RMW and then
	 * loads sync_waiters (bh__irq_wake_syncers()). Either we see the line
	 * quiet, or it sees us and wakes the bucket; reading the bucket's
	 * sequence before the check makes a wake between check and sleep
	 * end the sleep at once. The timeout is only a safety net.
	 */
	__atomic_add_fetch(&d->sync_waiters, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		uint32_t seq = bh__waitvar_seq(d);
		bool busy = __atomic_load_n(&d->state, __ATOMIC_SEQ_CST) &
			    BH__IRQS_INPROGRESS;
		if (!busy && threads)
			busy = __atomic_load_n(&d->threads_active,
					       __ATOMIC_SEQ_CST) != 0;
		if (!busy)
			break;
		bh__waitvar_sleep(d, seq, 100 * 1000 * 1000L);
	}
	/* Relaxed: the count only decides whether wakers call futex. */
	__atomic_sub_fetch(&d->sync_waiters, 1, __ATOMIC_RELAXED);
}

void bh__irq_wake_syncers(struct bh__irq_desc *d)
{
	/* SEQ_CST: the other half of the Dekker pair in bh__irq_sync(). */
	if (__atomic_load_n(&d->sync_waiters, __ATOMIC_SEQ_CST))
		bh__waitvar_wake(d);
}

/* ---- note_interrupt: lines nobody handles ----------------------------- */

/* The kernel's thresholds: 99,900 unhandled in 100,000 events. */
#define SPURIOUS_WINDOW 100000u
#define SPURIOUS_LIMIT	99900u

/* "[<addr>] symbol (name)" for each handler; called with INPROGRESS. */
static void list_handlers(struct bh__irq_desc *d, char *buf, size_t len)
{
	size_t at = 0;
	buf[0] = '\0';
	/* Acquire: an action's fields were written before it was linked. */
	for (struct bh__irq_action *a =
		     __atomic_load_n(&d->action, __ATOMIC_ACQUIRE);
	     a && at < len; a = __atomic_load_n(&a->next, __ATOMIC_ACQUIRE)) {
		char sym[96], tsym[96];
		const void *h = (const void *)a->handler;
		const void *t = (const void *)a->thread_fn;
		int n = snprintf(buf + at, len - at, "[<%p>] %s (%s)\n", h,
				 bh__symbol_name(h, sym, sizeof(sym)),
				 a->name ? a->name : "");
		if (n > 0)
			at += (size_t)n;
		if (t && at < len) {
			n = snprintf(buf + at, len - at, "threaded [<%p>] %s\n",
				     t, bh__symbol_name(t, tsym, sizeof(tsym)));
			if (n > 0)
				at += (size_t)n;
		}
	}
}

static void nobody_cared(struct bh__irq_desc *d, unsigned int irq)
{
	char handlers[1024];
	list_handlers(d, handlers, sizeof(handlers));
	BH_WARN(1,
		"irq %u: nobody cared (%u of the last %u events were "
		"unhandled: every handler returned IRQ_NONE)\nhandlers:\n%s",
		irq, d->irqs_unhandled, SPURIOUS_WINDOW, handlers);
	bh_printk(BH_LOG_EMERG, "Disabling IRQ #%u\n", irq);
	bh__irq_disable_nosync(d);
}

static void note_interrupt(struct bh__irq_desc *d, unsigned int irq,
			   unsigned int ret)
{
	if (ret > (BH_IRQ_HANDLED | BH_IRQ_WAKE_THREAD)) {
		char handlers[1024];
		list_handlers(d, handlers, sizeof(handlers));
		BH_WARN_ONCE(1, "irq event %u: bogus return value %x\n%s", irq,
			     ret, handlers);
	}
	if (ret == BH_IRQ_WAKE_THREAD) {
		/*
		 * Only threads may have handled it, and they have not run
		 * yet: the kernel judges such an event at the next one, by
		 * whether any thread_fn returned IRQ_HANDLED in between
		 * (a line whose threads keep returning IRQ_NONE is as deaf
		 * as one whose handlers do). The first such event is not
		 * counted at all. Relaxed: see run_once().
		 */
		uint32_t handled =
			__atomic_load_n(&d->threads_handled, __ATOMIC_RELAXED);
		if (!d->thread_verdict_owed) {
			d->thread_verdict_owed = true;
			d->threads_judged = handled;
			return;
		}
		ret = handled != d->threads_judged ? BH_IRQ_HANDLED
						   : BH_IRQ_NONE;
		d->threads_judged = handled;
	}
	if (ret == BH_IRQ_NONE) {
		/*
		 * As the kernel: unhandled events more than HZ/10 apart do
		 * not add up, so a rare stray event never disables a line.
		 */
		unsigned long now = bh_jiffies();
		if (d->irqs_unhandled &&
		    (long)(now - d->last_unhandled) > (long)(bh_hz() / 10))
			d->irqs_unhandled = 1;
		else
			d->irqs_unhandled++;
		d->last_unhandled = now;
	}
	if (++d->irq_count < SPURIOUS_WINDOW)
		return;
	if (d->irqs_unhandled > SPURIOUS_LIMIT)
		nobody_cared(d, irq);
	d->irq_count = 0;
	d->irqs_unhandled = 0;
}

/* ---- running the handlers --------------------------------------------- */

static void handle_event(struct bh__irq_desc *d, unsigned int irq, int cpu)
{
	unsigned int ret = 0;
	/* Acquire: an action's fields were written before it was linked. */
	for (struct bh__irq_action *a =
		     __atomic_load_n(&d->action, __ATOMIC_ACQUIRE);
	     a; a = __atomic_load_n(&a->next, __ATOMIC_ACQUIRE)) {
		bh_irqreturn_t r = a->handler((int)irq, a->dev_id);
		if (!bh__self.irqs_off) {
			char sym[96];
			BH_WARN_ONCE(1, "irq %u handler %s enabled interrupts",
				     irq,
				     bh__symbol_name((const void *)a->handler,
						     sym, sizeof(sym)));
			bh__self.irqs_off = 1;
		}
		if (r & BH_IRQ_WAKE_THREAD) {
			if (a->thread_fn)
				bh__irq_wake_thread(d, a);
			else
				BH_WARN_ONCE(1,
					     "IRQ %u device %s returned "
					     "IRQ_WAKE_THREAD but no thread "
					     "function available.",
					     irq, a->name ? a->name : "");
		}
		ret |= (unsigned int)r;
	}
	/* Relaxed: a statistic; only the INPROGRESS holder writes it. */
	__atomic_fetch_add(&d->counts[cpu], 1, __ATOMIC_RELAXED);
	note_interrupt(d, irq, ret);
}

/*
 * Take INPROGRESS, or latch the event as PENDING if the handlers may not
 * run now. A replay only runs a latched event. Returns true if taken.
 */
static bool claim(struct bh__irq_desc *d, bool replay)
{
	/* SEQ_CST: ordered after free_irq's unlink (see bh_free_irq()). */
	if (!__atomic_load_n(&d->action, __ATOMIC_SEQ_CST))
		return false;
	/* Relaxed: a first guess for the CAS below. */
	uint64_t old = __atomic_load_n(&d->state, __ATOMIC_RELAXED);
	for (;;) {
		if (replay && !(old & BH__IRQS_PENDING))
			return false;
		bool run = !(old & BH__IRQS_BLOCKED);
		uint64_t want =
			run ? (old | BH__IRQS_INPROGRESS) & ~BH__IRQS_PENDING
			    : old | BH__IRQS_PENDING;
		/*
		 * SEQ_CST: taking INPROGRESS acquires what the previous
		 * holder's release published, and is ordered against
		 * bh__irq_sync()'s loads and free_irq's unlink (Dekker).
		 */
		if (__atomic_compare_exchange_n(&d->state, &old, want, false,
						__ATOMIC_SEQ_CST,
						__ATOMIC_RELAXED))
			return run;
	}
}

/*
 * Let INPROGRESS go, unless an event was latched while the handlers ran
 * and the line may still run: then keep it, consume the latch, and return
 * true to run the handlers once more (coalesced replay).
 */
static bool release(struct bh__irq_desc *d)
{
	/* Relaxed: a first guess for the CAS below; the action load is
	 * only a hint too (a free waits for this release anyway). */
	uint64_t old = __atomic_load_n(&d->state, __ATOMIC_RELAXED);
	for (;;) {
		bool again = (old & BH__IRQS_PENDING) &&
			     !(old &
			       (BH__IRQS_DEPTH_MASK | BH__IRQS_ONESHOT_MASK)) &&
			     __atomic_load_n(&d->action, __ATOMIC_RELAXED);
		uint64_t want = again ? old & ~BH__IRQS_PENDING
				      : old & ~BH__IRQS_INPROGRESS;
		/* SEQ_CST: publishes the run to the next claim, and comes
		 * before the sync_waiters load (bh__irq_wake_syncers()). */
		if (__atomic_compare_exchange_n(&d->state, &old, want, false,
						__ATOMIC_SEQ_CST,
						__ATOMIC_RELAXED))
			return again;
	}
}

/*
 * Softirqs the handlers raised on `cpu` are run by the irq_exit of the
 * context that delivered the event when it is on `cpu` and leaves
 * interrupt context. Otherwise (held and replayed by a thread on another
 * bh CPU, or nested in a context of another CPU) their raise did not wake
 * ksoftirqd/cpu, because it came from interrupt context "on" that CPU:
 * wake it here so they are not stranded.
 */
static void kick_stranded(int cpu)
{
	struct bh__thread *s = &bh__self;
	/* Relaxed: a hint; the wake-up itself is an RMW on the word. */
	if (!(__atomic_load_n(&bh__cpus[cpu].pending, __ATOMIC_RELAXED) &
	      BH__PENDING_MASK))
		return;
	if (bh__this_cpu() == cpu && !s->signal_nest &&
	    (bh__in_interrupt(s) || s->irqs_off))
		return; /* the enclosing context on cpu runs them (S9) */
	bh__wakeup_ksoftirqd(&bh__cpus[cpu]);
}

/* An event for `d` while this thread runs handlers: latch it. */
static void defer(struct bh__irq_desc *d)
{
	unsigned int irq = desc_irq(d);
	/* SEQ_CST: against claim() and release() on the word. A holder of
	 * INPROGRESS (here or on another thread) replays it itself. */
	uint64_t old = __atomic_fetch_or(&d->state, BH__IRQS_PENDING,
					 __ATOMIC_SEQ_CST);
	if (!(old & BH__IRQS_INPROGRESS))
		__atomic_fetch_or(&deferred[irq / 64], 1ull << (irq % 64),
				  __ATOMIC_RELAXED);
}

/* The top half, called by bh__hardirq_run() in hardirq context. */
static void flow(struct bh__irq_desc *d, bool replay)
{
	struct bh__thread *s = &bh__self;
	/* Relaxed: affinity is a placement hint; nothing hangs on it. */
	int cpu = __atomic_load_n(&d->cpu, __ATOMIC_RELAXED);
	int entry_pin = s->atomic_cpu1;
	if (!claim(d, replay))
		return;
	/* Run as the line's bh CPU; a nested handler restores this. */
	bh__signal_barrier();
	s->atomic_cpu1 = cpu + 1;
	struct irq_frame frame = {d, cur_frames};
	bh__signal_barrier();
	cur_frames = &frame;
	bh__signal_barrier();
	/*
	 * An fd source is re-armed while INPROGRESS is still held, so that
	 * synchronize_irq() returning means the flow is done with the fd
	 * too. An event it lets in before the release is latched and run
	 * by the loop (the line is still busy), not lost.
	 */
	do {
		handle_event(d, desc_irq(d), cpu);
		bh__irq_fd_rearm(d, true);
	} while (release(d));
	bh__signal_barrier();
	cur_frames = frame.prev;
	bh__signal_barrier();
	s->atomic_cpu1 = entry_pin;
	bh__signal_barrier();
	bh__irq_wake_syncers(d);
	if (entry_pin != cpu + 1)
		kick_stranded(cpu);
}

static void flow_deliver(void *arg)
{
	flow(arg, false);
}

static void flow_replay(void *arg)
{
	flow(arg, true);
}

void bh__irq_desc_init(struct bh__irq_desc *d)
{
	d->deliver = (struct bh__hardirq){.fn = flow_deliver, .arg = d};
	d->replay = (struct bh__hardirq){.fn = flow_replay, .arg = d};
}

/*
 * Enter hardirq context as the line's bh CPU (pinned before irq_enter, so
 * the outermost irq_exit runs that CPU's softirqs, S9) and run `h`, or
 * have it held if this thread has interrupts off (U4).
 */
static void deliver_with(struct bh__irq_desc *d, struct bh__hardirq *h,
			 bool in_signal);

/* The outermost delivery: deliver what was deferred meanwhile (now, or
 * held by context.c if the thread itself has interrupts off). */
static void deliver_deferred(bool in_signal)
{
	for (unsigned int w = 0; w < BH_NR_IRQS / 64; w++) {
		uint64_t bits;
		/* Relaxed: this thread's own word (and its signal handlers').
		 */
		while ((bits = __atomic_exchange_n(&deferred[w], 0,
						   __ATOMIC_RELAXED))) {
			for (unsigned int b = 0; b < 64; b++) {
				struct bh__irq_desc *d =
					&bh__irq_descs[w * 64 + b];
				if (bits & (1ull << b))
					deliver_with(d, &d->replay, in_signal);
			}
		}
	}
}

static void deliver_with(struct bh__irq_desc *d, struct bh__hardirq *h,
			 bool in_signal)
{
	struct bh__thread *s = &bh__self;
	if (delivering && s->irqs_off) {
		/* From a handler, or a signal landing in a delivery. */
		defer(d);
		return;
	}
	/* Relaxed: as in flow(). */
	int cpu = __atomic_load_n(&d->cpu, __ATOMIC_RELAXED);
	int outer = s->atomic_cpu1;
	delivering++;
	bh__signal_barrier();
	s->atomic_cpu1 = cpu + 1;
	bh__signal_barrier();
	bh__hardirq_run(h, in_signal);
	bh__signal_barrier();
	s->atomic_cpu1 = outer;
	bh__signal_barrier();
	delivering--;
	bh__signal_barrier();
	kick_stranded(cpu);
	if (!delivering)
		deliver_deferred(in_signal);
}

void bh__irq_deliver(struct bh__irq_desc *d, bool in_signal)
{
	deliver_with(d, &d->deliver, in_signal);
}

/* ---- the calls -------------------------------------------------------- */

static int check_line(unsigned int irq, const char *what)
{
	if (bh_unlikely(!bh__live()))
		return bh__dead_error(what);
	if (bh_unlikely(irq >= BH_NR_IRQS))
		return -EINVAL;
	return 0;
}

int bh_raise_irq(unsigned int irq)
{
	int err = check_line(irq, "raise_irq");
	if (err)
		return err;
	struct bh__irq_desc *d = &bh__irq_descs[irq];
	/* Relaxed: advisory; claim() checks again, ordered. */
	if (!__atomic_load_n(&d->action, __ATOMIC_RELAXED))
		return -ENOENT;
	bh__irq_deliver(d, bh__self.signal_nest != 0);
	return 0;
}

void bh__irq_disable_nosync(struct bh__irq_desc *d)
{
	/* Relaxed: a first guess for the CAS below. */
	uint64_t old = __atomic_load_n(&d->state, __ATOMIC_RELAXED);
	for (;;) {
		if ((old & BH__IRQS_DEPTH_MASK) == BH__IRQS_DEPTH_MASK) {
			BH_WARN_ONCE(1, "bh: IRQ %u disabled 65535 times",
				     desc_irq(d));
			return;
		}
		/* SEQ_CST: a claim after this sees the depth, and the
		 * waiter's loads in bh__irq_sync() come after it. */
		if (__atomic_compare_exchange_n(
			    &d->state, &old, old + BH__IRQS_DEPTH_ONE, false,
			    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
			return;
	}
}

int bh_disable_irq_nosync(unsigned int irq)
{
	int err = check_line(irq, "disable_irq_nosync");
	if (err)
		return err;
	bh__irq_disable_nosync(&bh__irq_descs[irq]);
	return 0;
}

/* The line may run again: run a latched event, re-arm an fd source. */
static void line_runnable(struct bh__irq_desc *d, uint64_t now)
{
	if (now & (BH__IRQS_DEPTH_MASK | BH__IRQS_ONESHOT_MASK))
		return;
	if (now & BH__IRQS_PENDING)
		deliver_with(d, &d->replay, bh__self.signal_nest != 0);
	bh__irq_fd_rearm(d, false);
}

int bh_enable_irq(unsigned int irq)
{
	int err = check_line(irq, "enable_irq");
	if (err)
		return err;
	struct bh__irq_desc *d = &bh__irq_descs[irq];
	/* Relaxed: a first guess for the CAS below. */
	uint64_t old = __atomic_load_n(&d->state, __ATOMIC_RELAXED);
	for (;;) {
		if (!(old & BH__IRQS_DEPTH_MASK)) {
			BH_WARN(1, "Unbalanced enable for IRQ %u", irq);
			return -EINVAL;
		}
		/* SEQ_CST: against claim() and release() on this word. */
		if (__atomic_compare_exchange_n(
			    &d->state, &old, old - BH__IRQS_DEPTH_ONE, false,
			    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
			break;
	}
	line_runnable(d, old - BH__IRQS_DEPTH_ONE);
	return 0;
}

void bh__irq_finalize_oneshot(struct bh__irq_desc *d, struct bh__irq_action *a)
{
	if (!a->thread_mask)
		return;
	/* SEQ_CST: a run owed again keeps the line masked until it ends. */
	if (__atomic_load_n(&a->thread_flags, __ATOMIC_SEQ_CST) & BH__IRQTF_RUN)
		return;
	/* SEQ_CST: against claim() and release() on this word. */
	uint64_t now = __atomic_and_fetch(&d->state, ~a->thread_mask,
					  __ATOMIC_SEQ_CST);
	line_runnable(d, now);
}

static const char *first_name(struct bh__irq_desc *d)
{
	/* Acquire: an action's fields were written before it was linked. */
	struct bh__irq_action *a =
		__atomic_load_n(&d->action, __ATOMIC_ACQUIRE);
	return a && a->name ? a->name : "?";
}

/*
 * Wait for the line's running handlers and thread functions, as
 * synchronize_irq() does, unless the caller is one of them: it would wait
 * for itself forever, so it gets a warning (`what` names the call, `after`
 * completes the sentence) and -EDEADLK.
 */
static int sync_line(unsigned int irq, struct bh__irq_desc *d, const char *what,
		     const char *after)
{
	if (bh__irq_is_own(d)) {
		BH_WARN(1,
			"bh: %s(%u) from a handler or thread function of IRQ "
			"%u (%s): it would wait for itself forever%s",
			what, irq, irq, first_name(d), after);
		return -EDEADLK;
	}
	if (!bh_might_sleep())
		return -EDEADLK;
	bh__irq_sync(d, true);
	return 0;
}

int bh_disable_irq(unsigned int irq)
{
	int err = check_line(irq, "disable_irq");
	if (err)
		return err;
	struct bh__irq_desc *d = &bh__irq_descs[irq];
	bh__irq_disable_nosync(d);
	return sync_line(irq, d, "disable_irq",
			 "; the line is disabled without waiting (use "
			 "disable_irq_nosync())");
}

int bh_synchronize_irq(unsigned int irq)
{
	int err = check_line(irq, "synchronize_irq");
	if (err)
		return err;
	return sync_line(irq, &bh__irq_descs[irq], "synchronize_irq", "");
}

unsigned long long bh_irq_count(unsigned int irq, int cpu)
{
	if (irq >= BH_NR_IRQS || cpu < 0 || cpu >= BH_MAX_CPUS)
		return 0;
	/* Relaxed: a statistic. */
	return __atomic_load_n(&bh__irq_descs[irq].counts[cpu],
			       __ATOMIC_RELAXED);
}
