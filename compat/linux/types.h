/* SPDX-License-Identifier: MIT */
/*
 * <linux/types.h>: the UAPI header (__u8, __le32, ...) plus the kernel's
 * internal spellings u8..s64, bool and atomic_t.
 *
 * glibc's own headers include <linux/types.h> (for instance <sys/stat.h>
 * through <linux/stat.h>), so with the compat directory on the include path
 * this file is also read from inside system headers. It therefore includes
 * only headers that cannot lead back into a half-read system header.
 */
#ifndef BH_COMPAT_LINUX_TYPES_H
#define BH_COMPAT_LINUX_TYPES_H

#include_next <linux/types.h>

#include <stdbool.h>

#include <bh/compiler.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s8 s8;
typedef __s16 s16;
typedef __s32 s32;
typedef __s64 s64;

/* The same struct as bh_atomic_t, so `&t->count` of a tasklet is an
 * atomic_t *, as kernel code expects. */
typedef bh_atomic_t atomic_t;
#define ATOMIC_INIT(i)                                                         \
	{                                                                      \
		(i)                                                            \
	}

#endif
