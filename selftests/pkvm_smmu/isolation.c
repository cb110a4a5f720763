// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile host against the pKVM IOMMU hypercalls. Each test reads one
 * case of the pkvm-smmu-test module (CONFIG_ARM_SMMU_V3_PKVM_TEST), which
 * makes the hypercalls from the kernel and checks that the hypervisor
 * refused them with the documented error and still works afterwards:
 *
 *  - mapping hypervisor memory, the SMMU's registers, or a page donated to
 *    the hypervisor (in its memcache) fails with -EPERM;
 *  - donating a DMA-mapped page fails with -EBUSY, and works once unmapped;
 *  - freeing a domain with an attached stream fails with -EBUSY; double
 *    attach (-EBUSY), double detach (-ENOENT) and out-of-range IOMMU or
 *    stream IDs (-EINVAL) are refused;
 *  - reclaiming gives back no page still in use;
 *  - registering an SMMU after finalize is refused.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../kselftest_harness.h"

#define CASES	"/sys/kernel/debug/pkvm-smmu-test"

FIXTURE(hostile) {
	char out[512];
};

FIXTURE_VARIANT(hostile) {
	const char *name;
};

FIXTURE_VARIANT_ADD(hostile, map_hyp_memory) {
	.name = "map_hyp_memory",
};

FIXTURE_VARIANT_ADD(hostile, map_smmu_mmio) {
	.name = "map_smmu_mmio",
};

FIXTURE_VARIANT_ADD(hostile, map_page_donated_to_hyp) {
	.name = "map_page_donated_to_hyp",
};

FIXTURE_VARIANT_ADD(hostile, donate_dma_mapped_page) {
	.name = "donate_dma_mapped_page",
};

FIXTURE_VARIANT_ADD(hostile, free_attached_domain) {
	.name = "free_attached_domain",
};

FIXTURE_VARIANT_ADD(hostile, reclaim_pages_in_use) {
	.name = "reclaim_pages_in_use",
};

FIXTURE_VARIANT_ADD(hostile, register_after_finalize) {
	.name = "register_after_finalize",
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
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", CASES, variant->name);
	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd) TH_LOG("no case %s", variant->name);
	n = read(fd, self->out, sizeof(self->out) - 1);
	close(fd);
	ASSERT_LT(0, n);
	self->out[n] = '\0';
	ASSERT_EQ(0, strcmp(self->out, "ok\n")) TH_LOG("%s: %s", variant->name, self->out);
}

TEST_HARNESS_MAIN
