/* SPDX-License-Identifier: MIT */
/*
 * SPEC U3: scheduling a tasklet that is already scheduled makes no system
 * call. A forked child sets up the runtime, schedules once, then installs a
 * seccomp filter that traps every system call except write, exit,
 * exit_group and rt_sigreturn, and makes a million coalesced schedule and
 * hi_schedule calls. A trapped call reports its number on stderr and the
 * child exits with status 3; the parent expects status 0.
 *
 * The "takes no lock" half of U3 is not observable from outside without
 * instrumenting the library; an uncontended lock would make no system call
 * either. What this does prove is that no lock is ever waited for (a futex
 * wait is a system call) on the coalesced path.
 */
#include "harness.h"
#include "seccomp_child.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NCALLS 1000000ul

enum { CHILD_OK = 0, CHILD_SETUP = 2, CHILD_SYSCALL = 3, CHILD_WRONG = 4 };

static void cb(struct bh_tasklet *t)
{
	(void)t;
}

/* Async-signal-safe decimal write for the SIGSYS report. */
static void say_syscall(long nr)
{
	char buf[64] = "filtered child made system call ";
	size_t len = strlen(buf);
	char digits[24];
	int n = 0;

	if (nr < 0)
		nr = -nr;
	do {
		digits[n++] = (char)('0' + nr % 10);
		nr /= 10;
	} while (nr && n < (int)sizeof(digits));
	while (n && len < sizeof(buf) - 2)
		buf[len++] = digits[--n];
	buf[len++] = '\n';
	(void)!write(2, buf, len);
}

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	say_syscall(si->si_syscall);
	th_exit_raw(CHILD_SYSCALL);
}

/*
 * The child: no cmocka here (an assertion would unwind into the parent's
 * copy of the runner). `follow_cpu` leaves the thread following its real
 * CPU, so the bh CPU lookup (rseq / vDSO getcpu) is on the path too.
 */
static int child(bool threaded, bool follow_cpu, bool control)
{
	static const int allow[] = {__NR_write, __NR_exit, __NR_exit_group,
				    __NR_rt_sigreturn};
	static struct bh_tasklet t, h;
	struct bh_config cfg;
	struct sigaction sa;

	th_config(&cfg, 2, !threaded);
	if (bh_init(&cfg) != 0)
		return CHILD_SETUP;
	bh_tasklet_setup(&t, cb);
	bh_tasklet_setup(&h, cb);
	if (threaded) {
		/*
		 * Disabled, so ksoftirqd/N cannot run them and make the next
		 * schedule a first one again; they stay scheduled (T13).
		 */
		bh_tasklet_disable_nosync(&t);
		bh_tasklet_disable_nosync(&h);
	}
	if (bh_thread_set_cpu(follow_cpu ? -1 : 1) != 0)
		return CHILD_SETUP;
	if (bh_tasklet_schedule(&t) != 1 || bh_tasklet_hi_schedule(&h) != 1)
		return CHILD_SETUP;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) != 0)
		return CHILD_SETUP;
	if (th_forbid_syscalls(allow, sizeof(allow) / sizeof(allow[0]),
			       SECCOMP_RET_TRAP) != 0)
		return CHILD_SETUP;
	if (control)
		(void)!syscall(SYS_getppid); /* must trap: proves the filter */
	for (unsigned long i = 0; i < NCALLS; i++) {
		int a = (i & 1) ? bh_tasklet_hi_schedule(&t)
				: bh_tasklet_schedule(&t);
		int b = (i & 1) ? bh_tasklet_schedule(&h)
				: bh_tasklet_hi_schedule(&h);

		if (a != 0 || b != 0)
			return CHILD_WRONG;
	}
	return CHILD_OK;
}

struct child_args {
	bool threaded, follow_cpu, control;
};

static int child_main(void *arg)
{
	const struct child_args *a = arg;

	return th_exit_raw(child(a->threaded, a->follow_cpu, a->control));
}

static void run_child(bool threaded, bool follow_cpu, int want)
{
	struct child_args a = {threaded, follow_cpu, want == CHILD_SYSCALL};

#ifndef TH_AUDIT_ARCH
	skip();
#endif
	if (TH_TSAN) {
		/* TSan's runtime makes system calls of its own on atomics
		 * (and dislikes fork with threads); nothing to learn here. */
		skip();
		return;
	}
	th_assert_exit_code(th_run_child(child_main, &a, NULL, 0), want);
}

/* SPEC U3, deterministic runtime, explicit bh CPU. */
static void test_u3_coalesced_no_syscall_det(void **state)
{
	(void)state;
	run_child(false, false, CHILD_OK);
}

/* SPEC U3, deterministic runtime, bh CPU from the real CPU. */
static void test_u3_coalesced_no_syscall_follow_cpu(void **state)
{
	(void)state;
	run_child(false, true, CHILD_OK);
}

/* SPEC U3, threaded runtime (ksoftirqd threads alive, not filtered). */
static void test_u3_coalesced_no_syscall_threaded(void **state)
{
	(void)state;
	run_child(true, true, CHILD_OK);
}

/* Control: the same child making one system call is caught. */
static void test_u3_filter_catches_a_syscall(void **state)
{
	(void)state;
	run_child(false, false, CHILD_SYSCALL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u3_coalesced_no_syscall_det),
		cmocka_unit_test(test_u3_coalesced_no_syscall_follow_cpu),
		cmocka_unit_test(test_u3_coalesced_no_syscall_threaded),
		cmocka_unit_test(test_u3_filter_catches_a_syscall),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
