/* SPDX-License-Identifier: MIT */
/*
 * <linux/uaccess.h>: copy_to_user(), copy_from_user(), get_user(),
 * put_user(), clear_user(), strncpy_from_user(), access_ok().
 *
 * User space is the same address space here, so these copy. What they
 * keep from the kernel is the rule the textbooks insist on: a user copy
 * may fault, and a fault may sleep, so they are for process context only.
 * Called from a top half, a softirq, a tasklet, a timer callback, with bh
 * or irqs off or a spinlock held, each reports the might_sleep splat
 * "sleeping function called from invalid context at copy_to_user" (SPEC
 * U8, M15), then copies anyway, as the kernel's does when the page happens
 * to be present.
 *
 * Faults: a NULL user pointer stands for an address that faults. The
 * copies then return the number of bytes not copied (all of them), and
 * copy_from_user() zeroes the destination as the kernel's does;
 * get_user()/put_user() return -EFAULT (get_user() also zeroes x);
 * clear_user() returns the count and strncpy_from_user() -EFAULT. Any
 * other pointer is trusted: a wild one crashes the process (or is caught
 * by ASan), where the kernel would return -EFAULT.
 */
#ifndef BH_COMPAT_LINUX_UACCESS_H
#define BH_COMPAT_LINUX_UACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <bh/context.h>

#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/types.h>

/* strnlen() is POSIX, not C11: this header must build with -std=c11. */
static inline size_t bh__uaccess_strnlen(const char *s, size_t max)
{
	const char *nul = (const char *)memchr(s, 0, max);
	return nul ? (size_t)(nul - s) : max;
}

/* The 2.6-4.x first argument of access_ok(), ignored since 5.0. */
#define VERIFY_READ  0
#define VERIFY_WRITE 1

static inline bool bh__access_ok(const void *addr, unsigned long size)
{
	/* Size 0 is always fine; otherwise it must not wrap around. */
	return size == 0 ||
	       (addr && (unsigned long)addr + size >= (unsigned long)addr);
}

#define bh__access_ok_pick(_1, _2, _3, name, ...) name
#define bh__access_ok3(type, addr, size)	  bh__access_ok(addr, size)
#define bh__access_ok2(addr, size)		  bh__access_ok(addr, size)
/* access_ok(addr, size) (5.0+) or access_ok(type, addr, size) (before). */
#define access_ok(...)                                                         \
	bh__access_ok_pick(__VA_ARGS__, bh__access_ok3, bh__access_ok2,        \
			   unused)(__VA_ARGS__)

static inline unsigned long copy_to_user(void __user *to, const void *from,
					 unsigned long n)
{
	(void)bh__might_sleep_in("copy_to_user");
	if (!n)
		return 0;
	if (!to || !from)
		return n;
	memcpy(to, from, n);
	return 0;
}

static inline unsigned long copy_from_user(void *to, const void __user *from,
					   unsigned long n)
{
	(void)bh__might_sleep_in("copy_from_user");
	if (!n)
		return 0;
	if (!to)
		return n;
	if (!from) {
		/* The kernel zeroes what it could not copy. */
		memset(to, 0, n);
		return n;
	}
	memcpy(to, from, n);
	return 0;
}

/* The unchecked forms check the context too: they may fault as well. */
#define __copy_to_user(to, from, n)   copy_to_user(to, from, n)
#define __copy_from_user(to, from, n) copy_from_user(to, from, n)

/*
 * get_user(x, ptr): x = *ptr, 0 or -EFAULT. put_user(x, ptr): *ptr = x.
 * The size comes from *ptr's type, as in the kernel.
 */
#define get_user(x, ptr)                                                       \
	({                                                                     \
		__typeof__(*(ptr)) *bh__gu_p_ = (ptr);                         \
		int bh__gu_err_ = -EFAULT;                                     \
		(void)bh__might_sleep_in("get_user");                          \
		if (bh__gu_p_) {                                               \
			(x) = *bh__gu_p_;                                      \
			bh__gu_err_ = 0;                                       \
		} else {                                                       \
			(x) = (__typeof__(*(ptr)))0;                           \
		}                                                              \
		bh__gu_err_;                                                   \
	})

#define put_user(x, ptr)                                                       \
	({                                                                     \
		__typeof__(*(ptr)) *bh__pu_p_ = (ptr);                         \
		int bh__pu_err_ = -EFAULT;                                     \
		(void)bh__might_sleep_in("put_user");                          \
		if (bh__pu_p_) {                                               \
			*bh__pu_p_ = (x);                                      \
			bh__pu_err_ = 0;                                       \
		}                                                              \
		bh__pu_err_;                                                   \
	})

#define __get_user(x, ptr) get_user(x, ptr)
#define __put_user(x, ptr) put_user(x, ptr)

/* Zero n user bytes; returns the bytes not cleared. */
static inline unsigned long clear_user(void __user *to, unsigned long n)
{
	(void)bh__might_sleep_in("clear_user");
	if (!n)
		return 0;
	if (!to)
		return n;
	memset(to, 0, n);
	return 0;
}
#define __clear_user(to, n) clear_user(to, n)

/*
 * Copy a NUL-terminated user string of at most count bytes. Returns its
 * length (without the NUL) when it fits, count when it does not (dst is
 * then not terminated), -EFAULT for a faulting source.
 */
static inline long strncpy_from_user(char *dst, const char __user *src,
				     long count)
{
	(void)bh__might_sleep_in("strncpy_from_user");
	if (!src || !dst)
		return -EFAULT;
	if (count <= 0)
		return 0;
	size_t len = bh__uaccess_strnlen(src, (size_t)count);
	if (len < (size_t)count) {
		memcpy(dst, src, len + 1);
		return (long)len;
	}
	memcpy(dst, src, (size_t)count);
	return count;
}

/* Length of a user string including the NUL, 0 on a fault, or more than
 * n when it is longer. */
static inline long strnlen_user(const char __user *str, long n)
{
	(void)bh__might_sleep_in("strnlen_user");
	if (!str || n <= 0)
		return 0;
	return (long)bh__uaccess_strnlen(str, (size_t)n) + 1;
}

#endif
