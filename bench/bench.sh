#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: dma_map_benchmark in the bench machine on a spare pci-testdev
# bound to the dma_map_benchmark driver, for granules of 1, 16 and 256 pages
# and 1 and 4 threads. It runs the same table on a kernel whose SMMU is owned
# by the stock arm-smmu-v3 driver and, when the applied series provides it,
# on one where the pKVM driver owns it, and prints the pKVM/stock ratios.
#
# Builds without the hypervisor debug options of the test kernel.
# BENCH_SECONDS (default 5) is the duration of each row.
set -euo pipefail
. "$(dirname "$0")/common.sh"

rows="1:1,1:4,16:1,16:4,256:1,256:4"
seconds=${BENCH_SECONDS:-5}
logs=$BUILD/logs
mkdir -p "$logs"

make -s -C "$top" kernel
variants="stock"
if grep -qs '^config ARM_SMMU_V3_PKVM$' -r "$LINUX/drivers/iommu/"; then
	variants="stock pkvm"
fi

for v in $variants; do
	make -s -C "$top" "build/out/bench-$v/.built"
	log=$logs/bench-$v.log
	timeout_s=$((seconds * 6 * 4 + 300))
	echo "bench: $v driver, ${seconds}s per row (console: $log)"
	rc=0
	"$top/bench/qemu.sh" -c max -m bench -t "$timeout_s" -l "$log" \
		-k "$BUILD/out/bench-$v/arch/arm64/boot/Image" \
		-i "$BUILD/initramfs-test.cpio.gz" \
		-a "bench_args=$rows bench_seconds=$seconds" || rc=$?
	"$top/bench/judge.py" bench "$log" --rc "$rc" --timeout "$timeout_s" \
		--label "bench-$v" --expect-mode hVHE --rows "$logs/bench-$v.rows" ||
		die "the $v benchmark run failed (see above)"
	want=arm-smmu-v3
	[ "$v" = stock ] || want=arm-smmu-v3-kvm
	grep -Eq "^bench: smmu .* driver=$want[[:space:]]*$" "$log" ||
		die "in the $v run, $want does not own the SMMU"
done

[ -f "$logs/bench-pkvm.rows" ] && [[ $variants == *pkvm* ]] || rm -f "$logs/bench-pkvm.rows"
echo
echo "dma_map_benchmark, QEMU TCG -cpu max, pKVM protected mode; latency in us"
awk -v pkvm="$logs/bench-pkvm.rows" '
function r(a, b) { return (a > 0 && b != "") ? sprintf("%.2f", b / a) : "-" }
BEGIN {
	while ((getline l < pkvm) > 0) { split(l, f, " "); pm[f[1]" "f[2]] = f[3]; pu[f[1]" "f[2]] = f[4] }
	printf "%9s %7s | %9s %9s | %9s %9s | %9s %9s\n", "granule", "threads",
	       "stock map", "unmap", "pKVM map", "unmap", "ratio map", "unmap"
}
{
	k = $1 " " $2
	m = (k in pm) ? pm[k] : ""; u = (k in pu) ? pu[k] : ""
	printf "%6s pg %7s | %9.1f %9.1f | %9s %9s | %9s %9s\n", $1, $2, $3, $4,
	       m == "" ? "-" : m, u == "" ? "-" : u, r($3, m), r($4, u)
}' "$logs/bench-stock.rows"
