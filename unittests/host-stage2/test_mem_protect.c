// SPDX-License-Identifier: GPL-2.0
/*
 * The hypervisor's ownership transitions (mem_protect.c), its allocator,
 * the DMA accounting (host_dma.c) and the FF-A proxy (ffa.c), as the series
 * leaves them, on the real stage-2 walker, at "EL2" in userspace.
 *
 * Physical memory is mapped at its own address, which is also the
 * hypervisor's virtual address (hyp_physvirt_offset is 0): two memory
 * regions with a no-map carve-out between them. The host stage-2 starts
 * empty and the host faults its pages in (handle_host_mem_abort()), as on
 * a real boot; the hypervisor's own pages are in a stage-1 of its own. The
 * vmemmap is readable for memory only, as at EL2: a read of it for any
 * other address faults. The SPMD is a fake that answers the FF-A calls the
 * proxy makes and can refuse any of them. A WARN or a BUG is fatal, as at
 * EL2. Prints TAP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/arm-smccc.h>
#include <linux/arm_ffa.h>
#include <linux/iommu.h>
#include <nvhe/ffa.h>
#include <nvhe/gfp.h>
#include <nvhe/host_dma.h>
#include <nvhe/iommu.h>
#include <nvhe/mem_protect.h>
#include <nvhe/mm.h>

#include "../iommu-core/harness/host_dma_count.h"

/*
 * Physical memory: region 0 [MEM0, +8MiB), a 2MiB carve-out, region 1,
 * which ends one page into a 2MiB block, as a region does when firmware
 * reserves a page at its end.
 */
#define MEM0		0x40000000UL
#define MEM0_SIZE	SZ_8M
#define CARVE_OUT	(MEM0 + MEM0_SIZE)
#define MEM1		(CARVE_OUT + SZ_2M)
#define MEM1_SIZE	(SZ_4M + PAGE_SIZE)
#define PHYS_TOP	(MEM1 + MEM1_SIZE)
#define MMIO_BASE	0x09000000UL
/* The hypervisor's pages: the first 2MiB of region 0, as pKVM carves them. */
#define HYP_AREA	MEM0
#define HYP_AREA_SIZE	SZ_2M
#define HOST_S2_PAGES	64
#define HYP_S1_PAGES	64
#define FFA_PAGES	(2 * KVM_FFA_MBOX_NR_PAGES + HARNESS_FFA_DESC_PAGES)
/* Host pages the tests use, in region 1 and at the end of region 0. */
#define HOST_PAGE(i)	(MEM1 + (u64)(i) * PAGE_SIZE)
#define MEM0_LAST	(MEM0 + MEM0_SIZE - PAGE_SIZE)
#define MEM1_LAST	(MEM1 + MEM1_SIZE - PAGE_SIZE)

/* What the code under test takes from the rest of the hypervisor */
__thread int harness_cpu;
void (*harness_preempt)(void);
void (*harness_lock_hook)(hyp_spinlock_t *lock);
int harness_fence_word;
unsigned long harness_device_order;
struct memblock_region hyp_memory[HYP_MEMBLOCK_REGIONS];
unsigned int hyp_memblock_nr;
struct kvm_nvhe_init_params kvm_init_params[HARNESS_NR_CPUS];
u64 id_aa64mmfr0_el1_sys_val, id_aa64mmfr1_el1_sys_val;
bool kvm_protected_mode_initialized = true;
struct psci_config kvm_host_psci_config = { .smccc_version = ARM_SMCCC_VERSION_1_2 };
struct kvm_pgtable pkvm_pgtable;
hyp_spinlock_t pkvm_pgd_lock;
unsigned long hyp_nr_cpus = HARNESS_NR_CPUS;

static u64 fault_ipa;

u64 harness_sysreg(const char *name)
{
	if (!strcmp(name, "hpfar_el2"))
		return (fault_ipa >> 12) << 4;
	if (!strcmp(name, "SYS_ESR") || !strcmp(name, "SYS_FAR"))
		return 0;
	fprintf(stderr, "read of %s, which the harness does not model\n", name);
	abort();
}

unsigned long host_s2_pgtable_pages(void)
{
	return HOST_S2_PAGES;
}

/* ---- The hypervisor's stage-1, with table pages from a pool of its own ---- */

static struct hyp_pool hyp_s1_pool;

static void *hyp_s1_zalloc_page(void *arg)
{
	void *va = hyp_alloc_pages(&hyp_s1_pool, 0);

	if (va)
		memset(va, 0, PAGE_SIZE);
	return va;
}

static void hyp_s1_get_page(void *addr)
{
	hyp_get_page(&hyp_s1_pool, addr);
}

static void hyp_s1_put_page(void *addr)
{
	hyp_put_page(&hyp_s1_pool, addr);
}

static struct kvm_pgtable_mm_ops hyp_s1_mm_ops = {
	.zalloc_page	= hyp_s1_zalloc_page,
	.phys_to_virt	= hyp_phys_to_virt,
	.virt_to_phys	= hyp_virt_to_phys,
	.get_page	= hyp_s1_get_page,
	.put_page	= hyp_s1_put_page,
	.page_count	= hyp_page_count,
};

int pkvm_create_mappings_locked(void *from, void *to, enum kvm_pgtable_prot prot)
{
	u64 va;
	int ret;

	for (va = ALIGN_DOWN((u64)from, PAGE_SIZE); va < (u64)to; va += PAGE_SIZE) {
		ret = kvm_pgtable_hyp_map(&pkvm_pgtable, va, PAGE_SIZE, __hyp_pa(va), prot);
		if (ret)
			return ret;
	}
	return 0;
}

/* The harness maps all memory at its own address: so does the fixmap. */
void *hyp_fixmap_map(phys_addr_t phys)
{
	return hyp_phys_to_virt(phys);
}

void hyp_fixmap_unmap(void)
{
}

/* ---- A fake SPMD ---- */

static struct {
	void *tx, *rx;		/* The hypervisor's mailboxes */
	bool refuse_xfer;	/* Refuse FFA_MEM_SHARE/LEND */
	bool refuse_frag;	/* Refuse FFA_MEM_FRAG_TX */
	unsigned char desc[8 * PAGE_SIZE] __aligned(8);	/* The last one shared */
	u32 len, got;
	int calls[128];		/* By function number */
} spmd;

static void spmd_error(struct arm_smccc_res *res, int err)
{
	*res = (struct arm_smccc_res){ .a0 = FFA_ERROR, .a2 = (unsigned long)err };
}

void harness_smc(u64 fn, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5, u64 a6, u64 a7,
		 struct arm_smccc_res *res)
{
	spmd.calls[ARM_SMCCC_FUNC_NUM(fn) & 127]++;
	*res = (struct arm_smccc_res){ .a0 = FFA_SUCCESS };
	switch (fn) {
	case FFA_VERSION:
		res->a0 = FFA_VERSION_1_1;
		break;
	case FFA_ID_GET:
		res->a2 = 0;	/* HOST_FFA_ID */
		break;
	case FFA_FEATURES:
		res->a2 = FFA_FEAT_RXTX_MIN_SZ_4K;
		break;
	case FFA_FN64_RXTX_MAP:
		spmd.tx = hyp_phys_to_virt(a1);
		spmd.rx = hyp_phys_to_virt(a2);
		break;
	case FFA_RX_RELEASE:
	case FFA_RXTX_UNMAP:
		break;
	case FFA_FN64_MEM_SHARE:
	case FFA_FN64_MEM_LEND:
		if (spmd.refuse_xfer || a1 > sizeof(spmd.desc))
			return spmd_error(res, FFA_RET_DENIED);
		spmd.len = a1;
		spmd.got = a2;
		memcpy(spmd.desc, spmd.tx, a2);
		if (a2 != a1) {
			res->a0 = FFA_MEM_FRAG_RX;
			res->a3 = a2;
		} else {
			res->a2 = 1;	/* The handle */
		}
		break;
	case FFA_MEM_FRAG_TX:
		if (spmd.refuse_frag || spmd.got + a3 > spmd.len)
			return spmd_error(res, FFA_RET_INVALID_PARAMETERS);
		memcpy(spmd.desc + spmd.got, spmd.tx, a3);
		spmd.got += a3;
		if (spmd.got != spmd.len) {
			res->a0 = FFA_MEM_FRAG_RX;
			res->a3 = spmd.got;
		}
		break;
	case FFA_FN64_MEM_RETRIEVE_REQ:
		if (spmd.len > PAGE_SIZE)
			return spmd_error(res, FFA_RET_NO_MEMORY);
		memcpy(spmd.rx, spmd.desc, spmd.len);
		res->a0 = FFA_MEM_RETRIEVE_RESP;
		res->a1 = spmd.len;
		res->a2 = spmd.len;
		break;
	case FFA_MEM_RECLAIM:
		spmd.len = 0;
		break;
	default:
		return spmd_error(res, FFA_RET_NOT_SUPPORTED);
	}
}

/* ---- Boot: the regions, the vmemmap, both stage-2 and stage-1 ---- */

static void map_fixed(u64 pa, u64 size)
{
	void *p = mmap((void *)pa, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (p != (void *)pa) {
		fprintf(stderr, "cannot map 0x%llx\n", (unsigned long long)pa);
		exit(1);
	}
}

/* The vmemmap of memory only: any other entry faults, as at EL2. */
static void map_vmemmap(void)
{
	u64 entries = PHYS_TOP >> PAGE_SHIFT, size = entries * sizeof(struct hyp_page);
	unsigned int i;
	char *base;

	base = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		exit(1);
	__hyp_vmemmap = (u64)base;
	for (i = 0; i < hyp_memblock_nr; i++) {
		u64 from = (u64)hyp_phys_to_page(hyp_memory[i].base);
		u64 to = (u64)hyp_phys_to_page(hyp_memory[i].base + hyp_memory[i].size);

		from = ALIGN_DOWN(from, 4096);
		if (mprotect((void *)from, PAGE_ALIGN(to) - from, PROT_READ | PROT_WRITE))
			exit(1);
	}
}

static void boot(u32 parange)
{
	void *s2_pool = (void *)HYP_AREA;
	u64 s1_pool = HYP_AREA + HOST_S2_PAGES * PAGE_SIZE;
	int ret;

	map_fixed(MEM0, MEM0_SIZE);
	map_fixed(MEM1, MEM1_SIZE);
	hyp_memory[0] = (struct memblock_region){ .base = MEM0, .size = MEM0_SIZE };
	hyp_memory[1] = (struct memblock_region){ .base = MEM1, .size = MEM1_SIZE };
	hyp_memblock_nr = 2;
	map_vmemmap();

	id_aa64mmfr0_el1_sys_val = parange;
	ret = kvm_host_prepare_stage2(s2_pool);
	if (!ret)
		ret = hyp_pool_init(&hyp_s1_pool, s1_pool >> PAGE_SHIFT, HYP_S1_PAGES, 0);
	if (!ret)
		ret = kvm_pgtable_hyp_init(&pkvm_pgtable, 48, &hyp_s1_mm_ops);
	/* The hypervisor owns its area: mapped at EL2, taken from the host. */
	if (!ret)
		ret = pkvm_create_mappings_locked((void *)HYP_AREA,
						  (void *)(HYP_AREA + HYP_AREA_SIZE),
						  PAGE_HYP);
	if (!ret) {
		hyp_spin_lock(&host_mmu.lock);
		ret = host_stage2_set_owner_locked(HYP_AREA, HYP_AREA_SIZE, PKVM_ID_HYP);
		hyp_spin_unlock(&host_mmu.lock);
	}
	if (ret) {
		fprintf(stderr, "boot: %d\n", ret);
		exit(1);
	}
}

/* The host touches a page it has not touched yet. */
static void host_fault(u64 pa)
{
	struct kvm_cpu_context ctxt = {};

	fault_ipa = pa;
	handle_host_mem_abort(&ctxt);
}

/* Whether the host may map a page for DMA: the state the code keeps. */
static bool host_owns(u64 pa)
{
	int ret = __pkvm_host_share_dma(pa, PAGE_SIZE);

	if (!ret)
		__pkvm_host_unshare_dma(pa, PAGE_SIZE);
	return !ret;
}

static bool all_host_owned_pages(u64 pa, u64 nr_pages)
{
	while (nr_pages--) {
		if (!host_owns(pa))
			return false;
		pa += PAGE_SIZE;
	}
	return true;
}

static int failures, test_nr;
/* The CPU's physical address range */
static u32 pa_bits;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "# %s:%d: ", __func__, __LINE__);	\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		return false;						\
	}								\
} while (0)

static void run(const char *name, bool (*fn)(void))
{
	bool ok = fn();

	printf("%sok %d - mem-protect.pa%u.%s\n", ok ? "" : "not ", ++test_nr, pa_bits, name);
	failures += !ok;
}

/* ---- Donations and the end of a memory region ---- */

/*
 * A donation that starts on the last page of a region and runs past its
 * end is refused, whether the host stage-2 has the region faulted in or
 * not; the same page alone is taken, and given back. Region 1 ends inside
 * a 2MiB block: before the host touches it, one unpopulated entry spans
 * its last page and what follows, which the walk visits once.
 */
static bool donate_at_region_end(u64 last, u64 next)
{
	u64 pfn = last >> PAGE_SHIFT;
	int pass, ret;

	for (pass = 0; pass < 2; pass++) {
		if (pass)
			host_fault(last);
		ret = __pkvm_host_donate_hyp(pfn, 2);
		CHECK(ret == -EPERM, "0x%llx, pass %d: donation past the end: %d",
		      (unsigned long long)last, pass, ret);
		if (next) {
			ret = __pkvm_host_donate_hyp(pfn, 1 + (next - last) / PAGE_SIZE);
			CHECK(ret == -EPERM, "pass %d: donation across regions: %d", pass, ret);
		}
		CHECK(host_owns(last), "pass %d: the page left the host", pass);
	}
	ret = __pkvm_host_donate_hyp(pfn, 1);
	CHECK(!ret, "donation of the last page alone: %d", ret);
	CHECK(!host_owns(last), "a hypervisor page can be mapped for DMA");
	ret = __pkvm_hyp_donate_host(pfn, 1);
	CHECK(!ret && host_owns(last), "the page did not come back: %d", ret);
	return true;
}

static bool donate_past_region_end(void)
{
	int ret;

	if (!donate_at_region_end(MEM1_LAST, 0) || !donate_at_region_end(MEM0_LAST, MEM1))
		return false;
	ret = __pkvm_host_donate_hyp(CARVE_OUT >> PAGE_SHIFT, 1);
	CHECK(ret == -EPERM, "donation of the carve-out: %d", ret);
	ret = __pkvm_host_donate_hyp(MMIO_BASE >> PAGE_SHIFT, 1);
	CHECK(ret == -EPERM, "donation of MMIO: %d", ret);
	return true;
}

/* A page the hypervisor owns is not the host's to map, at any point. */
static bool dma_map_refused_for_hyp_pages(void)
{
	int ret = __pkvm_host_share_dma(HYP_AREA, PAGE_SIZE);

	CHECK(ret == -EPERM, "DMA map of the hypervisor's page: %d", ret);
	ret = __pkvm_host_share_dma(MEM0_LAST, 2 * PAGE_SIZE);
	CHECK(ret == -EPERM || ret == -EINVAL, "DMA map into the carve-out: %d", ret);
	return true;
}

/* ---- A guest's pages going back to the host ---- */

/* Another CPU maps race_pa for DMA before each acquisition of host_mmu.lock. */
static u64 race_pa;
static bool race_mapped;

static void map_on_other_cpu(hyp_spinlock_t *lock)
{
	if (lock != &host_mmu.lock || race_mapped)
		return;
	race_mapped = !__pkvm_host_share_dma(race_pa, PAGE_SIZE);
}

/* Whether the hypervisor's stage-1 maps a page: it owns it. */
static bool hyp_maps(u64 pa)
{
	kvm_pte_t pte = 0;

	kvm_pgtable_get_leaf(&pkvm_pgtable, (u64)hyp_phys_to_virt(pa), &pte, NULL);
	return kvm_pte_valid(pte);
}

static u64 vm_pgd, vm_pgd_pages;
static int hyp_pages_mapped;

/*
 * Another CPU maps each of the VM's pages for DMA before each acquisition
 * of host_mmu.lock: wrong while the hypervisor still has the page.
 */
static void map_vm_pages_on_other_cpu(hyp_spinlock_t *lock)
{
	u64 pa;

	if (lock != &host_mmu.lock)
		return;
	for (pa = vm_pgd; pa < vm_pgd + vm_pgd_pages * PAGE_SIZE; pa += PAGE_SIZE) {
		if (!hyp_maps(pa) || __pkvm_host_share_dma(pa, PAGE_SIZE))
			continue;
		hyp_pages_mapped++;
		__pkvm_host_unshare_dma(pa, PAGE_SIZE);
	}
}

/*
 * Teardown of a VM gives its stage-2's pages back to the host, one by one,
 * each under host_mmu.lock. Until a page's donation it is the hypervisor's,
 * and another CPU mapping it for DMA is refused.
 */
static bool reclaim_guest_pages_stay_hyp_until_donated(void)
{
	static struct pkvm_hyp_vm vm;
	struct kvm_s2_mmu *mmu = &vm.kvm.arch.mmu;
	struct kvm_hyp_memcache mc = {};
	int ret;

	mmu->vtcr = host_mmu.arch.mmu.vtcr;
	mmu->pgt = &vm.pgt;
	mmu->arch = &vm.kvm.arch;
	vm_pgd = HOST_PAGE(300);
	vm_pgd_pages = kvm_pgtable_stage2_pgd_size(mmu->vtcr) >> PAGE_SHIFT;
	ret = __pkvm_host_donate_hyp(vm_pgd >> PAGE_SHIFT, vm_pgd_pages);
	CHECK(!ret, "donation of the pgd: %d", ret);
	ret = kvm_guest_prepare_stage2(&vm, (void *)vm_pgd);
	CHECK(!ret, "guest stage-2: %d", ret);

	hyp_pages_mapped = 0;
	harness_lock_hook = map_vm_pages_on_other_cpu;
	reclaim_guest_pages(&vm, &mc);
	harness_lock_hook = NULL;
	CHECK(mc.nr_pages == vm_pgd_pages, "%lu pages reclaimed of %llu", mc.nr_pages,
	      (unsigned long long)vm_pgd_pages);
	CHECK(!hyp_pages_mapped, "a CPU mapped %d pages of the hypervisor for DMA",
	      hyp_pages_mapped);
	CHECK(all_host_owned_pages(vm_pgd, vm_pgd_pages), "a page did not come back to the host");
	return true;
}

/* ---- The FF-A proxy ---- */

static void *host_tx, *host_rx;

static u64 ffa_call(u64 fn, u64 a1, u64 a2, u64 a3, u64 a4)
{
	struct kvm_cpu_context ctxt = {};

	ctxt.regs.regs[0] = fn;
	ctxt.regs.regs[1] = a1;
	ctxt.regs.regs[2] = a2;
	ctxt.regs.regs[3] = a3;
	ctxt.regs.regs[4] = a4;
	if (!kvm_host_ffa_handler(&ctxt, fn)) {
		fprintf(stderr, "FF-A call 0x%llx not handled\n", (unsigned long long)fn);
		abort();
	}
	return ctxt.regs.regs[0] == FFA_ERROR ? (u64)(s64)(int)ctxt.regs.regs[2] :
	       ctxt.regs.regs[0];
}

static bool ffa_init(void)
{
	u64 pages = HYP_AREA + (HOST_S2_PAGES + HYP_S1_PAGES) * PAGE_SIZE;
	u64 ret;

	CHECK(!hyp_ffa_init((void *)pages), "hyp_ffa_init");
	ret = ffa_call(FFA_VERSION, FFA_VERSION_1_1, 0, 0, 0);
	CHECK(ret == FFA_VERSION_1_1, "version: 0x%llx", (unsigned long long)ret);
	host_tx = (void *)HOST_PAGE(200);
	host_rx = (void *)HOST_PAGE(201);
	ret = ffa_call(FFA_FN64_RXTX_MAP, (u64)host_tx, (u64)host_rx, 1, 0);
	CHECK(ret == FFA_SUCCESS, "RXTX_MAP: %lld", (long long)ret);
	CHECK(spmd.tx && spmd.rx, "the SPMD has no mailboxes");
	return true;
}

/* Write a one-receiver descriptor of ranges into the host's TX; its length. */
static u32 host_write_desc(const u64 *pa, const u32 *pages, u32 n)
{
	struct ffa_mem_region *r = host_tx;
	struct ffa_mem_region_attributes *ep;
	struct ffa_composite_mem_region *c;
	u32 i, off = sizeof(*r);

	memset(host_tx, 0, PAGE_SIZE);
	*r = (struct ffa_mem_region){
		.sender_id = 0, .ep_count = 1, .ep_mem_size = sizeof(*ep),
		.ep_mem_offset = off,
	};
	ep = host_tx + off;
	off += sizeof(*ep);
	*ep = (struct ffa_mem_region_attributes){ .receiver = 0x8001, .composite_off = off };
	c = host_tx + off;
	c->addr_range_cnt = n;
	for (i = 0; i < n; i++) {
		c->constituents[i].address = pa[i];
		c->constituents[i].pg_cnt = pages[i];
		c->total_pg_cnt += pages[i];
	}
	return off + sizeof(*c) + n * sizeof(c->constituents[0]);
}

static bool all_host_owned(const u64 *pa, const u32 *pages, u32 n, bool owned)
{
	u32 i, p;

	for (i = 0; i < n; i++)
		for (p = 0; p < pages[i]; p++)
			if (host_owns(pa[i] + p * PAGE_SIZE) != owned)
				return false;
	return true;
}

#define NR_RANGES	4
static const u64 ranges_pa[NR_RANGES] = {
	HOST_PAGE(10), HOST_PAGE(20), HOST_PAGE(30), HOST_PAGE(40),
};
static const u32 ranges_pages[NR_RANGES] = { 1, 3, 2, 1 };

/*
 * A share whose n-th range cannot be shared (a page of it is mapped for
 * DMA) shares nothing: the ranges before it are the host's again, and the
 * SPMD is never asked.
 */
static bool ffa_share_nth_range_fails(void)
{
	u32 len, n;
	u64 ret;
	int calls;

	for (n = 0; n < NR_RANGES; n++) {
		u64 busy = ranges_pa[n] + (ranges_pages[n] - 1) * PAGE_SIZE;

		CHECK(!__pkvm_host_share_dma(busy, PAGE_SIZE), "DMA map");
		len = host_write_desc(ranges_pa, ranges_pages, NR_RANGES);
		calls = spmd.calls[ARM_SMCCC_FUNC_NUM(FFA_FN64_MEM_SHARE)];
		ret = ffa_call(FFA_FN64_MEM_SHARE, len, len, 0, 0);
		CHECK((s64)ret == FFA_RET_DENIED, "range %u: share: %lld", n, (long long)ret);
		CHECK(calls == spmd.calls[ARM_SMCCC_FUNC_NUM(FFA_FN64_MEM_SHARE)],
		      "range %u: the SPMD was asked", n);
		CHECK(!__pkvm_host_unshare_dma(busy, PAGE_SIZE), "DMA unmap");
		CHECK(all_host_owned(ranges_pa, ranges_pages, NR_RANGES, true),
		      "range %u: a page stayed shared", n);
	}
	return true;
}

/* A transfer the SPMD refuses leaves every range the host's. */
static bool ffa_share_refused_by_spmd(void)
{
	u32 len = host_write_desc(ranges_pa, ranges_pages, NR_RANGES);
	u64 ret;

	spmd.refuse_xfer = true;
	ret = ffa_call(FFA_FN64_MEM_SHARE, len, len, 0, 0);
	spmd.refuse_xfer = false;
	CHECK((s64)ret == FFA_RET_DENIED, "share: %lld", (long long)ret);
	CHECK(all_host_owned(ranges_pa, ranges_pages, NR_RANGES, true), "a page stayed shared");
	return true;
}

/*
 * A share, then its reclaim: shared pages are not the host's to map or
 * give away while the secure world has them, and are after the reclaim.
 */
static bool ffa_share_then_reclaim(void)
{
	u32 len = host_write_desc(ranges_pa, ranges_pages, NR_RANGES);
	u64 ret;

	ret = ffa_call(FFA_FN64_MEM_SHARE, len, len, 0, 0);
	CHECK(ret == FFA_SUCCESS, "share: %lld", (long long)ret);
	CHECK(all_host_owned(ranges_pa, ranges_pages, NR_RANGES, false), "a shared page is mappable");
	CHECK(__pkvm_host_donate_hyp(ranges_pa[1] >> PAGE_SHIFT, 1) == -EPERM,
	      "a shared page can be donated");
	ret = ffa_call(FFA_MEM_RECLAIM, 1, 0, 0, 0);
	CHECK(ret == FFA_SUCCESS, "reclaim: %lld", (long long)ret);
	CHECK(all_host_owned(ranges_pa, ranges_pages, NR_RANGES, true), "a page stayed shared");
	return true;
}

/*
 * A two-fragment share whose second fragment the SPMD refuses: the second
 * fragment's ranges are the host's again; the first fragment's stay shared
 * (the proxy cannot know whether the SPMD still holds them).
 */
static bool ffa_frag_refused(void)
{
	u32 len = host_write_desc(ranges_pa, ranges_pages, NR_RANGES);
	u32 first = len - 2 * sizeof(struct ffa_mem_region_addr_range);
	struct ffa_mem_region_addr_range frag[2];
	u64 ret;

	ret = ffa_call(FFA_FN64_MEM_SHARE, len, first, 0, 0);
	CHECK(ret == FFA_MEM_FRAG_RX, "first fragment: %lld", (long long)ret);
	memcpy(frag, host_tx + first, sizeof(frag));
	memcpy(host_tx, frag, sizeof(frag));
	spmd.refuse_frag = true;
	ret = ffa_call(FFA_MEM_FRAG_TX, 1, 0, sizeof(frag), 0);
	spmd.refuse_frag = false;
	CHECK((s64)ret == FFA_RET_INVALID_PARAMETERS, "frag: %lld", (long long)ret);
	CHECK(all_host_owned(ranges_pa, ranges_pages, 2, false), "first fragment unshared");
	CHECK(all_host_owned(ranges_pa + 2, ranges_pages + 2, 2, true), "second fragment shared");
	return true;
}

/*
 * The proxy's unshare of the ranges a reclaim returns, alone (ffa.c,
 * built with a caller in ffa_unit.c): after a successful reclaim the outer
 * check trusts the SPMD and stops the hypervisor on any mismatch.
 */
int harness_ffa_unshare(struct ffa_mem_region_addr_range *ranges, u32 nranges);

/*
 * Unshares whose n-th range cannot be unshared (the SPMD names a page the
 * host never shared): every other range is unshared, and none is shared
 * again, so a page another CPU maps for DMA as soon as it is unshared
 * cannot make the proxy fail.
 */
static bool ffa_unshare_nth_range_fails(void)
{
	struct ffa_mem_region_addr_range ranges[NR_RANGES], stuck;
	u32 i, n, len;
	u64 ret;

	for (n = 0; n < NR_RANGES; n++) {
		len = host_write_desc(ranges_pa, ranges_pages, NR_RANGES);
		ret = ffa_call(FFA_FN64_MEM_SHARE, len, len, 0, 0);
		CHECK(ret == FFA_SUCCESS, "share: %lld", (long long)ret);
		spmd.len = 0;
		for (i = 0; i < NR_RANGES; i++)
			ranges[i] = (struct ffa_mem_region_addr_range){
				.address = ranges_pa[i], .pg_cnt = ranges_pages[i],
			};
		stuck = ranges[n];
		ranges[n].address = HOST_PAGE(100);
		race_pa = ranges_pa[n ? 0 : 1];
		race_mapped = false;
		harness_lock_hook = map_on_other_cpu;
		ret = harness_ffa_unshare(ranges, NR_RANGES);
		harness_lock_hook = NULL;
		CHECK((s64)ret == FFA_RET_DENIED, "range %u: unshare: %lld", n, (long long)ret);
		CHECK(race_mapped, "range %u: no CPU could map an unshared page", n);
		CHECK(!__pkvm_host_unshare_dma(race_pa, PAGE_SIZE), "DMA unmap");
		CHECK(!all_host_owned(ranges_pa + n, ranges_pages + n, 1, true),
		      "range %u: the range the SPMD did not name was unshared", n);
		for (i = 0; i < NR_RANGES; i++)
			CHECK(i == n || all_host_owned(ranges_pa + i, ranges_pages + i, 1, true),
			      "range %u: range %u stayed shared", n, i);
		ret = harness_ffa_unshare(&stuck, 1);
		CHECK(!ret, "range %u: unshare of the range left: %lld", n, (long long)ret);
		CHECK(all_host_owned(ranges_pa, ranges_pages, NR_RANGES, true), "a page stayed shared");
	}
	return true;
}

/* ---- DMA maps on three CPUs against donations of the same pages ---- */

/*
 * CPUs 1 to 3 map pages of a small set into domain 1, each at IOVAs of
 * its own, and unmap them; CPU 0 donates the same pages to the
 * hypervisor, shares them with it, and gives them back, and CPU 1 also
 * faults pages in, all on the real stage-2 code and host_mmu.lock, for
 * RACE_ROUNDS calls each and until each side met the other. The host
 * schedules the threads, and they give up the CPU after one atomic in
 * four and while they hold a page. A mapping and the page's time with the hypervisor never
 * overlap: a mapper that holds a mapping reads the page's flag, which CPU
 * 0 sets after a transition succeeded and clears before it gives the page
 * back; once CPU 0 holds a page, no domain maps it. Built under
 * ThreadSanitizer too (make tsan), where any report fails.
 */
#define RACE_PAGES	16
#define RACE_MEMCACHE	10	/* pages donated to each CPU's memcache */
#define RACE_ROUNDS	3000
#define RACE_PAGE(i)	HOST_PAGE(64 + (i))
#define RACE_IOVA(cpu, i)	((u64)(cpu) * SZ_2M + (u64)(i) * PAGE_SIZE)

static bool race_held[RACE_PAGES];	/* the hypervisor has the page */
static int race_failed;
static u64 race_maps[HARNESS_NR_CPUS], race_refused[HARNESS_NR_CPUS];
static __thread u64 race_rng;

/* Each CPU did its rounds, and each side met the other: or ten times as many. */
static bool race_enough(int n)
{
	u64 mapper_refused = 0;
	int cpu;

	if (n < RACE_ROUNDS)
		return false;
	for (cpu = 1; cpu < HARNESS_NR_CPUS; cpu++)
		mapper_refused += __atomic_load_n(&race_refused[cpu], __ATOMIC_RELAXED);
	return n >= 10 * RACE_ROUNDS ||
	       (__atomic_load_n(&race_refused[0], __ATOMIC_RELAXED) && mapper_refused);
}

static u64 race_rnd(void)
{
	race_rng = race_rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return race_rng >> 33;
}

static void race_preempt(void)
{
	if (race_rnd() % 4 == 0)
		sched_yield();
}

#define RACE_CHECK(cond, ...) do {					\
	if (!(cond)) {							\
		__atomic_store_n(&race_failed, 1, __ATOMIC_RELAXED);	\
		fprintf(stderr, "# races, CPU %d: ", harness_cpu);	\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		return NULL;						\
	}								\
} while (0)

static void *race_mapper(void *arg)
{
	size_t done;
	int n, i, ret;

	harness_cpu = (int)(intptr_t)arg;
	race_rng = harness_cpu;
	for (n = 0; !race_enough(n) && !__atomic_load_n(&race_failed, __ATOMIC_RELAXED); n++) {
		i = race_rnd() % RACE_PAGES;
		if (harness_cpu == 1 && n % 8 == 0) {
			host_fault(RACE_PAGE(race_rnd() % RACE_PAGES));
			continue;
		}
		ret = kvm_iommu_map_pages(1, RACE_IOVA(harness_cpu, i), RACE_PAGE(i), PAGE_SIZE, 1,
					  IOMMU_READ | IOMMU_WRITE, &done);
		RACE_CHECK(!ret || ret == -EPERM, "map of page %d: %d", i, ret);
		if (ret) {
			__atomic_fetch_add(&race_refused[harness_cpu], 1, __ATOMIC_RELAXED);
			continue;
		}
		RACE_CHECK(!__atomic_load_n(&race_held[i], __ATOMIC_SEQ_CST),
			   "page %d mapped while the hypervisor has it", i);
		sched_yield();	/* so that CPU 0 meets the page mapped */
		ret = kvm_iommu_unmap_pages(1, RACE_IOVA(harness_cpu, i), PAGE_SIZE, 1, 0, &done);
		RACE_CHECK(!ret && done == PAGE_SIZE, "unmap of page %d: %d", i, ret);
		race_maps[harness_cpu]++;
	}
	return NULL;
}

/* No domain maps page @i of the set, which CPU 0 holds. */
static bool race_unmapped(int i)
{
	int cpu;

	for (cpu = 1; cpu < HARNESS_NR_CPUS; cpu++)
		if (kvm_iommu_iova_to_phys(1, RACE_IOVA(cpu, i)))
			return false;
	return host_dma_count(hyp_phys_to_page(RACE_PAGE(i))) == 0;
}

static void *race_owner(void *arg)
{
	u64 pfn;
	int n, i, ret;
	bool share;

	harness_cpu = 0;
	race_rng = 7;
	for (n = 0; !race_enough(n) && !__atomic_load_n(&race_failed, __ATOMIC_RELAXED); n++) {
		i = race_rnd() % RACE_PAGES;
		pfn = RACE_PAGE(i) >> PAGE_SHIFT;
		share = race_rnd() % 2;
		ret = share ? __pkvm_host_share_hyp(pfn) : __pkvm_host_donate_hyp(pfn, 1);
		RACE_CHECK(!ret || ret == -EBUSY, "%s of page %d: %d", share ? "share" : "donation",
			   i, ret);
		if (ret) {
			__atomic_fetch_add(&race_refused[0], 1, __ATOMIC_RELAXED);
			continue;
		}
		__atomic_store_n(&race_held[i], true, __ATOMIC_SEQ_CST);
		sched_yield();	/* so that the mappers meet the page taken */
		RACE_CHECK(race_unmapped(i), "page %d mapped after its %s", i,
			   share ? "share" : "donation");
		__atomic_store_n(&race_held[i], false, __ATOMIC_SEQ_CST);
		ret = share ? __pkvm_host_unshare_hyp(pfn) : __pkvm_hyp_donate_host(pfn, 1);
		RACE_CHECK(!ret, "page %d back to the host: %d", i, ret);
		race_maps[0]++;
	}
	return NULL;
}

static bool races_with_donations(void)
{
	pthread_t t[HARNESS_NR_CPUS];
	int cpu, i, k;

	for (i = 0; i < RACE_PAGES; i++)
		CHECK(host_owns(RACE_PAGE(i)), "page %d is not the host's", i);
	/*
	 * Each mapper's tables come from its CPU's memcache: pages past the
	 * set: the six a map call starts with, and the tables it adds.
	 */
	for (cpu = 0; cpu < HARNESS_NR_CPUS; cpu++) {
		harness_cpu = cpu;
		for (k = 0; k < RACE_MEMCACHE; k++)
			CHECK(!kvm_iommu_donate_pages((RACE_PAGE(RACE_PAGES) >> PAGE_SHIFT) +
						      cpu * RACE_MEMCACHE + k, 1),
			      "memcache of CPU %d", cpu);
	}
	harness_cpu = 0;
	CHECK(!kvm_iommu_alloc_domain(1), "domain 1");
	harness_preempt = race_preempt;
	pthread_create(&t[0], NULL, race_owner, NULL);
	for (cpu = 1; cpu < HARNESS_NR_CPUS; cpu++)
		pthread_create(&t[cpu], NULL, race_mapper, (void *)(intptr_t)cpu);
	for (cpu = 0; cpu < HARNESS_NR_CPUS; cpu++)
		pthread_join(t[cpu], NULL);
	harness_preempt = NULL;
	CHECK(!race_failed, "a CPU failed");
	printf("# races: %llu transitions done, %llu refused as mapped; %llu, %llu and %llu maps, "
	       "%llu, %llu and %llu refused as taken\n", (unsigned long long)race_maps[0],
	       (unsigned long long)race_refused[0], (unsigned long long)race_maps[1],
	       (unsigned long long)race_maps[2], (unsigned long long)race_maps[3],
	       (unsigned long long)race_refused[1], (unsigned long long)race_refused[2],
	       (unsigned long long)race_refused[3]);
	/* Each side must have met the other, or the race tested nothing. */
	CHECK(race_maps[0] && race_refused[0] && race_refused[1] + race_refused[2] +
	      race_refused[3], "the CPUs never met");
	for (i = 0; i < RACE_PAGES; i++)
		CHECK(host_owns(RACE_PAGE(i)) && race_unmapped(i), "page %d left", i);
	while ((i = kvm_iommu_free_domain(1)) == -EAGAIN)
		;
	CHECK(!i, "free of domain 1: %d", i);
	for (cpu = 0; cpu < HARNESS_NR_CPUS; cpu++) {
		harness_cpu = cpu;
		while (kvm_iommu_reclaim_page() >= 0)
			;
	}
	harness_cpu = 0;
	for (i = 0; i < RACE_MEMCACHE * HARNESS_NR_CPUS; i++)
		CHECK(host_owns(RACE_PAGE(RACE_PAGES + i)), "memcache page %d not back", i);
	return true;
}

/* ---- Random calls over the real stage-2 code, the model as oracle ---- */

/*
 * What the host did, page by page, in memory: the model the results of
 * the real code are compared with. A page is the host's unless the test
 * gave it away; its DMA count is the number of leaves of the test's
 * mappings that reach it.
 */
enum model_state { M_HOST, M_HYP, M_SHARED_HYP, M_SHARED_FFA, M_SUPPLY, M_FIXED };

#define MODEL_PAGES	((MEM0_SIZE + MEM1_SIZE) / PAGE_SIZE)
#define NR_DOMAINS	4	/* 0 is the identity domain */
#define NR_SIDS		4
#define IOVA_SLOTS	256
#define IOMMU_OAS	44

static enum model_state model[MODEL_PAGES];
static u32 model_dma[MODEL_PAGES];
static u64 slot_pa[NR_DOMAINS][IOVA_SLOTS];	/* 0: free */
static bool dom_alive[NR_DOMAINS];
static int sid_dom[NR_SIDS] = { -1, -1, -1, -1 };
static struct kvm_hyp_iommu_domain *stream[NR_SIDS];
static u64 rng_state, nr_calls, nr_refused;
/* What the calls achieved, so that a run that did nothing shows. */
static u64 nr_mapped, nr_donated, nr_shared, nr_ffa_shared, nr_idmaps;

static u64 rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static long model_index(u64 pa)
{
	if (pa >= MEM0 && pa < MEM0 + MEM0_SIZE)
		return (pa - MEM0) / PAGE_SIZE;
	if (pa >= MEM1 && pa < MEM1 + MEM1_SIZE)
		return (pa - MEM1) / PAGE_SIZE + MEM0_SIZE / PAGE_SIZE;
	return -1;
}

static u64 model_pa(long i)
{
	return i < (long)(MEM0_SIZE / PAGE_SIZE) ? MEM0 + i * PAGE_SIZE :
	       MEM1 + (i - MEM0_SIZE / PAGE_SIZE) * PAGE_SIZE;
}

#define VIOLATION(...) do {						\
	fprintf(stderr, "# violation after %llu calls (seed %llu): ",	\
		(unsigned long long)nr_calls, (unsigned long long)seed);	\
	fprintf(stderr, __VA_ARGS__);					\
	fputc('\n', stderr);						\
	abort();							\
} while (0)

static u64 seed;

/* The fake IOMMU: streams walk their domain's tables; no TLB. */
static int fake_attach(struct kvm_hyp_iommu_domain *domain, u32 iommu_id, u32 sid)
{
	if (iommu_id || sid >= NR_SIDS)
		return -ENODEV;
	if (stream[sid])
		return -EBUSY;
	stream[sid] = domain;
	return 0;
}

static int fake_detach(struct kvm_hyp_iommu_domain *domain, u32 iommu_id, u32 sid)
{
	if (iommu_id || sid >= NR_SIDS || stream[sid] != domain)
		return -ENOENT;
	stream[sid] = NULL;
	return 0;
}

/* Flushes left to fail, as an SMMU whose command queue reports an error */
static int flush_errors;

static int fake_flush(struct kvm_hyp_iommu_domain *domain, u64 iova, size_t size)
{
	if (flush_errors) {
		flush_errors--;
		return -EIO;
	}
	return 0;
}

static const struct kvm_iommu_ops fake_iommu = {
	.attach_dev = fake_attach,
	.detach_dev = fake_detach,
	.flush_range = fake_flush,
};

/* Whether the host may give a range away: its own memory, no DMA, one region. */
static bool model_can_take(u64 pa, u64 n)
{
	long i = model_index(pa), j = model_index(pa + (n - 1) * PAGE_SIZE);
	u64 k;

	if (i < 0 || j < 0 || j - i != (long)n - 1 || model_pa(j) != pa + (n - 1) * PAGE_SIZE)
		return false;
	for (k = 0; k < n; k++)
		if (model[i + k] != M_HOST || model_dma[i + k])
			return false;
	return true;
}

static void model_set(u64 pa, u64 n, enum model_state st)
{
	while (n--) {
		model[model_index(pa)] = st;
		pa += PAGE_SIZE;
	}
}

/* A random page: mostly memory, sometimes the carve-out, MMIO or past the PA range. */
static u64 random_page(void)
{
	switch (rnd() % 16) {
	case 0:
		return CARVE_OUT + (rnd() % (SZ_2M / PAGE_SIZE)) * PAGE_SIZE;
	case 1:
		return MMIO_BASE + (rnd() % 64) * PAGE_SIZE;
	case 2:
		return BIT_ULL(pa_bits) - PAGE_SIZE * (rnd() % 2);
	default:
		return model_pa(HYP_AREA_SIZE / PAGE_SIZE +
				rnd() % (MODEL_PAGES - HYP_AREA_SIZE / PAGE_SIZE));
	}
}

/* The host gives the IOMMU memory supply @n pages of its own. */
static void supply_pages(u64 n)
{
	u64 pa, tries = 0;

	while (n && tries++ < 64) {
		pa = random_page();
		if (!model_can_take(pa, 1))
			continue;
		if (kvm_iommu_donate_pages(pa >> PAGE_SHIFT, 1))
			VIOLATION("supply donation of 0x%llx refused", (unsigned long long)pa);
		model_set(pa, 1, M_SUPPLY);
		n--;
	}
}

static void reclaim_supply(void)
{
	long pfn;

	while ((pfn = kvm_iommu_reclaim_page()) >= 0) {
		long i = model_index((u64)pfn << PAGE_SHIFT);

		if (i < 0 || model[i] != M_SUPPLY)
			VIOLATION("reclaim gave back 0x%lx, not a supply page", pfn << PAGE_SHIFT);
		model[i] = M_HOST;
	}
}

/* The hypervisor's MMIO (an SMMU's registers): taken from the host for good. */
#define HYP_MMIO	(MMIO_BASE + SZ_1M)
#define HYP_MMIO_SIZE	(32 * PAGE_SIZE)

/* Whether the host may map one page for DMA, by the model. */
static bool model_dma_allowed(u64 pa)
{
	long i = model_index(pa);

	if (i >= 0)
		return model[i] == M_HOST;
	return pa < BIT_ULL(min_t(u32, pa_bits, IOMMU_OAS)) &&
	       !(pa >= HYP_MMIO && pa < HYP_MMIO + HYP_MMIO_SIZE);
}

static void call_map(void)
{
	int d = 1 + rnd() % (NR_DOMAINS - 1), slot = rnd() % IOVA_SLOTS, tries;
	u64 pa = random_page(), n = 1 + rnd() % 3, k, iova = (u64)slot * PAGE_SIZE;
	bool all = true, mixed = false;
	size_t mapped = 0;
	int ret = 0;

	if (rnd() % 8 == 0)
		pa = HYP_MMIO + (rnd() % (HYP_MMIO_SIZE / PAGE_SIZE + 1)) * PAGE_SIZE - PAGE_SIZE;
	if (slot + n > IOVA_SLOTS)
		n = IOVA_SLOTS - slot;
	for (k = 0; k < n; k++)
		if (slot_pa[d][slot + k])
			return;
	for (tries = 0; tries < 4; tries++) {
		ret = kvm_iommu_map_pages(d, iova, pa, PAGE_SIZE, n, IOMMU_READ | IOMMU_WRITE,
					  &mapped);
		if (ret != -ENOMEM)
			break;
		supply_pages(kvm_iommu_pages_needed());
	}
	if (ret == -ENOMEM)
		return;
	/* By the model as the last try found it: a supply may take a page. */
	for (k = 0; k < n; k++) {
		all &= model_dma_allowed(pa + k * PAGE_SIZE);
		/* Memory and MMIO, or two regions, in one call */
		mixed |= model_index(pa + k * PAGE_SIZE) != (model_index(pa) < 0 ? -1 :
							    model_index(pa) + (long)k);
	}
	if (mapped % PAGE_SIZE || mapped > n * PAGE_SIZE || (!ret && mapped != n * PAGE_SIZE))
		VIOLATION("map of %llu pages mapped %zu bytes: %d", (unsigned long long)n, mapped, ret);
	if ((!ret && !all) || (ret && all && !mixed && dom_alive[d])) {
		for (k = 0; k < n; k++) {
			long i = model_index(pa + k * PAGE_SIZE);
			kvm_pte_t pte = 0;

			kvm_pgtable_get_leaf(&host_mmu.pgt, pa + k * PAGE_SIZE, &pte, NULL);
			fprintf(stderr, "# 0x%llx: model %d dma %u, word 0x%x, host pte 0x%llx\n",
				(unsigned long long)(pa + k * PAGE_SIZE), i >= 0 ? (int)model[i] : -1,
				i >= 0 ? model_dma[i] : 0,
				i >= 0 ? hyp_phys_to_page(pa + k * PAGE_SIZE)->host_dma.counter : 0,
				(unsigned long long)pte);
		}
		VIOLATION("map of %llu pages at 0x%llx in domain %d: %d, the model says %s",
			  (unsigned long long)n, (unsigned long long)pa, d, ret,
			  all ? "yes" : "no");
	}
	nr_refused += !!ret;
	for (k = 0; k < mapped / PAGE_SIZE; k++) {
		long i = model_index(pa + k * PAGE_SIZE);

		if (!model_dma_allowed(pa + k * PAGE_SIZE))
			VIOLATION("0x%llx mapped, which the host may not map",
				  (unsigned long long)(pa + k * PAGE_SIZE));
		slot_pa[d][slot + k] = pa + k * PAGE_SIZE;
		nr_mapped++;
		if (i >= 0)
			model_dma[i]++;
	}
}

static void unmap_slot(int d, int slot)
{
	size_t unmapped;
	long i = model_index(slot_pa[d][slot]);
	int ret = kvm_iommu_unmap_pages(d, (u64)slot * PAGE_SIZE, PAGE_SIZE, 1, 0, &unmapped);

	if (ret || unmapped != PAGE_SIZE)
		VIOLATION("unmap of a mapped page in domain %d: %d", d, ret);
	if (i >= 0)
		model_dma[i]--;
	slot_pa[d][slot] = 0;
}

static void call_unmap(void)
{
	int d = 1 + rnd() % (NR_DOMAINS - 1), slot = rnd() % IOVA_SLOTS;

	if (slot_pa[d][slot])
		unmap_slot(d, slot);
}

/* A donation to the hypervisor, or the return of one. */
static void call_donate(void)
{
	u64 pa = random_page(), n = 1 + rnd() % 3;
	bool expect = model_can_take(pa, n);
	int ret;

	if (rnd() % 2) {
		long i = model_index(pa);

		if (i < 0 || model[i] != M_HYP)
			return;
		ret = __pkvm_hyp_donate_host(pa >> PAGE_SHIFT, 1);
		if (ret)
			VIOLATION("return of a donated page: %d", ret);
		model[i] = M_HOST;
		return;
	}
	/* The identity domain's reserve covers its splits: never -ENOMEM. */
	ret = __pkvm_host_donate_hyp(pa >> PAGE_SHIFT, n);
	if (expect != !ret)
		VIOLATION("donation of %llu pages at 0x%llx: %d, the model says %s",
			  (unsigned long long)n, (unsigned long long)pa, ret, expect ? "yes" : "no");
	nr_refused += !!ret;
	if (!ret) {
		model_set(pa, n, M_HYP);
		nr_donated++;
	}
}

static void call_share_hyp(void)
{
	u64 pa = random_page();
	long i = model_index(pa);
	int ret;

	if (i >= 0 && model[i] == M_SHARED_HYP) {
		ret = __pkvm_host_unshare_hyp(pa >> PAGE_SHIFT);
		if (ret)
			VIOLATION("unshare of a shared page: %d", ret);
		model[i] = M_HOST;
		return;
	}
	ret = __pkvm_host_share_hyp(pa >> PAGE_SHIFT);
	if (model_can_take(pa, 1) != !ret)
		VIOLATION("share of 0x%llx with the hypervisor: %d", (unsigned long long)pa, ret);
	nr_refused += !!ret;
	if (!ret) {
		model[i] = M_SHARED_HYP;
		nr_shared++;
	}
}

static void call_ffa(void)
{
	u64 pa[2] = { random_page(), random_page() };
	u32 pages[2] = { 1, 1 }, len;
	bool expect;
	u64 ret;

	if (spmd.len) {
		struct ffa_composite_mem_region *c = (void *)spmd.desc +
			sizeof(struct ffa_mem_region) + sizeof(struct ffa_mem_region_attributes);
		u32 i;

		ret = ffa_call(FFA_MEM_RECLAIM, 1, 0, 0, 0);
		if (ret != FFA_SUCCESS)
			VIOLATION("reclaim: %lld", (long long)ret);
		for (i = 0; i < c->addr_range_cnt; i++)
			model_set(c->constituents[i].address, c->constituents[i].pg_cnt, M_HOST);
		return;
	}
	expect = model_can_take(pa[0], 1) && model_can_take(pa[1], 1) && pa[0] != pa[1];
	len = host_write_desc(pa, pages, 2);
	/* The proxy answers in FF-A codes: no exemption for the identity domain. */
	ret = ffa_call(FFA_FN64_MEM_SHARE, len, len, 0, 0);
	if (expect != (ret == FFA_SUCCESS))
		VIOLATION("FF-A share of 0x%llx and 0x%llx: %lld", (unsigned long long)pa[0],
			  (unsigned long long)pa[1], (long long)ret);
	if (ret == FFA_SUCCESS) {
		model_set(pa[0], 1, M_SHARED_FFA);
		model_set(pa[1], 1, M_SHARED_FFA);
		nr_ffa_shared++;
	} else {
		spmd.len = 0;
		nr_refused++;
	}
}

static void call_identity(void)
{
	int ret, tries;

	if (!dom_alive[0]) {
		for (tries = 0; tries < 64; tries++) {
			ret = kvm_iommu_alloc_domain(KVM_IOMMU_IDENTITY_DOMAIN);
			if (ret != -ENOMEM)
				break;
			supply_pages(min_t(u64, kvm_iommu_pages_needed(), 16));
		}
		/* Its tables are a few pages per region, whatever the PA ranges. */
		if (ret)
			VIOLATION("identity domain: %d after %d supplies of memory", ret, tries);
		dom_alive[0] = !ret;
		nr_idmaps += !ret;
		return;
	}
	if (rnd() % 4)
		return;
	for (tries = 0; tries < NR_SIDS; tries++)
		if (sid_dom[tries] == 0)
			return;
	while ((ret = kvm_iommu_free_domain(KVM_IOMMU_IDENTITY_DOMAIN)) == -EAGAIN)
		;
	if (ret)
		VIOLATION("free of the identity domain: %d", ret);
	dom_alive[0] = false;
}

static void call_domain(void)
{
	int d = 1 + rnd() % (NR_DOMAINS - 1), sid = rnd() % NR_SIDS, slot, ret;

	if (sid_dom[sid] >= 0) {
		ret = kvm_iommu_detach_dev(0, sid_dom[sid], sid);
		if (ret)
			VIOLATION("detach: %d", ret);
		sid_dom[sid] = -1;
		return;
	}
	if (rnd() % 2 && (dom_alive[d] || dom_alive[0])) {
		d = dom_alive[0] && rnd() % 2 ? 0 : d;
		if (!dom_alive[d])
			return;
		ret = kvm_iommu_attach_dev(0, d, sid);
		if (ret == -ENOMEM)
			return;
		if (ret)
			VIOLATION("attach to domain %d: %d", d, ret);
		sid_dom[sid] = d;
		return;
	}
	if (!dom_alive[d]) {
		ret = kvm_iommu_alloc_domain(d);
		if (ret == -ENOMEM) {
			supply_pages(kvm_iommu_pages_needed());
			return;
		}
		if (ret)
			VIOLATION("alloc of domain %d: %d", d, ret);
		dom_alive[d] = true;
		return;
	}
	for (sid = 0; sid < NR_SIDS; sid++)
		if (sid_dom[sid] == d)
			return;
	for (slot = 0; slot < IOVA_SLOTS; slot++)
		if (slot_pa[d][slot])
			unmap_slot(d, slot);
	while ((ret = kvm_iommu_free_domain(d)) == -EAGAIN)
		;
	if (ret)
		VIOLATION("free of domain %d: %d", d, ret);
	dom_alive[d] = false;
}

/*
 * Every page a device can reach is the host's in the model, and its DMA
 * count is the model's; the identity domain maps nothing the host does
 * not own, nothing of the hypervisor's MMIO, nothing past the CPU's PA
 * range.
 */
static void check_all(void)
{
	u64 pa;
	long i;
	int d, slot;

	for (d = 1; d < NR_DOMAINS; d++) {
		for (slot = 0; slot < IOVA_SLOTS && dom_alive[d]; slot++) {
			pa = kvm_iommu_iova_to_phys(d, (u64)slot * PAGE_SIZE);
			if (pa != slot_pa[d][slot])
				VIOLATION("domain %d maps slot %d to 0x%llx, the model 0x%llx",
					  d, slot, (unsigned long long)pa,
					  (unsigned long long)slot_pa[d][slot]);
			i = model_index(pa);
			if (pa && i >= 0 && model[i] != M_HOST)
				VIOLATION("domain %d reaches 0x%llx, which the host gave away",
					  d, (unsigned long long)pa);
		}
	}
	for (i = 0; i < (long)MODEL_PAGES; i++) {
		pa = model_pa(i);
		if (host_dma_count(hyp_phys_to_page(pa)) != model_dma[i])
			VIOLATION("0x%llx counts %u mappings, the model %u", (unsigned long long)pa,
				  host_dma_count(hyp_phys_to_page(pa)), model_dma[i]);
		if (dom_alive[0] && model[i] != M_HOST &&
		    kvm_iommu_iova_to_phys(KVM_IOMMU_IDENTITY_DOMAIN, pa))
			VIOLATION("the identity domain reaches 0x%llx, which the host gave away",
				  (unsigned long long)pa);
	}
	if (!dom_alive[0])
		return;
	for (pa = HYP_MMIO; pa < HYP_MMIO + HYP_MMIO_SIZE; pa += PAGE_SIZE)
		if (kvm_iommu_iova_to_phys(KVM_IOMMU_IDENTITY_DOMAIN, pa))
			VIOLATION("the identity domain reaches the hypervisor's MMIO");
	for (pa = BIT_ULL(pa_bits); pa < BIT_ULL(44); pa += SZ_1G * 64ULL)
		if (kvm_iommu_iova_to_phys(KVM_IOMMU_IDENTITY_DOMAIN, pa))
			VIOLATION("the identity domain reaches 0x%llx, past the CPU's range",
				  (unsigned long long)pa);
}

/* ---- The identity domain as pages change hands ---- */

/* In a 2MiB block no test touched before: the domain maps it whole. */
#define IDMAP_PAGE	(MEM0 + SZ_4M + 5 * PAGE_SIZE)
#define IDMAP_SUPPLY(i)	HOST_PAGE(400 + (i))
#define IDMAP_MMIO	(MMIO_BASE + SZ_4M)

/*
 * Lazy unmaps against the real transitions: a page whose only mapping is
 * deferred is donated, or shared with the hypervisor, once the transition
 * flushed its domain under host_mmu.lock; one with a live mapping is
 * refused, and so is a deferred one whose flush fails.
 */
static bool lazy_unmap_then_transitions(void)
{
	const u64 pa = HOST_PAGE(800), rw = IOMMU_READ | IOMMU_WRITE;
	struct hyp_page *p = hyp_phys_to_page(pa);
	size_t done;
	int i;

	harness_cpu = 0;
	/* The domain, its three tables, and the six a map call starts with */
	for (i = 0; i < 12; i++)
		CHECK(!kvm_iommu_donate_pages((HOST_PAGE(820) >> PAGE_SHIFT) + i, 1), "memcache");
	CHECK(!kvm_iommu_alloc_domain(2), "domain 2");
	i = kvm_iommu_map_pages(2, 0, pa, PAGE_SIZE, 3, rw, &done);
	CHECK(!i && done == 3 * PAGE_SIZE, "map: %d", i);
	CHECK(!kvm_iommu_unmap_pages(2, 0, PAGE_SIZE, 2, KVM_IOMMU_UNMAP_DEFER, &done) &&
	      done == 2 * PAGE_SIZE, "lazy unmap");
	CHECK(host_dma_count(p) == 1 && kvm_iommu_stat(KVM_IOMMU_STAT_DEFERRED_PAGES) == 2,
	      "count %u, %lld deferred", host_dma_count(p),
	      (long long)kvm_iommu_stat(KVM_IOMMU_STAT_DEFERRED_PAGES));
	flush_errors = 1;
	i = __pkvm_host_donate_hyp(pa >> PAGE_SHIFT, 1);
	CHECK(i == -EBUSY && host_owns(pa) && host_dma_count(p) == 1 && !flush_errors,
	      "donated while its flush failed: %d, count %u, %d flush errors left", i,
	      host_dma_count(p), flush_errors);
	CHECK(!__pkvm_host_donate_hyp(pa >> PAGE_SHIFT, 1) && !host_owns(pa) &&
	      !host_dma_count(p) && !host_dma_count(p + 1), "donation of a deferred page");
	CHECK(!__pkvm_hyp_donate_host(pa >> PAGE_SHIFT, 1) && host_owns(pa), "back");
	/* The refused attempt flushed the domain all the same. */
	i = kvm_iommu_map_pages(2, 0, pa, PAGE_SIZE, 1, rw, &done);
	CHECK(!i && !kvm_iommu_unmap_pages(2, 0, PAGE_SIZE, 1, KVM_IOMMU_UNMAP_DEFER, &done),
	      "map and lazy unmap again: %d", i);
	CHECK(__pkvm_host_donate_hyp(pa >> PAGE_SHIFT, 3) == -EBUSY && host_owns(pa) &&
	      !kvm_iommu_stat(KVM_IOMMU_STAT_DEFERRED_PAGES) && host_dma_count(p + 2) == 1,
	      "donated with a live mapping");
	CHECK(!kvm_iommu_map_pages(2, 0, pa, PAGE_SIZE, 1, rw, &done) &&
	      !kvm_iommu_unmap_pages(2, 0, PAGE_SIZE, 1, KVM_IOMMU_UNMAP_DEFER, &done),
	      "map and lazy unmap once more");
	CHECK(!__pkvm_host_share_hyp(pa >> PAGE_SHIFT) && !host_dma_count(p),
	      "share of a deferred page");
	CHECK(!__pkvm_host_unshare_hyp(pa >> PAGE_SHIFT) && host_owns(pa), "unshare");
	CHECK(!kvm_iommu_unmap_pages(2, 2 * PAGE_SIZE, PAGE_SIZE, 1, 0, &done) &&
	      !kvm_iommu_free_domain(2), "free domain 2");
	while (kvm_iommu_reclaim_page() >= 0)
		;
	for (i = 0; i < 12; i++)
		CHECK(host_owns(HOST_PAGE(820 + i)), "memcache page %d not back", i);
	return true;
}

static bool identity_reaches(u64 pa)
{
	return kvm_iommu_iova_to_phys(KVM_IOMMU_IDENTITY_DOMAIN, pa) == pa;
}

/*
 * What mem_protect.c promises of the identity domain, on the real stage-2
 * code: a donation whose flush fails leaves the page the host's, mapped in
 * the identity domain and free to map for DMA, and the next donation
 * takes it out; a page given back is mapped again. The split of the block
 * takes a page of the domain's reserve, not of the CPU's memcache. MMIO the hypervisor
 * takes leaves the domain, and stays out of it when the flush fails,
 * though the host keeps it.
 */
static bool identity_domain_follows_owners(void)
{
	u64 pfn = IDMAP_PAGE >> PAGE_SHIFT;
	int ret, n = 0, in_use;
	s64 reserve;

	while ((ret = kvm_iommu_alloc_domain(KVM_IOMMU_IDENTITY_DOMAIN)) == -ENOMEM && n < 256) {
		u64 need = kvm_iommu_pages_needed();

		for (; need && n < 256; need--, n++)
			CHECK(!kvm_iommu_donate_pages(IDMAP_SUPPLY(n) >> PAGE_SHIFT, 1),
			      "supply page %d", n);
	}
	CHECK(!ret, "identity domain: %d with %d pages", ret, n);
	CHECK(identity_reaches(IDMAP_PAGE) && identity_reaches(IDMAP_MMIO),
	      "the identity domain misses what the host owns");

	flush_errors = 1;
	in_use = kvm_iommu_pages_in_use();
	reserve = kvm_iommu_idmap_pages(true);
	ret = __pkvm_host_donate_hyp(pfn, 1);
	CHECK(ret == -EIO && !flush_errors, "donation with a failed flush: %d", ret);
	/* The block was split, with a page of the reserve, and stays split. */
	CHECK(kvm_iommu_pages_in_use() == in_use + 1 &&
	      kvm_iommu_idmap_pages(true) == reserve - 1,
	      "the split took %d pages, %lld of them from the reserve",
	      kvm_iommu_pages_in_use() - in_use,
	      (long long)(reserve - kvm_iommu_idmap_pages(true)));
	CHECK(host_owns(IDMAP_PAGE) && identity_reaches(IDMAP_PAGE),
	      "a refused donation left the page out of the host's hands");
	ret = __pkvm_host_donate_hyp(pfn, 1);
	CHECK(!ret && !host_owns(IDMAP_PAGE) && !identity_reaches(IDMAP_PAGE),
	      "donation: %d, or the page is still within reach", ret);
	ret = __pkvm_hyp_donate_host(pfn, 1);
	CHECK(!ret && host_owns(IDMAP_PAGE) && identity_reaches(IDMAP_PAGE),
	      "return: %d, or the page is not mapped again", ret);

	flush_errors = 1;
	ret = __pkvm_host_donate_hyp_mmio(IDMAP_MMIO, PAGE_SIZE);
	CHECK(ret == -EIO && !flush_errors, "MMIO with a failed flush: %d", ret);
	CHECK(!identity_reaches(IDMAP_MMIO) && host_owns(IDMAP_MMIO),
	      "refused MMIO: back in the identity domain, or no longer the host's");
	ret = __pkvm_host_donate_hyp_mmio(IDMAP_MMIO, PAGE_SIZE);
	CHECK(!ret && !identity_reaches(IDMAP_MMIO) && !host_owns(IDMAP_MMIO),
	      "MMIO: %d, or the host still has it", ret);

	while ((ret = kvm_iommu_free_domain(KVM_IOMMU_IDENTITY_DOMAIN)) == -EAGAIN)
		;
	CHECK(!ret, "free of the identity domain: %d", ret);
	while (kvm_iommu_reclaim_page() >= 0)
		;
	CHECK(all_host_owned_pages(IDMAP_SUPPLY(0), n), "a supply page did not come back");
	return true;
}

/*
 * A call that changes owners, which the identity domain follows: every
 * table it adds comes from its reserve, never from the CPU's memcache,
 * which the host fills for the calls that ask.
 */
static void from_idmap_reserve(void (*call)(void))
{
	int in_use = kvm_iommu_pages_in_use();
	s64 reserve = kvm_iommu_idmap_pages(true);

	call();
	if (kvm_iommu_pages_in_use() - in_use != reserve - kvm_iommu_idmap_pages(true))
		VIOLATION("the identity domain took %d pages, %lld of its reserve",
			  kvm_iommu_pages_in_use() - in_use,
			  (long long)(reserve - kvm_iommu_idmap_pages(true)));
}

static void call_host_fault(void)
{
	host_fault(random_page() & (BIT_ULL(pa_bits) - 1));
}

/*
 * 512 calls take milliseconds: seconds mean a call that does not end, or
 * one that holds host_mmu.lock for as long, which at EL2 stalls every CPU.
 */
#define WATCHDOG_SECONDS	10

static void watchdog(int sig)
{
	static const char msg[] = "# violation: 512 calls took more than 10 s\n";

	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	abort();
}

static void random_calls(u64 calls)
{
	u64 t;
	long i;

	/*
	 * Pages the directed tests left out of the host's hands (the FF-A
	 * mailboxes, a fragment that stays shared) and the hypervisor's own
	 * are out of play.
	 */
	for (i = 0; i < (long)MODEL_PAGES; i++)
		model[i] = host_owns(model_pa(i)) ? M_HOST : M_FIXED;
	spmd.len = 0;
	signal(SIGALRM, watchdog);
	if (__pkvm_host_donate_hyp_mmio(HYP_MMIO, HYP_MMIO_SIZE))
		VIOLATION("the hypervisor could not take its MMIO");

	alarm(WATCHDOG_SECONDS);
	for (t = 0; t < calls; t++, nr_calls++) {
		switch (rnd() % 32) {
		case 0 ... 9:
			call_map();
			break;
		case 10 ... 17:
			call_unmap();
			break;
		case 18 ... 20:
			from_idmap_reserve(call_donate);
			break;
		case 21 ... 22:
			from_idmap_reserve(call_share_hyp);
			break;
		case 23 ... 24:
			from_idmap_reserve(call_ffa);
			break;
		case 25:
			from_idmap_reserve(call_host_fault);
			break;
		case 26 ... 27:
			from_idmap_reserve(reclaim_supply);
			break;
		case 28:
			call_identity();
			break;
		default:
			call_domain();
			break;
		}
		if (t % 512 == 511) {
			check_all();
			alarm(WATCHDOG_SECONDS);
		}
	}
	check_all();
	alarm(0);
}

/*
 *   test_mem_protect [--pa-bits N] [--calls N] [--seed N]
 *
 * The CPU's physical address range is N bits (36, 40, 44 or 48; the
 * IOMMU's is 44). Runs the directed tests, then N random calls.
 */
int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	static const u32 parange[] = { [36] = ID_AA64MMFR0_EL1_PARANGE_36,
		[40] = ID_AA64MMFR0_EL1_PARANGE_40, [44] = ID_AA64MMFR0_EL1_PARANGE_44,
		[48] = ID_AA64MMFR0_EL1_PARANGE_48 };
	u64 calls = 20000;
	int i;

	pa_bits = 40;
	seed = 1;
	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--pa-bits"))
			pa_bits = strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--calls"))
			calls = strtoull(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--seed"))
			seed = strtoull(argv[i + 1], NULL, 0);
	}
	if (pa_bits != 36 && pa_bits != 40 && pa_bits != 44 && pa_bits != 48) {
		fprintf(stderr, "usage: %s [--pa-bits 36|40|44|48] [--calls N] [--seed N]\n",
			argv[0]);
		return 2;
	}
	boot(parange[pa_bits]);
	if (kvm_iommu_init(&fake_iommu, KVM_IO_PGTABLE_S2, 48, IOMMU_OAS)) {
		printf("Bail out! IOMMU init\n");
		return 1;
	}
	printf("TAP version 13\n");
	run("donate_past_region_end", donate_past_region_end);
	run("dma_map_refused_for_hyp_pages", dma_map_refused_for_hyp_pages);
	run("reclaim_guest_pages_stay_hyp_until_donated",
	    reclaim_guest_pages_stay_hyp_until_donated);
	if (!ffa_init()) {
		printf("Bail out! FF-A proxy init\n");
		return 1;
	}
	run("ffa_share_nth_range_fails", ffa_share_nth_range_fails);
	run("ffa_share_refused_by_spmd", ffa_share_refused_by_spmd);
	run("ffa_share_then_reclaim", ffa_share_then_reclaim);
	run("ffa_unshare_nth_range_fails", ffa_unshare_nth_range_fails);
	run("ffa_frag_refused", ffa_frag_refused);
	run("races_with_donations", races_with_donations);
	run("lazy_unmap_then_transitions", lazy_unmap_then_transitions);
	run("identity_domain_follows_owners", identity_domain_follows_owners);

	rng_state = seed * 0x9e3779b97f4a7c15ULL | 1;
	random_calls(calls);
	printf("ok %d - mem-protect.pa%u.random_calls # %llu calls, %llu refused as the model said; "
	       "%llu pages mapped, %llu donations, %llu shares, %llu FF-A shares, "
	       "%llu identity domains\n", ++test_nr, pa_bits, (unsigned long long)nr_calls,
	       (unsigned long long)nr_refused, (unsigned long long)nr_mapped,
	       (unsigned long long)nr_donated, (unsigned long long)nr_shared,
	       (unsigned long long)nr_ffa_shared, (unsigned long long)nr_idmaps);
	printf("1..%d\n", test_nr);
	return failures ? 1 : 0;
}
