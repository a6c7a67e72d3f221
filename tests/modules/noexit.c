/* SPDX-License-Identifier: MIT */
/* A module with module_init and no module_exit: it cannot be unloaded,
 * in the kernel as under bh-modrun (tests/modrun_check.sh). */
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>

static int __init noexit_init(void)
{
	pr_info("loaded for good\n");
	return 0;
}

module_init(noexit_init);
MODULE_LICENSE("GPL");
