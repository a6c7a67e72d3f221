// SPDX-License-Identifier: MIT
/*
 * Cross-CPU function calls (smp_call_function_single, on_each_cpu): the
 * kernel's call-single queue and its IPI, for bh CPUs.
 *
 * Queue. Each bh CPU has a lock-free stack of call descriptors (csds),
 * pushed with a CAS (a signal handler that interrupts a push only makes
 * it retry) and taken whole with one exchange by whoever runs the CPU's
 * calls, then reversed into queue order. A csd is on at most one queue:
 * its LOCK flag, taken with a CAS before the push, says it is in flight.
 * Nothing is allocated: a waiting call's csd is on the caller's stack, a
 * call without wait uses a static slot per (sender, target) pair, as the
 * kernel's per-CPU csd_data/cfd_data, and the async form uses the caller's.
 *
 * The "IPI". The push that finds the queue empty sets BH__PENDING_IPI in
 * the target's pending word and wakes ksoftirqd/N if it sleeps (one RMW
 * tells whether it does, as for a softirq raise). Why ksoftirqd/N and not
 * the hardirq/N delivery thread of the fd lines: ksoftirqd/N exists for
 * every bh CPU from bh_init() on and already is that CPU (its pinned id),
 * it sleeps on a futex word that a producer can poke with one RMW and no
 * system call while it is awake, and the softirqs a call raises must run
 * on that CPU at irq exit, which is where ksoftirqd/N already runs them.
 * hardirq/N exists only for CPUs with fd or timer lines, is started at
 * the first bind (a thread creation is neither allocation-free nor
 * async-signal-safe), and waits in epoll, so every wake would cost an
 * eventfd write. The price: an IPI is taken between two softirq passes of
 * ksoftirqd/N, not in the middle of a handler (documented in smp.h).
 *
 * Running. The thread that runs a CPU's calls takes the queue's `owner`
 * flag (calls for one CPU never run concurrently, as on one kernel CPU),
 * acts as that CPU (pinned id), turns interrupts off, enters hardirq
 * context, and runs the batch; a call whose sender waits (SYNC) is
 * released after its function returns, any other before it starts (so its
 * function may queue it again), as the kernel does. Interrupts come back
 * on before irq exit, so the softirqs the functions raised run at that
 * exit, on that CPU, after them (SPEC S9). After letting the owner flag
 * go, the owner looks at the queue again (SEQ_CST store, then load): a
 * runner that found the flag taken relies on it.
 *
 * Waiting. A sender spins briefly on its csd's LOCK flag, then sleeps on
 * the hashed wait table (waitvar.c) after setting WAITERS with a CAS that
 * only succeeds while LOCK is set; the runner clears both in one RMW and
 * wakes the bucket only if WAITERS was set. The runner touches a waited-
 * for csd (on the sender's stack) for the last time in that RMW; the wake
 * only hashes its address. In deterministic mode there is no ksoftirqd/N:
 * a waiting sender runs the target's queue itself, as that CPU.
 */
#include <errno.h>
#include <sched.h>
#include <string.h>

#include "internal.h"

#define CSD_LOCK                                                               \
	0x1u		 /* in flight: queued, function not started (or,       \
				SYNC, not finished) */
#define CSD_SYNC    0x2u /* the sender waits: release after the function */
#define CSD_WAITERS 0x4u /* someone sleeps on the wait table for it */

/* Spins before a waiting sender sleeps (a call is usually microseconds). */
#define CSD_SPIN 200

struct smp_queue {
	bh_call_single_data_t *head; /* A: newest first */
	uint32_t owner;		     /* A: 1 while a thread runs the calls */
} __attribute__((aligned(BH__CACHELINE)));

static struct smp_queue queues[BH_MAX_CPUS];

/*
 * Calls without wait: slot [sender][target]. Static (bss: untouched
 * pairs cost no memory); a slot still in flight makes the next call from
 * the same pair wait for it, as the kernel's csd_lock() does.
 */
static bh_call_single_data_t slots[BH_MAX_CPUS][BH_MAX_CPUS];
static int slots_used; /* A: a slot was ever taken (reset at bh_init) */

void bh__smp_init(void)
{
	/*
	 * After a normal shutdown everything is idle (it ran the queues);
	 * a fork child's copy may hold in-flight state: forget it.
	 */
	memset(queues, 0, sizeof(queues));
	if (__atomic_exchange_n(&slots_used, 0, __ATOMIC_RELAXED))
		memset(slots, 0, sizeof(slots));
}

/* ---- the descriptor's flags ------------------------------------------- */

static void csd_unlock(bh_call_single_data_t *csd)
{
	/*
	 * SEQ_CST RMW: publishes the function's effects to the sender's
	 * acquire load, and is ordered with a waiter's CAS that sets
	 * WAITERS (either it sees LOCK clear, or we see WAITERS).
	 */
	uint32_t old = __atomic_fetch_and(&csd->flags,
					  ~(CSD_LOCK | CSD_SYNC | CSD_WAITERS),
					  __ATOMIC_SEQ_CST);
	if (old & CSD_WAITERS)
		bh__waitvar_wake(csd);
}

/* Wait until `csd` is no longer in flight. Task context only. */
static void csd_wait(bh_call_single_data_t *csd)
{
	for (unsigned int spin = 0;; spin++) {
		/* Acquire: pairs with csd_unlock(); the function's stores
		 * are visible once LOCK reads clear. */
		uint32_t f = __atomic_load_n(&csd->flags, __ATOMIC_ACQUIRE);
		if (!(f & CSD_LOCK))
			return;
		if (bh__rt.deterministic) {
			/* No ksoftirqd: step the target ourselves. Relaxed:
			 * for a slot another thread may be filling, a stale
			 * target only costs one more turn of the loop. */
			bh__smp_flush(
				__atomic_load_n(&csd->dst, __ATOMIC_RELAXED));
			if (spin >= CSD_SPIN)
				sched_yield(); /* another thread runs it */
			continue;
		}
		if (spin < CSD_SPIN) {
			bh__cpu_relax();
			continue;
		}
		uint32_t seq = bh__waitvar_seq(csd);
		/* SEQ_CST CAS: fails if the runner cleared LOCK meanwhile,
		 * so WAITERS is never left on an idle csd. */
		if (!(f & CSD_WAITERS) &&
		    !__atomic_compare_exchange_n(
			    &csd->flags, &f, f | CSD_WAITERS, false,
			    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
			continue;
		/* The timeout is only a safety net. */
		bh__waitvar_sleep(csd, seq, 100 * 1000 * 1000L);
	}
}

/* Take a slot, waiting for its previous call to start. */
static void csd_lock(bh_call_single_data_t *csd, uint32_t type)
{
	for (;;) {
		csd_wait(csd);
		uint32_t f = 0;
		/* Acquire: the runner is done with the slot's fields. */
		if (__atomic_compare_exchange_n(
			    &csd->flags, &f, CSD_LOCK | type, false,
			    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return;
	}
}

/* ---- queue and IPI ---------------------------------------------------- */

static void queue_call(int cpu, bh_call_single_data_t *csd)
{
	struct smp_queue *q = &queues[cpu];
	/* Relaxed: read by waiters in deterministic mode (csd_wait()). */
	__atomic_store_n(&csd->dst, cpu, __ATOMIC_RELAXED);
	/* Relaxed: a first guess for the CAS. */
	bh_call_single_data_t *head =
		__atomic_load_n(&q->head, __ATOMIC_RELAXED);
	do {
		csd->next = head;
		/*
		 * SEQ_CST: the release half publishes the csd's fields to
		 * the runner's exchange; the order against the owner flag
		 * is the Dekker pair described at the top.
		 */
	} while (!__atomic_compare_exchange_n(&q->head, &head, csd, false,
					      __ATOMIC_SEQ_CST,
					      __ATOMIC_RELAXED));
	/*
	 * Only the push onto an empty queue sends the IPI: a non-empty one
	 * has not been taken yet, and its first push's IPI is still to be
	 * served (the runner clears the bit before it takes the queue).
	 */
	if (!head && !bh__rt.deterministic)
		bh__kick(&bh__cpus[cpu], BH__PENDING_IPI);
}

static void run_batch(int cpu, bh_call_single_data_t *list)
{
	struct bh__thread *s = &bh__self;
	/* Newest first: reverse into queue order. */
	bh_call_single_data_t *fifo = NULL;
	while (list) {
		bh_call_single_data_t *next = list->next;
		list->next = fifo;
		fifo = list;
		list = next;
	}
	/* Act as `cpu`; the irq_enter below saves and restores this pin. */
	int outer = s->atomic_cpu1;
	bh__signal_barrier();
	s->atomic_cpu1 = cpu + 1;
	bh__signal_barrier();
	unsigned long flags = bh_local_irq_save();
	bh_irq_enter();
	while (fifo) {
		bh_call_single_data_t *csd = fifo;
		/* Everything is read before the csd may be reused. */
		fifo = csd->next;
		bh_smp_call_func_t func = csd->func;
		void *info = csd->info;
		/* Relaxed: the flags' LOCK is ours until we clear it. */
		bool sync = __atomic_load_n(&csd->flags, __ATOMIC_RELAXED) &
			    CSD_SYNC;
		if (!sync)
			csd_unlock(csd);
		func(info);
		if (sync)
			csd_unlock(csd);
		if (!s->irqs_off) {
			char sym[96];
			BH_WARN_ONCE(1,
				     "bh: cross-CPU call function %s "
				     "enabled interrupts",
				     bh__symbol_name((const void *)func, sym,
						     sizeof(sym)));
			s->irqs_off = 1;
		}
	}
	/* Interrupts on first, so that irq exit runs the softirqs (S9). */
	bh_local_irq_restore(flags);
	bh_irq_exit();
	bh__signal_barrier();
	s->atomic_cpu1 = outer;
	bh__signal_barrier();
}

int bh__smp_flush(int cpu)
{
	struct smp_queue *q = &queues[cpu];
	int ran = 0;
	/* SEQ_CST: see the owner's re-check (top of file). */
	while (__atomic_load_n(&q->head, __ATOMIC_SEQ_CST)) {
		if (__atomic_exchange_n(&q->owner, 1, __ATOMIC_SEQ_CST))
			break; /* the owner looks again after letting go */
		/* Acquire: the pushers' csd fields. */
		bh_call_single_data_t *list =
			__atomic_exchange_n(&q->head, NULL, __ATOMIC_ACQ_REL);
		for (bh_call_single_data_t *c = list; c; c = c->next)
			ran++;
		if (list)
			run_batch(cpu, list);
		__atomic_store_n(&q->owner, 0, __ATOMIC_SEQ_CST);
	}
	return ran;
}

void bh__smp_ipi(struct bh__cpu *c)
{
	/* Clear before taking the queue: a push after this sends again. */
	__atomic_fetch_and(&c->pending, ~BH__PENDING_IPI, __ATOMIC_SEQ_CST);
	bh__smp_flush(c->id);
}

/* ---- the calls -------------------------------------------------------- */

/* The call for the caller's own CPU: irqs off, not hardirq (kernel). */
static void run_local(bh_smp_call_func_t func, void *info)
{
	unsigned long flags = bh_local_irq_save();
	func(info);
	bh_local_irq_restore(flags);
}

static int check_runtime(const char *what)
{
	if (bh_unlikely(!bh__live()))
		return bh__dead_error(what);
	return 0;
}

/*
 * The kernel warns for a caller that may wait with interrupts off (the
 * target may be waiting for this CPU) or outside task context (an
 * interrupt between queueing and sending, or a per-CPU slot used by the
 * context it interrupted). Here the call is refused instead.
 */
static int check_context(const char *what)
{
	struct bh__thread *s = &bh__self;
	if (s->irqs_off) {
		BH_WARN_ONCE(1,
			     "WARN_ON_ONCE(cpu_online(this_cpu) && "
			     "irqs_disabled() && !oops_in_progress): %s() "
			     "with interrupts disabled can deadlock; not "
			     "called, returning -EDEADLK",
			     what);
		return -EDEADLK;
	}
	if (!bh_in_task()) {
		BH_WARN_ONCE(1,
			     "WARN_ON_ONCE(!in_task()): %s() from %s context "
			     "can deadlock; not called, returning -EDEADLK",
			     what, bh_in_hardirq() ? "hardirq" : "softirq");
		return -EDEADLK;
	}
	return 0;
}

int bh_smp_call_function_single(int cpu, bh_smp_call_func_t func, void *info,
				int wait)
{
	int err = check_runtime("smp_call_function_single");
	if (err)
		return err;
	BH__CHECK_NULL(func, "smp_call_function_single", -EINVAL);
	err = check_context("smp_call_function_single");
	if (err)
		return err;
	if (cpu < 0 || cpu >= bh__rt.nr_cpus)
		return -ENXIO;
	bh_preempt_disable(); /* get_cpu() */
	int self = bh__this_cpu();
	if (cpu == self) {
		run_local(func, info);
		bh_preempt_enable();
		return 0;
	}
	if (wait) {
		bh_call_single_data_t csd = {.func = func,
					     .info = info,
					     .flags = CSD_LOCK | CSD_SYNC};
		queue_call(cpu, &csd);
		bh_preempt_enable();
		csd_wait(&csd);
		return 0;
	}
	bh_call_single_data_t *csd = &slots[self][cpu];
	__atomic_store_n(&slots_used, 1, __ATOMIC_RELAXED);
	csd_lock(csd, 0);
	csd->func = func;
	csd->info = info;
	queue_call(cpu, csd);
	bh_preempt_enable();
	return 0;
}

int bh_smp_call_function_single_async(int cpu, bh_call_single_data_t *csd)
{
	int err = check_runtime("smp_call_function_single_async");
	if (err)
		return err;
	BH__CHECK_NULL(csd, "smp_call_function_single_async", -EINVAL);
	/* Relaxed: a first guess for the CAS. */
	uint32_t f = __atomic_load_n(&csd->flags, __ATOMIC_RELAXED);
	do {
		if (f & CSD_LOCK)
			return -EBUSY;
		/* Acquire: the previous run is done with the fields. */
	} while (!__atomic_compare_exchange_n(&csd->flags, &f, CSD_LOCK, false,
					      __ATOMIC_ACQUIRE,
					      __ATOMIC_RELAXED));
	if (cpu < 0 || cpu >= bh__rt.nr_cpus) {
		csd_unlock(csd);
		return -ENXIO;
	}
	bh_preempt_disable();
	if (cpu == bh__this_cpu()) {
		bh_smp_call_func_t func = csd->func;
		void *info = csd->info;
		csd_unlock(csd);
		run_local(func, info);
	} else {
		queue_call(cpu, csd);
	}
	bh_preempt_enable();
	return 0;
}

static bool in_mask(const uint64_t *mask, int cpu)
{
	return !mask || (mask[cpu / 64] >> (cpu % 64)) & 1;
}

static int call_many(const char *what, const uint64_t *mask,
		     bh_smp_call_func_t func, void *info, int wait,
		     bool include_self)
{
	int err = check_runtime(what);
	if (err)
		return err;
	BH__CHECK_NULL(func, what, -EINVAL);
	err = check_context(what);
	if (err)
		return err;
	int n = bh__rt.nr_cpus;
	bh_preempt_disable(); /* get_cpu() */
	int self = bh__this_cpu();
	__atomic_store_n(&slots_used, 1, __ATOMIC_RELAXED);
	for (int cpu = 0; cpu < n; cpu++) {
		if (cpu == self || !in_mask(mask, cpu))
			continue;
		bh_call_single_data_t *csd = &slots[self][cpu];
		csd_lock(csd, wait ? CSD_SYNC : 0);
		csd->func = func;
		csd->info = info;
		queue_call(cpu, csd);
	}
	if (include_self && in_mask(mask, self))
		run_local(func, info);
	if (wait) {
		/*
		 * A slot seen idle is done with this call; one taken again by
		 * another thread of this CPU meanwhile only makes this wait
		 * longer.
		 */
		for (int cpu = 0; cpu < n; cpu++)
			if (cpu != self && in_mask(mask, cpu))
				csd_wait(&slots[self][cpu]);
	}
	bh_preempt_enable();
	return 0;
}

int bh_smp_call_function(bh_smp_call_func_t func, void *info, int wait)
{
	return call_many("smp_call_function", NULL, func, info, wait, false);
}

int bh_smp_call_function_many(const uint64_t *mask, bh_smp_call_func_t func,
			      void *info, int wait)
{
	return call_many("smp_call_function_many", mask, func, info, wait,
			 false);
}

int bh_on_each_cpu(bh_smp_call_func_t func, void *info, int wait)
{
	return call_many("on_each_cpu", NULL, func, info, wait, true);
}

int bh_on_each_cpu_mask(const uint64_t *mask, bh_smp_call_func_t func,
			void *info, int wait)
{
	return call_many("on_each_cpu_mask", mask, func, info, wait, true);
}
