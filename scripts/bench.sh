#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: dma_map_benchmark in the bench machine on a spare pci-testdev
# bound to the dma_map_benchmark driver, for granules of 1, 16 and 256 pages
# and 1 and 4 threads, then O_DIRECT reads of the NVMe disk (4KiB random
# from 4 threads, 1MiB sequential), each row run 3 times and its median shown.
# On the pKVM kernel it also counts what one map and one unmap cost, in
# hypercalls and in SMMU register accesses (QEMU's trace), and it draws the
# latency table as build/bench/bench.svg. It runs
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
	timeout_s=$((seconds * (6 + 2) * runs * 4 + 300))
	echo "bench: $v driver, ${seconds}s per run of a row, $runs runs (console: $log)"
	rc=0
	"$top/scripts/qemu.sh" -c max -m bench -t "$timeout_s" -l "$log" \
		-k "$BUILD/out/$out/arch/arm64/boot/Image" \
		-i "$BUILD/initramfs-test.cpio.gz" \
		-a "bench_args=$all_rows bench_seconds=$seconds bench_io_runs=$runs" || rc=$?
	"$top/scripts/judge.py" bench "$log" --rc "$rc" --timeout "$timeout_s" \
		--label "bench-$v" --expect-mode hVHE --expect-io --rows "$logs/bench-$v.rows" ||
		die "the $v benchmark run failed (see above)"
	want=arm-smmu-v3
	[ "$v" = stock ] || want=arm-smmu-v3-kvm
	grep -Eq "^bench: smmu .* driver=$want[[:space:]]*$" "$log" ||
		die "in the $v run, $want does not own the SMMU"
done

# The same machine with every device in an identity domain
# (iommu.passthrough=1): the stock driver lets DMA bypass the SMMU, the
# pKVM driver puts the devices in the hypervisor's identity domain.
id_rows="1:1,16:1,256:1,1:4"
id_all=$id_rows
for _ in $(seq 2 $runs); do id_all=$id_all,$id_rows; done
for v in $variants; do
	case $v in stock) out=bench-stock ;; *) out=nodebug ;; esac
	log=$logs/bench-$v-identity.log
	echo "bench: $v driver, identity domains (console: $log)"
	rc=0
	"$top/scripts/qemu.sh" -c max -m bench -t "$timeout_s" -l "$log" \
		-k "$BUILD/out/$out/arch/arm64/boot/Image" \
		-i "$BUILD/initramfs-test.cpio.gz" \
		-a "iommu.passthrough=1 bench_args=$id_all bench_seconds=$seconds bench_io_runs=$runs" ||
		rc=$?
	"$top/scripts/judge.py" bench "$log" --rc "$rc" --timeout "$timeout_s" \
		--label "bench-$v-identity" --expect-mode hVHE --expect-io \
		--rows "$logs/bench-$v-identity.rows" ||
		die "the $v benchmark run in identity domains failed (see above)"
	grep -Eq "^bench: benchmark device .* type=identity[[:space:]]*$" "$log" ||
		die "in the $v identity run, the benchmark device is not in an identity domain"
done

# What one map and one unmap cost on the pKVM kernel: hypercalls counted by
# the driver, SMMU register accesses by QEMU's trace. A boot of its own, as
# tracing slows QEMU down.
rm -f "$logs/calls.rows"
if [[ $variants == *pkvm* ]]; then
	log=$logs/calls.log
	trace=$logs/calls.trace
	printf 'smmuv3_read_mmio\nsmmuv3_write_mmio\npl011_write\n' > "$logs/calls.events"
	echo "bench: calls on the pkvm driver, SMMU registers traced (console: $log)"
	rc=0
	QEMU_EXTRA="-trace events=$logs/calls.events,file=$trace" \
		"$top/scripts/qemu.sh" -c max -m calls -t 300 -l "$log" \
		-k "$BUILD/out/nodebug/arch/arm64/boot/Image" \
		-i "$BUILD/initramfs-test.cpio.gz" || rc=$?
	"$top/scripts/judge.py" calls "$log" --rc "$rc" --timeout 300 --label calls \
		--expect-mode hVHE --trace "$trace" --rows "$logs/calls.rows" ||
		die "the calls run failed (see above)"
fi

[ -f "$logs/bench-pkvm.rows" ] && [[ $variants == *pkvm* ]] || rm -f "$logs/bench-pkvm.rows"
echo
echo "dma_map_benchmark, QEMU TCG -cpu max, pKVM protected mode; latency in us, median of $runs"
plots=$BUILD/bench
mkdir -p "$plots"
awk -v pkvm="$logs/bench-pkvm.rows" -v dat="$plots/bench.dat" '
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
		if (w[1] == "cas") { store_ns = w[2]; cas_ns = w[3]; continue }
		if (w[1] == "null_busy") { null_busy = w[3] + 0; continue }
		if (w[1] == "io") {
			for (c = 1; c <= 4; c++)
				if (w[c + 2] != "-") pio[w[2], c] = pio[w[2], c] " " w[c + 2]
			continue
		}
		k = w[1] " " w[2]; pm[k] = pm[k] " " w[3]; pu[k] = pu[k] " " w[4]
	}
	printf "%9s %7s | %9s %9s | %9s %9s | %9s %9s | %9s %9s | %9s %9s\n", "granule",
	       "threads", "stock map", "unmap", "floor map", "unmap", "pKVM map", "unmap",
	       "/stock", "unmap", "/floor", "unmap"
}
$1 == "io" { for (c = 1; c <= 3; c++) sio[$2, c] = sio[$2, c] " " $(c + 2); next }
$1 == "cas" { next }
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
		# For the plot: "-" where a figure is missing
		printf "\"%s pg, %s thr\" %s %s %s %s %s %s\n", g[1], g[2], a, b,
		       fm == "" ? "-" : fm, fu == "" ? "-" : fu, m == "" ? "-" : m,
		       u == "" ? "-" : u > dat
	}
	if (1 in null)
		printf "null hypercall (refused at argument checking): %.2f us on one CPU, %.2f us each with every CPU calling\n", null[1], null[4]
	if (cas_ns != "")
		printf "this CPU: a compare-and-swap (LSE CASAL) takes %.1f ns, a store %.1f ns; the hypervisor makes 2 per 4KiB page mapped or unmapped\n", cas_ns, store_ns
	if (null_busy != "")
		printf "null hypercall while the NVMe disk streams 1MiB reads: %.2f us on one CPU\n", null_busy
	printf "\nNVMe O_DIRECT reads, median of %d\n", '"$runs"'
	printf "%-30s | %12s | %12s | %7s | %15s | %s\n", "", "stock", "pKVM", "/stock",
	       "irqs per read", "pKVM map hypercalls per read"
	io_row("4KiB random, 4 threads (IOPS)", "rand", 1)
	io_row("1MiB sequential (MB/s)", "seq", 2)
}
function io_row(what, kind, col,    a, b, c, i) {
	a = med(sio, kind SUBSEP col); b = med(pio, kind SUBSEP col)
	c = ((kind, 4) in pio) ? sprintf("%.1f", med(pio, kind SUBSEP 4)) : "-"
	i = sprintf("%s, %s", f(med(sio, kind SUBSEP 3)), f(med(pio, kind SUBSEP 3)))
	printf "%-30s | %12s | %12s | %7s | %15s | %s\n", what, f(a), f(b), r(a, b), i, c
}' "$logs/bench-stock.rows"

if [ -f "$logs/calls.rows" ]; then
	echo
	echo "pKVM, per iommu_map() and iommu_unmap() of 256 at distinct IOVAs (as dma-iommu calls them):"
	echo "hypercalls counted by the driver, SMMU register accesses by QEMU's trace"
	awk 'BEGIN { printf "%9s | %15s %9s | %15s %9s\n", "granule", "map hypercalls", "MMIO",
		     "unmap hypercalls", "MMIO" }
	     { printf "%6s pg | %15s %9s | %15s %9s\n", $2, $3, $5, $4, $6 }' "$logs/calls.rows"
	echo "(a map hypercall beyond one per map is a retry after a top-up of the memcache)"
fi

if [[ $variants == *pkvm* ]]; then
	echo
	echo "Identity domains (iommu.passthrough=1): stock bypass vs pKVM identity domain, median of $runs"
	echo "(latency in us, as dma_map_benchmark reports it: in steps of 0.1 us)"
	awk -v p="$logs/bench-pkvm-identity.rows" '
	function median(v, n,    i, j, t) {
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
		return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
	}
	function med(s,    n, v, i) { n = split(s, v, " "); for (i = 1; i <= n; i++) v[i] += 0; return n ? median(v, n) : "" }
	function r(a, b) { return a > 0 && b != "" ? sprintf("%.2f", b / a) : "-" }
	function load(file, m, u, io, first,    l, w, k) {
		while ((getline l < file) > 0) {
			split(l, w, " ")
			if (w[1] == "null" || w[1] == "null_busy" || w[1] == "cas") continue
			if (w[1] == "io") { io[w[2], 1] = io[w[2], 1] " " w[3]; io[w[2], 2] = io[w[2], 2] " " w[4]
					    if (w[6] != "-") io[w[2], 3] = io[w[2], 3] " " w[6]; continue }
			k = w[1] " pg " w[2] " thr"; if (first && !(k in m)) order[++nk] = k
			m[k] = m[k] " " w[3]; u[k] = u[k] " " w[4]
		}
	}
	BEGIN {
		load(ARGV[1], sm, su, sio, 1); load(p, pm, pu, pio, 0); ARGV[1] = ""
		printf "%-16s | %9s %9s | %9s %9s | %7s %7s\n", "", "stock map", "unmap", "pKVM map", "unmap", "/stock", "unmap"
		for (i = 1; i <= nk; i++) {
			k = order[i]
			printf "%-16s | %9.1f %9.1f | %9.1f %9.1f | %7s %7s\n", k, med(sm[k]), med(su[k]),
			       med(pm[k]), med(pu[k]), r(med(sm[k]), med(pm[k])), r(med(su[k]), med(pu[k]))
		}
		printf "%-30s | %10s | %10s | %7s | %s\n", "NVMe O_DIRECT reads", "stock", "pKVM", "/stock", "pKVM map hypercalls per read"
		split("rand seq", kinds, " "); split("4KiB random, 4 threads (IOPS)|1MiB sequential (MB/s)", what, "|")
		for (i = 1; i <= 2; i++) {
			a = med(sio[kinds[i], i]); b = med(pio[kinds[i], i])
			printf "%-30s | %10.1f | %10.1f | %7s | %s\n", what[i], a, b, r(a, b),
			       ((kinds[i], 3) in pio) ? sprintf("%.2f", med(pio[kinds[i], 3])) : "-"
		}
	}' "$logs/bench-stock-identity.rows"
	grep -o "identity_table_pages [0-9]* identity_reserve_pages [0-9]*" \
		"$logs/bench-pkvm-identity.log" | tail -1 |
		awk '{ printf "identity domain: %d table pages (%d KiB), %d pages in reserve for splits (%d KiB)\n",
		       $2, $2 * 4, $4, $4 * 4 }'
fi

# The table as a plot: latency per row, stock, floor and pKVM side by side.
if command -v gnuplot >/dev/null; then
	gnuplot <<-PLOT || die "gnuplot could not draw $plots/bench.svg"
	set terminal svg size 1100,520 dynamic noenhanced font "sans,11"
	set output "$plots/bench.svg"
	set datafile missing "-"
	set multiplot layout 1,2 title "dma_map_benchmark under QEMU TCG -cpu max, median of $runs"
	set style data histograms
	set style histogram clustered gap 1
	set style fill solid 0.8 border -1
	set logscale y
	set ylabel "latency (us)"
	set xtics rotate by -35 nomirror
	set key top left
	set title "map"
	plot "$plots/bench.dat" using 2:xtic(1) title "stock", "" using 4 title "floor", "" using 6 title "pKVM"
	set title "unmap"
	plot "$plots/bench.dat" using 3:xtic(1) title "stock", "" using 5 title "floor", "" using 7 title "pKVM"
	unset multiplot
	PLOT
	echo "plot: $plots/bench.svg"
else
	echo "plot: gnuplot is missing, no plot drawn; run 'make deps'"
fi
