/* SPDX-License-Identifier: MIT */
/*
 * <linux/sort.h>: sort() and sort_r(), with the kernel's argument order
 * and its algorithm's properties: an in-place heapsort, O(n log n) in the
 * worst case, no allocation and no recursion (so it may be called in any
 * context, a top half included), and not stable. swap_func may be NULL
 * for a byte-wise swap; cmp_func returns <0, 0 or >0 as for qsort().
 */
#ifndef BH_COMPAT_LINUX_SORT_H
#define BH_COMPAT_LINUX_SORT_H

#include <stddef.h>

#include <linux/types.h>

typedef void (*swap_func_t)(void *a, void *b, int size);
typedef void (*swap_r_func_t)(void *a, void *b, int size, const void *priv);
typedef int (*cmp_func_t)(const void *a, const void *b);
typedef int (*cmp_r_func_t)(const void *a, const void *b, const void *priv);

static inline void bh__sort_swap_bytes(void *a, void *b, size_t size)
{
	unsigned char *x = (unsigned char *)a, *y = (unsigned char *)b;
	while (size--) {
		unsigned char t = *x;
		*x++ = *y;
		*y++ = t;
	}
}

struct bh__sort_ops {
	cmp_func_t cmp;
	cmp_r_func_t cmp_r;
	swap_func_t swap;
	swap_r_func_t swap_r;
	const void *priv;
	size_t size;
};

static inline int bh__sort_cmp(const struct bh__sort_ops *o, const void *a,
			       const void *b)
{
	return o->cmp_r ? o->cmp_r(a, b, o->priv) : o->cmp(a, b);
}

static inline void bh__sort_swap(const struct bh__sort_ops *o, void *a, void *b)
{
	if (o->swap_r)
		o->swap_r(a, b, (int)o->size, o->priv);
	else if (o->swap)
		o->swap(a, b, (int)o->size);
	else
		bh__sort_swap_bytes(a, b, o->size);
}

/* Move element i down the max-heap of n elements. */
static inline void bh__sort_sift(const struct bh__sort_ops *o, char *base,
				 size_t i, size_t n)
{
	for (;;) {
		size_t child = 2 * i + 1;
		if (child >= n)
			return;
		if (child + 1 < n &&
		    bh__sort_cmp(o, base + child * o->size,
				 base + (child + 1) * o->size) < 0)
			child++;
		if (bh__sort_cmp(o, base + i * o->size,
				 base + child * o->size) >= 0)
			return;
		bh__sort_swap(o, base + i * o->size, base + child * o->size);
		i = child;
	}
}

static inline void bh__sort(const struct bh__sort_ops *o, void *base,
			    size_t num)
{
	char *b = (char *)base;
	if (num < 2 || !o->size)
		return;
	for (size_t i = num / 2; i-- > 0;)
		bh__sort_sift(o, b, i, num);
	for (size_t n = num - 1; n > 0; n--) {
		bh__sort_swap(o, b, b + n * o->size);
		bh__sort_sift(o, b, 0, n);
	}
}

static inline void sort(void *base, size_t num, size_t size,
			cmp_func_t cmp_func, swap_func_t swap_func)
{
	struct bh__sort_ops o = {
		.cmp = cmp_func, .swap = swap_func, .size = size};
	bh__sort(&o, base, num);
}

static inline void sort_r(void *base, size_t num, size_t size,
			  cmp_r_func_t cmp_func, swap_r_func_t swap_func,
			  const void *priv)
{
	struct bh__sort_ops o = {.cmp_r = cmp_func,
				 .swap_r = swap_func,
				 .priv = priv,
				 .size = size};
	bh__sort(&o, base, num);
}

#endif
