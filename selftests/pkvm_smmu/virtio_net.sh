#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Network traffic through the IOMMU: a DHCP exchange over the virtio-net
# device, whose rings and buffers the device reaches through its IOMMU
# domain. Passes when the lease is obtained, packets came in and went out,
# and the device's IOMMU group translates, or is the hypervisor's identity
# domain in a boot that asked for it.
ksft_skip=4

dev=
for d in /sys/class/net/*; do
	drv=$(readlink "$d/device/driver" 2>/dev/null) || continue
	[ "${drv##*/}" = virtio_net ] && dev=${d##*/} && break
done
if [ -z "$dev" ]; then
	echo "SKIP: no virtio-net device"
	exit $ksft_skip
fi
if ! command -v udhcpc >/dev/null; then
	echo "SKIP: no udhcpc (busybox) to make DHCP traffic"
	exit $ksft_skip
fi

pci=$(readlink -f "/sys/class/net/$dev/device/..")
group=$(readlink "$pci/iommu_group" 2>/dev/null) || {
	echo "FAIL: $dev (${pci##*/}) has no IOMMU group"
	exit 1
}
type=$(cat "$pci/iommu_group/type")
hyp_stats=/sys/kernel/debug/pkvm-smmu/hyp_stats
case $type in
DMA|DMA-FQ) ;;
identity)
	# Only where asked for, and held by the hypervisor
	grep -qw iommu.passthrough=1 /proc/cmdline &&
		[ "$(awk '$1 == "identity_table_pages" { print $2 }' "$hyp_stats")" -gt 0 ] || {
		echo "FAIL: $dev: identity group ${group##*/}, not asked for or not held"
		exit 1
	}
	;;
*) echo "FAIL: $dev's IOMMU group ${group##*/} is '$type', not translated"; exit 1 ;;
esac

stats=/sys/class/net/$dev/statistics
rx0=$(cat "$stats/rx_packets") tx0=$(cat "$stats/tx_packets")
lease=$(mktemp)
script=$(mktemp)
trap 'rm -f "$lease" "$script"' EXIT
printf '#!/bin/sh\n[ "$1" = bound ] && echo "$ip" > %s\nexit 0\n' "$lease" > "$script"
chmod +x "$script"

ip link set "$dev" up
if ! udhcpc -i "$dev" -n -q -t 5 -T 2 -s "$script" >/dev/null 2>&1; then
	echo "FAIL: no DHCP lease on $dev"
	exit 1
fi
rx=$(($(cat "$stats/rx_packets") - rx0)) tx=$(($(cat "$stats/tx_packets") - tx0))
echo "$dev (${pci##*/}, IOMMU group ${group##*/}, $type): lease $(cat "$lease"), $tx packets out, $rx in"
if [ -z "$(cat "$lease")" ] || [ "$rx" -lt 1 ] || [ "$tx" -lt 1 ]; then
	echo "FAIL: no traffic through $dev"
	exit 1
fi
echo "PASS"
