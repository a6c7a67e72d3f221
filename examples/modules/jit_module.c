// SPDX-License-Identifier: MIT
/*
 * jit: the asynchronous half of the "jit" (just in time) module of Linux
 * Device Drivers, 3rd edition, section 7.4-7.5: the /proc/jitimer,
 * /proc/jitasklet and /proc/jitasklethi tables, in kernel spellings only
 * (timers in the 4.15+ timer_setup() form, tasklets as the book has them).
 *
 * In the book, reading one of those files sets a timer or schedules a
 * tasklet and puts the reader to sleep; the timer or tasklet writes one
 * line each time it runs and re-arms itself JIT_ASYNC_LOOPS times, then
 * wakes the reader, whose read returns the table:
 *
 *      time   delta  inirq    pid   cpu command
 *   4295000     0     0      1269   0   cat
 *   4295010    10     1         0   0   swapper/0
 *
 * There is no /proc here: this module's init does what a read of each file
 * did, in the same process context (bh-modrun's main thread, named insmod,
 * plays `cat`), and prints the table with printk. `show` picks the tables
 * (default all three), `tdelay` the timer's period in jiffies (the book's
 * parameter, default 10), `loops` the runs (default 5). What to look for:
 * the first line is the reader (inirq 0, its own pid and name); the others
 * ran in softirq context (inirq 1) on the ksoftirqd/N thread or on the
 * thread a top half interrupted; the timer's lines are tdelay apart, the
 * tasklet's 0 (it reschedules itself and runs again in the same pass).
 *
 *   bh-modrun jit_module.so --oneshot
 *   bh-modrun jit_module.so show=jitimer tdelay=25 --oneshot
 */
#include <linux/hardirq.h>
#include <linux/init.h>
#include <linux/interrupt.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/timer.h>
#include <linux/wait.h>

#define JIT_ASYNC_LOOPS 5
#define JIT_BUF_SIZE	4096

static int tdelay = 10;
module_param(tdelay, int, 0);
MODULE_PARM_DESC(tdelay, "jitimer's period, in jiffies");
static int loops = JIT_ASYNC_LOOPS;
module_param(loops, int, 0);
MODULE_PARM_DESC(loops, "lines each timer or tasklet writes");
static char *show = "jitimer,jitasklet,jitasklethi";
module_param(show, charp, 0);
MODULE_PARM_DESC(show, "the tables to print, comma-separated");

/* What a read of one file keeps while the timer or tasklet fills it. */
struct jit_data {
	struct timer_list timer;
	struct tasklet_struct tlet;
	int hi; /* tasklet or tasklet_hi */
	wait_queue_head_t wait;
	unsigned long prevjiffies;
	char *buf, *end;
	int loops;
};

/* One line: when, how long after the previous, and who runs us. */
static void jit_line(struct jit_data *data, unsigned long j)
{
	data->buf += scnprintf(data->buf, data->end - data->buf,
			       "%9li  %3li     %i    %6i   %i   %s\n", j,
			       j - data->prevjiffies, in_interrupt() ? 1 : 0,
			       current->pid, smp_processor_id(), current->comm);
}

static void jit_timer_fn(struct timer_list *t)
{
	struct jit_data *data = from_timer(data, t, timer);
	unsigned long j = jiffies;

	jit_line(data, j);
	/* WRITE_ONCE: the reader tests loops without a lock. */
	WRITE_ONCE(data->loops, data->loops - 1);
	if (data->loops) {
		data->timer.expires += tdelay;
		data->prevjiffies = j;
		add_timer(&data->timer);
	} else {
		wake_up_interruptible(&data->wait);
	}
}

static void jit_tasklet_fn(unsigned long arg)
{
	struct jit_data *data = (struct jit_data *)arg;
	unsigned long j = jiffies;

	jit_line(data, j);
	WRITE_ONCE(data->loops, data->loops - 1);
	if (data->loops) {
		data->prevjiffies = j;
		if (data->hi)
			tasklet_hi_schedule(&data->tlet);
		else
			tasklet_schedule(&data->tlet);
	} else {
		wake_up_interruptible(&data->wait);
	}
}

/* Print the table a line at a time, as the file's reader would see it. */
static void jit_print(const char *file, char *buf)
{
	char *line;

	pr_info("$ cat /proc/%s\n", file);
	while ((line = strsep(&buf, "\n")) && *line)
		pr_info("%s\n", line);
}

/* What reading /proc/jitimer or /proc/jitasklet[hi] did. */
static int jit_read(const char *file, int timer, int hi)
{
	struct jit_data *data;
	char *buf;
	unsigned long j = jiffies;
	int ret = 0;

	buf = kmalloc(JIT_BUF_SIZE, GFP_KERNEL);
	data = kmalloc(sizeof(*data), GFP_KERNEL);
	if (!buf || !data) {
		ret = -ENOMEM;
		goto out;
	}
	init_waitqueue_head(&data->wait);

	/* write the first lines in the buffer */
	data->buf = buf;
	data->end = buf + JIT_BUF_SIZE;
	data->buf += scnprintf(data->buf, data->end - data->buf,
			       "   time   delta  inirq    pid   cpu command\n");
	data->prevjiffies = j;
	jit_line(data, j);
	data->loops = loops;

	if (timer) {
		timer_setup(&data->timer, jit_timer_fn, 0);
		data->timer.expires = j + tdelay;
		add_timer(&data->timer);
	} else {
		tasklet_init(&data->tlet, jit_tasklet_fn, (unsigned long)data);
		data->hi = hi;
		if (hi)
			tasklet_hi_schedule(&data->tlet);
		else
			tasklet_schedule(&data->tlet);
	}

	/* wait for the buffer to fill */
	if (wait_event_interruptible(data->wait, !READ_ONCE(data->loops))) {
		/* interrupted: make sure nothing runs on after we return */
		if (timer)
			timer_delete_sync(&data->timer);
		else
			tasklet_kill(&data->tlet);
		ret = -ERESTARTSYS;
		goto out;
	}
	/*
	 * The book frees data here at once. But the last run may not have
	 * returned: it set loops to 0, and we may have seen that before its
	 * wake_up_interruptible(&data->wait) touched data. Wait for it
	 * first (the book's code has this use-after-free in the kernel too;
	 * ThreadSanitizer finds it here).
	 */
	if (timer)
		timer_delete_sync(&data->timer);
	else
		tasklet_kill(&data->tlet);
	jit_print(file, buf);
out:
	kfree(data);
	kfree(buf);
	return ret;
}

static int __init jit_init(void)
{
	static const struct {
		const char *file;
		int timer, hi;
	} files[] = {
		{"jitimer", 1, 0},
		{"jitasklet", 0, 0},
		{"jitasklethi", 0, 1},
	};
	int ret;

	if (loops < 1 || tdelay < 0)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		if (!strstr(show, files[i].file))
			continue;
		/* "jitasklet" is in "jitasklethi": match whole names */
		const char *p = show;
		size_t len = strlen(files[i].file);
		int found = 0;
		while ((p = strstr(p, files[i].file))) {
			if ((p == show || p[-1] == ',') &&
			    (p[len] == ',' || p[len] == '\0'))
				found = 1;
			p += len;
		}
		if (!found)
			continue;
		ret = jit_read(files[i].file, files[i].timer, files[i].hi);
		if (ret)
			return ret;
	}
	return 0;
}

static void __exit jit_exit(void)
{
}

module_init(jit_init);
module_exit(jit_exit);
MODULE_AUTHOR("Alessandro Rubini (the book's jit); bottomhalf");
MODULE_DESCRIPTION("LDD3's jitimer, jitasklet and jitasklethi tables");
MODULE_LICENSE("Dual BSD/GPL");
