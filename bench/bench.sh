#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: dma_map_benchmark in the bench machine on a spare pci-testdev
# bound to the dma_map_benchmark driver, for granules of 1, 16 and 256 pages
# and 1 and 4 threads, each row run 3 times and its median shown. It runs
# the same table on a kernel whose SMMU is owned by the stock arm-smmu-v3
# driver and, when the applied series provides it, on one where the pKVM
# driver owns it (with the test module, idle but for one measure: the cost
# of a hypercall refused at once, on one CPU and on all at once). The floor
# of a row is the stock figure plus that one hypercall, for as many CPUs
# calling as the row has threads; it prints pKVM/stock and pKVM/floor.
#
# Builds without the hypervisor debug options of the test kernel.
# BENCH_SECONDS (default 5) is the duration of each run of a row.
set -euo pipefail
. "$(dirname "$0")/common.sh"

rows="1:1,1:4,16:1,16:4,256:1,256:4"
runs=3
seconds=${BENCH_SECONDS:-5}
logs=$BUILD/logs
mkdir -p "$logs"

make -s -C "$top" kernel
variants="stock"
if grep -qs '^config ARM_SMMU_V3_PKVM$' -r "$LINUX/drivers/iommu/"; then
	variants="stock pkvm"
fi

all_rows=$rows
for _ in $(seq 2 $runs); do all_rows=$all_rows,$rows; done

for v in $variants; do
	# The pKVM kernel is the one without debug options, with the test module.
	case $v in stock) out=bench-stock ;; *) out=nodebug ;; esac
	make -s -C "$top" "build/out/$out/.built"
	log=$logs/bench-$v.log
	timeout_s=$((seconds * 6 * runs * 4 + 300))
	echo "bench: $v driver, ${seconds}s per run of a row, $runs runs (console: $log)"
	rc=0
	"$top/bench/qemu.sh" -c max -m bench -t "$timeout_s" -l "$log" \
		-k "$BUILD/out/$out/arch/arm64/boot/Image" \
		-i "$BUILD/initramfs-test.cpio.gz" \
		-a "bench_args=$all_rows bench_seconds=$seconds" || rc=$?
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
echo "dma_map_benchmark, QEMU TCG -cpu max, pKVM protected mode; latency in us, median of $runs"
awk -v pkvm="$logs/bench-pkvm.rows" '
function median(v, n,    i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
function med(vals, k,    n, v, i) {
	n = split(vals[k], v, " ")
	for (i = 1; i <= n; i++) v[i] += 0
	return n ? median(v, n) : ""
}
function r(a, b) { return (a > 0 && b != "") ? sprintf("%.2f", b / a) : "-" }
function f(x) { return x == "" ? "-" : sprintf("%.1f", x) }
BEGIN {
	while ((getline l < pkvm) > 0) {
		split(l, w, " ")
		if (w[1] == "null") { null[1] = w[3] + 0; null[4] = w[4] + 0; continue }
		k = w[1] " " w[2]; pm[k] = pm[k] " " w[3]; pu[k] = pu[k] " " w[4]
	}
	printf "%9s %7s | %9s %9s | %9s %9s | %9s %9s | %9s %9s | %9s %9s\n", "granule",
	       "threads", "stock map", "unmap", "floor map", "unmap", "pKVM map", "unmap",
	       "/stock", "unmap", "/floor", "unmap"
}
{
	k = $1 " " $2
	if (!(k in sm)) order[++nk] = k
	sm[k] = sm[k] " " $3; su[k] = su[k] " " $4
}
END {
	for (i = 1; i <= nk; i++) {
		k = order[i]; split(k, g, " ")
		a = med(sm, k); b = med(su, k)
		m = (k in pm) ? med(pm, k) : ""; u = (k in pu) ? med(pu, k) : ""
		n1 = (g[2] in null) ? null[g[2]] : ""
		fm = n1 != "" ? a + n1 : ""; fu = n1 != "" ? b + n1 : ""
		printf "%6s pg %7s | %9.1f %9.1f | %9s %9s | %9s %9s | %9s %9s | %9s %9s\n", g[1],
		       g[2], a, b, f(fm), f(fu), f(m), f(u), r(a, m), r(b, u), r(fm, m), r(fu, u)
	}
	if (1 in null)
		printf "null hypercall (refused at argument checking): %.2f us on one CPU, %.2f us each with every CPU calling\n", null[1], null[4]
}' "$logs/bench-stock.rows"
