/* SPDX-License-Identifier: MIT */
/*
 * The already-pending path: bh_tasklet_schedule() on a tasklet whose SCHED
 * bit is set (SPEC T2, U3), against uv_async_send() on a handle that is
 * already pending, and against the least any coalescing flag can do (one
 * load and a test, "raw").
 *
 *   bench_pending count <bh|uv|raw> N
 *       Make N already-pending calls from one function of their own,
 *       pending_loop_<impl>(), and nothing else of interest: this is the
 *       program valgrind --tool=callgrind --toggle-collect=pending_loop_<impl>
 *       measures, and strace checks for system calls. The loop is bracketed
 *       by two getppid() calls, markers an strace log can be cut at.
 *   bench_pending time [ROUNDS [N]]
 *       Nanoseconds per call of each, N calls per round, interleaved so the
 *       three share the machine's noise; prints the ratios of each round.
 *
 * The tasklet is kept pending with the runtime running (threads and all, as
 * a program sees it): it is disabled, then scheduled once; ksoftirqd/N finds
 * it disabled and parks it with SCHED still set (SPEC T13), so every later
 * schedule takes the coalesced path. The uv handle stays pending because
 * its loop is never run.
 */
#include "bench_common.h"

/* Kept whole and under its own name, so callgrind can toggle on it. */
#if defined(__clang__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE __attribute__((noinline, noclone))
#endif

/*
 * pending_loop_<impl>(x, n): n calls of call(x), nothing else, returning
 * the sum of what they returned. One NOINLINE function per implementation,
 * the one callgrind toggles on; written once so that the three loops stay
 * the same but for the call.
 */
#define DEFINE_PENDING_LOOP(impl, type, call)                                  \
	NOINLINE long pending_loop_##impl(type *x, long n);                    \
	NOINLINE long pending_loop_##impl(type *x, long n)                     \
	{                                                                      \
		long sum = 0;                                                  \
		for (long i = 0; i < n; i++)                                   \
			sum += call(x);                                        \
		return sum;                                                    \
	}

/* ---- bh ---- */

static struct bh_tasklet bh_t;
static unsigned int bh_ran;

static void bh_cb(struct bh_tasklet *t)
{
	(void)t;
	__atomic_store_n(&bh_ran, 1, __ATOMIC_RELEASE);
}

DEFINE_PENDING_LOOP(bh, struct bh_tasklet, bh_tasklet_schedule)

static void bh_setup(void)
{
	struct bh_config cfg;
	bh_config_init(&cfg);
	int err = bh_init(&cfg);
	if (err)
		bench_die("bh_init", err);
	bh_tasklet_setup(&bh_t, bh_cb);
	err = bh_tasklet_disable(&bh_t);
	if (err)
		bench_die("bh_tasklet_disable", err);
	if (bh_tasklet_schedule(&bh_t) != 1)
		bench_die("first bh_tasklet_schedule", EPROTO);
	/*
	 * Let ksoftirqd/N see the tasklet and park it, then go back to sleep,
	 * so that no library thread runs while the calls are counted.
	 */
	for (int i = 0; i < 2000; i++) {
		bool busy = false;
		for (int c = 0; c < bh_nr_cpus(); c++)
			busy |= bh_softirq_pending(c) != 0;
		if (!busy)
			break;
		bench_sleep_us(100);
	}
	for (int c = 0; c < bh_nr_cpus(); c++)
		bench_wait_asleep(bench_find_ksoftirqd(c));
}

static void bh_teardown(void)
{
	bh_tasklet_enable(&bh_t);
	for (int i = 0;
	     i < 20000 && !__atomic_load_n(&bh_ran, __ATOMIC_ACQUIRE); i++)
		bench_sleep_us(100);
	if (!__atomic_load_n(&bh_ran, __ATOMIC_ACQUIRE))
		fprintf(stderr, "bench: the enabled tasklet did not run\n");
	bh_tasklet_kill(&bh_t);
	bh_shutdown();
}

/* ---- libuv ---- */

static uv_loop_t uv_l;
static uv_async_t uv_a;

static void uv_cb(uv_async_t *a)
{
	(void)a;
}

DEFINE_PENDING_LOOP(uv, uv_async_t, uv_async_send)

static void uv_setup(void)
{
	bench_uv_init(&uv_l, &uv_a, uv_cb);
	uv_async_send(&uv_a); /* pending from now on: the loop never runs */
}

static void uv_teardown(void)
{
	uv_close((uv_handle_t *)&uv_a, NULL);
	uv_run(&uv_l, UV_RUN_DEFAULT);
	uv_loop_close(&uv_l);
}

/* ---- raw: the floor for any "already pending?" test ---- */

struct raw_flag {
	unsigned int pending;
};
static struct raw_flag raw_f;

NOINLINE int raw_schedule(struct raw_flag *f);
NOINLINE int raw_schedule(struct raw_flag *f)
{
	/* The cheap read first, as libuv and QEMU do; the RMW only on 0->1. */
	if (__atomic_load_n(&f->pending, __ATOMIC_RELAXED))
		return 0;
	if (__atomic_exchange_n(&f->pending, 1, __ATOMIC_ACQ_REL))
		return 0;
	return 1; /* a real one would wake its consumer here */
}

DEFINE_PENDING_LOOP(raw, struct raw_flag, raw_schedule)

/* ---- driver ---- */

enum impl { IMPL_BH, IMPL_UV, IMPL_RAW, NR_IMPL };
static const char *const impl_name[NR_IMPL] = {"bh", "uv", "raw"};

static long run_loop(enum impl i, long n)
{
	switch (i) {
	case IMPL_BH:
		return pending_loop_bh(&bh_t, n);
	case IMPL_UV:
		return pending_loop_uv(&uv_a, n);
	default:
		return pending_loop_raw(&raw_f, n);
	}
}

static int parse_impl(const char *s)
{
	for (int i = 0; i < NR_IMPL; i++)
		if (strcmp(s, impl_name[i]) == 0)
			return i;
	return -1;
}

/* Make the next call of implementation i find it pending. */
static void impl_setup(enum impl i)
{
	switch (i) {
	case IMPL_BH:
		bh_setup();
		break;
	case IMPL_UV:
		uv_setup();
		break;
	default:
		raw_schedule(&raw_f);
		break;
	}
}

static void impl_teardown(enum impl i)
{
	if (i == IMPL_BH)
		bh_teardown();
	else if (i == IMPL_UV)
		uv_teardown();
}

static int do_count(enum impl i, long n)
{
	impl_setup(i);

	syscall(SYS_getppid); /* strace marker: the loop starts */
	long r = run_loop(i, n);
	syscall(SYS_getppid); /* strace marker: the loop ended */

	printf("BENCH pending_count %s calls=%ld result_sum=%ld tid=%d\n",
	       impl_name[i], n, r, (int)bench_gettid());
	impl_teardown(i);
	/* Every call must have found it pending (bh returns 0, uv returns 0).
	 */
	return r == 0 ? 0 : 1;
}

static int do_time(int rounds, long n)
{
	for (int i = 0; i < NR_IMPL; i++)
		impl_setup((enum impl)i);
	for (int i = 0; i < NR_IMPL; i++)
		run_loop(i, n / 10); /* warm up caches and branch predictors */

	printf("# already-pending path, %ld calls per round, ns per call\n", n);
	for (int r = 0; r < rounds; r++) {
		double ns[NR_IMPL];
		for (int k = 0; k < NR_IMPL; k++) {
			/* Rotate the order so no one always runs first. */
			enum impl i = (enum impl)((k + r) % NR_IMPL);
			uint64_t t0 = bench_now_ns();
			long res = run_loop(i, n);
			uint64_t t1 = bench_now_ns();
			if (res != 0)
				bench_die("a pending call scheduled", EPROTO);
			ns[i] = (double)(t1 - t0) / (double)n;
		}
		for (int i = 0; i < NR_IMPL; i++)
			printf("BENCH pending %s round=%d ns_per_call=%.3f\n",
			       impl_name[i], r, ns[i]);
		printf("BENCH pending ratio round=%d bh_over_uv=%.3f "
		       "bh_over_raw=%.3f\n",
		       r, ns[IMPL_BH] / ns[IMPL_UV],
		       ns[IMPL_BH] / ns[IMPL_RAW]);
	}
	for (int i = NR_IMPL - 1; i >= 0; i--)
		impl_teardown((enum impl)i);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 4 && strcmp(argv[1], "count") == 0) {
		int i = parse_impl(argv[2]);
		long n = atol(argv[3]);
		if (i >= 0 && n > 0)
			return do_count((enum impl)i, n);
	} else if (argc >= 2 && strcmp(argv[1], "time") == 0) {
		int rounds = argc > 2 ? atoi(argv[2]) : 5;
		long n = argc > 3 ? atol(argv[3]) : 20000000;
		if (rounds > 0 && n > 0)
			return do_time(rounds, n);
	}
	fprintf(stderr,
		"usage: %s count bh|uv|raw N\n"
		"       %s time [ROUNDS [N]]\n",
		argv[0], argv[0]);
	return 2;
}
