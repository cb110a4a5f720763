// SPDX-License-Identifier: GPL-2.0
/*
 * The read rate of a block device for make bench. With O_DIRECT every read
 * is a DMA of the device into the buffer, so each is one map and one
 * unmap of the buffer's pages in the device's IOMMU domain.
 *
 *   iorate DEVICE rand|seq BLOCK_BYTES THREADS SECONDS
 *
 * rand: each thread reads blocks at random block-aligned offsets; seq: each
 * thread reads its own slice of the device front to back, over and over.
 * Prints "iorate ops=N bytes=N us=N" and exits 0, or says what failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static int fd;
static int random_reads;
static size_t block;
static uint64_t blocks;		/* of the device */
static unsigned int threads;
static uint64_t end_ns;
static volatile int failed;

struct worker {
	pthread_t thread;
	unsigned int index;
	uint64_t ops;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	uint64_t slice = blocks / threads, first = w->index * slice, n = 0;
	uint64_t r = 0x9e3779b97f4a7c15ULL * (w->index + 1);
	void *buf;

	if (posix_memalign(&buf, 4096, block)) {
		failed = ENOMEM;
		return NULL;
	}
	while (!failed && now_ns() < end_ns) {
		uint64_t b;

		if (random_reads) {
			r ^= r << 13;
			r ^= r >> 7;
			r ^= r << 17;
			b = r % blocks;
		} else {
			b = first + n % slice;
		}
		if (pread(fd, buf, block, b * block) != (ssize_t)block) {
			failed = errno ? errno : EIO;
			break;
		}
		n++;
	}
	w->ops = n;
	free(buf);
	return NULL;
}

int main(int argc, char **argv)
{
	struct worker *w;
	uint64_t size, start, ops = 0;
	unsigned int i;

	if (argc != 6 || (strcmp(argv[2], "rand") && strcmp(argv[2], "seq"))) {
		fprintf(stderr, "usage: iorate DEVICE rand|seq BLOCK_BYTES THREADS SECONDS\n");
		return 2;
	}
	random_reads = !strcmp(argv[2], "rand");
	block = strtoul(argv[3], NULL, 0);
	threads = strtoul(argv[4], NULL, 0);
	fd = open(argv[1], O_RDONLY | O_DIRECT);
	if (fd < 0 || ioctl(fd, BLKGETSIZE64, &size)) {
		fprintf(stderr, "iorate: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (!block || block % 4096 || !threads || threads > 64 ||
	    size / block < threads) {
		fprintf(stderr, "iorate: bad block size or thread count\n");
		return 2;
	}
	blocks = size / block;
	w = calloc(threads, sizeof(*w));
	if (!w)
		return 1;
	start = now_ns();
	end_ns = start + strtoull(argv[5], NULL, 0) * 1000000000ULL;
	for (i = 0; i < threads; i++) {
		w[i].index = i;
		if (pthread_create(&w[i].thread, NULL, work, &w[i])) {
			fprintf(stderr, "iorate: cannot start a thread\n");
			return 1;
		}
	}
	for (i = 0; i < threads; i++) {
		pthread_join(w[i].thread, NULL);
		ops += w[i].ops;
	}
	if (failed) {
		fprintf(stderr, "iorate: read failed: %s\n", strerror(failed));
		return 1;
	}
	printf("iorate ops=%llu bytes=%llu us=%llu\n", (unsigned long long)ops,
	       (unsigned long long)(ops * block),
	       (unsigned long long)((now_ns() - start) / 1000));
	return 0;
}
