/* SPDX-License-Identifier: MIT */
/*
 * "This code makes no system call" (SPEC U3, U4), checked in a forked child
 * (th_run_child() in harness.h) that installs a seccomp filter allowing
 * only the few calls it needs to report and exit. The filter holds for the
 * calling thread only: library threads started before it are not filtered.
 */
#ifndef BH_TEST_SECCOMP_CHILD_H
#define BH_TEST_SECCOMP_CHILD_H

#include "harness.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

/* The filter checks the ABI too; unknown architectures go without. */
#if defined(__x86_64__)
#define TH_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define TH_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

#define TH_SECCOMP_MAX_ALLOW 8

/*
 * Leave the child with the raw exit_group system call, which every filter
 * here allows (exit() would run atexit handlers and flush stdio, which
 * make other calls). Deliberately not _Noreturn: ASan precedes a call to a
 * noreturn function it does not inline with __asan_handle_no_return(),
 * whose sigaltstack() a filter would trap. Returns `code` so that callers
 * may write `return th_exit_raw(code);`; exit_group does not return.
 */
static inline int th_exit_raw(int code)
{
	/* No loop after it either: GCC would infer noreturn from one. */
	syscall(SYS_exit_group, code);
	return code;
}

/*
 * From now on the calling thread may make only the system calls in
 * allow[0..n); any other gets `otherwise`: SECCOMP_RET_KILL_PROCESS, or
 * SECCOMP_RET_TRAP to have a SIGSYS handler report it. A call through
 * another architecture's ABI kills the process. Installed with the raw
 * system call, which no sanitizer intercepts. Returns 0, or -1 where
 * seccomp or the architecture is not available.
 */
static inline int th_forbid_syscalls(const int *allow, unsigned int n,
				     unsigned int otherwise)
{
#ifdef TH_AUDIT_ARCH
	struct sock_filter f[4 + 2 * TH_SECCOMP_MAX_ALLOW + 1] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TH_AUDIT_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
	};
	unsigned short len = 4;

	if (n > TH_SECCOMP_MAX_ALLOW) {
		errno = EINVAL;
		return -1;
	}
	for (unsigned int i = 0; i < n; i++) {
		f[len++] = (struct sock_filter)BPF_JUMP(
			BPF_JMP | BPF_JEQ | BPF_K, (unsigned int)allow[i], 0,
			1);
		f[len++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
							SECCOMP_RET_ALLOW);
	}
	f[len++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, otherwise);

	struct sock_fprog prog = {.len = len, .filter = f};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
#else
	(void)allow;
	(void)n;
	(void)otherwise;
	errno = ENOSYS;
	return -1;
#endif
}

#endif
