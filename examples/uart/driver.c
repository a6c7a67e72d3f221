/* SPDX-License-Identifier: MIT */
/*
 * The UART driver, written as a kernel driver is, in the kernel's
 * spellings (libbh's compatibility headers). Its receive path is split the
 * way the kernel splits interrupt work:
 *
 *   top half   uart_interrupt(): hardirq context, on the line's bh CPU.
 *              The pty master became readable: "the UART raised its
 *              receive interrupt". Copy what arrived into the 16-byte
 *              FIFO (a 16550 holds received bytes there until the CPU
 *              reads them) and schedule the tasklet. Nothing else: no
 *              sleeping, no allocation, no printing.
 *   tasklet    uart_rx_tasklet(): softirq context, run as the top half
 *              exits. Empty the FIFO into the 4 KiB ring, cut completed
 *              lines out for the log, wake the readers, queue the log work.
 *   read()     uart_read(): task context, the reader thread. Sleep on the
 *              wait queue until the ring has data; copy it out.
 *   work item  uart_log_work(): process context, on a kworker. Write the
 *              completed lines to the log file. write() may block, which
 *              neither a top half nor a tasklet may do.
 *
 * The line is bound to the pty master's file descriptor and is
 * level-triggered: while bytes wait in the pty, it fires again as soon as
 * the top half returns. So the top half reads only what fits in the FIFO;
 * the rest stays in the pty for the next interrupt.
 *
 * Flow control: if the reader falls behind and the ring fills, the tasklet
 leaves bytes in the FIFO (so does it when the log work falls behind
 * and its queue cannot take another line). A top half that then finds
 * the FIFO full masks its own line (disable_irq_nosync(), as a driver
 * drops RTS) and the pty holds everything after, so the writer blocks
 * instead of bytes being lost. Once read() or the log work has made room,
 * it schedules the tasklet, which drains the FIFO and unmasks the line
 * (enable_irq()).
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <linux/delay.h>
#include <linux/interrupt.h>
#include <linux/kernel.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "uart.h"

/* ---- top half ------------------------------------------------------- */

static irqreturn_t uart_interrupt(int irq, void *dev_id)
{
	struct uart_port *port = dev_id;
	unsigned char buf[UART_FIFO_SIZE];
	uint64_t now = uart_now();
	unsigned int room, level;
	uint64_t offset;
	ssize_t n;

	spin_lock(&port->lock);
	room = UART_FIFO_SIZE - port->fifo_len;
	if (room == 0) {
		/* The tasklet could not empty the FIFO: the ring is full. */
		if (!port->th_pending_ns)
			port->th_pending_ns = now;
		port->th_pending++;
		port->fifo_full++;
		if (!port->rx_throttled) {
			port->rx_throttled = true;
			port->throttles++;
			disable_irq_nosync(irq);
		}
		spin_unlock(&port->lock);
		uart_trace(UART_TOP_HALF, now, -1, UART_FIFO_SIZE);
		tasklet_schedule(&port->tasklet);
		return IRQ_HANDLED;
	}
	spin_unlock(&port->lock);

	/* The "receive buffer register": at most what fits in the FIFO. */
	n = read(port->fd, buf, room);
	if (n <= 0)
		return IRQ_NONE; /* nothing there: not our interrupt */

	spin_lock(&port->lock);
	if (!port->th_pending_ns)
		port->th_pending_ns = now;
	port->th_pending++;
	memcpy(port->fifo + port->fifo_len, buf, (size_t)n);
	port->fifo_len += (unsigned int)n;
	level = port->fifo_len;
	offset = port->rx_bytes;
	port->rx_bytes += (uint64_t)n;
	spin_unlock(&port->lock);

	/* Recorded first: the tasklet may start on ksoftirqd/N at once. */
	uart_note_rx(offset, (unsigned int)n, now);
	uart_trace(UART_TOP_HALF, now, n, level);
	tasklet_schedule(&port->tasklet);
	return IRQ_HANDLED;
}

/* ---- tasklet -------------------------------------------------------- */

/*
 * A line is complete: copy it to the log queue (port->lock held). It
 * fits: the tasklet moves no byte while the queue has less than
 * UART_LINE_MAX bytes free.
 */
static void uart_line_done(struct uart_port *port, uint64_t now)
{
	size_t len = port->line_len;

	port->line_len = 0;
	memcpy(port->logq + port->logq_len, port->line, len);
	port->logq[port->logq_len + len] = '\n';
	port->logq_len += len + 1;
	if (!port->line_done_ns)
		port->line_done_ns = now;
}

/*
 * One received byte, for the log (port->lock held). "\n", "\r" and "\r\n"
 * each end a line (a terminal sends "\r" for Enter). Returns true if a
 * line was completed.
 */
static bool uart_line_byte(struct uart_port *port, unsigned char c,
			   uint64_t now)
{
	bool was_cr = port->last_cr;

	port->last_cr = c == '\r';
	if (c == '\n' && was_cr)
		return false;
	if (c != '\n' && c != '\r') {
		port->line[port->line_len++] = (char)c;
		if (port->line_len < UART_LINE_MAX - 1)
			return false;
	}
	uart_line_done(port, now);
	return true;
}

static void uart_rx_tasklet(struct tasklet_struct *t)
{
	struct uart_port *port = from_tasklet(port, t, tasklet);
	uint64_t now = uart_now();
	uint64_t th_ns, head;
	unsigned int moved, covered, room, avail;
	bool log = false, unmask = false;
	unsigned long flags;

	spin_lock_irqsave(&port->lock, flags);
	th_ns = port->th_pending_ns;
	covered = port->th_pending;
	port->th_pending_ns = 0;
	port->th_pending = 0;

	/*
	 * Move what the ring and the log queue have room for; the rest stays
	 * in the FIFO until read() or the log work makes room and schedules
	 * this tasklet again.
	 */
	room = UART_RING_SIZE - (unsigned int)(port->head - port->tail);
	avail = min(room, port->fifo_len);
	head = port->head;
	for (moved = 0; moved < avail; moved++) {
		if (UART_LOG_SIZE - port->logq_len < UART_LINE_MAX)
			break; /* the log work is behind */
		port->ring[head++ % UART_RING_SIZE] = port->fifo[moved];
		log |= uart_line_byte(port, port->fifo[moved], now);
	}
	/* Readers test head without the lock (their wait condition). */
	WRITE_ONCE(port->head, head);
	memmove(port->fifo, port->fifo + moved, port->fifo_len - moved);
	port->fifo_len -= moved;
	if (port->rx_throttled && port->fifo_len == 0 && !port->closing) {
		port->rx_throttled = false;
		unmask = true;
	}
	if (moved && !port->wake_ns)
		port->wake_ns = uart_now();
	spin_unlock_irqrestore(&port->lock, flags);

	if (th_ns)
		uart_sample(UART_LAT_TASKLET, now - th_ns);
	uart_trace(UART_TASKLET, now, moved, covered);
	if (moved)
		wake_up_interruptible(&port->readq);
	if (log)
		schedule_work(&port->log_work);
	if (unmask) {
		uart_trace(UART_UNTHROTTLE, uart_now(), 0, 0);
		enable_irq(port->irq);
	}
}

/* ---- work item ------------------------------------------------------ */

static void uart_log_work(struct work_struct *work)
{
	struct uart_port *port = from_work(port, work, log_work);
	uint64_t now = uart_now();
	unsigned long flags;
	uint64_t done_ns;
	size_t len, off = 0;
	long lines = 0;
	bool kick;

	/* A slow disk, if asked for: a work item may sleep. */
	if (port->log_delay_ms)
		msleep(port->log_delay_ms);

	/* Take the queued lines; the tasklet may queue more meanwhile, and
	 * its schedule_work() then runs this again. */
	spin_lock_irqsave(&port->lock, flags);
	len = port->logq_len;
	memcpy(port->logbuf, port->logq, len);
	port->logq_len = 0;
	done_ns = port->line_done_ns;
	port->line_done_ns = 0;
	/* Bytes left in the FIFO for want of log room: move them now. */
	kick = port->fifo_len > 0;
	spin_unlock_irqrestore(&port->lock, flags);

	if (kick)
		tasklet_schedule(&port->tasklet);
	if (done_ns)
		uart_sample(UART_LAT_WORK, now - done_ns);
	for (size_t i = 0; i < len; i++)
		lines += port->logbuf[i] == '\n';
	/* Process context: a blocking write is fine here. */
	while (off < len) {
		ssize_t w = write(port->log_fd, port->logbuf + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			pr_err("uart: log write failed: %s\n", strerror(errno));
			break;
		}
		off += (size_t)w;
	}
	uart_trace(UART_WORK, now, lines, (long)len);
}

/* ---- read() --------------------------------------------------------- */

static bool uart_rx_ready(struct uart_port *port)
{
	return READ_ONCE(port->head) != READ_ONCE(port->tail) ||
	       READ_ONCE(port->closing);
}

ssize_t uart_read(struct uart_port *port, void *buf, size_t len)
{
	unsigned char *out = buf;
	bool slept = !uart_rx_ready(port);
	bool kick = false;
	unsigned long flags;
	uint64_t now, wake_ns;
	size_t n;
	int ret;

	ret = wait_event_interruptible(port->readq, uart_rx_ready(port));
	if (ret)
		return ret;
	now = uart_now();

	spin_lock_irqsave(&port->lock, flags);
	n = min_t(size_t, len, port->head - port->tail);
	for (size_t i = 0; i < n; i++)
		out[i] = port->ring[(port->tail + i) % UART_RING_SIZE];
	WRITE_ONCE(port->tail, port->tail + n);
	wake_ns = port->wake_ns;
	port->wake_ns = 0;
	/* Room was made: bytes left in the FIFO (and a masked line) wait for
	 * the tasklet. */
	kick = port->fifo_len > 0;
	spin_unlock_irqrestore(&port->lock, flags);

	if (slept && wake_ns)
		uart_sample(UART_LAT_WAKE, now - wake_ns);
	if (kick)
		tasklet_schedule(&port->tasklet);
	uart_trace(UART_READER, now, (long)n, slept);
	return (ssize_t)n;
}

/* ---- probe, hang-up, remove ----------------------------------------- */

int uart_probe(struct uart_port *port, int fd, unsigned int irq, int cpu,
	       int log_fd)
{
	int ret;

	port->fd = fd;
	port->irq = irq;
	port->log_fd = log_fd;
	spin_lock_init(&port->lock);
	init_waitqueue_head(&port->readq);
	tasklet_setup(&port->tasklet, uart_rx_tasklet);
	INIT_WORK(&port->log_work, uart_log_work);

	ret = request_irq(irq, uart_interrupt, 0, "uart-pty", port);
	if (ret)
		return ret;
	/*
	 * The wiring a kernel driver gets from the platform: which bh CPU
	 * takes the interrupt, and what raises it (the pty master becoming
	 * readable). These two have no kernel spelling.
	 */
	ret = bh_irq_set_affinity(irq, cpu);
	if (!ret)
		ret = bh_irq_bind_fd(irq, fd, EPOLLIN);
	if (ret) {
		free_irq(irq, port);
		return ret;
	}
	return 0;
}

/* Readers get end of file once the ring is empty. */
void uart_hangup(struct uart_port *port)
{
	unsigned long flags;

	spin_lock_irqsave(&port->lock, flags);
	WRITE_ONCE(port->closing, true);
	spin_unlock_irqrestore(&port->lock, flags);
	wake_up_interruptible(&port->readq);
}

/* After uart_hangup() and once no thread is in uart_read(). */
void uart_remove(struct uart_port *port)
{
	unsigned long flags;
	bool log = false;

	bh_irq_unbind(port->irq);
	free_irq(port->irq, port); /* waits for a top half in progress */
	tasklet_kill(&port->tasklet);

	spin_lock_irqsave(&port->lock, flags);
	if (port->line_len) {
		uart_line_done(port, uart_now());
		log = true;
	}
	spin_unlock_irqrestore(&port->lock, flags);
	if (log)
		schedule_work(&port->log_work);
	flush_work(&port->log_work);
}
