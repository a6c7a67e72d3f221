/* SPDX-License-Identifier: MIT */
/*
 * <linux/init.h>: the section markers, and module_init()/module_exit()
 * (which the kernel defines here for built-in code and in <linux/module.h>
 * for modules; here both are in <linux/module.h>, included below).
 *
 * __init and __exit change nothing: a module's init text is not freed
 * after init in user space. __initdata and friends likewise.
 */
#ifndef BH_COMPAT_LINUX_INIT_H
#define BH_COMPAT_LINUX_INIT_H

#include <linux/compiler.h>

#define __init
#define __exit
#define __initdata
#define __exitdata
#define __initconst
#define __ref
#define __refdata
#define __exit_p(x) x

#include <linux/module.h>

#endif
