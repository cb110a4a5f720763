// SPDX-License-Identifier: GPL-2.0-only
/*
 * Counts of the IOMMU mappings of host memory pages, and the claim that
 * takes a page from the host: the two meet in one word of the page's
 * struct hyp_page, so that DMA mapping takes no lock.
 *
 * hyp_page::host_dma holds the page's count of IOMMU mappings: those in an
 * I/O page table, and those unmapped from their table but waiting for
 * their domain's next flush, as IOMMU TLBs may still hold them. In
 * HOST_DMA_NOT_OWNED it holds whether the host's stage-2 state of the page
 * is anything but PKVM_PAGE_OWNED. Invariants:
 *  - the count grows only while the flag is clear, by a cmpxchg of the
 *    whole word, before any I/O page table entry points at the page;
 *  - a transition that takes the page from the host first claims it, also
 *    with a cmpxchg of the whole word: from "count 0, flag clear" to "flag
 *    set". With a count the claim fails, and once the flag is set no count
 *    can grow, so a claimed page has no mapping and gets none;
 *  - the count drops only after no IOMMU can use the mapping: once its
 *    entry is cleared and an invalidation covering it completed.
 * The flag changes under host_mmu.lock (or is set again on a page the
 * hypervisor owns, whose count is zero); the count changes under no lock.
 *
 * Nothing here is specific to EL2, so that the same source builds in a
 * userspace test harness.
 */
#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/errno.h>

#include <nvhe/host_dma.h>
#include <nvhe/mem_protect.h>
#include <nvhe/memory.h>

static atomic_t *page_dma(u64 phys)
{
	return &hyp_phys_to_page(phys)->host_dma;
}

/*
 * One more mapping of a page the host owns. The first try guesses the
 * usual word, owned and unmapped, which needs neither a read nor a check;
 * a failed try returns the word found, which is checked before the next.
 */
static int host_dma_get(atomic_t *dma)
{
	int old = 0;

	while (!atomic_try_cmpxchg(dma, &old, old + 1)) {
		if (old & HOST_DMA_NOT_OWNED)
			return -EPERM;
		if ((old & HOST_DMA_MAPPINGS) == HOST_DMA_MAPPINGS)
			return -EOVERFLOW;
	}
	return 0;
}

/* One mapping less; -EINVAL when the page has none. The first try guesses one. */
static int host_dma_put(atomic_t *dma)
{
	int old = 1;

	do {
		if (!(old & HOST_DMA_MAPPINGS))
			return -EINVAL;
	} while (!atomic_try_cmpxchg(dma, &old, old - 1));
	return 0;
}

/**
 * host_dma_share() - Count one more IOMMU mapping of host memory pages.
 * @phys:	Start of the range, page aligned.
 * @size:	Its size, page aligned; all of it in one memory region.
 *
 * Return: 0; -EPERM when the host does not own every page; -EOVERFLOW when
 * a page has too many mappings. On error no count changed.
 */
int host_dma_share(u64 phys, u64 size)
{
	struct hyp_page *first = hyp_phys_to_page(phys), *p;
	struct hyp_page *end = first + size / PAGE_SIZE;
	int ret = 0;

	for (p = first; p < end; p++) {
		ret = host_dma_get(&p->host_dma);
		if (ret)
			break;
	}
	while (ret && p > first)
		host_dma_put(&(--p)->host_dma);
	return ret;
}

/**
 * host_dma_unshare() - Drop one IOMMU mapping of memory pages.
 * @phys:	Start of the range, page aligned.
 * @size:	Its size, page aligned; all of it in one memory region.
 *
 * Return: 0, or -EINVAL when a page of the range has no mapping: a bug of
 * the caller, which passes only pages it shared.
 */
int host_dma_unshare(u64 phys, u64 size)
{
	struct hyp_page *p = hyp_phys_to_page(phys), *end = p + size / PAGE_SIZE;
	int ret;

	for (; p < end; p++) {
		ret = host_dma_put(&p->host_dma);
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * host_dma_claim() - Take the memory pages of a range from the host.
 * @addr:	Start of the range, page aligned.
 * @size:	Its size, page aligned. Pages outside memory are skipped.
 *
 * The last check of a transition that takes pages the host owns, under
 * host_mmu.lock: from here on no IOMMU mapping of them can be made. The
 * stage-2 change that follows sets the flag again.
 *
 * Return: 0, or -EBUSY when a page has IOMMU mappings: if some wait for a
 * domain's flush, the caller may flush them and claim again. On error no
 * page is claimed.
 */
int host_dma_claim(u64 addr, u64 size)
{
	u64 cur;
	int ret = 0;

	for (cur = addr; cur < addr + size; cur += PAGE_SIZE) {
		if (!addr_is_memory(cur))
			continue;
		if (atomic_cmpxchg(page_dma(cur), 0, HOST_DMA_NOT_OWNED)) {
			ret = -EBUSY;
			break;
		}
	}
	while (ret && cur > addr) {
		cur -= PAGE_SIZE;
		if (addr_is_memory(cur))
			atomic_andnot(HOST_DMA_NOT_OWNED, page_dma(cur));
	}
	return ret;
}

/**
 * host_dma_unmapped() - Check that no memory page of a range has mappings.
 * @addr:	Start of the range, page aligned.
 * @size:	Its size, page aligned.
 *
 * Exact for claimed pages, whose counts cannot grow.
 *
 * Return: true when no page of the range is counted.
 */
bool host_dma_unmapped(u64 addr, u64 size)
{
	u64 cur;

	for (cur = addr; cur < addr + size; cur += PAGE_SIZE) {
		if (addr_is_memory(cur) &&
		    (atomic_read(page_dma(cur)) & HOST_DMA_MAPPINGS))
			return false;
	}
	return true;
}

/**
 * host_dma_reach() - What a device of the identity domain may reach of a range.
 * @start:	Start of the range, page aligned.
 * @end:	Its end, page aligned, above @start.
 *
 * The identity domain maps exactly the memory pages the host owns, those a
 * paging domain may map, and the MMIO the host owns. Under host_mmu.lock,
 * which orders the answer against ownership changes.
 *
 * Return: HOST_DMA_REACH_MEM when all the range is memory the host owns,
 * HOST_DMA_REACH_MMIO when it is all MMIO the host owns, HOST_DMA_REACH_NONE
 * when the host owns none of it (for MMIO, a single page),
 * HOST_DMA_REACH_MIXED otherwise. What lies beyond the CPU's physical
 * address range, which the host stage-2 cannot map, nobody owns.
 */
int host_dma_reach(u64 start, u64 end)
{
	u64 mem = host_memory_bytes(start, end), cur;
	int reach = HOST_DMA_REACH_MIXED, page;

	if (start >= BIT_ULL(host_mmu.pgt.ia_bits))
		return HOST_DMA_REACH_NONE;
	if (!mem && host_mmio_owned(start, end))
		return HOST_DMA_REACH_MMIO;
	if (!mem)
		return end - start == PAGE_SIZE ? HOST_DMA_REACH_NONE : HOST_DMA_REACH_MIXED;
	if (mem != end - start)
		return HOST_DMA_REACH_MIXED;
	for (cur = start; cur < end; cur += PAGE_SIZE) {
		page = atomic_read(page_dma(cur)) & HOST_DMA_NOT_OWNED ?
		       HOST_DMA_REACH_NONE : HOST_DMA_REACH_MEM;
		if (cur != start && page != reach)
			return HOST_DMA_REACH_MIXED;
		reach = page;
	}
	return reach;
}

/**
 * host_dma_note_owned() - Mirror the host's ownership of a memory page.
 * @page:	The page.
 * @owned:	Whether its host stage-2 state is now PKVM_PAGE_OWNED.
 *
 * Called under host_mmu.lock where the host stage-2 changes.
 */
void host_dma_note_owned(struct hyp_page *page, bool owned)
{
	if (owned)
		atomic_andnot(HOST_DMA_NOT_OWNED, &page->host_dma);
	else
		atomic_or(HOST_DMA_NOT_OWNED, &page->host_dma);
}
