// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile-host tests of the pKVM IOMMU hypercalls, for test kernels only.
 *
 * Each file in /sys/kernel/debug/pkvm-smmu-test/ is one named case: reading
 * it makes the hypercalls of the case from the host kernel, as a
 * compromised host could, and returns "ok" or what went wrong. Every case
 * ends by checking that the hypervisor still maps and unmaps normally.
 * The race_* cases make hypercalls from every online CPU for race_ms
 * milliseconds and report how many they made before "ok".
 * Writing to read_smmu_mmio makes the hypervisor recycle the host's MMIO
 * mappings, then the host read the SMMU's registers, which the hypervisor
 * does not allow: the expected outcome is a hypervisor panic.
 */
#include <linux/arm-smccc.h>
#include <linux/debugfs.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/kthread.h>
#include <linux/kvm_host.h>
#include <linux/memblock.h>
#include <linux/of.h>
#include <linux/random.h>
#include <linux/seq_file.h>
#include <asm/kvm_asm.h>
#include <kvm/arm_pkvm_iommu.h>

#include "../arm/arm-smmu-v3/arm-smmu-v3.h"
#include "pkvm-smmu-test.h"

/* Far from the IDs the driver hands out from 0 up. */
#define TEST_DOMAIN		(KVM_IOMMU_MAX_DOMAINS - 1)
#define OTHER_DOMAIN		(KVM_IOMMU_MAX_DOMAINS - 2)
#define UNUSED_SID		0xfffe
#define TEST_IOVA		0x10000000UL
#define RW			(IOMMU_READ | IOMMU_WRITE)

static phys_addr_t smmu_mmio;
/* A performance monitor counter group of the SMMU, which the hypervisor takes */
static phys_addr_t pmcg_mmio;

static bool check(struct seq_file *m, bool ok, int line, const char *what)
{
	if (!ok)
		seq_printf(m, "FAIL line %d: %s\n", line, what);
	return ok;
}

static bool check_ret(struct seq_file *m, struct hvc r, long want, int line)
{
	if (r.status == SMCCC_RET_SUCCESS && r.ret == want)
		return true;
	seq_printf(m, "FAIL line %d: returned %ld (status %ld), documented %ld\n",
		   line, r.ret, (long)r.status, want);
	return false;
}

/* The hypervisor still serves a normal map and unmap. */
static bool still_works(struct seq_file *m, struct page *page)
{
	struct hvc r;

	r = map(TEST_DOMAIN, TEST_IOVA + SZ_1M, page_to_phys(page), SZ_4K, 1, RW);
	if (!check_ret(m, r, 0, __LINE__))
		return false;
	r = test_hvc(__pkvm_host_iommu_iova_to_phys, TEST_DOMAIN, TEST_IOVA + SZ_1M);
	if (!check(m, (phys_addr_t)r.ret == page_to_phys(page), __LINE__,
		   "iova_to_phys returned another page"))
		return false;
	r = unmap(TEST_DOMAIN, TEST_IOVA + SZ_1M, SZ_4K, 1);
	return check(m, !r.ret && r.x2 == SZ_4K, __LINE__, "the unmap failed");
}

/* A case returns whether every check held; failures are in @m. */
typedef bool (*test_case_fn)(struct seq_file *m, struct page *page);

static struct hvc hvc_ret(long ret)
{
	return (struct hvc){ .ret = ret, .status = SMCCC_RET_SUCCESS };
}

/* Domain IDs: out of range, never allocated, freed, in use. */

static bool alloc_domain_out_of_range(struct seq_file *m, struct page *page)
{
	if (!check_ret(m, hvc_ret(alloc_domain(KVM_IOMMU_MAX_DOMAINS)), -EINVAL, __LINE__))
		return false;
	if (!check_ret(m, hvc_ret(alloc_domain(U32_MAX)), -EINVAL, __LINE__))
		return false;
	return true;
}

static bool alloc_domain_in_use(struct seq_file *m, struct page *page)
{
	if (!check_ret(m, hvc_ret(alloc_domain(TEST_DOMAIN)), -EEXIST, __LINE__))
		return false;
	return true;
}

static bool free_domain_out_of_range(struct seq_file *m, struct page *page)
{
	if (!check_ret(m, free_domain(KVM_IOMMU_MAX_DOMAINS), -EINVAL, __LINE__))
		return false;
	return true;
}

static bool free_domain_never_allocated(struct seq_file *m, struct page *page)
{
	if (!check_ret(m, free_domain(OTHER_DOMAIN), -ENOENT, __LINE__))
		return false;
	return true;
}

static bool free_domain_twice(struct seq_file *m, struct page *page)
{
	if (!check_ret(m, hvc_ret(alloc_domain(OTHER_DOMAIN)), 0, __LINE__))
		return false;
	if (!check_ret(m, free_domain(OTHER_DOMAIN), 0, __LINE__))
		return false;
	if (!check_ret(m, free_domain(OTHER_DOMAIN), -ENOENT, __LINE__))
		return false;
	return true;
}

/*
 * Mappings left in a domain are released as an unmap would: 2MiB of pages
 * per free_domain call, which answers -EAGAIN while some remain, the
 * domain still there; the call that finds none left frees it.
 */
static bool free_domain_in_steps(struct seq_file *m, struct page *page)
{
	struct page *block = alloc_pages(GFP_KERNEL, get_order(SZ_2M));
	phys_addr_t pa;
	bool ok;

	if (!check(m, block, __LINE__, "no memory"))
		return false;
	pa = page_to_phys(block);
	/* The same 2MiB twice: 1024 counts of 512 pages */
	ok = check_ret(m, hvc_ret(alloc_domain(OTHER_DOMAIN)), 0, __LINE__) &&
	     check_ret(m, map(OTHER_DOMAIN, TEST_IOVA, pa, SZ_4K, 512, RW), 0, __LINE__) &&
	     check_ret(m, map(OTHER_DOMAIN, TEST_IOVA + SZ_2M, pa, SZ_4K, 512, RW), 0,
		       __LINE__) &&
	     check_ret(m, test_hvc(__pkvm_host_iommu_free_domain, OTHER_DOMAIN), -EAGAIN,
		       __LINE__) &&
	     check(m, !test_hvc(__pkvm_host_iommu_iova_to_phys, OTHER_DOMAIN, TEST_IOVA).ret,
		   __LINE__, "the first 2MiB still mapped after the first call") &&
	     check(m, (phys_addr_t)test_hvc(__pkvm_host_iommu_iova_to_phys, OTHER_DOMAIN,
					    TEST_IOVA + SZ_4M - SZ_4K).ret == pa + SZ_2M - SZ_4K,
		   __LINE__, "the mappings left are gone after one call") &&
	     check_ret(m, test_hvc(__pkvm_host_iommu_free_domain, OTHER_DOMAIN), 0, __LINE__) &&
	     check_ret(m, free_domain(OTHER_DOMAIN), -ENOENT, __LINE__);
	__free_pages(block, get_order(SZ_2M));
	return ok;
}

static bool map_freed_domain(struct seq_file *m, struct page *page)
{
	if (!check_ret(m, hvc_ret(alloc_domain(OTHER_DOMAIN)), 0, __LINE__))
		return false;
	if (!check_ret(m, free_domain(OTHER_DOMAIN), 0, __LINE__))
		return false;
	if (!check_ret(m, map(OTHER_DOMAIN, TEST_IOVA, page_to_phys(page), SZ_4K, 1, RW), -ENOENT,
		       __LINE__))
		return false;
	if (!check_ret(m, unmap(OTHER_DOMAIN, TEST_IOVA, SZ_4K, 1), -ENOENT, __LINE__))
		return false;
	if (!check(m, !test_hvc(__pkvm_host_iommu_iova_to_phys, OTHER_DOMAIN, TEST_IOVA).ret,
		   __LINE__, "iova_to_phys of a freed domain"))
		return false;
	return true;
}

static bool map_domain_out_of_range(struct seq_file *m, struct page *page)
{
	if (!check_ret(m, map(KVM_IOMMU_MAX_DOMAINS, TEST_IOVA, page_to_phys(page), SZ_4K, 1, RW),
		       -EINVAL, __LINE__))
		return false;
	if (!check_ret(m, unmap(KVM_IOMMU_MAX_DOMAINS, TEST_IOVA, SZ_4K, 1), -EINVAL, __LINE__))
		return false;
	return true;
}

static bool map_domain_never_allocated(struct seq_file *m, struct page *page)
{
	if (!check_ret(m, map(OTHER_DOMAIN, TEST_IOVA, page_to_phys(page), SZ_4K, 1, RW), -ENOENT,
		       __LINE__))
		return false;
	return true;
}

static bool attach_domain_out_of_range(struct seq_file *m, struct page *page)
{
	if (!check_ret(m, attach(0, KVM_IOMMU_MAX_DOMAINS, UNUSED_SID), -EINVAL, __LINE__))
		return false;
	if (!check_ret(m, detach(0, KVM_IOMMU_MAX_DOMAINS, UNUSED_SID), -EINVAL, __LINE__))
		return false;
	return true;
}

static bool attach_domain_never_allocated(struct seq_file *m, struct page *page)
{
	if (!check_ret(m, attach(0, OTHER_DOMAIN, UNUSED_SID), -ENOENT, __LINE__))
		return false;
	return true;
}

/* Streams: beyond the SMMU's range, unknown SMMU, double attach and detach. */

static bool attach_sid_beyond_smmu(struct seq_file *m, struct page *page)
{
	if (!check_ret(m, attach(0, TEST_DOMAIN, 1 << 16), -EINVAL, __LINE__))
		return false;
	if (!check_ret(m, attach(0, TEST_DOMAIN, U32_MAX), -EINVAL, __LINE__))
		return false;
	if (!check_ret(m, detach(0, TEST_DOMAIN, 1 << 16), -EINVAL, __LINE__))
		return false;
	return true;
}

static bool attach_unknown_smmu(struct seq_file *m, struct page *page)
{
	if (!check_ret(m, attach(8, TEST_DOMAIN, 0), -EINVAL, __LINE__))
		return false;
	if (!check_ret(m, attach(U32_MAX, TEST_DOMAIN, 0), -EINVAL, __LINE__))
		return false;
	return true;
}

static bool attach_twice(struct seq_file *m, struct page *page)
{
	if (!check_ret(m, attach(0, TEST_DOMAIN, UNUSED_SID), 0, __LINE__))
		return false;
	if (!check_ret(m, attach(0, TEST_DOMAIN, UNUSED_SID), -EBUSY, __LINE__))
		return false;
	if (!check_ret(m, hvc_ret(alloc_domain(OTHER_DOMAIN)), 0, __LINE__))
		return false;
	if (!check_ret(m, attach(0, OTHER_DOMAIN, UNUSED_SID), -EBUSY, __LINE__))
		return false;
	if (!check_ret(m, detach(0, TEST_DOMAIN, UNUSED_SID), 0, __LINE__))
		return false;
	return true;
}

static bool detach_twice(struct seq_file *m, struct page *page)
{
	if (!check_ret(m, attach(0, TEST_DOMAIN, UNUSED_SID), 0, __LINE__))
		return false;
	if (!check_ret(m, detach(0, TEST_DOMAIN, UNUSED_SID), 0, __LINE__))
		return false;
	if (!check_ret(m, detach(0, TEST_DOMAIN, UNUSED_SID), -ENOENT, __LINE__))
		return false;
	return true;
}

static bool detach_never_attached(struct seq_file *m, struct page *page)
{
	if (!check_ret(m, detach(0, TEST_DOMAIN, UNUSED_SID - 1), -ENOENT, __LINE__))
		return false;
	return true;
}

static bool detach_from_other_domain(struct seq_file *m, struct page *page)
{
	if (!check_ret(m, hvc_ret(alloc_domain(OTHER_DOMAIN)), 0, __LINE__))
		return false;
	if (!check_ret(m, attach(0, TEST_DOMAIN, UNUSED_SID), 0, __LINE__))
		return false;
	if (!check_ret(m, detach(0, OTHER_DOMAIN, UNUSED_SID), -ENOENT, __LINE__))
		return false;
	if (!check_ret(m, detach(0, TEST_DOMAIN, UNUSED_SID), 0, __LINE__))
		return false;
	return true;
}

static bool free_attached_domain(struct seq_file *m, struct page *page)
{
	if (!check_ret(m, attach(0, TEST_DOMAIN, UNUSED_SID), 0, __LINE__))
		return false;
	if (!check_ret(m, free_domain(TEST_DOMAIN), -EBUSY, __LINE__))
		return false;
	if (!check_ret(m, detach(0, TEST_DOMAIN, UNUSED_SID), 0, __LINE__))
		return false;
	return true;
}

/* Sizes and alignment. */

static bool map_iova_beyond_input_size(struct seq_file *m, struct page *page)
{
	if (!check_ret(m, map(TEST_DOMAIN, BIT_ULL(48), page_to_phys(page), SZ_4K, 1, RW), -ERANGE,
		       __LINE__))
		return false;
	if (!check_ret(m, map(TEST_DOMAIN, -SZ_4K, page_to_phys(page), SZ_4K, 1, RW), -ERANGE,
		       __LINE__))
		return false;
	return true;
}

static bool map_range_crossing_input_end(struct seq_file *m, struct page *page)
{
	if (!check_ret(m, map(TEST_DOMAIN, BIT_ULL(48) - SZ_4K, page_to_phys(page), SZ_4K, 2, RW),
		       -ERANGE, __LINE__))
		return false;
	return true;
}

static bool map_pgcount_overflow(struct seq_file *m, struct page *page)
{
	if (!check_ret(m, map(TEST_DOMAIN, TEST_IOVA, page_to_phys(page), SZ_4K,
			      U64_MAX / SZ_4K + 1, RW), -ERANGE, __LINE__))
		return false;
	if (!check_ret(m, map(TEST_DOMAIN, 0, page_to_phys(page), SZ_1G, BIT_ULL(34), RW), -ERANGE,
		       __LINE__))
		return false;
	return true;
}

static bool unmap_pgcount_overflow(struct seq_file *m, struct page *page)
{
	if (!check_ret(m, unmap(TEST_DOMAIN, TEST_IOVA, SZ_4K, U64_MAX), -ERANGE, __LINE__))
		return false;
	return true;
}

static bool map_pgcount_zero(struct seq_file *m, struct page *page)
{
	if (!check_ret(m, map(TEST_DOMAIN, TEST_IOVA, page_to_phys(page), SZ_4K, 0, RW), -EINVAL,
		       __LINE__))
		return false;
	if (!check_ret(m, unmap(TEST_DOMAIN, TEST_IOVA, SZ_4K, 0), -EINVAL, __LINE__))
		return false;
	return true;
}

/* An unknown unmap flag is refused and leaves the mapping; so is a flush of no domain. */
static bool unmap_flag_unknown(struct seq_file *m, struct page *page)
{
	if (!check_ret(m, map(TEST_DOMAIN, TEST_IOVA, page_to_phys(page), SZ_4K, 1, RW), 0,
		       __LINE__))
		return false;
	if (!check_ret(m, unmap_flags(TEST_DOMAIN, TEST_IOVA, SZ_4K, 1, 2), -EINVAL, __LINE__) ||
	    !check_ret(m, unmap_flags(TEST_DOMAIN, TEST_IOVA, SZ_4K, 1, BIT_ULL(63)), -EINVAL,
		       __LINE__))
		return false;
	if (!check(m, (phys_addr_t)test_hvc(__pkvm_host_iommu_iova_to_phys, TEST_DOMAIN,
					    TEST_IOVA).ret == page_to_phys(page),
		   __LINE__, "a refused unmap unmapped"))
		return false;
	if (!check_ret(m, flush_domain(KVM_IOMMU_MAX_DOMAINS), -EINVAL, __LINE__) ||
	    !check_ret(m, flush_domain(OTHER_DOMAIN), -ENOENT, __LINE__))
		return false;
	return check_ret(m, unmap(TEST_DOMAIN, TEST_IOVA, SZ_4K, 1), 0, __LINE__);
}

static bool map_pgsize_unsupported(struct seq_file *m, struct page *page)
{
	if (!check_ret(m, map(TEST_DOMAIN, TEST_IOVA, page_to_phys(page), SZ_8K, 1, RW), -EINVAL,
		       __LINE__))
		return false;
	if (!check_ret(m, map(TEST_DOMAIN, TEST_IOVA, page_to_phys(page), SZ_64K, 1, RW), -EINVAL,
		       __LINE__))
		return false;
	if (!check_ret(m, map(TEST_DOMAIN, TEST_IOVA, page_to_phys(page), 0, 1, RW), -EINVAL,
		       __LINE__))
		return false;
	if (!check_ret(m, map(TEST_DOMAIN, TEST_IOVA, page_to_phys(page), SZ_4K | SZ_2M, 1, RW),
		       -EINVAL, __LINE__))
		return false;
	if (!check_ret(m, unmap(TEST_DOMAIN, TEST_IOVA, SZ_16K, 1), -EINVAL, __LINE__))
		return false;
	return true;
}

static bool map_iova_unaligned(struct seq_file *m, struct page *page)
{
	if (!check_ret(m, map(TEST_DOMAIN, TEST_IOVA + 0x800, page_to_phys(page), SZ_4K, 1, RW),
		       -EINVAL, __LINE__))
		return false;
	if (!check_ret(m, map(TEST_DOMAIN, TEST_IOVA + SZ_4K, page_to_phys(page), SZ_2M, 1, RW),
		       -EINVAL, __LINE__))
		return false;
	if (!check_ret(m, unmap(TEST_DOMAIN, TEST_IOVA + 1, SZ_4K, 1), -EINVAL, __LINE__))
		return false;
	return true;
}

static bool map_paddr_unaligned(struct seq_file *m, struct page *page)
{
	if (!check_ret(m, map(TEST_DOMAIN, TEST_IOVA, page_to_phys(page) + 8, SZ_4K, 1, RW),
		       -EINVAL, __LINE__))
		return false;
	if (!check_ret(m, map(TEST_DOMAIN, 0, ALIGN(page_to_phys(page), SZ_2M) + SZ_4K,
			      SZ_2M, 1, RW), -EINVAL, __LINE__))
		return false;
	return true;
}

static bool map_paddr_beyond_output_size(struct seq_file *m, struct page *page)
{
	if (!check_ret(m, map(TEST_DOMAIN, TEST_IOVA, BIT_ULL(52), SZ_4K, 1, RW), -ERANGE,
		       __LINE__))
		return false;
	if (!check_ret(m, map(TEST_DOMAIN, TEST_IOVA, -SZ_4K, SZ_4K, 1, RW), -ERANGE, __LINE__))
		return false;
	return true;
}

static bool map_unknown_prot(struct seq_file *m, struct page *page)
{
	if (!check_ret(m, map(TEST_DOMAIN, TEST_IOVA, page_to_phys(page), SZ_4K, 1, RW | BIT(10)),
		       -EINVAL, __LINE__))
		return false;
	if (!check_ret(m, map(TEST_DOMAIN, TEST_IOVA, page_to_phys(page), SZ_4K, 1, -1), -EINVAL,
		       __LINE__))
		return false;
	if (!check_ret(m, map(TEST_DOMAIN, TEST_IOVA, page_to_phys(page), SZ_4K, 1, 0), -EINVAL,
		       __LINE__))
		return false;
	if (!check_ret(m, map(TEST_DOMAIN, TEST_IOVA, page_to_phys(page), SZ_4K, 1, IOMMU_CACHE),
		       -EINVAL, __LINE__))
		return false;
	return true;
}

/* Overlaps and holes. */

static bool map_over_mapping(struct seq_file *m, struct page *page)
{
	struct page *pages = alloc_pages(GFP_KERNEL, 2);
	bool ok = false;
	struct hvc r;

	if (!check(m, pages, __LINE__, "no memory"))
		return false;
	r = map(TEST_DOMAIN, TEST_IOVA + SZ_4K, page_to_phys(pages), SZ_4K, 1, RW);
	if (!check_ret(m, r, 0, __LINE__))
		goto out;
	r = map(TEST_DOMAIN, TEST_IOVA, page_to_phys(pages), SZ_4K, 3, RW);
	if (!check_ret(m, r, -EEXIST, __LINE__) ||
	    !check(m, r.x2 == SZ_4K, __LINE__,
		   "a partial map must report exactly the part mapped"))
		goto out_unmap;
	ok = true;
out_unmap:
	ok &= check_ret(m, unmap(TEST_DOMAIN, TEST_IOVA, SZ_4K, 2), 0, __LINE__);
out:
	__free_pages(pages, 2);
	return ok;
}

static bool map_block_over_mapping(struct seq_file *m, struct page *page)
{
	struct page *block = alloc_pages(GFP_KERNEL, get_order(SZ_2M));
	bool ok = false;

	if (!check(m, block, __LINE__, "no 2MiB block of memory"))
		return false;
	if (!check_ret(m, map(TEST_DOMAIN, TEST_IOVA + SZ_4K, page_to_phys(page), SZ_4K,
			      1, RW), 0, __LINE__))
		goto out;
	ok = check_ret(m, map(TEST_DOMAIN, TEST_IOVA, page_to_phys(block), SZ_2M, 1, RW),
		       -EEXIST, __LINE__);
	ok &= check_ret(m, unmap(TEST_DOMAIN, TEST_IOVA + SZ_4K, SZ_4K, 1), 0, __LINE__);
out:
	__free_pages(block, get_order(SZ_2M));
	return ok;
}

/*
 * Runs of pages in one call: each at the IOVA after the one before; more
 * than KVM_IOMMU_MAX_RUNS are refused; a run of hypervisor memory stops the
 * call with exactly the runs before it mapped.
 */
static bool map_runs_checked(struct seq_file *m, struct page *page)
{
	u64 runs[KVM_IOMMU_MAX_RUNS + 1];
	struct hvc r;
	int i;

	for (i = 0; i <= KVM_IOMMU_MAX_RUNS; i++)
		runs[i] = KVM_IOMMU_RUN(page_to_phys(page), 1);
	if (!check_ret(m, map_runs(TEST_DOMAIN, TEST_IOVA, RW, runs, KVM_IOMMU_MAX_RUNS + 1),
		       -EINVAL, __LINE__))
		return false;
	runs[1] = KVM_IOMMU_RUN(hyp_mem_base, 1);
	r = map_runs(TEST_DOMAIN, TEST_IOVA, RW, runs, 3);
	if (!check_ret(m, r, -EPERM, __LINE__) ||
	    !check(m, r.x2 == SZ_4K, __LINE__, "the run before the refused one is not mapped") ||
	    !check_ret(m, unmap(TEST_DOMAIN, TEST_IOVA, SZ_4K, 1), 0, __LINE__))
		return false;
	runs[1] = runs[0];
	r = map_runs(TEST_DOMAIN, TEST_IOVA, RW, runs, 3);
	if (!check_ret(m, r, 0, __LINE__) ||
	    !check(m, r.x2 == 3 * SZ_4K, __LINE__, "three runs of one page, not all mapped") ||
	    !check(m, test_hvc(__pkvm_host_iommu_iova_to_phys, TEST_DOMAIN,
			       TEST_IOVA + 2 * SZ_4K).ret == page_to_phys(page), __LINE__,
		   "the third run is not at the third page's IOVA"))
		return false;
	return check_ret(m, unmap(TEST_DOMAIN, TEST_IOVA, SZ_4K, 3), 0, __LINE__);
}

static bool unmap_hole(struct seq_file *m, struct page *page)
{
	struct hvc r = unmap(TEST_DOMAIN, TEST_IOVA, SZ_4K, 1);

	if (!check_ret(m, r, -ENOENT, __LINE__))
		return false;
	if (!check(m, r.x2 == 0, __LINE__, "unmapped bytes reported for a hole"))
		return false;
	return true;
}

static bool unmap_partly_mapped(struct seq_file *m, struct page *page)
{
	struct hvc r;

	if (!check_ret(m, map(TEST_DOMAIN, TEST_IOVA, page_to_phys(page), SZ_4K, 1, RW), 0,
		       __LINE__))
		return false;
	r = unmap(TEST_DOMAIN, TEST_IOVA, SZ_4K, 4);
	if (!check_ret(m, r, -ENOENT, __LINE__))
		return false;
	if (!check(m, r.x2 == SZ_4K, __LINE__, "the mapped part was not reported unmapped"))
		return false;
	if (!check(m, !test_hvc(__pkvm_host_iommu_iova_to_phys, TEST_DOMAIN, TEST_IOVA).ret,
		   __LINE__, "the mapped part is still mapped"))
		return false;
	return true;
}

static bool unmap_part_of_block(struct seq_file *m, struct page *page)
{
	struct page *block = alloc_pages(GFP_KERNEL, get_order(SZ_2M));
	bool ok = false;

	if (!check(m, block, __LINE__, "no 2MiB block of memory"))
		return false;
	if (!check_ret(m, map(TEST_DOMAIN, 0, page_to_phys(block), SZ_2M, 1, RW), 0, __LINE__))
		goto out;
	if (!check_ret(m, unmap(TEST_DOMAIN, SZ_4K, SZ_4K, 1), -EINVAL, __LINE__))
		goto out_unmap;
	ok = check(m, test_hvc(__pkvm_host_iommu_iova_to_phys, TEST_DOMAIN, SZ_4K).ret ==
		   page_to_phys(block) + SZ_4K, __LINE__, "the block was split");
out_unmap:
	ok &= check_ret(m, unmap(TEST_DOMAIN, 0, SZ_2M, 1), 0, __LINE__);
out:
	__free_pages(block, get_order(SZ_2M));
	return ok;
}

/* Ownership. */

static bool map_hyp_memory(struct seq_file *m, struct page *page)
{
	struct hvc r = map(TEST_DOMAIN, TEST_IOVA, hyp_mem_base, SZ_4K, 1, RW);

	if (!check_ret(m, r, -EPERM, __LINE__))
		return false;
	if (!check(m, r.x2 == 0, __LINE__, "part of the range was mapped"))
		return false;
	return true;
}

static bool map_smmu_mmio(struct seq_file *m, struct page *page)
{
	if (!check(m, smmu_mmio, __LINE__, "the hypervisor owns no SMMU"))
		return false;
	if (!check_ret(m, map(TEST_DOMAIN, TEST_IOVA, smmu_mmio, SZ_4K, 1, RW | IOMMU_MMIO), -EPERM,
		       __LINE__))
		return false;
	if (!check_ret(m, map(TEST_DOMAIN, TEST_IOVA, smmu_mmio + SZ_64K, SZ_4K, 1, RW), -EPERM,
		       __LINE__))
		return false;
	return true;
}

/* The PMCG's registers are the hypervisor's: its MSIs are untranslated. */
static bool map_pmcg_mmio(struct seq_file *m, struct page *page)
{
	if (!pmcg_mmio) {
		seq_puts(m, "skip: no PMCG is described\n");
		return false;
	}
	return check_ret(m, map(TEST_DOMAIN, TEST_IOVA, pmcg_mmio, SZ_4K, 1, RW | IOMMU_MMIO),
			 -EPERM, __LINE__);
}

static struct hvc recycle_mmio(void)
{
	return test_hvc(__pkvm_host_iommu_test, KVM_IOMMU_TEST_RECYCLE_MMIO, 0);
}

/*
 * When its stage-2 table pages run out, the hypervisor unmaps the host's
 * MMIO to recycle them: the SMMU's registers stay the hypervisor's.
 */
static bool map_smmu_mmio_after_recycle(struct seq_file *m, struct page *page)
{
	if (!check_ret(m, recycle_mmio(), 0, __LINE__))
		return false;
	return map_smmu_mmio(m, page);
}

/* Arguments are 64-bit registers: high bits are refused, not dropped. */
static bool high_bits_refused(struct seq_file *m, struct page *page)
{
	u64 hi = BIT_ULL(32);

	if (!check_ret(m, test_hvc(__pkvm_host_iommu_alloc_domain, hi | OTHER_DOMAIN), -EINVAL,
		       __LINE__))
		return false;
	if (!check_ret(m, test_hvc(__pkvm_host_iommu_attach_dev, hi, TEST_DOMAIN, UNUSED_SID),
		       -EINVAL, __LINE__))
		return false;
	if (!check_ret(m, test_hvc(__pkvm_host_iommu_attach_dev, 0, TEST_DOMAIN, hi | UNUSED_SID),
		       -EINVAL, __LINE__))
		return false;
	if (!check_ret(m, test_hvc(__pkvm_host_iommu_map_pages, hi | TEST_DOMAIN, TEST_IOVA,
				   page_to_phys(page), SZ_4K, 1, RW), -EINVAL, __LINE__))
		return false;
	if (!check_ret(m, test_hvc(__pkvm_host_iommu_map_pages, TEST_DOMAIN, TEST_IOVA,
				   page_to_phys(page), SZ_4K, 1, hi | RW), -EINVAL, __LINE__))
		return false;
	if (!check_ret(m, test_hvc(__pkvm_host_iommu_free_domain, hi | TEST_DOMAIN), -EINVAL,
		       __LINE__))
		return false;
	if (!check_ret(m, test_hvc(__pkvm_host_iommu_next_fault, hi), -EINVAL, __LINE__))
		return false;
	return true;
}

/* A page just donated to the hypervisor, in its memcache; NULL on failure. */
static struct page *new_donated_page(struct seq_file *m)
{
	struct page *p = alloc_page(GFP_KERNEL);

	if (!check(m, p, __LINE__, "no memory"))
		return NULL;
	if (!check_ret(m, donate_page(p), 0, __LINE__)) {
		__free_page(p);
		return NULL;
	}
	return p;
}

/* A page in the hypervisor's memcache is the hypervisor's. */
static bool map_page_donated_to_hyp(struct seq_file *m, struct page *page)
{
	struct page *donated = new_donated_page(m);

	return donated &&
	       check_ret(m, map(TEST_DOMAIN, TEST_IOVA, page_to_phys(donated), SZ_4K, 1, RW),
			 -EPERM, __LINE__);
}

static bool donate_page_twice(struct seq_file *m, struct page *page)
{
	struct page *donated = new_donated_page(m);

	return donated && check_ret(m, donate_page(donated), -EPERM, __LINE__);
}

static bool donate_hyp_memory(struct seq_file *m, struct page *page)
{
	if (!check_ret(m, test_hvc(__pkvm_host_iommu_donate_pages, PHYS_PFN(hyp_mem_base), 1),
		       -EPERM, __LINE__))
		return false;
	return true;
}

/*
 * A donation that starts on the last page of a memory region and runs into
 * the next is refused whole: the host stage-2 walk visits an unpopulated
 * entry once, so only the region's end tells. The bench's device tree ends
 * a region at a no-map carve-out and reserves the page below it, which
 * nobody uses.
 */
static bool donate_past_region_end(struct seq_file *m, struct page *page)
{
	struct memblock_region *reg;
	phys_addr_t end;

	for_each_mem_region(reg) {
		end = reg->base + reg->size;
		if (reg + 1 < memblock.memory.regions + memblock.memory.cnt &&
		    reg[1].base == end && memblock_is_nomap(&reg[1]) &&
		    memblock_is_reserved(end - PAGE_SIZE))
			return check_ret(m, test_hvc(__pkvm_host_iommu_donate_pages,
						     PHYS_PFN(end) - 1, 2), -EPERM, __LINE__);
	}
	seq_puts(m, "skip: no memory region ends at a no-map carve-out\n");
	return false;
}

/*
 * A donation of several pages takes 1 to KVM_IOMMU_DONATE_MAX pages, all
 * or none: a run whose last page is the hypervisor's already is refused,
 * and its other pages stay the host's. Pages whose fate is unknown after a
 * failure are left alone: freeing one the hypervisor owns would crash.
 */
static bool donate_pages_all_or_nothing(struct seq_file *m, struct page *page)
{
	struct page *run = alloc_pages(GFP_KERNEL, 2);
	unsigned long pfn;

	if (!check(m, run, __LINE__, "no memory"))
		return false;
	split_page(run, 2);
	pfn = page_to_pfn(run);
	return check_ret(m, test_hvc(__pkvm_host_iommu_donate_pages, pfn, 0), -EINVAL, __LINE__) &&
	       check_ret(m, test_hvc(__pkvm_host_iommu_donate_pages, pfn, KVM_IOMMU_DONATE_MAX + 1),
			 -EINVAL, __LINE__) &&
	       check_ret(m, donate_page(run + 3), 0, __LINE__) &&
	       check_ret(m, test_hvc(__pkvm_host_iommu_donate_pages, pfn, 4), -EPERM, __LINE__) &&
	       check_ret(m, test_hvc(__pkvm_host_iommu_donate_pages, pfn, 3), 0, __LINE__);
}

/* A DMA-mapped page cannot be donated; once unmapped it can. */
static bool donate_dma_mapped_page(struct seq_file *m, struct page *page)
{
	struct page *victim = alloc_page(GFP_KERNEL);
	struct hvc r;

	if (!check(m, victim, __LINE__, "no memory"))
		return false;
	if (!check_ret(m, map(TEST_DOMAIN, TEST_IOVA, page_to_phys(victim), SZ_4K, 1, RW), 0,
		       __LINE__))
		return false;
	if (!check_ret(m, donate_page(victim), -EBUSY, __LINE__))
		return false;
	r = unmap(TEST_DOMAIN, TEST_IOVA, SZ_4K, 1);
	if (!check(m, !r.ret && r.x2 == SZ_4K, __LINE__, "the unmap failed"))
		return false;
	if (!check_ret(m, donate_page(victim), 0, __LINE__))
		return false;
	return true;
}

/* Reclaim gives back only unused pages: the mapped domain keeps working. */
static bool reclaim_pages_in_use(struct seq_file *m, struct page *page)
{
	struct hvc r;
	int n;

	if (!check_ret(m, map(TEST_DOMAIN, TEST_IOVA, page_to_phys(page), SZ_4K, 1, RW), 0,
		       __LINE__))
		return false;
	for (n = 0; n < 100000; n++) {
		r = test_hvc(__pkvm_host_iommu_reclaim_page);
		if (r.ret < 0)
			break;
		__free_page(pfn_to_page(r.ret));
	}
	if (!check_ret(m, r, -ENOENT, __LINE__))
		return false;
	r = test_hvc(__pkvm_host_iommu_iova_to_phys, TEST_DOMAIN, TEST_IOVA);
	if (!check(m, r.ret == page_to_phys(page), __LINE__, "the translation was lost"))
		return false;
	r = unmap(TEST_DOMAIN, TEST_IOVA, SZ_4K, 1);
	if (!check(m, !r.ret && r.x2 == SZ_4K, __LINE__, "the unmap failed"))
		return false;
	return true;
}

/* Registration is an initialization hypercall: refused after finalize. */
static bool register_after_finalize(struct seq_file *m, struct page *page)
{
	struct hvc r = test_hvc(__pkvm_smmu_register, smmu_mmio, SZ_128K,
				page_to_pfn(page), 1);

	if (!check(m, r.status == SMCCC_RET_NOT_SUPPORTED, __LINE__,
		   "the hypercall was not refused as an init call"))
		return false;
	/* So is the registration of a PMCG. */
	r = test_hvc(__pkvm_smmu_register_pmcg, pmcg_mmio, SZ_4K);
	return check(m, r.status == SMCCC_RET_NOT_SUPPORTED, __LINE__,
		     "the PMCG registration was not refused as an init call");
}

/* A figure the hypervisor does not keep, or one with high bits set, is refused. */
static bool unknown_stat(struct seq_file *m, struct page *page)
{
	if (!check_ret(m, test_hvc(__pkvm_host_iommu_stat, KVM_IOMMU_NR_STATS), -EINVAL, __LINE__))
		return false;
	if (!check_ret(m, test_hvc(__pkvm_host_iommu_stat, BIT_ULL(32) | KVM_IOMMU_STAT_DMA_PAGES),
		       -EINVAL, __LINE__))
		return false;
	return check(m, test_hvc(__pkvm_host_iommu_stat, KVM_IOMMU_STAT_PAGES_IN_USE).ret > 0,
		     __LINE__, "the test domain holds no page");
}

static bool unknown_test_op(struct seq_file *m, struct page *page)
{
	if (!check_ret(m, test_hvc(__pkvm_host_iommu_test, 1000, 0), -EINVAL, __LINE__))
		return false;
	if (!check_ret(m, test_hvc(__pkvm_host_iommu_test, KVM_IOMMU_TEST_FAIL_ALLOC, U64_MAX),
		       -EINVAL, __LINE__))
		return false;
	return true;
}

/* Fault injection: the n-th page allocation of a hypercall fails. */

/*
 * Pages in use but those of the identity domain's tables, which grow as
 * donations split its blocks, and stay.
 */
static long pages_in_use(void)
{
	return test_hvc(__pkvm_host_iommu_stat, KVM_IOMMU_STAT_PAGES_IN_USE).ret -
	       test_hvc(__pkvm_host_iommu_stat, KVM_IOMMU_STAT_IDMAP_PAGES).ret;
}

/*
 * Run @op with its n-th allocation failing, for n = 1, 2, ... until it
 * succeeds: each failure must reach the caller as -ENOMEM and leave no page
 * allocated; @undo takes back a success.
 */
static bool fail_each_alloc(struct seq_file *m, struct hvc (*op)(struct page *page),
			    void (*undo)(struct page *page), struct page *page)
{
	long before;
	struct hvc r;
	int n;

	/* Enough pages in the memcache that only the injection fails. */
	if (!check(m, !donate(16), __LINE__, "cannot donate"))
		return false;
	for (n = 1; n < 16; n++) {
		before = pages_in_use();
		if (!check_ret(m, test_hvc(__pkvm_host_iommu_test, KVM_IOMMU_TEST_FAIL_ALLOC, n), 0,
			       __LINE__))
			return false;
		r = op(page);
		test_hvc(__pkvm_host_iommu_test, KVM_IOMMU_TEST_FAIL_ALLOC, 0);
		if (!r.ret)
			break;
		if (!check_ret(m, r, -ENOMEM, __LINE__))
			return false;
		if (!check(m, pages_in_use() == before, __LINE__, "a failed hypercall kept pages"))
			return false;
	}
	if (!check(m, n > 1, __LINE__, "the hypercall allocated nothing"))
		return false;
	if (!check_ret(m, r, 0, __LINE__))
		return false;
	undo(page);
	return true;
}

static struct hvc op_alloc_domain(struct page *page)
{
	return hvc_ret(alloc_domain(OTHER_DOMAIN));
}

static void undo_alloc_domain(struct page *page)
{
	free_domain(OTHER_DOMAIN);
}

static bool alloc_fails_in_alloc_domain(struct seq_file *m, struct page *page)
{
	return fail_each_alloc(m, op_alloc_domain, undo_alloc_domain, page);
}

/* A stream whose level-2 stream table is not allocated yet. */
static u32 fresh_sid;

static struct hvc op_attach(struct page *page)
{
	return attach(0, TEST_DOMAIN, fresh_sid);
}

static void undo_attach(struct page *page)
{
	detach(0, TEST_DOMAIN, fresh_sid);
}

static bool alloc_fails_in_attach(struct seq_file *m, struct page *page)
{
	/* Each run takes a new block of 64 streams, from the top down. */
	static u32 next = UNUSED_SID & ~63;

	next -= 64;
	fresh_sid = next;
	return fail_each_alloc(m, op_attach, undo_attach, page);
}

/*
 * A map into an empty domain needs a table at every level. The tables a
 * failed map linked stay in the domain for the retry (freeing them would
 * need a TLB invalidation first): they must be back once it is freed.
 */
static bool alloc_fails_in_map(struct seq_file *m, struct page *page)
{
	long before;
	struct hvc r;
	int n;

	if (!check(m, !donate(16), __LINE__, "cannot donate"))
		return false;
	before = pages_in_use();
	if (!check_ret(m, hvc_ret(alloc_domain(OTHER_DOMAIN)), 0, __LINE__))
		return false;
	for (n = 1; n < 16; n++) {
		if (!check_ret(m, test_hvc(__pkvm_host_iommu_test, KVM_IOMMU_TEST_FAIL_ALLOC, n), 0,
			       __LINE__))
			return false;
		r = map(OTHER_DOMAIN, TEST_IOVA, page_to_phys(page), SZ_4K, 1, RW);
		test_hvc(__pkvm_host_iommu_test, KVM_IOMMU_TEST_FAIL_ALLOC, 0);
		if (!r.ret)
			break;
		if (!check_ret(m, r, -ENOMEM, __LINE__))
			return false;
		if (!check(m, !r.x2, __LINE__, "a failed map reported bytes mapped"))
			return false;
		r = test_hvc(__pkvm_host_iommu_iova_to_phys, OTHER_DOMAIN, TEST_IOVA);
		if (!check(m, !r.ret, __LINE__, "a failed map left a translation"))
			return false;
	}
	if (!check(m, n > 2, __LINE__, "the map allocated fewer than two tables"))
		return false;
	if (!check_ret(m, r, 0, __LINE__))
		return false;
	if (!check_ret(m, unmap(OTHER_DOMAIN, TEST_IOVA, SZ_4K, 1), 0, __LINE__))
		return false;
	if (!check_ret(m, free_domain(OTHER_DOMAIN), 0, __LINE__))
		return false;
	if (!check(m, pages_in_use() == before, __LINE__, "pages kept after the domain was freed"))
		return false;
	return true;
}

/*
 * A command-queue error during an unmap's TLB invalidation: reported as
 * -EIO; the page stays accounted as mapped, since the TLB may still hold
 * it; the queue goes on.
 */
static bool cmdq_error_in_unmap(struct seq_file *m, struct page *page)
{
	struct page *victim = alloc_page(GFP_KERNEL);

	if (!check(m, victim, __LINE__, "no memory"))
		return false;
	if (!check_ret(m, map(TEST_DOMAIN, TEST_IOVA, page_to_phys(victim), SZ_4K, 1, RW), 0,
		       __LINE__))
		return false;
	if (!check_ret(m, inject_cmdq_error(), 0, __LINE__))
		return false;
	if (!check_ret(m, unmap(TEST_DOMAIN, TEST_IOVA, SZ_4K, 1), -EIO, __LINE__))
		return false;
	if (!check_ret(m, donate_page(victim), -EBUSY, __LINE__))
		return false;
	return true;
}

/* An error while attaching: the stream is left aborting, not attached. */
static bool cmdq_error_in_attach(struct seq_file *m, struct page *page)
{
	if (!check_ret(m, inject_cmdq_error(), 0, __LINE__))
		return false;
	if (!check_ret(m, attach(0, TEST_DOMAIN, UNUSED_SID), -EIO, __LINE__))
		return false;
	if (!check_ret(m, detach(0, TEST_DOMAIN, UNUSED_SID), -ENOENT, __LINE__))
		return false;
	if (!check_ret(m, attach(0, TEST_DOMAIN, UNUSED_SID), 0, __LINE__))
		return false;
	if (!check_ret(m, detach(0, TEST_DOMAIN, UNUSED_SID), 0, __LINE__))
		return false;
	return true;
}

/*
 * An error while detaching: the stream stays attached, so the domain cannot
 * be freed under it, and a retry completes the detach.
 */
static bool cmdq_error_in_detach(struct seq_file *m, struct page *page)
{
	if (!check_ret(m, attach(0, TEST_DOMAIN, UNUSED_SID), 0, __LINE__))
		return false;
	if (!check_ret(m, inject_cmdq_error(), 0, __LINE__))
		return false;
	if (!check_ret(m, detach(0, TEST_DOMAIN, UNUSED_SID), -EIO, __LINE__))
		return false;
	if (!check_ret(m, free_domain(TEST_DOMAIN), -EBUSY, __LINE__))
		return false;
	if (!check_ret(m, attach(0, TEST_DOMAIN, UNUSED_SID), -EBUSY, __LINE__))
		return false;
	if (!check_ret(m, detach(0, TEST_DOMAIN, UNUSED_SID), 0, __LINE__))
		return false;
	return true;
}

/*
 * A host that says SMMU 0 lost power while it runs on: the hypervisor no
 * longer invalidates it, so a page a domain with a stream on it unmaps
 * meanwhile stays counted, and its donation is refused, until power-on
 * has reset the SMMU and invalidated all it holds. Streams wait for power;
 * off twice, on twice, an unknown SMMU or state get their errors. SMMU 0
 * is powered again whatever fails.
 */
static bool power_off_claimed(struct seq_file *m, struct page *page)
{
	struct page *victim = alloc_page(GFP_KERNEL);
	struct hvc r;
	bool ok;

	if (!check(m, victim, __LINE__, "no memory") ||
	    !check_ret(m, attach(0, TEST_DOMAIN, UNUSED_SID), 0, __LINE__) ||
	    !check_ret(m, map(TEST_DOMAIN, TEST_IOVA, page_to_phys(victim), SZ_4K, 1, RW), 0,
		       __LINE__) ||
	    !check_ret(m, set_power(0, 0), 0, __LINE__))
		return false;
	r = unmap(TEST_DOMAIN, TEST_IOVA, SZ_4K, 1);
	ok = check(m, !r.ret && r.x2 == SZ_4K, __LINE__, "the unmap failed") &&
	     check(m, deferred_pages() > 0, __LINE__, "the page is not waiting for power-on") &&
	     check_ret(m, donate_page(victim), -EBUSY, __LINE__) &&
	     check_ret(m, set_power(0, 0), -EALREADY, __LINE__) &&
	     check_ret(m, detach(0, TEST_DOMAIN, UNUSED_SID), -EAGAIN, __LINE__) &&
	     check_ret(m, attach(0, TEST_DOMAIN, UNUSED_SID - 1), -EAGAIN, __LINE__) &&
	     check_ret(m, test_hvc(__pkvm_host_iommu_next_fault, 0), 0, __LINE__);
	if (!check_ret(m, set_power(0, 1), 0, __LINE__))
		return false;
	return ok && check_ret(m, donate_page(victim), 0, __LINE__) &&
	       check_ret(m, set_power(0, 1), -EALREADY, __LINE__) &&
	       check_ret(m, set_power(8, 0), -EINVAL, __LINE__) &&
	       check_ret(m, set_power(0, 2), -EINVAL, __LINE__) &&
	       check_ret(m, detach(0, TEST_DOMAIN, UNUSED_SID), 0, __LINE__);
}

/* Before finalize, the driver said an SMMU was off: refused, the SMMU kept on. */
static bool power_off_before_finalize(struct seq_file *m, struct page *page)
{
	return check_ret(m, hvc_ret(kvm_smmu_test_early_power_off()), -EPERM, __LINE__) &&
	       check_ret(m, set_power(0, 1), -EALREADY, __LINE__);
}

/*
 * For the suspend test: CR2, cleared here (it only sets how the SMMU
 * records bad streams and takes broadcast invalidations), must read as the
 * hypervisor programs it once a power cycle reset the SMMU.
 */
static bool smmu_cr2_clobbered(struct seq_file *m, struct page *page)
{
	return check_ret(m, test_hvc(__pkvm_host_iommu_test, KVM_IOMMU_TEST_SMMU_CR2, 0), 0,
			 __LINE__);
}

static bool smmu_cr2_reset(struct seq_file *m, struct page *page)
{
	return check_ret(m, test_hvc(__pkvm_host_iommu_test, KVM_IOMMU_TEST_SMMU_CR2, U64_MAX),
			 CR2_PTM | CR2_RECINVSID, __LINE__);
}

/* Fault records of an SMMU that does not exist. */
static bool next_fault_unknown_smmu(struct seq_file *m, struct page *page)
{
	if (!check_ret(m, test_hvc(__pkvm_host_iommu_next_fault, 8), -EINVAL, __LINE__))
		return false;
	if (!check_ret(m, test_hvc(__pkvm_host_iommu_next_fault, U32_MAX), -EINVAL, __LINE__))
		return false;
	return true;
}

/*
 * Races: a kthread on every online CPU makes random hypercalls on a few
 * shared domains for race_ms, freeing and reallocating them under the maps,
 * unmaps, attaches and detaches of the others. Each CPU maps the same four
 * pages, so their DMA counts are raced too, but into an IOVA window and with
 * a stream ID of its own: whatever the interleaving, a slot of the window
 * translates to its own page or to nothing. The pages are also shared with
 * the hypervisor under the maps and unmaps, which the hypervisor refuses
 * while a page is mapped: once a share succeeded, no domain may translate
 * to the page until it is unshared. Every call must return one of its
 * documented results; once all CPUs are done and the domains freed, no
 * page may be left DMA-counted and the hypervisor's pages in use must be
 * back to where they were.
 */
#define RACE_DOMAINS		3
#define RACE_FIRST_DOMAIN	(KVM_IOMMU_MAX_DOMAINS - 2 - RACE_DOMAINS)
#define RACE_SID		0xfe00
#define RACE_IOVA		(TEST_IOVA + SZ_64M)
#define RACE_PAGES		4
#define RACE_SLOTS		(2 * RACE_PAGES)

static u32 race_ms = 2000;

enum race_op {
	RACE_ALLOC, RACE_FREE, RACE_MAP, RACE_UNMAP, RACE_IOVA_TO_PHYS,
	RACE_ATTACH, RACE_DETACH, RACE_SHARE_HYP, RACE_UNMAP_ALL, RACE_UNMAP_LAZY,
	RACE_FLUSH, RACE_DONATE, RACE_NR_OPS
};

static const char * const race_op_names[RACE_NR_OPS] = {
	"alloc_domain", "free_domain", "map", "unmap", "iova_to_phys",
	"attach", "detach", "share_hyp", "unmap_all", "unmap_lazy", "flush_domain",
	"donate",
};

struct race {
	unsigned long ops;		/* BIT(enum race_op) of the calls made */
	phys_addr_t pages;		/* RACE_PAGES contiguous host pages */
	unsigned long deadline;		/* in jiffies */
	atomic_t running;		/* CPUs not done yet */
	struct completion done;
	atomic_t failed;		/* the first failure fills @failure */
	char failure[160];
	atomic_long_t calls[RACE_NR_OPS];
	atomic_long_t refused[RACE_NR_OPS];	/* documented errors */
	atomic_long_t shared;		/* shares and donations to the hypervisor made */
	bool deferred_seen;		/* the hypervisor counted a deferred page */
};

/* Pages a donating CPU reclaims before its own: freed tables left for reclaim */
#define RACE_RECLAIM_MAX	1024

struct race_cpu {
	struct race *race;
	unsigned int cpu;
	unsigned long *others;	/* RACE_RECLAIM_MAX pfns */
};

static u64 race_iova(unsigned int cpu, u32 slot)
{
	return RACE_IOVA + cpu * SZ_2M + slot * SZ_4K;
}

/* Slot s of every window maps page s % RACE_PAGES, alone or in a run. */
static phys_addr_t race_page(struct race *race, u32 slot)
{
	return race->pages + (slot % RACE_PAGES) * SZ_4K;
}

/* Record that @op returned @r, documented or not. */
static bool race_result(struct race_cpu *rc, enum race_op op, struct hvc r, bool documented)
{
	struct race *race = rc->race;

	atomic_long_inc(&race->calls[op]);
	if (r.ret < 0)
		atomic_long_inc(&race->refused[op]);
	if (documented && r.status == SMCCC_RET_SUCCESS)
		return true;
	if (atomic_cmpxchg(&race->failed, 0, 1) == 0)
		snprintf(race->failure, sizeof(race->failure),
			 "%s on CPU %u returned %ld (x2 %#lx, status %ld)",
			 race_op_names[op], rc->cpu, r.ret, r.x2, (long)r.status);
	return false;
}

/* No slot of any CPU's window in any race domain translates to @phys. */
static bool race_unreachable(struct race_cpu *rc, enum race_op op, phys_addr_t phys)
{
	unsigned int cpu;
	u32 id, slot;
	struct hvc r;

	for (id = RACE_FIRST_DOMAIN; id < RACE_FIRST_DOMAIN + RACE_DOMAINS; id++) {
		for_each_online_cpu(cpu) {
			for (slot = 0; slot < RACE_SLOTS; slot++) {
				r = test_hvc(__pkvm_host_iommu_iova_to_phys, id,
					     race_iova(cpu, slot));
				if ((phys_addr_t)r.ret != phys)
					continue;
				r.ret = -EFAULT;
				return race_result(rc, op, r, false);
			}
		}
	}
	return true;
}

/*
 * Share a page the others map with the hypervisor, check, unshare it. The
 * raw hypercalls, not kvm_share_hyp(): its refcount would hide a failure.
 * A page another CPU shared already is refused with -EPERM.
 */
static bool race_share_hyp(struct race_cpu *rc, phys_addr_t phys)
{
	struct hvc r = test_hvc(__pkvm_host_share_hyp, PHYS_PFN(phys));
	bool ok;

	ok = race_result(rc, RACE_SHARE_HYP, r, !r.ret || r.ret == -EBUSY || r.ret == -EPERM);
	if (r.ret)
		return ok;
	atomic_long_inc(&rc->race->shared);
	ok = race_unreachable(rc, RACE_SHARE_HYP, phys) && ok;
	r = test_hvc(__pkvm_host_unshare_hyp, PHYS_PFN(phys));
	return race_result(rc, RACE_SHARE_HYP, r, !r.ret) && ok;
}

/*
 * Unmap @phys lazily wherever a race domain may map it, so that its
 * mappings are deferred ones, unless another CPU maps it again meanwhile.
 */
static bool race_unmap_page_lazily(struct race_cpu *rc, phys_addr_t phys)
{
	unsigned int cpu;
	u32 id, slot;
	struct hvc r;

	/* The slots of each window that map @phys: one per RACE_PAGES */
	for_each_online_cpu(cpu) {
		for (slot = PHYS_PFN(phys - rc->race->pages); slot < RACE_SLOTS;
		     slot += RACE_PAGES) {
			for (id = RACE_FIRST_DOMAIN; id < RACE_FIRST_DOMAIN + RACE_DOMAINS; id++) {
				r = unmap_flags(id, race_iova(cpu, slot), SZ_4K, 1,
						KVM_IOMMU_UNMAP_DEFER);
				if (!race_result(rc, RACE_UNMAP_LAZY, r,
						 (!r.ret && r.x2 == SZ_4K) ||
						 (r.ret == -ENOENT && !r.x2)))
					return false;
			}
		}
	}
	return true;
}

/*
 * Donate a page the others map and unmap lazily to this CPU's memcache,
 * check, and take it back. It is unmapped lazily everywhere first: a page
 * whose mappings are only deferred must be donated, the hypervisor
 * completing them first. One with a live
 * mapping is refused with -EBUSY, one another CPU holds with -EPERM. No
 * other hypercall runs on this CPU meanwhile, so no table takes the page;
 * the pages freed tables left for reclaim come back first, and go again,
 * to this CPU's memcache.
 */
static bool race_donate(struct race_cpu *rc, phys_addr_t phys)
{
	unsigned long *others = rc->others;
	unsigned int n = 0;
	struct hvc r;
	bool ok;

	if (!race_unmap_page_lazily(rc, phys))
		return false;
	preempt_disable();
	r = donate_page(phys_to_page(phys));
	ok = race_result(rc, RACE_DONATE, r, !r.ret || r.ret == -EBUSY || r.ret == -EPERM);
	if (!r.ret) {
		atomic_long_inc(&rc->race->shared);
		ok = race_unreachable(rc, RACE_DONATE, phys) && ok;
		do {
			r = test_hvc(__pkvm_host_iommu_reclaim_page);
			if (r.ret >= 0 && r.ret != PHYS_PFN(phys) && n < RACE_RECLAIM_MAX)
				others[n++] = r.ret;
		} while (r.ret >= 0 && r.ret != PHYS_PFN(phys) && n < RACE_RECLAIM_MAX);
		ok = race_result(rc, RACE_DONATE, r, r.ret == PHYS_PFN(phys)) && ok;
		while (n--)
			donate_page(pfn_to_page(others[n]));
	}
	preempt_enable();
	return ok;
}

static bool race_call(struct race_cpu *rc, enum race_op op)
{
	u32 id = RACE_FIRST_DOMAIN + get_random_u32_below(RACE_DOMAINS);
	u32 slot = get_random_u32_below(RACE_SLOTS);
	u64 iova = race_iova(rc->cpu, slot);
	u32 sid = RACE_SID + rc->cpu;
	u64 n, size;
	struct hvc r;

	switch (op) {
	case RACE_ALLOC:
		r = hvc_ret(alloc_domain(id));
		return race_result(rc, op, r, !r.ret || r.ret == -EEXIST);
	case RACE_FREE:
		r = free_domain(id);
		return race_result(rc, op, r, !r.ret || r.ret == -ENOENT || r.ret == -EBUSY);
	case RACE_MAP:
		n = 1 + get_random_u32_below(RACE_PAGES - slot % RACE_PAGES);
		size = n * SZ_4K;
		r = map(id, iova, race_page(rc->race, slot), SZ_4K, n, RW);
		return race_result(rc, op, r, (!r.ret && r.x2 == size) ||
				   (r.ret == -ENOENT && !r.x2) ||
				   (r.ret == -EPERM && !r.x2) ||
				   (r.ret == -EEXIST && r.x2 < size));
	case RACE_UNMAP:
	case RACE_UNMAP_LAZY:
		n = 1 + get_random_u32_below(RACE_SLOTS - slot);
		r = unmap_flags(id, iova, SZ_4K, n, op == RACE_UNMAP ? 0 : KVM_IOMMU_UNMAP_DEFER);
		size = n * SZ_4K;
		if (op == RACE_UNMAP_LAZY && r.x2 && !READ_ONCE(rc->race->deferred_seen) &&
		    deferred_pages() > 0)
			WRITE_ONCE(rc->race->deferred_seen, true);
		return race_result(rc, op, r, (!r.ret && r.x2 == size) ||
				   (r.ret == -ENOENT && r.x2 < size));
	case RACE_IOVA_TO_PHYS:
		r = test_hvc(__pkvm_host_iommu_iova_to_phys, id, iova);
		return race_result(rc, op, r, !r.ret ||
				   (phys_addr_t)r.ret == race_page(rc->race, slot));
	case RACE_ATTACH:
		r = attach(0, id, sid);
		return race_result(rc, op, r, !r.ret || r.ret == -ENOENT || r.ret == -EBUSY);
	case RACE_DETACH:
		r = detach(0, id, sid);
		return race_result(rc, op, r, !r.ret || r.ret == -ENOENT);
	case RACE_SHARE_HYP:
		return race_share_hyp(rc, race_page(rc->race, slot));
	case RACE_FLUSH:
		r = flush_domain(id);
		return race_result(rc, op, r, !r.ret || r.ret == -ENOENT);
	case RACE_DONATE:
		return race_donate(rc, race_page(rc->race, slot));
	case RACE_UNMAP_ALL:
		/* This CPU's window of a domain, slot by slot, holes and all */
		for (slot = 0; slot < RACE_SLOTS; slot++) {
			r = unmap(id, race_iova(rc->cpu, slot), SZ_4K, 1);
			if (!race_result(rc, op, r, (!r.ret && r.x2 == SZ_4K) ||
					 (r.ret == -ENOENT && !r.x2)))
				return false;
		}
		return true;
	default:
		return false;
	}
}

static int race_thread(void *data)
{
	struct race_cpu *rc = data;
	struct race *race = rc->race;
	unsigned int nr_ops = hweight_long(race->ops);

	while (time_before(jiffies, race->deadline) && !atomic_read(&race->failed)) {
		/* The n-th op of the mask, n random. */
		unsigned long op = find_first_bit(&race->ops, RACE_NR_OPS);
		unsigned int n = get_random_u32_below(nr_ops);

		while (n--)
			op = find_next_bit(&race->ops, RACE_NR_OPS, op + 1);
		if (!race_call(rc, op))
			break;
		cond_resched();
	}
	if (atomic_dec_and_test(&race->running))
		complete(&race->done);
	return 0;
}

/* Run the kthreads; returns how many CPUs took part, or a negative error. */
static int race_on_all_cpus(struct race *race)
{
	unsigned int nr_cpus = num_online_cpus(), cpu, i = 0;
	unsigned long *others;
	struct race_cpu *rcs;
	struct task_struct *t;

	rcs = kcalloc(nr_cpus, sizeof(*rcs), GFP_KERNEL);
	others = kvcalloc(nr_cpus * RACE_RECLAIM_MAX, sizeof(*others), GFP_KERNEL);
	if (!rcs || !others) {
		kfree(rcs);
		kvfree(others);
		return -ENOMEM;
	}
	init_completion(&race->done);
	atomic_set(&race->running, 1);
	race->deadline = jiffies + msecs_to_jiffies(race_ms);
	cpus_read_lock();
	for_each_online_cpu(cpu) {
		if (i == nr_cpus)
			break;
		rcs[i] = (struct race_cpu){
			.race = race, .cpu = cpu, .others = others + i * RACE_RECLAIM_MAX,
		};
		t = kthread_create_on_cpu(race_thread, &rcs[i], cpu, "pkvm-smmu-race/%u");
		if (IS_ERR(t))
			continue;
		atomic_inc(&race->running);
		wake_up_process(t);
		i++;
	}
	cpus_read_unlock();
	/* The extra count keeps @done from completing before all started. */
	if (!atomic_dec_and_test(&race->running))
		wait_for_completion(&race->done);
	kfree(rcs);
	kvfree(others);
	return i;
}

static void race_report(struct seq_file *m, struct race *race, int nr_cpus)
{
	long total = 0;
	int op;

	for (op = 0; op < RACE_NR_OPS; op++)
		total += atomic_long_read(&race->calls[op]);
	seq_printf(m, "%ld hypercalls on %d CPUs in %u ms:", total, nr_cpus, race_ms);
	for (op = 0; op < RACE_NR_OPS; op++)
		if (race->ops & BIT(op))
			seq_printf(m, " %s %ld (%ld refused)", race_op_names[op],
				   atomic_long_read(&race->calls[op]),
				   atomic_long_read(&race->refused[op]));
	if (race->ops & (BIT(RACE_SHARE_HYP) | BIT(RACE_DONATE)))
		seq_printf(m, ", %ld shares or donations made", atomic_long_read(&race->shared));
	seq_putc(m, '\n');
}

/*
 * The pages end with the hypervisor: a page that cannot be donated is
 * still DMA-counted and must not go back to the page allocator.
 */
static bool donate_race_pages(struct seq_file *m, struct page *pages)
{
	bool ok = true;
	int i;

	for (i = 0; i < RACE_PAGES; i++)
		ok &= check_ret(m, donate_page(pages + i), 0, __LINE__);
	return ok;
}

static void free_race_domains(void)
{
	u32 id, cpu;

	for (id = RACE_FIRST_DOMAIN; id < RACE_FIRST_DOMAIN + RACE_DOMAINS; id++) {
		for_each_online_cpu(cpu)
			detach(0, id, RACE_SID + cpu);
		free_domain(id);
	}
}

static bool race_and_check(struct seq_file *m, struct race *race)
{
	long before, ret;
	int nr_cpus;
	u32 id, cpu;

	/* Level-2 stream tables stay once allocated: allocate them first. */
	for_each_online_cpu(cpu) {
		if (!check_ret(m, attach(0, TEST_DOMAIN, RACE_SID + cpu), 0, __LINE__) ||
		    !check_ret(m, detach(0, TEST_DOMAIN, RACE_SID + cpu), 0, __LINE__))
			return false;
	}
	before = pages_in_use();

	nr_cpus = race_on_all_cpus(race);
	if (!check(m, nr_cpus > 1, __LINE__, "fewer than two CPUs raced"))
		return false;
	race_report(m, race, nr_cpus);
	if (!check(m, !atomic_read(&race->failed), __LINE__, race->failure))
		return false;
	if (!check(m, !(race->ops & (BIT(RACE_SHARE_HYP) | BIT(RACE_DONATE))) ||
		   atomic_long_read(&race->shared), __LINE__,
		   "no share or donation to the hypervisor went through"))
		return false;

	for (id = RACE_FIRST_DOMAIN; id < RACE_FIRST_DOMAIN + RACE_DOMAINS; id++) {
		for_each_online_cpu(cpu)
			detach(0, id, RACE_SID + cpu);
		ret = free_domain(id).ret;
		if (!check(m, !ret || ret == -ENOENT, __LINE__,
			   "a domain could not be freed after the race"))
			return false;
	}
	return check(m, pages_in_use() == before, __LINE__,
		     "the hypervisor kept pages after the domains were freed") &&
	       check(m, !(race->ops & BIT(RACE_UNMAP_LAZY)) || race->deferred_seen, __LINE__,
		     "no lazy unmap was deferred");
}

static bool run_race(struct seq_file *m, unsigned long ops)
{
	struct page *pages = alloc_pages(GFP_KERNEL, ilog2(RACE_PAGES));
	struct race *race = kzalloc(sizeof(*race), GFP_KERNEL);
	bool ok;

	if (!check(m, pages && race, __LINE__, "no memory")) {
		if (pages)
			__free_pages(pages, ilog2(RACE_PAGES));
		kfree(race);
		return false;
	}
	split_page(pages, ilog2(RACE_PAGES));
	race->ops = ops;
	race->pages = page_to_phys(pages);
	ok = race_and_check(m, race);
	free_race_domains();
	/* Only a page whose DMA count is back to zero can be donated. */
	ok = donate_race_pages(m, pages) && ok;
	kfree(race);
	return ok;
}

static bool race_free_domain_vs_map_unmap(struct seq_file *m, struct page *page)
{
	return run_race(m, BIT(RACE_ALLOC) | BIT(RACE_FREE) | BIT(RACE_MAP) | BIT(RACE_UNMAP) |
		    BIT(RACE_IOVA_TO_PHYS));
}

static bool race_free_domain_vs_attach_detach(struct seq_file *m, struct page *page)
{
	return run_race(m, BIT(RACE_ALLOC) | BIT(RACE_FREE) | BIT(RACE_ATTACH) | BIT(RACE_DETACH) |
		    BIT(RACE_MAP));
}

static bool race_share_hyp_vs_map_unmap(struct seq_file *m, struct page *page)
{
	return run_race(m, BIT(RACE_ALLOC) | BIT(RACE_MAP) | BIT(RACE_UNMAP) |
			BIT(RACE_UNMAP_ALL) | BIT(RACE_SHARE_HYP));
}

/*
 * Lazy unmaps on every CPU, with flushes, against donations of the same
 * pages: a donation that meets a deferred count completes it and passes.
 */
static bool race_donate_vs_lazy_unmap(struct seq_file *m, struct page *page)
{
	return run_race(m, BIT(RACE_ALLOC) | BIT(RACE_MAP) | BIT(RACE_UNMAP_LAZY) |
			BIT(RACE_FLUSH) | BIT(RACE_DONATE));
}

#define CASE(name)	{ #name, name }

static const struct {
	const char *name;
	test_case_fn fn;
} test_cases[] = {
	CASE(alloc_domain_out_of_range),
	CASE(alloc_domain_in_use),
	CASE(free_domain_out_of_range),
	CASE(free_domain_never_allocated),
	CASE(free_domain_twice),
	CASE(free_domain_in_steps),
	CASE(map_freed_domain),
	CASE(map_domain_out_of_range),
	CASE(map_domain_never_allocated),
	CASE(attach_domain_out_of_range),
	CASE(attach_domain_never_allocated),
	CASE(attach_sid_beyond_smmu),
	CASE(attach_unknown_smmu),
	CASE(attach_twice),
	CASE(detach_twice),
	CASE(detach_never_attached),
	CASE(detach_from_other_domain),
	CASE(free_attached_domain),
	CASE(map_iova_beyond_input_size),
	CASE(map_range_crossing_input_end),
	CASE(map_pgcount_overflow),
	CASE(unmap_pgcount_overflow),
	CASE(map_pgcount_zero),
	CASE(map_pgsize_unsupported),
	CASE(unmap_flag_unknown),
	CASE(map_iova_unaligned),
	CASE(map_paddr_unaligned),
	CASE(map_paddr_beyond_output_size),
	CASE(map_unknown_prot),
	CASE(map_over_mapping),
	CASE(map_block_over_mapping),
	CASE(map_runs_checked),
	CASE(unmap_hole),
	CASE(unmap_partly_mapped),
	CASE(unmap_part_of_block),
	CASE(map_hyp_memory),
	CASE(map_smmu_mmio),
	CASE(map_pmcg_mmio),
	CASE(map_smmu_mmio_after_recycle),
	CASE(high_bits_refused),
	CASE(map_page_donated_to_hyp),
	CASE(donate_page_twice),
	CASE(donate_hyp_memory),
	CASE(donate_past_region_end),
	CASE(donate_pages_all_or_nothing),
	CASE(donate_dma_mapped_page),
	CASE(reclaim_pages_in_use),
	CASE(register_after_finalize),
	CASE(unknown_test_op),
	CASE(unknown_stat),
	CASE(alloc_fails_in_alloc_domain),
	CASE(alloc_fails_in_attach),
	CASE(alloc_fails_in_map),
	CASE(cmdq_error_in_unmap),
	CASE(cmdq_error_in_attach),
	CASE(cmdq_error_in_detach),
	CASE(next_fault_unknown_smmu),
	CASE(power_off_claimed),
	CASE(power_off_before_finalize),
	CASE(smmu_cr2_clobbered),
	CASE(smmu_cr2_reset),
	CASE(race_free_domain_vs_map_unmap),
	CASE(race_free_domain_vs_attach_detach),
	CASE(race_share_hyp_vs_map_unmap),
	CASE(race_donate_vs_lazy_unmap),
};

static int test_case_show(struct seq_file *m, void *unused)
{
	test_case_fn fn = m->private;
	struct page *page = alloc_page(GFP_KERNEL);
	long ret;

	if (!page)
		return -ENOMEM;
	ret = alloc_domain(TEST_DOMAIN);
	if (ret) {
		seq_printf(m, "FAIL: cannot allocate the test domain: %ld\n", ret);
	} else {
		if (fn(m, page) && still_works(m, page))
			seq_puts(m, "ok\n");
		/* Whatever the case left behind. */
		detach(0, TEST_DOMAIN, UNUSED_SID);
		detach(0, OTHER_DOMAIN, UNUSED_SID);
		free_domain(OTHER_DOMAIN);
		free_domain(TEST_DOMAIN);
	}
	reclaim_all();
	__free_page(page);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(test_case);

static ssize_t read_smmu_mmio_write(struct file *file, const char __user *buf,
				    size_t count, loff_t *ppos)
{
	void __iomem *base;
	long ret;

	/* As if the hypervisor had run out of stage-2 table pages first */
	ret = recycle_mmio().ret;
	if (ret)
		return ret;
	base = ioremap(smmu_mmio, SZ_4K);
	if (!base)
		return -ENOMEM;
	pr_info("pkvm-smmu-test: reading the SMMU's IDR0 from the host\n");
	pr_err("pkvm-smmu-test: the host read IDR0 = %#x: the SMMU is NOT protected\n",
	       readl(base));
	iounmap(base);
	return count;
}

/*
 * The floor under every IOMMU hypercall: the cost of one that the
 * hypervisor refuses at its first argument check, averaged over many
 * calls, for make bench to add to the stock driver's figures. Measured on
 * one CPU, then on every online CPU at once (all_cpus_ns, the mean), as
 * the bench rows with several threads make their calls.
 */
#define NULL_HVC_CALLS		20000
#define NULL_HVC_CALLS_ALL	5000

/* ns per call, or 0 when a call was not refused as it should be */
static u64 null_hypercalls(int n)
{
	u64 start = ktime_get_ns();
	int i;

	for (i = 0; i < n; i++) {
		/* A page size of 0 is refused before anything else is looked up. */
		if (test_hvc(__pkvm_host_iommu_map_pages, TEST_DOMAIN, 0, 0, 0, 1,
			     IOMMU_READ).ret != -EINVAL)
			return 0;
	}
	return (ktime_get_ns() - start) / n;
}

static void null_hypercalls_here(void *sum)
{
	atomic64_add(null_hypercalls(NULL_HVC_CALLS_ALL) ?: U32_MAX, sum);
}

static int null_hypercall_show(struct seq_file *m, void *unused)
{
	atomic64_t sum = ATOMIC64_INIT(0);
	u64 one = null_hypercalls(NULL_HVC_CALLS), all;
	unsigned int nr;

	cpus_read_lock();
	nr = num_online_cpus();
	on_each_cpu(null_hypercalls_here, &sum, true);
	cpus_read_unlock();
	all = atomic64_read(&sum) / nr;
	if (!one || all >= U32_MAX)
		return -EIO;
	seq_printf(m, "ns=%llu all_cpus_ns=%llu cpus=%u\n", one, all, nr);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(null_hypercall);

static const struct file_operations read_smmu_mmio_fops = {
	.write = read_smmu_mmio_write,
};

static int __init pkvm_smmu_test_init(void)
{
	struct dentry *dir;
	unsigned int i;

	if (!is_protected_kvm_enabled())
		return 0;
	smmu_mmio = kvm_smmu_test_smmu_mmio();
	pmcg_mmio = kvm_smmu_test_pmcg_mmio();

	dir = debugfs_create_dir("pkvm-smmu-test", NULL);
	for (i = 0; i < ARRAY_SIZE(test_cases); i++)
		debugfs_create_file(test_cases[i].name, 0400, dir,
				    test_cases[i].fn, &test_case_fops);
	debugfs_create_file("read_smmu_mmio", 0200, dir, NULL, &read_smmu_mmio_fops);
	debugfs_create_u32("race_ms", 0600, dir, &race_ms);
	debugfs_create_file("null_hypercall", 0400, dir, NULL, &null_hypercall_fops);
	return 0;
}
late_initcall(pkvm_smmu_test_init);
