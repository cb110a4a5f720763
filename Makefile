# SPDX-License-Identifier: GPL-2.0
#
# Front end of the pKVM paravirtual SMMUv3 series and its QEMU bench.
#
#   make run           build the series into a kernel, boot it, run the DMA demo
#   make check         unit tests, series checks, build, kselftests in QEMU
#   make shell         boot the bench machine with an interactive shell
#   make bench         dma_map_benchmark table (stock SMMUv3 driver vs pKVM)
#   make fuzz          libFuzzer on the hypervisor's IOMMU core (FUZZ_SECONDS=60)
#   make mutate        every mutation of unittests/mutations.txt against the suites
#   make configs       the series in arm64 defconfig and Debian's config (long)
#   make series        regenerate patches/ from the sources
#   make series-check  fail when patches/ is stale
#   make kernel        apply patches/ to the pinned base with git am, build Image
#   make deps          install the Debian packages the bench needs (root)

B := build
TEST_OUT := $(B)/out/test
TEST_IMAGE := $(TEST_OUT)/arch/arm64/boot/Image
TEST_INITRD := $(B)/initramfs-test.cpio.gz
TEST_CONFIG := configs/pkvm-smmu.config configs/pkvm.config configs/test.config \
	configs/debug.config configs/acpi.config
# The test module in a kernel built as users build it, without debug options
NODEBUG_CONFIG := configs/pkvm-smmu.config configs/pkvm.config configs/test.config
PATCHES := $(sort $(wildcard patches/*.patch))

.PHONY: all deps need-deps series series-check kernel kernel-nodebug run shell check bench \
	profile fuzz mutate configs clean

all: run

deps:
	@scripts/deps.sh

need-deps:
	@scripts/deps.sh --check >/dev/null 2>&1 || scripts/deps.sh

series: need-deps
	@scripts/series.sh generate patches

series-check: need-deps
	@scripts/series.sh check

$(B)/.applied: $(PATCHES) scripts/base-version.sh | need-deps
	@scripts/kernel.sh apply
	@touch $@

$(TEST_OUT)/.built: $(B)/.applied $(TEST_CONFIG) | need-deps
	@scripts/kernel.sh build test $(TEST_CONFIG)
	@touch $@

$(B)/out/nodebug/.built: $(B)/.applied $(NODEBUG_CONFIG) | need-deps
	@scripts/kernel.sh build nodebug $(NODEBUG_CONFIG)
	@touch $@

# Benchmark kernels, without the hypervisor debug options: bench-stock has
# the stock arm-smmu-v3 driver; make bench runs the pKVM driver on the
# nodebug kernel, whose test module measures the cost of a null hypercall.
$(B)/out/bench-%/.built: $(B)/.applied configs/pkvm-smmu.config configs/%.config | need-deps
	@scripts/kernel.sh build bench-$* configs/pkvm-smmu.config configs/$*.config
	@touch $@

$(TEST_INITRD): $(TEST_OUT)/.built $(wildcard guest/*) scripts/initramfs.sh | need-deps
	@scripts/initramfs.sh $(TEST_OUT) $@

kernel: $(TEST_OUT)/.built $(TEST_INITRD)

kernel-nodebug: $(B)/out/nodebug/.built

run: kernel
	@scripts/run.sh $(TEST_IMAGE) $(TEST_INITRD)

shell: kernel
	@scripts/qemu.sh -c $(or $(CPU),max) -m shell -k $(TEST_IMAGE) -i $(TEST_INITRD)

check: need-deps
	@scripts/check.sh

bench: need-deps
	@scripts/bench.sh

configs: need-deps
	@scripts/configs.sh

profile: need-deps
	@profile/profile.sh

fuzz: need-deps
	@scripts/fuzz.sh

mutate: need-deps
	@scripts/base.sh
	@scripts/mutate.py

clean:
	rm -rf $(B)/out $(B)/kselftest $(B)/initramfs $(B)/*.cpio.gz $(B)/logs $(B)/.applied
