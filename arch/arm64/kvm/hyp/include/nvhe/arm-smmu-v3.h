/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef __KVM_NVHE_ARM_SMMU_V3_H__
#define __KVM_NVHE_ARM_SMMU_V3_H__

#include <linux/types.h>

int kvm_arm_smmu_register(u64 mmio, u64 mmio_size, u64 mem_pfn, u64 nr_pages);

#endif /* __KVM_NVHE_ARM_SMMU_V3_H__ */
