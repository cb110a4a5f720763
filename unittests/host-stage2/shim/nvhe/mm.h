/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What mem_protect.c takes from nvhe/mm.h: the hypervisor's own stage-1,
 * a real one here (kvm_pgtable_hyp_*() of pgtable.c) that maps physical
 * memory at its own address, as the harness's linear map does.
 */
#ifndef __SHIM_NVHE_MM_H__
#define __SHIM_NVHE_MM_H__

#include <asm/kvm_pgtable.h>
#include <asm/kvm_pkvm.h>
#include <nvhe/memory.h>
#include <nvhe/spinlock.h>

extern struct kvm_pgtable pkvm_pgtable;
extern hyp_spinlock_t pkvm_pgd_lock;

int pkvm_create_mappings_locked(void *from, void *to, enum kvm_pgtable_prot prot);
void *hyp_fixmap_map(phys_addr_t phys);
void hyp_fixmap_unmap(void);

#endif
