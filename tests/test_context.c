/* SPDX-License-Identifier: MIT */
/*
 * Context predicates and the preempt count (SPEC S15), in every context a
 * thread can be in: plain task, bh disabled, serving a softirq, a tasklet
 * callback, hardirq, hardirq over bh-disabled or over a softirq, interrupts
 * off, a spinlock held, preemption disabled.
 *
 * The counts are the kernel's layout (include/bh/context.h): PREEMPT in
 * bits 0-7, SOFTIRQ_OFFSET 0x100 while serving, 0x200 per bh disable,
 * HARDIRQ_OFFSET 0x10000 per top half. Contexts entered inside handlers are
 * snapshotted there and asserted afterwards, so no cmocka longjmp crosses
 * the library's softirq loop.
 */
#include "harness.h"

#include <pthread.h>

struct snap {
	unsigned int pc;
	bool nmi, hardirq, softirq, serving, interrupt, task, atomic, irqs_off;
	int cpu;
	bool taken;
};

static struct snap take(void)
{
	struct snap s = {
		.pc = bh_preempt_count(),
		.nmi = bh_in_nmi(),
		.hardirq = bh_in_hardirq(),
		.softirq = bh_in_softirq(),
		.serving = bh_in_serving_softirq(),
		.interrupt = bh_in_interrupt(),
		.task = bh_in_task(),
		.atomic = bh_in_atomic(),
		.irqs_off = bh_irqs_disabled(),
		.cpu = bh_smp_processor_id(),
		.taken = true,
	};
	return s;
}

/* Predicate bits, to write the expectations as one table row each. */
enum {
	HARD = 1 << 0,
	SOFT = 1 << 1,
	SERV = 1 << 2,
	INTR = 1 << 3,
	TASK = 1 << 4,
	ATOM = 1 << 5,
	IOFF = 1 << 6,
};

static void check(const char *what, struct snap s, unsigned int pc,
		  unsigned int bits)
{
	print_message("context: %s\n", what);
	assert_true(s.taken);
	assert_int_equal(s.pc, pc);
	assert_false(s.nmi);
	assert_int_equal(s.hardirq, !!(bits & HARD));
	assert_int_equal(s.softirq, !!(bits & SOFT));
	assert_int_equal(s.serving, !!(bits & SERV));
	assert_int_equal(s.interrupt, !!(bits & INTR));
	assert_int_equal(s.task, !!(bits & TASK));
	assert_int_equal(s.atomic, !!(bits & ATOM));
	assert_int_equal(s.irqs_off, !!(bits & IOFF));
}

static int setup(void **state)
{
	(void)state;
	th_init_cpu0(2, true);
	return 0;
}

/* SPEC S15 */
static void test_s15_plain_task(void **state)
{
	(void)state;
	check("task", take(), 0, TASK);
}

/* SPEC S15: in_softirq and in_interrupt, yet in_task (as Linux 6.1). */
static void test_s15_bh_disabled(void **state)
{
	(void)state;
	bh_local_bh_disable();
	check("bh disabled", take(), BH_SOFTIRQ_DISABLE_OFFSET,
	      SOFT | INTR | TASK | ATOM);
	bh_local_bh_disable();
	check("bh disabled twice", take(), 2 * BH_SOFTIRQ_DISABLE_OFFSET,
	      SOFT | INTR | TASK | ATOM);
	bh_local_bh_enable();
	check("bh disabled once more", take(), BH_SOFTIRQ_DISABLE_OFFSET,
	      SOFT | INTR | TASK | ATOM);
	bh_local_bh_enable();
	check("back to task", take(), 0, TASK);
}

static struct snap in_handler, in_handler_bh_off, in_handler_hardirq;
static struct snap after_handler_bh_on;

static void handler_snapshots(void)
{
	in_handler = take();
	bh_local_bh_disable();
	in_handler_bh_off = take();
	bh_local_bh_enable();
	after_handler_bh_on = take();
	bh_irq_enter();
	in_handler_hardirq = take();
	bh_irq_exit();
}

/* SPEC S15 */
static void test_s15_serving_softirq(void **state)
{
	(void)state;
	memset(&in_handler, 0, sizeof(in_handler));
	assert_int_equal(bh_open_softirq(BH_NET_RX_SOFTIRQ, handler_snapshots),
			 0);
	assert_int_equal(bh_raise_softirq(BH_NET_RX_SOFTIRQ), 0);
	assert_int_equal(bh_run_softirqs(0), 1);
	check("serving softirq", in_handler, BH_SOFTIRQ_OFFSET,
	      SOFT | SERV | INTR | ATOM);
	check("bh disabled inside a handler", in_handler_bh_off,
	      BH_SOFTIRQ_OFFSET + BH_SOFTIRQ_DISABLE_OFFSET,
	      SOFT | SERV | INTR | ATOM);
	check("handler after bh enable", after_handler_bh_on, BH_SOFTIRQ_OFFSET,
	      SOFT | SERV | INTR | ATOM);
	check("hardirq over a handler", in_handler_hardirq,
	      BH_HARDIRQ_OFFSET + BH_SOFTIRQ_OFFSET,
	      HARD | SOFT | SERV | INTR | ATOM);
	check("after the loop", take(), 0, TASK);
}

/* SPEC S15, T25: tasklet callbacks run in softirq context. */
static struct snap in_tasklet;
static void tasklet_snapshot(struct bh_tasklet *t)
{
	(void)t;
	in_tasklet = take();
}

static void test_s15_tasklet_callback(void **state)
{
	(void)state;
	struct bh_tasklet t;
	memset(&in_tasklet, 0, sizeof(in_tasklet));
	bh_tasklet_setup(&t, tasklet_snapshot);
	assert_int_equal(bh_tasklet_schedule(&t), 1);
	assert_true(bh_run_softirqs(0) >= 1);
	check("tasklet callback", in_tasklet, BH_SOFTIRQ_OFFSET,
	      SOFT | SERV | INTR | ATOM);
}

/* SPEC S15: the handler context seen through the outermost bh enable. */
static void test_s15_serving_softirq_from_bh_enable(void **state)
{
	(void)state;
	memset(&in_handler, 0, sizeof(in_handler));
	assert_int_equal(bh_open_softirq(BH_NET_RX_SOFTIRQ, handler_snapshots),
			 0);
	bh_local_bh_disable();
	assert_int_equal(bh_raise_softirq(BH_NET_RX_SOFTIRQ), 0);
	bh_local_bh_enable();
	/*
	 * The kernel keeps one PREEMPT count across this path (0x101); the
	 * predicates are what code may rely on, so only those are pinned.
	 */
	assert_true(in_handler.taken);
	assert_true(in_handler.pc & BH_SOFTIRQ_OFFSET);
	assert_int_equal(in_handler.pc & BH_SOFTIRQ_DISABLE_OFFSET, 0);
	assert_false(in_handler.hardirq);
	assert_true(in_handler.softirq);
	assert_true(in_handler.serving);
	assert_true(in_handler.interrupt);
	assert_false(in_handler.task);
	assert_true(in_handler.atomic);
	assert_false(in_handler.irqs_off);
	check("after", take(), 0, TASK);
}

/* SPEC S15 */
static void test_s15_hardirq(void **state)
{
	(void)state;
	bh_irq_enter();
	check("hardirq", take(), BH_HARDIRQ_OFFSET, HARD | INTR | ATOM);
	bh_irq_enter();
	check("nested hardirq", take(), 2 * BH_HARDIRQ_OFFSET,
	      HARD | INTR | ATOM);
	bh_irq_exit();
	check("hardirq again", take(), BH_HARDIRQ_OFFSET, HARD | INTR | ATOM);
	bh_irq_exit();
	check("after hardirq", take(), 0, TASK);
}

/* SPEC S15 */
static void test_s15_hardirq_inside_bh_disabled(void **state)
{
	(void)state;
	bh_local_bh_disable();
	bh_irq_enter();
	check("hardirq over bh-disabled", take(),
	      BH_HARDIRQ_OFFSET + BH_SOFTIRQ_DISABLE_OFFSET,
	      HARD | SOFT | INTR | ATOM);
	bh_irq_exit();
	check("bh-disabled again", take(), BH_SOFTIRQ_DISABLE_OFFSET,
	      SOFT | INTR | TASK | ATOM);
	bh_local_bh_enable();
	check("after", take(), 0, TASK);
}

/* SPEC S15, U4: interrupts off is kept apart from the count. */
static void test_s15_irqs_off(void **state)
{
	(void)state;
	bh_local_irq_disable();
	check("irqs disabled", take(), 0, TASK | IOFF);
	bh_local_irq_enable();
	check("irqs enabled", take(), 0, TASK);

	unsigned long f1 = bh_local_irq_save();
	check("irq save", take(), 0, TASK | IOFF);
	unsigned long f2 = bh_local_irq_save();
	check("nested irq save", take(), 0, TASK | IOFF);
	bh_local_irq_restore(f2);
	check("inner restore keeps them off", take(), 0, TASK | IOFF);
	bh_local_irq_restore(f1);
	check("outer restore", take(), 0, TASK);

	/* Interrupts off inside a top half. */
	bh_irq_enter();
	unsigned long f3 = bh_local_irq_save();
	check("hardirq, irqs off", take(), BH_HARDIRQ_OFFSET,
	      HARD | INTR | ATOM | IOFF);
	bh_local_irq_restore(f3);
	bh_irq_exit();
	check("after", take(), 0, TASK);
}

/* SPEC S15: spinlocks and preempt_disable move only the PREEMPT bits. */
static void test_s15_spinlock_and_preempt_disable(void **state)
{
	(void)state;
	BH_DEFINE_SPINLOCK(a);
	BH_DEFINE_SPINLOCK(b);
	bh_spin_lock(&a);
	check("spinlock held", take(), 1, TASK | ATOM);
	bh_spin_lock(&b);
	check("two spinlocks held", take(), 2, TASK | ATOM);
	bh_spin_unlock(&b);
	bh_spin_unlock(&a);
	check("spinlocks dropped", take(), 0, TASK);

	bh_preempt_disable();
	check("preempt disabled", take(), BH_PREEMPT_OFFSET, TASK | ATOM);
	bh_preempt_enable();
	check("preempt enabled", take(), 0, TASK);
}

/* The bh CPU is stable inside an atomic section and a handler. */
static int cpu_in_handler = -1;
static void handler_cpu(void)
{
	cpu_in_handler = bh_smp_processor_id();
}

static void test_smp_processor_id_follows_bh_cpu(void **state)
{
	(void)state;
	assert_int_equal(bh_thread_set_cpu(1), 0);
	assert_int_equal(bh_smp_processor_id(), 1);
	bh_local_bh_disable();
	assert_int_equal(bh_smp_processor_id(), 1);
	bh_local_bh_enable();
	bh_irq_enter();
	assert_int_equal(bh_smp_processor_id(), 1);
	bh_irq_exit();
	assert_int_equal(bh_open_softirq(BH_BLOCK_SOFTIRQ, handler_cpu), 0);
	assert_int_equal(bh_raise_softirq(BH_BLOCK_SOFTIRQ), 0);
	assert_int_equal(bh_run_softirqs(1), 1);
	assert_int_equal(cpu_in_handler, 1);
	assert_int_equal(bh_thread_set_cpu(0), 0);
	assert_int_equal(bh_smp_processor_id(), 0);
}

/* Each thread has its own context: one thread's bh-off is not another's. */
static struct snap other_thread;
static void *snapshot_thread(void *arg)
{
	(void)arg;
	other_thread = take();
	return NULL;
}

static void test_s15_context_is_per_thread(void **state)
{
	(void)state;
	pthread_t t;
	bh_local_bh_disable();
	bh_irq_enter();
	unsigned long f = bh_local_irq_save();
	assert_int_equal(pthread_create(&t, NULL, snapshot_thread, NULL), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	bh_local_irq_restore(f);
	bh_irq_exit();
	bh_local_bh_enable();
	check("another thread", other_thread, 0, TASK);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, th_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_s15_plain_task),
		T(test_s15_bh_disabled),
		T(test_s15_serving_softirq),
		T(test_s15_tasklet_callback),
		T(test_s15_serving_softirq_from_bh_enable),
		T(test_s15_hardirq),
		T(test_s15_hardirq_inside_bh_disabled),
		T(test_s15_irqs_off),
		T(test_s15_spinlock_and_preempt_disable),
		T(test_smp_processor_id_follows_bh_cpu),
		T(test_s15_context_is_per_thread),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
