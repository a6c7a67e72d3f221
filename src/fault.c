// SPDX-License-Identifier: MIT
/*
 * Fault injection's counters and controls (see <bh/fault.h>, src/fault.h).
 *
 * The kernel's fail-nth counts a task's calls and fails the nth; here the
 * count is process-wide, since the library's threads make most of the
 * calls on a caller's behalf (a worker, a rescuer). A sweep therefore
 * fails a different call at each N, though which thread makes call N may
 * vary between runs.
 */
#include <stdlib.h>
#include <string.h>

#include "fault.h"
#include "internal.h"

unsigned int bh__fault_armed;
static unsigned long fault_nth, fault_times; /* written before arming */
static unsigned long fault_calls, fault_injected;

bool bh__fault_slow(unsigned int cls)
{
	/* Acquire: pairs with the release in bh_fault_inject(), so that
	 * nth and times are those of this arming. */
	unsigned int armed =
		__atomic_load_n(&bh__fault_armed, __ATOMIC_ACQUIRE);
	if (!(armed & cls))
		return false;
	unsigned long n = __atomic_add_fetch(&fault_calls, 1, __ATOMIC_RELAXED);
	unsigned long nth = __atomic_load_n(&fault_nth, __ATOMIC_RELAXED);
	unsigned long times = __atomic_load_n(&fault_times, __ATOMIC_RELAXED);
	if (n < nth || (times && n - nth >= times))
		return false;
	__atomic_add_fetch(&fault_injected, 1, __ATOMIC_RELAXED);
	return true;
}

int bh_fault_inject(unsigned int classes, unsigned long nth,
		    unsigned long times)
{
	if ((classes & ~(unsigned int)BH_FAULT_ALL) || (classes && !nth))
		return -EINVAL;
	/* Off while the parameters change, so no check sees a mix. */
	__atomic_store_n(&bh__fault_armed, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&fault_nth, nth, __ATOMIC_RELAXED);
	__atomic_store_n(&fault_times, times, __ATOMIC_RELAXED);
	__atomic_store_n(&fault_calls, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&fault_injected, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&bh__fault_armed, classes, __ATOMIC_RELEASE);
	return 0;
}

unsigned long bh_fault_injected(void)
{
	return __atomic_load_n(&fault_injected, __ATOMIC_RELAXED);
}

unsigned long bh_fault_calls(void)
{
	return __atomic_load_n(&fault_calls, __ATOMIC_RELAXED);
}

/* "alloc,fd" or "5" to a mask; ~0u when malformed. */
static unsigned int parse_classes(const char *s, size_t len)
{
	static const struct {
		const char *name;
		unsigned int mask;
	} names[] = {{"alloc", BH_FAULT_ALLOC},
		     {"thread", BH_FAULT_THREAD},
		     {"fd", BH_FAULT_FD},
		     {"all", BH_FAULT_ALL}};
	if (len && s[0] >= '0' && s[0] <= '9') {
		char *end;
		unsigned long v = strtoul(s, &end, 0);
		return (size_t)(end - s) == len && v <= BH_FAULT_ALL
			       ? (unsigned int)v
			       : ~0u;
	}
	unsigned int mask = 0;
	while (len) {
		const char *comma = memchr(s, ',', len);
		size_t n = comma ? (size_t)(comma - s) : len;
		unsigned int m = 0;
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i].name) == n &&
			    !memcmp(names[i].name, s, n))
				m = names[i].mask;
		if (!m)
			return ~0u;
		mask |= m;
		len -= comma ? n + 1 : n;
		s += comma ? n + 1 : n;
	}
	return mask;
}

static void from_env(void)
{
	const char *v = getenv("BH_FAIL_NTH");
	if (!v || !*v)
		return;
	const char *colon = strchr(v, ':');
	unsigned int classes =
		colon ? parse_classes(v, (size_t)(colon - v)) : ~0u;
	unsigned long nth = 0, times = 1;
	char *end = NULL;
	if (colon) {
		nth = strtoul(colon + 1, &end, 10);
		if (*end == ':')
			times = strtoul(end + 1, &end, 10);
	}
	if (classes == ~0u || !end || *end ||
	    bh_fault_inject(classes, nth, times)) {
		bh_printk(BH_LOG_ERR,
			  "bh: BH_FAIL_NTH=%s: expected "
			  "CLASSES:NTH[:TIMES]; ignored\n",
			  v);
		return;
	}
	bh_printk(BH_LOG_NOTICE,
		  "bh: fault injection armed: classes 0x%x, call %lu, "
		  "%lu time(s)\n",
		  classes, nth, times);
}

static pthread_once_t env_once = PTHREAD_ONCE_INIT;

void bh__fault_from_env(void)
{
	pthread_once(&env_once, from_env);
}
