/* SPDX-License-Identifier: GPL-2.0 */
/* What the IOMMU memory supply takes from asm/kvm_mmu.h: the cache clean. */
#ifndef __SHIM_ASM_KVM_MMU_H__
#define __SHIM_ASM_KVM_MMU_H__

#include <linux/kconfig.h>
#include <linux/types.h>

#define PAGE_SHIFT		12
#define PAGE_SIZE		(1UL << PAGE_SHIFT)

/* The harness's: what the IOMMU reads from memory changes only here. */
void kvm_flush_dcache_to_poc(void *va, size_t size);

#endif
