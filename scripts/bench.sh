#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: dma_map_benchmark in the bench machine on a spare pci-testdev
# bound to the dma_map_benchmark driver, for granules of 1, 16 and 256 pages
# and 1 and 4 threads, then O_DIRECT reads of the NVMe disk (4KiB random
# from 4 threads, 1MiB sequential), each row run 3 times and its median shown;
# again with identity domains (iommu.passthrough=1) and with lazy unmapping
# (iommu.strict=0).
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
#
# BENCH_CLOCK=icount (the default) runs QEMU with -icount shift=4,sleep=off:
# guest time is 16 ns per instruction retired, whatever the instruction, on
# one host thread, so the figures count work and repeat from run to run;
# the table is in instructions, and the three runs of each one-thread row
# must agree within 2%. Four vCPUs then take turns on that thread: the
# four-thread rows measure contention and work, not parallel speed.
# BENCH_CLOCK=tcg runs multi-threaded TCG and reports wall-clock
# microseconds, which say as much about TCG as about the code.
#
#   scripts/bench.sh           the tables
#   scripts/bench.sh --gate    make check's regression gate: the one-thread
#                              rows once, in instruction time, each ratio
#                              pKVM/stock against scripts/bench-budgets
set -euo pipefail
. "$(dirname "$0")/common.sh"

clock=${BENCH_CLOCK:-icount}
gate=
[ "${1:-}" != --gate ] || gate=1 clock=icount
case $clock in
icount)
	# 2^4 ns per instruction: one microsecond is 62.5 instructions.
	export QEMU_EXTRA="${QEMU_EXTRA:+$QEMU_EXTRA }-icount shift=4,sleep=off"
	scale=62.5 unit=instr ;;
tcg) scale=1 unit=us ;;
*) die "BENCH_CLOCK is '$clock': it is icount (instruction time) or tcg (wall clock)" ;;
esac

rows="1:1,1:4,16:1,16:4,256:1,256:4"
runs=3
seconds=${BENCH_SECONDS:-5}
io_runs=$runs expect_io=(--expect-io)
if [ -n "$gate" ]; then
	rows="1:1,16:1,256:1" runs=1 seconds=${BENCH_SECONDS:-1} io_runs=0 expect_io=()
fi
logs=$BUILD/logs
mkdir -p "$logs"

make -s -C "$top" kernel
variants="stock"
if grep -qs '^config ARM_SMMU_V3_PKVM$' -r "$LINUX/drivers/iommu/"; then
	variants="stock pkvm"
fi
[ -z "$gate" ] || [ "$variants" = "stock pkvm" ] ||
	die "the applied series has no pKVM driver to measure; run 'make kernel'"

all_rows=$rows
for _ in $(seq 2 $runs); do all_rows=$all_rows,$rows; done

for v in $variants; do
	# The pKVM kernel is the one without debug options, with the test module.
	case $v in stock) out=bench-stock ;; *) out=nodebug ;; esac
	make -s -C "$top" "build/out/$out/.built"
	log=$logs/bench-$v${gate:+-gate}.log
	timeout_s=$((seconds * (6 + 2) * runs * 4 + 300))
	echo "bench: $v driver, ${seconds}s per run of a row, $runs runs, clock $clock (console: $log)"
	rc=0
	"$top/scripts/qemu.sh" -c max -m bench -t "$timeout_s" -l "$log" \
		-k "$BUILD/out/$out/arch/arm64/boot/Image" \
		-i "$BUILD/initramfs-test.cpio.gz" \
		-a "bench_args=$all_rows bench_seconds=$seconds bench_io_runs=$io_runs" || rc=$?
	"$top/scripts/judge.py" bench "$log" --rc "$rc" --timeout "$timeout_s" \
		--label "bench-$v" --expect-mode hVHE "${expect_io[@]}" \
		--rows "$logs/bench-$v${gate:+-gate}.rows" ||
		die "the $v benchmark run failed (see above)"
	want=arm-smmu-v3
	[ "$v" = stock ] || want=arm-smmu-v3-kvm
	grep -Eq "^bench: smmu .* driver=$want[[:space:]]*$" "$log" ||
		die "in the $v run, $want does not own the SMMU"
done

# Instruction time repeats: three runs of a one-thread row that differ by
# more than 2% mean something other than the code changed the figure.
if [ "$clock" = icount ] && [ "$runs" -gt 1 ]; then
	for v in $variants; do
		awk -v v="$v" '$2 == 1 && $1 ~ /^[0-9]+$/ {
			k = $1; for (c = 3; c <= 4; c++) {
				if (!((k, c) in lo) || $c < lo[k, c]) lo[k, c] = $c
				if ($c > hi[k, c]) hi[k, c] = $c
			}
			seen[k] = 1
		}
		END {
			for (k in seen) for (c = 3; c <= 4; c++)
				if (lo[k, c] > 0 && (hi[k, c] - lo[k, c]) / lo[k, c] > 0.02) {
					printf "bench: %s, %s pages, %s: runs from %.1f to %.1f us, more than 2%% apart\n",
					       v, k, c == 3 ? "map" : "unmap", lo[k, c], hi[k, c]
					bad = 1
				}
			exit bad
		}' "$logs/bench-$v.rows" ||
			die "instruction time did not repeat across runs: is something else in the guest running?"
	done
fi

# The gate: one-thread ratios pKVM/stock against the committed budgets.
if [ -n "$gate" ]; then
	budgets=$top/scripts/bench-budgets
	awk -v stock="$logs/bench-stock-gate.rows" -v scale="$scale" '
	BEGIN {
		while ((getline l < stock) > 0) {
			split(l, w, " ")
			if (w[2] == 1 && w[1] ~ /^[0-9]+$/) { sm[w[1]] = w[3]; su[w[1]] = w[4] }
		}
	}
	FILENAME == ARGV[1] {
		if ($1 ~ /^#/ || NF < 3) next
		bm[$1] = $2; bu[$1] = $3; order[++n] = $1; next
	}
	$2 == 1 && $1 ~ /^[0-9]+$/ { pm[$1] = $3; pu[$1] = $4 }
	$1 == "null" { null = $3 }
	END {
		printf "%9s | %14s %14s | %14s %14s | %13s %13s\n", "granule", "stock map",
		       "unmap", "pKVM map", "unmap", "map/stock", "unmap/stock"
		for (i = 1; i <= n; i++) {
			g = order[i]
			if (!(g in sm) || !(g in pm) || sm[g] <= 0 || su[g] <= 0) {
				printf "bench gate: no %s-page row in both runs\n", g; bad = 1; continue
			}
			rm = pm[g] / sm[g]; ru = pu[g] / su[g]
			over = (rm > bm[g] || ru > bu[g]) ? "  OVER BUDGET" : ""
			printf "%6s pg | %10.0f ins %10.0f ins | %10.0f ins %10.0f ins | %5.2f (<=%4.2f) %5.2f (<=%4.2f)%s\n",
			       g, sm[g] * scale, su[g] * scale, pm[g] * scale, pu[g] * scale,
			       rm, bm[g], ru, bu[g], over
			if (over != "") bad = 1
		}
		if (null != "")
			printf "null hypercall: %.0f instructions\n", null * scale
		exit bad
	}' "$budgets" "$logs/bench-pkvm-gate.rows" ||
		die "a ratio pKVM/stock passed its budget in $budgets (instruction time, QEMU -icount):" \
			"find what made the calls dearer, or raise the budget with the reason in the commit"
	exit 0
fi

# Boot each variant with kernel arguments of its own: NAME ARGS ROWS TYPE,
# where the benchmark device's IOMMU group must be of type TYPE.
boot_variants() {
	local name=$1 args=$2 rows=$3 type=$4 all=$3 v out log rc
	for _ in $(seq 2 $runs); do all=$all,$rows; done
	for v in $variants; do
		case $v in stock) out=bench-stock ;; *) out=nodebug ;; esac
		log=$logs/bench-$v-$name.log
		echo "bench: $v driver, $args (console: $log)"
		rc=0
		"$top/scripts/qemu.sh" -c max -m bench -t "$timeout_s" -l "$log" \
			-k "$BUILD/out/$out/arch/arm64/boot/Image" \
			-i "$BUILD/initramfs-test.cpio.gz" \
			-a "$args bench_args=$all bench_seconds=$seconds bench_io_runs=$io_runs" ||
			rc=$?
		"$top/scripts/judge.py" bench "$log" --rc "$rc" --timeout "$timeout_s" \
			--label "bench-$v-$name" --expect-mode hVHE --expect-io \
			--rows "$logs/bench-$v-$name.rows" ||
			die "the $v benchmark run with $args failed (see above)"
		grep -Eq "^bench: benchmark device .* type=$type[[:space:]]*$" "$log" ||
			die "in the $v run with $args, the benchmark device's group is not $type"
	done
}

# The same machine with every device in an identity domain
# (iommu.passthrough=1): the stock driver lets DMA bypass the SMMU, the
# pKVM driver puts the devices in the hypervisor's identity domain.
boot_variants identity iommu.passthrough=1 "1:1,16:1,256:1,1:4" identity
# And with lazy unmapping (iommu.strict=0): DMA-FQ domains on both, whose
# unmaps leave the invalidation to the flush queue's next flush.
boot_variants lazy iommu.strict=0 "$rows" DMA-FQ

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
if [ "$clock" = icount ]; then
	echo "dma_map_benchmark, QEMU -icount shift=4 -cpu max, pKVM protected mode; instructions" \
		"per call (guest time / 16 ns), median of $runs"
	echo "(four-thread rows: four vCPUs take turns on one host thread, so they count work"
	echo " and contention, not parallel speed)"
else
	echo "dma_map_benchmark, QEMU TCG -cpu max, pKVM protected mode; latency in us, median of $runs"
fi
plots=$BUILD/bench
mkdir -p "$plots"
awk -v pkvm="$logs/bench-pkvm.rows" -v dat="$plots/bench.dat" -v scale="$scale" -v unit="$unit" '
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
function sc(x) { return x == "" ? "" : x * scale }
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
		       g[2], a * scale, b * scale, f(sc(fm)), f(sc(fu)), f(sc(m)), f(sc(u)),
		       r(a, m), r(b, u), r(fm, m), r(fu, u)
		if (g[2] == 1) { s1[g[1]] = a; u1[g[1]] = b; p1[g[1]] = m; q1[g[1]] = u }
		# For the plot: "-" where a figure is missing
		printf "\"%s pg, %s thr\" %s %s %s %s %s %s\n", g[1], g[2], a * scale, b * scale,
		       fm == "" ? "-" : sc(fm), fu == "" ? "-" : sc(fu), m == "" ? "-" : sc(m),
		       u == "" ? "-" : sc(u) > dat
	}
	if ((1 in s1) && (256 in s1) && p1[1] != "" && p1[256] != "")
		printf "per page, one thread (from 1 to 256 pages): map %.1f %s stock, %.1f pKVM (%.2fx); unmap %.1f stock, %.1f pKVM (%.2fx)\n",
		       (s1[256] - s1[1]) / 255 * scale, unit, (p1[256] - p1[1]) / 255 * scale,
		       (p1[256] - p1[1]) / (s1[256] - s1[1]), (u1[256] - u1[1]) / 255 * scale,
		       (q1[256] - q1[1]) / 255 * scale, (q1[256] - q1[1]) / (u1[256] - u1[1])
	if (1 in null)
		printf "null hypercall (refused at argument checking): %.1f %s on one CPU, %.1f each with every CPU calling\n", null[1] * scale, unit, null[4] * scale
	if (cas_ns != "")
		printf "this CPU: a compare-and-swap (LSE CASAL) takes %.1f ns, a store %.1f ns; the hypervisor makes 2 per 4KiB page mapped or unmapped\n", cas_ns, store_ns
	if (null_busy != "")
		printf "null hypercall while the NVMe disk streams 1MiB reads: %.1f %s on one CPU\n", null_busy * scale, unit
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
[ "$clock" != icount ] ||
	echo "(read rates are not instruction time: with sleep=off the guest clock jumps while every vCPU waits for the disk, so they vary from run to run; BENCH_CLOCK=tcg for rates)"

if [ -f "$logs/calls.rows" ]; then
	echo
	echo "pKVM, per iommu_map() and iommu_unmap() of 256 at distinct IOVAs (as dma-iommu calls them):"
	echo "hypercalls counted by the driver, SMMU register accesses by QEMU's trace"
	awk 'BEGIN { printf "%9s | %15s %9s | %15s %9s\n", "granule", "map hypercalls", "MMIO",
		     "unmap hypercalls", "MMIO" }
	     { printf "%6s pg | %15s %9s | %15s %9s\n", $2, $3, $5, $4, $6 }' "$logs/calls.rows"
	echo "(a map hypercall beyond one per map is a retry after a top-up of the memcache)"
fi

# awk functions of the identity and lazy tables: the median of a row's runs,
# a ratio, and load(), which reads a .rows file into map, unmap and I/O
# figures keyed by row, the first file setting the rows' order.
rows_awk='
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

'

if [[ $variants == *pkvm* ]]; then
	echo
	echo "Identity domains (iommu.passthrough=1): stock bypass vs pKVM identity domain, median of $runs"
	if [ "$clock" = icount ]; then
		echo "(instructions per call; dma_map_benchmark reports steps of 0.1 us, 6.25 instructions)"
	else
		echo "(latency in us, as dma_map_benchmark reports it: in steps of 0.1 us)"
	fi
	awk -v p="$logs/bench-pkvm-identity.rows" -v scale="$scale" "$rows_awk"'
	BEGIN {
		load(ARGV[1], sm, su, sio, 1); load(p, pm, pu, pio, 0); ARGV[1] = ""
		printf "%-16s | %9s %9s | %9s %9s | %7s %7s\n", "", "stock map", "unmap", "pKVM map", "unmap", "/stock", "unmap"
		for (i = 1; i <= nk; i++) {
			k = order[i]
			printf "%-16s | %9.1f %9.1f | %9.1f %9.1f | %7s %7s\n", k, med(sm[k]) * scale,
			       med(su[k]) * scale, med(pm[k]) * scale, med(pu[k]) * scale,
			       r(med(sm[k]), med(pm[k])), r(med(su[k]), med(pu[k]))
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

if [[ $variants == *pkvm* ]]; then
	echo
	echo "Lazy unmapping (iommu.strict=0, DMA-FQ domains): stock vs pKVM, median of $runs," \
		"and each side's strict/lazy ratio"
	[ "$clock" != icount ] || echo "(instructions per call)"
	awk -v p="$logs/bench-pkvm-lazy.rows" -v ss="$logs/bench-stock.rows" \
	    -v ps="$logs/bench-pkvm.rows" -v scale="$scale" "$rows_awk"'
	BEGIN {
		load(ARGV[1], sm, su, sio, 1); load(p, pm, pu, pio, 0)
		load(ss, xm, xu, xio, 0); load(ps, ym, yu, yio, 0); ARGV[1] = ""
		printf "%-16s | %9s %9s | %9s %9s | %7s %7s | %13s %13s\n", "", "stock map", "unmap",
		       "pKVM map", "unmap", "/stock", "unmap", "stock unmap", "pKVM unmap"
		printf "%-16s | %19s | %19s | %15s | %27s\n", "", "lazy", "lazy", "", "strict/lazy"
		for (i = 1; i <= nk; i++) {
			k = order[i]
			printf "%-16s | %9.1f %9.1f | %9.1f %9.1f | %7s %7s | %13s %13s\n", k,
			       med(sm[k]) * scale, med(su[k]) * scale, med(pm[k]) * scale,
			       med(pu[k]) * scale, r(med(sm[k]), med(pm[k])), r(med(su[k]), med(pu[k])),
			       r(med(su[k]), med(xu[k])), r(med(pu[k]), med(yu[k]))
		}
		printf "%-30s | %10s | %10s | %7s | %13s %13s\n", "NVMe O_DIRECT reads", "stock",
		       "pKVM", "/stock", "stock lazy", "pKVM lazy"
		printf "%-30s | %10s | %10s | %7s | %27s\n", "", "lazy", "lazy", "", "/strict"
		split("rand seq", kinds, " "); split("4KiB random, 4 threads (IOPS)|1MiB sequential (MB/s)", what, "|")
		for (i = 1; i <= 2; i++) {
			a = med(sio[kinds[i], i]); b = med(pio[kinds[i], i])
			printf "%-30s | %10.1f | %10.1f | %7s | %13s %13s\n", what[i], a, b, r(a, b),
			       r(med(xio[kinds[i], i]), a), r(med(yio[kinds[i], i]), b)
		}
	}' "$logs/bench-stock-lazy.rows"
	grep -o "deferred_pages [0-9]*" "$logs/bench-pkvm-lazy.log" | tail -1 |
		awk '{ printf "pKVM: %d pages waiting at the hypervisor for a flush as the last row ended (deferred_pages; at most 1024 per domain)\n", $2 }'
fi

# The table as a plot: latency per row, stock, floor and pKVM side by side.
if command -v gnuplot >/dev/null; then
	gnuplot <<-PLOT || die "gnuplot could not draw $plots/bench.svg"
	set terminal svg size 1100,520 dynamic noenhanced font "sans,11"
	set output "$plots/bench.svg"
	set datafile missing "-"
	set multiplot layout 1,2 title "dma_map_benchmark under QEMU $clock -cpu max, median of $runs"
	set style data histograms
	set style histogram clustered gap 1
	set style fill solid 0.8 border -1
	set logscale y
	set ylabel "$( [ "$clock" = icount ] && echo "instructions per call" || echo "latency (us)")"
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
