#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The demo: boot the bench machine with pKVM in protected mode, report which
# driver owns each SMMU and each PCI device's IOMMU group, push random data
# through the NVMe and virtio-blk disks and verify it.
#
#   scripts/run.sh IMAGE INITRD
set -euo pipefail
. "$(dirname "$0")/common.sh"

image=$1 initrd=$2 cpu=${CPU:-max}
case $cpu in max) expect=hVHE ;; *) expect=nVHE ;; esac
logs=$BUILD/logs
mkdir -p "$logs"
log=$logs/run-$cpu.log
timeout_s=${RUN_TIMEOUT:-600}

echo "run: booting the bench machine (-cpu $cpu, kvm-arm.mode=protected)"
rc=0
"$top/scripts/qemu.sh" -c "$cpu" -m run -k "$image" -i "$initrd" \
	-t "$timeout_s" -l "$log" -a "demo_iters=${DEMO_ITERS:-128}" || rc=$?
echo "run: report"
if "$top/scripts/judge.py" run "$log" --rc "$rc" --timeout "$timeout_s" \
	--label "$cpu" --expect-mode "$expect" --smmu-driver arm-smmu-v3-kvm; then
	echo "run: PASS: pKVM $expect protected mode owns the SMMU, DMA verified on every disk"
else
	die "FAIL: see the reasons above; the console log is $log"
fi
