// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace test of the hypervisor's IOMMU core and its memory supply
 * against the model and the fake IOMMU of harness.h: named adversarial
 * calls, the memory supply, memcache shortage, flush failure, races
 * between CPUs, and random calls in both table formats. Prints TAP and
 * exits non-zero when any test failed.
 */
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

/* ---- Tests ---- */

static int tap_n, tap_failed;

/* A test passes when it says so and reported no failure on the way. */
static void tap(bool (*fn)(void), const char *name)
{
	int before = failures;
	bool ok = fn() && failures == before;

	tap_failed += !ok;
	printf("%s %d - iommu-core.%s\n", ok ? "ok" : "not ok", ++tap_n, name);
	fflush(stdout);
}

static int failed_cases;

/* One malformed hypercall; domain 1 exists with stream 0 of IOMMU 0. */
static int adversarial_call(int i)
{
	const uint64_t top = 1ULL << IAS;
	size_t n;

	switch (i) {
	case 0: return alloc_domain(KVM_IOMMU_MAX_DOMAINS);
	case 1: return alloc_domain(~0U);
	case 2: return alloc_domain(1);
	case 3: return free_domain(KVM_IOMMU_MAX_DOMAINS);
	case 4: return free_domain(7);
	case 5: return free_domain(1);
	case 6: return kvm_iommu_attach_dev(0, 5000, 3);
	case 7: return kvm_iommu_attach_dev(0, 9, 3);
	case 8: return kvm_iommu_attach_dev(NR_IOMMUS, 1, 3);
	case 9: return kvm_iommu_attach_dev(0, 1, NR_SIDS);
	case 10: return kvm_iommu_attach_dev(0, 1, ~0U);
	case 11: return kvm_iommu_attach_dev(0, 1, 0);
	case 12: return kvm_iommu_attach_dev(0, 2, 0);
	case 13: return kvm_iommu_detach_dev(0, 1, 5);
	case 14: return kvm_iommu_detach_dev(0, 2, 0);
	case 15: return kvm_iommu_detach_dev(0, 9, 0);
	case 16: return map(KVM_IOMMU_MAX_DOMAINS, 0, MEM_BASE, SZ_4K, 1, RW, &n);
	case 17: return map(9, 0, MEM_BASE, SZ_4K, 1, RW, &n);
	case 18: return map(1, 0, MEM_BASE, 0, 1, RW, &n);
	case 19: return map(1, 0, MEM_BASE, SZ_8K, 1, RW, &n);
	case 20: return map(1, 0, MEM_BASE, SZ_4K | SZ_2M, 1, RW, &n);
	case 21: return map(1, 0, MEM_BASE, 1ULL << 39, 1, RW, &n);
	case 22: return map(1, 0, MEM_BASE, SZ_4K, 0, RW, &n);
	case 23: return map(1, 0, MEM_BASE, SZ_4K, 1ULL << 53, RW, &n);
	case 24: return map(1, 0, MEM_BASE, SZ_2M, (~0ULL / SZ_2M) + 2, RW, &n);
	case 25: return map(1, top, MEM_BASE, SZ_4K, 1, RW, &n);
	case 26: return map(1, top - SZ_4K, MEM_BASE, SZ_4K, 2, RW, &n);
	case 27: return map(1, 0x800, MEM_BASE, SZ_4K, 1, RW, &n);
	case 28: return map(1, SZ_4K, MEM_BASE, SZ_2M, 1, RW, &n);
	case 29: return map(1, 0, MEM_BASE + 8, SZ_4K, 1, RW, &n);
	case 30: return map(1, 0, 1ULL << OAS, SZ_4K, 1, RW, &n);
	case 31: return map(1, 0, ~0ULL & ~0xfffULL, SZ_4K, 2, RW, &n);
	case 32: return map(1, 0, MEM_BASE, SZ_4K, 1, 0, &n);
	case 33: return map(1, 0, MEM_BASE, SZ_4K, 1, RW | 0x40, &n);
	case 34: return map(1, 0, MEM_BASE, SZ_4K, 1, -1, &n);
	case 35: return map(1, 0, MEM_BASE + SZ_1M, SZ_4K, 1, RW, &n);
	case 36: return map(1, 0, MEM_BASE + 2 * SZ_1M, SZ_4K, 1, RW, &n);
	case 37: return map(1, 0, MEM_BASE + SZ_1M - SZ_8K, SZ_4K, 4, RW, &n);
	case 38: return map(1, 0, SMMU_MMIO, SZ_4K, 1, RW | IOMMU_MMIO, &n);
	case 39: return map(1, 0, MEM_END - SZ_4K, SZ_4K, 2, RW, &n);
	case 40: return map(1, 0x100000, MEM_BASE + SZ_8M, SZ_4K, 1, RW, &n);
	case 41: return map(1, 0, MEM_BASE + 4 * SZ_2M, SZ_2M, 1, RW, &n);
	case 42: return unmap(KVM_IOMMU_MAX_DOMAINS, 0x100000, SZ_4K, 1, &n);
	case 43: return unmap(9, 0x100000, SZ_4K, 1, &n);
	case 44: return unmap(1, 0x200000, SZ_4K, 1, &n);
	case 45: return unmap(1, 0x100000, 3 * SZ_4K, 1, &n);
	case 46: return unmap(1, 0x100800, SZ_4K, 1, &n);
	case 47: return unmap(1, ~0ULL & ~0xfffULL, SZ_4K, 2, &n);
	case 48: return unmap(1, SZ_1G + SZ_4K, SZ_4K, 1, &n);
	/* High bits that truncation to 32 bits would drop */
	case 49: return alloc_domain(BIT_ULL(32) | 3);
	case 50: return free_domain(BIT_ULL(32) | 2);
	case 51: return kvm_iommu_attach_dev(BIT_ULL(32), 1, 3);
	case 52: return kvm_iommu_attach_dev(0, BIT_ULL(32) | 1, 3);
	case 53: return kvm_iommu_attach_dev(0, 1, BIT_ULL(32) | 3);
	case 54: return kvm_iommu_detach_dev(0, 1, BIT_ULL(32));
	case 55: return map(BIT_ULL(32) | 1, 0, MEM_BASE, SZ_4K, 1, RW, &n);
	case 56: return map(1, 0, MEM_BASE, SZ_4K, 1, BIT_ULL(32) | RW, &n);
	case 57: return unmap(BIT_ULL(32) | 1, 0x100000, SZ_4K, 1, &n);
	}
	return 0;
}

/*
 * Each malformed hypercall gets its documented error, changes nothing,
 * and a normal map/unmap still works afterwards.
 */
static bool adversarial(void)
{
	size_t n;
	int ret, i;
	static const char *const names[] = {
		"alloc_domain_id_out_of_range",
		"alloc_domain_id_huge",
		"alloc_domain_twice",
		"free_domain_out_of_range",
		"free_domain_never_allocated",
		"free_domain_attached",
		"attach_domain_out_of_range",
		"attach_domain_never_allocated",
		"attach_iommu_out_of_range",
		"attach_sid_out_of_range",
		"attach_sid_huge",
		"attach_twice",
		"attach_to_second_domain",
		"detach_not_attached",
		"detach_from_wrong_domain",
		"detach_domain_never_allocated",
		"map_domain_out_of_range",
		"map_domain_never_allocated",
		"map_pgsize_zero",
		"map_pgsize_8k",
		"map_pgsize_not_power_of_2",
		"map_pgsize_512g",
		"map_pgcount_zero",
		"map_pgcount_overflows_size",
		"map_pgcount_wraps_u64",
		"map_iova_beyond_ias",
		"map_iova_plus_size_beyond_ias",
		"map_iova_unaligned",
		"map_iova_unaligned_to_block",
		"map_paddr_unaligned",
		"map_paddr_beyond_oas",
		"map_paddr_plus_size_wraps",
		"map_prot_none",
		"map_prot_unknown_bit",
		"map_prot_negative",
		"map_hyp_memory",
		"map_guest_memory",
		"map_range_ending_in_hyp_memory",
		"map_smmu_mmio",
		"map_range_across_memory_end",
		"map_over_existing",
		"map_block_over_existing_page",
		"unmap_domain_out_of_range",
		"unmap_domain_never_allocated",
		"unmap_hole",
		"unmap_pgsize_bad",
		"unmap_unaligned",
		"unmap_overflow",
		"unmap_part_of_block",
		"alloc_domain_id_high_bits",
		"free_domain_id_high_bits",
		"attach_iommu_id_high_bits",
		"attach_domain_id_high_bits",
		"attach_sid_high_bits",
		"detach_sid_high_bits",
		"map_domain_id_high_bits",
		"map_prot_high_bits",
		"unmap_domain_id_high_bits",
	};
	static const int wants[] = {
		-EINVAL,
		-EINVAL,
		-EEXIST,
		-EINVAL,
		-ENOENT,
		-EBUSY,
		-EINVAL,
		-ENOENT,
		-EINVAL,
		-EINVAL,
		-EINVAL,
		-EBUSY,
		-EBUSY,
		-ENOENT,
		-ENOENT,
		-ENOENT,
		-EINVAL,
		-ENOENT,
		-EINVAL,
		-EINVAL,
		-EINVAL,
		-EINVAL,
		-EINVAL,
		-ERANGE,
		-ERANGE,
		-ERANGE,
		-ERANGE,
		-EINVAL,
		-EINVAL,
		-EINVAL,
		-ERANGE,
		-ERANGE,
		-EINVAL,
		-EINVAL,
		-EINVAL,
		-EPERM,
		-EPERM,
		-EPERM,
		-EPERM,
		-EINVAL,
		-EEXIST,
		-EEXIST,
		-EINVAL,
		-ENOENT,
		-ENOENT,
		-EINVAL,
		-EINVAL,
		-ERANGE,
		-EINVAL,
		-EINVAL,
		-EINVAL,
		-EINVAL,
		-EINVAL,
		-EINVAL,
		-EINVAL,
		-EINVAL,
		-EINVAL,
		-EINVAL,
	};

	snprintf(where, sizeof(where), "adversarial setup");
	for (i = 0; i < 256; i++)
		set_owner(SZ_1M / SZ_4K + i, HYP);
	for (i = 0; i < 256; i++)
		set_owner(2 * SZ_1M / SZ_4K + i, GUEST);
	CHECK(!alloc_domain(1) && !alloc_domain(2), "alloc");
	CHECK(!kvm_iommu_attach_dev(0, 1, 0), "attach");
	CHECK(!map(1, 0x100000, MEM_BASE + SZ_4M, SZ_4K, 1, RW, &n), "map");
	/* Where a block over the table must stop at once */
	CHECK(!map(1, 0, MEM_BASE + SZ_4M + SZ_4K, SZ_4K, 1, RW, &n), "map at 0");
	CHECK(!map(1, SZ_1G, MEM_BASE + 16 * SZ_2M, SZ_2M, 1, RW, &n), "map block");

	for (i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++) {
		int before = nr_maps, failed_before = failures;
		bool ok;

		snprintf(where, sizeof(where), "%s", names[i]);
		ret = adversarial_call(i);
		if (ret != wants[i])
			FAIL("returned %d, documented %d", ret, wants[i]);
		else if (nr_maps != before || !check_state())
			FAIL("state changed");
		else if (map(1, 0x300000, MEM_BASE + SZ_16M, SZ_4K, 2, RW, &n) ||
			 unmap(1, 0x300000, SZ_4K, 2, &n) || n != SZ_8K || !check_state())
			FAIL("a normal map/unmap fails afterwards");
		ok = failures == failed_before;
		printf("%s %d - iommu-core.adversarial.%s\n", ok ? "ok" : "not ok", ++tap_n,
		       names[i]);
		failed_cases += !ok;
		tap_failed += !ok;
	}

	/* Undo the setup: tear down through the hypercalls. */
	snprintf(where, sizeof(where), "adversarial teardown");
	CHECK(!kvm_iommu_detach_dev(0, 1, 0), "detach");
	CHECK(!free_domain(1) && !free_domain(2), "free");
	CHECK(nr_maps == 0 && check_state() && kvm_iommu_pages_in_use() == 0, "leftovers");
	for (i = 0; i < 512; i++)
		set_owner(SZ_1M / SZ_4K + i, HOST);
	return !failed_cases;
}

/*
 * One map, unmap or free call accounts at most 2MiB of pages, or one
 * leaf when the leaf is larger, whatever the range: the host continues
 * from what was done.
 */
static bool work_per_call_is_bounded(void)
{
	uint64_t iova = 7ULL * SZ_1G, done, i;
	size_t n;
	int ret;

	snprintf(where, sizeof(where), "work per call");
	set_memcache(64);
	CHECK(!alloc_domain(6), "alloc");
	accounted_bytes = 0;
	ret = map(6, iova, MEM_BASE, SZ_4K, 1024, RW, &n);
	CHECK(!ret && n == SZ_2M && accounted_bytes == SZ_2M,
	      "1024 pages: %d, %zu mapped, %llu bytes accounted", ret, n,
	      (unsigned long long)accounted_bytes);
	CHECK(!map(6, iova + SZ_2M, MEM_BASE + SZ_2M, SZ_4K, 512, RW, &n) && n == SZ_2M,
	      "the rest");
	ret = map(6, 8ULL * SZ_1G, MEM_BASE + SZ_8M, SZ_2M, 4, RW, &n);
	CHECK(!ret && n == SZ_2M, "2MiB blocks: %d, %zu mapped", ret, n);
	ret = map(6, 9ULL * SZ_1G, HOST_MMIO_1G, SZ_1G, 2, RW, &n);
	CHECK(!ret && n == SZ_1G, "1GiB blocks: %d, %zu mapped", ret, n);

	accounted_bytes = 0;
	ret = unmap(6, iova, SZ_4K, 1024, &n);
	CHECK(!ret && n == SZ_2M && accounted_bytes == SZ_2M,
	      "unmap 1024 pages: %d, %zu unmapped, %llu bytes accounted", ret, n,
	      (unsigned long long)accounted_bytes);
	CHECK(!unmap(6, iova + SZ_2M, SZ_4K, 512, &n) && n == SZ_2M, "unmap the rest");
	CHECK(!unmap(6, 8ULL * SZ_1G, SZ_2M, 1, &n) && n == SZ_2M, "unmap a block");
	CHECK(!unmap(6, 9ULL * SZ_1G, SZ_1G, 1, &n) && n == SZ_1G, "unmap 1GiB");

	/* Pages far apart: many small gathers, still 2MiB in all. */
	for (i = 0; i < 1024; i++)
		CHECK(!map(6, iova + i * SZ_4K, MEM_BASE + 2 * i * SZ_4K, SZ_4K, 1, RW, &n),
		      "map page %llu", (unsigned long long)i);
	accounted_bytes = 0;
	ret = unmap(6, iova, SZ_4K, 1024, &n);
	CHECK(!ret && n == SZ_2M && accounted_bytes == SZ_2M,
	      "unmap of scattered pages: %d, %zu unmapped, %llu bytes accounted", ret, n,
	      (unsigned long long)accounted_bytes);
	for (done = n; done < 1024 * SZ_4K; done += n) {
		ret = unmap(6, iova + done, SZ_4K, 1024 - done / SZ_4K, &n);
		CHECK(!ret && n, "continued unmap: %d", ret);
	}
	CHECK(!free_domain(6) && nr_maps == 0 && check_state(), "free");

	/*
	 * A free releases what is left as an unmap would: 2MiB of pages, or
	 * one larger leaf, per call; the domain stays until the last.
	 */
	CHECK(!alloc_domain(6), "alloc again");
	for (i = 0; i < 3; i++)
		CHECK(!map(6, i * SZ_2M, MEM_BASE + i * SZ_2M, SZ_4K, 512, RW, &n),
		      "map 2MiB of pages");
	CHECK(!map(6, SZ_1G, HOST_MMIO_1G, SZ_1G, 1, RW, &n) &&
	      !map(6, 2ULL * SZ_1G, HOST_MMIO_1G + SZ_1G, SZ_1G, 1, RW, &n), "map 2GiB of MMIO");
	/*
	 * Between the calls the domain is live and may be attached again:
	 * a device walking its tables in memory sees no leaf that was
	 * released.
	 */
	for (i = 0; (ret = free_domain_once(6)) == -EAGAIN; i++) {
		CHECK(live_domains[6] && check_state(), "after free call %llu",
		      (unsigned long long)i);
		CHECK(!kvm_iommu_attach_dev(0, 6, 7) && check_device_tables() &&
		      device_translate(6, (i + 1) * SZ_2M - SZ_4K) == NO_TRANSLATION &&
		      !kvm_iommu_detach_dev(0, 6, 7), "attached after free call %llu",
		      (unsigned long long)i);
	}
	CHECK(!ret && i == 4 && nr_maps == 0 && check_state(),
	      "free: %d after %llu calls", ret, (unsigned long long)i);
	return true;
}

/*
 * Runs of scattered pages in one call, as a scatterlist needs them: each
 * lands at the IOVA after the one before; too many runs are refused; a run
 * the host does not own stops the call with what came before it mapped
 * and accounted; and one call stops at 2MiB, for the caller to go on.
 */
static bool map_runs_in_one_call(void)
{
	uint64_t iova = 5ULL * SZ_1G, runs[KVM_IOMMU_MAX_RUNS + 1];
	size_t n;
	int ret, i;

	snprintf(where, sizeof(where), "map runs");
	set_memcache(64);
	CHECK(!alloc_domain(6), "alloc");
	runs[0] = KVM_IOMMU_RUN(MEM_BASE + SZ_1M, 2);
	runs[1] = KVM_IOMMU_RUN(MEM_BASE + SZ_4K, 1);
	runs[2] = KVM_IOMMU_RUN(MEM_BASE + SZ_2M, 5);
	ret = map_runs(6, iova, RW, runs, 3, &n);
	CHECK(!ret && n == 8 * SZ_4K, "three runs: %d, %zu mapped", ret, n);
	CHECK(kvm_iommu_iova_to_phys(6, iova + SZ_4K) == MEM_BASE + SZ_1M + SZ_4K &&
	      kvm_iommu_iova_to_phys(6, iova + 2 * SZ_4K) == MEM_BASE + SZ_4K &&
	      kvm_iommu_iova_to_phys(6, iova + 7 * SZ_4K) == MEM_BASE + SZ_2M + 4 * SZ_4K,
	      "a run at the wrong IOVA");
	CHECK(!unmap(6, iova, SZ_4K, 8, &n) && n == 8 * SZ_4K, "unmap");

	for (i = 0; i <= KVM_IOMMU_MAX_RUNS; i++)
		runs[i] = KVM_IOMMU_RUN(MEM_BASE + i * SZ_8K, 1);
	ret = map_runs(6, iova, RW, runs, KVM_IOMMU_MAX_RUNS + 1, &n);
	CHECK(ret == -EINVAL && !n, "%d runs: %d, %zu mapped", KVM_IOMMU_MAX_RUNS + 1, ret, n);

	runs[1] = KVM_IOMMU_RUN(SMMU_MMIO, 1);
	ret = map_runs(6, iova, RW, runs, 3, &n);
	CHECK(ret == -EPERM && n == SZ_4K, "a run of the SMMU's registers: %d, %zu mapped",
	      ret, n);
	CHECK(!kvm_iommu_iova_to_phys(6, iova + SZ_4K), "the run after the refused one");
	CHECK(!unmap(6, iova, SZ_4K, 1, &n) && n == SZ_4K, "unmap the first run");

	runs[0] = KVM_IOMMU_RUN(MEM_BASE, KVM_IOMMU_RUN_MAX_PAGES);
	runs[1] = KVM_IOMMU_RUN(MEM_BASE + SZ_16M, 1);
	ret = map_runs(6, iova, RW, runs, 2, &n);
	CHECK(!ret && n == SZ_2M, "a run of 16MiB: %d, %zu mapped", ret, n);
	CHECK(!unmap(6, iova, SZ_4K, 512, &n) && n == SZ_2M, "unmap 2MiB");
	CHECK(!free_domain(6) && nr_maps == 0 && check_state(), "free");
	return true;
}

/*
 * The memory supply, memory.c itself: a reservation of n pages holds with
 * n pages cached and fails with n - 1, asking for exactly the shortfall;
 * allocations are zeroed (the harness checks each one), freed pages are
 * poisoned until reused, and reclaimed pages reach the host zeroed and
 * owned by it again.
 */
static bool memory_supply(void)
{
	void *pages[8], *big[40];
	unsigned long need;
	long pfn;
	int i, n;

	snprintf(where, sizeof(where), "memory supply");
	for (n = 0; n <= 4; n++) {
		set_memcache(n);
		CHECK(!kvm_iommu_reserve_pages(n), "reserve %d with %d cached", n, n);
		CHECK(n == 0 || !kvm_iommu_reserve_pages(n - 1), "reserve %d with %d cached",
		      n - 1, n);
		CHECK(kvm_iommu_reserve_pages(n + 1) == -ENOMEM, "reserve %d with %d cached",
		      n + 1, n);
		need = kvm_iommu_pages_needed();
		CHECK(need == 1, "short of 1 page, asks for %lu", need);
		CHECK(kvm_iommu_pages_needed() == 0, "the request was not cleared");
		/* What a reservation of n promises: n allocations. */
		for (i = 0; i < n; i++)
			CHECK((pages[i] = kvm_iommu_alloc_page()), "allocation %d of %d", i + 1, n);
		CHECK(!kvm_iommu_alloc_page(), "allocated more than was donated");
		CHECK(kvm_iommu_pages_in_use() == n, "%d pages in use", kvm_iommu_pages_in_use());
		for (i = 0; i < n; i++) {
			memset(pages[i], 0x77, SZ_4K);
			kvm_iommu_free_page(pages[i]);
			/* The first word links the memcache list. */
			CHECK(bytes_are((unsigned char *)pages[i] + 8, SZ_4K - 8, POISON),
			      "a freed page keeps its data");
		}
		CHECK(check_memory(), "accounting");
	}
	CHECK(kvm_iommu_stat(KVM_IOMMU_NR_STATS) == -EINVAL && kvm_iommu_stat(~0ULL) == -EINVAL,
	      "an unknown statistic is not refused");
	set_memcache(0);
	CHECK(kvm_iommu_reserve_pages(40) == -ENOMEM && kvm_iommu_pages_needed() == 40,
	      "an empty memcache asks for all");
	/*
	 * Frees past what a CPU keeps wait for the host in one list, which
	 * any CPU's reclaim drains first; a CPU's memcache only its own does.
	 */
	host_donate(40);
	for (i = 0; i < 40; i++)
		CHECK((big[i] = kvm_iommu_alloc_page()), "allocation %d", i);
	for (i = 0; i < 40; i++)
		kvm_iommu_free_page(big[i]);
	harness_cpu = 1;
	for (n = 0; (pfn = kvm_iommu_reclaim_page()) >= 0; n++) {
		pages_reclaimed++;
		CHECK(mem_owner[mem_page(pfn * SZ_4K)] == HOST, "reclaimed, not the host's");
	}
	harness_cpu = 0;
	CHECK(n == 40 - 32, "another CPU reclaimed %d of 40 freed pages", n);
	host_reclaim(0);
	return check_memory() && kvm_iommu_pages_in_use() == 0;
}

/* A map with too few pages in the memcache maps nothing; the retry works. */
static bool memcache_shortage(void)
{
	size_t mapped;
	int ret, in_use;

	snprintf(where, sizeof(where), "memcache shortage");
	set_memcache(64);
	CHECK(!alloc_domain(3), "alloc");
	set_memcache(1);
	ret = map(3, 5ULL * SZ_1G, MEM_BASE, SZ_4K, 600, RW, &mapped);
	CHECK(ret == -ENOMEM && mapped == 0, "returned %d, mapped %zu", ret, mapped);
	CHECK(kvm_iommu_pages_needed() == 5, "asks for %lu more pages, 6 the most a call adds",
	      kvm_iommu_pages_needed());
	CHECK(check_state() && nr_maps == 0, "state after -ENOMEM");
	host_donate(5);
	/* One call does 2MiB: the host continues from what was done. */
	ret = map(3, 5ULL * SZ_1G, MEM_BASE, SZ_4K, 600, RW, &mapped);
	CHECK(!ret && mapped == SZ_2M && check_state(), "retry: %d, %zu bytes", ret, mapped);
	host_donate(8);
	ret = map(3, 5ULL * SZ_1G + SZ_2M, MEM_BASE + SZ_2M, SZ_4K, 88, RW, &mapped);
	CHECK(!ret && mapped == 88 * SZ_4K && check_state(), "the rest");
	ret = unmap(3, 5ULL * SZ_1G, SZ_4K, 600, &mapped);
	CHECK(!ret && mapped == SZ_2M, "unmap: %d, %zu bytes", ret, mapped);
	ret = unmap(3, 5ULL * SZ_1G + SZ_2M, SZ_4K, 88, &mapped);
	CHECK(!ret && mapped == 88 * SZ_4K && check_state(), "unmap the rest");

	/*
	 * A call's 2MiB across a 512GiB boundary where no table is yet: two
	 * tables at each level below the root, the most one call adds. With a
	 * page less cached it maps nothing and asks for that page.
	 */
	set_memcache(5);
	in_use = kvm_iommu_pages_in_use();
	ret = map(3, (1ULL << 40) - SZ_1M, MEM_BASE, SZ_4K, 512, RW, &mapped);
	CHECK(ret == -ENOMEM && mapped == 0 && kvm_iommu_pages_needed() == 1,
	      "6 tables with 5 pages cached: %d, %zu mapped", ret, mapped);
	host_donate(1);
	ret = map(3, (1ULL << 40) - SZ_1M, MEM_BASE, SZ_4K, 512, RW, &mapped);
	CHECK(!ret && mapped == SZ_2M && kvm_iommu_pages_in_use() == in_use + 6 &&
	      check_state(), "6 tables with 6 pages cached: %d, %zu mapped", ret, mapped);
	ret = unmap(3, (1ULL << 40) - SZ_1M, SZ_4K, 512, &mapped);
	CHECK(!ret && mapped == SZ_2M && check_state(), "unmap across 512GiB");

	/*
	 * A range needing far more tables than a donation brings maps step by
	 * step: each -ENOMEM asks for a few pages and keeps what was mapped.
	 */
	{
		size_t total = 0, asks = 0, largest = 0;
		uint64_t count = 20 * 512;	/* 40MiB of 4KiB pages: 20+ tables */

		set_memcache(0);
		while (total < count * SZ_4K) {
			unsigned long need;

			ret = map(3, 6ULL * SZ_1G + total, MEM_BASE + total, SZ_4K,
				  count - total / SZ_4K, RW, &mapped);
			total += mapped;
			if (!ret)
				continue;
			if (ret != -ENOMEM)
				break;
			asks++;
			need = kvm_iommu_pages_needed();
			CHECK(need, "-ENOMEM without a request");
			if (need > largest)
				largest = need;
			host_donate(1);	/* a small donation */
		}
		CHECK(!ret && total == count * SZ_4K && asks > 5,
		      "large map: returned %d after %zu bytes, %zu donations", ret, total,
		      asks);
		/* The host donates at most 64 pages per answer. */
		CHECK(largest <= 8, "the hypervisor asked for %zu pages at once", largest);
		CHECK(check_state(), "state after the large map");
		for (total = 0; total < count * SZ_4K; total += mapped) {
			ret = unmap(3, 6ULL * SZ_1G + total, SZ_4K, count - total / SZ_4K,
				    &mapped);
			if (ret || !mapped)
				break;
		}
		CHECK(!ret && total == count * SZ_4K, "unmap the large range");
	}
	set_memcache(0);
	ret = alloc_domain(4);
	CHECK(ret == -ENOMEM && kvm_iommu_pages_needed() == 2, "alloc without memory: %d", ret);
	set_memcache(1);
	ret = alloc_domain(4);
	CHECK(ret == -ENOMEM && kvm_iommu_pages_needed() == 1, "alloc with one page: %d", ret);
	/* The tables stay until the domain goes. */
	CHECK(kvm_iommu_pages_in_use() == 1 + domain_tables(3),
	      "%d pages in use, domain 3 and its %d tables", kvm_iommu_pages_in_use(),
	      domain_tables(3));
	CHECK(!free_domain(3) && nr_maps == 0 && check_state(), "free with mappings");
	set_memcache(2);
	CHECK(!alloc_domain(4) && !free_domain(4) && kvm_iommu_pages_in_use() == 0,
	      "alloc after the shortage");
	set_memcache(64);
	return check_memory();
}

/*
 * When the IOMMU fails to flush, the unmapped page stays counted: the TLB
 * may still use it. The tables go with the domain as always.
 */
static bool flush_failure(void)
{
	uint64_t page = MEM_BASE + SZ_8M;
	unsigned long flushes;
	size_t n;
	int ret, before;

	snprintf(where, sizeof(where), "flush failure");
	set_memcache(64);
	CHECK(!alloc_domain(5), "alloc");
	CHECK(!kvm_iommu_attach_dev(0, 5, 7), "attach");
	CHECK(!map(5, 3ULL * SZ_1G, page, SZ_4K, 1, RW, &n), "map");
	before = kvm_iommu_pages_in_use();	/* domain, root and three tables */
	CHECK(before == 5, "%d pages for one 4KiB mapping", before);
	flushes = nr_flushes;
	flush_fails = true;
	ret = unmap(5, 3ULL * SZ_1G, SZ_4K, 1, &n);
	flush_fails = false;
	CHECK(nr_flushes == flushes + 1, "the unmap did not try to flush");
	CHECK(ret == -EIO && n == 0, "unmap returned %d, unmapped %zu", ret, n);
	CHECK(mem_dma_count((page - MEM_BASE) / SZ_4K) == 1, "page released");
	CHECK(!kvm_iommu_iova_to_phys(5, 3ULL * SZ_1G), "entry still there");
	CHECK(kvm_iommu_pages_in_use() == before, "tables freed by an unmap");
	CHECK(check_state(), "state");
	CHECK(!kvm_iommu_detach_dev(0, 5, 7) && !free_domain(5), "free");
	CHECK(kvm_iommu_pages_in_use() == 0, "%d pages left", kvm_iommu_pages_in_use());
	CHECK(mem_dma_count((page - MEM_BASE) / SZ_4K) == 1, "page released at free");
	return true;
}

/*
 * Lazy unmaps (KVM_IOMMU_UNMAP_DEFER): the entries go at once, the pages
 * stay counted while the TLB may still hold them, and the
 * domain's flush drops them after its invalidation (the model checks that
 * no TLB entry reaches a page whose count drops). A donation of such a
 * page flushes its domain rather than fail; a live mapping still refuses
 * it, and so does a deferred one whose flush failed. The unmap that meets
 * a full log flushes it first; detach and free flush first.
 */
static bool deferred_unmaps(void)
{
	const uint64_t iova = 13ULL * SZ_1G, page = MEM_BASE + 30 * SZ_1M;
	const uint64_t far = FAR_BASE + SZ_512M;
	unsigned long flushes;
	s64 most = 0;
	size_t n;
	int i;

	snprintf(where, sizeof(where), "deferred unmaps");
	set_memcache(64);
	CHECK(!alloc_domain(10) && !kvm_iommu_attach_dev(1, 10, 4), "alloc and attach");
	CHECK(!map(10, iova, page, SZ_4K, 4, RW, &n) && n == 4 * SZ_4K, "map");
	CHECK(device_translate(10, iova) == page && tlb_holds_leaf(10, iova, SZ_4K, page),
	      "the device's walk fills the TLB");
	CHECK(!unmap_deferred(10, iova, SZ_4K, 4, &n) && n == 4 * SZ_4K, "lazy unmap");
	CHECK(!kvm_iommu_iova_to_phys(10, iova) && tlb_holds_leaf(10, iova, SZ_4K, page),
	      "out of the tables, still in the TLB");
	CHECK(mem_dma_count(mem_page(page)) == 1 &&
	      kvm_iommu_stat(KVM_IOMMU_STAT_DEFERRED_PAGES) == 4 && check_state(),
	      "count %u, %lld deferred", mem_dma_count(mem_page(page)),
	      (long long)kvm_iommu_stat(KVM_IOMMU_STAT_DEFERRED_PAGES));

	/* The donation flushes the domain, then takes the page. */
	CHECK(!__pkvm_host_donate_hyp(page / SZ_4K, 1), "donation of a deferred page");
	CHECK(!tlb_holds_leaf(10, iova, SZ_4K, page) &&
	      kvm_iommu_stat(KVM_IOMMU_STAT_DEFERRED_PAGES) == 0 && check_state(),
	      "the donation left the TLB or the log as it was");
	memset(mem + (page - MEM_BASE), 0, SZ_4K);
	CHECK(!__pkvm_hyp_donate_host(page / SZ_4K, 1), "the page back");

	/* A live mapping refuses it, a deferred one beside it or not. */
	CHECK(!map(10, iova, page, SZ_4K, 2, RW, &n) && !unmap_deferred(10, iova + SZ_4K, SZ_4K,
									   1, &n),
	      "map two, lazy unmap one");
	CHECK(__pkvm_host_donate_hyp(page / SZ_4K, 2) == -EBUSY &&
	      __pkvm_host_donate_hyp((page + SZ_4K) / SZ_4K, 1) == 0, "donations");
	memset(mem + (page + SZ_4K - MEM_BASE), 0, SZ_4K);
	CHECK(!__pkvm_hyp_donate_host((page + SZ_4K) / SZ_4K, 1) &&
	      !unmap(10, iova, SZ_4K, 1, &n), "back, and unmapped");

	/* A failed flush keeps the pages counted, and the donation refused. */
	CHECK(!map(10, iova, page, SZ_4K, 1, RW, &n) && !unmap_deferred(10, iova, SZ_4K, 1, &n),
	      "map and lazy unmap");
	flush_fails = true;
	CHECK(flush_domain(10) == -EIO && mem_dma_count(mem_page(page)) == 1, "failed flush");
	CHECK(__pkvm_host_donate_hyp(page / SZ_4K, 1) == -EBUSY, "donated while its flush failed");
	CHECK(kvm_iommu_detach_dev(1, 10, 4) == -EIO, "detached while its flush failed");
	flush_fails = false;
	CHECK(!flush_domain(10) && !mem_dma_count(mem_page(page)) &&
	      kvm_iommu_stat(KVM_IOMMU_STAT_DEFERRED_PAGES) == 0 && check_state(), "flush");

	/* 2MiB per call: the log's bound holds, the unmaps flush it as it fills. */
	flushes = nr_flushes;
	for (i = 0; i < 8; i++) {
		CHECK(!map(10, iova + i * SZ_2M, far + i * SZ_2M, SZ_4K, 512, RW, &n) &&
		      n == SZ_2M, "map 2MiB, %d", i);
		CHECK(!unmap_deferred(10, iova + i * SZ_2M, SZ_4K, 512, &n) && n == SZ_2M,
		      "lazy unmap of 2MiB, %d", i);
		if (kvm_iommu_stat(KVM_IOMMU_STAT_DEFERRED_PAGES) > most)
			most = kvm_iommu_stat(KVM_IOMMU_STAT_DEFERRED_PAGES);
	}
	CHECK(most == 2 * 512 && nr_flushes - flushes == 3 && check_state(),
	      "the log held up to %lld pages, in %lu flushes", (long long)most,
	      nr_flushes - flushes);
	/* 2MiB scattered in 512 runs: more than a log holds, flushed at once */
	for (i = 0; i < 512; i++)
		CHECK(!map(10, iova + SZ_1G + i * SZ_4K, far + SZ_32M + 2 * i * SZ_4K, SZ_4K, 1,
			   RW, &n), "map page %d", i);
	CHECK(!unmap_deferred(10, iova + SZ_1G, SZ_4K, 512, &n) && n == SZ_2M &&
	      kvm_iommu_stat(KVM_IOMMU_STAT_DEFERRED_PAGES) == 2 * 512 && check_state(),
	      "lazy unmap of 512 scattered pages");

	CHECK(kvm_iommu_unmap_pages(10, iova, SZ_4K, 1, 2, &n) == -EINVAL &&
	      kvm_iommu_unmap_pages(10, iova, SZ_4K, 1, BIT_ULL(63) | KVM_IOMMU_UNMAP_DEFER,
				    &n) == -EINVAL && !n, "unknown unmap flags");
	CHECK(kvm_iommu_flush_domain(KVM_IOMMU_MAX_DOMAINS) == -EINVAL &&
	      kvm_iommu_flush_domain(11) == -ENOENT, "flush of no domain");

	/* Detach and free flush first. */
	CHECK(!kvm_iommu_detach_dev(1, 10, 4) &&
	      kvm_iommu_stat(KVM_IOMMU_STAT_DEFERRED_PAGES) == 0 && check_state(), "detach");
	CHECK(!map(10, iova, page, SZ_4K, 1, RW, &n) && !unmap_deferred(10, iova, SZ_4K, 1, &n) &&
	      !free_domain(10) && kvm_iommu_stat(KVM_IOMMU_STAT_DEFERRED_PAGES) == 0 &&
	      !mem_dma_count(mem_page(page)) && check_state(), "free");
	return check_memory();
}

/*
 * With a stream attached, the IOMMU caches what it walked: an unmap must
 * drop the leaf from the TLB before the page's count, and leaves the
 * tables, which the walk cache may keep using, in place.
 */
static bool attached_unmap_invalidates(void)
{
	uint64_t iova = 11ULL * SZ_1G + 5 * SZ_2M;
	size_t n;
	int i;

	snprintf(where, sizeof(where), "attached unmap");
	set_memcache(64);
	CHECK(!alloc_domain(9) && !kvm_iommu_attach_dev(1, 9, 3), "alloc and attach");
	for (i = 0; i < 3; i++)
		CHECK(!map(9, iova + i * SZ_2M, MEM_BASE + SZ_16M + i * SZ_2M, SZ_4K, 4,
			   IOMMU_READ | IOMMU_CACHE | IOMMU_NOEXEC, &n) && n == 4 * SZ_4K,
		      "map %d", i);
	CHECK(!map(9, iova + 3 * SZ_2M, MEM_BASE + SZ_8M + SZ_2M, SZ_2M, 1, IOMMU_WRITE, &n),
	      "map a block");
	CHECK(check_state() && check_device_tables(), "state after maps");
	for (i = 0; i < 3; i++)
		CHECK(!unmap(9, iova + i * SZ_2M, SZ_4K, 4, &n) && n == 4 * SZ_4K, "unmap %d", i);
	CHECK(!unmap(9, iova + 3 * SZ_2M, SZ_2M, 1, &n) && n == SZ_2M, "unmap the block");
	CHECK(kvm_iommu_pages_in_use() == 1 + domain_tables(9),
	      "%d pages in use, the domain and its %d tables", kvm_iommu_pages_in_use(),
	      domain_tables(9));
	/* A block where pages were: 4KiB leaves in the table that stayed. */
	CHECK(!map(9, iova, MEM_BASE + SZ_16M, SZ_2M, 1, IOMMU_READ, &n) && n == SZ_2M &&
	      check_state() && check_device_tables(), "a block over a table");
	CHECK(!unmap(9, iova, SZ_2M, 1, &n) && n == SZ_2M && check_state(), "unmap it");
	CHECK(!kvm_iommu_detach_dev(1, 9, 3) && !free_domain(9) && check_state(), "free");
	return check_memory();
}
/*
 * A donation refused at a mapped page claims none of its pages: the host
 * still maps those before and after it, and once all are unmapped the
 * donation goes through.
 */
static bool refused_donation_claims_nothing(void)
{
	uint64_t pa = MEM_BASE + 30 * SZ_1M;
	size_t n;

	snprintf(where, sizeof(where), "refused donation");
	set_memcache(64);
	CHECK(!alloc_domain(6), "alloc");
	CHECK(!map(6, SZ_4K, pa + SZ_4K, SZ_4K, 1, RW, &n), "map the middle page");
	CHECK(__pkvm_host_donate_hyp(pa / SZ_4K, 3) == -EBUSY, "donation of a mapped page");
	CHECK(!map(6, 0, pa, SZ_4K, 1, RW, &n) &&
	      !map(6, 2 * SZ_4K, pa + 2 * SZ_4K, SZ_4K, 1, RW, &n) && check_state(),
	      "the pages around it are no longer the host's");
	CHECK(!unmap(6, 0, SZ_4K, 3, &n) && n == 3 * SZ_4K && check_state(), "unmap");
	CHECK(!__pkvm_host_donate_hyp(pa / SZ_4K, 3), "donation once unmapped");
	CHECK(map(6, 0, pa, SZ_4K, 1, RW, &n) == -EPERM, "a donated page mapped");
	memset(mem + (pa - MEM_BASE), 0, 3 * SZ_4K);
	CHECK(!__pkvm_hyp_donate_host(pa / SZ_4K, 3), "give it back");
	CHECK(!free_domain(6) && check_state(), "free");
	return check_memory();
}

/* The level of the identity domain's leaf for @pa, or -1 when unmapped. */
static int idmap_level(uint64_t pa)
{
	struct kvm_hyp_iommu_domain *d = live_domains[KVM_IOMMU_IDENTITY_DOMAIN];
	int level;

	return walk_leaf(&d->pgt, 0, pa, cpu_read, false, &level) ? level : -1;
}

/* Allocate the identity domain, donating what it asks for. */
static int alloc_identity(void)
{
	int ret, tries = 0;

	while ((ret = alloc_domain(KVM_IOMMU_IDENTITY_DOMAIN)) == -ENOMEM && tries++ < 2)
		host_donate(kvm_iommu_pages_needed());
	return ret;
}

/*
 * The identity domain maps exactly what the host owns, in the largest
 * leaves ownership allows, and keeps doing so as pages leave and come
 * back: a page donated is out of the tables and of the TLB before it is
 * the hypervisor's (the model checks at the donation), and a donation
 * whose split or flush fails is refused with nothing changed.
 */
static bool identity_domain_follows_ownership(void)
{
	uint64_t block = MEM_BASE + 2 * SZ_2M, pa = block + 7 * SZ_4K;
	s64 tables, reserve;
	size_t n;

	snprintf(where, sizeof(where), "identity domain");
	/*
	 * More than the memcache keeps: a failed attempt's domain and root go
	 * to the reclaim list, and the retry must still get what it asks for.
	 */
	set_memcache(40);
	CHECK(!alloc_identity() && check_idmap(), "alloc");
	CHECK(idmap_level(block) == 2 && idmap_level(HOST_MMIO_1G) == 1 &&
	      idmap_level(SMMU_MMIO) == -1, "leaves: %d for a 2MiB block of memory, %d for "
	      "1GiB of MMIO", idmap_level(block), idmap_level(HOST_MMIO_1G));
	tables = kvm_iommu_stat(KVM_IOMMU_STAT_IDMAP_PAGES);
	reserve = kvm_iommu_stat(KVM_IOMMU_STAT_IDMAP_RESERVE);
	/* For later splits, a table per 2MiB and 1GiB of memory, 4 per MMIO region */
	CHECK(tables > 0 && reserve == (s64)(host_memory_bytes(0, ~0ULL) / SZ_2M +
						host_memory_bytes(0, ~0ULL) / SZ_1G) + 8 * 4,
	      "%lld table pages, %lld in reserve", (long long)tables, (long long)reserve);
	CHECK(kvm_iommu_alloc_domain(KVM_IOMMU_IDENTITY_DOMAIN) == -EEXIST, "a second one");
	CHECK(map(0, pa, pa, SZ_4K, 1, RW, &n) == -EPERM && unmap(0, pa, SZ_4K, 1, &n) == -EPERM,
	      "the host maps or unmaps in the identity domain");
	CHECK(!kvm_iommu_attach_dev(0, KVM_IOMMU_IDENTITY_DOMAIN, 5) && check_device_tables(),
	      "attach");

	/* A page of the block leaves: the rest stays mapped, in a table. */
	CHECK(!kvm_iommu_donate_pages(pa / SZ_4K, 1), "donate a page of the block");
	pages_donated++;
	CHECK(idmap_level(pa) == -1 && idmap_level(block) == 3 && check_idmap() &&
	      check_device_tables(), "after the donation");
	CHECK(kvm_iommu_stat(KVM_IOMMU_STAT_IDMAP_PAGES) == tables + 1 &&
	      kvm_iommu_stat(KVM_IOMMU_STAT_IDMAP_RESERVE) == reserve - 1,
	      "the split took its table from the reserve");
	host_reclaim(harness_cpu);
	CHECK(idmap_level(pa) == 3 && check_idmap(), "the page came back");

	/* Refused when the IOMMU does not flush: the page stays the host's, mapped. */
	flush_fails = true;
	CHECK(kvm_iommu_donate_pages(pa / SZ_4K, 1) == -EIO, "donation with a failed flush");
	flush_fails = false;
	CHECK(idmap_level(pa) == 3 && mem_owner[mem_page(pa)] == HOST && check_idmap(),
	      "after the failed flush");
	/* And when a split finds no memory at all. */
	set_memcache(0);
	CHECK(!kvm_iommu_test_fail_alloc(1), "fail the next allocation");
	CHECK(kvm_iommu_donate_pages((block + SZ_2M) / SZ_4K, 1) == -ENOMEM,
	      "donation that needs a split, without memory");
	CHECK(idmap_level(block + SZ_2M) == 2 && check_idmap(), "after the failed split");
	/*
	 * Memory above what the SMMUs address was never in the table: its
	 * transitions go on, and one straddling the top takes what is below.
	 */
	hyp_spin_lock(&host_mmu.lock);
	n = kvm_iommu_idmap_remove(1ULL << IAS, SZ_4K) ||
	    kvm_iommu_idmap_remove((1ULL << IAS) - SZ_4K, SZ_2M);
	hyp_spin_unlock(&host_mmu.lock);
	CHECK(!n && idmap_level((1ULL << IAS) - SZ_4K) == -1 &&
	      idmap_level((1ULL << IAS) - 2 * SZ_4K) == 3, "a range above the input size");

	CHECK(!kvm_iommu_detach_dev(0, KVM_IOMMU_IDENTITY_DOMAIN, 5) &&
	      !free_domain(KVM_IOMMU_IDENTITY_DOMAIN), "free");
	CHECK(!kvm_iommu_stat(KVM_IOMMU_STAT_IDMAP_PAGES) &&
	      !kvm_iommu_stat(KVM_IOMMU_STAT_IDMAP_RESERVE), "stats after the free");
	CHECK(!kvm_iommu_pages_in_use(), "%d pages left", kvm_iommu_pages_in_use());
	return check_memory();
}

/*
 * The identity domain's reserve against the layout that needs all of it:
 * memory in whole 2MiB units, each wholly the host's or the hypervisor's
 * when the domain is built, so that none has a table yet, and no MMIO
 * taken. Then eight MMIO regions taken, each splitting four blocks, a page
 * of every unit of the host's given to a guest (splitting the 1GiB block
 * and every 2MiB one), and the pages the hypervisor no longer needs given
 * back. Every table comes from the reserve, never from a CPU's memcache
 * (fatal in the model), and the reserve holds exactly the tables a later
 * change may still need: none short, none to spare.
 */
static bool identity_reserve_is_exact(void)
{
	static const uint64_t units = 2;	/* 2MiB units the hypervisor gets */
	__typeof__(hyp_mmio) saved_mmio;
	unsigned int saved_mmio_nr = hyp_mmio_nr, i, k;
	uint64_t pa, base = DONATE_BASE + 6 * SZ_2M, claimed = 0;
	struct kvm_hyp_iommu_domain *d;
	s64 reserve;

	snprintf(where, sizeof(where), "identity reserve");
	for (i = 0; i < NR_CPUS; i++)
		host_reclaim(i);
	CHECK(!kvm_iommu_pages_in_use() && !kvm_iommu_pages_held(), "pages left");
	for (i = 0; i < NR_PAGES; i++)
		set_owner(i, HOST);
	memcpy(saved_mmio, hyp_mmio, sizeof(hyp_mmio));
	hyp_mmio_nr = 0;
	for (pa = base; pa < base + units * SZ_2M; pa += KVM_IOMMU_DONATE_MAX * SZ_4K) {
		CHECK(!kvm_iommu_donate_pages(pa / SZ_4K, KVM_IOMMU_DONATE_MAX), "donate");
		pages_donated += KVM_IOMMU_DONATE_MAX;
	}
	CHECK(!alloc_domain(KVM_IOMMU_IDENTITY_DOMAIN), "alloc, in %llu pages",
	      (unsigned long long)(units * 512));
	d = live_domains[KVM_IOMMU_IDENTITY_DOMAIN];
	reserve = kvm_iommu_stat(KVM_IOMMU_STAT_IDMAP_RESERVE);
	CHECK(check_idmap() && reserve == (s64)idmap_tables_to_come(&d->pgt),
	      "%lld pages in reserve, %llu tables to come", (long long)reserve,
	      (unsigned long long)idmap_tables_to_come(&d->pgt));
	/* Built with the largest leaves: a GiB of memory, then 2MiB blocks */
	CHECK(idmap_level(FAR_BASE) == 1 && idmap_level(FAR_BASE + SZ_1G) == 2 &&
	      idmap_level(base) == -1, "leaves at levels %d, %d and %d", idmap_level(FAR_BASE),
	      idmap_level(FAR_BASE + SZ_1G), idmap_level(base));

	/* MMIO the hypervisor takes, across 1GiB boundaries: four splits each */
	hyp_spin_lock(&host_mmu.lock);
	for (k = 0; k < HYP_MMIO_MAX; k++) {
		hyp_mmio[k].base = (2 + k) * SZ_4G + SZ_1G - SZ_4K;
		hyp_mmio[k].size = SZ_8K;
		hyp_mmio_nr++;
		CHECK(!idmap_remove(hyp_mmio[k].base, hyp_mmio[k].size), "MMIO region %u", k);
	}
	hyp_spin_unlock(&host_mmu.lock);
	CHECK(kvm_iommu_stat(KVM_IOMMU_STAT_IDMAP_RESERVE) == reserve - 4 * HYP_MMIO_MAX &&
	      check_idmap(), "after the MMIO");

	/* A page of every unit of the host's, to a guest */
	for (i = 0; i < NR_MEM_REGIONS; i++) {
		for (pa = mem_regions[i].base; pa + SZ_2M <= mem_regions[i].base + mem_regions[i].size;
		     pa += SZ_2M) {
			if (pa % SZ_2M || mem_owner[mem_page(pa)] != HOST)
				continue;
			CHECK(!model_claim(pa + SZ_4K, 1, GUEST), "claim %#llx",
			      (unsigned long long)pa);
			claimed++;
		}
	}
	/* What the hypervisor's memcache still holds, back to the host */
	host_reclaim(harness_cpu);
	CHECK(check_idmap() && kvm_iommu_stat(KVM_IOMMU_STAT_IDMAP_RESERVE) ==
	      (s64)idmap_tables_to_come(&d->pgt), "%lld pages left in reserve, %llu tables to come",
	      (long long)kvm_iommu_stat(KVM_IOMMU_STAT_IDMAP_RESERVE),
	      (unsigned long long)idmap_tables_to_come(&d->pgt));
	CHECK(claimed > FAR_SIZE / SZ_2M, "%llu units split", (unsigned long long)claimed);

	for (i = 0; i < NR_PAGES; i++)
		if (mem_owner[i] == GUEST)
			model_guest_return(page_pa(i), 1);
	/* Blocks are not rebuilt: what came back is mapped as pages. */
	CHECK(idmap_level(FAR_BASE + SZ_4K) == 3 && idmap_level(FAR_BASE) == 3,
	      "a page given back maps at level %d", idmap_level(FAR_BASE + SZ_4K));
	CHECK(check_idmap() && !free_domain(KVM_IOMMU_IDENTITY_DOMAIN), "free");
	memcpy(hyp_mmio, saved_mmio, sizeof(hyp_mmio));
	hyp_mmio_nr = saved_mmio_nr;
	host_reclaim(harness_cpu);
	return check_memory();
}

/*
 * Bounds one step either side: the last domain ID and the first past it;
 * a page's DMA count up to its largest value and one more; unmaps of
 * scattered pages one short of what one call releases (as many as a
 * gather holds), as many, and one more, which the host's next call takes.
 */
static bool bounds(void)
{
	const uint64_t iova = 3ULL * SZ_1G, pa = MEM_BASE + 20 * SZ_1M;
	unsigned int p = mem_page(pa);
	const u32 preset = HOST_DMA_COUNT_MAX - 2;
	size_t n;
	int i, k;

	snprintf(where, sizeof(where), "bounds");
	set_memcache(64);
	CHECK(!alloc_domain(KVM_IOMMU_MAX_DOMAINS - 1) &&
	      alloc_domain(KVM_IOMMU_MAX_DOMAINS) == -EINVAL, "domain IDs");
	CHECK(!free_domain(KVM_IOMMU_MAX_DOMAINS - 1), "free");

	/* The count of a page shared that often already: two more fit, not three. */
	snprintf(where, sizeof(where), "DMA count");
	CHECK(!alloc_domain(5), "alloc");
	__atomic_store_n(&vmemmap[p].host_dma.counter, preset, __ATOMIC_RELAXED);
	mem_dma_total += preset;
	for (i = 0; i < 3; i++) {
		int ret = map(5, iova + i * SZ_4K, pa, SZ_4K, 1, RW, &n);

		CHECK(i < 2 ? !ret : ret == -EOVERFLOW && !n, "map %d: %d", i, ret);
	}
	CHECK(mem_dma_count(p) == HOST_DMA_COUNT_MAX, "count %u", mem_dma_count(p));
	CHECK(__pkvm_host_donate_hyp(pa / SZ_4K, 1) == -EBUSY && mem_owner[p] == HOST,
	      "a page counted that often donated");
	CHECK(!unmap(5, iova, SZ_4K, 2, &n) && n == SZ_8K && mem_dma_count(p) == preset,
	      "unmap: count %u", mem_dma_count(p));
	__atomic_store_n(&vmemmap[p].host_dma.counter, 0, __ATOMIC_RELAXED);
	mem_dma_total -= preset;
	CHECK(check_state(), "state");

	/* 2MiB a call, a gather's 512 leaves: one short, as many, one more */
	for (k = -1; k <= 1; k++) {
		int count = KVM_IO_GATHER_LEAVES + k, first = k > 0 ? count - 1 : count;

		snprintf(where, sizeof(where), "unmap of %d scattered pages", count);
		for (i = 0; i < count; i++)
			CHECK(!map(5, iova + i * SZ_4K, MEM_BASE + 2 * i * SZ_4K, SZ_4K, 1, RW, &n),
			      "map %d", i);
		CHECK(!unmap(5, iova, SZ_4K, count, &n) && n == (size_t)first * SZ_4K &&
		      check_state(), "unmap: %zu bytes", n);
		CHECK(first == count || (!unmap(5, iova + n, SZ_4K, count - first, &n) &&
					 n == SZ_4K && check_state()), "the rest");
	}
	CHECK(!free_domain(5) && check_state(), "free");
	return check_memory();
}

/*
 * A CPU whose physical address range is smaller than the SMMUs' (40 bits
 * on most phone cores, 44 on QEMU's SMMUv3): what lies past it is nobody's
 * and the identity domain maps nothing there, with ownership checked in
 * work proportional to the regions, not to the SMMUs' output size. Also
 * with a CPU range below a region of host MMIO, and above the SMMUs'.
 */
static bool identity_domain_within_cpu_pa_range(void)
{
	static const u32 pa_bits[] = { OAS, 40, 36, 48 };
	unsigned long long same_range_checks = 0;
	unsigned int i;

	for (i = 0; i < sizeof(pa_bits) / sizeof(pa_bits[0]); i++) {
		snprintf(where, sizeof(where), "identity domain, %u-bit CPU", pa_bits[i]);
		set_memcache(40);
		host_mmu.pgt.ia_bits = pa_bits[i];
		mmio_checks = 0;
		/* Fatal inside the build, which would otherwise check every page */
		mmio_checks_max = 1000000;
		CHECK(!alloc_identity() && check_idmap(), "alloc");
		mmio_checks_max = 0;
		if (!i)
			same_range_checks = mmio_checks;
		/* As many as with the SMMUs' range, give or take a retry of the build */
		CHECK(mmio_checks <= 2 * same_range_checks, "%llu ownership checks, %llu with the "
		      "SMMUs' range", mmio_checks, same_range_checks);
		CHECK(idmap_level(HOST_MMIO_1G) == (HOST_MMIO_1G < BIT_ULL(pa_bits[i]) ? 1 : -1),
		      "a GiB of MMIO: level %d", idmap_level(HOST_MMIO_1G));
		CHECK(pa_bits[i] >= OAS || (idmap_level(BIT_ULL(pa_bits[i]) - SZ_4K) != -1 &&
					    idmap_level(BIT_ULL(pa_bits[i])) == -1 &&
					    idmap_level(BIT_ULL(OAS) - SZ_4K) == -1),
		      "the CPU's range ends at 2^%u", pa_bits[i]);
		CHECK(!free_domain(KVM_IOMMU_IDENTITY_DOMAIN), "free");
	}
	host_mmu.pgt.ia_bits = OAS;
	return check_memory();
}

/*
 * Threads race free_domain/alloc_domain against map/unmap and
 * attach/detach on the same domains. Every call may fail, but none may
 * touch a freed domain (ASan watches), and after a teardown every count
 * and every page is back.
 */
#define RACE_THREADS	4
#define RACE_DOMAINS	3

static bool race_stop;	/* __atomic accesses */

/* One read of an atomic in 16 gives up the CPU. */
static void race_preempt(void)
{
	static __thread uint32_t r = 0x9e3779b9;

	r ^= r << 13;
	r ^= r >> 17;
	r ^= r << 5;
	if (!(r & 15))
		sched_yield();
}
static unsigned long race_donated, race_refused;	/* __atomic accesses */

/*
 * A seeded schedule: one thread runs at a time, and after each atomic
 * (and each spin on a lock) the seed picks whether another runs next and
 * which, so a seed is one interleaving, the same at every run. The token passes
 * through a relaxed atomic: it orders nothing, and ThreadSanitizer still
 * sees every access the code does not order. A thread that is done passes
 * the token on for good.
 */
#define RACE_SCHED_CALLS	3000	/* per thread */
static bool sched_seeded;	/* set before the threads start */
static int sched_turn = -1;
static bool sched_done[RACE_THREADS];
static uint64_t sched_rng;

static void sched_pass(void)
{
	uint64_t r = __atomic_load_n(&sched_rng, __ATOMIC_RELAXED);
	int next, tries;

	r ^= r << 13;
	r ^= r >> 7;
	r ^= r << 17;
	__atomic_store_n(&sched_rng, r, __ATOMIC_RELAXED);
	next = r % RACE_THREADS;
	for (tries = 0; tries < RACE_THREADS; tries++, next = (next + 1) % RACE_THREADS)
		if (!__atomic_load_n(&sched_done[next], __ATOMIC_RELAXED))
			break;
	__atomic_store_n(&sched_turn, tries < RACE_THREADS ? next : -1, __ATOMIC_RELAXED);
	syscall(SYS_futex, &sched_turn, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

/* Sleep until the token is ours: a futex, which orders nothing either. */
static void sched_wait_turn(void)
{
	int turn;

	while ((turn = __atomic_load_n(&sched_turn, __ATOMIC_RELAXED)) != harness_cpu)
		syscall(SYS_futex, &sched_turn, FUTEX_WAIT_PRIVATE, turn, NULL, NULL, 0);
}

/* Set while a check that must see no other CPU run reads the tables */
static __thread int sched_held;
/* Set in the pairs' rounds, which switch at every preemption point */
static __thread bool sched_pairs;
/* CPUs done with their random calls, ready for the pairs' rounds */
static int sched_at_pairs;
/* CPUs done with their pairs' rounds */
static bool pair_done[RACE_THREADS];

/*
 * One preemption point in 2 switches, to the CPU the seed picks; none
 * while this CPU holds the model's lock or checks.
 */
static void race_sched_switch(void)
{
	uint64_t r = __atomic_load_n(&sched_rng, __ATOMIC_RELAXED);

	if (model_lock_held || sched_held)
		return;
	__atomic_store_n(&sched_rng, r * 6364136223846793005ULL + 1442695040888963407ULL,
			 __ATOMIC_RELAXED);
	if ((r >> 33) % 2 && !sched_pairs)
		return;
	sched_pass();
	sched_wait_turn();
}

/*
 * A page just donated: no domain of the races may translate to it, since a
 * mapping made before the claim keeps it counted and none can follow it.
 */
static void race_check_unreachable(uint64_t page)
{
	uint64_t iova;
	u32 dom;

	for (dom = 20; dom < 20 + RACE_DOMAINS; dom++)
		for (iova = 0; iova < (64 + 4) * SZ_4K; iova += SZ_4K)
			if (kvm_iommu_iova_to_phys(dom, iova) == page)
				VIOLATION("donated %#llx, which domain %u maps at %#llx",
					  (unsigned long long)page, dom, (unsigned long long)iova);
}

/*
 * No page of the races is counted and not the host's at once: a claim
 * takes only an uncounted page, and no count grows on a claimed one. The
 * word of each page's vmemmap entry (host_dma.c: the count, and "not the
 * host's" in the top bit) is read after every call.
 */
#define RACE_PAGES	(64 + 4 + RACE_THREADS)

static void race_check_words(void)
{
	int p, word;

	for (p = 0; p < RACE_PAGES; p++) {
		word = __atomic_load_n(&vmemmap[p].host_dma.counter, __ATOMIC_RELAXED);
		if (word < 0 && (word & INT_MAX))
			VIOLATION("page %#llx is counted %d times and not the host's",
				  (unsigned long long)page_pa(p), word & INT_MAX);
	}
}

/*
 * After the random calls of a seeded schedule, two pairs of CPUs each race
 * over one window, round after round, switching at every preemption
 * point, so that every seed meets the window many times: CPU 0 maps and
 * unmaps a page that CPU 1 donates and takes back (a count taken after the
 * claim), and CPUs 2 and 3 map into a 2MiB region of a domain that no map
 * linked a table for yet (a table lost to the other CPU). Each map is
 * checked at once: no page counted and not the host's, and the mapping
 * translated, with no other CPU running during the walk.
 */
#define RACE_PAIR_ROUNDS	1000
#define RACE_PAIR_DOMAIN	23	/* and 24 */

static void race_check_translates(u32 dom, uint64_t iova, uint64_t page, size_t done)
{
	uint64_t off;

	sched_held++;
	for (off = 0; off < done; off += SZ_4K)
		if (kvm_iommu_iova_to_phys(dom, iova + off) != page + off)
			VIOLATION("domain %u mapped %#llx at %#llx, which translates to %#llx", dom,
				  (unsigned long long)(page + off), (unsigned long long)(iova + off),
				  (unsigned long long)kvm_iommu_iova_to_phys(dom, iova + off));
	sched_held--;
}

/* The 2MiB region of domain 24 that CPU 2 maps into this round, for CPU 3 too */
static uint64_t pair_region;	/* __atomic accesses */

/*
 * A map starts only with KVM_IOMMU_CALL_TABLES pages in the memcache, and
 * the random calls may leave a CPU with fewer: its pairs' maps donate, as
 * the host driver does, pages of the CPU's own 4MiB past the races' pages.
 */
static __thread uint64_t race_next_gift;

static void race_donate(unsigned long n)
{
	uint64_t base = MEM_BASE + SZ_1M + harness_cpu * SZ_4M;

	for (; n; n--, race_next_gift += SZ_4K) {
		if (race_next_gift >= SZ_4M ||
		    kvm_iommu_donate_pages((base + race_next_gift) / SZ_4K, 1))
			VIOLATION("CPU %d could not donate to its memcache", harness_cpu);
		__atomic_fetch_add(&pages_donated, 1, __ATOMIC_RELAXED);
	}
}

static void race_pair_round(int round)
{
	uint64_t page = MEM_BASE + (64 + harness_cpu) * SZ_4K;
	u32 dom = RACE_PAIR_DOMAIN + harness_cpu / 2;
	uint64_t iova = (harness_cpu % 2) * SZ_4K;
	size_t done;
	long pfn;
	int ret;

	switch (harness_cpu) {
	case 1:
		/* The page CPU 0 maps, donated and at once given back */
		page -= SZ_4K;
		if (!kvm_iommu_donate_pages(page / SZ_4K, 1)) {
			__atomic_fetch_add(&pages_donated, 1, __ATOMIC_RELAXED);
			__atomic_fetch_add(&race_donated, 1, __ATOMIC_RELAXED);
		} else {
			__atomic_fetch_add(&race_refused, 1, __ATOMIC_RELAXED);
		}
		while ((pfn = kvm_iommu_reclaim_page()) >= 0)
			__atomic_fetch_add(&pages_reclaimed, 1, __ATOMIC_RELAXED);
		return;
	case 2:
		/* A region no map linked a table for yet */
		__atomic_store_n(&pair_region, (uint64_t)round * SZ_2M, __ATOMIC_RELAXED);
		fallthrough;
	case 3:
		iova += __atomic_load_n(&pair_region, __ATOMIC_RELAXED);
		break;
	}
	ret = kvm_iommu_map_pages(dom, iova, page, SZ_4K, 1, RW, &done);
	/* As the host driver: donate what the map asks for, and map again. */
	if (ret == -ENOMEM) {
		race_donate(kvm_iommu_pages_needed());
		ret = kvm_iommu_map_pages(dom, iova, page, SZ_4K, 1, RW, &done);
	}
	if (ret == -ENOMEM)
		VIOLATION("CPU %d ran out of memory in the pairs' rounds", harness_cpu);
	if (ret)
		return;
	race_check_words();
	race_check_translates(dom, iova, page, done);
	kvm_iommu_unmap_pages(dom, iova, SZ_4K, 1, 0, &done);
}

static void *race_thread(void *arg)
{
	uint64_t r = 0x1234567ULL * (1 + (uintptr_t)arg);
	unsigned long n = 0;
	size_t done;

	/* Each thread is a CPU of its own, with its own memcache. */
	harness_cpu = (uintptr_t)arg;
	if (sched_seeded)
		sched_wait_turn();

	while (sched_seeded ? n < RACE_SCHED_CALLS : !__atomic_load_n(&race_stop, __ATOMIC_RELAXED)) {
		u32 dom = 20 + (r % RACE_DOMAINS);
		/* Fewer pages on a seeded schedule: its CPUs meet more often. */
		uint64_t page = MEM_BASE + ((r >> 8) % (sched_seeded ? 8 : 64)) * SZ_4K;
		uint64_t iova = ((r >> 16) % 64) * SZ_4K;

		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		switch ((r >> 32) % 10) {
		case 0:
			kvm_iommu_free_domain(dom);
			break;
		case 1:
			kvm_iommu_alloc_domain(dom);
			break;
		case 2:
			kvm_iommu_attach_dev(0, dom, (r >> 40) % 4);
			break;
		case 3:
			kvm_iommu_detach_dev(0, dom, (r >> 40) % 4);
			break;
		case 4:
		case 5:
			kvm_iommu_map_pages(dom, iova, page, SZ_4K, 4, RW, &done);
			break;
		case 8:
			/* The pages the maps use, donated and reclaimed under them */
			switch (kvm_iommu_donate_pages(page / SZ_4K, 1)) {
			case 0:
				__atomic_fetch_add(&pages_donated, 1, __ATOMIC_RELAXED);
				__atomic_fetch_add(&race_donated, 1, __ATOMIC_RELAXED);
				race_check_unreachable(page);
				break;
			case -EBUSY:
				__atomic_fetch_add(&race_refused, 1, __ATOMIC_RELAXED);
				break;
			}
			break;
		case 9:
			if (kvm_iommu_reclaim_page() >= 0)
				__atomic_fetch_add(&pages_reclaimed, 1, __ATOMIC_RELAXED);
			break;
		default:
			kvm_iommu_unmap_pages(dom, iova, SZ_4K, 4, 0, &done);
			break;
		}
		race_check_words();
		n++;
	}
	if (sched_seeded) {
		int round;

		/* The pairs start together: until every CPU is here, pass the token. */
		__atomic_fetch_add(&sched_at_pairs, 1, __ATOMIC_RELAXED);
		while (__atomic_load_n(&sched_at_pairs, __ATOMIC_RELAXED) < RACE_THREADS) {
			sched_pass();
			sched_wait_turn();
		}
		/*
		 * The even CPU of a pair counts the rounds (CPU 0's window is
		 * the narrower: four times as many); the odd one, whose calls
		 * are shorter, goes on as long as its partner does.
		 */
		sched_pairs = true;
		for (round = 0; harness_cpu % 2 ? !__atomic_load_n(&pair_done[harness_cpu - 1],
								     __ATOMIC_RELAXED) :
			     round < (harness_cpu ? 1 : 4) * RACE_PAIR_ROUNDS; round++, n++) {
			race_pair_round(round);
			race_check_words();
		}
		__atomic_store_n(&pair_done[harness_cpu], true, __ATOMIC_RELAXED);
		__atomic_store_n(&sched_done[harness_cpu], true, __ATOMIC_RELAXED);
		sched_pass();
	}
	return (void *)n;
}

/* Races for @seconds, or with a seed (@seconds unused) the seeded schedule. */
static bool races(double seconds, uint64_t seed)
{
	pthread_t t[RACE_THREADS];
	unsigned long calls = 0;
	struct timespec ts = {
		.tv_sec = (time_t)seconds,
		.tv_nsec = (long)((seconds - (time_t)seconds) * 1e9),
	};
	uintptr_t i;
	int s, d;

	snprintf(where, sizeof(where), "races");
	/* CPUs 2 and 3 link a table a round in the seeded schedules' pairs. */
	for (i = 0; i < RACE_THREADS; i++) {
		harness_cpu = i;
		host_donate(seed && i >= 2 ? 48 + RACE_PAIR_ROUNDS + 300 : 48);
	}
	harness_cpu = 0;
	in_call = IN_RACE;
	/* The pairs' domains; the first with its tables linked already */
	CHECK(!seed || (!kvm_iommu_alloc_domain(RACE_PAIR_DOMAIN) &&
			!kvm_iommu_alloc_domain(RACE_PAIR_DOMAIN + 1) &&
			!kvm_iommu_map_pages(RACE_PAIR_DOMAIN, 0, MEM_BASE + 64 * SZ_4K, SZ_4K, 1,
					     RW, &(size_t){0}) &&
			!kvm_iommu_unmap_pages(RACE_PAIR_DOMAIN, 0, SZ_4K, 1, 0, &(size_t){0})),
	      "the pairs' domains");
	harness_preempt = seed ? race_sched_switch : race_preempt;
	sched_seeded = seed;
	sched_at_pairs = 0;
	memset(pair_done, 0, sizeof(pair_done));
	sched_rng = seed * 0x9e3779b97f4a7c15ULL | 1;
	__atomic_store_n(&race_stop, false, __ATOMIC_RELAXED);
	for (i = 0; i < RACE_THREADS; i++)
		pthread_create(&t[i], NULL, race_thread, (void *)i);
	if (seed) {
		sched_pass();
	} else {
		nanosleep(&ts, NULL);
		__atomic_store_n(&race_stop, true, __ATOMIC_RELAXED);
	}
	for (i = 0; i < RACE_THREADS; i++) {
		void *n;

		pthread_join(t[i], &n);
		calls += (uintptr_t)n;
	}
	harness_preempt = NULL;
	sched_seeded = false;
	printf("# %lu racing calls on %d threads%s; %lu donations of their pages, %lu refused as mapped\n",
	       calls, RACE_THREADS, seed ? " (seeded schedule)" : "", race_donated, race_refused);
	CHECK(race_donated && race_refused, "the races never donated, or never a mapped page");

	/* Teardown: detach all, free all; nothing may be left. */
	for (s = 0; s < NR_SIDS; s++)
		if (attached[0][s])
			CHECK(!kvm_iommu_detach_dev(0, attached[0][s] - 1, s), "detach");
	for (d = 0; d < RACE_DOMAINS + 2; d++) {
		int ret;

		while ((ret = kvm_iommu_free_domain(d < RACE_DOMAINS ? 20 + d :
						     RACE_PAIR_DOMAIN + d - RACE_DOMAINS)) == -EAGAIN)
			;

		CHECK(!ret || ret == -ENOENT, "free returned %d", ret);
	}
	in_call = IN_NONE;
	for (d = 0; d < RACE_PAGES; d++)
		CHECK(!mem_dma_count(d), "page %d still counted", d);
	CHECK(kvm_iommu_pages_in_use() == 0, "%d pages left", kvm_iommu_pages_in_use());
	for (i = 0; i < RACE_THREADS; i++)
		host_reclaim(i);
	return calls > 0 && check_memory();
}

static bool races_1s(void)
{
	return races(1.0, 0);
}

static bool calls_before_init_refused(void)
{
	return kvm_iommu_map_pages(0, 0, MEM_BASE, SZ_4K, 1, RW, &(size_t){0}) == -ENODEV &&
	       kvm_iommu_alloc_domain(0) == -ENODEV && kvm_iommu_free_domain(0) == -ENODEV &&
	       kvm_iommu_attach_dev(0, 0, 0) == -ENODEV &&
	       kvm_iommu_unmap_pages(0, 0, SZ_4K, 1, 0, &(size_t){0}) == -ENODEV;
}

static bool second_init_refused(void)
{
	return kvm_iommu_init(&fake_ops, KVM_IO_PGTABLE_S1, IAS, OAS) == -EBUSY;
}

static int nr_random_calls = 20000;

static bool random_calls_vs_model(void)
{
	return random_calls(nr_random_calls);
}

/*
 * The random calls again on stage-1 tables, in a process of its own since
 * the core registers one format for life. It runs alongside the stage-2
 * tests and reports through a pipe, numbered here at the end.
 */
static FILE *stage1_start(void)
{
	int fd[2];
	pid_t pid;
	FILE *out;

	fflush(stdout);
	if (pipe(fd) || (pid = fork()) < 0)
		abort();
	if (pid)
		return close(fd[1]), fdopen(fd[0], "r");
	close(fd[0]);
	out = fdopen(fd[1], "w");
	harness_init(KVM_IO_PGTABLE_S1, true);
	rng = 0x2545f4914f6cdd1dULL;
	fprintf(out, "%s s1.random_calls_vs_model\n", random_calls_vs_model() && !failures ?
		"ok" : "not ok");
	fflush(out);
	fprintf(out, "%s s1.teardown_returns_all_memory\n", teardown() && !failures ?
		"ok" : "not ok");
	fclose(out);
	exit(0);
}

static void stage1_report(FILE *in)
{
	char line[160], *name;
	int status, n = 0;

	while (fgets(line, sizeof(line), in)) {
		line[strcspn(line, "\n")] = 0;
		name = strchr(line, ' ');
		if (!name)
			continue;
		*name++ = 0;
		tap_failed += strcmp(line, "ok") != 0;
		printf("%s %d - iommu-core.%s\n", line, ++tap_n, name);
		n++;
	}
	fclose(in);
	wait(&status);
	if (n != 2 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		tap_failed++;
		printf("not ok %d - iommu-core.s1 (the stage-1 run stopped after %d tests)\n",
		       ++tap_n, n);
	}
}

/*
 * With --races SECONDS, only the races, for the ThreadSanitizer build;
 * with --races-seed SEED, the races on the schedule SEED picks;
 * otherwise every test, with the number of random calls as argument.
 */
int main(int argc, char **argv)
{
	FILE *stage1;

	if (argc > 2 && (!strcmp(argv[1], "--races") || !strcmp(argv[1], "--races-seed"))) {
		bool seeded = !strcmp(argv[1], "--races-seed");
		uint64_t seed = seeded ? strtoull(argv[2], NULL, 0) : 0;

		harness_init(KVM_IO_PGTABLE_S2, true);
		printf("TAP version 13\n");
		if (seeded && !seed) {
			printf("Bail out! the seed must not be 0\n");
			return 2;
		}
		printf("%s 1 - iommu-core.races_%s%s\n1..1\n",
		       races(seeded ? 0 : atof(argv[2]), seed) && !failures ? "ok" : "not ok",
		       seeded ? "seed_" : "threads", seeded ? argv[2] : "");
		return failures ? 1 : 0;
	}
	if (argc > 1)
		nr_random_calls = atoi(argv[1]);
	printf("TAP version 13\n");
	stage1 = stage1_start();
	harness_init(KVM_IO_PGTABLE_S2, false);
	tap(calls_before_init_refused, "calls_before_init_refused");
	kvm_iommu_set_noncoherent();
	if (kvm_iommu_init(&fake_ops, KVM_IO_PGTABLE_S2, IAS, OAS))
		return 1;
	tap(second_init_refused, "second_init_refused");
	set_memcache(64);
	tap(adversarial, "adversarial.teardown");
	tap(memory_supply, "memory_supply");
	tap(memcache_shortage, "memcache_shortage");
	tap(work_per_call_is_bounded, "work_per_call_is_bounded");
	tap(map_runs_in_one_call, "map_runs_in_one_call");
	tap(flush_failure, "flush_failure_keeps_pages_counted");
	tap(deferred_unmaps, "deferred_unmaps_stay_counted_until_flushed");
	tap(attached_unmap_invalidates, "attached_unmap_invalidates");
	tap(refused_donation_claims_nothing, "refused_donation_claims_nothing");
	tap(identity_domain_follows_ownership, "identity_domain_follows_ownership");
	tap(identity_domain_within_cpu_pa_range, "identity_domain_within_cpu_pa_range");
	tap(identity_reserve_is_exact, "identity_reserve_is_exact");
	tap(bounds, "bounds_one_step_either_side");
	tap(races_1s, "free_races_map_and_attach");
	tap(random_calls_vs_model, "random_calls_vs_model");
	tap(teardown, "teardown_returns_all_memory");
	stage1_report(stage1);
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
