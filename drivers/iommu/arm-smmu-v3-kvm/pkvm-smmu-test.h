/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Raw IOMMU hypercalls for the test modules, as a hostile host makes them:
 * whole registers in, x0 to x3 out, and the memory the hypervisor asks for
 * donated before a retry.
 */
#ifndef __PKVM_SMMU_TEST_H__
#define __PKVM_SMMU_TEST_H__

#include <linux/arm-smccc.h>
#include <linux/gfp.h>
#include <linux/kvm_host.h>
#include <asm/kvm_asm.h>
#include <kvm/arm_pkvm_iommu.h>

/* From the driver: what the hypervisor took, for the cases to aim at */
phys_addr_t kvm_smmu_test_smmu_mmio(void);
phys_addr_t kvm_smmu_test_pmcg_mmio(void);
int kvm_smmu_test_early_power_off(void);

struct hvc {
	long ret;		/* x1 */
	unsigned long x2, x3;
	unsigned long status;	/* x0 */
};

#define test_hvc(fn, ...)						\
	({								\
		struct arm_smccc_res __r;				\
									\
		arm_smccc_1_1_hvc(KVM_HOST_SMCCC_FUNC(fn), ##__VA_ARGS__, &__r); \
		(struct hvc){ (long)__r.a1, __r.a2, __r.a3, __r.a0 };	\
	})

static inline struct hvc donate_page(struct page *p)
{
	return test_hvc(__pkvm_host_iommu_donate_pages, page_to_pfn(p), 1);
}

static inline int donate(unsigned long n)
{
	while (n--) {
		struct page *p = alloc_page(GFP_KERNEL);

		if (!p || donate_page(p).ret)
			return -ENOMEM;
	}
	return 0;
}

static inline long alloc_domain(u32 id)
{
	struct hvc r;

	do {
		r = test_hvc(__pkvm_host_iommu_alloc_domain, id);
	} while (r.ret == -ENOMEM && r.x2 && !donate(r.x2));
	return r.ret;
}

/* __pkvm_host_iommu_map_runs, its @nr runs (at most one past the bound) in x5 and up */
static inline struct hvc map_runs(u32 id, u64 iova, int prot, const u64 *runs,
				  unsigned int nr)
{
	struct arm_smccc_1_2_regs args = {
		.a0 = KVM_HOST_SMCCC_FUNC(__pkvm_host_iommu_map_runs),
		.a1 = id, .a2 = iova, .a3 = prot, .a4 = nr,
	}, res;
	struct hvc r;

	/* From the start of the register block: a copy from a5 spans fields. */
	memcpy((u64 *)&args + KVM_IOMMU_RUNS_FIRST_REG, runs,
	       min(nr, KVM_IOMMU_MAX_RUNS) * sizeof(*runs));
	do {
		arm_smccc_1_2_hvc(&args, &res);
		r = (struct hvc){ (long)res.a1, res.a2, res.a3, res.a0 };
	} while (r.ret == -ENOMEM && !r.x2 && r.x3 && !donate(r.x3));
	return r;
}

static inline struct hvc map(u32 id, u64 iova, phys_addr_t pa, u64 pgsize, u64 n, int prot)
{
	struct hvc r;

	do {
		r = test_hvc(__pkvm_host_iommu_map_pages, id, iova, pa, pgsize, n, prot);
	} while (r.ret == -ENOMEM && r.x3 && !donate(r.x3));
	return r;
}

static inline struct hvc unmap_flags(u32 id, u64 iova, u64 pgsize, u64 n, u64 flags)
{
	return test_hvc(__pkvm_host_iommu_unmap_pages, id, iova, pgsize, n, flags);
}

static inline struct hvc unmap(u32 id, u64 iova, u64 pgsize, u64 n)
{
	return unmap_flags(id, iova, pgsize, n, 0);
}

/* Complete the domain's deferred unmaps */
static inline struct hvc flush_domain(u32 id)
{
	return test_hvc(__pkvm_host_iommu_flush_domain, id);
}

/* The pages the hypervisor keeps counted for deferred unmaps, of every domain */
static inline long deferred_pages(void)
{
	return test_hvc(__pkvm_host_iommu_stat, KVM_IOMMU_STAT_DEFERRED_PAGES).ret;
}

static inline struct hvc attach(u32 iommu, u32 id, u32 sid)
{
	struct hvc r;

	do {
		r = test_hvc(__pkvm_host_iommu_attach_dev, iommu, id, sid);
	} while (r.ret == -ENOMEM && r.x2 && !donate(r.x2));
	return r;
}

static inline struct hvc detach(u32 iommu, u32 id, u32 sid)
{
	return test_hvc(__pkvm_host_iommu_detach_dev, iommu, id, sid);
}

/* As the driver frees: again while mappings remain (-EAGAIN). */
static inline struct hvc free_domain(u32 id)
{
	struct hvc r;

	do {
		r = test_hvc(__pkvm_host_iommu_free_domain, id);
	} while (r.ret == -EAGAIN);
	return r;
}

/*
 * Take back every page the hypervisor holds unused for this CPU, and free
 * them: what a case donated does not stay for the host driver to reclaim
 * as its own.
 */
static inline void reclaim_all(void)
{
	long pfn;

	while ((pfn = test_hvc(__pkvm_host_iommu_reclaim_page).ret) >= 0)
		__free_page(pfn_to_page(pfn));
}

/* What the host says of SMMU @iommu's power: 0 off, 1 on */
static inline struct hvc set_power(u32 iommu, u64 on)
{
	return test_hvc(__pkvm_host_iommu_set_power, iommu, on);
}

static inline struct hvc inject_cmdq_error(void)
{
	return test_hvc(__pkvm_host_iommu_test, KVM_IOMMU_TEST_CMDQ_ERROR, 0);
}

#endif
