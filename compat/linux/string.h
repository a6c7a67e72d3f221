/* SPDX-License-Identifier: MIT */
/*
 * <linux/string.h>: the C library's string functions (strlen, strstr,
 * strsep, memcpy, ...), which the kernel's match, plus strscpy(), the
 * kernel's bounded copy: it always terminates the destination and returns
 * the length copied, or -E2BIG when the source did not fit.
 */
#ifndef BH_COMPAT_LINUX_STRING_H
#define BH_COMPAT_LINUX_STRING_H

#include <stddef.h>
#include <string.h>
#include <sys/types.h>

#include <linux/errno.h>

static inline ssize_t strscpy(char *dst, const char *src, size_t count)
{
	if (!count)
		return -E2BIG;
	const char *nul = (const char *)memchr(src, 0, count);
	size_t len = nul ? (size_t)(nul - src) : count - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return nul ? (ssize_t)len : -E2BIG;
}

#endif
