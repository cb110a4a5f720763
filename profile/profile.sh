#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make profile: where the instructions of one bench row go, function by
# function, at EL1 and EL2. The row (ROW, default 1:1, pages:threads) runs
# in instruction time (QEMU -icount) on the pKVM kernel without debug
# options, under the insn-count plugin, twice: for 1 and for 3 seconds.
# The difference of the two counts is what two seconds of the row
# executed, without the boot; it is divided by the calls of PER (default
# the map hypercall's handler) and printed per function. ANNOTATE=SYMBOL
# also prints that function's instructions with their counts per call.
# KERNEL=stock profiles the stock driver's kernel instead (give PER a
# function of its own, e.g. arm_smmu_map_pages).
#
# The plugin needs QEMU's plugin header, which Debian ships only in the
# source package: it is taken from there, for the QEMU installed.
set -euo pipefail
. "$(dirname "$0")/../scripts/common.sh"

row=${ROW:-1:1}
per=${PER:-__kvm_nvhe_handle___pkvm_host_iommu_map_pages}
out=$BUILD/profile
mkdir -p "$out"
need_deps

# QEMU's plugin API header, from the Debian source of the QEMU installed
qver=$(dpkg-query -W -f '${Version}' qemu-system-arm 2>/dev/null) ||
	die "qemu-system-arm is not installed; run 'make deps'"
header=$out/qemu-$qver/qemu-plugin.h
if [ ! -f "$header" ]; then
	upstream=${qver#*:}
	upstream=${upstream%-*}
	tarball=qemu_$upstream.orig.tar.xz
	echo "profile: fetching $tarball from the Debian archive for QEMU's plugin header"
	curl -sfL -o "$out/$tarball" "http://deb.debian.org/debian/pool/main/q/qemu/$tarball" ||
		die "could not fetch $tarball from deb.debian.org; the plugin needs QEMU's include/qemu/qemu-plugin.h"
	mkdir -p "$(dirname "$header")"
	tar -xJf "$out/$tarball" -O --wildcards '*/include/qemu/qemu-plugin.h' > "$header" ||
		die "$tarball has no include/qemu/qemu-plugin.h"
	rm -f "$out/$tarball"
fi
pkg-config --exists glib-2.0 ||
	die "the plugin needs glib's headers: apt-get install libglib2.0-dev"
plugin=$out/insn-count.so
gcc -O2 -shared -fPIC -Wall -I"$(dirname "$header")" $(pkg-config --cflags glib-2.0) \
	"$top/profile/insn-count.c" -o "$plugin"

case ${KERNEL:-pkvm} in
pkvm) kdir=nodebug ;;
stock) kdir=bench-stock ;;
*) die "KERNEL is '$KERNEL': pkvm or stock" ;;
esac
make -s -C "$top" kernel "build/out/$kdir/.built"

for s in 1 3; do
	echo "profile: row $row for ${s}s on the $kdir kernel, counting every instruction"
	rc=0
	QEMU_EXTRA="-icount shift=4,sleep=off -plugin $plugin,out=$out/counts-$s.txt" \
		"$top/scripts/qemu.sh" -c max -m bench -t 900 -l "$out/console-$s.log" \
		-k "$BUILD/out/$kdir/arch/arm64/boot/Image" -i "$BUILD/initramfs-test.cpio.gz" \
		-a "nokaslr bench_args=$row bench_seconds=$s bench_io_runs=0" || rc=$?
	[ "$rc" = 0 ] && grep -q '^bench: done' "$out/console-$s.log" ||
		die "the ${s}s boot did not finish its bench (exit $rc); see $out/console-$s.log"
done
"$top/profile/symbolize.py" "$BUILD/out/$kdir/vmlinux" "$out/counts-1.txt" \
	"$out/counts-3.txt" --per "$per" --top "${TOP:-40}" ${ANNOTATE:+--annotate "$ANNOTATE"}
