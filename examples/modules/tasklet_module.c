// SPDX-License-Identifier: MIT
/*
 * The tasklet module of "Linux tasklet and workqueue learning"
 * (seeds/002), written out as the kernel code it is: the document's copy
 * was damaged by machine translation, and only its case, spacing, comment
 * markers, "\n" escapes and HTML entities are restored here. The top
 * half re-initialises and schedules a tasklet for its first ten
 * interrupts; the tasklet runs when the top half returns, in softirq
 * context.
 *
 * Run it (a timer feeds line 5 every 10 ms):
 *   bh-modrun tasklet_module.so irq=5 devname=mydev \
 *             --irq 5=timer:10ms --duration 1s
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/init.h>
#include <linux/interrupt.h>

// Define a devid
static int mydev = 1119;
static int irq;
static char *devname = NULL;
// Define arguments for this module
module_param(irq, int, 0644);
module_param(devname, charp, 0644);

// Define an argument of tasklet struct
static struct tasklet_struct mytasklet;

static void mytasklet_handler(unsigned long data)
{
	printk("This is tasklet handler.\n");
}

static irqreturn_t myirq_handler(int irq, void *dev)
{
	static int count = 0;
	if (count < 10) {
		printk("-----------%d start--------------------------\n",
		       count + 1);
		printk("The interrupt handeler is working.\n");
		printk("The most of the interrupt work would be is done by "
		       "following tasklet.\n");
		tasklet_init(&mytasklet, mytasklet_handler, 0);
		tasklet_schedule(&mytasklet);
		printk("The top half have been done and bottom half would be "
		       "processed.\n");
	}
	count++;
	return IRQ_HANDLED;
}

static int __init mytasklet_init()
{
	// Request an IRQ
	printk("My module is working..\n");
	if (request_irq(irq, myirq_handler, IRQF_SHARED, devname, &irq) != 0) {
		printk("tasklet_init:can not request IRQ%d for%s:", irq,
		       devname);
		return -1;
	}
	printk("%s Request irq:%d success:\n", devname, irq);
	return 0;
}

static void __exit mytasklet_exit()
{
	printk("My module is leaving..\n");
	free_irq(irq, &irq);
	printk("Free the IRQ%d.\n", irq);
}

module_init(mytasklet_init);
module_exit(mytasklet_exit);
MODULE_LICENSE("GPL");
