// SPDX-License-Identifier: GPL-2.0
/*
 * DMA round trips through real disks behind the IOMMU: random data written
 * at random offsets in sizes from 4 KiB to 1 MiB with O_DIRECT, so that the
 * device reads and writes the test's own pages, then read back and compared.
 * Buffers start at random 512-byte offsets within a page to exercise mappings
 * that do not begin on a page boundary. A final pass re-reads the whole span
 * and compares it with a shadow copy, which catches DMA that landed at the
 * wrong place.
 *
 * DMA_ROUNDTRIP_ITERS (default 64) and DMA_ROUNDTRIP_SEED select the workload;
 * the seed is printed so that a failure can be replayed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "../kselftest_harness.h"

#define SZ_4K		4096UL
#define SZ_1M		(1024UL * 1024)
#define MAX_SPAN	(64 * SZ_1M)
#define SECTOR		512UL

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64 */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void fill_random(unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i += sizeof(uint64_t)) {
		uint64_t v = rnd();

		memcpy(p + i, &v, sizeof(v));
	}
}

static unsigned long env_ulong(const char *name, unsigned long def)
{
	const char *v = getenv(name);

	return v && *v ? strtoul(v, NULL, 0) : def;
}

static unsigned long fresh_seed(void)
{
	unsigned long seed;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == sizeof(seed))
		return seed;
	return time(NULL) ^ ((unsigned long)getpid() << 16);
}

/* The basename of the last path component that is a PCI address. */
static bool pci_device_of(const char *sysfs_path, char *pci, size_t len)
{
	const char *p = sysfs_path;
	bool found = false;

	while ((p = strchr(p, '/'))) {
		unsigned int dom, bus, dev, fn;
		char end;

		p++;
		if (sscanf(p, "%4x:%2x:%2x.%1x%c", &dom, &bus, &dev, &fn, &end) == 5 &&
		    end == '/') {
			snprintf(pci, len, "%.12s", p);
			found = true;
		}
	}
	return found;
}

static bool link_basename_is(const char *link, const char *want)
{
	char target[PATH_MAX];
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	char *base;

	if (n < 0)
		return false;
	target[n] = '\0';
	base = strrchr(target, '/');
	return base && !strcmp(base + 1, want);
}

FIXTURE(disk) {
	char name[NAME_MAX + 1];
	char pci[16];
	int fd;
	size_t span;
	unsigned char *shadow;
	unsigned char *wbuf, *rbuf;
};

FIXTURE_VARIANT(disk) {
	const char *prefix;	/* block device name */
	const char *pci_driver;	/* driver of the PCI function doing the DMA */
};

FIXTURE_VARIANT_ADD(disk, nvme) {
	.prefix = "nvme",
	.pci_driver = "nvme",
};

FIXTURE_VARIANT_ADD(disk, virtio_blk) {
	.prefix = "vd",
	.pci_driver = "virtio-pci",
};

/*
 * Find a block device named @prefix* whose DMA is done by a PCI function
 * bound to @driver; fill in its @name and the PCI address @pci.
 */
static bool find_disk(const char *prefix, const char *driver,
		      char name[NAME_MAX + 1], char pci[16])
{
	char path[PATH_MAX], real[PATH_MAX], link[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir("/sys/block");
	bool found = false;

	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		if (strncmp(de->d_name, prefix, strlen(prefix)))
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s", de->d_name);
		if (!realpath(path, real) || !pci_device_of(real, pci, 16))
			continue;
		snprintf(link, sizeof(link), "/sys/bus/pci/devices/%s/driver", pci);
		if (!link_basename_is(link, driver))
			continue;
		snprintf(name, NAME_MAX + 1, "%s", de->d_name);
		found = true;
	}
	closedir(d);
	return found;
}

FIXTURE_SETUP(disk)
{
	char dev[PATH_MAX], group[PATH_MAX];
	uint64_t size;
	size_t off;

	self->fd = -1;
	if (!find_disk(variant->prefix, variant->pci_driver, self->name, self->pci))
		SKIP(return, "no %s disk on a %s PCI function",
		     variant->prefix, variant->pci_driver);

	snprintf(group, sizeof(group), "/sys/bus/pci/devices/%s/iommu_group", self->pci);
	ASSERT_EQ(0, access(group, F_OK))
		TH_LOG("%s (%s) is not behind an IOMMU", self->name, self->pci);

	snprintf(dev, sizeof(dev), "/dev/%s", self->name);
	self->fd = open(dev, O_RDWR | O_DIRECT | O_SYNC);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", dev, strerror(errno));
	ASSERT_EQ(0, ioctl(self->fd, BLKGETSIZE64, &size));
	ASSERT_LE(2 * SZ_1M, size) TH_LOG("%s is too small", dev);
	self->span = size < MAX_SPAN ? size : MAX_SPAN;

	ASSERT_EQ(0, posix_memalign((void **)&self->shadow, SZ_4K, self->span));
	ASSERT_EQ(0, posix_memalign((void **)&self->wbuf, SZ_4K, SZ_1M + SZ_4K));
	ASSERT_EQ(0, posix_memalign((void **)&self->rbuf, SZ_4K, SZ_1M + SZ_4K));

	/* The shadow starts as what the disk holds now. */
	for (off = 0; off < self->span; off += SZ_1M)
		ASSERT_EQ((ssize_t)SZ_1M,
			  pread(self->fd, self->shadow + off, SZ_1M, off));
}

FIXTURE_TEARDOWN(disk)
{
	if (self->fd >= 0)
		close(self->fd);
	free(self->shadow);
	free(self->wbuf);
	free(self->rbuf);
}

TEST_F(disk, random_roundtrip)
{
	unsigned long iters = env_ulong("DMA_ROUNDTRIP_ITERS", 64);
	unsigned long seed = env_ulong("DMA_ROUNDTRIP_SEED", fresh_seed());
	unsigned long i, written = 0, verified = 0;
	size_t off;

	rng_state = seed ? seed : 1;
	ksft_print_msg("%s (%s): seed %lu, %lu writes\n", self->name, self->pci,
		       seed, iters);

	for (i = 0; i < iters; i++) {
		size_t len = SZ_4K * (1 + rnd() % (SZ_1M / SZ_4K));
		size_t pos = SZ_4K * (rnd() % ((self->span - len) / SZ_4K + 1));
		unsigned char *w = self->wbuf + SECTOR * (rnd() % (SZ_4K / SECTOR));
		unsigned char *r = self->rbuf + SECTOR * (rnd() % (SZ_4K / SECTOR));

		fill_random(w, len);
		memset(r, 0xa5, len);
		ASSERT_EQ((ssize_t)len, pwrite(self->fd, w, len, pos))
			TH_LOG("write %zu bytes at %zu: %s", len, pos, strerror(errno));
		memcpy(self->shadow + pos, w, len);
		written += len;

		ASSERT_EQ((ssize_t)len, pread(self->fd, r, len, pos))
			TH_LOG("read %zu bytes at %zu: %s", len, pos, strerror(errno));
		ASSERT_EQ(0, memcmp(w, r, len))
			TH_LOG("data read back at %zu (%zu bytes) differs", pos, len);
		verified += len;
	}

	/* Nothing was written anywhere else. */
	for (off = 0; off < self->span; off += SZ_1M) {
		ASSERT_EQ((ssize_t)SZ_1M, pread(self->fd, self->rbuf, SZ_1M, off));
		ASSERT_EQ(0, memcmp(self->shadow + off, self->rbuf, SZ_1M))
			TH_LOG("disk content at %zu differs from what was written", off);
		verified += SZ_1M;
	}
	ksft_print_msg("%s: verified %lu bytes (%lu written)\n", self->name,
		       verified, written);
}

TEST_HARNESS_MAIN
