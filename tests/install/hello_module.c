/* SPDX-License-Identifier: MIT */
/*
 * A kernel-style module, built against an installed libbh three ways (the
 * pkg-config one-liner, share/bh/module.mk, bh_add_module()) and run by
 * the installed bh-modrun (tests/install_check.sh).
 */
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>

static char *who = "world";
module_param(who, charp, 0444);
MODULE_PARM_DESC(who, "whom to greet");

static int __init hello_init(void)
{
	pr_info("hello, %s (from %s)\n", who, KBUILD_MODNAME);
	return 0;
}

static void __exit hello_exit(void)
{
	pr_info("goodbye, %s\n", who);
}

module_init(hello_init);
module_exit(hello_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("greets, from an installed prefix");
