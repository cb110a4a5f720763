#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the guest initramfs: busybox, the init script, the kselftests of the
# applied series installed by the kselftest makefiles (static binaries), the
# dma_map_benchmark tool and the block read-rate and compare-and-swap tools
# of make bench.
#
#   scripts/initramfs.sh KERNEL_OUT OUTPUT.cpio.gz
set -euo pipefail
. "$(dirname "$0")/common.sh"

kout=$(realpath "$1")
output=$(realpath -m "$2")
stage=$BUILD/initramfs
ksout=$BUILD/kselftest

[ -d "$kout/usr/include" ] || die "$kout has no installed headers; run 'make kernel'"
rm -rf "$stage"
mkdir -p "$stage"/{bin,usr/bin,proc,sys,dev,tmp,bench}

make -s -C "$LINUX/tools/testing/selftests" ARCH=arm64 CROSS_COMPILE=$CROSS \
	O="$ksout" KHDR_INCLUDES="-isystem $kout/usr/include" LDFLAGS=-static \
	TARGETS=pkvm_smmu INSTALL_PATH="$stage/kselftest" install >/dev/null ||
	die "building the kselftests failed"

${CROSS}gcc -static -O2 -Wall -I"$kout/usr/include" -I"$LINUX/include" \
	-o "$stage/bench/dma_map_benchmark" \
	"$LINUX/tools/testing/selftests/dma/dma_map_benchmark.c" ||
	die "building dma_map_benchmark failed"
${CROSS}gcc -static -O2 -Wall -Werror -pthread -o "$stage/bench/iorate" "$top/guest/iorate.c" ||
	die "building iorate failed"
# LSE atomics, as the kernel and the hypervisor use them on such CPUs
${CROSS}gcc -static -O2 -Wall -Werror -march=armv8.1-a -o "$stage/bench/casrate" \
	"$top/guest/casrate.c" || die "building casrate failed"

cp "$BUILD/busybox/bin/busybox" "$stage/bin/busybox"
cp "$top/guest/init" "$stage/init"
cp "$top/guest/timeout" "$stage/usr/bin/timeout"

(cd "$stage" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --owner=0:0 --quiet) | gzip -9n > "$output.tmp"
mv "$output.tmp" "$output"
echo "initramfs: $output ($(du -h "$output" | cut -f1))"
