#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Model-check the tasklet protocol model src/tasklet.pml with SPIN
# (docs/MODEL.md). Each configuration is searched exhaustively:
#   safety:   spin -a, cc -DSAFETY, pan: assertions, invalid end states
#             (deadlock) and the quiescence monitor;
#   liveness: spin -DLIVENESS -a, pan -a -f: the LTL formula `live` under
#             weak fairness (no livelock: every call returns, every
#             schedule is followed by a run).
# Fails if a search reports errors, or is incomplete (depth limit hit,
# memory limit hit, or not a full search).
#
# usage: tests/spin_check.sh [SOURCE_DIR] [SANITIZE]
#   SANITIZE non-empty (a sanitizer build tree): skip, the model does not
#   depend on the build. Exits 77 (skipped) when spin or cc is missing.
# environment: BH_SPIN_FULL=1 adds the larger configurations (minutes).
set -uo pipefail

src=${1:-$(dirname "${BASH_SOURCE[0]}")/..}
model=$(cd "$src" && pwd)/src/tasklet.pml
if [ -n "${2:-}" ]; then
	echo "spin_check: skipped in the $2 tree (checked in the plain one)"
	exit 77
fi
if ! command -v spin >/dev/null 2>&1; then
	echo "spin_check: skipped: spin is not installed (scripts/setup" \
		"installs the Debian package spin)"
	exit 77
fi
cc=${CC:-cc}
if ! command -v "$cc" >/dev/null 2>&1; then
	echo "spin_check: skipped: no C compiler ($cc)"
	exit 77
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/bh-spin.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

# depth bound for pan (-m); a search that reaches it fails the check
depth=100000
failed=0

# check NAME MODE DEFINES...   (MODE: safety or liveness)
check() {
	local name=$1 mode=$2
	shift 2
	local dir=$work/$name
	mkdir -p "$dir"
	# a copy beside pan, so that spin -t finds the trail pan writes
	cp "$model" "$dir/tasklet.pml"
	local spin_opts=() cc_opts=(-O2 -DCOLLAPSE -DMEMLIM=4096) pan_opts=()
	if [ "$mode" = safety ]; then
		cc_opts+=(-DSAFETY)
	else
		spin_opts+=(-DLIVENESS)
		cc_opts+=(-DNFAIR=3)
		pan_opts+=(-a -f)
	fi
	local t0=$SECONDS
	if ! (cd "$dir" && spin "${spin_opts[@]}" "$@" -a tasklet.pml \
		>spin.log 2>&1); then
		echo "FAIL $name: spin -a"
		cat "$dir/spin.log"
		failed=1
		return
	fi
	if ! (cd "$dir" && "$cc" "${cc_opts[@]}" -o pan pan.c >cc.log 2>&1); then
		echo "FAIL $name: cc pan.c"
		cat "$dir/cc.log"
		failed=1
		return
	fi
	(cd "$dir" && ./pan -m$depth "${pan_opts[@]}" >pan.log 2>&1)
	local log=$dir/pan.log
	local states
	states=$(sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p' "$log")
	local why=
	grep -q 'errors: 0$' "$log" || why="errors reported"
	grep -q 'max search depth too small' "$log" && why="depth limit hit"
	grep -qi 'out of memory\|memory limit\|MEMLIM bound' "$log" && why="memory limit hit"
	grep -q 'Full statespace search' "$log" || why="${why:-not a full search}"
	if [ -n "$why" ]; then
		echo "FAIL $name ($mode): $why"
		cat "$log"
		# a counterexample trail, if pan wrote one
		if ls "$dir"/*.trail >/dev/null 2>&1; then
			echo "---- trail (spin -t -p)"
			(cd "$dir" && spin "${spin_opts[@]}" "$@" -t -p \
				tasklet.pml 2>&1 | tail -200)
		fi
		failed=1
		return
	fi
	echo "ok   $name ($mode): $states states, $((SECONDS - t0)) s"
}

# The configurations: how many schedule calls each client makes
# (T0: a thread on CPU 0, SIG: a signal handler on CPU 0, T1: a thread on
# CPU 1), and whether the disable/enable and kill clients run. The
# callback reschedules itself at most once in each.
cfg() { echo "-DSCHED_T0=$1 -DSCHED_SIG=$2 -DSCHED_T1=$3 -DDISABLE=$4 -DKILL=$5"; }

# shellcheck disable=SC2046 # word splitting of the defines is intended
{
	check sched safety $(cfg 2 1 1 0 0)
	check disable safety $(cfg 1 0 1 1 0)
	check kill safety $(cfg 1 0 1 0 1)
	check disable_kill safety $(cfg 1 0 0 1 1)
	check sched_live liveness $(cfg 2 1 1 0 0)
	check disable_live liveness $(cfg 1 0 0 1 0)
	check kill_live liveness $(cfg 1 0 0 0 1)
	# A tasklet without a function: its -EINVAL path must wake a kill.
	check nofunc_kill safety -DNOFUNC $(cfg 1 0 0 0 1) -DRESCHED=0
	if [ -n "${BH_SPIN_FULL:-}" ]; then
		check disable_sig safety $(cfg 1 1 1 1 0)
		check kill_sig safety $(cfg 1 1 1 0 1)
		check disable_live2 liveness $(cfg 1 0 1 1 0)
		check kill_live2 liveness $(cfg 1 0 1 0 1)
		check disable_kill_live liveness $(cfg 1 0 0 1 1)
	fi
}

if [ "$failed" -ne 0 ]; then
	echo "spin_check: FAILED"
	exit 1
fi
echo "spin_check: all searches complete, 0 errors"
