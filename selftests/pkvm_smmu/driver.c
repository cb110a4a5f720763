// SPDX-License-Identifier: GPL-2.0
/*
 * The pKVM SMMUv3 host driver: it, and not the stock arm-smmu-v3 driver,
 * owns every SMMU, and its counters follow the DMA the host does. Removing
 * a PCI device frees its domain: the domain's mappings go away and the
 * pages the hypervisor used for it come back to the host.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "pkvm_smmu.h"

#define RECLAIM		"/sys/kernel/debug/pkvm-smmu/reclaim"
#define PCI_DEVICES	"/sys/bus/pci/devices"

static bool driver_is(const char *dev, const char *want)
{
	char link[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "%s/driver", dev);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return !strcmp(strrchr(target, '/') + 1, want);
}

/* The PCI address of the function bound to @driver, or NULL. */
static char *pci_dev_with_driver(const char *driver)
{
	static char name[NAME_MAX + 1];
	char dev[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(PCI_DEVICES);
	bool found = false;

	if (!d)
		return NULL;
	while (!found && (de = readdir(d))) {
		snprintf(dev, sizeof(dev), "%s/%s", PCI_DEVICES, de->d_name);
		if (de->d_name[0] != '.' && driver_is(dev, driver)) {
			snprintf(name, sizeof(name), "%s", de->d_name);
			found = true;
		}
	}
	closedir(d);
	return found ? name : NULL;
}

TEST(pkvm_driver_owns_every_smmu)
{
	char dev[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir("/sys/bus/platform/devices");
	int n = 0;

	ASSERT_NE(NULL, d);
	while ((de = readdir(d))) {
		if (!strstr(de->d_name, "smmu"))
			continue;
		snprintf(dev, sizeof(dev), "/sys/bus/platform/devices/%s", de->d_name);
		EXPECT_TRUE(driver_is(dev, "arm-smmu-v3-kvm"))
			TH_LOG("%s is not owned by arm-smmu-v3-kvm", de->d_name);
		EXPECT_FALSE(driver_is(dev, "arm-smmu-v3"))
			TH_LOG("the stock driver is bound to %s", de->d_name);
		n++;
	}
	closedir(d);
	ASSERT_LT(0, n) TH_LOG("no SMMU platform device");
	ASSERT_LE(0, driver_stat("domains")) TH_LOG("no %s", STATS);
}

static long driver_mapped_pages(void)
{
	return driver_stat("mapped_pages");
}

static long driver_pages_held(void)
{
	return driver_stat("pages_donated") - driver_stat("pages_reclaimed");
}

/*
 * The hypervisor's own accounting, read by hypercall, is what the driver's
 * counters say: the pages it accounts as DMA-mapped are the pages mapped.
 * The test modules' raw hypercalls map nothing for good, but they donate
 * and reclaim pages the driver never counted, so the pages the hypervisor
 * holds are compared as changes.
 */
static void expect_hyp_agrees(struct __test_metadata *_metadata)
{
	long hyp, drv;

	EXPECT_TRUE(hyp_agrees("dma_pages", 0, driver_mapped_pages, 0, &hyp, &drv))
		TH_LOG("the hypervisor accounts %ld DMA pages, the driver mapped %ld", hyp, drv);
	EXPECT_LE(hyp_stat("pages_in_use"), hyp_stat("pages_held"));
}

/*
 * In a DMA domain each direct read is mapped and unmapped by hypercall; in
 * the identity domain (iommu.passthrough=1) none is, and the hypervisor
 * holds the identity domain's tables instead.
 */
TEST(counters_follow_dma)
{
	char *nvme = pci_dev_with_driver("nvme");
	long maps, donated, dma_pages;
	bool identity;
	void *buf;
	int fd, i;

	ASSERT_NE(NULL, nvme) TH_LOG("no NVMe device");
	identity = pci_dev_identity(nvme);
	EXPECT_LT(0, driver_stat("attached_streams"));
	if (identity) {
		EXPECT_LT(0, hyp_stat("identity_table_pages"))
			TH_LOG("%s is in an identity domain the hypervisor does not hold", nvme);
	} else {
		EXPECT_LT(0, driver_stat("domains"));
		EXPECT_LT(0, driver_stat("mapped_pages"));
	}
	donated = driver_stat("pages_donated");
	EXPECT_LT(0, donated) TH_LOG("the hypervisor got no memory");
	EXPECT_LE(driver_stat("pages_reclaimed"), donated);

	maps = map_hypercalls();
	dma_pages = hyp_stat("dma_pages");
	ASSERT_EQ(0, posix_memalign(&buf, 4096, 4096));
	fd = open("/dev/nvme0n1", O_RDONLY | O_DIRECT);
	ASSERT_LE(0, fd);
	for (i = 0; i < 16; i++)
		ASSERT_EQ(4096, pread(fd, buf, 4096, i * 65536));
	close(fd);
	free(buf);
	if (identity) {
		EXPECT_EQ(maps, map_hypercalls()) TH_LOG("DMA in the identity domain was mapped");
		EXPECT_EQ(dma_pages, hyp_stat("dma_pages"));
	} else {
		EXPECT_LE(maps + 16, map_hypercalls());
		EXPECT_LT(0, hyp_stat("dma_pages")) TH_LOG("the hypervisor accounts no DMA page");
	}
	EXPECT_LT(0, hyp_stat("pages_in_use"));
	expect_hyp_agrees(_metadata);
}

TEST(removing_a_device_frees_its_domain_and_memory)
{
	long domains, streams, mapped, reclaimed, hyp_mapped, hyp_in_use, hyp_held, held;
	long hyp, drv;
	bool identity;
	char path[PATH_MAX], *nvme = pci_dev_with_driver("nvme");
	char bdf[NAME_MAX + 1];

	ASSERT_NE(NULL, nvme) TH_LOG("no NVMe device");
	snprintf(bdf, sizeof(bdf), "%s", nvme);
	/* The identity domain stays, and its device left no mapping. */
	identity = pci_dev_identity(bdf);
	domains = driver_stat("domains");
	streams = driver_stat("attached_streams");
	mapped = driver_stat("mapped_pages");
	reclaimed = driver_stat("pages_reclaimed");
	hyp_mapped = hyp_stat("dma_pages");
	hyp_in_use = hyp_stat("pages_in_use");
	hyp_held = hyp_stat("pages_held");
	held = driver_pages_held();

	snprintf(path, sizeof(path), "%s/%s/remove", PCI_DEVICES, bdf);
	ASSERT_EQ(0, write_file(path, "1"));
	EXPECT_EQ(streams - 1, driver_stat("attached_streams"));
	if (identity) {
		EXPECT_EQ(domains, driver_stat("domains"));
		EXPECT_EQ(mapped, driver_stat("mapped_pages"));
		EXPECT_EQ(hyp_mapped, hyp_stat("dma_pages"));
		EXPECT_LT(0, hyp_stat("identity_table_pages"));
	} else {
		EXPECT_EQ(domains - 1, driver_stat("domains"));
		EXPECT_GT(mapped, driver_stat("mapped_pages"))
			TH_LOG("the NVMe queues were still mapped");
		EXPECT_GT(hyp_mapped, hyp_stat("dma_pages"))
			TH_LOG("the hypervisor still accounts the NVMe queues");
		EXPECT_GT(hyp_in_use, hyp_stat("pages_in_use"))
			TH_LOG("the hypervisor kept the freed domain's tables");
	}
	expect_hyp_agrees(_metadata);
	ASSERT_EQ(0, write_file(RECLAIM, "1"));
	if (!identity)
		EXPECT_LT(reclaimed, driver_stat("pages_reclaimed"))
			TH_LOG("no page came back from the freed domain");
	EXPECT_LE(driver_stat("pages_reclaimed"), driver_stat("pages_donated"));
	expect_hyp_agrees(_metadata);
	/* What the driver reclaimed is exactly what the hypervisor no longer holds. */
	EXPECT_TRUE(hyp_agrees("pages_held", hyp_held, driver_pages_held, held, &hyp, &drv))
		TH_LOG("the hypervisor's pages held changed by %ld, the driver's by %ld", hyp, drv);

	/* Bring the disk back for whoever runs next. */
	ASSERT_EQ(0, write_file("/sys/bus/pci/rescan", "1"));
	EXPECT_NE(NULL, pci_dev_with_driver("nvme"));
	EXPECT_EQ(domains, driver_stat("domains"));
}

TEST_HARNESS_MAIN
