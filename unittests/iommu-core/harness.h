/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the userspace tests of the hypervisor's IOMMU core share: the core
 * (arch/arm64/kvm/hyp/nvhe/iommu/iommu.c with io-pgtable.c, compiled
 * unchanged) runs against
 *  - a model of host page ownership: memory pages owned by the host, the
 *    hypervisor or a guest, host MMIO and hypervisor MMIO (the SMMU), with
 *    the per-page DMA count that __pkvm_host_share_dma() and
 *    __pkvm_host_unshare_dma() maintain;
 *  - a fake IOMMU that tracks attached streams and records flushes;
 *  - a page pool standing in for the donated memcache.
 *
 * The harness keeps its own list of the mappings the core reported.
 * check_state() checks that the tables translate exactly those, that they
 * all point at host-owned pages, and that each page's DMA count equals the
 * number of mappings of it. The model refuses to drop a count unless a
 * flush covering the unmapped IOVA happened first.
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
#include <time.h>

#include <linux/bits.h>
#include <linux/iommu.h>
#include <linux/sizes.h>
#include <nvhe/iommu.h>

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

#define IAS		44
#define OAS		44
#define NR_IOMMUS	2
#define NR_SIDS		64
#define MAX_MAPPINGS	16384
#define POOL_PAGES	4096

static int failures;
static char where[160];

#define FAIL(...) do {							\
	failures++;							\
	fprintf(stderr, "# %s: ", where);				\
	fprintf(stderr, __VA_ARGS__);					\
	fputc('\n', stderr);						\
} while (0)

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		FAIL(__VA_ARGS__);					\
		return false;						\
	}								\
} while (0)

/* ---- Model of host page ownership ---- */

enum owner { HOST, HYP, GUEST };

static enum owner mem_owner[MEM_PAGES];
static unsigned int mem_dma_count[MEM_PAGES];
/* The sum of mem_dma_count, so that checks can skip pages with no mapping */
static unsigned long long mem_dma_total;

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

static bool mmio_range_host_owned(uint64_t pa, uint64_t size)
{
	return (pa + size <= SMMU_MMIO || pa >= SMMU_MMIO + SMMU_MMIO_SIZE) &&
	       (pa + size <= SMMU2_MMIO || pa >= SMMU2_MMIO + SMMU2_MMIO_SIZE);
}

static unsigned int mem_page(uint64_t pa)
{
	return (pa - MEM_BASE) / SZ_4K;
}

/* ---- The test's record of the mappings the core reported ---- */

struct mapping {
	u32 domain;
	uint64_t iova, phys, size;
	int prot;
	bool flushed;		/* gone from the tables and flushed */
	bool stuck;		/* gone from the tables, but its flush failed */
	uint64_t consumed;	/* pages whose count was dropped, from phys up */
	unsigned int flushed_by; /* fake SMMUs whose invalidation covered it */
};

static struct mapping maps[MAX_MAPPINGS];
static int nr_maps;

/*
 * What the hypercall in progress is; the model checks unshares against it.
 * IN_RACE: several threads call at once and only the counts are checked.
 */
static enum { IN_NONE, IN_MAP, IN_UNMAP, IN_FREE, IN_RACE } in_call;

/* Serializes the model and the pool, as host_mmu.lock and the memcache do. */
static pthread_mutex_t model_lock = PTHREAD_MUTEX_INITIALIZER;
static u32 in_domain;

static bool domain_attached_any(u32 domain);
static bool device_reaches(u32 domain, uint64_t iova, uint64_t pa);
/* A device-side cache that may still translate into [pa, pa + len) (fake SMMUs) */
static bool (*device_caches)(uint64_t pa, uint64_t len);

/*
 * Account for the count drop of the pages from @pa on, against the
 * mappings of the domain being unmapped or freed, in IOVA order. Returns
 * how many bytes were matched by one mapping that was allowed to go.
 */
static uint64_t take_unshare(uint64_t pa, uint64_t len)
{
	int i;

	for (i = 0; i < nr_maps; i++) {
		struct mapping *m = &maps[i];
		uint64_t n;
		bool allowed = m->domain == in_domain &&
			       (m->flushed ||
				(in_call == IN_FREE && !m->stuck &&
				 !domain_attached_any(in_domain)));

		if (!allowed || pa != m->phys + m->consumed * SZ_4K ||
		    m->consumed * SZ_4K >= m->size)
			continue;
		n = m->size - m->consumed * SZ_4K;
		if (n > len)
			n = len;
		if (device_reaches(in_domain, m->iova + m->consumed * SZ_4K, pa) ||
		    (device_caches && device_caches(pa, n))) {
			FAIL("count of %#llx dropped while the IOMMU still reaches it in memory",
			     (unsigned long long)pa);
			return 0;
		}
		m->consumed += n / SZ_4K;
		return n;
	}
	return 0;
}

/*
 * As __pkvm_host_share_dma(): a range of MMIO only (host-owned), or of
 * host-owned memory within one memory region.
 */
static int model_share_dma(u64 phys, u64 size)
{
	uint64_t pa;

	if (!size || (phys | size) & (SZ_4K - 1) || phys + size < phys)
		return -EINVAL;
	if (range_is_mmio(phys, size))
		return mmio_range_host_owned(phys, size) ? 0 : -EPERM;
	if (!is_mem(phys) || mem_region(phys) != mem_region(phys + size - 1))
		return -EINVAL;
	for (pa = phys; pa < phys + size; pa += SZ_4K)
		if (mem_owner[mem_page(pa)] != HOST)
			return -EPERM;
	for (pa = phys; pa < phys + size; pa += SZ_4K)
		mem_dma_count[mem_page(pa)]++;
	mem_dma_total += size / SZ_4K;
	return 0;
}

/* Bytes passed to __pkvm_host_share_dma() and __pkvm_host_unshare_dma() */
static uint64_t accounted_bytes;

int __pkvm_host_share_dma(u64 phys, u64 size)
{
	int ret;

	pthread_mutex_lock(&model_lock);
	accounted_bytes += size;
	ret = model_share_dma(phys, size);
	pthread_mutex_unlock(&model_lock);
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
		if (is_mem(pa) && !mem_dma_count[mem_page(pa)]) {
			FAIL("unshare of %#llx, which has no DMA mapping",
			     (unsigned long long)pa);
			return -EINVAL;
		}
	}
	/* Only the tail of a failed map was never visible. */
	for (pa = phys; in_call != IN_MAP && in_call != IN_RACE && pa < phys + size; pa += n) {
		n = take_unshare(pa, phys + size - pa);
		if (!n) {
			FAIL("count of %#llx dropped before a flush made it unreachable",
			     (unsigned long long)pa);
			return -EINVAL;
		}
	}
	for (pa = phys; !mmio && pa < phys + size; pa += SZ_4K) {
		if (is_mem(pa)) {
			mem_dma_count[mem_page(pa)]--;
			mem_dma_total--;
		}
	}
	return 0;
}

int __pkvm_host_unshare_dma(u64 phys, u64 size)
{
	int ret;

	pthread_mutex_lock(&model_lock);
	accounted_bytes += size;
	ret = model_unshare_dma(phys, size);
	pthread_mutex_unlock(&model_lock);
	return ret;
}

/* ---- Page pool standing in for the donated memcache ---- */

static unsigned char *pool;
static int refcount[POOL_PAGES];
static bool in_use[POOL_PAGES];
static int pages_in_use, pages_available = POOL_PAGES;

static long page_idx(void *va)
{
	uintptr_t off = (unsigned char *)va - pool;

	if ((unsigned char *)va < pool || off >= (uintptr_t)POOL_PAGES * SZ_4K ||
	    off % SZ_4K) {
		fprintf(stderr, "not a pool page\n");
		abort();
	}
	return off / SZ_4K;
}

/* The largest reservation that failed: what the host is asked to donate. */
static size_t largest_request;

int kvm_iommu_reserve_pages(size_t nr)
{
	if ((size_t)pages_available >= nr)
		return 0;
	if (nr > largest_request)
		largest_request = nr;
	return -ENOMEM;
}

void *kvm_iommu_alloc_page(void)
{
	void *va = NULL;
	long i;

	pthread_mutex_lock(&model_lock);
	if (!pages_available)
		goto out;
	for (i = 0; i < POOL_PAGES; i++) {
		if (!in_use[i]) {
			in_use[i] = true;
			refcount[i] = 1;
			pages_in_use++;
			pages_available--;
			va = pool + i * SZ_4K;
			memset(va, 0, SZ_4K);
			break;
		}
	}
out:
	pthread_mutex_unlock(&model_lock);
	return va;
}

void kvm_iommu_free_page(void *va)
{
	long i = page_idx(va);

	pthread_mutex_lock(&model_lock);
	if (!in_use[i] || refcount[i] != 1) {
		fprintf(stderr, "bad free\n");
		abort();
	}
	in_use[i] = false;
	refcount[i] = 0;
	pages_in_use--;
	pages_available++;
	memset(va, 0xa5, SZ_4K);
	pthread_mutex_unlock(&model_lock);
}

/* ---- What a non-coherent IOMMU sees of the pool ---- */

/*
 * The IOMMU reads tables from memory, not from the CPU's caches: dev_pool
 * holds what reached memory, which is only what dcache_clean() cleaned, a
 * 64-byte line at a time. It starts as stale valid entries (blocks of
 * host memory), so that walking an uncleaned table fails the test.
 */
#define CACHE_LINE	64

static unsigned char *dev_pool;

static void device_init(void)
{
	uint64_t *p;

	dev_pool = aligned_alloc(SZ_4K, (size_t)POOL_PAGES * SZ_4K);
	if (!dev_pool)
		abort();
	for (p = (uint64_t *)dev_pool; p < (uint64_t *)(dev_pool + POOL_PAGES * SZ_4K); p++)
		*p = MEM_BASE | 1;
}

static void mm_clean(void *va, size_t size)
{
	uintptr_t start = (uintptr_t)va & ~(uintptr_t)(CACHE_LINE - 1);
	uintptr_t end = ((uintptr_t)va + size + CACHE_LINE - 1) & ~(uintptr_t)(CACHE_LINE - 1);

	page_idx((void *)(start & ~(uintptr_t)(SZ_4K - 1)));
	memcpy(dev_pool + (start - (uintptr_t)pool), (void *)start, end - start);
}

/* An entry as the IOMMU reads it from memory. */
static uint64_t device_read(uint64_t *ptep)
{
	return *(uint64_t *)(dev_pool + ((unsigned char *)ptep - pool));
}

/* A table address the IOMMU found in memory, or NULL if it is no table page. */
static uint64_t *device_table(uint64_t desc)
{
	uintptr_t pa = desc & 0x0000fffffffff000ULL;

	if (pa < (uintptr_t)pool || pa >= (uintptr_t)pool + POOL_PAGES * SZ_4K ||
	    !in_use[(pa - (uintptr_t)pool) / SZ_4K])
		return NULL;
	return (uint64_t *)pa;
}

static void *mm_zalloc(void *mc) { return kvm_iommu_alloc_page(); }
static void mm_free(void *va) { kvm_iommu_free_page(va); }
static void mm_get(void *va) { refcount[page_idx(va)]++; }
static void mm_put(void *va) { refcount[page_idx(va)]--; }
static int mm_count(void *va) { return refcount[page_idx(va)]; }
static void *mm_p2v(phys_addr_t pa) { return (void *)(uintptr_t)pa; }
static phys_addr_t mm_v2p(void *va) { return (uintptr_t)va; }

const struct kvm_io_pgtable_mm_ops kvm_iommu_mm_ops = {
	.zalloc_page = mm_zalloc,
	.free_table = mm_free,
	.get_page = mm_get,
	.put_page = mm_put,
	.page_count = mm_count,
	.phys_to_virt = mm_p2v,
	.virt_to_phys = mm_v2p,
	.dcache_clean = mm_clean,
};

/* ---- Fake IOMMU ---- */

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
	if (attached[iommu][sid] != (int)d->id + 1)
		ret = -ENOENT;
	else
		attached[iommu][sid] = 0;
	pthread_mutex_unlock(&model_lock);
	return ret;
}

static int fake_flush(struct kvm_hyp_iommu_domain *d, u64 iova, size_t size,
		      bool leaf_only)
{
	int i;

	__atomic_fetch_add(&nr_flushes, 1, __ATOMIC_RELAXED);
	if (flush_fails)
		return -EIO;
	if (in_call == IN_RACE)
		return 0;
	for (i = 0; i < nr_maps; i++) {
		struct mapping *m = &maps[i];

		/* A mapping whose flush failed stays counted for good. */
		if (m->domain == d->id && !m->stuck &&
		    m->iova >= iova && m->iova + m->size <= iova + size &&
		    kvm_io_pgtable_iova_to_phys(&d->pgt, m->iova) != m->phys)
			m->flushed = true;
	}
	return 0;
}

static const struct kvm_iommu_ops fake_ops = {
	.attach_dev = fake_attach,
	.detach_dev = fake_detach,
	.flush_range = fake_flush,
};

/* ---- The IOMMU's own walk of the tables, through memory ---- */

#define NO_TRANSLATION	(~0ULL)
#define DESC_ADDR	0x0000fffffffff000ULL

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

static int level_shift(int level)
{
	return 12 + 9 * (3 - level);
}

static int level_bits(struct kvm_io_pgtable *pgt, int level)
{
	return level == (int)pgt->start_level ? (int)pgt->ias - level_shift(level) : 9;
}

/*
 * Decode @iova as the IOMMU would, from what reached memory: the output
 * address, or NO_TRANSLATION at an invalid entry. A reserved descriptor or
 * a table entry pointing at anything but a table page fails the test.
 */
static uint64_t device_translate(struct kvm_io_pgtable *pgt, uint64_t iova)
{
	uint64_t *table = pgt->pgd;
	int l;

	for (l = pgt->start_level; l <= 3; l++) {
		int shift = level_shift(l);
		uint64_t d = device_read(&table[(iova >> shift) &
						((1ULL << level_bits(pgt, l)) - 1)]);

		if (!(d & 1))
			return NO_TRANSLATION;
		if (l == 3 || (d & 3) == 1) {
			if (l == 0 || (l == 3 && (d & 3) != 3)) {
				FAIL("reserved descriptor %#llx at level %d",
				     (unsigned long long)d, l);
				return NO_TRANSLATION;
			}
			return (d & DESC_ADDR & ~((1ULL << shift) - 1)) |
			       (iova & ((1ULL << shift) - 1));
		}
		table = device_table(d);
		if (!table) {
			FAIL("the IOMMU walks %#llx as a table", (unsigned long long)d);
			return NO_TRANSLATION;
		}
	}
	return NO_TRANSLATION;
}

static bool device_reaches(u32 domain, uint64_t iova, uint64_t pa)
{
	struct kvm_hyp_iommu_domain *d = device_domain(domain);

	return d && device_translate(&d->pgt, iova) == pa;
}

/* A leaf the IOMMU found is one the core reported mapped and not removed. */
static bool leaf_recorded(u32 domain, uint64_t iova, uint64_t pa, uint64_t size)
{
	int i;

	for (i = 0; i < nr_maps; i++)
		if (maps[i].domain == domain && maps[i].iova == iova && maps[i].phys == pa &&
		    maps[i].size == size && !maps[i].consumed && !maps[i].flushed &&
		    !maps[i].stuck)
			return true;
	return false;
}

static bool device_walk(struct kvm_io_pgtable *pgt, u32 domain, uint64_t *table, int l,
			uint64_t base)
{
	int shift = level_shift(l);
	uint64_t i;

	for (i = 0; i < 1ULL << level_bits(pgt, l); i++) {
		uint64_t d = device_read(&table[i]), iova = base + (i << shift);
		uint64_t *next;

		if (!(d & 1))
			continue;
		if (l == 3 || (d & 3) == 1) {
			CHECK(l != 0 && (l != 3 || (d & 3) == 3),
			      "reserved descriptor %#llx at level %d", (unsigned long long)d, l);
			CHECK(leaf_recorded(domain, iova, d & DESC_ADDR & ~((1ULL << shift) - 1),
					    1ULL << shift),
			      "domain %u: the IOMMU translates %#llx to %#llx, which nothing maps",
			      domain, (unsigned long long)iova,
			      (unsigned long long)(d & DESC_ADDR));
			continue;
		}
		next = device_table(d);
		CHECK(next, "domain %u: the IOMMU walks %#llx as a table", domain,
		      (unsigned long long)d);
		if (!device_walk(pgt, domain, next, l + 1, iova))
			return false;
	}
	return true;
}

/*
 * Every table of every attached domain, as the IOMMU reads it from memory,
 * holds exactly leaves that the core reported mapped: nothing uncleaned,
 * stale or recycled is walked.
 */
static bool check_device_tables(void)
{
	int i, s;

	for (i = 0; i < NR_IOMMUS; i++) {
		for (s = 0; s < NR_SIDS; s++) {
			struct kvm_hyp_iommu_domain *d = attached_dom[i][s];

			if (attached[i][s] &&
			    !device_walk(&d->pgt, d->id, d->pgt.pgd, d->pgt.start_level, 0))
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
		if (m->consumed || m->flushed)
			continue;
		/*
		 * After a failed flush the IOVA may be mapped again: the stale
		 * TLB entry still points at a page that stays counted.
		 */
		if (!m->stuck) {
			phys_addr_t got = kvm_iommu_iova_to_phys(m->domain, m->iova + m->size - 1);
			struct kvm_hyp_iommu_domain *d = device_domain(m->domain);

			CHECK(!d || device_translate(&d->pgt, m->iova + m->size - 1) ==
				    m->phys + m->size - 1,
			      "domain %u iova %#llx: the IOMMU reads another translation in memory",
			      m->domain, (unsigned long long)m->iova);

			CHECK(got == m->phys + m->size - 1,
			      "domain %u iova %#llx -> %#llx, want %#llx", m->domain,
			      (unsigned long long)m->iova, (unsigned long long)got,
			      (unsigned long long)m->phys);
		}
	}
	/*
	 * Counts match on the mapped pages, and sum to as many mappings: all
	 * other pages have none.
	 */
	for (i = 0; i < (int)nr_touched; i++) {
		p = touched[i];
		if (ok && mem_dma_count[p] != want[p]) {
			FAIL("page %#llx: DMA count %u, %u mappings",
			     (unsigned long long)(MEM_BASE + p * SZ_4K), mem_dma_count[p],
			     want[p]);
			ok = false;
		}
		want[p] = 0;
	}
	if (!ok)
		return false;
	CHECK(mem_dma_total == mappings, "%llu page counts, %llu mappings",
	      mem_dma_total, mappings);
	return true;
}

/* ---- Hypercall wrappers that keep the record ---- */

static int map(uint64_t dom, uint64_t iova, uint64_t pa, uint64_t pgsize,
	       uint64_t pgcount, uint64_t prot, size_t *mapped_out)
{
	size_t mapped, i;
	int ret;

	in_call = IN_MAP;
	in_domain = dom;
	ret = kvm_iommu_map_pages(dom, iova, pa, pgsize, pgcount, prot, &mapped);
	in_call = IN_NONE;
	if (pgsize && nr_maps + mapped / pgsize > MAX_MAPPINGS) {
		fprintf(stderr, "the test's record of mappings is full\n");
		abort();
	}
	for (i = 0; pgsize && i < mapped / pgsize; i++)
		maps[nr_maps++] = (struct mapping) {
			.domain = dom, .iova = iova + i * pgsize,
			.phys = pa + i * pgsize, .size = pgsize, .prot = prot,
		};
	if (mapped_out)
		*mapped_out = mapped;
	return ret;
}

static int unmap(uint64_t dom, uint64_t iova, uint64_t pgsize, uint64_t pgcount,
		 size_t *unmapped_out)
{
	size_t unmapped;
	int ret;

	in_call = IN_UNMAP;
	in_domain = dom;
	ret = kvm_iommu_unmap_pages(dom, iova, pgsize, pgcount, &unmapped);
	in_call = IN_NONE;
	drop_consumed();
	if (flush_fails) {
		int i;

		for (i = 0; i < nr_maps; i++)
			if (maps[i].domain == dom && !maps[i].flushed &&
			    !kvm_iommu_iova_to_phys(dom, maps[i].iova))
				maps[i].stuck = true;
	}
	if (unmapped_out)
		*unmapped_out = unmapped;
	return ret;
}

static int free_domain(uint64_t dom)
{
	int ret;

	in_call = IN_FREE;
	in_domain = dom;
	ret = kvm_iommu_free_domain(dom);
	in_call = IN_NONE;
	drop_consumed();
	return ret;
}

#define NR_CPUS		4

/* Pages donated to each simulated CPU's memcache and not used yet. */
static int cpu_pages[NR_CPUS];
static unsigned long long pages_donated, hypercalls;

/*
 * One random hypercall with plausible and hostile arguments, on a random
 * simulated CPU whose memcache holds what the host donated to it: like the
 * host, donate what an -ENOMEM asks for and retry once. Arguments come
 * from @next, a PRNG or a fuzzer's input.
 */
static void random_call(uint64_t (*next)(void))
{
	static const uint64_t pgsizes[] = { SZ_4K, SZ_4K, SZ_4K, SZ_2M, SZ_1G, SZ_8K };
	int cpu = next() % NR_CPUS;
	u32 dom = next() % 6 == 0 ? next() % 2000 : next() % 8;
	uint64_t pgsize = pgsizes[next() % 6];
	uint64_t pgcount = 1 + next() % 8;
	uint64_t iova = (next() % 64) * SZ_2M + (pgsize == SZ_4K ? (next() % 512) * SZ_4K : 0);
	uint32_t iommu = next() % 3, sid = next() % (NR_SIDS + 2);
	int prot = 1 + next() % 31;
	uint64_t pa;
	size_t done;
	/* Keep the live set bounded: past 1024 mappings, only unmap. */
	int kind = nr_maps > 1024 ? 11 : next() % 16;
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
	if (kind > 10 && nr_maps && next() % 2) {
		struct mapping *m = &maps[next() % nr_maps];

		dom = m->domain;
		iova = m->iova;
		pgsize = m->size;
	}

	for (tries = 0; tries < 2; tries++) {
		pages_available = cpu_pages[cpu];
		largest_request = 0;
		hypercalls++;
		switch (kind) {
		case 0:
			ret = kvm_iommu_alloc_domain(dom);
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
			ret = map(dom, iova, pa, pgsize, pgcount, prot, &done);
			iova += done;
			pa += done;
			pgcount -= done / pgsize;
			break;
		default:
			ret = unmap(dom, iova, pgsize, pgcount, &done);
			break;
		}
		/* Frees refill the memcache of the CPU that freed. */
		cpu_pages[cpu] = pages_available;
		if (ret != -ENOMEM || !largest_request)
			break;
		cpu_pages[cpu] += largest_request;
		pages_donated += largest_request;
	}
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

	for (i = 0; i < (int)MEM_PAGES; i++)
		mem_owner[i] = (i % 97 == 3) ? HYP : (i % 89 == 5) ? GUEST : HOST;
}

/* Random hypercalls, with the invariants checked after each. */
static bool random_calls(int calls)
{
	int n;

	set_owners();
	for (n = 0; n < calls; n++) {
		snprintf(where, sizeof(where), "call %d", n);
		random_call(rnd);
		if (!check_state() || (n % 256 == 0 && !check_device_tables()))
			return false;
	}
	pages_available = POOL_PAGES - pages_in_use;
	return true;
}

static int leaked_tables;

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
	CHECK(pages_in_use == leaked_tables, "%d pages still allocated, %d leaked on purpose",
	      pages_in_use, leaked_tables);
	return true;
}

#endif /* IOMMU_CORE_HARNESS_H */
