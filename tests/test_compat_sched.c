/* SPDX-License-Identifier: MIT */
/*
 * <linux/sched.h>: `current` is the calling thread (pid = thread id, tgid
 * = process id, comm = its name, following renames), the same object in
 * every call on a thread; in a top half and a tasklet it is the thread
 * the code runs on; set_current_state() + schedule() sleeps until
 * wake_up_process(), a wake before schedule() is not lost, and the
 * sleeping calls splat in atomic context (SPEC U8).
 */
#include <linux/interrupt.h>
#include <linux/kernel.h>
#include <linux/sched.h>

#include <sys/prctl.h>

#include "harness.h"

static void test_current_is_this_thread(void **state)
{
	(void)state;
	assert_int_equal(prctl(PR_SET_NAME, "modenv-test", 0, 0, 0), 0);
	struct task_struct *me = current;
	assert_int_equal(me->pid, (int)syscall(SYS_gettid));
	assert_int_equal(me->tgid, (int)getpid());
	assert_string_equal(me->comm, "modenv-test");
	assert_ptr_equal(current, me);
	assert_int_equal(task_pid_nr(current), me->pid);
	assert_int_equal(task_tgid_nr(current), getpid());
	/* Renamed: the next `current` shows it, truncated to 15 bytes. */
	prctl(PR_SET_NAME, "a-much-longer-thread-name", 0, 0, 0);
	assert_string_equal(current->comm, "a-much-longer-t");
	char buf[TASK_COMM_LEN];
	get_task_comm(buf, current);
	assert_string_equal(buf, "a-much-longer-t");
	assert_int_equal(sizeof(current->comm), TASK_COMM_LEN);
	assert_int_equal(current->state, TASK_RUNNING);
	assert_false(signal_pending(current));
}

/* ---- a sleeper and its waker --------------------------------------------- */

static struct {
	struct task_struct *task;
	unsigned long ready; /* the sleeper published task */
	int condition;	     /* what it waits for */
	unsigned long woke;  /* it returned from the wait loop */
	long timeout_left;
} w;

static void *sleeper(void *arg)
{
	(void)arg;
	__atomic_store_n(&w.task, current, __ATOMIC_RELEASE);
	__atomic_store_n(&w.ready, 1UL, __ATOMIC_RELEASE);
	/* The kernel's wait loop. */
	for (;;) {
		set_current_state(TASK_UNINTERRUPTIBLE);
		if (__atomic_load_n(&w.condition, __ATOMIC_ACQUIRE))
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	__atomic_store_n(&w.woke, 1UL, __ATOMIC_RELEASE);
	return NULL;
}

static void test_schedule_and_wake_up_process(void **state)
{
	(void)state;
	memset(&w, 0, sizeof(w));
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, sleeper, NULL), 0);
	assert_true(th_wait_ge(&w.ready, 1));
	struct task_struct *task = __atomic_load_n(&w.task, __ATOMIC_ACQUIRE);
	assert_non_null(task);
	assert_int_not_equal(task->pid, current->pid);
	__atomic_store_n(&w.condition, 1, __ATOMIC_RELEASE);
	(void)wake_up_process(task);
	assert_true(th_wait_ge(&w.woke, 1));
	pthread_join(t, NULL);
}

/* A wake before schedule(): the state is already RUNNING, so schedule()
 * returns at once instead of sleeping for ever. */
static void test_wake_before_schedule_not_lost(void **state)
{
	(void)state;
	set_current_state(TASK_INTERRUPTIBLE);
	assert_int_equal(current->state, TASK_INTERRUPTIBLE);
	assert_int_equal(wake_up_process(current), 1);
	assert_int_equal(current->state, TASK_RUNNING);
	schedule(); /* returns: nothing to wait for */
	assert_int_equal(wake_up_process(current), 0); /* was running */
	/* A short timeout runs out: 0 left. */
	assert_int_equal(schedule_timeout_uninterruptible(1), 0);
	assert_int_equal(current->state, TASK_RUNNING);
	assert_int_equal(schedule_timeout(0), 0);
}

/* ---- in interrupt context --------------------------------------------------
 */

static struct {
	int pid;
	bool in_irq;
	char comm[TASK_COMM_LEN];
	int tl_pid;
} irqseen;

static void ctx_tasklet(struct tasklet_struct *t)
{
	(void)t;
	irqseen.tl_pid = current->pid;
	cond_resched(); /* atomic context: splats */
}

static DECLARE_TASKLET(sched_tasklet, ctx_tasklet);

static irqreturn_t ctx_top_half(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	irqseen.pid = current->pid;
	irqseen.in_irq = in_hardirq();
	strcpy(irqseen.comm, current->comm);
	tasklet_schedule(&sched_tasklet);
	return IRQ_HANDLED;
}

/* A software line's top half runs on the raising thread, and the tasklet
 * at its irq_exit: `current` is that thread in both, as in the kernel. */
static void test_current_in_interrupt_context(void **state)
{
	(void)state;
	th_init_cpu0(1, true);
	prctl(PR_SET_NAME, "raiser", 0, 0, 0);
	assert_int_equal(request_irq(11, ctx_top_half, 0, "sched", NULL), 0);
	th_log_clear();
	assert_int_equal(bh_raise_irq(11), 0);
	bh_run_all(0);
	assert_true(irqseen.in_irq);
	assert_int_equal(irqseen.pid, (int)syscall(SYS_gettid));
	assert_string_equal(irqseen.comm, "raiser");
	assert_int_equal(irqseen.tl_pid, (int)syscall(SYS_gettid));
	assert_true(th_log_has("BUG: sleeping function called from invalid "
			       "context at cond_resched"));
	free_irq(11, NULL);
	th_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_current_is_this_thread),
		cmocka_unit_test(test_schedule_and_wake_up_process),
		cmocka_unit_test(test_wake_before_schedule_not_lost),
		cmocka_unit_test_teardown(test_current_in_interrupt_context,
					  th_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
