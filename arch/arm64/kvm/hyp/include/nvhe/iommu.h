/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * IOMMU domains of the pKVM hypervisor: the hypercall front end shared by
 * the IOMMU drivers that run at EL2.
 */
#ifndef __KVM_NVHE_IOMMU_H__
#define __KVM_NVHE_IOMMU_H__

#include <linux/types.h>

#include <kvm/arm_pkvm_iommu.h>
#include <nvhe/io-pgtable.h>
#include <nvhe/spinlock.h>

struct kvm_hyp_iommu_domain {
	u32 id;
	/*
	 * Protects nr_attached and the deferred log; the tables take no lock
	 * (see io-pgtable.c)
	 */
	hyp_spinlock_t lock;
	struct kvm_io_pgtable pgt;
	u32 nr_attached;
	/*
	 * The IOMMU driver's, zeroed at allocation: an SMMUv3 keeps a stage-1
	 * domain's context descriptor here.
	 */
	u64 iommu_data[8] __aligned(64);
	/*
	 * The deferred log: what deferred unmaps cleared from the tables,
	 * whose pages stay counted until the domain's next flush. It fills
	 * the rest of the domain's page.
	 */
	u32 nr_deferred;
	u64 deferred_bytes;
	struct kvm_io_pgtable_leaf deferred[];
};

#define KVM_IOMMU_DEFERRED_RANGES					\
	((PAGE_SIZE - sizeof(struct kvm_hyp_iommu_domain)) /		\
	 sizeof(struct kvm_io_pgtable_leaf))

/*
 * What an IOMMU driver at EL2 provides. attach_dev and detach_dev are
 * called with the domain's lock held, flush_range with or without it,
 * while a reference keeps the domain alive; all must validate their own
 * arguments (IOMMU and stream IDs). flush_range returns -EAGAIN when an
 * IOMMU that may cache the domain has no power and will be invalidated
 * whole when it has again: the unmapped pages then wait in the log.
 */
struct kvm_iommu_ops {
	/*
	 * Make the stream translate through @domain. Fails with -EBUSY when
	 * the stream is attached to a domain already. On any error the stream
	 * does not use @domain.
	 */
	int (*attach_dev)(struct kvm_hyp_iommu_domain *domain, u32 iommu_id,
			  u32 sid);
	/*
	 * Make the stream abort again. When it returns 0, the stream can no
	 * longer use @domain's mappings and, if it was the last stream of
	 * @domain, no TLB entry of @domain remains. -ENOENT when the stream is
	 * not attached to @domain. On other errors the stream stays attached
	 * and the detach may be retried.
	 */
	int (*detach_dev)(struct kvm_hyp_iommu_domain *domain, u32 iommu_id,
			  u32 sid);
	/*
	 * Invalidate the leaf TLB entries of [iova, iova + size) in @domain
	 * and wait for completion: a live domain's tables never change, so
	 * its walk caches stay valid. On error the old translations may still
	 * be in use.
	 */
	int (*flush_range)(struct kvm_hyp_iommu_domain *domain, u64 iova,
			   size_t size);
};

int kvm_iommu_init(const struct kvm_iommu_ops *ops, enum kvm_io_pgtable_fmt fmt,
		   u32 ias, u32 oas);
int kvm_iommu_flush(struct kvm_hyp_iommu_domain *domain, u64 iova, size_t size);
/*
 * The hypercalls. Arguments are the host's registers, whole: an ID or a
 * prot with high bits set is refused, never truncated into another one.
 */
int kvm_iommu_alloc_domain(u64 domain_id);
int kvm_iommu_free_domain(u64 domain_id);
int kvm_iommu_attach_dev(u64 iommu_id, u64 domain_id, u64 sid);
int kvm_iommu_detach_dev(u64 iommu_id, u64 domain_id, u64 sid);
int kvm_iommu_map_pages(u64 domain_id, u64 iova, u64 paddr, u64 pgsize,
			u64 pgcount, u64 prot, size_t *mapped);
int kvm_iommu_unmap_pages(u64 domain_id, u64 iova, u64 pgsize, u64 pgcount,
			  u64 flags, size_t *unmapped);
int kvm_iommu_flush_domain(u64 domain_id);
int kvm_iommu_map_runs(u64 domain_id, u64 iova, u64 prot, const u64 *runs,
		       u64 nr, size_t *mapped);
phys_addr_t kvm_iommu_iova_to_phys(u64 domain_id, u64 iova);
s64 kvm_iommu_stat(u64 stat);
/* For transitions that meet pages whose only mappings are deferred */
int kvm_iommu_flush_deferred(u64 addr, u64 size);

/*
 * Memory for domains and tables: pages the host donated. Provided by the
 * EL2 memory supply.
 */
extern const struct kvm_io_pgtable_mm_ops kvm_iommu_mm_ops;
void *kvm_iommu_alloc_page(void);
void kvm_iommu_free_page(void *va);
int kvm_iommu_reserve_pages(size_t nr);
unsigned long kvm_iommu_pages_needed(void);
int kvm_iommu_donate_pages(u64 pfn, u64 nr);
long kvm_iommu_reclaim_page(void);
int kvm_iommu_pages_in_use(void);
int kvm_iommu_pages_held(void);
int kvm_iommu_test_fail_alloc(u64 n);
int kvm_iommu_set_noncoherent(void);
struct kvm_hyp_memcache;
int kvm_iommu_take_pages(struct kvm_hyp_memcache *mc, size_t nr);
void kvm_iommu_give_pages(struct kvm_hyp_memcache *mc);

/*
 * The identity domain (idmap.c). mem_protect.c keeps it in step with the
 * host's ownership, under host_mmu.lock, when CONFIG_ARM_SMMU_V3_PKVM
 * builds it.
 */
int kvm_iommu_idmap_build(struct kvm_hyp_iommu_domain *domain);
void kvm_iommu_idmap_release(void);
s64 kvm_iommu_idmap_pages(bool reserve);
int kvm_iommu_idmap_remove(u64 addr, u64 size);
void kvm_iommu_idmap_add(u64 addr, u64 size);

#endif /* __KVM_NVHE_IOMMU_H__ */
