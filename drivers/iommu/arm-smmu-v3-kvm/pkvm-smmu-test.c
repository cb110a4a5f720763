// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile-host tests of the pKVM IOMMU hypercalls, for test kernels only.
 *
 * Each file in /sys/kernel/debug/pkvm-smmu-test/ is one named case: reading
 * it makes the hypercalls of the case from the host kernel, as a
 * compromised host could, and returns "ok" or what went wrong. Every case
 * ends by checking that the hypervisor still maps and unmaps normally.
 * Writing to read_smmu_mmio makes the host read the SMMU's registers, which
 * the hypervisor does not allow: the expected outcome is a hypervisor panic.
 */
#include <linux/arm-smccc.h>
#include <linux/debugfs.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/kvm_host.h>
#include <linux/of.h>
#include <linux/of_address.h>
#include <linux/seq_file.h>
#include <asm/kvm_asm.h>
#include <kvm/arm_pkvm_iommu.h>

/* Far from the IDs the driver hands out from 0 up. */
#define TEST_DOMAIN		(KVM_IOMMU_MAX_DOMAINS - 1)
#define UNUSED_SID		0xfffe
#define TEST_IOVA		0x10000000UL
#define RW			(IOMMU_READ | IOMMU_WRITE)

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

static phys_addr_t smmu_mmio;

static int donate(unsigned long n)
{
	while (n--) {
		struct page *p = alloc_page(GFP_KERNEL);

		if (!p || test_hvc(__pkvm_host_iommu_donate_page, page_to_pfn(p)).ret)
			return -ENOMEM;
	}
	return 0;
}

static long alloc_domain(u32 id)
{
	struct hvc r;

	do {
		r = test_hvc(__pkvm_host_iommu_alloc_domain, id);
	} while (r.ret == -ENOMEM && !donate(r.x2));
	return r.ret;
}

static struct hvc map(u32 id, u64 iova, phys_addr_t pa, u64 pgsize, u64 n, int prot)
{
	struct hvc r;

	do {
		r = test_hvc(__pkvm_host_iommu_map_pages, id, iova, pa, pgsize, n, prot);
	} while (r.ret == -ENOMEM && r.x3 && !donate(r.x3));
	return r;
}

static bool check(struct seq_file *m, bool ok, int line, const char *what)
{
	if (!ok)
		seq_printf(m, "FAIL line %d: %s\n", line, what);
	return ok;
}

static bool check_ret(struct seq_file *m, struct hvc r, long want, int line)
{
	if (r.status == SMCCC_RET_SUCCESS && r.ret == want)
		return true;
	seq_printf(m, "FAIL line %d: returned %ld (status %ld), documented %ld\n",
		   line, r.ret, (long)r.status, want);
	return false;
}

/* The hypervisor still serves a normal map and unmap. */
static bool still_works(struct seq_file *m, struct page *page)
{
	struct hvc r;

	r = map(TEST_DOMAIN, TEST_IOVA + SZ_1M, page_to_phys(page), SZ_4K, 1, RW);
	if (!check_ret(m, r, 0, __LINE__))
		return false;
	r = test_hvc(__pkvm_host_iommu_iova_to_phys, TEST_DOMAIN, TEST_IOVA + SZ_1M);
	if (!check(m, (phys_addr_t)r.ret == page_to_phys(page), __LINE__,
		   "iova_to_phys returned another page"))
		return false;
	r = test_hvc(__pkvm_host_iommu_unmap_pages, TEST_DOMAIN, TEST_IOVA + SZ_1M, SZ_4K, 1);
	return check(m, !r.ret && r.x2 == SZ_4K, __LINE__, "the unmap failed");
}

/* A case returns whether every check held; failures are in @m. */
typedef bool (*test_case_fn)(struct seq_file *m, struct page *page);

static bool map_hyp_memory(struct seq_file *m, struct page *page)
{
	struct hvc r = map(TEST_DOMAIN, TEST_IOVA, hyp_mem_base, SZ_4K, 1, RW);

	if (!check_ret(m, r, -EPERM, __LINE__))
		return false;
	if (!check(m, r.x2 == 0, __LINE__, "part of the range was mapped"))
		return false;
	return true;
}

static bool map_smmu_mmio(struct seq_file *m, struct page *page)
{
	struct hvc r = map(TEST_DOMAIN, TEST_IOVA, smmu_mmio, SZ_4K, 1,
			   RW | IOMMU_MMIO);

	if (!check(m, smmu_mmio, __LINE__, "no SMMU in the device tree"))
		return false;
	if (!check_ret(m, r, -EPERM, __LINE__))
		return false;
	return true;
}

/* A page in the hypervisor's memcache is the hypervisor's. */
static bool map_page_donated_to_hyp(struct seq_file *m, struct page *page)
{
	struct page *donated = alloc_page(GFP_KERNEL);
	struct hvc r;

	if (!check(m, donated, __LINE__, "no memory"))
		return false;
	r = test_hvc(__pkvm_host_iommu_donate_page, page_to_pfn(donated));
	if (!check_ret(m, r, 0, __LINE__))
		return false;
	r = map(TEST_DOMAIN, TEST_IOVA, page_to_phys(donated), SZ_4K, 1, RW);
	if (!check_ret(m, r, -EPERM, __LINE__))
		return false;
	return true;
}

/* A DMA-mapped page cannot be donated; once unmapped it can. */
static bool donate_dma_mapped_page(struct seq_file *m, struct page *page)
{
	struct page *victim = alloc_page(GFP_KERNEL);
	struct hvc r;

	if (!check(m, victim, __LINE__, "no memory"))
		return false;
	r = map(TEST_DOMAIN, TEST_IOVA, page_to_phys(victim), SZ_4K, 1, RW);
	if (!check_ret(m, r, 0, __LINE__))
		return false;
	r = test_hvc(__pkvm_host_iommu_donate_page, page_to_pfn(victim));
	if (!check_ret(m, r, -EBUSY, __LINE__))
		return false;
	r = test_hvc(__pkvm_host_iommu_unmap_pages, TEST_DOMAIN, TEST_IOVA, SZ_4K, 1);
	if (!check(m, !r.ret && r.x2 == SZ_4K, __LINE__, "the unmap failed"))
		return false;
	r = test_hvc(__pkvm_host_iommu_donate_page, page_to_pfn(victim));
	if (!check_ret(m, r, 0, __LINE__))
		return false;
	return true;
}

static bool free_attached_domain(struct seq_file *m, struct page *page)
{
	struct hvc r;

	do {
		r = test_hvc(__pkvm_host_iommu_attach_dev, 0, TEST_DOMAIN, UNUSED_SID);
	} while (r.ret == -ENOMEM && !donate(r.x2));
	if (!check_ret(m, r, 0, __LINE__))
		goto out;
	r = test_hvc(__pkvm_host_iommu_attach_dev, 0, TEST_DOMAIN, UNUSED_SID);
	if (!check_ret(m, r, -EBUSY, __LINE__))
		goto out;
	r = test_hvc(__pkvm_host_iommu_free_domain, TEST_DOMAIN);
	if (!check_ret(m, r, -EBUSY, __LINE__))
		goto out;
	r = test_hvc(__pkvm_host_iommu_detach_dev, 0, TEST_DOMAIN, UNUSED_SID);
	if (!check_ret(m, r, 0, __LINE__))
		goto out;
	r = test_hvc(__pkvm_host_iommu_detach_dev, 0, TEST_DOMAIN, UNUSED_SID);
	if (!check_ret(m, r, -ENOENT, __LINE__))
		goto out;
	r = test_hvc(__pkvm_host_iommu_attach_dev, 0, TEST_DOMAIN, 1 << 16);
	if (!check_ret(m, r, -EINVAL, __LINE__))
		goto out;
	r = test_hvc(__pkvm_host_iommu_attach_dev, 8, TEST_DOMAIN, 0);
	if (!check_ret(m, r, -EINVAL, __LINE__))
		goto out;
	return true;
out:
	test_hvc(__pkvm_host_iommu_detach_dev, 0, TEST_DOMAIN, UNUSED_SID);
	return false;
}

/* Reclaim gives back only unused pages: the mapped domain keeps working. */
static bool reclaim_pages_in_use(struct seq_file *m, struct page *page)
{
	struct hvc r = map(TEST_DOMAIN, TEST_IOVA, page_to_phys(page), SZ_4K, 1, RW);
	int n;

	if (!check_ret(m, r, 0, __LINE__))
		return false;
	for (n = 0; n < 100000; n++) {
		r = test_hvc(__pkvm_host_iommu_reclaim_page);
		if (r.ret < 0)
			break;
		__free_page(pfn_to_page(r.ret));
	}
	if (!check_ret(m, r, -ENOENT, __LINE__))
		return false;
	r = test_hvc(__pkvm_host_iommu_iova_to_phys, TEST_DOMAIN, TEST_IOVA);
	if (!check(m, (phys_addr_t)r.ret == page_to_phys(page), __LINE__,
		   "the translation was lost"))
		return false;
	r = test_hvc(__pkvm_host_iommu_unmap_pages, TEST_DOMAIN, TEST_IOVA, SZ_4K, 1);
	if (!check(m, !r.ret && r.x2 == SZ_4K, __LINE__, "the unmap failed"))
		return false;
	return true;
}

/* Registration is an initialization hypercall: refused after finalize. */
static bool register_after_finalize(struct seq_file *m, struct page *page)
{
	struct hvc r = test_hvc(__pkvm_smmu_register, smmu_mmio, SZ_128K,
				page_to_pfn(page), 1);

	if (!check(m, r.status == SMCCC_RET_NOT_SUPPORTED, __LINE__,
		   "the hypercall was not refused as an init call"))
		return false;
	return true;
}

static const struct {
	const char *name;
	test_case_fn fn;
} test_cases[] = {
	{ "map_hyp_memory", map_hyp_memory },
	{ "map_smmu_mmio", map_smmu_mmio },
	{ "map_page_donated_to_hyp", map_page_donated_to_hyp },
	{ "donate_dma_mapped_page", donate_dma_mapped_page },
	{ "free_attached_domain", free_attached_domain },
	{ "reclaim_pages_in_use", reclaim_pages_in_use },
	{ "register_after_finalize", register_after_finalize },
};

static int test_case_show(struct seq_file *m, void *unused)
{
	test_case_fn fn = m->private;
	struct page *page = alloc_page(GFP_KERNEL);
	long ret;

	if (!page)
		return -ENOMEM;
	ret = alloc_domain(TEST_DOMAIN);
	if (ret) {
		seq_printf(m, "FAIL: cannot allocate the test domain: %ld\n", ret);
	} else {
		if (fn(m, page) && still_works(m, page))
			seq_puts(m, "ok\n");
		test_hvc(__pkvm_host_iommu_free_domain, TEST_DOMAIN);
	}
	__free_page(page);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(test_case);

static ssize_t read_smmu_mmio_write(struct file *file, const char __user *buf,
				    size_t count, loff_t *ppos)
{
	void __iomem *base = ioremap(smmu_mmio, SZ_4K);

	if (!base)
		return -ENOMEM;
	pr_info("pkvm-smmu-test: reading the SMMU's IDR0 from the host\n");
	pr_err("pkvm-smmu-test: the host read IDR0 = %#x: the SMMU is NOT protected\n",
	       readl(base));
	iounmap(base);
	return count;
}

static const struct file_operations read_smmu_mmio_fops = {
	.write = read_smmu_mmio_write,
};

static int __init pkvm_smmu_test_init(void)
{
	struct device_node *np;
	struct resource res;
	struct dentry *dir;
	unsigned int i;

	if (!is_protected_kvm_enabled())
		return 0;
	np = of_find_compatible_node(NULL, NULL, "arm,smmu-v3");
	if (np && !of_address_to_resource(np, 0, &res))
		smmu_mmio = res.start;
	of_node_put(np);

	dir = debugfs_create_dir("pkvm-smmu-test", NULL);
	for (i = 0; i < ARRAY_SIZE(test_cases); i++)
		debugfs_create_file(test_cases[i].name, 0400, dir,
				    test_cases[i].fn, &test_case_fops);
	debugfs_create_file("read_smmu_mmio", 0200, dir, NULL, &read_smmu_mmio_fops);
	return 0;
}
late_initcall(pkvm_smmu_test_init);
