// SPDX-License-Identifier: GPL-2.0-only
/*
 * The identity domain: an I/O page table that maps every page the host
 * owns at its own address, for devices the host trusts with all of its
 * memory, and nothing of the hypervisor's or of guests.
 *
 * Invariants, all protected by host_mmu.lock:
 *  - once built, the table maps exactly the memory pages a paging domain
 *    may map (host_dma_reach()), normal cacheable, and the MMIO the host
 *    owns, as device memory;
 *  - a page leaves the table and every IOMMU's TLB when a transition
 *    claims it from the host, before its owner changes; it comes back
 *    when the host owns it again;
 *  - it is built with leaves as large as ownership allows. A block that
 *    loses a page is split into a table with a page of the reserve, which
 *    holds one for every 2MiB and 1GiB of memory and enough for the MMIO
 *    the hypervisor may take, so no ownership change waits for memory;
 *    tables go only with the domain, and a page that comes back is mapped
 *    as a page.
 *
 * Nothing here is specific to EL2, so that the same source builds in a
 * userspace test harness.
 */
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/iommu.h>
#include <linux/sizes.h>

#include <nvhe/host_dma.h>
#include <nvhe/iommu.h>
#include <nvhe/mem_protect.h>
#include <nvhe/memory.h>

#define IDMAP_MEM_PROT		(IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE | IOMMU_NOEXEC)
#define IDMAP_MMIO_PROT		(IOMMU_READ | IOMMU_WRITE | IOMMU_MMIO | IOMMU_NOEXEC)
/*
 * Splits for MMIO the hypervisor takes once the table exists (an SMMU that
 * registers after a device attached): two blocks at each end of a region,
 * for the eight regions it holds at most (HYP_MMIO_MAX in mem_protect.c).
 */
#define IDMAP_MMIO_SPLITS	(8 * 4)

/* The identity domain, once built. Protected by host_mmu.lock */
static struct kvm_hyp_iommu_domain *idmap;
/* Free pages for the tables of split blocks. Protected by host_mmu.lock */
static struct kvm_hyp_memcache idmap_reserve;
/* Pages taken for the table and its reserve. Protected by host_mmu.lock */
static size_t idmap_pages;

static u64 entry_size(u32 level)
{
	return BIT_ULL(PAGE_SHIFT + 9 * (3 - level));
}

/*
 * Map what the host owns of the span of a level-@level entry at @addr,
 * with the largest leaves ownership allows; without @map, only count.
 * Return: the tables the span takes, or a negative error.
 */
static long idmap_fill(struct kvm_io_pgtable *pgt, u64 addr, u32 level, bool map)
{
	u64 size = entry_size(level), end = addr + size;
	int reach = host_dma_reach(addr, end);
	long tables = 1, n;
	size_t mapped;

	if (reach == HOST_DMA_REACH_NONE)
		return 0;
	/* A single page is never mixed; level 0 has no blocks, but 512 of 1GiB. */
	if (reach != HOST_DMA_REACH_MIXED) {
		if (!map)
			return level ? 0 : 1;
		return kvm_io_pgtable_map(pgt, addr, addr, level ? size : SZ_1G, level ? 1 : 512,
					  reach == HOST_DMA_REACH_MEM ? IDMAP_MEM_PROT :
					  IDMAP_MMIO_PROT, &idmap_reserve, &mapped);
	}
	for (; addr < end; addr += size / 512) {
		n = idmap_fill(pgt, addr, level + 1, map);
		if (n < 0)
			return n;
		tables += n;
	}
	return tables;
}

/* Fill every root entry below the output size, which spans one at least. */
static long idmap_fill_all(struct kvm_io_pgtable *pgt, bool map)
{
	long tables = 0, n;
	u64 addr;

	for (addr = 0; addr < BIT_ULL(pgt->oas); addr += entry_size(pgt->start_level)) {
		n = idmap_fill(pgt, addr, pgt->start_level, map);
		if (n < 0)
			return n;
		tables += n;
	}
	return tables;
}

/**
 * kvm_iommu_idmap_build() - Map what the host owns into a new domain.
 * @domain:	The identity domain, with empty tables.
 *
 * The pages it takes, for the tables and for the reserve of later splits,
 * come from this CPU's memcache.
 *
 * Return: 0, or -ENOMEM when the memcache needs pages (the domain is left
 * for the caller to destroy).
 */
int kvm_iommu_idmap_build(struct kvm_hyp_iommu_domain *domain)
{
	long n, mem;
	int ret;

	hyp_spin_lock(&host_mmu.lock);
	/* Later, each 2MiB block and 1GiB span of memory splits once at most. */
	mem = host_memory_bytes(0, BIT_ULL(domain->pgt.oas));
	n = idmap_fill_all(&domain->pgt, false) + mem / SZ_2M + mem / SZ_1G + IDMAP_MMIO_SPLITS;
	ret = kvm_iommu_take_pages(&idmap_reserve, n);
	/*
	 * The domain and root pages of this attempt go to the reclaim list
	 * when it fails: the next one needs them again.
	 */
	if (ret)
		kvm_iommu_reserve_pages(n + 2);
	if (!ret) {
		idmap_pages = n;
		n = idmap_fill_all(&domain->pgt, true);
		ret = n < 0 ? n : 0;
	}
	if (ret)
		kvm_iommu_give_pages(&idmap_reserve);
	else
		idmap = domain;
	hyp_spin_unlock(&host_mmu.lock);
	return ret;
}

/**
 * kvm_iommu_idmap_release() - Stop keeping the identity domain in step.
 *
 * Before its tables are destroyed, when no stream is attached to it. The
 * reserve goes back to this CPU's memcache.
 */
void kvm_iommu_idmap_release(void)
{
	hyp_spin_lock(&host_mmu.lock);
	idmap = NULL;
	kvm_iommu_give_pages(&idmap_reserve);
	hyp_spin_unlock(&host_mmu.lock);
}

/**
 * kvm_iommu_idmap_remove() - Take pages out of the identity domain.
 * @addr:	Start of the range, page aligned.
 * @size:	Its size, page aligned.
 *
 * Under host_mmu.lock, when a transition claimed the pages and before it
 * changes their owner: when this returns 0, no IOMMU reaches them through
 * the identity domain.
 *
 * What lies beyond the domain's input size (memory above what the SMMUs
 * can address) was never in it.
 *
 * Return: 0, or the error of a split (-ENOMEM) or of the IOMMU flush; then
 * the caller fails the transition and maps the range back.
 */
int kvm_iommu_idmap_remove(u64 addr, u64 size)
{
	u64 top;
	long ret;

	if (!idmap)
		return 0;
	top = BIT_ULL(idmap->pgt.ias);
	if (addr >= top)
		return 0;
	if (size > top - addr)
		size = top - addr;
	ret = kvm_io_pgtable_punch(&idmap->pgt, addr, size, &idmap_reserve);
	if (ret > 0)
		ret = kvm_iommu_flush(idmap, addr, size);
	return ret < 0 ? ret : 0;
}

/**
 * kvm_iommu_idmap_add() - Map memory pages the host owns again.
 * @addr:	Start of the range, page aligned, memory.
 * @size:	Its size, page aligned.
 *
 * Under host_mmu.lock, once the host owns the pages. Pages mapped already
 * stay as they are. Without memory for a table (never, with the reserve
 * held) a page stays out: the domain fails closed.
 */
void kvm_iommu_idmap_add(u64 addr, u64 size)
{
	size_t mapped;
	u64 cur;

	for (cur = addr; idmap && cur < addr + size; cur += PAGE_SIZE)
		kvm_io_pgtable_map(&idmap->pgt, cur, cur, PAGE_SIZE, 1, IDMAP_MEM_PROT,
				   &idmap_reserve, &mapped);
}

/**
 * kvm_iommu_idmap_pages() - Count the pages of the identity domain.
 * @reserve:	Count its reserve instead of its tables.
 *
 * Return: the pages of its tables with the root, or of its reserve; 0
 * when there is no identity domain.
 */
s64 kvm_iommu_idmap_pages(bool reserve)
{
	s64 n = 0;

	hyp_spin_lock(&host_mmu.lock);
	if (idmap)
		n = reserve ? idmap_reserve.nr_pages : idmap_pages - idmap_reserve.nr_pages + 1;
	hyp_spin_unlock(&host_mmu.lock);
	return n;
}
