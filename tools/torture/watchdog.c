/* SPDX-License-Identifier: MIT */
/*
 * The stall watchdog. Every thread of the program marks the start of each
 * operation (tt_op_begin) and its end; a thread of its own looks at them
 * every 20 ms, and if one operation has been going for longer than
 * --stall, the program is deadlocked or livelocked: it says which thread
 * and which operation, prints the stack of every thread of the process
 * (each is sent SIGUSR2, whose handler writes its own backtrace with
 * backtrace_symbols_fd(), which does not allocate; then gdb, if there is
 * one, for the library's threads, which block signals), prints the
 * command line that reproduces the run, and exits with status 2.
 */
#include "torture.h"

#include <dirent.h>
#include <execinfo.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

__thread struct tt_thread *tt_self;

#define MAX_THREADS 1024
static struct tt_thread *registry[MAX_THREADS];
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t wd_th;
static int wd_stop;
static int dump_done;

uint64_t tt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void tt_pause_us(unsigned us)
{
	struct timespec ts = {0, (long)us * 1000};

	nanosleep(&ts, NULL); /* EINTR from the storm: just a shorter pause */
}

uint64_t tt_seed_stream(unsigned long long seed, unsigned long stream)
{
	/* splitmix64 of (seed, stream): distinct, never-zero streams. */
	uint64_t z = seed + 0x9E3779B97F4A7C15ull * (stream + 1);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	z ^= z >> 31;
	return z ? z : 1;
}

void tt_thread_register(struct tt_thread *t, int id)
{
	t->id = id;
	t->tid = (pid_t)syscall(SYS_gettid);
	t->rng = tt_seed_stream(tt_opts.seed, (unsigned long)(2 * id + 2));
	t->sig_rng = tt_seed_stream(tt_opts.seed, (unsigned long)(2 * id + 3));
	tt_self = t;
	pthread_mutex_lock(&registry_lock);
	for (int i = 0; i < MAX_THREADS; i++)
		if (!registry[i]) {
			registry[i] = t;
			break;
		}
	pthread_mutex_unlock(&registry_lock);
}

void tt_thread_unregister(struct tt_thread *t)
{
	pthread_mutex_lock(&registry_lock);
	for (int i = 0; i < MAX_THREADS; i++)
		if (registry[i] == t)
			registry[i] = NULL;
	pthread_mutex_unlock(&registry_lock);
	tt_self = NULL;
}

static void put(const char *s)
{
	if (write(2, s, strlen(s)) < 0)
		return;
}

/* SIGUSR2: write this thread's stack. Only the watchdog sends it, to one
 * thread at a time, and waits for dump_done. */
static void on_dump(int sig)
{
	void *frames[64];
	int n = backtrace(frames, 64);

	(void)sig;
	backtrace_symbols_fd(frames, n, 2);
	__atomic_store_n(&dump_done, 1, __ATOMIC_RELEASE);
}

/* From /proc: does the thread block SIGUSR2 (SigBlk, a hex mask)? */
static bool blocks_sigusr2(pid_t tid)
{
	char path[64], buf[2048], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	p = strstr(buf, "SigBlk:");
	return p && (strtoull(p + 7, NULL, 16) >> (SIGUSR2 - 1)) & 1;
}

static void dump_all_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	pid_t me = (pid_t)syscall(SYS_gettid);

	if (!d)
		return;
	while ((e = readdir(d))) {
		pid_t tid = (pid_t)atoi(e->d_name);
		char path[64], comm[32] = "?", line[128];
		int fd;

		if (tid <= 0 || tid == me)
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%d/comm", tid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			ssize_t k = read(fd, comm, sizeof(comm) - 1);
			comm[k > 0 ? k - 1 : 0] = '\0';
			close(fd);
		}
		snprintf(line, sizeof(line), "--- thread %d (%s):\n", tid,
			 comm);
		put(line);
		if (blocks_sigusr2(tid)) {
			put("    (blocks signals: a library thread; see gdb "
			    "below)\n");
			continue;
		}
		__atomic_store_n(&dump_done, 0, __ATOMIC_RELEASE);
		if (syscall(SYS_tgkill, getpid(), tid, SIGUSR2) < 0)
			continue;
		for (int i = 0;
		     i < 500 && !__atomic_load_n(&dump_done, __ATOMIC_ACQUIRE);
		     i++)
			tt_pause_us(1000);
		if (!__atomic_load_n(&dump_done, __ATOMIC_ACQUIRE))
			put("    (no answer: SIGUSR2 blocked or the thread is "
			    "stuck in the kernel)\n");
	}
	closedir(d);
}

void tt_print_repro(int fd)
{
	char buf[512];
	int n = snprintf(
		buf, sizeof(buf),
		"bh-torture: reproduce with: %s --seed %llu "
		"--duration %llums --threads %d --signal-hz %lu "
		"--stall %llums%s%s%s\n",
		tt_opts.argv0, tt_opts.seed,
		(unsigned long long)(tt_opts.duration_ns / 1000000),
		tt_opts.threads, tt_opts.signal_hz,
		(unsigned long long)(tt_opts.stall_ns / 1000000),
		tt_opts.inject ? " --inject-bug=" : "",
		tt_opts.inject == TT_INJECT_LOST_RUN	 ? "lost-run"
		: tt_opts.inject == TT_INJECT_CONCURRENT ? "concurrent"
		: tt_opts.inject == TT_INJECT_STALL	 ? "stall"
							 : "",
		tt_opts.hold_handler_slots ? "" : " --release-handler-slots");

	if (n > 0 && write(fd, buf, (size_t)n) < 0)
		return;
}

/*
 * The library's own threads block every signal, so only a debugger sees
 * their stacks: when gdb is on the PATH (and not --no-gdb), attach it in
 * batch mode for "thread apply all bt", bounded in time. Yama's
 * ptrace_scope 1 lets a process be traced by its descendants only if it
 * says so: PR_SET_PTRACER.
 */
static void gdb_dump(void)
{
	char pid[24];
	pid_t child;
	int status;

	if (!tt_opts.gdb)
		return;
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
	child = fork();
	if (child < 0)
		return;
	if (child == 0) {
		dup2(2, 1);
		execlp("gdb", "gdb", "-batch", "-nx", "-q", "-p", pid, "-ex",
		       "thread apply all bt", (char *)NULL);
		put("bh-torture: no gdb on the PATH: library threads' stacks "
		    "not shown\n");
		_exit(127);
	}
	for (int i = 0; i < 600; i++) { /* 60 s at most */
		if (waitpid(child, &status, WNOHANG) == child)
			return;
		tt_pause_us(100000);
	}
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
}

static void stalled(struct tt_thread *t, const char *op, uint64_t age)
{
	char line[256];

	snprintf(line, sizeof(line),
		 "bh-torture: STALL: thread %d (tid %d) stuck in %s for "
		 "%.1f s (bound %.1f s): deadlock or lost wake-up; stacks "
		 "of all threads follow (seed %llu)\n",
		 t->id, (int)t->tid, op ? op : "?", (double)age / 1e9,
		 (double)tt_opts.stall_ns / 1e9, tt_opts.seed);
	put(line);
	dump_all_threads();
	put("bh-torture: all threads, from gdb:\n");
	gdb_dump();
	put(line);
	tt_print_repro(2);
	_exit(TT_EXIT_STALL);
}

static void *watchdog(void *arg)
{
	sigset_t all;

	(void)arg;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	while (!__atomic_load_n(&wd_stop, __ATOMIC_ACQUIRE)) {
		uint64_t now = tt_now_ns();

		pthread_mutex_lock(&registry_lock);
		for (int i = 0; i < MAX_THREADS; i++) {
			struct tt_thread *t = registry[i];
			uint64_t start;

			if (!t)
				continue;
			start = __atomic_load_n(&t->op_start, __ATOMIC_ACQUIRE);
			if (start && now > start &&
			    now - start > tt_opts.stall_ns)
				stalled(t,
					__atomic_load_n(&t->op_name,
							__ATOMIC_RELAXED),
					now - start);
		}
		pthread_mutex_unlock(&registry_lock);
		tt_pause_us(20000);
	}
	return NULL;
}

int tt_watchdog_start(void)
{
	struct sigaction sa;
	void *frames[4];

	/* backtrace() loads its unwinder on first use; do it now, not in
	 * a handler. */
	(void)backtrace(frames, 4);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_dump;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGUSR2, &sa, NULL) < 0)
		return -1;
	return -pthread_create(&wd_th, NULL, watchdog, NULL);
}

void tt_watchdog_stop(void)
{
	__atomic_store_n(&wd_stop, 1, __ATOMIC_RELEASE);
	pthread_join(wd_th, NULL);
}
