/* SPDX-License-Identifier: MIT */
/*
 * The checker's bookkeeping: violations, the count of invariant checks
 * made, and the per-run checks every callback makes (exclusion, death).
 *
 * A violation never stops the run: it is counted, printed (the first few
 * in full) and makes the exit status non-zero, so one report shows every
 * kind of failure the seed provokes.
 */
#include "torture.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static unsigned long violations;
#define MAX_PRINTED 20

/*
 * Check counters, striped so that threads on different CPUs do not share
 * a cache line (the checks run in every callback, on every core).
 */
#define STRIPES 64
static struct {
	unsigned long checks, runs;
	char pad[64 - 2 * sizeof(unsigned long)];
} stripes[STRIPES] __attribute__((aligned(64)));
static unsigned stripe_next;
static __thread int my_stripe = -1;

static unsigned stripe(void)
{
	if (my_stripe < 0)
		my_stripe = (int)(__atomic_fetch_add(&stripe_next, 1,
						     __ATOMIC_RELAXED) %
				  STRIPES);
	return (unsigned)my_stripe;
}

void tt_checked(unsigned long n)
{
	__atomic_fetch_add(&stripes[stripe()].checks, n, __ATOMIC_RELAXED);
}

static unsigned long sum(size_t off)
{
	unsigned long s = 0;
	for (int i = 0; i < STRIPES; i++)
		s += __atomic_load_n(
			(unsigned long *)((char *)&stripes[i] + off),
			__ATOMIC_RELAXED);
	return s;
}

unsigned long tt_checks(void)
{
	return sum(0);
}

unsigned long tt_runs(void)
{
	return sum(sizeof(unsigned long));
}

unsigned long tt_violations(void)
{
	return __atomic_load_n(&violations, __ATOMIC_ACQUIRE);
}

__thread int tt_in_handler;

/*
 * Prints with vsnprintf, which is not async-signal-safe; from the storm's
 * handler (tt_in_handler) only the fixed text is written, with write(2).
 */
void tt_violation(const char *what, const char *fmt, ...)
{
	unsigned long n = __atomic_add_fetch(&violations, 1, __ATOMIC_ACQ_REL);
	char buf[512];
	int len;
	va_list ap;

	if (n > MAX_PRINTED)
		return;
	if (tt_in_handler) {
		static const char pre[] = "bh-torture: VIOLATION: ",
				  post[] = " (in a signal handler)\n";
		if (write(2, pre, sizeof(pre) - 1) < 0 ||
		    write(2, what, strlen(what)) < 0 ||
		    write(2, post, sizeof(post) - 1) < 0)
			return;
		return;
	}
	len = snprintf(buf, sizeof(buf), "bh-torture: VIOLATION: %s: ", what);
	va_start(ap, fmt);
	len += vsnprintf(buf + len, sizeof(buf) - (size_t)len, fmt, ap);
	va_end(ap);
	if (len > (int)sizeof(buf) - 48)
		len = (int)sizeof(buf) - 48;
	len += snprintf(buf + len, sizeof(buf) - (size_t)len, " (seed %llu)\n",
			tt_opts.seed);
	if (write(2, buf, (size_t)len) < 0)
		return;
	if (n == MAX_PRINTED) {
		static const char more[] =
			"bh-torture: further violations are counted only\n";
		if (write(2, more, sizeof(more) - 1) < 0)
			return;
	}
}

static unsigned long inject_count;

/* The calls at which the injected faults fire. */
#define INJECT_CONCURRENT_AT 1000
#define INJECT_LOST_RUN_AT   500

/*
 * SPEC T9, W6: a callback never runs concurrently with itself. The
 * exchange makes the check exact: two runs that overlap for any time at
 * all find each other's 1, whatever the interleaving.
 */
void tt_run_enter(struct tt_excl *e, const char *type, const void *obj)
{
	bool overlap = __atomic_exchange_n(&e->running, 1, __ATOMIC_ACQ_REL);

	if (tt_opts.inject == TT_INJECT_CONCURRENT &&
	    __atomic_add_fetch(&inject_count, 1, __ATOMIC_RELAXED) ==
		    INJECT_CONCURRENT_AT)
		overlap = true; /* the injected fault: a phantom overlap */
	if (overlap)
		tt_violation("concurrent run (SPEC T9/W6)",
			     "%s %p entered while already running", type, obj);
	__atomic_fetch_add(&e->runs, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&stripes[stripe()].runs, 1, __ATOMIC_RELAXED);
	tt_checked(1);
}

void tt_run_exit(struct tt_excl *e)
{
	__atomic_store_n(&e->running, 0, __ATOMIC_RELEASE);
}

void tt_check_not_dead(const int *dead, const char *type, const void *obj)
{
	tt_checked(1);
	if (__atomic_load_n(dead, __ATOMIC_ACQUIRE))
		tt_violation("run after a successful kill/cancel_sync/"
			     "del_timer_sync returned",
			     "%s %p", type, obj);
}

bool tt_inject_lost_run(void)
{
	return tt_opts.inject == TT_INJECT_LOST_RUN &&
	       __atomic_add_fetch(&inject_count, 1, __ATOMIC_RELAXED) ==
		       INJECT_LOST_RUN_AT;
}

/*
 * An injected run-counting fault has not fired yet: the run goes on past
 * --duration until it has, so that a slow or loaded machine, which makes
 * fewer runs in the time, cannot make a self-test miss it.
 */
bool tt_inject_pending(void)
{
	unsigned long n = __atomic_load_n(&inject_count, __ATOMIC_RELAXED);

	switch (tt_opts.inject) {
	case TT_INJECT_LOST_RUN:
		return n < INJECT_LOST_RUN_AT;
	case TT_INJECT_CONCURRENT:
		return n < INJECT_CONCURRENT_AT;
	default:
		return false;
	}
}
