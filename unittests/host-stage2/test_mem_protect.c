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
#include <sys/mman.h>

#include <linux/arm-smccc.h>
#include <linux/arm_ffa.h>
#include <nvhe/ffa.h>
#include <nvhe/gfp.h>
#include <nvhe/host_dma.h>
#include <nvhe/mem_protect.h>
#include <nvhe/mm.h>

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
	unsigned char desc[8 * PAGE_SIZE];	/* The last descriptor shared */
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

	printf("%sok %d - mem-protect.%s\n", ok ? "" : "not ", ++test_nr, name);
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

int main(void)
{
	boot(ID_AA64MMFR0_EL1_PARANGE_40);
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
	printf("1..%d\n", test_nr);
	return failures ? 1 : 0;
}
