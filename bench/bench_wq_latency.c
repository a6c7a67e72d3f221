/* SPDX-License-Identifier: MIT */
/*
 * Workqueue latency: from just before the queueing call to the first
 * instruction of the item (CLOCK_MONOTONIC read in both threads), with the
 * pool idle. One item at a time: the measuring thread queues it, waits
 * until it has run (asleep on a futex the item raises), then waits until
 * every other thread of the process is asleep and pauses PAUSE_US (50)
 * before the next sample. Samples rotate over the implementations of
 * wq_peers.h, plus
 *
 *   bh_remote   bh_queue_work_on() to the next CPU's pool: the worker wakes
 *               on another CPU, as any peer's worker may.
 *
 * The measuring thread is pinned to CPU C. bh's per-CPU item goes to bh CPU
 * C (SPEC Q1), whose workers the library keeps on that CPU; the peers'
 * workers are not pinned, and the scheduler picks the CPU they wake on: the
 * output says how often the item ran on C.
 *
 * libuv: uv_queue_work() may only be called from the loop thread, so the
 * measuring thread is the loop thread: it reads the clock, queues, and runs
 * uv_run() until the after-work callback has run. A program that wants to
 * queue from another thread must first wake its loop (uv_async_send(), see
 * bench_wake), which this figure does not include.
 *
 *   bench_wq_latency [-c CPU] [-n SAMPLES] [-r ROUNDS] [-p PAUSE_US]
 *                    [-t WORKERS] [-i IMPL,...]
 *
 * Output: BENCH wq_lat <impl> lat_med_ns=... lat_p99_ns=... same_cpu_pct=...
 * and a ratio line against libuv.
 */
#include "wq_peers.h"

/* The impls of wq_peers.h, then bh_remote. */
#define L_BH_REMOTE WQ_NR_IMPL
#define L_NR	    (WQ_NR_IMPL + 1)
static const char *lat_name(int i)
{
	return i == L_BH_REMOTE ? "bh_remote" : wq_impl_name[i];
}

static unsigned int done;
static int measuring_cpu, remote_cpu;

static void lat_run(struct wq_item *it)
{
	it->t = wq_now_ns();
	it->cpu = sched_getcpu();
	__atomic_store_n(&done, 1, __ATOMIC_RELEASE);
	wq_futex_wake(&done, 1);
}

static void wait_ran(void)
{
	while (!__atomic_load_n(&done, __ATOMIC_ACQUIRE))
		wq_futex_wait(&done, 0);
}

#ifdef WQ_HAVE_UV
static uv_loop_t loop;

static void uv_after(uv_work_t *req, int status)
{
	(void)req;
	(void)status;
}
#endif

struct series {
	uint64_t *lat;
	size_t n;
	unsigned long same_cpu, not_idle, refused;
};

static struct wq_item items[L_NR];

static void sample(int i, struct series *s, unsigned int pause_us)
{
	struct wq_item *it = &items[i];
	bool ok = true;

	if (!wq_wait_others_idle(200))
		s->not_idle++;
	wq_sleep_us(pause_us);
	__atomic_store_n(&done, 0, __ATOMIC_RELAXED);

	uint64_t t0 = wq_now_ns();
	switch (i) {
	case L_BH_REMOTE:
		ok = bh_queue_work_on(remote_cpu, wq_bh_wq, &it->work);
		break;
#ifdef WQ_HAVE_UV
	case WQ_UV: {
		int err =
			uv_queue_work(&loop, &it->uv, wq_uv_work_cb, uv_after);
		if (err)
			wq_die("uv_queue_work", err);
		uv_run(&loop, UV_RUN_DEFAULT);
		break;
	}
#endif
	default:
		ok = wq_push((enum wq_impl)i, it);
		break;
	}
	if (!ok) {
		s->refused++;
		return;
	}
	wait_ran();
	s->lat[s->n++] = it->t - t0;
	if (it->cpu == measuring_cpu)
		s->same_cpu++;
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [-c CPU] [-n SAMPLES] [-r ROUNDS] [-p PAUSE_US] "
		"[-t WORKERS] [-i IMPL,...]\n",
		argv0);
	exit(2);
}

int main(int argc, char **argv)
{
	int ncpu = wq_ncpus();
	int nworkers = ncpu, rounds = 1;
	size_t samples = 1000;
	unsigned int pause_us = 50;
	unsigned int mask = wq_all_built();
	bool remote = true;

	for (int a = 1; a < argc; a++) {
		const char *s = argv[a];
		bool val = a + 1 < argc;
		if (strcmp(s, "-c") == 0 && val)
			measuring_cpu = atoi(argv[++a]);
		else if (strcmp(s, "-n") == 0 && val)
			samples = (size_t)atol(argv[++a]);
		else if (strcmp(s, "-r") == 0 && val)
			rounds = atoi(argv[++a]);
		else if (strcmp(s, "-p") == 0 && val)
			pause_us = (unsigned int)atoi(argv[++a]);
		else if (strcmp(s, "-t") == 0 && val)
			nworkers = atoi(argv[++a]);
		else if (strcmp(s, "-i") == 0 && val) {
			const char *l = argv[++a];
			remote = strstr(l, "bh_remote") != NULL;
			/* bh_remote is not a wq_peers.h name: drop it. */
			char *copy = strdup(l), *out = calloc(1, strlen(l) + 2);
			char *save = NULL;
			for (char *t = strtok_r(copy, ",", &save); t;
			     t = strtok_r(NULL, ",", &save))
				if (strcmp(t, "bh_remote") != 0) {
					strcat(out, *out ? "," : "");
					strcat(out, t);
				}
			mask = *out ? wq_parse_impls(out) : 0;
			free(copy);
			free(out);
		} else
			usage(argv[0]);
	}
	if (measuring_cpu < 0 || measuring_cpu >= ncpu || samples == 0 ||
	    rounds < 1 || nworkers < 1 || (mask == 0 && !remote))
		usage(argv[0]);
	if (ncpu < 2)
		remote = false;
	remote_cpu = (measuring_cpu + 1) % ncpu;
	setvbuf(stdout, NULL, _IOLBF, 0);

	int err = wq_pin_self(measuring_cpu);
	if (err)
		wq_die("pin the measuring thread", err);
	struct bh_config cfg;
	bh_config_init(&cfg);
	cfg.pin_threads = true;
	if ((err = bh_init(&cfg)) != 0)
		wq_die("bh_init", err);
	/* bh_remote queues on bh_wq too. */
	wq_peers_start(mask | (remote ? 1u << WQ_BH : 0), nworkers);
#ifdef WQ_HAVE_UV
	if ((mask & (1u << WQ_UV)) && (err = uv_loop_init(&loop)) != 0)
		wq_die("uv_loop_init", err);
#endif

	int order[L_NR], n_impl = 0;
	for (int i = 0; i < WQ_NR_IMPL; i++)
		if (mask & (1u << i))
			order[n_impl++] = i;
	if (remote)
		order[n_impl++] = L_BH_REMOTE;
	for (int i = 0; i < L_NR; i++)
		wq_item_init(&items[i], lat_run, NULL);

	struct series s[L_NR];
	for (int i = 0; i < L_NR; i++) {
		s[i] = (struct series){0};
		s[i].lat = calloc(samples, sizeof(uint64_t));
		if (!s[i].lat)
			wq_die("calloc", ENOMEM);
	}

	printf("# queue-to-start latency, idle pools: measuring thread on "
	       "CPU %d (bh_remote: to CPU %d), %d workers per pool, %zu "
	       "samples per impl per round, ns\n",
	       measuring_cpu, remote_cpu, nworkers, samples);
	/* Unrecorded: threads made, pages touched, symbols bound. */
	for (int k = 0; k < 20; k++)
		for (int j = 0; j < n_impl; j++) {
			struct series w = s[order[j]];
			w.n = 0;
			sample(order[j], &w, pause_us);
		}

	for (int r = 0; r < rounds; r++) {
		double med[L_NR] = {0}, p99[L_NR] = {0};
		for (int i = 0; i < L_NR; i++)
			s[i].n = s[i].same_cpu = s[i].not_idle = s[i].refused =
				0;
		for (size_t k = 0; k < samples; k++)
			for (int j = 0; j < n_impl; j++)
				sample(order[(j + k) % n_impl],
				       &s[order[(j + k) % n_impl]], pause_us);
		for (int j = 0; j < n_impl; j++) {
			int i = order[j];
			size_t n = s[i].n;
			med[i] = (double)wq_quantile(s[i].lat, n, 0.5);
			p99[i] = (double)wq_quantile(s[i].lat, n, 0.99);
			printf("BENCH wq_lat %s round=%d samples=%zu "
			       "lat_med_ns=%.0f lat_p99_ns=%.0f "
			       "same_cpu_pct=%.1f not_idle=%lu refused=%lu\n",
			       lat_name(i), r, n, med[i], p99[i],
			       n ? 100.0 * (double)s[i].same_cpu / (double)n
				 : 0.0,
			       s[i].not_idle, s[i].refused);
		}
		if (mask & (1u << WQ_UV) && med[WQ_UV] > 0) {
			printf("BENCH wq_lat ratio_over_uv round=%d", r);
			for (int j = 0; j < n_impl; j++) {
				int i = order[j];
				if (i != WQ_UV)
					printf(" %s_med=%.3f %s_p99=%.3f",
					       lat_name(i), med[i] / med[WQ_UV],
					       lat_name(i),
					       p99[i] / p99[WQ_UV]);
			}
			printf("\n");
		}
	}

#ifdef WQ_HAVE_UV
	if (mask & (1u << WQ_UV))
		uv_loop_close(&loop);
#endif
	wq_peers_stop(mask | (remote ? 1u << WQ_BH : 0));
	int left = bh_shutdown();
	if (left != 0)
		fprintf(stderr, "bench: bh_shutdown() returned %d\n", left);
	for (int i = 0; i < L_NR; i++)
		free(s[i].lat);
	return 0;
}
