// SPDX-License-Identifier: GPL-2.0-only
/*
 * Memory for the hypervisor's IOMMU domains and I/O page tables. There is
 * no carve-out: the host donates pages one by one into a per-CPU memcache
 * when a hypercall answers that it needs some, and takes back the pages the
 * hypervisor freed.
 */
#include <linux/atomic.h>
#include <linux/errno.h>
#include <linux/limits.h>
#include <linux/string.h>

#include <asm/barrier.h>
#include <asm/kvm_mmu.h>

#include <nvhe/mem_protect.h>
#include <nvhe/memory.h>
#include <nvhe/iommu.h>

/* Freed pages stay for reuse on their CPU up to this many, then go back. */
#define IOMMU_MEMCACHE_KEEP	32

/* Donated pages ready for use on this CPU. */
static DEFINE_PER_CPU(struct kvm_hyp_memcache, iommu_memcache);
/* Pages the last failed reservation on this CPU was short of. */
static DEFINE_PER_CPU(unsigned long, iommu_pages_needed);

/* Freed pages waiting for the host to reclaim them. */
static struct kvm_hyp_memcache iommu_reclaimable;
/* Protects iommu_reclaimable */
static DEFINE_HYP_SPINLOCK(iommu_reclaim_lock);

/* Pages allocated and not freed: domains, tables, stream-table leaves. */
static atomic_t iommu_pages_in_use;
/* Pages donated and not reclaimed. */
static atomic_t iommu_pages_held;
/* Test builds: allocations until one fails, 0 for none. */
static atomic_t iommu_fail_alloc_in;
/* An IOMMU reads tables from memory, not from the CPU caches. Set before finalize. */
static bool iommu_noncoherent;

/**
 * kvm_iommu_set_noncoherent() - Clean table writes to the PoC from now on.
 *
 * For an IOMMU whose table walks do not snoop the CPU caches: zeroed
 * tables and every entry written must reach memory before the IOMMU is
 * told about them. What was written uncleaned before stays so: the first
 * such IOMMU must register before any domain or table exists.
 *
 * Return: 0, or -EBUSY when pages were allocated without cleaning.
 */
int kvm_iommu_set_noncoherent(void)
{
	if (READ_ONCE(iommu_noncoherent))
		return 0;
	WRITE_ONCE(iommu_noncoherent, true);
	/* Either an allocation sees the flag, or its count is seen here. */
	smp_mb();
	return atomic_read(&iommu_pages_in_use) ? -EBUSY : 0;
}

/**
 * kvm_iommu_reserve_pages() - Check that this CPU can allocate @nr pages.
 * @nr:		Pages the caller is about to allocate.
 *
 * Return: 0, or -ENOMEM after recording the shortfall for
 * kvm_iommu_pages_needed().
 */
int kvm_iommu_reserve_pages(size_t nr)
{
	struct kvm_hyp_memcache *mc = this_cpu_ptr(&iommu_memcache);

	if (mc->nr_pages >= nr)
		return 0;
	*this_cpu_ptr(&iommu_pages_needed) = nr - mc->nr_pages;
	return -ENOMEM;
}

/**
 * kvm_iommu_pages_needed() - Pages to donate before retrying on this CPU.
 *
 * Return: the shortfall of the last failed reservation, which is cleared.
 */
unsigned long kvm_iommu_pages_needed(void)
{
	unsigned long nr = *this_cpu_ptr(&iommu_pages_needed);

	*this_cpu_ptr(&iommu_pages_needed) = 0;
	return nr;
}

/* Take a page of @mc, zeroed and holding one reference. */
static void *alloc_from(struct kvm_hyp_memcache *mc)
{
	void *va;

	if (IS_ENABLED(CONFIG_ARM_SMMU_V3_PKVM_TEST) &&
	    !atomic_dec_if_positive(&iommu_fail_alloc_in))
		return NULL;
	va = pop_hyp_memcache(mc, hyp_phys_to_virt);
	if (!va)
		return NULL;
	memset(va, 0, PAGE_SIZE);
	hyp_set_page_refcounted(hyp_virt_to_page(va));
	/* Fully ordered: counted before any clean of the page reads iommu_noncoherent. */
	atomic_inc_return(&iommu_pages_in_use);
	return va;
}

/**
 * kvm_iommu_alloc_page() - Take a zeroed page holding one reference.
 *
 * Return: the page, or NULL when this CPU's memcache is empty.
 */
void *kvm_iommu_alloc_page(void)
{
	return alloc_from(this_cpu_ptr(&iommu_memcache));
}

/**
 * kvm_iommu_take_pages() - Move free pages of this CPU's memcache to @mc.
 * @mc:		A list of free pages, as the memcache holds them.
 * @nr:		How many.
 *
 * For a user that needs pages where no donation can reach it: the
 * identity domain splits blocks under host_mmu.lock.
 *
 * Return: 0, or -ENOMEM after recording the shortfall; then none moved.
 */
int kvm_iommu_take_pages(struct kvm_hyp_memcache *mc, size_t nr)
{
	struct kvm_hyp_memcache *own = this_cpu_ptr(&iommu_memcache);
	int ret = kvm_iommu_reserve_pages(nr);

	while (!ret && nr--)
		push_hyp_memcache(mc, pop_hyp_memcache(own, hyp_phys_to_virt), hyp_virt_to_phys);
	return ret;
}

/**
 * kvm_iommu_give_pages() - Move every page of @mc back to this CPU's memcache.
 * @mc:		Pages from kvm_iommu_take_pages().
 */
void kvm_iommu_give_pages(struct kvm_hyp_memcache *mc)
{
	void *va;

	while ((va = pop_hyp_memcache(mc, hyp_phys_to_virt)))
		push_hyp_memcache(this_cpu_ptr(&iommu_memcache), va, hyp_virt_to_phys);
}

/**
 * kvm_iommu_free_page() - Release a page whose last reference is the caller's.
 * @va:		Page from kvm_iommu_alloc_page().
 *
 * The page is kept for reuse on this CPU while its memcache is low, and
 * queued for the host to reclaim otherwise.
 */
void kvm_iommu_free_page(void *va)
{
	struct kvm_hyp_memcache *mc = this_cpu_ptr(&iommu_memcache);

	hyp_page_ref_dec(hyp_virt_to_page(va));
	atomic_dec(&iommu_pages_in_use);
	if (mc->nr_pages < IOMMU_MEMCACHE_KEEP) {
		push_hyp_memcache(mc, va, hyp_virt_to_phys);
		return;
	}
	hyp_spin_lock(&iommu_reclaim_lock);
	push_hyp_memcache(&iommu_reclaimable, va, hyp_virt_to_phys);
	hyp_spin_unlock(&iommu_reclaim_lock);
}

/**
 * kvm_iommu_donate_pages() - Take host pages into this CPU's memcache.
 * @pfn:	The first of @nr contiguous pages the host owns.
 * @nr:		1 to KVM_IOMMU_DONATE_MAX.
 *
 * The pages change owner in one transition, so that a top-up costs one
 * hypercall, whatever it brings.
 *
 * Return: 0, -EINVAL for a bad @nr, or the error of the donation (-EPERM,
 * -EBUSY), and then none of the pages is donated.
 */
int kvm_iommu_donate_pages(u64 pfn, u64 nr)
{
	u64 i;
	int ret;

	if (!nr || nr > KVM_IOMMU_DONATE_MAX)
		return -EINVAL;
	ret = __pkvm_host_donate_hyp(pfn, nr);
	if (ret)
		return ret;
	for (i = 0; i < nr; i++)
		push_hyp_memcache(this_cpu_ptr(&iommu_memcache),
				  hyp_phys_to_virt(hyp_pfn_to_phys(pfn + i)), hyp_virt_to_phys);
	atomic_add(nr, &iommu_pages_held);
	return 0;
}

/**
 * kvm_iommu_reclaim_page() - Give one unused page back to the host.
 *
 * Freed pages go first, then this CPU's memcache. The page is zeroed.
 *
 * Return: its PFN, or -ENOENT when there is nothing to give back.
 */
long kvm_iommu_reclaim_page(void)
{
	void *va;
	u64 pfn;

	hyp_spin_lock(&iommu_reclaim_lock);
	va = pop_hyp_memcache(&iommu_reclaimable, hyp_phys_to_virt);
	hyp_spin_unlock(&iommu_reclaim_lock);
	if (!va)
		va = pop_hyp_memcache(this_cpu_ptr(&iommu_memcache),
				      hyp_phys_to_virt);
	if (!va)
		return -ENOENT;

	memset(va, 0, PAGE_SIZE);
	pfn = hyp_virt_to_pfn(va);
	WARN_ON(__pkvm_hyp_donate_host(pfn, 1));
	atomic_dec(&iommu_pages_held);
	return pfn;
}

/**
 * kvm_iommu_pages_in_use() - Count the pages holding domains and tables.
 *
 * Return: pages allocated and not freed.
 */
int kvm_iommu_pages_in_use(void)
{
	return atomic_read(&iommu_pages_in_use);
}

/**
 * kvm_iommu_pages_held() - Count the pages donated and not reclaimed.
 *
 * Return: pages in use, in a memcache, or waiting for the host to reclaim.
 */
int kvm_iommu_pages_held(void)
{
	return atomic_read(&iommu_pages_held);
}

#ifdef CONFIG_ARM_SMMU_V3_PKVM_TEST
/**
 * kvm_iommu_test_fail_alloc() - Make the @n-th page allocation from now fail.
 * @n:		1 for the next allocation; 0 cancels.
 *
 * For the test module: every caller must handle an allocation failing even
 * after its reservation succeeded.
 *
 * Return: 0, or -EINVAL when @n is out of range.
 */
int kvm_iommu_test_fail_alloc(u64 n)
{
	if (n > INT_MAX)
		return -EINVAL;
	atomic_set(&iommu_fail_alloc_in, n);
	return 0;
}
#endif

/* From @mc when the table's owner gives one, else from this CPU's memcache */
static void *iommu_zalloc_page(void *mc)
{
	void *va = mc ? alloc_from(mc) : NULL;

	return va ?: kvm_iommu_alloc_page();
}

static void iommu_dcache_clean(void *va, size_t size)
{
	if (READ_ONCE(iommu_noncoherent))
		kvm_flush_dcache_to_poc(va, size);
}

const struct kvm_io_pgtable_mm_ops kvm_iommu_mm_ops = {
	.zalloc_page	= iommu_zalloc_page,
	.free_table	= kvm_iommu_free_page,
	.phys_to_virt	= hyp_phys_to_virt,
	.virt_to_phys	= hyp_virt_to_phys,
	.dcache_clean	= iommu_dcache_clean,
};
