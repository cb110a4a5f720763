/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the hypervisor's SMMUv3 driver takes from asm/kvm_mmu.h and the
 * headers behind it: MMIO accessors, cache maintenance, barriers and the
 * MAIR encodings. The accessors and the cache clean are the fake SMMUs' of
 * fake_smmu.h, which see memory only as it was cleaned.
 */
#ifndef __SHIM_ASM_KVM_MMU_H__
#define __SHIM_ASM_KVM_MMU_H__

#include <errno.h>
#include <string.h>
#include <linux/bitfield.h>
#include <linux/bitops.h>
#include <linux/kernel.h>
#include <linux/kconfig.h>
#include <linux/log2.h>
#include <linux/sizes.h>
#include <linux/types.h>
#include <asm/barrier.h>
#include <linux/atomic.h>

#define __iomem
#define PAGE_SHIFT		12
#define PAGE_SIZE		(1UL << PAGE_SHIFT)
#define PAGE_ALIGNED(x)		(!((unsigned long)(x) & (PAGE_SIZE - 1)))
#define cpu_relax()		do { } while (0)

u32 readl_relaxed(const volatile void __iomem *addr);
void writel_relaxed(u32 val, volatile void __iomem *addr);
void writeq_relaxed(u64 val, volatile void __iomem *addr);
void kvm_flush_dcache_to_poc(void *va, size_t size);

/* From arch/arm64/include/asm/sysreg.h */
#define MAIR_ATTR_DEVICE_nGnRE	0x04UL
#define MAIR_ATTR_NORMAL_NC	0x44UL
#define MAIR_ATTR_NORMAL	0xffUL
#define MAIR_ATTRIDX(attr, idx)	((attr) << ((idx) * 8))

#endif
