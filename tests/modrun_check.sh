#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Runs the example modules through bh-modrun and checks what they print.
# usage: modrun_check.sh BH_MODRUN MODULE_DIR CASE TEST_MODULE_DIR
# (MODULE_DIR: examples/modules; TEST_MODULE_DIR: tests/modules)
# No wall-clock assertion: runs end on a message (--until) or at once
# (--oneshot); --duration is only a generous upper bound under load.
set -uo pipefail

modrun=${1:?usage: modrun_check.sh BH_MODRUN MODULE_DIR CASE}
dir=${2:?usage}
case=${3:?usage}
tdir=${4:?usage}
out=$(mktemp "${TMPDIR:-/tmp}/modrun-check.XXXXXX")
err=$out.err
trap 'rm -f "$out" "$err"' EXIT
failed=0

fail() {
	echo "FAIL: $*"
	failed=1
}

# run EXPECTED_STATUS ARGS...: run bh-modrun, output in $out and $err.
run() {
	local want=$1
	shift
	timeout 300 "$modrun" "$@" >"$out" 2>"$err" </dev/null
	local rc=$?
	echo "--- bh-modrun $* (exit $rc)"
	cat "$out" "$err"
	[ "$rc" -eq "$want" ] || fail "exit status $rc, expected $want"
}

has() { grep -Fq -- "$1" "$out" "$err" || fail "no line with: $1"; }
hasnt() { ! grep -Fq -- "$1" "$out" "$err" || fail "unexpected: $1"; }
count() {
	local n
	n=$(grep -Fc -- "$1" "$out")
	[ "$n" -eq "$2" ] || fail "$n lines with '$1', expected $2"
}

# Ten "top half / bottom half" pairs: each numbered top half is followed
# by its bottom half before the next top half begins.
pairs() {
	local top=$1 bottom=$2
	count "$top" 10
	count "$bottom" 10
	awk -v top="$top" -v bottom="$bottom" '
		index($0, top) { if (open) bad = 1; open = 1; n++ }
		index($0, bottom) { if (!open) bad = 1; open = 0 }
		END { exit bad || n != 10 }' "$out" ||
		fail "top and bottom halves do not alternate"
}

# A line fed by a timer; stop once the tenth bottom half ran. Each
# numbered "start" block (the top half) must be followed by its bottom
# half before the next one begins: for the tasklet by construction (it
# runs at the top half's irq_exit, on the same thread); for the work
# item, which runs on a kworker, the line's period leaves it time, and
# the module's INIT_WORK of a still-queued item would be reported.
seed() {
	local mod=$1 bottom=$2 period=$3
	run 0 "$dir/$mod.so" irq=5 devname=mydev --irq 5=timer:"$period" \
		--until "$bottom" --until-count 10 --duration 120s
	has "My module is working.."
	has "mydev Request irq:5 success:"
	pairs "-----------" "$bottom"
	count "The top half have been done" 10
	has "-----------10 start"
	hasnt "-----------11 start"
	has "My module is leaving.."
	has "Free the IRQ5."
	hasnt "bh-modrun:" # a clean unload: nothing left behind
	hasnt "WARNING:"
	# dmesg's format: [seconds.micros] text
	grep -Eq '^\[ *[0-9]+\.[0-9]{6}\] My module is working\.\.$' "$out" ||
		fail "printk lines are not dmesg-style"
}

# wait_for PATTERN N: bounded poll until $out has N lines with PATTERN.
wait_for() {
	local i
	for ((i = 0; i < 3000; i++)); do
		[ "$(grep -Fc -- "$1" "$out")" -ge "$2" ] && return 0
		sleep 0.01
	done
	fail "timed out waiting for $2 lines with: $1"
	return 1
}

case $case in
signal)
	# A line fed by SIGUSR1: each signal is one interrupt, whose top half
	# runs inside the signal handler and whose tasklet runs on ksoftirqd.
	# Twelve signals, each sent once the previous one was seen, and
	# count=10: ten pairs, then none.
	"$modrun" "$tdir/probe.so" irq=6 count=10 --irq 6=signal:USR1 \
		>"$out" 2>"$err" </dev/null &
	pid=$!
	wait_for "irq 6 requested" 1 || { kill "$pid"; exit 1; }
	for ((n = 1; n <= 12; n++)); do
		kill -USR1 "$pid"
		if [ "$n" -le 10 ]; then
			wait_for "bottom half $n" 1 || break
		fi
	done
	kill -INT "$pid"
	wait "$pid"
	rc=$?
	echo "--- bh-modrun probe.so irq=6 --irq 6=signal:USR1 (exit $rc)"
	cat "$out" "$err"
	[ "$rc" -eq 0 ] || fail "exit status $rc, expected 0"
	pairs "] top half " "] bottom half "
	hasnt "top half 11"
	has "unloaded after"
	hasnt "bh-modrun:"
	;;
fd)
	# A line fed by a FIFO (level-like: it fires while there is data; the
	# top half drains it). Each write is one or more interrupts.
	fifo=$out.fifo
	mkfifo "$fifo" || exit 1
	trap 'rm -f "$out" "$err" "$fifo"' EXIT
	"$modrun" "$tdir/probe.so" irq=7 count=3 dev="$fifo" \
		--irq 7=fd:"$fifo" >"$out" 2>"$err" </dev/null &
	pid=$!
	wait_for "irq 7 requested" 1 || { kill "$pid"; exit 1; }
	exec 9>"$fifo"
	for ((n = 1; n <= 3; n++)); do
		echo x >&9
		wait_for "bottom half $n" 1 || break
	done
	kill -INT "$pid"
	wait "$pid"
	rc=$?
	exec 9>&-
	echo "--- bh-modrun probe.so irq=7 --irq 7=fd:FIFO (exit $rc)"
	cat "$out" "$err"
	[ "$rc" -eq 0 ] || fail "exit status $rc, expected 0"
	has "bottom half 3"
	hasnt "top half 4"
	hasnt "bh-modrun:"
	;;
types)
	# Every parameter type, with the kernel's parsing (SPEC: none; the
	# kernel's kernel/params.c).
	run 0 "$tdir/probe.so" flag inv=n by=255 sh=-32768 ush=0xffff \
		ui=037 lo=-5 ul=18446744073709551615 ull=1 hx=0x1f \
		arr=1,-2,3 str=1234567 renamed=9 --oneshot
	has "flag=1 inv=1 by=255 sh=-32768 ush=65535 ui=31 lo=-5 ul=18446744073709551615 ull=1 hx=0x1f str=1234567 renamed=9"
	has "arr=3:1,-2,3,0"
	# init runs as insmod would, exit as rmmod.
	has "comm=insmod"
	has "comm=rmmod"
	run 1 "$tdir/probe.so" by=256 --oneshot
	has "probe: \`256' invalid for parameter \`by'"
	run 1 "$tdir/probe.so" str=12345678 --oneshot
	has "probe: \`12345678' too large for parameter \`str'"
	run 1 "$tdir/probe.so" arr=1,2,3,4,5 --oneshot
	has "arr: can only take 4 arguments"
	run 1 "$tdir/probe.so" flag=maybe --oneshot
	run 1 "$tdir/probe.so" irq --oneshot
	has "probe: \`' invalid for parameter \`irq'"
	run 0 --info "$tdir/probe.so"
	has "parm:           arr: (array of int)"
	has "parm:           dev:file the top half drains, for an fd line (charp)"
	has "version:        1.0"
	;;
jit)
	# LDD3's tables, printed at init: a header, the reader's line
	# (process context, inirq 0, bh-modrun's main thread named insmod),
	# then `loops` lines from softirq context (inirq 1).
	run 0 "$dir/jit_module.so" --oneshot
	count "   time   delta  inirq    pid   cpu command" 3
	for f in jitimer jitasklet jitasklethi; do
		has "\$ cat /proc/$f"
	done
	n=$(grep -Ec '^\[ *[0-9.]+\] +[0-9]+ +[0-9]+ +0 +[0-9]+ +[0-9]+ +insmod$' "$out")
	[ "$n" -eq 3 ] || fail "$n reader lines, expected 3"
	n=$(grep -Ec '^\[ *[0-9.]+\] +[0-9]+ +[0-9]+ +1 +[0-9]+ +[0-9]+ +[^ ]+$' "$out")
	[ "$n" -eq 15 ] || fail "$n softirq lines, expected 15"
	hasnt "bh-modrun:" # both buffers freed, nothing armed
	run 0 "$dir/jit_module.so" show=jitasklethi loops=3 --oneshot
	count "   time   delta  inirq    pid   cpu command" 1
	has "\$ cat /proc/jitasklethi"
	! grep -Eq 'cat /proc/(jitasklet|jitimer)$' "$out" ||
		fail "a table that show= did not ask for"
	n=$(grep -Ec '^\[ *[0-9.]+\] +[0-9]+ +[0-9]+ +1 +[0-9]+ +[0-9]+ +[^ ]+$' "$out")
	[ "$n" -eq 3 ] || fail "$n softirq lines, expected 3"
	;;
mistakes)
	# Each mistake and its diagnostic (SPEC U8 and M15: sleeping in
	# atomic context is reported; the unload report for the rest).
	run 3 "$dir/mistakes_module.so" irq=5 --irq 5=timer:10ms \
		--until "mistakes: tasklet ran" --duration 120s
	# 1. kmalloc(GFP_KERNEL) in a top half
	has "BUG: sleeping function called from invalid context at kmalloc(GFP_KERNEL)"
	has "Context: hardirq"
	# 2. msleep() in a tasklet
	has " bh_msleep+"
	has "Context: softirq"
	# 3. copy_to_user() in a tasklet
	has "BUG: sleeping function called from invalid context at copy_to_user"
	count "BUG: sleeping function called from invalid context" 3
	# 4. no tasklet_kill() at exit
	grep -Eq "bh-modrun: mistakes_module: tasklet 0x[0-9a-f]+ \(mistakes_tasklet_fn\+0x0/0x[0-9a-f]+ \[mistakes_module\]\) still scheduled at unload on CPU [0-9]+ \(tasklet_kill\(\) not called\?\)" "$out" ||
		fail "no report of the tasklet left scheduled"
	# 5. a timer left armed
	grep -Eq "bh-modrun: mistakes_module: timer 0x[0-9a-f]+ \(watchdog_fn\+0x0/0x[0-9a-f]+ \[mistakes_module\]\) still armed at unload" "$out" ||
		fail "no report of the timer left armed"
	# 6. a kmalloc() never freed, named by the function that made it
	has "bh-modrun: mistakes_module: 1 block (64 bytes) of kmalloc() memory not freed:"
	grep -Eq "unreferenced object 0x[0-9a-f]+ \(size 64\): kmalloc\(\) from mistakes_init\+0x[0-9a-f]+/0x[0-9a-f]+ \[mistakes_module\]" "$out" ||
		fail "no report of the block, by allocating function"
	has "bh-modrun: mistakes_module: 3 leftovers at unload"
	# bh-modrun cleaned up after it: the shutdown has nothing to add.
	hasnt "bh: shutdown:"
	;;
noexit)
	run 0 "$tdir/noexit.so" --oneshot
	has "loaded for good"
	has "rmmod: ERROR: could not remove module noexit: Device or resource busy"
	;;
tasklet)
	seed tasklet_module "This is tasklet handler." 10ms
	;;
workqueue)
	seed workqueue_module "This is work handler." 100ms
	;;
params)
	# A value that is not an int: the kernel's text, insmod's error.
	run 1 "$dir/tasklet_module.so" irq=five --oneshot
	has "tasklet_module: \`five' invalid for parameter \`irq'"
	has "insmod: ERROR: could not insert module"
	hasnt "My module is working"
	# Unknown parameters are ignored with a warning (since 2.6.35).
	run 0 "$dir/tasklet_module.so" irq=7 devname=x foo=1 --oneshot
	has "tasklet_module: unknown parameter 'foo' ignored"
	has "x Request irq:7 success:"
	# '-' and '_' are the same in parameter names; charp takes a copy.
	run 0 "$dir/tasklet_module.so" irq=0x8 dev-name=y --oneshot
	has "tasklet_module: unknown parameter 'dev-name' ignored"
	has "(null) Request irq:8 success:"
	# Init fails: request_irq() rejects the line; init returns -1.
	run 1 "$dir/tasklet_module.so" irq=4096 devname=z --oneshot
	has "tasklet_init:can not request IRQ4096 forz:"
	has "insmod: ERROR: could not insert module $dir/tasklet_module.so: Operation not permitted"
	hasnt "My module is leaving"
	# --level 3 hides the module's (default-level) messages.
	run 0 "$dir/tasklet_module.so" irq=5 --oneshot --level 3
	hasnt "My module is working"
	# --info: modinfo's layout.
	run 0 --info "$dir/tasklet_module.so"
	has "license:        GPL"
	has "parm:           irq: (int)"
	has "parm:           devname: (charp)"
	# Bad usage.
	run 2 --irq 5=bogus "$dir/tasklet_module.so"
	run 1 "$dir/no_such_module.so"
	has "insmod: ERROR: could not load module"
	;;
*)
	echo "unknown case $case"
	exit 2
	;;
esac

[ "$failed" -eq 0 ] && echo "PASS: $case"
exit "$failed"
