/* SPDX-License-Identifier: MIT */
/*
 * Coalescing: one thread schedules one tasklet as fast as it can for a
 * fixed time; the softirq thread runs it whenever it can. Reported: calls
 * per second the producer achieves, and runs per second that result (each
 * run absorbs every schedule made since the previous one began, SPEC T2/T8).
 *
 * Measured in the same run, in rotation, against
 *
 *   uv    uv_async_send() on one handle, a loop thread running its callback;
 *   raw   the least a coalescing wakeup can be: a flag set with one
 *         exchange on its 0->1 edge, a consumer that clears it, runs, and
 *         sleeps on a futex only when it finds the flag clear (a
 *         "sleeping" word tells the producer when a wake is needed).
 *
 * Placement as in bench_wake: the producer is pinned to CPU C; "cross" puts
 * the consumer (ksoftirqd/N pinned with cfg.pin_threads, the uv loop
 * thread, the raw consumer) on the other CPU, "same" on C with the
 * producer, where the consumer only runs when the scheduler preempts the
 * producer.
 *
 *   bench_coalesce [cross|same] [-c CPU] [-d MS] [-r ROUNDS]
 */
#include "bench_common.h"

enum impl { IMPL_RAW, IMPL_BH, IMPL_UV, NR_IMPL };
static const char *const impl_name[NR_IMPL] = {"raw", "bh", "uv"};

static unsigned long runs[NR_IMPL];
static bool stopping;

static inline void count_run(enum impl i)
{
	/* One runner at a time per implementation: a plain RMW would do,
	 * but the producer reads it concurrently. */
	__atomic_store_n(&runs[i],
			 __atomic_load_n(&runs[i], __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELAXED);
}

/* ---- raw ---- */

static unsigned int raw_pending, raw_sleeping;
static struct bench_thread raw_th;

static int raw_schedule(void)
{
	if (__atomic_load_n(&raw_pending, __ATOMIC_RELAXED))
		return 0;
	if (__atomic_exchange_n(&raw_pending, 1, __ATOMIC_SEQ_CST))
		return 0;
	/*
	 * Dekker with the consumer: it stores `sleeping` then reads `pending`,
	 * we stored `pending` then read `sleeping`; with both sequentially
	 * consistent, at least one of us sees the other's store, so the flag
	 * is never left set with the consumer asleep.
	 */
	if (__atomic_load_n(&raw_sleeping, __ATOMIC_SEQ_CST))
		bench_futex_wake(&raw_pending, 1);
	return 1;
}

static void *raw_consumer(void *arg)
{
	(void)arg;
	for (;;) {
		if (__atomic_exchange_n(&raw_pending, 0, __ATOMIC_ACQ_REL)) {
			if (__atomic_load_n(&stopping, __ATOMIC_ACQUIRE))
				return NULL;
			count_run(IMPL_RAW);
			continue;
		}
		__atomic_store_n(&raw_sleeping, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&raw_pending, __ATOMIC_SEQ_CST) == 0)
			bench_futex_wait(&raw_pending, 0);
		__atomic_store_n(&raw_sleeping, 0, __ATOMIC_RELAXED);
	}
}

/* ---- bh ---- */

static struct bh_tasklet bh_t;
static pid_t bh_tid;

static void bh_cb(struct bh_tasklet *t)
{
	(void)t;
	count_run(IMPL_BH);
}

/* ---- libuv ---- */

static struct bench_uv uv;

static void uv_cb(uv_async_t *a)
{
	if (__atomic_load_n(&stopping, __ATOMIC_ACQUIRE)) {
		uv_close((uv_handle_t *)a, NULL);
		return;
	}
	count_run(IMPL_UV);
}

/* ---- measurement ---- */

static inline int call(enum impl i)
{
	switch (i) {
	case IMPL_RAW:
		return raw_schedule();
	case IMPL_BH:
		return bh_tasklet_schedule(&bh_t);
	default:
		return uv_async_send(&uv.async) == 0;
	}
}

static pid_t target_tid(enum impl i)
{
	switch (i) {
	case IMPL_RAW:
		return raw_th.tid;
	case IMPL_BH:
		return bh_tid;
	default:
		return uv.thread.tid;
	}
}

/* Wait until the consumer has run what was left and gone back to sleep. */
static void quiesce(enum impl i)
{
	unsigned long last;
	do {
		last = __atomic_load_n(&runs[i], __ATOMIC_RELAXED);
		bench_wait_asleep(target_tid(i));
		bench_sleep_us(2000);
	} while (__atomic_load_n(&runs[i], __ATOMIC_RELAXED) != last);
}

struct result {
	double calls_per_s, runs_per_s, firsts_per_s;
};

static struct result hammer(enum impl i, unsigned int ms)
{
	unsigned long calls = 0, firsts = 0;
	unsigned long runs0 = __atomic_load_n(&runs[i], __ATOMIC_RELAXED);
	uint64_t t0 = bench_now_ns(), end = t0 + (uint64_t)ms * 1000000u, t1;
	do {
		/* Read the clock once per 256 calls: ~1% of a pending call. */
		for (int k = 0; k < 256; k++)
			firsts += (unsigned long)call(i);
		calls += 256;
	} while ((t1 = bench_now_ns()) < end);
	unsigned long nruns =
		__atomic_load_n(&runs[i], __ATOMIC_RELAXED) - runs0;
	double s = (double)(t1 - t0) / 1e9;
	quiesce(i);
	return (struct result){(double)calls / s, (double)nruns / s,
			       (double)firsts / s};
}

static void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [cross|same] [-c CPU] [-d MS] [-r ROUNDS]\n",
		argv0);
	exit(2);
}

int main(int argc, char **argv)
{
	struct bench_place pl = {.cross = true, .rounds = 1};
	unsigned int ms = 300;
	for (int a = 1; a < argc; a++) {
		if (bench_place_arg(argc, argv, &a, &pl))
			continue;
		if (strcmp(argv[a], "-d") == 0 && a + 1 < argc)
			ms = (unsigned int)atoi(argv[++a]);
		else
			usage(argv[0]);
	}
	if (ms == 0 || !bench_place_check(&pl))
		usage(argv[0]);
	const char *mode = pl.cross ? "coalesce_cross" : "coalesce_same";
	setvbuf(stdout, NULL, _IOLBF, 0);

	bh_tid = bench_place_start(&pl, "pin the producer");
	bh_tasklet_setup(&bh_t, bh_cb);
	bench_thread_start(&raw_th, "raw-consumer", pl.target_cpu, raw_consumer,
			   NULL);
	bench_uv_start(&uv, pl.target_cpu, uv_cb);

	printf("# coalescing: producer on CPU %d, consumers on CPU %d, %u ms "
	       "per impl per round\n",
	       pl.cpu, pl.target_cpu, ms);
	for (int i = 0; i < NR_IMPL; i++)
		hammer((enum impl)i, ms / 10 + 1); /* warm-up */
	for (int r = 0; r < pl.rounds; r++) {
		struct result res[NR_IMPL];
		for (int j = 0; j < NR_IMPL; j++) {
			enum impl i = (enum impl)((j + r) % NR_IMPL);
			res[i] = hammer(i, ms);
		}
		for (int i = 0; i < NR_IMPL; i++) {
			char firsts[64] = "";
			/* uv_async_send() does not say whether it was pending.
			 */
			if (i != IMPL_UV)
				snprintf(firsts, sizeof(firsts),
					 " edges_per_s=%.0f",
					 res[i].firsts_per_s);
			printf("BENCH %s %s round=%d calls_per_s=%.0f "
			       "runs_per_s=%.0f calls_per_run=%.1f%s\n",
			       mode, impl_name[i], r, res[i].calls_per_s,
			       res[i].runs_per_s,
			       res[i].runs_per_s > 0
				       ? res[i].calls_per_s / res[i].runs_per_s
				       : 0.0,
			       firsts);
		}
		printf("BENCH %s ratio round=%d bh_over_uv_calls=%.3f "
		       "bh_over_uv_runs=%.3f bh_over_raw_calls=%.3f "
		       "bh_over_raw_runs=%.3f uv_over_raw_calls=%.3f "
		       "uv_over_raw_runs=%.3f\n",
		       mode, r,
		       res[IMPL_BH].calls_per_s / res[IMPL_UV].calls_per_s,
		       res[IMPL_BH].runs_per_s / res[IMPL_UV].runs_per_s,
		       res[IMPL_BH].calls_per_s / res[IMPL_RAW].calls_per_s,
		       res[IMPL_BH].runs_per_s / res[IMPL_RAW].runs_per_s,
		       res[IMPL_UV].calls_per_s / res[IMPL_RAW].calls_per_s,
		       res[IMPL_UV].runs_per_s / res[IMPL_RAW].runs_per_s);
	}

	__atomic_store_n(&stopping, true, __ATOMIC_RELEASE);
	__atomic_store_n(&raw_pending, 1, __ATOMIC_SEQ_CST);
	bench_futex_wake(&raw_pending, 1);
	bench_uv_stop(&uv);
	pthread_join(raw_th.th, NULL);
	bh_tasklet_kill(&bh_t);
	bh_shutdown();
	return 0;
}
