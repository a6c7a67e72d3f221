/* SPDX-License-Identifier: MIT */
/*
 * <linux/export.h>: EXPORT_SYMBOL() and its variants. A module here runs
 * alone in its loader (bh-modrun loads it RTLD_LOCAL), so nothing imports
 * what it exports; the macros only check that the symbol is declared.
 */
#ifndef BH_COMPAT_LINUX_EXPORT_H
#define BH_COMPAT_LINUX_EXPORT_H

#define EXPORT_SYMBOL(sym)		     extern __typeof__(sym) sym
#define EXPORT_SYMBOL_GPL(sym)		     extern __typeof__(sym) sym
#define EXPORT_SYMBOL_NS(sym, ns)	     extern __typeof__(sym) sym
#define EXPORT_SYMBOL_NS_GPL(sym, ns)	     extern __typeof__(sym) sym
#define EXPORT_SYMBOL_FOR_MODULES(sym, mods) extern __typeof__(sym) sym

#endif
