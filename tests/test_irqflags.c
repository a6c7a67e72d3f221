/* SPDX-License-Identifier: MIT */
/*
 * Lazy interrupt masking (SPEC U4) with real signals.
 *
 * A SIGUSR1/SIGUSR2 handler plays the library's signal dispatcher: it calls
 * the internal top-half hook bh__hardirq_run(h, true). With interrupts off
 * for the thread (bh_local_irq_save, bh_local_irq_disable,
 * bh_spin_lock_irqsave) the signal is taken by the thread but the top half
 * must be held, coalesced per source, and run exactly once, in hardirq
 * context, at the restore that turns interrupts back on. The masking itself
 * must make no system call: checked in a forked child under a seccomp
 * filter that kills the process on any system call but exit.
 */
#include "harness.h"
#include "seccomp_child.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

struct top {
	int runs;
	bool in_hardirq;
	bool irqs_off_inside;
	unsigned int pc;
	bool ran_while_masked;
	bool raise;
};

static struct top top1, top2;
static struct bh__hardirq h1, h2;
/* Set by the test around the masked section; read by the top halves. */
static volatile sig_atomic_t masked;
static volatile sig_atomic_t ran_now, held, failed;

static void top_half(void *arg)
{
	struct top *t = arg;
	t->runs++;
	t->in_hardirq = bh_in_hardirq();
	t->irqs_off_inside = bh_irqs_disabled();
	t->pc = bh_preempt_count();
	if (masked)
		t->ran_while_masked = true;
	if (t->raise)
		bh_raise_softirq(BH_NET_RX_SOFTIRQ);
}

static void on_signal(int sig)
{
	int saved = errno;
	int r = bh__hardirq_run(sig == SIGUSR1 ? &h1 : &h2, true);
	if (r == 1)
		ran_now++;
	else if (r == 0)
		held++;
	else
		failed++;
	errno = saved;
}

/* An application's own handler, using the public signal-context pair. */
static volatile sig_atomic_t app_runs, app_in_hardirq;
static volatile unsigned int app_pc;
static void on_app_signal(int sig)
{
	(void)sig;
	int saved = errno;
	bh_signal_irq_enter();
	app_runs++;
	app_in_hardirq = bh_in_hardirq();
	app_pc = bh_preempt_count();
	bh_raise_softirq(BH_NET_RX_SOFTIRQ);
	bh_signal_irq_exit();
	errno = saved;
}

static unsigned long net_rx_calls;
static pthread_t net_rx_thread;
static void net_rx(void)
{
	net_rx_thread = pthread_self();
	__atomic_add_fetch(&net_rx_calls, 1, __ATOMIC_RELEASE);
}

static void fire(int sig)
{
	assert_int_equal(pthread_kill(pthread_self(), sig), 0);
}

static int setup(void **state)
{
	(void)state;
	memset(&top1, 0, sizeof(top1));
	memset(&top2, 0, sizeof(top2));
	h1 = (struct bh__hardirq){.fn = top_half, .arg = &top1};
	h2 = (struct bh__hardirq){.fn = top_half, .arg = &top2};
	masked = 0;
	ran_now = held = failed = 0;
	net_rx_calls = 0;
	th_set_handler(SIGUSR1, on_signal);
	th_set_handler(SIGUSR2, on_signal);
	th_set_handler(SIGRTMIN, on_app_signal);
	app_runs = app_in_hardirq = 0;
	app_pc = 0;
	th_init_cpu0(1, true);
	assert_int_equal(bh_open_softirq(BH_NET_RX_SOFTIRQ, net_rx), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	signal(SIGUSR1, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);
	signal(SIGRTMIN, SIG_DFL);
	return th_teardown(state);
}

/*
 * Unmasked, the top half runs at once in hardirq context; because it ran
 * in a signal handler, its irq_exit leaves the softirq it raised to
 * ksoftirqd instead of running it inside the handler.
 */
static void test_unmasked_signal_runs_top_half_at_once(void **state)
{
	(void)state;
	top1.raise = true;
	fire(SIGUSR1);
	assert_int_equal(ran_now, 1);
	assert_int_equal(held, 0);
	assert_int_equal(failed, 0);
	assert_int_equal(top1.runs, 1);
	assert_true(top1.in_hardirq);
	assert_int_equal(top1.pc, BH_HARDIRQ_OFFSET);
	/* Top halves run with interrupts off, as the kernel's do. */
	assert_true(top1.irqs_off_inside);
	assert_int_equal(bh_preempt_count(), 0);
	assert_false(bh_irqs_disabled());
	assert_int_equal(net_rx_calls, 0);
	assert_int_equal(bh_softirq_pending(0), 1u << BH_NET_RX_SOFTIRQ);
	assert_int_equal(bh_run_softirqs(0), 1);
	assert_int_equal(net_rx_calls, 1);
}

/* SPEC S9: outside a signal handler, the irq_exit runs softirqs inline. */
static void test_dispatcher_top_half_runs_softirqs_at_irq_exit(void **state)
{
	(void)state;
	top1.raise = true;
	assert_int_equal(bh__hardirq_run(&h1, false), 1);
	assert_int_equal(top1.runs, 1);
	assert_true(top1.in_hardirq);
	assert_int_equal(net_rx_calls, 1);
	assert_true(pthread_equal(net_rx_thread, pthread_self()));
	assert_int_equal(bh_softirq_pending(0), 0);
}

/*
 * The public pair for top halves in the application's own signal handler:
 * hardirq context inside; the outermost exit leaves softirqs to ksoftirqd.
 */
static void test_signal_irq_enter_exit_defers_softirqs(void **state)
{
	(void)state;
	fire(SIGRTMIN);
	assert_int_equal(app_runs, 1);
	assert_true(app_in_hardirq);
	assert_int_equal(app_pc, BH_HARDIRQ_OFFSET);
	assert_int_equal(bh_preempt_count(), 0);
	assert_int_equal(net_rx_calls, 0);
	assert_int_equal(bh_softirq_pending(0), 1u << BH_NET_RX_SOFTIRQ);
	assert_int_equal(bh_run_softirqs(0), 1);
	assert_int_equal(net_rx_calls, 1);

	/*
	 * Landing inside the thread's own hardirq section it is a nested
	 * level; the thread's outermost bh_irq_exit then runs the softirq
	 * inline, as an ordinary irq_exit does.
	 */
	bh_irq_enter();
	fire(SIGRTMIN);
	assert_int_equal(app_runs, 2);
	assert_int_equal(app_pc, 2 * BH_HARDIRQ_OFFSET);
	assert_int_equal(net_rx_calls, 1);
	bh_irq_exit();
	assert_int_equal(net_rx_calls, 2);
	assert_true(pthread_equal(net_rx_thread, pthread_self()));
	assert_int_equal(bh_softirq_pending(0), 0);
}

/* The same in threaded mode: ksoftirqd/0 runs what the handler raised. */
static void test_signal_irq_exit_wakes_ksoftirqd(void **state)
{
	(void)state;
	bh_shutdown();
	th_init_cpu0(1, false);
	assert_int_equal(bh_open_softirq(BH_NET_RX_SOFTIRQ, net_rx), 0);
	fire(SIGRTMIN);
	assert_int_equal(app_runs, 1);
	assert_true(th_wait_ge(&net_rx_calls, 1));
	assert_false(pthread_equal(net_rx_thread, pthread_self()));
}

/* SPEC U4 */
static void test_u4_signal_held_until_restore_and_coalesced(void **state)
{
	(void)state;
	unsigned long flags = bh_local_irq_save();
	masked = 1;
	fire(SIGUSR1);
	fire(SIGUSR1);
	assert_int_equal(raise(SIGUSR1), 0);
	/* Delivered to the thread, but the top half did not run. */
	assert_int_equal(held, 3);
	assert_int_equal(ran_now, 0);
	assert_int_equal(top1.runs, 0);
	assert_true(bh_irqs_disabled());
	masked = 0;
	bh_local_irq_restore(flags);
	/* Replayed once at the restore, in hardirq context. */
	assert_int_equal(top1.runs, 1);
	assert_false(top1.ran_while_masked);
	assert_true(top1.in_hardirq);
	assert_true(top1.irqs_off_inside);
	assert_int_equal(top1.pc & BH_HARDIRQ_MASK, BH_HARDIRQ_OFFSET);
	assert_false(bh_irqs_disabled());
	assert_int_equal(bh_preempt_count(), 0);
	assert_int_equal(failed, 0);

	/* Consumed: another save/restore replays nothing. */
	flags = bh_local_irq_save();
	bh_local_irq_restore(flags);
	assert_int_equal(top1.runs, 1);

	/* And the source can be held and replayed again. */
	flags = bh_local_irq_save();
	masked = 1;
	fire(SIGUSR1);
	assert_int_equal(top1.runs, 1);
	masked = 0;
	bh_local_irq_restore(flags);
	assert_int_equal(top1.runs, 2);
	assert_false(top1.ran_while_masked);
}

/* SPEC U4: each source is its own pending bit. */
static void test_u4_two_sources_each_run_once(void **state)
{
	(void)state;
	unsigned long flags = bh_local_irq_save();
	masked = 1;
	fire(SIGUSR1);
	fire(SIGUSR2);
	fire(SIGUSR1);
	fire(SIGUSR2);
	assert_int_equal(held, 4);
	masked = 0;
	bh_local_irq_restore(flags);
	assert_int_equal(top1.runs, 1);
	assert_int_equal(top2.runs, 1);
	assert_false(top1.ran_while_masked);
	assert_false(top2.ran_while_masked);
	assert_true(top1.in_hardirq);
	assert_true(top2.in_hardirq);
}

/* SPEC U4: nested save/restore replays only at the outermost restore. */
static void test_u4_nested_save_replays_at_outermost_restore(void **state)
{
	(void)state;
	unsigned long outer = bh_local_irq_save();
	unsigned long inner = bh_local_irq_save();
	masked = 1;
	fire(SIGUSR1);
	bh_local_irq_restore(inner);
	assert_true(bh_irqs_disabled());
	assert_int_equal(top1.runs, 0);
	fire(SIGUSR1); /* still masked after the inner restore */
	assert_int_equal(top1.runs, 0);
	masked = 0;
	bh_local_irq_restore(outer);
	assert_int_equal(top1.runs, 1);
	assert_false(top1.ran_while_masked);
	assert_true(top1.in_hardirq);
	assert_int_equal(held, 2);
}

/* SPEC U4: local_irq_disable/enable hold and replay the same way. */
static void test_u4_irq_disable_enable(void **state)
{
	(void)state;
	bh_local_irq_disable();
	masked = 1;
	fire(SIGUSR1);
	fire(SIGUSR1);
	assert_int_equal(top1.runs, 0);
	masked = 0;
	bh_local_irq_enable();
	assert_int_equal(top1.runs, 1);
	assert_true(top1.in_hardirq);
	assert_false(top1.ran_while_masked);
}

/* SPEC U4: spin_lock_irqsave masks, spin_unlock_irqrestore replays. */
static void test_u4_spin_lock_irqsave(void **state)
{
	(void)state;
	BH_DEFINE_SPINLOCK(lock);
	unsigned long flags = bh_spin_lock_irqsave(&lock);
	masked = 1;
	fire(SIGUSR2);
	assert_int_equal(top2.runs, 0);
	masked = 0;
	bh_spin_unlock_irqrestore(&lock, flags);
	assert_int_equal(top2.runs, 1);
	assert_true(top2.in_hardirq);
	assert_false(top2.ran_while_masked);
	assert_false(bh_spin_is_locked(&lock));

	/* spin_lock_irq / spin_unlock_irq too. */
	bh_spin_lock_irq(&lock);
	masked = 1;
	fire(SIGUSR2);
	assert_int_equal(top2.runs, 1);
	masked = 0;
	bh_spin_unlock_irq(&lock);
	assert_int_equal(top2.runs, 2);
	assert_false(top2.ran_while_masked);
}

#define SECCOMP_UNAVAILABLE 77

/* The child: this file's handlers go too (cmocka's are reset already). */
static int without_syscalls_child(void *arg)
{
	static const int allow[] = {__NR_exit_group, __NR_exit};
	void (*const *body)(void) = arg;

	signal(SIGUSR1, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);
	if (bh_running())
		bh_shutdown();
	struct bh_config cfg;
	th_config(&cfg, 1, true);
	if (bh_init(&cfg) != 0)
		return 2;
	(*body)();
	/* Any system call but exit kills the process. */
	if (th_forbid_syscalls(allow, sizeof(allow) / sizeof(allow[0]),
			       SECCOMP_RET_KILL_PROCESS) != 0)
		return SECCOMP_UNAVAILABLE;
	(*body)();
	return 0;
}

/*
 * Runs `body` in a forked child that has no library runtime inherited: the
 * child starts its own, warms every path once (lazy setup may legitimately
 * make system calls), then forbids system calls and runs the body again.
 * Returns the child's wait status.
 */
static int run_without_syscalls(void (*body)(void))
{
	return th_run_child(without_syscalls_child, &body, NULL, 0);
}

static void body_getppid(void)
{
	static int armed;
	/* The second call runs under the filter: this must kill the child. */
	if (armed++)
		syscall(SYS_getppid);
}

static void body_masking(void)
{
	BH_DEFINE_SPINLOCK(lock);
	unsigned long f1 = bh_local_irq_save();
	unsigned long f2 = bh_local_irq_save();
	bh_local_irq_restore(f2);
	bh_local_irq_restore(f1);
	bh_local_irq_disable();
	bh_local_irq_enable();
	unsigned long f3 = bh_spin_lock_irqsave(&lock);
	bh_spin_unlock_irqrestore(&lock, f3);
	bh_spin_lock_irq(&lock);
	bh_spin_unlock_irq(&lock);
	bh_spin_lock(&lock);
	bh_spin_unlock(&lock);
	if (bh_irqs_disabled() || bh_preempt_count() != 0)
		_exit(3);
}

/* SPEC U4: local_irq_save / spin_lock_irqsave make no system call. */
static void test_u4_masking_makes_no_system_call(void **state)
{
	(void)state;
#if TH_SANITIZED
	/* Sanitizer runtimes make system calls of their own. */
	skip();
#endif
	/* The shared runtime is not what the child should inherit. */
	if (bh_running())
		bh_shutdown();

	/* The filter works: a real system call kills the child. */
	int st = run_without_syscalls(body_getppid);
	if (WIFEXITED(st) && WEXITSTATUS(st) == SECCOMP_UNAVAILABLE)
		skip();
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSYS);

	st = run_without_syscalls(body_masking);
	if (WIFSIGNALED(st))
		fprintf(stderr, "child killed by signal %d\n", WTERMSIG(st));
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_unmasked_signal_runs_top_half_at_once),
		T(test_dispatcher_top_half_runs_softirqs_at_irq_exit),
		T(test_signal_irq_enter_exit_defers_softirqs),
		T(test_signal_irq_exit_wakes_ksoftirqd),
		T(test_u4_signal_held_until_restore_and_coalesced),
		T(test_u4_two_sources_each_run_once),
		T(test_u4_nested_save_replays_at_outermost_restore),
		T(test_u4_irq_disable_enable),
		T(test_u4_spin_lock_irqsave),
		T(test_u4_masking_makes_no_system_call),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
