/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef __KVM_NVHE_ARM_SMMU_V3_H__
#define __KVM_NVHE_ARM_SMMU_V3_H__

#include <linux/types.h>

/*
 * An event record of the SMMU as the host receives it: the first three
 * doublewords, with only the fields named in kvm_arm_smmu_next_fault() kept.
 */
struct kvm_arm_smmu_fault {
	u64 id_sid;
	u64 flags;
	u64 addr;
};

int kvm_arm_smmu_register(u64 mmio, u64 mmio_size, u64 mem_pfn, u64 nr_pages, u64 flags);
int kvm_arm_smmu_next_fault(u64 iommu_id, struct kvm_arm_smmu_fault *fault);
int kvm_arm_smmu_set_power(u64 iommu_id, u64 on);
int kvm_arm_smmu_test_cmdq_error(void);
long kvm_arm_smmu_test_cr2(u64 val);

#endif /* __KVM_NVHE_ARM_SMMU_V3_H__ */
