/* SPDX-License-Identifier: MIT */
/*
 * The kernel spellings (compat/linux/ headers) used as kernel code uses them.
 *
 * The first half of this file is a "driver" written against <linux/...>
 * only, with the forms of several kernel versions: the 2.6-5.8
 * DECLARE_TASKLET(name, func, data), the 5.9+ DECLARE_TASKLET(name,
 * callback) with from_tasklet(), tasklet_init() from a top half as the
 * textbook example does (seeds/002: a top half that re-initialises and
 * schedules a tasklet and printk()s), both open_softirq() handler types and
 * the 2.6 one with data. The second half is the test host: it starts the
 * runtime in deterministic mode (no threads; bh_run_all() runs bottom
 * halves) and checks what the driver saw.
 *
 * Callbacks never assert (a failure would longjmp out of the library in
 * the middle of a softirq): they record, and the tests assert afterwards.
 */
#define pr_fmt(fmt) "compatmod: " fmt

#include <linux/errno.h>
#include <linux/interrupt.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <linux/types.h>

/* ---- the driver: kernel spellings only ------------------------------- */

struct mydev {
	int id;
	spinlock_t lock;
	unsigned long events; /* under lock */
	struct tasklet_struct tasklet;
	/* what the last callback saw */
	struct mydev *seen_dev;
	struct tasklet_struct *seen_t;
	bool seen_softirq, seen_serving, seen_task, seen_hardirq, seen_irqs_off;
	int seen_preempt;
	unsigned int runs;
};

static struct mydev mydev = {
	.id = 1119,
	.lock = __SPIN_LOCK_UNLOCKED(mydev.lock),
};

static void note_context(struct mydev *d)
{
	d->seen_softirq = in_softirq();
	d->seen_serving = in_serving_softirq();
	d->seen_task = in_task();
	d->seen_hardirq = in_hardirq();
	d->seen_irqs_off = irqs_disabled();
	d->seen_preempt = preempt_count();
	d->runs++;
}

/* Old style (every version up to 5.8, DECLARE_TASKLET_OLD after): data. */
static void old_handler(unsigned long data)
{
	struct mydev *d = (struct mydev *)data;
	spin_lock(&d->lock);
	d->events++;
	spin_unlock(&d->lock);
	d->seen_dev = d;
	note_context(d);
}

static DECLARE_TASKLET(old_tasklet, old_handler, (unsigned long)&mydev);

/* New style (5.9+): the callback gets the tasklet. */
static struct mydev newdev = {.id = 59};

static void new_callback(struct tasklet_struct *t)
{
	newdev.seen_t = t;
	note_context(&newdev);
}

static DECLARE_TASKLET(new_tasklet, new_callback);

/* tasklet_setup on an embedded tasklet; from_tasklet finds the device. */
static void embedded_callback(struct tasklet_struct *t)
{
	struct mydev *d = from_tasklet(d, t, tasklet);
	d->seen_dev = d;
	d->seen_t = t;
	note_context(d);
}

/* 5.9+ spelling of the old form: data is fixed at 0. */
static unsigned long old59_data = 42;
static unsigned int old59_runs;
static void old59_handler(unsigned long data)
{
	old59_data = data;
	old59_runs++;
}
static DECLARE_TASKLET_OLD(old59_tasklet, old59_handler);

/* The *_DISABLED forms, both arities and the _OLD name (T18). */
static unsigned int dis_runs[3];
static unsigned long dis_data;
static void dis_old_handler(unsigned long data)
{
	dis_data = data;
	dis_runs[0]++;
}
static void dis_new_callback(struct tasklet_struct *t)
{
	(void)t;
	dis_runs[1]++;
}
static void dis_old59_handler(unsigned long data)
{
	(void)data;
	dis_runs[2]++;
}
static DECLARE_TASKLET_DISABLED(dis_old, dis_old_handler, 7);
static DECLARE_TASKLET_DISABLED(dis_new, dis_new_callback);
static DECLARE_TASKLET_DISABLED_OLD(dis_old59, dis_old59_handler);

/*
 * seeds/002: a top half that (re)initialises a tasklet and schedules it,
 * for its first ten interrupts, printk()ing as it goes.
 */
static struct tasklet_struct mytasklet;
static unsigned int mytasklet_runs;
static bool mytasklet_in_softirq = true;

static void mytasklet_handler(unsigned long data)
{
	(void)data;
	mytasklet_runs++;
	mytasklet_in_softirq &= in_serving_softirq() && !in_hardirq();
	printk("This is tasklet handler.\n");
}

static bool top_half_in_hardirq = true;

static int myirq_handler(int irq, void *dev)
{
	static int count;
	(void)irq;
	(void)dev;
	top_half_in_hardirq &= in_irq() && in_interrupt() && !in_task();
	if (count < 10) {
		printk("-----------%d start-----------\n", count + 1);
		printk("The interrupt handler is working.\n");
		tasklet_init(&mytasklet, mytasklet_handler, 0);
		tasklet_schedule(&mytasklet);
		printk("The top half has been done and bottom half will be "
		       "processed.\n");
	}
	count++;
	return 1;
}

/* Order of HI and normal tasklets (T6). */
static int order[4];
static unsigned int norder;
static void order_old(unsigned long data)
{
	if (norder < 4)
		order[norder] = (int)data;
	norder++;
}
static DECLARE_TASKLET(lo_tasklet, order_old, 1);
static DECLARE_TASKLET(hi_tasklet, order_old, 2);

/* Softirq handlers: 6.11+ (void), pre-6.11 (struct softirq_action *) and
 * the 2.6 form that came with a data pointer. */
static unsigned int new_action_runs;
static bool new_action_serving;
static void new_action(void)
{
	new_action_runs++;
	new_action_serving = in_serving_softirq();
}

static unsigned int old_action_runs;
static struct softirq_action *old_action_arg;
static void old_action(struct softirq_action *a)
{
	old_action_runs++;
	old_action_arg = a;
}

static int cookie = 26;
static unsigned int data_action_runs;
static void *data_action_data;
static void data_action(struct softirq_action *a)
{
	data_action_runs++;
	data_action_data = a->data;
}

/* A driver that raises softirqs with interrupts off. */
static void kick_softirqs(void)
{
	unsigned long flags;
	local_irq_save(flags);
	raise_softirq_irqoff(NET_TX_SOFTIRQ);
	__raise_softirq_irqoff(BLOCK_SOFTIRQ);
	local_irq_restore(flags);
	raise_softirq(IRQ_POLL_SOFTIRQ);
}

/* ---- the test host ----------------------------------------------------- */

#include <signal.h>
#include <stdlib.h> /* before harness.h, which uses getenv() */
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

/* The harness sink keeps the text; this one also keeps each level. */
#define MAX_MSGS 256
static int msg_level[MAX_MSGS];
static unsigned int nmsgs;

static void level_sink(void *arg, int level, const char *text, size_t len)
{
	unsigned int i = __atomic_fetch_add(&nmsgs, 1, __ATOMIC_RELAXED);
	if (i < MAX_MSGS)
		msg_level[i] = level;
	th_log_sink(arg, level, text, len);
}

static void start(int nr_cpus)
{
	struct bh_config cfg;
	th_log_clear();
	nmsgs = 0;
	th_config(&cfg, nr_cpus, true);
	cfg.log = level_sink;
	assert_int_equal(bh_init(&cfg), 0);
	assert_int_equal(bh_thread_set_cpu(0), 0);
}

/* SPEC L7, SPEC T11: the ≤5.8 three-argument form calls func(data). */
static void test_declare_tasklet_old_form(void **state)
{
	(void)state;
	start(1);
	mydev.runs = 0;
	mydev.seen_dev = NULL;
	tasklet_schedule(&old_tasklet);
	tasklet_schedule(&old_tasklet); /* coalesces (T2) */
	assert_true(old_tasklet.state & (1UL << TASKLET_STATE_SCHED));
	assert_int_equal(bh_run_all(0), 1);
	assert_int_equal(mydev.runs, 1);
	assert_ptr_equal(mydev.seen_dev, &mydev);
	assert_int_equal(mydev.events, 1);
	/* T25: softirq context, hardirqs on. */
	assert_true(mydev.seen_softirq);
	assert_true(mydev.seen_serving);
	assert_false(mydev.seen_task);
	assert_false(mydev.seen_hardirq);
	assert_false(mydev.seen_irqs_off);
	assert_true(mydev.seen_preempt & SOFTIRQ_OFFSET);
	assert_false(old_tasklet.state & (1UL << TASKLET_STATE_SCHED));
	th_shutdown();
}

/* SPEC T11: the 5.9+ forms call callback(t); from_tasklet finds the
 * object. */
static void test_declare_tasklet_new_form(void **state)
{
	(void)state;
	start(1);
	newdev.runs = 0;
	tasklet_schedule(&new_tasklet);
	assert_int_equal(bh_run_all(0), 1);
	assert_int_equal(newdev.runs, 1);
	assert_ptr_equal(newdev.seen_t, &new_tasklet);
	assert_true(newdev.seen_serving);

	struct mydev *d = calloc(1, sizeof(*d));
	assert_non_null(d);
	spin_lock_init(&d->lock);
	tasklet_setup(&d->tasklet, embedded_callback);
	assert_true(d->tasklet.use_callback);
	assert_int_equal(d->tasklet.data, 0); /* T19 */
	tasklet_hi_schedule(&d->tasklet);
	assert_int_equal(bh_run_all(0), 1);
	assert_int_equal(d->runs, 1);
	assert_ptr_equal(d->seen_dev, d);
	assert_ptr_equal(d->seen_t, &d->tasklet);
	tasklet_kill(&d->tasklet);
	free(d);
	th_shutdown();
}

/* SPEC L7: DECLARE_TASKLET_OLD(name, func) is the old form with data 0. */
static void test_declare_tasklet_old_59(void **state)
{
	(void)state;
	start(1);
	old59_runs = 0;
	assert_false(old59_tasklet.use_callback);
	tasklet_schedule(&old59_tasklet);
	assert_int_equal(bh_run_all(0), 1);
	assert_int_equal(old59_runs, 1);
	assert_int_equal(old59_data, 0);
	th_shutdown();
}

/* SPEC T18: every *_DISABLED declarator needs one tasklet_enable(). */
static void test_declare_tasklet_disabled(void **state)
{
	(void)state;
	struct tasklet_struct *ts[3] = {&dis_old, &dis_new, &dis_old59};
	start(1);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(ts[i]->count.counter, 1);
		tasklet_schedule(ts[i]);
	}
	bh_run_all(0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(dis_runs[i], 0);
		/* T13/T17: still scheduled while disabled. */
		assert_true(ts[i]->state & (1UL << TASKLET_STATE_SCHED));
	}
	for (int i = 0; i < 3; i++)
		tasklet_enable(ts[i]);
	bh_run_all(0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(dis_runs[i], 1);
		assert_int_equal(ts[i]->count.counter, 0);
	}
	assert_int_equal(dis_data, 7);
	assert_false(dis_new.use_callback == false);
	th_shutdown();
}

/* seeds/002: the top half runs in hardirq context, and the tasklet it
 * schedules runs when the interrupt exits (S9), once per interrupt. */
static void test_seed_top_half_schedules_tasklet(void **state)
{
	(void)state;
	start(1);
	mytasklet_runs = 0;
	for (int irq = 0; irq < 12; irq++) {
		irq_enter();
		myirq_handler(17, &mydev);
		irq_exit();
		assert_false(in_interrupt());
		assert_int_equal(mytasklet_runs, irq < 10 ? irq + 1 : 10);
	}
	assert_int_equal(bh_run_all(0), 0);
	assert_true(top_half_in_hardirq);
	assert_true(mytasklet_in_softirq);
	assert_true(th_log_has("-----------10 start"));
	assert_false(th_log_has("-----------11 start"));
	assert_true(th_log_has("This is tasklet handler."));
	/* printk() without a level: the kernel's default, KERN_WARNING. */
	assert_int_equal(msg_level[0], 4);
	th_shutdown();
}

/* SPEC T12, T14, T6, T20: disable/enable, hi before normal, kill,
 * trylock. */
static void test_tasklet_calls(void **state)
{
	(void)state;
	start(1);
	mydev.runs = 0;
	tasklet_disable(&old_tasklet);
	tasklet_schedule(&old_tasklet);
	bh_run_all(0);
	assert_int_equal(mydev.runs, 0);
	tasklet_disable_nosync(&old_tasklet);
	tasklet_enable(&old_tasklet);
	bh_run_all(0);
	assert_int_equal(mydev.runs, 0);
	tasklet_enable(&old_tasklet);
	bh_run_all(0);
	assert_int_equal(mydev.runs, 1);
	/* T14: enabling never schedules. */
	tasklet_disable_in_atomic(&old_tasklet);
	tasklet_enable(&old_tasklet);
	assert_int_equal(bh_run_all(0), 0);
	assert_int_equal(mydev.runs, 1);

	norder = 0;
	tasklet_schedule(&lo_tasklet);
	tasklet_hi_schedule(&hi_tasklet);
	bh_run_all(0);
	assert_int_equal(norder, 2);
	assert_int_equal(order[0], 2);
	assert_int_equal(order[1], 1);

	/* Taking RUN by hand, as tasklet_trylock() users do. */
	assert_true(tasklet_trylock(&lo_tasklet));
	assert_true(lo_tasklet.state & (1UL << TASKLET_STATE_RUN));
	assert_false(tasklet_trylock(&lo_tasklet));
	tasklet_unlock(&lo_tasklet);
	assert_false(lo_tasklet.state & (1UL << TASKLET_STATE_RUN));
	tasklet_unlock_wait(&lo_tasklet);
	tasklet_unlock_spin_wait(&lo_tasklet);
	tasklet_kill(&lo_tasklet);
	tasklet_kill(&hi_tasklet);
	assert_int_equal(lo_tasklet.state, 0);
	assert_int_equal(bh_warn_count(), 0);
	th_shutdown();
}

/* SPEC S2, S3, S9, S10: softirqs opened with every handler type, raised
 * from task context, with irqs off and inside a bh-disabled section. */
static void test_softirq_spellings(void **state)
{
	(void)state;
	start(1);
	open_softirq(NET_TX_SOFTIRQ, new_action);
	open_softirq(BLOCK_SOFTIRQ, old_action);
	open_softirq(IRQ_POLL_SOFTIRQ, data_action, &cookie);
	new_action_runs = old_action_runs = data_action_runs = 0;

	kick_softirqs();
	kick_softirqs(); /* S3: coalesces */
	assert_int_equal(local_softirq_pending(),
			 (1u << NET_TX_SOFTIRQ) | (1u << BLOCK_SOFTIRQ) |
				 (1u << IRQ_POLL_SOFTIRQ));
	assert_int_equal(bh_run_all(0), 3);
	assert_int_equal(local_softirq_pending(), 0);
	assert_int_equal(new_action_runs, 1);
	assert_true(new_action_serving);
	assert_int_equal(old_action_runs, 1);
	assert_non_null(old_action_arg);
	assert_ptr_equal(old_action_arg->action, old_action);
	assert_int_equal(data_action_runs, 1);
	assert_ptr_equal(data_action_data, &cookie);

	/* S10: only the outermost local_bh_enable() runs them. */
	local_bh_disable();
	local_bh_disable();
	raise_softirq(NET_TX_SOFTIRQ);
	local_bh_enable();
	assert_int_equal(new_action_runs, 1);
	local_bh_enable();
	assert_int_equal(new_action_runs, 2);

	assert_string_equal(softirq_to_name[NET_TX_SOFTIRQ], "NET_TX");
	assert_string_equal(softirq_to_name[TASKLET_SOFTIRQ], "TASKLET");
	th_shutdown();
}

/* SPEC U4: local_irq_save(flags) turns interrupts off and nests. */
static void test_irqflags(void **state)
{
	(void)state;
	unsigned long flags, inner;
	start(1);
	assert_false(irqs_disabled());
	assert_true(preemptible());
	local_irq_save(flags);
	assert_true(irqs_disabled());
	assert_false(preemptible());
	local_irq_save(inner);
	assert_true(irqs_disabled());
	local_irq_restore(inner);
	assert_true(irqs_disabled());
	local_irq_restore(flags);
	assert_false(irqs_disabled());
	local_irq_disable();
	assert_true(irqs_disabled());
	local_irq_enable();
	assert_false(irqs_disabled());
	assert_int_equal(bh_warn_count(), 0);
	th_shutdown();
}

static DEFINE_SPINLOCK(static_lock);

/* Spinlocks raise the preempt count and carry the _bh/_irq context. */
static void test_spinlocks(void **state)
{
	(void)state;
	unsigned long flags;
	start(1);
	assert_false(spin_is_locked(&static_lock));
	spin_lock_irqsave(&static_lock, flags);
	assert_true(irqs_disabled());
	assert_true(spin_is_locked(&static_lock));
	assert_true(in_atomic());
	assert_int_equal(preempt_count() & PREEMPT_MASK, 1);
	assert_spin_locked(&static_lock);
	spin_unlock_irqrestore(&static_lock, flags);
	assert_false(irqs_disabled());
	assert_false(spin_is_locked(&static_lock));
	assert_false(in_atomic());

	spin_lock_irq(&static_lock);
	assert_true(irqs_disabled());
	spin_unlock_irq(&static_lock);
	assert_false(irqs_disabled());

	/* S15: bh off, in_softirq and in_interrupt, still a task. */
	spin_lock_bh(&mydev.lock);
	assert_true(in_softirq());
	assert_true(in_interrupt());
	assert_false(in_serving_softirq());
	assert_true(in_task());
	unsigned long events = mydev.events;
	spin_unlock_bh(&mydev.lock);
	assert_false(in_softirq());
	(void)events;

	assert_true(spin_trylock(&static_lock));
	assert_true(in_atomic());
	spin_unlock(&static_lock);
	spin_lock(&static_lock);
	spin_unlock(&static_lock);
	assert_int_equal(preempt_count(), 0);
	assert_int_equal(bh_warn_count(), 0);
	th_shutdown();
}

/* The kernel's counts: HARDIRQ_OFFSET per irq_enter, SOFTIRQ_DISABLE_OFFSET
 * per local_bh_disable, PREEMPT per get_cpu (SPEC S15). */
static void test_preempt_and_smp(void **state)
{
	(void)state;
	start(2);
	assert_int_equal(bh_thread_set_cpu(1), 0);
	assert_int_equal(smp_processor_id(), 1);
	assert_int_equal(raw_smp_processor_id(), 1);
	assert_true(in_task());
	assert_false(in_interrupt());

	int cpu = get_cpu();
	assert_int_equal(cpu, 1);
	assert_true(in_atomic());
	assert_int_equal(preempt_count(), PREEMPT_OFFSET);
	put_cpu();
	assert_int_equal(preempt_count(), 0);

	irq_enter();
	assert_true(in_irq());
	assert_true(in_hardirq());
	assert_true(in_interrupt());
	assert_false(in_task());
	assert_false(in_nmi());
	assert_int_equal(hardirq_count(), HARDIRQ_OFFSET);
	irq_exit();
	assert_int_equal(preempt_count(), 0);

	local_bh_disable();
	assert_int_equal(softirq_count(), SOFTIRQ_DISABLE_OFFSET);
	assert_true(in_softirq());
	assert_false(in_serving_softirq());
	assert_true(in_interrupt());
	assert_true(in_task());
	assert_int_equal(irq_count(), SOFTIRQ_DISABLE_OFFSET);
	local_bh_enable();

	preempt_disable();
	assert_true(in_atomic());
	preempt_enable_no_resched();
	preempt_disable();
	preempt_enable();
	assert_int_equal(preempt_count(), 0);
	assert_int_equal(bh_warn_count(), 0);
	th_shutdown();
}

/* jiffies/HZ at run time, and comparisons that survive the wrap. */
static void test_jiffies(void **state)
{
	(void)state;
	start(1);
	assert_int_equal(HZ, (int)bh_hz());
	assert_int_equal(HZ, 250); /* the default */
	/* Deterministic mode starts the virtual clock at INITIAL_JIFFIES. */
	assert_int_equal(jiffies, INITIAL_JIFFIES);
	assert_int_equal(get_jiffies_64(), jiffies);
	assert_int_equal(jiffies_64, get_jiffies_64());
	assert_int_equal(msecs_to_jiffies(1000), HZ);
	assert_int_equal(msecs_to_jiffies(1), 1); /* rounds up */
	assert_int_equal(usecs_to_jiffies(1), 1);
	assert_int_equal(jiffies_to_msecs(HZ), 1000);
	assert_int_equal(jiffies_to_usecs(1), 4000);
	assert_int_equal(MAX_JIFFY_OFFSET, (LONG_MAX >> 1) - 1);

	unsigned long timeout = jiffies + msecs_to_jiffies(100);
	assert_true(time_before(jiffies, timeout));
	assert_true(time_is_after_jiffies(timeout));
	assert_false(time_is_before_jiffies(timeout));
	assert_int_equal(bh_advance_jiffies(msecs_to_jiffies(100)), 0);
	assert_true(time_after_eq(jiffies, timeout));
	assert_false(time_after(jiffies, timeout));
	assert_true(time_is_before_eq_jiffies(timeout));
	assert_int_equal(bh_advance_jiffies(1), 0);
	assert_true(time_after(jiffies, timeout));
	assert_true(time_is_before_jiffies(timeout));

	/* Past the 32-bit wrap that INITIAL_JIFFIES puts 300 s ahead. */
	unsigned long before = jiffies;
	assert_int_equal(bh_advance_jiffies(300ul * (unsigned long)HZ), 0);
	assert_true((u32)jiffies < (u32)before);
	assert_true(time_after(jiffies, before));

	/* Wrap of the whole unsigned long. */
	unsigned long a = ULONG_MAX - 2, b = a + 5;
	assert_true(b < a);
	assert_true(time_after(b, a));
	assert_true(time_before(a, b));
	assert_true(time_after_eq(b, b));
	assert_true(time_before_eq(a, a));
	assert_true(time_in_range(a + 1, a, b));
	assert_true(time_in_range(b, a, b));
	assert_false(time_in_range_open(b, a, b));
	u64 x = ~0ull - 1, y = x + 3;
	assert_true(time_after64(y, x));
	assert_true(time_before64(x, y));
	assert_true(time_after_eq64(y, y));
	assert_true(time_before_eq64(x, y));
	assert_true(time_in_range64(x + 1, x, y));
	th_shutdown();
}

/* printk levels reach the sink as the kernel numbers them. */
static void test_printk(void **state)
{
	(void)state;
	start(1);
	printk(KERN_INFO "info %d\n", 6);
	assert_int_equal(nmsgs, 1);
	assert_int_equal(msg_level[0], 6);
	assert_true(th_log_has("info 6\n"));
	assert_false(th_log_has("\001"));

	pr_emerg("e\n");
	pr_alert("a\n");
	pr_crit("c\n");
	pr_err("r\n");
	pr_warn("w\n");
	pr_notice("n\n");
	pr_info("i\n");
	assert_int_equal(nmsgs, 8);
	for (int i = 0; i < 7; i++)
		assert_int_equal(msg_level[1 + i], i);
	assert_true(th_log_has("compatmod: e\n"));
	assert_true(th_log_has("compatmod: i\n"));

	/* pr_debug prints only with DEBUG defined (no dynamic debug). */
	pr_debug("hidden %d\n", 1);
	assert_int_equal(nmsgs, 8);

	/* A continuation carries no prefix of its own. */
	pr_info("line");
	pr_cont(" continued\n");
	assert_true(th_log_has("compatmod: line continued\n"));

	for (int i = 0; i < 3; i++)
		pr_info_once("once\n");
	/* Exactly one copy. */
	const char *first = strstr(th_log.text, "compatmod: once\n");
	assert_non_null(first);
	assert_null(strstr(first + 1, "compatmod: once\n"));

	printk(KERN_DEBUG "debug\n");
	assert_int_equal(msg_level[nmsgs - 1], 7);
	printk(KERN_DEFAULT "default\n");
	assert_int_equal(msg_level[nmsgs - 1], 4);
	th_shutdown();
}

/* WARN* report and yield the condition; might_sleep splats in atomic
 * context (SPEC U8, M15). */
static void test_warn_and_might_sleep(void **state)
{
	(void)state;
	start(1);
	assert_false(WARN_ON(0));
	assert_int_equal(bh_warn_count(), 0);
	assert_int_equal(nmsgs, 0);

	assert_true(WARN_ON(1));
	assert_int_equal(bh_warn_count(), 1);
	assert_true(th_log_has("WARNING:"));
	assert_true(th_log_has("test_compat_kernel_style.c"));

	int x = 3;
	assert_true(WARN(x == 3, "x is %d", x));
	assert_true(th_log_has("x is 3"));
	assert_int_equal(bh_warn_count(), 2);

	for (int i = 0; i < 3; i++) {
		assert_true(WARN_ON_ONCE(i >= 0));
		assert_true(WARN_ONCE(i >= 0, "once %d", i));
	}
	assert_int_equal(bh_warn_count(), 4);
	assert_false(th_log_has("once 1"));

	BUG_ON(x != 3);

	might_sleep();
	might_sleep_if(0);
	assert_int_equal(bh_warn_count(), 4);
	assert_false(th_log_has("invalid context"));
	spin_lock(&static_lock);
	might_sleep();
	spin_unlock(&static_lock);
	assert_true(
		th_log_has("sleeping function called from invalid context"));
	assert_true(th_log_has("test_compat_kernel_style.c"));
	th_shutdown();
}

/* BUG_ON(1) reports "kernel BUG at file:line!" and aborts. */
static int bug_child(void *arg)
{
	(void)arg;
	struct bh_config cfg;
	th_child_config(&cfg, 1, true);
	if (bh_init(&cfg) != 0)
		return 2;
	int bad = 1;
	BUG_ON(bad);
	return 0; /* not reached */
}

static void test_bug_aborts(void **state)
{
	(void)state;
	char buf[4096];
	int status = th_run_child(bug_child, NULL, buf, sizeof(buf));
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	assert_non_null(strstr(buf, "BUG: kernel BUG at "));
	assert_non_null(strstr(buf, "test_compat_kernel_style.c:"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_declare_tasklet_old_form,
					  th_teardown),
		cmocka_unit_test_teardown(test_declare_tasklet_new_form,
					  th_teardown),
		cmocka_unit_test_teardown(test_declare_tasklet_old_59,
					  th_teardown),
		cmocka_unit_test_teardown(test_declare_tasklet_disabled,
					  th_teardown),
		cmocka_unit_test_teardown(test_seed_top_half_schedules_tasklet,
					  th_teardown),
		cmocka_unit_test_teardown(test_tasklet_calls, th_teardown),
		cmocka_unit_test_teardown(test_softirq_spellings, th_teardown),
		cmocka_unit_test_teardown(test_irqflags, th_teardown),
		cmocka_unit_test_teardown(test_spinlocks, th_teardown),
		cmocka_unit_test_teardown(test_preempt_and_smp, th_teardown),
		cmocka_unit_test_teardown(test_jiffies, th_teardown),
		cmocka_unit_test_teardown(test_printk, th_teardown),
		cmocka_unit_test_teardown(test_warn_and_might_sleep,
					  th_teardown),
		cmocka_unit_test_teardown(test_bug_aborts, th_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
