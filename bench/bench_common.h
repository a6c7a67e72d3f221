/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the benchmark programs: clocks, raw futexes, pinning,
 * order statistics, a probe of a thread's scheduler state, and the
 * machine-readable output format.
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

#endif
