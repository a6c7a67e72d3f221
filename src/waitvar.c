// SPDX-License-Identifier: MIT
/*
 * Sleeping until a word changes: futex wrappers and a hashed table of wait
 * buckets, so that objects embedded in user structures (a tasklet's state
 * word is an unsigned long, too wide for a futex) can be waited on without
 * growing them.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

int bh__futex_wait(uint32_t *addr, uint32_t val, long timeout_ns)
{
	struct timespec ts, *tsp = NULL;
	if (timeout_ns >= 0) {
		ts.tv_sec = timeout_ns / 1000000000L;
		ts.tv_nsec = timeout_ns % 1000000000L;
		tsp = &ts;
	}
	/* Private futex: every waiter and waker lives in this process. */
	long r =
		syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, tsp, NULL, 0);
	return r < 0 ? -errno : 0;
}

int bh__futex_wake(uint32_t *addr, int n)
{
	long r = syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
	return r < 0 ? -errno : (int)r;
}

/*
 * 64 buckets: waiting is the rare, slow path (disable, kill, shutdown), so
 * a small table with occasional shared wake-ups is enough.
 */
#define BH__WAIT_BUCKETS 64

static struct {
	uint32_t seq; /* A */
} __attribute__((aligned(64))) bh__wait_table[BH__WAIT_BUCKETS];

static uint32_t *bucket_of(const void *obj)
{
	uintptr_t h = (uintptr_t)obj;
	h ^= h >> 17;
	h *= 0x9e3779b97f4a7c15ull;
	return &bh__wait_table[(h >> 58) & (BH__WAIT_BUCKETS - 1)].seq;
}

uint32_t bh__waitvar_seq(const void *obj)
{
	/*
	 * Acquire: pairs with the release increment in bh__waitvar_wake(), so
	 * a waiter that sees the new sequence also sees the state change that
	 * preceded the wake.
	 */
	return __atomic_load_n(bucket_of(obj), __ATOMIC_ACQUIRE);
}

void bh__waitvar_sleep(const void *obj, uint32_t seq, long timeout_ns)
{
	/* Returns at once if a wake bumped the sequence after `seq` was read.
	 */
	bh__futex_wait(bucket_of(obj), seq, timeout_ns);
}

void bh__waitvar_wake(const void *obj)
{
	uint32_t *b = bucket_of(obj);
	__atomic_fetch_add(b, 1, __ATOMIC_RELEASE);
	bh__futex_wake(b, INT_MAX);
}
