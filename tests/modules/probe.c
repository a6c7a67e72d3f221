/* SPDX-License-Identifier: MIT */
/*
 * A module for bh-modrun's own tests (tests/modrun_check.sh): it prints
 * every parameter type at init, and, given `irq`, requests that line with
 * a top half that drains the "device" (`dev`, a FIFO the test writes to,
 * for an fd line) and schedules a statically declared tasklet, for its
 * first `count` interrupts. Unlike the textbook modules it never
 * re-initialises the tasklet, so nothing races when the top half runs in
 * a signal handler and the tasklet on ksoftirqd.
 */
#include <fcntl.h>
#include <unistd.h>

#include <linux/init.h>
#include <linux/interrupt.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/atomic.h>
#include <linux/errno.h>
#include <linux/sched.h>

static int irq = -1;
module_param(irq, int, 0444);
MODULE_PARM_DESC(irq, "line to request (none if negative)");
static int count = 10;
module_param(count, int, 0444);
static char *dev;
module_param(dev, charp, 0444);
MODULE_PARM_DESC(dev, "file the top half drains, for an fd line");

static bool flag;
module_param(flag, bool, 0444);
static bool inv;
module_param(inv, invbool, 0444);
static unsigned char by;
module_param(by, byte, 0444);
static short sh;
module_param(sh, short, 0444);
static unsigned short ush;
module_param(ush, ushort, 0444);
static unsigned int ui;
module_param(ui, uint, 0444);
static long lo;
module_param(lo, long, 0444);
static unsigned long ul;
module_param(ul, ulong, 0444);
static unsigned long long ull;
module_param(ull, ullong, 0444);
static unsigned int hx;
module_param(hx, hexint, 0444);
static int arr[4];
static unsigned int nr_arr;
module_param_array(arr, int, &nr_arr, 0444);
static char str[8] = "none";
module_param_string(str, str, sizeof(str), 0444);
static int renamed_var;
module_param_named(renamed, renamed_var, int, 0444);

static int dev_fd = -1;
static atomic_t tops = ATOMIC_INIT(0);
static int bottoms;

static void probe_bh(struct tasklet_struct *t)
{
	(void)t;
	pr_info("bottom half %d\n", ++bottoms);
}

static DECLARE_TASKLET(probe_tasklet, probe_bh);

static irqreturn_t probe_top(int line, void *dev_id)
{
	char buf[64];
	(void)line;
	(void)dev_id;
	/* A level line fires while the device has data: drain it. */
	if (dev_fd >= 0)
		while (read(dev_fd, buf, sizeof(buf)) > 0)
			;
	if (atomic_inc_return(&tops) <= count) {
		pr_info("top half %d\n", atomic_read(&tops));
		tasklet_schedule(&probe_tasklet);
	}
	return IRQ_HANDLED;
}

static int __init probe_init(void)
{
	pr_info("flag=%d inv=%d by=%u sh=%d ush=%u ui=%u lo=%ld ul=%lu "
		"ull=%llu hx=%#x str=%s renamed=%d\n",
		flag, inv, by, sh, ush, ui, lo, ul, ull, hx, str, renamed_var);
	pr_info("arr=%u:%d,%d,%d,%d\n", nr_arr, arr[0], arr[1], arr[2], arr[3]);
	pr_info("comm=%s\n", current->comm);
	if (irq < 0)
		return 0;
	if (dev) {
		dev_fd = open(dev, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (dev_fd < 0)
			return -ENODEV;
	}
	int err = request_irq(irq, probe_top, 0, "probe", &dev_fd);
	if (err && dev_fd >= 0)
		close(dev_fd);
	if (!err)
		pr_info("irq %d requested\n", irq);
	return err;
}

static void __exit probe_exit(void)
{
	pr_info("comm=%s\n", current->comm);
	if (irq < 0)
		return;
	free_irq(irq, &dev_fd);
	tasklet_kill(&probe_tasklet);
	if (dev_fd >= 0)
		close(dev_fd);
	pr_info("unloaded after %d top halves\n", atomic_read(&tops));
}

module_init(probe_init);
module_exit(probe_exit);
MODULE_LICENSE("MIT");
MODULE_AUTHOR("bottomhalf");
MODULE_DESCRIPTION("bh-modrun's test module");
MODULE_VERSION("1.0");
