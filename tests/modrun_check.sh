#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Runs the example modules through bh-modrun and checks what they print.
# usage: modrun_check.sh BH_MODRUN MODULE_DIR CASE
# No wall-clock assertion: runs end on a message (--until) or at once
# (--oneshot); --duration is only a generous upper bound under load.
set -uo pipefail

modrun=${1:?usage: modrun_check.sh BH_MODRUN MODULE_DIR CASE}
dir=${2:?usage}
case=${3:?usage}
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
		index($0, "start----") { if (open) bad = 1; open = 1; n++ }
		index($0, bottom) { if (!open) bad = 1; open = 0 }
		END { exit bad || n != 10 }' "$out" ||
		fail "top and bottom halves do not alternate"
}

# A line fed by a 10 ms timer; stop once the tenth bottom half ran.
seed() {
	local mod=$1 bottom=$2
	run 0 "$dir/$mod.so" irq=5 devname=mydev --irq 5=timer:10ms \
		--until "$bottom" --until-count 10 --duration 120s
	has "My module is working.."
	has "mydev Request irq:5 success:"
	pairs "The top half have been done" "$bottom"
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

case $case in
tasklet)
	seed tasklet_module "This is tasklet handler."
	;;
workqueue)
	seed workqueue_module "This is work handler."
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
