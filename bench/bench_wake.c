/* SPDX-License-Identifier: MIT */
/*
 * The first schedule: bh_tasklet_schedule() on an idle tasklet while the
 * softirq thread that will run it sleeps. Two figures per sample:
 *
 *   caller   the time the scheduling call itself takes (clock read just
 *            before and just after it);
 *   latency  from just before the call to the first instruction of the
 *            callback (CLOCK_MONOTONIC read in both threads).
 *
 * Measured in the same run, sample by sample in rotation, against
 *
 *   futex    the physical limit: a thread blocked in FUTEX_WAIT, woken by a
 *            FUTEX_WAKE from the measuring thread (the store and the wake
 *            are the "call", the waiter's first instruction after the
 *            syscall returns is the "callback");
 *   uv       uv_async_send() waking a thread blocked in uv_run().
 *
 * Before every sample the measuring thread waits until the target thread
 * (ksoftirqd/N, the futex waiter or the uv loop thread) is seen asleep in
 * /proc, then pauses briefly, so every sample is a real sleep-to-run wakeup.
 *
 * Placement: the measuring thread is pinned to CPU C. With "same" (the
 * kernel's own arrangement: a CPU's softirqs run on that CPU) every target
 * is pinned to C too, and the tasklet goes to bh CPU C because the
 * scheduling thread runs there (SPEC U5); ksoftirqd/C is pinned with
 * cfg.pin_threads. With "cross" the targets are pinned to the other CPU and
 * the measuring thread schedules onto it with bh_thread_set_cpu().
 *
 *   bench_wake [same|cross] [-c CPU] [-n SAMPLES] [-r ROUNDS] [-p PAUSE_US]
 */
#include "bench_common.h"

enum impl { IMPL_FUTEX, IMPL_BH, IMPL_UV, NR_IMPL };
static const char *const impl_name[NR_IMPL] = {"futex", "bh", "uv"};

/*
 * The callback's clock reading: written by the target thread before it
 * raises `done` (release), read by the measuring thread after it sees
 * `done` (acquire). At shutdown the targets return without writing it.
 */
static uint64_t t_cb;
static unsigned int done;
static bool stopping;

/* ---- futex waiter ---- */

static unsigned int fx_go;
static struct bench_thread fx_th;

static void *futex_waiter(void *arg)
{
	(void)arg;
	for (;;) {
		while (__atomic_load_n(&fx_go, __ATOMIC_ACQUIRE) == 0)
			bench_futex_wait(&fx_go, 0);
		uint64_t t = bench_now_ns();
		__atomic_store_n(&fx_go, 0, __ATOMIC_RELAXED);
		if (__atomic_load_n(&stopping, __ATOMIC_ACQUIRE))
			return NULL;
		t_cb = t;
		bench_flag_raise(&done);
	}
}

static int futex_call(void)
{
	__atomic_store_n(&fx_go, 1, __ATOMIC_RELEASE);
	bench_futex_wake(&fx_go, 1);
	return 1;
}

/* ---- bh ---- */

static struct bh_tasklet bh_t;
static pid_t bh_tid;

static void bh_cb(struct bh_tasklet *t)
{
	t_cb = bench_now_ns();
	(void)t;
	bench_flag_raise(&done);
}

/* ---- libuv ---- */

static struct bench_uv uv;

static void uv_cb(uv_async_t *a)
{
	uint64_t t = bench_now_ns();
	if (__atomic_load_n(&stopping, __ATOMIC_ACQUIRE)) {
		uv_close((uv_handle_t *)a, NULL);
		return;
	}
	t_cb = t;
	bench_flag_raise(&done);
}

/* ---- measurement ---- */

struct series {
	uint64_t *caller, *lat;
	uint64_t *caller_alone; /* caller, when the callback started after */
	size_t n, n_alone;
	unsigned long skipped;	 /* target not seen asleep, or not idle */
	unsigned long preempted; /* callback ran before the call returned */
};

static pid_t target_tid(enum impl i)
{
	switch (i) {
	case IMPL_FUTEX:
		return fx_th.tid;
	case IMPL_BH:
		return bh_tid;
	default:
		return uv.thread.tid;
	}
}

static void sample(enum impl i, struct series *s, unsigned int pause_us)
{
	if (!bench_wait_asleep(target_tid(i))) {
		s->skipped++;
		return;
	}
	bench_sleep_us(pause_us);
	__atomic_store_n(&done, 0, __ATOMIC_RELAXED);

	int r;
	uint64_t t0 = bench_now_ns();
	switch (i) {
	case IMPL_FUTEX:
		r = futex_call();
		break;
	case IMPL_BH:
		r = bh_tasklet_schedule(&bh_t);
		break;
	default:
		r = uv_async_send(&uv.async) == 0;
		break;
	}
	uint64_t t1 = bench_now_ns();
	bench_flag_wait(&done);

	if (r != 1) { /* bh: the tasklet was still scheduled, not idle */
		s->skipped++;
		return;
	}
	s->caller[s->n] = t1 - t0;
	s->lat[s->n] = t_cb - t0;
	/*
	 * On a shared CPU the woken thread often preempts the caller inside
	 * its wake-up system call, and the callback then runs before the call
	 * returns: that sample's caller time includes the callback's. The
	 * others give the cost of the call alone.
	 */
	if (t_cb < t1)
		s->preempted++;
	else
		s->caller_alone[s->n_alone++] = t1 - t0;
	s->n++;
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [same|cross] [-c CPU] [-n SAMPLES] [-r ROUNDS] "
		"[-p PAUSE_US]\n",
		argv0);
	exit(2);
}

int main(int argc, char **argv)
{
	struct bench_place pl = {.cross = false, .rounds = 1};
	size_t samples = 2000;
	unsigned int pause_us = 50;
	for (int a = 1; a < argc; a++) {
		if (bench_place_arg(argc, argv, &a, &pl))
			continue;
		if (strcmp(argv[a], "-n") == 0 && a + 1 < argc)
			samples = (size_t)atol(argv[++a]);
		else if (strcmp(argv[a], "-p") == 0 && a + 1 < argc)
			pause_us = (unsigned int)atoi(argv[++a]);
		else
			usage(argv[0]);
	}
	if (samples == 0 || !bench_place_check(&pl))
		usage(argv[0]);
	const char *mode = pl.cross ? "wake_cross" : "wake_same";
	setvbuf(stdout, NULL, _IOLBF, 0);

	bh_tid = bench_place_start(&pl, "pin the measuring thread");
	bh_tasklet_setup(&bh_t, bh_cb);
	bench_thread_start(&fx_th, "futex-waiter", pl.target_cpu, futex_waiter,
			   NULL);
	bench_uv_start(&uv, pl.target_cpu, uv_cb);

	struct series s[NR_IMPL];
	for (int i = 0; i < NR_IMPL; i++) {
		s[i].caller = calloc(samples, sizeof(uint64_t));
		s[i].lat = calloc(samples, sizeof(uint64_t));
		s[i].caller_alone = calloc(samples, sizeof(uint64_t));
		if (!s[i].caller || !s[i].lat || !s[i].caller_alone)
			bench_die("calloc", ENOMEM);
	}

	printf("# first schedule, target asleep: measuring thread on CPU %d, "
	       "targets on CPU %d; %zu samples per impl per round, ns\n",
	       pl.cpu, pl.target_cpu, samples);
	/* A few unrecorded samples first: page faults, lazy binding. */
	for (int i = 0; i < NR_IMPL; i++) {
		struct series w = s[i];
		for (int k = 0; k < 20; k++) {
			w.n = w.n_alone = 0;
			sample((enum impl)i, &w, pause_us);
		}
	}
	for (int r = 0; r < pl.rounds; r++) {
		double med[NR_IMPL], p99[NR_IMPL], cmed[NR_IMPL];
		for (int i = 0; i < NR_IMPL; i++)
			s[i].n = s[i].n_alone = s[i].skipped = s[i].preempted =
				0;
		for (size_t k = 0; k < samples; k++)
			for (int j = 0; j < NR_IMPL; j++) {
				/* Rotate which implementation goes first. */
				enum impl i = (enum impl)((j + k) % NR_IMPL);
				sample(i, &s[i], pause_us);
			}
		for (int i = 0; i < NR_IMPL; i++) {
			size_t n = s[i].n;
			cmed[i] = (double)bench_quantile(s[i].caller, n, 0.5);
			double cp99 =
				(double)bench_quantile(s[i].caller, n, 0.99);
			double calone = (double)bench_quantile(
				s[i].caller_alone, s[i].n_alone, 0.5);
			med[i] = (double)bench_quantile(s[i].lat, n, 0.5);
			p99[i] = (double)bench_quantile(s[i].lat, n, 0.99);
			printf("BENCH %s %s round=%d samples=%zu skipped=%lu "
			       "preempted_pct=%.1f caller_med_ns=%.0f "
			       "caller_p99_ns=%.0f caller_alone_med_ns=%.0f "
			       "lat_med_ns=%.0f lat_p99_ns=%.0f\n",
			       mode, impl_name[i], r, n, s[i].skipped,
			       n ? 100.0 * (double)s[i].preempted / (double)n
				 : 0.0,
			       cmed[i], cp99, calone, med[i], p99[i]);
		}
		printf("BENCH %s ratio round=%d bh_over_futex_lat_med=%.3f "
		       "bh_over_futex_lat_p99=%.3f uv_over_futex_lat_med=%.3f "
		       "uv_over_futex_lat_p99=%.3f bh_over_uv_lat_med=%.3f "
		       "bh_over_uv_lat_p99=%.3f bh_over_futex_caller_med=%.3f "
		       "bh_over_uv_caller_med=%.3f\n",
		       mode, r, med[IMPL_BH] / med[IMPL_FUTEX],
		       p99[IMPL_BH] / p99[IMPL_FUTEX],
		       med[IMPL_UV] / med[IMPL_FUTEX],
		       p99[IMPL_UV] / p99[IMPL_FUTEX],
		       med[IMPL_BH] / med[IMPL_UV], p99[IMPL_BH] / p99[IMPL_UV],
		       cmed[IMPL_BH] / cmed[IMPL_FUTEX],
		       cmed[IMPL_BH] / cmed[IMPL_UV]);
	}

	__atomic_store_n(&stopping, true, __ATOMIC_RELEASE);
	futex_call();
	bench_uv_stop(&uv);
	pthread_join(fx_th.th, NULL);
	bh_tasklet_kill(&bh_t);
	bh_shutdown();
	for (int i = 0; i < NR_IMPL; i++) {
		free(s[i].caller);
		free(s[i].lat);
		free(s[i].caller_alone);
	}
	return 0;
}
