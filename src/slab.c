// SPDX-License-Identifier: MIT
/*
 * kmalloc and friends (include/bh/slab.h): malloc() underneath, one block
 * per allocation so that sanitizers keep seeing overflows and uses after
 * free, a header in front of each block for the leak report, and a small
 * lock-free pool for allocations made inside signal handlers.
 *
 * Locking legend:
 *   L  live_lock (a mutex; never taken inside a signal handler)
 *   A  atomic, order named at each use
 *   B  the owner of the block (whoever holds the pointer)
 *
 * Block layout: [struct kblock (64 bytes)][the caller's bytes]. The magic
 * is the header's last word, next to the caller's bytes: glibc's free()
 * writes its free-list links at the start of a freed chunk, so the magic
 * of a freed block survives there long enough to recognise a double free.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#include "bh/slab.h"

#if defined(__SANITIZE_ADDRESS__)
#define BH__SLAB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BH__SLAB_ASAN 1
#endif
#endif
#ifdef BH__SLAB_ASAN
#include <sanitizer/asan_interface.h>
#endif

#define KMAGIC_LIVE  0x6b6d616c6c6f6321ull /* "kmalloc!" */
#define KMAGIC_FREED 0x6b667265656421ffull

#define KBLOCK_POOL 0x1u /* from the signal pool, not from malloc() */

struct kblock {
	struct kblock *prev, *next; /* L: live list (malloc blocks only) */
	struct kblock *defer_next;  /* A: deferred-free stack link */
	size_t size;		    /* B: what the caller asked for */
	const void *caller;	    /* B: return address into the caller */
	uint32_t flags;		    /* B: KBLOCK_POOL */
	uint32_t pad_;
	uint64_t reserved_;
	uint64_t magic; /* B: KMAGIC_LIVE / KMAGIC_FREED, last on purpose */
};

/* 16-byte alignment of the caller's bytes, as malloc() gives. */
_Static_assert(sizeof(struct kblock) % 16 == 0, "kblock keeps alignment");

static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kblock live_head = {.prev = &live_head, .next = &live_head};
static size_t live_malloc; /* L: blocks on the list */

/*
 * Blocks freed inside a signal handler, freed later in task context. A
 * Treiber stack: push is one CAS on the head (no ABA: a pusher only
 * compares the head it read), and the drain takes the whole stack with
 * one exchange.
 */
static struct kblock *defer_head; /* A */

/*
 * The signal pool: 64 slots in one bitmap word, so taking a slot is one
 * CAS and giving it back one fetch_and. 64 blocks of 512 bytes are enough
 * for what top halves allocate (descriptors, small event records); bigger
 * buffers belong in process context or in preallocated rings.
 */
#define POOL_SLOT (sizeof(struct kblock) + BH_KMALLOC_SIGNAL_MAX)
_Static_assert(BH_KMALLOC_SIGNAL_POOL_SLOTS == 64, "one bitmap word");
static _Alignas(
	16) unsigned char pool_mem[BH_KMALLOC_SIGNAL_POOL_SLOTS][POOL_SLOT];
static uint64_t pool_used; /* A: bit i = slot i taken */

static inline void *kblock_data(struct kblock *b)
{
	return b + 1;
}

static inline struct kblock *kblock_of(const void *p)
{
	return (struct kblock *)p - 1;
}

static bool in_signal_handler(void)
{
	return bh__self.signal_nest != 0;
}

/* ---- the signal pool --------------------------------------------------- */

static struct kblock *pool_take(void)
{
	/* Relaxed read, then acq_rel CAS: the acquire half orders our use
	 * of the slot after the release of whoever gave it back. */
	uint64_t used = __atomic_load_n(&pool_used, __ATOMIC_RELAXED);
	for (;;) {
		if (used == ~0ull)
			return NULL;
		unsigned int i = (unsigned int)__builtin_ctzll(~used);
		if (__atomic_compare_exchange_n(
			    &pool_used, &used, used | (1ull << i), false,
			    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			return (struct kblock *)pool_mem[i];
	}
}

static void pool_give(struct kblock *b)
{
	size_t i = (size_t)((unsigned char *)b - &pool_mem[0][0]) / POOL_SLOT;
	/* Release: our last use of the slot happens before its next taker
	 * (acquire in pool_take()). */
	__atomic_fetch_and(&pool_used, ~(1ull << i), __ATOMIC_RELEASE);
}

/* ---- the live list ------------------------------------------------------ */

static void live_add(struct kblock *b)
{
	pthread_mutex_lock(&live_lock);
	b->next = &live_head;
	b->prev = live_head.prev;
	live_head.prev->next = b;
	live_head.prev = b;
	live_malloc++;
	pthread_mutex_unlock(&live_lock);
}

static void live_del(struct kblock *b)
{
	pthread_mutex_lock(&live_lock);
	b->prev->next = b->next;
	b->next->prev = b->prev;
	live_malloc--;
	pthread_mutex_unlock(&live_lock);
}

static void release(struct kblock *b)
{
	b->magic = KMAGIC_FREED;
	if (b->flags & KBLOCK_POOL) {
		pool_give(b);
		return;
	}
	live_del(b);
	free(b);
}

/* Free what signal handlers handed over. Task context only. */
static void drain_deferred(void)
{
	if (!__atomic_load_n(&defer_head, __ATOMIC_RELAXED))
		return;
	/* Acquire: pairs with the pushers' release, so their writes to the
	 * blocks (the magic) are seen before we free them. */
	struct kblock *b =
		__atomic_exchange_n(&defer_head, NULL, __ATOMIC_ACQUIRE);
	while (b) {
		struct kblock *next = b->defer_next;
		release(b);
		b = next;
	}
}

static void defer_free(struct kblock *b)
{
	struct kblock *head = __atomic_load_n(&defer_head, __ATOMIC_RELAXED);
	do {
		b->defer_next = head;
	} while (!__atomic_compare_exchange_n(&defer_head, &head, b, true,
					      __ATOMIC_RELEASE,
					      __ATOMIC_RELAXED));
}

void bh__slab_fork_child(void)
{
	/* A thread of the parent may have held the list lock at fork: it
	 * does not exist here to release it. The blocks themselves were
	 * copied, so the record stays true for the child. */
	pthread_mutex_init(&live_lock, NULL);
}

/* ---- allocation ---------------------------------------------------------- */

static void alloc_failed(const char *what, size_t size, bh_gfp_t gfp)
{
	if (gfp & BH_GFP_NOWARN)
		return;
	BH_WARN(1, "%s: allocation failure: %zu bytes, gfp %#x%s", what, size,
		gfp, in_signal_handler() ? " (in a signal handler)" : "");
}

/* The context check of a call that may sleep (SPEC U8/M15). */
static void check_context(const char *what, bh_gfp_t gfp)
{
	if (!(gfp & BH_GFP_DIRECT_RECLAIM))
		return;
	char where[64];
	if ((gfp & ~BH_GFP_ZERO) == BH_GFP_KERNEL)
		snprintf(where, sizeof(where), "%s(GFP_KERNEL)", what);
	else
		snprintf(where, sizeof(where), "%s(gfp %#x)", what, gfp);
	(void)bh__might_sleep_in(where);
}

static void *alloc(const char *what, size_t size, bh_gfp_t gfp,
		   const void *caller)
{
	check_context(what, gfp);
	if (!size)
		return BH_ZERO_SIZE_PTR;

	struct kblock *b;
	if (in_signal_handler()) {
		/* malloc() is not async-signal-safe: the pool or nothing. */
		if (size > BH_KMALLOC_SIGNAL_MAX) {
			BH_WARN(1,
				"%s: %zu bytes inside a signal handler: "
				"malloc() is not async-signal-safe and the "
				"signal pool holds at most %d bytes a block",
				what, size, BH_KMALLOC_SIGNAL_MAX);
			return NULL;
		}
		/* Fault injection fails the pool as failslab fails a
		 * GFP_ATOMIC kmalloc (the check is async-signal-safe). */
		b = bh__fault(BH_FAULT_ALLOC) ? NULL : pool_take();
		if (!b) {
			alloc_failed(what, size, gfp);
			return NULL;
		}
		b->flags = KBLOCK_POOL;
		b->prev = b->next = NULL;
	} else {
		drain_deferred();
		if (size > SIZE_MAX - sizeof(*b) ||
		    !(b = bh__malloc(sizeof(*b) + size))) {
			alloc_failed(what, size, gfp);
			return NULL;
		}
		b->flags = 0;
	}
	b->defer_next = NULL;
	b->size = size;
	b->caller = caller;
	b->pad_ = 0;
	b->reserved_ = 0;
	b->magic = KMAGIC_LIVE;
	if (gfp & BH_GFP_ZERO)
		memset(kblock_data(b), 0, size);
	if (!(b->flags & KBLOCK_POOL))
		live_add(b);
	return kblock_data(b);
}

#define CALLER() __builtin_return_address(0)

void *bh_kmalloc(size_t size, bh_gfp_t gfp)
{
	return alloc("kmalloc", size, gfp, CALLER());
}

void *bh_kzalloc(size_t size, bh_gfp_t gfp)
{
	return alloc("kzalloc", size, gfp | BH_GFP_ZERO, CALLER());
}

void *bh_kmalloc_array(size_t n, size_t size, bh_gfp_t gfp)
{
	size_t bytes;
	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return alloc("kmalloc_array", bytes, gfp, CALLER());
}

void *bh_kcalloc(size_t n, size_t size, bh_gfp_t gfp)
{
	size_t bytes;
	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return alloc("kcalloc", bytes, gfp | BH_GFP_ZERO, CALLER());
}

/*
 * Is p a live block? Warns (once per call) and returns false if not.
 * Under ASan the header is checked for poison first: a freed block sits
 * poisoned in ASan's quarantine and a foreign pointer's "header" is often
 * a redzone, and reading either would stop the program in ASan's report
 * rather than give the kernel-style warning.
 */
static bool check_block(const char *what, const void *p)
{
	const struct kblock *b = kblock_of(p);
	if ((uintptr_t)p % 16)
		goto invalid;
#ifdef BH__SLAB_ASAN
	if (__asan_region_is_poisoned((void *)b, sizeof(*b))) {
		void *trace[1];
		int tid;
		if (__asan_get_free_stack((void *)b, trace, 1, &tid) > 0)
			goto twice;
		goto invalid;
	}
#endif
	if (b->magic == KMAGIC_LIVE)
		return true;
	if (b->magic == KMAGIC_FREED)
		goto twice;
invalid:
	BH_WARN(1, "bh: %s(%p): invalid-free: not a pointer from kmalloc", what,
		p);
	return false;
twice:
	BH_WARN(1, "bh: %s(%p): double-free: the object was already freed",
		what, p);
	return false;
}

void bh_kfree(const void *p)
{
	if (BH_ZERO_OR_NULL_PTR(p))
		return;
	if (!check_block("kfree", p))
		return;
	struct kblock *b = kblock_of(p);
	if (in_signal_handler() && !(b->flags & KBLOCK_POOL)) {
		/* free() is not async-signal-safe either: hand it over. */
		b->magic = KMAGIC_FREED;
		defer_free(b);
		return;
	}
	if (!in_signal_handler())
		drain_deferred();
	release(b);
}

size_t bh_ksize(const void *p)
{
	if (BH_ZERO_OR_NULL_PTR(p) || !check_block("ksize", p))
		return 0;
	return kblock_of(p)->size;
}

void *bh_krealloc(const void *p, size_t new_size, bh_gfp_t gfp)
{
	const void *caller = CALLER();
	if (!new_size) {
		check_context("krealloc", gfp);
		bh_kfree(p);
		return BH_ZERO_SIZE_PTR;
	}
	size_t old_size = 0;
	if (!BH_ZERO_OR_NULL_PTR(p)) {
		if (!check_block("krealloc", p))
			return NULL;
		old_size = kblock_of(p)->size;
	}
	void *n = alloc("krealloc", new_size, gfp & ~BH_GFP_ZERO, caller);
	if (!n)
		return NULL;
	size_t keep = old_size < new_size ? old_size : new_size;
	if (keep)
		memcpy(n, p, keep);
	if ((gfp & BH_GFP_ZERO) && new_size > keep)
		memset((char *)n + keep, 0, new_size - keep);
	bh_kfree(p);
	return n;
}

char *bh_kstrdup(const char *s, bh_gfp_t gfp)
{
	if (!s)
		return NULL;
	size_t len = strlen(s) + 1;
	char *d = alloc("kstrdup", len, gfp, CALLER());
	if (d)
		memcpy(d, s, len);
	return d;
}

char *bh_kstrndup(const char *s, size_t max, bh_gfp_t gfp)
{
	if (!s)
		return NULL;
	size_t len = strnlen(s, max);
	char *d = alloc("kstrndup", len + 1, gfp, CALLER());
	if (d) {
		memcpy(d, s, len);
		d[len] = '\0';
	}
	return d;
}

void *bh_kmemdup(const void *src, size_t len, bh_gfp_t gfp)
{
	void *d = alloc("kmemdup", len, gfp, CALLER());
	if (d && len)
		memcpy(d, src, len);
	return d;
}

/* ---- the leak report ------------------------------------------------------
 */

size_t bh_kmalloc_for_each_live(void (*fn)(const void *ptr, size_t size,
					   const void *caller, void *arg),
				void *arg)
{
	size_t n = 0;
	drain_deferred();
	pthread_mutex_lock(&live_lock);
	for (struct kblock *b = live_head.next; b != &live_head; b = b->next) {
		if (fn)
			fn(kblock_data(b), b->size, b->caller, arg);
		n++;
	}
	pthread_mutex_unlock(&live_lock);
	/* Acquire: pairs with pool_take()'s CAS; a slot taken after this
	 * load is a block allocated after the walk began. */
	uint64_t used = __atomic_load_n(&pool_used, __ATOMIC_ACQUIRE);
	while (used) {
		unsigned int i = (unsigned int)__builtin_ctzll(used);
		used &= used - 1;
		struct kblock *b = (struct kblock *)pool_mem[i];
		if (__atomic_load_n(&b->magic, __ATOMIC_RELAXED) != KMAGIC_LIVE)
			continue; /* taken, header not written yet */
		if (fn)
			fn(kblock_data(b), b->size, b->caller, arg);
		n++;
	}
	return n;
}

size_t bh_kmalloc_live_count(void)
{
	return bh_kmalloc_for_each_live(NULL, NULL);
}
