/* SPDX-License-Identifier: MIT */
/*
 * Workqueue throughput: empty work items per second, from P producer
 * threads, each pinned to its own CPU (producer k on CPU (c + k) mod ncpu)
 * and, for bh, queueing on that CPU's pool (bh_thread_set_cpu(), SPEC Q1).
 * Measured in the same run, in rotation, for every implementation of
 * wq_peers.h.
 *
 * Items are preallocated: each producer owns a window of W items (256) and
 * queues them in turn, over and over; before re-queueing an item it waits
 * until the item has run (a flag the item sets, with a futex wake only
 * when the producer sleeps waiting for that very item). When it has to wait it
 * waits for half the window, so a producer that outruns its workers sleeps once
 * per W/2 items, not once per item. The measurement lasts D ms (300) from the
 * moment every producer is released, plus the time to drain the window;
 * the figure is the items that ran divided by that time.
 *
 * libuv: uv_queue_work() may only be called on the loop's own thread, and
 * the request may be reused only after its after-work callback, which also
 * runs on the loop. So a libuv producer is a loop thread that queues W
 * requests and queues each again from its after-work callback, until the
 * time is up: what a libuv program must do. With P producers there are P
 * loops, all feeding libuv's one process-wide threadpool.
 *
 * Every pool has the same number of worker threads, T (default: the
 * number of CPUs): GThreadPool's max_threads, the mutex queue's workers,
 * TBB's arena, UV_THREADPOOL_SIZE (unless set). bh's per-CPU pools make
 * workers as concurrency management needs them (one per CPU for items
 * that never sleep); its unbound pool up to its own limit.
 *
 * Before each measurement every thread of the process is let go idle, so
 * that a pool still spinning from the previous one does not steal the CPUs.
 *
 *   bench_wq_throughput [-p PRODUCERS] [-c FIRST_CPU] [-t WORKERS]
 *                       [-w WINDOW] [-d MS] [-r ROUNDS] [-i IMPL,...]
 *                       [-S] [-R] [-W WARM_MS]
 *
 * -S leaves bh producers on the bh CPU of the CPU they run on (the same,
 * since they are pinned, but found per call); -R makes producer k queue on
 * the pool of the next CPU instead of its own, so that bh's worker runs on
 * another CPU than its producer, as the peers' workers may. -W sets the
 * unrecorded warm-up per implementation (MS/10 + 1 ms; 0: none, so that
 * a profile of the whole process covers the measured items only).
 *
 * Output: BENCH wq_tput_<P>p <impl> items_per_s=... cpu_ns_per_item=...
 * (process CPU time per item, every thread counted), waits_per_kitem=...
 * (how often producers had to sleep), and a ratio line.
 */
#include "wq_peers.h"

#define MAX_PRODUCERS 1024

struct producer {
	/* Written by workers: a line of its own. */
	unsigned int seq __attribute__((aligned(64)));
	struct wq_item *waiting_for;

	int idx, cpu;
	enum wq_impl impl;
	struct wq_item *items[WQ_NR_IMPL]; /* one window per implementation */
	pthread_t th;
	uint64_t t_end;
	unsigned long queued, waits, refused;
#ifdef WQ_HAVE_UV
	uv_loop_t loop;
	unsigned long uv_completed;
	bool uv_stopping;
#endif
} __attribute__((aligned(64)));

static struct producer *prods;
static unsigned int window = 256;
static unsigned int nready, go;
static uint64_t deadline;
static bool bh_set_cpu = true;
static int bh_cpu_offset;

/* What running an item means here: mark it reusable, wake a waiting owner. */
static void tput_run(struct wq_item *it)
{
	struct producer *p = it->owner;

	/*
	 * Dekker with wait_done(): it stores `waiting_for` then loads `done`,
	 * we store `done` then load `waiting_for`, all sequentially
	 * consistent, so one of us sees the other's store and the owner
	 * cannot sleep through the item it waits for. Only that item wakes
	 * it: the others that finish meanwhile make no system call.
	 */
	__atomic_store_n(&it->done, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&p->waiting_for, __ATOMIC_SEQ_CST) == it) {
		__atomic_add_fetch(&p->seq, 1, __ATOMIC_SEQ_CST);
		wq_futex_wake(&p->seq, 1);
	}
}

static void wait_done(struct producer *p, struct wq_item *it)
{
	if (__atomic_load_n(&it->done, __ATOMIC_ACQUIRE))
		return;
	for (;;) {
		__atomic_store_n(&p->waiting_for, it, __ATOMIC_SEQ_CST);
		unsigned int s = __atomic_load_n(&p->seq, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&it->done, __ATOMIC_SEQ_CST))
			break;
		wq_futex_wait(&p->seq, s);
	}
	__atomic_store_n(&p->waiting_for, NULL, __ATOMIC_RELAXED);
}

static void produce(struct producer *p)
{
	struct wq_item *items = p->items[p->impl];
	unsigned long n;

	for (n = 0;; n++) {
		if ((n & 63) == 0 && wq_now_ns() >= deadline)
			break;
		struct wq_item *it = &items[n % window];
		if (!__atomic_load_n(&it->done, __ATOMIC_ACQUIRE)) {
			p->waits++;
			wait_done(p, &items[(n + window / 2) % window]);
			wait_done(p, it);
		}
		/* The queueing call publishes this store to the worker. */
		__atomic_store_n(&it->done, 0, __ATOMIC_RELAXED);
		if (!wq_push(p->impl, it)) {
			p->refused++;
			__atomic_store_n(&it->done, 1, __ATOMIC_RELAXED);
		}
	}
	p->queued = n - p->refused;
	for (unsigned int i = 0; i < window; i++)
		wait_done(p, &items[i]);
}

#ifdef WQ_HAVE_UV
static void uv_after(uv_work_t *req, int status)
{
	struct wq_item *it = bh_container_of(req, struct wq_item, uv);
	struct producer *p = it->owner;

	(void)status;
	p->uv_completed++;
	if (!p->uv_stopping && (p->uv_completed & 63) == 0 &&
	    wq_now_ns() >= deadline)
		p->uv_stopping = true;
	if (p->uv_stopping)
		return;
	it->done = 0;
	int err = uv_queue_work(&p->loop, req, wq_uv_work_cb, uv_after);
	if (err)
		wq_die("uv_queue_work", err);
	p->queued++;
}

static void produce_uv(struct producer *p)
{
	struct wq_item *items = p->items[WQ_UV];

	p->uv_completed = 0;
	p->uv_stopping = false;
	for (unsigned int i = 0; i < window; i++) {
		items[i].done = 0;
		int err = uv_queue_work(&p->loop, &items[i].uv, wq_uv_work_cb,
					uv_after);
		if (err)
			wq_die("uv_queue_work", err);
		p->queued++;
	}
	uv_run(&p->loop, UV_RUN_DEFAULT);
}
#endif

static void *producer_main(void *arg)
{
	struct producer *p = arg;
	char name[16];
	int err;

	if ((err = wq_pin_self(p->cpu)) != 0)
		wq_die("pin a producer", err);
	snprintf(name, sizeof(name), "producer/%d", p->idx);
	pthread_setname_np(pthread_self(), name);
	if (bh_set_cpu && (p->impl == WQ_BH || p->impl == WQ_BH_UNBOUND) &&
	    (err = bh_thread_set_cpu((p->cpu + bh_cpu_offset) %
				     bh_nr_cpus())) != 0)
		wq_die("bh_thread_set_cpu", err);
#ifdef WQ_HAVE_UV
	if (p->impl == WQ_UV && (err = uv_loop_init(&p->loop)) != 0)
		wq_die("uv_loop_init", err);
#endif
	p->queued = p->waits = p->refused = 0;

	__atomic_add_fetch(&nready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
		wq_futex_wait(&go, 0);

#ifdef WQ_HAVE_UV
	if (p->impl == WQ_UV)
		produce_uv(p);
	else
#endif
		produce(p);
	p->t_end = wq_now_ns();

#ifdef WQ_HAVE_UV
	if (p->impl == WQ_UV)
		uv_loop_close(&p->loop);
#endif
	if (p->impl == WQ_BH || p->impl == WQ_BH_UNBOUND)
		bh_thread_set_cpu(-1);
	return NULL;
}

struct result {
	double items_per_s, cpu_ns_per_item, waits_per_kitem, elapsed_ms;
	unsigned long items, refused;
};

static uint64_t cpu_time_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct result measure(enum wq_impl impl, int nprod, unsigned int ms)
{
	struct result r = {0};

	__atomic_store_n(&nready, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&go, 0, __ATOMIC_RELAXED);
	for (int k = 0; k < nprod; k++) {
		prods[k].impl = impl;
		int err = pthread_create(&prods[k].th, NULL, producer_main,
					 &prods[k]);
		if (err)
			wq_die("pthread_create", err);
	}
	while (__atomic_load_n(&nready, __ATOMIC_ACQUIRE) < (unsigned)nprod)
		wq_sleep_us(100);
	wq_wait_others_idle(500);

	uint64_t c0 = cpu_time_ns();
	uint64_t t0 = wq_now_ns();
	deadline = t0 + (uint64_t)ms * 1000000u;
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	wq_futex_wake(&go, INT32_MAX);

	uint64_t t_end = t0;
	unsigned long waits = 0;
	for (int k = 0; k < nprod; k++) {
		pthread_join(prods[k].th, NULL);
		if (prods[k].t_end > t_end)
			t_end = prods[k].t_end;
		r.items += prods[k].queued;
		r.refused += prods[k].refused;
		waits += prods[k].waits;
	}
	uint64_t c1 = cpu_time_ns();
	double el = (double)(t_end - t0);
	r.elapsed_ms = el / 1e6;
	r.items_per_s = r.items ? (double)r.items * 1e9 / el : 0;
	r.cpu_ns_per_item = r.items ? (double)(c1 - c0) / (double)r.items : 0;
	r.waits_per_kitem =
		r.items ? 1000.0 * (double)waits / (double)r.items : 0;
	return r;
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [-p PRODUCERS] [-c FIRST_CPU] [-t WORKERS] "
		"[-w WINDOW] [-d MS] [-r ROUNDS] [-i IMPL,...] [-S] [-R] [-W "
		"WARM_MS]\n"
		"  -S: bh producers do not call bh_thread_set_cpu()\n"
		"  -R: bh producers queue on the next CPU's pool\n"
		"  -W: unrecorded warm-up per implementation (MS/10 + 1; 0: "
		"none)\n"
		"  implementations:",
		argv0);
	for (int i = 0; i < WQ_NR_IMPL; i++)
		fprintf(stderr, " %s%s", wq_impl_name[i],
			wq_impl_built((enum wq_impl)i) ? "" : "(not built)");
	fprintf(stderr, "\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int ncpu = wq_ncpus();
	int nprod = 1, first_cpu = 0, nworkers = ncpu, rounds = 1;
	unsigned int ms = 300;
	int warm_ms = -1;
	unsigned int mask = wq_all_built();

	for (int a = 1; a < argc; a++) {
		const char *s = argv[a];
		bool val = a + 1 < argc;
		if (strcmp(s, "-p") == 0 && val)
			nprod = atoi(argv[++a]);
		else if (strcmp(s, "-c") == 0 && val)
			first_cpu = atoi(argv[++a]);
		else if (strcmp(s, "-t") == 0 && val)
			nworkers = atoi(argv[++a]);
		else if (strcmp(s, "-w") == 0 && val)
			window = (unsigned int)atoi(argv[++a]);
		else if (strcmp(s, "-d") == 0 && val)
			ms = (unsigned int)atoi(argv[++a]);
		else if (strcmp(s, "-r") == 0 && val)
			rounds = atoi(argv[++a]);
		else if (strcmp(s, "-i") == 0 && val)
			mask = wq_parse_impls(argv[++a]);
		else if (strcmp(s, "-S") == 0)
			bh_set_cpu = false;
		else if (strcmp(s, "-W") == 0 && val)
			warm_ms = atoi(argv[++a]);
		else if (strcmp(s, "-R") == 0)
			bh_cpu_offset = 1;
		else
			usage(argv[0]);
	}
	if (nprod < 1 || nprod > MAX_PRODUCERS || first_cpu < 0 ||
	    first_cpu >= ncpu || nworkers < 1 || window < 2 || ms == 0 ||
	    rounds < 1 || mask == 0)
		usage(argv[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);

	struct bh_config cfg;
	bh_config_init(&cfg);
	cfg.pin_threads = true;
	int err = bh_init(&cfg);
	if (err)
		wq_die("bh_init", err);
	wq_peers_start(mask, nworkers);

	prods = aligned_alloc(64, sizeof(*prods) * (size_t)nprod);
	if (!prods)
		wq_die("aligned_alloc", ENOMEM);
	memset(prods, 0, sizeof(*prods) * (size_t)nprod);
	for (int k = 0; k < nprod; k++) {
		prods[k].idx = k;
		prods[k].cpu = (first_cpu + k) % ncpu;
		for (int i = 0; i < WQ_NR_IMPL; i++) {
			if (!(mask & (1u << i)))
				continue;
			struct wq_item *v =
				aligned_alloc(64, sizeof(*v) * (size_t)window);
			if (!v)
				wq_die("aligned_alloc", ENOMEM);
			for (unsigned int j = 0; j < window; j++) {
				wq_item_init(&v[j], tput_run, &prods[k]);
				v[j].done = 1;
			}
			prods[k].items[i] = v;
		}
	}

	char bench[32];
	snprintf(bench, sizeof(bench), "wq_tput_%dp", nprod);
	printf("# workqueue throughput: %d producer(s) on CPUs %d.., %d "
	       "workers per pool, window %u, %u ms per measurement\n",
	       nprod, first_cpu, nworkers, window, ms);

	int order[WQ_NR_IMPL], n_impl = 0;
	for (int i = 0; i < WQ_NR_IMPL; i++)
		if (mask & (1u << i))
			order[n_impl++] = i;

	/* Unrecorded: threads started, pages touched, symbols bound. */
	if (warm_ms < 0)
		warm_ms = (int)(ms / 10 + 1);
	for (int j = 0; warm_ms > 0 && j < n_impl; j++)
		measure((enum wq_impl)order[j], nprod, (unsigned int)warm_ms);

	for (int r = 0; r < rounds; r++) {
		struct result res[WQ_NR_IMPL] = {0};
		for (int j = 0; j < n_impl; j++) {
			/* Rotate which implementation goes first. */
			enum wq_impl i = (enum wq_impl)order[(j + r) % n_impl];
			res[i] = measure(i, nprod, ms);
		}
		for (int j = 0; j < n_impl; j++) {
			int i = order[j];
			printf("BENCH %s %s round=%d producers=%d workers=%d "
			       "items=%lu items_per_s=%.0f "
			       "cpu_ns_per_item=%.1f waits_per_kitem=%.2f "
			       "elapsed_ms=%.1f refused=%lu\n",
			       bench, wq_impl_name[i], r, nprod, nworkers,
			       res[i].items, res[i].items_per_s,
			       res[i].cpu_ns_per_item, res[i].waits_per_kitem,
			       res[i].elapsed_ms, res[i].refused);
		}
		/* Ratios within this round, against libuv and the mutex. */
		for (int base = 0; base < 2; base++) {
			enum wq_impl b = base ? WQ_MUTEX : WQ_UV;
			if (!(mask & (1u << b)) || res[b].items_per_s <= 0)
				continue;
			printf("BENCH %s ratio_over_%s round=%d", bench,
			       wq_impl_name[b], r);
			for (int j = 0; j < n_impl; j++) {
				int i = order[j];
				if (i != (int)b)
					printf(" %s=%.3f", wq_impl_name[i],
					       res[i].items_per_s /
						       res[b].items_per_s);
			}
			printf("\n");
		}
	}

	wq_peers_stop(mask);
	int left = bh_shutdown();
	if (left != 0)
		fprintf(stderr, "bench: bh_shutdown() returned %d\n", left);
	for (int k = 0; k < nprod; k++)
		for (int i = 0; i < WQ_NR_IMPL; i++)
			free(prods[k].items[i]);
	free(prods);
	return 0;
}
