// SPDX-License-Identifier: MIT
/*
 * bh-modrun: load a kernel-style module (a shared object built against
 * bh-compat), run it as insmod/rmmod would, and report what it left
 * behind. See docs/man/bh-modrun.1 and docs/MODULES.md.
 *
 * Order of events, as in the kernel's load_module()/delete_module():
 * start the runtime, load the object (RTLD_LOCAL: its symbols stay its
 * own), set parameters, bind the --irq sources (so that the module's
 * request_irq() meets a line that is already wired), run init on the
 * main thread named "insmod" (process context: it may sleep), wait, run
 * exit on the main thread named "rmmod", unbind the sources, report
 * leftovers, unload, shut the runtime down.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <bh.h>

#include "modrun.h"

#define EXIT_USAGE    2
#define EXIT_LEFTOVER 3

static const char usage_text[] =
	"usage: bh-modrun [options] module.so [param=value ...] [options]\n"
	"\n"
	"Load a kernel-style module built against bh-compat, set its\n"
	"parameters, run its module_init in process context, feed its\n"
	"interrupt lines, then run its module_exit and report what it left\n"
	"behind. printk output goes to standard output, as dmesg shows it.\n"
	"\n"
	"options:\n"
	"  --irq N=SOURCE     feed line N (repeatable); SOURCE is one of\n"
	"                       timer:PERIOD   periodic, e.g. timer:10ms\n"
	"                       signal:SIG     e.g. signal:USR1 (kill -USR1)\n"
	"                       fd:PATH        readable fd, e.g. a FIFO\n"
	"                       soft           no source (raised in software)\n"
	"  --duration T       unload after T (e.g. 2s, 500ms, 1m)\n"
	"  --oneshot          unload as soon as init returns\n"
	"  --until TEXT       unload once a message containing TEXT was\n"
	"                     printed (--until-count N times, default 1)\n"
	"  --until-count N\n"
	"                     (otherwise: run until SIGINT or SIGTERM)\n"
	"  --cpus N           number of bh CPUs (default: online CPUs)\n"
	"  --level N          print messages of level <= N (0..7, default 7)\n"
	"  --quiet            the same as --level 4 (warnings and worse)\n"
	"  --fatal-warnings   abort at the first WARN (panic_on_warn)\n"
	"  --info             print the module's information and exit\n"
	"  --help, --version\n"
	"\n"
	"exit status: 0 loaded, ran and unloaded cleanly; 1 the module could\n"
	"not be loaded or its init failed (insmod's error); 2 bad usage;\n"
	"3 the module left something behind at unload (memory not freed,\n"
	"timers, hrtimers or delayed work armed, tasklets scheduled, work\n"
	"queued, lines requested, workqueues not destroyed).\n";

struct irq_bind {
	unsigned int irq;
	enum { SRC_TIMER, SRC_SIGNAL, SRC_FD, SRC_SOFT } kind;
	uint64_t period_ns;
	int signo;
	const char *path;
	int fd;
	bool bound;
};

static struct irq_bind binds[BH_NR_IRQS];
static int nr_binds;

/* --until: the sink counts matching messages and wakes the main thread. */
static const char *until_text;
static unsigned long until_count = 1;
static unsigned long until_seen;
static int until_fd = -1;

static void sink(void *arg, int level, const char *text, size_t len)
{
	(void)arg;
	(void)level;
	/* write(2): async-signal-safe, and the text is one whole message. */
	const char *p = text;
	size_t n = len;
	while (n) {
		ssize_t w = write(STDOUT_FILENO, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		p += w;
		n -= (size_t)w;
	}
	if (until_text && memmem(text, len, until_text, strlen(until_text)) &&
	    __atomic_add_fetch(&until_seen, 1, __ATOMIC_RELAXED) ==
		    until_count) {
		uint64_t one = 1;
		if (write(until_fd, &one, sizeof(one)) < 0)
			_exit(EXIT_USAGE); /* cannot happen: eventfd */
	}
}

/* "10ms", "2s", "1.5s", "1m", "100us", "5000ns"; a bare number: seconds. */
static int parse_time_ns(const char *s, uint64_t *ns)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno || !(v >= 0))
		return -1;
	double mult;
	if (!*end || !strcmp(end, "s"))
		mult = 1e9;
	else if (!strcmp(end, "ms"))
		mult = 1e6;
	else if (!strcmp(end, "us"))
		mult = 1e3;
	else if (!strcmp(end, "ns"))
		mult = 1;
	else if (!strcmp(end, "m"))
		mult = 60e9;
	else
		return -1;
	if (v * mult > 1e18)
		return -1;
	*ns = (uint64_t)llround(v * mult);
	return 0;
}

static int parse_signal(const char *s)
{
	static const struct {
		const char *name;
		int signo;
	} names[] = {{"USR1", SIGUSR1}, {"USR2", SIGUSR2},  {"HUP", SIGHUP},
		     {"ALRM", SIGALRM}, {"IO", SIGIO},	    {"POLL", SIGPOLL},
		     {"URG", SIGURG},	{"WINCH", SIGWINCH}};
	if (!strncmp(s, "SIG", 3))
		s += 3;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i].name))
			return names[i].signo;
	if (!strncmp(s, "RTMIN", 5)) {
		int off = s[5] == '+' ? atoi(s + 6) : 0;
		return SIGRTMIN + off <= SIGRTMAX ? SIGRTMIN + off : -1;
	}
	char *end;
	long n = strtol(s, &end, 10);
	return *s && !*end && n > 0 && n < NSIG ? (int)n : -1;
}

static int parse_irq(const char *arg)
{
	struct irq_bind b = {.fd = -1};
	char *end;
	unsigned long irq = strtoul(arg, &end, 10);
	if (end == arg || *end != '=' || irq >= BH_NR_IRQS)
		goto bad;
	const char *src = end + 1;
	b.irq = (unsigned int)irq;
	if (!strncmp(src, "timer:", 6)) {
		b.kind = SRC_TIMER;
		if (parse_time_ns(src + 6, &b.period_ns) || !b.period_ns)
			goto bad;
	} else if (!strncmp(src, "signal:", 7)) {
		b.kind = SRC_SIGNAL;
		b.signo = parse_signal(src + 7);
		if (b.signo < 0 || b.signo == SIGINT || b.signo == SIGTERM)
			goto bad;
	} else if (!strncmp(src, "fd:", 3) && src[3]) {
		b.kind = SRC_FD;
		b.path = src + 3;
	} else if (!strcmp(src, "soft")) {
		b.kind = SRC_SOFT;
	} else {
		goto bad;
	}
	for (int i = 0; i < nr_binds; i++)
		if (binds[i].irq == b.irq) {
			fprintf(stderr, "bh-modrun: --irq %lu given twice\n",
				irq);
			return -1;
		}
	binds[nr_binds++] = b;
	return 0;
bad:
	fprintf(stderr,
		"bh-modrun: bad --irq '%s' (want N=timer:PERIOD, "
		"N=signal:SIG, N=fd:PATH or N=soft, N < %d)\n",
		arg, BH_NR_IRQS);
	return -1;
}

static int bind_sources(void)
{
	for (int i = 0; i < nr_binds; i++) {
		struct irq_bind *b = &binds[i];
		int err = 0;
		switch (b->kind) {
		case SRC_TIMER:
			err = bh_irq_bind_timer(b->irq, b->period_ns);
			break;
		case SRC_SIGNAL:
			err = bh_irq_bind_signal(b->irq, b->signo);
			break;
		case SRC_FD:
			b->fd = open(b->path,
				     O_RDONLY | O_NONBLOCK | O_CLOEXEC);
			if (b->fd < 0) {
				fprintf(stderr, "bh-modrun: irq %u: %s: %s\n",
					b->irq, b->path, strerror(errno));
				return -1;
			}
			err = bh_irq_bind_fd(b->irq, b->fd, 0);
			break;
		case SRC_SOFT:
			break;
		}
		if (err) {
			fprintf(stderr, "bh-modrun: cannot feed irq %u: %s\n",
				b->irq, strerror(-err));
			return -1;
		}
		b->bound = b->kind != SRC_SOFT;
	}
	return 0;
}

static void unbind_sources(void)
{
	for (int i = 0; i < nr_binds; i++) {
		struct irq_bind *b = &binds[i];
		if (b->bound)
			bh_irq_unbind(b->irq);
		/* The unbind put the default action back, which for most
		 * signals ends the process: a signal sent a moment late
		 * (still pending at unload) must not kill us. */
		if (b->bound && b->kind == SRC_SIGNAL)
			signal(b->signo, SIG_IGN);
		b->bound = false;
		if (b->fd >= 0)
			close(b->fd);
		b->fd = -1;
	}
}

/* The module's name, as the kernel derives it from the file name. */
static void module_name(const char *path, char *name, size_t len)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	snprintf(name, len, "%s", base);
	char *dot = strchr(name, '.');
	if (dot)
		*dot = '\0';
	for (char *p = name; *p; p++)
		if (*p == '-')
			*p = '_';
}

/* dlopen() and find the descriptors; insmod's words on failure. */
static int load(struct module_image *m)
{
	char path[4096];
	/* A bare file name is a file here, not a library to search for. */
	snprintf(path, sizeof(path), "%s%s", strchr(m->path, '/') ? "" : "./",
		 m->path);
	m->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!m->handle) {
		fprintf(stderr, "insmod: ERROR: could not load module %s: %s\n",
			m->path, dlerror());
		return -1;
	}
	const struct bh_modinfo *const *(*table)(unsigned long *) =
		(const struct bh_modinfo *const *(*)(unsigned long *))dlsym(
			m->handle, "bh_modinfo_table");
	const struct bh_modinfo *const *start = NULL;
	unsigned long n = 0;
	Dl_info info;
	if (table)
		start = table(&n);
	if (!start || !n || !dladdr((const void *)table, &info)) {
		fprintf(stderr,
			"insmod: ERROR: could not insert module %s: Invalid "
			"module format (no module_init, module_param or "
			"MODULE_* in it: not built with <linux/module.h>?)\n",
			m->path);
		return -1;
	}
	m->info = start;
	m->nr_info = n;
	m->base = info.dli_fbase;
	for (size_t i = 0; i < m->nr_info; i++)
		if (!m->info[i] || m->info[i]->magic != BH_MODINFO_MAGIC) {
			fprintf(stderr,
				"insmod: ERROR: could not insert module %s: "
				"Invalid module format (built against another "
				"version of bh-compat)\n",
				m->path);
			return -1;
		}
	return 0;
}

static const struct bh_modinfo *find(const struct module_image *m,
				     unsigned int kind, size_t *count)
{
	const struct bh_modinfo *found = NULL;
	*count = 0;
	for (size_t i = 0; i < m->nr_info; i++)
		if (m->info[i]->kind == kind) {
			found = found ? found : m->info[i];
			++*count;
		}
	return found;
}

static const char *const type_names[] = {
	[BH_PARAM_BYTE] = "byte",	[BH_PARAM_SHORT] = "short",
	[BH_PARAM_USHORT] = "ushort",	[BH_PARAM_INT] = "int",
	[BH_PARAM_UINT] = "uint",	[BH_PARAM_LONG] = "long",
	[BH_PARAM_ULONG] = "ulong",	[BH_PARAM_ULLONG] = "ullong",
	[BH_PARAM_HEXINT] = "hexint",	[BH_PARAM_BOOL] = "bool",
	[BH_PARAM_INVBOOL] = "invbool", [BH_PARAM_CHARP] = "charp",
	[BH_PARAM_STRING] = "string",
};

/* modinfo(8)'s layout. */
static void print_info(const struct module_image *m)
{
	printf("%-16s%s\n", "filename:", m->path);
	printf("%-16s%s\n", "name:", m->name);
	for (size_t i = 0; i < m->nr_info; i++)
		if (m->info[i]->kind == BH_MODINFO_TAG) {
			char key[64];
			snprintf(key, sizeof(key), "%s:", m->info[i]->name);
			printf("%-16s%s\n", key,
			       m->info[i]->value ? m->info[i]->value : "");
		}
	for (size_t i = 0; i < m->nr_info; i++) {
		const struct bh_modinfo *p = m->info[i];
		if (p->kind != BH_MODINFO_PARAM)
			continue;
		const char *desc = "";
		for (size_t j = 0; j < m->nr_info; j++)
			if (m->info[j]->kind == BH_MODINFO_PARAM_DESC &&
			    !strcmp(m->info[j]->name, p->name))
				desc = m->info[j]->value;
		const char *type =
			p->type < sizeof(type_names) / sizeof(type_names[0]) &&
					type_names[p->type]
				? type_names[p->type]
				: "?";
		bool array = p->size && p->type != BH_PARAM_STRING;
		printf("%-16s%s:%s (%s%s)\n", "parm:", p->name, desc,
		       array ? "array of " : "", type);
	}
}

static void set_comm(const char *name)
{
	prctl(PR_SET_NAME, name, 0, 0, 0);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Until SIGINT/SIGTERM, the --until message, or the duration. */
static void wait_for_stop(int sigfd, bool timed, uint64_t duration_ns)
{
	uint64_t deadline = now_ns() + duration_ns;
	struct pollfd fds[2] = {{.fd = sigfd, .events = POLLIN},
				{.fd = until_fd, .events = POLLIN}};
	for (;;) {
		int timeout = -1;
		if (timed) {
			uint64_t now = now_ns();
			if (now >= deadline)
				return;
			timeout = (int)((deadline - now + 999999) / 1000000);
		}
		int n = poll(fds, until_fd >= 0 ? 2 : 1, timeout);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != 0)
			return; /* a signal, the --until text, or an error */
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"irq", required_argument, NULL, 'i'},
		{"duration", required_argument, NULL, 'd'},
		{"oneshot", no_argument, NULL, 'o'},
		{"until", required_argument, NULL, 'u'},
		{"until-count", required_argument, NULL, 'U'},
		{"cpus", required_argument, NULL, 'c'},
		{"level", required_argument, NULL, 'l'},
		{"quiet", no_argument, NULL, 'q'},
		{"fatal-warnings", no_argument, NULL, 'F'},
		{"info", no_argument, NULL, 'I'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct bh_config cfg;
	bool oneshot = false, timed = false, info_only = false;
	uint64_t duration_ns = 0;
	char *end;
	int c;

	bh_config_init(&cfg);
	cfg.log = sink;
	/* Options may come anywhere (GNU getopt permutes); the first other
	 * argument is the module, the rest its parameters. */
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (parse_irq(optarg))
				return EXIT_USAGE;
			break;
		case 'd':
			if (parse_time_ns(optarg, &duration_ns)) {
				fprintf(stderr,
					"bh-modrun: bad duration '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			timed = true;
			break;
		case 'o':
			oneshot = true;
			break;
		case 'u':
			until_text = optarg;
			break;
		case 'U':
			until_count = strtoul(optarg, &end, 10);
			if (*end || !until_count) {
				fprintf(stderr, "bh-modrun: bad count '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'c':
			cfg.nr_cpus = (int)strtol(optarg, &end, 10);
			if (*end || cfg.nr_cpus < 1 ||
			    cfg.nr_cpus > BH_MAX_CPUS) {
				fprintf(stderr, "bh-modrun: bad --cpus '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'l':
			cfg.log_level = (int)strtol(optarg, &end, 10);
			if (*end || cfg.log_level < 0 || cfg.log_level > 7) {
				fprintf(stderr, "bh-modrun: bad --level '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'q':
			cfg.log_level = BH_LOG_WARNING;
			break;
		case 'F':
			cfg.warn_fatal = true;
			break;
		case 'I':
			info_only = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			printf("bh-modrun (bottomhalf) %s\n", bh_version());
			return 0;
		default:
			fputs(usage_text, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}

	struct module_image m = {.path = argv[optind]};
	module_name(m.path, m.name, sizeof(m.name));

	/* SIGINT and SIGTERM are taken through a signalfd: blocked here,
	 * before bh_init(), so every thread the runtime starts has them
	 * blocked too. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	int sigfd = signalfd(-1, &stop, SFD_CLOEXEC);
	if (until_text)
		until_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (sigfd < 0 || (until_text && until_fd < 0)) {
		perror("bh-modrun");
		return EXIT_USAGE;
	}

	int err = bh_init(&cfg);
	if (err) {
		fprintf(stderr, "bh-modrun: cannot start the runtime: %s\n",
			strerror(-err));
		return 1;
	}
	int status = 0;
	bool keep_loaded = false;
	modrun_snapshot();
	if (load(&m)) {
		status = 1;
		goto out;
	}
	if (info_only) {
		print_info(&m);
		goto out;
	}

	size_t nr_init, nr_exit;
	const struct bh_modinfo *init = find(&m, BH_MODINFO_INIT, &nr_init);
	const struct bh_modinfo *exit_fn = find(&m, BH_MODINFO_EXIT, &nr_exit);
	bool licensed = false;
	for (size_t i = 0; i < m.nr_info; i++)
		if (m.info[i]->kind == BH_MODINFO_TAG &&
		    !strcmp(m.info[i]->name, "license"))
			licensed = true;
	if (nr_init > 1 || nr_exit > 1) {
		fprintf(stderr,
			"insmod: ERROR: could not insert module %s: Invalid "
			"module format (more than one module_%s)\n",
			m.path, nr_init > 1 ? "init" : "exit");
		status = 1;
		goto out;
	}
	if (!licensed)
		bh_printk(BH_LOG_WARNING,
			  "%s: module license 'unspecified' taints kernel.\n",
			  m.name);

	set_comm("insmod");
	err = modrun_set_params(&m, argc - optind - 1, argv + optind + 1);
	if (!err && bind_sources())
		err = -EINVAL;
	if (!err && init) {
		int ret = init->init();
		if (ret > 0) {
			/* do_init_module() */
			bh_printk(BH_LOG_WARNING,
				  "%s: '%s'->init suspiciously returned %d, it "
				  "should follow 0/-E convention\n"
				  "%s: loading module anyway...\n",
				  __func__, m.name, ret, __func__);
		} else {
			err = ret;
		}
	}
	set_comm("bh-modrun");
	if (err) {
		fprintf(stderr,
			"insmod: ERROR: could not insert module %s: %s\n",
			m.path, strerror(-err));
		unbind_sources();
		status = 1;
		/* The kernel frees a module whose init failed: whatever it
		 * left armed now points into freed memory. */
		modrun_report_leftovers(&m);
		modrun_clean_leftovers();
		goto out;
	}

	if (!oneshot)
		wait_for_stop(sigfd, timed, duration_ns);

	if (init && !exit_fn) {
		/* delete_module(): a module with init and no exit stays. */
		fprintf(stderr,
			"rmmod: ERROR: could not remove module %s: Device or "
			"resource busy (it has module_init and no "
			"module_exit: it cannot be unloaded)\n",
			m.name);
		unbind_sources();
		keep_loaded = true; /* as the kernel leaves it */
		goto out;
	}
	set_comm("rmmod");
	if (exit_fn)
		exit_fn->exit();
	set_comm("bh-modrun");
	unbind_sources();
	if (modrun_report_leftovers(&m)) {
		status = EXIT_LEFTOVER;
		modrun_clean_leftovers();
	}
	/*
	 * The module's code is unmapped only after the runtime is down: a
	 * kworker may still be returning from the module's work function
	 * (the textbook's exit does not flush its work), and what the module
	 * left armed is cancelled by the shutdown.
	 */
out:
	bh_shutdown();
	if (m.handle && !keep_loaded)
		dlclose(m.handle);
	modrun_free_params();
	return status;
}
