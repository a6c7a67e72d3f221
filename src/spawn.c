// SPDX-License-Identifier: MIT
/*
 * Starting the library's own threads (ksoftirqd, kworkers, rescuers, the
 * watchdog), and keeping fork() away from a thread that is still starting.
 *
 * Why: between pthread_create() returning and the new thread reaching its
 * main function, the thread runs start-up code of the C library and of any
 * sanitizer runtime. That code takes locks (an allocator's region lock,
 * for one; GCC 12's ASan does not lock its allocator across fork). A
 * fork() landing in that window leaves the lock held in the child for
 * ever, and the child's first allocation from a new thread hangs. So the
 * library counts threads that are created but not yet running its code
 * ("unborn"), and its fork prepare handler waits, bounded, for the count
 * to reach zero, with the spawn lock held so that no new one starts.
 *
 * Not covered: a thread's exit path (a kworker retiring after the idle
 * timeout, five minutes by default) runs the same kind of runtime code
 * after it has left the library, and a fork at that instant has the same
 * hazard. Nothing can be waited on there without a join; it is rare, and
 * a process that forks while the library runs can raise the idle timeout.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <time.h>

#include "internal.h"

/* Held around each creation, and by fork's prepare handler. */
static pthread_mutex_t spawn_lock = PTHREAD_MUTEX_INITIALIZER;
/* Created under spawn_lock, not yet in their main function. */
static int unborn;
/* Whether the prepare handler got spawn_lock (it never waits for ever). */
static bool fork_holds_lock;

/* Bound on how long fork waits for the lock and for unborn threads. */
#define SPAWN_FORK_WAIT_NS (2ull * 1000000000ull)

int bh__spawn(pthread_t *thread, const pthread_attr_t *attr,
	      void *(*fn)(void *), void *arg, bool block_signals)
{
	sigset_t all, old;
	if (bh__fault(BH_FAULT_THREAD))
		return EAGAIN; /* what pthread_create says without resources */
	if (block_signals) {
		/* Born with every signal blocked: such threads never run a
		 * signal-bound handler. */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
	}
	pthread_mutex_lock(&spawn_lock);
	/*
	 * Relaxed is enough for the count: the prepare handler reads it
	 * with acquire only to learn when it may fork; nothing else is
	 * published through it.
	 */
	__atomic_add_fetch(&unborn, 1, __ATOMIC_RELAXED);
	int err = pthread_create(thread, attr, fn, arg); /* bh__fault above */
	if (err)
		__atomic_sub_fetch(&unborn, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&spawn_lock);
	if (block_signals)
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err;
}

void bh__spawned(void)
{
	/* Release: the start-up code this thread ran is finished before
	 * the prepare handler can see it gone. */
	__atomic_sub_fetch(&unborn, 1, __ATOMIC_RELEASE);
}

static void pause_briefly(void)
{
	struct timespec ts = {0, 50000};
	nanosleep(&ts, NULL);
}

void bh__spawn_fork_prepare(void)
{
	uint64_t deadline = bh__monotonic_ns() + SPAWN_FORK_WAIT_NS;
	/*
	 * Try, not lock: fork() from a signal handler that interrupted this
	 * thread inside bh__spawn() would otherwise wait on itself.
	 */
	fork_holds_lock = false;
	while (bh__monotonic_ns() < deadline) {
		if (pthread_mutex_trylock(&spawn_lock) == 0) {
			fork_holds_lock = true;
			break;
		}
		pause_briefly();
	}
	while (__atomic_load_n(&unborn, __ATOMIC_ACQUIRE) > 0 &&
	       bh__monotonic_ns() < deadline)
		pause_briefly();
}

void bh__spawn_fork_parent(void)
{
	if (fork_holds_lock)
		pthread_mutex_unlock(&spawn_lock);
	fork_holds_lock = false;
}

void bh__spawn_fork_child(void)
{
	/*
	 * The usual pattern: the child's one thread is the one that took the
	 * lock in prepare, so it unlocks it (re-initialising a held mutex
	 * instead would leave TSan believing the parent's thread still owns
	 * it). If prepare gave up on the lock, its holder does not exist
	 * here: only then start the lock afresh. Threads the parent was
	 * starting do not exist here either.
	 */
	if (fork_holds_lock)
		pthread_mutex_unlock(&spawn_lock);
	else
		pthread_mutex_init(&spawn_lock, NULL);
	fork_holds_lock = false;
	__atomic_store_n(&unborn, 0, __ATOMIC_RELAXED);
}

void bh__pin_self(int cpu)
{
	if (!bh__rt.pin_threads || cpu < 0 || cpu >= CPU_SETSIZE)
		return;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	/* Best effort, as for ksoftirqd/N: a CPU that is not online is
	 * refused, and the thread then runs anywhere. */
	(void)pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}
