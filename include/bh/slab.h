/* SPDX-License-Identifier: MIT */
/*
 * Kernel-style memory allocation: bh_kmalloc() and friends, with the
 * kernel's context rules and a record of every live block.
 *
 * Context (SPEC U8/M15). The gfp flags say whether the call may sleep, as
 * in the kernel: with BH_GFP_DIRECT_RECLAIM (in BH_GFP_KERNEL, BH_GFP_USER,
 * BH_GFP_NOIO, BH_GFP_NOFS) the call checks the context and reports a
 * might_sleep splat ("sleeping function called from invalid context at
 * kmalloc(GFP_KERNEL)") from hardirq or softirq context, a tasklet, a timer
 * callback, with bh or irqs off, or with a spinlock held; it still
 * allocates, as the kernel's does after its splat. BH_GFP_ATOMIC and
 * BH_GFP_NOWAIT never sleep and are allowed anywhere.
 *
 * Signal handlers. A top half bound to a signal runs inside a signal
 * handler, where malloc() is not allowed (it is not async-signal-safe: the
 * interrupted thread may hold the allocator's lock). Any allocation made
 * there, whatever its flags, comes from a small static emergency pool
 * (BH_KMALLOC_SIGNAL_POOL_SLOTS blocks of at most BH_KMALLOC_SIGNAL_MAX
 * bytes), taken and given back with one atomic bit operation: lock-free,
 * no system call. A larger request there warns, naming the rule, and
 * returns NULL; an exhausted pool returns NULL with the kernel's
 * allocation-failure warning, as GFP_ATOMIC may fail. bh_kfree() of a
 * malloc()ed block from a signal handler does not call free(): the block
 * is put on a lock-free list and freed by the next allocation call made
 * outside a signal handler (or by the next live-block walk).
 *
 * Tracking. Each block carries a small header (size, the caller's address,
 * a magic) in front of the caller's bytes, and every live block is on a
 * list, so that a module host can report what a module left behind
 * (bh_kmalloc_for_each_live()). The blocks themselves come from malloc(),
 * one per allocation, so AddressSanitizer and valgrind still see
 * overflows past the end and uses after free.
 *
 * Misuse. bh_kfree(NULL) and bh_kfree(BH_ZERO_SIZE_PTR) do nothing.
 * bh_kfree() of a block already freed, or of a pointer that did not come
 * from bh_kmalloc(), is recognised by the header's magic where the memory
 * is still readable and warns ("kfree(p): double free or corruption" /
 * "kfree(p): pointer not from kmalloc"), leaving the memory alone. Under
 * AddressSanitizer the header is checked for poison first, so such a call
 * warns rather than trips ASan. ThreadSanitizer and valgrind report the
 * read of a freed header themselves, before the warning. Freed memory
 * reused by a later allocation cannot be told apart and is not detected
 * (as with SLUB without debugging).
 */
#ifndef BH_SLAB_H
#define BH_SLAB_H

#include <stddef.h>

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef unsigned int bh_gfp_t;

/* The kernel's modifier bits (the values are this library's). */
#define BH_GFP_DMA	      0x01u
#define BH_GFP_HIGHMEM	      0x02u
#define BH_GFP_DMA32	      0x04u
#define BH_GFP_HIGH	      0x20u /* may use the emergency reserves */
#define BH_GFP_IO	      0x40u
#define BH_GFP_FS	      0x80u
#define BH_GFP_ZERO	      0x100u /* return zeroed memory */
#define BH_GFP_DIRECT_RECLAIM 0x400u /* may sleep: checked */
#define BH_GFP_KSWAPD_RECLAIM 0x800u
#define BH_GFP_NOWARN	      0x2000u /* no allocation-failure warning */
#define BH_GFP_RETRY_MAYFAIL  0x4000u
#define BH_GFP_NOFAIL	      0x8000u
#define BH_GFP_NORETRY	      0x10000u
#define BH_GFP_ACCOUNT	      0x400000u
#define BH_GFP_RECLAIM	      (BH_GFP_DIRECT_RECLAIM | BH_GFP_KSWAPD_RECLAIM)

/* The kernel's combinations. */
#define BH_GFP_ATOMIC	(BH_GFP_HIGH | BH_GFP_KSWAPD_RECLAIM)
#define BH_GFP_KERNEL	(BH_GFP_RECLAIM | BH_GFP_IO | BH_GFP_FS)
#define BH_GFP_NOWAIT	(BH_GFP_KSWAPD_RECLAIM | BH_GFP_NOWARN)
#define BH_GFP_NOIO	BH_GFP_RECLAIM
#define BH_GFP_NOFS	(BH_GFP_RECLAIM | BH_GFP_IO)
#define BH_GFP_USER	(BH_GFP_RECLAIM | BH_GFP_IO | BH_GFP_FS)
#define BH_GFP_HIGHUSER (BH_GFP_USER | BH_GFP_HIGHMEM)

/* What a zero-byte allocation returns, as the kernel's ZERO_SIZE_PTR: not
 * NULL (it did not fail) and faulting if dereferenced. */
#define BH_ZERO_SIZE_PTR ((void *)16)
#define BH_ZERO_OR_NULL_PTR(x)                                                 \
	((unsigned long)(x) <= (unsigned long)BH_ZERO_SIZE_PTR)

/* The signal-handler pool (see above): blocks and the largest request. */
#define BH_KMALLOC_SIGNAL_POOL_SLOTS 64
#define BH_KMALLOC_SIGNAL_MAX	     512

/*
 * Allocate `size` bytes, aligned for any object (16 bytes). Returns NULL
 * when memory is exhausted (with the kernel's warning unless
 * BH_GFP_NOWARN), BH_ZERO_SIZE_PTR for size 0. With BH_GFP_ZERO the memory
 * is zeroed. Each call records its caller's address for the leak report.
 */
BH_API void *bh_kmalloc(size_t size, bh_gfp_t gfp);
BH_API void *bh_kzalloc(size_t size, bh_gfp_t gfp);
/* n * size bytes; NULL (no warning) if the product overflows. kcalloc
 * zeroes, kmalloc_array does not unless gfp has BH_GFP_ZERO. */
BH_API void *bh_kmalloc_array(size_t n, size_t size, bh_gfp_t gfp);
BH_API void *bh_kcalloc(size_t n, size_t size, bh_gfp_t gfp);
/*
 * Resize: p NULL acts as bh_kmalloc(); new_size 0 frees p and returns
 * BH_ZERO_SIZE_PTR. On failure returns NULL and leaves p as it was. With
 * BH_GFP_ZERO the grown part is zeroed.
 */
BH_API void *bh_krealloc(const void *p, size_t new_size, bh_gfp_t gfp);
/* Copies of a string (NULL for NULL), of its first `max` bytes (always
 * terminated) and of `len` bytes of memory. */
BH_API char *bh_kstrdup(const char *s, bh_gfp_t gfp);
BH_API char *bh_kstrndup(const char *s, size_t max, bh_gfp_t gfp);
BH_API void *bh_kmemdup(const void *src, size_t len, bh_gfp_t gfp);
/* Free a block from any of the above; NULL and BH_ZERO_SIZE_PTR do
 * nothing. Any context. */
BH_API void bh_kfree(const void *p);
/* The usable size of a block: what was asked for (0 for NULL). */
BH_API size_t bh_ksize(const void *p);

/*
 * The live blocks: call fn(ptr, size, caller, arg) for each, where ptr is
 * what the allocation returned, size what it asked for and caller the
 * address in the code that called it (inside the calling function, as
 * __builtin_return_address gives it; resolve it with dladdr(3) or
 * addr2line). Returns how many blocks there were. The walk holds the
 * allocator's list lock: fn must not allocate or free with these calls.
 * Task context; not async-signal-safe.
 */
BH_API size_t bh_kmalloc_for_each_live(void (*fn)(const void *ptr, size_t size,
						  const void *caller,
						  void *arg),
				       void *arg);
/* How many blocks are live now. Task context. */
BH_API size_t bh_kmalloc_live_count(void);

#ifdef __cplusplus
}
#endif

#endif
