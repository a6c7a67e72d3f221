#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Workqueue throughput against the number of producers, for a machine with
# many cores and no network: builds bench_wq_throughput (Release) and runs
# it with 1, 2, 4, 8 and 16 producers, producer k pinned to CPU k and, for
# bh, queueing on that CPU's pool; prints items per second per
# implementation (median of RUNS runs) and the ratios to the mutex queue.
#
# Needs only a C compiler and libc: cmake is used when it is there (else the
# library and the program are compiled directly with cc), GLib's
# GThreadPool is measured when its headers were found at build time, and a
# peer that is missing is skipped, never fatal. Producer counts above the
# number of online CPUs are skipped (FORCE=1 runs them anyway, several
# producers then sharing a CPU). About 1.5 minutes on 16 cores.
#
# Environment: BUILD (build tree, default build-scaling), OUT (results
# folder), RUNS (5), MS (400: measured milliseconds per implementation),
# PRODUCERS ("1 2 4 8 16"), IMPLS (bh,bh_unbound,mutex,glib), WORKERS
# (worker threads per peer pool, default: online CPUs), FORCE=1,
# SKIP_BUILD=1, USE_CMAKE=0 (compile with cc even where cmake is), CC.
#
#   bench/device_scaling.sh
#   RUNS=3 PRODUCERS="1 16" bench/device_scaling.sh
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-scaling}
OUT=${OUT:-$BUILD/scaling-$(date +%Y%m%d-%H%M%S)}
RUNS=${RUNS:-5}
MS=${MS:-400}
PRODUCERS=${PRODUCERS:-1 2 4 8 16}
IMPLS=${IMPLS:-bh,bh_unbound,mutex,glib}
NCPU=$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc 2>/dev/null || echo 1)
WORKERS=${WORKERS:-$NCPU}
CC=${CC:-cc}
BIN=$BUILD/bench/bench_wq_throughput

mkdir -p "$BUILD" "$OUT"
LOG=$OUT/scaling.log
SUMMARY=$OUT/summary.txt
: >"$LOG"
: >"$SUMMARY"
say() { printf '%s\n' "$*" | tee -a "$SUMMARY"; }
have() { command -v "$1" >/dev/null 2>&1; }

# ---- build ----
# cmake when it works; otherwise the library's sources, as src/CMakeLists.txt
# lists them, compiled straight into the program.
build_cmake() {
	[ "${USE_CMAKE:-1}" = 1 ] && have cmake || return 1
	cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
		-DBH_SANITIZE= -DBH_BUILD_TESTS=OFF -DBH_BUILD_EXAMPLES=OFF \
		>"$OUT/build.log" 2>&1 || return 1
	cmake --build "$BUILD" -j"$NCPU" --target bench_wq_throughput \
		>>"$OUT/build.log" 2>&1 || return 1
	BUILT_WITH="cmake, Release (-O3 -DNDEBUG), libbh.so"
}

build_cc() {
	srcs=$(awk '/^set\(BH_SOURCES/ { on = 1; next }
		on && /\)/ { exit }
		on { for (i = 1; i <= NF; i++) print "'"$ROOT"'/src/" $i }' \
		"$ROOT/src/CMakeLists.txt")
	[ -n "$srcs" ] || return 1
	peer_flags=
	peer_libs=
	if have pkg-config && pkg-config --exists glib-2.0 2>/dev/null; then
		peer_flags="-DWQ_HAVE_GLIB $(pkg-config --cflags glib-2.0)"
		peer_libs=$(pkg-config --libs glib-2.0)
	fi
	mkdir -p "$BUILD/bench"
	# shellcheck disable=SC2086 # word splitting of the lists is wanted
	"$CC" -std=gnu11 -O3 -DNDEBUG -D_GNU_SOURCE -DBH_BUILDING_LIBRARY \
		-fvisibility=hidden -I"$ROOT/include" -I"$ROOT/src" \
		$peer_flags $srcs "$ROOT/bench/bench_wq_throughput.c" \
		-o "$BIN" $peer_libs -lpthread -ldl \
		>>"$OUT/build.log" 2>&1 || return 1
	BUILT_WITH="$CC directly (no cmake), -O3 -DNDEBUG, library linked in"
}

if [ "${SKIP_BUILD:-0}" = 1 ] && [ -x "$BIN" ]; then
	BUILT_WITH="existing $BIN"
elif ! build_cmake; then
	echo "device_scaling: cmake build failed or no cmake; trying $CC" >&2
	build_cc || {
		echo "device_scaling: build failed; see $OUT/build.log" >&2
		tail -20 "$OUT/build.log" >&2
		exit 1
	}
fi

# Which of the requested implementations the program has.
avail=
for impl in $(echo "$IMPLS" | tr ',' ' '); do
	# -i names it (the program says if it lacks it), -h then only prints
	# the usage.
	msg=$("$BIN" -i "$impl" -h 2>&1 || true)
	if printf '%s\n' "$msg" | grep -q -e "^bench: $impl not built" \
		-e "^bench: unknown implementation"; then
		say "# $impl: not built in (library or headers missing): skipped"
	else
		avail="$avail${avail:+,}$impl"
	fi
done
[ -n "$avail" ] || {
	echo "device_scaling: nothing to run" >&2
	exit 1
}

# ---- the machine ----
{
	echo "# machine"
	echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "nproc:   $NCPU"
	echo "cpu:     $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ //')"
	echo "virt:    $(grep -q hypervisor /proc/cpuinfo 2>/dev/null && echo guest || echo bare metal)"
	echo "kernel:  $(uname -r)"
	echo "glib:    $(pkg-config --modversion glib-2.0 2>/dev/null || echo 'no pkg-config entry')"
	echo "cc:      $("$CC" --version 2>/dev/null | head -1)"
	echo "commit:  $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
	echo "build:   $BUILT_WITH"
	echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at start"
	echo "runs:    $RUNS x $MS ms per implementation and producer count; $WORKERS workers per peer pool"
	echo "impls:   $avail"
	echo
} | tee -a "$SUMMARY"

# ---- runs ----
ran=
run_one() {
	# A hung run must not eat the whole budget.
	if have timeout; then
		timeout 30 "$@"
	else
		"$@"
	fi
}
i=1
while [ "$i" -le "$RUNS" ]; do
	for p in $PRODUCERS; do
		if [ "$p" -gt "$NCPU" ] && [ "${FORCE:-0}" != 1 ]; then
			[ "$i" = 1 ] && say "# $p producers: only $NCPU CPUs, skipped (FORCE=1 to run)"
			continue
		fi
		echo "run $i/$RUNS, $p producer(s)" >&2
		run_one "$BIN" -p "$p" -t "$WORKERS" -d "$MS" -i "$avail" \
			>>"$LOG" 2>>"$OUT/stderr.log" ||
			echo "device_scaling: run $i with $p producers failed (rc $?)" |
			tee -a "$SUMMARY" >&2
		case " $ran " in *" $p "*) ;; *) ran="$ran $p" ;; esac
	done
	i=$((i + 1))
done
say "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at the end"
say

# ---- table: median over runs of items/s, and of the per-run ratios ----
# One line per (producers, impl): the median of items_per_s; one per
# (producers, impl) of ratio_over_mutex.
awk -v impls="$avail" -v plist="$ran" '
function median(key,   n, i, j, t, a) {
	n = cnt[key]
	for (i = 1; i <= n; i++)
		a[i] = val[key, i]
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	if (n == 0)
		return -1
	return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function add(key, v) { val[key, ++cnt[key]] = v }
$1 == "BENCH" && $2 ~ /^wq_tput_[0-9]+p$/ {
	p = $2; sub(/^wq_tput_/, "", p); sub(/p$/, "", p)
	if ($3 == "ratio_over_mutex") {
		for (f = 5; f <= NF; f++) {
			split($f, kv, "=")
			add("r " p " " kv[1], kv[2])
		}
	} else if ($3 !~ /^ratio/) {
		for (f = 4; f <= NF; f++) {
			split($f, kv, "=")
			if (kv[1] == "items_per_s")
				add("v " p " " $3, kv[2])
			if (kv[1] == "cpu_ns_per_item")
				add("c " p " " $3, kv[2])
		}
	}
}
END {
	ni = split(impls, im, ",")
	np = split(plist, pl, " ")
	printf "# items per second, median of the runs (M = million)\n"
	printf "%-10s", "producers"
	for (i = 1; i <= ni; i++) printf " %12s", im[i]
	for (i = 1; i <= ni; i++) if (im[i] != "mutex") printf " %14s", im[i] "/mutex"
	printf "\n"
	for (k = 1; k <= np; k++) {
		p = pl[k]
		printf "%-10s", p
		for (i = 1; i <= ni; i++) {
			m = median("v " p " " im[i])
			if (m < 0) printf " %12s", "-"
			else printf " %11.2fM", m / 1e6
		}
		for (i = 1; i <= ni; i++) if (im[i] != "mutex") {
			m = median("r " p " " im[i])
			if (m < 0) printf " %14s", "-"
			else printf " %14.2f", m
		}
		printf "\n"
	}
	printf "\n# CPU time per item, ns (every thread of the process), median of the runs\n"
	printf "%-10s", "producers"
	for (i = 1; i <= ni; i++) printf " %12s", im[i]
	printf "\n"
	for (k = 1; k <= np; k++) {
		p = pl[k]
		printf "%-10s", p
		for (i = 1; i <= ni; i++) {
			m = median("c " p " " im[i])
			if (m < 0) printf " %12s", "-"
			else printf " %12.0f", m
		}
		printf "\n"
	}
}' "$LOG" | tee -a "$SUMMARY"

echo >&2
echo "raw lines: $LOG; summary: $SUMMARY" >&2
