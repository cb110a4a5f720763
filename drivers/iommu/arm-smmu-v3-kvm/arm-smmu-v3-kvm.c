// SPDX-License-Identifier: GPL-2.0
/*
 * pKVM paravirtual SMMUv3, the host side.
 *
 * In protected mode the pKVM hypervisor owns the SMMUs. This driver hands
 * each SMMU of the device tree or of the ACPI IORT, and their performance
 * monitor counter groups, to the hypervisor before the host is
 * deprivileged, and from then on never touches its registers or tables: the
 * IOMMU API turns into hypercalls, which the hypervisor checks against the
 * ownership of every page. Memory the hypervisor needs for domains and page
 * tables is donated on demand and reclaimed when freed.
 */
#include <linux/arm-smccc.h>
#include <linux/debugfs.h>
#include <linux/dma-map-ops.h>
#include <linux/idr.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/kvm_host.h>
#include <linux/of.h>
#include <linux/of_device.h>
#include <linux/pci.h>
#include <linux/percpu.h>
#include <linux/platform_device.h>
#include <linux/pm_runtime.h>
#include <linux/seq_file.h>
#include <asm/kvm_asm.h>
#include <asm/virt.h>
#include <kvm/arm_pkvm_iommu.h>

#include "../arm/arm-smmu-v3/arm-smmu-v3.h"
#include "../dma-iommu.h"
#ifdef CONFIG_ARM_SMMU_V3_PKVM_TEST
#include "pkvm-smmu-test.h"
#endif

#define KVM_SMMU_MAX		4
#define KVM_SMMU_MAX_SID_BITS	16
#define KVM_SMMU_L2_SHIFT	6	/* 64 STEs per level-2 table */

struct kvm_smmu {
	struct iommu_device iommu;
	struct device *dev;
	u32 id;			/* at the hypervisor */
	u32 sid_bits;
	u32 stage;		/* of the translation: 2 if the SMMU has it */
	phys_addr_t base;	/* of its registers */
};

struct kvm_smmu_domain {
	struct iommu_domain domain;
	u32 id;
	atomic64_t mapped;	/* bytes */
};

struct kvm_smmu_master {
	struct kvm_smmu *smmu;
	struct kvm_smmu_domain *domain;	/* NULL: blocked */
};

enum kvm_smmu_stat {
	KVM_SMMU_DOMAINS, KVM_SMMU_STREAMS, KVM_SMMU_MAPPED_PAGES, KVM_SMMU_DONATED,
	KVM_SMMU_RECLAIMED, KVM_SMMU_FAULTS, KVM_SMMU_HC_ALLOC, KVM_SMMU_HC_FREE,
	KVM_SMMU_HC_ATTACH, KVM_SMMU_HC_DETACH, KVM_SMMU_HC_MAP, KVM_SMMU_HC_UNMAP,
	KVM_SMMU_HC_IOVA_TO_PHYS, KVM_SMMU_HC_DONATE, KVM_SMMU_HC_RECLAIM,
	KVM_SMMU_HC_NEXT_FAULT, KVM_SMMU_HC_MAP_RUNS, KVM_SMMU_HC_FLUSH, KVM_SMMU_HC_POWER,
	KVM_SMMU_NR_STATS,
};

/*
 * No 1GiB blocks: a domain's tables stay, and the hypervisor refuses a
 * 1GiB block over the level-3 tables that earlier pages of its range left,
 * where it maps a 2MiB block as pages inside the table found there.
 */
#define KVM_SMMU_PGSIZES	(SZ_4K | SZ_2M)

static const char * const kvm_smmu_stat_names[KVM_SMMU_NR_STATS] = {
	"domains", "attached_streams", "mapped_pages", "pages_donated",
	"pages_reclaimed", "faults", "hypercalls_alloc_domain",
	"hypercalls_free_domain", "hypercalls_attach_dev",
	"hypercalls_detach_dev", "hypercalls_map_pages",
	"hypercalls_unmap_pages", "hypercalls_iova_to_phys",
	"hypercalls_donate_pages", "hypercalls_reclaim_page",
	"hypercalls_next_fault", "hypercalls_map_runs", "hypercalls_flush_domain",
	"hypercalls_set_power",
};

/* Per CPU, so that mapping on every CPU shares no cache line: summed when read. */
static DEFINE_PER_CPU(long[KVM_SMMU_NR_STATS], kvm_smmu_stats);
static struct kvm_smmu *kvm_smmus[KVM_SMMU_MAX];
static unsigned int nr_kvm_smmus;
static DEFINE_IDA(kvm_smmu_domain_ida);
#ifdef CONFIG_ARM_SMMU_V3_PKVM_TEST
/* What the hypervisor answered a power-off before finalize, for the test module */
static int kvm_smmu_early_power_off = 1;
#endif
static const struct iommu_ops kvm_smmu_ops;

static void stat_add(enum kvm_smmu_stat s, long n)
{
	this_cpu_add(kvm_smmu_stats[s], n);
}

#define kvm_smmu_hvc(stat, fn, res, ...)				\
	do {								\
		struct arm_smccc_res *__res = (res);			\
									\
		stat_add(stat, 1);					\
		arm_smccc_1_1_hvc(KVM_HOST_SMCCC_FUNC(fn), ##__VA_ARGS__, __res); \
		WARN_ON_ONCE(__res->a0 != SMCCC_RET_SUCCESS);		\
	} while (0)

/* The hypervisor returns errors as negative ints in a 64-bit register. */
static int hvc_ret(unsigned long a1)
{
	return (int)(long)a1;
}

#define KVM_SMMU_TOPUP_ORDER	ilog2(KVM_IOMMU_DONATE_MAX)

/* Donate @nr pages from @page on to this CPU's memcache at the hypervisor. */
static int kvm_smmu_donate(struct page *page, unsigned long nr)
{
	struct arm_smccc_res res;
	unsigned long i;
	int ret;

	kvm_smmu_hvc(KVM_SMMU_HC_DONATE, __pkvm_host_iommu_donate_pages, &res,
		     page_to_pfn(page), nr);
	ret = hvc_ret(res.a1);
	if (ret) {
		/* None of them was donated. */
		for (i = 0; i < nr; i++)
			__free_page(page + i);
		return ret;
	}
	stat_add(KVM_SMMU_DONATED, nr);
	return 0;
}

/*
 * Donate at least @nr pages to this CPU's memcache, in blocks of
 * KVM_IOMMU_DONATE_MAX pages, one hypercall each: what a call did not
 * need stays there for the next calls, which then need no top-up. Page
 * by page when memory is too fragmented for a block. The pages come back
 * one by one through kvm_smmu_reclaim_cpu().
 */
static int kvm_smmu_topup(unsigned long nr, gfp_t gfp)
{
	struct page *page;
	unsigned long n;
	int ret;

	if (!nr || nr > 64)
		return -ENOMEM;
	while (nr) {
		n = KVM_IOMMU_DONATE_MAX;
		page = alloc_pages(gfp | __GFP_NOWARN | __GFP_NORETRY, KVM_SMMU_TOPUP_ORDER);
		if (page) {
			split_page(page, KVM_SMMU_TOPUP_ORDER);
		} else {
			n = 1;
			page = alloc_page(gfp);
			if (!page)
				return -ENOMEM;
		}
		ret = kvm_smmu_donate(page, n);
		if (ret)
			return ret;
		nr -= min(nr, n);
	}
	return 0;
}

/* Take back the pages the hypervisor freed, and this CPU's memcache. */
static void kvm_smmu_reclaim_cpu(void *unused)
{
	struct arm_smccc_res res;
	long pfn;

	for (;;) {
		kvm_smmu_hvc(KVM_SMMU_HC_RECLAIM, __pkvm_host_iommu_reclaim_page, &res);
		pfn = (long)res.a1;
		if (pfn < 0)
			break;
		__free_page(pfn_to_page(pfn));
		stat_add(KVM_SMMU_RECLAIMED, 1);
	}
}

static struct kvm_smmu_domain *to_kvm_smmu_domain(struct iommu_domain *domain)
{
	return container_of(domain, struct kvm_smmu_domain, domain);
}

static struct iommu_domain *kvm_smmu_domain_alloc_paging(struct device *dev)
{
	struct kvm_smmu_domain *kdomain;
	struct arm_smccc_res res;
	int ret, id;

	kdomain = kzalloc(sizeof(*kdomain), GFP_KERNEL);
	if (!kdomain)
		return ERR_PTR(-ENOMEM);
	/* ID 0 is the identity domain's */
	id = ida_alloc_range(&kvm_smmu_domain_ida, KVM_IOMMU_IDENTITY_DOMAIN + 1,
			     KVM_IOMMU_MAX_DOMAINS - 1, GFP_KERNEL);
	if (id < 0) {
		kfree(kdomain);
		return ERR_PTR(id);
	}
	kdomain->id = id;
	do {
		kvm_smmu_hvc(KVM_SMMU_HC_ALLOC, __pkvm_host_iommu_alloc_domain, &res, id);
		ret = hvc_ret(res.a1);
	} while (ret == -ENOMEM && !kvm_smmu_topup(res.a2, GFP_KERNEL));
	if (ret) {
		ida_free(&kvm_smmu_domain_ida, id);
		kfree(kdomain);
		return ERR_PTR(ret);
	}
	kdomain->domain.pgsize_bitmap = KVM_SMMU_PGSIZES;
	kdomain->domain.geometry.aperture_end = (1ULL << 40) - 1;
	kdomain->domain.geometry.force_aperture = true;
	stat_add(KVM_SMMU_DOMAINS, 1);
	return &kdomain->domain;
}

static void kvm_smmu_domain_free(struct iommu_domain *domain)
{
	struct kvm_smmu_domain *kdomain = to_kvm_smmu_domain(domain);
	struct arm_smccc_res res;
	int ret;

	/* Each call removes a bounded part of the mappings left. */
	do {
		kvm_smmu_hvc(KVM_SMMU_HC_FREE, __pkvm_host_iommu_free_domain, &res, kdomain->id);
		ret = hvc_ret(res.a1);
	} while (ret == -EAGAIN);
	if (WARN(ret, "pkvm-smmu: cannot free domain %u: %d\n", kdomain->id, ret))
		return;
	stat_add(KVM_SMMU_MAPPED_PAGES, -(atomic64_read(&kdomain->mapped) >> PAGE_SHIFT));
	stat_add(KVM_SMMU_DOMAINS, -1);
	ida_free(&kvm_smmu_domain_ida, kdomain->id);
	kfree(kdomain);
	on_each_cpu(kvm_smmu_reclaim_cpu, NULL, 1);
}

static int kvm_smmu_stream_op(struct kvm_smmu_master *master, struct device *dev,
			      struct kvm_smmu_domain *kdomain, u32 sid, bool attach)
{
	struct device *smmu_dev = master->smmu->dev;
	bool rpm = pm_runtime_enabled(smmu_dev);
	struct arm_smccc_res res;
	int ret;

	/* The hypervisor changes the streams of a powered SMMU only. */
	ret = rpm ? pm_runtime_resume_and_get(smmu_dev) : 0;
	if (ret)
		return ret;
	if (attach) {
		do {
			kvm_smmu_hvc(KVM_SMMU_HC_ATTACH, __pkvm_host_iommu_attach_dev,
				     &res, master->smmu->id, kdomain->id, sid);
			ret = hvc_ret(res.a1);
		} while (ret == -ENOMEM && !kvm_smmu_topup(res.a2, GFP_KERNEL));
	} else {
		kvm_smmu_hvc(KVM_SMMU_HC_DETACH, __pkvm_host_iommu_detach_dev,
			     &res, master->smmu->id, kdomain->id, sid);
		ret = hvc_ret(res.a1);
	}
	/*
	 * A stream in the identity domain keeps its SMMU powered: while the
	 * SMMU is off the hypervisor refuses the host's donations, which the
	 * identity domain must invalidate at once.
	 */
	if (!ret && kdomain->id == KVM_IOMMU_IDENTITY_DOMAIN)
		attach ? pm_runtime_get_noresume(smmu_dev) : pm_runtime_put_noidle(smmu_dev);
	if (rpm)
		pm_runtime_put_autosuspend(smmu_dev);
	if (ret)
		dev_err(dev, "pkvm-smmu: %s stream %u: %d\n",
			attach ? "attach" : "detach", sid, ret);
	else
		stat_add(KVM_SMMU_STREAMS, attach ? 1 : -1);
	return ret;
}

static void kvm_smmu_detach(struct kvm_smmu_master *master, struct device *dev)
{
	struct iommu_fwspec *fwspec = dev_iommu_fwspec_get(dev);
	unsigned int i;

	for (i = 0; master->domain && i < fwspec->num_ids; i++)
		WARN_ON(kvm_smmu_stream_op(master, dev, master->domain,
					   fwspec->ids[i], false));
	master->domain = NULL;
}

static int kvm_smmu_attach_dev(struct iommu_domain *domain, struct device *dev)
{
	struct kvm_smmu_master *master = dev_iommu_priv_get(dev);
	struct kvm_smmu_domain *kdomain = to_kvm_smmu_domain(domain);
	struct iommu_fwspec *fwspec = dev_iommu_fwspec_get(dev);
	unsigned int i;
	int ret;

	if (master->domain == kdomain)
		return 0;
	kvm_smmu_detach(master, dev);
	for (i = 0; i < fwspec->num_ids; i++) {
		ret = kvm_smmu_stream_op(master, dev, kdomain, fwspec->ids[i], true);
		if (ret) {
			/* The streams that made it abort again. */
			while (i--)
				kvm_smmu_stream_op(master, dev, kdomain,
						   fwspec->ids[i], false);
			return ret;
		}
	}
	master->domain = kdomain;
	return 0;
}

static int kvm_smmu_attach_blocked(struct iommu_domain *domain, struct device *dev)
{
	kvm_smmu_detach(dev_iommu_priv_get(dev), dev);
	return 0;
}

static struct iommu_domain kvm_smmu_blocked_domain = {
	.type = IOMMU_DOMAIN_BLOCKED,
	.ops = &(const struct iommu_domain_ops) {
		.attach_dev = kvm_smmu_attach_blocked,
	},
};

/* Serializes the creation of the identity domain at the hypervisor */
static DEFINE_MUTEX(kvm_smmu_identity_lock);
static bool kvm_smmu_identity_built;

/*
 * The identity domain maps every page the host owns, and the hypervisor
 * keeps it so: the host never maps in it. Created at the first attach and
 * kept, with the tables the hypervisor needs for the host's memory map
 * and a reserve for splitting its blocks later (see the stats in debugfs).
 */
static int kvm_smmu_build_identity(void)
{
	struct arm_smccc_res res;
	unsigned long need;
	int ret = 0;

	mutex_lock(&kvm_smmu_identity_lock);
	/* The pages go to this CPU's memcache, where the retry looks. */
	migrate_disable();
	while (!kvm_smmu_identity_built) {
		kvm_smmu_hvc(KVM_SMMU_HC_ALLOC, __pkvm_host_iommu_alloc_domain, &res,
			     KVM_IOMMU_IDENTITY_DOMAIN);
		ret = hvc_ret(res.a1);
		/* The test module may have made it behind the driver's back. */
		if (ret == -EEXIST)
			ret = 0;
		if (ret != -ENOMEM) {
			kvm_smmu_identity_built = !ret;
			break;
		}
		if (!res.a2)
			break;
		/* Far more than a map needs: in the driver's batches */
		for (need = res.a2, ret = 0; need && !ret; need -= min(need, 64UL))
			ret = kvm_smmu_topup(min(need, 64UL), GFP_KERNEL);
		if (ret)
			break;
	}
	migrate_enable();
	mutex_unlock(&kvm_smmu_identity_lock);
	if (ret)
		pr_err("pkvm-smmu: cannot create the identity domain: %d\n", ret);
	return ret;
}

static int kvm_smmu_attach_identity(struct iommu_domain *domain, struct device *dev)
{
	return kvm_smmu_build_identity() ?: kvm_smmu_attach_dev(domain, dev);
}

static struct kvm_smmu_domain kvm_smmu_identity_domain = {
	.domain = {
		.type = IOMMU_DOMAIN_IDENTITY,
		.ops = &(const struct iommu_domain_ops) {
			.attach_dev = kvm_smmu_attach_identity,
		},
	},
	.id = KVM_IOMMU_IDENTITY_DOMAIN,
};

static int kvm_smmu_map_pages(struct iommu_domain *domain, unsigned long iova,
			      phys_addr_t paddr, size_t pgsize, size_t pgcount,
			      int prot, gfp_t gfp, size_t *mapped)
{
	struct kvm_smmu_domain *kdomain = to_kvm_smmu_domain(domain);
	struct arm_smccc_res res;
	size_t done;
	int ret;

	*mapped = 0;
	for (;;) {
		kvm_smmu_hvc(KVM_SMMU_HC_MAP, __pkvm_host_iommu_map_pages, &res,
			     kdomain->id, iova, paddr, pgsize, pgcount, prot);
		ret = hvc_ret(res.a1);
		done = res.a2;
		*mapped += done;
		atomic64_add(done, &kdomain->mapped);
		stat_add(KVM_SMMU_MAPPED_PAGES, done >> PAGE_SHIFT);
		if (ret != -ENOMEM || kvm_smmu_topup(res.a3, gfp))
			return ret;
		iova += done;
		paddr += done;
		pgcount -= done / pgsize;
	}
}

/*
 * The runs of __pkvm_host_iommu_map_runs in @regs, x5 to x17: indexed from
 * the start of the register block, which FORTIFY_SOURCE sees as one object,
 * and not from its field a5.
 */
static unsigned long *kvm_smmu_runs(struct arm_smccc_1_2_regs *regs)
{
	BUILD_BUG_ON(offsetof(struct arm_smccc_1_2_regs, a5) !=
		     KVM_IOMMU_RUNS_FIRST_REG * sizeof(unsigned long) ||
		     offsetof(struct arm_smccc_1_2_regs, a17) !=
		     (KVM_IOMMU_RUNS_FIRST_REG + KVM_IOMMU_MAX_RUNS - 1) * sizeof(unsigned long));
	return (unsigned long *)regs + KVM_IOMMU_RUNS_FIRST_REG;
}

/*
 * Map the runs queued in @args (x4 their number, x5 and up the runs) at
 * @iova + *@mapped, in as few hypercalls as the hypervisor's bound per
 * call and its memory allow: what a call mapped is dropped from the front.
 */
static int kvm_smmu_map_queued_runs(struct kvm_smmu_domain *kdomain, unsigned long iova,
				    int prot, gfp_t gfp, struct arm_smccc_1_2_regs *args,
				    size_t *mapped)
{
	unsigned long *runs = kvm_smmu_runs(args);
	struct arm_smccc_1_2_regs res;
	size_t done, n;
	int ret;

	while (args->a4) {
		args->a0 = KVM_HOST_SMCCC_FUNC(__pkvm_host_iommu_map_runs);
		args->a1 = kdomain->id;
		args->a2 = iova + *mapped;
		args->a3 = prot;
		stat_add(KVM_SMMU_HC_MAP_RUNS, 1);
		arm_smccc_1_2_hvc(args, &res);
		WARN_ON_ONCE(res.a0 != SMCCC_RET_SUCCESS);
		ret = hvc_ret(res.a1);
		done = res.a2;
		*mapped += done;
		atomic64_add(done, &kdomain->mapped);
		stat_add(KVM_SMMU_MAPPED_PAGES, done >> PAGE_SHIFT);
		for (; done; done -= n) {
			n = KVM_IOMMU_RUN_PAGES(runs[0]) << PAGE_SHIFT;
			if (done < n) {
				runs[0] = KVM_IOMMU_RUN(KVM_IOMMU_RUN_PHYS(runs[0]) + done,
							(n - done) >> PAGE_SHIFT);
				break;
			}
			memmove(runs, runs + 1, --args->a4 * sizeof(*runs));
		}
		if (ret == -ENOMEM)
			ret = kvm_smmu_topup(res.a3, gfp);
		else if (!ret && !res.a2)
			ret = -EINVAL;
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * A scatterlist in as few hypercalls as it takes. Block I/O hands over
 * scattered 4KiB pages, one map_pages hypercall each through the IOMMU
 * core's loop: here each physically contiguous stretch is a run, and one
 * hypercall maps KVM_IOMMU_MAX_RUNS of them. A stretch that starts 2MiB
 * aligned on both sides still goes through map_pages, for its blocks. As
 * in the core's loop, bus addresses of peer-to-peer DMA are not mapped.
 */
static int kvm_smmu_map_sg(struct iommu_domain *domain, unsigned long iova,
			   struct scatterlist *sgl, unsigned int nents, int prot,
			   gfp_t gfp, size_t *mapped)
{
	struct kvm_smmu_domain *kdomain = to_kvm_smmu_domain(domain);
	struct arm_smccc_1_2_regs args = {};
	unsigned long *runs = kvm_smmu_runs(&args);
	size_t len = 0, queued = 0, n, done;
	struct scatterlist *sg = sgl;
	phys_addr_t start = 0;
	unsigned int i = 0;
	int ret;

	*mapped = 0;
	/* One round past the last entry, to take the last stretch. */
	for (;;) {
		if (i < nents && !sg_dma_is_bus_address(sg) && len &&
		    sg_phys(sg) == start + len) {
			len += sg->length;
			goto next;
		}
		if (!PAGE_ALIGNED(start | len))
			return -EINVAL;
		while (len >= SZ_2M && IS_ALIGNED(iova + *mapped + queued, SZ_2M) &&
		       IS_ALIGNED(start, SZ_2M)) {
			ret = kvm_smmu_map_queued_runs(kdomain, iova, prot, gfp, &args, mapped);
			queued = 0;
			ret = ret ?: kvm_smmu_map_pages(domain, iova + *mapped, start, SZ_2M,
							len / SZ_2M, prot, gfp, &done);
			if (ret)
				return ret;
			*mapped += done;
			start += done;
			len -= done;
		}
		while (len) {
			n = min_t(size_t, len, KVM_IOMMU_RUN_MAX_PAGES * PAGE_SIZE);
			runs[args.a4++] = KVM_IOMMU_RUN(start, n >> PAGE_SHIFT);
			queued += n;
			start += n;
			len -= n;
			if (args.a4 == KVM_IOMMU_MAX_RUNS) {
				ret = kvm_smmu_map_queued_runs(kdomain, iova, prot, gfp, &args,
							       mapped);
				queued = 0;
				if (ret)
					return ret;
			}
		}
		if (i == nents)
			break;
		if (!sg_dma_is_bus_address(sg)) {
			start = sg_phys(sg);
			len = sg->length;
		}
next:
		if (++i < nents)
			sg = sg_next(sg);
	}
	return kvm_smmu_map_queued_runs(kdomain, iova, prot, gfp, &args, mapped);
}

static size_t kvm_smmu_unmap_pages(struct iommu_domain *domain, unsigned long iova,
				   size_t pgsize, size_t pgcount,
				   struct iommu_iotlb_gather *gather)
{
	struct kvm_smmu_domain *kdomain = to_kvm_smmu_domain(domain);
	/*
	 * A DMA-FQ domain's queued unmap defers the invalidation to the
	 * flush queue's flush_iotlb_all(): until then the hypervisor keeps
	 * the pages counted as mapped.
	 */
	u64 flags = iommu_iotlb_gather_queued(gather) ? KVM_IOMMU_UNMAP_DEFER : 0;
	struct arm_smccc_res res;

	kvm_smmu_hvc(KVM_SMMU_HC_UNMAP, __pkvm_host_iommu_unmap_pages, &res,
		     kdomain->id, iova, pgsize, pgcount, flags);
	atomic64_sub(res.a2, &kdomain->mapped);
	stat_add(KVM_SMMU_MAPPED_PAGES, -(long)(res.a2 >> PAGE_SHIFT));
	return res.a2;
}

/*
 * Invalidate the domain on every SMMU and complete its deferred unmaps: the
 * flush queue frees the IOVAs it held only after this.
 */
static void kvm_smmu_flush_iotlb_all(struct iommu_domain *domain)
{
	struct arm_smccc_res res;
	int ret;

	kvm_smmu_hvc(KVM_SMMU_HC_FLUSH, __pkvm_host_iommu_flush_domain, &res,
		     to_kvm_smmu_domain(domain)->id);
	ret = hvc_ret(res.a1);
	/* The pages stay counted at the hypervisor: nothing is unsafe, but they stay busy. */
	if (ret)
		pr_err_ratelimited("pkvm-smmu: cannot flush domain %u: %d\n",
				   to_kvm_smmu_domain(domain)->id, ret);
}

/*
 * Lazy unmapping is safe here: the hypervisor keeps a page counted until
 * the flush that follows its deferred unmap, whatever the host does.
 */
static bool kvm_smmu_capable(struct device *dev, enum iommu_cap cap)
{
	return cap == IOMMU_CAP_DEFERRED_FLUSH;
}

static phys_addr_t kvm_smmu_iova_to_phys(struct iommu_domain *domain,
					 dma_addr_t iova)
{
	struct arm_smccc_res res;

	kvm_smmu_hvc(KVM_SMMU_HC_IOVA_TO_PHYS, __pkvm_host_iommu_iova_to_phys, &res,
		     to_kvm_smmu_domain(domain)->id, iova);
	return res.a1;
}

static const char *kvm_smmu_event_name(u8 id)
{
	switch (id) {
	case 0x01: return "F_UUT";
	case 0x02: return "C_BAD_STREAMID";
	case 0x04: return "C_BAD_STE";
	case EVT_ID_TRANSLATION_FAULT: return "F_TRANSLATION";
	case EVT_ID_ADDR_SIZE_FAULT: return "F_ADDR_SIZE";
	case EVT_ID_ACCESS_FAULT: return "F_ACCESS";
	case EVT_ID_PERMISSION_FAULT: return "F_PERMISSION";
	default: return "event";
	}
}

/* A blocked transfer can fault on every access: a few lines per burst. */
static DEFINE_RATELIMIT_STATE(kvm_smmu_fault_rs, 5 * HZ, 50);

/*
 * The hypervisor owns the event queue: take its records one by one, each
 * reduced to the event type, the stream, the access and the address. Of a
 * run of records with the same event and stream, only the first is logged.
 */
static irqreturn_t kvm_smmu_evtq_thread(int irq, void *data)
{
	struct kvm_smmu *smmu = data;
	struct arm_smccc_1_2_regs args = {
		.a0 = KVM_HOST_SMCCC_FUNC(__pkvm_host_iommu_next_fault),
		.a1 = smmu->id,
	};
	struct arm_smccc_1_2_regs res;
	unsigned int repeats = 0;
	u64 last = 0;

	for (;;) {
		/* Four results: the status, then the record's three fields. */
		stat_add(KVM_SMMU_HC_NEXT_FAULT, 1);
		arm_smccc_1_2_hvc(&args, &res);
		if (WARN_ON_ONCE(res.a0 != SMCCC_RET_SUCCESS) || (long)res.a1 <= 0)
			break;
		stat_add(KVM_SMMU_FAULTS, 1);
		if (res.a2 == last) {
			repeats++;
			continue;
		}
		last = res.a2;
		if (__ratelimit(&kvm_smmu_fault_rs))
			dev_err(smmu->dev, "pkvm-smmu: %s (0x%02llx) stream %llu: %s at 0x%lx%s\n",
				kvm_smmu_event_name(FIELD_GET(EVTQ_0_ID, res.a2)),
				FIELD_GET(EVTQ_0_ID, res.a2), FIELD_GET(EVTQ_0_SID, res.a2),
				res.a3 & EVTQ_1_RnW ? "read" : "write", res.a4,
				res.a3 & EVTQ_1_S2 ? " (stage 2)" : "");
	}
	if (repeats && __ratelimit(&kvm_smmu_fault_rs))
		dev_err(smmu->dev, "pkvm-smmu: and %u more faults like these\n", repeats);
	return IRQ_HANDLED;
}

static struct kvm_smmu *kvm_smmu_find(struct fwnode_handle *fwnode)
{
	unsigned int i;

	for (i = 0; i < nr_kvm_smmus; i++)
		if (kvm_smmus[i]->iommu.fwnode == fwnode)
			return kvm_smmus[i];
	return NULL;
}

static struct iommu_device *kvm_smmu_probe_device(struct device *dev)
{
	struct iommu_fwspec *fwspec = dev_iommu_fwspec_get(dev);
	struct kvm_smmu_master *master;
	struct kvm_smmu *smmu;
	unsigned int i;

	smmu = fwspec ? kvm_smmu_find(fwspec->iommu_fwnode) : NULL;
	if (!smmu)
		return ERR_PTR(-ENODEV);
	for (i = 0; i < fwspec->num_ids; i++)
		if (fwspec->ids[i] >= BIT(smmu->sid_bits))
			return ERR_PTR(-ERANGE);
	master = kzalloc(sizeof(*master), GFP_KERNEL);
	if (!master)
		return ERR_PTR(-ENOMEM);
	master->smmu = smmu;
	dev_iommu_priv_set(dev, master);
	/* The device suspends before the SMMU and resumes after; runtime PM too. */
	if (!device_link_add(dev, smmu->dev, DL_FLAG_AUTOREMOVE_SUPPLIER |
			     (pm_runtime_enabled(smmu->dev) ? DL_FLAG_PM_RUNTIME : 0)))
		dev_warn(dev, "pkvm-smmu: no link to %s: it may lose power under the device\n",
			 dev_name(smmu->dev));
	return &smmu->iommu;
}

static void kvm_smmu_release_device(struct device *dev)
{
	struct kvm_smmu_master *master = dev_iommu_priv_get(dev);

	kvm_smmu_detach(master, dev);
	kfree(master);
}

static struct iommu_group *kvm_smmu_device_group(struct device *dev)
{
	return dev_is_pci(dev) ? pci_device_group(dev) : generic_device_group(dev);
}

static int kvm_smmu_of_xlate(struct device *dev, const struct of_phandle_args *args)
{
	return iommu_fwspec_add_ids(dev, args->args, 1);
}

/* PCI MSIs reach the GIC ITS doorbell through a mapping in this window. */
static void kvm_smmu_get_resv_regions(struct device *dev, struct list_head *head)
{
	struct iommu_resv_region *region;

	region = iommu_alloc_resv_region(MSI_IOVA_BASE, MSI_IOVA_LENGTH,
					 IOMMU_WRITE | IOMMU_NOEXEC | IOMMU_MMIO,
					 IOMMU_RESV_SW_MSI, GFP_KERNEL);
	if (!region)
		return;
	list_add_tail(&region->list, head);
	iommu_dma_get_resv_regions(dev, head);
}

static const struct iommu_ops kvm_smmu_ops = {
	.capable		= kvm_smmu_capable,
	.identity_domain	= &kvm_smmu_identity_domain.domain,
	.blocked_domain		= &kvm_smmu_blocked_domain,
	.release_domain		= &kvm_smmu_blocked_domain,
	.domain_alloc_paging	= kvm_smmu_domain_alloc_paging,
	.probe_device		= kvm_smmu_probe_device,
	.release_device		= kvm_smmu_release_device,
	.device_group		= kvm_smmu_device_group,
	.of_xlate		= kvm_smmu_of_xlate,
	.get_resv_regions	= kvm_smmu_get_resv_regions,
	.pgsize_bitmap		= KVM_SMMU_PGSIZES,
	.owner			= THIS_MODULE,
	.default_domain_ops = &(const struct iommu_domain_ops) {
		.attach_dev	= kvm_smmu_attach_dev,
		.map_pages	= kvm_smmu_map_pages,
		.map_sg		= kvm_smmu_map_sg,
		.unmap_pages	= kvm_smmu_unmap_pages,
		.flush_iotlb_all = kvm_smmu_flush_iotlb_all,
		.iova_to_phys	= kvm_smmu_iova_to_phys,
		.free		= kvm_smmu_domain_free,
	},
};

/*
 * Read what the hypervisor will need memory for, and which stage it will
 * translate with, before handing the SMMU over.
 */
static int kvm_smmu_read_id(struct kvm_smmu *smmu, struct resource *res)
{
	void __iomem *base = ioremap(res->start, SZ_4K);
	u32 idr0, idr1;

	if (!base)
		return -ENOMEM;
	idr0 = readl_relaxed(base + ARM_SMMU_IDR0);
	idr1 = readl_relaxed(base + ARM_SMMU_IDR1);
	iounmap(base);
	smmu->sid_bits = clamp_t(u32, FIELD_GET(IDR1_SIDSIZE, idr1), KVM_SMMU_L2_SHIFT,
				 KVM_SMMU_MAX_SID_BITS);
	smmu->stage = idr0 & IDR0_S2P ? 2 : 1;
	return 0;
}

static const struct of_device_id kvm_smmu_pmcg_of_match[] = {
	{ .compatible = "arm,smmu-v3-pmcg", },
	{ .compatible = "arm,mmu-600-pmcg", },
	{ },
};

/*
 * The platform devices of SMMUs and of their PMCGs, from the device tree
 * or from the IORT, which names them "arm-smmu-v3" and "arm-smmu-v3-pmcg".
 */
static bool kvm_smmu_dev_is_smmu(struct device *dev)
{
	return of_device_is_compatible(dev->of_node, "arm,smmu-v3") ||
	       !strcmp(to_platform_device(dev)->name, "arm-smmu-v3");
}

static bool kvm_smmu_dev_is_pmcg(struct device *dev)
{
	return of_match_device(kvm_smmu_pmcg_of_match, dev) ||
	       !strcmp(to_platform_device(dev)->name, "arm-smmu-v3-pmcg");
}

/* No driver has this name: a PMCG the hypervisor takes stays unbound. */
#define KVM_SMMU_PMCG_OWNER	"pkvm-hypervisor"

/*
 * In protected mode a PMCG goes to the hypervisor with the first SMMU:
 * keep the SMMUv3 PMU driver, built in or loaded later, from binding to it
 * meanwhile and after. Without pKVM, let it bind again.
 */
static int kvm_smmu_keep_pmcg(struct device *dev, void *keep)
{
	if (kvm_smmu_dev_is_pmcg(dev) &&
	    !device_set_driver_override(dev, keep ? KVM_SMMU_PMCG_OWNER : NULL) && !keep)
		WARN_ON(device_attach(dev) < 0);
	return 0;
}

/*
 * Hand a PMCG to the hypervisor, before the first SMMU: a PMCG's MSI is an
 * untranslated write to an address the host would choose.
 */
static int kvm_smmu_take_pmcg(struct device *dev, void *unused)
{
	struct resource *regs;
	unsigned long ret;
	phys_addr_t start;
	int i;

	if (!kvm_smmu_dev_is_pmcg(dev))
		return 0;
	for (i = 0; (regs = platform_get_resource(to_platform_device(dev), IORESOURCE_MEM, i));
	     i++) {
		start = PAGE_ALIGN_DOWN(regs->start);
		ret = kvm_call_hyp_nvhe(__pkvm_smmu_register_pmcg, start,
					PAGE_ALIGN(regs->end + 1) - start);
		if (IS_ERR_VALUE(ret)) {
			dev_err(dev, "pkvm-smmu: the hypervisor refused the PMCG: %ld\n",
				(long)ret);
			return (int)(long)ret;
		}
	}
	dev_info(dev, "pkvm-smmu: PMCG owned by the hypervisor, not by the SMMUv3 PMU driver\n");
	return 0;
}

/* Hand an SMMU to the hypervisor, before pKVM finalizes. */
static int kvm_smmu_take(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	unsigned long nr_pages, ret;
	struct kvm_smmu *smmu;
	struct resource *mmio;
	void *mem;
	int err;

	if (static_branch_likely(&kvm_protected_mode_initialized)) {
		dev_err(dev, "pkvm-smmu: probed after pKVM finalized: not isolated\n");
		return -EPERM;
	}
	if (nr_kvm_smmus == KVM_SMMU_MAX)
		return -ENOSPC;
	/* Without its PMCGs, an SMMU would not isolate what it claims to. */
	if (!nr_kvm_smmus) {
		err = bus_for_each_dev(&platform_bus_type, NULL, NULL, kvm_smmu_take_pmcg);
		if (err)
			return err;
	}
	mmio = platform_get_resource(pdev, IORESOURCE_MEM, 0);
	if (!mmio || resource_size(mmio) < SZ_128K)
		return -EINVAL;
	smmu = kzalloc(sizeof(*smmu), GFP_KERNEL);
	if (!smmu)
		return -ENOMEM;
	err = kvm_smmu_read_id(smmu, mmio);
	if (err) {
		kfree(smmu);
		return err;
	}

	/* The command and event queue pages, then the level-1 stream table. */
	nr_pages = 2 + DIV_ROUND_UP(sizeof(u64) << (smmu->sid_bits - KVM_SMMU_L2_SHIFT),
				    PAGE_SIZE);
	mem = alloc_pages_exact(nr_pages * PAGE_SIZE, GFP_KERNEL | __GFP_ZERO);
	if (!mem) {
		kfree(smmu);
		return -ENOMEM;
	}
	/*
	 * The firmware says whether the system lets the SMMU snoop: the
	 * "dma-coherent" property or the IORT's COHACC override, as the stock
	 * driver reads them. Without it, the hypervisor cleans what it writes.
	 */
	ret = kvm_call_hyp_nvhe(__pkvm_smmu_register, mmio->start,
				resource_size(mmio), virt_to_pfn(mem), nr_pages,
				dev_is_dma_coherent(dev) ? 0 : KVM_SMMU_REGISTER_NONCOHERENT);
	if (IS_ERR_VALUE(ret)) {
		/* The memory may have been donated already: leave it. */
		dev_err(dev, "pkvm-smmu: the hypervisor refused the SMMU: %ld\n",
			(long)ret);
		kfree(smmu);
		return (int)(long)ret;
	}
	smmu->id = ret;
	smmu->dev = dev;
	smmu->base = mmio->start;
	kvm_smmus[nr_kvm_smmus++] = smmu;
	platform_set_drvdata(pdev, smmu);
#ifdef CONFIG_ARM_SMMU_V3_PKVM_TEST
	/* Before finalize the hypervisor must refuse it: the host is not yet its guest. */
	if (kvm_smmu_early_power_off == 1)
		kvm_smmu_early_power_off = (int)(long)kvm_call_hyp_nvhe(__pkvm_host_iommu_set_power,
									smmu->id, 0);
#endif
	return 0;
}

/* Make an SMMU the hypervisor owns an IOMMU of the kernel: devices attach from here on. */
static void kvm_smmu_add_iommu(struct kvm_smmu *smmu)
{
	struct device *dev = smmu->dev;
	int err, irq;

	err = iommu_device_sysfs_add(&smmu->iommu, dev, NULL, "smmu3.%pa", &smmu->base);
	if (!err) {
		err = iommu_device_register(&smmu->iommu, &kvm_smmu_ops, dev);
		if (err)
			iommu_device_sysfs_remove(&smmu->iommu);
	}
	if (err) {
		dev_err(dev, "pkvm-smmu: owned by the hypervisor, but no IOMMU: %d; its devices cannot DMA\n",
			err);
		return;
	}
	dev_info(dev, "pkvm-smmu: owned by the hypervisor as IOMMU %u, %u-bit stream IDs, stage-%u translation\n",
		 smmu->id, smmu->sid_bits, smmu->stage);
	/*
	 * Powered now. In a power domain it stays so while a master is: each
	 * master's link (kvm_smmu_probe_device()) resumes it first.
	 */
	pm_runtime_set_active(dev);
	if (dev->pm_domain) {
		pm_runtime_use_autosuspend(dev);
		pm_runtime_set_autosuspend_delay(dev, 20);
		err = devm_pm_runtime_enable(dev);
		if (err)
			dev_warn(dev, "pkvm-smmu: no runtime PM, the SMMU stays powered: %d\n",
				 err);
	}

	irq = platform_get_irq_byname_optional(to_platform_device(dev), "eventq");
	if (irq > 0)
		err = devm_request_threaded_irq(dev, irq, NULL, kvm_smmu_evtq_thread,
						IRQF_ONESHOT, "pkvm-smmu-evtq", smmu);
	if (irq <= 0 || err)
		dev_warn(dev, "pkvm-smmu: no event interrupt: device faults are not reported\n");
	else
		kvm_smmu_evtq_thread(irq, smmu);
}

static int kvm_smmu_count(struct device *dev, void *n)
{
	*(unsigned int *)n += kvm_smmu_dev_is_smmu(dev);
	return 0;
}

/* The SMMUs of the device tree or the IORT this driver may probe. */
static unsigned int kvm_smmu_nr_described(void)
{
	unsigned int n = 0;

	bus_for_each_dev(&platform_bus_type, NULL, &n, kvm_smmu_count);
	return n;
}

/*
 * Every SMMU goes to the hypervisor before any becomes an IOMMU of the
 * kernel: no domain, and so no table, exists until all are registered,
 * as the first SMMU that does not snoop the CPU's caches needs (the
 * hypervisor refuses it once tables were written without cleaning).
 */
static int kvm_smmu_probe(struct platform_device *pdev)
{
	static unsigned int nr_probed;
	unsigned int i;
	int err;

	/* Without protected mode, the stock arm-smmu-v3 driver takes it. */
	if (!is_protected_kvm_enabled() || !is_kvm_arm_initialised())
		return -ENODEV;
	err = kvm_smmu_take(pdev);
	if (++nr_probed == kvm_smmu_nr_described()) {
		for (i = 0; i < nr_kvm_smmus; i++)
			kvm_smmu_add_iommu(kvm_smmus[i]);
	}
	return err;
}

/*
 * Power is the host's: it tells the hypervisor before an SMMU loses it and
 * once it has it again, and the hypervisor resets the SMMU then. System
 * sleep and hibernation do so once the devices behind the SMMU, which
 * probe after it, suspended, and before they resume; runtime PM in a power
 * domain when no master needs the SMMU. Whatever the host says, the
 * hypervisor keeps what it unmaps counted until an invalidation has
 * reached the SMMU.
 */
static int kvm_smmu_set_power(struct device *dev, bool on)
{
	struct kvm_smmu *smmu = dev_get_drvdata(dev);
	struct arm_smccc_res res;
	int ret;

	/* The hypervisor refused the SMMU at probe: nothing is known of it. */
	if (!smmu)
		return 0;
	kvm_smmu_hvc(KVM_SMMU_HC_POWER, __pkvm_host_iommu_set_power, &res, smmu->id, on);
	ret = hvc_ret(res.a1);
	if (ret)
		dev_err(dev, "pkvm-smmu: the hypervisor did not take power %s: %d\n",
			on ? "on" : "off", ret);
	return ret;
}

static int kvm_smmu_runtime_suspend(struct device *dev)
{
	return kvm_smmu_set_power(dev, false);
}

static int kvm_smmu_runtime_resume(struct device *dev)
{
	return kvm_smmu_set_power(dev, true);
}

/* An SMMU that runtime PM turned off already is left so, until a master needs it. */
static int kvm_smmu_suspend(struct device *dev)
{
	return pm_runtime_suspended(dev) ? 0 : kvm_smmu_set_power(dev, false);
}

static int kvm_smmu_resume(struct device *dev)
{
	return pm_runtime_suspended(dev) ? 0 : kvm_smmu_set_power(dev, true);
}

static const struct dev_pm_ops kvm_smmu_pm_ops = {
	SYSTEM_SLEEP_PM_OPS(kvm_smmu_suspend, kvm_smmu_resume)
	RUNTIME_PM_OPS(kvm_smmu_runtime_suspend, kvm_smmu_runtime_resume, NULL)
};

static const struct of_device_id kvm_smmu_of_match[] = {
	{ .compatible = "arm,smmu-v3", },
	{ },
};

/* The platform devices the IORT creates for its SMMUv3 nodes */
static const struct platform_device_id kvm_smmu_acpi_ids[] = {
	{ .name = "arm-smmu-v3", },
	{ },
};

static struct platform_driver kvm_smmu_driver = {
	.driver	= {
		.name			= "arm-smmu-v3-kvm",
		.of_match_table		= kvm_smmu_of_match,
		.suppress_bind_attrs	= true,
		.pm			= pm_ptr(&kvm_smmu_pm_ops),
	},
	.id_table	= kvm_smmu_acpi_ids,
	.probe		= kvm_smmu_probe,
};

static int __init kvm_smmu_init(void)
{
	/* The devices of the device tree and of the IORT exist by now. */
	if (is_protected_kvm_enabled())
		bus_for_each_dev(&platform_bus_type, NULL, (void *)true, kvm_smmu_keep_pmcg);
	return platform_driver_register(&kvm_smmu_driver);
}
device_initcall(kvm_smmu_init);

#ifdef CONFIG_ARM_SMMU_V3_PKVM_TEST
/**
 * kvm_smmu_test_smmu_mmio() - The registers of the first SMMU the hypervisor owns.
 *
 * For the test modules, which aim hostile hypercalls and DMA at them.
 *
 * Return: their physical address, or 0 when the hypervisor owns no SMMU.
 */
phys_addr_t kvm_smmu_test_smmu_mmio(void)
{
	return nr_kvm_smmus ? kvm_smmus[0]->base : 0;
}

/**
 * kvm_smmu_test_early_power_off() - What a power-off before finalize returned.
 *
 * For the test module, which runs after finalize: the driver said an SMMU
 * was off right after registering it.
 *
 * Return: the hypervisor's answer, or 1 when no SMMU was registered.
 */
int kvm_smmu_test_early_power_off(void)
{
	return kvm_smmu_early_power_off;
}

static int kvm_smmu_match_pmcg(struct device *dev, const void *unused)
{
	return kvm_smmu_dev_is_pmcg(dev);
}

/**
 * kvm_smmu_test_pmcg_mmio() - The registers of a PMCG of the device tree or the IORT.
 *
 * For the test modules: in protected mode, the hypervisor owns them.
 *
 * Return: their physical address, or 0 when no PMCG is described.
 */
phys_addr_t kvm_smmu_test_pmcg_mmio(void)
{
	struct device *dev = bus_find_device(&platform_bus_type, NULL, NULL, kvm_smmu_match_pmcg);
	struct resource *regs;
	phys_addr_t pa = 0;

	if (!dev)
		return 0;
	regs = platform_get_resource(to_platform_device(dev), IORESOURCE_MEM, 0);
	if (regs)
		pa = regs->start;
	put_device(dev);
	return pa;
}
#endif

static int kvm_smmu_stats_show(struct seq_file *m, void *unused)
{
	int i, cpu;

	for (i = 0; i < KVM_SMMU_NR_STATS; i++) {
		long sum = 0;

		for_each_possible_cpu(cpu)
			sum += per_cpu(kvm_smmu_stats, cpu)[i];
		seq_printf(m, "%s %ld\n", kvm_smmu_stat_names[i], sum);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kvm_smmu_stats);

/*
 * The hypervisor's own figures, next to the driver's: they agree unless
 * the driver's bookkeeping or the hypervisor's accounting is wrong.
 */
static int kvm_smmu_hyp_stats_show(struct seq_file *m, void *unused)
{
	static const char * const names[KVM_IOMMU_NR_STATS] = {
		[KVM_IOMMU_STAT_DMA_PAGES]	= "dma_pages",
		[KVM_IOMMU_STAT_PAGES_IN_USE]	= "pages_in_use",
		[KVM_IOMMU_STAT_PAGES_HELD]	= "pages_held",
		[KVM_IOMMU_STAT_IDMAP_PAGES]	= "identity_table_pages",
		[KVM_IOMMU_STAT_IDMAP_RESERVE]	= "identity_reserve_pages",
		[KVM_IOMMU_STAT_DEFERRED_PAGES]	= "deferred_pages",
	};
	struct arm_smccc_res res;
	int i;

	for (i = 0; i < KVM_IOMMU_NR_STATS; i++) {
		arm_smccc_1_1_hvc(KVM_HOST_SMCCC_FUNC(__pkvm_host_iommu_stat), i, &res);
		if (res.a0 != SMCCC_RET_SUCCESS || (long)res.a1 < 0)
			return -EIO;
		seq_printf(m, "%s %lu\n", names[i], res.a1);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kvm_smmu_hyp_stats);

static int kvm_smmu_reclaim_set(void *data, u64 val)
{
	on_each_cpu(kvm_smmu_reclaim_cpu, NULL, 1);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(kvm_smmu_reclaim_fops, NULL, kvm_smmu_reclaim_set, "%llu\n");

static int kvm_smmu_check_owned(struct device *dev, void *unused)
{
	unsigned int i;
	bool owned = false;

	for (i = 0; i < nr_kvm_smmus; i++)
		owned |= kvm_smmus[i]->dev == dev;
	WARN(kvm_smmu_dev_is_smmu(dev) && !owned,
	     "pkvm-smmu: %s is not owned by the hypervisor: DMA through it is NOT isolated\n",
	     dev_name(dev));
	return 0;
}

/*
 * After pKVM finalized: an SMMU of the device tree or the IORT that the
 * hypervisor does not own leaves its devices' DMA unchecked. Say so
 * loudly. If pKVM did not initialize, the PMCGs were not taken: give them
 * back to the PMU driver.
 */
static int __init kvm_smmu_check_all_owned(void)
{
	struct dentry *dir;

	if (!is_protected_kvm_enabled())
		return 0;
	if (!is_kvm_arm_initialised())
		bus_for_each_dev(&platform_bus_type, NULL, NULL, kvm_smmu_keep_pmcg);
	bus_for_each_dev(&platform_bus_type, NULL, NULL, kvm_smmu_check_owned);
	dir = debugfs_create_dir("pkvm-smmu", NULL);
	debugfs_create_file("stats", 0444, dir, NULL, &kvm_smmu_stats_fops);
	debugfs_create_file("hyp_stats", 0444, dir, NULL, &kvm_smmu_hyp_stats_fops);
	debugfs_create_file("reclaim", 0200, dir, NULL, &kvm_smmu_reclaim_fops);
	return 0;
}
late_initcall(kvm_smmu_check_all_owned);
