#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Runs a command and checks both its exit status and its output: the
# bh-torture self-tests must fail in the way they claim to (a violation
# named, exit 1; a stall with stacks, exit 2), not merely fail.
#
# usage: torture_expect.sh STATUS PATTERN COMMAND [ARG...]
set -uo pipefail

want=${1:?usage: torture_expect.sh STATUS PATTERN COMMAND...}
pattern=${2:?usage: torture_expect.sh STATUS PATTERN COMMAND...}
shift 2
out=$("$@" </dev/null 2>&1)
rc=$?
printf '%s\n' "$out" | tail -n 40
if [ "$rc" -ne "$want" ]; then
	echo "FAIL: exit status $rc, expected $want"
	exit 1
fi
if ! printf '%s\n' "$out" | grep -Eq -- "$pattern"; then
	echo "FAIL: no output line matching: $pattern"
	exit 1
fi
if ! printf '%s\n' "$out" | grep -q -- "--seed 1 "; then
	echo "FAIL: no command line to reproduce the run"
	exit 1
fi
echo "PASS: exit status $rc and '$pattern'"
