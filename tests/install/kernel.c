/* SPDX-License-Identifier: MIT */
/*
 * Install check, kernel spellings: a tasklet written as kernel code, built
 * against the installed compat headers (pkg-config bh-compat or bh::compat).
 * The host part (starting the runtime) uses the native API.
 */
#include <stdio.h>

#include <linux/interrupt.h>
#include <linux/kernel.h>

#include <bh.h>

static int runs;

static void hello(struct tasklet_struct *t)
{
	(void)t;
	runs++;
	pr_info("kernel: hello from a tasklet\n");
}

static DECLARE_TASKLET(hello_tasklet, hello);

int main(void)
{
	struct bh_config cfg;

	bh_config_init(&cfg);
	cfg.nr_cpus = 1;
	cfg.deterministic = true;
	if (bh_init(&cfg) != 0 || bh_thread_set_cpu(0) != 0) {
		fprintf(stderr, "kernel: bh_init failed\n");
		return 1;
	}
	tasklet_schedule(&hello_tasklet);
	bh_run_all(0);
	bh_shutdown();
	printf("kernel: tasklet ran %d time(s)\n", runs);
	return runs == 1 ? 0 : 1;
}
