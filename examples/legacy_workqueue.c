/* SPDX-License-Identifier: MIT */
/*
 * legacy_workqueue: the workqueue module of "Linux Tasklet and Workqueue
 * Learning" (seeds/002), a 2.6-era textbook text, built unchanged against
 * libbh's <linux/workqueue.h>, together with the rest of the 2.6 API that
 * the text lists: a workqueue of the module's own, DECLARE_WORK with data,
 * queue_delayed_work() on a plain work_struct, cancel_delayed_work(),
 * flush_workqueue() and destroy_workqueue().
 *
 * The first half is the module, in kernel spellings only, as it would be
 * written for a 2.6.19 kernel:
 *
 *   - the text's interrupt handler (re)initialises a work item with
 *     INIT_WORK(&mywork, handler, 0) and schedule_work()s it, for its
 *     first ten interrupts; the handler runs later in process context, on
 *     a kworker thread, and may sleep;
 *   - module init creates "mywork" with create_workqueue(), queues a
 *     statically declared item there, and starts a tick: a work_struct
 *     that re-queues itself with queue_delayed_work() every HZ/10;
 *   - module exit stops the tick with cancel_delayed_work() and
 *     flush_workqueue(), the 2.6 idiom, then destroys the queue.
 *
 * Two changes from the text, both needed by any 2.6 kernel too: the work
 * handler has the 2.6 prototype that the same text gives,
 * void work_handler(void *data) (its code says `unsigned long data`, the
 * tasklet's type, which a compiler rejects), and its capitalisation and
 * HTML escapes are undone. request_irq(), module_param() and
 * module_init() are not part of libbh: the host below plays the kernel.
 *
 * The second half, main(), is that host: it starts the runtime, calls the
 * module's init, delivers twelve "interrupts" (SIGUSR1, whose handler is
 * the top half, bracketed by bh_signal_irq_enter()/bh_signal_irq_exit()),
 * waits for the tick to finish, calls the module's exit and shuts the
 * runtime down. It exits 0 if the module saw what the text promises.
 */
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/errno.h>
#include <linux/interrupt.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/workqueue.h>

/* ---- the module ---------------------------------------------------------- */

/* Define a devid */
static int mydev = 1119;
static int irq = 17;
static char *devname = "mywork";

/* Define an argument of work struct */
static struct work_struct mywork;
static int mywork_runs;

/* What the work handlers saw, for the host's verdict. */
static bool work_in_process_context = true;

static void note_context(void)
{
	if (in_interrupt() || !in_task())
		WRITE_ONCE(work_in_process_context, false);
}

static void mywork_handler(void *data)
{
	(void)data;
	note_context();
	printk("This is work handler.\n");
	/* Process context: a work handler may sleep. */
	msleep(1);
	WRITE_ONCE(mywork_runs, READ_ONCE(mywork_runs) + 1);
}

static int myirq_handler(int irq, void *dev)
{
	static int count = 0;

	(void)irq;
	(void)dev;
	if (count < 10) {
		printk("-----------%d start--------------------------\n",
		       count + 1);
		printk("The interrupt handler is working.\n");
		printk("The most of the interrupt work will be done by "
		       "following work.\n");
		INIT_WORK(&mywork, mywork_handler, 0);
		schedule_work(&mywork);
		printk("The top half has been done and bottom half will be "
		       "processed.\n");
	}
	count++;
	return 1; /* IRQ_HANDLED */
}

/* The module's own workqueue, and what it runs. */
static struct workqueue_struct *my_wq;

static int hello_runs;
static void hello_handler(void *data)
{
	note_context();
	printk("Hello from the mywork workqueue, device %d.\n", *(int *)data);
	WRITE_ONCE(hello_runs, 1);
}

static DECLARE_WORK(hello_work, hello_handler, &mydev);

#define TICKS 5
static struct work_struct tick_work;
static int ticks;
static int stopping;
static unsigned long tick_start;
static DECLARE_COMPLETION(ticks_done);

static void tick_handler(void *data)
{
	(void)data;
	note_context();
	ticks++;
	printk("tick %d, %lu jiffies after init\n", ticks,
	       jiffies - tick_start);
	if (ticks == TICKS)
		complete(&ticks_done);
	else if (!READ_ONCE(stopping))
		queue_delayed_work(my_wq, &tick_work, HZ / 10);
}

static int mywork_init(void)
{
	printk("My module is working..\n");
	my_wq = create_workqueue("mywork");
	if (!my_wq)
		return -ENOMEM;
	queue_work(my_wq, &hello_work);
	INIT_WORK(&tick_work, tick_handler, NULL);
	tick_start = jiffies;
	queue_delayed_work(my_wq, &tick_work, HZ / 10);
	/*
	 * request_irq(irq, myirq_handler, IRQF_SHARED, devname, &irq) in the
	 * kernel; here the host delivers the interrupts to myirq_handler.
	 */
	printk("%s Request irq:%d success.\n", devname, irq);
	return 0;
}

static void mywork_exit(void)
{
	printk("My module is leaving..\n");
	WRITE_ONCE(stopping, 1);
	/* 2.6: the timer, if armed, is deleted; a run already queued or
	 * running is waited for by the flush. */
	cancel_delayed_work(&tick_work);
	flush_workqueue(my_wq);
	destroy_workqueue(my_wq);
	/* 2.6 modules called flush_scheduled_work() here; since 6.x that
	 * warns (flushing a system workqueue), so wait for this item alone,
	 * as 2.6.22 allowed. */
	cancel_work_sync(&mywork);
	printk("Free the IRQ%d.\n", irq);
}

/* ---- the host: the kernel's part ------------------------------------------
 */

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <bh.h>

#define INTERRUPTS 12

/* The top half: a signal handler, bracketed as a hardware interrupt. */
static void irq_signal(int sig)
{
	(void)sig;
	bh_signal_irq_enter();
	myirq_handler(irq, &irq);
	bh_signal_irq_exit();
}

int main(void)
{
	struct sigaction sa;
	int ret;

	if (bh_init(NULL) != 0) {
		fprintf(stderr, "legacy_workqueue: bh_init failed\n");
		return 2;
	}
	ret = mywork_init();
	if (ret) {
		fprintf(stderr, "legacy_workqueue: init failed: %d\n", ret);
		return 2;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = irq_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	for (int i = 0; i < INTERRUPTS; i++) {
		raise(SIGUSR1);
		/*
		 * The next interrupt re-initialises the item; in the kernel,
		 * too, that is only safe once this run is over (SPEC M6).
		 */
		flush_work(&mywork);
	}

	/* Let the tick run its course: TICKS runs, HZ/10 apart. */
	if (!wait_for_completion_timeout(&ticks_done, 10 * HZ))
		fprintf(stderr, "legacy_workqueue: the tick stopped at %d\n",
			READ_ONCE(ticks));
	mywork_exit();
	bh_shutdown();

	bool ok = READ_ONCE(mywork_runs) == 10 && READ_ONCE(hello_runs) &&
		  ticks == TICKS && READ_ONCE(work_in_process_context);
	printf("interrupts %d, work runs %d, hello %d, ticks %d, process "
	       "context %s: %s\n",
	       INTERRUPTS, READ_ONCE(mywork_runs), READ_ONCE(hello_runs), ticks,
	       READ_ONCE(work_in_process_context) ? "yes" : "no",
	       ok ? "ok" : "FAILED");
	return ok ? 0 : 1;
}
