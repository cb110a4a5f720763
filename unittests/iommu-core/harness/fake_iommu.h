/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fake IOMMU: what it sees of memory without snooping, its streams, TLB
 * and walk cache, the descriptors decoded by the harness itself, its
 * driver operations and its walks of whole tables.
 *
 * Part of harness.h, which includes the parts in order.
 */
#ifndef IOMMU_CORE_HARNESS_FAKE_IOMMU_H_
#define IOMMU_CORE_HARNESS_FAKE_IOMMU_H_

/* ---- What a non-coherent IOMMU sees of memory ---- */

/*
 * The IOMMU reads tables from memory, not from the CPU's caches: dev_mem
 * holds what reached memory, which is only what was cleaned, a 64-byte
 * line at a time. It starts as stale valid entries (blocks of host
 * memory), so that walking an uncleaned table fails the test; in the far
 * region, where it is reserved and touched on use, as zeroes.
 */
#define CACHE_LINE	64

static unsigned char *dev_mem;

/* The word of memory at @pa, as the IOMMU reads it */
static uint64_t *dev_word(uint64_t pa)
{
	if (pa - FAR_BASE < FAR_SIZE)
		return (uint64_t *)(far_dev_mem + (pa - FAR_BASE));
	return (uint64_t *)(dev_mem + (pa - MEM_BASE));
}

static unsigned char *map_far(void)
{
	void *p = mmap(NULL, FAR_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED) {
		fprintf(stderr, "cannot reserve the far region: %s\n", strerror(errno));
		exit(2);
	}
	return p;
}

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
	far_mem = map_far();
	far_dev_mem = map_far();
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

	if (va_page((void *)start) < 0 || va_page((void *)(end - 1)) < 0) {
		fprintf(stderr, "cache clean of %p, outside memory\n", va);
		abort();
	}
	pthread_mutex_lock(&clean_lock);
	for (a = start; a < end; a += 8)
		__atomic_store_n(dev_word(va_to_pa((void *)a)),
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
	return __atomic_load_n(dev_word(pa), __ATOMIC_RELAXED);
}

static uint64_t cpu_read(uint64_t pa)
{
	return __atomic_load_n((uint64_t *)pa_to_va(pa), __ATOMIC_RELAXED);
}

/* ---- The fake IOMMU: streams, a TLB and a walk cache ---- */

static int attached[NR_IOMMUS][NR_SIDS];	/* domain ID + 1, or 0 */
static struct kvm_hyp_iommu_domain *attached_dom[NR_IOMMUS][NR_SIDS];
static bool flush_fails;
static unsigned long nr_flushes;

/*
 * IOMMUs the host said have no power. Protected by model_lock. The fake
 * keeps its caches meanwhile, as an IOMMU that runs on would: only the
 * invalidation at power-on may drop what they hold.
 */
static bool fake_off[NR_IOMMUS];

/* Whether @domain has a stream on an IOMMU said to be off. Under model_lock */
static bool domain_on_off_iommu(u32 domain)
{
	int i, s;

	for (i = 0; i < NR_IOMMUS; i++)
		for (s = 0; fake_off[i] && s < NR_SIDS; s++)
			if (attached[i][s] == (int)domain + 1)
				return true;
	return false;
}

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
static unsigned int walk_refs[NR_PAGES];

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
	long p = model_page(pa);

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
	uint64_t table = va_to_pa(pgt->pgd);
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

	return count_tables(pgt, va_to_pa(pgt->pgd), pgt->start_level);
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
	model_lock_take();
	if (fake_off[iommu]) {
		ret = -EAGAIN;
	} else if (attached[iommu][sid]) {
		ret = -EBUSY;
	} else {
		attached[iommu][sid] = d->id + 1;
		attached_dom[iommu][sid] = d;
		/* From now on the device may walk and cache all of the domain. */
		if (in_call != IN_RACE)
			device_fill_all(d);
	}
	model_lock_drop();
	return ret;
}

static int fake_detach(struct kvm_hyp_iommu_domain *d, u32 iommu, u32 sid)
{
	int ret = 0;

	if (iommu >= NR_IOMMUS || sid >= NR_SIDS)
		return -EINVAL;
	model_lock_take();
	if (attached[iommu][sid] != (int)d->id + 1) {
		ret = -ENOENT;
	} else if (fake_off[iommu]) {
		ret = -EAGAIN;
	} else {
		attached[iommu][sid] = 0;
		/* The driver's contract: no TLB entry outlives the last stream. */
		if (!domain_attached_any(d->id))
			cache_invalidate_domain(d->id);
	}
	model_lock_drop();
	return ret;
}

/* Leaf entries only, as the hardware's leaf TLBI: the walk cache stays. */
static int fake_flush(struct kvm_hyp_iommu_domain *d, u64 iova, size_t size)
{
	__atomic_fetch_add(&nr_flushes, 1, __ATOMIC_RELAXED);
	flushed_domain = d->id;
	flushed_whole = !iova && size >= BIT_ULL(d->pgt.ias);
	if (flush_fails)
		return -EIO;
	model_lock_take();
	/* As the SMMUv3 driver: an IOMMU without power is invalidated at power-on. */
	if (domain_on_off_iommu(d->id)) {
		model_lock_drop();
		return -EAGAIN;
	}
	cache_invalidate(d->id, iova, size, true);
	model_lock_drop();
	return 0;
}

/*
 * The host says @iommu loses power, or has it again, as to the SMMUv3
 * driver's kvm_arm_smmu_set_power(): its reset at power-on invalidates all
 * it caches, and then the deferred logs are flushed.
 */
static int fake_power(u32 iommu, bool on)
{
	int s;

	if (iommu >= NR_IOMMUS)
		return -EINVAL;
	model_lock_take();
	if (fake_off[iommu] != on) {
		model_lock_drop();
		return -EALREADY;
	}
	fake_off[iommu] = !on;
	for (s = 0; on && s < NR_SIDS; s++)
		if (attached[iommu][s])
			cache_invalidate_domain(attached[iommu][s] - 1);
	model_lock_drop();
	if (on)
		kvm_iommu_flush_deferred(0, ~0ULL);
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

#endif /* IOMMU_CORE_HARNESS_FAKE_IOMMU_H_ */
