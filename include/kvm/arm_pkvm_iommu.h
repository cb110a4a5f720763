/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the host and the pKVM hypervisor agree on for the IOMMU hypercalls.
 */
#ifndef __KVM_ARM_PKVM_IOMMU_H__
#define __KVM_ARM_PKVM_IOMMU_H__

/* Domain IDs are chosen by the host, below this bound. */
#define KVM_IOMMU_MAX_DOMAINS	1024

/*
 * The identity domain: allocated, attached and freed as any other, it maps
 * every page the host owns at its own address, and the hypervisor keeps it
 * so; the host cannot map or unmap in it.
 */
#define KVM_IOMMU_IDENTITY_DOMAIN	0

/* The most pages one __pkvm_host_iommu_donate_pages call takes */
#define KVM_IOMMU_DONATE_MAX	16

/*
 * A run of __pkvm_host_iommu_map_runs: @pages (1 to 4096) contiguous 4KiB
 * pages from the page-aligned physical address @phys. A call takes up to
 * KVM_IOMMU_MAX_RUNS of them, in registers x5 to x17.
 */
#define KVM_IOMMU_RUN(phys, pages)	((phys) | ((pages) - 1))
#define KVM_IOMMU_RUN_PHYS(run)		((run) & ~0xfffULL)
#define KVM_IOMMU_RUN_PAGES(run)	(((run) & 0xfff) + 1)
#define KVM_IOMMU_RUN_MAX_PAGES		4096
#define KVM_IOMMU_MAX_RUNS		13
#define KVM_IOMMU_RUNS_FIRST_REG	5

/*
 * Flags of __pkvm_host_iommu_unmap_pages. DEFER: leave the invalidation to
 * the domain's next flush (__pkvm_host_iommu_flush_domain); the pages stay
 * counted as mapped until then.
 */
#define KVM_IOMMU_UNMAP_DEFER		1ULL

/*
 * Flags of __pkvm_smmu_register. NONCOHERENT: firmware does not describe
 * the SMMU as coherent (no "dma-coherent" in the device tree, no COHACC
 * override in the IORT), whatever IDR0.COHACC says.
 */
#define KVM_SMMU_REGISTER_NONCOHERENT	1ULL

/*
 * What the __pkvm_host_iommu_stat hypercall reports of the hypervisor's
 * own state:
 * DMA_PAGES:    4KiB pages accounted as mapped for DMA, over all domains.
 * PAGES_IN_USE: donated pages holding domains and tables.
 * PAGES_HELD:   pages donated and not reclaimed: in use or kept for reuse.
 * IDMAP_PAGES:  pages of the identity domain's tables, 0 without one.
 * IDMAP_RESERVE: pages the identity domain keeps for splitting its blocks.
 * DEFERRED_PAGES: 4KiB pages of DMA_PAGES that deferred unmaps took out
 *               of their tables, waiting for their domain's flush.
 */
enum kvm_iommu_stat {
	KVM_IOMMU_STAT_DMA_PAGES,
	KVM_IOMMU_STAT_PAGES_IN_USE,
	KVM_IOMMU_STAT_PAGES_HELD,
	KVM_IOMMU_STAT_IDMAP_PAGES,
	KVM_IOMMU_STAT_IDMAP_RESERVE,
	KVM_IOMMU_STAT_DEFERRED_PAGES,
	KVM_IOMMU_NR_STATS,
};

/*
 * Operations of the __pkvm_host_iommu_test hypercall, which exists only
 * with CONFIG_ARM_SMMU_V3_PKVM_TEST:
 * FAIL_ALLOC:   the n-th page allocation from now fails (n = 0 cancels).
 * CMDQ_ERROR:   the next command batch of each SMMU carries an illegal
 *               command.
 * RECYCLE_MMIO: unmap the host's MMIO from its stage-2, as the hypervisor
 *               does when it runs out of stage-2 table pages.
 * SMMU_CR2:     write the argument, if 32-bit, to SMMU 0's CR2; return what
 *               it reads (-EAGAIN while the SMMU is off), so that a test
 *               can tell that a power-on reprogrammed it.
 */
enum kvm_iommu_test_op {
	KVM_IOMMU_TEST_FAIL_ALLOC,
	KVM_IOMMU_TEST_CMDQ_ERROR,
	KVM_IOMMU_TEST_RECYCLE_MMIO,
	KVM_IOMMU_TEST_SMMU_CR2,
};

#endif /* __KVM_ARM_PKVM_IOMMU_H__ */
