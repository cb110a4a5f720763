#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: host unit tests, series consistency, checkpatch, the kernel
# build, and the kselftests in QEMU in both CPU variants. Ends with one line
# "N passed, N failed" and fails when anything failed.
set -uo pipefail
. "$(dirname "$0")/common.sh"

logs=$BUILD/logs
mkdir -p "$logs"
passed=0 failed=0
pass() { echo "ok   $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }
section() { echo; echo "== $*"; }

section "host unit tests"
if make -k -s -C "$top/unittests" > "$logs/unittests.log" 2>&1; then ut_rc=0; else ut_rc=$?; fi
grep -E '^(ok|not ok) ' "$logs/unittests.log" | sed 's/^/  /'
n_ok=$(grep -c '^ok ' "$logs/unittests.log")
n_bad=$(grep -c '^not ok ' "$logs/unittests.log")
passed=$((passed + n_ok)) failed=$((failed + n_bad))
if [ "$ut_rc" != 0 ] && [ "$n_bad" = 0 ]; then
	tail -20 "$logs/unittests.log"
	fail "unit tests did not run to completion (log: $logs/unittests.log)"
fi

section "fuzzing the IOMMU core"
if out=$("$top/scripts/fuzz.sh" --replay 2>&1); then
	pass "${out##*$'\n'}"
else
	printf '%s\n' "$out" | tail -20
	fail "fuzz corpus replay"
fi
if out=$(FUZZ_SECONDS=${CHECK_FUZZ_SECONDS:-30} "$top/scripts/fuzz.sh" 2>&1); then
	pass "${out##*$'\n'}"
else
	printf '%s\n' "$out" | tail -20
	fail "bounded fuzz run"
fi
section "mutations of the hypervisor code (fast subset; make mutate runs all)"
if "$top/scripts/mutate.py" --fast > "$logs/mutate.log" 2>&1; then
	pass "$(tail -1 "$logs/mutate.log")"
	grep -E '^(caught|MISSED) ' "$logs/mutate.log" | sed 's/^/    /'
else
	grep -E '^(caught|MISSED|mutate:) ' "$logs/mutate.log" | sed 's/^/    /'
	tail -3 "$logs/mutate.log"
	fail "mutations missed or the mutation run failed (log: $logs/mutate.log)"
fi
section "series"
if "$top/scripts/series.sh" check > "$logs/series.log" 2>&1; then
	pass "patches/ matches the sources"
else
	cat "$logs/series.log"
	fail "patches/ is stale"
fi

section "EL2 size"
# What the series runs at EL2, for the record: not a pass or a fail.
echo "$("$top/scripts/el2-size.sh" | tail -1) (scripts/el2-size.sh lists them by file)"

section "checkpatch --strict"
for p in "$top"/patches/*.patch; do
	name=${p##*/}
	out=$(cd "$LINUX" && PATH=/usr/bin:$PATH ./scripts/checkpatch.pl --strict "$p" 2>&1)
	total=$(printf '%s\n' "$out" | grep '^total:')
	if printf '%s\n' "$total" | grep -q '^total: 0 errors'; then
		pass "checkpatch $name${total:+ ($total)}"
		printf '%s\n' "$out" | grep -E '^(WARNING|CHECK)' | sed 's/^/    /'
	else
		printf '%s\n' "$out" | sed 's/^/    /'
		fail "checkpatch $name"
	fi
done

section "kernel build"
test_config=("$top"/configs/pkvm-smmu.config "$top"/configs/pkvm.config
	     "$top"/configs/test.config "$top"/configs/debug.config "$top"/configs/acpi.config)
built=0
if make -s -C "$top" kernel > "$logs/kernel.log" 2>&1; then
	pass "kernel and initramfs build with the series applied"
	built=1
else
	tail -30 "$logs/kernel.log"
	fail "kernel build (log: $logs/kernel.log)"
fi
if [ $built = 1 ]; then
	while read -r line; do
		case $line in
		ok*) pass "${line#ok   }" ;;
		FAIL*) fail "${line#FAIL }" ;;
		*) echo "    $line" ;;
		esac
	done < <("$top/scripts/kernel.sh" build-each test "${test_config[@]}" 2>&1)
	if "$top/scripts/kernel.sh" build-w1 "${test_config[@]}" > "$logs/w1.log" 2>&1; then
		pass "no W=1 warnings in the series' hypervisor and driver code"
		if "$top/scripts/kernel.sh" static-checks > "$logs/static.log" 2>&1; then
			pass "no sparse or kernel-doc warnings in the series' files"
		else
			tail -30 "$logs/static.log"
			fail "sparse and kernel-doc on the series' files (log: $logs/static.log)"
		fi
	else
		tail -30 "$logs/w1.log"
		fail "W=1 build of the series' code (log: $logs/w1.log)"
	fi
	# The SMMU-read boots also run the kernel users build: no debug options.
	if make -s -C "$top" kernel-nodebug > "$logs/kernel-nodebug.log" 2>&1; then
		pass "kernel without debug options builds"
		section "instruction-time bench (budgets: scripts/bench-budgets)"
		if "$top/scripts/bench.sh" --gate > "$logs/bench-gate.log" 2>&1; then
			sed -n '/^  *granule/,$p' "$logs/bench-gate.log" | sed 's/^/    /'
			pass "pKVM/stock within budget in instruction time, one thread"
		else
			tail -12 "$logs/bench-gate.log" | sed 's/^/    /'
			fail "instruction-time bench over budget or failed (log: $logs/bench-gate.log)"
		fi
	else
		tail -30 "$logs/kernel-nodebug.log"
		fail "kernel without debug options (log: $logs/kernel-nodebug.log)"
	fi
fi

# cortex-a53 has a 40-bit physical address range, below the SMMU's 44 bits,
# as most phone cores: the identity domain must end where the CPU's range
# does, so it boots with identity domains.
for cpu in max cortex-a72 cortex-a53; do
	section "kselftests in QEMU, -cpu $cpu"
	if [ $built = 0 ]; then
		fail "kselftests -cpu $cpu: not run, the kernel did not build"
		continue
	fi
	case $cpu in max) expect=hVHE ;; *) expect=nVHE ;; esac
	pa_bits=
	[ "$cpu" = cortex-a53 ] && pa_bits=40
	timeout_s=${CHECK_TIMEOUT:-900}
	# The SMMU with both stages (the driver uses stage 2), then with
	# stage 1 only; then devices in identity domains (iommu.passthrough=1),
	# with both stages on both CPUs and with stage 1 on -cpu max; then
	# lazy unmapping (iommu.strict=0, DMA-FQ domains) on both CPUs; and
	# on -cpu max through UEFI with ACPI, the SMMU described by the IORT,
	# which has no PMCG: the case that needs one may skip there.
	boots="nested 1 nested:identity nested:lazy"
	[ "$cpu" = max ] && boots="$boots 1:identity nested:acpi"
	[ "$cpu" = cortex-a53 ] && boots="nested:identity"
	for boot in $boots; do
		stages=${boot%%:*}
		case $stages in nested) stage=2 tag=$cpu ;; *) stage=1 tag=$cpu-s1 ;; esac
		args= what="stage $stage" fw=dt allow=()
		case $boot in
		*:identity)
			args=iommu.passthrough=1 tag=$tag-identity what="$what, identity domains" ;;
		*:lazy)
			args=iommu.strict=0 tag=$tag-lazy what="$what, lazy unmapping" ;;
		*:acpi)
			fw=acpi tag=$tag-acpi what="$what, ACPI"
			allow=(--allow-skip map_pmcg_mmio) ;;
		esac
		log=$logs/check-$tag.log
		rc=0
		"$top/scripts/qemu.sh" -c "$cpu" -s "$stages" -m check -t "$timeout_s" -l "$log" \
			-k "$BUILD/out/test/arch/arm64/boot/Image" \
			-i "$BUILD/initramfs-test.cpio.gz" -a "$args" -b "$fw" || rc=$?
		"$top/scripts/judge.py" check "$log" --rc "$rc" --timeout "$timeout_s" \
			--label "$cpu, $what" --expect-mode "$expect" \
			--expect-stage "$stage" ${pa_bits:+--expect-pa-bits "$pa_bits"} \
			--results "$logs/results-$tag" "${allow[@]}"
		read -r ok bad < "$logs/results-$tag" || { ok=0; bad=1; }
		passed=$((passed + ok)) failed=$((failed + bad))
	done
	# Boots of their own, expected to die: the host reads the SMMU, from
	# the kernel and from user space (/dev/mem), in the test kernel and in
	# one without debug options.
	kernels="test nodebug"
	[ "$cpu" = cortex-a53 ] && kernels=
	for kernel in $kernels; do
		for mode in smmu_read smmu_read_user; do
			log=$logs/$mode-$cpu-$kernel.log
			image=$BUILD/out/$kernel/arch/arm64/boot/Image
			rc=0
			if [ ! -f "$image" ]; then
				fail "$mode, -cpu $cpu, $kernel kernel: not run, it did not build"
				continue
			fi
			"$top/scripts/qemu.sh" -c "$cpu" -m "$mode" -t 300 -l "$log" -k "$image" \
				-i "$BUILD/initramfs-test.cpio.gz" || rc=$?
			if "$top/scripts/judge.py" hyp-panic "$log" --rc "$rc" \
				--label "$cpu, $kernel kernel"; then
				passed=$((passed + 1))
			else
				failed=$((failed + 1))
			fi
		done
	done
done

echo
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
