#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build an arm64 Image from the pristine base plus patches/, applied with
# git am exactly as users apply the series.
#
#   scripts/kernel.sh apply              reset build/linux to the base, git am patches/
#   scripts/kernel.sh build NAME FRAG... configure build/out/NAME from fragments, build Image
#   scripts/kernel.sh static-checks      sparse and kernel-doc on the series' files
set -euo pipefail
. "$(dirname "$0")/common.sh"

apply_series() {
	local found
	"$top/scripts/base.sh"
	found=$(cat "$BUILD/base-found-version")
	cd "$LINUX"
	git am --abort >/dev/null 2>&1 || true
	git checkout -q -f -B "$SERIES_BRANCH" "$BASE_TAG"
	git clean -fdxq
	shopt -s nullglob
	local p=("$top"/patches/*.patch)
	[ ${#p[@]} -gt 0 ] || die "patches/ is empty; run 'make series'"
	if ! git am -q --whitespace=error-all "${p[@]}"; then
		git am --abort >/dev/null 2>&1 || true
		if [ "$found" != "$BASE_VERSION" ]; then
			die "the series does not apply to Linux $found; it is made for $BASE_VERSION: install linux-source-$BASE_SERIES $BASE_VERSION"
		fi
		die "git am of patches/ failed on Linux $found; run 'make series' and retry"
	fi
	echo "kernel: applied $(git rev-list --count "$BASE_TAG"..HEAD) patches on Linux $found"
}

# Configure from allnoconfig plus fragments; every option a fragment asks for
# must survive olddefconfig, or the build stops and names it (unless
# CONFIG_ANY is set, for the series' earlier patches that lack options).
configure() {
	local out=$1; shift
	local frag opt bad=
	mkdir -p "$out"
	make -s -C "$LINUX" O="$out" ARCH=arm64 CROSS_COMPILE=$CROSS allnoconfig >/dev/null
	KCONFIG_CONFIG="$out/.config" "$LINUX/scripts/kconfig/merge_config.sh" \
		-m -O "$out" "$out/.config" "$@" >/dev/null
	make -s -C "$LINUX" O="$out" ARCH=arm64 CROSS_COMPILE=$CROSS olddefconfig >/dev/null
	for frag in "$@"; do
		while read -r opt; do
			grep -qx -- "$opt" "$out/.config" || bad="$bad $opt"
		done < <(grep -E '^CONFIG_[A-Z0-9_]+=' "$frag")
	done
	[ -z "$bad" ] || [ -n "${CONFIG_ANY:-}" ] ||
		die "config options not satisfiable (check their dependencies):$bad"
}

build() {
	local name=$1; shift
	local out=$BUILD/out/$name frags=() f
	for f in "$@"; do frags+=("$(realpath "$f")"); done
	configure "$out" "${frags[@]}"
	echo "kernel: building $name Image (make -j$JOBS)"
	make -s -C "$LINUX" O="$out" ARCH=arm64 CROSS_COMPILE=$CROSS -j"$JOBS" Image ||
		die "kernel build failed (build/out/$name); the compiler's errors are above"
	make -s -C "$LINUX" O="$out" ARCH=arm64 CROSS_COMPILE=$CROSS headers >/dev/null
	echo "kernel: $out/arch/arm64/boot/Image"
}

# Build Image at every patch of the applied series but the last (which
# "build" covers), with the same fragments in the same output directory so
# that each step is incremental, then return to the tip and rebuild it.
build_each() {
	local name=$1; shift
	local out=$BUILD/out/$name c n=0 bad= f frags=()
	local tip
	for f in "$@"; do frags+=("$(realpath "$f")"); done
	tip=$(git -C "$LINUX" rev-parse HEAD)
	for c in $(git -C "$LINUX" rev-list --reverse "$BASE_TAG..$tip~1"); do
		n=$((n + 1))
		git -C "$LINUX" checkout -q "$c"
		CONFIG_ANY=1 configure "$out" "${frags[@]}"
		if make -s -C "$LINUX" O="$out" ARCH=arm64 CROSS_COMPILE=$CROSS \
			-j"$JOBS" Image > "$BUILD/build-each.log" 2>&1; then
			echo "ok   builds at patch $n: $(git -C "$LINUX" log -1 --format=%s "$c")"
		else
			tail -20 "$BUILD/build-each.log"
			echo "FAIL does not build at patch $n: $(git -C "$LINUX" log -1 --format=%s "$c")"
			bad=1
		fi
	done
	git -C "$LINUX" checkout -q "$SERIES_BRANCH"
	configure "$out" "${frags[@]}"
	make -s -C "$LINUX" O="$out" ARCH=arm64 CROSS_COMPILE=$CROSS -j"$JOBS" Image ||
		die "rebuilding the tip failed"
	[ -z "$bad" ]
}

# Build the directories the series adds code to with W=1, in an output
# directory of its own (W=1 changes the flags of every object it builds).
# Fails, listing them, on any warning.
build_w1() {
	local out=$BUILD/out/w1 f frags=() log=$BUILD/out/w1.log
	for f in "$@"; do frags+=("$(realpath "$f")"); done
	configure "$out" "${frags[@]}"
	make -C "$LINUX" O="$out" ARCH=arm64 CROSS_COMPILE=$CROSS -j"$JOBS" W=1 \
		arch/arm64/kvm/hyp/nvhe/ drivers/iommu/arm-smmu-v3-kvm/ > "$log" 2>&1 ||
		{ grep -E "error|warning" "$log" | head -20; die "W=1 build failed"; }
	if grep -q "warning:" "$log"; then
		grep -A3 "warning:" "$log" | head -40
		die "W=1 warnings in the series' code (log: $log)"
	fi
	echo "kernel: W=1 build of arch/arm64/kvm/hyp/nvhe/ and drivers/iommu/arm-smmu-v3-kvm/ has no warnings"
}

# The C files and headers the applied series adds or changes, tree paths.
series_c_files() {
	git -C "$LINUX" diff --name-only --diff-filter=AM "$BASE_TAG" "$SERIES_BRANCH" -- \
		'*.c' '*.h' | grep -v '^tools/testing/selftests/'
}

# sparse over the directories the series adds code to (in the W=1 output
# directory, which the W=1 build configured), and kernel-doc -Wall on
# the series' files. Fails on any warning of either in a file the series
# adds or changes.
static_checks() {
	local out=$BUILD/out/w1 log=$BUILD/out/sparse.log files f bad=0
	command -v sparse >/dev/null || die "sparse is not installed; run 'make deps'"
	[ -f "$out/.config" ] || die "no W=1 build to run sparse in; run 'scripts/kernel.sh build-w1' first"
	files=$(series_c_files)
	# C=1 checks what it compiles: the hypervisor's objects have rules of
	# their own that C=2 does not force, so rebuild both directories.
	find "$out/arch/arm64/kvm/hyp/nvhe" "$out/drivers/iommu/arm-smmu-v3-kvm" \
		-name '*.o' -delete
	make -C "$LINUX" O="$out" ARCH=arm64 CROSS_COMPILE=$CROSS -j"$JOBS" W=1 C=1 \
		arch/arm64/kvm/hyp/nvhe/ drivers/iommu/arm-smmu-v3-kvm/ > "$log" 2>&1 ||
		{ tail -20 "$log"; die "the sparse build failed (log: $log)"; }
	for f in $files; do
		if grep -E "(^|/)$f:[0-9]+:[0-9]+: (warning|error):" "$log"; then
			bad=1
		fi
	done
	[ $bad = 0 ] || die "sparse warnings in the series' code (log: $log)"
	echo "kernel: sparse: no warnings in the $(echo "$files" | wc -w) C files and headers of the series"
	# In a file the series changes, only the warnings the base lacks count.
	for f in $files; do
		if comm -13 <(kdoc_base "$f") <(kdoc "$LINUX/$f") | grep .; then
			bad=1
		fi
	done
	[ $bad = 0 ] || die "kernel-doc warnings in the series' files"
	echo "kernel: kernel-doc -Wall: no new warnings in the series' files"
}

# kernel-doc's warnings of a file, without their line numbers, sorted.
kdoc() {
	(cd "$LINUX" && scripts/kernel-doc -none -Wall "$1" 2>&1) |
		sed 's/^[^:]*:[0-9]*: //' | sort
}

# The same for the base's version of a file the series changes, if any.
kdoc_base() {
	local tmp
	git -C "$LINUX" cat-file -e "$BASE_TAG:$1" 2>/dev/null || return 0
	tmp=$(mktemp --suffix=".${1##*.}")
	git -C "$LINUX" show "$BASE_TAG:$1" > "$tmp"
	kdoc "$tmp"
	rm -f "$tmp"
}

need_deps
case "${1:-}" in
apply) apply_series ;;
build) shift; build "$@" ;;
build-each) shift; build_each "$@" ;;
build-w1) shift; build_w1 "$@" ;;
static-checks) static_checks ;;
*) die "usage: $0 apply | build NAME FRAGMENT... | build-each NAME FRAGMENT... | build-w1 FRAGMENT... | static-checks" ;;
esac
