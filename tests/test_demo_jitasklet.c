/* SPDX-License-Identifier: MIT */
/*
 * The demo, examples/jitasklet, run as a user runs it: its exit status and
 * the shape of its three tables (LDD3's /proc/jitasklet, /proc/jitasklethi,
 * and a tasklet scheduled from a top half). tests/demo.cmake passes the
 * executable's path in JITASKLET; without it (examples not built) the
 * tests are skipped.
 *
 * What the tables must show follows from the library's contract: the
 * scheduling line is task context and every tasklet line softirq context
 * (SPEC S15, T25), a tasklet runs on the bh CPU that scheduled it (T4, U5),
 * and from task context it runs in that CPU's ksoftirqd/N (S11).
 */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "spawn_demo.h"

#define OUT_SIZE   (64 * 1024)
#define MAX_TABLES 4
#define MAX_ROWS   16

struct row {
	unsigned long time;
	long delta;
	int inirq;
	int pid;
	int cpu;
	char comm[32];
};

struct table {
	int nrows;
	struct row rows[MAX_ROWS];
	const char *title; /* the last "$ " line before the header */
};

struct demo {
	char out[OUT_SIZE];
	int status;  /* as waitpid() reports it */
	pid_t pid;   /* the demo's pid: its main thread's id */
	int nr_cpus; /* from the banner */
	unsigned int hz;
	int ntables;
	struct table tables[MAX_TABLES];
};

static struct demo demo;

/* Run the demo with `args` (NULL-terminated), capturing standard output. */
static void run_demo(const char *const *args)
{
	size_t len = 0;

	memset(&demo, 0, sizeof(demo));
	int out = th_spawn_demo("JITASKLET", args, &demo.pid);
	for (;;) {
		ssize_t r = read(out, demo.out + len, OUT_SIZE - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		assert_true(r >= 0);
		if (r == 0)
			break;
		len += (size_t)r;
		assert_true(len < OUT_SIZE - 1);
	}
	close(out);
	assert_int_equal(waitpid(demo.pid, &demo.status, 0), demo.pid);
	demo.out[len] = '\0';
}

static bool is_header(const char *line)
{
	char w[6][16];

	return sscanf(line, "%15s %15s %15s %15s %15s %15s", w[0], w[1], w[2],
		      w[3], w[4], w[5]) == 6 &&
	       strcmp(w[0], "time") == 0 && strcmp(w[1], "delta") == 0 &&
	       strcmp(w[2], "inirq") == 0 && strcmp(w[3], "pid") == 0 &&
	       strcmp(w[4], "cpu") == 0 && strcmp(w[5], "command") == 0;
}

/* Split the captured output into the banner's numbers and the tables. */
static void parse_demo(void)
{
	const char *title = NULL;
	struct table *cur = NULL;
	char *save = NULL;
	const char *banner = strstr(demo.out, "bh CPUs: ");

	assert_non_null(banner);
	assert_int_equal(
		sscanf(banner, "bh CPUs: %d, HZ: %u", &demo.nr_cpus, &demo.hz),
		2);
	for (char *line = strtok_r(demo.out, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		struct row r;
		char extra;

		if (is_header(line)) {
			assert_true(demo.ntables < MAX_TABLES);
			cur = &demo.tables[demo.ntables++];
			cur->title = title;
		} else if (cur != NULL &&
			   sscanf(line, "%lu %ld %d %d %d %31s %c", &r.time,
				  &r.delta, &r.inirq, &r.pid, &r.cpu, r.comm,
				  &extra) == 6) {
			assert_true(cur->nrows < MAX_ROWS);
			cur->rows[cur->nrows++] = r;
		} else {
			cur = NULL; /* anything else ends a table */
			if (strncmp(line, "$ ", 2) == 0)
				title = line;
		}
	}
}

/*
 * The checks every table must pass. `first_inirq` is what the first line
 * shows: 0 for the reading process, 1 for a top half.
 */
static void check_table(const struct table *t, int nrows, int first_inirq)
{
	assert_int_equal(t->nrows, nrows);
	for (int i = 0; i < t->nrows; i++) {
		const struct row *r = &t->rows[i];

		/* time and delta are jiffies; a line's delta is since the
		 * previous line, so they must agree and never go back. */
		assert_true(r->delta >= 0);
		if (i == 0)
			assert_int_equal(r->delta, 0);
		else
			assert_int_equal(r->time - t->rows[i - 1].time,
					 (unsigned long)r->delta);

		assert_int_equal(r->inirq, i == 0 ? first_inirq : 1);
		assert_true(r->pid > 0);
		assert_true(r->cpu >= 0 && r->cpu < demo.nr_cpus);
		/* SPEC T4: every run on the bh CPU that scheduled it */
		assert_int_equal(r->cpu, t->rows[0].cpu);

		if (strncmp(r->comm, "ksoftirqd/", 10) == 0) {
			/* SPEC U5: ksoftirqd/N serves bh CPU N only */
			assert_int_equal(atoi(r->comm + 10), r->cpu);
			assert_true(i > 0);
		}
	}
	/* The first line is the demo's main thread: the reader, or the
	 * thread the signal interrupted. */
	assert_int_equal(t->rows[0].pid, demo.pid);
	assert_string_equal(t->rows[0].comm, "jitasklet");
}

static void check_demo(int nrows)
{
	assert_true(WIFEXITED(demo.status));
	assert_int_equal(WEXITSTATUS(demo.status), 0);
	parse_demo();
	assert_true(demo.nr_cpus >= 1);
	assert_int_equal(demo.ntables, 3);

	/* SPEC S15: the reader is task context, the tasklet softirq */
	assert_non_null(demo.tables[0].title);
	assert_non_null(strstr(demo.tables[0].title, "/proc/jitasklet "));
	check_table(&demo.tables[0], nrows, 0);
	assert_non_null(demo.tables[1].title);
	assert_non_null(strstr(demo.tables[1].title, "/proc/jitasklethi "));
	check_table(&demo.tables[1], nrows, 0);
	/* A top half is hardirq context: inirq 1 from the first line. */
	assert_non_null(demo.tables[2].title);
	assert_non_null(strstr(demo.tables[2].title, "top half"));
	check_table(&demo.tables[2], nrows, 1);
}

/* What scripts/demo shows: the defaults, LDD3's six lines per table. */
static void test_default_run(void **state)
{
	(void)state;
	run_demo((const char *[]){NULL});
	check_demo(6);
}

/*
 * SPEC S11: scheduled from task context, the tasklet's first run is in
 * ksoftirqd/N; it then reschedules itself from softirq context, which runs
 * in a later pass of the same loop, so no other thread appears.
 */
static void test_task_context_runs_in_ksoftirqd(void **state)
{
	(void)state;
	run_demo((const char *[]){NULL});
	check_demo(6);
	for (int t = 0; t < 2; t++) {
		const struct table *tab = &demo.tables[t];
		char want[32];

		snprintf(want, sizeof(want), "ksoftirqd/%d", tab->rows[0].cpu);
		for (int i = 1; i < tab->nrows; i++)
			assert_string_equal(tab->rows[i].comm, want);
	}
}

static void test_options(void **state)
{
	(void)state;
	run_demo((const char *[]){"--lines", "3", "--cpus", "1", "--hz", "1000",
				  NULL});
	check_demo(3);
	assert_int_equal(demo.nr_cpus, 1);
	assert_int_equal(demo.hz, 1000);
}

static void test_usage(void **state)
{
	(void)state;
	run_demo((const char *[]){"--help", NULL});
	assert_true(WIFEXITED(demo.status));
	assert_int_equal(WEXITSTATUS(demo.status), 0);
	assert_non_null(strstr(demo.out, "usage: jitasklet"));

	/* Usage errors exit 2 and print nothing on standard output. */
	run_demo((const char *[]){"--lines", "1", NULL});
	assert_true(WIFEXITED(demo.status));
	assert_int_equal(WEXITSTATUS(demo.status), 2);
	assert_string_equal(demo.out, "");
	run_demo((const char *[]){"--no-such-option", NULL});
	assert_true(WIFEXITED(demo.status));
	assert_int_equal(WEXITSTATUS(demo.status), 2);
	run_demo((const char *[]){"--cpus", "2x", NULL});
	assert_true(WIFEXITED(demo.status));
	assert_int_equal(WEXITSTATUS(demo.status), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_run),
		cmocka_unit_test(test_task_context_runs_in_ksoftirqd),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_usage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
