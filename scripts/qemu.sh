#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the bench machine: QEMU virt with an SMMUv3 in front of the PCIe bus,
# pKVM in protected mode, and DMA masters behind the SMMU (NVMe, virtio-blk,
# virtio-net, a spare pci-testdev for dma_map_benchmark, and QEMU's edu
# device, whose DMA engine writes wherever the device-side tests tell it;
# its DMA mask is widened to 40 bits to reach all of RAM), and in the
# device tree an SMMU PMCG, which QEMU does not model, and a memory region
# that ends at a no-map carve-out, its last page reserved.
#
#   scripts/qemu.sh -c CPU -m MODE -k IMAGE -i INITRD [-s STAGES] [-t SECONDS] [-l LOG]
#                 [-a "ENV=VAL ..."] [-b dt|acpi]
#
# CPU is "max" (pKVM in hVHE mode), "cortex-a72" (classic nVHE) or
# "cortex-a53" (nVHE, with a physical address range smaller than the
# SMMU's, as on most phones). STAGES
# are the SMMU's translation stages: "nested" (both, the default) or "1"
# (stage 1 only, as QEMU's virt machines before 9.2 had it). MODE is
# what the guest init does (check, run, bench, shell). The boot (-b) is "dt"
# (the default: the kernel started directly, with the device tree below) or
# "acpi": through UEFI firmware (Debian's qemu-efi-aarch64) with
# acpi=force, so that the kernel finds the SMMU in QEMU's IORT, which has
# no PMCG; the kernel needs CONFIG_EFI and CONFIG_ACPI. Without a terminal the
# console goes to LOG and QEMU is killed after SECONDS; the exit status is
# QEMU's, or 124 on timeout. QEMU_EXTRA adds QEMU options (tracing, say).
set -euo pipefail
. "$(dirname "$0")/common.sh"

cpu=max mode=shell kernel= initrd= timeout_s=600 log= extra= stages=nested boot=dt
while getopts "c:m:k:i:s:t:l:a:b:" o; do
	case $o in
	c) cpu=$OPTARG ;;
	m) mode=$OPTARG ;;
	k) kernel=$OPTARG ;;
	i) initrd=$OPTARG ;;
	s) stages=$OPTARG ;;
	t) timeout_s=$OPTARG ;;
	l) log=$OPTARG ;;
	a) extra=$OPTARG ;;
	b) boot=$OPTARG ;;
	*) die "bad option" ;;
	esac
done
[ -f "$kernel" ] || die "no kernel image '$kernel'; run 'make kernel'"
[ -f "$initrd" ] || die "no initramfs '$initrd'; run 'make kernel'"

case $cpu in
max) cpuopt="max,pauth-impdef=on" ;;	# cheaper pointer auth under TCG
cortex-a72) cpuopt=cortex-a72 ;;
cortex-a53) cpuopt=cortex-a53 ;;	# a 40-bit physical address range, below the SMMU's 44
*) die "unknown CPU variant '$cpu' (max, cortex-a72 or cortex-a53)" ;;
esac

firmware=/usr/share/qemu-efi-aarch64/QEMU_EFI.fd
case $boot in
dt) ;;
acpi)
	[ -f "$firmware" ] || die "no UEFI firmware at $firmware; run 'make deps' (qemu-efi-aarch64)"
	extra="acpi=force $extra" ;;
*) die "unknown boot '$boot' (dt or acpi)" ;;
esac

case $stages in
nested) machine=virt ;;
1) machine=virt-9.1 ;;
*) die "unknown SMMU stages '$stages' (nested or 1)" ;;
esac

disks=$(mktemp -d "$BUILD/disks.XXXXXX")
trap 'rm -rf "$disks"' EXIT
truncate -s 64M "$disks/nvme.img" "$disks/vblk.img"

qemu=(qemu-system-aarch64
	-M "$machine",virtualization=on,iommu=smmuv3,gic-version=3
	-cpu "$cpuopt" -smp 4 -m 2G
	-nographic -no-reboot
	-kernel "$kernel" -initrd "$initrd"
	-append "console=ttyAMA0 kvm-arm.mode=protected panic=-1 bench_mode=$mode $extra"
	-drive "file=$disks/nvme.img,if=none,id=nvme0,format=raw"
	-device nvme,serial=pkvmsmmu0,drive=nvme0
	-drive "file=$disks/vblk.img,if=none,id=vblk0,format=raw"
	-device virtio-blk-pci,drive=vblk0,iommu_platform=on,disable-legacy=on
	-netdev user,id=net0
	-device virtio-net-pci,netdev=net0,iommu_platform=on,disable-legacy=on,romfile=
	-device pci-testdev
	-device edu,dma_mask=0xffffffffff)
# shellcheck disable=SC2206
[ -z "${QEMU_EXTRA:-}" ] || qemu+=($QEMU_EXTRA)

# QEMU's SMMUv3 has no performance monitor counter group: describe one in
# the machine's own device tree, at free MMIO, so that the hypervisor has
# one to take and the tests one to check. A no-map carve-out in RAM splits
# it into memory regions, the page below it reserved so that the kernel
# never uses it: the tests donate from there across the region's end.
"${qemu[@]}" -machine dumpdtb="$disks/virt.dtb" > "$disks/dumpdtb.log" 2>&1 ||
	die "QEMU could not write its device tree: $(tail -1 "$disks/dumpdtb.log")"
dtc -q -I dtb -O dts "$disks/virt.dtb" | sed '$d' > "$disks/virt.dts"
cat >> "$disks/virt.dts" <<DTS
	pmcg@90c0000 {
		compatible = "arm,smmu-v3-pmcg";
		reg = <0x00 0x90c0000 0x00 0x1000>;
	};
	reserved-memory {
		#address-cells = <0x02>;
		#size-cells = <0x02>;
		ranges;
		region-edge@9ffff000 {
			reg = <0x00 0x9ffff000 0x00 0x1000>;
		};
		carve-out@a0000000 {
			reg = <0x00 0xa0000000 0x00 0x200000>;
			no-map;
		};
	};
};
DTS
dtc -q -I dts -O dtb -o "$disks/pmcg.dtb" "$disks/virt.dts" ||
	die "dtc could not build the device tree with a PMCG and a carve-out"
if [ "$boot" = acpi ]; then
	qemu+=(-bios "$firmware")
else
	qemu+=(-dtb "$disks/pmcg.dtb")
fi

if [ "$mode" = shell ] && [ -t 0 ]; then
	"${qemu[@]}"
	exit
fi

rc=0
[ -n "$log" ] || log=/dev/stdout
timeout --foreground -k 10 "$timeout_s" "${qemu[@]}" < /dev/null > "$log" 2>&1 || rc=$?
exit $rc
