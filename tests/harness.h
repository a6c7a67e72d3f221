/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers for the cmocka tests.
 *
 * - A log sink that captures every diagnostic, so tests assert on the exact
 *   text of a WARN rather than on stderr.
 * - Runtime setup in deterministic mode (no threads; the test steps bh CPUs)
 *   or threaded mode.
 * - Bounded waits: a concurrency test waits for a counter with a deadline and
 *   fails if it passes, never sleep()s to "let it happen".
 */
#ifndef BH_TEST_HARNESS_H
#define BH_TEST_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bh.h>

/*
 * Sanitizer builds, as 0 or 1: TH_TSAN under ThreadSanitizer (stress is
 * sized down, it runs about ten times slower), TH_SANITIZED under any
 * sanitizer (their runtimes allocate and make system calls of their own).
 */
#if defined(__SANITIZE_THREAD__)
#define TH_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TH_TSAN 1
#endif
#endif
#ifndef TH_TSAN
#define TH_TSAN 0
#endif

#if defined(__SANITIZE_ADDRESS__) || TH_TSAN
#define TH_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define TH_SANITIZED 1
#endif
#endif
#ifndef TH_SANITIZED
#define TH_SANITIZED 0
#endif

#define TH_LOG_SIZE (256 * 1024)

struct th_log {
	char text[TH_LOG_SIZE];
	size_t len;
	unsigned int messages;
	bool echo; /* also copy to stderr (set TH_LOG_ECHO=1) */
};

static struct th_log th_log;

static inline void th_log_sink(void *arg, int level, const char *text,
			       size_t len)
{
	struct th_log *l = arg;
	(void)level;
	/* Messages from several threads: reserve space atomically. */
	size_t at = __atomic_fetch_add(&l->len, len, __ATOMIC_RELAXED);
	if (at + len < TH_LOG_SIZE)
		memcpy(l->text + at, text, len);
	__atomic_fetch_add(&l->messages, 1, __ATOMIC_RELAXED);
	if (l->echo)
		fwrite(text, 1, len, stderr);
}

static inline void th_log_clear(void)
{
	memset(th_log.text, 0, sizeof(th_log.text));
	__atomic_store_n(&th_log.len, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&th_log.messages, 0, __ATOMIC_RELAXED);
}

/* True if the captured log contains `needle`. */
static inline bool th_log_has(const char *needle)
{
	return strstr(th_log.text, needle) != NULL;
}

static inline void th_config(struct bh_config *cfg, int nr_cpus,
			     bool deterministic)
{
	bh_config_init(cfg);
	cfg->nr_cpus = nr_cpus;
	cfg->deterministic = deterministic;
	cfg->log = th_log_sink;
	cfg->log_arg = &th_log;
	const char *echo = getenv("TH_LOG_ECHO");
	th_log.echo = echo && *echo == '1';
}

/* bh_init with the capture sink; asserts success. */
static inline void th_init(int nr_cpus, bool deterministic)
{
	struct bh_config cfg;
	th_log_clear();
	th_config(&cfg, nr_cpus, deterministic);
	assert_int_equal(bh_init(&cfg), 0);
}

/* th_init(), then bind this thread to bh CPU 0. */
static inline void th_init_cpu0(int nr_cpus, bool deterministic)
{
	th_init(nr_cpus, deterministic);
	assert_int_equal(bh_thread_set_cpu(0), 0);
}

static inline void th_shutdown(void)
{
	assert_true(bh_shutdown() >= 0);
	bh_thread_set_cpu(-1);
}

/*
 * cmocka teardown for tests that shut the runtime down themselves (or never
 * start it): a failed assertion skips the test's own shutdown, so do it
 * here, or one failure cascades into every later test's bh_init(). Not
 * asserted, since the runtime is normally down already.
 */
static inline int th_teardown(void **state)
{
	(void)state;
	if (bh_running())
		bh_shutdown();
	bh_thread_set_cpu(-1);
	return 0;
}

/* cmocka teardown for tests whose setup started the runtime. */
static inline int th_teardown_shutdown(void **state)
{
	(void)state;
	th_shutdown();
	return 0;
}

static inline uint64_t th_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Default bound for waits that should finish in microseconds. */
#define TH_WAIT_NS (10ull * 1000000000ull)

/*
 * Counters shared between the test thread and callbacks on library threads.
 * Loads acquire and stores release, so whatever a thread wrote before it
 * bumped a counter is visible to the thread that sees the new value.
 */
static inline unsigned long th_ld(const unsigned long *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void th_st(unsigned long *p, unsigned long v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static inline void th_inc(unsigned long *p)
{
	__atomic_fetch_add(p, 1, __ATOMIC_ACQ_REL);
}

/* Raise *p to v if v is larger, against concurrent raisers. */
static inline void th_atomic_max(unsigned long *p, unsigned long v)
{
	unsigned long cur = __atomic_load_n(p, __ATOMIC_RELAXED);

	while (cur < v &&
	       !__atomic_compare_exchange_n(p, &cur, v, false, __ATOMIC_ACQ_REL,
					    __ATOMIC_RELAXED))
		;
}

/* A tasklet's disable depth, as another thread may be changing it. */
static inline int th_tasklet_count(const struct bh_tasklet *t)
{
	return __atomic_load_n(&t->count.counter, __ATOMIC_ACQUIRE);
}

/*
 * Wait until *counter >= target, yielding, at most TH_WAIT_NS. Returns true
 * if reached. The bound only turns a bug into a failure instead of a hang.
 * No assertion inside, so a callback on a library thread may wait too.
 */
static inline bool th_wait_ge(const unsigned long *counter,
			      unsigned long target)
{
	uint64_t deadline = th_now_ns() + TH_WAIT_NS;
	while (__atomic_load_n(counter, __ATOMIC_ACQUIRE) < target) {
		if (th_now_ns() > deadline)
			return false;
		sched_yield();
	}
	return true;
}

/*
 * Install `fn` (or SIG_IGN / SIG_DFL) for `sig`: nothing blocked while it
 * runs, and system calls it interrupts restarted. Asserts success.
 */
static inline void th_set_handler(int sig, void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(sig, &sa, NULL), 0);
}

/*
 * SPEC U1 rounds: round `round` sends `sig` to thread `th` when odd (so the
 * handler lands anywhere in it, a sleep included) and to the calling
 * thread when even. Under TSan always to the caller: TSan defers a handler
 * until the thread next enters an intercepted call, which a thread asleep
 * in a raw futex never does.
 */
static inline void th_signal_round(pthread_t th, int sig, unsigned long round)
{
	if (!TH_TSAN && round % 2)
		assert_int_equal(pthread_kill(th, sig), 0);
	else
		assert_int_equal(raise(sig), 0);
}

/*
 * SPEC U1 storms: `on_signal` handles SIGUSR1 and SIGALRM, the latter
 * raised every `period_us` by an interval timer; `n` threads run
 * producer((void *)i) into producers[i] while `signaller` runs alongside.
 * Returns once all have finished, with the interval timer stopped (the
 * handlers stay installed: a signal may still be in flight).
 */
static inline void th_signal_storm(void (*on_signal)(int), long period_us,
				   pthread_t *producers, long n,
				   void *(*producer)(void *),
				   void *(*signaller)(void *))
{
	struct itimerval it = {{0, period_us}, {0, period_us}};
	struct itimerval off = {{0, 0}, {0, 0}};
	pthread_t sigth;

	th_set_handler(SIGUSR1, on_signal);
	th_set_handler(SIGALRM, on_signal);
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	for (long i = 0; i < n; i++)
		assert_int_equal(pthread_create(&producers[i], NULL, producer,
						(void *)i),
				 0);
	assert_int_equal(pthread_create(&sigth, NULL, signaller, NULL), 0);
	assert_int_equal(pthread_join(sigth, NULL), 0);
	for (long i = 0; i < n; i++)
		assert_int_equal(pthread_join(producers[i], NULL), 0);
	assert_int_equal(setitimer(ITIMER_REAL, &off, NULL), 0);
}

/*
 * Threads seen from /proc, for tests of sleeping calls that must know a
 * thread is asleep inside the call under test, not about to enter it: a
 * signal sent too early, or a virtual-clock step taken before the sleeper
 * read the clock, would prove nothing. The caller guarantees that the
 * thread blocks nowhere else in that stretch.
 */

/* Kernel thread id of the caller (for the /proc helpers below). */
static inline unsigned long th_tid(void)
{
	return (unsigned long)syscall(SYS_gettid);
}

/* Reads /proc/self/task/TID/<file> into buf; false if it cannot. */
static inline bool th_task_file(unsigned long tid, const char *file, char *buf,
				size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/task/%lu/%s", tid, file);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return true;
}

/* The thread's scheduler state letter ('R', 'S', ...), or 0. */
static inline char th_thread_state(unsigned long tid)
{
	char buf[512];
	if (!th_task_file(tid, "stat", buf, sizeof(buf)))
		return 0;
	/* The name in parentheses may hold anything: parse after it. */
	const char *p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/* How many times the thread has blocked (voluntary switches), or -1. */
static inline long th_thread_blocks(unsigned long tid)
{
	char buf[2048];
	if (!th_task_file(tid, "status", buf, sizeof(buf)))
		return -1;
	const char *p = strstr(buf, "\nvoluntary_ctxt_switches:");
	return p ? strtol(p + strlen("\nvoluntary_ctxt_switches:"), NULL, 10)
		 : -1;
}

/* Bounded wait until the thread is asleep ('S'); false on timeout. */
static inline bool th_wait_asleep(unsigned long tid)
{
	uint64_t deadline = th_now_ns() + TH_WAIT_NS;
	while (th_thread_state(tid) != 'S') {
		if (th_now_ns() > deadline)
			return false;
		sched_yield();
	}
	return true;
}

/*
 * For a sleeper that polls (a timed sleep in deterministic mode looks at
 * the virtual clock every millisecond): wait until it has blocked twice
 * more, so that it woke and looked again after this call began, or until
 * *done is set. The first new block may end a look that began before;
 * the second cannot. False on timeout.
 */
static inline bool th_wait_polled(unsigned long tid, const unsigned long *done)
{
	long start = th_thread_blocks(tid);
	uint64_t deadline = th_now_ns() + TH_WAIT_NS;
	while (!th_ld(done) && th_thread_blocks(tid) < start + 2) {
		if (start < 0 || th_now_ns() > deadline)
			return false;
		sched_yield();
	}
	return true;
}

/* pthread_join, at most TH_WAIT_NS; false (thread left running) if not. */
static inline bool th_join(pthread_t th)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += TH_WAIT_NS / 1000000000ull;
	return pthread_timedjoin_np(th, NULL, &ts) == 0;
}

/*
 * Install `fn` for `sig` without SA_RESTART: a handler that runs while
 * the thread sleeps in the library ends the sleep with EINTR, which is how
 * interruptible waits learn of a "pending signal". (With SA_RESTART the
 * kernel restarts an untimed futex wait unseen.)
 */
static inline void th_set_interrupting_handler(int sig, void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(sig, &sa, NULL), 0);
}

/*
 * Send `sig` to thread `t` until *done is set, at most TH_WAIT_NS. A signal
 * that lands just before the thread enters its sleep interrupts nothing,
 * so one is sent again after each millisecond without result. True if
 * *done was set.
 */
static inline bool th_kill_until(pthread_t t, int sig,
				 const unsigned long *done)
{
	uint64_t deadline = th_now_ns() + TH_WAIT_NS;
	while (!th_ld(done)) {
		uint64_t now = th_now_ns(), again = now + 1000000u;
		if (now > deadline)
			return false;
		assert_int_equal(pthread_kill(t, sig), 0);
		while (!th_ld(done) && th_now_ns() < again)
			sched_yield();
	}
	return true;
}

/*
 * Forked children, for what the test runner must survive: an abort, a
 * crash, a thread blocked for good, a seccomp kill. No cmocka assertion may
 * run in a child (it would unwind into the parent's copy of the runner): a
 * child reports through its exit status, and the parent asserts on it.
 */

/* In a child of th_run_child(): the write end of the pipe to the parent. */
static int th_child_log_fd = -1;

/* Log sink for a child's runtime: the text goes to the parent. */
static inline void th_child_log_sink(void *arg, int level, const char *text,
				     size_t len)
{
	(void)arg;
	(void)level;
	while (len > 0) {
		ssize_t n = write(th_child_log_fd, text, len);
		if (n <= 0)
			return;
		text += n;
		len -= (size_t)n;
	}
}

/*
 * th_config() for a runtime started in a child: its log goes to the
 * parent when th_run_child() was given a buffer, else to the child's own
 * copy of th_log.
 */
static inline void th_child_config(struct bh_config *cfg, int nr_cpus,
				   bool deterministic)
{
	th_config(cfg, nr_cpus, deterministic);
	if (th_child_log_fd >= 0)
		cfg->log = th_child_log_sink;
}

/*
 * Run fn(arg) in a forked child that exits with its return value, and
 * return the child's wait status. cmocka's signal handlers are reset in
 * the child, so that a crash shows in the status. With `out`, what the
 * child logs through th_child_log_sink is collected there, NUL-terminated
 * and cut to outlen - 1 bytes (the rest is read and dropped, so that a
 * talkative child cannot block on a full pipe).
 */
static inline int th_run_child(int (*fn)(void *), void *arg, char *out,
			       size_t outlen)
{
	static const int dfl[] = {SIGABRT, SIGALRM, SIGBUS, SIGFPE,
				  SIGILL,  SIGSEGV, SIGSYS};
	int fds[2] = {-1, -1};
	int status;

	if (out) {
		assert_true(outlen > 0);
		assert_int_equal(pipe(fds), 0);
	}
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (size_t i = 0; i < sizeof(dfl) / sizeof(dfl[0]); i++)
			signal(dfl[i], SIG_DFL);
		if (out) {
			close(fds[0]);
			th_child_log_fd = fds[1];
		}
		_exit(fn(arg));
	}
	if (out) {
		char drop[256];
		size_t at = 0;

		close(fds[1]);
		for (;;) {
			bool room = at < outlen - 1;
			ssize_t n =
				room ? read(fds[0], out + at, outlen - 1 - at)
				     : read(fds[0], drop, sizeof(drop));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			if (room)
				at += (size_t)n;
		}
		out[at] = '\0';
		close(fds[0]);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

/* The child of th_run_child() exited normally with status `code`. */
static inline void th_assert_exit_code(int status, int code)
{
	if (WIFSIGNALED(status))
		fail_msg("child killed by signal %d", WTERMSIG(status));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), code);
}

/*
 * A thread re-taking a lock it already holds (a self-deadlock): in a forked
 * child with its own runtime, take() runs twice. The second call must
 * report `needle` (and `also`, unless NULL) with a backtrace, then block as
 * the kernel's would, until the child's alarm() safety net ends it. The
 * caller's runtime is shut down first.
 */
struct th__take_twice {
	void (*take)(void);
};

static inline int th__take_twice_child(void *arg)
{
	const struct th__take_twice *tt = arg;
	struct bh_config cfg;

	th_child_config(&cfg, 1, true);
	if (bh_init(&cfg) != 0)
		return 2;
	tt->take();
	alarm(1); /* the next call blocks for good after its report */
	tt->take();
	return 3; /* returned: the recursion went unnoticed */
}

static inline void th_expect_recursion_report(void (*take)(void),
					      const char *needle,
					      const char *also)
{
	static char out[64 * 1024];
	struct th__take_twice tt = {take};

	bh_shutdown();
	int status = th_run_child(th__take_twice_child, &tt, out, sizeof(out));
	if (!strstr(out, needle))
		fprintf(stderr, "child log:\n%s\n", out);
	assert_non_null(strstr(out, needle));
	if (also)
		assert_non_null(strstr(out, also));
	assert_non_null(strstr(out, "Call Trace:"));
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGALRM);
}

#endif
