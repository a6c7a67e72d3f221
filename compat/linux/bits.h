/* SPDX-License-Identifier: MIT */
/*
 * <linux/bits.h>: BIT(), BIT_ULL(), BIT_MASK(), BIT_WORD(), GENMASK(),
 * GENMASK_ULL() and the word-size constants.
 */
#ifndef BH_COMPAT_LINUX_BITS_H
#define BH_COMPAT_LINUX_BITS_H

#include <limits.h>

#ifndef BITS_PER_LONG
#define BITS_PER_LONG ((int)(sizeof(long) * CHAR_BIT))
#endif
#ifndef BITS_PER_LONG_LONG
#define BITS_PER_LONG_LONG ((int)(sizeof(long long) * CHAR_BIT))
#endif
#ifndef BITS_PER_BYTE
#define BITS_PER_BYTE CHAR_BIT
#endif

#define BIT(nr)		 (1UL << (nr))
#define BIT_ULL(nr)	 (1ULL << (nr))
#define BIT_MASK(nr)	 (1UL << ((nr) % BITS_PER_LONG))
#define BIT_WORD(nr)	 ((nr) / BITS_PER_LONG)
#define BIT_ULL_MASK(nr) (1ULL << ((nr) % BITS_PER_LONG_LONG))
#define BIT_ULL_WORD(nr) ((nr) / BITS_PER_LONG_LONG)

/* Bits h..l set (h >= l), as unsigned long / unsigned long long. */
#define GENMASK(h, l)                                                          \
	(((~0UL) - (1UL << (l)) + 1) & (~0UL >> (BITS_PER_LONG - 1 - (h))))
#define GENMASK_ULL(h, l)                                                      \
	(((~0ULL) - (1ULL << (l)) + 1) &                                       \
	 (~0ULL >> (BITS_PER_LONG_LONG - 1 - (h))))

#endif
