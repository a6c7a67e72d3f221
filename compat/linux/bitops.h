/* SPDX-License-Identifier: MIT */
/*
 * <linux/bitops.h>: bit operations on arrays of unsigned long, with the
 * kernel's ordering rules (Documentation/atomic_bitops.txt):
 *
 * - set_bit(), clear_bit(), change_bit() are atomic and relaxed: they
 *   order nothing (smp_mb__before/after_atomic() from <linux/atomic.h>
 *   add a full barrier);
 * - test_and_set_bit(), test_and_clear_bit(), test_and_change_bit() are
 *   atomic and fully ordered;
 * - test_and_set_bit_lock() orders as an acquire, clear_bit_unlock() as a
 *   release (a bit lock);
 * - the __-prefixed forms are not atomic: for bitmaps only this thread
 *   touches, or under a lock;
 * - test_bit() is a single relaxed read.
 *
 * Bit nr lives in word nr / BITS_PER_LONG, at bit nr % BITS_PER_LONG, as
 * in the kernel on a little-endian machine. Also: the find_*_bit()
 * searches, for_each_set_bit()/for_each_clear_bit(), hweight*(), __ffs(),
 * ffz(), fls(), fls64(), __fls(), rol/ror, DECLARE_BITMAP and a few bitmap
 * helpers. Every operation is lock-free and async-signal-safe.
 */
#ifndef BH_COMPAT_LINUX_BITOPS_H
#define BH_COMPAT_LINUX_BITOPS_H

#include <stdbool.h>
#include <string.h>
#include <strings.h> /* ffs(): the kernel's has the same meaning */

#include <linux/bits.h>
#include <linux/compiler.h>
#include <linux/types.h>

#define BITS_TO_LONGS(nr)	   (((nr) + BITS_PER_LONG - 1) / BITS_PER_LONG)
#define BITS_TO_U64(nr)		   (((nr) + 63) / 64)
#define BITS_TO_U32(nr)		   (((nr) + 31) / 32)
#define BITS_TO_BYTES(nr)	   (((nr) + BITS_PER_BYTE - 1) / BITS_PER_BYTE)
#define DECLARE_BITMAP(name, bits) unsigned long name[BITS_TO_LONGS(bits)]

/* ---- atomic ----------------------------------------------------------------
 */

static inline void set_bit(long nr, volatile unsigned long *addr)
{
	(void)__atomic_fetch_or(addr + BIT_WORD(nr), BIT_MASK(nr),
				__ATOMIC_RELAXED);
}

static inline void clear_bit(long nr, volatile unsigned long *addr)
{
	(void)__atomic_fetch_and(addr + BIT_WORD(nr), ~BIT_MASK(nr),
				 __ATOMIC_RELAXED);
}

static inline void change_bit(long nr, volatile unsigned long *addr)
{
	(void)__atomic_fetch_xor(addr + BIT_WORD(nr), BIT_MASK(nr),
				 __ATOMIC_RELAXED);
}

static inline bool test_and_set_bit(long nr, volatile unsigned long *addr)
{
	return __atomic_fetch_or(addr + BIT_WORD(nr), BIT_MASK(nr),
				 __ATOMIC_SEQ_CST) &
	       BIT_MASK(nr);
}

static inline bool test_and_clear_bit(long nr, volatile unsigned long *addr)
{
	return __atomic_fetch_and(addr + BIT_WORD(nr), ~BIT_MASK(nr),
				  __ATOMIC_SEQ_CST) &
	       BIT_MASK(nr);
}

static inline bool test_and_change_bit(long nr, volatile unsigned long *addr)
{
	return __atomic_fetch_xor(addr + BIT_WORD(nr), BIT_MASK(nr),
				  __ATOMIC_SEQ_CST) &
	       BIT_MASK(nr);
}

/* A bit lock: acquire on success, release at unlock. */
static inline bool test_and_set_bit_lock(long nr, volatile unsigned long *addr)
{
	return __atomic_fetch_or(addr + BIT_WORD(nr), BIT_MASK(nr),
				 __ATOMIC_ACQUIRE) &
	       BIT_MASK(nr);
}

static inline void clear_bit_unlock(long nr, volatile unsigned long *addr)
{
	(void)__atomic_fetch_and(addr + BIT_WORD(nr), ~BIT_MASK(nr),
				 __ATOMIC_RELEASE);
}

static inline void __clear_bit_unlock(long nr, volatile unsigned long *addr)
{
	clear_bit_unlock(nr, addr);
}

static inline bool test_bit(long nr, const volatile unsigned long *addr)
{
	return (__atomic_load_n(addr + BIT_WORD(nr), __ATOMIC_RELAXED) >>
		(nr % BITS_PER_LONG)) &
	       1UL;
}

static inline bool test_bit_acquire(long nr, const volatile unsigned long *addr)
{
	return (__atomic_load_n(addr + BIT_WORD(nr), __ATOMIC_ACQUIRE) >>
		(nr % BITS_PER_LONG)) &
	       1UL;
}

/* ---- not atomic -------------------------------------------------------------
 */

static inline void __set_bit(long nr, volatile unsigned long *addr)
{
	addr[BIT_WORD(nr)] |= BIT_MASK(nr);
}

static inline void __clear_bit(long nr, volatile unsigned long *addr)
{
	addr[BIT_WORD(nr)] &= ~BIT_MASK(nr);
}

static inline void __change_bit(long nr, volatile unsigned long *addr)
{
	addr[BIT_WORD(nr)] ^= BIT_MASK(nr);
}

static inline bool __test_and_set_bit(long nr, volatile unsigned long *addr)
{
	bool old = addr[BIT_WORD(nr)] & BIT_MASK(nr);
	addr[BIT_WORD(nr)] |= BIT_MASK(nr);
	return old;
}

static inline bool __test_and_clear_bit(long nr, volatile unsigned long *addr)
{
	bool old = addr[BIT_WORD(nr)] & BIT_MASK(nr);
	addr[BIT_WORD(nr)] &= ~BIT_MASK(nr);
	return old;
}

static inline bool __test_and_change_bit(long nr, volatile unsigned long *addr)
{
	bool old = addr[BIT_WORD(nr)] & BIT_MASK(nr);
	addr[BIT_WORD(nr)] ^= BIT_MASK(nr);
	return old;
}

/* ---- single words
 * ------------------------------------------------------------- */

/* Index of the lowest set bit; undefined for 0, as the kernel's. */
static inline unsigned long __ffs(unsigned long word)
{
	return (unsigned long)__builtin_ctzl(word);
}

/* Index of the lowest clear bit; undefined for ~0UL. */
static inline unsigned long ffz(unsigned long word)
{
	return __ffs(~word);
}

/* Index of the highest set bit; undefined for 0. */
static inline unsigned long __fls(unsigned long word)
{
	return (unsigned long)(BITS_PER_LONG - 1 - __builtin_clzl(word));
}

/* 1-based position of the highest set bit; 0 for 0. */
static inline int fls(unsigned int x)
{
	return x ? 32 - __builtin_clz(x) : 0;
}

static inline int fls64(u64 x)
{
	return x ? 64 - __builtin_clzll(x) : 0;
}

static inline int fls_long(unsigned long l)
{
	return l ? BITS_PER_LONG - __builtin_clzl(l) : 0;
}

static inline unsigned int hweight8(unsigned int w)
{
	return (unsigned int)__builtin_popcount(w & 0xffu);
}

static inline unsigned int hweight16(unsigned int w)
{
	return (unsigned int)__builtin_popcount(w & 0xffffu);
}

static inline unsigned int hweight32(unsigned int w)
{
	return (unsigned int)__builtin_popcount(w);
}

static inline unsigned long hweight64(u64 w)
{
	return (unsigned long)__builtin_popcountll(w);
}

static inline unsigned long hweight_long(unsigned long w)
{
	return (unsigned long)__builtin_popcountl(w);
}

static inline u32 rol32(u32 word, unsigned int shift)
{
	return (word << (shift & 31)) | (word >> ((-shift) & 31));
}

static inline u32 ror32(u32 word, unsigned int shift)
{
	return (word >> (shift & 31)) | (word << ((-shift) & 31));
}

static inline u64 rol64(u64 word, unsigned int shift)
{
	return (word << (shift & 63)) | (word >> ((-shift) & 63));
}

static inline u64 ror64(u64 word, unsigned int shift)
{
	return (word >> (shift & 63)) | (word << ((-shift) & 63));
}

/* Sign-extend the value whose sign bit is `index`. */
static inline s32 sign_extend32(u32 value, int index)
{
	u8 shift = (u8)(31 - index);
	return (s32)(value << shift) >> shift;
}

static inline s64 sign_extend64(u64 value, int index)
{
	u8 shift = (u8)(63 - index);
	return (s64)(value << shift) >> shift;
}

/* ---- searching bitmaps
 * ------------------------------------------------------- */

/*
 * The next bit at or after `offset` whose value is !invert, or `size`
 * when there is none (the kernel's contract: never more than size).
 */
static inline unsigned long bh__find_next(const unsigned long *addr,
					  unsigned long size,
					  unsigned long offset, bool invert)
{
	if (offset >= size)
		return size;
	unsigned long i = offset / BITS_PER_LONG;
	unsigned long flip = invert ? ~0UL : 0UL;
	unsigned long word =
		(addr[i] ^ flip) & (~0UL << (offset % BITS_PER_LONG));
	for (;;) {
		if (word) {
			unsigned long bit = i * BITS_PER_LONG + __ffs(word);
			return bit < size ? bit : size;
		}
		if (++i * BITS_PER_LONG >= size)
			return size;
		word = addr[i] ^ flip;
	}
}

static inline unsigned long find_next_bit(const unsigned long *addr,
					  unsigned long size,
					  unsigned long offset)
{
	return bh__find_next(addr, size, offset, false);
}

static inline unsigned long find_next_zero_bit(const unsigned long *addr,
					       unsigned long size,
					       unsigned long offset)
{
	return bh__find_next(addr, size, offset, true);
}

static inline unsigned long find_first_bit(const unsigned long *addr,
					   unsigned long size)
{
	return bh__find_next(addr, size, 0, false);
}

static inline unsigned long find_first_zero_bit(const unsigned long *addr,
						unsigned long size)
{
	return bh__find_next(addr, size, 0, true);
}

/* The last set bit, or `size` when none is set. */
static inline unsigned long find_last_bit(const unsigned long *addr,
					  unsigned long size)
{
	unsigned long i = size;
	while (i--)
		if (test_bit((long)i, addr))
			return i;
	return size;
}

#define for_each_set_bit(bit, addr, size)                                      \
	for ((bit) = find_first_bit((addr), (size)); (bit) < (size);           \
	     (bit) = find_next_bit((addr), (size), (bit) + 1))

#define for_each_set_bit_from(bit, addr, size)                                 \
	for ((bit) = find_next_bit((addr), (size), (bit)); (bit) < (size);     \
	     (bit) = find_next_bit((addr), (size), (bit) + 1))

#define for_each_clear_bit(bit, addr, size)                                    \
	for ((bit) = find_first_zero_bit((addr), (size)); (bit) < (size);      \
	     (bit) = find_next_zero_bit((addr), (size), (bit) + 1))

/* ---- whole bitmaps (<linux/bitmap.h>'s commonest)
 * ------------------------------ */

static inline void bitmap_zero(unsigned long *dst, unsigned int nbits)
{
	memset(dst, 0, BITS_TO_LONGS(nbits) * sizeof(unsigned long));
}

static inline void bitmap_fill(unsigned long *dst, unsigned int nbits)
{
	memset(dst, 0xff, BITS_TO_LONGS(nbits) * sizeof(unsigned long));
	if (nbits % BITS_PER_LONG)
		dst[nbits / BITS_PER_LONG] &=
			~0UL >> (BITS_PER_LONG - nbits % BITS_PER_LONG);
}

static inline unsigned int bitmap_weight(const unsigned long *src,
					 unsigned int nbits)
{
	unsigned int w = 0;
	for (unsigned int i = 0; i < nbits / BITS_PER_LONG; i++)
		w += (unsigned int)hweight_long(src[i]);
	if (nbits % BITS_PER_LONG)
		w += (unsigned int)hweight_long(
			src[nbits / BITS_PER_LONG] &
			(~0UL >> (BITS_PER_LONG - nbits % BITS_PER_LONG)));
	return w;
}

static inline bool bitmap_empty(const unsigned long *src, unsigned int nbits)
{
	return find_first_bit(src, nbits) >= nbits;
}

static inline bool bitmap_full(const unsigned long *src, unsigned int nbits)
{
	return find_first_zero_bit(src, nbits) >= nbits;
}

#endif
