/* SPDX-License-Identifier: MIT */
/*
 * bh-torture: options, the timed run, the quiesce, the summary.
 *
 * Worker threads (--threads, default: the number of CPUs) each pin
 * themselves to a bh CPU and run a seeded stream of random operations on
 * every object type at once; about one operation in 64 kills an object
 * under load and checks it (slot.c). A lifecycle thread creates and
 * destroys workqueues; the signaller drives the storm (storm.c); the
 * watchdog looks for stalls (watchdog.c). When --duration is over the
 * workers stop, every object is killed and checked, the library is shut
 * down, and the summary is printed. The exit status is 0 only if no
 * invariant was violated and the library issued no warning.
 */
#include "torture.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct tt_opts tt_opts;
int tt_stop;
struct tt_thread *tt_workers;
int tt_nworkers;

const char *const tt_kind_name[TK_NKINDS] = {
	[TK_TASKLET] = "tasklet ops",	   [TK_SOFTIRQ] = "softirq raises",
	[TK_TIMER] = "timer ops",	   [TK_WORK] = "work ops",
	[TK_DWORK] = "delayed work ops",   [TK_ORDERED] = "ordered queueings",
	[TK_WQ_LIFE] = "lifecycle wq ops", [TK_KILL] = "kills checked",
	[TK_SIGNAL] = "signal handlers",   [TK_WAIT] = "completion waits",
};

/* Order matters for init (works.c makes the workqueues ordered.c uses). */
static const struct tt_torturer *const torturers[] = {
	&tt_works,    &tt_ordered, &tt_tasklets,
	&tt_softirqs, &tt_timers,  &tt_wq_life,
};
#define NTORTURERS (int)(sizeof(torturers) / sizeof(torturers[0]))

void tt_wq_life_loop(void);

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bh-torture [--seed N] [--duration T] [--threads N]\n"
		"                  [--signal-hz N] [--stall T] [--no-gdb]\n"
		"                  [--inject-bug=lost-run|concurrent|stall]\n"
		"                  [--release-handler-slots]\n"
		"  T is a number with a unit: ms, s, m or h (default s).\n"
		"  Defaults: a random seed (printed), --duration 5s, one\n"
		"  thread per CPU (at least 2), --signal-hz 20000,\n"
		"  --stall 10s. Exit status: 0 pass, 1 invariant violated,\n"
		"  2 stall (deadlock), 64 usage. On a stall every thread's\n"
		"  stack is printed, with gdb if it is on the PATH unless\n"
		"  --no-gdb. See bh-torture(1).\n");
}

static bool parse_time(const char *s, uint64_t *ns)
{
	char *end;
	double v = strtod(s, &end);
	double mul = 1e9;

	if (end == s || v < 0)
		return false;
	if (!strcmp(end, "ms"))
		mul = 1e6;
	else if (!strcmp(end, "s") || !*end)
		mul = 1e9;
	else if (!strcmp(end, "m"))
		mul = 60e9;
	else if (!strcmp(end, "h"))
		mul = 3600e9;
	else
		return false;
	*ns = (uint64_t)(v * mul);
	return true;
}

static bool parse_ulong(const char *s, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return !errno && end != s && !*end;
}

static int parse(int argc, char **argv)
{
	static const struct option longs[] = {
		{"seed", required_argument, NULL, 's'},
		{"duration", required_argument, NULL, 'd'},
		{"threads", required_argument, NULL, 't'},
		{"signal-hz", required_argument, NULL, 'z'},
		{"stall", required_argument, NULL, 'w'},
		{"inject-bug", required_argument, NULL, 'i'},
		{"no-gdb", no_argument, NULL, 'G'},
		{"release-handler-slots", no_argument, NULL, 'U'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	unsigned long long v;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	struct timespec ts;
	int c;

	clock_gettime(CLOCK_REALTIME, &ts);
	tt_opts.seed = ((unsigned long long)ts.tv_sec * 1000003u) ^
		       (unsigned long long)ts.tv_nsec ^
		       ((unsigned long long)getpid() << 32);
	tt_opts.duration_ns = 5000000000ull;
	tt_opts.threads = ncpu > 2 ? (int)ncpu : 2;
	tt_opts.signal_hz = 20000;
	tt_opts.stall_ns = 10000000000ull;
	tt_opts.gdb = true;
	tt_opts.hold_handler_slots = true; /* slot.c */
	snprintf(tt_opts.argv0, sizeof(tt_opts.argv0), "%s", argv[0]);

	while ((c = getopt_long(argc, argv, "s:d:t:z:w:i:h", longs, NULL)) !=
	       -1) {
		switch (c) {
		case 's':
			if (!parse_ulong(optarg, &v))
				goto bad;
			tt_opts.seed = v;
			break;
		case 'd':
			if (!parse_time(optarg, &tt_opts.duration_ns))
				goto bad;
			break;
		case 't':
			if (!parse_ulong(optarg, &v) || v < 1 || v > 512)
				goto bad;
			tt_opts.threads = (int)v;
			break;
		case 'z':
			if (!parse_ulong(optarg, &v) || v > 10000000)
				goto bad;
			tt_opts.signal_hz = (unsigned long)v;
			break;
		case 'w':
			if (!parse_time(optarg, &tt_opts.stall_ns) ||
			    tt_opts.stall_ns < 100000000ull)
				goto bad;
			break;
		case 'i':
			if (!strcmp(optarg, "lost-run"))
				tt_opts.inject = TT_INJECT_LOST_RUN;
			else if (!strcmp(optarg, "concurrent"))
				tt_opts.inject = TT_INJECT_CONCURRENT;
			else if (!strcmp(optarg, "stall"))
				tt_opts.inject = TT_INJECT_STALL;
			else
				goto bad;
			break;
		case 'G':
			tt_opts.gdb = false;
			break;
		case 'U':
			tt_opts.hold_handler_slots = false;
			break;
		case 'h':
			usage(stdout);
			exit(TT_EXIT_OK);
		default:
			goto bad;
		}
	}
	if (optind == argc)
		return 0;
bad:
	usage(stderr);
	return -1;
}

/* Blocking waits for complete()/wake_up() from the handlers (U1). */
static void wait_op(uint64_t *rng)
{
	tt_count_op(TK_WAIT);
	tt_op_begin("wait_for_completion_timeout");
	if (tt_below(rng, 2))
		(void)bh_wait_for_completion_timeout(&tt_sig_completion, 1);
	else
		(void)bh_wait_event_timeout(
			tt_sig_waitq,
			__atomic_exchange_n(&tt_sig_flag, 0, __ATOMIC_ACQ_REL),
			1);
	tt_op_end();
}

static void *worker(void *arg)
{
	struct tt_thread *me = arg;
	sigset_t storm;
	unsigned long n = 0;

	tt_thread_register(me, me->id);
	bh_thread_set_cpu(me->id % bh_nr_cpus());
	sigemptyset(&storm);
	sigaddset(&storm, tt_storm_sig);
	pthread_sigmask(SIG_UNBLOCK, &storm, NULL);

	while (!__atomic_load_n(&tt_stop, __ATOMIC_ACQUIRE)) {
		unsigned r = tt_below(&me->rng, 1000);

		/* Not inside any library call here: see slot.c. */
		tt_release_handler_holds();
		if (tt_opts.inject == TT_INJECT_STALL && me->id == 0 &&
		    ++n == 1000) {
			/* The injected fault: an operation that never ends. */
			tt_op_begin("injected stall");
			/* Still inside no library call: what this thread's
			 * handlers take meanwhile is let go, as at the top of
			 * the loop, so that no other thread waits for it and
			 * the stall reported is this one. */
			for (;;) {
				tt_release_handler_holds();
				tt_pause_us(100000);
			}
		}
		tt_op_begin("operation");
		if (r < 16) {
			const struct tt_torturer *t;
			do
				t = torturers[tt_below(&me->rng, NTORTURERS)];
			while (!t->kill_one);
			t->kill_one(&me->rng);
		} else if (r < 24) {
			wait_op(&me->rng);
		} else if (r < 350) {
			tt_works.op(&me->rng);
		} else if (r < 550) {
			tt_tasklets.op(&me->rng);
		} else if (r < 700) {
			tt_timers.op(&me->rng);
		} else if (r < 800) {
			tt_softirqs.op(&me->rng);
		} else if (r < 900) {
			tt_ordered.op(&me->rng);
		} else {
			tt_wq_life.op(&me->rng);
		}
		tt_op_end();
		if ((r & 63) == 0)
			sched_yield(); /* let the bottom halves in on 2 cores */
	}
	pthread_sigmask(SIG_BLOCK, &storm, NULL);
	tt_release_handler_holds();
	bh_thread_set_cpu(-1);
	tt_thread_unregister(me);
	return NULL;
}

static struct tt_thread life_self;

static void *life_thread(void *arg)
{
	(void)arg;
	tt_thread_register(&life_self, -2);
	tt_wq_life_loop();
	tt_thread_unregister(&life_self);
	return NULL;
}

static int nr_bh_cpus;

static void summary(double secs, unsigned long warns, int cancelled)
{
	unsigned long tot[TK_NKINDS] = {0}, ops = 0;
	unsigned long v = tt_violations();

	for (int i = 0; i < tt_nworkers; i++)
		for (int k = 0; k < TK_NKINDS; k++)
			tot[k] += tt_workers[i].ops[k];
	printf("bh-torture: summary after %.2f s (seed %llu, %d threads, "
	       "%d bh CPUs, signal-hz %lu)\n",
	       secs, tt_opts.seed, tt_opts.threads, nr_bh_cpus,
	       tt_opts.signal_hz);
	for (int k = 0; k < TK_NKINDS; k++) {
		printf("  %-22s %12lu\n", tt_kind_name[k], tot[k]);
		if (k != TK_KILL && k != TK_SIGNAL)
			ops += tot[k];
	}
	printf("  %-22s %12lu\n", "signals sent",
	       __atomic_load_n(&tt_signals_sent, __ATOMIC_RELAXED));
	printf("  %-22s %12lu\n", "operations", ops);
	printf("  %-22s %12lu\n", "callback runs", tt_runs());
	printf("  %-22s %12lu\n", "invariants checked", tt_checks());
	printf("  %-22s %12.0f\n", "ops/second", secs > 0 ? ops / secs : 0);
	printf("  %-22s %12lu\n", "library warnings", warns);
	printf("  %-22s %12d\n", "cancelled at shutdown", cancelled);
	printf("  %-22s %12lu\n", "violations", v);
	printf("bh-torture: %s\n", v ? "FAIL" : "PASS");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct bh_config cfg;
	static struct tt_thread main_self; /* zeroed: op_start 0 */
	sigset_t storm;
	uint64_t start, end;
	unsigned long warns;
	int r, cancelled;
	pthread_t life_th;

	if (parse(argc, argv) < 0)
		return TT_EXIT_USAGE;
	printf("bh-torture: seed %llu, %d threads, duration %.3f s, "
	       "signal-hz %lu, stall bound %.1f s%s\n",
	       tt_opts.seed, tt_opts.threads, (double)tt_opts.duration_ns / 1e9,
	       tt_opts.signal_hz, (double)tt_opts.stall_ns / 1e9,
	       tt_opts.inject ? " (with an injected bug)" : "");
	fflush(stdout);

	/* The storm's signal is for the workers only: block it before any
	 * thread (the library's included) is created; workers unblock it. */
	tt_storm_sig = SIGRTMIN + 2;
	sigemptyset(&storm);
	sigaddset(&storm, tt_storm_sig);
	pthread_sigmask(SIG_BLOCK, &storm, NULL);

	bh_config_init(&cfg);
	cfg.hz = 1000; /* delays of 0..3 jiffies: timers fire often */
	r = bh_init(&cfg);
	if (r < 0) {
		fprintf(stderr, "bh-torture: bh_init: %s\n", strerror(-r));
		return TT_EXIT_VIOLATION;
	}
	nr_bh_cpus = bh_nr_cpus();
	tt_thread_register(&main_self, -3);
	for (int i = 0; i < NTORTURERS; i++)
		if (torturers[i]->init() < 0) {
			fprintf(stderr, "bh-torture: setting up %s failed\n",
				torturers[i]->name);
			return TT_EXIT_VIOLATION;
		}
	if (tt_watchdog_start() < 0) {
		fprintf(stderr, "bh-torture: cannot start the watchdog\n");
		return TT_EXIT_VIOLATION;
	}

	tt_nworkers = tt_opts.threads;
	tt_workers = calloc((size_t)tt_nworkers, sizeof(*tt_workers));
	if (!tt_workers)
		return TT_EXIT_VIOLATION;
	start = tt_now_ns();
	for (int i = 0; i < tt_nworkers; i++) {
		tt_workers[i].id = i;
		if (pthread_create(&tt_workers[i].th, NULL, worker,
				   &tt_workers[i]) != 0) {
			fprintf(stderr, "bh-torture: pthread_create failed\n");
			return TT_EXIT_VIOLATION;
		}
	}
	if (pthread_create(&life_th, NULL, life_thread, NULL) != 0)
		return TT_EXIT_VIOLATION;
	/* After the workers: the signaller reads their pthread_t. */
	if (tt_storm_start() < 0) {
		fprintf(stderr, "bh-torture: cannot start the storm\n");
		return TT_EXIT_VIOLATION;
	}

	end = start + tt_opts.duration_ns;
	/* At most a minute more for an injected fault (tt_inject_pending). */
	while (tt_now_ns() < end ||
	       (tt_inject_pending() && tt_now_ns() < end + 60000000000ull))
		tt_pause_us(10000);
	__atomic_store_n(&tt_stop, 1, __ATOMIC_RELEASE);
	end = tt_now_ns();

	tt_storm_stop();
	for (int i = 0; i < tt_nworkers; i++)
		pthread_join(tt_workers[i].th, NULL);
	pthread_join(life_th, NULL);

	/* Quiesce: kill and check every object, then stop the library. */
	for (int i = 0; i < NTORTURERS; i++) {
		tt_op_begin(torturers[i]->name);
		torturers[i]->fini();
		tt_op_end();
	}
	tt_op_begin("destroy_workqueue");
	for (int i = 0; i < TT_NWQ; i++)
		bh_destroy_workqueue(tt_wq[i]);
	tt_op_end();
	tt_grave_flush();
	warns = bh_warn_count();
	if (warns)
		tt_violation("the library warned", "%lu warning(s), see above",
			     warns);
	tt_op_begin("bh_shutdown");
	cancelled = bh_shutdown();
	tt_op_end();
	if (cancelled != 0)
		tt_violation("bh_shutdown found work left (SPEC U6)",
			     "returned %d", cancelled);
	tt_thread_unregister(&main_self);
	tt_watchdog_stop();

	summary((double)(end - start) / 1e9, warns, cancelled);
	if (tt_violations()) {
		tt_print_repro(1);
		fflush(stdout);
	}
	free(tt_workers);
	return tt_violations() ? TT_EXIT_VIOLATION : TT_EXIT_OK;
}
