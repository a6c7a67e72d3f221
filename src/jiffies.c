// SPDX-License-Identifier: MIT
/*
 * jiffies without a tick: computed from CLOCK_MONOTONIC when read (the
 * vDSO makes that a few nanoseconds and no system call), or taken from the
 * virtual clock in deterministic mode.
 */
#include <errno.h>
#include <time.h>

#include "internal.h"

static uint64_t monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

unsigned long bh_jiffies(void)
{
	if (bh__rt.deterministic)
		return bh__rt.initial_jiffies +
		       __atomic_load_n(&bh__rt.virtual_ticks, __ATOMIC_ACQUIRE);
	uint64_t tick = bh__rt.tick_ns ? bh__rt.tick_ns : 4000000u;
	return bh__rt.initial_jiffies +
	       (unsigned long)((monotonic_ns() - bh__rt.clock_base_ns) / tick);
}

uint64_t bh__jiffy_start_ns(unsigned long j)
{
	uint64_t tick = bh__rt.tick_ns ? bh__rt.tick_ns : 4000000u;
	return bh__rt.clock_base_ns +
	       (uint64_t)(j - bh__rt.initial_jiffies) * tick;
}

unsigned long long bh_get_jiffies_64(void)
{
	return bh_jiffies();
}

static unsigned int hz(void)
{
	return bh__rt.hz ? bh__rt.hz : 250;
}

unsigned long bh_msecs_to_jiffies(unsigned int ms)
{
	/* Round up: a delay is never shortened (the kernel's rule). */
	return (unsigned long)(((unsigned long long)ms * hz() + 999) / 1000);
}

unsigned long bh_usecs_to_jiffies(unsigned int us)
{
	return (unsigned long)(((unsigned long long)us * hz() + 999999) /
			       1000000);
}

unsigned int bh_jiffies_to_msecs(unsigned long j)
{
	return (unsigned int)(((unsigned long long)j * 1000 + hz() - 1) / hz());
}

unsigned int bh_jiffies_to_usecs(unsigned long j)
{
	return (unsigned int)(((unsigned long long)j * 1000000 + hz() - 1) /
			      hz());
}

int bh_advance_jiffies(unsigned long ticks)
{
	if (!bh__live())
		return bh__dead_error("bh_advance_jiffies");
	if (!bh__rt.deterministic)
		return -EPERM;
	/* Release: whoever reads the new time sees what preceded the move. */
	__atomic_fetch_add(&bh__rt.virtual_ticks, ticks, __ATOMIC_RELEASE);
	/*
	 * The tick: every bh CPU with a non-deferrable timer due gets
	 * TIMER_SOFTIRQ raised (K8: deferrable ones do not wake a CPU);
	 * the test then runs the softirqs.
	 */
	for (int cpu = 0; cpu < bh__rt.nr_cpus; cpu++)
		bh__timer_check(&bh__cpus[cpu], false);
	return 0;
}

uint64_t bh__monotonic_ns(void)
{
	return monotonic_ns();
}
