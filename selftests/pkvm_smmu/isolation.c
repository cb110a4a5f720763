// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile host against the pKVM IOMMU hypercalls. Each test reads one
 * case of the pkvm-smmu-test module (CONFIG_ARM_SMMU_V3_PKVM_TEST), which
 * makes the hypercalls from the kernel and checks that the hypervisor
 * refused them with the documented error and still works afterwards:
 *
 *  - domain IDs out of range (-EINVAL), never allocated or freed
 *    (-ENOENT), or in use (-EEXIST, and -EBUSY to free while attached);
 *  - stream IDs beyond the SMMU's range and unknown SMMUs (-EINVAL);
 *    double attach (-EBUSY) and double detach (-ENOENT);
 *  - IOVAs beyond the input size and page counts that overflow (-ERANGE);
 *    unsupported page sizes, unaligned addresses, unknown prot bits
 *    (-EINVAL); physical addresses beyond the output size (-ERANGE);
 *  - mapping over a mapping (-EEXIST, reporting exactly what was mapped);
 *    unmapping a hole or a partly mapped range (-ENOENT, reporting what was
 *    unmapped) or part of a block (-EINVAL, the block intact);
 *  - mapping hypervisor memory, the SMMU's registers, or a page donated to
 *    the hypervisor (in its memcache) fails with -EPERM; donating a page
 *    twice or hypervisor memory too; donating a DMA-mapped page fails with
 *    -EBUSY, and works once unmapped;
 *  - reclaiming gives back no page still in use;
 *  - registering an SMMU after finalize is refused;
 *  - fault injection: the n-th page allocation of alloc_domain, attach and
 *    map failing reaches the caller as -ENOMEM with no page kept, and the
 *    retry succeeds; a command-queue error is reported as -EIO, leaves an
 *    unmapped page accounted, a stream unattached after attach and still
 *    attached after detach (the retry works), and the queue goes on;
 *  - fault records of an unknown SMMU (-EINVAL);
 *  - an SMMU said to be off while it runs: a page unmapped meanwhile stays
 *    counted and cannot be donated until power-on, streams wait for power
 *    (-EAGAIN), and off twice or on twice (-EALREADY), an unknown SMMU or
 *    state (-EINVAL), and a power-off before finalize (-EPERM) are refused.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "pkvm_smmu.h"

#define CASES	"/sys/kernel/debug/pkvm-smmu-test"

FIXTURE(hostile) {
	char out[512];
};

FIXTURE_VARIANT(hostile) {
	const char *name;
};

/* One variant per case of the module, named as it is. */
FIXTURE_VARIANT_ADD(hostile, alloc_domain_out_of_range) {
	.name = "alloc_domain_out_of_range",
};

FIXTURE_VARIANT_ADD(hostile, alloc_domain_in_use) {
	.name = "alloc_domain_in_use",
};

FIXTURE_VARIANT_ADD(hostile, free_domain_out_of_range) {
	.name = "free_domain_out_of_range",
};

FIXTURE_VARIANT_ADD(hostile, free_domain_never_allocated) {
	.name = "free_domain_never_allocated",
};

FIXTURE_VARIANT_ADD(hostile, free_domain_twice) {
	.name = "free_domain_twice",
};

FIXTURE_VARIANT_ADD(hostile, free_domain_in_steps) {
	.name = "free_domain_in_steps",
};

FIXTURE_VARIANT_ADD(hostile, map_freed_domain) {
	.name = "map_freed_domain",
};

FIXTURE_VARIANT_ADD(hostile, map_domain_out_of_range) {
	.name = "map_domain_out_of_range",
};

FIXTURE_VARIANT_ADD(hostile, map_domain_never_allocated) {
	.name = "map_domain_never_allocated",
};

FIXTURE_VARIANT_ADD(hostile, attach_domain_out_of_range) {
	.name = "attach_domain_out_of_range",
};

FIXTURE_VARIANT_ADD(hostile, attach_domain_never_allocated) {
	.name = "attach_domain_never_allocated",
};

FIXTURE_VARIANT_ADD(hostile, attach_sid_beyond_smmu) {
	.name = "attach_sid_beyond_smmu",
};

FIXTURE_VARIANT_ADD(hostile, attach_unknown_smmu) {
	.name = "attach_unknown_smmu",
};

FIXTURE_VARIANT_ADD(hostile, attach_twice) {
	.name = "attach_twice",
};

FIXTURE_VARIANT_ADD(hostile, detach_twice) {
	.name = "detach_twice",
};

FIXTURE_VARIANT_ADD(hostile, detach_never_attached) {
	.name = "detach_never_attached",
};

FIXTURE_VARIANT_ADD(hostile, detach_from_other_domain) {
	.name = "detach_from_other_domain",
};

FIXTURE_VARIANT_ADD(hostile, free_attached_domain) {
	.name = "free_attached_domain",
};

FIXTURE_VARIANT_ADD(hostile, map_iova_beyond_input_size) {
	.name = "map_iova_beyond_input_size",
};

FIXTURE_VARIANT_ADD(hostile, map_range_crossing_input_end) {
	.name = "map_range_crossing_input_end",
};

FIXTURE_VARIANT_ADD(hostile, map_pgcount_overflow) {
	.name = "map_pgcount_overflow",
};

FIXTURE_VARIANT_ADD(hostile, unmap_pgcount_overflow) {
	.name = "unmap_pgcount_overflow",
};

FIXTURE_VARIANT_ADD(hostile, map_pgcount_zero) {
	.name = "map_pgcount_zero",
};

FIXTURE_VARIANT_ADD(hostile, map_pgsize_unsupported) {
	.name = "map_pgsize_unsupported",
};

FIXTURE_VARIANT_ADD(hostile, unmap_flag_unknown) {
	.name = "unmap_flag_unknown",
};

FIXTURE_VARIANT_ADD(hostile, map_iova_unaligned) {
	.name = "map_iova_unaligned",
};

FIXTURE_VARIANT_ADD(hostile, map_paddr_unaligned) {
	.name = "map_paddr_unaligned",
};

FIXTURE_VARIANT_ADD(hostile, map_paddr_beyond_output_size) {
	.name = "map_paddr_beyond_output_size",
};

FIXTURE_VARIANT_ADD(hostile, map_unknown_prot) {
	.name = "map_unknown_prot",
};

FIXTURE_VARIANT_ADD(hostile, map_over_mapping) {
	.name = "map_over_mapping",
};

FIXTURE_VARIANT_ADD(hostile, map_block_over_mapping) {
	.name = "map_block_over_mapping",
};

FIXTURE_VARIANT_ADD(hostile, map_runs_checked) {
	.name = "map_runs_checked",
};

FIXTURE_VARIANT_ADD(hostile, unmap_hole) {
	.name = "unmap_hole",
};

FIXTURE_VARIANT_ADD(hostile, unmap_partly_mapped) {
	.name = "unmap_partly_mapped",
};

FIXTURE_VARIANT_ADD(hostile, unmap_part_of_block) {
	.name = "unmap_part_of_block",
};

FIXTURE_VARIANT_ADD(hostile, map_hyp_memory) {
	.name = "map_hyp_memory",
};

FIXTURE_VARIANT_ADD(hostile, map_smmu_mmio) {
	.name = "map_smmu_mmio",
};

FIXTURE_VARIANT_ADD(hostile, map_pmcg_mmio) {
	.name = "map_pmcg_mmio",
};

FIXTURE_VARIANT_ADD(hostile, map_smmu_mmio_after_recycle) {
	.name = "map_smmu_mmio_after_recycle",
};

FIXTURE_VARIANT_ADD(hostile, high_bits_refused) {
	.name = "high_bits_refused",
};

FIXTURE_VARIANT_ADD(hostile, map_page_donated_to_hyp) {
	.name = "map_page_donated_to_hyp",
};

FIXTURE_VARIANT_ADD(hostile, donate_page_twice) {
	.name = "donate_page_twice",
};

FIXTURE_VARIANT_ADD(hostile, donate_hyp_memory) {
	.name = "donate_hyp_memory",
};

FIXTURE_VARIANT_ADD(hostile, donate_past_region_end) {
	.name = "donate_past_region_end",
};

FIXTURE_VARIANT_ADD(hostile, donate_pages_all_or_nothing) {
	.name = "donate_pages_all_or_nothing",
};

FIXTURE_VARIANT_ADD(hostile, donate_dma_mapped_page) {
	.name = "donate_dma_mapped_page",
};

FIXTURE_VARIANT_ADD(hostile, reclaim_pages_in_use) {
	.name = "reclaim_pages_in_use",
};

FIXTURE_VARIANT_ADD(hostile, register_after_finalize) {
	.name = "register_after_finalize",
};

FIXTURE_VARIANT_ADD(hostile, unknown_stat) {
	.name = "unknown_stat",
};

FIXTURE_VARIANT_ADD(hostile, unknown_test_op) {
	.name = "unknown_test_op",
};

FIXTURE_VARIANT_ADD(hostile, alloc_fails_in_alloc_domain) {
	.name = "alloc_fails_in_alloc_domain",
};

FIXTURE_VARIANT_ADD(hostile, alloc_fails_in_attach) {
	.name = "alloc_fails_in_attach",
};

FIXTURE_VARIANT_ADD(hostile, alloc_fails_in_map) {
	.name = "alloc_fails_in_map",
};

FIXTURE_VARIANT_ADD(hostile, cmdq_error_in_unmap) {
	.name = "cmdq_error_in_unmap",
};

FIXTURE_VARIANT_ADD(hostile, cmdq_error_in_attach) {
	.name = "cmdq_error_in_attach",
};

FIXTURE_VARIANT_ADD(hostile, cmdq_error_in_detach) {
	.name = "cmdq_error_in_detach",
};

FIXTURE_VARIANT_ADD(hostile, next_fault_unknown_smmu) {
	.name = "next_fault_unknown_smmu",
};

FIXTURE_VARIANT_ADD(hostile, power_off_claimed) {
	.name = "power_off_claimed",
};

FIXTURE_VARIANT_ADD(hostile, power_off_before_finalize) {
	.name = "power_off_before_finalize",
};

FIXTURE_SETUP(hostile)
{
	if (access(CASES, F_OK))
		SKIP(return, "no %s: build with CONFIG_ARM_SMMU_V3_PKVM_TEST", CASES);
}

FIXTURE_TEARDOWN(hostile)
{
}

TEST_F(hostile, refused)
{
	ASSERT_EQ(0, run_case(CASES, variant->name, self->out, sizeof(self->out)))
		TH_LOG("cannot run case %s", variant->name);
	/* What the platform does not have, such as a PMCG in QEMU's IORT */
	if (!strncmp(self->out, "skip: ", 6))
		SKIP(return, "%s", self->out + 6);
	ASSERT_EQ(0, strcmp(self->out, "ok\n")) TH_LOG("%s: %s", variant->name, self->out);
}

TEST_HARNESS_MAIN
