/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Random calls against the model, the teardown that must give all memory
 * back, and the harness's set-up.
 *
 * Part of harness.h, which includes the parts in order.
 */
#ifndef IOMMU_CORE_HARNESS_RANDOM_CALLS_H_
#define IOMMU_CORE_HARNESS_RANDOM_CALLS_H_

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
 * The host gives @nr pages from @pa to a guest, or, when the first is a
 * guest's already, the guest gives back those of the run that are: the
 * model claims and returns them as mem_protect.c does, with the identity
 * domain following each change.
 */
static int guest_call(uint64_t pa, uint64_t nr)
{
	uint64_t n = 0;

	pa &= ~(SZ_4K - 1);
	if (!is_mem(pa) || mem_owner[mem_page(pa)] != GUEST)
		return model_claim(pa, nr, GUEST);
	while (n < nr && is_mem(pa + n * SZ_4K) && mem_owner[mem_page(pa + n * SZ_4K)] == GUEST)
		n++;
	model_guest_return(pa, n);
	return 0;
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
	int kind = nr_maps > 1024 ? 11 : next() % 21;
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
	} else if (next() % 4 == 0) {
		pa = FAR_BASE + ((next() % (FAR_SIZE / pgsize - pgcount)) * pgsize);
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
	flush_fails = ((kind >= 11 && kind < 16) || kind == 18) && next() % 64 == 0;
	flush_failed |= flush_fails;

	/* A map of runs reserves run by run: a retry that got further may ask again. */
	for (tries = 0; tries < 2 || progress ||
	     (!kind && dom == KVM_IOMMU_IDENTITY_DOMAIN && tries < 3); tries++) {
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
				 * them, of the window or the far region, anywhere
				 * in the input range.
				 */
				if (!tries) {
					if (next() % 2)
						iova = (next() % ((1ULL << IAS) / SZ_4K -
								  8 * (KVM_IOMMU_MAX_RUNS + 1))) * SZ_4K;
					nr = next() % (KVM_IOMMU_MAX_RUNS + 2);
					for (i = 0; i < nr; i++)
						runs[i] = KVM_IOMMU_RUN(next() % 2 ?
							MEM_BASE + (next() % (MEM_PAGES - 8)) * SZ_4K :
							FAR_BASE + (next() % (FAR_PAGES - 8)) * SZ_4K,
							1 + next() % 8);
				}
				for (i = 0, n = 0; i < nr && i <= KVM_IOMMU_MAX_RUNS; i++)
					n += KVM_IOMMU_RUN_PAGES(runs[i]);
				want_ret = dom == KVM_IOMMU_IDENTITY_DOMAIN ? -EPERM :
					   !nr || nr > KVM_IOMMU_MAX_RUNS ? -EINVAL :
					   want_arg_error(true, dom, iova, 0, SZ_4K, n, prot);
				ret = map_runs(dom, iova, prot, runs, nr, &done);
				progress = ret == -ENOMEM ? done : 0;
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
			/* Lazy or not: a domain may have both. */
			ret = (next() % 2 ? unmap_deferred : unmap)(dom, iova, pgsize, pgcount, &done);
			/* A full log while an IOMMU had no power leaves pages counted. */
			flush_failed |= ret == -EAGAIN;
			break;
		case 18:	/* a flush of a domain's deferred unmaps */
			want_ret = dom >= KVM_IOMMU_MAX_DOMAINS ? -EINVAL : 0;
			ret = flush_domain(dom);
			if (!want_ret && ret != 0 && ret != -ENOENT && !(flush_fails && ret == -EIO) &&
			    ret != -EAGAIN)
				VIOLATION("a flush of domain %u returned %d", dom, ret);
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
		case 19:	/* guest memory, given and given back: the identity domain follows */
			ret = guest_call(pa, pgcount);
			break;
		case 20:
			/*
			 * An IOMMU loses power or has it again, as the host
			 * driver allows: never alloc_domain()'s, nor one the
			 * identity domain has a stream on (donations would
			 * fail until power-on).
			 */
			iommu = iommu == SPARE_IOMMU ? 0 : iommu;
			for (i = 0; iommu < NR_IOMMUS && i < NR_SIDS; i++)
				if (attached[iommu][i] == KVM_IOMMU_IDENTITY_DOMAIN + 1)
					break;
			ret = i < NR_SIDS ? 0 : fake_power(iommu, next() % 2);
			drop_consumed();
			if (ret && ret != -EALREADY && !(ret == -EINVAL && iommu >= NR_IOMMUS))
				VIOLATION("a power change of IOMMU %u returned %d", iommu, ret);
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
		/*
		 * The identity domain asks twice, for its domain, then for its
		 * tables, whose reserve covers what the donation of them
		 * splits: it never asks a third time.
		 */
		if (tries && !progress && (kind || dom != KVM_IOMMU_IDENTITY_DOMAIN || tries > 1))
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

/*
 * Host pages, with some owned by the hypervisor and some by guests; in the
 * far region only the last 2MiB, so that its 1GiB and 2MiB blocks start
 * whole, to be split by the random calls.
 */
static void set_owners(void)
{
	int i;

	for (i = 0; i < (int)NR_PAGES; i++) {
		if (mem_owner[i] == HYP && (vmemmap[i].refcount || in_memcache[i]))
			continue;
		if (i >= (int)MEM_PAGES && page_pa(i) < FAR_BASE + FAR_SIZE - SZ_2M)
			set_owner(i, HOST);
		else
			set_owner(i, (i % 97 == 3) ? HYP : (i % 89 == 5) ? GUEST : HOST);
	}
}

/* Random hypercalls, with the invariants checked after each. */
static bool random_calls(int calls)
{
	unsigned long long checked = ~0ULL;
	int n, deferred_calls = 0;

	set_owners();
	for (n = 0; n < calls; n++) {
		snprintf(where, sizeof(where), "call %d", n);
		random_call(rnd);
		if (!check_state() || (n % 256 == 0 && (!check_device_tables() || !check_memory())))
			return false;
		deferred_calls += kvm_iommu_stat(KVM_IOMMU_STAT_DEFERRED_PAGES) > 0;
		if (owner_changes != checked || n % 64 == 0) {
			checked = owner_changes;
			if (!check_idmap())
				return false;
		}
	}
	/* Half the host's donations are above 4GiB: tables, domains, leaves too. */
	CHECK(calls < 1000 || far_in_use_max, "no page above 4GiB was ever in use");
	/* Lazy unmaps left pages waiting for a flush after a part of the calls. */
	CHECK(calls < 1000 || deferred_calls > calls / 20,
	      "deferred pages after only %d calls of %d", deferred_calls, calls);
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
			CHECK(!change_by_region(m->phys, m->size, host_dma_unshare), "release of a leak");
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
		CHECK(!fake_off[i] || !fake_power(i, true), "power-on");
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
	for (i = 0; i < (int)NR_PAGES; i++)
		set_owner(i, HOST);
	trace_calls = getenv("HARNESS_TRACE");
	harness_fmt = fmt;
	domain_waits_for_power = domain_on_off_iommu;
	if (!fake_iommu)
		return;
	/* An IOMMU that does not snoop: every table write must be cleaned. */
	kvm_iommu_set_noncoherent();
	if (kvm_iommu_init(&fake_ops, fmt, IAS, OAS))
		abort();
}

#endif /* IOMMU_CORE_HARNESS_RANDOM_CALLS_H_ */
