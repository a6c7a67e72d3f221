/* SPDX-License-Identifier: MIT */
/*
 * <linux/kernel.h>: the UAPI header first (struct sysinfo,
 * __KERNEL_DIV_ROUND_UP
 * ...), then the kernel-internal helpers: container_of, ARRAY_SIZE,
 * min/max/clamp, might_sleep, and, as the kernel's does, printk and the
 * BUG/WARN family.
 *
 * glibc's <sys/sysinfo.h> includes <linux/kernel.h>, so code that uses the
 * compat directory gets these macros there too; that is the kernel's own
 * namespace, which such code has asked for.
 */
#ifndef BH_COMPAT_LINUX_KERNEL_H
#define BH_COMPAT_LINUX_KERNEL_H

#include_next <linux/kernel.h>

#include <limits.h>
#include <stddef.h>

#include <bh/compiler.h>
#include <bh/context.h>

#include <linux/bug.h>
#include <linux/compiler.h>
#include <linux/printk.h>
#include <linux/sprintf.h>
#include <linux/types.h>

#define container_of(ptr, type, member) bh_container_of(ptr, type, member)

/*
 * Number of elements of an array. Passing a pointer (an array parameter, a
 * decayed array) fails to compile instead of silently giving
 * sizeof(pointer) / sizeof(element). The check adds 0 and keeps the result
 * an integer constant expression.
 */
#define ARRAY_SIZE(arr)                                                        \
	(sizeof(arr) / sizeof((arr)[0]) +                                      \
	 0 * sizeof(struct {                                                   \
		 _Static_assert(                                               \
			 !__builtin_types_compatible_p(__typeof__(arr),        \
						       __typeof__(&(arr)[0])), \
			 "ARRAY_SIZE of a pointer, not an array");             \
		 int bh__array_size_check_;                                    \
	 }))

#define DIV_ROUND_UP(n, d)	(((n) + (d)-1) / (d))
#define DIV_ROUND_UP_ULL(ll, d) DIV_ROUND_UP((unsigned long long)(ll), d)
/* Round to nearest, for non-negative operands (the common use). */
#define DIV_ROUND_CLOSEST(x, d) (((x) + ((d) / 2)) / (d))
/* x rounded up/down to a multiple of y; round_up/round_down want a power
 * of 2, roundup/rounddown any y. */
#ifndef roundup /* <sys/param.h> has one of the same meaning */
#define roundup(x, y) ((((x) + ((y)-1)) / (y)) * (y))
#endif
#define rounddown(x, y)	 ((x) - ((x) % (y)))
#define round_up(x, y)	 ((((x)-1) | ((__typeof__(x))((y)-1))) + 1)
#define round_down(x, y) ((x) & ~((__typeof__(x))((y)-1)))
#define ALIGN(x, a)	 (((x) + ((__typeof__(x))(a)-1)) & ~((__typeof__(x))(a)-1))
#define ALIGN_DOWN(x, a) round_down(x, a)
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a)-1)) == 0)
#define PTR_ALIGN(p, a)	 ((__typeof__(p))ALIGN((unsigned long)(p), (a)))

#define upper_32_bits(n) ((u32)(((n) >> 16) >> 16))
#define lower_32_bits(n) ((u32)((n)&0xffffffff))

#define sizeof_field(TYPE, MEMBER) sizeof((((TYPE *)0)->MEMBER))
#define FIELD_SIZEOF(t, f)	   sizeof_field(t, f)

#define U8_MAX	((u8)~0U)
#define S8_MAX	((s8)(U8_MAX >> 1))
#define S8_MIN	((s8)(-S8_MAX - 1))
#define U16_MAX ((u16)~0U)
#define S16_MAX ((s16)(U16_MAX >> 1))
#define S16_MIN ((s16)(-S16_MAX - 1))
#define U32_MAX ((u32)~0U)
#define S32_MAX ((s32)(U32_MAX >> 1))
#define S32_MIN ((s32)(-S32_MAX - 1))
#define U64_MAX ((u64)~0ULL)
#define S64_MAX ((s64)(U64_MAX >> 1))
#define S64_MIN ((s64)(-S64_MAX - 1))

#define __stringify_1(x...) #x
#define __stringify(x...)   __stringify_1(x)

/*
 * min/max evaluate each argument once and compare in the type the usual
 * arithmetic conversions give the pair, which is what min_t() with that
 * type would do. The kernel's compile-time type checks (identical types
 * before 6.x; same signedness or a non-negative constant since) are not
 * reproduced: code that builds in the kernel passes them already, and a
 * mixed-signedness min(-1, 1u) here gives the C answer, as min_t(unsigned
 * int, -1, 1u) would.
 */
#define bh__compat_paste_(a, b) a##b
#define bh__compat_paste(a, b)	bh__compat_paste_(a, b)
/* A fresh identifier per expansion, so that nested uses (clamp() is min()
 * of max()) do not shadow each other's temporaries. */
#define bh__compat_id(name) bh__compat_paste(name, __COUNTER__)

#define bh__compat_cmp(x, y, op)                                               \
	bh__compat_cmp_(x, y, op, bh__compat_id(bh__cx_),                      \
			bh__compat_id(bh__cy_), bh__compat_id(bh__ct_))
#define bh__compat_cmp_(x, y, op, vx, vy, t)                                   \
	({                                                                     \
		__typeof__(x) vx = (x);                                        \
		__typeof__(y) vy = (y);                                        \
		typedef __typeof__(vx + vy) t;                                 \
		(t) vx op(t) vy ? (t)vx : (t)vy;                               \
	})
#define min(x, y)     bh__compat_cmp(x, y, <)
#define max(x, y)     bh__compat_cmp(x, y, >)
#define min3(x, y, z) min((__typeof__((x) + (y) + (z)))min(x, y), z)
#define max3(x, y, z) max((__typeof__((x) + (y) + (z)))max(x, y), z)

#define bh__compat_cmp_t(type, x, y, op)                                       \
	bh__compat_cmp_t_(type, x, y, op, bh__compat_id(bh__tx_),              \
			  bh__compat_id(bh__ty_))
#define bh__compat_cmp_t_(type, x, y, op, vx, vy)                              \
	({                                                                     \
		type vx = (x);                                                 \
		type vy = (y);                                                 \
		vx op vy ? vx : vy;                                            \
	})
#define min_t(type, x, y) bh__compat_cmp_t(type, x, y, <)
#define max_t(type, x, y) bh__compat_cmp_t(type, x, y, >)

/* val bounded to [lo, hi]; each argument evaluated once. */
#define clamp(val, lo, hi)	   min((__typeof__((val) + (lo)))max(val, lo), hi)
#define clamp_t(type, val, lo, hi) min_t(type, max_t(type, val, lo), hi)
#define clamp_val(val, lo, hi)	   clamp_t(__typeof__(val), val, lo, hi)

/*
 * SPEC U8/M15: splat when called from atomic context (hardirq, softirq, a
 * tasklet, bh or irqs disabled, a spinlock held). The splat names the
 * caller's file and line, as the kernel's names the caller.
 */
#define might_sleep() ((void)bh__might_sleep(__FILE__, __LINE__))
#define might_sleep_if(cond)                                                   \
	do {                                                                   \
		if (cond)                                                      \
			might_sleep();                                         \
	} while (0)

#endif
