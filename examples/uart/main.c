/* SPDX-License-Identifier: MIT */
/*
 * uart: a UART driver over a real pseudo-terminal, with its interrupt
 * split into a top half, a tasklet and a work item (driver.c).
 *
 * The pty master plays the UART: whatever is written to the slave side
 * (/dev/pts/N) arrives at the master, whose file descriptor is bound to
 * interrupt line 4 (COM1's). Anyone can type into the slave from another
 * terminal (`screen /dev/pts/N`) with --interactive; by default the demo
 * types into it itself: a built-in text at a serial line's pace, then the
 * same text as a fast burst. A reader thread plays the process that has
 * the device open and sits in read().
 *
 * It prints what ran where and when (context, bh CPU, thread), then a
 * summary: what was sent and received (with a checksum), the log file,
 * /proc/interrupts, and the latency of each stage, median and p99.
 *
 * Read driver.c first; this file is the user space around it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <bh.h>

#include "uart.h"

/* COM1's interrupt line on a PC. */
#define UART_IRQ 4
/* Default pace: a 9600-baud serial line (8N1) moves 960 bytes/s. */
#define DEFAULT_RATE  960
#define DEFAULT_BURST 8192
/* Events traced in full at the start and at the burst; work item runs. */
#define TRACE_DETAIL 30
#define TRACE_BURST  24
#define TRACE_WORK   6
/* Only so that a broken runtime makes the demo fail instead of hang. */
#define WAIT_SECONDS 60

extern const char uart_builtin_text[];
extern const unsigned long uart_builtin_text_len;

enum mode { SELFTEST, INTERACTIVE, EXPECT };

static struct {
	enum mode mode;
	int cpus;
	const char *text_file;
	const char *log_file;
	long rate;
	long burst;
	long reader_delay_ms;
	long log_delay_ms;
	long long expect;
	bool quiet;
} opt = {.mode = SELFTEST, .rate = DEFAULT_RATE, .burst = DEFAULT_BURST};

static struct uart_port port;

/* What the reader thread received. */
static struct {
	uint64_t bytes;
	uint32_t fnv;  /* FNV-1a of the bytes, in order */
	uint64_t want; /* stop after this many (0: at end of file) */
	bool echo;     /* send typed bytes back (interactive) */
} rx = {.fnv = 2166136261u};

static uint32_t fnv1a(uint32_t h, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: uart [options]\n"
		"A UART driver over a pseudo-terminal: the pty master's fd is\n"
		"interrupt line %d; its top half fills a %d-byte FIFO, a "
		"tasklet\n"
		"moves it to a ring and wakes the reader, a work item logs\n"
		"each line. Prints what ran where, then per-stage latency.\n"
		"\n"
		"  --selftest      type a built-in text into the pty, paced, "
		"then\n"
		"                  as a fast burst, and exit (the default)\n"
		"  --interactive   wait for input typed into the pty (e.g.\n"
		"                  screen /dev/pts/N) until Ctrl-C; needs a\n"
		"                  terminal on stdin, else the self-test runs\n"
		"  --expect N      another program writes N bytes into the "
		"pty;\n"
		"                  exit once they have been read\n"
		"  --text FILE     type FILE instead of the built-in text\n"
		"  --rate B        paced part at B bytes/s (default %d, a\n"
		"                  9600-baud line); 0 skips it\n"
		"  --burst B       burst of at least B bytes (default %d); 0: "
		"none\n"
		"  --reader-delay MS  the reader pauses MS ms after each "
		"read(),\n"
		"                  as a slow process would: the ring fills "
		"and\n"
		"                  the driver throttles the line (flow "
		"control)\n"
		"  --log-delay MS  the work item sleeps MS ms (msleep) before "
		"each\n"
		"                  write, as a slow disk: its queue fills and\n"
		"                  the driver throttles the line\n"
		"  --cpus N        bh CPUs (default: one per CPU)\n"
		"  --log FILE      the log of received lines (default:\n"
		"                  $TMPDIR/bh-uart-PID.log)\n"
		"  --quiet         no per-event trace, only the summary\n"
		"  --help          this text\n",
		UART_IRQ, UART_FIFO_SIZE, DEFAULT_RATE, DEFAULT_BURST);
}

static long long number(const char *s, const char *what, long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > max) {
		fprintf(stderr, "uart: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

static void parse_options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"selftest", no_argument, NULL, 's'},
		{"interactive", no_argument, NULL, 'i'},
		{"expect", required_argument, NULL, 'e'},
		{"text", required_argument, NULL, 't'},
		{"rate", required_argument, NULL, 'r'},
		{"burst", required_argument, NULL, 'b'},
		{"reader-delay", required_argument, NULL, 'd'},
		{"log-delay", required_argument, NULL, 'L'},
		{"cpus", required_argument, NULL, 'c'},
		{"log", required_argument, NULL, 'l'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			opt.mode = SELFTEST;
			break;
		case 'i':
			opt.mode = INTERACTIVE;
			break;
		case 'e':
			opt.mode = EXPECT;
			opt.expect = number(optarg, "byte count", LLONG_MAX);
			break;
		case 't':
			opt.text_file = optarg;
			break;
		case 'r':
			opt.rate = (long)number(optarg, "rate", 100000000);
			break;
		case 'b':
			opt.burst = (long)number(optarg, "burst", 1 << 30);
			break;
		case 'd':
			opt.reader_delay_ms =
				(long)number(optarg, "delay", 10000);
			break;
		case 'L':
			opt.log_delay_ms = (long)number(optarg, "delay", 10000);
			break;
		case 'c':
			opt.cpus = (int)number(optarg, "CPU count", 1024);
			break;
		case 'l':
			opt.log_file = optarg;
			break;
		case 'q':
			opt.quiet = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "uart: unexpected argument '%s'\n",
			argv[optind]);
		usage(stderr);
		exit(2);
	}
	if (opt.mode == INTERACTIVE && !isatty(STDIN_FILENO)) {
		fprintf(stderr, "uart: stdin is not a terminal: running the "
				"self-test instead of waiting for input\n");
		opt.mode = SELFTEST;
	}
}

/* ---- the text to type ----------------------------------------------- */

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);

	if (!f || !buf) {
		fprintf(stderr, "uart: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	for (;;) {
		n += fread(buf + n, 1, cap - n, f);
		if (n < cap)
			break;
		cap *= 2;
		buf = realloc(buf, cap);
		if (!buf)
			exit(1);
	}
	fclose(f);
	*len = n;
	return buf;
}

/*
 * What the log must hold: the driver's line rules ("\n", "\r" or "\r\n"
 * end a line; a long line is cut; a last partial line is logged at
 * close), applied here independently to what was sent, in pieces.
 */
struct log_rules {
	size_t line; /* bytes of the current line so far */
	bool cr;     /* the previous byte was "\r" */
};

static size_t expect_log(struct log_rules *r, const char *p, size_t len,
			 char *out)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		char c = p[i];
		bool was_cr = r->cr;

		r->cr = c == '\r';
		if (c == '\n' && was_cr)
			continue;
		if (c != '\n' && c != '\r') {
			out[n++] = c;
			if (++r->line < UART_LINE_MAX - 1)
				continue;
		}
		out[n++] = '\n';
		r->line = 0;
	}
	if (!p && r->line) { /* the close */
		out[n++] = '\n';
		r->line = 0;
	}
	return n;
}

/* Compare the log file with what the sent text should have logged. */
static bool log_matches(const char *path, const char *text, size_t len,
			uint64_t copies)
{
	struct log_rules r = {0};
	size_t glen, off = 0;
	char *got = read_file(path, &glen);
	char *one = malloc(2 * len + 2);
	bool same = one != NULL;

	for (uint64_t i = 0; same && i < copies; i++) {
		size_t n = expect_log(&r, text, len, one);

		same = off + n <= glen && memcmp(got + off, one, n) == 0;
		off += n;
	}
	if (same) {
		size_t n = expect_log(&r, NULL, 0, one);

		same = off + n == glen && memcmp(got + off, one, n) == 0;
	}
	free(one);
	free(got);
	return same;
}

/* ---- the feeder (main thread, self-test) ---------------------------- */

static void add_ns(struct timespec *ts, long ns)
{
	ts->tv_nsec += ns;
	while (ts->tv_nsec >= 1000000000) {
		ts->tv_nsec -= 1000000000;
		ts->tv_sec++;
	}
}

/* Write all of `p`, noting each write() for the latency figures. */
static void feed(int fd, const char *p, size_t len, size_t chunk,
		 uint64_t *offset, long rate, bool burst)
{
	struct timespec next;
	long gap = rate ? (long)(1000000000.0 * (double)chunk / rate) : 0;

	clock_gettime(CLOCK_MONOTONIC, &next);
	while (len) {
		size_t n = len < chunk ? len : chunk;
		uint64_t t = uart_now();
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			/* The pty is full: the driver has throttled. */
			struct pollfd pfd = {.fd = fd, .events = POLLOUT};

			if (poll(&pfd, 1, WAIT_SECONDS * 1000) == 0) {
				fprintf(stderr,
					"uart: the pty took nothing for "
					"%d s\n",
					WAIT_SECONDS);
				exit(1);
			}
			continue;
		}
		if (w <= 0) {
			fprintf(stderr, "uart: write to the slave: %s\n",
				strerror(errno));
			exit(1);
		}
		uart_note_tx(*offset, (unsigned int)w, t, burst);
		*offset += (uint64_t)w;
		p += w;
		len -= (size_t)w;
		if (gap) {
			add_ns(&next, gap);
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME,
					       &next, NULL) == EINTR)
				;
		}
	}
}

/* ---- the reader thread ---------------------------------------------- */

static void *reader(void *arg)
{
	unsigned char buf[512];

	(void)arg;
	prctl(PR_SET_NAME, "uart-reader");
	for (;;) {
		size_t want = sizeof(buf);
		ssize_t n;

		if (rx.want) {
			if (rx.bytes >= rx.want)
				break;
			if (rx.want - rx.bytes < want)
				want = (size_t)(rx.want - rx.bytes);
		}
		n = uart_read(&port, buf, want);
		if (n == -BH_ERESTARTSYS)
			continue;
		if (n <= 0)
			break; /* hung up */
		rx.fnv = fnv1a(rx.fnv, buf, (size_t)n);
		rx.bytes += (uint64_t)n;
		if (rx.echo) {
			/* The terminal's echo: Enter comes back as a new line.
			 */
			for (ssize_t i = 0; i < n; i++) {
				const char *s = buf[i] == '\r'
							? "\r\n"
							: (char *)&buf[i];
				size_t l = buf[i] == '\r' ? 2 : 1;

				if (write(port.fd, s, l) < 0)
					break;
			}
		}
		if (!opt.quiet)
			uart_trace_print(stdout);
		if (opt.reader_delay_ms) {
			struct timespec ts = {
				.tv_sec = opt.reader_delay_ms / 1000,
				.tv_nsec =
					opt.reader_delay_ms % 1000 * 1000000};

			while (nanosleep(&ts, &ts) && errno == EINTR)
				;
		}
	}
	return NULL;
}

/* Join the reader, giving up after `seconds` (hang up, then join). */
static bool join_reader(pthread_t t, int seconds)
{
	struct timespec deadline;
	int err;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += seconds;
	err = pthread_timedjoin_np(t, NULL, &deadline);
	if (err == 0)
		return true;
	uart_hangup(&port);
	pthread_join(t, NULL);
	return false;
}

/* ---- the pty -------------------------------------------------------- */

/*
 * The master is the UART's receive side; the slave is the cable's other
 * end. The demo keeps a slave fd open all along: a pty master whose slave
 * is closed reports a hang-up, which would disable the line.
 */
static void open_pty(int *master, int *slave, char *path, size_t len)
{
	struct termios tio;

	*master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*master < 0 || grantpt(*master) || unlockpt(*master) ||
	    ptsname_r(*master, path, len) ||
	    fcntl(*master, F_SETFL, O_NONBLOCK) < 0) {
		perror("uart: pty");
		exit(1);
	}
	/* Non-blocking, so that the feeder's waits are bounded. */
	*slave = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (*slave < 0 || tcgetattr(*slave, &tio) < 0) {
		perror(path);
		exit(1);
	}
	/* Raw: bytes pass unchanged (no "\n" -> "\r\n", no echo). */
	cfmakeraw(&tio);
	if (tcsetattr(*slave, TCSANOW, &tio) < 0) {
		perror(path);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	char slave_path[64], log_path[PATH_MAX];
	const char *text = uart_builtin_text;
	size_t text_len = uart_builtin_text_len;
	struct bh_config cfg;
	int master, slave, log_fd, cpu, err;
	uint64_t sent = 0, paced = 0, burst = 0;
	uint32_t sent_fnv = 2166136261u;
	sigset_t stop_signals;
	pthread_t reader_thread;
	bool ok = true;

	parse_options(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	prctl(PR_SET_NAME, "uart");
	if (opt.text_file)
		text = read_file(opt.text_file, &text_len);

	/* Ctrl-C ends --interactive: blocked in every thread, and taken
	 * with sigwait() by the main thread. */
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGHUP);
	if (opt.mode == INTERACTIVE)
		pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);

	if (opt.log_file) {
		snprintf(log_path, sizeof(log_path), "%s", opt.log_file);
	} else {
		const char *tmp = getenv("TMPDIR");

		snprintf(log_path, sizeof(log_path), "%s/bh-uart-%d.log",
			 tmp && *tmp ? tmp : "/tmp", (int)getpid());
	}
	log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (log_fd < 0) {
		perror(log_path);
		return 1;
	}
	open_pty(&master, &slave, slave_path, sizeof(slave_path));

	bh_config_init(&cfg);
	cfg.nr_cpus = opt.cpus;
	err = bh_init(&cfg);
	if (err) {
		fprintf(stderr, "uart: bh_init: %s\n", strerror(-err));
		return 1;
	}
	/* The last bh CPU takes the interrupt, to show that it can move. */
	cpu = bh_nr_cpus() - 1;
	port.log_delay_ms = (unsigned int)opt.log_delay_ms;
	err = uart_probe(&port, master, UART_IRQ, cpu, log_fd);
	if (err) {
		fprintf(stderr, "uart: probe: %s\n", strerror(-err));
		return 1;
	}

	printf("uart: %d bh CPUs; IRQ %d (the pty master, fd %d) on bh CPU "
	       "%d; FIFO %d bytes, ring %d\n",
	       bh_nr_cpus(), UART_IRQ, master, cpu, UART_FIFO_SIZE,
	       UART_RING_SIZE);
	printf("slave: %s\n", slave_path);
	printf("log: %s\n", log_path);
	if (opt.mode == INTERACTIVE)
		printf("type into it from another terminal, e.g.\n"
		       "    screen %s\n"
		       "Ctrl-C here to stop.\n",
		       slave_path);
	else if (opt.mode == EXPECT)
		printf("waiting for %lld bytes written to %s\n", opt.expect,
		       slave_path);

	if (opt.quiet)
		uart_trace_start(0, 0);
	else if (opt.mode == INTERACTIVE)
		uart_trace_start(INT_MAX, INT_MAX);
	else
		uart_trace_start(TRACE_DETAIL, TRACE_WORK);

	if (opt.mode == SELFTEST) {
		paced = opt.rate ? text_len : 0;
		if (opt.burst && text_len)
			burst = ((uint64_t)opt.burst + text_len - 1) /
				text_len * text_len;
		rx.want = paced + burst;
	} else if (opt.mode == EXPECT) {
		rx.want = (uint64_t)opt.expect;
	} else {
		rx.echo = true;
	}
	if (pthread_create(&reader_thread, NULL, reader, NULL)) {
		fprintf(stderr, "uart: cannot start the reader\n");
		return 1;
	}

	if (opt.mode == SELFTEST) {
		/* One byte per write, at the line's pace: each one raises
		 * the line on its own, as on a real serial port. */
		if (paced) {
			uart_trace(UART_FEEDER, uart_now(), (long)paced, 0);
			feed(slave, text, text_len, 1, &sent, opt.rate, false);
			sent_fnv = fnv1a(sent_fnv, (const unsigned char *)text,
					 text_len);
		}
		/* The burst: 64-byte writes, back to back. */
		if (burst) {
			if (!opt.quiet)
				uart_trace_window(TRACE_BURST, TRACE_WORK);
			uart_trace(UART_FEEDER, uart_now(), (long)burst, 1);
			for (uint64_t b = 0; b < burst; b += text_len) {
				feed(slave, text, text_len, 64, &sent, 0, true);
				sent_fnv = fnv1a(sent_fnv,
						 (const unsigned char *)text,
						 text_len);
			}
		}
		ok = join_reader(reader_thread, WAIT_SECONDS);
	} else if (opt.mode == EXPECT) {
		ok = join_reader(reader_thread, 5 * WAIT_SECONDS);
	} else {
		int sig;

		sigwait(&stop_signals, &sig);
		printf("\n(%s)\n", strsignal(sig));
		uart_hangup(&port);
		pthread_join(reader_thread, NULL);
	}
	uart_hangup(&port);
	if (!opt.quiet)
		uart_trace_print(stdout);
	if (!ok)
		printf("uart: gave up waiting for the reader\n");

	/* The kernel's /proc/interrupts, for this process. */
	printf("\n/proc/interrupts:\n");
	fflush(stdout);
	bh_show_interrupts(stdout);
	uart_remove(&port);
	if (!opt.quiet)
		uart_trace_print(stdout);
	if (bh_warn_count() != 0) {
		printf("uart: the library reported %lu warnings (stderr)\n",
		       (unsigned long)bh_warn_count());
		ok = false;
	}
	if (bh_shutdown() != 0)
		ok = false;

	/* Everything has stopped: the counters are final. */
	printf("\nsummary\n");
	if (opt.mode == SELFTEST)
		printf("  sent      %llu bytes (%llu paced at %ld B/s, %llu in "
		       "a burst), fnv-1a 0x%08x\n",
		       (unsigned long long)sent, (unsigned long long)paced,
		       opt.rate, (unsigned long long)burst, sent_fnv);
	printf("  received  %llu bytes, fnv-1a 0x%08x\n",
	       (unsigned long long)rx.bytes, rx.fnv);
	if (opt.mode == SELFTEST) {
		if (rx.bytes == sent && rx.fnv == sent_fnv) {
			printf("  every byte arrived, in order\n");
		} else {
			printf("  MISMATCH: %lld bytes lost\n",
			       (long long)(sent - rx.bytes));
			ok = false;
		}
	}
	printf("  top half  %lu runs, %llu bytes; FIFO full %lu times, line "
	       "masked %lu times\n",
	       uart_stage_runs(UART_TOP_HALF),
	       (unsigned long long)port.rx_bytes, port.fifo_full,
	       port.throttles);
	printf("  tasklet   %lu runs, at most %ld top %s coalesced into one\n",
	       uart_stage_runs(UART_TASKLET), uart_stage_max_b(UART_TASKLET),
	       uart_stage_max_b(UART_TASKLET) == 1 ? "half" : "halves");
	printf("  read()    %lu returns, %lld bytes\n",
	       uart_stage_runs(UART_READER), uart_stage_sum_a(UART_READER));
	printf("  work item %lu runs, %lld lines logged\n",
	       uart_stage_runs(UART_WORK), uart_stage_sum_a(UART_WORK));

	if (opt.mode == SELFTEST) {
		/* The log must hold exactly the lines that were sent. */
		bool same = log_matches(log_path, text, text_len,
					(paced ? 1 : 0) + burst / text_len);

		printf("  log       %s: %s\n", log_path,
		       same ? "matches the lines sent"
			    : "DIFFERS from the lines sent");
		ok = ok && same;
	}
	uart_latency_report(stdout, opt.mode == SELFTEST);
	close(slave);
	close(master);
	close(log_fd);
	return ok ? 0 : 1;
}
