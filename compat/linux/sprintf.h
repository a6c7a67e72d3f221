/* SPDX-License-Identifier: MIT */
/*
 * <linux/sprintf.h>: sprintf(), snprintf(), vsprintf(), vsnprintf() (the C
 * library's, which the kernel's match for the conversions both have) and
 * the kernel-only scnprintf()/vscnprintf(), which return what was
 * written, not what would have been. <linux/kernel.h> includes this, as
 * the kernel's does. The kernel's %p extensions (%pS, %pK, ...) are not
 * understood: use bh_printk's plain %p.
 */
#ifndef BH_COMPAT_LINUX_SPRINTF_H
#define BH_COMPAT_LINUX_SPRINTF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

static inline int vscnprintf(char *buf, size_t size, const char *fmt,
			     va_list args)
{
	if (!size)
		return 0;
	int n = vsnprintf(buf, size, fmt, args);
	if (n < 0)
		return 0;
	return (size_t)n < size ? n : (int)(size - 1);
}

static inline int scnprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline int scnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	int n = vscnprintf(buf, size, fmt, args);
	va_end(args);
	return n;
}

#endif
