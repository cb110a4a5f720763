// SPDX-License-Identifier: GPL-2.0
/*
 * System sleep with SMMUs that lose power. With pm_test=devices, a suspend
 * to idle runs the device phases of a suspend and resumes at once: the
 * driver tells the hypervisor that each SMMU is off, once the devices
 * behind it suspended, then that it is on again, and the hypervisor resets
 * and reprograms it before they resume. Over several cycles:
 *
 *  - NVMe and virtio-blk DMA round trips, and edu DMA to a mapped IOVA,
 *    are intact before and after each cycle (with lockdep, NVMe sits the
 *    cycles out unbound: on 6.12 lockdep takes its queue freeze, held from
 *    its suspend to the reset work after resume, for a lock leaked to user
 *    space, whatever the IOMMU);
 *  - the SMMU's CR2, cleared through the test module before a cycle, reads
 *    as the hypervisor programs it after: the SMMU was reset and
 *    reprogrammed, as hardware that lost power needs;
 *  - a stream without a domain still aborts after resume (edu);
 *  - the driver told the hypervisor of every transition, and once the
 *    flush queues are idle the hypervisor's DMA pages moved as the
 *    driver's mapped pages did, with nothing left waiting for a flush
 *    (isolation's cmdq_error_in_unmap leaves a page counted for good, as
 *    a failed flush must).
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "pkvm_smmu.h"

#define TEST_CASES	"/sys/kernel/debug/pkvm-smmu-test"
#define EDU_CASES	"/sys/kernel/debug/pkvm-smmu-dma"
#define VIRTIO_DISK	"/dev/vda"
#define PM_TEST		"/sys/power/pm_test"
#define PM_TEST_DELAY	"/sys/module/suspend/parameters/pm_test_delay"
#define CYCLES		3
#define SPAN		65536

/* The SMMUs the kernel registered as IOMMUs */
static int nr_smmus(void)
{
	DIR *d = opendir("/sys/class/iommu");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += !strncmp(de->d_name, "smmu3.", 6);
	closedir(d);
	return n;
}

/* Whether case @name of @dir reports "ok" as its last line */
static bool case_ok(const char *dir, const char *name, char *out, size_t size)
{
	if (run_case(dir, name, out, size))
		return false;
	return !strcmp(out, "ok\n") || strstr(out, "\nok\n");
}

static long driver_mapped_pages(void)
{
	return driver_stat("mapped_pages");
}

TEST(suspend_to_idle_cycles)
{
	long calls, hyp, drv, held;
	char out[512], bdf[NAME_MAX + 1];
	int i, smmus, ms;
	bool lockdep;

	ASSERT_EQ(0, access(PM_TEST, W_OK))
		TH_LOG("no %s: CONFIG_SUSPEND, CONFIG_PM_DEBUG", PM_TEST);
	ASSERT_EQ(0, access(TEST_CASES, F_OK)) TH_LOG("no %s", TEST_CASES);
	ASSERT_EQ(0, access(VIRTIO_DISK, F_OK)) TH_LOG("no virtio-blk disk %s", VIRTIO_DISK);
	smmus = nr_smmus();
	ASSERT_LT(0, smmus) TH_LOG("no SMMU in /sys/class/iommu");
	calls = driver_stat("hypercalls_set_power");
	ASSERT_LE(0, calls) TH_LOG("no hypercalls_set_power in %s", STATS);
	/* What the hypervisor counts beyond the driver's mappings before the cycles */
	hyp_agrees("dma_pages", 0, driver_mapped_pages, 0, &hyp, &drv);
	held = hyp - drv;
	ASSERT_EQ(0, write_file(PM_TEST, "devices"));
	ASSERT_EQ(0, write_file(PM_TEST_DELAY, "0"));
	lockdep = !access("/proc/lockdep", F_OK);
	ASSERT_TRUE(find_nvme(bdf, sizeof(bdf))) TH_LOG("no NVMe function");

	for (i = 0; i < CYCLES; i++) {
		ASSERT_EQ(0, nvme_roundtrip(0x40 + i, SPAN, i * SPAN))
			TH_LOG("NVMe DMA before cycle %d", i);
		ASSERT_EQ(0, disk_roundtrip(VIRTIO_DISK, 0x50 + i, SPAN, i * SPAN))
			TH_LOG("virtio-blk DMA before cycle %d", i);
		ASSERT_TRUE(case_ok(TEST_CASES, "smmu_cr2_clobbered", out, sizeof(out)))
			TH_LOG("smmu_cr2_clobbered: %s", out);
		ASSERT_TRUE(!lockdep || !bind_nvme(bdf, false)) TH_LOG("cannot unbind %s", bdf);

		ASSERT_EQ(0, write_file("/sys/power/state", "freeze"))
			TH_LOG("the suspend of cycle %d failed", i);

		ASSERT_TRUE(!lockdep || !bind_nvme(bdf, true)) TH_LOG("cannot bind %s again", bdf);
		EXPECT_TRUE(case_ok(TEST_CASES, "smmu_cr2_reset", out, sizeof(out)))
			TH_LOG("cycle %d: the SMMU was not reprogrammed: %s", i, out);
		EXPECT_EQ(0, nvme_roundtrip(0x60 + i, SPAN, (8 + i) * SPAN))
			TH_LOG("NVMe DMA after cycle %d", i);
		EXPECT_EQ(0, disk_roundtrip(VIRTIO_DISK, 0x70 + i, SPAN, (8 + i) * SPAN))
			TH_LOG("virtio-blk DMA after cycle %d", i);
		EXPECT_TRUE(case_ok(EDU_CASES, "dma_to_mapped_iova", out, sizeof(out)))
			TH_LOG("cycle %d: edu DMA: %s", i, out);
		EXPECT_TRUE(case_ok(EDU_CASES, "dma_without_domain", out, sizeof(out)))
			TH_LOG("cycle %d: a stream without a domain: %s", i, out);
	}
	EXPECT_EQ(0, write_file(PM_TEST, "none"));

	/* Off and on, for each SMMU, in each cycle */
	EXPECT_EQ(calls + 2L * CYCLES * smmus, driver_stat("hypercalls_set_power"));
	for (ms = 0; ms < 2000 && hyp_stat("deferred_pages") > 0; ms += 10)
		usleep(10000);
	EXPECT_EQ(0, hyp_stat("deferred_pages"));
	EXPECT_TRUE(hyp_agrees("dma_pages", held, driver_mapped_pages, 0, &hyp, &drv))
		TH_LOG("the hypervisor accounts %ld DMA pages over %ld, the driver %ld",
		       hyp, held, drv);
}

TEST_HARNESS_MAIN
