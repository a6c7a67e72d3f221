/* SPDX-License-Identifier: MIT */
/*
 * The UART demo's shared declarations: the device (struct uart_port), the
 * driver's entry points (driver.c, written in kernel spellings) and the
 * instrumentation that the driver calls to say what ran where and when
 * (trace.c). main.c is the "user space" around them: it opens the pty,
 * starts the reader thread, feeds text and prints the summary.
 *
 * This header uses the native type names so that both kinds of source can
 * include it: in driver.c, struct tasklet_struct, wait_queue_head_t,
 * struct work_struct and spinlock_t are these same types.
 */
#ifndef UART_DEMO_H
#define UART_DEMO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <bh/spinlock.h>
#include <bh/tasklet.h>
#include <bh/wait.h>
#include <bh/workqueue.h>

/* A 16550's receive FIFO holds 16 bytes. */
#define UART_FIFO_SIZE 16
/* The driver's receive ring, between the tasklet and read(). */
#define UART_RING_SIZE 4096
/* Completed lines waiting for the log work item. */
#define UART_LOG_SIZE 16384
/* A longer line is logged in pieces of this many bytes. */
#define UART_LINE_MAX 256

struct uart_port {
	/* The "hardware": the pty master, and the line it interrupts on. */
	int fd;
	unsigned int irq;
	int log_fd; /* where the work item writes completed lines */
	unsigned int log_delay_ms; /* the work item sleeps this long first */

	/*
	 * From here to `logbuf`, protected by `lock`. The top half takes it
	 * with spin_lock() (interrupts are already off there); every other
	 * context takes it with spin_lock_irqsave(), as serial drivers guard
	 * their port against their own interrupt handler. head, tail and
	 * closing are also read without it, with READ_ONCE(), as read()'s
	 * wait condition.
	 */
	bh_spinlock_t lock;
	unsigned char fifo[UART_FIFO_SIZE];
	unsigned int fifo_len;
	bool rx_throttled; /* the line is masked until the FIFO is drained */
	unsigned char ring[UART_RING_SIZE];
	uint64_t head, tail; /* ring: bytes in [tail, head), free-running */
	bool closing;	     /* uart_hangup(): readers see end of file */
	char line[UART_LINE_MAX];
	unsigned int line_len;
	bool last_cr; /* "\r\n" ends one line, not two */
	char logq[UART_LOG_SIZE];
	size_t logq_len;
	/* For the latency figures: when the oldest event still waiting for
	 * the next stage happened (0: none is waiting). */
	uint64_t th_pending_ns;	 /* first top half since the tasklet ran */
	unsigned int th_pending; /* how many top halves that tasklet covers */
	uint64_t wake_ns;	 /* first wake-up the reader has not seen */
	uint64_t line_done_ns;	 /* first line the work item has not seen */
	/* Counters, for the summary. */
	uint64_t rx_bytes;	 /* bytes the top half took from the pty */
	unsigned long fifo_full; /* top halves that found the FIFO full */
	unsigned long throttles; /* times the line was masked */

	char logbuf[UART_LOG_SIZE]; /* the work item's own copy of logq */

	struct bh_tasklet tasklet;	 /* FIFO -> ring, wakes readers */
	struct bh_wait_queue_head readq; /* readers sleep here */
	struct bh_work log_work;	 /* completed lines -> log file */
};

/*
 * The driver (driver.c). uart_probe() requests the line, binds it to the
 * pty master `fd` and routes it to bh CPU `cpu`. uart_read() blocks until
 * there is data and returns up to `len` bytes, 0 once uart_hangup() was
 * called and the ring is empty, or -ERESTARTSYS if a signal handler ran.
 * uart_remove() frees the line, lets the tasklet finish, logs a last
 * partial line and waits for the log work item.
 */
int uart_probe(struct uart_port *port, int fd, unsigned int irq, int cpu,
	       int log_fd);
ssize_t uart_read(struct uart_port *port, void *buf, size_t len);
void uart_hangup(struct uart_port *port);
void uart_remove(struct uart_port *port);

/* ---- instrumentation (trace.c) -------------------------------------- */

enum uart_stage {
	UART_TOP_HALF,	 /* a = bytes read (-1: FIFO full), b = FIFO level */
	UART_TASKLET,	 /* a = bytes moved to the ring, b = top halves */
	UART_READER,	 /* a = bytes returned by read(), b = slept (0/1) */
	UART_WORK,	 /* a = lines logged, b = bytes written */
	UART_UNTHROTTLE, /* the tasklet unmasked the line */
	UART_FEEDER,	 /* main.c: a = bytes it starts writing, b = burst */
	UART_NR_STAGES
};

enum uart_latency {
	UART_LAT_ARRIVAL, /* byte written to the slave -> top half read it */
	UART_LAT_ARRIVAL_BURST, /* the same in the burst (queued in the pty) */
	UART_LAT_TASKLET,	/* top half -> tasklet start */
	UART_LAT_WAKE,		/* tasklet's wake_up() -> reader running */
	UART_LAT_WORK,		/* line complete -> work item start */
	UART_NR_LAT
};

/* Monotonic nanoseconds (the clock of every timestamp here). */
uint64_t uart_now(void);
/*
 * Record one event of `stage` at `t` with its two numbers, and the calling
 * context (hardirq / softirq / task, bh CPU, thread name). Lock-free and
 * allocation-free: callable from the top half.
 */
void uart_trace(enum uart_stage stage, uint64_t t, long a, long b);
/* One latency sample, in nanoseconds. Lock-free. */
void uart_sample(enum uart_latency lat, uint64_t ns);
/* The top half read `n` bytes starting at byte `offset` at time `t`. */
void uart_note_rx(uint64_t offset, unsigned int n, uint64_t t);

/* For main.c: the feeder's writes, as uart_note_rx() for reads; `burst`
 * tells the burst's from the paced ones. */
void uart_note_tx(uint64_t offset, unsigned int n, uint64_t t, bool burst);
/*
 * Start the clock; trace the next `detail` top half / tasklet / read()
 * events and `work` work item runs (INT_MAX: all of them).
 */
void uart_trace_start(int detail, int work);
/* Trace the next `detail` events and `work` work item runs again (the
 * burst starts). */
void uart_trace_window(int detail, int work);
/* Print the events recorded so far; one thread at a time. */
void uart_trace_print(FILE *f);
/* Totals over every event, traced or not. */
unsigned long uart_stage_runs(enum uart_stage stage);
long uart_stage_max_b(enum uart_stage stage);
long long uart_stage_sum_a(enum uart_stage stage);
/* The latency table; `arrivals`: the feeder's writes were noted. Call
 * once everything has stopped. */
void uart_latency_report(FILE *f, bool arrivals);

#endif
