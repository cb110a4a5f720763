/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hypervisor's address space as the harness has it: physical addresses
 * are the harness's own addresses, and private mappings of MMIO are the
 * fake SMMUs' register files.
 */
#ifndef __SHIM_NVHE_MM_H__
#define __SHIM_NVHE_MM_H__

#include <linux/types.h>

#define PAGE_HYP_DEVICE		0

#define hyp_phys_to_virt(pa)	((void *)(uintptr_t)(pa))
#define hyp_virt_to_phys(va)	((phys_addr_t)(uintptr_t)(va))
#define hyp_pfn_to_phys(pfn)	((phys_addr_t)(pfn) << PAGE_SHIFT)

int __pkvm_create_private_mapping(phys_addr_t phys, size_t size, unsigned long prot,
				  unsigned long *haddr);

#endif
