/* SPDX-License-Identifier: MIT */
/*
 * <linux/cpumask.h>: the CPUs are the runtime's bh CPUs; the online and
 * possible masks are 0 .. nr_cpu_ids - 1; cpumask_of() has one bit; the
 * iterators visit what the masks hold; the set operations; and the
 * definitions shared with <linux/smp.h> are that header's.
 */
#include <linux/cpumask.h>
#include <linux/kernel.h>
#include <linux/smp.h>

#include "harness.h"

static void test_online_masks_follow_runtime(void **state)
{
	(void)state;
	th_init(3, true);
	assert_int_equal(nr_cpu_ids, 3);
	assert_int_equal(num_online_cpus(), 3);
	assert_int_equal(num_possible_cpus(), 3);
	assert_int_equal(cpumask_weight(cpu_online_mask), 3);
	assert_true(cpumask_equal(cpu_online_mask, cpu_possible_mask));
	assert_true(cpu_online(2));
	assert_false(cpu_online(3));
	assert_true(cpu_possible(0));

	int cpu, n = 0;
	for_each_online_cpu(cpu) assert_int_equal(cpu, n++);
	assert_int_equal(n, 3);
	unsigned int ucpu;
	n = 0;
	for_each_possible_cpu(ucpu) n++;
	assert_int_equal(n, 3);
	/* smp_processor_id() is one of them. */
	assert_true(cpumask_test_cpu(smp_processor_id(), cpu_online_mask));
	assert_true(cpumask_test_cpu(raw_smp_processor_id(), cpu_online_mask));
	th_shutdown();

	th_init(1, true);
	assert_int_equal(nr_cpu_ids, 1);
	assert_int_equal(cpumask_weight(cpu_online_mask), 1);
	th_shutdown();
}

static void test_mask_operations(void **state)
{
	(void)state;
	th_init(4, true);
	assert_int_equal(cpumask_weight(cpumask_of(2)), 1);
	assert_true(cpumask_test_cpu(2, cpumask_of(2)));
	assert_int_equal(cpumask_first(cpumask_of(3)), 3);
	assert_true(cpumask_empty(cpumask_of(-1)));

	cpumask_t a, b, c;
	cpumask_clear(&a);
	assert_true(cpumask_empty(&a));
	assert_int_equal(cpumask_first(&a), nr_cpu_ids);
	cpumask_set_cpu(1, &a);
	cpumask_set_cpu(3, &a);
	assert_int_equal(cpumask_first(&a), 1);
	assert_int_equal(cpumask_next(1, &a), 3);
	assert_int_equal(cpumask_next(3, &a), nr_cpu_ids);
	assert_int_equal(cpumask_last(&a), 3);
	assert_int_equal(cpumask_first_zero(&a), 0);
	int cpu, seen = 0;
	for_each_cpu(cpu, &a) seen |= 1 << cpu;
	assert_int_equal(seen, 0xa);
	seen = 0;
	for_each_cpu_not(cpu, &a) seen |= 1 << cpu;
	assert_int_equal(seen, 0x5);

	cpumask_copy(&b, cpumask_of(3));
	assert_true(cpumask_subset(&b, &a));
	assert_true(cpumask_intersects(&a, &b));
	assert_true(cpumask_and(&c, &a, &b));
	assert_true(cpumask_equal(&c, cpumask_of(3)));
	assert_true(cpumask_andnot(&c, &a, &b));
	assert_true(cpumask_equal(&c, cpumask_of(1)));
	cpumask_or(&c, &c, cpumask_of(0));
	assert_int_equal(cpumask_weight(&c), 2);
	cpumask_setall(&c);
	assert_true(cpumask_full(&c));
	assert_true(cpumask_equal(&c, cpu_online_mask));
	assert_false(cpumask_test_and_set_cpu(0, &a));
	assert_true(cpumask_test_and_set_cpu(0, &a));
	assert_true(cpumask_test_and_clear_cpu(0, &a));
	cpumask_clear_cpu(1, &a);
	assert_int_equal(cpumask_weight(&a), 1);

	cpumask_var_t v;
	assert_true(zalloc_cpumask_var(&v, 0));
	assert_true(cpumask_empty(v));
	free_cpumask_var(v);
	th_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_online_masks_follow_runtime,
					  th_teardown),
		cmocka_unit_test_teardown(test_mask_operations, th_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
