/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The model of memory and of its ownership: the memory window, who owns each
 * page, the MMIO the hypervisor took, the record of the mappings the core
 * reported, and mem_protect.c's transitions as the model expects them,
 * checked against the real host_dma.c.
 *
 * Part of harness.h, which includes the parts in order.
 */
#ifndef IOMMU_CORE_HARNESS_MODEL_H_
#define IOMMU_CORE_HARNESS_MODEL_H_

/* ---- Memory and the model of its ownership ---- */

enum owner { HOST, HYP, GUEST };

static unsigned char *const mem = (unsigned char *)(uintptr_t)MEM_BASE;
static enum owner mem_owner[NR_PAGES];
/* The pages counted by the real host_dma.c, so that checks can skip the others */
static unsigned long long mem_dma_total;	/* __atomic accesses */
static struct hyp_page vmemmap[NR_PAGES];

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
static bool in_memcache[NR_PAGES];

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

/* The model's index of a page of memory or of the window */
static unsigned int mem_page(uint64_t pa)
{
	return pa >= FAR_BASE ? MEM_PAGES + (pa - FAR_BASE) / SZ_4K : (pa - MEM_BASE) / SZ_4K;
}

static uint64_t page_pa(unsigned int p)
{
	return p >= MEM_PAGES ? FAR_BASE + (p - MEM_PAGES) * SZ_4K : MEM_BASE + p * SZ_4K;
}

/* The index of a page of the window or of the far region, or -1 */
static long model_page(uint64_t pa)
{
	if (pa - FAR_BASE < FAR_SIZE || pa - MEM_BASE < MEM_END - MEM_BASE)
		return mem_page(pa);
	return -1;
}

/* What backs the far region: as the CPUs see it, and as memory holds it */
static unsigned char *far_mem, *far_dev_mem;

/* The hypervisor's linear map: the window at its own address, the far region at an offset */
static void *pa_to_va(uint64_t pa)
{
	if (pa - FAR_BASE < FAR_SIZE)
		return far_mem + (pa - FAR_BASE);
	return (void *)(uintptr_t)pa;
}

static uint64_t va_to_pa(const void *va)
{
	uintptr_t v = (uintptr_t)va;

	if (far_mem && v - (uintptr_t)far_mem < FAR_SIZE)
		return FAR_BASE + (v - (uintptr_t)far_mem);
	return v;
}

/* The model's page of the memory at @va, of the window or the far region, or -1 */
static long va_page(const void *va)
{
	return model_page(va_to_pa(va));
}

/* Whether the @n bytes at @p are all @c: the first is, and each equals the next. */
static bool bytes_are(const unsigned char *p, size_t n, unsigned char c)
{
	return !n || (p[0] == c && !memcmp(p, p + 1, n - 1));
}

/* ---- The test's record of the mappings the core reported ---- */

struct mapping {
	u32 domain;
	uint64_t iova, phys, size;
	int prot;
	bool stuck;		/* gone from the tables, but its flush failed */
	bool deferred;		/* gone from the tables, waiting for its domain's flush */
	uint64_t consumed;	/* pages whose count was dropped, from phys up */
};

static struct mapping maps[MAX_MAPPINGS];
static int nr_maps;

/*
 * What the hypercall in progress is; the model checks unshares against it.
 * IN_RACE: several threads call at once and only the counts are checked.
 */
static enum { IN_NONE, IN_MAP, IN_UNMAP, IN_FREE, IN_FLUSH, IN_RACE } in_call;
/*
 * The domain the fake IOMMU last flushed on this thread in this call, and
 * whether the flush covered its whole input range: the logged counts of
 * deferred unmaps drop after such a flush.
 */
static __thread u32 flushed_domain;
static __thread bool flushed_whole;
/*
 * Set by fakes whose flushes the harness does not see (the SMMUv3 driver's
 * commands): a drop that a logged mapping of any domain explains is one.
 */
static bool flushes_unseen;
/*
 * The range of the unmap in progress on this thread: what it cleared may
 * be logged (a lazy unmap, or one that met an IOMMU without power), and
 * dropped by a flush of a full log, before the call returns and the record
 * marks it deferred.
 */
static __thread uint64_t unmap_start, unmap_end;

/* Serializes the model, as host_mmu.lock does the host stage-2. */
static pthread_mutex_t model_lock = PTHREAD_MUTEX_INITIALIZER;
/*
 * Held by this thread: the races' seeded schedule does not switch then,
 * since the next thread could wait for it on a lock no schedule sees.
 */
static __thread int model_lock_held;

static void model_lock_take(void)
{
	pthread_mutex_lock(&model_lock);
	model_lock_held++;
}

static void model_lock_drop(void)
{
	model_lock_held--;
	pthread_mutex_unlock(&model_lock);
}
static u32 in_domain;

static bool device_reaches(u32 domain, uint64_t iova, uint64_t pa);
static bool cpu_reaches(u32 domain, uint64_t iova, uint64_t pa);
static bool tlb_holds_leaf(u32 domain, uint64_t iova, uint64_t size, uint64_t pa);
/* The fake IOMMU fails its flushes (fake_iommu.h) */
static bool flush_fails;
static bool walk_cache_holds(long page);
/* A device-side cache that may still translate into [pa, pa + len) (fake SMMUs) */
static bool (*device_caches)(uint64_t pa, uint64_t len);
/* Whether a device walking the stream table in memory reaches @pa at @iova (fake SMMUs) */
static bool (*device_tables_reach)(u32 domain, uint64_t iova, uint64_t pa);

/* Whether @m may be in its domain's log of deferred unmaps */
static bool may_be_logged(const struct mapping *m)
{
	if (m->deferred)
		return true;
	/* Cleared by the unmap in progress: then out of the tables */
	return in_call == IN_UNMAP && m->domain == in_domain && m->iova >= unmap_start &&
	       m->iova < unmap_end && !cpu_reaches(m->domain, m->iova, m->phys);
}

/*
 * Whether memory page @pa is next to drop of a mapping the domain just
 * flushed whole may log (of any domain, when flushes are unseen)
 */
static bool logged_in_flushed(uint64_t pa)
{
	int i;

	for (i = 0; i < nr_maps; i++) {
		if ((flushes_unseen || maps[i].domain == flushed_domain) && !maps[i].stuck &&
		    pa == maps[i].phys + maps[i].consumed * SZ_4K &&
		    maps[i].consumed * SZ_4K < maps[i].size && may_be_logged(&maps[i]))
			return true;
	}
	return false;
}

/*
 * Account for the count drop of the pages from @pa on, against the
 * mappings of the domain being unmapped or freed, in IOVA order. Returns
 * how many bytes were matched by one mapping that no device can reach any
 * more, neither through the tables in memory nor through a TLB.
 */
static uint64_t take_unshare(uint64_t pa, uint64_t len, bool deferred)
{
	u32 domain = deferred ? flushed_domain : in_domain;
	bool any_domain = deferred && flushes_unseen;
	const char *reachable = NULL;
	int i;

	for (i = 0; i < nr_maps; i++) {
		struct mapping *m = &maps[i];
		uint64_t n, iova;

		if ((m->domain != domain && !any_domain) || m->stuck ||
		    pa != m->phys + m->consumed * SZ_4K ||
		    m->consumed * SZ_4K >= m->size)
			continue;
		if (deferred ? !may_be_logged(m) : m->deferred)
			continue;
		n = m->size - m->consumed * SZ_4K;
		if (n > len)
			n = len;
		iova = m->iova + m->consumed * SZ_4K;
		/*
		 * Another mapping of the same page may be the one that went. A
		 * deferred one left the tables when it was deferred, and its IOVA
		 * may map the page again since: only the TLB matters for it.
		 */
		if (!deferred && in_call == IN_UNMAP && cpu_reaches(domain, iova, pa)) {
			reachable = "through the tables";
			continue;
		}
		if (!deferred && (device_reaches(domain, iova, pa) ||
				  (device_tables_reach && device_tables_reach(domain, iova, pa)))) {
			reachable = "through the tables in memory";
			continue;
		}
		if (tlb_holds_leaf(m->domain, m->iova, m->size, m->phys) ||
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

/* As mem_protect.c: a host_dma.c change on the range's part in each region */
static int change_by_region(uint64_t phys, uint64_t size, int (*change)(u64 phys, u64 size))
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < NR_MEM_REGIONS && !ret; i++) {
		uint64_t from = phys > mem_regions[i].base ? phys : mem_regions[i].base;
		uint64_t end = mem_regions[i].base + mem_regions[i].size;
		uint64_t to = phys + size < end ? phys + size : end;

		if (from < to)
			ret = change(from, to - from);
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

/* The most mappings of a page: 31 bits of the word host_dma.c keeps */
#define HOST_DMA_COUNT_MAX	HOST_DMA_MAPPINGS

/* What the model expects of __pkvm_host_share_dma() for host memory. */
static int model_share_dma(u64 phys, u64 size)
{
	uint64_t pa;

	for (pa = phys; pa < phys + size; pa += SZ_4K) {
		if (mem_owner[mem_page(pa)] != HOST)
			return -EPERM;
		if (mem_dma_count(mem_page(pa)) == HOST_DMA_COUNT_MAX)
			return -EOVERFLOW;
	}
	return 0;
}

/* Bytes passed to __pkvm_host_share_dma(), and to __pkvm_host_unshare_dma() but for logs */
static uint64_t accounted_bytes;	/* __atomic accesses */
/* Calls of __pkvm_host_unshare_dma() but for logs */
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
static int model_unshare_dma(u64 phys, u64 size, bool deferred)
{
	bool mmio = range_is_mmio(phys, size);
	uint64_t pa, n;

	if (!size || (phys | size) & (SZ_4K - 1) || phys + size < phys)
		return -EINVAL;
	for (pa = phys; !mmio && pa < phys + size; pa += SZ_4K) {
		if (is_mem(pa) && !mem_dma_count(mem_page(pa)))
			VIOLATION("%s of %#llx, which has no DMA mapping",
				  deferred ? "deferred drop" : "unshare", (unsigned long long)pa);
	}
	/* Races on pages of their own: no TLB may hold one whose count drops. */
	if (in_call == IN_RACE && device_caches && device_caches(phys, size))
		VIOLATION("count of %#llx dropped while a TLB holds it", (unsigned long long)phys);
	/* Only the tail of a failed map was never visible. */
	for (pa = phys; in_call != IN_MAP && in_call != IN_RACE && pa < phys + size; pa += n) {
		n = take_unshare(pa, phys + size - pa, deferred);
		if (!n)
			VIOLATION("count of %#llx dropped, but no unmapped mapping has it",
				  (unsigned long long)pa);
	}
	if (mmio)
		return 0;
	for (pa = phys, n = 0; pa < phys + size; pa += SZ_4K)
		n += is_mem(pa);
	if (change_by_region(phys, size, host_dma_unshare))
		VIOLATION("the count drop of %#llx+%#llx failed", (unsigned long long)phys,
			  (unsigned long long)size);
	__atomic_fetch_sub(&mem_dma_total, n, __ATOMIC_RELAXED);
	return 0;
}

/* Bytes whose counts a flush of a whole domain dropped: those of its log */
static uint64_t dropped_deferred_bytes;	/* __atomic accesses */

/*
 * As mem_protect.c's __pkvm_host_unshare_dma(), with the model's checks
 * that the IOMMU can no longer reach what it releases. After a flush of a
 * whole domain, what drops is first looked for in that domain's log.
 */
int __pkvm_host_unshare_dma(u64 phys, u64 size)
{
	bool logged;
	int ret;

	model_lock_take();
	logged = (flushed_whole || flushes_unseen) && logged_in_flushed(phys);
	if (logged) {
		__atomic_fetch_add(&dropped_deferred_bytes, size, __ATOMIC_RELAXED);
	} else {
		__atomic_fetch_add(&accounted_bytes, size, __ATOMIC_RELAXED);
		__atomic_fetch_add(&unshare_calls, 1, __ATOMIC_RELAXED);
	}
	ret = model_unshare_dma(phys, size, logged);
	model_lock_drop();
	return ret;
}

/* Whether a flush of @domain waits for an IOMMU the host said is off (fakes) */
static bool (*domain_waits_for_power)(u32 domain);

/*
 * Whether a deferred mapping of memory page @pa waits for an IOMMU the host
 * said has no power: a flush of its domain cannot complete before power-on.
 */
static bool model_deferred_waits_for_power(uint64_t pa)
{
	int i;

	for (i = 0; i < nr_maps; i++)
		if (maps[i].deferred && pa >= maps[i].phys + maps[i].consumed * SZ_4K &&
		    pa < maps[i].phys + maps[i].size && domain_waits_for_power &&
		    domain_waits_for_power(maps[i].domain))
			return true;
	return false;
}

/* Whether the record has a mapping of memory page @pa whose count stands, deferred or not. */
static bool model_page_mapped(uint64_t pa, bool deferred)
{
	int i;

	for (i = 0; i < nr_maps; i++)
		if (maps[i].deferred == deferred &&
		    pa >= maps[i].phys + maps[i].consumed * SZ_4K &&
		    pa < maps[i].phys + maps[i].size)
			return true;
	return false;
}

/*
 * Set while the identity domain follows an ownership change: its splits
 * must come from its reserve, and a page taken from a CPU's memcache
 * instead (memory.c's fallback) means the reserve was short: fatal.
 */
static __thread bool idmap_reserve_only;

static int idmap_remove(uint64_t pa, uint64_t size)
{
	int ret;

	idmap_reserve_only = true;
	ret = kvm_iommu_idmap_remove(pa, size);
	idmap_reserve_only = false;
	return ret;
}

static void idmap_add(uint64_t pa, uint64_t size)
{
	idmap_reserve_only = true;
	kvm_iommu_idmap_add(pa, size);
	idmap_reserve_only = false;
}

/* A claim undone, as host_note_ownership() does when the identity domain fails. */
static void model_unclaim(uint64_t pa, uint64_t nr_pages)
{
	uint64_t i;

	for (i = 0; i < nr_pages; i++)
		host_dma_note_owned(&vmemmap[mem_page(pa) + i], true);
	idmap_add(pa, nr_pages * SZ_4K);
}

static void idmap_check_gone(uint64_t pa, uint64_t nr_pages);

/*
 * As mem_protect.c's transitions that take host memory, under
 * host_mmu.lock: claimed by the real host_dma.c, which must refuse a page
 * with DMA mappings (outside races the model's record of mappings says
 * which are), then out of the identity domain, then @to's.
 */
static int model_claim(uint64_t pa, uint64_t nr_pages, enum owner to)
{
	bool mapped = false, deferred = false, off = false;
	int ret = 0;
	uint64_t i;

	if (!nr_pages || nr_pages > NR_PAGES || !is_mem(pa) ||
	    mem_region(pa) != mem_region(pa + nr_pages * SZ_4K - 1))
		return -EPERM;
	hyp_spin_lock(&host_mmu.lock);
	for (i = 0; i < nr_pages && !ret; i++) {
		if (mem_owner[mem_page(pa) + i] != HOST)
			ret = -EPERM;
		if (in_call != IN_RACE) {
			mapped |= model_page_mapped(pa + i * SZ_4K, false);
			deferred |= model_page_mapped(pa + i * SZ_4K, true);
			off |= model_deferred_waits_for_power(pa + i * SZ_4K);
		}
	}
	/*
	 * As host_claim_initiator(): a claim that fails on a count flushes the
	 * domains whose logs hold pages of the range, and claims once more.
	 * Only a live mapping, or a flush that failed, refuses the claim.
	 */
	if (!ret) {
		flushed_whole = false;
		ret = host_dma_claim(pa, nr_pages * SZ_4K);
		if (ret)
			ret = kvm_iommu_flush_deferred(pa, nr_pages * SZ_4K) ?:
			      host_dma_claim(pa, nr_pages * SZ_4K);
		if (ret)
			ret = -EBUSY;
		if (in_call != IN_RACE &&
		    (ret == -EBUSY) != (mapped || off || (deferred && flush_fails)))
			VIOLATION("claim of %#llx returned %d, the model has %s mapping%s%s",
				  (unsigned long long)pa, ret, mapped ? "a" : "no live",
				  deferred ? " and a deferred one" : "",
				  off ? " waiting for power" : "");
	}
	/* As host_claim_initiator(): out of the identity domain, or not claimed */
	if (!ret) {
		ret = idmap_remove(pa, nr_pages * SZ_4K);
		if (ret)
			model_unclaim(pa, nr_pages);
	}
	if (!ret)
		idmap_check_gone(pa, nr_pages);
	/* mem_protect.c's backstop, exact once claimed */
	if (!ret && !host_dma_unmapped(pa, nr_pages * SZ_4K))
		VIOLATION("claimed %#llx, which is counted", (unsigned long long)pa);
	for (i = 0; i < nr_pages && !ret; i++)
		set_owner(mem_page(pa) + i, to);
	hyp_spin_unlock(&host_mmu.lock);
	return ret;
}

/*
 * As __pkvm_host_donate_hyp(), for pages of the window or the far region.
 */
int __pkvm_host_donate_hyp(u64 pfn, u64 nr_pages)
{
	if (model_page(pfn * SZ_4K) < 0 || nr_pages > NR_PAGES)
		return -EPERM;
	return model_claim(pfn * SZ_4K, nr_pages, HYP);
}

/* As a guest's memory going back to the host: in the identity domain again. */
static void model_guest_return(uint64_t pa, uint64_t nr_pages)
{
	uint64_t i;

	hyp_spin_lock(&host_mmu.lock);
	for (i = 0; i < nr_pages; i++) {
		if (mem_owner[mem_page(pa) + i] != GUEST)
			VIOLATION("%#llx returned by a guest that does not own it",
				  (unsigned long long)(pa + i * SZ_4K));
		set_owner(mem_page(pa) + i, HOST);
	}
	idmap_add(pa, nr_pages * SZ_4K);
	hyp_spin_unlock(&host_mmu.lock);
}

/* As __pkvm_hyp_donate_host(), for pages the host gets back from the IOMMU code. */
int __pkvm_hyp_donate_host(u64 pfn, u64 nr_pages)
{
	uint64_t pa = pfn * SZ_4K, i;
	long p;

	for (i = 0; i < nr_pages; i++) {
		p = model_page(pa + i * SZ_4K);
		if (p < 0 || mem_owner[p] != HYP)
			VIOLATION("%#llx given to the host, but the hypervisor does not own it",
				  (unsigned long long)(pa + i * SZ_4K));
		if (in_memcache[p] || vmemmap[p].refcount)
			VIOLATION("%#llx given to the host while still in use",
				  (unsigned long long)(pa + i * SZ_4K));
		/* A page the host does not own has no DMA mapping to count. */
		if (mem_dma_count(p))
			VIOLATION("%#llx given to the host counted %u times",
				  (unsigned long long)(pa + i * SZ_4K), mem_dma_count(p));
		if (!bytes_are(pa_to_va(page_pa(p)), SZ_4K, 0))
			VIOLATION("%#llx given to the host with the hypervisor's data in it",
				  (unsigned long long)(pa + i * SZ_4K));
	}
	hyp_spin_lock(&host_mmu.lock);
	for (i = 0; i < nr_pages; i++)
		set_owner(mem_page(pa) + i, HOST);
	/* As host_note_ownership(): in the identity domain again */
	idmap_add(pa, nr_pages * SZ_4K);
	hyp_spin_unlock(&host_mmu.lock);
	return 0;
}

#endif /* IOMMU_CORE_HARNESS_MODEL_H_ */
