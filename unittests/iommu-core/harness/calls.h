/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host's side: its donations and reclaims, and the hypercall wrappers
 * that keep the record of mappings.
 *
 * Part of harness.h, which includes the parts in order.
 */
#ifndef IOMMU_CORE_HARNESS_CALLS_H_
#define IOMMU_CORE_HARNESS_CALLS_H_

/* ---- The host's side of the memory supply ---- */

static unsigned long long pages_donated, pages_reclaimed;
static uint64_t next_donation = DONATE_BASE, next_far_donation = FAR_DONATE_BASE;
static unsigned long donations;

/* The host donates @n free pages of its own to the current CPU's memcache. */
static void host_donate(unsigned long n)
{
	uint64_t tried = 0, pa;
	int ret;

	while (n) {
		/* A page of the window, then one of the far region */
		if (++donations % 2) {
			pa = next_donation;
			next_donation = pa + SZ_4K < DONATE_END ? pa + SZ_4K : DONATE_BASE;
		} else {
			pa = next_far_donation;
			next_far_donation = pa + SZ_4K < FAR_DONATE_END ? pa + SZ_4K :
					    FAR_DONATE_BASE;
		}
		if (++tried > (DONATE_END - DONATE_BASE + FAR_DONATE_END - FAR_DONATE_BASE) /
			      SZ_4K) {
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
/* The most pages above 4GiB in use at once, as check_memory() saw them */
static long long far_in_use_max;

static bool check_memory(void)
{
	long long in_use = 0, cached = 0, far_in_use = 0;
	long p;

	for (p = 0; p < (long)NR_PAGES; p++) {
		if (in_memcache[p]) {
			cached++;
		} else if (vmemmap[p].refcount) {
			in_use++;
			far_in_use += p >= (long)MEM_PAGES;
		}
	}
	if (far_in_use > far_in_use_max)
		far_in_use_max = far_in_use;
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

/* Flags of the unmaps of this thread: KVM_IOMMU_UNMAP_DEFER for lazy ones */
static __thread uint64_t unmap_flags;

static int unmap(uint64_t dom, uint64_t iova, uint64_t pgsize, uint64_t pgcount,
		 size_t *unmapped_out)
{
	unsigned __int128 end;
	size_t unmapped;
	int ret, i, level;

	in_call = IN_UNMAP;
	in_domain = dom;
	flushed_whole = false;
	unmap_start = iova;
	end = (unsigned __int128)pgsize * pgcount + iova;
	unmap_end = end > UINT64_MAX ? UINT64_MAX : (uint64_t)end;
	ret = kvm_iommu_unmap_pages(dom, iova, pgsize, pgcount, unmap_flags, &unmapped);
	if (unmapped > (unsigned __int128)pgsize * pgcount)
		VIOLATION("unmap of %#llx bytes unmapped %#zx", (unsigned long long)(pgsize * pgcount),
			  unmapped);
	/*
	 * What the call reports unmapped and did not drop waits in the log:
	 * a lazy unmap's, or one that met an IOMMU without power.
	 */
	for (i = 0; i < nr_maps; i++) {
		if (maps[i].domain == dom && !maps[i].stuck && !maps[i].consumed &&
		    maps[i].iova >= iova && maps[i].iova < iova + unmapped &&
		    may_be_logged(&maps[i]))
			maps[i].deferred = true;
	}
	in_call = IN_NONE;
	drop_consumed();
	/*
	 * Mappings gone from the tables but still counted: their flush failed,
	 * or their log was full while an IOMMU had no power (-EAGAIN).
	 */
	for (i = 0; (flush_fails || ret == -EAGAIN) && dom < KVM_IOMMU_MAX_DOMAINS &&
	     live_domains[dom] && i < nr_maps; i++)
		if (maps[i].domain == dom && !maps[i].stuck && !maps[i].deferred &&
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
	flushed_whole = false;
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

/* A lazy unmap: its pages stay counted until the domain's next flush. */
static int unmap_deferred(uint64_t dom, uint64_t iova, uint64_t pgsize, uint64_t pgcount,
			  size_t *unmapped_out)
{
	int ret;

	unmap_flags = KVM_IOMMU_UNMAP_DEFER;
	ret = unmap(dom, iova, pgsize, pgcount, unmapped_out);
	unmap_flags = 0;
	return ret;
}

static int flush_domain(uint64_t dom)
{
	uint64_t bytes = __atomic_load_n(&dropped_deferred_bytes, __ATOMIC_RELAXED);
	int ret;

	in_call = IN_FLUSH;
	in_domain = dom;
	flushed_whole = false;
	ret = kvm_iommu_flush_domain(dom);
	in_call = IN_NONE;
	bytes = __atomic_load_n(&dropped_deferred_bytes, __ATOMIC_RELAXED) - bytes;
	if (bytes > 2 * SZ_2M)
		VIOLATION("one flush of domain %llu dropped %llu bytes of deferred counts",
			  (unsigned long long)dom, (unsigned long long)bytes);
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

#endif /* IOMMU_CORE_HARNESS_CALLS_H_ */
