// SPDX-License-Identifier: MIT
/*
 * The native headers compile as C++ (built, not run: a header that C++
 * rejects fails the build). The sizes are the kernel's, as in C.
 */
#include <bh.h>

static_assert(sizeof(void *) != 8 || sizeof(struct bh_work) == 32,
	      "work item as large as the kernel's work_struct");
static_assert(sizeof(void *) != 8 || sizeof(struct bh_timer) == 40,
	      "timer as large as the kernel's timer_list");

int bh_cxx_headers_check(void);
int bh_cxx_headers_check(void)
{
	return bh_running() ? 1 : 0;
}
