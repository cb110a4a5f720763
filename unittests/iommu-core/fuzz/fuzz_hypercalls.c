// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the hypervisor's IOMMU core (iommu.c and io-pgtable.c,
 * compiled unchanged) driven by hypercall sequences decoded from the input,
 * on several simulated CPUs with their own memcache, against the model of
 * host page ownership and the fake IOMMU of harness.h.
 *
 * After every call: every translation points at a host-owned page or host
 * MMIO, each page's DMA count equals its live mappings, no count dropped
 * before a flush covering the IOVA, and every donated page is in use or in
 * a CPU's memcache. After each input everything is torn down and every
 * page must be back. A violation aborts, which libFuzzer reports as a crash
 * with the input that caused it.
 */
#include "../harness.h"

#define MAX_CALLS	512

static const uint8_t *input;
static size_t input_left;

/* Arguments are taken two bytes at a time; an exhausted input gives 0. */
static uint64_t from_input(void)
{
	uint64_t v = 0;

	if (input_left >= 2) {
		v = input[0] | input[1] << 8;
		input += 2;
		input_left -= 2;
	} else if (input_left) {
		v = input[0];
		input_left = 0;
	}
	return v;
}

/* Donated pages are in use by the core or waiting in a CPU's memcache. */
static bool check_memory(void)
{
	long long held = pages_in_use;
	int i;

	for (i = 0; i < NR_CPUS; i++)
		held += cpu_pages[i];
	CHECK(held == (long long)pages_donated, "%lld pages in use or cached, %llu donated",
	      held, pages_donated);
	return true;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	pool = aligned_alloc(SZ_4K, (size_t)POOL_PAGES * SZ_4K);
	if (!pool || kvm_iommu_init(&fake_ops, KVM_IO_PGTABLE_S2, IAS, OAS))
		abort();
	device_init();
	set_owners();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int n, i;

	input = data;
	input_left = size;
	pages_donated = 0;
	for (i = 0; i < NR_CPUS; i++)
		cpu_pages[i] = 0;
	for (n = 0; input_left && n < MAX_CALLS; n++) {
		snprintf(where, sizeof(where), "call %d", n);
		random_call(from_input);
		if (!check_state() || !check_memory())
			abort();
	}
	if (!check_device_tables())
		abort();
	if (!teardown() || nr_maps)
		abort();
	return 0;
}

/* libFuzzer prints executions and coverage; the calls made are ours to say. */
__attribute__((destructor)) static void report_hypercalls(void)
{
	fprintf(stderr, "fuzz: %llu hypercalls\n", hypercalls);
}
