#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Install check: install the build tree into a fresh prefix, move the prefix
# (the installed files must be relocatable), then build and run four
# consumers against it, using only what was installed:
#   native  cc $(pkg-config --cflags --libs bh)        (shared, and static
#           with Libs.private)
#   kernel  cc $(pkg-config --cflags --libs bh-compat) (<linux/interrupt.h>)
#   cmake   find_package(bh CONFIG): bh::bh, bh::bh_static, bh::compat
#   module  a kernel-style module, built by the pkg-config one-liner,
#           share/bh/module.mk and bh_add_module(), run by bin/bh-modrun
#
# usage: install_check.sh BUILD_DIR SOURCE_DIR [SANITIZER] [CMAKE]
# Exits 0 if every step passed, 1 if one failed, 77 (skip) for a sanitizer
# build, whose library needs the sanitizer runtime in every consumer.
set -uo pipefail

build=${1:?usage: install_check.sh BUILD_DIR SOURCE_DIR [SANITIZER] [CMAKE]}
src=${2:?usage: install_check.sh BUILD_DIR SOURCE_DIR [SANITIZER] [CMAKE]}
sanitizer=${3:-}
cmake=${4:-cmake}
cc=${CC:-cc}
cflags=(-Wall -Wextra -Werror)

if [ -n "$sanitizer" ]; then
	echo "SKIP: built with BH_SANITIZE=$sanitizer; consumers would need" \
		"that sanitizer's runtime"
	exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bh-install-check.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
failed=0

# step NAME CMD...: run CMD with its output in $tmp/log; report PASS/FAIL.
step() {
	local name=$1
	shift
	if "$@" >"$tmp/log" 2>&1; then
		echo "PASS: $name"
		return 0
	fi
	echo "FAIL: $name"
	sed 's/^/  | /' "$tmp/log"
	failed=1
	return 1
}

# run_consumer NAME PATTERN PROGRAM [ARG...]: run it against the installed
# library.
run_consumer() {
	local out=$tmp/$1.out
	LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
		timeout 60 "${@:3}" >"$out" 2>&1 </dev/null
	local rc=$?
	cat "$out"
	[ "$rc" -eq 0 ] || {
		echo "exit status $rc"
		return 1
	}
	grep -Eq -- "$2" "$out" || {
		echo "expected output matching: $2"
		return 1
	}
}

# --- install -----------------------------------------------------------------
step "cmake --install into a fresh prefix" \
	"$cmake" --install "$build" --prefix "$tmp/stage" || exit 1
# Consumers use the prefix only after it has moved: a path to the staging
# directory or the build tree left in an installed file breaks them.
mv "$tmp/stage" "$tmp/prefix"
prefix=$tmp/prefix

pc=$(find "$prefix" -name bh.pc -path '*/pkgconfig/*' | head -n 1)
if [ -z "$pc" ]; then
	echo "FAIL: no bh.pc installed"
	exit 1
fi
libdir=$(dirname "$(dirname "$pc")")
export PKG_CONFIG_PATH="$libdir/pkgconfig"
version=$(sed -n 's/^Version: *//p' "$pc")

check_layout() {
	local f ok=0
	for f in include/bh.h include/bh/tasklet.h include/bh/runtime.h; do
		[ -f "$prefix/$f" ] || { echo "missing $f"; ok=1; }
	done
	for f in libbh.so "libbh.so.0" "libbh.so.$version" libbh.a \
		pkgconfig/bh.pc pkgconfig/bh-compat.pc cmake/bh/bhConfig.cmake \
		cmake/bh/bhConfigVersion.cmake cmake/bh/bhTargets.cmake; do
		[ -e "$libdir/$f" ] || { echo "missing $libdir/$f"; ok=1; }
	done
	# libbh.so -> libbh.so.0 -> libbh.so.X.Y.Z, the last a real file.
	if ! [ -L "$libdir/libbh.so" ] || ! [ -L "$libdir/libbh.so.0" ] ||
		[ -L "$libdir/libbh.so.$version" ]; then
		echo "libbh.so version links are not as expected"
		ok=1
	fi
	readelf -d "$libdir/libbh.so.$version" | grep -q 'SONAME.*\[libbh\.so\.0\]' ||
		{ echo "SONAME is not libbh.so.0"; ok=1; }
	# Every header in the tree is installed where its include path expects.
	local n_src n_dst
	n_src=$(find "$src/include/bh" -name '*.h' | wc -l)
	n_dst=$(find "$prefix/include/bh" -name '*.h' | wc -l)
	[ "$n_src" -eq "$n_dst" ] ||
		{ echo "$n_src headers in include/bh, $n_dst installed"; ok=1; }
	if [ -d "$src/compat" ]; then
		n_src=$(find "$src/compat" -name '*.h' | wc -l)
		n_dst=$(find "$prefix/include/bh-compat" -name '*.h' 2>/dev/null | wc -l)
		[ "$n_src" -eq "$n_dst" ] ||
			{ echo "$n_src compat headers, $n_dst installed"; ok=1; }
	fi
	local s
	for s in 1 3 7; do
		n_src=$(find "$src/docs/man" -maxdepth 1 -name "*.$s" 2>/dev/null | wc -l)
		n_dst=$(find "$prefix/share/man/man$s" -name "*.$s" 2>/dev/null | wc -l)
		[ "$n_src" -eq "$n_dst" ] ||
			{ echo "$n_src man pages in section $s, $n_dst installed"; ok=1; }
	done
	# No installed text file may name the build or source tree or the
	# staging prefix.
	if grep -rIlF -e "$build" -e "$src" -e "$tmp/stage" "$prefix"; then
		echo "installed files above contain build or staging paths"
		ok=1
	fi
	return $ok
}
step "installed layout, SONAME, relocatable files" check_layout

# Only the bh_ API (bh__ entry points included) leaves libbh.so.
check_exports() {
	local bad
	bad=$(nm -D --defined-only "$libdir/libbh.so" | awk '{print $NF}' |
		grep -Ev '^(bh_|BH_[0-9])' || true)
	[ -z "$bad" ] || { echo "unexpected exported symbols:"; echo "$bad"; return 1; }
}
step "libbh.so exports only bh_ symbols" check_exports

check_pkgconfig() {
	pkg-config --modversion bh bh-compat &&
		pkg-config --cflags --libs bh &&
		pkg-config --cflags --libs bh-compat &&
		[ "$(pkg-config --modversion bh)" = "$version" ] &&
		pkg-config --cflags bh-compat | grep -q -- '-I[^ ]*/bh-compat' &&
		pkg-config --static --libs bh | grep -q -- '-ldl'
}
step "pkg-config bh, bh-compat" check_pkgconfig

# --- native consumer via pkg-config ------------------------------------------
native_pattern='tasklet ran 1 time'
# shellcheck disable=SC2046 # word splitting of pkg-config output is intended
if step "build native consumer: cc \$(pkg-config --cflags --libs bh)" \
	"$cc" "${cflags[@]}" -o "$tmp/native" "$src/tests/install/native.c" \
	$(pkg-config --cflags --libs bh); then
	step "native consumer links libbh.so.0" \
		sh -c "readelf -d '$tmp/native' | grep -q 'NEEDED.*\[libbh\.so\.0\]'"
	step "run native consumer (shared)" \
		run_consumer native "$native_pattern" "$tmp/native"
fi
# Static: libbh.a plus Libs.private must be enough.
static_libs=$(pkg-config --static --libs bh | sed "s|-lbh\\b|$libdir/libbh.a|")
# shellcheck disable=SC2046,SC2086
if step "build native consumer statically (libbh.a + Libs.private)" \
	"$cc" "${cflags[@]}" -o "$tmp/native_static" \
	"$src/tests/install/native.c" $(pkg-config --cflags bh) $static_libs; then
	step "run native consumer (static)" \
		run_consumer native_static "$native_pattern" "$tmp/native_static"
fi

# --- kernel-style consumer via pkg-config ------------------------------------
# shellcheck disable=SC2046
if step "build kernel-style consumer: cc \$(pkg-config --cflags --libs bh-compat)" \
	"$cc" "${cflags[@]}" -o "$tmp/kernel" "$src/tests/install/kernel.c" \
	$(pkg-config --cflags --libs bh-compat); then
	step "run kernel-style consumer" \
		run_consumer kernel 'tasklet ran 1 time' "$tmp/kernel" &&
		step "kernel-style consumer's pr_info reached the log" \
			grep -q 'hello from a tasklet' "$tmp/kernel.out"
fi

# --- CMake consumer via find_package(bh) -------------------------------------
with_compat=OFF
[ -f "$prefix/include/bh-compat/linux/interrupt.h" ] && with_compat=ON
if step "configure CMake consumer: find_package(bh CONFIG)" \
	"$cmake" -S "$src/tests/install/cmake" -B "$tmp/consumer" \
	-DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" \
	-DCMAKE_C_FLAGS="${cflags[*]}" -DWITH_COMPAT=$with_compat &&
	step "build CMake consumer" "$cmake" --build "$tmp/consumer"; then
	step "run CMake consumer bh::bh" \
		run_consumer cm_shared "$native_pattern" "$tmp/consumer/native_shared"
	step "run CMake consumer bh::bh_static" \
		run_consumer cm_static "$native_pattern" "$tmp/consumer/native_static"
	if [ "$with_compat" = ON ]; then
		step "run CMake consumer bh::compat" \
			run_consumer cm_compat 'tasklet ran 1 time' \
			"$tmp/consumer/kernel_compat"
	fi
fi

# --- kernel-style module run by the installed bh-modrun ------------------------
# run_module NAME MODULE: the installed bh-modrun loads it, sets a
# parameter, runs init and exit at once; its printk output must show.
run_module() {
	local out=$tmp/$1.out
	LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
		timeout 60 "$prefix/bin/bh-modrun" --oneshot "$2" who=installer \
		>"$out" 2>&1 </dev/null
	local rc=$?
	cat "$out"
	[ "$rc" -eq 0 ] || {
		echo "exit status $rc"
		return 1
	}
	grep -Eq '^\[ *[0-9]+\.[0-9]{6}\] hello, installer \(from hello_module\)$' \
		"$out" && grep -q 'goodbye, installer' "$out" || {
		echo "expected the module's greeting and goodbye"
		return 1
	}
}
if [ -x "$prefix/bin/bh-modrun" ]; then
	# shellcheck disable=SC2046
	step "build module: cc -shared -fPIC \$(pkg-config --cflags --libs bh-compat)" \
		"$cc" "${cflags[@]}" -shared -fPIC \
		-DKBUILD_MODNAME='"hello_module"' -o "$tmp/hello_module.so" \
		"$src/tests/install/hello_module.c" \
		$(pkg-config --cflags --libs bh-compat) &&
		step "run it with the installed bh-modrun --oneshot" \
			run_module mod_pc "$tmp/hello_module.so"
	mkdir -p "$tmp/mk" && cp "$src/tests/install/hello_module.c" "$tmp/mk/"
	step "build module: make -f share/bh/module.mk obj-m=hello_module.o" \
		env -u PKG_CONFIG_PATH make -C "$tmp/mk" \
		-f "$prefix/share/bh/module.mk" obj-m=hello_module.o \
		CC="$cc" CFLAGS="${cflags[*]}" &&
		step "run the module.mk module" \
			run_module mod_mk "$tmp/mk/hello_module.so"
	step "configure module consumer: find_package(bh) + bh_add_module()" \
		"$cmake" -S "$src/tests/install/module" -B "$tmp/modcons" \
		-DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" \
		-DCMAKE_C_FLAGS="${cflags[*]}" &&
		step "build module consumer" "$cmake" --build "$tmp/modcons" &&
		step "run the bh_add_module() module" \
			run_module mod_cmake "$tmp/modcons/hello_module.so"
else
	echo "FAIL: bh-modrun not installed in bin"
	failed=1
fi

# --- installed programs ---------------------------------------------------------
# bh-torture (tools/torture) runs from the moved prefix: it links the static
# library, so it needs no library path.
if [ -d "$src/tools/torture" ]; then
	step "installed bh-torture runs a short seeded run" \
		run_consumer torture 'bh-torture: PASS' \
		"$prefix/bin/bh-torture" --duration 300ms --seed 1 --threads 2
fi

if [ "$failed" -ne 0 ]; then
	echo "install check: FAILED"
	exit 1
fi
echo "install check: all steps passed"
