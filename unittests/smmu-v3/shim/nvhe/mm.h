/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hypervisor's address space as the harness has it: physical memory is
 * the memory window mapped at its own physical address (nvhe/memory.h of
 * the IOMMU core suite), and private mappings of MMIO are the fake SMMUs'
 * register files.
 */
#ifndef __SHIM_NVHE_MM_H__
#define __SHIM_NVHE_MM_H__

#include <nvhe/memory.h>

#define PAGE_HYP_DEVICE		0

int __pkvm_create_private_mapping(phys_addr_t phys, size_t size, unsigned long prot,
				  unsigned long *haddr);

#endif
