/* SPDX-License-Identifier: MIT */
/*
 * <linux/cpumask.h>: sets of CPUs, where a CPU is a bh CPU (one per online
 * CPU by default, bh_config.nr_cpus otherwise; <bh/runtime.h>).
 *
 * struct cpumask, cpumask_set_cpu(), cpumask_clear_cpu(),
 * cpumask_test_cpu(), cpumask_clear(), num_online_cpus() and cpu_online()
 * come from <linux/smp.h>, which this header includes (one definition
 * each); this one adds the masks, the iterators and the set operations.
 *
 * Where user space differs: there is no CPU hotplug, so the possible,
 * present, active and online masks are one mask, bh CPUs 0 ..
 * nr_cpu_ids - 1, fixed from bh_init() to bh_shutdown(); nr_cpu_ids is
 * 0 with no runtime. A mask has NR_CPUS (BH_MAX_CPUS, 256) bits;
 * cpumask_var_t is always on-stack (the kernel without
 * CONFIG_CPUMASK_OFFSTACK), so alloc_cpumask_var() cannot fail.
 */
#ifndef BH_COMPAT_LINUX_CPUMASK_H
#define BH_COMPAT_LINUX_CPUMASK_H

#include <stdbool.h>

#include <bh/runtime.h>
#include <bh/smp.h>

#include <linux/smp.h>
#include <linux/types.h>

#define NR_CPUS BH_MAX_CPUS

#define nr_cpu_ids	  ((unsigned int)bh_nr_cpus())
#define nr_cpumask_bits	  nr_cpu_ids
#define cpu_online_mask	  ((const struct cpumask *)bh_cpu_online_mask())
#define cpu_possible_mask cpu_online_mask
#define cpu_present_mask  cpu_online_mask
#define cpu_active_mask	  cpu_online_mask
#define cpu_all_mask	  cpu_online_mask

static inline const struct cpumask *cpumask_of(int cpu)
{
	return (const struct cpumask *)bh_cpumask_of(cpu);
}

#define num_possible_cpus() num_online_cpus()
#define num_present_cpus()  num_online_cpus()
#define num_active_cpus()   num_online_cpus()
#define cpu_possible(cpu)   cpu_online(cpu)
#define cpu_present(cpu)    cpu_online(cpu)
#define cpu_active(cpu)	    cpu_online(cpu)

/* The first CPU of `m` after n (n = -1: the first), nr_cpu_ids if none. */
static inline unsigned int cpumask_next(int n, const struct cpumask *m)
{
	unsigned int nr = nr_cpu_ids;
	for (unsigned int cpu = (unsigned int)(n + 1); cpu < nr; cpu++)
		if ((m->bits[cpu / 64] >> (cpu % 64)) & 1)
			return cpu;
	return nr;
}

static inline unsigned int cpumask_next_zero(int n, const struct cpumask *m)
{
	unsigned int nr = nr_cpu_ids;
	for (unsigned int cpu = (unsigned int)(n + 1); cpu < nr; cpu++)
		if (!((m->bits[cpu / 64] >> (cpu % 64)) & 1))
			return cpu;
	return nr;
}

static inline unsigned int cpumask_first(const struct cpumask *m)
{
	return cpumask_next(-1, m);
}

static inline unsigned int cpumask_first_zero(const struct cpumask *m)
{
	return cpumask_next_zero(-1, m);
}

static inline unsigned int cpumask_last(const struct cpumask *m)
{
	unsigned int nr = nr_cpu_ids;
	for (unsigned int cpu = nr; cpu-- > 0;)
		if ((m->bits[cpu / 64] >> (cpu % 64)) & 1)
			return cpu;
	return nr;
}

#define cpumask_any(m) cpumask_first(m)

#define for_each_cpu(cpu, mask)                                                \
	for ((cpu) = -1;                                                       \
	     (cpu) = (__typeof__(cpu))cpumask_next((int)(cpu), (mask)),        \
	    (unsigned int)(cpu) < nr_cpu_ids;)
#define for_each_cpu_not(cpu, mask)                                            \
	for ((cpu) = -1;                                                       \
	     (cpu) = (__typeof__(cpu))cpumask_next_zero((int)(cpu), (mask)),   \
	    (unsigned int)(cpu) < nr_cpu_ids;)
#define for_each_online_cpu(cpu)   for_each_cpu(cpu, cpu_online_mask)
#define for_each_possible_cpu(cpu) for_each_cpu(cpu, cpu_possible_mask)
#define for_each_present_cpu(cpu)  for_each_cpu(cpu, cpu_present_mask)

static inline unsigned int cpumask_weight(const struct cpumask *m)
{
	unsigned int w = 0, nr = nr_cpu_ids;
	for (unsigned int cpu = 0; cpu < nr; cpu++)
		w += (unsigned int)((m->bits[cpu / 64] >> (cpu % 64)) & 1);
	return w;
}

static inline bool cpumask_empty(const struct cpumask *m)
{
	return cpumask_first(m) >= nr_cpu_ids;
}

static inline bool cpumask_full(const struct cpumask *m)
{
	return cpumask_weight(m) == nr_cpu_ids;
}

static inline void cpumask_setall(struct cpumask *m)
{
	cpumask_clear(m);
	for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++)
		cpumask_set_cpu(cpu, m);
}

static inline void cpumask_copy(struct cpumask *dst, const struct cpumask *src)
{
	*dst = *src;
}

/* dst = a & b; true if dst is not empty. */
static inline bool cpumask_and(struct cpumask *dst, const struct cpumask *a,
			       const struct cpumask *b)
{
	for (unsigned int i = 0; i < BH_MAX_CPUS / 64; i++)
		dst->bits[i] = a->bits[i] & b->bits[i];
	return !cpumask_empty(dst);
}

static inline void cpumask_or(struct cpumask *dst, const struct cpumask *a,
			      const struct cpumask *b)
{
	for (unsigned int i = 0; i < BH_MAX_CPUS / 64; i++)
		dst->bits[i] = a->bits[i] | b->bits[i];
}

static inline bool cpumask_andnot(struct cpumask *dst, const struct cpumask *a,
				  const struct cpumask *b)
{
	for (unsigned int i = 0; i < BH_MAX_CPUS / 64; i++)
		dst->bits[i] = a->bits[i] & ~b->bits[i];
	return !cpumask_empty(dst);
}

static inline bool cpumask_equal(const struct cpumask *a,
				 const struct cpumask *b)
{
	for (unsigned int i = 0; i < BH_MAX_CPUS / 64; i++)
		if (a->bits[i] != b->bits[i])
			return false;
	return true;
}

static inline bool cpumask_intersects(const struct cpumask *a,
				      const struct cpumask *b)
{
	for (unsigned int i = 0; i < BH_MAX_CPUS / 64; i++)
		if (a->bits[i] & b->bits[i])
			return true;
	return false;
}

static inline bool cpumask_subset(const struct cpumask *a,
				  const struct cpumask *b)
{
	for (unsigned int i = 0; i < BH_MAX_CPUS / 64; i++)
		if (a->bits[i] & ~b->bits[i])
			return false;
	return true;
}

/* Atomic, fully ordered, as the kernel's. */
static inline bool cpumask_test_and_set_cpu(int cpu, struct cpumask *m)
{
	if (cpu < 0 || cpu >= BH_MAX_CPUS)
		return false;
	uint64_t bit = 1ull << (cpu % 64);
	return __atomic_fetch_or(&m->bits[cpu / 64], bit, __ATOMIC_SEQ_CST) &
	       bit;
}

static inline bool cpumask_test_and_clear_cpu(int cpu, struct cpumask *m)
{
	if (cpu < 0 || cpu >= BH_MAX_CPUS)
		return false;
	uint64_t bit = 1ull << (cpu % 64);
	return __atomic_fetch_and(&m->bits[cpu / 64], ~bit, __ATOMIC_SEQ_CST) &
	       bit;
}

/* Always on the stack here: allocation cannot fail. */
typedef struct cpumask cpumask_var_t[1];

static inline bool alloc_cpumask_var(cpumask_var_t *mask, unsigned int flags)
{
	(void)mask;
	(void)flags;
	return true;
}

static inline bool zalloc_cpumask_var(cpumask_var_t *mask, unsigned int flags)
{
	(void)flags;
	cpumask_clear(*mask);
	return true;
}

static inline void free_cpumask_var(cpumask_var_t mask)
{
	(void)mask;
}

#endif
