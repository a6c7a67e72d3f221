/* SPDX-License-Identifier: MIT */
/*
 * <linux/compiler.h>: attribute shorthands, branch hints, the compiler
 * barrier and the marked accesses READ_ONCE()/WRITE_ONCE().
 *
 * READ_ONCE/WRITE_ONCE differ from the kernel's in one way that user space
 * needs: they are relaxed __atomic accesses rather than volatile ones. The
 * generated code is the same plain load or store, but ThreadSanitizer then
 * treats them as the intentional races they mark (KCSAN's view of them in
 * the kernel), instead of reporting them. The price is the kernel's own
 * rule made strict: the object must be a scalar or a naturally aligned
 * object of 1, 2, 4 or 8 bytes (clang rejects others at compile time, gcc
 * would need libatomic).
 */
#ifndef BH_COMPAT_LINUX_COMPILER_H
#define BH_COMPAT_LINUX_COMPILER_H

/* glibc defines __always_inline too, and undefines it first: include it
 * here so that whichever comes first, the definitions agree. */
#include <sys/cdefs.h>

#include <bh/compiler.h>

#ifndef __always_inline
#define __always_inline inline __attribute__((__always_inline__))
#endif
#ifndef __maybe_unused
#define __maybe_unused __attribute__((__unused__))
#endif
#ifndef __always_unused
#define __always_unused __attribute__((__unused__))
#endif
#ifndef __used
#define __used __attribute__((__used__))
#endif
#ifndef __must_check
#define __must_check __attribute__((__warn_unused_result__))
#endif
#ifndef __cold
#define __cold __attribute__((__cold__))
#endif
#ifndef __packed
#define __packed __attribute__((__packed__))
#endif
#ifndef __aligned
#define __aligned(x) __attribute__((__aligned__(x)))
#endif

/* sparse's address-space annotations: nothing to check in user space. */
#ifndef __user
#define __user
#endif
#ifndef __iomem
#define __iomem
#endif
#ifndef __force
#define __force
#endif

#define likely(x)   bh_likely(x)
#define unlikely(x) bh_unlikely(x)

#define barrier() __asm__ __volatile__("" : : : "memory")

/*
 * `((void)0, (x))` has the type of x without its qualifiers (the comma
 * operator yields an rvalue), so a const or volatile object can be read
 * into a plain temporary.
 */
#define READ_ONCE(x)                                                           \
	({                                                                     \
		__typeof__(((void)0, (x))) bh__ro_val_;                        \
		__atomic_load(&(x), &bh__ro_val_, __ATOMIC_RELAXED);           \
		bh__ro_val_;                                                   \
	})

#define WRITE_ONCE(x, val)                                                     \
	do {                                                                   \
		__typeof__(((void)0, (x))) bh__wo_val_ = (val);                \
		__atomic_store(&(x), &bh__wo_val_, __ATOMIC_RELAXED);          \
	} while (0)

/* The pre-4.15 spelling, an lvalue usable on both sides of `=`. */
#define ACCESS_ONCE(x) (*(volatile __typeof__(x) *)&(x))

#endif
