// SPDX-License-Identifier: GPL-2.0
/*
 * Device-side isolation: QEMU's edu device, driven by the pkvm-smmu-dma-test
 * driver (CONFIG_ARM_SMMU_V3_PKVM_TEST), writes to memory through the SMMU:
 *
 *  - to a mapped IOVA: the data arrives and no fault is raised;
 *  - to an unmapped IOVA equal to a page's physical address: blocked with a
 *    translation fault, the page unchanged;
 *  - from a stream with no domain: blocked with a bad-STE fault;
 *  - to an IOVA just unmapped after a write through it: blocked, so the
 *    unmap invalidated the SMMU's TLB;
 *  - after an attach that failed once the stream's STE was live: blocked
 *    (bad STE), and a new domain reusing the freed one's ID does not reach
 *    its page;
 *  - in the identity domain: host pages at their own address arrive, but
 *    reads of the hypervisor's memory, of a page donated to it while the
 *    stream is attached and of the SMMU's registers are blocked with a
 *    translation fault;
 *  - after a lazy unmap, whose page the hypervisor keeps counted until a
 *    flush: sharing the page with the hypervisor and donating it to the
 *    hypervisor pass, and then the old IOVA faults and does not reach it.
 *
 * The driver checks the memory; this test checks that each fault reached
 * the host's log, naming the event and the edu device's stream, and the
 * "faults" counter of the SMMU driver.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "pkvm_smmu.h"

#define CASES	"/sys/kernel/debug/pkvm-smmu-dma"
#define PCI	"/sys/bus/pci/devices"

static int read_hex(const char *dir, const char *file)
{
	char path[512];
	unsigned int val;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "%s/%s/%s", PCI, dir, file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fscanf(f, "%x", &val);
	fclose(f);
	return n == 1 ? (int)val : -1;
}

/* The stream ID of the edu device: its PCI requester ID. */
static int edu_stream_id(void)
{
	unsigned int domain, bus, slot, fn;
	struct dirent *d;
	int sid = -1;
	DIR *dir = opendir(PCI);

	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		if (read_hex(d->d_name, "vendor") != 0x1234 ||
		    read_hex(d->d_name, "device") != 0x11e8)
			continue;
		if (sscanf(d->d_name, "%x:%x:%x.%x", &domain, &bus, &slot, &fn) == 4)
			sid = bus << 8 | slot << 3 | fn;
	}
	closedir(dir);
	return sid;
}

/* Collect the kernel log lines written after @fd was opened, for @secs. */
static void read_new_log(int fd, char *buf, size_t size, int msecs)
{
	size_t len = 0;
	ssize_t n;

	buf[0] = '\0';
	for (; msecs > 0; msecs -= 10) {
		while (len + 1 < size &&
		       (n = read(fd, buf + len, size - len - 1)) > 0) {
			len += n;
			buf[len] = '\0';
		}
		usleep(10000);
	}
}

/* Whether @log has @want, ended by a space or a newline: an address whole. */
static bool log_has(const char *log, const char *want)
{
	const char *p;

	for (p = strstr(log, want); p; p = strstr(p + 1, want))
		if (p[strlen(want)] == ' ' || p[strlen(want)] == '\n')
			return true;
	return false;
}

FIXTURE(edu) {
	char out[512];
	char log[65536];
	int sid;
	int kmsg;
};

FIXTURE_VARIANT(edu) {
	const char *name;
	const char *fault;	/* the event reported, NULL for none */
};

FIXTURE_VARIANT_ADD(edu, dma_to_mapped_iova) {
	.name = "dma_to_mapped_iova",
};

FIXTURE_VARIANT_ADD(edu, dma_to_unmapped_iova) {
	.name = "dma_to_unmapped_iova",
	.fault = "F_TRANSLATION",
};

FIXTURE_VARIANT_ADD(edu, dma_without_domain) {
	.name = "dma_without_domain",
	.fault = "C_BAD_STE",
};

FIXTURE_VARIANT_ADD(edu, dma_after_unmap) {
	.name = "dma_after_unmap",
	.fault = "F_TRANSLATION",
};

FIXTURE_VARIANT_ADD(edu, dma_after_failed_attach) {
	.name = "dma_after_failed_attach",
	.fault = "C_BAD_STE",
};

FIXTURE_VARIANT_ADD(edu, dma_in_identity) {
	.name = "dma_in_identity",
	.fault = "F_TRANSLATION",
};

FIXTURE_VARIANT_ADD(edu, dma_after_lazy_unmap) {
	.name = "dma_after_lazy_unmap",
	.fault = "F_TRANSLATION",
};

FIXTURE_SETUP(edu)
{
	if (access(CASES, F_OK))
		SKIP(return, "no %s: needs CONFIG_ARM_SMMU_V3_PKVM_TEST and QEMU's edu device",
		     CASES);
	self->sid = edu_stream_id();
	ASSERT_LE(0, self->sid) TH_LOG("no edu device on the PCI bus");
	self->kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, self->kmsg);
	ASSERT_LE(0, lseek(self->kmsg, 0, SEEK_END));
}

FIXTURE_TEARDOWN(edu)
{
	close(self->kmsg);
}

TEST_F(edu, dma)
{
	char want[128], *line;
	long faults, after;
	int ms;

	faults = driver_stat("faults");
	ASSERT_LE(0, faults) TH_LOG("no faults counter in %s", STATS);

	ASSERT_EQ(0, run_case(CASES, variant->name, self->out, sizeof(self->out)))
		TH_LOG("cannot run case %s", variant->name);
	/* "ok" ends the report, after the addresses whose reads must have faulted */
	ASSERT_TRUE(!strcmp(self->out, "ok\n") || strstr(self->out, "\nok\n"))
		TH_LOG("%s: %s", variant->name, self->out);

	/* The SMMU driver reports faults from a thread: give it a moment. */
	for (ms = 0, after = faults; ms < 2000 && after == faults; ms += 10) {
		usleep(10000);
		after = driver_stat("faults");
	}
	read_new_log(self->kmsg, self->log, sizeof(self->log), 200);
	snprintf(want, sizeof(want), "stream %d:", self->sid);
	if (!variant->fault) {
		EXPECT_EQ(NULL, strstr(self->log, want))
			TH_LOG("a fault of the edu stream while its DMA was mapped:\n%s",
			       self->log);
		return;
	}
	EXPECT_LT(faults, after) TH_LOG("the faults counter did not move");
	snprintf(want, sizeof(want), "pkvm-smmu: %s (", variant->fault);
	EXPECT_NE(NULL, strstr(self->log, want))
		TH_LOG("no %s in the log:\n%s", want, self->log);
	snprintf(want, sizeof(want), "stream %d:", self->sid);
	EXPECT_NE(NULL, strstr(self->log, want))
		TH_LOG("no fault of the edu stream (%d) in the log:\n%s", self->sid,
		       self->log);
	for (line = strstr(self->out, "blocked "); line; line = strstr(line + 1, "blocked ")) {
		snprintf(want, sizeof(want), "stream %d: read at %.*s", self->sid,
			 (int)strcspn(line + 8, "\n"), line + 8);
		EXPECT_TRUE(log_has(self->log, want))
			TH_LOG("no fault of the read at %.*s in the log:\n%s",
			       (int)strcspn(line + 8, "\n"), line + 8, self->log);
	}
}

TEST_HARNESS_MAIN
