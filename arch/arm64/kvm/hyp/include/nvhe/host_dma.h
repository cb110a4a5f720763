/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Counts of the IOMMU mappings of host memory pages, kept in the
 * hypervisor's vmemmap next to a mirror of the host's ownership.
 */
#ifndef __KVM_NVHE_HOST_DMA_H__
#define __KVM_NVHE_HOST_DMA_H__

#include <linux/bits.h>
#include <linux/types.h>

/* hyp_page::host_dma: the page's IOMMU mappings, and a flag */
#define HOST_DMA_NOT_OWNED	BIT(31)
#define HOST_DMA_MAPPINGS	GENMASK(30, 0)

/* What host_dma_reach() finds of a range */
enum {
	HOST_DMA_REACH_NONE,
	HOST_DMA_REACH_MEM,
	HOST_DMA_REACH_MMIO,
	HOST_DMA_REACH_MIXED,
};

struct hyp_page;

int host_dma_share(u64 phys, u64 size);
int host_dma_unshare(u64 phys, u64 size);
int host_dma_claim(u64 addr, u64 size);
int host_dma_reach(u64 start, u64 end);
bool host_dma_unmapped(u64 addr, u64 size);
void host_dma_note_owned(struct hyp_page *page, bool owned);

#endif /* __KVM_NVHE_HOST_DMA_H__ */
