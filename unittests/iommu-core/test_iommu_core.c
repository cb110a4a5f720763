// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace test of the hypervisor's IOMMU core (arch/arm64/kvm/hyp/nvhe/
 * iommu/iommu.c with io-pgtable.c, compiled unchanged).
 *
 * The core runs against:
 *  - a model of host page ownership: memory pages owned by the host, the
 *    hypervisor or a guest, host MMIO and hypervisor MMIO (the SMMU), with
 *    the per-page DMA count that __pkvm_host_share_dma() and
 *    __pkvm_host_unshare_dma() maintain;
 *  - a fake IOMMU that tracks attached streams and records flushes;
 *  - a page pool standing in for the donated memcache.
 *
 * The test keeps its own list of the mappings the core reported. After
 * every hypercall it checks that the tables translate exactly those, that
 * they all point at host-owned pages, and that each page's DMA count equals
 * the number of mappings of it. The model refuses to drop a count unless a
 * flush covering the unmapped IOVA happened first. Prints TAP.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/iommu.h>
#include <linux/sizes.h>
#include <nvhe/iommu.h>

#define MEM_BASE	0x40000000ULL
#define MEM_PAGES	16384ULL			/* 64 MiB */
#define MEM_END		(MEM_BASE + MEM_PAGES * SZ_4K)
#define SMMU_MMIO	0x09050000ULL			/* hypervisor-owned */
#define SMMU_MMIO_SIZE	0x20000ULL
#define HOST_MMIO	0x08080000ULL			/* an MSI doorbell */
#define HOST_MMIO_1G	0x8000000000ULL			/* PCIe window, 1GiB aligned */

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

static bool is_mem(uint64_t pa)
{
	return pa >= MEM_BASE && pa < MEM_END;
}

static bool mmio_host_owned(uint64_t pa)
{
	return !(pa >= SMMU_MMIO && pa < SMMU_MMIO + SMMU_MMIO_SIZE);
}

/* ---- The test's record of the mappings the core reported ---- */

struct mapping {
	u32 domain;
	uint64_t iova, phys, size;
	int prot;
	bool flushed;		/* gone from the tables and flushed */
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

/* Serializes the model and the pool, as host_mmu.lock and the memcache do. */
static pthread_mutex_t model_lock = PTHREAD_MUTEX_INITIALIZER;
static u32 in_domain;

static bool domain_attached_any(u32 domain);

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
		m->consumed += n / SZ_4K;
		return n;
	}
	return 0;
}

static int model_share_dma(u64 phys, u64 size)
{
	uint64_t pa;

	if (!size || (phys | size) & (SZ_4K - 1) || phys + size < phys)
		return -EINVAL;
	if (phys >= MEM_END || phys + size <= MEM_BASE) {
		for (pa = phys; pa < phys + size; pa += SZ_4K)
			if (!mmio_host_owned(pa))
				return -EPERM;
		return 0;
	}
	if (!is_mem(phys) || phys + size > MEM_END)
		return -EINVAL;
	for (pa = phys; pa < phys + size; pa += SZ_4K)
		if (mem_owner[(pa - MEM_BASE) / SZ_4K] != HOST)
			return -EPERM;
	for (pa = phys; pa < phys + size; pa += SZ_4K)
		mem_dma_count[(pa - MEM_BASE) / SZ_4K]++;
	return 0;
}

int __pkvm_host_share_dma(u64 phys, u64 size)
{
	int ret;

	pthread_mutex_lock(&model_lock);
	ret = model_share_dma(phys, size);
	pthread_mutex_unlock(&model_lock);
	return ret;
}

static int model_unshare_dma(u64 phys, u64 size)
{
	bool mmio = phys >= MEM_END || phys + size <= MEM_BASE;
	uint64_t pa, n;

	if (!size || (phys | size) & (SZ_4K - 1) || phys + size < phys)
		return -EINVAL;
	if (!mmio) {
		for (pa = phys; pa < phys + size; pa += SZ_4K) {
			if (!mem_dma_count[(pa - MEM_BASE) / SZ_4K]) {
				FAIL("unshare of %#llx, which has no DMA mapping",
				     (unsigned long long)pa);
				return -EINVAL;
			}
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
	for (pa = phys; !mmio && pa < phys + size; pa += SZ_4K)
		mem_dma_count[(pa - MEM_BASE) / SZ_4K]--;
	return 0;
}

int __pkvm_host_unshare_dma(u64 phys, u64 size)
{
	int ret;

	pthread_mutex_lock(&model_lock);
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
};

/* ---- Fake IOMMU ---- */

static int attached[NR_IOMMUS][NR_SIDS];	/* domain ID + 1, or 0 */
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
	if (attached[iommu][sid])
		ret = -EBUSY;
	else
		attached[iommu][sid] = d->id + 1;
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
	uint64_t p;
	int i;

	memset(want, 0, sizeof(want));
	for (i = 0; i < nr_maps; i++) {
		struct mapping *m = &maps[i];

		if (!is_mem(m->phys)) {
			CHECK(mmio_host_owned(m->phys) &&
			      mmio_host_owned(m->phys + m->size - 1),
			      "mapping of hypervisor MMIO");
		}
		for (p = m->consumed; is_mem(m->phys) && p < m->size / SZ_4K; p++) {
			uint64_t pa = m->phys + p * SZ_4K;

			want[(pa - MEM_BASE) / SZ_4K]++;
			CHECK(mem_owner[(pa - MEM_BASE) / SZ_4K] == HOST,
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

			CHECK(got == m->phys + m->size - 1,
			      "domain %u iova %#llx -> %#llx, want %#llx", m->domain,
			      (unsigned long long)m->iova, (unsigned long long)got,
			      (unsigned long long)m->phys);
		}
	}
	for (p = 0; p < MEM_PAGES; p++)
		CHECK(mem_dma_count[p] == want[p], "page %#llx: DMA count %u, %u mappings",
		      (unsigned long long)(MEM_BASE + p * SZ_4K), mem_dma_count[p], want[p]);
	return true;
}

/* ---- Hypercall wrappers that keep the record ---- */

static int map(u32 dom, uint64_t iova, uint64_t pa, uint64_t pgsize,
	       uint64_t pgcount, int prot, size_t *mapped_out)
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

static int unmap(u32 dom, uint64_t iova, uint64_t pgsize, uint64_t pgcount,
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

static int free_domain(u32 dom)
{
	int ret;

	in_call = IN_FREE;
	in_domain = dom;
	ret = kvm_iommu_free_domain(dom);
	in_call = IN_NONE;
	drop_consumed();
	return ret;
}

/* ---- Tests ---- */

static int tap_n;

static void tap(bool ok, const char *name)
{
	printf("%s %d - iommu-core.%s\n", ok ? "ok" : "not ok", ++tap_n, name);
	fflush(stdout);
}

#define RW	(IOMMU_READ | IOMMU_WRITE)

static int failed_cases;

/* One malformed hypercall; domain 1 exists with stream 0 of IOMMU 0. */
static int adversarial_call(int i)
{
	const uint64_t top = 1ULL << IAS;
	size_t n;

	switch (i) {
	case 0: return kvm_iommu_alloc_domain(KVM_IOMMU_MAX_DOMAINS);
	case 1: return kvm_iommu_alloc_domain(~0U);
	case 2: return kvm_iommu_alloc_domain(1);
	case 3: return free_domain(KVM_IOMMU_MAX_DOMAINS);
	case 4: return free_domain(7);
	case 5: return free_domain(1);
	case 6: return kvm_iommu_attach_dev(0, 5000, 3);
	case 7: return kvm_iommu_attach_dev(0, 9, 3);
	case 8: return kvm_iommu_attach_dev(NR_IOMMUS, 1, 3);
	case 9: return kvm_iommu_attach_dev(0, 1, NR_SIDS);
	case 10: return kvm_iommu_attach_dev(0, 1, ~0U);
	case 11: return kvm_iommu_attach_dev(0, 1, 0);
	case 12: return kvm_iommu_attach_dev(0, 2, 0);
	case 13: return kvm_iommu_detach_dev(0, 1, 5);
	case 14: return kvm_iommu_detach_dev(0, 2, 0);
	case 15: return kvm_iommu_detach_dev(0, 9, 0);
	case 16: return map(KVM_IOMMU_MAX_DOMAINS, 0, MEM_BASE, SZ_4K, 1, RW, &n);
	case 17: return map(9, 0, MEM_BASE, SZ_4K, 1, RW, &n);
	case 18: return map(1, 0, MEM_BASE, 0, 1, RW, &n);
	case 19: return map(1, 0, MEM_BASE, SZ_8K, 1, RW, &n);
	case 20: return map(1, 0, MEM_BASE, SZ_4K | SZ_2M, 1, RW, &n);
	case 21: return map(1, 0, MEM_BASE, 1ULL << 39, 1, RW, &n);
	case 22: return map(1, 0, MEM_BASE, SZ_4K, 0, RW, &n);
	case 23: return map(1, 0, MEM_BASE, SZ_4K, 1ULL << 53, RW, &n);
	case 24: return map(1, 0, MEM_BASE, SZ_2M, (~0ULL / SZ_2M) + 2, RW, &n);
	case 25: return map(1, top, MEM_BASE, SZ_4K, 1, RW, &n);
	case 26: return map(1, top - SZ_4K, MEM_BASE, SZ_4K, 2, RW, &n);
	case 27: return map(1, 0x800, MEM_BASE, SZ_4K, 1, RW, &n);
	case 28: return map(1, SZ_4K, MEM_BASE, SZ_2M, 1, RW, &n);
	case 29: return map(1, 0, MEM_BASE + 8, SZ_4K, 1, RW, &n);
	case 30: return map(1, 0, 1ULL << OAS, SZ_4K, 1, RW, &n);
	case 31: return map(1, 0, ~0ULL & ~0xfffULL, SZ_4K, 2, RW, &n);
	case 32: return map(1, 0, MEM_BASE, SZ_4K, 1, 0, &n);
	case 33: return map(1, 0, MEM_BASE, SZ_4K, 1, RW | 0x40, &n);
	case 34: return map(1, 0, MEM_BASE, SZ_4K, 1, -1, &n);
	case 35: return map(1, 0, MEM_BASE + SZ_1M, SZ_4K, 1, RW, &n);
	case 36: return map(1, 0, MEM_BASE + 2 * SZ_1M, SZ_4K, 1, RW, &n);
	case 37: return map(1, 0, MEM_BASE + SZ_1M - SZ_8K, SZ_4K, 4, RW, &n);
	case 38: return map(1, 0, SMMU_MMIO, SZ_4K, 1, RW | IOMMU_MMIO, &n);
	case 39: return map(1, 0, MEM_END - SZ_4K, SZ_4K, 2, RW, &n);
	case 40: return map(1, 0x100000, MEM_BASE + SZ_8M, SZ_4K, 1, RW, &n);
	case 41: return map(1, 0, MEM_BASE + 4 * SZ_2M, SZ_2M, 1, RW, &n);
	case 42: return unmap(KVM_IOMMU_MAX_DOMAINS, 0x100000, SZ_4K, 1, &n);
	case 43: return unmap(9, 0x100000, SZ_4K, 1, &n);
	case 44: return unmap(1, 0x200000, SZ_4K, 1, &n);
	case 45: return unmap(1, 0x100000, 3 * SZ_4K, 1, &n);
	case 46: return unmap(1, 0x100800, SZ_4K, 1, &n);
	case 47: return unmap(1, ~0ULL & ~0xfffULL, SZ_4K, 2, &n);
	case 48: return unmap(1, SZ_1G + SZ_4K, SZ_4K, 1, &n);
	}
	return 0;
}

/*
 * Each malformed hypercall gets its documented error, changes nothing,
 * and a normal map/unmap still works afterwards.
 */
static bool adversarial(void)
{
	size_t n;
	int ret, i;
	static const char *const names[] = {
		"alloc_domain_id_out_of_range",
		"alloc_domain_id_huge",
		"alloc_domain_twice",
		"free_domain_out_of_range",
		"free_domain_never_allocated",
		"free_domain_attached",
		"attach_domain_out_of_range",
		"attach_domain_never_allocated",
		"attach_iommu_out_of_range",
		"attach_sid_out_of_range",
		"attach_sid_huge",
		"attach_twice",
		"attach_to_second_domain",
		"detach_not_attached",
		"detach_from_wrong_domain",
		"detach_domain_never_allocated",
		"map_domain_out_of_range",
		"map_domain_never_allocated",
		"map_pgsize_zero",
		"map_pgsize_8k",
		"map_pgsize_not_power_of_2",
		"map_pgsize_512g",
		"map_pgcount_zero",
		"map_pgcount_overflows_size",
		"map_pgcount_wraps_u64",
		"map_iova_beyond_ias",
		"map_iova_plus_size_beyond_ias",
		"map_iova_unaligned",
		"map_iova_unaligned_to_block",
		"map_paddr_unaligned",
		"map_paddr_beyond_oas",
		"map_paddr_plus_size_wraps",
		"map_prot_none",
		"map_prot_unknown_bit",
		"map_prot_negative",
		"map_hyp_memory",
		"map_guest_memory",
		"map_range_ending_in_hyp_memory",
		"map_smmu_mmio",
		"map_range_across_memory_end",
		"map_over_existing",
		"map_block_over_existing_page",
		"unmap_domain_out_of_range",
		"unmap_domain_never_allocated",
		"unmap_hole",
		"unmap_pgsize_bad",
		"unmap_unaligned",
		"unmap_overflow",
		"unmap_part_of_block",
	};
	static const int wants[] = {
		-EINVAL,
		-EINVAL,
		-EEXIST,
		-EINVAL,
		-ENOENT,
		-EBUSY,
		-EINVAL,
		-ENOENT,
		-EINVAL,
		-EINVAL,
		-EINVAL,
		-EBUSY,
		-EBUSY,
		-ENOENT,
		-ENOENT,
		-ENOENT,
		-EINVAL,
		-ENOENT,
		-EINVAL,
		-EINVAL,
		-EINVAL,
		-EINVAL,
		-EINVAL,
		-ERANGE,
		-ERANGE,
		-ERANGE,
		-ERANGE,
		-EINVAL,
		-EINVAL,
		-EINVAL,
		-ERANGE,
		-ERANGE,
		-EINVAL,
		-EINVAL,
		-EINVAL,
		-EPERM,
		-EPERM,
		-EPERM,
		-EPERM,
		-EINVAL,
		-EEXIST,
		-EEXIST,
		-EINVAL,
		-ENOENT,
		-ENOENT,
		-EINVAL,
		-EINVAL,
		-ERANGE,
		-EINVAL,
	};

	snprintf(where, sizeof(where), "adversarial setup");
	for (i = 0; i < 256; i++)
		mem_owner[SZ_1M / SZ_4K + i] = HYP;
	for (i = 0; i < 256; i++)
		mem_owner[2 * SZ_1M / SZ_4K + i] = GUEST;
	CHECK(!kvm_iommu_alloc_domain(1) && !kvm_iommu_alloc_domain(2), "alloc");
	CHECK(!kvm_iommu_attach_dev(0, 1, 0), "attach");
	CHECK(!map(1, 0x100000, MEM_BASE + SZ_4M, SZ_4K, 1, RW, &n), "map");
	CHECK(!map(1, SZ_1G, MEM_BASE + 16 * SZ_2M, SZ_2M, 1, RW, &n), "map block");

	for (i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++) {
		int before = nr_maps;

		snprintf(where, sizeof(where), "%s", names[i]);
		ret = adversarial_call(i);
		if (ret != wants[i])
			FAIL("returned %d, documented %d", ret, wants[i]);
		else if (nr_maps != before || !check_state())
			FAIL("state changed");
		else if (map(1, 0x300000, MEM_BASE + SZ_16M, SZ_4K, 2, RW, &n) ||
			 unmap(1, 0x300000, SZ_4K, 2, &n) || n != SZ_8K || !check_state())
			FAIL("a normal map/unmap fails afterwards");
		else
			printf("ok %d - iommu-core.adversarial.%s\n", ++tap_n, names[i]);
		if (failures)
			printf("not ok %d - iommu-core.adversarial.%s\n", ++tap_n, names[i]);
		failed_cases += failures;
		failures = 0;
	}

	/* Undo the setup: tear down through the hypercalls. */
	snprintf(where, sizeof(where), "adversarial teardown");
	CHECK(!kvm_iommu_detach_dev(0, 1, 0), "detach");
	CHECK(!free_domain(1) && !free_domain(2), "free");
	CHECK(nr_maps == 0 && check_state() && pages_in_use == 0, "leftovers");
	for (i = 0; i < (int)MEM_PAGES; i++)
		mem_owner[i] = HOST;
	return !failed_cases;
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/*
 * Random hypercalls with plausible and hostile arguments, and occasional
 * memcache shortages; invariants checked after each.
 */
static bool random_calls(int calls)
{
	static const uint64_t pgsizes[] = { SZ_4K, SZ_4K, SZ_4K, SZ_2M, SZ_1G, SZ_8K };
	int n, i;

	for (i = 0; i < (int)MEM_PAGES; i++)
		mem_owner[i] = (i % 97 == 3) ? HYP : (i % 89 == 5) ? GUEST : HOST;

	for (n = 0; n < calls; n++) {
		u32 dom = rnd() % 6 == 0 ? rnd() % 2000 : rnd() % 8;
		uint64_t pgsize = pgsizes[rnd() % 6];
		uint64_t pgcount = 1 + rnd() % 8;
		uint64_t iova = (rnd() % 64) * SZ_2M + (pgsize == SZ_4K ? (rnd() % 512) * SZ_4K : 0);
		uint64_t pa;
		size_t done;
		/* Keep the live set bounded: past 1024 mappings, only unmap. */
		int kind = nr_maps > 1024 ? 11 : rnd() % 16;

		if (pgsize == SZ_1G) {
			pa = HOST_MMIO_1G + (rnd() % 4) * SZ_1G;
			iova = (rnd() % 8) * SZ_1G;
			pgcount = 1;
		} else if (rnd() % 10 == 0) {
			pa = rnd() % 2 ? HOST_MMIO : SMMU_MMIO;
			pgsize = SZ_4K;
		} else {
			pa = MEM_BASE + ((rnd() % (MEM_PAGES * SZ_4K / pgsize - pgcount)) * pgsize);
		}
		pages_available = rnd() % 20 == 0 ? (int)(rnd() % 3) : POOL_PAGES - pages_in_use;

		snprintf(where, sizeof(where), "call %d", n);
		switch (kind) {
		case 0:
			kvm_iommu_alloc_domain(dom);
			break;
		case 1:
			free_domain(dom);
			break;
		case 2:
		case 3:
			kvm_iommu_attach_dev(rnd() % 3, dom, rnd() % (NR_SIDS + 2));
			break;
		case 4:
			kvm_iommu_detach_dev(rnd() % 3, dom, rnd() % (NR_SIDS + 2));
			break;
		case 5 ... 10:
			map(dom, iova, pa, pgsize, pgcount, 1 + rnd() % 31, &done);
			break;
		default:
			if (nr_maps && rnd() % 2) {
				struct mapping *m = &maps[rnd() % nr_maps];

				dom = m->domain;
				iova = m->iova;
				pgsize = m->size;
			}
			unmap(dom, iova, pgsize, pgcount, &done);
			break;
		}
		pages_available = POOL_PAGES - pages_in_use;
		if (!check_state())
			return false;
	}
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

/* A map with too few pages in the memcache maps nothing; the retry works. */
static bool memcache_shortage(void)
{
	size_t mapped;
	int ret;

	snprintf(where, sizeof(where), "memcache shortage");
	CHECK(!kvm_iommu_alloc_domain(3), "alloc");
	pages_available = 1;
	ret = map(3, 5ULL * SZ_1G, MEM_BASE, SZ_4K, 600, RW, &mapped);
	CHECK(ret == -ENOMEM && mapped == 0, "returned %d, mapped %zu", ret, mapped);
	CHECK(check_state() && nr_maps == 0, "state after -ENOMEM");
	pages_available = POOL_PAGES - pages_in_use;
	ret = map(3, 5ULL * SZ_1G, MEM_BASE, SZ_4K, 600, RW, &mapped);
	CHECK(!ret && mapped == 600 * SZ_4K && check_state(), "retry");
	CHECK(!unmap(3, 5ULL * SZ_1G, SZ_4K, 600, &mapped) && mapped == 600 * SZ_4K,
	      "unmap");

	/*
	 * A range needing far more tables than a donation brings maps step by
	 * step: each -ENOMEM asks for a few pages and keeps what was mapped.
	 */
	{
		size_t total = 0, asks = 0;
		uint64_t count = 24 * 512;	/* 48MiB of 4KiB pages: 24+ tables */

		pages_available = 0;
		largest_request = 0;
		while (total < count * SZ_4K) {
			ret = map(3, 6ULL * SZ_1G + total, MEM_BASE + total, SZ_4K,
				  count - total / SZ_4K, RW, &mapped);
			total += mapped;
			if (ret != -ENOMEM)
				break;
			asks++;
			pages_available += 2;	/* a small donation */
		}
		CHECK(!ret && total == count * SZ_4K && asks > 5,
		      "large map: returned %d after %zu bytes, %zu donations", ret, total,
		      asks);
		/* The host donates at most 64 pages per answer. */
		CHECK(largest_request <= 8, "the hypervisor asked for %zu pages at once",
		      largest_request);
		CHECK(check_state(), "state after the large map");
		CHECK(!unmap(3, 6ULL * SZ_1G, SZ_4K, count, &mapped) &&
		      mapped == count * SZ_4K, "unmap the large range");
		pages_available = POOL_PAGES - pages_in_use;
	}
	pages_available = 0;
	ret = kvm_iommu_alloc_domain(4);
	CHECK(ret == -ENOMEM && kvm_iommu_alloc_domain(4) == -ENOMEM, "alloc without memory");
	pages_available = POOL_PAGES - pages_in_use;
	CHECK(!free_domain(3) && nr_maps == 0 && check_state(), "free with mappings");
	CHECK(!kvm_iommu_alloc_domain(4) && !free_domain(4) && pages_in_use == 0,
	      "alloc after the shortage");
	return true;
}

/*
 * When the IOMMU fails to flush, the unmapped page stays counted and the
 * emptied tables stay allocated: the TLB may still use both.
 */
static bool flush_failure(void)
{
	uint64_t page = MEM_BASE + SZ_8M;
	unsigned long flushes;
	size_t n;
	int ret, before;

	snprintf(where, sizeof(where), "flush failure");
	CHECK(!kvm_iommu_alloc_domain(5), "alloc");
	CHECK(!map(5, 3ULL * SZ_1G, page, SZ_4K, 1, RW, &n), "map");
	before = pages_in_use;	/* domain, root and three tables */
	CHECK(before == 5, "%d pages for one 4KiB mapping", before);
	flushes = nr_flushes;
	flush_fails = true;
	ret = unmap(5, 3ULL * SZ_1G, SZ_4K, 1, &n);
	flush_fails = false;
	CHECK(nr_flushes == flushes + 1, "the unmap did not try to flush");
	CHECK(ret == -EIO && n == 0, "unmap returned %d, unmapped %zu", ret, n);
	CHECK(mem_dma_count[(page - MEM_BASE) / SZ_4K] == 1, "page released");
	CHECK(!kvm_iommu_iova_to_phys(5, 3ULL * SZ_1G), "entry still there");
	CHECK(pages_in_use == before, "tables freed before a flush");
	CHECK(check_state(), "state");
	CHECK(!free_domain(5), "free");
	CHECK(pages_in_use == 3, "%d pages left, the three unflushed tables expected",
	      pages_in_use);
	CHECK(mem_dma_count[(page - MEM_BASE) / SZ_4K] == 1, "page released at free");
	leaked_tables = pages_in_use;
	return true;
}

/*
 * Threads race free_domain/alloc_domain against map/unmap and
 * attach/detach on the same domains. Every call may fail, but none may
 * touch a freed domain (ASan watches), and after a teardown every count
 * and every page is back.
 */
#define RACE_THREADS	4
#define RACE_DOMAINS	3

static volatile bool race_stop;

static void *race_thread(void *arg)
{
	uint64_t r = 0x1234567ULL * (1 + (uintptr_t)arg);
	unsigned long n = 0;
	size_t done;

	while (!race_stop) {
		u32 dom = 20 + (r % RACE_DOMAINS);
		uint64_t page = MEM_BASE + ((r >> 8) % 64) * SZ_4K;
		uint64_t iova = ((r >> 16) % 64) * SZ_4K;

		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		switch ((r >> 32) % 8) {
		case 0:
			kvm_iommu_free_domain(dom);
			break;
		case 1:
			kvm_iommu_alloc_domain(dom);
			break;
		case 2:
			kvm_iommu_attach_dev(0, dom, (r >> 40) % 4);
			break;
		case 3:
			kvm_iommu_detach_dev(0, dom, (r >> 40) % 4);
			break;
		case 4:
		case 5:
			kvm_iommu_map_pages(dom, iova, page, SZ_4K, 4, RW, &done);
			break;
		default:
			kvm_iommu_unmap_pages(dom, iova, SZ_4K, 4, &done);
			break;
		}
		n++;
	}
	return (void *)n;
}

static bool races(double seconds)
{
	pthread_t t[RACE_THREADS];
	unsigned long calls = 0;
	struct timespec ts = {
		.tv_sec = (time_t)seconds,
		.tv_nsec = (long)((seconds - (time_t)seconds) * 1e9),
	};
	uintptr_t i;
	int s, d;

	snprintf(where, sizeof(where), "races");
	in_call = IN_RACE;
	race_stop = false;
	for (i = 0; i < RACE_THREADS; i++)
		pthread_create(&t[i], NULL, race_thread, (void *)i);
	nanosleep(&ts, NULL);
	race_stop = true;
	for (i = 0; i < RACE_THREADS; i++) {
		void *n;

		pthread_join(t[i], &n);
		calls += (uintptr_t)n;
	}
	printf("# %lu racing calls on %d threads\n", calls, RACE_THREADS);

	/* Teardown: detach all, free all; nothing may be left. */
	for (s = 0; s < NR_SIDS; s++)
		if (attached[0][s])
			CHECK(!kvm_iommu_detach_dev(0, attached[0][s] - 1, s), "detach");
	for (d = 0; d < RACE_DOMAINS; d++) {
		int ret = kvm_iommu_free_domain(20 + d);

		CHECK(!ret || ret == -ENOENT, "free returned %d", ret);
	}
	in_call = IN_NONE;
	for (d = 0; d < 64 + 4; d++)
		CHECK(!mem_dma_count[d], "page %d still counted", d);
	CHECK(pages_in_use == leaked_tables, "%d pages left", pages_in_use);
	return calls > 0;
}

int main(int argc, char **argv)
{
	int calls = argc > 1 ? atoi(argv[1]) : 20000;
	int i;

	pool = aligned_alloc(SZ_4K, (size_t)POOL_PAGES * SZ_4K);
	if (!pool)
		return 1;
	printf("TAP version 13\n");
	tap(kvm_iommu_map_pages(0, 0, MEM_BASE, SZ_4K, 1, RW, &(size_t){0}) == -ENODEV &&
	    kvm_iommu_alloc_domain(0) == -ENODEV && kvm_iommu_free_domain(0) == -ENODEV &&
	    kvm_iommu_attach_dev(0, 0, 0) == -ENODEV &&
	    kvm_iommu_unmap_pages(0, 0, SZ_4K, 1, &(size_t){0}) == -ENODEV,
	    "calls_before_init_refused");
	if (kvm_iommu_init(&fake_ops, KVM_IO_PGTABLE_S2, IAS, OAS))
		return 1;
	tap(kvm_iommu_init(&fake_ops, KVM_IO_PGTABLE_S1, IAS, OAS) == -EBUSY,
	    "second_init_refused");
	for (i = 0; i < (int)MEM_PAGES; i++)
		mem_owner[i] = HOST;
	tap(adversarial(), "adversarial.teardown");
	tap(memcache_shortage(), "memcache_shortage");
	tap(flush_failure(), "flush_failure_keeps_pages_counted");
	tap(races(1.0), "free_races_map_and_attach");
	tap(random_calls(calls), "random_calls_vs_model");
	tap(teardown(), "teardown_returns_all_memory");
	printf("1..%d\n", tap_n);
	free(pool);
	return 0;
}
