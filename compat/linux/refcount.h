/* SPDX-License-Identifier: MIT */
/*
 * <linux/refcount.h>: refcount_t, a reference count that refuses to wrap.
 *
 * As the kernel's (lib/refcount.c, include/linux/refcount.h): an increment
 * from 0 is a use after free and warns "refcount_t: addition on 0;
 * use-after-free."; a count that would overflow, or a decrement below 0,
 * warns and sticks at REFCOUNT_SATURATED, leaking the object instead of
 * freeing it while in use. Ordering: refcount_inc() and friends are
 * relaxed; refcount_dec_and_test() is a release, with an acquire when it
 * returns true (so the freeing thread sees every other user's writes).
 * Lock-free and async-signal-safe (the warnings are not).
 */
#ifndef BH_COMPAT_LINUX_REFCOUNT_H
#define BH_COMPAT_LINUX_REFCOUNT_H

#include <limits.h>
#include <stdbool.h>

#include <bh/log.h>

#include <linux/atomic.h>

typedef struct refcount_struct {
	atomic_t refs;
} refcount_t;

#define REFCOUNT_INIT(n)                                                       \
	{                                                                      \
		.refs = ATOMIC_INIT(n)                                         \
	}
#define REFCOUNT_MAX	   INT_MAX
#define REFCOUNT_SATURATED (INT_MIN / 2)

static inline void bh__refcount_saturate(refcount_t *r, const char *what)
{
	atomic_set(&r->refs, REFCOUNT_SATURATED);
	BH_WARN(1, "refcount_t: %s", what);
}

/* old + i as the atomic wrapped it (the kernel builds with -fwrapv; C
 * does not define signed overflow, so add as unsigned). */
static inline bool bh__refcount_wraps(int old, int i)
{
	return (int)((unsigned int)old + (unsigned int)i) < 0;
}

static inline void refcount_set(refcount_t *r, int n)
{
	atomic_set(&r->refs, n);
}

static inline unsigned int refcount_read(const refcount_t *r)
{
	return (unsigned int)atomic_read(&r->refs);
}

/* Add i unless the count is 0; false (and no change) if it was. */
static inline bool refcount_add_not_zero(int i, refcount_t *r)
{
	int old = atomic_read(&r->refs);
	do {
		if (!old)
			return false;
	} while (!atomic_try_cmpxchg_relaxed(
		&r->refs, &old, (int)((unsigned int)old + (unsigned int)i)));
	if (old < 0 || bh__refcount_wraps(old, i))
		bh__refcount_saturate(r, "saturated; leaking memory.");
	return true;
}

static inline bool refcount_inc_not_zero(refcount_t *r)
{
	return refcount_add_not_zero(1, r);
}

static inline void refcount_add(int i, refcount_t *r)
{
	int old = atomic_fetch_add_relaxed(i, &r->refs);
	if (!old)
		bh__refcount_saturate(r, "addition on 0; use-after-free.");
	else if (old < 0 || bh__refcount_wraps(old, i))
		bh__refcount_saturate(r, "saturated; leaking memory.");
}

static inline void refcount_inc(refcount_t *r)
{
	refcount_add(1, r);
}

/* Subtract i; true if the count reached 0 (the caller frees). */
static inline bool refcount_sub_and_test(int i, refcount_t *r)
{
	int old = atomic_fetch_sub_release(i, &r->refs);
	if (old == i) {
		/* Acquire load of the count: our RMW continues the release
		 * sequence of every earlier decrement, so this synchronises
		 * with all of them (the kernel's acquire after the control
		 * dependency), and the caller sees every user's writes. */
		(void)atomic_read_acquire(&r->refs);
		return true;
	}
	if (old < 0 || bh__refcount_wraps(old, -i))
		bh__refcount_saturate(r, "underflow; use-after-free.");
	return false;
}

static inline bool refcount_dec_and_test(refcount_t *r)
{
	return refcount_sub_and_test(1, r);
}

/* Decrement that must not reach 0 (the kernel warns if it does). */
static inline void refcount_dec(refcount_t *r)
{
	if (refcount_dec_and_test(r))
		BH_WARN(1, "refcount_t: decrement hit 0; leaking memory.");
}

#endif
