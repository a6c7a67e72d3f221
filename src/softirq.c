// SPDX-License-Identifier: MIT
/*
 * Softirqs: per-bh-CPU pending masks, the pass/restart loop, ksoftirqd/N.
 *
 * Ownership. In the kernel only one context at a time runs on a CPU, so
 * softirqs of one CPU never overlap. Here several threads may act for the
 * same bh CPU (ksoftirqd/N, a thread leaving a bh-disabled section, a top
 * half's irq_exit), so running a CPU's softirqs takes its `owner` flag with
 * an atomic exchange. A runner that finds it taken leaves the work to the
 * owner, which re-checks the pending mask after letting go (see
 * bh__do_softirq()): no pending vector is stranded.
 *
 * Waking ksoftirqd. The thread announces that it sleeps by setting
 * BH__PENDING_SLEEPING in the pending word itself (only when no vector is
 * pending), then FUTEX_WAITs on that word. A raise is one fetch_or on the
 * same word, so it learns atomically whether the thread sleeps; only then
 * does it make a system call (QEMU's bottom halves use the same trick).
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

const char *const bh_softirq_to_name[BH_NR_SOFTIRQS] = {
	"HI",	    "TIMER",   "NET_TX", "NET_RX",  "BLOCK",
	"IRQ_POLL", "TASKLET", "SCHED",	 "HRTIMER", "RCU",
};

/* Vectors the library serves itself; the application may not take them. */
#define BH__LIBRARY_VECTORS                                                    \
	((1u << BH_HI_SOFTIRQ) | (1u << BH_TIMER_SOFTIRQ) |                    \
	 (1u << BH_TASKLET_SOFTIRQ) | (1u << BH_HRTIMER_SOFTIRQ))

/* A: written before raising, read by runners (release/acquire). */
static bh_softirq_action_fn user_vec[BH_NR_SOFTIRQS];
static bh__vector_fn lib_vec[BH_NR_SOFTIRQS];

void bh__softirq_install(unsigned int nr, bh__vector_fn fn)
{
	__atomic_store_n(&lib_vec[nr], fn, __ATOMIC_RELEASE);
}

int bh_open_softirq(unsigned int nr, bh_softirq_action_fn action)
{
	if (nr >= BH_NR_SOFTIRQS || !action)
		return -EINVAL;
	if ((1u << nr) & BH__LIBRARY_VECTORS) {
		BH_WARN(1,
			"bh: open_softirq(%s): vector %u is served by the "
			"library",
			bh_softirq_to_name[nr], nr);
		return -EBUSY;
	}
	__atomic_store_n(&user_vec[nr], action, __ATOMIC_RELEASE);
	return 0;
}

void bh__wakeup_ksoftirqd(struct bh__cpu *c)
{
	uint32_t v = __atomic_load_n(&c->pending, __ATOMIC_RELAXED);
	if (!(v & BH__PENDING_SLEEPING))
		return;
	/* Only the caller that clears the bit makes the system call. */
	if (__atomic_fetch_and(&c->pending, ~BH__PENDING_SLEEPING,
			       __ATOMIC_SEQ_CST) &
	    BH__PENDING_SLEEPING)
		bh__futex_wake(&c->pending, 1);
}

void bh__kick(struct bh__cpu *c, uint32_t bit)
{
	/* One RMW: learn atomically whether the thread sleeps (see raise). */
	uint32_t old = __atomic_fetch_or(&c->pending, bit, __ATOMIC_SEQ_CST);
	if (old & BH__PENDING_SLEEPING)
		bh__wakeup_ksoftirqd(c);
}

void bh__raise_on(struct bh__cpu *c, unsigned int nr)
{
	/*
	 * SEQ_CST RMW: the release half publishes the caller's stores to
	 * the handler, whose snapshot (fetch_and, acquire) reads this value
	 * or a later one in the same RMW chain. The returned old value tells
	 * atomically whether ksoftirqd had gone to sleep (its CAS to
	 * SLEEPING is ordered with this RMW on the one word).
	 */
	uint32_t old =
		__atomic_fetch_or(&c->pending, 1u << nr, __ATOMIC_SEQ_CST);
	if (bh_likely(!(old & BH__PENDING_SLEEPING)))
		return;
	/*
	 * S11: from task context, wake ksoftirqd. In interrupt context on
	 * this CPU the softirq runs at irq_exit / local_bh_enable instead.
	 * Another CPU is woken in any case (an IPI in the kernel).
	 */
	struct bh__thread *s = &bh__self;
	if (!bh__in_interrupt(s) || c->id != bh__this_cpu() || s->signal_nest)
		bh__wakeup_ksoftirqd(c);
}

static int raise_checked(unsigned int nr)
{
	if (bh_unlikely(!bh__live()))
		return bh__dead_error("raise_softirq");
	if (bh_unlikely(nr >= BH_NR_SOFTIRQS))
		return -EINVAL;
	if (bh_unlikely(!__atomic_load_n(&user_vec[nr], __ATOMIC_RELAXED) &&
			!__atomic_load_n(&lib_vec[nr], __ATOMIC_RELAXED))) {
		BH_WARN_ONCE(1, "bh: raise_softirq(%u) with no handler opened",
			     nr);
		return -ENOENT;
	}
	bh__raise_on(&bh__cpus[bh__this_cpu()], nr);
	return 0;
}

int bh_raise_softirq(unsigned int nr)
{
	return raise_checked(nr);
}

int bh_raise_softirq_irqoff(unsigned int nr)
{
	return raise_checked(nr);
}

/* One handler invocation, with the S16 preempt-count check. */
static void run_vector(struct bh__cpu *c, unsigned int nr)
{
	struct bh__thread *s = &bh__self;
	unsigned int before = s->preempt_count;
	bh__vector_fn lib = __atomic_load_n(&lib_vec[nr], __ATOMIC_ACQUIRE);
	bh_softirq_action_fn user = NULL;

	/* S17: single writer (the owner); readers load it atomically. */
	__atomic_store_n(&c->counts[nr], c->counts[nr] + 1, __ATOMIC_RELAXED);
	if (lib) {
		lib(c, nr);
	} else {
		user = __atomic_load_n(&user_vec[nr], __ATOMIC_ACQUIRE);
		if (user)
			user();
	}
	if (bh_unlikely(s->preempt_count != before)) {
		bh_printk(BH_LOG_ERR,
			  "huh, entered softirq %u %s %p with preempt_count "
			  "%08x, exited with %08x?\n",
			  nr, bh_softirq_to_name[nr],
			  lib ? (void *)lib : (void *)user, before,
			  s->preempt_count);
		s->preempt_count = before;
	}
}

int bh__do_softirq(struct bh__cpu *c)
{
	struct bh__thread *s = &bh__self;
	int invocations = 0;

	/* Acquire: see everything the previous owner did. */
	if (__atomic_exchange_n(&c->owner, 1, __ATOMIC_ACQUIRE))
		return 0;

	int saved_cpu1 = s->atomic_cpu1;
	s->atomic_cpu1 = c->id + 1;
	bh__signal_barrier();
	s->preempt_count += BH_SOFTIRQ_OFFSET;
	bh__signal_barrier();

	/* S12/S13: at most MAX_SOFTIRQ_RESTART passes, or until the deadline.
	 */
	unsigned long end = bh_jiffies() + bh__rt.max_softirq_time;
	int restart = BH_MAX_SOFTIRQ_RESTART;
	for (;;) {
		/*
		 * S5: snapshot and clear. Acquire pairs with the raisers'
		 * RMWs, so handlers see what was stored before each raise.
		 */
		uint32_t pending =
			__atomic_fetch_and(&c->pending, ~BH__PENDING_MASK,
					   __ATOMIC_ACQ_REL) &
			BH__PENDING_MASK;
		while (pending) {
			unsigned int nr = (unsigned int)__builtin_ctz(pending);
			pending &= pending - 1;
			run_vector(c, nr);
			invocations++;
		}
		if (!(__atomic_load_n(&c->pending, __ATOMIC_RELAXED) &
		      BH__PENDING_MASK))
			break;
		if (!bh_time_before(bh_jiffies(), end) || --restart == 0) {
			bh__wakeup_ksoftirqd(c);
			break;
		}
	}

	s->preempt_count -= BH_SOFTIRQ_OFFSET;
	bh__signal_barrier();
	s->atomic_cpu1 = saved_cpu1;

	/*
	 * Let go, then look again (SEQ_CST store and load): a runner that
	 * found the flag taken after our last look relies on this check, and
	 * its raise (SEQ_CST) is ordered before its failed exchange.
	 */
	__atomic_store_n(&c->owner, 0, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&c->pending, __ATOMIC_SEQ_CST) & BH__PENDING_MASK)
		bh__wakeup_ksoftirqd(c);
	return invocations;
}

void bh__softirq_maybe_run(int cpu)
{
	struct bh__cpu *c = &bh__cpus[cpu];
	if (__atomic_load_n(&c->pending, __ATOMIC_RELAXED) & BH__PENDING_MASK)
		bh__do_softirq(c);
}

int bh_run_softirqs(int cpu)
{
	if (!bh__live())
		return bh__dead_error("bh_run_softirqs");
	if (cpu < 0 || cpu >= bh__rt.nr_cpus)
		return -EINVAL;
	if (bh_in_atomic() || bh_irqs_disabled()) {
		BH_WARN_ONCE(1,
			     "bh: bh_run_softirqs() from atomic context "
			     "(preempt_count %08x)",
			     bh_preempt_count());
		return -EDEADLK;
	}
	/* smp.c: stepping a CPU takes its cross-CPU calls first (hardirq) */
	int calls = bh__smp_flush(cpu);
	return calls + bh__do_softirq(&bh__cpus[cpu]);
}

int bh_run_all(unsigned int max_loops)
{
	int total = 0;
	if (!bh__live())
		return bh__dead_error("bh_run_all");
	if (!max_loops)
		max_loops = 1000;
	for (unsigned int loop = 0; loop < max_loops; loop++) {
		int ran = 0;
		for (int cpu = 0; cpu < bh__rt.nr_cpus; cpu++) {
			int r = bh_run_softirqs(cpu);
			if (r < 0)
				return r;
			ran += r;
		}
		total += ran;
		if (!ran)
			break;
	}
	return total;
}

unsigned int bh_softirq_pending(int cpu)
{
	if (cpu < 0 || cpu >= bh__rt.nr_cpus)
		return 0;
	return __atomic_load_n(&bh__cpus[cpu].pending, __ATOMIC_RELAXED) &
	       BH__PENDING_MASK;
}

unsigned long long bh_softirq_count(int cpu, unsigned int nr)
{
	if (cpu < 0 || cpu >= bh__rt.nr_cpus || nr >= BH_NR_SOFTIRQS)
		return 0;
	return __atomic_load_n(&bh__cpus[cpu].counts[nr], __ATOMIC_RELAXED);
}

int bh_softirqs_snprint(char *buf, size_t len)
{
	size_t at = 0;
	int n;
#define PUT(...)                                                               \
	do {                                                                   \
		n = snprintf(at < len ? buf + at : NULL,                       \
			     at < len ? len - at : 0, __VA_ARGS__);            \
		if (n < 0)                                                     \
			return n;                                              \
		at += (size_t)n;                                               \
	} while (0)
	/* The kernel's /proc/softirqs layout. */
	PUT("                    ");
	for (int cpu = 0; cpu < bh__rt.nr_cpus; cpu++)
		PUT("CPU%-8d", cpu);
	PUT("\n");
	for (unsigned int nr = 0; nr < BH_NR_SOFTIRQS; nr++) {
		PUT("%12s:", bh_softirq_to_name[nr]);
		for (int cpu = 0; cpu < bh__rt.nr_cpus; cpu++)
			PUT(" %10llu", bh_softirq_count(cpu, nr));
		PUT("\n");
	}
#undef PUT
	return (int)at;
}

int bh_softirqs_print(FILE *f)
{
	char stack[4096];
	int n = bh_softirqs_snprint(stack, sizeof(stack));
	if (n < 0)
		return n;
	if ((size_t)n < sizeof(stack))
		return fputs(stack, f) < 0 ? -EIO : n;
	char *heap = bh__malloc((size_t)n + 1);
	if (!heap)
		return -ENOMEM;
	bh_softirqs_snprint(heap, (size_t)n + 1);
	int r = fputs(heap, f) < 0 ? -EIO : n;
	free(heap);
	return r;
}
