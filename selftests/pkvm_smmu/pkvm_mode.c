// SPDX-License-Identifier: GPL-2.0
/*
 * Check that KVM came up as the protected hypervisor (pKVM), the mode in
 * which the host is deprivileged and the hypervisor owns the SMMUs.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>

#include "../kselftest_harness.h"

#define SYSLOG_ACTION_READ_ALL	3
#define SYSLOG_ACTION_SIZE_BUFFER	10

static char *read_kernel_log(void)
{
	int size = klogctl(SYSLOG_ACTION_SIZE_BUFFER, NULL, 0);
	char *buf;
	int len;

	if (size <= 0)
		return NULL;
	buf = malloc(size + 1);
	if (!buf)
		return NULL;
	len = klogctl(SYSLOG_ACTION_READ_ALL, buf, size);
	if (len < 0) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

static bool cmdline_has(const char *arg)
{
	char line[4096];
	FILE *f = fopen("/proc/cmdline", "r");
	bool found = false;
	char *tok, *save;

	if (!f)
		return false;
	if (fgets(line, sizeof(line), f)) {
		for (tok = strtok_r(line, " \t\n", &save); tok;
		     tok = strtok_r(NULL, " \t\n", &save))
			found |= !strcmp(tok, arg);
	}
	fclose(f);
	return found;
}

TEST(requested_on_cmdline)
{
	ASSERT_TRUE(cmdline_has("kvm-arm.mode=protected"))
		TH_LOG("boot with kvm-arm.mode=protected");
}

TEST(protected_mode_initialized)
{
	char *log = read_kernel_log();
	const char *mode;

	ASSERT_NE(NULL, log) TH_LOG("cannot read the kernel log");
	if (strstr(log, "Protected hVHE mode initialized successfully"))
		mode = "hVHE";
	else if (strstr(log, "Protected nVHE mode initialized successfully"))
		mode = "nVHE";
	else
		mode = NULL;
	free(log);
	ASSERT_NE(NULL, mode) TH_LOG("pKVM did not report a successful init");
	ksft_print_msg("pKVM runs in protected %s mode\n", mode);
}

TEST_HARNESS_MAIN
