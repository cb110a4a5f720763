/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Counts of the IOMMU mappings of host memory pages, kept in the
 * hypervisor's vmemmap next to a mirror of the host's ownership.
 */
#ifndef __KVM_NVHE_HOST_DMA_H__
#define __KVM_NVHE_HOST_DMA_H__

#include <linux/types.h>

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
int host_dma_defer(u64 phys, u64 size);
int host_dma_drop_deferred(u64 phys, u64 size);
int host_dma_claim(u64 addr, u64 size);
int host_dma_reach(u64 start, u64 end);
bool host_dma_unmapped(u64 addr, u64 size);
void host_dma_note_owned(struct hyp_page *page, bool owned);
u32 host_dma_count(struct hyp_page *page);
u32 host_dma_deferred(struct hyp_page *page);

#endif /* __KVM_NVHE_HOST_DMA_H__ */
