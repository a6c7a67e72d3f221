/* SPDX-License-Identifier: MIT */
/*
 * <linux/timer.h> used as kernel code uses it (SPEC K1-K10).
 *
 * The first half is a "driver" written against <linux/...> only, in the
 * 4.15+ form: a device that embeds a timer_list, timer_setup() and
 * from_timer() in the callback, a poll timer that re-arms itself with
 * mod_timer(&dev->timer, jiffies + HZ/10), del_timer_sync() at teardown,
 * and DEFINE_TIMER() with add_timer(). The second half is the test host:
 * the runtime in deterministic mode, the virtual clock stepped one jiffy
 * at a time with bh_advance_jiffies(1) and the bottom halves run with
 * bh_run_all(0), so every firing jiffy is exact.
 *
 * <linux/timer.h> comes first, so this unit also proves that it compiles
 * on its own with the tests' flags (docs/COMPAT.md checks every header
 * alone with several compilers and standards). Callbacks never assert (a
 * failure would longjmp out of a softirq): they record, the tests assert.
 */
#include <linux/timer.h>

#include <linux/hardirq.h>
#include <linux/irqflags.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/preempt.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include <string.h> /* memset, as <linux/string.h> would give it */

/* ---- the driver: kernel spellings only ------------------------------- */

#define MYDEV_MAX_POLLS 16

struct mydev {
	int id;
	spinlock_t lock;
	struct timer_list timer;
	bool polling;	    /* re-arm while set; under lock */
	unsigned int polls; /* under lock */
	unsigned long fired_at[MYDEV_MAX_POLLS];
	/* what the last callback saw */
	struct mydev *seen_dev;
	struct timer_list *seen_timer;
	bool seen_serving_softirq, seen_task, seen_hardirq, seen_irqs_off;
	int seen_cpu;
	int rearm_ret; /* mod_timer() from the callback: was it pending? */
};

static void note_context(struct mydev *dev, struct timer_list *t)
{
	dev->seen_dev = dev;
	dev->seen_timer = t;
	dev->seen_serving_softirq = in_serving_softirq();
	dev->seen_task = in_task();
	dev->seen_hardirq = in_hardirq();
	dev->seen_irqs_off = irqs_disabled();
	dev->seen_cpu = smp_processor_id();
}

/* The poll timer: runs every HZ/10 while the device polls. */
static void mydev_poll(struct timer_list *t)
{
	struct mydev *dev = from_timer(dev, t, timer);

	spin_lock(&dev->lock);
	if (dev->polls < MYDEV_MAX_POLLS)
		dev->fired_at[dev->polls] = jiffies;
	dev->polls++;
	note_context(dev, t);
	if (dev->polling)
		dev->rearm_ret = mod_timer(&dev->timer, jiffies + HZ / 10);
	spin_unlock(&dev->lock);
}

static void mydev_start(struct mydev *dev, int id)
{
	memset(dev, 0, sizeof(*dev));
	dev->id = id;
	spin_lock_init(&dev->lock);
	timer_setup(&dev->timer, mydev_poll, 0);
	dev->polling = true;
	mod_timer(&dev->timer, jiffies + HZ / 10);
}

/* Teardown as a driver writes it: stop re-arming, then delete and wait. */
static int mydev_stop(struct mydev *dev)
{
	spin_lock_bh(&dev->lock);
	dev->polling = false;
	spin_unlock_bh(&dev->lock);
	return del_timer_sync(&dev->timer);
}

/* A file-scope timer, as DEFINE_TIMER() declares it (4.15+ form). */
static unsigned int watchdog_runs;
static unsigned long watchdog_at;
static struct timer_list *watchdog_seen;

static void watchdog_fn(struct timer_list *t)
{
	watchdog_seen = t;
	watchdog_at = jiffies;
	watchdog_runs++;
}

static DEFINE_TIMER(watchdog, watchdog_fn);

/* A callback that deletes its own timer synchronously: a bug (K6). */
static int self_sync_ret = 1234;
static void self_sync_fn(struct timer_list *t)
{
	self_sync_ret = del_timer_sync(t);
}

/* ---- the test host --------------------------------------------------- */

#include <stdlib.h> /* before harness.h, which uses getenv() */

#include "harness.h"

/* One "tick": the virtual clock moves by one jiffy, due timers run. */
static void tick(void)
{
	assert_int_equal(bh_advance_jiffies(1), 0);
	assert_true(bh_run_all(0) >= 0);
}

static void ticks(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		tick();
}

/* ---- layout and constants -------------------------------------------- */

/* The 4.15+ struct timer_list on LP64: entry (next, pprev), expires,
 * function, flags; 40 bytes. */
_Static_assert(sizeof(void *) != 8 || sizeof(struct timer_list) == 40,
	       "timer_list size");
_Static_assert(sizeof(void *) != 8 ||
		       (offsetof(struct timer_list, expires) == 16 &&
			offsetof(struct timer_list, function) == 24 &&
			offsetof(struct timer_list, flags) == 32),
	       "timer_list layout");
_Static_assert(__builtin_types_compatible_p(
		       __typeof__(((struct timer_list *)0)->function),
		       void (*)(struct timer_list *)),
	       "the 4.15+ callback type");
_Static_assert(__builtin_types_compatible_p(
		       __typeof__(((struct timer_list *)0)->expires),
		       unsigned long),
	       "expires is in jiffies");
_Static_assert(TIMER_CPUMASK == 0x0003FFFF && TIMER_DEFERRABLE == 0x00080000 &&
		       TIMER_PINNED == 0x00100000 &&
		       TIMER_IRQSAFE == 0x00200000 &&
		       TIMER_INIT_FLAGS == (TIMER_DEFERRABLE | TIMER_PINNED |
					    TIMER_IRQSAFE),
	       "the kernel's timer flag values");

static void test_types_and_names(void **state)
{
	(void)state;
	struct mydev dev;
	struct timer_list *t = &dev.timer;
	assert_ptr_equal(from_timer(&dev, t, timer), &dev);
	assert_ptr_equal(timer_container_of(&dev, t, timer), &dev);
	assert_ptr_equal(watchdog.function, watchdog_fn);
	assert_int_equal(watchdog.flags & TIMER_INIT_FLAGS, 0);
	assert_false(timer_pending(&watchdog));

	/* POSIX's timer_delete() is still reachable beside the kernel's. */
	timer_t id;
	struct sigevent sev = {.sigev_notify = SIGEV_NONE};
	assert_int_equal(timer_create(CLOCK_MONOTONIC, &sev, &id), 0);
	assert_int_equal((timer_delete)(id), 0);
}

/* ---- the periodic poll timer ----------------------------------------- */

/* SPEC K2, K7: fires at exactly start + HZ/10, then every HZ/10 after
 * the callback re-arms it; from_timer() finds the device. */
static void test_periodic_poll(void **state)
{
	(void)state;
	th_init_cpu0(1, true);
	assert_int_equal(HZ, 250);
	const unsigned long period = (unsigned long)(HZ / 10);
	static struct mydev dev;

	unsigned long start = jiffies;
	mydev_start(&dev, 7);
	assert_true(timer_pending(&dev.timer));
	assert_int_equal(dev.timer.expires, start + period);

	/* Never early: nothing at start + period - 1. */
	ticks(period - 1);
	assert_int_equal(dev.polls, 0);
	tick();
	assert_int_equal(dev.polls, 1);

	ticks(4 * period);
	assert_int_equal(dev.polls, 5);
	for (unsigned int i = 0; i < 5; i++)
		assert_int_equal(dev.fired_at[i], start + (i + 1) * period);

	assert_ptr_equal(dev.seen_dev, &dev);
	assert_ptr_equal(dev.seen_timer, &dev.timer);
	assert_int_equal(dev.rearm_ret, 0);    /* not pending while it runs */
	assert_true(dev.seen_serving_softirq); /* K4: TIMER_SOFTIRQ */
	assert_false(dev.seen_task);
	assert_false(dev.seen_hardirq);
	assert_false(dev.seen_irqs_off); /* not IRQSAFE */
	assert_int_equal(dev.seen_cpu, 0);
	assert_true(timer_pending(&dev.timer));

	/* The re-armed timer was pending: del_timer_sync() says so. */
	assert_int_equal(mydev_stop(&dev), 1);
	assert_false(timer_pending(&dev.timer));
	ticks(3 * period);
	assert_int_equal(dev.polls, 5);
	assert_int_equal(del_timer_sync(&dev.timer), 0);
	assert_int_equal(bh_warn_count(), 0);
	th_shutdown();
}

/* SPEC K7: mod_timer() moves a pending timer earlier or later and
 * returns 1; timer_reduce() only ever moves it earlier. */
static void test_mod_and_reduce(void **state)
{
	(void)state;
	th_init_cpu0(1, true);
	static struct mydev dev;
	memset(&dev, 0, sizeof(dev));
	spin_lock_init(&dev.lock);
	timer_setup(&dev.timer, mydev_poll, 0);

	unsigned long start = jiffies;
	assert_int_equal(mod_timer(&dev.timer, start + 10), 0);
	assert_int_equal(mod_timer(&dev.timer, start + 20), 1);	  /* later */
	assert_int_equal(mod_timer(&dev.timer, start + 5), 1);	  /* earlier */
	assert_int_equal(timer_reduce(&dev.timer, start + 8), 1); /* no-op */
	assert_int_equal(dev.timer.expires, start + 5);
	assert_int_equal(timer_reduce(&dev.timer, start + 3), 1);
	assert_int_equal(dev.timer.expires, start + 3);

	ticks(2);
	assert_int_equal(dev.polls, 0);
	tick();
	assert_int_equal(dev.polls, 1);
	assert_int_equal(dev.fired_at[0], start + 3);
	assert_false(timer_pending(&dev.timer));

	/* timer_reduce() on an idle timer arms it. */
	assert_int_equal(timer_reduce(&dev.timer, jiffies + 2), 0);
	ticks(2);
	assert_int_equal(dev.polls, 2);
	assert_int_equal(dev.fired_at[1], start + 5);
	th_shutdown();
}

/* DEFINE_TIMER + expires + add_timer(), the pre-mod_timer idiom. */
static void test_define_timer_add_timer(void **state)
{
	(void)state;
	th_init_cpu0(1, true);
	watchdog_runs = 0;
	unsigned long start = jiffies;
	watchdog.expires = start + 3;
	add_timer(&watchdog);
	assert_true(timer_pending(&watchdog));
	ticks(2);
	assert_int_equal(watchdog_runs, 0);
	tick();
	assert_int_equal(watchdog_runs, 1);
	assert_int_equal(watchdog_at, start + 3);
	assert_ptr_equal(watchdog_seen, &watchdog);

	/* A timer already due when armed runs at the next tick. */
	watchdog.expires = jiffies - 5;
	add_timer(&watchdog);
	tick();
	assert_int_equal(watchdog_runs, 2);

	/* add_timer() on a pending timer: the kernel BUG()s, here it warns
	 * and re-arms. */
	assert_int_equal(bh_warn_count(), 0);
	watchdog.expires = jiffies + 50;
	add_timer(&watchdog);
	add_timer(&watchdog);
	assert_int_equal(bh_warn_count(), 1);
	assert_true(th_log_has("on a pending timer"));
	assert_int_equal(del_timer(&watchdog), 1);
	assert_int_equal(del_timer(&watchdog), 0);
	th_shutdown();
}

/* ---- flags ------------------------------------------------------------ */

static struct mydev flagdev[3];

/* K4: an IRQSAFE callback runs with interrupts off; K9: add_timer_on()
 * pins the timer to the CPU it names. */
static void test_irqsafe_and_add_timer_on(void **state)
{
	(void)state;
	th_init_cpu0(2, true);
	memset(flagdev, 0, sizeof(flagdev));
	for (int i = 0; i < 2; i++)
		spin_lock_init(&flagdev[i].lock);
	timer_setup(&flagdev[0].timer, mydev_poll, TIMER_IRQSAFE);
	timer_setup(&flagdev[1].timer, mydev_poll, 0);

	unsigned long start = jiffies;
	mod_timer(&flagdev[0].timer, start + 2);
	flagdev[1].timer.expires = start + 2;
	add_timer_on(&flagdev[1].timer, 1);
	assert_true(flagdev[1].timer.flags & TIMER_PINNED);
	assert_int_equal(flagdev[1].timer.flags & TIMER_CPUMASK, 1);

	ticks(2);
	assert_int_equal(flagdev[0].polls, 1);
	assert_true(flagdev[0].seen_irqs_off);
	assert_true(flagdev[0].seen_serving_softirq);
	assert_int_equal(flagdev[0].seen_cpu, 0);

	assert_int_equal(flagdev[1].polls, 1);
	assert_false(flagdev[1].seen_irqs_off);
	assert_int_equal(flagdev[1].seen_cpu, 1);
	assert_int_equal(flagdev[1].fired_at[0], start + 2);

	assert_int_equal(del_timer_sync(&flagdev[1].timer), 0);
	assert_int_equal(bh_warn_count(), 0);
	th_shutdown();
}

/* SPEC K8: a TIMER_DEFERRABLE timer does not wake its CPU; it runs at the
 * CPU's next non-deferrable wake-up. */
static void test_deferrable(void **state)
{
	(void)state;
	th_init_cpu0(1, true);
	memset(flagdev, 0, sizeof(flagdev));
	for (int i = 0; i < 2; i++)
		spin_lock_init(&flagdev[i].lock);
	timer_setup(&flagdev[0].timer, mydev_poll, TIMER_DEFERRABLE);
	timer_setup(&flagdev[1].timer, mydev_poll, 0);

	unsigned long start = jiffies;
	mod_timer(&flagdev[0].timer, start + 2);
	ticks(10);
	assert_int_equal(flagdev[0].polls, 0);
	assert_true(timer_pending(&flagdev[0].timer));

	mod_timer(&flagdev[1].timer, jiffies + 5);
	ticks(4);
	assert_int_equal(flagdev[0].polls, 0);
	tick();
	assert_int_equal(flagdev[1].polls, 1);
	assert_int_equal(flagdev[0].polls, 1);
	assert_int_equal(flagdev[0].fired_at[0], start + 15);
	assert_int_equal(flagdev[1].fired_at[0], start + 15);
	th_shutdown();
}

/* SPEC K3: 64 jiffies or more are rounded up to the level's step: never
 * early, at most about 1/8 of the delay late. */
static void test_wheel_accuracy(void **state)
{
	(void)state;
	th_init_cpu0(1, true);
	static struct mydev dev;
	memset(&dev, 0, sizeof(dev));
	spin_lock_init(&dev.lock);
	timer_setup(&dev.timer, mydev_poll, 0);
	const unsigned long delays[] = {1, 63, 64, 100, 1000, 5000};
	for (size_t i = 0; i < ARRAY_SIZE(delays); i++) {
		unsigned long expires = jiffies + delays[i];
		unsigned int before = dev.polls;
		mod_timer(&dev.timer, expires);
		ticks(delays[i] - 1);
		assert_int_equal(dev.polls, before);
		unsigned long late = 0;
		while (dev.polls == before && late <= delays[i] / 8) {
			tick();
			late = jiffies - expires;
		}
		assert_int_equal(dev.polls, before + 1);
		assert_true(late <= delays[i] / 8 + 1);
		if (delays[i] < 64)
			assert_int_equal(late, 0); /* level 0 is exact */
	}
	th_shutdown();
}

/* ---- delete and shutdown --------------------------------------------- */

/* SPEC K5, K10: the delete names and their return values; a shut-down
 * timer ignores every later arm. */
static void test_delete_and_shutdown(void **state)
{
	(void)state;
	th_init_cpu0(1, true);
	static struct mydev dev;
	memset(&dev, 0, sizeof(dev));
	spin_lock_init(&dev.lock);
	timer_setup(&dev.timer, mydev_poll, 0);

	assert_int_equal(timer_delete(&dev.timer), 0);
	mod_timer(&dev.timer, jiffies + 5);
	assert_int_equal(timer_delete(&dev.timer), 1);
	mod_timer(&dev.timer, jiffies + 5);
	assert_int_equal(timer_delete_sync(&dev.timer), 1);
	mod_timer(&dev.timer, jiffies + 5);
	assert_int_equal(del_timer(&dev.timer), 1);
	mod_timer(&dev.timer, jiffies + 5);
	assert_int_equal(del_singleshot_timer_sync(&dev.timer), 1);
	assert_int_equal(del_timer_sync(&dev.timer), 0);

	mod_timer(&dev.timer, jiffies + 5);
	assert_int_equal(timer_shutdown(&dev.timer), 1);
	assert_int_equal(mod_timer(&dev.timer, jiffies + 1), 0);
	dev.timer.expires = jiffies + 1;
	add_timer(&dev.timer);
	assert_false(timer_pending(&dev.timer));
	ticks(10);
	assert_int_equal(dev.polls, 0);
	assert_int_equal(timer_shutdown_sync(&dev.timer), 0);

	/* timer_setup() makes it usable again. */
	timer_setup(&dev.timer, mydev_poll, 0);
	mod_timer(&dev.timer, jiffies + 1);
	assert_int_equal(timer_shutdown_sync(&dev.timer), 1);
	assert_int_equal(mod_timer(&dev.timer, jiffies + 1), 0);
	assert_int_equal(bh_warn_count(), 0);
	th_shutdown();
}

/* A timer_list on the stack, as a timeout helper uses one. */
static void test_on_stack(void **state)
{
	(void)state;
	th_init_cpu0(1, true);
	watchdog_runs = 0;
	struct timer_list t;
	timer_setup_on_stack(&t, watchdog_fn, 0);
	mod_timer(&t, jiffies + 2);
	ticks(2);
	assert_int_equal(watchdog_runs, 1);
	assert_ptr_equal(watchdog_seen, &t);
	assert_int_equal(del_timer_sync(&t), 0);
	destroy_timer_on_stack(&t);
	th_shutdown();
}

/* ---- contexts and misuse --------------------------------------------- */

/* A top half arms a timer, as an interrupt handler would (SPEC U1). It may
 * delete_sync only an IRQSAFE timer (K6). */
static void test_from_hardirq(void **state)
{
	(void)state;
	th_init_cpu0(1, true);
	memset(flagdev, 0, sizeof(flagdev));
	for (int i = 0; i < 2; i++)
		spin_lock_init(&flagdev[i].lock);
	timer_setup(&flagdev[0].timer, mydev_poll, 0);
	timer_setup(&flagdev[1].timer, mydev_poll, TIMER_IRQSAFE);

	irq_enter();
	assert_int_equal(mod_timer(&flagdev[0].timer, jiffies + 1), 0);
	assert_int_equal(mod_timer(&flagdev[1].timer, jiffies + 1), 0);
	irq_exit();
	tick();
	assert_int_equal(flagdev[0].polls, 1);
	assert_int_equal(flagdev[1].polls, 1);

	mod_timer(&flagdev[1].timer, jiffies + 1);
	irq_enter();
	assert_int_equal(del_timer_sync(&flagdev[1].timer), 1);
	irq_exit();
	assert_int_equal(bh_warn_count(), 0);

	mod_timer(&flagdev[0].timer, jiffies + 1);
	irq_enter();
	assert_int_equal(del_timer_sync(&flagdev[0].timer), 1);
	irq_exit();
	assert_int_equal(bh_warn_count(), 1);
	assert_true(th_log_has("not TIMER_IRQSAFE"));
	th_shutdown();
}

/* Native errors read as 0, "was not pending", after the library's
 * warning (SPEC U9): a never set-up timer, and del_timer_sync() from the
 * timer's own callback (K6), which the kernel would deadlock on. */
static void test_errors_read_as_not_pending(void **state)
{
	(void)state;
	th_init_cpu0(1, true);
	struct timer_list zero;
	memset(&zero, 0, sizeof(zero));
	assert_int_equal(mod_timer(&zero, jiffies + 1), 0);
	assert_int_equal(timer_reduce(&zero, jiffies + 1), 0);
	assert_int_equal(del_timer(&zero), 0);
	assert_int_equal(timer_shutdown(&zero), 0);
	add_timer(&zero);
	add_timer_on(&zero, 0);
	assert_false(timer_pending(&zero));
	assert_int_equal(bh_warn_count(), 6);
	assert_true(th_log_has("never set up"));

	th_log_clear();
	struct timer_list self;
	timer_setup(&self, self_sync_fn, 0);
	mod_timer(&self, jiffies + 1);
	tick();
	assert_int_equal(self_sync_ret, 0);
	assert_true(th_log_has("own callback"));

	/* add_timer_on() to a CPU that does not exist. */
	th_log_clear();
	timer_setup(&self, self_sync_fn, 0);
	self.expires = jiffies + 1;
	add_timer_on(&self, 5);
	assert_false(timer_pending(&self));
	assert_true(th_log_has("no such bh CPU"));
	th_shutdown();

	/* No runtime. */
	assert_int_equal(mod_timer(&self, 1), 0);
	assert_int_equal(del_timer(&self), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types_and_names),
		cmocka_unit_test_teardown(test_periodic_poll, th_teardown),
		cmocka_unit_test_teardown(test_mod_and_reduce, th_teardown),
		cmocka_unit_test_teardown(test_define_timer_add_timer,
					  th_teardown),
		cmocka_unit_test_teardown(test_irqsafe_and_add_timer_on,
					  th_teardown),
		cmocka_unit_test_teardown(test_deferrable, th_teardown),
		cmocka_unit_test_teardown(test_wheel_accuracy, th_teardown),
		cmocka_unit_test_teardown(test_delete_and_shutdown,
					  th_teardown),
		cmocka_unit_test_teardown(test_on_stack, th_teardown),
		cmocka_unit_test_teardown(test_from_hardirq, th_teardown),
		cmocka_unit_test_teardown(test_errors_read_as_not_pending,
					  th_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
