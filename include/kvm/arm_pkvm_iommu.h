/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the host and the pKVM hypervisor agree on for the IOMMU hypercalls.
 */
#ifndef __KVM_ARM_PKVM_IOMMU_H__
#define __KVM_ARM_PKVM_IOMMU_H__

/* Domain IDs are chosen by the host, below this bound. */
#define KVM_IOMMU_MAX_DOMAINS	1024

#endif /* __KVM_ARM_PKVM_IOMMU_H__ */
