// SPDX-License-Identifier: MIT
/*
 * The workqueue module of "Linux tasklet and workqueue learning"
 * (seeds/002), written out as the kernel code it is (2.6.19 and older:
 * INIT_WORK with a data argument). As for tasklet_module.c, only case,
 * spacing, comment markers, "\n" escapes and HTML entities are restored,
 * plus one type: the document's work handler takes `unsigned long data`,
 * the tasklet's type, which no compiler accepts for a work function; the
 * 2.6 prototype the same document gives is void (*)(void *).
 *
 * The work runs later on a kworker thread, in process context.
 *
 *   bh-modrun workqueue_module.so irq=5 devname=mydev \
 *             --irq 5=timer:10ms --duration 1s
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/init.h>
#include <linux/interrupt.h>
#include <linux/workqueue.h>

// Define a devid
static int mydev = 1119;
static int irq;
static char *devname = NULL;
// Define arguments for this module
module_param(irq, int, 0644);
module_param(devname, charp, 0644);

// Define an argument of work struct
static struct work_struct mywork;

static void mywork_handler(void *data)
{
	printk("This is work handler.\n");
}

static irqreturn_t myirq_handler(int irq, void *dev)
{
	static int count = 0;
	if (count < 10) {
		printk("-----------%d start--------------------------\n",
		       count + 1);
		printk("The interrupt handeler is working.\n");
		printk("The most of the interrupt work would be is done by "
		       "following work.\n");
		INIT_WORK(&mywork, mywork_handler, 0);
		schedule_work(&mywork);
		printk("The top half have been done and bottom half would be "
		       "processed.\n");
	}
	count++;
	return IRQ_HANDLED;
}

static int __init mywork_init()
{
	// Request an IRQ
	printk("My module is working..\n");
	if (request_irq(irq, myirq_handler, IRQF_SHARED, devname, &irq) != 0) {
		printk("work_init:can not request IRQ%d for%s:", irq, devname);
		return -1;
	}
	printk("%s Request irq:%d success:\n", devname, irq);
	return 0;
}

static void __exit mywork_exit()
{
	printk("My module is leaving..\n");
	free_irq(irq, &irq);
	printk("Free the IRQ%d.\n", irq);
}

module_init(mywork_init);
module_exit(mywork_exit);
MODULE_LICENSE("GPL");
