/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * I/O page tables built by the pKVM hypervisor for the SMMUs it owns.
 *
 * This header and io-pgtable.c use nothing specific to EL2, so that the same
 * source also builds in a userspace test harness.
 */
#ifndef __KVM_NVHE_IO_PGTABLE_H__
#define __KVM_NVHE_IO_PGTABLE_H__

#include <linux/types.h>

/* Translation table format, VMSAv8-64 with a 4KiB granule. */
enum kvm_io_pgtable_fmt {
	KVM_IO_PGTABLE_S1,	/* stage 1, AArch64 (SMMU context descriptor) */
	KVM_IO_PGTABLE_S2,	/* stage 2 (SMMU stream table entry) */
};

/* Leaf sizes: a 4KiB page, a 2MiB or a 1GiB block. */
#define KVM_IO_PGTABLE_PGSIZES	(SZ_4K | SZ_2M | SZ_1G)

/* Stage-1 MAIR indexes used by the leaves; the context descriptor's MAIR must match. */
#define KVM_IO_PGTABLE_MAIR_IDX_NORMAL	0	/* Normal, write-back cacheable */
#define KVM_IO_PGTABLE_MAIR_IDX_NC	1	/* Normal, non-cacheable */
#define KVM_IO_PGTABLE_MAIR_IDX_DEVICE	2	/* Device-nGnRE */

/*
 * How the tables obtain and release their memory. A table is freed only
 * by kvm_io_pgtable_destroy(), or straight after its allocation when
 * another CPU linked a table in its place first.
 */
struct kvm_io_pgtable_mm_ops {
	void *(*zalloc_page)(void *mc);
	void (*free_table)(void *va);
	void *(*phys_to_virt)(phys_addr_t phys);
	phys_addr_t (*virt_to_phys)(void *va);
	/* Clean written entries to the PoC if a walker does not snoop. */
	void (*dcache_clean)(void *va, size_t size);
};

struct kvm_io_pgtable {
	enum kvm_io_pgtable_fmt fmt;
	u32 ias;		/* input address bits */
	u32 oas;		/* output address bits */
	u32 start_level;
	u64 *pgd;
	const struct kvm_io_pgtable_mm_ops *mm_ops;
};

/*
 * Leaves a gather holds: the 4KiB pages of 2MiB, what one IOMMU call
 * unmaps at most, so that a call flushes once however scattered the
 * pages it unmaps.
 */
#define KVM_IO_GATHER_LEAVES	512

/* Physically contiguous pages an unmap took out of the tables */
struct kvm_io_pgtable_leaf {
	phys_addr_t phys;
	size_t size;
};

/*
 * What an unmap took out of the tables. The leaves' pages may still be
 * reachable through the walker's TLBs until the caller has invalidated
 * [start, end) and synchronized; only then may it release them. Tables
 * are never removed, so the walk caches need no invalidation.
 * start == end when nothing was removed.
 */
struct kvm_io_pgtable_gather {
	u64 start, end;
	size_t unmapped;
	/* When not 0: full once another leaf would take unmapped past it */
	size_t max_bytes;
	unsigned int nr_leaves;
	struct kvm_io_pgtable_leaf leaves[KVM_IO_GATHER_LEAVES];
};

int kvm_io_pgtable_init(struct kvm_io_pgtable *pgt, enum kvm_io_pgtable_fmt fmt,
			u32 ias, u32 oas, const struct kvm_io_pgtable_mm_ops *mm_ops,
			void *mc);
int kvm_io_pgtable_destroy(struct kvm_io_pgtable *pgt,
			   void (*leaf)(phys_addr_t phys, size_t size), size_t max_bytes);
int kvm_io_pgtable_map(struct kvm_io_pgtable *pgt, u64 iova, phys_addr_t paddr,
		       size_t pgsize, size_t pgcount, int prot, void *mc,
		       size_t *mapped);
int kvm_io_pgtable_unmap(struct kvm_io_pgtable *pgt, u64 iova, size_t size,
			 struct kvm_io_pgtable_gather *gather);
long kvm_io_pgtable_punch(struct kvm_io_pgtable *pgt, u64 iova, size_t size, void *mc);
phys_addr_t kvm_io_pgtable_iova_to_phys(struct kvm_io_pgtable *pgt, u64 iova);

#endif /* __KVM_NVHE_IO_PGTABLE_H__ */
