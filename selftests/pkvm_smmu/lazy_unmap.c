// SPDX-License-Identifier: GPL-2.0
/*
 * Lazy unmapping. With iommu.strict=0 the DMA domains are DMA-FQ: an unmap
 * leaves the invalidation to the flush queue, and the hypervisor keeps the
 * pages counted until that flush completed. Its "deferred_pages" figure
 * shows them: while NVMe DMA runs it stays within the bound of the
 * deferred logs (4MiB, 1024 pages, per domain) and is back to zero once
 * the flush queue's timeout (10ms) has passed. Without iommu.strict=0 the
 * domains are strict and the figure stays zero.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "pkvm_smmu.h"

/* KVM_IOMMU_DEFERRED_BYTES of the hypervisor, in 4KiB pages */
#define DEFERRED_PAGES_PER_DOMAIN	1024
#define SPAN				(256 * 1024)
#define ROUNDS				64

static bool lazy_asked(void)
{
	char cmdline[4096];

	return read_line("/proc/cmdline", cmdline, sizeof(cmdline)) &&
	       strstr(cmdline, "iommu.strict=0");
}

FIXTURE(lazy) {
	char bdf[NAME_MAX + 1];
	bool identity;
};

FIXTURE_SETUP(lazy)
{
	if (access(STATS, F_OK))
		SKIP(return, "no %s: the pKVM IOMMU driver is not running", STATS);
	ASSERT_TRUE(find_nvme(self->bdf, sizeof(self->bdf))) TH_LOG("no NVMe device");
	self->identity = pci_dev_identity(self->bdf);
	ASSERT_LE(0, hyp_stat("deferred_pages"))
		TH_LOG("no deferred_pages figure in %s", HYP_STATS);
}

FIXTURE_TEARDOWN(lazy)
{
}

TEST_F(lazy, group_type)
{
	char path[PATH_MAX], type[32];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group/type", self->bdf);
	ASSERT_TRUE(read_line(path, type, sizeof(type)));
	if (self->identity)
		return;
	EXPECT_STREQ(lazy_asked() ? "DMA-FQ" : "DMA", type)
		TH_LOG("iommu.strict=0 %s, but the group is %s",
		       lazy_asked() ? "given" : "not given", type);
}

TEST_F(lazy, deferred_pages_bounded_then_drained)
{
	long domains = driver_stat("domains"), most = 0, now;
	bool lazy;
	int i, ms;

	ASSERT_LE(0, domains) TH_LOG("no domains figure in %s", STATS);
	for (i = 0; i < ROUNDS; i++) {
		ASSERT_EQ(0, nvme_roundtrip(i, SPAN, (off_t)(i % 8) * SPAN))
			TH_LOG("round %d: the data written to %s did not read back", i, NVME_DISK);
		now = hyp_stat("deferred_pages");
		if (now > most)
			most = now;
	}
	TH_LOG("at most %ld deferred pages over %d rounds, %ld domains", most, ROUNDS, domains);
	EXPECT_GE(domains * DEFERRED_PAGES_PER_DOMAIN, most)
		TH_LOG("%ld pages deferred, above the bound of %ld domains", most, domains);
	lazy = !self->identity && lazy_asked();
	EXPECT_EQ(lazy, most > 0)
		TH_LOG("%s", lazy ? "no unmap was deferred with iommu.strict=0" :
		       "pages deferred without lazy unmapping");

	/* The flush queue flushes 10ms after its last unmap: give it time. */
	for (ms = 0; ms < 2000 && (now = hyp_stat("deferred_pages")) > 0; ms += 10)
		usleep(10000);
	EXPECT_EQ(0, now) TH_LOG("%ld pages still deferred %d ms after the DMA", now, ms);
}

TEST_HARNESS_MAIN
