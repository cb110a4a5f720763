// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's DMA map benchmark (CONFIG_DMA_MAP_BENCHMARK) in four threads
 * at once on the spare pci-testdev, whose domain the pKVM IOMMU driver
 * serves: each dma_map_single() and dma_unmap_single() of the threads is a
 * hypercall on the same domain. Every mapping must succeed (the benchmark
 * fails otherwise), the driver must have counted the hypercalls, and no
 * mapping may be left once the benchmark is done. In the identity domain
 * (iommu.passthrough=1) the mappings make no hypercall at all.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/types.h>

#include "../../../../include/linux/map_benchmark.h"
#include "../kselftest_harness.h"
#include "pkvm_smmu.h"

#define BENCHMARK	"/sys/kernel/debug/dma_map_benchmark"
#define PCI_DEVICES	"/sys/bus/pci/devices"
#define BENCH_DRIVER	"/sys/bus/pci/drivers/dma_map_benchmark"
#define THREADS		4
#define SECONDS		2

/* QEMU's pci-testdev (1b36:0005), which no driver claims. */
static bool find_testdev(char *bdf, size_t size)
{
	char path[PATH_MAX], vendor[16], device[16];
	struct dirent *de;
	DIR *d = opendir(PCI_DEVICES);
	bool found = false;

	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/vendor", PCI_DEVICES, de->d_name);
		if (!read_line(path, vendor, sizeof(vendor)))
			continue;
		snprintf(path, sizeof(path), "%s/%s/device", PCI_DEVICES, de->d_name);
		if (!read_line(path, device, sizeof(device)))
			continue;
		if (!strcmp(vendor, "0x1b36") && !strcmp(device, "0x0005")) {
			snprintf(bdf, size, "%s", de->d_name);
			found = true;
		}
	}
	closedir(d);
	return found;
}

FIXTURE(map_benchmark) {
	char bdf[NAME_MAX + 1];
	int fd;
	bool identity;
};

FIXTURE_VARIANT(map_benchmark) {
	__u32 granule;		/* pages per mapping */
};

FIXTURE_VARIANT_ADD(map_benchmark, one_page) {
	.granule = 1,
};

FIXTURE_VARIANT_ADD(map_benchmark, sixteen_pages) {
	.granule = 16,
};

FIXTURE_SETUP(map_benchmark)
{
	char path[PATH_MAX], type[32];

	self->fd = -1;
	if (access(STATS, F_OK))
		SKIP(return, "no %s: the pKVM IOMMU driver is not running", STATS);
	ASSERT_TRUE(find_testdev(self->bdf, sizeof(self->bdf))) TH_LOG("no pci-testdev");
	snprintf(path, sizeof(path), "%s/%s/driver_override", PCI_DEVICES, self->bdf);
	ASSERT_EQ(0, write_file(path, "dma_map_benchmark"));
	ASSERT_EQ(0, write_file(BENCH_DRIVER "/bind", self->bdf))
		TH_LOG("cannot bind %s to dma_map_benchmark", self->bdf);
	snprintf(path, sizeof(path), "%s/%s/iommu_group/type", PCI_DEVICES, self->bdf);
	ASSERT_TRUE(read_line(path, type, sizeof(type)));
	self->identity = !strcmp(type, "identity");
	ASSERT_TRUE(!strcmp(type, "DMA") || !strcmp(type, "DMA-FQ") || self->identity)
		TH_LOG("%s's IOMMU group is '%s', not translated", self->bdf, type);
	self->fd = open(BENCHMARK, O_RDWR);
	ASSERT_LE(0, self->fd) TH_LOG("cannot open %s", BENCHMARK);
}

FIXTURE_TEARDOWN(map_benchmark)
{
	char path[PATH_MAX];

	if (self->fd >= 0)
		close(self->fd);
	if (!self->bdf[0])
		return;
	write_file(BENCH_DRIVER "/unbind", self->bdf);
	snprintf(path, sizeof(path), "%s/%s/driver_override", PCI_DEVICES, self->bdf);
	write_file(path, "\n");
}

TEST_F(map_benchmark, four_threads)
{
	struct map_benchmark mb = {
		.threads = THREADS,
		.seconds = SECONDS,
		.node = -1,
		.dma_bits = 32,
		.dma_dir = DMA_MAP_BIDIRECTIONAL,
		.granule = variant->granule,
	};
	long mapped = driver_stat("mapped_pages"), hyp_mapped = hyp_settled_dma_pages();
	long maps = driver_stat("hypercalls_map_pages");
	long unmaps = driver_stat("hypercalls_unmap_pages");

	ASSERT_EQ(0, ioctl(self->fd, DMA_MAP_BENCHMARK, &mb))
		TH_LOG("the benchmark failed: %s (a mapping failed?)", strerror(errno));
	maps = driver_stat("hypercalls_map_pages") - maps;
	unmaps = driver_stat("hypercalls_unmap_pages") - unmaps;
	TH_LOG("%d threads, %u pages per mapping: map %.1f us, unmap %.1f us",
	       THREADS, variant->granule, mb.avg_map_100ns / 10.0, mb.avg_unmap_100ns / 10.0);
	TH_LOG("%ld map and %ld unmap hypercalls", maps, unmaps);
	EXPECT_LT(0, mb.avg_map_100ns);
	if (self->identity) {
		EXPECT_EQ(0, maps + unmaps) TH_LOG("identity domain mappings made hypercalls");
	} else {
		EXPECT_LE(THREADS, maps) TH_LOG("the mappings did not go through the hypervisor");
		EXPECT_LE(THREADS, unmaps);
	}
	EXPECT_EQ(mapped, driver_stat("mapped_pages")) TH_LOG("mappings left after the benchmark");
	/* Not only the driver's bookkeeping: the hypervisor accounts none left either. */
	EXPECT_LE(0, hyp_mapped) TH_LOG("no hyp_stats in debugfs, or unmaps deferred for 2s");
	EXPECT_EQ(hyp_mapped, hyp_settled_dma_pages())
		TH_LOG("the hypervisor still accounts pages the benchmark mapped");
}

TEST_HARNESS_MAIN
