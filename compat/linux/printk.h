/* SPDX-License-Identifier: MIT */
/*
 * <linux/printk.h>: printk with the kernel's level prefixes, and the pr_*
 * family.
 *
 * printk() goes to bh_kprintf(), which reads the level from the "\001N"
 * prefix the KERN_* strings make (no prefix: KERN_WARNING, the kernel's
 * default message level; KERN_CONT continues the previous line) and hands
 * the message to the runtime's log sink with that level.
 *
 * pr_fmt: define it before the first include to prefix every pr_*() message
 * of the file, as in the kernel (`#define pr_fmt(fmt) KBUILD_MODNAME ": "
 * fmt`). pr_debug() and pr_devel() print only when DEBUG is defined before
 * the include (there is no dynamic debug); otherwise they compile the
 * arguments for type checking and print nothing.
 */
#ifndef BH_COMPAT_LINUX_PRINTK_H
#define BH_COMPAT_LINUX_PRINTK_H

#include <stdbool.h>

#include <bh/delay.h>
#include <bh/log.h>

#define KERN_SOH       "\001"
#define KERN_SOH_ASCII '\001'

#define KERN_EMERG   KERN_SOH "0"
#define KERN_ALERT   KERN_SOH "1"
#define KERN_CRIT    KERN_SOH "2"
#define KERN_ERR     KERN_SOH "3"
#define KERN_WARNING KERN_SOH "4"
#define KERN_NOTICE  KERN_SOH "5"
#define KERN_INFO    KERN_SOH "6"
#define KERN_DEBUG   KERN_SOH "7"
/* Since 3.x KERN_DEFAULT is empty: the message gets the default level. */
#define KERN_DEFAULT ""
#define KERN_CONT    KERN_SOH "c"

#define LOGLEVEL_SCHED	 -2
#define LOGLEVEL_DEFAULT -1
#define LOGLEVEL_EMERG	 0
#define LOGLEVEL_ALERT	 1
#define LOGLEVEL_CRIT	 2
#define LOGLEVEL_ERR	 3
#define LOGLEVEL_WARNING 4
#define LOGLEVEL_NOTICE	 5
#define LOGLEVEL_INFO	 6
#define LOGLEVEL_DEBUG	 7

#define printk(...) bh_kprintf(__VA_ARGS__)

#ifndef pr_fmt
#define pr_fmt(fmt) fmt
#endif

/* Checks the format and arguments, prints nothing, yields 0. */
#define no_printk(fmt, ...)                                                    \
	({                                                                     \
		if (0)                                                         \
			bh_kprintf(fmt, ##__VA_ARGS__);                        \
		0;                                                             \
	})

#define pr_emerg(fmt, ...) printk(KERN_EMERG pr_fmt(fmt), ##__VA_ARGS__)
#define pr_alert(fmt, ...) printk(KERN_ALERT pr_fmt(fmt), ##__VA_ARGS__)
#define pr_crit(fmt, ...)  printk(KERN_CRIT pr_fmt(fmt), ##__VA_ARGS__)
#define pr_err(fmt, ...)   printk(KERN_ERR pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn(fmt, ...)  printk(KERN_WARNING pr_fmt(fmt), ##__VA_ARGS__)
/* The name before 5.x (removed in 5.10). */
#define pr_warning(fmt, ...) pr_warn(fmt, ##__VA_ARGS__)
#define pr_notice(fmt, ...)  printk(KERN_NOTICE pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info(fmt, ...)    printk(KERN_INFO pr_fmt(fmt), ##__VA_ARGS__)
/* A continuation carries no pr_fmt prefix: it is the rest of a line. */
#define pr_cont(fmt, ...) printk(KERN_CONT fmt, ##__VA_ARGS__)

#ifdef DEBUG
#define pr_debug(fmt, ...) printk(KERN_DEBUG pr_fmt(fmt), ##__VA_ARGS__)
#define pr_devel(fmt, ...) printk(KERN_DEBUG pr_fmt(fmt), ##__VA_ARGS__)
#else
#define pr_debug(fmt, ...) no_printk(KERN_DEBUG pr_fmt(fmt), ##__VA_ARGS__)
#define pr_devel(fmt, ...) no_printk(KERN_DEBUG pr_fmt(fmt), ##__VA_ARGS__)
#endif

/*
 * The _once variants: one flag per call site, claimed with an atomic
 * exchange so that two threads racing through the site print once.
 */
#define printk_once(fmt, ...)                                                  \
	do {                                                                   \
		static bool bh__printed_once_;                                 \
		if (!__atomic_exchange_n(&bh__printed_once_, true,             \
					 __ATOMIC_RELAXED))                    \
			printk(fmt, ##__VA_ARGS__);                            \
	} while (0)

#define pr_emerg_once(fmt, ...)                                                \
	printk_once(KERN_EMERG pr_fmt(fmt), ##__VA_ARGS__)
#define pr_alert_once(fmt, ...)                                                \
	printk_once(KERN_ALERT pr_fmt(fmt), ##__VA_ARGS__)
#define pr_crit_once(fmt, ...) printk_once(KERN_CRIT pr_fmt(fmt), ##__VA_ARGS__)
#define pr_err_once(fmt, ...)  printk_once(KERN_ERR pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn_once(fmt, ...)                                                 \
	printk_once(KERN_WARNING pr_fmt(fmt), ##__VA_ARGS__)
#define pr_notice_once(fmt, ...)                                               \
	printk_once(KERN_NOTICE pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info_once(fmt, ...) printk_once(KERN_INFO pr_fmt(fmt), ##__VA_ARGS__)
#ifdef DEBUG
#define pr_debug_once(fmt, ...)                                                \
	printk_once(KERN_DEBUG pr_fmt(fmt), ##__VA_ARGS__)
#else
#define pr_debug_once(fmt, ...) no_printk(KERN_DEBUG pr_fmt(fmt), ##__VA_ARGS__)
#endif

/*
 * The _ratelimited variants: per call site, at most 10 messages in any 5 s
 * window (the kernel's DEFAULT_RATELIMIT_BURST and _INTERVAL), counted on
 * the monotonic clock. Racing threads may let one or two more through.
 */
struct bh__ratelimit {
	unsigned long long begin_ns; /* window start; 0: none yet */
	unsigned int printed;	     /* in this window */
};

#define BH__RATELIMIT_INTERVAL_NS (5ull * 1000000000ull)
#define BH__RATELIMIT_BURST	  10u

static inline bool bh__ratelimit_ok(struct bh__ratelimit *rl)
{
	unsigned long long now = bh_ktime_get_ns();
	unsigned long long begin =
		__atomic_load_n(&rl->begin_ns, __ATOMIC_RELAXED);
	if (!begin || now - begin >= BH__RATELIMIT_INTERVAL_NS) {
		if (__atomic_compare_exchange_n(
			    &rl->begin_ns, &begin, now ? now : 1, false,
			    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			__atomic_store_n(&rl->printed, 0, __ATOMIC_RELAXED);
	}
	return __atomic_fetch_add(&rl->printed, 1, __ATOMIC_RELAXED) <
	       BH__RATELIMIT_BURST;
}

#define printk_ratelimited(fmt, ...)                                           \
	do {                                                                   \
		static struct bh__ratelimit bh__rl_;                           \
		if (bh__ratelimit_ok(&bh__rl_))                                \
			printk(fmt, ##__VA_ARGS__);                            \
	} while (0)

#define pr_emerg_ratelimited(fmt, ...)                                         \
	printk_ratelimited(KERN_EMERG pr_fmt(fmt), ##__VA_ARGS__)
#define pr_alert_ratelimited(fmt, ...)                                         \
	printk_ratelimited(KERN_ALERT pr_fmt(fmt), ##__VA_ARGS__)
#define pr_crit_ratelimited(fmt, ...)                                          \
	printk_ratelimited(KERN_CRIT pr_fmt(fmt), ##__VA_ARGS__)
#define pr_err_ratelimited(fmt, ...)                                           \
	printk_ratelimited(KERN_ERR pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn_ratelimited(fmt, ...)                                          \
	printk_ratelimited(KERN_WARNING pr_fmt(fmt), ##__VA_ARGS__)
#define pr_notice_ratelimited(fmt, ...)                                        \
	printk_ratelimited(KERN_NOTICE pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info_ratelimited(fmt, ...)                                          \
	printk_ratelimited(KERN_INFO pr_fmt(fmt), ##__VA_ARGS__)
#ifdef DEBUG
#define pr_debug_ratelimited(fmt, ...)                                         \
	printk_ratelimited(KERN_DEBUG pr_fmt(fmt), ##__VA_ARGS__)
#else
#define pr_debug_ratelimited(fmt, ...)                                         \
	no_printk(KERN_DEBUG pr_fmt(fmt), ##__VA_ARGS__)
#endif

#endif
