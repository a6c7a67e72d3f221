/* SPDX-License-Identifier: MIT */
/*
 * Interrupt lines and handlers (issue 4): shared lines told apart by
 * dev_id, IRQ_NONE/IRQ_HANDLED, coalesced replay of an event that arrives
 * while the handlers run, disable/enable counting, hardirq context inside
 * a handler, softirqs raised by a handler running at irq exit on the
 * line's bh CPU (SPEC S9), and the /proc/interrupts listing.
 *
 * Software raises deliver synchronously on the calling thread, so these
 * tests run the runtime in deterministic mode and need no waiting.
 */
#include "harness.h"

#include <sys/prctl.h>

static int setup(void **state)
{
	(void)state;
	th_init_cpu0(2, true);
	return 0;
}

struct dev {
	int asserted; /* the "device" has raised its interrupt */
	unsigned long calls, handled;
	int last_irq;
	void *last_dev;
};

static bh_irqreturn_t dev_handler(int irq, void *dev_id)
{
	struct dev *d = dev_id;
	d->calls++;
	d->last_irq = irq;
	d->last_dev = dev_id;
	if (!d->asserted)
		return BH_IRQ_NONE;
	d->asserted = 0;
	d->handled++;
	return BH_IRQ_HANDLED;
}

/* Issue 4: IRQF_SHARED runs every handler; each tells by its dev_id. */
static void test_shared_line_dispatches_by_dev_id(void **state)
{
	(void)state;
	struct dev a = {0}, b = {0};
	assert_int_equal(
		bh_request_irq(5, dev_handler, BH_IRQF_SHARED, "dev-a", &a), 0);
	assert_int_equal(
		bh_request_irq(5, dev_handler, BH_IRQF_SHARED, "dev-b", &b), 0);
	a.asserted = 1;
	assert_int_equal(bh_raise_irq(5), 0);
	assert_int_equal(a.calls, 1);
	assert_int_equal(b.calls, 1);
	assert_int_equal(a.handled, 1);
	assert_int_equal(b.handled, 0);
	assert_int_equal(a.last_irq, 5);
	assert_ptr_equal(a.last_dev, &a);
	assert_ptr_equal(b.last_dev, &b);
	b.asserted = 1;
	assert_int_equal(bh_raise_irq(5), 0);
	assert_int_equal(b.handled, 1);
	/* free_irq removes only the handler of that dev_id. */
	assert_string_equal(bh_free_irq(5, &a), "dev-a");
	assert_int_equal(bh_raise_irq(5), 0);
	assert_int_equal(a.calls, 2);
	assert_int_equal(b.calls, 3);
	assert_string_equal(bh_free_irq(5, &b), "dev-b");
	assert_int_equal(bh_raise_irq(5), -ENOENT);
	th_shutdown();
}

/* Issue 4: IRQ_NONE is not an error, and a few of them change nothing;
 * the per-CPU count is of handler runs on the line's bh CPU. */
static void test_irq_none_and_handled_counts(void **state)
{
	(void)state;
	struct dev a = {0};
	assert_int_equal(bh_request_irq(6, dev_handler, 0, "dev", &a), 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(bh_raise_irq(6), 0);
	a.asserted = 1;
	assert_int_equal(bh_raise_irq(6), 0);
	assert_int_equal(a.calls, 11);
	assert_int_equal(a.handled, 1);
	assert_int_equal(bh_irq_count(6, 0), 11);
	assert_int_equal(bh_irq_count(6, 1), 0);
	assert_int_equal(bh_warn_count(), 0);
	bh_free_irq(6, &a);
	th_shutdown();
}

/* ---- context inside a handler ----------------------------------------- */

static struct {
	bool hardirq, irqs_off, slept_ok, task;
	int cpu;
	unsigned long handler_done, tasklet_runs, tasklet_saw_done;
	bool tasklet_serving, tasklet_hardirq;
	int tasklet_cpu;
} ctx;

static void ctx_tasklet(struct bh_tasklet *t)
{
	(void)t;
	ctx.tasklet_runs++;
	ctx.tasklet_saw_done = ctx.handler_done;
	ctx.tasklet_serving = bh_in_serving_softirq();
	ctx.tasklet_hardirq = bh_in_hardirq();
	ctx.tasklet_cpu = bh_smp_processor_id();
}

static BH_DECLARE_TASKLET(ctx_t, ctx_tasklet);

static bh_irqreturn_t ctx_handler(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	ctx.hardirq = bh_in_hardirq();
	ctx.irqs_off = bh_irqs_disabled();
	ctx.task = bh_in_task();
	ctx.cpu = bh_smp_processor_id();
	bh_tasklet_schedule(&ctx_t);
	ctx.slept_ok = bh_might_sleep(); /* must splat: hardirq */
	/* The tasklet must not have run inside the handler. */
	ctx.handler_done = ctx.tasklet_runs == 0 ? 1 : 2;
	return BH_IRQ_HANDLED;
}

/*
 * Issue 4 / SPEC S9, U8: a handler runs in hardirq context with irqs off,
 * as the line's bh CPU (affinity 1 here); might_sleep() splats inside it;
 * the tasklet it schedules runs after it returns, at the irq exit, in
 * softirq context on that same bh CPU, before bh_raise_irq() returns.
 */
static void test_handler_context_and_softirq_at_exit(void **state)
{
	(void)state;
	memset(&ctx, 0, sizeof(ctx));
	assert_int_equal(bh_request_irq(8, ctx_handler, 0, "ctx", &ctx), 0);
	assert_int_equal(bh_irq_set_affinity(8, 1), 0);
	assert_int_equal(bh_irq_get_affinity(8), 1);
	assert_int_equal(bh_raise_irq(8), 0);
	assert_true(ctx.hardirq);
	assert_true(ctx.irqs_off);
	assert_false(ctx.task);
	assert_int_equal(ctx.cpu, 1);
	assert_false(ctx.slept_ok);
	assert_true(
		th_log_has("sleeping function called from invalid context"));
	assert_int_equal(ctx.handler_done, 1);
	assert_int_equal(ctx.tasklet_runs, 1);
	assert_int_equal(ctx.tasklet_saw_done, 1);
	assert_true(ctx.tasklet_serving);
	assert_false(ctx.tasklet_hardirq);
	assert_int_equal(ctx.tasklet_cpu, 1);
	/* Back in task context, on our own bh CPU. */
	assert_false(bh_in_interrupt());
	assert_false(bh_irqs_disabled());
	assert_int_equal(bh_smp_processor_id(), 0);
	assert_int_equal(bh_irq_count(8, 1), 1);
	bh_free_irq(8, &ctx);
	th_shutdown();
}

/* ---- coalescing -------------------------------------------------------- */

static unsigned long coal_runs;

static bh_irqreturn_t coal_handler(int irq, void *dev_id)
{
	(void)dev_id;
	if (++coal_runs == 1) {
		/* Three events while the handlers run: one replay. */
		for (int i = 0; i < 3; i++)
			assert_int_equal(bh_raise_irq((unsigned int)irq), 0);
		assert_int_equal(coal_runs, 1); /* never re-entered */
	}
	return BH_IRQ_HANDLED;
}

/* Issue 4: a raise during a running handler is coalesced and replayed
 * exactly once after it returns, never run concurrently with itself. */
static void test_raise_during_handler_replays_once(void **state)
{
	(void)state;
	coal_runs = 0;
	assert_int_equal(bh_request_irq(9, coal_handler, 0, "coal", NULL), 0);
	assert_int_equal(bh_raise_irq(9), 0);
	assert_int_equal(coal_runs, 2);
	assert_int_equal(bh_raise_irq(9), 0);
	assert_int_equal(coal_runs, 3);
	bh_free_irq(9, NULL);
	th_shutdown();
}

/* The same from another thread: it raises while the handler runs here. */
static unsigned long x_entered, x_release, x_runs, x_raised;

static bh_irqreturn_t x_handler(int irq, void *dev_id)
{
	(void)irq;
	(void)dev_id;
	th_inc(&x_runs);
	if (th_ld(&x_runs) == 1) {
		th_st(&x_entered, 1);
		th_wait_ge(&x_release, 1);
	}
	return BH_IRQ_HANDLED;
}

static void *x_raiser(void *arg)
{
	(void)arg;
	for (int i = 0; i < 5; i++)
		bh_raise_irq(10);
	th_st(&x_raised, 1);
	return NULL;
}

static void *x_first(void *arg)
{
	(void)arg;
	bh_raise_irq(10);
	return NULL;
}

/* Issue 4: raises from another thread during the run coalesce into one
 * replay, run by the thread that holds the line. */
static void test_raise_from_other_thread_coalesces(void **state)
{
	(void)state;
	pthread_t first, raiser;
	x_entered = x_release = x_runs = x_raised = 0;
	assert_int_equal(bh_request_irq(10, x_handler, 0, "x", NULL), 0);
	assert_int_equal(pthread_create(&first, NULL, x_first, NULL), 0);
	assert_true(th_wait_ge(&x_entered, 1));
	assert_int_equal(pthread_create(&raiser, NULL, x_raiser, NULL), 0);
	assert_true(th_join(raiser));
	assert_int_equal(th_ld(&x_runs), 1);
	th_st(&x_release, 1);
	assert_true(th_join(first));
	assert_int_equal(th_ld(&x_runs), 2);
	bh_free_irq(10, NULL);
	th_shutdown();
}

/* ---- disable / enable -------------------------------------------------- */

/* Issue 4: disable_irq counts; events while disabled are latched and run
 * once at the enable that reaches zero; one enable too many warns with
 * the kernel's text. */
static void test_disable_counts_and_unbalanced_enable(void **state)
{
	(void)state;
	struct dev a = {0};
	assert_int_equal(bh_request_irq(7, dev_handler, 0, "dis", &a), 0);
	assert_int_equal(bh_disable_irq(7), 0);
	assert_int_equal(bh_disable_irq_nosync(7), 0);
	assert_int_equal(bh_raise_irq(7), 0);
	assert_int_equal(bh_raise_irq(7), 0);
	assert_int_equal(a.calls, 0);
	assert_int_equal(bh_enable_irq(7), 0);
	assert_int_equal(a.calls, 0); /* still disabled once */
	assert_int_equal(bh_enable_irq(7), 0);
	assert_int_equal(a.calls, 1); /* the latched events, once */
	assert_int_equal(bh_raise_irq(7), 0);
	assert_int_equal(a.calls, 2);
	unsigned long w0 = bh_warn_count();
	assert_int_equal(bh_enable_irq(7), -EINVAL);
	assert_int_equal(bh_warn_count(), w0 + 1);
	assert_true(th_log_has("Unbalanced enable for IRQ 7"));
	assert_true(th_log_has("Call Trace:"));
	/* IRQF_NO_AUTOEN: requested disabled. */
	assert_int_equal(bh_request_irq(11, dev_handler, BH_IRQF_NO_AUTOEN,
					"noauto", &a),
			 0);
	assert_int_equal(bh_raise_irq(11), 0);
	assert_int_equal(a.calls, 2);
	assert_int_equal(bh_enable_irq(11), 0);
	assert_int_equal(a.calls, 3);
	bh_free_irq(7, &a);
	bh_free_irq(11, &a);
	th_shutdown();
}

/* ---- /proc/interrupts --------------------------------------------------- */

/* Issue 4: per-line, per-CPU counts in the /proc/interrupts format. */
static void test_show_interrupts_format(void **state)
{
	(void)state;
	struct dev a = {0}, b = {0};
	char *text = NULL;
	size_t len = 0;
	assert_int_equal(
		bh_request_irq(12, dev_handler, BH_IRQF_SHARED, "eth0", &a), 0);
	assert_int_equal(
		bh_request_irq(12, dev_handler, BH_IRQF_SHARED, "eth1", &b), 0);
	assert_int_equal(bh_irq_set_affinity(12, 1), 0);
	for (int i = 0; i < 3; i++)
		bh_raise_irq(12);
	FILE *m = open_memstream(&text, &len);
	assert_non_null(m);
	assert_true(bh_show_interrupts(m) > 0);
	fclose(m);
	assert_non_null(strstr(text, "CPU0       CPU1"));
	assert_non_null(strstr(text, " 12:          0          3  bh-irq  soft"
				     "      eth0, eth1\n"));
	free(text);
	bh_free_irq(12, &a);
	bh_free_irq(12, &b);
	th_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_shared_line_dispatches_by_dev_id, setup,
			th_teardown),
		cmocka_unit_test_setup_teardown(
			test_irq_none_and_handled_counts, setup, th_teardown),
		cmocka_unit_test_setup_teardown(
			test_handler_context_and_softirq_at_exit, setup,
			th_teardown),
		cmocka_unit_test_setup_teardown(
			test_raise_during_handler_replays_once, setup,
			th_teardown),
		cmocka_unit_test_setup_teardown(
			test_raise_from_other_thread_coalesces, setup,
			th_teardown),
		cmocka_unit_test_setup_teardown(
			test_disable_counts_and_unbalanced_enable, setup,
			th_teardown),
		cmocka_unit_test_setup_teardown(test_show_interrupts_format,
						setup, th_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
