// SPDX-License-Identifier: MIT
//
// The oneTBB peer of the workqueue benchmarks (wq_peers.h): fire-and-forget
// tasks enqueued into one task_arena, from any thread, run by TBB's worker
// threads. C linkage so the C programs can call it.
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>

namespace
{
oneapi::tbb::global_control *limit;
oneapi::tbb::task_arena *arena;
} // namespace

extern "C" void wq_tbb_start(int nthreads);
extern "C" void wq_tbb_push(void (*fn)(void *), void *arg);
extern "C" void wq_tbb_stop(void);

extern "C" void wq_tbb_start(int nthreads)
{
	// No slot reserved for an application thread: the producers only
	// enqueue and never join the arena, so `nthreads` workers run the
	// tasks, as many as the other pools have. TBB's own default would
	// make one worker fewer than the CPUs; lift that limit.
	limit = new oneapi::tbb::global_control(
		oneapi::tbb::global_control::max_allowed_parallelism,
		static_cast<size_t>(nthreads) + 1);
	arena = new oneapi::tbb::task_arena(nthreads, 0);
	arena->initialize();
}

extern "C" void wq_tbb_push(void (*fn)(void *), void *arg)
{
	arena->enqueue([fn, arg] { fn(arg); });
}

extern "C" void wq_tbb_stop(void)
{
	delete arena;
	delete limit;
	arena = nullptr;
	limit = nullptr;
}
