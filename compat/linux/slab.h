/* SPDX-License-Identifier: MIT */
/*
 * <linux/slab.h>: kmalloc(), kzalloc(), kcalloc(), kmalloc_array(),
 * krealloc(), kfree(), kstrdup(), kmemdup() and the GFP flags, over
 * bh_kmalloc() and friends (<bh/slab.h>, where the rules are).
 *
 * As in the kernel, GFP_KERNEL (and every mask with __GFP_DIRECT_RECLAIM)
 * may sleep: from atomic context (a top half, a softirq, a tasklet, a timer,
 * bh or irqs off, a spinlock held) it gives the might_sleep splat "sleeping
 * function called from invalid context at kmalloc(GFP_KERNEL)", then
 * allocates. GFP_ATOMIC and GFP_NOWAIT never sleep and are fine anywhere.
 *
 * Where user space differs: inside a top half that runs in a signal handler
 * malloc() may not be called, so allocations there come from a 64-block
 * lock-free pool of blocks up to 512 bytes; a bigger one warns and gives
 * NULL (allocate it beforehand, in process context). The zone and
 * placement flags (GFP_DMA, GFP_DMA32, __GFP_HIGHMEM, __GFP_ACCOUNT) are
 * accepted and mean nothing. Every block is recorded for the module host's
 * leak report.
 *
 * The allocating calls are always-inline wrappers so that the recorded
 * caller address lies in the calling function, even at -O0.
 */
#ifndef BH_COMPAT_LINUX_SLAB_H
#define BH_COMPAT_LINUX_SLAB_H

#include <stddef.h>
#include <string.h>

#include <bh/slab.h>

#include <linux/compiler.h>
#include <linux/types.h>

typedef bh_gfp_t gfp_t;

#define __GFP_DMA	     BH_GFP_DMA
#define __GFP_HIGHMEM	     BH_GFP_HIGHMEM
#define __GFP_DMA32	     BH_GFP_DMA32
#define __GFP_HIGH	     BH_GFP_HIGH
#define __GFP_IO	     BH_GFP_IO
#define __GFP_FS	     BH_GFP_FS
#define __GFP_ZERO	     BH_GFP_ZERO
#define __GFP_DIRECT_RECLAIM BH_GFP_DIRECT_RECLAIM
#define __GFP_KSWAPD_RECLAIM BH_GFP_KSWAPD_RECLAIM
#define __GFP_RECLAIM	     BH_GFP_RECLAIM
#define __GFP_NOWARN	     BH_GFP_NOWARN
#define __GFP_RETRY_MAYFAIL  BH_GFP_RETRY_MAYFAIL
#define __GFP_NOFAIL	     BH_GFP_NOFAIL
#define __GFP_NORETRY	     BH_GFP_NORETRY
#define __GFP_ACCOUNT	     BH_GFP_ACCOUNT

#define GFP_ATOMIC	   BH_GFP_ATOMIC
#define GFP_KERNEL	   BH_GFP_KERNEL
#define GFP_KERNEL_ACCOUNT (BH_GFP_KERNEL | BH_GFP_ACCOUNT)
#define GFP_NOWAIT	   BH_GFP_NOWAIT
#define GFP_NOIO	   BH_GFP_NOIO
#define GFP_NOFS	   BH_GFP_NOFS
#define GFP_USER	   BH_GFP_USER
#define GFP_HIGHUSER	   BH_GFP_HIGHUSER
#define GFP_DMA		   BH_GFP_DMA
#define GFP_DMA32	   BH_GFP_DMA32

#define ZERO_SIZE_PTR	    BH_ZERO_SIZE_PTR
#define ZERO_OR_NULL_PTR(x) BH_ZERO_OR_NULL_PTR(x)

/* The largest kmalloc() the kernel serves (4 MiB with 4 KiB pages); here
 * only a constant for code that sizes buffers by it. */
#define KMALLOC_MAX_SIZE (1ul << 22)

static inline bool gfpflags_allow_blocking(const gfp_t gfp_flags)
{
	return !!(gfp_flags & __GFP_DIRECT_RECLAIM);
}

static __always_inline void *kmalloc(size_t size, gfp_t flags)
{
	return bh_kmalloc(size, flags);
}

static __always_inline void *kzalloc(size_t size, gfp_t flags)
{
	return bh_kzalloc(size, flags);
}

static __always_inline void *kmalloc_array(size_t n, size_t size, gfp_t flags)
{
	return bh_kmalloc_array(n, size, flags);
}

static __always_inline void *kcalloc(size_t n, size_t size, gfp_t flags)
{
	return bh_kcalloc(n, size, flags);
}

static __always_inline void *krealloc(const void *p, size_t new_size,
				      gfp_t flags)
{
	return bh_krealloc(p, new_size, flags);
}

static __always_inline void *krealloc_array(void *p, size_t new_n,
					    size_t new_size, gfp_t flags)
{
	size_t bytes;
	if (__builtin_mul_overflow(new_n, new_size, &bytes))
		return NULL;
	return bh_krealloc(p, bytes, flags);
}

static __always_inline char *kstrdup(const char *s, gfp_t gfp)
{
	return bh_kstrdup(s, gfp);
}

static __always_inline char *kstrndup(const char *s, size_t max, gfp_t gfp)
{
	return bh_kstrndup(s, max, gfp);
}

static __always_inline void *kmemdup(const void *src, size_t len, gfp_t gfp)
{
	return bh_kmemdup(src, len, gfp);
}

/* NUMA node hints: one node here. */
static __always_inline void *kmalloc_node(size_t size, gfp_t flags, int node)
{
	(void)node;
	return bh_kmalloc(size, flags);
}

static __always_inline void *kzalloc_node(size_t size, gfp_t flags, int node)
{
	(void)node;
	return bh_kzalloc(size, flags);
}

/* kvmalloc() falls back to vmalloc() in the kernel; one allocator here. */
static __always_inline void *kvmalloc(size_t size, gfp_t flags)
{
	return bh_kmalloc(size, flags);
}

static __always_inline void *kvzalloc(size_t size, gfp_t flags)
{
	return bh_kzalloc(size, flags);
}

static __always_inline void *kvcalloc(size_t n, size_t size, gfp_t flags)
{
	return bh_kcalloc(n, size, flags);
}

static __always_inline void *kvmalloc_array(size_t n, size_t size, gfp_t flags)
{
	return bh_kmalloc_array(n, size, flags);
}

/* A function, not a macro: kernel code passes kfree as a pointer. */
static inline void kfree(const void *objp)
{
	bh_kfree(objp);
}

static inline void kvfree(const void *addr)
{
	bh_kfree(addr);
}

/* Zero the block first, for secrets. */
static inline void kfree_sensitive(const void *objp)
{
	size_t n = bh_ksize(objp);
	if (n)
		memset((void *)(unsigned long)objp, 0, n);
	bh_kfree(objp);
}
#define kzfree(p) kfree_sensitive(p)

static inline size_t ksize(const void *objp)
{
	return bh_ksize(objp);
}

#endif
