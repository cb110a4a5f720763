#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make configs: the series in the configurations integrators start from,
# with CONFIG_ARM_SMMU_V3_PKVM=y added: arm64 defconfig, and Debian's arm64
# config (package linux-config-6.12 of the Debian release whose
# linux-source is the base, fetched from the Debian archive). Each must
# configure with the option on, and build Image and modules without a
# compiler warning. Then the defconfig kernel, with the test options of
# configs/configs-boot.config, boots in QEMU on -cpu max (hVHE) and
# cortex-a72 (nVHE) and runs the kselftests, as make check does.
#
# Long on two cores (a whole distribution kernel): not part of make check.
# Debian's config is taken as it is but for what a build outside Debian's
# packaging cannot have: its signing certificates, and BTF (which needs
# pahole); debug info is off to keep the build short. CONFIGS_DEBIAN=series
# builds, of Debian's thousands of modules, only those of the directories
# the series changes (Image still links everything built in): about a
# third of the time.
#
#   scripts/configs.sh [defconfig|debian|boot]...   default: all three
set -euo pipefail
. "$(dirname "$0")/common.sh"

steps=${*:-defconfig debian boot}
logs=$BUILD/logs
mkdir -p "$logs"
make -s -C "$top" kernel

# Debian's arm64 config of the linux-source installed, from its .deb.
debian_config() {
	local ver deb url dir=$BUILD/linux-config
	ver=$(dpkg-query -W -f '${Version}' "linux-source-$BASE_SERIES") ||
		die "linux-source-$BASE_SERIES is not installed; run 'make deps'"
	deb=linux-config-${BASE_SERIES}_${ver}_arm64.deb
	if [ ! -f "$dir/$deb" ]; then
		mkdir -p "$dir"
		for url in "http://deb.debian.org/debian-security/pool/updates/main/l/linux-$BASE_SERIES" \
			   "http://deb.debian.org/debian/pool/main/l/linux-$BASE_SERIES" \
			   "http://deb.debian.org/debian/pool/main/l/linux"; do
			curl -sfL -o "$dir/$deb.tmp" "$url/$deb" && break
		done
		[ -s "$dir/$deb.tmp" ] ||
			die "could not fetch $deb from deb.debian.org (Debian's arm64 config of $ver)"
		mv "$dir/$deb.tmp" "$dir/$deb"
	fi
	dpkg-deb --fsys-tarfile "$dir/$deb" |
		tar -xO "./usr/src/linux-config-$BASE_SERIES/config.arm64_none_arm64.xz" | xz -dc
}

# Configure build/out/cfg-NAME from a base config and the option, check
# that the option survived, build, and fail on any compiler warning.
build_config() {
	local name=$1 out=$BUILD/out/cfg-$1 log=$logs/configs-$1.log start warnings
	local modules=modules what="Image and modules"
	shift
	if [ "$name" = debian ] && [ "${CONFIGS_DEBIAN:-full}" = series ]; then
		modules="drivers/iommu/ drivers/perf/ arch/arm64/kvm/"
		what="Image and the modules of $modules"
	fi
	mkdir -p "$out"
	case $name in
	defconfig)
		make -s -C "$LINUX" O="$out" ARCH=arm64 CROSS_COMPILE=$CROSS defconfig ;;
	debian)
		debian_config > "$out/.config"
		"$LINUX/scripts/config" --file "$out/.config" \
			--set-str SYSTEM_TRUSTED_KEYS "" --set-str SYSTEM_REVOCATION_KEYS "" \
			--disable DEBUG_INFO_BTF --disable DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT \
			--enable DEBUG_INFO_NONE ;;
	esac
	KCONFIG_CONFIG="$out/.config" "$LINUX/scripts/kconfig/merge_config.sh" -m -O "$out" \
		"$out/.config" "$@" >/dev/null
	make -s -C "$LINUX" O="$out" ARCH=arm64 CROSS_COMPILE=$CROSS olddefconfig >/dev/null
	grep -qx CONFIG_ARM_SMMU_V3_PKVM=y "$out/.config" ||
		die "$name: CONFIG_ARM_SMMU_V3_PKVM=y did not survive olddefconfig; its dependencies:" \
			"$(grep -E '^CONFIG_(KVM|ARM_SMMU_V3|ARM64_4K_PAGES)=' "$out/.config" | tr '\n' ' ')"
	echo "configs: $name: $(grep -E '^CONFIG_(ARM_SMMU_V3|ARM_SMMU_V3_PMU|ARM_SMMU_V3_PKVM)=' \
		"$out/.config" | tr '\n' ' ')"
	echo "configs: building $name $what (make -j$JOBS, log: $log)"
	start=$(date +%s)
	{ make -C "$LINUX" O="$out" ARCH=arm64 CROSS_COMPILE=$CROSS -j"$JOBS" Image &&
	  make -C "$LINUX" O="$out" ARCH=arm64 CROSS_COMPILE=$CROSS -j"$JOBS" $modules; } \
		> "$log" 2>&1 || { tail -20 "$log"; die "$name: the build failed (log: $log)"; }
	warnings=$(grep -c 'warning:' "$log" || true)
	echo "configs: $name built in $(( $(date +%s) - start )) s, $warnings compiler warnings," \
	     "$(find "$out" -name '*.mod' | wc -l) modules compiled," \
	     "$(find "$out" -name '*.ko' | wc -l) linked"
	[ "$warnings" = 0 ] || { grep 'warning:' "$log" | head; die "$name: compiler warnings (log: $log)"; }
}

for step in $steps; do
	case $step in
	defconfig)
		build_config defconfig "$top/configs/configs-boot.config" ;;
	debian)
		build_config debian ;;
	boot)
		image=$BUILD/out/cfg-defconfig/arch/arm64/boot/Image
		[ -f "$image" ] || die "no defconfig kernel to boot; run 'scripts/configs.sh defconfig'"
		passed=0 failed=0
		for cpu in max cortex-a72; do
			case $cpu in max) expect=hVHE ;; *) expect=nVHE ;; esac
			log=$logs/configs-boot-$cpu.log
			rc=0
			"$top/scripts/qemu.sh" -c "$cpu" -m check -t 900 -l "$log" -k "$image" \
				-i "$BUILD/initramfs-test.cpio.gz" || rc=$?
			"$top/scripts/judge.py" check "$log" --rc "$rc" --timeout 900 \
				--label "defconfig, $cpu" --expect-mode "$expect" --expect-stage 2 \
				--results "$logs/results-configs-$cpu"
			read -r ok bad < "$logs/results-configs-$cpu" || { ok=0; bad=1; }
			passed=$((passed + ok)) failed=$((failed + bad))
		done
		echo "configs: defconfig boots: $passed passed, $failed failed"
		[ "$failed" = 0 ] || die "the defconfig kernel failed kselftests (logs: $logs/configs-boot-*.log)"
		;;
	*) die "unknown step '$step': defconfig, debian or boot" ;;
	esac
done
