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

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__x86_64__)
#define TH_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define TH_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

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

/*
 * Exit with the raw system call: libc's _exit() is intercepted by the
 * sanitizer runtimes, whose exit hooks make system calls of their own
 * (sigaltstack under ASan), which the filter would trap.
 */
static _Noreturn void leave(int code)
{
	for (;;)
		syscall(SYS_exit_group, code);
}

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	say_syscall(si->si_syscall);
	leave(CHILD_SYSCALL);
}

#ifdef TH_AUDIT_ARCH
#define ALLOW(nr)                                                              \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1),                       \
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

static int install_filter(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TH_AUDIT_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		ALLOW(__NR_write),
		ALLOW(__NR_exit),
		ALLOW(__NR_exit_group),
		ALLOW(__NR_rt_sigreturn),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
	};
	struct sock_fprog prog = {
		.len = sizeof(f) / sizeof(f[0]),
		.filter = f,
	};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}
#endif

/*
 * The child: no cmocka here (an assertion would unwind into the parent's
 * copy of the runner). `follow_cpu` leaves the thread following its real
 * CPU, so the bh CPU lookup (rseq / vDSO getcpu) is on the path too.
 */
static int child(bool threaded, bool follow_cpu, bool control)
{
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
#ifdef TH_AUDIT_ARCH
	if (install_filter() != 0)
		return CHILD_SETUP;
#endif
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

static void run_child(bool threaded, bool follow_cpu, int want)
{
	int status;
	pid_t pid;

#ifndef TH_AUDIT_ARCH
	skip();
#endif
	if (TH_TSAN) {
		/* TSan's runtime makes system calls of its own on atomics
		 * (and dislikes fork with threads); nothing to learn here. */
		skip();
		return;
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		leave(child(threaded, follow_cpu, want == CHILD_SYSCALL));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("child killed by signal %d", WTERMSIG(status));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), want);
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
