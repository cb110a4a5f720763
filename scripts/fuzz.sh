#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make fuzz: libFuzzer on the hypervisor's IOMMU core (unittests/iommu-core/
# fuzz/), for FUZZ_SECONDS (default 60), starting from the corpus kept in the
# repository. Prints the executions, the hypercalls made and the edge
# coverage; fails on any invariant violation or sanitizer report.
#
#   scripts/fuzz.sh            fuzz for FUZZ_SECONDS
#   scripts/fuzz.sh --replay   run every input of the corpus once (regressions)
set -euo pipefail
. "$(dirname "$0")/common.sh"

fuzz_dir=$top/unittests/iommu-core/fuzz
bin=$BUILD/unittests/iommu-core/fuzz_hypercalls
work=$BUILD/fuzz
seconds=${FUZZ_SECONDS:-60}
# Below this many edges, or with no map made, the fuzzer is not testing the
# core (30 s reach about 850 edges of the code under test; the harness is
# not traced).
min_edges=${FUZZ_MIN_EDGES:-600}

"$top/scripts/base.sh"
command -v clang > /dev/null || die "clang is not installed: run 'make deps'"
make -s -C "$top/unittests/iommu-core" fuzz-build ||
	die "the fuzzer does not build: see the compiler's errors above"
mkdir -p "$work/corpus"
log=$work/fuzz.log

if [ "${1:-}" = --replay ]; then
	if ! "$bin" -runs=0 "$fuzz_dir"/corpus > "$log" 2>&1; then
		tail -40 "$log"
		die "an input of the corpus breaks an invariant (log: $log)"
	fi
	maps=$(sed -n 's/^fuzz: .* \([0-9]*\) maps made/\1/p' "$log")
	[ "${maps:-0}" -gt 0 ] || die "the corpus makes no successful map: it tests nothing (log: $log)"
	echo "fuzz: $(find "$fuzz_dir/corpus" -type f | wc -l) corpus inputs replayed," \
		"$(sed -n 's/^fuzz: \([0-9]*\) hypercalls.*/\1/p' "$log") hypercalls, $maps maps, no violation"
	exit 0
fi

rc=0
(cd "$work" && "$bin" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 \
	-dict="$fuzz_dir/hypercalls.dict" "$work/corpus" "$fuzz_dir/corpus") > "$log" 2>&1 || rc=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
cov=$(grep -o "cov: [0-9]*" "$log" | tail -1 | cut -d" " -f2 || true)
calls=$(sed -n 's/^fuzz: \([0-9]*\) hypercalls.*/\1/p' "$log")
if [ "$rc" != 0 ]; then
	grep -E '^# |ERROR|SUMMARY|runtime error' "$log" | head -20
	crash=$(ls -t "$work"/crash-* "$work"/leak-* 2>/dev/null | head -1 || true)
	die "the fuzzer found a violation after ${runs:-?} inputs; input: ${crash:-none saved}" \
		"(log: $log). Add it to unittests/iommu-core/fuzz/corpus/ as a regression, then fix."
fi
maps=$(sed -n 's/^fuzz: .* \([0-9]*\) maps made/\1/p' "$log")
[ "${maps:-0}" -gt 0 ] || die "the fuzzer made no successful map: it tests nothing (log: $log)"
[ "${cov:-0}" -ge "$min_edges" ] ||
	die "the fuzzer covered ${cov:-0} edges, below the floor of $min_edges: an input" \
		"format or a harness change starves it (log: $log)"
echo "fuzz: ${seconds}s, ${runs:-0} inputs, ${calls:-0} hypercalls, $maps maps," \
	"${cov:-0} edges covered (floor $min_edges), no violation"
