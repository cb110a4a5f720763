// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile host racing itself on the pKVM IOMMU hypercalls. Each test reads
 * a race case of the pkvm-smmu-test module (CONFIG_ARM_SMMU_V3_PKVM_TEST):
 * a kthread on every online CPU makes random hypercalls on a few shared
 * domains for a bounded time while others free and reallocate them:
 *
 *  - free_domain against map, unmap and iova_to_phys;
 *  - free_domain against attach, detach and map;
 *  - sharing the mapped pages with the hypervisor against map and unmap:
 *    refused while a page is mapped, and while shared no domain reaches it;
 *  - donating the pages to the hypervisor against lazy unmaps and flushes:
 *    a page whose unmaps are only deferred is donated, the hypervisor
 *    completing them first.
 *
 * Every call must return one of its documented results, and once the
 * domains are freed no page may stay DMA-counted or held by the hypervisor.
 * The kernel must not have disabled lockdep on the way, when it has it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "pkvm_smmu.h"

#define CASES		"/sys/kernel/debug/pkvm-smmu-test"
#define LOCKDEP_STATS	"/proc/lockdep_stats"

FIXTURE(race) {
	char out[1024];
};

FIXTURE_VARIANT(race) {
	const char *name;
};

FIXTURE_VARIANT_ADD(race, free_domain_vs_map_unmap) {
	.name = "race_free_domain_vs_map_unmap",
};

FIXTURE_VARIANT_ADD(race, free_domain_vs_attach_detach) {
	.name = "race_free_domain_vs_attach_detach",
};

FIXTURE_VARIANT_ADD(race, share_hyp_vs_map_unmap) {
	.name = "race_share_hyp_vs_map_unmap",
};

FIXTURE_VARIANT_ADD(race, donate_vs_lazy_unmap) {
	.name = "race_donate_vs_lazy_unmap",
};

FIXTURE_SETUP(race)
{
	if (access(CASES, F_OK))
		SKIP(return, "no %s: build with CONFIG_ARM_SMMU_V3_PKVM_TEST", CASES);
}

FIXTURE_TEARDOWN(race)
{
}

/* Whether lockdep is still checking: it turns itself off at its first report. */
static int lockdep_on(void)
{
	char line[128];
	int on = -1;
	FILE *f;

	f = fopen(LOCKDEP_STATS, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " debug_locks: %d", &on) == 1)
			break;
	fclose(f);
	return on;
}

TEST_F(race, consistent)
{
	char *ok;

	ASSERT_EQ(0, run_case(CASES, variant->name, self->out, sizeof(self->out)))
		TH_LOG("cannot run case %s", variant->name);
	ok = strstr(self->out, "\nok\n");
	ASSERT_TRUE(ok && !ok[4]) TH_LOG("%s: %s", variant->name, self->out);
	*ok = '\0';
	TH_LOG("%s", self->out);
	if (lockdep_on() < 0) {
		TH_LOG("no %s: lockdep is not built in, locking not checked", LOCKDEP_STATS);
		return;
	}
	ASSERT_EQ(1, lockdep_on()) TH_LOG("lockdep reported a problem and turned off");
}

TEST_HARNESS_MAIN
