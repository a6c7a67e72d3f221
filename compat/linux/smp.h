/* SPDX-License-Identifier: MIT */
/*
 * <linux/smp.h>: which bh CPU the caller is on, and cross-CPU function
 * calls (see <bh/smp.h> for where and how the functions run).
 *
 * In plain task context the answer follows the thread's real CPU (or
 * bh_thread_set_cpu()) and may change at any moment, as the kernel's
 * raw_smp_processor_id() may; inside an atomic section (get_cpu(), a
 * spinlock, bh or irqs off, a bottom half) it is fixed for the section.
 * The kernel's debug check that smp_processor_id() is only called with
 * preemption off is not made: both names return the same value.
 *
 * struct cpumask is a minimal bitmap of BH_MAX_CPUS bits with the few
 * accessors the calls need; the kernel's full cpumask API is not here.
 * As in the kernel, smp_call_function(), smp_call_function_many(),
 * on_each_cpu() and on_each_cpu_mask() return nothing: a misuse they
 * refuse (interrupts off, not task context) is reported as a WARN.
 */
#ifndef BH_COMPAT_LINUX_SMP_H
#define BH_COMPAT_LINUX_SMP_H

#include <stdbool.h>
#include <stdint.h>

#include <bh/context.h>
#include <bh/runtime.h>
#include <bh/smp.h>

#include <linux/preempt.h>

static inline int smp_processor_id(void)
{
	return bh_smp_processor_id();
}

static inline int raw_smp_processor_id(void)
{
	return bh_smp_processor_id();
}

/* preempt_disable() first: the id then stays valid until put_cpu(). */
static inline int get_cpu(void)
{
	bh_preempt_disable();
	return bh_smp_processor_id();
}

static inline void put_cpu(void)
{
	bh_preempt_enable();
}

/* ---- cross-CPU calls --------------------------------------------------- */

typedef bh_smp_call_func_t smp_call_func_t;
typedef bh_call_single_data_t call_single_data_t;

#define CSD_INIT(_func, _info)	     BH_CSD_INIT(_func, _info)
#define INIT_CSD(_csd, _func, _info) bh_init_csd(_csd, _func, _info)

struct cpumask {
	uint64_t bits[BH_MAX_CPUS / 64];
};
typedef struct cpumask cpumask_t;

#define cpumask_bits(maskp) ((maskp)->bits)

static inline void cpumask_clear(struct cpumask *m)
{
	for (unsigned int i = 0; i < BH_MAX_CPUS / 64; i++)
		m->bits[i] = 0;
}

static inline void cpumask_set_cpu(unsigned int cpu, struct cpumask *m)
{
	if (cpu < BH_MAX_CPUS)
		m->bits[cpu / 64] |= 1ull << (cpu % 64);
}

static inline void cpumask_clear_cpu(unsigned int cpu, struct cpumask *m)
{
	if (cpu < BH_MAX_CPUS)
		m->bits[cpu / 64] &= ~(1ull << (cpu % 64));
}

static inline bool cpumask_test_cpu(int cpu, const struct cpumask *m)
{
	return cpu >= 0 && cpu < BH_MAX_CPUS &&
	       ((m->bits[cpu / 64] >> (cpu % 64)) & 1);
}

static inline unsigned int num_online_cpus(void)
{
	return (unsigned int)bh_nr_cpus();
}

static inline bool cpu_online(int cpu)
{
	return cpu >= 0 && cpu < bh_nr_cpus();
}

static inline int smp_call_function_single(int cpu, smp_call_func_t func,
					   void *info, int wait)
{
	return bh_smp_call_function_single(cpu, func, info, wait);
}

static inline int smp_call_function_single_async(int cpu,
						 call_single_data_t *csd)
{
	return bh_smp_call_function_single_async(cpu, csd);
}

static inline void smp_call_function(smp_call_func_t func, void *info, int wait)
{
	(void)bh_smp_call_function(func, info, wait);
}

static inline void smp_call_function_many(const struct cpumask *mask,
					  smp_call_func_t func, void *info,
					  bool wait)
{
	(void)bh_smp_call_function_many(mask->bits, func, info, wait);
}

static inline void on_each_cpu(smp_call_func_t func, void *info, int wait)
{
	(void)bh_on_each_cpu(func, info, wait);
}

static inline void on_each_cpu_mask(const struct cpumask *mask,
				    smp_call_func_t func, void *info, bool wait)
{
	(void)bh_on_each_cpu_mask(mask->bits, func, info, wait);
}

#endif
