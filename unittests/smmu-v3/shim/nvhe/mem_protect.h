/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The part of the hypervisor's mem_protect.h the SMMU driver uses beyond
 * what the IOMMU core suite's shim has.
 */
#ifndef __SHIM_SMMU_NVHE_MEM_PROTECT_H__
#define __SHIM_SMMU_NVHE_MEM_PROTECT_H__

#include_next <nvhe/mem_protect.h>

int __pkvm_host_donate_hyp_mmio(u64 phys, u64 size);

/* The simulated CPUs */
extern unsigned long hyp_nr_cpus;

#endif
