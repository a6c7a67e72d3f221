/* SPDX-License-Identifier: MIT */
/*
 * Delayed work at scale: with N items (1,000,000) armed at once, delays
 * spread uniformly over 1..SPREAD jiffies (100,000: 400 s at HZ 250), how
 * many arm+cancel pairs per second one thread makes on 1024 further items,
 * each armed with a delay from the same spread and cancelled at once.
 *
 *   delayed   bh_queue_delayed_work() + bh_cancel_delayed_work() on a
 *             per-CPU workqueue (the timer goes on the caller's bh CPU);
 *   timer     the layer below: bh_mod_timer(t, jiffies + d) +
 *             bh_timer_delete() on bare struct bh_timer;
 *   uv        uv_timer_start() + uv_timer_stop() on a loop that never
 *             runs (the delay converted to ms), N uv_timer_t armed: libuv
 *             keeps its timers in a binary heap.
 *
 * The N background items of every implementation are armed first (timed:
 * arm_ns per item, the population growing from 0 to N) and stay armed
 * through every round; rounds alternate the implementations; at the end
 * all N are cancelled (timed: cancel_ns per item). Every item is
 * preallocated by the program. The heap growth of the process (glibc
 * mallinfo2, in-use bytes, before and after arming, the program's own
 * arrays allocated before) is printed per armed item: the library
 * allocates nothing, and neither should a peer.
 *
 * Delays start at 1 jiffy, so a few background items expire during a run
 * (about one in SPREAD per elapsed jiffy); `fired` counts them, and the
 * pair loop counts the arms and the cancels that did not return what an
 * idle, then armed, item returns (`arm_false`, `cancel_false`): a pair
 * item armed for 1 jiffy can expire and start running before its cancel.
 *
 *   bench_delayed [-c CPU] [-N ARMED] [-s SPREAD] [-n PAIRS] [-r ROUNDS]
 *                 [-i delayed,timer,uv]
 */
#include <malloc.h>

#include "wq_peers.h"

enum impl { D_DELAYED, D_TIMER, D_UV, D_NR };
static const char *const d_name[D_NR] = {"delayed", "timer", "uv"};

#define PAIR_ITEMS 1024

static unsigned long fired;
static struct bh_workqueue *dwq;

static void dw_fn(struct bh_work *w)
{
	(void)w;
	__atomic_add_fetch(&fired, 1, __ATOMIC_RELAXED);
}

static void timer_fn(struct bh_timer *t)
{
	(void)t;
	__atomic_add_fetch(&fired, 1, __ATOMIC_RELAXED);
}

/* xorshift64: the same delays for every implementation, cheaply. */
static inline unsigned long next_delay(uint64_t *s, unsigned long spread)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return 1 + (unsigned long)(x % spread);
}

static size_t heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
}

static unsigned long spread = 100000;
static struct bh_delayed_work *dws;
static struct bh_timer *tms;
#ifdef WQ_HAVE_UV
static uv_loop_t loop;
static uv_timer_t *uvs;
static unsigned int ms_per_jiffy;

static void uv_fn(uv_timer_t *t)
{
	(void)t;
}
#endif

/* Arm item k of implementation i with delay d; true if the call said so. */
static inline bool arm(enum impl i, size_t k, unsigned long d)
{
	switch (i) {
	case D_DELAYED:
		return bh_queue_delayed_work(dwq, &dws[k], d);
	case D_TIMER:
		return bh_mod_timer(&tms[k], bh_jiffies() + d) == 0;
#ifdef WQ_HAVE_UV
	case D_UV:
		return uv_timer_start(&uvs[k], uv_fn,
				      (uint64_t)d * ms_per_jiffy, 0) == 0;
#endif
	default:
		abort();
	}
}

static inline bool disarm(enum impl i, size_t k)
{
	switch (i) {
	case D_DELAYED:
		return bh_cancel_delayed_work(&dws[k]);
	case D_TIMER:
		return bh_timer_delete(&tms[k]) == 1;
#ifdef WQ_HAVE_UV
	case D_UV:
		return uv_timer_stop(&uvs[k]) == 0;
#endif
	default:
		abort();
	}
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [-c CPU] [-N ARMED] [-s SPREAD] [-n PAIRS] "
		"[-r ROUNDS] [-i delayed,timer,uv]\n",
		argv0);
	exit(2);
}

int main(int argc, char **argv)
{
	size_t armed = 1000000, pairs = 1000000;
	int cpu = 0, rounds = 1;
	unsigned int mask = (1u << D_DELAYED) | (1u << D_TIMER);
#ifdef WQ_HAVE_UV
	mask |= 1u << D_UV;
#endif

	for (int a = 1; a < argc; a++) {
		const char *s = argv[a];
		bool val = a + 1 < argc;
		if (strcmp(s, "-c") == 0 && val)
			cpu = atoi(argv[++a]);
		else if (strcmp(s, "-N") == 0 && val)
			armed = (size_t)atol(argv[++a]);
		else if (strcmp(s, "-s") == 0 && val)
			spread = (unsigned long)atol(argv[++a]);
		else if (strcmp(s, "-n") == 0 && val)
			pairs = (size_t)atol(argv[++a]);
		else if (strcmp(s, "-r") == 0 && val)
			rounds = atoi(argv[++a]);
		else if (strcmp(s, "-i") == 0 && val) {
			mask = 0;
			char *copy = strdup(argv[++a]), *save = NULL;
			for (char *t = strtok_r(copy, ",", &save); t;
			     t = strtok_r(NULL, ",", &save)) {
				int i;
				for (i = 0; i < D_NR; i++)
					if (strcmp(t, d_name[i]) == 0)
						break;
				if (i == D_NR)
					usage(argv[0]);
#ifndef WQ_HAVE_UV
				if (i == D_UV) {
					fprintf(stderr, "bench: uv not built "
							"in: skipped\n");
					continue;
				}
#endif
				mask |= 1u << i;
			}
			free(copy);
		} else
			usage(argv[0]);
	}
	if (cpu < 0 || cpu >= wq_ncpus() || spread == 0 || pairs == 0 ||
	    rounds < 1 || mask == 0)
		usage(argv[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);

	int err = wq_pin_self(cpu);
	if (err)
		wq_die("pin the measuring thread", err);
	struct bh_config cfg;
	bh_config_init(&cfg);
	cfg.pin_threads = true;
	if ((err = bh_init(&cfg)) != 0)
		wq_die("bh_init", err);

	printf("# memory per armed item, bytes (LP64 kernel in brackets): "
	       "struct bh_work %zu (work_struct 32), struct bh_delayed_work "
	       "%zu (delayed_work 88), struct bh_timer %zu (timer_list 40)",
	       sizeof(struct bh_work), sizeof(struct bh_delayed_work),
	       sizeof(struct bh_timer));
#ifdef WQ_HAVE_UV
	printf(", uv_timer_t %zu", sizeof(uv_timer_t));
#endif
	printf("\nBENCH delayed_size sizes bh_work=%zu bh_delayed_work=%zu "
	       "bh_timer=%zu kernel_work_struct=32 kernel_delayed_work=88 "
	       "kernel_timer_list=40",
	       sizeof(struct bh_work), sizeof(struct bh_delayed_work),
	       sizeof(struct bh_timer));
#ifdef WQ_HAVE_UV
	printf(" uv_timer_t=%zu", sizeof(uv_timer_t));
#endif
	printf("\n");

	size_t total = armed + PAIR_ITEMS;
	if (mask & (1u << D_DELAYED)) {
		dwq = bh_alloc_workqueue("bench_delayed", BH_WQ_PERCPU, 0);
		dws = calloc(total, sizeof(*dws));
		if (!dwq || !dws)
			wq_die("delayed items", ENOMEM);
		for (size_t k = 0; k < total; k++)
			bh_delayed_work_init(&dws[k], dw_fn);
	}
	if (mask & (1u << D_TIMER)) {
		tms = calloc(total, sizeof(*tms));
		if (!tms)
			wq_die("timers", ENOMEM);
		for (size_t k = 0; k < total; k++)
			bh_timer_setup(&tms[k], timer_fn, 0);
	}
#ifdef WQ_HAVE_UV
	ms_per_jiffy = 1000 / bh_hz();
	if (ms_per_jiffy == 0)
		ms_per_jiffy = 1;
	if (mask & (1u << D_UV)) {
		if ((err = uv_loop_init(&loop)) != 0)
			wq_die("uv_loop_init", err);
		uvs = calloc(total, sizeof(*uvs));
		if (!uvs)
			wq_die("uv timers", ENOMEM);
		for (size_t k = 0; k < total; k++)
			uv_timer_init(&loop, &uvs[k]);
	}
#endif
	printf("# %zu items armed per implementation, delays 1..%lu jiffies "
	       "(HZ %u), %zu arm+cancel pairs per implementation per round "
	       "on %d other items, measuring thread on CPU %d\n",
	       armed, spread, bh_hz(), pairs, PAIR_ITEMS, cpu);

	/* The background: N armed per implementation, timed. */
	for (int i = 0; i < D_NR; i++) {
		if (!(mask & (1u << i)))
			continue;
		uint64_t seed = 0x9e3779b97f4a7c15ull;
		unsigned long bad = 0;
		size_t h0 = heap_in_use();
		uint64_t t0 = wq_now_ns();
		for (size_t k = PAIR_ITEMS; k < total; k++)
			bad += !arm((enum impl)i, k, next_delay(&seed, spread));
		uint64_t t1 = wq_now_ns();
		size_t h1 = heap_in_use();
		printf("BENCH delayed_arm %s armed=%zu arm_ns=%.1f "
		       "heap_bytes_per_item=%.3f unexpected=%lu\n",
		       d_name[i], armed,
		       armed ? (double)(t1 - t0) / (double)armed : 0.0,
		       armed ? ((double)h1 - (double)h0) / (double)armed : 0.0,
		       bad);
	}

	int order[D_NR], n_impl = 0;
	for (int i = 0; i < D_NR; i++)
		if (mask & (1u << i))
			order[n_impl++] = i;
	uint64_t seed = 0x2545f4914f6cdd1dull;
	/* Unrecorded: the pair items' first touch. */
	for (int j = 0; j < n_impl; j++)
		for (size_t k = 0; k < PAIR_ITEMS; k++)
			if (arm((enum impl)order[j], k, 1 + k % spread))
				disarm((enum impl)order[j], k);

	for (int r = 0; r < rounds; r++) {
		double ns[D_NR] = {0};
		for (int j = 0; j < n_impl; j++) {
			enum impl i = (enum impl)order[(j + r) % n_impl];
			unsigned long bad_arm = 0, bad_cancel = 0;
			unsigned long f0 =
				__atomic_load_n(&fired, __ATOMIC_RELAXED);
			uint64_t t0 = wq_now_ns();
			for (size_t k = 0; k < pairs; k++) {
				size_t it = k % PAIR_ITEMS;
				bad_arm +=
					!arm(i, it, next_delay(&seed, spread));
				bad_cancel += !disarm(i, it);
			}
			uint64_t t1 = wq_now_ns();
			ns[i] = (double)(t1 - t0) / (double)pairs;
			printf("BENCH delayed_pair %s round=%d armed=%zu "
			       "pair_ns=%.1f pairs_per_s=%.0f arm_false=%lu "
			       "cancel_false=%lu fired=%lu\n",
			       d_name[i], r, armed, ns[i], 1e9 / ns[i], bad_arm,
			       bad_cancel,
			       __atomic_load_n(&fired, __ATOMIC_RELAXED) - f0);
		}
		if ((mask & (1u << D_UV)) && ns[D_UV] > 0 && n_impl > 1) {
			printf("BENCH delayed_pair ratio_over_uv round=%d", r);
			for (int j = 0; j < n_impl; j++)
				if (order[j] != D_UV)
					printf(" %s=%.3f", d_name[order[j]],
					       ns[D_UV] / ns[order[j]]);
			printf("\n");
		}
	}

	/* Cancel the background, timed. */
	for (int i = 0; i < D_NR; i++) {
		if (!(mask & (1u << i)))
			continue;
		unsigned long bad = 0;
		uint64_t t0 = wq_now_ns();
		for (size_t k = PAIR_ITEMS; k < total; k++)
			bad += !disarm((enum impl)i, k);
		uint64_t t1 = wq_now_ns();
		printf("BENCH delayed_cancel %s armed=%zu cancel_ns=%.1f "
		       "not_pending=%lu\n",
		       d_name[i], armed,
		       armed ? (double)(t1 - t0) / (double)armed : 0.0, bad);
	}
	printf("BENCH delayed_fired all fired=%lu\n",
	       __atomic_load_n(&fired, __ATOMIC_RELAXED));

	if (dws) {
		for (size_t k = 0; k < total; k++)
			bh_cancel_delayed_work_sync(&dws[k]);
		bh_destroy_workqueue(dwq);
	}
	if (tms)
		for (size_t k = 0; k < total; k++)
			bh_timer_delete_sync(&tms[k]);
#ifdef WQ_HAVE_UV
	if (uvs) {
		for (size_t k = 0; k < total; k++)
			uv_close((uv_handle_t *)&uvs[k], NULL);
		uv_run(&loop, UV_RUN_DEFAULT);
		uv_loop_close(&loop);
	}
#endif
	int left = bh_shutdown();
	if (left != 0)
		fprintf(stderr, "bench: bh_shutdown() returned %d\n", left);
	free(dws);
	free(tms);
#ifdef WQ_HAVE_UV
	free(uvs);
#endif
	return 0;
}
