// SPDX-License-Identifier: MIT
/*
 * Execution contexts: the per-thread preempt count, bottom-half and
 * interrupt masking, hardirq entry/exit, and might_sleep().
 *
 * Everything here is thread-local and touched by one thread only, but a
 * signal handler of that thread may run top halves between any two
 * instructions. The handler raises the count on entry and restores it, and
 * the cpu pin, on exit, so the interrupted read-modify-write sequences
 * still store the right value: the kernel's argument for its preempt count.
 * bh__signal_barrier() keeps the compiler from reordering the updates past
 * the code they guard.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

__thread struct bh__thread bh__self BH__TLS;

int bh__gettid(void)
{
	struct bh__thread *s = &bh__self;
	if (!s->tid)
		s->tid = (int)syscall(SYS_gettid);
	return s->tid;
}

int bh__real_cpu(void)
{
	/* glibc reads the rseq area here: no system call. */
	int cpu = sched_getcpu();
	int n = bh__rt.nr_cpus;
	if (cpu < 0 || n <= 0)
		return 0;
	if (cpu < (int)(sizeof(bh__rt.cpu_map) / sizeof(bh__rt.cpu_map[0])))
		return bh__rt.cpu_map[cpu];
	return cpu % n;
}

int bh_smp_processor_id(void)
{
	return bh__this_cpu();
}

unsigned int bh_preempt_count(void)
{
	return bh__self.preempt_count;
}

bool bh_in_nmi(void)
{
	return bh__self.preempt_count & BH_NMI_MASK;
}

bool bh_in_hardirq(void)
{
	return bh__self.preempt_count & BH_HARDIRQ_MASK;
}

bool bh_in_softirq(void)
{
	return bh__self.preempt_count & BH_SOFTIRQ_MASK;
}

bool bh_in_serving_softirq(void)
{
	return bh__self.preempt_count & BH_SOFTIRQ_OFFSET;
}

bool bh_in_interrupt(void)
{
	return bh__in_interrupt(&bh__self);
}

bool bh_in_task(void)
{
	/* S15: a bh-disabled section of a task is still task context. */
	return !(bh__self.preempt_count &
		 (BH_NMI_MASK | BH_HARDIRQ_MASK | BH_SOFTIRQ_OFFSET));
}

bool bh_in_atomic(void)
{
	return bh__self.preempt_count != 0;
}

bool bh_irqs_disabled(void)
{
	return bh__self.irqs_off != 0;
}

static bool atomic_now(const struct bh__thread *s)
{
	return s->preempt_count || s->irqs_off;
}

/*
 * Entering the first atomic level pins the bh CPU for the whole section, as
 * disabling preemption pins a kernel task to its CPU.
 */
void bh__atomic_enter(unsigned int offset)
{
	struct bh__thread *s = &bh__self;
	/*
	 * Count first, pin second: a signal handler landing in between sees
	 * an atomic thread and leaves the pin alone. The other order let a
	 * nested save/restore clear a pin just made.
	 */
	bool was_atomic = atomic_now(s);
	bh__signal_barrier();
	s->preempt_count += offset;
	bh__signal_barrier();
	if (!was_atomic)
		s->atomic_cpu1 = bh__this_cpu() + 1;
	bh__signal_barrier();
}

void bh__atomic_exit(unsigned int offset)
{
	struct bh__thread *s = &bh__self;
	bh__signal_barrier();
	s->preempt_count -= offset;
	bh__signal_barrier();
	if (!atomic_now(s))
		s->atomic_cpu1 = 0;
}

void bh_preempt_disable(void)
{
	bh__atomic_enter(BH_PREEMPT_OFFSET);
}

void bh_preempt_enable(void)
{
	if (BH_WARN_ONCE(!(bh__self.preempt_count & BH_PREEMPT_MASK),
			 "bh: preempt_enable() without preempt_disable()"))
		return;
	bh__atomic_exit(BH_PREEMPT_OFFSET);
}

void bh_local_bh_disable(void)
{
	bh__atomic_enter(BH_SOFTIRQ_DISABLE_OFFSET);
}

void bh_local_bh_enable(void)
{
	struct bh__thread *s = &bh__self;
	if (BH_WARN_ONCE((s->preempt_count & BH_SOFTIRQ_MASK) <
				 BH_SOFTIRQ_DISABLE_OFFSET,
			 "bh: local_bh_enable() without local_bh_disable() "
			 "(preempt_count %08x)",
			 s->preempt_count))
		return;
	/* The kernel's __local_bh_enable_ip() rule. */
	BH_WARN_ONCE(bh_in_hardirq() || s->irqs_off,
		     "bh: local_bh_enable() with interrupts disabled or in "
		     "hardirq context");
	int cpu = bh__this_cpu();
	bh__signal_barrier();
	s->preempt_count -= BH_SOFTIRQ_DISABLE_OFFSET;
	bh__signal_barrier();
	/* S9/S10: only the enable that leaves interrupt context runs them. */
	if (!bh__in_interrupt(s) && !s->irqs_off && bh__live())
		bh__softirq_maybe_run(cpu);
	if (!atomic_now(s))
		s->atomic_cpu1 = 0;
}

/* ---- hardirq ---------------------------------------------------------- */

void bh_irq_enter(void)
{
	struct bh__thread *s = &bh__self;
	/*
	 * Count first, then save the pin in this level's slot: a nested
	 * handler landing in between already sees the new level and uses
	 * the next slot, so neither overwrites the other's saved pin.
	 */
	unsigned int level = (s->preempt_count & BH_HARDIRQ_MASK) >> 16;
	bh__signal_barrier();
	s->preempt_count += BH_HARDIRQ_OFFSET;
	bh__signal_barrier();
	if (level < BH__HARDIRQ_NEST_MAX)
		s->saved_cpu1[level] = s->atomic_cpu1;
	if (!s->atomic_cpu1)
		s->atomic_cpu1 = bh__this_cpu() + 1;
	bh__signal_barrier();
}

void bh_irq_exit(void)
{
	struct bh__thread *s = &bh__self;
	if (BH_WARN_ONCE(!(s->preempt_count & BH_HARDIRQ_MASK),
			 "bh: irq_exit() outside hardirq context"))
		return;
	int cpu = bh__this_cpu();
	/* Take the saved pin before the level drops (see bh_irq_enter()). */
	unsigned int level = ((s->preempt_count & BH_HARDIRQ_MASK) >> 16) - 1;
	int saved = level < BH__HARDIRQ_NEST_MAX ? s->saved_cpu1[level] : 0;
	bh__signal_barrier();
	s->preempt_count -= BH_HARDIRQ_OFFSET;
	bh__signal_barrier();
	/*
	 * S9: leaving the outermost interrupt level runs pending softirqs,
	 * unless bh is disabled or this was a nested level (in_interrupt()),
	 * or interrupts are still off. A top half that ran in a signal
	 * handler (bh_signal_irq_enter(), or the library's own dispatch)
	 * hands them to ksoftirqd/N: bottom halves may call what a signal
	 * handler must not (the kernel does the same under threadirqs, S18).
	 */
	if (!bh__in_interrupt(s) && !s->irqs_off && bh__live()) {
		if (s->signal_nest)
			bh__wakeup_ksoftirqd(&bh__cpus[cpu]);
		else
			bh__softirq_maybe_run(cpu);
	}
	if (level < BH__HARDIRQ_NEST_MAX)
		s->atomic_cpu1 = saved;
}

void bh_signal_irq_enter(void)
{
	bh__self.signal_nest++;
	bh__signal_barrier();
	bh_irq_enter();
}

void bh_signal_irq_exit(void)
{
	bh_irq_exit();
	bh__signal_barrier();
	if (bh__self.signal_nest)
		bh__self.signal_nest--;
}

static void run_hardirq(struct bh__hardirq *h, bool in_signal)
{
	struct bh__thread *s = &bh__self;
	/* Hardirq handlers run with interrupts off, as on the hardware. */
	unsigned int irqs = s->irqs_off;
	s->irqs_off = 1;
	if (in_signal)
		s->signal_nest++;
	bh_irq_enter();
	h->fn(h->arg);
	s->irqs_off = irqs;
	bh__signal_barrier();
	bh_irq_exit();
	if (in_signal)
		s->signal_nest--;
}

/*
 * U4: hold `h` on this thread's list until interrupts are back on; once
 * per source and thread, like a latch (a source held by another thread
 * is held here too: each thread replays its own at its own restore).
 * A signal handler of this thread may hold another source at any
 * instruction, so a slot is claimed with one atomic add (one instruction
 * to a handler of the same thread) before it is written, and a free slot
 * is NULL, never a stale source that a nested hold could mistake for its
 * own. The relaxed atomics only keep the compiler from splitting them.
 */
static void hold(struct bh__thread *s, struct bh__hardirq *h)
{
	unsigned int n = __atomic_load_n(&s->held_n, __ATOMIC_RELAXED);
	for (unsigned int i = 0; i < n && i < BH__HELD_MAX; i++)
		if (__atomic_load_n(&s->held[i], __ATOMIC_RELAXED) == h)
			return;
	n = __atomic_fetch_add(&s->held_n, 1, __ATOMIC_RELAXED);
	if (n >= BH__HELD_MAX) {
		__atomic_fetch_sub(&s->held_n, 1, __ATOMIC_RELAXED);
		BH_WARN_ONCE(1,
			     "bh: more than %d interrupt sources held while "
			     "irqs are off",
			     BH__HELD_MAX);
		return;
	}
	__atomic_store_n(&s->held[n], h, __ATOMIC_RELAXED);
}

int bh__hardirq_run(struct bh__hardirq *h, bool in_signal)
{
	struct bh__thread *s = &bh__self;
	if (s->irqs_off) {
		hold(s, h);
		return 0;
	}
	run_hardirq(h, in_signal);
	return 1;
}

/*
 * Run the top halves held while interrupts were off, in arrival order,
 * with interrupts still off (a held source that fires again meanwhile stays
 * coalesced). Called with irqs_off set; returns with it set.
 */
static void replay_held(void)
{
	struct bh__thread *s = &bh__self;
	unsigned int i = 0;
	for (;;) {
		/* Relaxed: see hold(); a hold from here on is appended
		 * past i, or the CAS below fails and the loop takes it. */
		if (i < __atomic_load_n(&s->held_n, __ATOMIC_RELAXED)) {
			struct bh__hardirq *h = __atomic_exchange_n(
				&s->held[i++], NULL, __ATOMIC_RELAXED);
			if (!h)
				continue; /* cannot happen: no hold in flight */
			bh_irq_enter();
			h->fn(h->arg);
			bh_irq_exit(); /* irqs still off: softirqs wait */
			continue;
		}
		unsigned int seen = i;
		if (__atomic_compare_exchange_n(&s->held_n, &seen, 0, false,
						__ATOMIC_RELAXED,
						__ATOMIC_RELAXED))
			return;
	}
}

static void irqs_on(void)
{
	struct bh__thread *s = &bh__self;
	bool replayed = false;
	for (;;) {
		if (s->held_n) {
			replay_held();
			replayed = true;
		}
		bh__signal_barrier();
		s->irqs_off = 0;
		bh__signal_barrier();
		/*
		 * A signal that landed between the last check and the store
		 * above was held and would wait for the next restore: take
		 * interrupts off again and replay it now.
		 */
		if (!s->held_n)
			break;
		s->irqs_off = 1;
	}
	if (!s->preempt_count) {
		/*
		 * The replayed top halves' irq_exit was deferred to this
		 * point (S9); a restore that replayed nothing runs nothing,
		 * as the kernel's local_irq_restore() does not.
		 */
		if (replayed && bh__live())
			bh__softirq_maybe_run(bh__this_cpu());
		s->atomic_cpu1 = 0;
	}
}

unsigned long bh_local_irq_save(void)
{
	struct bh__thread *s = &bh__self;
	unsigned long flags = s->irqs_off;
	/* Mark first, pin second (see bh__atomic_enter()). */
	bool was_atomic = atomic_now(s);
	bh__signal_barrier();
	s->irqs_off = 1;
	bh__signal_barrier();
	if (!was_atomic)
		s->atomic_cpu1 = bh__this_cpu() + 1;
	bh__signal_barrier();
	return flags;
}

void bh_local_irq_restore(unsigned long flags)
{
	if (!flags)
		irqs_on();
}

void bh_local_irq_disable(void)
{
	(void)bh_local_irq_save();
}

void bh_local_irq_enable(void)
{
	if (bh__self.irqs_off)
		irqs_on();
}

/* ---- might_sleep ------------------------------------------------------ */

/* The splat itself; `where` is "file:line" or the name of a call. */
static void might_sleep_splat(const char *file, int line, const char *where)
{
	struct bh__thread *s = &bh__self;
	char comm[16] = "?";
	prctl(PR_GET_NAME, comm, 0, 0, 0);
	bh__bug(file, line, "bh__might_sleep",
		"sleeping function called from invalid context at %s\n"
		"in_atomic(): %d, irqs_disabled(): %d, non_block: 0, pid: %d, "
		"name: %s\n"
		"preempt_count: %x, expected: 0\n"
		"RCU nest depth: 0, expected: 0",
		where, s->preempt_count != 0, s->irqs_off != 0, bh__gettid(),
		comm, s->preempt_count);
	if (s->running_tasklet)
		bh_printk(BH_LOG_ERR, "bh: in tasklet %p\n",
			  (const void *)s->running_tasklet);
}

bool bh__might_sleep(const char *file, int line)
{
	struct bh__thread *s = &bh__self;
	if (!s->preempt_count && !s->irqs_off)
		return true;
	char where[256];
	snprintf(where, sizeof(where), "%s:%d", file, line);
	might_sleep_splat(file, line, where);
	return false;
}

bool bh__might_sleep_in(const char *what)
{
	struct bh__thread *s = &bh__self;
	if (!s->preempt_count && !s->irqs_off)
		return true;
	might_sleep_splat(what, 0, what);
	return false;
}
