/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the pkvm_smmu tests share: reading and writing the small files of
 * sysfs and debugfs, the pKVM IOMMU driver's counters and the hypervisor's
 * own figures, and the test
 * modules' cases, which are debugfs files: reading one runs it in the
 * kernel and returns "ok\n" or what went wrong.
 */
#ifndef PKVM_SMMU_H
#define PKVM_SMMU_H

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STATS		"/sys/kernel/debug/pkvm-smmu/stats"
#define HYP_STATS	"/sys/kernel/debug/pkvm-smmu/hyp_stats"
#define NVME_DRIVER	"/sys/bus/pci/drivers/nvme"
#define NVME_DISK	"/dev/nvme0n1"

/* Write @val to @path in one write. Returns 0, or -1. */
static inline int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

/* The first line of @path, without its newline. */
static inline bool read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, size, f);
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

/* The value of @name in a file of "name value" lines, or -1. */
static inline long file_stat(const char *path, const char *name)
{
	char key[64];
	long long val;
	FILE *f = fopen(path, "r");
	long ret = -1;

	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", key, &val) == 2) {
		if (!strcmp(key, name))
			ret = val;
	}
	fclose(f);
	return ret;
}

/* The driver's counter @name, or -1 when it has none. */
static inline long driver_stat(const char *name)
{
	return file_stat(STATS, name);
}

/* The hypervisor's figure @name, read by hypercall, or -1. */
static inline long hyp_stat(const char *name)
{
	return file_stat(HYP_STATS, name);
}

/*
 * The hypervisor's dma_pages once no unmap is deferred: with lazy unmapping
 * (iommu.strict=0) the pages of unmaps stay counted until the flush queue's
 * flush, at most 10ms later. -1 when they are still deferred after 2s.
 */
static inline long hyp_settled_dma_pages(void)
{
	int ms;

	for (ms = 0; ms < 2000; ms += 10) {
		if (hyp_stat("deferred_pages") == 0)
			return hyp_stat("dma_pages");
		usleep(10000);
	}
	return -1;
}

/*
 * Whether the change of the hypervisor's figure @hyp since @hyp_base equals
 * the change of what the driver's counters say, computed by @driver, since
 * @driver_base, at a moment with no mapping or donation in flight: a
 * reading counts when the hypervisor's figure did not change around it.
 * With both bases 0 the figures themselves must agree.
 */
static inline bool hyp_agrees(const char *hyp, long hyp_base, long (*driver)(void),
			      long driver_base, long *seen_hyp, long *seen_driver)
{
	int tries;

	for (tries = 0; tries < 50; tries++) {
		long before = hyp_stat(hyp), d = driver(), after = hyp_stat(hyp);

		*seen_hyp = after - hyp_base;
		*seen_driver = d - driver_base;
		if (before == after && *seen_hyp == *seen_driver)
			return true;
		usleep(20000);
	}
	return false;
}

/*
 * Whether PCI device @bdf is in an identity domain: one the hypervisor
 * keeps mapping exactly the host's pages, which the host never maps in.
 */
static inline bool pci_dev_identity(const char *bdf)
{
	char path[PATH_MAX], type[32];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group/type", bdf);
	return read_line(path, type, sizeof(type)) && !strcmp(type, "identity");
}

/* The map hypercalls the driver made so far. */
static inline long map_hypercalls(void)
{
	return driver_stat("hypercalls_map_pages") + driver_stat("hypercalls_map_runs");
}

/* The NVMe function's PCI address, or false without one. */
static inline bool find_nvme(char *bdf, size_t size)
{
	struct dirent *de;
	DIR *d = opendir(NVME_DRIVER);
	bool found = false;

	if (!d)
		return false;
	while (!found && (de = readdir(d)))
		if (strchr(de->d_name, ':')) {
			snprintf(bdf, size, "%s", de->d_name);
			found = true;
		}
	closedir(d);
	return found;
}

/* Bind or unbind the NVMe function @bdf; bound, wait for its disk. 0 or -1. */
static inline int bind_nvme(const char *bdf, bool bind)
{
	char path[PATH_MAX];
	int ms, fd;

	snprintf(path, sizeof(path), NVME_DRIVER "/%s", bind ? "bind" : "unbind");
	if (write_file(path, bdf))
		return -1;
	/* The namespace shows up a little after the bind. */
	for (ms = 0; bind && ms < 10000; ms += 50) {
		fd = open(NVME_DISK, O_RDONLY | O_DIRECT);
		if (fd >= 0) {
			close(fd);
			return 0;
		}
		usleep(50000);
	}
	return bind ? -1 : 0;
}

/*
 * Write @span bytes of a pattern made from @seed to @disk at @offset with
 * O_DIRECT, so that the device DMAs from and to the buffers, and read them
 * back. Returns 0 when they read back intact, 1 when they differ, -1 on an
 * error.
 */
static inline int disk_roundtrip(const char *disk, unsigned char seed, size_t span,
				 off_t offset)
{
	unsigned char *w = NULL, *r = NULL;
	int fd, ret = -1;
	size_t i;

	if (posix_memalign((void **)&w, 4096, span) || posix_memalign((void **)&r, 4096, span))
		goto out;
	for (i = 0; i < span; i++)
		w[i] = seed + i * 7;
	fd = open(disk, O_RDWR | O_DIRECT);
	if (fd < 0)
		goto out;
	if (pwrite(fd, w, span, offset) == (ssize_t)span &&
	    pread(fd, r, span, offset) == (ssize_t)span)
		ret = memcmp(w, r, span) ? 1 : 0;
	close(fd);
out:
	free(w);
	free(r);
	return ret;
}

static inline int nvme_roundtrip(unsigned char seed, size_t span, off_t offset)
{
	return disk_roundtrip(NVME_DISK, seed, span, offset);
}

/* Run @dir/@name; @out gets its report. Returns -1 when it cannot be read. */
static inline int run_case(const char *dir, const char *name, char *out, size_t size)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, out, size - 1);
	close(fd);
	if (n <= 0)
		return -1;
	out[n] = '\0';
	return 0;
}

#endif
