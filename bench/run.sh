#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Build the benchmarks in a RelWithDebInfo tree and run all of them:
#
#   1. the already-pending path, instructions per call under callgrind
#      (toggled on the loop function; N and 2N calls), the functions that
#      ran inside the loop, system calls (strace between two markers), then
#      nanoseconds per call;
#   2. the first schedule with the target thread asleep (caller cost and
#      schedule-to-run latency), same CPU and cross CPU;
#   3. coalescing under a producer hammering one tasklet, cross and same CPU;
#   4. workqueues: throughput (one producer, then one per CPU),
#      queue-to-start latency with idle pools, delayed-work arm+cancel with
#      a million armed, each against libuv, GLib, oneTBB and a mutex queue;
#   5. top halves: a signal and an eventfd to tasklet start and to work
#      item start through a bh interrupt line, against libuv and the raw
#      signal and eventfd wake-ups (bench_irq, cross CPU).
#
# Every timed program is run RUNS times; each run measures bh, libuv and the
# raw limit interleaved, so ratios come from the same run. The summary gives,
# per metric, the median over runs (and the spread). Nothing is asserted.
#
# Environment: BUILD (build tree, default build-bench), OUT (results folder),
# RUNS (5), SAMPLES (wake samples per impl per run, 3000), CPU (the
# measuring CPU, 0), CG_CALLS (calls under callgrind, 1000000),
# COALESCE_MS (300), SKIP_CALLGRIND=1, SKIP_BUILD=1; for the workqueue
# programs WQ_MS (300 ms per throughput measurement), WQ_SAMPLES (1000
# latency samples per impl per run), WQ_ARMED (1000000 delayed items),
# WQ_PAIRS (1000000 arm+cancel pairs); WQ_ONLY=1 runs only section 4,
# SKIP_WQ=1 all but section 4; for bench_irq IRQ_SAMPLES (1000 samples per
# impl per run), SKIP_IRQ=1 skips section 5 (WQ_ONLY=1 does too),
# IRQ_ONLY=1 runs only section 5.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
OUT=${OUT:-$BUILD/results-$(date +%Y%m%d-%H%M%S)}
RUNS=${RUNS:-5}
SAMPLES=${SAMPLES:-3000}
CPU=${CPU:-0}
CG_CALLS=${CG_CALLS:-1000000}
COALESCE_MS=${COALESCE_MS:-300}
WQ_MS=${WQ_MS:-300}
WQ_SAMPLES=${WQ_SAMPLES:-1000}
WQ_ARMED=${WQ_ARMED:-1000000}
WQ_PAIRS=${WQ_PAIRS:-1000000}
WQ_ONLY=${WQ_ONLY:-0}
SKIP_WQ=${SKIP_WQ:-0}
IRQ_SAMPLES=${IRQ_SAMPLES:-1000}
SKIP_IRQ=${SKIP_IRQ:-0}
TASKLETS=1
[ "$WQ_ONLY" = 1 ] && TASKLETS=0
WQ=1
[ "$SKIP_WQ" = 1 ] && WQ=0
IRQ=1
{ [ "$SKIP_IRQ" = 1 ] || [ "$WQ_ONLY" = 1 ]; } && IRQ=0
if [ "${IRQ_ONLY:-0}" = 1 ]; then
	TASKLETS=0
	WQ=0
	IRQ=1
fi

if [ "${SKIP_BUILD:-0}" != 1 ]; then
	cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DBH_SANITIZE= -DBH_BUILD_TESTS=OFF -DBH_BUILD_EXAMPLES=OFF \
		>/dev/null
	targets=
	[ "$TASKLETS" = 1 ] && targets="bench_pending bench_wake bench_coalesce"
	[ "$WQ" = 1 ] && targets="$targets bench_wq_throughput bench_wq_latency bench_delayed"
	[ "$IRQ" = 1 ] && targets="$targets bench_irq"
	# shellcheck disable=SC2086 # one word per target
	cmake --build "$BUILD" -j"$(nproc)" --target $targets >/dev/null
fi
BIN=$BUILD/bench
mkdir -p "$OUT"
LOG=$OUT/bench.log
: >"$LOG"

say() { printf '%s\n' "$*" | tee -a "$OUT/summary.txt"; }

# ---- the machine ----
{
	echo "# machine"
	echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "nproc:   $(nproc)"
	echo "cpu:     $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
	echo "cpu id:  family $(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | tr -d ' ') model $(grep -m1 '^model[[:space:]]*:' /proc/cpuinfo | cut -d: -f2 | tr -d ' ') stepping $(grep -m1 'stepping' /proc/cpuinfo | cut -d: -f2 | tr -d ' ')"
	echo "mhz:     $(grep -m1 'cpu MHz' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
	echo "virt:    $(grep -q hypervisor /proc/cpuinfo && echo guest || echo bare metal)"
	echo "kernel:  $(uname -r)"
	echo "clock:   $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null || echo '?')"
	echo "libuv:   $(pkg-config --modversion libuv 2>/dev/null || echo '?')"
	echo "glib:    $(pkg-config --modversion glib-2.0 2>/dev/null || echo '?')"
	echo "onetbb:  $(pkg-config --modversion tbb 2>/dev/null || echo '?')"
	echo "cc:      $(${CC:-cc} --version | head -1)"
	echo "commit:  $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
	echo "build:   RelWithDebInfo (-O2 -g), libbh.so and libuv.so linked dynamically"
	echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at start"
	echo
} | tee "$OUT/summary.txt"

# ---- 1. the already-pending path under callgrind ----
# Self cost of one function in a callgrind output file.
cg_self() {
	callgrind_annotate --auto=no --threshold=100 --inclusive=no "$1" 2>/dev/null |
		awk -v fn=":$2 " 'index($0, fn) { gsub(",", "", $1); print $1; exit }'
}
# The functions that executed any instruction, comma-separated.
cg_fns() {
	callgrind_annotate --auto=no --threshold=100 --inclusive=no "$1" 2>/dev/null |
		awk '/file:function/ { t = 1; next }
		t && $1 ~ /^[0-9][0-9,]*$/ {
			s = $0; sub(/ \[.*$/, "", s); n = split(s, a, ":")
			if (!(a[n] in seen)) { seen[a[n]] = 1; printf "%s%s", sep, a[n]; sep = "," }
		} END { print "" }'
}
# "totals:" of a file: Ir (instructions executed).
cg_ir() { awk '/^totals:/ { print $2 + 0; exit }' "$1"; }

if [ "$TASKLETS" = 1 ] && [ "${SKIP_CALLGRIND:-0}" != 1 ] && command -v valgrind >/dev/null; then
	say "# 1. already-pending schedule: instructions per call (callgrind)"
	say "#    per_iter: whole loop iteration, (Ir(2N) - Ir(N)) / N"
	say "#    in_function: inside the library function and its callees"
	say "#    call_incl: in_function + the call and the PLT jump"
	say "#    fns: every function that ran inside the loop (no system call"
	say "#    wrapper among them means no system call)"
	N=$CG_CALLS
	for impl in bh uv raw; do
		for n in $N $((2 * N)); do
			# One output file per thread: -01 is the calling thread,
			# so a library thread's work cannot leak into the count.
			valgrind --tool=callgrind --separate-threads=yes \
				--toggle-collect="pending_loop_$impl" \
				--callgrind-out-file="$OUT/callgrind.$impl.$n.out" \
				"$BIN/bench_pending" count "$impl" "$n" \
				>>"$LOG" 2>"$OUT/callgrind.$impl.$n.err"
		done
		f1=$OUT/callgrind.$impl.$N.out-01
		ir1=$(cg_ir "$f1")
		ir2=$(cg_ir "$OUT/callgrind.$impl.$((2 * N)).out-01")
		self=$(cg_self "$f1" "pending_loop_$impl")
		fns=$(cg_fns "$f1")
		# Calls into another object go through the PLT: one more jump.
		plt=1
		[ "$impl" = raw ] && plt=0
		awk -v impl="$impl" -v n="$N" -v ir1="$ir1" -v ir2="$ir2" \
			-v self="${self:-0}" -v plt="$plt" -v fns="$fns" 'BEGIN {
			fn = (ir1 - self) / n
			printf "BENCH pending_instr %s per_iter=%.2f in_function=%.2f call_incl=%.2f fns=%s\n",
				impl, (ir2 - ir1) / n, fn, fn + 1 + plt, fns }' |
			tee -a "$LOG" >/dev/null
		callgrind_annotate --auto=no --threshold=100 --inclusive=no \
			"$f1" >"$OUT/callgrind.$impl.annotate.txt" 2>/dev/null || true
	done
	# Source-level annotation of the library's hot function, for reading.
	callgrind_annotate --auto=yes --threshold=100 \
		"$OUT/callgrind.bh.$N.out-01" >"$OUT/callgrind.bh.source.txt" 2>/dev/null || true
	grep '^BENCH pending_instr' "$LOG" | tee -a "$OUT/summary.txt"
	say
fi

# System calls made by the measuring thread between the two getppid markers.
if [ "$TASKLETS" = 1 ] && command -v strace >/dev/null; then
	say "# 1b. system calls of the calling thread inside the pending loop (strace)"
	for impl in bh uv raw; do
		if strace -f -qq -o "$OUT/strace.$impl.log" "$BIN/bench_pending" count \
			"$impl" 1000000 >"$OUT/strace.$impl.out" 2>&1; then
			tid=$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^tid=/) { sub("tid=", "", $i); print $i } }' \
				"$OUT/strace.$impl.out")
			awk -v tid="$tid" -v impl="$impl" '
				# A call another thread interrupts is logged in two
				# lines, "getppid( <unfinished ...>" and "<... getppid
				# resumed>": count the first, skip every "resumed".
				$1 == tid && /resumed>/ { next }
				$1 == tid && /getppid\(/ { m++; next }
				$1 == tid && m == 1 { n++; print > "/dev/stderr" }
				END { printf "BENCH pending_strace %s markers=%d syscalls_in_loop=%d\n", impl, m, n }' \
				"$OUT/strace.$impl.log" 2>"$OUT/strace.$impl.inloop.txt" |
				tee -a "$LOG" "$OUT/summary.txt"
		else
			say "strace could not run ($impl): see $OUT/strace.$impl.out"
		fi
	done
	say
fi

# ---- timed runs ----
i=1
while [ "$i" -le "$RUNS" ]; do
	echo "run $i/$RUNS" >&2
	if [ "$TASKLETS" = 1 ]; then
		"$BIN/bench_pending" time 1 >>"$LOG"
		"$BIN/bench_wake" same -c "$CPU" -n "$SAMPLES" >>"$LOG"
		"$BIN/bench_wake" cross -c "$CPU" -n "$SAMPLES" >>"$LOG"
		"$BIN/bench_coalesce" cross -c "$CPU" -d "$COALESCE_MS" >>"$LOG"
		"$BIN/bench_coalesce" same -c "$CPU" -d "$COALESCE_MS" >>"$LOG"
	fi
	if [ "$WQ" = 1 ]; then
		"$BIN/bench_wq_throughput" -p 1 -c "$CPU" -d "$WQ_MS" >>"$LOG"
		"$BIN/bench_wq_throughput" -p "$(nproc)" -d "$WQ_MS" >>"$LOG"
		"$BIN/bench_wq_latency" -c "$CPU" -n "$WQ_SAMPLES" >>"$LOG"
		"$BIN/bench_delayed" -c "$CPU" -N "$WQ_ARMED" -n "$WQ_PAIRS" >>"$LOG"
	fi
	# 5. top halves: one round per run, the medians are over runs.
	if [ "$IRQ" = 1 ]; then
		"$BIN/bench_irq" cross -c "$CPU" -n "$IRQ_SAMPLES" -r 1 >>"$LOG"
	fi
	i=$((i + 1))
done

say "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) after the timed runs"
say

# Median over runs of every metric: "bench impl metric median [min..max] (n)".
say "# medians over $RUNS runs: benchmark impl metric median [min .. max]"
awk '$1 == "BENCH" && $2 !~ /^pending_(instr|strace|count)$/ {
	for (i = 4; i <= NF; i++) {
		split($i, kv, "=")
		if (kv[1] != "round" && kv[1] != "tid")
			print $2, $3, kv[1], kv[2]
	}
}' "$LOG" | sort -k1,1 -k2,2 -k3,3 -k4,4g | awk '
function emit() {
	med = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
	printf "%-15s %-6s %-26s %12.3f  [%g .. %g] (n=%d)\n", b, im, me, med, v[1], v[n], n
}
{
	key = $1 " " $2 " " $3
	if (key != prev) {
		if (prev != "")
			emit()
		prev = key; b = $1; im = $2; me = $3; n = 0
	}
	v[++n] = $4
}
END { if (prev != "") emit() }' | tee -a "$OUT/summary.txt"

echo >&2
echo "raw lines: $LOG; summary: $OUT/summary.txt" >&2
