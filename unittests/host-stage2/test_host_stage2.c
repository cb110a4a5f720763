// SPDX-License-Identifier: GPL-2.0
/*
 * The hypervisor's stage-2 walker (arch/arm64/kvm/hyp/pgtable.c, built
 * from the base tree unchanged) on a host stage-2 filled lazily, as on a
 * real boot: what a check of the host's page state visits.
 *
 * The host's checks (check_page_state_range() in mem_protect.c) ask the
 * state of each leaf the walk visits, at the address the visit starts.
 * An entry that was never populated spans all its level covers, so a
 * range that starts on the last page of a memory region and runs past its
 * end is visited once, at the memory page: nothing looks at the rest.
 * mem_protect.c therefore refuses ranges that are not memory of one
 * region before it walks. Prints TAP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <asm/kvm_pgtable.h>
#include <linux/sizes.h>

#define POOL_PAGES	64
#define CPU_PA_BITS	40

static int failures;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "# ");					\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		failures++;						\
		return false;						\
	}								\
} while (0)

/* ---- Table pages, at their own physical address ---- */

static unsigned char *pool;
static int refs[POOL_PAGES], next_page;

static long pool_index(void *va)
{
	long i = ((unsigned char *)va - pool) / PAGE_SIZE;

	if (i < 0 || i >= POOL_PAGES) {
		fprintf(stderr, "%p is not a table page\n", va);
		abort();
	}
	return i;
}

/* Any non-NULL memcache: the pool stands in for all of them. */
static void *zalloc_page(void *mc)
{
	void *va;

	if (next_page == POOL_PAGES)
		return NULL;
	va = pool + next_page * PAGE_SIZE;
	refs[next_page++] = 1;
	memset(va, 0, PAGE_SIZE);
	return va;
}

static void *zalloc_pages_exact(size_t size)
{
	void *va = zalloc_page(NULL);
	size_t n;

	for (n = PAGE_SIZE; va && n < size; n += PAGE_SIZE)
		zalloc_page(NULL);
	return va;
}

static void get_page(void *va)
{
	refs[pool_index(va)]++;
}

static void put_page(void *va)
{
	refs[pool_index(va)]--;
}

static int page_count(void *va)
{
	return refs[pool_index(va)];
}

static void *phys_to_virt(phys_addr_t phys)
{
	return (void *)(uintptr_t)phys;
}

static phys_addr_t virt_to_phys(void *va)
{
	return (uintptr_t)va;
}

static void no_cmo(void *va, size_t size)
{
}

static struct kvm_pgtable_mm_ops mm_ops = {
	.zalloc_page		= zalloc_page,
	.zalloc_pages_exact	= zalloc_pages_exact,
	.get_page		= get_page,
	.put_page		= put_page,
	.page_count		= page_count,
	.phys_to_virt		= phys_to_virt,
	.virt_to_phys		= virt_to_phys,
	.dcache_clean_inval_poc	= no_cmo,
	.icache_inval_pou	= no_cmo,
};

/* ---- The host stage-2 and the visits of a walk ---- */

/* A memory region that does not end on a block: 1GiB to 1GiB + 23MiB. */
#define REGION_BASE	SZ_1G
#define REGION_END	(SZ_1G + 23 * SZ_1M)

static struct kvm_s2_mmu mmu;
static struct kvm_pgtable pgt;

static struct {
	u64 addr;
	s8 level;
	kvm_pte_t pte;
} visits[16];
static int nr_visits;

static int record_visit(const struct kvm_pgtable_visit_ctx *ctx,
			enum kvm_pgtable_walk_flags visit)
{
	if (nr_visits < 16) {
		visits[nr_visits].addr = ctx->addr;
		visits[nr_visits].level = ctx->level;
		visits[nr_visits].pte = ctx->old;
	}
	nr_visits++;
	return 0;
}

/* The leaves a page-state check visits in [addr, addr + size). */
static int walk_leaves(u64 addr, u64 size)
{
	struct kvm_pgtable_walker walker = {
		.cb	= record_visit,
		.flags	= KVM_PGTABLE_WALK_LEAF,
	};

	nr_visits = 0;
	return kvm_pgtable_walk(&pgt, addr, size, &walker);
}

static bool host_stage2_init(void)
{
	next_page = 0;
	memset(refs, 0, sizeof(refs));
	/* 40-bit input, four levels from level 0, as for a 40-bit CPU */
	mmu.vtcr = (64 - CPU_PA_BITS) | ((VTCR_EL2_TGRAN_SL0_BASE - 0) << VTCR_EL2_SL0_SHIFT);
	CHECK(!__kvm_pgtable_stage2_init(&pgt, &mmu, &mm_ops, KVM_PGTABLE_S2_IDMAP, NULL),
	      "stage-2 init");
	CHECK(pgt.ia_bits == CPU_PA_BITS && pgt.start_level == 0, "%u bits from level %d",
	      pgt.ia_bits, pgt.start_level);
	return true;
}

/*
 * Nothing of the region faulted in yet: a range from its last page to the
 * page after it is one visit, at the memory page, of an entry that spans
 * both; the page past the end is never looked at.
 */
static bool unpopulated_range_past_region_end(void)
{
	if (!host_stage2_init())
		return false;
	CHECK(!walk_leaves(REGION_END - PAGE_SIZE, 2 * PAGE_SIZE), "walk");
	CHECK(nr_visits == 1 && visits[0].addr == REGION_END - PAGE_SIZE && !visits[0].pte,
	      "%d visits, the first at %#llx level %d", nr_visits,
	      (unsigned long long)visits[0].addr, visits[0].level);
	return true;
}

/*
 * The region faulted in as the host stage-2 does, with the largest leaves
 * that stay inside it (2MiB blocks, then pages): the page past the end is
 * an entry of its own, visited at its own address.
 */
static bool populated_range_past_region_end(void)
{
	u64 blocks_end = ALIGN_DOWN(REGION_END, SZ_2M);

	if (!host_stage2_init())
		return false;
	int ret;

	ret = kvm_pgtable_stage2_map(&pgt, REGION_BASE, blocks_end - REGION_BASE, REGION_BASE,
				     KVM_PGTABLE_PROT_RWX, pool, 0);
	CHECK(!ret, "map the blocks: %d", ret);
	ret = kvm_pgtable_stage2_map(&pgt, blocks_end, REGION_END - blocks_end, blocks_end,
				     KVM_PGTABLE_PROT_RWX, pool, 0);
	CHECK(!ret, "map the pages: %d", ret);
	CHECK(!walk_leaves(REGION_END - PAGE_SIZE, 2 * PAGE_SIZE), "walk");
	CHECK(nr_visits == 2 && visits[0].level == 3 && (visits[0].pte & KVM_PTE_VALID) &&
	      visits[1].addr == REGION_END && !visits[1].pte,
	      "%d visits, the second at %#llx level %d", nr_visits,
	      (unsigned long long)visits[1].addr, visits[1].level);
	CHECK(!walk_leaves(REGION_BASE, SZ_4M), "walk the blocks");
	CHECK(nr_visits == 2 && visits[0].level == 2 && visits[1].level == 2,
	      "%d visits of 2MiB blocks", nr_visits);
	return true;
}

int main(void)
{
	static const struct {
		bool (*fn)(void);
		const char *name;
	} tests[] = {
		{ unpopulated_range_past_region_end, "unpopulated_range_past_region_end_visited_once" },
		{ populated_range_past_region_end, "populated_range_past_region_end_visited_twice" },
	};
	unsigned int i;
	bool ok;

	pool = aligned_alloc(PAGE_SIZE, POOL_PAGES * PAGE_SIZE);
	if (!pool)
		return 1;
	printf("TAP version 13\n1..%zu\n", sizeof(tests) / sizeof(tests[0]));
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		ok = tests[i].fn();
		printf("%s %u - host-stage2.%s\n", ok ? "ok" : "not ok", i + 1, tests[i].name);
	}
	free(pool);
	return failures ? 1 : 0;
}
