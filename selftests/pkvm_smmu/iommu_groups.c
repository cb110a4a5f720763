// SPDX-License-Identifier: GPL-2.0
/*
 * Every PCI endpoint must sit behind an IOMMU: it has an IOMMU group, and
 * that group translates DMA instead of letting it through untranslated. A
 * group of type "identity" is only right when the boot asked for it
 * (iommu.passthrough=1) and the hypervisor holds the identity domain, which
 * maps the host's pages only. A translating group is "DMA-FQ", which
 * unmaps lazily, exactly when the boot asked for it (iommu.strict=0).
 *
 * On device-tree systems a PCI function is configured for the IOMMU when a
 * driver probes it, so a function that no driver has claimed has no group
 * yet. Such a function cannot issue DMA as long as its Bus Master Enable bit
 * is clear, which is checked instead.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../kselftest_harness.h"

#define PCI_DEVICES		"/sys/bus/pci/devices"
#define PCI_BASE_CLASS_BRIDGE	0x06
#define PCI_COMMAND		0x04
#define PCI_COMMAND_MASTER	0x4

static int read_sysfs(const char *dir, const char *file, char *buf, size_t len)
{
	char path[PATH_MAX];
	FILE *f;
	char *ok;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	ok = fgets(buf, len, f);
	fclose(f);
	if (!ok)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* Host, PCI-to-PCI and other bridges are not endpoints. */
static bool is_bridge(const char *dev)
{
	char class[32];

	if (read_sysfs(dev, "class", class, sizeof(class)))
		return false;
	return (strtoul(class, NULL, 16) >> 16) == PCI_BASE_CLASS_BRIDGE;
}

static bool has_driver(const char *dev)
{
	char link[PATH_MAX];

	snprintf(link, sizeof(link), "%s/driver", dev);
	return access(link, F_OK) == 0;
}

static bool bus_master_enabled(const char *dev)
{
	char path[PATH_MAX];
	unsigned char cmd = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/config", dev);
	f = fopen(path, "r");
	if (!f)
		return true;	/* unknown: assume it can master */
	if (fseek(f, PCI_COMMAND, SEEK_SET) || fread(&cmd, 1, 1, f) != 1)
		cmd = PCI_COMMAND_MASTER;
	fclose(f);
	return cmd & PCI_COMMAND_MASTER;
}

/* The group number of @dev, or -1 when it has no IOMMU group. */
static int iommu_group_of(const char *dev)
{
	char link[PATH_MAX], target[PATH_MAX];
	ssize_t n;
	char *slash;

	snprintf(link, sizeof(link), "%s/iommu_group", dev);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return -1;
	target[n] = '\0';
	slash = strrchr(target, '/');
	return slash ? atoi(slash + 1) : -1;
}

#define MAX_ENDPOINTS	64

/* Fills @devs with the sysfs paths of the PCI endpoints; returns how many. */
static int list_endpoints(char devs[MAX_ENDPOINTS][PATH_MAX])
{
	char dev[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(PCI_DEVICES);
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) && n < MAX_ENDPOINTS) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(dev, sizeof(dev), "%s/%s", PCI_DEVICES, de->d_name);
		if (!is_bridge(dev))
			snprintf(devs[n++], PATH_MAX, "%s", dev);
	}
	closedir(d);
	return n;
}

static void check_has_group(struct __test_metadata *_metadata, const char *dev)
{
	const char *name = strrchr(dev, '/') + 1;
	int group = iommu_group_of(dev);

	if (group >= 0) {
		ksft_print_msg("%s: iommu group %d\n", name, group);
		return;
	}
	EXPECT_FALSE(has_driver(dev))
		TH_LOG("%s has a driver but no IOMMU group", name);
	EXPECT_FALSE(bus_master_enabled(dev))
		TH_LOG("%s can master DMA but has no IOMMU group", name);
	ksft_print_msg("%s: no driver, bus mastering off, no group yet\n", name);
}

/* Pages of the pKVM hypervisor's identity domain, 0 without one */
static long hyp_identity_pages(void)
{
	FILE *f = fopen("/sys/kernel/debug/pkvm-smmu/hyp_stats", "r");
	char key[64];
	long val, n = 0;

	if (!f)
		return 0;
	while (fscanf(f, "%63s %ld", key, &val) == 2)
		if (!strcmp(key, "identity_table_pages"))
			n = val;
	fclose(f);
	return n;
}

/* Whether the kernel's command line asks for identity default domains */
static bool passthrough_asked(void)
{
	char cmdline[4096];

	return !read_sysfs("/proc", "cmdline", cmdline, sizeof(cmdline)) &&
	       strstr(cmdline, "iommu.passthrough=1");
}

/* Whether it asks for lazy unmapping: DMA-FQ default domains */
static bool lazy_asked(void)
{
	char cmdline[4096];

	return !read_sysfs("/proc", "cmdline", cmdline, sizeof(cmdline)) &&
	       strstr(cmdline, "iommu.strict=0");
}

static void check_group_translates(struct __test_metadata *_metadata,
				   const char *dev)
{
	char dir[PATH_MAX], type[32];
	int group = iommu_group_of(dev);

	if (group < 0)
		return;
	snprintf(dir, sizeof(dir), "/sys/kernel/iommu_groups/%d", group);
	ASSERT_EQ(0, read_sysfs(dir, "type", type, sizeof(type)));
	if (!strcmp(type, "DMA") || !strcmp(type, "DMA-FQ")) {
		EXPECT_EQ(lazy_asked(), !strcmp(type, "DMA-FQ"))
			TH_LOG("%s: group %d is %s, which the boot did not ask for", dev,
			       group, type);
		return;
	}
	if (strcmp(type, "identity"))
		return;
	EXPECT_TRUE(passthrough_asked())
		TH_LOG("%s: group %d is identity, which the boot did not ask for", dev, group);
	EXPECT_LT(0, hyp_identity_pages())
		TH_LOG("%s: DMA bypasses the IOMMU (group %d): no identity domain",
		       dev, group);
}

TEST(iommu_registered)
{
	struct dirent *de;
	DIR *d = opendir("/sys/class/iommu");
	int n = 0;

	ASSERT_NE(NULL, d);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	ASSERT_LT(0, n) TH_LOG("no IOMMU is registered");
}

static char endpoints[MAX_ENDPOINTS][PATH_MAX];

TEST(every_pci_endpoint_has_iommu_group)
{
	int i, n = list_endpoints(endpoints);

	ASSERT_LT(0, n) TH_LOG("no PCI endpoint found");
	for (i = 0; i < n; i++)
		check_has_group(_metadata, endpoints[i]);
}

TEST(no_pci_endpoint_bypasses_iommu)
{
	int i, n = list_endpoints(endpoints);

	ASSERT_LT(0, n) TH_LOG("no PCI endpoint found");
	for (i = 0; i < n; i++)
		check_group_translates(_metadata, endpoints[i]);
}

TEST_HARNESS_MAIN
