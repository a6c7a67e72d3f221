/* SPDX-License-Identifier: MIT */
/*
 * <linux/timer.h>: kernel timers in the 4.15+ form (timer_setup(), the
 * callback gets the timer_list), with the names of every version since:
 * del_timer[_sync]() as up to 6.14, timer_delete[_sync]() and
 * timer_shutdown[_sync]() as since 6.2, from_timer() as 4.15-6.15 and
 * timer_container_of() as since 6.16 (SPEC K1-K10).
 *
 * struct timer_list is struct bh_timer under its kernel name: the same 40
 * bytes, with the kernel's `expires`, `function` and `flags` fields, so
 * `t->expires = jiffies + HZ; add_timer(t);` and `t->function = fn` work.
 * The kernel's `struct hlist_node entry` is spelled `next, pprev` here and
 * is not available under the name `entry`; only the timer core looks at it.
 *
 * The forms up to 4.14, init_timer(t) and setup_timer(t, fn, data) with
 * `void fn(unsigned long)`, are not provided: the 4.15 layout has no `data`
 * field, and faking one would need a side table, which would allocate in
 * calls that must be async-signal-safe. Code that sets `t.data` fails to
 * compile ("no member named 'data'") rather than misbehaving.
 *
 * Return values. mod_timer(), timer_reduce() and the deletes return the
 * kernel's int, 1 if the timer was pending and 0 if not; add_timer() and
 * add_timer_on() return nothing. The native calls can also return a
 * negative errno (a NULL or never set-up timer, no runtime, delete_sync
 * from the timer's own callback); here that reads as 0, "was not pending",
 * so that the common `if (del_timer(&t)) drop_reference(obj);` never
 * drops a reference it does not hold. The library has already warned
 * about it (SPEC U9).
 *
 * Every call but the _sync deletes is async-signal-safe and allocates
 * nothing (SPEC U1, U2), as the kernel allows them from hardirq context.
 */
#ifndef BH_COMPAT_LINUX_TIMER_H
#define BH_COMPAT_LINUX_TIMER_H

#include <time.h> /* declares POSIX timer_delete(); see below */

#include <bh/compiler.h>
#include <bh/timer.h>

#include <linux/jiffies.h>
#include <linux/types.h>

#define timer_list bh_timer

/* The kernel's values; the low 18 bits of `flags` hold the base's CPU. */
#define TIMER_CPUMASK	 BH_TIMER_CPUMASK
#define TIMER_DEFERRABLE BH_TIMER_DEFERRABLE
#define TIMER_PINNED	 BH_TIMER_PINNED
#define TIMER_IRQSAFE	 BH_TIMER_IRQSAFE
#define TIMER_INIT_FLAGS BH_TIMER_INIT_FLAGS

/* Static initialisers; they also set the library's initialisation mark. */
#define __TIMER_INITIALIZER(_function, _flags)                                 \
	BH_TIMER_INITIALIZER(_function, _flags)
/* 4.15+: (name, function). The form up to 4.14, (name, function, expires,
 * data), fails to compile: the preprocessor reports the argument count. */
#define DEFINE_TIMER(_name, _function) BH_DEFINE_TIMER(_name, _function)

/* The object that embeds `callback_timer` as `timer_fieldname`, typed like
 * `var`. */
#define from_timer(var, callback_timer, timer_fieldname)                       \
	bh_from_timer(var, callback_timer, timer_fieldname)
/* Its 6.16+ name. */
#define timer_container_of(var, callback_timer, timer_fieldname)               \
	bh_from_timer(var, callback_timer, timer_fieldname)

/* Only TIMER_DEFERRABLE, TIMER_PINNED and TIMER_IRQSAFE are kept. */
static inline void timer_setup(struct timer_list *timer,
			       void (*callback)(struct timer_list *),
			       unsigned int flags)
{
	bh_timer_setup(timer, callback, flags);
}

/* The kernel needs these for debugobjects; here they are plain setup. */
static inline void timer_setup_on_stack(struct timer_list *timer,
					void (*callback)(struct timer_list *),
					unsigned int flags)
{
	bh_timer_setup(timer, callback, flags);
}

static inline void destroy_timer_on_stack(struct timer_list *timer)
{
	(void)timer;
}

/* A negative errno from the native call reads as "was not pending". */
static inline int bh__compat_timer_was(int ret)
{
	return ret > 0 ? ret : 0;
}

static inline int timer_pending(const struct timer_list *timer)
{
	return bh_timer_pending(timer);
}

/*
 * Arm an idle timer for timer->expires. The kernel BUG()s on a pending
 * timer; here that warns and re-arms it.
 */
static inline void add_timer(struct timer_list *timer)
{
	(void)bh_add_timer(timer);
}

/* Arm for timer->expires on bh CPU `cpu` and pin it there (K9). */
static inline void add_timer_on(struct timer_list *timer, int cpu)
{
	(void)bh_add_timer_on(timer, cpu);
}

/* (Re)arm for `expires`, earlier or later; 1 if it was pending (K7). */
static inline int mod_timer(struct timer_list *timer, unsigned long expires)
{
	return bh__compat_timer_was(bh_mod_timer(timer, expires));
}

/* 4.15+: like mod_timer(), but a pending timer only moves earlier. */
static inline int timer_reduce(struct timer_list *timer, unsigned long expires)
{
	return bh__compat_timer_was(bh_timer_reduce(timer, expires));
}

/*
 * 6.2+. 1 if a pending timer was removed; does not wait (K5).
 *
 * POSIX has its own timer_delete(timer_t) in <time.h>, which this header
 * includes first. The kernel's is a function-like macro over another name,
 * so both can be used in one unit: `timer_delete(&t)` is this one and
 * `(timer_delete)(id)` the POSIX one.
 */
static inline int bh__compat_timer_delete(struct timer_list *timer)
{
	return bh__compat_timer_was(bh_timer_delete(timer));
}
#define timer_delete(timer) bh__compat_timer_delete(timer)

/*
 * 6.2+. As timer_delete(), then wait until the callback is not running on
 * any CPU (K6). May sleep. Not from the timer's own callback (it warns and
 * does not wait), nor from hardirq context unless the timer is IRQSAFE.
 */
static inline int timer_delete_sync(struct timer_list *timer)
{
	return bh__compat_timer_was(bh_timer_delete_sync(timer));
}

/* 6.2+. Delete, and make every later arm silently do nothing (K10). */
static inline int timer_shutdown(struct timer_list *timer)
{
	return bh__compat_timer_was(bh_timer_shutdown(timer));
}

static inline int timer_shutdown_sync(struct timer_list *timer)
{
	return bh__compat_timer_was(bh_timer_shutdown_sync(timer));
}

/* The names up to 6.14 (removed in 6.15). */
static inline int del_timer(struct timer_list *timer)
{
	return timer_delete(timer);
}

static inline int del_timer_sync(struct timer_list *timer)
{
	return timer_delete_sync(timer);
}

/* Up to 6.1, del_timer_sync() under another name. */
static inline int del_singleshot_timer_sync(struct timer_list *timer)
{
	return timer_delete_sync(timer);
}

#endif
