/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the userspace tests of the hypervisor's IOMMU code share. The core
 * (arch/arm64/kvm/hyp/nvhe/iommu/iommu.c with io-pgtable.c and the memory
 * supply memory.c, compiled unchanged) runs against
 *  - a memory window mapped at its own physical address, so that the
 *    hypervisor's phys/virt conversions are the identity, with a vmemmap
 *    of struct hyp_page;
 *  - a model of host page ownership: memory pages owned by the host, the
 *    hypervisor or a guest, host MMIO and hypervisor MMIO (the SMMU), with
 *    the per-page DMA count that __pkvm_host_share_dma() and
 *    __pkvm_host_unshare_dma() maintain, and the donations to and from the
 *    hypervisor;
 *  - a fake IOMMU that tracks attached streams and reads the tables only
 *    from what was cleaned to memory, with a TLB and a walk cache filled
 *    from those tables and dropped only by invalidations.
 *
 * Nothing is checked through the code under test: the harness decodes
 * descriptors itself, and expects the exact descriptor for each mapping's
 * prot, format and level. It keeps its own list of the mappings the core
 * reported; check_state() checks that the tables translate exactly those,
 * that they all point at host-owned pages, and that each page's DMA count
 * equals the number of mappings of it.
 *
 * A violation found inside a call of the code under test (a count dropped
 * while the IOMMU can still reach the page, a page freed while the walk
 * cache holds it, an allocation not zeroed, a page reclaimed with data in
 * it) is fatal where it happens, as a WARN_ON is.
 *
 * Included once by each test program (unit tests, fuzzer).
 */
#ifndef IOMMU_CORE_HARNESS_H
#define IOMMU_CORE_HARNESS_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <linux/bits.h>
#include <linux/iommu.h>
#include <linux/sizes.h>
#include <nvhe/host_dma.h>
#include <nvhe/iommu.h>
#include <nvhe/mem_protect.h>
#include <nvhe/memory.h>

/*
 * Physical memory as on hardware, not as on QEMU's virt machine: several
 * memory regions inside the window [MEM_BASE, MEM_END), two of them
 * adjacent, with host MMIO and hypervisor MMIO between and beside them.
 * Pages of the window are indexed from MEM_BASE whatever they are.
 */
#define MEM_BASE	0x40000000ULL
#define MEM_PAGES	16384ULL			/* 64 MiB */
#define MEM_END		(MEM_BASE + MEM_PAGES * SZ_4K)
#define SMMU_MMIO	0x09050000ULL			/* hypervisor-owned */
#define SMMU_MMIO_SIZE	0x20000ULL
#define SMMU2_MMIO	(MEM_BASE + 62 * SZ_1M)		/* hypervisor-owned, between regions */
#define SMMU2_MMIO_SIZE	SZ_1M
#define HOST_MMIO	0x08080000ULL			/* an MSI doorbell */
#define HOST_MMIO_1G	0x8000000000ULL			/* PCIe window, 1GiB aligned */

static const struct mem_region {
	uint64_t base, size;
} mem_regions[] = {
	{ MEM_BASE,		24 * SZ_1M },
	{ MEM_BASE + 24 * SZ_1M, 16 * SZ_1M },	/* adjacent to the first */
	/* host MMIO from 40 MiB to 42 MiB */
	{ MEM_BASE + 42 * SZ_1M, 20 * SZ_1M },
	/* hypervisor MMIO (a second SMMU) from 62 MiB to 63 MiB */
	{ MEM_BASE + 63 * SZ_1M, SZ_1M },
};

#define NR_MEM_REGIONS	(sizeof(mem_regions) / sizeof(mem_regions[0]))

/* The host donates from here; tests map other pages. */
#define DONATE_BASE	(MEM_BASE + 42 * SZ_1M)
#define DONATE_END	(MEM_BASE + 58 * SZ_1M)
/* Memory the host gives at SMMU registration, after that. */
#define HOST_GIFT_BASE	(MEM_BASE + 58 * SZ_1M)

#define IAS		44
#define OAS		44
#define NR_IOMMUS	2
#define NR_SIDS		64
#define MAX_MAPPINGS	16384
#define NR_CPUS		HARNESS_NR_CPUS

/* What a page holds that no one wrote: host data, or the poison of a free page. */
#define HOST_DATA	0x3c
#define POISON		0xa5

static int failures;
static __thread char where[160];
__thread int harness_cpu;
void (*harness_preempt)(void);

#define FAIL(...) do {							\
	failures++;							\
	fprintf(stderr, "# %s: ", where);				\
	fprintf(stderr, __VA_ARGS__);					\
	fputc('\n', stderr);						\
} while (0)

/* A violation seen inside a call of the code under test: fatal there. */
#define VIOLATION(...) do {						\
	FAIL(__VA_ARGS__);						\
	abort();							\
} while (0)

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		FAIL(__VA_ARGS__);					\
		return false;						\
	}								\
} while (0)

static enum kvm_io_pgtable_fmt harness_fmt = KVM_IO_PGTABLE_S2;

/* ---- Memory and the model of its ownership ---- */

enum owner { HOST, HYP, GUEST };

static unsigned char *const mem = (unsigned char *)(uintptr_t)MEM_BASE;
static enum owner mem_owner[MEM_PAGES];
/* The pages counted by the real host_dma.c, so that checks can skip the others */
static unsigned long long mem_dma_total;	/* __atomic accesses */
static struct hyp_page vmemmap[MEM_PAGES];

/* The count of IOMMU mappings host_dma.c keeps for page @p of the window */
#define mem_dma_count(p)	host_dma_count(&vmemmap[p])

/* Changes of owner so far, for the checks of the identity domain */
static unsigned long long owner_changes;

/* Change the owner, as mem_protect.c mirrors it in the vmemmap. */
static void set_owner(unsigned int p, enum owner owner)
{
	owner_changes += mem_owner[p] != owner;
	mem_owner[p] = owner;
	host_dma_note_owned(&vmemmap[p], owner == HOST);
}
static bool in_memcache[MEM_PAGES];

static int mem_region(uint64_t pa)
{
	unsigned int i;

	for (i = 0; i < NR_MEM_REGIONS; i++)
		if (pa >= mem_regions[i].base && pa - mem_regions[i].base < mem_regions[i].size)
			return i;
	return -1;
}

static bool is_mem(uint64_t pa)
{
	return mem_region(pa) >= 0;
}

/* Whether [pa, pa + size) overlaps no memory region. */
static bool range_is_mmio(uint64_t pa, uint64_t size)
{
	unsigned int i;

	for (i = 0; i < NR_MEM_REGIONS; i++)
		if (pa < mem_regions[i].base + mem_regions[i].size &&
		    mem_regions[i].base < pa + size)
			return false;
	return true;
}

/*
 * The MMIO the hypervisor took from the host: the model's two SMMUs, or in
 * the SMMUv3 suite, which starts with none, the registers of each fake SMMU
 * it registers (__pkvm_host_donate_hyp_mmio()). Protected by host_mmu.lock
 */
#define HYP_MMIO_MAX	8
static struct {
	uint64_t base, size;
} hyp_mmio[HYP_MMIO_MAX] = {
	{ SMMU_MMIO, SMMU_MMIO_SIZE }, { SMMU2_MMIO, SMMU2_MMIO_SIZE },
};
static unsigned int hyp_mmio_nr = 2;

static bool mmio_range_host_owned(uint64_t pa, uint64_t size)
{
	unsigned int i;

	for (i = 0; i < hyp_mmio_nr; i++)
		if (pa < hyp_mmio[i].base + hyp_mmio[i].size && hyp_mmio[i].base < pa + size)
			return false;
	return true;
}

static unsigned int mem_page(uint64_t pa)
{
	return (pa - MEM_BASE) / SZ_4K;
}

static long window_page(const void *va)
{
	uintptr_t pa = (uintptr_t)va;

	if (pa < MEM_BASE || pa >= MEM_END)
		return -1;
	return (pa - MEM_BASE) / SZ_4K;
}

static bool bytes_are(const unsigned char *p, size_t n, unsigned char c)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != c)
			return false;
	return true;
}

/* ---- The test's record of the mappings the core reported ---- */

struct mapping {
	u32 domain;
	uint64_t iova, phys, size;
	int prot;
	bool stuck;		/* gone from the tables, but its flush failed */
	uint64_t consumed;	/* pages whose count was dropped, from phys up */
};

static struct mapping maps[MAX_MAPPINGS];
static int nr_maps;

/*
 * What the hypercall in progress is; the model checks unshares against it.
 * IN_RACE: several threads call at once and only the counts are checked.
 */
static enum { IN_NONE, IN_MAP, IN_UNMAP, IN_FREE, IN_RACE } in_call;

/* Serializes the model, as host_mmu.lock does the host stage-2. */
static pthread_mutex_t model_lock = PTHREAD_MUTEX_INITIALIZER;
static u32 in_domain;

static bool device_reaches(u32 domain, uint64_t iova, uint64_t pa);
static bool cpu_reaches(u32 domain, uint64_t iova, uint64_t pa);
static bool tlb_holds_leaf(u32 domain, uint64_t iova, uint64_t size, uint64_t pa);
static bool walk_cache_holds(long page);
/* A device-side cache that may still translate into [pa, pa + len) (fake SMMUs) */
static bool (*device_caches)(uint64_t pa, uint64_t len);
/* Whether a device walking the stream table in memory reaches @pa at @iova (fake SMMUs) */
static bool (*device_tables_reach)(u32 domain, uint64_t iova, uint64_t pa);

/*
 * Account for the count drop of the pages from @pa on, against the
 * mappings of the domain being unmapped or freed, in IOVA order. Returns
 * how many bytes were matched by one mapping that no device can reach any
 * more, neither through the tables in memory nor through a TLB.
 */
static uint64_t take_unshare(uint64_t pa, uint64_t len)
{
	const char *reachable = NULL;
	int i;

	for (i = 0; i < nr_maps; i++) {
		struct mapping *m = &maps[i];
		uint64_t n, iova;

		if (m->domain != in_domain || m->stuck || pa != m->phys + m->consumed * SZ_4K ||
		    m->consumed * SZ_4K >= m->size)
			continue;
		n = m->size - m->consumed * SZ_4K;
		if (n > len)
			n = len;
		iova = m->iova + m->consumed * SZ_4K;
		/* Another mapping of the same page may be the one that went. */
		if (in_call == IN_UNMAP && cpu_reaches(in_domain, iova, pa)) {
			reachable = "through the tables";
			continue;
		}
		if (device_reaches(in_domain, iova, pa) ||
		    (device_tables_reach && device_tables_reach(in_domain, iova, pa))) {
			reachable = "through the tables in memory";
			continue;
		}
		if (tlb_holds_leaf(in_domain, m->iova, m->size, m->phys) ||
		    (device_caches && device_caches(pa, n))) {
			reachable = "through a TLB entry";
			continue;
		}
		m->consumed += n / SZ_4K;
		return n;
	}
	if (reachable)
		VIOLATION("count of %#llx dropped while the IOMMU still reaches it %s",
			  (unsigned long long)pa, reachable);
	return 0;
}

/* As mem_protect.c: host_dma_unshare() on the range's part in each region */
static int unshare_by_region(uint64_t phys, uint64_t size)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < NR_MEM_REGIONS && !ret; i++) {
		uint64_t from = phys > mem_regions[i].base ? phys : mem_regions[i].base;
		uint64_t end = mem_regions[i].base + mem_regions[i].size;
		uint64_t to = phys + size < end ? phys + size : end;

		if (from < to)
			ret = host_dma_unshare(from, to - from);
	}
	return ret;
}

bool addr_is_memory(phys_addr_t phys)
{
	return is_mem(phys);
}

struct host_mmu host_mmu;

u64 host_memory_bytes(u64 start, u64 end)
{
	uint64_t bytes = 0, from, to;
	unsigned int i;

	for (i = 0; i < NR_MEM_REGIONS; i++) {
		from = start > mem_regions[i].base ? start : mem_regions[i].base;
		to = mem_regions[i].base + mem_regions[i].size;
		to = end < to ? end : to;
		if (from < to)
			bytes += to - from;
	}
	return bytes;
}

/*
 * Ranges host_mmio_owned() checked, to bound the identity domain's work;
 * more than mmio_checks_max, when set, is fatal.
 */
static unsigned long long mmio_checks, mmio_checks_max;

/* As the stage-2 walker, which refuses what lies past the CPU's range. */
bool host_mmio_owned(u64 start, u64 end)
{
	if (++mmio_checks > mmio_checks_max && mmio_checks_max)
		VIOLATION("more than %llu ownership checks in a call", mmio_checks_max);
	if (end > BIT_ULL(host_mmu.pgt.ia_bits))
		return false;
	return mmio_range_host_owned(start, end - start);
}

/* What the model expects of __pkvm_host_share_dma() for host memory. */
static int model_share_dma(u64 phys, u64 size)
{
	uint64_t pa;

	for (pa = phys; pa < phys + size; pa += SZ_4K)
		if (mem_owner[mem_page(pa)] != HOST)
			return -EPERM;
	return 0;
}

/* Bytes passed to __pkvm_host_share_dma() and __pkvm_host_unshare_dma() */
static uint64_t accounted_bytes;	/* __atomic accesses */
/* Calls of __pkvm_host_unshare_dma() */
static uint64_t unshare_calls;		/* __atomic accesses */

/*
 * As mem_protect.c's __pkvm_host_share_dma(): a range of MMIO only
 * (host-owned), or of memory within one region, which the real host_dma.c
 * counts without a lock. Outside races the model predicts its result.
 */
int __pkvm_host_share_dma(u64 phys, u64 size)
{
	int ret, want = 0;

	__atomic_fetch_add(&accounted_bytes, size, __ATOMIC_RELAXED);
	if (!size || (phys | size) & (SZ_4K - 1) || phys + size < phys)
		return -EINVAL;
	if (range_is_mmio(phys, size))
		return mmio_range_host_owned(phys, size) ? 0 : -EPERM;
	if (!is_mem(phys) || mem_region(phys) != mem_region(phys + size - 1))
		return -EINVAL;
	if (in_call != IN_RACE)
		want = model_share_dma(phys, size);
	ret = host_dma_share(phys, size);
	if (in_call != IN_RACE && ret != want)
		VIOLATION("share of %#llx+%#llx returned %d, the model says %d",
			  (unsigned long long)phys, (unsigned long long)size, ret, want);
	if (!ret)
		__atomic_fetch_add(&mem_dma_total, size / SZ_4K, __ATOMIC_RELAXED);
	return ret;
}

/*
 * As __pkvm_host_unshare_dma(): any range made of earlier shares, memory
 * of several regions and MMIO alike; only memory pages are counted.
 */
static int model_unshare_dma(u64 phys, u64 size)
{
	bool mmio = range_is_mmio(phys, size);
	uint64_t pa, n;

	if (!size || (phys | size) & (SZ_4K - 1) || phys + size < phys)
		return -EINVAL;
	for (pa = phys; !mmio && pa < phys + size; pa += SZ_4K) {
		if (is_mem(pa) && !mem_dma_count(mem_page(pa)))
			VIOLATION("unshare of %#llx, which has no DMA mapping",
				  (unsigned long long)pa);
	}
	/* Races on pages of their own: no TLB may hold one whose count drops. */
	if (in_call == IN_RACE && device_caches && device_caches(phys, size))
		VIOLATION("count of %#llx dropped while a TLB holds it", (unsigned long long)phys);
	/* Only the tail of a failed map was never visible. */
	for (pa = phys; in_call != IN_MAP && in_call != IN_RACE && pa < phys + size; pa += n) {
		n = take_unshare(pa, phys + size - pa);
		if (!n)
			VIOLATION("count of %#llx dropped, but no unmapped mapping has it",
				  (unsigned long long)pa);
	}
	if (mmio)
		return 0;
	for (pa = phys, n = 0; pa < phys + size; pa += SZ_4K)
		n += is_mem(pa);
	if (unshare_by_region(phys, size))
		VIOLATION("host_dma_unshare() of %#llx+%#llx failed", (unsigned long long)phys,
			  (unsigned long long)size);
	__atomic_fetch_sub(&mem_dma_total, n, __ATOMIC_RELAXED);
	return 0;
}

/*
 * As mem_protect.c's __pkvm_host_unshare_dma(), with the model's checks
 * that the IOMMU can no longer reach what it releases.
 */
int __pkvm_host_unshare_dma(u64 phys, u64 size)
{
	int ret;

	__atomic_fetch_add(&accounted_bytes, size, __ATOMIC_RELAXED);
	__atomic_fetch_add(&unshare_calls, 1, __ATOMIC_RELAXED);
	pthread_mutex_lock(&model_lock);
	ret = model_unshare_dma(phys, size);
	pthread_mutex_unlock(&model_lock);
	return ret;
}

/* Whether the record has a mapping of memory page @pa whose count stands. */
static bool model_page_mapped(uint64_t pa)
{
	int i;

	for (i = 0; i < nr_maps; i++)
		if (pa >= maps[i].phys + maps[i].consumed * SZ_4K &&
		    pa < maps[i].phys + maps[i].size)
			return true;
	return false;
}

/* A claim undone, as host_note_ownership() does when the identity domain fails. */
static void model_unclaim(uint64_t pa, uint64_t nr_pages)
{
	uint64_t i;

	for (i = 0; i < nr_pages; i++)
		host_dma_note_owned(&vmemmap[mem_page(pa) + i], true);
	kvm_iommu_idmap_add(pa, nr_pages * SZ_4K);
}

static void idmap_check_gone(uint64_t pa, uint64_t nr_pages);

/*
 * As __pkvm_host_donate_hyp(), under host_mmu.lock:
 * host memory, claimed by the real host_dma.c, which must refuse a page
 * with DMA mappings. Outside races the model's record of mappings says
 * which are.
 */
int __pkvm_host_donate_hyp(u64 pfn, u64 nr_pages)
{
	uint64_t pa = pfn * SZ_4K, i;
	bool mapped = false;
	int ret = 0;

	if (!nr_pages || pfn > (MEM_END >> 12) || nr_pages > MEM_PAGES ||
	    !is_mem(pa) || mem_region(pa) != mem_region(pa + nr_pages * SZ_4K - 1))
		return -EPERM;
	hyp_spin_lock(&host_mmu.lock);
	for (i = 0; i < nr_pages && !ret; i++) {
		if (mem_owner[mem_page(pa) + i] != HOST)
			ret = -EPERM;
		if (in_call != IN_RACE)
			mapped |= model_page_mapped(pa + i * SZ_4K);
	}
	if (!ret) {
		ret = host_dma_claim(pa, nr_pages * SZ_4K);
		if (in_call != IN_RACE && (ret == -EBUSY) != mapped)
			VIOLATION("claim of %#llx returned %d, the model has %s mapping",
				  (unsigned long long)pa, ret, mapped ? "a" : "no");
	}
	/* As host_claim_initiator(): out of the identity domain, or not claimed */
	if (!ret) {
		ret = kvm_iommu_idmap_remove(pa, nr_pages * SZ_4K);
		if (ret)
			model_unclaim(pa, nr_pages);
	}
	if (!ret)
		idmap_check_gone(pa, nr_pages);
	/* mem_protect.c's backstop, exact once claimed */
	if (!ret && !host_dma_unmapped(pa, nr_pages * SZ_4K))
		VIOLATION("claimed %#llx, which is counted", (unsigned long long)pa);
	for (i = 0; i < nr_pages && !ret; i++)
		set_owner(mem_page(pa) + i, HYP);
	hyp_spin_unlock(&host_mmu.lock);
	return ret;
}

/* As __pkvm_hyp_donate_host(), for pages the host gets back from the IOMMU code. */
int __pkvm_hyp_donate_host(u64 pfn, u64 nr_pages)
{
	uint64_t pa = pfn * SZ_4K, i;
	long p;

	for (i = 0; i < nr_pages; i++) {
		p = window_page((void *)(uintptr_t)(pa + i * SZ_4K));
		if (p < 0 || mem_owner[p] != HYP)
			VIOLATION("%#llx given to the host, but the hypervisor does not own it",
				  (unsigned long long)(pa + i * SZ_4K));
		if (in_memcache[p] || vmemmap[p].refcount)
			VIOLATION("%#llx given to the host while still in use",
				  (unsigned long long)(pa + i * SZ_4K));
		if (!bytes_are(mem + p * SZ_4K, SZ_4K, 0))
			VIOLATION("%#llx given to the host with the hypervisor's data in it",
				  (unsigned long long)(pa + i * SZ_4K));
	}
	hyp_spin_lock(&host_mmu.lock);
	for (i = 0; i < nr_pages; i++)
		set_owner(mem_page(pa) + i, HOST);
	/* As host_note_ownership(): in the identity domain again */
	kvm_iommu_idmap_add(pa, nr_pages * SZ_4K);
	hyp_spin_unlock(&host_mmu.lock);
	return 0;
}

/* ---- The vmemmap and the memcache lists of memory.c ---- */

struct hyp_page *hyp_virt_to_page(void *va)
{
	long p = window_page(va);

	if (p < 0) {
		fprintf(stderr, "hyp_virt_to_page(%p): no memory there\n", va);
		abort();
	}
	return &vmemmap[p];
}

void harness_page_allocated(struct hyp_page *p)
{
	long i = p - vmemmap;

	if (mem_owner[i] != HYP)
		VIOLATION("allocated %#llx, which the hypervisor does not own",
			  (unsigned long long)(MEM_BASE + i * SZ_4K));
	if (!bytes_are(mem + i * SZ_4K, SZ_4K, 0))
		VIOLATION("allocated %#llx without zeroing it",
			  (unsigned long long)(MEM_BASE + i * SZ_4K));
}

void harness_memcache_push(void *va)
{
	long p = window_page(va);

	if (p < 0 || (uintptr_t)va % SZ_4K)
		VIOLATION("%p entered a memcache: not a page of memory", va);
	if (mem_owner[p] != HYP)
		VIOLATION("%p entered a memcache, but the hypervisor does not own it", va);
	if (in_memcache[p])
		VIOLATION("%p entered a memcache twice: freed twice", va);
	if (vmemmap[p].refcount)
		VIOLATION("%p freed with %u references left", va, vmemmap[p].refcount);
	if (walk_cache_holds(p))
		VIOLATION("table %p freed while the IOMMU's walk cache holds it", va);
	/* Whatever was in it is garbage from now on. */
	memset(va, POISON, SZ_4K);
	in_memcache[p] = true;
}

void harness_memcache_pop(void *va)
{
	long p = window_page(va);

	if (p < 0 || !in_memcache[p])
		VIOLATION("%p taken from a memcache, but it was not in one", va);
	in_memcache[p] = false;
}

/* ---- What a non-coherent IOMMU sees of memory ---- */

/*
 * The IOMMU reads tables from memory, not from the CPU's caches: dev_mem
 * holds what reached memory, which is only what was cleaned, a 64-byte
 * line at a time. It starts as stale valid entries (blocks of host
 * memory), so that walking an uncleaned table fails the test.
 */
#define CACHE_LINE	64

static unsigned char *dev_mem;

static void mem_init(void)
{
	void *p = mmap(mem, MEM_PAGES * SZ_4K, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	uint64_t *d;

	if (p != mem) {
		fprintf(stderr, "cannot map the memory window at %#llx: %s\n",
			MEM_BASE, p == MAP_FAILED ? strerror(errno) : "taken");
		exit(2);
	}
	memset(mem, HOST_DATA, MEM_PAGES * SZ_4K);
	dev_mem = aligned_alloc(SZ_4K, (size_t)MEM_PAGES * SZ_4K);
	if (!dev_mem)
		abort();
	for (d = (uint64_t *)dev_mem; d < (uint64_t *)(dev_mem + MEM_PAGES * SZ_4K); d++)
		*d = MEM_BASE | 1;
}

/*
 * Cleans are serialized, as the coherence protocol orders the write-backs
 * of a line: two CPUs cleaning one line never leave the older copy in
 * memory. Entries are copied whole, as other CPUs may be changing them.
 */
static pthread_mutex_t clean_lock = PTHREAD_MUTEX_INITIALIZER;

static void mm_clean(void *va, size_t size)
{
	uintptr_t start = (uintptr_t)va & ~(uintptr_t)(CACHE_LINE - 1);
	uintptr_t end = ((uintptr_t)va + size + CACHE_LINE - 1) & ~(uintptr_t)(CACHE_LINE - 1);
	uintptr_t a;

	if (window_page((void *)start) < 0 || window_page((void *)(end - 1)) < 0) {
		fprintf(stderr, "cache clean of %p, outside memory\n", va);
		abort();
	}
	pthread_mutex_lock(&clean_lock);
	for (a = start; a < end; a += 8)
		__atomic_store_n((uint64_t *)(dev_mem + (a - MEM_BASE)),
				 __atomic_load_n((uint64_t *)a, __ATOMIC_RELAXED),
				 __ATOMIC_RELAXED);
	pthread_mutex_unlock(&clean_lock);
}

void kvm_flush_dcache_to_poc(void *va, size_t size)
{
	mm_clean(va, size);
}

/* What the IOMMU reads from memory at @pa. */
static uint64_t device_read(uint64_t pa)
{
	return __atomic_load_n((uint64_t *)(dev_mem + (pa - MEM_BASE)), __ATOMIC_RELAXED);
}

static uint64_t cpu_read(uint64_t pa)
{
	return __atomic_load_n((uint64_t *)(uintptr_t)pa, __ATOMIC_RELAXED);
}

/* ---- The fake IOMMU: streams, a TLB and a walk cache ---- */

static int attached[NR_IOMMUS][NR_SIDS];	/* domain ID + 1, or 0 */
static struct kvm_hyp_iommu_domain *attached_dom[NR_IOMMUS][NR_SIDS];
static bool flush_fails;
static unsigned long nr_flushes;

static bool domain_attached_any(u32 domain)
{
	int i, s;

	for (i = 0; i < NR_IOMMUS; i++)
		for (s = 0; s < NR_SIDS; s++)
			if (attached[i][s] == (int)domain + 1)
				return true;
	return false;
}

/* A domain whose tables a device may walk: one with a stream attached. */
static struct kvm_hyp_iommu_domain *device_domain(u32 domain)
{
	int i, s;

	for (i = 0; i < NR_IOMMUS; i++)
		for (s = 0; s < NR_SIDS; s++)
			if (attached[i][s] == (int)domain + 1)
				return attached_dom[i][s];
	return NULL;
}

/*
 * Both caches are direct-mapped, as small as hardware's relative to what
 * the tests map: an entry may be evicted at any time, which is always
 * safe, but is dropped otherwise only by an invalidation covering it or
 * by the last detach of its domain. The TLB holds leaves, the walk cache
 * table descriptors: the table page they point at, for the IOVA range
 * that table covers.
 */
#define CACHE_ENTRIES	8192

struct cache_entry {
	bool valid;
	u32 domain;
	uint64_t iova, size, out;
};

static struct cache_entry tlb[CACHE_ENTRIES], walk_cache[CACHE_ENTRIES];
/* Walk-cache entries pointing at each page of memory */
static unsigned int walk_refs[MEM_PAGES];

static unsigned int cache_slot(u32 domain, uint64_t iova, uint64_t size)
{
	uint64_t h = (iova / size) * 0x9e3779b97f4a7c15ULL ^ (uint64_t)domain << 40 ^ size;

	return (h ^ h >> 29) % CACHE_ENTRIES;
}

static void cache_drop(struct cache_entry *cache, struct cache_entry *e)
{
	if (e->valid && cache == walk_cache)
		walk_refs[mem_page(e->out)]--;
	e->valid = false;
}

static void cache_fill(struct cache_entry *cache, u32 domain, uint64_t iova, uint64_t size,
		       uint64_t out)
{
	struct cache_entry *e = &cache[cache_slot(domain, iova, size)];

	cache_drop(cache, e);
	*e = (struct cache_entry) { true, domain, iova, size, out };
	if (cache == walk_cache)
		walk_refs[mem_page(out)]++;
}

static bool tlb_holds_leaf(u32 domain, uint64_t iova, uint64_t size, uint64_t pa)
{
	struct cache_entry *e = &tlb[cache_slot(domain, iova, size)];

	return e->valid && e->domain == domain && e->iova == iova && e->size == size &&
	       e->out == pa;
}

static bool walk_cache_holds(long page)
{
	return walk_refs[page];
}

/* Invalidate what translates any address of [iova, iova + size) in @domain. */
static void cache_invalidate(u32 domain, uint64_t iova, uint64_t size, bool leaf_only)
{
	int i;

	for (i = 0; i < CACHE_ENTRIES; i++) {
		struct cache_entry *t = &tlb[i], *w = &walk_cache[i];

		if (t->valid && t->domain == domain && t->iova < iova + size &&
		    iova < t->iova + t->size)
			cache_drop(tlb, t);
		if (!leaf_only && w->valid && w->domain == domain && w->iova < iova + size &&
		    iova < w->iova + w->size)
			cache_drop(walk_cache, w);
	}
}

static void cache_invalidate_domain(u32 domain)
{
	cache_invalidate(domain, 0, ~0ULL, false);
}

/* ---- Descriptors, decoded by the harness itself ---- */

#define NO_TRANSLATION	(~0ULL)
#define DESC_ADDR	0x0000fffffffff000ULL

static int level_shift(int level)
{
	return 12 + 9 * (3 - level);
}

static int level_bits(struct kvm_io_pgtable *pgt, int level)
{
	return level == (int)pgt->start_level ? (int)pgt->ias - level_shift(level) : 9;
}

/* A table the IOMMU found: an allocated page of the hypervisor's. */
static bool is_table_page(uint64_t pa)
{
	long p = window_page((void *)(uintptr_t)pa);

	return p >= 0 && mem_owner[p] == HYP && vmemmap[p].refcount && !in_memcache[p];
}

/*
 * The descriptor the harness expects for a leaf of @prot at @level: output
 * address, type, access flag, inner shareable, and the permissions and
 * memory type of the format, as the architecture encodes them.
 */
static uint64_t want_leaf(int prot, int level, uint64_t pa)
{
	uint64_t d = pa | (level == 3 ? 3 : 1) | BIT_ULL(10) | 3ULL << 8;
	uint64_t attr;

	if (harness_fmt == KVM_IO_PGTABLE_S2) {
		/* S2AP[1:0] at 7:6 is write, read; MemAttr[3:0] at 5:2; XN[1] */
		d |= (prot & IOMMU_READ ? BIT_ULL(6) : 0) | (prot & IOMMU_WRITE ? BIT_ULL(7) : 0);
		attr = prot & IOMMU_MMIO ? 0x1 : prot & IOMMU_CACHE ? 0xf : 0x5;
		d |= attr << 2;
		if (prot & IOMMU_NOEXEC)
			d |= BIT_ULL(54);
		return d;
	}
	/* nG; AP[1] at 6 is EL0 access, AP[2] at 7 read-only; AttrIndx at 4:2; PXN, UXN */
	d |= BIT_ULL(11);
	if (!(prot & IOMMU_PRIV))
		d |= BIT_ULL(6);
	if (!(prot & IOMMU_WRITE))
		d |= BIT_ULL(7);
	attr = prot & IOMMU_MMIO ? KVM_IO_PGTABLE_MAIR_IDX_DEVICE :
	       prot & IOMMU_CACHE ? KVM_IO_PGTABLE_MAIR_IDX_NORMAL : KVM_IO_PGTABLE_MAIR_IDX_NC;
	d |= attr << 2;
	if (prot & IOMMU_NOEXEC)
		d |= BIT_ULL(53) | BIT_ULL(54);
	return d;
}

/*
 * Walk @iova through @pgt, reading entries with @read (memory as the IOMMU
 * sees it, or as the CPU does): the leaf descriptor and its level, or 0 at
 * an invalid entry. With @fill, the IOMMU caches what it walked. A
 * reserved descriptor, or a table entry pointing at anything but a table
 * page, fails the test.
 */
static uint64_t walk_leaf(struct kvm_io_pgtable *pgt, u32 domain, uint64_t iova,
			  uint64_t (*read)(uint64_t pa), bool fill, int *level)
{
	uint64_t table = (uintptr_t)pgt->pgd;
	int l;

	if (iova >> pgt->ias)
		return 0;
	for (l = pgt->start_level; l <= 3; l++) {
		int shift = level_shift(l);
		uint64_t d = read(table + 8 * ((iova >> shift) & ((1ULL << level_bits(pgt, l)) - 1)));

		if (!(d & 1))
			return 0;
		if (l == 3 || (d & 3) == 1) {
			if (l == 0 || (l == 3 && (d & 3) != 3)) {
				FAIL("reserved descriptor %#llx at level %d",
				     (unsigned long long)d, l);
				return 0;
			}
			*level = l;
			if (fill)
				cache_fill(tlb, domain, iova & ~((1ULL << shift) - 1), 1ULL << shift,
					   d & DESC_ADDR & ~((1ULL << shift) - 1));
			return d;
		}
		if (!is_table_page(d & DESC_ADDR)) {
			FAIL("the IOMMU walks %#llx as a table", (unsigned long long)d);
			return 0;
		}
		table = d & DESC_ADDR;
		if (fill)
			cache_fill(walk_cache, domain, iova & ~((1ULL << shift) - 1), 1ULL << shift,
				   table);
	}
	return 0;
}

static uint64_t leaf_out(uint64_t desc, int level, uint64_t iova)
{
	uint64_t mask = (1ULL << level_shift(level)) - 1;

	return (desc & DESC_ADDR & ~mask) | (iova & mask);
}

/* Where @iova of @domain goes for a device, or NO_TRANSLATION. */
static uint64_t device_translate(u32 domain, uint64_t iova)
{
	struct kvm_hyp_iommu_domain *d = device_domain(domain);
	uint64_t desc;
	int level;

	if (!d)
		return NO_TRANSLATION;
	desc = walk_leaf(&d->pgt, domain, iova, device_read, false, &level);
	return desc ? leaf_out(desc, level, iova) : NO_TRANSLATION;
}

/* Table pages under @table, itself included, as the CPU holds them. */
static int count_tables(struct kvm_io_pgtable *pgt, uint64_t table, int l)
{
	uint64_t i, d;
	int n = 1;

	for (i = 0; l < 3 && i < 1ULL << level_bits(pgt, l); i++) {
		d = cpu_read(table + 8 * i);
		if ((d & 3) == 3)
			n += count_tables(pgt, d & DESC_ADDR, l + 1);
	}
	return n;
}

static struct kvm_hyp_iommu_domain *live_domains[KVM_IOMMU_MAX_DOMAINS];

static int domain_tables(u32 dom)
{
	struct kvm_io_pgtable *pgt = &live_domains[dom]->pgt;

	return count_tables(pgt, (uintptr_t)pgt->pgd, pgt->start_level);
}

static bool device_reaches(u32 domain, uint64_t iova, uint64_t pa)
{
	return device_translate(domain, iova) == pa;
}

/* The domain's tables as the CPU holds them; NULL when the domain is not live. */

static bool cpu_reaches(u32 domain, uint64_t iova, uint64_t pa)
{
	struct kvm_hyp_iommu_domain *d = live_domains[domain];
	uint64_t desc;
	int level;

	if (!d)
		return false;
	desc = walk_leaf(&d->pgt, domain, iova, cpu_read, false, &level);
	return desc && leaf_out(desc, level, iova) == pa;
}

/* The IOMMU translates [iova, iova + size) of an attached domain and caches it. */
static void device_fill(u32 domain, uint64_t iova, uint64_t size)
{
	struct kvm_hyp_iommu_domain *d = device_domain(domain);
	uint64_t end = iova + size;
	int level;

	while (d && iova < end) {
		if (!walk_leaf(&d->pgt, domain, iova, device_read, true, &level))
			level = 3;
		iova = (iova | ((1ULL << level_shift(level)) - 1)) + 1;
		if (!iova)
			break;
	}
}

/* ---- The fake IOMMU's driver operations ---- */

static void device_fill_all(struct kvm_hyp_iommu_domain *d);

/* Stream state is per IOMMU, shared by domains: the driver locks it. */
static int fake_attach(struct kvm_hyp_iommu_domain *d, u32 iommu, u32 sid)
{
	int ret = 0;

	if (iommu >= NR_IOMMUS || sid >= NR_SIDS)
		return -EINVAL;
	pthread_mutex_lock(&model_lock);
	if (attached[iommu][sid]) {
		ret = -EBUSY;
	} else {
		attached[iommu][sid] = d->id + 1;
		attached_dom[iommu][sid] = d;
		/* From now on the device may walk and cache all of the domain. */
		if (in_call != IN_RACE)
			device_fill_all(d);
	}
	pthread_mutex_unlock(&model_lock);
	return ret;
}

static int fake_detach(struct kvm_hyp_iommu_domain *d, u32 iommu, u32 sid)
{
	int ret = 0;

	if (iommu >= NR_IOMMUS || sid >= NR_SIDS)
		return -EINVAL;
	pthread_mutex_lock(&model_lock);
	if (attached[iommu][sid] != (int)d->id + 1) {
		ret = -ENOENT;
	} else {
		attached[iommu][sid] = 0;
		/* The driver's contract: no TLB entry outlives the last stream. */
		if (!domain_attached_any(d->id))
			cache_invalidate_domain(d->id);
	}
	pthread_mutex_unlock(&model_lock);
	return ret;
}

/* Leaf entries only, as the hardware's leaf TLBI: the walk cache stays. */
static int fake_flush(struct kvm_hyp_iommu_domain *d, u64 iova, size_t size)
{
	__atomic_fetch_add(&nr_flushes, 1, __ATOMIC_RELAXED);
	if (flush_fails)
		return -EIO;
	pthread_mutex_lock(&model_lock);
	cache_invalidate(d->id, iova, size, true);
	pthread_mutex_unlock(&model_lock);
	return 0;
}

static const struct kvm_iommu_ops fake_ops = {
	.attach_dev = fake_attach,
	.detach_dev = fake_detach,
	.flush_range = fake_flush,
};

/* ---- The IOMMU's walk of whole tables, through memory ---- */

/* A leaf the IOMMU found is one the core reported mapped and not removed, with its prot. */
static bool leaf_recorded(u32 domain, uint64_t iova, uint64_t desc, int level)
{
	uint64_t size = 1ULL << level_shift(level), pa = leaf_out(desc, level, 0);
	int i;

	for (i = 0; i < nr_maps; i++) {
		struct mapping *m = &maps[i];

		if (m->domain == domain && m->iova == iova && m->phys == pa && m->size == size &&
		    !m->consumed && !m->stuck)
			return desc == want_leaf(m->prot, level, pa);
	}
	return false;
}

/* ---- The identity domain, against the model of ownership ---- */

#define IDMAP_MEM_PROT	(IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE | IOMMU_NOEXEC)
#define IDMAP_MMIO_PROT	(IOMMU_READ | IOMMU_WRITE | IOMMU_MMIO | IOMMU_NOEXEC)

/* The prot the identity domain must map [pa, pa + size) with, or 0: none or not all of it. */
static int idmap_want(uint64_t pa, uint64_t size)
{
	uint64_t p;

	if (pa + size > BIT_ULL(host_mmu.pgt.ia_bits))
		return 0;
	if (range_is_mmio(pa, size))
		return mmio_range_host_owned(pa, size) ? IDMAP_MMIO_PROT : 0;
	for (p = pa; p < pa + size; p += SZ_4K)
		if (!is_mem(p) || mem_owner[mem_page(p)] != HOST)
			return 0;
	return IDMAP_MEM_PROT;
}

/* A leaf of the identity domain maps its own address, all of it the host's, as it should. */
static bool idmap_leaf_ok(uint64_t iova, uint64_t desc, int level)
{
	uint64_t size = 1ULL << level_shift(level);
	int prot = idmap_want(iova, size);

	return prot && leaf_out(desc, level, 0) == iova && desc == want_leaf(prot, level, iova);
}

/*
 * Whether the IOMMU's TLB has an entry of @domain that translates @iova: a
 * leaf of one of the three sizes, in the one slot each would take.
 */
static bool tlb_covers(u32 domain, uint64_t iova)
{
	static const uint64_t sizes[] = { SZ_4K, SZ_2M, SZ_1G };
	unsigned int i;

	for (i = 0; i < 3; i++) {
		uint64_t base = iova & ~(sizes[i] - 1);
		struct cache_entry *e = &tlb[cache_slot(domain, base, sizes[i])];

		if (e->valid && e->domain == domain && e->iova == base && e->size == sizes[i])
			return true;
	}
	return false;
}

/*
 * The moment a claimed page leaves the identity domain: no IOMMU reaches
 * it any more, through the tables or a TLB entry.
 */
static void idmap_check_gone(uint64_t pa, uint64_t nr_pages)
{
	uint64_t p;

	if (!live_domains[KVM_IOMMU_IDENTITY_DOMAIN])
		return;
	for (p = pa; p < pa + nr_pages * SZ_4K; p += SZ_4K) {
		if (device_translate(KVM_IOMMU_IDENTITY_DOMAIN, p) == p ||
		    cpu_reaches(KVM_IOMMU_IDENTITY_DOMAIN, p, p))
			VIOLATION("%#llx claimed while the identity domain maps it",
				  (unsigned long long)p);
		if (tlb_covers(KVM_IOMMU_IDENTITY_DOMAIN, p))
			VIOLATION("%#llx claimed while a TLB entry of the identity domain holds it",
				  (unsigned long long)p);
	}
}

/*
 * The identity domain's tables, as the CPU holds them, map exactly what
 * the model says the host owns: every page of the memory window and the
 * MMIO around it, each leaf with the descriptor its kind asks for.
 */
static bool check_idmap(void)
{
	static const uint64_t mmio[] = { HOST_MMIO, HOST_MMIO_1G, HOST_MMIO_1G + SZ_1G - SZ_4K,
					 SMMU_MMIO, SMMU_MMIO + SMMU_MMIO_SIZE - SZ_4K,
					 SMMU2_MMIO, 0, MEM_END };
	struct kvm_hyp_iommu_domain *d = live_domains[KVM_IOMMU_IDENTITY_DOMAIN];
	uint64_t pa, desc;
	unsigned int i;
	int level;

	if (!d)
		return true;
	for (i = 0; i < MEM_PAGES + sizeof(mmio) / sizeof(mmio[0]); i++) {
		pa = i < MEM_PAGES ? MEM_BASE + i * SZ_4K : mmio[i - MEM_PAGES];
		desc = walk_leaf(&d->pgt, KVM_IOMMU_IDENTITY_DOMAIN, pa, cpu_read, false, &level);
		if (idmap_want(pa, SZ_4K))
			CHECK(desc && idmap_leaf_ok(pa & ~((1ULL << level_shift(level)) - 1), desc,
						    level),
			      "identity domain: %#llx, the host's, maps as %#llx", (unsigned long long)pa,
			      (unsigned long long)desc);
		else
			CHECK(!desc, "identity domain: %#llx, not the host's, maps as %#llx",
			      (unsigned long long)pa, (unsigned long long)desc);
	}
	CHECK(kvm_iommu_stat(KVM_IOMMU_STAT_IDMAP_PAGES) ==
	      count_tables(&d->pgt, (uintptr_t)d->pgt.pgd, d->pgt.start_level),
	      "the hypervisor reports %lld identity table pages, %d seen",
	      (long long)kvm_iommu_stat(KVM_IOMMU_STAT_IDMAP_PAGES),
	      count_tables(&d->pgt, (uintptr_t)d->pgt.pgd, d->pgt.start_level));
	return true;
}

static bool device_walk(struct kvm_io_pgtable *pgt, u32 domain, uint64_t table, int l,
			uint64_t base, bool fill)
{
	int shift = level_shift(l);
	uint64_t i;

	for (i = 0; i < 1ULL << level_bits(pgt, l); i++) {
		uint64_t d = device_read(table + 8 * i), iova = base + (i << shift);

		if (!(d & 1))
			continue;
		if (l == 3 || (d & 3) == 1) {
			CHECK(l != 0 && (l != 3 || (d & 3) == 3),
			      "reserved descriptor %#llx at level %d", (unsigned long long)d, l);
			if (fill)
				cache_fill(tlb, domain, iova, 1ULL << shift, leaf_out(d, l, 0));
			else if (domain == KVM_IOMMU_IDENTITY_DOMAIN)
				CHECK(idmap_leaf_ok(iova, d, l),
				      "identity domain: the IOMMU reads %#llx at level %d for %#llx",
				      (unsigned long long)d, l, (unsigned long long)iova);
			else
				CHECK(leaf_recorded(domain, iova, d, l),
				      "domain %u: the IOMMU reads %#llx for %#llx, which nothing maps so",
				      domain, (unsigned long long)d, (unsigned long long)iova);
			continue;
		}
		CHECK(is_table_page(d & DESC_ADDR), "domain %u: the IOMMU walks %#llx as a table",
		      domain, (unsigned long long)d);
		if (fill)
			cache_fill(walk_cache, domain, iova, 1ULL << shift, d & DESC_ADDR);
		if (!device_walk(pgt, domain, d & DESC_ADDR, l + 1, iova, fill))
			return false;
	}
	return true;
}

static void device_fill_all(struct kvm_hyp_iommu_domain *d)
{
	device_walk(&d->pgt, d->id, (uintptr_t)d->pgt.pgd, d->pgt.start_level, 0, true);
}

/*
 * Every table of every attached domain, as the IOMMU reads it from memory,
 * holds exactly leaves that the core reported mapped, each with the
 * descriptor its prot asks for: nothing uncleaned, stale or recycled is
 * walked.
 */
static bool check_device_tables(void)
{
	int i, s;

	for (i = 0; i < NR_IOMMUS; i++) {
		for (s = 0; s < NR_SIDS; s++) {
			struct kvm_hyp_iommu_domain *d = attached_dom[i][s];

			if (attached[i][s] &&
			    !device_walk(&d->pgt, d->id, (uintptr_t)d->pgt.pgd, d->pgt.start_level, 0,
					 false))
				return false;
		}
	}
	return true;
}

/* ---- Checks ---- */

static void drop_consumed(void)
{
	int i;

	for (i = 0; i < nr_maps; i++) {
		if (maps[i].consumed * SZ_4K == maps[i].size)
			maps[i--] = maps[--nr_maps];
	}
}

/* Pages left accounted by failed flushes, once release_leaks() dropped their records */
static uint64_t dma_pages_leaked;

static bool check_state(void)
{
	static unsigned int want[MEM_PAGES];
	static uint32_t touched[MEM_PAGES];
	unsigned long long nr_touched = 0, mappings = 0;
	bool ok = true;
	uint64_t p;
	int i;

	for (i = 0; i < nr_maps; i++) {
		struct mapping *m = &maps[i];
		struct kvm_hyp_iommu_domain *d;
		uint64_t desc, last = m->iova + m->size - 1;
		int level;

		CHECK(mmio_range_host_owned(m->phys, m->size),
		      "mapping of hypervisor MMIO at %#llx", (unsigned long long)m->phys);
		for (p = m->consumed; !range_is_mmio(m->phys, m->size) && p < m->size / SZ_4K;
		     p++) {
			uint64_t pa = m->phys + p * SZ_4K;

			if (!is_mem(pa))
				continue;
			if (!want[mem_page(pa)]++)
				touched[nr_touched++] = mem_page(pa);
			mappings++;
			CHECK(mem_owner[mem_page(pa)] == HOST,
			      "mapping of %#llx, a page the host does not own",
			      (unsigned long long)pa);
		}
		/*
		 * After a failed flush the IOVA may be mapped again: the stale
		 * TLB entry still points at a page that stays counted.
		 */
		if (m->consumed || m->stuck)
			continue;
		d = live_domains[m->domain];
		CHECK(d, "domain %u has a mapping but is not live", m->domain);
		desc = walk_leaf(&d->pgt, m->domain, last, cpu_read, false, &level);
		CHECK(desc && leaf_out(desc, level, last) == m->phys + m->size - 1,
		      "domain %u iova %#llx: the tables hold %#llx, want a leaf to %#llx",
		      m->domain, (unsigned long long)m->iova, (unsigned long long)desc,
		      (unsigned long long)m->phys);
		CHECK(desc == want_leaf(m->prot, level, m->phys) &&
		      1ULL << level_shift(level) == m->size,
		      "domain %u iova %#llx prot %#x: descriptor %#llx at level %d, want %#llx",
		      m->domain, (unsigned long long)m->iova, m->prot, (unsigned long long)desc,
		      level, (unsigned long long)want_leaf(m->prot, level, m->phys));
		CHECK(!device_domain(m->domain) ||
		      device_translate(m->domain, last) == m->phys + m->size - 1,
		      "domain %u iova %#llx: the IOMMU reads another translation in memory",
		      m->domain, (unsigned long long)m->iova);
	}
	/*
	 * Counts match on the mapped pages, and sum to as many mappings: all
	 * other pages have none.
	 */
	for (i = 0; i < (int)nr_touched; i++) {
		p = touched[i];
		if (ok && mem_dma_count(p) != want[p]) {
			FAIL("page %#llx: DMA count %u, %u mappings",
			     (unsigned long long)(MEM_BASE + p * SZ_4K), mem_dma_count(p),
			     want[p]);
			ok = false;
		}
		want[p] = 0;
	}
	if (!ok)
		return false;
	CHECK(mem_dma_total == mappings, "%llu page counts, %llu mappings",
	      mem_dma_total, mappings);
	/* What the hypervisor reports of itself agrees, MMIO pages included. */
	for (i = 0, p = dma_pages_leaked; i < nr_maps; i++)
		p += maps[i].size / SZ_4K - maps[i].consumed;
	CHECK(kvm_iommu_stat(KVM_IOMMU_STAT_DMA_PAGES) == (s64)p,
	      "the hypervisor reports %lld DMA pages, %llu mapped",
	      (long long)kvm_iommu_stat(KVM_IOMMU_STAT_DMA_PAGES), (unsigned long long)p);
	return true;
}

/* ---- The host's side of the memory supply ---- */

static unsigned long long pages_donated, pages_reclaimed;
static uint64_t next_donation = DONATE_BASE;

/* The host donates @n free pages of its own to the current CPU's memcache. */
static void host_donate(unsigned long n)
{
	uint64_t tried = 0;

	while (n) {
		uint64_t pa = next_donation;
		int ret;

		next_donation = pa + SZ_4K < DONATE_END ? pa + SZ_4K : DONATE_BASE;
		if (++tried > (DONATE_END - DONATE_BASE) / SZ_4K) {
			fprintf(stderr, "# %s: the host ran out of pages to donate\n", where);
			abort();
		}
		if (mem_owner[mem_page(pa)] != HOST || mem_dma_count(mem_page(pa)))
			continue;
		ret = kvm_iommu_donate_pages(pa / SZ_4K, 1);
		if (ret)
			VIOLATION("donation of a free host page %#llx refused: %d",
				  (unsigned long long)pa, ret);
		pages_donated++;
		n--;
		tried = 0;
	}
}

/* The host takes back what the hypervisor can give on @cpu. */
static void host_reclaim(int cpu)
{
	int old = harness_cpu;
	long pfn;

	harness_cpu = cpu;
	while ((pfn = kvm_iommu_reclaim_page()) >= 0)
		pages_reclaimed++;
	if (pfn != -ENOENT)
		VIOLATION("reclaim returned %ld", pfn);
	harness_cpu = old;
}

/* Leave exactly @n pages in the current CPU's memcache. */
static void set_memcache(unsigned long n)
{
	host_reclaim(harness_cpu);
	host_donate(n);
}

/*
 * Donated pages are in use or in a memcache, and the count the memory
 * supply keeps of those in use is right.
 */
static bool check_memory(void)
{
	long long in_use = 0, cached = 0;
	long p;

	for (p = 0; p < (long)MEM_PAGES; p++) {
		if (in_memcache[p])
			cached++;
		else if (vmemmap[p].refcount)
			in_use++;
	}
	CHECK(in_use == kvm_iommu_pages_in_use(), "%lld pages referenced, %d counted in use",
	      in_use, kvm_iommu_pages_in_use());
	CHECK(in_use + cached == (long long)(pages_donated - pages_reclaimed),
	      "%lld pages in use or cached, %llu donated and not reclaimed", in_use + cached,
	      pages_donated - pages_reclaimed);
	CHECK(kvm_iommu_stat(KVM_IOMMU_STAT_PAGES_HELD) == in_use + cached &&
	      kvm_iommu_stat(KVM_IOMMU_STAT_PAGES_IN_USE) == in_use,
	      "the hypervisor reports %lld pages held, %lld in use; %lld and %lld seen",
	      (long long)kvm_iommu_stat(KVM_IOMMU_STAT_PAGES_HELD),
	      (long long)kvm_iommu_stat(KVM_IOMMU_STAT_PAGES_IN_USE), in_use + cached, in_use);
	return true;
}

/* ---- Hypercall wrappers that keep the record ---- */

/* Maps that mapped something: a fuzzer that makes none is not testing. */
static unsigned long long maps_made;

/*
 * Record what a map made of @mapped bytes at @iova from @pa: one record
 * per leaf, of @pgsize, or one level down where a block met a table that
 * earlier mappings left.
 */
static void record_map(uint64_t dom, uint64_t iova, uint64_t pa, uint64_t pgsize,
		       uint64_t prot, size_t mapped)
{
	size_t i, size;
	int level;

	for (i = 0; i < mapped; i += size) {
		/* Without the fake IOMMU, the harness does not know the tables. */
		if (!live_domains[dom])
			size = pgsize;
		else if (walk_leaf(&live_domains[dom]->pgt, dom, iova + i, cpu_read, false,
				   &level))
			size = 1ULL << level_shift(level);
		else
			size = 0;
		if (size != pgsize && (pgsize == SZ_4K || size != pgsize >> 9)) {
			VIOLATION("map of %#llx by %#llx: a leaf of %#llx at %#llx",
				  (unsigned long long)iova, (unsigned long long)pgsize,
				  (unsigned long long)size, (unsigned long long)(iova + i));
		}
		if (nr_maps == MAX_MAPPINGS) {
			fprintf(stderr, "the test's record of mappings is full\n");
			abort();
		}
		maps[nr_maps++] = (struct mapping) {
			.domain = dom, .iova = iova + i, .phys = pa + i, .size = size,
			.prot = prot,
		};
	}
}

static int map(uint64_t dom, uint64_t iova, uint64_t pa, uint64_t pgsize,
	       uint64_t pgcount, uint64_t prot, size_t *mapped_out)
{
	size_t mapped;
	int ret;

	in_call = IN_MAP;
	in_domain = dom;
	ret = kvm_iommu_map_pages(dom, iova, pa, pgsize, pgcount, prot, &mapped);
	in_call = IN_NONE;
	record_map(dom, iova, pa, pgsize, prot, mapped);
	/* The device may use the new mappings at once. */
	if (mapped) {
		maps_made++;
		device_fill(dom, iova, mapped);
	}
	if (mapped_out)
		*mapped_out = mapped;
	return ret;
}

/* As map(), for kvm_iommu_map_runs(): the runs at consecutive IOVAs. */
static int map_runs(uint64_t dom, uint64_t iova, uint64_t prot, const u64 *runs,
		    uint64_t nr, size_t *mapped_out)
{
	size_t mapped, done = 0, n;
	uint64_t i;
	int ret;

	in_call = IN_MAP;
	in_domain = dom;
	ret = kvm_iommu_map_runs(dom, iova, prot, runs, nr, &mapped);
	in_call = IN_NONE;
	for (i = 0; i < nr && done < mapped; i++, done += n) {
		n = KVM_IOMMU_RUN_PAGES(runs[i]) * SZ_4K;
		if (n > mapped - done)
			n = mapped - done;
		record_map(dom, iova + done, KVM_IOMMU_RUN_PHYS(runs[i]), SZ_4K, prot, n);
	}
	if (done != mapped)
		VIOLATION("map of %llu runs mapped %#zx, more than the runs hold",
			  (unsigned long long)nr, mapped);
	if (mapped) {
		maps_made++;
		device_fill(dom, iova, mapped);
	}
	if (mapped_out)
		*mapped_out = mapped;
	return ret;
}

static int unmap(uint64_t dom, uint64_t iova, uint64_t pgsize, uint64_t pgcount,
		 size_t *unmapped_out)
{
	size_t unmapped;
	int ret, i, level;

	in_call = IN_UNMAP;
	in_domain = dom;
	ret = kvm_iommu_unmap_pages(dom, iova, pgsize, pgcount, &unmapped);
	in_call = IN_NONE;
	if (unmapped > (unsigned __int128)pgsize * pgcount)
		VIOLATION("unmap of %#llx bytes unmapped %#zx", (unsigned long long)(pgsize * pgcount),
			  unmapped);
	drop_consumed();
	/* Mappings gone from the tables but still counted: their flush failed. */
	for (i = 0; flush_fails && dom < KVM_IOMMU_MAX_DOMAINS && live_domains[dom] &&
	     i < nr_maps; i++)
		if (maps[i].domain == dom && !maps[i].stuck &&
		    !walk_leaf(&live_domains[dom]->pgt, dom, maps[i].iova, cpu_read, false,
			       &level))
			maps[i].stuck = true;
	if (unmapped_out)
		*unmapped_out = unmapped;
	return ret;
}

/*
 * The domain just allocated in @slot, found the way a device finds it:
 * through an attach. The harness needs its tables to decode them; the
 * core keeps them private, so the fake IOMMU records them on first
 * attach, and alloc_domain() attaches and detaches a spare stream.
 */
#define SPARE_IOMMU	(NR_IOMMUS - 1)
#define SPARE_SID	(NR_SIDS - 1)

static int alloc_domain(uint64_t dom)
{
	int ret = kvm_iommu_alloc_domain(dom);

	if (ret)
		return ret;
	if (kvm_iommu_attach_dev(SPARE_IOMMU, dom, SPARE_SID) ||
	    !(live_domains[dom] = attached_dom[SPARE_IOMMU][SPARE_SID]) ||
	    kvm_iommu_detach_dev(SPARE_IOMMU, dom, SPARE_SID)) {
		fprintf(stderr, "# %s: cannot find the tables of domain %llu\n", where,
			(unsigned long long)dom);
		abort();
	}
	return 0;
}

/*
 * One free_domain call, which releases 2MiB of counts at most, or a
 * single leaf, and when it asks to be called again has released some.
 */
static int free_domain_once(uint64_t dom)
{
	uint64_t bytes, leaves;
	int ret;

	in_call = IN_FREE;
	in_domain = dom;
	bytes = __atomic_load_n(&accounted_bytes, __ATOMIC_RELAXED);
	leaves = __atomic_load_n(&unshare_calls, __ATOMIC_RELAXED);
	ret = kvm_iommu_free_domain(dom);
	bytes = __atomic_load_n(&accounted_bytes, __ATOMIC_RELAXED) - bytes;
	leaves = __atomic_load_n(&unshare_calls, __ATOMIC_RELAXED) - leaves;
	in_call = IN_NONE;
	if (bytes > SZ_2M && leaves > 1)
		VIOLATION("one free of domain %llu released %llu bytes in %llu leaves",
			  (unsigned long long)dom, (unsigned long long)bytes,
			  (unsigned long long)leaves);
	if (ret == -EAGAIN && !leaves)
		VIOLATION("a free of domain %llu asks to be called again, but released nothing",
			  (unsigned long long)dom);
	if (!ret)
		live_domains[dom] = NULL;
	drop_consumed();
	return ret;
}

/* Free a domain as the host driver does: again while mappings remain. */
static int free_domain(uint64_t dom)
{
	int ret;

	while ((ret = free_domain_once(dom)) == -EAGAIN)
		;
	return ret;
}

/* ---- Random calls ---- */

#define RW		(IOMMU_READ | IOMMU_WRITE)
/* The largest donation the host makes for one -ENOMEM: the host driver's batch. */
#define MAX_DONATION	64

static unsigned long long hypercalls;
static bool flush_failed;
/* HARNESS_TRACE=1 in the environment: print every random call, to debug a failure. */
static bool trace_calls;

/*
 * The error the core must give for arguments out of range, computed
 * without overflow; 0 when the arguments are in range, and then the core
 * must not answer -ERANGE.
 */
static int want_arg_error(bool is_map, uint64_t dom, uint64_t iova, uint64_t pa,
			  uint64_t pgsize, uint64_t pgcount, uint64_t prot)
{
	unsigned __int128 size = (unsigned __int128)pgsize * pgcount;
	const uint64_t valid = IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE | IOMMU_NOEXEC |
			       IOMMU_MMIO | IOMMU_PRIV;

	if (dom == KVM_IOMMU_IDENTITY_DOMAIN)
		return -EPERM;
	if ((pgsize != SZ_4K && pgsize != SZ_2M && pgsize != SZ_1G) || !pgcount ||
	    iova % pgsize)
		return -EINVAL;
	if (iova + size > (unsigned __int128)1 << IAS)
		return -ERANGE;
	if (is_map) {
		if (pa % pgsize || (prot & ~valid) || !(prot & RW))
			return -EINVAL;
		if (pa + size > (unsigned __int128)1 << OAS)
			return -ERANGE;
	}
	return dom >= KVM_IOMMU_MAX_DOMAINS ? -EINVAL : 0;
}

/* Arguments at the edges: of the input range, of 2^64, unaligned. */
static void corner(uint64_t (*next)(void), uint64_t *iova, uint64_t *pa, uint64_t *pgsize,
		   uint64_t *pgcount)
{
	const uint64_t top = 1ULL << IAS;

	switch (next() % 12) {
	case 0:		/* the last pages below 2^ias, and past it */
		*iova = top - (next() % 4) * *pgsize;
		break;
	case 1:		/* the last pages below 2^64 */
		*iova = -(1 + next() % 4) * *pgsize;
		break;
	case 2:
		*iova += 1 + next() % (*pgsize - 1);
		break;
	case 3:		/* exactly up to 2^ias, one short, one over */
		*pgcount = (top - *iova % top) / *pgsize + next() % 3 - 1;
		*iova %= top;
		break;
	case 4:		/* sizes that wrap 2^64 */
		*pgcount = next() % 2 ? ~0ULL - next() % 4 : (~0ULL / *pgsize) + 1 + next() % 4;
		break;
	case 5:
		*pa += 1 + next() % (SZ_4K - 1);
		break;
	case 6:		/* at the top of the output range and past it */
		*pa = (1ULL << OAS) - (next() % 4) * *pgsize;
		break;
	case 7:
		*pa = -(1 + next() % 4) * *pgsize;
		break;
	case 8:		/* the whole input range from 0 */
		*iova = 0;
		*pgcount = top / *pgsize - next() % 2;
		break;
	default:
		break;
	}
}

/*
 * One random hypercall with plausible and hostile arguments, on a random
 * simulated CPU whose memcache holds what the host donated to it: like the
 * host, donate what an -ENOMEM asks for and retry once. That retry must
 * not run out of memory again. Arguments come from @next, a PRNG or a
 * fuzzer's input.
 */
static void random_call(uint64_t (*next)(void))
{
	static const uint64_t pgsizes[] = { SZ_4K, SZ_4K, SZ_4K, SZ_2M, SZ_1G, SZ_8K };
	int cpu = next() % NR_CPUS;
	u32 dom = next() % 6 == 0 ? next() % 2000 : next() % 8;
	uint64_t pgsize = pgsizes[next() % 6];
	uint64_t pgcount = 1 + next() % 8;
	uint64_t iova = (next() % 64) * SZ_2M + (pgsize == SZ_4K ? (next() % 512) * SZ_4K : 0);
	uint32_t iommu = next() % 3, sid = next() % (NR_SIDS + 1);
	int prot = next() % 16 ? (int)(1 + next() % 63) : (int)(next() << 16);
	/* Keep the live set bounded: past 1024 mappings, only unmap. */
	int kind = nr_maps > 1024 ? 11 : next() % 19;
	uint64_t pa, nr = 0, i, n, runs[KVM_IOMMU_MAX_RUNS + 1], want_ret = 0;
	size_t progress = 0;
	size_t done;
	int ret, tries;

	if (pgsize == SZ_1G) {
		pa = HOST_MMIO_1G + (next() % 4) * SZ_1G;
		iova = (next() % 8) * SZ_1G;
		pgcount = 1;
	} else if (next() % 10 == 0) {
		pa = next() % 2 ? HOST_MMIO : SMMU_MMIO;
		pgsize = SZ_4K;
	} else {
		pa = MEM_BASE + ((next() % (MEM_PAGES * SZ_4K / pgsize - pgcount)) * pgsize);
	}
	if (kind > 10 && kind < 16 && nr_maps && next() % 2) {
		struct mapping *m = &maps[next() % nr_maps];

		dom = m->domain;
		iova = m->iova;
		pgsize = m->size;
	}
	if (pgsize != SZ_8K && next() % 8 == 0)
		corner(next, &iova, &pa, &pgsize, &pgcount);
	/* The last stream of each IOMMU stays for alloc_domain(). */
	if (iommu == SPARE_IOMMU && sid == SPARE_SID)
		sid = 0;
	harness_cpu = cpu;
	flush_fails = kind >= 11 && kind < 16 && next() % 64 == 0;
	flush_failed |= flush_fails;

	/* A map of runs reserves run by run: a retry that got further may ask again. */
	for (tries = 0; tries < 2 || progress ||
	     (!kind && dom == KVM_IOMMU_IDENTITY_DOMAIN && tries < 4); tries++) {
		progress = 0;
		hypercalls++;
		switch (kind) {
		case 0:
			ret = alloc_domain(dom);
			break;
		case 1:
			ret = free_domain(dom);
			break;
		case 2:
		case 3:
			ret = kvm_iommu_attach_dev(iommu, dom, sid);
			break;
		case 4:
			ret = kvm_iommu_detach_dev(iommu, dom, sid);
			break;
		case 5 ... 10:
			if (pgsize == SZ_4K && (tries ? nr != ~0ULL : next() % 4 == 0)) {
				/*
				 * Scattered runs of pages, as a scatterlist makes
				 * them, well inside the input size.
				 */
				if (!tries) {
					iova &= SZ_1G - 1;
					nr = next() % (KVM_IOMMU_MAX_RUNS + 2);
					for (i = 0; i < nr; i++)
						runs[i] = KVM_IOMMU_RUN(MEM_BASE + (next() % (MEM_PAGES - 8)) *
									SZ_4K, 1 + next() % 8);
				}
				ret = map_runs(dom, iova, prot, runs, nr, &done);
				progress = ret == -ENOMEM ? done : 0;
				if (nr > KVM_IOMMU_MAX_RUNS && ret != -EINVAL &&
				    dom != KVM_IOMMU_IDENTITY_DOMAIN)
					VIOLATION("a map of %llu runs returned %d",
						  (unsigned long long)nr, ret);
				/* After -ENOMEM, the retry goes on from what was mapped. */
				iova += done;
				for (; done && nr; done -= n) {
					n = KVM_IOMMU_RUN_PAGES(runs[0]) * SZ_4K;
					if (n > done) {
						runs[0] = KVM_IOMMU_RUN(KVM_IOMMU_RUN_PHYS(runs[0]) + done,
									(n - done) / SZ_4K);
						break;
					}
					memmove(runs, runs + 1, --nr * sizeof(runs[0]));
				}
				break;
			}
			nr = ~0ULL;	/* not the runs: a retry maps as the first try did */
			want_ret = want_arg_error(true, dom, iova, pa, pgsize, pgcount, prot);
			ret = map(dom, iova, pa, pgsize, pgcount, prot, &done);
			iova += done;
			pa += done;
			pgcount -= done / pgsize;
			break;
		case 11 ... 15:
			want_ret = want_arg_error(false, dom, iova, 0, pgsize, pgcount, 0);
			ret = unmap(dom, iova, pgsize, pgcount, &done);
			break;
		case 16:	/* a hostile donation: any pages, the counts are checked */
			nr = next() % (KVM_IOMMU_DONATE_MAX + 2);
			ret = kvm_iommu_donate_pages((pa + (next() % 4) * SZ_4K) / SZ_4K, nr);
			pages_donated += ret ? 0 : nr;
			if ((!nr || nr > KVM_IOMMU_DONATE_MAX) && ret != -EINVAL)
				VIOLATION("a donation of %llu pages returned %d",
					  (unsigned long long)nr, ret);
			break;
		case 17:
			host_reclaim(cpu);
			ret = 0;
			break;
		default:
			ret = kvm_iommu_reclaim_page();
			pages_reclaimed += ret >= 0;
			ret = ret >= 0 ? 0 : ret;
			break;
		}
		if (trace_calls)
			fprintf(stderr, "# cpu %d call %d dom %u iova %#llx pa %#llx pgsize %#llx "
				"pgcount %#llx prot %#x iommu %u sid %u%s: %d\n", cpu, kind, dom,
				(unsigned long long)iova, (unsigned long long)pa,
				(unsigned long long)pgsize, (unsigned long long)pgcount, prot,
				iommu, sid, flush_fails ? " (flush fails)" : "", ret);
		if (want_ret && ret != (int)want_ret)
			VIOLATION("call %d: returned %d for arguments out of range, want %d",
				  kind, ret, (int)want_ret);
		if (!want_ret && ret == -ERANGE)
			VIOLATION("call %d: -ERANGE for arguments in range", kind);
		if (ret != -ENOMEM)
			break;
		/* The identity domain counts again: the donation itself changes owners. */
		if (tries && !progress && (kind || dom != KVM_IOMMU_IDENTITY_DOMAIN || tries > 3))
			VIOLATION("call %d: -ENOMEM again after the donation it asked for", kind);
		{
			unsigned long need = kvm_iommu_pages_needed();

			if (!need || (need > MAX_DONATION && (kind || dom != KVM_IOMMU_IDENTITY_DOMAIN)))
				VIOLATION("call %d: -ENOMEM asking for %lu pages", kind, need);
			host_donate(need);
		}
	}
	flush_fails = false;
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Host pages, with some owned by the hypervisor and some by guests. */
static void set_owners(void)
{
	int i;

	for (i = 0; i < (int)MEM_PAGES; i++) {
		if (mem_owner[i] == HYP && (vmemmap[i].refcount || in_memcache[i]))
			continue;
		set_owner(i, (i % 97 == 3) ? HYP : (i % 89 == 5) ? GUEST : HOST);
	}
}

/* Random hypercalls, with the invariants checked after each. */
static bool random_calls(int calls)
{
	int n;

	unsigned long long checked = ~0ULL;

	set_owners();
	for (n = 0; n < calls; n++) {
		snprintf(where, sizeof(where), "call %d", n);
		random_call(rnd);
		if (!check_state() || (n % 256 == 0 && (!check_device_tables() || !check_memory())))
			return false;
		if (owner_changes != checked || n % 64 == 0) {
			checked = owner_changes;
			if (!check_idmap())
				return false;
		}
	}
	return true;
}

/*
 * After a failed flush, the pages that unmap unmapped stay counted, for
 * good. Once every domain is gone, no device can reach them: drop them
 * from the record, after checking that nothing else is left.
 */
static bool release_leaks(void)
{
	int i;

	for (i = 0; i < nr_maps; i++) {
		struct mapping *m = &maps[i];
		uint64_t pa;

		CHECK(m->stuck, "a mapping survived its domain");
		dma_pages_leaked += m->size / SZ_4K;
		/* Stand in for an IOMMU known to have dropped the entry. */
		if (!range_is_mmio(m->phys, m->size)) {
			for (pa = m->phys; pa < m->phys + m->size; pa += SZ_4K)
				mem_dma_total -= is_mem(pa);
			CHECK(!unshare_by_region(m->phys, m->size), "release of a leak");
		}
	}
	nr_maps = 0;
	return true;
}

/* Detach everything and free every domain: all memory comes back. */
static bool teardown(void)
{
	int i, s;

	snprintf(where, sizeof(where), "teardown");
	for (i = 0; i < NR_IOMMUS; i++)
		for (s = 0; s < NR_SIDS; s++)
			if (attached[i][s])
				CHECK(!kvm_iommu_detach_dev(i, attached[i][s] - 1, s), "detach");
	for (i = 0; i < KVM_IOMMU_MAX_DOMAINS; i++) {
		int ret = free_domain(i);

		CHECK(ret == 0 || ret == -ENOENT, "free_domain(%d) returned %d", i, ret);
	}
	if (!check_state())
		return false;
	/* Only mappings whose flush failed keep their pages counted. */
	for (i = 0; i < nr_maps; i++)
		CHECK(maps[i].stuck, "a mapping survived its domain");
	if (flush_failed && !release_leaks())
		return false;
	flush_failed = false;
	CHECK(kvm_iommu_pages_in_use() == 0, "%d pages still allocated",
	      kvm_iommu_pages_in_use());
	for (i = 0; i < NR_CPUS; i++)
		host_reclaim(i);
	return check_memory();
}

/* Common set-up of a test program: memory, owners, the IOMMU core on the fake IOMMU. */
static void harness_init(enum kvm_io_pgtable_fmt fmt, bool fake_iommu)
{
	int i;

	mem_init();
	host_mmu.pgt.ia_bits = OAS;
	for (i = 0; i < (int)MEM_PAGES; i++)
		set_owner(i, HOST);
	trace_calls = getenv("HARNESS_TRACE");
	harness_fmt = fmt;
	if (!fake_iommu)
		return;
	/* An IOMMU that does not snoop: every table write must be cleaned. */
	kvm_iommu_set_noncoherent();
	if (kvm_iommu_init(&fake_ops, fmt, IAS, OAS))
		abort();
}

#endif /* IOMMU_CORE_HARNESS_H */
