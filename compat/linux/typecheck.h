/* SPDX-License-Identifier: MIT */
/*
 * <linux/typecheck.h>: typecheck(type, x) fails the build unless x has
 * `type` (qualifiers aside), and evaluates to 1 without evaluating x.
 *
 * The kernel's version only warns, which its -Werror builds turn into an
 * error; here it is always an error, with a message that says what to fix.
 * This is what keeps `local_irq_save(flags)` and `time_after(a, b)` from
 * silently truncating an `int` or a `u32`, the bugs the kernel's check is
 * for.
 */
#ifndef BH_COMPAT_LINUX_TYPECHECK_H
#define BH_COMPAT_LINUX_TYPECHECK_H

#define typecheck(type, x)                                                     \
	({                                                                     \
		_Static_assert(                                                \
			__builtin_types_compatible_p(type, __typeof__(x)),     \
			"typecheck: " #x " must have type " #type);            \
		1;                                                             \
	})

#endif
