// SPDX-License-Identifier: MIT
/*
 * SPEC U6: after bh_shutdown() no library thread is left and nothing leaks.
 * Run under valgrind by tests/valgrind.cmake (memcheck, leaks are errors);
 * the library's threads are counted here by name from /proc/self/task
 * (sanitizer runtimes start threads of their own).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bh.h>

#include "thread_names.h"

static unsigned long runs;

static void count_run(struct bh_tasklet *t)
{
	(void)t;
	__atomic_fetch_add(&runs, 1, __ATOMIC_RELAXED);
}

/* Threads of this process named ksoftirqd/N (the library's threads). */
static int library_threads(void)
{
	return th_count_threads("ksoftirqd/", NULL);
}

int main(void)
{
	static BH_DECLARE_TASKLET(t, count_run);
	struct bh_config cfg;

	for (int round = 0; round < 3; round++) {
		bh_config_init(&cfg);
		cfg.nr_cpus = 2;
		if (bh_init(&cfg) != 0)
			return 2;
		if (library_threads() != 2) { /* ksoftirqd/0 and /1 */
			fprintf(stderr, "expected 2 library threads\n");
			return 3;
		}
		for (int i = 0; i < 1000; i++)
			bh_tasklet_schedule(&t);
		/*
		 * Left scheduled: shutdown must run it, not drop it (T3: a run
		 * starts after the call). ksoftirqd/N may get there first, so
		 * count from before the call, atomically.
		 */
		unsigned long before = __atomic_load_n(&runs, __ATOMIC_RELAXED);
		bh_tasklet_schedule(&t);
		if (bh_shutdown() != 0)
			return 4;
		if (bh_tasklet_is_scheduled(&t) ||
		    __atomic_load_n(&runs, __ATOMIC_RELAXED) == before) {
			fprintf(stderr,
				"shutdown did not run the pending tasklet\n");
			return 5;
		}
		if (library_threads() != 0) {
			fprintf(stderr,
				"library threads left after shutdown\n");
			return 6;
		}
	}
	printf("leakcheck: %lu runs, no thread left\n", runs);
	return 0;
}
