/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the hypervisor's headers take from asm/kvm_mmu.h: its linear map,
 * which is the harness's identity map (hyp_physvirt_offset is 0), and the
 * cache maintenance of the host's fault path.
 */
#ifndef __SHIM_ASM_KVM_MMU_H__
#define __SHIM_ASM_KVM_MMU_H__

#include <stdint.h>
#include <linux/kvm_host.h>

#define hyp_physvirt_offset	0L
#define __hyp_pa(x)		((phys_addr_t)(uintptr_t)(x))
#define __kern_hyp_va(x)	(x)

static inline void kvm_flush_dcache_to_poc(void *va, size_t size) { }
static inline u64 kvm_get_vttbr(struct kvm_s2_mmu *mmu) { return mmu->pgd_phys; }

#endif
