/* SPDX-License-Identifier: MIT */
/*
 * What the workqueue benchmarks share: clocks, futexes, pinning, order
 * statistics, and one work item type that every implementation can run:
 *
 *   bh          bh_queue_work() on a per-CPU workqueue (the item goes to
 *               the caller's bh CPU, SPEC Q1);
 *   bh_unbound  bh_queue_work() on a BH_WQ_UNBOUND workqueue;
 *   uv          uv_queue_work(): libuv's process-wide threadpool. It may
 *               only be called from the thread that runs the loop, so the
 *               producer is a loop thread, and it learns that an item may be
 *               reused only in the after-work callback, on the loop;
 *   glib        g_thread_pool_push() to a GThreadPool;
 *   mutex       a hand-rolled FIFO: one mutex, one condition variable, an
 *               intrusive list and N worker threads, signalled only when one
 *               of them waits (what most programs write by hand);
 *   tbb         oneTBB's task_arena::enqueue() (fire and forget; in
 *               wq_tbb.cpp, as TBB is C++).
 *
 * Only the mutex queue and bh are always there; the others are compiled in
 * where CMake found them (WQ_HAVE_UV, WQ_HAVE_GLIB, WQ_HAVE_TBB), so that
 * the benchmarks build and run on a machine that has only libc.
 *
 * This header does not use bench_common.h because that one needs libuv.
 * Each program prints lines in the same format as the others,
 *
 *   BENCH <benchmark> <impl> <metric>=<value> ...
 *
 * so that bench/run.sh takes their medians over runs the same way.
 */
#ifndef BH_BENCH_WQ_PEERS_H
#define BH_BENCH_WQ_PEERS_H

#include <dirent.h>
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bh.h>
#include <bh/workqueue.h>

#ifdef WQ_HAVE_UV
#include <uv.h>
#endif
#ifdef WQ_HAVE_GLIB
#include <glib.h>
#endif

/* ---- small helpers ---------------------------------------------------- */

static inline uint64_t wq_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void wq_sleep_us(unsigned int us)
{
	struct timespec ts = {.tv_sec = us / 1000000,
			      .tv_nsec = (long)(us % 1000000) * 1000};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static inline long wq_futex_wait(unsigned int *addr, unsigned int val)
{
	return syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static inline long wq_futex_wake(unsigned int *addr, int n)
{
	return syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}

static inline void wq_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static inline void wq_die(const char *what, int err)
{
	fprintf(stderr, "bench: %s: %s\n", what,
		strerror(err < 0 ? -err : err));
	exit(2);
}

static inline int wq_ncpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}

static inline int wq_pin_self(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static inline pid_t wq_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static int wq_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Sort v[0..n) and return the q-quantile (nearest rank). */
static inline uint64_t wq_quantile(uint64_t *v, size_t n, double q)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), wq_cmp_u64);
	size_t i = (size_t)(q * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

/* The scheduler state letter of thread `tid` of this process; '?' if gone. */
static inline char wq_thread_state(const char *tid)
{
	char path[300], buf[512];
	snprintf(path, sizeof(path), "/proc/self/task/%s/stat", tid);
	FILE *f = fopen(path, "re");
	if (!f)
		return '?';
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	return (p && p[1] == ' ' && p[2]) ? p[2] : '?';
}

/*
 * Wait until every other thread of the process is off the CPU (not 'R'),
 * polling every 20 us for at most `max_ms`. "Idle workers" means this: a
 * pool whose threads spin for a while after their last item (oneTBB's do)
 * is measured once they have gone to sleep, like the others. Returns false
 * if some thread was still runnable at the end.
 */
static inline bool wq_wait_others_idle(unsigned int max_ms)
{
	char self[16];
	snprintf(self, sizeof(self), "%d", (int)wq_gettid());
	uint64_t end = wq_now_ns() + (uint64_t)max_ms * 1000000u;
	for (;;) {
		bool idle = true;
		DIR *d = opendir("/proc/self/task");
		if (!d)
			return false;
		struct dirent *e;
		while (idle && (e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.' || strcmp(e->d_name, self) == 0)
				continue;
			if (wq_thread_state(e->d_name) == 'R')
				idle = false;
		}
		closedir(d);
		if (idle)
			return true;
		if (wq_now_ns() >= end)
			return false;
		wq_sleep_us(20);
	}
}

/* ---- the implementations ---------------------------------------------- */

enum wq_impl {
	WQ_BH,
	WQ_BH_UNBOUND,
	WQ_UV,
	WQ_GLIB,
	WQ_MUTEX,
	WQ_TBB,
	WQ_NR_IMPL
};
static const char *const wq_impl_name[WQ_NR_IMPL] = {
	"bh", "bh_unbound", "uv", "glib", "mutex", "tbb"};

static inline bool wq_impl_built(enum wq_impl i)
{
	switch (i) {
#ifndef WQ_HAVE_UV
	case WQ_UV:
		return false;
#endif
#ifndef WQ_HAVE_GLIB
	case WQ_GLIB:
		return false;
#endif
#ifndef WQ_HAVE_TBB
	case WQ_TBB:
		return false;
#endif
	default:
		return true;
	}
}

/* "bh,uv,mutex" -> bit mask of implementations; exits on an unknown name. */
static inline unsigned int wq_parse_impls(const char *list)
{
	unsigned int mask = 0;
	char *copy = strdup(list), *save = NULL;
	for (char *s = strtok_r(copy, ",", &save); s;
	     s = strtok_r(NULL, ",", &save)) {
		int i;
		for (i = 0; i < WQ_NR_IMPL; i++)
			if (strcmp(s, wq_impl_name[i]) == 0)
				break;
		if (i == WQ_NR_IMPL) {
			fprintf(stderr, "bench: unknown implementation %s\n",
				s);
			exit(2);
		}
		if (!wq_impl_built((enum wq_impl)i))
			fprintf(stderr,
				"bench: %s not built in (library not found "
				"at configure time): skipped\n",
				s);
		else
			mask |= 1u << i;
	}
	free(copy);
	return mask;
}

static inline unsigned int wq_all_built(void)
{
	unsigned int mask = 0;
	for (int i = 0; i < WQ_NR_IMPL; i++)
		if (wq_impl_built((enum wq_impl)i))
			mask |= 1u << i;
	return mask;
}

/*
 * One work item, usable by every implementation: bh's is embedded, libuv's
 * request too, the mutex queue links through `next`; GLib and TBB are given
 * the pointer. What running it means is the program's `run`.
 * A cache line of its own (or several), so that the flag a worker writes
 * does not share a line with its neighbours'.
 */
struct wq_item;
typedef void (*wq_run_fn)(struct wq_item *it);

struct wq_item {
	struct bh_work work;
#ifdef WQ_HAVE_UV
	uv_work_t uv;
#endif
	struct wq_item *next;
	wq_run_fn run;
	void *owner;
	unsigned int done;
	int cpu;
	uint64_t t;
} __attribute__((aligned(64)));

/* ---- bh ---- */

static struct bh_workqueue *wq_bh_wq, *wq_bh_unbound_wq;

static __attribute__((unused)) void wq_bh_fn(struct bh_work *w)
{
	struct wq_item *it = bh_container_of(w, struct wq_item, work);
	it->run(it);
}

/* ---- the hand-rolled mutex + condition variable queue ---- */

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct wq_item *head, **tail;
	int idle;
	bool stop;
	int nthreads;
	pthread_t *threads;
} wq_mq = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

static void *wq_mq_worker(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "mq-worker");
	pthread_mutex_lock(&wq_mq.lock);
	for (;;) {
		while (!wq_mq.head && !wq_mq.stop) {
			wq_mq.idle++;
			pthread_cond_wait(&wq_mq.cond, &wq_mq.lock);
			wq_mq.idle--;
		}
		struct wq_item *it = wq_mq.head;
		if (!it)
			break;
		wq_mq.head = it->next;
		if (!wq_mq.head)
			wq_mq.tail = &wq_mq.head;
		pthread_mutex_unlock(&wq_mq.lock);
		it->run(it);
		pthread_mutex_lock(&wq_mq.lock);
	}
	pthread_mutex_unlock(&wq_mq.lock);
	return NULL;
}

static inline void wq_mq_push(struct wq_item *it)
{
	it->next = NULL;
	pthread_mutex_lock(&wq_mq.lock);
	*wq_mq.tail = it;
	wq_mq.tail = &it->next;
	if (wq_mq.idle)
		pthread_cond_signal(&wq_mq.cond);
	pthread_mutex_unlock(&wq_mq.lock);
}

static inline void wq_mq_start(int nthreads)
{
	wq_mq.head = NULL;
	wq_mq.tail = &wq_mq.head;
	wq_mq.stop = false;
	wq_mq.nthreads = nthreads;
	wq_mq.threads = calloc((size_t)nthreads, sizeof(pthread_t));
	for (int i = 0; i < nthreads; i++) {
		int err = pthread_create(&wq_mq.threads[i], NULL, wq_mq_worker,
					 NULL);
		if (err)
			wq_die("pthread_create", err);
	}
}

static inline void wq_mq_stop(void)
{
	pthread_mutex_lock(&wq_mq.lock);
	wq_mq.stop = true;
	pthread_cond_broadcast(&wq_mq.cond);
	pthread_mutex_unlock(&wq_mq.lock);
	for (int i = 0; i < wq_mq.nthreads; i++)
		pthread_join(wq_mq.threads[i], NULL);
	free(wq_mq.threads);
}

/* ---- GLib ---- */

#ifdef WQ_HAVE_GLIB
static GThreadPool *wq_glib_pool;

static __attribute__((unused)) void wq_glib_fn(gpointer data,
					       gpointer user_data)
{
	(void)user_data;
	struct wq_item *it = data;
	it->run(it);
}
#endif

/* ---- oneTBB (wq_tbb.cpp) ---- */

#ifdef WQ_HAVE_TBB
void wq_tbb_start(int nthreads);
void wq_tbb_push(void (*fn)(void *), void *arg);
void wq_tbb_stop(void);

static __attribute__((unused)) void wq_tbb_fn(void *arg)
{
	struct wq_item *it = arg;
	it->run(it);
}
#endif

/* ---- libuv: the worker side; the loop side is each program's ---- */

#ifdef WQ_HAVE_UV
static __attribute__((unused)) void wq_uv_work_cb(uv_work_t *req)
{
	struct wq_item *it = bh_container_of(req, struct wq_item, uv);
	it->run(it);
}

/*
 * libuv's threadpool is process-wide and sized once, from
 * UV_THREADPOOL_SIZE, at the first uv_queue_work(). Give it the same number
 * of threads as the other pools unless the user set it.
 */
static inline void wq_uv_size_pool(int nthreads)
{
	char buf[16];
	snprintf(buf, sizeof(buf), "%d", nthreads);
	setenv("UV_THREADPOOL_SIZE", buf, 0);
}
#endif

/*
 * Start the pools of the implementations in `mask` with `nthreads` workers
 * each (bh's are the library's own: bh_init() must have run).
 */
static inline void wq_peers_start(unsigned int mask, int nthreads)
{
	if (mask & (1u << WQ_BH)) {
		wq_bh_wq = bh_alloc_workqueue("bench", BH_WQ_PERCPU, 0);
		if (!wq_bh_wq)
			wq_die("bh_alloc_workqueue", ENOMEM);
	}
	if (mask & (1u << WQ_BH_UNBOUND)) {
		wq_bh_unbound_wq =
			bh_alloc_workqueue("bench_unbound", BH_WQ_UNBOUND, 0);
		if (!wq_bh_unbound_wq)
			wq_die("bh_alloc_workqueue(UNBOUND)", ENOMEM);
	}
#ifdef WQ_HAVE_UV
	wq_uv_size_pool(nthreads);
#endif
#ifdef WQ_HAVE_GLIB
	if (mask & (1u << WQ_GLIB)) {
		GError *err = NULL;
		/* exclusive: its own threads, started now, never retired */
		wq_glib_pool = g_thread_pool_new(wq_glib_fn, NULL, nthreads,
						 TRUE, &err);
		if (!wq_glib_pool) {
			fprintf(stderr, "bench: g_thread_pool_new: %s\n",
				err ? err->message : "?");
			exit(2);
		}
	}
#endif
	if (mask & (1u << WQ_MUTEX))
		wq_mq_start(nthreads);
#ifdef WQ_HAVE_TBB
	if (mask & (1u << WQ_TBB))
		wq_tbb_start(nthreads);
#endif
}

static inline void wq_peers_stop(unsigned int mask)
{
	if (mask & (1u << WQ_BH))
		bh_destroy_workqueue(wq_bh_wq);
	if (mask & (1u << WQ_BH_UNBOUND))
		bh_destroy_workqueue(wq_bh_unbound_wq);
#ifdef WQ_HAVE_GLIB
	if (mask & (1u << WQ_GLIB))
		g_thread_pool_free(wq_glib_pool, FALSE, TRUE);
#endif
	if (mask & (1u << WQ_MUTEX))
		wq_mq_stop();
#ifdef WQ_HAVE_TBB
	if (mask & (1u << WQ_TBB))
		wq_tbb_stop();
#endif
}

/* Make `it` ready for any implementation; `run` is what running it does. */
static inline void wq_item_init(struct wq_item *it, wq_run_fn run, void *owner)
{
	memset(it, 0, sizeof(*it));
	bh_work_init(&it->work, wq_bh_fn);
	it->run = run;
	it->owner = owner;
}

/*
 * Queue `it` on `impl` from any thread (not libuv: see the programs).
 * Returns false only if bh said the item was still pending, which the
 * programs never let happen.
 */
static inline bool wq_push(enum wq_impl impl, struct wq_item *it)
{
	switch (impl) {
	case WQ_BH:
		return bh_queue_work(wq_bh_wq, &it->work);
	case WQ_BH_UNBOUND:
		return bh_queue_work(wq_bh_unbound_wq, &it->work);
#ifdef WQ_HAVE_GLIB
	case WQ_GLIB:
		g_thread_pool_push(wq_glib_pool, it, NULL);
		return true;
#endif
	case WQ_MUTEX:
		wq_mq_push(it);
		return true;
#ifdef WQ_HAVE_TBB
	case WQ_TBB:
		wq_tbb_push(wq_tbb_fn, it);
		return true;
#endif
	default:
		abort();
	}
}

#endif
