/* SPDX-License-Identifier: MIT */
/* The text the demo types into its own UART when nobody else does. */
#include "uart.h"

const char uart_builtin_text[] =
	"An interrupt handler is a guest in somebody else's house.\n"
	"It arrives unannounced, it must not sleep on the sofa, and the\n"
	"sooner it leaves, the sooner the house gets back to its work.\n"
	"So a driver splits its handler in two.\n"
	"\n"
	"The top half runs the moment the device raises its line. It does\n"
	"the least that cannot wait: it reads the bytes out of the UART's\n"
	"small FIFO before the next ones push them out, acknowledges the\n"
	"interrupt, and asks for the rest to be done a little later.\n"
	"\n"
	"The bottom half is that little later. A tasklet runs as soon as\n"
	"the interrupt returns, still in atomic context, on the same CPU:\n"
	"it may not sleep either, but interrupts are back on, so the next\n"
	"byte can land while it copies the last ones into a larger buffer\n"
	"and wakes whoever is waiting in read().\n"
	"\n"
	"Some work must sleep: writing a log, taking a mutex, waiting for\n"
	"a disk. That goes to a work item, which runs in a kernel thread,\n"
	"in process context, where sleeping is allowed. The tasklet only\n"
	"queues it and moves on.\n"
	"\n"
	"Two tasklet schedules before it runs make one run, not two: the\n"
	"bottom half sees everything the top halves left for it and does\n"
	"it in one go. Under a fast sender that coalescing is what keeps\n"
	"the machine from drowning in its own bookkeeping.\n"
	"\n"
	"And when the reader falls behind, the driver does what a serial\n"
	"port has always done: it stops taking bytes for a while, and the\n"
	"sender waits. Nothing is dropped on the floor.\n";

const unsigned long uart_builtin_text_len = sizeof(uart_builtin_text) - 1;
