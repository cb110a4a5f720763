// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the hypervisor's IOMMU core (iommu.c, io-pgtable.c and
 * memory.c, compiled unchanged) driven by hypercall sequences decoded from
 * the input, on several simulated CPUs with their own memcache, against the
 * model of host page ownership and the fake IOMMU of harness.h.
 *
 * After every call: every translation points at a host-owned page or host
 * MMIO with the descriptor its prot asks for, each page's DMA count equals
 * its live mappings, no count dropped while a table or TLB entry reaches
 * the page, no table freed while the walk cache holds it, arguments out of
 * range refused with their documented error, every -ENOMEM answered by a
 * donation that makes the retry succeed, and every donated page in use or
 * in a memcache. After each input everything is torn down and every page
 * must be back. A violation aborts, which libFuzzer reports as a crash
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

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	harness_init(KVM_IO_PGTABLE_S2, true);
	set_owners();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned long long checked = owner_changes;
	int n;

	input = data;
	input_left = size;

	for (n = 0; input_left && n < MAX_CALLS; n++) {
		snprintf(where, sizeof(where), "call %d", n);
		random_call(from_input);
		if (!check_state() || (n % 64 == 0 && !check_memory()) || failures)
			abort();
		/* The identity domain against the owners, when they changed */
		if (n % 32 == 0 && checked != owner_changes) {
			checked = owner_changes;
			if (!check_idmap())
				abort();
		}
	}
	if (!check_idmap() || !check_device_tables() || !teardown() || nr_maps || failures)
		abort();
	return 0;
}

/* libFuzzer prints executions and coverage; the calls made are ours to say. */
__attribute__((destructor)) static void report_hypercalls(void)
{
	fprintf(stderr, "fuzz: %llu hypercalls, %llu maps made\n", hypercalls, maps_made);
}
