/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the hypervisor's IOMMU memory supply (memory.c) takes from
 * nvhe/memory.h, asm/kvm_host.h and the per-CPU headers. Physical memory
 * is the harness's: its memory window, mapped at its own physical address,
 * and memory above 4GiB, mapped at an offset; the vmemmap and the memcache
 * lists report to the harness, which checks every page that is
 * refcounted, pushed or popped (harness.h).
 */
#ifndef __SHIM_NVHE_MEMORY_H__
#define __SHIM_NVHE_MEMORY_H__

#include <stdint.h>
#include <linux/bug.h>
#include <linux/types.h>

#ifndef PAGE_SHIFT
#define PAGE_SHIFT		12
#define PAGE_SIZE		(1UL << PAGE_SHIFT)
#endif

/*
 * Simulated CPUs: each thread of the harness says which one it is. Each
 * CPU's copy of a per-CPU variable is followed by a redzone, poisoned
 * under ASan, so that running past the end of one copy is caught rather
 * than landing in the next CPU's; the harness also learns where the
 * copies are (which memcaches are the CPUs'). The declaration that ends
 * the macro only takes the semicolon written after it.
 */
#define HARNESS_NR_CPUS		4
#define PER_CPU_REDZONE		64
extern __thread int harness_cpu;
void harness_per_cpu_area(void *start, size_t stride, size_t size);
#define DEFINE_PER_CPU(type, name)						\
	struct {								\
		__typeof__(type) v;						\
		char redzone[PER_CPU_REDZONE];					\
	} name[HARNESS_NR_CPUS];						\
	static void __attribute__((constructor)) name##_redzones(void)		\
	{									\
		harness_per_cpu_area(name, sizeof(name[0]), sizeof(name[0].v));	\
	}									\
	extern int name##_redzones_done
#define this_cpu_ptr(ptr)		(&(*(ptr))[harness_cpu].v)
#define per_cpu_ptr(ptr, cpu)		(&(*(ptr))[cpu].v)

#if defined(__SANITIZE_ADDRESS__)
#define HARNESS_ASAN
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HARNESS_ASAN
#endif
#endif
#ifdef HARNESS_ASAN
#include <sanitizer/asan_interface.h>
#define HARNESS_POISON(p, n)		ASAN_POISON_MEMORY_REGION(p, n)
#else
#define HARNESS_POISON(p, n)		((void)(p), (void)(n))
#endif

struct hyp_page {
	unsigned short refcount;
	atomic_t host_dma;
};

/* Aborts for an address outside the memory window. */
struct hyp_page *hyp_virt_to_page(void *va);
/* Checks a page that was just allocated: owned by the hypervisor, zeroed. */
void harness_page_allocated(struct hyp_page *p);
/* Check and record a page entering or leaving a memcache list. */
void harness_memcache_push(void *va);
void harness_memcache_pop(void *mc, void *va);

/* The hypervisor's linear map, as the harness lays memory out */
void *harness_phys_to_virt(phys_addr_t pa);
phys_addr_t harness_virt_to_phys(void *va);

static inline void *hyp_phys_to_virt(phys_addr_t pa)
{
	return harness_phys_to_virt(pa);
}

static inline phys_addr_t hyp_virt_to_phys(void *va)
{
	return harness_virt_to_phys(va);
}

#define hyp_phys_to_page(pa)	hyp_virt_to_page(hyp_phys_to_virt(pa))

#define hyp_pfn_to_phys(pfn)	((phys_addr_t)(pfn) << PAGE_SHIFT)
#define hyp_virt_to_pfn(va)	(hyp_virt_to_phys(va) >> PAGE_SHIFT)

static inline void hyp_page_ref_dec(struct hyp_page *p)
{
	BUG_ON(!p->refcount);
	p->refcount--;
}

static inline void hyp_set_page_refcounted(struct hyp_page *p)
{
	BUG_ON(p->refcount);
	p->refcount = 1;
	harness_page_allocated(p);
}

/* A list of free pages, linked through their first word. */
struct kvm_hyp_memcache {
	phys_addr_t head;
	unsigned long nr_pages;
};

static inline void push_hyp_memcache(struct kvm_hyp_memcache *mc, phys_addr_t *p,
				     phys_addr_t (*to_pa)(void *virt))
{
	harness_memcache_push(p);
	*p = mc->head;
	mc->head = to_pa(p);
	mc->nr_pages++;
}

static inline void *pop_hyp_memcache(struct kvm_hyp_memcache *mc,
				     void *(*to_va)(phys_addr_t phys))
{
	phys_addr_t *p;

	if (!mc->nr_pages)
		return NULL;
	p = to_va(mc->head);
	mc->head = *p;
	mc->nr_pages--;
	harness_memcache_pop(mc, p);
	return p;
}

#endif
