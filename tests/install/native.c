/* SPDX-License-Identifier: MIT */
/*
 * Install check, native API: built against an installed libbh only (via
 * pkg-config bh or find_package(bh)). Runs the runtime in deterministic mode
 * so the result does not depend on thread scheduling.
 */
#include <stdio.h>
#include <string.h>

#include <bh.h>

static int runs;

static void on_tasklet(struct bh_tasklet *t)
{
	(void)t;
	runs++;
}

static BH_DECLARE_TASKLET(tasklet, on_tasklet);

int main(void)
{
	struct bh_config cfg;

	/* The headers found and the library loaded must be the same release. */
	if (strcmp(bh_version(), BH_VERSION_STRING) != 0) {
		fprintf(stderr, "native: header %s, library %s\n",
			BH_VERSION_STRING, bh_version());
		return 1;
	}
	bh_config_init(&cfg);
	cfg.nr_cpus = 1;
	cfg.deterministic = true;
	if (bh_init(&cfg) != 0 || bh_thread_set_cpu(0) != 0) {
		fprintf(stderr, "native: bh_init failed\n");
		return 1;
	}
	/* The second schedule coalesces with the first: one run. */
	int first = bh_tasklet_schedule(&tasklet);
	int second = bh_tasklet_schedule(&tasklet);
	bh_run_all(0);
	int left = bh_shutdown();
	printf("native: libbh %s, schedule %d %d, tasklet ran %d time(s), "
	       "%d left\n",
	       bh_version(), first, second, runs, left);
	return first == 1 && second == 0 && runs == 1 && left == 0 ? 0 : 1;
}
