// SPDX-License-Identifier: MIT
/*
 * A module with the mistakes learners make with bottom halves, each one
 * commented where it is made, and what bh-modrun shows for it (the test,
 * tests/modrun_check.sh "mistakes", checks that every diagnostic appears):
 *
 *   1. kmalloc(GFP_KERNEL) in a top half: GFP_KERNEL may sleep, a top half
 *      may not. "BUG: sleeping function called from invalid context at
 *      kmalloc", with the context and a backtrace into the handler.
 *   2. msleep() in a tasklet: a tasklet runs in softirq context and may
 *      not sleep. The same splat, at msleep.
 *   3. copy_to_user() in a tasklet: user memory may fault, and a fault may
 *      sleep; only process context may touch it. The splat, at
 *      copy_to_user.
 *   4. No tasklet_kill() at exit: the tasklet reschedules itself while the
 *      "device" has work, and nothing stops it; in the kernel it would run
 *      after the module's code is gone. Reported at unload.
 *   5. A timer left armed at exit (no timer_delete_sync()): reported at
 *      unload, with its callback.
 *   6. A kmalloc() never kfree()d: reported at unload with the function
 *      that allocated it.
 *
 *   bh-modrun mistakes_module.so irq=5 --irq 5=timer:10ms --duration 1s
 *
 * bh-modrun exits with status 3 (leftovers at unload). The fixed version
 * of each mistake is in the comment next to it.
 */
#include <linux/delay.h>
#include <linux/init.h>
#include <linux/interrupt.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/timer.h>
#include <linux/uaccess.h>

static int irq = -1;
module_param(irq, int, 0444);
MODULE_PARM_DESC(irq, "the device's interrupt line");

static char user_buf[32]; /* stands for a buffer of the reading process */
static char *rx_buf;
static struct timer_list watchdog;

static void watchdog_fn(struct timer_list *t)
{
	pr_info("mistakes: watchdog\n");
	mod_timer(t, jiffies + 60 * HZ);
}

static void mistakes_tasklet_fn(unsigned long data);
static DECLARE_TASKLET_OLD(mistakes_tasklet, mistakes_tasklet_fn);

static void mistakes_tasklet_fn(unsigned long data)
{
	static int runs;

	if (runs++ == 0) {
		/* Mistake 2: sleeping in a tasklet. Fix: move the slow part
		 * to a work item (schedule_work), or use mdelay/udelay for a
		 * short busy wait. */
		msleep(1);
		/* Mistake 3: copy_to_user in a tasklet. Fix: copy into a
		 * kernel buffer here; copy_to_user in the read() method, in
		 * process context. */
		if (copy_to_user(user_buf, (void *)data, 8))
			pr_err("mistakes: copy_to_user failed\n");
		kfree((void *)data);
		pr_info("mistakes: tasklet ran\n");
	}
	/* Polls the "device" while it has work: for ever, here. */
	tasklet_schedule(&mistakes_tasklet);
}

static irqreturn_t mistakes_irq(int line, void *dev)
{
	static int count;
	char *msg;

	if (count++)
		return IRQ_HANDLED;
	/* Mistake 1: GFP_KERNEL in a top half. Fix: GFP_ATOMIC. */
	msg = kmalloc(16, GFP_KERNEL);
	if (!msg)
		return IRQ_HANDLED;
	strcpy(msg, "from irq");
	mistakes_tasklet.data = (unsigned long)msg;
	tasklet_schedule(&mistakes_tasklet);
	return IRQ_HANDLED;
}

static int __init mistakes_init(void)
{
	/* Mistake 6 starts here: this buffer is never freed. */
	rx_buf = kmalloc(64, GFP_KERNEL);
	if (!rx_buf)
		return -ENOMEM;
	timer_setup(&watchdog, watchdog_fn, 0);
	mod_timer(&watchdog, jiffies + 60 * HZ);
	if (irq >= 0 && request_irq(irq, mistakes_irq, 0, "mistakes", &irq)) {
		/* the error path does clean up */
		timer_delete_sync(&watchdog);
		kfree(rx_buf);
		return -EBUSY;
	}
	pr_info("mistakes: loaded\n");
	return 0;
}

static void __exit mistakes_exit(void)
{
	if (irq >= 0)
		free_irq(irq, &irq);
	/* Mistake 4: no tasklet_kill(&mistakes_tasklet).
	 * Mistake 5: no timer_delete_sync(&watchdog).
	 * Mistake 6: no kfree(rx_buf). */
	pr_info("mistakes: unloaded\n");
}

module_init(mistakes_init);
module_exit(mistakes_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("bottom-half mistakes and what they look like");
