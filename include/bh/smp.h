/* SPDX-License-Identifier: MIT */
/*
 * Cross-CPU function calls: run a function on another bh CPU, in hardirq
 * context, as the kernel's smp_call_function_single() and on_each_cpu()
 * run theirs from an inter-processor interrupt.
 *
 * On the target the function runs on ksoftirqd/N (the thread that is bh
 * CPU N), between bh_irq_enter() and bh_irq_exit(), with interrupts off:
 * bh_in_hardirq() is true, bh_irqs_disabled() is true, bh_might_sleep()
 * reports, bh_smp_processor_id() answers N. Softirqs, tasklets and BH work
 * it raises run at that irq exit, on N, after it (SPEC S9). Functions
 * queued for one bh CPU run one at a time, in the order they were queued.
 *
 * A call for the caller's own bh CPU runs at once in the caller, with
 * interrupts off but not in hardirq context, as the kernel's does; the
 * caller's CPU is pinned for the call (as get_cpu() pins it).
 *
 * An "IPI" waits for the target's current softirq pass (at most the
 * softirq budget, SPEC S13) or the function it is running: ksoftirqd/N
 * takes it between two passes, not in the middle of a handler.
 *
 * Deterministic mode (no ksoftirqd): a queued call runs when its CPU is
 * stepped (bh_run_softirqs(cpu), bh_run_all(), shutdown), before that
 * CPU's softirqs. A caller that waits (wait != 0) steps the target itself,
 * acting as that CPU, so a waiting call returns without a helper thread.
 *
 * Every call returns 0 or a negative errno: -ENXIO for a bh CPU out of
 * range, or without a runtime (-ECHILD in a fork child). The waiting and
 * the non-async calls may wait (for their own call, or for the per-CPU
 * slot an earlier call without wait still holds): from hardirq or softirq
 * context, or with interrupts off, they report the kernel's WARN_ON_ONCE
 * and return -EDEADLK without calling anything (the kernel warns and goes
 * on into a possible deadlock).
 */
#ifndef BH_SMP_H
#define BH_SMP_H

#include <stdint.h>

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*bh_smp_call_func_t)(void *info);

/*
 * A call descriptor (the kernel's call_single_data_t): the caller owns it
 * for bh_smp_call_function_single_async(), and it must stay valid until
 * the call has started (its function may queue it again). Initialise with
 * BH_CSD_INIT / bh_init_csd(); the other fields are private.
 */
struct bh_call_single_data {
	struct bh_call_single_data *next; /* private: queue link */
	bh_smp_call_func_t func;
	void *info;
	uint32_t flags; /* private: in flight, waited for */
	int dst;	/* private: target bh CPU */
};
typedef struct bh_call_single_data bh_call_single_data_t;

#define BH_CSD_INIT(_func, _info)                                              \
	{                                                                      \
		.func = (_func), .info = (_info)                               \
	}

static inline void bh_init_csd(bh_call_single_data_t *csd,
			       bh_smp_call_func_t func, void *info)
{
	csd->next = 0;
	csd->func = func;
	csd->info = info;
	csd->flags = 0;
	csd->dst = 0;
}

/*
 * Run func(info) on bh CPU `cpu` (see above); with `wait`, return after
 * it has run. Returns 0, -ENXIO, -EDEADLK (misuse, above).
 */
BH_API int bh_smp_call_function_single(int cpu, bh_smp_call_func_t func,
				       void *info, int wait);

/*
 * Queue `csd` for bh CPU `cpu` and return at once. -EBUSY if the csd is
 * still in flight (queued and its function not yet started), as the
 * kernel's. Allocation-free, lock-free and async-signal-safe; callable
 * from any context, interrupts off and hardirq included. The csd is free
 * again as its function starts.
 */
BH_API int bh_smp_call_function_single_async(int cpu,
					     bh_call_single_data_t *csd);

/*
 * Run func(info) on every other bh CPU (the kernel's smp_call_function),
 * or on those of `mask` other than the caller's (smp_call_function_many).
 * `mask` is a bitmap of BH_MAX_CPUS bits, 64 per word; NULL means all.
 */
BH_API int bh_smp_call_function(bh_smp_call_func_t func, void *info, int wait);
BH_API int bh_smp_call_function_many(const uint64_t *mask,
				     bh_smp_call_func_t func, void *info,
				     int wait);

/*
 * Run func(info) on every bh CPU (of `mask`), the caller's included: that
 * one in the caller, with interrupts off, between queueing the others and
 * waiting for them.
 */
BH_API int bh_on_each_cpu(bh_smp_call_func_t func, void *info, int wait);
BH_API int bh_on_each_cpu_mask(const uint64_t *mask, bh_smp_call_func_t func,
			       void *info, int wait);

/*
 * Constant masks, in the same layout: only `cpu` set (all clear for a cpu
 * out of range), and the bh CPUs of the runtime (0 .. bh_nr_cpus() - 1;
 * there is no CPU hotplug, so this is also the possible, present and
 * active mask). Any context. The online mask changes only at bh_init().
 */
BH_API const uint64_t *bh_cpumask_of(int cpu);
BH_API const uint64_t *bh_cpu_online_mask(void);

#ifdef __cplusplus
}
#endif

#endif
