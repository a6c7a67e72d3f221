/* SPDX-License-Identifier: MIT */
/*
 * <linux/atomic.h>: atomic_t, atomic64_t and atomic_long_t with the
 * kernel's operations and its ordering rules
 * (Documentation/atomic_t.txt), on the compiler's __atomic builtins:
 *
 * - atomic_read() and atomic_set() are relaxed single accesses;
 *   atomic_read_acquire() and atomic_set_release() order as named.
 * - Operations that return nothing (atomic_inc, atomic_add, atomic_and...)
 *   are relaxed: they order nothing, as in the kernel. Pair them with
 *   smp_mb__before_atomic()/smp_mb__after_atomic() when order matters.
 * - Operations that return a value (*_return, fetch_*, xchg, cmpxchg,
 *   *_and_test, *_unless, inc_not_zero...) are fully ordered (SEQ_CST
 *   RMW), like the kernel's, which put a full barrier on each side. The
 *   _relaxed, _acquire and _release forms order as named; a failed
 *   cmpxchg orders nothing, as in the kernel.
 *
 * Also here: the barriers (smp_mb(), smp_rmb(), smp_wmb(),
 * smp_store_release(), smp_load_acquire(), smp_mb__before/after_atomic())
 * and the type-generic xchg()/cmpxchg() on plain variables. atomic_t is the
 * native bh_atomic_t (<linux/types.h>), so a tasklet's `count` is one.
 * Every operation is lock-free and async-signal-safe.
 */
#ifndef BH_COMPAT_LINUX_ATOMIC_H
#define BH_COMPAT_LINUX_ATOMIC_H

#include <stdbool.h>

#include <linux/compiler.h>
#include <linux/types.h>

typedef struct {
	s64 counter;
} atomic64_t;

typedef struct {
	long counter;
} atomic_long_t;

#define ATOMIC64_INIT(i)                                                       \
	{                                                                      \
		(i)                                                            \
	}
#define ATOMIC_LONG_INIT(i)                                                    \
	{                                                                      \
		(i)                                                            \
	}

/* ---- barriers ----------------------------------------------------------- */

/*
 * ThreadSanitizer does not model fences (GCC refuses them under
 * -fsanitize=thread -Werror): there each barrier is a read-modify-write
 * of one shared word with the same order, which TSan sees as
 * synchronisation between threads that both pass a barrier.
 */
#if defined(__SANITIZE_THREAD__)
#define BH__COMPAT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define BH__COMPAT_TSAN 1
#endif
#endif
#ifdef BH__COMPAT_TSAN
static int bh__tsan_fence_word __attribute__((unused));
#define bh__fence(order)                                                       \
	((void)__atomic_fetch_add(&bh__tsan_fence_word, 0, order))
#else
#define bh__fence(order) __atomic_thread_fence(order)
#endif

#ifndef smp_mb
#define mb()  bh__fence(__ATOMIC_SEQ_CST)
#define rmb() bh__fence(__ATOMIC_ACQUIRE)
#define wmb() bh__fence(__ATOMIC_RELEASE)
/* Full, read and write barriers between CPUs (threads). */
#define smp_mb()  bh__fence(__ATOMIC_SEQ_CST)
#define smp_rmb() bh__fence(__ATOMIC_ACQUIRE)
#define smp_wmb() bh__fence(__ATOMIC_RELEASE)
/* Upgrade a void atomic op that follows/precedes to full ordering. */
#define smp_mb__before_atomic() bh__fence(__ATOMIC_SEQ_CST)
#define smp_mb__after_atomic()	bh__fence(__ATOMIC_SEQ_CST)
#define smp_store_mb(var, value)                                               \
	do {                                                                   \
		WRITE_ONCE(var, value);                                        \
		smp_mb();                                                      \
	} while (0)
#define smp_store_release(p, v) __atomic_store_n(p, v, __ATOMIC_RELEASE)
#define smp_load_acquire(p)	__atomic_load_n(p, __ATOMIC_ACQUIRE)
#endif

/*
 * xchg()/cmpxchg() on a plain variable: fully ordered; cmpxchg() returns
 * the old value (equal to `old` on success).
 */
#define xchg(ptr, v) __atomic_exchange_n(ptr, v, __ATOMIC_SEQ_CST)
#define cmpxchg(ptr, old, new)                                                 \
	({                                                                     \
		__typeof__(*(ptr)) bh__cx_old_ = (old);                        \
		__atomic_compare_exchange_n(ptr, &bh__cx_old_, new, false,     \
					    __ATOMIC_SEQ_CST,                  \
					    __ATOMIC_RELAXED);                 \
		bh__cx_old_;                                                   \
	})
#define cmpxchg_relaxed(ptr, old, new)                                         \
	({                                                                     \
		__typeof__(*(ptr)) bh__cx_old_ = (old);                        \
		__atomic_compare_exchange_n(ptr, &bh__cx_old_, new, false,     \
					    __ATOMIC_RELAXED,                  \
					    __ATOMIC_RELAXED);                 \
		bh__cx_old_;                                                   \
	})

/* ---- the operations, once per type ------------------------------------------
 */

#define BH__ATOMIC_RMW_ORDERS(pfx, T, A, name, builtin)                        \
	static inline T pfx##_##name(T i, A *v)                                \
	{                                                                      \
		return builtin(&v->counter, i, __ATOMIC_SEQ_CST);              \
	}                                                                      \
	static inline T pfx##_##name##_relaxed(T i, A *v)                      \
	{                                                                      \
		return builtin(&v->counter, i, __ATOMIC_RELAXED);              \
	}                                                                      \
	static inline T pfx##_##name##_acquire(T i, A *v)                      \
	{                                                                      \
		return builtin(&v->counter, i, __ATOMIC_ACQUIRE);              \
	}                                                                      \
	static inline T pfx##_##name##_release(T i, A *v)                      \
	{                                                                      \
		return builtin(&v->counter, i, __ATOMIC_RELEASE);              \
	}

#define BH__ATOMIC_VOID(pfx, T, A, name, builtin)                              \
	static inline void pfx##_##name(T i, A *v)                             \
	{                                                                      \
		(void)builtin(&v->counter, i, __ATOMIC_RELAXED);               \
	}

#define BH__ATOMIC_OPS(pfx, T, A)                                              \
	static inline T pfx##_read(const A *v)                                 \
	{                                                                      \
		return __atomic_load_n(&v->counter, __ATOMIC_RELAXED);         \
	}                                                                      \
	static inline T pfx##_read_acquire(const A *v)                         \
	{                                                                      \
		return __atomic_load_n(&v->counter, __ATOMIC_ACQUIRE);         \
	}                                                                      \
	static inline void pfx##_set(A *v, T i)                                \
	{                                                                      \
		__atomic_store_n(&v->counter, i, __ATOMIC_RELAXED);            \
	}                                                                      \
	static inline void pfx##_set_release(A *v, T i)                        \
	{                                                                      \
		__atomic_store_n(&v->counter, i, __ATOMIC_RELEASE);            \
	}                                                                      \
	BH__ATOMIC_VOID(pfx, T, A, add, __atomic_fetch_add)                    \
	BH__ATOMIC_VOID(pfx, T, A, sub, __atomic_fetch_sub)                    \
	BH__ATOMIC_VOID(pfx, T, A, and, __atomic_fetch_and)                    \
	BH__ATOMIC_VOID(pfx, T, A, or, __atomic_fetch_or)                      \
	BH__ATOMIC_VOID(pfx, T, A, xor, __atomic_fetch_xor)                    \
	static inline void pfx##_andnot(T i, A *v)                             \
	{                                                                      \
		(void)__atomic_fetch_and(&v->counter, ~i, __ATOMIC_RELAXED);   \
	}                                                                      \
	static inline void pfx##_inc(A *v)                                     \
	{                                                                      \
		pfx##_add(1, v);                                               \
	}                                                                      \
	static inline void pfx##_dec(A *v)                                     \
	{                                                                      \
		pfx##_sub(1, v);                                               \
	}                                                                      \
	BH__ATOMIC_RMW_ORDERS(pfx, T, A, add_return, __atomic_add_fetch)       \
	BH__ATOMIC_RMW_ORDERS(pfx, T, A, sub_return, __atomic_sub_fetch)       \
	BH__ATOMIC_RMW_ORDERS(pfx, T, A, fetch_add, __atomic_fetch_add)        \
	BH__ATOMIC_RMW_ORDERS(pfx, T, A, fetch_sub, __atomic_fetch_sub)        \
	BH__ATOMIC_RMW_ORDERS(pfx, T, A, fetch_and, __atomic_fetch_and)        \
	BH__ATOMIC_RMW_ORDERS(pfx, T, A, fetch_or, __atomic_fetch_or)          \
	BH__ATOMIC_RMW_ORDERS(pfx, T, A, fetch_xor, __atomic_fetch_xor)        \
	static inline T pfx##_fetch_andnot(T i, A *v)                          \
	{                                                                      \
		return __atomic_fetch_and(&v->counter, ~i, __ATOMIC_SEQ_CST);  \
	}                                                                      \
	static inline T pfx##_inc_return(A *v)                                 \
	{                                                                      \
		return pfx##_add_return(1, v);                                 \
	}                                                                      \
	static inline T pfx##_dec_return(A *v)                                 \
	{                                                                      \
		return pfx##_sub_return(1, v);                                 \
	}                                                                      \
	static inline T pfx##_inc_return_relaxed(A *v)                         \
	{                                                                      \
		return pfx##_add_return_relaxed(1, v);                         \
	}                                                                      \
	static inline T pfx##_dec_return_relaxed(A *v)                         \
	{                                                                      \
		return pfx##_sub_return_relaxed(1, v);                         \
	}                                                                      \
	static inline T pfx##_fetch_inc(A *v)                                  \
	{                                                                      \
		return pfx##_fetch_add(1, v);                                  \
	}                                                                      \
	static inline T pfx##_fetch_dec(A *v)                                  \
	{                                                                      \
		return pfx##_fetch_sub(1, v);                                  \
	}                                                                      \
	static inline T pfx##_xchg(A *v, T n)                                  \
	{                                                                      \
		return __atomic_exchange_n(&v->counter, n, __ATOMIC_SEQ_CST);  \
	}                                                                      \
	static inline T pfx##_xchg_relaxed(A *v, T n)                          \
	{                                                                      \
		return __atomic_exchange_n(&v->counter, n, __ATOMIC_RELAXED);  \
	}                                                                      \
	/* Returns the value found; the store happened if it equals old. */    \
	static inline T pfx##_cmpxchg(A *v, T old, T n)                        \
	{                                                                      \
		__atomic_compare_exchange_n(&v->counter, &old, n, false,       \
					    __ATOMIC_SEQ_CST,                  \
					    __ATOMIC_RELAXED);                 \
		return old;                                                    \
	}                                                                      \
	static inline T pfx##_cmpxchg_relaxed(A *v, T old, T n)                \
	{                                                                      \
		__atomic_compare_exchange_n(&v->counter, &old, n, false,       \
					    __ATOMIC_RELAXED,                  \
					    __ATOMIC_RELAXED);                 \
		return old;                                                    \
	}                                                                      \
	static inline T pfx##_cmpxchg_acquire(A *v, T old, T n)                \
	{                                                                      \
		__atomic_compare_exchange_n(&v->counter, &old, n, false,       \
					    __ATOMIC_ACQUIRE,                  \
					    __ATOMIC_RELAXED);                 \
		return old;                                                    \
	}                                                                      \
	static inline T pfx##_cmpxchg_release(A *v, T old, T n)                \
	{                                                                      \
		__atomic_compare_exchange_n(&v->counter, &old, n, false,       \
					    __ATOMIC_RELEASE,                  \
					    __ATOMIC_RELAXED);                 \
		return old;                                                    \
	}                                                                      \
	/* On failure *old is updated to the value found. */                   \
	static inline bool pfx##_try_cmpxchg(A *v, T *old, T n)                \
	{                                                                      \
		return __atomic_compare_exchange_n(&v->counter, old, n, false, \
						   __ATOMIC_SEQ_CST,           \
						   __ATOMIC_RELAXED);          \
	}                                                                      \
	static inline bool pfx##_try_cmpxchg_relaxed(A *v, T *old, T n)        \
	{                                                                      \
		return __atomic_compare_exchange_n(&v->counter, old, n, false, \
						   __ATOMIC_RELAXED,           \
						   __ATOMIC_RELAXED);          \
	}                                                                      \
	static inline bool pfx##_sub_and_test(T i, A *v)                       \
	{                                                                      \
		return pfx##_sub_return(i, v) == 0;                            \
	}                                                                      \
	static inline bool pfx##_dec_and_test(A *v)                            \
	{                                                                      \
		return pfx##_dec_return(v) == 0;                               \
	}                                                                      \
	static inline bool pfx##_inc_and_test(A *v)                            \
	{                                                                      \
		return pfx##_inc_return(v) == 0;                               \
	}                                                                      \
	static inline bool pfx##_add_negative(T i, A *v)                       \
	{                                                                      \
		return pfx##_add_return(i, v) < 0;                             \
	}                                                                      \
	/* Add a unless the value is u; returns the value before. */           \
	static inline T pfx##_fetch_add_unless(A *v, T a, T u)                 \
	{                                                                      \
		T c = pfx##_read(v);                                           \
		do {                                                           \
			if (c == u)                                            \
				break;                                         \
		} while (!pfx##_try_cmpxchg(v, &c, c + a));                    \
		return c;                                                      \
	}                                                                      \
	static inline bool pfx##_add_unless(A *v, T a, T u)                    \
	{                                                                      \
		return pfx##_fetch_add_unless(v, a, u) != u;                   \
	}                                                                      \
	static inline bool pfx##_inc_not_zero(A *v)                            \
	{                                                                      \
		return pfx##_add_unless(v, 1, 0);                              \
	}                                                                      \
	static inline bool pfx##_inc_unless_negative(A *v)                     \
	{                                                                      \
		T c = pfx##_read(v);                                           \
		do {                                                           \
			if (c < 0)                                             \
				return false;                                  \
		} while (!pfx##_try_cmpxchg(v, &c, c + 1));                    \
		return true;                                                   \
	}                                                                      \
	static inline bool pfx##_dec_unless_positive(A *v)                     \
	{                                                                      \
		T c = pfx##_read(v);                                           \
		do {                                                           \
			if (c > 0)                                             \
				return false;                                  \
		} while (!pfx##_try_cmpxchg(v, &c, c - 1));                    \
		return true;                                                   \
	}                                                                      \
	/* Decrement if the result stays >= 0; returns the result (which is    \
	 * negative, and not stored, when it would not). */                    \
	static inline T pfx##_dec_if_positive(A *v)                            \
	{                                                                      \
		T c = pfx##_read(v);                                           \
		do {                                                           \
			if (c - 1 < 0)                                         \
				return c - 1;                                  \
		} while (!pfx##_try_cmpxchg(v, &c, c - 1));                    \
		return c - 1;                                                  \
	}

BH__ATOMIC_OPS(atomic, int, atomic_t)
BH__ATOMIC_OPS(atomic64, s64, atomic64_t)
BH__ATOMIC_OPS(atomic_long, long, atomic_long_t)

#endif
