/* SPDX-License-Identifier: MIT */
/*
 * <linux/module.h>: what makes a file a loadable module.
 *
 * module_init(fn), module_exit(fn) and MODULE_*() record descriptors
 * (<bh/modinfo.h>) in the module's shared object; bh-modrun(1) loads the
 * object, sets its parameters, runs the init function in process context
 * and, at unload, the exit function. A module without module_exit() loads
 * but cannot be unloaded, as in the kernel.
 *
 * Build a module with bh_add_module() (CMake), share/bh/module.mk (make),
 * or by hand:
 *   cc -shared -fPIC -DKBUILD_MODNAME='"hello"' -o hello.so hello.c \
 *      $(pkg-config --cflags --libs bh-compat)
 *
 * THIS_MODULE is NULL, as for code built into the kernel: there is no
 * struct module to pin, and try_module_get() always succeeds.
 */
#ifndef BH_COMPAT_LINUX_MODULE_H
#define BH_COMPAT_LINUX_MODULE_H

#include <stdbool.h>
#include <stddef.h>

#include <linux/compiler.h>
#include <linux/export.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>

struct module;

#define THIS_MODULE ((struct module *)0)

static inline bool try_module_get(struct module *m)
{
	(void)m;
	return true;
}

static inline void module_put(struct module *m)
{
	(void)m;
}

static inline void __module_get(struct module *m)
{
	(void)m;
}

/*
 * The init and exit functions. The descriptor's typed field checks the
 * prototype, as the kernel's __inittest/__exittest do.
 */
#define module_init(fn)                                                        \
	BH__MODINFO(.kind = BH_MODINFO_INIT, .name = #fn, .init = (fn))
#define module_exit(fn)                                                        \
	BH__MODINFO(.kind = BH_MODINFO_EXIT, .name = #fn, .exit = (fn))

/* The macro parameters are spelled so that none is also a tag name. */
#define MODULE_INFO(tag, info)                                                 \
	BH__MODINFO(.kind = BH_MODINFO_TAG, .name = #tag, .value = (info))
#define MODULE_LICENSE(_license)  MODULE_INFO(license, _license)
#define MODULE_AUTHOR(_author)	  MODULE_INFO(author, _author)
#define MODULE_DESCRIPTION(_desc) MODULE_INFO(description, _desc)
#define MODULE_VERSION(_version)  MODULE_INFO(version, _version)
#define MODULE_ALIAS(_alias)	  MODULE_INFO(alias, _alias)
#define MODULE_FIRMWARE(_fw)	  MODULE_INFO(firmware, _fw)
#define MODULE_SOFTDEP(_dep)	  MODULE_INFO(softdep, _dep)
/* No device tables or symbol namespaces here: checked and dropped. */
#define MODULE_DEVICE_TABLE(type, name) extern __typeof__(name) name
#define MODULE_IMPORT_NS(ns)		MODULE_INFO(import_ns, #ns)

#endif
