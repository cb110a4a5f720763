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
 *    unmapped page accounted and a stream unattached, and the queue goes on.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "run_case.h"

#define CASES	"/sys/kernel/debug/pkvm-smmu-test"

FIXTURE(hostile) {
	char out[512];
};

FIXTURE_VARIANT(hostile) {
	const char *name;
};

/* One variant per case of the module, named as it is. */
#define HOSTILE_CASE(case_name)				\
	FIXTURE_VARIANT_ADD(hostile, case_name) {		\
		.name = #case_name,				\
	}

HOSTILE_CASE(alloc_domain_out_of_range);
HOSTILE_CASE(alloc_domain_in_use);
HOSTILE_CASE(free_domain_out_of_range);
HOSTILE_CASE(free_domain_never_allocated);
HOSTILE_CASE(free_domain_twice);
HOSTILE_CASE(map_freed_domain);
HOSTILE_CASE(map_domain_out_of_range);
HOSTILE_CASE(map_domain_never_allocated);
HOSTILE_CASE(attach_domain_out_of_range);
HOSTILE_CASE(attach_domain_never_allocated);
HOSTILE_CASE(attach_sid_beyond_smmu);
HOSTILE_CASE(attach_unknown_smmu);
HOSTILE_CASE(attach_twice);
HOSTILE_CASE(detach_twice);
HOSTILE_CASE(detach_never_attached);
HOSTILE_CASE(detach_from_other_domain);
HOSTILE_CASE(free_attached_domain);
HOSTILE_CASE(map_iova_beyond_input_size);
HOSTILE_CASE(map_range_crossing_input_end);
HOSTILE_CASE(map_pgcount_overflow);
HOSTILE_CASE(unmap_pgcount_overflow);
HOSTILE_CASE(map_pgcount_zero);
HOSTILE_CASE(map_pgsize_unsupported);
HOSTILE_CASE(map_iova_unaligned);
HOSTILE_CASE(map_paddr_unaligned);
HOSTILE_CASE(map_paddr_beyond_output_size);
HOSTILE_CASE(map_unknown_prot);
HOSTILE_CASE(map_over_mapping);
HOSTILE_CASE(map_block_over_mapping);
HOSTILE_CASE(unmap_hole);
HOSTILE_CASE(unmap_partly_mapped);
HOSTILE_CASE(unmap_part_of_block);
HOSTILE_CASE(map_hyp_memory);
HOSTILE_CASE(map_smmu_mmio);
HOSTILE_CASE(map_page_donated_to_hyp);
HOSTILE_CASE(donate_page_twice);
HOSTILE_CASE(donate_hyp_memory);
HOSTILE_CASE(donate_dma_mapped_page);
HOSTILE_CASE(reclaim_pages_in_use);
HOSTILE_CASE(register_after_finalize);
HOSTILE_CASE(unknown_test_op);
HOSTILE_CASE(alloc_fails_in_alloc_domain);
HOSTILE_CASE(alloc_fails_in_attach);
HOSTILE_CASE(alloc_fails_in_map);
HOSTILE_CASE(cmdq_error_in_unmap);
HOSTILE_CASE(cmdq_error_in_attach);

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
	ASSERT_EQ(0, strcmp(self->out, "ok\n")) TH_LOG("%s: %s", variant->name, self->out);
}

TEST_HARNESS_MAIN
