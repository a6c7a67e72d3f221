#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Every allocation, thread creation and descriptor creation in the library
# goes through src/fault.h's wrappers (bh__malloc, bh__spawn's check,
# bh__eventfd, ...), so that fault injection reaches it (docs/RELIABILITY.md,
# bh_fault_inject(3)). This fails when a source file calls one of the
# wrapped functions directly. A call that is checked by other means says so
# on its line with the marker "bh__fault above".
#
# usage: tests/fault_sites.sh [SOURCE_DIR]
set -uo pipefail

src=${1:-$(dirname "${BASH_SOURCE[0]}")/..}
calls='malloc|calloc|realloc|reallocarray|aligned_alloc|posix_memalign|memalign|valloc|strdup|strndup|asprintf|vasprintf|open_memstream|pthread_create|eventfd|timerfd_create|epoll_create1?|signalfd|pipe2?|socketpair|inotify_init1?'

pattern="(^|[^A-Za-z0-9_.>])($calls)[[:space:]]*\\("
# Comment text and string literals are dropped first (whole comment lines,
# /* ... */ spans, "..." strings).
found=$(grep -nE "$pattern" "$src"/src/*.c "$src"/src/*.h |
	grep -v "^$src/src/fault\.h:" |
	grep -v 'bh__fault above' |
	sed -E 's#/\*([^*]|\*+[^*/])*\*+/##g; s#"([^"\\]|\\.)*"#""#g' |
	grep -vE '^[^:]*:[0-9]+:[[:space:]]*(\*|/\*|//)' |
	grep -E "^[^:]*:[0-9]+:.*$pattern")
if [ -n "$found" ]; then
	echo "fault_sites: calls that bypass fault injection (use src/fault.h):"
	echo "$found"
	exit 1
fi
n=$(grep -cE 'bh__(malloc|calloc|aligned_alloc|open_memstream|eventfd|timerfd_create|epoll_create1|signalfd|pipe2)\(|bh__fault\(' \
	"$src"/src/*.c | awk -F: '{s += $2} END {print s}')
echo "fault_sites: no direct call; $n checked sites"
