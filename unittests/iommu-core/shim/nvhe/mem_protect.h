/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The part of the hypervisor's mem_protect.h the IOMMU core and its memory
 * supply use; the harness's ownership model implements it.
 */
#ifndef __SHIM_NVHE_MEM_PROTECT_H__
#define __SHIM_NVHE_MEM_PROTECT_H__

#include <linux/types.h>
#include <nvhe/spinlock.h>

/*
 * The host's stage-2: its lock, which the model holds as mem_protect.c
 * does, and the CPU's physical address range it covers.
 */
struct host_mmu {
	struct {
		u32 ia_bits;
	} pgt;
	hyp_spinlock_t lock;
};
extern struct host_mmu host_mmu;

int __pkvm_host_share_dma(u64 phys, u64 size);
int __pkvm_host_unshare_dma(u64 phys, u64 size);
int __pkvm_host_defer_dma(u64 phys, u64 size);
int __pkvm_host_drop_deferred_dma(u64 phys, u64 size);
int __pkvm_host_donate_hyp(u64 pfn, u64 nr_pages);
int __pkvm_hyp_donate_host(u64 pfn, u64 nr_pages);
bool addr_is_memory(phys_addr_t phys);
u64 host_memory_bytes(u64 start, u64 end);
bool host_mmio_owned(u64 start, u64 end);

#endif
