// SPDX-License-Identifier: GPL-2.0
/*
 * Device-side isolation tests of the pKVM SMMUv3, for test kernels only.
 *
 * QEMU's "edu" PCI device copies between its 4KiB buffer and any bus
 * address it is given. This driver takes its DMA away from the DMA API
 * (driver_managed_dma), so that each case chooses exactly what the stream
 * is attached to and what is mapped, then makes the device write to memory
 * and looks at what arrived. Each file in /sys/kernel/debug/pkvm-smmu-dma/
 * is one case; reading it runs the case and returns "ok" or what went
 * wrong. The faults that blocked DMA raise are reported by the SMMU driver,
 * whose log and counters the kselftest checks.
 *
 * The files calls_<N> are for make bench, which counts what one iommu_map()
 * and one iommu_unmap() of N pages cost: reading one makes CALLS_PER_RUN
 * maps, then as many unmaps, between console lines that mark where each
 * run starts and ends, so that a trace of the SMMU's registers taken
 * alongside the console can be split by them. The driver's hypercall
 * counters tell the rest.
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/seq_file.h>

#include "pkvm-smmu-test.h"

#define EDU_VENDOR		0x1234
#define EDU_DEVICE		0x11e8
#define EDU_DMA_SRC		0x80
#define EDU_DMA_DST		0x88
#define EDU_DMA_COUNT		0x90
#define EDU_DMA_CMD		0x98
#define EDU_DMA_START		BIT(0)
#define EDU_DMA_TO_RAM		BIT(1)
/* The device's buffer, as a DMA address on its side */
#define EDU_BUF			0x40000
#define EDU_BUF_SIZE		SZ_4K
/* Each transfer takes 100ms of virtual time in QEMU. */
#define EDU_DMA_TIMEOUT_MS	2000

#define IOVA_SRC		0x100000UL
#define IOVA_DST		0x200000UL
#define IOVA_STALE		0x300000UL
/* Where make bench's calls go, each mapping at its own IOVA */
#define IOVA_CALLS		SZ_1G
#define CALLS_PER_RUN		256
/* A domain of the hypervisor's that the host driver does not know of */
#define RAW_DOMAIN		(KVM_IOMMU_MAX_DOMAINS - 3)
#define RAW_OTHER_SID		0xfffd

static struct pci_dev *edu_pdev;
static void __iomem *edu_regs;
/* Serializes the cases: one transfer at a time, one owner of the stream. */
static DEFINE_MUTEX(edu_lock);

/* Copy the device's buffer to bus address @iova, or from it. */
static int edu_dma(u64 iova, bool to_ram)
{
	int ms;

	writeq(to_ram ? EDU_BUF : iova, edu_regs + EDU_DMA_SRC);
	writeq(to_ram ? iova : EDU_BUF, edu_regs + EDU_DMA_DST);
	writeq(EDU_BUF_SIZE, edu_regs + EDU_DMA_COUNT);
	writeq(EDU_DMA_START | (to_ram ? EDU_DMA_TO_RAM : 0), edu_regs + EDU_DMA_CMD);
	for (ms = 0; ms < EDU_DMA_TIMEOUT_MS; ms += 20) {
		if (!(readq(edu_regs + EDU_DMA_CMD) & EDU_DMA_START))
			return 0;
		msleep(20);
	}
	return -ETIMEDOUT;
}

static bool check(struct seq_file *m, bool ok, int line, const char *what)
{
	if (!ok)
		seq_printf(m, "FAIL line %d: %s\n", line, what);
	return ok;
}

static bool page_filled(struct page *page, u8 byte)
{
	return !memchr_inv(page_address(page), byte, PAGE_SIZE);
}

/* The pages of a case: a source with 0xa5, a target and a bystander with 0. */
struct edu_pages {
	struct page *src, *dst, *victim;
};

/*
 * Load the device's buffer with 0xa5 from @pages->src through the mapping
 * at IOVA_SRC, which the case maps beforehand.
 */
static bool load_pattern(struct seq_file *m, struct iommu_domain *domain,
			 struct edu_pages *pages)
{
	memset(page_address(pages->src), 0xa5, PAGE_SIZE);
	if (!check(m, !iommu_map(domain, IOVA_SRC, page_to_phys(pages->src),
				 PAGE_SIZE, IOMMU_READ, GFP_KERNEL),
		   __LINE__, "cannot map the source"))
		return false;
	if (!check(m, !edu_dma(IOVA_SRC, false), __LINE__, "the read DMA timed out"))
		return false;
	return true;
}

/* (a) A mapped IOVA: the data arrives. */
static bool dma_to_mapped_iova(struct seq_file *m, struct iommu_domain *domain,
			       struct edu_pages *pages)
{
	if (!load_pattern(m, domain, pages))
		return false;
	if (!check(m, !iommu_map(domain, IOVA_DST, page_to_phys(pages->dst),
				 PAGE_SIZE, IOMMU_WRITE, GFP_KERNEL),
		   __LINE__, "cannot map the target"))
		return false;
	if (!check(m, !edu_dma(IOVA_DST, true), __LINE__, "the write DMA timed out"))
		return false;
	return check(m, page_filled(pages->dst, 0xa5), __LINE__,
		     "the data did not arrive");
}

/*
 * (b) An IOVA with no mapping, equal to the physical address of a page: the
 * DMA does not bypass translation and the page is unchanged.
 */
static bool dma_to_unmapped_iova(struct seq_file *m, struct iommu_domain *domain,
				 struct edu_pages *pages)
{
	if (!load_pattern(m, domain, pages))
		return false;
	if (!check(m, !edu_dma(page_to_phys(pages->victim), true), __LINE__,
		   "the write DMA timed out"))
		return false;
	return check(m, page_filled(pages->victim, 0), __LINE__,
		     "DMA to an unmapped IOVA reached memory");
}

/*
 * (d) An IOVA that was just unmapped: the first write fills the SMMU's TLB,
 * the unmap must have invalidated it, and the second write is blocked.
 */
static bool dma_after_unmap(struct seq_file *m, struct iommu_domain *domain,
			    struct edu_pages *pages)
{
	if (!load_pattern(m, domain, pages))
		return false;
	if (!check(m, !iommu_map(domain, IOVA_STALE, page_to_phys(pages->dst),
				 PAGE_SIZE, IOMMU_WRITE, GFP_KERNEL),
		   __LINE__, "cannot map the target"))
		return false;
	if (!check(m, !edu_dma(IOVA_STALE, true), __LINE__, "the write DMA timed out") ||
	    !check(m, page_filled(pages->dst, 0xa5), __LINE__,
		   "the data did not arrive while mapped"))
		return false;
	if (!check(m, iommu_unmap(domain, IOVA_STALE, PAGE_SIZE) == PAGE_SIZE,
		   __LINE__, "the unmap failed"))
		return false;
	memset(page_address(pages->dst), 0, PAGE_SIZE);
	if (!check(m, !edu_dma(IOVA_STALE, true), __LINE__, "the write DMA timed out"))
		return false;
	return check(m, page_filled(pages->dst, 0), __LINE__,
		     "DMA through a stale TLB entry reached the unmapped page");
}

typedef bool (*edu_case_fn)(struct seq_file *m, struct iommu_domain *domain,
			    struct edu_pages *pages);

/* Run @fn with the device's stream attached to a fresh domain of its own. */
static bool run_in_domain(struct seq_file *m, edu_case_fn fn, struct edu_pages *pages)
{
	struct device *dev = &edu_pdev->dev;
	struct iommu_domain *domain;
	bool ok;

	domain = iommu_paging_domain_alloc(dev);
	if (!check(m, !IS_ERR(domain), __LINE__, "cannot allocate a domain"))
		return false;
	ok = check(m, !iommu_attach_device(domain, dev), __LINE__,
		   "cannot attach the device");
	if (ok) {
		ok = fn(m, domain, pages);
		iommu_detach_device(domain, dev);
	}
	iommu_domain_free(domain);
	return ok;
}

/*
 * (c) No domain: the stream is blocked (its STE aborts), so even an IOVA
 * equal to a physical address does not reach memory.
 */
static bool dma_without_domain(struct seq_file *m, struct edu_pages *pages)
{
	if (!check(m, !edu_dma(page_to_phys(pages->victim), true), __LINE__,
		   "the write DMA timed out"))
		return false;
	return check(m, page_filled(pages->victim, 0), __LINE__,
		     "DMA from a stream without a domain reached memory");
}

/* The edu device's stream ID on the (only) SMMU: its PCI requester ID. */
static u32 edu_sid(void)
{
	return pci_dev_id(edu_pdev);
}

/*
 * (e) An attach whose commands fail after the stream's STE went live, made
 * with raw hypercalls behind the host driver's back (the stream is blocked
 * for the driver): the stream aborts again, and once the domain is freed
 * and its ID (and TLB tag) reused by a new domain, the old IOVA does not
 * translate. Another stream is attached first, so that the domain's tag
 * is already invalidated and the failing batch is the one after the STE.
 */
static bool dma_after_failed_attach(struct seq_file *m, struct edu_pages *pages)
{
	u32 sid = edu_sid();
	bool ok = false;
	struct hvc r;

	/* Through a domain of the driver's, so that a leak would show. */
	if (!run_in_domain(m, load_pattern, pages))
		return false;
	if (!check(m, !alloc_domain(RAW_DOMAIN), __LINE__, "cannot allocate the domain"))
		return false;
	if (!check(m, !attach(0, RAW_DOMAIN, RAW_OTHER_SID).ret, __LINE__,
		   "cannot attach the other stream"))
		goto out_free;
	memset(page_address(pages->dst), 0, PAGE_SIZE);
	r = map(RAW_DOMAIN, IOVA_STALE, page_to_phys(pages->dst), SZ_4K, 1,
		IOMMU_READ | IOMMU_WRITE);
	if (!check(m, !r.ret, __LINE__, "cannot map the target"))
		goto out_detach;
	if (!check(m, !inject_cmdq_error().ret, __LINE__, "cannot inject the error"))
		goto out_unmap;
	r = attach(0, RAW_DOMAIN, sid);
	if (!check(m, r.ret == -EIO, __LINE__, "the attach did not fail with -EIO")) {
		if (!r.ret)
			detach(0, RAW_DOMAIN, sid);
		goto out_unmap;
	}
	if (!check(m, !edu_dma(IOVA_STALE, true), __LINE__, "the write DMA timed out") ||
	    !check(m, page_filled(pages->dst, 0), __LINE__,
		   "DMA after the failed attach reached the domain's page"))
		goto out_unmap;
	ok = true;
out_unmap:
	unmap(RAW_DOMAIN, IOVA_STALE, SZ_4K, 1);
out_detach:
	detach(0, RAW_DOMAIN, RAW_OTHER_SID);
out_free:
	ok &= check(m, !free_domain(RAW_DOMAIN).ret, __LINE__, "cannot free the domain");
	if (!ok)
		return false;

	/* The ID again: the new domain maps nothing at the old IOVA. */
	if (!check(m, !alloc_domain(RAW_DOMAIN), __LINE__, "cannot reallocate the domain"))
		return false;
	ok = check(m, !attach(0, RAW_DOMAIN, sid).ret, __LINE__, "cannot attach the new domain");
	if (ok) {
		ok = check(m, !edu_dma(IOVA_STALE, true), __LINE__, "the write DMA timed out") &&
		     check(m, page_filled(pages->dst, 0), __LINE__,
			   "the reused domain ID reached the freed domain's page");
		ok &= check(m, !detach(0, RAW_DOMAIN, sid).ret, __LINE__, "cannot detach");
	}
	ok &= check(m, !free_domain(RAW_DOMAIN).ret, __LINE__, "cannot free the new domain");
	return ok;
}

/* Give @page back from this CPU's memcache, and the pages taken out before it. */
static bool reclaim_donated(struct page *page)
{
	unsigned long others[KVM_IOMMU_DONATE_MAX * 4];
	unsigned int n = 0;
	bool found = false;
	struct hvc r;

	while (!found && n < ARRAY_SIZE(others)) {
		r = test_hvc(__pkvm_host_iommu_reclaim_page);
		if (r.ret < 0)
			break;
		found = r.ret == page_to_pfn(page);
		if (!found)
			others[n++] = r.ret;
	}
	while (n--)
		donate_page(pfn_to_page(others[n]));
	return found;
}

/*
 * Read @addr into the device's buffer, then write the buffer to
 * @pages->dst, which shows what came in. The read must fault: the case
 * lists @addr for the kselftest, which looks for its fault in the log.
 */
static bool dma_read_blocked(struct seq_file *m, struct edu_pages *pages, u64 addr)
{
	memset(page_address(pages->dst), 0, PAGE_SIZE);
	if (!check(m, !edu_dma(addr, false), __LINE__, "the read DMA timed out") ||
	    !check(m, !edu_dma(page_to_phys(pages->dst), true), __LINE__,
		   "the write DMA timed out"))
		return false;
	seq_printf(m, "blocked %#llx\n", addr);
	return true;
}

/*
 * (f) The identity domain, behind the host driver's back: the stream
 * reaches host pages at their own address, but not the hypervisor's
 * memory, not a page donated to the hypervisor while the stream is
 * attached (read once before, so that a TLB entry the donation did not
 * invalidate would let the read through), and not the SMMU's registers.
 * Each of those is a DMA read, which must fault; the case lists them
 * before its "ok".
 */
static bool dma_in_identity(struct seq_file *m, struct edu_pages *pages)
{
	phys_addr_t smmu_mmio = kvm_smmu_test_smmu_mmio();
	u32 sid = edu_sid();
	bool ok;
	long r;

	if (!check(m, smmu_mmio, __LINE__, "no SMMU"))
		return false;
	/* The donations go to this CPU's memcache, where the retries look. */
	migrate_disable();
	r = alloc_domain(KVM_IOMMU_IDENTITY_DOMAIN);
	ok = check(m, !r || r == -EEXIST, __LINE__, "no identity domain") &&
	     check(m, !attach(0, KVM_IOMMU_IDENTITY_DOMAIN, sid).ret, __LINE__,
		   "cannot attach the stream to the identity domain");
	if (!ok)
		goto out;
	memset(page_address(pages->src), 0xa5, PAGE_SIZE);
	ok = check(m, !edu_dma(page_to_phys(pages->src), false), __LINE__,
		   "the read DMA timed out") &&
	     check(m, !edu_dma(page_to_phys(pages->dst), true), __LINE__,
		   "the write DMA timed out") &&
	     check(m, page_filled(pages->dst, 0xa5), __LINE__,
		   "DMA to a host page did not arrive");
	ok = ok && dma_read_blocked(m, pages, hyp_mem_base) &&
	     dma_read_blocked(m, pages, smmu_mmio);
	if (ok) {
		/* Read once while the host owns it, so that the SMMU's TLB holds it. */
		memset(page_address(pages->victim), 0x5a, PAGE_SIZE);
		memset(page_address(pages->dst), 0, PAGE_SIZE);
		ok = check(m, !edu_dma(page_to_phys(pages->victim), false) &&
			   !edu_dma(page_to_phys(pages->dst), true), __LINE__,
			   "the DMA timed out") &&
		     check(m, page_filled(pages->dst, 0x5a), __LINE__,
			   "DMA from a host page did not arrive") &&
		     check(m, !donate_page(pages->victim).ret, __LINE__, "cannot donate a page");
		if (ok) {
			ok = dma_read_blocked(m, pages, page_to_phys(pages->victim)) &&
			     check(m, !memchr(page_address(pages->dst), 0x5a, PAGE_SIZE),
				   __LINE__, "a page donated to the hypervisor was read");
			/* Never free a page the hypervisor still holds. */
			if (!reclaim_donated(pages->victim)) {
				pages->victim = NULL;
				ok = check(m, false, __LINE__, "the donated page is lost");
			}
		}
	}
	ok &= check(m, !detach(0, KVM_IOMMU_IDENTITY_DOMAIN, sid).ret, __LINE__,
		    "cannot detach");
out:
	migrate_enable();
	return ok;
}

/*
 * Map @page alone at IOVA_STALE of RAW_DOMAIN, write the device's 0xa5
 * through the mapping, so that the SMMU's TLB holds it, then unmap it
 * lazily: the hypervisor must keep the page counted.
 */
static bool write_then_lazy_unmap(struct seq_file *m, struct page *page)
{
	memset(page_address(page), 0, PAGE_SIZE);
	return check(m, !map(RAW_DOMAIN, IOVA_STALE, page_to_phys(page), SZ_4K, 1,
			     IOMMU_READ | IOMMU_WRITE).ret, __LINE__, "cannot map the page") &&
	       check(m, !edu_dma(IOVA_STALE, true), __LINE__, "the write DMA timed out") &&
	       check(m, page_filled(page, 0xa5), __LINE__,
		     "the data did not arrive while mapped") &&
	       check(m, !unmap_flags(RAW_DOMAIN, IOVA_STALE, SZ_4K, 1, KVM_IOMMU_UNMAP_DEFER).ret,
		     __LINE__, "the lazy unmap failed") &&
	       check(m, deferred_pages() > 0, __LINE__,
		     "the hypervisor does not count the lazily unmapped page");
}

/*
 * Before any flush, the old IOVA may still reach the page through the TLB:
 * allowed while the host owns it. Sharing the page with the hypervisor
 * completes the deferred unmap: the share passes, and then a write to the
 * old IOVA faults and leaves the page, which the host still sees, as it is.
 */
static bool lazy_unmap_then_share(struct seq_file *m, struct page *page)
{
	bool ok;

	if (!write_then_lazy_unmap(m, page))
		return false;
	memset(page_address(page), 0x5a, PAGE_SIZE);
	if (!check(m, !edu_dma(IOVA_STALE, true), __LINE__, "the write DMA timed out") ||
	    !check(m, page_filled(page, 0x5a) || page_filled(page, 0xa5), __LINE__,
		   "a write through the old IOVA left something else"))
		return false;
	if (!check(m, !test_hvc(__pkvm_host_share_hyp, page_to_pfn(page)).ret, __LINE__,
		   "cannot share a page whose unmap is deferred"))
		return false;
	memset(page_address(page), 0x5a, PAGE_SIZE);
	ok = check(m, !edu_dma(IOVA_STALE, true), __LINE__, "the write DMA timed out") &&
	     check(m, page_filled(page, 0x5a), __LINE__,
		   "a write through the old IOVA reached a page shared with the hypervisor");
	ok &= check(m, !test_hvc(__pkvm_host_unshare_hyp, page_to_pfn(page)).ret, __LINE__,
		    "cannot unshare the page");
	return ok;
}

/*
 * Donating the page to the hypervisor completes the deferred unmap too:
 * the donation passes, and a read from the old IOVA then faults and brings
 * nothing of the page to @pages->dst.
 */
static bool lazy_unmap_then_donate(struct seq_file *m, struct edu_pages *pages)
{
	struct page *page = pages->victim;
	bool ok;

	if (!write_then_lazy_unmap(m, page))
		return false;
	memset(page_address(page), 0x5a, PAGE_SIZE);
	/* The donation goes to this CPU's memcache, where the reclaim looks. */
	migrate_disable();
	ok = check(m, !donate_page(page).ret, __LINE__,
		   "cannot donate a page whose unmap is deferred");
	if (ok) {
		ok = dma_read_blocked(m, pages, IOVA_STALE) &&
		     check(m, !memchr(page_address(pages->dst), 0x5a, PAGE_SIZE), __LINE__,
			   "a read through the old IOVA reached a donated page");
		/* Never free a page the hypervisor still holds. */
		if (!reclaim_donated(page)) {
			pages->victim = NULL;
			ok = check(m, false, __LINE__, "the donated page is lost");
		}
	}
	migrate_enable();
	return ok;
}

/*
 * (g) Lazy unmaps, behind the host driver's back: a page whose unmap is
 * deferred stays counted until a flush, and the transitions that take it
 * from the host complete the unmap themselves rather than fail.
 */
static bool dma_after_lazy_unmap(struct seq_file *m, struct edu_pages *pages)
{
	u32 sid = edu_sid();
	bool ok;

	/* The device's buffer holds 0xa5, written through a domain of the driver's. */
	if (!run_in_domain(m, load_pattern, pages))
		return false;
	if (!check(m, !alloc_domain(RAW_DOMAIN), __LINE__, "cannot allocate the domain"))
		return false;
	ok = check(m, !attach(0, RAW_DOMAIN, sid).ret, __LINE__, "cannot attach the stream");
	if (ok) {
		ok = lazy_unmap_then_share(m, pages->dst) && lazy_unmap_then_donate(m, pages);
		ok &= check(m, !detach(0, RAW_DOMAIN, sid).ret, __LINE__, "cannot detach");
	}
	ok &= check(m, !free_domain(RAW_DOMAIN).ret, __LINE__, "cannot free the domain");
	return ok;
}

/*
 * What make bench counts: CALLS_PER_RUN maps of @nr_pages pages, each at
 * its own IOVA and all of the same pages, then their unmaps, with the
 * device's stream attached, as dma-iommu makes them for DMA mappings.
 */
static bool run_calls(struct seq_file *m, struct iommu_domain *domain, unsigned int nr_pages)
{
	size_t size = nr_pages * PAGE_SIZE;
	struct page *pages = alloc_pages(GFP_KERNEL, get_order(size));
	unsigned int i, mapped;
	bool ok = true;

	if (!check(m, pages, __LINE__, "cannot allocate the pages"))
		return false;
	pr_info("pkvm-smmu-dma: calls of %u pages: maps start\n", nr_pages);
	for (mapped = 0; mapped < CALLS_PER_RUN && ok; mapped++)
		ok = check(m, !iommu_map(domain, IOVA_CALLS + mapped * size, page_to_phys(pages),
					 size, IOMMU_READ | IOMMU_WRITE, GFP_KERNEL),
			   __LINE__, "a map failed");
	pr_info("pkvm-smmu-dma: calls of %u pages: maps end, unmaps start\n", nr_pages);
	for (i = 0; i < mapped; i++)
		ok &= check(m, iommu_unmap(domain, IOVA_CALLS + i * size, size) == size,
			    __LINE__, "an unmap failed");
	pr_info("pkvm-smmu-dma: calls of %u pages: unmaps end\n", nr_pages);
	__free_pages(pages, get_order(size));
	return ok;
}

static bool calls_1(struct seq_file *m, struct iommu_domain *domain, struct edu_pages *pages)
{
	return run_calls(m, domain, 1);
}

static bool calls_16(struct seq_file *m, struct iommu_domain *domain, struct edu_pages *pages)
{
	return run_calls(m, domain, 16);
}

static bool calls_256(struct seq_file *m, struct iommu_domain *domain, struct edu_pages *pages)
{
	return run_calls(m, domain, 256);
}

enum edu_case {
	EDU_MAPPED, EDU_UNMAPPED, EDU_NO_DOMAIN, EDU_STALE_TLB, EDU_FAILED_ATTACH,
	EDU_IDENTITY, EDU_LAZY_UNMAP, EDU_CALLS_1, EDU_CALLS_16, EDU_CALLS_256, EDU_NR_CASES
};

static const char * const edu_case_names[EDU_NR_CASES] = {
	"dma_to_mapped_iova", "dma_to_unmapped_iova", "dma_without_domain",
	"dma_after_unmap", "dma_after_failed_attach", "dma_in_identity", "dma_after_lazy_unmap",
	"calls_1", "calls_16", "calls_256",
};

static bool run_case(struct seq_file *m, enum edu_case c, struct edu_pages *pages)
{
	switch (c) {
	case EDU_MAPPED:
		return run_in_domain(m, dma_to_mapped_iova, pages);
	case EDU_UNMAPPED:
		return run_in_domain(m, dma_to_unmapped_iova, pages);
	case EDU_NO_DOMAIN:
		return dma_without_domain(m, pages);
	case EDU_STALE_TLB:
		return run_in_domain(m, dma_after_unmap, pages);
	case EDU_FAILED_ATTACH:
		return dma_after_failed_attach(m, pages);
	case EDU_IDENTITY:
		return dma_in_identity(m, pages);
	case EDU_LAZY_UNMAP:
		return dma_after_lazy_unmap(m, pages);
	case EDU_CALLS_1:
		return run_in_domain(m, calls_1, pages);
	case EDU_CALLS_16:
		return run_in_domain(m, calls_16, pages);
	case EDU_CALLS_256:
		return run_in_domain(m, calls_256, pages);
	default:
		return false;
	}
}

static int edu_case_show(struct seq_file *m, void *unused)
{
	enum edu_case c = (uintptr_t)m->private;
	struct edu_pages pages = {
		.src = alloc_page(GFP_KERNEL | __GFP_ZERO),
		.dst = alloc_page(GFP_KERNEL | __GFP_ZERO),
		.victim = alloc_page(GFP_KERNEL | __GFP_ZERO),
	};
	struct device *dev;
	int ret = 0;

	if (!pages.src || !pages.dst || !pages.victim) {
		ret = -ENOMEM;
		goto out_free;
	}
	mutex_lock(&edu_lock);
	if (!edu_pdev) {
		seq_puts(m, "FAIL: no edu device\n");
		goto out_unlock;
	}
	dev = &edu_pdev->dev;
	/* From the DMA API's default domain to blocked: this test owns DMA. */
	ret = iommu_device_claim_dma_owner(dev, &edu_lock);
	if (ret) {
		seq_printf(m, "FAIL: cannot take the device from the DMA API: %d\n", ret);
		ret = 0;
		goto out_unlock;
	}
	if (run_case(m, c, &pages))
		seq_puts(m, "ok\n");
	iommu_device_release_dma_owner(dev);
	reclaim_all();
out_unlock:
	mutex_unlock(&edu_lock);
out_free:
	__free_page(pages.src);
	__free_page(pages.dst);
	if (pages.victim)
		__free_page(pages.victim);
	return ret;
}
DEFINE_SHOW_ATTRIBUTE(edu_case);

static int edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct dentry *dir;
	uintptr_t c;
	int ret;

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	edu_regs = pcim_iomap(pdev, 0, 0);
	if (!edu_regs)
		return -ENOMEM;
	pci_set_master(pdev);
	edu_pdev = pdev;

	dir = debugfs_create_dir("pkvm-smmu-dma", NULL);
	for (c = 0; c < EDU_NR_CASES; c++)
		debugfs_create_file(edu_case_names[c], 0400, dir, (void *)c,
				    &edu_case_fops);
	return 0;
}

static const struct pci_device_id edu_ids[] = {
	{ PCI_DEVICE(EDU_VENDOR, EDU_DEVICE) },
	{ }
};

static struct pci_driver edu_driver = {
	.name			= "pkvm-smmu-dma-test",
	.id_table		= edu_ids,
	.probe			= edu_probe,
	.driver_managed_dma	= true,
};
builtin_pci_driver(edu_driver);
