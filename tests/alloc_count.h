/* SPDX-License-Identifier: MIT */
/*
 * SPEC U2's witness, shared by the tests that prove "no allocation": the
 * including program's malloc family counts the calls a thread makes while
 * its `counting` flag is set (these definitions take precedence over
 * libc's for the whole process; each test is its own program, so each
 * includes this once). Sanitizer runtimes interpose the allocator
 * themselves: the counting versions are compiled out there, and the tests
 * skip.
 */
#ifndef BH_TEST_ALLOC_COUNT_H
#define BH_TEST_ALLOC_COUNT_H

#include <errno.h>
#include <malloc.h>
#include <stdbool.h>
#include <stddef.h>

static __thread bool counting;
static unsigned long allocations;

#if !TH_SANITIZED
/* glibc's own entry points, which its malloc/free are aliases of. */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void *__libc_memalign(size_t align, size_t size);
extern void *__libc_valloc(size_t size);
extern void *__libc_pvalloc(size_t size);
extern void __libc_free(void *p);

static void note(void)
{
	if (__atomic_load_n(&counting, __ATOMIC_RELAXED))
		__atomic_fetch_add(&allocations, 1, __ATOMIC_RELAXED);
}

void *malloc(size_t size)
{
	note();
	return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	note();
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
	note();
	return __libc_realloc(p, size);
}

void *memalign(size_t align, size_t size)
{
	note();
	return __libc_memalign(align, size);
}

void *aligned_alloc(size_t align, size_t size)
{
	note();
	return __libc_memalign(align, size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
	void *p;

	note();
	if (align < sizeof(void *) || (align & (align - 1)))
		return EINVAL;
	p = __libc_memalign(align, size);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

void *valloc(size_t size)
{
	note();
	return __libc_valloc(size);
}

void *pvalloc(size_t size)
{
	note();
	return __libc_pvalloc(size);
}

void free(void *p)
{
	note();
	__libc_free(p);
}
#endif

/* Atomic, so that the compiler keeps the flag's stores around the calls. */
static inline void set_counting(bool on)
{
	__atomic_store_n(&counting, on, __ATOMIC_SEQ_CST);
}

/*
 * The compiler may assume that malloc() touches no global it can see, so
 * the counter is always read with an atomic load, which it does not cache
 * across the call.
 */
static inline unsigned long allocated(void)
{
	return __atomic_load_n(&allocations, __ATOMIC_SEQ_CST);
}

/* True if the interposed functions really count (a control). */
static inline bool counter_works(void)
{
	void *volatile p;
	unsigned long before = allocated();

	set_counting(true);
	p = malloc(16);
	free(p);
	set_counting(false);
	return allocated() == before + 2;
}

#endif
