/* SPDX-License-Identifier: MIT */
/*
 * The demo's instrumentation: a trace of what ran where and when, and the
 * latency samples of each stage. Everything the driver calls here is
 * lock-free and allocation-free (fixed arrays, atomic indices), so the top
 * half may call it; the printing happens later, in task context.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include <bh.h>

#include "uart.h"

#define TRACE_MAX   8192
#define SAMPLES_MAX (1 << 16)

struct event {
	uint64_t t;
	long a, b;
	int stage;
	int cpu;
	const char *ctx;
	char comm[16];
	int ready; /* published with release; the printer acquires */
};

static struct event events[TRACE_MAX];
static unsigned int ev_next;	/* slots claimed */
static unsigned int ev_printed; /* the printer's own */
static int detail_left;		/* top half / tasklet / read() events */
static int work_left;		/* work item events */
static uint64_t t0;

static unsigned long stage_runs[UART_NR_STAGES];
static long stage_bmax[UART_NR_STAGES];
static long long stage_asum[UART_NR_STAGES];

static uint64_t samples[UART_NR_LAT][SAMPLES_MAX];
static unsigned int nsamples[UART_NR_LAT];

struct xfer {
	uint64_t offset;
	uint64_t t;
	unsigned int n;
	bool burst;
};
static struct xfer rx[SAMPLES_MAX], tx[SAMPLES_MAX];
static unsigned int nrx, ntx;

uint64_t uart_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void uart_trace_start(int detail, int work)
{
	t0 = uart_now();
	__atomic_store_n(&detail_left, detail, __ATOMIC_RELAXED);
	__atomic_store_n(&work_left, work, __ATOMIC_RELAXED);
}

void uart_trace_window(int detail, int work)
{
	__atomic_store_n(&detail_left, detail, __ATOMIC_RELAXED);
	__atomic_store_n(&work_left, work, __ATOMIC_RELAXED);
}

/* The thread's name, read once per thread (a system call). */
static const char *thread_name(void)
{
	static __thread char name[16];

	if (!name[0] && prctl(PR_GET_NAME, name) != 0)
		strcpy(name, "?");
	return name;
}

static const char *context(void)
{
	if (bh_in_hardirq())
		return "hardirq";
	if (bh_in_serving_softirq())
		return "softirq";
	return bh_in_task() ? "task" : "atomic";
}

void uart_trace(enum uart_stage stage, uint64_t t, long a, long b)
{
	int *budget = stage == UART_WORK ? &work_left : &detail_left;
	long max;

	__atomic_fetch_add(&stage_runs[stage], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&stage_asum[stage], a, __ATOMIC_RELAXED);
	max = __atomic_load_n(&stage_bmax[stage], __ATOMIC_RELAXED);
	while (b > max &&
	       !__atomic_compare_exchange_n(&stage_bmax[stage], &max, b, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	if (stage != UART_FEEDER &&
	    __atomic_fetch_sub(budget, 1, __ATOMIC_RELAXED) <= 0)
		return;

	unsigned int i = __atomic_fetch_add(&ev_next, 1, __ATOMIC_RELAXED);
	if (i >= TRACE_MAX)
		return;
	struct event *e = &events[i];
	e->t = t;
	e->a = a;
	e->b = b;
	e->stage = stage;
	e->cpu = bh_smp_processor_id();
	e->ctx = context();
	memcpy(e->comm, thread_name(), sizeof(e->comm));
	__atomic_store_n(&e->ready, 1, __ATOMIC_RELEASE);
}

static const char *plural(long n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void describe(const struct event *e, char *s, size_t len)
{
	switch (e->stage) {
	case UART_TOP_HALF:
		if (e->a < 0)
			snprintf(s, len,
				 "FIFO full: mask the line "
				 "(disable_irq_nosync)");
		else
			snprintf(s, len, "read %ld %s into the FIFO (%ld/%d)",
				 e->a, plural(e->a, "byte", "bytes"), e->b,
				 UART_FIFO_SIZE);
		break;
	case UART_TASKLET:
		if (e->b)
			snprintf(s, len, "FIFO -> ring: %ld %s; %ld top %s",
				 e->a, plural(e->a, "byte", "bytes"), e->b,
				 plural(e->b, "half", "halves coalesced"));
		else
			snprintf(s, len, "FIFO -> ring: %ld %s (room was made)",
				 e->a, plural(e->a, "byte", "bytes"));
		break;
	case UART_UNTHROTTLE:
		snprintf(s, len, "FIFO empty: unmask the line (enable_irq)");
		break;
	case UART_READER:
		if (e->a == 0)
			snprintf(s, len, "read() returned 0: hung up (EOF)");
		else
			snprintf(s, len, "read() returned %ld %s%s", e->a,
				 plural(e->a, "byte", "bytes"),
				 e->b ? " after sleeping" : "");
		break;
	case UART_WORK:
		snprintf(s, len, "wrote %ld %s (%ld bytes) to the log", e->a,
			 plural(e->a, "line", "lines"), e->b);
		break;
	case UART_FEEDER:
		if (e->b == 0)
			snprintf(s, len,
				 "--- writing %ld bytes to the slave, paced",
				 e->a);
		else
			snprintf(s, len,
				 "--- writing %ld bytes to the slave, as fast "
				 "as it takes them",
				 e->a);
		break;
	default:
		s[0] = '\0';
	}
}

static const char *const stage_names[UART_NR_STAGES] = {
	[UART_TOP_HALF] = "top half",  [UART_TASKLET] = "tasklet",
	[UART_READER] = "read()",      [UART_WORK] = "work item",
	[UART_UNTHROTTLE] = "tasklet", [UART_FEEDER] = "feeder",
};

void uart_trace_print(FILE *f)
{
	unsigned int end = __atomic_load_n(&ev_next, __ATOMIC_RELAXED);

	if (end > TRACE_MAX)
		end = TRACE_MAX;
	if (ev_printed == 0 && end > 0)
		fprintf(f, "%10s  %-9s  %-7s  %3s  %-15s  %s\n", "t (ms)",
			"stage", "context", "cpu", "thread", "what");
	while (ev_printed < end &&
	       __atomic_load_n(&events[ev_printed].ready, __ATOMIC_ACQUIRE)) {
		const struct event *e = &events[ev_printed++];
		char what[96];

		describe(e, what, sizeof(what));
		fprintf(f, "%10.3f  %-9s  %-7s  %3d  %-15s  %s\n",
			(double)(int64_t)(e->t - t0) / 1e6,
			stage_names[e->stage], e->ctx, e->cpu, e->comm, what);
	}
	fflush(f);
}

unsigned long uart_stage_runs(enum uart_stage stage)
{
	return __atomic_load_n(&stage_runs[stage], __ATOMIC_RELAXED);
}

long uart_stage_max_b(enum uart_stage stage)
{
	return __atomic_load_n(&stage_bmax[stage], __ATOMIC_RELAXED);
}

long long uart_stage_sum_a(enum uart_stage stage)
{
	return __atomic_load_n(&stage_asum[stage], __ATOMIC_RELAXED);
}

void uart_sample(enum uart_latency lat, uint64_t ns)
{
	unsigned int i =
		__atomic_fetch_add(&nsamples[lat], 1, __ATOMIC_RELAXED);

	if (i < SAMPLES_MAX)
		samples[lat][i] = ns;
}

static void note(struct xfer *x, unsigned int *nx, uint64_t offset,
		 unsigned int n, uint64_t t, bool burst)
{
	unsigned int i = __atomic_fetch_add(nx, 1, __ATOMIC_RELAXED);

	if (i < SAMPLES_MAX)
		x[i] = (struct xfer){
			.offset = offset, .t = t, .n = n, .burst = burst};
}

void uart_note_rx(uint64_t offset, unsigned int n, uint64_t t)
{
	note(rx, &nrx, offset, n, t, false);
}

void uart_note_tx(uint64_t offset, unsigned int n, uint64_t t, bool burst)
{
	note(tx, &ntx, offset, n, t, burst);
}

/*
 * Byte arrival -> top half: for each write to the slave, the time until
 * the top half that read its first byte. Both lists are in byte order
 * (one writer, one top half at a time).
 */
static void arrival_samples(void)
{
	unsigned int nt = ntx < SAMPLES_MAX ? ntx : SAMPLES_MAX;
	unsigned int nr = nrx < SAMPLES_MAX ? nrx : SAMPLES_MAX;
	unsigned int j = 0;

	for (unsigned int i = 0; i < nt; i++) {
		uint64_t first = tx[i].offset;

		while (j < nr && rx[j].offset + rx[j].n <= first)
			j++;
		if (j == nr)
			break;
		if (rx[j].offset <= first && rx[j].t >= tx[i].t)
			uart_sample(tx[i].burst ? UART_LAT_ARRIVAL_BURST
						: UART_LAT_ARRIVAL,
				    rx[j].t - tx[i].t);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest sample with at least p of them at or below. */
static double percentile_us(const uint64_t *s, unsigned int n, double p)
{
	unsigned int rank = (unsigned int)(p * n + 0.999999);

	if (rank < 1)
		rank = 1;
	return (double)s[rank - 1] / 1e3;
}

void uart_latency_report(FILE *f, bool arrivals)
{
	static const char *const names[UART_NR_LAT] = {
		[UART_LAT_ARRIVAL] = "byte written -> top half",
		[UART_LAT_ARRIVAL_BURST] = "  the same in the burst (queued)",
		[UART_LAT_TASKLET] = "top half -> tasklet start",
		[UART_LAT_WAKE] = "tasklet wake_up -> reader runs",
		[UART_LAT_WORK] = "line complete -> work item start",
	};

	if (arrivals)
		arrival_samples();
	fprintf(f, "  %-34s %8s %9s %9s %9s\n", "latency (us)", "samples",
		"median", "p99", "max");
	for (int l = 0; l < UART_NR_LAT; l++) {
		unsigned int n =
			nsamples[l] < SAMPLES_MAX ? nsamples[l] : SAMPLES_MAX;

		if (l == UART_LAT_ARRIVAL_BURST && !n)
			continue;
		if (n == 0) {
			fprintf(f, "  %-34s %8u %9s %9s %9s%s\n", names[l], 0u,
				"-", "-", "-",
				l == UART_LAT_ARRIVAL && !arrivals
					? "  (another program wrote)"
					: "");
			continue;
		}
		qsort(samples[l], n, sizeof(samples[l][0]), cmp_u64);
		fprintf(f, "  %-34s %8u %9.1f %9.1f %9.1f\n", names[l], n,
			percentile_us(samples[l], n, 0.5),
			percentile_us(samples[l], n, 0.99),
			(double)samples[l][n - 1] / 1e3);
	}
}
