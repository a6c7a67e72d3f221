/* SPDX-License-Identifier: MIT */
/*
 * This process's threads counted by name, from /proc/self/task: how the
 * tests see the library's ksoftirqd/N threads come and go (sanitizer
 * runtimes start threads of their own, so a plain count would not do).
 * Plain C without cmocka: the valgrind leak check includes it too.
 */
#ifndef BH_TEST_THREAD_NAMES_H
#define BH_TEST_THREAD_NAMES_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Threads of this process whose name starts with `prefix`; -1 if
 * /proc/self/task cannot be read. With seen_mask, bit N is set for each
 * such name that goes on with the number N (N < 31), as in ksoftirqd/N.
 */
static inline int th_count_threads(const char *prefix, int *seen_mask)
{
	size_t plen = strlen(prefix);
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL) {
		char path[300], comm[64] = "";

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm",
			 e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) &&
		    strncmp(comm, prefix, plen) == 0) {
			n++;
			int cpu = atoi(comm + plen);
			if (seen_mask && cpu >= 0 && cpu < 31)
				*seen_mask |= 1 << cpu;
		}
		fclose(f);
	}
	closedir(d);
	return n;
}

#endif
