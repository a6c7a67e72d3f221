/* SPDX-License-Identifier: MIT */
/*
 * Small compiler helpers used by the public headers: container_of (the
 * intrusive-object idiom every bh object relies on), branch hints, and the
 * printf-format attribute.
 */
#ifndef BH_COMPILER_H
#define BH_COMPILER_H

#include <stddef.h>

/* A compile-time check that reads the same in C and in C++. */
#ifdef __cplusplus
#define BH_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define BH_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

#define bh_likely(x)	       __builtin_expect(!!(x), 1)
#define bh_unlikely(x)	       __builtin_expect(!!(x), 0)
#define bh_printf_format(a, b) __attribute__((format(printf, a, b)))

/*
 * Recover the enclosing object from a pointer to one of its members. The
 * type check rejects a pointer whose type differs from the member's.
 */
#define bh_container_of(ptr, type, member)                                     \
	({                                                                     \
		const __typeof__(((type *)0)->member) *bh__mptr_ = (ptr);      \
		(type *)((char *)bh__mptr_ - offsetof(type, member));          \
	})

/* The kernel's atomic_t: an int only touched through atomic operations. */
typedef struct {
	int counter;
} bh_atomic_t;

#endif
