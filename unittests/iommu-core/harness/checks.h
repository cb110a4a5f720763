/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The oracles: the identity domain against the model of ownership, and the
 * tables, counts and memory against the record of mappings.
 *
 * Part of harness.h, which includes the parts in order.
 */
#ifndef IOMMU_CORE_HARNESS_CHECKS_H_
#define IOMMU_CORE_HARNESS_CHECKS_H_

/* ---- The identity domain, against the model of ownership ---- */

#define IDMAP_MEM_PROT	(IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE | IOMMU_NOEXEC)
#define IDMAP_MMIO_PROT	(IOMMU_READ | IOMMU_WRITE | IOMMU_MMIO | IOMMU_NOEXEC)

/* The prot the identity domain must map [pa, pa + size) with, or 0: none or not all of it. */
static int idmap_want(uint64_t pa, uint64_t size)
{
	uint64_t p, region_end = 0;
	int r;

	if (pa + size > BIT_ULL(host_mmu.pgt.ia_bits))
		return 0;
	if (range_is_mmio(pa, size))
		return mmio_range_host_owned(pa, size) ? IDMAP_MMIO_PROT : 0;
	for (p = pa; p < pa + size; p += SZ_4K) {
		if (p >= region_end) {
			r = mem_region(p);
			if (r < 0)
				return 0;
			region_end = mem_regions[r].base + mem_regions[r].size;
		}
		if (mem_owner[mem_page(p)] != HOST)
			return 0;
	}
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

/* The top of what the identity domain maps: the IOMMU's and the CPU's ranges. */
static uint64_t idmap_top(void)
{
	uint32_t bits = host_mmu.pgt.ia_bits < IAS ? host_mmu.pgt.ia_bits : IAS;

	return 1ULL << bits;
}

/* Bytes the identity domain must map: all the host owns below idmap_top(). */
static uint64_t idmap_want_bytes(void)
{
	uint64_t top = idmap_top(), bytes = top - host_memory_bytes(0, top), pa, end;
	unsigned int i;

	/* MMIO is what is not memory, less what the hypervisor took */
	for (i = 0; i < hyp_mmio_nr; i++) {
		end = hyp_mmio[i].base + hyp_mmio[i].size < top ?
		      hyp_mmio[i].base + hyp_mmio[i].size : top;
		if (hyp_mmio[i].base < end)
			bytes -= end - hyp_mmio[i].base;
	}
	for (i = 0; i < NR_MEM_REGIONS; i++) {
		end = mem_regions[i].base + mem_regions[i].size < top ?
		      mem_regions[i].base + mem_regions[i].size : top;
		for (pa = mem_regions[i].base; pa < end; pa += SZ_4K)
			bytes += mem_owner[mem_page(pa)] == HOST ? SZ_4K : 0;
	}
	return bytes;
}

/* Every leaf under @table maps its own address, all of it the host's; add up their bytes. */
static bool idmap_walk(struct kvm_io_pgtable *pgt, uint64_t table, int l, uint64_t base,
		       uint64_t *bytes)
{
	int shift = level_shift(l);
	uint64_t i, d, iova;

	for (i = 0; i < 1ULL << level_bits(pgt, l); i++) {
		d = cpu_read(table + 8 * i);
		iova = base + (i << shift);
		if (!(d & 1))
			continue;
		if (l == 3 || (d & 3) == 1) {
			CHECK(l && idmap_leaf_ok(iova, d, l),
			      "identity domain: %#llx maps as %#llx at level %d",
			      (unsigned long long)iova, (unsigned long long)d, l);
			*bytes += 1ULL << shift;
			continue;
		}
		CHECK(is_table_page(d & DESC_ADDR), "identity domain: %#llx walks %#llx as a table",
		      (unsigned long long)iova, (unsigned long long)d);
		if (!idmap_walk(pgt, d & DESC_ADDR, l + 1, iova, bytes))
			return false;
	}
	return true;
}

/* Whether the entry of level @level - 1 over @addr links a table of level @level. */
static bool idmap_has_table(struct kvm_io_pgtable *pgt, uint64_t addr, int level)
{
	uint64_t table = va_to_pa(pgt->pgd), d;
	int l;

	for (l = pgt->start_level; l < level; l++) {
		d = cpu_read(table + 8 * ((addr >> level_shift(l)) &
					  ((1ULL << level_bits(pgt, l)) - 1)));
		if ((d & 3) != 3)
			return false;
		table = d & DESC_ADDR;
	}
	return true;
}

/*
 * The tables a later ownership change may still add to the identity
 * domain: a block of memory split, or a page coming back where nothing is
 * mapped, needs one table per level below the entry that spans only
 * memory; the hypervisor's MMIO regions still to come split up to four
 * blocks each (HYP_MMIO_MAX in mem_protect.c, mirrored by the model).
 */
static uint64_t idmap_tables_to_come(struct kvm_io_pgtable *pgt)
{
	uint64_t top = idmap_top(), n = 4 * (HYP_MMIO_MAX - hyp_mmio_nr), a, size, last;
	unsigned int i;
	int level;

	for (level = pgt->start_level + 1; level <= 3; level++) {
		size = 1ULL << level_shift(level - 1);
		for (i = 0, last = ~0ULL; i < NR_MEM_REGIONS; i++) {
			for (a = mem_regions[i].base & ~(size - 1);
			     a < mem_regions[i].base + mem_regions[i].size && a + size <= top;
			     a += size) {
				if (a == last || host_memory_bytes(a, a + size) != size)
					continue;
				last = a;
				n += !idmap_has_table(pgt, a, level);
			}
		}
	}
	return n;
}

/*
 * The identity domain's tables, as the CPU holds them, map exactly what
 * the model says the host owns, over the whole input range: every leaf
 * maps its own address, all of it the host's, with the descriptor its kind
 * asks for, and together they cover every byte the host owns. Its reserve
 * holds a page for every table an ownership change may still add.
 */
static bool check_idmap(void)
{
	struct kvm_hyp_iommu_domain *d = live_domains[KVM_IOMMU_IDENTITY_DOMAIN];
	uint64_t bytes = 0, want;

	if (!d)
		return true;
	if (!idmap_walk(&d->pgt, va_to_pa(d->pgt.pgd), d->pgt.start_level, 0, &bytes))
		return false;
	want = idmap_want_bytes();
	if (bytes != want) {
		uint64_t i, desc;
		int level;

		/* Name the first page of memory that is wrong, to debug it */
		for (i = 0; i < NR_PAGES; i++) {
			if (!is_mem(page_pa(i)) || page_pa(i) >= idmap_top())
				continue;
			desc = walk_leaf(&d->pgt, 0, page_pa(i), cpu_read, false, &level);
			if (!desc != (mem_owner[i] != HOST))
				break;
		}
		CHECK(false, "identity domain: %#llx bytes mapped, the host owns %#llx; "
		      "first wrong page %#llx", (unsigned long long)bytes,
		      (unsigned long long)want, (unsigned long long)(i < NR_PAGES ? page_pa(i) : 0));
	}
	CHECK(kvm_iommu_stat(KVM_IOMMU_STAT_IDMAP_PAGES) ==
	      count_tables(&d->pgt, va_to_pa(d->pgt.pgd), d->pgt.start_level),
	      "the hypervisor reports %lld identity table pages, %d seen",
	      (long long)kvm_iommu_stat(KVM_IOMMU_STAT_IDMAP_PAGES),
	      count_tables(&d->pgt, va_to_pa(d->pgt.pgd), d->pgt.start_level));
	want = idmap_tables_to_come(&d->pgt);
	CHECK(kvm_iommu_stat(KVM_IOMMU_STAT_IDMAP_RESERVE) >= (s64)want,
	      "identity domain: %lld pages in reserve, %llu tables may still come",
	      (long long)kvm_iommu_stat(KVM_IOMMU_STAT_IDMAP_RESERVE), (unsigned long long)want);
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
	device_walk(&d->pgt, d->id, va_to_pa(d->pgt.pgd), d->pgt.start_level, 0, true);
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
			    !device_walk(&d->pgt, d->id, va_to_pa(d->pgt.pgd), d->pgt.start_level, 0,
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
	static unsigned int want[NR_PAGES];
	static uint32_t touched[NR_PAGES];
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
		if (m->consumed || m->stuck || m->deferred)
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
			     (unsigned long long)page_pa(p), mem_dma_count(p),
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
	for (i = 0, p = 0; i < nr_maps; i++)
		p += maps[i].deferred ? maps[i].size / SZ_4K - maps[i].consumed : 0;
	CHECK(kvm_iommu_stat(KVM_IOMMU_STAT_DEFERRED_PAGES) == (s64)p,
	      "the hypervisor reports %lld deferred pages, %llu deferred",
	      (long long)kvm_iommu_stat(KVM_IOMMU_STAT_DEFERRED_PAGES), (unsigned long long)p);
	return true;
}

#endif /* IOMMU_CORE_HARNESS_CHECKS_H_ */
