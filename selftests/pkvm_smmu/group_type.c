// SPDX-License-Identifier: GPL-2.0
/*
 * A group switched between identity and DMA at run time, as an integrator
 * does through sysfs: with the NVMe driver unbound, "identity" and then
 * "DMA" go to /sys/kernel/iommu_groups/<n>/type, and after each rebind
 * data written with O_DIRECT reads back intact. In the identity domain the
 * DMA makes no map hypercall; in the DMA domain it does. The group's type
 * is put back as it was.
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

#define SPAN		(256 * 1024)

FIXTURE(group) {
	char bdf[NAME_MAX + 1];
	char type_path[PATH_MAX];
	char type[32];
	bool bound;
};

/* Unbind, set the group's type, bind again; 0 or -1. */
static int set_type(struct __test_metadata *_metadata, struct _test_data_group *self,
		    const char *type)
{
	char now[32];

	if (bind_nvme(self->bdf, false))
		return -1;
	self->bound = false;
	if (write_file(self->type_path, type)) {
		TH_LOG("cannot write '%s' to %s", type, self->type_path);
		return -1;
	}
	if (bind_nvme(self->bdf, true))
		return -1;
	self->bound = true;
	return read_line(self->type_path, now, sizeof(now)) && !strcmp(now, type) ? 0 : -1;
}

/* Write a pattern with O_DIRECT, read it back and compare; the map hypercalls it made. */
static long dma_roundtrip(struct __test_metadata *_metadata, unsigned char seed)
{
	long maps = map_hypercalls();

	EXPECT_EQ(0, nvme_roundtrip(seed, SPAN, 8 * SPAN))
		TH_LOG("the data written to %s did not read back", NVME_DISK);
	return map_hypercalls() - maps;
}

FIXTURE_SETUP(group)
{
	char group[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	if (access(STATS, F_OK))
		SKIP(return, "no %s: the pKVM IOMMU driver is not running", STATS);
	ASSERT_TRUE(find_nvme(self->bdf, sizeof(self->bdf))) TH_LOG("no NVMe device");
	snprintf(link, sizeof(link), "/sys/bus/pci/devices/%s/iommu_group", self->bdf);
	n = readlink(link, group, sizeof(group) - 1);
	ASSERT_LT(0, n);
	group[n] = '\0';
	snprintf(self->type_path, sizeof(self->type_path), "/sys/kernel/iommu_groups/%s/type",
		 strrchr(group, '/') + 1);
	ASSERT_TRUE(read_line(self->type_path, self->type, sizeof(self->type)));
	self->bound = true;
}

FIXTURE_TEARDOWN(group)
{
	char now[32];

	if (!self->bdf[0])
		return;
	if (read_line(self->type_path, now, sizeof(now)) && strcmp(now, self->type))
		set_type(_metadata, self, self->type);
	if (!self->bound)
		bind_nvme(self->bdf, true);
}

TEST_F(group, identity_then_dma)
{
	ASSERT_EQ(0, set_type(_metadata, self, "identity"));
	EXPECT_LT(0, hyp_stat("identity_table_pages"))
		TH_LOG("an identity group, but no identity domain at the hypervisor");
	EXPECT_EQ(0, dma_roundtrip(_metadata, 0x11))
		TH_LOG("DMA in the identity domain made map hypercalls");

	ASSERT_EQ(0, set_type(_metadata, self, "DMA"));
	EXPECT_LT(0, dma_roundtrip(_metadata, 0x22))
		TH_LOG("DMA in a DMA domain made no map hypercall");
}

TEST_HARNESS_MAIN
