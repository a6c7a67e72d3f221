/* SPDX-License-Identifier: MIT */
/*
 * <linux/moduleparam.h>: module_param() and friends.
 *
 * Each parameter becomes a descriptor (struct bh_modinfo, <bh/modinfo.h>)
 * in the module's "bh_modinfo" section; bh-modrun(1) reads them after
 * loading the module and sets the variables from `name=value` arguments
 * before module_init runs, with the kernel's parsing rules (kstrto*()
 * bases, y/n/1/0/on/off for bool, a bare `name` for a bool meaning true).
 * The variable's type is checked at compile time against the parameter
 * type, as the kernel's param_check_<type>() does.
 *
 * `perm` is recorded (there is no /sys/module/<mod>/parameters here).
 */
#ifndef BH_COMPAT_LINUX_MODULEPARAM_H
#define BH_COMPAT_LINUX_MODULEPARAM_H

#include <stdbool.h>

#include <bh/modinfo.h>

#define BH__MODCAT_(a, b) a##b
#define BH__MODCAT(a, b)  BH__MODCAT_(a, b)
#define BH__MODUNIQ(p)	  BH__MODCAT(p, __COUNTER__)

/*
 * One descriptor, and a pointer to it in the section. Pointers (not the
 * structures) go into the section so that the array the linker builds has
 * no padding between entries of different object files.
 */
#define BH__MODINFO_AS(id, ...)                                                \
	static const struct bh_modinfo id = {.magic = BH_MODINFO_MAGIC,        \
					     __VA_ARGS__};                     \
	static const struct bh_modinfo *const BH__MODCAT(id, _p)               \
		__attribute__((section(BH_MODINFO_SECTION), used,              \
			       aligned(sizeof(void *)))) = &id
#define BH__MODINFO(...) BH__MODINFO_AS(BH__MODUNIQ(bh__modinfo_), __VA_ARGS__)

/*
 * The linker defines __start_/__stop_bh_modinfo only for an object that
 * refers to them; this function does, and is how bh-modrun finds the
 * table (dlsym() in the module's own scope: it is loaded RTLD_LOCAL, so
 * each module's copy is its own). Weak: one per module, whichever files
 * include this header. The bounds are weak: an object with no
 * descriptor at all (a program that includes this header) has no section,
 * and gets an empty table instead of a link error.
 */
extern const struct bh_modinfo *const __start_bh_modinfo[]
	__attribute__((weak, visibility("hidden")));
extern const struct bh_modinfo *const __stop_bh_modinfo[]
	__attribute__((weak, visibility("hidden")));
const struct bh_modinfo *const *bh_modinfo_table(unsigned long *n);
__attribute__((weak, used)) const struct bh_modinfo *const *
bh_modinfo_table(unsigned long *n)
{
	if (!__start_bh_modinfo) {
		*n = 0;
		return (const struct bh_modinfo *const *)0;
	}
	*n = (unsigned long)(__stop_bh_modinfo - __start_bh_modinfo);
	return __start_bh_modinfo;
}

/* The C type of each parameter type (param_check_<type>). */
#define BH__PARAM_CTYPE_byte	unsigned char
#define BH__PARAM_CTYPE_short	short
#define BH__PARAM_CTYPE_ushort	unsigned short
#define BH__PARAM_CTYPE_int	int
#define BH__PARAM_CTYPE_uint	unsigned int
#define BH__PARAM_CTYPE_long	long
#define BH__PARAM_CTYPE_ulong	unsigned long
#define BH__PARAM_CTYPE_ullong	unsigned long long
#define BH__PARAM_CTYPE_hexint	unsigned int
#define BH__PARAM_CTYPE_bool	bool
#define BH__PARAM_CTYPE_invbool bool
#define BH__PARAM_CTYPE_charp	char *

#define BH__PARAM_TYPE_byte    BH_PARAM_BYTE
#define BH__PARAM_TYPE_short   BH_PARAM_SHORT
#define BH__PARAM_TYPE_ushort  BH_PARAM_USHORT
#define BH__PARAM_TYPE_int     BH_PARAM_INT
#define BH__PARAM_TYPE_uint    BH_PARAM_UINT
#define BH__PARAM_TYPE_long    BH_PARAM_LONG
#define BH__PARAM_TYPE_ulong   BH_PARAM_ULONG
#define BH__PARAM_TYPE_ullong  BH_PARAM_ULLONG
#define BH__PARAM_TYPE_hexint  BH_PARAM_HEXINT
#define BH__PARAM_TYPE_bool    BH_PARAM_BOOL
#define BH__PARAM_TYPE_invbool BH_PARAM_INVBOOL
#define BH__PARAM_TYPE_charp   BH_PARAM_CHARP
/* <stdbool.h>'s bool is a macro for _Bool (before C23), which a
 * macro that passes `bool` on expands before pasting. */
#define BH__PARAM_CTYPE__Bool bool
#define BH__PARAM_TYPE__Bool  BH_PARAM_BOOL

#define BH__PARAM_CHECK(lvalue, type)                                          \
	_Static_assert(__builtin_types_compatible_p(__typeof__(lvalue),        \
						    BH__PARAM_CTYPE_##type),   \
		       "module parameter " #lvalue " is not of type " #type)

/* Parameter `pname`, stored in variable `var`. */
#define module_param_named(pname, var, ptype, pperm)                           \
	BH__PARAM_CHECK(var, ptype);                                           \
	BH__MODINFO(.kind = BH_MODINFO_PARAM, .name = #pname,                  \
		    .addr = (void *)&(var), .type = BH__PARAM_TYPE_##ptype,    \
		    .perm = (pperm))

#define module_param(pname, ptype, pperm)                                      \
	module_param_named(pname, pname, ptype, pperm)
/* The kernel's _unsafe variants only taint when written through sysfs. */
#define module_param_unsafe(pname, ptype, pperm)                               \
	module_param(pname, ptype, pperm)
#define module_param_named_unsafe(pname, var, ptype, pperm)                    \
	module_param_named(pname, var, ptype, pperm)

/* A comma-separated list into an array; *pnump (if not NULL) gets how
 * many values were given. */
#define module_param_array_named(pname, arr, ptype, pnump, pperm)              \
	BH__PARAM_CHECK((arr)[0], ptype);                                      \
	BH__MODINFO(.kind = BH_MODINFO_PARAM, .name = #pname,                  \
		    .addr = (void *)(arr), .type = BH__PARAM_TYPE_##ptype,     \
		    .perm = (pperm), .size = sizeof(arr) / sizeof((arr)[0]),   \
		    .nump = (pnump))
#define module_param_array(pname, ptype, pnump, pperm)                         \
	module_param_array_named(pname, pname, ptype, pnump, pperm)

/* A string copied into a char array of `len` bytes (too long: -ENOSPC). */
#define module_param_string(pname, str, len, pperm)                            \
	BH__MODINFO(.kind = BH_MODINFO_PARAM, .name = #pname,                  \
		    .addr = (void *)(str), .type = BH_PARAM_STRING,            \
		    .perm = (pperm), .size = (len))

#define MODULE_PARM_DESC(pname, desc)                                          \
	BH__MODINFO(.kind = BH_MODINFO_PARAM_DESC, .name = #pname,             \
		    .value = (desc))

#endif
