// SPDX-License-Identifier: MIT
/*
 * The constant cpumasks the compat <linux/cpumask.h> points at: one mask
 * per bh CPU with only that CPU set (cpumask_of()), and the mask of the
 * bh CPUs of the running runtime (cpu_online_mask, cpu_possible_mask).
 *
 * Locking legend: I written before use (a constructor, or bh_init(),
 * which no other call may run concurrently with), read-only after.
 */
#include "internal.h"

#define WORDS (BH_MAX_CPUS / 64)

static uint64_t one_cpu[BH_MAX_CPUS][WORDS]; /* I */
static uint64_t no_cpu[WORDS];		     /* I: all zero */
static uint64_t online[WORDS];		     /* I: set by bh_init() */

__attribute__((constructor)) static void init_one_cpu_masks(void)
{
	for (int cpu = 0; cpu < BH_MAX_CPUS; cpu++)
		one_cpu[cpu][cpu / 64] = 1ull << (cpu % 64);
}

void bh__cpumask_set_online(int nr_cpus)
{
	for (int w = 0; w < WORDS; w++)
		online[w] = 0;
	for (int cpu = 0; cpu < nr_cpus && cpu < BH_MAX_CPUS; cpu++)
		online[cpu / 64] |= 1ull << (cpu % 64);
}

const uint64_t *bh_cpumask_of(int cpu)
{
	if (cpu < 0 || cpu >= BH_MAX_CPUS)
		return no_cpu;
	return one_cpu[cpu];
}

const uint64_t *bh_cpu_online_mask(void)
{
	return online;
}
