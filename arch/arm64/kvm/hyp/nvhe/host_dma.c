// SPDX-License-Identifier: GPL-2.0-only
/*
 * Counts of the IOMMU mappings of host memory pages, and the claim that
 * takes a page from the host: the two meet in one word of the page's
 * struct hyp_page, so that DMA mapping takes no lock.
 *
 * hyp_page::host_dma holds two counts of the page's IOMMU mappings: live
 * ones, in an I/O page table, and deferred ones, unmapped from their
 * table but waiting for their domain's next flush, as IOMMU TLBs may
 * still hold them. In HOST_DMA_NOT_OWNED it holds whether the host's
 * stage-2 state of the page is anything but PKVM_PAGE_OWNED. Invariants:
 *  - the live count grows only while the flag is clear, by a cmpxchg of
 *    the whole word, before any I/O page table entry points at the page;
 *  - a transition that takes the page from the host first claims it, also
 *    with a cmpxchg of the whole word: from "no mapping, flag clear" to
 *    "flag set". With any count the claim fails, and once the flag is set
 *    no count can grow, so a claimed page has no mapping and gets none;
 *  - a live mapping becomes deferred when its entry is cleared, in one
 *    step, so the page is never without a count the IOMMU may use;
 *  - a count drops only after the IOMMU can no longer use the mapping:
 *    the live one when an unmap flushed, the deferred one when its
 *    domain's flush completed.
 * The flag changes under host_mmu.lock (or is set again on a page the
 * hypervisor owns, whose counts are zero); the counts change under no lock.
 *
 * Nothing here is specific to EL2, so that the same source builds in a
 * userspace test harness.
 */
#include <linux/atomic.h>
#include <linux/bitfield.h>
#include <linux/bits.h>
#include <linux/errno.h>

#include <nvhe/host_dma.h>
#include <nvhe/mem_protect.h>
#include <nvhe/memory.h>

static atomic_t *page_dma(u64 phys)
{
	return &hyp_phys_to_page(phys)->host_dma;
}

static u32 word_mappings(int word)
{
	return (word & HOST_DMA_LIVE) + FIELD_GET(HOST_DMA_DEFERRED, word);
}

/*
 * One more mapping of a page the host owns. The first try guesses the
 * usual word, owned and unmapped, which needs neither a read nor a check;
 * a failed try returns the word found, which is checked before the next.
 */
static int host_dma_get(atomic_t *dma)
{
	int old = 0;

	while (!atomic_try_cmpxchg(dma, &old, old + HOST_DMA_ONE_LIVE)) {
		if (old & HOST_DMA_NOT_OWNED)
			return -EPERM;
		if (word_mappings(old) == HOST_DMA_MAX_MAPPINGS)
			return -EOVERFLOW;
	}
	return 0;
}

/*
 * One mapping less of the count @from is one of (HOST_DMA_ONE_LIVE or
 * HOST_DMA_ONE_DEFERRED), and one more of @to's, if any: -EINVAL when that
 * count is zero. The first try guesses a word with just that mapping.
 */
static int host_dma_move(atomic_t *dma, int from, int to)
{
	int count = from == HOST_DMA_ONE_LIVE ? HOST_DMA_LIVE : HOST_DMA_DEFERRED;
	int old = from;

	do {
		if (!(old & count))
			return -EINVAL;
	} while (!atomic_try_cmpxchg(dma, &old, old - from + to));
	return 0;
}

static int host_dma_move_range(u64 phys, u64 size, int from, int to)
{
	struct hyp_page *p = hyp_phys_to_page(phys), *end = p + size / PAGE_SIZE;
	int ret;

	for (; p < end; p++) {
		ret = host_dma_move(&p->host_dma, from, to);
		if (ret)
			return ret;
	}
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
		host_dma_move(&(--p)->host_dma, HOST_DMA_ONE_LIVE, 0);
	return ret;
}

/**
 * host_dma_unshare() - Drop one live IOMMU mapping of memory pages.
 * @phys:	Start of the range, page aligned.
 * @size:	Its size, page aligned; all of it in one memory region.
 *
 * Return: 0, or -EINVAL when a page of the range has no live mapping: a
 * bug of the caller, which passes only pages it shared.
 */
int host_dma_unshare(u64 phys, u64 size)
{
	return host_dma_move_range(phys, size, HOST_DMA_ONE_LIVE, 0);
}

/**
 * host_dma_defer() - Make one live IOMMU mapping of memory pages deferred.
 * @phys:	Start of the range, page aligned.
 * @size:	Its size, page aligned; all of it in one memory region.
 *
 * For mappings out of their tables that an IOMMU TLB may still hold: the
 * pages stay counted, and so stay the host's, until
 * host_dma_drop_deferred().
 *
 * Return: 0, or -EINVAL as host_dma_unshare().
 */
int host_dma_defer(u64 phys, u64 size)
{
	return host_dma_move_range(phys, size, HOST_DMA_ONE_LIVE, HOST_DMA_ONE_DEFERRED);
}

/**
 * host_dma_drop_deferred() - Drop one deferred IOMMU mapping of memory pages.
 * @phys:	Start of the range, page aligned.
 * @size:	Its size, page aligned; all of it in one memory region.
 *
 * Once the IOMMU can no longer use the mappings.
 *
 * Return: 0, or -EINVAL when a page of the range has no deferred mapping.
 */
int host_dma_drop_deferred(u64 phys, u64 size)
{
	return host_dma_move_range(phys, size, HOST_DMA_ONE_DEFERRED, 0);
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
 * Return: 0; -EBUSY when a page has live IOMMU mappings, -EAGAIN when the
 * first page that has mappings has only deferred ones: the caller may
 * flush them and claim again. On error no page is claimed.
 */
int host_dma_claim(u64 addr, u64 size)
{
	u64 cur;
	int ret = 0, old;

	for (cur = addr; cur < addr + size; cur += PAGE_SIZE) {
		if (!addr_is_memory(cur))
			continue;
		old = atomic_cmpxchg(page_dma(cur), 0, HOST_DMA_NOT_OWNED);
		if (old) {
			ret = old & (HOST_DMA_LIVE | HOST_DMA_NOT_OWNED) ? -EBUSY : -EAGAIN;
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
		    (atomic_read(page_dma(cur)) & (HOST_DMA_LIVE | HOST_DMA_DEFERRED)))
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
