/* SPDX-License-Identifier: MIT */
/*
 * The kernel spellings of the top-half calls (issue 4): a driver written
 * against <linux/interrupt.h> and <linux/irq.h> builds unmodified and
 * behaves as the native calls: a shared line told apart by dev_id with
 * IRQ_RETVAL, a threaded handler, disable/enable, free_irq's name.
 */
#include "harness.h"

#include <linux/interrupt.h>
#include <linux/irq.h>

_Static_assert(NR_IRQS == BH_NR_IRQS, "NR_IRQS");
_Static_assert(IRQF_SHARED == 0x80 && IRQF_ONESHOT == 0x2000,
	       "kernel flag values");

struct my_dev {
	int pending;
	unsigned long irqs, thread_runs;
};

static irqreturn_t my_isr(int irq, void *dev_id)
{
	struct my_dev *dev = dev_id;
	(void)irq;
	int mine = dev->pending;
	dev->pending = 0;
	if (mine)
		dev->irqs++;
	return IRQ_RETVAL(mine);
}

static irqreturn_t my_quick(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	return IRQ_WAKE_THREAD;
}

static irqreturn_t my_thread(int irq, void *dev_id)
{
	struct my_dev *dev = dev_id;
	(void)irq;
	th_inc(&dev->thread_runs);
	return IRQ_HANDLED;
}

/* Issue 4: the kernel spellings map onto the native calls. */
static void test_kernel_style_driver(void **state)
{
	(void)state;
	struct my_dev a = {0}, b = {0}, t = {0};
	th_init_cpu0(2, false);
	assert_int_equal(request_irq(40, my_isr, IRQF_SHARED, "a", &a), 0);
	assert_int_equal(request_irq(40, my_isr, IRQF_SHARED, "b", &b), 0);
	b.pending = 1;
	assert_int_equal(bh_raise_irq(40), 0);
	assert_int_equal(a.irqs, 0);
	assert_int_equal(b.irqs, 1);
	disable_irq(40);
	a.pending = 1;
	bh_raise_irq(40);
	assert_int_equal(a.irqs, 0);
	enable_irq(40);
	assert_int_equal(a.irqs, 1);
	synchronize_irq(40);
	assert_string_equal(free_irq(40, &a), "a");
	assert_string_equal(free_irq(40, &b), "b");

	assert_int_equal(request_threaded_irq(41, my_quick, my_thread,
					      IRQF_ONESHOT, "thr", &t),
			 0);
	bh_raise_irq(41);
	assert_true(th_wait_ge(&t.thread_runs, 1));
	disable_irq_nosync(41);
	enable_irq(41);
	assert_string_equal(free_irq(41, &t), "thr");
	assert_int_equal(bh_warn_count(), 0);
	th_shutdown();
}

static unsigned long cpu_seen = 99;

static irqreturn_t where_isr(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	th_st(&cpu_seen, (unsigned long)smp_processor_id());
	return IRQ_HANDLED;
}

/*
 * Issue 4: irq_set_affinity() with a cpumask picks the lowest online bh
 * CPU of the mask, whose identity the handler then runs as; a mask with
 * no online CPU is -EINVAL and leaves the affinity alone.
 */
static void test_set_affinity_mask(void **state)
{
	(void)state;
	th_init_cpu0(2, false);
	assert_int_equal(request_irq(42, where_isr, 0, "where", NULL), 0);
	assert_int_equal(irq_set_affinity(42, cpumask_of(1)), 0);
	bh_raise_irq(42);
	assert_int_equal(th_ld(&cpu_seen), 1);

	struct cpumask m;
	cpumask_clear(&m);
	assert_int_equal(irq_set_affinity(42, &m), -EINVAL);
	cpumask_set_cpu(BH_MAX_CPUS - 1, &m); /* not online with 2 CPUs */
	assert_int_equal(irq_set_affinity(42, &m), -EINVAL);
	bh_raise_irq(42);
	assert_int_equal(th_ld(&cpu_seen), 1);

	cpumask_set_cpu(0, &m);
	cpumask_set_cpu(1, &m);
	assert_int_equal(irq_set_affinity(42, &m), 0);
	bh_raise_irq(42);
	assert_int_equal(th_ld(&cpu_seen), 0);
	assert_int_equal(irq_set_affinity_and_hint(42, cpumask_of(1)), 0);
	bh_raise_irq(42);
	assert_int_equal(th_ld(&cpu_seen), 1);
	assert_string_equal(free_irq(42, NULL), "where");
	th_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_kernel_style_driver,
					  th_teardown),
		cmocka_unit_test_teardown(test_set_affinity_mask, th_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
