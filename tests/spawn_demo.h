/* SPDX-License-Identifier: MIT */
/*
 * Starting an example program from a test: its path comes from the
 * environment (CTest sets it; the test is skipped without it), standard
 * input is /dev/null (so it never waits for a terminal), standard output
 * goes into a pipe the test reads.
 */
#ifndef BH_TESTS_SPAWN_DEMO_H
#define BH_TESTS_SPAWN_DEMO_H

#include <fcntl.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include "harness.h"

/*
 * Run the program named by `env_var` with `args` (NULL-terminated, at
 * most 14). Returns the read end of its standard output; *pid is the child.
 */
static inline int th_spawn_demo(const char *env_var, const char *const *args,
				pid_t *pid)
{
	const char *path = getenv(env_var);
	const char *argv[16];
	int fds[2], n = 0;

	if (path == NULL || *path == '\0')
		skip();
	argv[n++] = path;
	while (*args != NULL && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;

	/* Close-on-exec: only the dup2()ed copy reaches the program. */
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	*pid = fork();
	assert_true(*pid >= 0);
	if (*pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		dup2(null, STDIN_FILENO);
		dup2(fds[1], STDOUT_FILENO);
		execv(path, (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	return fds[0];
}

#endif
