/* SPDX-License-Identifier: MIT */
/*
 * Diagnostics: printk, and kernel-style WARN/BUG reports with a backtrace.
 *
 * Every report goes to the configured log sink (struct bh_config) as one
 * message. A WARN names the object and the rule it broke, e.g.
 *
 *   ------------[ cut here ]------------
 *   WARNING: CPU: 0 PID: 4242 at src/tasklet.c:310 own_callback
 *   bh: tasklet_disable(0x55d0c8a3c0e0) called from the tasklet's own
 *   callback my_func: it would wait for itself forever (deadlock); ...
 *   Call Trace:
 *    bh_tasklet_kill+0x8c/0x1c0 [libbh.so.0]
 *    ...
 *   ---[ end trace ]---
 *
 * With bh_config.warn_fatal, the process aborts after the report (the
 * kernel's panic_on_warn), which is how tests make misuse fatal.
 * All of these are async-signal-safe as far as formatting with vsnprintf
 * and symbolising with dladdr are in glibc.
 */
#ifndef BH_LOG_H
#define BH_LOG_H

#include <stdarg.h>
#include <stdbool.h>

#include "compiler.h"
#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Print a message at `level` (a BH_LOG_* value), prefixed like dmesg. */
BH_API void bh_printk(int level, const char *fmt, ...) bh_printf_format(2, 3);
BH_API void bh_vprintk(int level, const char *fmt, va_list ap);

/*
 * printk as the kernel spells it: the level is an optional prefix of the
 * format, "\001" followed by a digit '0'..'7' (the kernel's KERN_* strings,
 * e.g. KERN_INFO is "\0016"); without one the level is BH_LOG_WARNING, the
 * kernel's default message level. "\001c" (KERN_CONT) continues the
 * previous line. Returns the number of characters printed.
 */
BH_API int bh_kprintf(const char *fmt, ...) bh_printf_format(1, 2);

/*
 * Emit a WARNING report: header with CPU, PID and caller location, the
 * formatted message, a backtrace. Returns true (for `if (WARN(...))`).
 */
BH_API bool bh__warn(const char *file, int line, const char *func,
		     const char *fmt, ...) bh_printf_format(4, 5);
/* Same, titled "BUG:" as the kernel's scheduling-while-atomic reports. */
BH_API bool bh__bug(const char *file, int line, const char *func,
		    const char *fmt, ...) bh_printf_format(4, 5);

/* Changes at each bh_init(); lets BH_WARN_ONCE fire once per runtime. */
BH_API unsigned long bh__warn_generation(void);

#define BH_WARN(cond, ...)                                                     \
	({                                                                     \
		bool bh__c_ = !!(cond);                                        \
		if (bh_unlikely(bh__c_))                                       \
			bh__warn(__FILE__, __LINE__, __func__, __VA_ARGS__);   \
		bh__c_;                                                        \
	})
#define BH_WARN_ON(cond) BH_WARN(cond, "WARN_ON(%s)", #cond)
/* Once per call site and per runtime: bh_init() re-arms them. */
#define BH_WARN_ONCE(cond, ...)                                                \
	({                                                                     \
		static unsigned long bh__warned_gen_;                          \
		bool bh__c_ = !!(cond);                                        \
		if (bh_unlikely(bh__c_)) {                                     \
			unsigned long bh__g_ = bh__warn_generation();          \
			if (__atomic_exchange_n(&bh__warned_gen_, bh__g_,      \
						__ATOMIC_RELAXED) != bh__g_)   \
				bh__warn(__FILE__, __LINE__, __func__,         \
					 __VA_ARGS__);                         \
		}                                                              \
		bh__c_;                                                        \
	})
#define BH_WARN_ON_ONCE(cond) BH_WARN_ONCE(cond, "WARN_ON_ONCE(%s)", #cond)

/* Number of WARN/BUG reports since bh_init() (tests assert on it). */
BH_API unsigned long bh_warn_count(void);

#ifdef __cplusplus
}
#endif

#endif
