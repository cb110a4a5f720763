/* SPDX-License-Identifier: GPL-2.0 */
/* A page's IOMMU mappings as host_dma.c counts them, read by the checks. */
#ifndef __HARNESS_HOST_DMA_COUNT_H__
#define __HARNESS_HOST_DMA_COUNT_H__

#include <linux/atomic.h>
#include <nvhe/host_dma.h>
#include <nvhe/memory.h>

/* Mappings in tables, and those waiting for their domain's flush */
static inline u32 host_dma_count(struct hyp_page *page)
{
	return atomic_read(&page->host_dma) & HOST_DMA_MAPPINGS;
}

#endif
