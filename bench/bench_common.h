/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the benchmark programs: clocks, raw futexes, pinning,
 * order statistics, a probe of a thread's scheduler state, the placement of
 * the measuring thread and its targets, target threads (a libuv loop
 * among them), and the machine-readable output format.
 *
 * Every program prints, besides its human-readable text, lines of the form
 *
 *   BENCH <benchmark> <impl> <metric>=<value> [<metric>=<value> ...]
 *
 * one per measurement and round, so that bench/run.sh (or anything else)
 * can take medians over rounds and processes without parsing prose.
 */
#ifndef BH_BENCH_COMMON_H
#define BH_BENCH_COMMON_H

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bh.h>
#include <uv.h>

/* Nanoseconds on CLOCK_MONOTONIC (vDSO on this machine: no system call). */
static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void bench_sleep_us(unsigned int us)
{
	struct timespec ts = {.tv_sec = us / 1000000,
			      .tv_nsec = (long)(us % 1000000) * 1000};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Raw futex calls, private to the process: the physical limit we compare to. */
static inline long bench_futex_wait(unsigned int *addr, unsigned int val)
{
	return syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static inline long bench_futex_wake(unsigned int *addr, int n)
{
	return syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}

/*
 * A one-shot flag one thread raises and another blocks on. The waiter
 * sleeps in the kernel, so on a shared CPU the raiser keeps the CPU until
 * it blocks itself; raising always wakes, which costs one futex call after
 * the measured instant.
 */
static inline void bench_flag_raise(unsigned int *flag)
{
	__atomic_store_n(flag, 1, __ATOMIC_RELEASE);
	bench_futex_wake(flag, 1);
}

static inline void bench_flag_wait(unsigned int *flag)
{
	while (__atomic_load_n(flag, __ATOMIC_ACQUIRE) == 0)
		bench_futex_wait(flag, 0);
}

/* Pin the calling thread to one CPU; returns 0 or an errno value. */
static inline int bench_pin_self(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static inline pid_t bench_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/*
 * The scheduler state letter of thread `tid` of this process ('S' asleep,
 * 'R' runnable, ...), read from /proc; '?' if it cannot be read.
 */
static inline char bench_thread_state(pid_t tid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	FILE *f = fopen(path, "re");
	if (!f)
		return '?';
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* "tid (comm) S ...": comm may hold spaces and parentheses. */
	char *p = strrchr(buf, ')');
	return (p && p[1] == ' ' && p[2]) ? p[2] : '?';
}

/*
 * Wait until thread `tid` is asleep, polling every 20 us for at most about
 * 200 ms. Returns true if it was seen asleep. A tid of 0 (unknown thread)
 * only pauses.
 */
static inline bool bench_wait_asleep(pid_t tid)
{
	if (tid == 0) {
		bench_sleep_us(200);
		return true;
	}
	for (int i = 0; i < 10000; i++) {
		if (bench_thread_state(tid) == 'S')
			return true;
		bench_sleep_us(20);
	}
	return false;
}

/* Find the thread of this process whose name is `comm`; 0 if none. */
static inline pid_t bench_find_thread_once(const char *comm)
{
	DIR *d = opendir("/proc/self/task");
	if (!d)
		return 0;
	pid_t found = 0;
	struct dirent *e;
	while (!found && (e = readdir(d)) != NULL) {
		char path[300], name[64];
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm",
			 e->d_name);
		FILE *f = fopen(path, "re");
		if (!f)
			continue;
		bool ok = fgets(name, sizeof(name), f) != NULL;
		fclose(f);
		if (!ok)
			continue;
		name[strcspn(name, "\n")] = '\0';
		if (strcmp(name, comm) == 0)
			found = (pid_t)atoi(e->d_name);
	}
	closedir(d);
	return found;
}

/*
 * The same, waiting up to a second: a new thread names itself, so it may
 * not have done so yet when its creator returns.
 */
static inline pid_t bench_find_thread(const char *comm)
{
	pid_t tid = 0;
	for (int i = 0; i < 1000 && !(tid = bench_find_thread_once(comm)); i++)
		bench_sleep_us(1000);
	return tid;
}

/*
 * ksoftirqd/<cpu>, found as bench_find_thread() finds it; 0, said on
 * stderr, if there is none (bench_wait_asleep() then only pauses).
 */
static inline pid_t bench_find_ksoftirqd(int cpu)
{
	char comm[32];
	snprintf(comm, sizeof(comm), "ksoftirqd/%d", cpu);
	pid_t tid = bench_find_thread(comm);
	if (!tid)
		fprintf(stderr,
			"bench: no thread named %s; pausing instead "
			"of checking it sleeps\n",
			comm);
	return tid;
}

static int bench_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Sort v[0..n) and return the q-quantile (0 <= q <= 1, nearest rank). */
static inline uint64_t bench_quantile(uint64_t *v, size_t n, double q)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), bench_cmp_u64);
	size_t i = (size_t)(q * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

/* Median of a small array of doubles (sorted in place). */
static inline double bench_median_d(double *v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
			double t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	if (n == 0)
		return 0;
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static inline void bench_die(const char *what, int err)
{
	fprintf(stderr, "bench: %s: %s\n", what,
		strerror(err < 0 ? -err : err));
	exit(2);
}

/*
 * Where a wake-up benchmark runs: this thread (the one that measures or
 * produces) is pinned to `cpu`, the threads it wakes to `target_cpu`: the
 * other CPU with "cross", the same one with "same", where a target only
 * runs when the scheduler lets it. `rounds` of measurement.
 */
struct bench_place {
	bool cross;
	int cpu, target_cpu, rounds;
};

/*
 * Take argv[*a] (and its value) if it is one of the arguments every placed
 * benchmark has: same, cross, -c CPU, -r ROUNDS. False for anything else.
 */
static inline bool bench_place_arg(int argc, char **argv, int *a,
				   struct bench_place *p)
{
	const char *s = argv[*a];

	if (strcmp(s, "same") == 0)
		p->cross = false;
	else if (strcmp(s, "cross") == 0)
		p->cross = true;
	else if (strcmp(s, "-c") == 0 && *a + 1 < argc)
		p->cpu = atoi(argv[++*a]);
	else if (strcmp(s, "-r") == 0 && *a + 1 < argc)
		p->rounds = atoi(argv[++*a]);
	else
		return false;
	return true;
}

/*
 * Check the placement against this machine and pick target_cpu. False for
 * a usage error (no such CPU, no rounds); exits if "cross" has no second
 * CPU to go to.
 */
static inline bool bench_place_check(struct bench_place *p)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	if (p->cpu < 0 || p->cpu >= ncpu || p->rounds <= 0)
		return false;
	if (p->cross && ncpu < 2) {
		fprintf(stderr, "bench: cross needs two CPUs\n");
		exit(2);
	}
	p->target_cpu = p->cross ? (p->cpu + 1) % (int)ncpu : p->cpu;
	return true;
}

/*
 * Pin this thread (`self` names it in an error) and start the threaded
 * runtime with ksoftirqd/N pinned (cfg.pin_threads). This thread's bh CPU
 * follows the CPU it runs on (SPEC U5), which "same" wants; with "cross"
 * it schedules onto the target's bh CPU instead. Returns the tid of
 * ksoftirqd/<target_cpu> (0 if it cannot be found).
 */
static inline pid_t bench_place_start(const struct bench_place *p,
				      const char *self)
{
	struct bh_config cfg;
	int err = bench_pin_self(p->cpu);

	if (err)
		bench_die(self, err);
	bh_config_init(&cfg);
	cfg.pin_threads = true;
	if ((err = bh_init(&cfg)) != 0)
		bench_die("bh_init", err);
	if (p->cross && (err = bh_thread_set_cpu(p->target_cpu)) != 0)
		bench_die("bh_thread_set_cpu", err);
	return bench_find_ksoftirqd(p->target_cpu);
}

/*
 * A target thread: pinned to `cpu`, named `name` (so that /proc shows
 * which one it is), running fn(arg) after it has published its tid.
 */
struct bench_thread {
	pthread_t th;
	pid_t tid;
	int cpu;
	const char *name;
	void *(*fn)(void *);
	void *arg;
};

static inline void *bench_thread_main(void *p)
{
	struct bench_thread *t = p;

	bench_pin_self(t->cpu);
	pthread_setname_np(pthread_self(), t->name);
	__atomic_store_n(&t->tid, bench_gettid(), __ATOMIC_RELEASE);
	return t->fn(t->arg);
}

/* Start one; returns once its tid is known. */
static inline void bench_thread_start(struct bench_thread *t, const char *name,
				      int cpu, void *(*fn)(void *), void *arg)
{
	*t = (struct bench_thread){
		.cpu = cpu, .name = name, .fn = fn, .arg = arg};
	int err = pthread_create(&t->th, NULL, bench_thread_main, t);
	if (err)
		bench_die("pthread_create", err);
	while (!__atomic_load_n(&t->tid, __ATOMIC_ACQUIRE))
		bench_sleep_us(100);
}

/* A libuv loop and one async handle on it, `cb` its callback. */
static inline void bench_uv_init(uv_loop_t *loop, uv_async_t *async,
				 uv_async_cb cb)
{
	int err = uv_loop_init(loop);
	if (err)
		bench_die("uv_loop_init", err);
	err = uv_async_init(loop, async, cb);
	if (err)
		bench_die("uv_async_init", err);
}

/*
 * The same, with the loop run by a target thread named uv-loop: what
 * uv_async_send() wakes. To stop it, the callback closes the handle when
 * it sees the benchmark stopping, and bench_uv_stop() sends once more.
 */
struct bench_uv {
	uv_loop_t loop;
	uv_async_t async;
	struct bench_thread thread;
};

static inline void *bench_uv_run(void *arg)
{
	struct bench_uv *u = arg;

	uv_run(&u->loop, UV_RUN_DEFAULT);
	return NULL;
}

static inline void bench_uv_start(struct bench_uv *u, int cpu, uv_async_cb cb)
{
	bench_uv_init(&u->loop, &u->async, cb);
	bench_thread_start(&u->thread, "uv-loop", cpu, bench_uv_run, u);
}

static inline void bench_uv_stop(struct bench_uv *u)
{
	uv_async_send(&u->async);
	pthread_join(u->thread.th, NULL);
	uv_loop_close(&u->loop);
}

#endif
