#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make configs: the series in the configurations integrators start from,
# with CONFIG_ARM_SMMU_V3_PKVM=y added: arm64 defconfig, and Debian's arm64
# config (package linux-config-6.12 of the Debian release whose
# linux-source is the base, fetched from the Debian archive). Each must
# configure with the option on, and build Image and modules without a
# compiler or modpost warning. Debian builds ARM_SMMU_V3 in; its config is built
# again with ARM_SMMU_V3=m, which Kconfig allows beside the option. Then the
# defconfig kernel, with the test options of
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

# The modules each configuration builds: all of them, or with
# CONFIGS_DEBIAN=series those of the directories the series changes.
modules_of() {
	if [ "$1" = debian ] && [ "${CONFIGS_DEBIAN:-full}" = series ]; then
		echo "drivers/iommu/ drivers/perf/ arch/arm64/kvm/"
	else
		echo modules
	fi
}

# Bring build/out/cfg-NAME's .config up to date, check that the option
# survived and print the SMMUv3 options as configured.
check_config() {
	local name=$1 label=$2 out=$BUILD/out/cfg-$1
	make -s -C "$LINUX" O="$out" ARCH=arm64 CROSS_COMPILE=$CROSS olddefconfig >/dev/null
	grep -qx CONFIG_ARM_SMMU_V3_PKVM=y "$out/.config" ||
		die "$label: CONFIG_ARM_SMMU_V3_PKVM=y did not survive olddefconfig; its dependencies:" \
			"$(grep -E '^CONFIG_(KVM|ARM_SMMU_V3|ARM64_4K_PAGES)=' "$out/.config" | tr '\n' ' ')"
	echo "configs: $label: $(grep -E '^CONFIG_(ARM_SMMU_V3|ARM_SMMU_V3_PMU|ARM_SMMU_V3_PKVM)=' \
		"$out/.config" | tr '\n' ' ')"
}

# Build Image and modules in build/out/cfg-NAME (incrementally), and fail
# on any compiler warning or modpost warning (a section mismatch, say).
build() {
	local name=$1 label=$2 log=$logs/configs-$3.log out=$BUILD/out/cfg-$1 start warnings
	local modules orders kos
	modules=$(modules_of "$name")
	# The modules this configuration builds, from kbuild's own lists (not
	# from the files an earlier configuration of the tree left behind).
	orders=modules.order
	[ "$modules" = modules ] || orders=$(printf '%smodules.order ' $modules)
	echo "configs: building $label: Image and ${modules/#modules/all modules}" \
	     "(make -j$JOBS, log: $log)"
	start=$(date +%s)
	# Directory targets compile modules without linking them: then the
	# modules of those directories are linked one by one (modpost included).
	# shellcheck disable=SC2086 # $modules and $orders are lists
	{ make -C "$LINUX" O="$out" ARCH=arm64 CROSS_COMPILE=$CROSS -j"$JOBS" Image &&
	  make -C "$LINUX" O="$out" ARCH=arm64 CROSS_COMPILE=$CROSS -j"$JOBS" $modules &&
	  if [ "$modules" != modules ]; then
		make -C "$LINUX" O="$out" ARCH=arm64 CROSS_COMPILE=$CROSS -j"$JOBS" \
			$(cd "$out" && sed 's/\.o$/.ko/' $orders)
	  fi; } > "$log" 2>&1 || { tail -20 "$log"; die "$label: the build failed (log: $log)"; }
	warnings=$(grep -cE 'warning:|WARNING: modpost' "$log" || true)
	# shellcheck disable=SC2086
	kos=$(cd "$out" && sed 's/\.o$/.ko/' $orders)
	echo "configs: $label built in $(( $(date +%s) - start )) s, $warnings compiler or modpost warnings," \
	     "$(echo "$kos" | grep -c .) modules, $(cd "$out" && ls $kos 2>/dev/null | wc -l) linked"
	[ "$warnings" = 0 ] || { grep -E 'warning:|WARNING: modpost' "$log" | head
				 die "$label: compiler or modpost warnings (log: $log)"; }
}

# Configure build/out/cfg-NAME from a base config, the option and the
# fragments given, and build it.
build_config() {
	local name=$1 out=$BUILD/out/cfg-$1
	shift
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
		"$out/.config" "$top/configs/configs-option.config" "$@" >/dev/null
	check_config "$name" "$name"
	build "$name" "$name" "$name"
}

# The option is a bool on a tristate: with ARM_SMMU_V3=m it may still be y
# (Kconfig gives a bool the value y where its dependency is m), and the
# kernel must link, for it uses no symbol of that module. Debian ships
# ARM_SMMU_V3=y, but a configuration may make it a module. Rebuilt in the
# same tree: only what depends on that option is compiled again.
build_smmu_v3_module() {
	local name=$1 out=$BUILD/out/cfg-$1
	"$LINUX/scripts/config" --file "$out/.config" --module ARM_SMMU_V3
	check_config "$name" "$name, ARM_SMMU_V3=m"
	rm -f "$out/drivers/iommu/arm/arm-smmu-v3/arm_smmu_v3.ko"
	grep -qx CONFIG_ARM_SMMU_V3=m "$out/.config" ||
		die "$name: ARM_SMMU_V3=m did not survive olddefconfig"
	build "$name" "$name, ARM_SMMU_V3=m" "$name-smmu-v3-m"
	[ -f "$out/drivers/iommu/arm/arm-smmu-v3/arm_smmu_v3.ko" ] ||
		die "$name, ARM_SMMU_V3=m: arm_smmu_v3.ko was not built"
}

for step in $steps; do
	case $step in
	defconfig)
		build_config defconfig "$top/configs/configs-boot.config" ;;
	debian)
		build_config debian
		build_smmu_v3_module debian ;;
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
