/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The vmemmap of the memory window and the memcache lists of memory.c,
 * with the checks made as pages are allocated, freed and reclaimed.
 *
 * Part of harness.h, which includes the parts in order.
 */
#ifndef IOMMU_CORE_HARNESS_VMEMMAP_H_
#define IOMMU_CORE_HARNESS_VMEMMAP_H_

/* ---- The vmemmap and the memcache lists of memory.c ---- */

void *harness_phys_to_virt(phys_addr_t pa)
{
	return pa_to_va(pa);
}

phys_addr_t harness_virt_to_phys(void *va)
{
	return va_to_pa(va);
}

struct hyp_page *hyp_virt_to_page(void *va)
{
	long p = va_page(va);

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
			  (unsigned long long)page_pa(i));
	if (!bytes_are(pa_to_va(page_pa(i)), SZ_4K, 0))
		VIOLATION("allocated %#llx without zeroing it", (unsigned long long)page_pa(i));
}

void harness_memcache_push(void *va)
{
	long p = va_page(va);

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

/* The per-CPU variables of the code under test, from the shim's DEFINE_PER_CPU */
#define PER_CPU_AREAS_MAX	16
static struct {
	uintptr_t start, end;
} per_cpu_areas[PER_CPU_AREAS_MAX];
static unsigned int nr_per_cpu_areas;

void harness_per_cpu_area(void *start, size_t stride, size_t size)
{
	unsigned int cpu;

	if (nr_per_cpu_areas == PER_CPU_AREAS_MAX)
		abort();
	per_cpu_areas[nr_per_cpu_areas].start = (uintptr_t)start;
	per_cpu_areas[nr_per_cpu_areas++].end = (uintptr_t)start + stride * HARNESS_NR_CPUS;
	/* Past one CPU's copy lies a redzone, not the next CPU's copy. */
	for (cpu = 0; cpu < HARNESS_NR_CPUS; cpu++)
		HARNESS_POISON((char *)start + cpu * stride + size, stride - size);
}

static bool is_per_cpu(const void *p)
{
	unsigned int i;

	for (i = 0; i < nr_per_cpu_areas; i++)
		if ((uintptr_t)p >= per_cpu_areas[i].start && (uintptr_t)p < per_cpu_areas[i].end)
			return true;
	return false;
}

void harness_memcache_pop(void *mc, void *va)
{
	long p = va_page(va);

	if (p < 0 || !in_memcache[p])
		VIOLATION("%p taken from a memcache, but it was not in one", va);
	if (idmap_reserve_only && is_per_cpu(mc))
		VIOLATION("the identity domain took %p from a CPU's memcache: its reserve was short",
			  va);
	in_memcache[p] = false;
}

#endif /* IOMMU_CORE_HARNESS_VMEMMAP_H_ */
