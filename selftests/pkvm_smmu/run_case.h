/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The test modules' cases are debugfs files: reading one runs it in the
 * kernel and returns "ok\n" or what went wrong.
 */
#ifndef PKVM_SMMU_RUN_CASE_H
#define PKVM_SMMU_RUN_CASE_H

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

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
